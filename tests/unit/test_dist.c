/*
 * test_dist.c - unit tests for the distributions (dist.h, src/dist/).
 *
 * What is tested, and how the tolerances are chosen:
 *
 *  - Parsing: canonical text and round trips, every error sentence,
 *    units per bf_dist_units, a failed parse leaves *out all zeros, and a
 *    deterministic fuzz loop plus megabyte inputs that must neither crash
 *    nor misbehave.
 *
 *  - Known answers.  bf_dist_mean/variance against values computed
 *    independently with mpmath at 40 digits (the expressions are given
 *    next to each value).  Inversion samplers and the exponential's
 *    ziggurat against draws computed with a Python transcription of
 *    xoshiro256** from a fixed state (see test_dist_inversion_known_answers
 *    and test_dist_exp_ziggurat_known_answers); the ziggurat's tables
 *    against their definitions.
 *
 *  - Sample moments.  For each family, n = 200000 draws; the sample mean
 *    must be within 5 standard errors of bf_dist_mean, SE = sigma /
 *    sqrt(n), and the sample variance s^2 within 5 standard errors of
 *    bf_dist_variance, where for iid draws
 *        Var(s^2) = mu4 / n - sigma^4 (n - 3) / (n (n - 1))
 *    exactly, mu4 being the fourth central moment.  mu4 is computed here,
 *    in the test, from the family's raw moments E[X^r], r = 1..4, by
 *    formulas independent of the library (listed at raw_moments).  For n
 *    this large s^2 is very nearly normal, so a correct sampler fails a
 *    5-SE band with probability about 6e-7 per check; a wrong one (say a
 *    variance off by 2%) fails it by many SE.
 *
 *  - Shape.  For lognormal, gamma (shape above and below 1), triangular,
 *    Weibull and the truncated normal: a histogram of n = 200000 draws
 *    against the bin probabilities of the exact CDF (written here
 *    independently: erfc, a series for the incomplete gamma function,
 *    closed forms), in the manner of GSL's randist/test.c testPDF.  Bins
 *    with few expected counts are pooled until each expects at least 20,
 *    so the chi-square approximation holds.  Two criteria:
 *      chi-square: X^2 = sum (O - E)^2 / E below its upper 1e-6 quantile
 *        for df = cells - 1 (Wilson-Hilferty approximation, accurate to a
 *        few percent at df >= 10, far better than we need);
 *      per cell: |O - E| / sqrt(E (1 - E/n)) < 5.5, a Bonferroni bound:
 *        P(|z| > 5.5) = 3.8e-8 per cell, under 2e-6 over at most 52 cells.
 *    The same histogram is also compared with a CDF whose scale is off by
 *    5% (or, for the triangular law, whose mode is moved by 5% of the
 *    range) and must FAIL: this shows the test has the power to see an
 *    error of that size, so passing means something.  (The weakest case
 *    is gamma with shape 0.637: a 5% scale error adds a noncentrality of
 *    about n a (0.05)^2 = 318 to X^2, against a critical value near 113.)
 *
 *  - Empirical frequencies: each value's count within 5 binomial
 *    standard deviations of n p, and a zero share never drawn.
 *
 *  - Allocation failure injection on the empirical parse and on copy:
 *    every failure is BF_ENOMEM with *out empty; leaks are caught by
 *    running this binary under ASan/LSan and valgrind.
 *
 * All seeds are fixed, so every run draws the same numbers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "borderflow/dist.h"
#include "borderflow/rng.h"
#include "dist/dist_int.h"

#define N_DRAWS 200000

static bool is_zeroed(const bf_dist *d)
{
    bf_dist zero;
    memset(&zero, 0, sizeof zero);
    return memcmp(d, &zero, sizeof zero) == 0;
}

static bool rel_close(double a, double b, double tol)
{
    return fabs(a - b) <= tol * fmax(fabs(a), fabs(b));
}

/* Parses text, failing the test with the reason if it does not parse. */
static void parse_ok(const char *text, bf_dist_units units, bf_dist *d)
{
    char why[256] = "";
    bf_status rc = bf_dist_parse(text, units, d, why, sizeof why);
    if (rc != BF_OK)
        fail_msg("'%s' did not parse: %s", text, why);
    assert_true(bf__dist_check(d));
}

/* ------------------------------------------------------------------ */
/* Parsing                                                              */
/* ------------------------------------------------------------------ */

static void test_dist_parse_canonical_text_and_round_trip(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        bf_dist_units units;
        const char *text;
    } cases[] = {
        {"lognormal(mean=40s, sd=15s)", BF_DIST_DURATION,
         "lognormal(mean=40s, sd=15s)"},
        {" LogNormal ( MEAN = 0.25 min , Sd = 17.5 S ) ", BF_DIST_DURATION,
         "lognormal(mean=15s, sd=17.5s)"},
        {"exp(30min)", BF_DIST_DURATION, "exp(mean=30min)"},
        {"exp(2/min)", BF_DIST_DURATION, "exp(rate=2/min)"},
        {"exponential(rate=240/h)", BF_DIST_DURATION, "exp(rate=4/min)"},
        {"exp(rate=100/d)", BF_DIST_DURATION, "exp(rate=100/d)"},
        {"EXP(mean=2.385h)", BF_DIST_DURATION, "exp(mean=2.385h)"},
        {"constant(value=2.385h)", BF_DIST_DURATION, "const(2.385h)"},
        {"const(90s)", BF_DIST_DURATION, "const(1.5min)"},
        {"uniform(min=1.25min, max=6.5min)", BF_DIST_DURATION,
         "uniform(min=1.25min, max=6.5min)"},
        {"triangular(max=6min, min=1min, mode=2.385min)", BF_DIST_DURATION,
         "triangular(min=1min, mode=2.385min, max=6min)"},
        {"normal(mean=40s, sd=10s)", BF_DIST_DURATION, "normal(mean=40s, sd=10s)"},
        {"gamma(shape=2.385, mean=1.5min)", BF_DIST_DURATION,
         "gamma(shape=2.385, mean=1.5min)"},
        {"gamma(scale=24s, shape=2.5)", BF_DIST_DURATION,
         "gamma(shape=2.5, scale=24s)"},
        {"weibull(shape=1.73, scale=47.2s)", BF_DIST_DURATION,
         "weibull(shape=1.73, scale=47.2s)"},
        {"erlang(k=3, mean=2.385min)", BF_DIST_DURATION, "erlang(k=3, mean=2.385min)"},
        {"empirical(30s 20%, 1min 0.5, 5 min 30 %)", BF_DIST_DURATION,
         "empirical(30s 20%, 1min 50%, 5min 30%)"},
        {"lognormal(mean=2.385, sd=0.5)", BF_DIST_PLAIN,
         "lognormal(mean=2.385, sd=0.5)"},
        {"exp(17.25)", BF_DIST_PLAIN, "exp(mean=17.25)"},
        {"empirical(1 20%, 2 30%, 5 0.5)", BF_DIST_PLAIN,
         "empirical(1 20%, 2 30%, 5 50%)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bf_dist a, b;
        parse_ok(cases[i].in, cases[i].units, &a);
        if (strcmp(a.text, cases[i].text) != 0)
            fail_msg("'%s' -> '%s', want '%s'", cases[i].in, a.text, cases[i].text);
        assert_true(a.units == cases[i].units);
        /* The canonical text parses to the same distribution. */
        parse_ok(a.text, cases[i].units, &b);
        assert_string_equal(b.text, a.text);
        assert_ptr_equal(b.type, a.type);
        for (int k = 0; k < 4; k++)
            assert_true(rel_close(a.p[k], b.p[k], 1e-12)
                        || fabs(a.p[k] - b.p[k]) < 1e-300);
        assert_true(rel_close(bf_dist_mean(&a), bf_dist_mean(&b), 1e-12));
        assert_true(rel_close(bf_dist_variance(&a), bf_dist_variance(&b), 1e-12));
        bf_dist_fini(&a);
        bf_dist_fini(&b);
        assert_true(is_zeroed(&a));
    }
}

static void test_dist_names_match_registry(void **state)
{
    (void)state;
    static const char *const example[] = {
        "const(1s)",
        "exp(1s)",
        "uniform(min=1s, max=2s)",
        "triangular(min=1s, mode=2s, max=3s)",
        "normal(mean=1s, sd=1s)",
        "lognormal(mean=1s, sd=1s)",
        "gamma(shape=2, mean=1s)",
        "erlang(k=2, mean=1s)",
        "weibull(shape=2, scale=1s)",
        "empirical(1s 100%)",
    };
    const char *const *names = bf_dist_names();
    size_t n = 0;
    while (names[n])
        n++;
    assert_int_equal(n, sizeof example / sizeof example[0]);
    for (size_t i = 0; i < n; i++) {
        bf_dist d;
        parse_ok(example[i], BF_DIST_DURATION, &d);
        assert_string_equal(d.type->name, names[i]);
        /* The canonical name parses too. */
        char text[64];
        snprintf(text, sizeof text, "%s%s", names[i], strchr(example[i], '('));
        bf_dist e;
        parse_ok(text, BF_DIST_DURATION, &e);
        bf_dist_fini(&e);
        bf_dist_fini(&d);
    }
}

typedef struct error_case {
    const char *in;
    bf_dist_units units;
    const char *msg;
} error_case;

static void check_errors(const error_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bf_dist d;
        memset(&d, 0x5a, sizeof d); /* garbage: parse must clear it */
        char why[512];
        bf_status rc = bf_dist_parse(cases[i].in, cases[i].units, &d, why, sizeof why);
        if (rc != BF_EINVAL || strcmp(why, cases[i].msg) != 0)
            fail_msg("'%s': rc %d\n   got  '%s'\n   want '%s'", cases[i].in, rc, why,
                     cases[i].msg);
        assert_true(is_zeroed(&d));
        bf_dist_fini(&d);
    }
}

static void test_dist_parse_errors_name_and_syntax(void **state)
{
    (void)state;
    static const error_case cases[] = {
        {"lognorm(mean=40s, sd=15s)", BF_DIST_DURATION,
         "unknown distribution 'lognorm'; did you mean 'lognormal'?"},
        {"Expo(30s)", BF_DIST_DURATION,
         "unknown distribution 'Expo'; did you mean 'exp'?"},
        {"poisson(3)", BF_DIST_DURATION,
         "unknown distribution 'poisson'; expected one of const, exp, uniform, "
         "triangular, normal, lognormal, gamma, erlang, weibull, empirical"},
        {"", BF_DIST_DURATION,
         "empty value; expected a distribution such as "
         "exp(mean=30s) or lognormal(mean=40s, sd=15s)"},
        {"  \t ", BF_DIST_DURATION,
         "empty value; expected a distribution such as "
         "exp(mean=30s) or lognormal(mean=40s, sd=15s)"},
        {" 30s ", BF_DIST_DURATION,
         "expected a distribution; for a fixed value write const(30s)"},
        {"(30s)", BF_DIST_DURATION,
         "expected a distribution name, e.g. exp(mean=30s), not '(30s)'"},
        {"exp", BF_DIST_DURATION, "expected '(' after 'exp', as in exp(mean | rate)"},
        {"lognormal mean=40s", BF_DIST_DURATION,
         "expected '(' after 'lognormal', as in lognormal(mean, sd)"},
        {"exp(mean=30s", BF_DIST_DURATION, "expected ')' at end"},
        {"exp(", BF_DIST_DURATION, "expected ')' at end"},
        {"empirical(30s 100%", BF_DIST_DURATION, "expected ')' at end"},
        {"exp(mean=30s))", BF_DIST_DURATION, "unexpected ')' after ')'"},
        {"exp(mean=30s) and more", BF_DIST_DURATION, "unexpected 'and more' after ')'"},
        {"exp(mean=30s, mean=1min)", BF_DIST_DURATION,
         "parameter 'mean' is given twice"},
        {"exp(30s, mean=1min)", BF_DIST_DURATION, "parameter 'mean' is given twice"},
        {"lognormal(sd=1s, mean=40s, SD=2s)", BF_DIST_DURATION,
         "parameter 'sd' is given twice"},
        {"exp(mean=30s, rate=2/min)", BF_DIST_DURATION,
         "exp takes 'mean' or 'rate', not both"},
        {"gamma(shape=2, mean=1min, scale=30s)", BF_DIST_DURATION,
         "gamma takes 'mean' or 'scale', not both"},
        {"exp(30s, 1min)", BF_DIST_DURATION,
         "too many parameters for exp(mean | rate)"},
        {"uniform(1min, 3min)", BF_DIST_DURATION,
         "uniform takes named parameters, as in uniform(min=..., max=...)"},
        {"gamma(2.5, 1min)", BF_DIST_DURATION,
         "gamma takes named parameters, as in gamma(shape=..., mean=...)"},
        {"exp(mean=)", BF_DIST_DURATION, "missing value for 'mean'"},
        {"exp(=30s)", BF_DIST_DURATION, "expected a parameter name before '='"},
        {"exp(mean=30s,)", BF_DIST_DURATION, "expected a parameter after ','"},
        {"exp(, mean=30s)", BF_DIST_DURATION, "expected a parameter before ','"},
    };
    check_errors(cases, sizeof cases / sizeof cases[0]);
}

static void test_dist_parse_errors_parameters(void **state)
{
    (void)state;
    static const error_case cases[] = {
        {"lognormal(mean=40s)", BF_DIST_DURATION,
         "missing parameter 'sd' for lognormal(mean, sd)"},
        {"exp()", BF_DIST_DURATION,
         "missing parameter 'mean' or 'rate' for exp(mean | rate)"},
        {"exp( )", BF_DIST_DURATION,
         "missing parameter 'mean' or 'rate' for exp(mean | rate)"},
        {"gamma(shape=2.5)", BF_DIST_DURATION,
         "missing parameter 'mean' or 'scale' for gamma(shape, mean | scale)"},
        {"triangular(min=1s, max=3s)", BF_DIST_DURATION,
         "missing parameter 'mode' for triangular(min, mode, max)"},
        {"lognormal(mean=40s, sdev=15s)", BF_DIST_DURATION,
         "unknown parameter 'sdev' for lognormal; expected mean, sd"},
        {"exp(lambda=3/h)", BF_DIST_DURATION,
         "unknown parameter 'lambda' for exp; expected mean, rate"},
        {"lognormal(mean=40s, sd=0s)", BF_DIST_DURATION, "lognormal needs sd > 0"},
        {"lognormal(mean=0s, sd=3s)", BF_DIST_DURATION, "lognormal needs mean > 0"},
        {"triangular(min=3min, mode=2min, max=6min)", BF_DIST_DURATION,
         "triangular needs min <= mode <= max"},
        {"triangular(min=1min, mode=7min, max=6min)", BF_DIST_DURATION,
         "triangular needs min <= mode <= max"},
        {"uniform(min=3min, max=2.385min)", BF_DIST_DURATION,
         "uniform needs min <= max"},
        {"exp(mean=0s)", BF_DIST_DURATION, "exp needs mean > 0"},
        {"exp(rate=0/h)", BF_DIST_DURATION, "exp needs rate > 0"},
        {"normal(mean=40s, sd=0s)", BF_DIST_DURATION, "normal needs sd > 0"},
        {"gamma(shape=0, mean=1min)", BF_DIST_DURATION, "gamma needs shape > 0"},
        {"gamma(shape=-1.5, mean=1min)", BF_DIST_DURATION, "gamma needs shape > 0"},
        {"gamma(shape=2, scale=0s)", BF_DIST_DURATION, "gamma needs scale > 0"},
        {"gamma(shape=2, mean=0h)", BF_DIST_DURATION, "gamma needs mean > 0"},
        {"erlang(k=2.5, mean=1min)", BF_DIST_DURATION,
         "erlang needs a whole number k >= 1 (at most 1000000000)"},
        {"erlang(k=0, mean=1min)", BF_DIST_DURATION,
         "erlang needs a whole number k >= 1 (at most 1000000000)"},
        {"erlang(k=3, mean=0s)", BF_DIST_DURATION, "erlang needs mean > 0"},
        {"weibull(shape=0, scale=1min)", BF_DIST_DURATION, "weibull needs shape > 0"},
        {"weibull(shape=1.5, scale=0s)", BF_DIST_DURATION, "weibull needs scale > 0"},
        {"uniform(min=0s, max=1e300w)", BF_DIST_DURATION,
         "uniform(min, max): the parameters are out of range (the mean or variance "
         "overflows)"},
        {"weibull(shape=0.001, scale=1s)", BF_DIST_DURATION,
         "weibull(shape, scale): the parameters are out of range (the mean or "
         "variance overflows)"},
    };
    check_errors(cases, sizeof cases / sizeof cases[0]);
}

static void test_dist_parse_errors_empirical(void **state)
{
    (void)state;
    static const error_case cases[] = {
        {"empirical()", BF_DIST_DURATION,
         "empirical needs at least one entry, e.g. empirical(30s 20%, 1min 80%)"},
        {"empirical(  )", BF_DIST_DURATION,
         "empirical needs at least one entry, e.g. empirical(30s 20%, 1min 80%)"},
        {"empirical(30s 20%, 1min 50%)", BF_DIST_DURATION,
         "empirical shares must add up to 100%; these add up to 70%"},
        {"empirical(30s 33.333%, 1min 33.333%, 2min 33.333%)", BF_DIST_DURATION,
         "empirical shares must add up to 100%; these add up to 99.999%"},
        {"empirical(30s 0.5, 1min 0.500000002)", BF_DIST_DURATION,
         "empirical shares must add up to 100%; these add up to 100.0000002%"},
        {"empirical(30s)", BF_DIST_DURATION,
         "entry 1 '30s': expected a value and a share, e.g. empirical(30s 20%, 1min "
         "80%)"},
        {"empirical(30s 20%,, 1min 80%)", BF_DIST_DURATION,
         "expected an entry after ','"},
        {"empirical(, 30s 100%)", BF_DIST_DURATION, "expected an entry before ','"},
        {"empirical(value=30s)", BF_DIST_DURATION,
         "empirical takes entries 'value share', not name=value, e.g. "
         "empirical(30s 20%, 1min 80%)"},
        {"empirical(30 20%, 1min 80%)", BF_DIST_DURATION,
         "entry 1: expected a duration with a unit (s, min, h, d), e.g. 30s or 1.5h"},
        {"empirical(30s 20%, 1mins 80%)", BF_DIST_DURATION,
         "entry 2: unknown unit 'mins'; did you mean 'min'?"},
        {"empirical(30s 120%, 1min 80%)", BF_DIST_DURATION,
         "share of entry 1: a share must be between 0% and 100%"},
        {"empirical(30s 20, 1min 80%)", BF_DIST_DURATION,
         "share of entry 1: a share must be between 0 and 1; did you mean 20%?"},
        {"empirical(3 20%, 5min 80%)", BF_DIST_PLAIN,
         "entry 2: expected a bare number, without a unit"},
        {"empirical(-3 20%, 5 80%)", BF_DIST_PLAIN,
         "entry 1: negative values are not allowed"},
    };
    check_errors(cases, sizeof cases / sizeof cases[0]);

    /* Within 1e-9 of 100% is accepted (5e-10 off here). */
    bf_dist d;
    parse_ok("empirical(30s 0.5, 1min 0.5000000005)", BF_DIST_DURATION, &d);
    bf_dist_fini(&d);
}

static void test_dist_parse_errors_units(void **state)
{
    (void)state;
    static const error_case cases[] = {
        {"exp(30)", BF_DIST_DURATION,
         "mean: expected a duration with a unit (s, min, h, d), e.g. 30s or 1.5h"},
        {"exp(mean=30)", BF_DIST_DURATION,
         "mean: expected a duration with a unit (s, min, h, d), e.g. 30s or 1.5h"},
        {"lognormal(mean=40s, sd=15)", BF_DIST_DURATION,
         "sd: expected a duration with a unit (s, min, h, d), e.g. 30s or 1.5h"},
        {"exp(30mins)", BF_DIST_DURATION,
         "mean: unknown unit 'mins'; did you mean 'min'?"},
        {"exp(mean=-3s)", BF_DIST_DURATION, "mean: negative durations are not allowed"},
        {"exp(rate=30s)", BF_DIST_DURATION,
         "rate: expected a rate, not a duration: write e.g. 240/h or 4/min"},
        {"exp(rate=4)", BF_DIST_DURATION,
         "rate: expected a rate with a unit (/s, /min, /h, /d), e.g. 240/h or 4/min"},
        {"gamma(shape=2.5s, mean=1min)", BF_DIST_DURATION,
         "shape: expected a bare number, without a unit"},
        {"erlang(k=3 phases, mean=1min)", BF_DIST_DURATION,
         "k: unexpected 'phases' after the number"},
        {"exp(mean=0x1Fs)", BF_DIST_DURATION,
         "mean: hexadecimal numbers are not allowed; write the value in decimal"},
        {"exp(mean=nan s)", BF_DIST_DURATION,
         "mean: NaN and infinity are not allowed; expected a finite decimal number"},
        {"exp(mean=30s)", BF_DIST_PLAIN,
         "mean: expected a bare number, without a unit"},
        {"exp(rate=2/h)", BF_DIST_PLAIN,
         "rate: expected a bare number, without a unit"},
        {"lognormal(mean=2.385, sd=1h)", BF_DIST_PLAIN,
         "sd: expected a bare number, without a unit"},
        {"uniform(min=-1, max=2)", BF_DIST_PLAIN,
         "min: negative values are not allowed"},
    };
    check_errors(cases, sizeof cases / sizeof cases[0]);

    /* A value longer than any sensible parameter is refused by length. */
    char text[400];
    snprintf(text, sizeof text, "exp(mean=%0200ds)", 3);
    error_case too_long = {text, BF_DIST_DURATION,
                           "mean: the value is too long (more than 127 characters)"};
    check_errors(&too_long, 1);
}

static void test_dist_why_may_be_null_or_tiny(void **state)
{
    (void)state;
    bf_dist d;
    assert_int_equal(bf_dist_parse("lognorm(1s)", BF_DIST_DURATION, &d, NULL, 0),
                     BF_EINVAL);
    assert_true(is_zeroed(&d));
    char why[6];
    assert_int_equal(
        bf_dist_parse("lognorm(1s)", BF_DIST_DURATION, &d, why, sizeof why), BF_EINVAL);
    assert_string_equal(why, "unkno");
    /* A successful parse leaves why empty. */
    char big[64] = "stale";
    assert_int_equal(bf_dist_parse("exp(2/min)", BF_DIST_DURATION, &d, big, sizeof big),
                     BF_OK);
    assert_string_equal(big, "");
    bf_dist_fini(&d);
}

/* A deterministic stand-in for the fuzzer.  Half of the inputs are token
 * soup built from the grammar's own pieces; the other half are valid
 * texts with 0 to 3 random edits (delete, duplicate or replace a
 * character, or insert a token), which reach deep into the parser and
 * the families' checks.  Every outcome must be either a distribution that
 * passes bf__dist_check and samples finite values >= 0, or BF_EINVAL with
 * *out empty and a non-empty, NUL-terminated sentence. */
static void test_dist_parse_survives_token_soup(void **state)
{
    (void)state;
    static const char *const tok[] = {
        "exp",        "lognormal", "empirical", "gamma",  "erlang", "weibull", "const",
        "triangular", "uniform",   "normal",    "(",      ")",      "(",       ")",
        "=",          ",",         ",",         " ",      "mean",   "sd",      "shape",
        "scale",      "k",         "rate",      "min",    "max",    "mode",    "value",
        "30s",        "2.385",     "1e308",     "1e-320", "-",      "%",       "50%",
        "0.5",        "/h",        "per",       "h",      "0x1",    "nan",     "inf",
        "0",          "3",         "s",         "\t",     "=",      "1min",    "100%",
        "..",         "e9",
    };
    static const char *const valid[] = {
        "const(2min)",
        "exp(mean=30min)",
        "exp(2/min)",
        "exponential(rate=240/h)",
        "uniform(min=1min, max=3min)",
        "triangular(min=1min, mode=2min, max=6min)",
        "normal(mean=40s, sd=10s)",
        "lognormal(mean=40s, sd=15s)",
        "gamma(shape=2.5, mean=1min)",
        "gamma(shape=0.5, scale=24s)",
        "weibull(shape=1.5, scale=1min)",
        "erlang(k=3, mean=1min)",
        "empirical(30s 20%, 1min 50%, 5min 30%)",
        "exp(17.25)",
        "lognormal(mean=2.385, sd=0.5)",
        "empirical(1 20%, 2 30%, 5 0.5)",
    };
    enum {
        N_TOK = sizeof tok / sizeof tok[0],
        N_VALID = sizeof valid / sizeof valid[0]
    };
    bf_rng r;
    bf_rng_seed_u64(&r, 0x2385);
    char text[256];
    size_t n_ok = 0, n_bad = 0;
    for (int it = 0; it < 20000; it++) {
        size_t len = 0;
        if (it % 2 == 0) {
            int n = 1 + (int)(bf_rng_next(&r) % 12);
            for (int j = 0; j < n; j++) {
                const char *t = tok[bf_rng_next(&r) % N_TOK];
                size_t tl = strlen(t);
                if (len + tl >= sizeof text)
                    break;
                memcpy(text + len, t, tl);
                len += tl;
            }
        } else {
            const char *v = valid[bf_rng_next(&r) % N_VALID];
            len = strlen(v);
            memcpy(text, v, len);
            int edits = (int)(bf_rng_next(&r) % 4);
            for (int j = 0; j < edits && len > 0 && len < sizeof text - 16; j++) {
                size_t at = bf_rng_next(&r) % len;
                switch (bf_rng_next(&r) % 4) {
                case 0: /* delete */
                    memmove(text + at, text + at + 1, len - at - 1);
                    len--;
                    break;
                case 1: /* duplicate */
                    memmove(text + at + 1, text + at, len - at);
                    len++;
                    break;
                case 2: /* replace with any byte but NUL */
                    text[at] = (char)(1 + bf_rng_next(&r) % 255);
                    break;
                default: { /* insert a token */
                    const char *t = tok[bf_rng_next(&r) % N_TOK];
                    size_t tl = strlen(t);
                    memmove(text + at + tl, text + at, len - at);
                    memcpy(text + at, t, tl);
                    len += tl;
                    break;
                }
                }
            }
        }
        text[len] = '\0';
        bf_dist_units units = (bf_rng_next(&r) & 1) ? BF_DIST_PLAIN : BF_DIST_DURATION;
        bf_dist d;
        char why[256];
        memset(why, 'x', sizeof why);
        bf_status rc = bf_dist_parse(text, units, &d, why, sizeof why);
        if (rc == BF_OK) {
            n_ok++;
            assert_true(bf__dist_check(&d));
            assert_true(strlen(d.text) < sizeof d.text);
            assert_true(isfinite(bf_dist_mean(&d)) && isfinite(bf_dist_variance(&d)));
            for (int k = 0; k < 8; k++) {
                double x = bf_dist_sample(&d, &r);
                assert_true(isfinite(x) && x >= 0);
            }
        } else {
            n_bad++;
            assert_int_equal(rc, BF_EINVAL);
            assert_true(is_zeroed(&d));
            assert_non_null(memchr(why, '\0', sizeof why));
            assert_true(why[0] != '\0');
        }
        bf_dist_fini(&d);
    }
    /* Both outcomes are well represented. */
    assert_true(n_ok > 1000 && n_bad > 1000);
}

static void test_dist_parse_megabyte_inputs(void **state)
{
    (void)state;
    const size_t big = 1 << 20;
    char *s = malloc(big + 64);
    assert_non_null(s);
    bf_dist d;
    char why[256];

    /* One huge name. */
    memset(s, 'q', big);
    s[big] = '\0';
    assert_int_equal(bf_dist_parse(s, BF_DIST_DURATION, &d, why, sizeof why),
                     BF_EINVAL);
    assert_true(strlen(why) < 200);

    /* Unclosed parenthesis after a long run of opens. */
    memcpy(s, "exp", 3);
    memset(s + 3, '(', big - 3);
    s[big] = '\0';
    assert_int_equal(bf_dist_parse(s, BF_DIST_DURATION, &d, why, sizeof why),
                     BF_EINVAL);
    assert_string_equal(why, "expected ')' at end");

    /* A long, valid empirical table: 1s shares 0% many times, then 100%.
     * Its text is cut with "..." to fit d->text. */
    size_t pos = (size_t)sprintf(s, "empirical(");
    while (pos < big - 32)
        pos += (size_t)sprintf(s + pos, "1s 0%%, ");
    sprintf(s + pos, "2.385min 100%%)");
    parse_ok(s, BF_DIST_DURATION, &d);
    assert_true(d.n_table > 100000);
    size_t tl = strlen(d.text);
    assert_true(tl < sizeof d.text);
    assert_string_equal(d.text + tl - 3, "...");
    assert_true(bf_dist_mean(&d) == 143.1);
    bf_rng r;
    bf_rng_seed_u64(&r, 77);
    for (int i = 0; i < 100; i++)
        assert_true(bf_dist_sample(&d, &r) == 143.1);
    bf_dist_fini(&d);

    /* Commas only. */
    memcpy(s, "empirical(", 10);
    memset(s + 10, ',', big - 11);
    s[big - 1] = ')';
    s[big] = '\0';
    assert_int_equal(bf_dist_parse(s, BF_DIST_DURATION, &d, why, sizeof why),
                     BF_EINVAL);
    assert_string_equal(why, "expected an entry before ','");
    free(s);
}

/* ------------------------------------------------------------------ */
/* Const, copy, fini                                                    */
/* ------------------------------------------------------------------ */

static void test_dist_const_copy_fini(void **state)
{
    (void)state;
    bf_dist c;
    bf_dist_const(&c, 143.1, BF_DIST_DURATION);
    assert_true(bf__dist_check(&c));
    assert_string_equal(c.text, "const(2.385min)");
    assert_true(bf_dist_mean(&c) == 143.1);
    assert_true(bf_dist_variance(&c) == 0);
    bf_rng r;
    bf_rng_seed_u64(&r, 5);
    bf_rng before = r;
    assert_true(bf_dist_sample(&c, &r) == 143.1);
    /* A constant draws nothing. */
    assert_memory_equal(&r, &before, sizeof r);
    bf_dist_const(&c, 7.25, BF_DIST_PLAIN);
    assert_string_equal(c.text, "const(7.25)");

    /* Deep copy of a table: independent of the source's lifetime. */
    bf_dist a, b;
    parse_ok("empirical(30s 20%, 1min 50%, 5min 30%)", BF_DIST_DURATION, &a);
    assert_int_equal(bf_dist_copy(&b, &a), BF_OK);
    assert_ptr_not_equal(a.table, b.table);
    assert_memory_equal(a.table, b.table, 2 * a.n_table * sizeof(double));
    bf_dist_fini(&a);
    assert_true(bf__dist_check(&b));
    assert_true(rel_close(bf_dist_mean(&b), 126, 1e-12));
    bf_dist_fini(&b);
    bf_dist_fini(&b); /* twice is fine: fini empties */
    bf_dist_fini(NULL);
}

static void test_dist_alloc_failure_injection(void **state)
{
    (void)state;
    const char *text = "empirical(7.5s 12.5%, 45s 37.2%, 3.25min 8.3%, 11min 42%)";
    bf_dist d;
    char why[256];
    long k;
    for (k = 0; k < 10; k++) {
        bf_alloc_fail_after(k);
        bf_status rc = bf_dist_parse(text, BF_DIST_DURATION, &d, why, sizeof why);
        if (rc == BF_OK)
            break;
        assert_int_equal(rc, BF_ENOMEM);
        assert_true(is_zeroed(&d));
        assert_true(why[0] != '\0');
        bf_dist_fini(&d);
    }
    assert_int_equal(bf_alloc_fail_after(-1), 1); /* exactly one allocation */
    assert_int_equal(k, 1);
    assert_true(bf__dist_check(&d));

    /* Copy: the one allocation fails, dst is left empty. */
    bf_dist e;
    memset(&e, 0x5a, sizeof e);
    bf_alloc_fail_after(0);
    assert_int_equal(bf_dist_copy(&e, &d), BF_ENOMEM);
    bf_alloc_fail_after(-1);
    assert_true(is_zeroed(&e));
    bf_dist_fini(&d);

    /* Named families and const never allocate. */
    bf_alloc_fail_after(0);
    assert_int_equal(bf_dist_parse("lognormal(mean=40s, sd=15s)", BF_DIST_DURATION, &d,
                                   why, sizeof why),
                     BF_OK);
    assert_int_equal(bf_dist_copy(&e, &d), BF_OK);
    bf_dist_const(&d, 1, BF_DIST_DURATION);
    assert_int_equal(bf_alloc_fail_after(-1), 0);
    bf_dist_fini(&d);
    bf_dist_fini(&e);
}

/* ------------------------------------------------------------------ */
/* Known answers                                                        */
/* ------------------------------------------------------------------ */

static void test_dist_moments_known_answers(void **state)
{
    (void)state;
    /* Values from mpmath (mp.dps = 40); the formula is next to each. */
    static const struct {
        const char *text;
        double mean, variance;
    } cases[] = {
        /* theta, theta^2 */
        {"exp(mean=2.385min)", 143.1, 20477.61},
        /* 1 / rate = 3600 / 17.25 s */
        {"exp(rate=17.25/h)", 208.69565217391304348, 43553.87523629489603},
        /* (a + b) / 2, (b - a)^2 / 12 with a = 75, b = 390 */
        {"uniform(min=1.25min, max=6.5min)", 232.5, 8268.75},
        /* (a + b + c) / 3, (a^2 + b^2 + c^2 - ab - ac - bc) / 18, c = 143.1 */
        {"triangular(min=1.25min, mode=2.385min, max=6.5min)", 202.7, 4578.395},
        /* N(m, s^2) | X >= 0 by direct integration of x phi and (x - E)^2 phi
         * over [0, inf) divided by the mass there */
        {"normal(mean=40s, sd=10s)", 40.001338344644685751, 99.946464423046181984},
        {"normal(mean=3.7s, sd=11.3s)", 10.500169398061164504, 56.287069384846150953},
        /* half-normal: s sqrt(2/pi), s^2 (1 - 2/pi) */
        {"normal(mean=0s, sd=2.385s)", 1.9029546775148338738, 2.0669884953244146148},
        /* the given mean and sd^2 */
        {"lognormal(mean=40s, sd=15s)", 40, 225},
        {"lognormal(mean=2.385, sd=7.25)", 2.385, 52.5625},
        /* mean, mean^2 / k;  k theta, k theta^2 */
        {"gamma(shape=2.385, mean=1.5min)", 90, 3396.2264150943396226},
        {"gamma(shape=0.637, scale=17.3s)", 11.0201, 190.64773},
        {"erlang(k=3, mean=2.385min)", 143.1, 6825.87},
        /* lambda G(1 + 1/k), lambda^2 (G(1 + 2/k) - G(1 + 1/k)^2) */
        {"weibull(shape=1.73, scale=47.2s)", 42.066083320565016936,
         628.42352510214631963},
        {"weibull(shape=0.5, scale=1s)", 2, 20},
        {"weibull(shape=25, scale=1s)", 0.97843820091424472486,
         0.0023839976745183085875},
        {"weibull(shape=250, scale=1h)", 3591.7448558687248533, 337.56291329894750777},
        /* sum p v, sum p v^2 - mean^2 = 28980 - 126^2 */
        {"empirical(30s 20%, 1min 50%, 5min 30%)", 126, 13104},
        {"const(2.385min)", 143.1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bf_dist d;
        bf_dist_units units =
            strstr(cases[i].text, "sd=7.25") ? BF_DIST_PLAIN : BF_DIST_DURATION;
        parse_ok(cases[i].text, units, &d);
        double m = bf_dist_mean(&d), v = bf_dist_variance(&d);
        /* 1e-12 leaves room for libm's tgamma/erfc (a few ulps each) and
         * for the unit conversions; the large-shape Weibull variance,
         * where a naive difference of gamma values would be off by 1e-10,
         * must still meet it. */
        if (!rel_close(m, cases[i].mean, 1e-12)
            || !(rel_close(v, cases[i].variance, 1e-12) || v == cases[i].variance))
            fail_msg("%s: mean %.17g (want %.17g), variance %.17g (want %.17g)",
                     cases[i].text, m, cases[i].mean, v, cases[i].variance);
        bf_dist_fini(&d);
    }

    /* The lognormal's sampler form: sigma^2 = log(1 + 225/1600),
     * mu = log(40) - sigma^2 / 2 (mpmath). */
    bf_dist d;
    parse_ok("lognormal(mean=40s, sd=15s)", BF_DIST_DURATION, &d);
    assert_true(rel_close(d.p[0], 3.6230912752195766666, 1e-14));
    assert_true(rel_close(d.p[1], 0.36273455554815738094, 1e-14));
}

/* Inversion samplers from a fixed generator state, against draws computed
 * with a Python transcription of xoshiro256** and the same formulas:
 *
 *   S0 = [0x9e3779b97f4a7c15, 0x2385d1c3a9f0e7b1,
 *         0x5bd1e9955bd1e995, 0xc2b2ae3d27d4eb4f]
 *   u01  = (x >> 11) * 2**-53          # first four: 0.26147, 0.72381,
 *   upos = ((x >> 11) + 1) * 2**-53    #             0.72124, 0.19116
 *   uniform:    75 + 315 * u01
 *   triangular: a + sqrt(u (b-a)(c-a)) if u < (c-a)/(b-a)
 *               else b - sqrt((1-u)(b-a)(b-c)),  a, c, b = 75, 143.1, 390
 *   weibull:    47.2 * (-log(upos)) ** (1 / 1.73)
 *   empirical:  first value whose cumulative share exceeds u01
 *
 * The fourth and sixth uniforms fall left of the triangular's mode
 * (F(c) = 0.2162), so both branches are exercised.  Agreement is asked to
 * 1e-12 relative, not bit-for-bit, to allow another libm's log and pow. */
static void set_state(bf_rng *r)
{
    r->s[0] = 0x9e3779b97f4a7c15u;
    r->s[1] = 0x2385d1c3a9f0e7b1u;
    r->s[2] = 0x5bd1e9955bd1e995u;
    r->s[3] = 0xc2b2ae3d27d4eb4fu;
}

static void test_dist_inversion_known_answers(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double want[4];
    } cases[] = {
        {"uniform(min=1.25min, max=6.5min)",
         {157.36304565730688, 302.99987243306896, 302.1893719038055,
          135.21688224282565}},
        {"triangular(min=1.25min, mode=2.385min, max=6.5min)",
         {150.33760406102311, 243.43830140082545, 242.75719346280303,
          139.03725228908894}},
        {"weibull(shape=1.73, scale=47.2s)",
         {55.934764857615434, 24.57088733094217, 24.727005216976927,
          63.14764613447865}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bf_dist d;
        bf_rng r;
        parse_ok(cases[i].text, BF_DIST_DURATION, &d);
        set_state(&r);
        for (int k = 0; k < 4; k++) {
            double x = bf_dist_sample(&d, &r);
            if (!rel_close(x, cases[i].want[k], 1e-12))
                fail_msg("%s draw %d: %.17g, want %.17g", cases[i].text, k, x,
                         cases[i].want[k]);
        }
        bf_dist_fini(&d);
    }
    static const double want_emp[8] = {60, 300, 300, 30, 60, 30, 300, 60};
    bf_dist d;
    bf_rng r;
    parse_ok("empirical(30s 20%, 1min 50%, 5min 30%)", BF_DIST_DURATION, &d);
    set_state(&r);
    for (int k = 0; k < 8; k++)
        assert_true(bf_dist_sample(&d, &r) == want_emp[k]);
    bf_dist_fini(&d);
}

/* ------------------------------------------------------------------ */
/* Sample moments                                                       */
/* ------------------------------------------------------------------ */

/* Raw moments E[X^r], r = 1..4, of each family, written from textbook
 * formulas without using the library:
 *   exp(theta):          r! theta^r
 *   uniform(a, b):       (b^(r+1) - a^(r+1)) / ((r + 1)(b - a))
 *   gamma(k, theta):     theta^r k (k+1) ... (k+r-1)
 *   lognormal(mu, s):    exp(r mu + r^2 s^2 / 2)
 *   weibull(k, lambda):  lambda^r Gamma(1 + r/k)
 *   empirical:           sum p_i v_i^r
 * and the two that are easier as central moments (see central4):
 *   triangular:          mu4 = 2.4 sigma^4 (excess kurtosis -3/5 for
 *                        every triangle)
 *   normal truncated at 0: Z = (X - m)/s is standard normal given
 *                        Z >= alpha = -m/s; its moments obey
 *                        M0 = 1, M1 = lambda, Mk = (k-1) M(k-2) +
 *                        alpha^(k-1) lambda, lambda = phi(alpha) /
 *                        (1 - Phi(alpha)); mu4(X) = s^4 mu4(Z). */
typedef struct moment_case {
    const char *text;
    double mu2; /* variance, from the formulas above */
    double mu4; /* fourth central moment */
} moment_case;

static void central_from_raw(const double m[5], double *mu2, double *mu4)
{
    double a = m[1];
    *mu2 = m[2] - a * a;
    *mu4 = m[4] - 4 * a * m[3] + 6 * a * a * m[2] - 3 * a * a * a * a;
}

static moment_case from_raw(const char *text, const double m[5])
{
    moment_case c = {text, 0, 0};
    central_from_raw(m, &c.mu2, &c.mu4);
    return c;
}

static moment_case exp_case(const char *text, double theta)
{
    double m[5] = {1, theta, 2 * pow(theta, 2), 6 * pow(theta, 3), 24 * pow(theta, 4)};
    return from_raw(text, m);
}

static moment_case uniform_case(const char *text, double a, double b)
{
    double m[5];
    for (int r = 0; r <= 4; r++)
        m[r] = (pow(b, r + 1) - pow(a, r + 1)) / ((r + 1) * (b - a));
    return from_raw(text, m);
}

static moment_case gamma_case(const char *text, double k, double theta)
{
    double m[5] = {1};
    for (int r = 1; r <= 4; r++)
        m[r] = m[r - 1] * theta * (k + r - 1);
    return from_raw(text, m);
}

static moment_case lognormal_case(const char *text, double mean, double sd)
{
    double s2 = log(1 + (sd / mean) * (sd / mean)), mu = log(mean) - s2 / 2;
    double m[5];
    for (int r = 0; r <= 4; r++)
        m[r] = exp(r * mu + r * r * s2 / 2);
    return from_raw(text, m);
}

static moment_case weibull_case(const char *text, double k, double lambda)
{
    double m[5];
    for (int r = 0; r <= 4; r++)
        m[r] = pow(lambda, r) * tgamma(1 + r / k);
    return from_raw(text, m);
}

static moment_case triangular_case(const char *text, double a, double c, double b)
{
    double var = (a * a + b * b + c * c - a * b - a * c - b * c) / 18;
    moment_case mc = {text, var, 2.4 * var * var};
    return mc;
}

static moment_case truncnormal_case(const char *text, double mean, double sd)
{
    double alpha = -mean / sd;
    double lambda = exp(-alpha * alpha / 2) / sqrt(2 * 3.14159265358979323846)
                    / (0.5 * erfc(alpha / sqrt(2)));
    double M[5] = {1, lambda};
    for (int k = 2; k <= 4; k++)
        M[k] = (k - 1) * M[k - 2] + pow(alpha, k - 1) * lambda;
    double mu2, mu4;
    central_from_raw(M, &mu2, &mu4);
    moment_case mc = {text, sd * sd * mu2, pow(sd, 4) * mu4};
    return mc;
}

static moment_case empirical_case(const char *text, const double *v, const double *p,
                                  size_t n)
{
    double m[5] = {0};
    for (size_t i = 0; i < n; i++)
        for (int r = 0; r <= 4; r++)
            m[r] += p[i] * pow(v[i], r);
    return from_raw(text, m);
}

static void check_sample_moments(moment_case c, uint64_t seed)
{
    bf_dist d;
    parse_ok(c.text, BF_DIST_DURATION, &d);
    bf_rng r;
    bf_rng_seed_u64(&r, seed);
    /* Welford's running mean and sum of squared deviations. */
    double mean = 0, m2 = 0, lo = INFINITY;
    for (long i = 1; i <= N_DRAWS; i++) {
        double x = bf_dist_sample(&d, &r);
        double dx = x - mean;
        mean += dx / (double)i;
        m2 += dx * (x - mean);
        if (x < lo)
            lo = x;
    }
    double n = N_DRAWS;
    double s2 = m2 / (n - 1);
    double want_m = bf_dist_mean(&d), want_v = bf_dist_variance(&d);

    /* The independent formulas and the library agree on the variance. */
    assert_true(rel_close(want_v, c.mu2, 1e-9));

    double se_mean = sqrt(c.mu2 / n);
    double var_s2 = c.mu4 / n - c.mu2 * c.mu2 * (n - 3) / (n * (n - 1));
    double se_var = sqrt(var_s2);
    double z_m = (mean - want_m) / se_mean, z_v = (s2 - want_v) / se_var;
    if (!(fabs(z_m) < 5 && fabs(z_v) < 5))
        fail_msg("%s: mean %.6g vs %.6g (z %.2f), variance %.6g vs %.6g (z %.2f)",
                 c.text, mean, want_m, z_m, s2, want_v, z_v);
    assert_true(lo >= 0);
    bf_dist_fini(&d);
}

static void test_dist_sample_moments_every_family(void **state)
{
    (void)state;
    static const double ev[] = {30, 60, 300}, ep[] = {0.2, 0.5, 0.3};
    moment_case cases[] = {
        exp_case("exp(mean=2.385min)", 143.1),
        exp_case("exp(rate=17.25/h)", 3600 / 17.25),
        uniform_case("uniform(min=1.25min, max=6.5min)", 75, 390),
        triangular_case("triangular(min=1.25min, mode=2.385min, max=6.5min)", 75, 143.1,
                        390),
        triangular_case("triangular(min=10s, mode=10s, max=47.3s)", 10, 10, 47.3),
        truncnormal_case("normal(mean=40s, sd=10s)", 40, 10),
        truncnormal_case("normal(mean=3.7s, sd=11.3s)", 3.7, 11.3),
        lognormal_case("lognormal(mean=40s, sd=15s)", 40, 15),
        gamma_case("gamma(shape=2.385, mean=1.5min)", 2.385, 90 / 2.385),
        gamma_case("gamma(shape=0.637, scale=17.3s)", 0.637, 17.3),
        gamma_case("erlang(k=3, mean=2.385min)", 3, 143.1 / 3),
        weibull_case("weibull(shape=1.73, scale=47.2s)", 1.73, 47.2),
        weibull_case("weibull(shape=0.83, scale=2.385min)", 0.83, 143.1),
        empirical_case("empirical(30s 20%, 1min 50%, 5min 30%)", ev, ep, 3),
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_sample_moments(cases[i], 0x5eed0000u + i);

    /* const: every draw is the value. */
    bf_dist d;
    bf_rng r;
    parse_ok("const(2.385min)", BF_DIST_DURATION, &d);
    bf_rng_seed(&r, 2385, 0, "service:const");
    for (int i = 0; i < 1000; i++)
        assert_true(bf_dist_sample(&d, &r) == 143.1);
}

/* The exponential's ziggurat (dist_exp.c) against a Python transcription
 * of xoshiro256** and of the sampler, reading the same tables, from the
 * fixed state S0 above; mean 143.1 s.  Besides the first four draws (fast
 * path), the first draw of each other path within 20,000:
 *
 *   def exp1(r):                       # b = r.next(), etc. as in C
 *       base = 0.0
 *       b = r.next(); i = b & 0xff; u = b >> 11; x = u * W[i]
 *       if u < K[i]: return x
 *       while True:
 *           if i == 0: base += R                                # tail
 *           else:
 *               y = F[i] + r.uniform() * (F[i+1] - F[i])        # wedge
 *               if y < math.exp(-x): return base + x
 *           b = r.next(); i = b & 0xff; u = b >> 11; x = u * W[i]
 *           if u < K[i]: return base + x
 *
 * A wrong path consumes a different number of draws and shifts every later
 * value, so the later indices check the stream alignment too. */
static void test_dist_exp_ziggurat_known_answers(void **state)
{
    (void)state;
    static const struct {
        int index;
        double want;
    } cases[] = {
        {0, 51.83132639457126},    /* fast */
        {1, 108.34820132453304},   /* fast */
        {2, 210.1681849721358},    /* fast */
        {3, 45.35194804213149},    /* fast */
        {98, 43.08396396414736},   /* wedge, accepted */
        {128, 50.41594501433095},  /* wedge rejected, then fast */
        {2187, 405.61698985792583}, /* wedge rejected, wedge accepted */
        {4010, 29.790477422513696}, /* wedge rejected twice */
        {4058, 1188.4794755124228}, /* tail: 7.697 + a fresh draw */
    };
    bf_dist d;
    bf_rng r;
    parse_ok("exp(mean=143.1s)", BF_DIST_DURATION, &d);
    set_state(&r);
    size_t next = 0;
    for (int k = 0; k <= 4058; k++) {
        double x = bf_dist_sample(&d, &r);
        if (next < sizeof cases / sizeof cases[0] && cases[next].index == k) {
            if (!rel_close(x, cases[next].want, 1e-12))
                fail_msg("exp draw %d: %.17g, want %.17g", k, x, cases[next].want);
            next++;
        }
    }
    assert_int_equal(next, sizeof cases / sizeof cases[0]);
    bf_dist_fini(&d);
}

/* The generated tables (tools/gen/exp_ziggurat.py, at 60 digits) against
 * their definitions, recomputed here in double precision: every layer has
 * area v, f = e^-x, the top layer ends at f = 1, and the fast-path
 * thresholds and widths follow from x.  The tolerances are a few ulps of
 * the double computation (1e-13 relative on areas, see below on e^-x). */
static void test_dist_exp_ziggurat_tables(void **state)
{
    (void)state;
    const double r = bf__zig_r, v = bf__zig_v;
    assert_true(rel_close(v, exp(-r) * (r + 1), 1e-14)); /* base + tail */
    assert_true(rel_close(bf__zig_x[0], v / exp(-r), 1e-14));
    assert_true(bf__zig_x[1] == r);
    assert_true(bf__zig_x[256] == 0.0 && bf__zig_f[256] == 1.0);
    for (int i = 1; i < 256; i++) {
        double area = bf__zig_x[i] * (bf__zig_f[i + 1] - bf__zig_f[i]);
        if (!rel_close(area, v, 1e-13))
            fail_msg("layer %d: area %.17g, want %.17g", i, area, v);
        assert_true(bf__zig_x[i + 1] < bf__zig_x[i]);
    }
    for (int i = 0; i < 256; i++) {
        /* f[i] is e^-x of the exact x[i]; the table's x[i] is rounded by
         * up to x 2^-53, which moves e^-x by that much relative, plus the
         * roundings of f and of exp(): (x + 3) 2^-52 bounds it all. */
        double tol = (bf__zig_x[i] + 3) * 0x1.0p-52;
        if (!rel_close(bf__zig_f[i], exp(-bf__zig_x[i]), tol))
            fail_msg("f[%d] = %.17g, e^-x = %.17g", i, bf__zig_f[i], exp(-bf__zig_x[i]));
        assert_true(bf__zig_w[i] == bf__zig_x[i] * 0x1.0p-53);
        /* k[i] = ceil(2^53 x[i+1] / x[i]): u < k[i] iff u x[i] < 2^53 x[i+1].
         * In doubles the ratio carries the roundings of both x (half an
         * ulp each) and of the division: 1.5 2^-52 relative, i.e. 3 units
         * of k, and one more for the ceiling. */
        double k = ceil(0x1.0p53 * bf__zig_x[i + 1] / bf__zig_x[i]);
        if (!(fabs((double)bf__zig_k[i] - k) <= 4.0))
            fail_msg("k[%d] = %.17g, recomputed %.17g", i, (double)bf__zig_k[i], k);
    }
}

/* ------------------------------------------------------------------ */
/* Histogram against the CDF                                            */
/* ------------------------------------------------------------------ */

typedef double (*cdf_fn)(double x, const double *q);

/* Upper 1e-6 quantile of chi-square with df degrees of freedom, by the
 * Wilson-Hilferty cube-root normal approximation; z = Phi^-1(1 - 1e-6). */
static double chi2_crit(int df)
{
    const double z = 4.753424308822899;
    double h = 2.0 / (9.0 * df);
    double t = 1.0 - h + z * sqrt(h);
    return df * t * t * t;
}

typedef struct hist_result {
    double chi2, crit, worst_z;
    int cells;
} hist_result;

/* Bins x[0..n) into K equal-width bins on [lo, hi) plus the tail
 * [hi, inf), pools neighbours until each cell expects >= 20, and returns
 * chi-square and the largest per-cell |z| against F. */
static hist_result histogram_test(const double *x, size_t n, double lo, double hi,
                                  cdf_fn F, const double *q)
{
    enum { K = 50, MIN_EXPECTED = 20 };
    double count[K + 1] = {0};
    double w = (hi - lo) / K;
    for (size_t i = 0; i < n; i++) {
        assert_true(x[i] >= lo); /* support starts at lo for these laws */
        size_t b = x[i] >= hi ? K : (size_t)((x[i] - lo) / w);
        if (b > K)
            b = K;
        count[b]++;
    }
    /* Pool left to right into cells expecting >= MIN_EXPECTED; a thin
     * remainder at the right end joins the last full cell. */
    double cell_o[K + 1], cell_e[K + 1];
    int cells = 0;
    double obs = 0, expct = 0, prev_F = F(lo, q);
    for (int b = 0; b <= K; b++) {
        double right = b == K ? 1.0 : F(lo + (b + 1) * w, q);
        obs += count[b];
        expct += (right - prev_F) * (double)n;
        prev_F = right;
        if (expct >= MIN_EXPECTED) {
            cell_o[cells] = obs;
            cell_e[cells] = expct;
            cells++;
            obs = expct = 0;
        }
    }
    assert_true(cells > 0);
    cell_o[cells - 1] += obs;
    cell_e[cells - 1] += expct;

    hist_result res = {0, 0, 0, cells};
    for (int c = 0; c < cells; c++) {
        double o = cell_o[c], e = cell_e[c];
        double z = (o - e) / sqrt(e * (1 - e / (double)n));
        res.chi2 += (o - e) * (o - e) / e;
        if (fabs(z) > res.worst_z)
            res.worst_z = fabs(z);
    }
    res.crit = chi2_crit(res.cells - 1);
    return res;
}

static double *draw(const char *text, uint64_t seed, size_t n)
{
    bf_dist d;
    parse_ok(text, BF_DIST_DURATION, &d);
    bf_rng r;
    bf_rng_seed_u64(&r, seed);
    double *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = bf_dist_sample(&d, &r);
    bf_dist_fini(&d);
    return x;
}

static void expect_fit(const char *what, hist_result h)
{
    if (!(h.chi2 < h.crit && h.worst_z < 5.5))
        fail_msg("%s: chi2 %.1f (critical %.1f, %d cells), worst |z| %.2f", what,
                 h.chi2, h.crit, h.cells, h.worst_z);
    assert_true(h.cells >= 20); /* enough cells for the test to mean much */
}

static void expect_misfit(const char *what, hist_result h)
{
    if (h.chi2 < h.crit)
        fail_msg("%s: a 5%% error went unnoticed: chi2 %.1f < critical %.1f", what,
                 h.chi2, h.crit);
}

/* Lognormal CDF, q = {mu, sigma}. */
static double lognormal_cdf(double x, const double *q)
{
    if (x <= 0)
        return 0;
    return 0.5 * erfc(-(log(x) - q[0]) / (q[1] * sqrt(2)));
}

/* Regularised lower incomplete gamma P(a, x) by its power series
 *   P(a, x) = x^a e^-x / Gamma(a + 1) * sum_{n>=0} x^n / ((a+1)...(a+n)),
 * which converges for every x (all terms positive, no cancellation);
 * q = {shape, scale}. */
static double gamma_cdf(double x, const double *q)
{
    if (x <= 0)
        return 0;
    double a = q[0], t = x / q[1];
    double term = 1, sum = 1;
    for (int n = 1; n < 10000 && term > 1e-17 * sum; n++) {
        term *= t / (a + n);
        sum += term;
    }
    double p = exp(a * log(t) - t - lgamma(a + 1)) * sum;
    return p < 1 ? p : 1;
}

/* q = {a, c, b}. */
static double triangular_cdf(double x, const double *q)
{
    double a = q[0], c = q[1], b = q[2];
    if (x <= a)
        return 0;
    if (x >= b)
        return 1;
    if (x <= c)
        return (x - a) * (x - a) / ((b - a) * (c - a));
    return 1 - (b - x) * (b - x) / ((b - a) * (b - c));
}

/* q = {shape, scale}. */
static double weibull_cdf(double x, const double *q)
{
    return x <= 0 ? 0 : -expm1(-pow(x / q[1], q[0]));
}

/* N(m, s^2) conditioned on >= 0; q = {m, s}. */
static double truncnormal_cdf(double x, const double *q)
{
    if (x <= 0)
        return 0;
    double lo = 0.5 * erfc(q[0] / (q[1] * sqrt(2))); /* Phi(-m/s) */
    double fx = 0.5 * erfc(-(x - q[0]) / (q[1] * sqrt(2)));
    return (fx - lo) / (1 - lo);
}

static void test_dist_lognormal_histogram(void **state)
{
    (void)state;
    double *x = draw("lognormal(mean=40s, sd=15s)", 0xa11ce, N_DRAWS);
    double s2 = log(1 + (15.0 / 40) * (15.0 / 40));
    double q[2] = {log(40) - s2 / 2, sqrt(s2)};
    expect_fit("lognormal", histogram_test(x, N_DRAWS, 0, 120, lognormal_cdf, q));
    double wrong[2] = {q[0] + log(1.05), q[1]}; /* scale x 1.05 */
    expect_misfit("lognormal",
                  histogram_test(x, N_DRAWS, 0, 120, lognormal_cdf, wrong));
    free(x);
}

static void test_dist_gamma_histogram(void **state)
{
    (void)state;
    /* shape > 1: the plain Marsaglia-Tsang path. */
    double *x = draw("gamma(shape=2.385, mean=1.5min)", 0x6a33a, N_DRAWS);
    double q[2] = {2.385, 90 / 2.385};
    expect_fit("gamma 2.385", histogram_test(x, N_DRAWS, 0, 360, gamma_cdf, q));
    double wrong[2] = {q[0], q[1] * 1.05};
    expect_misfit("gamma 2.385", histogram_test(x, N_DRAWS, 0, 360, gamma_cdf, wrong));
    free(x);

    /* shape < 1: the U^(1/a) boost; most mass is near 0. */
    x = draw("gamma(shape=0.637, scale=17.3s)", 0x6a33b, N_DRAWS);
    double q2[2] = {0.637, 17.3};
    expect_fit("gamma 0.637", histogram_test(x, N_DRAWS, 0, 80, gamma_cdf, q2));
    double wrong2[2] = {q2[0], q2[1] * 1.05};
    expect_misfit("gamma 0.637", histogram_test(x, N_DRAWS, 0, 80, gamma_cdf, wrong2));
    free(x);

    /* Erlang shares the sampler with an integer shape. */
    x = draw("erlang(k=3, mean=2.385min)", 0xe41a, N_DRAWS);
    double q3[2] = {3, 143.1 / 3};
    expect_fit("erlang 3", histogram_test(x, N_DRAWS, 0, 600, gamma_cdf, q3));
    free(x);
}

static void test_dist_triangular_histogram(void **state)
{
    (void)state;
    double *x =
        draw("triangular(min=1.25min, mode=2.385min, max=6.5min)", 0x7a1, N_DRAWS);
    double q[3] = {75, 143.1, 390};
    expect_fit("triangular", histogram_test(x, N_DRAWS, 75, 390, triangular_cdf, q));
    double wrong[3] = {75, 143.1 + 0.05 * 315, 390};
    expect_misfit("triangular",
                  histogram_test(x, N_DRAWS, 75, 390, triangular_cdf, wrong));
    free(x);
}

static void test_dist_weibull_and_normal_histograms(void **state)
{
    (void)state;
    double *x = draw("weibull(shape=1.73, scale=47.2s)", 0x3eb, N_DRAWS);
    double q[2] = {1.73, 47.2};
    expect_fit("weibull", histogram_test(x, N_DRAWS, 0, 150, weibull_cdf, q));
    free(x);

    /* Heavily truncated: a third of the untruncated mass is below 0. */
    x = draw("normal(mean=3.7s, sd=11.3s)", 0x0a1, N_DRAWS);
    double q2[2] = {3.7, 11.3};
    expect_fit("normal", histogram_test(x, N_DRAWS, 0, 45, truncnormal_cdf, q2));
    free(x);
}

/* ------------------------------------------------------------------ */
/* Empirical frequencies                                                */
/* ------------------------------------------------------------------ */

/* The exponential: a histogram on [0, 8 mean) against 1 - e^-x (with the
 * 5%-scale power check), and the tail beyond the ziggurat's base, where a
 * fault in the tail path would show but a histogram of this width would
 * not: 2,000,000 draws, so P(X > 7.697 mean) = 4.5e-4 expects 908 draws
 * and P(X > 10 mean) = 4.5e-5 expects 91; each count must lie within 5
 * binomial standard deviations (a false alarm has probability 6e-7). */
static double exp_cdf(double x, const double *q)
{
    return x <= 0 ? 0 : -expm1(-x / q[0]);
}

static void test_dist_exp_histogram_and_tail(void **state)
{
    (void)state;
    enum { N = 2000000 };
    double *x = draw("exp(mean=7s)", 0xe4b, N);
    double q[1] = {7};
    expect_fit("exp", histogram_test(x, N, 0, 56, exp_cdf, q));
    double wrong[1] = {7 * 1.05};
    expect_misfit("exp", histogram_test(x, N, 0, 56, exp_cdf, wrong));
    const double edges[] = {bf__zig_r, 10};
    for (size_t k = 0; k < 2; k++) {
        double p = exp(-edges[k]);
        size_t over = 0;
        for (size_t i = 0; i < N; i++)
            over += x[i] > 7 * edges[k];
        double e = N * p, sd = sqrt(N * p * (1 - p));
        if (fabs((double)over - e) > 5 * sd)
            fail_msg("exp: %zu draws beyond %g means, expected %.1f +- %.1f", over,
                     edges[k], e, 5 * sd);
    }
    free(x);
}

static void test_dist_empirical_frequencies(void **state)
{
    (void)state;
    /* Values out of order, one share of 0. */
    static const double value[] = {7.5, 45, 120, 195, 660};
    static const double share[] = {0.125, 0.372, 0, 0.083, 0.42};
    enum { N = 5, DRAWS = 100000 };
    bf_dist d;
    parse_ok("empirical(7.5s 12.5%, 45s 37.2%, 2min 0%, 3.25min 8.3%, 11min 42%)",
             BF_DIST_DURATION, &d);
    bf_rng r;
    bf_rng_seed(&r, 2385, 3, "service:empirical");
    double count[N] = {0};
    for (int i = 0; i < DRAWS; i++) {
        double x = bf_dist_sample(&d, &r);
        int k = 0;
        while (k < N && value[k] != x)
            k++;
        assert_true(k < N); /* only table values are drawn */
        count[k]++;
    }
    for (int k = 0; k < N; k++) {
        double e = DRAWS * share[k];
        if (share[k] == 0) {
            assert_true(count[k] == 0);
            continue;
        }
        /* Binomial(DRAWS, p): sd = sqrt(n p (1 - p)); 5 sd per value. */
        double z = (count[k] - e) / sqrt(e * (1 - share[k]));
        if (fabs(z) >= 5)
            fail_msg("value %g: %g draws, expected %g (z %.2f)", value[k], count[k], e,
                     z);
    }
    bf_dist_fini(&d);

    /* A single entry is a constant. */
    parse_ok("empirical(2.385min 100%)", BF_DIST_DURATION, &d);
    for (int i = 0; i < 100; i++)
        assert_true(bf_dist_sample(&d, &r) == 143.1);
    assert_true(bf_dist_variance(&d) == 0);
    bf_dist_fini(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dist_parse_canonical_text_and_round_trip),
        cmocka_unit_test(test_dist_names_match_registry),
        cmocka_unit_test(test_dist_parse_errors_name_and_syntax),
        cmocka_unit_test(test_dist_parse_errors_parameters),
        cmocka_unit_test(test_dist_parse_errors_empirical),
        cmocka_unit_test(test_dist_parse_errors_units),
        cmocka_unit_test(test_dist_why_may_be_null_or_tiny),
        cmocka_unit_test(test_dist_parse_survives_token_soup),
        cmocka_unit_test(test_dist_parse_megabyte_inputs),
        cmocka_unit_test(test_dist_const_copy_fini),
        cmocka_unit_test(test_dist_alloc_failure_injection),
        cmocka_unit_test(test_dist_moments_known_answers),
        cmocka_unit_test(test_dist_inversion_known_answers),
        cmocka_unit_test(test_dist_exp_ziggurat_known_answers),
        cmocka_unit_test(test_dist_exp_ziggurat_tables),
        cmocka_unit_test(test_dist_exp_histogram_and_tail),
        cmocka_unit_test(test_dist_sample_moments_every_family),
        cmocka_unit_test(test_dist_lognormal_histogram),
        cmocka_unit_test(test_dist_gamma_histogram),
        cmocka_unit_test(test_dist_triangular_histogram),
        cmocka_unit_test(test_dist_weibull_and_normal_histograms),
        cmocka_unit_test(test_dist_empirical_frequencies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
