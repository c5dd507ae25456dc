/*
 * minimal_two_line.c - the yardstick for benchmark (b): a minimal,
 * single-purpose discrete-event loop for the two-line reference model of
 * tools/bench/two_line.ini:
 *
 *   three Poisson classes (6, 3 and 1 per min)
 *     -> first-line station, 6 servers, exponential service, mean 0.5 min
 *     -> zone, infinite servers, exponential dwell, mean 30 min
 *     -> second-line station, 8 servers, lognormal service, mean 0.7 min,
 *        SD 0.3 min
 *     -> 10% to a secondary inspection, 6 servers, exponential, mean 5 min
 *     -> leave.
 *
 * It has what the library's loop has, reduced to this one model: an event
 * list (its own binary min-heap of {time, kind, entity} entries), its own
 * xoshiro256** streams (one per purpose), entity records from a free list,
 * one FIFO ring per station, and a Welford running mean of the waits at
 * each station.  No histograms, no per-class or per-line statistics, no
 * time series, no route interpreter.  bench_sim's figure divided by this
 * one is what the generality of borderflow costs.
 *
 * Check: the first-line station is an M/M/6 queue with offered load 5, so
 * its mean wait is the Erlang C value 0.2938 min; bench_sim prints the
 * same figure for two_line.ini.
 *
 * Usage: minimal_two_line [-n REPEATS] [HORIZON_MIN [ZONE_MEAN_MIN]]
 *   (defaults 100000 and 30).
 * Output: a readable block and one "BENCH label=minimal_two_line ..." line
 * with the same fields as bench_sim (median wall over the repeats).
 *
 * Memory: the heap, the entity pool and the rings double when full, so
 * they are bounded by the largest number of entities present at once.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define MAX_REPEATS 1000
#define NIL UINT32_MAX

/* ---- xoshiro256** (Blackman and Vigna), seeded by SplitMix64 ------------ */

typedef struct rng {
    uint64_t s[4];
} rng;

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static void rng_seed(rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9e3779b97f4a7c15u);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        r->s[i] = z ^ (z >> 31);
    }
}

static inline uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static inline double rng_uniform(rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static inline double rng_exp(rng *r, double mean)
{
    double u = (double)((rng_next(r) >> 11) + 1) * 0x1.0p-53;
    return -mean * log(u);
}

/* Lognormal from mu and sigma of its log; the normal by Marsaglia's polar
 * method, as the library does. */
static inline double rng_lognormal(rng *r, double mu, double sigma)
{
    double x, y, r2;
    do {
        x = 2.0 * rng_uniform(r) - 1.0;
        y = 2.0 * rng_uniform(r) - 1.0;
        r2 = x * x + y * y;
    } while (r2 >= 1.0 || r2 == 0.0);
    return exp(mu + sigma * x * sqrt(-2.0 * log(r2) / r2));
}

/* ---- the event list: a binary min-heap on time ------------------------ */

enum { EV_ARRIVAL, EV_FL_DONE, EV_ZONE_DONE, EV_SL_DONE, EV_SEC_DONE };

typedef struct event {
    double t;
    uint32_t kind;
    uint32_t arg; /* class for arrivals, else entity */
} event;

typedef struct heap {
    event *e;
    uint32_t n, cap;
} heap;

static int heap_push(heap *h, double t, uint32_t kind, uint32_t arg)
{
    if (h->n == h->cap) {
        event *e = realloc(h->e, 2 * (size_t)h->cap * sizeof *e);
        if (!e)
            return 1;
        h->e = e;
        h->cap *= 2;
    }
    uint32_t i = h->n++;
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (h->e[p].t <= t)
            break;
        h->e[i] = h->e[p];
        i = p;
    }
    h->e[i] = (event){t, kind, arg};
    return 0;
}

static inline event heap_pop(heap *h)
{
    event top = h->e[0];
    event x = h->e[--h->n];
    uint32_t i = 0, n = h->n;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && h->e[c + 1].t < h->e[c].t)
            c++;
        if (h->e[c].t >= x.t)
            break;
        h->e[i] = h->e[c];
        i = c;
    }
    h->e[i] = x;
    return top;
}

/* ---- stations: servers, a FIFO ring of entities, the mean wait --------- */

typedef struct station {
    uint32_t servers, busy;
    uint32_t *ring;
    uint32_t cap, head, len;
    uint64_t n_wait;
    double mean_wait;
} station;

typedef struct ent {
    double t_node; /* arrived at the current station */
    uint32_t cls;
    uint32_t next; /* free list */
} ent;

typedef struct world {
    heap h;
    ent *ents;
    uint32_t n_ents, free_head;
    station fl, sl, sec;
    rng arr[3], svc_fl, svc_zone, svc_sl, svc_sec, route;
    double mu_sl, sigma_sl, zone_mean;
    int oom;
} world;

static uint32_t ent_alloc(world *w)
{
    if (w->free_head == NIL) {
        uint32_t cap = w->n_ents ? 2 * w->n_ents : 256;
        ent *e = realloc(w->ents, (size_t)cap * sizeof *e);
        if (!e) {
            w->oom = 1;
            return NIL;
        }
        for (uint32_t i = w->n_ents; i < cap; i++)
            e[i].next = i + 1 < cap ? i + 1 : NIL;
        w->ents = e;
        w->free_head = w->n_ents;
        w->n_ents = cap;
    }
    uint32_t i = w->free_head;
    w->free_head = w->ents[i].next;
    return i;
}

static void ent_free(world *w, uint32_t i)
{
    w->ents[i].next = w->free_head;
    w->free_head = i;
}

static void observe_wait(station *st, double x)
{
    st->n_wait++;
    st->mean_wait += (x - st->mean_wait) / (double)st->n_wait;
}

static double service_time(world *w, uint32_t kind)
{
    switch (kind) {
    case EV_FL_DONE: return rng_exp(&w->svc_fl, 30.0);
    case EV_SL_DONE: return rng_lognormal(&w->svc_sl, w->mu_sl, w->sigma_sl);
    default: return rng_exp(&w->svc_sec, 300.0);
    }
}

/* Entity i arrives at station st, whose completions are events `kind`. */
static void station_arrive(world *w, station *st, uint32_t kind, uint32_t i, double now)
{
    w->ents[i].t_node = now;
    if (st->busy < st->servers) {
        st->busy++;
        observe_wait(st, 0.0);
        w->oom |= heap_push(&w->h, now + service_time(w, kind), kind, i);
        return;
    }
    if (st->len == st->cap) {
        uint32_t *r = malloc(2 * (size_t)st->cap * sizeof *r);
        if (!r) {
            w->oom = 1;
            return;
        }
        for (uint32_t k = 0; k < st->len; k++)
            r[k] = st->ring[(st->head + k) & (st->cap - 1)];
        free(st->ring);
        st->ring = r;
        st->head = 0;
        st->cap *= 2;
    }
    st->ring[(st->head + st->len++) & (st->cap - 1)] = i;
}

/* A service at st ended: start the next one waiting, if any. */
static void station_done(world *w, station *st, uint32_t kind, double now)
{
    if (st->len == 0) {
        st->busy--;
        return;
    }
    uint32_t i = st->ring[st->head];
    st->head = (st->head + 1) & (st->cap - 1);
    st->len--;
    observe_wait(st, now - w->ents[i].t_node);
    w->oom |= heap_push(&w->h, now + service_time(w, kind), kind, i);
}

typedef struct result {
    uint64_t entities, events;
    double wait_fl_s, wait_sl_s, wait_sec_s;
    double wall_s, cpu_s;
} result;

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int station_init(station *st, uint32_t servers)
{
    memset(st, 0, sizeof *st);
    st->servers = servers;
    st->cap = 256;
    st->ring = malloc(st->cap * sizeof *st->ring);
    return st->ring ? 0 : 1;
}

static int run(double horizon_s, double zone_mean_s, result *out)
{
    static const double rate_per_min[3] = {6.0, 3.0, 1.0};
    world w;
    memset(&w, 0, sizeof w);
    w.free_head = NIL;
    w.zone_mean = zone_mean_s;
    double m = 42.0, s = 18.0, cv = s / m;
    w.sigma_sl = sqrt(log1p(cv * cv));
    w.mu_sl = log(m) - 0.5 * w.sigma_sl * w.sigma_sl;
    for (int c = 0; c < 3; c++)
        rng_seed(&w.arr[c], 10 + (uint64_t)c);
    rng_seed(&w.svc_fl, 20);
    rng_seed(&w.svc_zone, 21);
    rng_seed(&w.svc_sl, 22);
    rng_seed(&w.svc_sec, 23);
    rng_seed(&w.route, 24);
    w.h.cap = 1024;
    w.h.e = malloc(w.h.cap * sizeof *w.h.e);
    int fail = !w.h.e || station_init(&w.fl, 6) || station_init(&w.sl, 8) ||
               station_init(&w.sec, 6);
    uint64_t entities = 0, events = 0;

    double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    double t0 = clock_s(CLOCK_MONOTONIC);
    for (uint32_t c = 0; c < 3 && !fail; c++)
        w.oom |= heap_push(&w.h, rng_exp(&w.arr[c], 60.0 / rate_per_min[c]), EV_ARRIVAL, c);
    while (!fail && !w.oom && w.h.n > 0 && w.h.e[0].t <= horizon_s) {
        event ev = heap_pop(&w.h);
        double now = ev.t;
        events++;
        switch (ev.kind) {
        case EV_ARRIVAL: {
            uint32_t c = ev.arg;
            w.oom |= heap_push(&w.h, now + rng_exp(&w.arr[c], 60.0 / rate_per_min[c]),
                               EV_ARRIVAL, c);
            uint32_t i = ent_alloc(&w);
            if (i == NIL)
                break;
            w.ents[i].cls = c;
            entities++;
            station_arrive(&w, &w.fl, EV_FL_DONE, i, now);
            break;
        }
        case EV_FL_DONE:
            station_done(&w, &w.fl, EV_FL_DONE, now);
            w.oom |= heap_push(&w.h, now + rng_exp(&w.svc_zone, w.zone_mean), EV_ZONE_DONE,
                               ev.arg);
            break;
        case EV_ZONE_DONE:
            station_arrive(&w, &w.sl, EV_SL_DONE, ev.arg, now);
            break;
        case EV_SL_DONE:
            station_done(&w, &w.sl, EV_SL_DONE, now);
            if (rng_uniform(&w.route) < 0.10)
                station_arrive(&w, &w.sec, EV_SEC_DONE, ev.arg, now);
            else
                ent_free(&w, ev.arg);
            break;
        case EV_SEC_DONE:
            station_done(&w, &w.sec, EV_SEC_DONE, now);
            ent_free(&w, ev.arg);
            break;
        }
    }
    double t1 = clock_s(CLOCK_MONOTONIC);
    double c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    fail |= w.oom;
    out->entities = entities;
    out->events = events;
    out->wait_fl_s = w.fl.mean_wait;
    out->wait_sl_s = w.sl.mean_wait;
    out->wait_sec_s = w.sec.mean_wait;
    out->wall_s = t1 - t0;
    out->cpu_s = c1 - c0;
    free(w.h.e);
    free(w.ents);
    free(w.fl.ring);
    free(w.sl.ring);
    free(w.sec.ring);
    return fail;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of x[0..n-1]; sorts x, so x[0] is then the minimum. */
static double median(double *x, size_t n)
{
    qsort(x, n, sizeof *x, cmp_double);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

int main(int argc, char **argv)
{
    double horizon_min = 100000.0, zone_min = 30.0;
    long repeats = 1;
    int n_pos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            repeats = strtol(argv[++i], NULL, 10);
            if (repeats < 1 || repeats > MAX_REPEATS) {
                fprintf(stderr, "minimal_two_line: -n expects 1 to %d\n", MAX_REPEATS);
                return 2;
            }
        } else if (argv[i][0] != '-' && n_pos < 2) {
            double v = strtod(argv[i], NULL);
            if (!(v > 0)) {
                fprintf(stderr, "minimal_two_line: durations (minutes) must be > 0\n");
                return 2;
            }
            if (n_pos++ == 0)
                horizon_min = v;
            else
                zone_min = v;
        } else {
            fprintf(stderr, "usage: minimal_two_line [-n REPEATS] [HORIZON_MIN [ZONE_MEAN_MIN]]\n");
            return 2;
        }
    }
    double wall[MAX_REPEATS], cpu[MAX_REPEATS];
    result r = {0};
    for (long k = 0; k < repeats; k++) {
        if (run(horizon_min * 60.0, zone_min * 60.0, &r) != 0) {
            fprintf(stderr, "minimal_two_line: out of memory\n");
            return 1;
        }
        wall[k] = r.wall_s;
        cpu[k] = r.cpu_s;
    }
    double w = median(wall, (size_t)repeats), c = median(cpu, (size_t)repeats);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("minimal_two_line: horizon %.6g min, zone dwell %.6g min, %ld repeat(s)\n",
           horizon_min, zone_min, repeats);
    printf("  entities          %llu\n", (unsigned long long)r.entities);
    printf("  events            %llu\n", (unsigned long long)r.events);
    printf("  loop wall time    %.3f s median (min %.3f s; CPU time %.3f s)\n", w, wall[0], c);
    printf("  entities/s        %.3f M\n", (double)r.entities / w / 1e6);
    printf("  mean waits        first line %.4f min (M/M/6 Erlang C: 0.2938), "
           "second line %.4f min, secondary %.4f min\n",
           r.wait_fl_s / 60.0, r.wait_sl_s / 60.0, r.wait_sec_s / 60.0);
    printf("BENCH label=minimal_two_line entities=%llu events=%llu wall_s=%.6f "
           "min_wall_s=%.6f cpu_s=%.6f entities_per_s=%.0f events_per_s=%.0f peak_rss_kb=%ld "
           "check_wait_min=%.6f\n",
           (unsigned long long)r.entities, (unsigned long long)r.events, w, wall[0], c,
           (double)r.entities / w, (double)r.events / w, ru.ru_maxrss, r.wait_fl_s / 60.0);
    return 0;
}
