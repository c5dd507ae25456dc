/*
 * test_engine.c - unit tests for the event list and clock (engine.h).
 *
 * Every test records what the dispatch function saw (clock, kind, a, b)
 * in a log and compares it with the expected order.  Random inputs come
 * from a local SplitMix64 with fixed seeds, so the engine tests depend on
 * nothing but common.c and engine.c, and every run is the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "borderflow/engine.h"

/* ---- test helpers ------------------------------------------------------ */

typedef struct tiny_rng {
    uint64_t x;
} tiny_rng;

static uint64_t tiny_next(tiny_rng *r)
{
    uint64_t z = (r->x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform integer in [0, n); the modulo bias is irrelevant here. */
static uint32_t tiny_below(tiny_rng *r, uint32_t n)
{
    return (uint32_t)(tiny_next(r) % n);
}

enum {
    K_PLAIN = 1,     /* record only */
    K_SPAWN = 2,     /* record; schedule a follow-up while a > 0 */
    K_CANCEL = 3,    /* record; cancel rec.victim */
    K_SELF = 4,      /* record; check that rec.self is already stale */
    K_RESCHED = 5    /* record; move rec.victim to now + 0.5 */
};

typedef struct fired {
    bf_time now;
    uint32_t kind, a, b;
} fired;

typedef struct rec {
    bf_engine *e;
    fired *log;
    size_t n, cap;
    bf_event_handle victim, self;
    bool self_was_pending;
} rec;

static void rec_init(rec *r, size_t cap)
{
    memset(r, 0, sizeof *r);
    r->log = calloc(cap, sizeof *r->log);
    assert_non_null(r->log);
    r->cap = cap;
}

static void rec_fini(rec *r)
{
    free(r->log);
}

static void on_event(void *ctx, uint32_t kind, uint32_t a, uint32_t b)
{
    rec *r = ctx;
    assert_true(r->n < r->cap);
    r->log[r->n++] = (fired){ bf_engine_now(r->e), kind, a, b };

    switch (kind) {
    case K_SPAWN:
        if (a > 0) {
            bf_time now = bf_engine_now(r->e);
            /* A follow-up 0.75 s later, and a zero-delay event that must
             * fire after everything already pending at this instant. */
            assert_int_equal(bf_engine_schedule(r->e, now + 0.75, K_SPAWN,
                                                a - 1, b, NULL), BF_OK);
            assert_int_equal(bf_engine_schedule(r->e, now, K_PLAIN, a, 777,
                                                NULL), BF_OK);
        }
        break;
    case K_CANCEL:
        bf_engine_cancel(r->e, r->victim);
        break;
    case K_SELF:
        r->self_was_pending = bf_engine_is_pending(r->e, r->self);
        break;
    case K_RESCHED:
        bf_engine_reschedule(r->e, r->victim, bf_engine_now(r->e) + 0.5);
        break;
    default:
        break;
    }
}

static bf_engine *make_engine(rec *r, size_t log_cap, size_t hint)
{
    rec_init(r, log_cap);
    r->e = bf_engine_create(on_event, r, hint);
    assert_non_null(r->e);
    return r->e;
}

static void drop_engine(rec *r)
{
    bf_engine_destroy(r->e);
    rec_fini(r);
}

/* ---- tests ------------------------------------------------------------- */

static void test_engine_fires_in_time_order(void **state)
{
    static const double times[] = { 7.25, 2.385, 5.5, 0.125, 3.75, 6.0625,
                                    1.0009, 4.4375 };
    static const uint32_t want[] = { 3, 6, 1, 4, 7, 2, 5, 0 };
    const size_t n = sizeof times / sizeof times[0];
    rec r;
    bf_engine *e = make_engine(&r, 64, 0);

    assert_true(isinf(bf_engine_next_time(e)));
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(bf_engine_schedule(e, times[i], K_PLAIN, i, 0, NULL),
                         BF_OK);
    assert_int_equal(bf_engine_pending(e), n);
    assert_true(bf_engine_next_time(e) == 0.125);
    assert_true(bf_engine_check(e));

    while (bf_engine_step(e))
        assert_true(bf_engine_check(e));

    assert_int_equal(r.n, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(r.log[i].a, want[i]);
        /* The clock is at the event's time while it is dispatched. */
        assert_true(r.log[i].now == times[want[i]]);
    }
    assert_true(bf_engine_now(e) == 7.25);
    assert_int_equal(bf_engine_n_fired(e), n);
    assert_int_equal(bf_engine_pending(e), 0);
    assert_true(isinf(bf_engine_next_time(e)));
    /* Stepping an empty engine does nothing. */
    assert_false(bf_engine_step(e));
    assert_true(bf_engine_now(e) == 7.25);
    assert_int_equal(bf_engine_n_fired(e), n);
    drop_engine(&r);
}

static void test_engine_equal_times_fire_fifo(void **state)
{
    rec r;
    bf_engine *e = make_engine(&r, 256, 8);

    /* Interleave 60 events at 4.125 with decoys before and after, so the
     * tied events are spread over the heap rather than inserted as a run. */
    for (uint32_t i = 0; i < 60; i++) {
        assert_int_equal(bf_engine_schedule(e, 4.125, K_PLAIN, i, 0, NULL), BF_OK);
        assert_int_equal(bf_engine_schedule(e, 9.5 - i * 0.0625, K_PLAIN, 1000 + i,
                                            1, NULL), BF_OK);
        assert_int_equal(bf_engine_schedule(e, 0.25 + i * 0.03125, K_PLAIN,
                                            2000 + i, 2, NULL), BF_OK);
    }
    assert_true(bf_engine_check(e));
    assert_int_equal(bf_engine_run_until(e, 100.0), 180);

    uint32_t next_tied = 0;
    for (size_t i = 0; i < r.n; i++) {
        if (r.log[i].now == 4.125 && r.log[i].a < 1000) {
            assert_int_equal(r.log[i].a, next_tied);
            next_tied++;
        }
        if (i > 0)
            assert_true(r.log[i].now >= r.log[i - 1].now);
    }
    assert_int_equal(next_tied, 60);
    drop_engine(&r);
}

/* Push N events with many ties, cancel a random half through their handles,
 * then fire everything: (time, seq) never decreases and exactly the
 * survivors fire, each once.  a = insertion index, which orders like seq
 * because nothing here is rescheduled. */
static void test_engine_random_invariants(void **state)
{
    enum { N = 20000 };
    tiny_rng g = { 0x2385a11cu };
    rec r;
    bf_engine *e = make_engine(&r, N, 16);
    bf_event_handle *h = calloc(N, sizeof *h);
    uint32_t *perm = calloc(N, sizeof *perm);
    bool *cancelled = calloc(N, sizeof *cancelled);
    uint8_t *seen = calloc(N, sizeof *seen);
    assert_non_null(h);
    assert_non_null(perm);
    assert_non_null(cancelled);
    assert_non_null(seen);

    for (uint32_t i = 0; i < N; i++) {
        /* 97 distinct times for 20000 events: about 200 per tie group. */
        double t = 2.385 + tiny_below(&g, 97) * 0.125;
        assert_int_equal(bf_engine_schedule(e, t, K_PLAIN, i, 0, &h[i]), BF_OK);
        assert_true(h[i] != 0);
        perm[i] = i;
    }
    assert_true(bf_engine_check(e));
    assert_int_equal(bf_engine_pending(e), N);

    for (uint32_t i = N - 1; i > 0; i--) {
        uint32_t j = tiny_below(&g, i + 1);
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (uint32_t i = 0; i < N / 2; i++) {
        uint32_t k = perm[i];
        assert_true(bf_engine_is_pending(e, h[k]));
        bf_engine_cancel(e, h[k]);
        assert_false(bf_engine_is_pending(e, h[k]));
        cancelled[k] = true;
        if (i % 1000 == 0)
            assert_true(bf_engine_check(e));
    }
    assert_true(bf_engine_check(e));
    assert_int_equal(bf_engine_pending(e), N - N / 2);

    size_t steps = 0;
    while (bf_engine_step(e)) {
        if (++steps % 1000 == 0)
            assert_true(bf_engine_check(e));
    }
    assert_int_equal(r.n, N - N / 2);
    for (size_t i = 0; i < r.n; i++) {
        uint32_t k = r.log[i].a;
        assert_false(cancelled[k]);
        assert_int_equal(seen[k], 0);
        seen[k] = 1;
        if (i > 0) {
            const fired *p = &r.log[i - 1];
            assert_true(r.log[i].now > p->now ||
                        (r.log[i].now == p->now && k > p->a));
        }
    }
    for (uint32_t k = 0; k < N; k++) {
        assert_int_equal(seen[k], cancelled[k] ? 0 : 1);
        assert_false(bf_engine_is_pending(e, h[k]));
    }
    assert_true(bf_engine_check(e));

    free(h);
    free(perm);
    free(cancelled);
    free(seen);
    drop_engine(&r);
}

/* A long random mix of schedule, cancel, reschedule and step, compared at
 * every fire with a brute-force model that keeps the live events in a flat
 * array and finds the minimum by linear scan. */
typedef struct model_ev {
    double time;
    uint64_t seq;
    uint32_t id;
    bf_event_handle h;
} model_ev;

static void test_engine_random_ops_match_model(void **state)
{
    enum { OPS = 40000, MAXLIVE = 300 };
    tiny_rng g = { 0x51d3u };
    rec r;
    bf_engine *e = make_engine(&r, OPS, 4);
    model_ev live[MAXLIVE];
    size_t n_live = 0;
    uint64_t seq = 0;
    uint32_t next_id = 0;
    size_t checked = 0;

    for (int op = 0; op < OPS; op++) {
        uint32_t dice = tiny_below(&g, 10);
        double now = bf_engine_now(e);
        /* Quantised offsets make ties common. */
        double t = now + tiny_below(&g, 16) * 0.375;
        if (n_live < MAXLIVE && (dice < 4 || n_live == 0)) {
            model_ev *m = &live[n_live++];
            *m = (model_ev){ t, seq++, next_id++, 0 };
            assert_int_equal(bf_engine_schedule(e, t, K_PLAIN, m->id, 0, &m->h),
                             BF_OK);
        } else if (dice < 5) {
            size_t k = tiny_below(&g, (uint32_t)n_live);
            bf_engine_cancel(e, live[k].h);
            assert_false(bf_engine_is_pending(e, live[k].h));
            live[k] = live[--n_live];
        } else if (dice < 7) {
            size_t k = tiny_below(&g, (uint32_t)n_live);
            bf_engine_reschedule(e, live[k].h, t);
            assert_true(bf_engine_is_pending(e, live[k].h));
            live[k].time = t;
            live[k].seq = seq++;
        } else {
            size_t best = 0;
            for (size_t k = 1; k < n_live; k++)
                if (live[k].time < live[best].time ||
                    (live[k].time == live[best].time &&
                     live[k].seq < live[best].seq))
                    best = k;
            assert_true(bf_engine_next_time(e) == live[best].time);
            assert_true(bf_engine_step(e));
            assert_int_equal(r.log[r.n - 1].a, live[best].id);
            assert_true(r.log[r.n - 1].now == live[best].time);
            assert_false(bf_engine_is_pending(e, live[best].h));
            live[best] = live[--n_live];
            checked++;
        }
        assert_int_equal(bf_engine_pending(e), n_live);
        if (op % 97 == 0)
            assert_true(bf_engine_check(e));
    }
    assert_true(checked > OPS / 4);
    assert_true(bf_engine_check(e));
    drop_engine(&r);
}

static void test_engine_reschedule_earlier_and_later(void **state)
{
    rec r;
    bf_engine *e = make_engine(&r, 16, 0);
    bf_event_handle ha, hb, hc, hd;
    assert_int_equal(bf_engine_schedule(e, 5.125, K_PLAIN, 'A', 0, &ha), BF_OK);
    assert_int_equal(bf_engine_schedule(e, 6.375, K_PLAIN, 'B', 0, &hb), BF_OK);
    assert_int_equal(bf_engine_schedule(e, 7.625, K_PLAIN, 'C', 0, &hc), BF_OK);
    assert_int_equal(bf_engine_schedule(e, 6.375, K_PLAIN, 'D', 0, &hd), BF_OK);

    bf_engine_reschedule(e, hc, 1.5);  /* earlier: now first */
    assert_true(bf_engine_check(e));
    assert_true(bf_engine_next_time(e) == 1.5);
    bf_engine_reschedule(e, ha, 9.25); /* later: now last */
    assert_true(bf_engine_check(e));
    /* Moving B to the time it already has sends it behind D: a reschedule
     * takes a fresh tie-break position. */
    bf_engine_reschedule(e, hb, 6.375);
    assert_true(bf_engine_check(e));
    assert_true(bf_engine_is_pending(e, ha));
    assert_true(bf_engine_is_pending(e, hb));
    assert_true(bf_engine_is_pending(e, hc));

    while (bf_engine_step(e))
        ;
    static const uint32_t want[] = { 'C', 'D', 'B', 'A' };
    static const double want_t[] = { 1.5, 6.375, 6.375, 9.25 };
    assert_int_equal(r.n, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(r.log[i].a, want[i]);
        assert_true(r.log[i].now == want_t[i]);
    }

    /* Rescheduling from inside a callback, to a time after the clock. */
    r.n = 0;
    assert_int_equal(bf_engine_schedule(e, 10.0, K_RESCHED, 'R', 0, NULL), BF_OK);
    assert_int_equal(bf_engine_schedule(e, 10.25, K_PLAIN, 'V', 0, &r.victim),
                     BF_OK);
    assert_int_equal(bf_engine_schedule(e, 10.375, K_PLAIN, 'W', 0, NULL), BF_OK);
    assert_int_equal(bf_engine_run_until(e, 11.0), 3);
    assert_int_equal(r.log[1].a, 'W');
    assert_int_equal(r.log[2].a, 'V');
    assert_true(r.log[2].now == 10.5);
    drop_engine(&r);
}

static void test_engine_run_until_stops_at_t(void **state)
{
    rec r;
    bf_engine *e = make_engine(&r, 16, 0);
    static const double times[] = { 4.0001, 1.5, 4.0, 9.75, 2.385, 4.0 };
    for (uint32_t i = 0; i < 6; i++)
        assert_int_equal(bf_engine_schedule(e, times[i], K_PLAIN, i, 0, NULL),
                         BF_OK);

    /* Events at exactly t fire. */
    assert_int_equal(bf_engine_run_until(e, 4.0), 4);
    assert_true(bf_engine_now(e) == 4.0);
    assert_int_equal(bf_engine_pending(e), 2);
    assert_true(bf_engine_next_time(e) == 4.0001);
    assert_int_equal(r.log[2].a, 2); /* the two at 4.0, FIFO */
    assert_int_equal(r.log[3].a, 5);

    assert_int_equal(bf_engine_run_until(e, 4.0), 0);
    assert_true(bf_engine_now(e) == 4.0);

    /* The clock moves to t even when no event is at t. */
    assert_int_equal(bf_engine_run_until(e, 5.125), 1);
    assert_true(bf_engine_now(e) == 5.125);
    assert_int_equal(bf_engine_run_until(e, 20.5), 1);
    assert_true(bf_engine_now(e) == 20.5);
    assert_int_equal(bf_engine_run_until(e, 30.25), 0);
    assert_true(bf_engine_now(e) == 30.25);
    assert_int_equal(bf_engine_n_fired(e), 6);

    /* Scheduling at the current time is allowed and fires next. */
    assert_int_equal(bf_engine_schedule(e, 30.25, K_PLAIN, 99, 0, NULL), BF_OK);
    assert_true(bf_engine_step(e));
    assert_true(r.log[r.n - 1].now == 30.25);
    drop_engine(&r);
}

static void test_engine_schedule_from_callback(void **state)
{
    rec r;
    bf_engine *e = make_engine(&r, 256, 2);

    /* A chain of 10 spawns 0.75 s apart starting at 1.25; each also adds a
     * zero-delay event, which must fire after the already-pending event
     * tied with it (a = 900). */
    assert_int_equal(bf_engine_schedule(e, 1.25, K_SPAWN, 10, 0, NULL), BF_OK);
    assert_int_equal(bf_engine_schedule(e, 1.25, K_PLAIN, 900, 0, NULL), BF_OK);
    /* A canceller at 3.5 removes the victim at 4.0. */
    assert_int_equal(bf_engine_schedule(e, 4.0, K_PLAIN, 901, 0, &r.victim),
                     BF_OK);
    assert_int_equal(bf_engine_schedule(e, 3.5, K_CANCEL, 902, 0, NULL), BF_OK);

    /* run_until must also fire what callbacks add inside the window:
     * spawns at 1.25 + 0.75 k for k = 0..10 (the last has a = 0), i.e. up
     * to 8.75. */
    uint64_t n = bf_engine_run_until(e, 8.75);
    assert_true(bf_engine_check(e));
    assert_int_equal(bf_engine_pending(e), 0);
    /* 11 spawns + 10 zero-delay + 900 + canceller. */
    assert_int_equal(n, 23);
    assert_int_equal(r.n, 23);

    assert_int_equal(r.log[0].kind, K_SPAWN);
    assert_int_equal(r.log[1].a, 900);
    assert_int_equal(r.log[2].b, 777);
    assert_true(r.log[2].now == 1.25);
    uint32_t spawns = 0;
    for (size_t i = 0; i < r.n; i++) {
        assert_true(r.log[i].a != 901);
        if (r.log[i].kind == K_SPAWN) {
            assert_true(r.log[i].now == 1.25 + 0.75 * spawns);
            spawns++;
        }
        if (i > 0)
            assert_true(r.log[i].now >= r.log[i - 1].now);
    }
    assert_int_equal(spawns, 11);

    /* Inside its own callback an event's handle is already stale. */
    assert_int_equal(bf_engine_schedule(e, 9.0, K_SELF, 0, 0, &r.self), BF_OK);
    r.self_was_pending = true;
    assert_true(bf_engine_step(e));
    assert_false(r.self_was_pending);
    drop_engine(&r);
}

static void test_engine_reset_restores_fresh_state(void **state)
{
    rec r1, r2;
    bf_engine *e = make_engine(&r1, 64, 0);
    bf_engine *fresh = make_engine(&r2, 64, 0);
    bf_event_handle h[10];

    for (uint32_t i = 0; i < 10; i++)
        assert_int_equal(bf_engine_schedule(e, 3.125 + i * 0.5, K_PLAIN, i, 0,
                                            &h[i]), BF_OK);
    for (int i = 0; i < 3; i++)
        assert_true(bf_engine_step(e));

    bf_engine_reset(e);
    assert_true(bf_engine_check(e));
    assert_int_equal(bf_engine_pending(e), 0);
    assert_true(bf_engine_now(e) == 0.0);
    assert_int_equal(bf_engine_n_fired(e), 0);
    assert_true(isinf(bf_engine_next_time(e)));
    assert_false(bf_engine_step(e));
    for (int i = 0; i < 10; i++)
        assert_false(bf_engine_is_pending(e, h[i]));

    /* After reset the engine behaves exactly like a new one. */
    r1.n = 0;
    bf_engine *both[2] = { e, fresh };
    for (int k = 0; k < 2; k++) {
        tiny_rng g = { 77 };
        for (uint32_t i = 0; i < 40; i++)
            assert_int_equal(bf_engine_schedule(both[k], tiny_below(&g, 8) * 0.625,
                                                K_PLAIN, i, 0, NULL), BF_OK);
        while (bf_engine_step(both[k]))
            ;
    }
    assert_int_equal(r1.n, 40);
    assert_int_equal(r2.n, 40);
    for (size_t i = 0; i < 40; i++) {
        assert_true(r1.log[i].now == r2.log[i].now);
        assert_int_equal(r1.log[i].a, r2.log[i].a);
    }
    assert_int_equal(bf_engine_n_fired(e), 40);
    assert_true(bf_engine_now(e) == bf_engine_now(fresh));
    /* The stale handles stay stale even though their slots are reused. */
    for (int i = 0; i < 10; i++)
        assert_false(bf_engine_is_pending(e, h[i]));
    drop_engine(&r1);
    drop_engine(&r2);
}

static void test_engine_grows_past_capacity_hint(void **state)
{
    enum { N = 5000 };
    tiny_rng g = { 0xfeedu };
    rec r;
    bf_engine *e = make_engine(&r, N, 3);
    bf_event_handle first = 0, h = 0;

    for (uint32_t i = 0; i < N; i++) {
        double t = 0.001 + tiny_below(&g, 100000) * 0.0137;
        assert_int_equal(bf_engine_schedule(e, t, K_PLAIN, i, 0, &h), BF_OK);
        if (i == 0)
            first = h;
        /* Handles issued before a growth stay valid after it. */
        assert_true(bf_engine_is_pending(e, first));
        if ((i & (i - 1)) == 0 || i % 499 == 0)
            assert_true(bf_engine_check(e));
    }
    assert_int_equal(bf_engine_pending(e), N);
    assert_true(bf_engine_check(e));
    assert_int_equal(bf_engine_run_until(e, INFINITY), N);
    for (size_t i = 1; i < r.n; i++)
        assert_true(r.log[i].now > r.log[i - 1].now ||
                    (r.log[i].now == r.log[i - 1].now &&
                     r.log[i].a > r.log[i - 1].a));
    drop_engine(&r);
}

static void test_engine_alloc_failure(void **state)
{
    /* How many allocations create makes, then make each one fail in turn:
     * create must return NULL and free what it built (ASan/valgrind). */
    bf_alloc_fail_after(-1);
    rec r;
    rec_init(&r, 32);
    bf_engine *e = bf_engine_create(on_event, &r, 4);
    assert_non_null(e);
    bf_engine_destroy(e);
    long n_allocs = bf_alloc_fail_after(-1);
    assert_true(n_allocs >= 1);
    for (long k = 0; k < n_allocs; k++) {
        bf_alloc_fail_after(k);
        assert_null(bf_engine_create(on_event, &r, 4));
    }
    bf_alloc_fail_after(-1);

    e = r.e = bf_engine_create(on_event, &r, 4);
    assert_non_null(e);
    static const double times[] = { 3.5, 1.25, 2.385, 4.75 };
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(bf_engine_schedule(e, times[i], K_PLAIN, i, 0, NULL),
                         BF_OK);

    /* The arrays are full; the fifth schedule must grow them.  Fail the
     * first and then the second reallocation. */
    for (long k = 0; k < 2; k++) {
        bf_event_handle h = 12345;
        bf_alloc_fail_after(k);
        assert_int_equal(bf_engine_schedule(e, 0.5, K_PLAIN, 4, 0, &h),
                         BF_ENOMEM);
        bf_alloc_fail_after(-1);
        assert_int_equal(h, 0);
        assert_int_equal(bf_engine_pending(e), 4);
        assert_true(bf_engine_next_time(e) == 1.25);
        assert_true(bf_engine_check(e));
    }

    bf_event_handle h5 = 0;
    assert_int_equal(bf_engine_schedule(e, 0.5, K_PLAIN, 4, 0, &h5), BF_OK);
    assert_true(bf_engine_is_pending(e, h5));
    assert_true(bf_engine_check(e));
    assert_int_equal(bf_engine_run_until(e, 10.0), 5);
    static const uint32_t want[] = { 4, 1, 2, 0, 3 };
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(r.log[i].a, want[i]);

    bf_engine_destroy(e);
    bf_engine_destroy(NULL);
    rec_fini(&r);
}

/* bf_engine_pop is bf_engine_step without the callback (and bf_engine_peek
 * shows what pop will take next): two engines given
 * the same schedule (ties, spawning events that schedule at now, a cancel,
 * a reschedule), one run by step and one by a pop loop that calls the same
 * handler, fire the same events at the same clock in the same order.  And
 * pop respects its limit: an event past it stays pending, the clock does
 * not move, and an empty engine gives false. */
static void test_engine_pop_matches_step(void **state)
{
    (void)state;
    rec r1, r2;
    bf_engine *e1 = make_engine(&r1, 4096, 4);
    bf_engine *e2 = make_engine(&r2, 4096, 4);
    rec *rs[2] = {&r1, &r2};
    for (int k = 0; k < 2; k++) {
        tiny_rng g = {2385};
        bf_engine *e = rs[k]->e;
        for (uint32_t i = 0; i < 300; i++) {
            bf_time t = (double)tiny_below(&g, 50) * 0.5; /* many ties */
            uint32_t kind = i % 7 == 0 ? K_SPAWN : K_PLAIN;
            assert_int_equal(bf_engine_schedule(e, t, kind, kind == K_SPAWN ? 3 : i, 0, NULL),
                             BF_OK);
        }
        bf_event_handle v;
        assert_int_equal(bf_engine_schedule(e, 30.0, K_PLAIN, 9999, 9, &v), BF_OK);
        rs[k]->victim = v;
        assert_int_equal(bf_engine_schedule(e, 12.25, K_CANCEL, 0, 0, NULL), BF_OK);
    }
    while (bf_engine_step(e1))
        ;
    bf_event ev;
    bf_event_handle late;
    assert_int_equal(bf_engine_schedule(e2, 1e6, K_PLAIN, 1, 2, &late), BF_OK);
    bf_event peeked;
    assert_true(bf_engine_peek(e2, &peeked));
    while (bf_engine_pop(e2, 1e5, &ev)) {
        /* peek showed this very event, and left it in place */
        assert_true(peeked.time == ev.time && peeked.kind == ev.kind && peeked.a == ev.a &&
                    peeked.b == ev.b);
        assert_true(ev.time == bf_engine_now(e2));
        on_event(&r2, ev.kind, ev.a, ev.b);
        assert_true(bf_engine_peek(e2, &peeked));
    }
    assert_int_equal(r1.n, r2.n);
    assert_true(r1.n > 300);
    for (size_t i = 0; i < r1.n; i++) {
        assert_true(r1.log[i].now == r2.log[i].now);
        assert_int_equal(r1.log[i].kind, r2.log[i].kind);
        assert_int_equal(r1.log[i].a, r2.log[i].a);
        assert_int_equal(r1.log[i].b, r2.log[i].b);
    }
    /* The late event is still pending and the clock stayed put. */
    bf_time before = bf_engine_now(e2);
    assert_false(bf_engine_pop(e2, 999999.0, &ev));
    assert_true(bf_engine_now(e2) == before);
    assert_true(bf_engine_is_pending(e2, late));
    assert_true(bf_engine_pop(e2, 1e6, &ev));
    assert_true(ev.time == 1e6 && ev.a == 1 && ev.b == 2);
    assert_true(bf_engine_now(e2) == 1e6);
    assert_false(bf_engine_is_pending(e2, late));
    assert_false(bf_engine_pop(e2, INFINITY, &ev));
    assert_false(bf_engine_peek(e2, &peeked));
    assert_int_equal(bf_engine_n_fired(e1), bf_engine_n_fired(e2) - 1);
    assert_true(bf_engine_check(e1) && bf_engine_check(e2));
    drop_engine(&r1);
    drop_engine(&r2);
}

static void test_engine_is_pending_semantics(void **state)
{
    rec r;
    bf_engine *e = make_engine(&r, 16, 2);
    bf_event_handle a, b, c;

    assert_false(bf_engine_is_pending(e, 0));
    assert_int_equal(bf_engine_schedule(e, 2.385, K_PLAIN, 1, 0, &a), BF_OK);
    assert_int_equal(bf_engine_schedule(e, 3.14, K_PLAIN, 2, 0, &b), BF_OK);
    assert_true(a != 0 && b != 0 && a != b);
    assert_true(bf_engine_is_pending(e, a));
    assert_true(bf_engine_is_pending(e, b));
    /* A handle to a slot never handed out is not pending. */
    assert_false(bf_engine_is_pending(e, (bf_event_handle)1000));

    /* Reschedule keeps the handle. */
    bf_engine_reschedule(e, b, 1.75);
    assert_true(bf_engine_is_pending(e, b));

    /* Firing makes it stale. */
    assert_true(bf_engine_step(e));
    assert_int_equal(r.log[0].a, 2);
    assert_false(bf_engine_is_pending(e, b));
    assert_true(bf_engine_is_pending(e, a));

    /* The next event reuses b's slot; b stays stale, c is live. */
    assert_int_equal(bf_engine_schedule(e, 5.5, K_PLAIN, 3, 0, &c), BF_OK);
    assert_true((uint32_t)c == (uint32_t)b);
    assert_true(c != b);
    assert_false(bf_engine_is_pending(e, b));
    assert_true(bf_engine_is_pending(e, c));

    /* Cancelling makes it stale. */
    bf_engine_cancel(e, a);
    assert_false(bf_engine_is_pending(e, a));
    assert_true(bf_engine_is_pending(e, c));
    assert_int_equal(bf_engine_pending(e), 1);
    assert_true(bf_engine_check(e));

    /* Reset makes all of them stale. */
    bf_engine_reset(e);
    assert_false(bf_engine_is_pending(e, c));
    drop_engine(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_fires_in_time_order),
        cmocka_unit_test(test_engine_equal_times_fire_fifo),
        cmocka_unit_test(test_engine_random_invariants),
        cmocka_unit_test(test_engine_random_ops_match_model),
        cmocka_unit_test(test_engine_reschedule_earlier_and_later),
        cmocka_unit_test(test_engine_run_until_stops_at_t),
        cmocka_unit_test(test_engine_schedule_from_callback),
        cmocka_unit_test(test_engine_reset_restores_fresh_state),
        cmocka_unit_test(test_engine_grows_past_capacity_hint),
        cmocka_unit_test(test_engine_alloc_failure),
        cmocka_unit_test(test_engine_is_pending_semantics),
        cmocka_unit_test(test_engine_pop_matches_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
