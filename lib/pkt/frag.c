/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fragment reassembly. One block holds the table: hash buckets, slot
 * metadata, per-slot interval lists and per-slot buffers. A slot's buffer is
 * NP_FRAG_HDR_ROOM bytes of headroom followed by max_datagram_len bytes of
 * data, so the first fragment's headers are stored right before the data and
 * the rebuilt frame is contiguous without a final copy.
 *
 * Slots are linked three ways by index: a hash chain (or the free list), and
 * an age list in creation order. The timeout is the same for every datagram
 * and runs from creation, so the age list is also the expiry order and
 * expiry looks only at its head.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/random.h>

#include "np_frag.h"
#include "pkt_internal.h"

#define NIL UINT32_MAX
#define LINE 64
#define IP_MAX_LEN 65535

#define NP_FRAG_STAT_NAME(e, n, h) [NP_FRAG_STAT_##e] = n,
#define NP_FRAG_STAT_HELP(e, n, h) [NP_FRAG_STAT_##e] = h,
const char *const np_frag_stat_names[NP_FRAG_STAT_MAX] = { NP_FRAG_STATS(NP_FRAG_STAT_NAME) };
const char *const np_frag_stat_help[NP_FRAG_STAT_MAX] = { NP_FRAG_STATS(NP_FRAG_STAT_HELP) };
#undef NP_FRAG_STAT_NAME
#undef NP_FRAG_STAT_HELP

enum slot_state {
	SLOT_FREE,
	SLOT_LIVE,
	SLOT_DEAD
};

/* Compared with memcmp and hashed as words: no implicit padding, pad zeroed. */
struct frag_key {
	struct np_addr src;
	struct np_addr dst;
	uint32_t id;
	uint8_t segment;
	uint8_t proto;
	uint8_t ipv;
	uint8_t pad;
};

/* Data bytes [start, end) held; a slot's list is sorted, disjoint, not touching. */
struct frag_iv {
	uint16_t start;
	uint16_t end;
};

struct frag_slot {
	struct frag_key key;
	uint64_t first_ns;
	uint32_t hash;
	uint32_t hnext; /* hash chain; free list when SLOT_FREE */
	uint32_t aprev; /* age list, oldest first */
	uint32_t anext;
	uint32_t total;	  /* data end from the last fragment; 0 until seen */
	uint32_t max_end; /* furthest data end seen */
	uint32_t n_frags;
	uint16_t n_iv;
	uint16_t hdr_len; /* first fragment's headers (L2 + L3) stored; 0 until seen */
	uint16_t l3_off;  /* IP header within those headers */
	uint16_t nh_off;  /* IPv6: byte naming the fragment header, to patch */
	uint8_t state;	  /* enum slot_state */
	uint8_t next_hdr; /* IPv6: the fragment header's next header */
};

_Static_assert(sizeof(struct frag_slot) == NP_FRAG_SLOT_META_BYTES, "update np_frag.h");
_Static_assert(sizeof(struct frag_iv) == 4, "update np_frag.h");

struct np_frag_table {
	struct np_frag_conf conf;
	struct np_frag_stats stats;
	uint32_t seed;
	uint32_t bucket_mask;
	uint32_t n_used;
	uint32_t free_head;
	uint32_t age_head;
	uint32_t age_tail;
	size_t buf_stride;
	uint32_t *buckets;
	struct frag_slot *slots;
	struct frag_iv *ivs;
	uint8_t *bufs;
};

/* One fragment, as np_frag_add() reads it from the frame. */
struct frag_in {
	const uint8_t *data;
	uint32_t off; /* data offset within the datagram */
	uint32_t dlen;
	uint32_t hdr_len; /* frame bytes before the fragmentable part */
	uint32_t l3_off;
	uint32_t nh_off; /* IPv6: byte holding 44 before the fragment header */
	uint32_t id;
	uint8_t proto;
	bool more;
};

struct layout {
	uint32_t n_buckets;
	size_t buckets;
	size_t slots;
	size_t ivs;
	size_t bufs;
	size_t stride;
	size_t total;
};

static inline size_t align_line(size_t n)
{
	return (n + LINE - 1) & ~(size_t)(LINE - 1);
}

static int conf_layout(const struct np_frag_conf *c, struct layout *l)
{
	size_t off;

	if (c == NULL || c->max_datagrams < 1 || c->max_datagrams > NP_FRAG_MAX_DATAGRAMS ||
	    c->max_datagram_len < 1 || c->max_datagram_len > NP_FRAG_MAX_DATAGRAM_LEN ||
	    c->max_frags_per_datagram < 1 || c->max_frags_per_datagram > NP_FRAG_MAX_FRAGS ||
	    c->timeout_ns == 0 || (c->alloc == NULL) != (c->free == NULL))
		return -EINVAL;
	l->n_buckets = 1;
	while (l->n_buckets < c->max_datagrams)
		l->n_buckets <<= 1;
	l->stride = align_line((size_t)NP_FRAG_HDR_ROOM + c->max_datagram_len);
	off = align_line(sizeof(struct np_frag_table));
	l->buckets = off;
	off = align_line(off + (size_t)l->n_buckets * sizeof(uint32_t));
	l->slots = off;
	off = align_line(off + (size_t)c->max_datagrams * sizeof(struct frag_slot));
	l->ivs = off;
	off = align_line(off + (size_t)c->max_datagrams * c->max_frags_per_datagram *
				       sizeof(struct frag_iv));
	l->bufs = off;
	l->total = off + (size_t)c->max_datagrams * l->stride;
	return 0;
}

size_t np_frag_table_memsize(const struct np_frag_conf *conf)
{
	struct layout l;

	return conf_layout(conf, &l) == 0 ? l.total : 0;
}

static uint32_t make_seed(const void *salt)
{
	struct timespec ts;
	uint32_t s;

	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) == (ssize_t)sizeof(s))
		return s;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)((uintptr_t)salt ^ (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 20);
}

struct np_frag_table *np_frag_table_create(const struct np_frag_conf *conf)
{
	struct np_frag_table *t;
	struct layout l;
	uint8_t *mem;

	if (conf_layout(conf, &l) != 0) {
		errno = EINVAL;
		return NULL;
	}
	mem = conf->alloc ? conf->alloc(conf->alloc_ctx, l.total) : calloc(1, l.total);
	if (mem == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	t = (struct np_frag_table *)mem;
	memset(t, 0, sizeof(*t));
	t->conf = *conf;
	t->seed = make_seed(t);
	t->bucket_mask = l.n_buckets - 1;
	t->buf_stride = l.stride;
	t->buckets = (uint32_t *)(mem + l.buckets);
	t->slots = (struct frag_slot *)(mem + l.slots);
	t->ivs = (struct frag_iv *)(mem + l.ivs);
	t->bufs = mem + l.bufs;
	for (uint32_t i = 0; i < l.n_buckets; i++)
		t->buckets[i] = NIL;
	memset(t->slots, 0, (size_t)conf->max_datagrams * sizeof(struct frag_slot));
	for (uint32_t i = 0; i < conf->max_datagrams; i++)
		t->slots[i].hnext = i + 1 < conf->max_datagrams ? i + 1 : NIL;
	t->free_head = 0;
	t->age_head = NIL;
	t->age_tail = NIL;
	return t;
}

void np_frag_table_destroy(struct np_frag_table *t)
{
	if (t == NULL)
		return;
	if (t->conf.free)
		t->conf.free(t->conf.alloc_ctx, t);
	else
		free(t);
}

uint32_t np_frag_table_count(const struct np_frag_table *t)
{
	return t->n_used;
}

const struct np_frag_stats *np_frag_table_stats(const struct np_frag_table *t)
{
	return &t->stats;
}

static inline uint32_t key_hash(const struct np_frag_table *t, const struct frag_key *k)
{
	uint32_t w[sizeof(*k) / sizeof(uint32_t)];
	uint64_t h = t->seed;

	memcpy(w, k, sizeof(w));
	for (unsigned int i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		h = (h ^ w[i]) * UINT64_C(0x9e3779b97f4a7c15);
		h ^= h >> 29;
	}
	return (uint32_t)(h >> 32);
}

static inline struct frag_iv *slot_ivs(const struct np_frag_table *t, uint32_t idx)
{
	return t->ivs + (size_t)idx * t->conf.max_frags_per_datagram;
}

/* Start of the slot's data area; its headers sit just before. */
static inline uint8_t *slot_data(const struct np_frag_table *t, uint32_t idx)
{
	return t->bufs + (size_t)idx * t->buf_stride + NP_FRAG_HDR_ROOM;
}

static inline bool slot_expired(const struct np_frag_table *t, const struct frag_slot *s,
				uint64_t now_ns)
{
	return now_ns >= s->first_ns && now_ns - s->first_ns >= t->conf.timeout_ns;
}

static uint32_t slot_find(const struct np_frag_table *t, const struct frag_key *k, uint32_t h)
{
	uint32_t i = t->buckets[h & t->bucket_mask];

	while (i != NIL) {
		const struct frag_slot *s = &t->slots[i];

		if (s->hash == h && memcmp(&s->key, k, sizeof(*k)) == 0)
			return i;
		i = s->hnext;
	}
	return NIL;
}

/* Unlink a slot from its chain and the age list and put it on the free list. */
static void slot_release(struct np_frag_table *t, uint32_t idx)
{
	struct frag_slot *s = &t->slots[idx];
	uint32_t *pp = &t->buckets[s->hash & t->bucket_mask];

	while (*pp != idx)
		pp = &t->slots[*pp].hnext;
	*pp = s->hnext;
	if (s->aprev != NIL)
		t->slots[s->aprev].anext = s->anext;
	else
		t->age_head = s->anext;
	if (s->anext != NIL)
		t->slots[s->anext].aprev = s->aprev;
	else
		t->age_tail = s->aprev;
	s->state = SLOT_FREE;
	s->hnext = t->free_head;
	t->free_head = idx;
	t->n_used--;
}

/* Reclaim an expired slot; only a live (incomplete) datagram is a timeout. */
static void slot_expire(struct np_frag_table *t, uint32_t idx)
{
	if (t->slots[idx].state == SLOT_LIVE)
		t->stats.v[NP_FRAG_STAT_TIMEOUTS]++;
	slot_release(t, idx);
}

static uint32_t slot_new(struct np_frag_table *t, const struct frag_key *k, uint32_t h,
			 uint64_t now_ns)
{
	struct frag_slot *s;
	uint32_t idx;

	if (t->free_head == NIL) {
		if (t->age_head == NIL || !slot_expired(t, &t->slots[t->age_head], now_ns))
			return NIL;
		slot_expire(t, t->age_head);
	}
	idx = t->free_head;
	s = &t->slots[idx];
	t->free_head = s->hnext;
	memset(s, 0, sizeof(*s));
	s->key = *k;
	s->hash = h;
	s->first_ns = now_ns;
	s->state = SLOT_LIVE;
	s->hnext = t->buckets[h & t->bucket_mask];
	t->buckets[h & t->bucket_mask] = idx;
	s->anext = NIL;
	s->aprev = t->age_tail;
	if (t->age_tail != NIL)
		t->slots[t->age_tail].anext = idx;
	else
		t->age_head = idx;
	t->age_tail = idx;
	t->n_used++;
	return idx;
}

static inline int drop(struct np_frag_table *t, enum np_frag_stat why, int err)
{
	t->stats.v[why]++;
	return err;
}

/* Drop a datagram: its slot stays, dead, until the timeout. */
static int slot_kill(struct np_frag_table *t, struct frag_slot *s, enum np_frag_stat why, int err)
{
	s->state = SLOT_DEAD;
	s->n_iv = 0;
	return drop(t, why, err);
}

/*
 * IPv6: walk the header chain the parser walked (up to payload_off) to find
 * the fragment header and the byte that names it. A second fragment header
 * is refused: which one a receiver would honour is not defined.
 */
static int v6_fragment(const uint8_t *f, const struct np_pkt_info *pi, uint32_t end,
		       struct frag_in *in)
{
	uint32_t stop = pi->payload_off;
	uint32_t o = (uint32_t)pi->l3_off + NP_IPV6_HLEN;
	uint32_t cur = (uint32_t)pi->l3_off + 6; /* byte naming the header at o */
	uint32_t fh = 0;
	unsigned int n = 0;
	uint16_t fo;

	in->nh_off = 0;
	if (o > stop)
		return -1;
	while (o < stop) {
		uint8_t nh = f[cur];
		uint32_t hlen;

		if (++n > NP_PKT_MAX_IPV6_EXT || stop - o < 8)
			return -1;
		if (nh == NP_IPPROTO_FRAGMENT) {
			if (fh != 0)
				return -1;
			fh = o;
			in->nh_off = cur;
			hlen = 8;
		} else if (nh == NP_IPPROTO_HOPOPTS || nh == NP_IPPROTO_ROUTING ||
			   nh == NP_IPPROTO_DSTOPTS) {
			hlen = ((uint32_t)f[o + 1] + 1) * 8;
		} else if (nh == NP_IPPROTO_AH) {
			hlen = ((uint32_t)f[o + 1] + 2) * 4;
		} else {
			return -1;
		}
		if (stop - o < hlen)
			return -1;
		cur = o;
		o += hlen;
	}
	if (fh == 0 || o != stop)
		return -1;
	fo = np_rd16(f + fh + 2);
	in->id = np_rd32(f + fh + 4);
	in->off = fo & 0xfff8;
	in->more = fo & 1;
	if (in->id != pi->frag.id || in->off != pi->frag.offset || in->more != pi->frag.more)
		return -1;
	in->proto = f[fh];
	in->hdr_len = fh;
	in->data = f + fh + 8;
	in->dlen = end - (fh + 8);
	return 0;
}

/* What np_frag_add() needs from a fragment frame; -1 when it is unusable. */
static int frag_read(const uint8_t *f, uint32_t len, const struct np_pkt_info *pi,
		     struct frag_in *in)
{
	uint32_t end = (uint32_t)pi->payload_off + pi->payload_len;

	if (pi->cls != NP_PKT_FRAGMENT || end > len || pi->l3_off < NP_ETH_HLEN ||
	    pi->payload_off <= pi->l3_off)
		return -1;
	in->l3_off = pi->l3_off;
	if (pi->ip_version == 4) {
		if (pi->payload_off - pi->l3_off < NP_IPV4_HLEN || f[pi->l3_off] >> 4 != 4)
			return -1;
		in->data = f + pi->payload_off;
		in->dlen = pi->payload_len;
		in->off = pi->frag.offset;
		in->more = pi->frag.more;
		in->id = pi->frag.id;
		in->proto = pi->l4_proto;
		in->hdr_len = pi->payload_off;
		in->nh_off = 0;
	} else if (pi->ip_version == 6) {
		if (f[pi->l3_off] >> 4 != 6 || v6_fragment(f, pi, end, in) != 0)
			return -1;
	} else {
		return -1;
	}
	if (in->dlen == 0 || (in->more && (in->dlen & 7) != 0))
		return -1;
	return 0;
}

/*
 * Compare the new bytes with those held where they overlap.
 * Returns -1 on a conflict, else the number of new bytes already held.
 */
static int64_t overlap_check(const struct frag_iv *iv, uint16_t n_iv, const uint8_t *buf,
			     const struct frag_in *in, uint32_t end)
{
	int64_t covered = 0;

	for (uint16_t i = 0; i < n_iv && iv[i].start < end; i++) {
		uint32_t a, b;

		if (iv[i].end <= in->off)
			continue;
		a = iv[i].start > in->off ? iv[i].start : in->off;
		b = iv[i].end < end ? iv[i].end : end;
		if (memcmp(buf + a, in->data + (a - in->off), b - a) != 0)
			return -1;
		covered += b - a;
	}
	return covered;
}

/* Add [start, end) to the sorted interval list, merging what it overlaps or touches. */
static void iv_insert(struct frag_iv *iv, uint16_t *n_iv, uint32_t start, uint32_t end)
{
	uint16_t n = *n_iv, i = 0, j;

	while (i < n && iv[i].end < start)
		i++;
	j = i;
	while (j < n && iv[j].start <= end)
		j++;
	if (i < j) {
		if (iv[i].start < start)
			start = iv[i].start;
		if (iv[j - 1].end > end)
			end = iv[j - 1].end;
	}
	/* i..j-1 become one entry at i */
	memmove(&iv[i + 1], &iv[j], (size_t)(n - j) * sizeof(*iv));
	iv[i].start = (uint16_t)start;
	iv[i].end = (uint16_t)end;
	*n_iv = (uint16_t)(n - (j - i) + 1);
}

static uint16_t ipv4_hdr_csum(const uint8_t *p, uint32_t hl)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i < hl; i += 2)
		sum += np_rd16(p + i);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Fix the stored headers for the whole datagram and describe the frame. */
static void rebuild(struct np_frag_table *t, uint32_t idx, struct np_frag_result *out)
{
	struct frag_slot *s = &t->slots[idx];
	uint8_t *frame = slot_data(t, idx) - s->hdr_len;
	uint8_t *ip = frame + s->l3_off;
	uint32_t l3_len = (uint32_t)s->hdr_len - s->l3_off;

	if (s->key.ipv == 4) {
		wr16(ip + 2, (uint16_t)(l3_len + s->total));
		wr16(ip + 6, np_rd16(ip + 6) & 0x4000); /* keep DF; clear MF, offset */
		wr16(ip + 10, 0);
		wr16(ip + 10, ipv4_hdr_csum(ip, l3_len));
	} else {
		wr16(ip + 4, (uint16_t)(l3_len - NP_IPV6_HLEN + s->total));
		frame[s->nh_off] = s->next_hdr;
	}
	out->frame = frame;
	out->len = s->hdr_len + s->total;
	out->n_frags = s->n_frags;
	out->first_ns = s->first_ns;
}

static int slot_add(struct np_frag_table *t, uint32_t idx, const uint8_t *frame,
		    const struct frag_in *in, struct np_frag_result *out)
{
	struct frag_slot *s = &t->slots[idx];
	struct frag_iv *iv = slot_ivs(t, idx);
	uint8_t *data = slot_data(t, idx);
	uint32_t end = in->off + in->dlen;
	uint32_t max_end = end > s->max_end ? end : s->max_end;
	bool first = s->hdr_len == 0 && in->off == 0;
	uint32_t hdr_len = first ? in->hdr_len : s->hdr_len;
	uint32_t l3_off = first ? in->l3_off : s->l3_off;
	int64_t covered;

	if (++s->n_frags > t->conf.max_frags_per_datagram)
		return slot_kill(t, s, NP_FRAG_STAT_DROPPED_TOO_MANY, -E2BIG);
	if (end > t->conf.max_datagram_len || hdr_len > NP_FRAG_HDR_ROOM)
		return slot_kill(t, s, NP_FRAG_STAT_DROPPED_TOO_LONG, -EMSGSIZE);
	/* the rebuilt IP length field: IPv4 total length, IPv6 payload length */
	if (hdr_len != 0 &&
	    hdr_len - l3_off - (s->key.ipv == 6 ? NP_IPV6_HLEN : 0) + max_end > IP_MAX_LEN)
		return slot_kill(t, s, NP_FRAG_STAT_DROPPED_TOO_LONG, -EMSGSIZE);
	if (in->more ? s->total != 0 && end > s->total
		     : (s->total != 0 && end != s->total) || end < s->max_end)
		return slot_kill(t, s, NP_FRAG_STAT_DROPPED_INCONSISTENT, -EPROTO);
	covered = overlap_check(iv, s->n_iv, data, in, end);
	if (covered < 0)
		return slot_kill(t, s, NP_FRAG_STAT_DROPPED_OVERLAP, -EBADMSG);

	memcpy(data + in->off, in->data, in->dlen);
	iv_insert(iv, &s->n_iv, in->off, end);
	s->max_end = max_end;
	if (!in->more)
		s->total = end;
	if (first) {
		memcpy(data - hdr_len, frame, hdr_len);
		s->hdr_len = (uint16_t)hdr_len;
		s->l3_off = (uint16_t)l3_off;
		s->nh_off = (uint16_t)in->nh_off;
		s->next_hdr = in->proto;
	}
	if (covered == in->dlen)
		t->stats.v[NP_FRAG_STAT_DUPLICATE]++;
	if (s->total != 0 && s->hdr_len != 0 && s->n_iv == 1 && iv[0].start == 0 &&
	    iv[0].end == s->total) {
		rebuild(t, idx, out);
		slot_release(t, idx);
		t->stats.v[NP_FRAG_STAT_REASSEMBLED]++;
		return 1;
	}
	t->stats.v[NP_FRAG_STAT_HELD]++;
	return 0;
}

int np_frag_add(struct np_frag_table *t, uint8_t segment, const uint8_t *frame, uint32_t len,
		const struct np_pkt_info *pi, uint64_t now_ns, struct np_frag_result *out)
{
	struct frag_key k;
	struct frag_in in;
	uint32_t h, idx;

	if (t == NULL)
		return -EINVAL;
	t->stats.v[NP_FRAG_STAT_FRAGMENTS]++;
	if (frame == NULL || pi == NULL || out == NULL || frag_read(frame, len, pi, &in) != 0)
		return drop(t, NP_FRAG_STAT_DROPPED_MALFORMED, -EINVAL);

	memset(&k, 0, sizeof(k));
	k.src = pi->src;
	k.dst = pi->dst;
	k.id = in.id;
	k.segment = segment;
	k.proto = in.proto;
	k.ipv = pi->ip_version;
	h = key_hash(t, &k);
	idx = slot_find(t, &k, h);
	if (idx != NIL && slot_expired(t, &t->slots[idx], now_ns)) {
		slot_expire(t, idx);
		idx = NIL;
	}
	if (idx == NIL) {
		idx = slot_new(t, &k, h, now_ns);
		if (idx == NIL)
			return drop(t, NP_FRAG_STAT_DROPPED_TABLE_FULL, -ENOSPC);
	}
	if (t->slots[idx].state == SLOT_DEAD)
		return drop(t, NP_FRAG_STAT_DROPPED_DEAD, -ECANCELED);
	return slot_add(t, idx, frame, &in, out);
}

unsigned int np_frag_expire(struct np_frag_table *t, uint64_t now_ns, unsigned int max_work)
{
	unsigned int n = 0;

	while (n < max_work && t->age_head != NIL &&
	       slot_expired(t, &t->slots[t->age_head], now_ns)) {
		slot_expire(t, t->age_head);
		n++;
	}
	return n;
}
