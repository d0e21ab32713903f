/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The evidence history: a ring of fixed-size slots, one writer, lock-free
 * readers (the protocol is in np_history.h). A slot is words: the sequence,
 * the meta, then the frame bytes.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "detect_internal.h"
#include "np_history.h"

#define META_WORDS (sizeof(struct np_hist_meta) / 8)

_Static_assert(sizeof(struct np_hist_meta) % 8 == 0, "meta is whole words");

struct np_hist {
	uint64_t *slots; /* n * stride words */
	uint32_t n;
	uint32_t snaplen;
	uint32_t stride; /* words per slot */
	uint64_t head;	 /* atomic: one past the last position written */
	uint64_t next;	 /* writer's own copy of head */
	struct np_hist_stats stats;
	void (*free)(void *p, void *ctx);
	void *ctx;
};

static uint32_t stride_of(uint32_t snaplen)
{
	uint32_t w = 1 + (uint32_t)META_WORDS + (snaplen + 7) / 8;

	return (w + 7) & ~7u; /* whole cache lines */
}

size_t np_hist_mem_need(uint32_t slots, uint32_t snaplen)
{
	return sizeof(struct np_hist) + (size_t)slots * stride_of(snaplen) * 8;
}

struct np_hist *np_hist_create(uint32_t slots, uint32_t snaplen,
			       void *(*alloc)(size_t size, size_t align, void *ctx),
			       void (*free_fn)(void *p, void *ctx), void *ctx)
{
	struct np_hist *h;
	size_t bytes;

	if (slots == 0 || slots > NP_HIST_MAX_SLOTS || snaplen < NP_HIST_MIN_SNAPLEN ||
	    snaplen > NP_HIST_MAX_SNAPLEN || (alloc != NULL && free_fn == NULL)) {
		errno = EINVAL;
		return NULL;
	}
	bytes = (size_t)slots * stride_of(snaplen) * 8;
	h = alloc ? alloc(sizeof(*h), 64, ctx) : aligned_alloc(64, (sizeof(*h) + 63) & ~(size_t)63);
	if (h == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(h, 0, sizeof(*h));
	h->slots = alloc ? alloc(bytes, 64, ctx) : aligned_alloc(64, bytes);
	if (h->slots == NULL) {
		if (alloc)
			free_fn(h, ctx);
		else
			free(h);
		errno = ENOMEM;
		return NULL;
	}
	/* Sequence 0 matches no position: every slot reads as not written. */
	memset(h->slots, 0, bytes);
	h->n = slots;
	h->snaplen = snaplen;
	h->stride = stride_of(snaplen);
	h->free = alloc ? free_fn : NULL;
	h->ctx = ctx;
	return h;
}

void np_hist_destroy(struct np_hist *h)
{
	if (h == NULL)
		return;
	if (h->free != NULL) {
		h->free(h->slots, h->ctx);
		h->free(h, h->ctx);
	} else {
		free(h->slots);
		free(h);
	}
}

void np_hist_put(struct np_hist *h, const struct np_hist_meta *meta, const uint8_t *data,
		 uint32_t len)
{
	uint64_t pos = h->next;
	uint64_t *s = h->slots + (pos % h->n) * h->stride;
	uint64_t *d = s + 1 + META_WORDS;
	uint32_t cap = len < h->snaplen ? len : h->snaplen;
	struct np_hist_meta m = *meta;
	uint64_t mw[META_WORDS];
	uint32_t i;

	m.caplen = cap;
	m.len = len;
	if (cap < len) {
		m.flags |= NP_HIST_F_CUT;
		h->stats.cut++;
	}
	memcpy(mw, &m, sizeof(mw));
	__atomic_store_n(&s[0], 2 * pos + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (i = 0; i < META_WORDS; i++)
		__atomic_store_n(&s[1 + i], mw[i], __ATOMIC_RELAXED);
	for (i = 0; i + 8 <= cap; i += 8)
		__atomic_store_n(&d[i / 8], det_load64(data + i), __ATOMIC_RELAXED);
	if (i < cap) {
		uint64_t w = 0;

		memcpy(&w, data + i, cap - i);
		__atomic_store_n(&d[i / 8], w, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&s[0], 2 * pos + 2, __ATOMIC_RELEASE);
	h->next = pos + 1;
	__atomic_store_n(&h->head, pos + 1, __ATOMIC_RELEASE);
	h->stats.kept++;
}

const struct np_hist_stats *np_hist_stats(const struct np_hist *h)
{
	return &h->stats;
}

uint32_t np_hist_slots(const struct np_hist *h)
{
	return h->n;
}

uint32_t np_hist_snaplen(const struct np_hist *h)
{
	return h->snaplen;
}

uint64_t np_hist_head(const struct np_hist *h)
{
	return __atomic_load_n(&h->head, __ATOMIC_ACQUIRE);
}

int np_hist_read(const struct np_hist *h, uint64_t pos, struct np_hist_meta *meta, uint8_t *data)
{
	const uint64_t *s = h->slots + (pos % h->n) * h->stride;
	const uint64_t *d = s + 1 + META_WORDS;
	uint64_t mw[META_WORDS], s1;
	uint32_t cap, i;

	if (pos >= np_hist_head(h))
		return -EINVAL;
	s1 = __atomic_load_n(&s[0], __ATOMIC_ACQUIRE);
	if (s1 != 2 * pos + 2)
		return -ESTALE;
	for (i = 0; i < META_WORDS; i++)
		mw[i] = __atomic_load_n(&s[1 + i], __ATOMIC_RELAXED);
	memcpy(meta, mw, sizeof(mw));
	cap = meta->caplen <= h->snaplen ? meta->caplen : h->snaplen;
	if (data != NULL) {
		for (i = 0; i + 8 <= cap; i += 8) {
			uint64_t w = __atomic_load_n(&d[i / 8], __ATOMIC_RELAXED);

			memcpy(data + i, &w, 8);
		}
		if (i < cap) {
			uint64_t w = __atomic_load_n(&d[i / 8], __ATOMIC_RELAXED);

			memcpy(data + i, &w, cap - i);
		}
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&s[0], __ATOMIC_RELAXED) != s1)
		return -ESTALE;
	meta->caplen = cap;
	return 0;
}

static inline uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

uint64_t np_hist_flow_key(uint8_t segment, uint8_t proto, const struct np_addr *a, uint16_t aport,
			  const struct np_addr *b, uint16_t bport)
{
	int c = memcmp(a->b, b->b, sizeof(a->b));
	const struct np_addr *lo = c < 0 || (c == 0 && aport <= bport) ? a : b;
	const struct np_addr *hi = lo == a ? b : a;
	uint16_t plo = lo == a ? aport : bport, phi = lo == a ? bport : aport;
	uint64_t h =
	    ((uint64_t)segment << 48) | ((uint64_t)proto << 32) | ((uint64_t)plo << 16) | phi;

	h = det_hash_bytes(h, lo->b, sizeof(lo->b));
	h = mix(det_hash_bytes(h, hi->b, sizeof(hi->b)));
	return h ? h : 1;
}

uint64_t np_hist_call_key(const char *call_id, size_t len)
{
	uint64_t h = mix(det_hash_bytes(0x9e3779b97f4a7c15ull, call_id, len));

	return h ? h : 1;
}
