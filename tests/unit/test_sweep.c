/*
 * test_sweep.c - the sweep module: --vary parsing and range expansion,
 * the [sweep] section, grids and their validation, shards, precision and
 * paired-comparison maths, and bf_sweep_run end to end on a small model:
 * results independent of the number of threads, resumption that runs
 * only what is missing, shards that add up to the whole (through merge),
 * precision targets that are reproducible, cancellation.
 *
 * Every test that writes works in its own mkdtemp directory under /tmp.
 * The model is tiny (a few simulated hours) so that a replication takes
 * a millisecond or so.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "borderflow/store.h"
#include "borderflow/sweep.h"
#include "store/store_int.h"

#include <dirent.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- fixture ----------------------------------------------------------- */

typedef struct fixture {
    char dir[64];
    char scn[160]; /* dir/s.ini */
} fixture;

/* Two classes, two stations, a few hours: a replication is about a
 * thousand events. */
static const char SCN[] =
    "; test scenario for the sweep module\n"
    "[simulation]\n"
    "horizon = 3h\n"
    "warmup = 30min\n"
    "replications = 3\n"
    "seed = 2385\n"
    "sample_every = 20min\n"
    "\n"
    "[class researcher]\n"
    "arrivals = poisson(rate=120/h)\n"
    "whitelisted = 35%\n"
    "route = fl_check, sl_check\n"
    "\n"
    "[class material]\n"
    "arrivals = poisson(rate=20/h)\n"
    "route = sl_check\n"
    "\n"
    "[station fl_check]\n"
    "line = first\n"
    "servers = 3\n"
    "service = exp(mean=70s)\n"
    "\n"
    "[station sl_check]\n"
    "line = second\n"
    "servers = 2\n"
    "service = lognormal(mean=40s, sd=20s)\n";

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/bf_sweep_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->scn, sizeof f->scn, "%s/s.ini", f->dir);
    write_file(f->scn, SCN);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    DIR *d = opendir(f->dir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static void expect_has(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("expected \"%s\" in \"%s\"", needle, hay);
}

static char *fmt_err(const bf_error *e)
{
    static char buf[2048];
    bf_error_format(e, buf, sizeof buf);
    return buf;
}

/* Every row of sql as "a|b\n" lines (reals %.17g), static buffer. */
static const char *rows(const char *path, const char *sql)
{
    static char buf[1 << 22];
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("SQL error in \"%s\": %s", sql, sqlite3_errmsg(db));
    size_t w = 0;
    buf[0] = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(q); c++) {
            const char *sep = c ? "|" : "";
            if (sqlite3_column_type(q, c) == SQLITE_FLOAT)
                w += (size_t)snprintf(buf + w, sizeof buf - w, "%s%.17g", sep,
                                      sqlite3_column_double(q, c));
            else
                w += (size_t)snprintf(buf + w, sizeof buf - w, "%s%s", sep,
                                      sqlite3_column_type(q, c) == SQLITE_NULL
                                          ? "NULL" : (const char *)sqlite3_column_text(q, c));
            assert_true(w < sizeof buf);
        }
        w += (size_t)snprintf(buf + w, sizeof buf - w, "\n");
        assert_true(w < sizeof buf);
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    return buf;
}

static int64_t q_int(const char *path, const char *sql)
{
    return strtoll(rows(path, sql), NULL, 10);
}

static void assert_sound(const char *path)
{
    bf_store *s = NULL;
    bf_error err;
    assert_int_equal(bf_store_open(path, &s, &err), BF_OK);
    if (bf__store_check(s, &err) != BF_OK)
        fail_msg("%s", err.msg);
    bf_store_close(s);
}

/* ---- --vary ------------------------------------------------------------- */

static void vary_ok(const char *arg, const char *want)
{
    bf_vary v;
    bf_error err;
    if (bf_vary_parse(arg, "--vary", 0, &v, &err) != BF_OK)
        fail_msg("%s: %s", arg, fmt_err(&err));
    char got[1024] = "";
    snprintf(got, sizeof got, "%s=", v.key);
    for (size_t i = 0; i < v.n_values; i++) {
        strcat(got, i ? "|" : "");
        strcat(got, v.values[i]);
    }
    bf_vary_fini(&v);
    assert_string_equal(got, want);
}

static void vary_bad(const char *arg, const char *msg)
{
    bf_vary v;
    bf_error err;
    assert_int_equal(bf_vary_parse(arg, "--vary", 0, &v, &err), BF_EINVAL);
    bf_vary_fini(&v);
    char *text = fmt_err(&err);
    expect_has(text, "--vary: ");
    expect_has(text, msg);
}

static void test_sweep_vary_lists_and_ranges(void **state)
{
    (void)state;
    vary_ok("stations.fl_echannel.servers=4:12:2", "station.fl_echannel.servers=4|6|8|10|12");
    vary_ok("classes.researcher.whitelisted=0.3,0.5,0.7",
            "class.researcher.whitelisted=0.3|0.5|0.7");
    vary_ok("class.researcher.whitelisted=30%:70%:20%", "class.researcher.whitelisted=30%|50%|70%");
    /* Decimals as written, not 0.30000000000000004. */
    vary_ok("simulation.x=0.1:0.3:0.1", "simulation.x=0.1|0.2|0.3");
    vary_ok("simulation.x=2.5:10:2.5", "simulation.x=2.5|5|7.5|10");
    /* Counting down; a step that does not reach TO stops before it. */
    vary_ok("simulation.x=10:4:-3", "simulation.x=10|7|4");
    vary_ok("simulation.x=1:6:2", "simulation.x=1|3|5");
    /* Units on all three, or on the ends only. */
    vary_ok("delays.zone.time=1h:3h:1h", "delay.zone.time=1h|2h|3h");
    vary_ok("simulation.warmup=5min:15min:5", "simulation.warmup=5min|10min|15min");
    /* Ranges and values mixed; blanks trimmed. */
    vary_ok("simulation.x= 2:6:2 , 10", "simulation.x=2|4|6|10");
    /* Commas inside parentheses and quotes do not split. */
    vary_ok("class.c.arrivals=poisson(rate=1/h),poisson(rate=2/h)",
            "class.c.arrivals=poisson(rate=1/h)|poisson(rate=2/h)");
    vary_ok("class.c.risk=\"low 90%, high 10%\",\"low 50%, high 50%\"",
            "class.c.risk=low 90%, high 10%|low 50%, high 50%");
    /* A value with one or three colons is a value, not a range. */
    vary_ok("simulation.title=a:b", "simulation.title=a:b");
    vary_ok("simulation.seed=7", "simulation.seed=7");
}

static void test_sweep_vary_errors(void **state)
{
    (void)state;
    vary_bad("stations.fl_check.servers", "expected KEY=VALUES");
    vary_bad("servers=4,5", "expected a scenario key SECTION.NAME.KEY");
    vary_bad("stations..servers=4", "expected a scenario key");
    vary_bad("stations.fl_check.servers=", "no values");
    vary_bad("stations.fl_check.servers=4,,6", "an empty value in the list");
    vary_bad("stations.fl_check.servers=4,", "an empty value in the list");
    vary_bad("stations.fl_check.servers=4:12:0", "the range's step is 0");
    vary_bad("stations.fl_check.servers=12:4:2", "the range is empty: FROM is above TO");
    vary_bad("stations.fl_check.servers=4:12:-2", "the range is empty: FROM is below TO");
    vary_bad("stations.fl_check.servers=a:b:1", "expected a range FROM:TO:STEP of numbers");
    vary_bad("stations.fl_check.servers=4:nan:1", "expected a range FROM:TO:STEP of numbers");
    vary_bad("simulation.horizon=1h:3d:1h", "different units");
    vary_bad("stations.fl_check.servers=4,6,4", "the value 4 is listed twice");
    vary_bad("stations.fl_check.servers=4:8:2,6", "the value 6 is listed twice");
    vary_bad("stations.fl_check.servers=1:20000:1", "at most 10000 values");
    vary_bad("class.c.risk=\"low 90%", "a double quote is not closed");
    /* The message names the key as typed, and the value. */
    bf_vary v;
    bf_error err;
    assert_int_equal(bf_vary_parse("stations.fl_check.servers=4:12:0", "--vary", 0, &v, &err),
                     BF_EINVAL);
    bf_vary_fini(&v);
    assert_string_equal(err.key, "stations.fl_check.servers");
    assert_string_equal(err.value, "4:12:0");
}

static void test_sweep_key_canonical(void **state)
{
    (void)state;
    char out[64];
    assert_true(bf_key_canonical("stations.fl_check.servers", out, sizeof out));
    assert_string_equal(out, "station.fl_check.servers");
    assert_true(bf_key_canonical("classes.researcher.whitelisted", out, sizeof out));
    assert_string_equal(out, "class.researcher.whitelisted");
    assert_true(bf_key_canonical("class.researcher.whitelisted", out, sizeof out));
    assert_string_equal(out, "class.researcher.whitelisted");
    assert_true(bf_key_canonical("delays.zone.time", out, sizeof out));
    assert_string_equal(out, "delay.zone.time");
    assert_true(bf_key_canonical("simulation.seed", out, sizeof out));
    assert_string_equal(out, "simulation.seed");
    assert_true(bf_key_canonical("station.fl.service.researcher", out, sizeof out));
    assert_string_equal(out, "station.fl.service.researcher");
    assert_false(bf_key_canonical("servers", out, sizeof out));
    assert_false(bf_key_canonical(".x", out, sizeof out));
    assert_false(bf_key_canonical("a.", out, sizeof out));
    assert_false(bf_key_canonical("a b.c", out, sizeof out));
    assert_false(bf_key_canonical("station.fl_check.servers", out, 8));
}

/* ---- shards -------------------------------------------------------------- */

static void test_sweep_shard_parse(void **state)
{
    (void)state;
    int k, n;
    bf_error err;
    assert_int_equal(bf_shard_parse("2/3", &k, &n, &err), BF_OK);
    assert_int_equal(k, 2);
    assert_int_equal(n, 3);
    assert_int_equal(bf_shard_parse("1/1", &k, &n, &err), BF_OK);
    assert_int_equal(bf_shard_parse("4/3", &k, &n, &err), BF_EINVAL);
    expect_has(err.msg, "--shard 4/3: K must be from 1 to N (3)");
    assert_int_equal(bf_shard_parse("0/3", &k, &n, &err), BF_EINVAL);
    assert_int_equal(bf_shard_parse("1/0", &k, &n, &err), BF_EINVAL);
    expect_has(err.msg, "N must be from 1 to 100000");
    static const char *const bad[] = {"", "3", "a/b", "1/3x", "1 /3", "-1/3", "1/3/4", "+1/3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(bf_shard_parse(bad[i], &k, &n, &err), BF_EINVAL);
        expect_has(err.msg, "--shard needs K/N");
    }
}

/* Every unit is in exactly one shard; each point's replications are
 * spread evenly (within one); a unit's shard depends on nothing but its
 * own point and replication. */
static void test_sweep_shard_assignment(void **state)
{
    (void)state;
    static const char *const keys[] = {"0000000000000000", "ffffffffffffffff",
                                       "3b7e2c9d10aa5f07", "9e3779b97f4a7c15",
                                       "00000000000000ff"};
    for (int n = 1; n <= 7; n++)
        for (size_t p = 0; p < sizeof keys / sizeof keys[0]; p++) {
            int count[7] = {0};
            for (int r = 0; r < 50; r++) {
                int sh = bf_shard_of_unit(keys[p], r, n);
                assert_true(sh >= 0 && sh < n);
                count[sh]++;
                /* Consecutive replications go to consecutive shards. */
                assert_int_equal(bf_shard_of_unit(keys[p], r + 1, n), (sh + 1) % n);
            }
            int lo = 50, hi = 0;
            for (int i = 0; i < n; i++) {
                lo = count[i] < lo ? count[i] : lo;
                hi = count[i] > hi ? count[i] : hi;
            }
            assert_true(hi - lo <= 1);
            int ps = bf_shard_of_point(keys[p], n);
            assert_true(ps >= 0 && ps < n);
            /* The point's first replication is in its point shard. */
            assert_int_equal(bf_shard_of_unit(keys[p], 0, n), ps);
        }
    /* Known answers: 0xff mod 3 = 0, so replication 1 is in shard 1. */
    assert_int_equal(bf_shard_of_unit("00000000000000ff", 1, 3), 1);
    assert_int_equal(bf_shard_of_point("ffffffffffffffff", 10), (int)(UINT64_MAX % 10));
}

/* ---- precision and paired maths -------------------------------------------- */

static void test_sweep_precision_rule(void **state)
{
    (void)state;
    bf_ci c = {10, 100.0, 5.0, 4.9};
    assert_true(bf_precision_met(&c, 0.05, 0));
    c.half_width = 5.01;
    assert_false(bf_precision_met(&c, 0.05, 0));
    c = (bf_ci){10, -100.0, 5.0, 4.9}; /* relative to |mean| */
    assert_true(bf_precision_met(&c, 0.05, 0));
    c = (bf_ci){0, NAN, NAN, NAN}; /* never observed: nothing to measure */
    assert_true(bf_precision_met(&c, 0.05, 0));
    c = (bf_ci){1, 3.0, 0.0, NAN}; /* one value: no interval yet */
    assert_false(bf_precision_met(&c, 0.05, 1.0));
    c = (bf_ci){5, 0.0, 0.0, 0.0}; /* always zero: exact */
    assert_true(bf_precision_met(&c, 0.05, 0));
    c = (bf_ci){5, 0.0, 1.0, 0.5}; /* zero mean, some spread: never ... */
    assert_false(bf_precision_met(&c, 0.05, 0));
    assert_true(bf_precision_met(&c, 0.05, 0.5)); /* ... unless within the floor */
    c = (bf_ci){20, 4.45, 0.8, 0.36}; /* 8% of a 4.45 s wait, but 0.36 s */
    assert_false(bf_precision_met(&c, 0.05, 0));
    assert_true(bf_precision_met(&c, 0.05, 1.0));
    c = (bf_ci){20, 615.0, 190.0, 83.0}; /* the floor does not loosen 5% of 615 s */
    assert_false(bf_precision_met(&c, 0.05, 1.0));

    /* n ratio^2, at least n + n/4, at most 2n, never above the cap. */
    assert_int_equal(bf_precision_next(20, 1.2, 200), 29);  /* 20 x 1.44 = 28.8 */
    assert_int_equal(bf_precision_next(20, 1.05, 200), 25); /* 22.05 -> at least 25 */
    assert_int_equal(bf_precision_next(20, 3.0, 200), 40);  /* 180 -> at most 40 */
    assert_int_equal(bf_precision_next(20, INFINITY, 200), 40);
    assert_int_equal(bf_precision_next(150, 3.0, 200), 200);
    assert_int_equal(bf_precision_next(5, 1.1, 200), 7); /* 5 + ceil(5/4) */
}

static void test_sweep_paired_known_answer(void **state)
{
    (void)state;
    double base[] = {1, 2, 3, 4, NAN}, policy[] = {2, 2, 5, 5, 7}, scratch[5];
    bf_paired p = bf_paired_diff(base, policy, 5, scratch);
    /* Pairs 0..3 (4 has no base): d = 1, 0, 2, 1; mean 1; sd sqrt(2/3);
     * t(0.975, 3) = 3.182446305284263, so hw = 3.1824463 x 0.8164966 / 2
     * = 1.2992. */
    assert_int_equal(p.n, 4);
    assert_true(fabs(p.diff.mean - 1.0) < 1e-15);
    assert_true(fabs(p.diff.sd - sqrt(2.0 / 3.0)) < 1e-15);
    assert_true(fabs(p.diff.half_width - 3.182446305284263 * sqrt(2.0 / 3.0) / 2.0) < 1e-9);
    assert_true(fabs(p.base_mean - 2.5) < 1e-15);
    assert_true(fabs(p.policy_mean - 3.5) < 1e-15);
    assert_false(p.significant); /* [-0.30, 2.30] holds 0 */
    double pol2[] = {2, 3, 4, 5, 9};
    p = bf_paired_diff(base, pol2, 5, scratch); /* d = 1 always: exact */
    assert_true(p.significant);
    assert_true(p.diff.half_width == 0.0);
    double eq[] = {1, 2, 3, 4, 5};
    p = bf_paired_diff(base, eq, 5, scratch);
    assert_false(p.significant); /* d = 0 always */
    p = bf_paired_diff(base, policy, 1, scratch);
    assert_false(p.significant); /* one pair: no interval */
}

/* ---- the [sweep] section and grids ---------------------------------------------- */

/* SCN has 26 lines; the section's keys are on lines 30 and 31-32. */
static const char SWEEP_SECTION[] =
    "\n[sweep]\n"
    "; what the experiment varies\n"
    "stations.fl_check.servers = 2:4:1   ; inline comment\n"
    "classes.researcher.whitelisted = 30%,\n"
    "    70%\n";

static void scenario_with_sweep(fixture *f, const char *extra_after)
{
    char text[8192];
    snprintf(text, sizeof text, "%s%s%s", SCN, SWEEP_SECTION, extra_after ? extra_after : "");
    write_file(f->scn, text);
}

static void test_sweep_section_is_read_and_kept(void **state)
{
    fixture *f = *state;
    scenario_with_sweep(f, NULL);
    bf_scenario *sc = NULL;
    bf_vary *vs = NULL;
    size_t n = 0;
    bf_error err;
    if (bf_sweep_scenario_load(f->scn, NULL, 0, &sc, &vs, &n, &err) != BF_OK)
        fail_msg("%s", fmt_err(&err));
    assert_int_equal(n, 2);
    assert_string_equal(vs[0].key, "station.fl_check.servers");
    assert_int_equal(vs[0].n_values, 3);
    assert_int_equal(vs[0].line, 30);
    assert_string_equal(vs[1].key, "class.researcher.whitelisted");
    assert_int_equal(vs[1].n_values, 2);
    assert_string_equal(vs[1].values[1], "70%");
    /* The stored text is the file, [sweep] included; the model has no
     * trace of it. */
    expect_has(sc->text, "[sweep]");
    for (size_t i = 0; i < sc->n_params; i++)
        assert_null(strstr(sc->param_keys[i], "sweep"));
    for (size_t i = 0; i < n; i++)
        bf_vary_fini(&vs[i]);
    free(vs);
    bf_scenario_destroy(sc);

    /* An error after the section is still on its own line. */
    scenario_with_sweep(f, "\n[station extra]\nline = first\nservers = lots\n"
                           "service = exp(mean=1s)\n");
    assert_int_equal(bf_sweep_scenario_load(f->scn, NULL, 0, &sc, &vs, &n, &err), BF_EINVAL);
    assert_int_equal(err.line, 36);
    assert_string_equal(err.key, "servers");

    /* An error inside the section names its line. */
    scenario_with_sweep(f, "[sweep]\nsimulation.seed = 4:1:1\n");
    assert_int_equal(bf_sweep_scenario_load(f->scn, NULL, 0, &sc, &vs, &n, &err), BF_EINVAL);
    assert_int_equal(err.line, 34);
    expect_has(fmt_err(&err), "s.ini:34: [sweep] simulation.seed = \"4:1:1\": the range is empty");
    scenario_with_sweep(f, "[sweep]\nstations.fl_check.servers = 7\n");
    assert_int_equal(bf_sweep_scenario_load(f->scn, NULL, 0, &sc, &vs, &n, &err), BF_EINVAL);
    expect_has(fmt_err(&err), "key given twice in [sweep] (first on line 30)");
    scenario_with_sweep(f, "[sweep]\njust words\n");
    assert_int_equal(bf_sweep_scenario_load(f->scn, NULL, 0, &sc, &vs, &n, &err), BF_EINVAL);
    expect_has(fmt_err(&err), "expected KEY = VALUES");
}

static void test_sweep_grid_order_and_replacement(void **state)
{
    fixture *f = *state;
    scenario_with_sweep(f, NULL);
    bf_sweep *sw = NULL;
    bf_error err;
    assert_int_equal(bf_sweep_create(&sw), BF_OK);
    /* The command line replaces the file's fl_check values and adds a key. */
    bf_vary cli[2];
    assert_int_equal(bf_vary_parse("stations.fl_check.servers=5,6", "--vary", 0, &cli[0], &err),
                     BF_OK);
    assert_int_equal(bf_vary_parse("simulation.seed=1,2", "--vary", 0, &cli[1], &err), BF_OK);
    if (bf_sweep_set_grid(sw, f->scn, NULL, 0, cli, 2, &err) != BF_OK)
        fail_msg("%s", fmt_err(&err));
    assert_int_equal(bf_sweep_n_points(sw), 8);
    size_t nv;
    const bf_vary *vs = bf_sweep_varies(sw, &nv);
    assert_int_equal(nv, 3);
    assert_string_equal(vs[0].key, "station.fl_check.servers");
    assert_string_equal(vs[0].origin, "--vary");
    /* First key slowest, last fastest. */
    assert_string_equal(bf_sweep_point(sw, 0)->label,
                        "station.fl_check.servers=5, class.researcher.whitelisted=30%, "
                        "simulation.seed=1");
    assert_string_equal(bf_sweep_point(sw, 1)->label,
                        "station.fl_check.servers=5, class.researcher.whitelisted=30%, "
                        "simulation.seed=2");
    assert_string_equal(bf_sweep_point(sw, 7)->label,
                        "station.fl_check.servers=6, class.researcher.whitelisted=70%, "
                        "simulation.seed=2");
    assert_int_equal(bf_sweep_point(sw, 5)->sc->model->seed, 2);
    assert_string_equal(bf_scenario_param(bf_sweep_point(sw, 5)->sc, "station.fl_check.servers"),
                        "6");
    assert_int_equal(strlen(bf_sweep_key(sw)), 16);
    for (size_t i = 0; i < 8; i++)
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(bf_sweep_point(sw, i)->point_key,
                                    bf_sweep_point(sw, j)->point_key);
    char key1[17];
    snprintf(key1, sizeof key1, "%s", bf_sweep_key(sw));

    /* The same grid again has the same identity; another grid another. */
    bf_sweep *sw2 = NULL;
    assert_int_equal(bf_sweep_create(&sw2), BF_OK);
    assert_int_equal(bf_sweep_set_grid(sw2, f->scn, NULL, 0, cli, 2, &err), BF_OK);
    assert_string_equal(bf_sweep_key(sw2), key1);
    assert_int_equal(bf_sweep_set_grid(sw2, f->scn, NULL, 0, cli, 1, &err), BF_OK);
    assert_int_equal(bf_sweep_n_points(sw2), 4);
    assert_string_not_equal(bf_sweep_key(sw2), key1);
    /* Neither a point's key nor the sweep's depends on the replications
     * asked for. */
    char key2[17], point2[17];
    snprintf(key2, sizeof key2, "%s", bf_sweep_key(sw2));
    snprintf(point2, sizeof point2, "%s", bf_sweep_point(sw2, 3)->point_key);
    const char *sets[] = {"simulation.replications=9"};
    assert_int_equal(bf_sweep_set_grid(sw2, f->scn, sets, 1, cli, 1, &err), BF_OK);
    assert_string_equal(bf_sweep_key(sw2), key2);
    assert_string_equal(bf_sweep_point(sw2, 3)->point_key, point2);
    bf_sweep_destroy(sw2);
    bf_vary_fini(&cli[0]);
    bf_vary_fini(&cli[1]);
    bf_sweep_destroy(sw);
}

static void grid_bad(fixture *f, const char *const *sets, size_t n_sets, const char *vary,
                     bf_status want, const char *msg)
{
    bf_sweep *sw = NULL;
    bf_error err;
    assert_int_equal(bf_sweep_create(&sw), BF_OK);
    bf_vary v;
    memset(&v, 0, sizeof v);
    if (vary)
        assert_int_equal(bf_vary_parse(vary, "--vary", 0, &v, &err), BF_OK);
    bf_status st = bf_sweep_set_grid(sw, f->scn, sets, n_sets, &v, vary ? 1 : 0, &err);
    if (st != want)
        fail_msg("%s: status %d, want %d: %s", vary ? vary : "(none)", st, want, fmt_err(&err));
    expect_has(fmt_err(&err), msg);
    assert_int_equal(bf_sweep_n_points(sw), 0);
    bf_vary_fini(&v);
    bf_sweep_destroy(sw);
}

static void test_sweep_grid_errors(void **state)
{
    fixture *f = *state;
    /* The loader's own messages, moved to --vary. */
    grid_bad(f, NULL, 0, "stations.fl_check.server=2,3", BF_EINVAL, "--vary: ");
    grid_bad(f, NULL, 0, "stations.fl_check.server=2,3", BF_EINVAL, "servers");
    grid_bad(f, NULL, 0, "stations.fl_chek.servers=2,3", BF_EINVAL,
             "the scenario has no [station fl_chek]; did you mean 'fl_check'?");
    grid_bad(f, NULL, 0, "stations.fl_check.servers=2,lots", BF_EINVAL, "--vary: ");
    grid_bad(f, NULL, 0, "stations.fl_check.servers=2,lots", BF_EINVAL, "\"lots\"");
    grid_bad(f, NULL, 0, "stations.fl_check.servers=2,3.5", BF_EINVAL, "\"3.5\"");
    /* A value that is wrong with the base scenario is the value's
     * fault ... */
    grid_bad(f, (const char *[]){"simulation.horizon=1h"}, 1, "simulation.warmup=10min,2h",
             BF_EINVAL, "--vary: [simulation] warmup");
    /* ... but values that are each fine and wrong together are the
     * point's: horizon 2h with a warm-up of 150 min. */
    {
        bf_sweep *sw = NULL;
        bf_error err;
        bf_vary v[2];
        assert_int_equal(bf_sweep_create(&sw), BF_OK);
        assert_int_equal(bf_vary_parse("simulation.horizon=6h,2h", "--vary", 0, &v[0], &err),
                         BF_OK);
        assert_int_equal(bf_vary_parse("simulation.warmup=1h,150min", "--vary", 0, &v[1], &err),
                         BF_OK);
        assert_int_equal(bf_sweep_set_grid(sw, f->scn, NULL, 0, v, 2, &err), BF_EINVAL);
        expect_has(fmt_err(&err), "warm-up");
        expect_has(fmt_err(&err), "(in the sweep point 4 of 4: simulation.horizon=2h, "
                                  "simulation.warmup=150min)");
        assert_int_equal(bf_sweep_n_points(sw), 0);
        bf_vary_fini(&v[0]);
        bf_vary_fini(&v[1]);
        bf_sweep_destroy(sw);
    }
    grid_bad(f, (const char *[]){"stations.fl_check.servers=4"}, 1,
             "station.fl_check.servers=2,3", BF_EINVAL, "both set");
    grid_bad(f, NULL, 0, "simulation.replications=2,4", BF_EINVAL, "cannot be varied");
    grid_bad(f, NULL, 0, NULL, BF_EINVAL, "nothing to vary");
    char missing[200];
    snprintf(missing, sizeof missing, "%s/none.ini", f->dir);
    bf_sweep *sw = NULL;
    bf_error err;
    assert_int_equal(bf_sweep_create(&sw), BF_OK);
    assert_int_equal(bf_sweep_set_grid(sw, missing, NULL, 0, NULL, 0, &err), BF_EIO);
    bf_sweep_destroy(sw);
}

/* ---- metric selection ---------------------------------------------------------- */

static void test_sweep_metric_select(void **state)
{
    fixture *f = *state;
    bf_sweep *sw = NULL;
    bf_error err;
    assert_int_equal(bf_sweep_create(&sw), BF_OK);
    assert_int_equal(bf_sweep_add_point(sw, f->scn, NULL, 0, NULL, NULL, &err), BF_OK);
    const bf_catalog *cat = bf_sweep_point(sw, 0)->cat;
    size_t *idx, n;
    assert_int_equal(bf_metric_select(cat, BF_PRECISION_DEFAULT_METRICS, &idx, &n, &err), BF_OK);
    /* Two classes' times in system, two stations' mean waits. */
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) {
        const bf_metric_key *k = &cat->keys[idx[i]];
        assert_true(strcmp(k->metric, "time_in_system_mean") == 0 ||
                    (strcmp(k->metric, "wait_mean") == 0 && k->class_name[0] == 0));
    }
    free(idx);
    assert_int_equal(bf_metric_select(cat, "station.sl_check.material.wait_mean", &idx, &n, &err),
                     BF_OK);
    assert_int_equal(n, 1);
    free(idx);
    assert_int_equal(bf_metric_select(cat, "station.sl_check.wait_mean, station.sl_check.wait_mean",
                                      &idx, &n, &err), BF_OK);
    assert_int_equal(n, 1); /* listed once */
    free(idx);
    assert_int_equal(bf_metric_select(cat, "station.nowhere.wait_mean", &idx, &n, &err), BF_EINVAL);
    expect_has(err.msg, "matches no metric");
    assert_int_equal(bf_metric_select(cat, "wait_mean", &idx, &n, &err), BF_EINVAL);
    expect_has(err.msg, "expected KIND.SCOPE.METRIC");
    assert_int_equal(bf_metric_select(cat, "station.*.wait_mean,", &idx, &n, &err), BF_EINVAL);
    bf_sweep_destroy(sw);
}

/* ---- running ---------------------------------------------------------------------- */

static bf_sweep *grid(fixture *f, const char *vary)
{
    write_file(f->scn, SCN);
    bf_sweep *sw = NULL;
    bf_error err;
    bf_vary v;
    assert_int_equal(bf_sweep_create(&sw), BF_OK);
    assert_int_equal(bf_vary_parse(vary, "--vary", 0, &v, &err), BF_OK);
    if (bf_sweep_set_grid(sw, f->scn, NULL, 0, &v, 1, &err) != BF_OK)
        fail_msg("%s", fmt_err(&err));
    bf_vary_fini(&v);
    return sw;
}

static bf_sweep_report *run_into(bf_sweep *sw, const char *db, const bf_sweep_opts *o,
                                 bf_status want)
{
    bf_store *st = NULL;
    bf_error err;
    assert_int_equal(bf_store_open(db, &st, &err), BF_OK);
    bf_sweep_report *rep = NULL;
    bf_status s = bf_sweep_run(sw, st, o, &rep, &err);
    if (s != want)
        fail_msg("bf_sweep_run: %d (want %d): %s", s, want, fmt_err(&err));
    bf_store_close(st);
    assert_non_null(rep);
    return rep;
}

/* Every replication's values, histograms and sample count, by point
 * (overrides) and replication: independent of run ids and row order.
 * Allocated. */
static char *dump(const char *db)
{
    return strdup(rows(db,
        "SELECT r.overrides, p.replication, p.events,"
        " (SELECT group_concat(ifnull(printf('%.17g', m.value), 'NULL'), ',') FROM"
        "   (SELECT value FROM rep_metrics m WHERE m.run_id = r.id"
        "    AND m.replication = p.replication ORDER BY key_index) m),"
        " (SELECT group_concat(hex(counts), ',') FROM (SELECT counts FROM rep_hist h"
        "   WHERE h.run_id = r.id AND h.replication = p.replication ORDER BY key_index)),"
        " (SELECT count(*) FROM timeseries t WHERE t.run_id = r.id"
        "   AND t.replication = p.replication)"
        " FROM runs r JOIN replications p ON p.run_id = r.id"
        " ORDER BY r.overrides, p.replication"));
}

static const char AGG_SQL[] =
    "SELECT r.overrides, a.key_index, a.n, printf('%.17g', a.mean),"
    " printf('%.17g', a.half_width) FROM aggregates a JOIN runs r ON r.id = a.run_id"
    " ORDER BY 1, 2";
static const char DIST_SQL[] =
    "SELECT r.overrides, d.key_index, d.lo, d.count FROM distributions d"
    " JOIN runs r ON r.id = d.run_id ORDER BY 1, 2, 3";

static void test_sweep_run_independent_of_jobs(void **state)
{
    fixture *f = *state;
    bf_sweep *sw = grid(f, "stations.fl_check.servers=2:4:1");
    char a[200], b[200];
    snprintf(a, sizeof a, "%s/a.db", f->dir);
    snprintf(b, sizeof b, "%s/b.db", f->dir);
    bf_sweep_opts o = {.jobs = 1, .keep_series = true, .replications = 4};
    bf_sweep_report *r1 = run_into(sw, a, &o, BF_OK);
    o.jobs = 3;
    bf_sweep_report *r2 = run_into(sw, b, &o, BF_OK);
    assert_int_equal(r1->units_run, 12);
    assert_int_equal(r2->units_run, 12);
    assert_int_equal(r1->units_total, 12);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(r1->points[i].status, "done");
        assert_int_equal(r1->points[i].stored, 4);
    }
    char *da = dump(a), *db = dump(b);
    assert_string_equal(da, db);
    /* Aggregates and pooled distributions too. */
    char *aa = strdup(rows(a, AGG_SQL));
    assert_string_equal(aa, rows(b, AGG_SQL));
    char *ds = strdup(rows(a, DIST_SQL));
    assert_string_equal(ds, rows(b, DIST_SQL));
    assert_true(strlen(ds) > 100);
    /* The sweep and its points are recorded. */
    assert_string_equal(rows(a, "SELECT point_index, point FROM sweep_points ORDER BY 1"),
                        "0|station.fl_check.servers=2\n1|station.fl_check.servers=3\n"
                        "2|station.fl_check.servers=4\n");
    assert_string_equal(rows(a, "SELECT DISTINCT key, value FROM v_sweep_values ORDER BY 2"),
                        "station.fl_check.servers|2\nstation.fl_check.servers|3\n"
                        "station.fl_check.servers|4\n");
    assert_int_equal(q_int(a, "SELECT count(DISTINCT run_id) FROM v_sweep_points"), 3);
    free(da);
    free(db);
    free(aa);
    free(ds);
    assert_sound(a);
    assert_sound(b);
    bf_sweep_report_destroy(r1);
    bf_sweep_report_destroy(r2);
    bf_sweep_destroy(sw);
}

static const char REPS_SQL[] =
    "SELECT run_id, replication, completed_at FROM replications ORDER BY 1, 2";

static void test_sweep_run_resumes_and_extends(void **state)
{
    fixture *f = *state;
    bf_sweep *sw = grid(f, "stations.fl_check.servers=2,3");
    char a[200], ref[200];
    snprintf(a, sizeof a, "%s/a.db", f->dir);
    snprintf(ref, sizeof ref, "%s/ref.db", f->dir);
    bf_sweep_opts o = {.jobs = 2, .keep_series = true, .replications = 3};
    bf_sweep_report *r = run_into(sw, a, &o, BF_OK);
    assert_int_equal(r->units_run, 6);
    bf_sweep_report_destroy(r);
    char *first = strdup(rows(a, REPS_SQL));

    /* The same command again: nothing to do, nothing changes. */
    r = run_into(sw, a, &o, BF_OK);
    assert_int_equal(r->units_run, 0);
    assert_int_equal(r->units_skipped, 6);
    bf_sweep_report_destroy(r);
    assert_string_equal(rows(a, REPS_SQL), first);

    /* More replications later: only the new ones run, the old are kept,
     * and the aggregates cover all five. */
    o.replications = 5;
    r = run_into(sw, a, &o, BF_OK);
    assert_int_equal(r->units_run, 4);
    assert_int_equal(r->units_skipped, 6);
    assert_int_equal(r->points[0].stored, 5);
    assert_string_equal(r->points[0].status, "done");
    bf_sweep_report_destroy(r);
    char *after = strdup(rows(a, "SELECT run_id, replication, completed_at FROM replications"
                                 " WHERE replication < 3 ORDER BY 1, 2"));
    assert_string_equal(after, first);
    assert_string_equal(rows(a, "SELECT DISTINCT n FROM aggregates WHERE n > 0"), "5\n");
    assert_int_equal(q_int(a, "SELECT count(*) FROM runs"), 2);
    assert_int_equal(q_int(a, "SELECT count(*) FROM sweeps"), 1);
    /* Two of the three calls stored replications, each its own invocation. */
    assert_int_equal(q_int(a, "SELECT count(DISTINCT invocation_id) FROM replications"), 2);

    /* Equal to five replications at once. */
    r = run_into(sw, ref, &o, BF_OK);
    bf_sweep_report_destroy(r);
    char *d1 = dump(a), *d2 = dump(ref);
    assert_string_equal(d1, d2);
    char *ag = strdup(rows(ref, AGG_SQL));
    assert_string_equal(rows(a, AGG_SQL), ag);
    free(ag);
    free(d1);
    free(d2);
    free(first);
    free(after);
    assert_sound(a);
    bf_sweep_destroy(sw);
}

/* A replication that died mid-way left time-series rows; resuming
 * discards them and runs it again. */
static void test_sweep_run_discards_incomplete(void **state)
{
    fixture *f = *state;
    bf_sweep *sw = grid(f, "stations.fl_check.servers=2,3");
    char a[200], ref[200];
    snprintf(a, sizeof a, "%s/a.db", f->dir);
    snprintf(ref, sizeof ref, "%s/ref.db", f->dir);
    bf_sweep_opts o = {.jobs = 1, .keep_series = true, .replications = 2};
    bf_sweep_report *r = run_into(sw, a, &o, BF_OK);
    bf_sweep_report_destroy(r);
    /* Replication 2 of run 1 "died" after writing two samples. */
    bf_store *st = NULL;
    bf_error err;
    assert_int_equal(bf_store_open(a, &st, &err), BF_OK);
    assert_int_equal(bf_store_reopen_run(st, 1, 3, &err), BF_OK);
    bf_store_sample smp[2] = {{0.0, 0, 7.25}, {1200.0, 0, 8.25}};
    assert_int_equal(bf_store_add_series(st, 1, 2, smp, 2, &err), BF_OK);
    bf_store_close(st);
    o.replications = 3;
    r = run_into(sw, a, &o, BF_OK);
    assert_int_equal(r->units_run, 2);
    bf_sweep_report_destroy(r);
    /* The samples of replication 2 are the real ones: as in a store that
     * ran three replications from the start. */
    r = run_into(sw, ref, &o, BF_OK);
    bf_sweep_report_destroy(r);
    static const char TS[] =
        "SELECT r.overrides, t.replication, t.series_index, t.t, t.value FROM timeseries t"
        " JOIN runs r ON r.id = t.run_id ORDER BY 1, 2, 3, 4";
    char *want = strdup(rows(ref, TS));
    assert_string_equal(rows(a, TS), want);
    free(want);
    assert_sound(a);
    bf_sweep_destroy(sw);
}

static void test_sweep_shards_merge_to_the_whole(void **state)
{
    fixture *f = *state;
    bf_sweep *sw = grid(f, "stations.fl_check.servers=2:4:1");
    char whole[200], out[200], sh[3][200];
    snprintf(whole, sizeof whole, "%s/whole.db", f->dir);
    snprintf(out, sizeof out, "%s/out.db", f->dir);
    bf_sweep_opts o = {.jobs = 2, .keep_series = true, .replications = 4};
    bf_sweep_report *r = run_into(sw, whole, &o, BF_OK);
    bf_sweep_report_destroy(r);
    size_t units = 0;
    for (int k = 0; k < 3; k++) {
        snprintf(sh[k], sizeof sh[k], "%s/shard-%d.db", f->dir, k + 1);
        o.shard_k = k + 1;
        o.shard_n = 3;
        r = run_into(sw, sh[k], &o, BF_OK);
        units += r->units_run;
        /* Each point's 4 replications go round the 3 shards: 1 or 2 of
         * each point in every shard. */
        assert_int_equal(r->units_total, r->units_run);
        assert_true(r->units_total >= 3 && r->units_total <= 6);
        bf_sweep_report_destroy(r);
    }
    assert_int_equal(units, 12);
    assert_string_equal(rows(sh[0], "SELECT DISTINCT status FROM runs"), "partial\n");

    bf_store *st = NULL;
    bf_error err;
    assert_int_equal(bf_store_open(out, &st, &err), BF_OK);
    const char *in[3] = {sh[0], sh[1], sh[2]};
    if (bf_store_merge_check(st, in, 3, &err) != BF_OK)
        fail_msg("%s", err.msg);
    bf_merge_report mr = {0};
    for (int k = 0; k < 3; k++)
        if (bf_store_merge(st, in[k], &mr, &err) != BF_OK)
            fail_msg("%s", err.msg);
    /* Each shard brings its own run of each point; they are joined. */
    assert_int_equal(mr.runs_new, 3);
    assert_int_equal(mr.runs_joined, 6);
    assert_int_equal(mr.reps_new, 12);
    assert_int_equal(mr.reps_same, 0);
    assert_int_equal(mr.sweeps_new, 1);
    /* Merging a shard again changes nothing. */
    bf_merge_report again = {0};
    assert_int_equal(bf_store_merge(st, in[1], &again, &err), BF_OK);
    assert_int_equal(again.reps_new, 0);
    assert_int_equal(again.reps_same, 4);
    bf_store_close(st);

    char *dw = dump(whole), *dm = dump(out);
    assert_string_equal(dm, dw);
    char *aw = strdup(rows(whole, AGG_SQL));
    assert_string_equal(rows(out, AGG_SQL), aw);
    char *dd = strdup(rows(whole, DIST_SQL));
    assert_string_equal(rows(out, DIST_SQL), dd);
    assert_string_equal(rows(out, "SELECT DISTINCT status FROM runs"), "done\n");
    assert_string_equal(rows(out, "SELECT point_index, point FROM sweep_points ORDER BY 1"),
                        "0|station.fl_check.servers=2\n1|station.fl_check.servers=3\n"
                        "2|station.fl_check.servers=4\n");
    free(dw);
    free(dm);
    free(aw);
    free(dd);
    assert_sound(out);
    bf_sweep_destroy(sw);
}

static void test_sweep_merge_refuses(void **state)
{
    fixture *f = *state;
    bf_sweep *sw = grid(f, "stations.fl_check.servers=2,3");
    char a[200], b[200], c[200], out[200];
    snprintf(a, sizeof a, "%s/a.db", f->dir);
    snprintf(b, sizeof b, "%s/b.db", f->dir);
    snprintf(c, sizeof c, "%s/c.db", f->dir);
    snprintf(out, sizeof out, "%s/out.db", f->dir);
    bf_sweep_opts o = {.jobs = 2, .replications = 2};
    bf_sweep_report_destroy(run_into(sw, a, &o, BF_OK));
    bf_sweep_report_destroy(run_into(sw, b, &o, BF_OK));
    bf_sweep_destroy(sw);
    /* Another grid of the same scenario. */
    sw = grid(f, "stations.sl_check.servers=2,3");
    bf_sweep_report_destroy(run_into(sw, c, &o, BF_OK));
    bf_sweep_destroy(sw);

    bf_store *st = NULL;
    bf_error err;
    assert_int_equal(bf_store_open(out, &st, &err), BF_OK);
    assert_int_equal(bf_store_merge(st, a, NULL, &err), BF_OK);
    static const char ALL[] = "SELECT * FROM rep_metrics ORDER BY 1, 2, 3";
    char *before = strdup(rows(out, ALL));

    /* Another sweep: refused before anything is written. */
    const char *in[] = {b, c};
    assert_int_equal(bf_store_merge_check(st, in, 2, &err), BF_ESTORE);
    expect_has(err.msg, c);
    expect_has(err.msg, "different sweeps");
    assert_int_equal(bf_store_merge(st, c, NULL, &err), BF_ESTORE);

    /* A replication that differs: the input is refused, the point and
     * the replication named. */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(b, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE rep_metrics SET value = value + 1"
                                      " WHERE run_id = 2 AND replication = 1 AND key_index = 3",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(bf_store_merge(st, b, NULL, &err), BF_ESTORE);
    expect_has(err.msg, "replication 1 of s with station.fl_check.servers=3");
    expect_has(err.msg, "different metric values");
    assert_string_equal(rows(out, ALL), before);

    /* Not a store; another schema version; the output itself; nothing. */
    char junk[200];
    snprintf(junk, sizeof junk, "%s/junk.db", f->dir);
    write_file(junk, "not a database at all, just text that is long enough to be a header\n");
    assert_int_equal(bf_store_merge(st, junk, NULL, &err), BF_ESTORE);
    expect_has(err.msg, "is not a borderflow results store");
    assert_int_equal(sqlite3_open(c, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE meta SET value = '1' WHERE key = 'schema_version'",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(bf_store_merge(st, c, NULL, &err), BF_ESTORE);
    expect_has(err.msg, "has schema version 1; this borderflow writes version 2");
    assert_int_equal(bf_store_merge(st, out, NULL, &err), BF_EINVAL);
    expect_has(err.msg, "is the output store");
    snprintf(junk, sizeof junk, "%s/none.db", f->dir);
    assert_int_equal(bf_store_merge(st, junk, NULL, &err), BF_EIO);
    expect_has(err.msg, "no such file");
    assert_int_equal(access(junk, F_OK), -1); /* not created */
    bf_store_close(st);
    assert_string_equal(rows(out, ALL), before);
    free(before);
    assert_sound(out);
}

static void test_sweep_precision_is_reproducible(void **state)
{
    fixture *f = *state;
    bf_sweep *sw = grid(f, "stations.fl_check.servers=2,3");
    char a[200], b[200], c[200];
    snprintf(a, sizeof a, "%s/a.db", f->dir);
    snprintf(b, sizeof b, "%s/b.db", f->dir);
    snprintf(c, sizeof c, "%s/c.db", f->dir);
    bf_sweep_opts o = {.jobs = 1, .precision = 0.10, .max_replications = 40};
    bf_sweep_report *r1 = run_into(sw, a, &o, BF_OK);
    o.jobs = 3;
    bf_sweep_report *r2 = run_into(sw, b, &o, BF_OK);
    for (size_t i = 0; i < 2; i++) {
        assert_true(r1->points[i].needed >= 5);
        assert_true(r1->points[i].needed <= 40);
        assert_int_equal(r1->points[i].needed, r2->points[i].needed);
        assert_int_equal(r1->points[i].stored, r1->points[i].needed);
        assert_int_equal(r1->points[i].precise, r2->points[i].precise);
        /* Met, or stopped by the cap. */
        assert_true(r1->points[i].precise || r1->points[i].needed == 40);
    }
    char *da = dump(a), *db = dump(b);
    assert_string_equal(da, db);
    free(da);
    free(db);
    /* The check is recorded. */
    assert_int_equal(q_int(a, "SELECT count(*) FROM precision"), 2);

    /* A precise point is precise by its own stored values: the chosen
     * metrics of replications 0..needed-1 meet the target. */
    for (size_t i = 0; i < 2; i++) {
        if (!r1->points[i].precise)
            continue;
        char sql[512];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM aggregates a JOIN metric_keys k USING (run_id, key_index)"
                 " WHERE a.run_id = %lld AND ((k.scope_kind = 'class' AND k.metric ="
                 " 'time_in_system_mean') OR (k.scope_kind = 'station' AND k.class = '' AND"
                 " k.metric = 'wait_mean')) AND a.n > 1 AND a.half_width > 0.10 * abs(a.mean)",
                 (long long)r1->points[i].run_id);
        assert_int_equal(q_int(a, sql), 0);
    }

    /* Cancelled before it started, then run: the same decisions. */
    volatile int cancel = 1;
    o.jobs = 1;
    o.cancel = &cancel;
    bf_sweep_report *r3 = run_into(sw, c, &o, BF_ECANCELED);
    assert_int_equal(r3->units_run, 0);
    bf_sweep_report_destroy(r3);
    cancel = 0;
    r3 = run_into(sw, c, &o, BF_OK);
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(r3->points[i].needed, r1->points[i].needed);
    bf_sweep_report_destroy(r3);
    bf_sweep_report_destroy(r1);
    bf_sweep_report_destroy(r2);
    assert_sound(a);
    assert_sound(c);
    bf_sweep_destroy(sw);
}

/* Cancelled after k units: those are stored, the rest are not; the runs
 * are 'canceled' with aggregates over what they have; a rerun completes. */
typedef struct stopper {
    volatile int flag;
    size_t after;
} stopper;

static void stop_after(void *ctx, const bf_sweep_progress *p)
{
    stopper *s = ctx;
    if (p->done - p->skipped >= s->after)
        s->flag = 1;
}

static void test_sweep_cancel_keeps_finished_units(void **state)
{
    fixture *f = *state;
    bf_sweep *sw = grid(f, "stations.fl_check.servers=2:5:1");
    char a[200], ref[200];
    snprintf(a, sizeof a, "%s/a.db", f->dir);
    snprintf(ref, sizeof ref, "%s/ref.db", f->dir);
    stopper stp = {0, 5};
    bf_sweep_opts o = {.jobs = 1, .keep_series = true, .replications = 4,
                       .on_progress = stop_after, .ctx = &stp, .cancel = &stp.flag};
    bf_sweep_report *r = run_into(sw, a, &o, BF_ECANCELED);
    assert_int_equal(r->units_run, 5);
    bf_sweep_report_destroy(r);
    assert_int_equal(q_int(a, "SELECT count(*) FROM replications"), 5);
    /* Points run one after the other: the first is whole. */
    assert_string_equal(rows(a, "SELECT status, count(*) FROM runs GROUP BY 1 ORDER BY 1"),
                        "canceled|1\ndone|1\n");
    assert_sound(a);
    stp.flag = 0;
    stp.after = 1000;
    r = run_into(sw, a, &o, BF_OK);
    assert_int_equal(r->units_run, 11);
    assert_int_equal(r->units_skipped, 5);
    bf_sweep_report_destroy(r);
    r = run_into(sw, ref, &o, BF_OK);
    bf_sweep_report_destroy(r);
    char *d1 = dump(a), *d2 = dump(ref);
    assert_string_equal(d1, d2);
    free(d1);
    free(d2);
    assert_string_equal(rows(a, "SELECT DISTINCT status FROM runs"), "done\n");
    assert_sound(a);
    bf_sweep_destroy(sw);
}

/* compare's pairing: the same seed for both, pairs by replication. */
static void test_sweep_compare_points(void **state)
{
    fixture *f = *state;
    bf_sweep *sw = NULL;
    bf_error err;
    assert_int_equal(bf_sweep_create(&sw), BF_OK);
    assert_int_equal(bf_sweep_add_point(sw, f->scn, NULL, 0, "base", NULL, &err), BF_OK);
    const char *pol[] = {"station.sl_check.servers=3", "simulation.seed=2385"};
    assert_int_equal(bf_sweep_add_point(sw, f->scn, pol, 2, "policy", NULL, &err), BF_OK);
    char a[200];
    snprintf(a, sizeof a, "%s/a.db", f->dir);
    bf_store *st = NULL;
    assert_int_equal(bf_store_open(a, &st, &err), BF_OK);
    bf_sweep_opts o = {.jobs = 2, .replications = 6};
    bf_sweep_report *rep = NULL;
    assert_int_equal(bf_sweep_run(sw, st, &o, &rep, &err), BF_OK);
    bf_compare_result *res = NULL;
    if (bf_compare_points(sw, 0, 1, rep, st, 6, "station.sl_check.wait_mean", "test", &res,
                          &err) != BF_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(res->n_rows, 1);
    assert_true(res->crn);
    /* The row is the paired difference of the stored values. */
    double vb[6], vp[6], scratch[6];
    long k = bf_catalog_find(bf_sweep_point(sw, 0)->cat, "station", "sl_check", "", "wait_mean");
    assert_true(k >= 0);
    assert_int_equal(bf_store_rep_values(st, rep->points[0].run_id, (size_t)k, 6, vb, &err), BF_OK);
    assert_int_equal(bf_store_rep_values(st, rep->points[1].run_id, (size_t)k, 6, vp, &err), BF_OK);
    bf_paired p = bf_paired_diff(vb, vp, 6, scratch);
    assert_true(p.diff.mean == res->rows[0].p.diff.mean);
    assert_true(p.diff.half_width == res->rows[0].p.diff.half_width);
    /* A third server cuts the wait. */
    assert_true(p.diff.mean < 0);
    bf_compare_result_destroy(res);
    bf_sweep_report_destroy(rep);
    bf_store_close(st);
    assert_string_equal(rows(a, "SELECT comparison_id, metric, n, common_random_numbers"
                                " FROM v_comparisons"), "1|wait_mean|6|1\n");
    assert_sound(a);
    bf_sweep_destroy(sw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep_vary_lists_and_ranges),
        cmocka_unit_test(test_sweep_vary_errors),
        cmocka_unit_test(test_sweep_key_canonical),
        cmocka_unit_test(test_sweep_shard_parse),
        cmocka_unit_test(test_sweep_shard_assignment),
        cmocka_unit_test(test_sweep_precision_rule),
        cmocka_unit_test(test_sweep_paired_known_answer),
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_sweep_section_is_read_and_kept),
        T(test_sweep_grid_order_and_replacement),
        T(test_sweep_grid_errors),
        T(test_sweep_metric_select),
        T(test_sweep_run_independent_of_jobs),
        T(test_sweep_run_resumes_and_extends),
        T(test_sweep_run_discards_incomplete),
        T(test_sweep_shards_merge_to_the_whole),
        T(test_sweep_merge_refuses),
        T(test_sweep_precision_is_reproducible),
        T(test_sweep_cancel_keeps_finished_units),
        T(test_sweep_compare_points),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
