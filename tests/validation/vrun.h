/*
 * vrun.h - what the validation tests share: run a scenario text through
 * the runner, look metrics up by name, and check a replication mean
 * against theory.
 *
 * The check: theory must lie within k x the 95% half-width of the mean
 * across replications, plus a stated allowance, where k =
 * t(0.9995, n-1) / t(0.975, n-1) turns the 95% half-width into a 99.9%
 * one (so a correct simulator fails a given check about once in a
 * thousand seeds; the seeds are fixed, so each run is deterministic).
 * Every check of a model is printed and counted; vrun_finish fails the
 * test at the end if any failed, after freeing everything.
 *
 * Static functions in a header: each validation test is one executable.
 */
#ifndef BF_TESTS_VRUN_H
#define BF_TESTS_VRUN_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "borderflow/runner.h"
#include "borderflow/scenario.h"
#include "borderflow/stats.h"

/* One simulated model and its results. */
typedef struct vrun {
    bf_scenario *sc;
    bf_catalog *cat;
    bf_run_result *res;
    int n_failed; /* checks that failed, reported at the end of the test */
} vrun;

/* Parses text (a whole scenario) and runs its replications on `jobs`
 * threads with the scenario's seed. */
static void vrun_text(vrun *r, const char *name, const char *text, int jobs)
{
    bf_error err;
    bf_error_clear(&err);
    memset(r, 0, sizeof *r);
    if (bf_scenario_parse(text, strlen(text), name, NULL, 0, &r->sc, &err) != BF_OK) {
        char msg[1024];
        bf_error_format(&err, msg, sizeof msg);
        fail_msg("scenario %s does not load: %s", name, msg);
    }
    assert_int_equal(bf_catalog_create(r->sc->model, &r->cat), BF_OK);
    bf_run_opts o = {.replications = r->sc->model->replications,
                     .seed = r->sc->model->seed,
                     .jobs = jobs};
    if (bf_runner_run(r->sc->model, r->cat, &o, &r->res, &err) != BF_OK)
        fail_msg("run of %s failed: %s", name, err.msg);
    print_message("[%s] %d replications, %.3g events, %.2f s wall\n", name, r->res->n_reps,
                  (double)r->res->events, r->res->wall_s);
}

static void vrun_fini(vrun *r)
{
    bf_run_result_destroy(r->res);
    bf_catalog_destroy(r->cat);
    bf_scenario_destroy(r->sc);
    r->res = NULL;
    r->cat = NULL;
    r->sc = NULL;
}

/* Frees the run, then fails the test if any check failed (so that every
 * check of a model is reported, and nothing leaks, before failing). */
static void vrun_finish(vrun *r)
{
    int failed = r->n_failed;
    vrun_fini(r);
    if (failed)
        fail_msg("%d check(s) disagree with theory; see the FAIL lines above", failed);
}

static long key_of(const vrun *r, const char *kind, const char *scope, const char *cls,
                   const char *metric)
{
    long k = bf_catalog_find(r->cat, kind, scope, cls, metric);
    if (k < 0)
        fail_msg("no metric %s/%s/%s/%s in the catalogue", kind, scope, cls, metric);
    return k;
}

static const bf_ci *ci_of(const vrun *r, const char *kind, const char *scope, const char *cls,
                          const char *metric)
{
    return &r->res->ci[key_of(r, kind, scope, cls, metric)];
}

/* The 99.9% / 95% ratio of Student-t quantiles (see the file comment). */
static double k999(size_t n)
{
    double df = (double)n - 1.0;
    return bf_student_t_quantile(0.9995, df) / bf_student_t_quantile(0.975, df);
}

/* The check of the file comment: theory must lie in the 99.9% interval of
 * the replication mean, widened by `allowance`. */
static void check(vrun *r, const char *what, const bf_ci *ci, double theory, double allowance)
{
    double tol = ci->n >= 2 ? k999(ci->n) * ci->half_width + allowance : NAN;
    double diff = ci->mean - theory;
    bool ok = ci->n >= 2 && fabs(diff) <= tol; /* false for NaN */
    print_message("  %-4s %-34s sim %-12.6g +- %-9.3g (95%%, n=%zu) theory %-12.6g "
                  "diff %+.3g (%+.2f%%) tol %.3g\n",
                  ok ? "ok" : "FAIL", what, ci->mean, ci->half_width, ci->n, theory, diff,
                  100.0 * diff / theory, tol);
    if (!ok)
        r->n_failed++;
}

static void check_key(vrun *r, const char *kind, const char *scope, const char *cls,
                      const char *metric, double theory, double allowance)
{
    char what[160];
    snprintf(what, sizeof what, "%s %s%s%s %s", kind, scope, *cls ? "/" : "", cls, metric);
    check(r, what, ci_of(r, kind, scope, cls, metric), theory, allowance);
}

#endif
