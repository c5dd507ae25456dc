/*
 * dist_gamma.c - the gamma distribution and its integer-shape special
 * case, the Erlang distribution.
 *
 * Text: gamma(shape=2.5, mean=1min), gamma(shape=2.5, scale=24s),
 * erlang(k=3, mean=1min).  gamma needs shape > 0 and mean or scale > 0
 * (exactly one; scale = mean / shape).  erlang needs a whole k >= 1 and
 * mean > 0, and is gamma with shape k and scale mean / k.
 *
 * p[0] = shape a, p[1] = scale theta, p[2] = dd, p[3] = c: the two
 * constants of the Marsaglia-Tsang sampler for shape a' = a (a >= 1) or
 * a + 1 (a < 1), precomputed because they cost a sqrt.
 *
 * Sampler (Marsaglia and Tsang, "A simple method for generating gamma
 * variables", ACM TOMS 26(3), 2000).  For a' >= 1 let dd = a' - 1/3 and
 * c = 1 / sqrt(9 dd).  Repeat: Z ~ N(0, 1), v = (1 + c Z)^3; if v > 0
 * and, with U uniform on (0, 1],
 *     U < 1 - 0.0331 Z^4                         (cheap squeeze), or
 *     log U < Z^2 / 2 + dd (1 - v + log v)        (exact test),
 * return dd v.  Acceptance is above 95% for every a' >= 1, so the loop
 * runs about once.  For a < 1 the "boost": if G ~ Gamma(a + 1) and
 * U ~ U(0, 1] then G U^(1/a) ~ Gamma(a).  Erlang samples the same way,
 * which costs O(1) per draw instead of the O(k) of summing k
 * exponentials.
 *
 * Mean a theta, variance a theta^2.
 */
#include "dist/dist_int.h"

#include <math.h>

static double gamma_sample(const bf_dist *d, bf_rng *r)
{
    double dd = d->p[2], c = d->p[3];
    double g;
    for (;;) {
        double z = bf__dist_std_normal(r);
        double t = 1.0 + c * z;
        if (t <= 0)
            continue;
        double v = t * t * t;
        double u = bf_rng_uniform_pos(r);
        double z2 = z * z;
        if (u < 1.0 - 0.0331 * z2 * z2 || log(u) < 0.5 * z2 + dd * (1.0 - v + log(v))) {
            g = dd * v;
            break;
        }
    }
    if (d->p[0] < 1.0)
        g *= pow(bf_rng_uniform_pos(r), 1.0 / d->p[0]);
    return g * d->p[1];
}

static double gamma_mean(const bf_dist *d)
{
    return d->p[0] * d->p[1];
}

static double gamma_variance(const bf_dist *d)
{
    return d->p[0] * d->p[1] * d->p[1];
}

/* Stores shape, scale and the sampler constants. */
static bf_status gamma_setup(bf_dist *d, const char *usage, double shape,
                             double scale, char *why, size_t why_len)
{
    if (!(scale > 0) || !isfinite(scale))
        return bf__dist_fail(why, why_len, "%s: the parameters are out of "
                             "range", usage);
    double a = shape < 1.0 ? shape + 1.0 : shape;
    d->p[0] = shape;
    d->p[1] = scale;
    d->p[2] = a - 1.0 / 3.0;
    d->p[3] = 1.0 / sqrt(9.0 * d->p[2]);
    return BF_OK;
}

static bf_status gamma_init(bf_dist *d, const double *v, const bool *given,
                            char *why, size_t why_len)
{
    double shape = v[0];
    if (!(shape > 0))
        return bf__dist_fail(why, why_len, "gamma needs shape > 0");
    if (given[1] && !(v[1] > 0))
        return bf__dist_fail(why, why_len, "gamma needs mean > 0");
    if (given[2] && !(v[2] > 0))
        return bf__dist_fail(why, why_len, "gamma needs scale > 0");
    double scale = given[1] ? v[1] / shape : v[2];
    return gamma_setup(d, "gamma(shape, mean | scale)", shape, scale, why,
                       why_len);
}

static bf_status erlang_init(bf_dist *d, const double *v, const bool *given,
                             char *why, size_t why_len)
{
    /* The cap keeps k exactly representable and far beyond any use
     * (an Erlang with a billion phases is a constant for all purposes). */
    double k = v[0];
    if (!(k >= 1 && k <= 1e9 && k == floor(k)))
        return bf__dist_fail(why, why_len, "erlang needs a whole number "
                             "k >= 1 (at most 1000000000)");
    if (!(v[1] > 0))
        return bf__dist_fail(why, why_len, "erlang needs mean > 0");
    return gamma_setup(d, "erlang(k, mean)", k, v[1] / k, why, why_len);
}

static const bf_dist_type gamma_type = {
    "gamma", gamma_sample, gamma_mean, gamma_variance,
};

static const bf_dist_type erlang_type = {
    "erlang", gamma_sample, gamma_mean, gamma_variance,
};

const bf__dist_family bf__dist_gamma_family = {
    .type = &gamma_type,
    .usage = "gamma(shape, mean | scale)",
    .n_params = 3,
    .params = {{"shape", BF__DIST_SHAPE, 0},
               {"mean", BF__DIST_TIME, 1},
               {"scale", BF__DIST_TIME, 1}},
    .init = gamma_init,
};

const bf__dist_family bf__dist_erlang_family = {
    .type = &erlang_type,
    .usage = "erlang(k, mean)",
    .n_params = 2,
    .params = {{"k", BF__DIST_COUNT, 0}, {"mean", BF__DIST_TIME, 1}},
    .init = erlang_init,
};
