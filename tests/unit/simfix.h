/*
 * simfix.h - a one-replication fixture shared by unit tests that check
 * exact results of small models: load scenario text (with --set style
 * overrides), run replication 0 to the horizon, read metrics by name.
 * Static inline functions in a header: each test is one executable.
 */
#ifndef BF_TESTS_SIMFIX_H
#define BF_TESTS_SIMFIX_H

#include <string.h>

#include "borderflow/scenario.h"
#include "borderflow/sim.h"

typedef struct fixture {
    bf_scenario *sc;
    bf_catalog *cat;
    bf_sim *sim;
} fixture;

/* Parses text (named `name` in messages and for relative paths) with
 * overrides; the sim is not created yet, so a test may still edit the
 * model (plain data, see model.h). */
static inline void load_named(fixture *f, const char *name, const char *text,
                              const char *const *sets, size_t n_sets)
{
    bf_error err;
    memset(f, 0, sizeof *f);
    if (bf_scenario_parse(text, strlen(text), name, sets, n_sets, &f->sc, &err) != BF_OK) {
        char msg[1024];
        bf_error_format(&err, msg, sizeof msg);
        fail_msg("scenario does not load: %s", msg);
    }
}

/* Creates replication 0 (samples go to sink, which may be NULL). */
static inline void start_sink(fixture *f, bf_sample_fn sink, void *ctx)
{
    assert_int_equal(bf_catalog_create(f->sc->model, &f->cat), BF_OK);
    f->sim = bf_sim_create(f->sc->model, f->cat, f->sc->model->seed, 0, sink, ctx);
    assert_non_null(f->sim);
}

static inline void start(fixture *f)
{
    start_sink(f, NULL, NULL);
}

/* Parses text and creates replication 0, not yet run. */
static inline void setup(fixture *f, const char *text)
{
    load_named(f, "t.ini", text, NULL, 0);
    start(f);
}

/* Loads text with overrides, runs one replication to the horizon. */
static inline void run_sets(fixture *f, const char *text, const char *const *sets,
                            size_t n_sets)
{
    load_named(f, "t.ini", text, sets, n_sets);
    start(f);
    assert_int_equal(bf_sim_finish(f->sim), BF_OK);
}

static inline void run(fixture *f, const char *text)
{
    run_sets(f, text, NULL, 0);
}

static inline void done(fixture *f)
{
    bf_sim_destroy(f->sim);
    bf_catalog_destroy(f->cat);
    bf_scenario_destroy(f->sc);
    memset(f, 0, sizeof *f);
}

static inline void teardown(fixture *f)
{
    done(f);
}

static inline bool has_key(const fixture *f, const char *sk, const char *scope,
                           const char *cls, const char *metric)
{
    return bf_catalog_find(f->cat, sk, scope, cls, metric) >= 0;
}

/* The metric's value; fails the test if the catalogue has no such key. */
static inline double value(const fixture *f, const char *sk, const char *scope,
                           const char *cls, const char *metric)
{
    long k = bf_catalog_find(f->cat, sk, scope, cls, metric);
    if (k < 0)
        fail_msg("no key %s/%s/%s/%s", sk, scope, cls, metric);
    const double *v = bf_sim_values(f->sim);
    assert_non_null(v); /* the replication has finished */
    return v[k];
}

#endif
