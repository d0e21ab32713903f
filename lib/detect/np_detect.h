/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_DETECT_H
#define NP_DETECT_H

/**
 * @file
 * Detection: what the workers extract from each frame (the inspector) and
 * how the control thread turns it into anomalies and incidents (the
 * correlator).
 *
 * Worker side: np_det_inspect_frame() takes a parsed frame, reassembles IP
 * fragments, tracks the flow (lib/flow), parses each SIP message (lib/sip)
 * and reports, through callbacks, flow events and compact SIP summaries
 * (struct np_det_sip): the fixed-size, pointer-free form in which a SIP
 * message crosses the worker -> control ring.
 *
 * Control side: np_det_correlator_*() consumes those events in time order
 * (live: drained from the rings; offline: straight from the inspector),
 * learns NAT bindings (lib/nat), matches transactions, raises the anomalies
 * of the catalogue (docs/anomalies.md) and joins them into incidents. Output
 * is a stream of struct np_det_record, written as JSON lines by lib/export.
 *
 * No DPDK types; no allocation on the worker side after create.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "np_flow.h"
#include "np_nat.h"
#include "np_pkt.h"
#include "np_sip.h"

#define NP_DET_MAX_SEGMENTS 16
#define NP_DET_MAX_ADDRS 16	/**< addresses kept per SIP summary */
#define NP_DET_VALUE_LEN 112	/**< header value text kept per address (with NUL) */
#define NP_DET_CALLID_LEN 128
#define NP_DET_BRANCH_LEN 80
#define NP_DET_TAG_LEN 64
#define NP_DET_TEXT_LEN 48	/**< method, CSeq, warning agent */
#define NP_DET_RURI_LEN 128

/* ------------------------------------------------------------------ */
/* SIP summaries                                                       */

/** Which header an address came from. Names: np_det_hdr_name(). */
enum np_det_hdr {
	NP_DET_H_VIA = 0,	/**< "Via" (sent-by) */
	NP_DET_H_ROUTE,		/**< "Route" */
	NP_DET_H_RECORD_ROUTE,	/**< "Record-Route" */
	NP_DET_H_PATH,		/**< "Path" */
	NP_DET_H_SERVICE_ROUTE,	/**< "Service-Route" */
	NP_DET_H_CONTACT,	/**< "Contact" */
	NP_DET_H_SDP_C,		/**< "SDP c=" */
	NP_DET_H_MAX
};

/** One address a SIP message names. */
struct np_det_addr {
	uint8_t hdr;		/**< enum np_det_hdr */
	uint8_t index;		/**< position among that header's values (0 = top) */
	uint8_t host_type;	/**< enum np_sip_host_type */
	uint8_t xlat_kind;	/**< enum np_nat_xlat_kind the worker found for it; 0 none */
	uint16_t port;		/**< 0 when the value names none */
	struct np_addr addr;	/**< when host_type is IPV4 / IPV6 */
	char value[NP_DET_VALUE_LEN]; /**< the value as written (truncated, NUL-terminated) */
};

/** Transport of a Via (as written in its sent-protocol). */
enum np_det_transport {
	NP_DET_T_NONE = 0,	/**< no Via, or not understood */
	NP_DET_T_UDP,
	NP_DET_T_TCP,
	NP_DET_T_TLS,
	NP_DET_T_SCTP,
	NP_DET_T_WS,		/**< WS or WSS */
	NP_DET_T_OTHER,
};

/* np_det_sip::nat_flags: what a message says about its own NAT traversal. */
#define NP_DET_SIP_RPORT	(1u << 0) /**< the top Via asks for rport (RFC 3581) */
#define NP_DET_SIP_OUTBOUND	(1u << 1) /**< a Contact uses SIP outbound (RFC 5626: reg-id,
					   *   +sip.instance or ;ob): the flow is the route */
#define NP_DET_SIP_PATH		(1u << 2) /**< a Path header: an edge proxy handles the route */
#define NP_DET_SIP_ICE		(1u << 3) /**< the SDP offers ICE server-reflexive or relayed
					   *   candidates: media finds its way through NAT */
#define NP_DET_SIP_RECORD_ROUTE	(1u << 4) /**< a Record-Route header: proxies stay in the path */
#define NP_DET_SIP_UNREGISTER	(1u << 5) /**< Expires: 0 or Contact "*": bindings removed */

/** A message's endpoints as it travelled on the wire. */
struct np_det_tuple {
	struct np_addr src;
	struct np_addr dst;
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;		/**< 6 TCP, 17 UDP */
};

/** Compact, fixed-size summary of one SIP message. */
struct np_det_sip {
	struct np_det_tuple flow;
	uint64_t ts_ns;
	struct np_pkt_ref ref;	/**< the frame that completed the message (frame 0: a log) */
	uint64_t msg_hash;	/**< hash of the message bytes (alg_rewrite) */
	uint64_t hdr_hash[NP_DET_H_MAX]; /**< hash of each header's values (what changed) */
	uint32_t cseq;
	uint16_t status;	/**< 0 for requests */
	uint16_t warning_code;	/**< first Warning code, 0 if none */
	uint8_t segment;
	uint8_t method;		/**< enum np_sip_method (requests) */
	uint8_t cseq_method;	/**< enum np_sip_method */
	uint8_t n_addrs;
	bool is_request;
	bool has_sdp;
	bool from_log;		/**< read from a diagnostic log, not the wire: msg_hash is
				 *   over the text without white space */
	uint8_t flow_flags;	/**< NP_FLOW_MSG_F_* */
	uint8_t n_via;		/**< Via values in the message (255: that many or more) */
	uint8_t via_transport;	/**< enum np_det_transport of the top Via */
	uint8_t nat_flags;	/**< NP_DET_SIP_* */
	uint16_t via_port;	/**< top Via sent-by port; 0 when absent (5060 applies) */
	char method_text[NP_DET_TEXT_LEN];
	char cseq_text[NP_DET_TEXT_LEN];	/**< "4616 SERVICE" */
	char call_id[NP_DET_CALLID_LEN];
	char branch[NP_DET_BRANCH_LEN];		/**< top Via branch */
	char from_tag[NP_DET_TAG_LEN];
	char to_tag[NP_DET_TAG_LEN];
	char ruri[NP_DET_RURI_LEN];
	char warning_agent[NP_DET_TEXT_LEN];
	struct np_det_addr addrs[NP_DET_MAX_ADDRS];
};

/**
 * Fill @p out from a parsed message. Values longer than the fields are cut
 * (and stay NUL-terminated).
 * @param m    np_sip_parse() result (err NP_SIP_OK)
 * @param raw  the message bytes m was parsed from, @p len long (for msg_hash)
 */
void np_det_sip_summarise(const struct np_sip_msg *m, const uint8_t *raw, size_t len,
			  struct np_det_sip *out);

const char *np_det_hdr_name(unsigned int hdr);

/* ------------------------------------------------------------------ */
/* Worker side: the inspector                                          */

/** SIP counters per segment, plain, written by the inspector's owner. */
struct np_det_sip_stats {
	uint64_t requests[NP_SIP_M_MAX];	/**< by enum np_sip_method */
	uint64_t responses[7];			/**< by status class: [1] 1xx .. [6] 6xx */
	uint64_t errors[NP_SIP_E_MAX];		/**< parse errors by enum np_sip_err */
};

/** Inspector counters. */
struct np_det_inspect_stats {
	struct np_det_sip_stats sip[NP_DET_MAX_SEGMENTS];
	uint64_t frag_held;		/**< fragments waiting for their datagram */
	uint64_t frag_reassembled;	/**< datagrams rebuilt */
	uint64_t frag_dropped;		/**< fragments dropped (see lib/pkt np_frag stats) */
	uint64_t xlat_sip_hits;		/**< SIP addresses the translation table knows */
	uint64_t xlat_snat_named;	/**< ... of them translated sources (misroute risk) */
	uint64_t xlat_syn_to_snat;	/**< TCP connection attempts to a translated source */
};

struct np_hist;

struct np_det_inspect_conf {
	struct np_flow_conf flow;	/**< flow table (sizes, timeouts, SIP ports, allocator) */
	uint32_t frag_datagrams;	/**< IP datagrams reassembled at once; 0 = no reassembly */
	uint64_t frag_timeout_ns;	/**< 0 = 2 s */
	const struct np_sip_db *sip_db;	/**< compiled once, shared; the inspector clones scratch */
	/**
	 * The translation table the control thread publishes bindings into, read
	 * lock-free per SIP address and per connection attempt; may be NULL.
	 */
	const struct np_nat_xlat *xlat;
	/**
	 * Evidence history (np_history.h) the inspector copies the frames it
	 * acts on into: those carrying SIP (every TCP segment of a SIP stream),
	 * TCP SYN, FIN and RST, ICMP errors and IP fragments. NULL: none kept.
	 * Written only by the inspector's thread; the caller creates and frees it.
	 */
	struct np_hist *hist;
};

/** Where the inspector reports. Any member may be NULL. */
struct np_det_inspect_sink {
	void (*flow_event)(void *ctx, const struct np_flow_event *ev);
	/** A SIP message's summary (what the live path sends to control). */
	void (*sip)(void *ctx, const struct np_det_sip *s);
	/** The same message fully parsed (dump-sip); valid during the call only. */
	void (*sip_full)(void *ctx, const struct np_flow_msg *fm, const struct np_sip_msg *m);
	/** A SIP message that could not be parsed (m->err says why). */
	void (*sip_error)(void *ctx, const struct np_flow_msg *fm, const struct np_sip_msg *m);
	void *ctx;
};

struct np_det_inspect;

/**
 * Create an inspector (one per worker, used by one thread).
 * @return it, or NULL with errno: EINVAL (bad conf, no sip_db), ENOMEM.
 */
struct np_det_inspect *np_det_inspect_create(const struct np_det_inspect_conf *conf,
					     const struct np_det_inspect_sink *sink);

void np_det_inspect_destroy(struct np_det_inspect *ins);

/**
 * Inspect one frame already classified by np_pkt_parse(). Frames of other
 * classes than TCP, UDP, ICMP, FRAGMENT and TRUNCATED are ignored.
 * @return 0; the frame is never modified.
 */
int np_det_inspect_frame(struct np_det_inspect *ins, uint8_t segment, const uint8_t *frame,
			 uint32_t len, const struct np_pkt_info *pi, uint64_t now_ns);

/**
 * np_det_inspect_frame() for a frame whose origin is known: @p ref (its
 * segment, input and frame number; read during the call only) is handed on
 * in the flow events (np_flow_event::ref) and SIP summaries
 * (np_det_sip::ref) the frame causes, and kept with the frame in the
 * evidence history. The segment is ref->segment. @return 0.
 */
int np_det_inspect_frame_ref(struct np_det_inspect *ins, const struct np_pkt_ref *ref,
			     const uint8_t *frame, uint32_t len, const struct np_pkt_info *pi,
			     uint64_t now_ns);

/** Age flows and fragments; bounded by @p max_work. @return work done. */
unsigned int np_det_inspect_expire(struct np_det_inspect *ins, uint64_t now_ns,
				   unsigned int max_work);

const struct np_det_inspect_stats *np_det_inspect_stats(const struct np_det_inspect *ins);
const struct np_flow_stats *np_det_inspect_flow_stats(const struct np_det_inspect *ins);

/* ------------------------------------------------------------------ */
/* Records                                                             */

enum np_det_kind {
	NP_DET_KIND_ANOMALY = 0,	/**< "anomaly" */
	NP_DET_KIND_INCIDENT,		/**< "incident" */
	NP_DET_KIND_BINDING,		/**< "binding" */
};

/** Record types: the anomaly catalogue (names are a contract). */
enum np_det_type {
	NP_DET_HAIRPIN_SNAT = 0,	/**< "hairpin_snat" */
	NP_DET_TRANSLATED_ROUTE,	/**< "translated_route" */
	NP_DET_PHANTOM_CONNECT,		/**< "phantom_connect" */
	NP_DET_SIP_TIMEOUT,		/**< "sip_timeout" */
	NP_DET_PRIVATE_VIA_CONTACT,	/**< "private_via_contact" */
	NP_DET_SDP_ADDRESS_MISMATCH,	/**< "sdp_address_mismatch" */
	NP_DET_ALG_REWRITE,		/**< "alg_rewrite" */
	NP_DET_NAT_REFLECTION_MISROUTE,	/**< "nat_reflection_misroute" (incident) */
	NP_DET_BINDING_LEARNED,		/**< "nat_binding" (binding records) */
	NP_DET_TYPE_MAX
};

enum np_det_severity {
	NP_DET_SEV_INFO = 0,	/**< "info" */
	NP_DET_SEV_WARNING,	/**< "warning" */
	NP_DET_SEV_CRITICAL,	/**< "critical" */
};

#define NP_DET_MAX_EVIDENCE 16
/** Frames a record names (np_det_record::frames); an anomaly names at most 8. */
#define NP_DET_MAX_FRAMES 32
#define NP_DET_ANOMALY_FRAMES 8
#define NP_DET_DEFAULT_REPEAT_WINDOW_NS (60ull * 1000000000ull)
#define NP_DET_DETAIL_LEN 768
#define NP_DET_EP_LEN 64

/** One record. Strings are NUL-terminated; empty means absent. */
struct np_det_record {
	uint32_t id;
	uint8_t kind;		/**< enum np_det_kind */
	uint8_t type;		/**< enum np_det_type */
	uint8_t severity;	/**< enum np_det_severity */
	int8_t segment;		/**< segment index, -1 when none */
	uint64_t ts_ns;
	bool has_flow;
	struct np_det_tuple flow;
	bool has_sip;
	/**
	 * The SIP message, when has_sip. An incident has has_sip false but
	 * sip.call_id set to a Call-ID found in its evidence (or "").
	 */
	struct {
		char method[NP_DET_TEXT_LEN];	/**< request method; "" for a response */
		uint16_t status;		/**< response status; 0 for a request */
		char call_id[NP_DET_CALLID_LEN];
		char cseq[NP_DET_TEXT_LEN];
		char header[24];
		char value[NP_DET_VALUE_LEN];
	} sip;
	char endpoint[NP_DET_EP_LEN];
	/**
	 * Anomalies: how many times the same finding (type, endpoint, header) was
	 * seen in its window, and when it was last seen (ts_ns is the first). 0 for
	 * incidents and bindings.
	 */
	uint32_t count;
	uint64_t last_ns;
	bool has_binding;
	struct np_nat_binding binding;
	char timeout_kind[8];		/**< sip_timeout: "fast" or "timer" */
	int64_t delay_ms;		/**< sip_timeout, phantom_connect: -1 when unknown */
	uint8_t n_evidence;
	uint32_t evidence[NP_DET_MAX_EVIDENCE];	/**< ids of the records it joins */
	/**
	 * The frames that show it, sorted by segment, input and frame number:
	 * an anomaly's messages and connection attempts (the copies on every
	 * segment, at most NP_DET_ANOMALY_FRAMES), a binding's first frame on
	 * each side, an incident's union of its evidence's frames. Empty for
	 * what came from a log.
	 */
	uint8_t n_frames;
	struct np_pkt_ref frames[NP_DET_MAX_FRAMES];
	char detail[NP_DET_DETAIL_LEN];
	char diagnosis[1536];		/**< incidents */
	char fix[2][768];		/**< incidents: the two fixes */
	char ladder[1024];		/**< incidents: evidence ladder for the human report */
};

const char *np_det_kind_name(unsigned int kind);
const char *np_det_type_name(unsigned int type);
const char *np_det_severity_name(unsigned int sev);

/* ------------------------------------------------------------------ */
/* Control side: the correlator                                        */

struct np_det_correlator_conf {
	unsigned int n_segments;
	const char *segment_names[NP_DET_MAX_SEGMENTS];
	const struct np_static_nat *static_nat;	/**< may be NULL */
	unsigned int n_static;
	struct np_nat_xlat *xlat;	/**< translation table to publish into; may be NULL */
	/** Bindings (static included) the learner holds at once; 0 = NP_NAT_DEFAULT_MAX_BINDINGS. */
	uint32_t max_bindings;
	uint64_t t1_ns;			/**< SIP T1; 0 = 500 ms */
	uint64_t incident_settle_ns;	/**< quiet time before an incident is written; 0 = 2 s */
	/**
	 * Repeats of one finding (same type, endpoint and header) within this
	 * time of its first sighting make one anomaly record with a count; the
	 * record is written when the window closes (earlier when an incident
	 * cites it, at the latest at finish). 0 = NP_DET_DEFAULT_REPEAT_WINDOW_NS.
	 */
	uint64_t repeat_window_ns;
	/** Called for every record, in id order. */
	void (*record)(void *ctx, const struct np_det_record *r);
	void *ctx;
};

/** Correlator counters. */
struct np_det_correlator_stats {
	uint64_t anomalies[NP_DET_TYPE_MAX];
	uint64_t incidents[NP_DET_TYPE_MAX];
	uint64_t bindings;
	uint64_t sip_messages;
	uint64_t flow_events;
	uint64_t transactions_open;	/**< gauge */
	uint64_t transactions_dropped;	/**< table full */
};

struct np_det_correlator;

/** @return a correlator, or NULL with errno (EINVAL, ENOMEM). */
struct np_det_correlator *np_det_correlator_create(const struct np_det_correlator_conf *conf);

void np_det_correlator_destroy(struct np_det_correlator *c);

/** Feed one flow event (from any worker). */
void np_det_correlator_flow(struct np_det_correlator *c, const struct np_flow_event *ev);

/** Feed one SIP summary (from any worker). */
void np_det_correlator_sip(struct np_det_correlator *c, const struct np_det_sip *s);

/** Advance time: transaction timers, incident settling, binding expiry. */
void np_det_correlator_tick(struct np_det_correlator *c, uint64_t now_ns);

/** End of input: judge what is pending and write every incident still open. */
void np_det_correlator_finish(struct np_det_correlator *c, uint64_t now_ns);

const struct np_det_correlator_stats *np_det_correlator_stats(const struct np_det_correlator *c);

/** The binding learner inside (for telemetry and reports). */
struct np_nat_learner *np_det_correlator_learner(struct np_det_correlator *c);

#endif /* NP_DETECT_H */
