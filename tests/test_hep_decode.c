/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/pkt's HEP decoder (np_hep_wire.h) on real bytes: HEPv3
 * and HEPv2 packets Kamailio 5.6's siptrace module sent (captured with
 * tcpdump, tests/fixtures/hep/), packets natprobe's own encoder writes, and
 * every truncation and corruption of them.
 */

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "np_hep.h"
#include "np_hep_tcp.h"
#include "np_hep_wire.h"

static size_t fixture(const char *name, uint8_t *buf, size_t cap)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/tests/fixtures/hep/%s", NP_SOURCE_ROOT, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, cap, f);
	fclose(f);
	assert_true(n > 0 && n < cap);
	return n;
}

static void v4(struct np_addr *a, const char *s)
{
	struct in_addr in;

	assert_int_equal(inet_pton(AF_INET, s, &in), 1);
	np_addr_from_v4(a, in.s_addr);
}

/* Kamailio siptrace, hep_version 3, hep_capture_id 2001: the OPTIONS sipsak sent. */
static void test_kamailio_v3(void **state)
{
	uint8_t buf[2048];
	size_t n = fixture("kamailio-v3-1.hep", buf, sizeof(buf)), used;
	struct np_hep_msg m;
	struct np_addr lo;

	(void)state;
	assert_int_equal(np_hep_decode(buf, n, true, &m, &used), NP_HEP_OK);
	assert_int_equal(used, n);
	assert_int_equal(m.version, 3);
	assert_int_equal(m.ip_proto, 17);
	assert_int_equal(m.proto_type, NP_HEP_PROTO_SIP);
	assert_true(m.has_capture_id);
	assert_int_equal(m.capture_id, 2001);
	v4(&lo, "127.0.0.1");
	assert_memory_equal(m.src.b, lo.b, 16);
	assert_memory_equal(m.dst.b, lo.b, 16);
	assert_int_equal(m.dport, 5060);
	assert_true(m.sport != 0 && m.sport != 5060);
	assert_true(m.has_ts);
	assert_true(m.ts_ns > 1700000000ull * 1000000000ull);
	assert_int_equal(m.ts_ns % 1000, 0);
	assert_int_equal(m.unknown_chunks, 0);
	assert_null(m.node_name);
	/* the payload is the datagram's last bytes: the SIP message */
	assert_true(m.payload_len > 100);
	assert_ptr_equal(m.payload + m.payload_len, buf + n);
	assert_memory_equal(m.payload, "OPTIONS sip:x@127.0.0.1:5060 SIP/2.0\r\n", 38);
	/* as a stream: framed by its length */
	assert_int_equal(np_hep_frame(buf, n), (long)n);
	assert_int_equal(np_hep_frame(buf, 5), 0);
}

/* The same with hep_version 2: addresses in the header, a little-endian time header. */
static void test_kamailio_v2(void **state)
{
	uint8_t b2[2048], b3[2048];
	size_t n2 = fixture("kamailio-v2-1.hep", b2, sizeof(b2)), used;
	struct np_hep_msg m;
	struct np_addr lo;

	(void)state;
	(void)b3;
	assert_int_equal(np_hep_decode(b2, n2, true, &m, &used), NP_HEP_OK);
	assert_int_equal(m.version, 2);
	assert_int_equal(m.ip_proto, 17);
	assert_int_equal(m.capture_id, 2001);
	v4(&lo, "127.0.0.1");
	assert_memory_equal(m.src.b, lo.b, 16);
	assert_int_equal(m.dport, 5060);
	assert_true(m.ts_ns > 1700000000ull * 1000000000ull);
	assert_ptr_equal(m.payload + m.payload_len, b2 + n2);
	assert_memory_equal(m.payload, "OPTIONS sip:", 12);
	/* v2 is only read from a whole datagram: it has no length of its own */
	assert_int_equal(np_hep_decode(b2, n2, false, &m, &used), NP_HEP_E_NOT_HEP);
	/* cut inside its headers */
	assert_int_equal(np_hep_decode(b2, 20, true, &m, &used), NP_HEP_E_TRUNCATED);
	b2[1] = 17;
	assert_int_equal(np_hep_decode(b2, n2, true, &m, &used), NP_HEP_E_LENGTH);
	b2[0] = 1;
	assert_int_equal(np_hep_decode(b2, n2, true, &m, &used), NP_HEP_E_VERSION);
}

/* What natprobe's encoder writes, the decoder reads back field by field. */
static void test_roundtrip(void **state)
{
	static const char sip[] = "INVITE sip:b@example.com SIP/2.0\r\nCall-ID: x\r\n\r\n";
	struct np_hep_info h = { 0 };
	uint8_t buf[NP_HEP_MAX_HEAD_LEN + sizeof(sip)];
	struct np_hep_msg m;
	size_t used;
	int n;

	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", h.src.b), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::2", h.dst.b), 1);
	h.sport = 5061;
	h.dport = 40000;
	h.ip_proto = 6;
	h.proto_type = NP_HEP_PROTO_SIP;
	h.capture_id = 7;
	h.ts_ns = 1461049753123456000ull;
	h.auth_key = "secret";
	h.correlation_id = "cid";
	h.node_name = "inside-agent";
	n = np_hep_encode(&h, sip, sizeof(sip) - 1, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(np_hep_decode(buf, (size_t)n, false, &m, &used), NP_HEP_OK);
	assert_int_equal(used, (size_t)n);
	assert_memory_equal(m.src.b, h.src.b, 16);
	assert_memory_equal(m.dst.b, h.dst.b, 16);
	assert_int_equal(m.sport, 5061);
	assert_int_equal(m.dport, 40000);
	assert_int_equal(m.ip_proto, 6);
	assert_int_equal(m.capture_id, 7);
	assert_int_equal(m.ts_ns, h.ts_ns);
	assert_int_equal(m.node_name_len, 12);
	assert_memory_equal(m.node_name, "inside-agent", 12);
	assert_int_equal(m.payload_len, sizeof(sip) - 1);
	assert_memory_equal(m.payload, sip, sizeof(sip) - 1);
	/* auth key and correlation id are read past, not unknown */
	assert_int_equal(m.unknown_chunks, 0);
}

/* Every prefix of a packet is truncated, never decoded; extra bytes are left. */
static void test_truncation(void **state)
{
	uint8_t buf[2048];
	size_t n = fixture("kamailio-v3-2.hep", buf, sizeof(buf)), used;
	struct np_hep_msg m;

	(void)state;
	for (size_t k = 0; k < n; k++) {
		uint8_t *cut = malloc(k ? k : 1); /* ASan sees any read past k */

		memcpy(cut, buf, k);
		assert_int_equal(np_hep_decode(cut, k, false, &m, &used), NP_HEP_E_TRUNCATED);
		free(cut);
	}
	/* two packets back to back on a stream: the first is read, its length given */
	memcpy(buf + n, buf, n);
	assert_int_equal(np_hep_decode(buf, 2 * n, false, &m, &used), NP_HEP_OK);
	assert_int_equal(used, n);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Offset of the first chunk of @p type in a v3 packet. */
static size_t find_chunk(const uint8_t *b, size_t n, uint16_t type)
{
	for (size_t off = 6; off + 6 <= n;) {
		uint16_t t = (uint16_t)(b[off + 2] << 8 | b[off + 3]);
		uint16_t l = (uint16_t)(b[off + 4] << 8 | b[off + 5]);

		if (t == type)
			return off;
		off += l;
	}
	fail();
	return 0;
}

static int decode_copy(const uint8_t *b, size_t n)
{
	struct np_hep_msg m;
	size_t used;

	return np_hep_decode(b, n, true, &m, &used);
}

/* Lengths that cannot be, sizes wrong for a type, chunks missing or unknown. */
static void test_corruption(void **state)
{
	uint8_t orig[2048], b[2048];
	size_t n = fixture("kamailio-v3-1.hep", orig, sizeof(orig)), off;
	struct np_hep_msg m;
	size_t used;

	(void)state;
	/* total length below the header */
	memcpy(b, orig, n);
	put16(b + 4, 5);
	assert_int_equal(decode_copy(b, n), NP_HEP_E_LENGTH);
	assert_int_equal(np_hep_frame(b, n), -1);
	/* a chunk length below its header, and one past the packet */
	memcpy(b, orig, n);
	off = find_chunk(b, n, NP_HEP_C_SRC_PORT);
	put16(b + off + 4, 5);
	assert_int_equal(decode_copy(b, n), NP_HEP_E_LENGTH);
	put16(b + off + 4, (uint16_t)(n - off + 1));
	assert_int_equal(decode_copy(b, n), NP_HEP_E_LENGTH);
	/* total length shorter than the chunks: the last chunk crosses it */
	memcpy(b, orig, n);
	put16(b + 4, (uint16_t)(n - 3));
	assert_int_equal(decode_copy(b, n), NP_HEP_E_LENGTH);
	/* a port of 3 bytes: the chunk is 9 long, the next is read from there */
	memcpy(b, orig, n);
	off = find_chunk(b, n, NP_HEP_C_IP_FAMILY);
	put16(b + off + 4, 8);
	assert_int_equal(decode_copy(b, n), NP_HEP_E_CHUNK);
	/* an unknown family */
	memcpy(b, orig, n);
	b[find_chunk(b, n, NP_HEP_C_IP_FAMILY) + 6] = 3;
	assert_int_equal(decode_copy(b, n), NP_HEP_E_ADDRESS);
	/* microseconds past a second */
	memcpy(b, orig, n);
	off = find_chunk(b, n, NP_HEP_C_TS_USEC);
	memset(b + off + 6, 0xff, 4);
	assert_int_equal(decode_copy(b, n), NP_HEP_E_CHUNK);
	/* no payload: its chunk turned into a vendor's */
	memcpy(b, orig, n);
	off = find_chunk(b, n, NP_HEP_C_PAYLOAD);
	put16(b + off, 0x0bad);
	assert_int_equal(np_hep_decode(b, n, true, &m, &used), NP_HEP_E_PAYLOAD);
	/* an unknown chunk (a vendor's, or a type not read) is skipped and counted */
	memcpy(b, orig, n);
	put16(b + find_chunk(b, n, NP_HEP_C_CAPTURE_ID) + 2, 0x0077);
	assert_int_equal(np_hep_decode(b, n, true, &m, &used), NP_HEP_OK);
	assert_int_equal(m.unknown_chunks, 1);
	assert_false(m.has_capture_id);
	/* not HEP, another HEP version */
	assert_int_equal(decode_copy((const uint8_t *)"HELLO", 5), NP_HEP_E_NOT_HEP);
	assert_int_equal(decode_copy((const uint8_t *)"HEP4\0\6", 6), NP_HEP_E_VERSION);
	assert_int_equal(decode_copy((const uint8_t *)"", 0), NP_HEP_E_TRUNCATED);
	assert_string_equal(np_hep_err_name(NP_HEP_E_CHUNK), "bad_chunk");
	assert_string_equal(np_hep_err_name(NP_HEP_E_MAX), "invalid");
}

/* A stream out of step finds the next "HEP3". */
static void test_resync(void **state)
{
	uint8_t buf[4096];
	size_t n = fixture("kamailio-v3-1.hep", buf + 7, sizeof(buf) - 7), at;

	(void)state;
	memcpy(buf, "xxHEPxx", 7);
	assert_int_equal(np_hep_frame(buf, n + 7), -1);
	at = np_hep_resync(buf, n + 7);
	assert_int_equal(at, 7);
	assert_int_equal(np_hep_frame(buf + at, n), (long)n);
	/* a partial magic at the end is kept for the next read */
	assert_int_equal(np_hep_resync((const uint8_t *)"abcHE", 5), 3);
	assert_int_equal(np_hep_resync((const uint8_t *)"abcd", 4), 4);
}

/* ---- HEP over TCP: np_hep_cut() and the capture follower (np_hep_tcp.h) ---- */

struct got {
	unsigned int n;
	size_t len[16];
	uint64_t ts[16];
};

static void on_cut(void *ctx, const uint8_t *p, size_t n)
{
	struct got *g = ctx;

	assert_memory_equal(p, "HEP3", 4);
	if (g->n < 16)
		g->len[g->n] = n;
	g->n++;
}

/* The one framer: whole packets out, garbage counted, a partial packet left. */
static void test_cut(void **state)
{
	uint8_t buf[4096];
	size_t n = fixture("kamailio-v3-1.hep", buf + 5, 1000), used;
	struct got g = { 0 };
	uint64_t resync = 0;

	(void)state;
	memcpy(buf, "junk!", 5);
	memcpy(buf + 5 + n, buf + 5, n);
	used = np_hep_cut(buf, 5 + 2 * n - 10, on_cut, &g, &resync);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.len[0], n);
	assert_int_equal(resync, 5);
	assert_int_equal(used, 5 + n); /* the second packet, cut short, waits */
	used = np_hep_cut(buf + used, n, on_cut, &g, &resync);
	assert_int_equal(g.n, 2);
	assert_int_equal(used, n);
	/* "HE" at the end may start a packet: kept */
	assert_int_equal(np_hep_cut((const uint8_t *)"xyzHE", 5, on_cut, &g, &resync), 3);
}

static void on_tcp(void *ctx, const uint8_t *p, size_t n, uint64_t ts_ns)
{
	struct got *g = ctx;

	assert_memory_equal(p, "HEP3", 4);
	if (g->n < 16) {
		g->len[g->n] = n;
		g->ts[g->n] = ts_ns;
	}
	g->n++;
}

/* One segment of the agent 10.0.0.1:40001 -> 10.0.0.254:9060 (or its answer). */
static void seg(struct np_hep_tcp *t, uint8_t flags, uint32_t seq, const uint8_t *p, uint32_t n,
		uint64_t ts, bool to_port)
{
	struct np_pkt_info pi;

	memset(&pi, 0, sizeof(pi));
	pi.cls = NP_PKT_TCP;
	v4(to_port ? &pi.src : &pi.dst, "10.0.0.1");
	v4(to_port ? &pi.dst : &pi.src, "10.0.0.254");
	pi.sport = to_port ? 40001 : 9060;
	pi.dport = to_port ? 9060 : 40001;
	pi.tcp_flags = flags;
	pi.tcp_seq = seq;
	np_hep_tcp_segment(t, &pi, p, n, to_port, ts);
}

#define SYN 0x02
#define FIN 0x01
#define RST 0x04
#define SEC 1000000000ull

/* In order, a retransmission, segments swapped: every packet once, in order, counted. */
static void test_tcp_follow(void **state)
{
	uint8_t pk[2048], st[8192];
	size_t n = fixture("kamailio-v3-1.hep", pk, sizeof(pk));
	struct got g = { 0 };
	struct np_hep_tcp *t = np_hep_tcp_create(4, on_tcp, &g);
	const struct np_hep_tcp_stats *s = np_hep_tcp_stats(t);
	uint32_t isn = 4294967000u; /* the sequence numbers wrap inside the stream */

	(void)state;
	for (int i = 0; i < 3; i++)
		memcpy(st + i * n, pk, n);
	seg(t, SYN, isn, NULL, 0, SEC, true);
	seg(t, SYN, isn, NULL, 0, SEC, true); /* the SYN again */
	seg(t, 0, isn + 1, st, 100, SEC + 1, true);
	seg(t, 0, isn + 1, st, 100, SEC + 2, true); /* retransmitted */
	seg(t, 0, isn + 1 + 300, st + 300, (uint32_t)(2 * n - 300), SEC + 3, true); /* ahead */
	assert_int_equal(g.n, 0);
	seg(t, 0, isn + 1 + 50, st + 50, 250, SEC + 4, true); /* the hole, old bytes first */
	assert_int_equal(g.n, 2);
	assert_int_equal(g.len[0], n);
	assert_int_equal(g.ts[1], SEC + 4);
	seg(t, FIN, isn + 1 + (uint32_t)(2 * n), st + 2 * n, (uint32_t)n, SEC + 5, true);
	assert_int_equal(g.n, 3);
	assert_int_equal(s->connections, 1);
	assert_int_equal(s->midstream, 0);
	assert_int_equal(s->packets, 3);
	assert_int_equal(s->retransmits, 2);
	assert_int_equal(s->reordered, 1);
	assert_int_equal(s->gaps + s->resync_bytes + s->cut_bytes + s->evicted, 0);
	np_hep_tcp_destroy(t);
}

/* Begun before the capture, a hole never filled, an end mid-packet: read past, counted. */
static void test_tcp_damaged(void **state)
{
	uint8_t pk[2048], st[8192];
	size_t n = fixture("kamailio-v3-1.hep", pk, sizeof(pk));
	struct got g = { 0 };
	struct np_hep_tcp *t = np_hep_tcp_create(1, on_tcp, &g);
	const struct np_hep_tcp_stats *s = np_hep_tcp_stats(t);

	(void)state;
	for (int i = 0; i < 4; i++)
		memcpy(st + i * n, pk, n);
	/* no SYN; the first bytes are the end of a packet */
	seg(t, 0, 5000, st + n - 20, 20 + (uint32_t)n, SEC, true);
	assert_int_equal(g.n, 1);
	assert_int_equal(s->midstream, 1);
	assert_int_equal(s->resync_bytes, 20);
	/* the next packet's first 30 bytes never captured; its rest held, then given up */
	seg(t, 0, 5000 + 20 + (uint32_t)n + 30, st + 30, (uint32_t)n - 30 + 10, SEC, true);
	assert_int_equal(g.n, 1);
	seg(t, 0, 5000 + 20 + 2 * (uint32_t)n + 10, st + 10, 40, 3 * SEC, true); /* 2 s on */
	assert_int_equal(s->gaps, 1);
	assert_int_equal(s->gap_bytes, 30);
	assert_int_equal(g.n, 1); /* the cut packet is lost, the next is not whole yet */
	/* the collector resets: the 50 bytes of the next packet are left unfinished */
	seg(t, RST, 9060, NULL, 0, 3 * SEC, false);
	assert_int_equal(s->cut_bytes, 50);
	/* a second connection while the first is open: the table (1) evicts it */
	seg(t, SYN, 1, NULL, 0, 4 * SEC, true);
	seg(t, 0, 2, pk, (uint32_t)n - 1, 4 * SEC, true);
	{
		struct np_pkt_info pi;

		memset(&pi, 0, sizeof(pi));
		pi.cls = NP_PKT_TCP;
		v4(&pi.src, "10.0.0.2");
		v4(&pi.dst, "10.0.0.254");
		pi.sport = 40002;
		pi.dport = 9060;
		pi.tcp_seq = 77;
		np_hep_tcp_segment(t, &pi, pk, (uint32_t)n, true, 5 * SEC);
	}
	assert_int_equal(s->evicted, 1);
	assert_int_equal(s->cut_bytes, 50 + n - 1);
	np_hep_tcp_finish(t, 6 * SEC);
	assert_int_equal(g.n, 2);
	assert_int_equal(s->connections, 3);
	assert_int_equal(s->packets, g.n);
	np_hep_tcp_destroy(t);
	assert_null(np_hep_tcp_create(0, on_tcp, &g));
}

/* Another protocol on the HEP port: told apart at its first data, left to the caller. */
static void test_tcp_not_hep(void **state)
{
	static const uint8_t http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	uint8_t pk[2048];
	size_t n = fixture("kamailio-v3-1.hep", pk, sizeof(pk));
	struct got g = { 0 };
	struct np_hep_tcp *t = np_hep_tcp_create(4, on_tcp, &g);
	const struct np_hep_tcp_stats *s = np_hep_tcp_stats(t);
	struct np_pkt_info pi;

	(void)state;
	/* seen from its SYN: the handshake is undecided, the first byte decides */
	seg(t, SYN, 100, NULL, 0, SEC, true);
	seg(t, SYN | 0x10, 9000, NULL, 0, SEC, false);
	memset(&pi, 0, sizeof(pi));
	pi.cls = NP_PKT_TCP;
	v4(&pi.src, "10.0.0.1");
	v4(&pi.dst, "10.0.0.254");
	pi.sport = 40001;
	pi.dport = 9060;
	pi.tcp_seq = 101;
	assert_int_equal(np_hep_tcp_segment(t, &pi, http, sizeof(http) - 1, true, SEC),
			 NP_HEP_TCP_NOT_HEP);
	pi.tcp_seq = 101 + sizeof(http) - 1;
	assert_int_equal(np_hep_tcp_segment(t, &pi, pk, (uint32_t)n, true, SEC),
			 NP_HEP_TCP_NOT_HEP); /* even if HEP follows: not followed */
	/* begun before the capture: four data segments without "HEP3" */
	pi.sport = 40002;
	for (int i = 0; i < NP_HEP_TCP_PROBES; i++) {
		pi.tcp_seq = 5000 + (uint32_t)i * 20;
		assert_int_equal(np_hep_tcp_segment(t, &pi, pk + 8, 20, true, SEC),
				 i + 1 < NP_HEP_TCP_PROBES ? NP_HEP_TCP_UNDECIDED
							   : NP_HEP_TCP_NOT_HEP);
	}
	assert_int_equal(g.n, 0);
	assert_int_equal(s->connections + s->midstream + s->packets + s->resync_bytes, 0);
	/* begun before the capture, inside a packet: HEP at the second segment */
	pi.sport = 40003;
	pi.tcp_seq = 7000;
	assert_int_equal(np_hep_tcp_segment(t, &pi, pk + 8, 20, true, SEC), NP_HEP_TCP_UNDECIDED);
	pi.tcp_seq = 7020;
	memcpy(pk + n, pk, n);
	assert_int_equal(np_hep_tcp_segment(t, &pi, pk + 28, (uint32_t)(2 * n - 28), true, SEC),
			 NP_HEP_TCP_CARRIER);
	assert_int_equal(g.n, 1);
	assert_int_equal(s->midstream, 1);
	assert_int_equal(s->resync_bytes, n - 8); /* 20 before, n - 28 in the second */
	np_hep_tcp_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kamailio_v3), cmocka_unit_test(test_kamailio_v2),
		cmocka_unit_test(test_roundtrip),   cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_corruption),  cmocka_unit_test(test_resync),
		cmocka_unit_test(test_cut),	    cmocka_unit_test(test_tcp_follow),
		cmocka_unit_test(test_tcp_damaged), cmocka_unit_test(test_tcp_not_hep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
