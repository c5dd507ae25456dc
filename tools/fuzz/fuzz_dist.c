/*
 * fuzz_dist.c - libFuzzer target for the distribution parser and the unit
 * parsers (units.h).
 *
 * The low three bits of the first input byte choose what the rest is fed
 * to (so the digits '0' to '7' select modes 0 to 7 and seeds stay text):
 * 0 distribution with units, 1 plain distribution, 2 duration, 3 rate,
 * 4 share, 5 whole number, 6 number, 7 bf_format_duration of the next
 * eight bytes; the high bits size the `why` buffer.  The letters 'a', 'b'
 * and 'c' select the data units instead: bf_parse_size, bf_parse_bandwidth,
 * and bf_units_expand_sizes followed by a plain distribution (what a
 * class's `volume` goes through).  The rest becomes a
 * NUL-terminated string (a NUL inside it simply ends the string early,
 * as it would in a scenario value).  Besides "no crash, no sanitizer
 * report", it checks the properties callers rely on:
 *
 *   - a parsed distribution has a finite mean and variance and draws
 *     samples that are finite and >= 0;
 *   - its canonical text (what `borderflow check` prints) parses again to
 *     a distribution of nearly the same mean (the text rounds to %g's six
 *     digits, hence the tolerance), unless it was cut short with "...";
 *   - a parsed duration printed by bf_format_duration reads back;
 *   - the `why` sentence is NUL-terminated whatever the buffer size.
 *
 * A violated property aborts (a "crash" for libFuzzer) with a line on
 * stderr saying which.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "borderflow/dist.h"
#include "borderflow/rng.h"
#include "borderflow/units.h"

#define REQUIRE(cond, ...)                                                   \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "fuzz_dist: property violated: " __VA_ARGS__);   \
            fprintf(stderr, "\n");                                           \
            abort();                                                         \
        }                                                                    \
    } while (0)

static bool close_enough(double a, double b, double rel)
{
    if (a == b)
        return true;
    return fabs(a - b) <= rel * fmax(fabs(a), fabs(b));
}

static void check_why(const char *why, size_t len)
{
    if (len > 0)
        REQUIRE(memchr(why, '\0', len) != NULL, "why is not NUL-terminated");
}

static void fuzz_dist(const char *s, bf_dist_units units)
{
    bf_dist d;
    char why[256];
    bf_status st = bf_dist_parse(s, units, &d, why, sizeof why);
    check_why(why, sizeof why);
    if (st != BF_OK) {
        REQUIRE(d.type == NULL && d.table == NULL, "failed parse left *out non-empty");
        REQUIRE(why[0] != '\0', "failed parse without a sentence");
        bf_dist_fini(&d);
        return;
    }
    double mean = bf_dist_mean(&d), var = bf_dist_variance(&d);
    REQUIRE(isfinite(mean) && mean >= 0, "mean %g of '%s'", mean, d.text);
    REQUIRE(isfinite(var) && var >= -1e-9 * (mean * mean + 1), "variance %g of '%s'", var,
            d.text);

    bf_rng r;
    bf_rng_seed(&r, 7, 0, "fuzz");
    for (int i = 0; i < 64; i++) {
        double x = bf_dist_sample(&d, &r);
        REQUIRE(isfinite(x) && x >= 0, "sample %g of '%s'", x, d.text);
    }

    bf_dist c;
    if (bf_dist_copy(&c, &d) == BF_OK) {
        REQUIRE(bf_dist_mean(&c) == mean, "copy changed the mean");
        bf_dist_fini(&c);
    }

    if (!strstr(d.text, "...")) {
        bf_dist back;
        char why2[256];
        st = bf_dist_parse(d.text, units, &back, why2, sizeof why2);
        REQUIRE(st == BF_OK, "canonical text '%s' of '%.60s' does not parse: %s", d.text, s,
                why2);
        double m2 = bf_dist_mean(&back);
        REQUIRE(close_enough(mean, m2, 1e-2) || (mean < 1e-300 && m2 < 1e-300),
                "canonical text '%s' has mean %.17g, the original %.17g", d.text, m2, mean);
        bf_dist_fini(&back);
    }
    bf_dist_fini(&d);
}

static void fuzz_data_units(uint8_t mode, const char *s)
{
    char why[256];
    double v;
    switch (mode) {
    case 'a':
        if (bf_parse_size(s, &v, why, sizeof why) == BF_OK)
            REQUIRE(v >= 0 && !isnan(v), "size %g", v);
        else
            check_why(why, sizeof why);
        break;
    case 'b':
        if (bf_parse_bandwidth(s, &v, why, sizeof why) == BF_OK)
            REQUIRE(v > 0 && !isnan(v), "bandwidth %g", v);
        else
            check_why(why, sizeof why);
        break;
    case 'c': {
        /* Both a roomy and a tight output buffer. */
        char out[512], small[24];
        int n = bf_units_expand_sizes(s, out, sizeof out);
        REQUIRE(n < 0 || (size_t)n == strlen(out), "expand_sizes returned %d for %zu", n,
                strlen(out));
        int m = bf_units_expand_sizes(s, small, sizeof small);
        REQUIRE(memchr(small, '\0', sizeof small) != NULL, "expand_sizes not terminated");
        REQUIRE(m < 0 || n == m, "expand_sizes %d vs %d", n, m);
        if (n >= 0)
            fuzz_dist(out, BF_DIST_PLAIN);
        break;
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    char *s = malloc(size);
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    /* A why buffer of a size chosen by the input, to exercise truncation. */
    size_t why_len = (mode >> 4) * 7;
    char why[128];
    double v;

    if (mode >= 'a' && mode <= 'c') {
        fuzz_data_units(mode, s);
        free(s);
        return 0;
    }
    switch (mode & 7) {
    case 0: fuzz_dist(s, BF_DIST_DURATION); break;
    case 1: fuzz_dist(s, BF_DIST_PLAIN); break;
    case 2:
        if (bf_parse_duration(s, &v, why_len ? why : NULL, why_len) == BF_OK) {
            REQUIRE(isfinite(v) && v >= 0 && !signbit(v), "duration %g", v);
            char buf[64], why2[256];
            bf_format_duration(v, buf, sizeof buf);
            double back;
            REQUIRE(bf_parse_duration(buf, &back, why2, sizeof why2) == BF_OK,
                    "formatted duration '%s' does not parse: %s", buf, why2);
            REQUIRE(close_enough(v, back, 1e-5) || v < 1e-300,
                    "duration %.17g printed as '%s' reads back as %.17g", v, buf, back);
        } else {
            check_why(why, why_len);
        }
        break;
    case 3:
        if (bf_parse_rate(s, &v, why_len ? why : NULL, why_len) == BF_OK)
            REQUIRE(isfinite(v) && v >= 0 && !signbit(v), "rate %g", v);
        else
            check_why(why, why_len);
        break;
    case 4:
        if (bf_parse_share(s, &v, why_len ? why : NULL, why_len) == BF_OK)
            REQUIRE(v >= 0 && v <= 1 && !signbit(v), "share %g", v);
        else
            check_why(why, why_len);
        break;
    case 5: {
        /* The bounds come from the input too (min <= max is a precondition). */
        long long lo = -(long long)(mode >> 3), hi = (long long)(mode >> 3) * 1000;
        long long n;
        if (bf_parse_int(s, lo, hi, &n, why_len ? why : NULL, why_len) == BF_OK)
            REQUIRE(n >= lo && n <= hi, "int %lld outside [%lld, %lld]", n, lo, hi);
        else
            check_why(why, why_len);
        break;
    }
    case 6:
        if (bf_parse_number(s, &v, why_len ? why : NULL, why_len) == BF_OK)
            REQUIRE(isfinite(v), "number %g", v);
        else
            check_why(why, why_len);
        break;
    case 7:
        if (size - 1 >= sizeof(double)) {
            double x;
            memcpy(&x, data + 1, sizeof x);
            char buf[64];
            bf_format_duration(x, buf, (mode >> 3) % 64 + 1);
            REQUIRE(memchr(buf, '\0', (mode >> 3) % 64 + 1), "format not terminated");
        }
        break;
    }
    free(s);
    return 0;
}
