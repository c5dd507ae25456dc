/*
 * cli.h - private to src/cli: what the subcommands share (exit codes,
 * error wording, option helpers, the command line for provenance, the
 * interrupt flag).  Each subcommand lives in its own cmd_<name>.c and is
 * listed in the table in main.c.
 */
#ifndef BF_CLI_H
#define BF_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "borderflow/common.h"

enum { EXIT_RUN = 1, EXIT_USAGE = 2, EXIT_SCENARIO = 3, EXIT_INTERRUPTED = 130 };

/* Set non-zero by SIGINT / SIGTERM once cli_catch_signals was called. */
extern volatile int cli_cancel;
void cli_catch_signals(void);

/* The whole command line as typed, shell-quoted (for provenance). */
const char *cli_cmdline(void);
void cli_set_cmdline(int argc, char **argv);
void cli_free_cmdline(void);

/* Prints "borderflow: <formatted error>" and returns the exit code for st. */
int cli_report(const bf_error *err, bf_status st);

/* Prints "borderflow CMD: <message>" and a hint; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* After getopt_long returned '?' (opterr is off): names the option. */
int cli_bad_option(const char *cmd, char **argv, const char *needs_value);

/* A growable list of borrowed strings (the --set options). */
typedef struct cli_sets {
    const char **v;
    size_t n;
} cli_sets;
bool cli_sets_add(cli_sets *s, const char *x);

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);

#endif
