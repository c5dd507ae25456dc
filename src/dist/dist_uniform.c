/*
 * dist_uniform.c - the continuous uniform distribution on [min, max).
 *
 * Text: uniform(min=1min, max=3min).  p[0] = min, p[1] = max.  min == max
 * is allowed and degenerates to a constant.
 */
#include "dist/dist_int.h"

static double uniform_sample(const bf_dist *d, bf_rng *r)
{
    return d->p[0] + (d->p[1] - d->p[0]) * bf_rng_uniform(r);
}

static double uniform_mean(const bf_dist *d)
{
    return 0.5 * (d->p[0] + d->p[1]);
}

static double uniform_variance(const bf_dist *d)
{
    double w = d->p[1] - d->p[0];
    return w * w / 12.0;
}

static bf_status uniform_init(bf_dist *d, const double *v, const bool *given,
                              char *why, size_t why_len)
{
    if (!(v[0] <= v[1]))
        return bf__dist_fail(why, why_len, "uniform needs min <= max");
    d->p[0] = v[0];
    d->p[1] = v[1];
    return BF_OK;
}

static const bf_dist_type uniform_type = {
    "uniform", uniform_sample, uniform_mean, uniform_variance,
};

const bf__dist_family bf__dist_uniform_family = {
    .type = &uniform_type,
    .usage = "uniform(min, max)",
    .n_params = 2,
    .params = {{"min", BF__DIST_TIME, 0}, {"max", BF__DIST_TIME, 1}},
    .init = uniform_init,
};
