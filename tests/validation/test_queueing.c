/*
 * test_queueing.c - validation of the simulator against queueing theory:
 * M/M/1, M/M/c (Erlang C), M/G/1 (Pollaczek-Khinchine), M/M/inf and
 * M/G/inf delays, a Jackson tandem, Cobham's non-preemptive priority
 * formula, and determinism across thread counts.  Little's law on the
 * Hetao scenario is in test_littles_law.c.
 *
 * How a check works.  Each model is written as scenario text, run with
 * R independent replications (fixed seed), and a metric's replication
 * means x_1..x_R are compared with the closed-form value mu:
 *
 *     |mean(x) - mu| <= k * hw95 + allowance,
 *     k = t(0.9995, R-1) / t(0.975, R-1),
 *
 * where hw95 = t(0.975, R-1) sd / sqrt(R) is the runner's 95% half-width,
 * so k * hw95 is the 99.9% two-sided Student-t half-width: a correct
 * simulator fails a single check with probability 0.1% over seeds (the
 * replication means are means of ~10^5 correlated observations, so close
 * to normal, which is what the t interval assumes).  The fixed seed makes
 * every run deterministic, so the suite is not flaky; the 0.1% is what a
 * change of seed or of the random streams risks per check (about 55
 * checks here, so about 5% that some check needs a look after such a
 * change).
 *
 * `allowance` is a bias the interval does not cover, stated and bounded
 * where it is used:
 *   - warm-up: every run starts empty, and the warm-up is at least 20
 *     relaxation times (asserted by warmup_ok), so the initial-transient
 *     bias is below e^-20 of the initial deviation: taken as 0;
 *   - histogram quantiles are bucket midpoints, off by at most 1/128
 *     relative (stats.h);
 *   - wait_probability counts waits below BF_HIST_MIN (~1 ms) as "did not
 *     wait"; the share of such tiny positive waits is bounded explicitly;
 *   - delays: the M/G/inf start-up bias at the end of the warm-up,
 *     lambda E[(S - w)+], computed from the dwell distribution.
 * A check never gets a tolerance that was widened to make it pass; a
 * discrepancy is reported (see tests/validation/README.md).
 *
 * Seeds.  Random streams are named by purpose and class ("arrivals:c"),
 * so two models with the same seed and class names would reuse the same
 * draws and their checks would not be independent evidence.  Each model
 * therefore has its own seed, 23851, 23852, ... in the order of this
 * file (fixed before looking at any result); the priority and FIFO
 * variants share one on purpose (common random numbers).
 *
 * Times in the simulator are seconds; the models are written in minutes,
 * so theory values are converted with MIN.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "borderflow/runner.h"
#include "borderflow/scenario.h"
#include "borderflow/stats.h"
#include "validation/vrun.h"

#define MIN 60.0 /* seconds per minute */

/* ---- helpers (running and checking: validation/vrun.h) ---------------- */

/* Relaxation time of M/M/1 (Morse; Cohen): the transient decays like
 * exp(-t / tau) with tau = 1 / (sqrt(mu) - sqrt(lambda))^2.  For M/M/c
 * the same expression with c mu bounds the decay of the queue, and the
 * servers themselves relax in 1/mu; for M/G/1 we scale by (1 + cs^2),
 * the heavy-traffic (reflected Brownian motion) variance factor.  Asserts
 * that the warm-up is at least 20 of them, which is what lets the checks
 * take the warm-up bias as zero (below e^-20 of the initial deviation). */
static void warmup_ok(const vrun *r, double lambda, double mu_total, double mu_server,
                      double cs2)
{
    double tau = (1.0 + cs2) / 2.0 / pow(sqrt(mu_total) - sqrt(lambda), 2.0);
    if (1.0 / mu_server > tau)
        tau = 1.0 / mu_server;
    double w = r->sc->model->warmup / MIN;
    if (!(w >= 20.0 * tau))
        fail_msg("warm-up %.0f min is shorter than 20 relaxation times (tau = %.1f min)", w,
                 tau);
}

/* Erlang C: probability that an arrival waits in M/M/c with offered load
 * a = lambda / mu erlangs (a < c).  Erlang B by its stable recursion
 * B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)), then
 * C = c B / (c - a (1 - B)). */
static double erlang_c(int c, double a)
{
    double b = 1.0;
    for (int k = 1; k <= c; k++)
        b = a * b / (k + a * b);
    return c * b / (c - a * (1.0 - b));
}

/* The textbook sum, as an independent check of erlang_c:
 * C = [a^c / c! / (1 - rho)] / [sum_{k<c} a^k / k! + a^c / c! / (1 - rho)]. */
static double erlang_c_sum(int c, double a)
{
    double term = 1.0, sum = 0.0;
    for (int k = 0; k < c; k++) {
        sum += term;
        term *= a / (k + 1);
    }
    double top = term / (1.0 - a / c);
    return top / (sum + top);
}

/* ---- the Erlang C formula itself ---------------------------------------- */

static void test_queueing_erlang_c_formula(void **state)
{
    (void)state;
    /* M/M/1: C = rho.  M/M/2 with a = 1: P0 = 1/3, C = 1/3. */
    assert_float_equal(erlang_c(1, 0.7385), 0.7385, 1e-14);
    assert_float_equal(erlang_c(2, 1.0), 1.0 / 3.0, 1e-14);
    for (int c = 1; c <= 40; c += 3)
        for (double a = 0.1385; a < c; a += 0.37 * c)
            assert_float_equal(erlang_c(c, a), erlang_c_sum(c, a), 1e-12);
    /* The reference case of the brief: c = 6, lambda = 10/min, 1/mu =
     * 0.5 min (a = 5): C = 0.5875, Wq = C / (c mu - lambda) = 0.2938 min. */
    double wq = erlang_c(6, 5.0) / (6 * 2.0 - 10.0);
    assert_float_equal(erlang_c(6, 5.0), 0.58752, 1e-5);
    assert_float_equal(wq, 0.29376, 1e-5);
}

/* ---- M/M/1 ------------------------------------------------------------- */

/* M/M/1 with lambda per minute and unit service rate.  Theory (times in
 * minutes, mu = 1):
 *   Wq = rho / (mu - lambda), Lq = lambda Wq, utilization = rho,
 *   P(wait > 0) = rho, P(Wq > t) = rho e^{-(mu - lambda) t},
 *   so the q-quantile of the wait is ln(rho / (1 - q)) / (mu - lambda)
 *   for q > 1 - rho, and time in system is exponential with mean
 *   1 / (mu - lambda). */
static void mm1_case(double lambda, double horizon_min, double warmup_min, int reps,
                     unsigned long long seed)
{
    const double mu = 1.0, rho = lambda / mu;
    char text[1024], name[32];
    snprintf(name, sizeof name, "mm1-rho%.2f", rho);
    snprintf(text, sizeof text,
             "[simulation]\nhorizon = %.0fmin\nwarmup = %.0fmin\nreplications = %d\n"
             "seed = %llu\nsample_every = 0s\n"
             "[class c]\narrivals = poisson(rate=%g/min)\nroute = q\n"
             "[station q]\nservers = 1\nservice = exp(mean=%gmin)\n",
             horizon_min, warmup_min, reps, seed, lambda, 1.0 / mu);
    vrun r;
    vrun_text(&r, name, text, 2);
    warmup_ok(&r, lambda, mu, mu, 1.0);

    double wq = rho / (mu - lambda) * MIN;
    /* A positive wait below BF_HIST_MIN counts as "no wait": its
     * probability is rho (1 - e^{-(mu - lambda) BF_HIST_MIN}). */
    double tiny = rho * (1.0 - exp(-(mu - lambda) / MIN * BF_HIST_MIN));
    double q90 = log(rho / 0.1) / (mu - lambda) * MIN;
    check_key(&r, "station", "q", "", "wait_mean", wq, 0.0);
    check_key(&r, "station", "q", "", "queue_mean", lambda / MIN * wq, 0.0);
    check_key(&r, "station", "q", "", "utilization", rho, 0.0);
    check_key(&r, "station", "q", "", "wait_probability", rho, tiny);
    check_key(&r, "station", "q", "", "wait_p90", q90, q90 / 128.0);
    check_key(&r, "station", "q", "", "throughput", lambda * 60.0, 0.0);
    check_key(&r, "system", "", "", "time_in_system_mean", 1.0 / (mu - lambda) * MIN, 0.0);
    vrun_finish(&r);
}

/* rho = 0.5: 20 x 100 000 min, ~1e5 customers per replication; the 95%
 * half-width of Wq comes out near 1% of the mean. */
static void test_queueing_mm1_rho050(void **state)
{
    (void)state;
    mm1_case(0.5, 100000.0, 1000.0, 20, 23851);
}

/* rho = 0.8: tau = 1 / (1 - sqrt(0.8))^2 = 90 min, so a 2 000 min
 * warm-up; 20 x 200 000 min gives a half-width near 1.3% of Wq = 4 min. */
static void test_queueing_mm1_rho080(void **state)
{
    (void)state;
    mm1_case(0.8, 200000.0, 2000.0, 20, 23852);
}

/* The bench reference model: lambda = 0.9/min, mu = 1/min, Wq = 9 min.
 * tau = 1 / (1 - sqrt(0.9))^2 = 380 min: a 10 000 min warm-up (26 tau).
 * The asymptotic variance of the mean wait grows like (1 - rho)^-4, so
 * this needs the longest runs: 20 x 500 000 min (~9e6 customers, ~1 s
 * in a Release build) give a 95% half-width near 0.9% of Wq. */
static void test_queueing_mm1_rho090_bench(void **state)
{
    (void)state;
    mm1_case(0.9, 500000.0, 10000.0, 20, 23853);
}

/* ---- M/M/c ------------------------------------------------------------- */

/* c = 6, lambda = 10/min, 1/mu = 0.5 min: a = 5 erlangs, rho = 5/6.
 * P(wait) = C(6, 5) = 0.5875, Wq = C / (c mu - lambda) = 0.2938 min,
 * Lq = lambda Wq, utilization = a / c.  tau <= max(1/mu, 1/(sqrt(c mu) -
 * sqrt(lambda))^2) = 11 min: a 1 000 min warm-up.  20 x 30 000 min
 * (3e5 customers each) give a half-width near 1.3% of Wq. */
static void test_queueing_mmc_erlang_c(void **state)
{
    (void)state;
    const int c = 6;
    const double lambda = 10.0, mu = 2.0, a = lambda / mu;
    char text[1024];
    snprintf(text, sizeof text,
             "[simulation]\nhorizon = 30000min\nwarmup = 1000min\nreplications = 20\n"
             "seed = 23854\nsample_every = 0s\n"
             "[class c]\narrivals = poisson(rate=%g/min)\nroute = q\n"
             "[station q]\nservers = %d\nservice = exp(mean=%gmin)\n",
             lambda, c, 1.0 / mu);
    vrun r;
    vrun_text(&r, "mmc", text, 2);
    warmup_ok(&r, lambda, c * mu, mu, 1.0);

    double pw = erlang_c(c, a);
    double wq = pw / (c * mu - lambda) * MIN;
    double tiny = pw * (1.0 - exp(-(c * mu - lambda) / MIN * BF_HIST_MIN));
    check_key(&r, "station", "q", "", "wait_probability", pw, tiny);
    check_key(&r, "station", "q", "", "wait_mean", wq, 0.0);
    check_key(&r, "station", "q", "", "queue_mean", lambda / MIN * wq, 0.0);
    check_key(&r, "station", "q", "", "utilization", a / c, 0.0);
    check_key(&r, "system", "", "", "time_in_system_mean", wq + MIN / mu, 0.0);
    vrun_finish(&r);
}

/* ---- M/G/1 ------------------------------------------------------------- */

/* Lognormal service, mean 1 min, sd 1.5 min (cs^2 = 2.25), lambda =
 * 0.7/min.  Pollaczek-Khinchine: Wq = lambda E[S^2] / (2 (1 - rho)) with
 * E[S^2] = sd^2 + mean^2 = 3.25 min^2: Wq = 3.792 min.  The lognormal has
 * all moments, so the estimator's variance is finite.  tau (scaled by
 * (1 + cs^2)/2) = 61 min: a 5 000 min warm-up.  20 x 200 000 min give a
 * half-width near 1.7% of Wq. */
static void test_queueing_mg1_lognormal(void **state)
{
    (void)state;
    const double lambda = 0.7, es = 1.0, sd = 1.5;
    const double rho = lambda * es, es2 = sd * sd + es * es;
    char text[1024];
    snprintf(text, sizeof text,
             "[simulation]\nhorizon = 200000min\nwarmup = 5000min\nreplications = 20\n"
             "seed = 23855\nsample_every = 0s\n"
             "[class c]\narrivals = poisson(rate=%g/min)\nroute = q\n"
             "[station q]\nservers = 1\nservice = lognormal(mean=%gmin, sd=%gmin)\n",
             lambda, es, sd);
    vrun r;
    vrun_text(&r, "mg1", text, 2);
    warmup_ok(&r, lambda, 1.0 / es, 1.0 / es, sd * sd / (es * es));

    double wq = lambda * es2 / (2.0 * (1.0 - rho)) * MIN;
    check_key(&r, "station", "q", "", "wait_mean", wq, 0.0);
    check_key(&r, "station", "q", "", "queue_mean", lambda / MIN * wq, 0.0);
    check_key(&r, "station", "q", "", "utilization", rho, 0.0);
    /* P(wait > 0) = rho for any M/G/1.  Waits below BF_HIST_MIN count as
     * none: Wq is a geometric sum of residual service times, whose
     * density P(S > x) / E[S] is at most 1/E[S], so Wq's density on
     * (0, inf) is at most rho / E[S] = lambda, and
     * P(0 < Wq < BF_HIST_MIN) <= lambda BF_HIST_MIN. */
    check_key(&r, "station", "q", "", "wait_probability", rho, lambda / MIN * BF_HIST_MIN);
    vrun_finish(&r);
}

/* ---- M/M/inf and M/G/inf delays --------------------------------------- */

/* lambda E[(S - w)+] for S lognormal(mean m, sd s): the expected number
 * of entities still missing from a delay that started empty, at time w
 * (the M/G/inf start-up bias: E N(w) = lambda int_0^w P(S > u) du).
 * Partial expectation: E[(S - w)+] = m Phi(d1) - w Phi(d2),
 * d1 = (mu_l + sigma^2 - ln w) / sigma, d2 = d1 - sigma. */
static double lognormal_excess(double m, double s, double w)
{
    double s2 = log(1.0 + (s / m) * (s / m)), sg = sqrt(s2);
    double mu_l = log(m) - s2 / 2.0;
    double d1 = (mu_l + s2 - log(w)) / sg, d2 = d1 - sg;
    return m * 0.5 * erfc(-d1 / sqrt(2.0)) - w * 0.5 * erfc(-d2 / sqrt(2.0));
}

/* E[S^2 ; S > w] for the same lognormal: E[S^2] Phi(d3),
 * d3 = (mu_l + 2 sigma^2 - ln w) / sigma.  Bounds the start-up bias of
 * the mean dwell of the entities that leave in [w, T]: those that would
 * have arrived before time 0 are missing, which shifts the mean by at
 * most E[S (S - w)+] / ((T - w) - E[(S - w)+]) <= E[S^2 ; S > w] /
 * ((T - w) - E[(S - w)+]). */
static double lognormal_sq_tail(double m, double s, double w)
{
    double s2 = log(1.0 + (s / m) * (s / m)), sg = sqrt(s2);
    double mu_l = log(m) - s2 / 2.0;
    double d3 = (mu_l + 2.0 * s2 - log(w)) / sg;
    return (m * m + s * s) * 0.5 * erfc(-d3 / sqrt(2.0));
}

/* Two independent delays: zone_a (exponential dwell, M/M/inf) and
 * zone_b (lognormal dwell with sd > mean, M/G/inf).  The number present
 * is Poisson with mean lambda E[T] whatever the dwell distribution
 * (insensitivity).  Warm-up 2 000 min: for zone_a the start-up bias is
 * lambda E[T] e^{-w/E[T]} (< 1e-27); for zone_b it is
 * lambda E[(S - w)+], about 0.005, used as the allowance.  10 x 50 000
 * min: the number present has correlation time ~E[T], so the time
 * average's half-width is near 0.3% of the mean. */
static void test_queueing_delay_infinite_server(void **state)
{
    (void)state;
    const double la = 2.0, ta = 30.0;             /* per min, min */
    const double lb = 1.0, tb = 45.0, sb = 60.0;  /* per min, min, min */
    const double w = 2000.0;
    char text[1024];
    snprintf(text, sizeof text,
             "[simulation]\nhorizon = 50000min\nwarmup = %.0fmin\nreplications = 10\n"
             "seed = 23856\nsample_every = 0s\n"
             "[class a]\narrivals = poisson(rate=%g/min)\nroute = zone_a\n"
             "[class b]\narrivals = poisson(rate=%g/min)\nroute = zone_b\n"
             "[delay zone_a]\ntime = exp(mean=%gmin)\n"
             "[delay zone_b]\ntime = lognormal(mean=%gmin, sd=%gmin)\n",
             w, la, lb, ta, tb, sb);
    vrun r;
    vrun_text(&r, "minf", text, 2);
    check_key(&r, "delay", "zone_a", "", "present_mean", la * ta, la * ta * exp(-w / ta));
    check_key(&r, "delay", "zone_b", "", "present_mean", lb * tb,
              lb * lognormal_excess(tb, sb, w));
    /* Entries per hour: Poisson counts over 48 000 min. */
    double span_h = (r.sc->model->horizon - r.sc->model->warmup) / 3600.0;
    check_key(&r, "delay", "zone_a", "", "entered", la * 60.0 * span_h, 0.0);
    check_key(&r, "delay", "zone_b", "", "entered", lb * 60.0 * span_h, 0.0);
    /* Time in system of a class that only dwells = its dwell time; for
     * zone_a the start-up bias is again below e^-60. */
    check_key(&r, "class", "a", "a", "time_in_system_mean", ta * MIN, 0.0);
    double span_min = span_h * 60.0;
    check_key(&r, "class", "b", "b", "time_in_system_mean", tb * MIN,
              lognormal_sq_tail(tb, sb, w) /
                  (span_min - lognormal_excess(tb, sb, w)) * MIN);
    vrun_finish(&r);
}

/* The delay's own dwell statistics (dwell_mean) must equal the dwell
 * distribution's mean (each dwell is one draw; no queueing).  Kept apart
 * from the test above so that a failure here is reported on its own. */
static void test_queueing_delay_dwell_mean(void **state)
{
    (void)state;
    const double la = 2.0, ta = 30.0;
    char text[1024];
    snprintf(text, sizeof text,
             "[simulation]\nhorizon = 20000min\nwarmup = 600min\nreplications = 10\n"
             "seed = 23857\nsample_every = 0s\n"
             "[class a]\narrivals = poisson(rate=%g/min)\nroute = zone_a\n"
             "[delay zone_a]\ntime = exp(mean=%gmin)\n",
             la, ta);
    vrun r;
    vrun_text(&r, "dwell", text, 2);
    /* Dwells are counted when they end after the warm-up; those that
     * started before it are included, which does not bias an exponential
     * dwell (memoryless) beyond the e^-20 start-up effect. */
    check_key(&r, "delay", "zone_a", "", "dwell_mean", ta * MIN, 0.0);
    check_key(&r, "delay", "zone_a", "", "dwell_p50", ta * log(2.0) * MIN,
              ta * log(2.0) * MIN / 128.0);
    vrun_finish(&r);
}

/* ---- tandem (Jackson network) ----------------------------------------- */

/* q1 (1/mu1 = 1 min) then q2 (1/mu2 = 0.8 min), lambda = 0.7/min.  By
 * Burke's theorem q1's departures are Poisson, so each station is an
 * M/M/1 with the same lambda: Wq_i = rho_i / (mu_i - lambda), and the
 * mean end-to-end time is sum 1 / (mu_i - lambda) = 3.333 + 1.818 =
 * 5.152 min.  tau(q1) = 37 min: 2 000 min warm-up.  20 x 200 000 min. */
static void test_queueing_tandem_jackson(void **state)
{
    (void)state;
    const double lambda = 0.7, mu1 = 1.0, mu2 = 1.25;
    char text[1024];
    snprintf(text, sizeof text,
             "[simulation]\nhorizon = 200000min\nwarmup = 2000min\nreplications = 20\n"
             "seed = 23858\nsample_every = 0s\n"
             "[class c]\narrivals = poisson(rate=%g/min)\nroute = q1, q2\n"
             "[station q1]\nservers = 1\nservice = exp(mean=%gmin)\n"
             "[station q2]\nservers = 1\nservice = exp(mean=%gmin)\n",
             lambda, 1.0 / mu1, 1.0 / mu2);
    vrun r;
    vrun_text(&r, "tandem", text, 2);
    warmup_ok(&r, lambda, mu1, mu1, 1.0);
    warmup_ok(&r, lambda, mu2, mu2, 1.0);

    double wq1 = lambda / mu1 / (mu1 - lambda) * MIN;
    double wq2 = lambda / mu2 / (mu2 - lambda) * MIN;
    double t = (1.0 / (mu1 - lambda) + 1.0 / (mu2 - lambda)) * MIN;
    check_key(&r, "station", "q1", "", "wait_mean", wq1, 0.0);
    check_key(&r, "station", "q2", "", "wait_mean", wq2, 0.0);
    check_key(&r, "station", "q1", "", "utilization", lambda / mu1, 0.0);
    check_key(&r, "station", "q2", "", "utilization", lambda / mu2, 0.0);
    check_key(&r, "class", "c", "c", "wait_mean", wq1 + wq2, 0.0);
    check_key(&r, "system", "", "", "time_in_system_mean", t, 0.0);
    /* Little's law for the whole network: L = lambda T. */
    check_key(&r, "system", "", "", "in_system_mean", lambda / MIN * t, 0.0);
    vrun_finish(&r);
}

/* ---- non-preemptive priority (Cobham) ---------------------------------- */

/* Two classes at one server, different service distributions:
 *   hi: lambda 0.3/min, priority 5, erlang(k=2, mean=0.8 min):
 *       E[S^2] = m^2 (1 + 1/k) = 0.96 min^2, rho = 0.24;
 *   lo: lambda 0.5/min, priority 1, lognormal(mean=1, sd=1 min):
 *       E[S^2] = 2 min^2, rho = 0.5.
 * Cobham: W0 = sum lambda_i E[S_i^2] / 2 = 0.644 min (mean residual
 * work), W_k = W0 / ((1 - sigma_{k-1}) (1 - sigma_k)) with sigma_k the
 * load of classes served no later than k:
 *   W_hi = W0 / (1 - 0.24) = 0.847 min,
 *   W_lo = W0 / ((1 - 0.24)(1 - 0.74)) = 3.259 min.
 * tau (rho = 0.74, cs^2 = 1 as for exponential service) = 51 min:
 * 2 000 min warm-up.  20 x 200 000 min. */
#define PRIO_MODEL                                                               \
    "[simulation]\nhorizon = 200000min\nwarmup = 2000min\nreplications = 20\n" \
    "seed = 23859\nsample_every = 0s\n"                                          \
    "[class hi]\narrivals = poisson(rate=0.3/min)\npriority = 5\nroute = q\n"   \
    "[class lo]\narrivals = poisson(rate=0.5/min)\npriority = 1\nroute = q\n"   \
    "[station q]\nservers = 1\ndiscipline = %s\n"                               \
    "service = exp(mean=1min)\n"                                                \
    "service.hi = erlang(k=2, mean=0.8min)\n"                                   \
    "service.lo = lognormal(mean=1min, sd=1min)\n"

static const double prio_l_hi = 0.3, prio_l_lo = 0.5;
static const double prio_es_hi = 0.8, prio_es2_hi = 0.8 * 0.8 * 1.5;
static const double prio_es_lo = 1.0, prio_es2_lo = 2.0;

static void test_queueing_priority_cobham(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text, PRIO_MODEL, "priority");
    vrun r;
    vrun_text(&r, "priority", text, 2);
    double s_hi = prio_l_hi * prio_es_hi, s_all = s_hi + prio_l_lo * prio_es_lo;
    warmup_ok(&r, s_all, 1.0, 1.0, 1.0);

    double w0 = (prio_l_hi * prio_es2_hi + prio_l_lo * prio_es2_lo) / 2.0;
    double w_hi = w0 / (1.0 - s_hi) * MIN;
    double w_lo = w0 / ((1.0 - s_hi) * (1.0 - s_all)) * MIN;
    check_key(&r, "station", "q", "hi", "wait_mean", w_hi, 0.0);
    check_key(&r, "station", "q", "lo", "wait_mean", w_lo, 0.0);
    check_key(&r, "class", "hi", "hi", "wait_mean", w_hi, 0.0);
    check_key(&r, "class", "lo", "lo", "wait_mean", w_lo, 0.0);
    /* All classes together: the arrival-weighted mix of the two. */
    double w_mix = (prio_l_hi * w_hi + prio_l_lo * w_lo) / (prio_l_hi + prio_l_lo);
    check_key(&r, "station", "q", "", "wait_mean", w_mix, 0.0);
    check_key(&r, "station", "q", "", "utilization", s_all, 0.0);
    vrun_finish(&r);
}

/* The same model with discipline = fifo: priorities must be ignored, and
 * both classes see the M/G/1 FIFO wait of the mixed service time
 * (Pollaczek-Khinchine with E[S^2] the arrival-weighted mix):
 * Wq = W0 / (1 - rho) = 0.644 / 0.26 = 2.477 min for both. */
static void test_queueing_fifo_ignores_priority(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text, PRIO_MODEL, "fifo");
    vrun r;
    vrun_text(&r, "prio-fifo", text, 2);
    double rho = prio_l_hi * prio_es_hi + prio_l_lo * prio_es_lo;
    double w0 = (prio_l_hi * prio_es2_hi + prio_l_lo * prio_es2_lo) / 2.0;
    double wq = w0 / (1.0 - rho) * MIN;
    check_key(&r, "station", "q", "hi", "wait_mean", wq, 0.0);
    check_key(&r, "station", "q", "lo", "wait_mean", wq, 0.0);
    check_key(&r, "station", "q", "", "wait_mean", wq, 0.0);
    vrun_finish(&r);
}

/* ---- determinism -------------------------------------------------------- */

/* A model that exercises every random stream: two classes with
 * attributes, a branch, inspection, a delay and priorities.  The same
 * seed must give bit-identical per-replication values, aggregates and
 * pooled histograms with 1, 2 and 3 worker threads (3 > cores, so the
 * completion order is shuffled). */
static void test_queueing_deterministic_across_jobs(void **state)
{
    (void)state;
    static const char text[] =
        "[simulation]\nhorizon = 3d\nwarmup = 6h\nreplications = 7\nseed = 2385\n"
        "sample_every = 0s\n"
        "[class person]\narrivals = poisson(rate=90/h)\nwhitelisted = 38.5%\n"
        "risk = low 90%, medium 9%, high 1%\npriority = 2\n"
        "route = gate, zone, branch(23.85%: exit_check; 76.15%: -)\n"
        "[class cargo]\narrivals = poisson(rate=12/h)\npriority = 6\n"
        "route = gate, branch(40%: exit_check; 60%: -)\n"
        "[station gate]\nservers = 2\ndiscipline = priority\n"
        "service = lognormal(mean=70s, sd=40s)\ninspect = 7% -> secondary\n"
        "[station secondary]\nservers = 1\nservice = exp(mean=9min)\n"
        "[station exit_check]\nservers = 1\nservice = erlang(k=3, mean=2min)\n"
        "[delay zone]\ntime = lognormal(mean=2h, sd=1h)\n";
    vrun r[3];
    const int jobs[3] = {1, 2, 3};
    for (int i = 0; i < 3; i++)
        vrun_text(&r[i], "determinism", text, jobs[i]);
    for (int i = 1; i < 3; i++) {
        const bf_run_result *a = r[0].res, *b = r[i].res;
        assert_int_equal(a->n_reps, b->n_reps);
        assert_int_equal(a->n_keys, b->n_keys);
        assert_int_equal(a->n_hists, b->n_hists);
        assert_memory_equal(a->values, b->values,
                            (size_t)a->n_reps * a->n_keys * sizeof *a->values);
        assert_memory_equal(a->ci, b->ci, a->n_keys * sizeof *a->ci);
        assert_memory_equal(a->pooled, b->pooled, a->n_hists * sizeof *a->pooled);
        assert_true(a->events == b->events);
    }
    /* Replications differ from each other (their streams are distinct). */
    long k = key_of(&r[0], "system", "", "", "arrivals");
    assert_true(r[0].res->values[k] != r[0].res->values[r[0].res->n_keys + (size_t)k]);
    for (int i = 0; i < 3; i++)
        vrun_fini(&r[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queueing_erlang_c_formula),
        cmocka_unit_test(test_queueing_mm1_rho050),
        cmocka_unit_test(test_queueing_mm1_rho080),
        cmocka_unit_test(test_queueing_mm1_rho090_bench),
        cmocka_unit_test(test_queueing_mmc_erlang_c),
        cmocka_unit_test(test_queueing_mg1_lognormal),
        cmocka_unit_test(test_queueing_delay_infinite_server),
        cmocka_unit_test(test_queueing_delay_dwell_mean),
        cmocka_unit_test(test_queueing_tandem_jackson),
        cmocka_unit_test(test_queueing_priority_cobham),
        cmocka_unit_test(test_queueing_fifo_ignores_priority),
        cmocka_unit_test(test_queueing_deterministic_across_jobs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
