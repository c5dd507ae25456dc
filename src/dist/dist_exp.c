/*
 * dist_exp.c - the exponential distribution.
 *
 * Text: exp(mean=30min), exp(30min), exponential(rate=2/min).  Given as a
 * mean or as a rate (exactly one); p[0] = the mean.
 *
 * Sampling by inversion: X = -mean * log(U) with U uniform on (0, 1], so
 * log(U) is finite and X lies in [0, 36.7 * mean] (the smallest U is
 * 2^-53).  One uniform and one log per draw; the ziggurat would be
 * faster but is not worth its tables here.
 */
#include "dist/dist_int.h"

#include <math.h>

static double exp_sample(const bf_dist *d, bf_rng *r)
{
    /* 0.0 - x rather than -x: U = 1 gives +0, not -0. */
    return 0.0 - d->p[0] * log(bf_rng_uniform_pos(r));
}

static double exp_mean(const bf_dist *d)
{
    return d->p[0];
}

static double exp_variance(const bf_dist *d)
{
    return d->p[0] * d->p[0];
}

static bf_status exp_init(bf_dist *d, const double *v, const bool *given,
                          char *why, size_t why_len)
{
    if (given[0]) {
        if (!(v[0] > 0))
            return bf__dist_fail(why, why_len, "exp needs mean > 0");
        d->p[0] = v[0];
    } else {
        if (!(v[1] > 0))
            return bf__dist_fail(why, why_len, "exp needs rate > 0");
        d->p[0] = 1.0 / v[1];
    }
    return BF_OK;
}

static const bf_dist_type exp_type = {
    "exp", exp_sample, exp_mean, exp_variance,
};

const bf__dist_family bf__dist_exp_family = {
    .type = &exp_type,
    .alias = "exponential",
    .usage = "exp(mean | rate)",
    .n_params = 2,
    .params = {{"mean", BF__DIST_TIME, 0}, {"rate", BF__DIST_RATE, 0}},
    .init = exp_init,
};
