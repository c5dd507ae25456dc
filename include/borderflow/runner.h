/*
 * runner.h - replications of a model, run on a pool of worker threads,
 * and their aggregation into means with 95% confidence intervals.
 *
 * Determinism.  Replication r always uses the streams of (seed, r), and
 * the aggregates are computed from the per-replication values in
 * replication order once all are done, and histograms are pooled by
 * integer addition; so results are bit-identical whatever the number of
 * threads and whatever order replications finish in.
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

/* Number of online CPUs (at least 1). */
int bf_runner_default_jobs(void);

#ifdef __cplusplus
}
#endif
#endif
