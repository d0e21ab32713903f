/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control side of detection: bindings, transactions and the anomaly
 * rules of the catalogue. Single-threaded; tables are fixed-size and
 * overwrite their oldest or colliding entries (counted where it matters).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_internal.h"

#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull
#define DET_NAMED_WINDOW_NS (64ull * 500 * NS_PER_MS) /* 64 x T1: a SIP transaction's life */
#define DET_FAST_FAILURE_NS (2ull * NS_PER_S)	/* a refused connect answers well within this */

static const char *const kind_names[] = { "anomaly", "incident", "binding" };
static const char *const type_names[NP_DET_TYPE_MAX] = {
	[NP_DET_HAIRPIN_SNAT] = "hairpin_snat",
	[NP_DET_TRANSLATED_ROUTE] = "translated_route",
	[NP_DET_PHANTOM_CONNECT] = "phantom_connect",
	[NP_DET_SIP_TIMEOUT] = "sip_timeout",
	[NP_DET_PRIVATE_VIA_CONTACT] = "private_via_contact",
	[NP_DET_SDP_ADDRESS_MISMATCH] = "sdp_address_mismatch",
	[NP_DET_ALG_REWRITE] = "alg_rewrite",
	[NP_DET_NAT_REFLECTION_MISROUTE] = "nat_reflection_misroute",
	[NP_DET_BINDING_LEARNED] = "nat_binding",
};
static const char *const sev_names[] = { "info", "warning", "critical" };

const char *np_det_kind_name(unsigned int kind)
{
	return kind < 3 ? kind_names[kind] : "unknown";
}

const char *np_det_type_name(unsigned int type)
{
	return type < NP_DET_TYPE_MAX ? type_names[type] : "unknown";
}

const char *np_det_severity_name(unsigned int sev)
{
	return sev < 3 ? sev_names[sev] : "unknown";
}

/* ---- small helpers ---------------------------------------------------- */

/*
 * Keys of the correlator's tables: det_hash_bytes() chained, then mixed. The
 * tables are direct-mapped by key % size, and CRC is linear: without the
 * multiply, structured keys (neighbouring addresses and ports) would share
 * slots far more often than random ones and evict each other.
 */
static inline uint64_t key_hash(uint64_t h, const void *p, size_t len)
{
	h = det_hash_bytes(h, p, len);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

static inline uint64_t key_hash_str(uint64_t h, const char *s)
{
	return det_hash_bytes(h, s, strlen(s));	/* the length is part of the hash */
}

#define KEY_SEED 0xcbf29ce484222325ull

bool det_ep_eq(const struct det_ep *a, const struct det_ep *b)
{
	return a->port == b->port && a->proto == b->proto &&
	       memcmp(&a->addr, &b->addr, sizeof(a->addr)) == 0;
}

static bool addr_eq(const struct np_addr *a, const struct np_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

char *det_ep_str(const struct det_ep *e, char *buf, size_t len)
{
	return np_endpoint_str(&e->addr, e->port, buf, (unsigned int)len);
}

static struct det_ep ep_of(const struct np_addr *a, uint16_t port, uint8_t proto)
{
	struct det_ep e;

	memset(&e, 0, sizeof(e));
	e.addr = *a;
	e.port = port;
	e.proto = proto;
	return e;
}

static const char *seg_name(const struct np_det_correlator *c, int seg)
{
	if (seg < 0 || (unsigned int)seg >= c->conf.n_segments || c->conf.segment_names[seg] == NULL)
		return "?";
	return c->conf.segment_names[seg];
}

/* Has this key been reported already? Marks it when not. */
static bool dedupe(struct np_det_correlator *c, uint64_t key)
{
	uint64_t *slot = &c->dedupe[key % DET_MAX_DEDUPE];

	if (*slot == key)
		return true;
	*slot = key;
	return false;
}

/* ---- records ----------------------------------------------------------- */

static struct np_det_record *rec_new(struct np_det_correlator *c, uint8_t kind, uint8_t type,
				     uint8_t sev, int segment, uint64_t ts_ns)
{
	struct np_det_record *r = &c->rec;

	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->type = type;
	r->severity = sev;
	r->segment = (int8_t)segment;
	r->ts_ns = ts_ns;
	r->delay_ms = -1;
	return r;
}

void det_emit(struct np_det_correlator *c, struct np_det_record *r)
{
	r->id = ++c->next_id;
	if (r->kind == NP_DET_KIND_ANOMALY)
		c->stats.anomalies[r->type]++;
	else if (r->kind == NP_DET_KIND_INCIDENT)
		c->stats.incidents[r->type]++;
	else
		c->stats.bindings++;
	if (c->conf.record != NULL)
		c->conf.record(c->conf.ctx, r);
}

int det_anomaly_index(const struct np_det_correlator *c, uint32_t id)
{
	for (unsigned int i = 0; i < c->n_anomalies; i++)
		if (c->anomalies[i].id == id)
			return (int)i;
	return -1;
}

/* Remember an emitted anomaly for incidents, and let the builder look at it. */
static void remember(struct np_det_correlator *c, const struct np_det_record *r, int xlat,
		     const struct det_ep *ep, const char *call_id, const char *line)
{
	struct det_anomaly *a;

	if (c->n_anomalies == DET_MAX_ANOMALIES) {
		/* Oldest half out: incidents only join anomalies close in time. */
		memmove(c->anomalies, c->anomalies + DET_MAX_ANOMALIES / 2,
			sizeof(c->anomalies[0]) * (DET_MAX_ANOMALIES / 2));
		c->n_anomalies = DET_MAX_ANOMALIES / 2;
		for (unsigned int i = 0; i < DET_MAX_INCIDENTS; i++)
			c->incidents[i].used = c->incidents[i].used && c->incidents[i].written;
	}
	a = &c->anomalies[c->n_anomalies];
	memset(a, 0, sizeof(*a));
	a->id = r->id;
	a->type = r->type;
	a->ts_ns = r->ts_ns;
	a->xlat = xlat;
	a->segment = r->type == NP_DET_HAIRPIN_SNAT ? -1 : r->segment;
	if (ep != NULL)
		a->endpoint = *ep;
	det_copy_str(a->call_id, sizeof(a->call_id), call_id ? call_id : "");
	snprintf(a->line, sizeof(a->line), "%.*s", (int)sizeof(a->line) - 1, line ? line : "");
	c->n_anomalies++;
	det_incident_consider(c, c->n_anomalies - 1);
}

static void rec_set_sip(struct np_det_record *r, const char *method, const char *call_id,
			const char *cseq, const char *header, const char *value)
{
	r->has_sip = true;
	det_copy_str(r->sip.method, sizeof(r->sip.method), method);
	det_copy_str(r->sip.call_id, sizeof(r->sip.call_id), call_id);
	det_copy_str(r->sip.cseq, sizeof(r->sip.cseq), cseq);
	det_copy_str(r->sip.header, sizeof(r->sip.header), header ? header : "");
	det_copy_str(r->sip.value, sizeof(r->sip.value), value ? value : "");
}

static void rec_set_binding(struct np_det_correlator *c, struct np_det_record *r, int xi)
{
	const struct det_xlat *x = &c->xlat[xi];

	(void)c;
	r->has_binding = true;
	memset(&r->binding, 0, sizeof(r->binding));
	r->binding.seg_a = x->seg_client;
	r->binding.seg_b = x->seg_server;
	r->binding.a.src = x->x.addr;
	r->binding.a.sport = x->x.port;
	r->binding.b.src = x->t.addr;
	r->binding.b.sport = x->t.port;
	r->binding.proto = x->t.proto;
}

/* ---- translations ------------------------------------------------------ */

static int xlat_find(const struct np_det_correlator *c, const struct det_ep *t)
{
	for (unsigned int i = 0; i < c->n_xlat; i++)
		if (c->xlat[i].used && det_ep_eq(&c->xlat[i].t, t))
			return (int)i;
	return -1;
}

/* Is @p a a server's public address (static NAT, or learned destination NAT)? */
static bool is_server_public(const struct np_det_correlator *c, const struct np_addr *a)
{
	for (unsigned int i = 0; i < c->conf.n_static; i++)
		if (addr_eq(&c->conf.static_nat[i].pub, a))
			return true;
	for (unsigned int i = 0; i < c->n_xlat; i++)
		if (c->xlat[i].used && addr_eq(&c->xlat[i].server_pub.addr, a))
			return true;
	return false;
}

/* A port something was seen listening on (a connection to it was answered). */
static void service_add(struct np_det_correlator *c, const struct det_ep *e)
{
	uint64_t h = key_hash(KEY_SEED, e, sizeof(*e));

	c->service_ports[h % DET_MAX_SERVICE_PORTS] = *e;
}

static bool service_known(const struct np_det_correlator *c, const struct det_ep *e)
{
	uint64_t h = key_hash(KEY_SEED, e, sizeof(*e));

	if (det_ep_eq(&c->service_ports[h % DET_MAX_SERVICE_PORTS], e))
		return true;
	/* What clients dial through a known translation is a service too. */
	for (unsigned int i = 0; i < c->n_xlat; i++)
		if (c->xlat[i].used && det_ep_eq(&c->xlat[i].server_pub, e))
			return true;
	return false;
}

/* ---- anomaly rules ----------------------------------------------------- */

static void raise_hairpin(struct np_det_correlator *c, int xi, uint64_t ts_ns,
			  const struct np_det_tuple *server_flow)
{
	struct det_xlat *x = &c->xlat[xi];
	struct np_det_record *r;
	char t[NP_DET_EP_LEN], xs[NP_DET_EP_LEN], sp[NP_DET_EP_LEN], sv[NP_DET_EP_LEN];
	char line[512];

	if (dedupe(c, key_hash(key_hash_str(KEY_SEED, "hairpin"), &x->t, sizeof(x->t))))
		return;
	r = rec_new(c, NP_DET_KIND_ANOMALY, NP_DET_HAIRPIN_SNAT, NP_DET_SEV_CRITICAL,
		    x->seg_server, ts_ns);
	r->has_flow = true;
	r->flow = *server_flow;
	det_ep_str(&x->t, r->endpoint, sizeof(r->endpoint));
	rec_set_binding(c, r, xi);
	det_ep_str(&x->t, t, sizeof(t));
	det_ep_str(&x->x, xs, sizeof(xs));
	det_ep_str(&x->server_pub, sp, sizeof(sp));
	det_ep_str(&x->server, sv, sizeof(sv));
	if (x->x.port != 0)
		snprintf(r->detail, sizeof(r->detail),
			 "%s receives a connection from %s, its own public address: the firewall "
			 "reflects %s's connection to %s and translates its source too (%s on %s "
			 "is %s on %s)", sv, t, xs, sp, xs, seg_name(c, x->seg_client), t,
			 seg_name(c, x->seg_server));
	else
		snprintf(r->detail, sizeof(r->detail),
			 "%s receives a connection from %s, its own public address (static NAT): "
			 "the firewall reflects the connection and translates its source too", sv,
			 t);
	det_emit(c, r);
	x->hairpin_rec = r->id;
	snprintf(line, sizeof(line), "%s -> %s leaves the firewall as %s -> %s (source translated)",
		 xs, sp, t, sv);
	remember(c, r, xi, &x->t, NULL, line);
}

/*
 * Did the owner of translation @p x send the message that named its own
 * translated endpoint? A client that learned its public mapping (STUN,
 * rport, a configured public address) rightly advertises it in its Via and
 * Contact: that is how NAT traversal is meant to work, not a misroute.
 */
static bool named_by_owner(const struct det_named *n, const struct det_xlat *x)
{
	struct det_ep from = ep_of(&n->flow.src, n->flow.sport, x->t.proto);

	return det_ep_eq(&from, &x->t) || (x->x.port != 0 && det_ep_eq(&from, &x->x));
}

static void raise_translated_route(struct np_det_correlator *c, struct det_named *n, int xi,
				   bool public_only)
{
	struct np_det_record *r;
	char ep[NP_DET_EP_LEN], xs[NP_DET_EP_LEN], line[512];

	if (n->reported || (xi >= 0 && named_by_owner(n, &c->xlat[xi])))
		return;
	/* With a binding: once per message and value. Without: once per endpoint. */
	if (xi >= 0 ? dedupe(c, key_hash_str(key_hash_str(key_hash_str(key_hash_str(KEY_SEED, "troute"), n->call_id),
						n->cseq), n->value))
		    : dedupe(c, key_hash(key_hash_str(KEY_SEED, "troute-pub"), &n->ep, sizeof(n->ep))))
		return;
	n->reported = true;
	r = rec_new(c, NP_DET_KIND_ANOMALY, NP_DET_TRANSLATED_ROUTE,
		    public_only ? NP_DET_SEV_WARNING : NP_DET_SEV_CRITICAL, n->segment, n->ts_ns);
	r->has_flow = true;
	r->flow = n->flow;
	rec_set_sip(r, n->method, n->call_id, n->cseq, np_det_hdr_name(n->hdr), n->value);
	det_ep_str(&n->ep, ep, sizeof(ep));
	det_copy_str(r->endpoint, sizeof(r->endpoint), ep);
	if (xi >= 0) {
		rec_set_binding(c, r, xi);
		det_ep_str(&c->xlat[xi].x, xs, sizeof(xs));
		snprintf(r->detail, sizeof(r->detail),
			 "%s names %s, the firewall's translation of %s: an address that exists "
			 "only as a NAT binding", np_det_hdr_name(n->hdr), ep, xs);
	} else if (!public_only) {
		snprintf(r->detail, sizeof(r->detail),
			 "%s names %s, which the translation table holds as a translated source: an "
			 "address that exists only as a NAT binding", np_det_hdr_name(n->hdr), ep);
	} else {
		snprintf(r->detail, sizeof(r->detail),
			 "%s names %s, a server's public address with a port nothing listens on, "
			 "seen from inside the NAT", np_det_hdr_name(n->hdr), ep);
	}
	det_emit(c, r);
	snprintf(line, sizeof(line), "%s (CSeq %s): %s %s", n->method, n->cseq,
		 np_det_hdr_name(n->hdr), n->value);
	remember(c, r, xi, &n->ep, n->call_id, line);
}

static void raise_phantom(struct np_det_correlator *c, struct det_refusal *f, int xi,
			  const struct det_named *n)
{
	const struct np_flow_event *ev = &f->ev;
	struct det_ep tgt = ep_of(&ev->dst, ev->dport, ev->proto);
	struct np_det_record *r;
	char ep[NP_DET_EP_LEN], src[NP_DET_EP_LEN], xs[NP_DET_EP_LEN], how[64], line[512];
	bool refused = ev->type == NP_FLOW_EV_TCP_REFUSED;

	if (f->reported)
		return;
	f->reported = true;
	r = rec_new(c, NP_DET_KIND_ANOMALY, NP_DET_PHANTOM_CONNECT,
		    xi >= 0 ? NP_DET_SEV_CRITICAL : NP_DET_SEV_WARNING, ev->segment, ev->ts_ns);
	r->has_flow = true;
	r->flow.src = ev->src;
	r->flow.dst = ev->dst;
	r->flow.sport = ev->sport;
	r->flow.dport = ev->dport;
	r->flow.proto = ev->proto;
	det_ep_str(&tgt, ep, sizeof(ep));
	np_endpoint_str(&ev->src, ev->sport, src, sizeof(src));
	det_copy_str(r->endpoint, sizeof(r->endpoint), ep);
	if (refused) {
		r->delay_ms = (int64_t)(ev->refused.delay_ns / NS_PER_MS);
		snprintf(how, sizeof(how), "refused by %s after %" PRId64 " ms",
			 ev->refused.reason == NP_FLOW_REFUSED_RST ? "TCP RST" : "ICMP unreachable",
			 r->delay_ms);
	} else {
		snprintf(how, sizeof(how), "never answered (%u SYN retransmissions)",
			 ev->unanswered.syn_retx);
	}
	if (xi >= 0) {
		rec_set_binding(c, r, xi);
		det_ep_str(&c->xlat[xi].x, xs, sizeof(xs));
		snprintf(r->detail, sizeof(r->detail),
			 "%s connects to %s, which exists only as the firewall's translation of "
			 "%s: %s", src, ep, xs, how);
	} else {
		snprintf(r->detail, sizeof(r->detail),
			 "%s connects to %s, which %s of %s just named: %s", src, ep,
			 np_det_hdr_name(n->hdr), n->method, how);
	}
	if (n != NULL)
		rec_set_sip(r, n->method, n->call_id, n->cseq, np_det_hdr_name(n->hdr), n->value);
	det_emit(c, r);
	snprintf(line, sizeof(line), "SYN %s -> %s, %s", src, ep,
		 refused ? (ev->refused.reason == NP_FLOW_REFUSED_RST ? "RST" : "ICMP unreachable")
			 : "no answer");
	remember(c, r, xi, &tgt, n ? n->call_id : NULL, line);
}

static struct det_named *named_find(struct np_det_correlator *c, const struct det_ep *ep)
{
	uint64_t h = key_hash(KEY_SEED, ep, sizeof(*ep));
	struct det_named *n = &c->named[h % DET_MAX_NAMED];

	if (n->used && det_ep_eq(&n->ep, ep) && c->now_ns - n->ts_ns <= DET_NAMED_WINDOW_NS)
		return n;
	return NULL;
}

/* A learned or static translation: check everything recent against it. */
static void xlat_learned(struct np_det_correlator *c, int xi)
{
	struct det_xlat *x = &c->xlat[xi];

	for (unsigned int i = 0; i < DET_MAX_NAMED; i++) {
		struct det_named *n = &c->named[i];

		if (n->used && !n->reported && det_ep_eq(&n->ep, &x->t) &&
		    c->now_ns - n->ts_ns <= DET_NAMED_WINDOW_NS)
			raise_translated_route(c, n, xi, false);
	}
	for (unsigned int i = 0; i < DET_MAX_REFUSALS; i++) {
		struct det_refusal *f = &c->refusals[i];
		struct det_ep tgt;

		if (!f->used || f->reported)
			continue;
		tgt = ep_of(&f->ev.dst, f->ev.dport, f->ev.proto);
		if (det_ep_eq(&tgt, &x->t))
			raise_phantom(c, f, xi, named_find(c, &tgt));
	}
}

/* Orient a binding: which side is the client (pre-NAT) and which the server. */
/* Write the record of binding @p b (as the learner holds it now). */
static void write_binding(struct np_det_correlator *c, const struct np_nat_binding *b)
{
	struct np_det_record *r;

	r = rec_new(c, NP_DET_KIND_BINDING, NP_DET_BINDING_LEARNED, NP_DET_SEV_INFO, -1,
		    b->first_seen_ns);
	r->has_binding = true;
	r->binding = *b;
	{
		char as[NP_DET_EP_LEN], ad[NP_DET_EP_LEN], bs[NP_DET_EP_LEN], bd[NP_DET_EP_LEN];

		np_endpoint_str(&b->a.src, b->a.sport, as, sizeof(as));
		np_endpoint_str(&b->a.dst, b->a.dport, ad, sizeof(ad));
		np_endpoint_str(&b->b.src, b->b.sport, bs, sizeof(bs));
		np_endpoint_str(&b->b.dst, b->b.dport, bd, sizeof(bd));
		snprintf(r->detail, sizeof(r->detail), "%s %s -> %s is %s %s -> %s%s%s",
			 seg_name(c, b->seg_a), as, ad, seg_name(c, b->seg_b), bs, bd,
			 (b->changed & NP_NAT_CHANGED_SRC) ? " (source translated)" : "",
			 (b->changed & NP_NAT_CHANGED_DST) ? " (destination translated)" : "");
	}
	det_emit(c, r);
	c->binding_rec[b->id % DET_MAX_XLAT] = r->id;
	for (unsigned int i = 0; i < c->n_xlat; i++)
		if (c->xlat[i].used && c->xlat[i].binding_id == b->id)
			c->xlat[i].binding_rec = r->id;
}

/*
 * Binding records wait until the join window has passed: a second flow with
 * the same fingerprint inside it makes the join ambiguous (the learner
 * withdraws it: no record), and the other direction's first payload, which
 * gives the sequence-number offset, usually arrives within it too.
 */
static void flush_bindings(struct np_det_correlator *c, bool all)
{
	unsigned int kept = 0;

	for (unsigned int i = 0; i < c->n_pending_bindings; i++) {
		const struct np_nat_binding *p = &c->pending_bindings[i];
		struct np_nat_binding now;

		if (!all && c->now_ns < p->first_seen_ns + c->binding_window_ns) {
			c->pending_bindings[kept++] = *p;
			continue;
		}
		if (np_nat_binding_find(c->learner, p->seg_a, p->proto, &p->a, &now) &&
		    now.id == p->id) {
			write_binding(c, &now);
			continue;
		}
		/* Withdrawn: forget the translation it announced. */
		for (unsigned int k = 0; k < c->n_xlat; k++)
			if (c->xlat[k].used && c->xlat[k].binding_id == p->id)
				c->xlat[k].used = false;
	}
	c->n_pending_bindings = kept;
}

static void on_binding(struct np_det_correlator *c, const struct np_nat_binding *b)
{
	const struct np_nat_tuple *cl, *sv;
	uint8_t seg_cl, seg_sv;
	struct det_xlat *x;
	int xi;

	if (c->n_pending_bindings == DET_MAX_PENDING_BINDINGS)
		flush_bindings(c, true);
	c->pending_bindings[c->n_pending_bindings++] = *b;
	{
		struct det_live *lv = &c->live[b->id % DET_MAX_LIVE];

		lv->id = b->id;
		lv->mask = 3;
		lv->proto = b->proto;
		lv->seg_a = b->seg_a;
		lv->seg_b = b->seg_b;
		lv->a = b->a;
		lv->b = b->b;
	}
	if (!(b->changed & NP_NAT_CHANGED_SRC))
		return;
	/* The client side is the one whose destination is the public (dialled) address. */
	if (np_nat_addr_is_private(&b->a.dst) && !np_nat_addr_is_private(&b->b.dst)) {
		cl = &b->b;
		sv = &b->a;
		seg_cl = b->seg_b;
		seg_sv = b->seg_a;
	} else {
		cl = &b->a;
		sv = &b->b;
		seg_cl = b->seg_a;
		seg_sv = b->seg_b;
	}
	if (c->n_xlat == DET_MAX_XLAT) {
		/* Full: drop the oldest half; their findings are already written. */
		memmove(c->xlat, c->xlat + DET_MAX_XLAT / 2, sizeof(c->xlat[0]) * DET_MAX_XLAT / 2);
		c->n_xlat = DET_MAX_XLAT / 2;
	}
	xi = (int)c->n_xlat++;
	x = &c->xlat[xi];
	memset(x, 0, sizeof(*x));
	x->used = true;
	x->t = ep_of(&sv->src, sv->sport, b->proto);
	x->x = ep_of(&cl->src, cl->sport, b->proto);
	x->server_pub = ep_of(&cl->dst, cl->dport, b->proto);
	x->server = ep_of(&sv->dst, sv->dport, b->proto);
	x->seg_client = seg_cl;
	x->seg_server = seg_sv;
	x->binding_id = b->id;
	x->binding_rec = 0;
	x->ts_ns = b->first_seen_ns;
	/* NAT reflection with source translation: the server sees its own public address. */
	if (addr_eq(&sv->src, &cl->dst)) {
		struct np_det_tuple f = {
			.src = sv->src, .dst = sv->dst, .sport = sv->sport, .dport = sv->dport,
			.proto = b->proto,
		};

		raise_hairpin(c, xi, b->first_seen_ns, &f);
	}
	xlat_learned(c, xi);
}

/* One-segment view with static NAT: a flow from the public address of its own server. */
static void check_static_hairpin(struct np_det_correlator *c, const struct np_flow_event *ev)
{
	for (unsigned int i = 0; i < c->conf.n_static; i++) {
		const struct np_static_nat *s = &c->conf.static_nat[i];
		struct det_xlat *x;
		struct np_det_tuple f;
		struct det_ep t;
		int xi;

		if (!addr_eq(&s->pub, &ev->src) || !addr_eq(&s->priv, &ev->dst))
			continue;
		t = ep_of(&ev->src, ev->sport, ev->proto);
		if (xlat_find(c, &t) >= 0)
			return;
		if (c->n_xlat == DET_MAX_XLAT)
			return;
		xi = (int)c->n_xlat++;
		x = &c->xlat[xi];
		memset(x, 0, sizeof(*x));
		x->used = true;
		x->t = ep_of(&ev->src, ev->sport, ev->proto);
		memset(&x->x, 0, sizeof(x->x));	/* the client is not seen on this segment */
		x->x.proto = ev->proto;
		x->server_pub = ep_of(&s->pub, ev->dport, ev->proto);
		x->server = ep_of(&ev->dst, ev->dport, ev->proto);
		x->seg_client = ev->segment;
		x->seg_server = ev->segment;
		x->ts_ns = ev->ts_ns;
		f.src = ev->src;
		f.dst = ev->dst;
		f.sport = ev->sport;
		f.dport = ev->dport;
		f.proto = ev->proto;
		raise_hairpin(c, xi, ev->ts_ns, &f);
		xlat_learned(c, xi);
		return;
	}
}

/* A flow left a worker's table: its binding starts its grace once both have. */
static void flow_gone(struct np_det_correlator *c, const struct np_flow_event *ev)
{
	struct np_nat_tuple t = { .src = ev->src, .dst = ev->dst, .sport = ev->sport,
				  .dport = ev->dport };
	struct np_nat_binding b;
	struct det_live *lv;

	if (!np_nat_binding_find(c->learner, ev->segment, ev->proto, &t, &b))
		return;
	lv = &c->live[b.id % DET_MAX_LIVE];
	if (lv->id != b.id)
		return;
	lv->mask &= (uint8_t)~(ev->segment == lv->seg_a ? 1u : 2u);
	np_nat_flow_seen(c->learner, ev->segment, ev->proto, &t, ev->ts_ns);
	if (lv->mask == 0)
		lv->id = 0;
}

/*
 * Once a second: keep bindings whose flows are alive, let the learner drop
 * the others after its grace period (and their translation table entries).
 */
static void expire_bindings(struct np_det_correlator *c, uint64_t now_ns)
{
	if (now_ns < c->next_expire_ns)
		return;
	c->next_expire_ns = now_ns + DET_EXPIRE_EVERY_NS;
	if (np_nat_learner_stats(c->learner)->v[NP_NAT_STAT_BINDINGS_ACTIVE] == 0)
		return;		/* nothing learned: nothing to walk */
	for (unsigned int i = 0; i < DET_MAX_LIVE; i++) {
		const struct det_live *lv = &c->live[i];

		if (lv->id != 0)
			np_nat_flow_seen(c->learner, (lv->mask & 1) ? lv->seg_a : lv->seg_b,
					 lv->proto, (lv->mask & 1) ? &lv->a : &lv->b, now_ns);
	}
	np_nat_expire(c->learner, now_ns);
}

void np_det_correlator_flow(struct np_det_correlator *c, const struct np_flow_event *ev)
{
	struct np_nat_binding b;

	c->stats.flow_events++;
	if (ev->ts_ns > c->now_ns)
		c->now_ns = ev->ts_ns;
	switch (ev->type) {
	case NP_FLOW_EV_NEW:
		check_static_hairpin(c, ev);
		break;
	case NP_FLOW_EV_FINGERPRINT: {
		struct np_nat_fp fp = {
			.segment = ev->segment, .proto = ev->proto, .dir = ev->dir,
			.src = ev->src, .dst = ev->dst, .sport = ev->sport, .dport = ev->dport,
			.hash = ev->fp.hash, .len = ev->fp.len, .tcp_seq = ev->fp.seq,
			.ts_ns = ev->ts_ns,
		};

		if (np_nat_fingerprint(c->learner, &fp, &b) == 1)
			on_binding(c, &b);
		break;
	}
	case NP_FLOW_EV_EXPIRED:
		flow_gone(c, ev);
		break;
	case NP_FLOW_EV_TCP_ESTABLISHED: {
		struct det_ep svc = ep_of(&ev->dst, ev->dport, ev->proto);

		service_add(c, &svc);
		break;
	}
	case NP_FLOW_EV_TCP_REFUSED:
	case NP_FLOW_EV_TCP_UNANSWERED: {
		struct det_refusal *f = &c->refusals[c->refusal_next++ % DET_MAX_REFUSALS];
		struct det_ep tgt = ep_of(&ev->dst, ev->dport, ev->proto);
		struct det_named *n = named_find(c, &tgt);
		int xi = xlat_find(c, &tgt);

		f->used = true;
		f->reported = false;
		f->ev = *ev;
		if (xi >= 0 || n != NULL)
			raise_phantom(c, f, xi, n);
		break;
	}
	default:
		break;
	}
}

/* ---- SIP --------------------------------------------------------------- */

static void remember_named(struct np_det_correlator *c, const struct np_det_sip *s,
			   const struct np_det_addr *a)
{
	struct det_ep ep = ep_of(&a->addr, a->port ? a->port : 5060, s->flow.proto);
	uint64_t h = key_hash(KEY_SEED, &ep, sizeof(ep));
	struct det_named *n = &c->named[h % DET_MAX_NAMED];
	int xi;

	if (n->used && det_ep_eq(&n->ep, &ep) && c->now_ns - n->ts_ns <= DET_NAMED_WINDOW_NS &&
	    strcmp(n->call_id, s->call_id) == 0)
		return;		/* same message seen again (other segment, retransmission) */
	memset(n, 0, sizeof(*n));
	n->used = true;
	n->ep = ep;
	n->ts_ns = s->ts_ns;
	n->flow = s->flow;
	n->segment = (int8_t)s->segment;
	n->hdr = a->hdr;
	det_copy_str(n->method, sizeof(n->method), s->is_request ? s->method_text : s->cseq_text);
	det_copy_str(n->call_id, sizeof(n->call_id), s->call_id);
	det_copy_str(n->cseq, sizeof(n->cseq), s->cseq_text);
	det_copy_str(n->value, sizeof(n->value), a->value);
	xi = xlat_find(c, &ep);
	if (xi >= 0) {
		raise_translated_route(c, n, xi, false);
		return;
	}
	/*
	 * The worker's lookup in the shared translation table found a translated
	 * source this thread no longer keeps details of (its own table is
	 * bounded): still a misroute, reported without the binding.
	 */
	if (a->xlat_kind == NP_NAT_X_SNAT_SOURCE) {
		raise_translated_route(c, n, -1, false);
		return;
	}
	/*
	 * A route set naming a server's own public address on a port nothing was
	 * seen listening on. (Not Via or Contact: a server behind static NAT
	 * rightly advertises its public address there.)
	 */
	if ((a->hdr == NP_DET_H_ROUTE || a->hdr == NP_DET_H_RECORD_ROUTE ||
	     a->hdr == NP_DET_H_PATH || a->hdr == NP_DET_H_SERVICE_ROUTE) && a->port != 0 &&
	    is_server_public(c, &a->addr) && !service_known(c, &ep))
		raise_translated_route(c, n, -1, true);
}

static void check_private(struct np_det_correlator *c, const struct np_det_sip *s)
{
	if (np_nat_addr_is_private(&s->flow.src))
		return;
	for (unsigned int i = 0; i < s->n_addrs; i++) {
		const struct np_det_addr *a = &s->addrs[i];
		bool ipaddr = a->host_type == NP_SIP_HOST_IPV4 || a->host_type == NP_SIP_HOST_IPV6;
		struct np_det_record *r;
		char src[NP_DET_EP_LEN], ab[48];
		uint8_t type;

		if (!ipaddr || !np_nat_addr_is_private(&a->addr))
			continue;
		if ((a->hdr == NP_DET_H_VIA && a->index == 0) || a->hdr == NP_DET_H_CONTACT)
			type = NP_DET_PRIVATE_VIA_CONTACT;
		else if (a->hdr == NP_DET_H_SDP_C)
			type = NP_DET_SDP_ADDRESS_MISMATCH;
		else
			continue;
		if (dedupe(c, key_hash_str(key_hash_str(key_hash_str(key_hash_str(KEY_SEED, "private"), s->call_id),
					      s->cseq_text), a->value)))
			continue;
		r = rec_new(c, NP_DET_KIND_ANOMALY, type, NP_DET_SEV_WARNING, s->segment, s->ts_ns);
		r->has_flow = true;
		r->flow = s->flow;
		rec_set_sip(r, s->is_request ? s->method_text : s->cseq_text, s->call_id,
			    s->cseq_text, np_det_hdr_name(a->hdr), a->value);
		np_endpoint_str(&s->flow.src, s->flow.sport, src, sizeof(src));
		np_addr_str(&a->addr, ab, sizeof(ab));
		det_copy_str(r->endpoint, sizeof(r->endpoint), ab);
		if (type == NP_DET_SDP_ADDRESS_MISMATCH)
			snprintf(r->detail, sizeof(r->detail),
				 "SDP c= is the private address %s but the message came from %s: "
				 "media will be sent where it cannot arrive (one-way or no audio)",
				 ab, src);
		else
			snprintf(r->detail, sizeof(r->detail),
				 "%s%s names the private address %s but the message came from the "
				 "public address %s: the sender is behind a NAT it does not know of",
				 a->hdr == NP_DET_H_VIA ? "top " : "", np_det_hdr_name(a->hdr), ab,
				 src);
		det_emit(c, r);
		remember(c, r, -1, NULL, s->call_id, r->detail);
	}
}

static uint64_t msg_key(const struct np_det_sip *s, bool with_status)
{
	uint64_t h = key_hash_str(key_hash_str(key_hash_str(KEY_SEED, s->call_id), s->cseq_text), s->branch);

	if (with_status)
		h = key_hash(h, &s->status, sizeof(s->status));
	return h ? h : 1;
}

static void check_alg(struct np_det_correlator *c, const struct np_det_sip *s)
{
	/* What an ALG rewrote can only be seen on the wire on both sides. */
	if (s->from_log)
		return;
	uint64_t key = msg_key(s, true);
	struct det_sighting *g = &c->sightings[key % DET_MAX_SIGHTINGS];
	struct np_det_record *r;
	char what[256] = "";
	size_t off = 0;

	if (!g->used || g->key != key || s->ts_ns - g->ts_ns > DET_NAMED_WINDOW_NS) {
		memset(g, 0, sizeof(*g));
		g->used = true;
		g->key = key;
		g->segment = (int8_t)s->segment;
		g->msg_hash = s->msg_hash;
		memcpy(g->hdr_hash, s->hdr_hash, sizeof(g->hdr_hash));
		g->ts_ns = s->ts_ns;
		return;
	}
	if (g->segment == s->segment || g->msg_hash == s->msg_hash || g->reported)
		return;
	g->reported = true;
	for (unsigned int h = 0; h < NP_DET_H_MAX; h++)
		if (g->hdr_hash[h] != s->hdr_hash[h])
			off += (size_t)snprintf(what + off, sizeof(what) - off, "%s%s",
						off ? ", " : "", np_det_hdr_name(h));
	r = rec_new(c, NP_DET_KIND_ANOMALY, NP_DET_ALG_REWRITE, NP_DET_SEV_WARNING, s->segment,
		    s->ts_ns);
	r->has_flow = true;
	r->flow = s->flow;
	rec_set_sip(r, s->is_request ? s->method_text : s->cseq_text, s->call_id, s->cseq_text,
		    "", "");
	snprintf(r->detail, sizeof(r->detail),
		 "the same SIP message (Call-ID %s, CSeq %s) differs between %s and %s: %s%s; a "
		 "SIP ALG in the firewall rewrote it", s->call_id, s->cseq_text,
		 seg_name(c, g->segment), seg_name(c, s->segment),
		 off ? what : "bytes outside the address headers",
		 off ? " changed" : " changed");
	det_emit(c, r);
	remember(c, r, -1, NULL, s->call_id, r->detail);
}

static struct det_txn *txn_slot(struct np_det_correlator *c, uint64_t key)
{
	return &c->txn[key % DET_MAX_TXN];
}

static void raise_timeout(struct np_det_correlator *c, struct det_txn *t,
			  const struct np_det_sip *resp, uint64_t now_ns, bool fast,
			  const char *why)
{
	struct np_det_record *r;
	char line[512];

	if (t->reported)
		return;
	t->reported = true;
	r = rec_new(c, NP_DET_KIND_ANOMALY, NP_DET_SIP_TIMEOUT, NP_DET_SEV_WARNING,
		    resp ? resp->segment : t->segment, resp ? resp->ts_ns : now_ns);
	r->has_flow = true;
	r->flow = resp ? resp->flow : t->flow;
	rec_set_sip(r, t->method, t->call_id, t->cseq, resp && resp->warning_code ? "Warning" : "",
		    "");
	if (resp != NULL && resp->warning_code)
		snprintf(r->sip.value, sizeof(r->sip.value), "%u %s", resp->warning_code,
			 resp->warning_agent);
	det_copy_str(r->timeout_kind, sizeof(r->timeout_kind), fast ? "fast" : "timer");
	r->delay_ms = (int64_t)(((resp ? resp->ts_ns : now_ns) - t->req_ns) / NS_PER_MS);
	if (resp != NULL)
		snprintf(r->detail, sizeof(r->detail),
			 "%s (Call-ID %s) answered %u after %" PRId64 " ms: %s timeout (%s)",
			 t->method, t->call_id, resp->status, r->delay_ms, fast ? "fast" : "timer",
			 why);
	else
		snprintf(r->detail, sizeof(r->detail),
			 "%s (Call-ID %s) got no final answer in %" PRId64 " ms (64 x T1)",
			 t->method, t->call_id, r->delay_ms);
	det_emit(c, r);
	snprintf(line, sizeof(line), "%u to %s (%s timeout, %" PRId64 " ms after the request)",
		 resp ? resp->status : 0, t->cseq, fast ? "fast" : "timer", r->delay_ms);
	remember(c, r, -1, NULL, t->call_id, line);
}

/* Did the host that sent @p resp just fail to connect somewhere? */
static bool responder_refused(const struct np_det_correlator *c, const struct np_det_sip *resp,
			      uint64_t since_ns)
{
	for (unsigned int i = 0; i < DET_MAX_REFUSALS; i++) {
		const struct det_refusal *f = &c->refusals[i];

		if (f->used && f->ev.ts_ns >= since_ns && f->ev.ts_ns <= resp->ts_ns &&
		    addr_eq(&f->ev.src, &resp->flow.src))
			return true;
	}
	return false;
}

static void check_transaction(struct np_det_correlator *c, const struct np_det_sip *s)
{
	uint64_t key = msg_key(s, false);
	struct det_txn *t = txn_slot(c, key);

	if (s->is_request) {
		if (s->method == NP_SIP_M_ACK)
			return;
		if (t->used && t->key == key)
			return;		/* retransmission, or the other segment's copy */
		if (t->used && !t->final_seen)
			c->stats.transactions_dropped++;
		memset(t, 0, sizeof(*t));
		t->used = true;
		t->key = key;
		t->req_ns = s->ts_ns;
		if (t->req_ns + 64 * c->t1_ns < c->txn_due_ns)
			c->txn_due_ns = t->req_ns + 64 * c->t1_ns;
		t->segment = (int8_t)s->segment;
		t->flow = s->flow;
		det_copy_str(t->method, sizeof(t->method), s->method_text);
		det_copy_str(t->call_id, sizeof(t->call_id), s->call_id);
		det_copy_str(t->cseq, sizeof(t->cseq), s->cseq_text);
		return;
	}
	if (!t->used || t->key != key || s->status < 200)
		return;
	t->final_seen = true;
	if (s->status == 408 || s->status == 503) {
		uint64_t delay = s->ts_ns - t->req_ns;
		bool refused = responder_refused(c, s, t->req_ns);
		bool w399 = s->warning_code == 399;
		bool fast = refused || w399 || delay < DET_FAST_FAILURE_NS;
		char why[160];

		snprintf(why, sizeof(why), "%s%s%s",
			 refused ? "the responder's connection to the next hop was refused" : "",
			 refused && w399 ? "; " : "",
			 w399 ? "Warning 399: generated locally by the responder" :
				(!refused ? (fast ? "answered faster than a SIP timer" :
						    "answered after a SIP timer ran out")
					  : ""));
		raise_timeout(c, t, s, s->ts_ns, fast, why);
	}
}

void np_det_correlator_sip(struct np_det_correlator *c, const struct np_det_sip *s)
{
	c->stats.sip_messages++;
	if (s->ts_ns > c->now_ns)
		c->now_ns = s->ts_ns;
	for (unsigned int i = 0; i < s->n_addrs; i++) {
		const struct np_det_addr *a = &s->addrs[i];

		if (a->hdr == NP_DET_H_SDP_C)
			continue;
		/* Only the sender's own Via says something about routing; lower Vias and
		 * the Vias of responses are copies. */
		if (a->hdr == NP_DET_H_VIA && (!s->is_request || a->index > 0))
			continue;
		/* A registrar's answer lists the bindings it holds: the REGISTER that
		 * named them was checked already (and a phone may register the public
		 * mapping it learned, RFC 5626 / STUN); nothing routes by the echo. */
		if (a->hdr == NP_DET_H_CONTACT && !s->is_request &&
		    s->cseq_method == NP_SIP_M_REGISTER)
			continue;
		if (a->host_type == NP_SIP_HOST_IPV4 || a->host_type == NP_SIP_HOST_IPV6)
			remember_named(c, s, a);
	}
	check_private(c, s);
	check_alg(c, s);
	check_transaction(c, s);
}

/* ---- timers ------------------------------------------------------------ */

static void check_txn_timers(struct np_det_correlator *c, uint64_t now_ns)
{
	uint64_t limit = 64 * c->t1_ns;
	uint64_t due = UINT64_MAX;

	/* A full walk only when some timer may have run out: the sweep runs
	 * every 100 ms live and every few thousand frames offline. */
	if (now_ns < c->txn_due_ns)
		return;
	for (unsigned int i = 0; i < DET_MAX_TXN; i++) {
		struct det_txn *t = &c->txn[i];

		if (!t->used || t->final_seen || t->reported)
			continue;
		if (now_ns - t->req_ns >= limit)
			raise_timeout(c, t, NULL, now_ns, false, "no answer");
		else if (t->req_ns + limit < due)
			due = t->req_ns + limit;
	}
	c->txn_due_ns = due;
}

void np_det_correlator_tick(struct np_det_correlator *c, uint64_t now_ns)
{
	if (now_ns > c->now_ns)
		c->now_ns = now_ns;
	check_txn_timers(c, c->now_ns);
	flush_bindings(c, false);
	det_incident_flush(c, false);
	expire_bindings(c, c->now_ns);
}

void np_det_correlator_finish(struct np_det_correlator *c, uint64_t now_ns)
{
	if (now_ns > c->now_ns)
		c->now_ns = now_ns;
	check_txn_timers(c, c->now_ns);
	flush_bindings(c, true);
	det_incident_flush(c, true);
}

/* ---- life cycle -------------------------------------------------------- */

struct np_det_correlator *np_det_correlator_create(const struct np_det_correlator_conf *conf)
{
	struct np_nat_learner_conf lc;
	struct np_det_correlator *c;

	if (conf == NULL || conf->n_segments > NP_DET_MAX_SEGMENTS) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	/*
	 * Touch every page now (calloc's are untouched zero pages): the tables
	 * are resident from the start, so the process does not grow while they
	 * fill, and a machine short of memory fails here, not hours later.
	 */
	for (size_t off = 0; off < sizeof(*c); off += 4096)
		((volatile uint8_t *)c)[off] = 0;
	c->conf = *conf;
	c->t1_ns = conf->t1_ns ? conf->t1_ns : 500 * NS_PER_MS;
	c->settle_ns = conf->incident_settle_ns ? conf->incident_settle_ns : 2 * NS_PER_S;
	c->binding_window_ns = NP_NAT_DEFAULT_WINDOW_NS;
	c->txn_due_ns = UINT64_MAX;
	memset(&lc, 0, sizeof(lc));
	lc.max_bindings = conf->max_bindings;
	c->learner = np_nat_learner_create(&lc);
	if (c->learner == NULL) {
		int err = errno;

		free(c);
		errno = err;
		return NULL;
	}
	if (conf->xlat != NULL)
		np_nat_learner_attach_xlat(c->learner, conf->xlat);
	for (unsigned int i = 0; i < conf->n_static; i++)
		np_nat_add_static(c->learner, &conf->static_nat[i]);
	return c;
}

void np_det_correlator_destroy(struct np_det_correlator *c)
{
	if (c == NULL)
		return;
	np_nat_learner_free(c->learner);
	free(c);
}

const struct np_det_correlator_stats *np_det_correlator_stats(const struct np_det_correlator *c)
{
	return &c->stats;
}

struct np_nat_learner *np_det_correlator_learner(struct np_det_correlator *c)
{
	return c->learner;
}
