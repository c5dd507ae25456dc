/*
 * exec.c - running the units of a sweep into a store: resume, shards,
 * precision targets, progress.
 *
 * Plan.  Before any thread starts, each point is matched with its run in
 * the store (bf_store_find_point; or a new run, for `run` without
 * --resume) and its stored replications are read.  A point's *target* is
 * the number of replications it needs (0..target-1); its units are the
 * replications below the target that belong to this shard and are not
 * stored.  A point with units gets its run reopened and the time series
 * of replications that never completed discarded; a new point gets a new
 * run.  With --precision the target is replayed from the stored
 * replications first (see below), so a rerun continues where the last
 * one stopped.
 *
 * Running.  The runner's pool asks `next` for units, point by point in
 * grid order (so points complete one after the other, and an interrupted
 * sweep leaves whole points behind, not a little of every point).  Each
 * finished unit is stored at once, in one transaction (on_unit).  When a
 * point has no unit left, it is finished: its aggregates are computed
 * from all its stored replications and its status set (done, or partial
 * if another shard holds the rest).
 *
 *   point states:  idle (no work in this shard) | working --(last unit
 *   stored)--> batch complete --precision not met, below cap--> working
 *                                \--else--> finished (run finished)
 *
 * Precision.  After the replications 0..n-1 of a point are all stored,
 * the chosen metrics' 95% CIs over them are checked against the target
 * (bf_precision_met); if one misses, the target becomes
 * bf_precision_next(n, worst ratio, cap).  The decision depends only on
 * the values of replications 0..n-1, never on timing, so the number of
 * replications a point ends with is the same whatever --jobs is, and a
 * resumed run makes the same decisions again from the stored values.
 * With --shard, precision keeps each point's replications together: a
 * point belongs to one shard (bf_shard_of_point).
 *
 * Determinism.  Units are identified by (point, replication) and their
 * values depend on nothing else; the store computes aggregates in
 * replication order.  The order units complete in only affects the
 * order of rows in the file and the progress line.
 *
 * Threads.  next, on_unit, on_samples run under the pool's lock, which
 * serialises every store call; the main thread uses the store only
 * before and after the pool.  The time spent in store calls is measured
 * (report->store_s) because the store writer is the one shared resource.
 */
#include "borderflow/sweep.h"

#include "sweep/sweep_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "borderflow/runner.h"

typedef struct pstate {
    const bf_point *pt;
    size_t index;
    int64_t run_id;
    bool active;        /* has had work in this call */
    bool finished;      /* no more work in this call */
    bool in_shard;      /* precision: the point is this shard's */
    int target;
    int cap;            /* size of have/busy */
    unsigned char *have, *busy;
    int scan;           /* next replication to consider handing out */
    int outstanding;    /* this shard's replications < target not stored */
    int ran;
    int needed;
    bool precise;
    size_t *hkey;       /* histogram groups: filed under key hkey[i] ... */
    int *hidx;          /* ... from bf_sim_hist(sim, hidx[i]) */
    size_t n_h;
    size_t *sel;        /* precision metrics */
    size_t n_sel;
} pstate;

typedef struct exec {
    bf_sweep *sw;
    bf_store *st;
    const bf_sweep_opts *o;
    pstate *ps;
    size_t n;
    size_t cur;         /* lowest point that may have units to hand out */
    size_t unfinished;  /* active points not finished */
    bool precision;
    int cap;            /* precision cap */
    int shard_k, shard_n; /* 0-based k */
    bf_sweep_report *rep;
    bf_error err;       /* the first failure inside a callback */
    bf_store_hist *hbuf;
    bf_store_sample sbuf[BF_SIM_SAMPLE_BATCH];
    double *vals;       /* precision: scratch [cap] */
    double *col;
    double t0, t_pool;
    bool planning;      /* plan_point's replay: counts are made afterwards */
} exec;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static bool unit_in_shard(const exec *ex, const pstate *p, int rep)
{
    if (ex->shard_n <= 1)
        return true;
    if (ex->precision)
        return p->in_shard;
    return bf_shard_of_unit(p->pt->point_key, rep, ex->shard_n) == ex->shard_k;
}

/* Grows have/busy to hold replications 0..n-1. */
static bf_status reserve(pstate *p, int n)
{
    if (n <= p->cap)
        return BF_OK;
    int nc = p->cap ? p->cap : 16;
    while (nc < n)
        nc *= 2;
    unsigned char *h = bf_realloc(p->have, (size_t)nc);
    if (!h)
        return BF_ENOMEM;
    p->have = h;
    unsigned char *b = bf_realloc(p->busy, (size_t)nc);
    if (!b)
        return BF_ENOMEM;
    p->busy = b;
    memset(p->have + p->cap, 0, (size_t)(nc - p->cap));
    memset(p->busy + p->cap, 0, (size_t)(nc - p->cap));
    p->cap = nc;
    return BF_OK;
}

/* Counts this shard's replications in [from, to) that are not stored. */
static int missing(const exec *ex, const pstate *p, int from, int to)
{
    int m = 0;
    for (int r = from; r < to; r++)
        m += !p->have[r] && unit_in_shard(ex, p, r);
    return m;
}

/* ---- the store, timed ------------------------------------------------------- */

/* s = call, adding the time it took to the report's store_s. */
#define TIMED(ex, s, call)                  \
    do {                                    \
        double t_ = now_s();                \
        (s) = (call);                       \
        (ex)->rep->store_s += now_s() - t_; \
    } while (0)

static void keys_of(const bf_catalog *cat, bf_store_key *keys, bf_store_series *ser)
{
    for (size_t i = 0; i < cat->n_keys; i++)
        keys[i] = (bf_store_key){cat->keys[i].scope_kind, cat->keys[i].scope,
                                 cat->keys[i].class_name, cat->keys[i].metric,
                                 cat->keys[i].unit};
    for (size_t i = 0; i < cat->n_series; i++)
        ser[i] = (bf_store_series){cat->series[i].scope_kind, cat->series[i].scope,
                                   cat->series[i].metric};
}

/* Begins a new run for point p (new_run) or checks the found one's keys. */
static bf_status point_run(exec *ex, pstate *p, bool new_run, bf_error *err)
{
    const bf_catalog *cat = p->pt->cat;
    const bf_scenario *sc = p->pt->sc;
    const bf_model *m = sc->model;
    bf_store_key *keys = bf_calloc(cat->n_keys ? cat->n_keys : 1, sizeof *keys);
    bf_store_series *ser = bf_calloc(cat->n_series ? cat->n_series : 1, sizeof *ser);
    bf_status s;
    if (!keys || !ser) {
        s = bf_error_set(err, BF_ENOMEM, "out of memory");
    } else {
        keys_of(cat, keys, ser);
        if (new_run) {
            bf_run_record rec = {
                .scenario_name = m->name, .scenario_path = sc->path,
                .scenario_text = sc->text, .overrides = sc->overrides,
                .command_line = ex->o->command_line ? ex->o->command_line : "",
                .seed = m->seed, .replications = p->target, .horizon_s = m->horizon,
                .warmup_s = m->warmup, .sample_every_s = m->sample_every,
                .param_keys = (const char *const *)sc->param_keys,
                .param_values = (const char *const *)sc->param_values,
                .n_params = sc->n_params};
            TIMED(ex, s, bf_store_begin_run(ex->st, &rec, keys, cat->n_keys, ser,
                                             cat->n_series, &p->run_id, err));
        } else {
            TIMED(ex, s, bf_store_check_keys(ex->st, p->run_id, keys, cat->n_keys, ser,
                                              cat->n_series, err));
        }
    }
    bf_free(keys);
    bf_free(ser);
    return s;
}

/* The run of a point that had none is begun when its first unit is
 * stored, so that an interrupted sweep leaves no empty runs behind for the
 * points it never reached.  Under the pool lock. */
static bf_status ensure_run(exec *ex, pstate *p, bf_error *err)
{
    if (p->run_id)
        return BF_OK;
    bf_status s = point_run(ex, p, true, err);
    if (s == BF_OK && ex->sw->grid)
        TIMED(ex, s, bf_store_sweep_add_point(ex->st, ex->rep->sweep_id, p->index, p->run_id,
                                              p->pt->label, err));
    return s;
}

/* Precision: are replications 0..target-1 of p precise?  OUT: *met, and
 * the worst ratio half_width / (precision |mean|). */
static bf_status evaluate(exec *ex, pstate *p, bool *met, double *worst, bf_error *err)
{
    *met = true;
    *worst = 0;
    for (size_t i = 0; i < p->n_sel; i++) {
        bf_status s;
        TIMED(ex, s, bf_store_rep_values(ex->st, p->run_id, p->sel[i], p->target,
                                                    ex->vals, err));
        if (s != BF_OK)
            return s;
        size_t n = 0;
        for (int r = 0; r < p->target; r++)
            if (!isnan(ex->vals[r]))
                ex->col[n++] = ex->vals[r];
        bf_ci ci = bf_ci95(ex->col, n);
        /* The floor is in seconds: it applies to metrics in seconds. */
        double floor = strcmp(p->pt->cat->keys[p->sel[i]].unit, "s") == 0
                           ? ex->o->precision_floor_s : 0.0;
        if (bf_precision_met(&ci, ex->o->precision, floor))
            continue;
        *met = false;
        double allowed = ex->o->precision * fabs(ci.mean);
        if (allowed < floor)
            allowed = floor;
        double ratio = allowed > 0 && isfinite(ci.half_width) ? ci.half_width / allowed
                                                              : INFINITY;
        if (!(ratio <= *worst))
            *worst = ratio;
    }
    return BF_OK;
}

/* The metrics a precision check covered, for the store. */
static const char *precision_spec(const exec *ex)
{
    return ex->o->precision_metrics ? ex->o->precision_metrics : BF_PRECISION_DEFAULT_METRICS;
}

/* p has no units left below its target: check precision (which may
 * raise the target) or finish its run.  Under the pool lock, or before
 * the pool. */
static bf_status batch_complete(exec *ex, pstate *p, bf_error *err)
{
    if (ex->precision) {
        bool met;
        double worst;
        bf_status s = evaluate(ex, p, &met, &worst, err);
        if (s != BF_OK)
            return s;
        if (!met && p->target < ex->cap) {
            int next = bf_precision_next(p->target, worst, ex->cap);
            if ((s = reserve(p, next)) != BF_OK)
                return bf_error_set(err, s, "out of memory");
            int add = missing(ex, p, p->target, next);
            if (!ex->planning) {
                ex->rep->units_total += (size_t)(next - p->target);
                ex->rep->units_skipped += (size_t)(next - p->target - add);
            }
            p->outstanding += add;
            p->scan = p->target;
            p->target = next;
            if (p->run_id && p->active) {
                TIMED(ex, s, bf_store_reopen_run(ex->st, p->run_id, next, err));
                if (s != BF_OK)
                    return s;
            }
            if (p->index < ex->cur)
                ex->cur = p->index;
            return p->outstanding ? BF_OK : batch_complete(ex, p, err);
        }
        p->needed = p->target;
        p->precise = met;
        if (p->active) {
            TIMED(ex, s, bf_store_add_precision(ex->st, p->run_id, ex->o->precision,
                                                 precision_spec(ex), p->target, met, err));
            if (s != BF_OK)
                return s;
        }
    }
    if (p->active && !p->finished) {
        bf_status s;
        TIMED(ex, s, bf_store_finish_run(ex->st, p->run_id, "done", err));
        if (s != BF_OK)
            return s;
        ex->unfinished--;
    }
    p->finished = true;
    return BF_OK;
}

/* ---- the pool's callbacks --------------------------------------------------- */

static void progress(exec *ex)
{
    if (!ex->o->on_progress)
        return;
    bf_sweep_report *r = ex->rep;
    bf_sweep_progress pr = {.done = r->units_skipped + r->units_run, .total = r->units_total,
                            .skipped = r->units_skipped};
    double t = now_s();
    pr.elapsed_s = t - ex->t0;
    pr.eta_s = r->units_run ? (t - ex->t_pool) / (double)r->units_run *
                                  (double)(pr.total > pr.done ? pr.total - pr.done : 0)
                            : NAN;
    ex->o->on_progress(ex->o->ctx, &pr);
}

static bf_next next_unit(void *ctx, bf_unit *out)
{
    exec *ex = ctx;
    for (; ex->cur < ex->n; ex->cur++) {
        pstate *p = &ex->ps[ex->cur];
        if (!p->active || p->finished)
            continue;
        while (p->scan < p->target) {
            int r = p->scan++;
            if (p->have[r] || p->busy[r] || !unit_in_shard(ex, p, r))
                continue;
            p->busy[r] = 1;
            *out = (bf_unit){p->pt->sc->model, p->pt->cat, p->pt->sc->model->seed,
                             (uint32_t)r, ex->cur};
            return BF_NEXT_UNIT;
        }
    }
    return ex->unfinished ? BF_NEXT_WAIT : BF_NEXT_END;
}

static bf_status on_unit(void *ctx, const bf_unit *u, const bf_sim *sim, double wall_s)
{
    exec *ex = ctx;
    pstate *p = &ex->ps[u->tag];
    int r = (int)u->rep;
    bf_status s = ensure_run(ex, p, &ex->err);
    if (s != BF_OK)
        return s;
    for (size_t i = 0; i < p->n_h; i++)
        ex->hbuf[i] = (bf_store_hist){p->hkey[i], bf_sim_hist(sim, (size_t)p->hidx[i])};
    TIMED(ex, s, bf_store_add_replication(ex->st, p->run_id, r, bf_sim_events(sim),
                                                     wall_s, bf_sim_values(sim), ex->hbuf,
                                                     p->n_h, &ex->err));
    if (s != BF_OK)
        return s;
    p->have[r] = 1;
    p->busy[r] = 0;
    p->outstanding--;
    p->ran++;
    ex->rep->units_run++;
    ex->rep->events += bf_sim_events(sim);
    ex->rep->sim_s += wall_s;
    progress(ex);
    if (p->outstanding == 0)
        return batch_complete(ex, p, &ex->err);
    return BF_OK;
}

static bf_status on_samples(void *ctx, const bf_unit *u, const bf_sample *smp, size_t n)
{
    exec *ex = ctx;
    pstate *p = &ex->ps[u->tag];
    bf_status es = ensure_run(ex, p, &ex->err);
    if (es != BF_OK)
        return es;
    /* bf_sample and bf_store_sample have the same fields; copy rather than
     * cast so the two modules stay independent. */
    for (size_t i = 0; i < n;) {
        size_t k = 0;
        for (; k < BF_SIM_SAMPLE_BATCH && i < n; k++, i++)
            ex->sbuf[k] = (bf_store_sample){smp[i].t, smp[i].series, smp[i].value};
        bf_status s;
        TIMED(ex, s, bf_store_add_series(ex->st, p->run_id, (int)u->rep, ex->sbuf,
                                                    k, &ex->err));
        if (s != BF_OK)
            return s;
    }
    return BF_OK;
}

/* ---- planning ----------------------------------------------------------------- */

static bf_status plan_point(exec *ex, pstate *p, int64_t sweep_id, bf_error *err)
{
    const bf_sweep_opts *o = ex->o;
    const bf_model *m = p->pt->sc->model;
    int reps = o->replications > 0 ? o->replications : m->replications;
    p->needed = -1;
    p->in_shard = ex->shard_n <= 1 ||
                  bf_shard_of_point(p->pt->point_key, ex->shard_n) == ex->shard_k;
    if (ex->precision) {
        int lo = o->min_replications > 0 ? o->min_replications : 5;
        p->target = reps > lo ? reps : lo;
        if (p->target > ex->cap)
            p->target = ex->cap;
    } else {
        p->target = reps;
    }
    bf_status s;
    if ((s = reserve(p, p->target)) != BF_OK)
        return bf_error_set(err, s, "out of memory");

    /* Histograms: one per group, filed under the group's first key (its
     * _mean), as `run` always did. */
    const bf_catalog *cat = p->pt->cat;
    /* A histogram shared by several scopes (a station visited by one
     * class only) is filed under each, so there can be more groups than
     * histograms. */
    p->hkey = bf_malloc((cat->n_keys ? cat->n_keys : 1) * sizeof *p->hkey);
    p->hidx = bf_malloc((cat->n_keys ? cat->n_keys : 1) * sizeof *p->hidx);
    if (!p->hkey || !p->hidx)
        return bf_error_set(err, BF_ENOMEM, "out of memory");
    for (size_t h = 0; h < cat->n_keys; h++)
        if (cat->keys[h].hist >= 0 && (h == 0 || cat->keys[h - 1].hist != cat->keys[h].hist)) {
            p->hkey[p->n_h] = h;
            p->hidx[p->n_h++] = cat->keys[h].hist;
        }
    if (ex->precision) {
        s = bf_metric_select(cat, precision_spec(ex), &p->sel, &p->n_sel, err);
        if (s != BF_OK)
            return s;
    }
    if (ex->precision && !p->in_shard)
        return BF_OK;

    bf_store_run_info info = {0};
    if (!o->new_runs) {
        TIMED(ex, s, bf_store_find_point(ex->st, p->pt->point_key, sweep_id, &info, err));
        if (s != BF_OK)
            return s;
    }
    p->run_id = info.run_id;
    if (p->run_id) {
        s = point_run(ex, p, false, err);
        int *reps_v = NULL;
        size_t n_reps = 0;
        if (s == BF_OK)
            TIMED(ex, s, bf_store_stored_reps(ex->st, p->run_id, &reps_v, &n_reps, err));
        if (s == BF_OK && n_reps && (s = reserve(p, reps_v[n_reps - 1] + 1)) != BF_OK)
            s = bf_error_set(err, s, "out of memory");
        for (size_t i = 0; s == BF_OK && i < n_reps; i++)
            p->have[reps_v[i]] = 1;
        bf_free(reps_v);
        if (s != BF_OK)
            return s;
    }

    /* Precision: replay the decisions the stored replications allow. */
    p->outstanding = missing(ex, p, 0, p->target);
    if (ex->precision && p->run_id)
        while (p->outstanding == 0 && !p->finished) {
            int before = p->target;
            s = batch_complete(ex, p, err);
            if (s != BF_OK)
                return s;
            if (p->target == before)
                break;
        }
    int in_shard_total = 0;
    for (int r = 0; r < p->target; r++)
        in_shard_total += unit_in_shard(ex, p, r);
    ex->rep->units_total += (size_t)in_shard_total;
    ex->rep->units_skipped += (size_t)(in_shard_total - p->outstanding);

    if (p->outstanding == 0) {
        /* Nothing to run; a run a killed process left 'running' is
         * finished now that all its replications are in. */
        if (p->run_id && strcmp(info.status, "running") == 0 && !p->finished) {
            TIMED(ex, s, bf_store_finish_run(ex->st, p->run_id, "done", err));
            if (s != BF_OK)
                return s;
        }
        p->finished = true;
        return BF_OK;
    }
    /* A point without a run gets one with its first unit (ensure_run). */
    if (p->run_id) {
        TIMED(ex, s, bf_store_discard_incomplete(ex->st, p->run_id, NULL, err));
        if (s == BF_OK)
            TIMED(ex, s, bf_store_reopen_run(ex->st, p->run_id, p->target, err));
        if (s != BF_OK)
            return s;
    }
    p->active = true;
    ex->unfinished++;
    return BF_OK;
}

/* ---- the whole run ------------------------------------------------------------- */

void bf_sweep_report_destroy(bf_sweep_report *r)
{
    if (!r)
        return;
    bf_free(r->points);
    bf_free(r);
}

static void exec_fini(exec *ex)
{
    for (size_t i = 0; ex->ps && i < ex->n; i++) {
        pstate *p = &ex->ps[i];
        bf_free(p->have);
        bf_free(p->busy);
        bf_free(p->hkey);
        bf_free(p->hidx);
        bf_free(p->sel);
    }
    bf_free(ex->ps);
    bf_free(ex->hbuf);
    bf_free(ex->vals);
    bf_free(ex->col);
}

bf_status bf_sweep_run(bf_sweep *sw, bf_store *st, const bf_sweep_opts *o,
                       bf_sweep_report **out, bf_error *err)
{
    *out = NULL;
    bf_error_clear(err);
    exec ex = {.sw = sw, .st = st, .o = o, .n = sw->n_points, .t0 = now_s()};
    bf_error_clear(&ex.err);
    ex.precision = o->precision > 0;
    ex.cap = o->max_replications > 0 ? o->max_replications : 200;
    ex.shard_n = o->shard_n > 1 ? o->shard_n : 1;
    ex.shard_k = o->shard_n > 1 ? o->shard_k - 1 : 0;
    if (ex.shard_n > 1 && (ex.shard_k < 0 || ex.shard_k >= ex.shard_n))
        return bf_error_set(err, BF_EINVAL, "shard %d of %d does not exist", o->shard_k,
                            o->shard_n);
    if (sw->n_points == 0)
        return bf_error_set(err, BF_ESTATE, "the sweep has no points");

    bf_sweep_report *rep = bf_calloc(1, sizeof *rep);
    ex.rep = rep;
    ex.ps = bf_calloc(sw->n_points, sizeof *ex.ps);
    size_t max_h = 1;
    for (size_t i = 0; i < sw->n_points; i++)
        if (sw->points[i].cat->n_keys > max_h)
            max_h = sw->points[i].cat->n_keys;
    ex.hbuf = bf_calloc(max_h, sizeof *ex.hbuf);
    if (rep)
        rep->points = bf_calloc(sw->n_points, sizeof *rep->points);
    if (ex.precision) {
        ex.vals = bf_malloc((size_t)ex.cap * sizeof *ex.vals);
        ex.col = bf_malloc((size_t)ex.cap * sizeof *ex.col);
    }
    if (!rep || !rep->points || !ex.ps || !ex.hbuf ||
        (ex.precision && (!ex.vals || !ex.col))) {
        exec_fini(&ex);
        bf_sweep_report_destroy(rep);
        return bf_error_set(err, BF_ENOMEM, "out of memory");
    }
    rep->n_points = sw->n_points;
    bf_status s = BF_OK;
    if (o->command_line)
        bf_store_set_command_line(st, o->command_line);

    /* The sweep's own record first, so that finding a point's run can
     * prefer the one already linked to this sweep. */
    if (sw->grid) {
        const char **keys = bf_malloc((sw->n_varies ? sw->n_varies : 1) * sizeof *keys);
        if (!keys) {
            exec_fini(&ex);
            bf_sweep_report_destroy(rep);
            return bf_error_set(err, BF_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < sw->n_varies; i++)
            keys[i] = sw->varies[i].key;
        bf_store_sweep_record rec = {
            .sweep_key = sw->sweep_key, .scenario_name = sw->base->model->name,
            .scenario_path = sw->base->path, .scenario_text = sw->base->text,
            .base_overrides = sw->base_overrides, .definition = sw->definition,
            .keys = keys, .n_keys = sw->n_varies, .n_points = sw->n_points,
            .command_line = o->command_line};
        TIMED(&ex, s, bf_store_sweep_begin(st, &rec, &rep->sweep_id, err));
        bf_free(keys);
    }
    ex.planning = true;
    for (size_t i = 0; s == BF_OK && i < sw->n_points; i++) {
        ex.ps[i].pt = &sw->points[i];
        ex.ps[i].index = i;
        s = plan_point(&ex, &ex.ps[i], rep->sweep_id, err);
        if (s == BF_OK && sw->grid && ex.ps[i].run_id)
            TIMED(&ex, s, bf_store_sweep_add_point(st, rep->sweep_id, i, ex.ps[i].run_id,
                                                    sw->points[i].label, err));
    }

    ex.planning = false;
    if (s == BF_OK) {
        ex.t_pool = now_s();
        progress(&ex);
        bf_pool_opts po = {.jobs = o->jobs, .keep_series = o->keep_series,
                           .next = next_unit, .on_unit = on_unit, .on_samples = on_samples,
                           .ctx = &ex, .cancel = o->cancel,
                           .lock_wait_s = &rep->lock_wait_s};
        s = bf_runner_pool(&po, err);
        /* The store's (or the precision check's) own words say more than
         * the pool's "storing a replication failed". */
        if (s != BF_OK && s != BF_ECANCELED && ex.err.msg[0])
            *err = ex.err;
    }

    /* Points left unfinished by an interruption or an error: their
     * stored replications stay, with aggregates over them. */
    for (size_t i = 0; i < sw->n_points; i++) {
        pstate *p = &ex.ps[i];
        if (p->active && !p->finished && p->run_id) {
            bf_error e2;
            bf_status ignored;
            TIMED(&ex, ignored, bf_store_finish_run(st, p->run_id, s == BF_ECANCELED
                                                    ? "canceled" : "failed", &e2));
            (void)ignored;
        }
        bf_point_result *pr = &rep->points[i];
        pr->run_id = p->run_id;
        pr->target = p->target;
        pr->ran = p->ran;
        pr->needed = ex.precision && p->finished && (p->active || p->run_id) ? p->needed : -1;
        pr->precise = p->precise;
        for (int r = 0; r < p->cap; r++)
            pr->stored += p->have[r];
        if (p->run_id) {
            bf_store_run_info info;
            bf_error e2;
            if (bf_store_run_info_get(st, p->run_id, &info, &e2) == BF_OK) {
                snprintf(pr->status, sizeof pr->status, "%s", info.status);
                pr->stored = info.replications_done;
            }
        }
    }
    rep->wall_s = now_s() - ex.t0;
    exec_fini(&ex);
    *out = rep;
    return s;
}
