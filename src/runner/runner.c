/*
 * runner.c - a fixed pool of POSIX threads running units of work
 * (model, seed, replication) that a `next` callback hands out.  Each
 * worker owns the bf_sim of the unit it runs; the only shared state is
 * the pool's bookkeeping and whatever the callbacks share, all under one
 * mutex, with a condition variable for workers waiting on BF_NEXT_WAIT.
 *
 * bf_runner_run (the replications of one model) is a client of the pool:
 * its `next` hands out replication numbers in order and its `on_unit`
 * files each replication's values in its own row, so the aggregates,
 * computed afterwards in replication order, do not depend on the threads.
 *
 * Stopping.  The first error (or a cancel request) is recorded once; the
 * units running then check it between the 64 slices of their horizon and
 * are abandoned, no new unit starts, and no callback is called after it.
 */
#include "borderflow/runner.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct pool {
    const bf_pool_opts *o;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int running;      /* units being simulated */
    bool ended;       /* next said END (or WAIT with nothing running) */
    bf_status st;     /* first failure; BF_OK while all is well */
    atomic_int stop;  /* st != BF_OK, readable without the lock */
    double lock_wait_s; /* summed over workers */
    char why[256];
} pool;

/* A worker's buffer of the samples of the unit it runs. */
typedef struct sink_ctx {
    pool *p;
    const bf_unit *u;
    bf_sample *buf;
    size_t n, cap;
} sink_ctx;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Takes the pool's lock, adding the time spent waiting for it. */
static void lock_timed(pool *p)
{
    if (pthread_mutex_trylock(&p->lock) == 0)
        return;
    double t0 = now_s();
    pthread_mutex_lock(&p->lock);
    p->lock_wait_s += now_s() - t0;
}

/* Records the first failure.  Lock held. */
static void fail(pool *p, bf_status st, const char *why)
{
    if (p->st == BF_OK) {
        p->st = st;
        snprintf(p->why, sizeof p->why, "%s", why);
        atomic_store(&p->stop, 1);
        pthread_cond_broadcast(&p->wake);
    }
}

static bool stop_requested(pool *p)
{
    return (p->o->cancel && *p->o->cancel) || atomic_load(&p->stop);
}

/* Hands the buffered samples to on_samples.  Lock held. */
static bf_status flush_samples(sink_ctx *sc)
{
    pool *p = sc->p;
    bf_status st = p->st;
    if (st == BF_OK && sc->n && p->o->on_samples) {
        st = p->o->on_samples(p->o->ctx, sc->u, sc->buf, sc->n);
        if (st != BF_OK) {
            char why[96];
            snprintf(why, sizeof why, "writing time series of replication %u failed",
                     sc->u->rep + 1);
            fail(p, st, why);
        }
    }
    sc->n = 0;
    return st;
}

/* The simulator's sink: samples go to the worker's buffer; a full buffer
 * is handed on under the lock. */
static bf_status sample_sink(void *ctx, const bf_sample *s, size_t n)
{
    sink_ctx *sc = ctx;
    for (size_t i = 0; i < n;) {
        if (sc->n == sc->cap) {
            lock_timed(sc->p);
            bf_status st = flush_samples(sc);
            pthread_mutex_unlock(&sc->p->lock);
            if (st != BF_OK)
                return st;
        }
        size_t k = n - i < sc->cap - sc->n ? n - i : sc->cap - sc->n;
        memcpy(sc->buf + sc->n, s + i, k * sizeof *s);
        sc->n += k;
        i += k;
    }
    return BF_OK;
}

/* Simulates unit u to the end, its samples into sc.  No lock held. */
static bf_status run_unit(pool *p, const bf_unit *u, sink_ctx *sc, bf_sim **out)
{
    sc->u = u;
    sc->n = 0;
    bf_sim *sim = bf_sim_create(u->model, u->cat, u->seed, u->rep,
                                p->o->keep_series ? sample_sink : NULL, sc);
    *out = sim;
    if (!sim)
        return BF_ENOMEM;
    /* Run in slices so that a cancel request is honoured promptly even in
     * a long replication. */
    bf_time horizon = u->model->horizon;
    double slice = horizon / 64.0;
    bf_status st = BF_OK;
    for (int k = 1; st == BF_OK && k <= 64; k++) {
        st = bf_sim_run_until(sim, k == 64 ? horizon : slice * k);
        if (st == BF_OK && stop_requested(p))
            st = BF_ECANCELED;
    }
    if (st == BF_OK)
        st = bf_sim_finish(sim);
    return st;
}

static void *worker(void *arg)
{
    pool *p = arg;
    const bf_pool_opts *o = p->o;
    sink_ctx sc = {.p = p};
    if (o->keep_series) {
        sc.cap = o->sample_buffer ? o->sample_buffer : 65536;
        sc.buf = bf_malloc(sc.cap * sizeof *sc.buf);
    }
    pthread_mutex_lock(&p->lock);
    if (o->keep_series && !sc.buf)
        fail(p, BF_ENOMEM, "out of memory for the time-series buffer");
    for (;;) {
        if (p->st == BF_OK && o->cancel && *o->cancel)
            fail(p, BF_ECANCELED, "interrupted");
        if (p->st != BF_OK || p->ended)
            break;
        bf_unit u;
        bf_next n = o->next(o->ctx, &u);
        if (n == BF_NEXT_END || (n == BF_NEXT_WAIT && p->running == 0)) {
            p->ended = true;
            pthread_cond_broadcast(&p->wake);
            break;
        }
        if (n == BF_NEXT_WAIT) {
            pthread_cond_wait(&p->wake, &p->lock);
            continue;
        }

        p->running++;
        pthread_mutex_unlock(&p->lock);
        double t0 = now_s();
        bf_sim *sim = NULL;
        bf_status st = run_unit(p, &u, &sc, &sim);
        double wall = now_s() - t0;
        lock_timed(p);
        p->running--;
        /* The unit's last samples go out just before the unit itself. */
        if (st == BF_OK && p->st == BF_OK)
            st = flush_samples(&sc);
        sc.n = 0;
        if (st != BF_OK) {
            /* A unit stopped because another failed says nothing new. */
            if (!(st == BF_ECANCELED && p->st != BF_OK))
                fail(p, st, st == BF_ENOMEM ? "out of memory while simulating"
                            : st == BF_ECANCELED ? "interrupted" : "a replication failed");
        } else if (p->st == BF_OK && o->on_unit) {
            bf_status cs = o->on_unit(o->ctx, &u, sim, wall);
            if (cs != BF_OK)
                fail(p, cs, "storing a replication failed");
        }
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->lock);
        bf_sim_destroy(sim);
        lock_timed(p);
    }
    pthread_mutex_unlock(&p->lock);
    bf_free(sc.buf);
    return NULL;
}

bf_status bf_runner_pool(const bf_pool_opts *o, bf_error *err)
{
    pool p = {.o = o};
    atomic_init(&p.stop, 0);
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.wake, NULL);
    int jobs = o->jobs > 0 ? o->jobs : bf_runner_default_jobs();
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
    pthread_cond_destroy(&p.wake);
    pthread_mutex_destroy(&p.lock);
    if (o->lock_wait_s)
        *o->lock_wait_s = p.lock_wait_s;
    if (p.st != BF_OK)
        return bf_error_set(err, p.st, "%s", p.why);
    return BF_OK;
}

/* ---- the replications of one model ------------------------------------ */

typedef struct run_ctx {
    const bf_model *m;
    const bf_catalog *cat;
    const bf_run_opts *o;
    int next_rep;
    int done;
    bf_run_result *res;
    /* [replications x n_hists]: each histogram's sum, so that the pooled
     * sums can be added in replication order (floating-point addition is
     * not associative; the counts are integers and pool in any order). */
    double *sums;
} run_ctx;

static bf_next run_next(void *ctx, bf_unit *out)
{
    run_ctx *rc = ctx;
    if (rc->next_rep >= rc->o->replications)
        return BF_NEXT_END;
    *out = (bf_unit){rc->m, rc->cat, rc->o->seed, (uint32_t)rc->next_rep++, 0};
    return BF_NEXT_UNIT;
}

static bf_status run_on_unit(void *ctx, const bf_unit *u, const bf_sim *sim, double wall_s)
{
    run_ctx *rc = ctx;
    bf_run_result *r = rc->res;
    int rep = (int)u->rep;
    memcpy(&r->values[(size_t)rep * r->n_keys], bf_sim_values(sim), r->n_keys * sizeof(double));
    for (size_t h = 0; h < r->n_hists; h++) {
        const bf_hist *sh = bf_sim_hist(sim, h);
        bf_hist_merge(&r->pooled[h], sh);
        rc->sums[(size_t)rep * r->n_hists + h] = sh->sum;
    }
    r->events += bf_sim_events(sim);
    if (rc->o->on_rep) {
        bf_status st = rc->o->on_rep(rc->o->ctx, rep, sim, wall_s);
        if (st != BF_OK)
            return st;
    }
    rc->done++;
    if (rc->o->on_progress)
        rc->o->on_progress(rc->o->ctx, rc->done, rc->o->replications);
    return BF_OK;
}

static bf_status run_on_samples(void *ctx, const bf_unit *u, const bf_sample *s, size_t n)
{
    run_ctx *rc = ctx;
    return rc->o->on_samples ? rc->o->on_samples(rc->o->ctx, (int)u->rep, s, n) : BF_OK;
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
    double *sums = bf_calloc((size_t)o->replications * (cat->n_hists ? cat->n_hists : 1),
                             sizeof *sums);
    if (!r->values || !r->ci || !r->pooled || !col || !sums) {
        bf_free(col);
        bf_free(sums);
        bf_run_result_destroy(r);
        return bf_error_set(err, BF_ENOMEM, "out of memory");
    }
    for (size_t h = 0; h < cat->n_hists; h++)
        bf_hist_init(&r->pooled[h]);

    run_ctx rc = {.m = m, .cat = cat, .o = o, .res = r, .sums = sums};
    int jobs = o->jobs > 0 ? o->jobs : bf_runner_default_jobs();
    bf_pool_opts po = {.jobs = jobs < o->replications ? jobs : o->replications,
                       .keep_series = o->keep_series, .next = run_next,
                       .on_unit = run_on_unit, .on_samples = run_on_samples,
                       .ctx = &rc, .cancel = o->cancel};
    bf_status st = bf_runner_pool(&po, err);
    if (st != BF_OK) {
        bf_free(col);
        bf_free(sums);
        bf_run_result_destroy(r);
        return st;
    }
    for (size_t h = 0; h < cat->n_hists; h++) {
        double sum = 0.0;
        for (int i = 0; i < o->replications; i++)
            sum += sums[(size_t)i * cat->n_hists + h];
        r->pooled[h].sum = sum;
    }
    bf_free(sums);
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
