/*
 * runner.h - replications of a model, run on a pool of worker threads,
 * and their aggregation into means with 95% confidence intervals.
 *
 * Determinism.  Replication r always uses the streams of (seed, r), and
 * the aggregates are computed from the per-replication values in
 * replication order once all are done, and histograms are pooled by
 * integer addition (their sums, which are not integers, are added in
 * replication order at the end); so results are bit-identical whatever
 * the number of threads and whatever order replications finish in.
 *
 * bf_runner_run runs the replications of one model; bf_runner_pool runs
 * units (model, replication) handed out by the caller, which is how a
 * sweep keeps every worker busy across the points of a grid.  Both use
 * one fixed pool of POSIX threads.
 *
 * Callbacks.  on_rep and on_samples are called from worker threads, one at
 * a time (the runner holds its lock), so a callback may write to a store
 * that is not thread-safe.  on_rep is called in completion order, which
 * depends on scheduling; only the final aggregates are order-free.  If a
 * callback returns an error, no further replication starts, the ones
 * running are stopped, and bf_runner_run returns that error.
 *
 * Memory: the result owns its arrays; the model and catalogue are
 * borrowed and must outlive the call.
 */
#ifndef BORDERFLOW_RUNNER_H
#define BORDERFLOW_RUNNER_H

#include "borderflow/common.h"
#include "borderflow/model.h"
#include "borderflow/sim.h"
#include "borderflow/stats.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bf_run_opts {
    int replications;  /* >= 1 */
    uint64_t seed;
    int jobs;          /* worker threads; <= 0: number of online CPUs */
    bool keep_series;  /* call on_samples (else samples are dropped) */
    /* A replication finished: its values are bf_sim_values(sim). */
    bf_status (*on_rep)(void *ctx, int rep, const bf_sim *sim, double wall_s);
    bf_status (*on_samples)(void *ctx, int rep, const bf_sample *s, size_t n);
    void (*on_progress)(void *ctx, int done, int total);
    void *ctx;
    volatile int *cancel; /* set non-zero (e.g. from a signal handler) to stop */
} bf_run_opts;

typedef struct bf_run_result {
    int n_reps;
    size_t n_keys;
    double *values;  /* [n_reps][n_keys], replication order */
    bf_ci *ci;       /* [n_keys] */
    bf_hist *pooled; /* [cat->n_hists], all replications merged */
    size_t n_hists;
    uint64_t events; /* events fired, all replications */
    double wall_s;   /* elapsed time of the whole call */
} bf_run_result;

/* Runs opts->replications replications of m.  OUT: *out on BF_OK, freed
 * with bf_run_result_destroy.  Errors: BF_ENOMEM, BF_ECANCELED (cancel
 * was set), or what a callback returned; err says which. */
bf_status bf_runner_run(const bf_model *m, const bf_catalog *cat, const bf_run_opts *opts,
                        bf_run_result **out, bf_error *err);

void bf_run_result_destroy(bf_run_result *r);

/* ---- a pool of units from many models --------------------------------- */

/* One unit of work: replication rep of one model (a sweep point).  tag
 * is the caller's (e.g. the point's index); the runner only passes it
 * back. */
typedef struct bf_unit {
    const bf_model *model;
    const bf_catalog *cat;
    uint64_t seed;
    uint32_t rep;
    size_t tag;
} bf_unit;

typedef enum bf_next {
    BF_NEXT_UNIT, /* *out is the unit to run */
    BF_NEXT_WAIT, /* nothing now; ask again when a running unit finishes */
    BF_NEXT_END   /* nothing more, ever */
} bf_next;

/* Callbacks of bf_runner_pool.  All are called with the pool's lock held,
 * one at a time, from worker threads (next and on_idle also from the
 * caller's thread): they may share state with each other without locks
 * of their own, and may write to a store that is not thread-safe. */
typedef struct bf_pool_opts {
    int jobs;         /* worker threads; <= 0: number of online CPUs */
    bool keep_series; /* call on_samples (else samples are dropped) */
    /* Samples a worker keeps before handing them to on_samples (0:
     * 65536, about 1.5 MB): a unit's samples usually go out in one call,
     * just before its on_unit, so that simulations do not wait for each
     * other's writes; a longer unit hands them out whenever the buffer is
     * full.  Samples of an abandoned unit are dropped. */
    size_t sample_buffer;
    /* The next unit to run.  BF_NEXT_WAIT while no unit is running is
     * taken as BF_NEXT_END. */
    bf_next (*next)(void *ctx, bf_unit *out);
    /* A unit finished: its values are bf_sim_values(sim). */
    bf_status (*on_unit)(void *ctx, const bf_unit *u, const bf_sim *sim, double wall_s);
    bf_status (*on_samples)(void *ctx, const bf_unit *u, const bf_sample *s, size_t n);
    void *ctx;
    volatile int *cancel; /* set non-zero (e.g. from a signal handler) to stop */
    /* OUT (may be NULL): seconds the workers spent, in all, waiting for
     * the pool's lock while another held it (the cost of serialising the
     * callbacks: a store writer that was a bottleneck would show here). */
    double *lock_wait_s;
} bf_pool_opts;

/* Runs units from o->next on o->jobs threads until next says END, a
 * callback fails, a simulation fails or *cancel is set.  Units running
 * when it stops are abandoned (their on_unit is never called).  Errors:
 * BF_ENOMEM, BF_ECANCELED, or what a callback returned; err says which.
 * Deterministic results are the caller's to build: a unit's values depend
 * only on (model, seed, rep), never on the thread or the order. */
bf_status bf_runner_pool(const bf_pool_opts *o, bf_error *err);

/* Number of online CPUs (at least 1). */
int bf_runner_default_jobs(void);

#ifdef __cplusplus
}
#endif
#endif
