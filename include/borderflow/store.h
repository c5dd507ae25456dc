/*
 * store.h - the results store: one SQLite file holding, for every run, the
 * scenario text and its hash, the resolved parameters, the provenance
 * (borderflow version, source revision, command line, seed, start and end
 * time), per-replication metrics, aggregates with 95% confidence
 * intervals, time series and pooled wait-time distributions.  The schema
 * is documented in docs/results-schema.md.
 *
 * The store only ever adds: each run gets a new run id, nothing is
 * overwritten or deleted.  A replication's metrics go in one transaction
 * with its `replications` row, so a replication is either wholly stored or
 * absent.  Time-series samples may be written in several batches while a
 * replication runs (to keep memory bounded); rows of a replication that
 * never completed are recognisable (no `replications` row) and are left
 * out by the views.
 *
 * The database runs in WAL mode with prepared statements cached on the
 * handle.  A bf_store is not thread-safe: the runner serialises calls.
 *
 * Metrics are identified by keys (scope kind, scope, class, metric, unit)
 * declared once per run in bf_store_begin_run; per-replication values and
 * aggregates are then plain arrays in key order.
 *
 * Life cycle of a run in the store:
 *
 *   bf_store_begin_run --> [runs.status = 'running']
 *      | bf_store_add_series (any number of times, any replication)
 *      | bf_store_add_replication (once per replication)
 *      v
 *      | bf_store_add_distribution (once per key, before finish)
 *      v
 *   bf_store_finish_run --> [runs.status = 'done' | 'failed' | 'canceled']
 *                           (n_keys == 0: no aggregates, e.g. canceled)
 *
 * Memory: strings passed in are borrowed for the duration of the call.
 */
#ifndef BORDERFLOW_STORE_H
#define BORDERFLOW_STORE_H

#include "borderflow/common.h"
#include "borderflow/stats.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BF_STORE_SCHEMA_VERSION 1

typedef struct bf_store bf_store;

/* One metric: e.g. ("station", "sl_check", "material", "wait_p95", "s").
 * class_name is "" when the metric covers all classes. */
typedef struct bf_store_key {
    const char *scope_kind; /* system | class | station | delay | line */
    const char *scope;      /* "" for system */
    const char *class_name;
    const char *metric;
    const char *unit;       /* s, 1/h, entities, share ... */
} bf_store_key;

/* One time series, e.g. ("station", "fl_check", "queue_length"). */
typedef struct bf_store_series {
    const char *scope_kind;
    const char *scope;
    const char *metric;
} bf_store_series;

typedef struct bf_store_sample {
    double t;        /* simulated time, s */
    uint32_t series; /* index into the run's series */
    double value;
} bf_store_sample;

typedef struct bf_run_record {
    const char *scenario_name;  /* e.g. "hetao-baseline" */
    const char *scenario_path;  /* as given on the command line */
    const char *scenario_text;  /* the file's bytes, NUL-terminated */
    const char *overrides;      /* "--set" overrides, one per line, or "" */
    const char *command_line;   /* exactly as typed, quoted where needed */
    uint64_t seed;
    int replications;           /* planned */
    double horizon_s, warmup_s, sample_every_s;
    const char *const *param_keys; /* resolved parameters, "section.key" */
    const char *const *param_values;
    size_t n_params;
} bf_run_record;

/* Opens (creating if needed) the store at path.  An existing file must be
 * a borderflow store of schema version BF_STORE_SCHEMA_VERSION, else
 * BF_ESTORE with a message naming the file and what was found.
 * OUT: *out, to be closed with bf_store_close. */
bf_status bf_store_open(const char *path, bf_store **out, bf_error *err);

/* Closes the handle (finalises statements, checkpoints).  NULL is fine. */
void bf_store_close(bf_store *s);

/* FNV-1a 64-bit hash of the scenario text and overrides, as the 16 hex
 * digits stored in scenarios.hash.  Not cryptographic: it identifies. */
void bf_store_hash_hex(const char *text, const char *overrides, char out[17]);

/* Records a new run: scenario (reused if the same hash is stored),
 * parameters, provenance, metric keys and series.  OUT: *run_id. */
bf_status bf_store_begin_run(bf_store *s, const bf_run_record *rec,
                             const bf_store_key *keys, size_t n_keys,
                             const bf_store_series *series, size_t n_series,
                             int64_t *run_id, bf_error *err);

/* Stores replication `rep` (0-based) of run_id: values[0..n_keys-1] in
 * the key order given to begin_run, events fired and wall time (its
 * streams follow from the run's seed and rep).  One transaction.  A
 * replication already stored is refused (BF_ESTORE). */
bf_status bf_store_add_replication(bf_store *s, int64_t run_id, int rep,
                                   uint64_t events, double wall_s,
                                   const double *values, bf_error *err);

/* Appends time-series samples of replication rep.  One transaction. */
bf_status bf_store_add_series(bf_store *s, int64_t run_id, int rep,
                              const bf_store_sample *samples, size_t n,
                              bf_error *err);

/* Stores the pooled (all replications) distribution behind key index
 * `key`: its non-empty buckets as (lo, hi, count) rows. */
bf_status bf_store_add_distribution(bf_store *s, int64_t run_id, size_t key,
                                    const bf_hist *h, bf_error *err);

/* Stores the aggregates (ci[0..n_keys-1], key order) and closes the run
 * with status "done", "failed" or "canceled" and its end time.  One
 * transaction. */
bf_status bf_store_finish_run(bf_store *s, int64_t run_id, const bf_ci *ci,
                              size_t n_keys, const char *status,
                              bf_error *err);

#ifdef __cplusplus
}
#endif
#endif
