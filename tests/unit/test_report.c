/*
 * test_report.c - reading results back: the report module opens only
 * borderflow stores of this schema version, exports every row with where
 * it came from, and builds chart data that equals what the store holds
 * (aggregates, folded time series, pooled histograms, paired differences)
 * with clear errors for what a store cannot give.
 *
 * The fixture writes two small runs through the store's own API (so the
 * schema is the real one) with values chosen so that every expected
 * number is known exactly: run 1 "base" with desk.servers = 2, run 2
 * "policy" with desk.servers = 3, three replications each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "borderflow/report.h"
#include "borderflow/stats.h"
#include "borderflow/store.h"
#include "report/report_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- fixture ------------------------------------------------------------- */

typedef struct fixture {
    char dir[64];
    char path[160];
} fixture;

enum { K_UTIL, K_SERVERS, K_WAIT, K_WAIT95, K_VWAIT, K_VWAIT95, K_SWAIT, K_SWAIT95, N_KEYS };

static const bf_store_key KEYS[N_KEYS] = {
    {"station", "desk", "", "utilization", "share"},
    {"station", "desk", "", "servers", "servers"},
    {"station", "desk", "", "wait_mean", "s"},
    {"station", "desk", "", "wait_p95", "s"},
    {"class", "visitor", "visitor", "wait_mean", "s"},
    {"class", "visitor", "visitor", "wait_p95", "s"},
    {"class", "staff", "staff", "wait_mean", "s"},
    {"class", "staff", "staff", "wait_p95", "s"},
};

static const bf_store_series SERIES[] = {
    {"station", "desk", "queue_length"},
    {"delay", "zone", "present"},
    {"system", "", "in_system"},
};

#define N_REPS 3
#define HORIZON (2 * 86400.0)
#define WARMUP 86400.0
#define EVERY 3600.0

/* The value of key k in replication rep of run (1 or 2). */
static double value_of(int run, int k, int rep)
{
    double servers = run == 1 ? 2 : 3;
    switch (k) {
    case K_UTIL: return (run == 1 ? 0.6 : 0.4) + 0.01 * rep;
    case K_SERVERS: return servers;
    case K_WAIT: return 100.0 + 7 * rep - (run == 2 ? 10.0 + rep : 0);
    case K_WAIT95: return 300.0 + 11 * rep - (run == 2 ? 40.0 + 2 * rep : 0);
    case K_VWAIT: return 120.0 + 3 * rep - (run == 2 ? 20.0 : 0);
    case K_VWAIT95: return 400.0 + 5 * rep - (run == 2 ? 50.0 + rep : 0);
    case K_SWAIT: return 60.0 + rep;
    case K_SWAIT95: return 200.0 + 2 * rep;
    }
    return NAN;
}

static void add_run(bf_store *s, int run)
{
    const char *pk[] = {"simulation.title", "station.desk.servers", "simulation.seed"};
    const char *pv[] = {"Test title", run == 1 ? "2" : "3", "7"};
    bf_run_record rec = {.scenario_name = "unit",
                         .scenario_path = "unit.ini",
                         .scenario_text = "[simulation]\n",
                         .overrides = run == 1 ? "station.desk.servers=2\n"
                                               : "station.desk.servers=3\n",
                         .command_line = run == 1 ? "borderflow run unit.ini" : "borderflow run "
                                                                                "unit.ini -s x",
                         .seed = 7,
                         .replications = N_REPS,
                         .horizon_s = HORIZON,
                         .warmup_s = WARMUP,
                         .sample_every_s = EVERY,
                         .param_keys = pk,
                         .param_values = pv,
                         .n_params = 3};
    bf_error err;
    int64_t id;
    assert_int_equal(bf_store_begin_run(s, &rec, KEYS, N_KEYS, SERIES, 3, &id, &err), BF_OK);
    assert_int_equal(id, run);
    bf_hist *hv = malloc(sizeof *hv), *hs = malloc(sizeof *hs);
    assert_non_null(hv);
    assert_non_null(hs);
    for (int rep = 0; rep < N_REPS; rep++) {
        /* Samples every hour: queue = rep + hour of day; zone = 100 + rep;
         * system = 2 x queue. */
        bf_store_sample smp[3 * 49];
        size_t n = 0;
        for (int k = 0; k <= 48; k++) {
            double t = k * EVERY, hour = k % 24;
            smp[n++] = (bf_store_sample){t, 0, rep + hour};
            smp[n++] = (bf_store_sample){t, 1, 100.0 + rep};
            smp[n++] = (bf_store_sample){t, 2, 2 * (rep + hour)};
        }
        assert_int_equal(bf_store_add_series(s, id, rep, smp, n, &err), BF_OK);
        double v[N_KEYS];
        for (int k = 0; k < N_KEYS; k++)
            v[k] = value_of(run, k, rep);
        /* Visitors: 10 did not wait, 20 waited 30 s, 10 waited 600 s
         * (run 2: 300 s); staff: 5 waited 60 s. */
        bf_hist_init(hv);
        bf_hist_init(hs);
        for (int i = 0; i < 10; i++)
            bf_hist_add(hv, 0.0);
        for (int i = 0; i < 20; i++)
            bf_hist_add(hv, 30.0);
        for (int i = 0; i < 10; i++)
            bf_hist_add(hv, run == 1 ? 600.0 : 300.0);
        for (int i = 0; i < 5; i++)
            bf_hist_add(hs, 60.0);
        bf_store_hist hists[] = {{K_VWAIT, hv}, {K_SWAIT, hs}};
        assert_int_equal(bf_store_add_replication(s, id, rep, 1000, 0.1, v, hists, 2, &err),
                         BF_OK);
    }
    free(hv);
    free(hs);
    assert_int_equal(bf_store_finish_run(s, id, "done", &err), BF_OK);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/bf_report_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/results.db", f->dir);
    bf_store *s;
    bf_error err;
    if (bf_store_open(f->path, &s, &err) != BF_OK)
        return -1;
    add_run(s, 1);
    add_run(s, 2);
    bf_store_close(s);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    (void)rc;
    free(f);
    return 0;
}

static const char *template_dir(void)
{
    static char dir[1024];
    const char *src = getenv("BF_SOURCE_DIR");
    snprintf(dir, sizeof dir, "%s/tools/gnuplot", src ? src : ".");
    return dir;
}

/* The text of a file (malloc'd). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = 0;
    fclose(f);
    return s;
}

/* Writes c's data to f->dir/name.tsv and returns its text (malloc'd). */
static char *chart_data(fixture *f, const bf_chart *c, const char *name)
{
    bf_error err;
    assert_int_equal(bf_chart_write_script(c, template_dir(), f->dir, name, "x.png", &err), BF_OK);
    char p[256];
    snprintf(p, sizeof p, "%s/%s.tsv", f->dir, name);
    char *s = slurp(p);
    assert_non_null(s);
    return s;
}

/* The numbers of data row `row` (0-based, comments and blank lines
 * skipped) of block `block`.  Returns the number of fields read. */
static int data_row(const char *text, int block, int row, double *v, int max, char *text_col,
                    int text_idx)
{
    int b = 0, r = 0, blanks = 0;
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0) {
            if (++blanks == 2)
                b++, r = 0;
        } else if (*p != '#') {
            blanks = 0;
            if (b == block && r == row) {
                int n = 0, col = 0;
                const char *q = p;
                while (q < p + len && n < max) {
                    const char *t = memchr(q, '\t', (size_t)(p + len - q));
                    size_t fl = t ? (size_t)(t - q) : (size_t)(p + len - q);
                    char buf[128];
                    snprintf(buf, sizeof buf, "%.*s", (int)fl, q);
                    if (col == text_idx && text_col)
                        strcpy(text_col, buf);
                    v[n++] = strtod(buf, NULL);
                    col++;
                    q += fl + (t ? 1 : 0);
                    if (!t)
                        break;
                }
                return n;
            }
            r++;
        } else {
            blanks = 0;
        }
        p += len + (e ? 1 : 0);
    }
    return 0;
}

static double ci_hw(const double *x, size_t n)
{
    bf_ci c = bf_ci95(x, n);
    return c.half_width;
}

/* ---- opening ---------------------------------------------------------------- */

static void test_report_open_refuses_what_is_not_a_store(void **state)
{
    fixture *f = *state;
    bf_report *r;
    bf_error err;
    char p[256];

    snprintf(p, sizeof p, "%s/missing.db", f->dir);
    assert_int_equal(bf_report_open(p, &r, &err), BF_EIO);
    assert_null(r);
    assert_non_null(strstr(err.msg, "missing.db"));

    snprintf(p, sizeof p, "%s/empty.db", f->dir);
    FILE *fp = fopen(p, "w");
    fclose(fp);
    assert_int_equal(bf_report_open(p, &r, &err), BF_ESTATE);
    assert_non_null(strstr(err.msg, "no runs"));

    snprintf(p, sizeof p, "%s/text.db", f->dir);
    fp = fopen(p, "w");
    fputs("this is not a database, it is a note to self\n", fp);
    fclose(fp);
    assert_int_equal(bf_report_open(p, &r, &err), BF_ESTORE);
    assert_non_null(strstr(err.msg, "not a borderflow results store"));

    /* Another program's SQLite file. */
    snprintf(p, sizeof p, "%s/other.db", f->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x); INSERT INTO t VALUES (1)", NULL, NULL,
                                  NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(bf_report_open(p, &r, &err), BF_ESTORE);
    assert_non_null(strstr(err.msg, "not a borderflow results store"));

    /* A borderflow store of another schema version: a copy of ours with
     * the version changed. */
    snprintf(p, sizeof p, "%s/v99.db", f->dir);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", f->path, p);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE meta SET value = '99' WHERE key = "
                                      "'schema_version'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(bf_report_open(p, &r, &err), BF_ESTORE);
    assert_non_null(strstr(err.msg, "schema version 99"));

    assert_int_equal(bf_report_open(f->path, &r, &err), BF_OK);
    bf_report_close(r);
    bf_report_close(NULL);
}

static void test_report_runs(void **state)
{
    fixture *f = *state;
    bf_report *r;
    bf_error err;
    assert_int_equal(bf_report_open(f->path, &r, &err), BF_OK);
    int64_t id;
    assert_int_equal(bf_report_latest_run(r, &id, &err), BF_OK);
    assert_int_equal(id, 2);
    bf_report_run run;
    assert_int_equal(bf_report_run_get(r, 1, &run, &err), BF_OK);
    assert_string_equal(run.scenario, "unit");
    assert_string_equal(run.title, "Test title");
    assert_string_equal(run.seed, "7");
    assert_string_equal(run.status, "done");
    assert_int_equal(run.replications, N_REPS);
    assert_true(run.horizon_s == HORIZON);
    bf_report_run_fini(&run);
    assert_int_equal(bf_report_run_get(r, 99, &run, &err), BF_EINVAL);
    assert_non_null(strstr(err.msg, "no run 99 (runs: 1, 2)"));
    bf_report_run_fini(&run);
    bf_report_close(r);
}

/* ---- export -------------------------------------------------------------------- */

static char *export_text(bf_report *r, bf_export_what what, bf_export_format fmt,
                         const int64_t *runs, size_t n, bf_status *st)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    bf_export_spec spec = {.what = what, .format = fmt, .runs = runs, .n_runs = n};
    bf_error err;
    *st = bf_report_export(r, &spec, m, &err);
    fclose(m);
    /* A copy: GCC takes the memstream's buffer for a pointer into this
     * frame (-Wdangling-pointer). */
    char *copy = strdup(buf ? buf : "");
    free(buf);
    assert_non_null(copy);
    return copy;
}

static void test_report_export_summary_carries_provenance(void **state)
{
    fixture *f = *state;
    bf_report *r;
    bf_error err;
    assert_int_equal(bf_report_open(f->path, &r, &err), BF_OK);
    int64_t one = 1;
    bf_status st;
    char *t = export_text(r, BF_EXPORT_SUMMARY, BF_EXPORT_TSV, &one, 1, &st);
    assert_int_equal(st, BF_OK);
    assert_true(strncmp(t, "run_id\tscenario\toverrides\tscope_kind\tscope\tclass\tmetric\tunit\tn"
                           "\tmean\tsd\thalf_width\tci_low\tci_high\n",
                        strlen("run_id\tscenario\toverrides\tscope_kind")) == 0);
    /* The utilization row: mean of 0.60, 0.61, 0.62. */
    char want[128];
    snprintf(want, sizeof want, "1\tunit\tstation.desk.servers=2\tstation\tdesk\t\tutilization"
                                "\tshare\t3\t");
    char *p = strstr(t, want);
    assert_non_null(p);
    double mean = strtod(p + strlen(want), NULL);
    assert_true(fabs(mean - 0.61) < 1e-12);
    /* One line per key plus the header. */
    int lines = 0;
    for (const char *c = t; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, N_KEYS + 1);
    free(t);

    /* Both runs: the varied parameter becomes a column. */
    t = export_text(r, BF_EXPORT_SUMMARY, BF_EXPORT_CSV, NULL, 0, &st);
    assert_int_equal(st, BF_OK);
    assert_true(strncmp(t, "run_id,scenario,overrides,station.desk.servers,scope_kind", 57) == 0);
    assert_non_null(strstr(t, "\n2,unit,station.desk.servers=3,3,station,desk,,utilization,"));
    free(t);
    bf_report_close(r);
}

static void test_report_export_formats(void **state)
{
    fixture *f = *state;
    bf_report *r;
    bf_error err;
    assert_int_equal(bf_report_open(f->path, &r, &err), BF_OK);
    int64_t two = 2;
    bf_status st;
    char *t = export_text(r, BF_EXPORT_REPLICATIONS, BF_EXPORT_JSON, &two, 1, &st);
    assert_int_equal(st, BF_OK);
    assert_true(t[0] == '[');
    assert_non_null(strstr(t, "{\"run_id\":2,\"scenario\":\"unit\",\"overrides\":"
                              "\"station.desk.servers=3\",\"replication\":0,"
                              "\"scope_kind\":\"station\",\"scope\":\"desk\",\"class\":\"\","
                              "\"metric\":\"utilization\",\"unit\":\"share\",\"value\":0.4}"));
    assert_string_equal(t + strlen(t) - 3, "\n]\n");
    free(t);

    /* Time series: completed replications only, t in seconds. */
    t = export_text(r, BF_EXPORT_TIMESERIES, BF_EXPORT_TSV, &two, 1, &st);
    assert_int_equal(st, BF_OK);
    int lines = 0;
    for (const char *c = t; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, 1 + 3 * N_REPS * 49);
    assert_non_null(strstr(t, "\n2\tunit\tstation.desk.servers=3\t1\tstation\tdesk\tqueue_length"
                              "\t7200\t3\n"));
    free(t);

    /* Distributions: cumulative share reaches 1 in each key. */
    t = export_text(r, BF_EXPORT_DISTRIBUTIONS, BF_EXPORT_TSV, &two, 1, &st);
    assert_int_equal(st, BF_OK);
    assert_non_null(strstr(t, "\tclass\tvisitor\tvisitor\twait\ts\t0\t0.0009765625\t30\t0.25\n"));
    assert_non_null(strstr(t, "\tclass\tstaff\tstaff\twait\ts\t"));
    free(t);

    /* Runs: every run by default. */
    t = export_text(r, BF_EXPORT_RUNS, BF_EXPORT_CSV, NULL, 0, &st);
    assert_int_equal(st, BF_OK);
    assert_non_null(strstr(t, "\n1,"));
    assert_non_null(strstr(t, "\n2,"));
    free(t);

    /* A run that is not there: an error before any output. */
    int64_t bad = 7;
    t = export_text(r, BF_EXPORT_SUMMARY, BF_EXPORT_TSV, &bad, 1, &st);
    assert_int_equal(st, BF_EINVAL);
    assert_string_equal(t, "");
    free(t);
    bf_report_close(r);
}

static void test_report_export_quoting(void **state)
{
    (void)state;
    /* The writers' escaping, on a tiny private store of one parameter
     * with every awkward character. */
    fixture *f = *state;
    bf_report *r;
    bf_error err;
    char p[256];
    snprintf(p, sizeof p, "%s/q.db", f->dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", f->path, p);
    assert_int_equal(system(cmd), 0);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE parameters SET value = 'a,b \"c\"' || char(9) || "
                                      "'d' || char(10) || 'e\\f' WHERE run_id = 1 AND key = "
                                      "'simulation.title'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(bf_report_open(p, &r, &err), BF_OK);
    int64_t one = 1;
    bf_status st;
    char *t = export_text(r, BF_EXPORT_PARAMETERS, BF_EXPORT_TSV, &one, 1, &st);
    assert_non_null(strstr(t, "\tsimulation.title\ta,b \"c\"\\td\\ne\\\\f\n"));
    free(t);
    t = export_text(r, BF_EXPORT_PARAMETERS, BF_EXPORT_CSV, &one, 1, &st);
    assert_non_null(strstr(t, ",simulation.title,\"a,b \"\"c\"\"\td\ne\\f\"\n"));
    free(t);
    t = export_text(r, BF_EXPORT_PARAMETERS, BF_EXPORT_JSON, &one, 1, &st);
    assert_non_null(strstr(t, "\"value\":\"a,b \\\"c\\\"\\td\\ne\\\\f\""));
    free(t);
    bf_report_close(r);
}

/* ---- charts -------------------------------------------------------------------- */

static void test_report_chart_utilization_matches_store(void **state)
{
    fixture *f = *state;
    bf_report *r;
    bf_error err;
    assert_int_equal(bf_report_open(f->path, &r, &err), BF_OK);
    int64_t one = 1;
    bf_chart_spec spec = {.kind = BF_CHART_UTILIZATION, .runs = &one, .n_runs = 1,
                          .target = "85%"};
    bf_chart *c;
    assert_int_equal(bf_chart_build(r, &spec, &c, &err), BF_OK);
    assert_int_equal(bf_chart_n_series(c), 1);
    char *t = chart_data(f, c, "util");
    double v[8];
    char name[128];
    assert_int_equal(data_row(t, 0, 0, v, 8, name, 1), 7);
    assert_string_equal(name, "desk");
    double x[] = {0.60, 0.61, 0.62};
    assert_true(fabs(v[3] - 61.0) < 1e-9);
    assert_true(fabs((v[5] - v[3]) - 100 * ci_hw(x, 3)) < 1e-9);
    assert_true(v[6] == 2);
    free(t);
    /* The script sets the target line at 85 (percent) and is one file. */
    char p[256];
    snprintf(p, sizeof p, "%s/util.gp", f->dir);
    t = slurp(p);
    assert_non_null(strstr(t, "target_value = 85\n"));
    assert_non_null(strstr(t, "# ---- common.gp ----"));
    assert_non_null(strstr(t, "# ---- utilization.gp ----"));
    assert_non_null(strstr(t, "data_file = \"util.tsv\""));
    free(t);
    bf_chart_destroy(c);

    /* A target that is not a share. */
    spec.target = "10min";
    assert_int_equal(bf_chart_build(r, &spec, &c, &err), BF_EINVAL);
    assert_non_null(strstr(err.msg, "share"));
    bf_report_close(r);
}

static void test_report_chart_timeseries_folds_days(void **state)
{
    fixture *f = *state;
    bf_report *r;
    bf_error err;
    assert_int_equal(bf_report_open(f->path, &r, &err), BF_OK);
    bf_chart_spec spec = {.kind = BF_CHART_TIMESERIES};
    bf_chart *c;
    assert_int_equal(bf_chart_build(r, &spec, &c, &err), BF_OK);
    /* Default: the queues; one station. */
    assert_int_equal(bf_chart_n_series(c), 1);
    char *t = chart_data(f, c, "ts");
    /* Hour h: replications' values rep + h, rep = 0, 1, 2 -> mean 1 + h,
     * half-width t(0.975, 2) / sqrt(3). */
    double hw = bf_student_t_quantile(0.975, 2) / sqrt(3.0);
    for (int h = 0; h <= 24; h++) {
        double v[5];
        assert_int_equal(data_row(t, 0, h, v, 5, NULL, -1), 5);
        assert_true(v[0] == h);
        assert_true(fabs(v[1] - (1 + h % 24)) < 1e-12);
        assert_true(fabs(v[3] - v[1] - hw) < 1e-9);
        assert_true(v[4] == N_REPS);
    }
    free(t);
    bf_chart_destroy(c);

    /* Absolute: every sample time, warm-up included; two series named. */
    const char *scopes[] = {"zone", "system"};
    spec = (bf_chart_spec){.kind = BF_CHART_TIMESERIES, .absolute = true, .scopes = scopes,
                           .n_scopes = 2, .lang = "zh"};
    assert_int_equal(bf_chart_build(r, &spec, &c, &err), BF_OK);
    assert_int_equal(bf_chart_n_series(c), 2);
    assert_int_equal(bf_chart_n_rows(c), 2 * 49);
    t = chart_data(f, c, "tsa");
    double v[5];
    assert_int_equal(data_row(t, 0, 12, v, 5, NULL, -1), 5);
    assert_true(fabs(v[0] - 0.5) < 1e-12 && v[1] == 101);
    assert_int_equal(data_row(t, 1, 30, v, 5, NULL, -1), 5);
    assert_true(fabs(v[1] - 2 * (1 + 6)) < 1e-12);
    free(t);
    char p[256];
    snprintf(p, sizeof p, "%s/tsa.gp", f->dir);
    t = slurp(p);
    assert_non_null(strstr(t, "\"整个系统\""));
    assert_non_null(strstr(t, "font_name = \"Noto Sans CJK SC\""));
    free(t);
    bf_chart_destroy(c);

    /* Unknown names. */
    spec = (bf_chart_spec){.kind = BF_CHART_TIMESERIES, .metric = "queue_lenght"};
    assert_int_equal(bf_chart_build(r, &spec, &c, &err), BF_EINVAL);
    assert_non_null(strstr(err.msg, "did you mean 'queue_length'"));
    const char *bad[] = {"dsek"};
    spec = (bf_chart_spec){.kind = BF_CHART_TIMESERIES, .scopes = bad, .n_scopes = 1};
    assert_int_equal(bf_chart_build(r, &spec, &c, &err), BF_EINVAL);
    assert_non_null(strstr(err.msg, "did you mean 'desk'"));
    bf_report_close(r);
}

static void test_report_chart_cdf_from_pooled_histograms(void **state)
{
    fixture *f = *state;
    bf_report *r;
    bf_error err;
    assert_int_equal(bf_report_open(f->path, &r, &err), BF_OK);
    int64_t one = 1;
    bf_chart_spec spec = {.kind = BF_CHART_CDF, .runs = &one, .n_runs = 1, .target = "10min"};
    bf_chart *c;
    assert_int_equal(bf_chart_build(r, &spec, &c, &err), BF_OK);
    /* One curve per class. */
    assert_int_equal(bf_chart_n_series(c), 2);
    char *t = chart_data(f, c, "cdf");
    /* Visitors over 3 replications: 30 zero waits, 60 at 30 s, 30 at
     * 600 s: rows (0,0), then 25%, 75%, 100%. */
    double v[5];
    assert_int_equal(data_row(t, 0, 0, v, 5, NULL, -1), 5);
    assert_true(v[0] == 0 && v[1] == 0);
    assert_int_equal(data_row(t, 0, 1, v, 5, NULL, -1), 5);
    assert_true(v[1] == 25 && v[4] == 30 && v[2] == 0);
    assert_int_equal(data_row(t, 0, 2, v, 5, NULL, -1), 5);
    assert_true(v[1] == 75 && v[4] == 60 && v[2] <= 30 && v[3] > 30);
    assert_int_equal(data_row(t, 0, 3, v, 5, NULL, -1), 5);
    assert_true(v[1] == 100 && v[4] == 30);
    /* x in minutes (the p99 is 10 min). */
    assert_true(fabs(v[0] - v[3] / 60) < 1e-12);
    free(t);
    char p[256];
    snprintf(p, sizeof p, "%s/cdf.gp", f->dir);
    t = slurp(p);
    /* 600 s is inside the bucket holding 10 min: counted, since 600 is at
     * or past its midpoint?  It is the bucket's value itself, so the share
     * within 10 min is 75% or 100%; the legend says which. */
    assert_true(strstr(t, "visitor (100% within 10 min)") || strstr(t, "visitor (75% within 10 min)"));
    assert_non_null(strstr(t, "staff (100% within 10 min)"));
    free(t);
    bf_chart_destroy(c);

    /* Two runs: one curve each for one class. */
    int64_t both[] = {1, 2};
    const char *cls[] = {"visitor"};
    spec = (bf_chart_spec){.kind = BF_CHART_CDF, .runs = both, .n_runs = 2, .scopes = cls,
                           .n_scopes = 1};
    assert_int_equal(bf_chart_build(r, &spec, &c, &err), BF_OK);
    assert_int_equal(bf_chart_n_series(c), 2);
    snprintf(p, sizeof p, "%s/cdf2.gp", f->dir);
    t = chart_data(f, c, "cdf2");
    free(t);
    t = slurp(p);
    assert_non_null(strstr(t, "\"run 1: station.desk.servers=2\", \"run 2: "
                              "station.desk.servers=3\""));
    free(t);
    bf_chart_destroy(c);

    spec = (bf_chart_spec){.kind = BF_CHART_CDF, .metric = "throughput"};
    assert_int_equal(bf_chart_build(r, &spec, &c, &err), BF_EINVAL);
    assert_non_null(strstr(err.msg, "wait, time_in_system, clearance or dwell"));
    bf_report_close(r);
}

static void test_report_chart_compare_paired_difference(void **state)
{
    fixture *f = *state;
    bf_report *r;
    bf_error err;
    assert_int_equal(bf_report_open(f->path, &r, &err), BF_OK);
    /* Default pair: the latest run and the one before it. */
    const char *scopes[] = {"desk"};
    bf_chart_spec spec = {.kind = BF_CHART_COMPARE, .metric = "wait_mean", .scopes = scopes,
                          .n_scopes = 1};
    bf_chart *c;
    assert_int_equal(bf_chart_build(r, &spec, &c, &err), BF_OK);
    assert_int_equal(bf_chart_n_series(c), 2);
    char *t = chart_data(f, c, "cmp");
    double v[10];
    char label[128];
    /* Base: 100, 107, 114 s; policy minus base: -10, -11, -12 s.  Shown
     * in seconds (all values under 90 s? no: 114 s -> minutes). */
    assert_int_equal(data_row(t, 0, 0, v, 10, NULL, -1), 10);
    assert_true(fabs(v[2] - 107.0 / 60) < 1e-12);
    assert_int_equal(data_row(t, 1, 0, v, 10, label, 9), 10);
    double d[] = {-10, -11, -12};
    assert_true(fabs(v[5] - (-11.0 / 60)) < 1e-12);
    assert_true(fabs((v[7] - v[5]) - ci_hw(d, 3) / 60) < 1e-12);
    assert_non_null(strstr(label, "−0.18"));
    free(t);
    bf_chart_destroy(c);

    int64_t one = 1;
    spec = (bf_chart_spec){.kind = BF_CHART_COMPARE, .runs = &one, .n_runs = 1};
    assert_int_equal(bf_chart_build(r, &spec, &c, &err), BF_EINVAL);
    assert_non_null(strstr(err.msg, "two runs"));
    bf_report_close(r);
}

static void test_report_chart_sweep(void **state)
{
    fixture *f = *state;
    bf_report *r;
    bf_error err;
    assert_int_equal(bf_report_open(f->path, &r, &err), BF_OK);
    int64_t both[] = {2, 1};
    bf_chart_spec spec = {.kind = BF_CHART_SWEEP, .runs = both, .n_runs = 2,
                          .metric = "utilization", .scopes = (const char *[]){"desk"},
                          .n_scopes = 1, .target = "50%"};
    bf_chart *c;
    assert_int_equal(bf_chart_build(r, &spec, &c, &err), BF_OK);
    assert_int_equal(bf_chart_n_series(c), 1);
    char *t = chart_data(f, c, "sweep");
    double v[7];
    char value[64];
    /* Sorted by x: servers 2 then 3. */
    assert_int_equal(data_row(t, 0, 0, v, 7, value, 5), 7);
    assert_true(v[0] == 2 && fabs(v[1] - 61) < 1e-9 && v[6] == 1);
    assert_string_equal(value, "2");
    assert_int_equal(data_row(t, 0, 1, v, 7, NULL, -1), 7);
    assert_true(v[0] == 3 && fabs(v[1] - 41) < 1e-9 && v[6] == 2);
    free(t);
    bf_chart_destroy(c);

    /* One run is not a sweep; an unknown parameter on x is named. */
    int64_t one = 1;
    spec = (bf_chart_spec){.kind = BF_CHART_SWEEP, .runs = &one, .n_runs = 1};
    assert_int_equal(bf_chart_build(r, &spec, &c, &err), BF_ESTATE);
    spec = (bf_chart_spec){.kind = BF_CHART_SWEEP, .runs = both, .n_runs = 2,
                           .vary = "station.desk.server"};
    assert_int_equal(bf_chart_build(r, &spec, &c, &err), BF_EINVAL);
    assert_non_null(strstr(err.msg, "did you mean 'station.desk.servers'"));
    spec = (bf_chart_spec){.kind = BF_CHART_SWEEP, .runs = both, .n_runs = 2,
                           .metric = "wait_p59"};
    assert_int_equal(bf_chart_build(r, &spec, &c, &err), BF_EINVAL);
    assert_non_null(strstr(err.msg, "did you mean 'wait_p95'"));
    bf_report_close(r);
}

static void test_report_render_and_missing_gnuplot(void **state)
{
    fixture *f = *state;
    bf_report *r;
    bf_error err;
    assert_int_equal(bf_report_open(f->path, &r, &err), BF_OK);
    bf_chart_spec spec = {.kind = BF_CHART_UTILIZATION};
    bf_chart *c;
    assert_int_equal(bf_chart_build(r, &spec, &c, &err), BF_OK);
    char out[256];
    snprintf(out, sizeof out, "%s/u.png", f->dir);
    /* No gnuplot: a message naming the Debian package, and no file. */
    assert_int_equal(bf_chart_render(c, template_dir(), "/nonexistent/gnuplot", out, &err),
                     BF_EIO);
    assert_non_null(strstr(err.msg, "gnuplot-nox"));
    assert_int_equal(access(out, F_OK), -1);
    assert_int_equal(bf_gnuplot_check("/nonexistent/gnuplot", &err), BF_EIO);
    /* Not a chart format. */
    snprintf(out, sizeof out, "%s/u.gif", f->dir);
    assert_int_equal(bf_chart_render(c, template_dir(), NULL, out, &err), BF_EINVAL);
    /* With gnuplot, when it is installed: every format, by magic bytes. */
    if (bf_gnuplot_check(NULL, &err) == BF_OK) {
        static const char *const ext[] = {"png", "svg", "pdf"};
        static const char *const magic[] = {"\x89PNG", "<svg", "%PDF"};
        for (int i = 0; i < 3; i++) {
            snprintf(out, sizeof out, "%s/u.%s", f->dir, ext[i]);
            assert_int_equal(bf_chart_render(c, template_dir(), NULL, out, &err), BF_OK);
            char *t = slurp(out);
            assert_non_null(t);
            assert_non_null(strstr(t, magic[i]));
            free(t);
        }
    } else {
        print_message("gnuplot not installed: rendering not tested\n");
    }
    bf_chart_destroy(c);
    bf_report_close(r);
}

static void test_report_briefing_without_gnuplot_fails_cleanly(void **state)
{
    fixture *f = *state;
    bf_report *r;
    bf_error err;
    assert_int_equal(bf_report_open(f->path, &r, &err), BF_OK);
    char dir[256];
    snprintf(dir, sizeof dir, "%s/brief", f->dir);
    bf_briefing_spec bs = {.template_dir = template_dir(), .gnuplot = "/nonexistent/gnuplot"};
    assert_int_equal(bf_report_briefing(r, &bs, dir, NULL, &err), BF_EIO);
    assert_non_null(strstr(err.msg, "gnuplot-nox"));
    if (bf_gnuplot_check(NULL, &err) == BF_OK) {
        bs.gnuplot = NULL;
        bs.store_arg = "results.db";
        bs.command_line = "borderflow report results.db --out brief";
        size_t n = 0;
        assert_int_equal(bf_report_briefing(r, &bs, dir, &n, &err), BF_OK);
        assert_true(n >= 3);
        char p[300];
        snprintf(p, sizeof p, "%s/summary.md", dir);
        char *t = slurp(p);
        assert_non_null(t);
        assert_non_null(strstr(t, "| desk |"));
        assert_non_null(strstr(t, "borderflow plot results.db --run 2 --chart utilization"));
        assert_non_null(strstr(t, "borderflow run unit.ini -s x"));
        free(t);
        snprintf(p, sizeof p, "%s/index.html", dir);
        t = slurp(p);
        assert_non_null(strstr(t, "<img src=\"charts/utilization.png\""));
        assert_null(strstr(t, "http"));
        free(t);
    }
    bf_report_close(r);
}

/* Every allocation of a chart build and an export may fail: the result is
 * BF_ENOMEM (or success) and nothing leaks (the ASan build checks). */
static void test_report_alloc_failures(void **state)
{
    fixture *f = *state;
    bf_report *r;
    bf_error err;
    assert_int_equal(bf_report_open(f->path, &r, &err), BF_OK);
    int64_t both[] = {1, 2};
    bf_chart_spec specs[] = {
        {.kind = BF_CHART_UTILIZATION},
        {.kind = BF_CHART_TIMESERIES},
        {.kind = BF_CHART_CDF, .target = "1min"},
        {.kind = BF_CHART_COMPARE, .runs = both, .n_runs = 2},
        {.kind = BF_CHART_SWEEP, .runs = both, .n_runs = 2},
    };
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        bf_chart *c = NULL;
        bf_alloc_fail_after(-1);
        assert_int_equal(bf_chart_build(r, &specs[k], &c, &err), BF_OK);
        long total = bf_alloc_fail_after(-1);
        bf_chart_destroy(c);
        assert_true(total > 0);
        for (long n = 0; n < total; n++) {
            bf_alloc_fail_after(n);
            bf_status st = bf_chart_build(r, &specs[k], &c, &err);
            bf_alloc_fail_after(-1);
            assert_true(st == BF_OK || st == BF_ENOMEM);
            bf_chart_destroy(c);
            c = NULL;
        }
    }
    for (int w = BF_EXPORT_SUMMARY; w <= BF_EXPORT_RUNS; w++) {
        bf_status st;
        bf_alloc_fail_after(-1);
        char *t = export_text(r, (bf_export_what)w, BF_EXPORT_TSV, NULL, 0, &st);
        long total = bf_alloc_fail_after(-1);
        free(t);
        assert_int_equal(st, BF_OK);
        for (long n = 0; n < total; n++) {
            bf_alloc_fail_after(n);
            t = export_text(r, (bf_export_what)w, BF_EXPORT_TSV, NULL, 0, &st);
            bf_alloc_fail_after(-1);
            free(t);
            assert_true(st == BF_OK || st == BF_ENOMEM);
        }
    }
    bf_report_close(r);
}

static void test_report_names(void **state)
{
    (void)state;
    bf_chart_kind k;
    assert_int_equal(bf_chart_kind_parse("cdf", &k), 0);
    assert_int_equal(k, BF_CHART_CDF);
    assert_int_equal(bf_chart_kind_parse("pie", &k), -1);
    assert_string_equal(bf_chart_kind_name(BF_CHART_UTILIZATION), "utilization");
    assert_string_equal(bf_chart_format_of("a/b.PNG"), "png");
    assert_string_equal(bf_chart_format_of("x.svg"), "svg");
    assert_string_equal(bf_chart_format_of("x.pdf"), "pdf");
    assert_null(bf_chart_format_of("x.png/y"));
    assert_null(bf_chart_format_of("x"));
    bf_export_what w;
    assert_int_equal(bf_export_what_parse("timeseries", &w), 0);
    assert_int_equal(w, BF_EXPORT_TIMESERIES);
    assert_int_equal(bf_export_what_parse("time", &w), -1);
    bf_export_format fmt;
    assert_int_equal(bf_export_format_parse("json", &fmt), 0);
    assert_int_equal(fmt, BF_EXPORT_JSON);
    /* gnuplot string quoting: backslashes, quotes and newlines. */
    sbuf b = {0};
    bf__gp_string(&b, "a \"b\" \\ c\nd");
    assert_string_equal(bf__sbuf_str(&b), "\"a \\\"b\\\" \\\\ c\\nd\"");
    bf__sbuf_fini(&b);
    /* Shortest exact numbers. */
    char buf[40];
    bf__fmt_exact(buf, sizeof buf, 0.1);
    assert_string_equal(buf, "0.1");
    bf__fmt_exact(buf, sizeof buf, 1.0 / 3);
    assert_true(strtod(buf, NULL) == 1.0 / 3);
}

/* Briefing cells: a time in the unit its mean calls for, and a nil time
 * or number printed as 0 (as the summary of `run` prints them), not as
 * 0.000306 ± 0.00064 s or 5.01e-07 ± 1e-06. */
static void test_report_cell_formats(void **state)
{
    (void)state;
    char b[64];
    bf__fmt_time(b, sizeof b, 1307.34, 34.75);
    assert_string_equal(b, "21.8 ± 0.58 min");
    bf__fmt_time(b, sizeof b, 0.000306, 0.00064);
    assert_string_equal(b, "0 s");
    bf__fmt_time(b, sizeof b, 0.04, 0.2); /* an interval that is not nil */
    assert_string_equal(b, "0.04 ± 0.2 s");
    bf__fmt_time(b, sizeof b, NAN, NAN);
    assert_string_equal(b, "–");
    bf__fmt_num(b, sizeof b, 5.01e-07, 1e-06, "%.3g");
    assert_string_equal(b, "0");
    bf__fmt_num(b, sizeof b, 0.536, 0.089, "%.3g");
    assert_string_equal(b, "0.536 ± 0.089");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_names),
        cmocka_unit_test_setup_teardown(test_report_open_refuses_what_is_not_a_store, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_export_summary_carries_provenance, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_export_formats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_export_quoting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_chart_utilization_matches_store, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_chart_timeseries_folds_days, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_chart_cdf_from_pooled_histograms, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_chart_compare_paired_difference, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_chart_sweep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_render_and_missing_gnuplot, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_briefing_without_gnuplot_fails_cleanly,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_alloc_failures, setup, teardown),
        cmocka_unit_test(test_report_cell_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
