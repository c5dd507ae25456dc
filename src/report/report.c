/*
 * report.c - the read-only handle on a results store and what every part
 * of the report module reads through it: runs, metric keys (and their
 * selection by scope and class), aggregates, per-replication values and
 * parameters.  Also the growable string the writers build text in.
 *
 * The handle opens the file with SQLITE_OPEN_READONLY, so nothing here can
 * change a store, and checks meta.application and meta.schema_version
 * before anything else reads it.  Statements are prepared per call: the
 * queries are few and small next to what they return, and a handle with
 * no cached state cannot go stale while a run appends to the store.
 */
#include "report/report_int.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "borderflow/stats.h"
#include "borderflow/store.h"

/* ---- growable string ------------------------------------------------ */

static bool sbuf_reserve(sbuf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *s = bf_realloc(b->s, cap);
    if (!s) {
        b->oom = true;
        return false;
    }
    b->s = s;
    b->cap = cap;
    return true;
}

void bf__sbuf_put(sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (!sbuf_reserve(b, n))
        return;
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

void bf__sbuf_printf(sbuf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        bf__sbuf_put(b, small);
        return;
    }
    if (!sbuf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void bf__sbuf_fini(sbuf *b)
{
    bf_free(b->s);
    *b = (sbuf){0};
}

const char *bf__sbuf_str(const sbuf *b)
{
    return b->s ? b->s : "";
}

char *bf__sbuf_take(sbuf *b)
{
    if (b->oom) {
        bf__sbuf_fini(b);
        return NULL;
    }
    char *s = b->s ? b->s : bf_strdup("");
    *b = (sbuf){0};
    return s;
}

void bf__strv_free(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        bf_free(v[i]);
    bf_free(v);
}

/* ---- errors --------------------------------------------------------- */

static bf_status status_of(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_NOMEM: return BF_ENOMEM;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_PERM: return BF_EIO;
    default: return BF_ESTORE;
    }
}

bf_status bf__report_fail(bf_report *r, int rc, bf_error *err, const char *doing)
{
    bf_error_clear(err);
    bf_status st = status_of(rc);
    bf_error_set(err, st, "%s: %s: %s", r->path, doing,
                 r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(rc));
    return st;
}

bf_status bf__report_prepare(bf_report *r, const char *sql, sqlite3_stmt **st, bf_error *err)
{
    int rc = sqlite3_prepare_v2(r->db, sql, -1, st, NULL);
    if (rc != SQLITE_OK) {
        *st = NULL;
        return bf__report_fail(r, rc, err, "cannot read the store");
    }
    return BF_OK;
}

const char *bf__col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

double bf__col_double(sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return NAN;
    return sqlite3_column_double(st, i);
}

/* ---- open / close --------------------------------------------------- */

bf_status bf_report_open(const char *path, bf_report **out, bf_error *err)
{
    *out = NULL;
    bf_error_clear(err);
    struct stat sb;
    if (stat(path, &sb) != 0)
        return bf_error_set(err, BF_EIO, "%s: cannot open the results store: %s", path,
                            strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return bf_error_set(err, BF_ESTORE, "%s: not a results store (not a regular file)", path);
    if (sb.st_size == 0)
        return bf_error_set(err, BF_ESTATE, "%s: the results store is empty (no runs); store "
                            "results with: borderflow run SCENARIO --db %s", path, path);

    bf_report *r = bf_calloc(1, sizeof *r);
    if (!r || !(r->path = bf_strdup(path))) {
        bf_free(r);
        return bf_error_set(err, BF_ENOMEM, "out of memory");
    }
    bf_status st;
    int rc = sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        st = bf__report_fail(r, rc, err, "cannot open the results store");
        goto fail;
    }
    sqlite3_busy_timeout(r->db, 5000);

    /* Identity first: a file that is not a borderflow store, or a store of
     * another schema version, is refused before anything reads it. */
    sqlite3_stmt *q = NULL;
    rc = sqlite3_prepare_v2(r->db, "SELECT key, value FROM meta", -1, &q, NULL);
    if (rc != SQLITE_OK) {
        bf_error_clear(err);
        if ((rc & 0xff) == SQLITE_NOMEM)
            st = bf_error_set(err, BF_ENOMEM, "out of memory");
        else
            st = bf_error_set(err, BF_ESTORE, "%s: not a borderflow results store (%s)", path,
                              sqlite3_errmsg(r->db));
        goto fail;
    }
    char app[64] = "", ver[32] = "";
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *k = bf__col_text(q, 0), *v = bf__col_text(q, 1);
        if (strcmp(k, "application") == 0)
            snprintf(app, sizeof app, "%s", v);
        else if (strcmp(k, "schema_version") == 0)
            snprintf(ver, sizeof ver, "%s", v);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        st = bf__report_fail(r, rc, err, "cannot read the store's identity");
        goto fail;
    }
    if (strcmp(app, "borderflow") != 0) {
        st = bf_error_set(err, BF_ESTORE, "%s: not a borderflow results store (meta.application "
                          "is '%s')", path, app);
        goto fail;
    }
    char want[16];
    snprintf(want, sizeof want, "%d", BF_STORE_SCHEMA_VERSION);
    if (strcmp(ver, want) != 0) {
        st = bf_error_set(err, BF_ESTORE, "%s has schema version %s; this borderflow reads "
                          "version %s", path, ver[0] ? ver : "(none)", want);
        goto fail;
    }
    *out = r;
    return BF_OK;
fail:
    bf_report_close(r);
    return st;
}

void bf_report_close(bf_report *r)
{
    if (!r)
        return;
    sqlite3_close(r->db);
    bf_free(r->path);
    bf_free(r);
}

bool bf__report_has_table(bf_report *r, const char *name)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(r->db, "SELECT 1 FROM sqlite_schema WHERE name = ?1", -1, &q, NULL) !=
        SQLITE_OK)
        return false;
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    bool yes = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    return yes;
}

char *bf__report_param(bf_report *r, int64_t run, const char *key)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(r->db, "SELECT value FROM parameters WHERE run_id = ?1 AND key = ?2",
                           -1, &q, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_int64(q, 1, run);
    sqlite3_bind_text(q, 2, key, -1, SQLITE_STATIC);
    char *v = NULL;
    if (sqlite3_step(q) == SQLITE_ROW)
        v = bf_strdup(bf__col_text(q, 0));
    sqlite3_finalize(q);
    return v;
}

/* ---- runs ----------------------------------------------------------- */

bf_status bf_report_latest_run(bf_report *r, int64_t *id, bf_error *err)
{
    bf_error_clear(err);
    sqlite3_stmt *q;
    bf_status st = bf__report_prepare(
        r,
        "SELECT (SELECT max(id) FROM runs WHERE status IN ('done', 'partial')),"
        " (SELECT count(*) FROM runs)",
        &q, err);
    if (st != BF_OK)
        return st;
    int rc = sqlite3_step(q);
    if (rc != SQLITE_ROW) {
        st = bf__report_fail(r, rc, err, "cannot list the runs");
        sqlite3_finalize(q);
        return st;
    }
    bool none = sqlite3_column_type(q, 0) == SQLITE_NULL;
    *id = sqlite3_column_int64(q, 0);
    int64_t n = sqlite3_column_int64(q, 1);
    sqlite3_finalize(q);
    if (!none)
        return BF_OK;
    if (n == 0)
        return bf_error_set(err, BF_ESTATE, "%s has no runs yet; store results with: borderflow "
                            "run SCENARIO --db %s", r->path, r->path);
    return bf_error_set(err, BF_ESTATE, "%s has %lld run(s) but none finished (status 'done' or "
                        "'partial'); name one with --run ID", r->path, (long long)n);
}

void bf_report_run_fini(bf_report_run *run)
{
    if (!run)
        return;
    char **f[] = {&run->scenario, &run->title, &run->status, &run->seed, &run->overrides,
                  &run->command_line, &run->started_at, &run->version, &run->revision};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        bf_free(*f[i]);
        *f[i] = NULL;
    }
}

/* "1, 2, 5" (at most a few dozen), for "no such run" messages. */
static void list_runs(bf_report *r, char *buf, size_t len)
{
    buf[0] = 0;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(r->db, "SELECT id FROM runs ORDER BY id", -1, &q, NULL) != SQLITE_OK)
        return;
    size_t used = 0;
    int n = 0;
    while (sqlite3_step(q) == SQLITE_ROW && used + 24 < len) {
        if (n++ == 40) {
            snprintf(buf + used, len - used, ", ...");
            break;
        }
        used += (size_t)snprintf(buf + used, len - used, "%s%lld", n > 1 ? ", " : "",
                                 (long long)sqlite3_column_int64(q, 0));
    }
    sqlite3_finalize(q);
}

bf_status bf_report_run_get(bf_report *r, int64_t id, bf_report_run *out, bf_error *err)
{
    bf_error_clear(err);
    *out = (bf_report_run){.id = id};
    sqlite3_stmt *q;
    bf_status st = bf__report_prepare(
        r,
        "SELECT s.name, r.status, r.seed, r.overrides, r.command_line, r.started_at,"
        " r.borderflow_version, r.source_revision, r.replications_planned, r.horizon_s,"
        " r.warmup_s, r.sample_every_s,"
        " (SELECT count(*) FROM replications p WHERE p.run_id = r.id),"
        " (SELECT value FROM parameters p WHERE p.run_id = r.id AND p.key = 'simulation.title')"
        " FROM runs r JOIN scenarios s ON s.id = r.scenario_id WHERE r.id = ?1",
        &q, err);
    if (st != BF_OK)
        return st;
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(q);
        char runs[400];
        list_runs(r, runs, sizeof runs);
        if (!runs[0])
            return bf_error_set(err, BF_ESTATE, "%s has no runs yet; store results with: "
                                "borderflow run SCENARIO --db %s", r->path, r->path);
        return bf_error_set(err, BF_EINVAL, "%s has no run %lld (runs: %s)", r->path,
                            (long long)id, runs);
    }
    if (rc != SQLITE_ROW) {
        st = bf__report_fail(r, rc, err, "cannot read the run");
        sqlite3_finalize(q);
        return st;
    }
    char **f[] = {&out->scenario, &out->status, &out->seed, &out->overrides,
                  &out->command_line, &out->started_at, &out->version, &out->revision};
    bool oom = false;
    for (int i = 0; i < 8; i++)
        oom |= !(*f[i] = bf_strdup(bf__col_text(q, i)));
    out->planned = sqlite3_column_int(q, 8);
    out->horizon_s = sqlite3_column_double(q, 9);
    out->warmup_s = sqlite3_column_double(q, 10);
    out->sample_every_s = sqlite3_column_double(q, 11);
    out->replications = sqlite3_column_int(q, 12);
    oom |= !(out->title = bf_strdup(bf__col_text(q, 13)));
    sqlite3_finalize(q);
    if (oom)
        return bf_error_set(err, BF_ENOMEM, "out of memory");
    return BF_OK;
}

char *bf__overrides_line(const char *overrides)
{
    sbuf b = {0};
    bool first = true;
    const char *p = overrides;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n) {
            if (!first)
                bf__sbuf_put(&b, "; ");
            bf__sbuf_printf(&b, "%.*s", (int)n, p);
            first = false;
        }
        p += n + (e ? 1 : 0);
    }
    return bf__sbuf_take(&b);
}

/* ---- metric keys ---------------------------------------------------- */

void bf__rkeys_fini(rkeys *k)
{
    for (size_t i = 0; i < k->n; i++) {
        bf_free(k->v[i].scope_kind);
        bf_free(k->v[i].scope);
        bf_free(k->v[i].class_name);
        bf_free(k->v[i].metric);
        bf_free(k->v[i].unit);
    }
    bf_free(k->v);
    *k = (rkeys){0};
}

static bool rkeys_push(rkeys *k, const rkey *x)
{
    rkey *v = bf_realloc(k->v, (k->n + 1) * sizeof *v);
    if (!v)
        return false;
    k->v = v;
    rkey *d = &v[k->n];
    *d = (rkey){.key_index = x->key_index};
    d->scope_kind = bf_strdup(x->scope_kind);
    d->scope = bf_strdup(x->scope);
    d->class_name = bf_strdup(x->class_name);
    d->metric = bf_strdup(x->metric);
    d->unit = bf_strdup(x->unit);
    k->n++;
    return d->scope_kind && d->scope && d->class_name && d->metric && d->unit;
}

static bf_status load_keys(bf_report *r, int64_t run, rkeys *all, bf_error *err)
{
    sqlite3_stmt *q;
    bf_status st = bf__report_prepare(r,
                                      "SELECT key_index, scope_kind, scope, class, metric, unit"
                                      " FROM metric_keys WHERE run_id = ?1 ORDER BY key_index",
                                      &q, err);
    if (st != BF_OK)
        return st;
    sqlite3_bind_int64(q, 1, run);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        rkey k = {.key_index = sqlite3_column_int(q, 0),
                  .scope_kind = (char *)bf__col_text(q, 1),
                  .scope = (char *)bf__col_text(q, 2),
                  .class_name = (char *)bf__col_text(q, 3),
                  .metric = (char *)bf__col_text(q, 4),
                  .unit = (char *)bf__col_text(q, 5)};
        if (!rkeys_push(all, &k)) {
            sqlite3_finalize(q);
            return bf_error_set(err, BF_ENOMEM, "out of memory");
        }
    }
    if (rc != SQLITE_DONE)
        st = bf__report_fail(r, rc, err, "cannot read the metric keys");
    sqlite3_finalize(q);
    return st;
}

/* The distinct values of one field of all keys, for suggestions. */
static const char **distinct(const rkeys *all, size_t field, size_t *n)
{
    const char **v = bf_calloc(all->n ? all->n : 1, sizeof *v);
    *n = 0;
    if (!v)
        return NULL;
    for (size_t i = 0; i < all->n; i++) {
        const rkey *k = &all->v[i];
        const char *s = field == 0 ? k->metric : field == 1 ? k->scope : k->class_name;
        if (!s[0])
            continue;
        bool seen = false;
        for (size_t j = 0; j < *n && !seen; j++)
            seen = strcmp(v[j], s) == 0;
        if (!seen)
            v[(*n)++] = s;
    }
    return v;
}

static bf_status unknown_name(const rkeys *all, size_t field, const char *what, const char *name,
                              int64_t run, bf_error *err)
{
    size_t n;
    const char **v = distinct(all, field, &n);
    const char *best = v ? bf_closest(name, v, n) : NULL;
    sbuf list = {0};
    for (size_t i = 0; v && i < n && i < 30; i++)
        bf__sbuf_printf(&list, "%s%s", i ? ", " : "", v[i]);
    if (v && n > 30)
        bf__sbuf_put(&list, ", ...");
    bf_error_clear(err);
    bf_error_at(err, NULL, 0, NULL, NULL, name);
    if (best)
        bf_error_set(err, BF_EINVAL, "unknown %s '%s' in run %lld; did you mean '%s'? (%ss: %s)",
                     what, name, (long long)run, best, what, bf__sbuf_str(&list));
    else
        bf_error_set(err, BF_EINVAL, "unknown %s '%s' in run %lld (%ss: %s)", what, name,
                     (long long)run, what, bf__sbuf_str(&list));
    bf__sbuf_fini(&list);
    bf_free(v);
    return BF_EINVAL;
}

static bool in_list(const char *s, const char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, v[i]) == 0)
            return true;
    return false;
}

static bool key_at(const rkey *k, const char *scope)
{
    if (strcmp(scope, "system") == 0)
        return strcmp(k->scope_kind, "system") == 0;
    return strcmp(k->scope, scope) == 0;
}

bf_status bf__report_select_keys(bf_report *r, int64_t run, const char *metric,
                                 const char *const *scopes, size_t n_scopes,
                                 const char *const *classes, size_t n_classes,
                                 const char *default_kind, rkeys *out, bf_error *err)
{
    *out = (rkeys){0};
    rkeys all = {0};
    bf_status st = load_keys(r, run, &all, err);
    if (st != BF_OK)
        goto done;
    if (all.n == 0) {
        st = bf_error_set(err, BF_ESTATE, "run %lld has no metrics stored", (long long)run);
        goto done;
    }
    bool have_metric = false;
    for (size_t i = 0; i < all.n && !have_metric; i++)
        have_metric = strcmp(all.v[i].metric, metric) == 0;
    if (!have_metric) {
        st = unknown_name(&all, 0, "metric", metric, run, err);
        goto done;
    }
    for (size_t s = 0; s < n_scopes; s++) {
        bool found = strcmp(scopes[s], "system") == 0;
        for (size_t i = 0; i < all.n && !found; i++)
            found = strcmp(all.v[i].scope, scopes[s]) == 0;
        if (!found) {
            st = unknown_name(&all, 1, "scope", scopes[s], run, err);
            goto done;
        }
    }
    for (size_t c = 0; c < n_classes; c++) {
        bool found = strcmp(classes[c], "all") == 0;
        for (size_t i = 0; i < all.n && !found; i++)
            found = strcmp(all.v[i].class_name, classes[c]) == 0;
        if (!found) {
            st = unknown_name(&all, 2, "class", classes[c], run, err);
            goto done;
        }
    }

    bool oom = false;
    if (n_scopes) {
        for (size_t s = 0; s < n_scopes; s++) {
            size_t n_per_class = 0;
            bool has_all = false;
            for (size_t i = 0; i < all.n; i++) {
                const rkey *k = &all.v[i];
                if (strcmp(k->metric, metric) != 0 || !key_at(k, scopes[s]))
                    continue;
                if (!k->class_name[0] || strcmp(k->scope_kind, "class") == 0)
                    has_all = true;
                else
                    n_per_class++;
            }
            for (size_t i = 0; i < all.n; i++) {
                const rkey *k = &all.v[i];
                if (strcmp(k->metric, metric) != 0 || !key_at(k, scopes[s]))
                    continue;
                bool whole = !k->class_name[0] || strcmp(k->scope_kind, "class") == 0;
                bool take;
                if (n_classes)
                    take = in_list(whole ? "all" : k->class_name, classes, n_classes) ||
                           (strcmp(k->scope_kind, "class") == 0 &&
                            in_list(k->class_name, classes, n_classes));
                else if (n_scopes == 1 && n_per_class >= 2)
                    take = !whole;
                else
                    take = whole || !has_all;
                if (take)
                    oom |= !rkeys_push(out, k);
            }
        }
    } else {
        /* The default kind, or the first kind that has the metric. */
        static const char *const kinds[] = {"class", "station", "line", "delay", "system"};
        const char *kind = default_kind;
        for (size_t t = 0; t <= 5; t++) {
            bool any = false;
            for (size_t i = 0; i < all.n && !any; i++)
                any = strcmp(all.v[i].metric, metric) == 0 &&
                      strcmp(all.v[i].scope_kind, kind) == 0;
            if (any || t == 5)
                break;
            kind = kinds[t];
        }
        bool per_class_kind = strcmp(kind, "class") == 0;
        for (size_t i = 0; i < all.n; i++) {
            const rkey *k = &all.v[i];
            if (strcmp(k->metric, metric) != 0 || strcmp(k->scope_kind, kind) != 0)
                continue;
            bool take;
            if (per_class_kind)
                take = !n_classes || in_list(k->class_name, classes, n_classes);
            else if (n_classes)
                take = in_list(k->class_name[0] ? k->class_name : "all", classes, n_classes);
            else
                take = !k->class_name[0];
            if (take)
                oom |= !rkeys_push(out, k);
        }
    }
    if (oom) {
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
        goto done;
    }
    if (out->n == 0) {
        bf_error_clear(err);
        st = bf_error_set(err, BF_EINVAL, "run %lld has no '%s' for the scopes and classes "
                          "asked for; try without --scope / --class", (long long)run, metric);
    }
done:
    if (st != BF_OK)
        bf__rkeys_fini(out);
    bf__rkeys_fini(&all);
    return st;
}

/* ---- values ---------------------------------------------------------- */

rci bf__ci95(const double *x, size_t n)
{
    bf_ci c = bf_ci95(x, n);
    rci o = {.n = (int)c.n, .mean = c.mean, .sd = c.sd, .half_width = c.half_width};
    o.lo = c.mean - c.half_width;
    o.hi = c.mean + c.half_width;
    return o;
}

bf_status bf__report_aggregate(bf_report *r, int64_t run, int key_index, rci *out, bf_error *err)
{
    *out = (rci){0, NAN, NAN, NAN, NAN, NAN};
    sqlite3_stmt *q;
    bf_status st = bf__report_prepare(r,
                                      "SELECT n, mean, sd, half_width, ci_low, ci_high FROM"
                                      " aggregates WHERE run_id = ?1 AND key_index = ?2",
                                      &q, err);
    if (st != BF_OK)
        return st;
    sqlite3_bind_int64(q, 1, run);
    sqlite3_bind_int(q, 2, key_index);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *out = (rci){sqlite3_column_int(q, 0), bf__col_double(q, 1), bf__col_double(q, 2),
                     bf__col_double(q, 3), bf__col_double(q, 4), bf__col_double(q, 5)};
    } else if (rc == SQLITE_DONE) {
        bf_error_clear(err);
        st = bf_error_set(err, BF_ESTATE, "run %lld has no aggregates (it did not finish); "
                          "see: borderflow export %s --what runs", (long long)run, r->path);
    } else {
        st = bf__report_fail(r, rc, err, "cannot read the aggregates");
    }
    sqlite3_finalize(q);
    return st;
}

rci bf__report_agg_by_name(bf_report *r, int64_t run, const char *scope_kind, const char *scope,
                           const char *cls, const char *metric)
{
    rci o = {0, NAN, NAN, NAN, NAN, NAN};
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(r->db,
                           "SELECT a.n, a.mean, a.sd, a.half_width, a.ci_low, a.ci_high"
                           " FROM metric_keys k JOIN aggregates a ON a.run_id = k.run_id"
                           " AND a.key_index = k.key_index WHERE k.run_id = ?1 AND"
                           " k.scope_kind = ?2 AND k.scope = ?3 AND k.class = ?4 AND"
                           " k.metric = ?5",
                           -1, &q, NULL) != SQLITE_OK)
        return o;
    sqlite3_bind_int64(q, 1, run);
    sqlite3_bind_text(q, 2, scope_kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, scope, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, cls, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, metric, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW)
        o = (rci){sqlite3_column_int(q, 0), bf__col_double(q, 1), bf__col_double(q, 2),
                  bf__col_double(q, 3), bf__col_double(q, 4), bf__col_double(q, 5)};
    sqlite3_finalize(q);
    return o;
}

bf_status bf__report_rep_values(bf_report *r, int64_t run, int key_index, int **reps,
                                double **vals, size_t *n, bf_error *err)
{
    *reps = NULL;
    *vals = NULL;
    *n = 0;
    sqlite3_stmt *q;
    bf_status st = bf__report_prepare(r,
                                      "SELECT replication, value FROM rep_metrics WHERE run_id"
                                      " = ?1 AND key_index = ?2 AND value IS NOT NULL"
                                      " ORDER BY replication",
                                      &q, err);
    if (st != BF_OK)
        return st;
    sqlite3_bind_int64(q, 1, run);
    sqlite3_bind_int(q, 2, key_index);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 32;
            int *a = bf_realloc(*reps, cap * sizeof *a);
            if (a)
                *reps = a;
            double *b = bf_realloc(*vals, cap * sizeof *b);
            if (b)
                *vals = b;
            if (!a || !b) {
                st = bf_error_set(err, BF_ENOMEM, "out of memory");
                break;
            }
        }
        (*reps)[*n] = sqlite3_column_int(q, 0);
        (*vals)[*n] = sqlite3_column_double(q, 1);
        (*n)++;
    }
    if (st == BF_OK && rc != SQLITE_DONE)
        st = bf__report_fail(r, rc, err, "cannot read the replications");
    sqlite3_finalize(q);
    if (st != BF_OK) {
        bf_free(*reps);
        bf_free(*vals);
        *reps = NULL;
        *vals = NULL;
        *n = 0;
    }
    return st;
}

bf_status bf__report_varied_params(bf_report *r, const int64_t *runs, size_t n, char ***keys,
                                   size_t *n_keys, bf_error *err)
{
    *keys = NULL;
    *n_keys = 0;
    if (n < 2)
        return BF_OK;
    /* The run ids are integers, so they can go into the SQL text as they
     * are; a temporary table would need a writable connection. */
    sbuf sql = {0};
    bf__sbuf_put(&sql, "SELECT key FROM parameters WHERE run_id IN (");
    for (size_t i = 0; i < n; i++)
        bf__sbuf_printf(&sql, "%s%lld", i ? "," : "", (long long)runs[i]);
    bf__sbuf_printf(&sql, ") GROUP BY key HAVING count(DISTINCT value) > 1 OR count(*) < %zu"
                          " ORDER BY key", n);
    if (sql.oom) {
        bf__sbuf_fini(&sql);
        return bf_error_set(err, BF_ENOMEM, "out of memory");
    }
    sqlite3_stmt *q;
    bf_status st = bf__report_prepare(r, sql.s, &q, err);
    bf__sbuf_fini(&sql);
    if (st != BF_OK)
        return st;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        char **v = bf_realloc(*keys, (*n_keys + 1) * sizeof *v);
        char *k = v ? bf_strdup(bf__col_text(q, 0)) : NULL;
        if (v)
            *keys = v;
        if (!k) {
            st = bf_error_set(err, BF_ENOMEM, "out of memory");
            break;
        }
        v[(*n_keys)++] = k;
    }
    if (st == BF_OK && rc != SQLITE_DONE)
        st = bf__report_fail(r, rc, err, "cannot read the parameters");
    sqlite3_finalize(q);
    if (st != BF_OK) {
        bf__strv_free(*keys, *n_keys);
        *keys = NULL;
        *n_keys = 0;
    }
    return st;
}
