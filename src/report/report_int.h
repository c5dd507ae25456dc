/*
 * report_int.h - private to src/report: the store handle, a growable
 * string, key selection, labels in two languages and the chart record the
 * builders fill in and the gnuplot writer reads.
 */
#ifndef BF_REPORT_INT_H
#define BF_REPORT_INT_H

#include <sqlite3.h>

#include "borderflow/report.h"

struct bf_report {
    sqlite3 *db;
    char *path;
};

/* ---- growable string ------------------------------------------------ */

/* A NUL-terminated string that grows.  After an allocation failure it
 * stays as it was and `oom` is set; callers check once at the end. */
typedef struct sbuf {
    char *s;
    size_t len, cap;
    bool oom;
} sbuf;

void bf__sbuf_put(sbuf *b, const char *s);
void bf__sbuf_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bf__sbuf_fini(sbuf *b);
/* The string (never NULL: "" when empty). */
const char *bf__sbuf_str(const sbuf *b);
/* Takes the string out (caller frees with bf_free); NULL after oom. */
char *bf__sbuf_take(sbuf *b);

/* ---- store access --------------------------------------------------- */

/* Prepares sql; on failure fills err with the store's path and SQLite's
 * message.  OUT: *st. */
bf_status bf__report_prepare(bf_report *r, const char *sql, sqlite3_stmt **st, bf_error *err);
/* After a failed sqlite3_step: the message, and the status. */
bf_status bf__report_fail(bf_report *r, int rc, bf_error *err, const char *doing);
/* A column as text, "" for NULL. */
const char *bf__col_text(sqlite3_stmt *st, int i);
/* A column as double, NaN for NULL. */
double bf__col_double(sqlite3_stmt *st, int i);
/* Does the store have this table (or view)? */
bool bf__report_has_table(bf_report *r, const char *name);
/* The value of parameter key of run, allocated (NULL if absent / OOM). */
char *bf__report_param(bf_report *r, int64_t run, const char *key);

/* ---- metric keys ---------------------------------------------------- */

typedef struct rkey {
    int key_index;
    char *scope_kind, *scope, *class_name, *metric, *unit;
} rkey;

typedef struct rkeys {
    rkey *v;
    size_t n;
} rkeys;

void bf__rkeys_fini(rkeys *k);

/* Keys of run whose metric is `metric`, chosen by scopes and classes as
 * described in docs/charts.md (key selection):
 *   scopes given: those scopes (any kind; "system" the system scope);
 *     classes given: those classes at them ("all": the all-classes key);
 *     else with one scope visited by several classes: one key per class;
 *     else the all-classes key of each scope;
 *   no scopes: default_kind's scopes (e.g. "class": one key per class),
 *     narrowed by classes if given.
 * Unknown metric / scope / class -> BF_EINVAL naming the closest one.
 * Nothing selected -> BF_EINVAL. */
bf_status bf__report_select_keys(bf_report *r, int64_t run, const char *metric,
                                 const char *const *scopes, size_t n_scopes,
                                 const char *const *classes, size_t n_classes,
                                 const char *default_kind, rkeys *out, bf_error *err);

/* Across-replication values of one key: from `aggregates`. */
typedef struct rci {
    int n;
    double mean, sd, half_width, lo, hi;
} rci;
bf_status bf__report_aggregate(bf_report *r, int64_t run, int key_index, rci *out,
                               bf_error *err);
/* Per-replication values of one key, in replication order, NULLs left
 * out.  OUT: *reps and *vals (bf_free both), *n. */
bf_status bf__report_rep_values(bf_report *r, int64_t run, int key_index, int **reps,
                                double **vals, size_t *n, bf_error *err);
/* An aggregate looked up by names (NaN mean if absent). */
rci bf__report_agg_by_name(bf_report *r, int64_t run, const char *scope_kind,
                           const char *scope, const char *cls, const char *metric);

/* The parameters whose values differ between runs[0..n-1], as "key" text,
 * sorted.  OUT: *keys (each and the array freed with bf_free), *n_keys. */
bf_status bf__report_varied_params(bf_report *r, const int64_t *runs, size_t n, char ***keys,
                                   size_t *n_keys, bf_error *err);
void bf__strv_free(char **v, size_t n);

/* The run's overrides on one line: "k=v; k=v" (allocated; "" if none). */
char *bf__overrides_line(const char *overrides);

/* ---- labels --------------------------------------------------------- */

typedef enum lang { LANG_EN, LANG_ZH } lang;

/* 0 and *out, or -1 for an unknown language. */
int bf__lang_parse(const char *name, lang *out);
/* A fixed phrase by its English key, e.g. L(LANG_ZH, "scenario"). */
const char *bf__L(lang l, const char *key);
/* How a metric reads in a label, e.g. "95th percentile wait"; unknown
 * metrics as they are. */
void bf__metric_label(lang l, const char *metric, char *buf, size_t len);
/* A class or line name as it reads in the language (shipped names are
 * translated for zh; others are left as they are). */
const char *bf__name_label(lang l, const char *name);
/* A scope in a legend: "whole system", "first line", a class or station
 * name (translated where bf__name_label does). */
const char *bf__scope_label(lang l, const char *scope_kind, const char *scope);
/* The default font for the language. */
const char *bf__lang_font(lang l);

/* Display unit of a duration axis whose largest value is max_s:
 * s, min or h, with its divisor. */
typedef struct tunit {
    const char *name; /* "s", "min", "h" (English) */
    double div;
} tunit;
tunit bf__time_unit(double max_s);
const char *bf__unit_label(lang l, const char *unit);

/* A value with its unit as it reads best: 600 s -> "10 min", share 0.85
 * -> "85%"; and "target 10 min". */
void bf__fmt_quantity(lang l, double v, const char *unit, char *buf, size_t len);
void bf__target_label(lang l, double v, const char *unit, char *buf, size_t len);
/* "12.3 ±0.4 min" style cells (unit chosen from the mean). */
void bf__fmt_time(char *buf, size_t len, double mean, double hw);
void bf__fmt_num(char *buf, size_t len, double mean, double hw, const char *fmt);
void bf__fmt_pct(char *buf, size_t len, double mean, double hw);
/* A number in the shortest form that reads back exactly. */
void bf__fmt_exact(char *buf, size_t len, double v);

/* ---- charts --------------------------------------------------------- */

/* One legend entry's data: a block of TSV rows. */
typedef struct chart_series {
    char *title;
    sbuf rows;
    size_t n_rows;
} chart_series;

struct bf_chart {
    bf_chart_kind kind;
    const char *tmpl; /* template name, e.g. "timeseries" */
    lang lang;
    char *font;
    char *title, *subtitle, *x_label, *y_label, *foot1, *foot2;
    char *columns; /* the data columns, tab-separated */
    sbuf comment;  /* lines written as # comments atop the data */
    sbuf vars;     /* kind-specific gnuplot assignments */
    chart_series *series;
    size_t n_series;
};

/* Builders, one per kind (chart_*.c).  c has kind, lang and font set. */
bf_status bf__chart_timeseries(bf_report *r, const bf_chart_spec *spec, bf_chart *c,
                               bf_error *err);
bf_status bf__chart_cdf(bf_report *r, const bf_chart_spec *spec, bf_chart *c, bf_error *err);
bf_status bf__chart_utilization(bf_report *r, const bf_chart_spec *spec, bf_chart *c,
                                bf_error *err);
bf_status bf__chart_sweep(bf_report *r, const bf_chart_spec *spec, bf_chart *c, bf_error *err);
bf_status bf__chart_compare(bf_report *r, const bf_chart_spec *spec, bf_chart *c,
                            bf_error *err);

/* Adds a series (title copied).  NULL on OOM. */
chart_series *bf__chart_add_series(bf_chart *c, const char *title);
/* Sets a text field (copied, replacing any old one).  false on OOM. */
bool bf__chart_set(char **field, const char *text);
/* The footnote "scenario X · N replications · seed S · borderflow V (rev)
 * · run R" for one or more runs. */
bf_status bf__chart_footnote(bf_report *r, bf_chart *c, const int64_t *runs, size_t n,
                             const char *extra, bf_error *err);
/* A gnuplot string literal of s (double-quoted, escaped). */
void bf__gp_string(sbuf *b, const char *s);
/* Kind-specific variables. */
void bf__chart_var_num(bf_chart *c, const char *name, double v);
void bf__chart_var_str(bf_chart *c, const char *name, const char *v);
/* The run to draw: spec->runs[0], or the latest finished run. */
bf_status bf__chart_one_run(bf_report *r, const bf_chart_spec *spec, int64_t *run,
                            bf_error *err);
/* Reads spec->target in a metric's store unit (s: a duration, share: a
 * share, else a number).  OUT: *has (false when there is none), *v.
 * BF_EINVAL with what was expected. */
bf_status bf__chart_target(const bf_chart_spec *spec, const char *unit, bool *has, double *v,
                           bf_error *err);
/* Student t 95% interval of x[0..n-1] (NaN half-width if n < 2). */
rci bf__ci95(const double *x, size_t n);
/* "%.6g"-style number in data files; "NaN" for NaN. */
void bf__sbuf_num(sbuf *b, double v);

#define BF_CHART_MAX_SERIES 8

#endif
