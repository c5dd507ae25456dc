/*
 * common.h - types shared by every borderflow module: simulated time, status
 * codes, the input-error record and the allocator wrappers.
 *
 * Errors.  Library functions return a bf_status (BF_OK == 0, negative on
 * failure).  Functions that read user input also fill a caller-owned
 * bf_error with where the problem is (file, line, section, key, value) and
 * what was expected.  The library never prints and never exits; only the
 * CLI turns a bf_error into words on stderr and an exit code.
 *
 * Memory.  Every allocation in the library goes through bf_malloc,
 * bf_calloc, bf_realloc and bf_free so that tests can make the n-th
 * allocation fail (bf_alloc_fail_after) and check that every error path
 * frees what it built.  The failure counter is thread-local, so a test
 * that injects failures does not disturb other threads.
 */
#ifndef BORDERFLOW_COMMON_H
#define BORDERFLOW_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Simulated time, in seconds since the start of the run. */
typedef double bf_time;

typedef enum bf_status {
    BF_OK = 0,
    BF_ENOMEM = -1,   /* an allocation failed */
    BF_EINVAL = -2,   /* bad input: scenario, option, override */
    BF_EIO = -3,      /* a file could not be read or written */
    BF_ESTORE = -4,   /* the results store refused or failed */
    BF_ESTATE = -5,   /* call not valid in the object's current state */
    BF_ECANCELED = -6 /* the caller asked to stop */
} bf_status;

/* Where an input error is and what was expected.  Fields that do not apply
 * are empty strings (line: 0).  All strings are NUL-terminated and
 * truncated to fit. */
typedef struct bf_error {
    bf_status code;
    char file[256];    /* scenario path, "--set", "<string>" ... */
    int line;          /* 1-based line in file, 0 if none */
    char section[128]; /* e.g. "station fl_check" */
    char key[128];     /* e.g. "servers" */
    char value[160];   /* the offending text, shortened if long */
    bool has_value;    /* value applies (it may be ""); false: e.g. a missing key */
    char msg[512];     /* what was expected, a full sentence */
} bf_error;

/* Clears every field (code BF_OK).  err may be NULL. */
void bf_error_clear(bf_error *err);

/* Sets code and msg (printf-style); leaves the location fields alone.
 * err may be NULL.  Returns code, so callers can write
 * `return bf_error_set(err, BF_EINVAL, "...")`. */
bf_status bf_error_set(bf_error *err, bf_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets the location fields; any argument may be NULL (left unchanged).
 * value is shortened with "..." when longer than the field. */
void bf_error_at(bf_error *err, const char *file, int line,
                 const char *section, const char *key, const char *value);

/* Formats as
 *   FILE:LINE: [SECTION] KEY = "VALUE": MSG
 * leaving out parts that are empty.  Returns what snprintf returns. */
int bf_error_format(const bf_error *err, char *buf, size_t len);

/* A short English name for a status code ("out of memory", ...). */
const char *bf_status_str(bf_status s);

/* Allocation wrappers.  Same contracts as the C library functions; they
 * return NULL when the injected failure counter says so. */
void *bf_malloc(size_t n);
void *bf_calloc(size_t count, size_t size);
void *bf_realloc(void *p, size_t n);
void bf_free(void *p);
char *bf_strdup(const char *s);

/* Test hook: the n-th allocation from now on (0 = the next one) on this
 * thread fails, and so do all after it until reset.  n < 0 disables
 * injection.  Returns the number of allocations made on this thread since
 * the last call (useful to size failure loops). */
long bf_alloc_fail_after(long n);

/* Levenshtein distance between a and b, ignoring ASCII case. */
size_t bf_edit_distance(const char *a, const char *b);

/* The candidate closest to word (by bf_edit_distance) if it is close
 * enough to be a plausible typo (distance <= max(2, strlen(word) / 3)),
 * else NULL.  cands[i] may be NULL (skipped).  For "did you mean ...?". */
const char *bf_closest(const char *word, const char *const *cands, size_t n);

/* Version string, e.g. "0.1.0", and the source revision the binary was
 * built from (git describe, or "unknown"). */
const char *bf_version(void);
const char *bf_source_revision(void);

#ifdef __cplusplus
}
#endif
#endif
