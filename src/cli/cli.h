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
int cmd_sweep(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_merge(int argc, char **argv);

/* Shared by run, sweep and compare (defined in cmd_sweep.c).
 * Progress on stderr: a redrawn bar when stderr is a terminal, a plain
 * line per tenth of the work (or per 30 s) otherwise, nothing if quiet.
 * cli_progress_update has the shape of bf_sweep_opts.on_progress. */
struct bf_sweep_progress;
typedef struct cli_progress {
    const char *unit; /* "runs", "replications" */
    bool quiet, tty, drawn;
    double last;
    int last_tenth;
} cli_progress;
void cli_progress_init(cli_progress *p, const char *unit, bool quiet);
void cli_progress_update(void *ctx, const struct bf_sweep_progress *pr);
void cli_progress_end(cli_progress *p);
/* "5%" (or a fraction such as 0.05) into *out in (0, 1); else a usage
 * error for option opt of cmd (returns EXIT_USAGE, 0 on success). */
int cli_parse_percent(const char *cmd, const char *opt, const char *arg, double *out);
/* --precision-floor: a duration >= 0 into *out (seconds); same convention. */
int cli_parse_floor(const char *cmd, const char *arg, double *out);
/* A whole number in [lo, hi]; same convention. */
int cli_parse_long(const char *cmd, const char *opt, const char *arg, long lo, long hi,
                   long *out);
int cmd_export(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_serve(int argc, char **argv);

/* Shared by the commands that read a store (cmd_plot.c).  Each returns an
 * exit code.  cli_store_error prints "borderflow CMD: message" and maps
 * BF_EINVAL (a run, metric, scope... the store does not have) to 2 and
 * every other status to 1. */
int cli_store_error(const char *cmd, const bf_error *err, bf_status st);
/* Appends the run ids of "3", "3,5" or "3-7" to *v (realloc'd; free). */
int cli_parse_runs(const char *cmd, const char *arg, int64_t **v, size_t *n);
/* The gnuplot chart templates: $BORDERFLOW_GNUPLOT_DIR, beside an
 * installed binary, the source tree, or the install prefix. */
const char *cli_gnuplot_dir(void);
/* The gnuplot program: $BORDERFLOW_GNUPLOT, else "gnuplot" on PATH. */
const char *cli_gnuplot_program(void);

#endif
