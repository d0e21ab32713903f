/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_PKT_H
#define NP_PKT_H

/**
 * @file
 * L2-L4 parsing of one Ethernet frame: Ethernet, 802.1Q / 802.1ad (QinQ),
 * IPv4 (with options), IPv6 (with extension headers), TCP (with options),
 * UDP, ICMP / ICMPv6.
 *
 * Plain buffers in, a plain struct out: no DPDK types, no allocation, no
 * global state, so the same code serves the worker loop, the offline
 * drivers and the fuzzers. The parser never reads outside [frame, frame+len).
 *
 * Decisions an operator may want to know (the counters follow from them):
 *
 * - L2: Ethernet II. TPIDs 0x8100 (802.1Q), 0x88a8 (802.1ad) and 0x9100
 *   (pre-standard QinQ) are VLAN tags, in any order. The first two tags are
 *   recorded (outer first); deeper stacks are skipped and parsing goes on,
 *   up to NP_PKT_MAX_VLAN_TAGS tags in all, past which the frame is
 *   NP_PKT_BAD_HEADER. A type/length field <= 1500 (802.3 length, LLC/SNAP)
 *   and the EtherTypes ARP, RARP, AARP, IPX, AppleTalk, MAC control (PAUSE),
 *   slow protocols (LACP), EAPOL, MACsec, LLDP, PTP, CFM, FCoE / FIP and
 *   loopback are NP_PKT_NON_IP; anything else, MPLS and PPPoE included, is
 *   NP_PKT_UNKNOWN_ETHERTYPE.
 * - IPv4: version and IHL are checked, options skipped. The header checksum is
 *   verified once the header is complete; a bad one gives NP_PKT_BAD_CHECKSUM
 *   whatever follows, but parsing goes on so addresses, ports and fragment
 *   details are filled as far as the frame allows. np_pkt_parse_csum() lets
 *   the caller accept such frames instead (datapath.ip_checksum): captures
 *   taken on a host that offloads the checksum hold 0x0000 there. L4
 *   checksums are never verified (the same hosts leave them unfilled).
 * - The IP length (IPv4 total length, IPv6 40 + payload length) bounds the
 *   packet: Ethernet padding past it is ignored. When it runs past the frame
 *   end the class is NP_PKT_TRUNCATED, but the L4 header is still parsed from
 *   the bytes present (so a snaplen-cut capture still has its ports).
 * - IPv6: extension headers hop-by-hop (0), routing (43), destination
 *   options (60), fragment (44) and AH (51) are walked, at most
 *   NP_PKT_MAX_IPV6_EXT of them (one more is NP_PKT_BAD_HEADER). ESP (50),
 *   no-next-header (59) and anything unknown end the walk as NP_PKT_IP_OTHER.
 *   Jumbograms (payload length 0) are not supported: such a packet's L4
 *   header lies past its end and it is NP_PKT_TRUNCATED (or NP_PKT_IP_OTHER
 *   for no-next-header).
 * - Fragments: IPv4 with MF set or a non-zero offset, IPv6 with a fragment
 *   header whose offset or M flag is non-zero, are NP_PKT_FRAGMENT. An IPv6
 *   "atomic fragment" (offset 0, M 0, RFC 6946) is a whole packet and is
 *   parsed through. For a first fragment l4_off is set and the ports are read
 *   when the protocol has them and 4 bytes are present; for later fragments
 *   l4_off is 0. In both, payload_off/payload_len delimit the fragment data.
 * - TCP: data offset < 5 is NP_PKT_BAD_HEADER, options are skipped.
 * - UDP: a length field < 8 or larger than the IP payload the IP header
 *   declares is NP_PKT_BAD_HEADER (the UDP header contradicts IP; missing
 *   bytes are caught by the IP length check). A length smaller than the IP
 *   payload wins: the rest is padding.
 * - ICMP (in IPv4) / ICMPv6 (in IPv6): the 8-byte header must be present.
 *   For error messages (ICMP 3 unreachable, 4, 5, 11 time exceeded, 12;
 *   ICMPv6 1 unreachable, 2 too big, 3 time exceeded, 4) the embedded
 *   packet's tuple is parsed into icmp_inner.
 * - SCTP (132), UDP-Lite (136) and DCCP (33) are NP_PKT_IP_OTHER, with ports
 *   filled when their first 4 bytes are present.
 */

#include <stdbool.h>
#include <stdint.h>

/* IP protocol numbers natprobe names (IANA): the one spelling used everywhere. */
#define NP_IPPROTO_HOPOPTS 0
#define NP_IPPROTO_ICMP 1
#define NP_IPPROTO_TCP 6
#define NP_IPPROTO_UDP 17
#define NP_IPPROTO_DCCP 33
#define NP_IPPROTO_ROUTING 43
#define NP_IPPROTO_FRAGMENT 44
#define NP_IPPROTO_AH 51
#define NP_IPPROTO_ICMPV6 58
#define NP_IPPROTO_DSTOPTS 60
#define NP_IPPROTO_GRE 47
#define NP_IPPROTO_SCTP 132
#define NP_IPPROTO_UDPLITE 136

/** "tcp", "udp", "icmp", "icmpv6", "sctp", ... or "ip" for the others. */
const char *np_proto_name(uint8_t proto);

/** VLAN tags skipped before the frame is NP_PKT_BAD_HEADER (only 2 are recorded). */
#define NP_PKT_MAX_VLAN_TAGS 8

/** IPv6 extension headers walked before the packet is NP_PKT_BAD_HEADER. */
#define NP_PKT_MAX_IPV6_EXT 8

/** Buffer size that fits any np_addr_str() result (INET6_ADDRSTRLEN). */
#define NP_ADDR_STRLEN 46

/** Buffer size that fits any np_endpoint_str() result: "[" v6 "]:65535". */
#define NP_ENDPOINT_STRLEN 54

/**
 * What a frame turned out to be. Every frame gets exactly one class; the
 * worker counts frames per segment and class, and forwards all of them.
 */
enum np_pkt_class {
	NP_PKT_TCP = 0,		  /**< IPv4/IPv6 + TCP, headers complete */
	NP_PKT_UDP,		  /**< IPv4/IPv6 + UDP, headers complete */
	NP_PKT_ICMP,		  /**< ICMP or ICMPv6 */
	NP_PKT_IP_OTHER,	  /**< IP with another L4 protocol (ESP, GRE, SCTP, ...) */
	NP_PKT_FRAGMENT,	  /**< IP fragment (first or later); L4 not parsed here */
	NP_PKT_RUNT,		  /**< shorter than an Ethernet header (14 bytes) */
	NP_PKT_NON_IP,		  /**< a known non-IP EtherType (ARP, LLDP, ...) or 802.3 length */
	NP_PKT_UNKNOWN_ETHERTYPE, /**< an EtherType natprobe does not know */
	NP_PKT_TRUNCATED,	  /**< a header or the IP length runs past the frame end */
	NP_PKT_BAD_HEADER,	  /**< impossible field: IP version, IHL, TCP data offset, ... */
	NP_PKT_BAD_CHECKSUM,	  /**< IPv4 header checksum does not verify */
	NP_PKT_CLASS_MAX
};

/** Fragment details, valid when class is NP_PKT_FRAGMENT. */
struct np_pkt_frag {
	uint32_t id;	 /**< IPv4 identification or IPv6 fragment id */
	uint16_t offset; /**< byte offset of this fragment's data */
	bool more;	 /**< more fragments follow */
};

/**
 * An address of either family. IPv4 addresses are stored as IPv4-mapped IPv6
 * (::ffff:a.b.c.d) so one 16-byte compare serves both.
 */
struct np_addr {
	uint8_t b[16];
};

/**
 * Where a frame came from: the input it was read from and its number there,
 * counted from 1 as Wireshark counts frames. Offline an input is a file
 * (every packet block counts, those natprobe skips included); live it is a
 * port's rx queue. The parser never sets it: the code that reads frames
 * does, and the inspector hands it on with what each frame caused
 * (lib/inspect), so records can name their evidence frames.
 */
struct np_pkt_ref {
	uint64_t frame;	     /**< 1-based number in its input; 0: no frame (a timer, a log) */
	uint16_t input;	     /**< index of the input (the reader's numbering) */
	uint8_t segment;     /**< segment the frame was inspected on */
	uint8_t reserved[5]; /**< zero */
};

/** Do @p a and @p b name the same frame (segment, input, number)? */
static inline bool np_pkt_ref_eq(const struct np_pkt_ref *a, const struct np_pkt_ref *b)
{
	return a->frame == b->frame && a->input == b->input && a->segment == b->segment;
}

/** Result of np_pkt_parse(). Offsets are from the start of the frame. */
struct np_pkt_info {
	uint8_t cls;	      /**< enum np_pkt_class */
	uint8_t ip_version;   /**< 4, 6, or 0 when not IP */
	uint8_t l4_proto;     /**< IP protocol number (6 TCP, 17 UDP, ...) */
	uint8_t n_vlans;      /**< VLAN tags seen (0..2) */
	uint16_t vlan[2];     /**< VLAN ids, outer first */
	uint16_t l3_off;      /**< start of the IP header */
	uint16_t l4_off;      /**< start of the L4 header */
	uint16_t payload_off; /**< start of the L4 payload */
	uint16_t payload_len; /**< L4 payload bytes present in the frame (IP length wins over
				 padding) */
	uint8_t tcp_flags;    /**< TCP flags byte (FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10) */
	uint8_t ttl;	      /**< IPv4 TTL or IPv6 hop limit */
	/**
	 * enum np_pkt_ip_csum: whether the IPv4 header checksum failed, and how
	 * (zero or wrong), whichever mode the frame was parsed in; 0 when it
	 * verified, was not computed (NP_PKT_CSUM_IGNORE) or the frame is not IPv4.
	 */
	uint8_t ip_csum;
	uint8_t reserved;   /**< zero */
	uint32_t tcp_seq;   /**< host order */
	uint32_t tcp_ack;   /**< host order */
	struct np_addr src; /**< IP source */
	struct np_addr dst; /**< IP destination */
	uint16_t sport;	    /**< host order; 0 when no ports */
	uint16_t dport;	    /**< host order; 0 when no ports */
	uint8_t icmp_type;  /**< for NP_PKT_ICMP */
	uint8_t icmp_code;
	struct np_pkt_frag frag; /**< for NP_PKT_FRAGMENT */
	/**
	 * For ICMP / ICMPv6 error messages (see the file comment for the types):
	 * the tuple of the packet that caused the error, as it left its sender
	 * (src is that sender, so for "unreachable answering a SYN" src:sport is
	 * the SYN's source). Inner IP checksum and length are not checked: the
	 * embedded copy is usually cut short.
	 */
	struct {
		struct np_addr src; /**< embedded packet's IP source */
		struct np_addr dst; /**< embedded packet's IP destination */
		uint16_t sport;	    /**< host order; 0 when not present */
		uint16_t dport;	    /**< host order; 0 when not present */
		uint8_t proto;	    /**< embedded packet's L4 protocol */
		/**
		 * True when the embedded IP header is complete and, for a protocol
		 * with ports (TCP, UDP, SCTP, UDP-Lite, DCCP), the ports are present
		 * (not a later fragment, 4 bytes there). Fields reached are filled
		 * even when false.
		 */
		bool valid;
	} icmp_inner;
};

/** How np_pkt_parse_csum() treats an IPv4 header checksum that does not verify. */
enum np_pkt_csum_mode {
	NP_PKT_CSUM_VERIFY = 0,	 /**< the frame is NP_PKT_BAD_CHECKSUM (np_pkt_parse()) */
	NP_PKT_CSUM_ACCEPT_ZERO, /**< 0x0000 (an offloading host's) is accepted, others as VERIFY */
	NP_PKT_CSUM_ACCEPT,	 /**< any failure is accepted: the class is what L4 gives */
	NP_PKT_CSUM_IGNORE,	 /**< not computed at all (ip_csum stays 0) */
	NP_PKT_CSUM_MODE_MAX
};

/** np_pkt_info.ip_csum: how the IPv4 header checksum failed. */
enum np_pkt_ip_csum {
	NP_PKT_IP_CSUM_OK = 0, /**< verified, not computed, or not IPv4 */
	NP_PKT_IP_CSUM_ZERO,   /**< 0x0000 where the header sums to something else: offloading */
	NP_PKT_IP_CSUM_BAD,    /**< any other value that does not verify */
};

/**
 * Parse one Ethernet frame.
 *
 * Reads only [frame, frame + len); writes only *pi. Reentrant, no allocation.
 * Offsets in *pi are at most len, and payload_off + payload_len <= len
 * whenever payload_off is set.
 *
 * @param frame  first byte of the Ethernet header (may be NULL when len is 0)
 * @param len    bytes available at @p frame
 * @param pi     filled in; on any class, the fields reached before the
 *               problem are valid, the others are zero
 * @return the class (also stored in pi->cls), one of enum np_pkt_class below
 *         NP_PKT_CLASS_MAX; never fails otherwise. Payload fields by class:
 *         TCP/UDP: payload_off/len are the L4 payload; ICMP: the bytes after
 *         the 8-byte ICMP header; IP_OTHER: the bytes from l4_off on;
 *         FRAGMENT: the fragment data (after all IP headers); other classes:
 *         zero, except TRUNCATED / BAD_CHECKSUM where L4 was reached.
 */
int np_pkt_parse(const uint8_t *frame, uint32_t len, struct np_pkt_info *pi);

/**
 * np_pkt_parse() with a choice of what a failing IPv4 header checksum does.
 * With NP_PKT_CSUM_VERIFY it is np_pkt_parse(). An accepted failure leaves
 * the class L4 gives (TCP, UDP, ...) and says in pi->ip_csum how it failed;
 * a rejected one gives NP_PKT_BAD_CHECKSUM as np_pkt_parse() does, with
 * pi->ip_csum set too.
 *
 * @param mode  enum np_pkt_csum_mode; an unknown value is NP_PKT_CSUM_VERIFY
 * @return the class, as np_pkt_parse().
 */
int np_pkt_parse_csum(const uint8_t *frame, uint32_t len, unsigned int mode,
		      struct np_pkt_info *pi);

/**
 * np_pkt_parse_csum() without its fast path for plain frames (Ethernet, at
 * most one 802.1Q tag, IPv4 without options or IPv6 without extension
 * headers, TCP or UDP): every frame through the general parser. The result
 * is the same by contract, field for field; this entry point exists so that
 * tests and fuzzers can hold the fast path to that.
 *
 * @param mode  enum np_pkt_csum_mode; an unknown value is NP_PKT_CSUM_VERIFY
 * @return the class, as np_pkt_parse().
 */
int np_pkt_parse_full(const uint8_t *frame, uint32_t len, unsigned int mode,
		      struct np_pkt_info *pi);

/** A parser with its checksum mode built in (np_pkt_parser()). */
typedef int (*np_pkt_parse_fn)(const uint8_t *frame, uint32_t len, struct np_pkt_info *pi);

/**
 * The parser of one checksum mode, for a caller that parses every frame in
 * the same mode (a worker): calling it is np_pkt_parse_csum(frame, len,
 * @p mode, pi) without choosing the mode per frame.
 * @return np_pkt_parse for NP_PKT_CSUM_VERIFY or an unknown mode; never NULL.
 */
np_pkt_parse_fn np_pkt_parser(unsigned int mode);

/**
 * Stable lower-case name of a class, used as a counter label: "tcp", "udp",
 * "icmp", "ip_other", "fragment", "runt", "non_ip", "unknown_ethertype",
 * "truncated", "bad_header", "bad_checksum".
 * @return the name; "invalid" for a value >= NP_PKT_CLASS_MAX. Never NULL.
 */
const char *np_pkt_class_name(unsigned int cls);

/** Set @p a to the IPv4 address @p v4 (network byte order), IPv4-mapped. */
void np_addr_from_v4(struct np_addr *a, uint32_t v4_be);

/** True when @p a is an IPv4-mapped address (::ffff:0:0/96). */
bool np_addr_is_v4(const struct np_addr *a);

/**
 * Format "a.b.c.d" (IPv4-mapped) or the RFC 5952 IPv6 text form (inet_ntop)
 * into @p buf of @p size bytes; NP_ADDR_STRLEN (46) always fits.
 * @return buf; when @p size is too small buf holds "" (if size >= 1).
 */
char *np_addr_str(const struct np_addr *a, char *buf, unsigned int size);

/**
 * Format an endpoint: "a.b.c.d:port" or "[v6]:port" into @p buf of @p size
 * bytes; NP_ENDPOINT_STRLEN (54) always fits.
 * @return buf; when @p size is too small buf holds "" (if size >= 1).
 */
char *np_endpoint_str(const struct np_addr *a, uint16_t port, char *buf, unsigned int size);

#endif /* NP_PKT_H */
