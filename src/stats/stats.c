/*
 * stats.c - the fixed-size accumulators of stats.h and Student's t.
 *
 * Nothing here allocates: every accumulator lives in storage the caller
 * owns, and bf_ci95 only reads the caller's array.  All functions are
 * reentrant and use no global state (in particular not lgamma, which
 * writes the global signgam; Gamma values come from tgamma and Stirling's
 * series instead), so the runner may call them from worker threads.
 *
 * Invariants (asserted where checking is cheap):
 *   timeavg  t0 <= last_t <= any t passed to bf_timeavg_mean;
 *   hist     n == n_under + sum(count), and max == 0 when n == 0
 *            (checked on both sides of every merge).
 *
 * Student's t quantile.  F(t) is written with the regularized incomplete
 * beta function I_x(a, b), evaluated by its continued fraction (modified
 * Lentz), and inverted by Newton's method on log scales with a bisection
 * safeguard; see bf_student_t_quantile.
 */
#include "borderflow/stats.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>

/* math.h defines M_PI and M_LN2 only as XSI extensions, so spell them
 * out here. */
#define PI 3.14159265358979323846264338327950288
#define LN2 0.693147180559945309417232121458176568

/* ---- time average --------------------------------------------------- */

void bf_timeavg_start(bf_timeavg *a, bf_time t, double v)
{
    assert(a);
    a->t0 = t;
    a->last_t = t;
    a->value = v;
    a->area = 0.0;
    a->max = v;
}

double bf_timeavg_mean(const bf_timeavg *a, bf_time t)
{
    assert(a && a->t0 <= a->last_t && t >= a->last_t);
    if (!(t > a->t0))
        return a->value;
    /* The current value has held since last_t; add that last piece
     * without changing the accumulator, so the call is read-only. */
    return (a->area + a->value * (t - a->last_t)) / (t - a->t0);
}

/* ---- histogram ------------------------------------------------------ */

#ifndef NDEBUG
static bool hist_is_consistent(const bf_hist *h)
{
    uint64_t sum = h->n_under;
    for (int i = 0; i < BF_HIST_N_BUCKETS; i++)
        sum += h->count[i];
    return sum == h->n && (h->n != 0 || h->max == 0.0);
}
#endif

void bf_hist_init(bf_hist *h)
{
    assert(h);
    memset(h, 0, sizeof *h);
    h->max = 0.0; /* all-bits-zero is +0.0 in IEEE 754; said for clarity */
}

void bf_hist_merge(bf_hist *dst, const bf_hist *src)
{
    assert(dst && src);
    assert(hist_is_consistent(dst) && hist_is_consistent(src));
    dst->n += src->n;
    dst->n_under += src->n_under;
    dst->sum += src->sum;
    if (src->max > dst->max)
        dst->max = src->max;
    for (int i = 0; i < BF_HIST_N_BUCKETS; i++)
        dst->count[i] += src->count[i];
}

double bf_hist_mean(const bf_hist *h)
{
    assert(h);
    return h->n ? h->sum / (double)h->n : 0.0;
}

/* Bucket i covers [2^e (1 + k/64), 2^e (1 + (k+1)/64)) with e and k read
 * off the index as bf_hist_bucket packs them.  Both edges have at most
 * seven significant bits, so ldexp makes them exactly, and the upper edge
 * of bucket i is bit-for-bit the lower edge of bucket i + 1. */
double bf_hist_bucket_lo(int i)
{
    assert(i >= 0 && i < BF_HIST_N_BUCKETS);
    int e = (i >> BF_HIST_SUB_BITS) + BF_HIST_MIN_EXP;
    int k = i & ((1 << BF_HIST_SUB_BITS) - 1);
    return ldexp(1.0 + (double)k / (1 << BF_HIST_SUB_BITS), e);
}

double bf_hist_bucket_hi(int i)
{
    assert(i >= 0 && i < BF_HIST_N_BUCKETS);
    int e = (i >> BF_HIST_SUB_BITS) + BF_HIST_MIN_EXP;
    int k = i & ((1 << BF_HIST_SUB_BITS) - 1);
    return ldexp(1.0 + (double)(k + 1) / (1 << BF_HIST_SUB_BITS), e);
}

/* The rank ceil(q n) of the q-quantile, clamped to [1, n].  q n is formed
 * in double, and a decimal q is not exact in binary: 0.07 * 100 evaluates
 * to 7.000000000000001, whose ceiling would be 8.  A product within four
 * ulps above an integer is therefore taken as that integer.  This moves
 * the rank only when the exact q n exceeds an integer by less than about
 * 1e-15 relative, which no quantile level written with a few decimals
 * does. */
static uint64_t quantile_rank(double q, uint64_t n)
{
    double qn = q * (double)n;
    double r = ceil(qn - 4.0 * DBL_EPSILON * qn);
    if (!(r >= 1.0))
        return 1;
    if (r >= (double)n)
        return n;
    return (uint64_t)r;
}

double bf_hist_quantile(const bf_hist *h, double q)
{
    assert(h && q >= 0.0 && q <= 1.0);
    if (h->n == 0)
        return 0.0;
    uint64_t r = quantile_rank(q, h->n);
    if (r <= h->n_under)
        return 0.0;
    uint64_t cum = h->n_under;
    for (int i = 0; i < BF_HIST_N_BUCKETS; i++) {
        cum += h->count[i];
        if (cum >= r) {
            /* The midpoint is within 1/128 of every value in the bucket.
             * If the maximum lies below it, the maximum is closer still,
             * and it is the right answer when every value in the bucket is
             * the same (a fixed service time, say). */
            double mid = 0.5 * (bf_hist_bucket_lo(i) + bf_hist_bucket_hi(i));
            return mid < h->max ? mid : h->max;
        }
    }
    assert(!"bf_hist counts do not add up to n");
    return h->max;
}

/* Share of observations <= x.  The exact rule, in order:
 *
 *   1. An empty histogram gives 0.
 *   2. x >= max gives 1: every observation is <= max.  This is exact, and
 *      it keeps share_le(quantile(q)) >= q when the quantile was capped at
 *      max (a bucket whose values all equal its lower edge).
 *   3. x < 0 gives 0 (the histogram holds durations, values >= 0).
 *   4. Otherwise: the underflow bucket counts, all buckets whose upper edge
 *      is <= x count, and the bucket holding x counts if x >= its
 *      midpoint.  Underflow observations lie in [0, BF_HIST_MIN) and are
 *      reported as 0 by bf_hist_quantile; counting them for every x >= 0
 *      is consistent with that (share_le(0) is the share reported as 0),
 *      and it is exact for x >= BF_HIST_MIN.  For 0 <= x < BF_HIST_MIN it
 *      may count observations in (x, BF_HIST_MIN).
 *
 * The error is therefore at most the count of the one bucket holding x
 * (the underflow bucket when x < BF_HIST_MIN), divided by n.  When x is
 * exactly a bucket's lower edge the answer is exact except for
 * observations equal to x itself, which sit in the bucket above the edge
 * and are not counted (unless rule 2 applies).  Values clamped into the
 * top bucket are counted as in that bucket. */
double bf_hist_share_le(const bf_hist *h, double x)
{
    assert(h);
    if (isnan(x))
        return NAN;
    if (h->n == 0)
        return 0.0;
    if (x >= h->max)
        return 1.0;
    if (x < 0.0)
        return 0.0;
    uint64_t le = h->n_under;
    if (x >= BF_HIST_MIN) {
        int b = bf_hist_bucket(x);
        for (int i = 0; i < b; i++)
            le += h->count[i];
        if (x >= 0.5 * (bf_hist_bucket_lo(b) + bf_hist_bucket_hi(b)))
            le += h->count[b];
    }
    return (double)le / (double)h->n;
}

/* ---- Student's t ---------------------------------------------------- */

/* Stirling's remainder delta(x) = ln Gamma(x) - ((x - 1/2) ln x - x +
 * ln(2 pi) / 2) for x >= 10, from the asymptotic series with Bernoulli
 * coefficients B_2k / (2k (2k - 1)); the first omitted term is below
 * 3e-17 at x = 10. */
static double stirling_delta(double x)
{
    assert(x >= 10.0);
    double r = 1.0 / x, r2 = r * r;
    return r * (1.0 / 12 +
                r2 * (-1.0 / 360 +
                      r2 * (1.0 / 1260 +
                            r2 * (-1.0 / 1680 +
                                  r2 * (1.0 / 1188 +
                                        r2 * (-691.0 / 360360 +
                                              r2 * (1.0 / 156)))))));
}

/* ln Gamma(a) - ln Gamma(a + b) for a >= 10, b > 0, without forming the
 * two large logarithms (each about a ln a) whose difference would lose
 * about log10(a ln a) digits:
 *   -(a - 1/2) log1p(b/a) - b ln(a + b) + b + delta(a) - delta(a + b). */
static double lgamma_ratio(double a, double b)
{
    assert(a >= 10.0 && b > 0.0);
    return -(a - 0.5) * log1p(b / a) - b * log(a + b) + b +
           (stirling_delta(a) - stirling_delta(a + b));
}

/* ln B(a, b) = ln Gamma(a) + ln Gamma(b) - ln Gamma(a + b) for a, b > 0
 * with min(a, b) < 10, which is all Student's t needs (one of them is
 * 1/2).  Below 10 tgamma is accurate to an ulp or two and cannot
 * overflow. */
static double lbeta(double a, double b)
{
    double lo = a < b ? a : b, hi = a < b ? b : a;
    assert(lo > 0.0 && lo < 10.0);
    if (hi < 10.0)
        return log(tgamma(lo)) + log(tgamma(hi)) - log(tgamma(lo + hi));
    return log(tgamma(lo)) + lgamma_ratio(hi, lo);
}

/* The continued fraction of I_x(a, b) (Abramowitz and Stegun 26.5.8,
 * DLMF 8.17.22) without its prefactor, by the modified Lentz method.  It
 * converges quickly for x < (a + 1) / (a + b + 2); the number of terms
 * grows like sqrt(max(a, b)) near that point. */
static double betacf(double a, double b, double x)
{
    const double tiny = 1e-300;
    const int max_terms = 100000;
    double c = 1.0;
    double d = 1.0 - (a + b) * x / (a + 1.0);
    if (fabs(d) < tiny)
        d = tiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= max_terms; m++) {
        double m2 = 2.0 * m;
        /* Even step. */
        double num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + num * d;
        if (fabs(d) < tiny)
            d = tiny;
        c = 1.0 + num / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1.0 / d;
        h *= d * c;
        /* Odd step. */
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + num * d;
        if (fabs(d) < tiny)
            d = tiny;
        c = 1.0 + num / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) <= DBL_EPSILON)
            break;
    }
    return h;
}

/* Both tails of Student's t with df degrees of freedom at t > 0, as logs,
 * and ln(t f(t)) with f the density, for the Newton slope
 * d ln P / d ln t = +-t f(t) / P.  The argument is w = ln(t^2 / df), so nothing
 * overflows however far out t is.  With x = df / (df + t^2) and
 * y = t^2 / (df + t^2) = 1 - x:
 *   P(T > t)     = I_x(df/2, 1/2) / 2        (the tail)
 *   P(0 < T < t) = I_y(1/2, df/2) / 2        (the centre).
 * The continued fraction yields whichever of the two is below the
 * switch point accurately in relative terms; the other is 1 minus it, and
 * is not small there, so it is accurate too. */
typedef struct t_tails {
    double ln_tail;   /* ln P(T > t) */
    double ln_centre; /* ln P(0 < T < t) */
    double ln_tdens;  /* ln (t f(t)) */
} t_tails;

static t_tails t_eval(double w, double df, double ln_beta)
{
    /* L = ln(1 + t^2/df) = ln(1 + e^w); for w > 36, e^-w is below half an
     * ulp of w. */
    double L = w > 36.0 ? w + exp(-w) : log1p(exp(w));
    double ln_x = -L, ln_y = w - L;
    double x = exp(ln_x), y = exp(ln_y);
    double a = 0.5 * df, b = 0.5;
    double ln_front = a * ln_x + b * ln_y - ln_beta;
    double ln_i, ln_ic; /* ln I_x(a, b) and ln (1 - I_x(a, b)) */
    if (x < (a + 1.0) / (a + b + 2.0)) {
        ln_i = ln_front + log(betacf(a, b, x) / a);
        ln_ic = log1p(-exp(ln_i));
    } else {
        ln_ic = ln_front + log(betacf(b, a, y) / b);
        ln_i = log1p(-exp(ln_ic));
    }
    t_tails r;
    r.ln_tail = ln_i - LN2;
    r.ln_centre = ln_ic - LN2;
    r.ln_tdens = 0.5 * w - 0.5 * (df + 1.0) * L - ln_beta;
    return r;
}

/* A rough upper-tail normal quantile for a starting point only:
 * Abramowitz and Stegun 26.2.23, |error| < 4.5e-4, 0 < alpha <= 0.5. */
static double normal_upper_rough(double alpha)
{
    double w = sqrt(-2.0 * log(alpha));
    return w - (2.515517 + w * (0.802853 + w * 0.010328)) /
                   (1.0 + w * (1.432788 + w * (0.189269 + w * 0.001308)));
}

/* The standard normal z > 0 with P(Z > z) = target (tail, target < 1/4)
 * or P(0 < Z < z) = target (centre, target <= 1/4), by Newton's method on
 * g = the log-probability, signed to rise with z.  In the tail g is
 * convex, so after at most one step Newton approaches from above; in the
 * centre it is concave and the start z = target sqrt(2 pi) lies below the
 * root (P(0 < Z < z) <= phi(0) z), so Newton climbs to it monotonically.
 * erf and erfc are accurate to about an ulp, so z is accurate to a few
 * ulps (for target >= DBL_MIN; subnormal targets lose digits). */
static double normal_quantile_pos(double target, bool tail)
{
    const double sqrt_half = 0.70710678118654752440084436210484903;
    const double sqrt_2pi = 2.50662827463100050241576528481104525;
    double ln_target = log(target);
    double z = tail ? normal_upper_rough(target) : target * sqrt_2pi;
    for (int iter = 0; iter < 50; iter++) {
        double dens = exp(-0.5 * z * z) / sqrt_2pi;
        double g, dg; /* g' = phi(z) / P */
        if (tail) {
            double pr = 0.5 * erfc(z * sqrt_half);
            g = ln_target - log(pr);
            dg = dens / pr;
        } else {
            double pr = 0.5 * erf(z * sqrt_half);
            g = log(pr) - ln_target;
            dg = dens / pr;
        }
        double step = g / dg;
        z -= step;
        if (fabs(step) < 1e-9 * z)
            break;
    }
    return z;
}

/* Cornish-Fisher expansion of t in powers of 1/df around the normal
 * quantile z (Abramowitz and Stegun 26.7.5), four terms.  Each term is
 * about z^2 / df times the previous one; for df > 1e5 the first omitted
 * term is below 4e-14 relative even at p = 1e-300 (checked against
 * 50-digit values), and far smaller for ordinary p. */
static double cornish_fisher(double z, double df)
{
    double z2 = z * z;
    double g1 = (z2 + 1.0) / 4.0;
    double g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) / 96.0;
    double g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) / 384.0;
    double g4 =
        ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) /
        92160.0;
    double r = 1.0 / df;
    return z * (1.0 + r * (g1 + r * (g2 + r * (g3 + r * g4))));
}

/*
 * How the quantile is found.  By symmetry only t > 0 is solved for, in
 * one of two forms chosen so that the target probability is exact and
 * not close to 1:
 *   tail mode    (alpha = min(p, 1-p) < 1/4):   ln P(T > t) = ln alpha;
 *   centre mode  (c = |p - 1/2| <= 1/4):        ln P(0 < T < t) = ln c.
 * 1 - p and p - 1/2 are exact in double where they are used (Sterbenz),
 * so p near 1 and p near 1/2 keep their full relative accuracy.
 *
 * The unknown is u = ln t, and the equation is in log-probabilities: far
 * in the tail P(T > t) ~ C t^-df, which is a straight line in these
 * coordinates, so Newton converges in a few steps from anywhere; near 0,
 * P(0 < T < t) ~ f(0) t is a straight line too.  Each Newton step is
 * checked against a bracket of the root built from the signs seen so far;
 * a step outside it (or a non-finite one) is replaced by bisection, or by
 * a step of e^8 in t while the bracket is still open on that side.  It
 * takes 1-7 steps over df in [0.05, 1e5] and p in [1e-300, 1 - 1e-12],
 * each one continued fraction of at most about 150 terms.
 *
 * Accuracy.  Checked against 40-digit values on that grid: relative error
 * below 1e-13 for df <= 1e4 and below 4e-13 at df = 1e5.  It grows with df
 * because for large df the continued fraction runs at x = df / (df + t^2)
 * close to 1, where each odd step cancels to about t^2 / df and so
 * magnifies the rounding of x (1e-11 at df = 1e6).  Hence for df > 1e5
 * the Cornish-Fisher expansion takes over, which is better there the
 * larger df is.
 *
 * Closed forms are used for df = 1 (Cauchy) and df = 2.  A t too large
 * for a double (tiny p with df < 1) comes out as +-INFINITY.
 */
double bf_student_t_quantile(double p, double df)
{
    if (isnan(p) || isnan(df) || !(df > 0.0) || p < 0.0 || p > 1.0)
        return NAN;
    if (p == 0.5)
        return 0.0;
    if (p == 0.0)
        return -INFINITY;
    if (p == 1.0)
        return INFINITY;
    double sign = p < 0.5 ? -1.0 : 1.0;
    double alpha = p < 0.5 ? p : 1.0 - p; /* exact for p >= 1/2 */
    bool tail = alpha < 0.25;
    double c = fabs(p - 0.5); /* exact in centre mode, p in [1/4, 3/4] */

    if (df == 1.0)
        return sign * (tail ? 1.0 / tan(PI * alpha) : tan(PI * c));
    if (df == 2.0) {
        /* F(t) = 1/2 + t / (2 sqrt(2 + t^2)), solved for t. */
        double d = tail ? 1.0 - 2.0 * alpha : 2.0 * c;
        double pq = tail ? alpha * (1.0 - alpha) : (0.5 - c) * (0.5 + c);
        return sign * d / sqrt(2.0 * pq);
    }

    if (df > 1e5) {
        double z = normal_quantile_pos(tail ? alpha : c, tail);
        return sign * cornish_fisher(z, df);
    }

    double ln_df = log(df);
    double ln_beta = lbeta(0.5 * df, 0.5);
    double ln_target = log(tail ? alpha : c);

    /* Starting point.  Centre: t f(0) = c, an underestimate since the
     * centre probability is concave in t.  Tail: the power-law asymptote
     * P(T > t) ~ s^-df / (df B) with s = t / sqrt(df) where it is far out
     * (small df or tiny alpha), else the Cornish-Fisher expansion
     * (Abramowitz and Stegun 26.7.5, two terms) around the normal
     * quantile, which is good for large df. */
    double u;
    if (!tail) {
        u = ln_target + 0.5 * ln_df + ln_beta;
    } else {
        double ln_s = -(ln_df + ln_beta + ln_target) / df;
        if (ln_s > 0.7) {
            u = ln_s + 0.5 * ln_df;
        } else {
            double z = normal_upper_rough(alpha), z2 = z * z;
            double t0 = z * (1.0 + (z2 + 1.0) / (4.0 * df) +
                             ((5.0 * z2 + 16.0) * z2 + 3.0) / (96.0 * df * df));
            u = log(t0);
        }
    }

    double lo = -INFINITY, hi = INFINITY; /* bracket of the root in u */
    for (int iter = 0; iter < 200; iter++) {
        t_tails r = t_eval(2.0 * u - ln_df, df, ln_beta);
        /* g rises with u in both modes; g' = t f(t) / P. */
        double g, dg;
        if (tail) {
            g = ln_target - r.ln_tail;
            dg = exp(r.ln_tdens - r.ln_tail);
        } else {
            g = r.ln_centre - ln_target;
            dg = exp(r.ln_tdens - r.ln_centre);
        }
        assert(!isnan(g));
        if (g == 0.0)
            break;
        if (g < 0.0)
            lo = u;
        else
            hi = u;
        /* Near the root Newton converges quadratically: once a step is
         * below 1e-9 the error left after taking it is of order 1e-18, so
         * take it and stop.  This test comes before the bracket test
         * because a last step of a few ulps may land on the bracket's
         * edge. */
        double scale = fabs(u) > 1.0 ? fabs(u) : 1.0;
        double step = g / dg;
        if (fabs(step) < 1e-9 * scale) {
            u -= step;
            break;
        }
        double next = u - step;
        if (!(next > lo && next < hi)) {
            if (isfinite(lo) && isfinite(hi))
                next = 0.5 * (lo + hi);
            else
                next = isfinite(lo) ? lo + 8.0 : hi - 8.0;
        }
        u = next;
        /* If steps stall at the rounding level, the bracket ends it. */
        if (hi - lo < 4.0 * DBL_EPSILON * scale)
            break;
    }
    return sign * exp(u);
}

/* ---- confidence intervals across replications ----------------------- */

bf_ci bf_ci95(const double *x, size_t n)
{
    bf_ci ci = {.n = n, .mean = NAN, .sd = NAN, .half_width = NAN};
    if (n == 0)
        return ci;
    assert(x);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    ci.mean = sum / (double)n;
    if (n == 1) {
        ci.sd = 0.0;
        return ci;
    }
    /* Two passes, with the correction term of Chan, Golub and LeVeque
     * (1983): sum(d) is zero in exact arithmetic, and subtracting its
     * square over n removes most of the rounding error of the mean. */
    double ss = 0.0, sd = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - ci.mean;
        ss += d * d;
        sd += d;
    }
    double var = (ss - sd * sd / (double)n) / (double)(n - 1);
    ci.sd = var > 0.0 ? sqrt(var) : 0.0;
    ci.half_width = bf_student_t_quantile(0.975, (double)(n - 1)) * ci.sd /
                    sqrt((double)n);
    return ci;
}
