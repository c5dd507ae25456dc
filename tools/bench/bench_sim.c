/*
 * bench_sim.c - times the simulation loop of one replication of a scenario.
 *
 * Usage:
 *   bench_sim SCENARIO [-s|--set KEY=VALUE]... [-n REPEATS] [--label NAME]
 *
 * The scenario is an ordinary scenario file (tools/bench/mm1.ini,
 * tools/bench/two_line.ini), loaded with the same --set overrides the CLI
 * takes.  Replication 0 runs single-threaded, REPEATS times (default 1),
 * each time in a fresh bf_sim; the figures are the median over the
 * repeats.
 *
 * What is timed: bf_sim_run_until(horizon) only, i.e. the event loop with
 * every statistic the catalogue defines (tallies, histograms, time
 * averages and time-series samples, which go nowhere since there is no
 * sink).  Loading the scenario, building the catalogue, creating the sim
 * and computing the final values (bf_sim_finish after the loop) are not.
 *
 * Entities are the system "arrivals" key, which counts arrivals after the
 * warm-up only, so bench scenarios use warmup = 0s (a warning is printed
 * otherwise).  Events are every event the engine fired, samples included.
 * Peak RSS is getrusage's ru_maxrss for the whole process: the scenario,
 * the catalogue and the largest sim.
 *
 * Output: a readable block, then one machine-readable line
 *   BENCH label=.. entities=.. events=.. wall_s=.. min_wall_s=.. cpu_s=..
 *         entities_per_s=.. events_per_s=.. peak_rss_kb=.. check_wait_min=..
 * wall_s is the median wall-clock time of the loop (CLOCK_MONOTONIC) and
 * the rates are computed from it; min_wall_s is the fastest repeat; cpu_s
 * is the median process CPU time of the loop, printed because on a shared
 * machine it is the steadier of the two (it leaves out the time other
 * processes held the CPU).  check_wait_min is the mean wait at the
 * model's first station in minutes, the figure the minimal yardstick
 * loops also compute, so that the comparison can be checked to be like
 * for like.
 *
 * Exit status: 0 done, 1 run failure, 2 bad command line, 3 bad scenario.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "borderflow/scenario.h"
#include "borderflow/sim.h"

#define MAX_SETS 64
#define MAX_REPEATS 1000

typedef struct run_figures {
    double wall_s;
    double cpu_s;
    double entities;
    double events;
    double check_wait_s;
} run_figures;

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
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

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_sim SCENARIO [-s|--set KEY=VALUE]... [-n REPEATS] "
               "[--label NAME]\n");
}

/* One replication 0 of the model, timed.  Returns 0 or 1 (run failure). */
static int run_once(const bf_model *m, const bf_catalog *cat, long k_arrivals,
                    long k_check, run_figures *out)
{
    bf_sim *s = bf_sim_create(m, cat, m->seed, 0, NULL, NULL);
    if (!s) {
        fprintf(stderr, "bench_sim: out of memory creating the simulation\n");
        return 1;
    }
    double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    double t0 = clock_s(CLOCK_MONOTONIC);
    bf_status st = bf_sim_run_until(s, m->horizon);
    double t1 = clock_s(CLOCK_MONOTONIC);
    double c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    if (st == BF_OK)
        st = bf_sim_finish(s);
    if (st != BF_OK) {
        fprintf(stderr, "bench_sim: the run failed: %s\n", bf_status_str(st));
        bf_sim_destroy(s);
        return 1;
    }
    const double *v = bf_sim_values(s);
    out->wall_s = t1 - t0;
    out->cpu_s = c1 - c0;
    out->entities = v[k_arrivals];
    out->events = (double)bf_sim_events(s);
    out->check_wait_s = k_check >= 0 ? v[k_check] : 0.0;
    bf_sim_destroy(s);
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = NULL, *label = NULL;
    const char *sets[MAX_SETS];
    size_t n_sets = 0;
    long repeats = 1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((strcmp(a, "-s") == 0 || strcmp(a, "--set") == 0) && i + 1 < argc) {
            if (n_sets == MAX_SETS) {
                fprintf(stderr, "bench_sim: at most %d --set options\n", MAX_SETS);
                return 2;
            }
            sets[n_sets++] = argv[++i];
        } else if (strncmp(a, "--set=", 6) == 0) {
            if (n_sets == MAX_SETS) {
                fprintf(stderr, "bench_sim: at most %d --set options\n", MAX_SETS);
                return 2;
            }
            sets[n_sets++] = a + 6;
        } else if (strcmp(a, "-n") == 0 && i + 1 < argc) {
            char *end;
            repeats = strtol(argv[++i], &end, 10);
            if (*end || repeats < 1 || repeats > MAX_REPEATS) {
                fprintf(stderr, "bench_sim: -n expects 1 to %d\n", MAX_REPEATS);
                return 2;
            }
        } else if (strcmp(a, "--label") == 0 && i + 1 < argc) {
            label = argv[++i];
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (a[0] != '-' && !path) {
            path = a;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!path) {
        usage(stderr);
        return 2;
    }

    bf_error err;
    bf_error_clear(&err);
    bf_scenario *sc = NULL;
    bf_status st = bf_scenario_load(path, sets, n_sets, &sc, &err);
    if (st != BF_OK) {
        char msg[1400];
        if (st == BF_EINVAL)
            bf_error_format(&err, msg, sizeof msg);
        else
            snprintf(msg, sizeof msg, "%s: %s", path, bf_status_str(st));
        fprintf(stderr, "bench_sim: %s\n", msg);
        return st == BF_EINVAL ? 3 : 1;
    }
    const bf_model *m = sc->model;
    if (!label)
        label = m->name;
    if (m->warmup > 0)
        fprintf(stderr, "bench_sim: warning: warm-up %gs; arrivals before it are not "
                        "counted as entities\n", m->warmup);

    bf_catalog *cat = NULL;
    if (bf_catalog_create(m, &cat) != BF_OK) {
        fprintf(stderr, "bench_sim: out of memory building the catalogue\n");
        bf_scenario_destroy(sc);
        return 1;
    }
    long k_arrivals = bf_catalog_find(cat, "system", "", "", "arrivals");
    long k_check = -1;
    const char *check_node = "";
    for (size_t n = 0; n < m->n_nodes; n++)
        if (m->nodes[n].kind == BF_NODE_STATION) {
            check_node = m->nodes[n].name;
            k_check = bf_catalog_find(cat, "station", check_node, "", "wait_mean");
            break;
        }
    if (k_arrivals < 0) {
        fprintf(stderr, "bench_sim: the catalogue has no system arrivals key\n");
        bf_catalog_destroy(cat);
        bf_scenario_destroy(sc);
        return 1;
    }

    double *wall = malloc(2 * (size_t)repeats * sizeof *wall);
    if (!wall) {
        bf_catalog_destroy(cat);
        bf_scenario_destroy(sc);
        return 1;
    }
    double *cpu = wall + repeats;
    run_figures f = {0};
    int rc = 0;
    for (long r = 0; r < repeats && rc == 0; r++) {
        rc = run_once(m, cat, k_arrivals, k_check, &f);
        wall[r] = f.wall_s;
        cpu[r] = f.cpu_s;
    }
    if (rc == 0) {
        /* Every repeat runs the same replication, so entities, events and
         * the check figure are identical; only the times vary. */
        double w = median(wall, (size_t)repeats), min_wall = wall[0];
        double c = median(cpu, (size_t)repeats);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        long rss_kb = ru.ru_maxrss; /* kilobytes on Linux */

        printf("%s: %s, horizon %.6g min, %ld repeat(s)\n", label, path, m->horizon / 60.0,
               repeats);
        printf("  entities          %.0f\n", f.entities);
        printf("  events            %.0f (%.2f per entity)\n", f.events,
               f.entities > 0 ? f.events / f.entities : 0.0);
        printf("  loop wall time    %.3f s median (min %.3f s; CPU time %.3f s)\n", w,
               min_wall, c);
        printf("  entities/s        %.3f M\n", f.entities / w / 1e6);
        printf("  events/s          %.3f M\n", f.events / w / 1e6);
        printf("  peak RSS          %.1f MiB\n", rss_kb / 1024.0);
        printf("  mean wait at %s %.4f min\n", check_node, f.check_wait_s / 60.0);
        printf("BENCH label=%s entities=%.0f events=%.0f wall_s=%.6f min_wall_s=%.6f "
               "cpu_s=%.6f entities_per_s=%.0f events_per_s=%.0f peak_rss_kb=%ld "
               "check_wait_min=%.6f\n",
               label, f.entities, f.events, w, min_wall, c, f.entities / w, f.events / w,
               rss_kb, f.check_wait_s / 60.0);
    }
    free(wall);
    bf_catalog_destroy(cat);
    bf_scenario_destroy(sc);
    return rc;
}
