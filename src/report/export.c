/*
 * export.c - `borderflow export`: results out of the store in long
 * ("tidy") form, one observation per row, as TSV, CSV or JSON.
 *
 * Every row says where its number came from: the run id, the scenario
 * name, the run's --set overrides and, when more than one run is
 * exported, one column per parameter whose value differs between those
 * runs (the points of a sweep, the two sides of a comparison).  So a file
 * cut out of a bigger export, or a row pasted into a spreadsheet, still
 * identifies itself.  The columns are documented in docs/export.md.
 *
 * Rows stream from SQLite to the caller's FILE: memory does not grow with
 * the store (a long run has hundreds of thousands of time-series rows).
 */
#include "report/report_int.h"

#include <math.h>
#include <string.h>

static const char *const what_names[] = {"summary",    "replications", "timeseries",
                                         "distributions", "parameters", "runs"};

int bf_export_what_parse(const char *name, bf_export_what *out)
{
    for (int i = 0; i < 6; i++)
        if (strcmp(name, what_names[i]) == 0) {
            *out = (bf_export_what)i;
            return 0;
        }
    return -1;
}

const char *bf_export_what_name(bf_export_what w)
{
    return (unsigned)w < 6 ? what_names[w] : "?";
}

int bf_export_format_parse(const char *name, bf_export_format *out)
{
    static const char *const names[] = {"tsv", "csv", "json"};
    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (bf_export_format)i;
            return 0;
        }
    return -1;
}

/* ---- row writer ------------------------------------------------------ */

/* Writes one table cell by cell; the format decides the punctuation. */
typedef struct rowout {
    FILE *f;
    bf_export_format fmt;
    const char *const *cols; /* column names, for the header and JSON keys */
    size_t n_cols;
    size_t col;   /* next column in the current row */
    bool any_row; /* JSON: a row was written (comma before the next) */
} rowout;

static void put_text(rowout *o, const char *s)
{
    FILE *f = o->f;
    switch (o->fmt) {
    case BF_EXPORT_TSV:
        for (; *s; s++) {
            if (*s == '\t')
                fputs("\\t", f);
            else if (*s == '\n')
                fputs("\\n", f);
            else if (*s == '\r')
                fputs("\\r", f);
            else if (*s == '\\')
                fputs("\\\\", f);
            else
                fputc(*s, f);
        }
        break;
    case BF_EXPORT_CSV:
        if (!strpbrk(s, ",\"\n\r")) {
            fputs(s, f);
            break;
        }
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
        break;
    case BF_EXPORT_JSON:
        fputc('"', f);
        for (; *s; s++) {
            unsigned char c = (unsigned char)*s;
            if (c == '"' || c == '\\')
                fprintf(f, "\\%c", c);
            else if (c == '\n')
                fputs("\\n", f);
            else if (c == '\t')
                fputs("\\t", f);
            else if (c < 0x20)
                fprintf(f, "\\u%04x", c);
            else
                fputc(c, f);
        }
        fputc('"', f);
        break;
    }
}

static void header(rowout *o)
{
    if (o->fmt == BF_EXPORT_JSON) {
        fputc('[', o->f);
        return;
    }
    for (size_t i = 0; i < o->n_cols; i++) {
        if (i)
            fputc(o->fmt == BF_EXPORT_TSV ? '\t' : ',', o->f);
        put_text(o, o->cols[i]);
    }
    fputc('\n', o->f);
}

static void footer(rowout *o)
{
    if (o->fmt == BF_EXPORT_JSON)
        fputs(o->any_row ? "\n]\n" : "]\n", o->f);
}

/* Before each cell: the separator, or for JSON the key. */
static void cell_start(rowout *o)
{
    if (o->fmt == BF_EXPORT_JSON) {
        if (o->col == 0)
            fputs(o->any_row ? ",\n{" : "\n{", o->f);
        else
            fputc(',', o->f);
        put_text(o, o->cols[o->col]);
        fputc(':', o->f);
    } else if (o->col) {
        fputc(o->fmt == BF_EXPORT_TSV ? '\t' : ',', o->f);
    }
    o->col++;
}

static void cell_text(rowout *o, const char *s)
{
    cell_start(o);
    put_text(o, s);
}

static void cell_null(rowout *o)
{
    cell_start(o);
    if (o->fmt == BF_EXPORT_JSON)
        fputs("null", o->f);
}

static void cell_int(rowout *o, long long v)
{
    cell_start(o);
    fprintf(o->f, "%lld", v);
}

/* Non-finite numbers: empty in TSV/CSV only for NULL; an infinity is
 * written as "Inf" / "-Inf" (R and pandas read these), and as null in
 * JSON, which has no infinity. */
static void cell_num(rowout *o, double v)
{
    if (isnan(v)) {
        cell_null(o);
        return;
    }
    cell_start(o);
    if (isinf(v)) {
        fputs(o->fmt == BF_EXPORT_JSON ? "null" : v > 0 ? "Inf" : "-Inf", o->f);
        return;
    }
    char buf[40];
    bf__fmt_exact(buf, sizeof buf, v);
    fputs(buf, o->f);
}

/* A column from a statement, as the type it holds. */
static void cell_col(rowout *o, sqlite3_stmt *q, int i)
{
    switch (sqlite3_column_type(q, i)) {
    case SQLITE_NULL: cell_null(o); break;
    case SQLITE_INTEGER: cell_int(o, sqlite3_column_int64(q, i)); break;
    case SQLITE_FLOAT: cell_num(o, sqlite3_column_double(q, i)); break;
    default: cell_text(o, bf__col_text(q, i)); break;
    }
}

static void row_end(rowout *o)
{
    if (o->fmt == BF_EXPORT_JSON)
        fputc('}', o->f);
    else
        fputc('\n', o->f);
    o->col = 0;
    o->any_row = true;
}

/* ---- the tables ------------------------------------------------------ */

/* What each `what` selects, after the identifying columns.  `?1` is the
 * run id.  Orders follow the primary keys, so SQLite reads each table in
 * one pass. */
typedef struct export_table {
    const char *const *cols;
    size_t n_cols;
    const char *sql;
} export_table;

static const char *const cols_summary[] = {"scope_kind", "scope",      "class",  "metric",
                                           "unit",       "n",          "mean",   "sd",
                                           "half_width", "ci_low",     "ci_high"};
static const char *const cols_reps[] = {"replication", "scope_kind", "scope", "class",
                                        "metric",      "unit",       "value"};
static const char *const cols_series[] = {"replication", "scope_kind", "scope",
                                          "metric",      "t_s",        "value"};
static const char *const cols_dist[] = {"scope_kind", "scope", "class", "quantity", "unit",
                                        "lo",         "hi",    "count", "cum_share"};
static const char *const cols_params[] = {"key", "value"};

#define N(a) (sizeof a / sizeof a[0])

static const export_table tables[] = {
    [BF_EXPORT_SUMMARY] = {cols_summary, N(cols_summary),
                           "SELECT k.scope_kind, k.scope, k.class, k.metric, k.unit, a.n,"
                           " a.mean, a.sd, a.half_width, a.ci_low, a.ci_high"
                           " FROM metric_keys k JOIN aggregates a ON a.run_id = k.run_id"
                           " AND a.key_index = k.key_index WHERE k.run_id = ?1"
                           " ORDER BY k.key_index"},
    [BF_EXPORT_REPLICATIONS] = {cols_reps, N(cols_reps),
                                "SELECT m.replication, k.scope_kind, k.scope, k.class,"
                                " k.metric, k.unit, m.value FROM rep_metrics m"
                                " JOIN metric_keys k ON k.run_id = m.run_id"
                                " AND k.key_index = m.key_index WHERE m.run_id = ?1"
                                " ORDER BY m.replication, m.key_index"},
    /* Only replications that completed, as in v_timeseries. */
    [BF_EXPORT_TIMESERIES] = {cols_series, N(cols_series),
                              "SELECT ts.replication, k.scope_kind, k.scope, k.metric, ts.t,"
                              " ts.value FROM timeseries ts JOIN series_keys k"
                              " ON k.run_id = ts.run_id AND k.series_index = ts.series_index"
                              " WHERE ts.run_id = ?1 AND EXISTS (SELECT 1 FROM replications p"
                              " WHERE p.run_id = ts.run_id AND p.replication = ts.replication)"
                              " ORDER BY ts.series_index, ts.replication, ts.t"},
    /* The quantity is the metric group: the distribution is filed under
     * the group's first key (wait_mean -> wait). */
    [BF_EXPORT_DISTRIBUTIONS] = {cols_dist, N(cols_dist),
                                 "SELECT k.scope_kind, k.scope, k.class,"
                                 " CASE WHEN k.metric LIKE '%\\_mean' ESCAPE '\\'"
                                 " THEN substr(k.metric, 1, length(k.metric) - 5)"
                                 " ELSE k.metric END, k.unit, d.lo, d.hi, d.count,"
                                 " 1.0 * sum(d.count) OVER (PARTITION BY d.key_index"
                                 " ORDER BY d.lo) / sum(d.count) OVER (PARTITION BY"
                                 " d.key_index) FROM distributions d JOIN metric_keys k"
                                 " ON k.run_id = d.run_id AND k.key_index = d.key_index"
                                 " WHERE d.run_id = ?1 ORDER BY d.key_index, d.lo"},
    [BF_EXPORT_PARAMETERS] = {cols_params, N(cols_params),
                              "SELECT key, value FROM parameters WHERE run_id = ?1"
                              " ORDER BY key"},
};

static const char *const cols_runs[] = {
    "run_id",         "uid",         "scenario",  "scenario_hash", "status",
    "started_at",     "finished_at", "seed",      "replications_planned",
    "replications_done", "horizon_s", "warmup_s", "sample_every_s", "overrides",
    "command_line",   "hostname",    "borderflow_version", "source_revision"};

static bf_status export_runs(bf_report *r, const bf_export_spec *spec, FILE *f, bf_error *err)
{
    rowout o = {.f = f, .fmt = spec->format, .cols = cols_runs, .n_cols = N(cols_runs)};
    sqlite3_stmt *q;
    bf_status st = bf__report_prepare(
        r,
        "SELECT v.run_id, v.uid, v.scenario, v.scenario_hash, v.status, v.started_at,"
        " v.finished_at, v.seed, v.replications_planned, v.replications_done, r.horizon_s,"
        " r.warmup_s, r.sample_every_s, v.overrides, v.command_line, v.hostname,"
        " v.borderflow_version, v.source_revision FROM v_runs v JOIN runs r ON r.id = v.run_id"
        " WHERE ?1 = 0 OR v.run_id = ?1 ORDER BY v.run_id",
        &q, err);
    if (st != BF_OK)
        return st;
    header(&o);
    size_t n = spec->n_runs ? spec->n_runs : 1;
    for (size_t i = 0; i < n && st == BF_OK; i++) {
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, spec->n_runs ? spec->runs[i] : 0);
        int rc;
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            for (int c = 0; c < (int)N(cols_runs); c++) {
                if (c == 7) { /* the seed is text: a u64 does not fit SQL integers */
                    cell_text(&o, bf__col_text(q, c));
                } else if (c == 13) {
                    char *line = bf__overrides_line(bf__col_text(q, c));
                    cell_text(&o, line ? line : "");
                    bf_free(line);
                } else {
                    cell_col(&o, q, c);
                }
            }
            row_end(&o);
        }
        if (rc != SQLITE_DONE)
            st = bf__report_fail(r, rc, err, "cannot read the runs");
    }
    sqlite3_finalize(q);
    footer(&o);
    return st;
}

/* Every run id in the store, in order. */
static bf_status all_runs(bf_report *r, int64_t **ids, size_t *n, bf_error *err)
{
    *ids = NULL;
    *n = 0;
    sqlite3_stmt *q;
    bf_status st = bf__report_prepare(r, "SELECT id FROM runs ORDER BY id", &q, err);
    if (st != BF_OK)
        return st;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t *v = bf_realloc(*ids, (*n + 1) * sizeof *v);
        if (!v) {
            st = bf_error_set(err, BF_ENOMEM, "out of memory");
            break;
        }
        *ids = v;
        v[(*n)++] = sqlite3_column_int64(q, 0);
    }
    if (st == BF_OK && rc != SQLITE_DONE)
        st = bf__report_fail(r, rc, err, "cannot list the runs");
    sqlite3_finalize(q);
    if (st != BF_OK) {
        bf_free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return st;
}

bf_status bf_report_export(bf_report *r, const bf_export_spec *spec, FILE *f, bf_error *err)
{
    bf_error_clear(err);
    if ((unsigned)spec->what > BF_EXPORT_RUNS)
        return bf_error_set(err, BF_EINVAL, "unknown export table");
    int64_t *ids = NULL;
    size_t n_ids = 0;
    bf_status st;
    /* Check the runs exist before writing a byte. */
    if (spec->n_runs) {
        for (size_t i = 0; i < spec->n_runs; i++) {
            bf_report_run run;
            st = bf_report_run_get(r, spec->runs[i], &run, err);
            bf_report_run_fini(&run);
            if (st != BF_OK)
                return st;
        }
    } else {
        st = all_runs(r, &ids, &n_ids, err);
        if (st != BF_OK)
            return st;
        if (n_ids == 0) {
            bf_free(ids);
            return bf_error_set(err, BF_ESTATE, "%s has no runs yet; store results with: "
                                "borderflow run SCENARIO --db %s", r->path, r->path);
        }
    }
    if (spec->what == BF_EXPORT_RUNS) {
        bf_free(ids);
        st = export_runs(r, spec, f, err);
        goto check_io;
    }
    const int64_t *runs = spec->n_runs ? spec->runs : ids;
    size_t n_runs = spec->n_runs ? spec->n_runs : n_ids;

    /* Identifying columns: run_id, scenario, overrides, then the varied
     * parameters (not for the parameters table itself, which has them as
     * rows). */
    char **pkeys = NULL;
    size_t n_pkeys = 0;
    if (spec->what != BF_EXPORT_PARAMETERS) {
        st = bf__report_varied_params(r, runs, n_runs, &pkeys, &n_pkeys, err);
        if (st != BF_OK) {
            bf_free(ids);
            return st;
        }
    }
    const export_table *t = &tables[spec->what];
    size_t n_id = 3 + n_pkeys;
    const char **cols = bf_calloc(n_id + t->n_cols, sizeof *cols);
    char **pvals = bf_calloc(n_pkeys ? n_pkeys : 1, sizeof *pvals);
    sqlite3_stmt *q = NULL, *qrun = NULL;
    if (!cols || !pvals) {
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
        goto done;
    }
    cols[0] = "run_id";
    cols[1] = "scenario";
    cols[2] = "overrides";
    for (size_t i = 0; i < n_pkeys; i++)
        cols[3 + i] = pkeys[i];
    for (size_t i = 0; i < t->n_cols; i++)
        cols[n_id + i] = t->cols[i];
    rowout o = {.f = f, .fmt = spec->format, .cols = cols, .n_cols = n_id + t->n_cols};

    st = bf__report_prepare(r, t->sql, &q, err);
    if (st == BF_OK)
        st = bf__report_prepare(r, "SELECT s.name, r.overrides FROM runs r JOIN scenarios s"
                                   " ON s.id = r.scenario_id WHERE r.id = ?1",
                                &qrun, err);
    if (st != BF_OK)
        goto done;
    header(&o);
    for (size_t i = 0; i < n_runs && st == BF_OK; i++) {
        int64_t run = runs[i];
        sqlite3_reset(qrun);
        sqlite3_bind_int64(qrun, 1, run);
        if (sqlite3_step(qrun) != SQLITE_ROW)
            continue;
        char *scen = bf_strdup(bf__col_text(qrun, 0));
        char *ovr = bf__overrides_line(bf__col_text(qrun, 1));
        for (size_t p = 0; p < n_pkeys; p++) {
            bf_free(pvals[p]);
            pvals[p] = bf__report_param(r, run, pkeys[p]);
        }
        if (!scen || !ovr) {
            bf_free(scen);
            bf_free(ovr);
            st = bf_error_set(err, BF_ENOMEM, "out of memory");
            break;
        }
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, run);
        int rc;
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            cell_int(&o, run);
            cell_text(&o, scen);
            cell_text(&o, ovr);
            for (size_t p = 0; p < n_pkeys; p++) {
                if (pvals[p])
                    cell_text(&o, pvals[p]);
                else
                    cell_null(&o);
            }
            for (int c = 0; c < (int)t->n_cols; c++)
                cell_col(&o, q, c);
            row_end(&o);
        }
        if (rc != SQLITE_DONE)
            st = bf__report_fail(r, rc, err, "cannot read the results");
        bf_free(scen);
        bf_free(ovr);
    }
    footer(&o);
done:
    sqlite3_finalize(q);
    sqlite3_finalize(qrun);
    bf__strv_free(pvals, n_pkeys);
    bf_free(cols);
    bf__strv_free(pkeys, n_pkeys);
    bf_free(ids);
check_io:
    if (st == BF_OK && (fflush(f) != 0 || ferror(f)))
        st = bf_error_set(err, BF_EIO, "cannot write the export (disk full?)");
    return st;
}
