/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Binding learner. One block holds three tables, linked by index:
 *
 * - pending flows: a flow on one segment with the fingerprints of its two
 *   directions, found by flow key (hash chain) and, per direction, by
 *   fingerprint key (proto, dir, hash, len; hash chain). Slots are taken in
 *   a circle, so when every one is still in use the oldest-created goes.
 *   A flow stays pending for the window after its latest fingerprint, also
 *   once joined: a second flow with the same fingerprint arriving in that
 *   time shows that the join was a guess, and it is withdrawn.
 * - bindings, with a free list;
 * - a binding index by flow key (two nodes per binding, one per side), to
 *   refresh bindings from traffic and to find a flow's bindings.
 */

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "nat_internal.h"
#include "np_mem.h"
#include "np_nat.h"

/* The config's limits are this library's (lib/conf cannot include np_nat.h). */
_Static_assert(NP_MAX_BINDINGS_LIMIT == NP_NAT_MAX_TABLE, "nat.max_bindings limit");
_Static_assert(NP_DEF_MAX_BINDINGS == NP_NAT_DEFAULT_MAX_BINDINGS, "nat.max_bindings default");

/* The table of lib/nat's counters (np_ctr.h): natprobe_nat_<name>[_total]. */
static const struct np_ctr_desc nat_rows[NP_NAT_STAT_MAX] = {
#define NP_NAT_CTR_ROW(e, n, g, h)                                                               \
	[NP_NAT_STAT_##e] = NP_CTR_ROW((g) ? "nat_" n : "nat_" n "_total", h,                    \
				       (g) ? NP_CTR_GAUGE : NP_CTR_COUNTER, struct np_nat_stats, \
				       v[NP_NAT_STAT_##e]),
	NP_NAT_STATS(NP_NAT_CTR_ROW)
#undef NP_NAT_CTR_ROW
};

const struct np_ctr_table np_nat_counters = { nat_rows, NP_NAT_STAT_MAX };

#define ALIGN8(v) (((v) + 7) & ~(size_t)7)

/* A flow on a segment. Compared with memcmp and hashed as words: pad zeroed. */
struct flow_key {
	struct np_addr src;
	struct np_addr dst;
	uint16_t sport;
	uint16_t dport;
	uint8_t segment;
	uint8_t proto;
	uint8_t pad[2];
};
_Static_assert(sizeof(struct flow_key) == 40, "flow_key is hashed as 5 words");

struct fpv {
	uint64_t hash;
	uint64_t ts;
	uint32_t len;
	uint32_t seq;
};

struct pend {
	struct flow_key k;
	struct fpv fp[2];
	uint64_t last_ts;		    /* latest fingerprint */
	uint32_t fb, fnext, fprev;	    /* flow chain */
	uint32_t kb[2], knext[2], kprev[2]; /* fingerprint chains, per direction */
	uint8_t have;			    /* bit per direction */
	bool ambiguous;
	bool live;
};

struct bslot {
	struct np_nat_binding b;
	uint32_t nb[2], nnext[2], nprev[2]; /* index node per side */
	uint32_t free_next;
	uint8_t published; /* bits: which of the binding's entries hold a reference */
	bool used;
};

struct np_nat_learner {
	struct np_nat_learner_conf conf;
	struct np_nat_stats st;
	struct np_nat_xlat *x;
	uint64_t seed;
	uint64_t now; /* latest fingerprint time */
	uint32_t next_id;

	struct pend *pend;
	uint32_t npend;
	uint32_t cursor;
	uint32_t *fheads;
	uint32_t fmask;
	uint32_t *kheads; /* 2 * (kmask + 1): direction 0, then direction 1 */
	uint32_t kmask;

	struct bslot *bind;
	uint32_t nbind;
	uint32_t free_head;
	size_t mem_size;   /* the block's size where np_mem_table_alloc() gave it, else 0 */
	uint32_t bind_end; /* slots [0, bind_end) were ever taken (the free list starts at 0) */
	uint32_t *bheads;
	uint32_t bmask;
};

static bool ts_close(uint64_t a, uint64_t b, uint64_t w)
{
	return (a > b ? a - b : b - a) <= w;
}

static void key_make(struct flow_key *k, uint8_t seg, uint8_t proto, const struct np_nat_tuple *t)
{
	memset(k, 0, sizeof(*k));
	k->src = t->src;
	k->dst = t->dst;
	k->sport = t->sport;
	k->dport = t->dport;
	k->segment = seg;
	k->proto = proto;
}

static void tuple_of(const struct flow_key *k, struct np_nat_tuple *t)
{
	t->src = k->src;
	t->dst = k->dst;
	t->sport = k->sport;
	t->dport = k->dport;
}

/* The first 36 bytes of a flow key are a tuple's, field for field. */
_Static_assert(offsetof(struct flow_key, src) == offsetof(struct np_nat_tuple, src) &&
		       offsetof(struct flow_key, dst) == offsetof(struct np_nat_tuple, dst) &&
		       offsetof(struct flow_key, sport) == offsetof(struct np_nat_tuple, sport) &&
		       offsetof(struct flow_key, dport) == offsetof(struct np_nat_tuple, dport) &&
		       sizeof(struct np_nat_tuple) == 36,
	       "a flow key starts with a tuple");

/* Do 36 bytes at @p a and @p b agree (a tuple, or a key's tuple part)? Word loads, no call. */
static inline bool tuple_bytes_eq(const void *a, const void *b)
{
	uint64_t x[4], y[4];
	uint32_t x4, y4;

	memcpy(x, a, 32);
	memcpy(y, b, 32);
	memcpy(&x4, (const uint8_t *)a + 32, 4);
	memcpy(&y4, (const uint8_t *)b + 32, 4);
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x4 ^ y4)) == 0;
}

static uint32_t flow_hash(const struct np_nat_learner *l, const struct flow_key *k)
{
	return (uint32_t)nat_hash_words(k, sizeof(*k), l->seed);
}

static uint32_t fp_bucket(const struct np_nat_learner *l, uint8_t proto, uint8_t dir, uint64_t hash,
			  uint32_t len)
{
	uint64_t h = np_hash_mix64(hash ^ l->seed);

	h = np_hash_mix64(h ^ ((uint64_t)len << 16 | proto));
	/* Each direction has its own heads: the links of a chain are per direction. */
	return ((uint32_t)h & l->kmask) + (dir ? l->kmask + 1 : 0);
}

/* ---- pending flows ---- */

/* The pending flow of key @p k, whose flow_hash() is @p h; NAT_NIL when none. */
static uint32_t pend_find_h(const struct np_nat_learner *l, const struct flow_key *k, uint32_t h)
{
	uint32_t i = l->fheads[h & l->fmask];

	for (; i != NAT_NIL; i = l->pend[i].fnext)
		if (memcmp(&l->pend[i].k, k, sizeof(*k)) == 0)
			return i;
	return NAT_NIL;
}

static uint32_t pend_find(const struct np_nat_learner *l, const struct flow_key *k)
{
	return pend_find_h(l, k, flow_hash(l, k));
}

static void pend_unlink_fp(struct np_nat_learner *l, uint32_t i, unsigned int d)
{
	struct pend *p = &l->pend[i];

	if (!(p->have & (1u << d)))
		return;
	if (p->kprev[d] != NAT_NIL)
		l->pend[p->kprev[d]].knext[d] = p->knext[d];
	else
		l->kheads[p->kb[d]] = p->knext[d];
	if (p->knext[d] != NAT_NIL)
		l->pend[p->knext[d]].kprev[d] = p->kprev[d];
	p->have &= ~(1u << d);
}

static void pend_link_fp(struct np_nat_learner *l, uint32_t i, unsigned int d)
{
	struct pend *p = &l->pend[i];
	uint32_t b = fp_bucket(l, p->k.proto, d, p->fp[d].hash, p->fp[d].len);

	p->kb[d] = b;
	p->kprev[d] = NAT_NIL;
	p->knext[d] = l->kheads[b];
	if (p->knext[d] != NAT_NIL)
		l->pend[p->knext[d]].kprev[d] = i;
	l->kheads[b] = i;
	p->have |= 1u << d;
}

/* Forget a pending flow's fingerprints; it stays findable by flow key. */
static void pend_reset(struct np_nat_learner *l, uint32_t i)
{
	pend_unlink_fp(l, i, 0);
	pend_unlink_fp(l, i, 1);
	l->pend[i].ambiguous = false;
	l->pend[i].last_ts = 0;
}

static void pend_release(struct np_nat_learner *l, uint32_t i)
{
	struct pend *p = &l->pend[i];

	pend_reset(l, i);
	if (p->fprev != NAT_NIL)
		l->pend[p->fprev].fnext = p->fnext;
	else
		l->fheads[p->fb] = p->fnext;
	if (p->fnext != NAT_NIL)
		l->pend[p->fnext].fprev = p->fprev;
	p->live = false;
}

/* A pending flow for key @p k, whose flow_hash() is @p h. */
static uint32_t pend_alloc(struct np_nat_learner *l, const struct flow_key *k, uint32_t h)
{
	uint32_t i = l->cursor;
	struct pend *p = &l->pend[i];

	l->cursor = i + 1 == l->npend ? 0 : i + 1;
	if (p->live) {
		if (p->last_ts + l->conf.window_ns >= l->now)
			l->st.v[NP_NAT_STAT_PENDING_DROPPED]++;
		pend_release(l, i);
	}
	memset(p, 0, sizeof(*p));
	p->k = *k;
	p->live = true;
	p->fb = h & l->fmask;
	p->fprev = NAT_NIL;
	p->fnext = l->fheads[p->fb];
	if (p->fnext != NAT_NIL)
		l->pend[p->fnext].fprev = i;
	l->fheads[p->fb] = i;
	return i;
}

/* ---- bindings and their index ---- */

static void side_key(const struct np_nat_binding *b, unsigned int side, struct flow_key *k)
{
	key_make(k, side ? b->seg_b : b->seg_a, b->proto, side ? &b->b : &b->a);
}

static void index_link(struct np_nat_learner *l, uint32_t s, unsigned int side)
{
	struct bslot *bs = &l->bind[s];
	uint32_t node = s * 2 + side, h;
	struct flow_key k;

	side_key(&bs->b, side, &k);
	h = flow_hash(l, &k) & l->bmask;
	bs->nb[side] = h;
	bs->nprev[side] = NAT_NIL;
	bs->nnext[side] = l->bheads[h];
	if (bs->nnext[side] != NAT_NIL)
		l->bind[bs->nnext[side] / 2].nprev[bs->nnext[side] % 2] = node;
	l->bheads[h] = node;
}

static void index_unlink(struct np_nat_learner *l, uint32_t s, unsigned int side)
{
	struct bslot *bs = &l->bind[s];
	uint32_t p = bs->nprev[side], n = bs->nnext[side];

	if (p != NAT_NIL)
		l->bind[p / 2].nnext[p % 2] = n;
	else
		l->bheads[bs->nb[side]] = n;
	if (n != NAT_NIL)
		l->bind[n / 2].nprev[n % 2] = p;
}

/*
 * Next index node after @p node (NAT_NIL: the chain start) whose side key
 * is @p k; returns the node (slot * 2 + side) or NAT_NIL.
 */
static uint32_t index_scan(const struct np_nat_learner *l, const struct flow_key *k, uint32_t node)
{
	for (; node != NAT_NIL; node = l->bind[node / 2].nnext[node % 2]) {
		const struct np_nat_binding *b = &l->bind[node / 2].b;

		/* side_key() of the node equal to k, compared field by field */
		if ((node % 2 ? b->seg_b : b->seg_a) == k->segment && b->proto == k->proto &&
		    tuple_bytes_eq(node % 2 ? &b->b : &b->a, k))
			return node;
	}
	return NAT_NIL;
}

/* The first index node of key @p k, whose flow_hash() is @p h, or NAT_NIL. */
static uint32_t index_first(const struct np_nat_learner *l, const struct flow_key *k, uint32_t h)
{
	return index_scan(l, k, l->bheads[h & l->bmask]);
}

static uint32_t index_next(const struct np_nat_learner *l, const struct flow_key *k, uint32_t node)
{
	if (node == NAT_NIL)
		return index_first(l, k, flow_hash(l, k));
	return index_scan(l, k, l->bind[node / 2].nnext[node % 2]);
}

/* The learned binding of flow @p k whose other side is on segment @p seg, or NAT_NIL. */
static uint32_t bound_on_h(const struct np_nat_learner *l, const struct flow_key *k, uint32_t h,
			   uint8_t seg)
{
	uint32_t n;

	for (n = index_first(l, k, h); n != NAT_NIL; n = index_next(l, k, n)) {
		const struct np_nat_binding *b = &l->bind[n / 2].b;

		if (!b->is_static && (n % 2 ? b->seg_a : b->seg_b) == seg)
			return n / 2;
	}
	return NAT_NIL;
}

static uint32_t bound_on(const struct np_nat_learner *l, const struct flow_key *k, uint8_t seg)
{
	return bound_on_h(l, k, flow_hash(l, k), seg);
}

/* Build the translation entries of a binding; returns how many (bit i = entry i). */
static unsigned int entries_of(const struct np_nat_binding *b, struct np_nat_xlat_entry e[3])
{
	const struct np_nat_tuple *u, *d;
	uint8_t useg, dseg;

	memset(e, 0, 3 * sizeof(*e));
	if (b->is_static) {
		e[0].addr = b->b.src;
		e[0].kind = NP_NAT_X_STATIC_PUBLIC;
		e[0].orig = b->a.src;
		e[0].seg = NP_NAT_SEG_ANY;
		e[0].binding_id = b->id;
		return 1;
	}
	u = b->seg_orig == b->seg_a ? &b->a : &b->b;
	d = b->seg_orig == b->seg_a ? &b->b : &b->a;
	useg = b->seg_orig;
	dseg = b->seg_orig == b->seg_a ? b->seg_b : b->seg_a;
	if (b->changed & NP_NAT_CHANGED_SRC) {
		e[0].addr = d->src;
		e[0].port = d->sport;
		e[0].proto = b->proto;
		e[0].kind = NP_NAT_X_SNAT_SOURCE;
		e[0].orig = u->src;
		e[0].orig_port = u->sport;
		e[0].seg = useg;
	}
	if (b->changed & NP_NAT_CHANGED_DST) {
		e[1].addr = u->dst;
		e[1].port = u->dport;
		e[1].proto = b->proto;
		e[1].kind = NP_NAT_X_DNAT_PUBLIC;
		e[1].orig = d->dst;
		e[1].orig_port = d->dport;
		e[1].seg = dseg;
		if (memcmp(&u->dst, &d->dst, sizeof(u->dst)) != 0) {
			e[2].addr = u->dst;
			e[2].kind = NP_NAT_X_DNAT_PUBLIC;
			e[2].orig = d->dst;
			e[2].seg = dseg;
		}
	}
	e[0].binding_id = e[1].binding_id = e[2].binding_id = b->id;
	return 3;
}

static void publish(struct np_nat_learner *l, struct bslot *bs)
{
	struct np_nat_xlat_entry e[3], cur;
	unsigned int i, n;
	int rc;

	if (!l->x)
		return;
	n = entries_of(&bs->b, e);
	for (i = 0; i < n; i++) {
		if (e[i].kind == 0 || (bs->published & (1u << i)))
			continue;
		/* A whole-address answer already held by another server or a static entry stays. */
		if (e[i].port == 0 && e[i].kind != NP_NAT_X_STATIC_PUBLIC &&
		    np_nat__xlat_find(l->x, &e[i].addr, 0, 0, &cur) &&
		    (cur.kind != e[i].kind || cur.seg != e[i].seg ||
		     memcmp(&cur.orig, &e[i].orig, sizeof(cur.orig)) != 0))
			continue;
		rc = np_nat_xlat_add(l->x, &e[i]);
		if (rc == 0)
			bs->published |= 1u << i;
		else if (rc == -ENOSPC)
			l->st.v[NP_NAT_STAT_XLAT_FULL]++;
	}
}

static void unpublish(struct np_nat_learner *l, struct bslot *bs)
{
	struct np_nat_xlat_entry e[3];
	unsigned int i, n;

	if (!l->x || !bs->published)
		return;
	n = entries_of(&bs->b, e);
	for (i = 0; i < n; i++)
		if (bs->published & (1u << i))
			np_nat_xlat_del(l->x, &e[i]);
	bs->published = 0;
}

static void emit(struct np_nat_learner *l, enum np_nat_event ev, const struct np_nat_binding *b)
{
	if (l->conf.on_event)
		l->conf.on_event(l->conf.event_ctx, ev, b);
}

static uint32_t bind_take(struct np_nat_learner *l)
{
	uint32_t s = l->free_head;

	if (s == NAT_NIL) {
		l->st.v[NP_NAT_STAT_TABLE_FULL]++;
		return NAT_NIL;
	}
	l->free_head = l->bind[s].free_next;
	if (s >= l->bind_end)
		l->bind_end = s + 1;
	memset(&l->bind[s], 0, sizeof(l->bind[s]));
	l->bind[s].used = true;
	l->bind[s].b.id = l->next_id++;
	if (l->next_id == 0)
		l->next_id = 1;
	l->st.v[NP_NAT_STAT_BINDINGS_ACTIVE]++;
	return s;
}

static void bind_remove(struct np_nat_learner *l, uint32_t s, enum np_nat_event ev)
{
	struct bslot *bs = &l->bind[s];

	unpublish(l, bs);
	index_unlink(l, s, 0);
	index_unlink(l, s, 1);
	bs->used = false;
	bs->free_next = l->free_head;
	l->free_head = s;
	l->st.v[NP_NAT_STAT_BINDINGS_ACTIVE]--;
	if (bs->b.is_static)
		l->st.v[NP_NAT_STAT_STATIC_ENTRIES]--;
	else if (ev == NP_NAT_EV_EXPIRED)
		l->st.v[NP_NAT_STAT_BINDINGS_EXPIRED]++;
	else
		l->st.v[NP_NAT_STAT_BINDINGS_WITHDRAWN]++;
	emit(l, ev, &bs->b);
}

/* Withdraw every learned binding of flow @p k. */
static void withdraw_flow(struct np_nat_learner *l, const struct flow_key *k)
{
	const uint32_t h = flow_hash(l, k);
	uint32_t n = index_first(l, k, h);

	while (n != NAT_NIL) {
		if (l->bind[n / 2].b.is_static) {
			n = index_next(l, k, n);
			continue;
		}
		bind_remove(l, n / 2, NP_NAT_EV_WITHDRAWN);
		n = index_first(l, k, h);
	}
}

static void mark_ambiguous(struct np_nat_learner *l, uint32_t i)
{
	/*
	 * Marked already: its bindings went then, and an ambiguous flow joins
	 * none (np_nat_fingerprint() skips it on either side) until
	 * pend_reset() clears the mark, so there is nothing to withdraw.
	 */
	if (l->pend[i].ambiguous)
		return;
	l->pend[i].ambiguous = true;
	withdraw_flow(l, &l->pend[i].k);
}

static bool same_fp(const struct fpv *a, const struct fpv *b)
{
	return a->hash == b->hash && a->len == b->len;
}

static bool tuple_eq_src(const struct np_nat_tuple *a, const struct np_nat_tuple *b)
{
	return a->sport == b->sport && memcmp(&a->src, &b->src, sizeof(a->src)) == 0;
}

static bool tuple_eq_dst(const struct np_nat_tuple *a, const struct np_nat_tuple *b)
{
	return a->dport == b->dport && memcmp(&a->dst, &b->dst, sizeof(a->dst)) == 0;
}

/* 0 when seg_a is the pre-NAT side, 1 when seg_b is (see np_nat_binding::seg_orig). */
static unsigned int orig_side(const struct np_nat_binding *b, const struct pend *pa,
			      const struct pend *pb)
{
	int vote = 0;

	if (b->changed & NP_NAT_CHANGED_SRC) {
		if (np_nat_addr_is_private(&b->a.src) && np_nat_addr_is_public(&b->b.src))
			vote++;
		else if (np_nat_addr_is_public(&b->a.src) && np_nat_addr_is_private(&b->b.src))
			vote--;
	}
	if (b->changed & NP_NAT_CHANGED_DST) {
		if (np_nat_addr_is_public(&b->a.dst) && np_nat_addr_is_private(&b->b.dst))
			vote++;
		else if (np_nat_addr_is_private(&b->a.dst) && np_nat_addr_is_public(&b->b.dst))
			vote--;
	}
	if (vote)
		return vote > 0 ? 0 : 1;
	/* The initiator's payload reaches the upstream wire first, the answer the downstream one.
	 */
	if ((pa->have & 1) && (pb->have & 1) && pa->fp[0].ts != pb->fp[0].ts)
		return pa->fp[0].ts < pb->fp[0].ts ? 0 : 1;
	if ((pa->have & 2) && (pb->have & 2) && pa->fp[1].ts != pb->fp[1].ts)
		return pa->fp[1].ts < pb->fp[1].ts ? 1 : 0;
	return 0;
}

/* A fingerprint of a SIP message (len 0: lib/inspect's msgflow), not of a connection's start. */
static bool from_msg(const struct fpv *v)
{
	return v->len == 0;
}

static void set_seq(struct np_nat_binding *b, const struct pend *pa, const struct pend *pb)
{
	/* a message's fingerprint has no sequence number: only two connection starts give one */
	if (b->proto != NP_IPPROTO_TCP || !(pa->have & 1) || !(pb->have & 1) ||
	    from_msg(&pa->fp[0]) || from_msg(&pb->fp[0]))
		return;
	b->seq_known = true;
	b->seq_offset = (int64_t)pb->fp[0].seq - (int64_t)pa->fp[0].seq;
}

/* Join pending flows @p i and @p j (different segments); returns the slot or NAT_NIL. */
static uint32_t bind_make(struct np_nat_learner *l, uint32_t i, uint32_t j, uint64_t ts)
{
	const struct pend *pa = &l->pend[i], *pb = &l->pend[j];
	struct np_nat_binding nb;
	struct bslot *bs;
	uint32_t s;

	if (pa->k.segment > pb->k.segment) {
		pa = &l->pend[j];
		pb = &l->pend[i];
	}
	memset(&nb, 0, sizeof(nb));
	nb.proto = pa->k.proto;
	nb.seg_a = pa->k.segment;
	nb.seg_b = pb->k.segment;
	tuple_of(&pa->k, &nb.a);
	tuple_of(&pb->k, &nb.b);
	if (!tuple_eq_src(&nb.a, &nb.b))
		nb.changed |= NP_NAT_CHANGED_SRC;
	if (!tuple_eq_dst(&nb.a, &nb.b))
		nb.changed |= NP_NAT_CHANGED_DST;
	if (!nb.changed) {
		l->st.v[NP_NAT_STAT_UNTRANSLATED]++;
		return NAT_NIL;
	}
	nb.seg_orig = orig_side(&nb, pa, pb) ? nb.seg_b : nb.seg_a;
	set_seq(&nb, pa, pb);
	nb.first_seen_ns = ts;
	nb.last_seen_ns = pa->last_ts > pb->last_ts ? pa->last_ts : pb->last_ts;
	s = bind_take(l);
	if (s == NAT_NIL)
		return NAT_NIL;
	bs = &l->bind[s];
	nb.id = bs->b.id;
	bs->b = nb;
	index_link(l, s, 0);
	index_link(l, s, 1);
	publish(l, bs);
	l->st.v[NP_NAT_STAT_BINDINGS_LEARNED]++;
	emit(l, NP_NAT_EV_LEARNED, &bs->b);
	return s;
}

/*
 * A fingerprint of direction @p d arrived for pending flow @p i: check it
 * against the bindings the flow already has, fill in what they lacked,
 * withdraw those it contradicts.
 */
static void check_bound(struct np_nat_learner *l, uint32_t i, uint32_t h, unsigned int d,
			uint64_t ts)
{
	const struct flow_key *k = &l->pend[i].k;
	uint32_t n = index_first(l, k, h);

	while (n != NAT_NIL) {
		struct bslot *bs = &l->bind[n / 2];
		struct flow_key ok;
		uint32_t j;

		if (bs->b.is_static) {
			n = index_next(l, k, n);
			continue;
		}
		side_key(&bs->b, !(n % 2), &ok);
		j = pend_find(l, &ok);
		/* a message's and a connection start's fingerprints differ without contradicting */
		if (j != NAT_NIL && (l->pend[j].have & (1u << d)) &&
		    from_msg(&l->pend[j].fp[d]) == from_msg(&l->pend[i].fp[d]) &&
		    !same_fp(&l->pend[j].fp[d], &l->pend[i].fp[d])) {
			bind_remove(l, n / 2, NP_NAT_EV_WITHDRAWN);
			n = index_first(l, k, h);
			continue;
		}
		if (ts > bs->b.last_seen_ns)
			bs->b.last_seen_ns = ts;
		if (j != NAT_NIL && !bs->b.seq_known)
			set_seq(&bs->b, n % 2 ? &l->pend[j] : &l->pend[i],
				n % 2 ? &l->pend[i] : &l->pend[j]);
		n = index_next(l, k, n);
	}
}

/*
 * A message's fingerprint in direction @p d of flow @p k adds nothing: the
 * flow is bound already (its bindings refreshed), or holds a connection
 * start's fingerprint in that direction within the window.
 */
static bool msg_is_known(struct np_nat_learner *l, const struct flow_key *k, uint32_t h,
			 unsigned int d, uint64_t ts)
{
	uint32_t i = pend_find_h(l, k, h);
	bool known = false;

	for (uint32_t n = index_first(l, k, h); n != NAT_NIL; n = index_next(l, k, n)) {
		struct np_nat_binding *b = &l->bind[n / 2].b;

		if (b->is_static)
			continue;
		if (ts > b->last_seen_ns)
			b->last_seen_ns = ts;
		known = true;
	}
	if (!known && i != NAT_NIL && (l->pend[i].have & (1u << d)) &&
	    !from_msg(&l->pend[i].fp[d]) && l->pend[i].last_ts + l->conf.window_ns >= ts)
		known = true;
	return known;
}

void np_nat_fingerprint_prefetch(const struct np_nat_learner *l, const struct np_nat_fp *fp)
{
	const struct np_nat_tuple t = {
		.src = fp->src, .dst = fp->dst, .sport = fp->sport, .dport = fp->dport
	};
	struct flow_key k;
	uint32_t h;

	if (fp->dir > 1)
		return;
	key_make(&k, fp->segment, fp->proto, &t);
	h = flow_hash(l, &k);
	__builtin_prefetch(&l->fheads[h & l->fmask]);
	__builtin_prefetch(&l->bheads[h & l->bmask]);
	__builtin_prefetch(&l->kheads[fp_bucket(l, fp->proto, fp->dir, fp->hash, fp->len)]);
}

int np_nat_fingerprint(struct np_nat_learner *l, const struct np_nat_fp *fp,
		       struct np_nat_binding *out)
{
	uint32_t same[NP_NAT_MAX_CANDIDATES], other[NP_NAT_MAX_CANDIDATES];
	unsigned int ns = 0, no = 0, d, od, a, c;
	bool overflow = false;
	int learned = 0;
	struct flow_key k;
	struct np_nat_tuple t;
	struct fpv v;
	struct pend *p;
	uint32_t i, q, kh;

	if (!l || !fp || fp->segment >= NP_MAX_SEGMENTS || fp->proto == 0 || fp->dir > 1)
		return -EINVAL;
	l->st.v[NP_NAT_STAT_FINGERPRINTS]++;
	if (fp->ts_ns > l->now)
		l->now = fp->ts_ns;
	d = fp->dir;
	od = d ^ 1;
	v.hash = fp->hash;
	v.len = fp->len;
	v.ts = fp->ts_ns;
	v.seq = fp->tcp_seq;
	t.src = fp->src;
	t.dst = fp->dst;
	t.sport = fp->sport;
	t.dport = fp->dport;
	key_make(&k, fp->segment, fp->proto, &t);
	kh = flow_hash(l, &k); /* once: the pending table, the index and bound_on() use it */

	/*
	 * A message's fingerprint (v.len 0) where the connection is known from
	 * its start, or bound already: a sign of life, not news. One binding is
	 * learned once, whichever of the two teaches it first.
	 */
	if (from_msg(&v) && msg_is_known(l, &k, kh, d, v.ts))
		return 0;
	i = pend_find_h(l, &k, kh);
	if (i == NAT_NIL) {
		i = pend_alloc(l, &k, kh);
	} else {
		p = &l->pend[i];
		if (p->last_ts + l->conf.window_ns < fp->ts_ns)
			pend_reset(l, i); /* an old flow's tuple, used again */
		else if (p->have & (1u << d)) {
			if (same_fp(&p->fp[d], &v))
				return 0; /* the same report twice */
			if (from_msg(&p->fp[d]) && !from_msg(&v))
				pend_unlink_fp(l, i,
					       d); /* the connection's start replaces a message's */
			else
				pend_reset(l, i);
		}
	}
	p = &l->pend[i];
	p->fp[d] = v;
	pend_link_fp(l, i, d);
	if (v.ts > p->last_ts)
		p->last_ts = v.ts;

	check_bound(l, i, kh, d, v.ts);
	if (p->ambiguous)
		return 0;

	for (q = l->kheads[p->kb[d]]; q != NAT_NIL; q = l->pend[q].knext[d]) {
		const struct pend *r = &l->pend[q];

		if (q == i || r->k.proto != p->k.proto || !same_fp(&r->fp[d], &v) ||
		    !ts_close(r->fp[d].ts, v.ts, l->conf.window_ns))
			continue;
		if (r->k.segment == p->k.segment) {
			if (ns < NP_NAT_MAX_CANDIDATES)
				same[ns++] = q;
			/*
			 * Enough to call it ambiguous: stop walking. Without this a burst of
			 * flows opening with the same bytes (keep-alives, probes) costs the
			 * control thread O(n^2).
			 */
			if (ns == NP_NAT_MAX_CANDIDATES)
				break;
			continue;
		}
		if ((p->have & (1u << od)) && (r->have & (1u << od)) &&
		    !same_fp(&r->fp[od], &p->fp[od]))
			continue;
		if (no < NP_NAT_MAX_CANDIDATES)
			other[no++] = q;
		else
			overflow = true;
	}

	if (ns) {
		l->st.v[NP_NAT_STAT_AMBIGUOUS]++;
		mark_ambiguous(l, i);
		for (a = 0; a < ns; a++)
			mark_ambiguous(l, same[a]);
		return 0;
	}

	for (a = 0; a < no; a++) {
		uint8_t seg = l->pend[other[a]].k.segment;
		unsigned int cnt = 0, first = a;
		bool seen = false, amb = false;
		uint32_t s, r;

		for (c = 0; c < a; c++)
			if (l->pend[other[c]].k.segment == seg)
				seen = true;
		if (seen)
			continue;
		for (c = a; c < no; c++) {
			if (l->pend[other[c]].k.segment != seg)
				continue;
			cnt++;
			amb |= l->pend[other[c]].ambiguous;
		}
		r = other[first];
		if (cnt > 1 || overflow) {
			l->st.v[NP_NAT_STAT_AMBIGUOUS]++;
			for (c = a; c < no; c++)
				if (l->pend[other[c]].k.segment == seg)
					mark_ambiguous(l, other[c]);
			continue;
		}
		if (amb) {
			l->st.v[NP_NAT_STAT_AMBIGUOUS]++;
			continue;
		}
		s = bound_on_h(l, &p->k, kh, seg);
		if (s != NAT_NIL && bound_on(l, &l->pend[r].k, p->k.segment) == s)
			continue; /* joined already */
		if (s != NAT_NIL || bound_on(l, &l->pend[r].k, p->k.segment) != NAT_NIL) {
			/* One of the two is bound to a third flow with the same fingerprint. */
			l->st.v[NP_NAT_STAT_AMBIGUOUS]++;
			mark_ambiguous(l, i);
			mark_ambiguous(l, r);
			return 0;
		}
		s = bind_make(l, i, r, v.ts);
		if (s != NAT_NIL && !learned++ && out)
			*out = l->bind[s].b;
	}
	return learned ? 1 : 0;
}

int np_nat_flow_seen(struct np_nat_learner *l, uint8_t segment, uint8_t proto,
		     const struct np_nat_tuple *t, uint64_t ts_ns)
{
	struct flow_key k;
	uint32_t n;
	int cnt = 0;

	if (!l || !t || segment >= NP_MAX_SEGMENTS)
		return -EINVAL;
	key_make(&k, segment, proto, t);
	for (n = index_next(l, &k, NAT_NIL); n != NAT_NIL; n = index_next(l, &k, n)) {
		struct np_nat_binding *b = &l->bind[n / 2].b;

		if (ts_ns > b->last_seen_ns)
			b->last_seen_ns = ts_ns;
		cnt++;
	}
	return cnt;
}

int np_nat_expire(struct np_nat_learner *l, uint64_t now_ns)
{
	uint32_t s;
	int cnt = 0;

	if (!l)
		return -EINVAL;
	/* once a second on the control thread: only the slots ever taken */
	for (s = 0; s < l->bind_end; s++) {
		const struct bslot *bs = &l->bind[s];

		if (!bs->used || bs->b.is_static || now_ns <= bs->b.last_seen_ns ||
		    now_ns - bs->b.last_seen_ns <= l->conf.grace_ns)
			continue;
		bind_remove(l, s, NP_NAT_EV_EXPIRED);
		cnt++;
	}
	return cnt;
}

int np_nat_add_static(struct np_nat_learner *l, const struct np_static_nat *sn)
{
	struct np_nat_tuple t;
	struct flow_key k;
	struct bslot *bs;
	uint32_t s, n;

	if (!l || !sn || memcmp(&sn->priv, &sn->pub, sizeof(sn->priv)) == 0)
		return -EINVAL;
	/* Static entries are indexed under segment NP_NAT_SEG_ANY, proto 0, by address. */
	memset(&t, 0, sizeof(t));
	t.src = sn->pub;
	key_make(&k, NP_NAT_SEG_ANY, 0, &t);
	for (n = index_next(l, &k, NAT_NIL); n != NAT_NIL; n = index_next(l, &k, n))
		if (l->bind[n / 2].b.is_static && n % 2 == 1)
			return -EEXIST;
	s = bind_take(l);
	if (s == NAT_NIL)
		return -ENOSPC;
	bs = &l->bind[s];
	bs->b.is_static = true;
	bs->b.seg_a = bs->b.seg_b = bs->b.seg_orig = NP_NAT_SEG_ANY;
	bs->b.a.src = sn->priv;
	bs->b.b.src = sn->pub;
	bs->b.changed = NP_NAT_CHANGED_SRC | NP_NAT_CHANGED_DST;
	index_link(l, s, 0);
	index_link(l, s, 1);
	publish(l, bs);
	l->st.v[NP_NAT_STAT_STATIC_ENTRIES]++;
	emit(l, NP_NAT_EV_STATIC, &bs->b);
	return 0;
}

int np_nat_learner_attach_xlat(struct np_nat_learner *l, struct np_nat_xlat *x)
{
	uint32_t s;

	if (!l)
		return -EINVAL;
	if (!x) {
		for (s = 0; s < l->nbind; s++)
			l->bind[s].published = 0;
		l->x = NULL;
		return 0;
	}
	if (l->x == x)
		return 0;
	if (l->x)
		return -EBUSY;
	l->x = x;
	/* Static entries first, so that they hold their public addresses. */
	for (s = 0; s < l->nbind; s++)
		if (l->bind[s].used && l->bind[s].b.is_static)
			publish(l, &l->bind[s]);
	for (s = 0; s < l->nbind; s++)
		if (l->bind[s].used && !l->bind[s].b.is_static)
			publish(l, &l->bind[s]);
	return 0;
}

int np_nat_binding_foreach(const struct np_nat_learner *l,
			   int (*cb)(void *ctx, const struct np_nat_binding *b), void *ctx)
{
	uint32_t s;
	int rc;

	if (!l || !cb)
		return -EINVAL;
	for (s = 0; s < l->nbind; s++) {
		if (!l->bind[s].used)
			continue;
		rc = cb(ctx, &l->bind[s].b);
		if (rc)
			return rc;
	}
	return 0;
}

bool np_nat_binding_find(const struct np_nat_learner *l, uint8_t segment, uint8_t proto,
			 const struct np_nat_tuple *t, struct np_nat_binding *out)
{
	struct flow_key k;
	uint32_t n;

	if (!l || !t)
		return false;
	key_make(&k, segment, proto, t);
	for (n = index_next(l, &k, NAT_NIL); n != NAT_NIL; n = index_next(l, &k, n)) {
		if (l->bind[n / 2].b.is_static)
			continue;
		if (out)
			*out = l->bind[n / 2].b;
		return true;
	}
	return false;
}

const struct np_nat_stats *np_nat_learner_stats(const struct np_nat_learner *l)
{
	return l ? &l->st : NULL;
}

struct np_nat_learner *np_nat_learner_create(const struct np_nat_learner_conf *conf)
{
	struct np_nat_learner_conf c;
	struct np_nat_learner *l;
	size_t off_pend, off_fh, off_kh, off_bind, off_bh, size;
	uint32_t fn, kn, bn, s;
	uint8_t *m;

	if (!conf || (!conf->alloc) != (!conf->free) || conf->max_bindings > NP_NAT_MAX_TABLE ||
	    conf->max_pending > NP_NAT_MAX_TABLE) {
		errno = EINVAL;
		return NULL;
	}
	c = *conf;
	if (!c.max_bindings)
		c.max_bindings = NP_NAT_DEFAULT_MAX_BINDINGS;
	if (!c.max_pending)
		c.max_pending = NP_NAT_DEFAULT_MAX_PENDING;
	if (!c.window_ns)
		c.window_ns = NP_NAT_DEFAULT_WINDOW_NS;
	if (!c.grace_ns)
		c.grace_ns = NP_NAT_DEFAULT_GRACE_NS;
	fn = nat_pow2(c.max_pending);
	kn = nat_pow2(c.max_pending);
	bn = nat_pow2(2 * c.max_bindings);
	off_pend = ALIGN8(sizeof(*l));
	off_fh = ALIGN8(off_pend + (size_t)c.max_pending * sizeof(struct pend));
	off_kh = ALIGN8(off_fh + (size_t)fn * sizeof(uint32_t));
	off_bind = ALIGN8(off_kh + 2 * (size_t)kn * sizeof(uint32_t));
	off_bh = ALIGN8(off_bind + (size_t)c.max_bindings * sizeof(struct bslot));
	size = off_bh + (size_t)bn * sizeof(uint32_t);
	m = c.alloc ? c.alloc(c.alloc_ctx, size) : np_mem_table_alloc(size);
	if (!m) {
		errno = ENOMEM;
		return NULL;
	}
	if (c.alloc) {
		memset(m, 0, size);
	} else {
		/* zero pages, untouched: 2 MB pages for all of it, the pending flows
		 * too, which become resident as they are used and are looked up at
		 * random */
		np_mem_advise_huge(m, size);
		if (np_mem_prefault(m + off_fh, size - off_fh) != 0) {
			/* the heads and binding slots are written below anyway */
			np_mem_table_free(m, size);
			errno = ENOMEM;
			return NULL;
		}
	}
	l = (struct np_nat_learner *)m;
	l->conf = c;
	l->mem_size = c.alloc ? 0 : size;
	l->seed = c.hash_seed ? c.hash_seed : nat_seed();
	l->next_id = 1;
	l->pend = (struct pend *)(m + off_pend);
	l->npend = c.max_pending;
	l->fheads = (uint32_t *)(m + off_fh);
	l->fmask = fn - 1;
	l->kheads = (uint32_t *)(m + off_kh);
	l->kmask = kn - 1;
	l->bind = (struct bslot *)(m + off_bind);
	l->nbind = c.max_bindings;
	l->bheads = (uint32_t *)(m + off_bh);
	l->bmask = bn - 1;
	memset(l->fheads, 0xff, (size_t)fn * sizeof(uint32_t));
	memset(l->kheads, 0xff, 2 * (size_t)kn * sizeof(uint32_t));
	memset(l->bheads, 0xff, (size_t)bn * sizeof(uint32_t));
	for (s = 0; s < l->nbind; s++)
		l->bind[s].free_next = s + 1 < l->nbind ? s + 1 : NAT_NIL;
	l->free_head = 0;
	return l;
}

void np_nat_learner_free(struct np_nat_learner *l)
{
	if (l && l->mem_size)
		np_mem_table_free(l, l->mem_size);
	else if (l)
		l->conf.free(l->conf.alloc_ctx, l);
}
