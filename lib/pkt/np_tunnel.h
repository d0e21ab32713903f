/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_TUNNEL_H
#define NP_TUNNEL_H

/**
 * @file
 * Decapsulation of the tunnels that carry mirrored traffic to a probe on a
 * remote mirror port: GRE (RFC 2784 / 2890), ERSPAN types I, II and III
 * (GRE protocol 0x88BE / 0x22EB) and VXLAN (RFC 7348, UDP port 4789).
 *
 * Plain buffers in, a plain struct out, as np_pkt_parse(): the outer frame is
 * parsed by np_pkt_parse() first, np_pkt_decap() reads the tunnel header
 * from the outer frame and says where the inner frame lies. It never reads
 * outside [frame, frame + len) and never writes the frame.
 *
 * Decisions an operator may want to know:
 *
 * - GRE: version 0 only (version 1 is PPTP's enhanced GRE: not a tunnel
 *   here). The checksum (C), key (K) and sequence (S) words are skipped, the
 *   key is the tunnel id. A GRE header with the routing bit (R, RFC 1701) is
 *   not understood. Payloads: 0x6558 (transparent Ethernet bridging, gretap)
 *   an Ethernet frame; 0x0800 / 0x86DD an IPv4 / IPv6 packet, handed over
 *   without an Ethernet header (np_pkt_tunnel_frame() puts one in front);
 *   0x88BE / 0x22EB ERSPAN below; anything else (MPLS, WCCP, ...) is not a
 *   tunnel natprobe decapsulates.
 * - ERSPAN type I: GRE 0x88BE without the sequence bit; no ERSPAN header, an
 *   Ethernet frame follows the 4-byte GRE header; no id.
 * - ERSPAN type II: GRE 0x88BE with a sequence number; an 8-byte header with
 *   version 1; the id is its 10-bit session id.
 * - ERSPAN type III: GRE 0x22EB; a 12-byte header with version 2, plus the
 *   8-byte platform-specific subheader when its O bit is set; the id is the
 *   session id; only frame type 0 (Ethernet) is understood.
 * - VXLAN: UDP destination port 4789 (IANA); the I flag must be set; the id
 *   is the 24-bit VNI; an Ethernet frame follows the 8-byte header.
 * - One level: a tunnel inside the inner frame is left to the caller (the
 *   workers and the offline reader decapsulate once). An outer IP fragment
 *   is not reassembled before decapsulation.
 */

#include <stdbool.h>
#include <stdint.h>

#include "np_pkt.h"

/** UDP destination port of VXLAN (IANA). */
#define NP_TUNNEL_VXLAN_PORT 4789

/** Encapsulations, as counter labels. */
enum np_pkt_encap {
	NP_PKT_ENCAP_NONE = 0,
	NP_PKT_ENCAP_GRE,     /**< plain GRE: Ethernet (0x6558), IPv4 or IPv6 inside */
	NP_PKT_ENCAP_ERSPAN1, /**< ERSPAN type I */
	NP_PKT_ENCAP_ERSPAN2, /**< ERSPAN type II */
	NP_PKT_ENCAP_ERSPAN3, /**< ERSPAN type III */
	NP_PKT_ENCAP_VXLAN,   /**< VXLAN */
	NP_PKT_ENCAP_MAX
};

/** What np_pkt_decap() found. Offsets are from the start of the outer frame. */
struct np_pkt_tunnel {
	uint8_t encap;		  /**< enum np_pkt_encap */
	bool has_id;		  /**< false for GRE without a key and ERSPAN type I */
	bool inner_is_eth;	  /**< the inner frame starts with an Ethernet header */
	uint16_t inner_ethertype; /**< when !inner_is_eth: 0x0800 or 0x86DD */
	uint32_t id;		  /**< GRE key, ERSPAN session id or VXLAN VNI */
	uint32_t inner_off;	  /**< first byte of the inner frame (or packet) */
	uint32_t inner_len;	  /**< its bytes present in the outer frame */
};

/** Results of np_pkt_decap(). */
enum np_pkt_decap_result {
	NP_PKT_DECAP_BAD =
		-1, /**< a tunnel (t->encap) whose header is cut short or not understood */
	NP_PKT_DECAP_NONE = 0, /**< not a tunnel natprobe decapsulates */
	NP_PKT_DECAP_OK = 1,   /**< t describes the inner frame */
};

/**
 * Find a tunnel in an outer frame already parsed by np_pkt_parse().
 *
 * Only frames of class NP_PKT_IP_OTHER with protocol 47 (GRE) and
 * NP_PKT_UDP to port NP_TUNNEL_VXLAN_PORT are looked at; for every other
 * frame this is two compares.
 *
 * @param frame  the outer frame, as given to np_pkt_parse()
 * @param len    its length
 * @param pi     np_pkt_parse()'s result for it
 * @param t      filled on NP_PKT_DECAP_OK; on NP_PKT_DECAP_BAD only t->encap
 *               (and t->id when read) are meaningful
 * @return enum np_pkt_decap_result
 */
int np_pkt_decap(const uint8_t *frame, uint32_t len, const struct np_pkt_info *pi,
		 struct np_pkt_tunnel *t);

/**
 * Could this parsed frame carry a tunnel (GRE, or UDP to VXLAN's port)? The
 * cheap test every input makes before np_pkt_decap(), once the plain cases
 * have missed.
 */
static inline bool np_pkt_may_be_tunnel(const struct np_pkt_info *pi)
{
	return pi->l4_proto == NP_IPPROTO_GRE ||
	       (pi->l4_proto == NP_IPPROTO_UDP && pi->dport == NP_TUNNEL_VXLAN_PORT);
}

/**
 * The inner frame as an Ethernet frame, ready for np_pkt_parse(): a pointer
 * into @p frame when the tunnel carries Ethernet, else a copy of the inner
 * IP packet behind a synthetic Ethernet header (zero MACs, t->inner_ethertype)
 * in @p buf.
 *
 * @param buf     room for the copy; at most @p buflen - 14 bytes of the inner
 *                packet are copied (the rest is cut, as a snap length would)
 * @param out_len set to the length of the returned frame
 * @return the inner Ethernet frame; NULL only when a copy is needed and
 *         @p buflen is below 14.
 */
const uint8_t *np_pkt_tunnel_frame(const uint8_t *frame, const struct np_pkt_tunnel *t,
				   uint8_t *buf, uint32_t buflen, uint32_t *out_len);

/**
 * Stable lower-case name of an encapsulation, used as a counter label and in
 * segment names: "gre", "erspan1", "erspan2", "erspan3", "vxlan"; "none" for
 * NP_PKT_ENCAP_NONE; "invalid" past NP_PKT_ENCAP_MAX. Never NULL.
 */
const char *np_pkt_encap_name(unsigned int encap);

#endif /* NP_TUNNEL_H */
