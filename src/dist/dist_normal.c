/*
 * dist_normal.c - the normal distribution truncated at 0, and the
 * standard normal generator the other families share.
 *
 * Text: normal(mean=40s, sd=10s).  Needs mean >= 0 and sd > 0.
 * p[0] = m (the mean of the untruncated law), p[1] = s (its sd).
 *
 * Truncation.  Durations cannot be negative, so a draw below 0 is
 * rejected and redrawn: the result has the law of X ~ N(m, s^2)
 * conditioned on X >= 0.  With m >= 0 at least half of the draws are
 * accepted, so the loop ends after two tries on average (that is why a
 * negative m is refused: with m = -10 s the acceptance rate would be
 * 1e-23).  Note that the truncated law does NOT have mean m: with
 * alpha = -m / s, Z = 1 - Phi(alpha) and lambda = phi(alpha) / Z,
 *     E[X]   = m + s lambda
 *     Var[X] = s^2 (1 + alpha lambda - lambda^2)
 * which is what mean() and variance() return.  For m >> s this is
 * N(m, s^2) to within rounding.
 *
 * The standard normal comes from Marsaglia's polar method: draw (x, y)
 * uniform in the square [-1, 1)^2 until it falls inside the unit disc
 * (probability pi/4), then x sqrt(-2 ln r2 / r2) is N(0, 1).  The method
 * yields a second, independent variate (with y); keeping it for the next
 * call would need state outside the rng, which would break "a stream's
 * output depends only on its seed and position", so it is dropped.
 */
#include "dist/dist_int.h"

#include <math.h>

#define SQRT_2PI 2.50662827463100050242
#define SQRT_2 1.41421356237309504880

double bf__dist_std_normal(bf_rng *r)
{
    double x, y, r2;
    do {
        x = 2.0 * bf_rng_uniform(r) - 1.0;
        y = 2.0 * bf_rng_uniform(r) - 1.0;
        r2 = x * x + y * y;
    } while (r2 >= 1.0 || r2 == 0.0);
    return x * sqrt(-2.0 * log(r2) / r2);
}

static double normal_sample(const bf_dist *d, bf_rng *r)
{
    double x;
    do
        x = d->p[0] + d->p[1] * bf__dist_std_normal(r);
    while (x < 0);
    return x + 0.0;
}

/* lambda = phi(alpha) / (1 - Phi(alpha)) for alpha = -m / s <= 0.  The
 * denominator is Phi(m / s) >= 1/2, computed with erfc so that it keeps
 * full relative precision. */
static double normal_lambda(double m, double s, double *alpha)
{
    double t = m / s;
    *alpha = -t;
    double phi = exp(-0.5 * t * t) / SQRT_2PI;
    double tail = 0.5 * erfc(-t / SQRT_2);
    return phi / tail;
}

static double normal_mean(const bf_dist *d)
{
    double alpha;
    double lambda = normal_lambda(d->p[0], d->p[1], &alpha);
    return d->p[0] + d->p[1] * lambda;
}

static double normal_variance(const bf_dist *d)
{
    double alpha;
    double lambda = normal_lambda(d->p[0], d->p[1], &alpha);
    /* When m / s is so large that phi underflows, nothing is truncated;
     * testing lambda == 0 also avoids -inf * 0 if m / s overflowed. */
    if (lambda == 0)
        return d->p[1] * d->p[1];
    return d->p[1] * d->p[1] * (1.0 + alpha * lambda - lambda * lambda);
}

static bf_status normal_init(bf_dist *d, const double *v, const bool *given,
                             char *why, size_t why_len)
{
    if (!(v[0] >= 0))
        return bf__dist_fail(why, why_len, "normal needs mean >= 0");
    if (!(v[1] > 0))
        return bf__dist_fail(why, why_len, "normal needs sd > 0");
    d->p[0] = v[0];
    d->p[1] = v[1];
    return BF_OK;
}

static const bf_dist_type normal_type = {
    "normal", normal_sample, normal_mean, normal_variance,
};

const bf__dist_family bf__dist_normal_family = {
    .type = &normal_type,
    .usage = "normal(mean, sd)",
    .n_params = 2,
    .params = {{"mean", BF__DIST_TIME, 0}, {"sd", BF__DIST_TIME, 1}},
    .init = normal_init,
};
