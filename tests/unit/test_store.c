/*
 * test_store.c - the results store: what goes in comes back out through
 * plain SQL and the views, nothing stored is ever overwritten, files that
 * are not our stores are refused with a message that names them, and
 * every failure (including out-of-memory inside SQLite) leaves a store
 * that passes its own check and SQLite's integrity check.
 *
 * Every test works in its own mkdtemp directory under /tmp.  SQLite's
 * allocator is routed through bf_malloc (main), so bf_alloc_fail_after
 * reaches inside SQLite too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "borderflow/store.h"
#include "store/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- fixture: a fresh directory per test ------------------------------ */

typedef struct fixture {
    char dir[64];
    char path[160]; /* dir/results.db, not created */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/bf_store_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/results.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    chmod(f->dir, 0700);
    DIR *d = opendir(f->dir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
            if (unlink(p) != 0)
                rmdir(p); /* the empty "locked" directory */
        }
        closedir(d);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* ---- plain-SQL helpers (a second, raw connection) --------------------- */

static sqlite3 *raw_open(const char *path)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK)
        fail_msg("cannot open %s: %s", path, sqlite3_errstr(rc));
    return db;
}

/* Every row of sql as "a|b|c\n" lines; NULL prints as NULL, reals with
 * %.15g.  The buffer is static: use the result before the next call. */
static const char *rows(sqlite3 *db, const char *sql)
{
    static char buf[16384];
    size_t w = 0;
    sqlite3_stmt *q;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("SQL error in \"%s\": %s", sql, sqlite3_errmsg(db));
    while (sqlite3_step(q) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(q); c++) {
            const char *sep = c ? "|" : "";
            switch (sqlite3_column_type(q, c)) {
            case SQLITE_NULL:
                w += (size_t)snprintf(buf + w, sizeof buf - w, "%sNULL", sep);
                break;
            case SQLITE_FLOAT:
                w += (size_t)snprintf(buf + w, sizeof buf - w, "%s%.15g", sep,
                                      sqlite3_column_double(q, c));
                break;
            default:
                w += (size_t)snprintf(buf + w, sizeof buf - w, "%s%s", sep,
                                      (const char *)sqlite3_column_text(q, c));
            }
            assert_true(w < sizeof buf);
        }
        w += (size_t)snprintf(buf + w, sizeof buf - w, "\n");
        assert_true(w < sizeof buf);
    }
    sqlite3_finalize(q);
    return buf;
}

static int64_t q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("SQL error in \"%s\": %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

static double q_double(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("SQL error in \"%s\": %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    double v = sqlite3_column_double(q, 0);
    sqlite3_finalize(q);
    return v;
}

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        char copy[256];
        snprintf(copy, sizeof copy, "%s", msg ? msg : "?");
        sqlite3_free(msg);
        fail_msg("SQL error in \"%s\": %s", sql, copy);
    }
}

static void expect_has(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("expected \"%s\" in \"%s\"", needle, hay);
}

/* SQLite's integrity check plus the store's own invariants. */
static void assert_store_sound(const char *path)
{
    sqlite3 *db = raw_open(path);
    assert_string_equal(rows(db, "PRAGMA integrity_check"), "ok\n");
    assert_string_equal(rows(db, "PRAGMA foreign_key_check"), "");
    sqlite3_close(db);

    bf_store *s = NULL;
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(bf_store_open(path, &s, &err), BF_OK);
    if (bf__store_check(s, &err) != BF_OK)
        fail_msg("%s", err.msg);
    bf_store_close(s);
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* The whole file as a malloc'ed string (for "left untouched" checks). */
static char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *b = malloc((size_t)len + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)len, fp), (size_t)len);
    fclose(fp);
    *n = (size_t)len;
    return b;
}

/* ---- a small run to store ------------------------------------------- */

static const char SCENARIO[] =
    "; Hetao Shenzhen Park, baseline (illustrative)\n"
    "[simulation]\nhorizon = 8d\nreplications = 2\nseed = 20230905\n";

static const char *const PARAM_KEYS[] = {"simulation.seed",
                                         "station fl_check.servers"};
static const char *const PARAM_VALUES[] = {"20230905", "10"};

static const bf_store_key KEYS[] = {
    {"station", "fl_check", "researcher", "wait_mean", "s"},
    {"station", "sl_check", "material", "wait_p95", "s"},
    {"system", "", "", "throughput", "1/h"},
};
enum { N_KEYS = sizeof KEYS / sizeof KEYS[0] };

static const bf_store_series SERIES[] = {
    {"station", "fl_check", "queue_length"},
    {"delay", "zone", "in_zone"},
};
enum { N_SERIES = sizeof SERIES / sizeof SERIES[0] };

/* Replication r's metric values, compared bit for bit after the round
 * trip. */
static const double VALUES[2][N_KEYS] = {
    {41.385, 812.25, 238.0625},
    {44.917, 790.5, 241.8125},
};

static bf_run_record record(const char *overrides, uint64_t seed)
{
    bf_run_record r = {
        .scenario_name = "hetao-baseline",
        .scenario_path = "scenarios/hetao-baseline.ini",
        .scenario_text = SCENARIO,
        .overrides = overrides,
        .command_line = "borderflow run scenarios/hetao-baseline.ini",
        .seed = seed,
        .replications = 2,
        .horizon_s = 691200.0,
        .warmup_s = 86400.0,
        .sample_every_s = 900.0,
        .param_keys = PARAM_KEYS,
        .param_values = PARAM_VALUES,
        .n_params = 2,
    };
    return r;
}

static bf_status begin(bf_store *s, const char *overrides, int64_t *id,
                       bf_error *err)
{
    bf_run_record r = record(overrides, 20230905);
    return bf_store_begin_run(s, &r, KEYS, N_KEYS, SERIES, N_SERIES, id, err);
}

/* Samples of replication rep: both series at t = 0, 900, 1800. */
static void make_samples(int rep, bf_store_sample out[6])
{
    for (int i = 0; i < 6; i++) {
        out[i].t = 900.0 * (i / 2);
        out[i].series = (uint32_t)(i % 2);
        out[i].value = 3.25 * (i + 1) + rep;
    }
}

/* The aggregates the store must compute from VALUES: bf_ci95 over the
 * replications in order, bit for bit. */
static void make_ci(bf_ci out[N_KEYS])
{
    for (int k = 0; k < N_KEYS; k++) {
        double x[2] = {VALUES[0][k], VALUES[1][k]};
        out[k] = bf_ci95(x, 2);
    }
}

/* A complete run: begin, series and metrics of two replications, a
 * histogram with replication 0, finish.  Returns its id. */
static int64_t store_full_run(bf_store *s, const char *overrides)
{
    bf_error err;
    bf_error_clear(&err);
    int64_t id = 0;
    assert_int_equal(begin(s, overrides, &id, &err), BF_OK);
    bf_hist h;
    bf_hist_init(&h);
    bf_hist_add(&h, 2.385);
    bf_store_hist hs = {0, &h};
    for (int r = 0; r < 2; r++) {
        bf_store_sample smp[6];
        make_samples(r, smp);
        assert_int_equal(bf_store_add_series(s, id, r, smp, 6, &err), BF_OK);
        assert_int_equal(bf_store_add_replication(s, id, r, 123456789u + r,
                                                  1.5 + r, VALUES[r], &hs, r == 0,
                                                  &err),
                         BF_OK);
    }
    assert_int_equal(bf_store_finish_run(s, id, "done", &err), BF_OK);
    return id;
}

/* ---- tests ------------------------------------------------------------ */

static void test_store_hash_known_answer(void **state)
{
    (void)state;
    char h[17];
    /* Reference values from an independent FNV-1a 64 implementation
     * (Python); FNV-1a("a") = af63dc4c8601ec8c is the published vector,
     * and ("", "") is the hash of the single separator byte 0. */
    bf_store_hash_hex("", "", h);
    assert_string_equal(h, "af63bd4c8601b7df");
    bf_store_hash_hex("[simulation]\nseed = 7\n", "simulation.seed=8", h);
    assert_string_equal(h, "18404a84d8c9b71a");
    /* The separator keeps the split between text and overrides. */
    bf_store_hash_hex("ab", "", h);
    assert_string_equal(h, "e72003190541fc1e");
    bf_store_hash_hex("a", "b", h);
    assert_string_equal(h, "e5d29919042666b2");
    bf_store_hash_hex(NULL, NULL, h);
    assert_string_equal(h, "af63bd4c8601b7df");
}

static void test_store_round_trip(void **state)
{
    fixture *f = *state;
    bf_store *s = NULL;
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_OK);
    int64_t id = store_full_run(s, "");
    assert_int_equal(id, 1);
    bf_store_close(s);

    sqlite3 *db = raw_open(f->path);
    assert_string_equal(rows(db, "SELECT key, value FROM meta"
                                 " WHERE key <> 'created_at' ORDER BY key"),
                        "application|borderflow\nschema_version|2\n");
    assert_string_equal(rows(db, "PRAGMA journal_mode"), "wal\n");
    assert_int_equal(q_int(db, "PRAGMA application_id"),
                     BF__STORE_APPLICATION_ID);

    char hash[17], sql[256];
    bf_store_hash_hex(SCENARIO, "", hash);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM scenarios WHERE id = 1 AND hash = '%s'"
             " AND name = 'hetao-baseline'"
             " AND path = 'scenarios/hetao-baseline.ini'", hash);
    assert_int_equal(q_int(db, sql), 1);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT text FROM scenarios", -1,
                                        &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), SCENARIO);
    sqlite3_finalize(q);

    char want[300];
    snprintf(want, sizeof want,
             "1|1|done|20230905|2|691200|86400|900||"
             "borderflow run scenarios/hetao-baseline.ini|%s|%s\n",
             bf_version(), bf_source_revision());
    assert_string_equal(
        rows(db, "SELECT id, scenario_id, status, seed, replications_planned,"
                 " horizon_s, warmup_s, sample_every_s, overrides,"
                 " command_line, borderflow_version, source_revision"
                 " FROM runs"),
        want);
    /* Provenance: times are ISO-8601 UTC, in order; the host is named;
     * the uid is 32 hex digits. */
    assert_int_equal(
        q_int(db, "SELECT count(*) FROM runs WHERE"
                  " started_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
                  "T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'"
                  " AND finished_at >= started_at AND hostname <> ''"
                  " AND length(uid) = 32 AND source_revision <> ''"),
        1);
    /* TEXT affinity turns the integer literal into text. */
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs"
                               " WHERE seed = 20230905"), 1);
    assert_string_equal(rows(db, "SELECT run_id, key, value FROM parameters"
                                 " ORDER BY key"),
                        "1|simulation.seed|20230905\n"
                        "1|station fl_check.servers|10\n");
    assert_string_equal(
        rows(db, "SELECT * FROM metric_keys ORDER BY key_index"),
        "1|0|station|fl_check|researcher|wait_mean|s\n"
        "1|1|station|sl_check|material|wait_p95|s\n"
        "1|2|system|||throughput|1/h\n");
    assert_string_equal(rows(db, "SELECT * FROM series_keys"),
                        "1|0|station|fl_check|queue_length\n"
                        "1|1|delay|zone|in_zone\n");
    assert_string_equal(
        rows(db, "SELECT run_id, replication, events, wall_s FROM replications"
                 " ORDER BY replication"),
        "1|0|123456789|1.5\n1|1|123456790|2.5\n");
    /* Values come back bit for bit. */
    for (int r = 0; r < 2; r++) {
        for (int k = 0; k < N_KEYS; k++) {
            snprintf(sql, sizeof sql,
                     "SELECT value FROM rep_metrics WHERE run_id = 1"
                     " AND replication = %d AND key_index = %d", r, k);
            assert_true(q_double(db, sql) == VALUES[r][k]);
        }
    }
    assert_int_equal(q_int(db, "SELECT count(*) FROM rep_metrics"), 6);
    assert_int_equal(q_int(db, "SELECT count(*) FROM timeseries"), 12);
    assert_string_equal(
        rows(db, "SELECT t, value FROM timeseries WHERE replication = 1"
                 " AND series_index = 1 ORDER BY t"),
        "0|7.5\n900|14\n1800|20.5\n");

    bf_ci ci[N_KEYS];
    make_ci(ci);
    for (int k = 0; k < N_KEYS; k++) {
        static const char *const COLS[] = {"mean", "sd", "half_width",
                                           "ci_low", "ci_high"};
        double expect[] = {ci[k].mean, ci[k].sd, ci[k].half_width,
                           ci[k].mean - ci[k].half_width,
                           ci[k].mean + ci[k].half_width};
        for (int c = 0; c < 5; c++) {
            snprintf(sql, sizeof sql,
                     "SELECT %s FROM aggregates WHERE run_id = 1"
                     " AND key_index = %d", COLS[c], k);
            assert_true(q_double(db, sql) == expect[c]);
        }
        snprintf(sql, sizeof sql,
                 "SELECT n FROM aggregates WHERE run_id = 1 AND key_index = %d",
                 k);
        assert_int_equal(q_int(db, sql), 2);
    }
    /* 2.385 lies in [2 (1 + 12/64), 2 (1 + 13/64)). */
    assert_string_equal(rows(db, "SELECT * FROM distributions"),
                        "1|0|2.375|2.40625|1\n");
    sqlite3_close(db);

    assert_store_sound(f->path);
    /* Closing the last connection checkpointed the WAL away. */
    char wal[200];
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    assert_int_equal(access(wal, F_OK), -1);
}

static void test_store_views_return_names(void **state)
{
    fixture *f = *state;
    bf_store *s = NULL;
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_OK);
    int64_t id = 0;
    assert_int_equal(begin(s, "", &id, &err), BF_OK);
    bf_store_sample smp[6];
    make_samples(0, smp);
    assert_int_equal(bf_store_add_series(s, id, 0, smp, 6, &err), BF_OK);
    assert_int_equal(bf_store_add_replication(s, id, 0, 99, 0.25, VALUES[0], NULL, 0,
                                              &err), BF_OK);
    /* Replication 1 wrote samples but never completed. */
    make_samples(1, smp);
    assert_int_equal(bf_store_add_series(s, id, 1, smp, 6, &err), BF_OK);
    assert_int_equal(bf_store_finish_run(s, id, "canceled", &err), BF_OK);
    bf_store_close(s);

    sqlite3 *db = raw_open(f->path);
    assert_string_equal(
        rows(db, "SELECT * FROM v_rep_metrics ORDER BY metric"),
        "1|0|system|||throughput|1/h|238.0625\n"
        "1|0|station|fl_check|researcher|wait_mean|s|41.385\n"
        "1|0|station|sl_check|material|wait_p95|s|812.25\n");
    /* A canceled run has aggregates over what it stored: one
     * replication, so no interval. */
    assert_string_equal(
        rows(db, "SELECT run_id, scope, class, metric, unit, n, mean FROM"
                 " v_aggregates WHERE ci_low IS NULL AND half_width IS NULL"
                 " ORDER BY metric"),
        "1|||throughput|1/h|1|238.0625\n"
        "1|fl_check|researcher|wait_mean|s|1|41.385\n"
        "1|sl_check|material|wait_p95|s|1|812.25\n");
    assert_string_equal(
        rows(db, "SELECT * FROM v_timeseries WHERE metric = 'in_zone'"
                 " ORDER BY t"),
        "1|0|delay|zone|in_zone|0|6.5\n"
        "1|0|delay|zone|in_zone|900|13\n"
        "1|0|delay|zone|in_zone|1800|19.5\n");
    /* The orphan samples are in the table, not in the view. */
    assert_int_equal(q_int(db, "SELECT count(*) FROM timeseries"), 12);
    assert_int_equal(q_int(db, "SELECT count(*) FROM v_timeseries"), 6);
    assert_string_equal(
        rows(db, "SELECT run_id, scenario, status, seed, replications_planned,"
                 " replications_done FROM v_runs"),
        "1|hetao-baseline|canceled|20230905|2|1\n");
    assert_string_equal(rows(db, "SELECT * FROM v_distributions"), "");
    sqlite3_close(db);
    assert_store_sound(f->path);
}

static void test_store_reopen_adds_run_keeps_first(void **state)
{
    fixture *f = *state;
    bf_store *s = NULL;
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_OK);
    assert_int_equal(store_full_run(s, ""), 1);
    bf_store_close(s);

    /* Everything of run 1, for comparing after the second run. */
    static const char DUMP[] =
        "SELECT 'runs', id, uid, status, started_at, finished_at FROM runs"
        " WHERE id = 1 UNION ALL"
        " SELECT 'rep', run_id, replication, events, wall_s, completed_at"
        "  FROM replications WHERE run_id = 1 UNION ALL"
        " SELECT 'met', run_id, replication, key_index, value, NULL"
        "  FROM rep_metrics WHERE run_id = 1 UNION ALL"
        " SELECT 'agg', run_id, key_index, mean, half_width, ci_low"
        "  FROM aggregates WHERE run_id = 1 UNION ALL"
        " SELECT 'ts', run_id, replication, series_index, t, value"
        "  FROM timeseries WHERE run_id = 1 UNION ALL"
        " SELECT 'dist', run_id, key_index, lo, hi, count"
        "  FROM distributions WHERE run_id = 1";
    sqlite3 *db = raw_open(f->path);
    char *before = strdup(rows(db, DUMP));
    sqlite3_close(db);
    assert_non_null(before);

    assert_int_equal(bf_store_open(f->path, &s, &err), BF_OK);
    assert_int_equal(store_full_run(s, ""), 2);
    /* Other overrides: another effective scenario. */
    assert_int_equal(store_full_run(s, "station fl_check.servers=12\n"), 3);
    bf_store_close(s);

    db = raw_open(f->path);
    assert_string_equal(rows(db, DUMP), before);
    free(before);
    /* One scenario row per file text; the overrides are the run's. */
    assert_string_equal(rows(db, "SELECT id, scenario_id, overrides FROM runs"),
                        "1|1|\n2|1|\n3|1|station fl_check.servers=12\n\n");
    assert_int_equal(q_int(db, "SELECT count(DISTINCT uid) FROM runs"), 3);
    assert_int_equal(q_int(db, "SELECT count(*) FROM rep_metrics"), 18);
    sqlite3_close(db);
    assert_store_sound(f->path);
}

static void test_store_duplicate_replication_refused(void **state)
{
    fixture *f = *state;
    bf_store *s = NULL;
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_OK);
    int64_t id = 0;
    assert_int_equal(begin(s, "", &id, &err), BF_OK);
    assert_int_equal(bf_store_add_replication(s, id, 0, 10, 0.5, VALUES[0], NULL, 0,
                                              &err), BF_OK);
    assert_int_equal(bf_store_add_replication(s, id, 0, 20, 0.75, VALUES[1], NULL, 0,
                                              &err), BF_ESTORE);
    expect_has(err.msg, f->path);
    expect_has(err.msg, "replication 0 of run 1");
    expect_has(err.msg, "already stored");
    /* Samples for a stored replication are refused too. */
    bf_store_sample smp[6];
    make_samples(0, smp);
    assert_int_equal(bf_store_add_series(s, id, 0, smp, 6, &err), BF_ESTORE);
    expect_has(err.msg, "already stored as complete");
    /* The handle is still usable. */
    assert_int_equal(bf_store_add_replication(s, id, 1, 30, 0.5, VALUES[1], NULL, 0,
                                              &err), BF_OK);
    bf_store_close(s);

    sqlite3 *db = raw_open(f->path);
    assert_string_equal(rows(db, "SELECT replication, events, wall_s FROM"
                                 " replications ORDER BY replication"),
                        "0|10|0.5\n1|30|0.5\n");
    assert_true(q_double(db, "SELECT value FROM rep_metrics WHERE"
                             " replication = 0 AND key_index = 0") ==
                VALUES[0][0]);
    assert_int_equal(q_int(db, "SELECT count(*) FROM timeseries"), 0);
    sqlite3_close(db);
    assert_store_sound(f->path);
}

static void test_store_open_text_file(void **state)
{
    fixture *f = *state;
    static const char TEXT[] = "[simulation]\nhorizon = 8d\n"
                               "; not a database, an INI file given by mistake\n";
    write_file(f->path, TEXT);
    bf_store *s = (bf_store *)&s; /* must be set to NULL */
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_ESTORE);
    assert_null(s);
    expect_has(err.msg, f->path);
    expect_has(err.msg, "is not a borderflow results store");
    expect_has(err.msg, "not an SQLite database");
    size_t n;
    char *after = slurp(f->path, &n);
    assert_int_equal(n, strlen(TEXT));
    assert_memory_equal(after, TEXT, n);
    free(after);
}

static void test_store_open_empty_file_is_new(void **state)
{
    fixture *f = *state;
    write_file(f->path, "");
    bf_store *s = NULL;
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_OK);
    assert_int_equal(store_full_run(s, ""), 1);
    bf_store_close(s);
    assert_store_sound(f->path);
}

static void test_store_open_wrong_schema_version(void **state)
{
    fixture *f = *state;
    bf_store *s = NULL;
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_OK);
    bf_store_close(s);

    sqlite3 *db = raw_open(f->path);
    exec_ok(db, "UPDATE meta SET value = '7' WHERE key = 'schema_version'");
    sqlite3_close(db);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_ESTORE);
    assert_null(s);
    char want[300];
    snprintf(want, sizeof want,
             "%s has schema version 7; this borderflow writes version %d",
             f->path, BF_STORE_SCHEMA_VERSION);
    expect_has(err.msg, want);
    expect_has(err.msg, "newer borderflow");

    db = raw_open(f->path);
    exec_ok(db, "UPDATE meta SET value = '0' WHERE key = 'schema_version'");
    sqlite3_close(db);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_ESTORE);
    expect_has(err.msg, "has schema version 0;");

    db = raw_open(f->path);
    exec_ok(db, "DELETE FROM meta WHERE key = 'schema_version'");
    sqlite3_close(db);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_ESTORE);
    expect_has(err.msg, f->path);
    expect_has(err.msg, "has no schema version");
}

static void test_store_open_foreign_sqlite(void **state)
{
    fixture *f = *state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    exec_ok(db, "CREATE TABLE census (district TEXT, people INTEGER);"
                "INSERT INTO census VALUES ('Futian', 1553225);");
    sqlite3_close(db);
    size_t n0;
    char *before = slurp(f->path, &n0);

    bf_store *s = NULL;
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_ESTORE);
    assert_null(s);
    expect_has(err.msg, f->path);
    expect_has(err.msg, "is not a borderflow results store");
    expect_has(err.msg, "without a meta table");
    /* Left exactly as it was: not switched to WAL, no tables added. */
    size_t n1;
    char *after = slurp(f->path, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(before);
    free(after);

    /* Another program's meta table, in both shapes. */
    db = raw_open(f->path);
    exec_ok(db, "CREATE TABLE meta (key TEXT, value TEXT);"
                "INSERT INTO meta VALUES ('application', 'tollgate');");
    sqlite3_close(db);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_ESTORE);
    expect_has(err.msg, f->path);
    expect_has(err.msg, "meta.application is 'tollgate'");

    db = raw_open(f->path);
    exec_ok(db, "DROP TABLE meta; CREATE TABLE meta (name TEXT, v BLOB);");
    sqlite3_close(db);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_ESTORE);
    expect_has(err.msg, "is not a borderflow results store");

    /* An empty database claimed by another application id. */
    unlink(f->path);
    db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    exec_ok(db, "PRAGMA application_id = 1234567");
    sqlite3_close(db);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_ESTORE);
    expect_has(err.msg, "application_id is 0x0012d687");
}

/* A directory the store cannot be created in.  chmod is no obstacle to
 * root, so fall back to sysfs, which refuses new files to everyone. */
static const char *unwritable_store_path(fixture *f, char *buf, size_t len)
{
    char sub[128], probe[200];
    snprintf(sub, sizeof sub, "%s/locked", f->dir);
    if (mkdir(sub, 0500) != 0 && errno != EEXIST)
        return NULL;
    snprintf(probe, sizeof probe, "%s/probe", sub);
    int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        snprintf(buf, len, "%s/results.db", sub);
        return buf;
    }
    close(fd);
    unlink(probe);
    snprintf(probe, sizeof probe, "/sys/bf_store_probe.db");
    fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd >= 0) {
        close(fd);
        unlink(probe);
        return NULL;
    }
    snprintf(buf, len, "/sys/bf_store_test.db");
    return buf;
}

static void test_store_open_unwritable_places(void **state)
{
    fixture *f = *state;
    bf_store *s = NULL;
    bf_error err;
    bf_error_clear(&err);

    /* The path is a directory. */
    assert_int_equal(bf_store_open(f->dir, &s, &err), BF_EIO);
    assert_null(s);
    expect_has(err.msg, f->dir);
    expect_has(err.msg, "is a directory");

    /* Its directory does not exist. */
    char missing[200];
    snprintf(missing, sizeof missing, "%s/no/such/dir/results.db", f->dir);
    assert_int_equal(bf_store_open(missing, &s, &err), BF_EIO);
    expect_has(err.msg, missing);
    expect_has(err.msg, "cannot open the results store");

    /* Its directory is read-only. */
    char buf[200];
    const char *ro = unwritable_store_path(f, buf, sizeof buf);
    if (!ro)
        skip();
    assert_int_equal(bf_store_open(ro, &s, &err), BF_EIO);
    assert_null(s);
    expect_has(err.msg, ro);
    expect_has(err.msg, "cannot open the results store");

    assert_int_equal(bf_store_open("", &s, &err), BF_EINVAL);
    expect_has(err.msg, "empty");
}

static void test_store_open_readonly_file(void **state)
{
    fixture *f = *state;
    bf_store *s = NULL;
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_OK);
    bf_store_close(s);
    chmod(f->path, 0444);
    if (access(f->path, W_OK) == 0) /* root writes anyway */
        skip();
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_EIO);
    assert_null(s);
    expect_has(err.msg, f->path);
    expect_has(err.msg, "read-only");
}

static void test_store_nan_stored_as_null(void **state)
{
    fixture *f = *state;
    bf_store *s = NULL;
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_OK);
    int64_t id = 0;
    assert_int_equal(begin(s, "", &id, &err), BF_OK);
    double v[N_KEYS] = {NAN, 5.125, INFINITY};
    bf_store_sample smp = {900.0, 1, NAN};
    assert_int_equal(bf_store_add_series(s, id, 0, &smp, 1, &err), BF_OK);
    assert_int_equal(bf_store_add_replication(s, id, 0, 7, NAN, v, NULL, 0, &err),
                     BF_OK);
    assert_int_equal(bf_store_finish_run(s, id, "failed", &err), BF_OK);
    bf_store_close(s);

    sqlite3 *db = raw_open(f->path);
    assert_string_equal(rows(db, "SELECT key_index, typeof(value), value"
                                 " FROM rep_metrics ORDER BY key_index"),
                        "0|null|NULL\n1|real|5.125\n2|real|inf\n");
    assert_string_equal(rows(db, "SELECT wall_s FROM replications"), "NULL\n");
    assert_string_equal(rows(db, "SELECT value FROM timeseries"), "NULL\n");
    /* No value: n = 0 and no mean; one value: no interval. */
    assert_string_equal(
        rows(db, "SELECT key_index, n, mean, sd, half_width, ci_low, ci_high"
                 " FROM aggregates ORDER BY key_index"),
        "0|0|NULL|NULL|NULL|NULL|NULL\n"
        "1|1|5.125|0|NULL|NULL|NULL\n"
        "2|1|inf|0|NULL|NULL|NULL\n");
    assert_string_equal(rows(db, "SELECT status FROM runs"), "failed\n");
    sqlite3_close(db);
    assert_store_sound(f->path);
}

static void test_store_finished_run_is_immutable(void **state)
{
    fixture *f = *state;
    bf_store *s = NULL;
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_OK);
    int64_t id = store_full_run(s, "");
    assert_int_equal(bf_store_finish_run(s, id, "failed", &err), BF_ESTATE);
    expect_has(err.msg, f->path);
    expect_has(err.msg, "run 1 is already finished (status 'done')");
    assert_int_equal(bf_store_add_replication(s, id, 2, 1, 1.0, VALUES[0], NULL, 0,
                                              &err), BF_ESTATE);
    bf_store_sample smp[6];
    make_samples(2, smp);
    assert_int_equal(bf_store_add_series(s, id, 2, smp, 6, &err), BF_ESTATE);
    bf_store_close(s);

    sqlite3 *db = raw_open(f->path);
    assert_string_equal(rows(db, "SELECT status, count(*) FROM runs,"
                                 " replications ON run_id = id"),
                        "done|2\n");
    assert_int_equal(q_int(db, "SELECT count(*) FROM timeseries"), 12);
    assert_int_equal(q_int(db, "SELECT count(*) FROM distributions"), 1);
    sqlite3_close(db);
    assert_store_sound(f->path);
}

static void test_store_bad_arguments_store_nothing(void **state)
{
    fixture *f = *state;
    bf_store *s = NULL;
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_OK);
    int64_t id = 0;
    assert_int_equal(begin(s, "", &id, &err), BF_OK);

    assert_int_equal(bf_store_add_replication(s, 42, 0, 1, 1.0, VALUES[0], NULL, 0,
                                              &err), BF_ESTORE);
    expect_has(err.msg, f->path);
    expect_has(err.msg, "has no run 42");
    assert_int_equal(bf_store_add_replication(s, id, -1, 1, 1.0, VALUES[0], NULL, 0,
                                              &err), BF_EINVAL);
    expect_has(err.msg, "numbered from 0");

    /* A batch with one bad sample stores none of it. */
    bf_store_sample smp[3] = {{0.0, 0, 1.5}, {0.0, 1, 2.5}, {0.0, 2, 3.5}};
    assert_int_equal(bf_store_add_series(s, id, 0, smp, 3, &err), BF_EINVAL);
    expect_has(err.msg, "sample 2 is of series 2, but the run declares 2");
    smp[2] = (bf_store_sample){NAN, 0, 3.5};
    assert_int_equal(bf_store_add_series(s, id, 0, smp, 3, &err), BF_EINVAL);
    expect_has(err.msg, "must be finite");
    smp[2] = (bf_store_sample){0.0, 0, 3.5}; /* same series, same t */
    assert_int_equal(bf_store_add_series(s, id, 0, smp, 3, &err), BF_ESTORE);
    expect_has(err.msg, "series 0 already has a sample at t = 0 s");

    /* A histogram filed under a key the run does not have, or two under
     * one key: the whole replication is refused. */
    bf_hist h;
    bf_hist_init(&h);
    bf_hist_add(&h, 1.0);
    bf_store_hist hs[2] = {{N_KEYS, &h}, {1, &h}};
    assert_int_equal(bf_store_add_replication(s, id, 0, 1, 1.0, VALUES[0], hs, 1,
                                              &err), BF_EINVAL);
    expect_has(err.msg, "filed under metric key 3, but the run declares 3");
    hs[0].key = 1;
    assert_int_equal(bf_store_add_replication(s, id, 0, 1, 1.0, VALUES[0], hs, 2,
                                              &err), BF_EINVAL);
    expect_has(err.msg, "two histograms are filed under metric key 1");

    assert_int_equal(bf_store_finish_run(s, id, "finished", &err), BF_EINVAL);
    expect_has(err.msg,
               "'finished' is not one of done, partial, failed, canceled");

    /* A key declared twice is refused with the run: no half-begun run. */
    bf_store_key twice[2] = {KEYS[0], KEYS[0]};
    bf_run_record r = record("", 1);
    int64_t id2 = -5;
    assert_int_equal(bf_store_begin_run(s, &r, twice, 2, NULL, 0, &id2, &err),
                     BF_ESTORE);
    assert_int_equal(id2, -5);
    expect_has(err.msg, "metric key 1 (station 'fl_check' class 'researcher'"
                        " wait_mean)");
    expect_has(err.msg, "UNIQUE constraint failed");
    bf_store_close(s);

    sqlite3 *db = raw_open(f->path);
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(q_int(db, "SELECT count(*) FROM metric_keys"), N_KEYS);
    assert_int_equal(q_int(db, "SELECT count(*) FROM timeseries"), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM replications"), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM aggregates"), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM rep_hist"), 0);
    assert_string_equal(rows(db, "SELECT status FROM runs"), "running\n");
    sqlite3_close(db);
    assert_store_sound(f->path);
}

static void test_store_distribution_buckets(void **state)
{
    fixture *f = *state;
    bf_store *s = NULL;
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_OK);
    int64_t id = 0;
    assert_int_equal(begin(s, "", &id, &err), BF_OK);
    bf_hist h;
    bf_hist_init(&h);
    bf_hist_add(&h, 0.0004); /* below BF_HIST_MIN: underflow */
    bf_hist_add(&h, 0.0);
    for (int i = 0; i < 3; i++)
        bf_hist_add(&h, 2.385);
    bf_hist_add(&h, 1000.5); /* 512 (1 + 61/64) = 1000 <= x < 1008 */
    bf_store_hist hs = {1, &h};
    assert_int_equal(bf_store_add_replication(s, id, 0, 7, 0.5, VALUES[0], &hs, 1,
                                              &err), BF_OK);
    /* A second replication: the pooled distribution is the sum. */
    bf_hist h2;
    bf_hist_init(&h2);
    bf_hist_add(&h2, 2.39);
    bf_hist_add(&h2, 65536.0);
    hs.hist = &h2;
    assert_int_equal(bf_store_add_replication(s, id, 1, 7, 0.5, VALUES[1], &hs, 1,
                                              &err), BF_OK);
    /* The pooled table is derived when the run finishes. */
    sqlite3 *db = raw_open(f->path);
    assert_int_equal(q_int(db, "SELECT count(*) FROM distributions"), 0);
    sqlite3_close(db);
    assert_int_equal(bf_store_finish_run(s, id, "done", &err), BF_OK);
    bf_store_close(s);

    db = raw_open(f->path);
    /* The blobs, worked by hand.  Replication 0: format 01; slot 0
     * (underflow) 00, count 02; slot 717 (bucket 716: 2.385 in [2.375,
     * 2.40625)) as the varint CD 05, count 03; slot 1278 (bucket 1277:
     * 1000.5) as the delta 561, B1 04, count 01.  Replication 1: slot 717
     * CD 05, count 01; slot 1665 (bucket 1664: 65536 = 2^16) as the delta
     * 948, B4 07, count 01. */
    assert_string_equal(
        rows(db, "SELECT replication, key_index, hex(counts) FROM rep_hist"
                 " ORDER BY replication"),
        "0|1|010002CD0503B10401\n1|1|01CD0501B40701\n");
    assert_string_equal(
        rows(db, "SELECT lo, hi, count FROM distributions ORDER BY lo"),
        "0|0.0009765625|2\n2.375|2.40625|4\n1000|1008|1\n65536|66560|1\n");
    assert_string_equal(
        rows(db, "SELECT scope, metric, sum(count) FROM v_distributions"),
        "sl_check|wait_p95|8\n");
    sqlite3_close(db);
    assert_store_sound(f->path);
}

/* The process dies (no close, no finish) between calls: everything that
 * returned BF_OK is there, the half-written replication is not visible,
 * and the store is sound and usable. */
static void test_store_survives_process_death(void **state)
{
    fixture *f = *state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        bf_store *s = NULL;
        bf_error err;
        int64_t id = 0;
        bf_store_sample smp[6];
        make_samples(1, smp);
        if (bf_store_open(f->path, &s, &err) != BF_OK ||
            begin(s, "", &id, &err) != BF_OK ||
            bf_store_add_replication(s, id, 0, 5, 0.5, VALUES[0], NULL, 0, &err) !=
                BF_OK ||
            bf_store_add_series(s, id, 1, smp, 6, &err) != BF_OK)
            _exit(1);
        /* Die as a crash would: no close, no exit handlers, the WAL left
         * behind (and no leak report from a sanitizer or valgrind). */
        raise(SIGKILL);
        _exit(2);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
        fail_msg("the child's calls failed (exit status %d)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);

    assert_store_sound(f->path);
    sqlite3 *db = raw_open(f->path);
    assert_string_equal(rows(db, "SELECT run_id, status, replications_done"
                                 " FROM v_runs"),
                        "1|running|1\n");
    assert_int_equal(q_int(db, "SELECT count(*) FROM v_rep_metrics"), N_KEYS);
    assert_int_equal(q_int(db, "SELECT count(*) FROM v_timeseries"), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM timeseries"), 6);
    sqlite3_close(db);

    /* A later process can finish the run. */
    bf_store *s = NULL;
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_OK);
    assert_int_equal(bf_store_finish_run(s, 1, "canceled", &err), BF_OK);
    bf_store_close(s);
    assert_store_sound(f->path);
}

static void test_store_two_handles_one_file(void **state)
{
    fixture *f = *state;
    bf_store *a = NULL, *b = NULL;
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(bf_store_open(f->path, &a, &err), BF_OK);
    assert_int_equal(bf_store_open(f->path, &b, &err), BF_OK);
    int64_t ia = 0, ib = 0;
    assert_int_equal(begin(a, "", &ia, &err), BF_OK);
    assert_int_equal(begin(b, "", &ib, &err), BF_OK);
    assert_int_not_equal(ia, ib);
    assert_int_equal(bf_store_add_replication(b, ia, 0, 1, 1.0, VALUES[0], NULL, 0,
                                              &err), BF_OK);
    assert_int_equal(bf_store_add_replication(a, ia, 0, 1, 1.0, VALUES[1], NULL, 0,
                                              &err), BF_ESTORE);
    bf_store_close(a);
    bf_store_close(b);
    assert_store_sound(f->path);
}

static void test_store_seed_above_int64_is_exact(void **state)
{
    fixture *f = *state;
    bf_store *s = NULL;
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_OK);
    bf_run_record r = record(NULL, UINT64_MAX - 58);
    r.command_line = NULL;
    r.n_params = 0;
    int64_t id = 0;
    assert_int_equal(bf_store_begin_run(s, &r, NULL, 0, NULL, 0, &id, &err),
                     BF_OK);
    bf_store_close(s);
    sqlite3 *db = raw_open(f->path);
    assert_string_equal(rows(db, "SELECT seed, overrides, command_line"
                                 " FROM runs"),
                        "18446744073709551557||\n");
    /* Too big for an SQL integer literal: quote it. */
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs"
                               " WHERE seed = '18446744073709551557'"),
                     1);
    sqlite3_close(db);
}


/* ---- schema 2: points, reopening, sweeps, comparisons ------------------ */

static void test_store_point_key(void **state)
{
    (void)state;
    static const char *const k1[] = {"simulation.seed", "station.fl_check.servers",
                                     "simulation.replications"};
    static const char *const v1[] = {"20230905", "10", "20"};
    static const char *const k2[] = {"station.fl_check.servers", "simulation.replications",
                                     "simulation.seed"};
    static const char *const v2[] = {"10", "40", "20230905"};
    char a[17], b[17], c[17];
    bf_store_point_key(k1, v1, 3, a);
    /* Order and the replication count do not matter... */
    bf_store_point_key(k2, v2, 3, b);
    assert_string_equal(a, b);
    bf_store_point_key(k1, v1, 2, c);
    assert_string_equal(a, c);
    /* ... any other parameter does. */
    static const char *const v3[] = {"20230906", "10", "20"};
    bf_store_point_key(k1, v3, 3, c);
    assert_string_not_equal(a, c);
    assert_int_equal(strlen(a), 16);
    for (int i = 0; i < 16; i++)
        assert_true(strchr("0123456789abcdef", a[i]) != NULL);
}

/* A run finished, reopened for more replications, finished again: the
 * first replications untouched, aggregates recomputed over all of them
 * (bit for bit bf_ci95 of the values in replication order). */
static void test_store_reopen_extends_and_recomputes(void **state)
{
    fixture *f = *state;
    bf_store *s = NULL;
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_OK);
    assert_int_equal(bf_store_set_command_line(s, "borderflow run first"), BF_OK);
    int64_t id = store_full_run(s, "");
    bf_store_close(s);
    sqlite3 *db = raw_open(f->path);
    char *first = strdup(rows(db, "SELECT * FROM replications ORDER BY replication"));
    sqlite3_close(db);

    assert_int_equal(bf_store_open(f->path, &s, &err), BF_OK);
    assert_int_equal(bf_store_set_command_line(s, "borderflow run --resume -r 3"), BF_OK);
    bf_store_run_info info;
    assert_int_equal(bf_store_find_point(s, "0000000000000000", 0, &info, &err), BF_OK);
    assert_int_equal(info.run_id, 0);
    char pk[17];
    bf_store_point_key(PARAM_KEYS, PARAM_VALUES, 2, pk);
    assert_int_equal(bf_store_find_point(s, pk, 0, &info, &err), BF_OK);
    assert_int_equal(info.run_id, id);
    assert_string_equal(info.status, "done");
    assert_int_equal(info.replications_done, 2);
    assert_int_equal(bf_store_check_keys(s, id, KEYS, N_KEYS, SERIES, N_SERIES, &err), BF_OK);
    assert_int_equal(bf_store_check_keys(s, id, KEYS, N_KEYS - 1, SERIES, N_SERIES, &err),
                     BF_ESTORE);
    expect_has(err.msg, "cannot continue run 1: its metric key 2 is system");
    expect_has(err.msg, "but this borderflow computes fewer metrics");

    assert_int_equal(bf_store_reopen_run(s, id, 3, &err), BF_OK);
    double v2[N_KEYS] = {43.125, 801.0, 240.5};
    assert_int_equal(bf_store_add_replication(s, id, 2, 7, 1.0, v2, NULL, 0, &err), BF_OK);
    assert_int_equal(bf_store_finish_run(s, id, "done", &err), BF_OK);
    int *reps = NULL;
    size_t n = 0;
    assert_int_equal(bf_store_stored_reps(s, id, &reps, &n, &err), BF_OK);
    assert_int_equal(n, 3);
    assert_int_equal(reps[2], 2);
    bf_free(reps);
    bf_ci ci[N_KEYS];
    assert_int_equal(bf_store_aggregates(s, id, ci, N_KEYS, &err), BF_OK);
    for (int k = 0; k < N_KEYS; k++) {
        double x[3] = {VALUES[0][k], VALUES[1][k], v2[k]};
        bf_ci want = bf_ci95(x, 3);
        assert_int_equal(ci[k].n, 3);
        assert_true(ci[k].mean == want.mean);
        assert_true(ci[k].half_width == want.half_width);
    }
    double vals[4];
    assert_int_equal(bf_store_rep_values(s, id, 1, 4, vals, &err), BF_OK);
    assert_true(vals[0] == VALUES[0][1] && vals[2] == 801.0 && isnan(vals[3]));
    bf_store_close(s);

    db = raw_open(f->path);
    assert_string_equal(rows(db, "SELECT * FROM replications WHERE replication < 2"
                                 " ORDER BY replication"), first);
    free(first);
    assert_string_equal(rows(db, "SELECT status, replications_planned FROM runs"), "done|3\n");
    /* Each command that stored replications is an invocation. */
    assert_string_equal(rows(db, "SELECT p.replication, i.command_line FROM replications p"
                                 " JOIN invocations i ON i.id = p.invocation_id"
                                 " ORDER BY p.replication"),
                        "0|borderflow run first\n1|borderflow run first\n"
                        "2|borderflow run --resume -r 3\n");
    sqlite3_close(db);
    assert_store_sound(f->path);
}

/* 'done' is only recorded when replications 0..planned-1 are all in. */
static void test_store_done_needs_all_planned(void **state)
{
    fixture *f = *state;
    bf_store *s = NULL;
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_OK);
    int64_t id = 0;
    assert_int_equal(begin(s, "", &id, &err), BF_OK);
    /* Replication 1 only, of 0..1: a shard's share. */
    assert_int_equal(bf_store_add_replication(s, id, 1, 7, 1.0, VALUES[1], NULL, 0, &err),
                     BF_OK);
    assert_int_equal(bf_store_finish_run(s, id, "done", &err), BF_OK);
    bf_store_run_info info;
    assert_int_equal(bf_store_run_info_get(s, id, &info, &err), BF_OK);
    assert_string_equal(info.status, "partial");
    assert_int_equal(bf_store_run_info_get(s, 99, &info, &err), BF_ESTORE);
    bf_store_close(s);
    assert_store_sound(f->path);
}

static void test_store_discard_incomplete(void **state)
{
    fixture *f = *state;
    bf_store *s = NULL;
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_OK);
    int64_t id = 0;
    assert_int_equal(begin(s, "", &id, &err), BF_OK);
    bf_store_sample smp[6];
    make_samples(0, smp);
    assert_int_equal(bf_store_add_series(s, id, 0, smp, 6, &err), BF_OK);
    assert_int_equal(bf_store_add_replication(s, id, 0, 7, 1.0, VALUES[0], NULL, 0, &err),
                     BF_OK);
    make_samples(1, smp);
    assert_int_equal(bf_store_add_series(s, id, 1, smp, 6, &err), BF_OK);
    /* Replication 1 never completed; running it again would collide. */
    assert_int_equal(bf_store_add_series(s, id, 1, smp, 6, &err), BF_ESTORE);
    int64_t gone = -1;
    assert_int_equal(bf_store_discard_incomplete(s, id, &gone, &err), BF_OK);
    assert_int_equal(gone, 6);
    assert_int_equal(bf_store_add_series(s, id, 1, smp, 6, &err), BF_OK);
    assert_int_equal(bf_store_add_replication(s, id, 1, 7, 1.0, VALUES[1], NULL, 0, &err),
                     BF_OK);
    assert_int_equal(bf_store_discard_incomplete(s, id, &gone, &err), BF_OK);
    assert_int_equal(gone, 0);
    bf_store_close(s);
    sqlite3 *db = raw_open(f->path);
    assert_int_equal(q_int(db, "SELECT count(*) FROM timeseries"), 12);
    sqlite3_close(db);
    assert_store_sound(f->path);
}

static void test_store_sweeps_and_comparisons(void **state)
{
    fixture *f = *state;
    bf_store *s = NULL;
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_OK);
    int64_t a = store_full_run(s, "station fl_check.servers=10\n");
    int64_t b = 0;
    static const char *const KEYS2[] = {"simulation.seed", "station fl_check.servers"};
    static const char *const VALS2[] = {"20230905", "12"};
    bf_run_record r = record("station fl_check.servers=12\n", 20230905);
    r.param_keys = KEYS2;
    r.param_values = VALS2;
    assert_int_equal(bf_store_begin_run(s, &r, KEYS, N_KEYS, SERIES, N_SERIES, &b, &err), BF_OK);

    const char *keys[] = {"station.fl_check.servers"};
    bf_store_sweep_record sr = {.sweep_key = "00112233445566ff", .scenario_name = "hetao",
                                .scenario_path = "h.ini", .scenario_text = SCENARIO,
                                .base_overrides = "",
                                .definition = "station.fl_check.servers=10,12\n",
                                .keys = keys, .n_keys = 1, .n_points = 2, .command_line = "sweep"};
    int64_t sw = 0, sw2 = 0;
    assert_int_equal(bf_store_sweep_begin(s, &sr, &sw, &err), BF_OK);
    assert_int_equal(bf_store_sweep_begin(s, &sr, &sw2, &err), BF_OK);
    assert_int_equal(sw, sw2); /* one row per definition */
    assert_int_equal(bf_store_sweep_add_point(s, sw, 0, a, "station.fl_check.servers=10", &err),
                     BF_OK);
    assert_int_equal(bf_store_sweep_add_point(s, sw, 0, a, "station.fl_check.servers=10", &err),
                     BF_OK);
    assert_int_equal(bf_store_sweep_add_point(s, sw, 1, b, "station.fl_check.servers=12", &err),
                     BF_OK);
    /* Point 0 is run a's point; run b is another. */
    assert_int_equal(bf_store_sweep_add_point(s, sw, 0, b, "x", &err), BF_ESTORE);
    expect_has(err.msg, "already linked to run 1, a run of another point");
    /* The sweep's link is preferred when a point has several runs. */
    bf_store_run_info info;
    char pk[17];
    bf_store_point_key(PARAM_KEYS, PARAM_VALUES, 2, pk);
    int64_t a2 = store_full_run(s, "station fl_check.servers=10\n");
    assert_int_equal(bf_store_find_point(s, pk, sw, &info, &err), BF_OK);
    assert_int_equal(info.run_id, a);
    assert_int_equal(bf_store_find_point(s, pk, 0, &info, &err), BF_OK);
    assert_int_equal(info.run_id, a2); /* as many replications: the latest */

    bf_store_diff d = {.scope_kind = "station", .scope = "fl_check", .class_name = "",
                       .metric = "wait_mean", .unit = "s", .n = 2, .base_mean = 40.0,
                       .policy_mean = 30.0, .diff_mean = -10.0, .diff_sd = 1.0,
                       .half_width = 2.5, .significant = true};
    bf_store_comparison c = {.base_run_id = a, .policy_run_id = a2, .replications = 2,
                             .common_random_numbers = true, .command_line = "compare"};
    int64_t cid = 0;
    assert_int_equal(bf_store_add_comparison(s, &c, &d, 1, &cid, &err), BF_OK);
    assert_int_equal(cid, 1);
    c.policy_run_id = 77;
    assert_int_equal(bf_store_add_comparison(s, &c, &d, 1, &cid, &err), BF_ESTORE);
    expect_has(err.msg, "has no run 77");
    bf_store_close(s);

    sqlite3 *db = raw_open(f->path);
    assert_string_equal(rows(db, "SELECT sweep_id, point_index, run_id, point FROM sweep_points"
                                 " ORDER BY 2"),
                        "1|0|1|station.fl_check.servers=10\n1|1|2|station.fl_check.servers=12\n");
    /* The test run's parameters do not name the key: no value. */
    assert_string_equal(rows(db, "SELECT DISTINCT sweep_id, point_index, key, value"
                                 " FROM v_sweep_values ORDER BY 2"),
                        "1|0|station.fl_check.servers|NULL\n"
                        "1|1|station.fl_check.servers|NULL\n");
    assert_string_equal(rows(db, "SELECT comparison_id, base_scenario, metric, diff_mean, ci_low,"
                                 " ci_high, significant FROM v_comparisons"),
                        "1|hetao-baseline|wait_mean|-10|-12.5|-7.5|1\n");
    /* One scenario row: the text is the same, the overrides are the runs'. */
    assert_int_equal(q_int(db, "SELECT count(*) FROM scenarios"), 1);
    sqlite3_close(db);
    assert_store_sound(f->path);
}

static void test_store_old_schema_refused(void **state)
{
    fixture *f = *state;
    bf_store *s = NULL;
    bf_error err;
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_OK);
    bf_store_close(s);
    sqlite3 *db = raw_open(f->path);
    exec_ok(db, "UPDATE meta SET value = '1' WHERE key = 'schema_version'");
    sqlite3_close(db);
    size_t n0;
    char *before = slurp(f->path, &n0);
    assert_int_equal(bf_store_open(f->path, &s, &err), BF_ESTORE);
    expect_has(err.msg, "has schema version 1; this borderflow writes version 2");
    expect_has(err.msg, "written by an older borderflow");
    size_t n1;
    char *after = slurp(f->path, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(before);
    free(after);
}

static void test_store_in_memory(void **state)
{
    (void)state;
    bf_store *s = NULL;
    bf_error err;
    assert_int_equal(bf_store_open(":memory:", &s, &err), BF_OK);
    assert_int_equal(store_full_run(s, ""), 1);
    bf_ci ci[N_KEYS];
    assert_int_equal(bf_store_aggregates(s, 1, ci, N_KEYS, &err), BF_OK);
    assert_int_equal(ci[0].n, 2);
    assert_int_equal(bf_store_aggregates(s, 1, ci, 2, &err), BF_EINVAL);
    bf_store_close(s);
}

/* ---- allocation failures ---------------------------------------------- */

/* The sequence of calls a runner makes, stopping at the first failure.
 * Returns how many succeeded (SEQUENCE_CALLS = all). */
enum { SEQUENCE_CALLS = 8 };

static int run_sequence(const char *path, bf_status *failed, bf_error *err)
{
    bf_store *s = NULL;
    int64_t id = 0;
    int ok = 0;
    bf_status st = bf_store_open(path, &s, err);
    ok += st == BF_OK;
    if (st == BF_OK) {
        st = begin(s, "", &id, err);
        ok += st == BF_OK;
    }
    for (int r = 0; r < 2; r++) {
        bf_store_sample smp[6];
        make_samples(r, smp);
        if (st == BF_OK) {
            st = bf_store_add_series(s, id, r, smp, 6, err);
            ok += st == BF_OK;
        }
        if (st == BF_OK) {
            bf_hist h;
            bf_hist_init(&h);
            bf_hist_add(&h, 0.0001);
            bf_hist_add(&h, 2.385 + r);
            bf_store_hist hs = {1, &h};
            st = bf_store_add_replication(s, id, r, 11, 0.5, VALUES[r], &hs, 1, err);
            ok += st == BF_OK;
        }
    }
    if (st == BF_OK) {
        st = bf_store_finish_run(s, id, "done", err);
        ok += st == BF_OK;
    }
    if (st == BF_OK) {
        st = bf_store_reopen_run(s, id, 3, err);
        ok += st == BF_OK;
    }
    bf_store_close(s);
    *failed = st;
    return ok;
}

static void remove_store(const char *path)
{
    char p[220];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-journal", path);
    unlink(p);
}

static void test_store_alloc_failures_leave_sound_store(void **state)
{
    fixture *f = *state;
    bf_error err;
    bf_status st;

    bf_alloc_fail_after(-1);
    assert_int_equal(run_sequence(f->path, &st, &err), SEQUENCE_CALLS);
    long total = bf_alloc_fail_after(-1);
    assert_true(total > 0);

    /* Fail the n-th allocation and every one after it.  There are some
     * 6000 allocations (most of them SQLite parsing the schema), and each
     * try creates a store, so by default about 400 evenly spaced n are
     * tried; BF_TEST_EXHAUSTIVE=1 tries every one (a minute or so). */
    long stride = getenv("BF_TEST_EXHAUSTIVE") ? 1 : total / 400 + 1;
    int n_failed = 0;
    for (long n = 0; n < total; n += stride) {
        remove_store(f->path);
        bf_error_clear(&err);
        bf_alloc_fail_after(n);
        int done = run_sequence(f->path, &st, &err);
        bf_alloc_fail_after(-1);
        if (done < SEQUENCE_CALLS) {
            n_failed++;
            assert_int_not_equal(st, BF_OK);
            if (!err.msg[0])
                fail_msg("no message after failing allocation %ld", n);
            expect_has(err.msg, f->path);
        }
        if (access(f->path, F_OK) == 0)
            assert_store_sound(f->path);
    }
    assert_true(n_failed > 0);
}

/* ---- SQLite's allocator through bf_malloc ------------------------------ */

/* Each block carries its size in a 16-byte header (xSize needs it, and
 * 16 keeps SQLite's 8-byte alignment). */
static void *sq_malloc(int n)
{
    size_t *b = bf_malloc((size_t)n + 16);
    if (!b)
        return NULL;
    b[0] = (size_t)n;
    return (char *)b + 16;
}

static void sq_free(void *p)
{
    if (p)
        bf_free((char *)p - 16);
}

static void *sq_realloc(void *p, int n)
{
    size_t *b = bf_realloc((char *)p - 16, (size_t)n + 16);
    if (!b)
        return NULL;
    b[0] = (size_t)n;
    return (char *)b + 16;
}

static int sq_size(void *p)
{
    return p ? (int)*(size_t *)((char *)p - 16) : 0;
}

static int sq_roundup(int n)
{
    return (n + 7) & ~7;
}

static int sq_init(void *u)
{
    (void)u;
    return SQLITE_OK;
}

static void sq_shutdown(void *u)
{
    (void)u;
}

int main(void)
{
    static const sqlite3_mem_methods mem = {sq_malloc, sq_free, sq_realloc,
                                            sq_size, sq_roundup, sq_init,
                                            sq_shutdown, NULL};
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &mem) != SQLITE_OK ||
        sqlite3_initialize() != SQLITE_OK) {
        fprintf(stderr, "cannot route SQLite's allocator through bf_malloc\n");
        return 1;
    }

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_hash_known_answer),
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_store_round_trip),
        T(test_store_views_return_names),
        T(test_store_reopen_adds_run_keeps_first),
        T(test_store_duplicate_replication_refused),
        T(test_store_open_text_file),
        T(test_store_open_empty_file_is_new),
        T(test_store_open_wrong_schema_version),
        T(test_store_open_foreign_sqlite),
        T(test_store_open_unwritable_places),
        T(test_store_open_readonly_file),
        T(test_store_nan_stored_as_null),
        T(test_store_finished_run_is_immutable),
        T(test_store_bad_arguments_store_nothing),
        T(test_store_distribution_buckets),
        T(test_store_survives_process_death),
        T(test_store_two_handles_one_file),
        T(test_store_seed_above_int64_is_exact),
        T(test_store_alloc_failures_leave_sound_store),
        cmocka_unit_test(test_store_point_key),
        T(test_store_reopen_extends_and_recomputes),
        T(test_store_done_needs_all_planned),
        T(test_store_discard_incomplete),
        T(test_store_sweeps_and_comparisons),
        T(test_store_old_schema_refused),
        cmocka_unit_test(test_store_in_memory),
#undef T
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    sqlite3_shutdown();
    return rc;
}
