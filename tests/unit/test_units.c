/*
 * test_units.c - unit tests for the quantity parsers and the duration
 * printer (units.h, units.c).
 *
 * Every accepted form is checked for its value in base units, every
 * refusal for its status and its exact sentence: the sentences are the
 * user interface of a scenario error, so a change to one should be a
 * deliberate change to this file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "borderflow/units.h"

/* Relative closeness for values that went through one multiplication or
 * division by a unit: a few ulps. */
static bool close_rel(double a, double b)
{
    return fabs(a - b) <= 1e-14 * fmax(fabs(a), fabs(b));
}

typedef bf_status (*parse_fn)(const char *s, double *out, char *why, size_t why_len);

static void want_value(parse_fn f, const char *s, double want)
{
    double got = -12345.678;
    char why[256] = "untouched";
    bf_status rc = f(s, &got, why, sizeof why);
    if (rc != BF_OK || !close_rel(got, want))
        fail_msg("'%s': rc %d, got %.17g, want %.17g (%s)", s, rc, got, want, why);
    assert_string_equal(why, "");
}

static void want_error(parse_fn f, const char *s, const char *msg)
{
    double got = -12345.678;
    char why[256];
    bf_status rc = f(s, &got, why, sizeof why);
    if (rc != BF_EINVAL || strcmp(why, msg) != 0)
        fail_msg("'%s': rc %d, why '%s', want '%s'", s, rc, why, msg);
    /* A refused value leaves the output alone. */
    assert_true(got == -12345.678);
}

static const char DURATION_HINT[] =
    "expected a duration with a unit (s, min, h, d), e.g. 30s or 1.5h";
static const char RATE_HINT[] =
    "expected a rate with a unit (/s, /min, /h, /d), e.g. 240/h or 4/min";

/* ------------------------------------------------------------------ */
/* Numbers                                                              */
/* ------------------------------------------------------------------ */

static void test_units_number_accepts_decimal_forms(void **state)
{
    (void)state;
    want_value(bf_parse_number, "2.385", 2.385);
    want_value(bf_parse_number, "  -17.25\t", -17.25);
    want_value(bf_parse_number, "+.625", 0.625);
    want_value(bf_parse_number, "3.", 3.0);
    want_value(bf_parse_number, "7.15e-3", 7.15e-3);
    want_value(bf_parse_number, "6.02E+23", 6.02e23);
    want_value(bf_parse_number, "0", 0.0);
    /* Underflow is accepted and rounds to the nearest double (here 0). */
    want_value(bf_parse_number, "1e-999", 0.0);
}

static void test_units_number_refusals_say_why(void **state)
{
    (void)state;
    want_error(bf_parse_number, "", "empty value; expected a number, e.g. 2.385");
    want_error(bf_parse_number, "   ", "empty value; expected a number, e.g. 2.385");
    want_error(bf_parse_number, "abc", "expected a number, e.g. 2.385, not 'abc'");
    want_error(bf_parse_number, "0x1p3",
               "hexadecimal numbers are not allowed; write the value in decimal");
    want_error(bf_parse_number, "-0X1A",
               "hexadecimal numbers are not allowed; write the value in decimal");
    const char *nonfinite[] = {"nan", "NaN", "-inf", "Infinity", "+INF"};
    for (size_t i = 0; i < sizeof nonfinite / sizeof nonfinite[0]; i++)
        want_error(
            bf_parse_number, nonfinite[i],
            "NaN and infinity are not allowed; expected a finite decimal number");
    want_error(bf_parse_number, "2.385 kg", "unexpected 'kg' after the number");
    want_error(bf_parse_number, "1,5", "unexpected ',5' after the number");
    want_error(bf_parse_number, "1e999", "the number '1e999' is too large");
    want_error(bf_parse_number, "-1e999", "the number '-1e999' is too large");
    /* "2e" has no exponent digits, so the 'e' is trailing junk. */
    want_error(bf_parse_number, "2e", "unexpected 'e' after the number");
}

static void test_units_number_quotes_are_clipped(void **state)
{
    (void)state;
    /* A huge value must not flood the sentence (why holds 512 bytes in
     * bf_error): at most 32 characters are quoted, then "...". */
    char big[4096];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    big[0] = '1';
    char why[256];
    double v;
    assert_int_equal(bf_parse_number(big, &v, why, sizeof why), BF_EINVAL);
    assert_string_equal(why, "unexpected 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...' "
                             "after the number");
}

static void test_units_why_may_be_null_or_short(void **state)
{
    (void)state;
    double v = 0;
    assert_int_equal(bf_parse_duration("45", &v, NULL, 0), BF_EINVAL);
    assert_int_equal(bf_parse_duration("45s", &v, NULL, 0), BF_OK);
    assert_true(v == 45.0);
    char why[8];
    memset(why, 'x', sizeof why);
    assert_int_equal(bf_parse_duration("45", &v, why, sizeof why), BF_EINVAL);
    assert_string_equal(why, "expecte"); /* truncated, NUL-terminated */
    long long n;
    assert_int_equal(bf_parse_int("x", 0, 9, &n, NULL, 0), BF_EINVAL);
}

/* ------------------------------------------------------------------ */
/* Durations                                                            */
/* ------------------------------------------------------------------ */

static void test_units_duration_every_unit(void **state)
{
    (void)state;
    static const struct {
        const char *unit;
        double seconds;
    } units[] = {
        {"s", 1},          {"sec", 1},      {"second", 1},   {"seconds", 1},
        {"min", 60},       {"minute", 60},  {"minutes", 60}, {"h", 3600},
        {"hr", 3600},      {"hour", 3600},  {"hours", 3600}, {"d", 86400},
        {"day", 86400},    {"days", 86400}, {"w", 604800},   {"week", 604800},
        {"weeks", 604800},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        char text[96], upper[16];
        snprintf(text, sizeof text, "2.385%s", units[i].unit);
        want_value(bf_parse_duration, text, 2.385 * units[i].seconds);
        /* Case does not matter, and a blank may separate number and unit. */
        size_t n = strlen(units[i].unit);
        for (size_t j = 0; j <= n; j++) {
            char c = units[i].unit[j];
            upper[j] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
        }
        snprintf(text, sizeof text, "17.25 %s", upper);
        want_value(bf_parse_duration, text, 17.25 * units[i].seconds);
    }
}

static void test_units_duration_blanks(void **state)
{
    (void)state;
    want_value(bf_parse_duration, "45s", 45);
    want_value(bf_parse_duration, "  45s  ", 45);
    want_value(bf_parse_duration, "45   s", 45);
    want_value(bf_parse_duration, "\t1.5\th\n", 5400);
    want_value(bf_parse_duration, ".75 Min", 45);
}

static void test_units_duration_boundaries(void **state)
{
    (void)state;
    want_value(bf_parse_duration, "0s", 0);
    want_value(bf_parse_duration, "1e-300 s", 1e-300);
    want_value(bf_parse_duration, "1e300w", 1e300 * 604800);
    /* -0 is not negative, and comes back as +0. */
    double v = -1;
    assert_int_equal(bf_parse_duration("-0s", &v, NULL, 0), BF_OK);
    assert_true(v == 0 && !signbit(v));
    want_error(bf_parse_duration, "-1e-300s", "negative durations are not allowed");
    want_error(bf_parse_duration, "1e305w", "the duration is too large");
}

static void test_units_duration_bare_number_is_refused(void **state)
{
    (void)state;
    want_error(bf_parse_duration, "45", DURATION_HINT);
    want_error(bf_parse_duration, " 2.385 ", DURATION_HINT);
}

static void test_units_duration_errors(void **state)
{
    (void)state;
    char want[256];
    snprintf(want, sizeof want, "empty value; %s", DURATION_HINT);
    want_error(bf_parse_duration, "", want);
    want_error(bf_parse_duration, " \t", want);
    snprintf(want, sizeof want, "%s, not 'min'", DURATION_HINT);
    want_error(bf_parse_duration, "min", want);
    want_error(bf_parse_duration, "-3s", "negative durations are not allowed");
    want_error(bf_parse_duration, "-2.385 h", "negative durations are not allowed");
    want_error(bf_parse_duration, "30 mins",
               "unknown unit 'mins'; did you mean 'min'?");
    want_error(bf_parse_duration, "2hrs", "unknown unit 'hrs'; did you mean 'hr'?");
    want_error(bf_parse_duration, "3 secs", "unknown unit 'secs'; did you mean 'sec'?");
    want_error(bf_parse_duration, "5 fortnights",
               "unknown unit 'fortnights'; expected s, min, h, d or w");
    want_error(bf_parse_duration, "30s extra", "unexpected 'extra' after the duration");
    want_error(bf_parse_duration, "30s5", "unexpected '5' after the duration");
    snprintf(want, sizeof want, "unexpected '%%' after the number; %s", DURATION_HINT);
    want_error(bf_parse_duration, "30%", want);
    want_error(bf_parse_duration, "240/h",
               "expected a duration, not a rate: write e.g. 30s or 1.5h");
    want_error(bf_parse_duration, "0x1Es",
               "hexadecimal numbers are not allowed; write the value in decimal");
    want_error(bf_parse_duration, "inf s",
               "NaN and infinity are not allowed; expected a finite decimal number");
}

/* ------------------------------------------------------------------ */
/* Rates                                                                */
/* ------------------------------------------------------------------ */

static void test_units_rate_forms(void **state)
{
    (void)state;
    want_value(bf_parse_rate, "240/h", 240.0 / 3600);
    want_value(bf_parse_rate, "4 / min", 4.0 / 60);
    want_value(bf_parse_rate, "0.5/s", 0.5);
    want_value(bf_parse_rate, "100/d", 100.0 / 86400);
    want_value(bf_parse_rate, "12 per h", 12.0 / 3600);
    want_value(bf_parse_rate, " 12 PER Hour ", 12.0 / 3600);
    want_value(bf_parse_rate, "2.385/sec", 2.385);
    want_value(bf_parse_rate, "3.75/week", 3.75 / 604800);
    want_value(bf_parse_rate, "0/h", 0);
}

static void test_units_rate_errors(void **state)
{
    (void)state;
    char want[256];
    want_error(bf_parse_rate, "240", RATE_HINT);
    snprintf(want, sizeof want, "empty value; %s", RATE_HINT);
    want_error(bf_parse_rate, "", want);
    snprintf(want, sizeof want, "%s, not '/h'", RATE_HINT);
    want_error(bf_parse_rate, "/h", want);
    want_error(bf_parse_rate, "-2/h", "negative rates are not allowed");
    want_error(bf_parse_rate, "30s",
               "expected a rate, not a duration: write e.g. 240/h or 4/min");
    want_error(bf_parse_rate, "4/mins", "unknown unit 'mins'; did you mean 'min'?");
    want_error(bf_parse_rate, "4/lightyear",
               "unknown unit 'lightyear'; expected /s, /min, /h, /d or /w");
    want_error(bf_parse_rate, "4/",
               "expected a time unit after '/' or 'per', e.g. 240/h or 12 per h");
    want_error(bf_parse_rate, "4 per",
               "expected a time unit after '/' or 'per', e.g. 240/h or 12 per h");
    snprintf(want, sizeof want, "unexpected 'perh' after the number; %s", RATE_HINT);
    want_error(bf_parse_rate, "4 perh", want);
    want_error(bf_parse_rate, "4/h/h", "unexpected '/h' after the rate");
}

/* ------------------------------------------------------------------ */
/* Shares                                                               */
/* ------------------------------------------------------------------ */

static void test_units_share_forms_and_bounds(void **state)
{
    (void)state;
    want_value(bf_parse_share, "35%", 0.35);
    want_value(bf_parse_share, "0.35", 0.35);
    want_value(bf_parse_share, " 12.5 % ", 0.125);
    want_value(bf_parse_share, "0%", 0);
    want_value(bf_parse_share, "100%", 1);
    want_value(bf_parse_share, "0", 0);
    want_value(bf_parse_share, "1", 1);
    want_value(bf_parse_share, "2.385%", 0.02385);
}

static void test_units_share_errors(void **state)
{
    (void)state;
    want_error(bf_parse_share, "", "empty value; expected a share such as 35% or 0.35");
    want_error(bf_parse_share, "most",
               "expected a share such as 35% or 0.35, not 'most'");
    want_error(bf_parse_share, "100.001%", "a share must be between 0% and 100%");
    want_error(bf_parse_share, "-0.5%", "a share must be between 0% and 100%");
    want_error(bf_parse_share, "35",
               "a share must be between 0 and 1; did you mean 35%?");
    want_error(bf_parse_share, "1.0000001",
               "a share must be between 0 and 1; did you mean 1.0000001%?");
    want_error(bf_parse_share, "-0.1",
               "a share must be between 0 and 1 (or 0% and 100%)");
    want_error(bf_parse_share, "250",
               "a share must be between 0 and 1 (or 0% and 100%)");
    want_error(bf_parse_share, "35%%", "unexpected '%' after the share");
    want_error(bf_parse_share, "35 percent", "unexpected 'percent' after the share");
}

/* ------------------------------------------------------------------ */
/* Whole numbers                                                        */
/* ------------------------------------------------------------------ */

static void want_int(const char *s, long long min, long long max, long long want)
{
    long long got = -999;
    char why[256];
    bf_status rc = bf_parse_int(s, min, max, &got, why, sizeof why);
    if (rc != BF_OK || got != want)
        fail_msg("'%s': rc %d got %lld want %lld (%s)", s, rc, got, want, why);
}

static void want_int_error(const char *s, long long min, long long max, const char *msg)
{
    long long got = -999;
    char why[256];
    bf_status rc = bf_parse_int(s, min, max, &got, why, sizeof why);
    if (rc != BF_EINVAL || strcmp(why, msg) != 0)
        fail_msg("'%s': rc %d, why '%s', want '%s'", s, rc, why, msg);
    assert_true(got == -999);
}

static void test_units_int_range_and_forms(void **state)
{
    (void)state;
    want_int("42", 1, 64, 42);
    want_int(" +7 ", 1, 64, 7);
    want_int("-13", -20, 20, -13);
    want_int("1", 1, 64, 1); /* both ends are inclusive */
    want_int("64", 1, 64, 64);
    want_int("9223372036854775807", 0, LLONG_MAX, LLONG_MAX);
    want_int("-9223372036854775808", LLONG_MIN, LLONG_MAX, LLONG_MIN);
}

static void test_units_int_errors(void **state)
{
    (void)state;
    want_int_error("0", 1, 64, "expected a whole number between 1 and 64, not 0");
    want_int_error("65", 1, 64, "expected a whole number between 1 and 64, not 65");
    want_int_error("2.5", 1, 64, "expected a whole number between 1 and 64, not '2.5'");
    want_int_error("1e3", 1, 5000,
                   "expected a whole number between 1 and 5000, not '1e3'");
    want_int_error("many", 1, 64,
                   "expected a whole number between 1 and 64, not 'many'");
    want_int_error("", 1, 64, "empty value; expected a whole number between 1 and 64");
    want_int_error("3 servers", 1, 64, "unexpected 'servers' after the whole number");
    want_int_error("0x10", 1, 64,
                   "hexadecimal numbers are not allowed; write the value in decimal");
    want_int_error("-1", 0, LLONG_MAX, "expected a whole number >= 0, not -1");
    want_int_error("5", LLONG_MIN, 4, "expected a whole number <= 4, not 5");
    want_int_error("99999999999999999999", LLONG_MIN, LLONG_MAX,
                   "expected a whole number, not 99999999999999999999");
}

/* ------------------------------------------------------------------ */
/* Printing                                                             */
/* ------------------------------------------------------------------ */

static void want_format(double seconds, const char *want)
{
    char buf[64];
    int n = bf_format_duration(seconds, buf, sizeof buf);
    if (strcmp(buf, want) != 0)
        fail_msg("%.17g s printed as '%s', want '%s'", seconds, buf, want);
    assert_int_equal(n, (int)strlen(want));
}

static void test_units_format_duration(void **state)
{
    (void)state;
    want_format(45, "45s");
    want_format(150, "2.5min");
    want_format(6 * 3600, "6h");
    want_format(8 * 86400, "8d");
    want_format(14 * 86400, "14d"); /* days are the largest unit */
    want_format(0, "0s");
    want_format(0.375, "0.375s");
    want_format(-90, "-1.5min");
    /* Exactness beats size: 61 s is not "1.01667min". */
    want_format(61, "61s");
    want_format(3700, "3700s");
    want_format(86401, "86401s");
    /* When no unit prints exactly, the largest unit >= 1 is used. */
    want_format(1234567.891, "14.289d");
    /* A value parsed from a unit prints back in that unit. */
    double v;
    assert_int_equal(bf_parse_duration("2.385h", &v, NULL, 0), BF_OK);
    want_format(v, "2.385h");
    assert_int_equal(bf_parse_duration("17.25 min", &v, NULL, 0), BF_OK);
    want_format(v, "17.25min");
}

static void test_units_format_round_trips(void **state)
{
    (void)state;
    /* format -> parse gives the value back to %g's six digits. */
    static const double values[] = {0.0173, 2.385,   59.9,  60,      417.3,
                                    3599.2, 7342.81, 86399, 90061.7, 3.1e7};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char buf[64];
        double back;
        bf_format_duration(values[i], buf, sizeof buf);
        assert_int_equal(bf_parse_duration(buf, &back, NULL, 0), BF_OK);
        if (!(fabs(back - values[i]) <= 5e-6 * values[i]))
            fail_msg("%.17g -> '%s' -> %.17g", values[i], buf, back);
    }
}

static void test_units_format_truncates_like_snprintf(void **state)
{
    (void)state;
    char buf[4];
    assert_int_equal(bf_format_duration(150, buf, sizeof buf), 6); /* "2.5min" */
    assert_string_equal(buf, "2.5");
    assert_int_equal(bf_format_duration(150, NULL, 0), 6);
    char big[32];
    bf_format_duration(INFINITY, big, sizeof big);
    assert_string_equal(big, "inf");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units_number_accepts_decimal_forms),
        cmocka_unit_test(test_units_number_refusals_say_why),
        cmocka_unit_test(test_units_number_quotes_are_clipped),
        cmocka_unit_test(test_units_why_may_be_null_or_short),
        cmocka_unit_test(test_units_duration_every_unit),
        cmocka_unit_test(test_units_duration_blanks),
        cmocka_unit_test(test_units_duration_boundaries),
        cmocka_unit_test(test_units_duration_bare_number_is_refused),
        cmocka_unit_test(test_units_duration_errors),
        cmocka_unit_test(test_units_rate_forms),
        cmocka_unit_test(test_units_rate_errors),
        cmocka_unit_test(test_units_share_forms_and_bounds),
        cmocka_unit_test(test_units_share_errors),
        cmocka_unit_test(test_units_int_range_and_forms),
        cmocka_unit_test(test_units_int_errors),
        cmocka_unit_test(test_units_format_duration),
        cmocka_unit_test(test_units_format_round_trips),
        cmocka_unit_test(test_units_format_truncates_like_snprintf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
