/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_FLOW_H
#define NP_FLOW_H

/**
 * @file
 * Per-worker flow table: TCP/UDP flows keyed by segment and bidirectional
 * 5-tuple, TCP connection outcomes (established, refused, unanswered,
 * closed), new-flow payload fingerprints, and SIP message framing for UDP
 * datagrams and TCP streams (per-direction reassembly).
 *
 * Plain buffers in, callbacks out: no DPDK types. One table per worker,
 * used by one thread at a time; nothing allocates after
 * np_flow_table_create(), nothing reads outside the frame handed in.
 *
 * Usage, per worker:
 *  - at init: np_flow_table_create() (the app passes an rte_zmalloc_socket
 *    allocator, the offline driver and tests the default);
 *  - per frame of the wire: np_flow_fast() (or np_flow_fast_burst() for the
 *    frames of a burst), which finishes a plain frame of a flow with nothing
 *    more to inspect; for the others, np_pkt_parse() (or the parse
 *    np_flow_fast() handed back), then np_flow_process() for TCP, UDP and
 *    ICMP;
 *  - every few bursts: np_flow_expire() with a small work bound;
 *  - at scrape time: read np_flow_stats() (plain counters, owner writes).
 *
 * Outputs go synchronously through a struct np_flow_sink: events (new
 * flow, fingerprint, TCP outcome, close, expiry) and complete SIP messages.
 * Callbacks must not call back into the same table.
 *
 * Memory: at most NP_FLOW_BYTES_PER_FLOW (128) bytes per flow of conf.size,
 * hash index included (a 64-byte entry for what every packet touches, 32
 * bytes of sequence and reassembly state, and 16 to 32 bytes of index:
 * linear probing at load <= 1/2), plus conf.reasm_buffers * NP_FLOW_REASM_BUF_LEN for
 * reassembly, plus 8 KiB for the SIP port map. All of it is allocated at
 * create time; np_flow_table_mem() says how much.
 *
 * Decisions an operator may want to know:
 *
 * - A flow is (segment, protocol, {addr:port, addr:port}): both directions
 *   meet in one flow, and the same tuple on two segments is two flows. Its
 *   initiator is the sender of the first packet seen, except that a TCP
 *   SYN-ACK seen first makes its receiver the initiator. A pure RST does not
 *   create a flow. Packets from the initiator are direction 0, the others 1.
 * - Idle flows are removed by np_flow_expire(): UDP after udp_idle_ns, TCP
 *   after tcp_idle_ns, TCP flows that closed (FIN, RST), were refused or
 *   went unanswered after grace_ns (so late packets still find them). An
 *   idle flow goes between T and T * 17 / 16 after its last packet (lists
 *   are reordered at most every T / 16 per flow, to keep list updates off
 *   the per-packet path). When the table is full, a new flow evicts the flow
 *   closest to its idle deadline (the least recently used one of its kind).
 * - Every flow that was announced with NP_FLOW_EV_NEW leaves with exactly one
 *   NP_FLOW_EV_EXPIRED (idle, evicted, or a new connection on its tuple),
 *   except at np_flow_table_destroy(), which emits nothing.
 * - TCP: a SYN opens an attempt; a SYN-ACK from the other side that
 *   acknowledges it (ack = ISN + 1) establishes it; a RST from the other side
 *   (with no ACK, or acknowledging the SYN) or an ICMP / ICMPv6 destination
 *   unreachable quoting the SYN's tuple (except IPv4 "fragmentation needed")
 *   refuses it; no SYN-ACK within syn_timeout_ns of the first SYN is
 *   "unanswered" (an answer after that still establishes it). A SYN with the
 *   same ISN is a retransmission (counted in the events); a SYN with another
 *   ISN on a closed, refused, unanswered or established flow is a new
 *   connection on the same tuple: the old flow expires (NP_FLOW_EXP_REUSED)
 *   and a new one starts. Flows picked up without their handshake are
 *   "midstream" and treated as established, without an ESTABLISHED event.
 * - Frames of class NP_PKT_TRUNCATED whose TCP header is complete (a
 *   snaplen-cut capture) drive the TCP state; their payload is not used.
 * - Fingerprints: the first payload-bearing packet in each direction (TCP or
 *   UDP) gives NP_FLOW_EV_FINGERPRINT with np_flow_fp_hash() of its first
 *   min(len, NP_FLOW_FP_BYTES) bytes. NAT rewrites addresses and ports and
 *   firewalls may randomise TCP sequence numbers; these bytes are what stays
 *   equal, so the control thread joins flows across segments on them.
 * - SIP over UDP: a datagram is one message when either port is a
 *   configured SIP port or np_sip_looks_like_sip() accepts it; datagrams of
 *   only CR/LF (keep-alives) are not delivered. Off the SIP ports, a
 *   direction whose first datagram cannot be SIP (not a SIP start, not a
 *   lower-case letter, not STUN: RTP, DNS, binary) is settled as not SIP,
 *   and its later datagrams cost the flow lookup and nothing more.
 * - SIP over TCP: a flow is SIP when either port is a SIP port or the first
 *   payload of either direction looks like SIP; other TCP flows are only
 *   fingerprinted. Each direction of a SIP flow is framed with
 *   np_sip_frame(): complete messages are delivered in place (no copy; one
 *   callback per message), a partial message is copied into a reassembly
 *   buffer from a pool of conf.reasm_buffers and completed by the following
 *   segments. A message larger than NP_FLOW_REASM_BUF_LEN has its header
 *   section delivered (NP_FLOW_MSG_F_BODY_SKIPPED) and its body skipped by
 *   Content-Length without being buffered. Old data (retransmissions) is
 *   ignored; a gap (lost or reordered segment) drops the partial message and
 *   the direction resynchronises at the next line that starts like a SIP
 *   message (np_sip_looks_like_sip()); so do unframable data (no end of
 *   headers within NP_SIP_MAX_HDR_LEN, bad Content-Length, a start line
 *   that is not SIP) and an empty pool. A direction of a SIP-port flow
 *   whose first payload is not SIP (mid-stream pickup) starts in that
 *   resynchronising state and buffers nothing until a start line is seen.
 *   A SIP-port flow whose first payload is a TLS record (SIPS on 5061) is
 *   not SIP for this library: it is fingerprinted, never scanned.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "np_ctr.h"
#include "np_pkt.h"
#include "np_pkt_plain.h"

/** Size of one reassembly buffer: holds any header section np_sip_frame() accepts. */
#define NP_FLOW_REASM_BUF_LEN 16384u
/** SIP ports a table can be given (struct np_flow_conf::sip_ports). */
#define NP_FLOW_MAX_SIP_PORTS 64u
/** Largest conf.size. */
#define NP_FLOW_MAX_SIZE (1u << 26)
/** Largest conf.reasm_buffers. */
#define NP_FLOW_MAX_REASM_BUFFERS 65536u
/** Payload bytes hashed into a fingerprint. */
#define NP_FLOW_FP_BYTES 64u
/** Memory per flow of conf.size, entry and hash index together, at most. */
#define NP_FLOW_BYTES_PER_FLOW 128u

/** Defaults, used for a conf field left 0. */
#define NP_FLOW_DEFAULT_TCP_IDLE_NS (3600ull * 1000000000ull)
#define NP_FLOW_DEFAULT_UDP_IDLE_NS (120ull * 1000000000ull)
#define NP_FLOW_DEFAULT_SYN_TIMEOUT_NS (3ull * 1000000000ull)
#define NP_FLOW_DEFAULT_GRACE_NS (10ull * 1000000000ull)

/** Table parameters for np_flow_table_create(). */
struct np_flow_conf {
	uint32_t size;		 /**< flows, 1..NP_FLOW_MAX_SIZE */
	uint32_t reasm_buffers;	 /**< TCP reassembly buffers, 0..NP_FLOW_MAX_REASM_BUFFERS
				  *   (0: every partial message counts as pool exhausted) */
	uint64_t tcp_idle_ns;	 /**< idle timeout of open TCP flows; 0 = default */
	uint64_t udp_idle_ns;	 /**< idle timeout of UDP flows; 0 = default */
	uint64_t syn_timeout_ns; /**< no SYN-ACK this long after the first SYN: unanswered;
				  *   0 = default */
	uint64_t grace_ns;	 /**< closed / refused / unanswered TCP flows linger this
				  *   long after their last packet; 0 = default */
	/**
	 * Allocator for everything the table needs, called only from
	 * np_flow_table_create(): returns @p size bytes aligned to @p align (a
	 * power of two, at most 64), or NULL. The memory need not be zeroed.
	 * NULL: aligned_alloc(). When set, @p free must be set too.
	 */
	void *(*alloc)(size_t size, size_t align, void *ctx);
	void (*free)(void *p, void *ctx);	   /**< releases what alloc returned */
	void *alloc_ctx;			   /**< passed to alloc and free */
	uint16_t sip_ports[NP_FLOW_MAX_SIP_PORTS]; /**< SIP ports (e.g. 5060, 5061) */
	unsigned int n_sip_ports;		   /**< entries used in sip_ports, 0..64 */
};

/** Event types (struct np_flow_event::type). Names: np_flow_ev_name(). */
enum np_flow_ev_type {
	NP_FLOW_EV_NEW = 0,	    /**< "new": a flow was created */
	NP_FLOW_EV_FINGERPRINT,	    /**< "fingerprint": first payload in a direction */
	NP_FLOW_EV_TCP_ESTABLISHED, /**< "tcp_established": SYN-ACK answered the SYN */
	NP_FLOW_EV_TCP_REFUSED,	    /**< "tcp_refused": RST or ICMP unreachable answered it */
	NP_FLOW_EV_TCP_UNANSWERED,  /**< "tcp_unanswered": no answer within syn_timeout_ns */
	NP_FLOW_EV_CLOSED,	    /**< "closed": first FIN or RST on an open TCP flow */
	NP_FLOW_EV_EXPIRED,	    /**< "expired": the flow left the table */
	NP_FLOW_EV_MAX
};

/** TCP state of a flow (NONE for UDP). Names: np_flow_tcp_state_name(). */
enum np_flow_tcp_state {
	NP_FLOW_TCP_NONE = 0,	 /**< "none": UDP */
	NP_FLOW_TCP_SYN_SENT,	 /**< "syn_sent": SYN seen, no answer yet */
	NP_FLOW_TCP_ESTABLISHED, /**< "established" */
	NP_FLOW_TCP_MIDSTREAM,	 /**< "midstream": picked up without a handshake */
	NP_FLOW_TCP_CLOSED,	 /**< "closed": FIN or RST seen */
	NP_FLOW_TCP_REFUSED,	 /**< "refused": RST or ICMP answered the SYN */
	NP_FLOW_TCP_UNANSWERED,	 /**< "unanswered": syn_timeout_ns passed */
	NP_FLOW_TCP_STATE_MAX
};

/** np_flow_event::refused.reason */
enum np_flow_refuse_reason {
	NP_FLOW_REFUSED_RST = 0, /**< TCP RST from the responder */
	NP_FLOW_REFUSED_ICMP,	 /**< ICMP (type 3) / ICMPv6 (type 1) unreachable */
};

/** np_flow_event::closed.reason */
enum np_flow_close_reason {
	NP_FLOW_CLOSE_FIN = 0,
	NP_FLOW_CLOSE_RST,
};

/** np_flow_event::expired.reason */
enum np_flow_exp_reason {
	NP_FLOW_EXP_IDLE = 0, /**< idle timeout (np_flow_expire()) */
	NP_FLOW_EXP_EVICTED,  /**< table full: made room for a new flow */
	NP_FLOW_EXP_REUSED,   /**< a new TCP connection (SYN, new ISN) on the tuple */
};

/**
 * One event. The tuple is the flow's, oriented from its initiator (src:sport
 * sent the first packet / the SYN), whatever packet caused the event.
 */
struct np_flow_event {
	uint8_t type;	    /**< enum np_flow_ev_type */
	uint8_t segment;    /**< as given to np_flow_process() */
	uint8_t proto;	    /**< 6 TCP, 17 UDP */
	uint8_t dir;	    /**< FINGERPRINT, CLOSED: 0 from the initiator, 1 towards it */
	uint16_t sport;	    /**< initiator port */
	uint16_t dport;	    /**< responder port */
	struct np_addr src; /**< initiator address */
	struct np_addr dst; /**< responder address */
	uint64_t ts_ns;	    /**< time of the packet (or np_flow_expire() call) causing it */
	/**
	 * The frame that caused it. This library leaves it zero (it does not
	 * number frames); the inspector (lib/inspect) fills it in, and it stays
	 * zero for events np_flow_expire() causes.
	 */
	struct np_pkt_ref ref;
	union {
		struct {
			uint64_t hash; /**< np_flow_fp_hash() of the first bytes */
			uint32_t len;  /**< payload length of that packet */
			uint32_t seq;  /**< TCP: sequence number of its first byte;
					*   0 for UDP */
		} fp;		       /**< FINGERPRINT */
		struct {
			uint64_t syn_ns;    /**< first SYN */
			uint64_t synack_ns; /**< the SYN-ACK (= ts_ns) */
			uint8_t syn_retx;   /**< SYN retransmissions before it (max 255) */
		} est;			    /**< TCP_ESTABLISHED */
		struct {
			uint64_t syn_ns;   /**< first SYN */
			uint64_t delay_ns; /**< ts_ns - syn_ns */
			uint8_t reason;	   /**< enum np_flow_refuse_reason */
			uint8_t icmp_type; /**< for NP_FLOW_REFUSED_ICMP */
			uint8_t icmp_code;
			uint8_t syn_retx; /**< SYN retransmissions before it */
		} refused;		  /**< TCP_REFUSED */
		struct {
			uint64_t syn_ns;  /**< first SYN */
			uint8_t syn_retx; /**< SYN retransmissions seen */
		} unanswered;		  /**< TCP_UNANSWERED */
		struct {
			uint8_t reason; /**< enum np_flow_close_reason; sender in dir */
		} closed;		/**< CLOSED */
		struct {
			uint8_t reason;	   /**< enum np_flow_exp_reason */
			uint8_t tcp_state; /**< enum np_flow_tcp_state at removal */
		} expired;		   /**< EXPIRED */
	};
};

/** np_flow_msg::flags */
#define NP_FLOW_MSG_F_REASSEMBLED (1u << 0) /**< data lies in a reassembly buffer */
#define NP_FLOW_MSG_F_BODY_SKIPPED                                  \
	(1u << 1) /**< header section only: the body did not fit in \
		   *   a reassembly buffer and is skipped */
#define NP_FLOW_MSG_F_BAD_LENGTH                              \
	(1u << 2) /**< header section only: Content-Length is \
		   *   unusable; the stream resynchronises after it */
#define NP_FLOW_MSG_F_LOGGED                                          \
	(1u << 3) /**< read from a diagnostic log, not the wire: line \
		   *   ends are lost, a body may be short */
#define NP_FLOW_MSG_F_NO_FLOW                                           \
	(1u << 4) /**< arrived without its packets (HEP): the SIP stage \
		   *   learns connections and fingerprints from the messages */

/**
 * One SIP message. data/len are valid only during the callback (they point
 * into the frame or into a reassembly buffer that is reused right after).
 */
struct np_flow_msg {
	const uint8_t *data; /**< first byte of the message (its start line) */
	uint32_t len;	     /**< header section, plus the body when framed (TCP) or the rest
			      *   of the datagram (UDP) */
	uint8_t segment;
	uint8_t dir;	/**< 0 from the flow's initiator, 1 towards it */
	uint8_t proto;	/**< 6 TCP, 17 UDP */
	uint8_t flags;	/**< NP_FLOW_MSG_F_* */
	uint16_t sport; /**< sender of this message */
	uint16_t dport;
	struct np_addr src; /**< sender of this message */
	struct np_addr dst;
	uint64_t ts_ns; /**< time of the packet that completed the message */
};

/** Where np_flow_process() and np_flow_expire() report. Any member may be NULL. */
struct np_flow_sink {
	void (*event)(void *ctx, const struct np_flow_event *ev);
	void (*sip)(void *ctx, const struct np_flow_msg *m);
	void *ctx;
	/**
	 * Optional: the frame being processed carries new data of a
	 * SIP-over-TCP stream (called before the data is framed; also for data
	 * that only fills a reassembly buffer; not for a retransmission of data
	 * already taken). Lets the caller keep every frame a message spans
	 * (evidence captures).
	 */
	void (*sip_stream)(void *ctx);
};

/**
 * Counters: X(field, help, is_gauge). The field name is the stable export
 * name (np_flow_stat_names[]); gauges are current values, the rest only grow.
 */
#define NP_FLOW_STATS(X)                                                                           \
	X(flows_active, "Flows in the table", 1)                                                   \
	X(flows_created, "Flows created", 0)                                                       \
	X(flows_expired, "Flows removed after their idle timeout", 0)                              \
	X(flows_evicted, "Flows removed to make room in a full table", 0)                          \
	X(flows_reused, "Flows ended by a new TCP connection on the same tuple", 0)                \
	X(fingerprints, "First-payload fingerprints emitted", 0)                                   \
	X(tcp_established, "TCP handshakes completed (SYN-ACK answering a SYN)", 0)                \
	X(tcp_refused_rst, "TCP connection attempts refused by RST", 0)                            \
	X(tcp_refused_icmp, "TCP connection attempts refused by ICMP unreachable", 0)              \
	X(tcp_unanswered, "TCP connection attempts with no answer within the SYN timeout", 0)      \
	X(tcp_syn_retransmits, "SYN retransmissions", 0)                                           \
	X(tcp_closed, "TCP flows closed by FIN or RST", 0)                                         \
	X(icmp_unmatched, "ICMP unreachable quoting TCP that matched no pending SYN", 0)           \
	X(sip_udp_msgs, "SIP messages delivered from UDP datagrams", 0)                            \
	X(sip_udp_not_sip, "Datagrams on SIP ports that cannot be SIP (STUN, RTP); not parsed", 0) \
	X(reasm_msgs_in_place, "SIP over TCP messages delivered from one segment, no copy", 0)     \
	X(reasm_msgs_reassembled, "SIP over TCP messages completed in a reassembly buffer", 0)     \
	X(reasm_retransmits, "TCP segments carrying already seen data (ignored)", 0)               \
	X(reasm_gaps, "TCP sequence gaps in SIP streams (partial message dropped)", 0)             \
	X(reasm_resyncs, "SIP streams resynchronised at a start line", 0)                          \
	X(reasm_pool_exhausted, "Partial SIP messages dropped for lack of a buffer", 0)            \
	X(reasm_oversize, "SIP messages over the buffer size (header only, or dropped)", 0)        \
	X(reasm_bad_frames, "Unframable SIP stream data (bad Content-Length, not SIP)", 0)         \
	X(reasm_buffers_in_use, "Reassembly buffers holding a partial message", 1)

/** Counters of one table; written only by its owner thread. */
struct np_flow_stats {
#define NP_FLOW_STAT_FIELD(f, h, g) uint64_t f;
	NP_FLOW_STATS(NP_FLOW_STAT_FIELD)
#undef NP_FLOW_STAT_FIELD
};

/** Number of counters in struct np_flow_stats (all uint64_t, in table order). */
#define NP_FLOW_STATS_N (sizeof(struct np_flow_stats) / sizeof(uint64_t))

/**
 * The counters' table (np_ctr.h), in field order: natprobe_flows_active,
 * natprobe_flows_created_total, ... (gauges keep their name, the others
 * take _total).
 */
extern const struct np_ctr_table np_flow_counters;

/** What np_flow_find() reports about a flow. */
struct np_flow_info {
	struct np_addr src; /**< initiator */
	struct np_addr dst;
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;
	uint8_t segment;
	uint8_t dir;	   /**< direction of the tuple that was looked up */
	uint8_t tcp_state; /**< enum np_flow_tcp_state */
	bool sip;	   /**< TCP flow treated as SIP (reassembled) */
};

struct np_flow_table;

/**
 * Create a table and allocate all its memory (see the file comment).
 *
 * @param conf  parameters; copied, need not outlive the call
 * @return the table, or NULL with errno set:
 *   EINVAL  conf is NULL, size is 0 or above NP_FLOW_MAX_SIZE, reasm_buffers
 *           above NP_FLOW_MAX_REASM_BUFFERS, n_sip_ports above
 *           NP_FLOW_MAX_SIP_PORTS, or alloc set without free
 *   ENOMEM  an allocation failed (nothing is left allocated)
 */
struct np_flow_table *np_flow_table_create(const struct np_flow_conf *conf);

/** Free a table and all its memory; emits no events. NULL is a no-op. */
void np_flow_table_destroy(struct np_flow_table *t);

/**
 * Account one parsed frame: find or create its flow, update TCP state,
 * emit events and SIP messages through @p sink.
 *
 * Handles classes NP_PKT_TCP and NP_PKT_UDP (payload included),
 * NP_PKT_TRUNCATED with a complete TCP header (state only), and NP_PKT_ICMP
 * destination unreachable quoting a TCP tuple (answer to a pending SYN).
 *
 * @param t        the table
 * @param segment  segment the frame was seen on (part of the flow key)
 * @param pi       np_pkt_parse() result for @p frame
 * @param frame    the frame @p pi describes (the payload is read from it);
 *                 may be NULL when pi->payload_len is 0
 * @param now_ns   frame time; should not go backwards (an earlier time is
 *                 accepted, only ageing becomes less exact)
 * @param sink     callbacks; may be NULL (nothing is reported)
 * @return 0 when the frame was taken into account (an ICMP error that
 *         matches no flow included), or:
 *   -EINVAL   t or pi is NULL, or frame is NULL with a payload
 *   -ENOTSUP  a class this function does not handle (IP_OTHER, FRAGMENT,
 *             non-IP, ..., a pure RST with no flow, an ICMP that is not an
 *             error about TCP); nothing changed
 */
int np_flow_process(struct np_flow_table *t, uint8_t segment, const struct np_pkt_info *pi,
		    const uint8_t *frame, uint64_t now_ns, const struct np_flow_sink *sink);

/** np_flow_fast(): not a plain frame, nothing parsed (np_pkt_parse(), then np_flow_process()). */
#define NP_FLOW_FAST_NOT_PLAIN (-2)
/** np_flow_fast(): a plain frame, parsed into *pi, that np_flow_process() must take. */
#define NP_FLOW_FAST_PARSED (-1)

/**
 * The fast path of a frame: a plain frame (np_pkt_plain.h) of a known flow
 * that needs nothing but its idle clock advanced costs the read of its
 * headers and a lookup. Such frames are: UDP whose direction carries no SIP
 * (its first datagram's verdict) or no payload; TCP without SYN, FIN or RST
 * whose segment carries no payload, or payload on a flow that is not SIP
 * and whose direction already spoke (its fingerprint taken). For them it
 * does what np_pkt_parse_csum() and np_flow_process() would do together
 * (the same ageing update; no events, nothing else). Any other frame (no
 * flow yet, SIP, a first payload, connection set-up and tear-down, UDP to
 * the VXLAN port, which the caller may decapsulate) changes nothing in the
 * table.
 *
 * A frame handed back (NP_FLOW_FAST_PARSED) whose flow was found takes its
 * flow to the np_flow_process() of the same frame, which then does not look
 * it up again. That index is good only while the table is unchanged: the
 * caller gives the frame (the same buffer, segment and *pi) to
 * np_flow_process() before any other call on the table, as the worker and
 * the whole way do. np_flow_process() uses it only for that frame and drops
 * it in any case, and np_flow_fast() and np_flow_expire() drop it, so a
 * caller that skips the frame loses the shortcut, not correctness.
 *
 * @param mode  enum np_pkt_csum_mode, as for np_pkt_parse_csum()
 * @param pi    filled when NP_FLOW_FAST_PARSED is returned
 * @return the class (NP_PKT_TCP or NP_PKT_UDP) when the frame is done with;
 *         NP_FLOW_FAST_PARSED: a plain frame that needs the whole way, *pi
 *         holds what np_pkt_parse_csum() gives it; NP_FLOW_FAST_NOT_PLAIN:
 *         parse it with np_pkt_parse_csum().
 */
int np_flow_fast(struct np_flow_table *t, uint8_t segment, const uint8_t *frame, uint32_t len,
		 unsigned int mode, uint64_t now_ns, struct np_pkt_info *pi);

/**
 * np_flow_fast() over the frames of a burst, in order, up to the first frame
 * it does not finish: for a burst of frames of known flows, one call instead
 * of one per frame. The caller takes that frame the whole way (as
 * np_flow_fast()'s answer @p *rc says), then calls again for the rest.
 *
 * @param frames  the frames; NULL for a frame the caller takes the whole way
 *                in any case (not in one buffer, over the MTU): answered
 *                NP_FLOW_FAST_NOT_PLAIN
 * @param lens    their lengths
 * @param n       frames in the burst
 * @param mode    enum np_pkt_csum_mode, as for np_flow_fast()
 * @param ctr     per-class counters: ctr[cls]++ for each frame finished
 *                (NP_PKT_TCP or NP_PKT_UDP)
 * @param pi      filled when *rc is NP_FLOW_FAST_PARSED
 * @param rc      when the return value is below @p n: np_flow_fast()'s answer
 *                for that frame (NP_FLOW_FAST_PARSED or NP_FLOW_FAST_NOT_PLAIN)
 * @return the frames finished, from the first: @p n when all were
 */
unsigned int np_flow_fast_burst(struct np_flow_table *t, uint8_t segment,
				const uint8_t *const *frames, const uint32_t *lens, unsigned int n,
				unsigned int mode, uint64_t now_ns, uint64_t *ctr,
				struct np_pkt_info *pi, int *rc);

/**
 * Age the table: report SYNs unanswered for syn_timeout_ns
 * (NP_FLOW_EV_TCP_UNANSWERED) and remove idle flows (NP_FLOW_EV_EXPIRED,
 * their reassembly buffers released). Does at most @p max_work such steps,
 * oldest first, so the worker can call it every few bursts.
 *
 * @param now_ns    current time, same clock as np_flow_process()
 * @param max_work  most flows to act on in this call
 * @param sink      callbacks; may be NULL
 * @return flows acted on (unanswered + removed), at most @p max_work; when
 *         it equals @p max_work more may be due. 0 when t is NULL.
 */
unsigned int np_flow_expire(struct np_flow_table *t, uint64_t now_ns, unsigned int max_work,
			    const struct np_flow_sink *sink);

/**
 * Look a flow up without touching it (no ageing update, no events).
 *
 * @param proto  6 or 17
 * @param out    filled in when found; may be NULL
 * @return 0 when found, -ENOENT when not, -EINVAL when t, src or dst is NULL.
 */
int np_flow_find(const struct np_flow_table *t, uint8_t segment, uint8_t proto,
		 const struct np_addr *src, uint16_t sport, const struct np_addr *dst,
		 uint16_t dport, struct np_flow_info *out);

/**
 * The table's counters. The pointer is stable for the table's life, so a
 * scraper may keep it; values are plain (the owner thread writes them).
 * @return the counters; NULL when t is NULL.
 */
const struct np_flow_stats *np_flow_stats(const struct np_flow_table *t);

/** Bytes np_flow_table_create() allocated for @p t (0 when NULL). */
size_t np_flow_table_mem(const struct np_flow_table *t);

/**
 * The fingerprint hash: a 64-bit hash of @p len bytes (callers pass at most
 * NP_FLOW_FP_BYTES). Deterministic, the same on every thread, run and CPU
 * (bytes are read little-endian), so fingerprints from any worker compare.
 */
uint64_t np_flow_fp_hash(const uint8_t *p, size_t len);

/** Stable event name ("new", "fingerprint", ...); "unknown" when out of range. */
const char *np_flow_ev_name(unsigned int type);

/** Stable TCP state name ("syn_sent", ...); "unknown" when out of range. */
const char *np_flow_tcp_state_name(unsigned int state);

#endif /* NP_FLOW_H */
