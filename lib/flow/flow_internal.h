/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_FLOW_INTERNAL_H
#define NP_FLOW_INTERNAL_H

/*
 * Table layout. A flow is a 64-byte "hot" entry (key, state, ageing links;
 * what every packet touches) plus a 32-byte "cold" entry (sequence numbers
 * and reassembly state; touched by payload-bearing TCP only), at the same
 * index in two arrays. The hash index is linear probing over 8-byte slots,
 * a power of two at least twice conf.size (load <= 1/2), with backward-shift
 * deletion (no tombstones). Entries sit on one of four intrusive lists, each
 * with one timeout, ordered by last_ns: so the tail of each list is the next
 * to expire and np_flow_expire() stops at the first that is not due.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "np_flow.h"
#include "np_hash.h"
#include "np_sip.h"

#define FLOW_NIL UINT32_MAX
#define FLOW_LIKELY(x) __builtin_expect(!!(x), 1)
#define FLOW_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

/* Ageing lists; FLOW_LST_FREE marks entries on the free list. */
enum flow_lst {
	FLOW_LST_UDP = 0, /* UDP flows: udp_idle_ns */
	FLOW_LST_TCP,	  /* open TCP flows: tcp_idle_ns */
	FLOW_LST_SYN,	  /* SYN_SENT: syn_timeout_ns from the first SYN, never reordered */
	FLOW_LST_GRACE,	  /* closed / refused / unanswered TCP: grace_ns */
	FLOW_LST_N,
	FLOW_LST_FREE = FLOW_LST_N,
};

/* flow_hot::flags */
#define FLOW_F_INIT_B (1u << 0)	  /* initiator is key side 1 (a[1]:port[1]) */
#define FLOW_F_SIP (1u << 1)	  /* SIP: UDP on a SIP port, or a SIP TCP stream */
#define FLOW_F_SIP_PORT (1u << 2) /* a port is a configured SIP port */

/* flow_hot::dflags[dir] */
#define FLOW_D_STARTED (1u << 0) /* first payload seen (fingerprinted) */
#define FLOW_D_SEQ (1u << 1)	 /* cold.next_seq valid */
#define FLOW_D_RESYNC (1u << 2)	 /* SIP stream out of step: looking for a start line */
#define FLOW_D_SOL (1u << 3)	 /* resync: the next byte starts a line */
#define FLOW_D_NOT_SIP (1u << 4) /* UDP: this direction carries no SIP (its first datagram) */

/*
 * Lookup key: the first FLOW_KEY_LEN bytes of flow_hot as five words (a[0],
 * a[1], then port[0], port[1], proto, segment and two zero bytes), built and
 * hashed in registers, plus its hash.
 */
struct flow_key {
	uint64_t w[5];
	uint32_t hash;
};

#define FLOW_KEY_LEN 38u

struct flow_hot {
	struct np_addr a[2]; /* key: endpoints, canonical order */
	uint16_t port[2];    /* key */
	uint8_t proto;	     /* key */
	uint8_t segment;     /* key */
	uint8_t state;	     /* enum np_flow_tcp_state */
	uint8_t flags;	     /* FLOW_F_* */
	uint64_t last_ns;    /* list position time: last packet, within quantum */
	uint32_t prev;	     /* list links (prev towards the head: newer) */
	uint32_t next;
	uint32_t hash;
	uint8_t lst; /* enum flow_lst */
	uint8_t syn_retx;
	uint8_t dflags[2]; /* FLOW_D_*, per direction */
} __attribute__((aligned(64)));

struct flow_cold {
	uint64_t syn_ns;      /* first SYN (TCP); creation time otherwise */
	uint32_t next_seq[2]; /* next expected sequence number per direction */
	uint32_t skip[2];     /* body bytes still to skip per direction */
	uint32_t buf[2];      /* reassembly buffer + 1 per direction; 0 none */
};

struct flow_slot {
	uint32_t hash;
	uint32_t idx; /* FLOW_NIL: empty */
};

_Static_assert(sizeof(struct flow_hot) == 64, "hot entry is one cache line");
_Static_assert(offsetof(struct flow_hot, state) == FLOW_KEY_LEN, "key is the first 38 bytes");
_Static_assert(sizeof(struct flow_cold) == 32, "cold entry is 32 bytes");
/* slots <= 4 * size (2 * size rounded up to a power of two) */
_Static_assert(sizeof(struct flow_hot) + sizeof(struct flow_cold) + 4 * sizeof(struct flow_slot) <=
		       NP_FLOW_BYTES_PER_FLOW,
	       "a flow costs at most NP_FLOW_BYTES_PER_FLOW bytes, index included");
_Static_assert(NP_FLOW_REASM_BUF_LEN >= NP_SIP_MAX_HDR_LEN, "buffer holds a header section");

struct flow_list {
	uint32_t head; /* newest */
	uint32_t tail; /* oldest: next to expire */
};

/*
 * The flow np_flow_fast() found for a frame it hands back (NP_FLOW_FAST_PARSED),
 * kept for the np_flow_process() of that frame so that the whole way does not
 * look it up again. An index is valid only while the table is as the lookup
 * found it: np_flow_fast() writes or clears this for every frame,
 * np_flow_process() takes it only for the frame it was made for and clears it
 * in any case, np_flow_expire() clears it. Nothing else changes the table
 * between a frame's np_flow_fast() and its np_flow_process() (one owner
 * thread; callbacks may not call back into the table), so the index is still
 * that flow's when it is used. Only a flow found is handed over (a new flow
 * needs the key, which np_flow_process() makes), and only for frames without
 * SYN, FIN or RST.
 */
struct flow_found {
	const uint8_t *frame; /* the frame it was made for; NULL: none */
	uint32_t idx;	      /* the flow */
	uint8_t segment;
	uint8_t cls;  /* NP_PKT_TCP or NP_PKT_UDP */
	uint8_t side; /* flow_key_make_words()'s answer: the source is key side 1 */
	uint8_t pad;
};

struct np_flow_table {
	struct flow_hot *hot;
	struct flow_cold *cold;
	struct flow_slot *slots;
	uint8_t *pool;	    /* reasm_buffers * NP_FLOW_REASM_BUF_LEN */
	uint32_t *buf_len;  /* bytes held per buffer */
	uint32_t *buf_free; /* stack of free buffer indexes */
	uint32_t n_buf_free;
	uint32_t mask; /* slots - 1 */
	uint32_t size;
	uint32_t free_head; /* free entries, linked through next */
	struct flow_list lists[FLOW_LST_N];
	uint64_t tmo[FLOW_LST_N];	/* idle timeout per list */
	uint64_t quantum[FLOW_LST_N];	/* reorder a flow at most this often; UINT64_MAX: never */
	uint64_t due_after[FLOW_LST_N]; /* the tail is due at last_ns + this */
	unsigned int expire_rr;		/* list np_flow_expire() starts with */
	size_t mem;
	struct np_flow_conf conf;
	struct np_flow_stats stats;
	struct flow_found found; /* np_flow_fast()'s lookup for np_flow_process() */
	uint64_t sip_port_map[65536 / 64];
};

/* ---- key and hash -------------------------------------------------------------------------- */

static inline uint64_t flow_ld64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t flow_ld32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint16_t flow_ld16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Word 4 of a key: ports, protocol, segment, in flow_hot's memory order. */
static inline uint64_t flow_key_tail(uint16_t port0, uint16_t port1, uint8_t proto, uint8_t segment)
{
	_Static_assert(offsetof(struct flow_hot, port) == 32 &&
			       offsetof(struct flow_hot, proto) == 36 &&
			       offsetof(struct flow_hot, segment) == 37,
		       "key tail: port[0], port[1], proto, segment, two bytes not in the key");
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* shifts, not a struct: the compiler builds a struct byte by byte */
	return (uint64_t)port0 | (uint64_t)port1 << 16 | (uint64_t)proto << 32 |
	       (uint64_t)segment << 40;
#else
	return (uint64_t)port0 << 48 | (uint64_t)port1 << 32 | (uint64_t)proto << 24 |
	       (uint64_t)segment << 16;
#endif
}

/* Does entry @p e hold key @p k? (Bytes 38-39 of word 4 are state and flags: masked.) */
static inline bool flow_key_eq(const struct flow_hot *e, const struct flow_key *k)
{
	const uint8_t *p = (const uint8_t *)e;
	const uint64_t mask = flow_key_tail(0xffff, 0xffff, 0xff, 0xff);

	return ((flow_ld64(p) ^ k->w[0]) | (flow_ld64(p + 8) ^ k->w[1]) |
		(flow_ld64(p + 16) ^ k->w[2]) | (flow_ld64(p + 24) ^ k->w[3]) |
		((flow_ld64(p + 32) ^ k->w[4]) & mask)) == 0;
}

/*
 * flow_hash5() of a key's words in registers: np_hash_words(0x9e3779b9, w, 5)
 * written out (test_flow checks the two agree).
 */
static inline uint32_t flow_hash_w(uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3, uint64_t w4)
{
	uint64_t h = 0x9e3779b9u;

	h = np_hash_step(h, w0);
	h = np_hash_step(h, w1);
	h = np_hash_step(h, w2);
	h = np_hash_step(h, w3);
	h = np_hash_step(h, w4);
	h = (h ^ (h >> 15)) * 0x2c1b3c6du;
	return (uint32_t)(h ^ (h >> 12));
}

static inline uint32_t flow_hash5(const uint64_t w[5])
{
	return np_hash_words(0x9e3779b9u, w, 5);
}

/*
 * Canonical key of a tuple: the two endpoints in a fixed order (any total
 * order does, as long as both directions agree), and its hash. Addresses as
 * the two 8-byte words of their struct np_addr, in memory order.
 * @return true when the tuple's source is key side 1.
 */
static inline bool flow_key_make_words(struct flow_key *k, uint8_t segment, uint8_t proto,
				       uint64_t s0, uint64_t s1, uint16_t sport, uint64_t d0,
				       uint64_t d1, uint16_t dport)
{
	bool swap = s1 != d1 ? s1 > d1 : s0 != d0 ? s0 > d0 : sport > dport;

	k->w[0] = swap ? d0 : s0;
	k->w[1] = swap ? d1 : s1;
	k->w[2] = swap ? s0 : d0;
	k->w[3] = swap ? s1 : d1;
	k->w[4] = swap ? flow_key_tail(dport, sport, proto, segment)
		       : flow_key_tail(sport, dport, proto, segment);
	k->hash = flow_hash5(k->w);
	return swap;
}

/* flow_key_make_words() of two struct np_addr (the words are their two halves). */
static inline bool flow_key_make(struct flow_key *k, uint8_t segment, uint8_t proto,
				 const struct np_addr *src, uint16_t sport,
				 const struct np_addr *dst, uint16_t dport)
{
	return flow_key_make_words(k, segment, proto, flow_ld64(src->b), flow_ld64(src->b + 8),
				   sport, flow_ld64(dst->b), flow_ld64(dst->b + 8), dport);
}

/* Index of the flow with key @p k, or FLOW_NIL. */
static inline uint32_t flow_lookup(const struct np_flow_table *t, const struct flow_key *k)
{
	uint32_t hash = k->hash, i = hash & t->mask;

	for (;;) {
		const struct flow_slot *s = &t->slots[i];

		if (s->idx == FLOW_NIL)
			return FLOW_NIL;
		if (s->hash == hash && flow_key_eq(&t->hot[s->idx], k))
			return s->idx;
		i = (i + 1) & t->mask;
	}
}

/* ---- flow_table.c --------------------------------------------------------------------------- */

void flow_list_unlink(struct np_flow_table *t, uint32_t idx);
void flow_list_push(struct np_flow_table *t, uint32_t idx, unsigned int lst, uint64_t now_ns);
/* Create a flow (evicting one when full); emits NEW. */
uint32_t flow_create(struct np_flow_table *t, const struct flow_key *k, bool init_b,
		     unsigned int lst, uint64_t now_ns, const struct np_flow_sink *sink);
/* Remove a flow: EXPIRED event, buffers released, index and list updated. */
void flow_remove(struct np_flow_table *t, uint32_t idx, unsigned int reason, uint64_t now_ns,
		 const struct np_flow_sink *sink);
/* Event header (type, tuple from the initiator, time) for flow @p e. */
void flow_event_init(const struct flow_hot *e, struct np_flow_event *ev, unsigned int type,
		     uint64_t now_ns);

static inline void flow_emit(const struct np_flow_sink *sink, const struct np_flow_event *ev)
{
	if (sink && sink->event)
		sink->event(sink->ctx, ev);
}

/* Move a flow to the head of another list (state change). */
static inline void flow_move(struct np_flow_table *t, uint32_t idx, unsigned int lst,
			     uint64_t now_ns)
{
	flow_list_unlink(t, idx);
	flow_list_push(t, idx, lst, now_ns);
}

static inline bool flow_is_sip_port(const struct np_flow_table *t, uint16_t port)
{
	return (t->sip_port_map[port >> 6] >> (port & 63)) & 1;
}

/* ---- flow_reasm.c --------------------------------------------------------------------------- */

/* What the reassembler needs to deliver a message. */
struct flow_pkt {
	const struct np_pkt_info *pi;
	const struct np_flow_sink *sink;
	uint64_t now_ns;
	uint8_t segment;
	uint8_t dir;
	uint8_t proto;
};

/* Feed TCP payload [p, p+n) with sequence number seq, direction pk->dir, of a SIP flow. */
void flow_reasm_data(struct np_flow_table *t, uint32_t idx, uint32_t seq, const uint8_t *p,
		     uint32_t n, const struct flow_pkt *pk);
/* Drop direction @p d's partial message (buffer back to the pool, skip cleared). */
void flow_reasm_drop(struct np_flow_table *t, struct flow_cold *c, unsigned int d);
/*
 * Could [p, p+n) start a SIP stream: only CR/LF so far, a start line that is
 * SIP (np_sip_looks_like_sip()), or an incomplete first line that begins with
 * an upper-case letter and may still become one.
 */
bool flow_maybe_sip(const uint8_t *p, uint32_t n);
void flow_deliver(const struct flow_pkt *pk, const uint8_t *p, uint32_t n, uint8_t flags);

#endif /* NP_FLOW_INTERNAL_H */
