/*
 * sweep.h - sets of points run together into a results store: parameter
 * sweeps (the Cartesian grid of --vary values over one scenario), the two
 * sides of a paired comparison, and the single point of `borderflow run`.
 *
 * Vocabulary.  A *point* is one scenario with one set of overrides (so
 * one model, one seed).  A *unit* is one replication of one point: the
 * unit of work, of resumption and of sharding.  Unit (p, r) always uses
 * the random streams of (seed of p, r), so its results are the same
 * whatever the number of threads, the shard it ran in, or whether it ran
 * before an interruption.  A point's identity is its point key
 * (bf_store_point_key); a unit's is (point key, r).
 *
 * Layering: this module sits between the store and the command line.  It
 * loads scenarios, runs units on the runner's pool and writes through the
 * store; it never prints (progress goes to a callback).
 *
 * Life cycle:
 *
 *   bf_sweep_create --> [empty]
 *      | bf_sweep_set_grid (once)  or  bf_sweep_add_point (any number)
 *      v
 *   [points loaded and validated: every error in the scenario, the
 *    --vary values or any combination of them is reported here, before
 *    anything is run or stored]
 *      | bf_sweep_run (any number of times, e.g. with more replications)
 *      v
 *   bf_sweep_destroy
 *
 * Memory: a bf_sweep owns its points (their scenarios, catalogues and
 * labels); pointers returned by bf_sweep_point live as long as the sweep.
 * A bf_sweep_report is owned by the caller (bf_sweep_report_destroy).
 */
#ifndef BORDERFLOW_SWEEP_H
#define BORDERFLOW_SWEEP_H

#include "borderflow/common.h"
#include "borderflow/scenario.h"
#include "borderflow/sim.h"
#include "borderflow/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits: values of one varied key, and points of one grid. */
#define BF_SWEEP_MAX_VALUES 10000
#define BF_SWEEP_MAX_POINTS 100000

/* ---- varied keys ---------------------------------------------------------- */

/* One varied key and its values. */
typedef struct bf_vary {
    char *key;        /* canonical override path: "station.fl_check.servers" */
    char **values;    /* n_values strings, in the order given, distinct */
    size_t n_values;
    char origin[256]; /* "--vary", or the scenario file of a [sweep] key */
    int line;         /* line in origin, 0 for --vary */
} bf_vary;

/* Parses "KEY=SPEC" (a --vary argument, or a [sweep] line with origin
 * and line set).  SPEC is a comma-separated list of values and ranges:
 *   4,6,8     30%,50%,70%     4:12:2     2:3:0.5,5     "a, b",c
 * A range FROM:TO:STEP (step > 0 going up, < 0 going down) lists FROM,
 * FROM+STEP, ... up to TO; its three numbers may carry one unit suffix,
 * the same on all three (30%:70%:20%, 5min:15min:5min); the step may
 * leave it out.  Commas inside parentheses or double quotes do not split
 * (poisson(rate=1/h, ...)).  Values are trimmed.  KEY is canonicalised
 * (bf_key_canonical).
 * Errors (BF_EINVAL, err naming origin, line, key, value): no '=', a
 * malformed key, an empty value, a range with step 0, an empty range, a
 * range part that is not a number, units that differ, a value listed
 * twice, more than BF_SWEEP_MAX_VALUES values.  OUT: *out (zeroed first;
 * bf_vary_fini it also after an error). */
bf_status bf_vary_parse(const char *arg, const char *origin, int line,
                        bf_vary *out, bf_error *err);
void bf_vary_fini(bf_vary *v);

/* The canonical form of an override path: the section word singular
 * ("stations.x.servers" -> "station.x.servers", "classes." -> "class."),
 * as the scenario loader reads it.  false if key has no '.' or an empty
 * part, or does not fit in len. */
bool bf_key_canonical(const char *key, char *out, size_t len);

/* Loads a scenario file that may hold a [sweep] section (one line per
 * varied key, `KEY = SPEC` as for --vary).  The section is not part of
 * the model: it is cut out before the loader sees the text (line numbers
 * stay right), and (*out)->text is the whole file as read, [sweep]
 * included.  varies may be NULL (the section is then checked and
 * dropped).  OUT: *out; *varies, *n_varies (bf_vary_fini each, bf_free
 * the array).  Errors as bf_scenario_load, plus the [sweep] section's. */
bf_status bf_sweep_scenario_load(const char *path, const char *const *sets,
                                 size_t n_sets, bf_scenario **out,
                                 bf_vary **varies, size_t *n_varies,
                                 bf_error *err);

/* ---- shards ----------------------------------------------------------------- */

/* Parses "K/N" (1 <= K <= N <= 100000).  BF_EINVAL with a sentence. */
bf_status bf_shard_parse(const char *text, int *k, int *n, bf_error *err);

/* Shard (0-based) of unit (point, rep) among n: (point key mod n + rep)
 * mod n, with the point key read as a 64-bit number.  The replications of
 * a point go round the shards in turn, starting at a shard its key picks,
 * so every shard gets an equal share (within one) of every point, and a
 * unit's shard depends only on its own identity: not on the grid, the
 * other points, or how many replications are asked for. */
int bf_shard_of_unit(const char point_key[17], int rep, int n);

/* Shard of a whole point (for precision runs, whose replications must
 * stay together): point key mod n. */
int bf_shard_of_point(const char point_key[17], int n);

/* ---- selecting metrics -------------------------------------------------------- */

/* Indices of the catalogue keys matched by spec, a comma-separated list
 * of selectors KIND.SCOPE.METRIC or KIND.SCOPE.CLASS.METRIC (KIND.METRIC
 * is KIND.*.METRIC); SCOPE and CLASS may be '*'.  A three-part selector
 * matches the figures of the whole scope (class "" or, for a class scope,
 * the class itself).  Examples: station.*.wait_mean,
 * class.researcher.time_in_system_mean, station.sl_check.material.wait_p95.
 * Keys are listed once, in catalogue order.  BF_EINVAL if a selector is
 * malformed or matches nothing.  OUT: *idx (bf_free), *n. */
bf_status bf_metric_select(const bf_catalog *cat, const char *spec,
                           size_t **idx, size_t *n, bf_error *err);

/* The default selectors of --precision: "class.*.time_in_system_mean,
 * station.*.wait_mean". */
extern const char *const BF_PRECISION_DEFAULT_METRICS;

/* ---- the maths of precision and of paired comparisons --------------------------- */

/* Is ci precise to within target (relative half-width, 0.05 = 5%) or,
 * whichever is larger, within the absolute half-width floor (0: none)?
 * Keys without any value (n == 0) count as precise (nothing to measure);
 * n == 1 never does; a zero mean is precise only with a half-width within
 * the floor. */
bool bf_precision_met(const bf_ci *ci, double target, double floor);

/* After n replications whose worst key needs ratio = half_width /
 * max(target |mean|, floor) > 1: the next number of replications to try,
 * n ratio^2 (the usual sample-size estimate, half-width falling as
 * 1/sqrt(n)), but at least n + n/4 and at most 2n, so that a noisy
 * estimate from few replications neither crawls nor overshoots far; and
 * never above cap. */
int bf_precision_next(int n, double ratio, int cap);

/* A paired difference: policy[i] - base[i] over the i where both are
 * numbers (not NaN). */
typedef struct bf_paired {
    size_t n;                 /* pairs */
    double base_mean, policy_mean;
    bf_ci diff;               /* of policy - base */
    bool significant;         /* 0 outside [mean - hw, mean + hw] */
} bf_paired;

/* scratch: room for n doubles (the differences). */
bf_paired bf_paired_diff(const double *base, const double *policy, size_t n,
                         double *scratch);

/* ---- sets of points ------------------------------------------------------------- */

typedef struct bf_sweep bf_sweep;

typedef struct bf_point {
    size_t index;        /* position in the sweep (grid order) */
    bf_scenario *sc;     /* loaded with the base --set and the point's values */
    bf_catalog *cat;
    char point_key[17];
    char *label;         /* "station.fl_check.servers=6, ..." ("" if none) */
} bf_point;

bf_status bf_sweep_create(bf_sweep **out);
void bf_sweep_destroy(bf_sweep *sw);

/* Makes sw the grid over the scenario at path: the [sweep] section's keys
 * (file order), with each key of cli replacing the section's line for the
 * same key or, if new, appended.  The first key varies slowest.  Every
 * value of every key is checked alone (base + sets + that value: the
 * loader's own message, attributed to the --vary option or the [sweep]
 * line), then every point is loaded.  BF_EINVAL also for: no varied key,
 * a key given twice on the command line, a key both --set and varied,
 * simulation.replications varied, more than BF_SWEEP_MAX_POINTS points.
 * BF_EIO if the file cannot be read.  On failure sw stays empty. */
bf_status bf_sweep_set_grid(bf_sweep *sw, const char *path,
                            const char *const *sets, size_t n_sets,
                            const bf_vary *cli, size_t n_cli, bf_error *err);

/* Adds one point: the scenario at path with sets (a [sweep] section in
 * the file is ignored; *had_sweep says whether there was one, may be
 * NULL).  label is copied (NULL: ""). */
bf_status bf_sweep_add_point(bf_sweep *sw, const char *path,
                             const char *const *sets, size_t n_sets,
                             const char *label, bool *had_sweep,
                             bf_error *err);

size_t bf_sweep_n_points(const bf_sweep *sw);
const bf_point *bf_sweep_point(const bf_sweep *sw, size_t i);
/* The grid's varied keys (NULL, 0 for points added one by one). */
const bf_vary *bf_sweep_varies(const bf_sweep *sw, size_t *n);
/* The sweep key (16 hex digits) of a grid, "" otherwise. */
const char *bf_sweep_key(const bf_sweep *sw);

/* ---- running ---------------------------------------------------------------------- */

typedef struct bf_sweep_progress {
    size_t done;          /* units stored so far, this shard (earlier runs included) */
    size_t total;         /* units of this shard planned so far */
    size_t skipped;       /* of done: stored before this call */
    double elapsed_s;     /* since bf_sweep_run started */
    double eta_s;         /* estimate of the time left; NaN before the first unit */
} bf_sweep_progress;

typedef struct bf_sweep_opts {
    int replications;     /* per point (replications 0..n-1); <= 0: each
                           * point's simulation.replications */
    double precision;     /* > 0: add replications until the 95% CI
                           * half-width of the chosen metrics is within
                           * this share of the mean (0.05 = 5%) */
    const char *precision_metrics; /* selectors; NULL: the default */
    double precision_floor_s; /* an absolute half-width, s, within which a
                               * metric in seconds is precise whatever its
                               * mean (0: none; the command line's default
                               * is 1 s), so that a wait that is nearly
                               * always 0 does not demand thousands of
                               * replications */
    int min_replications; /* precision: start with at least this (<= 0: 5) */
    int max_replications; /* precision: cap (<= 0: 200) */
    int shard_k, shard_n; /* run only shard k (1-based) of n; n <= 1: all */
    bool new_runs;        /* true: a new run per point; false: continue the
                           * point's run in the store, if any (resume) */
    int jobs;             /* worker threads; <= 0: online CPUs */
    bool keep_series;
    const char *command_line;
    /* Called from the pool (under its lock) after each stored unit, and
     * once before the first with done = skipped. */
    void (*on_progress)(void *ctx, const bf_sweep_progress *p);
    void *ctx;
    volatile int *cancel;
} bf_sweep_opts;

typedef struct bf_point_result {
    int64_t run_id;       /* 0: no run in this store (no unit in the shard) */
    int target;           /* replications 0..target-1 aimed at */
    int stored;           /* replications of the run stored now */
    int ran;              /* of them, run by this call */
    int needed;           /* precision: replications at which it was met,
                           * or the cap; -1 without --precision */
    bool precise;         /* precision met (false without --precision) */
    char status[12];      /* the run's status at the end */
} bf_point_result;

typedef struct bf_sweep_report {
    size_t n_points;
    bf_point_result *points; /* [n_points], sweep order */
    int64_t sweep_id;        /* the sweeps row (grids only), else 0 */
    size_t units_total;      /* units of this shard in the plan */
    size_t units_skipped;    /* already stored before this call */
    size_t units_run;        /* run and stored by this call */
    uint64_t events;         /* events of the units run */
    double wall_s;           /* the whole call */
    double sim_s;            /* sum of the units' simulation times */
    double store_s;          /* time spent in store calls (SQLite) */
    double lock_wait_s;      /* time workers waited for each other's store
                              * writes (bf_pool_opts.lock_wait_s) */
} bf_sweep_report;

/* Runs the units of sw that belong to the shard and are not yet in the
 * store, storing each as it completes; a point's run is finished (its
 * aggregates computed) as soon as its last unit is in.  Before running:
 * points whose run exists are continued (new_runs false): replications
 * already stored are not run again, the time series of replications that
 * never completed are discarded, the run is reopened if finished.  For
 * a grid the sweep and its points are recorded (sweeps, sweep_points).
 * Errors: BF_ECANCELED (cancel set: units finished are stored, runs left
 * unfinished get status 'canceled'), store and runner errors, BF_EINVAL
 * for a precision selector that matches nothing.  OUT: *out, set also
 * after an error once anything was attempted (NULL otherwise); free with
 * bf_sweep_report_destroy. */
bf_status bf_sweep_run(bf_sweep *sw, bf_store *st, const bf_sweep_opts *o,
                       bf_sweep_report **out, bf_error *err);

void bf_sweep_report_destroy(bf_sweep_report *r);

/* ---- paired comparisons ------------------------------------------------------------ */

/* One compared metric, with names borrowed from the base point's
 * catalogue. */
typedef struct bf_compare_row {
    const bf_metric_key *key; /* the base's */
    bf_paired p;
} bf_compare_row;

typedef struct bf_compare_result {
    size_t n_rows;
    bf_compare_row *rows;
    int replications;     /* pairs 0..replications-1 */
    bool crn;             /* both sides used the same seed */
    int64_t comparison_id;
} bf_compare_result;

/* Pairs replication r of point `base` with replication r of point
 * `policy` of sw (both run into st by bf_sweep_run) for r <
 * replications, for the base's metrics matched by spec (NULL: mean and
 * p95 wait, time in system and throughput per class; mean and p95 wait
 * and utilization per station) that the policy also has, and records the
 * comparison in st (comparisons, comparison_results).
 * OUT: *out (bf_compare_result_destroy). */
bf_status bf_compare_points(bf_sweep *sw, size_t base, size_t policy,
                            const bf_sweep_report *rep, bf_store *st,
                            int replications, const char *spec,
                            const char *command_line,
                            bf_compare_result **out, bf_error *err);

void bf_compare_result_destroy(bf_compare_result *r);

extern const char *const BF_COMPARE_DEFAULT_METRICS;

#ifdef __cplusplus
}
#endif
#endif
