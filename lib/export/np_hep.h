/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_HEP_H
#define NP_HEP_H

/**
 * @file
 * HEPv3 (HEP/EEP, the Homer Encapsulation Protocol) encoding: how natprobe
 * hands SIP messages and records to a HOMER-style collector (heplify-server,
 * HOMER, sngrep -L).
 *
 * A HEPv3 packet is the 4 bytes "HEP3", a 16-bit total length (the whole
 * packet, these 6 bytes included), then chunks. Each chunk is a 16-bit
 * vendor id (0: generic), a 16-bit type, a 16-bit length (the chunk, its
 * 6-byte header included) and the value. Every integer is big-endian.
 * natprobe writes, in this order:
 *
 * | type   | value                                  | size   |
 * |--------|----------------------------------------|--------|
 * | 0x0001 | IP family: 2 (AF_INET) or 10 (AF_INET6) | 1      |
 * | 0x0002 | IP protocol: 6 TCP, 17 UDP             | 1      |
 * | 0x0003 / 0x0004 | IPv4 source / destination     | 4 each |
 * | 0x0005 / 0x0006 | IPv6 source / destination (instead) | 16 each |
 * | 0x0007 / 0x0008 | source / destination port     | 2 each |
 * | 0x0009 | time, seconds since the epoch          | 4      |
 * | 0x000a | time, microseconds within that second  | 4      |
 * | 0x000b | protocol type: 1 SIP, 100 log (JSON)   | 1      |
 * | 0x000c | capture agent id                       | 4      |
 * | 0x000e | authentication key (only when set)     | n      |
 * | 0x0011 | correlation id (only when set)         | n      |
 * | 0x0013 | node name (only when set)              | n      |
 * | 0x000f | payload: the SIP message or the record | n      |
 *
 * The payload chunk comes last, so a caller may encode the head once and
 * send the payload from where it lies (np_hep_encode_head() + sendmsg()).
 * Over TCP the packets follow each other on the stream; the length in each
 * header frames them.
 * The chunk types and sizes are np_hep_wire.h's (shared with the decoder).
 * No allocation, no I/O, no DPDK types.
 */

#include <stddef.h>
#include <stdint.h>

#include "np_correlate.h"
#include "np_hep_wire.h"
#include "np_pkt.h"

/** Longest authentication key and correlation id natprobe writes. */
#define NP_HEP_MAX_KEY_LEN 128u
#define NP_HEP_MAX_CORRELATION_LEN 255u
/** Longest node name (chunk 0x0013) natprobe writes. */
#define NP_HEP_MAX_NODE_NAME_LEN 64u
/** Largest head np_hep_encode_head() writes (IPv6, longest key, correlation id, node name). */
#define NP_HEP_MAX_HEAD_LEN                                                                     \
	(NP_HEP_HDR_LEN + 15 * NP_HEP_CHUNK_HDR_LEN + 1 + 1 + 16 + 16 + 2 + 2 + 4 + 4 + 1 + 4 + \
	 NP_HEP_MAX_KEY_LEN + NP_HEP_MAX_CORRELATION_LEN + NP_HEP_MAX_NODE_NAME_LEN +           \
	 NP_HEP_NP_FLOW_LEN + NP_HEP_CHUNK_HDR_LEN + NP_HEP_NP_ORIGIN_LEN)

/** What goes around a payload. */
struct np_hep_info {
	struct np_addr src; /**< IPv4-mapped for IPv4 (np_addr_from_v4()); src and dst are
			     *   of one family, the family of @c src decides */
	struct np_addr dst;
	uint16_t sport; /**< host order */
	uint16_t dport;
	uint8_t ip_proto;     /**< 6 TCP, 17 UDP */
	uint8_t proto_type;   /**< enum np_hep_proto */
	uint32_t capture_id;  /**< chunk 0x000c */
	uint64_t ts_ns;	      /**< nanoseconds since the epoch; sent as seconds + microseconds */
	const char *auth_key; /**< chunk 0x000e, NUL-terminated; NULL or "" for none */
	const char *correlation_id; /**< chunk 0x0011, NUL-terminated; NULL or "" for none */
	const char *node_name;	    /**< chunk 0x0013, NUL-terminated; NULL or "" for none */
	/** natprobe's flow event chunk (NP_HEP_NP_FLOW_LEN bytes, np_hep_flow_put()); NULL:
	 *  none */
	const uint8_t *np_flow;
	/** natprobe's origin chunk (NP_HEP_NP_ORIGIN): the sending natprobe's instance id;
	 *  0: none */
	uint64_t origin;
};

/**
 * Encode everything before the payload bytes: the HEP header with the total
 * length of a packet carrying @p payload_len bytes, every chunk, and the
 * payload chunk's 6-byte header. The payload itself follows in the packet.
 *
 * @param h            addresses, ports, time, ids
 * @param payload_len  bytes of payload that will follow
 * @param buf          where to write; NP_HEP_MAX_HEAD_LEN bytes always suffice
 * @param buflen       size of @p buf
 * @return the head's length (> 0), or -EMSGSIZE when the packet would be
 *         longer than NP_HEP_MAX_LEN, -ENOSPC when @p buf is too small,
 *         -EINVAL when the key, correlation id or node name is longer than
 *         allowed.
 */
int np_hep_encode_head(const struct np_hep_info *h, size_t payload_len, uint8_t *buf,
		       size_t buflen);

/**
 * Append natprobe's origin chunk (NP_HEP_NP_ORIGIN, @p origin) to the whole
 * HEPv3 packet at @p pkt and correct its total length: how a packet relayed
 * as received is marked, every other byte of it kept.
 *
 * @param pkt     a HEPv3 packet of @p len bytes (its total length says @p len)
 * @param len     its length
 * @param cap     bytes writable at @p pkt
 * @param origin  the instance id
 * @return the new length, or -EMSGSIZE (the packet would pass 65535 bytes),
 *         -ENOSPC (@p cap too small), -EINVAL (not a HEPv3 packet of @p len bytes)
 */
int np_hep_add_origin(uint8_t *pkt, size_t len, size_t cap, uint64_t origin);

/**
 * Encode a whole packet: np_hep_encode_head() then @p payload.
 * @return the packet's length, or a negative errno as np_hep_encode_head()
 *         (-ENOSPC also when the payload does not fit in @p buf).
 */
int np_hep_encode(const struct np_hep_info *h, const void *payload, size_t payload_len,
		  uint8_t *buf, size_t buflen);

/**
 * Addresses, ports, time and correlation id of a record sent as a HEP log
 * (protocol type 100): the record's flow when it has one (else 0.0.0.0:0
 * to 0.0.0.0:0 over UDP), its time, and its Call-ID as correlation id (an
 * incident's is the Call-ID found in its evidence), so HOMER shows it
 * beside the SIP dialog. capture_id, auth_key and node_name are left for the
 * caller.
 */
void np_hep_info_from_record(const struct np_det_record *r, struct np_hep_info *h);

/**
 * A flow event as a HEP packet's parts: addresses, ports, protocol and time
 * in @p h (ids, key and node name left for the caller), the
 * NP_HEP_NP_FLOW_EVENT chunk's value in @p value (h->np_flow points at it).
 * The receiver reads it back with np_hep_flow_get().
 */
void np_hep_flow_put(const struct np_flow_event *ev, struct np_hep_info *h,
		     uint8_t value[NP_HEP_NP_FLOW_LEN]);

/**
 * The flow event a decoded packet carries (m->np_flow not NULL), in @p segment.
 * @return 0, or -1 when its type is not a flow event type (@p ev untouched).
 */
int np_hep_flow_get(const struct np_hep_msg *m, uint8_t segment, struct np_flow_event *ev);

#endif /* NP_HEP_H */
