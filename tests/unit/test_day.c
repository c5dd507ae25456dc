/*
 * test_day.c - demand and capacity through the day, on models whose
 * results are known exactly: shuttle batches, trace-driven arrivals,
 * booked slots, staffing schedules (closed hours, non-preemptive shift
 * ends, staffed time), finite capacity, patience, the initial state, the
 * time of day and day of week at the start, trace attributes as seen by
 * rules, and thread-count determinism and allocation failures with all of
 * these on.
 *
 * Observing arrivals.  Most checks read the catalogue after
 * bf_sim_finish.  Where the instants matter (trace times, slot starts,
 * batch sizes, day of week) the test drives the run with bf_sim_step and
 * records every event that raised bf_sim_in_system: an entity enters the
 * system in exactly one event (EV_ARRIVAL, EV_ENTER, or EV_BATCH for a
 * whole group), and nothing else raises the count, so the record is the
 * list of entry instants with their multiplicities.  None of these models
 * has a finite capacity, so no entity is lost in the event it enters.
 *
 * Statistical checks (batch fill, booking share, punctuality) compare a
 * count or a mean with its exact distribution at the 99.9% two-sided
 * level (z = 3.2905); with the fixed seeds they are deterministic.
 *
 * Trace files are in tests/data/traces (found through BF_TEST_DATA, set
 * by ctest); scenarios are parsed under the name
 * BF_TEST_DATA/traces/day.ini so that relative trace paths resolve there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "borderflow/runner.h"
#include "borderflow/scenario.h"
#include "borderflow/sim.h"
#include "unit/simfix.h"

#define Z999 3.2905 /* two-sided 99.9% normal quantile */

/* ---- helpers ------------------------------------------------------------ */

static const char *data_dir(void)
{
    const char *d = getenv("BF_TEST_DATA");
    if (!d)
        fail_msg("BF_TEST_DATA is not set (run the test through ctest)");
    return d;
}

/* Parses the scenario text as tests/data/traces/day.ini, so that trace
 * files next to it are found; the run is not created yet. */
static void parse(fixture *f, const char *text)
{
    char name[1024];
    snprintf(name, sizeof name, "%s/traces/day.ini", data_dir());
    load_named(f, name, text, NULL, 0);
}

static void setup_day(fixture *f, const char *text)
{
    parse(f, text);
    start(f);
}

/* Relative comparison for values that are sums of exact terms (Welford
 * means and time averages round in the last bits). */
static void near(double got, double want, const char *what)
{
    double tol = 1e-9 * (fabs(want) > 1.0 ? fabs(want) : 1.0);
    if (!(fabs(got - want) <= tol))
        fail_msg("%s: got %.17g, expected %.17g", what, got, want);
}

/* Entry instants: each event that raised the number in the system, with
 * the number of entities that entered in it. */
typedef struct entries {
    double *t;
    int *n;
    size_t len, cap;
} entries;

static void entries_fini(entries *e)
{
    free(e->t);
    free(e->n);
}

/* Runs f's sim to the horizon event by event, recording entries. */
static void record_entries(fixture *f, entries *e)
{
    memset(e, 0, sizeof *e);
    size_t before = bf_sim_in_system(f->sim);
    while (bf_sim_step(f->sim)) {
        size_t after = bf_sim_in_system(f->sim);
        if (after > before) {
            if (e->len == e->cap) {
                e->cap = e->cap ? 2 * e->cap : 256;
                e->t = realloc(e->t, e->cap * sizeof *e->t);
                e->n = realloc(e->n, e->cap * sizeof *e->n);
                assert_non_null(e->t);
                assert_non_null(e->n);
            }
            e->t[e->len] = bf_sim_now(f->sim);
            e->n[e->len] = (int)(after - before);
            e->len++;
        }
        before = after;
    }
    assert_int_equal(bf_sim_finish(f->sim), BF_OK);
}

static double normal_cdf(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

/* Replaces class c's trace by times[0..n-1] (no attributes). */
static void set_trace(bf_model *m, size_t c, const double *times, size_t n)
{
    bf_class *cl = &m->classes[c];
    assert_int_equal(cl->arrival_kind, BF_ARR_TRACE);
    bf_free(cl->trace_times);
    bf_free(cl->trace_attrs);
    cl->trace_attrs = NULL;
    cl->trace_times = bf_malloc(n * sizeof *cl->trace_times);
    assert_non_null(cl->trace_times);
    memcpy(cl->trace_times, times, n * sizeof *times);
    cl->n_trace = n;
}

/* ---- batches ------------------------------------------------------------ */

/* Groups of 37 every 15 min from 2.5 min, every seat taken: the groups
 * arrive at 150 + 900 k s (k = 0..13 within the 12 300 s horizon), 37 at
 * once.  One server with a 11.5 s service clears a group in 425.5 s, well
 * before the next: the i-th of a group waits i x 11.5 s exactly, so the
 * mean wait is 11.5 x 36 / 2 = 207 s and the queue peaks at 36. */
static void test_day_batch_full_groups_exact(void **state)
{
    (void)state;
    fixture f;
    setup_day(&f, "[simulation]\nhorizon = 12300s\nsample_every = 0s\n"
              "[class bus]\narrivals = batch(every=15min, size=37, fill=100%, offset=2.5min)\n"
              "route = q\n"
              "[station q]\nservers = 1\nservice = const(11.5s)\n");
    entries e;
    record_entries(&f, &e);
    assert_int_equal(e.len, 14);
    for (size_t k = 0; k < e.len; k++) {
        assert_true(e.t[k] == 150.0 + 900.0 * (double)k);
        assert_int_equal(e.n[k], 37);
    }
    near(value(&f, "class", "bus", "bus", "arrivals"), 14 * 37, "arrivals");
    near(value(&f, "station", "q", "", "served"), 14 * 37, "served");
    near(value(&f, "system", "", "", "departures"), 14 * 37, "departures");
    near(value(&f, "station", "q", "", "wait_mean"), 11.5 * 36 / 2, "wait_mean");
    near(value(&f, "station", "q", "", "wait_max"), 11.5 * 36, "wait_max");
    near(value(&f, "station", "q", "", "queue_max"), 36, "queue_max");
    entries_fini(&e);
    teardown(&f);
}

/* fill = 37.5%: each of the 40 seats is taken independently, so a
 * group's size is Binomial(40, 0.375): mean 15, variance npq = 9.375.
 * Over G = 4000 groups the mean size has SD sqrt(npq / G) = 0.0484, and
 * the sample variance has SD sqrt((mu4 - sigma^4) / G) with the binomial
 * mu4 = 3 sigma^4 + sigma^2 (1 - 6pq): 0.207.  Both are checked at
 * 99.9%. */
static void test_day_batch_fill_is_binomial(void **state)
{
    (void)state;
    const int size = 40, G = 4000;
    const double p = 0.375, every = 600.0, offset = 60.0;
    fixture f;
    setup_day(&f, "[simulation]\nhorizon = 40000min\nsample_every = 0s\nseed = 23861\n"
              "[class bus]\narrivals = batch(every=10min, size=40, fill=37.5%, offset=1min)\n"
              "route = hall\n"
              "[delay hall]\ntime = const(30s)\n");
    entries e;
    record_entries(&f, &e);
    int *count = calloc((size_t)G, sizeof *count);
    assert_non_null(count);
    for (size_t i = 0; i < e.len; i++) {
        double k = (e.t[i] - offset) / every;
        assert_true(k == floor(k) && k >= 0 && k < G); /* only at group instants */
        count[(int)k] += e.n[i];
    }
    double sum = 0, sum2 = 0, total = 0;
    for (int k = 0; k < G; k++) {
        assert_true(count[k] >= 0 && count[k] <= size);
        sum += count[k];
        total += count[k];
    }
    double mean = sum / G;
    for (int k = 0; k < G; k++)
        sum2 += (count[k] - mean) * (count[k] - mean);
    double var = sum2 / (G - 1);
    double npq = size * p * (1 - p);
    double mu4 = 3 * npq * npq + npq * (1 - 6 * p * (1 - p));
    double sd_mean = sqrt(npq / G), sd_var = sqrt((mu4 - npq * npq) / G);
    print_message("  group size mean %.4f (theory %.4f +- %.4f), variance %.4f "
                  "(theory %.4f +- %.4f)\n",
                  mean, size * p, Z999 * sd_mean, var, npq, Z999 * sd_var);
    assert_true(fabs(mean - size * p) <= Z999 * sd_mean);
    assert_true(fabs(var - npq) <= Z999 * sd_var);
    near(value(&f, "class", "bus", "bus", "arrivals"), total, "arrivals = sum of groups");
    free(count);
    entries_fini(&e);
    teardown(&f);
}

/* ---- traces ------------------------------------------------------------- */

/* day-exact.csv: arrivals at 12.5, 40, 60 (1min), 90 (1.5min) and 100 s,
 * with attributes given in full, left empty (drawn), and partly given.
 * One server, 30 s each: services start at 12.5, 42.5, 72.5, 102.5 and
 * 132.5 s, so the waits are 0, 2.5, 12.5, 12.5 and 32.5 s (mean 12). */
static void test_day_trace_exact_times_and_attributes(void **state)
{
    (void)state;
    fixture f;
    setup_day(&f, "[simulation]\nhorizon = 1h\nsample_every = 0s\n"
              "[class c]\narrivals = trace(file=day-exact.csv)\nroute = q\n"
              "[station q]\nservers = 1\nservice = const(30s)\n");
    const double want[5] = {12.5, 40.0, 60.0, 90.0, 100.0};
    /* whitelisted, predeclared, risk (0 low, 1 medium, 2 high); -1: draw */
    const int8_t attrs[15] = {1, 0, 2, -1, -1, -1, 0, 1, 0, 1, 1, 1, 0, -1, -1};
    const bf_class *cl = &f.sc->model->classes[0];
    assert_int_equal(cl->arrival_kind, BF_ARR_TRACE);
    assert_int_equal(cl->n_trace, 5);
    assert_memory_equal(cl->trace_times, want, sizeof want);
    assert_non_null(cl->trace_attrs);
    assert_memory_equal(cl->trace_attrs, attrs, sizeof attrs);
    near(cl->rate, 5.0 / 100.0, "rate = entries per second of trace");

    entries e;
    record_entries(&f, &e);
    assert_int_equal(e.len, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_true(e.t[i] == want[i]);
        assert_int_equal(e.n[i], 1);
    }
    near(value(&f, "class", "c", "c", "arrivals"), 5, "arrivals");
    near(value(&f, "station", "q", "", "served"), 5, "served");
    near(value(&f, "station", "q", "", "wait_mean"), 12.0, "wait_mean");
    near(value(&f, "station", "q", "", "wait_max"), 32.5, "wait_max");
    near(value(&f, "system", "", "", "departures"), 5, "departures");
    entries_fini(&e);
    teardown(&f);
}

/* The trace's attributes decide what rules do to each entity; empty
 * columns are drawn from the class's shares.  Five stations on the route,
 * each skipped by the entities with one attribute: a station's served
 * count is the number of entities without it.  day-exact.csv gives
 * (whitelisted, predeclared, risk) = (1, 0, high), (-, -, -), (0, 1, low),
 * (1, 1, medium), (0, -, -).  With shares 0%, 0%, low 100% the drawn values
 * are 0, 0, low; with 100%, 100%, high 100% they are 1, 1, high. */
static void test_day_trace_attributes_drive_rules(void **state)
{
    (void)state;
    static const char fmt[] =
        "[simulation]\nhorizon = 1h\nsample_every = 0s\n"
        "[class c]\narrivals = trace(file=day-exact.csv)\n%s\n"
        "route = w_st, p_st, lo_st, med_st, hi_st\n"
        "[station w_st]\nservice = const(1s)\n[station p_st]\nservice = const(1s)\n"
        "[station lo_st]\nservice = const(1s)\n[station med_st]\nservice = const(1s)\n"
        "[station hi_st]\nservice = const(1s)\n"
        "[rule a]\nmatch = whitelisted\nat = w_st\nskip = yes\n"
        "[rule b]\nmatch = predeclared\nat = p_st\nskip = yes\n"
        "[rule c]\nmatch = risk low\nat = lo_st\nskip = yes\n"
        "[rule d]\nmatch = risk medium\nat = med_st\nskip = yes\n"
        "[rule e]\nmatch = risk high\nat = hi_st\nskip = yes\n";
    static const struct {
        const char *shares;
        double w, p, lo, med, hi;
    } cases[] = {
        /* not whitelisted: #2 #3 #5; not predeclared: #1 #2 #5; not low:
         * #1 #4; not medium: all but #4; not high: all but #1 */
        {"whitelisted = 0%\npredeclared = 0%\nrisk = low 100%", 3, 3, 2, 4, 4},
        /* not whitelisted: #3 #5; not predeclared: #1; not low: all but
         * #3; not medium: all but #4; not high: #3 #4 */
        {"whitelisted = 100%\npredeclared = 100%\nrisk = high 100%", 2, 1, 4, 4, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[2048];
        snprintf(text, sizeof text, fmt, cases[i].shares);
        fixture f;
        setup_day(&f, text);
        assert_int_equal(bf_sim_finish(f.sim), BF_OK);
        near(value(&f, "station", "w_st", "", "served"), cases[i].w, "w_st served");
        near(value(&f, "station", "p_st", "", "served"), cases[i].p, "p_st served");
        near(value(&f, "station", "lo_st", "", "served"), cases[i].lo, "lo_st served");
        near(value(&f, "station", "med_st", "", "served"), cases[i].med, "med_st served");
        near(value(&f, "station", "hi_st", "", "served"), cases[i].hi, "hi_st served");
        near(value(&f, "system", "", "", "departures"), 5, "departures");
        teardown(&f);
    }
}

/* A trace may open with comments: the header is the first line that is
 * not a comment, wherever it is.  (Fails today: the header is only
 * recognised on line 1, and line 2 is rejected as a malformed time.) */
static void test_day_trace_comment_before_header(void **state)
{
    (void)state;
    fixture f;
    setup_day(&f, "[simulation]\nhorizon = 1h\nsample_every = 0s\n"
              "[class c]\narrivals = trace(file=day-comment-first.csv)\nroute = q\n"
              "[station q]\nservers = 1\nservice = const(30s)\n");
    const bf_class *cl = &f.sc->model->classes[0];
    assert_int_equal(cl->n_trace, 2);
    assert_true(cl->trace_times[0] == 30.0 && cl->trace_times[1] == 75.0);
    teardown(&f);
}

/* Blanks around a value are not part of it, in every column (as for the
 * time).  Fails today: "30 , 1 , 0 , low " is refused with "column 2 is
 * '1 '". */
static void test_day_trace_blanks_around_values(void **state)
{
    (void)state;
    fixture f;
    setup_day(&f, "[simulation]\nhorizon = 1h\nsample_every = 0s\n"
              "[class c]\narrivals = trace(file=day-blanks.csv)\nroute = q\n"
              "[station q]\nservers = 1\nservice = const(30s)\n");
    const bf_class *cl = &f.sc->model->classes[0];
    const int8_t attrs[6] = {1, 0, 0, 0, 1, 2};
    assert_int_equal(cl->n_trace, 2);
    assert_non_null(cl->trace_attrs);
    assert_memory_equal(cl->trace_attrs, attrs, sizeof attrs);
    teardown(&f);
}

/* ---- booked slots ------------------------------------------------------- */

/* Everyone books, punctuality 0: an entity whose random arrival is at
 * t = 7 k min enters exactly at the next slot start ceil(t / 15 min) x
 * 15 min (t itself when t is a slot start); bookings past the horizon
 * are dropped. */
static void test_day_booked_exact_slot_starts(void **state)
{
    (void)state;
    const double slot = 900.0, horizon = 2990 * 60.0;
    fixture f;
    setup_day(&f, "[simulation]\nhorizon = 2990min\nsample_every = 0s\n"
              "[class c]\narrivals = renewal(const(7min))\nbooked = 100%\nslot = 15min\n"
              "punctuality = 0s\nroute = hall\n"
              "[delay hall]\ntime = const(1s)\n");
    entries e;
    record_entries(&f, &e);
    /* Expected entries per slot start. */
    size_t n_slots = (size_t)(horizon / slot) + 1;
    int *want = calloc(n_slots, sizeof *want), *got = calloc(n_slots, sizeof *got);
    assert_non_null(want);
    assert_non_null(got);
    int n_want = 0;
    for (int k = 1; 420.0 * k <= horizon; k++) {
        double s = ceil(420.0 * k / slot) * slot;
        if (s <= horizon) {
            want[(size_t)(s / slot)]++;
            n_want++;
        }
    }
    int n_got = 0;
    for (size_t i = 0; i < e.len; i++) {
        double q = e.t[i] / slot;
        if (q != floor(q))
            fail_msg("entry at %.17g s, not a slot start", e.t[i]);
        got[(size_t)q] += e.n[i];
        n_got += e.n[i];
    }
    assert_int_equal(n_got, n_want);
    assert_memory_equal(got, want, n_slots * sizeof *got);
    near(value(&f, "class", "c", "c", "arrivals"), n_want, "arrivals");
    free(want);
    free(got);
    entries_fini(&e);
    teardown(&f);
}

/* booked = 30%: the others enter at their random arrival time.  An
 * arrival at t = 7 k min that is not a slot start is booked with
 * probability 0.3 and then enters at a slot start, else at t, which is
 * not one: the number entering off the slot grid is Binomial(n, 0.7). */
static void test_day_booked_share(void **state)
{
    (void)state;
    const double slot = 900.0, horizon = 2990 * 60.0;
    fixture f;
    setup_day(&f, "[simulation]\nhorizon = 2990min\nsample_every = 0s\nseed = 23862\n"
              "[class c]\narrivals = renewal(const(7min))\nbooked = 30%\nslot = 15min\n"
              "punctuality = 0s\nroute = hall\n"
              "[delay hall]\ntime = const(1s)\n");
    entries e;
    record_entries(&f, &e);
    int n_off = 0, n_off_grid = 0;
    for (int k = 1; 420.0 * k <= horizon; k++)
        n_off += fmod(420.0 * k, slot) != 0;
    for (size_t i = 0; i < e.len; i++) {
        bool on_slot = fmod(e.t[i], slot) == 0, on_arrival = fmod(e.t[i], 420.0) == 0;
        assert_true(on_slot || on_arrival);
        n_off_grid += on_slot ? 0 : e.n[i];
    }
    double mean = 0.7 * n_off, sd = sqrt(n_off * 0.7 * 0.3);
    print_message("  unbooked entries off the slot grid %d (theory %.1f +- %.1f)\n", n_off_grid,
                  mean, Z999 * sd);
    assert_true(fabs(n_off_grid - mean) <= Z999 * sd);
    entries_fini(&e);
    teardown(&f);
}

/* Punctuality 3 min, slots of 1 h, one arrival per hour (a trace set
 * here).  (a) Arrivals 1 min after a slot start book the next one, 59 min
 * ahead: the entry is the slot start + N(0, 180 s), never clipped (the
 * random time is 19.7 SD before), so the deviations from the nearest slot
 * start have mean 0 and SD 180 s.  (b) Arrivals 30 s before a slot start:
 * the entry is max(t, s + 180 z): never before t, and exactly at t with
 * probability Phi(-30/180) = 0.4338. */
static void test_day_booked_punctuality(void **state)
{
    (void)state;
    enum { N = 2000 };
    const double sd = 180.0;
    static const char text[] =
        "[simulation]\nhorizon = 2002h\nsample_every = 0s\nseed = 23863\n"
        "[class c]\narrivals = trace(file=day-exact.csv)\nbooked = 100%\nslot = 1h\n"
        "punctuality = 3min\nroute = hall\n"
        "[delay hall]\ntime = const(1s)\n";
    double *t = malloc(N * sizeof *t);
    assert_non_null(t);

    /* (a) */
    fixture f;
    parse(&f, text);
    for (int k = 0; k < N; k++)
        t[k] = 3600.0 * k + 60.0;
    set_trace(f.sc->model, 0, t, N);
    start(&f);
    entries e;
    record_entries(&f, &e);
    double sum = 0, sum2 = 0;
    int n = 0;
    for (size_t i = 0; i < e.len; i++)
        for (int j = 0; j < e.n[i]; j++) {
            double d = e.t[i] - round(e.t[i] / 3600.0) * 3600.0;
            sum += d;
            sum2 += d * d;
            n++;
        }
    assert_int_equal(n, N);
    double mean = sum / n, s = sqrt((sum2 - n * mean * mean) / (n - 1));
    print_message("  deviation from slot start: mean %.2f s (0 +- %.2f), sd %.2f s "
                  "(180 +- %.2f)\n",
                  mean, Z999 * sd / sqrt(N), s, Z999 * sd / sqrt(2.0 * N));
    assert_true(fabs(mean) <= Z999 * sd / sqrt(N));
    /* SD of the sample SD of a normal sample: sigma / sqrt(2 (n - 1)). */
    assert_true(fabs(s - sd) <= Z999 * sd / sqrt(2.0 * (N - 1)));
    entries_fini(&e);
    teardown(&f);

    /* (b) */
    parse(&f, text);
    for (int k = 0; k < N; k++)
        t[k] = 3600.0 * k + 3570.0;
    set_trace(f.sc->model, 0, t, N);
    start(&f);
    record_entries(&f, &e);
    int at_t = 0;
    n = 0;
    for (size_t i = 0; i < e.len; i++) {
        double d = e.t[i] - round(e.t[i] / 3600.0) * 3600.0;
        assert_true(d >= -30.0); /* never before the random arrival */
        at_t += d == -30.0 ? e.n[i] : 0;
        n += e.n[i];
    }
    assert_int_equal(n, N);
    double p = normal_cdf(-30.0 / sd);
    print_message("  entries clipped to the arrival time %d (theory %.1f +- %.1f)\n", at_t,
                  N * p, Z999 * sqrt(N * p * (1 - p)));
    assert_true(fabs(at_t - N * p) <= Z999 * sqrt(N * p * (1 - p)));
    entries_fini(&e);
    teardown(&f);
    free(t);
}

/* Slots are times of day (07:15, 07:30, ...), not offsets from the start
 * of the run: with start = 07:10 and 15 min slots, a booked entity that
 * turns up at 07:17 enters at 07:30.  (Fails today: slot starts are
 * multiples of the slot length after t = 0, i.e. 07:25, 07:40, ...;
 * listed under known issues in docs/scenario-reference.md.) */
static void test_day_booked_slots_follow_the_clock(void **state)
{
    (void)state;
    const double slot = 900.0, start_clock = 7 * 3600.0 + 600.0;
    fixture f;
    setup_day(&f, "[simulation]\nhorizon = 10h\nsample_every = 0s\nstart = 07:10\n"
              "[class c]\narrivals = renewal(const(7min))\nbooked = 100%\nslot = 15min\n"
              "punctuality = 0s\nroute = hall\n"
              "[delay hall]\ntime = const(1s)\n");
    entries e;
    record_entries(&f, &e);
    size_t n = e.len, off = 0;
    double first_off = NAN;
    for (size_t i = 0; i < e.len; i++) {
        double q = (start_clock + e.t[i]) / slot;
        if (q != floor(q) && off++ == 0)
            first_off = e.t[i];
    }
    entries_fini(&e);
    teardown(&f);
    assert_true(n > 0);
    if (off)
        fail_msg("%zu of %zu entries are not at a quarter hour; the first is %.0f s after "
                 "07:10",
                 off, n, first_off);
}

/* ---- staffing schedules ------------------------------------------------- */

/* Closed 00:00-08:00, one server from 08:00.  Arrivals every 57 min
 * (00:57, 01:54, ..., 07:36, then 08:33), 2 min each.  The eight queued
 * by 08:00 are served from 08:00 in order: the k-th starts at
 * 480 + 2 (k - 1) min and waits 480 + 2 (k - 1) - 57 k min; the one at
 * 08:33 finds the server free.  Busy 18 min in the one staffed hour. */
static void test_day_schedule_closed_until_0800(void **state)
{
    (void)state;
    fixture f;
    setup_day(&f, "[simulation]\nhorizon = 9h\nsample_every = 0s\n"
              "[class c]\narrivals = renewal(const(57min))\nroute = q\n"
              "[station q]\nschedule = 00:00-08:00 0, 08:00-24:00 1\nservice = const(2min)\n");
    assert_int_equal(bf_sim_finish(f.sim), BF_OK);
    double sum = 0;
    for (int k = 1; k <= 8; k++)
        sum += (480.0 + 2.0 * (k - 1) - 57.0 * k) * 60.0;
    near(value(&f, "station", "q", "", "served"), 9, "served");
    near(value(&f, "station", "q", "", "wait_mean"), sum / 9, "wait_mean");
    near(value(&f, "station", "q", "", "wait_max"), 423 * 60.0, "wait_max");
    near(value(&f, "station", "q", "", "wait_mean_h08"), sum / 9, "wait_mean_h08");
    /* Every service starts in hour 08, so its histogram is the station's. */
    assert_true(value(&f, "station", "q", "", "wait_p95_h08") ==
                value(&f, "station", "q", "", "wait_p95"));
    near(value(&f, "station", "q", "", "queue_max"), 8, "queue_max");
    near(value(&f, "station", "q", "", "throughput_h08"), 9, "throughput_h08");
    near(value(&f, "station", "q", "", "throughput_h07"), 0, "throughput_h07");
    /* Hours the 9 h window never covers have no by-hour keys. */
    assert_true(bf_catalog_find(f.cat, "station", "q", "", "throughput_h09") < 0);
    assert_true(bf_catalog_find(f.cat, "class", "c", "c", "arrivals_h23") < 0);
    for (int h = 0; h <= 8; h++) {
        char name[32];
        snprintf(name, sizeof name, "arrivals_h%02d", h);
        near(value(&f, "class", "c", "c", name), 1, name);
    }
    near(value(&f, "station", "q", "", "utilization"), 18.0 / 60.0, "utilization");
    near(value(&f, "station", "q", "", "servers"), 1.0 / 9.0, "servers (mean staffed)");
    near(value(&f, "station", "q", "", "staff_hours_per_day"), 24.0 / 9.0, "staff_hours_per_day");
    teardown(&f);
}

/* One server 08:00-12:00, closed otherwise, over two days; 30 min
 * services.  An arrival at 11:59:00 is served to 12:29 although the
 * shift ends at 12:00 (non-preemptive): that half hour less a minute is
 * overtime, staffed but not scheduled.  An arrival at 11:59:30 waits for
 * the next morning (08:00 on day 2).  Staffed: 08:00-12:29 and
 * 08:00-12:00, 30 540 s in 2 days; busy 3 600 s. */
static void test_day_shift_end_is_non_preemptive(void **state)
{
    (void)state;
    fixture f;
    parse(&f, "[simulation]\nhorizon = 2d\nsample_every = 0s\n"
              "[class c]\narrivals = trace(file=day-exact.csv)\nroute = q\n"
              "[station q]\nschedule = 00:00-08:00 0, 08:00-12:00 1, 12:00-24:00 0\n"
              "service = const(30min)\n");
    const double t[2] = {43140.0, 43170.0};
    set_trace(f.sc->model, 0, t, 2);
    start(&f);
    /* Follow the run: the first departure is at 12:29, not at 12:00. */
    double first_exit = NAN;
    size_t before = bf_sim_in_system(f.sim);
    while (bf_sim_step(f.sim)) {
        size_t after = bf_sim_in_system(f.sim);
        if (after < before && isnan(first_exit))
            first_exit = bf_sim_now(f.sim);
        before = after;
    }
    assert_int_equal(bf_sim_finish(f.sim), BF_OK);
    near(first_exit, 43140.0 + 1800.0, "first departure");
    const double staffed = (12 * 3600.0 + 29 * 60.0 - 8 * 3600.0) + 4 * 3600.0;
    const double wait2 = 86400.0 + 8 * 3600.0 - 43170.0;
    near(value(&f, "station", "q", "", "served"), 2, "served");
    near(value(&f, "system", "", "", "departures"), 2, "departures");
    near(value(&f, "station", "q", "", "wait_max"), wait2, "wait of the second");
    near(value(&f, "station", "q", "", "wait_mean"), wait2 / 2, "wait_mean");
    near(value(&f, "station", "q", "", "staff_hours_per_day"), staffed / 3600.0 / 2,
         "staff_hours_per_day");
    near(value(&f, "station", "q", "", "utilization"), 3600.0 / staffed, "utilization");
    near(value(&f, "station", "q", "", "servers"), staffed / (2 * 86400.0), "servers");
    teardown(&f);
}

/* ---- capacity and patience ---------------------------------------------- */

/* Groups of 5 every 10 min (t = 0, 10, ..., 90 min) into
 *   q1: 1 server, capacity 2: one served, one waits 1 min, 3 blocked;
 *   q2: 2 servers, capacity 3: two served, one waits 1 min, 2 blocked.
 * Blocked entities leave: they are neither served nor departures. */
static void test_day_capacity_blocks_when_full(void **state)
{
    (void)state;
    fixture f;
    setup_day(&f, "[simulation]\nhorizon = 95min\nsample_every = 0s\n"
              "[class a]\narrivals = batch(every=10min, size=5)\nroute = q1\n"
              "[class b]\narrivals = batch(every=10min, size=5)\nroute = q2\n"
              "[station q1]\nservers = 1\ncapacity = 2\nservice = const(1min)\n"
              "[station q2]\nservers = 2\ncapacity = 3\nservice = const(1min)\n");
    assert_int_equal(bf_sim_finish(f.sim), BF_OK);
    near(value(&f, "class", "a", "a", "arrivals"), 50, "a arrivals");
    near(value(&f, "station", "q1", "", "blocked"), 30, "q1 blocked");
    near(value(&f, "station", "q1", "", "blocking_probability"), 0.6, "q1 blocking");
    near(value(&f, "station", "q1", "", "served"), 20, "q1 served");
    near(value(&f, "station", "q1", "", "wait_mean"), 30, "q1 wait_mean");
    near(value(&f, "station", "q1", "", "queue_max"), 1, "q1 queue_max");
    near(value(&f, "station", "q2", "", "blocked"), 20, "q2 blocked");
    near(value(&f, "station", "q2", "", "blocking_probability"), 0.4, "q2 blocking");
    near(value(&f, "station", "q2", "", "served"), 30, "q2 served");
    near(value(&f, "station", "q2", "", "wait_mean"), 20, "q2 wait_mean");
    near(value(&f, "class", "a", "a", "blocked"), 30, "a blocked");
    near(value(&f, "class", "b", "b", "blocked"), 20, "b blocked");
    near(value(&f, "system", "", "", "blocked"), 50, "system blocked");
    near(value(&f, "system", "", "", "reneged"), 0, "system reneged");
    near(value(&f, "system", "", "", "departures"), 50, "departures");
    near(value(&f, "class", "a", "a", "departures"), 20, "a departures");
    teardown(&f);
}

/* Groups of 3 every 10 min, one server, 2 min each, patience 150 s: the
 * first is served at once, the second after 120 s (< 150: its pending
 * give-up must be cancelled), the third would wait 240 s and leaves at
 * 150 s. */
static void test_day_patience_reneges_exactly(void **state)
{
    (void)state;
    fixture f;
    setup_day(&f, "[simulation]\nhorizon = 95min\nsample_every = 0s\n"
              "[class c]\narrivals = batch(every=10min, size=3)\nroute = q\n"
              "[station q]\nservers = 1\npatience = const(150s)\nservice = const(2min)\n");
    entries e;
    record_entries(&f, &e);
    near(value(&f, "class", "c", "c", "arrivals"), 30, "arrivals");
    near(value(&f, "station", "q", "", "served"), 20, "served");
    near(value(&f, "station", "q", "", "reneged"), 10, "reneged");
    near(value(&f, "station", "q", "", "abandonment_probability"), 1.0 / 3.0, "abandonment");
    near(value(&f, "station", "q", "", "wait_mean"), 60, "wait_mean");
    near(value(&f, "station", "q", "", "wait_max"), 120, "wait_max");
    near(value(&f, "class", "c", "c", "reneged"), 10, "class reneged");
    near(value(&f, "system", "", "", "reneged"), 10, "system reneged");
    near(value(&f, "system", "", "", "blocked"), 0, "system blocked");
    near(value(&f, "system", "", "", "departures"), 20, "departures");
    assert_int_equal(bf_sim_in_system(f.sim), 0);
    entries_fini(&e);
    teardown(&f);
}

/* ---- initial state ------------------------------------------------------ */

typedef struct samples_at0 {
    const bf_catalog *cat;
    double q, zone, sys;
    int n;
} samples_at0;

static bf_status keep_t0(void *ctx, const bf_sample *s, size_t n)
{
    samples_at0 *a = ctx;
    for (size_t i = 0; i < n; i++) {
        if (s[i].t != 0.0)
            continue;
        const bf_series_key *k = &a->cat->series[s[i].series];
        if (!strcmp(k->scope_kind, "station") && !strcmp(k->scope, "q"))
            a->q = s[i].value;
        else if (!strcmp(k->scope_kind, "delay") && !strcmp(k->scope, "zone"))
            a->zone = s[i].value;
        else if (!strcmp(k->scope_kind, "system"))
            a->sys = s[i].value;
        a->n++;
    }
    return BF_OK;
}

/* Five entities queue at q and four are in the zone at t = 0; nothing
 * else arrives before the horizon (50 min).  q (1 server, 1 min) serves
 * the five first: waits 0, 1, 2, 3, 4 min (mean 2 min); they then spend
 * 2385 s in the zone, as do the four that started there.  The zone holds
 * 4 at t = 0 and 9 at most; its time average is 9 x 2385 / 3000. */
static void test_day_initial_state(void **state)
{
    (void)state;
    fixture f;
    parse(&f, "[simulation]\nhorizon = 50min\nsample_every = 1min\n"
              "[class c]\narrivals = renewal(const(2h))\nroute = q, zone\n"
              "[station q]\nservers = 1\nservice = const(1min)\n"
              "[delay zone]\ntime = const(2385s)\n"
              "[initial]\nq.c = 5\nzone.c = 4\n");
    samples_at0 a = {.q = NAN, .zone = NAN, .sys = NAN};
    assert_int_equal(bf_catalog_create(f.sc->model, &f.cat), BF_OK);
    a.cat = f.cat;
    f.sim = bf_sim_create(f.sc->model, f.cat, f.sc->model->seed, 0, keep_t0, &a);
    assert_non_null(f.sim);
    assert_int_equal(bf_sim_in_system(f.sim), 9);
    assert_int_equal(bf_sim_finish(f.sim), BF_OK);
    assert_int_equal(a.n, 3);
    near(a.q, 4, "queue at t = 0");
    near(a.zone, 4, "zone at t = 0");
    near(a.sys, 9, "in system at t = 0");
    near(value(&f, "station", "q", "", "served"), 5, "served");
    near(value(&f, "station", "q", "", "wait_mean"), 120, "wait_mean");
    near(value(&f, "class", "c", "c", "arrivals"), 9, "arrivals (present at t = 0)");
    near(value(&f, "system", "", "", "departures"), 9, "departures");
    near(value(&f, "delay", "zone", "", "present_max"), 9, "zone present_max");
    near(value(&f, "delay", "zone", "", "present_mean"), 9 * 2385.0 / 3000.0,
         "zone present_mean");
    /* Times in system: 2385 s for the four in the zone, 60 k + 2385 s
     * for the k-th served at q. */
    near(value(&f, "class", "c", "c", "time_in_system_mean"), 2385.0 + 100.0,
         "time_in_system_mean");
    teardown(&f);
}

/* ---- time of day and day of week ---------------------------------------- */

/* The trace's five arrivals are all in the first 100 s of the run: in
 * hour 07 with start = 07:00, hour 00 by default.  With the station
 * closed until 08:00 and start = 07:00, they are served from t = 3600 s,
 * 30 s each: waits 3587.5, 3590, 3600, 3600, 3620 s, all in hour 08. */
static void test_day_start_clock_shifts_hours(void **state)
{
    (void)state;
    static const char fmt[] =
        "[simulation]\nhorizon = 1d\nsample_every = 0s\nby_hour = yes\n%s\n"
        "[class c]\narrivals = trace(file=day-exact.csv)\nroute = q\n"
        "[station q]\n%s\nservice = const(30s)\n";
    char text[1024];
    fixture f;

    snprintf(text, sizeof text, fmt, "", "servers = 1");
    setup_day(&f, text);
    assert_int_equal(bf_sim_finish(f.sim), BF_OK);
    near(value(&f, "class", "c", "c", "arrivals_h00"), 5, "default start: h00");
    near(value(&f, "class", "c", "c", "arrivals_h07"), 0, "default start: h07");
    near(value(&f, "station", "q", "", "throughput_h00"), 5, "default start: served h00");
    teardown(&f);

    snprintf(text, sizeof text, fmt, "start = 07:00", "servers = 1");
    setup_day(&f, text);
    assert_int_equal(bf_sim_finish(f.sim), BF_OK);
    near(value(&f, "class", "c", "c", "arrivals_h00"), 0, "07:00: h00");
    near(value(&f, "class", "c", "c", "arrivals_h07"), 5, "07:00: h07");
    near(value(&f, "station", "q", "", "throughput_h07"), 5, "07:00: served h07");
    near(value(&f, "station", "q", "", "wait_mean_h07"), 12.0, "07:00: wait h07");
    teardown(&f);

    snprintf(text, sizeof text, fmt, "start = 07:00",
             "schedule = 00:00-08:00 0, 08:00-24:00 1");
    setup_day(&f, text);
    assert_int_equal(bf_sim_finish(f.sim), BF_OK);
    near(value(&f, "station", "q", "", "throughput_h08"), 5, "closed until 08:00: h08");
    near(value(&f, "station", "q", "", "throughput_h07"), 0, "closed until 08:00: h07");
    near(value(&f, "station", "q", "", "wait_mean_h08"), 17997.5 / 5, "wait_mean_h08");
    near(value(&f, "station", "q", "", "wait_mean"), 17997.5 / 5, "wait_mean");
    assert_true(isnan(value(&f, "station", "q", "", "wait_mean_h07"))); /* no service */
    teardown(&f);
}

/* A profile with demand on Sundays only (60/h): with the run starting on
 * a Sunday at 00:00 every arrival is in the first 24 h; starting on a
 * Saturday, in the second; starting Sunday 12:00, in the first 12 h;
 * starting Saturday 12:00, between 12 h and 36 h. */
static void test_day_start_day_selects_weekly_multiplier(void **state)
{
    (void)state;
    static const struct {
        const char *sim;
        double from, to;
    } cases[] = {
        {"start_day = sunday", 0.0, 86400.0},
        {"start_day = saturday", 86400.0, 2 * 86400.0},
        {"start_day = sunday\nstart = 12:00", 0.0, 43200.0},
        {"start_day = saturday\nstart = 12:00", 43200.0, 43200.0 + 86400.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "[simulation]\nhorizon = 3d\nsample_every = 0s\n%s\n"
                 "[profile sun]\nweekly = 0 0 0 0 0 0 1\n"
                 "[class c]\narrivals = poisson(rate=60/h)\nprofile = sun\nroute = hall\n"
                 "[delay hall]\ntime = const(1s)\n",
                 cases[i].sim);
        fixture f;
        setup_day(&f, text);
        entries e;
        record_entries(&f, &e);
        double lo = INFINITY, hi = -INFINITY;
        int n = 0;
        for (size_t j = 0; j < e.len; j++) {
            lo = fmin(lo, e.t[j]);
            hi = fmax(hi, e.t[j]);
            n += e.n[j];
        }
        /* Poisson with mean 60 x hours: at least 720, so n > 300 is sure. */
        print_message("  %s: %d arrivals in [%.0f, %.0f] s\n", cases[i].sim, n, lo, hi);
        assert_true(n > 300);
        assert_true(lo >= cases[i].from && hi < cases[i].to);
        entries_fini(&e);
        teardown(&f);
    }
}

/* The day of week defaults to Monday: with demand on Sundays only, a
 * week-long run from Monday 00:00 sees arrivals only in its last day. */
static void test_day_start_day_defaults_to_monday(void **state)
{
    (void)state;
    fixture f;
    setup_day(&f, "[simulation]\nhorizon = 7d\nsample_every = 0s\n"
              "[profile sun]\nweekly = 0 0 0 0 0 0 1\n"
              "[class c]\narrivals = poisson(rate=60/h)\nprofile = sun\nroute = hall\n"
              "[delay hall]\ntime = const(1s)\n");
    entries e;
    record_entries(&f, &e);
    assert_true(e.len > 300);
    for (size_t i = 0; i < e.len; i++)
        assert_true(e.t[i] >= 6 * 86400.0 && e.t[i] < 7 * 86400.0);
    entries_fini(&e);
    teardown(&f);
}

/* Statistics by hour of day: on by default only when the day has a shape
 * (a profile or a schedule); by_hour overrides the default both ways. */
static void test_day_by_hour_default(void **state)
{
    (void)state;
    static const struct {
        const char *sim, *cls, *station;
        bool want;
    } cases[] = {
        {"", "arrivals = poisson(rate=10/h)", "servers = 1", false},
        {"by_hour = yes", "arrivals = poisson(rate=10/h)", "servers = 1", true},
        {"", "arrivals = poisson(rate=10/h)\nprofile = p", "servers = 1", true},
        {"", "arrivals = poisson(rate=10/h)", "schedule = 00:00-12:00 1, 12:00-24:00 2", true},
        {"by_hour = no", "arrivals = poisson(rate=10/h)\nprofile = p",
         "schedule = 00:00-12:00 1, 12:00-24:00 2", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "[simulation]\nhorizon = 1d\n%s\n"
                 "[profile p]\nhourly = 1 1 1 1 1 1 2 2 2 2 2 2 3 3 3 3 3 3 1 1 1 1 1 1\n"
                 "[class c]\n%s\nroute = q\n"
                 "[station q]\n%s\nservice = exp(mean=1min)\n",
                 cases[i].sim, cases[i].cls, cases[i].station);
        fixture f;
        parse(&f, text);
        assert_int_equal(bf_catalog_create(f.sc->model, &f.cat), BF_OK);
        bool has_class = bf_catalog_find(f.cat, "class", "c", "c", "arrivals_h13") >= 0;
        bool has_station = bf_catalog_find(f.cat, "station", "q", "", "wait_p95_h13") >= 0;
        if (has_class != cases[i].want || has_station != cases[i].want)
            fail_msg("case %zu: by-hour keys %s, expected %s", i,
                     has_class ? "present" : "absent", cases[i].want ? "present" : "absent");
        teardown(&f);
    }
}

/* ---- determinism -------------------------------------------------------- */

/* Every feature of this file at once (scenario for the determinism and
 * allocation-failure tests). */
static const char every_feature[] =
    "[simulation]\nhorizon = 2d\nwarmup = 2h\nreplications = 5\nseed = 2385\n"
    "sample_every = 0s\nstart = 06:30\nstart_day = friday\n"
    "[profile commute]\n"
    "hourly = 0 0 0 0 0 0.5 2 4 3 2 1 1 1.5 1 1 1.5 2.5 3 2 1 0.5 0.25 0 0\n"
    "weekly = 1 1 1 1 1.2 0.6 0.4\n"
    "[class walker]\narrivals = poisson(rate=40/h)\nprofile = commute\nbooked = 30%\n"
    "whitelisted = 23.85%\n"
    "slot = 15min\npunctuality = 3min\nroute = gate, branch(20%: zone; 80%: -)\n"
    "[class bus]\narrivals = batch(every=20min, size=40, fill=75%, offset=5min)\n"
    "route = gate, zone\n"
    "[class listed]\narrivals = trace(file=day-mixed.csv)\nbooked = 50%\nslot = 30min\n"
    "punctuality = 5min\nroute = gate\n"
    "[station gate]\nschedule = 00:00-06:00 1, 06:00-20:00 4, 20:00-24:00 2\n"
    "capacity = 40\npatience = exp(mean=20min)\n"
    "service = lognormal(mean=2min, sd=1min)\ninspect = 5% -> second\n"
    "[station second]\nservers = 1\ncapacity = 3\n"
    "patience = uniform(min=5min, max=30min)\nservice = exp(mean=6min)\n"
    "[delay zone]\ntime = lognormal(mean=1h, sd=30min)\n"
    "[rule fast]\nmatch = whitelisted\nat = gate\nservice = x0.5\n"
    "[initial]\ngate.walker = 12\nzone.bus = 7\n";

/* jobs = 1, 2 and 3 must give bit-identical per-replication values,
 * aggregates and pooled histograms. */
static void test_day_deterministic_across_jobs(void **state)
{
    (void)state;
    char name[1024];
    snprintf(name, sizeof name, "%s/traces/day.ini", data_dir());
    bf_scenario *sc[3];
    bf_catalog *cat[3];
    bf_run_result *res[3];
    const int jobs[3] = {1, 2, 3};
    for (int i = 0; i < 3; i++) {
        bf_error err;
        if (bf_scenario_parse(every_feature, strlen(every_feature), name, NULL, 0, &sc[i],
                              &err) != BF_OK)
            fail_msg("scenario: %s", err.msg);
        assert_int_equal(bf_catalog_create(sc[i]->model, &cat[i]), BF_OK);
        bf_run_opts o = {.replications = 5, .seed = 2385, .jobs = jobs[i]};
        assert_int_equal(bf_runner_run(sc[i]->model, cat[i], &o, &res[i], &err), BF_OK);
    }
    for (int i = 1; i < 3; i++) {
        const bf_run_result *a = res[0], *b = res[i];
        assert_int_equal(a->n_keys, b->n_keys);
        assert_int_equal(a->n_hists, b->n_hists);
        assert_memory_equal(a->values, b->values,
                            (size_t)a->n_reps * a->n_keys * sizeof *a->values);
        assert_memory_equal(a->ci, b->ci, a->n_keys * sizeof *a->ci);
        assert_memory_equal(a->pooled, b->pooled, a->n_hists * sizeof *a->pooled);
        assert_true(a->events == b->events);
    }
    /* The features were exercised: losses of both kinds happened. */
    const bf_ci *ci = res[0]->ci;
    long kb = bf_catalog_find(cat[0], "station", "second", "", "blocked");
    long kr = bf_catalog_find(cat[0], "station", "gate", "", "reneged");
    assert_true(kb >= 0 && kr >= 0);
    print_message("  second blocked %.1f, gate reneged %.1f per replication\n", ci[kb].mean,
                  ci[kr].mean);
    assert_true(ci[kb].mean > 0 && ci[kr].mean > 0);
    for (int i = 0; i < 3; i++) {
        bf_run_result_destroy(res[i]);
        bf_catalog_destroy(cat[i]);
        bf_scenario_destroy(sc[i]);
    }
}

/* Allocation failures while loading the scenario (profiles, schedules,
 * the trace, [initial]) and while creating and running a replication
 * (which places the initial entities): each gives BF_ENOMEM or NULL, or
 * succeeds where a failure has a fallback, and nothing leaks (ASan). */
static void test_day_alloc_failures(void **state)
{
    (void)state;
    char name[1024];
    snprintf(name, sizeof name, "%s/traces/day.ini", data_dir());
    bf_error err;
    bf_scenario *sc = NULL;
    bf_alloc_fail_after(-1);
    assert_int_equal(bf_scenario_parse(every_feature, strlen(every_feature), name, NULL, 0,
                                       &sc, &err),
                     BF_OK);
    bf_scenario_destroy(sc);
    long total = bf_alloc_fail_after(-1);
    assert_true(total > 20);
    for (long i = 0; i < total; i++) {
        bf_alloc_fail_after(i);
        bf_status st = bf_scenario_parse(every_feature, strlen(every_feature), name, NULL, 0,
                                         &sc, &err);
        bf_alloc_fail_after(-1);
        if (st == BF_OK)
            bf_scenario_destroy(sc);
        else
            assert_int_equal(st, BF_ENOMEM);
    }

    assert_int_equal(bf_scenario_parse(every_feature, strlen(every_feature), name, NULL, 0,
                                       &sc, &err),
                     BF_OK);
    bf_catalog *cat = NULL;
    assert_int_equal(bf_catalog_create(sc->model, &cat), BF_OK);
    bf_alloc_fail_after(-1);
    bf_sim *s = bf_sim_create(sc->model, cat, 1, 0, NULL, NULL);
    assert_non_null(s);
    assert_int_equal(bf_sim_finish(s), BF_OK);
    bf_sim_destroy(s);
    total = bf_alloc_fail_after(-1);
    for (long i = 0; i < total; i++) {
        bf_alloc_fail_after(i);
        s = bf_sim_create(sc->model, cat, 1, 0, NULL, NULL);
        bf_status st = s ? bf_sim_finish(s) : BF_ENOMEM;
        bf_alloc_fail_after(-1);
        assert_true(st == BF_OK || st == BF_ENOMEM);
        bf_sim_destroy(s);
    }
    bf_catalog_destroy(cat);
    bf_scenario_destroy(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_day_batch_full_groups_exact),
        cmocka_unit_test(test_day_batch_fill_is_binomial),
        cmocka_unit_test(test_day_trace_exact_times_and_attributes),
        cmocka_unit_test(test_day_trace_attributes_drive_rules),
        cmocka_unit_test(test_day_trace_comment_before_header),
        cmocka_unit_test(test_day_trace_blanks_around_values),
        cmocka_unit_test(test_day_booked_exact_slot_starts),
        cmocka_unit_test(test_day_booked_share),
        cmocka_unit_test(test_day_booked_punctuality),
        cmocka_unit_test(test_day_booked_slots_follow_the_clock),
        cmocka_unit_test(test_day_schedule_closed_until_0800),
        cmocka_unit_test(test_day_shift_end_is_non_preemptive),
        cmocka_unit_test(test_day_capacity_blocks_when_full),
        cmocka_unit_test(test_day_patience_reneges_exactly),
        cmocka_unit_test(test_day_initial_state),
        cmocka_unit_test(test_day_start_clock_shifts_hours),
        cmocka_unit_test(test_day_start_day_selects_weekly_multiplier),
        cmocka_unit_test(test_day_start_day_defaults_to_monday),
        cmocka_unit_test(test_day_by_hour_default),
        cmocka_unit_test(test_day_deterministic_across_jobs),
        cmocka_unit_test(test_day_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
