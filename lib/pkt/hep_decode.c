/* SPDX-License-Identifier: BSD-3-Clause */
/* HEPv3 and HEPv2 decoding: every length checked, nothing written. */

#include <string.h>

#include "np_hep_wire.h"

#define HEP2_HDR_V4 16 /* version, length, family, proto, ports, two IPv4 addresses */
#define HEP2_HDR_V6 40
#define HEP2_TIME_LEN 12 /* seconds, microseconds, capture id, padding */

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t get32le(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static void addr_set(struct np_addr *a, const uint8_t *p, bool v4)
{
	if (v4) {
		uint32_t be;

		memcpy(&be, p, 4);
		np_addr_from_v4(a, be);
	} else {
		memcpy(a->b, p, 16);
	}
}

const char *np_hep_err_name(unsigned int err)
{
	static const char *const names[NP_HEP_E_MAX] = {
		[NP_HEP_OK] = "ok",
		[NP_HEP_E_NOT_HEP] = "not_hep",
		[NP_HEP_E_VERSION] = "version",
		[NP_HEP_E_TRUNCATED] = "truncated",
		[NP_HEP_E_LENGTH] = "bad_length",
		[NP_HEP_E_CHUNK] = "bad_chunk",
		[NP_HEP_E_ADDRESS] = "no_address",
		[NP_HEP_E_PAYLOAD] = "no_payload",
	};

	return err < NP_HEP_E_MAX ? names[err] : "invalid";
}

long np_hep_frame(const uint8_t *buf, size_t len)
{
	uint16_t total;

	if (len < 4 && memcmp(buf, "HEP3", len) == 0)
		return 0;
	if (len < 4 || memcmp(buf, "HEP3", 4) != 0)
		return -1;
	if (len < NP_HEP_HDR_LEN)
		return 0;
	total = get16(buf + 4);
	return total < NP_HEP_HDR_LEN ? -1 : (long)total;
}

size_t np_hep_resync(const uint8_t *buf, size_t len)
{
	for (size_t i = 1; i < len; i++) {
		size_t n = len - i < 4 ? len - i : 4;

		if (buf[i] == 'H' && memcmp(buf + i, "HEP3", n) == 0)
			return i;
	}
	return len;
}

size_t np_hep_cut(const uint8_t *buf, size_t len, np_hep_packet_fn fn, void *ctx,
		  uint64_t *resync_bytes)
{
	size_t off = 0;

	while (off < len) {
		long fl = np_hep_frame(buf + off, len - off);

		if (fl < 0) { /* out of step: to the next "HEP3" (or its start at the end) */
			size_t skip = np_hep_resync(buf + off, len - off);

			*resync_bytes += skip;
			off += skip;
			continue;
		}
		if (fl == 0 || (size_t)fl > len - off)
			break; /* more to come */
		fn(ctx, buf + off, (size_t)fl);
		off += (size_t)fl;
	}
	return off;
}

/* Size a known vendor-0 chunk must have; 0: any size; -1: not a chunk read here. */
static int chunk_size(uint16_t type)
{
	switch (type) {
	case NP_HEP_C_IP_FAMILY:
	case NP_HEP_C_IP_PROTO:
	case NP_HEP_C_PROTO_TYPE:
		return 1;
	case NP_HEP_C_IPV4_SRC:
	case NP_HEP_C_IPV4_DST:
	case NP_HEP_C_TS_SEC:
	case NP_HEP_C_TS_USEC:
		return 4;
	case NP_HEP_C_IPV6_SRC:
	case NP_HEP_C_IPV6_DST:
		return 16;
	case NP_HEP_C_SRC_PORT:
	case NP_HEP_C_DST_PORT:
		return 2;
	case NP_HEP_C_CAPTURE_ID: /* 2 or 4: checked where read */
	case NP_HEP_C_PAYLOAD:
	case NP_HEP_C_PAYLOAD_ZIP:
	case NP_HEP_C_NODE_NAME:
	case NP_HEP_C_AUTH_KEY: /* read past: a collector's business */
	case NP_HEP_C_CORRELATION_ID:
		return 0;
	default:
		return -1;
	}
}

/* What chunks were present (bits by chunk type, all below 32). */
#define HAS(t) (1u << (t))

static int decode3(const uint8_t *buf, size_t len, struct np_hep_msg *m, size_t *used)
{
	uint8_t family = 0, v4_src[4] = { 0 }, v4_dst[4] = { 0 }, v6_src[16] = { 0 },
		v6_dst[16] = { 0 };
	uint32_t have = 0, sec = 0, usec = 0;
	size_t total, off;

	if (len < NP_HEP_HDR_LEN)
		return NP_HEP_E_TRUNCATED;
	total = get16(buf + 4);
	if (total < NP_HEP_HDR_LEN)
		return NP_HEP_E_LENGTH;
	*used = total;
	if (total > len)
		return NP_HEP_E_TRUNCATED;
	memset(m, 0, sizeof(*m));
	m->version = 3;
	m->proto_type = NP_HEP_PROTO_SIP;
	for (off = NP_HEP_HDR_LEN; off < total;) {
		uint16_t vendor, type, clen;
		const uint8_t *v;
		int want;

		if (total - off < NP_HEP_CHUNK_HDR_LEN)
			return NP_HEP_E_LENGTH;
		vendor = get16(buf + off);
		type = get16(buf + off + 2);
		clen = get16(buf + off + 4);
		if (clen < NP_HEP_CHUNK_HDR_LEN || clen > total - off)
			return NP_HEP_E_LENGTH;
		v = buf + off + NP_HEP_CHUNK_HDR_LEN;
		off += clen;
		clen -= NP_HEP_CHUNK_HDR_LEN;
		if (vendor == NP_HEP_VENDOR_NATPROBE && type == NP_HEP_NP_FLOW_EVENT) {
			if (clen != NP_HEP_NP_FLOW_LEN)
				return NP_HEP_E_CHUNK;
			m->np_flow = v;
			continue;
		}
		if (vendor == NP_HEP_VENDOR_NATPROBE && type == NP_HEP_NP_ORIGIN) {
			if (clen != NP_HEP_NP_ORIGIN_LEN)
				return NP_HEP_E_CHUNK;
			if (m->n_origins < NP_HEP_MAX_ORIGINS)
				m->origins[m->n_origins] = (uint64_t)get32(v) << 32 | get32(v + 4);
			if (m->n_origins <= NP_HEP_MAX_ORIGINS)
				m->n_origins++;
			continue;
		}
		want = vendor == 0 ? chunk_size(type) : -1;
		if (want < 0) {
			if (m->unknown_chunks < UINT16_MAX)
				m->unknown_chunks++;
			continue;
		}
		if (want > 0 && clen != want)
			return NP_HEP_E_CHUNK;
		have |= HAS(type);
		switch (type) {
		case NP_HEP_C_IP_FAMILY:
			family = v[0];
			break;
		case NP_HEP_C_IP_PROTO:
			m->ip_proto = v[0];
			break;
		case NP_HEP_C_IPV4_SRC:
			memcpy(v4_src, v, 4);
			break;
		case NP_HEP_C_IPV4_DST:
			memcpy(v4_dst, v, 4);
			break;
		case NP_HEP_C_IPV6_SRC:
			memcpy(v6_src, v, 16);
			break;
		case NP_HEP_C_IPV6_DST:
			memcpy(v6_dst, v, 16);
			break;
		case NP_HEP_C_SRC_PORT:
			m->sport = get16(v);
			break;
		case NP_HEP_C_DST_PORT:
			m->dport = get16(v);
			break;
		case NP_HEP_C_TS_SEC:
			sec = get32(v);
			break;
		case NP_HEP_C_TS_USEC:
			usec = get32(v);
			break;
		case NP_HEP_C_PROTO_TYPE:
			m->proto_type = v[0];
			break;
		case NP_HEP_C_CAPTURE_ID:
			if (clen != 4 && clen != 2)
				return NP_HEP_E_CHUNK;
			m->capture_id = clen == 4 ? get32(v) : get16(v);
			m->has_capture_id = true;
			break;
		case NP_HEP_C_PAYLOAD:
			m->payload = v;
			m->payload_len = clen;
			break;
		case NP_HEP_C_NODE_NAME:
			m->node_name = v;
			m->node_name_len = clen;
			break;
		default: /* compressed payload, key, correlation id: seen, not read */
			break;
		}
	}
	if (family == NP_HEP_AF_INET && (have & HAS(NP_HEP_C_IPV4_SRC)) &&
	    (have & HAS(NP_HEP_C_IPV4_DST))) {
		addr_set(&m->src, v4_src, true);
		addr_set(&m->dst, v4_dst, true);
	} else if (family == NP_HEP_AF_INET6 && (have & HAS(NP_HEP_C_IPV6_SRC)) &&
		   (have & HAS(NP_HEP_C_IPV6_DST))) {
		addr_set(&m->src, v6_src, false);
		addr_set(&m->dst, v6_dst, false);
	} else {
		return NP_HEP_E_ADDRESS;
	}
	if (!(have & HAS(NP_HEP_C_SRC_PORT)) || !(have & HAS(NP_HEP_C_DST_PORT)))
		return NP_HEP_E_ADDRESS;
	if (!(have & HAS(NP_HEP_C_PAYLOAD)))
		return NP_HEP_E_PAYLOAD;
	if (have & HAS(NP_HEP_C_TS_SEC)) {
		if (usec >= 1000000u)
			return NP_HEP_E_CHUNK;
		m->has_ts = true;
		m->ts_ns = (uint64_t)sec * 1000000000ull + (uint64_t)usec * 1000ull;
	}
	return NP_HEP_OK;
}

static int decode2(const uint8_t *buf, size_t len, struct np_hep_msg *m, size_t *used)
{
	bool v4;
	size_t hl, off;

	if (len < 4)
		return NP_HEP_E_TRUNCATED;
	if (buf[0] == 1)
		return NP_HEP_E_VERSION;
	hl = buf[1];
	v4 = buf[2] == NP_HEP_AF_INET;
	if (!v4 && buf[2] != NP_HEP_AF_INET6)
		return NP_HEP_E_ADDRESS;
	if (hl != (v4 ? HEP2_HDR_V4 : HEP2_HDR_V6))
		return NP_HEP_E_LENGTH;
	if (len < hl + HEP2_TIME_LEN)
		return NP_HEP_E_TRUNCATED;
	memset(m, 0, sizeof(*m));
	m->version = 2;
	m->proto_type = NP_HEP_PROTO_SIP;
	m->ip_proto = buf[3];
	m->sport = get16(buf + 4);
	m->dport = get16(buf + 6);
	addr_set(&m->src, buf + 8, v4);
	addr_set(&m->dst, buf + 8 + (v4 ? 4 : 16), v4);
	off = hl;
	{
		uint32_t sec = get32le(buf + off), usec = get32le(buf + off + 4);

		if (usec >= 1000000u)
			return NP_HEP_E_CHUNK;
		m->has_ts = true;
		m->ts_ns = (uint64_t)sec * 1000000000ull + (uint64_t)usec * 1000ull;
		m->capture_id = (uint32_t)buf[off + 8] | (uint32_t)buf[off + 9] << 8;
		m->has_capture_id = true;
	}
	off += HEP2_TIME_LEN;
	m->payload = buf + off;
	m->payload_len = (uint32_t)(len - off);
	*used = len;
	return NP_HEP_OK;
}

int np_hep_decode(const uint8_t *buf, size_t len, bool datagram, struct np_hep_msg *m, size_t *used)
{
	*used = 0;
	if (len >= 1 && buf[0] == 'H') {
		if (len < 4)
			return memcmp(buf, "HEP3", len) == 0 ? NP_HEP_E_TRUNCATED
							     : NP_HEP_E_NOT_HEP;
		if (memcmp(buf, "HEP3", 4) == 0)
			return decode3(buf, len, m, used);
		if (memcmp(buf, "HEP", 3) == 0)
			return NP_HEP_E_VERSION;
		return NP_HEP_E_NOT_HEP;
	}
	if (datagram && len >= 1 && (buf[0] == 1 || buf[0] == 2))
		return decode2(buf, len, m, used);
	return len == 0 ? NP_HEP_E_TRUNCATED : NP_HEP_E_NOT_HEP;
}

bool np_hep_is_loop(const struct np_hep_msg *m, uint64_t self)
{
	if (m->n_origins > NP_HEP_MAX_ORIGINS)
		return true;
	for (unsigned int i = 0; i < m->n_origins; i++)
		if (self != 0 && m->origins[i] == self)
			return true;
	return false;
}
