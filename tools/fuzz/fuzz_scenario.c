/*
 * fuzz_scenario.c - libFuzzer target for the scenario loader.
 *
 * Feeds arbitrary bytes to bf_scenario_parse as if they were a scenario
 * file.  When the text is accepted it also exercises everything that reads
 * a loaded model: bf_model_describe, bf_catalog_create, bf_scenario_param,
 * and a short simulation.
 *
 * The simulation re-parses the same text with overrides that force a
 * ten-minute horizon and one-minute sampling (so "horizon = 100w" or
 * "sample_every = 1s" cost nothing), and is skipped when the expected
 * amount of work is large: arrivals over the horizon (Poisson rates at
 * their profile's peak, whole shuttle groups, trace entries, initial
 * entities) times route length times nodes.  Renewal processes whose
 * inter-arrival time has a squared coefficient of variation above 100 are
 * skipped too: their mean rate says little about the bursts they send.
 * Within those bounds a model fires at most ~WORK_MAX events, so reaching
 * STEP_MAX (10 x WORK_MAX) means the clock is stuck or something loops:
 * the target aborts and libFuzzer keeps the input.
 *
 * Files.  trace(file=...) arrivals read a file, relative to the
 * scenario's directory.  The scenario is therefore named
 * /tmp/bf-fuzz-XXXXXX/fuzz.ini, a fresh directory holding one small trace,
 * t.csv, so that relative names can be explored (the target must not
 * chdir: libFuzzer writes to the corpus directories by relative name).
 * Inputs that mention /dev/, /proc/, /sys/ or /run/ are skipped: reading
 * /dev/zero or /dev/stdin would only measure the machine.
 *
 * Not part of the CMake build: see tools/fuzz/build.sh and README.md.
 * The library never prints, so a run is silent unless a sanitizer, an
 * assert or the step check fires.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "borderflow/model.h"
#include "borderflow/scenario.h"
#include "borderflow/sim.h"

#define WORK_MAX 2e4
#define STEP_MAX 200000

static const char *const sim_sets[] = {
    "simulation.horizon=10min",
    "simulation.warmup=2min",
    "simulation.replications=1",
    "simulation.sample_every=1min",
};

/* "/tmp/bf-fuzz-XXXXXX/fuzz.ini", or "fuzz.ini" if no directory could be
 * made (relative traces are then looked up in the working directory). */
static char scenario_name[64] = "fuzz.ini";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char dir[] = "/tmp/bf-fuzz-XXXXXX";
    if (!mkdtemp(dir))
        return 0;
    char trace[64];
    snprintf(scenario_name, sizeof scenario_name, "%s/fuzz.ini", dir);
    snprintf(trace, sizeof trace, "%s/t.csv", dir);
    FILE *f = fopen(trace, "w");
    if (f) {
        fputs("time,whitelisted,predeclared,risk\n"
              "0,1,,low\n"
              "30,0,1,\n"
              "1.5min,,,high\n"
              "# a comment\n"
              "2min\n"
              "2min,1,1,medium\n",
              f);
        fclose(f);
    }
    return 0;
}

static bool mentions(const uint8_t *data, size_t size, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= size; i++)
        if (memcmp(data + i, s, n) == 0)
            return true;
    return false;
}

/* Expected number of events, roughly; INFINITY when unbounded or unknown. */
static double expected_work(const bf_model *m)
{
    double work = 0.0;
    double per_entity_base = (double)(m->n_nodes + 1);
    for (size_t c = 0; c < m->n_classes; c++) {
        const bf_class *cl = &m->classes[c];
        double arrivals = 0.0;
        switch (cl->arrival_kind) {
        case BF_ARR_RENEWAL: {
            double mean = bf_dist_mean(&cl->interarrival);
            double var = bf_dist_variance(&cl->interarrival);
            if (!(mean > 0) || var > 100.0 * mean * mean)
                return INFINITY;
            arrivals = m->horizon / mean + 1.0;
            break;
        }
        case BF_ARR_PROFILE: {
            double peak = 0.0;
            for (int h = 0; h < BF_HOURS_PER_WEEK; h++)
                peak = fmax(peak, cl->profile[h]);
            arrivals = cl->rate * peak * m->horizon + 1.0;
            break;
        }
        case BF_ARR_BATCH:
            arrivals = (floor(m->horizon / cl->batch_every) + 1.0) * cl->batch_size;
            break;
        case BF_ARR_TRACE:
            for (size_t i = 0; i < cl->n_trace && cl->trace_times[i] <= m->horizon; i++)
                arrivals += 1.0;
            break;
        }
        work += arrivals * (double)(cl->route.n_ops + 1) * per_entity_base;
    }
    for (size_t i = 0; i < m->n_initial; i++)
        work += (double)m->initial[i].count *
                (double)(m->classes[m->initial[i].cls].route.n_ops + 1) * per_entity_base;
    /* Staffing changes and samples. */
    for (size_t n = 0; n < m->n_nodes; n++)
        work += (double)m->nodes[n].n_shifts * (m->horizon / 86400.0 + 1.0);
    work += m->sample_every > 0 ? m->horizon / m->sample_every + 1.0 : 0.0;
    return work;
}

static void run_sim(const uint8_t *data, size_t size)
{
    bf_scenario *sc = NULL;
    bf_error err;
    if (bf_scenario_parse((const char *)data, size, scenario_name, sim_sets,
                          sizeof sim_sets / sizeof sim_sets[0], &sc, &err) != BF_OK)
        return; /* e.g. a batch offset longer than the forced horizon */
    const bf_model *m = sc->model;
    if (!(expected_work(m) <= WORK_MAX)) {
        bf_scenario_destroy(sc);
        return;
    }
    bf_catalog *cat = NULL;
    if (bf_catalog_create(m, &cat) != BF_OK) {
        bf_scenario_destroy(sc);
        return;
    }
    bf_sim *s = bf_sim_create(m, cat, m->seed, 0, NULL, NULL);
    if (s) {
        size_t steps = 0;
        while (steps < STEP_MAX && bf_sim_step(s))
            steps++;
        if (steps >= STEP_MAX) {
            fprintf(stderr, "fuzz_scenario: %d events without reaching the horizon "
                    "(clock at %.17gs of %gs): a stuck clock or a loop\n",
                    STEP_MAX, bf_sim_now(s), m->horizon);
            abort();
        }
        if (bf_sim_finish(s) == BF_OK) {
            /* Touch every value so a bad index in the catalogue shows. */
            const double *v = bf_sim_values(s);
            volatile double sum = 0.0;
            for (size_t i = 0; i < cat->n_keys; i++)
                if (!isnan(v[i]))
                    sum += v[i];
            (void)sum;
        }
        bf_sim_destroy(s);
    }
    bf_catalog_destroy(cat);
    bf_scenario_destroy(sc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (mentions(data, size, "/dev/") || mentions(data, size, "/proc/") ||
        mentions(data, size, "/sys/") || mentions(data, size, "/run/"))
        return 0;
    bf_scenario *sc = NULL;
    bf_error err;
    bf_status st = bf_scenario_parse((const char *)data, size, scenario_name, NULL, 0, &sc, &err);
    if (st != BF_OK) {
        /* The error must be printable. */
        char buf[1024];
        bf_error_format(&err, buf, sizeof buf);
        return 0;
    }
    char *text = NULL;
    if (bf_model_describe(sc->model, &text) == BF_OK)
        bf_free(text);
    bf_catalog *cat = NULL;
    if (bf_catalog_create(sc->model, &cat) == BF_OK)
        bf_catalog_destroy(cat);
    for (size_t i = 0; i < sc->n_params; i++)
        (void)bf_scenario_param(sc, sc->param_keys[i]);
    bf_scenario_destroy(sc);

    run_sim(data, size);
    return 0;
}
