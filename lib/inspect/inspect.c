/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker side of detection: fragments -> flows -> SIP messages ->
 * summaries. Everything is allocated at create time.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "np_inspect.h"
#include "msgflow.h"
#include "np_frag.h"
#include "np_history.h"

#define NP_DET_FRAG_DEFAULT_TIMEOUT_NS (2ull * 1000000000ull)

static const struct np_pkt_ref no_ref; /* events no frame caused (ageing) */

/* Classes whose frames may be kept whatever the callbacks say (flags, ICMP errors). */
#define KEEP_CLASSES                                                           \
	((1u << NP_PKT_TCP) | (1u << NP_PKT_TRUNCATED) | (1u << NP_PKT_ICMP) | \
	 (1u << NP_PKT_FRAGMENT))

struct np_det_inspect {
	struct np_flow_table *flows;
	struct np_frag_table *frags;
	struct np_sip_scratch *scratch;
	struct det_msgflow *msgflow; /* NP_FLOW_MSG_F_NO_FLOW messages; NULL: none */
	const struct np_sip_db *db;
	const struct np_nat_xlat *xlat;
	struct np_det_inspect_sink sink;
	struct np_flow_sink flow_sink;
	struct np_det_inspect_stats stats;
	struct np_sip_msg msg;
	struct np_det_sip sum;
	/* The frame being inspected (the caller's, valid during the call); no_ref
	 * between frames (ageing, a log's entries). */
	const struct np_pkt_ref *ref;
	struct np_hist *hist;
	uint32_t keep_classes; /* KEEP_CLASSES with a history, else 0 */
	uint32_t keep;	       /* NP_HIST_F_* the callbacks gave the frame; 0 between frames */
	uint64_t call_key;     /* of the first SIP message it completed; 0 between frames */
};

/* ---- counters --------------------------------------------------------- */

static const char *method_label(unsigned int m)
{
	return np_sip_method_name(m);
}

static const char *class_label(unsigned int k)
{
	static const char *const cls[] = { NULL, "1xx", "2xx", "3xx", "4xx", "5xx", "6xx" };

	return k < 7 ? cls[k] : NULL;
}

static const char *error_label(unsigned int e)
{
	return np_sip_err_name(e);
}

#define INS_OFF(member) NP_CTR_OFF(struct np_det_inspect_stats, member)
static const struct np_ctr_desc inspect_rows[] = {
	{ .name = "sip_requests_total",
	  .help = "SIP requests parsed, by segment and method",
	  .type = NP_CTR_COUNTER,
	  .dim = NP_CTR_DIM_SEGMENT,
	  .label = "method",
	  .value_name = method_label,
	  .first = NP_SIP_M_OTHER,
	  .last = NP_SIP_M_MAX,
	  .off = INS_OFF(sip[0].requests[NP_SIP_M_OTHER]),
	  .step = sizeof(uint64_t),
	  .dim_step = sizeof(struct np_det_sip_stats) },
	{ .name = "sip_responses_total",
	  .help = "SIP responses parsed, by segment and status class (1xx..6xx)",
	  .type = NP_CTR_COUNTER,
	  .dim = NP_CTR_DIM_SEGMENT,
	  .label = "class",
	  .value_name = class_label,
	  .first = 1,
	  .last = 7,
	  .off = INS_OFF(sip[0].responses[1]),
	  .step = sizeof(uint64_t),
	  .dim_step = sizeof(struct np_det_sip_stats) },
	{ .name = "sip_parse_errors_total",
	  .help = "SIP messages that could not be parsed, by segment and kind",
	  .type = NP_CTR_COUNTER,
	  .dim = NP_CTR_DIM_SEGMENT,
	  .label = "kind",
	  .value_name = error_label,
	  .first = 1,
	  .last = NP_SIP_E_MAX,
	  .off = INS_OFF(sip[0].errors[1]),
	  .step = sizeof(uint64_t),
	  .dim_step = sizeof(struct np_det_sip_stats) },
	NP_CTR_ROW_L("ip_fragments_total",
		     "IP fragments by outcome (fragments held, datagrams reassembled, fragments "
		     "dropped)",
		     NP_CTR_COUNTER, "outcome", "held", struct np_det_inspect_stats, frag_held),
	NP_CTR_ROW_L("ip_fragments_total", "", NP_CTR_COUNTER, "outcome", "reassembled",
		     struct np_det_inspect_stats, frag_reassembled),
	NP_CTR_ROW_L("ip_fragments_total", "", NP_CTR_COUNTER, "outcome", "dropped",
		     struct np_det_inspect_stats, frag_dropped),
	NP_CTR_ROW_L("translation_hits_total",
		     "Workers' lookups in the shared translation table that hit: SIP addresses, "
		     "SIP addresses that are translated sources, connection attempts to one",
		     NP_CTR_COUNTER, "what", "sip_address", struct np_det_inspect_stats,
		     xlat_sip_hits),
	NP_CTR_ROW_L("translation_hits_total", "", NP_CTR_COUNTER, "what", "sip_translated_source",
		     struct np_det_inspect_stats, xlat_snat_named),
	NP_CTR_ROW_L("translation_hits_total", "", NP_CTR_COUNTER, "what",
		     "syn_to_translated_source", struct np_det_inspect_stats, xlat_syn_to_snat),
};
#undef INS_OFF

const struct np_ctr_table np_inspect_counters = { inspect_rows,
						  sizeof(inspect_rows) / sizeof(inspect_rows[0]) };

/* ---- the SIP stage ----------------------------------------------------- */

void np_det_inspect_event(struct np_det_inspect *ins, const struct np_flow_event *ev)
{
	struct np_nat_xlat_entry e;

	/* A connection attempt to an endpoint that exists only as a NAT binding. */
	if (ins->xlat != NULL && ev->type == NP_FLOW_EV_NEW && ev->proto == NP_IPPROTO_TCP &&
	    np_nat_xlat_lookup(ins->xlat, &ev->dst, ev->dport, ev->proto, &e) &&
	    e.kind == NP_NAT_X_SNAT_SOURCE)
		ins->stats.xlat_syn_to_snat++;

	if (ins->sink.flow_event != NULL)
		ins->sink.flow_event(ins->sink.ctx, ev);
}

/* A flow event a frame caused (or ageing): it names that frame. */
static void on_flow_event(void *ctx, const struct np_flow_event *fev)
{
	struct np_det_inspect *ins = ctx;
	struct np_flow_event ev = *fev;

	ev.ref = *ins->ref;
	if (ev.type == NP_FLOW_EV_TCP_REFUSED)
		ins->keep |= NP_HIST_F_REFUSAL;
	np_det_inspect_event(ins, &ev);
}

/* Headers usable even though the parse stopped in the body on purpose. */
static bool headers_usable(int rc, const struct np_sip_msg *m, uint8_t flow_flags)
{
	if (rc == 0)
		return true;
	if (rc == -EAGAIN && (flow_flags & NP_FLOW_MSG_F_BODY_SKIPPED))
		return m->hdr_len > 0;
	/* A log loses line ends: a body shorter than its Content-Length is expected. */
	if (rc == -EAGAIN && (flow_flags & NP_FLOW_MSG_F_LOGGED) && m->err == NP_SIP_E_TRUNCATED)
		return m->hdr_len > 0;
	if (m->err == NP_SIP_E_BAD_CONTENT_LENGTH && (flow_flags & NP_FLOW_MSG_F_BAD_LENGTH))
		return true;
	return false;
}

/* An earlier address of @p s with the same lookup key as addrs[i] (a Via's sent-by
 * is often the Contact's host and port), or NULL. */
static const struct np_det_addr *same_key(const struct np_det_sip *s, unsigned int i)
{
	const struct np_det_addr *a = &s->addrs[i];
	uint16_t port = a->port ? a->port : 5060;

	for (unsigned int j = 0; j < i; j++) {
		const struct np_det_addr *b = &s->addrs[j];

		if ((b->host_type == NP_SIP_HOST_IPV4 || b->host_type == NP_SIP_HOST_IPV6) &&
		    (b->port ? b->port : 5060) == port && memcmp(&b->addr, &a->addr, 16) == 0)
			return b;
	}
	return NULL;
}

/*
 * Ask the translation table about every address the message names; an
 * address asked already for this message takes that answer (one lookup per
 * key: the answers are the same, the hit counters count each address).
 */
static void mark_translations(struct np_det_inspect *ins, struct np_det_sip *s)
{
	for (unsigned int i = 0; i < s->n_addrs; i++) {
		struct np_det_addr *a = &s->addrs[i];
		const struct np_det_addr *b;
		struct np_nat_xlat_entry e;

		if (a->host_type != NP_SIP_HOST_IPV4 && a->host_type != NP_SIP_HOST_IPV6)
			continue;
		b = same_key(s, i);
		if (b != NULL) {
			if (b->xlat_kind == 0)
				continue;
			e.kind = b->xlat_kind;
		} else if (!np_nat_xlat_lookup(ins->xlat, &a->addr, a->port ? a->port : 5060,
					       s->flow.proto, &e)) {
			continue;
		}
		a->xlat_kind = e.kind;
		ins->stats.xlat_sip_hits++;
		if (e.kind == NP_NAT_X_SNAT_SOURCE)
			ins->stats.xlat_snat_named++;
	}
}

/* A segment of a SIP stream: the frame is part of a message, kept as evidence. */
static void on_sip_stream(void *ctx)
{
	((struct np_det_inspect *)ctx)->keep |= NP_HIST_F_SIP;
}

static void msgflow_emit(void *ctx, const struct np_flow_event *ev)
{
	np_det_inspect_event(ctx, ev);
}

int np_det_inspect_sip(struct np_det_inspect *ins, const struct np_flow_msg *fm, uint64_t log_hash)
{
	struct np_det_sip_stats *st = &ins->stats.sip[fm->segment % NP_DET_MAX_SEGMENTS];
	struct np_sip_msg *m = &ins->msg;
	struct np_det_sip *s = &ins->sum;
	int rc;

	/* the full parse only for a sink that reads it (dump-sip, HEP export) */
	if (ins->sink.sip_full != NULL || ins->sink.sip_error != NULL)
		rc = np_sip_parse(ins->db, ins->scratch, fm->data, fm->len, m);
	else
		rc = np_sip_parse_inspect(ins->db, ins->scratch, fm->data, fm->len, m);
	if (!headers_usable(rc, m, fm->flags)) {
		st->errors[m->err < NP_SIP_E_MAX ? m->err : NP_SIP_E_SCAN]++;
		if (ins->sink.sip_error != NULL)
			ins->sink.sip_error(ins->sink.ctx, fm, m);
		return -1;
	}
	if (m->is_request)
		st->requests[m->method < NP_SIP_M_MAX ? m->method : NP_SIP_M_OTHER]++;
	else
		st->responses[m->status / 100 <= 6 ? m->status / 100 : 0]++;
	/* a frame's message (not a log's): its Call-ID finds the frame in the history */
	if ((ins->keep & NP_HIST_F_SIP) && ins->hist != NULL && ins->call_key == 0 &&
	    m->call_id.len > 0)
		ins->call_key = np_hist_call_key(m->call_id.p, m->call_id.len);
	if (ins->sink.sip_full != NULL)
		ins->sink.sip_full(ins->sink.ctx, fm, m);
	if ((fm->flags & NP_FLOW_MSG_F_NO_FLOW) && ins->msgflow != NULL)
		det_msgflow_message(ins->msgflow, fm, m, msgflow_emit, ins);
	if (ins->sink.sip == NULL)
		return 0;
	np_det_sip_summarise(m, fm->data,
			     m->msg_len && m->msg_len <= fm->len ? m->msg_len : fm->len, s);
	s->flow.src = fm->src;
	s->flow.dst = fm->dst;
	s->flow.sport = fm->sport;
	s->flow.dport = fm->dport;
	s->flow.proto = fm->proto;
	s->ts_ns = fm->ts_ns;
	s->ref = *ins->ref;
	s->segment = fm->segment;
	s->flow_flags = fm->flags;
	if (fm->flags & NP_FLOW_MSG_F_LOGGED) {
		s->from_log = true;
		s->msg_hash = log_hash;
	}
	if (ins->xlat != NULL)
		mark_translations(ins, s);
	ins->sink.sip(ins->sink.ctx, s);
	return 0;
}

static void on_sip(void *ctx, const struct np_flow_msg *fm)
{
	struct np_det_inspect *ins = ctx;

	ins->keep |= NP_HIST_F_SIP;
	np_det_inspect_sip(ins, fm, 0);
}

static void *frag_alloc(void *ctx, size_t size)
{
	const struct np_flow_conf *fc = ctx;

	return fc->alloc(size, 64, fc->alloc_ctx);
}

static void frag_free(void *ctx, void *p)
{
	const struct np_flow_conf *fc = ctx;

	fc->free(p, fc->alloc_ctx);
}

/* The inspector keeps its own copy of the flow conf for the frag allocator. */
struct np_det_inspect_mem {
	struct np_det_inspect ins;
	struct np_flow_conf fc;
};

struct np_det_inspect *np_det_inspect_create(const struct np_det_inspect_conf *conf,
					     const struct np_det_inspect_sink *sink)
{
	struct np_det_inspect_mem *mem;
	struct np_det_inspect *ins;
	int err;

	if (conf == NULL || conf->sip_db == NULL || sink == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (conf->flow.alloc != NULL)
		mem = conf->flow.alloc(sizeof(*mem), 64, conf->flow.alloc_ctx);
	else
		mem = aligned_alloc(64, (sizeof(*mem) + 63) & ~(size_t)63);
	if (mem == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(mem, 0, sizeof(*mem));
	ins = &mem->ins;
	mem->fc = conf->flow;
	ins->db = conf->sip_db;
	ins->xlat = conf->xlat;
	ins->sink = *sink;
	ins->flow_sink.event = on_flow_event;
	ins->flow_sink.sip = on_sip;
	ins->flow_sink.ctx = ins;
	ins->hist = conf->hist;
	ins->keep_classes = conf->hist != NULL ? KEEP_CLASSES : 0;
	ins->ref = &no_ref;
	if (ins->hist != NULL)
		ins->flow_sink.sip_stream = on_sip_stream;
	ins->flows = np_flow_table_create(&conf->flow);
	if (ins->flows == NULL)
		goto fail;
	ins->scratch = np_sip_scratch_clone(conf->sip_db);
	if (ins->scratch == NULL)
		goto fail;
	if (conf->frag_datagrams > 0) {
		struct np_frag_conf frc = {
			.max_datagrams = conf->frag_datagrams,
			.max_datagram_len = NP_FRAG_DEFAULT_MAX_DATAGRAM_LEN,
			.max_frags_per_datagram = NP_FRAG_DEFAULT_MAX_FRAGS,
			.timeout_ns = conf->frag_timeout_ns ? conf->frag_timeout_ns
							    : NP_DET_FRAG_DEFAULT_TIMEOUT_NS,
		};

		if (conf->flow.alloc != NULL) {
			frc.alloc = frag_alloc;
			frc.free = frag_free;
			frc.alloc_ctx = &mem->fc;
		}
		ins->frags = np_frag_table_create(&frc);
		if (ins->frags == NULL)
			goto fail;
	}
	if (conf->msg_conns > 0) {
		ins->msgflow = det_msgflow_create(&conf->flow, conf->msg_conns);
		if (ins->msgflow == NULL)
			goto fail;
	}
	return ins;
fail:
	err = errno ? errno : ENOMEM;
	np_det_inspect_destroy(ins);
	errno = err;
	return NULL;
}

void np_det_inspect_destroy(struct np_det_inspect *ins)
{
	struct np_det_inspect_mem *mem = (struct np_det_inspect_mem *)ins;
	struct np_flow_conf fc;

	if (ins == NULL)
		return;
	fc = mem->fc;
	np_flow_table_destroy(ins->flows);
	np_frag_table_destroy(ins->frags);
	det_msgflow_destroy(ins->msgflow);
	np_sip_scratch_destroy(ins->scratch);
	if (fc.alloc != NULL)
		fc.free(mem, fc.alloc_ctx);
	else
		free(mem);
}

static inline int inspect(struct np_det_inspect *ins, uint8_t segment, const uint8_t *frame,
			  uint32_t len, const struct np_pkt_info *pi, uint64_t now_ns)
{
	switch (pi->cls) {
	case NP_PKT_TCP:
	case NP_PKT_UDP:
	case NP_PKT_ICMP:
	case NP_PKT_TRUNCATED:
		np_flow_process(ins->flows, segment, pi, frame, now_ns, &ins->flow_sink);
		return 0;
	case NP_PKT_FRAGMENT: {
		struct np_frag_result r;
		struct np_pkt_info whole;
		int rc;

		if (ins->frags == NULL)
			return 0;
		rc = np_frag_add(ins->frags, segment, frame, len, pi, now_ns, &r);
		if (rc < 0) {
			ins->stats.frag_dropped++;
			return 0;
		}
		if (rc == 0) {
			ins->stats.frag_held++;
			return 0;
		}
		ins->stats.frag_reassembled++;
		if (np_pkt_parse(r.frame, r.len, &whole) == NP_PKT_UDP || whole.cls == NP_PKT_TCP)
			np_flow_process(ins->flows, segment, &whole, r.frame, now_ns,
					&ins->flow_sink);
		return 0;
	}
	default:
		return 0;
	}
}

static inline uint32_t keep_class(const struct np_pkt_info *pi)
{
	if (pi->cls == NP_PKT_ICMP)
		return pi->icmp_inner.valid ? NP_HIST_F_ICMP : 0;
	if (pi->cls == NP_PKT_FRAGMENT)
		return NP_HIST_F_FRAGMENT;
	return (pi->tcp_flags & 0x07) ? NP_HIST_F_TCP_CTL : 0; /* FIN, SYN, RST */
}

/* Copy the frame into the evidence history, with the keys that find it again. */
static __attribute__((noinline)) void keep_frame(struct np_det_inspect *ins, uint32_t keep,
						 const uint8_t *frame, uint32_t len,
						 const struct np_pkt_info *pi, uint64_t now_ns)
{
	struct np_hist_meta m;

	memset(&m, 0, sizeof(m));
	m.ref = *ins->ref;
	m.ts_ns = now_ns;
	m.flags = keep;
	m.call_key = ins->call_key;
	if (pi->cls == NP_PKT_ICMP)
		m.flow_key = np_hist_flow_key(ins->ref->segment, pi->icmp_inner.proto,
					      &pi->icmp_inner.src, pi->icmp_inner.sport,
					      &pi->icmp_inner.dst, pi->icmp_inner.dport);
	else if (pi->l4_off != 0)
		m.flow_key = np_hist_flow_key(ins->ref->segment, pi->l4_proto, &pi->src, pi->sport,
					      &pi->dst, pi->dport);
	np_hist_put(ins->hist, &m, frame, len);
}

int np_det_inspect_frame_ref(struct np_det_inspect *ins, const struct np_pkt_ref *ref,
			     const uint8_t *frame, uint32_t len, const struct np_pkt_info *pi,
			     uint64_t now_ns)
{
	uint32_t keep = 0;

	/*
	 * What a frame that earns nothing costs: a store, a test of its class,
	 * a test of what the callbacks set. Those set ins->keep (SIP, refusals);
	 * it is cleared only when set.
	 */
	ins->ref = ref;
	if (__builtin_expect((ins->keep_classes >> pi->cls) & 1, 0))
		keep = keep_class(pi);
	inspect(ins, ref->segment, frame, len, pi, now_ns);
	keep |= ins->keep;
	if (__builtin_expect(keep != 0, 0)) {
		if (ins->hist != NULL)
			keep_frame(ins, keep, frame, len, pi, now_ns);
		ins->keep = 0;
		ins->call_key = 0;
	}
	ins->ref = &no_ref; /* what comes between frames (ageing, a log's entries) names none */
	return 0;
}

int np_det_inspect_fast(struct np_det_inspect *ins, uint8_t segment, const uint8_t *frame,
			uint32_t len, unsigned int mode, uint64_t now_ns, struct np_pkt_info *pi)
{
	_Static_assert(NP_DET_FAST_NOT_PLAIN == NP_FLOW_FAST_NOT_PLAIN &&
			       NP_DET_FAST_PARSED == NP_FLOW_FAST_PARSED,
		       "the flow layer's answers are the inspector's");
	return np_flow_fast(ins->flows, segment, frame, len, mode, now_ns, pi);
}

unsigned int np_det_inspect_fast_burst(struct np_det_inspect *ins, uint8_t segment,
				       const uint8_t *const *frames, const uint32_t *lens,
				       unsigned int n, unsigned int mode, uint64_t now_ns,
				       uint64_t *ctr, struct np_pkt_info *pi, int *rc)
{
	return np_flow_fast_burst(ins->flows, segment, frames, lens, n, mode, now_ns, ctr, pi, rc);
}

int np_det_inspect_frame(struct np_det_inspect *ins, uint8_t segment, const uint8_t *frame,
			 uint32_t len, const struct np_pkt_info *pi, uint64_t now_ns)
{
	struct np_pkt_ref ref = { .segment = segment };

	return np_det_inspect_frame_ref(ins, &ref, frame, len, pi, now_ns);
}

unsigned int np_det_inspect_expire(struct np_det_inspect *ins, uint64_t now_ns,
				   unsigned int max_work)
{
	unsigned int done;

	done = np_flow_expire(ins->flows, now_ns, max_work, &ins->flow_sink);

	if (ins->frags != NULL && done < max_work)
		done += np_frag_expire(ins->frags, now_ns, max_work - done);
	if (ins->msgflow != NULL && done < max_work)
		done += det_msgflow_expire(ins->msgflow, now_ns, max_work - done, msgflow_emit,
					   ins);
	return done;
}

const struct np_det_inspect_stats *np_det_inspect_stats(const struct np_det_inspect *ins)
{
	return &ins->stats;
}

const struct np_flow_stats *np_det_inspect_flow_stats(const struct np_det_inspect *ins)
{
	return np_flow_stats(ins->flows);
}
