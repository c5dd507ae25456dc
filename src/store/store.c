/*
 * store.c - the results store behind store.h: one SQLite file that only
 * ever grows.  The schema itself is documented, table by table and with
 * queries to copy, in docs/results-schema.md; SCHEMA_SQL below must stay
 * in step with it.
 *
 * Invariants.
 *   - Every public call that writes is exactly one transaction, begun with
 *     BEGIN IMMEDIATE and either committed or rolled back before the call
 *     returns.  So if the process dies between calls nothing committed is
 *     lost, and if it dies inside one the whole call is absent.
 *   - Nothing is updated or deleted except runs.status and
 *     runs.finished_at, and those once: 'running' -> final state.  A
 *     replication, a distribution, a time-series sample or a set of
 *     aggregates that is already stored is refused, never replaced.
 *   - A replication's rep_metrics rows go in with its replications row,
 *     one row per metric key; time-series rows of a replication without a
 *     replications row belong to one that never completed, and the views
 *     leave them out.
 *   - Once a run is finished (status 'done', 'failed' or 'canceled') it
 *     takes no more rows of any kind.
 *
 * Run state is read from the database on every call, not cached on the
 * handle: the counts involved are small (O(keys) per call, next to the
 * O(keys) rows a replication inserts), and it means a later process can
 * carry on with a run that an earlier one began, and that two handles on
 * one file never disagree.
 *
 * Transactions start with BEGIN IMMEDIATE, which takes the write lock up
 * front: a deferred transaction that reads first and then tries to write
 * can fail with SQLITE_BUSY at once, without waiting, when another
 * connection wrote in between, whereas an immediate one waits out the 5 s
 * busy timeout like everything else.
 *
 * Statements.  Every statement is prepared once, on first use, with
 * SQLITE_PREPARE_PERSISTENT, and kept in s->stmt[] until close.  BEGIN,
 * COMMIT and ROLLBACK are prepared at open, so that a rollback after an
 * out-of-memory error does not itself need to prepare anything.
 * Statements are reset (and their bindings cleared, as bound strings are
 * borrowed from the caller) before each public call returns.
 *
 * Errors.  Each failure clears the caller's bf_error and sets a message
 * that starts with the store's path and says what was being done, then
 * SQLite's own words (sqlite3_errmsg, plus strerror for operating-system
 * failures).  SQLite result codes map to bf_status as: out of memory ->
 * BF_ENOMEM; cannot open, read-only, I/O error, disk full -> BF_EIO;
 * everything else (not a database, locked, constraint) -> BF_ESTORE.
 * Arguments that cannot be right for the run (an unknown series index, a
 * wrong key count) are BF_EINVAL; writing to a finished run is BF_ESTATE.
 *
 * Memory.  The handle is one bf_malloc block (struct plus the path);
 * SQLite allocates through its own allocator (tests route that through
 * bf_malloc with sqlite3_config to inject failures there too).  Strings
 * passed in are borrowed for the call.
 */
#include "borderflow/store.h"

#include "store/store_int.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

/* The time stamp of every *_at column: ISO-8601, UTC, milliseconds. */
#define NOW_UTC "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

/* The schema, created in one transaction when the file is new, one
 * statement per string (C11 only promises literals of 4095 characters).
 * The order of columns and their meaning are part of the contract with
 * analysts (docs/results-schema.md); a change here is a new schema
 * version. */
static const char *const SCHEMA_SQL[] = {
    "PRAGMA application_id = 1113867884", /* BF__STORE_APPLICATION_ID */
    "PRAGMA user_version = 1",
    "CREATE TABLE meta (\n"
    "  key   TEXT PRIMARY KEY,\n"
    "  value TEXT NOT NULL\n"
    ") WITHOUT ROWID;\n",
    "CREATE TABLE scenarios (\n"
    "  id   INTEGER PRIMARY KEY,\n"
    "  name TEXT NOT NULL,\n"
    "  path TEXT NOT NULL,\n"
    "  hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 16),\n"
    "  text TEXT NOT NULL\n"
    ");\n",
    "CREATE TABLE runs (\n"
    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  uid                  TEXT NOT NULL UNIQUE\n"
    "                       DEFAULT (lower(hex(randomblob(16)))),\n"
    "  scenario_id          INTEGER NOT NULL REFERENCES scenarios (id),\n"
    "  status               TEXT NOT NULL CHECK (status IN\n"
    "                         ('running', 'done', 'failed', 'canceled')),\n"
    "  started_at           TEXT NOT NULL,\n"
    "  finished_at          TEXT,\n"
    "  borderflow_version   TEXT NOT NULL,\n"
    "  source_revision      TEXT NOT NULL,\n"
    "  command_line         TEXT NOT NULL,\n"
    "  seed                 TEXT NOT NULL,\n"
    "  replications_planned INTEGER NOT NULL,\n"
    "  horizon_s            REAL,\n"
    "  warmup_s             REAL,\n"
    "  sample_every_s       REAL,\n"
    "  overrides            TEXT NOT NULL,\n"
    "  hostname             TEXT NOT NULL,\n"
    "  CHECK ((status = 'running') = (finished_at IS NULL))\n"
    ");\n",
    "CREATE INDEX runs_by_scenario ON runs (scenario_id);\n",
    "CREATE TABLE parameters (\n"
    "  run_id INTEGER NOT NULL REFERENCES runs (id),\n"
    "  key    TEXT NOT NULL,\n"
    "  value  TEXT NOT NULL,\n"
    "  PRIMARY KEY (run_id, key)\n"
    ") WITHOUT ROWID;\n",
    "CREATE INDEX parameters_by_key ON parameters (key, value);\n",
    "CREATE TABLE metric_keys (\n"
    "  run_id     INTEGER NOT NULL REFERENCES runs (id),\n"
    "  key_index  INTEGER NOT NULL CHECK (key_index >= 0),\n"
    "  scope_kind TEXT NOT NULL,\n"
    "  scope      TEXT NOT NULL,\n"
    "  class      TEXT NOT NULL,\n"
    "  metric     TEXT NOT NULL,\n"
    "  unit       TEXT NOT NULL,\n"
    "  PRIMARY KEY (run_id, key_index),\n"
    "  UNIQUE (run_id, scope_kind, scope, class, metric)\n"
    ") WITHOUT ROWID;\n",
    "CREATE INDEX metric_keys_by_metric\n"
    "  ON metric_keys (metric, scope_kind, scope, class);\n",
    "CREATE TABLE replications (\n"
    "  run_id       INTEGER NOT NULL REFERENCES runs (id),\n"
    "  replication  INTEGER NOT NULL CHECK (replication >= 0),\n"
    "  events       INTEGER NOT NULL,\n"
    "  wall_s       REAL,\n"
    "  completed_at TEXT NOT NULL,\n"
    "  PRIMARY KEY (run_id, replication)\n"
    ") WITHOUT ROWID;\n",
    "CREATE TABLE rep_metrics (\n"
    "  run_id      INTEGER NOT NULL,\n"
    "  replication INTEGER NOT NULL,\n"
    "  key_index   INTEGER NOT NULL,\n"
    "  value       REAL,\n"
    "  PRIMARY KEY (run_id, replication, key_index),\n"
    "  FOREIGN KEY (run_id, replication)\n"
    "    REFERENCES replications (run_id, replication),\n"
    "  FOREIGN KEY (run_id, key_index)\n"
    "    REFERENCES metric_keys (run_id, key_index)\n"
    ") WITHOUT ROWID;\n",
    /* Covering (it holds value), so that one metric across a run's
     * replications is a single range read; rep_metrics is small next to
     * timeseries, so the second copy costs little. */
    "CREATE INDEX rep_metrics_by_key\n"
    "  ON rep_metrics (run_id, key_index, replication, value);\n",
    "CREATE TABLE aggregates (\n"
    "  run_id     INTEGER NOT NULL,\n"
    "  key_index  INTEGER NOT NULL,\n"
    "  n          INTEGER NOT NULL,\n"
    "  mean       REAL,\n"
    "  sd         REAL,\n"
    "  half_width REAL,\n"
    "  ci_low     REAL,\n"
    "  ci_high    REAL,\n"
    "  PRIMARY KEY (run_id, key_index),\n"
    "  FOREIGN KEY (run_id, key_index)\n"
    "    REFERENCES metric_keys (run_id, key_index)\n"
    ") WITHOUT ROWID;\n",
    "CREATE TABLE series_keys (\n"
    "  run_id       INTEGER NOT NULL REFERENCES runs (id),\n"
    "  series_index INTEGER NOT NULL CHECK (series_index >= 0),\n"
    "  scope_kind   TEXT NOT NULL,\n"
    "  scope        TEXT NOT NULL,\n"
    "  metric       TEXT NOT NULL,\n"
    "  PRIMARY KEY (run_id, series_index),\n"
    "  UNIQUE (run_id, scope_kind, scope, metric)\n"
    ") WITHOUT ROWID;\n",
    "CREATE TABLE timeseries (\n"
    "  run_id       INTEGER NOT NULL,\n"
    "  replication  INTEGER NOT NULL CHECK (replication >= 0),\n"
    "  series_index INTEGER NOT NULL,\n"
    "  t            REAL NOT NULL,\n"
    "  value        REAL,\n"
    "  PRIMARY KEY (run_id, series_index, replication, t),\n"
    "  FOREIGN KEY (run_id, series_index)\n"
    "    REFERENCES series_keys (run_id, series_index)\n"
    ") WITHOUT ROWID;\n",
    "CREATE TABLE distributions (\n"
    "  run_id    INTEGER NOT NULL,\n"
    "  key_index INTEGER NOT NULL,\n"
    "  lo        REAL NOT NULL,\n"
    "  hi        REAL NOT NULL,\n"
    "  count     INTEGER NOT NULL CHECK (count > 0),\n"
    "  PRIMARY KEY (run_id, key_index, lo),\n"
    "  FOREIGN KEY (run_id, key_index)\n"
    "    REFERENCES metric_keys (run_id, key_index),\n"
    "  CHECK (lo < hi)\n"
    ") WITHOUT ROWID;\n",
    "CREATE VIEW v_runs AS\n"
    "  SELECT r.id AS run_id, r.uid, s.name AS scenario,\n"
    "         s.hash AS scenario_hash, r.status, r.started_at,\n"
    "         r.finished_at, r.seed, r.replications_planned,\n"
    "         (SELECT count(*) FROM replications p WHERE p.run_id = r.id)\n"
    "           AS replications_done,\n"
    "         r.overrides, r.command_line, r.hostname,\n"
    "         r.borderflow_version, r.source_revision\n"
    "  FROM runs r JOIN scenarios s ON s.id = r.scenario_id;\n",
    /* The views name the small key table first and join it with CROSS
     * JOIN, which SQLite always makes the outer loop: without statistics
     * (a store is never ANALYZEd) the planner may otherwise scan a whole
     * run's samples and look each one's name up, instead of finding the
     * few series asked for and reading just their rows.  The views'
     * run_id is the key table's, so a filter on it reaches that outer
     * loop directly. */
    "CREATE VIEW v_rep_metrics AS\n"
    "  SELECT k.run_id, m.replication, k.scope_kind, k.scope, k.class,\n"
    "         k.metric, k.unit, m.value\n"
    "  FROM metric_keys k\n"
    "  CROSS JOIN rep_metrics m\n"
    "    ON m.run_id = k.run_id AND m.key_index = k.key_index\n"
    "  JOIN replications p\n"
    "    ON p.run_id = m.run_id AND p.replication = m.replication;\n",
    "CREATE VIEW v_aggregates AS\n"
    "  SELECT k.run_id, k.scope_kind, k.scope, k.class, k.metric, k.unit,\n"
    "         a.mean, a.half_width, a.ci_low, a.ci_high, a.n\n"
    "  FROM metric_keys k\n"
    "  CROSS JOIN aggregates a\n"
    "    ON a.run_id = k.run_id AND a.key_index = k.key_index;\n",
    "CREATE VIEW v_timeseries AS\n"
    "  SELECT k.run_id, ts.replication, k.scope_kind, k.scope, k.metric,\n"
    "         ts.t, ts.value\n"
    "  FROM series_keys k\n"
    "  CROSS JOIN timeseries ts\n"
    "    ON ts.run_id = k.run_id AND ts.series_index = k.series_index\n"
    "  JOIN replications p\n"
    "    ON p.run_id = ts.run_id AND p.replication = ts.replication;\n",
    "CREATE VIEW v_distributions AS\n"
    "  SELECT k.run_id, k.scope_kind, k.scope, k.class, k.metric, k.unit,\n"
    "         d.lo, d.hi, d.count\n"
    "  FROM metric_keys k\n"
    "  CROSS JOIN distributions d\n"
    "    ON d.run_id = k.run_id AND d.key_index = k.key_index;\n",
    "INSERT INTO meta (key, value) VALUES\n"
    "  ('application', 'borderflow'),\n"
    "  ('schema_version', '1'),\n"
    "  ('created_at', " NOW_UTC ")",
};

/* The cached statements.  ST_BEGIN .. ST_ROLLBACK are prepared at open;
 * the rest on first use. */
enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SCENARIO_FIND,
    ST_SCENARIO_ADD,
    ST_RUN_ADD,
    ST_PARAM_ADD,
    ST_KEY_ADD,
    ST_SERIES_ADD,
    ST_RUN_STATE,
    ST_REP_FIND,
    ST_REP_ADD,
    ST_METRIC_ADD,
    ST_SAMPLE_ADD,
    ST_DIST_FIND,
    ST_DIST_ADD,
    ST_AGG_ADD,
    ST_RUN_FINISH,
    N_STMT
};

static const char *const STMT_SQL[N_STMT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SCENARIO_FIND] = "SELECT id, text = ?2 FROM scenarios WHERE hash = ?1",
    [ST_SCENARIO_ADD] =
        "INSERT INTO scenarios (name, path, hash, text) VALUES (?1, ?2, ?3, ?4)",
    [ST_RUN_ADD] =
        "INSERT INTO runs (scenario_id, status, started_at,"
        " borderflow_version, source_revision, command_line, seed,"
        " replications_planned, horizon_s, warmup_s, sample_every_s,"
        " overrides, hostname)"
        " VALUES (?1, 'running', " NOW_UTC ", ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
        " ?9, ?10, ?11)",
    [ST_PARAM_ADD] =
        "INSERT INTO parameters (run_id, key, value) VALUES (?1, ?2, ?3)",
    [ST_KEY_ADD] =
        "INSERT INTO metric_keys (run_id, key_index, scope_kind, scope, class,"
        " metric, unit) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_SERIES_ADD] =
        "INSERT INTO series_keys (run_id, series_index, scope_kind, scope,"
        " metric) VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_RUN_STATE] =
        "SELECT status,"
        " (SELECT count(*) FROM metric_keys WHERE run_id = ?1),"
        " (SELECT count(*) FROM series_keys WHERE run_id = ?1)"
        " FROM runs WHERE id = ?1",
    [ST_REP_FIND] =
        "SELECT 1 FROM replications WHERE run_id = ?1 AND replication = ?2",
    [ST_REP_ADD] =
        "INSERT INTO replications (run_id, replication, events, wall_s,"
        " completed_at) VALUES (?1, ?2, ?3, ?4, " NOW_UTC ")",
    [ST_METRIC_ADD] =
        "INSERT INTO rep_metrics (run_id, replication, key_index, value)"
        " VALUES (?1, ?2, ?3, ?4)",
    [ST_SAMPLE_ADD] =
        "INSERT INTO timeseries (run_id, replication, series_index, t, value)"
        " VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_DIST_FIND] =
        "SELECT 1 FROM distributions WHERE run_id = ?1 AND key_index = ?2"
        " LIMIT 1",
    [ST_DIST_ADD] =
        "INSERT INTO distributions (run_id, key_index, lo, hi, count)"
        " VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_AGG_ADD] =
        "INSERT INTO aggregates (run_id, key_index, n, mean, sd, half_width,"
        " ci_low, ci_high) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_RUN_FINISH] =
        "UPDATE runs SET status = ?2, finished_at = " NOW_UTC
        " WHERE id = ?1 AND status = 'running'",
};

struct bf_store {
    sqlite3 *db;
    sqlite3_stmt *stmt[N_STMT];
    char path[]; /* as given to bf_store_open, for messages */
};

/* What the database says about one run, read inside the transaction. */
typedef struct run_state {
    char status[16];
    int64_t n_keys;
    int64_t n_series;
} run_state;

/* ---- errors ---------------------------------------------------------- */

static bf_status status_of(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return BF_OK;
    case SQLITE_NOMEM:
        return BF_ENOMEM;
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_PERM:
        return BF_EIO;
    default:
        return BF_ESTORE;
    }
}

/* Clears err and sets code and a message from fmt. */
static bf_status fail(bf_error *err, bf_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bf_status fail(bf_error *err, bf_status code, const char *fmt, ...)
{
    char msg[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    bf_error_clear(err);
    return bf_error_set(err, code, "%s", msg);
}

/* A failure that SQLite reported with rc on db: the message is
 * "PATH: WHAT: SQLite's message", plus the operating system's reason for
 * I/O failures.  Call it before anything else touches db (a rollback
 * would replace the message). */
static bf_status db_fail(sqlite3 *db, const char *path, int rc, bf_error *err,
                         const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static bf_status db_fail(sqlite3 *db, const char *path, int rc, bf_error *err,
                         const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);

    bf_status code = status_of(rc);
    if (code == BF_OK) /* a caller bug, but never report success */
        code = BF_ESTORE;
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    char os[160] = "";
    int e = db ? sqlite3_system_errno(db) : 0;
    if (e && code == BF_EIO) {
        char reason[128];
        if (strerror_r(e, reason, sizeof reason) == 0)
            snprintf(os, sizeof os, " (%s)", reason);
    }
    return fail(err, code, "%s: %s: %s%s", path, what, msg, os);
}

/* ---- statements and transactions ------------------------------------ */

static int stmt_get(bf_store *s, enum stmt_id id, sqlite3_stmt **out)
{
    if (!s->stmt[id]) {
        int rc = sqlite3_prepare_v3(s->db, STMT_SQL[id], -1,
                                    SQLITE_PREPARE_PERSISTENT, &s->stmt[id],
                                    NULL);
        if (rc != SQLITE_OK) {
            /* prepare leaves NULL behind on failure; keep it that way so
             * the next call tries again. */
            s->stmt[id] = NULL;
            *out = NULL;
            return rc;
        }
    }
    *out = s->stmt[id];
    return SQLITE_OK;
}

/* Resets every cached statement and drops its bindings: the strings bound
 * with SQLITE_STATIC belong to the caller and die when the call returns. */
static void stmt_release_all(bf_store *s)
{
    for (int i = 0; i < N_STMT; i++) {
        if (s->stmt[i]) {
            sqlite3_reset(s->stmt[i]);
            sqlite3_clear_bindings(s->stmt[i]);
        }
    }
}

/* Steps a statement that returns no rows and resets it.  Returns
 * SQLITE_OK or the error code (the message stays on the handle). */
static int step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int run_simple(bf_store *s, enum stmt_id id)
{
    sqlite3_stmt *st;
    int rc = stmt_get(s, id, &st);
    return rc != SQLITE_OK ? rc : step_done(st);
}

static void tx_rollback(bf_store *s)
{
    /* A failed statement may already have ended the transaction (SQLite
     * rolls back by itself on some errors, out of memory among them). */
    if (!sqlite3_get_autocommit(s->db))
        (void)run_simple(s, ST_ROLLBACK);
    stmt_release_all(s);
}

static bf_status tx_begin(bf_store *s, bf_error *err, const char *what)
{
    /* A rollback that failed in an earlier call (out of memory) can leave
     * its transaction open; nothing in it was committed, so drop it. */
    if (!sqlite3_get_autocommit(s->db))
        (void)run_simple(s, ST_ROLLBACK);
    int rc = run_simple(s, ST_BEGIN);
    if (rc != SQLITE_OK)
        return db_fail(s->db, s->path, rc, err,
                       "%s: cannot start a transaction", what);
    return BF_OK;
}

static bf_status tx_commit(bf_store *s, bf_error *err, const char *what)
{
    int rc = run_simple(s, ST_COMMIT);
    if (rc != SQLITE_OK) {
        bf_status st = db_fail(s->db, s->path, rc, err,
                               "%s: cannot commit", what);
        tx_rollback(s);
        return st;
    }
    stmt_release_all(s);
    return BF_OK;
}

/* ---- binding helpers ------------------------------------------------- */

static const char *str_or_empty(const char *p)
{
    return p ? p : "";
}

static int bind_text(sqlite3_stmt *st, int i, const char *v)
{
    return sqlite3_bind_text(st, i, str_or_empty(v), -1, SQLITE_STATIC);
}

/* NaN means "no value" in borderflow (a mean of nothing, a half-width
 * from one replication); SQL's word for that is NULL.  Infinities are
 * real values and are stored as such. */
static int bind_real(sqlite3_stmt *st, int i, double v)
{
    return isnan(v) ? sqlite3_bind_null(st, i) : sqlite3_bind_double(st, i, v);
}

static int64_t clamp_u64(uint64_t v)
{
    return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* ---- run state -------------------------------------------------------- */

/* Reads run_id's status and key counts, for a call that is about to add
 * to the run.  BF_ESTORE if the run does not exist; BF_ESTATE if it is
 * finished (a finished run takes nothing more). */
static bf_status run_load(bf_store *s, int64_t run_id, const char *what,
                          run_state *rs, bf_error *err)
{
    sqlite3_stmt *st;
    int rc = stmt_get(s, ST_RUN_STATE, &st);
    if (rc != SQLITE_OK)
        return db_fail(s->db, s->path, rc, err, "%s", what);
    sqlite3_bind_int64(st, 1, run_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return fail(err, BF_ESTORE, "%s: %s: the store has no run %" PRId64,
                    s->path, what, run_id);
    }
    if (rc != SQLITE_ROW) {
        bf_status code = db_fail(s->db, s->path, rc, err, "%s", what);
        sqlite3_reset(st);
        return code;
    }
    const char *status = (const char *)sqlite3_column_text(st, 0);
    if (!status) { /* out of memory converting the value */
        sqlite3_reset(st);
        return fail(err, BF_ENOMEM, "%s: %s: out of memory", s->path, what);
    }
    snprintf(rs->status, sizeof rs->status, "%s", status);
    rs->n_keys = sqlite3_column_int64(st, 1);
    rs->n_series = sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    if (strcmp(rs->status, "running") != 0)
        return fail(err, BF_ESTATE,
                    "%s: %s: run %" PRId64 " is already finished (status "
                    "'%s'); a finished run takes no more results",
                    s->path, what, run_id, rs->status);
    return BF_OK;
}

/* Sets *found to whether replication rep of run_id is stored.  Returns
 * SQLITE_OK or the SQLite error code. */
static int rep_find(bf_store *s, int64_t run_id, int rep, bool *found)
{
    sqlite3_stmt *st;
    int rc = stmt_get(s, ST_REP_FIND, &st);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int(st, 2, rep);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return rc;
    *found = rc == SQLITE_ROW;
    return SQLITE_OK;
}

/* ---- open and close -------------------------------------------------- */

/* Runs a statement that returns one integer and stores it in *v. */
static int query_int(sqlite3 *db, const char *sql, int64_t *v)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *v = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_EMPTY;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Creates the schema if the file holds no schema yet.  Runs under BEGIN
 * IMMEDIATE and looks again inside it, so two processes creating the same
 * new store at once do not both create the tables. */
static bf_status create_if_empty(bf_store *s, bf_error *err)
{
    int64_t n_objects = 0, app_id = 0;
    int rc = query_int(s->db, "SELECT count(*) FROM sqlite_master", &n_objects);
    if ((rc & 0xff) == SQLITE_NOTADB)
        return fail(err, BF_ESTORE,
                    "%s is not a borderflow results store (it is not an "
                    "SQLite database)", s->path);
    if (rc != SQLITE_OK)
        return db_fail(s->db, s->path, rc, err,
                       "cannot read the results store");
    if (n_objects > 0)
        return BF_OK;

    /* No tables, but another program may have claimed the file already
     * (an application id in its header); leave such a file alone. */
    rc = query_int(s->db, "PRAGMA application_id", &app_id);
    if (rc != SQLITE_OK)
        return db_fail(s->db, s->path, rc, err,
                       "cannot read the results store");
    if (app_id != 0 && app_id != BF__STORE_APPLICATION_ID)
        return fail(err, BF_ESTORE,
                    "%s is not a borderflow results store (its SQLite "
                    "application_id is 0x%08" PRIx64 ")",
                    s->path, (uint64_t)app_id & 0xffffffffu);

    bf_status st = tx_begin(s, err, "cannot create the results store");
    if (st != BF_OK)
        return st;
    rc = query_int(s->db, "SELECT count(*) FROM sqlite_master", &n_objects);
    for (size_t i = 0; rc == SQLITE_OK && n_objects == 0 &&
                       i < sizeof SCHEMA_SQL / sizeof SCHEMA_SQL[0];
         i++)
        rc = sqlite3_exec(s->db, SCHEMA_SQL[i], NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        st = db_fail(s->db, s->path, rc, err,
                     "cannot create the results store");
        tx_rollback(s);
        return st;
    }
    return tx_commit(s, err, "cannot create the results store");
}

/* Checks that the file is a borderflow store of our schema version. */
static bf_status check_identity(bf_store *s, bf_error *err)
{
    int64_t has_meta = 0;
    int rc = query_int(s->db,
                       "SELECT count(*) FROM sqlite_master"
                       " WHERE type = 'table' AND name = 'meta'",
                       &has_meta);
    if (rc != SQLITE_OK)
        return db_fail(s->db, s->path, rc, err,
                       "cannot read the results store");
    if (!has_meta)
        return fail(err, BF_ESTORE,
                    "%s is not a borderflow results store (it is an SQLite "
                    "database without a meta table)", s->path);

    sqlite3_stmt *q;
    rc = sqlite3_prepare_v2(s->db,
                            "SELECT (SELECT value FROM meta"
                            "         WHERE key = 'application'),"
                            "       (SELECT value FROM meta"
                            "         WHERE key = 'schema_version')",
                            -1, &q, NULL);
    if (rc != SQLITE_OK) {
        /* A meta table of some other program, with other columns. */
        if ((rc & 0xff) == SQLITE_ERROR)
            return fail(err, BF_ESTORE,
                        "%s is not a borderflow results store (its meta table "
                        "has no key and value columns)", s->path);
        return db_fail(s->db, s->path, rc, err,
                       "cannot read the results store");
    }
    rc = sqlite3_step(q);
    if (rc != SQLITE_ROW) {
        bf_status st = db_fail(s->db, s->path, rc, err,
                               "cannot read the results store");
        sqlite3_finalize(q);
        return st;
    }

    bf_status st = BF_OK;
    const char *app = (const char *)sqlite3_column_text(q, 0);
    const char *ver = (const char *)sqlite3_column_text(q, 1);
    if ((!app && sqlite3_column_type(q, 0) != SQLITE_NULL) ||
        (!ver && sqlite3_column_type(q, 1) != SQLITE_NULL)) {
        /* sqlite3_column_text returns NULL for a value only when it ran
         * out of memory converting it. */
        st = fail(err, BF_ENOMEM, "%s: out of memory reading the store",
                  s->path);
    } else if (!app || strcmp(app, "borderflow") != 0) {
        st = fail(err, BF_ESTORE,
                  "%s is not a borderflow results store (meta.application "
                  "is %s%.64s%s)",
                  s->path, app ? "'" : "", app ? app : "missing",
                  app ? "'" : "");
    } else if (!ver) {
        st = fail(err, BF_ESTORE,
                  "%s has no schema version; this borderflow writes "
                  "version %d", s->path, BF_STORE_SCHEMA_VERSION);
    } else {
        int64_t v = sqlite3_column_int64(q, 1);
        char want[24];
        snprintf(want, sizeof want, "%d", BF_STORE_SCHEMA_VERSION);
        if (strcmp(ver, want) != 0)
            st = fail(err, BF_ESTORE,
                      "%s has schema version %.32s; this borderflow writes "
                      "version %d%s",
                      s->path, ver, BF_STORE_SCHEMA_VERSION,
                      v > BF_STORE_SCHEMA_VERSION
                          ? " (the store was written by a newer borderflow)"
                          : "");
    }
    sqlite3_finalize(q);
    return st;
}

/* Switches the store to WAL: readers (export, the server) can then work
 * while a run writes, and with synchronous=NORMAL a commit costs no fsync;
 * a power cut can lose the last commits but never corrupts the file.  The
 * mode is stored in the file, so this is a no-op after the first open. */
static bf_status use_wal(bf_store *s, bf_error *err)
{
    const char *what = "cannot switch the results store to WAL journal mode";
    sqlite3_stmt *q;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &q,
                                NULL);
    if (rc != SQLITE_OK)
        return db_fail(s->db, s->path, rc, err, "%s", what);
    rc = sqlite3_step(q);
    if (rc != SQLITE_ROW) {
        bf_status st = db_fail(s->db, s->path, rc, err, "%s", what);
        sqlite3_finalize(q);
        return st;
    }
    bf_status st = BF_OK;
    const char *mode = (const char *)sqlite3_column_text(q, 0);
    const char *file = sqlite3_db_filename(s->db, "main");
    bool in_memory = !file || !file[0]; /* ":memory:" has no WAL */
    if (!mode)
        st = fail(err, BF_ENOMEM, "%s: %s: out of memory", s->path, what);
    else if (!in_memory && strcmp(mode, "wal") != 0)
        st = fail(err, BF_ESTORE, "%s: %s (it stays in '%.16s' mode)",
                  s->path, what, mode);
    sqlite3_finalize(q);
    return st;
}

bf_status bf_store_open(const char *path, bf_store **out, bf_error *err)
{
    assert(out);
    *out = NULL;
    if (!path || !path[0])
        return fail(err, BF_EINVAL, "the results store path is empty");

    /* SQLite's own word for a directory is "unable to open database
     * file", which does not say what is wrong. */
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return fail(err, BF_EIO,
                    "%s is a directory; the results store must be a file",
                    path);

    size_t len = strlen(path);
    bf_store *s = bf_calloc(1, sizeof *s + len + 1);
    if (!s)
        return fail(err, BF_ENOMEM,
                    "%s: out of memory opening the results store", path);
    memcpy(s->path, path, len + 1);

    /* NOMUTEX: a bf_store is used by one thread at a time (store.h), so
     * SQLite's per-connection mutex would only cost. */
    int rc = sqlite3_open_v2(path, &s->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                 SQLITE_OPEN_NOMUTEX,
                             NULL);
    bf_status st;
    if (rc != SQLITE_OK) {
        st = db_fail(s->db, path, rc, err, "cannot open the results store");
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 5000);

    /* SQLite falls back to read-only when the file is write-protected;
     * the store only writes, so say so now rather than at the first
     * INSERT. */
    if (sqlite3_db_readonly(s->db, "main") == 1) {
        st = fail(err, BF_EIO,
                  "%s: cannot write to the results store: the file is "
                  "read-only", path);
        goto fail;
    }

    rc = sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        st = db_fail(s->db, path, rc, err, "cannot configure the store");
        goto fail;
    }

    for (int i = ST_BEGIN; i <= ST_ROLLBACK; i++) {
        sqlite3_stmt *unused;
        rc = stmt_get(s, (enum stmt_id)i, &unused);
        if (rc != SQLITE_OK) {
            st = db_fail(s->db, path, rc, err, "cannot open the results store");
            goto fail;
        }
    }

    st = create_if_empty(s, err);
    if (st != BF_OK)
        goto fail;
    st = check_identity(s, err);
    if (st != BF_OK)
        goto fail;

    /* Only now, with the file known to be ours, change its journal mode:
     * a foreign database must be left exactly as it was. */
    st = use_wal(s, err);
    if (st != BF_OK)
        goto fail;
    rc = sqlite3_exec(s->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        st = db_fail(s->db, path, rc, err, "cannot configure the store");
        goto fail;
    }

    *out = s;
    return BF_OK;

fail:
    bf_store_close(s);
    return st;
}

void bf_store_close(bf_store *s)
{
    if (!s)
        return;
    for (int i = 0; i < N_STMT; i++)
        sqlite3_finalize(s->stmt[i]);
    /* Every statement is finalised, so sqlite3_close cannot be refused
     * with SQLITE_BUSY.  The last connection to a WAL database
     * checkpoints and removes the -wal and -shm files on close. */
    sqlite3_close(s->db);
    bf_free(s);
}

/* ---- hashing ---------------------------------------------------------- */

void bf_store_hash_hex(const char *text, const char *overrides, char out[17])
{
    /* FNV-1a, 64 bit.  The 0 byte between the two strings keeps ("ab",
     * "") and ("a", "b") apart. */
    const uint64_t prime = 0x100000001b3u;
    uint64_t h = 0xcbf29ce484222325u;
    for (const unsigned char *p = (const unsigned char *)str_or_empty(text);
         *p; p++)
        h = (h ^ *p) * prime;
    h = (h ^ 0u) * prime;
    for (const unsigned char *p =
             (const unsigned char *)str_or_empty(overrides);
         *p; p++)
        h = (h ^ *p) * prime;
    snprintf(out, 17, "%016" PRIx64, h);
}

/* ---- runs ------------------------------------------------------------- */

/* Finds the scenario row for (text, overrides) or adds one.  OUT: *id. */
static bf_status scenario_get(bf_store *s, const bf_run_record *rec,
                              int64_t *id, bf_error *err)
{
    const char *what = "cannot record the scenario";
    char hash[17];
    bf_store_hash_hex(rec->scenario_text, rec->overrides, hash);

    sqlite3_stmt *st;
    int rc = stmt_get(s, ST_SCENARIO_FIND, &st);
    if (rc != SQLITE_OK)
        return db_fail(s->db, s->path, rc, err, "%s", what);
    bind_text(st, 1, hash);
    bind_text(st, 2, rec->scenario_text);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        bool same = sqlite3_column_int(st, 1) != 0;
        sqlite3_reset(st);
        if (!same)
            return fail(err, BF_ESTORE,
                        "%s: %s: hash %s is already stored for a different "
                        "scenario text (an FNV-1a collision)",
                        s->path, what, hash);
        return BF_OK;
    }
    if (rc != SQLITE_DONE) {
        bf_status code = db_fail(s->db, s->path, rc, err, "%s", what);
        sqlite3_reset(st);
        return code;
    }
    sqlite3_reset(st);

    rc = stmt_get(s, ST_SCENARIO_ADD, &st);
    if (rc == SQLITE_OK) {
        bind_text(st, 1, rec->scenario_name);
        bind_text(st, 2, rec->scenario_path);
        bind_text(st, 3, hash);
        bind_text(st, 4, rec->scenario_text);
        rc = step_done(st);
    }
    if (rc != SQLITE_OK)
        return db_fail(s->db, s->path, rc, err, "%s", what);
    *id = sqlite3_last_insert_rowid(s->db);
    return BF_OK;
}

bf_status bf_store_begin_run(bf_store *s, const bf_run_record *rec,
                             const bf_store_key *keys, size_t n_keys,
                             const bf_store_series *series, size_t n_series,
                             int64_t *run_id, bf_error *err)
{
    assert(s && rec && run_id);
    assert(keys || n_keys == 0);
    assert(series || n_series == 0);
    assert((rec->param_keys && rec->param_values) || rec->n_params == 0);

    const char *what = "cannot record a new run";
    bf_status st = tx_begin(s, err, what);
    if (st != BF_OK)
        return st;

    int64_t scenario_id = 0;
    st = scenario_get(s, rec, &scenario_id, err);
    if (st != BF_OK)
        goto fail;

    /* The seed is a uint64; SQLite integers are signed 64-bit, and a
     * seed above 2^63 would come back negative.  Stored as decimal text
     * it is exact, and `seed = 20230905` still matches because the
     * column's TEXT affinity converts the literal. */
    char seed[24];
    snprintf(seed, sizeof seed, "%" PRIu64, rec->seed);
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0)
        host[0] = '\0';
    host[sizeof host - 1] = '\0';

    sqlite3_stmt *q;
    int rc = stmt_get(s, ST_RUN_ADD, &q);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, scenario_id);
        bind_text(q, 2, bf_version());
        bind_text(q, 3, bf_source_revision());
        bind_text(q, 4, rec->command_line);
        bind_text(q, 5, seed);
        sqlite3_bind_int(q, 6, rec->replications);
        bind_real(q, 7, rec->horizon_s);
        bind_real(q, 8, rec->warmup_s);
        bind_real(q, 9, rec->sample_every_s);
        bind_text(q, 10, rec->overrides);
        bind_text(q, 11, host);
        rc = step_done(q);
    }
    if (rc != SQLITE_OK) {
        st = db_fail(s->db, s->path, rc, err, "%s", what);
        goto fail;
    }
    int64_t id = sqlite3_last_insert_rowid(s->db);

    rc = stmt_get(s, ST_PARAM_ADD, &q);
    for (size_t i = 0; rc == SQLITE_OK && i < rec->n_params; i++) {
        sqlite3_bind_int64(q, 1, id);
        bind_text(q, 2, rec->param_keys[i]);
        bind_text(q, 3, rec->param_values[i]);
        rc = step_done(q);
        if (rc != SQLITE_OK) {
            st = db_fail(s->db, s->path, rc, err,
                         "%s: parameter '%.64s'", what,
                         str_or_empty(rec->param_keys[i]));
            goto fail;
        }
    }
    if (rc != SQLITE_OK) {
        st = db_fail(s->db, s->path, rc, err, "%s", what);
        goto fail;
    }

    rc = stmt_get(s, ST_KEY_ADD, &q);
    for (size_t i = 0; rc == SQLITE_OK && i < n_keys; i++) {
        const bf_store_key *k = &keys[i];
        sqlite3_bind_int64(q, 1, id);
        sqlite3_bind_int64(q, 2, (int64_t)i);
        bind_text(q, 3, k->scope_kind);
        bind_text(q, 4, k->scope);
        bind_text(q, 5, k->class_name);
        bind_text(q, 6, k->metric);
        bind_text(q, 7, k->unit);
        rc = step_done(q);
        if (rc != SQLITE_OK) {
            st = db_fail(s->db, s->path, rc, err,
                         "%s: metric key %zu (%.24s '%.32s' class '%.32s' "
                         "%.48s)", what, i, str_or_empty(k->scope_kind),
                         str_or_empty(k->scope), str_or_empty(k->class_name),
                         str_or_empty(k->metric));
            goto fail;
        }
    }
    if (rc != SQLITE_OK) {
        st = db_fail(s->db, s->path, rc, err, "%s", what);
        goto fail;
    }

    rc = stmt_get(s, ST_SERIES_ADD, &q);
    for (size_t i = 0; rc == SQLITE_OK && i < n_series; i++) {
        const bf_store_series *k = &series[i];
        sqlite3_bind_int64(q, 1, id);
        sqlite3_bind_int64(q, 2, (int64_t)i);
        bind_text(q, 3, k->scope_kind);
        bind_text(q, 4, k->scope);
        bind_text(q, 5, k->metric);
        rc = step_done(q);
        if (rc != SQLITE_OK) {
            st = db_fail(s->db, s->path, rc, err,
                         "%s: series %zu (%.24s '%.32s' %.48s)", what, i,
                         str_or_empty(k->scope_kind), str_or_empty(k->scope),
                         str_or_empty(k->metric));
            goto fail;
        }
    }
    if (rc != SQLITE_OK) {
        st = db_fail(s->db, s->path, rc, err, "%s", what);
        goto fail;
    }

    st = tx_commit(s, err, what);
    if (st == BF_OK)
        *run_id = id;
    return st;

fail:
    tx_rollback(s);
    return st;
}

/* ---- replications ----------------------------------------------------- */

bf_status bf_store_add_replication(bf_store *s, int64_t run_id, int rep,
                                   uint64_t events, double wall_s,
                                   const double *values, bf_error *err)
{
    assert(s);
    char what[96];
    snprintf(what, sizeof what, "cannot store replication %d of run %" PRId64,
             rep, run_id);
    if (rep < 0)
        return fail(err, BF_EINVAL,
                    "%s: %s: replications are numbered from 0", s->path, what);

    bf_status st = tx_begin(s, err, what);
    if (st != BF_OK)
        return st;
    run_state rs;
    st = run_load(s, run_id, what, &rs, err);
    if (st != BF_OK)
        goto fail;
    assert(values || rs.n_keys == 0);

    bool found = false;
    int rc = rep_find(s, run_id, rep, &found);
    if (rc != SQLITE_OK) {
        st = db_fail(s->db, s->path, rc, err, "%s", what);
        goto fail;
    }
    if (found) {
        st = fail(err, BF_ESTORE,
                  "%s: %s: it is already stored, and stored results are "
                  "never overwritten", s->path, what);
        goto fail;
    }

    sqlite3_stmt *q;
    rc = stmt_get(s, ST_REP_ADD, &q);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, run_id);
        sqlite3_bind_int(q, 2, rep);
        sqlite3_bind_int64(q, 3, clamp_u64(events));
        bind_real(q, 4, wall_s);
        rc = step_done(q);
    }
    if (rc == SQLITE_OK)
        rc = stmt_get(s, ST_METRIC_ADD, &q);
    for (int64_t i = 0; rc == SQLITE_OK && i < rs.n_keys; i++) {
        sqlite3_bind_int64(q, 1, run_id);
        sqlite3_bind_int(q, 2, rep);
        sqlite3_bind_int64(q, 3, i);
        bind_real(q, 4, values[i]);
        rc = step_done(q);
    }
    if (rc != SQLITE_OK) {
        st = db_fail(s->db, s->path, rc, err, "%s", what);
        goto fail;
    }
    return tx_commit(s, err, what);

fail:
    tx_rollback(s);
    return st;
}

/* ---- time series ------------------------------------------------------ */

bf_status bf_store_add_series(bf_store *s, int64_t run_id, int rep,
                              const bf_store_sample *samples, size_t n,
                              bf_error *err)
{
    assert(s);
    assert(samples || n == 0);
    char what[112];
    snprintf(what, sizeof what,
             "cannot store time series of replication %d of run %" PRId64,
             rep, run_id);
    if (rep < 0)
        return fail(err, BF_EINVAL,
                    "%s: %s: replications are numbered from 0", s->path, what);

    bf_status st = tx_begin(s, err, what);
    if (st != BF_OK)
        return st;
    run_state rs;
    st = run_load(s, run_id, what, &rs, err);
    if (st != BF_OK)
        goto fail;

    /* A stored replication is complete: adding samples to it would change
     * results that may already have been read. */
    bool found = false;
    int rc = rep_find(s, run_id, rep, &found);
    if (rc != SQLITE_OK) {
        st = db_fail(s->db, s->path, rc, err, "%s", what);
        goto fail;
    }
    if (found) {
        st = fail(err, BF_ESTORE,
                  "%s: %s: the replication is already stored as complete",
                  s->path, what);
        goto fail;
    }

    sqlite3_stmt *q;
    rc = stmt_get(s, ST_SAMPLE_ADD, &q);
    if (rc != SQLITE_OK) {
        st = db_fail(s->db, s->path, rc, err, "%s", what);
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        const bf_store_sample *x = &samples[i];
        if ((int64_t)x->series >= rs.n_series) {
            st = fail(err, BF_EINVAL,
                      "%s: %s: sample %zu is of series %" PRIu32 ", but the "
                      "run declares %" PRId64 " series", s->path, what, i,
                      x->series, rs.n_series);
            goto fail;
        }
        if (!isfinite(x->t)) {
            st = fail(err, BF_EINVAL,
                      "%s: %s: sample %zu has time %g; a time must be finite",
                      s->path, what, i, x->t);
            goto fail;
        }
        sqlite3_bind_int64(q, 1, run_id);
        sqlite3_bind_int(q, 2, rep);
        sqlite3_bind_int64(q, 3, x->series);
        sqlite3_bind_double(q, 4, x->t);
        bind_real(q, 5, x->value);
        rc = step_done(q);
        if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
            st = fail(err, BF_ESTORE,
                      "%s: %s: series %" PRIu32 " already has a sample at "
                      "t = %.17g s, and stored results are never "
                      "overwritten", s->path, what, x->series, x->t);
            goto fail;
        }
        if (rc != SQLITE_OK) {
            st = db_fail(s->db, s->path, rc, err, "%s: sample %zu", what, i);
            goto fail;
        }
    }
    return tx_commit(s, err, what);

fail:
    tx_rollback(s);
    return st;
}

/* ---- distributions ---------------------------------------------------- */

static int dist_row(sqlite3_stmt *q, int64_t run_id, size_t key, double lo,
                    double hi, uint64_t count)
{
    sqlite3_bind_int64(q, 1, run_id);
    sqlite3_bind_int64(q, 2, (int64_t)key);
    sqlite3_bind_double(q, 3, lo);
    sqlite3_bind_double(q, 4, hi);
    sqlite3_bind_int64(q, 5, clamp_u64(count));
    return step_done(q);
}

bf_status bf_store_add_distribution(bf_store *s, int64_t run_id, size_t key,
                                    const bf_hist *h, bf_error *err)
{
    assert(s && h);
    char what[112];
    snprintf(what, sizeof what,
             "cannot store the distribution of metric key %zu of run %" PRId64,
             key, run_id);

    bf_status st = tx_begin(s, err, what);
    if (st != BF_OK)
        return st;
    run_state rs;
    st = run_load(s, run_id, what, &rs, err);
    if (st != BF_OK)
        goto fail;
    if (key >= (uint64_t)rs.n_keys) {
        st = fail(err, BF_EINVAL,
                  "%s: %s: the run declares %" PRId64 " metric keys",
                  s->path, what, rs.n_keys);
        goto fail;
    }

    sqlite3_stmt *q;
    int rc = stmt_get(s, ST_DIST_FIND, &q);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, run_id);
        sqlite3_bind_int64(q, 2, (int64_t)key);
        rc = sqlite3_step(q);
        sqlite3_reset(q);
        if (rc == SQLITE_ROW) {
            st = fail(err, BF_ESTORE,
                      "%s: %s: it is already stored, and stored results are "
                      "never overwritten", s->path, what);
            goto fail;
        }
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    if (rc == SQLITE_OK)
        rc = stmt_get(s, ST_DIST_ADD, &q);
    /* The underflow bucket holds what is below BF_HIST_MIN (and NaN);
     * it is reported as [0, BF_HIST_MIN), like bf_hist_quantile does. */
    if (rc == SQLITE_OK && h->n_under > 0)
        rc = dist_row(q, run_id, key, 0.0, BF_HIST_MIN, h->n_under);
    for (int i = 0; rc == SQLITE_OK && i < BF_HIST_N_BUCKETS; i++) {
        if (h->count[i] > 0)
            rc = dist_row(q, run_id, key, bf_hist_bucket_lo(i),
                          bf_hist_bucket_hi(i), h->count[i]);
    }
    if (rc != SQLITE_OK) {
        st = db_fail(s->db, s->path, rc, err, "%s", what);
        goto fail;
    }
    return tx_commit(s, err, what);

fail:
    tx_rollback(s);
    return st;
}

/* ---- finishing -------------------------------------------------------- */

bf_status bf_store_finish_run(bf_store *s, int64_t run_id, const bf_ci *ci,
                              size_t n_keys, const char *status,
                              bf_error *err)
{
    assert(s);
    assert(ci || n_keys == 0);
    char what[96];
    snprintf(what, sizeof what, "cannot finish run %" PRId64, run_id);
    if (!status || (strcmp(status, "done") != 0 &&
                    strcmp(status, "failed") != 0 &&
                    strcmp(status, "canceled") != 0))
        return fail(err, BF_EINVAL,
                    "%s: %s: status '%.32s' is not one of done, failed, "
                    "canceled", s->path, what, str_or_empty(status));

    bf_status st = tx_begin(s, err, what);
    if (st != BF_OK)
        return st;
    run_state rs;
    st = run_load(s, run_id, what, &rs, err);
    if (st != BF_OK)
        goto fail;
    /* n_keys == 0 means "no aggregates" (a run that failed before its
     * first replication); otherwise it must cover every key. */
    if (n_keys != 0 && (int64_t)n_keys != rs.n_keys) {
        st = fail(err, BF_EINVAL,
                  "%s: %s: %zu aggregates given, but the run declares "
                  "%" PRId64 " metric keys", s->path, what, n_keys,
                  rs.n_keys);
        goto fail;
    }

    sqlite3_stmt *q = NULL;
    int rc = n_keys ? stmt_get(s, ST_AGG_ADD, &q) : SQLITE_OK;
    for (size_t i = 0; rc == SQLITE_OK && i < n_keys; i++) {
        const bf_ci *c = &ci[i];
        sqlite3_bind_int64(q, 1, run_id);
        sqlite3_bind_int64(q, 2, (int64_t)i);
        sqlite3_bind_int64(q, 3, clamp_u64(c->n));
        bind_real(q, 4, c->mean);
        bind_real(q, 5, c->sd);
        bind_real(q, 6, c->half_width);
        /* NaN +- anything is NaN, so the bounds are NULL exactly when the
         * half-width (or the mean) is. */
        bind_real(q, 7, c->mean - c->half_width);
        bind_real(q, 8, c->mean + c->half_width);
        rc = step_done(q);
    }
    if (rc == SQLITE_OK)
        rc = stmt_get(s, ST_RUN_FINISH, &q);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, run_id);
        bind_text(q, 2, status);
        rc = step_done(q);
    }
    if (rc != SQLITE_OK) {
        st = db_fail(s->db, s->path, rc, err, "%s", what);
        goto fail;
    }
    return tx_commit(s, err, what);

fail:
    tx_rollback(s);
    return st;
}

/* ---- checking --------------------------------------------------------- */

/* Each query returns no rows when the store is sound; the first row of
 * the first that does not is the error, as text. */
static const struct {
    const char *sql;
    const char *what;
} CHECKS[] = {
    {"SELECT integrity_check FROM pragma_integrity_check"
     " WHERE integrity_check <> 'ok'",
     "SQLite integrity check failed"},
    {"SELECT \"table\" || ' row ' || ifnull(rowid, '(no rowid)') ||"
     " ' has no parent in ' || parent"
     " FROM pragma_foreign_key_check",
     "foreign key violated"},
    {"SELECT 'run ' || p.run_id || ' replication ' || p.replication ||"
     " ' has ' || (SELECT count(*) FROM rep_metrics m"
     "   WHERE m.run_id = p.run_id AND m.replication = p.replication) ||"
     " ' values for ' || (SELECT count(*) FROM metric_keys k"
     "   WHERE k.run_id = p.run_id) || ' keys'"
     " FROM replications p"
     " WHERE (SELECT count(*) FROM rep_metrics m"
     "   WHERE m.run_id = p.run_id AND m.replication = p.replication)"
     "  <> (SELECT count(*) FROM metric_keys k WHERE k.run_id = p.run_id)",
     "replication not whole"},
    {"SELECT 'run ' || id || ' has status ' || status ||"
     " ' and finished_at ' || ifnull(finished_at, 'NULL') FROM runs"
     " WHERE (status = 'running') <> (finished_at IS NULL)",
     "run state inconsistent"},
    {"SELECT 'run ' || r.id || ' (' || r.status || ') has ' ||"
     " (SELECT count(*) FROM aggregates a WHERE a.run_id = r.id) ||"
     " ' aggregates for ' || (SELECT count(*) FROM metric_keys k"
     "   WHERE k.run_id = r.id) || ' keys' FROM runs r"
     " WHERE (SELECT count(*) FROM aggregates a WHERE a.run_id = r.id)"
     "   NOT IN (0, CASE WHEN r.status = 'running' THEN 0 ELSE"
     "   (SELECT count(*) FROM metric_keys k WHERE k.run_id = r.id) END)",
     "aggregates inconsistent"},
    {"SELECT 'run ' || run_id || ' key ' || key_index FROM aggregates"
     " WHERE (half_width IS NULL OR mean IS NULL) <> (ci_low IS NULL)"
     "    OR (ci_low IS NULL) <> (ci_high IS NULL)",
     "confidence bounds inconsistent"},
};

bf_status bf__store_check(bf_store *s, bf_error *err)
{
    assert(s);
    for (size_t i = 0; i < sizeof CHECKS / sizeof CHECKS[0]; i++) {
        sqlite3_stmt *q;
        int rc = sqlite3_prepare_v2(s->db, CHECKS[i].sql, -1, &q, NULL);
        if (rc != SQLITE_OK)
            return db_fail(s->db, s->path, rc, err, "cannot check the store");
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            bf_status st = fail(err, BF_ESTORE, "%s: %s: %s", s->path,
                                CHECKS[i].what,
                                (const char *)sqlite3_column_text(q, 0));
            sqlite3_finalize(q);
            return st;
        }
        if (rc != SQLITE_DONE) {
            bf_status st = db_fail(s->db, s->path, rc, err,
                                   "cannot check the store");
            sqlite3_finalize(q);
            return st;
        }
        sqlite3_finalize(q);
    }
    return BF_OK;
}
