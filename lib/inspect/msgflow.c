/* SPDX-License-Identifier: BSD-3-Clause */
/* Connections and fingerprints learned from SIP messages without packets (msgflow.h). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "msgflow.h"
#include "np_hash.h"

#define MF_PROBE 16 /* slots looked at per lookup; the oldest of them makes room */
#define MF_SEED 0x6d7367666c6f77ull

struct mf_conn {
	bool used;
	bool a_initiates; /* endpoint a sent first (or is the client) */
	uint8_t segment;
	uint8_t proto;
	uint8_t fp_done; /* bit 0: initiator's direction fingerprinted, bit 1: the answer's */
	uint16_t aport, bport;
	struct np_addr a, b; /* a <= b */
	uint64_t last_ns;
};

struct det_msgflow {
	struct mf_conn *slots;
	uint32_t mask;
	uint32_t cursor;
	uint64_t tcp_idle_ns, udp_idle_ns;
	uint16_t sip_ports[NP_FLOW_MAX_SIP_PORTS];
	unsigned int n_sip_ports;
};

struct det_msgflow *det_msgflow_create(const struct np_flow_conf *fc, uint32_t capacity)
{
	struct det_msgflow *mf = calloc(1, sizeof(*mf));
	uint32_t n = 16;

	if (mf == NULL)
		return NULL;
	while (n < capacity && n < (1u << 24))
		n <<= 1;
	mf->slots = calloc(n, sizeof(*mf->slots));
	if (mf->slots == NULL) {
		free(mf);
		errno = ENOMEM;
		return NULL;
	}
	mf->mask = n - 1;
	mf->tcp_idle_ns = fc->tcp_idle_ns ? fc->tcp_idle_ns : NP_FLOW_DEFAULT_TCP_IDLE_NS;
	mf->udp_idle_ns = fc->udp_idle_ns ? fc->udp_idle_ns : NP_FLOW_DEFAULT_UDP_IDLE_NS;
	mf->n_sip_ports =
		fc->n_sip_ports < NP_FLOW_MAX_SIP_PORTS ? fc->n_sip_ports : NP_FLOW_MAX_SIP_PORTS;
	memcpy(mf->sip_ports, fc->sip_ports, mf->n_sip_ports * sizeof(uint16_t));
	return mf;
}

void det_msgflow_destroy(struct det_msgflow *mf)
{
	if (mf == NULL)
		return;
	free(mf->slots);
	free(mf);
}

static bool server_port(const struct det_msgflow *mf, uint16_t p)
{
	for (unsigned int i = 0; i < mf->n_sip_ports; i++)
		if (mf->sip_ports[i] == p)
			return true;
	return p == 5060 || p == 5061;
}

static int ep_cmp(const struct np_addr *x, uint16_t xp, const struct np_addr *y, uint16_t yp)
{
	int c = memcmp(x->b, y->b, 16);

	return c != 0 ? c : (int)xp - (int)yp;
}

static void event(const struct mf_conn *c, uint8_t type, uint64_t ts, struct np_flow_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->segment = c->segment;
	ev->proto = c->proto;
	ev->ts_ns = ts;
	if (c->a_initiates) {
		ev->src = c->a;
		ev->sport = c->aport;
		ev->dst = c->b;
		ev->dport = c->bport;
	} else {
		ev->src = c->b;
		ev->sport = c->bport;
		ev->dst = c->a;
		ev->dport = c->aport;
	}
}

static void expire_one(struct mf_conn *c, uint8_t reason, uint64_t ts, det_msgflow_emit emit,
		       void *ctx)
{
	struct np_flow_event ev;

	event(c, NP_FLOW_EV_EXPIRED, ts, &ev);
	ev.expired.reason = reason;
	c->used = false;
	emit(ctx, &ev);
}

static uint64_t view_hash(uint64_t h, struct np_sip_view v)
{
	h = np_hash_bytes(h, v.p != NULL ? v.p : "", v.len);
	return np_hash_bytes(h, "\x1f", 1);
}

/* The message's key: start line (method or status), Call-ID, CSeq, top Via branch, body. */
static uint64_t msg_key(const struct np_sip_msg *m)
{
	uint64_t h = MF_SEED;
	uint16_t st = m->status;

	h = m->is_request ? view_hash(h, m->method_text) : np_hash_bytes(h, &st, sizeof(st));
	h = view_hash(h, m->call_id);
	h = view_hash(h, m->cseq_raw);
	h = view_hash(h, m->n_via > 0 ? m->via[0].branch : (struct np_sip_view){ NULL, 0 });
	h = view_hash(h, m->body);
	h = np_hash_mix64(h);
	return h != 0 ? h : 1;
}

void det_msgflow_message(struct det_msgflow *mf, const struct np_flow_msg *fm,
			 const struct np_sip_msg *m, det_msgflow_emit emit, void *ctx)
{
	const bool src_first = ep_cmp(&fm->src, fm->sport, &fm->dst, fm->dport) <= 0;
	const struct np_addr *a = src_first ? &fm->src : &fm->dst;
	const struct np_addr *b = src_first ? &fm->dst : &fm->src;
	const uint16_t ap = src_first ? fm->sport : fm->dport;
	const uint16_t bp = src_first ? fm->dport : fm->sport;
	uint64_t k[5] = { (uint64_t)fm->segment << 8 | fm->proto, (uint64_t)ap << 16 | bp };
	struct mf_conn *c = NULL, *victim = NULL;
	struct np_flow_event ev;
	uint32_t h;
	uint8_t dir;

	memcpy(&k[2], a->b, 16);
	memcpy(&k[2] + 2, b->b, 8);
	k[4] ^= np_hash_load64(b->b + 8);
	h = np_hash_words(MF_SEED, k, 5);
	for (uint32_t i = 0; i < MF_PROBE; i++) {
		struct mf_conn *s = &mf->slots[(h + i) & mf->mask];

		if (!s->used) {
			if (victim == NULL || victim->used)
				victim = s;
			continue;
		}
		if (s->segment == fm->segment && s->proto == fm->proto && s->aport == ap &&
		    s->bport == bp && memcmp(&s->a, a, 16) == 0 && memcmp(&s->b, b, 16) == 0) {
			c = s;
			break;
		}
		if (victim == NULL || (victim->used && s->last_ns < victim->last_ns))
			victim = s;
	}
	if (c == NULL) {
		bool sp_src = server_port(mf, fm->sport), sp_dst = server_port(mf, fm->dport);
		/* the client: by port when one side is a SIP server port, else the requester */
		bool src_initiates = sp_src == sp_dst ? m->is_request : sp_dst;

		if (victim->used)
			expire_one(victim, NP_FLOW_EXP_EVICTED, fm->ts_ns, emit, ctx);
		c = victim;
		memset(c, 0, sizeof(*c));
		c->used = true;
		c->segment = fm->segment;
		c->proto = fm->proto;
		c->a = *a;
		c->b = *b;
		c->aport = ap;
		c->bport = bp;
		c->a_initiates = src_initiates == src_first;
		event(c, NP_FLOW_EV_NEW, fm->ts_ns, &ev);
		emit(ctx, &ev);
	}
	if (fm->ts_ns > c->last_ns)
		c->last_ns = fm->ts_ns;
	dir = c->a_initiates == src_first ? 0 : 1;
	/* requests only: agents report a response's addresses from its Via, not its connection */
	if (!m->is_request || (c->fp_done & (1u << dir)))
		return;
	c->fp_done |= (uint8_t)(1u << dir);
	event(c, NP_FLOW_EV_FINGERPRINT, fm->ts_ns, &ev);
	ev.dir = dir;
	ev.fp.hash = msg_key(m);
	ev.fp.len = 0;
	emit(ctx, &ev);
}

unsigned int det_msgflow_expire(struct det_msgflow *mf, uint64_t now_ns, unsigned int max_work,
				det_msgflow_emit emit, void *ctx)
{
	unsigned int done = 0;

	/* a walk of up to max_work slots; the work reported is the connections expired */
	for (unsigned int n = 0; n < max_work && n <= mf->mask; n++) {
		struct mf_conn *c = &mf->slots[mf->cursor++ & mf->mask];
		uint64_t idle = c->proto == NP_IPPROTO_TCP ? mf->tcp_idle_ns : mf->udp_idle_ns;

		if (c->used && now_ns > c->last_ns && now_ns - c->last_ns > idle) {
			expire_one(c, NP_FLOW_EXP_IDLE, now_ns, emit, ctx);
			done++;
		}
	}
	return done;
}
