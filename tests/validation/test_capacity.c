/*
 * test_capacity.c - validation of finite capacity, patience and
 * time-varying demand against queueing theory:
 *   - M/M/c/K: blocking probability and the waits of admitted customers
 *     from the birth-death chain;
 *   - Erlang B (M/M/c/c), and its insensitivity to the service
 *     distribution (M/G/c/c with lognormal service);
 *   - M/M/1+M (exponential patience): abandonment probability from the
 *     birth-death chain with death rate mu + (n - 1) theta in state n;
 *   - a non-homogeneous Poisson process with a strongly varying hourly
 *     profile (zero hours, a one-hour spike): arrivals by hour of day
 *     against Poisson counts, hour by hour and with a chi-square test.
 * Non-preemptive priorities (Cobham) are in test_queueing.c.
 *
 * How a check works (as in test_queueing.c).  Each model runs R
 * replications with a fixed seed and a metric's replication means are
 * compared with the theory value mu:
 *
 *     |mean(x) - mu| <= k * hw95 + allowance,
 *     k = t(0.9995, R-1) / t(0.975, R-1),
 *
 * hw95 being the runner's 95% Student-t half-width, so k * hw95 is the
 * 99.9% two-sided half-width: a correct simulator fails one check with
 * probability 0.1% over seeds, and the fixed seeds make the suite
 * deterministic.  The arrival-count checks use the exact Poisson law of
 * the counts instead (see test_capacity_nhpp_hourly_counts).
 *
 * Allowances (biases the interval does not cover), each bounded where it
 * is used:
 *   - warm-up: runs start empty.  For the birth-death models the test
 *     computes the relaxation time tau = 1 / (spectral gap of the
 *     generator) numerically (Sturm bisection on the symmetrised
 *     tridiagonal generator) and asserts a warm-up of at least 20 tau, so
 *     the initial bias is below e^-20 of the initial deviation: taken as
 *     0.  For M/G/c/c the argument is coupling; see that test;
 *   - ratio estimators (blocked / arrivals, reneged / arrivals): the
 *     bias of a ratio of two counts over n ~ 10^5 arrivals is O(1/n)
 *     relative (1e-5), two orders below the half-widths: taken as 0;
 *   - wait_probability counts waits below BF_HIST_MIN (~1 ms) as "no
 *     wait": bounded explicitly where it is checked.
 * A tolerance is never widened to make a check pass; a disagreement is
 * reported (tests/validation/README.md).
 *
 * Seeds: 23871, 23872, ... in file order, fixed before any result was
 * seen; streams are named by purpose and class, so distinct seeds keep
 * the models' draws independent.  Models are written in minutes; the
 * simulator reports seconds (MIN converts).
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

/* Running and checking: validation/vrun.h. */

/* ---- birth-death chains ------------------------------------------------- */

/* A birth-death chain on 0..N: birth rate lam[n] in state n (n < N),
 * death rate mu[n] (n >= 1).  Rates per minute. */
typedef struct bd_chain {
    int N;
    double *lam, *mu, *p; /* N + 1 entries each; p: stationary law */
} bd_chain;

static void bd_alloc(bd_chain *b, int N)
{
    b->N = N;
    b->lam = calloc((size_t)N + 1, sizeof *b->lam);
    b->mu = calloc((size_t)N + 1, sizeof *b->mu);
    b->p = calloc((size_t)N + 1, sizeof *b->p);
    assert_non_null(b->lam);
    assert_non_null(b->mu);
    assert_non_null(b->p);
}

static void bd_free(bd_chain *b)
{
    free(b->lam);
    free(b->mu);
    free(b->p);
}

/* Detailed balance: p[n] = p[n-1] lam[n-1] / mu[n], normalised. */
static void bd_solve(bd_chain *b)
{
    double sum = 1.0;
    b->p[0] = 1.0;
    for (int n = 1; n <= b->N; n++) {
        b->p[n] = b->p[n - 1] * b->lam[n - 1] / b->mu[n];
        sum += b->p[n];
    }
    for (int n = 0; n <= b->N; n++)
        b->p[n] /= sum;
}

/* Spectral gap of the generator: the smallest non-zero eigenvalue of
 * -Q, which is similar to the symmetric tridiagonal matrix with diagonal
 * lam[n] + mu[n] and off-diagonal -sqrt(lam[n] mu[n+1]).  Found by
 * bisection on the Sturm count (the number of eigenvalues below x is the
 * number of negative pivots of the LDL^T factorisation of A - xI).  The
 * empty-start bias of every statistic decays like exp(-gap t). */
static int sturm_below(const bd_chain *b, double x)
{
    int count = 0;
    double q = 1.0;
    for (int n = 0; n <= b->N; n++) {
        double a = (n < b->N ? b->lam[n] : 0.0) + (n > 0 ? b->mu[n] : 0.0);
        double off2 = n > 0 ? b->lam[n - 1] * b->mu[n] : 0.0;
        q = a - x - (n > 0 ? off2 / q : 0.0);
        if (q == 0.0)
            q = -1e-300; /* x is an eigenvalue: count it as below */
        if (q < 0)
            count++;
    }
    return count;
}

static double bd_gap(const bd_chain *b)
{
    double hi = 0.0;
    for (int n = 0; n <= b->N; n++) {
        double r = (n < b->N ? b->lam[n] : 0.0) + (n > 0 ? b->mu[n] : 0.0);
        r += n < b->N ? sqrt(b->lam[n] * b->mu[n + 1]) : 0.0;
        r += n > 0 ? sqrt(b->lam[n - 1] * b->mu[n]) : 0.0;
        if (r > hi)
            hi = r; /* Gershgorin bound on every eigenvalue */
    }
    double lo = 0.0;
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        if (sturm_below(b, mid) >= 2)
            hi = mid;
        else
            lo = mid;
    }
    return 0.5 * (lo + hi);
}

/* Asserts that the model's warm-up is at least 20 relaxation times. */
static void warmup_ok(const vrun *r, const bd_chain *b)
{
    double tau = 1.0 / bd_gap(b);
    double w = r->sc->model->warmup / MIN;
    print_message("  relaxation time tau = %.3g min; warm-up %.0f min = %.0f tau\n", tau, w,
                  w / tau);
    if (!(w >= 20.0 * tau))
        fail_msg("warm-up %.0f min is shorter than 20 relaxation times (tau = %.3g min)", w,
                 tau);
}

/* M/M/c/K: births lam below K, deaths min(n, c) mu. */
static void mmck_chain(bd_chain *b, int c, int K, double lam, double mu)
{
    bd_alloc(b, K);
    for (int n = 0; n <= K; n++) {
        b->lam[n] = n < K ? lam : 0.0;
        b->mu[n] = (n < c ? n : c) * mu;
    }
    bd_solve(b);
}

/* M/M/1+M: deaths mu + (n - 1) theta in state n >= 1 (the one in
 * service completes, each of the n - 1 waiting gives up at rate theta).
 * The chain is infinite; p[n] falls faster than geometrically once
 * mu + (n - 1) theta > lam, so it is truncated where p[n] < 1e-17 of the
 * largest term: the neglected mass is below 1e-16. */
static void mm1m_chain(bd_chain *b, double lam, double mu, double theta)
{
    int N = 1;
    double t = 1.0, big = 1.0;
    for (;;) {
        t *= lam / (mu + (N - 1) * theta);
        big = fmax(big, t);
        if (t < 1e-17 * big && mu + (N - 1) * theta > 2 * lam)
            break;
        N++;
    }
    bd_alloc(b, N);
    for (int n = 0; n <= N; n++) {
        b->lam[n] = n < N ? lam : 0.0;
        b->mu[n] = n > 0 ? mu + (n - 1) * theta : 0.0;
    }
    bd_solve(b);
}

/* Erlang B by the stable recursion B(0) = 1, B(k) = a B / (k + a B). */
static double erlang_b(int c, double a)
{
    double b = 1.0;
    for (int k = 1; k <= c; k++)
        b = a * b / (k + a * b);
    return b;
}

/* ---- normal and chi-square quantiles ------------------------------------ */

static double normal_quantile(double p)
{
    double lo = -40.0, hi = 40.0;
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        if (0.5 * erfc(-mid / sqrt(2.0)) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* Regularised lower incomplete gamma P(a, x): the series for x < a + 1,
 * else 1 - the continued fraction for Q (Lentz), as in Numerical
 * Recipes 6.2. */
static double gamma_p(double a, double x)
{
    if (x <= 0)
        return 0.0;
    double lg = a * log(x) - x - lgamma(a);
    if (x < a + 1.0) {
        double ap = a, sum = 1.0 / a, del = sum;
        for (int n = 0; n < 10000 && fabs(del) > fabs(sum) * 1e-16; n++) {
            ap += 1.0;
            del *= x / ap;
            sum += del;
        }
        return sum * exp(lg);
    }
    double b = x + 1.0 - a, c = 1.0 / 1e-300, d = 1.0 / b, h = d;
    for (int i = 1; i < 10000; i++) {
        double an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if (fabs(d) < 1e-300)
            d = 1e-300;
        c = b + an / c;
        if (fabs(c) < 1e-300)
            c = 1e-300;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < 1e-16)
            break;
    }
    return 1.0 - exp(lg) * h;
}

/* The p-quantile of the chi-square distribution with df degrees of
 * freedom: P(df/2, x/2) = p, by bisection. */
static double chi2_quantile(double p, double df)
{
    double lo = 0.0, hi = 10.0 * df + 100.0;
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        if (gamma_p(df / 2.0, mid / 2.0) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* ---- the formulas themselves -------------------------------------------- */

static void test_capacity_formulas(void **state)
{
    (void)state;
    /* Erlang B: B(1, a) = a / (1 + a); the reference value of the brief. */
    assert_float_equal(erlang_b(1, 0.7385), 0.7385 / 1.7385, 1e-15);
    assert_float_equal(erlang_b(5, 4.0), 0.19907, 1e-5);
    /* The birth-death solution of M/M/c/c is Erlang B. */
    for (int c = 1; c <= 12; c += 3) {
        bd_chain b;
        mmck_chain(&b, c, c, 2.385 * c, 1.0);
        assert_float_equal(b.p[c], erlang_b(c, 2.385 * c), 1e-13);
        bd_free(&b);
    }
    /* M/M/1/K: the spectral gap is known in closed form, the eigenvalues
     * of -Q being 0 and lam + mu - 2 sqrt(lam mu) cos(k pi / (K + 1)). */
    for (int K = 1; K <= 40; K += 13) {
        bd_chain b;
        double lam = 0.7385, mu = 1.2;
        mmck_chain(&b, 1, K, lam, mu);
        double want = lam + mu - 2.0 * sqrt(lam * mu) * cos(3.14159265358979323846 / (K + 1));
        assert_float_equal(bd_gap(&b), want, 1e-10);
        bd_free(&b);
    }
    /* M/M/1+M with theta = mu is M/M/inf: p Poisson(a), E[Nq] =
     * E[(N - 1)+] = a - 1 + e^-a.  And by flow balance the abandonment
     * probability theta E[Nq] / lam equals 1 - mu (1 - p0) / lam. */
    {
        bd_chain b;
        double lam = 2.385, mu = 1.0;
        mm1m_chain(&b, lam, mu, mu);
        assert_float_equal(b.p[0], exp(-lam), 1e-14);
        double nq = 0;
        for (int n = 1; n <= b.N; n++)
            nq += (n - 1) * b.p[n];
        assert_float_equal(nq, lam - 1.0 + exp(-lam), 1e-13);
        bd_free(&b);
        mm1m_chain(&b, 1.2, 1.0, 0.5);
        nq = 0;
        for (int n = 1; n <= b.N; n++)
            nq += (n - 1) * b.p[n];
        assert_float_equal(0.5 * nq / 1.2, 1.0 - (1.0 - b.p[0]) / 1.2, 1e-13);
        bd_free(&b);
    }
    /* Quantiles against tables: z(0.975) = 1.959964, z(0.9995) = 3.290527;
     * chi2(0.999; 10) = 29.588, chi2(0.999; 17) = 40.790,
     * chi2(0.95; 1) = 3.841459. */
    assert_float_equal(normal_quantile(0.975), 1.959964, 1e-6);
    assert_float_equal(normal_quantile(0.9995), 3.290527, 1e-6);
    assert_float_equal(chi2_quantile(0.999, 10), 29.588, 1e-3);
    assert_float_equal(chi2_quantile(0.999, 17), 40.790, 1e-3);
    assert_float_equal(chi2_quantile(0.95, 1), 3.841459, 1e-6);
}

/* ---- M/M/c/K ------------------------------------------------------------ */

/* c = 3 servers, K = 6 places (3 waiting), lambda = 2.7/min, 1/mu = 1 min
 * (rho = lambda / (c mu) = 0.9).  The birth-death chain gives p_n; then
 *   blocking_probability = p_K (PASTA),
 *   Lq = sum (n - c) p_n; admitted rate lambda (1 - p_K);
 *   wait_mean of admitted = Lq / (lambda (1 - p_K)) (Little),
 *   P(admitted waits) = sum_{c<=n<K} p_n / (1 - p_K),
 *   utilization = sum min(n, c) p_n / c, throughput = 60 lambda (1 - p_K)/h,
 *   time in system of admitted = Wq + 1/mu.
 * An admitted customer that waits waits at least an Exp(c mu) time, so
 * the share of waits below BF_HIST_MIN is at most
 * P(wait) (1 - e^{-c mu BF_HIST_MIN}).  20 x 40 000 min, ~1e5 arrivals
 * per replication. */
static void test_capacity_mmck_blocking(void **state)
{
    (void)state;
    const int c = 3, K = 6;
    const double lambda = 2.7, mu = 1.0;
    char text[1024];
    snprintf(text, sizeof text,
             "[simulation]\nhorizon = 40000min\nwarmup = 100min\nreplications = 20\n"
             "seed = 23871\nsample_every = 0s\n"
             "[class c]\narrivals = poisson(rate=%g/min)\nroute = q\n"
             "[station q]\nservers = %d\ncapacity = %d\nservice = exp(mean=%gmin)\n",
             lambda, c, K, 1.0 / mu);
    vrun r;
    vrun_text(&r, "mmck", text, 2);
    bd_chain b;
    mmck_chain(&b, c, K, lambda, mu);
    warmup_ok(&r, &b);

    double pk = b.p[K], lq = 0, busy = 0, pw = 0;
    for (int n = 0; n <= K; n++) {
        lq += (n > c ? n - c : 0) * b.p[n];
        busy += (n < c ? n : c) * b.p[n];
        pw += n >= c && n < K ? b.p[n] : 0.0;
    }
    double adm = lambda * (1.0 - pk);
    double wq = lq / adm * MIN;
    pw /= 1.0 - pk;
    double tiny = pw * (1.0 - exp(-c * mu / MIN * BF_HIST_MIN));
    check_key(&r, "station", "q", "", "blocking_probability", pk, 0.0);
    check_key(&r, "station", "q", "", "wait_mean", wq, 0.0);
    check_key(&r, "station", "q", "", "queue_mean", lq, 0.0);
    check_key(&r, "station", "q", "", "wait_probability", pw, tiny);
    check_key(&r, "station", "q", "", "utilization", busy / c, 0.0);
    check_key(&r, "station", "q", "", "throughput", adm * 60.0, 0.0);
    check_key(&r, "system", "", "", "time_in_system_mean", wq + MIN / mu, 0.0);
    /* Never more than K - c waiting, in any replication. */
    long kq = key_of(&r, "station", "q", "", "queue_max");
    for (int i = 0; i < r.res->n_reps; i++)
        assert_true(r.res->values[(size_t)i * r.res->n_keys + (size_t)kq] <= K - c);
    bd_free(&b);
    vrun_finish(&r);
}

/* ---- Erlang B ----------------------------------------------------------- */

/* c = 5 servers and no waiting room (capacity = servers), a = 4 erlangs:
 * B(5, 4) = 0.19907; utilization = a (1 - B) / c; nobody ever waits.
 * Two service distributions with mean 1 min: exponential (M/M/5/5) and
 * lognormal with sd 2 min (M/G/5/5): Erlang's formula is insensitive to
 * the service distribution beyond its mean (Sevastyanov), so both must
 * give B(5, 4).
 *
 * Warm-up.  M/M/5/5: 20 tau from the birth-death gap.  M/G/5/5: a run
 * started empty and one started in equilibrium, fed the same arrivals
 * and service times, coincide from the first time the stationary one is
 * empty (the empty-start one is dominated, so it is empty too).  P(empty)
 * = 1 / sum_{k<=5} a^k/k! = 0.023 and busy periods are short, but a
 * lognormal service can be long: P(S > 500 min) = P(Z > (ln 500 + 0.80)
 * / 1.27) < 1e-6, so with a 1 000 min warm-up the chance that the two
 * have not coupled is negligible (< 1e-6 per replication): bias taken as
 * 0.  20 x 30 000 min, 1.2e5 arrivals per replication. */
static void erlang_b_case(const char *name, const char *service, unsigned long long seed)
{
    const int c = 5;
    const double lambda = 4.0, mu = 1.0, a = lambda / mu;
    char text[1024];
    snprintf(text, sizeof text,
             "[simulation]\nhorizon = 30000min\nwarmup = 1000min\nreplications = 20\n"
             "seed = %llu\nsample_every = 0s\n"
             "[class c]\narrivals = poisson(rate=%g/min)\nroute = q\n"
             "[station q]\nservers = %d\ncapacity = %d\nservice = %s\n",
             seed, lambda, c, c, service);
    vrun r;
    vrun_text(&r, name, text, 2);
    bd_chain b;
    mmck_chain(&b, c, c, lambda, mu);
    warmup_ok(&r, &b); /* the exponential case; see above for the other */
    bd_free(&b);

    double B = erlang_b(c, a);
    check_key(&r, "station", "q", "", "blocking_probability", B, 0.0);
    check_key(&r, "station", "q", "", "utilization", a * (1.0 - B) / c, 0.0);
    check_key(&r, "station", "q", "", "throughput", lambda * (1.0 - B) * 60.0, 0.0);
    long kq = key_of(&r, "station", "q", "", "queue_max");
    long kw = key_of(&r, "station", "q", "", "wait_max");
    for (int i = 0; i < r.res->n_reps; i++) {
        assert_true(r.res->values[(size_t)i * r.res->n_keys + (size_t)kq] == 0.0);
        assert_true(r.res->values[(size_t)i * r.res->n_keys + (size_t)kw] == 0.0);
    }
    vrun_finish(&r);
}

static void test_capacity_erlang_b(void **state)
{
    (void)state;
    erlang_b_case("erlang-b", "exp(mean=1min)", 23872);
}

static void test_capacity_erlang_b_insensitive(void **state)
{
    (void)state;
    erlang_b_case("erlang-b-lognormal", "lognormal(mean=1min, sd=2min)", 23873);
}

/* ---- M/M/1+M ------------------------------------------------------------ */

/* One server, lambda = 1.2/min, 1/mu = 1 min (overloaded without
 * abandonment: rho = 1.2), exponential patience with mean 2 min (theta =
 * 0.5/min).  Birth-death chain with death rate mu + (n - 1) theta:
 *   P(abandon) = theta E[Nq] / lambda   (each waiting customer leaves at
 *                rate theta; PASTA),
 *   queue_mean = E[Nq], utilization = 1 - p0,
 *   throughput (services started) = 60 mu (1 - p0) / h
 *                                 = 60 lambda (1 - P(abandon)) / h.
 * 20 x 50 000 min, 6e4 arrivals per replication. */
static void test_capacity_mm1_abandonment(void **state)
{
    (void)state;
    const double lambda = 1.2, mu = 1.0, theta = 0.5;
    char text[1024];
    snprintf(text, sizeof text,
             "[simulation]\nhorizon = 50000min\nwarmup = 200min\nreplications = 20\n"
             "seed = 23874\nsample_every = 0s\n"
             "[class c]\narrivals = poisson(rate=%g/min)\nroute = q\n"
             "[station q]\nservers = 1\npatience = exp(mean=%gmin)\n"
             "service = exp(mean=%gmin)\n",
             lambda, 1.0 / theta, 1.0 / mu);
    vrun r;
    vrun_text(&r, "mm1+m", text, 2);
    bd_chain b;
    mm1m_chain(&b, lambda, mu, theta);
    warmup_ok(&r, &b);
    double nq = 0;
    for (int n = 1; n <= b.N; n++)
        nq += (n - 1) * b.p[n];
    double pab = theta * nq / lambda;
    print_message("  chain truncated at N = %d; P(abandon) = %.6f, E[Nq] = %.6f, p0 = %.6f\n",
                  b.N, pab, nq, b.p[0]);
    check_key(&r, "station", "q", "", "abandonment_probability", pab, 0.0);
    check_key(&r, "station", "q", "", "queue_mean", nq, 0.0);
    check_key(&r, "station", "q", "", "utilization", 1.0 - b.p[0], 0.0);
    check_key(&r, "station", "q", "", "throughput", 60.0 * mu * (1.0 - b.p[0]), 0.0);
    bd_free(&b);
    vrun_finish(&r);
}

/* ---- capacity and patience together ------------------------------------ */

/* M/M/2/5+M: 2 servers, at most 5 present, lambda = 2.5/min, 1/mu = 1 min,
 * exponential patience with mean 2.5 min (theta = 0.4/min).  Births
 * lambda below K = 5, deaths min(n, 2) mu + (n - 2)+ theta.  Both losses
 * are shares of all arrivals at the station (blocked ones included):
 *   blocking_probability = p_K (PASTA),
 *   abandonment_probability = theta E[Nq] / lambda,
 * and the admitted, patient ones are served:
 *   throughput = 60 (lambda (1 - p_K) - theta E[Nq]) / h
 *              = 60 mu E[min(N, 2)] / h  (checked against each other in
 *   the test, as a consistency check of the chain).
 * 20 x 40 000 min, 1e5 arrivals per replication. */
static void test_capacity_mmck_with_patience(void **state)
{
    (void)state;
    const int c = 2, K = 5;
    const double lambda = 2.5, mu = 1.0, theta = 0.4;
    char text[1024];
    snprintf(text, sizeof text,
             "[simulation]\nhorizon = 40000min\nwarmup = 100min\nreplications = 20\n"
             "seed = 23875\nsample_every = 0s\n"
             "[class c]\narrivals = poisson(rate=%g/min)\nroute = q\n"
             "[station q]\nservers = %d\ncapacity = %d\npatience = exp(mean=%gmin)\n"
             "service = exp(mean=%gmin)\n",
             lambda, c, K, 1.0 / theta, 1.0 / mu);
    vrun r;
    vrun_text(&r, "mmck+m", text, 2);
    bd_chain b;
    bd_alloc(&b, K);
    for (int n = 0; n <= K; n++) {
        b.lam[n] = n < K ? lambda : 0.0;
        b.mu[n] = (n < c ? n : c) * mu + (n > c ? n - c : 0) * theta;
    }
    bd_solve(&b);
    warmup_ok(&r, &b);
    double nq = 0, busy = 0;
    for (int n = 0; n <= K; n++) {
        nq += (n > c ? n - c : 0) * b.p[n];
        busy += (n < c ? n : c) * b.p[n];
    }
    double pk = b.p[K], pab = theta * nq / lambda;
    assert_float_equal(lambda * (1.0 - pk) - theta * nq, mu * busy, 1e-12);
    check_key(&r, "station", "q", "", "blocking_probability", pk, 0.0);
    check_key(&r, "station", "q", "", "abandonment_probability", pab, 0.0);
    check_key(&r, "station", "q", "", "queue_mean", nq, 0.0);
    check_key(&r, "station", "q", "", "utilization", busy / c, 0.0);
    check_key(&r, "station", "q", "", "throughput", 60.0 * mu * busy, 0.0);
    bd_free(&b);
    vrun_finish(&r);
}

/* ---- non-homogeneous Poisson arrivals ----------------------------------- */

/* Base rate 40/h scaled by an hourly profile with seven zero hours
 * (00-04, 20, 21), a one-hour spike (8x at 12:00-13:00 between hours of
 * 1x), and a non-zero hour 23 next to the zero hour 00 (the day wraps).
 * The run starts at 05:30 on a Thursday and lasts 30 days, so each hour
 * of the day is covered for exactly 30 h (hour 05 in two halves).
 *
 * arrivals_hHH of a replication is N_h / 30 with N_h the arrivals in hour
 * HH over the 30 days.  Under the model N_h is Poisson(30 x 40 m_h)
 * (independent increments of a Poisson process), so over R = 10
 * replications S_h = 30 sum_r arrivals_hHH is Poisson with mean
 * E_h = 300 x 40 m_h (>= 1200 for every non-zero hour: the normal
 * approximation is good to skewness 1/sqrt(E_h) < 0.03):
 *   - each non-zero hour: |S_h - E_h| <= z sqrt(E_h), z = 3.2905 (99.9%
 *     two-sided, the per-check level of the suite);
 *   - jointly: X^2 = sum (S_h - E_h)^2 / E_h over the 17 non-zero hours
 *     is chi-square with 17 degrees of freedom (E_h fully specified, no
 *     parameter estimated): X^2 <= chi2(0.999; 17) = 40.79;
 *   - a zero hour: exactly 0 arrivals in every replication;
 *   - the total per replication: Poisson(30 d x 40/h x sum m_h).
 * No warm-up is needed: arrivals do not depend on the state. */
static void test_capacity_nhpp_hourly_counts(void **state)
{
    (void)state;
    static const double m[24] = {0,    0, 0, 0, 0,    0.25, 1,    2.5, 3, 2,   1.5, 1,
                                 8,    1, 1.25, 1.5, 2, 2.75, 1.75, 1, 0, 0, 0.5, 0.1};
    const double rate = 40.0, days = 30.0;
    const int reps = 10;
    char prof[512] = "";
    for (int h = 0; h < 24; h++) {
        char x[16];
        snprintf(x, sizeof x, "%s%g", h ? " " : "", m[h]);
        strcat(prof, x);
    }
    char text[2048];
    snprintf(text, sizeof text,
             "[simulation]\nhorizon = %gd\nreplications = %d\nseed = 23876\nsample_every = 0s\n"
             "start = 05:30\nstart_day = thursday\n"
             "[profile spiky]\nhourly = %s\n"
             "[class c]\narrivals = poisson(rate=%g/h)\nprofile = spiky\nroute = zone\n"
             "[delay zone]\ntime = const(1s)\n",
             days, reps, prof, rate);
    vrun r;
    vrun_text(&r, "nhpp", text, 2);
    const bf_run_result *res = r.res;
    const double z = normal_quantile(0.9995);
    double x2 = 0, sum_m = 0;
    int df = 0;
    for (int h = 0; h < 24; h++) {
        char name[32];
        snprintf(name, sizeof name, "arrivals_h%02d", h);
        long k = key_of(&r, "class", "c", "c", name);
        double s = 0;
        for (int i = 0; i < res->n_reps; i++) {
            double v = res->values[(size_t)i * res->n_keys + (size_t)k];
            if (m[h] == 0 && v != 0.0)
                fail_msg("hour %02d has multiplier 0 but %g arrivals/h in replication %d", h,
                         v, i);
            s += v * days;
        }
        if (fabs(s - round(s)) > 1e-6)
            fail_msg("hour %02d: %.9g arrivals is not a whole number", h, s);
        s = round(s);
        sum_m += m[h];
        if (m[h] == 0) {
            print_message("  ok   hour %02d multiplier 0: %g arrivals\n", h, s);
            continue;
        }
        double e = reps * days * rate * m[h], tol = z * sqrt(e);
        bool ok = fabs(s - e) <= tol;
        print_message("  %-4s hour %02d multiplier %-5g count %-7.0f expected %-7.0f "
                      "diff %+6.0f (%+.2f sd) tol %.0f\n",
                      ok ? "ok" : "FAIL", h, m[h], s, e, s - e, (s - e) / sqrt(e), tol);
        if (!ok)
            r.n_failed++;
        x2 += (s - e) * (s - e) / e;
        df++;
    }
    double crit = chi2_quantile(0.999, df);
    bool ok = x2 <= crit;
    print_message("  %-4s chi-square %.2f with %d df, critical value (99.9%%) %.2f\n",
                  ok ? "ok" : "FAIL", x2, df, crit);
    if (!ok)
        r.n_failed++;
    /* The total: each replication Poisson(days x 24 h x rate x mean m);
     * the mean of R has SD sqrt(E / R). */
    double e_tot = days * rate * sum_m;
    const bf_ci *ci = &res->ci[key_of(&r, "class", "c", "c", "arrivals")];
    double tol = z * sqrt(e_tot / reps);
    ok = fabs(ci->mean - e_tot) <= tol;
    print_message("  %-4s arrivals per replication %.1f expected %.1f tol %.1f\n",
                  ok ? "ok" : "FAIL", ci->mean, e_tot, tol);
    if (!ok)
        r.n_failed++;
    vrun_finish(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capacity_formulas),
        cmocka_unit_test(test_capacity_mmck_blocking),
        cmocka_unit_test(test_capacity_erlang_b),
        cmocka_unit_test(test_capacity_erlang_b_insensitive),
        cmocka_unit_test(test_capacity_mm1_abandonment),
        cmocka_unit_test(test_capacity_mmck_with_patience),
        cmocka_unit_test(test_capacity_nhpp_hourly_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
