/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_HEP_TCP_H
#define NP_HEP_TCP_H

/**
 * @file
 * HEP over TCP in a capture: each connection to the HEP port followed in
 * sequence order, its bytes cut into HEP packets by the one framer
 * (np_hep_cut(), np_hep_wire.h). `analyze` uses it; the live listener reads
 * its sockets, where the kernel has already put the bytes in order.
 *
 * A capture is not a socket, so the follower copes with what a capture
 * holds, and counts it (struct np_hep_tcp_stats):
 * - a connection whose SYN is not in the capture (the capture began while
 *   it was open): it is read from its first segment on, resynchronised at
 *   the next "HEP3";
 * - retransmissions: bytes already read are skipped, new bytes at the end
 *   of a segment are read;
 * - segments ahead of a missing one (reordered on the way, or by the
 *   capturing host): held, up to NP_HEP_TCP_HOLD segments,
 *   NP_HEP_TCP_HOLD_BYTES bytes and NP_HEP_TCP_HOLD_NS per connection, and
 *   read once the missing bytes come;
 * - a gap (bytes the capture lacks: the missing segment did not come within
 *   those limits, nor before the connection's end or the capture's): the packet
 *   it cut is lost, what follows is resynchronised at the next "HEP3";
 * - more connections at once than the table holds: the least recently
 *   active is ended (its held bytes read past their gaps) and counted.
 * Memory is bounded: a 64 KiB buffer per connection followed, plus what it
 * holds. Nothing here reads outside the bytes given.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "np_pkt.h"

/** Segments a connection may hold ahead of a missing one. */
#define NP_HEP_TCP_HOLD 16
/** Bytes a connection may hold ahead of a missing one. */
#define NP_HEP_TCP_HOLD_BYTES 65536u
/** How long (capture time) a segment is held for a missing one: then that one is lost. */
#define NP_HEP_TCP_HOLD_NS 1000000000ull
/** Connections followed at once, at most (np_hep_tcp_create()). */
#define NP_HEP_TCP_MAX_STREAMS 4096u

/** What the follower met. */
struct np_hep_tcp_stats {
	uint64_t connections;  /**< HEP connections (with data; refused attempts are not) */
	uint64_t midstream;    /**< of those, begun before the capture: no SYN seen */
	uint64_t packets;      /**< HEP packets cut from the streams (handed out) */
	uint64_t segments;     /**< segments with data to the HEP port */
	uint64_t retransmits;  /**< segments carrying bytes already read (skipped) */
	uint64_t reordered;    /**< segments held ahead of a missing one, read once it came */
	uint64_t gaps;	       /**< holes in a stream: bytes never captured */
	uint64_t gap_bytes;    /**< the bytes those holes held */
	uint64_t resync_bytes; /**< bytes skipped to the next "HEP3" (np_hep_cut()) */
	uint64_t cut_bytes;    /**< bytes of packets left unfinished by a gap or an end */
	uint64_t evicted;      /**< connections ended for room (the table was full) */
};

/**
 * A HEP packet cut from a connection: @p n bytes at @p p (valid during the
 * call), completed by the segment captured at @p ts_ns.
 */
typedef void (*np_hep_tcp_fn)(void *ctx, const uint8_t *p, size_t n, uint64_t ts_ns);

struct np_hep_tcp;

/**
 * A follower of up to @p max_streams connections at once (1..NP_HEP_TCP_MAX_STREAMS),
 * handing each HEP packet to @p fn with @p ctx.
 * @return NULL when out of memory or @p max_streams is out of range.
 */
struct np_hep_tcp *np_hep_tcp_create(unsigned int max_streams, np_hep_tcp_fn fn, void *ctx);

/** What a connection to the HEP port is known to be (np_hep_tcp_segment()). */
enum np_hep_tcp_class {
	/** not known yet (no data seen): the caller reads its frames as ordinary traffic too */
	NP_HEP_TCP_UNDECIDED = 0,
	/** HEP: its frames carry HEP (read here), they are not the segment's traffic */
	NP_HEP_TCP_CARRIER = 1,
	/** not HEP (another protocol on the port): ordinary traffic, not followed */
	NP_HEP_TCP_NOT_HEP = 2,
};

/** Data segments of a connection begun before the capture looked at for "HEP3". */
#define NP_HEP_TCP_PROBES 4

/**
 * One captured TCP segment of a connection to the HEP port.
 *
 * A connection is HEP when its first data byte starts "HEP3" (its SYN was
 * seen) or, begun before the capture, when one of its first
 * NP_HEP_TCP_PROBES data segments holds "HEP3"; otherwise it is another
 * protocol that happens to use the port, and its frames are left to the
 * caller. Only HEP connections count in the stats.
 *
 * @param t        the follower
 * @param pi       the frame's parse (np_pkt_parse()): addresses, ports,
 *                 sequence number and flags; a TCP frame
 * @param payload  its TCP payload, @p len bytes (what the frame holds)
 * @param to_port  true for a segment to the HEP port (the agent's data),
 *                 false for one from it (the collector's: only its RST is
 *                 read, ending the connection)
 * @param ts_ns    the frame's time
 * @return enum np_hep_tcp_class of its connection, this segment taken into account
 */
int np_hep_tcp_segment(struct np_hep_tcp *t, const struct np_pkt_info *pi, const uint8_t *payload,
		       uint32_t len, bool to_port, uint64_t ts_ns);

/**
 * End every connection followed (the capture's end): held segments read
 * past their gaps, unfinished packets counted in cut_bytes.
 */
void np_hep_tcp_finish(struct np_hep_tcp *t, uint64_t ts_ns);

/** Counters so far. */
const struct np_hep_tcp_stats *np_hep_tcp_stats(const struct np_hep_tcp *t);

/** Free @p t (NULL is fine); connections still open are dropped uncounted. */
void np_hep_tcp_destroy(struct np_hep_tcp *t);

#endif /* NP_HEP_TCP_H */
