/* SPDX-License-Identifier: BSD-3-Clause */
/* HEPv3 encoding: chunks before the payload, big-endian, payload last. */

#include <errno.h>
#include <string.h>

#include "np_hep.h"

struct hep_writer {
	uint8_t *p;
};

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Chunk header + @p len bytes of value; the value is copied when @p v is not NULL. */
static uint8_t *chunk(struct hep_writer *w, uint16_t type, const void *v, size_t len)
{
	uint8_t *c = w->p;

	put16(c, 0);
	put16(c + 2, type);
	put16(c + 4, (uint16_t)(NP_HEP_CHUNK_HDR_LEN + len));
	if (v != NULL)
		memcpy(c + NP_HEP_CHUNK_HDR_LEN, v, len);
	w->p += NP_HEP_CHUNK_HDR_LEN + len;
	return c + NP_HEP_CHUNK_HDR_LEN;
}

static void chunk8(struct hep_writer *w, uint16_t type, uint8_t v)
{
	chunk(w, type, &v, 1);
}

static void chunk16(struct hep_writer *w, uint16_t type, uint16_t v)
{
	put16(chunk(w, type, NULL, 2), v);
}

static void chunk32(struct hep_writer *w, uint16_t type, uint32_t v)
{
	put32(chunk(w, type, NULL, 4), v);
}

static size_t opt_len(const char *s)
{
	return s == NULL ? 0 : strlen(s);
}

int np_hep_encode_head(const struct np_hep_info *h, size_t payload_len, uint8_t *buf, size_t buflen)
{
	const bool v4 = np_addr_is_v4(&h->src);
	const size_t key_len = opt_len(h->auth_key);
	const size_t cid_len = opt_len(h->correlation_id);
	const size_t node_len = opt_len(h->node_name);
	const size_t addr_len = v4 ? 4 : 16;
	struct hep_writer w = { buf };
	size_t head;

	if (key_len > NP_HEP_MAX_KEY_LEN || cid_len > NP_HEP_MAX_CORRELATION_LEN ||
	    node_len > NP_HEP_MAX_NODE_NAME_LEN)
		return -EINVAL;
	head = NP_HEP_HDR_LEN + 11 * NP_HEP_CHUNK_HDR_LEN + 1 + 1 + 2 * addr_len + 2 + 2 + 4 + 4 +
	       1 + 4;
	if (key_len > 0)
		head += NP_HEP_CHUNK_HDR_LEN + key_len;
	if (cid_len > 0)
		head += NP_HEP_CHUNK_HDR_LEN + cid_len;
	if (node_len > 0)
		head += NP_HEP_CHUNK_HDR_LEN + node_len;
	if (h->np_flow != NULL)
		head += NP_HEP_CHUNK_HDR_LEN + NP_HEP_NP_FLOW_LEN;
	if (h->origin != 0)
		head += NP_HEP_CHUNK_HDR_LEN + NP_HEP_NP_ORIGIN_LEN;
	if (payload_len > NP_HEP_MAX_LEN || head + payload_len > NP_HEP_MAX_LEN)
		return -EMSGSIZE;
	if (head > buflen)
		return -ENOSPC;

	memcpy(w.p, "HEP3", 4);
	put16(w.p + 4, (uint16_t)(head + payload_len));
	w.p += NP_HEP_HDR_LEN;
	chunk8(&w, NP_HEP_C_IP_FAMILY, v4 ? NP_HEP_AF_INET : NP_HEP_AF_INET6);
	chunk8(&w, NP_HEP_C_IP_PROTO, h->ip_proto);
	if (v4) {
		chunk(&w, NP_HEP_C_IPV4_SRC, h->src.b + 12, 4);
		chunk(&w, NP_HEP_C_IPV4_DST, h->dst.b + 12, 4);
	} else {
		chunk(&w, NP_HEP_C_IPV6_SRC, h->src.b, 16);
		chunk(&w, NP_HEP_C_IPV6_DST, h->dst.b, 16);
	}
	chunk16(&w, NP_HEP_C_SRC_PORT, h->sport);
	chunk16(&w, NP_HEP_C_DST_PORT, h->dport);
	chunk32(&w, NP_HEP_C_TS_SEC, (uint32_t)(h->ts_ns / 1000000000ull));
	chunk32(&w, NP_HEP_C_TS_USEC, (uint32_t)(h->ts_ns / 1000ull % 1000000ull));
	chunk8(&w, NP_HEP_C_PROTO_TYPE, h->proto_type);
	chunk32(&w, NP_HEP_C_CAPTURE_ID, h->capture_id);
	if (key_len > 0)
		chunk(&w, NP_HEP_C_AUTH_KEY, h->auth_key, key_len);
	if (cid_len > 0)
		chunk(&w, NP_HEP_C_CORRELATION_ID, h->correlation_id, cid_len);
	if (node_len > 0)
		chunk(&w, NP_HEP_C_NODE_NAME, h->node_name, node_len);
	if (h->np_flow != NULL) {
		chunk(&w, NP_HEP_NP_FLOW_EVENT, h->np_flow, NP_HEP_NP_FLOW_LEN);
		put16(w.p - NP_HEP_NP_FLOW_LEN - NP_HEP_CHUNK_HDR_LEN, NP_HEP_VENDOR_NATPROBE);
	}
	if (h->origin != 0) {
		uint8_t v[NP_HEP_NP_ORIGIN_LEN];

		put32(v, (uint32_t)(h->origin >> 32));
		put32(v + 4, (uint32_t)h->origin);
		chunk(&w, NP_HEP_NP_ORIGIN, v, NP_HEP_NP_ORIGIN_LEN);
		put16(w.p - NP_HEP_NP_ORIGIN_LEN - NP_HEP_CHUNK_HDR_LEN, NP_HEP_VENDOR_NATPROBE);
	}
	chunk(&w, NP_HEP_C_PAYLOAD, NULL, 0);
	/* The payload chunk's length counts the payload that follows. */
	put16(w.p - 2, (uint16_t)(NP_HEP_CHUNK_HDR_LEN + payload_len));
	return (int)(w.p - buf);
}

int np_hep_add_origin(uint8_t *pkt, size_t len, size_t cap, uint64_t origin)
{
	const size_t add = NP_HEP_CHUNK_HDR_LEN + NP_HEP_NP_ORIGIN_LEN;
	uint8_t *c = pkt + len;

	if (len < NP_HEP_HDR_LEN || memcmp(pkt, "HEP3", 4) != 0 ||
	    (size_t)(pkt[4] << 8 | pkt[5]) != len)
		return -EINVAL;
	if (len + add > NP_HEP_MAX_LEN)
		return -EMSGSIZE;
	if (len + add > cap)
		return -ENOSPC;
	put16(c, NP_HEP_VENDOR_NATPROBE);
	put16(c + 2, NP_HEP_NP_ORIGIN);
	put16(c + 4, (uint16_t)add);
	put32(c + 6, (uint32_t)(origin >> 32));
	put32(c + 10, (uint32_t)origin);
	put16(pkt + 4, (uint16_t)(len + add));
	return (int)(len + add);
}

int np_hep_encode(const struct np_hep_info *h, const void *payload, size_t payload_len,
		  uint8_t *buf, size_t buflen)
{
	int head = np_hep_encode_head(h, payload_len, buf, buflen);

	if (head < 0)
		return head;
	if ((size_t)head + payload_len > buflen)
		return -ENOSPC;
	memcpy(buf + head, payload, payload_len);
	return head + (int)payload_len;
}

void np_hep_info_from_record(const struct np_det_record *r, struct np_hep_info *h)
{
	memset(h, 0, sizeof(*h));
	if (r->has_flow) {
		h->src = r->flow.src;
		h->dst = r->flow.dst;
		h->sport = r->flow.sport;
		h->dport = r->flow.dport;
		h->ip_proto = r->flow.proto;
	} else {
		np_addr_from_v4(&h->src, 0);
		np_addr_from_v4(&h->dst, 0);
		h->ip_proto = 17;
	}
	h->proto_type = NP_HEP_PROTO_LOG;
	h->ts_ns = r->ts_ns;
	if (r->sip.call_id[0] != '\0')
		h->correlation_id = r->sip.call_id;
}

static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* Offsets in the NP_HEP_NP_FLOW_EVENT value (np_hep_wire.h). */
enum {
	FV_TYPE = 0,
	FV_DIR = 1,
	FV_A = 2,
	FV_B = 3,
	FV_C = 4,
	FV_D = 5,
	FV_X = 8,
	FV_Y = 16,
	FV_P = 24,
	FV_Q = 28
};

void np_hep_flow_put(const struct np_flow_event *ev, struct np_hep_info *h,
		     uint8_t v[NP_HEP_NP_FLOW_LEN])
{
	memset(h, 0, sizeof(*h));
	memset(v, 0, NP_HEP_NP_FLOW_LEN);
	h->src = ev->src;
	h->dst = ev->dst;
	h->sport = ev->sport;
	h->dport = ev->dport;
	h->ip_proto = ev->proto;
	h->proto_type = NP_HEP_PROTO_LOG;
	h->ts_ns = ev->ts_ns;
	h->np_flow = v;
	v[FV_TYPE] = ev->type;
	v[FV_DIR] = ev->dir;
	switch (ev->type) {
	case NP_FLOW_EV_FINGERPRINT:
		put64(v + FV_X, ev->fp.hash);
		put32(v + FV_P, ev->fp.len);
		put32(v + FV_Q, ev->fp.seq);
		break;
	case NP_FLOW_EV_TCP_ESTABLISHED:
		put64(v + FV_X, ev->est.syn_ns);
		put64(v + FV_Y, ev->est.synack_ns);
		v[FV_A] = ev->est.syn_retx;
		break;
	case NP_FLOW_EV_TCP_REFUSED:
		put64(v + FV_X, ev->refused.syn_ns);
		put64(v + FV_Y, ev->refused.delay_ns);
		v[FV_A] = ev->refused.reason;
		v[FV_B] = ev->refused.icmp_type;
		v[FV_C] = ev->refused.icmp_code;
		v[FV_D] = ev->refused.syn_retx;
		break;
	case NP_FLOW_EV_TCP_UNANSWERED:
		put64(v + FV_X, ev->unanswered.syn_ns);
		v[FV_A] = ev->unanswered.syn_retx;
		break;
	case NP_FLOW_EV_CLOSED:
		v[FV_A] = ev->closed.reason;
		break;
	case NP_FLOW_EV_EXPIRED:
		v[FV_A] = ev->expired.reason;
		v[FV_B] = ev->expired.tcp_state;
		break;
	default:
		break;
	}
}

int np_hep_flow_get(const struct np_hep_msg *m, uint8_t segment, struct np_flow_event *ev)
{
	const uint8_t *v = m->np_flow;

	if (v == NULL || v[FV_TYPE] >= NP_FLOW_EV_MAX)
		return -1;
	memset(ev, 0, sizeof(*ev));
	ev->type = v[FV_TYPE];
	ev->dir = v[FV_DIR] ? 1 : 0;
	ev->segment = segment;
	ev->proto = m->ip_proto;
	ev->src = m->src;
	ev->dst = m->dst;
	ev->sport = m->sport;
	ev->dport = m->dport;
	ev->ts_ns = m->ts_ns;
	switch (ev->type) {
	case NP_FLOW_EV_FINGERPRINT:
		ev->fp.hash = get64(v + FV_X);
		ev->fp.len = get32(v + FV_P);
		ev->fp.seq = get32(v + FV_Q);
		break;
	case NP_FLOW_EV_TCP_ESTABLISHED:
		ev->est.syn_ns = get64(v + FV_X);
		ev->est.synack_ns = get64(v + FV_Y);
		ev->est.syn_retx = v[FV_A];
		break;
	case NP_FLOW_EV_TCP_REFUSED:
		ev->refused.syn_ns = get64(v + FV_X);
		ev->refused.delay_ns = get64(v + FV_Y);
		ev->refused.reason = v[FV_A];
		ev->refused.icmp_type = v[FV_B];
		ev->refused.icmp_code = v[FV_C];
		ev->refused.syn_retx = v[FV_D];
		break;
	case NP_FLOW_EV_TCP_UNANSWERED:
		ev->unanswered.syn_ns = get64(v + FV_X);
		ev->unanswered.syn_retx = v[FV_A];
		break;
	case NP_FLOW_EV_CLOSED:
		ev->closed.reason = v[FV_A];
		break;
	case NP_FLOW_EV_EXPIRED:
		ev->expired.reason = v[FV_A];
		ev->expired.tcp_state = v[FV_B];
		break;
	default:
		break;
	}
	return 0;
}
