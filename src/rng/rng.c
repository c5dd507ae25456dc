/*
 * rng.c - the out-of-line parts of rng.h: the purpose hash, seeding and the
 * jump functions.  The generator itself (bf_rng_next and the uniforms) is
 * inline in the header because it is on the hot path; nothing here is.
 *
 * Invariant: a seeded bf_rng never has the all-zero state, the one fixed
 * point of xoshiro256 (it would output zeros forever).  The jumps preserve
 * this because they are invertible linear maps.
 *
 * No allocation and no globals: the state is the caller's struct.
 */
#include "borderflow/rng.h"

#include <assert.h>

#define SPLITMIX_GAMMA 0x9e3779b97f4a7c15u

/* One SplitMix64 step (Steele, Lea and Flood, 2014): advance x by the
 * golden-ratio gamma and return a bijective mix of the new value. */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += SPLITMIX_GAMMA);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

uint64_t bf_rng_hash(const char *s)
{
    assert(s);
    uint64_t h = 0xcbf29ce484222325u;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3u;
    }
    return h;
}

void bf_rng_seed_u64(bf_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
    /* The four words are the mix of four distinct inputs under a
     * bijection, so at most one of them can be zero and this branch is
     * unreachable; it costs nothing and keeps the invariant explicit. */
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
        r->s[0] = SPLITMIX_GAMMA;
}

/*
 * Mixing (seed, replication, purpose) into one 64-bit value.
 *
 *   k1 = splitmix64 step from state seed
 *   k2 = splitmix64 step from state k1 ^ replication
 *   k3 = splitmix64 step from state k2 ^ fnv1a(purpose)
 *   state = bf_rng_seed_u64(k3)
 *
 * Each step is a bijection of its input word (an add followed by an
 * invertible mix), so with any two of the three inputs held fixed the
 * third maps injectively to k3, and seed_u64 maps k3 injectively to the
 * state: changing only the seed, only the replication or only the purpose
 * hash always gives a different stream.  Changing several at once collides
 * only by chance (about 2^-64 per pair), as for any 64-bit hash, and so
 * does a pair of purpose names with equal FNV-1a hashes.  The chaining is
 * what a plain seed ^ replication ^ hash would lack: there (seed 1, rep 0)
 * and (seed 0, rep 1) are the same stream, and in general (seed ^ d,
 * rep ^ d) collides with (seed, rep) for every d.  The order (seed, then
 * replication, then purpose) is fixed forever: changing it would change
 * every stream and so every stored result.
 */
void bf_rng_seed(bf_rng *r, uint64_t seed, uint64_t replication,
                 const char *purpose)
{
    assert(purpose);
    uint64_t x = seed;
    uint64_t k = splitmix64(&x);
    x = k ^ replication;
    k = splitmix64(&x);
    x = k ^ bf_rng_hash(purpose);
    k = splitmix64(&x);
    bf_rng_seed_u64(r, k);
}

/* Applies the jump polynomial poly: the state becomes the XOR of the
 * states at the positions whose bits are set, which equals the state
 * 2^128 (or 2^192) steps ahead (Blackman and Vigna, xoshiro256starstar.c). */
static void jump_with(bf_rng *r, const uint64_t poly[4])
{
    uint64_t acc[4] = { 0, 0, 0, 0 };
    for (int w = 0; w < 4; w++) {
        for (int bit = 0; bit < 64; bit++) {
            if (poly[w] & ((uint64_t)1 << bit)) {
                acc[0] ^= r->s[0];
                acc[1] ^= r->s[1];
                acc[2] ^= r->s[2];
                acc[3] ^= r->s[3];
            }
            (void)bf_rng_next(r);
        }
    }
    for (int i = 0; i < 4; i++)
        r->s[i] = acc[i];
}

void bf_rng_jump(bf_rng *r)
{
    static const uint64_t poly[4] = { 0x180ec6d33cfd0abau, 0xd5a61266f0c9392cu,
                                      0xa9582618e03fc9aau, 0x39abdc4529b1661cu };
    jump_with(r, poly);
}

void bf_rng_long_jump(bf_rng *r)
{
    static const uint64_t poly[4] = { 0x76e15d3efefdcbbfu, 0xc5004e441c522fb3u,
                                      0x77710069854ee241u, 0x39109bb02acbe635u };
    jump_with(r, poly);
}
