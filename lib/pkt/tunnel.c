/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tunnel decapsulation (np_tunnel.h). Every read is checked against the end
 * of the outer packet (the L4 payload np_pkt_parse() delimited).
 */

#include <string.h>

#include "np_tunnel.h"
#include "pkt_internal.h"

#define GRE_HLEN 4
#define GRE_F_CSUM 0x8000
#define GRE_F_ROUTING 0x4000
#define GRE_F_KEY 0x2000
#define GRE_F_SEQ 0x1000
#define GRE_VERSION 0x0007
#define GRE_PROTO_TEB 0x6558
#define GRE_PROTO_ERSPAN2 0x88be /* type I without a sequence number, else type II */
#define GRE_PROTO_ERSPAN3 0x22eb
#define ERSPAN2_HLEN 8
#define ERSPAN3_HLEN 12
#define ERSPAN3_SUBHLEN 8
#define VXLAN_HLEN 8
#define VXLAN_F_I 0x08

static const char *const encap_names[NP_PKT_ENCAP_MAX] = {
	[NP_PKT_ENCAP_NONE] = "none",	    [NP_PKT_ENCAP_GRE] = "gre",
	[NP_PKT_ENCAP_ERSPAN1] = "erspan1", [NP_PKT_ENCAP_ERSPAN2] = "erspan2",
	[NP_PKT_ENCAP_ERSPAN3] = "erspan3", [NP_PKT_ENCAP_VXLAN] = "vxlan",
};

const char *np_pkt_encap_name(unsigned int encap)
{
	return encap < NP_PKT_ENCAP_MAX ? encap_names[encap] : "invalid";
}

static int inner_eth(struct np_pkt_tunnel *t, uint32_t off, uint32_t end)
{
	t->inner_is_eth = true;
	t->inner_off = off;
	t->inner_len = end - off;
	return NP_PKT_DECAP_OK;
}

/* ERSPAN header at off (after GRE), protocol proto; seq: GRE had a sequence number. */
static int erspan(const uint8_t *f, uint32_t off, uint32_t end, uint16_t proto, bool seq,
		  struct np_pkt_tunnel *t)
{
	const uint8_t *p = f + off;
	uint32_t w0;

	if (proto == GRE_PROTO_ERSPAN2 && !seq) {
		t->encap = NP_PKT_ENCAP_ERSPAN1;
		return inner_eth(t, off, end);
	}
	if (proto == GRE_PROTO_ERSPAN2) {
		t->encap = NP_PKT_ENCAP_ERSPAN2;
		if (end - off < ERSPAN2_HLEN)
			return NP_PKT_DECAP_BAD;
		w0 = np_rd32(p);
		t->id = w0 & 0x3ff;
		t->has_id = true;
		if (w0 >> 28 != 1)
			return NP_PKT_DECAP_BAD;
		return inner_eth(t, off + ERSPAN2_HLEN, end);
	}
	t->encap = NP_PKT_ENCAP_ERSPAN3;
	if (end - off < ERSPAN3_HLEN)
		return NP_PKT_DECAP_BAD;
	w0 = np_rd32(p);
	t->id = w0 & 0x3ff;
	t->has_id = true;
	{
		uint32_t w2 = np_rd32(p + 8);
		uint32_t hl = ERSPAN3_HLEN + ((w2 & 1) ? ERSPAN3_SUBHLEN : 0);

		if (w0 >> 28 != 2 || ((w2 >> 10) & 0x1f) != 0 || end - off < hl)
			return NP_PKT_DECAP_BAD;
		return inner_eth(t, off + hl, end);
	}
}

static int gre(const uint8_t *f, uint32_t off, uint32_t end, struct np_pkt_tunnel *t)
{
	const uint8_t *p = f + off;
	uint32_t hl = GRE_HLEN;
	uint16_t flags, proto;

	t->encap = NP_PKT_ENCAP_GRE;
	if (end - off < GRE_HLEN)
		return NP_PKT_DECAP_BAD;
	flags = np_rd16(p);
	proto = np_rd16(p + 2);
	if ((flags & GRE_VERSION) != 0) {
		t->encap = NP_PKT_ENCAP_NONE; /* PPTP's enhanced GRE: not a mirror tunnel */
		return NP_PKT_DECAP_NONE;
	}
	if (flags & GRE_F_ROUTING)
		return NP_PKT_DECAP_BAD;
	if (flags & GRE_F_CSUM)
		hl += 4;
	if (flags & GRE_F_KEY) {
		if (end - off < hl + 4)
			return NP_PKT_DECAP_BAD;
		t->id = np_rd32(p + hl);
		t->has_id = true;
		hl += 4;
	}
	if (flags & GRE_F_SEQ)
		hl += 4;
	if (end - off < hl)
		return NP_PKT_DECAP_BAD;
	off += hl;
	switch (proto) {
	case GRE_PROTO_TEB:
		return inner_eth(t, off, end);
	case NP_ETHERTYPE_IPV4:
	case NP_ETHERTYPE_IPV6:
		t->inner_is_eth = false;
		t->inner_ethertype = proto;
		t->inner_off = off;
		t->inner_len = end - off;
		return NP_PKT_DECAP_OK;
	case GRE_PROTO_ERSPAN2:
	case GRE_PROTO_ERSPAN3:
		/* the session id is ERSPAN's, not the GRE key's */
		t->has_id = false;
		t->id = 0;
		return erspan(f, off, end, proto, (flags & GRE_F_SEQ) != 0, t);
	default:
		t->encap = NP_PKT_ENCAP_NONE;
		return NP_PKT_DECAP_NONE;
	}
}

static int vxlan(const uint8_t *f, uint32_t off, uint32_t end, struct np_pkt_tunnel *t)
{
	const uint8_t *p = f + off;

	t->encap = NP_PKT_ENCAP_VXLAN;
	if (end - off < VXLAN_HLEN)
		return NP_PKT_DECAP_BAD;
	t->id = np_rd32(p + 4) >> 8;
	t->has_id = true;
	if ((p[0] & VXLAN_F_I) == 0)
		return NP_PKT_DECAP_BAD;
	return inner_eth(t, off + VXLAN_HLEN, end);
}

int np_pkt_decap(const uint8_t *frame, uint32_t len, const struct np_pkt_info *pi,
		 struct np_pkt_tunnel *t)
{
	uint32_t off = pi->payload_off, end = (uint32_t)pi->payload_off + pi->payload_len;

	memset(t, 0, sizeof(*t));
	if (end > len || off == 0)
		return NP_PKT_DECAP_NONE;
	/* A truncated outer frame (snap length) still gives the head of the inner one. */
	if ((pi->cls == NP_PKT_UDP || pi->cls == NP_PKT_TRUNCATED) &&
	    pi->dport == NP_TUNNEL_VXLAN_PORT && pi->l4_proto == NP_IPPROTO_UDP)
		return vxlan(frame, off, end, t);
	if ((pi->cls == NP_PKT_IP_OTHER || pi->cls == NP_PKT_TRUNCATED) &&
	    pi->l4_proto == NP_IPPROTO_GRE)
		return gre(frame, off, end, t);
	return NP_PKT_DECAP_NONE;
}

const uint8_t *np_pkt_tunnel_frame(const uint8_t *frame, const struct np_pkt_tunnel *t,
				   uint8_t *buf, uint32_t buflen, uint32_t *out_len)
{
	uint32_t n;

	if (t->inner_is_eth) {
		*out_len = t->inner_len;
		return frame + t->inner_off;
	}
	if (buflen < NP_ETH_HLEN) {
		*out_len = 0;
		return NULL;
	}
	n = t->inner_len < buflen - NP_ETH_HLEN ? t->inner_len : buflen - NP_ETH_HLEN;
	memset(buf, 0, 12);
	buf[12] = (uint8_t)(t->inner_ethertype >> 8);
	buf[13] = (uint8_t)t->inner_ethertype;
	memcpy(buf + NP_ETH_HLEN, frame + t->inner_off, n);
	*out_len = n + NP_ETH_HLEN;
	return buf;
}
