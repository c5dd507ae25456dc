/*
 * store.c - the results store behind store.h: one SQLite file that grows
 * by whole replications.  The schema itself is documented, table by table
 * and with queries to copy, in docs/results-schema.md; SCHEMA_SQL below
 * must stay in step with it.  Merging stores is in merge.c.
 *
 * Invariants.
 *   - Every public call that writes is exactly one transaction, begun with
 *     BEGIN IMMEDIATE and either committed or rolled back before the call
 *     returns.  So if the process dies between calls nothing committed is
 *     lost, and if it dies inside one the whole call is absent.
 *   - Results are never updated or deleted.  A replication (its
 *     replications row, one rep_metrics row per key, its histogram rows)
 *     goes in in one transaction and is refused if already stored.  What
 *     is updated is bookkeeping: a run's status, finished_at and
 *     replications_planned (finish, reopen), and what is derived from the
 *     replications: the aggregates, replaced as a whole when a run
 *     finishes.  The only rows deleted are time-series samples of a
 *     replication that never completed (bf_store_discard_incomplete).
 *   - A replication without a replications row has no metrics and no
 *     histograms; it may have time-series rows (written in batches while
 *     it ran), which the views leave out.
 *   - A running run takes replications; a finished one takes none until
 *     it is reopened.  A finished run with replications has aggregates for
 *     every key, computed from all its stored replications in replication
 *     order; a running one has none.
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
 * Memory.  The handle is one bf_malloc block (struct plus the path) and
 * the copied command line; SQLite allocates through its own allocator
 * (tests route that through bf_malloc with sqlite3_config to inject
 * failures there too).  Strings passed in are borrowed for the call.
 */
#include "borderflow/store.h"

#include "store/store_int.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOW_UTC BF__NOW_UTC

/* The schema, created in one transaction when the file is new, one
 * statement per string (C11 only promises literals of 4095 characters).
 * The order of columns and their meaning are part of the contract with
 * analysts (docs/results-schema.md); a change here is a new schema
 * version. */
static const char *const SCHEMA_SQL[] = {
    "PRAGMA application_id = 1113867884", /* BF__STORE_APPLICATION_ID */
    "PRAGMA user_version = 2",
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
    "CREATE TABLE invocations (\n"
    "  id                 INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  uid                TEXT NOT NULL UNIQUE\n"
    "                     DEFAULT (lower(hex(randomblob(16)))),\n"
    "  started_at         TEXT NOT NULL,\n"
    "  borderflow_version TEXT NOT NULL,\n"
    "  source_revision    TEXT NOT NULL,\n"
    "  command_line       TEXT NOT NULL,\n"
    "  hostname           TEXT NOT NULL\n"
    ");\n",
    "CREATE TABLE runs (\n"
    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  uid                  TEXT NOT NULL UNIQUE\n"
    "                       DEFAULT (lower(hex(randomblob(16)))),\n"
    "  scenario_id          INTEGER NOT NULL REFERENCES scenarios (id),\n"
    "  point_key            TEXT NOT NULL CHECK (length(point_key) = 16),\n"
    "  status               TEXT NOT NULL CHECK (status IN\n"
    "                         ('running', 'done', 'partial', 'failed',\n"
    "                          'canceled')),\n"
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
    "CREATE INDEX runs_by_point ON runs (point_key);\n",
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
    "  run_id        INTEGER NOT NULL REFERENCES runs (id),\n"
    "  replication   INTEGER NOT NULL CHECK (replication >= 0),\n"
    "  events        INTEGER NOT NULL,\n"
    "  wall_s        REAL,\n"
    "  completed_at  TEXT NOT NULL,\n"
    "  invocation_id INTEGER REFERENCES invocations (id),\n"
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
    "  PRIMARY KEY (run_id, replication, t, series_index),\n"
    "  FOREIGN KEY (run_id, series_index)\n"
    "    REFERENCES series_keys (run_id, series_index)\n"
    ") WITHOUT ROWID;\n",
    /* One replication's histogram behind one metric key, as a BLOB (see
     * hist_encode): a replication's rows are tens, not the tens of
     * thousands one row per bucket would make. */
    "CREATE TABLE rep_hist (\n"
    "  run_id      INTEGER NOT NULL,\n"
    "  replication INTEGER NOT NULL,\n"
    "  key_index   INTEGER NOT NULL,\n"
    "  counts      BLOB NOT NULL,\n"
    "  PRIMARY KEY (run_id, replication, key_index),\n"
    "  FOREIGN KEY (run_id, replication)\n"
    "    REFERENCES replications (run_id, replication),\n"
    "  FOREIGN KEY (run_id, key_index)\n"
    "    REFERENCES metric_keys (run_id, key_index)\n"
    ") WITHOUT ROWID;\n",
    /* The pooled histograms: derived from rep_hist when a run finishes,
     * like the aggregates.  One row per key, its non-empty buckets as a
     * JSON object {"bucket": count, ...} in bucket order; the view
     * `distributions` expands it (json_each) and adds each bucket's edges
     * from hist_buckets.  A run of the baseline has some 75,000 non-empty
     * buckets: as rows they took most of the time a sweep spent storing,
     * as 300 JSON objects they take a few milliseconds, and reading them
     * back is as quick. */
    "CREATE TABLE hist_buckets (\n"
    "  bucket INTEGER PRIMARY KEY,\n"
    "  lo     REAL NOT NULL,\n"
    "  hi     REAL NOT NULL,\n"
    "  CHECK (lo < hi)\n"
    ");\n",
    "CREATE TABLE pooled_hist (\n"
    "  run_id    INTEGER NOT NULL,\n"
    "  key_index INTEGER NOT NULL,\n"
    "  counts    TEXT NOT NULL CHECK (json_valid(counts)),\n"
    "  PRIMARY KEY (run_id, key_index),\n"
    "  FOREIGN KEY (run_id, key_index)\n"
    "    REFERENCES metric_keys (run_id, key_index)\n"
    ") WITHOUT ROWID;\n",
    "CREATE TABLE precision (\n"
    "  id            INTEGER PRIMARY KEY,\n"
    "  run_id        INTEGER NOT NULL REFERENCES runs (id),\n"
    "  invocation_id INTEGER REFERENCES invocations (id),\n"
    "  recorded_at   TEXT NOT NULL,\n"
    "  target        REAL NOT NULL,\n"
    "  metrics       TEXT NOT NULL,\n"
    "  replications  INTEGER NOT NULL,\n"
    "  met           INTEGER NOT NULL CHECK (met IN (0, 1))\n"
    ");\n",
    "CREATE INDEX precision_by_run ON precision (run_id);\n",
    "CREATE TABLE sweeps (\n"
    "  id             INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  uid            TEXT NOT NULL UNIQUE\n"
    "                 DEFAULT (lower(hex(randomblob(16)))),\n"
    "  sweep_key      TEXT NOT NULL UNIQUE CHECK (length(sweep_key) = 16),\n"
    "  scenario_id    INTEGER NOT NULL REFERENCES scenarios (id),\n"
    "  base_overrides TEXT NOT NULL,\n"
    "  definition     TEXT NOT NULL,\n"
    "  n_points       INTEGER NOT NULL,\n"
    "  created_at     TEXT NOT NULL,\n"
    "  command_line   TEXT NOT NULL\n"
    ");\n",
    "CREATE TABLE sweep_keys (\n"
    "  sweep_id  INTEGER NOT NULL REFERENCES sweeps (id),\n"
    "  key_index INTEGER NOT NULL CHECK (key_index >= 0),\n"
    "  key       TEXT NOT NULL,\n"
    "  PRIMARY KEY (sweep_id, key_index),\n"
    "  UNIQUE (sweep_id, key)\n"
    ") WITHOUT ROWID;\n",
    "CREATE TABLE sweep_points (\n"
    "  sweep_id    INTEGER NOT NULL REFERENCES sweeps (id),\n"
    "  point_index INTEGER NOT NULL CHECK (point_index >= 0),\n"
    "  run_id      INTEGER NOT NULL REFERENCES runs (id),\n"
    "  point       TEXT NOT NULL,\n"
    "  PRIMARY KEY (sweep_id, point_index),\n"
    "  UNIQUE (sweep_id, run_id)\n"
    ") WITHOUT ROWID;\n",
    "CREATE INDEX sweep_points_by_run ON sweep_points (run_id);\n",
    "CREATE TABLE comparisons (\n"
    "  id                    INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  uid                   TEXT NOT NULL UNIQUE\n"
    "                        DEFAULT (lower(hex(randomblob(16)))),\n"
    "  base_run_id           INTEGER NOT NULL REFERENCES runs (id),\n"
    "  policy_run_id         INTEGER NOT NULL REFERENCES runs (id),\n"
    "  replications          INTEGER NOT NULL,\n"
    "  common_random_numbers INTEGER NOT NULL\n"
    "                        CHECK (common_random_numbers IN (0, 1)),\n"
    "  created_at            TEXT NOT NULL,\n"
    "  command_line          TEXT NOT NULL\n"
    ");\n",
    "CREATE TABLE comparison_results (\n"
    "  comparison_id INTEGER NOT NULL REFERENCES comparisons (id),\n"
    "  scope_kind    TEXT NOT NULL,\n"
    "  scope         TEXT NOT NULL,\n"
    "  class         TEXT NOT NULL,\n"
    "  metric        TEXT NOT NULL,\n"
    "  unit          TEXT NOT NULL,\n"
    "  n             INTEGER NOT NULL,\n"
    "  base_mean     REAL,\n"
    "  policy_mean   REAL,\n"
    "  diff_mean     REAL,\n"
    "  diff_sd       REAL,\n"
    "  half_width    REAL,\n"
    "  ci_low        REAL,\n"
    "  ci_high       REAL,\n"
    "  significant   INTEGER NOT NULL CHECK (significant IN (0, 1)),\n"
    "  PRIMARY KEY (comparison_id, scope_kind, scope, class, metric)\n"
    ") WITHOUT ROWID;\n",
    "CREATE VIEW v_runs AS\n"
    "  SELECT r.id AS run_id, r.uid, s.name AS scenario,\n"
    "         s.hash AS scenario_hash, r.status, r.started_at,\n"
    "         r.finished_at, r.seed, r.replications_planned,\n"
    "         (SELECT count(*) FROM replications p WHERE p.run_id = r.id)\n"
    "           AS replications_done,\n"
    "         r.overrides, r.command_line, r.hostname,\n"
    "         r.borderflow_version, r.source_revision, r.point_key\n"
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
    /* Samples are keyed in the order they arrive (a replication's, time
     * by time), so that storing them appends; the view therefore reads
     * the samples of the runs asked for and looks each one's series up. */
    "CREATE VIEW v_timeseries AS\n"
    "  SELECT ts.run_id, ts.replication, k.scope_kind, k.scope, k.metric,\n"
    "         ts.t, ts.value\n"
    "  FROM timeseries ts\n"
    "  CROSS JOIN series_keys k\n"
    "    ON k.run_id = ts.run_id AND k.series_index = ts.series_index\n"
    "  JOIN replications p\n"
    "    ON p.run_id = ts.run_id AND p.replication = ts.replication;\n",
    "CREATE VIEW distributions AS\n"
    "  SELECT p.run_id, p.key_index, b.lo, b.hi, j.value AS count\n"
    "  FROM pooled_hist p CROSS JOIN json_each(p.counts) j\n"
    "  CROSS JOIN hist_buckets b ON b.bucket = CAST(j.key AS INTEGER);\n",
    "CREATE VIEW v_distributions AS\n"
    "  SELECT k.run_id, k.scope_kind, k.scope, k.class, k.metric, k.unit,\n"
    "         b.lo, b.hi, j.value AS count\n"
    "  FROM metric_keys k\n"
    "  CROSS JOIN pooled_hist p\n"
    "    ON p.run_id = k.run_id AND p.key_index = k.key_index\n"
    "  CROSS JOIN json_each(p.counts) j\n"
    "  CROSS JOIN hist_buckets b ON b.bucket = CAST(j.key AS INTEGER);\n",
    "CREATE VIEW v_sweep_points AS\n"
    "  SELECT sp.sweep_id, sp.point_index, sp.run_id, sp.point,\n"
    "         k.scope_kind, k.scope, k.class, k.metric, k.unit,\n"
    "         a.mean, a.half_width, a.ci_low, a.ci_high, a.n\n"
    "  FROM sweep_points sp\n"
    "  CROSS JOIN metric_keys k ON k.run_id = sp.run_id\n"
    "  JOIN aggregates a\n"
    "    ON a.run_id = k.run_id AND a.key_index = k.key_index;\n",
    "CREATE VIEW v_sweep_values AS\n"
    "  SELECT sp.sweep_id, sp.point_index, sp.run_id, sk.key_index, sk.key,\n"
    "         p.value\n"
    "  FROM sweep_points sp\n"
    "  JOIN sweep_keys sk ON sk.sweep_id = sp.sweep_id\n"
    "  LEFT JOIN parameters p ON p.run_id = sp.run_id AND p.key = sk.key;\n",
    "CREATE VIEW v_comparisons AS\n"
    "  SELECT c.id AS comparison_id, c.base_run_id, c.policy_run_id,\n"
    "         sb.name AS base_scenario, sp.name AS policy_scenario,\n"
    "         c.replications, c.common_random_numbers,\n"
    "         x.scope_kind, x.scope, x.class, x.metric, x.unit, x.n,\n"
    "         x.base_mean, x.policy_mean, x.diff_mean, x.half_width,\n"
    "         x.ci_low, x.ci_high, x.significant\n"
    "  FROM comparisons c\n"
    "  JOIN comparison_results x ON x.comparison_id = c.id\n"
    "  JOIN runs rb ON rb.id = c.base_run_id\n"
    "  JOIN scenarios sb ON sb.id = rb.scenario_id\n"
    "  JOIN runs rp ON rp.id = c.policy_run_id\n"
    "  JOIN scenarios sp ON sp.id = rp.scenario_id;\n",
    "INSERT INTO meta (key, value) VALUES\n"
    "  ('application', 'borderflow'),\n"
    "  ('schema_version', '2'),\n"
    "  ('created_at', " NOW_UTC ")",
};

static const char *const STMT_SQL[BF__N_STMT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SCENARIO_FIND] = "SELECT id, text = ?2 FROM scenarios WHERE hash = ?1",
    [ST_SCENARIO_ADD] =
        "INSERT INTO scenarios (name, path, hash, text) VALUES (?1, ?2, ?3, ?4)",
    [ST_INVOCATION_ADD] =
        "INSERT INTO invocations (started_at, borderflow_version,"
        " source_revision, command_line, hostname)"
        " VALUES (" NOW_UTC ", ?1, ?2, ?3, ?4)",
    [ST_RUN_ADD] =
        "INSERT INTO runs (scenario_id, point_key, status, started_at,"
        " borderflow_version, source_revision, command_line, seed,"
        " replications_planned, horizon_s, warmup_s, sample_every_s,"
        " overrides, hostname)"
        " VALUES (?1, ?12, 'running', " NOW_UTC ", ?2, ?3, ?4, ?5, ?6, ?7,"
        " ?8, ?9, ?10, ?11)",
    [ST_PARAM_ADD] =
        "INSERT INTO parameters (run_id, key, value) VALUES (?1, ?2, ?3)",
    [ST_KEY_ADD] =
        "INSERT INTO metric_keys (run_id, key_index, scope_kind, scope, class,"
        " metric, unit) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_SERIES_ADD] =
        "INSERT INTO series_keys (run_id, series_index, scope_kind, scope,"
        " metric) VALUES (?1, ?2, ?3, ?4, ?5)",
    /* Keys and series are numbered 0..n-1 (begin_run, merge), so the
     * count is the largest index plus one: an O(log n) seek in the
     * primary key where count(*) would read every key. */
    [ST_RUN_STATE] =
        "SELECT status,"
        " ifnull((SELECT max(key_index) FROM metric_keys WHERE run_id = ?1) + 1, 0),"
        " ifnull((SELECT max(series_index) FROM series_keys WHERE run_id = ?1) + 1, 0)"
        " FROM runs WHERE id = ?1",
    [ST_REP_FIND] =
        "SELECT 1 FROM replications WHERE run_id = ?1 AND replication = ?2",
    [ST_REP_ADD] =
        "INSERT INTO replications (run_id, replication, events, wall_s,"
        " completed_at, invocation_id) VALUES (?1, ?2, ?3, ?4, " NOW_UTC
        ", ?5)",
    [ST_METRIC_ADD] =
        "INSERT INTO rep_metrics (run_id, replication, key_index, value)"
        " VALUES (?1, ?2, ?3, ?4)",
    /* The bulk inserts: MULTI_ROWS rows per statement (stmt_get appends
     * the VALUES), because at tens of thousands of rows a replication the
     * cost of stepping and resetting a statement per row is most of the
     * cost of storing. */
    [ST_METRIC_ADD_N] = "INSERT INTO rep_metrics (run_id, replication, key_index, value)",
    [ST_SAMPLE_ADD_N] =
        "INSERT INTO timeseries (run_id, replication, series_index, t, value)",
    [ST_DIST_ADD_N] =
        "INSERT INTO pooled_hist (run_id, key_index, counts) VALUES (?1, ?2, ?3)",
    [ST_HIST_ADD] =
        "INSERT INTO rep_hist (run_id, replication, key_index, counts)"
        " VALUES (?1, ?2, ?3, ?4)",
    [ST_HIST_READ] =
        "SELECT key_index, counts FROM rep_hist WHERE run_id = ?1"
        " ORDER BY key_index, replication",
    [ST_DIST_DEL] = "DELETE FROM pooled_hist WHERE run_id = ?1",

    [ST_SAMPLE_ADD] =
        "INSERT INTO timeseries (run_id, replication, series_index, t, value)"
        " VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_AGG_DEL] = "DELETE FROM aggregates WHERE run_id = ?1",
    [ST_AGG_ADD] =
        "INSERT INTO aggregates (run_id, key_index, n, mean, sd, half_width,"
        " ci_low, ci_high) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    /* Through the covering index rep_metrics_by_key: one range read. */
    [ST_AGG_VALUES] =
        "SELECT key_index, value FROM rep_metrics WHERE run_id = ?1"
        " ORDER BY key_index, replication",
    [ST_RUN_FINISH] =
        "UPDATE runs SET status = CASE WHEN ?2 = 'done' AND"
        "   (SELECT count(*) FROM replications p WHERE p.run_id = runs.id"
        "     AND p.replication < runs.replications_planned)"
        "   < runs.replications_planned THEN 'partial' ELSE ?2 END,"
        " finished_at = " NOW_UTC " WHERE id = ?1",
    [ST_RUN_INFO] =
        "SELECT r.id, r.point_key, r.status, r.replications_planned,"
        " (SELECT count(*) FROM replications p WHERE p.run_id = r.id),"
        " (SELECT count(*) FROM metric_keys k WHERE k.run_id = r.id),"
        " (SELECT count(*) FROM series_keys k WHERE k.run_id = r.id)"
        " FROM runs r WHERE r.id = ?1",
    [ST_POINT_FIND] =
        "SELECT r.id FROM runs r WHERE r.point_key = ?1"
        " ORDER BY EXISTS (SELECT 1 FROM sweep_points sp"
        "   WHERE sp.run_id = r.id AND sp.sweep_id = ?2) DESC,"
        " (SELECT count(*) FROM replications p WHERE p.run_id = r.id) DESC,"
        " r.id DESC LIMIT 1",
    [ST_REPS_LIST] =
        "SELECT replication FROM replications WHERE run_id = ?1"
        " ORDER BY replication",
    [ST_REP_VALUES] =
        "SELECT replication, value FROM rep_metrics WHERE run_id = ?1"
        " AND key_index = ?2 AND replication < ?3 ORDER BY replication",
    [ST_AGG_GET] =
        "SELECT key_index, n, mean, sd, half_width FROM aggregates"
        " WHERE run_id = ?1 ORDER BY key_index",
    [ST_KEYS_GET] =
        "SELECT scope_kind, scope, class, metric, unit FROM metric_keys"
        " WHERE run_id = ?1 ORDER BY key_index",
    [ST_SERIES_GET] =
        "SELECT scope_kind, scope, metric FROM series_keys"
        " WHERE run_id = ?1 ORDER BY series_index",
    [ST_REOPEN] =
        "UPDATE runs SET status = 'running', finished_at = NULL,"
        " replications_planned = max(replications_planned, ?2)"
        " WHERE id = ?1",
    [ST_DISCARD] =
        "DELETE FROM timeseries WHERE run_id = ?1 AND NOT EXISTS"
        " (SELECT 1 FROM replications p WHERE p.run_id = timeseries.run_id"
        "  AND p.replication = timeseries.replication)",
    [ST_PRECISION_ADD] =
        "INSERT INTO precision (run_id, invocation_id, recorded_at, target,"
        " metrics, replications, met)"
        " VALUES (?1, ?2, " NOW_UTC ", ?3, ?4, ?5, ?6)",
    [ST_SWEEP_FIND] = "SELECT id FROM sweeps WHERE sweep_key = ?1",
    [ST_SWEEP_ADD] =
        "INSERT INTO sweeps (sweep_key, scenario_id, base_overrides,"
        " definition, n_points, created_at, command_line)"
        " VALUES (?1, ?2, ?3, ?4, ?5, " NOW_UTC ", ?6)",
    [ST_SWEEP_KEY_ADD] =
        "INSERT INTO sweep_keys (sweep_id, key_index, key) VALUES (?1, ?2, ?3)",
    [ST_SWEEP_POINT_FIND] =
        "SELECT sp.run_id, r1.point_key = r2.point_key"
        " FROM sweep_points sp JOIN runs r1 ON r1.id = sp.run_id"
        " JOIN runs r2 ON r2.id = ?3"
        " WHERE sp.sweep_id = ?1 AND sp.point_index = ?2",
    [ST_SWEEP_POINT_ADD] =
        "INSERT INTO sweep_points (sweep_id, point_index, run_id, point)"
        " VALUES (?1, ?2, ?3, ?4)",
    [ST_CMP_ADD] =
        "INSERT INTO comparisons (base_run_id, policy_run_id, replications,"
        " common_random_numbers, created_at, command_line)"
        " VALUES (?1, ?2, ?3, ?4, " NOW_UTC ", ?5)",
    [ST_CMP_RESULT_ADD] =
        "INSERT INTO comparison_results (comparison_id, scope_kind, scope,"
        " class, metric, unit, n, base_mean, policy_mean, diff_mean, diff_sd,"
        " half_width, ci_low, ci_high, significant)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
        " ?14, ?15)",
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

bf_status bf__store_fail(bf_error *err, bf_status code, const char *fmt, ...)
{
    char msg[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    bf_error_clear(err);
    return bf_error_set(err, code, "%s", msg);
}

#define fail(...) bf__store_fail(__VA_ARGS__)
#define db_fail(...) bf__store_db_fail(__VA_ARGS__)

bf_status bf__store_db_fail(sqlite3 *db, const char *path, int rc,
                            bf_error *err, const char *fmt, ...)
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
    /* A failure that is not SQLite's (our own SQLITE_NOMEM stand-in)
     * leaves an unrelated message on the handle. */
    if (db && (sqlite3_errcode(db) & 0xff) != (rc & 0xff))
        msg = sqlite3_errstr(rc);
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

/* Columns of the bulk inserts. */
static int multi_cols(enum bf__stmt_id id)
{
    return id == ST_METRIC_ADD_N ? 4 : id == ST_SAMPLE_ADD_N ? 5 : 0;
}

int bf__store_stmt(bf_store *s, enum bf__stmt_id id, sqlite3_stmt **out)
{
    if (!s->stmt[id]) {
        const char *sql = STMT_SQL[id];
        char *multi = NULL;
        int cols = multi_cols(id);
        if (cols) {
            /* HEAD VALUES (?,?,?,?),(?,?,?,?),... */
            size_t len = strlen(sql) + 16 + (size_t)MULTI_ROWS * (size_t)(2 * cols + 2);
            multi = bf_malloc(len);
            if (!multi) {
                *out = NULL;
                return SQLITE_NOMEM;
            }
            size_t w = (size_t)snprintf(multi, len, "%s VALUES ", sql);
            for (int r = 0; r < MULTI_ROWS; r++) {
                multi[w++] = r ? ',' : ' ';
                multi[w++] = '(';
                for (int c = 0; c < cols; c++) {
                    if (c)
                        multi[w++] = ',';
                    multi[w++] = '?';
                }
                multi[w++] = ')';
            }
            multi[w] = 0;
            sql = multi;
        }
        int rc = sqlite3_prepare_v3(s->db, sql, -1,
                                    SQLITE_PREPARE_PERSISTENT, &s->stmt[id],
                                    NULL);
        bf_free(multi);
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

#define stmt_get bf__store_stmt

/* Resets every cached statement and drops its bindings: the strings bound
 * with SQLITE_STATIC belong to the caller and die when the call returns. */
static void stmt_release_all(bf_store *s)
{
    for (int i = 0; i < BF__N_STMT; i++) {
        if (s->stmt[i]) {
            sqlite3_reset(s->stmt[i]);
            sqlite3_clear_bindings(s->stmt[i]);
        }
    }
}

int bf__store_step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

#define step_done bf__store_step_done

static int run_simple(bf_store *s, enum bf__stmt_id id)
{
    sqlite3_stmt *st;
    int rc = stmt_get(s, id, &st);
    return rc != SQLITE_OK ? rc : step_done(st);
}

void bf__store_tx_rollback(bf_store *s)
{
    /* A failed statement may already have ended the transaction (SQLite
     * rolls back by itself on some errors, out of memory among them). */
    if (!sqlite3_get_autocommit(s->db))
        (void)run_simple(s, ST_ROLLBACK);
    stmt_release_all(s);
    /* The invocations row went with the transaction. */
    if (s->invocation_in_tx)
        s->invocation_id = 0;
    s->invocation_in_tx = false;
}

bf_status bf__store_tx_begin(bf_store *s, bf_error *err, const char *what)
{
    /* A rollback that failed in an earlier call (out of memory) can leave
     * its transaction open; nothing in it was committed, so drop it. */
    if (!sqlite3_get_autocommit(s->db))
        (void)run_simple(s, ST_ROLLBACK);
    s->invocation_in_tx = false;
    int rc = run_simple(s, ST_BEGIN);
    if (rc != SQLITE_OK)
        return db_fail(s->db, s->path, rc, err,
                       "%s: cannot start a transaction", what);
    return BF_OK;
}

bf_status bf__store_tx_commit(bf_store *s, bf_error *err, const char *what)
{
    int rc = run_simple(s, ST_COMMIT);
    if (rc != SQLITE_OK) {
        bf_status st = db_fail(s->db, s->path, rc, err,
                               "%s: cannot commit", what);
        bf__store_tx_rollback(s);
        return st;
    }
    s->invocation_in_tx = false;
    stmt_release_all(s);
    return BF_OK;
}

#define tx_begin bf__store_tx_begin
#define tx_commit bf__store_tx_commit
#define tx_rollback bf__store_tx_rollback

/* ---- binding helpers ------------------------------------------------- */

static const char *str_or_empty(const char *p)
{
    return p ? p : "";
}

int bf__store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    return sqlite3_bind_text(st, i, str_or_empty(v), -1, SQLITE_STATIC);
}

/* NaN means "no value" in borderflow (a mean of nothing, a half-width
 * from one replication); SQL's word for that is NULL.  Infinities are
 * real values and are stored as such. */
int bf__store_bind_real(sqlite3_stmt *st, int i, double v)
{
    return isnan(v) ? sqlite3_bind_null(st, i) : sqlite3_bind_double(st, i, v);
}

#define bind_text bf__store_bind_text
#define bind_real bf__store_bind_real

static int64_t clamp_u64(uint64_t v)
{
    return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

static void host_name(char *buf, size_t len)
{
    if (gethostname(buf, len - 1) != 0)
        buf[0] = '\0';
    buf[len - 1] = '\0';
}

int bf__store_invocation(bf_store *s, int64_t *id)
{
    if (s->invocation_id) {
        *id = s->invocation_id;
        return SQLITE_OK;
    }
    char host[256];
    host_name(host, sizeof host);
    sqlite3_stmt *q;
    int rc = stmt_get(s, ST_INVOCATION_ADD, &q);
    if (rc != SQLITE_OK)
        return rc;
    bind_text(q, 1, bf_version());
    bind_text(q, 2, bf_source_revision());
    bind_text(q, 3, s->command_line);
    sqlite3_bind_text(q, 4, host, -1, SQLITE_TRANSIENT);
    rc = step_done(q);
    if (rc != SQLITE_OK)
        return rc;
    s->invocation_id = sqlite3_last_insert_rowid(s->db);
    s->invocation_in_tx = true;
    *id = s->invocation_id;
    return SQLITE_OK;
}

/* ---- run state -------------------------------------------------------- */

/* Reads run_id's status and key counts, for a call that is about to add
 * to the run.  BF_ESTORE if the run does not exist; BF_ESTATE if it is
 * finished and running is true (a finished run takes nothing more). */
static bf_status run_load(bf_store *s, int64_t run_id, const char *what,
                          run_state *rs, bool running, bf_error *err)
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
    if (running && strcmp(rs->status, "running") != 0)
        return fail(err, BF_ESTATE,
                    "%s: %s: run %" PRId64 " is already finished (status "
                    "'%s'); a finished run takes no more results until it "
                    "is reopened",
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

/* The schema statements, then one hist_buckets row per histogram bucket
 * (the underflow bucket is -1: [0, BF_HIST_MIN), as bf_hist_quantile
 * reports it). */
static int create_schema(sqlite3 *db)
{
    int rc = SQLITE_OK;
    for (size_t i = 0; rc == SQLITE_OK && i < sizeof SCHEMA_SQL / sizeof SCHEMA_SQL[0]; i++)
        rc = sqlite3_exec(db, SCHEMA_SQL[i], NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_stmt *q;
    rc = sqlite3_prepare_v2(db, "INSERT INTO hist_buckets (bucket, lo, hi) VALUES (?1, ?2, ?3)",
                            -1, &q, NULL);
    if (rc != SQLITE_OK)
        return rc;
    for (int i = -1; rc == SQLITE_OK && i < BF_HIST_N_BUCKETS; i++) {
        sqlite3_bind_int(q, 1, i);
        sqlite3_bind_double(q, 2, i < 0 ? 0.0 : bf_hist_bucket_lo(i));
        sqlite3_bind_double(q, 3, i < 0 ? BF_HIST_MIN : bf_hist_bucket_hi(i));
        rc = step_done(q);
    }
    sqlite3_finalize(q);
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
    if (rc == SQLITE_OK && n_objects == 0)
        rc = create_schema(s->db);
    if (rc != SQLITE_OK) {
        st = db_fail(s->db, s->path, rc, err,
                     "cannot create the results store");
        tx_rollback(s);
        return st;
    }
    return tx_commit(s, err, "cannot create the results store");
}

bf_status bf__store_identity(sqlite3 *db, const char *schema,
                             const char *path, bf_error *err)
{
    char sql[512];
    int64_t has_meta = 0;
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM \"%s\".sqlite_master"
             " WHERE type = 'table' AND name = 'meta'", schema);
    int rc = query_int(db, sql, &has_meta);
    if ((rc & 0xff) == SQLITE_NOTADB)
        return fail(err, BF_ESTORE,
                    "%s is not a borderflow results store (it is not an "
                    "SQLite database)", path);
    if (rc != SQLITE_OK)
        return db_fail(db, path, rc, err, "cannot read the results store");
    if (!has_meta)
        return fail(err, BF_ESTORE,
                    "%s is not a borderflow results store (it is %s SQLite "
                    "database without a meta table)", path,
                    strcmp(schema, "main") == 0 ? "an" : "an empty or foreign");

    sqlite3_stmt *q;
    snprintf(sql, sizeof sql,
             "SELECT (SELECT value FROM \"%s\".meta"
             "         WHERE key = 'application'),"
             "       (SELECT value FROM \"%s\".meta"
             "         WHERE key = 'schema_version')", schema, schema);
    rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);
    if (rc != SQLITE_OK) {
        /* A meta table of some other program, with other columns. */
        if ((rc & 0xff) == SQLITE_ERROR)
            return fail(err, BF_ESTORE,
                        "%s is not a borderflow results store (its meta table "
                        "has no key and value columns)", path);
        return db_fail(db, path, rc, err, "cannot read the results store");
    }
    rc = sqlite3_step(q);
    if (rc != SQLITE_ROW) {
        bf_status st = db_fail(db, path, rc, err,
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
                  path);
    } else if (!app || strcmp(app, "borderflow") != 0) {
        st = fail(err, BF_ESTORE,
                  "%s is not a borderflow results store (meta.application "
                  "is %s%.64s%s)",
                  path, app ? "'" : "", app ? app : "missing",
                  app ? "'" : "");
    } else if (!ver) {
        st = fail(err, BF_ESTORE,
                  "%s has no schema version; this borderflow writes "
                  "version %d", path, BF_STORE_SCHEMA_VERSION);
    } else {
        int64_t v = sqlite3_column_int64(q, 1);
        char want[24];
        snprintf(want, sizeof want, "%d", BF_STORE_SCHEMA_VERSION);
        if (strcmp(ver, want) != 0)
            st = fail(err, BF_ESTORE,
                      "%s has schema version %.32s; this borderflow writes "
                      "version %d%s",
                      path, ver, BF_STORE_SCHEMA_VERSION,
                      v > BF_STORE_SCHEMA_VERSION
                          ? " (the store was written by a newer borderflow)"
                          : " (the store was written by an older borderflow: "
                            "use that version to export its results, or start "
                            "a new store)");
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

/* The name to give sqlite3_open_v2 with SQLITE_OPEN_URI for path
 * (bf_free). */
static char *uri_name(const char *path)
{
    if (strncmp(path, "file:", 5) != 0)
        return bf_strdup(path);
    char *u = bf_malloc(3 * strlen(path) + 8);
    if (!u)
        return NULL;
    char *p = u + sprintf(u, "file:");
    for (const char *c = path; *c; c++) {
        if (*c == '%' || *c == '?' || *c == '#')
            p += sprintf(p, "%%%02X", (unsigned char)*c);
        else
            *p++ = *c;
    }
    *p = 0;
    return u;
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
     * SQLite's per-connection mutex would only cost.  URI: merge.c
     * attaches its inputs read-only ("file:...?mode=ro"), which SQLite
     * only honours on a connection opened with URI names; a path of our
     * own that happens to start with "file:" is therefore passed as a URI
     * too, with the characters URIs give a meaning escaped. */
    char *name = uri_name(path);
    if (!name) {
        bf_free(s);
        return fail(err, BF_ENOMEM,
                    "%s: out of memory opening the results store", path);
    }
    int rc = sqlite3_open_v2(name, &s->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                 SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
                             NULL);
    bf_free(name);
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

    /* The schema declares its foreign keys (bf__store_check and
     * `PRAGMA foreign_key_check` verify them), but they are not enforced
     * row by row: every write is checked by the store before it is made
     * (the run exists and is running, key and series indices are in
     * range, a replication's rows go in with its replications row), and
     * enforcing them again would double the cost of storing a
     * replication, the one serial part of a sweep. */
    rc = sqlite3_exec(s->db, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        st = db_fail(s->db, path, rc, err, "cannot configure the store");
        goto fail;
    }

    for (int i = ST_BEGIN; i <= ST_ROLLBACK; i++) {
        sqlite3_stmt *unused;
        rc = stmt_get(s, (enum bf__stmt_id)i, &unused);
        if (rc != SQLITE_OK) {
            st = db_fail(s->db, path, rc, err, "cannot open the results store");
            goto fail;
        }
    }

    st = create_if_empty(s, err);
    if (st != BF_OK)
        goto fail;
    st = bf__store_identity(s->db, "main", s->path, err);
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
    for (int i = 0; i < BF__N_STMT; i++)
        sqlite3_finalize(s->stmt[i]);
    /* Every statement is finalised, so sqlite3_close cannot be refused
     * with SQLITE_BUSY.  The last connection to a WAL database
     * checkpoints and removes the -wal and -shm files on close. */
    sqlite3_close(s->db);
    bf_free(s->command_line);
    bf_free(s->hbuf);
    bf_free(s);
}

const char *bf_store_path(const bf_store *s)
{
    return s->path;
}

bf_status bf_store_set_command_line(bf_store *s, const char *command_line)
{
    char *c = bf_strdup(str_or_empty(command_line));
    if (!c)
        return BF_ENOMEM;
    bf_free(s->command_line);
    s->command_line = c;
    return BF_OK;
}

/* ---- hashing ---------------------------------------------------------- */

#define FNV_PRIME 0x100000001b3u
#define FNV_BASIS 0xcbf29ce484222325u

static uint64_t fnv_str(uint64_t h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)str_or_empty(s); *p; p++)
        h = (h ^ *p) * FNV_PRIME;
    return h;
}

void bf_store_hash_hex(const char *text, const char *extra, char out[17])
{
    /* FNV-1a, 64 bit.  The 0 byte between the two strings keeps ("ab",
     * "") and ("a", "b") apart. */
    uint64_t h = fnv_str(FNV_BASIS, text);
    h = (h ^ 0u) * FNV_PRIME;
    h = fnv_str(h, extra);
    snprintf(out, 17, "%016" PRIx64, h);
}

void bf_store_point_key(const char *const *keys, const char *const *values,
                        size_t n, char out[17])
{
    uint64_t h = fnv_str(FNV_BASIS, "borderflow-point 1\n");
    h = fnv_str(h, bf_version());
    h = fnv_str(h, "\n");
    /* Keys in ascending order by repeated selection of the next larger
     * one: O(n^2) string comparisons, but a scenario has tens of keys,
     * and it needs no memory, so it cannot fail. */
    const char *last = NULL;
    for (;;) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if ((!last || strcmp(keys[i], last) > 0) &&
                (best == n || strcmp(keys[i], keys[best]) < 0))
                best = i;
        if (best == n)
            break;
        last = keys[best];
        if (strcmp(last, "simulation.replications") == 0)
            continue;
        h = fnv_str(h, last);
        h = fnv_str(h, "=");
        h = fnv_str(h, values[best]);
        h = fnv_str(h, "\n");
    }
    snprintf(out, 17, "%016" PRIx64, h);
}

/* ---- runs ------------------------------------------------------------- */

/* Finds the scenario row for text or adds one.  OUT: *id. */
static bf_status scenario_get(bf_store *s, const char *name, const char *path,
                              const char *text, int64_t *id, bf_error *err)
{
    const char *what = "cannot record the scenario";
    char hash[17];
    bf_store_hash_hex(text, "", hash);

    sqlite3_stmt *st;
    int rc = stmt_get(s, ST_SCENARIO_FIND, &st);
    if (rc != SQLITE_OK)
        return db_fail(s->db, s->path, rc, err, "%s", what);
    bind_text(st, 1, hash);
    bind_text(st, 2, text);
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
        bind_text(st, 1, name);
        bind_text(st, 2, path);
        bind_text(st, 3, hash);
        bind_text(st, 4, text);
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
    if (rec->replications < 0)
        return fail(err, BF_EINVAL, "%s: %s: %d replications planned",
                    s->path, what, rec->replications);
    bf_status st = tx_begin(s, err, what);
    if (st != BF_OK)
        return st;

    int64_t scenario_id = 0;
    st = scenario_get(s, rec->scenario_name, rec->scenario_path,
                      rec->scenario_text, &scenario_id, err);
    if (st != BF_OK)
        goto fail;

    /* The seed is a uint64; SQLite integers are signed 64-bit, and a
     * seed above 2^63 would come back negative.  Stored as decimal text
     * it is exact, and `seed = 20230905` still matches because the
     * column's TEXT affinity converts the literal. */
    char seed[24];
    snprintf(seed, sizeof seed, "%" PRIu64, rec->seed);
    char host[256];
    host_name(host, sizeof host);
    char point[17];
    bf_store_point_key(rec->param_keys, rec->param_values, rec->n_params, point);

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
        bind_text(q, 12, point);
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

/* ---- reading run state ------------------------------------------------ */

/* Reads the ST_RUN_INFO row for run_id into *out (run_id 0 if none).
 * SQLite result code. */
static int run_info_read(bf_store *s, int64_t run_id, bf_store_run_info *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *q;
    int rc = stmt_get(s, ST_RUN_INFO, &q);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(q, 1, run_id);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        const char *pk = (const char *)sqlite3_column_text(q, 1);
        const char *status = (const char *)sqlite3_column_text(q, 2);
        if (!pk || !status) {
            sqlite3_reset(q);
            return SQLITE_NOMEM;
        }
        out->run_id = sqlite3_column_int64(q, 0);
        snprintf(out->point_key, sizeof out->point_key, "%s", pk);
        snprintf(out->status, sizeof out->status, "%s", status);
        out->replications_planned = sqlite3_column_int(q, 3);
        out->replications_done = sqlite3_column_int(q, 4);
        out->n_keys = sqlite3_column_int64(q, 5);
        out->n_series = sqlite3_column_int64(q, 6);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    sqlite3_reset(q);
    return rc;
}

bf_status bf_store_run_info_get(bf_store *s, int64_t run_id,
                                bf_store_run_info *out, bf_error *err)
{
    int rc = run_info_read(s, run_id, out);
    stmt_release_all(s);
    if (rc != SQLITE_OK)
        return db_fail(s->db, s->path, rc, err, "cannot read run %" PRId64, run_id);
    if (!out->run_id)
        return fail(err, BF_ESTORE, "%s: the store has no run %" PRId64, s->path, run_id);
    return BF_OK;
}

bf_status bf_store_find_point(bf_store *s, const char *point_key,
                              int64_t prefer_sweep, bf_store_run_info *out,
                              bf_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *q;
    int64_t id = 0;
    int rc = stmt_get(s, ST_POINT_FIND, &q);
    if (rc == SQLITE_OK) {
        bind_text(q, 1, point_key);
        sqlite3_bind_int64(q, 2, prefer_sweep);
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW)
            id = sqlite3_column_int64(q, 0);
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_reset(q);
    }
    if (rc == SQLITE_OK && id)
        rc = run_info_read(s, id, out);
    stmt_release_all(s);
    if (rc != SQLITE_OK)
        return db_fail(s->db, s->path, rc, err, "cannot look up point %.16s",
                       str_or_empty(point_key));
    return BF_OK;
}

/* Compares the text of column c with want; true if equal. */
static bool col_is(sqlite3_stmt *q, int c, const char *want)
{
    const char *v = (const char *)sqlite3_column_text(q, c);
    return v && strcmp(v, str_or_empty(want)) == 0;
}

bf_status bf_store_check_keys(bf_store *s, int64_t run_id,
                              const bf_store_key *keys, size_t n_keys,
                              const bf_store_series *series, size_t n_series,
                              bf_error *err)
{
    char what[80];
    snprintf(what, sizeof what, "cannot continue run %" PRId64, run_id);
    sqlite3_stmt *q;
    int rc = stmt_get(s, ST_KEYS_GET, &q);
    size_t i = 0;
    bf_status st = BF_OK;
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, run_id);
        while (st == BF_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
            const bf_store_key *k = i < n_keys ? &keys[i] : NULL;
            if (!k || !col_is(q, 0, k->scope_kind) || !col_is(q, 1, k->scope) ||
                !col_is(q, 2, k->class_name) || !col_is(q, 3, k->metric) ||
                !col_is(q, 4, k->unit))
                st = fail(err, BF_ESTORE,
                          "%s: %s: its metric key %zu is %s '%s' class '%s' %s, "
                          "but this borderflow computes %s; continue it with "
                          "the borderflow that began it, or use another store",
                          s->path, what, i, sqlite3_column_text(q, 0),
                          sqlite3_column_text(q, 1), sqlite3_column_text(q, 2),
                          sqlite3_column_text(q, 3),
                          k ? k->metric : "fewer metrics");
            i++;
        }
        rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
        sqlite3_reset(q);
    }
    if (st == BF_OK && rc == SQLITE_OK && i != n_keys)
        st = fail(err, BF_ESTORE,
                  "%s: %s: it declares %zu metric keys, but this borderflow "
                  "computes %zu; continue it with the borderflow that began "
                  "it, or use another store", s->path, what, i, n_keys);
    i = 0;
    if (st == BF_OK && rc == SQLITE_OK) {
        rc = stmt_get(s, ST_SERIES_GET, &q);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(q, 1, run_id);
            while (st == BF_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
                const bf_store_series *k = i < n_series ? &series[i] : NULL;
                if (!k || !col_is(q, 0, k->scope_kind) || !col_is(q, 1, k->scope) ||
                    !col_is(q, 2, k->metric))
                    st = fail(err, BF_ESTORE,
                              "%s: %s: its series %zu (%s '%s' %s) differs from "
                              "this borderflow's", s->path, what, i,
                              sqlite3_column_text(q, 0), sqlite3_column_text(q, 1),
                              sqlite3_column_text(q, 2));
                i++;
            }
            rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
            sqlite3_reset(q);
        }
        if (st == BF_OK && rc == SQLITE_OK && i != n_series)
            st = fail(err, BF_ESTORE,
                      "%s: %s: it declares %zu series, but this borderflow "
                      "samples %zu", s->path, what, i, n_series);
    }
    if (st == BF_OK && rc != SQLITE_OK)
        st = db_fail(s->db, s->path, rc, err, "%s", what);
    stmt_release_all(s);
    return st;
}

bf_status bf_store_stored_reps(bf_store *s, int64_t run_id, int **reps,
                               size_t *n, bf_error *err)
{
    *reps = NULL;
    *n = 0;
    int *v = NULL;
    size_t len = 0, cap = 0;
    sqlite3_stmt *q;
    int rc = stmt_get(s, ST_REPS_LIST, &q);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, run_id);
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            if (len == cap) {
                size_t nc = cap ? 2 * cap : 64;
                int *nv = bf_realloc(v, nc * sizeof *nv);
                if (!nv) {
                    rc = SQLITE_NOMEM;
                    break;
                }
                v = nv;
                cap = nc;
            }
            v[len++] = sqlite3_column_int(q, 0);
        }
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_reset(q);
    }
    stmt_release_all(s);
    if (rc != SQLITE_OK) {
        bf_free(v);
        if (rc == SQLITE_NOMEM)
            return fail(err, BF_ENOMEM, "%s: out of memory listing the "
                        "replications of run %" PRId64, s->path, run_id);
        return db_fail(s->db, s->path, rc, err,
                       "cannot list the replications of run %" PRId64, run_id);
    }
    *reps = v;
    *n = len;
    return BF_OK;
}

bf_status bf_store_rep_values(bf_store *s, int64_t run_id, size_t key, int n,
                              double *out, bf_error *err)
{
    for (int i = 0; i < n; i++)
        out[i] = NAN;
    sqlite3_stmt *q;
    int rc = stmt_get(s, ST_REP_VALUES, &q);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, run_id);
        sqlite3_bind_int64(q, 2, (int64_t)key);
        sqlite3_bind_int(q, 3, n);
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            int r = sqlite3_column_int(q, 0);
            if (r >= 0 && r < n && sqlite3_column_type(q, 1) != SQLITE_NULL)
                out[r] = sqlite3_column_double(q, 1);
        }
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_reset(q);
    }
    stmt_release_all(s);
    if (rc != SQLITE_OK)
        return db_fail(s->db, s->path, rc, err,
                       "cannot read metric key %zu of run %" PRId64, key, run_id);
    return BF_OK;
}

bf_status bf_store_aggregates(bf_store *s, int64_t run_id, bf_ci *ci,
                              size_t n_keys, bf_error *err)
{
    bf_store_run_info info;
    int rc = run_info_read(s, run_id, &info);
    if (rc != SQLITE_OK) {
        stmt_release_all(s);
        return db_fail(s->db, s->path, rc, err, "cannot read run %" PRId64, run_id);
    }
    if (!info.run_id)
        return fail(err, BF_ESTORE, "%s: the store has no run %" PRId64, s->path, run_id);
    if ((int64_t)n_keys != info.n_keys)
        return fail(err, BF_EINVAL, "%s: run %" PRId64 " declares %" PRId64
                    " metric keys, not %zu", s->path, run_id, info.n_keys, n_keys);
    for (size_t i = 0; i < n_keys; i++)
        ci[i] = (bf_ci){0, NAN, NAN, NAN};
    sqlite3_stmt *q;
    rc = stmt_get(s, ST_AGG_GET, &q);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, run_id);
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            int64_t k = sqlite3_column_int64(q, 0);
            if (k < 0 || k >= (int64_t)n_keys)
                continue;
            bf_ci *c = &ci[k];
            c->n = (size_t)sqlite3_column_int64(q, 1);
            c->mean = sqlite3_column_type(q, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(q, 2);
            c->sd = sqlite3_column_type(q, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(q, 3);
            c->half_width = sqlite3_column_type(q, 4) == SQLITE_NULL
                                ? NAN : sqlite3_column_double(q, 4);
        }
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_reset(q);
    }
    stmt_release_all(s);
    if (rc != SQLITE_OK)
        return db_fail(s->db, s->path, rc, err,
                       "cannot read the aggregates of run %" PRId64, run_id);
    return BF_OK;
}

/* ---- reopening and cleaning ------------------------------------------- */

bf_status bf_store_reopen_run(bf_store *s, int64_t run_id, int planned,
                              bf_error *err)
{
    char what[80];
    snprintf(what, sizeof what, "cannot reopen run %" PRId64, run_id);
    bf_status st = tx_begin(s, err, what);
    if (st != BF_OK)
        return st;
    run_state rs;
    st = run_load(s, run_id, what, &rs, false, err);
    if (st != BF_OK)
        goto fail;
    sqlite3_stmt *q;
    int rc = stmt_get(s, ST_AGG_DEL, &q);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, run_id);
        rc = step_done(q);
    }
    if (rc == SQLITE_OK)
        rc = stmt_get(s, ST_DIST_DEL, &q);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, run_id);
        rc = step_done(q);
    }
    if (rc == SQLITE_OK)
        rc = stmt_get(s, ST_REOPEN, &q);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, run_id);
        sqlite3_bind_int(q, 2, planned);
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

bf_status bf_store_discard_incomplete(bf_store *s, int64_t run_id,
                                      int64_t *n_rows, bf_error *err)
{
    char what[112];
    snprintf(what, sizeof what,
             "cannot discard the time series of unfinished replications of run %" PRId64,
             run_id);
    if (n_rows)
        *n_rows = 0;
    bf_status st = tx_begin(s, err, what);
    if (st != BF_OK)
        return st;
    sqlite3_stmt *q;
    int rc = stmt_get(s, ST_DISCARD, &q);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, run_id);
        rc = step_done(q);
    }
    if (rc != SQLITE_OK) {
        st = db_fail(s->db, s->path, rc, err, "%s", what);
        tx_rollback(s);
        return st;
    }
    int64_t changed = sqlite3_changes64(s->db);
    st = tx_commit(s, err, what);
    if (st == BF_OK && n_rows)
        *n_rows = changed;
    return st;
}

/* ---- histograms as blobs ---------------------------------------------- */

/* A replication's histogram is stored as one BLOB:
 *
 *   byte 0      format, 1
 *   then, for each non-empty bucket in increasing order:
 *     varint    the bucket's slot minus the previous non-empty slot (the
 *               first: the slot itself), where slot 0 is the underflow
 *               bucket [0, BF_HIST_MIN) and slot i + 1 is bucket i
 *     varint    its count (> 0)
 *
 * Varints are little-endian base 128 (7 bits a byte, high bit set on all
 * but the last).  A typical replication's wait histogram has a few
 * hundred non-empty buckets, so a blob is a few hundred bytes.  The
 * format is documented in docs/results-schema.md for readers outside
 * borderflow; the view `distributions` gives the pooled counts in plain
 * columns. */
#define HIST_FORMAT 1
#define HIST_SLOTS (BF_HIST_N_BUCKETS + 1)

static size_t put_varint(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    do {
        unsigned char b = v & 0x7f;
        v >>= 7;
        p[n++] = v ? b | 0x80 : b;
    } while (v);
    return n;
}

/* Encodes h into s->hbuf.  OUT: *len.  false if out of memory. */
static bool hist_encode(bf_store *s, const bf_hist *h, size_t *len)
{
    size_t need = 1 + (size_t)HIST_SLOTS * 12;
    if (s->hcap < need) {
        unsigned char *nb = bf_realloc(s->hbuf, need);
        if (!nb)
            return false;
        s->hbuf = nb;
        s->hcap = need;
    }
    unsigned char *p = s->hbuf;
    size_t w = 0;
    p[w++] = HIST_FORMAT;
    uint64_t prev = 0;
    if (h->n_under > 0) {
        w += put_varint(p + w, 0);
        w += put_varint(p + w, h->n_under);
    }
    for (int b = 0; b < BF_HIST_N_BUCKETS; b++)
        if (h->count[b] > 0) {
            uint64_t slot = (uint64_t)b + 1;
            w += put_varint(p + w, slot - prev);
            w += put_varint(p + w, h->count[b]);
            prev = slot;
        }
    *len = w;
    return true;
}

/* Adds the counts of blob (len bytes) to counts[HIST_SLOTS].  false if
 * the blob is not a histogram of this format. */
static bool hist_decode_add(const unsigned char *blob, size_t len, uint64_t *counts)
{
    if (len < 1 || blob[0] != HIST_FORMAT)
        return false;
    size_t i = 1;
    uint64_t slot = 0;
    bool first = true;
    while (i < len) {
        uint64_t v[2] = {0, 0};
        for (int k = 0; k < 2; k++) {
            int shift = 0;
            for (;;) {
                if (i >= len || shift > 63)
                    return false;
                unsigned char b = blob[i++];
                v[k] |= (uint64_t)(b & 0x7f) << shift;
                shift += 7;
                if (!(b & 0x80))
                    break;
            }
        }
        if ((!first && v[0] == 0) || v[1] == 0)
            return false;
        slot += v[0];
        first = false;
        if (slot >= HIST_SLOTS)
            return false;
        counts[slot] += v[1];
    }
    return true;
}

/* Appends the decimal digits of v to p; returns the new end. */
static char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

int bf__store_recompute_distributions(bf_store *s, int64_t run_id)
{
    sqlite3_stmt *del, *add, *rd;
    int rc = stmt_get(s, ST_DIST_DEL, &del);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(del, 1, run_id);
        rc = step_done(del);
    }
    if (rc == SQLITE_OK)
        rc = stmt_get(s, ST_DIST_ADD_N, &add);
    if (rc == SQLITE_OK)
        rc = stmt_get(s, ST_HIST_READ, &rd);
    if (rc != SQLITE_OK)
        return rc;
    /* The counts of one key, and its buckets as a JSON object: "{" and
     * at most HIST_SLOTS entries of "4294967295:18446744073709551615,"
     * with quotes. */
    uint64_t *counts = bf_calloc(HIST_SLOTS, sizeof *counts);
    char *json = bf_malloc((size_t)HIST_SLOTS * 36 + 4);
    if (!counts || !json) {
        bf_free(counts);
        bf_free(json);
        return SQLITE_NOMEM;
    }
    /* Blobs come key by key; a key's pooled counts are written when the
     * next key (or the end) is reached.  Integer sums: exact, and the
     * same in whatever order the replications were stored.  Bucket b of
     * the histogram is bucket b of hist_buckets; the underflow is -1. */
    int64_t key = -1;
    sqlite3_bind_int64(rd, 1, run_id);
    for (;;) {
        int step = sqlite3_step(rd);
        if (step != SQLITE_ROW && step != SQLITE_DONE) {
            rc = step;
            break;
        }
        int64_t k = step == SQLITE_ROW ? sqlite3_column_int64(rd, 0) : -2;
        if (k != key && key >= 0) {
            char *p = json;
            *p++ = '{';
            for (int slot = 0; slot < HIST_SLOTS; slot++) {
                if (!counts[slot])
                    continue;
                if (p != json + 1)
                    *p++ = ',';
                *p++ = '"';
                if (slot == 0) {
                    *p++ = '-';
                    *p++ = '1';
                } else {
                    p = put_u64(p, (uint64_t)(slot - 1));
                }
                *p++ = '"';
                *p++ = ':';
                p = put_u64(p, counts[slot] > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX
                                                                   : counts[slot]);
            }
            *p++ = '}';
            *p = 0;
            sqlite3_bind_int64(add, 1, run_id);
            sqlite3_bind_int64(add, 2, key);
            sqlite3_bind_text(add, 3, json, (int)(p - json), SQLITE_STATIC);
            rc = step_done(add);
            memset(counts, 0, HIST_SLOTS * sizeof *counts);
            if (rc != SQLITE_OK)
                break;
        }
        if (step == SQLITE_DONE)
            break;
        key = k;
        const unsigned char *blob = sqlite3_column_blob(rd, 1);
        int len = sqlite3_column_bytes(rd, 1);
        if (!hist_decode_add(blob, blob ? (size_t)len : 0, counts)) {
            rc = blob || len == 0 ? SQLITE_CORRUPT : SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_reset(rd);
    sqlite3_clear_bindings(add);
    bf_free(counts);
    bf_free(json);
    return rc;
}

/* ---- replications ----------------------------------------------------- */

bf_status bf_store_add_replication(bf_store *s, int64_t run_id, int rep,
                                   uint64_t events, double wall_s,
                                   const double *values,
                                   const bf_store_hist *hists, size_t n_hists,
                                   bf_error *err)
{
    assert(s);
    assert(hists || n_hists == 0);
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
    st = run_load(s, run_id, what, &rs, true, err);
    if (st != BF_OK)
        goto fail;
    assert(values || rs.n_keys == 0);
    for (size_t i = 0; i < n_hists; i++)
        if (hists[i].key >= (uint64_t)rs.n_keys) {
            st = fail(err, BF_EINVAL,
                      "%s: %s: histogram %zu is filed under metric key %zu, "
                      "but the run declares %" PRId64 " metric keys",
                      s->path, what, i, hists[i].key, rs.n_keys);
            goto fail;
        }

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

    int64_t inv = 0;
    rc = bf__store_invocation(s, &inv);
    sqlite3_stmt *q = NULL;
    if (rc == SQLITE_OK)
        rc = stmt_get(s, ST_REP_ADD, &q);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, run_id);
        sqlite3_bind_int(q, 2, rep);
        sqlite3_bind_int64(q, 3, clamp_u64(events));
        bind_real(q, 4, wall_s);
        sqlite3_bind_int64(q, 5, inv);
        rc = step_done(q);
    }
    int64_t i = 0;
    if (rc == SQLITE_OK && rs.n_keys >= MULTI_ROWS)
        rc = stmt_get(s, ST_METRIC_ADD_N, &q);
    for (; rc == SQLITE_OK && i + MULTI_ROWS <= rs.n_keys; i += MULTI_ROWS) {
        for (int r = 0; r < MULTI_ROWS; r++) {
            sqlite3_bind_int64(q, 4 * r + 1, run_id);
            sqlite3_bind_int(q, 4 * r + 2, rep);
            sqlite3_bind_int64(q, 4 * r + 3, i + r);
            bind_real(q, 4 * r + 4, values[i + r]);
        }
        rc = step_done(q);
    }
    if (rc == SQLITE_OK && i < rs.n_keys)
        rc = stmt_get(s, ST_METRIC_ADD, &q);
    for (; rc == SQLITE_OK && i < rs.n_keys; i++) {
        sqlite3_bind_int64(q, 1, run_id);
        sqlite3_bind_int(q, 2, rep);
        sqlite3_bind_int64(q, 3, i);
        bind_real(q, 4, values[i]);
        rc = step_done(q);
    }
    if (rc == SQLITE_OK && n_hists)
        rc = stmt_get(s, ST_HIST_ADD, &q);
    for (size_t h = 0; rc == SQLITE_OK && h < n_hists; h++) {
        size_t len = 0;
        if (!hist_encode(s, hists[h].hist, &len)) {
            st = fail(err, BF_ENOMEM, "%s: %s: out of memory", s->path, what);
            goto fail;
        }
        sqlite3_bind_int64(q, 1, run_id);
        sqlite3_bind_int(q, 2, rep);
        sqlite3_bind_int64(q, 3, (int64_t)hists[h].key);
        sqlite3_bind_blob(q, 4, s->hbuf, (int)len, SQLITE_STATIC);
        rc = step_done(q);
        if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
            st = fail(err, BF_EINVAL,
                      "%s: %s: two histograms are filed under metric key %zu",
                      s->path, what, hists[h].key);
            goto fail;
        }
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
    st = run_load(s, run_id, what, &rs, true, err);
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

    /* Check the whole batch first: a batch with one bad sample stores
     * none of it. */
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
    }
    sqlite3_stmt *q, *q1;
    rc = stmt_get(s, ST_SAMPLE_ADD, &q1);
    if (rc == SQLITE_OK && n >= MULTI_ROWS)
        rc = stmt_get(s, ST_SAMPLE_ADD_N, &q);
    if (rc != SQLITE_OK) {
        st = db_fail(s->db, s->path, rc, err, "%s", what);
        goto fail;
    }
    for (size_t i = 0; i < n;) {
        /* MULTI_ROWS samples a statement; the rest, or a chunk whose
         * statement failed (to find which sample it was), one by one.  A
         * failed statement undoes itself only, not the transaction. */
        size_t end = i + MULTI_ROWS;
        if (end <= n) {
            for (int r = 0; r < MULTI_ROWS; r++) {
                const bf_store_sample *x = &samples[i + (size_t)r];
                sqlite3_bind_int64(q, 5 * r + 1, run_id);
                sqlite3_bind_int(q, 5 * r + 2, rep);
                sqlite3_bind_int64(q, 5 * r + 3, x->series);
                sqlite3_bind_double(q, 5 * r + 4, x->t);
                bind_real(q, 5 * r + 5, x->value);
            }
            rc = step_done(q);
            if (rc == SQLITE_OK) {
                i = end;
                continue;
            }
            if (rc != SQLITE_CONSTRAINT_PRIMARYKEY) {
                st = db_fail(s->db, s->path, rc, err, "%s: samples %zu..%zu", what, i,
                             end - 1);
                goto fail;
            }
        } else {
            end = n;
        }
        for (; i < end; i++) {
            const bf_store_sample *x = &samples[i];
            sqlite3_bind_int64(q1, 1, run_id);
            sqlite3_bind_int(q1, 2, rep);
            sqlite3_bind_int64(q1, 3, x->series);
            sqlite3_bind_double(q1, 4, x->t);
            bind_real(q1, 5, x->value);
            rc = step_done(q1);
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
    }
    return tx_commit(s, err, what);

fail:
    tx_rollback(s);
    return st;
}

/* ---- finishing -------------------------------------------------------- */

int bf__store_recompute_aggregates(bf_store *s, int64_t run_id)
{
    sqlite3_stmt *del, *add, *rd;
    int rc = stmt_get(s, ST_AGG_DEL, &del);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(del, 1, run_id);
        rc = step_done(del);
    }
    if (rc == SQLITE_OK)
        rc = stmt_get(s, ST_AGG_ADD, &add);
    if (rc == SQLITE_OK)
        rc = stmt_get(s, ST_AGG_VALUES, &rd);
    if (rc != SQLITE_OK)
        return rc;

    /* One pass over (key, replication) in order: a key's values are
     * collected, in replication order, and written when the key changes.
     * NULL values (no observation in that replication) are left out, as
     * the runner leaves NaN out, so the result is bit for bit what the
     * runner computes from the same replications. */
    double *col = NULL;
    size_t n = 0, cap = 0;
    int64_t key = -1;
    sqlite3_bind_int64(rd, 1, run_id);
    for (;;) {
        int step = sqlite3_step(rd);
        if (step != SQLITE_ROW && step != SQLITE_DONE) {
            rc = step;
            break;
        }
        int64_t k = step == SQLITE_ROW ? sqlite3_column_int64(rd, 0) : -2;
        if (k != key && key >= 0) {
            bf_ci c = n ? bf_ci95(col, n) : (bf_ci){0, NAN, NAN, NAN};
            sqlite3_bind_int64(add, 1, run_id);
            sqlite3_bind_int64(add, 2, key);
            sqlite3_bind_int64(add, 3, clamp_u64(c.n));
            bind_real(add, 4, c.mean);
            bind_real(add, 5, c.sd);
            bind_real(add, 6, c.half_width);
            /* NaN +- anything is NaN, so the bounds are NULL exactly when
             * the half-width (or the mean) is. */
            bind_real(add, 7, c.mean - c.half_width);
            bind_real(add, 8, c.mean + c.half_width);
            rc = step_done(add);
            if (rc != SQLITE_OK)
                break;
            n = 0;
        }
        if (step == SQLITE_DONE)
            break;
        key = k;
        if (sqlite3_column_type(rd, 1) == SQLITE_NULL)
            continue;
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 64;
            double *nv = bf_realloc(col, nc * sizeof *nv);
            if (!nv) {
                rc = SQLITE_NOMEM;
                break;
            }
            col = nv;
            cap = nc;
        }
        col[n++] = sqlite3_column_double(rd, 1);
    }
    sqlite3_reset(rd);
    bf_free(col);
    return rc;
}

int bf__store_set_final_status(bf_store *s, int64_t run_id, const char *status)
{
    sqlite3_stmt *q;
    int rc = stmt_get(s, ST_RUN_FINISH, &q);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, run_id);
        bind_text(q, 2, status);
        rc = step_done(q);
    }
    return rc;
}

bf_status bf_store_finish_run(bf_store *s, int64_t run_id, const char *status,
                              bf_error *err)
{
    assert(s);
    char what[96];
    snprintf(what, sizeof what, "cannot finish run %" PRId64, run_id);
    if (!status || (strcmp(status, "done") != 0 &&
                    strcmp(status, "partial") != 0 &&
                    strcmp(status, "failed") != 0 &&
                    strcmp(status, "canceled") != 0))
        return fail(err, BF_EINVAL,
                    "%s: %s: status '%.32s' is not one of done, partial, "
                    "failed, canceled", s->path, what, str_or_empty(status));

    bf_status st = tx_begin(s, err, what);
    if (st != BF_OK)
        return st;
    run_state rs;
    st = run_load(s, run_id, what, &rs, true, err);
    if (st != BF_OK)
        goto fail;
    int rc = bf__store_recompute_aggregates(s, run_id);
    if (rc == SQLITE_OK)
        rc = bf__store_recompute_distributions(s, run_id);
    if (rc == SQLITE_OK)
        rc = bf__store_set_final_status(s, run_id, status);
    if (rc != SQLITE_OK) {
        st = rc == SQLITE_NOMEM && sqlite3_errcode(s->db) != SQLITE_NOMEM
                 ? fail(err, BF_ENOMEM, "%s: %s: out of memory", s->path, what)
                 : db_fail(s->db, s->path, rc, err, "%s", what);
        goto fail;
    }
    return tx_commit(s, err, what);

fail:
    tx_rollback(s);
    return st;
}

bf_status bf_store_add_precision(bf_store *s, int64_t run_id, double target,
                                 const char *metrics, int replications,
                                 bool met, bf_error *err)
{
    char what[96];
    snprintf(what, sizeof what, "cannot record the precision check of run %" PRId64,
             run_id);
    bf_status st = tx_begin(s, err, what);
    if (st != BF_OK)
        return st;
    run_state rs;
    st = run_load(s, run_id, what, &rs, false, err);
    if (st != BF_OK)
        goto fail;
    int64_t inv = 0;
    int rc = bf__store_invocation(s, &inv);
    sqlite3_stmt *q = NULL;
    if (rc == SQLITE_OK)
        rc = stmt_get(s, ST_PRECISION_ADD, &q);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, run_id);
        sqlite3_bind_int64(q, 2, inv);
        sqlite3_bind_double(q, 3, target);
        bind_text(q, 4, metrics);
        sqlite3_bind_int(q, 5, replications);
        sqlite3_bind_int(q, 6, met ? 1 : 0);
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

/* ---- sweeps ----------------------------------------------------------- */

bf_status bf_store_sweep_begin(bf_store *s, const bf_store_sweep_record *rec,
                               int64_t *sweep_id, bf_error *err)
{
    assert(rec->keys || rec->n_keys == 0);
    const char *what = "cannot record the sweep";
    bf_status st = tx_begin(s, err, what);
    if (st != BF_OK)
        return st;
    sqlite3_stmt *q;
    int64_t id = 0;
    int rc = stmt_get(s, ST_SWEEP_FIND, &q);
    if (rc == SQLITE_OK) {
        bind_text(q, 1, rec->sweep_key);
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW)
            id = sqlite3_column_int64(q, 0);
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_reset(q);
    }
    if (rc == SQLITE_OK && !id) {
        int64_t scenario_id = 0;
        st = scenario_get(s, rec->scenario_name, rec->scenario_path,
                          rec->scenario_text, &scenario_id, err);
        if (st != BF_OK)
            goto fail;
        rc = stmt_get(s, ST_SWEEP_ADD, &q);
        if (rc == SQLITE_OK) {
            bind_text(q, 1, rec->sweep_key);
            sqlite3_bind_int64(q, 2, scenario_id);
            bind_text(q, 3, rec->base_overrides);
            bind_text(q, 4, rec->definition);
            sqlite3_bind_int64(q, 5, clamp_u64(rec->n_points));
            bind_text(q, 6, rec->command_line);
            rc = step_done(q);
        }
        if (rc == SQLITE_OK) {
            id = sqlite3_last_insert_rowid(s->db);
            rc = stmt_get(s, ST_SWEEP_KEY_ADD, &q);
        }
        for (size_t i = 0; rc == SQLITE_OK && i < rec->n_keys; i++) {
            sqlite3_bind_int64(q, 1, id);
            sqlite3_bind_int64(q, 2, (int64_t)i);
            bind_text(q, 3, rec->keys[i]);
            rc = step_done(q);
        }
    }
    if (rc != SQLITE_OK) {
        st = db_fail(s->db, s->path, rc, err, "%s", what);
        goto fail;
    }
    st = tx_commit(s, err, what);
    if (st == BF_OK)
        *sweep_id = id;
    return st;
fail:
    tx_rollback(s);
    return st;
}

bf_status bf_store_sweep_add_point(bf_store *s, int64_t sweep_id,
                                   size_t index, int64_t run_id,
                                   const char *point, bf_error *err)
{
    char what[112];
    snprintf(what, sizeof what, "cannot record point %zu of sweep %" PRId64,
             index, sweep_id);
    bf_status st = tx_begin(s, err, what);
    if (st != BF_OK)
        return st;
    sqlite3_stmt *q;
    int64_t linked = 0;
    bool same_point = false;
    int rc = stmt_get(s, ST_SWEEP_POINT_FIND, &q);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, sweep_id);
        sqlite3_bind_int64(q, 2, (int64_t)index);
        sqlite3_bind_int64(q, 3, run_id);
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            linked = sqlite3_column_int64(q, 0);
            same_point = sqlite3_column_int(q, 1) != 0;
        }
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_reset(q);
    }
    if (rc == SQLITE_OK && linked && !same_point) {
        st = fail(err, BF_ESTORE,
                  "%s: %s: it is already linked to run %" PRId64 ", a run of "
                  "another point", s->path, what, linked);
        goto fail;
    }
    /* A point already linked to another run of the same point (two runs
     * of one point in the store) keeps its first link. */
    if (rc == SQLITE_OK && !linked) {
        rc = stmt_get(s, ST_SWEEP_POINT_ADD, &q);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(q, 1, sweep_id);
            sqlite3_bind_int64(q, 2, (int64_t)index);
            sqlite3_bind_int64(q, 3, run_id);
            bind_text(q, 4, point);
            rc = step_done(q);
        }
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

/* ---- comparisons ------------------------------------------------------ */

bf_status bf_store_add_comparison(bf_store *s, const bf_store_comparison *c,
                                  const bf_store_diff *diffs, size_t n,
                                  int64_t *comparison_id, bf_error *err)
{
    assert(diffs || n == 0);
    const char *what = "cannot record the comparison";
    bf_status st = tx_begin(s, err, what);
    if (st != BF_OK)
        return st;
    run_state rs;
    st = run_load(s, c->base_run_id, what, &rs, false, err);
    if (st == BF_OK)
        st = run_load(s, c->policy_run_id, what, &rs, false, err);
    if (st != BF_OK)
        goto fail;
    sqlite3_stmt *q;
    int rc = stmt_get(s, ST_CMP_ADD, &q);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, c->base_run_id);
        sqlite3_bind_int64(q, 2, c->policy_run_id);
        sqlite3_bind_int(q, 3, c->replications);
        sqlite3_bind_int(q, 4, c->common_random_numbers ? 1 : 0);
        bind_text(q, 5, c->command_line);
        rc = step_done(q);
    }
    int64_t id = sqlite3_last_insert_rowid(s->db);
    if (rc == SQLITE_OK)
        rc = stmt_get(s, ST_CMP_RESULT_ADD, &q);
    for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
        const bf_store_diff *d = &diffs[i];
        sqlite3_bind_int64(q, 1, id);
        bind_text(q, 2, d->scope_kind);
        bind_text(q, 3, d->scope);
        bind_text(q, 4, d->class_name);
        bind_text(q, 5, d->metric);
        bind_text(q, 6, d->unit);
        sqlite3_bind_int64(q, 7, clamp_u64(d->n));
        bind_real(q, 8, d->base_mean);
        bind_real(q, 9, d->policy_mean);
        bind_real(q, 10, d->diff_mean);
        bind_real(q, 11, d->diff_sd);
        bind_real(q, 12, d->half_width);
        bind_real(q, 13, d->diff_mean - d->half_width);
        bind_real(q, 14, d->diff_mean + d->half_width);
        sqlite3_bind_int(q, 15, d->significant ? 1 : 0);
        rc = step_done(q);
    }
    if (rc != SQLITE_OK) {
        st = db_fail(s->db, s->path, rc, err, "%s", what);
        goto fail;
    }
    st = tx_commit(s, err, what);
    if (st == BF_OK && comparison_id)
        *comparison_id = id;
    return st;
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
     "   <> CASE WHEN r.status = 'running' OR NOT EXISTS"
     "     (SELECT 1 FROM replications p WHERE p.run_id = r.id) THEN 0 ELSE"
     "   (SELECT count(*) FROM metric_keys k WHERE k.run_id = r.id) END",
     "aggregates inconsistent"},
    {"SELECT 'run ' || a.run_id || ' key ' || a.key_index || ' has n = ' ||"
     " a.n || ' for ' || (SELECT count(m.value) FROM rep_metrics m"
     "   WHERE m.run_id = a.run_id AND m.key_index = a.key_index) ||"
     " ' values' FROM aggregates a WHERE a.n <>"
     " (SELECT count(m.value) FROM rep_metrics m"
     "   WHERE m.run_id = a.run_id AND m.key_index = a.key_index)",
     "aggregates out of date"},
    {"SELECT 'run ' || r.id || ' is running and has pooled distributions'"
     " FROM runs r WHERE r.status = 'running' AND EXISTS"
     " (SELECT 1 FROM pooled_hist d WHERE d.run_id = r.id)",
     "distributions of a running run"},
    {"SELECT 'run ' || run_id || ' key ' || key_index FROM aggregates"
     " WHERE (half_width IS NULL OR mean IS NULL) <> (ci_low IS NULL)"
     "    OR (ci_low IS NULL) <> (ci_high IS NULL)",
     "confidence bounds inconsistent"},
    {"SELECT 'run ' || r.id || ' is done with ' ||"
     " (SELECT count(*) FROM replications p WHERE p.run_id = r.id"
     "   AND p.replication < r.replications_planned) ||"
     " ' of replications 0..' || (r.replications_planned - 1)"
     " FROM runs r WHERE r.status = 'done' AND"
     " (SELECT count(*) FROM replications p WHERE p.run_id = r.id"
     "   AND p.replication < r.replications_planned) <> r.replications_planned",
     "done run incomplete"},
    {"SELECT 'run ' || id || ' has point key ' || point_key FROM runs"
     " WHERE point_key GLOB '*[^0-9a-f]*'",
     "point key malformed"},
    {"SELECT 'sweep ' || a.sweep_id || ' points ' || a.point_index ||"
     " ' and ' || b.point_index || ' are runs of one point'"
     " FROM sweep_points a JOIN sweep_points b ON b.sweep_id = a.sweep_id"
     "  AND b.point_index > a.point_index"
     " JOIN runs ra ON ra.id = a.run_id JOIN runs rb ON rb.id = b.run_id"
     " WHERE ra.point_key = rb.point_key",
     "sweep points not distinct"},
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
