/* test_scenario.c - INI loading: values, overrides, continuation lines,
 * error locations, and allocation failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "borderflow/scenario.h"

static const char *const small =
    "; a small two-line scenario\n"
    "[simulation]\n"
    "title = test\n"
    "horizon = 2d\n"
    "warmup = 3h\n"
    "replications = 7\n"
    "seed = 2385\n"
    "sample_every = 30min\n"
    "\n"
    "[class researcher]\n"
    "arrivals = poisson(rate=238.5/h)\n"
    "whitelisted = 35%\n"
    "predeclared = 0.5\n"
    "risk = low 90%, medium 9%, high 1%\n"
    "priority = 2\n"
    "route = fl, zone,\n"
    "   branch(25%: sl; 75%: fl)\n"
    "\n"
    "[station fl]\n"
    "line = first\n"
    "servers = 4\n"
    "service = lognormal(mean=40s, sd=15s)\n"
    "service.researcher = exp(mean=30s)\n"
    "\n"
    "[delay zone]\n"
    "time = lognormal(mean=6h, sd=3h)\n"
    "\n"
    "[station sl]\n"
    "line = second\n"
    "servers = 2\n"
    "discipline = priority\n"
    "service = const(90s)\n"
    "inspect = 5% -> sl2\n"
    "\n"
    "[station sl2]\n"
    "line = second\n"
    "service = exp(mean=10min)\n";

static bf_scenario *load(const char *text, const char *const *sets, size_t n, bf_error *err)
{
    bf_scenario *sc = NULL;
    bf_status st = bf_scenario_parse(text, strlen(text), "t.ini", sets, n, &sc, err);
    if (st != BF_OK)
        return NULL;
    return sc;
}

static void test_scenario_values(void **state)
{
    (void)state;
    bf_error err;
    bf_scenario *sc = load(small, NULL, 0, &err);
    assert_non_null(sc);
    const bf_model *m = sc->model;
    assert_string_equal(m->name, "t");
    assert_float_equal(m->horizon, 2 * 86400.0, 0);
    assert_float_equal(m->warmup, 3 * 3600.0, 0);
    assert_int_equal(m->replications, 7);
    assert_int_equal(m->seed, 2385);
    assert_float_equal(m->sample_every, 1800.0, 0);
    assert_int_equal(m->n_classes, 1);
    assert_int_equal(m->n_nodes, 4);
    const bf_class *c = &m->classes[0];
    assert_float_equal(c->rate, 238.5 / 3600.0, 1e-15);
    assert_float_equal(c->whitelisted, 0.35, 1e-15);
    assert_float_equal(c->predeclared, 0.5, 0);
    assert_float_equal(c->risk[1], 0.09, 1e-15);
    assert_int_equal(c->priority, 2);
    /* The continuation line belongs to the route. */
    assert_int_equal(c->route.n_ops, 8);
    int fl = bf_model_find_node(m, "fl"), sl = bf_model_find_node(m, "sl");
    assert_int_equal(m->nodes[fl].servers, 4);
    assert_int_equal(m->nodes[fl].line, BF_LINE_FIRST);
    assert_float_equal(bf_dist_mean(bf_model_service(m, (size_t)fl, 0)), 30.0, 1e-9);
    assert_int_equal(m->nodes[sl].discipline, BF_DISC_PRIORITY);
    assert_int_equal(m->nodes[sl].inspect_node, bf_model_find_node(m, "sl2"));
    assert_float_equal(m->nodes[sl].inspect_prob, 0.05, 1e-15);
    assert_string_equal(bf_scenario_param(sc, "station.fl.servers"), "4");
    assert_string_equal(bf_scenario_param(sc, "simulation.seed"), "2385");
    bf_scenario_destroy(sc);
}

static void test_scenario_overrides(void **state)
{
    (void)state;
    bf_error err;
    const char *sets[] = {"stations.fl.servers=9", "class.researcher.whitelisted=70%",
                          "simulation.seed=7", "station.sl.service.researcher=const(2min)"};
    bf_scenario *sc = load(small, sets, 4, &err);
    assert_non_null(sc);
    const bf_model *m = sc->model;
    assert_int_equal(m->nodes[bf_model_find_node(m, "fl")].servers, 9);
    assert_float_equal(m->classes[0].whitelisted, 0.7, 1e-15);
    assert_int_equal(m->seed, 7);
    assert_float_equal(bf_dist_mean(bf_model_service(m, (size_t)bf_model_find_node(m, "sl"), 0)),
                       120.0, 0);
    assert_string_equal(sc->overrides, "stations.fl.servers=9\nclass.researcher.whitelisted=70%\n"
                                       "simulation.seed=7\nstation.sl.service.researcher=const(2min)\n");
    assert_string_equal(bf_scenario_param(sc, "station.fl.servers"), "9");
    bf_scenario_destroy(sc);
}

static void test_scenario_override_errors_name_set(void **state)
{
    (void)state;
    bf_error err;
    const char *bad[] = {"station.fl.servers=-3"};
    assert_null(load(small, bad, 1, &err));
    assert_string_equal(err.file, "--set");
    assert_string_equal(err.section, "station fl");
    assert_string_equal(err.key, "servers");
    assert_string_equal(err.value, "-3");
    const char *typo[] = {"statoin.fl.servers=3"};
    assert_null(load(small, typo, 1, &err));
    assert_non_null(strstr(err.msg, "did you mean 'station'"));
    const char *noeq[] = {"station.fl.servers"};
    assert_null(load(small, noeq, 1, &err));
    assert_non_null(strstr(err.msg, "SECTION.KEY=VALUE"));
}

static void expect_error(const char *text, int line, const char *key, const char *needle)
{
    bf_error err;
    bf_scenario *sc = load(text, NULL, 0, &err);
    if (sc) {
        bf_scenario_destroy(sc);
        fail_msg("expected an error containing '%s'", needle);
    }
    char buf[2048];
    bf_error_format(&err, buf, sizeof buf);
    if (!strstr(buf, needle))
        fail_msg("message '%s' lacks '%s'", buf, needle);
    assert_int_equal(err.line, line);
    if (key)
        assert_string_equal(err.key, key);
    assert_string_equal(err.file, "t.ini");
}

static void test_scenario_error_locations(void **state)
{
    (void)state;
    char buf[4096];
    /* Replace line 21 (servers = 4) by a bad value. */
    snprintf(buf, sizeof buf, "%s", small);
    char *p = strstr(buf, "servers = 4");
    memcpy(p, "servers = x", 11);
    expect_error(buf, 21, "servers", "t.ini:21: [station fl] servers = \"x\"");
    snprintf(buf, sizeof buf, "%s", small);
    p = strstr(buf, "service = lognormal");
    memcpy(p, "sevrice", 7);
    expect_error(buf, 22, "sevrice", "did you mean 'service'?");
    expect_error("[simulation]\nhorizon = 1d\nhorizon = 2d\n", 3, "horizon", "first on line 2");
    expect_error("horizon = 1d\n", 1, "horizon", "outside any section");
    expect_error("", 0, NULL, "empty");
    expect_error("[simulation]\nhorizon = 1d\n[stattion x]\nservers = 1\n", 3, NULL,
                 "did you mean 'station'");
    expect_error("[simulation]\nhorizon=1d\n\x01\x02 garbage\n", 3, NULL, "cannot read this line");
}

static void test_scenario_binary_and_long_lines(void **state)
{
    (void)state;
    bf_error err;
    bf_scenario *sc = NULL;
    const char bin[] = "[simulation]\nhorizon = 1d\nab\0cd\n";
    assert_int_equal(bf_scenario_parse(bin, sizeof bin - 1, "t.ini", NULL, 0, &sc, &err), BF_EINVAL);
    assert_int_equal(err.line, 3);
    assert_non_null(strstr(err.msg, "binary"));
    size_t n = 10u << 20;
    char *big = bf_malloc(n + 32);
    assert_non_null(big);
    memcpy(big, "[simulation]\nhorizon = ", 23);
    memset(big + 23, '9', n);
    memcpy(big + 23 + n, "d\n", 3);
    assert_int_equal(bf_scenario_parse(big, strlen(big), "t.ini", NULL, 0, &sc, &err), BF_EINVAL);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.msg, "characters long"));
    bf_free(big);
}

static void test_scenario_alloc_failures_do_not_leak(void **state)
{
    (void)state;
    /* Count the allocations of one successful load, then fail each one in
     * turn: every failure must give BF_ENOMEM (or succeed, for
     * allocations whose failure has a fallback) and leak nothing. */
    bf_error err;
    bf_alloc_fail_after(-1);
    bf_scenario *sc = load(small, NULL, 0, &err);
    assert_non_null(sc);
    bf_scenario_destroy(sc);
    long total = bf_alloc_fail_after(-1);
    assert_true(total > 10);
    for (long i = 0; i < total; i++) {
        bf_alloc_fail_after(i);
        bf_status st = bf_scenario_parse(small, strlen(small), "t.ini", NULL, 0, &sc, &err);
        bf_alloc_fail_after(-1);
        if (st == BF_OK)
            bf_scenario_destroy(sc);
        else
            assert_int_equal(st, BF_ENOMEM);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenario_values),
        cmocka_unit_test(test_scenario_overrides),
        cmocka_unit_test(test_scenario_override_errors_name_set),
        cmocka_unit_test(test_scenario_error_locations),
        cmocka_unit_test(test_scenario_binary_and_long_lines),
        cmocka_unit_test(test_scenario_alloc_failures_do_not_leak),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
