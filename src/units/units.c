/*
 * units.c - strict parsing and compact printing of the quantities that
 * scenario files are written in (see units.h for the accepted forms).
 *
 * Why strict.  A scenario value is read once and then drives thousands of
 * simulated hours, so a typo must stop the run with a sentence that says
 * what was expected rather than be half-read.  Every parser therefore
 * consumes the whole string: optional blanks, a decimal number, optional
 * blanks, the unit (if any), optional blanks, end.  Anything else is an
 * error naming the offending piece.
 *
 * Numbers.  The extent of the number is found by our own scanner for the
 * decimal grammar  [+-] (digits [. [digits]] | . digits) [(e|E) [+-] digits],
 * and only then handed to strtod for the correctly rounded value.  This is
 * what refuses what strtod would otherwise accept: hexadecimal ("0x1p3"),
 * "nan", "inf" and "infinity".  strtod must stop exactly where the scanner
 * did; if it does not (a locale whose decimal point is not '.'), the value
 * is refused rather than misread.  Overflow ("1e999") is refused; underflow
 * ("1e-999") is accepted and yields the nearest representable value, which
 * may be 0.
 *
 * Blanks are the C-locale white-space characters (space, tab, CR, LF, VT,
 * FF); we test them ourselves so the result does not depend on the locale.
 *
 * Nothing here allocates and there is no state: every function is
 * reentrant.  Error sentences go to the caller's buffer `why` (may be
 * NULL), are always NUL-terminated when why_len > 0 and quote at most a
 * short, clipped piece of the input, so a 10 MB value cannot flood a
 * message.
 */
#include "borderflow/units.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How many characters of user input an error sentence quotes. */
#define QUOTE_MAX 32

/* The time units a duration or a rate may carry, with their length in
 * seconds.  Lower case; matching ignores ASCII case.  Plural or short
 * forms not listed here ("mins", "hrs", "secs") are refused with a
 * "did you mean" hint rather than silently accepted, so the set of
 * spellings stays small and documented. */
static const char *const unit_names[] = {
    "s", "sec", "second", "seconds",
    "min", "minute", "minutes",
    "h", "hr", "hour", "hours",
    "d", "day", "days",
    "w", "week", "weeks",
};
static const double unit_seconds[] = {
    1, 1, 1, 1,
    60, 60, 60,
    3600, 3600, 3600, 3600,
    86400, 86400, 86400,
    604800, 604800, 604800,
};
#define N_UNITS (sizeof unit_names / sizeof unit_names[0])
_Static_assert(sizeof unit_names / sizeof unit_names[0]
                   == sizeof unit_seconds / sizeof unit_seconds[0],
               "unit_names and unit_seconds must be parallel");

static const char DURATION_HINT[] =
    "expected a duration with a unit (s, min, h, d), e.g. 30s or 1.5h";
static const char RATE_HINT[] =
    "expected a rate with a unit (/s, /min, /h, /d), e.g. 240/h or 4/min";
static const char SHARE_HINT[] = "expected a share such as 35% or 0.35";

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v'
           || c == '\f';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static const char *skip_blanks(const char *p)
{
    while (is_blank(*p))
        p++;
    return p;
}

/* Does [p, p+n) equal the lower-case word w, ignoring case? */
static bool word_is(const char *p, size_t n, const char *w)
{
    if (strlen(w) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(p[i]) != w[i])
            return false;
    return true;
}

/* Does p start with the lower-case prefix w, ignoring case? */
static bool starts_with(const char *p, const char *w)
{
    for (; *w; p++, w++)
        if (lower(*p) != *w)
            return false;
    return true;
}

/* Copies at most QUOTE_MAX characters of [s, s+n) into buf, marking a cut
 * with "...".  Returns buf, for use as a printf argument. */
static const char *clip(const char *s, size_t n, char buf[QUOTE_MAX + 4])
{
    if (n > QUOTE_MAX) {
        memcpy(buf, s, QUOTE_MAX);
        memcpy(buf + QUOTE_MAX, "...", 4);
    } else {
        memcpy(buf, s, n);
        buf[n] = '\0';
    }
    return buf;
}

/* Writes a sentence into why (if any) and returns BF_EINVAL. */
static bf_status fail(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bf_status fail(char *why, size_t why_len, const char *fmt, ...)
{
    if (why && why_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_len, fmt, ap);
        va_end(ap);
    }
    return BF_EINVAL;
}

static void clear_why(char *why, size_t why_len)
{
    if (why && why_len > 0)
        why[0] = '\0';
}

/* Looks up the letter run [p, p+n) among the time units.  Returns its
 * length in seconds, or 0 if it is not a unit. */
static double unit_lookup(const char *p, size_t n)
{
    for (size_t i = 0; i < N_UNITS; i++)
        if (word_is(p, n, unit_names[i]))
            return unit_seconds[i];
    return 0;
}

/* The "unknown unit" sentence, with a suggestion when one is close. */
static bf_status fail_unit(const char *p, size_t n, const char *expected,
                           char *why, size_t why_len)
{
    char q[QUOTE_MAX + 4];
    clip(p, n, q);
    /* bf_closest wants a NUL-terminated word; the quoted copy is one, and
     * a word longer than the quote is no plausible typo of a unit. */
    const char *near = n <= QUOTE_MAX ? bf_closest(q, unit_names, N_UNITS) : NULL;
    if (near)
        return fail(why, why_len, "unknown unit '%s'; did you mean '%s'?", q, near);
    return fail(why, why_len, "unknown unit '%s'; %s", q, expected);
}

/* ------------------------------------------------------------------ */
/* The number scanner                                                   */
/* ------------------------------------------------------------------ */

typedef enum scan_result {
    SCAN_OK,   /* *out and *end are set */
    SCAN_NONE, /* no number starts here; nothing written to why */
    SCAN_BAD   /* a number-like thing that we refuse; why is written */
} scan_result;

/* Scans one decimal number starting exactly at s (no leading blanks).
 * On SCAN_OK stores the value and the first character after it. */
static scan_result scan_number(const char *s, double *out, const char **end,
                               char *why, size_t why_len)
{
    char q[QUOTE_MAX + 4];
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;

    /* Refuse the forms strtod would accept but a scenario must not use,
     * with a sentence that names them. */
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        fail(why, why_len,
             "hexadecimal numbers are not allowed; write the value in decimal");
        return SCAN_BAD;
    }
    if (starts_with(p, "nan") || starts_with(p, "inf")) {
        fail(why, why_len,
             "NaN and infinity are not allowed; expected a finite decimal number");
        return SCAN_BAD;
    }

    size_t n_int = 0, n_frac = 0;
    while (is_digit(*p)) {
        p++;
        n_int++;
    }
    if (*p == '.') {
        p++;
        while (is_digit(*p)) {
            p++;
            n_frac++;
        }
    }
    if (n_int + n_frac == 0)
        return SCAN_NONE;
    /* An exponent belongs to the number only if it has digits: in "2e"
     * or "3 each" the letters are left for the caller to judge. */
    if (*p == 'e' || *p == 'E') {
        const char *e = p + 1;
        if (*e == '+' || *e == '-')
            e++;
        if (is_digit(*e)) {
            while (is_digit(*e))
                e++;
            p = e;
        }
    }

    char *stop;
    int saved = errno;
    errno = 0;
    double v = strtod(s, &stop);
    int err = errno;
    errno = saved;
    if (stop != p) {
        fail(why, why_len, "could not read the number '%s' (is the locale's "
             "decimal point not '.'?)", clip(s, (size_t)(p - s), q));
        return SCAN_BAD;
    }
    if ((err == ERANGE && fabs(v) > 1.0) || !isfinite(v)) {
        fail(why, why_len, "the number '%s' is too large",
             clip(s, (size_t)(p - s), q));
        return SCAN_BAD;
    }
    *out = v;
    *end = p;
    return SCAN_OK;
}

/* The length of the run of ASCII letters at p. */
static size_t letter_run(const char *p)
{
    size_t n = 0;
    while (is_letter(p[n]))
        n++;
    return n;
}

/* After the value: only blanks may follow.  what names the quantity for
 * the sentence ("the number", "the duration" ...). */
static bf_status expect_end(const char *p, const char *what, char *why,
                            size_t why_len)
{
    char q[QUOTE_MAX + 4];
    p = skip_blanks(p);
    if (*p == '\0')
        return BF_OK;
    return fail(why, why_len, "unexpected '%s' after %s", clip(p, strlen(p), q),
                what);
}

/* ------------------------------------------------------------------ */
/* Public parsers                                                       */
/* ------------------------------------------------------------------ */

bf_status bf_parse_number(const char *s, double *out, char *why, size_t why_len)
{
    assert(s && out);
    char q[QUOTE_MAX + 4];
    clear_why(why, why_len);
    const char *p = skip_blanks(s);
    if (*p == '\0')
        return fail(why, why_len, "empty value; expected a number, e.g. 2.385");
    double v;
    switch (scan_number(p, &v, &p, why, why_len)) {
    case SCAN_OK:
        break;
    case SCAN_NONE:
        return fail(why, why_len, "expected a number, e.g. 2.385, not '%s'",
                    clip(p, strlen(p), q));
    case SCAN_BAD:
        return BF_EINVAL;
    }
    bf_status rc = expect_end(p, "the number", why, why_len);
    if (rc != BF_OK)
        return rc;
    *out = v;
    return BF_OK;
}

/* The number a quantity starts with (leading blanks skipped); on failure
 * the sentence says what was expected (`hint`).  OUT: *v, and *rest
 * pointing after the number. */
static bf_status lead_number(const char *s, const char *hint, double *v, const char **rest,
                             char *why, size_t why_len)
{
    char q[QUOTE_MAX + 4];
    const char *p = skip_blanks(s);
    if (*p == '\0')
        return fail(why, why_len, "empty value; %s", hint);
    switch (scan_number(p, v, &p, why, why_len)) {
    case SCAN_OK:
        *rest = p;
        return BF_OK;
    case SCAN_NONE:
        return fail(why, why_len, "%s, not '%s'", hint, clip(p, strlen(p), q));
    case SCAN_BAD:
        break;
    }
    return BF_EINVAL;
}

bf_status bf_parse_duration(const char *s, double *out_s, char *why, size_t why_len)
{
    assert(s && out_s);
    char q[QUOTE_MAX + 4];
    clear_why(why, why_len);
    double v;
    const char *p;
    if (lead_number(s, DURATION_HINT, &v, &p, why, why_len) != BF_OK)
        return BF_EINVAL;

    p = skip_blanks(p);
    if (*p == '\0')
        return fail(why, why_len, "%s", DURATION_HINT);
    if (*p == '/')
        return fail(why, why_len,
                    "expected a duration, not a rate: write e.g. 30s or 1.5h");
    size_t n = letter_run(p);
    if (n == 0)
        return fail(why, why_len, "unexpected '%s' after the number; %s",
                    clip(p, strlen(p), q), DURATION_HINT);
    double unit = unit_lookup(p, n);
    if (unit == 0)
        return fail_unit(p, n, "expected s, min, h, d or w", why, why_len);
    bf_status rc = expect_end(p + n, "the duration", why, why_len);
    if (rc != BF_OK)
        return rc;

    if (v < 0)
        return fail(why, why_len, "negative durations are not allowed");
    double secs = v * unit;
    if (!isfinite(secs))
        return fail(why, why_len, "the duration is too large");
    /* + 0.0 turns "-0s" into +0 so no caller ever sees a negative zero. */
    *out_s = secs + 0.0;
    return BF_OK;
}

bf_status bf_parse_rate(const char *s, double *out_per_s, char *why, size_t why_len)
{
    assert(s && out_per_s);
    char q[QUOTE_MAX + 4];
    clear_why(why, why_len);
    double v;
    const char *p;
    if (lead_number(s, RATE_HINT, &v, &p, why, why_len) != BF_OK)
        return BF_EINVAL;

    p = skip_blanks(p);
    if (*p == '\0')
        return fail(why, why_len, "%s", RATE_HINT);
    size_t n = letter_run(p);
    if (*p == '/') {
        p++;
    } else if (word_is(p, n, "per")) {
        p += n;
    } else if (n > 0 && unit_lookup(p, n) != 0) {
        return fail(why, why_len,
                    "expected a rate, not a duration: write e.g. 240/h or 4/min");
    } else {
        return fail(why, why_len, "unexpected '%s' after the number; %s",
                    clip(p, strlen(p), q), RATE_HINT);
    }

    p = skip_blanks(p);
    n = letter_run(p);
    if (n == 0)
        return fail(why, why_len, "expected a time unit after '/' or 'per', "
                    "e.g. 240/h or 12 per h");
    double unit = unit_lookup(p, n);
    if (unit == 0)
        return fail_unit(p, n, "expected /s, /min, /h, /d or /w", why, why_len);
    bf_status rc = expect_end(p + n, "the rate", why, why_len);
    if (rc != BF_OK)
        return rc;

    if (v < 0)
        return fail(why, why_len, "negative rates are not allowed");
    /* Dividing by a unit >= 1 s cannot overflow; it may underflow to 0
     * for absurdly small rates, which is then what the rate is. */
    *out_per_s = v / unit + 0.0;
    return BF_OK;
}

bf_status bf_parse_share(const char *s, double *out, char *why, size_t why_len)
{
    assert(s && out);
    char q[QUOTE_MAX + 4];
    clear_why(why, why_len);
    const char *p = skip_blanks(s);
    if (*p == '\0')
        return fail(why, why_len, "empty value; %s", SHARE_HINT);
    const char *num = p;
    double v;
    switch (scan_number(p, &v, &p, why, why_len)) {
    case SCAN_OK:
        break;
    case SCAN_NONE:
        return fail(why, why_len, "%s, not '%s'", SHARE_HINT,
                    clip(p, strlen(p), q));
    case SCAN_BAD:
        return BF_EINVAL;
    }
    size_t num_len = (size_t)(p - num);
    p = skip_blanks(p);
    bool percent = *p == '%';
    if (percent)
        p++;
    bf_status rc = expect_end(p, "the share", why, why_len);
    if (rc != BF_OK)
        return rc;

    if (percent) {
        if (!(v >= 0 && v <= 100))
            return fail(why, why_len, "a share must be between 0%% and 100%%");
        v /= 100;
    } else if (!(v >= 0 && v <= 1)) {
        /* "35" is almost certainly 35% with the sign forgotten. */
        if (v > 1 && v <= 100)
            return fail(why, why_len,
                        "a share must be between 0 and 1; did you mean %s%%?",
                        clip(num, num_len, q));
        return fail(why, why_len,
                    "a share must be between 0 and 1 (or 0%% and 100%%)");
    }
    *out = v + 0.0;
    return BF_OK;
}

/* "between 1 and 64", ">= 1", "<= 64" or nothing, for the int messages. */
static void describe_range(long long min, long long max, char *buf, size_t len)
{
    if (min == LLONG_MIN && max == LLONG_MAX)
        snprintf(buf, len, "a whole number");
    else if (max == LLONG_MAX)
        snprintf(buf, len, "a whole number >= %lld", min);
    else if (min == LLONG_MIN)
        snprintf(buf, len, "a whole number <= %lld", max);
    else
        snprintf(buf, len, "a whole number between %lld and %lld", min, max);
}

bf_status bf_parse_int(const char *s, long long min, long long max,
                       long long *out, char *why, size_t why_len)
{
    assert(s && out && min <= max);
    char q[QUOTE_MAX + 4];
    char range[96];
    describe_range(min, max, range, sizeof range);
    clear_why(why, why_len);

    const char *p = skip_blanks(s);
    if (*p == '\0')
        return fail(why, why_len, "empty value; expected %s", range);
    /* Read it as a number first, so hexadecimal, NaN and trailing junk get
     * the same sentences as everywhere else; then insist that it was
     * written as a whole number (no fraction, no exponent). */
    const char *start = p, *after;
    double ignored;
    switch (scan_number(start, &ignored, &after, why, why_len)) {
    case SCAN_OK:
        break;
    case SCAN_NONE:
        return fail(why, why_len, "expected %s, not '%s'", range,
                    clip(start, strlen(start), q));
    case SCAN_BAD:
        return BF_EINVAL;
    }
    bf_status rc = expect_end(after, "the whole number", why, why_len);
    if (rc != BF_OK)
        return rc;
    if (*p == '+' || *p == '-')
        p++;
    while (is_digit(*p))
        p++;
    if (p != after)
        return fail(why, why_len, "expected %s, not '%s'", range,
                    clip(start, (size_t)(after - start), q));

    int saved = errno;
    errno = 0;
    char *stop;
    long long v = strtoll(start, &stop, 10);
    int err = errno;
    errno = saved;
    assert(stop == after);
    if (err == ERANGE || v < min || v > max)
        return fail(why, why_len, "expected %s, not %s", range,
                    clip(start, (size_t)(after - start), q));
    *out = v;
    return BF_OK;
}

/* ------------------------------------------------------------------ */
/* Printing                                                             */
/* ------------------------------------------------------------------ */

/* Does "%g" of v read back as v, to within a relative 1e-12?  The slack
 * absorbs the rounding of a unit conversion: "2.385h" is stored as
 * 2.385 * 3600 s, which divided back by 3600 need not be the double
 * nearest 2.385. */
static bool prints_exactly(double v)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%g", v);
    double back = strtod(tmp, NULL);
    return fabs(back - v) <= 1e-12 * fabs(v);
}

int bf_format_duration(double seconds, char *buf, size_t len)
{
    static const char *const names[] = {"d", "h", "min", "s"};
    static const double size[] = {86400, 3600, 60, 1};
    enum { N = 4 };

    if (!isfinite(seconds))
        return snprintf(buf, len, "%g", seconds);
    double a = fabs(seconds);
    /* First choice: the largest unit in which the value is at least 1
     * and prints exactly in %g's six digits ("2.5min", not "150s"; but
     * "61s", not "1.01667min").  Otherwise the largest unit in which it
     * is at least 1, accepting %g's rounding. */
    int pick = -1;
    for (int i = 0; i < N && pick < 0; i++)
        if (a >= size[i] && prints_exactly(seconds / size[i]))
            pick = i;
    for (int i = 0; i < N && pick < 0; i++)
        if (a >= size[i])
            pick = i;
    if (pick < 0)
        pick = N - 1; /* below one second (or zero): seconds */
    return snprintf(buf, len, "%g%s", seconds / size[pick] + 0.0, names[pick]);
}

/* ------------------------------------------------------------------ */
/* Data sizes and bandwidths (decimal units: 1 GB = 10^9 bytes)        */
/* ------------------------------------------------------------------ */

/* Bytes in one unit named p[0..n), or 0 if it is not a size unit. */
static double size_unit(const char *p, size_t n)
{
    static const struct {
        const char *name;
        double bytes;
    } units[] = {{"b", 1.0},    {"kb", 1e3},  {"mb", 1e6},  {"gb", 1e9},
                 {"tb", 1e12},  {"pb", 1e15}, {"kib", 1024.0}, {"mib", 1048576.0},
                 {"gib", 1073741824.0}, {"tib", 1099511627776.0}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (word_is(p, n, units[i].name))
            return units[i].bytes;
    return 0.0;
}

bf_status bf_parse_size(const char *s, double *out_bytes, char *why, size_t why_len)
{
    char q[QUOTE_MAX + 4];
    clear_why(why, why_len);
    const char *p = skip_blanks(s);
    double v;
    const char *end;
    if (lead_number(p, "expected a data size such as 2GB or 500MB", &v, &end, why,
                    why_len) != BF_OK)
        return BF_EINVAL;
    if (v < 0)
        return fail(why, why_len, "negative sizes are not allowed");
    end = skip_blanks(end);
    size_t n = letter_run(end);
    double unit = size_unit(end, n);
    if (n == 0 || unit == 0.0)
        return fail(why, why_len, "expected a data size with a unit (B, KB, MB, GB, TB), "
                    "e.g. 2GB, not '%s'", clip(p, strlen(p), q));
    *out_bytes = v * unit;
    return expect_end(end + n, "the size", why, why_len);
}

bf_status bf_parse_bandwidth(const char *s, double *out_bits_per_s, char *why, size_t why_len)
{
    char q[QUOTE_MAX + 4];
    static const char hint[] = "expected a bandwidth such as 10Gbit/s, 100Mbit/s or 1GB/s";
    clear_why(why, why_len);
    const char *p = skip_blanks(s);
    double v;
    const char *end;
    if (lead_number(p, hint, &v, &end, why, why_len) != BF_OK)
        return BF_EINVAL;
    if (!(v > 0))
        return fail(why, why_len, "the bandwidth must be > 0");
    end = skip_blanks(end);
    size_t n = letter_run(end);
    /* bit units: bit, kbit, Mbit, Gbit, Tbit (also bps forms); byte units
     * as for sizes. */
    static const struct {
        const char *name;
        double bits;
    } bits[] = {{"bit", 1.0}, {"kbit", 1e3}, {"mbit", 1e6}, {"gbit", 1e9}, {"tbit", 1e12},
                {"bps", 1.0}, {"kbps", 1e3}, {"mbps", 1e6}, {"gbps", 1e9}, {"tbps", 1e12}};
    double unit = 0.0;
    bool per_s_in_unit = false;
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (word_is(end, n, bits[i].name)) {
            unit = bits[i].bits;
            per_s_in_unit = i >= 5;
        }
    if (unit == 0.0) {
        double b = size_unit(end, n);
        if (b > 0.0)
            unit = 8.0 * b;
    }
    if (n == 0 || unit == 0.0)
        return fail(why, why_len, "%s, not '%s'", hint, clip(p, strlen(p), q));
    const char *rest = skip_blanks(end + n);
    if (!per_s_in_unit) {
        if (rest[0] != '/' || !(rest[1] == 's' || rest[1] == 'S'))
            return fail(why, why_len, "%s: the unit needs '/s', not '%s'", hint,
                        clip(p, strlen(p), q));
        rest += 2;
    }
    *out_bits_per_s = v * unit;
    return expect_end(rest, "the bandwidth", why, why_len);
}

int bf_units_expand_sizes(const char *in, char *out, size_t len)
{
    /* Copy in to out, replacing every number that is directly followed by
     * a size unit ("2GB", "1.5 TB") by the number of bytes, so that the
     * distribution parser, which knows durations and plain numbers, can
     * read data volumes. */
    size_t o = 0;
    const char *p = in;
    while (*p) {
        bool at_token = p == in || !(is_letter(p[-1]) || is_digit(p[-1]) || p[-1] == '.');
        double v;
        const char *end;
        if (at_token && (is_digit(*p) || *p == '.') &&
            scan_number(p, &v, &end, NULL, 0) == SCAN_OK) {
            const char *u = skip_blanks(end);
            size_t n = letter_run(u);
            double unit = size_unit(u, n);
            if (n && unit > 0.0) {
                int w = snprintf(out + o, o < len ? len - o : 0, "%.17g", v * unit);
                if (w < 0)
                    return -1;
                o += (size_t)w;
                p = u + n;
                continue;
            }
        }
        if (o + 1 < len)
            out[o] = *p;
        o++;
        p++;
    }
    if (len)
        out[o < len ? o : len - 1] = 0;
    return o < len ? (int)o : -1;
}
