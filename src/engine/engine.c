/*
 * engine.c - the event list and simulation clock behind engine.h.
 *
 * Design.  Two parallel arrays, both of `cap` elements:
 *
 *   heap[0 .. n)        implicit 4-ary min-heap of entries {time, seq, slot},
 *                       ordered by (time, seq).  The children of position i
 *                       are 4i+1 .. 4i+4, its parent is (i-1)/4.
 *   slots[0 .. n_slots) per-event records {kind, a, b, gen, pos}: the
 *                       payload, the generation that handles must match and
 *                       the entry's current position in heap[].
 *
 * Why this shape.  Comparisons are the inner loop of every sift, so the
 * entry carries its own key: a comparison reads 16 contiguous bytes and
 * never follows a pointer into the slot array.  The payload lives apart
 * because it is only needed once, when the event fires; carrying it in
 * the entry would make every move in a sift copy 40 bytes instead of 24.
 * A 4-ary heap is half as deep as a binary one; a sift-down does more
 * comparisons per level but its four children are adjacent (96 bytes, two
 * or three cache lines), so the walk costs fewer cache misses, which
 * dominate once the heap outgrows L1.  Sifts move a hole rather than swapping, so each level
 * writes one entry and one back-link.
 *
 * Ties.  seq is a 64-bit counter bumped by every schedule and reschedule,
 * so no two pending entries compare equal and equal-time events fire in
 * the order they were (re)scheduled: a run is a pure function of its
 * inputs.  The counter does not wrap in practice (2^64 events).
 *
 * Slots and handles.  A handle is (gen << 32) | (slot + 1); the low word
 * is never 0, so neither is a handle.  Freeing a slot (fire, cancel,
 * reset) bumps its generation, which makes every handle to it stale.  A
 * generation wraps after 2^32 reuses of one slot, after which a stale
 * handle kept that long could alias a live event; that is accepted.
 * Free slots form a singly linked list threaded through their `a` field
 * (the payload is dead while the slot is free) and have pos == NO_POS.
 * Slots are handed out from the free list first, then in index order up
 * to the high-water mark n_slots.  Generations are zeroed when the slot
 * array is created or grown and are never reset afterwards, so a handle
 * from before a reset cannot match the slot's next occupant.
 *
 * Invariants (checked by bf_engine_check):
 *   - n <= n_slots <= cap;
 *   - heap order: no entry is less than its parent;
 *   - for every i < n: slots[heap[i].slot].pos == i;
 *   - every slot below n_slots is either pending (pos < n, reached from
 *     the heap) or free (pos == NO_POS, on the free list), and the free
 *     list holds exactly n_slots - n slots;
 *   - every pending time is >= now and every pending seq is < next_seq.
 *
 * Memory.  The engine owns the struct and both arrays.  They grow by
 * doubling when a schedule finds no free slot and never shrink (reset
 * keeps them), so after warm-up scheduling does no allocation and memory
 * is bounded by the high-water mark of pending events, not by the
 * simulated horizon.  The dispatch context is borrowed.
 */
#include "borderflow/engine.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#define NO_POS UINT32_MAX
#define NO_SLOT UINT32_MAX
#define DEFAULT_CAP 64
/* Slot indices are 32-bit and UINT32_MAX is the "none" marker, and the
 * handle stores slot + 1 in 32 bits, so the largest usable capacity is
 * UINT32_MAX - 1 slots. */
#define MAX_CAP ((size_t)UINT32_MAX - 1)

typedef struct heap_entry {
    double time;
    uint64_t seq;
    uint32_t slot;
} heap_entry;

typedef struct slot {
    uint32_t kind, a, b;
    uint32_t gen;
    uint32_t pos; /* index in heap[], or NO_POS when free */
} slot;

struct bf_engine {
    heap_entry *heap;
    slot *slots;
    uint32_t n;         /* pending events = live heap entries */
    uint32_t n_slots;   /* slots ever handed out since create/reset */
    uint32_t cap;       /* length of both arrays */
    uint32_t free_head; /* first free slot below n_slots, or NO_SLOT */
    uint64_t next_seq;
    uint64_t n_fired;
    bf_time now;
    bf_event_fn fn;
    void *ctx;
};

/* (time, seq) order.  Bitwise & and | instead of && and || so the compiler
 * evaluates all three comparisons and makes no branch: with random event
 * times the outcome is a coin toss that a branch predictor cannot learn. */
static inline bool entry_less(const heap_entry *x, const heap_entry *y)
{
    return (x->time < y->time) | ((x->time == y->time) & (x->seq < y->seq));
}

static inline uint32_t handle_slot(bf_event_handle h)
{
    return (uint32_t)h - 1;
}

static inline uint32_t handle_gen(bf_event_handle h)
{
    return (uint32_t)(h >> 32);
}

/* Places x at hole i and moves it towards the root until its parent is not
 * greater. */
static inline void sift_up(bf_engine *e, uint32_t i, heap_entry x)
{
    heap_entry *h = e->heap;
    slot *s = e->slots;
    while (i > 0) {
        uint32_t p = (i - 1) / 4;
        if (!entry_less(&x, &h[p]))
            break;
        h[i] = h[p];
        s[h[i].slot].pos = i;
        i = p;
    }
    h[i] = x;
    s[x.slot].pos = i;
}

/* Places x at hole i and moves it towards the leaves until no child is
 * smaller.  The common case, a full set of four children, is a two-round
 * tournament whose winner is picked with arithmetic rather than branches
 * (the comparisons are unpredictable); only the last internal node takes
 * the general loop.  Measured on a 2-core EPYC VM with random times, this
 * is about 20% faster than the branching form for heaps of 64 to 1024
 * events and about 5-10% slower at 100000, where a branch lets the CPU
 * speculate the next level's loads; simulations here keep small heaps. */
static inline void sift_down(bf_engine *e, uint32_t i, heap_entry x)
{
    heap_entry *h = e->heap;
    slot *s = e->slots;
    uint32_t n = e->n;
    for (;;) {
        /* 4i + 1 exceeds 32 bits once the heap passes 2^30 entries, so the
         * child index is computed in 64 bits. */
        uint64_t c64 = (uint64_t)i * 4 + 1;
        if (c64 >= n)
            break;
        uint32_t c = (uint32_t)c64, m;
        if (c64 + 3 < n) {
            uint32_t m01 = c + entry_less(&h[c + 1], &h[c]);
            uint32_t m23 = c + 2 + entry_less(&h[c + 3], &h[c + 2]);
            uint32_t pick23 = -(uint32_t)entry_less(&h[m23], &h[m01]);
            m = m01 ^ ((m01 ^ m23) & pick23);
        } else {
            m = c;
            for (uint32_t j = c + 1; j < n; j++)
                if (entry_less(&h[j], &h[m]))
                    m = j;
        }
        if (!entry_less(&h[m], &x))
            break;
        h[i] = h[m];
        s[h[i].slot].pos = i;
        i = m;
    }
    h[i] = x;
    s[x.slot].pos = i;
}

/* Returns slot k to the free list and makes its handles stale. */
static inline void slot_free(bf_engine *e, uint32_t k)
{
    slot *sl = &e->slots[k];
    sl->gen++;
    sl->pos = NO_POS;
    sl->a = e->free_head;
    e->free_head = k;
}

/* Takes out the heap entry at position i, refilling the hole with the last
 * entry.  That entry may belong above or below i, hence the two-way
 * choice. */
static inline void heap_remove_at(bf_engine *e, uint32_t i)
{
    uint32_t last = --e->n;
    if (i == last)
        return;
    heap_entry x = e->heap[last];
    if (i > 0 && entry_less(&x, &e->heap[(i - 1) / 4]))
        sift_up(e, i, x);
    else
        sift_down(e, i, x);
}

/* Grows both arrays to twice their length.  On failure nothing observable
 * changes: if the heap grew but the slots did not, the heap is merely
 * longer than cap says, and the next attempt reallocates it to the same
 * size. */
static bf_status grow(bf_engine *e)
{
    if (e->cap >= MAX_CAP)
        return BF_ENOMEM;
    size_t ncap = (size_t)e->cap * 2;
    if (ncap > MAX_CAP)
        ncap = MAX_CAP;

    heap_entry *h = bf_realloc(e->heap, ncap * sizeof *h);
    if (!h)
        return BF_ENOMEM;
    e->heap = h;
    slot *s = bf_realloc(e->slots, ncap * sizeof *s);
    if (!s)
        return BF_ENOMEM;
    /* Generations are read when a slot is handed out, so new slots start
     * at 0 rather than as indeterminate memory. */
    memset(s + e->cap, 0, (ncap - e->cap) * sizeof *s);
    e->slots = s;
    e->cap = (uint32_t)ncap;
    return BF_OK;
}

bf_engine *bf_engine_create(bf_event_fn fn, void *ctx, size_t capacity_hint)
{
    assert(fn);
    size_t cap = capacity_hint ? capacity_hint : DEFAULT_CAP;
    if (cap > MAX_CAP)
        return NULL;

    bf_engine *e = bf_malloc(sizeof *e);
    if (!e)
        return NULL;
    memset(e, 0, sizeof *e);
    e->heap = bf_malloc(cap * sizeof *e->heap);
    if (!e->heap)
        goto fail;
    e->slots = bf_calloc(cap, sizeof *e->slots);
    if (!e->slots)
        goto fail;
    e->cap = (uint32_t)cap;
    e->free_head = NO_SLOT;
    e->fn = fn;
    e->ctx = ctx;
    return e;

fail:
    bf_free(e->heap);
    bf_free(e);
    return NULL;
}

void bf_engine_destroy(bf_engine *e)
{
    if (!e)
        return;
    bf_free(e->heap);
    bf_free(e->slots);
    bf_free(e);
}

void bf_engine_reset(bf_engine *e)
{
    /* Free slots already carry a bumped generation; bumping the pending
     * ones makes every handle issued so far stale.  The slots are then
     * handed out again from index 0, with the generations they have now, so
     * a reset engine allocates slots exactly as a fresh one would. */
    for (uint32_t i = 0; i < e->n; i++)
        e->slots[e->heap[i].slot].gen++;
    e->n = 0;
    e->n_slots = 0;
    e->free_head = NO_SLOT;
    e->next_seq = 0;
    e->n_fired = 0;
    e->now = 0.0;
}

bf_time bf_engine_now(const bf_engine *e)
{
    return e->now;
}

bf_status bf_engine_schedule(bf_engine *e, bf_time at, uint32_t kind,
                             uint32_t a, uint32_t b, bf_event_handle *out)
{
    /* Also rejects NaN, for which every comparison is false. */
    assert(at >= e->now);

    uint32_t k = e->free_head;
    if (k != NO_SLOT) {
        e->free_head = e->slots[k].a;
    } else {
        if (e->n_slots == e->cap && grow(e) != BF_OK) {
            if (out)
                *out = 0;
            return BF_ENOMEM;
        }
        k = e->n_slots++;
    }
    slot *sl = &e->slots[k];
    sl->kind = kind;
    sl->a = a;
    sl->b = b;

    e->n++;
    sift_up(e, e->n - 1, (heap_entry){ at, e->next_seq++, k });

    if (out)
        *out = ((uint64_t)sl->gen << 32) | ((uint64_t)k + 1);
    return BF_OK;
}

bool bf_engine_is_pending(const bf_engine *e, bf_event_handle h)
{
    uint32_t k = handle_slot(h);
    if (h == 0 || k >= e->n_slots)
        return false;
    const slot *sl = &e->slots[k];
    return sl->gen == handle_gen(h) && sl->pos != NO_POS;
}

void bf_engine_cancel(bf_engine *e, bf_event_handle h)
{
    assert(bf_engine_is_pending(e, h));
    uint32_t k = handle_slot(h);
    uint32_t i = e->slots[k].pos;
    slot_free(e, k);
    heap_remove_at(e, i);
}

void bf_engine_reschedule(bf_engine *e, bf_event_handle h, bf_time at)
{
    assert(bf_engine_is_pending(e, h));
    assert(at >= e->now);
    uint32_t k = handle_slot(h);
    uint32_t i = e->slots[k].pos;
    heap_entry x = { at, e->next_seq++, k };
    /* The fresh seq is larger than any pending one, so x moves up only if
     * its time is strictly earlier than its parent's. */
    if (i > 0 && entry_less(&x, &e->heap[(i - 1) / 4]))
        sift_up(e, i, x);
    else
        sift_down(e, i, x);
}

/* Pops the minimum and dispatches it; the heap must be non-empty.  The slot
 * is freed before the callback runs, so the callback sees the event's own
 * handle as stale and may reuse the slot at once. */
static inline void fire_top(bf_engine *e)
{
    heap_entry top = e->heap[0];
    slot *sl = &e->slots[top.slot];
    uint32_t kind = sl->kind, a = sl->a, b = sl->b;
    slot_free(e, top.slot);

    uint32_t last = --e->n;
    if (last > 0)
        sift_down(e, 0, e->heap[last]);

    assert(top.time >= e->now);
    e->now = top.time;
    e->n_fired++;
    e->fn(e->ctx, kind, a, b);
}

bool bf_engine_step(bf_engine *e)
{
    if (e->n == 0)
        return false;
    fire_top(e);
    return true;
}

uint64_t bf_engine_run_until(bf_engine *e, bf_time t)
{
    assert(t >= e->now);
    uint64_t fired = 0;
    /* Re-read n and heap[0] every round: the callback may have scheduled
     * events at times <= t, which must fire in this call too. */
    while (e->n > 0 && e->heap[0].time <= t) {
        fire_top(e);
        fired++;
    }
    e->now = t;
    return fired;
}

size_t bf_engine_pending(const bf_engine *e)
{
    return e->n;
}

bf_time bf_engine_next_time(const bf_engine *e)
{
    return e->n > 0 ? e->heap[0].time : INFINITY;
}

uint64_t bf_engine_n_fired(const bf_engine *e)
{
    return e->n_fired;
}

bool bf_engine_check(const bf_engine *e)
{
    if (!e || !e->heap || !e->slots)
        return false;
    if (e->n > e->n_slots || e->n_slots > e->cap)
        return false;

    for (uint32_t i = 0; i < e->n; i++) {
        const heap_entry *x = &e->heap[i];
        if (x->slot >= e->n_slots || e->slots[x->slot].pos != i)
            return false;
        if (!(x->time >= e->now) || x->seq >= e->next_seq)
            return false;
        if (i > 0 && entry_less(x, &e->heap[(i - 1) / 4]))
            return false;
    }

    /* The free list must hold exactly the slots the heap does not, with no
     * cycle: walking at most n_slots - n links and finding every one marked
     * free proves both, since a pending slot has pos < n. */
    uint32_t n_free = 0;
    for (uint32_t k = e->free_head; k != NO_SLOT; k = e->slots[k].a) {
        if (k >= e->n_slots || e->slots[k].pos != NO_POS)
            return false;
        if (++n_free > e->n_slots - e->n)
            return false;
    }
    return n_free == e->n_slots - e->n;
}
