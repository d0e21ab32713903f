/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NAT_INTERNAL_H
#define NAT_INTERNAL_H

#include <stdint.h>

#include "np_nat.h"

#define NAT_NIL UINT32_MAX

static inline uint64_t nat_mix64(uint64_t h)
{
	return np_nat__mix64(h);
}

/* Hash @p n bytes (a multiple of 8) with @p seed. */
static inline uint64_t nat_hash_words(const void *p, unsigned int n, uint64_t seed)
{
	const uint8_t *b = p;
	uint64_t h = seed, w;
	unsigned int i;

	for (i = 0; i < n; i += 8) {
		memcpy(&w, b + i, 8);
		h = nat_mix64(h ^ w);
	}
	return h;
}

/* Smallest power of two >= @p v (v <= 2^31). */
static inline uint32_t nat_pow2(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/* A random seed for the hash tables (not security-critical beyond flooding). */
uint64_t nat_seed(void);

#endif /* NAT_INTERNAL_H */
