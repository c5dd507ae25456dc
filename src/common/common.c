/*
 * common.c - bf_error helpers, status names, the allocation wrappers with
 * their failure-injection hook, and the version strings.
 */
#include "borderflow/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef BF_VERSION
#define BF_VERSION "0.0.0"
#endif
/* BF_SOURCE_REV: written at every build by tools/cmake/revision.cmake
 * (builds outside CMake, such as tools/fuzz/build.sh, define it). */
#ifndef BF_SOURCE_REV
#include "bf_revision.h"
#endif

/* Allocation counter and failure threshold for tests.  Thread-local so an
 * injecting test does not disturb worker threads it did not aim at. */
static _Thread_local long alloc_count;
static _Thread_local long alloc_fail_at = -1;

static bool alloc_should_fail(void)
{
    long i = alloc_count++;
    return alloc_fail_at >= 0 && i >= alloc_fail_at;
}

long bf_alloc_fail_after(long n)
{
    long made = alloc_count;
    alloc_count = 0;
    alloc_fail_at = n;
    return made;
}

void *bf_malloc(size_t n)
{
    if (alloc_should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *bf_calloc(size_t count, size_t size)
{
    if (alloc_should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *bf_realloc(void *p, size_t n)
{
    if (alloc_should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void bf_free(void *p)
{
    free(p);
}

char *bf_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = bf_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static void copy_field(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n < cap) {
        memcpy(dst, src, n + 1);
        return;
    }
    /* Too long (a 10 MB line, say): keep the start and mark the cut. */
    memcpy(dst, src, cap - 4);
    memcpy(dst + cap - 4, "...", 4);
}

void bf_error_clear(bf_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

bf_status bf_error_set(bf_error *err, bf_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void bf_error_at(bf_error *err, const char *file, int line, const char *section,
                 const char *key, const char *value)
{
    if (!err)
        return;
    if (file)
        copy_field(err->file, sizeof err->file, file);
    if (line >= 0)
        err->line = line;
    if (section)
        copy_field(err->section, sizeof err->section, section);
    if (key)
        copy_field(err->key, sizeof err->key, key);
    if (value) {
        copy_field(err->value, sizeof err->value, value);
        err->has_value = true;
    }
}

int bf_error_format(const bf_error *err, char *buf, size_t len)
{
    char where[512] = "";
    size_t w = 0;
    if (err->file[0]) {
        if (err->line > 0)
            w += (size_t)snprintf(where + w, sizeof where - w, "%s:%d: ",
                                  err->file, err->line);
        else
            w += (size_t)snprintf(where + w, sizeof where - w, "%s: ", err->file);
    }
    if (w < sizeof where && err->section[0])
        w += (size_t)snprintf(where + w, sizeof where - w, "[%s] ", err->section);
    if (w < sizeof where && err->key[0]) {
        if (err->has_value)
            w += (size_t)snprintf(where + w, sizeof where - w, "%s = \"%s\": ",
                                  err->key, err->value);
        else
            w += (size_t)snprintf(where + w, sizeof where - w, "%s: ", err->key);
    }
    return snprintf(buf, len, "%s%s", where,
                    err->msg[0] ? err->msg : bf_status_str(err->code));
}

const char *bf_status_str(bf_status s)
{
    switch (s) {
    case BF_OK: return "ok";
    case BF_ENOMEM: return "out of memory";
    case BF_EINVAL: return "invalid input";
    case BF_EIO: return "input/output error";
    case BF_ESTORE: return "results store error";
    case BF_ESTATE: return "invalid state";
    case BF_ECANCELED: return "canceled";
    }
    return "unknown error";
}

const char *bf_version(void)
{
    return BF_VERSION;
}

const char *bf_source_revision(void)
{
    return BF_SOURCE_REV;
}

size_t bf_edit_distance(const char *a, const char *b)
{
    /* Two rows of the dynamic-programming table; names are short, and
     * longer inputs are capped so a hostile 10 MB token costs nothing. */
    enum { CAP = 64 };
    size_t na = strlen(a), nb = strlen(b);
    if (na > CAP)
        na = CAP;
    if (nb > CAP)
        nb = CAP;
    size_t prev[CAP + 1], cur[CAP + 1];
    for (size_t j = 0; j <= nb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= na; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            int ca = a[i - 1], cb = b[j - 1];
            if (ca >= 'A' && ca <= 'Z')
                ca += 'a' - 'A';
            if (cb >= 'A' && cb <= 'Z')
                cb += 'a' - 'A';
            size_t best = prev[j - 1] + (ca != cb);
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            cur[j] = best;
        }
        memcpy(prev, cur, (nb + 1) * sizeof prev[0]);
    }
    return prev[nb];
}

const char *bf_closest(const char *word, const char *const *cands, size_t n)
{
    size_t limit = strlen(word) / 3;
    if (limit < 2)
        limit = 2;
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        if (!cands[i])
            continue;
        size_t d = bf_edit_distance(word, cands[i]);
        if (d < best_d) {
            best_d = d;
            best = cands[i];
        }
    }
    return best_d <= limit ? best : NULL;
}
