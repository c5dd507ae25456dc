/*
 * dist_lognormal.c - the lognormal distribution, given by its own mean
 * and standard deviation (what people measure), not by those of its log.
 *
 * Text: lognormal(mean=40s, sd=15s).  Needs mean > 0 and sd > 0.
 *
 * If X = exp(mu + sigma Z) with Z ~ N(0, 1), then
 *     E[X] = exp(mu + sigma^2 / 2),  Var[X] = (exp(sigma^2) - 1) E[X]^2,
 * so for a wanted mean m and sd s
 *     sigma^2 = log(1 + s^2 / m^2),  mu = log(m) - sigma^2 / 2.
 * log1p keeps sigma accurate when s << m.  p[0] = mu, p[1] = sigma.
 * mean() and variance() evaluate the formulas above from mu and sigma,
 * i.e. the moments of the law actually sampled (equal to m and s^2 up to
 * rounding).
 */
#include "dist/dist_int.h"

#include <math.h>

static double lognormal_sample(const bf_dist *d, bf_rng *r)
{
    return exp(d->p[0] + d->p[1] * bf__dist_std_normal(r));
}

static double lognormal_mean(const bf_dist *d)
{
    return exp(d->p[0] + 0.5 * d->p[1] * d->p[1]);
}

static double lognormal_variance(const bf_dist *d)
{
    double s2 = d->p[1] * d->p[1];
    return expm1(s2) * exp(2.0 * d->p[0] + s2);
}

static bf_status lognormal_init(bf_dist *d, const double *v, const bool *given,
                                char *why, size_t why_len)
{
    double m = v[0], s = v[1];
    if (!(m > 0))
        return bf__dist_fail(why, why_len, "lognormal needs mean > 0");
    if (!(s > 0))
        return bf__dist_fail(why, why_len, "lognormal needs sd > 0");
    double cv = s / m;
    double s2 = log1p(cv * cv);
    d->p[0] = log(m) - 0.5 * s2;
    d->p[1] = sqrt(s2);
    /* cv overflows for absurd inputs (sd 1e300 s, mean 1e-300 s).  A cv
     * so small that cv^2 underflows gives sigma = 0, a constant in all
     * but name, which is harmless. */
    if (!isfinite(d->p[0]) || !isfinite(d->p[1]))
        return bf__dist_fail(why, why_len, "lognormal(mean, sd): the "
                             "parameters are out of range");
    return BF_OK;
}

static const bf_dist_type lognormal_type = {
    "lognormal", lognormal_sample, lognormal_mean, lognormal_variance,
};

const bf__dist_family bf__dist_lognormal_family = {
    .type = &lognormal_type,
    .usage = "lognormal(mean, sd)",
    .n_params = 2,
    .params = {{"mean", BF__DIST_TIME, 0}, {"sd", BF__DIST_TIME, 1}},
    .init = lognormal_init,
};
