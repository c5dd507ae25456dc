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

/* A data size such as "2GB", "500 MB", "1.5TB", "4GiB", in bytes
 * (decimal units: 1 GB = 10^9 B; KiB/MiB/GiB/TiB binary). */
bf_status bf_parse_size(const char *s, double *out_bytes, char *why, size_t why_len);

/* A bandwidth such as "10Gbit/s", "100 Mbit/s", "1Gbps" or "125MB/s", in
 * bits per second. */
bf_status bf_parse_bandwidth(const char *s, double *out_bits_per_s, char *why, size_t why_len);

/* Copies in to out (len bytes) with every "NUMBER SIZEUNIT" replaced by
 * the number of bytes ("lognormal(mean=2GB, sd=1GB)" becomes
 * "lognormal(mean=2000000000, sd=1000000000)").  Returns the length, or -1
 * if out was too small. */
int bf_units_expand_sizes(const char *in, char *out, size_t len);

/* Prints seconds in the largest unit that keeps it readable, e.g.
 * "45s", "2.5min", "6h", "8d".  Returns what snprintf returns. */
int bf_format_duration(double seconds, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
