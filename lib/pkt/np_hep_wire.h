/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_HEP_WIRE_H
#define NP_HEP_WIRE_H

/**
 * @file
 * HEP (HEP/EEP, the Homer Encapsulation Protocol) on the wire: the chunk
 * vocabulary natprobe's encoder (lib/export, np_hep.h) writes and its
 * decoder (here) reads, and the decoder.
 *
 * HEPv3: the 4 bytes "HEP3", a 16-bit total length (the whole packet, these
 * 6 bytes included), then chunks. Each chunk is a 16-bit vendor id (0:
 * generic), a 16-bit type, a 16-bit length (the chunk, its 6-byte header
 * included) and the value. Every integer is big-endian. Over TCP packets
 * follow each other on the stream, framed by the total length.
 *
 * HEPv2 (and v1): byte 0 the version, byte 1 the header length, the family,
 * the IP protocol, source and destination ports (big-endian), source and
 * destination addresses (4 or 16 bytes each); v2 then has a time header
 * written in the sender's byte order (little-endian on every agent this was
 * tested with: seconds, microseconds, a 16-bit capture id, 2 bytes of
 * padding); the payload is the rest of the datagram. v1/v2 packets have no
 * length of their own: they are read only from whole datagrams.
 *
 * The decoder never reads outside [buf, buf + len), never writes it, never
 * allocates. Every length is checked: the total against the bytes given,
 * each chunk's against the total, each known chunk's against its type's
 * size. A packet that fails is not half-used: the result is a reason
 * (enum np_hep_err), for a counter.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "np_pkt.h"

/** "HEP3" and the total length. */
#define NP_HEP_HDR_LEN 6
/** A chunk's vendor id, type and length. */
#define NP_HEP_CHUNK_HDR_LEN 6
/** Largest HEPv3 packet: the total length is 16 bits. */
#define NP_HEP_MAX_LEN 65535u
/** UDP and TCP port of HEP collectors (heplify-server, HOMER). */
#define NP_HEP_DEFAULT_PORT 9060
/** AF_INET and AF_INET6 as HEP writes them in chunk 0x0001 (Linux values). */
#define NP_HEP_AF_INET 2
#define NP_HEP_AF_INET6 10

/** Chunk types (vendor 0). */
enum np_hep_chunk {
	NP_HEP_C_IP_FAMILY = 0x0001,	  /**< 1 byte: NP_HEP_AF_INET / NP_HEP_AF_INET6 */
	NP_HEP_C_IP_PROTO = 0x0002,	  /**< 1 byte: 6 TCP, 17 UDP */
	NP_HEP_C_IPV4_SRC = 0x0003,	  /**< 4 bytes */
	NP_HEP_C_IPV4_DST = 0x0004,	  /**< 4 bytes */
	NP_HEP_C_IPV6_SRC = 0x0005,	  /**< 16 bytes */
	NP_HEP_C_IPV6_DST = 0x0006,	  /**< 16 bytes */
	NP_HEP_C_SRC_PORT = 0x0007,	  /**< 2 bytes */
	NP_HEP_C_DST_PORT = 0x0008,	  /**< 2 bytes */
	NP_HEP_C_TS_SEC = 0x0009,	  /**< 4 bytes: seconds since the epoch */
	NP_HEP_C_TS_USEC = 0x000a,	  /**< 4 bytes: microseconds within that second */
	NP_HEP_C_PROTO_TYPE = 0x000b,	  /**< 1 byte: enum np_hep_proto */
	NP_HEP_C_CAPTURE_ID = 0x000c,	  /**< 4 bytes (2 from some old agents): agent id */
	NP_HEP_C_AUTH_KEY = 0x000e,	  /**< n bytes */
	NP_HEP_C_PAYLOAD = 0x000f,	  /**< n bytes: the SIP message */
	NP_HEP_C_PAYLOAD_ZIP = 0x0010,	  /**< n bytes, compressed (not read: counted) */
	NP_HEP_C_CORRELATION_ID = 0x0011, /**< n bytes */
	NP_HEP_C_NODE_NAME = 0x0013,	  /**< n bytes: agent name */
};

/**
 * natprobe's own chunks (vendor NP_HEP_VENDOR_NATPROBE): what a probe
 * forwards to another and HEP has no chunk for (docs/distributed.md).
 * 0x4e50 is "NP" in ASCII; it is not a vendor id HEP's registry assigns to
 * anyone else. Collectors that do not know it skip the chunk.
 */
#define NP_HEP_VENDOR_NATPROBE 0x4e50
/** Chunk types of vendor NP_HEP_VENDOR_NATPROBE. */
enum np_hep_np_chunk {
	/** NP_HEP_NP_FLOW_LEN bytes: a flow event (new connection fingerprint, TCP outcome,
	 *  ...); its addresses, ports, protocol and time are the packet's generic chunks */
	NP_HEP_NP_FLOW_EVENT = 0x0001,
	/** NP_HEP_NP_ORIGIN_LEN bytes: the 64-bit instance id (big-endian) of a natprobe that
	 *  sent the packet; natprobe adds one to every packet it sends (its own and those it
	 *  relays), so that one coming back to it is known (a loop). The type is far from the
	 *  generic types so that a collector that ignores the vendor id reads nothing into it. */
	NP_HEP_NP_ORIGIN = 0x4e02,
};
/** Value length of NP_HEP_NP_ORIGIN. */
#define NP_HEP_NP_ORIGIN_LEN 8
/** Origin chunks a packet may carry (natprobes it went through); more: a loop. */
#define NP_HEP_MAX_ORIGINS 4
/**
 * Value of NP_HEP_NP_FLOW_EVENT, big-endian: byte 0 the event type (enum
 * np_flow_ev_type), 1 the direction, 2..5 four small fields (a, b, c, d),
 * 6..7 zero, 8..15 a 64-bit field (x), 16..23 another (y), 24..27 a 32-bit
 * field (p), 28..31 another (q). Which field holds what depends on the type
 * (np_hep_flow_put()).
 */
#define NP_HEP_NP_FLOW_LEN 32

/** Protocol types (chunk 0x000b). */
enum np_hep_proto {
	NP_HEP_PROTO_SIP = 1,	/**< the payload is a SIP message */
	NP_HEP_PROTO_LOG = 100, /**< a log line; HOMER/heplify-server store it as a "log" */
};

/** Why a packet could not be used. Names: np_hep_err_name(). */
enum np_hep_err {
	NP_HEP_OK = 0,
	NP_HEP_E_NOT_HEP,   /**< "not_hep": no HEP version or magic at the start */
	NP_HEP_E_VERSION,   /**< "version": HEP of a version not read (v1 has no time) */
	NP_HEP_E_TRUNCATED, /**< "truncated": fewer bytes than the packet's length says */
	NP_HEP_E_LENGTH,    /**< "bad_length": a total or chunk length that cannot be */
	NP_HEP_E_CHUNK,	    /**< "bad_chunk": a known chunk whose size is wrong for its type */
	NP_HEP_E_ADDRESS,   /**< "no_address": family, addresses or ports missing or unknown */
	NP_HEP_E_PAYLOAD,   /**< "no_payload": no payload chunk (or only a compressed one) */
	NP_HEP_E_MAX
};

/** One decoded packet. Pointers point into the buffer given to the decoder. */
struct np_hep_msg {
	uint8_t version;    /**< 2 or 3 */
	uint8_t ip_proto;   /**< 6 TCP, 17 UDP (as the agent wrote it) */
	uint8_t proto_type; /**< enum np_hep_proto; 1 when absent (v2 carries SIP only) */
	bool has_ts;	    /**< false when the packet has no time (use the capture's) */
	bool has_capture_id;
	uint32_t capture_id;	/**< agent id (chunk 0x000c) */
	struct np_addr src;	/**< IPv4-mapped for IPv4 (np_addr_from_v4()) */
	struct np_addr dst;	/**< of the same family as @c src */
	uint16_t sport;		/**< host order */
	uint16_t dport;		/**< host order */
	uint64_t ts_ns;		/**< when has_ts: nanoseconds since the epoch */
	const uint8_t *payload; /**< chunk 0x000f (v3), the rest of the datagram (v2) */
	uint32_t payload_len;
	const uint8_t *node_name; /**< chunk 0x0013, not NUL-terminated; NULL when absent */
	uint16_t node_name_len;
	uint16_t unknown_chunks; /**< chunks skipped: other vendors, types not read */
	/** natprobe's flow event chunk (NP_HEP_NP_FLOW_LEN bytes); NULL when absent */
	const uint8_t *np_flow;
	/** natprobes the packet went through (NP_HEP_NP_ORIGIN chunks), in packet order; more
	 *  than NP_HEP_MAX_ORIGINS: n_origins is NP_HEP_MAX_ORIGINS + 1 and only the first
	 *  NP_HEP_MAX_ORIGINS are kept */
	uint8_t n_origins;
	uint64_t origins[NP_HEP_MAX_ORIGINS];
};

/**
 * Whether @p m went through the natprobe of instance id @p self (one of its
 * origin chunks), or through more natprobes than a sane chain has
 * (NP_HEP_MAX_ORIGINS): either way a loop.
 */
bool np_hep_is_loop(const struct np_hep_msg *m, uint64_t self);

/**
 * Decode one HEPv3 packet at the start of @p buf, or one whole HEPv2 datagram.
 *
 * @param buf       bytes: a datagram, or what a TCP stream has delivered
 * @param len       bytes at @p buf
 * @param datagram  true when @p buf is one whole datagram (v2 is accepted, and
 *                  a v3 packet shorter than the datagram leaves the rest unread)
 * @param m         filled on NP_HEP_OK; undefined otherwise
 * @param used      set to the packet's length when known (v3 header read,
 *                  even on errors after it: a stream may skip it), else 0
 * @return enum np_hep_err
 */
int np_hep_decode(const uint8_t *buf, size_t len, bool datagram, struct np_hep_msg *m,
		  size_t *used);

/**
 * Where the next HEPv3 packet of a stream ends.
 * @return its length (>= NP_HEP_HDR_LEN) when the stream starts with "HEP3"
 *         and a length that can be (the packet may not have arrived whole);
 *         0 when fewer than NP_HEP_HDR_LEN bytes are given; -1 when the
 *         bytes are not the start of a HEPv3 packet (the stream is out of
 *         step: np_hep_resync()).
 */
long np_hep_frame(const uint8_t *buf, size_t len);

/** Offset of the next "HEP3" in @p buf after its first byte, or @p len when none. */
size_t np_hep_resync(const uint8_t *buf, size_t len);

/** One HEP packet cut from a stream (np_hep_cut()): @p n bytes at @p p, whole. */
typedef void (*np_hep_packet_fn)(void *ctx, const uint8_t *p, size_t n);

/**
 * Cut the whole HEPv3 packets at the start of a stream's bytes: the one
 * framer of HEP over TCP (np_hep_frame(), np_hep_resync()), used by the live
 * listener and by `analyze`'s stream follower (np_hep_tcp.h).
 *
 * Each whole packet goes to @p fn, in order (not decoded here). Bytes that
 * do not start a HEPv3 packet are skipped to the next "HEP3" and added to
 * @p resync_bytes.
 *
 * @return bytes consumed from @p buf; the rest (a packet not yet whole,
 *         or the first bytes of "HEP3") waits for more of the stream: the
 *         caller keeps it and appends what follows.
 */
size_t np_hep_cut(const uint8_t *buf, size_t len, np_hep_packet_fn fn, void *ctx,
		  uint64_t *resync_bytes);

/**
 * Stable lower-case name of a reason, used as a counter label: "ok",
 * "not_hep", "version", "truncated", "bad_length", "bad_chunk",
 * "no_address", "no_payload"; "invalid" past NP_HEP_E_MAX. Never NULL.
 */
const char *np_hep_err_name(unsigned int err);

#endif /* NP_HEP_WIRE_H */
