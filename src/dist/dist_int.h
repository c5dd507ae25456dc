/*
 * dist_int.h - what the files of src/dist/ share and nobody else sees.
 *
 * The split follows GSL's rng/randist layout.  dist.h's bf_dist_type is
 * the run-time interface (name, sample, mean, variance); this header adds
 * the parse-time description of a family, bf__dist_family: its accepted
 * names, its parameters and a function that checks the parameter values
 * and stores them in the form the sampler wants.  Each family lives in its
 * own file (dist_exp.c, dist_gamma.c ...) and exports one bf__dist_family;
 * dist.c holds the registry (a NULL-terminated array of them), the
 * parser, and everything that does not depend on the family.
 *
 * Parsing a named family, step by step (all in dist.c):
 *
 *   text --split--> name '(' args ')' --lookup--> family
 *        --per arg--> (param index, value in base units)
 *        --presence--> every group given exactly once
 *        --family->init--> d->p[] in sampler form, or a sentence
 *        --check--> mean and variance finite; canonical d->text
 *
 * A family whose arguments are not name=value pairs (empirical) sets
 * parse_args instead and does all of the above for itself.
 *
 * Conventions every family keeps:
 *   - samples are >= 0 (these are durations and sizes); time-like and
 *     rate parameters are refused when negative before init sees them;
 *   - sample() never allocates and only reads d;
 *   - mean() and variance() are exact for the law as sampled;
 *   - init() writes only d->p and reports every invalid combination with
 *     a sentence naming the family, e.g. "lognormal needs sd > 0".
 */
#ifndef BORDERFLOW_DIST_INT_H
#define BORDERFLOW_DIST_INT_H

#include "borderflow/dist.h"

#define BF__DIST_MAX_PARAMS 4

/* How a parameter's text is read. */
typedef enum bf__dist_kind {
    BF__DIST_TIME,  /* duration (BF_DIST_DURATION) or bare number; >= 0 */
    BF__DIST_RATE,  /* rate (BF_DIST_DURATION) or bare number; >= 0 */
    BF__DIST_SHAPE, /* always a bare number */
    BF__DIST_COUNT  /* always a bare number; init checks it is whole */
} bf__dist_kind;

typedef struct bf__dist_param {
    const char *name; /* lower case, e.g. "sd" */
    bf__dist_kind kind;
    /* Parameters with the same group are alternatives (exp's mean and
     * rate): exactly one of each group must be given.  Groups are
     * numbered 0, 1, ... in the order they first appear. */
    int group;
} bf__dist_param;

typedef struct bf__dist_family {
    const bf_dist_type *type; /* type->name is the canonical name */
    const char *alias;        /* another accepted name, or NULL */
    const char *usage;        /* for messages, e.g. "exp(mean | rate)" */
    size_t n_params;
    bf__dist_param params[BF__DIST_MAX_PARAMS];

    /* Named families.  v[i] is the value of params[i] in base units and
     * given[i] says whether it was written (exactly one per group is).
     * Checks the combination and fills d->p; returns BF_OK or BF_EINVAL
     * with a sentence in why. */
    bf_status (*init)(bf_dist *d, const double *v, const bool *given,
                      char *why, size_t why_len);

    /* Families with their own argument syntax (init is then NULL).  args
     * is the text between the parentheses, n_args characters long and not
     * NUL-terminated.  Fills d->p, d->table, d->n_table and d->text.  On
     * failure frees what it allocated, leaves d->table NULL and returns
     * BF_EINVAL or BF_ENOMEM. */
    bf_status (*parse_args)(bf_dist *d, const char *args, size_t n_args,
                            char *why, size_t why_len);
} bf__dist_family;

/* The families, one per file. */
extern const bf__dist_family bf__dist_const_family;
extern const bf__dist_family bf__dist_exp_family;

/* The exponential's ziggurat (generated into exp_ziggurat.c by
 * tools/gen/exp_ziggurat.py; see dist_exp.c): r, the start of the tail;
 * v, the area of each of the 256 layers; x[i], the layers' right edges
 * (x[0] = v / e^-r, x[1] = r, ..., x[256] = 0); f[i] = e^-x[i]; and, in
 * dist.h, w[i] = x[i] 2^-53 and k[i] = ceil(2^53 x[i+1] / x[i]). */
extern const double bf__zig_r, bf__zig_v;
extern const double bf__zig_x[257], bf__zig_f[257];
extern const bf__dist_family bf__dist_uniform_family;
extern const bf__dist_family bf__dist_triangular_family;
extern const bf__dist_family bf__dist_normal_family;
extern const bf__dist_family bf__dist_lognormal_family;
extern const bf__dist_family bf__dist_gamma_family;
extern const bf__dist_family bf__dist_erlang_family;
extern const bf__dist_family bf__dist_weibull_family;
extern const bf__dist_family bf__dist_empirical_family;

/* A standard normal variate (Marsaglia's polar method; the second variate
 * of each pair is discarded so that no state is kept outside the rng).
 * Shared by normal, lognormal and gamma. */
double bf__dist_std_normal(bf_rng *r);

/* Writes a sentence into why (may be NULL) and returns BF_EINVAL. */
bf_status bf__dist_fail(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copies at most BF__DIST_QUOTE characters of [s, s+n) into buf, marking
 * a cut with "...", and returns buf: user text quoted in a sentence. */
#define BF__DIST_QUOTE 32
const char *bf__dist_clip(const char *s, size_t n, char buf[BF__DIST_QUOTE + 4]);

/* Reads one parameter value, n characters at s (not NUL-terminated,
 * already trimmed), as kind under units; on failure the sentence is
 * prefixed with label (e.g. "mean=-3s"). */
bf_status bf__dist_read_value(const char *s, size_t n, bf__dist_kind kind,
                              bf_dist_units units, const char *label,
                              double *out, char *why, size_t why_len);

/* Appends the text form of value (kind, units) to buf at *pos, e.g. "2min",
 * "240/h", "2.5"; see bf__dist_text_append for truncation. */
void bf__dist_text_value(char *buf, size_t cap, size_t *pos, double value,
                         bf__dist_kind kind, bf_dist_units units);

/* printf-style append to buf (capacity cap) at *pos.  When the text does
 * not fit, it ends in "..." and *pos is set to cap so later appends do
 * nothing; a long empirical table thus shows its first entries. */
void bf__dist_text_append(char *buf, size_t cap, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Blanks are the C-locale white space, tested without <ctype.h> so that
 * neither the locale nor a negative char can change the answer. */
static inline bool bf__dist_is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v'
           || c == '\f';
}

/* Narrows [*s, *e) to drop blanks at both ends. */
static inline void bf__dist_trim(const char **s, const char **e)
{
    while (*s < *e && bf__dist_is_blank(**s))
        (*s)++;
    while (*e > *s && bf__dist_is_blank((*e)[-1]))
        (*e)--;
}

/* The invariants of a parsed distribution: a type, finite parameters and,
 * for a table, values >= 0 with cumulative shares non-decreasing up to
 * exactly 1.  For asserts and tests. */
bool bf__dist_check(const bf_dist *d);

#endif
