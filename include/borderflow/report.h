/*
 * report.h - results for people and for other programs: reads a results
 * store (never writes it) and turns it into tidy exports (TSV, CSV,
 * JSON), chart data drawn through the gnuplot templates in tools/gnuplot,
 * and briefing folders (index.html, summary.md, charts).
 *
 * The store is opened read-only with SQLite directly; it must say
 * meta.application = 'borderflow' and the schema version this borderflow
 * writes (BF_STORE_SCHEMA_VERSION).  Reading never blocks a run that is
 * writing the same file (WAL): a reader sees the last committed state.
 *
 * Life cycle:
 *
 *   bf_report_open ---> [open: read-only handle on one store]
 *      | bf_report_export      (rows straight to a caller's FILE)
 *      | bf_chart_build -----> bf_chart (data + labels, owns its memory)
 *      |      bf_chart_write_script / bf_chart_render (any number of times)
 *      |      bf_chart_destroy
 *      | bf_report_briefing    (a folder of tables, charts, commands)
 *   bf_report_close
 *
 * A chart is built from the store once and is then independent of it:
 * it may outlive the bf_report it came from.
 *
 * Charts are drawn by gnuplot, an external program, run with posix_spawn
 * on a script made of a header of variables, tools/gnuplot/common.gp and
 * the chart kind's template (tools/gnuplot/<kind>.gp), so that a script
 * written with bf_chart_write_script re-draws the chart on its own.  The
 * variables and data columns each template reads are listed in
 * docs/charts.md.
 *
 * Errors: BF_EINVAL when the request names something the store does not
 * have (a run, metric, scope or class; the message suggests the closest
 * name), BF_ESTATE when the store cannot serve the request at all (no
 * runs; a sweep chart with one run), BF_ESTORE / BF_EIO for an unreadable
 * store, unwritable files or a failed gnuplot, BF_ENOMEM.  The library
 * prints nothing.
 *
 * Memory: strings passed in are borrowed for the call.  Every allocation
 * goes through bf_malloc.
 */
#ifndef BORDERFLOW_REPORT_H
#define BORDERFLOW_REPORT_H

#include <stdio.h>

#include "borderflow/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bf_report bf_report;

/* Opens the store at path read-only.  A missing file, a file that is not
 * a borderflow store, or another schema version gives BF_ESTORE (BF_EIO
 * for a missing file) with a message naming the file.
 * OUT: *out, closed with bf_report_close. */
bf_status bf_report_open(const char *path, bf_report **out, bf_error *err);

/* Closes the handle.  NULL is fine. */
void bf_report_close(bf_report *r);

/* ---- runs ----------------------------------------------------------- */

/* One run as the charts and tables describe it.  Strings are owned by the
 * struct: free them with bf_report_run_fini. */
typedef struct bf_report_run {
    int64_t id;
    char *scenario;      /* e.g. "hetao-baseline" */
    char *title;         /* simulation.title, or "" */
    char *status;        /* running | done | failed | canceled */
    char *seed;          /* decimal text, as stored */
    char *overrides;     /* one "key=value" per line, or "" */
    char *command_line;
    char *started_at;
    char *version;       /* borderflow version that wrote it */
    char *revision;      /* its source revision */
    int replications;    /* completed */
    int planned;
    double horizon_s, warmup_s, sample_every_s;
} bf_report_run;

/* The latest finished run: status 'done', or 'partial' (a shard's share
 * of a run, or a merge still missing replications).  BF_ESTATE if the
 * store has none; the message says whether it has runs at all.
 * OUT: *id. */
bf_status bf_report_latest_run(bf_report *r, int64_t *id, bf_error *err);

/* Fills *out with run `id` (BF_EINVAL if there is no such run; the
 * message lists the runs there are).  OUT: *out, to be finalised with
 * bf_report_run_fini, also after an error. */
bf_status bf_report_run_get(bf_report *r, int64_t id, bf_report_run *out, bf_error *err);
void bf_report_run_fini(bf_report_run *run);

/* ---- export --------------------------------------------------------- */

typedef enum bf_export_what {
    BF_EXPORT_SUMMARY,       /* aggregates: mean, sd, 95% CI per metric */
    BF_EXPORT_REPLICATIONS,  /* every metric of every replication */
    BF_EXPORT_TIMESERIES,    /* every sample of completed replications */
    BF_EXPORT_DISTRIBUTIONS, /* pooled histogram buckets */
    BF_EXPORT_PARAMETERS,    /* resolved scenario parameters */
    BF_EXPORT_RUNS           /* one row per run: provenance */
} bf_export_what;

typedef enum bf_export_format { BF_EXPORT_TSV, BF_EXPORT_CSV, BF_EXPORT_JSON } bf_export_format;

/* Names <-> values ("summary", "tsv" ...).  Parsers return 0 or -1. */
int bf_export_what_parse(const char *name, bf_export_what *out);
int bf_export_format_parse(const char *name, bf_export_format *out);
const char *bf_export_what_name(bf_export_what w);

typedef struct bf_export_spec {
    bf_export_what what;
    bf_export_format format;
    const int64_t *runs; /* runs to export, in this order */
    size_t n_runs;       /* 0: every run in the store */
} bf_export_spec;

/* Writes the rows to out in long ("tidy") form: every row carries the
 * run id, the scenario, the run's overrides and, when several runs are
 * exported, one column per parameter whose value differs between them.
 * The columns are documented in docs/export.md.  TSV escapes tab,
 * newline and backslash as \t, \n, \\; CSV quotes as RFC 4180; JSON is an
 * array of objects with null for missing values.  Memory is bounded: rows
 * stream from SQLite.  BF_EIO if writing to out failed. */
bf_status bf_report_export(bf_report *r, const bf_export_spec *spec, FILE *out, bf_error *err);

/* ---- charts --------------------------------------------------------- */

typedef enum bf_chart_kind {
    BF_CHART_TIMESERIES,  /* queue length / number present by time of day */
    BF_CHART_CDF,         /* waiting-time (or other) distribution */
    BF_CHART_UTILIZATION, /* per station, with staffing */
    BF_CHART_SWEEP,       /* a metric against a varied parameter */
    BF_CHART_COMPARE      /* base vs policy, bars with CIs */
} bf_chart_kind;

int bf_chart_kind_parse(const char *name, bf_chart_kind *out);
const char *bf_chart_kind_name(bf_chart_kind k);

/* What to draw.  Zero-initialise and set what you need; NULL / 0 fields
 * take the defaults documented in docs/charts.md. */
typedef struct bf_chart_spec {
    bf_chart_kind kind;
    const int64_t *runs;  /* the run(s); n_runs 0: latest (sweep: latest
                           * sweep, compare: latest comparison) */
    size_t n_runs;
    const char *metric;   /* e.g. "wait_p95"; per kind default */
    const char *const *scopes; /* station, delay, line, class names or
                                * "system"; NULL: per kind default */
    size_t n_scopes;
    const char *const *classes; /* class names, "all" = all classes */
    size_t n_classes;
    int64_t sweep;        /* sweep: a sweep id instead of runs (0: none) */
    const char *vary;     /* sweep: the parameter on the x axis */
    bool absolute;        /* timeseries: simulated days, not time of day */
    const char *target;   /* a target line, read in the metric's unit: a
                           * duration ("10min") for times, a share ("85%")
                           * for shares, else a number; NULL: none */
    double x_max;         /* cdf: right end of the x axis, s (0: auto) */
    const char *lang;     /* "en" (default) or "zh" */
    const char *title;    /* replaces the default title */
    const char *font;     /* replaces the language's default font */
} bf_chart_spec;

typedef struct bf_chart bf_chart;

/* Reads what spec asks for from the store.  OUT: *out, destroyed with
 * bf_chart_destroy. */
bf_status bf_chart_build(bf_report *r, const bf_chart_spec *spec, bf_chart **out,
                         bf_error *err);
void bf_chart_destroy(bf_chart *c);

/* Output formats follow the file's extension: .png (pngcairo), .svg
 * (svg), .pdf (pdfcairo).  Returns "png", "svg" or "pdf", or NULL. */
const char *bf_chart_format_of(const char *path);

/* Number of series (legend entries) and data rows of a built chart. */
size_t bf_chart_n_series(const bf_chart *c);
size_t bf_chart_n_rows(const bf_chart *c);

/* Writes <dir>/<name>.gp and <dir>/<name>.tsv (dir must exist).  The
 * script reads <name>.tsv and draws to `output` (relative paths resolve
 * against the directory gnuplot is started in); its format follows
 * output's extension.  template_dir holds common.gp and <kind>.gp. */
bf_status bf_chart_write_script(const bf_chart *c, const char *template_dir, const char *dir,
                                const char *name, const char *output, bf_error *err);

/* Draws the chart to out_path by running gnuplot on a script and data
 * file in a temporary directory, which is removed afterwards.  gnuplot:
 * the program (a path, or a name looked up on PATH; NULL: "gnuplot").
 * The chart is written to a temporary name beside out_path and renamed
 * when gnuplot succeeded, so a failure never leaves half a file.  Errors:
 * gnuplot missing (the message names the Debian package gnuplot-nox),
 * gnuplot failing (its first error lines), an output that is not a chart
 * of the expected format. */
bf_status bf_chart_render(const bf_chart *c, const char *template_dir, const char *gnuplot,
                          const char *out_path, bf_error *err);

/* BF_OK if gnuplot can be run (its version is read), else BF_EIO with the
 * message bf_chart_render would give. */
bf_status bf_gnuplot_check(const char *gnuplot, bf_error *err);

/* ---- briefing ------------------------------------------------------- */

typedef struct bf_briefing_spec {
    int64_t run;               /* 0: latest finished run */
    const char *lang;          /* "en" or "zh" */
    const char *store_arg;     /* the store as the user named it (for the
                                * commands that reproduce the briefing) */
    const char *command_line;  /* the command that made the briefing */
    const char *template_dir;
    const char *gnuplot;       /* NULL: "gnuplot" */
    const char *font;
} bf_briefing_spec;

/* Writes a briefing into out_dir (created if missing; files of the same
 * names are replaced): index.html (self-contained, images by relative
 * path), summary.md, charts/<name>.png and .pdf for every chart the run
 * supports, charts/<name>.gp and .tsv behind them, data/summary.tsv, and
 * a section with the exact commands that reproduce it.  OUT: *n_charts
 * (may be NULL). */
bf_status bf_report_briefing(bf_report *r, const bf_briefing_spec *spec, const char *out_dir,
                             size_t *n_charts, bf_error *err);

#ifdef __cplusplus
}
#endif
#endif
