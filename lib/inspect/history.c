/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The evidence history: a ring of fixed-size slots, one writer, lock-free
 * readers (the protocol is in np_history.h). A slot is words: the sequence,
 * the meta, then the frame bytes.
 *
 * The meta and the bytes are copied with plain memcpy between the sequence
 * accesses, as DPDK's rte_seqlock does: a copy that a write overlapped is
 * thrown away by the second sequence check, so its contents never matter
 * (the reader bounds its copy by the slot size, whatever caplen it read).
 * Word-by-word atomic copies (np_nat.h's choice for 48-byte entries) cost
 * five times as many instructions for a 900-byte SIP frame, on the worker.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "np_hash.h"
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
	uint64_t *wslot; /* writer: the slot of position next */
	uint64_t *end;	 /* one past the last slot */
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
	h->wslot = h->slots;
	h->end = h->slots + (size_t)slots * h->stride;
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
	uint64_t *s = h->wslot;
	uint32_t cap = len < h->snaplen ? len : h->snaplen;
	struct np_hist_meta *m = (struct np_hist_meta *)(s + 1);

	__atomic_store_n(&s[0], 2 * pos + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	/* plain copies between the sequence stores: see the file comment */
	*m = *meta;
	m->caplen = cap;
	m->len = len;
	if (cap < len) {
		m->flags |= NP_HIST_F_CUT;
		h->stats.cut++;
	}
	memcpy(s + 1 + META_WORDS, data, cap);
	__atomic_store_n(&s[0], 2 * pos + 2, __ATOMIC_RELEASE);
	h->next = pos + 1;
	h->wslot = s + h->stride < h->end ? s + h->stride : h->slots;
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
	uint64_t s1;
	uint32_t cap;

	if (pos >= np_hist_head(h))
		return -EINVAL;
	s1 = __atomic_load_n(&s[0], __ATOMIC_ACQUIRE);
	if (s1 != 2 * pos + 2)
		return -ESTALE;
	memcpy(meta, s + 1, sizeof(*meta));
	/* bounded by the slot whatever a racing write left there (checked below) */
	cap = meta->caplen <= h->snaplen ? meta->caplen : h->snaplen;
	if (data != NULL)
		memcpy(data, s + 1 + META_WORDS, cap);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&s[0], __ATOMIC_RELAXED) != s1)
		return -ESTALE;
	meta->caplen = cap;
	return 0;
}

/* One endpoint, scrambled; the flow key adds the two, so either direction gives it. */
static inline uint64_t ep_hash(const struct np_addr *a, uint16_t port)
{
	return np_hash_load64(a->b) * 0x9e3779b97f4a7c15ull ^
	       (np_hash_load64(a->b + 8) + port) * 0xc2b2ae3d27d4eb4full;
}

uint64_t np_hist_flow_key(uint8_t segment, uint8_t proto, const struct np_addr *a, uint16_t aport,
			  const struct np_addr *b, uint16_t bport)
{
	uint64_t h = np_hash_mix64(((uint64_t)segment << 8 | proto) + ep_hash(a, aport) +
				   ep_hash(b, bport));

	return h ? h : 1;
}

uint64_t np_hist_call_key(const char *call_id, size_t len)
{
	uint64_t h = np_hash_mix64(np_hash_bytes(0x9e3779b97f4a7c15ull, call_id, len));

	return h ? h : 1;
}
