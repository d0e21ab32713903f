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
	chunk(&w, NP_HEP_C_PAYLOAD, NULL, 0);
	/* The payload chunk's length counts the payload that follows. */
	put16(w.p - 2, (uint16_t)(NP_HEP_CHUNK_HDR_LEN + payload_len));
	return (int)(w.p - buf);
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
