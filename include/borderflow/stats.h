/*
 * stats.h - statistics accumulators, all of fixed size:
 *
 *   bf_timeavg  time-weighted average and maximum of a piecewise-constant
 *               quantity (queue length, busy servers, number in zone);
 *   bf_hist     a log-bucketed histogram whose quantiles have a relative
 *               error of at most 1/128 (< 0.8%), mergeable by adding
 *               counts, so per-replication histograms pool exactly; it
 *               also keeps the count, sum and maximum, so one bf_hist is
 *               all an observed quantity needs (mean, quantiles, max);
 *   bf_ci       mean and Student-t confidence half-width across
 *               replications.
 *
 * None of them allocates or grows with the number of observations, so the
 * memory a run uses does not depend on its simulated horizon.
 *
 * Histogram buckets.  A value x >= BF_HIST_MIN is put in the bucket given
 * by its binary exponent and the top BF_HIST_SUB_BITS bits of its
 * mantissa, i.e. buckets [2^e (1 + k/64), 2^e (1 + (k+1)/64)).  A bucket's
 * width is at most 1/64 of its lower edge, so reporting its midpoint is
 * off by at most 1/128 relative to any value inside it.  Values below
 * BF_HIST_MIN (about 1 ms, when the values are seconds) are counted in an
 * underflow bucket reported as 0; values above BF_HIST_MAX are clamped to
 * the top bucket (max is kept exactly).
 */
#ifndef BORDERFLOW_STATS_H
#define BORDERFLOW_STATS_H

#include <string.h>

#include "borderflow/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- time average --------------------------------------------------- */

typedef struct bf_timeavg {
    bf_time t0;     /* start of the observation window */
    bf_time last_t; /* time of the last change */
    double value;   /* current value */
    double area;    /* integral of value over [t0, last_t] */
    double max;     /* largest value seen in the window */
} bf_timeavg;

/* Starts a window at time t with the current value v. */
void bf_timeavg_start(bf_timeavg *a, bf_time t, double v);

/* The value changes to v at time t (t >= last_t). */
static inline void bf_timeavg_set(bf_timeavg *a, bf_time t, double v)
{
    a->area += a->value * (t - a->last_t);
    a->last_t = t;
    a->value = v;
    if (v > a->max)
        a->max = v;
}

/* Time average over [t0, t] (t >= last_t); the current value if the
 * window is empty. */
double bf_timeavg_mean(const bf_timeavg *a, bf_time t);

/* ---- histogram ------------------------------------------------------ */

#define BF_HIST_SUB_BITS 6
#define BF_HIST_MIN_EXP (-10) /* BF_HIST_MIN = 2^-10 */
#define BF_HIST_MAX_EXP 27    /* BF_HIST_MAX = 2^28 (about 8.5 years in s) */
#define BF_HIST_N_BUCKETS \
    ((BF_HIST_MAX_EXP - BF_HIST_MIN_EXP + 1) << BF_HIST_SUB_BITS)
#define BF_HIST_MIN 0x1.0p-10
#define BF_HIST_MAX 0x1.0p+28

typedef struct bf_hist {
    uint64_t n;                         /* all observations */
    uint64_t n_under;                   /* observations < BF_HIST_MIN */
    double max;                         /* exact maximum (0 if empty) */
    double sum;                         /* of all observations, for the mean */
    uint64_t count[BF_HIST_N_BUCKETS];
} bf_hist;

void bf_hist_init(bf_hist *h);

/* Bucket index of x >= BF_HIST_MIN (clamped to the last bucket). */
static inline int bf_hist_bucket(double x)
{
    /* For x > 0 the biased exponent and the top mantissa bits are
     * adjacent in the IEEE 754 layout, so one shift gives
     * (exponent + 1023) 2^SUB_BITS + k; subtracting the first bucket's
     * value of that gives the index. */
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    uint64_t i = (bits >> (52 - BF_HIST_SUB_BITS)) -
                 ((uint64_t)(1023 + BF_HIST_MIN_EXP) << BF_HIST_SUB_BITS);
    return i < BF_HIST_N_BUCKETS ? (int)i : BF_HIST_N_BUCKETS - 1;
}

static inline void bf_hist_add(bf_hist *h, double x)
{
    h->n++;
    h->sum += x;
    if (x > h->max)
        h->max = x;
    if (!(x >= BF_HIST_MIN)) /* also catches NaN */
        h->n_under++;
    else
        h->count[bf_hist_bucket(x)]++;
}

/* dst += src. */
void bf_hist_merge(bf_hist *dst, const bf_hist *src);

/* Mean of the observations, sum / n (0 if empty).  A plain running sum
 * rather than Welford's update: it costs one add per observation instead
 * of a division.  Each add rounds by at most half an ulp of the running
 * sum, so for n non-negative observations the relative error is at most
 * n 2^-53 (1.1e-9 at 10^7 observations); in practice the roundings cancel
 * like a random walk, about sqrt(n) 2^-53 (3.5e-13).  Durations are never
 * negative, so there is no cancellation between terms. */
double bf_hist_mean(const bf_hist *h);

/* Lower and upper edge of bucket i. */
double bf_hist_bucket_lo(int i);
double bf_hist_bucket_hi(int i);

/* The q-quantile (0 <= q <= 1) as the midpoint of the bucket holding the
 * observation of rank ceil(q n) (q = 0: the first; q n within 4 ulps above
 * an integer counts as that integer, so 0.07 x 100 is rank 7); 0 if that
 * observation is in the underflow bucket; never more than max.  0 if
 * empty.  Observations are meant to be >= 0 (times, counts). */
double bf_hist_quantile(const bf_hist *h, double q);

/* Share of observations <= x: 0 if empty or x < 0; 1 if x >= max; else
 * the underflow bucket, every bucket wholly below x, and the bucket
 * holding x if x is at or above its midpoint.  The error is at most one
 * bucket's count / n. */
double bf_hist_share_le(const bf_hist *h, double x);

/* ---- confidence intervals across replications ----------------------- */

/* The p-quantile of Student's t distribution with df > 0 degrees of
 * freedom, accurate to about 1e-10. */
double bf_student_t_quantile(double p, double df);

typedef struct bf_ci {
    size_t n;          /* replications */
    double mean;
    double sd;         /* sample standard deviation across replications */
    double half_width; /* t(0.975, n-1) * sd / sqrt(n); NAN if n < 2 */
} bf_ci;

/* 95% confidence interval of the mean of x[0..n-1], summed in index
 * order (so the result does not depend on the order replications
 * finished in).  n == 0: everything NaN (x may be NULL). */
bf_ci bf_ci95(const double *x, size_t n);

#ifdef __cplusplus
}
#endif
#endif
