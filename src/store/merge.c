/*
 * merge.c - `borderflow merge`: combining stores written elsewhere (the
 * shards of a sweep, runs made on several machines) into one.
 *
 * Identity.  A run is a point (store.h): its replications are results
 * wherever they were computed, and replication r of a point is the same
 * computation in every store, because its random streams follow from the
 * seed (part of the point) and r.  So merging is a union of replications
 * per point:
 *
 *   input run --uid--> the output run with the same uid, else
 *             --point key--> the output run of the same point (the one
 *                bf_store_find_point would continue), else
 *             --copy--> a new output run (same uid, new id)
 *
 * A replication the output lacks is copied (with its metrics, histogram
 * rows and time series); one it has must be identical: same events, the
 * same value (bit for bit, NULL = NULL) for every metric, the same
 * histogram rows and, where both stores have time series for it, the same
 * samples.  A difference means the two stores do not hold the same
 * computation (another build, an edited scenario under the same name
 * would not get here, as the point key covers the parameters) and the
 * merge of that input stops with nothing of it written.  wall_s and
 * completed_at are not compared: they describe when and how fast, not
 * what.
 *
 * Experiment.  Stores of one experiment hold runs of the same scenario
 * files (scenarios.hash, the hash of the text) and the same sweeps
 * (sweeps.sweep_key, the hash of the base point and the grid).  An input
 * whose set of either differs from the output's (or, for an empty output,
 * from the first input's) is refused: merging the shard of one sweep into
 * the results of another is a mistake, not a merge.
 *
 * Transactions.  Each input is attached (never written to) and merged
 * in one transaction of the output, so a failure leaves the output as it
 * was before that input.  bf_store_merge_check looks at every input first
 * (identity, schema version, experiment) so that an input that can be
 * seen to be wrong stops the merge before anything is written.
 *
 * Derived data.  Every output run that gained replications gets its
 * aggregates recomputed from all its replications and its status set:
 * done if replications 0 .. planned-1 are all there (planned being the
 * larger of the two plans), else failed or canceled if either side was,
 * else partial.
 */
#include "borderflow/store.h"

#include "store/store_int.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define fail(...) bf__store_fail(__VA_ARGS__)
#define db_fail(...) bf__store_db_fail(__VA_ARGS__)

/* ---- helpers ------------------------------------------------------------- */

/* A growable string for fingerprints and messages. */
typedef struct strbuf {
    char *s;
    size_t len, cap;
    bool oom;
} strbuf;

static void sb_add(strbuf *b, const char *x)
{
    size_t n = strlen(x);
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->len + n + 1)
            nc *= 2;
        char *ns = bf_realloc(b->s, nc);
        if (!ns) {
            b->oom = true;
            return;
        }
        b->s = ns;
        b->cap = nc;
    }
    memcpy(b->s + b->len, x, n + 1);
    b->len += n;
}

static const char *sb_str(const strbuf *b)
{
    return b->s ? b->s : "";
}

/* The path as an SQLite URI that opens an existing file without creating
 * one: "file:", the path with %, ? and # escaped (SQLite's URI syntax
 * gives those a meaning), "?mode=rw".  Inputs are only read; they are
 * opened read-write (SQLite falls back to read-only for a write-protected
 * file) because a read-only connection to a WAL database leaves -wal and
 * -shm files behind, where the last read-write connection removes them
 * (folding in what a killed process left in the WAL, which is part of
 * the store). */
static char *in_uri(const char *path)
{
    size_t n = strlen(path);
    char *u = bf_malloc(3 * n + 32);
    if (!u)
        return NULL;
    char *p = u + sprintf(u, "file:");
    for (const char *c = path; *c; c++) {
        if (*c == '%' || *c == '?' || *c == '#')
            p += sprintf(p, "%%%02X", (unsigned char)*c);
        else
            *p++ = *c;
    }
    sprintf(p, "?mode=rw");
    return u;
}

/* One row of one column of text, or "" (into buf). */
static int query_text(sqlite3 *db, const char *sql, int64_t a, int64_t b,
                      char *buf, size_t len)
{
    sqlite3_stmt *q;
    buf[0] = 0;
    int rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(q, 1, a);
    sqlite3_bind_int64(q, 2, b);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(q, 0);
        snprintf(buf, len, "%s", t ? t : "");
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    sqlite3_finalize(q);
    return rc;
}

/* Runs sql with ?1 = a, ?2 = b; returns the SQLite result code.  OUT:
 * *changes (may be NULL). */
static int exec2(sqlite3 *db, const char *sql, int64_t a, int64_t b,
                 int64_t *changes)
{
    sqlite3_stmt *q;
    int rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if (sqlite3_bind_parameter_count(q) >= 1)
        sqlite3_bind_int64(q, 1, a);
    if (sqlite3_bind_parameter_count(q) >= 2)
        sqlite3_bind_int64(q, 2, b);
    rc = sqlite3_step(q);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        rc = SQLITE_OK;
    sqlite3_finalize(q);
    if (rc == SQLITE_OK && changes)
        *changes = sqlite3_changes64(db);
    return rc;
}

/* ---- the experiment of a store ------------------------------------------ */

/* The scenario files and sweeps a store holds, as two sorted lists of
 * "hash name" lines (the names are for messages). */
typedef struct experiment {
    strbuf scenarios, sweeps;
    bool empty; /* no runs and no sweeps */
} experiment;

static void experiment_fini(experiment *e)
{
    bf_free(e->scenarios.s);
    bf_free(e->sweeps.s);
}

static int experiment_read(sqlite3 *db, const char *schema, experiment *e)
{
    memset(e, 0, sizeof *e);
    char sql[640];
    snprintf(sql, sizeof sql,
             "SELECT hash || ' ' || name FROM \"%s\".scenarios WHERE id IN"
             " (SELECT scenario_id FROM \"%s\".runs UNION"
             "  SELECT scenario_id FROM \"%s\".sweeps) ORDER BY hash",
             schema, schema, schema);
    for (int pass = 0; pass < 2; pass++) {
        sqlite3_stmt *q;
        if (pass == 1)
            snprintf(sql, sizeof sql,
                     "SELECT sweep_key || ' ' || replace(definition, char(10), '; ')"
                     " FROM \"%s\".sweeps ORDER BY sweep_key", schema);
        int rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);
        if (rc != SQLITE_OK)
            return rc;
        strbuf *b = pass ? &e->sweeps : &e->scenarios;
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            const char *t = (const char *)sqlite3_column_text(q, 0);
            sb_add(b, t ? t : "");
            sb_add(b, "\n");
        }
        sqlite3_finalize(q);
        if (rc != SQLITE_DONE)
            return rc;
        if (b->oom)
            return SQLITE_NOMEM;
    }
    e->empty = e->scenarios.len == 0 && e->sweeps.len == 0;
    return SQLITE_OK;
}

/* The first line of a (sorted "key rest" lines) whose key is not in b,
 * copied to out without the key; false if there is none. */
static bool first_missing(const char *a, const char *b, char *out, size_t len)
{
    for (const char *line = a; *line;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        bool found = false;
        for (const char *l2 = b; *l2 && !found;) {
            const char *e2 = strchr(l2, '\n');
            found = strncmp(line, l2, 16) == 0;
            l2 = e2 ? e2 + 1 : l2 + strlen(l2);
        }
        if (!found) {
            const char *rest = n > 17 ? line + 17 : "";
            size_t rn = n > 17 ? n - 17 : 0;
            snprintf(out, len, "%.*s (%.16s)", (int)(rn < 200 ? rn : 200), rest, line);
            return true;
        }
        line = end ? end + 1 : line + n;
    }
    return false;
}

/* BF_OK if e (of in_path) is of the same experiment as ref (of ref_path);
 * else BF_ESTORE naming what differs. */
static bf_status experiment_match(const experiment *ref, const char *ref_path,
                                  const experiment *e, const char *in_path,
                                  bf_error *err)
{
    char what[260];
    if (first_missing(sb_str(&e->scenarios), sb_str(&ref->scenarios), what, sizeof what))
        return fail(err, BF_ESTORE,
                    "%s holds runs of scenario %s, which %s does not: merge "
                    "combines stores of one experiment (the same scenario "
                    "files and sweeps)", in_path, what, ref_path);
    if (first_missing(sb_str(&ref->scenarios), sb_str(&e->scenarios), what, sizeof what))
        return fail(err, BF_ESTORE,
                    "%s holds no runs of scenario %s, which %s does: merge "
                    "combines stores of one experiment (the same scenario "
                    "files and sweeps)", in_path, what, ref_path);
    if (first_missing(sb_str(&e->sweeps), sb_str(&ref->sweeps), what, sizeof what))
        return fail(err, BF_ESTORE,
                    "%s holds a sweep %s that %s does not: the stores are "
                    "of different sweeps (another grid, scenario or --set); "
                    "merge only the shards of one sweep", in_path, what, ref_path);
    if (first_missing(sb_str(&ref->sweeps), sb_str(&e->sweeps), what, sizeof what))
        return fail(err, BF_ESTORE,
                    "%s does not hold the sweep %s that %s does: the stores "
                    "are of different sweeps; merge only the shards of one "
                    "sweep", in_path, what, ref_path);
    return BF_OK;
}

/* ---- checking the inputs ------------------------------------------------- */

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Opens in_path read-only and checks that it is a store of ours.  OUT:
 * *db (close with sqlite3_close, also on failure). */
static bf_status open_input(const char *in_path, sqlite3 **db, bf_error *err)
{
    struct stat sb;
    if (stat(in_path, &sb) != 0)
        return fail(err, BF_EIO, "%s: cannot open the store to merge: no such file",
                    in_path);
    if (S_ISDIR(sb.st_mode))
        return fail(err, BF_EIO, "%s is a directory; a store to merge must be a file",
                    in_path);
    char *uri = in_uri(in_path);
    if (!uri)
        return fail(err, BF_ENOMEM, "%s: out of memory", in_path);
    int rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL);
    bf_free(uri);
    if (rc != SQLITE_OK)
        return db_fail(*db, in_path, rc, err, "cannot open the store to merge");
    sqlite3_busy_timeout(*db, 5000);
    return bf__store_identity(*db, "main", in_path, err);
}

bf_status bf_store_merge_check(bf_store *s, const char *const *inputs,
                               size_t n_inputs, bf_error *err)
{
    experiment ref;
    int rc = experiment_read(s->db, "main", &ref);
    if (rc != SQLITE_OK) {
        experiment_fini(&ref);
        return db_fail(s->db, s->path, rc, err, "cannot read the output store");
    }
    const char *ref_path = s->path;
    bool have_ref = !ref.empty;
    bf_status st = BF_OK;
    for (size_t i = 0; st == BF_OK && i < n_inputs; i++) {
        if (same_file(inputs[i], s->path)) {
            st = fail(err, BF_EINVAL,
                      "%s is the output store; give it once, as OUT", inputs[i]);
            break;
        }
        sqlite3 *db = NULL;
        st = open_input(inputs[i], &db, err);
        experiment e;
        if (st == BF_OK) {
            rc = experiment_read(db, "main", &e);
            if (rc != SQLITE_OK)
                st = db_fail(db, inputs[i], rc, err, "cannot read the store to merge");
            else if (!e.empty && have_ref)
                st = experiment_match(&ref, ref_path, &e, inputs[i], err);
            else if (!e.empty) {
                /* The first input with runs sets what the others must be. */
                experiment_fini(&ref);
                ref = e;
                memset(&e, 0, sizeof e);
                ref_path = inputs[i];
                have_ref = true;
            }
            experiment_fini(&e);
        }
        sqlite3_close(db);
    }
    experiment_fini(&ref);
    return st;
}

/* ---- merging one input --------------------------------------------------- */

/* Temporary maps from input ids to output ids, dropped after each input. */
static const char TEMP_SQL[] =
    "CREATE TEMP TABLE IF NOT EXISTS bf_m_scen (src INTEGER PRIMARY KEY, dst INTEGER);"
    "CREATE TEMP TABLE IF NOT EXISTS bf_m_inv (src INTEGER PRIMARY KEY, dst INTEGER);"
    "CREATE TEMP TABLE IF NOT EXISTS bf_m_run (src INTEGER PRIMARY KEY, dst INTEGER,"
    " is_new INTEGER, touched INTEGER);"
    "CREATE TEMP TABLE IF NOT EXISTS bf_m_sweep (src INTEGER PRIMARY KEY, dst INTEGER);"
    "CREATE TEMP TABLE IF NOT EXISTS bf_m_rep (replication INTEGER PRIMARY KEY);"
    "CREATE TEMP TABLE IF NOT EXISTS bf_m_meta (max_invocation INTEGER);"
    "DELETE FROM bf_m_scen; DELETE FROM bf_m_inv; DELETE FROM bf_m_run;"
    "DELETE FROM bf_m_sweep; DELETE FROM bf_m_rep; DELETE FROM bf_m_meta;";

typedef struct merger {
    bf_store *s;
    sqlite3 *db;
    const char *in;
    bf_merge_report *rep;
    bf_error *err;
} merger;

static bf_status m_fail(merger *m, int rc, const char *what)
{
    return db_fail(m->db, m->s->path, rc, m->err, "cannot merge %s: %s", m->in, what);
}

/* A readable name of output run dst's point: "scenario (overrides)". */
static void point_name(merger *m, int64_t run, const char *schema, char *buf, size_t len)
{
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT s.name || CASE WHEN r.overrides = '' THEN '' ELSE"
             " ' with ' || rtrim(replace(r.overrides, char(10), ', '), ', ') END"
             " || ' (seed ' || r.seed || ')'"
             " FROM \"%s\".runs r JOIN \"%s\".scenarios s ON s.id = r.scenario_id"
             " WHERE r.id = ?1", schema, schema);
    if (query_text(m->db, sql, run, 0, buf, len) != SQLITE_OK || !buf[0])
        snprintf(buf, len, "run %" PRId64, run);
}

static bf_status merge_scenarios(merger *m)
{
    int rc = exec2(m->db,
                   "INSERT INTO main.scenarios (name, path, hash, text)"
                   " SELECT name, path, hash, text FROM src.scenarios"
                   " WHERE hash NOT IN (SELECT hash FROM main.scenarios)", 0, 0, NULL);
    if (rc != SQLITE_OK)
        return m_fail(m, rc, "copying scenarios");
    char hash[40];
    rc = query_text(m->db,
                    "SELECT s.hash FROM src.scenarios s JOIN main.scenarios d"
                    " ON d.hash = s.hash WHERE d.text <> s.text LIMIT 1", 0, 0,
                    hash, sizeof hash);
    if (rc != SQLITE_OK)
        return m_fail(m, rc, "comparing scenarios");
    if (hash[0])
        return fail(m->err, BF_ESTORE,
                    "cannot merge %s: its scenario with hash %s has a different "
                    "text from the one in %s (an FNV-1a collision)", m->in, hash,
                    m->s->path);
    rc = exec2(m->db,
               "INSERT INTO bf_m_scen SELECT s.id, d.id FROM src.scenarios s"
               " JOIN main.scenarios d ON d.hash = s.hash", 0, 0, NULL);
    /* Invocations go in first, for the mapping; those no copied row ends
     * up referring to are removed again in merge_extras. */
    if (rc == SQLITE_OK)
        rc = exec2(m->db, "INSERT INTO bf_m_meta SELECT ifnull(max(id), 0) FROM main.invocations",
                   0, 0, NULL);
    if (rc == SQLITE_OK)
        rc = exec2(m->db,
                   "INSERT INTO main.invocations (uid, started_at, borderflow_version,"
                   " source_revision, command_line, hostname)"
                   " SELECT uid, started_at, borderflow_version, source_revision,"
                   " command_line, hostname FROM src.invocations"
                   " WHERE uid NOT IN (SELECT uid FROM main.invocations) ORDER BY id",
                   0, 0, NULL);
    if (rc == SQLITE_OK)
        rc = exec2(m->db,
                   "INSERT INTO bf_m_inv SELECT s.id, d.id FROM src.invocations s"
                   " JOIN main.invocations d ON d.uid = s.uid", 0, 0, NULL);
    if (rc != SQLITE_OK)
        return m_fail(m, rc, "copying scenarios and invocations");
    return BF_OK;
}

/* Copies input run src as a new output run.  OUT: *dst. */
static int copy_run(merger *m, int64_t src, int64_t *dst)
{
    int rc = exec2(m->db,
                   "INSERT INTO main.runs (uid, scenario_id, point_key, status,"
                   " started_at, finished_at, borderflow_version, source_revision,"
                   " command_line, seed, replications_planned, horizon_s, warmup_s,"
                   " sample_every_s, overrides, hostname)"
                   " SELECT r.uid, ms.dst, r.point_key, r.status, r.started_at,"
                   " r.finished_at, r.borderflow_version, r.source_revision,"
                   " r.command_line, r.seed, r.replications_planned, r.horizon_s,"
                   " r.warmup_s, r.sample_every_s, r.overrides, r.hostname"
                   " FROM src.runs r JOIN bf_m_scen ms ON ms.src = r.scenario_id"
                   " WHERE r.id = ?1", src, 0, NULL);
    if (rc != SQLITE_OK)
        return rc;
    *dst = sqlite3_last_insert_rowid(m->db);
    static const char *const COPY[] = {
        "INSERT INTO main.parameters (run_id, key, value)"
        " SELECT ?2, key, value FROM src.parameters WHERE run_id = ?1",
        "INSERT INTO main.metric_keys (run_id, key_index, scope_kind, scope, class,"
        " metric, unit) SELECT ?2, key_index, scope_kind, scope, class, metric, unit"
        " FROM src.metric_keys WHERE run_id = ?1",
        "INSERT INTO main.series_keys (run_id, series_index, scope_kind, scope,"
        " metric) SELECT ?2, series_index, scope_kind, scope, metric"
        " FROM src.series_keys WHERE run_id = ?1",
    };
    for (size_t i = 0; rc == SQLITE_OK && i < sizeof COPY / sizeof COPY[0]; i++)
        rc = exec2(m->db, COPY[i], src, *dst, NULL);
    return rc;
}

/* Input run src and output run dst are runs of one point: they must
 * declare the same metrics and series. */
static bf_status same_keys(merger *m, int64_t src, int64_t dst)
{
    char diff[300];
    int rc = query_text(
        m->db,
        "SELECT 'metric key ' || key_index || ' (' || scope_kind || ' ' || scope || ' '"
        " || class || ' ' || metric || ')' FROM ("
        " SELECT key_index, scope_kind, scope, class, metric, unit"
        "  FROM src.metric_keys WHERE run_id = ?1 EXCEPT"
        " SELECT key_index, scope_kind, scope, class, metric, unit"
        "  FROM main.metric_keys WHERE run_id = ?2 UNION ALL"
        " SELECT key_index, scope_kind, scope, class, metric, unit"
        "  FROM main.metric_keys WHERE run_id = ?2 EXCEPT"
        " SELECT key_index, scope_kind, scope, class, metric, unit"
        "  FROM src.metric_keys WHERE run_id = ?1)"
        " UNION ALL SELECT 'series ' || series_index FROM ("
        " SELECT series_index, scope_kind, scope, metric"
        "  FROM src.series_keys WHERE run_id = ?1 EXCEPT"
        " SELECT series_index, scope_kind, scope, metric"
        "  FROM main.series_keys WHERE run_id = ?2 UNION ALL"
        " SELECT series_index, scope_kind, scope, metric"
        "  FROM main.series_keys WHERE run_id = ?2 EXCEPT"
        " SELECT series_index, scope_kind, scope, metric"
        "  FROM src.series_keys WHERE run_id = ?1) LIMIT 1",
        src, dst, diff, sizeof diff);
    if (rc != SQLITE_OK)
        return m_fail(m, rc, "comparing metric keys");
    if (diff[0]) {
        char name[300];
        point_name(m, dst, "main", name, sizeof name);
        return fail(m->err, BF_ESTORE,
                    "cannot merge %s: its run %" PRId64 " and run %" PRId64 " of %s "
                    "are the same point (%s) but differ in their %s: they were "
                    "made by different borderflow builds", m->in, src, dst,
                    m->s->path, name, diff);
    }
    return BF_OK;
}

/* Maps every input run to an output run (copying the new ones). */
static bf_status merge_runs(merger *m)
{
    sqlite3_stmt *q;
    int rc = sqlite3_prepare_v2(m->db,
                                "SELECT r.id, r.uid, r.point_key,"
                                " (SELECT d.id FROM main.runs d WHERE d.uid = r.uid),"
                                " (SELECT d.point_key FROM main.runs d WHERE d.uid = r.uid)"
                                " FROM src.runs r ORDER BY r.id",
                                -1, &q, NULL);
    if (rc != SQLITE_OK)
        return m_fail(m, rc, "reading runs");
    bf_status st = BF_OK;
    while (st == BF_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t src = sqlite3_column_int64(q, 0);
        char pk[17];
        snprintf(pk, sizeof pk, "%s", (const char *)sqlite3_column_text(q, 2));
        int64_t dst = sqlite3_column_int64(q, 3);
        bool is_new = false;
        if (dst) {
            const char *dpk = (const char *)sqlite3_column_text(q, 4);
            if (!dpk || strcmp(dpk, pk) != 0) {
                st = fail(m->err, BF_ESTORE,
                          "cannot merge %s: its run %" PRId64 " and run %" PRId64
                          " of %s have the same uid but different point keys "
                          "(%s, %s); one of the stores was edited by hand",
                          m->in, src, dst, m->s->path, pk, dpk ? dpk : "?");
                break;
            }
        } else {
            bf_store_run_info info;
            bf_error e2;
            /* The same choice a sweep would make to continue the point. */
            st = bf_store_find_point(m->s, pk, 0, &info, &e2);
            if (st != BF_OK) {
                *m->err = e2;
                break;
            }
            dst = info.run_id;
            if (!dst) {
                rc = copy_run(m, src, &dst);
                if (rc != SQLITE_OK) {
                    st = m_fail(m, rc, "copying a run");
                    break;
                }
                is_new = true;
            }
        }
        if (!is_new)
            st = same_keys(m, src, dst);
        if (st == BF_OK) {
            rc = exec2(m->db, "INSERT INTO bf_m_run VALUES (?1, ?2, 0, 0)", src, dst, NULL);
            if (rc == SQLITE_OK && is_new)
                rc = exec2(m->db, "UPDATE bf_m_run SET is_new = 1 WHERE src = ?1", src, 0, NULL);
            if (rc != SQLITE_OK)
                st = m_fail(m, rc, "mapping runs");
        }
        if (st == BF_OK) {
            if (is_new)
                m->rep->runs_new++;
            else
                m->rep->runs_joined++;
        }
    }
    if (st == BF_OK && rc != SQLITE_DONE)
        st = m_fail(m, rc, "reading runs");
    sqlite3_finalize(q);
    return st;
}

/* The replications both sides have must be the same computation. */
static bf_status compare_reps(merger *m, int64_t src, int64_t dst)
{
    static const struct {
        const char *sql, *what;
    } CMP[] = {
        {"SELECT p.replication FROM src.replications p JOIN main.replications q"
         " ON q.run_id = ?2 AND q.replication = p.replication"
         " WHERE p.run_id = ?1 AND p.events <> q.events LIMIT 1",
         "the number of events"},
        {"SELECT a.replication FROM src.rep_metrics a JOIN main.rep_metrics b"
         " ON b.run_id = ?2 AND b.replication = a.replication"
         " AND b.key_index = a.key_index"
         " WHERE a.run_id = ?1 AND a.value IS NOT b.value LIMIT 1",
         "metric values"},
        {"SELECT a.replication FROM src.rep_hist a JOIN main.replications q"
         " ON q.run_id = ?2 AND q.replication = a.replication"
         " WHERE a.run_id = ?1 AND NOT EXISTS (SELECT 1 FROM main.rep_hist b"
         "  WHERE b.run_id = ?2 AND b.replication = a.replication"
         "  AND b.key_index = a.key_index AND b.counts = a.counts) LIMIT 1",
         "histograms"},
        {"SELECT b.replication FROM main.rep_hist b JOIN src.replications p"
         " ON p.run_id = ?1 AND p.replication = b.replication"
         " WHERE b.run_id = ?2 AND NOT EXISTS (SELECT 1 FROM src.rep_hist a"
         "  WHERE a.run_id = ?1 AND a.replication = b.replication"
         "  AND a.key_index = b.key_index AND a.counts = b.counts) LIMIT 1",
         "histograms"},
        /* Time series only where both stores kept them (--no-series). */
        {"SELECT a.replication FROM src.timeseries a JOIN main.replications q"
         " ON q.run_id = ?2 AND q.replication = a.replication"
         " JOIN src.replications p ON p.run_id = ?1 AND p.replication = a.replication"
         " WHERE a.run_id = ?1 AND EXISTS (SELECT 1 FROM main.timeseries c"
         "  WHERE c.run_id = ?2 AND c.replication = a.replication)"
         " AND NOT EXISTS (SELECT 1 FROM main.timeseries b"
         "  WHERE b.run_id = ?2 AND b.series_index = a.series_index"
         "  AND b.replication = a.replication AND b.t = a.t"
         "  AND b.value IS a.value) LIMIT 1",
         "time series"},
        {"SELECT b.replication FROM main.timeseries b JOIN src.replications p"
         " ON p.run_id = ?1 AND p.replication = b.replication"
         " JOIN main.replications q ON q.run_id = ?2 AND q.replication = b.replication"
         " WHERE b.run_id = ?2 AND EXISTS (SELECT 1 FROM src.timeseries c"
         "  WHERE c.run_id = ?1 AND c.replication = b.replication)"
         " AND NOT EXISTS (SELECT 1 FROM src.timeseries a"
         "  WHERE a.run_id = ?1 AND a.series_index = b.series_index"
         "  AND a.replication = b.replication AND a.t = b.t"
         "  AND a.value IS b.value) LIMIT 1",
         "time series"},
    };
    for (size_t i = 0; i < sizeof CMP / sizeof CMP[0]; i++) {
        char rep[32];
        int rc = query_text(m->db, CMP[i].sql, src, dst, rep, sizeof rep);
        if (rc != SQLITE_OK)
            return m_fail(m, rc, "comparing replications");
        if (rep[0]) {
            char name[300];
            point_name(m, dst, "main", name, sizeof name);
            return fail(m->err, BF_ESTORE,
                        "cannot merge %s: replication %s of %s is in both stores "
                        "(run %" PRId64 " there, run %" PRId64 " in %s) with "
                        "different %s; nothing of %s was merged", m->in, rep, name,
                        src, dst, m->s->path, CMP[i].what, m->in);
        }
    }
    return BF_OK;
}

/* Copies the replications output run dst lacks from input run src. */
static bf_status copy_reps(merger *m, int64_t src, int64_t dst, int64_t *n_new)
{
    static const char *const SQL[] = {
        "DELETE FROM bf_m_rep",
        "INSERT INTO bf_m_rep SELECT replication FROM src.replications"
        " WHERE run_id = ?1 AND replication NOT IN"
        " (SELECT replication FROM main.replications WHERE run_id = ?2)",
        /* Samples the output has of those replications come from runs that
         * never completed them (they have no replications row there). */
        "DELETE FROM main.timeseries WHERE run_id = ?2"
        " AND replication IN (SELECT replication FROM bf_m_rep)",
        "INSERT INTO main.replications (run_id, replication, events, wall_s,"
        " completed_at, invocation_id)"
        " SELECT ?2, p.replication, p.events, p.wall_s, p.completed_at,"
        " (SELECT dst FROM bf_m_inv WHERE src = p.invocation_id)"
        " FROM src.replications p WHERE p.run_id = ?1"
        " AND p.replication IN (SELECT replication FROM bf_m_rep)",
        "INSERT INTO main.rep_metrics (run_id, replication, key_index, value)"
        " SELECT ?2, replication, key_index, value FROM src.rep_metrics"
        " WHERE run_id = ?1 AND replication IN (SELECT replication FROM bf_m_rep)",
        "INSERT INTO main.rep_hist (run_id, replication, key_index, counts)"
        " SELECT ?2, replication, key_index, counts FROM src.rep_hist"
        " WHERE run_id = ?1 AND replication IN (SELECT replication FROM bf_m_rep)",
        "INSERT INTO main.timeseries (run_id, replication, series_index, t, value)"
        " SELECT ?2, replication, series_index, t, value FROM src.timeseries"
        " WHERE run_id = ?1 AND replication IN (SELECT replication FROM bf_m_rep)",
        /* Replications both have, where only the input kept time series. */
        "INSERT INTO main.timeseries (run_id, replication, series_index, t, value)"
        " SELECT ?2, a.replication, a.series_index, a.t, a.value FROM src.timeseries a"
        " JOIN src.replications p ON p.run_id = ?1 AND p.replication = a.replication"
        " WHERE a.run_id = ?1 AND a.replication NOT IN (SELECT replication FROM bf_m_rep)"
        " AND NOT EXISTS (SELECT 1 FROM main.timeseries c WHERE c.run_id = ?2"
        "  AND c.replication = a.replication)",
    };
    int rc = SQLITE_OK;
    for (size_t i = 0; rc == SQLITE_OK && i < sizeof SQL / sizeof SQL[0]; i++) {
        int64_t ch = 0;
        rc = exec2(m->db, SQL[i], src, dst, &ch);
        if (i == 3)
            *n_new = ch;
    }
    if (rc != SQLITE_OK)
        return m_fail(m, rc, "copying replications");
    return BF_OK;
}

/* After the replications: plan, status and aggregates of output run dst. */
static bf_status settle_run(merger *m, int64_t src, int64_t dst, bool is_new)
{
    /* The larger plan; the more serious of the two outcomes for a run
     * that is still not complete. */
    int rc = exec2(m->db,
                   "UPDATE main.runs SET replications_planned = max(replications_planned,"
                   " (SELECT replications_planned FROM src.runs WHERE id = ?1))"
                   " WHERE id = ?2", src, dst, NULL);
    char worst[16] = "";
    if (rc == SQLITE_OK)
        rc = query_text(m->db,
                        "SELECT CASE WHEN 'failed' IN (a.status, b.status) THEN 'failed'"
                        " WHEN 'canceled' IN (a.status, b.status) THEN 'canceled'"
                        " ELSE 'done' END FROM src.runs a, main.runs b"
                        " WHERE a.id = ?1 AND b.id = ?2", src, dst, worst, sizeof worst);
    /* Re-finishing: the status goes through 'running' so that the one
     * rule that turns 'done' into 'partial' applies (store.c). */
    if (rc == SQLITE_OK)
        rc = exec2(m->db,
                   "UPDATE main.runs SET status = 'running', finished_at = NULL"
                   " WHERE id = ?1", dst, 0, NULL);
    if (rc == SQLITE_OK)
        rc = bf__store_recompute_aggregates(m->s, dst);
    if (rc == SQLITE_OK)
        rc = bf__store_recompute_distributions(m->s, dst);
    if (rc == SQLITE_OK)
        rc = bf__store_set_final_status(m->s, dst, worst[0] ? worst : "done");
    /* A copied run that was complete in the input keeps its end time. */
    if (rc == SQLITE_OK && is_new)
        rc = exec2(m->db,
                   "UPDATE main.runs SET finished_at = coalesce((SELECT finished_at"
                   " FROM src.runs WHERE id = ?1), finished_at) WHERE id = ?2",
                   src, dst, NULL);
    if (rc != SQLITE_OK)
        return m_fail(m, rc, "finishing a merged run");
    return BF_OK;
}

static bf_status merge_replications(merger *m)
{
    sqlite3_stmt *q;
    int rc = sqlite3_prepare_v2(m->db, "SELECT src, dst, is_new FROM bf_m_run ORDER BY src",
                                -1, &q, NULL);
    if (rc != SQLITE_OK)
        return m_fail(m, rc, "reading runs");
    bf_status st = BF_OK;
    while (st == BF_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t src = sqlite3_column_int64(q, 0), dst = sqlite3_column_int64(q, 1);
        bool is_new = sqlite3_column_int(q, 2) != 0;
        int64_t n_new = 0;
        if (!is_new) {
            int64_t n_same = 0;
            st = compare_reps(m, src, dst);
            if (st != BF_OK)
                break;
            char cnt[32];
            rc = query_text(m->db,
                            "SELECT count(*) FROM src.replications p JOIN main.replications q"
                            " ON q.run_id = ?2 AND q.replication = p.replication"
                            " WHERE p.run_id = ?1", src, dst, cnt, sizeof cnt);
            if (rc != SQLITE_OK) {
                st = m_fail(m, rc, "comparing replications");
                break;
            }
            n_same = strtoll(cnt, NULL, 10);
            m->rep->reps_same += (size_t)n_same;
        }
        st = copy_reps(m, src, dst, &n_new);
        if (st != BF_OK)
            break;
        m->rep->reps_new += (size_t)n_new;
        /* A joined run that gained nothing is left exactly as it was. */
        if (is_new || n_new > 0)
            st = settle_run(m, src, dst, is_new);
    }
    if (st == BF_OK && rc != SQLITE_DONE)
        st = m_fail(m, rc, "reading runs");
    sqlite3_finalize(q);
    return st;
}

static bf_status merge_extras(merger *m)
{
    int64_t ch = 0;
    /* Precision checks: rows have no identity of their own; an identical
     * row is not copied twice. */
    int rc = exec2(m->db,
                   "INSERT INTO main.precision (run_id, invocation_id, recorded_at,"
                   " target, metrics, replications, met)"
                   " SELECT mr.dst, (SELECT dst FROM bf_m_inv WHERE src = p.invocation_id),"
                   " p.recorded_at, p.target, p.metrics, p.replications, p.met"
                   " FROM src.precision p JOIN bf_m_run mr ON mr.src = p.run_id"
                   " WHERE NOT EXISTS (SELECT 1 FROM main.precision d"
                   "  WHERE d.run_id = mr.dst AND d.recorded_at = p.recorded_at"
                   "  AND d.target = p.target AND d.metrics = p.metrics"
                   "  AND d.replications = p.replications AND d.met = p.met)"
                   " ORDER BY p.id", 0, 0, NULL);
    if (rc == SQLITE_OK)
        rc = exec2(m->db,
                   "INSERT INTO main.sweeps (uid, sweep_key, scenario_id, base_overrides,"
                   " definition, n_points, created_at, command_line)"
                   " SELECT w.uid, w.sweep_key, ms.dst, w.base_overrides, w.definition,"
                   " w.n_points, w.created_at, w.command_line FROM src.sweeps w"
                   " JOIN bf_m_scen ms ON ms.src = w.scenario_id"
                   " WHERE w.sweep_key NOT IN (SELECT sweep_key FROM main.sweeps)"
                   " ORDER BY w.id", 0, 0, &ch);
    if (rc == SQLITE_OK)
        m->rep->sweeps_new += (size_t)ch;
    if (rc == SQLITE_OK)
        rc = exec2(m->db,
                   "INSERT INTO bf_m_sweep SELECT w.id, d.id FROM src.sweeps w"
                   " JOIN main.sweeps d ON d.sweep_key = w.sweep_key", 0, 0, NULL);
    if (rc == SQLITE_OK)
        rc = exec2(m->db,
                   "INSERT INTO main.sweep_keys (sweep_id, key_index, key)"
                   " SELECT mw.dst, k.key_index, k.key FROM src.sweep_keys k"
                   " JOIN bf_m_sweep mw ON mw.src = k.sweep_id"
                   " WHERE NOT EXISTS (SELECT 1 FROM main.sweep_keys d"
                   "  WHERE d.sweep_id = mw.dst AND d.key_index = k.key_index)",
                   0, 0, NULL);
    if (rc != SQLITE_OK)
        return m_fail(m, rc, "copying sweeps");

    char bad[200];
    rc = query_text(m->db,
                    "SELECT 'point ' || sp.point_index || ' (' || sp.point || ')'"
                    " FROM src.sweep_points sp JOIN bf_m_sweep mw ON mw.src = sp.sweep_id"
                    " JOIN bf_m_run mr ON mr.src = sp.run_id"
                    " JOIN main.sweep_points dp ON dp.sweep_id = mw.dst"
                    "  AND dp.point_index = sp.point_index"
                    " JOIN main.runs r1 ON r1.id = dp.run_id"
                    " JOIN main.runs r2 ON r2.id = mr.dst"
                    " WHERE r1.point_key <> r2.point_key LIMIT 1", 0, 0, bad, sizeof bad);
    if (rc != SQLITE_OK)
        return m_fail(m, rc, "comparing sweep points");
    if (bad[0])
        return fail(m->err, BF_ESTORE,
                    "cannot merge %s: sweep %s is a different point in %s",
                    m->in, bad, m->s->path);
    rc = exec2(m->db,
               "INSERT INTO main.sweep_points (sweep_id, point_index, run_id, point)"
               " SELECT mw.dst, sp.point_index, mr.dst, sp.point"
               " FROM src.sweep_points sp JOIN bf_m_sweep mw ON mw.src = sp.sweep_id"
               " JOIN bf_m_run mr ON mr.src = sp.run_id"
               " WHERE NOT EXISTS (SELECT 1 FROM main.sweep_points d"
               "  WHERE d.sweep_id = mw.dst AND (d.point_index = sp.point_index"
               "   OR d.run_id = mr.dst))", 0, 0, NULL);
    if (rc == SQLITE_OK)
        rc = exec2(m->db,
                   "INSERT INTO main.comparisons (uid, base_run_id, policy_run_id,"
                   " replications, common_random_numbers, created_at, command_line)"
                   " SELECT c.uid, mb.dst, mp.dst, c.replications,"
                   " c.common_random_numbers, c.created_at, c.command_line"
                   " FROM src.comparisons c JOIN bf_m_run mb ON mb.src = c.base_run_id"
                   " JOIN bf_m_run mp ON mp.src = c.policy_run_id"
                   " WHERE c.uid NOT IN (SELECT uid FROM main.comparisons) ORDER BY c.id",
                   0, 0, &ch);
    if (rc == SQLITE_OK)
        m->rep->comparisons_new += (size_t)ch;
    if (rc == SQLITE_OK)
        rc = exec2(m->db,
                   "INSERT INTO main.comparison_results SELECT d.id, x.scope_kind,"
                   " x.scope, x.class, x.metric, x.unit, x.n, x.base_mean,"
                   " x.policy_mean, x.diff_mean, x.diff_sd, x.half_width, x.ci_low,"
                   " x.ci_high, x.significant"
                   " FROM src.comparison_results x JOIN src.comparisons c"
                   "  ON c.id = x.comparison_id"
                   " JOIN main.comparisons d ON d.uid = c.uid"
                   " WHERE NOT EXISTS (SELECT 1 FROM main.comparison_results e"
                   "  WHERE e.comparison_id = d.id)", 0, 0, NULL);
    if (rc == SQLITE_OK)
        rc = exec2(m->db,
                   "DELETE FROM main.invocations WHERE id > (SELECT max_invocation FROM bf_m_meta)"
                   " AND NOT EXISTS (SELECT 1 FROM main.replications p"
                   "  WHERE p.invocation_id = invocations.id)"
                   " AND NOT EXISTS (SELECT 1 FROM main.precision p"
                   "  WHERE p.invocation_id = invocations.id)", 0, 0, NULL);
    if (rc != SQLITE_OK)
        return m_fail(m, rc, "copying sweep points and comparisons");
    return BF_OK;
}

bf_status bf_store_merge(bf_store *s, const char *in_path, bf_merge_report *rep,
                         bf_error *err)
{
    bf_merge_report local = {0};
    merger m = {.s = s, .db = s->db, .in = in_path, .rep = &local, .err = err};
    if (same_file(in_path, s->path))
        return fail(err, BF_EINVAL, "%s is the output store; give it once, as OUT",
                    in_path);
    /* Opening it on its own first gives the clear messages (no such file,
     * not a store, other version) before anything is attached. */
    sqlite3 *probe = NULL;
    bf_status st = open_input(in_path, &probe, err);
    sqlite3_close(probe);
    if (st != BF_OK)
        return st;

    char *uri = in_uri(in_path);
    if (!uri)
        return fail(err, BF_ENOMEM, "%s: out of memory", in_path);
    sqlite3_stmt *q;
    int rc = sqlite3_prepare_v2(s->db, "ATTACH DATABASE ?1 AS src", -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(q, 1, uri, -1, SQLITE_STATIC);
        rc = sqlite3_step(q);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_finalize(q);
    }
    bf_free(uri);
    if (rc != SQLITE_OK)
        return db_fail(s->db, s->path, rc, err, "cannot attach %s to merge it", in_path);

    experiment mine, theirs;
    memset(&mine, 0, sizeof mine);
    memset(&theirs, 0, sizeof theirs);
    st = bf__store_identity(s->db, "src", in_path, err);
    if (st == BF_OK)
        st = bf__store_tx_begin(s, err, "cannot merge");
    if (st != BF_OK)
        goto detach;

    rc = experiment_read(s->db, "main", &mine);
    if (rc == SQLITE_OK)
        rc = experiment_read(s->db, "src", &theirs);
    if (rc != SQLITE_OK)
        st = m_fail(&m, rc, "reading what the stores hold");
    else if (!mine.empty && !theirs.empty)
        st = experiment_match(&mine, s->path, &theirs, in_path, err);
    if (st == BF_OK) {
        rc = sqlite3_exec(s->db, TEMP_SQL, NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            st = m_fail(&m, rc, "preparing");
    }
    if (st == BF_OK)
        st = merge_scenarios(&m);
    if (st == BF_OK)
        st = merge_runs(&m);
    if (st == BF_OK)
        st = merge_replications(&m);
    if (st == BF_OK)
        st = merge_extras(&m);
    if (st == BF_OK)
        st = bf__store_tx_commit(s, err, "cannot merge");
    else
        bf__store_tx_rollback(s);

detach:
    experiment_fini(&mine);
    experiment_fini(&theirs);
    /* Cached statements never touch src, but a reset is needed before
     * DETACH can succeed if one were left active. */
    bf__store_tx_rollback(s);
    sqlite3_exec(s->db, "DETACH DATABASE src", NULL, NULL, NULL);
    if (st == BF_OK && rep) {
        rep->runs_new += local.runs_new;
        rep->runs_joined += local.runs_joined;
        rep->reps_new += local.reps_new;
        rep->reps_same += local.reps_same;
        rep->sweeps_new += local.sweeps_new;
        rep->comparisons_new += local.comparisons_new;
    }
    return st;
}
