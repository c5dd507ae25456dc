/*
 * dist_weibull.c - the Weibull distribution.
 *
 * Text: weibull(shape=1.5, scale=1min).  Needs shape > 0 and scale > 0.
 * p[0] = shape k, p[1] = scale lambda, p[2] = 1 / k.
 *
 * Sampling by inversion of F(x) = 1 - exp(-(x / lambda)^k):
 * X = lambda (-log U)^(1/k) with U uniform on (0, 1].
 *
 * Moments, with x = 1/k:  E[X] = lambda Gamma(1 + x),
 * Var[X] = lambda^2 (Gamma(1 + 2x) - Gamma(1 + x)^2).  For large k the
 * two gamma values are both close to 1 and the difference, about
 * (pi^2 / 6) x^2, would lose most of its digits (a relative error of
 * 1e-8 at k = 1e4).  For x <= 0.05 we therefore write
 *     Var[X] = lambda^2 Gamma(1 + x)^2 expm1(D),
 *     D = log Gamma(1 + 2x) - 2 log Gamma(1 + x)
 *       = sum_{n >= 2} (-1)^n zeta(n) (2^n - 2) x^n / n
 * (the Euler-gamma terms of the two Taylor series of log Gamma cancel);
 * with 2x <= 0.1 the terms up to n = 20 reach full double precision.
 * tgamma is used rather than lgamma because lgamma writes the global
 * signgam, which is a data race when threads ask for moments at once.
 * Shapes below about 0.006 make Gamma(1 + 2x) overflow; dist.c then
 * refuses the parameters.
 */
#include "dist/dist_int.h"

#include <math.h>

static double weibull_sample(const bf_dist *d, bf_rng *r)
{
    double e = -log(bf_rng_uniform_pos(r));
    return d->p[1] * pow(e + 0.0, d->p[2]);
}

static double weibull_mean(const bf_dist *d)
{
    return d->p[1] * tgamma(1.0 + d->p[2]);
}

static double weibull_variance(const bf_dist *d)
{
    static const double zeta[] = {
        1.6449340668482264365, 1.2020569031595942854, 1.0823232337111381915,
        1.0369277551433699263, 1.0173430619844491397, 1.0083492773819228268,
        1.0040773561979443394, 1.0020083928260822144, 1.0009945751278180853,
        1.0004941886041194646, 1.0002460865533080483, 1.0001227133475784891,
        1.0000612481350587048, 1.0000305882363070205, 1.0000152822594086519,
        1.0000076371976378998, 1.0000038172932649998, 1.0000019082127165539,
        1.0000009539620338728,
    }; /* zeta(2) .. zeta(20) */
    double x = d->p[2], l2 = d->p[1] * d->p[1];
    double g1 = tgamma(1.0 + x);
    if (x > 0.05)
        return l2 * (tgamma(1.0 + 2.0 * x) - g1 * g1);
    double sum = 0, xn = x; /* xn = x^n */
    double two_n = 2;       /* 2^n */
    for (int n = 2; n <= 20; n++) {
        xn *= x;
        two_n *= 2;
        double term = zeta[n - 2] * (two_n - 2.0) * xn / n;
        sum += (n % 2 == 0) ? term : -term;
    }
    return l2 * g1 * g1 * expm1(sum);
}

static bf_status weibull_init(bf_dist *d, const double *v, const bool *given,
                              char *why, size_t why_len)
{
    if (!(v[0] > 0))
        return bf__dist_fail(why, why_len, "weibull needs shape > 0");
    if (!(v[1] > 0))
        return bf__dist_fail(why, why_len, "weibull needs scale > 0");
    d->p[0] = v[0];
    d->p[1] = v[1];
    d->p[2] = 1.0 / v[0];
    if (!isfinite(d->p[2]))
        return bf__dist_fail(why, why_len, "weibull(shape, scale): the "
                             "parameters are out of range");
    return BF_OK;
}

static const bf_dist_type weibull_type = {
    "weibull", weibull_sample, weibull_mean, weibull_variance,
};

const bf__dist_family bf__dist_weibull_family = {
    .type = &weibull_type,
    .usage = "weibull(shape, scale)",
    .n_params = 2,
    .params = {{"shape", BF__DIST_SHAPE, 0}, {"scale", BF__DIST_TIME, 1}},
    .init = weibull_init,
};
