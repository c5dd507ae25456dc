/*
 * dist_triangular.c - the triangular distribution on [min, max] with its
 * peak at mode.
 *
 * Text: triangular(min=1min, mode=2min, max=6min).  Needs
 * min <= mode <= max; min == max degenerates to a constant.
 *
 * p[0] = a (min), p[1] = c (mode), p[2] = b (max), p[3] = F(c) =
 * (c - a) / (b - a), the probability of falling left of the mode.
 *
 * Sampling by inversion of the piecewise-quadratic CDF, U uniform on
 * [0, 1):
 *     U <  F(c):  X = a + sqrt(U (b - a) (c - a))
 *     U >= F(c):  X = b - sqrt((1 - U) (b - a) (b - c))
 * Mean (a + b + c) / 3, variance (a^2 + b^2 + c^2 - ab - ac - bc) / 18.
 */
#include "dist/dist_int.h"

#include <math.h>

static double triangular_sample(const bf_dist *d, bf_rng *r)
{
    double a = d->p[0], c = d->p[1], b = d->p[2];
    double u = bf_rng_uniform(r);
    if (u < d->p[3])
        return a + sqrt(u * (b - a) * (c - a));
    return b - sqrt((1.0 - u) * (b - a) * (b - c));
}

static double triangular_mean(const bf_dist *d)
{
    return (d->p[0] + d->p[1] + d->p[2]) / 3.0;
}

static double triangular_variance(const bf_dist *d)
{
    /* The symmetric form above loses digits when the three points are
     * close together relative to their size (1000s +- 1s); written with
     * the offsets from a it is exact enough everywhere:
     * (x^2 + y^2 - x y) / 18 with x = b - a, y = c - a. */
    double x = d->p[2] - d->p[0], y = d->p[1] - d->p[0];
    return (x * x + y * y - x * y) / 18.0;
}

static bf_status triangular_init(bf_dist *d, const double *v, const bool *given,
                                 char *why, size_t why_len)
{
    double a = v[0], c = v[1], b = v[2];
    if (!(a <= c && c <= b))
        return bf__dist_fail(why, why_len, "triangular needs min <= mode <= max");
    d->p[0] = a;
    d->p[1] = c;
    d->p[2] = b;
    d->p[3] = b > a ? (c - a) / (b - a) : 0.0;
    return BF_OK;
}

static const bf_dist_type triangular_type = {
    "triangular", triangular_sample, triangular_mean, triangular_variance,
};

const bf__dist_family bf__dist_triangular_family = {
    .type = &triangular_type,
    .usage = "triangular(min, mode, max)",
    .n_params = 3,
    .params = {{"min", BF__DIST_TIME, 0},
               {"mode", BF__DIST_TIME, 1},
               {"max", BF__DIST_TIME, 2}},
    .init = triangular_init,
};
