/*
 * units.h - parsing and printing of the quantities scenario files are
 * written in: durations ("30s", "1.5h"), rates ("240/h"), shares ("35%",
 * "0.35") and whole numbers.
 *
 * Every parser takes the whole string (leading and trailing blanks
 * allowed, nothing else after the number and unit), stores the value in
 * SI base units (seconds, per second, fraction in [0,1]) and, on failure,
 * returns BF_EINVAL and writes a sentence saying what was expected into
 * why (may be NULL).  Nothing here allocates.
 *
 * Duration units: s, sec, min, h, hr, d, day, days, w (week).  A bare
 * number is refused: "expected a duration with a unit (s, min, h, d)".
 * Rate units: "/s", "/min", "/h", "/d", also "per h".  Numbers are decimal
 * floating point; NaN, infinity and hexadecimal are refused.
 */
#ifndef BORDERFLOW_UNITS_H
#define BORDERFLOW_UNITS_H

#include "borderflow/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A finite decimal number; rest of string must be blank. */
bf_status bf_parse_number(const char *s, double *out, char *why, size_t why_len);

/* A duration >= 0 with a unit, in seconds. */
bf_status bf_parse_duration(const char *s, double *out_s, char *why, size_t why_len);

/* A rate >= 0 such as "240/h", in events per second. */
bf_status bf_parse_rate(const char *s, double *out_per_s, char *why, size_t why_len);

/* A share in [0,1], written "35%" or "0.35". */
bf_status bf_parse_share(const char *s, double *out, char *why, size_t why_len);

/* A whole number in [min, max]. */
bf_status bf_parse_int(const char *s, long long min, long long max,
                       long long *out, char *why, size_t why_len);

/* Prints seconds in the largest unit that keeps it readable, e.g.
 * "45s", "2.5min", "6h", "8d".  Returns what snprintf returns. */
int bf_format_duration(double seconds, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
