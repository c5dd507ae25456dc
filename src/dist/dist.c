/*
 * dist.c - the family registry, the text parser, and the family-
 * independent parts of dist.h (const, copy, fini, mean/variance dispatch).
 *
 * Registry.  `registry` lists every family's bf__dist_family (defined one
 * per file, see dist_int.h); adding a family is a new file plus one line
 * here and one in `names`.  Lookups compare the canonical name and the
 * alias ignoring ASCII case.  The registry is const data: there is no
 * mutable global, so parsing and sampling are reentrant.
 *
 * Parser.  The grammar is flat, so parsing is a few bounded left-to-right
 * scans with no recursion and no limit on input length:
 *
 *     text  = blanks name blanks "(" inner ")" blanks
 *     inner = arg { "," arg }            (split at every ',')
 *     arg   = blanks key blanks "=" value | value
 *
 * The first ')' closes the list; a value cannot contain ',' or ')'.  Each
 * value is copied into a small buffer and read by units.c, so a value is
 * limited to VALUE_MAX characters; longer ones are refused with a
 * sentence (no sensible parameter is that long).  Every sentence quotes
 * at most BF__DIST_QUOTE characters of the input.
 *
 * Memory.  Only the empirical family allocates (its table); everything
 * else in a bf_dist is by value.  bf_dist_parse builds into a local and
 * copies it out only on success, so *out is either a complete
 * distribution or all zeros.
 */
#include "dist/dist_int.h"

#include "borderflow/units.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest parameter value we read (characters). */
#define VALUE_MAX 127

static const bf__dist_family *const registry[] = {
    &bf__dist_const_family,
    &bf__dist_exp_family,
    &bf__dist_uniform_family,
    &bf__dist_triangular_family,
    &bf__dist_normal_family,
    &bf__dist_lognormal_family,
    &bf__dist_gamma_family,
    &bf__dist_erlang_family,
    &bf__dist_weibull_family,
    &bf__dist_empirical_family,
};
#define N_FAMILIES (sizeof registry / sizeof registry[0])

/* The canonical names, in registry order (bf_dist_names).  A static
 * initialiser cannot read registry[i]->type->name, so this is spelt out;
 * the unit test checks the two agree. */
static const char *const names[] = {
    "const", "exp", "uniform", "triangular", "normal", "lognormal",
    "gamma", "erlang", "weibull", "empirical", NULL,
};
_Static_assert(sizeof names / sizeof names[0] == N_FAMILIES + 1,
               "names must list every registered family");

static const char ALL_NAMES[] =
    "const, exp, uniform, triangular, normal, lognormal, gamma, erlang, "
    "weibull, empirical";

/* ------------------------------------------------------------------ */
/* Shared helpers (dist_int.h)                                          */
/* ------------------------------------------------------------------ */

bf_status bf__dist_fail(char *why, size_t why_len, const char *fmt, ...)
{
    if (why && why_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_len, fmt, ap);
        va_end(ap);
    }
    return BF_EINVAL;
}

const char *bf__dist_clip(const char *s, size_t n, char buf[BF__DIST_QUOTE + 4])
{
    if (n > BF__DIST_QUOTE) {
        memcpy(buf, s, BF__DIST_QUOTE);
        memcpy(buf + BF__DIST_QUOTE, "...", 4);
    } else {
        memcpy(buf, s, n);
        buf[n] = '\0';
    }
    return buf;
}

void bf__dist_text_append(char *buf, size_t cap, size_t *pos, const char *fmt, ...)
{
    assert(cap >= 4);
    if (*pos >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *pos, cap - *pos, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= cap - *pos) {
        memcpy(buf + cap - 4, "...", 4);
        *pos = cap;
    } else {
        *pos += (size_t)n;
    }
}

/* A rate in the unit that reads best: the shortest period in which the
 * count is at least 1 and prints exactly with %g ("240/h" is "4/min"),
 * else the shortest period with a count of at least 1. */
static void format_rate(double per_s, char *buf, size_t len)
{
    static const char *const unit[] = {"s", "min", "h", "d", "w"};
    static const double size[] = {1, 60, 3600, 86400, 604800};
    enum { N = 5 };
    if (per_s == 0) {
        snprintf(buf, len, "0/h");
        return;
    }
    int pick = -1;
    for (int i = 0; i < N && pick < 0; i++) {
        double v = per_s * size[i];
        char tmp[32];
        snprintf(tmp, sizeof tmp, "%g", v);
        if (v >= 1 && fabs(strtod(tmp, NULL) - v) <= 1e-12 * v)
            pick = i;
    }
    for (int i = 0; i < N && pick < 0; i++)
        if (per_s * size[i] >= 1)
            pick = i;
    if (pick < 0)
        pick = N - 1;
    snprintf(buf, len, "%g/%s", per_s * size[pick], unit[pick]);
}

void bf__dist_text_value(char *buf, size_t cap, size_t *pos, double value,
                         bf__dist_kind kind, bf_dist_units units)
{
    char tmp[48];
    if (units == BF_DIST_DURATION && kind == BF__DIST_TIME)
        bf_format_duration(value, tmp, sizeof tmp);
    else if (units == BF_DIST_DURATION && kind == BF__DIST_RATE)
        format_rate(value, tmp, sizeof tmp);
    else
        snprintf(tmp, sizeof tmp, "%g", value);
    bf__dist_text_append(buf, cap, pos, "%s", tmp);
}

bf_status bf__dist_read_value(const char *s, size_t n, bf__dist_kind kind,
                              bf_dist_units units, const char *label,
                              double *out, char *why, size_t why_len)
{
    char buf[VALUE_MAX + 1];
    char inner[256];
    if (n > VALUE_MAX)
        return bf__dist_fail(why, why_len, "%s: the value is too long "
                             "(more than %d characters)", label, VALUE_MAX);
    memcpy(buf, s, n);
    buf[n] = '\0';

    bool bare = units == BF_DIST_PLAIN || kind == BF__DIST_SHAPE
                || kind == BF__DIST_COUNT;
    bf_status rc;
    if (!bare && kind == BF__DIST_TIME) {
        rc = bf_parse_duration(buf, out, inner, sizeof inner);
    } else if (!bare) {
        rc = bf_parse_rate(buf, out, inner, sizeof inner);
    } else {
        rc = bf_parse_number(buf, out, inner, sizeof inner);
        double ignored;
        if (rc != BF_OK && (bf_parse_duration(buf, &ignored, NULL, 0) == BF_OK
                            || bf_parse_rate(buf, &ignored, NULL, 0) == BF_OK))
            snprintf(inner, sizeof inner, "expected a bare number, without a unit");
        else if (rc == BF_OK && (kind == BF__DIST_TIME || kind == BF__DIST_RATE)
                 && *out < 0) {
            snprintf(inner, sizeof inner, "negative values are not allowed");
            rc = BF_EINVAL;
        }
    }
    if (rc != BF_OK)
        return bf__dist_fail(why, why_len, "%s: %s", label, inner);
    *out += 0.0; /* no negative zeros */
    return BF_OK;
}

bool bf__dist_check(const bf_dist *d)
{
    if (!d || !d->type || !d->type->sample || !d->type->mean
        || !d->type->variance)
        return false;
    if (d->units != BF_DIST_DURATION && d->units != BF_DIST_PLAIN)
        return false;
    for (size_t i = 0; i < 4; i++)
        if (!isfinite(d->p[i]))
            return false;
    if ((d->table == NULL) != (d->n_table == 0))
        return false;
    if (!d->table)
        return memchr(d->text, '\0', sizeof d->text) != NULL;
    const double *cum = d->table + d->n_table;
    double prev = 0;
    for (size_t i = 0; i < d->n_table; i++) {
        if (!(isfinite(d->table[i]) && d->table[i] >= 0))
            return false;
        if (!(cum[i] >= prev && cum[i] <= 1))
            return false;
        prev = cum[i];
    }
    if (cum[d->n_table - 1] != 1.0)
        return false;
    return memchr(d->text, '\0', sizeof d->text) != NULL;
}

/* ------------------------------------------------------------------ */
/* Lexing                                                               */
/* ------------------------------------------------------------------ */

static bool is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static const char *skip_blanks(const char *p)
{
    while (bf__dist_is_blank(*p))
        p++;
    return p;
}

static bool word_is(const char *p, size_t n, const char *w)
{
    if (!w || strlen(w) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(p[i]) != w[i])
            return false;
    return true;
}

static const bf__dist_family *find_family(const char *p, size_t n)
{
    for (size_t i = 0; i < N_FAMILIES; i++)
        if (word_is(p, n, registry[i]->type->name)
            || word_is(p, n, registry[i]->alias))
            return registry[i];
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Named parameters                                                     */
/* ------------------------------------------------------------------ */

static int n_groups(const bf__dist_family *fam)
{
    int n = 0;
    for (size_t i = 0; i < fam->n_params; i++)
        if (fam->params[i].group + 1 > n)
            n = fam->params[i].group + 1;
    return n;
}

/* "mean, sd": the parameter names, for the unknown-parameter sentence. */
static void list_params(const bf__dist_family *fam, char *buf, size_t len)
{
    size_t pos = 0;
    for (size_t i = 0; i < fam->n_params; i++)
        bf__dist_text_append(buf, len, &pos, "%s%s", i ? ", " : "",
                             fam->params[i].name);
}

/* "uniform(min=..., max=...)": the first spelling of every group. */
static void named_example(const bf__dist_family *fam, char *buf, size_t len)
{
    size_t pos = 0;
    bf__dist_text_append(buf, len, &pos, "%s(", fam->type->name);
    int g = -1;
    for (size_t i = 0; i < fam->n_params; i++) {
        if (fam->params[i].group == g)
            continue;
        bf__dist_text_append(buf, len, &pos, "%s%s=...", g >= 0 ? ", " : "",
                             fam->params[i].name);
        g = fam->params[i].group;
    }
    bf__dist_text_append(buf, len, &pos, ")");
}

/* The canonical text of a named family: "lognormal(mean=40s, sd=15s)",
 * or "const(2min)" for a family with a single parameter. */
static void named_text(const bf__dist_family *fam, bf_dist *d, const double *v,
                       const bool *given)
{
    size_t pos = 0, cap = sizeof d->text;
    bool positional = fam->n_params == 1;
    bool first = true;
    bf__dist_text_append(d->text, cap, &pos, "%s(", fam->type->name);
    for (size_t i = 0; i < fam->n_params; i++) {
        if (!given[i])
            continue;
        bf__dist_text_append(d->text, cap, &pos, "%s", first ? "" : ", ");
        if (!positional)
            bf__dist_text_append(d->text, cap, &pos, "%s=", fam->params[i].name);
        bf__dist_text_value(d->text, cap, &pos, v[i], fam->params[i].kind,
                            d->units);
        first = false;
    }
    bf__dist_text_append(d->text, cap, &pos, ")");
}

/* Every group given exactly once?  Else the sentence naming what is
 * missing or doubled. */
static bf_status check_presence(const bf__dist_family *fam, const bool *given,
                                char *why, size_t why_len)
{
    int ng = n_groups(fam);
    for (int g = 0; g < ng; g++) {
        char alts[96];
        size_t pos = 0, count = 0, n_alts = 0;
        const char *seen[2] = {NULL, NULL};
        for (size_t i = 0; i < fam->n_params; i++) {
            if (fam->params[i].group != g)
                continue;
            bf__dist_text_append(alts, sizeof alts, &pos, "%s'%s'",
                                 n_alts++ ? " or " : "", fam->params[i].name);
            if (given[i] && count < 2)
                seen[count] = fam->params[i].name;
            count += given[i];
        }
        if (count == 0)
            return bf__dist_fail(why, why_len, "missing parameter %s for %s",
                                 alts, fam->usage);
        if (count > 1)
            return bf__dist_fail(why, why_len,
                                 "%s takes '%s' or '%s', not both",
                                 fam->type->name, seen[0], seen[1]);
    }
    return BF_OK;
}

/* A positional argument goes to the single group of a family that has
 * one (const, exp).  With alternatives the first spelling that reads
 * wins, so exp(30min) is a mean and exp(2/min) a rate; if none reads,
 * the sentence is the one for the first spelling. */
static bf_status read_positional(const bf__dist_family *fam, const char *s,
                                 size_t n, bf_dist_units units, double *v,
                                 bool *given, char *why, size_t why_len)
{
    bf_status first_rc = BF_OK;
    for (size_t i = 0; i < fam->n_params; i++) {
        double x;
        bf_status rc = bf__dist_read_value(s, n, fam->params[i].kind, units,
                                           fam->params[i].name, &x,
                                           first_rc == BF_OK ? why : NULL,
                                           why_len);
        if (rc == BF_OK) {
            v[i] = x;
            given[i] = true;
            if (why && why_len > 0)
                why[0] = '\0';
            return BF_OK;
        }
        if (first_rc == BF_OK)
            first_rc = rc;
    }
    return first_rc;
}

static bf_status parse_named(const bf__dist_family *fam, bf_dist *d,
                             const char *inner, const char *end, char *why,
                             size_t why_len)
{
    char q[BF__DIST_QUOTE + 4];
    char buf[160];
    double v[BF__DIST_MAX_PARAMS] = {0};
    bool given[BF__DIST_MAX_PARAMS] = {false};
    size_t n_positional = 0;

    const char *s0 = inner, *e0 = end;
    bf__dist_trim(&s0, &e0);
    bool empty = s0 == e0; /* "exp()": no arguments at all */

    for (size_t k = 0; !empty; k++) {
        const char *comma = memchr(inner, ',', (size_t)(end - inner));
        const char *s = inner, *e = comma ? comma : end;
        bf__dist_trim(&s, &e);
        if (s == e)
            return bf__dist_fail(why, why_len, "expected a parameter %s ','",
                                 k == 0 ? "before" : "after");

        const char *eq = memchr(s, '=', (size_t)(e - s));
        if (eq) {
            const char *ks = s, *ke = eq;
            bf__dist_trim(&ks, &ke);
            if (ks == ke)
                return bf__dist_fail(why, why_len,
                                     "expected a parameter name before '='");
            size_t idx = fam->n_params;
            for (size_t i = 0; i < fam->n_params; i++)
                if (word_is(ks, (size_t)(ke - ks), fam->params[i].name))
                    idx = i;
            if (idx == fam->n_params) {
                list_params(fam, buf, sizeof buf);
                return bf__dist_fail(why, why_len,
                                     "unknown parameter '%s' for %s; expected %s",
                                     bf__dist_clip(ks, (size_t)(ke - ks), q),
                                     fam->type->name, buf);
            }
            const bf__dist_param *par = &fam->params[idx];
            if (given[idx])
                return bf__dist_fail(why, why_len,
                                     "parameter '%s' is given twice", par->name);
            const char *vs = eq + 1, *ve = e;
            bf__dist_trim(&vs, &ve);
            if (vs == ve)
                return bf__dist_fail(why, why_len, "missing value for '%s'",
                                     par->name);
            bf_status rc = bf__dist_read_value(vs, (size_t)(ve - vs), par->kind,
                                               d->units, par->name, &v[idx],
                                               why, why_len);
            if (rc != BF_OK)
                return rc;
            given[idx] = true;
        } else {
            if (n_groups(fam) != 1) {
                named_example(fam, buf, sizeof buf);
                return bf__dist_fail(why, why_len,
                                     "%s takes named parameters, as in %s",
                                     fam->type->name, buf);
            }
            if (n_positional++ > 0)
                return bf__dist_fail(why, why_len, "too many parameters for %s",
                                     fam->usage);
            /* A positional value and a named one for the same parameter
             * is a duplicate too; the presence check catches a value for
             * each of two alternatives. */
            for (size_t i = 0; i < fam->n_params; i++)
                if (given[i])
                    return bf__dist_fail(why, why_len,
                                         "parameter '%s' is given twice",
                                         fam->params[i].name);
            bf_status rc = read_positional(fam, s, (size_t)(e - s), d->units,
                                           v, given, why, why_len);
            if (rc != BF_OK)
                return rc;
        }
        if (!comma)
            break;
        inner = comma + 1;
    }

    bf_status rc = check_presence(fam, given, why, why_len);
    if (rc != BF_OK)
        return rc;
    rc = fam->init(d, v, given, why, why_len);
    if (rc != BF_OK)
        return rc;
    named_text(fam, d, v, given);
    return BF_OK;
}

/* ------------------------------------------------------------------ */
/* Public API                                                           */
/* ------------------------------------------------------------------ */

bf_status bf_dist_parse(const char *text, bf_dist_units units, bf_dist *out,
                        char *why, size_t why_len)
{
    assert(text && out);
    assert(units == BF_DIST_DURATION || units == BF_DIST_PLAIN);
    char q[BF__DIST_QUOTE + 4];
    memset(out, 0, sizeof *out);
    if (why && why_len > 0)
        why[0] = '\0';

    const char *p = skip_blanks(text);
    if (*p == '\0')
        return bf__dist_fail(why, why_len, "empty value; expected a "
                             "distribution such as exp(mean=30s) or "
                             "lognormal(mean=40s, sd=15s)");

    /* The name: a letter, then letters, digits or '_'. */
    size_t n = 0;
    if (is_letter(*p))
        while (is_letter(p[n]) || is_digit(p[n]) || p[n] == '_')
            n++;
    if (n == 0) {
        const char *e = p + strlen(p);
        bf__dist_trim(&p, &e);
        if (is_digit(*p) || *p == '.')
            return bf__dist_fail(why, why_len, "expected a distribution; "
                                 "for a fixed value write const(%s)",
                                 bf__dist_clip(p, (size_t)(e - p), q));
        return bf__dist_fail(why, why_len, "expected a distribution name, "
                             "e.g. exp(mean=30s), not '%s'",
                             bf__dist_clip(p, (size_t)(e - p), q));
    }
    const bf__dist_family *fam = find_family(p, n);
    if (!fam) {
        /* Suggest among every accepted spelling.  A name longer than the
         * quote cannot be a near miss of a short family name. */
        const char *cands[2 * N_FAMILIES];
        for (size_t i = 0; i < N_FAMILIES; i++) {
            cands[2 * i] = registry[i]->type->name;
            cands[2 * i + 1] = registry[i]->alias;
        }
        bf__dist_clip(p, n, q);
        const char *near = n <= BF__DIST_QUOTE
                               ? bf_closest(q, cands, 2 * N_FAMILIES) : NULL;
        if (near)
            return bf__dist_fail(why, why_len, "unknown distribution '%s'; "
                                 "did you mean '%s'?", q, near);
        return bf__dist_fail(why, why_len, "unknown distribution '%s'; "
                             "expected one of %s", q, ALL_NAMES);
    }

    p = skip_blanks(p + n);
    if (*p != '(')
        return bf__dist_fail(why, why_len, "expected '(' after '%s', as in %s",
                             fam->type->name, fam->usage);
    const char *inner = p + 1;
    const char *close = strchr(inner, ')');
    if (!close)
        return bf__dist_fail(why, why_len, "expected ')' at end");
    const char *rest = skip_blanks(close + 1);
    if (*rest)
        return bf__dist_fail(why, why_len, "unexpected '%s' after ')'",
                             bf__dist_clip(rest, strlen(rest), q));

    bf_dist d;
    memset(&d, 0, sizeof d);
    d.type = fam->type;
    d.units = units;
    bf_status rc = fam->parse_args
                       ? fam->parse_args(&d, inner, (size_t)(close - inner),
                                         why, why_len)
                       : parse_named(fam, &d, inner, close, why, why_len);
    if (rc != BF_OK) {
        bf_dist_fini(&d);
        return rc;
    }
    /* Parameters can each be finite and still describe a law whose
     * moments overflow (uniform up to 1e308 s, weibull with shape 0.001);
     * such a distribution is useless and would poison every statistic,
     * so it is refused here, once for all families. */
    double m = d.type->mean(&d), var = d.type->variance(&d);
    if (!isfinite(m) || !isfinite(var)) {
        bf_dist_fini(&d);
        return bf__dist_fail(why, why_len, "%s: the parameters are out of "
                             "range (the mean or variance overflows)",
                             fam->usage);
    }
    assert(bf__dist_check(&d));
    *out = d;
    return BF_OK;
}

void bf_dist_const(bf_dist *out, double value, bf_dist_units units)
{
    assert(out && isfinite(value) && value >= 0);
    assert(units == BF_DIST_DURATION || units == BF_DIST_PLAIN);
    memset(out, 0, sizeof *out);
    out->type = bf__dist_const_family.type;
    out->units = units;
    double v[BF__DIST_MAX_PARAMS] = {value};
    bool given[BF__DIST_MAX_PARAMS] = {true};
    bf_status rc = bf__dist_const_family.init(out, v, given, NULL, 0);
    assert(rc == BF_OK);
    (void)rc;
    named_text(&bf__dist_const_family, out, v, given);
}

bf_status bf_dist_copy(bf_dist *dst, const bf_dist *src)
{
    assert(dst && src && dst != src);
    bf_dist tmp = *src;
    if (src->table) {
        size_t bytes = 2 * src->n_table * sizeof *src->table;
        tmp.table = bf_malloc(bytes);
        if (!tmp.table) {
            memset(dst, 0, sizeof *dst);
            return BF_ENOMEM;
        }
        memcpy(tmp.table, src->table, bytes);
    }
    *dst = tmp;
    return BF_OK;
}

void bf_dist_fini(bf_dist *d)
{
    if (!d)
        return;
    bf_free(d->table);
    memset(d, 0, sizeof *d);
}

double bf_dist_mean(const bf_dist *d)
{
    assert(d && d->type);
    return d->type->mean(d);
}

double bf_dist_variance(const bf_dist *d)
{
    assert(d && d->type);
    return d->type->variance(d);
}

const char *const *bf_dist_names(void)
{
    return names;
}
