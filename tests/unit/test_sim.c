/* test_sim.c - the simulator on models whose results are known exactly
 * (deterministic arrivals and services), the step API, warm-up, line
 * passages, and thread-count independence of the runner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "borderflow/runner.h"
#include "borderflow/scenario.h"
#include "borderflow/sim.h"
#include "unit/simfix.h"

/* fixture, setup, teardown, value: unit/simfix.h */

/* D/D/1: an arrival every 2.385 min, service 1.5 min, so nobody waits, the
 * server is busy 1.5/2.385 of the time, and each passage of the line takes
 * exactly the service time. */
static const char *const dd1 =
    "[simulation]\nhorizon = 2385min\nwarmup = 238.5min\nsample_every = 0s\n"
    "[class c]\narrivals = renewal(const(2.385min))\nroute = fl, sl\n"
    "[station fl]\nline = first\nservice = const(1.5min)\n"
    "[station sl]\nline = second\nservice = const(0.5min)\n";

static void test_sim_deterministic_queue(void **state)
{
    (void)state;
    fixture f;
    setup(&f, dd1);
    assert_int_equal(bf_sim_finish(f.sim), BF_OK);
    /* Arrivals at 2.385 k min for k = 1..1000; those after the warm-up
     * (k >= 101, since 100 x 2.385 = 238.5 is exactly the warm-up and the
     * warm-up event was scheduled first) are counted. */
    assert_float_equal(value(&f, "system", "", "", "arrivals"), 900, 0);
    assert_float_equal(value(&f, "station", "fl", "", "wait_max"), 0.0, 0);
    assert_float_equal(value(&f, "station", "fl", "", "wait_probability"), 0.0, 0);
    assert_float_equal(value(&f, "station", "fl", "", "utilization"), 1.5 / 2.385, 1e-9);
    assert_float_equal(value(&f, "line", "first", "", "clearance_mean"), 90.0, 1e-9);
    assert_float_equal(value(&f, "line", "second", "c", "clearance_p95"), 30.0, 30.0 / 128);
    assert_float_equal(value(&f, "class", "c", "c", "time_in_system_mean"), 120.0, 1e-9);
    assert_float_equal(value(&f, "system", "", "", "in_system_max"), 1.0, 0);
    teardown(&f);
}

/* Two arrivals at once into one server: the second waits exactly one
 * service time.  The horizon (95 min) falls between arrival instants, so
 * every arrival's wait is observed. */
static void test_sim_queue_wait_exact(void **state)
{
    (void)state;
    fixture f;
    setup(&f,
          "[simulation]\nhorizon = 95min\nsample_every = 0s\n"
          "[class a]\narrivals = renewal(const(10min))\nroute = q\n"
          "[class b]\narrivals = renewal(const(10min))\nroute = q\n"
          "[station q]\nservice = const(2.385min)\n");
    assert_int_equal(bf_sim_finish(f.sim), BF_OK);
    /* Class a's arrival was scheduled first at every tie, so a is served
     * first and b waits 2.385 min every time. */
    assert_float_equal(value(&f, "station", "q", "a", "wait_max"), 0.0, 0);
    assert_float_equal(value(&f, "station", "q", "b", "wait_mean"), 143.1, 1e-9);
    assert_float_equal(value(&f, "station", "q", "", "wait_probability"), 0.5, 0);
    assert_float_equal(value(&f, "station", "q", "", "queue_max"), 1.0, 0);
    teardown(&f);
}

static void test_sim_priority_serves_higher_first(void **state)
{
    (void)state;
    fixture f;
    /* Every 10 min: a blocker arrives first and occupies the server, then
     * (same instant) a low and a high priority entity queue; the high one
     * must be served before the low one although it queued later. */
    setup(&f,
          "[simulation]\nhorizon = 100min\nsample_every = 0s\n"
          "[class blocker]\narrivals = renewal(const(10min))\nroute = q\n"
          "[class low]\narrivals = renewal(const(10min))\nroute = q\npriority = 1\n"
          "[class high]\narrivals = renewal(const(10min))\nroute = q\npriority = 5\n"
          "[station q]\ndiscipline = priority\nservice = const(1min)\n");
    assert_int_equal(bf_sim_finish(f.sim), BF_OK);
    assert_float_equal(value(&f, "station", "q", "high", "wait_mean"), 60.0, 1e-9);
    assert_float_equal(value(&f, "station", "q", "low", "wait_mean"), 120.0, 1e-9);
    teardown(&f);
}

static void test_sim_step_api_advances_monotonically(void **state)
{
    (void)state;
    fixture f;
    setup(&f, dd1);
    bf_time last = 0;
    size_t steps = 0;
    while (bf_sim_step(f.sim)) {
        assert_true(bf_sim_now(f.sim) >= last);
        last = bf_sim_now(f.sim);
        steps++;
    }
    assert_true(last <= f.sc->model->horizon);
    assert_int_equal(steps, bf_sim_events(f.sim));
    assert_null(bf_sim_values(f.sim)); /* not finished yet */
    assert_int_equal(bf_sim_finish(f.sim), BF_OK);
    assert_non_null(bf_sim_values(f.sim));
    teardown(&f);
}

static void test_sim_delay_is_infinite_server(void **state)
{
    (void)state;
    fixture f;
    /* An arrival every minute, a constant 23.85 min dwell: after the first
     * 23.85 min there are always 23 or 24 present, on average 23.85. */
    setup(&f,
          "[simulation]\nhorizon = 1000min\nwarmup = 100min\nsample_every = 0s\n"
          "[class c]\narrivals = renewal(const(1min))\nroute = zone\n"
          "[delay zone]\ntime = const(23.85min)\n");
    assert_int_equal(bf_sim_finish(f.sim), BF_OK);
    assert_float_equal(value(&f, "delay", "zone", "", "present_mean"), 23.85, 1e-9);
    assert_float_equal(value(&f, "delay", "zone", "", "present_max"), 24, 0);
    assert_float_equal(value(&f, "delay", "zone", "", "dwell_mean"), 23.85 * 60, 1e-9);
    teardown(&f);
}

static void test_sim_runner_independent_of_threads(void **state)
{
    (void)state;
    bf_error err;
    bf_scenario *sc;
    const char *text =
        "[simulation]\nhorizon = 3d\nwarmup = 2h\nreplications = 6\nseed = 2385\n"
        "[class c]\narrivals = poisson(rate=50/h)\nroute = q, zone, branch(30%: r; 70%: -)\n"
        "[class d]\narrivals = poisson(rate=20/h)\nroute = r\n"
        "[station q]\nservers = 2\nservice = lognormal(mean=1.9min, sd=1min)\ninspect = 10% -> r\n"
        "[station r]\nservice = exp(mean=1min)\n[delay zone]\ntime = exp(mean=2h)\n";
    assert_int_equal(bf_scenario_parse(text, strlen(text), "t.ini", NULL, 0, &sc, &err), BF_OK);
    bf_catalog *cat;
    assert_int_equal(bf_catalog_create(sc->model, &cat), BF_OK);
    bf_run_result *r1, *r2;
    bf_run_opts o = {.replications = 6, .seed = 2385, .jobs = 1};
    assert_int_equal(bf_runner_run(sc->model, cat, &o, &r1, &err), BF_OK);
    o.jobs = 3;
    assert_int_equal(bf_runner_run(sc->model, cat, &o, &r2, &err), BF_OK);
    assert_memory_equal(r1->values, r2->values, 6 * cat->n_keys * sizeof(double));
    assert_memory_equal(r1->ci, r2->ci, cat->n_keys * sizeof(bf_ci));
    assert_memory_equal(r1->pooled, r2->pooled, cat->n_hists * sizeof(bf_hist));
    /* Different replications differ. */
    assert_memory_not_equal(r1->values, r1->values + cat->n_keys, cat->n_keys * sizeof(double));
    bf_run_result_destroy(r1);
    bf_run_result_destroy(r2);
    bf_catalog_destroy(cat);
    bf_scenario_destroy(sc);
}

static void test_sim_common_random_numbers(void **state)
{
    (void)state;
    /* Changing a station's servers must not change the arrivals another
     * scenario sees: the arrival streams are named by class. */
    bf_error err;
    const char *text =
        "[simulation]\nhorizon = 1d\nseed = 2385\nsample_every = 0s\n"
        "[class c]\narrivals = poisson(rate=50/h)\nroute = q\n"
        "[station q]\nservers = 2\nservice = exp(mean=2min)\n";
    const char *more[] = {"station.q.servers=3", "station.q.service=exp(mean=1min)"};
    double arrivals[2];
    for (int i = 0; i < 2; i++) {
        bf_scenario *sc;
        assert_int_equal(bf_scenario_parse(text, strlen(text), "t.ini", more, i ? 2 : 0, &sc, &err), BF_OK);
        bf_catalog *cat;
        assert_int_equal(bf_catalog_create(sc->model, &cat), BF_OK);
        bf_sim *s = bf_sim_create(sc->model, cat, 2385, 0, NULL, NULL);
        assert_int_equal(bf_sim_finish(s), BF_OK);
        arrivals[i] = bf_sim_values(s)[bf_catalog_find(cat, "system", "", "", "arrivals")];
        bf_sim_destroy(s);
        bf_catalog_destroy(cat);
        bf_scenario_destroy(sc);
    }
    assert_float_equal(arrivals[0], arrivals[1], 0);
}

/* The attribute draw is skipped when every share of a class is 0 or 1
 * (the outcomes are then certain).  Each case here has exactly one share
 * strictly between 0 and 1, the others at 0 or 100%, so a skip decided on
 * the wrong shares would make that attribute certain too.  A rule sends the
 * entities with the attribute to station b; b's services must be the
 * share of all arrivals, within 5 binomial standard deviations (about
 * 60,000 arrivals: 5 sd is at most 1.0 percentage point; a false alarm
 * has probability 6e-7). */
static void test_sim_attribute_shares_one_at_a_time(void **state)
{
    (void)state;
    static const struct {
        const char *shares, *match;
        double p;
    } cases[] = {
        {"whitelisted = 25%\npredeclared = 100%\nrisk = low 100%\noutbound = 0%\n",
         "whitelisted", 0.25},
        {"whitelisted = 100%\npredeclared = 30%\nrisk = low 100%\noutbound = 100%\n",
         "predeclared", 0.30},
        {"whitelisted = 0%\npredeclared = 0%\nrisk = low 70%, medium 20%, high 10%\n"
         "outbound = 0%\n",
         "risk high", 0.10},
        {"whitelisted = 0%\npredeclared = 100%\nrisk = high 100%\noutbound = 40%\n",
         "outbound", 0.40},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "[simulation]\nhorizon = 100h\nseed = 2385\nsample_every = 0s\n"
                 "[class c]\narrivals = poisson(rate=600/h)\nroute = a\n%s"
                 "[station a]\nservers = 50\nservice = const(1s)\n"
                 "[station b]\nservers = 50\nservice = const(1s)\n"
                 "[rule r]\nmatch = %s\nat = a\nuse = b\n",
                 cases[i].shares, cases[i].match);
        fixture f;
        run(&f, text);
        double n = value(&f, "system", "", "", "arrivals");
        double got = value(&f, "station", "b", "", "served");
        double p = cases[i].p, sd = sqrt(n * p * (1 - p));
        if (!(fabs(got - n * p) <= 5 * sd))
            fail_msg("case %zu (%s): %.0f of %.0f at b, expected %.0f +- %.0f", i, cases[i].match,
                     got, n, n * p, 5 * sd);
        teardown(&f);
    }
}

/* By-hour statistics exist only for the hours of day the observation
 * window covers; services during the warm-up in other hours must not be
 * recorded anywhere (this crashed once: a warm-up 00:00-03:00 on a one-day
 * horizon). */
static void test_sim_by_hour_skips_uncovered_hours(void **state)
{
    (void)state;
    fixture f;
    setup(&f, "[simulation]\nhorizon = 20h\nwarmup = 3h\nsample_every = 0s\nby_hour = yes\n"
              "[class c]\narrivals = renewal(const(23.85min))\nroute = q\n"
              "[station q]\nservice = const(1min)\n");
    assert_int_equal(bf_sim_finish(f.sim), BF_OK);
    assert_true(bf_catalog_find(f.cat, "station", "q", "", "wait_mean_h01") < 0);
    assert_true(bf_catalog_find(f.cat, "station", "q", "", "wait_mean_h21") < 0);
    assert_float_equal(value(&f, "station", "q", "", "wait_mean_h05"), 0.0, 0);
    teardown(&f);
}

static void test_sim_alloc_failure_reported(void **state)
{
    (void)state;
    fixture f;
    setup(&f, dd1);
    bf_sim_destroy(f.sim);
    for (long n = 0; n < 30; n++) {
        bf_alloc_fail_after(n);
        bf_sim *s = bf_sim_create(f.sc->model, f.cat, 1, 0, NULL, NULL);
        bf_status st = s ? bf_sim_finish(s) : BF_ENOMEM;
        bf_alloc_fail_after(-1);
        assert_true(st == BF_OK || st == BF_ENOMEM);
        bf_sim_destroy(s);
    }
    f.sim = NULL;
    teardown(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_deterministic_queue),
        cmocka_unit_test(test_sim_queue_wait_exact),
        cmocka_unit_test(test_sim_priority_serves_higher_first),
        cmocka_unit_test(test_sim_step_api_advances_monotonically),
        cmocka_unit_test(test_sim_delay_is_infinite_server),
        cmocka_unit_test(test_sim_runner_independent_of_threads),
        cmocka_unit_test(test_sim_common_random_numbers),
        cmocka_unit_test(test_sim_attribute_shares_one_at_a_time),
        cmocka_unit_test(test_sim_by_hour_skips_uncovered_hours),
        cmocka_unit_test(test_sim_alloc_failure_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
