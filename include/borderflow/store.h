/*
 * store.h - the results store: one SQLite file holding, for every run, the
 * scenario text and its hash, the resolved parameters, the provenance
 * (borderflow version, source revision, command line, seed, start and end
 * time, and which invocation produced each replication), per-replication
 * metrics and histograms, aggregates with 95% confidence intervals, time
 * series; and the sweeps, precision checks and paired comparisons made of
 * those runs.  The schema is documented in docs/results-schema.md.
 *
 * Runs and points.  A run is one *point*: one scenario with one set of
 * overrides and one seed, and the replications stored under it.  Its
 * point key (bf_store_point_key) is a hash of the resolved parameters
 * without simulation.replications, so the same point is recognised
 * whichever file layout, option order or replication count produced it:
 * that is what lets a sweep resume, a run grow later, and merge put the
 * replications of one point from several stores together.
 *
 * Nothing stored is overwritten.  A replication's metrics and histograms
 * go in one transaction with its `replications` row, so a replication is
 * either wholly stored or absent; a replication is stored at most once.
 * What the store does compute is derived from the replications and is
 * recomputed, never edited: the aggregates of a run (from its stored
 * replications, in replication order, when it finishes) and its pooled
 * distributions (the per-replication histograms summed, written when it
 * finishes, read through the view `distributions`).
 * Time-series samples may be written in several batches while a
 * replication runs (to keep memory bounded); rows of a replication that
 * never completed have no `replications` row, the views leave them out,
 * and bf_store_discard_incomplete removes them before the replication is
 * run again.
 *
 * The database runs in WAL mode with prepared statements cached on the
 * handle.  A bf_store is not thread-safe: the runner serialises calls.
 *
 * Life cycle of a run in the store:
 *
 *   bf_store_begin_run --> [running]   <------------------------------+
 *      | bf_store_add_series (any number of times, any replication)   |
 *      | bf_store_add_replication (at most once per replication)      |
 *      v                                                              |
 *   bf_store_finish_run --> [done | partial | failed | canceled]      |
 *      |   aggregates recomputed from the stored replications         |
 *      +-- bf_store_reopen_run (to add replications: aggregates -------+
 *          are dropped until the next finish)
 *
 *   running   a process is adding replications (or died doing so)
 *   done      replications 0 .. replications_planned-1 are all stored
 *   partial   finished, but some planned replications are elsewhere or
 *             missing (a shard's share of a point; a merge not complete)
 *   failed    stopped by an error;  canceled  stopped by the user
 *
 * Memory: strings passed in are borrowed for the duration of the call;
 * strings and arrays returned are owned by the caller (bf_free).
 */
#ifndef BORDERFLOW_STORE_H
#define BORDERFLOW_STORE_H

#include "borderflow/common.h"
#include "borderflow/stats.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BF_STORE_SCHEMA_VERSION 2

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

/* The histogram behind metric key `key` in one replication. */
typedef struct bf_store_hist {
    size_t key;
    const bf_hist *hist;
} bf_store_hist;

typedef struct bf_run_record {
    const char *scenario_name;  /* e.g. "hetao-baseline" */
    const char *scenario_path;  /* as given on the command line */
    const char *scenario_text;  /* the file's bytes, NUL-terminated */
    const char *overrides;      /* "--set" overrides, one per line, or "" */
    const char *command_line;   /* exactly as typed, quoted where needed */
    uint64_t seed;
    int replications;           /* planned: replications 0 .. n-1 */
    double horizon_s, warmup_s, sample_every_s;
    const char *const *param_keys; /* resolved parameters, "section.key" */
    const char *const *param_values;
    size_t n_params;
} bf_run_record;

/* Opens (creating if needed) the store at path; ":memory:" is a private
 * store that vanishes on close.  An existing file must be a borderflow
 * store of schema version BF_STORE_SCHEMA_VERSION, else BF_ESTORE with a
 * message naming the file and what was found; a read-only file is BF_EIO.
 * Nothing is written to a file that is refused.
 * OUT: *out, to be closed with bf_store_close. */
bf_status bf_store_open(const char *path, bf_store **out, bf_error *err);

/* Closes the handle (finalises statements, checkpoints).  NULL is fine. */
void bf_store_close(bf_store *s);

/* The path given to bf_store_open (owned by the handle). */
const char *bf_store_path(const bf_store *s);

/* The command line recorded with the replications this handle stores
 * (table invocations).  Copied; call before the first write.  BF_ENOMEM. */
bf_status bf_store_set_command_line(bf_store *s, const char *command_line);

/* FNV-1a 64-bit hash of text, a 0 byte and extra, as 16 lowercase hex
 * digits.  scenarios.hash is bf_store_hash_hex(text, "").  Not
 * cryptographic: it identifies. */
void bf_store_hash_hex(const char *text, const char *extra, char out[17]);

/* The point key of a run with these resolved parameters: FNV-1a 64 of
 * "borderflow-point 1", the borderflow version, and "key=value" of every
 * parameter except simulation.replications, sorted by key, each line
 * ending in "\n".  Same parameters and version, same key, whatever the
 * order they are given in.  Keys must be distinct. */
void bf_store_point_key(const char *const *keys, const char *const *values,
                        size_t n, char out[17]);

/* ---- runs -------------------------------------------------------------- */

/* Records a new run: scenario (reused if the same text is stored),
 * parameters, provenance, metric keys and series.  OUT: *run_id. */
bf_status bf_store_begin_run(bf_store *s, const bf_run_record *rec,
                             const bf_store_key *keys, size_t n_keys,
                             const bf_store_series *series, size_t n_series,
                             int64_t *run_id, bf_error *err);

typedef struct bf_store_run_info {
    int64_t run_id;            /* 0: no such run */
    char point_key[17];
    char status[12];
    int replications_planned;
    int replications_done;     /* stored replications, any numbers */
    int64_t n_keys, n_series;
} bf_store_run_info;

/* What the store holds about run_id.  BF_ESTORE if there is no such run. */
bf_status bf_store_run_info_get(bf_store *s, int64_t run_id,
                                bf_store_run_info *out, bf_error *err);

/* The run to continue for point_key, or out->run_id == 0 if none.  With
 * several runs of the point, the first of: the one linked to sweep
 * prefer_sweep (0: none), the one with the most stored replications, the
 * most recent. */
bf_status bf_store_find_point(bf_store *s, const char *point_key,
                              int64_t prefer_sweep, bf_store_run_info *out,
                              bf_error *err);

/* Checks that run_id declares exactly these metric keys and series, in
 * this order (BF_ESTORE naming the first difference): a run is continued
 * only by a borderflow that computes the same metrics. */
bf_status bf_store_check_keys(bf_store *s, int64_t run_id,
                              const bf_store_key *keys, size_t n_keys,
                              const bf_store_series *series, size_t n_series,
                              bf_error *err);

/* The stored replication numbers of run_id, ascending.  OUT: *reps
 * (bf_free; NULL when *n == 0) and *n. */
bf_status bf_store_stored_reps(bf_store *s, int64_t run_id, int **reps,
                               size_t *n, bf_error *err);

/* Takes a finished run back to 'running' so that replications can be
 * added, with replications_planned raised to at least `planned`.  Its
 * aggregates are dropped (bf_store_finish_run recomputes them).  A run
 * that is already running only gets its plan raised.  One transaction. */
bf_status bf_store_reopen_run(bf_store *s, int64_t run_id, int planned,
                              bf_error *err);

/* Deletes the time-series rows of replications of run_id that have no
 * `replications` row (left by a replication that never completed), so
 * that the replication can be run again.  OUT: *n_rows (may be NULL). */
bf_status bf_store_discard_incomplete(bf_store *s, int64_t run_id,
                                      int64_t *n_rows, bf_error *err);

/* Stores replication `rep` (0-based) of run_id: values[0..n_keys-1] in
 * the key order given to begin_run, events fired, wall time, and the
 * replication's histograms (hists[0..n_hists-1], each filed under a key;
 * only non-empty buckets are written).  One transaction.  A replication
 * already stored is refused (BF_ESTORE); a finished run takes none
 * (BF_ESTATE). */
bf_status bf_store_add_replication(bf_store *s, int64_t run_id, int rep,
                                   uint64_t events, double wall_s,
                                   const double *values,
                                   const bf_store_hist *hists, size_t n_hists,
                                   bf_error *err);

/* Appends time-series samples of replication rep.  One transaction. */
bf_status bf_store_add_series(bf_store *s, int64_t run_id, int rep,
                              const bf_store_sample *samples, size_t n,
                              bf_error *err);

/* Finishes a running run: recomputes its aggregates from every stored
 * replication (none if it has none) and sets the status ("done",
 * "partial", "failed" or "canceled") and the end time.  "done" is
 * recorded as "partial" if replications 0 .. planned-1 are not all
 * stored.  One transaction. */
bf_status bf_store_finish_run(bf_store *s, int64_t run_id, const char *status,
                              bf_error *err);

/* Values of metric key `key` of run_id for replications 0 .. n-1, NaN
 * where the replication is not stored or had no value.  OUT: out[0..n-1]. */
bf_status bf_store_rep_values(bf_store *s, int64_t run_id, size_t key, int n,
                              double *out, bf_error *err);

/* The stored aggregates of run_id, key order.  OUT: ci[0..n_keys-1]
 * (n = 0 and NaN for keys without one).  BF_EINVAL if n_keys differs from
 * the run's. */
bf_status bf_store_aggregates(bf_store *s, int64_t run_id, bf_ci *ci,
                              size_t n_keys, bf_error *err);

/* Records the outcome of a precision check of run_id: target relative
 * half-width, the metrics it covered (text), the replications it looked
 * at, and whether every metric met the target. */
bf_status bf_store_add_precision(bf_store *s, int64_t run_id, double target,
                                 const char *metrics, int replications,
                                 bool met, bf_error *err);

/* ---- sweeps ------------------------------------------------------------ */

typedef struct bf_store_sweep_record {
    const char *sweep_key;      /* 16 hex digits: identifies the definition */
    const char *scenario_name, *scenario_path, *scenario_text; /* the base */
    const char *base_overrides; /* --set of every point, one per line */
    const char *definition;     /* "key=v1,v2,...", one varied key a line */
    const char *const *keys;    /* varied keys, grid order (outermost first) */
    size_t n_keys;
    size_t n_points;            /* points in the whole grid */
    const char *command_line;
} bf_store_sweep_record;

/* The sweep with rec->sweep_key, recorded now if new.  OUT: *sweep_id. */
bf_status bf_store_sweep_begin(bf_store *s, const bf_store_sweep_record *rec,
                               int64_t *sweep_id, bf_error *err);

/* Links point `index` of sweep_id to run_id, with the point's varied
 * values as text ("station.fl_check.servers=6, ...").  Linking the same
 * pair again is a no-op; linking the index to a run of another point is
 * refused (BF_ESTORE). */
bf_status bf_store_sweep_add_point(bf_store *s, int64_t sweep_id,
                                   size_t index, int64_t run_id,
                                   const char *point, bf_error *err);

/* ---- paired comparisons ------------------------------------------------- */

/* One compared metric: means of both runs over the paired replications
 * and the paired difference (policy - base) with its 95% CI. */
typedef struct bf_store_diff {
    const char *scope_kind, *scope, *class_name, *metric, *unit;
    size_t n;                  /* pairs with a value on both sides */
    double base_mean, policy_mean;
    double diff_mean, diff_sd, half_width; /* half_width NaN if n < 2 */
    bool significant;          /* 0 outside the interval */
} bf_store_diff;

typedef struct bf_store_comparison {
    int64_t base_run_id, policy_run_id;
    int replications;          /* pairs 0 .. replications-1 */
    bool common_random_numbers; /* both runs used the same seed */
    const char *command_line;
} bf_store_comparison;

/* Records a comparison and its results.  One transaction.
 * OUT: *comparison_id. */
bf_status bf_store_add_comparison(bf_store *s, const bf_store_comparison *c,
                                  const bf_store_diff *diffs, size_t n,
                                  int64_t *comparison_id, bf_error *err);

/* ---- merging stores ----------------------------------------------------- */

typedef struct bf_merge_report {
    size_t runs_new;      /* runs (points) OUT did not have */
    size_t runs_joined;   /* runs of points OUT already had */
    size_t reps_new;      /* replications copied */
    size_t reps_same;     /* replications OUT already had, found identical */
    size_t sweeps_new, comparisons_new;
} bf_merge_report;

/* Checks, before anything is written, that every input can be merged
 * into s: each is a borderflow store of this schema version, none is the
 * output file itself, and all (and s, if it already holds runs) are of
 * one experiment: the same scenario files (by the hash of their text)
 * and the same sweep definitions.  BF_ESTORE naming the file and what
 * differs. */
bf_status bf_store_merge_check(bf_store *s, const char *const *inputs,
                               size_t n_inputs, bf_error *err);

/* Merges the store at in_path into s in one transaction: each run of
 * the input joins the run of the same point in s (by uid, then by point
 * key), or is copied as a new run; replications s lacks are copied with
 * their metrics, histograms and time series; replications s has must be
 * identical (metrics, events, histograms, time series where both have
 * them), else BF_ESTORE naming the point and the replication and nothing
 * of this input is written.  Touched runs get their aggregates
 * recomputed and the status done or partial.  Sweeps, sweep points,
 * precision checks, comparisons and invocations are copied too.
 * OUT: *rep (added to, may be NULL). */
bf_status bf_store_merge(bf_store *s, const char *in_path,
                         bf_merge_report *rep, bf_error *err);

#ifdef __cplusplus
}
#endif
#endif
