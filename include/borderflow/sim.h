/*
 * sim.h - one replication of a model: the engine, the entities, the
 * queues, the random streams and the statistics of a single simulated run.
 *
 * Life cycle:
 *
 *   bf_sim_create -----> [ready: t = 0, first arrivals scheduled]
 *        |  bf_sim_step / bf_sim_run_until(t)   (any number of times;
 *        v   statistics are reset when t passes the warm-up)
 *   [running: 0 <= t <= horizon]
 *        |  bf_sim_finish   (runs to the horizon if needed, closes the
 *        v                   time averages, flushes samples, computes values)
 *   [finished: bf_sim_values valid]          bf_sim_destroy from any state
 *
 * Metrics.  Every figure a replication produces is one double in an array
 * whose layout (the catalogue) depends on the model only, so all
 * replications of a model line up and the runner can aggregate them key
 * by key.  Keys that summarise a distribution (waits, times in system,
 * clearance times) also have a histogram, which the runner pools.
 *
 * Memory: a sim borrows the model (which must outlive it) and owns
 * everything else.  Its memory is bounded by the number of entities
 * present at once, not by the horizon: entities are recycled from a pool,
 * histograms have fixed size, and time-series samples are handed to the
 * sink in batches of at most BF_SIM_SAMPLE_BATCH.
 * A sim is used by one thread at a time.
 */
#ifndef BORDERFLOW_SIM_H
#define BORDERFLOW_SIM_H

#include "borderflow/common.h"
#include "borderflow/model.h"
#include "borderflow/stats.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bf_sim bf_sim;

/* ---- catalogue of metrics ------------------------------------------- */

typedef struct bf_metric_key {
    const char *scope_kind; /* system | class | station | delay | line */
    const char *scope;      /* node, class or line name; "" for system */
    const char *class_name; /* "" = all classes */
    const char *metric;     /* e.g. wait_p95 */
    const char *unit;       /* s, 1/h, entities, share, count */
    int hist;               /* index of its histogram, or -1 */
} bf_metric_key;

typedef struct bf_series_key {
    const char *scope_kind;
    const char *scope;
    const char *metric; /* queue_length, busy_servers, in_delay, in_system */
} bf_series_key;

typedef struct bf_catalog {
    bf_metric_key *keys;
    size_t n_keys;
    size_t n_hists;
    bf_series_key *series;
    size_t n_series;
    char *strings; /* owns the text all keys point into */
    struct bf_layout *layout; /* private to the simulator */
} bf_catalog;

/* The catalogue of a model.  OUT: *out, freed with bf_catalog_destroy. */
bf_status bf_catalog_create(const bf_model *m, bf_catalog **out);
void bf_catalog_destroy(bf_catalog *c);

/* Index of a key, or -1.  class_name "" for all classes. */
long bf_catalog_find(const bf_catalog *c, const char *scope_kind,
                     const char *scope, const char *class_name,
                     const char *metric);

/* ---- time series sink ----------------------------------------------- */

#define BF_SIM_SAMPLE_BATCH 1024

typedef struct bf_sample {
    double t;
    uint32_t series;
    double value;
} bf_sample;

/* Receives batches of samples; returns BF_OK or an error that stops the
 * run.  Called on the thread running the sim. */
typedef bf_status (*bf_sample_fn)(void *ctx, const bf_sample *s, size_t n);

/* ---- running one replication ---------------------------------------- */

/* Creates replication `rep` of model m, seeded from (seed, rep, purpose)
 * streams.  cat must be bf_catalog_create(m).  sink may be NULL (samples
 * are then not kept).  Returns NULL if out of memory.  m and cat are
 * borrowed. */
bf_sim *bf_sim_create(const bf_model *m, const bf_catalog *cat, uint64_t seed,
                      uint32_t rep, bf_sample_fn sink, void *sink_ctx);
void bf_sim_destroy(bf_sim *s);

/* Fires the next event if it is before the horizon.  Returns false at the
 * horizon. */
bool bf_sim_step(bf_sim *s);

/* Runs all events up to min(t, horizon).  BF_ENOMEM if the entity pool or
 * event set could not grow, or the sink's error. */
bf_status bf_sim_run_until(bf_sim *s, bf_time t);

/* While *flag is non-zero, bf_sim_run_until returns BF_ECANCELED within a
 * few thousand events.  flag is borrowed; NULL switches it off. */
void bf_sim_set_cancel(bf_sim *s, volatile int *flag);

/* Runs to the horizon and computes the values. */
bf_status bf_sim_finish(bf_sim *s);

bf_time bf_sim_now(const bf_sim *s);
uint64_t bf_sim_events(const bf_sim *s);
/* Entities currently in the system. */
size_t bf_sim_in_system(const bf_sim *s);

/* After finish: values[cat->n_keys] and the histograms[cat->n_hists]. */
const double *bf_sim_values(const bf_sim *s);
const bf_hist *bf_sim_hist(const bf_sim *s, size_t i);

#ifdef __cplusplus
}
#endif
#endif
