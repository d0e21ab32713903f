/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_CORRELATE_INTERNAL_H
#define NP_CORRELATE_INTERNAL_H

#include <stdio.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "np_correlate.h"
#include "np_hash.h"

/*
 * Copy the string @p src into @p dst of @p size bytes, cut to fit and always
 * terminated: what snprintf(dst, size, "%s", src) does, without the format
 * machinery (several copies per SIP message on the control thread).
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wunknown-warning-option"
/* src is terminated; strnlen stops there even when its bound is larger than
 * the array it sits in, which gcc's overread check cannot know. */
#pragma GCC diagnostic ignored "-Wstringop-overread"
static inline void det_copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}
#pragma GCC diagnostic pop

/*
 * det_copy_str() of @p src, a text of summary @p s (np_det_sip_str()), or any
 * other string. A text's bytes up to the summary's text_len are all written
 * (the texts lie one after the other), so it is read 16 bytes at a time
 * within them: the first block with its NUL ends the copy, no strnlen and
 * memcpy calls for the short texts of a message (method, CSeq, Call-ID,
 * header values: several per message on the control thread). The bytes of
 * @p dst after the NUL are then those of the following texts (dst holds a
 * string; nothing reads past its NUL). Longer texts, texts at the end of the
 * area, and strings from elsewhere take det_copy_str().
 */
static inline void det_copy_text(char *dst, size_t size, const struct np_det_sip *s,
				 const char *src)
{
#if defined(__SSE2__)
	if (src >= s->text && src < s->text + s->text_len) {
		size_t avail = (size_t)(s->text + s->text_len - src);

		for (size_t k = 0; k < 64 && k + 16 <= avail && k + 16 <= size; k += 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(src + k));
			unsigned int m = (unsigned int)_mm_movemask_epi8(
				_mm_cmpeq_epi8(v, _mm_setzero_si128()));

			_mm_storeu_si128((__m128i *)(void *)(dst + k), v);
			if (m != 0)
				return; /* dst[k + ctz(m)] is the NUL, within size */
		}
	}
#endif
	det_copy_str(dst, size, src);
}

/* An endpoint: address and port (0 = any port) of one protocol. */
struct det_ep {
	struct np_addr addr;
	uint16_t port;
	uint8_t proto;
};

/* An SNAT-translated source: T exists only as the firewall's binding of X. */
struct det_xlat {
	bool used;
	struct det_ep t;	  /* translated endpoint, seen by the server */
	struct det_ep x;	  /* original endpoint, the client's */
	struct det_ep server_pub; /* what the client dialled */
	struct det_ep server;	  /* where it was delivered */
	uint8_t seg_client, seg_server;
	uint32_t binding_id;  /* learner's binding id; 0 for static */
	uint32_t binding_rec; /* record id of the binding; 0 until written */
	uint32_t hairpin_rec; /* record id of hairpin_snat, 0 if none */
	uint64_t ts_ns;
	struct np_pkt_ref first[2]; /* first frame of its flow on each side (frame 0: unknown) */
};

/* An endpoint a SIP header named, kept a while for late joins. */
/* The binding a record about translation @p x carries: X on @p seg_a, T on the server's. */
static inline void det_record_xlat(struct np_det_record *r, const struct det_xlat *x, uint8_t seg_a)
{
	r->has_binding = true;
	r->binding.seg_a = seg_a;
	r->binding.seg_b = x->seg_server;
	r->binding.a.src = x->x.addr;
	r->binding.a.sport = x->x.port;
	r->binding.b.src = x->t.addr;
	r->binding.b.sport = x->t.port;
	r->binding.proto = x->t.proto;
}

struct det_named {
	bool used;
	struct det_ep ep;
	uint64_t ts_ns;
	struct np_det_tuple flow;
	int8_t segment;
	uint8_t hdr;
	uint16_t status;	      /* of a response; 0 for a request */
	struct np_pkt_ref ref;	      /* the frame of the message */
	char method[NP_DET_TEXT_LEN]; /* of a request; "" for a response */
	char call_id[NP_DET_CALLID_LEN];
	char cseq[NP_DET_TEXT_LEN];
	char value[NP_DET_VALUE_LEN];
};

/* A refused or unanswered connection attempt, kept a while. */
struct det_refusal {
	bool used;
	struct np_flow_event ev;
	struct np_pkt_ref syn_ref; /* the attempt's first SYN (frame 0: not seen) */
	bool reported;		   /* phantom_connect raised for it */
	uint32_t anomaly_seq;	   /* ... as this anomaly */
};

/* What a transaction's final response said, kept to judge it again. */
struct det_final {
	uint64_t ts_ns;
	struct np_det_tuple flow;
	uint16_t status;
	uint16_t warning_code;
	int8_t segment;
	struct np_pkt_ref ref;
	char warning_agent[NP_DET_TEXT_LEN];
};

/* A SIP transaction, for sip_timeout. */
struct det_txn {
	bool used;
	bool final_seen;
	bool reported;
	bool request_seen;    /* false: made from a response whose request was not seen */
	bool provisional;     /* a 1xx was seen */
	bool ringing;	      /* an INVITE got a 1xx above 100: the callee was reached */
	uint32_t anomaly_seq; /* its sip_timeout, when reported */
	uint8_t method_id;    /* enum np_sip_method of the request */
	uint64_t key;
	uint64_t req_ns;
	int8_t segment;
	struct np_pkt_ref req_ref[4]; /* frames of the request, a copy per segment */
	uint8_t n_req_ref;
	struct np_det_tuple flow; /* of the request */
	/* texts and fin last: a slot taken clears only what is before them */
	char method[NP_DET_TEXT_LEN];
	char call_id[NP_DET_CALLID_LEN];
	char cseq[NP_DET_TEXT_LEN];
	struct det_final fin; /* when final_seen */
};

/* One message as seen per segment, for alg_rewrite. */
struct det_sighting {
	bool used;
	bool reported;
	uint64_t key;
	int8_t segment;
	uint64_t msg_hash;
	uint64_t hdr_hash[NP_DET_H_MAX];
	uint64_t ts_ns;
	struct np_det_tuple flow;
	struct np_pkt_ref ref;
};

/*
 * An anomaly remembered for incident building, from the moment it is first
 * seen: while its finding collects repeats (id 0) and after it is written.
 * Kept in a ring: anomalies[seq % DET_MAX_ANOMALIES] while its seq matches.
 */
struct det_anomaly {
	uint32_t seq; /* 0 = free */
	uint32_t id;  /* record id; 0 while the finding is open */
	int finding;  /* slot in findings[] while open, else -1 */
	uint8_t type;
	uint64_t ts_ns;
	int xlat; /* index in xlat[], -1 if none */
	struct det_ep endpoint;
	char call_id[NP_DET_CALLID_LEN];
	int8_t segment;	  /* where it was seen; -1 across segments */
	uint8_t n_frames; /* its record's frames, once written */
	struct np_pkt_ref frames[NP_DET_ANOMALY_FRAMES];
	bool service; /* a SIP SERVICE (Expressway traversal) is its message */
};

/*
 * A finding collecting its repeats: the record to be written, how many
 * distinct messages or attempts showed it, and the rank of the copy the
 * record describes (lower is better: the same message on another segment
 * may describe it better, whatever order the copies arrive in).
 */
#define DET_FINDING_MSGS 4
struct det_finding {
	bool used;
	uint64_t key;
	uint32_t anomaly_seq;
	uint32_t rank;
	uint64_t msgs[DET_FINDING_MSGS]; /* last messages counted: a copy counts once */
	unsigned int n_msgs;
	struct np_det_record rec;
};

#define DET_MAX_XLAT 4096
#define DET_MAX_NAMED 4096
#define DET_MAX_REFUSALS 1024
#define DET_MAX_TXN 16384
#define DET_MAX_SIGHTINGS 16384
#define DET_MAX_ANOMALIES 4096
#define DET_MAX_DEDUPE 16384
#define DET_MAX_SERVICE_PORTS 4096
#define DET_MAX_INCIDENTS 256
#define DET_MAX_FINDINGS 1024
#define DET_MAX_RESPONDERS 4096
#define DET_MAX_FIRST 16384

/* The first frame of a flow (its NEW event), by flow: what a record cites for it. */
struct det_first {
	uint64_t key; /* 0 = free */
	struct np_pkt_ref ref;
};

/*
 * Which of a learned binding's two flows are still in a worker's flow table.
 * A binding lives while either does, then the learner's grace period.
 */
struct det_live {
	uint32_t id;  /* binding id; 0 = free */
	uint8_t mask; /* bit 0: flow on seg_a alive, bit 1: on seg_b */
	uint8_t proto;
	uint8_t seg_a, seg_b;
	struct np_nat_tuple a, b;
};

#define DET_MAX_LIVE 65536
#define DET_MAX_PENDING_BINDINGS 4096
#define DET_EXPIRE_EVERY_NS 1000000000ull

struct det_incident {
	bool used;
	bool written;
	int xlat;
	uint64_t last_ns;
	uint32_t n;
	uint32_t members[NP_DET_MAX_EVIDENCE]; /* anomaly seqs */
};

/*
 * Indexes over xlat[] (chained hash, the chains in index order of insertion,
 * links are index + 1, 0 ends a chain): by translated endpoint, by the
 * endpoint and the address clients dial, and by binding id. Lookups that
 * walked all of xlat[] for every SIP address (thousands of bindings learned)
 * take one short chain.
 */
enum {
	DET_XI_T,
	DET_XI_PUB,
	DET_XI_PUB_ADDR,
	DET_XI_BINDING,
	DET_XI_MAX
};
#define DET_XLAT_BUCKETS 8192

struct np_det_correlator {
	struct np_det_correlator_conf conf;
	struct np_nat_learner *learner;
	struct np_det_correlator_stats stats;
	uint32_t next_id;
	uint64_t now_ns;
	uint64_t t1_ns;
	uint64_t settle_ns;
	struct det_xlat xlat[DET_MAX_XLAT];
	unsigned int n_xlat;
	uint32_t xlat_head[DET_XI_MAX][DET_XLAT_BUCKETS];
	uint32_t xlat_next[DET_XI_MAX][DET_MAX_XLAT];
	struct det_named named[DET_MAX_NAMED];
	struct det_refusal refusals[DET_MAX_REFUSALS];
	unsigned int refusal_next;
	struct det_txn txn[DET_MAX_TXN];
	struct det_sighting sightings[DET_MAX_SIGHTINGS];
	uint64_t dedupe[DET_MAX_DEDUPE];
	struct det_ep service_ports[DET_MAX_SERVICE_PORTS];
	struct np_addr service_addrs[DET_MAX_SERVICE_PORTS];
	struct det_anomaly anomalies[DET_MAX_ANOMALIES]; /* ring by seq */
	uint32_t next_seq;
	struct det_finding findings[DET_MAX_FINDINGS];
	uint64_t window_ns;	  /* repeat window */
	uint64_t findings_due_ns; /* no open finding's window closes before this */
	struct det_ep responders[DET_MAX_RESPONDERS]; /* endpoints that answered requests */
	struct det_incident incidents[DET_MAX_INCIDENTS];
	struct det_first first[DET_MAX_FIRST]; /* key % DET_MAX_FIRST */
	uint32_t binding_rec[DET_MAX_XLAT];    /* binding id % DET_MAX_XLAT -> record id */
	struct det_live live[DET_MAX_LIVE];    /* binding id % DET_MAX_LIVE */
	unsigned int live_end;		       /* live[] slots [0, live_end) were ever written */
	/* Learned bindings whose record waits out the join window (ambiguity, seq offset). */
	struct np_nat_binding pending_bindings[DET_MAX_PENDING_BINDINGS];
	unsigned int n_pending_bindings;
	uint64_t binding_window_ns;
	uint64_t next_expire_ns;
	/* No transaction's no-answer timer runs out before this (a lower bound:
	 * the sweep skips until then, then recomputes it). */
	uint64_t txn_due_ns;
	struct np_det_record rec; /* being built */
};

/* correlate.c */
char *det_ep_str(const struct det_ep *e, char *buf, size_t len);
bool det_ep_eq(const struct det_ep *a, const struct det_ep *b);
void det_emit(struct np_det_correlator *c, struct np_det_record *r);
/* The anomaly with sequence number @p seq, or NULL when it left the ring. */
struct det_anomaly *det_anomaly_get(struct np_det_correlator *c, uint32_t seq);
/* Write the finding of anomaly @p a now, if it is still open. */
void det_finding_close_anomaly(struct np_det_correlator *c, struct det_anomaly *a);
/* Add @p ref (frame 0: nothing) to @p list of *@p n, at most @p max, once. */
void det_frames_add(struct np_pkt_ref *list, uint8_t *n, unsigned int max,
		    const struct np_pkt_ref *ref);

/* incident.c */
void det_incident_consider(struct np_det_correlator *c, struct det_anomaly *a);
void det_incident_flush(struct np_det_correlator *c, bool all);

#endif /* NP_CORRELATE_INTERNAL_H */
