/*
 * rng.h - random number streams.
 *
 * Generator: xoshiro256** (Blackman and Vigna, 2018), period 2^256 - 1,
 * with the published jump (2^128 steps) and long-jump (2^192 steps)
 * polynomials.
 *
 * Streams.  Every purpose in a model draws from its own stream: each
 * class's arrivals, each class's attributes, each station's service, each
 * routing decision.  A stream is identified by (seed, replication,
 * purpose name), not by its position in the scenario, so adding a station
 * leaves every other stream unchanged: two scenarios compared with the
 * same seed see the same arrivals (common random numbers).
 *
 * How a stream is seeded: the 64-bit FNV-1a hash of the purpose name is
 * mixed with the seed and the replication number, and SplitMix64 expands
 * the result to the 256-bit state (the seeding procedure the xoshiro
 * authors recommend).  Streams started this way are not provably disjoint
 * as jump-separated ones are, but with k streams of length L the chance
 * that any two overlap is about k^2 L / 2^256 -- about 1e-46 for a
 * million streams of 2^64 draws -- which is what the jump functions buy in
 * practice too.  bf_rng_jump is provided for callers that want provably
 * disjoint sub-streams of one stream.
 *
 * The state is a plain struct the caller owns (no allocation); copying it
 * saves the stream position and assigning it back restores it.
 */
#ifndef BORDERFLOW_RNG_H
#define BORDERFLOW_RNG_H

#include "borderflow/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bf_rng {
    uint64_t s[4];
} bf_rng;

/* 64-bit FNV-1a hash of a NUL-terminated string. */
uint64_t bf_rng_hash(const char *s);

/* Seeds the stream (seed, replication, purpose).  purpose must be
 * non-NULL, e.g. "arrivals:researcher". */
void bf_rng_seed(bf_rng *r, uint64_t seed, uint64_t replication,
                 const char *purpose);

/* Seeds directly from one 64-bit value through SplitMix64. */
void bf_rng_seed_u64(bf_rng *r, uint64_t seed);

/* Advances the stream by 2^128 (jump) or 2^192 (long jump) draws. */
void bf_rng_jump(bf_rng *r);
void bf_rng_long_jump(bf_rng *r);

static inline uint64_t bf_rng__rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* The next 64 random bits. */
static inline uint64_t bf_rng_next(bf_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = bf_rng__rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = bf_rng__rotl(s[3], 45);
    return result;
}

/* Uniform on [0, 1), 53 random bits. */
static inline double bf_rng_uniform(bf_rng *r)
{
    return (double)(bf_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform on (0, 1]: never 0, so log() of it is finite. */
static inline double bf_rng_uniform_pos(bf_rng *r)
{
    return (double)((bf_rng_next(r) >> 11) + 1) * 0x1.0p-53;
}

#ifdef __cplusplus
}
#endif
#endif
