/*
 * test_levers.c - the policy levers beyond routing rules: security
 * (violation prevalence, detection, interceptions and misses), data
 * transfers (volumes, bandwidth, channels), vehicles (occupancy, cargo),
 * and the end-to-end effect of each rule family on a stochastic model.
 *
 * Two kinds of check:
 *
 * 1. Exact.  Constant inter-arrival and service times and shares of 0% or
 *    100% make every figure follow by hand; the comment above each case
 *    gives the arithmetic.  Arrivals are at 10, 20, ..., 90 min (9 per
 *    class) and the horizon of 99.5 min falls between arrival instants,
 *    after every arrival has left.
 *
 * 2. Statistical (the style of tests/validation/test_queueing.c).  A
 *    policy is switched on and off in the same model with the same seed,
 *    so both runs see the same arrivals and attributes (common random
 *    numbers: streams are named by purpose, see sim.c), and
 *      - the direction of the effect is asserted, and
 *      - where queueing theory gives the value, the replication mean must
 *        lie within the 99.9% Student-t interval around it:
 *            |mean - theory| <= k999 * hw95 + allowance,
 *        k999 = t(0.9995, R-1) / t(0.975, R-1), hw95 the 95% half-width.
 *      - counts (inspections, interceptions, violators) are compared with
 *        their binomial / Poisson expectation within 4.5 standard
 *        deviations (two-sided tail 7e-6 under the normal approximation,
 *        which is excellent for the hundreds to thousands counted here),
 *        plus an allowance for the entities still in the system at the
 *        end of the run (stated where used).
 *    The seeds are fixed, so every run is deterministic and the suite is
 *    not flaky; the tolerances say how unlikely a failure would be after
 *    a change of seed or of the random streams.  A tolerance is never
 *    widened to make a check pass; a disagreement is a finding.
 *
 * The queueing models are open Jackson / Kelly networks (Poisson arrivals,
 * exponential FIFO stations with class-independent rates, routing by
 * independent draws), so every station sees Poisson arrivals in steady
 * state and the M/M/1, M/G/1 (Pollaczek-Khinchine) and Cobham priority
 * formulas apply to the station under study.  Warm-ups are at least 20
 * M/M/1 relaxation times, 1 / (sqrt(mu) - sqrt(lambda))^2 (about 3 h at
 * rho = 0.8 below), so the initial-transient bias is taken as zero.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "borderflow/scenario.h"
#include "borderflow/sim.h"
#include "unit/simfix.h"
#include "borderflow/stats.h"

#define EPS 1e-9
#define MIN 60.0
#define Z 4.5 /* standard deviations allowed for counts */

/* ---- one replication ---------------------------------------------------- */

/* fixture, run_sets, run, done, has_key, value: unit/simfix.h */

static double tis(const fixture *f, const char *cls)
{
    return value(f, "class", cls, cls, "time_in_system_mean");
}

/* Expects the scenario to be refused with exactly this message. */
static void expect_msg(const char *text, const char *section, const char *key, const char *msg)
{
    bf_error err;
    bf_scenario *sc = NULL;
    bf_status st = bf_scenario_parse(text, strlen(text), "bad.ini", NULL, 0, &sc, &err);
    print_message("  [%s] %s: %s\n", err.section, err.key, err.msg);
    if (st != BF_EINVAL)
        fail_msg("[%s] %s: status %d, expected BF_EINVAL", section, key, st);
    assert_null(sc);
    assert_string_equal(err.section, section);
    assert_string_equal(err.key, key);
    assert_string_equal(err.msg, msg);
    assert_true(err.line > 0);
}

/* ---- replications -------------------------------------------------------- */

/* R replications of one model (seed from the scenario, replication r uses
 * the streams of (seed, r), as the runner does). */
typedef struct reps {
    bf_scenario *sc;
    bf_catalog *cat;
    double *v; /* [R][n_keys] */
    double edge; /* entities in the system at the start and at the end of
                  * the windows, summed over replications */
    int R;
    int n_failed;
} reps;

static void reps_run(reps *r, const char *text, const char *const *sets, size_t n_sets, int R)
{
    bf_error err;
    memset(r, 0, sizeof *r);
    if (bf_scenario_parse(text, strlen(text), "t.ini", sets, n_sets, &r->sc, &err) != BF_OK)
        fail_msg("scenario does not load: %s (line %d)", err.msg, err.line);
    assert_int_equal(bf_catalog_create(r->sc->model, &r->cat), BF_OK);
    r->R = R;
    r->v = calloc((size_t)R * r->cat->n_keys, sizeof *r->v);
    assert_non_null(r->v);
    for (int i = 0; i < R; i++) {
        bf_sim *s = bf_sim_create(r->sc->model, r->cat, r->sc->model->seed, (uint32_t)i, NULL,
                                  NULL);
        assert_non_null(s);
        assert_int_equal(bf_sim_run_until(s, r->sc->model->warmup), BF_OK);
        r->edge += (double)bf_sim_in_system(s);
        assert_int_equal(bf_sim_finish(s), BF_OK);
        r->edge += (double)bf_sim_in_system(s);
        memcpy(r->v + (size_t)i * r->cat->n_keys, bf_sim_values(s),
               r->cat->n_keys * sizeof *r->v);
        bf_sim_destroy(s);
    }
}

static void reps_fini(reps *r)
{
    int failed = r->n_failed;
    free(r->v);
    bf_catalog_destroy(r->cat);
    bf_scenario_destroy(r->sc);
    memset(r, 0, sizeof *r);
    if (failed)
        fail_msg("%d check(s) disagree with theory; see the FAIL lines above", failed);
}

static bf_ci reps_ci(const reps *r, const char *sk, const char *scope, const char *cls,
                     const char *metric)
{
    long k = bf_catalog_find(r->cat, sk, scope, cls, metric);
    if (k < 0)
        fail_msg("no key %s/%s/%s/%s", sk, scope, cls, metric);
    double x[64];
    assert_true(r->R <= 64);
    for (int i = 0; i < r->R; i++)
        x[i] = r->v[(size_t)i * r->cat->n_keys + (size_t)k];
    return bf_ci95(x, (size_t)r->R);
}

static double reps_sum(const reps *r, const char *sk, const char *scope, const char *cls,
                       const char *metric)
{
    bf_ci c = reps_ci(r, sk, scope, cls, metric);
    return c.mean * (double)c.n;
}

/* The 99.9% / 95% ratio of Student-t quantiles. */
static double k999(size_t n)
{
    double df = (double)n - 1.0;
    return bf_student_t_quantile(0.9995, df) / bf_student_t_quantile(0.975, df);
}

/* theory within the 99.9% interval of the replication mean, widened by
 * allowance; a failure is counted and reported by reps_fini. */
static void check(reps *r, const char *sk, const char *scope, const char *cls,
                  const char *metric, double theory, double allowance)
{
    bf_ci c = reps_ci(r, sk, scope, cls, metric);
    double tol = k999(c.n) * c.half_width + allowance;
    bool ok = fabs(c.mean - theory) <= tol;
    print_message("  %-4s %s %s%s%s %-16s sim %-10.5g +- %-8.3g theory %-10.5g diff %+.2f%% "
                  "tol %.3g\n",
                  ok ? "ok" : "FAIL", sk, scope, *cls ? "/" : "", cls, metric, c.mean,
                  c.half_width, theory, 100.0 * (c.mean - theory) / theory, tol);
    if (!ok)
        r->n_failed++;
}

/* A count against its expectation: |x - mean| <= Z sd + allowance. */
static void check_count(const char *what, double x, double mean, double sd, double allowance)
{
    double tol = Z * sd + allowance;
    bool ok = fabs(x - mean) <= tol;
    print_message("  %-4s %-40s %-10.6g expected %-10.6g sd %-8.3g tol %.3g\n", ok ? "ok" : "FAIL",
                  what, x, mean, sd, tol);
    if (!ok)
        fail_msg("%s: %g, expected %g within %g", what, x, mean, tol);
}

/* ======================================================================= */
/* Security                                                                 */
/* ======================================================================= */

/* Class v: every entity carries a violation (risk low is the default, and
 * low-risk prevalence is 100%); class c: none.  Both cross fl then sl. */
#define SEC_SIM "[simulation]\nhorizon = 99.5min\nsample_every = 0s\n"
#define SEC_CLASSES                                                                  \
    "[class v]\narrivals = renewal(const(10min))\nviolation = low 100%\nroute = fl, sl\n" \
    "[class c]\narrivals = renewal(const(10min))\nroute = fl, sl\n"
#define SEC_FL "[station fl]\nline = first\nservers = 2\nservice = const(1.5min)\n"
#define SEC_SL "[station sl]\nline = second\nservers = 2\nservice = const(2.385min)\n"

/* Detection 100% at fl: all 9 violators are intercepted there (and leave);
 * 18 inspections, so the clean share at the first line is 1 - 9/18. */
static void test_levers_security_all_caught_first_line(void **state)
{
    (void)state;
    fixture f;
    run(&f, SEC_SIM SEC_CLASSES SEC_FL "detection = 100%\n" SEC_SL);
    assert_float_equal(value(&f, "class", "v", "v", "violators"), 9, 0);
    assert_float_equal(value(&f, "class", "v", "v", "violations_intercepted"), 9, 0);
    assert_float_equal(value(&f, "class", "v", "v", "departures"), 0, 0);
    assert_float_equal(value(&f, "class", "c", "c", "violators"), 0, 0);
    assert_float_equal(value(&f, "class", "c", "c", "departures"), 9, 0);
    assert_float_equal(value(&f, "station", "fl", "", "inspections"), 18, 0);
    assert_float_equal(value(&f, "station", "fl", "", "violations_intercepted"), 9, 0);
    assert_float_equal(value(&f, "line", "first", "", "inspections"), 18, 0);
    assert_float_equal(value(&f, "line", "first", "", "violations_intercepted"), 9, 0);
    assert_float_equal(value(&f, "line", "first", "", "violations_missed"), 0, 0);
    assert_float_equal(value(&f, "line", "first", "", "clean_inspection_share"), 0.5, 0);
    /* An intercepted entity completes no passage. */
    assert_float_equal(value(&f, "line", "first", "v", "passages"), 0, 0);
    assert_float_equal(value(&f, "line", "second", "v", "passages"), 0, 0);
    assert_float_equal(value(&f, "line", "second", "", "inspections"), 0, 0);
    assert_float_equal(value(&f, "line", "second", "", "violations_missed"), 0, 0);
    assert_true(isnan(value(&f, "line", "second", "", "clean_inspection_share")));
    assert_int_equal(bf_sim_in_system(f.sim), 0);
    done(&f);
}

/* Detection only at sl: the 9 violators cross the first line undetected
 * (9 misses there), and are all intercepted at the second line. */
static void test_levers_security_missed_then_caught(void **state)
{
    (void)state;
    fixture f;
    run(&f, SEC_SIM SEC_CLASSES SEC_FL SEC_SL "detection = 100%\n");
    assert_float_equal(value(&f, "line", "first", "", "inspections"), 0, 0);
    assert_float_equal(value(&f, "line", "first", "", "violations_missed"), 9, 0);
    assert_true(isnan(value(&f, "line", "first", "", "clean_inspection_share")));
    assert_float_equal(value(&f, "line", "first", "v", "passages"), 9, 0);
    assert_float_equal(value(&f, "line", "second", "", "inspections"), 18, 0);
    assert_float_equal(value(&f, "line", "second", "", "violations_intercepted"), 9, 0);
    assert_float_equal(value(&f, "line", "second", "", "violations_missed"), 0, 0);
    assert_float_equal(value(&f, "line", "second", "", "clean_inspection_share"), 0.5, 0);
    assert_float_equal(value(&f, "station", "sl", "", "violations_intercepted"), 9, 0);
    assert_float_equal(value(&f, "class", "v", "v", "violations_intercepted"), 9, 0);
    assert_float_equal(value(&f, "class", "v", "v", "departures"), 0, 0);
    assert_float_equal(value(&f, "class", "c", "c", "time_in_system_mean"), 233.1, EPS);
    done(&f);
}

/* The white-listed violators skip the second-line check (a rule) and
 * enter the mainland unchecked: they crossed the second line undetected,
 * so they are misses there.  Otherwise a violator that leaves the system
 * would be counted neither intercepted nor missed, and a white-list
 * "green lane" would make violations_missed look better the more
 * violators it waves through.  DEFECT (this test fails until it is
 * fixed) since skipped stations start no line passage (commit 3ffbe31):
 * 0 misses at the second line, and the 9 violators that left are counted
 * neither intercepted nor missed. */
static void test_levers_security_skipped_check_is_a_miss(void **state)
{
    (void)state;
    fixture f;
    run(&f, SEC_SIM "[class v]\narrivals = renewal(const(10min))\nviolation = low 100%\n"
                    "whitelisted = 100%\nroute = fl, sl\n"
                    "[class c]\narrivals = renewal(const(10min))\nroute = fl, sl\n" SEC_FL SEC_SL
                    "detection = 100%\n[rule green]\nmatch = whitelisted\nat = sl\nskip = yes\n");
    double departed = value(&f, "class", "v", "v", "departures");
    double violators = value(&f, "class", "v", "v", "violators");
    double intercepted = value(&f, "line", "second", "", "violations_intercepted");
    double clean = value(&f, "line", "second", "", "clean_inspection_share");
    double missed1 = value(&f, "line", "first", "", "violations_missed");
    double missed2 = value(&f, "line", "second", "", "violations_missed");
    done(&f); /* before asserting, so that a failure leaks nothing */
    assert_float_equal(departed, 9, 0);
    assert_float_equal(violators, 9, 0);
    assert_float_equal(intercepted, 0, 0);
    assert_float_equal(clean, 1.0, 0); /* c's 9 inspections, all clean */
    assert_float_equal(missed1, 9, 0);
    assert_float_equal(missed2, 9, 0);
}

/* Prevalence by risk level and the white-list factor, with certain
 * attributes: 100% prevalence at the entity's level gives 9 violators,
 * 0% at its level none, and x0 removes them for white-listed entities. */
static void test_levers_security_prevalence_by_risk_and_whitelist(void **state)
{
    (void)state;
    fixture f;
    run(&f, SEC_SIM
        "[class hi]\narrivals = renewal(const(10min))\nrisk = high 100%\n"
        "violation = low 0%, medium 0%, high 100%\nroute = fl\n"
        "[class lo]\narrivals = renewal(const(10min))\nrisk = low 100%\n"
        "violation = low 0%, medium 100%, high 100%\nroute = fl\n"
        "[class wl0]\narrivals = renewal(const(10min))\nwhitelisted = 100%\n"
        "violation = low 100%\nviolation_whitelisted = x0\nroute = fl\n"
        "[class wl1]\narrivals = renewal(const(10min))\nwhitelisted = 100%\n"
        "violation = low 100%\nviolation_whitelisted = x1\nroute = fl\n"
        "[class nwl]\narrivals = renewal(const(10min))\nwhitelisted = 0%\n"
        "violation = low 100%\nviolation_whitelisted = x0\nroute = fl\n"
        "[station fl]\nline = first\nservers = 5\nservice = const(1.5min)\ndetection = 100%\n");
    assert_float_equal(value(&f, "class", "hi", "hi", "violators"), 9, 0);
    assert_float_equal(value(&f, "class", "lo", "lo", "violators"), 0, 0);
    assert_float_equal(value(&f, "class", "wl0", "wl0", "violators"), 0, 0);
    assert_float_equal(value(&f, "class", "wl1", "wl1", "violators"), 9, 0);
    assert_float_equal(value(&f, "class", "nwl", "nwl", "violators"), 9, 0);
    assert_float_equal(value(&f, "station", "fl", "", "violations_intercepted"), 27, 0);
    assert_float_equal(value(&f, "station", "fl", "", "inspections"), 45, 0);
    assert_float_equal(value(&f, "line", "first", "", "clean_inspection_share"), 1.0 - 27.0 / 45,
                       1e-15);
    done(&f);
}

/* A stochastic security model: prevalence by risk (2%, 10%, 40%) halved
 * for the white-listed half, detection 30% at the first-line check, 20%
 * of those it clears sent to a search (90%), a zone, then a second-line
 * check (50%).  One 30-day replication from an empty system, so every
 * violator that arrived is either intercepted somewhere, counted missed
 * at each line it has crossed, or still in the system at the end. */
static const char security_model[] =
    "[simulation]\nhorizon = 30d\nseed = 23855\nsample_every = 0s\n"
    "[class m]\narrivals = poisson(rate=30/h)\nwhitelisted = 50%\n"
    "risk = low 70%, medium 20%, high 10%\n"
    "violation = low 2%, medium 10%, high 40%\nviolation_whitelisted = x0.5\n"
    "route = fl, zone, sl\n"
    "[station fl]\nline = first\nservers = 2\nservice = exp(mean=2min)\n"
    "inspect = 20% -> fl2\ndetection = 30%\n"
    "[station fl2]\nline = first\nservers = 3\nservice = exp(mean=10min)\ndetection = 90%\n"
    "[delay zone]\ntime = exp(mean=30min)\n"
    "[station sl]\nline = second\nservers = 2\nservice = exp(mean=2min)\ndetection = 50%\n"
    "[rule target]\nenabled = no\nmatch = risk high\nat = fl\ninspect = 100%\n";

static const double sec_risk[3] = {0.7, 0.2, 0.1}, sec_viol[3] = {0.02, 0.10, 0.40};
#define SEC_WL_FACTOR (0.5 * 1.0 + 0.5 * 0.5) /* mean white-list factor */
#define SEC_HOURS (30 * 24.0)

typedef struct sec_counts {
    double arrivals, violators, intercepted;
    double insp_fl, int_fl, insp_fl2, int_fl2, insp_sl, int_sl;
    double line_insp[3], line_int[3], line_missed[3], clean[3];
    double in_system;
} sec_counts;

static void sec_read(const fixture *f, sec_counts *c)
{
    c->arrivals = value(f, "class", "m", "m", "arrivals");
    c->violators = value(f, "class", "m", "m", "violators");
    c->intercepted = value(f, "class", "m", "m", "violations_intercepted");
    c->insp_fl = value(f, "station", "fl", "", "inspections");
    c->int_fl = value(f, "station", "fl", "", "violations_intercepted");
    c->insp_fl2 = value(f, "station", "fl2", "", "inspections");
    c->int_fl2 = value(f, "station", "fl2", "", "violations_intercepted");
    c->insp_sl = value(f, "station", "sl", "", "inspections");
    c->int_sl = value(f, "station", "sl", "", "violations_intercepted");
    static const char *const ln[3] = {"", "first", "second"};
    for (int l = 1; l < 3; l++) {
        c->line_insp[l] = value(f, "line", ln[l], "", "inspections");
        c->line_int[l] = value(f, "line", ln[l], "", "violations_intercepted");
        c->line_missed[l] = value(f, "line", ln[l], "", "violations_missed");
        c->clean[l] = value(f, "line", ln[l], "", "clean_inspection_share");
    }
    c->in_system = (double)bf_sim_in_system(f->sim);
}

/* The identities that hold exactly, whatever the random draws. */
static void sec_identities(const sec_counts *c)
{
    /* Lines sum their stations; the class sums every interception. */
    assert_float_equal(c->line_insp[1], c->insp_fl + c->insp_fl2, 0);
    assert_float_equal(c->line_int[1], c->int_fl + c->int_fl2, 0);
    assert_float_equal(c->line_insp[2], c->insp_sl, 0);
    assert_float_equal(c->line_int[2], c->int_sl, 0);
    assert_float_equal(c->intercepted, c->int_fl + c->int_fl2 + c->int_sl, 0);
    for (int l = 1; l < 3; l++)
        assert_float_equal(c->clean[l], 1.0 - c->line_int[l] / c->line_insp[l], 0);
    /* Conservation of violators: each one is intercepted on the first
     * line, counted missed there, or still inside it; those missed at the
     * first line are intercepted at the second, missed there, or still in
     * the zone or at sl. */
    double d1 = c->violators - (c->line_int[1] + c->line_missed[1]);
    double d2 = c->line_missed[1] - (c->line_int[2] + c->line_missed[2]);
    double d = c->violators - (c->intercepted + c->line_missed[2]);
    print_message("  violators %.0f: still in the system %.0f + %.0f (of %.0f entities)\n",
                  c->violators, d1, d2, c->in_system);
    assert_true(d1 >= 0 && d1 <= c->in_system);
    assert_true(d2 >= 0 && d2 <= c->in_system);
    assert_float_equal(d, d1 + d2, 0);
    assert_true(d <= c->in_system);
}

static void test_levers_security_interceptions_stochastic(void **state)
{
    (void)state;
    fixture f;
    run(&f, security_model);
    sec_counts c;
    sec_read(&f, &c);
    sec_identities(&c);
    double boundary = c.in_system; /* entities still inside at the end */
    /* Violators: each arrival independently, with the mean prevalence. */
    double pv = 0;
    for (int r = 0; r < 3; r++)
        pv += sec_risk[r] * sec_viol[r];
    pv *= SEC_WL_FACTOR;
    check_count("violators", c.violators, c.arrivals * pv, sqrt(c.arrivals * pv * (1 - pv)), 0);
    /* Interceptions at fl: each violator served there is caught with
     * probability 0.3 (those still queueing at the end: the boundary). */
    check_count("intercepted at fl", c.int_fl, 0.3 * c.violators,
                sqrt(c.violators * 0.3 * 0.7), 0.3 * boundary);
    /* At fl2: survives fl (0.7), sent to the search (0.2), found (0.9). */
    double q2 = 0.7 * 0.2 * 0.9;
    check_count("intercepted at fl2", c.int_fl2, q2 * c.violators,
                sqrt(c.violators * q2 * (1 - q2)), boundary);
    /* At sl: half of those missed at the first line. */
    check_count("intercepted at sl", c.int_sl, 0.5 * c.line_missed[1],
                sqrt(c.line_missed[1] * 0.25), 0.5 * boundary);
    /* Inspections at fl2 = searches: a Poisson stream (thinning of the
     * Poisson arrivals), rate x share x window, the share being 20% of
     * the entities fl clears (fl intercepts a share pv x 0.3 of them). */
    double m2 = 30.0 * SEC_HOURS * 0.2 * (1.0 - 0.3 * pv);
    check_count("inspections at fl2", c.insp_fl2, m2, sqrt(m2), boundary);
    done(&f);
}

/* Risk-based targeting (rule: every high-risk entity is searched), with
 * common random numbers: the same arrivals, attributes and violations. */
static void test_levers_security_risk_targeting_raises_interceptions(void **state)
{
    (void)state;
    fixture off, on;
    const char *enable[] = {"rule.target.enabled=yes"};
    run(&off, security_model);
    run_sets(&on, security_model, enable, 1);
    sec_counts a, b;
    sec_read(&off, &a);
    sec_read(&on, &b);
    sec_identities(&b);
    /* Same seed: the same entities and violators arrive. */
    assert_float_equal(a.arrivals, b.arrivals, 0);
    assert_float_equal(a.violators, b.violators, 0);
    assert_true(b.insp_fl2 > a.insp_fl2);
    assert_true(b.line_int[1] > a.line_int[1]);
    assert_true(b.line_missed[2] < a.line_missed[2]);
    /* Size.  Searches: share 20% of cleared low/medium-risk entities and
     * 100% of cleared high-risk ones, each level cleared by fl with
     * probability 1 - 0.3 x its mean prevalence. */
    double share = 0;
    for (int r = 0; r < 3; r++) {
        double cleared = 1.0 - 0.3 * sec_viol[r] * SEC_WL_FACTOR;
        share += sec_risk[r] * cleared * (r == 2 ? 1.0 : 0.2);
    }
    double m2 = 30.0 * SEC_HOURS * share;
    check_count("searches with targeting", b.insp_fl2, m2, sqrt(m2), b.in_system);
    /* Interceptions at the search: a violator is high-risk with
     * probability P(high | violator) (the white-list factor is the same
     * at every level and cancels), then survives fl, is searched, found. */
    double pv = 0;
    for (int r = 0; r < 3; r++)
        pv += sec_risk[r] * sec_viol[r];
    double ph = sec_risk[2] * sec_viol[2] / pv;
    double q2 = 0.7 * (ph * 1.0 + (1 - ph) * 0.2) * 0.9;
    check_count("intercepted at fl2 with targeting", b.int_fl2, q2 * b.violators,
                sqrt(b.violators * q2 * (1 - q2)), b.in_system);
    done(&off);
    done(&on);
}

static void test_levers_security_bad_input(void **state)
{
    (void)state;
    const char *head = "[simulation]\nhorizon = 1h\n"
                       "[class c]\narrivals = renewal(const(10min))\nroute = q\n";
    char text[1024];
    snprintf(text, sizeof text, "%sviolation = low 5%%, extreme 2%%\n[station q]\nservice = "
             "const(1s)\n", head);
    expect_msg(text, "class c", "violation", "unknown risk level 'extreme'; expected low, "
               "medium or high");
    snprintf(text, sizeof text, "%sviolation = low 150%%\n[station q]\nservice = const(1s)\n",
             head);
    expect_msg(text, "class c", "violation",
               "risk level 'low': a share must be between 0% and 100%");
    snprintf(text, sizeof text, "%sviolation_whitelisted = 0.5\n[station q]\nservice = "
             "const(1s)\n", head);
    expect_msg(text, "class c", "violation_whitelisted",
               "expected a factor such as x0.5 (white-listed entities carry violations half "
               "as often)");
    snprintf(text, sizeof text, "%s[station q]\nservice = const(1s)\ndetection = 1.5\n", head);
    expect_msg(text, "station q", "detection",
               "a share must be between 0 and 1; did you mean 1.5%?");
}

/* ======================================================================= */
/* Data transfers                                                           */
/* ======================================================================= */

#define DATA_SIM "[simulation]\nhorizon = 99.5min\nsample_every = 0s\n"

/* A channel with no service key: the time there is the transfer alone,
 * size x 8 / bandwidth = 2.385e9 x 8 / 1e10 = 1.908 s; volume_per_day is
 * the GB delivered per day of the window: 9 x 2.385 GB in 99.5 min. */
static void test_levers_data_transfer_time_exact(void **state)
{
    (void)state;
    fixture f;
    run(&f, DATA_SIM "[class d]\narrivals = renewal(const(10min))\nvolume = const(2.385GB)\n"
                     "route = ch\n[station ch]\nline = first\nbandwidth = 10Gbit/s\n");
    assert_float_equal(tis(&f, "d"), 1.908, EPS);
    assert_float_equal(value(&f, "line", "first", "d", "clearance_max"), 1.908, EPS);
    assert_float_equal(value(&f, "class", "d", "d", "volume_per_day"),
                       9 * 2.385 / (99.5 / 60 / 24), 1e-9);
    /* A warm-up shortens the window: arrivals at 40..90 min, 6 of them,
     * in 59.5 min. */
    done(&f);
    const char *warm[] = {"simulation.warmup=40min"};
    run_sets(&f, DATA_SIM "[class d]\narrivals = renewal(const(10min))\nvolume = const(2.385GB)\n"
                          "route = ch\n[station ch]\nline = first\nbandwidth = 10Gbit/s\n",
             warm, 1);
    assert_float_equal(value(&f, "class", "d", "d", "volume_per_day"),
                       6 * 2.385 / (59.5 / 60 / 24), 1e-9);
    done(&f);
}

/* Size and bandwidth units: every pair below moves its data in the time
 * given (service 0 unless stated). */
static void test_levers_data_units(void **state)
{
    (void)state;
    static const struct {
        const char *volume, *bandwidth, *service;
        double seconds;
    } cases[] = {
        {"const(500MB)", "10Gbit/s", NULL, 0.4},
        {"const(2.385GB)", "125MB/s", NULL, 19.08},      /* 125 MB/s = 1 Gbit/s */
        {"const(0.002385TB)", "1Gbit/s", NULL, 19.08},
        {"const(238.5MB)", "100Mbit/s", NULL, 19.08},
        {"const(2385KB)", "1Mbit/s", NULL, 19.08},
        {"const(2.385GB)", "1Gbps", NULL, 19.08},
        {"const(2.385 GB)", "10 Gbit/s", NULL, 1.908},
        {"const(1GiB)", "1Gbit/s", NULL, 8.589934592},
        {"const(2.385GB)", "10Gbit/s", "const(0s)", 1.908},
        {"const(2.385GB)", "10Gbit/s", "const(30s)", 31.908},
    };
    char text[1024];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text, sizeof text,
                 DATA_SIM "[class d]\narrivals = renewal(const(10min))\nvolume = %s\nroute = ch\n"
                          "[station ch]\nline = first\nbandwidth = %s\n%s%s%s",
                 cases[i].volume, cases[i].bandwidth, cases[i].service ? "service = " : "",
                 cases[i].service ? cases[i].service : "", cases[i].service ? "\n" : "");
        fixture f;
        run(&f, text);
        print_message("  %s at %s: %.9g s\n", cases[i].volume, cases[i].bandwidth, tis(&f, "d"));
        assert_float_equal(tis(&f, "d"), cases[i].seconds, 1e-9);
        done(&f);
    }
    /* A distribution with size units keeps its parameters in bytes. */
    const char *ln = DATA_SIM "[class d]\narrivals = renewal(const(10min))\n"
                              "volume = lognormal(mean=2GB, sd=1GB)\nroute = ch\n"
                              "[station ch]\nbandwidth = 10Gbit/s\n";
    bf_error err;
    bf_scenario *sc = NULL;
    assert_int_equal(bf_scenario_parse(ln, strlen(ln), "t.ini", NULL, 0, &sc, &err), BF_OK);
    assert_int_equal(sc->model->classes[0].size_kind, BF_SIZE_VOLUME);
    assert_float_equal(bf_dist_mean(&sc->model->classes[0].size), 2e9, 1e-3);
    assert_float_equal(sc->model->nodes[0].bandwidth, 1e10, 0);
    bf_scenario_destroy(sc);
}

/* channels = N is servers = N: two transfers arriving together run in
 * parallel on 2 channels; on 1 the second waits one transfer (1.908 s). */
static void test_levers_data_channels(void **state)
{
    (void)state;
    const char *model =
        DATA_SIM "[class d1]\narrivals = renewal(const(10min))\nvolume = const(2.385GB)\n"
                 "route = ch\n"
                 "[class d2]\narrivals = renewal(const(10min))\nvolume = const(2.385GB)\n"
                 "route = ch\n[station ch]\nline = first\nchannels = 2\nbandwidth = 10Gbit/s\n";
    fixture f;
    run(&f, model);
    assert_float_equal(value(&f, "station", "ch", "", "servers"), 2, 0);
    assert_float_equal(tis(&f, "d2"), 1.908, EPS);
    done(&f);
    const char *one[] = {"station.ch.channels=1"};
    run_sets(&f, model, one, 1);
    assert_float_equal(value(&f, "station", "ch", "", "servers"), 1, 0);
    assert_float_equal(tis(&f, "d1"), 1.908, EPS);
    assert_float_equal(tis(&f, "d2"), 2 * 1.908, EPS);
    done(&f);
}

/* A stochastic channel: lognormal volumes of mean 2 GB at 10 Gbit/s plus
 * 10 s set-up, 120 transfers an hour: the channel is busy
 * 120/h x (10 + 1.6) s = 0.3867 of the time. */
static void test_levers_data_utilization_stochastic(void **state)
{
    (void)state;
    reps r;
    reps_run(&r,
             "[simulation]\nhorizon = 6d\nwarmup = 1d\nseed = 23856\nsample_every = 0s\n"
             "[class d]\narrivals = poisson(rate=120/h)\nvolume = lognormal(mean=2GB, sd=1GB)\n"
             "route = ch\n[station ch]\nline = first\nbandwidth = 10Gbit/s\n"
             "service = const(10s)\n",
             NULL, 0, 10);
    check(&r, "station", "ch", "", "utilization", 120.0 / 3600.0 * (10.0 + 1.6), 0);
    check(&r, "class", "d", "d", "volume_per_day", 120.0 * 24 * 2.0, 0);
    reps_fini(&r);
}

static void test_levers_data_bad_input(void **state)
{
    (void)state;
    const char *head = "[simulation]\nhorizon = 1h\n[class d]\narrivals = renewal(const(10min))\n"
                       "route = ch\n";
    char text[1024];
    snprintf(text, sizeof text, "%svolume = const(5XB)\n[station ch]\nbandwidth = 1Gbit/s\n",
             head);
    expect_msg(text, "class d", "volume",
               "value: unexpected 'XB' after the number (data volumes take units: B, KB, MB, "
               "GB, TB)");
    snprintf(text, sizeof text, "%svolume = const(-5GB)\n[station ch]\nbandwidth = 1Gbit/s\n",
             head);
    expect_msg(text, "class d", "volume",
               "value: negative values are not allowed (data volumes take units: B, KB, MB, "
               "GB, TB)");
    snprintf(text, sizeof text, "%svolume = const(5GB)\n[station ch]\nbandwidth = 10Gbit\n",
             head);
    expect_msg(text, "station ch", "bandwidth",
               "expected a bandwidth such as 10Gbit/s, 100Mbit/s or 1GB/s: the unit needs '/s', "
               "not '10Gbit'");
    snprintf(text, sizeof text, "%svolume = const(5GB)\n[station ch]\nbandwidth = 10Gfoo/s\n",
             head);
    expect_msg(text, "station ch", "bandwidth",
               "expected a bandwidth such as 10Gbit/s, 100Mbit/s or 1GB/s, not '10Gfoo/s'");
    snprintf(text, sizeof text, "%svolume = const(5GB)\n[station ch]\nbandwidth = 1000\n", head);
    expect_msg(text, "station ch", "bandwidth",
               "expected a bandwidth such as 10Gbit/s, 100Mbit/s or 1GB/s, not '1000'");
    snprintf(text, sizeof text, "%svolume = const(5GB)\n[station ch]\nbandwidth = 0Gbit/s\n",
             head);
    expect_msg(text, "station ch", "bandwidth", "the bandwidth must be > 0");
    snprintf(text, sizeof text, "%svolume = const(5GB)\n[station ch]\nbandwidth = 10bit/s\n",
             head);
    expect_msg(text, "station ch", "bandwidth",
               "expected a bandwidth between 1kbit/s and 1Pbit/s");
    snprintf(text, sizeof text,
             "%svolume = const(5GB)\noccupancy = const(2)\n[station ch]\nbandwidth = 1Gbit/s\n",
             head);
    expect_msg(text, "class d", "occupancy",
               "a class has either a data volume or an occupancy, not both");
    snprintf(text, sizeof text,
             "%svolume = const(5GB)\n[station ch]\nchannels = 2\nservers = 3\n"
             "bandwidth = 1Gbit/s\n",
             head);
    expect_msg(text, "station ch", "channels",
               "channels is another name for servers; give one of channels, servers or "
               "schedule");
    snprintf(text, sizeof text,
             "%svolume = const(5GB)\n[station ch]\nchannels = 0\nbandwidth = 1Gbit/s\n", head);
    expect_msg(text, "station ch", "channels", "expected a whole number between 1 and 100000, "
               "not 0");
    /* Without a bandwidth, a station still needs a service time. */
    snprintf(text, sizeof text, "%svolume = const(5GB)\n[station ch]\nline = first\n", head);
    expect_msg(text, "station ch", "service",
               "missing key; [station ch] needs service (see docs/scenario-reference.md)");
}

/* ======================================================================= */
/* Vehicles                                                                  */
/* ======================================================================= */

/* Three people on board, 2.385 s each on top of the 30 s document check:
 * 37.155 s; with cargo (100%) x1.5 on the whole check: 55.7325 s.
 * people_per_hour: 9 vehicles x 3 people in 99.5 min. */
static void test_levers_vehicle_occupancy_and_cargo_exact(void **state)
{
    (void)state;
    fixture f;
    run(&f, DATA_SIM
        "[class van]\narrivals = renewal(const(10min))\noccupancy = const(3)\nroute = gate\n"
        "[class truck]\narrivals = renewal(const(10min))\noccupancy = const(3)\ncargo = 100%\n"
        "route = gate\n"
        "[class bus]\narrivals = renewal(const(10min))\noccupancy = const(2.49)\ncargo = 0%\n"
        "route = gate\n"
        "[class coach]\narrivals = renewal(const(10min))\noccupancy = const(2.5)\nroute = gate\n"
        "[station gate]\nline = first\nservers = 4\nservice = const(30s)\n"
        "per_occupant = 2.385s\ncargo_factor = x1.5\n");
    assert_float_equal(tis(&f, "van"), 37.155, EPS);
    assert_float_equal(tis(&f, "truck"), 55.7325, EPS);
    /* Occupancy is rounded to whole people: 2.49 -> 2, 2.5 -> 3. */
    assert_float_equal(tis(&f, "bus"), 30 + 2 * 2.385, EPS);
    assert_float_equal(tis(&f, "coach"), 37.155, EPS);
    double hours = 99.5 / 60;
    assert_float_equal(value(&f, "class", "van", "van", "people_per_hour"), 27 / hours, 1e-9);
    assert_float_equal(value(&f, "class", "bus", "bus", "people_per_hour"), 18 / hours, 1e-9);
    assert_float_equal(value(&f, "class", "coach", "coach", "people_per_hour"), 27 / hours, 1e-9);
    done(&f);
    /* Without cargo_factor, cargo changes nothing (the default is x1). */
    run(&f, DATA_SIM
        "[class truck]\narrivals = renewal(const(10min))\noccupancy = const(3)\ncargo = 100%\n"
        "route = gate\n[station gate]\nservice = const(30s)\nper_occupant = 2.385s\n");
    assert_float_equal(tis(&f, "truck"), 37.155, EPS);
    done(&f);
}

/* Occupancy uniform(1, 8) rounded to whole people has mean 4.5; with
 * 5 s per person on a 50 s check and 40% cargo at x1.5, a vehicle takes
 * (50 + 5 x 4.5) x (0.6 + 0.4 x 1.5) = 87 s on average; 30 vehicles an
 * hour on 2 lanes: utilization 30 x 87 / 3600 / 2; 135 people an hour. */
static void test_levers_vehicle_stochastic(void **state)
{
    (void)state;
    reps r;
    reps_run(&r,
             "[simulation]\nhorizon = 6d\nwarmup = 1d\nseed = 23857\nsample_every = 0s\n"
             "[class v]\narrivals = poisson(rate=30/h)\noccupancy = uniform(min=1, max=8)\n"
             "cargo = 40%\nroute = lane\n"
             "[station lane]\nline = first\nservers = 2\nservice = const(50s)\n"
             "per_occupant = 5s\ncargo_factor = x1.5\n",
             NULL, 0, 10);
    check(&r, "station", "lane", "", "utilization", 30.0 * 87.0 / 3600.0 / 2.0, 0);
    check(&r, "class", "v", "v", "people_per_hour", 30.0 * 4.5, 0);
    reps_fini(&r);
}

static void test_levers_vehicle_bad_input(void **state)
{
    (void)state;
    const char *head = "[simulation]\nhorizon = 1h\n[class v]\narrivals = renewal(const(10min))\n"
                       "route = gate\n";
    char text[1024];
    snprintf(text, sizeof text, "%soccupancy = const(-2)\n[station gate]\nservice = const(1s)\n",
             head);
    expect_msg(text, "class v", "occupancy", "value: negative values are not allowed");
    snprintf(text, sizeof text, "%scargo = 150%%\n[station gate]\nservice = const(1s)\n", head);
    expect_msg(text, "class v", "cargo", "a share must be between 0% and 100%");
    snprintf(text, sizeof text, "%s[station gate]\nservice = const(1s)\ncargo_factor = 2\n", head);
    expect_msg(text, "station gate", "cargo_factor",
               "expected a factor such as x1.5 (cargo takes 50% longer)");
    snprintf(text, sizeof text, "%s[station gate]\nservice = const(1s)\nper_occupant = 5\n", head);
    expect_msg(text, "station gate", "per_occupant",
               "expected a duration with a unit (s, min, h, d), e.g. 30s or 1.5h");
    snprintf(text, sizeof text, "%soutbound = 120%%\n[station gate]\nservice = const(1s)\n", head);
    expect_msg(text, "class v", "outbound", "a share must be between 0% and 100%");
}

/* DEFECT (this test fails until it is fixed): a data volume is "a number
 * and a unit" (docs/scenario-reference.md), and durations refuse bare
 * numbers, but volume = const(5) is taken silently as 5 bytes: a user who
 * meant 5 GB gets transfers a billion times too short. */
static void test_levers_volume_needs_a_unit(void **state)
{
    (void)state;
    const char *text = DATA_SIM "[class d]\narrivals = renewal(const(10min))\n"
                                "volume = const(5)\nroute = ch\n"
                                "[station ch]\nbandwidth = 1Gbit/s\n";
    bf_error err;
    bf_scenario *sc = NULL;
    bf_status st = bf_scenario_parse(text, strlen(text), "bad.ini", NULL, 0, &sc, &err);
    bf_scenario_destroy(sc);
    assert_int_equal(st, BF_EINVAL);
    assert_string_equal(err.section, "class d");
    assert_string_equal(err.key, "volume");
}

/* DEFECT (this test fails until it is fixed): channels is another name
 * for servers, and an override of servers replaces a schedule given in
 * the file; but --set station.ch.servers=3 on a station written with
 * channels = 2 is refused ("channels is another name for servers",
 * pointing at the file's line), and so is --set station.ch.channels=3 on
 * one written with servers. */
static void test_levers_channels_override_replaces_servers(void **state)
{
    (void)state;
    const char *with_channels = DATA_SIM "[class d]\narrivals = renewal(const(10min))\n"
                                         "volume = const(1GB)\nroute = ch\n"
                                         "[station ch]\nchannels = 2\nbandwidth = 1Gbit/s\n";
    const char *with_servers = DATA_SIM "[class d]\narrivals = renewal(const(10min))\n"
                                        "volume = const(1GB)\nroute = ch\n"
                                        "[station ch]\nservers = 2\nbandwidth = 1Gbit/s\n";
    const char *servers3[] = {"station.ch.servers=3"}, *channels3[] = {"station.ch.channels=3"};
    bf_error err;
    bf_scenario *sc = NULL;
    bf_status st1 = bf_scenario_parse(with_channels, strlen(with_channels), "t.ini", servers3, 1,
                                      &sc, &err);
    uint32_t n1 = st1 == BF_OK ? sc->model->nodes[0].servers : 0;
    bf_scenario_destroy(sc);
    sc = NULL;
    bf_status st2 = bf_scenario_parse(with_servers, strlen(with_servers), "t.ini", channels3, 1,
                                      &sc, &err);
    uint32_t n2 = st2 == BF_OK ? sc->model->nodes[0].servers : 0;
    bf_scenario_destroy(sc);
    assert_int_equal(st1, BF_OK);
    assert_int_equal(n1, 3);
    assert_int_equal(st2, BF_OK);
    assert_int_equal(n2, 3);
}

/* A size is either bytes (volume) or people (occupancy): bandwidth
 * applies to volumes only and per_occupant to occupants only, so a 1 KB
 * transfer through a station with per_occupant = 5s takes its 30 s check
 * (the first implementation added 1000 x 5 s), and a 4-person van at a
 * 1 kbit/s channel spends no time "transferring" its passengers. */
static void test_levers_size_kinds_not_mixed(void **state)
{
    (void)state;
    fixture f;
    run(&f, DATA_SIM
        "[class data]\narrivals = renewal(const(10min))\nvolume = const(1KB)\nroute = gate\n"
        "[class van]\narrivals = renewal(const(10min))\noccupancy = const(4)\nroute = ch\n"
        "[station gate]\nservice = const(30s)\nper_occupant = 5s\n"
        "[station ch]\nservice = const(30s)\nbandwidth = 1kbit/s\n");
    double data = tis(&f, "data"), van = tis(&f, "van");
    done(&f); /* before asserting, so that a failure leaks nothing */
    assert_float_equal(data, 30.0, EPS);
    assert_float_equal(van, 30.0, EPS);
}

/* DEFECT (this test fails until it is fixed): violators are counted when
 * an entity is created, not when it arrives.  A booked entity whose slot
 * lies beyond the horizon never arrives, yet counts as a violator: 0
 * arrivals and 9 violators here. */
static void test_levers_violators_counted_on_arrival(void **state)
{
    (void)state;
    fixture f;
    run(&f, DATA_SIM "[class c]\narrivals = renewal(const(10min))\nbooked = 100%\nslot = 1d\n"
                     "violation = low 100%\nroute = gate\n"
                     "[station gate]\nservice = const(30s)\ndetection = 100%\n");
    double arrivals = value(&f, "class", "c", "c", "arrivals");
    double violators = value(&f, "class", "c", "c", "violators");
    done(&f); /* before asserting, so that a failure leaks nothing */
    assert_float_equal(arrivals, 0, 0);
    assert_float_equal(violators, 0, 0);
}

/* ======================================================================= */
/* Rule families end to end                                                 */
/* ======================================================================= */

/* Classes a (9.6/h, half white-listed, 10% high risk) and b (14.4/h)
 * cross fl (2 x exp 3 min, rho 0.6; 5% to a 10-min search) and then sl
 * (exp 2 min, lambda 0.4/min, mu 0.5/min: rho 0.8, M/M/1 sojourn 600 s,
 * wait 480 s).  sl's discipline is priority, which with no priorities set
 * is FIFO.  Each test switches one rule on (the "off" run keeps it with
 * enabled = no, so both runs draw the same numbers).  Warm-up 3 d > 20
 * relaxation times of sl (3 h each); 10 days observed, 10 replications. */
static const char family_model[] =
    "[simulation]\nhorizon = 13d\nwarmup = 3d\nseed = 23850\nsample_every = 0s\n"
    "[class a]\narrivals = poisson(rate=9.6/h)\nwhitelisted = 50%\nrisk = low 90%, high 10%\n"
    "route = fl, sl\n"
    "[class b]\narrivals = poisson(rate=14.4/h)\nroute = fl, sl\n"
    "[station fl]\nline = first\nservers = 2\nservice = exp(mean=3min)\ninspect = 5% -> sec\n"
    "[station sec]\nline = first\nservers = 2\nservice = exp(mean=10min)\ndetection = 90%\n"
    "[station sl]\nline = second\ndiscipline = priority\nservice = exp(mean=2min)\n"
    "[station sl_fast]\nline = second\nservice = exp(mean=1min)\n";

#define N_REPS 10

/* Runs family_model plus rule text, with the rule off and on. */
static void family_runs(reps *off, reps *on, const char *rule, const char *name)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s", family_model, rule);
    char set[128];
    snprintf(set, sizeof set, "rule.%s.enabled=no", name);
    const char *sets[] = {set};
    reps_run(off, text, sets, 1, N_REPS);
    reps_run(on, text, NULL, 0, N_REPS);
}

/* skip: white-listed a (20% of sl's traffic) skip sl.  sl then sees
 * 19.2/h: sojourn 1 / (30 - 19.2) h = 333.3 s, wait 0.64 x 333.3 s, so
 * the second-line clearance of those checked falls from 600 s to 333.3 s
 * (b shows it; a's mean also depends on whether the skippers' crossing
 * counts, see test_levers_security_skipped_check_is_a_miss, and falls
 * either way).  Served at sl: half of a's fl departures (binomial). */
static void test_levers_family_skip(void **state)
{
    (void)state;
    reps off, on;
    family_runs(&off, &on, "[rule green]\nmatch = class a, whitelisted\nat = sl\nskip = yes\n",
                "green");
    double c_off = reps_ci(&off, "line", "second", "a", "clearance_mean").mean;
    double c_on = reps_ci(&on, "line", "second", "a", "clearance_mean").mean;
    print_message("  a second-line clearance: off %.1f s, on %.1f s\n", c_off, c_on);
    assert_true(c_on < c_off);
    assert_true(reps_ci(&on, "line", "second", "b", "clearance_mean").mean <
                reps_ci(&off, "line", "second", "b", "clearance_mean").mean);
    check(&off, "line", "second", "", "clearance_mean", 600.0, 0);
    check(&on, "line", "second", "b", "clearance_mean", 3600.0 / (30.0 - 19.2), 0);
    check(&on, "station", "sl", "", "wait_mean", 0.64 * 3600.0 / (30.0 - 19.2), 0);
    /* Only entities present at either end of a window may be counted at
     * fl and not at sl or the other way round. */
    double n = reps_sum(&on, "station", "fl", "a", "served");
    double k = reps_sum(&on, "station", "sl", "a", "served");
    check_count("a served at sl (of a served at fl)", k, 0.5 * n, sqrt(n * 0.25), on.edge);
    reps_fini(&off);
    reps_fini(&on);
}

/* use: class a is checked at sl_fast (exp 1 min) instead of sl.
 * sl_fast: 9.6/h of 60/h, sojourn 1 / (60 - 9.6) h = 71.4 s; sl: 14.4/h
 * of 30/h, sojourn 1 / (30 - 14.4) h = 230.8 s. */
static void test_levers_family_use(void **state)
{
    (void)state;
    reps off, on;
    family_runs(&off, &on, "[rule fast]\nmatch = class a\nat = sl\nuse = sl_fast\n", "fast");
    assert_true(reps_ci(&on, "line", "second", "a", "clearance_mean").mean <
                reps_ci(&off, "line", "second", "a", "clearance_mean").mean);
    assert_true(reps_ci(&on, "line", "second", "b", "clearance_mean").mean <
                reps_ci(&off, "line", "second", "b", "clearance_mean").mean);
    assert_float_equal(reps_sum(&on, "station", "sl", "a", "served"), 0, 0);
    assert_float_equal(reps_sum(&off, "station", "sl_fast", "", "served"), 0, 0);
    check(&on, "line", "second", "a", "clearance_mean", 3600.0 / (60.0 - 9.6), 0);
    check(&on, "line", "second", "b", "clearance_mean", 3600.0 / (30.0 - 14.4), 0);
    check(&off, "line", "second", "a", "clearance_mean", 600.0, 0);
    reps_fini(&off);
    reps_fini(&on);
}

/* service: a's check at sl halved (x0.5), or replaced by const(1min).
 * M/G/1 (Pollaczek-Khinchine), times in minutes: lambda_a = 0.16,
 * lambda_b = 0.24, b exp(2): E[S^2] = 8; a exp(1): 2, const(1): 1.
 * Wq = sum lambda_i E[S_i^2] / (2 (1 - rho)), rho = 0.16 + 0.48 = 0.64:
 * x0.5: 2.24 / 0.72 min = 186.7 s; const: 2.08 / 0.72 min = 173.3 s. */
static void test_levers_family_service(void **state)
{
    (void)state;
    reps off, on;
    family_runs(&off, &on, "[rule half]\nmatch = class a\nat = sl\nservice = x0.5\n", "half");
    assert_true(reps_ci(&on, "station", "sl", "", "wait_mean").mean <
                reps_ci(&off, "station", "sl", "", "wait_mean").mean);
    check(&off, "station", "sl", "", "wait_mean", 480.0, 0);
    check(&on, "station", "sl", "", "wait_mean", 2.24 / 0.72 * MIN, 0);
    check(&on, "station", "sl", "", "utilization", 0.64, 0);
    reps_fini(&off);
    reps_fini(&on);
    family_runs(&off, &on, "[rule desk]\nmatch = class a\nat = sl\nservice = const(1min)\n",
                "desk");
    check(&on, "station", "sl", "", "wait_mean", 2.08 / 0.72 * MIN, 0);
    check(&on, "station", "sl", "", "utilization", 0.64, 0);
    reps_fini(&off);
    reps_fini(&on);
}

/* inspect: high-risk entities (10% of a) are sent to the search 60% of
 * the time instead of 5%.  Searches per hour: a 9.6 x (0.9 x 0.05 +
 * 0.1 x 0.6) + b 14.4 x 0.05 = 1.728 (1.2 without); their count over the
 * windows is Poisson (thinning of Poisson arrivals), so the tolerance is
 * Z sqrt(mean), plus entities at the window edges. */
static void test_levers_family_inspect(void **state)
{
    (void)state;
    reps off, on;
    family_runs(&off, &on, "[rule target]\nmatch = risk high\nat = fl\ninspect = 60%\n",
                "target");
    double hours = 10 * 24.0 * N_REPS;
    double s_off = reps_sum(&off, "station", "sec", "", "inspections");
    double s_on = reps_sum(&on, "station", "sec", "", "inspections");
    assert_true(s_on > s_off);
    check_count("searches without targeting", s_off, 1.2 * hours, sqrt(1.2 * hours), off.edge);
    check_count("searches with targeting", s_on, 1.728 * hours, sqrt(1.728 * hours), on.edge);
    assert_float_equal(reps_sum(&on, "line", "first", "", "inspections"), s_on, 0);
    reps_fini(&off);
    reps_fini(&on);
}

/* priority: class a gets priority 5 at sl.  Cobham (non-preemptive), in
 * minutes: W0 = sum lambda_i E[S_i^2] / 2 = 0.4 x 8 / 2 = 1.6;
 * W_a = W0 / (1 - 0.32) = 141.2 s; W_b = W0 / ((1 - 0.32)(1 - 0.8)) =
 * 705.9 s; without the rule both wait 480 s. */
static void test_levers_family_priority(void **state)
{
    (void)state;
    reps off, on;
    family_runs(&off, &on, "[rule vip]\nmatch = class a\nat = sl\npriority = 5\n", "vip");
    assert_true(reps_ci(&on, "station", "sl", "a", "wait_mean").mean <
                reps_ci(&off, "station", "sl", "a", "wait_mean").mean);
    assert_true(reps_ci(&on, "station", "sl", "b", "wait_mean").mean >
                reps_ci(&off, "station", "sl", "b", "wait_mean").mean);
    check(&off, "station", "sl", "a", "wait_mean", 480.0, 0);
    check(&on, "station", "sl", "a", "wait_mean", 1.6 / 0.68 * MIN, 0);
    check(&on, "station", "sl", "b", "wait_mean", 1.6 / (0.68 * 0.2) * MIN, 0);
    reps_fini(&off);
    reps_fini(&on);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levers_security_all_caught_first_line),
        cmocka_unit_test(test_levers_security_missed_then_caught),
        cmocka_unit_test(test_levers_security_prevalence_by_risk_and_whitelist),
        cmocka_unit_test(test_levers_security_interceptions_stochastic),
        cmocka_unit_test(test_levers_security_risk_targeting_raises_interceptions),
        cmocka_unit_test(test_levers_security_bad_input),
        cmocka_unit_test(test_levers_data_transfer_time_exact),
        cmocka_unit_test(test_levers_data_units),
        cmocka_unit_test(test_levers_data_channels),
        cmocka_unit_test(test_levers_data_utilization_stochastic),
        cmocka_unit_test(test_levers_data_bad_input),
        cmocka_unit_test(test_levers_vehicle_occupancy_and_cargo_exact),
        cmocka_unit_test(test_levers_vehicle_stochastic),
        cmocka_unit_test(test_levers_vehicle_bad_input),
        cmocka_unit_test(test_levers_family_skip),
        cmocka_unit_test(test_levers_family_use),
        cmocka_unit_test(test_levers_family_service),
        cmocka_unit_test(test_levers_family_inspect),
        cmocka_unit_test(test_levers_family_priority),
        cmocka_unit_test(test_levers_size_kinds_not_mixed),
        /* These fail until the defects they describe are fixed. */
        cmocka_unit_test(test_levers_security_skipped_check_is_a_miss),
        cmocka_unit_test(test_levers_violators_counted_on_arrival),
        cmocka_unit_test(test_levers_volume_needs_a_unit),
        cmocka_unit_test(test_levers_channels_override_replaces_servers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
