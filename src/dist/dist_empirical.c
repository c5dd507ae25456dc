/*
 * dist_empirical.c - a discrete distribution given as a table of values
 * and their shares.
 *
 * Text: empirical(30s 20%, 1min 50%, 5min 30%).  Each entry is a value
 * (a duration, or a bare number with BF_DIST_PLAIN) and a share ("20%" or
 * "0.2"), separated by blanks; entries are separated by commas.  The
 * shares must add up to 1 within 1e-9; a share of 0 is allowed (the value
 * is then never drawn).  Values need not be sorted or distinct.
 *
 * Splitting an entry.  A duration may itself contain a blank ("30 s"), so
 * an entry is split at its LAST run of blanks that is followed by the
 * start of a number (a digit, '.', '+' or '-'): "30 s 20 %" is "30 s" and
 * "20 %".
 *
 * Table (owned by the bf_dist, 2 n doubles): table[0 .. n) are the
 * values, table[n .. 2n) the cumulative shares, divided by their sum so
 * that the last one is exactly 1.0.
 *
 * Sampling: U uniform on [0, 1), then the first i with cum[i] > U, found
 * by binary search (O(log n), no allocation).  Because cum[n-1] = 1 > U
 * such an i always exists; an entry with share 0 has cum[i] = cum[i-1]
 * and is never the first to exceed U.  The law sampled is therefore
 * P(value i) = cum[i] - cum[i-1], and mean() and variance() are computed
 * from exactly those differences.
 *
 * Parsing is two passes over the text: the first checks every entry and
 * counts them, the second (which cannot fail) fills the table.  So the
 * only allocation happens after the input is known to be good, and its
 * size is bounded by the input's length.
 */
#include "dist/dist_int.h"

#include "borderflow/units.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static double empirical_sample(const bf_dist *d, bf_rng *r)
{
    const double *cum = d->table + d->n_table;
    double u = bf_rng_uniform(r);
    size_t lo = 0, hi = d->n_table - 1;
    /* Invariant: the answer is in [lo, hi]; cum[hi] > u. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cum[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return d->table[lo];
}

static double empirical_mean(const bf_dist *d)
{
    const double *cum = d->table + d->n_table;
    double m = 0, prev = 0;
    for (size_t i = 0; i < d->n_table; i++) {
        m += d->table[i] * (cum[i] - prev);
        prev = cum[i];
    }
    return m;
}

static double empirical_variance(const bf_dist *d)
{
    /* Two passes (mean first) rather than E[X^2] - E[X]^2, which cancels
     * badly for values like 1000s +- 1s. */
    const double *cum = d->table + d->n_table;
    double m = empirical_mean(d), v = 0, prev = 0;
    for (size_t i = 0; i < d->n_table; i++) {
        double x = d->table[i] - m;
        v += x * x * (cum[i] - prev);
        prev = cum[i];
    }
    return v;
}

static bool starts_number(char c)
{
    return (c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-';
}

static const char ENTRY_HINT[] = "e.g. empirical(30s 20%, 1min 80%)";

/* Reads entry number k (1-based), the trimmed text [s, e), into its value
 * and share. */
static bf_status parse_entry(const char *s, const char *e, size_t k,
                             bf_dist_units units, double *value, double *share,
                             char *why, size_t why_len)
{
    char q[BF__DIST_QUOTE + 4];
    char label[64];
    if (memchr(s, '=', (size_t)(e - s)))
        return bf__dist_fail(why, why_len, "empirical takes entries "
                             "'value share', not name=value, %s", ENTRY_HINT);
    const char *split = NULL;
    for (const char *p = s + 1; p < e; p++)
        if (bf__dist_is_blank(p[-1]) && !bf__dist_is_blank(*p)
            && starts_number(*p))
            split = p;
    if (!split)
        return bf__dist_fail(why, why_len, "entry %zu '%s': expected a value "
                             "and a share, %s", k,
                             bf__dist_clip(s, (size_t)(e - s), q), ENTRY_HINT);
    const char *ve = split;
    bf__dist_trim(&s, &ve);

    snprintf(label, sizeof label, "entry %zu", k);
    bf_status rc = bf__dist_read_value(s, (size_t)(ve - s), BF__DIST_TIME, units,
                                       label, value, why, why_len);
    if (rc != BF_OK)
        return rc;

    /* A share is a share whatever the units: read it as such. */
    char buf[64];
    size_t n = (size_t)(e - split);
    if (n >= sizeof buf)
        return bf__dist_fail(why, why_len, "share of entry %zu: the value is "
                             "too long", k);
    memcpy(buf, split, n);
    buf[n] = '\0';
    char inner[256];
    if (bf_parse_share(buf, share, inner, sizeof inner) != BF_OK)
        return bf__dist_fail(why, why_len, "share of entry %zu: %s", k, inner);
    return BF_OK;
}

/* Walks the entries of [args, args + n).  With table == NULL it only
 * checks them, counting into *count and summing the shares into *sum;
 * with a table it also stores values and (raw) shares. */
static bf_status walk(const char *args, size_t n, bf_dist_units units,
                      double *table, size_t n_table, size_t *count, double *sum,
                      char *why, size_t why_len)
{
    const char *p = args, *end = args + n;
    size_t k = 0;
    double total = 0;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *s = p, *e = comma ? comma : end;
        bf__dist_trim(&s, &e);
        if (s == e)
            return bf__dist_fail(why, why_len, "expected an entry %s ','",
                                 k == 0 ? "before" : "after");
        double value, share;
        bf_status rc = parse_entry(s, e, k + 1, units, &value, &share, why,
                                   why_len);
        if (rc != BF_OK)
            return rc;
        if (table) {
            assert(k < n_table);
            table[k] = value;
            table[n_table + k] = share;
        }
        total += share;
        k++;
        if (!comma)
            break;
        p = comma + 1;
    }
    *count = k;
    *sum = total;
    return BF_OK;
}

static bf_status empirical_parse(bf_dist *d, const char *args, size_t n_args,
                                 char *why, size_t why_len)
{
    const char *s = args, *e = args + n_args;
    bf__dist_trim(&s, &e);
    if (s == e)
        return bf__dist_fail(why, why_len, "empirical needs at least one "
                             "entry, %s", ENTRY_HINT);

    size_t n;
    double sum;
    bf_status rc = walk(args, n_args, d->units, NULL, 0, &n, &sum, why, why_len);
    if (rc != BF_OK)
        return rc;
    if (!(fabs(sum - 1.0) <= 1e-9))
        return bf__dist_fail(why, why_len, "empirical shares must add up to "
                             "100%%; these add up to %.10g%%", sum * 100);

    /* n <= n_args / 2, so this cannot overflow; the check documents it. */
    double *table = n <= SIZE_MAX / (2 * sizeof(double))
                        ? bf_malloc(2 * n * sizeof *table) : NULL;
    if (!table) {
        bf__dist_fail(why, why_len, "out of memory for the empirical table");
        return BF_ENOMEM;
    }
    size_t n2;
    double sum2;
    rc = walk(args, n_args, d->units, table, n, &n2, &sum2, why, why_len);
    assert(rc == BF_OK && n2 == n && sum2 == sum);
    (void)n2;
    (void)sum2;
    if (rc != BF_OK) {
        /* The first pass accepted the same text, so only a bug gets here. */
        bf_free(table);
        return rc;
    }

    /* The text first, while the table still holds the shares as written. */
    size_t pos = 0, cap = sizeof d->text;
    bf__dist_text_append(d->text, cap, &pos, "empirical(");
    for (size_t i = 0; i < n; i++) {
        if (i)
            bf__dist_text_append(d->text, cap, &pos, ", ");
        bf__dist_text_value(d->text, cap, &pos, table[i], BF__DIST_TIME,
                            d->units);
        bf__dist_text_append(d->text, cap, &pos, " %g%%", table[n + i] * 100);
    }
    bf__dist_text_append(d->text, cap, &pos, ")");

    double *cum = table + n, acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc += cum[i];
        cum[i] = acc / sum;
    }
    cum[n - 1] = 1.0;
    /* Rounding could leave an earlier partial sum a hair above 1. */
    for (size_t i = 0; i < n; i++)
        if (cum[i] > 1.0)
            cum[i] = 1.0;
    d->table = table;
    d->n_table = n;
    return BF_OK;
}

static const bf_dist_type empirical_type = {
    "empirical", empirical_sample, empirical_mean, empirical_variance,
};

const bf__dist_family bf__dist_empirical_family = {
    .type = &empirical_type,
    .usage = "empirical(value share, ...)",
    .n_params = 0,
    .parse_args = empirical_parse,
};
