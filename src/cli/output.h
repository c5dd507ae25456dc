/*
 * output.h - the run summary on stdout: a readable table for people, or
 * every metric in long format (tsv, csv, json) for programs.  Private to
 * src/cli.
 */
#ifndef BF_CLI_OUTPUT_H
#define BF_CLI_OUTPUT_H

#include <stdio.h>

#include "borderflow/runner.h"
#include "borderflow/sim.h"

typedef enum out_format { OUT_TABLE, OUT_TSV, OUT_CSV, OUT_JSON } out_format;

/* 0 on success, -1 if name is not a format. */
int out_parse_format(const char *name, out_format *fmt);

/* One field of a TSV/CSV row: quoted (CSV rules) only when fmt is
 * OUT_CSV and the text needs it. */
void out_field(FILE *f, out_format fmt, const char *s);

/* A JSON string literal, escaped. */
void out_json_str(FILE *f, const char *s);

/* Writes the summary.  db may be NULL (results not stored). */
void out_summary(FILE *f, out_format fmt, const bf_model *m, const bf_catalog *cat,
                 const bf_run_result *res, const char *db, long long run_id);

#endif
