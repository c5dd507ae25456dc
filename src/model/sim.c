/*
 * sim.c - one replication: entities flow through the model's routes,
 * queue at stations, dwell in delays, and leave; the statistics of the
 * catalogue are collected on the way.
 *
 * Events (kind, a, b):
 *   EV_ARRIVAL      a = class        a new entity of the class arrives
 *   EV_SERVICE_DONE a = entity, b = node   service at a station ends
 *   EV_DELAY_DONE   a = entity, b = node   dwell in a delay ends
 *   EV_SAMPLE                        record the time series
 *   EV_WARMUP                        end of warm-up: reset statistics
 *
 * Random streams (see rng.h; named, so scenarios share them by name):
 *   "arrivals:<class>"   inter-arrival times
 *   "attributes:<class>" white-list, pre-declaration and risk draws
 *                        (always one 64-bit draw per entity, split in three
 *                        uniforms, so changing a share never shifts later
 *                        draws)
 *   "routing:<class>"    branch choices, and one uniform per visit to a
 *                        station that inspects
 *   "service:<node>"     service or dwell times at the node
 *
 * Entities live in a pool array addressed by index (the array may move
 * when it grows); free entries are chained through `next`.  Queues are
 * intrusive FIFO lists through the same field, one list per priority
 * level, so queueing never allocates.
 *
 * Warm-up: at the end of the warm-up every accumulator is reset and the
 * time averages restart from the current state.  Observations are
 * counted when they complete after the warm-up (a wait when service
 * starts, a time in system when the entity leaves).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "borderflow/engine.h"
#include "borderflow/rng.h"
#include "model/sim_int.h"

/* The kinds EV_ENTER .. EV_RENEGE, and only those, carry an entity in a:
 * the event loop prefetches it by that range. */
enum {
    EV_ARRIVAL,      /* a = class: next arrival of a renewal/profile/trace class */
    EV_BATCH,        /* a = class: a group (shuttle) arrives */
    EV_ENTER,        /* a = entity: a booked entity arrives at its slot */
    EV_SERVICE_DONE,
    EV_DELAY_DONE,
    EV_RENEGE,       /* a = entity, b = node: patience ran out */
    EV_SHIFT,        /* a = node, b = shift: staffing changes */
    EV_SAMPLE,
    EV_WARMUP
};

#define NIL UINT32_MAX
#define N_LEVELS (BF_MAX_PRIORITY + 1)
_Static_assert(N_LEVELS <= 32, "queue levels are the bits of a uint32_t");

typedef struct ent {
    uint32_t cls;
    uint32_t pc;   /* next route op */
    uint32_t next; /* queue or free-list link */
    uint32_t prev; /* queue link (queues are doubly linked for reneging) */
    bf_event_handle renege; /* pending EV_RENEGE while queued, or 0 */
    uint8_t whitelisted, predeclared, risk, prio;
    uint8_t line;  /* line of the current passage, 0 if none */
    uint8_t level; /* queue level it waits in */
    uint8_t outbound, violator, cargo;
    uint8_t vline; /* line crossed by skipping its stations, not yet closed */
    uint8_t combo; /* attribute combination, for rules */
    double size;   /* data volume (bytes) or occupants; 0 if none */
    const bf_treatment *treat; /* rules' treatment at the current station */
    bf_time t_sys;  /* entered the system */
    bf_time t_node; /* arrived at the current node */
    bf_time t_line; /* started the current line passage */
    double wait;    /* total queueing wait so far */
} ent;

typedef struct fifo {
    uint32_t head, tail;
} fifo;

typedef struct node_state {
    uint32_t busy;
    uint32_t queued;
    uint32_t levels; /* bit l set when queue level l is not empty */
    fifo q[N_LEVELS];
    bf_timeavg qlen;  /* stations: number waiting; delays: number present */
    bf_timeavg nbusy; /* stations: busy servers */
    uint64_t served;  /* stations: services started; delays: entries */
    uint64_t arrived; /* stations: arrivals (served or not) */
    uint64_t blocked, reneged;
    uint64_t inspections, detections;
    uint32_t on_duty; /* servers on duty now */
    uint32_t shift;   /* current shift index */
    bf_timeavg staff; /* max(on duty, busy): servers at work, overtime included */
    bf_rng rng;
    bf_rng patience_rng;
    bf_rng detect_rng;
} node_state;

typedef struct class_state {
    uint64_t arrivals, departures, blocked, reneged;
    uint64_t violators, intercepted;
    double size_delivered; /* sum of sizes of departures */
    uint64_t arrivals_hour[24];
    size_t trace_next;
    /* The attribute shares as 16-bit thresholds: a 16-bit uniform k falls
     * below share p iff k < ceil(p 2^16) (exact: p 2^16 is exact). */
    uint32_t thr_white, thr_pre, thr_risk0, thr_risk01, thr_out;
    bool attr_random; /* some share is strictly between 0 and 1 */
    bf_rng arr_rng, attr_rng, route_rng, book_rng, extra_rng;
} class_state;

struct bf_sim {
    const bf_model *m;
    const bf_catalog *cat;
    const bf_layout *L;
    bf_engine *eng;
    bf_status st;

    ent *ents;
    uint32_t n_ents, free_head;
    size_t in_system;

    node_state *nodes;
    class_state *classes;
    uint64_t *node_cls_served; /* [N*C] */
    uint64_t line_passages[BF_N_LINES];
    uint64_t line_inspections[BF_N_LINES], line_detections[BF_N_LINES], line_missed[BF_N_LINES];
    uint64_t *line_cls_passages; /* [BF_N_LINES*C] */
    uint64_t arrivals, departures;
    bf_timeavg in_sys;

    bf_hist *hists; /* one per group: mean, quantiles and max */

    bf_sample_fn sink;
    void *sink_ctx;
    bf_sample *samples;
    size_t n_samples;

    uint64_t *served_hour; /* [N*24] services started by hour of day */
    bool *has_extras;      /* [C] class draws violation/cargo/size */
    double exposure_h[24];  /* hours of the window in each hour of day */

    bool finished;
    double *values;
    volatile int *cancel; /* checked every few thousand events, or NULL */
};

static inline int hour_of_day(const bf_sim *s, bf_time t)
{
    int h = (int)(fmod(s->m->start_clock + t, 86400.0) / 3600.0);
    return h < 24 ? h : 23;
}

/* ---- statistics helpers --------------------------------------------- */

static inline void observe(bf_sim *s, int g, double x)
{
    bf_hist_add(&s->hists[g], x);
}

static void reset_stats(bf_sim *s)
{
    bf_time now = bf_engine_now(s->eng);
    for (size_t g = 0; g < s->L->n_groups; g++)
        bf_hist_init(&s->hists[g]);
    for (size_t n = 0; n < s->m->n_nodes; n++) {
        node_state *ns = &s->nodes[n];
        bf_timeavg_start(&ns->qlen, now, ns->qlen.value);
        bf_timeavg_start(&ns->nbusy, now, ns->nbusy.value);
        bf_timeavg_start(&ns->staff, now, ns->staff.value);
        ns->served = ns->arrived = ns->blocked = ns->reneged = 0;
        ns->inspections = ns->detections = 0;
    }
    for (size_t c = 0; c < s->m->n_classes; c++) {
        class_state *cs = &s->classes[c];
        cs->arrivals = cs->departures = cs->blocked = cs->reneged = 0;
        cs->violators = cs->intercepted = 0;
        cs->size_delivered = 0.0;
        memset(cs->arrivals_hour, 0, sizeof cs->arrivals_hour);
    }
    if (s->served_hour)
        memset(s->served_hour, 0, s->m->n_nodes * 24 * sizeof(uint64_t));
    memset(s->node_cls_served, 0, s->m->n_nodes * s->m->n_classes * sizeof(uint64_t));
    memset(s->line_passages, 0, sizeof s->line_passages);
    memset(s->line_inspections, 0, sizeof s->line_inspections);
    memset(s->line_detections, 0, sizeof s->line_detections);
    memset(s->line_missed, 0, sizeof s->line_missed);
    memset(s->line_cls_passages, 0, BF_N_LINES * s->m->n_classes * sizeof(uint64_t));
    s->arrivals = s->departures = 0;
    bf_timeavg_start(&s->in_sys, now, s->in_sys.value);
}

/* ---- entities ------------------------------------------------------- */

static uint32_t ent_alloc(bf_sim *s)
{
    if (s->free_head == NIL) {
        /* Grow by doubling: amortised O(1) and bounded by the largest
         * number of entities present at once, not by the horizon. */
        uint32_t cap = s->n_ents ? 2 * s->n_ents : 256;
        ent *e = bf_realloc(s->ents, (size_t)cap * sizeof *e);
        if (!e || cap <= s->n_ents) {
            if (e)
                s->ents = e;
            s->st = BF_ENOMEM;
            return NIL;
        }
        s->ents = e;
        for (uint32_t i = s->n_ents; i < cap; i++)
            e[i].next = i + 1 < cap ? i + 1 : NIL;
        s->free_head = s->n_ents;
        s->n_ents = cap;
    }
    uint32_t i = s->free_head;
    s->free_head = s->ents[i].next;
    return i;
}

static void ent_free(bf_sim *s, uint32_t i)
{
    s->ents[i].next = s->free_head;
    s->free_head = i;
}

static void schedule(bf_sim *s, bf_time at, uint32_t kind, uint32_t a, uint32_t b)
{
    if (bf_engine_schedule(s->eng, at, kind, a, b, NULL) != BF_OK)
        s->st = BF_ENOMEM;
}

/* ---- flow ----------------------------------------------------------- */

static void advance(bf_sim *s, uint32_t ei);

static void end_passage(bf_sim *s, ent *e, bf_time now)
{
    if (!e->line)
        return;
    const bf_layout *L = s->L;
    size_t C = s->m->n_classes;
    double x = now - e->t_line;
    int gl = L->g_line_clear[e->line];
    observe(s, gl, x);
    int g = L->g_line_cls[(size_t)e->line * C + e->cls];
    if (g != gl && g >= 0) /* shared when one class only uses the line */
        observe(s, g, x);
    s->line_passages[e->line]++;
    s->line_cls_passages[(size_t)e->line * C + e->cls]++;
    if (e->violator)
        s->line_missed[e->line]++; /* cleared the line undetected */
    e->line = 0;
}

/* Servers at work: on duty, or finishing a service after their shift. */
static inline void staff_update(bf_sim *s, uint32_t n, bf_time now)
{
    node_state *ns = &s->nodes[n];
    if (s->m->nodes[n].n_shifts)
        bf_timeavg_set(&ns->staff, now, ns->busy > ns->on_duty ? ns->busy : ns->on_duty);
}

static void queue_push(bf_sim *s, node_state *ns, uint32_t ei, uint8_t level)
{
    ent *e = &s->ents[ei];
    fifo *q = &ns->q[level];
    e->level = level;
    e->next = NIL;
    e->prev = q->tail;
    if (q->tail == NIL)
        q->head = ei;
    else
        s->ents[q->tail].next = ei;
    q->tail = ei;
    ns->queued++;
    ns->levels |= 1u << level;
}

static void queue_remove(bf_sim *s, node_state *ns, uint32_t ei)
{
    ent *e = &s->ents[ei];
    fifo *q = &ns->q[e->level];
    if (e->prev == NIL)
        q->head = e->next;
    else
        s->ents[e->prev].next = e->next;
    if (e->next == NIL)
        q->tail = e->prev;
    else
        s->ents[e->next].prev = e->prev;
    if (q->head == NIL)
        ns->levels &= ~(1u << e->level);
    ns->queued--;
}

/* Highest priority level first, FIFO within a level; NIL if empty. */
static uint32_t queue_pop(bf_sim *s, node_state *ns)
{
    if (!ns->levels)
        return NIL;
    int lvl = 31 - __builtin_clz(ns->levels);
    uint32_t h = ns->q[lvl].head;
    queue_remove(s, ns, h);
    return h;
}

/* Entity ei starts service at station n now.  handover: a server that
 * just finished takes it, so the number busy does not change. */
static void start_service(bf_sim *s, uint32_t ei, uint32_t n, bf_time now, bool handover)
{
    const bf_layout *L = s->L;
    node_state *ns = &s->nodes[n];
    ent *e = &s->ents[ei];
    size_t C = s->m->n_classes;
    if (e->renege) {
        bf_engine_cancel(s->eng, e->renege);
        e->renege = 0;
    }
    double w = now - e->t_node;
    e->wait += w;
    int gn = L->g_node[n];
    observe(s, gn, w);
    int g = L->g_node_cls[(size_t)n * C + e->cls];
    if (g != gn && g >= 0) /* shared when one class only visits the station */
        observe(s, g, w);
    bf_line line = s->m->nodes[n].line;
    if (line != BF_LINE_NONE)
        observe(s, L->g_line_wait[line], w);
    ns->served++;
    s->node_cls_served[(size_t)n * C + e->cls]++;
    if (s->served_hour) {
        int h = hour_of_day(s, now);
        s->served_hour[(size_t)n * 24 + (size_t)h]++;
        /* Hours the observation window never covers have no statistics
         * (they can still occur during the warm-up). */
        int gh = L->g_node_hour[(size_t)n * 24 + (size_t)h];
        if (gh >= 0)
            observe(s, gh, w);
    }
    if (!handover) {
        ns->busy++;
        bf_timeavg_set(&ns->nbusy, now, ns->busy);
        staff_update(s, n, now);
    }
    const bf_node *nd = &s->m->nodes[n];
    const bf_treatment *t = e->treat;
    const bf_dist *dist = t && t->service ? t->service : bf_model_service(s->m, n, e->cls);
    double d = bf_dist_sample(dist, &ns->rng);
    if (t)
        d *= t->scale;
    if (e->size > 0) {
        int kind = s->m->classes[e->cls].size_kind;
        if (kind == BF_SIZE_VOLUME && nd->bandwidth > 0)
            d += e->size * 8.0 / nd->bandwidth; /* transfer time */
        else if (kind == BF_SIZE_OCCUPANCY)
            d += nd->per_occupant * e->size;
    }
    if (e->cargo)
        d *= nd->cargo_factor;
    schedule(s, now + d, EV_SERVICE_DONE, ei, n);
}

static void close_virtual_crossing(bf_sim *s, ent *e)
{
    if (e->vline && e->violator)
        s->line_missed[e->vline]++;
    e->vline = 0;
}

/* The entity leaves the system without finishing its route (blocked by a
 * full station, or out of patience).  It counts in neither departures nor
 * times in system; its open line passage is dropped unrecorded. */
static void lose(bf_sim *s, uint32_t ei, bf_time now)
{
    s->ents[ei].line = 0;
    s->ents[ei].vline = 0;
    s->in_system--;
    bf_timeavg_set(&s->in_sys, now, (double)s->in_system);
    ent_free(s, ei);
}

/* The entity arrives at node n at the current time. */
static void arrive_at(bf_sim *s, uint32_t ei, uint32_t n)
{
    bf_time now = bf_engine_now(s->eng);
    const bf_node *nd = &s->m->nodes[n];
    node_state *ns = &s->nodes[n];
    ent *e = &s->ents[ei];
    /* Rules first: a skipped station is never reached (no line passage
     * starts there), a redirected entity reaches the other station. */
    e->treat = NULL;
    if (nd->kind == BF_NODE_STATION && s->m->treatments) {
        const bf_treatment *t = bf_model_treatment(s->m, e->cls, n, e->combo);
        if (t->route == 1) {
            /* Skipping a station of a line the entity is not already in
             * is an untimed crossing of that line: a violator on it goes
             * through undetected (counted when the crossing closes). */
            if (nd->line != BF_LINE_NONE && e->line != nd->line && e->vline != nd->line) {
                close_virtual_crossing(s, e);
                e->vline = (uint8_t)nd->line;
            }
            advance(s, ei);
            return;
        }
        if (t->route == 2) {
            n = t->use;
            nd = &s->m->nodes[n];
            ns = &s->nodes[n];
            t = bf_model_treatment(s->m, e->cls, n, e->combo);
        }
        e->treat = t;
    }
    e->t_node = now;
    if (e->vline && e->vline == nd->line)
        e->vline = 0; /* the line is reached after all: its passage counts */
    else
        close_virtual_crossing(s, e);
    if (e->line != nd->line) {
        end_passage(s, e, now);
        if (nd->line != BF_LINE_NONE && nd->kind == BF_NODE_STATION) {
            e->line = (uint8_t)nd->line;
            e->t_line = now;
        }
    }
    if (nd->kind == BF_NODE_DELAY) {
        ns->served++;
        bf_timeavg_set(&ns->qlen, now, ns->qlen.value + 1);
        double d = bf_dist_sample(bf_model_service(s->m, n, e->cls), &ns->rng);
        schedule(s, now + d, EV_DELAY_DONE, ei, n);
        return;
    }
    ns->arrived++;
    if (nd->capacity && ns->busy + ns->queued >= nd->capacity) {
        ns->blocked++;
        s->classes[e->cls].blocked++;
        lose(s, ei, now);
        return;
    }
    if (ns->busy < ns->on_duty && ns->queued == 0) {
        start_service(s, ei, n, now, false);
        return;
    }
    /* A FIFO station ignores class priorities: one queue.  A rule may set
     * the priority at this station. */
    int prio = e->treat && e->treat->priority >= 0 ? e->treat->priority : e->prio;
    queue_push(s, ns, ei, nd->discipline == BF_DISC_PRIORITY ? (uint8_t)prio : 0);
    bf_timeavg_set(&ns->qlen, now, ns->queued);
    if (nd->patience.type &&
        bf_engine_schedule(s->eng, now + bf_dist_sample(&nd->patience, &ns->patience_rng),
                           EV_RENEGE, ei, n, &e->renege) != BF_OK)
        s->st = BF_ENOMEM;
}

static void depart(bf_sim *s, uint32_t ei)
{
    bf_time now = bf_engine_now(s->eng);
    const bf_layout *L = s->L;
    ent *e = &s->ents[ei];
    end_passage(s, e, now);
    close_virtual_crossing(s, e);
    double tis = now - e->t_sys;
    observe(s, L->g_sys_tis, tis);
    if (L->g_cls_tis[e->cls] != L->g_sys_tis) /* shared when one class */
        observe(s, L->g_cls_tis[e->cls], tis);
    observe(s, L->g_cls_wait[e->cls], e->wait);
    s->departures++;
    s->classes[e->cls].departures++;
    s->classes[e->cls].size_delivered += e->size;
    s->in_system--;
    bf_timeavg_set(&s->in_sys, now, (double)s->in_system);
    ent_free(s, ei);
}

/* Runs the entity's route program until it reaches a node or leaves. */
static void advance(bf_sim *s, uint32_t ei)
{
    ent *e = &s->ents[ei];
    const bf_route *r = &s->m->classes[e->cls].route;
    for (;;) {
        const bf_route_op *op = &r->ops[e->pc];
        switch (op->op) {
        case BF_OP_VISIT:
            e->pc++;
            arrive_at(s, ei, op->arg);
            return;
        case BF_OP_BRANCH: {
            double u = bf_rng_uniform(&s->classes[e->cls].route_rng);
            const bf_route_choice *ch = &r->choices[op->arg];
            uint32_t k = 0;
            while (k + 1 < op->n_choices && u >= ch[k].cum)
                k++;
            e->pc = ch[k].target;
            break;
        }
        case BF_OP_JUMP:
            e->pc = op->arg;
            break;
        case BF_OP_END:
            depart(s, ei);
            return;
        }
    }
}

/* After a visit to node n: inspection, or on along the route. */
static void leave_node(bf_sim *s, uint32_t ei, uint32_t n)
{
    const bf_node *nd = &s->m->nodes[n];
    if (nd->inspect_node >= 0) {
        ent *e = &s->ents[ei];
        double u = bf_rng_uniform(&s->classes[e->cls].route_rng);
        double p = e->treat && e->treat->inspect >= 0 ? e->treat->inspect : nd->inspect_prob;
        if (u < p) {
            arrive_at(s, ei, (uint32_t)nd->inspect_node);
            return;
        }
    }
    advance(s, ei);
}

/* ---- arrivals ------------------------------------------------------- */

/* The next arrival time after `now` of a Poisson process whose rate is
 * base x profile[hour of week], by inversion: draw a unit exponential and
 * spend it against the integrated rate, hour segment by hour segment.
 * Exact for the piecewise-constant rate, one unit exponential per arrival
 * (common random numbers survive a change of profile), and a short peak
 * can never be skipped.  INFINITY past the horizon. */
static double profile_next(const bf_sim *s, const bf_class *cl, bf_rng *r, double now)
{
    const bf_model *m = s->m;
    const double week = BF_HOURS_PER_WEEK * 3600.0;
    double e = bf_dist_exp1(r);
    double t = now;
    double origin = m->start_day * 86400.0 + m->start_clock;
    while (t <= m->horizon) {
        double how = fmod(origin + t, week);
        int h = (int)(how / 3600.0);
        if (h >= BF_HOURS_PER_WEEK)
            h = BF_HOURS_PER_WEEK - 1;
        double seg_end = t + ((h + 1) * 3600.0 - how);
        if (!(seg_end > t))
            seg_end = nextafter(t, INFINITY);
        double rate = cl->rate * cl->profile[h];
        if (rate > 0) {
            double need = e / rate;
            if (t + need <= seg_end)
                return t + need;
            e -= rate * (seg_end - t);
        }
        t = seg_end;
    }
    return INFINITY;
}

/* A new entity of class c with attributes drawn (or taken from the trace
 * record attrs, -1 = draw), not yet in the system. */
static uint32_t new_entity(bf_sim *s, uint32_t c, const int8_t *attrs)
{
    const bf_class *cl = &s->m->classes[c];
    class_state *cs = &s->classes[c];
    uint32_t ei = ent_alloc(s);
    if (ei == NIL)
        return NIL;
    ent *e = &s->ents[ei];
    /* One 64-bit draw gives four independent 16-bit uniforms (white-list,
     * pre-declaration, risk, direction): shares are then resolved to
     * 1/65536, finer than any share an analyst writes, at a quarter of the
     * cost of four draws.  Drawn even when a trace fixes the attributes,
     * so streams stay aligned.  When every share is 0 or 1 the outcomes do
     * not depend on the draw (k < 0 never holds, k < 65536 always does)
     * and the draw is skipped: the stream serves nothing else, so no
     * other draw moves and the results are the same. */
    uint64_t bits = cs->attr_random ? bf_rng_next(&cs->attr_rng) : 0;
    uint32_t u1 = (uint32_t)(bits >> 48), u2 = (uint32_t)(bits >> 32) & 0xffff;
    uint32_t u3 = (uint32_t)(bits >> 16) & 0xffff, u4 = (uint32_t)bits & 0xffff;
    /* Field by field: a compound literal here became a `rep stos`, a
     * microcoded loop that cost more than all these stores. */
    e->cls = c;
    e->pc = 0;
    e->next = e->prev = NIL;
    e->renege = 0;
    e->prio = (uint8_t)cl->priority;
    e->line = e->level = e->violator = e->cargo = e->vline = 0;
    e->size = 0.0;
    e->treat = NULL;
    e->t_sys = e->t_node = e->t_line = 0.0;
    e->wait = 0.0;
    e->whitelisted = attrs && attrs[0] >= 0 ? (uint8_t)attrs[0] : u1 < cs->thr_white;
    e->predeclared = attrs && attrs[1] >= 0 ? (uint8_t)attrs[1] : u2 < cs->thr_pre;
    e->risk = attrs && attrs[2] >= 0 ? (uint8_t)attrs[2]
              : u3 < cs->thr_risk0  ? 0
              : u3 < cs->thr_risk01 ? 1
                                    : 2;
    e->outbound = u4 < cs->thr_out;
    e->combo = (uint8_t)bf_combo(e->whitelisted, e->predeclared, e->risk, e->outbound);
    if (s->has_extras[c]) {
        /* Violation, cargo and size come from the class's own stream, two
         * uniforms and (with a size) one sample per entity. */
        double v = bf_rng_uniform(&cs->extra_rng);
        double g = bf_rng_uniform(&cs->extra_rng);
        double p = cl->violation[e->risk] * (e->whitelisted ? cl->violation_whitelisted : 1.0);
        e->violator = v < p;
        e->cargo = g < cl->cargo;
        if (cl->size.type) {
            double x = bf_dist_sample(&cl->size, &cs->extra_rng);
            e->size = cl->size_kind == BF_SIZE_OCCUPANCY ? floor(x + 0.5) : x;
            if (e->size < 0)
                e->size = 0;
        }
    }
    return ei;
}

/* The entity enters the system now and starts its route. */
static void enter_system(bf_sim *s, uint32_t ei)
{
    bf_time now = bf_engine_now(s->eng);
    ent *e = &s->ents[ei];
    class_state *cs = &s->classes[e->cls];
    e->t_sys = now;
    cs->arrivals++;
    if (e->violator)
        cs->violators++;
    if (s->m->by_hour)
        cs->arrivals_hour[hour_of_day(s, now)]++;
    s->arrivals++;
    s->in_system++;
    bf_timeavg_set(&s->in_sys, now, (double)s->in_system);
    advance(s, ei);
}

/* An entity of class c turns up now: booked ones are moved to their slot,
 * the others enter at once. */
static void turn_up(bf_sim *s, uint32_t c, const int8_t *attrs)
{
    const bf_class *cl = &s->m->classes[c];
    uint32_t ei = new_entity(s, c, attrs);
    if (ei == NIL)
        return;
    if (cl->booked > 0) {
        class_state *cs = &s->classes[c];
        bf_time now = bf_engine_now(s->eng);
        /* Three draws per entity from the booking stream, always: whether
         * it booked, and two for how far from its slot start it turns up
         * (a normal deviate by Box-Muller). */
        double u = bf_rng_uniform(&cs->book_rng);
        double z = sqrt(-2.0 * log(bf_rng_uniform_pos(&cs->book_rng))) *
                   cos(6.283185307179586 * bf_rng_uniform(&cs->book_rng));
        if (u < cl->booked) {
            /* Slots are aligned to the clock (a 15-minute slot starts at
             * :00, :15, ...), not to the start of the run. */
            double clock = s->m->start_clock + now;
            double slot_start = ceil(clock / cl->slot) * cl->slot - s->m->start_clock;
            double at = slot_start + cl->punctuality * z;
            if (at < now)
                at = now;
            if (at > s->m->horizon) {
                ent_free(s, ei);
                return;
            }
            schedule(s, at, EV_ENTER, ei, 0);
            return;
        }
    }
    enter_system(s, ei);
}

/* Schedules the next EV_ARRIVAL of class c after now, if any. */
static void schedule_next_arrival(bf_sim *s, uint32_t c, bf_time now)
{
    const bf_class *cl = &s->m->classes[c];
    class_state *cs = &s->classes[c];
    double at = INFINITY;
    switch (cl->arrival_kind) {
    case BF_ARR_RENEWAL:
        if (cl->interarrival.type)
            at = now + bf_dist_sample(&cl->interarrival, &cs->arr_rng);
        break;
    case BF_ARR_PROFILE:
        at = profile_next(s, cl, &cs->arr_rng, now);
        break;
    case BF_ARR_TRACE:
        if (cs->trace_next < cl->n_trace)
            at = cl->trace_times[cs->trace_next];
        break;
    case BF_ARR_BATCH:
        break;
    }
    if (at <= s->m->horizon)
        schedule(s, at, EV_ARRIVAL, c, 0);
}

static void on_arrival(bf_sim *s, uint32_t c)
{
    bf_time now = bf_engine_now(s->eng);
    const bf_class *cl = &s->m->classes[c];
    const int8_t *attrs = NULL;
    if (cl->arrival_kind == BF_ARR_TRACE) {
        size_t i = s->classes[c].trace_next++;
        attrs = cl->trace_attrs ? &cl->trace_attrs[3 * i] : NULL;
    }
    schedule_next_arrival(s, c, now);
    turn_up(s, c, attrs);
}

static void on_batch(bf_sim *s, uint32_t c)
{
    bf_time now = bf_engine_now(s->eng);
    const bf_class *cl = &s->m->classes[c];
    class_state *cs = &s->classes[c];
    if (now + cl->batch_every <= s->m->horizon)
        schedule(s, now + cl->batch_every, EV_BATCH, c, 0);
    /* Each seat is taken with probability fill (one draw per seat, so the
     * draws do not depend on how many boarded). */
    for (uint32_t k = 0; k < cl->batch_size && s->st == BF_OK; k++)
        if (bf_rng_uniform(&cs->arr_rng) < cl->batch_fill)
            turn_up(s, c, NULL);
}

/* ---- stations and delays -------------------------------------------- */

static void on_service_done(bf_sim *s, uint32_t ei, uint32_t n)
{
    bf_time now = bf_engine_now(s->eng);
    node_state *ns = &s->nodes[n];
    if (ns->queued && ns->busy <= ns->on_duty) {
        /* The server takes the next one (after a shift change, only if it
         * is still on duty): busy stays as it is. */
        uint32_t next = queue_pop(s, ns);
        bf_timeavg_set(&ns->qlen, now, ns->queued);
        start_service(s, next, n, now, true);
    } else {
        ns->busy--;
        bf_timeavg_set(&ns->nbusy, now, ns->busy);
        staff_update(s, n, now);
    }
    const bf_node *nd = &s->m->nodes[n];
    if (nd->detection > 0) {
        /* An inspection: it finds a violation the entity carries with the
         * station's detection probability (one draw per inspection, from
         * the station's own stream).  An intercepted entity is held: it
         * leaves the flow here. */
        ent *e = &s->ents[ei];
        double u = bf_rng_uniform(&ns->detect_rng);
        ns->inspections++;
        s->line_inspections[nd->line]++;
        if (e->violator && u < nd->detection) {
            ns->detections++;
            s->line_detections[nd->line]++;
            s->classes[e->cls].intercepted++;
            e->violator = 0;
            lose(s, ei, now);
            return;
        }
    }
    leave_node(s, ei, n);
}

static void on_renege(bf_sim *s, uint32_t ei, uint32_t n)
{
    bf_time now = bf_engine_now(s->eng);
    node_state *ns = &s->nodes[n];
    ent *e = &s->ents[ei];
    e->renege = 0;
    queue_remove(s, ns, ei);
    bf_timeavg_set(&ns->qlen, now, ns->queued);
    ns->reneged++;
    s->classes[e->cls].reneged++;
    lose(s, ei, now);
}

static void on_delay_done(bf_sim *s, uint32_t ei, uint32_t n)
{
    node_state *ns = &s->nodes[n];
    bf_time now = bf_engine_now(s->eng);
    bf_timeavg_set(&ns->qlen, now, ns->qlen.value - 1);
    observe(s, s->L->g_node[n], now - s->ents[ei].t_node);
    leave_node(s, ei, n);
}

/* Seconds from now until the time of day tod (0 < result <= 1 day). */
static double until_time_of_day(const bf_sim *s, bf_time now, double tod)
{
    double cur = fmod(s->m->start_clock + now, 86400.0);
    double d = tod - cur;
    while (d <= 1e-9)
        d += 86400.0;
    return d;
}

static void on_shift(bf_sim *s, uint32_t n, uint32_t shift)
{
    bf_time now = bf_engine_now(s->eng);
    const bf_node *nd = &s->m->nodes[n];
    node_state *ns = &s->nodes[n];
    ns->on_duty = nd->shift_servers[shift];
    ns->shift = shift;
    /* Servers going off duty finish the service in hand (non-preemptive);
     * servers coming on duty take waiting entities at once. */
    while (ns->queued && ns->busy < ns->on_duty) {
        uint32_t next = queue_pop(s, ns);
        bf_timeavg_set(&ns->qlen, now, ns->queued);
        start_service(s, next, n, now, false);
    }
    staff_update(s, n, now);
    uint32_t nxt = (shift + 1) % (uint32_t)nd->n_shifts;
    double at = now + until_time_of_day(s, now, nd->shift_start[nxt]);
    if (at <= s->m->horizon)
        schedule(s, at, EV_SHIFT, n, nxt);
}

static void flush_samples(bf_sim *s)
{
    if (s->n_samples && s->sink && s->st == BF_OK) {
        bf_status st = s->sink(s->sink_ctx, s->samples, s->n_samples);
        if (st != BF_OK)
            s->st = st;
    }
    s->n_samples = 0;
}

static void put_sample(bf_sim *s, bf_time t, int series, double v)
{
    if (s->n_samples == BF_SIM_SAMPLE_BATCH)
        flush_samples(s);
    s->samples[s->n_samples++] = (bf_sample){t, (uint32_t)series, v};
}

static void on_sample(bf_sim *s)
{
    bf_time now = bf_engine_now(s->eng);
    for (size_t n = 0; n < s->m->n_nodes; n++)
        put_sample(s, now, s->L->series_of_node[n], s->nodes[n].qlen.value);
    put_sample(s, now, s->L->series_system, (double)s->in_system);
    if (now + s->m->sample_every <= s->m->horizon)
        schedule(s, now + s->m->sample_every, EV_SAMPLE, 0, 0);
}

static void dispatch(void *ctx, uint32_t kind, uint32_t a, uint32_t b)
{
    bf_sim *s = ctx;
    /* The two commonest kinds by conditional branches, the rest by a jump
     * table: which kind comes next is a coin toss, and an indirect jump
     * through a table is predicted worse than a conditional branch. */
    if (kind == EV_SERVICE_DONE) {
        on_service_done(s, a, b);
        return;
    }
    if (kind == EV_ARRIVAL) {
        on_arrival(s, a);
        return;
    }
    switch (kind) {
    case EV_BATCH: on_batch(s, a); break;
    case EV_ENTER: enter_system(s, a); break;
    case EV_RENEGE: on_renege(s, a, b); break;
    case EV_SHIFT: on_shift(s, a, b); break;
    case EV_DELAY_DONE: on_delay_done(s, a, b); break;
    case EV_SAMPLE: on_sample(s); break;
    case EV_WARMUP: reset_stats(s); break;
    }
}

/* ---- life cycle ----------------------------------------------------- */

bf_sim *bf_sim_create(const bf_model *m, const bf_catalog *cat, uint64_t seed, uint32_t rep,
                      bf_sample_fn sink, void *sink_ctx)
{
    size_t C = m->n_classes, N = m->n_nodes;
    bf_sim *s = bf_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->m = m;
    s->cat = cat;
    s->L = bf__catalog_layout(cat);
    s->sink = sink;
    s->sink_ctx = sink_ctx;
    s->free_head = NIL;
    s->eng = bf_engine_create(dispatch, s, 1024);
    s->nodes = bf_calloc(N, sizeof *s->nodes);
    s->classes = bf_calloc(C, sizeof *s->classes);
    s->node_cls_served = bf_calloc(N * C, sizeof(uint64_t));
    s->line_cls_passages = bf_calloc(BF_N_LINES * C, sizeof(uint64_t));
    s->hists = bf_malloc((s->L->n_groups ? s->L->n_groups : 1) * sizeof *s->hists);
    s->samples = bf_malloc(BF_SIM_SAMPLE_BATCH * sizeof *s->samples);
    s->values = bf_calloc(cat->n_keys, sizeof *s->values);
    if (m->by_hour)
        s->served_hour = bf_calloc(N * 24, sizeof(uint64_t));
    s->has_extras = bf_calloc(C ? C : 1, sizeof(bool));
    if (!s->eng || !s->nodes || !s->classes || !s->node_cls_served || !s->line_cls_passages ||
        !s->hists || !s->samples || !s->values || (m->by_hour && !s->served_hour) ||
        !s->has_extras) {
        bf_sim_destroy(s);
        return NULL;
    }
    char purpose[192];
    for (size_t n = 0; n < N; n++) {
        node_state *ns = &s->nodes[n];
        for (int l = 0; l < N_LEVELS; l++)
            ns->q[l].head = ns->q[l].tail = NIL;
        snprintf(purpose, sizeof purpose, "service:%s", m->nodes[n].name);
        bf_rng_seed(&ns->rng, seed, rep, purpose);
        snprintf(purpose, sizeof purpose, "patience:%s", m->nodes[n].name);
        bf_rng_seed(&ns->patience_rng, seed, rep, purpose);
        snprintf(purpose, sizeof purpose, "detection:%s", m->nodes[n].name);
        bf_rng_seed(&ns->detect_rng, seed, rep, purpose);
        ns->on_duty = bf_model_servers_at(m, n, 0.0);
        ns->staff.value = ns->on_duty;
    }
    for (size_t c = 0; c < C; c++) {
        class_state *cs = &s->classes[c];
        snprintf(purpose, sizeof purpose, "arrivals:%s", m->classes[c].name);
        bf_rng_seed(&cs->arr_rng, seed, rep, purpose);
        snprintf(purpose, sizeof purpose, "attributes:%s", m->classes[c].name);
        bf_rng_seed(&cs->attr_rng, seed, rep, purpose);
        snprintf(purpose, sizeof purpose, "routing:%s", m->classes[c].name);
        bf_rng_seed(&cs->route_rng, seed, rep, purpose);
        snprintf(purpose, sizeof purpose, "booking:%s", m->classes[c].name);
        bf_rng_seed(&cs->book_rng, seed, rep, purpose);
        snprintf(purpose, sizeof purpose, "extras:%s", m->classes[c].name);
        bf_rng_seed(&cs->extra_rng, seed, rep, purpose);
        const bf_class *cl = &m->classes[c];
        cs->thr_white = (uint32_t)ceil(cl->whitelisted * 65536.0);
        cs->thr_pre = (uint32_t)ceil(cl->predeclared * 65536.0);
        cs->thr_risk0 = (uint32_t)ceil(cl->risk[0] * 65536.0);
        cs->thr_risk01 = (uint32_t)ceil((cl->risk[0] + cl->risk[1]) * 65536.0);
        cs->thr_out = (uint32_t)ceil(cl->outbound * 65536.0);
        uint32_t thr[] = {cs->thr_white, cs->thr_pre, cs->thr_risk0, cs->thr_risk01, cs->thr_out};
        for (size_t k = 0; k < sizeof thr / sizeof thr[0]; k++)
            cs->attr_random |= thr[k] != 0 && thr[k] != 65536;
        s->has_extras[c] = cl->size.type || cl->cargo > 0 || cl->violation[0] > 0 ||
                           cl->violation[1] > 0 || cl->violation[2] > 0;
    }
    reset_stats(s);
    /* Staffing changes: each station's next shift start after time 0. */
    for (size_t n = 0; n < N; n++) {
        const bf_node *nd = &m->nodes[n];
        if (!nd->n_shifts)
            continue;
        double tod = fmod(m->start_clock, 86400.0);
        uint32_t cur = 0;
        for (size_t i = 0; i < nd->n_shifts; i++)
            if (nd->shift_start[i] <= tod)
                cur = (uint32_t)i;
        s->nodes[n].shift = cur;
        uint32_t nxt = (cur + 1) % (uint32_t)nd->n_shifts;
        double at = until_time_of_day(s, 0.0, nd->shift_start[nxt]);
        if (at <= m->horizon)
            schedule(s, at, EV_SHIFT, (uint32_t)n, nxt);
    }
    /* The first arrival of each class: one inter-arrival time after the
     * start for renewal classes (an empty system at time 0), the first
     * trace time, or the first group. */
    for (size_t c = 0; c < C; c++) {
        const bf_class *cl = &m->classes[c];
        if (cl->arrival_kind == BF_ARR_BATCH)
            schedule(s, cl->batch_offset, EV_BATCH, (uint32_t)c, 0);
        else
            schedule_next_arrival(s, (uint32_t)c, 0.0);
    }
    /* Entities present at the start (an overnight backlog, people already
     * in the zone): placed at their node as if they had just arrived
     * there, continuing their route after it.  They count as arrivals at
     * time 0. */
    for (size_t i = 0; i < m->n_initial && s->st == BF_OK; i++) {
        const bf_initial *in = &m->initial[i];
        const bf_route *r = &m->classes[in->cls].route;
        uint32_t pc = 0;
        while (pc < r->n_ops && !(r->ops[pc].op == BF_OP_VISIT && r->ops[pc].arg == in->node))
            pc++;
        for (uint32_t k = 0; k < in->count && s->st == BF_OK; k++) {
            uint32_t ei = new_entity(s, in->cls, NULL);
            if (ei == NIL)
                break;
            ent *e = &s->ents[ei];
            e->t_sys = 0.0;
            e->pc = pc + 1;
            s->classes[in->cls].arrivals++;
            if (e->violator)
                s->classes[in->cls].violators++;
            if (m->by_hour)
                s->classes[in->cls].arrivals_hour[hour_of_day(s, 0.0)]++;
            s->arrivals++;
            s->in_system++;
            bf_timeavg_set(&s->in_sys, 0.0, (double)s->in_system);
            arrive_at(s, ei, in->node);
        }
    }
    if (m->warmup > 0)
        schedule(s, m->warmup, EV_WARMUP, 0, 0);
    if (m->sample_every > 0)
        schedule(s, 0.0, EV_SAMPLE, 0, 0);
    if (s->st != BF_OK) {
        bf_sim_destroy(s);
        return NULL;
    }
    return s;
}

void bf_sim_destroy(bf_sim *s)
{
    if (!s)
        return;
    bf_engine_destroy(s->eng);
    bf_free(s->ents);
    bf_free(s->nodes);
    bf_free(s->classes);
    bf_free(s->node_cls_served);
    bf_free(s->line_cls_passages);
    bf_free(s->hists);
    bf_free(s->samples);
    bf_free(s->values);
    bf_free(s->served_hour);
    bf_free(s->has_extras);
    bf_free(s);
}

bool bf_sim_step(bf_sim *s)
{
    if (s->st != BF_OK || s->finished || bf_engine_next_time(s->eng) > s->m->horizon)
        return false;
    return bf_engine_step(s->eng);
}

/* The event loop: pulls events and hands them to dispatch directly, which
 * (flattened) inlines the whole of every event handler here. */
__attribute__((flatten)) bf_status bf_sim_run_until(bf_sim *s, bf_time t)
{
    if (s->finished)
        return BF_ESTATE;
    if (t > s->m->horizon)
        t = s->m->horizon;
    bf_engine *e = s->eng;
    uint32_t tick = 0;
    bf_event ev;
    while (s->st == BF_OK && bf_engine_pop(e, t, &ev)) {
        /* With many entities present their records are mostly out of
         * cache: fetch the next event's entity while this one is handled. */
        bf_event nx;
        if (s->n_ents >= 4096 && bf_engine_peek(e, &nx) && nx.kind >= EV_ENTER &&
            nx.kind <= EV_RENEGE)
            __builtin_prefetch(&s->ents[nx.a]);
        dispatch(s, ev.kind, ev.a, ev.b);
        /* A cheap counter, so that a cancel request stops even a run whose
         * clock hardly moves (a huge arrival rate). */
        if (++tick == 4096) {
            tick = 0;
            if (s->cancel && *s->cancel)
                return BF_ECANCELED;
        }
    }
    if (s->st == BF_OK && bf_engine_now(e) < t)
        bf_engine_run_until(e, t); /* no events left before t: move the clock */
    return s->st;
}

static double group_value(const bf_sim *s, const key_ref *k)
{
    const bf_hist *h = &s->hists[k->group];
    if (h->n == 0)
        return NAN; /* no observation: no estimate (stored as NULL) */
    switch (k->metric) {
    case MT_G_MEAN: return bf_hist_mean(h);
    case MT_G_P50: return bf_hist_quantile(h, 0.50);
    case MT_G_P90: return bf_hist_quantile(h, 0.90);
    case MT_G_P95: return bf_hist_quantile(h, 0.95);
    case MT_G_P99: return bf_hist_quantile(h, 0.99);
    case MT_G_MAX: return h->max;
    case MT_G_WAITED: return 1.0 - (double)h->n_under / (double)h->n;
    default: return NAN;
    }
}

static double key_value(const bf_sim *s, const key_ref *k, double span_h, bf_time end)
{
    const bf_model *m = s->m;
    size_t C = m->n_classes;
    if (k->metric >= MT_G_MEAN)
        return group_value(s, k);
    switch (k->sk) {
    case SK_SYSTEM:
        switch (k->metric) {
        case MT_ARRIVALS: return (double)s->arrivals;
        case MT_DEPARTURES: return (double)s->departures;
        case MT_THROUGHPUT: return (double)s->departures / span_h;
        case MT_IN_MEAN: return bf_timeavg_mean(&s->in_sys, end);
        case MT_IN_MAX: return s->in_sys.max;
        case MT_BLOCKED:
        case MT_RENEGED: {
            double sum = 0;
            for (size_t c = 0; c < C; c++)
                sum += (double)(k->metric == MT_BLOCKED ? s->classes[c].blocked
                                                        : s->classes[c].reneged);
            return sum;
        }
        default: break;
        }
        break;
    case SK_CLASS: {
        const class_state *cs = &s->classes[k->scope];
        switch (k->metric) {
        case MT_ARRIVALS: return (double)cs->arrivals;
        case MT_DEPARTURES: return (double)cs->departures;
        case MT_THROUGHPUT: return (double)cs->departures / span_h;
        case MT_BLOCKED: return (double)cs->blocked;
        case MT_RENEGED: return (double)cs->reneged;
        case MT_VIOLATORS: return (double)cs->violators;
        case MT_DETECTIONS: return (double)cs->intercepted;
        case MT_VOLUME_DAY: return cs->size_delivered / 1e9 / (span_h / 24.0);
        case MT_PEOPLE_HOUR: return cs->size_delivered / span_h;
        case MT_H_ARRIVALS:
            return s->exposure_h[k->hour] > 0
                       ? (double)cs->arrivals_hour[k->hour] / s->exposure_h[k->hour]
                       : NAN;
        default: break;
        }
        break;
    }
    case SK_STATION: {
        const node_state *ns = &s->nodes[k->scope];
        uint64_t served = k->cls < 0 ? ns->served
                                     : s->node_cls_served[(size_t)k->scope * C + (size_t)k->cls];
        switch (k->metric) {
        case MT_SERVED: return (double)served;
        case MT_THROUGHPUT: return (double)served / span_h;
        case MT_QUEUE_MEAN: return bf_timeavg_mean(&ns->qlen, end);
        case MT_QUEUE_MAX: return ns->qlen.max;
        case MT_UTILIZATION: {
            /* Against the servers actually at work: with a staffing
             * schedule, busy time over staffed time. */
            double busy = bf_timeavg_mean(&ns->nbusy, end);
            if (!m->nodes[k->scope].n_shifts)
                return busy / m->nodes[k->scope].servers;
            double staff = bf_timeavg_mean(&ns->staff, end);
            return staff > 0 ? busy / staff : NAN;
        }
        case MT_SERVERS:
            return m->nodes[k->scope].n_shifts ? bf_timeavg_mean(&ns->staff, end)
                                               : m->nodes[k->scope].servers;
        case MT_STAFF_HOURS: return bf_timeavg_mean(&ns->staff, end) * 24.0;
        case MT_BUSY_HOURS: return bf_timeavg_mean(&ns->nbusy, end) * 24.0;
        case MT_BLOCKED: return (double)ns->blocked;
        case MT_RENEGED: return (double)ns->reneged;
        case MT_INSPECTIONS: return (double)ns->inspections;
        case MT_DETECTIONS: return (double)ns->detections;
        case MT_BLOCK_P: return ns->arrived ? (double)ns->blocked / (double)ns->arrived : NAN;
        case MT_ABANDON_P: return ns->arrived ? (double)ns->reneged / (double)ns->arrived : NAN;
        case MT_H_THROUGHPUT:
            return s->exposure_h[k->hour] > 0
                       ? (double)s->served_hour[(size_t)k->scope * 24 + (size_t)k->hour] /
                             s->exposure_h[k->hour]
                       : NAN;
        default: break;
        }
        break;
    }
    case SK_DELAY: {
        const node_state *ns = &s->nodes[k->scope];
        switch (k->metric) {
        case MT_ARRIVALS: return (double)ns->served;
        case MT_IN_MEAN: return bf_timeavg_mean(&ns->qlen, end);
        case MT_IN_MAX: return ns->qlen.max;
        default: break;
        }
        break;
    }
    case SK_LINE: {
        uint64_t p = k->cls < 0 ? s->line_passages[k->scope]
                                : s->line_cls_passages[(size_t)k->scope * C + (size_t)k->cls];
        switch (k->metric) {
        case MT_PASSAGES: return (double)p;
        case MT_THROUGHPUT: return (double)p / span_h;
        case MT_INSPECTIONS: return (double)s->line_inspections[k->scope];
        case MT_DETECTIONS: return (double)s->line_detections[k->scope];
        case MT_MISSED: return (double)s->line_missed[k->scope];
        case MT_CLEAN_SHARE:
            return s->line_inspections[k->scope]
                       ? 1.0 - (double)s->line_detections[k->scope] /
                                   (double)s->line_inspections[k->scope]
                       : NAN;
        case MT_UTILIZATION: {
            /* Busy server time over server capacity, summed over the
             * line's stations. */
            double busy = 0.0, cap = 0.0;
            for (size_t n = 0; n < m->n_nodes; n++)
                if (m->nodes[n].kind == BF_NODE_STATION && m->nodes[n].line == (bf_line)k->scope) {
                    busy += bf_timeavg_mean(&s->nodes[n].nbusy, end);
                    cap += m->nodes[n].n_shifts ? bf_timeavg_mean(&s->nodes[n].staff, end)
                                                : m->nodes[n].servers;
                }
            return cap > 0 ? busy / cap : NAN;
        }
        default: break;
        }
        break;
    }
    }
    return NAN;
}

bf_status bf_sim_finish(bf_sim *s)
{
    if (s->finished)
        return BF_OK;
    bf_status st = bf_sim_run_until(s, s->m->horizon);
    if (st != BF_OK)
        return st;
    flush_samples(s);
    if (s->st != BF_OK)
        return s->st;
    bf_time end = s->m->horizon;
    double span_h = (s->m->horizon - s->m->warmup) / 3600.0;
    if (s->m->by_hour)
        bf_model_hour_exposure(s->m, s->exposure_h);
    for (size_t i = 0; i < s->cat->n_keys; i++)
        s->values[i] = key_value(s, &s->L->refs[i], span_h, end);
    s->finished = true;
    return BF_OK;
}

void bf_sim_set_cancel(bf_sim *s, volatile int *flag)
{
    s->cancel = flag;
}

bf_time bf_sim_now(const bf_sim *s)
{
    return bf_engine_now(s->eng);
}

uint64_t bf_sim_events(const bf_sim *s)
{
    return bf_engine_n_fired(s->eng);
}

size_t bf_sim_in_system(const bf_sim *s)
{
    return s->in_system;
}

const double *bf_sim_values(const bf_sim *s)
{
    return s->finished ? s->values : NULL;
}

const bf_hist *bf_sim_hist(const bf_sim *s, size_t i)
{
    return i < s->L->n_groups ? &s->hists[i] : NULL;
}
