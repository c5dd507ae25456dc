/*
 * dist.h - probability distributions for service times, dwell times,
 * inter-arrival times and (later) sizes.
 *
 * Each family is a const bf_dist_type (a table of function pointers) found
 * by name in a registry; a new family is a new file in src/dist/ plus one
 * line in the registry.  A bf_dist is a value: the family plus its
 * parameters, already converted to base units and to the form the sampler
 * wants (e.g. lognormal mean/sd -> mu/sigma).
 *
 * Text form (what scenario files contain):
 *     const(2min)                      constant(value=2min)
 *     exp(mean=30min)   exp(30min)     exponential(rate=2/min)
 *     uniform(min=1min, max=3min)
 *     triangular(min=1min, mode=2min, max=6min)
 *     normal(mean=40s, sd=10s)         truncated at 0 by rejection
 *     lognormal(mean=40s, sd=15s)
 *     gamma(shape=2.5, mean=1min)      gamma(shape=2.5, scale=24s)
 *     weibull(shape=1.5, scale=1min)
 *     erlang(k=3, mean=1min)
 *     empirical(30s 20%, 1min 50%, 5min 30%)   discrete values, shares sum to 100%
 * A single-parameter family takes its parameter positionally.  Names are
 * case-insensitive; blanks are allowed anywhere between tokens.
 *
 * Units: with BF_DIST_DURATION every time-like parameter (mean, sd, min,
 * value, scale ...) must carry a duration unit and rates a rate unit;
 * with BF_DIST_PLAIN bare numbers are expected.  Shape parameters are
 * always bare numbers.
 *
 * Memory: bf_dist_parse may allocate (empirical tables); every parsed or
 * copied bf_dist must be released with bf_dist_fini.  Sampling never
 * allocates.  A bf_dist is read-only while sampling, so one parsed
 * distribution may be shared by several threads, each with its own rng.
 */
#ifndef BORDERFLOW_DIST_H
#define BORDERFLOW_DIST_H

#include "borderflow/common.h"
#include "borderflow/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum bf_dist_units { BF_DIST_DURATION, BF_DIST_PLAIN } bf_dist_units;

typedef struct bf_dist bf_dist;

typedef struct bf_dist_type {
    const char *name;           /* canonical, e.g. "lognormal" */
    double (*sample)(const bf_dist *d, bf_rng *r);
    double (*mean)(const bf_dist *d);
    double (*variance)(const bf_dist *d);
} bf_dist_type;

struct bf_dist {
    const bf_dist_type *type;
    double p[4];    /* family-specific, in the sampler's form */
    double *table;  /* empirical: values then cumulative shares; owned */
    size_t n_table; /* number of values in table */
    bf_dist_units units;
    char text[96];  /* canonical text, e.g. "lognormal(mean=40s, sd=15s)" */
};

/* Parses text into *out.  On failure returns BF_EINVAL (or BF_ENOMEM),
 * leaves *out empty (safe to fini) and writes what was expected into why,
 * e.g. "unknown distribution 'lognorm'; did you mean 'lognormal'?" or
 * "lognormal needs sd > 0". */
bf_status bf_dist_parse(const char *text, bf_dist_units units, bf_dist *out,
                        char *why, size_t why_len);

/* A constant distribution (no allocation). */
void bf_dist_const(bf_dist *out, double value, bf_dist_units units);

/* Deep copy; dst must be empty or finalised.  BF_ENOMEM on failure. */
bf_status bf_dist_copy(bf_dist *dst, const bf_dist *src);

/* Frees what the distribution owns and empties it.  NULL is fine. */
void bf_dist_fini(bf_dist *d);

/* A standard exponential variate (mean 1), by the ziggurat method (see
 * src/dist/dist_exp.c): one 64-bit draw from r 97.8% of the time, a few
 * more otherwise (1.03 on average).  exp(mean=m) samples m * bf_dist_exp1.  The fast path
 * is inline; its tables (generated, src/dist/exp_ziggurat.c) and the rare
 * paths are in the library. */
extern const double bf__zig_w[256];
extern const uint64_t bf__zig_k[256];
double bf__dist_exp1_slow(bf_rng *r, unsigned layer, double x);

static inline double bf_dist_exp1(bf_rng *r)
{
    uint64_t b = bf_rng_next(r);
    unsigned i = (unsigned)(b & 0xff);
    uint64_t u = b >> 11;
    double x = (double)u * bf__zig_w[i];
    if (__builtin_expect(u < bf__zig_k[i], 1))
        return x;
    return bf__dist_exp1_slow(r, i, x);
}

extern const bf_dist_type bf__dist_exp_type;

/* One draw.  The exponential, the commonest law of a queueing model, is
 * drawn inline rather than through its type's function pointer. */
static inline double bf_dist_sample(const bf_dist *d, bf_rng *r)
{
    if (d->type == &bf__dist_exp_type)
        return d->p[0] * bf_dist_exp1(r);
    return d->type->sample(d, r);
}

/* Exact mean and variance of the distribution as sampled (for the
 * truncated normal, of the truncated law). */
double bf_dist_mean(const bf_dist *d);
double bf_dist_variance(const bf_dist *d);

/* NULL-terminated list of the family names, for help and suggestions. */
const char *const *bf_dist_names(void);

#ifdef __cplusplus
}
#endif
#endif
