/*
 * dist_const.c - the constant distribution: every draw is the same value.
 *
 * Text: const(2min), constant(value=2min).  p[0] = the value.  Sampling
 * draws nothing from the rng: a constant consumes no random numbers.
 */
#include "dist/dist_int.h"

static double const_sample(const bf_dist *d, bf_rng *r)
{
    (void)r;
    return d->p[0];
}

static double const_mean(const bf_dist *d)
{
    return d->p[0];
}

static double const_variance(const bf_dist *d)
{
    (void)d;
    return 0;
}

static bf_status const_init(bf_dist *d, const double *v, const bool *given,
                            char *why, size_t why_len)
{
    d->p[0] = v[0];
    return BF_OK;
}

static const bf_dist_type const_type = {
    "const", const_sample, const_mean, const_variance,
};

const bf__dist_family bf__dist_const_family = {
    .type = &const_type,
    .alias = "constant",
    .usage = "const(value)",
    .n_params = 1,
    .params = {{"value", BF__DIST_TIME, 0}},
    .init = const_init,
};
