/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NAT_INTERNAL_H
#define NAT_INTERNAL_H

#include <stdint.h>

#include "np_nat.h"

#define NAT_NIL UINT32_MAX

/* Hash @p n bytes with @p seed, ready to index a table. */
static inline uint64_t nat_hash_words(const void *p, unsigned int n, uint64_t seed)
{
	return np_hash_mix64(np_hash_bytes(seed, p, n));
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

/* nat_xlat.c: the tables' allocator when the caller gives none (calloc, free). */
void *nat_default_alloc(void *ctx, size_t size);
void nat_default_free(void *ctx, void *p);

#endif /* NAT_INTERNAL_H */
