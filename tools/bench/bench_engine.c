/*
 * bench_engine.c - the event list on its own: the classic "hold" benchmark.
 *
 * Usage: bench_engine [-n REPEATS] [HOLDS] [PENDING]...
 *   (defaults: 3 repeats, 10 million holds, pending sizes 4 64 320 3000
 *   30000 300000)
 *
 * For each size N the engine is filled with N events at exponential times
 * (mean N, so one event per unit of time); then every fired event
 * schedules one more at now + Exp(mean N), which keeps N pending and the
 * pending times distributed as in a steady simulation.  A hold is one
 * pop plus one push (bf_engine_run_until dispatching to a callback that
 * calls bf_engine_schedule), i.e. what one event costs the simulator in
 * the engine.  N = 4 is the M/M/1 benchmark's event list, 320 the
 * two-line model's, 3000 and 30000 the same with the zone dwell 10x and
 * 100x longer.
 *
 * Output: one line per size, "ns per hold" as the median wall time over
 * the repeats (and the median CPU time, steadier on a shared machine),
 * plus a BENCH line per size for scripts.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "borderflow/engine.h"
#include "borderflow/rng.h"

#define MAX_REPEATS 100
#define MAX_SIZES 32

typedef struct hold_ctx {
    bf_engine *e;
    bf_rng rng;
    double mean;
    bf_status st;
} hold_ctx;

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline double draw_exp(hold_ctx *h)
{
    return -h->mean * log(bf_rng_uniform_pos(&h->rng));
}

static void on_event(void *ctx, uint32_t kind, uint32_t a, uint32_t b)
{
    hold_ctx *h = ctx;
    bf_time t = bf_engine_now(h->e) + draw_exp(h);
    if (bf_engine_schedule(h->e, t, kind, a + 1, b, NULL) != BF_OK)
        h->st = BF_ENOMEM;
}

/* Wall and CPU seconds for `holds` holds with n pending events; returns
 * -1 on failure. */
static int run(size_t n, uint64_t holds, double *wall, double *cpu)
{
    hold_ctx h = {.mean = (double)n, .st = BF_OK};
    bf_rng_seed_u64(&h.rng, 0x5eedu + n);
    h.e = bf_engine_create(on_event, &h, n);
    if (!h.e)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (bf_engine_schedule(h.e, draw_exp(&h), 0, (uint32_t)i, 0, NULL) != BF_OK) {
            bf_engine_destroy(h.e);
            return -1;
        }
    /* Warm the caches and bring the pending times to their steady shape. */
    for (uint64_t k = 0; k < n && k < holds; k++)
        bf_engine_step(h.e);
    double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    double t0 = clock_s(CLOCK_MONOTONIC);
    for (uint64_t k = 0; k < holds; k++)
        bf_engine_step(h.e);
    double t1 = clock_s(CLOCK_MONOTONIC);
    double c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    bf_engine_destroy(h.e);
    *wall = t1 - t0;
    *cpu = c1 - c0;
    return h.st == BF_OK ? 0 : -1;
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
    static const size_t default_sizes[] = {4, 64, 320, 3000, 30000, 300000};
    size_t sizes[MAX_SIZES], n_sizes = 0;
    uint64_t holds = 10000000;
    long repeats = 3;
    int n_pos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            repeats = strtol(argv[++i], NULL, 10);
            if (repeats < 1 || repeats > MAX_REPEATS) {
                fprintf(stderr, "bench_engine: -n expects 1 to %d\n", MAX_REPEATS);
                return 2;
            }
        } else if (argv[i][0] != '-' && n_pos == 0) {
            holds = strtoull(argv[i], NULL, 10);
            n_pos++;
        } else if (argv[i][0] != '-' && n_sizes < MAX_SIZES) {
            long v = strtol(argv[i], NULL, 10);
            if (v < 1) {
                fprintf(stderr, "bench_engine: sizes must be >= 1\n");
                return 2;
            }
            sizes[n_sizes++] = (size_t)v;
        } else {
            fprintf(stderr, "usage: bench_engine [-n REPEATS] [HOLDS] [PENDING]...\n");
            return 2;
        }
    }
    if (holds == 0) {
        fprintf(stderr, "bench_engine: HOLDS must be >= 1\n");
        return 2;
    }
    if (n_sizes == 0) {
        n_sizes = sizeof default_sizes / sizeof default_sizes[0];
        memcpy(sizes, default_sizes, sizeof default_sizes);
    }
    printf("hold benchmark: %llu holds per size, median of %ld\n", (unsigned long long)holds,
           repeats);
    for (size_t s = 0; s < n_sizes; s++) {
        double w[MAX_REPEATS], c[MAX_REPEATS];
        for (long r = 0; r < repeats; r++) {
            if (run(sizes[s], holds, &w[r], &c[r]) != 0) {
                fprintf(stderr, "bench_engine: out of memory\n");
                return 1;
            }
        }
        double ns = median(w, (size_t)repeats) / (double)holds * 1e9;
        double ns_cpu = median(c, (size_t)repeats) / (double)holds * 1e9;
        printf("  pending %7zu   %6.1f ns per hold   (min %.1f, CPU time %.1f)\n", sizes[s], ns,
               w[0] / (double)holds * 1e9, ns_cpu);
        printf("BENCH label=engine_hold pending=%zu ns_per_hold=%.2f min_ns_per_hold=%.2f "
               "cpu_ns_per_hold=%.2f\n",
               sizes[s], ns, w[0] / (double)holds * 1e9, ns_cpu);
    }
    return 0;
}
