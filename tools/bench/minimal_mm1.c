/*
 * minimal_mm1.c - the yardstick for benchmark (a): a minimal, single-purpose
 * discrete-event loop for the M/M/1 queue of tools/bench/mm1.ini (arrival
 * rate 0.9/min, service rate 1/min, FIFO, horizon 11,111,111 min, about
 * 10 million customers).
 *
 * It does what the library does, and nothing else: an event list (its own
 * binary min-heap of {time, kind} entries), its own xoshiro256** generator
 * with exponential draws by inversion, a FIFO of arrival times, and a
 * Welford running mean of the waits.  No statistics beyond that mean, no
 * histograms, no time series, no routes, no entity records.  Its speed is
 * what a hand-written C program gets, so bench_sim's figure divided by this
 * one says what the generality of borderflow costs.
 *
 * The mean wait must come out near the M/M/1 value rho / (mu - lambda) =
 * 0.9 / 0.1 = 9.0 min; bench_sim prints the same figure for mm1.ini, which
 * checks that both programs simulate the same system.
 *
 * Usage: minimal_mm1 [-n REPEATS] [HORIZON_MIN]
 * Output: a readable block and one "BENCH label=minimal_mm1 ..." line with
 * the same fields as bench_sim (median wall over the repeats).
 *
 * Memory: the FIFO ring doubles when full (bounded by the longest queue);
 * the heap never holds more than two events.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define MAX_REPEATS 1000

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

/* Exponential with the given mean, by inversion of a uniform on (0, 1]. */
static inline double rng_exp(rng *r, double mean)
{
    double u = (double)((rng_next(r) >> 11) + 1) * 0x1.0p-53;
    return -mean * log(u);
}

/* ---- the event list: a binary min-heap on time ------------------------ */

enum { EV_ARRIVAL, EV_DEPARTURE };

typedef struct event {
    double t;
    uint32_t kind;
} event;

typedef struct heap {
    event e[4]; /* never more than two pending events */
    uint32_t n;
} heap;

static inline void heap_push(heap *h, double t, uint32_t kind)
{
    uint32_t i = h->n++;
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (h->e[p].t <= t)
            break;
        h->e[i] = h->e[p];
        i = p;
    }
    h->e[i] = (event){t, kind};
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

/* ---- the model -------------------------------------------------------- */

typedef struct result {
    uint64_t customers, events;
    double mean_wait_s;
    double wall_s, cpu_s;
} result;

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int run(double horizon_s, result *out)
{
    const double mean_ia = 60.0 / 0.9, mean_svc = 60.0;
    rng arr, svc;
    rng_seed(&arr, 1);
    rng_seed(&svc, 2);

    size_t cap = 1024, head = 0, len = 0; /* FIFO ring of arrival times */
    double *fifo = malloc(cap * sizeof *fifo);
    if (!fifo)
        return 1;
    heap h = {.n = 0};
    int busy = 0;
    uint64_t customers = 0, events = 0, n_wait = 0;
    double mean_wait = 0.0;

    double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    double t0 = clock_s(CLOCK_MONOTONIC);
    heap_push(&h, rng_exp(&arr, mean_ia), EV_ARRIVAL);
    while (h.n > 0 && h.e[0].t <= horizon_s) {
        event ev = heap_pop(&h);
        double now = ev.t;
        events++;
        if (ev.kind == EV_ARRIVAL) {
            customers++;
            heap_push(&h, now + rng_exp(&arr, mean_ia), EV_ARRIVAL);
            if (!busy) {
                busy = 1;
                n_wait++;
                mean_wait += (0.0 - mean_wait) / (double)n_wait;
                heap_push(&h, now + rng_exp(&svc, mean_svc), EV_DEPARTURE);
            } else {
                if (len == cap) {
                    /* Unroll the ring into a buffer twice the size. */
                    double *f = malloc(2 * cap * sizeof *f);
                    if (!f) {
                        free(fifo);
                        return 1;
                    }
                    for (size_t k = 0; k < len; k++)
                        f[k] = fifo[(head + k) & (cap - 1)];
                    free(fifo);
                    fifo = f;
                    head = 0;
                    cap *= 2;
                }
                fifo[(head + len++) & (cap - 1)] = now;
            }
        } else if (len > 0) {
            double w = now - fifo[head];
            head = (head + 1) & (cap - 1);
            len--;
            n_wait++;
            mean_wait += (w - mean_wait) / (double)n_wait;
            heap_push(&h, now + rng_exp(&svc, mean_svc), EV_DEPARTURE);
        } else {
            busy = 0;
        }
    }
    double t1 = clock_s(CLOCK_MONOTONIC);
    double c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    free(fifo);
    out->customers = customers;
    out->events = events;
    out->mean_wait_s = mean_wait;
    out->wall_s = t1 - t0;
    out->cpu_s = c1 - c0;
    return 0;
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
    double horizon_min = 11111111.0;
    long repeats = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            repeats = strtol(argv[++i], NULL, 10);
            if (repeats < 1 || repeats > MAX_REPEATS) {
                fprintf(stderr, "minimal_mm1: -n expects 1 to %d\n", MAX_REPEATS);
                return 2;
            }
        } else if (argv[i][0] != '-') {
            horizon_min = strtod(argv[i], NULL);
            if (!(horizon_min > 0)) {
                fprintf(stderr, "minimal_mm1: the horizon (minutes) must be > 0\n");
                return 2;
            }
        } else {
            fprintf(stderr, "usage: minimal_mm1 [-n REPEATS] [HORIZON_MIN]\n");
            return 2;
        }
    }
    double wall[MAX_REPEATS], cpu[MAX_REPEATS];
    result r = {0};
    for (long k = 0; k < repeats; k++) {
        if (run(horizon_min * 60.0, &r) != 0) {
            fprintf(stderr, "minimal_mm1: out of memory\n");
            return 1;
        }
        wall[k] = r.wall_s;
        cpu[k] = r.cpu_s;
    }
    double w = median(wall, (size_t)repeats), c = median(cpu, (size_t)repeats);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("minimal_mm1: horizon %.6g min, %ld repeat(s)\n", horizon_min, repeats);
    printf("  customers         %llu\n", (unsigned long long)r.customers);
    printf("  loop wall time    %.3f s median (min %.3f s; CPU time %.3f s)\n", w, wall[0], c);
    printf("  customers/s       %.3f M\n", (double)r.customers / w / 1e6);
    printf("  mean wait         %.4f min (M/M/1: 9.0)\n", r.mean_wait_s / 60.0);
    printf("BENCH label=minimal_mm1 entities=%llu events=%llu wall_s=%.6f min_wall_s=%.6f "
           "cpu_s=%.6f entities_per_s=%.0f events_per_s=%.0f peak_rss_kb=%ld "
           "check_wait_min=%.6f\n",
           (unsigned long long)r.customers, (unsigned long long)r.events, w, wall[0], c,
           (double)r.customers / w, (double)r.events / w, ru.ru_maxrss, r.mean_wait_s / 60.0);
    return 0;
}
