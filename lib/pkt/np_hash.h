/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_HASH_H
#define NP_HASH_H

/**
 * @file
 * The one hashing vocabulary of natprobe: every table (flows, bindings,
 * the translation table, the correlator's), every fingerprint and message
 * hash comes from these. Values are only ever compared with values made by
 * the same functions, in this process or in another worker of it: equal
 * bytes give equal hashes, nothing else is promised (no stability across
 * versions, no cryptographic strength).
 *
 * CRC32C steps (one instruction per 8 bytes) where the CPU has them: x86
 * SSE4.2, ARMv8 CRC; a multiply-xorshift elsewhere, so every build works.
 * DPDK's rte_hash_crc() would do the same on the worker side, but it picks
 * its instruction at run time through the EAL's CPU-flag probe, which the
 * DPDK-free libraries (and their tests and fuzzers) do not link.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE4_2__) && defined(__x86_64__)
#include <nmmintrin.h>
#define NP_HASH_CRC 1
#elif defined(__ARM_FEATURE_CRC32) && defined(__aarch64__)
#include <arm_acle.h>
#define NP_HASH_CRC 1
#endif

/** 64-bit finaliser (splitmix64): every input bit reaches every output bit. */
static inline uint64_t np_hash_mix64(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return h;
}

/** One 8-byte step: CRC32C where the CPU has it, else a multiply-xorshift. */
static inline uint64_t np_hash_step(uint64_t h, uint64_t w)
{
#if defined(__SSE4_2__) && defined(__x86_64__)
	return _mm_crc32_u64(h, w);
#elif defined(__ARM_FEATURE_CRC32) && defined(__aarch64__)
	return __crc32cd((uint32_t)h, w) | (h & 0xffffffff00000000ull);
#else
	h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
#endif
}

static inline uint64_t np_hash_load64(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

static inline uint32_t np_hash_load32(const uint8_t *p)
{
	uint32_t w;

	memcpy(&w, p, 4);
	return w;
}

/* The last len % 8 bytes (all of them when len < 8) as one word; 0 when none. */
static inline uint64_t np_hash__tail(const uint8_t *b, size_t len)
{
	if (len >= 8)
		return np_hash_load64(b + len -
				      8); /* overlaps bytes hashed: still a function of b */
	if (len >= 4)
		return ((uint64_t)np_hash_load32(b) << 32) | np_hash_load32(b + len - 4);
	if (len > 0)
		return ((uint64_t)b[0] << 16) | ((uint64_t)b[len >> 1] << 8) | b[len - 1];
	return 0;
}

/**
 * Hash of @p len bytes at @p p, chained through @p seed (hash a second
 * string with the first one's result as seed). Four interleaved lanes over
 * 32-byte blocks: about one cycle per 8 bytes. Not mixed at the end: CRC is
 * linear, so a table indexed by it directly wants np_hash_mix64() on top.
 */
static inline uint64_t np_hash_bytes(uint64_t seed, const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t h0 = (uint32_t)seed, h1 = seed >> 32, h2 = ~h0, h3 = ~h1;
	size_t i = 0;

	for (; i + 32 <= len; i += 32) {
		h0 = np_hash_step(h0, np_hash_load64(b + i));
		h1 = np_hash_step(h1, np_hash_load64(b + i + 8));
		h2 = np_hash_step(h2, np_hash_load64(b + i + 16));
		h3 = np_hash_step(h3, np_hash_load64(b + i + 24));
	}
	for (; i + 8 <= len; i += 8)
		h0 = np_hash_step(h0, np_hash_load64(b + i));
	if (i < len)
		h1 = np_hash_step(h1, np_hash__tail(b, len));
	h2 = np_hash_step(h2, len);
	return ((h0 ^ np_hash_step(h3 & 0xffffffffu, h2 & 0xffffffffu)) << 32) |
	       (uint32_t)(h1 ^ np_hash_step(h2 & 0xffffffffu, h0 & 0xffffffffu));
}

/** np_hash_bytes() of a NUL-terminated string (its length is part of the hash). */
static inline uint64_t np_hash_str(uint64_t seed, const char *s)
{
	return np_hash_bytes(seed, s, strlen(s));
}

/**
 * Hash of @p n 8-byte words, for fixed-size keys in registers (a flow's
 * 5-tuple): one step a word and a short mix, ready to index a table.
 */
static inline uint32_t np_hash_words(uint64_t seed, const uint64_t *w, unsigned int n)
{
	uint64_t h = seed;

	for (unsigned int i = 0; i < n; i++)
		h = np_hash_step(h, w[i]);
	/* CRC is linear: structured tuples (consecutive ports, addresses) would
	 * land in neighbouring slots; a multiply mixes them apart */
	h = (h ^ (h >> 15)) * 0x2c1b3c6du;
	return (uint32_t)(h ^ (h >> 12));
}

#endif /* NP_HASH_H */
