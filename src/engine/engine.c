/*
 * engine.c - the event list and simulation clock behind engine.h.
 *
 * Design.  Three arrays, all of `cap` elements:
 *
 *   heap[0 .. n)        implicit 4-ary min-heap of 16-byte entries
 *                       {time, slot}, ordered by (time, slot's seq).  The
 *                       children of position i are 4i+1 .. 4i+4, its parent
 *                       is (i-1)/4.
 *   slots[0 .. n_slots) per-event records {seq, kind, a, b, gen}: the
 *                       tie-break counter, the payload and the generation
 *                       that handles must match.
 *   pos[0 .. n_slots)   the heap position of each slot's entry (NO_POS
 *                       when the slot is free).
 *
 * Why this shape.  Comparisons are the inner loop of every sift, so the
 * entry carries its time: comparing two entries reads their 8-byte times
 * and never follows a pointer, except for exact ties in time, which are
 * rare with continuous distributions and are then broken by the seqs in
 * the slots (a predictable, almost never taken branch).  Keeping seq out
 * of the entry makes it 16 bytes instead of 24, so the four children of a
 * node are 64 bytes; heap[] is placed so that heap[1] starts a 64-byte
 * line, and then every group of siblings 4i+1 .. 4i+4 fills exactly one
 * cache line: a level of a sift costs one line, not two or three.  The
 * back-links live in their own array of 4-byte integers because a sift
 * writes one per level at a random slot: packed, they are 4 bytes of a
 * mostly cached 4n-byte array instead of a field in a 24n-byte one.  The
 * payload is only read once, when the event fires.
 *
 * A 4-ary heap is half as deep as a binary one.  Sifts move a hole
 * rather than swapping, so each level writes one entry and one back-link.
 * In a sift-down the smallest of four children is picked by a two-round
 * tournament on the times, with the winners selected by masks and minsd
 * rather than branches (the outcomes are coin tosses a branch predictor
 * cannot learn); a level is then one short chain of loads, compares and
 * selects.  Once the heap outgrows the first-level cache, each level also
 * prefetches the four lines the next level may read, and fire_top
 * prefetches the slot of the next event.
 *
 * Measured on the 2-core EPYC VM against the former layout (24-byte
 * entries carrying seq, back-links inside the slots, every comparison on
 * (time, seq)), as CPU time per hold in tools/bench/bench_engine (pop,
 * then push at now + Exp): 30 vs 28 ns with 4 pending events, 48 vs 63 ns
 * with 320, 63 vs 90 ns with 3,000, 80-88 vs 130-150 ns with 30,000,
 * 190 vs 380-420 ns with 300,000.  In the simulator (tools/bench/
 * bench_sim, same sim.c): the two-line model 14% faster, 27% with its
 * zone dwell 100x longer, the M/M/1 model unchanged.  Tried and rejected:
 * Floyd's bottom-up removal (2-10% slower at every size: its extra
 * sift-up costs more than the comparisons it saves), a branching
 * tournament (25-60% slower below 30,000), an 8-ary heap (10-15% slower
 * from 320 up), and taking the last step of a sift-down with selects (1-2%
 * faster on the two-line model but 4% slower on M/M/1).  The last step of
 * a sift-up, against the root, is taken with selects: with the
 * simulator's own event loop (bf_engine_pop) that branch had become the
 * most mispredicted one on M/M/1, and selects made it 6% faster.  Deferring
 * the refill of the root after a pop, so that the next schedule could
 * fill it (replace-top), was 30% slower on M/M/1 and was dropped.
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
 *   - for every i < n: pos[heap[i].slot] == i;
 *   - every slot below n_slots is either pending (pos < n, reached from
 *     the heap) or free (pos == NO_POS, on the free list), and the free
 *     list holds exactly n_slots - n slots;
 *   - every pending time is >= now and every pending seq is < next_seq.
 *
 * Memory.  The engine owns the struct and the three arrays (heap_mem is
 * the allocation, heap the aligned view into it).  They grow by doubling
 * when a schedule finds no free slot and never shrink (reset keeps them),
 * so after warm-up scheduling does no allocation and memory is bounded by
 * the high-water mark of pending events, not by the simulated horizon.
 * The dispatch context is borrowed.
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
/* heap_mem holds HEAP_PAD entries more than cap, the room needed to slide
 * the view so that heap[1] is 64-byte aligned (the allocator aligns to at
 * least 16 bytes, so the view moves by at most three entries). */
#define LINE 64
#define HEAP_PAD 4

/* From this many pending events on, the heap (16 bytes an entry) and the
 * slots (24) outgrow the first-level cache, and the sifts and fire_top
 * prefetch what they will read next. */
#define PREFETCH_MIN 1024

#define ALWAYS_INLINE __attribute__((always_inline))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

typedef struct heap_entry {
    double time;
    uint32_t slot;
    uint32_t unused; /* padding, named so that the size is plainly 16 */
} heap_entry;

typedef struct slot {
    uint64_t seq;
    uint32_t kind, a, b;
    uint32_t gen;
} slot;

struct bf_engine {
    heap_entry *heap; /* view into heap_mem with heap + 1 line-aligned */
    void *heap_mem;
    slot *slots;
    uint32_t *pos;      /* heap position of each slot, NO_POS when free */
    uint32_t n;         /* pending events = live heap entries */
    uint32_t n_slots;   /* slots ever handed out since create/reset */
    uint32_t cap;       /* length of the three arrays */
    uint32_t free_head; /* first free slot below n_slots, or NO_SLOT */
    uint64_t next_seq;
    uint64_t n_fired;
    bf_time now;
    bf_event_fn fn;
    void *ctx;
};

/* (time, seq) order.  Times decide unless they are exactly equal; only
 * then are the seqs fetched from the slots. */
static inline bool entry_less(const slot *s, const heap_entry *x, const heap_entry *y)
{
    if (LIKELY(x->time != y->time))
        return x->time < y->time;
    return s[x->slot].seq < s[y->slot].seq;
}

static inline uint32_t handle_slot(bf_event_handle h)
{
    return (uint32_t)h - 1;
}

static inline uint32_t handle_gen(bf_event_handle h)
{
    return (uint32_t)(h >> 32);
}

/* The view of the allocation mem in which heap[1] starts a cache line. */
static inline heap_entry *heap_view(void *mem)
{
    uintptr_t p = (uintptr_t)mem + sizeof(heap_entry);
    p = (p + LINE - 1) & ~(uintptr_t)(LINE - 1);
    return (heap_entry *)(p - sizeof(heap_entry));
}

/* Index of the smallest of the four children c .. c+3, all present, by
 * (time, seq).  Two rounds of a tournament on the times alone, with the
 * winners picked by masks and minsd rather than branches (the outcomes
 * are coin tosses a branch predictor cannot learn), so that a level of a
 * sift is one chain of loads, compares and selects with no reload of a
 * winner's time.  If any of the three compares met equal times the seqs
 * must decide, and the tournament is replayed with the exact order: a
 * branch that random times practically never take. */
static inline uint32_t min_of_four(const slot *s, const heap_entry *h, uint32_t c)
{
    double t0 = h[c].time, t1 = h[c + 1].time;
    double t2 = h[c + 2].time, t3 = h[c + 3].time;
    uint32_t b01 = t1 < t0, b23 = t3 < t2;
    double w01 = t1 < t0 ? t1 : t0;
    double w23 = t3 < t2 ? t3 : t2;
    uint32_t m01 = c + b01, m23 = c + 2 + b23;
    uint32_t pick23 = -(uint32_t)(w23 < w01);
    if (UNLIKELY((t0 == t1) | (t2 == t3) | (w01 == w23))) {
        m01 = c + entry_less(s, &h[c + 1], &h[c]);
        m23 = c + 2 + entry_less(s, &h[c + 3], &h[c + 2]);
        pick23 = -(uint32_t)entry_less(s, &h[m23], &h[m01]);
    }
    return m01 ^ ((m01 ^ m23) & pick23);
}

/* Index of the smallest of the one to three children c .. n-1 of the last
 * internal node (c < n <= c + 3).  Branches here measured faster than
 * selects: in small heaps (three events in the M/M/1 model, where this is
 * every pop) the outcomes follow the event sequence closely enough for
 * the branch predictor. */
static inline uint32_t min_of_few(const slot *s, const heap_entry *h, uint32_t c, uint32_t n)
{
    uint32_t m = c;
    if (c + 1 < n && entry_less(s, &h[c + 1], &h[m]))
        m = c + 1;
    if (c + 2 < n && entry_less(s, &h[c + 2], &h[m]))
        m = c + 2;
    return m;
}

/* Parent position p and child position c get the smaller and the larger
 * of a and b, decided by selects rather than a branch (see sift_up). */
ALWAYS_INLINE static inline void place_pair(bf_engine *e, uint32_t p, uint32_t c,
                                            heap_entry a, heap_entry b)
{
    uint64_t m = -(uint64_t)entry_less(e->slots, &b, &a); /* all ones if b < a */
    uint64_t at, bt;
    memcpy(&at, &a.time, sizeof at);
    memcpy(&bt, &b.time, sizeof bt);
    uint64_t lo_t = (bt & m) | (at & ~m), hi_t = at ^ bt ^ lo_t;
    uint32_t lo_s = (b.slot & (uint32_t)m) | (a.slot & ~(uint32_t)m);
    uint32_t hi_s = a.slot ^ b.slot ^ lo_s;
    heap_entry *h = e->heap;
    memcpy(&h[p].time, &lo_t, sizeof lo_t);
    h[p].slot = lo_s;
    memcpy(&h[c].time, &hi_t, sizeof hi_t);
    h[c].slot = hi_s;
    e->pos[lo_s] = p;
    e->pos[hi_s] = c;
}

/* Places x at hole i and moves it towards the root until its parent is not
 * greater.  Below the root's children each level is a branch, which is
 * predictable: a new event nearly always stops at once in a large heap.
 * The last step, against the root itself, is taken with selects: in a
 * small heap (the M/M/1 model has three events) whether the new event is
 * the next to fire is a coin toss, and a branch on it was mispredicted
 * about once per customer. */
ALWAYS_INLINE static inline void sift_up(bf_engine *e, uint32_t i, heap_entry x)
{
    heap_entry *h = e->heap;
    const slot *s = e->slots;
    uint32_t *pos = e->pos;
    while (i > 4) {
        uint32_t p = (i - 1) / 4;
        if (!entry_less(s, &x, &h[p])) {
            h[i] = x;
            pos[x.slot] = i;
            return;
        }
        h[i] = h[p];
        pos[h[i].slot] = i;
        i = p;
    }
    if (i == 0) {
        h[0] = x;
        pos[x.slot] = 0;
        return;
    }
    place_pair(e, 0, i, h[0], x);
}

/* Places x at hole i and moves it towards the leaves until no child is
 * smaller. */
ALWAYS_INLINE static inline void sift_down(bf_engine *e, uint32_t i, heap_entry x)
{
    heap_entry *h = e->heap;
    const slot *s = e->slots;
    uint32_t *pos = e->pos;
    uint32_t n = e->n;
    for (;;) {
        /* 4i + 1 exceeds 32 bits once the heap passes 2^30 entries, so the
         * child indices are computed in 64 bits. */
        uint64_t c64 = (uint64_t)i * 4 + 1;
        if (c64 >= n)
            break;
        uint32_t c = (uint32_t)c64, m;
        if (c64 + 3 < n) {
            if (n >= PREFETCH_MIN && c64 * 4 + 1 < n) {
                /* The next level's four candidate groups (16 entries, four
                 * lines): fetching all of them while this level is decided
                 * takes the likely cache miss off the critical path.  The
                 * last lines may lie past the array's end; a prefetch
                 * never faults. */
                const char *g = (const char *)&h[c64 * 4 + 1];
                __builtin_prefetch(g);
                __builtin_prefetch(g + LINE);
                __builtin_prefetch(g + 2 * LINE);
                __builtin_prefetch(g + 3 * LINE);
            }
            m = min_of_four(s, h, c);
        } else {
            m = min_of_few(s, h, c, n);
        }
        if (!entry_less(s, &h[m], &x))
            break;
        h[i] = h[m];
        pos[h[i].slot] = i;
        i = m;
    }
    h[i] = x;
    pos[x.slot] = i;
}

/* Returns slot k to the free list and makes its handles stale. */
static inline void slot_free(bf_engine *e, uint32_t k)
{
    slot *sl = &e->slots[k];
    sl->gen++;
    e->pos[k] = NO_POS;
    sl->a = e->free_head;
    e->free_head = k;
}

/* Puts x at hole i, which may be anywhere in the heap, moving it up or
 * down as its order requires.  Out of line: cancel and reschedule are rare
 * next to schedule and fire, which get the sifts inlined. */
__attribute__((noinline)) static void place_at(bf_engine *e, uint32_t i, heap_entry x)
{
    if (i > 0 && entry_less(e->slots, &x, &e->heap[(i - 1) / 4]))
        sift_up(e, i, x);
    else
        sift_down(e, i, x);
}

/* Takes out the heap entry at position i, refilling the hole with the last
 * entry, which may belong above or below i. */
static void heap_remove_at(bf_engine *e, uint32_t i)
{
    uint32_t last = --e->n;
    if (i == last)
        return;
    place_at(e, i, e->heap[last]);
}

/* Grows the three arrays to twice their length.  On failure nothing
 * observable changes: an array that did grow is merely longer than cap
 * says (the heap's entries having moved with its view), and the next
 * attempt reallocates it to the same size. */
__attribute__((noinline, cold)) static bf_status grow(bf_engine *e)
{
    if (e->cap >= MAX_CAP)
        return BF_ENOMEM;
    size_t ncap = (size_t)e->cap * 2;
    if (ncap > MAX_CAP)
        ncap = MAX_CAP;

    size_t off = (size_t)((char *)e->heap - (char *)e->heap_mem);
    void *mem = bf_realloc(e->heap_mem, (ncap + HEAP_PAD) * sizeof(heap_entry));
    if (!mem)
        return BF_ENOMEM;
    /* realloc kept the bytes at the old offset; the new block may need
     * another one to keep heap[1] on a line boundary. */
    heap_entry *h = heap_view(mem);
    if ((char *)h != (char *)mem + off)
        memmove(h, (char *)mem + off, (size_t)e->n * sizeof *h);
    e->heap_mem = mem;
    e->heap = h;

    slot *s = bf_realloc(e->slots, ncap * sizeof *s);
    if (!s)
        return BF_ENOMEM;
    /* Generations are read when a slot is handed out, so new slots start
     * at 0 rather than as indeterminate memory. */
    memset(s + e->cap, 0, (ncap - e->cap) * sizeof *s);
    e->slots = s;
    uint32_t *p = bf_realloc(e->pos, ncap * sizeof *p);
    if (!p)
        return BF_ENOMEM;
    e->pos = p;
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
    e->heap_mem = bf_malloc((cap + HEAP_PAD) * sizeof(heap_entry));
    if (!e->heap_mem)
        goto fail;
    e->heap = heap_view(e->heap_mem);
    e->slots = bf_calloc(cap, sizeof *e->slots);
    if (!e->slots)
        goto fail;
    e->pos = bf_malloc(cap * sizeof *e->pos);
    if (!e->pos)
        goto fail;
    e->cap = (uint32_t)cap;
    e->free_head = NO_SLOT;
    e->fn = fn;
    e->ctx = ctx;
    return e;

fail:
    bf_free(e->slots);
    bf_free(e->heap_mem);
    bf_free(e);
    return NULL;
}

void bf_engine_destroy(bf_engine *e)
{
    if (!e)
        return;
    bf_free(e->heap_mem);
    bf_free(e->slots);
    bf_free(e->pos);
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
    sl->seq = e->next_seq++;
    sl->kind = kind;
    sl->a = a;
    sl->b = b;

    e->n++;
    sift_up(e, e->n - 1, (heap_entry){ .time = at, .slot = k });

    if (out)
        *out = ((uint64_t)sl->gen << 32) | ((uint64_t)k + 1);
    return BF_OK;
}

bool bf_engine_is_pending(const bf_engine *e, bf_event_handle h)
{
    uint32_t k = handle_slot(h);
    if (h == 0 || k >= e->n_slots)
        return false;
    return e->slots[k].gen == handle_gen(h) && e->pos[k] != NO_POS;
}

void bf_engine_cancel(bf_engine *e, bf_event_handle h)
{
    assert(bf_engine_is_pending(e, h));
    uint32_t k = handle_slot(h);
    uint32_t i = e->pos[k];
    slot_free(e, k);
    heap_remove_at(e, i);
}

void bf_engine_reschedule(bf_engine *e, bf_event_handle h, bf_time at)
{
    assert(bf_engine_is_pending(e, h));
    assert(at >= e->now);
    uint32_t k = handle_slot(h);
    uint32_t i = e->pos[k];
    e->slots[k].seq = e->next_seq++;
    /* The fresh seq is larger than any pending one, so the entry moves up
     * only if its time is strictly earlier than its parent's. */
    place_at(e, i, (heap_entry){ .time = at, .slot = k });
}

/* Takes the minimum off the heap (which must be non-empty) into *ev and
 * moves the clock to its time.  The slot is freed before the caller acts
 * on the event, so the event's own handle is stale by then and the slot
 * may be reused at once. */
ALWAYS_INLINE static inline void take_top(bf_engine *e, bf_event *ev)
{
    heap_entry top = e->heap[0];
    slot *sl = &e->slots[top.slot];
    ev->time = top.time;
    ev->kind = sl->kind;
    ev->a = sl->a;
    ev->b = sl->b;
    slot_free(e, top.slot);
    uint32_t last = --e->n;
    if (last > 0)
        sift_down(e, 0, e->heap[last]);
    /* The new minimum is nearly always the next event to fire.  Its slot
     * was written when it was scheduled, which for a long dwell was
     * thousands of events ago, so it is likely out of cache; fetching it
     * now overlaps the miss with the callback instead of stalling the next
     * fire_top on it. */
    if (e->n >= PREFETCH_MIN) {
        uint32_t next = e->heap[0].slot;
        __builtin_prefetch(&e->slots[next], 1);
        __builtin_prefetch(&e->pos[next], 1);
    }

    assert(top.time >= e->now);
    e->now = top.time;
    e->n_fired++;
}

/* Pops the minimum and dispatches it; the heap must be non-empty. */
ALWAYS_INLINE static inline void fire_top(bf_engine *e)
{
    bf_event ev;
    take_top(e, &ev);
    e->fn(e->ctx, ev.kind, ev.a, ev.b);
}

bool bf_engine_pop(bf_engine *e, bf_time limit, bf_event *ev)
{
    if (e->n == 0 || !(e->heap[0].time <= limit))
        return false;
    take_top(e, ev);
    return true;
}

bool bf_engine_peek(const bf_engine *e, bf_event *ev)
{
    if (e->n == 0)
        return false;
    const slot *sl = &e->slots[e->heap[0].slot];
    ev->time = e->heap[0].time;
    ev->kind = sl->kind;
    ev->a = sl->a;
    ev->b = sl->b;
    return true;
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
    if (!e || !e->heap_mem || !e->slots || !e->pos)
        return false;
    if (e->heap != heap_view(e->heap_mem))
        return false;
    if (e->n > e->n_slots || e->n_slots > e->cap)
        return false;

    for (uint32_t i = 0; i < e->n; i++) {
        const heap_entry *x = &e->heap[i];
        if (x->slot >= e->n_slots || e->pos[x->slot] != i)
            return false;
        if (!(x->time >= e->now) || e->slots[x->slot].seq >= e->next_seq)
            return false;
        if (i > 0 && entry_less(e->slots, x, &e->heap[(i - 1) / 4]))
            return false;
    }

    /* The free list must hold exactly the slots the heap does not, with no
     * cycle: walking at most n_slots - n links and finding every one marked
     * free proves both, since a pending slot has pos < n. */
    uint32_t n_free = 0;
    for (uint32_t k = e->free_head; k != NO_SLOT; k = e->slots[k].a) {
        if (k >= e->n_slots || e->pos[k] != NO_POS)
            return false;
        if (++n_free > e->n_slots - e->n)
            return false;
    }
    return n_free == e->n_slots - e->n;
}
