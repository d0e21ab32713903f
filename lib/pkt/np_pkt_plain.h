/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_PKT_PLAIN_H
#define NP_PKT_PLAIN_H

/**
 * @file
 * The plain frame, which is most of the traffic on a probe's wire: Ethernet
 * II with at most one 802.1Q tag; IPv4 without options, not a fragment,
 * complete (its total length within the frame), its header checksum
 * verifying (or not computed: NP_PKT_CSUM_IGNORE), or IPv6 whose next header
 * is TCP or UDP (no extension header), complete; then a complete TCP or UDP
 * header whose lengths agree with IP.
 *
 * np_pkt_plain() recognises such a frame and says where its headers are;
 * a flow lookup reads the few fields it needs from there, in registers,
 * without the general parser's struct. np_pkt_parse() takes the same frames the same way
 * first (its fast path) and gives every other frame to the general parser:
 * for a plain frame both say the same, field for field (test_pkt and the
 * pkt fuzzer compare np_pkt_parse_csum() with np_pkt_parse_full() on every
 * input).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "np_pkt.h"

/**
 * Where a plain frame's headers are (np_pkt_plain()). The fields a flow
 * lookup needs are read from the frame where they lie (np_pkt_plain_*()),
 * so a caller that only looks a flow up keeps them in registers.
 */
struct np_pkt_plain {
	uint16_t l3_off;      /**< start of the IP header (14 or 18) */
	uint16_t l4_off;      /**< start of the TCP or UDP header */
	uint16_t payload_off; /**< start of the L4 payload */
	uint16_t payload_len; /**< its length (the UDP length wins over IP padding) */
	uint8_t ip_version;   /**< 4 or 6 */
	uint8_t l4_proto;     /**< NP_IPPROTO_TCP or NP_IPPROTO_UDP */
	uint8_t tagged;	      /**< 1: one 802.1Q tag (its id at bytes 14-15) */
};

static inline uint16_t np_pkt_plain_rd16(const uint8_t *p)
{
	return (uint16_t)((unsigned int)p[0] << 8 | p[1]);
}

static inline uint32_t np_pkt_plain_rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return __builtin_bswap32(v);
}

/** Does a 20-byte IPv4 header's checksum verify? (One's-complement sum of its words.) */
static inline bool np_pkt_plain_csum_ok(const uint8_t *ip)
{
	uint32_t w0, w1, w2, w3, w4;
	uint64_t sum;

	memcpy(&w0, ip, 4);
	memcpy(&w1, ip + 4, 4);
	memcpy(&w2, ip + 8, 4);
	memcpy(&w3, ip + 12, 4);
	memcpy(&w4, ip + 16, 4);
	/*
	 * The one's-complement sum of the ten 16-bit words is 0xffff exactly when
	 * their plain sum is a non-zero multiple of 0xffff (2^16 = 1 modulo
	 * 0xffff, so each 32-bit word is its two halves modulo 0xffff, whatever
	 * the byte order). The sum is not zero: the first byte is 0x45 here.
	 * A remainder by a constant is a multiply, fewer steps than the folds.
	 */
	sum = (uint64_t)w0 + w1 + w2 + w3 + w4;
	return sum != 0 && sum % 0xffff == 0;
}

/**
 * Is the frame plain (see the file comment)? Reads only [f, f + len).
 *
 * @param mode  enum np_pkt_csum_mode: NP_PKT_CSUM_IGNORE skips the IPv4
 *              header checksum; any other mode needs it to verify (a frame
 *              whose checksum fails is not plain: the general parser
 *              classifies it under the mode)
 * @param pp    filled when the frame is plain; untouched otherwise
 * @return NP_PKT_TCP or NP_PKT_UDP for a plain frame, -1 for any other
 */
static inline __attribute__((always_inline)) int np_pkt_plain(const uint8_t *f, uint32_t len,
							      unsigned int mode,
							      struct np_pkt_plain *pp)
{
	uint32_t off = 14, l4, lim, hl4;
	const uint8_t *ip, *p;
	uint8_t proto, v;
	uint16_t et;

	if (__builtin_expect(len < 14 + 20 + 8, 0)) /* Ethernet, IPv4, UDP */
		return -1;
	et = np_pkt_plain_rd16(f + 12);
	if (et == 0x8100) {
		et = np_pkt_plain_rd16(f + 16);
		off = 18;
	}
	ip = f + off;
	if (__builtin_expect(et == 0x0800, 1)) {
		uint32_t tot;

		if (__builtin_expect(len - off < 20 || ip[0] != 0x45, 0))
			return -1;
		tot = np_pkt_plain_rd16(ip + 2);
		if (__builtin_expect(tot > len - off || tot < 20 ||
					     (np_pkt_plain_rd16(ip + 6) & 0x3fff),
				     0))
			return -1;
		if (mode != NP_PKT_CSUM_IGNORE && __builtin_expect(!np_pkt_plain_csum_ok(ip), 0))
			return -1;
		proto = ip[9];
		l4 = off + 20;
		lim = tot - 20;
		v = 4;
	} else if (et == 0x86dd) {
		if (__builtin_expect(len - off < 40 || ip[0] >> 4 != 6, 0))
			return -1;
		lim = np_pkt_plain_rd16(ip + 4);
		if (__builtin_expect(40 + lim > len - off, 0))
			return -1;
		proto = ip[6];
		l4 = off + 40;
		v = 6;
	} else {
		return -1;
	}
	p = f + l4;
	if (__builtin_expect(proto == NP_IPPROTO_UDP, 1)) {
		if (__builtin_expect(lim < 8, 0))
			return -1;
		hl4 = np_pkt_plain_rd16(p + 4); /* the UDP length: at most the IP payload */
		if (__builtin_expect(hl4 < 8 || hl4 > lim, 0))
			return -1;
		lim = hl4;
		hl4 = 8;
	} else if (proto == NP_IPPROTO_TCP) {
		if (__builtin_expect(lim < 20, 0))
			return -1;
		hl4 = (uint32_t)(p[12] >> 4) * 4;
		if (__builtin_expect(hl4 < 20 || hl4 > lim, 0))
			return -1;
	} else {
		return -1;
	}
	pp->l3_off = (uint16_t)off;
	pp->l4_off = (uint16_t)l4;
	pp->payload_off = (uint16_t)(l4 + hl4);
	pp->payload_len = (uint16_t)(lim - hl4);
	pp->ip_version = v;
	pp->l4_proto = proto;
	pp->tagged = off == 18;
	return proto == NP_IPPROTO_UDP ? NP_PKT_UDP : NP_PKT_TCP;
}

/** Source port of a plain frame. */
static inline uint16_t np_pkt_plain_sport(const uint8_t *f, const struct np_pkt_plain *pp)
{
	return np_pkt_plain_rd16(f + pp->l4_off);
}

/** Destination port of a plain frame. */
static inline uint16_t np_pkt_plain_dport(const uint8_t *f, const struct np_pkt_plain *pp)
{
	return np_pkt_plain_rd16(f + pp->l4_off + 2);
}

/** TCP flags of a plain TCP frame. */
static inline uint8_t np_pkt_plain_tcp_flags(const uint8_t *f, const struct np_pkt_plain *pp)
{
	return f[pp->l4_off + 13];
}

/**
 * An address of a plain frame as the two 8-byte words of its struct np_addr
 * (IPv4 mapped), in memory order: what a word-wise hash or compare of the
 * np_addr reads. @p dst: the destination, else the source.
 */
static inline void np_pkt_plain_addr_words(const uint8_t *f, const struct np_pkt_plain *pp,
					   bool dst, uint64_t *w0, uint64_t *w1)
{
	const uint8_t *ip = f + pp->l3_off;

	if (pp->ip_version == 4) {
		uint32_t a;

		memcpy(&a, ip + (dst ? 16 : 12), 4);
		*w0 = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		*w1 = (uint64_t)a << 32 | 0xffff0000u; /* bytes 8-15: 0 0 ff ff a b c d */
#else
		*w1 = 0xffffull << 32 | a;
#endif
	} else {
		memcpy(w0, ip + (dst ? 24 : 8), 8);
		memcpy(w1, ip + (dst ? 32 : 16), 8);
	}
}

/*
 * The fields of struct np_pkt_info that its readers load whole are written
 * whole: an address in one 16-byte store, the two ports in one 4-byte
 * store. A load that spans several smaller stores still in the store
 * buffer cannot take its bytes from them and waits until they (and every
 * store before them) have reached the cache: on the SIP path that wait
 * (flow_deliver() copying the addresses and ports, flow_key_make()) was
 * ~4 % of a message's cycles.
 */
static inline void np_pkt_plain_v4mapped(uint8_t *out, const uint8_t *a)
{
	uint32_t v;

	memcpy(&v, a, 4);
#ifdef __SSE2__
	_mm_storeu_si128((__m128i *)(void *)out,
			 _mm_or_si128(_mm_set_epi32(0, (int)0xffff0000u, 0, 0),
				      _mm_slli_si128(_mm_cvtsi32_si128((int)v), 12)));
#else
	{
		uint8_t b[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

		memcpy(b + 12, &v, 4);
		memcpy(out, b, 16);
	}
#endif
}

static inline void np_pkt_plain_ports(struct np_pkt_info *pi, uint16_t sport, uint16_t dport)
{
	_Static_assert(offsetof(struct np_pkt_info, dport) ==
			       offsetof(struct np_pkt_info, sport) + sizeof(uint16_t),
		       "dport follows sport");
	const uint32_t v = (uint32_t)sport | (uint32_t)dport << 16;

	memcpy(&pi->sport, &v, sizeof(v));
}

/**
 * Fill @p pi from plain frame @p f and its @p pp: exactly what
 * np_pkt_parse_csum() gives that frame, every other field zero.
 * @param cls what np_pkt_plain() returned
 */
static inline void np_pkt_plain_info(const uint8_t *f, const struct np_pkt_plain *pp, int cls,
				     struct np_pkt_info *pi)
{
	const uint8_t *ip = f + pp->l3_off, *p = f + pp->l4_off;

	/* two memsets of <= 64 bytes compile to vector stores; one of the whole
	 * struct becomes `rep stos`, dearer than the parse itself */
	memset(pi, 0, offsetof(struct np_pkt_info, icmp_inner));
	memset(&pi->icmp_inner, 0, sizeof(pi->icmp_inner));
	if (pp->tagged) {
		pi->n_vlans = 1;
		pi->vlan[0] = np_pkt_plain_rd16(f + 14) & 0x0fff;
	}
	if (cls == NP_PKT_TCP) {
		pi->tcp_seq = np_pkt_plain_rd32(p + 4);
		pi->tcp_ack = np_pkt_plain_rd32(p + 8);
		pi->tcp_flags = p[13];
	}
	if (pp->ip_version == 4) {
		np_pkt_plain_v4mapped(pi->src.b, ip + 12);
		np_pkt_plain_v4mapped(pi->dst.b, ip + 16);
		pi->ttl = ip[8];
	} else {
		memcpy(pi->src.b, ip + 8, 16);
		memcpy(pi->dst.b, ip + 24, 16);
		pi->ttl = ip[7];
	}
	pi->ip_version = pp->ip_version;
	pi->l4_proto = pp->l4_proto;
	pi->l3_off = pp->l3_off;
	pi->l4_off = pp->l4_off;
	np_pkt_plain_ports(pi, np_pkt_plain_rd16(p), np_pkt_plain_rd16(p + 2));
	pi->payload_off = pp->payload_off;
	pi->payload_len = pp->payload_len;
	pi->cls = (uint8_t)cls;
}

#endif /* NP_PKT_PLAIN_H */
