/*
 * store_int.h - private declarations of the results store, shared by
 * store.c, merge.c and the store's unit test only.
 */
#ifndef BORDERFLOW_STORE_INT_H
#define BORDERFLOW_STORE_INT_H

#include "borderflow/store.h"

#include <sqlite3.h>

/* The value of PRAGMA application_id in every borderflow store: the bytes
 * "BdFl", so that file(1) and other tools can tell what the file is.  The
 * authoritative mark is still meta.application = 'borderflow'. */
#define BF__STORE_APPLICATION_ID 0x4264466C

/* The time stamp of every *_at column: ISO-8601, UTC, milliseconds. */
#define BF__NOW_UTC "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

/* The cached statements (store.c).  BEGIN, COMMIT and ROLLBACK are
 * prepared at open; the rest on first use. */
enum bf__stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SCENARIO_FIND,
    ST_SCENARIO_ADD,
    ST_INVOCATION_ADD,
    ST_RUN_ADD,
    ST_PARAM_ADD,
    ST_KEY_ADD,
    ST_SERIES_ADD,
    ST_RUN_STATE,
    ST_REP_FIND,
    ST_REP_ADD,
    ST_METRIC_ADD,
    ST_METRIC_ADD_N,
    ST_SAMPLE_ADD_N,
    ST_DIST_ADD_N,
    ST_HIST_ADD,
    ST_HIST_READ,
    ST_DIST_DEL,
    ST_SAMPLE_ADD,
    ST_AGG_DEL,
    ST_AGG_ADD,
    ST_AGG_VALUES,
    ST_RUN_FINISH,
    ST_RUN_INFO,
    ST_POINT_FIND,
    ST_REPS_LIST,
    ST_REP_VALUES,
    ST_AGG_GET,
    ST_KEYS_GET,
    ST_SERIES_GET,
    ST_REOPEN,
    ST_DISCARD,
    ST_PRECISION_ADD,
    ST_SWEEP_FIND,
    ST_SWEEP_ADD,
    ST_SWEEP_KEY_ADD,
    ST_SWEEP_POINT_FIND,
    ST_SWEEP_POINT_ADD,
    ST_CMP_ADD,
    ST_CMP_RESULT_ADD,
    BF__N_STMT
};

/* Rows per statement of the bulk inserts (ST_*_ADD_N). */
#define MULTI_ROWS 64

struct bf_store {
    sqlite3 *db;
    sqlite3_stmt *stmt[BF__N_STMT];
    char *command_line;     /* for invocations rows; NULL: "" */
    int64_t invocation_id;  /* this handle's invocations row, 0: none yet */
    bool invocation_in_tx;  /* it was inserted by the open transaction */
    unsigned char *hbuf;    /* scratch for encoding histograms */
    size_t hcap;
    char path[];            /* as given to bf_store_open, for messages */
};

/* Clears err and sets code and a message from fmt. */
bf_status bf__store_fail(bf_error *err, bf_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A failure SQLite reported with rc on db: "PATH: WHAT: SQLite's message"
 * (plus the system's reason for I/O errors).  Call before anything else
 * touches db. */
bf_status bf__store_db_fail(sqlite3 *db, const char *path, int rc,
                            bf_error *err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Cached statement id of s (prepared on first use).  SQLite result code. */
int bf__store_stmt(bf_store *s, enum bf__stmt_id id, sqlite3_stmt **out);

/* Steps a statement that returns no rows and resets it. */
int bf__store_step_done(sqlite3_stmt *st);

/* Transactions: BEGIN IMMEDIATE, COMMIT (rolls back if it fails),
 * ROLLBACK (also resets every cached statement). */
bf_status bf__store_tx_begin(bf_store *s, bf_error *err, const char *what);
bf_status bf__store_tx_commit(bf_store *s, bf_error *err, const char *what);
void bf__store_tx_rollback(bf_store *s);

/* This handle's invocations row, inserted inside the open transaction on
 * first use.  OUT: *id.  SQLite result code. */
int bf__store_invocation(bf_store *s, int64_t *id);

/* Recomputes the aggregates of run_id from its stored replications
 * (inside the caller's transaction).  SQLite result code, or
 * SQLITE_NOMEM. */
int bf__store_recompute_aggregates(bf_store *s, int64_t run_id);

/* Recomputes the pooled distributions of run_id from the histograms of
 * its replications (inside the caller's transaction).  SQLite result code
 * (SQLITE_CORRUPT for a blob that is not a histogram). */
int bf__store_recompute_distributions(bf_store *s, int64_t run_id);

/* Sets the status of a run that has finished (inside the caller's
 * transaction): "done" becomes "partial" unless replications 0 ..
 * planned-1 are all stored.  SQLite result code. */
int bf__store_set_final_status(bf_store *s, int64_t run_id,
                               const char *status);

/* Checks that schema ("main", or an attached database's name) of db is
 * a borderflow store of schema version BF_STORE_SCHEMA_VERSION; path is
 * for messages.  BF_ESTORE saying what was found. */
bf_status bf__store_identity(sqlite3 *db, const char *schema,
                             const char *path, bf_error *err);

/* Binding helpers: NULL text binds "", NaN binds NULL. */
int bf__store_bind_text(sqlite3_stmt *st, int i, const char *v);
int bf__store_bind_real(sqlite3_stmt *st, int i, double v);

/* Checks the whole store behind s: SQLite's integrity_check and
 * foreign_key_check, then the store's own invariants:
 *   - every stored replication has exactly one rep_metrics row per metric
 *     key of its run (a replication is whole or absent);
 *   - a run has finished_at exactly when its status is not 'running';
 *   - a finished run with stored replications has aggregates for every
 *     key, and each aggregate's n is the number of non-NULL values; a
 *     running run, or one without replications, has none;
 *     ci_low/ci_high are NULL exactly when half_width is;
 *   - a 'done' run holds replications 0 .. replications_planned-1;
 *   - a running run has no pooled distributions (pooled_hist);
 *   - a run's point key is 16 hex digits, sweep points of one sweep
 *     are runs of distinct points.
 * Returns BF_OK, or BF_ESTORE with the first violation in err->msg.
 * Reads every page: O(size of the file).  For asserts and tests. */
bf_status bf__store_check(bf_store *s, bf_error *err);

#endif
