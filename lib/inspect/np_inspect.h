/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_INSPECT_H
#define NP_INSPECT_H

/**
 * @file
 * Detection, worker side: what a worker (or the single offline thread)
 * extracts from each frame. Runs on the worker lcores: no locks, no
 * syscalls, no allocation after create.
 *
 * np_det_inspect_frame() takes a parsed frame, reassembles IP fragments,
 * tracks the flow (lib/flow), parses each SIP message (lib/sip) through the
 * one SIP stage every input shares (np_det_inspect_sip(): packets live and
 * offline, and messages read from Expressway logs by the log input at the
 * end of this header), and reports through callbacks: flow events, and
 * compact SIP summaries (struct np_det_sip), the fixed-size, pointer-free
 * form in which a SIP message crosses the worker -> control ring.
 *
 * The control side (lib/correlate) consumes them. No DPDK types.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "np_explog.h"
#include "np_flow.h"
#include "np_hep_wire.h"
#include "np_nat.h"
#include "np_pkt.h"
#include "np_sip.h"

#define NP_DET_MAX_SEGMENTS 16
#define NP_DET_MAX_ADDRS 16  /**< addresses kept per SIP summary */
#define NP_DET_VALUE_LEN 112 /**< header value text kept per address (with NUL) */
#define NP_DET_CALLID_LEN 128
#define NP_DET_BRANCH_LEN 80
#define NP_DET_TEXT_LEN 48 /**< method, CSeq, warning agent */

/* ------------------------------------------------------------------ */
/* SIP summaries                                                       */

/** Which header an address came from. Names: np_det_hdr_name(). */
enum np_det_hdr {
	NP_DET_H_VIA = 0,	/**< "Via" (sent-by) */
	NP_DET_H_ROUTE,		/**< "Route" */
	NP_DET_H_RECORD_ROUTE,	/**< "Record-Route" */
	NP_DET_H_PATH,		/**< "Path" */
	NP_DET_H_SERVICE_ROUTE, /**< "Service-Route" */
	NP_DET_H_CONTACT,	/**< "Contact" */
	NP_DET_H_SDP_C,		/**< "SDP c=" */
	NP_DET_H_MAX
};

/** One address a SIP message names. */
struct np_det_addr {
	struct np_addr addr; /**< when host_type is IPV4 / IPV6 */
	uint16_t port;	     /**< 0 when the value names none */
	uint16_t value;	     /**< the value as written: offset into np_det_sip::text */
	uint8_t hdr;	     /**< enum np_det_hdr */
	uint8_t index;	     /**< position among that header's values (0 = top) */
	uint8_t host_type;   /**< enum np_sip_host_type */
	uint8_t xlat_kind;   /**< enum np_nat_xlat_kind the worker found for it; 0 none */
};

/** Transport of a Via (as written in its sent-protocol). */
enum np_det_transport {
	NP_DET_T_NONE = 0, /**< no Via, or not understood */
	NP_DET_T_UDP,
	NP_DET_T_TCP,
	NP_DET_T_TLS,
	NP_DET_T_SCTP,
	NP_DET_T_WS, /**< WS or WSS */
	NP_DET_T_OTHER,
};

/* np_det_sip::nat_flags: what a message says about its own NAT traversal. */
#define NP_DET_SIP_RPORT (1u << 0) /**< the top Via asks for rport (RFC 3581) */
#define NP_DET_SIP_OUTBOUND                                                           \
	(1u << 1)		  /**< a Contact uses SIP outbound (RFC 5626: reg-id, \
				   *   +sip.instance or ;ob): the flow is the route */
#define NP_DET_SIP_PATH (1u << 2) /**< a Path header: an edge proxy handles the route */
#define NP_DET_SIP_ICE                                                                        \
	(1u << 3)			  /**< the SDP offers ICE server-reflexive or relayed \
					   *   candidates: media finds its way through NAT */
#define NP_DET_SIP_RECORD_ROUTE (1u << 4) /**< a Record-Route header: proxies stay in the path */
#define NP_DET_SIP_UNREGISTER (1u << 5)	  /**< Expires: 0 or Contact "*": bindings removed */

/** A message's endpoints as it travelled on the wire. */
struct np_det_tuple {
	struct np_addr src;
	struct np_addr dst;
	uint16_t sport;
	uint16_t dport;
	uint8_t proto; /**< 6 TCP, 17 UDP */
};

/** Bytes of np_det_sip::text: every text field at its cut length, with its NUL. */
#define NP_DET_TEXT_BYTES                                              \
	(3 * NP_DET_TEXT_LEN + NP_DET_CALLID_LEN + NP_DET_BRANCH_LEN + \
	 NP_DET_MAX_ADDRS * NP_DET_VALUE_LEN)

/**
 * Summary of one SIP message: what the correlator needs of it, pointer-free.
 * Text fields are NUL-terminated strings in text[], named by their offset
 * (np_det_sip_str()); each is cut to its NP_DET_*_LEN (with the NUL). The
 * bytes in use are the head (everything before addrs[]), n_addrs addresses
 * and text_len bytes of text: np_det_sip_pack() puts only those on the
 * worker -> control ring (a few hundred bytes for most messages, where the
 * struct holds room for the largest).
 */
struct np_det_sip {
	/* first, so that the packed length is known from the first bytes of a ring */
	uint16_t text_len; /**< bytes of text[] in use */
	uint8_t n_addrs;
	struct np_det_tuple flow;
	uint64_t ts_ns;
	struct np_pkt_ref ref; /**< the frame that completed the message (frame 0: a log) */
	uint64_t msg_hash;     /**< hash of the message bytes (alg_rewrite) */
	uint64_t hdr_hash[NP_DET_H_MAX]; /**< hash of each header's values (what changed) */
	uint32_t cseq;
	uint16_t status;       /**< 0 for requests */
	uint16_t warning_code; /**< first Warning code, 0 if none */
	uint8_t segment;
	uint8_t method;	     /**< enum np_sip_method (requests) */
	uint8_t cseq_method; /**< enum np_sip_method */
	bool is_request;
	bool has_sdp;
	bool from_log;	       /**< read from a diagnostic log, not the wire: msg_hash is
				*   over the text without white space */
	bool has_to_tag;       /**< the To header has a tag (in a dialog) */
	uint8_t flow_flags;    /**< NP_FLOW_MSG_F_* */
	uint8_t n_via;	       /**< Via values in the message (255: that many or more) */
	uint8_t via_transport; /**< enum np_det_transport of the top Via */
	uint8_t nat_flags;     /**< NP_DET_SIP_* */
	uint16_t via_port;     /**< top Via sent-by port; 0 when absent (5060 applies) */
	/* offsets into text[] */
	uint16_t method_text;
	uint16_t cseq_text; /**< "4616 SERVICE" */
	uint16_t call_id;
	uint16_t branch; /**< top Via branch */
	uint16_t warning_agent;
	struct np_det_addr addrs[NP_DET_MAX_ADDRS];
	char text[NP_DET_TEXT_BYTES];
};

/** The text field at offset @p off of @p s (a NUL-terminated string). */
static inline const char *np_det_sip_str(const struct np_det_sip *s, uint16_t off)
{
	return s->text + off;
}

/** Bytes of the packed form of @p s (np_det_sip_pack()). */
static inline size_t np_det_sip_packed_len(const struct np_det_sip *s)
{
	return offsetof(struct np_det_sip, addrs) + s->n_addrs * sizeof(s->addrs[0]) + s->text_len;
}

/**
 * Write the bytes of @p s in use (the head, its n_addrs addresses, text_len
 * bytes of text) to @p buf, which has room for np_det_sip_packed_len(s).
 * @return that length.
 */
size_t np_det_sip_pack(const struct np_det_sip *s, void *buf);

/**
 * Read a summary np_det_sip_pack() wrote (@p len bytes, maybe followed by
 * padding) into @p s.
 * @return 0, or -EINVAL when the bytes are not one (counts or offsets out of
 *         range; @p s is then unusable).
 */
int np_det_sip_unpack(const void *buf, size_t len, struct np_det_sip *s);

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
	uint64_t requests[NP_SIP_M_MAX]; /**< by enum np_sip_method */
	uint64_t responses[7];		 /**< by status class: [1] 1xx .. [6] 6xx */
	uint64_t errors[NP_SIP_E_MAX];	 /**< parse errors by enum np_sip_err */
};

/** Inspector counters. */
struct np_det_inspect_stats {
	struct np_det_sip_stats sip[NP_DET_MAX_SEGMENTS];
	uint64_t frag_held;	   /**< fragments waiting for their datagram */
	uint64_t frag_reassembled; /**< datagrams rebuilt */
	uint64_t frag_dropped;	   /**< fragments dropped (see lib/pkt np_frag stats) */
	uint64_t xlat_sip_hits;	   /**< SIP addresses the translation table knows */
	uint64_t xlat_snat_named;  /**< ... of them translated sources (misroute risk) */
	uint64_t xlat_syn_to_snat; /**< TCP connection attempts to a translated source */
};

struct np_hist;

/**
 * The inspector's counters table (np_ctr.h), over struct
 * np_det_inspect_stats: natprobe_sip_requests_total{segment,method},
 * natprobe_sip_responses_total{segment,class},
 * natprobe_sip_parse_errors_total{segment,kind},
 * natprobe_ip_fragments_total{outcome}, natprobe_translation_hits_total{what}.
 */
extern const struct np_ctr_table np_inspect_counters;

struct np_det_inspect_conf {
	struct np_flow_conf flow;	/**< flow table (sizes, timeouts, SIP ports, allocator) */
	uint32_t frag_datagrams;	/**< IP datagrams reassembled at once; 0 = no reassembly */
	uint64_t frag_timeout_ns;	/**< 0 = 2 s */
	const struct np_sip_db *sip_db; /**< compiled once, shared; the inspector clones scratch */
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
	/**
	 * Connections tracked for messages that arrive without their packets
	 * (NP_FLOW_MSG_F_NO_FLOW: HEP); 0: such messages give no flow events.
	 */
	uint32_t msg_conns;
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

/** np_det_inspect_fast(): not plain, nothing parsed (parse the frame, then inspect it). */
#define NP_DET_FAST_NOT_PLAIN (-2)
/** np_det_inspect_fast(): a plain frame, parsed into *pi, that needs the whole inspection. */
#define NP_DET_FAST_PARSED (-1)

/**
 * The fast path for a frame of the wire: a plain frame (np_pkt_plain.h) of
 * a known flow with nothing more to inspect (np_flow_fast(): a UDP direction
 * judged not SIP, a TCP segment of a flow that is not SIP, an empty
 * segment) costs the parse of its headers, a flow lookup and the flow's
 * ageing update: the same outcome as np_pkt_parse_csum() then
 * np_det_inspect_frame_ref(), which would cause no event, message or
 * evidence for such a frame. UDP to the VXLAN port (a tunnel the caller may
 * open) is never taken.
 *
 * @param mode  the caller's enum np_pkt_csum_mode
 * @param pi    filled when NP_DET_FAST_PARSED is returned
 * @return the class (NP_PKT_TCP or NP_PKT_UDP) when the frame is done with;
 *         NP_DET_FAST_PARSED: plain, *pi holds its parse as
 *         np_pkt_parse_csum() gives it, inspect it with
 *         np_det_inspect_frame_ref(); NP_DET_FAST_NOT_PLAIN: parse it, then
 *         inspect it.
 */
int np_det_inspect_fast(struct np_det_inspect *ins, uint8_t segment, const uint8_t *frame,
			uint32_t len, unsigned int mode, uint64_t now_ns, struct np_pkt_info *pi);

/**
 * np_det_inspect_fast() over a burst (np_flow_fast_burst()): the frames, in
 * order, up to the first one that needs more; its answer goes to @p *rc
 * (NP_DET_FAST_PARSED with @p *pi filled, or NP_DET_FAST_NOT_PLAIN). A NULL
 * frame is answered NP_DET_FAST_NOT_PLAIN. Each frame finished is counted in
 * ctr[cls].
 * @return frames finished, from the first (@p n: all)
 */
unsigned int np_det_inspect_fast_burst(struct np_det_inspect *ins, uint8_t segment,
				       const uint8_t *const *frames, const uint32_t *lens,
				       unsigned int n, unsigned int mode, uint64_t now_ns,
				       uint64_t *ctr, struct np_pkt_info *pi, int *rc);

/** Age flows and fragments; bounded by @p max_work. @return work done. */
unsigned int np_det_inspect_expire(struct np_det_inspect *ins, uint64_t now_ns,
				   unsigned int max_work);

/**
 * The SIP stage every input shares (packets live and offline, messages read
 * from diagnostic logs): parse the message, count it for its segment, hand
 * the full parse to sink->sip_full, then summarise it, look each address it
 * names up in the translation table, and hand the summary to sink->sip.
 * A message with NP_FLOW_MSG_F_NO_FLOW (HEP) first gives the flow events
 * its packets would have (connection, fingerprint per direction: the
 * message's key; lib/inspect/msgflow.h) to sink->flow_event, when the
 * inspector was created with msg_conns.
 * A message with NP_FLOW_MSG_F_LOGGED lost its line ends in a log: a body
 * shorter than its Content-Length is expected, and its summary's msg_hash
 * is @p log_hash (a hash that does not depend on the log's layout).
 * @return 0, or -1 when it could not be parsed (sink->sip_error was called).
 */
int np_det_inspect_sip(struct np_det_inspect *ins, const struct np_flow_msg *fm, uint64_t log_hash);

/**
 * A flow event that did not come from a frame (a log's connection entries):
 * counted as the inspector counts its own, then handed to sink->flow_event.
 */
void np_det_inspect_event(struct np_det_inspect *ins, const struct np_flow_event *ev);

const struct np_det_inspect_stats *np_det_inspect_stats(const struct np_det_inspect *ins);
const struct np_flow_stats *np_det_inspect_flow_stats(const struct np_det_inspect *ins);

/* ------------------------------------------------------------------ */
/* Expressway diagnostic logs as an input                              */

/*
 * An Expressway diagnostic log as an offline input: its entries (lib/explog)
 * turned into the events the packet path produces, handed to the same sinks
 * the inspector calls, in time order.
 *
 * - A SIP message -> the inspector's SIP stage (np_det_inspect_sip(), the
 *   one captured messages go through) with the tuple as the logging box saw
 *   it (Received: Src -> Local; Sent: Local -> Dst), proto from the top Via,
 *   flagged NP_FLOW_MSG_F_LOGGED: a body shorter than its Content-Length
 *   (line ends lost in the log) is used when its header section is
 *   complete, and its msg_hash is the hash of its bytes other than white
 *   space, so two logs of the same message agree whatever their layout.
 * - Connections: the first entry of a connection (TCP event or SIP
 *   message on a tuple) gives NP_FLOW_EV_NEW, oriented from the initiator:
 *   the `TCP Connecting` side when logged, else the side whose port is not
 *   a server port (5060, 5061, 7001-7004 and the configured SIP ports),
 *   else the higher port (TCP) or the first sender (UDP).
 * - `TCP Connecting` then `TCP Connection Failed` within 3 s ->
 *   NP_FLOW_EV_TCP_REFUSED (reason RST, delay between the two); `TCP
 *   Connected`, or a later SIP message on the tuple -> TCP_ESTABLISHED;
 *   nothing of that within 3 s (or a failure after it) -> TCP_UNANSWERED at
 *   3 s; `TCP Connection Closed` -> NP_FLOW_EV_CLOSED.
 * - NAT binding learning: a message logged by two boxes on different
 *   segments (same np_explog_entry::key) is the log's payload fingerprint.
 *   For each connection and direction, the first such message gives
 *   NP_FLOW_EV_FINGERPRINT (hash = the key, len = 0, which no packet
 *   fingerprint has); a connection with no such message fingerprints its
 *   first message of each direction. The learner joins the two boxes'
 *   connections as it joins two captures' flows.
 */

/* SYN timeout of the packet path: a connect with no outcome within it is unanswered. */
#define NP_EXPLOG_CONNECT_TIMEOUT_NS (3ull * 1000000000ull)

struct np_explog_input_stats {
	uint64_t sip;	      /* SIP messages delivered */
	uint64_t sip_bad;     /* SIP messages lib/sip could not parse */
	uint64_t flow_events; /* flow events delivered */
};

struct np_explog_input;

/*
 * Read the log on @p f to its end (the caller closes @p f) and parse it;
 * @p path names it in messages. @return the input, or NULL with a one-line
 * reason in @p err: unreadable, or "not a pcap, pcapng or Expressway
 * diagnostic log" (@p *not_log set).
 */
struct np_explog_input *np_explog_input_open(FILE *f, const char *path, uint8_t segment,
					     bool *not_log, char *err, size_t errlen);

/*
 * After every log is open: find the messages logged on two segments, build
 * each input's event list. @p server_ports: extra server ports (configured
 * SIP ports).
 * @return 0, or -1 with a reason in @p err (out of memory).
 */
int np_explog_input_prepare(struct np_explog_input **in, unsigned int n,
			    const uint16_t *server_ports, unsigned int n_server_ports, char *err,
			    size_t errlen);

/* Time of the next event, UINT64_MAX when done. */
uint64_t np_explog_input_next_ts(const struct np_explog_input *in);

/* Deliver the next event through @p ins (the offline inspector). @return its time. */
uint64_t np_explog_input_step(struct np_explog_input *in, struct np_det_inspect *ins);

const struct np_explog_stats *np_explog_input_log_stats(const struct np_explog_input *in);
const struct np_explog_input_stats *np_explog_input_stats(const struct np_explog_input *in);

void np_explog_input_close(struct np_explog_input *in);

/* ------------------------------------------------------------------ */
/* HEP as an input                                                     */

/*
 * SIP messages that capture agents (Kamailio siptrace, heplify, captagent,
 * OpenSIPS, FreeSWITCH, another natprobe) send as HEP: decoded by lib/pkt
 * (np_hep_wire.h), counted here, and handed to the SIP stage with the HEP
 * packet's addresses, ports, transport and time standing in for the
 * packet's (NP_FLOW_MSG_F_NO_FLOW: the stage learns connections and
 * fingerprints from the messages). The caller decides the segment (the
 * agent's).
 */

/** HEP input counters (np_hep_input_counters). */
struct np_hep_input_stats {
	uint64_t packets;	       /**< HEP packets decoded */
	uint64_t errors[NP_HEP_E_MAX]; /**< packets not used, by enum np_hep_err */
	uint64_t unknown_chunks;       /**< chunks skipped in decoded packets */
	uint64_t not_sip;	       /**< decoded packets whose payload is not SIP */
	uint64_t no_segment;	       /**< SIP messages of an agent no segment could be made for */
	uint64_t sip;		       /**< SIP messages handed to the SIP stage */
	uint64_t flow;	   /**< flow events another natprobe forwarded (vendor chunk), decoded */
	uint64_t flow_bad; /**< flow event chunks of an unknown event type: not used */
	uint64_t loop;	   /**< packets this natprobe had sent itself (origin chunk): not used */
};

/**
 * The HEP input's counters table (np_ctr.h), over struct np_hep_input_stats:
 * natprobe_hep_received_total{outcome}, natprobe_hep_unknown_chunks_total,
 * natprobe_hep_unmapped_total.
 */
extern const struct np_ctr_table np_hep_input_counters;

/** What np_hep_input_decode() made of a packet. */
enum np_hep_in {
	NP_HEP_IN_REFUSED = -1, /**< not decoded (counted by reason); @c m undefined */
	NP_HEP_IN_USE = 0,	/**< a SIP message, or another natprobe's flow event */
	NP_HEP_IN_OTHER = 1,	/**< decoded, its payload is not SIP (counted: not_sip) */
	NP_HEP_IN_LOOP = 2,	/**< one this natprobe sent or relayed came back (counted: loop) */
};

/**
 * Decode one HEP packet (np_hep_decode()) and count it: an error by its
 * reason, a non-SIP payload as not_sip, a packet that carries @p self's
 * origin chunk (or more origin chunks than NP_HEP_MAX_ORIGINS) as loop.
 * @param self  this natprobe's instance id (np_hep_is_loop()); 0: none
 * @return enum np_hep_in: NP_HEP_IN_USE when @p m holds a SIP message to
 *         deliver, or a flow event another natprobe forwarded (m->np_flow not
 *         NULL: the caller decodes it, np_hep_flow_get(), and counts it in
 *         @c flow); @p m is valid for NP_HEP_IN_OTHER and NP_HEP_IN_LOOP too.
 */
int np_hep_input_decode(struct np_hep_input_stats *st, const uint8_t *buf, size_t len,
			bool datagram, uint64_t self, struct np_hep_msg *m, size_t *used);

/**
 * Hand a decoded packet's SIP message to the SIP stage
 * (np_det_inspect_sip()) in @p segment. The time is the packet's, or
 * @p now_ns when it has none; the transport is its IP protocol (UDP when it
 * is neither TCP nor UDP).
 * @return np_det_inspect_sip()'s result.
 */
int np_hep_input_sip(struct np_det_inspect *ins, struct np_hep_input_stats *st,
		     const struct np_hep_msg *m, uint8_t segment, uint64_t now_ns);

/**
 * Which segment a HEP packet's capture agent belongs to, the same for
 * `analyze` and `run`: the first hep.agents[] entry of @p conf that matches
 * it (name=NODE: its node name, chunk 0x0013; id=N: its capture agent id,
 * chunk 0x000c).
 * @return that entry's index into conf->segments; or -1, and @p name (size
 *         @p len, at least 5) holds the name natprobe gives the agent's own
 *         segment: "hep-NODE" (node name cut to fit, characters other than
 *         A-Z a-z 0-9 - _ as _), else "hep-ID", else "hep".
 */
int np_hep_agent_segment(const struct np_conf *conf, const struct np_hep_msg *m, char *name,
			 size_t len);

#endif /* NP_INSPECT_H */
