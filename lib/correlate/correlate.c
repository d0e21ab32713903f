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

#include "correlate_internal.h"
#include "np_mem.h"
#include "np_time.h"

#define DET_NAMED_WINDOW_NS (64ull * 500 * NP_NS_PER_MS) /* 64 x T1: a SIP transaction's life */
#define DET_FAST_FAILURE_NS (2ull * NP_NS_PER_S) /* a refused connect answers well within this */

static const char *const kind_names[] = { "anomaly", "incident", "binding" };
static const struct {
	const char *name;
	enum np_det_kind kind;
} types[NP_DET_TYPE_MAX] = {
#define TYPE_ROW(e, n, k) [NP_DET_##e] = { n, NP_DET_KIND_##k },
	NP_DET_TYPES(TYPE_ROW)
#undef TYPE_ROW
};
static const char *const sev_names[] = { "info", "warning", "critical" };

const char *np_det_kind_name(unsigned int kind)
{
	return kind < 3 ? kind_names[kind] : "unknown";
}

const char *np_det_type_name(unsigned int type)
{
	return type < NP_DET_TYPE_MAX ? types[type].name : "unknown";
}

const char *np_det_severity_name(unsigned int sev)
{
	return sev < 3 ? sev_names[sev] : "unknown";
}

const char *np_det_anomaly_type_name(unsigned int type)
{
	return type < NP_DET_TYPE_MAX && types[type].kind == NP_DET_KIND_ANOMALY ? types[type].name
										 : NULL;
}

const char *np_det_incident_type_name(unsigned int type)
{
	return type < NP_DET_TYPE_MAX && types[type].kind == NP_DET_KIND_INCIDENT ? types[type].name
										  : NULL;
}

#define CORR_OFF(member) NP_CTR_OFF(struct np_det_correlator_stats, member)
static const struct np_ctr_desc correlate_rows[] = {
	{ .name = "anomalies_total",
	  .help = "Anomalies raised, by type (docs/anomalies.md)",
	  .type = NP_CTR_COUNTER,
	  .label = "type",
	  .value_name = np_det_anomaly_type_name,
	  .first = 0,
	  .last = NP_DET_TYPE_MAX,
	  .off = CORR_OFF(anomalies[0]),
	  .step = sizeof(uint64_t) },
	{ .name = "incidents_total",
	  .help = "Incidents raised, by type",
	  .type = NP_CTR_COUNTER,
	  .label = "type",
	  .value_name = np_det_incident_type_name,
	  .first = 0,
	  .last = NP_DET_TYPE_MAX,
	  .off = CORR_OFF(incidents[0]),
	  .step = sizeof(uint64_t) },
	NP_CTR_ROW("control_sip_messages_total", "SIP summaries the control thread correlated",
		   NP_CTR_COUNTER, struct np_det_correlator_stats, sip_messages),
	NP_CTR_ROW("control_flow_events_total", "Flow events the control thread correlated",
		   NP_CTR_COUNTER, struct np_det_correlator_stats, flow_events),
	NP_CTR_ROW("transactions_dropped_total",
		   "SIP transactions forgotten before an answer because the table was full",
		   NP_CTR_COUNTER, struct np_det_correlator_stats, transactions_dropped),
};
#undef CORR_OFF

const struct np_ctr_table np_correlate_counters = {
	correlate_rows, sizeof(correlate_rows) / sizeof(correlate_rows[0])
};

/* ---- small helpers ---------------------------------------------------- */

/*
 * Keys of the correlator's tables: np_hash_bytes() chained, then mixed. The
 * tables are direct-mapped by key % size, and CRC is linear: without the
 * multiply, structured keys (neighbouring addresses and ports) would share
 * slots far more often than random ones and evict each other.
 */
static inline uint64_t key_hash(uint64_t h, const void *p, size_t len)
{
	return np_hash_mix64(np_hash_bytes(h, p, len));
}

static inline uint64_t key_hash_str(uint64_t h, const char *s)
{
	return np_hash_str(h, s); /* the length is part of the hash */
}

#define KEY_SEED 0xcbf29ce484222325ull

static inline uint64_t first_key(uint8_t segment, uint8_t proto, const struct np_addr *src,
				 uint16_t sport, const struct np_addr *dst, uint16_t dport)
{
	uint64_t h = key_hash(KEY_SEED ^ ((uint64_t)segment << 40 | (uint64_t)proto << 32 |
					  (uint64_t)sport << 16 | dport),
			      src, sizeof(*src));

	h = key_hash(h, dst, sizeof(*dst));
	return h ? h : 1;
}

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
	if (seg < 0 || (unsigned int)seg >= c->conf.n_segments ||
	    c->conf.segment_names[seg] == NULL)
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

/* ---- frames ------------------------------------------------------------ */

void det_frames_add(struct np_pkt_ref *list, uint8_t *n, unsigned int max,
		    const struct np_pkt_ref *ref)
{
	if (ref == NULL || ref->frame == 0)
		return;
	for (unsigned int i = 0; i < *n; i++)
		if (np_pkt_ref_eq(&list[i], ref))
			return;
	if (*n < max)
		list[(*n)++] = *ref;
}

static int cmp_ref(const void *x, const void *y)
{
	const struct np_pkt_ref *a = x, *b = y;

	if (a->segment != b->segment)
		return a->segment < b->segment ? -1 : 1;
	if (a->input != b->input)
		return a->input < b->input ? -1 : 1;
	return a->frame < b->frame ? -1 : a->frame > b->frame;
}

/* Remember the first frame of a flow (its NEW event). */
static void first_note(struct np_det_correlator *c, const struct np_flow_event *ev)
{
	uint64_t k;

	if (ev->ref.frame == 0)
		return;
	k = first_key(ev->segment, ev->proto, &ev->src, ev->sport, &ev->dst, ev->dport);
	c->first[k % DET_MAX_FIRST].key = k;
	c->first[k % DET_MAX_FIRST].ref = ev->ref;
}

/* The first frame of the flow initiated by src:sport to dst:dport, or NULL. */
static const struct np_pkt_ref *first_find(const struct np_det_correlator *c, uint8_t segment,
					   uint8_t proto, const struct np_addr *src, uint16_t sport,
					   const struct np_addr *dst, uint16_t dport)
{
	uint64_t k = first_key(segment, proto, src, sport, dst, dport);
	const struct det_first *f = &c->first[k % DET_MAX_FIRST];

	return f->key == k ? &f->ref : NULL;
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
	/* The same set in the same order whichever copy arrived first. */
	qsort(r->frames, r->n_frames, sizeof(r->frames[0]), cmp_ref);
	if (r->kind == NP_DET_KIND_ANOMALY)
		c->stats.anomalies[r->type]++;
	else if (r->kind == NP_DET_KIND_INCIDENT)
		c->stats.incidents[r->type]++;
	else
		c->stats.bindings++;
	if (c->conf.record != NULL)
		c->conf.record(c->conf.ctx, r);
}

struct det_anomaly *det_anomaly_get(struct np_det_correlator *c, uint32_t seq)
{
	struct det_anomaly *a = &c->anomalies[seq % DET_MAX_ANOMALIES];

	return seq != 0 && a->seq == seq ? a : NULL;
}

/* Remember an anomaly for incidents (its record may still collect repeats). */
static struct det_anomaly *remember(struct np_det_correlator *c, const struct np_det_record *r,
				    int xlat, const struct det_ep *ep, const char *call_id)
{
	uint32_t seq = ++c->next_seq ? c->next_seq : ++c->next_seq;
	struct det_anomaly *a = &c->anomalies[seq % DET_MAX_ANOMALIES];

	if (a->seq != 0 && a->finding >= 0) {
		/* The ring came round to a finding still open: write it first. */
		det_finding_close_anomaly(c, a);
	}
	memset(a, 0, sizeof(*a));
	a->seq = seq;
	a->finding = -1;
	a->id = r->id;
	a->type = r->type;
	a->ts_ns = r->ts_ns;
	a->xlat = xlat;
	a->segment = r->type == NP_DET_HAIRPIN_SNAT ? -1 : r->segment;
	if (ep != NULL)
		a->endpoint = *ep;
	det_copy_str(a->call_id, sizeof(a->call_id), call_id ? call_id : "");
	a->service = r->has_sip && (strcmp(r->sip.method, "SERVICE") == 0 ||
				    strstr(r->sip.cseq, " SERVICE") != NULL);
	return a;
}

/* ---- findings: one record per cause, with its repeats counted ---------- */

static void finding_close(struct np_det_correlator *c, struct det_finding *f)
{
	struct det_anomaly *a = det_anomaly_get(c, f->anomaly_seq);

	if (!f->used)
		return;
	f->used = false;
	det_emit(c, &f->rec);
	if (a != NULL) {
		a->id = f->rec.id;
		a->finding = -1;
		a->n_frames = 0;
		for (unsigned int i = 0; i < f->rec.n_frames; i++)
			det_frames_add(a->frames, &a->n_frames, NP_DET_ANOMALY_FRAMES,
				       &f->rec.frames[i]);
	}
}

void det_finding_close_anomaly(struct np_det_correlator *c, struct det_anomaly *a)
{
	if (a->finding >= 0 && a->finding < DET_MAX_FINDINGS &&
	    c->findings[a->finding].anomaly_seq == a->seq)
		finding_close(c, &c->findings[a->finding]);
	a->finding = -1;
}

/* Was message @p msg counted already? Counts it when not. */
static bool finding_seen(struct det_finding *f, uint64_t msg)
{
	for (unsigned int i = 0; i < DET_FINDING_MSGS && i < f->n_msgs; i++)
		if (f->msgs[i] == msg)
			return true;
	f->msgs[f->n_msgs++ % DET_FINDING_MSGS] = msg;
	return false;
}

/*
 * Report an anomaly. @p key names its cause (type, endpoint, header, ...):
 * repeats of one cause within the repeat window make one record with a
 * count. @p msg names the message or attempt that showed it, so that the
 * same message seen on two segments, or retransmitted, counts once. Of the
 * copies, the one with the lowest @p rank describes the record, so the
 * record does not depend on the order copies arrive in (live, workers and
 * rings interleave). @return the anomaly (new or the one collecting).
 */
static struct det_anomaly *report(struct np_det_correlator *c, struct np_det_record *r, int xlat,
				  const struct det_ep *ep, const char *call_id, uint64_t key,
				  uint64_t msg, uint32_t rank)
{
	struct det_finding *f = &c->findings[key % DET_MAX_FINDINGS];
	struct det_anomaly *a;

	r->count = 1;
	r->last_ns = r->ts_ns;
	if (f->used && f->key == key) {
		struct np_pkt_ref had[NP_DET_MAX_FRAMES];
		uint8_t n_had = f->rec.n_frames;

		memcpy(had, f->rec.frames, sizeof(had[0]) * n_had);
		a = det_anomaly_get(c, f->anomaly_seq);
		if (!finding_seen(f, msg)) {
			f->rec.count++;
			if (r->ts_ns > f->rec.last_ns)
				f->rec.last_ns = r->ts_ns;
		}
		if (r->ts_ns < f->rec.ts_ns)
			f->rec.ts_ns = r->ts_ns;
		if (rank < f->rank) {
			uint32_t count = f->rec.count;
			uint64_t first = f->rec.ts_ns, last = f->rec.last_ns;

			f->rec = *r;
			f->rec.count = count;
			f->rec.ts_ns = first;
			f->rec.last_ns = last;
			f->rank = rank;
			if (a != NULL) {
				a->segment = r->type == NP_DET_HAIRPIN_SNAT ? -1 : r->segment;
				if (xlat >= 0)
					a->xlat = xlat;
			}
		}
		/* Every copy's frames (the one describing the record first). */
		for (unsigned int i = 0; i < n_had; i++)
			det_frames_add(f->rec.frames, &f->rec.n_frames, NP_DET_ANOMALY_FRAMES,
				       &had[i]);
		for (unsigned int i = 0; i < r->n_frames; i++)
			det_frames_add(f->rec.frames, &f->rec.n_frames, NP_DET_ANOMALY_FRAMES,
				       &r->frames[i]);
		return a;
	}
	if (f->used)
		finding_close(c, f); /* another cause in its slot: written early */
	memset(f, 0, offsetof(struct det_finding, rec));
	f->used = true;
	f->key = key;
	f->rank = rank;
	f->msgs[f->n_msgs++] = msg;
	f->rec = *r;
	a = remember(c, r, xlat, ep, call_id);
	a->finding = (int)(f - c->findings);
	f->anomaly_seq = a->seq;
	if (r->ts_ns + c->window_ns < c->findings_due_ns)
		c->findings_due_ns = r->ts_ns + c->window_ns;
	det_incident_consider(c, a);
	return a;
}

static int cmp_finding_ts(const void *x, const void *y)
{
	const struct det_finding *a = *(struct det_finding *const *)x;
	const struct det_finding *b = *(struct det_finding *const *)y;

	if (a->rec.ts_ns != b->rec.ts_ns)
		return a->rec.ts_ns < b->rec.ts_ns ? -1 : 1;
	return a->key < b->key ? -1 : a->key > b->key;
}

/* Write the findings whose window has closed (all of them at finish), oldest first. */
static void findings_flush(struct np_det_correlator *c, bool all)
{
	struct det_finding *due[DET_MAX_FINDINGS];
	uint64_t next = UINT64_MAX;
	unsigned int n = 0;

	if (!all && c->now_ns < c->findings_due_ns)
		return;
	for (unsigned int i = 0; i < DET_MAX_FINDINGS; i++) {
		struct det_finding *f = &c->findings[i];

		if (!f->used)
			continue;
		if (all || c->now_ns >= f->rec.ts_ns + c->window_ns)
			due[n++] = f;
		else if (f->rec.ts_ns + c->window_ns < next)
			next = f->rec.ts_ns + c->window_ns;
	}
	qsort(due, n, sizeof(due[0]), cmp_finding_ts);
	for (unsigned int i = 0; i < n; i++)
		finding_close(c, due[i]);
	c->findings_due_ns = next;
}

/* Key of a finding: a type tag and up to three parts. */
static uint64_t cause_key(const char *tag, const void *a, size_t alen, const void *b, size_t blen,
			  const char *text)
{
	uint64_t h = key_hash_str(KEY_SEED, tag);

	if (a != NULL)
		h = key_hash(h, a, alen);
	if (b != NULL)
		h = key_hash(h, b, blen);
	if (text != NULL)
		h = key_hash_str(h, text);
	return h ? h : 1;
}

static void rec_set_sip(struct np_det_record *r, const char *method, uint16_t status,
			const char *call_id, const char *cseq, const char *header,
			const char *value)
{
	r->has_sip = true;
	det_copy_str(r->sip.method, sizeof(r->sip.method), method ? method : "");
	r->sip.status = status;
	det_copy_str(r->sip.call_id, sizeof(r->sip.call_id), call_id);
	det_copy_str(r->sip.cseq, sizeof(r->sip.cseq), cseq);
	det_copy_str(r->sip.header, sizeof(r->sip.header), header ? header : "");
	det_copy_str(r->sip.value, sizeof(r->sip.value), value ? value : "");
}

static void rec_set_binding(struct np_det_correlator *c, struct np_det_record *r, int xi)
{
	const struct det_xlat *x = &c->xlat[xi];

	memset(&r->binding, 0, sizeof(r->binding));
	det_record_xlat(r, x, x->x.port != 0 ? x->seg_client : x->seg_server);
}

/* What a message is called in a ladder line: its method, or its status and CSeq. */
static const char *msg_name(const char *method, uint16_t status, const char *cseq, char *buf,
			    size_t len)
{
	if (method != NULL && method[0] != '\0')
		return method;
	snprintf(buf, len, "%u (%s)", status, cseq);
	return buf;
}

/* ---- translations ------------------------------------------------------ */

static uint64_t ep_hash(const struct det_ep *e)
{
	return key_hash(KEY_SEED ^ ((uint64_t)e->port << 8 | e->proto), &e->addr, sizeof(e->addr));
}

/* The bucket of translation @p x in index @p which. */
static uint32_t xlat_bucket(const struct det_xlat *x, unsigned int which)
{
	uint64_t h;

	switch (which) {
	case DET_XI_T:
		h = ep_hash(&x->t);
		break;
	case DET_XI_PUB:
		h = ep_hash(&x->server_pub);
		break;
	case DET_XI_PUB_ADDR:
		h = key_hash(KEY_SEED, &x->server_pub.addr, sizeof(x->server_pub.addr));
		break;
	default:
		h = np_hash_mix64(x->binding_id);
		break;
	}
	return (uint32_t)(h % DET_XLAT_BUCKETS);
}

/* Add xlat[xi] (filled in) to every index. */
static void xlat_link(struct np_det_correlator *c, unsigned int xi)
{
	for (unsigned int w = 0; w < DET_XI_MAX; w++) {
		uint32_t b = xlat_bucket(&c->xlat[xi], w);

		c->xlat_next[w][xi] = c->xlat_head[w][b];
		c->xlat_head[w][b] = xi + 1;
	}
}

/* Take xlat[xi] (its keys as linked) out of every index. */
static void xlat_unlink(struct np_det_correlator *c, unsigned int xi)
{
	for (unsigned int w = 0; w < DET_XI_MAX; w++) {
		uint32_t *l = &c->xlat_head[w][xlat_bucket(&c->xlat[xi], w)];

		while (*l != 0 && *l != xi + 1)
			l = &c->xlat_next[w][*l - 1];
		if (*l != 0)
			*l = c->xlat_next[w][xi];
	}
}

/* Rebuild the indexes after xlat[] moved. */
static void xlat_reindex(struct np_det_correlator *c)
{
	memset(c->xlat_head, 0, sizeof(c->xlat_head));
	for (unsigned int i = 0; i < c->n_xlat; i++)
		if (c->xlat[i].used)
			xlat_link(c, i);
}

/* Each translation @p i in the chain of index @p which for hash @p h (callers check the key). */
#define XLAT_EACH(c, which, h, i)                                                   \
	for (uint32_t i##_l = (c)->xlat_head[which][(h) % DET_XLAT_BUCKETS], i = 0; \
	     i##_l != 0 && ((i = i##_l - 1), true); i##_l = (c)->xlat_next[which][i])

static int xlat_find(const struct np_det_correlator *c, const struct det_ep *t)
{
	int best = -1;

	XLAT_EACH(c, DET_XI_T, ep_hash(t), i)
	{
		if (c->xlat[i].used && det_ep_eq(&c->xlat[i].t, t) && (best < 0 || (int)i < best))
			best = (int)i;
	}
	return best;
}

/* Is @p a a server's public address (static NAT, or learned destination NAT)? */
static bool is_server_public(const struct np_det_correlator *c, const struct np_addr *a)
{
	for (unsigned int i = 0; i < c->conf.n_static; i++)
		if (addr_eq(&c->conf.static_nat[i].pub, a))
			return true;
	XLAT_EACH(c, DET_XI_PUB_ADDR, key_hash(KEY_SEED, a, sizeof(*a)), i)
	{
		if (c->xlat[i].used && addr_eq(&c->xlat[i].server_pub.addr, a))
			return true;
	}
	return false;
}

/*
 * The NAT natprobe knows of behind a message's source: the sender @p a
 * (private) is seen as @p src (the packet's source) through a static NAT,
 * a learned destination NAT (a server answering from its public address)
 * or a learned source translation. @return true when one explains it; @p xi
 * is then the translation's index in xlat[] (or -1 for static and DNAT).
 */
static bool nat_explains(const struct np_det_correlator *c, const struct np_det_tuple *f,
			 const struct np_addr *a, int *xi)
{
	struct det_ep from = ep_of(&f->src, f->sport, f->proto);
	struct np_nat_xlat_entry e;

	*xi = -1;
	for (unsigned int i = 0; i < c->conf.n_static; i++)
		if (addr_eq(&c->conf.static_nat[i].pub, &f->src) &&
		    addr_eq(&c->conf.static_nat[i].priv, a))
			return true;
	XLAT_EACH(c, DET_XI_T, ep_hash(&from), i)
	{
		if (c->xlat[i].used && det_ep_eq(&c->xlat[i].t, &from) &&
		    (c->xlat[i].x.port == 0 || addr_eq(&c->xlat[i].x.addr, a)) &&
		    (*xi < 0 || (int)i < *xi))
			*xi = (int)i;
	}
	if (*xi >= 0)
		return true;
	if (c->conf.xlat != NULL && np_nat_xlat_lookup(c->conf.xlat, &f->src, 0, 0, &e) &&
	    (e.kind == NP_NAT_X_DNAT_PUBLIC || e.kind == NP_NAT_X_STATIC_PUBLIC) &&
	    addr_eq(&e.orig, a))
		return true;
	return false;
}

/*
 * Services: endpoints something was seen listening on (a TCP connection to
 * it was answered, or it sent SIP over UDP from that port), and the
 * addresses that have at least one.
 */
static void service_add(struct np_det_correlator *c, const struct det_ep *e)
{
	uint64_t h = key_hash(KEY_SEED, e, sizeof(*e));
	uint64_t ha = key_hash(KEY_SEED, &e->addr, sizeof(e->addr));

	c->service_ports[h % DET_MAX_SERVICE_PORTS] = *e;
	c->service_addrs[ha % DET_MAX_SERVICE_PORTS] = e->addr;
}

static bool service_known(const struct np_det_correlator *c, const struct det_ep *e)
{
	uint64_t h = key_hash(KEY_SEED, e, sizeof(*e));

	if (det_ep_eq(&c->service_ports[h % DET_MAX_SERVICE_PORTS], e))
		return true;
	/* What clients dial through a known translation is a service too. */
	XLAT_EACH(c, DET_XI_PUB, ep_hash(e), i)
	{
		if (c->xlat[i].used && det_ep_eq(&c->xlat[i].server_pub, e))
			return true;
	}
	return false;
}

static bool service_addr_known(const struct np_det_correlator *c, const struct np_addr *a)
{
	uint64_t ha = key_hash(KEY_SEED, a, sizeof(*a));

	return addr_eq(&c->service_addrs[ha % DET_MAX_SERVICE_PORTS], a);
}

/* Endpoints that answered a SIP request: a request to them that gets no answer is news. */
static void responder_add(struct np_det_correlator *c, const struct det_ep *e)
{
	c->responders[key_hash(KEY_SEED, e, sizeof(*e)) % DET_MAX_RESPONDERS] = *e;
}

static bool responder_known(const struct np_det_correlator *c, const struct det_ep *e)
{
	return det_ep_eq(&c->responders[key_hash(KEY_SEED, e, sizeof(*e)) % DET_MAX_RESPONDERS], e);
}

/* Is the finding behind anomaly @p seq still collecting repeats? */
static bool still_open(struct np_det_correlator *c, uint32_t seq)
{
	const struct det_anomaly *a = det_anomaly_get(c, seq);

	return a != NULL && a->finding >= 0;
}

/* A translation was withdrawn (ambiguous join): what it alone made is dropped. */
static void findings_drop_xlat(struct np_det_correlator *c, int xi)
{
	for (unsigned int i = 0; i < DET_MAX_FINDINGS; i++) {
		struct det_finding *f = &c->findings[i];
		struct det_anomaly *a;

		if (!f->used)
			continue;
		a = det_anomaly_get(c, f->anomaly_seq);
		if (a == NULL || a->xlat != xi)
			continue;
		f->used = false;
		a->seq = 0;
	}
}

/* ---- anomaly rules ----------------------------------------------------- */

static void raise_hairpin(struct np_det_correlator *c, int xi, uint64_t ts_ns,
			  const struct np_det_tuple *server_flow)
{
	struct det_xlat *x = &c->xlat[xi];
	uint64_t key = cause_key("hairpin", &x->t, sizeof(x->t), NULL, 0, NULL);
	const struct det_finding *f = &c->findings[key % DET_MAX_FINDINGS];
	struct np_det_record *r;
	char t[NP_DET_EP_LEN], xs[NP_DET_EP_LEN], sp[NP_DET_EP_LEN], sv[NP_DET_EP_LEN];

	/* Once per translation; while open, a learned binding may improve a static one. */
	if (!(f->used && f->key == key) && dedupe(c, key))
		return;
	r = rec_new(c, NP_DET_KIND_ANOMALY, NP_DET_HAIRPIN_SNAT, NP_DET_SEV_CRITICAL, x->seg_server,
		    ts_ns);
	r->has_flow = true;
	r->flow = *server_flow;
	det_ep_str(&x->t, r->endpoint, sizeof(r->endpoint));
	rec_set_binding(c, r, xi);
	det_frames_add(r->frames, &r->n_frames, NP_DET_ANOMALY_FRAMES, &x->first[0]);
	det_frames_add(r->frames, &r->n_frames, NP_DET_ANOMALY_FRAMES, &x->first[1]);
	det_ep_str(&x->t, t, sizeof(t));
	det_ep_str(&x->server_pub, sp, sizeof(sp));
	det_ep_str(&x->server, sv, sizeof(sv));
	if (x->x.port != 0) {
		det_ep_str(&x->x, xs, sizeof(xs));
		snprintf(r->detail, sizeof(r->detail),
			 "%s receives a connection from %s, its own public address: the firewall "
			 "reflects %s's connection to %s and translates its source too (%s on %s "
			 "is %s on %s)",
			 sv, t, xs, sp, xs, seg_name(c, x->seg_client), t,
			 seg_name(c, x->seg_server));
	} else {
		snprintf(r->detail, sizeof(r->detail),
			 "%s receives a connection from %s, its own public address (static NAT): "
			 "the firewall reflects the connection and translates its source too",
			 sv, t);
	}
	report(c, r, xi, &x->t, NULL, key, key, x->x.port != 0 ? 0 : 1);
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
	char ep[NP_DET_EP_LEN], xs[NP_DET_EP_LEN];
	uint64_t key, msg;
	uint32_t rank;

	if (xi >= 0 && named_by_owner(n, &c->xlat[xi]))
		return;
	key = cause_key("troute", &n->ep, sizeof(n->ep), &n->hdr, sizeof(n->hdr), NULL);
	msg = cause_key(n->call_id, NULL, 0, NULL, 0, n->cseq);
	/* The copy seen where the translated address is followed (the client's side). */
	rank = (xi >= 0 ? (n->segment == c->xlat[xi].seg_client ? 0u : 1u) : 2u) << 8 |
	       (uint8_t)n->segment;
	r = rec_new(c, NP_DET_KIND_ANOMALY, NP_DET_TRANSLATED_ROUTE,
		    public_only ? NP_DET_SEV_WARNING : NP_DET_SEV_CRITICAL, n->segment, n->ts_ns);
	r->has_flow = true;
	r->flow = n->flow;
	rec_set_sip(r, n->method, n->status, n->call_id, n->cseq, np_det_hdr_name(n->hdr),
		    n->value);
	det_frames_add(r->frames, &r->n_frames, NP_DET_ANOMALY_FRAMES, &n->ref);
	det_ep_str(&n->ep, ep, sizeof(ep));
	det_copy_str(r->endpoint, sizeof(r->endpoint), ep);
	if (xi >= 0 && c->xlat[xi].x.port != 0) {
		rec_set_binding(c, r, xi);
		det_ep_str(&c->xlat[xi].x, xs, sizeof(xs));
		snprintf(r->detail, sizeof(r->detail),
			 "%s names %s, the firewall's translation of %s: an address that exists "
			 "only as a NAT binding",
			 np_det_hdr_name(n->hdr), ep, xs);
	} else if (xi >= 0) {
		rec_set_binding(c, r, xi);
		snprintf(r->detail, sizeof(r->detail),
			 "%s names %s, the address the firewall gives connections it reflects to "
			 "%s (static NAT): an address that exists only as a NAT binding",
			 np_det_hdr_name(n->hdr), ep,
			 np_addr_str(&c->xlat[xi].server.addr, xs, sizeof(xs)));
	} else if (!public_only) {
		snprintf(
			r->detail, sizeof(r->detail),
			"%s names %s, which the translation table holds as a translated source: an "
			"address that exists only as a NAT binding",
			np_det_hdr_name(n->hdr), ep);
	} else {
		snprintf(r->detail, sizeof(r->detail),
			 "%s names %s, a server's public address with a port nothing was seen "
			 "listening on, seen from inside the NAT",
			 np_det_hdr_name(n->hdr), ep);
	}
	report(c, r, xi, &n->ep, n->call_id, key, msg, rank);
}

static void raise_phantom(struct np_det_correlator *c, struct det_refusal *f, int xi,
			  const struct det_named *n)
{
	const struct np_flow_event *ev = &f->ev;
	struct det_ep tgt = ep_of(&ev->dst, ev->dport, ev->proto);
	struct det_ep from = ep_of(&ev->src, ev->sport, ev->proto);
	struct np_det_record *r;
	char ep[NP_DET_EP_LEN], src[NP_DET_EP_LEN], xs[NP_DET_EP_LEN], how[64];
	char nm[64];
	bool refused = ev->type == NP_FLOW_EV_TCP_REFUSED;
	const struct det_anomaly *a;
	uint64_t key, msg;

	/* Once per attempt; again only while its finding is open (a binding learned late). */
	if (f->reported && !still_open(c, f->anomaly_seq))
		return;
	f->reported = true;
	key = cause_key("phantom", &tgt, sizeof(tgt), NULL, 0, NULL);
	msg = cause_key("attempt", &from, sizeof(from), &ev->refused.syn_ns, sizeof(uint64_t),
			NULL);
	r = rec_new(c, NP_DET_KIND_ANOMALY, NP_DET_PHANTOM_CONNECT,
		    xi >= 0 ? NP_DET_SEV_CRITICAL : NP_DET_SEV_WARNING, ev->segment, ev->ts_ns);
	r->has_flow = true;
	r->flow.src = ev->src;
	r->flow.dst = ev->dst;
	r->flow.sport = ev->sport;
	r->flow.dport = ev->dport;
	r->flow.proto = ev->proto;
	det_frames_add(r->frames, &r->n_frames, NP_DET_ANOMALY_FRAMES, &f->syn_ref);
	det_frames_add(r->frames, &r->n_frames, NP_DET_ANOMALY_FRAMES, &ev->ref);
	det_ep_str(&tgt, ep, sizeof(ep));
	np_endpoint_str(&ev->src, ev->sport, src, sizeof(src));
	det_copy_str(r->endpoint, sizeof(r->endpoint), ep);
	if (refused) {
		r->delay_ms = (int64_t)(ev->refused.delay_ns / NP_NS_PER_MS);
		snprintf(how, sizeof(how), "refused by %s after %" PRId64 " ms",
			 ev->refused.reason == NP_FLOW_REFUSED_RST ? "TCP RST" : "ICMP unreachable",
			 r->delay_ms);
	} else {
		snprintf(how, sizeof(how), "never answered (%u SYN retransmissions)",
			 ev->unanswered.syn_retx);
	}
	if (xi >= 0) {
		rec_set_binding(c, r, xi);
		if (c->xlat[xi].x.port != 0)
			snprintf(
				r->detail, sizeof(r->detail),
				"%s connects to %s, which exists only as the firewall's translation "
				"of %s: %s",
				src, ep, det_ep_str(&c->xlat[xi].x, xs, sizeof(xs)), how);
		else
			snprintf(r->detail, sizeof(r->detail),
				 "%s connects to %s, which exists only as a NAT binding: %s", src,
				 ep, how);
	} else {
		snprintf(r->detail, sizeof(r->detail),
			 "%s connects to %s, which %s of %s just named: %s", src, ep,
			 np_det_hdr_name(n->hdr),
			 msg_name(n->method, n->status, n->cseq, nm, sizeof(nm)), how);
	}
	if (n != NULL)
		rec_set_sip(r, n->method, n->status, n->call_id, n->cseq, np_det_hdr_name(n->hdr),
			    n->value);
	r->outcome = !refused					 ? NP_DET_OUTCOME_UNANSWERED
		     : ev->refused.reason == NP_FLOW_REFUSED_RST ? NP_DET_OUTCOME_RST
								 : NP_DET_OUTCOME_ICMP;
	a = report(c, r, xi, &tgt, n ? n->call_id : NULL, key, msg,
		   (xi >= 0 ? 0u : 1u) << 8 | ev->segment);
	if (a != NULL)
		f->anomaly_seq = a->seq;
}

/* Slots of refusals[] ever written (the ring fills from 0). */
static unsigned int refusals_used(const struct np_det_correlator *c)
{
	return c->refusal_next < DET_MAX_REFUSALS ? c->refusal_next : DET_MAX_REFUSALS;
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

	/* named[] keeps one entry per endpoint, in its hash slot: that slot is all there is */
	struct det_named *n = named_find(c, &x->t);

	if (n != NULL)
		raise_translated_route(c, n, xi, false);
	for (unsigned int i = 0; i < refusals_used(c); i++) {
		struct det_refusal *f = &c->refusals[i];
		struct det_ep tgt;

		if (!f->used)
			continue;
		tgt = ep_of(&f->ev.dst, f->ev.dport, f->ev.proto);
		if (det_ep_eq(&tgt, &x->t))
			raise_phantom(c, f, xi, named_find(c, &tgt));
	}
}

/* Write the record of binding @p b (as the learner holds it now). */
static void write_binding(struct np_det_correlator *c, const struct np_nat_binding *b)
{
	struct np_det_record *r;
	char as[NP_DET_EP_LEN], ad[NP_DET_EP_LEN], bs[NP_DET_EP_LEN], bd[NP_DET_EP_LEN];

	r = rec_new(c, NP_DET_KIND_BINDING, NP_DET_BINDING_LEARNED, NP_DET_SEV_INFO, -1,
		    b->first_seen_ns);
	r->has_binding = true;
	r->binding = *b;
	det_frames_add(r->frames, &r->n_frames, NP_DET_MAX_FRAMES,
		       first_find(c, b->seg_a, b->proto, &b->a.src, b->a.sport, &b->a.dst,
				  b->a.dport));
	det_frames_add(r->frames, &r->n_frames, NP_DET_MAX_FRAMES,
		       first_find(c, b->seg_b, b->proto, &b->b.src, b->b.sport, &b->b.dst,
				  b->b.dport));
	np_endpoint_str(&b->a.src, b->a.sport, as, sizeof(as));
	np_endpoint_str(&b->a.dst, b->a.dport, ad, sizeof(ad));
	np_endpoint_str(&b->b.src, b->b.sport, bs, sizeof(bs));
	np_endpoint_str(&b->b.dst, b->b.dport, bd, sizeof(bd));
	snprintf(r->detail, sizeof(r->detail), "%s %s -> %s is %s %s -> %s%s%s",
		 seg_name(c, b->seg_a), as, ad, seg_name(c, b->seg_b), bs, bd,
		 (b->changed & NP_NAT_CHANGED_SRC) ? " (source translated)" : "",
		 (b->changed & NP_NAT_CHANGED_DST) ? " (destination translated)" : "");
	det_emit(c, r);
	c->binding_rec[b->id % DET_MAX_XLAT] = r->id;
	XLAT_EACH(c, DET_XI_BINDING, np_hash_mix64(b->id), i)
	{
		if (c->xlat[i].used && c->xlat[i].binding_id == b->id)
			c->xlat[i].binding_rec = r->id;
	}
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
		/* Withdrawn: forget the translation it announced, and what it alone made. */
		XLAT_EACH(c, DET_XI_BINDING, np_hash_mix64(p->id), k)
		{
			if (c->xlat[k].used && c->xlat[k].binding_id == p->id) {
				c->xlat[k].used = false;
				findings_drop_xlat(c, (int)k);
			}
		}
	}
	c->n_pending_bindings = kept;
}

static void on_binding(struct np_det_correlator *c, const struct np_nat_binding *b)
{
	const struct np_nat_tuple *cl, *sv;
	uint8_t seg_cl, seg_sv;
	struct det_xlat *x;
	struct det_ep t;
	int xi;

	if (c->n_pending_bindings == DET_MAX_PENDING_BINDINGS)
		flush_bindings(c, true);
	c->pending_bindings[c->n_pending_bindings++] = *b;
	{
		struct det_live *lv = &c->live[b->id % DET_MAX_LIVE];

		if (b->id % DET_MAX_LIVE >= c->live_end)
			c->live_end = b->id % DET_MAX_LIVE + 1;
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
	/*
	 * The client side is the pre-NAT side, as the learner decided it
	 * (np_nat_binding::seg_orig: addresses first, then which wire saw the
	 * first payload), not the order the two sides happened to be seen in.
	 */
	if (b->seg_orig == b->seg_b && b->seg_a != b->seg_b) {
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
	t = ep_of(&sv->src, sv->sport, b->proto);
	xi = xlat_find(c, &t);
	if (xi >= 0 && c->xlat[xi].x.port != 0)
		xi = -1; /* a learned translation of its own: keep it, add this one */
	if (xi < 0) {
		if (c->n_xlat == DET_MAX_XLAT) {
			/* Full: drop the oldest half; their findings are already written. */
			memmove(c->xlat, c->xlat + DET_MAX_XLAT / 2,
				sizeof(c->xlat[0]) * DET_MAX_XLAT / 2);
			c->n_xlat = DET_MAX_XLAT / 2;
			xlat_reindex(c);
		}
		xi = (int)c->n_xlat++;
	} else {
		xlat_unlink(c, (unsigned int)xi); /* refilled below, with other keys */
	}
	/* Else the static NAT view of this very connection: the binding completes it. */
	x = &c->xlat[xi];
	memset(x, 0, sizeof(*x));
	x->used = true;
	x->t = t;
	x->x = ep_of(&cl->src, cl->sport, b->proto);
	x->server_pub = ep_of(&cl->dst, cl->dport, b->proto);
	x->server = ep_of(&sv->dst, sv->dport, b->proto);
	x->seg_client = seg_cl;
	x->seg_server = seg_sv;
	x->binding_id = b->id;
	x->binding_rec = 0;
	x->ts_ns = b->first_seen_ns;
	xlat_link(c, (unsigned int)xi);
	{
		const struct np_pkt_ref *fc =
			first_find(c, seg_cl, b->proto, &cl->src, cl->sport, &cl->dst, cl->dport);
		const struct np_pkt_ref *fs =
			first_find(c, seg_sv, b->proto, &sv->src, sv->sport, &sv->dst, sv->dport);

		if (fc != NULL)
			x->first[0] = *fc;
		if (fs != NULL)
			x->first[1] = *fs;
	}
	/* NAT reflection with source translation: the server sees its own public address. */
	if (addr_eq(&sv->src, &cl->dst)) {
		struct np_det_tuple f = {
			.src = sv->src,
			.dst = sv->dst,
			.sport = sv->sport,
			.dport = sv->dport,
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
		memset(&x->x, 0, sizeof(x->x)); /* the client is not seen on this segment */
		x->x.proto = ev->proto;
		x->server_pub = ep_of(&s->pub, ev->dport, ev->proto);
		x->server = ep_of(&ev->dst, ev->dport, ev->proto);
		x->seg_client = ev->segment;
		x->seg_server = ev->segment;
		x->ts_ns = ev->ts_ns;
		x->first[1] = ev->ref;
		xlat_link(c, (unsigned int)xi);
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
	struct np_nat_tuple t = {
		.src = ev->src, .dst = ev->dst, .sport = ev->sport, .dport = ev->dport
	};
	struct np_nat_binding b;
	struct det_live *lv;

	if (!np_nat_binding_find(c->learner, ev->segment, ev->proto, &t, &b))
		return;
	lv = &c->live[b.id % DET_MAX_LIVE];
	if (lv->id != b.id)
		return;
	lv->mask &= (uint8_t) ~(ev->segment == lv->seg_a ? 1u : 2u);
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
		return; /* nothing learned: nothing to walk */
	/* the slots ever written: live_end, not DET_MAX_LIVE */
	for (unsigned int i = 0; i < c->live_end; i++) {
		const struct det_live *lv = &c->live[i];

		if (lv->id != 0)
			np_nat_flow_seen(c->learner, (lv->mask & 1) ? lv->seg_a : lv->seg_b,
					 lv->proto, (lv->mask & 1) ? &lv->a : &lv->b, now_ns);
	}
	np_nat_expire(c->learner, now_ns);
}

/* The learner's view of a fingerprint event. */
static struct np_nat_fp fp_of(const struct np_flow_event *ev)
{
	return (struct np_nat_fp){
		.segment = ev->segment,
		.proto = ev->proto,
		.dir = ev->dir,
		.src = ev->src,
		.dst = ev->dst,
		.sport = ev->sport,
		.dport = ev->dport,
		.hash = ev->fp.hash,
		.len = ev->fp.len,
		.tcp_seq = ev->fp.seq,
		.ts_ns = ev->ts_ns,
	};
}

void np_det_correlator_flow_prefetch(const struct np_det_correlator *c,
				     const struct np_flow_event *ev)
{
	if (ev->type == NP_FLOW_EV_FINGERPRINT) {
		const struct np_nat_fp fp = fp_of(ev);

		np_nat_fingerprint_prefetch(c->learner, &fp);
	} else if (ev->type == NP_FLOW_EV_NEW && ev->ref.frame != 0) {
		__builtin_prefetch(&c->first[first_key(ev->segment, ev->proto, &ev->src, ev->sport,
						       &ev->dst, ev->dport) %
					     DET_MAX_FIRST]);
	}
}

void np_det_correlator_flow(struct np_det_correlator *c, const struct np_flow_event *ev)
{
	struct np_nat_binding b;

	c->stats.flow_events++;
	if (ev->ts_ns > c->now_ns)
		c->now_ns = ev->ts_ns;
	switch (ev->type) {
	case NP_FLOW_EV_NEW:
		first_note(c, ev);
		check_static_hairpin(c, ev);
		break;
	case NP_FLOW_EV_FINGERPRINT: {
		const struct np_nat_fp fp = fp_of(ev);

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
		struct det_refusal *f = &c->refusals[c->refusal_next % DET_MAX_REFUSALS];
		struct det_ep tgt = ep_of(&ev->dst, ev->dport, ev->proto);
		struct det_named *n = named_find(c, &tgt);
		int xi = xlat_find(c, &tgt);

		const struct np_pkt_ref *syn = first_find(c, ev->segment, ev->proto, &ev->src,
							  ev->sport, &ev->dst, ev->dport);

		/* past the first round it stays in [MAX, 2 MAX): refusals_used() sees it full */
		if (++c->refusal_next == 2 * DET_MAX_REFUSALS)
			c->refusal_next = DET_MAX_REFUSALS;

		f->used = true;
		f->reported = false;
		f->anomaly_seq = 0;
		f->ev = *ev;
		memset(&f->syn_ref, 0, sizeof(f->syn_ref));
		if (syn != NULL)
			f->syn_ref = *syn;
		if (xi >= 0 || n != NULL)
			raise_phantom(c, f, xi, n);
		break;
	}
	default:
		break;
	}
}

/* ---- SIP --------------------------------------------------------------- */

/* A text field of summary @p s. */
#define SIP_STR(s, field) np_det_sip_str(s, (s)->field)

/*
 * Keys of a message: its transaction (Call-ID, CSeq, top Via branch), and
 * the message itself (the transaction's key and the status). Hashed once per
 * message, for the three checks that use them.
 */
struct det_msg_keys {
	uint64_t txn; /* the transaction */
	uint64_t msg; /* this message of it */
};

static struct det_msg_keys msg_keys(const struct np_det_sip *s)
{
	uint64_t h = key_hash_str(key_hash_str(key_hash_str(KEY_SEED, SIP_STR(s, call_id)),
					       SIP_STR(s, cseq_text)),
				  SIP_STR(s, branch));
	uint64_t m = key_hash(h, &s->status, sizeof(s->status));

	return (struct det_msg_keys){ .txn = h ? h : 1, .msg = m ? m : 1 };
}

static void remember_named(struct np_det_correlator *c, const struct np_det_sip *s,
			   const struct np_det_addr *a)
{
	struct det_ep ep = ep_of(&a->addr, a->port ? a->port : 5060, s->flow.proto);
	uint64_t h = key_hash(KEY_SEED, &ep, sizeof(ep));
	struct det_named *n = &c->named[h % DET_MAX_NAMED];
	int xi;

	/* The latest message naming the endpoint is kept (copies on other segments too:
	 * the findings below merge them). Every field is written: no memset of the slot. */
	n->used = true;
	n->ep = ep;
	n->ts_ns = s->ts_ns;
	n->flow = s->flow;
	n->segment = (int8_t)s->segment;
	n->hdr = a->hdr;
	n->ref = s->ref;
	n->status = s->is_request ? 0 : s->status;
	det_copy_text(n->method, sizeof(n->method), s,
		      s->is_request ? SIP_STR(s, method_text) : "");
	det_copy_text(n->call_id, sizeof(n->call_id), s, SIP_STR(s, call_id));
	det_copy_text(n->cseq, sizeof(n->cseq), s, SIP_STR(s, cseq_text));
	det_copy_text(n->value, sizeof(n->value), s, np_det_sip_str(s, a->value));
	xi = xlat_find(c, &ep);
	if (xi >= 0) {
		raise_translated_route(c, n, xi, false);
		return;
	}
	/*
	 * The worker's lookup in the shared translation table found a translated
	 * source this thread no longer keeps details of (its own table is
	 * bounded): still a misroute, reported without the binding, unless the
	 * message comes from that very endpoint (its owner advertising the
	 * mapping it learned, as named_by_owner() says for known translations).
	 */
	if (a->xlat_kind == NP_NAT_X_SNAT_SOURCE) {
		struct det_ep from = ep_of(&s->flow.src, s->flow.sport, s->flow.proto);

		if (!det_ep_eq(&from, &ep))
			raise_translated_route(c, n, -1, false);
		return;
	}
	/*
	 * A route set naming a server's own public address on a port nothing was
	 * seen listening on, where other ports of that address were seen
	 * answering (without that, a capture that starts after the connections
	 * were made would make every route a suspect). Not Via or Contact: a
	 * server behind static NAT rightly advertises its public address there.
	 */
	if ((a->hdr == NP_DET_H_ROUTE || a->hdr == NP_DET_H_RECORD_ROUTE ||
	     a->hdr == NP_DET_H_PATH || a->hdr == NP_DET_H_SERVICE_ROUTE) &&
	    a->port != 0 && is_server_public(c, &a->addr) && service_addr_known(c, &a->addr) &&
	    !service_known(c, &ep))
		raise_translated_route(c, n, -1, true);
}

static bool creates_dialog(uint8_t method)
{
	return method == NP_SIP_M_INVITE || method == NP_SIP_M_SUBSCRIBE ||
	       method == NP_SIP_M_REFER;
}

/*
 * Private addresses in a message from a public source (docs/anomalies.md,
 * "private_via_contact" and "sdp_address_mismatch", has the reasons):
 *  - the top Via of a request, over UDP without rport, when the NAT changed
 *    the port: responses go to the received address and the Via's port,
 *    which the NAT does not map (RFC 3261 18.2.2, RFC 3581). Over TCP/TLS
 *    responses follow the connection; with rport they follow the source.
 *  - a Contact that will be routed to: of a REGISTER (no Path, no SIP
 *    outbound) or a dialog-creating request, sent by its author (one Via),
 *    or of a dialog-creating 1xx/2xx without Record-Route; sent to a public
 *    address (a private receiver may share the sender's private network).
 *  - an SDP c= sent to a public address without ICE candidates.
 * A NAT natprobe knows of (static, learned) that explains the sender's
 * address makes the record carry that binding: evidence of it, not news.
 */
static void check_private(struct np_det_correlator *c, const struct np_det_sip *s,
			  const struct det_msg_keys *k)
{
	bool dst_public, single_via = s->n_via <= 1;
	bool reg = s->is_request && s->method == NP_SIP_M_REGISTER;
	bool dlg_req = s->is_request && !s->has_to_tag && creates_dialog(s->method);
	bool dlg_resp = !s->is_request && s->status > 100 && s->status < 300 &&
			creates_dialog(s->cseq_method) && !(s->nat_flags & NP_DET_SIP_RECORD_ROUTE);

	if (!np_nat_addr_is_public(&s->flow.src))
		return;
	dst_public = np_nat_addr_is_public(&s->flow.dst);
	for (unsigned int i = 0; i < s->n_addrs; i++) {
		const struct np_det_addr *a = &s->addrs[i];
		bool ipaddr = a->host_type == NP_SIP_HOST_IPV4 || a->host_type == NP_SIP_HOST_IPV6;
		char src[NP_DET_EP_LEN], dst[NP_DET_EP_LEN], ab[48], why[NP_DET_DETAIL_LEN], nm[64];
		struct np_det_record *r;
		uint16_t via_port;
		uint8_t type;
		int xi;

		if (!ipaddr || !np_nat_addr_is_private(&a->addr))
			continue;
		/* Is it a finding? (The text is written only for one.) */
		via_port = s->via_port ? s->via_port : 5060;
		switch (a->hdr) {
		case NP_DET_H_VIA:
			if (!s->is_request || a->index != 0 || s->flow.proto != NP_IPPROTO_UDP ||
			    s->via_transport != NP_DET_T_UDP || (s->nat_flags & NP_DET_SIP_RPORT) ||
			    via_port == s->flow.sport)
				continue;
			type = NP_DET_PRIVATE_VIA_CONTACT;
			break;
		case NP_DET_H_CONTACT:
			if (!dst_public || (s->nat_flags & NP_DET_SIP_OUTBOUND))
				continue;
			if (reg) {
				if (!single_via ||
				    (s->nat_flags & (NP_DET_SIP_PATH | NP_DET_SIP_UNREGISTER)))
					continue;
			} else if (!(dlg_req && single_via) && !dlg_resp) {
				continue;
			}
			type = NP_DET_PRIVATE_VIA_CONTACT;
			break;
		case NP_DET_H_SDP_C:
			if (!dst_public || (s->nat_flags & NP_DET_SIP_ICE))
				continue;
			type = NP_DET_SDP_ADDRESS_MISMATCH;
			break;
		default:
			continue;
		}
		np_endpoint_str(&s->flow.src, s->flow.sport, src, sizeof(src));
		np_endpoint_str(&s->flow.dst, s->flow.dport, dst, sizeof(dst));
		np_addr_str(&a->addr, ab, sizeof(ab));
		switch (a->hdr) {
		case NP_DET_H_VIA:
			snprintf(why, sizeof(why),
				 "top Via names the private address %s:%u (UDP, no rport) but the "
				 "request came from %s: responses go to %s port %u, which the NAT "
				 "does not map (RFC 3261 18.2.2); the client should ask for rport "
				 "(RFC 3581)",
				 ab, via_port, src, np_addr_str(&s->flow.src, nm, sizeof(nm)),
				 via_port);
			break;
		case NP_DET_H_CONTACT:
			snprintf(why, sizeof(why),
				 "Contact of %s names the private address %s but it went from %s "
				 "to %s: %s where they cannot arrive",
				 msg_name(s->is_request ? SIP_STR(s, method_text) : "", s->status,
					  SIP_STR(s, cseq_text), nm, sizeof(nm)),
				 ab, src, dst,
				 reg ? "the registrar will send this user's requests"
				     : "in-dialog requests (ACK, BYE, re-INVITE) will be sent");
			break;
		default:
			snprintf(why, sizeof(why),
				 "SDP c= is the private address %s but the message went from %s to "
				 "%s, without ICE candidates: media will be sent where it cannot "
				 "arrive (one-way or no audio)",
				 ab, src, dst);
			break;
		}
		r = rec_new(c, NP_DET_KIND_ANOMALY, type, NP_DET_SEV_WARNING, s->segment, s->ts_ns);
		r->has_flow = true;
		r->flow = s->flow;
		rec_set_sip(r, s->is_request ? SIP_STR(s, method_text) : "",
			    s->is_request ? 0 : s->status, SIP_STR(s, call_id),
			    SIP_STR(s, cseq_text), np_det_hdr_name(a->hdr),
			    np_det_sip_str(s, a->value));
		det_frames_add(r->frames, &r->n_frames, NP_DET_ANOMALY_FRAMES, &s->ref);
		det_copy_str(r->endpoint, sizeof(r->endpoint), ab);
		if (nat_explains(c, &s->flow, &a->addr, &xi)) {
			if (xi >= 0)
				rec_set_binding(c, r, xi);
			snprintf(r->detail, sizeof(r->detail), "%s (the NAT of %s to %s is known)",
				 why, ab, np_addr_str(&s->flow.src, nm, sizeof(nm)));
		} else {
			det_copy_str(r->detail, sizeof(r->detail), why);
		}
		report(c, r, xi, NULL, SIP_STR(s, call_id),
		       cause_key(type == NP_DET_SDP_ADDRESS_MISMATCH ? "sdp" : "private", &a->addr,
				 sizeof(a->addr), &s->flow.src, sizeof(s->flow.src),
				 np_det_hdr_name(a->hdr)),
		       k->msg, s->segment);
	}
}

static void check_alg(struct np_det_correlator *c, const struct np_det_sip *s,
		      const struct det_msg_keys *k)
{
	/* What an ALG rewrote can only be seen on the wire on both sides. */
	if (s->from_log)
		return;
	uint64_t key = k->msg;
	struct det_sighting *g = &c->sightings[key % DET_MAX_SIGHTINGS];
	const struct np_det_tuple *flow;
	struct np_det_record *r;
	char what[256] = "", src[NP_DET_EP_LEN];
	size_t off = 0;
	uint32_t changed = 0;
	int seg_lo, seg_hi;

	if (!g->used || g->key != key || s->ts_ns - g->ts_ns > DET_NAMED_WINDOW_NS) {
		g->used = true;
		g->reported = false;
		g->key = key;
		g->segment = (int8_t)s->segment;
		g->msg_hash = s->msg_hash;
		memcpy(g->hdr_hash, s->hdr_hash, sizeof(g->hdr_hash));
		g->ts_ns = s->ts_ns;
		g->flow = s->flow;
		g->ref = s->ref;
		return;
	}
	if (g->segment == s->segment || g->msg_hash == s->msg_hash || g->reported)
		return;
	g->reported = true;
	for (unsigned int h = 0; h < NP_DET_H_MAX; h++)
		if (g->hdr_hash[h] != s->hdr_hash[h]) {
			changed |= 1u << h;
			off += (size_t)snprintf(what + off, sizeof(what) - off, "%s%s",
						off ? ", " : "", np_det_hdr_name(h));
		}
	/* Described from the lower segment, whichever copy came first. */
	seg_lo = g->segment < s->segment ? g->segment : s->segment;
	seg_hi = g->segment < s->segment ? s->segment : g->segment;
	flow = g->segment < s->segment ? &g->flow : &s->flow;
	r = rec_new(c, NP_DET_KIND_ANOMALY, NP_DET_ALG_REWRITE, NP_DET_SEV_WARNING, seg_lo,
		    g->ts_ns < s->ts_ns ? g->ts_ns : s->ts_ns);
	r->has_flow = true;
	r->flow = *flow;
	rec_set_sip(r, s->is_request ? SIP_STR(s, method_text) : "", s->is_request ? 0 : s->status,
		    SIP_STR(s, call_id), SIP_STR(s, cseq_text), "", "");
	det_frames_add(r->frames, &r->n_frames, NP_DET_ANOMALY_FRAMES, &g->ref);
	det_frames_add(r->frames, &r->n_frames, NP_DET_ANOMALY_FRAMES, &s->ref);
	np_endpoint_str(&flow->src, flow->sport, src, sizeof(src));
	det_copy_str(r->endpoint, sizeof(r->endpoint), src);
	snprintf(r->detail, sizeof(r->detail),
		 "the same SIP message (Call-ID %s, CSeq %s) differs between %s and %s: %s "
		 "changed; a SIP ALG in the firewall rewrote it",
		 SIP_STR(s, call_id), SIP_STR(s, cseq_text), seg_name(c, seg_lo),
		 seg_name(c, seg_hi), off ? what : "bytes outside the address headers");
	report(c, r, -1, NULL, SIP_STR(s, call_id),
	       cause_key("alg", &flow->src, sizeof(flow->src), &changed, sizeof(changed),
			 seg_name(c, seg_hi)),
	       key, 0);
}

static struct det_txn *txn_slot(struct np_det_correlator *c, uint64_t key)
{
	return &c->txn[key % DET_MAX_TXN];
}

static void raise_timeout(struct np_det_correlator *c, struct det_txn *t,
			  const struct det_final *resp, uint64_t now_ns, bool fast, const char *why)
{
	const struct det_anomaly *a;
	struct np_det_record *r;
	struct det_ep responder;
	uint64_t key;
	char who[NP_DET_EP_LEN];
	bool translated = false;
	uint32_t rank;

	if (resp != NULL) {
		int xi;

		responder = ep_of(&resp->flow.src, resp->flow.sport, resp->flow.proto);
		xi = xlat_find(c, &responder);
		translated = xi >= 0;
		if (translated && c->xlat[xi].x.port != 0)
			responder = c->xlat[xi].x; /* who answered, before the NAT */
	} else {
		responder = ep_of(&t->flow.dst, t->flow.dport, t->flow.proto);
	}
	/* The copy nearest the responder: not through a translation, request seen. */
	rank = ((t->request_seen ? 0u : 2u) + (translated ? 1u : 0u)) << 8 |
	       (uint8_t)(resp ? resp->segment : t->segment);
	t->reported = true;
	r = rec_new(c, NP_DET_KIND_ANOMALY, NP_DET_SIP_TIMEOUT, NP_DET_SEV_WARNING,
		    resp ? resp->segment : t->segment, resp ? resp->ts_ns : now_ns);
	r->has_flow = true;
	r->flow = resp ? resp->flow : t->flow;
	rec_set_sip(r, t->method, resp ? resp->status : 0, t->call_id, t->cseq,
		    resp && resp->warning_code ? "Warning" : "", "");
	if (resp != NULL && resp->warning_code)
		snprintf(r->sip.value, sizeof(r->sip.value), "%u %s", resp->warning_code,
			 resp->warning_agent);
	det_copy_str(r->timeout_kind, sizeof(r->timeout_kind), fast ? "fast" : "timer");
	for (unsigned int i = 0; t->request_seen && i < t->n_req_ref; i++)
		det_frames_add(r->frames, &r->n_frames, NP_DET_ANOMALY_FRAMES, &t->req_ref[i]);
	if (resp != NULL)
		det_frames_add(r->frames, &r->n_frames, NP_DET_ANOMALY_FRAMES, &resp->ref);
	det_ep_str(&responder, who, sizeof(who));
	det_copy_str(r->endpoint, sizeof(r->endpoint), who);
	if (t->request_seen)
		r->delay_ms = (int64_t)(((resp ? resp->ts_ns : now_ns) - t->req_ns) / NP_NS_PER_MS);
	if (resp != NULL && t->request_seen)
		snprintf(r->detail, sizeof(r->detail),
			 "%s (Call-ID %s) answered %u by %s after %" PRId64 " ms: %s timeout (%s)",
			 t->method, t->call_id, resp->status, who, r->delay_ms,
			 fast ? "fast" : "timer", why);
	else if (resp != NULL)
		snprintf(r->detail, sizeof(r->detail),
			 "%s (Call-ID %s) answered %u by %s, its request not seen: %s timeout (%s)",
			 t->method, t->call_id, resp->status, who, fast ? "fast" : "timer", why);
	else
		snprintf(r->detail, sizeof(r->detail),
			 "%s (Call-ID %s) to %s got no final answer in %" PRId64 " ms (64 x T1), "
			 "though %s answers other requests",
			 t->method, t->call_id, who, r->delay_ms, who);
	/* A copy of an answer already reported joins that finding, whatever its key. */
	a = t->reported && still_open(c, t->anomaly_seq) ? det_anomaly_get(c, t->anomaly_seq)
							 : NULL;
	key = a != NULL ? c->findings[a->finding].key
			: cause_key("timeout", &responder.addr, sizeof(responder.addr), NULL, 0,
				    t->method);
	a = report(c, r, -1, NULL, t->call_id, key, t->key, rank);
	if (a != NULL)
		t->anomaly_seq = a->seq;
}

/* Did the host that sent @p resp just fail to connect somewhere? */
static bool responder_refused(const struct np_det_correlator *c, const struct det_final *resp,
			      uint64_t since_ns)
{
	for (unsigned int i = 0; i < refusals_used(c); i++) {
		const struct det_refusal *f = &c->refusals[i];

		if (f->used && f->ev.ts_ns >= since_ns && f->ev.ts_ns <= resp->ts_ns &&
		    addr_eq(&f->ev.src, &resp->flow.src))
			return true;
	}
	return false;
}

/* Judge a final response to transaction @p t (408 and 503 only). */
static void judge_final(struct np_det_correlator *c, struct det_txn *t, const struct det_final *s)
{
	uint64_t since = t->request_seen ? t->req_ns : s->ts_ns - DET_FAST_FAILURE_NS;
	bool w399 = s->warning_code == 399;
	bool refused, fast;
	char why[160];

	if (s->status != 408 && s->status != 503)
		return;
	/* Judged once; again only while its finding is open (a copy, its request late). */
	if (t->reported && !still_open(c, t->anomaly_seq))
		return;
	/* A ringing INVITE that times out is a call nobody answered. */
	if (s->status == 408 && t->method_id == NP_SIP_M_INVITE && t->ringing)
		return;
	refused = responder_refused(c, s, since);
	/* Unavailable for its own reasons, unless the next hop could not be reached. */
	if (s->status == 503 && !refused && !w399)
		return;
	fast = refused || w399 || (t->request_seen && s->ts_ns - t->req_ns < DET_FAST_FAILURE_NS);
	snprintf(why, sizeof(why), "%s%s%s",
		 refused ? "the responder's connection to the next hop was refused" : "",
		 refused && w399 ? "; " : "",
		 w399 ? "Warning 399: generated locally by the responder"
		      : (!refused ? (fast ? "answered faster than a SIP timer"
					  : (t->request_seen ? "answered after a SIP timer ran out"
							     : "a request timer ran out"))
				  : ""));
	raise_timeout(c, t, s, s->ts_ns, fast, why);
}

/* The method of a CSeq value ("4616 SERVICE" -> "SERVICE"). */
static const char *cseq_method_text(const char *cseq)
{
	const char *sp = strrchr(cseq, ' ');

	return sp ? sp + 1 : cseq;
}

/* Slot @p t for transaction @p key; one still open in it is dropped (counted). */
static void txn_take(struct np_det_correlator *c, struct det_txn *t, uint64_t key)
{
	if (t->used && !t->final_seen)
		c->stats.transactions_dropped++;
	/* the texts are written by the caller; fin only once final_seen */
	memset(t, 0, offsetof(struct det_txn, method));
	t->method[0] = t->call_id[0] = t->cseq[0] = '\0';
	t->used = true;
	t->key = key;
}

static void check_transaction(struct np_det_correlator *c, const struct np_det_sip *s,
			      const struct det_msg_keys *k)
{
	uint64_t key = k->txn;
	struct det_txn *t = txn_slot(c, key);
	bool known = t->used && t->key == key;

	if (s->is_request) {
		if (s->method == NP_SIP_M_ACK)
			return;
		if (known && t->request_seen) {
			/* retransmission, or the other segment's copy (cited too) */
			if (s->segment != t->segment)
				det_frames_add(t->req_ref, &t->n_req_ref, 4, &s->ref);
			return;
		}
		if (known) {
			/* Its answer came first (live, copies cross rings): now timed. */
			t->request_seen = true;
			t->req_ns = s->ts_ns;
			det_frames_add(t->req_ref, &t->n_req_ref, 4, &s->ref);
			t->segment = (int8_t)s->segment;
			t->flow = s->flow;
			if (t->final_seen && s->ts_ns <= t->fin.ts_ns)
				judge_final(c, t, &t->fin);
			return;
		}
		txn_take(c, t, key);
		t->request_seen = true;
		t->method_id = s->method;
		t->req_ns = s->ts_ns;
		det_frames_add(t->req_ref, &t->n_req_ref, 4, &s->ref);
		if (t->req_ns + 64 * c->t1_ns < c->txn_due_ns)
			c->txn_due_ns = t->req_ns + 64 * c->t1_ns;
		t->segment = (int8_t)s->segment;
		t->flow = s->flow;
		det_copy_text(t->method, sizeof(t->method), s, SIP_STR(s, method_text));
		det_copy_text(t->call_id, sizeof(t->call_id), s, SIP_STR(s, call_id));
		det_copy_text(t->cseq, sizeof(t->cseq), s, SIP_STR(s, cseq_text));
		return;
	}
	{
		struct det_ep from = ep_of(&s->flow.src, s->flow.sport, s->flow.proto);

		responder_add(c, &from);
	}
	if (!known) {
		/* A failure whose request was not seen (one side captured, or it
		 * crossed before the capture began) still names what failed. */
		if (s->status != 408 && s->status != 503)
			return;
		txn_take(c, t, key);
		t->method_id = s->cseq_method;
		t->segment = (int8_t)s->segment;
		t->flow.src = s->flow.dst;
		t->flow.dst = s->flow.src;
		t->flow.sport = s->flow.dport;
		t->flow.dport = s->flow.sport;
		t->flow.proto = s->flow.proto;
		det_copy_text(t->method, sizeof(t->method), s,
			      cseq_method_text(SIP_STR(s, cseq_text)));
		det_copy_text(t->call_id, sizeof(t->call_id), s, SIP_STR(s, call_id));
		det_copy_text(t->cseq, sizeof(t->cseq), s, SIP_STR(s, cseq_text));
	}
	if (s->status < 200) {
		t->provisional = true;
		if (s->status > 100)
			t->ringing = true;
		return;
	}
	{
		struct det_final fin = {
			.ts_ns = s->ts_ns,
			.flow = s->flow,
			.status = s->status,
			.warning_code = s->warning_code,
			.segment = (int8_t)s->segment,
			.ref = s->ref,
		};

		det_copy_str(fin.warning_agent, sizeof(fin.warning_agent),
			     SIP_STR(s, warning_agent));
		if (!t->final_seen)
			t->fin = fin;
		t->final_seen = true;
		judge_final(c, t, &fin);
	}
}

void np_det_correlator_sip(struct np_det_correlator *c, const struct np_det_sip *s)
{
	const struct det_msg_keys keys = msg_keys(s);

	c->stats.sip_messages++;
	if (s->ts_ns > c->now_ns)
		c->now_ns = s->ts_ns;
	/* A UDP port that sends SIP listens there. */
	if (s->flow.proto == NP_IPPROTO_UDP) {
		struct det_ep from = ep_of(&s->flow.src, s->flow.sport, s->flow.proto);

		service_add(c, &from);
	}
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
	check_private(c, s, &keys);
	check_alg(c, s, &keys);
	check_transaction(c, s, &keys);
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
		struct det_ep peer;

		if (!t->used || t->final_seen || t->reported || !t->request_seen)
			continue;
		if (now_ns - t->req_ns < limit) {
			if (t->req_ns + limit < due)
				due = t->req_ns + limit;
			continue;
		}
		t->reported = true; /* judged once, whatever the verdict */
		/*
		 * Silence is news only from a peer seen answering: one direction
		 * captured, or a request that began a ringing INVITE, is not a
		 * timeout.
		 */
		peer = ep_of(&t->flow.dst, t->flow.dport, t->flow.proto);
		if ((t->method_id == NP_SIP_M_INVITE && t->ringing) || !responder_known(c, &peer))
			continue;
		raise_timeout(c, t, NULL, now_ns, false, "no answer");
	}
	c->txn_due_ns = due;
}

/* The timers, then what is due (everything at the end), in writing order. */
static void settle(struct np_det_correlator *c, uint64_t now_ns, bool end)
{
	if (now_ns > c->now_ns)
		c->now_ns = now_ns;
	check_txn_timers(c, c->now_ns);
	flush_bindings(c, end);
	det_incident_flush(c, end);
	findings_flush(c, end);
}

void np_det_correlator_tick(struct np_det_correlator *c, uint64_t now_ns)
{
	settle(c, now_ns, false);
	expire_bindings(c, c->now_ns);
}

void np_det_correlator_finish(struct np_det_correlator *c, uint64_t now_ns)
{
	settle(c, now_ns, true);
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
	c = np_mem_table_alloc(sizeof(*c));
	if (c == NULL)
		return NULL;
	/*
	 * Make every page resident now (they are untouched zero pages): the
	 * process does not grow while the tables fill, and a machine short of
	 * memory fails here, not hours later.
	 */
	if (np_mem_prefault(c, sizeof(*c)) != 0) {
		np_mem_table_free(c, sizeof(*c));
		errno = ENOMEM;
		return NULL;
	}
	c->conf = *conf;
	c->t1_ns = conf->t1_ns ? conf->t1_ns : 500 * NP_NS_PER_MS;
	c->settle_ns = conf->incident_settle_ns ? conf->incident_settle_ns : 2 * NP_NS_PER_S;
	c->binding_window_ns = NP_NAT_DEFAULT_WINDOW_NS + conf->clock_skew_ns;
	c->window_ns =
		conf->repeat_window_ns ? conf->repeat_window_ns : NP_DET_DEFAULT_REPEAT_WINDOW_NS;
	c->findings_due_ns = UINT64_MAX;
	c->txn_due_ns = UINT64_MAX;
	memset(&lc, 0, sizeof(lc));
	lc.max_bindings = conf->max_bindings;
	lc.window_ns = NP_NAT_DEFAULT_WINDOW_NS + conf->clock_skew_ns;
	c->learner = np_nat_learner_create(&lc);
	if (c->learner == NULL) {
		int err = errno;

		np_mem_table_free(c, sizeof(*c));
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
	np_mem_table_free(c, sizeof(*c));
}

const struct np_det_correlator_stats *np_det_correlator_stats(const struct np_det_correlator *c)
{
	return &c->stats;
}

struct np_nat_learner *np_det_correlator_learner(struct np_det_correlator *c)
{
	return c->learner;
}

int np_det_control_create(struct np_det_control *dc, const struct np_conf *conf,
			  unsigned int n_segments, const char *const *names,
			  void (*record)(void *ctx, const struct np_det_record *r), void *ctx,
			  char *err, size_t errlen)
{
	struct np_det_correlator_conf cc;

	memset(dc, 0, sizeof(*dc));
	dc->xlat =
		np_nat_xlat_create(np_det_xlat_capacity(conf->nat.max_bindings), NULL, NULL, NULL);
	if (dc->xlat == NULL) {
		snprintf(err, errlen, "cannot create the translation table: %s", strerror(errno));
		return -1;
	}
	memset(&cc, 0, sizeof(cc));
	cc.n_segments = n_segments;
	for (unsigned int s = 0; s < n_segments && s < NP_DET_MAX_SEGMENTS; s++)
		cc.segment_names[s] = names[s];
	cc.static_nat = conf->nat.static_nat;
	cc.n_static = conf->nat.n_static;
	cc.xlat = dc->xlat;
	cc.max_bindings = conf->nat.max_bindings;
	cc.repeat_window_ns = (uint64_t)conf->detect.repeat_window_s * NP_NS_PER_S;
	cc.clock_skew_ns = (uint64_t)conf->hep.clock_skew_ms * NP_NS_PER_MS;
	cc.record = record;
	cc.ctx = ctx;
	dc->corr = np_det_correlator_create(&cc);
	if (dc->corr == NULL) {
		snprintf(err, errlen, "cannot create the correlator: %s", strerror(errno));
		np_nat_xlat_free(dc->xlat);
		dc->xlat = NULL;
		return -1;
	}
	return 0;
}

void np_det_control_destroy(struct np_det_control *dc)
{
	np_det_correlator_destroy(dc->corr);
	np_nat_xlat_free(dc->xlat);
	memset(dc, 0, sizeof(*dc));
}
