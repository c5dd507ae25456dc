/*
 * runner.c - a fixed pool of POSIX threads pulling replication numbers
 * from a shared counter.  Each worker owns its bf_sim; the only shared
 * state is the counter, the result arrays (each replication writes its
 * own row) and the callbacks, all under one mutex.
 */
#include "borderflow/runner.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <math.h>
#include <unistd.h>

typedef struct pool {
    const bf_model *m;
    const bf_catalog *cat;
    const bf_run_opts *o;
    pthread_mutex_t lock;
    int next_rep;
    int done;
    bf_status st;
    char why[256];
    bf_run_result *res;
} pool;

typedef struct sink_ctx {
    pool *p;
    int rep;
} sink_ctx;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static bf_status sample_sink(void *ctx, const bf_sample *s, size_t n)
{
    sink_ctx *sc = ctx;
    pool *p = sc->p;
    pthread_mutex_lock(&p->lock);
    bf_status st = p->st;
    if (st == BF_OK && p->o->on_samples) {
        st = p->o->on_samples(p->o->ctx, sc->rep, s, n);
        if (st != BF_OK && p->st == BF_OK) {
            p->st = st;
            snprintf(p->why, sizeof p->why, "writing time series of replication %d failed",
                     sc->rep + 1);
        }
    }
    pthread_mutex_unlock(&p->lock);
    return st;
}

static bool stop_requested(pool *p)
{
    return p->o->cancel && *p->o->cancel;
}

static void fail(pool *p, bf_status st, const char *why)
{
    if (p->st == BF_OK) {
        p->st = st;
        snprintf(p->why, sizeof p->why, "%s", why);
    }
}

static void *worker(void *arg)
{
    pool *p = arg;
    const bf_run_opts *o = p->o;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        if (p->st == BF_OK && stop_requested(p))
            fail(p, BF_ECANCELED, "interrupted");
        int rep = p->st == BF_OK && p->next_rep < o->replications ? p->next_rep++ : -1;
        pthread_mutex_unlock(&p->lock);
        if (rep < 0)
            return NULL;

        double t0 = now_s();
        sink_ctx sc = {p, rep};
        bf_sim *sim = bf_sim_create(p->m, p->cat, o->seed, (uint32_t)rep,
                                    o->keep_series ? sample_sink : NULL, &sc);
        bf_status st = sim ? BF_OK : BF_ENOMEM;
        /* Run in slices so that a cancel request is honoured promptly even
         * in a long replication. */
        double slice = p->m->horizon / 64.0;
        for (int k = 1; st == BF_OK && k <= 64; k++) {
            st = bf_sim_run_until(sim, k == 64 ? p->m->horizon : slice * k);
            if (st == BF_OK && (stop_requested(p) || p->st != BF_OK))
                st = p->st != BF_OK ? p->st : BF_ECANCELED;
        }
        if (st == BF_OK)
            st = bf_sim_finish(sim);
        double wall = now_s() - t0;

        pthread_mutex_lock(&p->lock);
        if (st != BF_OK) {
            fail(p, st, st == BF_ENOMEM ? "out of memory while simulating"
                        : st == BF_ECANCELED ? "interrupted" : "a replication failed");
        } else if (p->st == BF_OK) {
            bf_run_result *r = p->res;
            memcpy(&r->values[(size_t)rep * r->n_keys], bf_sim_values(sim),
                   r->n_keys * sizeof(double));
            for (size_t h = 0; h < r->n_hists; h++)
                bf_hist_merge(&r->pooled[h], bf_sim_hist(sim, h));
            r->events += bf_sim_events(sim);
            if (o->on_rep) {
                bf_status cs = o->on_rep(o->ctx, rep, sim, wall);
                if (cs != BF_OK)
                    fail(p, cs, "storing a replication failed");
            }
            p->done++;
            if (p->st == BF_OK && o->on_progress)
                o->on_progress(o->ctx, p->done, o->replications);
        }
        pthread_mutex_unlock(&p->lock);
        bf_sim_destroy(sim);
    }
}

int bf_runner_default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

void bf_run_result_destroy(bf_run_result *r)
{
    if (!r)
        return;
    bf_free(r->values);
    bf_free(r->ci);
    bf_free(r->pooled);
    bf_free(r);
}

bf_status bf_runner_run(const bf_model *m, const bf_catalog *cat, const bf_run_opts *o,
                        bf_run_result **out, bf_error *err)
{
    double t0 = now_s();
    if (o->replications < 1)
        return bf_error_set(err, BF_EINVAL, "at least one replication is needed");
    bf_run_result *r = bf_calloc(1, sizeof *r);
    if (!r)
        return bf_error_set(err, BF_ENOMEM, "out of memory");
    r->n_reps = o->replications;
    r->n_keys = cat->n_keys;
    r->n_hists = cat->n_hists;
    r->values = bf_calloc((size_t)o->replications * cat->n_keys, sizeof(double));
    r->ci = bf_calloc(cat->n_keys, sizeof *r->ci);
    r->pooled = bf_malloc((cat->n_hists ? cat->n_hists : 1) * sizeof *r->pooled);
    double *col = bf_malloc((size_t)o->replications * sizeof *col);
    if (!r->values || !r->ci || !r->pooled || !col) {
        bf_free(col);
        bf_run_result_destroy(r);
        return bf_error_set(err, BF_ENOMEM, "out of memory");
    }
    for (size_t h = 0; h < cat->n_hists; h++)
        bf_hist_init(&r->pooled[h]);

    pool p = {.m = m, .cat = cat, .o = o, .res = r};
    pthread_mutex_init(&p.lock, NULL);
    int jobs = o->jobs > 0 ? o->jobs : bf_runner_default_jobs();
    if (jobs > o->replications)
        jobs = o->replications;
    pthread_t *th = bf_calloc((size_t)jobs, sizeof *th);
    int started = 0;
    if (th) {
        for (; started < jobs; started++)
            if (pthread_create(&th[started], NULL, worker, &p) != 0)
                break;
    }
    if (started == 0) /* no thread could start: run on this one */
        worker(&p);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    bf_free(th);
    pthread_mutex_destroy(&p.lock);

    if (p.st != BF_OK) {
        bf_free(col);
        bf_run_result_destroy(r);
        return bf_error_set(err, p.st, "%s", p.why);
    }
    /* Aggregate key by key, replications in index order.  NaN values
     * (no observation in that replication) are left out of the mean. */
    for (size_t k = 0; k < cat->n_keys; k++) {
        size_t n = 0;
        for (int i = 0; i < o->replications; i++) {
            double v = r->values[(size_t)i * cat->n_keys + k];
            if (!isnan(v))
                col[n++] = v;
        }
        if (n)
            r->ci[k] = bf_ci95(col, n);
        else
            r->ci[k] = (bf_ci){0, NAN, NAN, NAN};
    }
    bf_free(col);
    r->wall_s = now_s() - t0;
    *out = r;
    return BF_OK;
}
