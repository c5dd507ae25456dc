/*
 * engine.h - the discrete-event core: a simulation clock and the set of
 * pending events.  The engine knows nothing about borders, queues or
 * customs; an event is just (time, kind, a, b) handed back to one
 * caller-supplied dispatch function.
 *
 * Ordering.  Events fire in increasing time; events with equal time fire in
 * the order they were scheduled (a 64-bit insertion counter breaks ties),
 * so a run is a pure function of its inputs.
 *
 * Data structure.  An implicit 4-ary min-heap of (time, seq, slot) entries
 * over a slot array.  A slot holds the payload and the entry's current heap
 * position, which is what makes cancel and reschedule O(log n) without
 * scanning.  Slots are recycled through a free list; the arrays grow by
 * doubling, so scheduling does not call malloc once the high-water mark of
 * pending events is reached.
 *
 * Handles.  bf_engine_schedule can return a bf_event_handle (slot index and
 * a generation number).  A handle goes stale when its event fires or is
 * cancelled; using a stale handle is a bug and is caught by assert.
 *
 * Life cycle:
 *
 *   bf_engine_create --> [idle: now = 0, no events]
 *        | bf_engine_schedule
 *        v
 *   [pending events] --bf_engine_step / bf_engine_run_until--> dispatch(...)
 *        |                   (now advances to each event's time)
 *        +--bf_engine_reset--> [idle]       bf_engine_destroy from any state
 *
 * Memory: the engine owns its arrays; the dispatch context is borrowed.
 * Not thread-safe: one engine per thread (one per replication).
 */
#ifndef BORDERFLOW_ENGINE_H
#define BORDERFLOW_ENGINE_H

#include "borderflow/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bf_engine bf_engine;

/* 0 is never a valid handle. */
typedef uint64_t bf_event_handle;

/* Called once per event, with the engine's clock already at the event's
 * time.  The callback may schedule and cancel events. */
typedef void (*bf_event_fn)(void *ctx, uint32_t kind, uint32_t a, uint32_t b);

/* Creates an engine whose events go to fn(ctx, ...).  capacity_hint
 * pre-sizes the event arrays (0 for a default).  Returns NULL when out of
 * memory.  ctx is borrowed. */
bf_engine *bf_engine_create(bf_event_fn fn, void *ctx, size_t capacity_hint);

/* Frees the engine and its pending events.  NULL does nothing. */
void bf_engine_destroy(bf_engine *e);

/* Drops every pending event and sets the clock back to 0; the arrays keep
 * their size.  Handles issued before are stale afterwards. */
void bf_engine_reset(bf_engine *e);

/* The current simulated time. */
bf_time bf_engine_now(const bf_engine *e);

/* Schedules an event at absolute time `at` (now <= at < INFINITY;
 * asserted).  If out is non-NULL it receives the handle (0 on failure).
 * Returns BF_ENOMEM if the arrays could not grow (nothing is scheduled
 * then).  At most UINT32_MAX - 1 events can be pending.  O(log n). */
bf_status bf_engine_schedule(bf_engine *e, bf_time at, uint32_t kind,
                             uint32_t a, uint32_t b, bf_event_handle *out);

/* Removes a pending event.  O(log n). */
void bf_engine_cancel(bf_engine *e, bf_event_handle h);

/* Moves a pending event to time `at` (>= now).  Its tie-break position
 * becomes that of a newly scheduled event.  O(log n). */
void bf_engine_reschedule(bf_engine *e, bf_event_handle h, bf_time at);

/* True if h names an event that is still pending. */
bool bf_engine_is_pending(const bf_engine *e, bf_event_handle h);

/* Fires the earliest event.  Returns false (and does nothing) if there is
 * none. */
bool bf_engine_step(bf_engine *e);

/* An event taken off the set by bf_engine_pop. */
typedef struct bf_event {
    bf_time time;
    uint32_t kind, a, b;
} bf_event;

/* The pull form of bf_engine_step, for a caller that runs its own event
 * loop: if the earliest pending event is at a time <= limit, removes it,
 * moves the clock to its time, writes it to *ev and returns true (the
 * dispatch callback is not called; the caller handles the event, and may
 * schedule and cancel as a callback would).  Otherwise returns false and
 * changes nothing.  A loop that calls pop and then its own handler avoids
 * an indirect call per event and lets the compiler inline the handler;
 * the order of events is the same as with bf_engine_step. */
bool bf_engine_pop(bf_engine *e, bf_time limit, bf_event *ev);

/* The earliest pending event, left in place: true and *ev filled, or
 * false if there is none.  For a caller that wants to prefetch what the
 * next event will touch. */
bool bf_engine_peek(const bf_engine *e, bf_event *ev);

/* Fires every event with time <= t, in order, then sets the clock to t
 * (t >= now).  Returns the number of events fired. */
uint64_t bf_engine_run_until(bf_engine *e, bf_time t);

/* Number of pending events; time of the earliest (INFINITY if none). */
size_t bf_engine_pending(const bf_engine *e);
bf_time bf_engine_next_time(const bf_engine *e);

/* Events fired since create/reset. */
uint64_t bf_engine_n_fired(const bf_engine *e);

/* Validates the heap order and the slot <-> position links.  For asserts
 * and tests; O(n). */
bool bf_engine_check(const bf_engine *e);

#ifdef __cplusplus
}
#endif
#endif
