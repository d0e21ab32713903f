/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/export's HEPv3 encoder. Expected packets are written out
 * byte by byte from the HEP3 specification (sipcapture/HEP), or walked chunk
 * by chunk with a decoder written here, independent of the encoder.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "np_hep.h"

static const char sip_msg[] = "OPTIONS sip:x SIP/2.0\r\n\r\n";

static void v4(struct np_addr *a, const char *s)
{
	struct in_addr in;

	assert_int_equal(inet_pton(AF_INET, s, &in), 1);
	np_addr_from_v4(a, in.s_addr);
}

static void v6(struct np_addr *a, const char *s)
{
	assert_int_equal(inet_pton(AF_INET6, s, a->b), 1);
}

static struct np_hep_info seed_info(void)
{
	struct np_hep_info h;

	memset(&h, 0, sizeof(h));
	v4(&h.src, "10.0.30.2");
	v4(&h.dst, "64.100.0.10");
	h.sport = 27901;
	h.dport = 7003;
	h.ip_proto = 6;
	h.proto_type = NP_HEP_PROTO_SIP;
	h.capture_id = 2001;
	h.ts_ns = 1461049753ull * 1000000000ull + 973456789ull;
	return h;
}

/* IPv4, TCP, SIP, no key: every byte as the specification lays it out. */
static void test_ipv4_sip_bytes(void **state)
{
	static const uint8_t want[] = {
		'H',  'E',  'P',  '3',	0x00, 0x7c,			  /* total 124 */
		0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x02,		  /* family AF_INET */
		0x00, 0x00, 0x00, 0x02, 0x00, 0x07, 0x06,		  /* protocol TCP */
		0x00, 0x00, 0x00, 0x03, 0x00, 0x0a, 10,	  0,	30,   2,  /* IPv4 source */
		0x00, 0x00, 0x00, 0x04, 0x00, 0x0a, 64,	  100,	0,    10, /* IPv4 destination */
		0x00, 0x00, 0x00, 0x07, 0x00, 0x08, 0x6c, 0xfd,		  /* source port 27901 */
		0x00, 0x00, 0x00, 0x08, 0x00, 0x08, 0x1b, 0x5b, /* destination port 7003 */
		0x00, 0x00, 0x00, 0x09, 0x00, 0x0a, 0x57, 0x15, 0xd9, 0x99, /* 1461049753 s */
		0x00, 0x00, 0x00, 0x0a, 0x00, 0x0a, 0x00, 0x0e, 0xda, 0x90, /* 973456 us */
		0x00, 0x00, 0x00, 0x0b, 0x00, 0x07, 0x01,		    /* protocol type SIP */
		0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x00, 0x07, 0xd1, /* capture id 2001 */
		0x00, 0x00, 0x00, 0x0f, 0x00, 0x1f,			    /* payload, 6 + 25 */
		'O',  'P',  'T',  'I',	'O',  'N',  'S',  ' ',	's',  'i',  'p',  ':',	'x',
		' ',  'S',  'I',  'P',	'/',  '2',  '.',  '0',	'\r', '\n', '\r', '\n',
	};
	struct np_hep_info h = seed_info();
	uint8_t buf[256];
	int n;

	(void)state;
	n = np_hep_encode(&h, sip_msg, strlen(sip_msg), buf, sizeof(buf));
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

/* An independent reader: walks the chunks, checks the framing. */
struct chunk_seen {
	uint16_t type;
	uint16_t len; /* value length */
	const uint8_t *v;
};

static unsigned int walk(const uint8_t *p, size_t n, struct chunk_seen *out, unsigned int max)
{
	unsigned int k = 0;
	size_t pos = 6;

	assert_true(n >= 6);
	assert_memory_equal(p, "HEP3", 4);
	assert_int_equal((size_t)(p[4] << 8 | p[5]), n);
	while (pos < n) {
		uint16_t vendor, type, len;

		assert_true(pos + 6 <= n);
		vendor = (uint16_t)(p[pos] << 8 | p[pos + 1]);
		type = (uint16_t)(p[pos + 2] << 8 | p[pos + 3]);
		len = (uint16_t)(p[pos + 4] << 8 | p[pos + 5]);
		assert_int_equal(vendor, 0);
		assert_true(len >= 6);
		assert_true(pos + len <= n);
		assert_true(k < max);
		out[k].type = type;
		out[k].len = (uint16_t)(len - 6);
		out[k].v = p + pos + 6;
		k++;
		pos += len;
	}
	assert_int_equal(pos, n);
	return k;
}

static const struct chunk_seen *find(const struct chunk_seen *c, unsigned int n, uint16_t type)
{
	for (unsigned int i = 0; i < n; i++)
		if (c[i].type == type)
			return &c[i];
	return NULL;
}

static uint32_t be(const struct chunk_seen *c)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < c->len; i++)
		v = v << 8 | c->v[i];
	return v;
}

/* IPv6, UDP, a log with key and correlation id: the optional chunks and the v6 ones. */
static void test_ipv6_key_correlation(void **state)
{
	struct np_hep_info h = seed_info();
	struct chunk_seen c[32];
	const struct chunk_seen *x;
	const char json[] = "{\"kind\":\"anomaly\"}";
	uint8_t buf[512], a6[16];
	unsigned int n;
	int len;

	(void)state;
	v6(&h.src, "2001:db8::1");
	v6(&h.dst, "2001:db8::2");
	h.ip_proto = 17;
	h.proto_type = NP_HEP_PROTO_LOG;
	h.capture_id = 0xfedcba98;
	h.auth_key = "myHep";
	h.correlation_id = "abcd12345678@127.0.0.1";
	len = np_hep_encode(&h, json, strlen(json), buf, sizeof(buf));
	assert_true(len > 0);
	n = walk(buf, (size_t)len, c, 32);
	assert_int_equal(n, 13);
	assert_int_equal(c[n - 1].type, 0x000f); /* payload last */
	assert_int_equal(c[n - 1].len, strlen(json));
	assert_memory_equal(c[n - 1].v, json, strlen(json));
	assert_int_equal(be(find(c, n, 0x0001)), 10); /* AF_INET6 */
	assert_int_equal(be(find(c, n, 0x0002)), 17);
	assert_null(find(c, n, 0x0003));
	assert_null(find(c, n, 0x0004));
	x = find(c, n, 0x0005);
	assert_non_null(x);
	assert_int_equal(x->len, 16);
	inet_pton(AF_INET6, "2001:db8::1", a6);
	assert_memory_equal(x->v, a6, 16);
	x = find(c, n, 0x0006);
	assert_non_null(x);
	inet_pton(AF_INET6, "2001:db8::2", a6);
	assert_memory_equal(x->v, a6, 16);
	assert_int_equal(find(c, n, 0x0007)->len, 2);
	assert_int_equal(be(find(c, n, 0x0007)), 27901);
	assert_int_equal(be(find(c, n, 0x0008)), 7003);
	assert_int_equal(find(c, n, 0x000b)->len, 1);
	assert_int_equal(be(find(c, n, 0x000b)), 100);
	assert_int_equal(find(c, n, 0x000c)->len, 4);
	assert_int_equal(be(find(c, n, 0x000c)), 0xfedcba98);
	x = find(c, n, 0x000e);
	assert_non_null(x);
	assert_int_equal(x->len, 5);
	assert_memory_equal(x->v, "myHep", 5);
	x = find(c, n, 0x0011);
	assert_non_null(x);
	assert_int_equal(x->len, strlen(h.correlation_id));
	assert_memory_equal(x->v, h.correlation_id, x->len);
}

/* Microseconds are the fraction of the second, truncated; "" key and id are left out. */
static void test_time_and_empty_options(void **state)
{
	struct np_hep_info h = seed_info();
	struct chunk_seen c[32];
	uint8_t buf[256];
	unsigned int n;
	int len;

	(void)state;
	h.ts_ns = 1000000000ull * 7 + 999999999ull;
	h.auth_key = "";
	h.correlation_id = "";
	len = np_hep_encode(&h, "x", 1, buf, sizeof(buf));
	assert_true(len > 0);
	n = walk(buf, (size_t)len, c, 32);
	assert_int_equal(n, 11);
	assert_int_equal(be(find(c, n, 0x0009)), 7);
	assert_int_equal(be(find(c, n, 0x000a)), 999999);
	assert_null(find(c, n, 0x000e));
	assert_null(find(c, n, 0x0011));
}

/* The head alone, then the payload: the same bytes as one encode. */
static void test_head_then_payload(void **state)
{
	struct np_hep_info h = seed_info();
	uint8_t whole[256], head[NP_HEP_MAX_HEAD_LEN];
	int n, hl;

	(void)state;
	h.auth_key = "k";
	n = np_hep_encode(&h, sip_msg, strlen(sip_msg), whole, sizeof(whole));
	hl = np_hep_encode_head(&h, strlen(sip_msg), head, sizeof(head));
	assert_true(hl > 0);
	assert_int_equal(n, hl + (int)strlen(sip_msg));
	assert_memory_equal(whole, head, (size_t)hl);
	assert_memory_equal(whole + hl, sip_msg, strlen(sip_msg));
}

static void test_errors(void **state)
{
	struct np_hep_info h = seed_info();
	static uint8_t big[NP_HEP_MAX_LEN + 16], out[NP_HEP_MAX_LEN + 16];
	char key[NP_HEP_MAX_KEY_LEN + 2];
	uint8_t buf[64];
	int hl;

	(void)state;
	/* Total length is 16 bits: 99 bytes of head plus the payload must fit. */
	hl = np_hep_encode_head(&h, 0, big, sizeof(big));
	assert_int_equal(hl, 99);
	assert_int_equal(np_hep_encode(&h, big, NP_HEP_MAX_LEN - 99, out, sizeof(out)),
			 NP_HEP_MAX_LEN);
	assert_int_equal(out[4] << 8 | out[5], NP_HEP_MAX_LEN);
	assert_int_equal(np_hep_encode_head(&h, NP_HEP_MAX_LEN - 98, big, sizeof(big)), -EMSGSIZE);
	assert_int_equal(np_hep_encode(&h, sip_msg, strlen(sip_msg), buf, sizeof(buf)), -ENOSPC);
	assert_int_equal(np_hep_encode(&h, big, 40, out, 100), -ENOSPC); /* head fits, not all */
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	h.auth_key = key;
	assert_int_equal(np_hep_encode_head(&h, 1, big, sizeof(big)), -EINVAL);
	key[NP_HEP_MAX_KEY_LEN] = '\0';
	h.correlation_id = key;
	assert_true(np_hep_encode_head(&h, 1, big, sizeof(big)) > 0);
	assert_int_equal(np_hep_encode_head(&h, 1, big, sizeof(big)), 99 + 2 * (6 + 128));
}

/* The longest head (IPv6, longest key, correlation id and node name) is NP_HEP_MAX_HEAD_LEN. */
static void test_max_head(void **state)
{
	struct np_hep_info h = seed_info();
	char key[NP_HEP_MAX_KEY_LEN + 1], cid[NP_HEP_MAX_CORRELATION_LEN + 1];
	char node[NP_HEP_MAX_NODE_NAME_LEN + 1];
	uint8_t buf[NP_HEP_MAX_HEAD_LEN], flow[NP_HEP_NP_FLOW_LEN] = { 0 };

	(void)state;
	h.np_flow = flow;
	h.origin = 0x0123456789abcdefull;
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	memset(cid, 'c', sizeof(cid) - 1);
	cid[sizeof(cid) - 1] = '\0';
	memset(node, 'n', sizeof(node) - 1);
	node[sizeof(node) - 1] = '\0';
	v6(&h.src, "::1");
	v6(&h.dst, "::2");
	h.auth_key = key;
	h.correlation_id = cid;
	h.node_name = node;
	assert_int_equal(np_hep_encode_head(&h, 100, buf, sizeof(buf)), NP_HEP_MAX_HEAD_LEN);
	assert_int_equal(np_hep_encode_head(&h, 100, buf, sizeof(buf) - 1), -ENOSPC);
}

/* The node name (chunk 0x0013) follows the correlation id, before the payload; too long is refused.
 */
static void test_node_name(void **state)
{
	struct np_hep_info h = seed_info();
	struct chunk_seen c[32];
	const struct chunk_seen *x;
	char longer[NP_HEP_MAX_NODE_NAME_LEN + 2];
	uint8_t buf[512];
	unsigned int n;
	int len;

	(void)state;
	h.correlation_id = "cid";
	h.node_name = "probe-dc1";
	len = np_hep_encode(&h, sip_msg, strlen(sip_msg), buf, sizeof(buf));
	assert_true(len > 0);
	n = walk(buf, (size_t)len, c, 32);
	x = find(c, n, 0x0013);
	assert_non_null(x);
	assert_int_equal(x->len, 9);
	assert_memory_equal(x->v, "probe-dc1", 9);
	assert_int_equal(c[n - 2].type, 0x0013);
	assert_int_equal(c[n - 1].type, 0x000f);
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	h.node_name = longer;
	assert_int_equal(np_hep_encode(&h, sip_msg, strlen(sip_msg), buf, sizeof(buf)), -EINVAL);
	h.node_name = "";
	len = np_hep_encode(&h, sip_msg, strlen(sip_msg), buf, sizeof(buf));
	assert_null(find(c, walk(buf, (size_t)len, c, 32), 0x0013));
}

/* Records: the flow and Call-ID when there are some, else zero addresses over UDP. */
static void test_record_info(void **state)
{
	struct np_det_record r;
	struct np_hep_info h;
	struct np_addr zero;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.kind = NP_DET_KIND_ANOMALY;
	r.ts_ns = 1461049753973000000ull;
	r.has_flow = true;
	v4(&r.flow.src, "64.100.0.10");
	v4(&r.flow.dst, "10.0.30.2");
	r.flow.sport = 7003;
	r.flow.dport = 27901;
	r.flow.proto = 6;
	r.has_sip = true;
	snprintf(r.sip.call_id, sizeof(r.sip.call_id), "abcd12345678@127.0.0.1");
	np_hep_info_from_record(&r, &h);
	assert_memory_equal(&h.src, &r.flow.src, sizeof(h.src));
	assert_memory_equal(&h.dst, &r.flow.dst, sizeof(h.dst));
	assert_int_equal(h.sport, 7003);
	assert_int_equal(h.dport, 27901);
	assert_int_equal(h.ip_proto, 6);
	assert_int_equal(h.proto_type, 100);
	assert_int_equal(h.ts_ns, r.ts_ns);
	assert_string_equal(h.correlation_id, "abcd12345678@127.0.0.1");

	memset(&r, 0, sizeof(r));
	r.kind = NP_DET_KIND_INCIDENT;
	snprintf(r.sip.call_id, sizeof(r.sip.call_id), "c@1");
	np_hep_info_from_record(&r, &h);
	np_addr_from_v4(&zero, 0);
	assert_memory_equal(&h.src, &zero, sizeof(zero));
	assert_memory_equal(&h.dst, &zero, sizeof(zero));
	assert_int_equal(h.sport, 0);
	assert_int_equal(h.ip_proto, 17);
	assert_string_equal(h.correlation_id, "c@1");

	r.sip.call_id[0] = '\0';
	np_hep_info_from_record(&r, &h);
	assert_null(h.correlation_id);
}

/*
 * A flow event of each type through natprobe's vendor chunk: encoded, decoded
 * by lib/pkt's decoder, read back field by field; the chunk sits before the
 * payload under vendor 0x4e50; a chunk of the wrong size is refused.
 */
/*
 * The origin chunk: written by the encoder, appended to a received packet by
 * np_hep_add_origin() (the rest of it unchanged), read back by the decoder;
 * a packet carrying this natprobe's id, or more than NP_HEP_MAX_ORIGINS of
 * them, is a loop.
 */
static void test_origin_chunk(void **state)
{
	static const char sip[] = "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: o1\r\n\r\n";
	struct np_hep_info h = seed_info();
	uint8_t buf[1024], copy[1024];
	struct np_hep_msg m;
	size_t used;
	int n, n2;

	(void)state;
	h.origin = 0x1122334455667788ull;
	n = np_hep_encode(&h, sip, strlen(sip), buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(np_hep_decode(buf, (size_t)n, true, &m, &used), NP_HEP_OK);
	assert_int_equal(m.n_origins, 1);
	assert_true(m.origins[0] == 0x1122334455667788ull);
	assert_int_equal(m.unknown_chunks, 0);
	assert_true(np_hep_is_loop(&m, 0x1122334455667788ull));
	assert_false(np_hep_is_loop(&m, 0x99ull));
	assert_false(np_hep_is_loop(&m, 0));
	/* relayed: every byte kept, one chunk more, the total corrected */
	memcpy(copy, buf, (size_t)n);
	n2 = np_hep_add_origin(copy, (size_t)n, sizeof(copy), 0xaabbccddeeff0011ull);
	assert_int_equal(n2, n + NP_HEP_CHUNK_HDR_LEN + NP_HEP_NP_ORIGIN_LEN);
	assert_memory_equal(copy + 6, buf + 6, (size_t)n - 6);
	assert_int_equal(copy[4] << 8 | copy[5], n2);
	assert_int_equal(np_hep_decode(copy, (size_t)n2, false, &m, &used), NP_HEP_OK);
	assert_int_equal(used, (size_t)n2);
	assert_int_equal(m.n_origins, 2);
	assert_true(m.origins[1] == 0xaabbccddeeff0011ull);
	assert_int_equal(m.payload_len, strlen(sip));
	assert_memory_equal(m.payload, sip, strlen(sip));
	assert_true(np_hep_is_loop(&m, 0xaabbccddeeff0011ull));
	/* refused: not HEPv3 of that length, no room, past 65535 bytes */
	assert_int_equal(np_hep_add_origin(copy, (size_t)n2 - 1, sizeof(copy), 1), -EINVAL);
	assert_int_equal(np_hep_add_origin(copy, (size_t)n2, (size_t)n2 + 3, 1), -ENOSPC);
	/* hop limit: more origins than a chain of natprobes has */
	for (int i = 0; i < NP_HEP_MAX_ORIGINS - 1; i++)
		n2 = np_hep_add_origin(copy, (size_t)n2, sizeof(copy), 100 + (uint64_t)i);
	assert_int_equal(np_hep_decode(copy, (size_t)n2, false, &m, &used), NP_HEP_OK);
	assert_int_equal(m.n_origins, NP_HEP_MAX_ORIGINS + 1);
	assert_true(np_hep_is_loop(&m, 0));
	/* an origin chunk of another length is refused */
	memcpy(copy, buf, (size_t)n);
	n2 = np_hep_add_origin(copy, (size_t)n, sizeof(copy), 7);
	copy[n + 5] = 13; /* chunk length 13: 7 value bytes */
	copy[4] = (uint8_t)((n2 - 1) >> 8);
	copy[5] = (uint8_t)(n2 - 1);
	assert_int_equal(np_hep_decode(copy, (size_t)n2 - 1, false, &m, &used), NP_HEP_E_CHUNK);
}

static void test_flow_event_roundtrip(void **state)
{
	static const uint8_t payload[] = "natprobe flow";
	struct np_flow_event in[6], out;
	uint8_t buf[NP_HEP_MAX_HEAD_LEN + sizeof(payload)], value[NP_HEP_NP_FLOW_LEN];
	struct np_hep_info h;
	struct np_hep_msg m;
	size_t used;

	(void)state;
	memset(in, 0, sizeof(in));
	for (int i = 0; i < 6; i++) {
		in[i].proto = 6;
		v4(&in[i].src, "10.0.30.2");
		v4(&in[i].dst, "198.51.100.10");
		in[i].sport = (uint16_t)(40000 + i);
		in[i].dport = 4401;
		in[i].ts_ns = 1796619039123456000ull + (uint64_t)i * 1000;
	}
	in[0].type = NP_FLOW_EV_FINGERPRINT;
	in[0].dir = 1;
	in[0].fp.hash = 0x0123456789abcdefull;
	in[0].fp.len = 1234;
	in[0].fp.seq = 0xfedcba98u;
	in[1].type = NP_FLOW_EV_TCP_ESTABLISHED;
	in[1].est.syn_ns = 1796619039000000001ull;
	in[1].est.synack_ns = 1796619039000000777ull;
	in[1].est.syn_retx = 2;
	in[2].type = NP_FLOW_EV_TCP_REFUSED;
	in[2].refused.syn_ns = 1796619039000000002ull;
	in[2].refused.delay_ns = 333;
	in[2].refused.reason = 1;
	in[2].refused.icmp_type = 3;
	in[2].refused.icmp_code = 13;
	in[2].refused.syn_retx = 4;
	in[3].type = NP_FLOW_EV_TCP_UNANSWERED;
	in[3].unanswered.syn_ns = 1796619039000000003ull;
	in[3].unanswered.syn_retx = 5;
	in[4].type = NP_FLOW_EV_CLOSED;
	in[4].dir = 1;
	in[4].closed.reason = 1;
	in[5].type = NP_FLOW_EV_EXPIRED;
	in[5].expired.reason = 2;
	in[5].expired.tcp_state = 3;
	for (int i = 0; i < 6; i++) {
		int n;

		np_hep_flow_put(&in[i], &h, value);
		h.capture_id = 201;
		n = np_hep_encode(&h, payload, sizeof(payload) - 1, buf, sizeof(buf));
		assert_true(n > 0);
		assert_int_equal(np_hep_decode(buf, (size_t)n, true, &m, &used), NP_HEP_OK);
		assert_non_null(m.np_flow);
		assert_int_equal(m.proto_type, NP_HEP_PROTO_LOG);
		assert_int_equal(m.unknown_chunks, 0);
		assert_int_equal(np_hep_flow_get(&m, 7, &out), 0);
		assert_int_equal(out.segment, 7);
		out.segment = in[i].segment;
		/* every field the event type uses comes back; the rest is zero on both sides */
		assert_memory_equal(&out, &in[i], sizeof(out));
	}
	/* the vendor chunk precedes the payload chunk; one byte short, it is refused */
	{
		size_t pay = NP_HEP_CHUNK_HDR_LEN + sizeof(payload) - 1;
		size_t n = 0, k;

		np_hep_flow_put(&in[0], &h, value);
		n = (size_t)np_hep_encode(&h, payload, sizeof(payload) - 1, buf, sizeof(buf));
		k = n - pay - NP_HEP_NP_FLOW_LEN - NP_HEP_CHUNK_HDR_LEN;
		assert_int_equal(buf[k], 0x4e);
		assert_int_equal(buf[k + 1], 0x50);
		assert_int_equal(buf[k + 5], NP_HEP_CHUNK_HDR_LEN + NP_HEP_NP_FLOW_LEN);
		buf[k + 5]--;
		assert_int_equal(np_hep_decode(buf, n, true, &m, &used), NP_HEP_E_CHUNK);
		/* an unknown event type is not a flow event */
		np_hep_flow_put(&in[0], &h, value);
		value[0] = NP_FLOW_EV_MAX;
		n = (size_t)np_hep_encode(&h, payload, sizeof(payload) - 1, buf, sizeof(buf));
		assert_int_equal(np_hep_decode(buf, n, true, &m, &used), NP_HEP_OK);
		assert_int_equal(np_hep_flow_get(&m, 0, &out), -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_sip_bytes),
		cmocka_unit_test(test_ipv6_key_correlation),
		cmocka_unit_test(test_time_and_empty_options),
		cmocka_unit_test(test_head_then_payload),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_max_head),
		cmocka_unit_test(test_record_info),
		cmocka_unit_test(test_node_name),
		cmocka_unit_test(test_flow_event_roundtrip),
		cmocka_unit_test(test_origin_chunk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
