/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * L2-L4 parser. Every read is preceded by a length check against `end`, the
 * smaller of the frame end and the IP length; offsets are uint32_t so that
 * no sum here can wrap (frames are < 4 GiB, headers add at most 64 KiB).
 */

#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "np_pkt.h"
#include "np_pkt_plain.h"
#include "pkt_internal.h"

static const char *const class_names[NP_PKT_CLASS_MAX] = {
	[NP_PKT_TCP] = "tcp",
	[NP_PKT_UDP] = "udp",
	[NP_PKT_ICMP] = "icmp",
	[NP_PKT_IP_OTHER] = "ip_other",
	[NP_PKT_FRAGMENT] = "fragment",
	[NP_PKT_RUNT] = "runt",
	[NP_PKT_NON_IP] = "non_ip",
	[NP_PKT_UNKNOWN_ETHERTYPE] = "unknown_ethertype",
	[NP_PKT_TRUNCATED] = "truncated",
	[NP_PKT_BAD_HEADER] = "bad_header",
	[NP_PKT_BAD_CHECKSUM] = "bad_checksum",
};

const char *np_pkt_class_name(unsigned int cls)
{
	return cls < NP_PKT_CLASS_MAX ? class_names[cls] : "invalid";
}

const char *np_proto_name(uint8_t proto)
{
	switch (proto) {
	case NP_IPPROTO_TCP:
		return "tcp";
	case NP_IPPROTO_UDP:
		return "udp";
	case NP_IPPROTO_ICMP:
		return "icmp";
	case NP_IPPROTO_ICMPV6:
		return "icmpv6";
	case NP_IPPROTO_SCTP:
		return "sctp";
	case NP_IPPROTO_GRE:
		return "gre";
	default:
		return "ip";
	}
}

static inline bool is_vlan_tpid(uint16_t et)
{
	return et == NP_ETHERTYPE_VLAN || et == NP_ETHERTYPE_QINQ || et == NP_ETHERTYPE_QINQ_OLD;
}

/* Cold: only reached for frames that are neither IP nor VLAN. */
static int non_ip_class(uint16_t et)
{
	if (et <= NP_ETH_MAX_LENGTH)
		return NP_PKT_NON_IP;
	switch (et) {
	case 0x0806: /* ARP */
	case 0x8035: /* RARP */
	case 0x80f3: /* AppleTalk ARP */
	case 0x809b: /* AppleTalk */
	case 0x8137: /* IPX */
	case 0x8808: /* MAC control (PAUSE, PFC) */
	case 0x8809: /* slow protocols (LACP, marker, OAM) */
	case 0x888e: /* EAPOL (802.1X) */
	case 0x88cc: /* LLDP */
	case 0x88e5: /* MACsec */
	case 0x88f7: /* PTP */
	case 0x8902: /* CFM (802.1ag, Y.1731) */
	case 0x8906: /* FCoE */
	case 0x8914: /* FCoE initialization (FIP) */
	case 0x9000: /* Ethernet loopback (configuration test) */
		return NP_PKT_NON_IP;
	default:
		return NP_PKT_UNKNOWN_ETHERTYPE;
	}
}

static inline bool proto_has_ports(uint8_t proto)
{
	return proto == NP_IPPROTO_TCP || proto == NP_IPPROTO_UDP || proto == NP_IPPROTO_SCTP ||
	       proto == NP_IPPROTO_UDPLITE || proto == NP_IPPROTO_DCCP;
}

static inline void addr_from_v4_bytes(struct np_addr *a, const uint8_t *p)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memcpy(a->b, prefix, sizeof(prefix));
	memcpy(a->b + 12, p, 4);
}

/*
 * One's-complement sum of an IPv4 header; 0 when it verifies. Summed as
 * 32-bit words (hl is a multiple of 4) and folded: the one's-complement sum
 * does not depend on the word size or byte order it is computed in.
 */
static inline uint16_t ipv4_csum(const uint8_t *p, uint32_t hl)
{
	uint64_t sum = 0;
	uint32_t w[5];

	if (NP_LIKELY(hl == NP_IPV4_HLEN)) { /* no options: five words, unrolled */
		memcpy(w, p, sizeof(w));
		sum = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
	} else {
		for (uint32_t i = 0; i < hl; i += 4) {
			memcpy(w, p + i, sizeof(w[0]));
			sum += w[0];
		}
	}
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * Walk IPv6 extension headers from *off (next header *nh) up to end.
 * Returns 0 when *nh is the upper-layer protocol at *off, NP_PKT_FRAGMENT when
 * a non-first fragment stops the walk (*nh is then the fragment's next
 * header), NP_PKT_TRUNCATED or NP_PKT_BAD_HEADER. A fragment header with a
 * non-zero offset or M flag sets *is_frag and fills *frag.
 */
static int ipv6_walk(const uint8_t *f, uint32_t *off, uint32_t end, uint8_t *nh, bool *is_frag,
		     struct np_pkt_frag *frag)
{
	uint32_t o = *off;
	uint8_t n = *nh;
	int ret = 0;

	for (unsigned int i = 0;; i++) {
		const uint8_t *p = f + o;
		uint32_t hlen;

		if (n != NP_IPPROTO_HOPOPTS && n != NP_IPPROTO_ROUTING && n != NP_IPPROTO_DSTOPTS &&
		    n != NP_IPPROTO_AH && n != NP_IPPROTO_FRAGMENT)
			break;
		if (NP_UNLIKELY(i == NP_PKT_MAX_IPV6_EXT)) {
			ret = NP_PKT_BAD_HEADER;
			break;
		}
		/* every extension header is at least 8 bytes */
		if (NP_UNLIKELY(end - o < 8)) {
			ret = NP_PKT_TRUNCATED;
			break;
		}
		if (n == NP_IPPROTO_FRAGMENT) {
			uint16_t fo = np_rd16(p + 2);

			n = p[0];
			o += 8;
			/* offset 0 and M 0: an atomic fragment, a whole packet */
			if ((fo & 0xfff9) == 0)
				continue;
			*is_frag = true;
			frag->id = np_rd32(p + 4);
			frag->offset = fo & 0xfff8;
			frag->more = fo & 1;
			if (frag->offset != 0) {
				ret = NP_PKT_FRAGMENT;
				break;
			}
			continue;
		}
		hlen = n == NP_IPPROTO_AH ? ((uint32_t)p[1] + 2) * 4 : ((uint32_t)p[1] + 1) * 8;
		if (NP_UNLIKELY(end - o < hlen)) {
			ret = NP_PKT_TRUNCATED;
			break;
		}
		n = p[0];
		o += hlen;
	}
	*off = o;
	*nh = n;
	return ret;
}

static inline bool icmp_is_error(bool v6, uint8_t type)
{
	if (v6)
		return type >= 1 && type <= 4;
	return type < 32 && ((UINT32_C(1) << 3 | UINT32_C(1) << 4 | UINT32_C(1) << 5 |
			      UINT32_C(1) << 11 | UINT32_C(1) << 12) >>
				     type &
			     1);
}

/* Embedded packet of an ICMP error, from off to end. Cold path. */
static void parse_icmp_inner(const uint8_t *f, uint32_t off, uint32_t end, bool v6,
			     struct np_pkt_info *pi)
{
	const uint8_t *p = f + off;
	uint32_t avail = end - off;
	bool ports_possible = true;
	uint8_t proto;

	if (!v6) {
		uint32_t hl;

		if (avail < NP_IPV4_HLEN || p[0] >> 4 != 4)
			return;
		hl = (uint32_t)(p[0] & 0xf) * 4;
		if (hl < NP_IPV4_HLEN || avail < hl)
			return;
		proto = p[9];
		addr_from_v4_bytes(&pi->icmp_inner.src, p + 12);
		addr_from_v4_bytes(&pi->icmp_inner.dst, p + 16);
		ports_possible = (np_rd16(p + 6) & 0x1fff) == 0;
		off += hl;
	} else {
		struct np_pkt_frag frag = { 0 };
		bool is_frag = false;
		int r;

		if (avail < NP_IPV6_HLEN || p[0] >> 4 != 6)
			return;
		memcpy(pi->icmp_inner.src.b, p + 8, 16);
		memcpy(pi->icmp_inner.dst.b, p + 24, 16);
		proto = p[6];
		off += NP_IPV6_HLEN;
		r = ipv6_walk(f, &off, end, &proto, &is_frag, &frag);
		pi->icmp_inner.proto = proto;
		if (r == NP_PKT_FRAGMENT)
			ports_possible = false;
		else if (r != 0)
			return;
	}
	pi->icmp_inner.proto = proto;
	if (!proto_has_ports(proto)) {
		pi->icmp_inner.valid = true;
		return;
	}
	if (!ports_possible || end - off < 4)
		return;
	pi->icmp_inner.sport = np_rd16(f + off);
	pi->icmp_inner.dport = np_rd16(f + off + 2);
	pi->icmp_inner.valid = true;
}

/*
 * L4 header at off; end bounds the packet; ip_l4_len is the L4 length the IP
 * header declares (may exceed end - off when the frame is cut).
 */
static inline int parse_l4(const uint8_t *f, uint32_t off, uint32_t end, uint32_t ip_l4_len,
			   uint8_t proto, bool v6, struct np_pkt_info *pi)
{
	const uint8_t *p = f + off;
	uint32_t avail = end - off;

	pi->l4_off = (uint16_t)off;
	if (NP_LIKELY(proto == NP_IPPROTO_TCP)) {
		uint32_t doff;

		if (NP_UNLIKELY(avail < NP_TCP_HLEN))
			return NP_PKT_TRUNCATED;
		pi->sport = np_rd16(p);
		pi->dport = np_rd16(p + 2);
		pi->tcp_seq = np_rd32(p + 4);
		pi->tcp_ack = np_rd32(p + 8);
		pi->tcp_flags = p[NP_TCP_FLAGS_OFF];
		doff = (uint32_t)(p[12] >> 4) * 4;
		if (NP_UNLIKELY(doff < NP_TCP_HLEN))
			return NP_PKT_BAD_HEADER;
		if (NP_UNLIKELY(avail < doff))
			return NP_PKT_TRUNCATED;
		pi->payload_off = (uint16_t)(off + doff);
		pi->payload_len = (uint16_t)(avail - doff);
		return NP_PKT_TCP;
	}
	if (NP_LIKELY(proto == NP_IPPROTO_UDP)) {
		uint32_t ulen;

		if (NP_UNLIKELY(avail < NP_UDP_HLEN))
			return NP_PKT_TRUNCATED;
		pi->sport = np_rd16(p);
		pi->dport = np_rd16(p + 2);
		ulen = np_rd16(p + 4);
		if (NP_UNLIKELY(ulen < NP_UDP_HLEN || ulen > ip_l4_len))
			return NP_PKT_BAD_HEADER;
		pi->payload_off = (uint16_t)(off + NP_UDP_HLEN);
		pi->payload_len = (uint16_t)((ulen < avail ? ulen : avail) - NP_UDP_HLEN);
		return NP_PKT_UDP;
	}
	if (proto == (v6 ? NP_IPPROTO_ICMPV6 : NP_IPPROTO_ICMP)) {
		if (NP_UNLIKELY(avail < NP_ICMP_HLEN))
			return NP_PKT_TRUNCATED;
		pi->icmp_type = p[0];
		pi->icmp_code = p[1];
		pi->payload_off = (uint16_t)(off + NP_ICMP_HLEN);
		pi->payload_len = (uint16_t)(avail - NP_ICMP_HLEN);
		if (icmp_is_error(v6, p[0]))
			parse_icmp_inner(f, off + NP_ICMP_HLEN, end, v6, pi);
		return NP_PKT_ICMP;
	}
	if (proto_has_ports(proto) && avail >= 4) {
		pi->sport = np_rd16(p);
		pi->dport = np_rd16(p + 2);
	}
	pi->payload_off = (uint16_t)off;
	pi->payload_len = (uint16_t)avail;
	return NP_PKT_IP_OTHER;
}

/* Fragment data at off..end; first says whether it starts the L4 header. */
static void parse_frag(const uint8_t *f, uint32_t off, uint32_t end, uint8_t proto, bool first,
		       struct np_pkt_info *pi)
{
	pi->payload_off = (uint16_t)off;
	pi->payload_len = (uint16_t)(end - off);
	if (!first)
		return;
	pi->l4_off = (uint16_t)off;
	if (proto_has_ports(proto) && end - off >= 4) {
		pi->sport = np_rd16(f + off);
		pi->dport = np_rd16(f + off + 2);
	}
}

/* A failing header checksum: the class it gives under @p mode (0: accepted). */
static inline int csum_failed(const uint8_t *ip, unsigned int mode, struct np_pkt_info *pi)
{
	bool zero = ip[10] == 0 && ip[11] == 0;

	pi->ip_csum = zero ? NP_PKT_IP_CSUM_ZERO : NP_PKT_IP_CSUM_BAD;
	if (mode == NP_PKT_CSUM_ACCEPT || (mode == NP_PKT_CSUM_ACCEPT_ZERO && zero))
		return 0;
	return NP_PKT_BAD_CHECKSUM;
}

/* mode is a constant in each caller below: the checksum code folds away. */
static inline __attribute__((always_inline)) int parse_ipv4(const uint8_t *f, uint32_t len,
							    uint32_t off, struct np_pkt_info *pi,
							    unsigned int mode)
{
	const uint8_t *ip = f + off;
	uint32_t avail = len - off;
	uint32_t hl, tot, end, l4, fo;
	int soft, cls;

	if (NP_UNLIKELY(avail < NP_IPV4_HLEN))
		return NP_PKT_TRUNCATED;
	hl = (uint32_t)(ip[0] & 0xf) * 4;
	if (NP_UNLIKELY(ip[0] >> 4 != 4 || hl < NP_IPV4_HLEN))
		return NP_PKT_BAD_HEADER;
	pi->ip_version = 4;
	pi->l3_off = (uint16_t)off;
	if (NP_UNLIKELY(avail < hl))
		return NP_PKT_TRUNCATED;
	tot = np_rd16(ip + 2);
	if (NP_UNLIKELY(tot < hl))
		return NP_PKT_BAD_HEADER;
	pi->ttl = ip[8];
	pi->l4_proto = ip[9];
	addr_from_v4_bytes(&pi->src, ip + 12);
	addr_from_v4_bytes(&pi->dst, ip + 16);

	/* Errors that do not stop parsing; they win over what L4 finds. */
	soft = 0;
	if (NP_UNLIKELY(tot > avail))
		soft = NP_PKT_TRUNCATED;
	if (mode != NP_PKT_CSUM_IGNORE && NP_UNLIKELY(ipv4_csum(ip, hl) != 0)) {
		int c = csum_failed(ip, mode, pi);

		if (c != 0)
			soft = c;
	}
	end = off + (tot < avail ? tot : avail);
	l4 = off + hl;

	fo = np_rd16(ip + 6);
	if (NP_UNLIKELY(fo & 0x3fff)) { /* MF or offset */
		pi->frag.id = np_rd16(ip + 4);
		pi->frag.offset = (uint16_t)((fo & 0x1fff) * 8);
		pi->frag.more = (fo & 0x2000) != 0;
		parse_frag(f, l4, end, ip[9], pi->frag.offset == 0, pi);
		return soft ? soft : NP_PKT_FRAGMENT;
	}
	cls = parse_l4(f, l4, end, tot - hl, ip[9], false, pi);
	return soft ? soft : cls;
}

static inline int parse_ipv6(const uint8_t *f, uint32_t len, uint32_t off, struct np_pkt_info *pi)
{
	const uint8_t *ip = f + off;
	uint32_t avail = len - off;
	uint32_t tot, end, l4;
	bool is_frag = false;
	uint8_t nh;
	int soft, cls;

	if (NP_UNLIKELY(avail < NP_IPV6_HLEN))
		return NP_PKT_TRUNCATED;
	if (NP_UNLIKELY(ip[0] >> 4 != 6))
		return NP_PKT_BAD_HEADER;
	pi->ip_version = 6;
	pi->l3_off = (uint16_t)off;
	pi->ttl = ip[7];
	memcpy(pi->src.b, ip + 8, 16);
	memcpy(pi->dst.b, ip + 24, 16);
	tot = NP_IPV6_HLEN + (uint32_t)np_rd16(ip + 4);
	soft = NP_UNLIKELY(tot > avail) ? NP_PKT_TRUNCATED : 0;
	end = off + (tot < avail ? tot : avail);
	l4 = off + NP_IPV6_HLEN;
	nh = ip[6];

	cls = ipv6_walk(f, &l4, end, &nh, &is_frag, &pi->frag);
	pi->l4_proto = nh;
	if (NP_UNLIKELY(cls != 0)) {
		if (cls != NP_PKT_FRAGMENT)
			return cls;
		parse_frag(f, l4, end, nh, false, pi);
		return soft ? soft : NP_PKT_FRAGMENT;
	}
	if (NP_UNLIKELY(is_frag)) {
		parse_frag(f, l4, end, nh, true, pi);
		return soft ? soft : NP_PKT_FRAGMENT;
	}
	cls = parse_l4(f, l4, end, off + tot - l4, nh, true, pi);
	return soft ? soft : cls;
}

static inline __attribute__((always_inline)) int parse_general(const uint8_t *frame, uint32_t len,
							       struct np_pkt_info *pi,
							       unsigned int mode)
{
	uint32_t off = NP_ETH_HLEN;
	unsigned int ntags = 0;
	uint16_t et;
	int cls;

	if (NP_UNLIKELY(len < NP_ETH_HLEN)) {
		cls = NP_PKT_RUNT;
		goto out;
	}
	et = np_rd16(frame + 12);
	while (NP_UNLIKELY(is_vlan_tpid(et))) {
		if (ntags == NP_PKT_MAX_VLAN_TAGS) {
			cls = NP_PKT_BAD_HEADER;
			goto out;
		}
		if (len - off < NP_VLAN_HLEN) {
			cls = NP_PKT_TRUNCATED;
			goto out;
		}
		if (ntags < 2) {
			pi->vlan[ntags] = np_rd16(frame + off) & 0x0fff;
			pi->n_vlans = (uint8_t)(ntags + 1);
		}
		ntags++;
		et = np_rd16(frame + off + 2);
		off += NP_VLAN_HLEN;
	}
	if (NP_LIKELY(et == NP_ETHERTYPE_IPV4))
		cls = parse_ipv4(frame, len, off, pi, mode);
	else if (et == NP_ETHERTYPE_IPV6)
		cls = parse_ipv6(frame, len, off, pi);
	else
		cls = non_ip_class(et);
out:
	pi->cls = (uint8_t)cls;
	return cls;
}

/* Two memsets of <= 64 bytes each compile to a few vector stores; one of the
 * whole struct becomes `rep stos`, dearer than the parse itself. */
static inline __attribute__((always_inline)) void info_clear(struct np_pkt_info *pi)
{
	memset(pi, 0, offsetof(struct np_pkt_info, icmp_inner));
	memset(&pi->icmp_inner, 0, sizeof(pi->icmp_inner));
}

static inline __attribute__((always_inline)) int parse_frame(const uint8_t *frame, uint32_t len,
							     struct np_pkt_info *pi,
							     unsigned int mode)
{
	struct np_pkt_plain pp;
	int cls;

	/* the plain frame first (np_pkt_plain.h), the general parser for the rest */
	cls = np_pkt_plain(frame, len, mode, &pp);
	if (NP_LIKELY(cls >= 0)) {
		np_pkt_plain_info(frame, &pp, cls, pi);
		return cls;
	}
	info_clear(pi);
	return parse_general(frame, len, pi, mode);
}

int np_pkt_parse_full(const uint8_t *frame, uint32_t len, unsigned int mode, struct np_pkt_info *pi)
{
	info_clear(pi);
	switch (mode) {
	case NP_PKT_CSUM_ACCEPT_ZERO:
		return parse_general(frame, len, pi, NP_PKT_CSUM_ACCEPT_ZERO);
	case NP_PKT_CSUM_ACCEPT:
		return parse_general(frame, len, pi, NP_PKT_CSUM_ACCEPT);
	case NP_PKT_CSUM_IGNORE:
		return parse_general(frame, len, pi, NP_PKT_CSUM_IGNORE);
	default:
		return parse_general(frame, len, pi, NP_PKT_CSUM_VERIFY);
	}
}

int np_pkt_parse(const uint8_t *frame, uint32_t len, struct np_pkt_info *pi)
{
	return parse_frame(frame, len, pi, NP_PKT_CSUM_VERIFY);
}

static int parse_accept_zero(const uint8_t *frame, uint32_t len, struct np_pkt_info *pi)
{
	return parse_frame(frame, len, pi, NP_PKT_CSUM_ACCEPT_ZERO);
}

static int parse_accept(const uint8_t *frame, uint32_t len, struct np_pkt_info *pi)
{
	return parse_frame(frame, len, pi, NP_PKT_CSUM_ACCEPT);
}

static int parse_ignore(const uint8_t *frame, uint32_t len, struct np_pkt_info *pi)
{
	return parse_frame(frame, len, pi, NP_PKT_CSUM_IGNORE);
}

np_pkt_parse_fn np_pkt_parser(unsigned int mode)
{
	switch (mode) {
	case NP_PKT_CSUM_ACCEPT_ZERO:
		return parse_accept_zero;
	case NP_PKT_CSUM_ACCEPT:
		return parse_accept;
	case NP_PKT_CSUM_IGNORE:
		return parse_ignore;
	default:
		return np_pkt_parse;
	}
}

int np_pkt_parse_csum(const uint8_t *frame, uint32_t len, unsigned int mode, struct np_pkt_info *pi)
{
	return np_pkt_parser(mode)(frame, len, pi);
}

void np_addr_from_v4(struct np_addr *a, uint32_t v4_be)
{
	addr_from_v4_bytes(a, (const uint8_t *)&v4_be);
}

bool np_addr_is_v4(const struct np_addr *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a->b, prefix, sizeof(prefix)) == 0;
}

char *np_addr_str(const struct np_addr *a, char *buf, unsigned int size)
{
	const char *r;

	if (np_addr_is_v4(a))
		r = inet_ntop(AF_INET, a->b + 12, buf, size);
	else
		r = inet_ntop(AF_INET6, a->b, buf, size);
	if (r == NULL && size > 0)
		buf[0] = '\0';
	return buf;
}

char *np_endpoint_str(const struct np_addr *a, uint16_t port, char *buf, unsigned int size)
{
	char as[NP_ADDR_STRLEN];
	int n;

	np_addr_str(a, as, sizeof(as));
	if (np_addr_is_v4(a))
		n = snprintf(buf, size, "%s:%u", as, port);
	else
		n = snprintf(buf, size, "[%s]:%u", as, port);
	if ((n < 0 || (unsigned int)n >= size) && size > 0)
		buf[0] = '\0';
	return buf;
}
