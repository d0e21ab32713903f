/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_CORRELATE_H
#define NP_CORRELATE_H

/**
 * @file
 * Detection, control side: the correlator, run by the control thread only
 * (single-threaded). It consumes the inspectors' flow events and SIP
 * summaries (lib/inspect) in time order (live: drained from the workers'
 * rings; offline: straight from the inspector), learns NAT bindings
 * (lib/nat), matches transactions, raises the anomalies of the catalogue
 * (docs/anomalies.md) and joins them into incidents. Output is a stream of
 * struct np_det_record: structured findings, rendered as JSON lines, report
 * text and pictures by lib/export.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "np_conf.h"
#include "np_flow.h"
#include "np_inspect.h"
#include "np_nat.h"
#include "np_pkt.h"

/* ------------------------------------------------------------------ */
/* Records                                                             */

enum np_det_kind {
	NP_DET_KIND_ANOMALY = 0, /**< "anomaly" */
	NP_DET_KIND_INCIDENT,	 /**< "incident" */
	NP_DET_KIND_BINDING,	 /**< "binding" */
};

/**
 * Record types: the anomaly catalogue (names are a contract; docs/anomalies.md).
 * One row each: enum suffix, name, kind of the records it types. A new type
 * is a row here and the rule that raises it (correlate.c or incident.c); its
 * counter series, name and JSON follow from the row.
 */
#define NP_DET_TYPES(X)                                                 \
	X(HAIRPIN_SNAT, "hairpin_snat", ANOMALY)                        \
	X(TRANSLATED_ROUTE, "translated_route", ANOMALY)                \
	X(PHANTOM_CONNECT, "phantom_connect", ANOMALY)                  \
	X(SIP_TIMEOUT, "sip_timeout", ANOMALY)                          \
	X(PRIVATE_VIA_CONTACT, "private_via_contact", ANOMALY)          \
	X(SDP_ADDRESS_MISMATCH, "sdp_address_mismatch", ANOMALY)        \
	X(ALG_REWRITE, "alg_rewrite", ANOMALY)                          \
	X(NAT_REFLECTION_MISROUTE, "nat_reflection_misroute", INCIDENT) \
	X(BINDING_LEARNED, "nat_binding", BINDING)

enum np_det_type {
#define NP_DET_TYPE_ENUM(e, name, kind) NP_DET_##e,
	NP_DET_TYPES(NP_DET_TYPE_ENUM)
#undef NP_DET_TYPE_ENUM
	NP_DET_TYPE_MAX
};

enum np_det_severity {
	NP_DET_SEV_INFO = 0, /**< "info" */
	NP_DET_SEV_WARNING,  /**< "warning" */
	NP_DET_SEV_CRITICAL, /**< "critical" */
};

#define NP_DET_MAX_EVIDENCE 16
/** Frames a record names (np_det_record::frames); an anomaly names at most 8. */
#define NP_DET_MAX_FRAMES 32
#define NP_DET_ANOMALY_FRAMES 8
#define NP_DET_DEFAULT_REPEAT_WINDOW_NS (60ull * 1000000000ull)
#define NP_DET_DETAIL_LEN 768
#define NP_DET_EP_LEN 64

/** How a connection attempt ended (phantom_connect). */
enum np_det_outcome {
	NP_DET_OUTCOME_NONE = 0,
	NP_DET_OUTCOME_RST,	   /**< "rst": refused by a TCP RST */
	NP_DET_OUTCOME_ICMP,	   /**< "icmp_unreachable": refused by ICMP/ICMPv6 */
	NP_DET_OUTCOME_UNANSWERED, /**< "unanswered": no SYN-ACK in time */
};

/** An endpoint of an incident's story: address, port (0 = not known) and protocol. */
struct np_det_endpoint {
	struct np_addr addr;
	uint16_t port;
	uint8_t proto;
};

/**
 * What an incident says happened, as facts: lib/export tells the story
 * (diagnosis, fixes, the evidence ladder, the picture) from these and from
 * the records the incident cites.
 */
struct np_det_story {
	bool expressway;    /**< the roles are Expressway-C/E (traversal port, SERVICE) */
	bool client_seen;   /**< the client's own endpoint is known (both sides seen) */
	bool refused;	    /**< a connection to the translated address failed */
	bool timed_out;	    /**< a request timed out (408) */
	uint8_t seg_client; /**< segment of the client's side (= seg_server: one side) */
	uint8_t seg_server; /**< segment of the server's side */
	struct np_det_endpoint client;	   /**< the client before NAT (when client_seen) */
	struct np_det_endpoint translated; /**< what the server sees: the client after NAT */
	struct np_det_endpoint
		server_pub;	       /**< what the client dials: the server's public address */
	struct np_det_endpoint server; /**< the server, after destination NAT */
};

/** One record. Strings are NUL-terminated; empty means absent. */
struct np_det_record {
	uint32_t id;
	uint8_t kind;	  /**< enum np_det_kind */
	uint8_t type;	  /**< enum np_det_type */
	uint8_t severity; /**< enum np_det_severity */
	int8_t segment;	  /**< segment index, -1 when none */
	uint64_t ts_ns;
	bool has_flow;
	struct np_det_tuple flow;
	bool has_sip;
	/**
	 * The SIP message, when has_sip. An incident has has_sip false but
	 * sip.call_id set to a Call-ID found in its evidence (or "").
	 */
	struct {
		char method[NP_DET_TEXT_LEN]; /**< request method; "" for a response */
		uint16_t status;	      /**< response status; 0 for a request */
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
	char timeout_kind[8]; /**< sip_timeout: "fast" or "timer" */
	int64_t delay_ms;     /**< sip_timeout, phantom_connect: -1 when unknown */
	uint8_t outcome;      /**< phantom_connect: enum np_det_outcome */
	uint8_t n_evidence;
	uint32_t evidence[NP_DET_MAX_EVIDENCE]; /**< ids of the records it joins */
	/**
	 * The frames that show it, sorted by segment, input and frame number:
	 * an anomaly's messages and connection attempts (the copies on every
	 * segment, at most NP_DET_ANOMALY_FRAMES), a binding's first frame on
	 * each side, an incident's union of its evidence's frames. Empty for
	 * what came from a log or from HEP.
	 */
	uint8_t n_frames;
	struct np_pkt_ref frames[NP_DET_MAX_FRAMES];
	char detail[NP_DET_DETAIL_LEN];
	struct np_det_story story; /**< incidents: what happened (lib/export tells it) */
};

const char *np_det_kind_name(unsigned int kind);
const char *np_det_type_name(unsigned int type);
const char *np_det_severity_name(unsigned int sev);

/** The name of @p type when it is an anomaly type (the catalogue's atoms), else NULL. */
const char *np_det_anomaly_type_name(unsigned int type);
/** The name of @p type when it is an incident type, else NULL. */
const char *np_det_incident_type_name(unsigned int type);

/* ------------------------------------------------------------------ */
/* Control side: the correlator                                        */

struct np_det_correlator_conf {
	unsigned int n_segments;
	const char *segment_names[NP_DET_MAX_SEGMENTS];
	const struct np_static_nat *static_nat; /**< may be NULL */
	unsigned int n_static;
	struct np_nat_xlat *xlat; /**< translation table to publish into; may be NULL */
	/** Bindings (static included) the learner holds at once; 0 = NP_NAT_DEFAULT_MAX_BINDINGS.
	 */
	uint32_t max_bindings;
	uint64_t t1_ns;		     /**< SIP T1; 0 = 500 ms */
	uint64_t incident_settle_ns; /**< quiet time before an incident is written; 0 = 2 s */
	/**
	 * Repeats of one finding (same type, endpoint and header) within this
	 * time of its first sighting make one anomaly record with a count; the
	 * record is written when the window closes (earlier when an incident
	 * cites it, at the latest at finish). 0 = NP_DET_DEFAULT_REPEAT_WINDOW_NS.
	 */
	uint64_t repeat_window_ns;
	/**
	 * Largest offset between the clocks of the sources whose events meet here
	 * (probes and agents sending HEP): the binding window (a connection
	 * start, or a message, seen on two segments) is widened by it. 0: one clock.
	 */
	uint64_t clock_skew_ns;
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
	uint64_t transactions_open;    /**< gauge */
	uint64_t transactions_dropped; /**< table full */
};

/**
 * The correlator's counters table (np_ctr.h), over struct
 * np_det_correlator_stats: natprobe_anomalies_total{type},
 * natprobe_incidents_total{type}, natprobe_control_sip_messages_total, ...
 */
extern const struct np_ctr_table np_correlate_counters;

struct np_det_correlator;

/** @return a correlator, or NULL with errno (EINVAL, ENOMEM). */
struct np_det_correlator *np_det_correlator_create(const struct np_det_correlator_conf *conf);

void np_det_correlator_destroy(struct np_det_correlator *c);

/** Feed one flow event (from any worker). */
void np_det_correlator_flow(struct np_det_correlator *c, const struct np_flow_event *ev);

/**
 * A hint: the table lines np_det_correlator_flow() of @p ev will read
 * first are prefetched. For a caller holding a burst of events: hint the
 * next while it feeds this one. Changes nothing.
 */
void np_det_correlator_flow_prefetch(const struct np_det_correlator *c,
				     const struct np_flow_event *ev);

/** Feed one SIP summary (from any worker). */
void np_det_correlator_sip(struct np_det_correlator *c, const struct np_det_sip *s);

/** Advance time: transaction timers, incident settling, binding expiry. */
void np_det_correlator_tick(struct np_det_correlator *c, uint64_t now_ns);

/** End of input: judge what is pending and write every incident still open. */
void np_det_correlator_finish(struct np_det_correlator *c, uint64_t now_ns);

const struct np_det_correlator_stats *np_det_correlator_stats(const struct np_det_correlator *c);

/** The binding learner inside (for telemetry and reports). */
struct np_nat_learner *np_det_correlator_learner(struct np_det_correlator *c);

/**
 * The control side of detection in one piece, as `run` and `analyze` both
 * build it: the translation table the inspectors read, and the correlator
 * (with its binding learner and the static NAT entries) that publishes into
 * it.
 */
struct np_det_control {
	struct np_nat_xlat *xlat;	/**< control: rw (through the learner); workers: ro */
	struct np_det_correlator *corr; /**< control thread only */
};

/** Translation table entries for @p max_bindings bindings: 2 each, as most publish. */
static inline uint32_t np_det_xlat_capacity(unsigned int max_bindings)
{
	return max_bindings < 8 ? 16 : 2u * max_bindings;
}

/**
 * Build @p dc from a config: nat.static, nat.max_bindings and
 * detect.repeat_window_s are taken from @p conf.
 * @param names   @p n_segments segment names (pointers kept: they must live
 *                as long as @p dc; an entry may be filled in later)
 * @param record  called for every record, in id order, with @p ctx
 * @return 0, or -1 with a one-line reason in @p err (out of memory).
 */
int np_det_control_create(struct np_det_control *dc, const struct np_conf *conf,
			  unsigned int n_segments, const char *const *names,
			  void (*record)(void *ctx, const struct np_det_record *r), void *ctx,
			  char *err, size_t errlen);

/** Free what np_det_control_create() made (after the readers of the table stopped). */
void np_det_control_destroy(struct np_det_control *dc);

#endif /* NP_CORRELATE_H */
