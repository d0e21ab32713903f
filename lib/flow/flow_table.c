/* SPDX-License-Identifier: BSD-3-Clause */
/* Table memory, hash index, ageing lists, expiry, lookup, names. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow_internal.h"
#include "np_mem.h"

/* Timeouts are clamped so that last_ns + timeout + quantum cannot wrap for sane clocks. */
#define FLOW_MAX_TMO_NS (1ull << 62)

/* The table of lib/flow's counters (np_ctr.h): one row per field, summed over workers. */
static const struct np_ctr_desc flow_rows[] = {
#define NP_FLOW_CTR_ROW(f, h, g)                                                   \
	NP_CTR_ROW((g) ? #f : #f "_total", h, (g) ? NP_CTR_GAUGE : NP_CTR_COUNTER, \
		   struct np_flow_stats, f),
	NP_FLOW_STATS(NP_FLOW_CTR_ROW)
#undef NP_FLOW_CTR_ROW
};

_Static_assert(sizeof(flow_rows) / sizeof(flow_rows[0]) == NP_FLOW_STATS_N, "one row a counter");

const struct np_ctr_table np_flow_counters = { flow_rows, NP_FLOW_STATS_N };

static const char *const ev_names[NP_FLOW_EV_MAX] = {
	[NP_FLOW_EV_NEW] = "new",
	[NP_FLOW_EV_FINGERPRINT] = "fingerprint",
	[NP_FLOW_EV_TCP_ESTABLISHED] = "tcp_established",
	[NP_FLOW_EV_TCP_REFUSED] = "tcp_refused",
	[NP_FLOW_EV_TCP_UNANSWERED] = "tcp_unanswered",
	[NP_FLOW_EV_CLOSED] = "closed",
	[NP_FLOW_EV_EXPIRED] = "expired",
};

static const char *const state_names[NP_FLOW_TCP_STATE_MAX] = {
	[NP_FLOW_TCP_NONE] = "none",
	[NP_FLOW_TCP_SYN_SENT] = "syn_sent",
	[NP_FLOW_TCP_ESTABLISHED] = "established",
	[NP_FLOW_TCP_MIDSTREAM] = "midstream",
	[NP_FLOW_TCP_CLOSED] = "closed",
	[NP_FLOW_TCP_REFUSED] = "refused",
	[NP_FLOW_TCP_UNANSWERED] = "unanswered",
};

const char *np_flow_ev_name(unsigned int type)
{
	return type < NP_FLOW_EV_MAX ? ev_names[type] : "unknown";
}

const char *np_flow_tcp_state_name(unsigned int state)
{
	return state < NP_FLOW_TCP_STATE_MAX ? state_names[state] : "unknown";
}

/* ---- fingerprint hash ------------------------------------------------------------------------ */

/* A fixed seed, so every worker (and every run) agrees. */
uint64_t np_flow_fp_hash(const uint8_t *p, size_t len)
{
	return np_hash_mix64(np_hash_bytes(0x243f6a8885a308d3ull, p, p ? len : 0));
}

/* ---- memory ---------------------------------------------------------------------------------- */

static void *default_alloc(size_t size, size_t align, void *ctx)
{
	(void)ctx;
	/* a table of 2 MB or more starts on a 2 MB boundary, so that all of it
	 * can be given 2 MB pages (np_mem_prefault()) */
	if (size >= NP_MEM_HUGE && align < NP_MEM_HUGE)
		align = NP_MEM_HUGE;
	return aligned_alloc(align, (size + align - 1) & ~(align - 1));
}

static void default_free(void *p, void *ctx)
{
	(void)ctx;
	free(p);
}

static void *table_alloc(struct np_flow_table *t, size_t size)
{
	void *p = t->conf.alloc(size, 64, t->conf.alloc_ctx);

	if (p)
		t->mem += size;
	return p;
}

static void table_free(const struct np_flow_conf *c, void *p)
{
	if (p)
		c->free(p, c->alloc_ctx);
}

void np_flow_table_destroy(struct np_flow_table *t)
{
	struct np_flow_conf c;

	if (!t)
		return;
	c = t->conf;
	table_free(&c, t->hot);
	table_free(&c, t->cold);
	table_free(&c, t->slots);
	table_free(&c, t->pool);
	table_free(&c, t->buf_len);
	table_free(&c, t->buf_free);
	table_free(&c, t);
}

static uint64_t tmo_or(uint64_t v, uint64_t def)
{
	if (!v)
		return def;
	return v > FLOW_MAX_TMO_NS ? FLOW_MAX_TMO_NS : v;
}

struct np_flow_table *np_flow_table_create(const struct np_flow_conf *conf)
{
	struct np_flow_conf c;
	struct np_flow_table *t;
	uint32_t nslots = 1;

	if (!conf || conf->size == 0 || conf->size > NP_FLOW_MAX_SIZE ||
	    conf->reasm_buffers > NP_FLOW_MAX_REASM_BUFFERS ||
	    conf->n_sip_ports > NP_FLOW_MAX_SIP_PORTS || (conf->alloc && !conf->free)) {
		errno = EINVAL;
		return NULL;
	}
	c = *conf;
	if (!c.alloc) {
		c.alloc = default_alloc;
		c.free = default_free;
	}
	t = c.alloc(sizeof(*t), 64, c.alloc_ctx);
	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	memset(t, 0, sizeof(*t));
	t->conf = c;
	t->mem = sizeof(*t);
	t->conf.tcp_idle_ns = tmo_or(c.tcp_idle_ns, NP_FLOW_DEFAULT_TCP_IDLE_NS);
	t->conf.udp_idle_ns = tmo_or(c.udp_idle_ns, NP_FLOW_DEFAULT_UDP_IDLE_NS);
	t->conf.syn_timeout_ns = tmo_or(c.syn_timeout_ns, NP_FLOW_DEFAULT_SYN_TIMEOUT_NS);
	t->conf.grace_ns = tmo_or(c.grace_ns, NP_FLOW_DEFAULT_GRACE_NS);

	while (nslots < 2 * c.size)
		nslots <<= 1;
	t->size = c.size;
	t->mask = nslots - 1;
	t->hot = table_alloc(t, (size_t)c.size * sizeof(struct flow_hot));
	t->cold = table_alloc(t, (size_t)c.size * sizeof(struct flow_cold));
	t->slots = table_alloc(t, (size_t)nslots * sizeof(struct flow_slot));
	if (!t->hot || !t->cold || !t->slots)
		goto nomem;
	if (c.reasm_buffers) {
		t->pool = table_alloc(t, (size_t)c.reasm_buffers * NP_FLOW_REASM_BUF_LEN);
		t->buf_len = table_alloc(t, (size_t)c.reasm_buffers * sizeof(uint32_t));
		t->buf_free = table_alloc(t, (size_t)c.reasm_buffers * sizeof(uint32_t));
		if (!t->pool || !t->buf_len || !t->buf_free)
			goto nomem;
		for (uint32_t i = 0; i < c.reasm_buffers; i++) {
			t->buf_len[i] = 0;
			t->buf_free[i] = c.reasm_buffers - 1 - i;
		}
		t->n_buf_free = c.reasm_buffers;
	}

	/* offline the tables are the process's own memory: made resident at once
	 * rather than a page fault per 4 KB in the loops below */
	if (c.alloc == default_alloc &&
	    (np_mem_prefault(t->hot, (size_t)c.size * sizeof(struct flow_hot)) != 0 ||
	     np_mem_prefault(t->cold, (size_t)c.size * sizeof(struct flow_cold)) != 0 ||
	     np_mem_prefault(t->slots, (size_t)nslots * sizeof(struct flow_slot)) != 0))
		goto nomem;
	memset(t->hot, 0, (size_t)c.size * sizeof(struct flow_hot));
	memset(t->cold, 0, (size_t)c.size * sizeof(struct flow_cold));
	for (uint32_t i = 0; i < c.size; i++) {
		t->hot[i].lst = FLOW_LST_FREE;
		t->hot[i].next = i + 1 < c.size ? i + 1 : FLOW_NIL;
	}
	t->free_head = 0;
	for (uint32_t i = 0; i < nslots; i++) {
		t->slots[i].hash = 0;
		t->slots[i].idx = FLOW_NIL;
	}
	for (unsigned int l = 0; l < FLOW_LST_N; l++)
		t->lists[l].head = t->lists[l].tail = FLOW_NIL;

	t->tmo[FLOW_LST_UDP] = t->conf.udp_idle_ns;
	t->tmo[FLOW_LST_TCP] = t->conf.tcp_idle_ns;
	t->tmo[FLOW_LST_SYN] = t->conf.syn_timeout_ns;
	t->tmo[FLOW_LST_GRACE] = t->conf.grace_ns;
	for (unsigned int l = 0; l < FLOW_LST_N; l++) {
		/* SYN_SENT flows keep their place: their deadline counts from the first SYN */
		t->quantum[l] = l == FLOW_LST_SYN ? UINT64_MAX : t->tmo[l] >> 4;
		t->due_after[l] = t->tmo[l] + (l == FLOW_LST_SYN ? 0 : t->quantum[l]);
	}
	for (unsigned int i = 0; i < c.n_sip_ports; i++)
		t->sip_port_map[c.sip_ports[i] >> 6] |= 1ull << (c.sip_ports[i] & 63);
	return t;

nomem:
	np_flow_table_destroy(t);
	errno = ENOMEM;
	return NULL;
}

size_t np_flow_table_mem(const struct np_flow_table *t)
{
	return t ? t->mem : 0;
}

const struct np_flow_stats *np_flow_stats(const struct np_flow_table *t)
{
	return t ? &t->stats : NULL;
}

/* ---- lists ----------------------------------------------------------------------------------- */

void flow_list_unlink(struct np_flow_table *t, uint32_t idx)
{
	struct flow_hot *e = &t->hot[idx];
	struct flow_list *l = &t->lists[e->lst];

	if (e->prev != FLOW_NIL)
		t->hot[e->prev].next = e->next;
	else
		l->head = e->next;
	if (e->next != FLOW_NIL)
		t->hot[e->next].prev = e->prev;
	else
		l->tail = e->prev;
}

void flow_list_push(struct np_flow_table *t, uint32_t idx, unsigned int lst, uint64_t now_ns)
{
	struct flow_hot *e = &t->hot[idx];
	struct flow_list *l = &t->lists[lst];

	e->lst = (uint8_t)lst;
	e->prev = FLOW_NIL;
	e->next = l->head;
	if (l->head != FLOW_NIL) {
		struct flow_hot *h = &t->hot[l->head];

		/* keep the list sorted even if the caller's clock steps back */
		if (now_ns < h->last_ns)
			now_ns = h->last_ns;
		h->prev = idx;
	} else {
		l->tail = idx;
	}
	e->last_ns = now_ns;
	l->head = idx;
}

/* ---- index ----------------------------------------------------------------------------------- */

static void index_insert(struct np_flow_table *t, uint32_t hash, uint32_t idx)
{
	uint32_t i = hash & t->mask;

	while (t->slots[i].idx != FLOW_NIL)
		i = (i + 1) & t->mask;
	t->slots[i].hash = hash;
	t->slots[i].idx = idx;
}

/* Backward-shift deletion: later entries of the probe run move up, so no tombstones. */
static void index_delete(struct np_flow_table *t, uint32_t hash, uint32_t idx)
{
	uint32_t mask = t->mask, i = hash & mask, j;

	while (t->slots[i].idx != idx)
		i = (i + 1) & mask;
	for (;;) {
		j = i;
		for (;;) {
			uint32_t k;

			j = (j + 1) & mask;
			if (t->slots[j].idx == FLOW_NIL) {
				t->slots[i].idx = FLOW_NIL;
				return;
			}
			k = t->slots[j].hash & mask;
			/* the entry at j may stay when its home k lies cyclically in (i, j] */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		t->slots[i] = t->slots[j];
		i = j;
	}
}

/* ---- flows ----------------------------------------------------------------------------------- */

void flow_event_init(const struct flow_hot *e, struct np_flow_event *ev, unsigned int type,
		     uint64_t now_ns)
{
	unsigned int s = (e->flags & FLOW_F_INIT_B) ? 1 : 0;

	memset(ev, 0, sizeof(*ev));
	ev->type = (uint8_t)type;
	ev->segment = e->segment;
	ev->proto = e->proto;
	ev->src = e->a[s];
	ev->dst = e->a[!s];
	ev->sport = e->port[s];
	ev->dport = e->port[!s];
	ev->ts_ns = now_ns;
}

static inline uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

void flow_remove(struct np_flow_table *t, uint32_t idx, unsigned int reason, uint64_t now_ns,
		 const struct np_flow_sink *sink)
{
	struct flow_hot *e = &t->hot[idx];
	struct np_flow_event ev;

	flow_event_init(e, &ev, NP_FLOW_EV_EXPIRED, now_ns);
	ev.expired.reason = (uint8_t)reason;
	ev.expired.tcp_state = e->state;
	flow_emit(sink, &ev);

	flow_reasm_drop(t, &t->cold[idx], 0);
	flow_reasm_drop(t, &t->cold[idx], 1);
	flow_list_unlink(t, idx);
	index_delete(t, e->hash, idx);
	e->lst = FLOW_LST_FREE;
	e->next = t->free_head;
	t->free_head = idx;
	t->stats.flows_active--;
	if (reason == NP_FLOW_EXP_IDLE)
		t->stats.flows_expired++;
	else if (reason == NP_FLOW_EXP_EVICTED)
		t->stats.flows_evicted++;
	else
		t->stats.flows_reused++;
}

/* The flow closest to its idle deadline: the tail of one of the lists. */
static void evict_one(struct np_flow_table *t, uint64_t now_ns, const struct np_flow_sink *sink)
{
	uint32_t victim = FLOW_NIL;
	uint64_t best = UINT64_MAX;

	for (unsigned int l = 0; l < FLOW_LST_N; l++) {
		uint32_t idx = t->lists[l].tail;
		uint64_t due;

		if (idx == FLOW_NIL)
			continue;
		due = sat_add(t->hot[idx].last_ns, t->tmo[l]);
		if (victim == FLOW_NIL || due < best) {
			victim = idx;
			best = due;
		}
	}
	flow_remove(t, victim, NP_FLOW_EXP_EVICTED, now_ns, sink);
}

uint32_t flow_create(struct np_flow_table *t, const struct flow_key *k, bool init_b,
		     unsigned int lst, uint64_t now_ns, const struct np_flow_sink *sink)
{
	struct np_flow_event ev;
	struct flow_hot *e;
	struct flow_cold *c;
	uint32_t idx;

	if (FLOW_UNLIKELY(t->free_head == FLOW_NIL))
		evict_one(t, now_ns, sink);
	idx = t->free_head;
	e = &t->hot[idx];
	c = &t->cold[idx];
	t->free_head = e->next;

	memcpy(e, k->w, FLOW_KEY_LEN);
	e->state = NP_FLOW_TCP_NONE;
	e->flags = init_b ? FLOW_F_INIT_B : 0;
	if (flow_is_sip_port(t, e->port[0]) || flow_is_sip_port(t, e->port[1]))
		e->flags |= FLOW_F_SIP_PORT | FLOW_F_SIP;
	e->hash = k->hash;
	e->syn_retx = 0;
	e->dflags[0] = e->dflags[1] = 0;
	memset(c, 0, sizeof(*c));
	c->syn_ns = now_ns;
	index_insert(t, k->hash, idx);
	flow_list_push(t, idx, lst, now_ns);
	t->stats.flows_created++;
	t->stats.flows_active++;

	flow_event_init(e, &ev, NP_FLOW_EV_NEW, now_ns);
	flow_emit(sink, &ev);
	return idx;
}

/* ---- ageing ---------------------------------------------------------------------------------- */

static void syn_unanswered(struct np_flow_table *t, uint32_t idx, uint64_t now_ns,
			   const struct np_flow_sink *sink)
{
	struct flow_hot *e = &t->hot[idx];
	struct np_flow_event ev;

	flow_event_init(e, &ev, NP_FLOW_EV_TCP_UNANSWERED, now_ns);
	ev.unanswered.syn_ns = t->cold[idx].syn_ns;
	ev.unanswered.syn_retx = e->syn_retx;
	e->state = NP_FLOW_TCP_UNANSWERED;
	t->stats.tcp_unanswered++;
	flow_move(t, idx, FLOW_LST_GRACE, now_ns);
	flow_emit(sink, &ev);
}

unsigned int np_flow_expire(struct np_flow_table *t, uint64_t now_ns, unsigned int max_work,
			    const struct np_flow_sink *sink)
{
	unsigned int work = 0;

	if (!t)
		return 0;
	t->found.frame = NULL; /* np_flow_fast()'s lookup is void once the table changes */
	/* start with a different list each call so that none starves the others */
	for (unsigned int n = 0; n < FLOW_LST_N && work < max_work; n++) {
		unsigned int l = (t->expire_rr + n) % FLOW_LST_N;
		struct flow_list *lst = &t->lists[l];

		while (work < max_work && lst->tail != FLOW_NIL) {
			uint32_t idx = lst->tail;

			if (sat_add(t->hot[idx].last_ns, t->due_after[l]) > now_ns)
				break;
			work++;
			if (l == FLOW_LST_SYN)
				syn_unanswered(t, idx, now_ns, sink);
			else
				flow_remove(t, idx, NP_FLOW_EXP_IDLE, now_ns, sink);
		}
	}
	t->expire_rr++;
	return work;
}

/* ---- lookup ---------------------------------------------------------------------------------- */

int np_flow_find(const struct np_flow_table *t, uint8_t segment, uint8_t proto,
		 const struct np_addr *src, uint16_t sport, const struct np_addr *dst,
		 uint16_t dport, struct np_flow_info *out)
{
	struct flow_key k;
	const struct flow_hot *e;
	unsigned int s;
	bool side;
	uint32_t idx;

	if (!t || !src || !dst)
		return -EINVAL;
	side = flow_key_make(&k, segment, proto, src, sport, dst, dport);
	idx = flow_lookup(t, &k);
	if (idx == FLOW_NIL)
		return -ENOENT;
	if (!out)
		return 0;
	e = &t->hot[idx];
	s = (e->flags & FLOW_F_INIT_B) ? 1 : 0;
	memset(out, 0, sizeof(*out));
	out->src = e->a[s];
	out->dst = e->a[!s];
	out->sport = e->port[s];
	out->dport = e->port[!s];
	out->proto = e->proto;
	out->segment = e->segment;
	out->dir = side != s;
	out->tcp_state = e->state;
	out->sip = e->proto == NP_IPPROTO_TCP && (e->flags & FLOW_F_SIP);
	return 0;
}
