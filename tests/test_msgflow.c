/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/inspect/msgflow.c: connections and fingerprints learned from SIP
 * messages without packets (HEP). Real SIP text, parsed by lib/sip.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "msgflow.h"

#define MAX_EV 64

struct sink {
	unsigned int n;
	struct np_flow_event ev[MAX_EV];
};

static struct np_sip_db *db;
static struct np_sip_scratch *scratch;

static void emit(void *ctx, const struct np_flow_event *ev)
{
	struct sink *s = ctx;

	if (s->n < MAX_EV)
		s->ev[s->n] = *ev;
	s->n++;
}

static int setup(void **state)
{
	char err[256];

	(void)state;
	db = np_sip_db_create(err, sizeof(err));
	scratch = db ? np_sip_scratch_clone(db) : NULL;
	return scratch == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	np_sip_scratch_destroy(scratch);
	np_sip_db_destroy(db);
	return 0;
}

static struct np_addr v4(const char *s)
{
	struct np_addr a;
	struct in_addr in;

	inet_pton(AF_INET, s, &in);
	np_addr_from_v4(&a, in.s_addr);
	return a;
}

static const char OPTIONS[] = "OPTIONS sip:e@10.0.10.2:7003 SIP/2.0\r\n"
			      "Via: SIP/2.0/TCP 10.0.30.2:5070;branch=z9hG4bKabc\r\n"
			      "From: <sip:c@10.0.30.2>;tag=1\r\nTo: <sip:e@10.0.10.2>\r\n"
			      "Call-ID: keepalive-1@c\r\nCSeq: 7 OPTIONS\r\n"
			      "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
static const char OK200[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/TCP 10.0.30.2:5070;branch=z9hG4bKabc\r\n"
	"From: <sip:c@10.0.30.2>;tag=1\r\nTo: <sip:e@10.0.10.2>;tag=2\r\n"
	"Call-ID: keepalive-1@c\r\nCSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n";

/* One message through det_msgflow_message(). */
static void feed(struct det_msgflow *mf, struct sink *s, const char *text, uint8_t seg,
		 const char *src, uint16_t sport, const char *dst, uint16_t dport, uint8_t proto,
		 uint64_t ts)
{
	struct np_flow_msg fm = {
		.data = (const uint8_t *)text,
		.len = (uint32_t)strlen(text),
		.segment = seg,
		.proto = proto,
		.flags = NP_FLOW_MSG_F_NO_FLOW,
		.sport = sport,
		.dport = dport,
		.src = v4(src),
		.dst = v4(dst),
		.ts_ns = ts,
	};
	struct np_sip_msg m;

	assert_int_equal(np_sip_parse(db, scratch, fm.data, fm.len, &m), 0);
	det_msgflow_message(mf, &fm, &m, emit, s);
}

static struct det_msgflow *make(uint32_t cap)
{
	struct np_flow_conf fc;
	struct det_msgflow *mf;

	memset(&fc, 0, sizeof(fc));
	fc.tcp_idle_ns = 10ull * 1000000000;
	fc.udp_idle_ns = 5ull * 1000000000;
	fc.n_sip_ports = 1;
	fc.sip_ports[0] = 7003;
	mf = det_msgflow_create(&fc, cap);
	assert_non_null(mf);
	return mf;
}

/* The first request on a connection: NEW from the client (by server port), then FINGERPRINT. */
static void test_new_then_fingerprint(void **state)
{
	struct det_msgflow *mf = make(64);
	struct sink s = { 0 };
	struct np_addr c = v4("10.0.30.2"), e = v4("10.0.10.2");

	(void)state;
	feed(mf, &s, OPTIONS, 1, "10.0.30.2", 5070, "10.0.10.2", 7003, NP_IPPROTO_TCP, 100);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ev[0].type, NP_FLOW_EV_NEW);
	assert_int_equal(s.ev[0].segment, 1);
	assert_memory_equal(&s.ev[0].src, &c, sizeof(c));
	assert_int_equal(s.ev[0].sport, 5070);
	assert_memory_equal(&s.ev[0].dst, &e, sizeof(e));
	assert_int_equal(s.ev[0].dport, 7003);
	assert_int_equal(s.ev[1].type, NP_FLOW_EV_FINGERPRINT);
	assert_int_equal(s.ev[1].dir, 0);
	assert_int_equal(s.ev[1].fp.len, 0);
	assert_int_not_equal(s.ev[1].fp.hash, 0);
	/* the same request again, and its response: no new event */
	feed(mf, &s, OPTIONS, 1, "10.0.30.2", 5070, "10.0.10.2", 7003, NP_IPPROTO_TCP, 200);
	feed(mf, &s, OK200, 1, "10.0.10.2", 7003, "10.0.30.2", 5070, NP_IPPROTO_TCP, 300);
	assert_int_equal(s.n, 2);
	det_msgflow_destroy(mf);
}

/*
 * The same request seen by two agents, with two tuples (through a NAT): same key.
 * A response first on a connection orients it by the server port all the same.
 */
static void test_same_message_two_segments(void **state)
{
	struct det_msgflow *mf = make(64);
	struct sink s = { 0 };
	struct np_addr pub = v4("198.51.100.10");

	(void)state;
	feed(mf, &s, OPTIONS, 1, "10.0.30.2", 5070, "198.51.100.10", 7003, NP_IPPROTO_TCP, 100);
	feed(mf, &s, OK200, 2, "10.0.10.2", 7003, "198.51.100.10", 4401, NP_IPPROTO_TCP, 150);
	feed(mf, &s, OPTIONS, 2, "198.51.100.10", 4401, "10.0.10.2", 7003, NP_IPPROTO_TCP, 160);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.ev[2].type, NP_FLOW_EV_NEW);
	assert_int_equal(s.ev[2].segment, 2);
	assert_memory_equal(&s.ev[2].src, &pub, sizeof(pub)); /* the client, though it answered */
	assert_int_equal(s.ev[2].sport, 4401);
	assert_int_equal(s.ev[3].type, NP_FLOW_EV_FINGERPRINT);
	assert_int_equal(s.ev[3].dir, 0);
	assert_true(s.ev[1].fp.hash == s.ev[3].fp.hash);
	det_msgflow_destroy(mf);
}

/* A different message (CSeq) has a different key; a changed body too. */
static void test_key_differs(void **state)
{
	struct det_msgflow *mf = make(64);
	struct sink s = { 0 };
	char other[sizeof(OPTIONS)];

	(void)state;
	memcpy(other, OPTIONS, sizeof(OPTIONS));
	*strstr(other, "CSeq: 7") = 'c'; /* "cSeq" is still CSeq: same key */
	feed(mf, &s, OPTIONS, 1, "10.0.30.2", 5070, "10.0.10.2", 7003, NP_IPPROTO_UDP, 100);
	feed(mf, &s, other, 2, "10.0.30.3", 5070, "10.0.10.2", 7003, NP_IPPROTO_UDP, 100);
	memcpy(strstr(other, "7 OPTIONS"), "8", 1);
	feed(mf, &s, other, 3, "10.0.30.4", 5070, "10.0.10.2", 7003, NP_IPPROTO_UDP, 100);
	assert_int_equal(s.n, 6);
	assert_true(s.ev[1].fp.hash == s.ev[3].fp.hash);
	assert_true(s.ev[1].fp.hash != s.ev[5].fp.hash);
	det_msgflow_destroy(mf);
}

/* Idle connections leave with EXPIRED (idle), by their protocol's timeout. */
static void test_expire_idle(void **state)
{
	struct det_msgflow *mf = make(16);
	struct sink s = { 0 };
	const uint64_t sec = 1000000000ull;

	(void)state;
	feed(mf, &s, OPTIONS, 1, "10.0.30.2", 5070, "10.0.10.2", 7003, NP_IPPROTO_TCP, sec);
	feed(mf, &s, OPTIONS, 1, "10.0.30.2", 5071, "10.0.10.2", 7003, NP_IPPROTO_UDP, sec);
	assert_int_equal(s.n, 4);
	assert_int_equal(det_msgflow_expire(mf, 7 * sec, 64, emit, &s), 1); /* UDP: 5 s */
	assert_int_equal(s.ev[4].type, NP_FLOW_EV_EXPIRED);
	assert_int_equal(s.ev[4].proto, NP_IPPROTO_UDP);
	assert_int_equal(s.ev[4].expired.reason, NP_FLOW_EXP_IDLE);
	assert_int_equal(det_msgflow_expire(mf, 12 * sec, 64, emit, &s), 1); /* TCP: 10 s */
	assert_int_equal(s.ev[5].proto, NP_IPPROTO_TCP);
	assert_int_equal(det_msgflow_expire(mf, 100 * sec, 64, emit, &s), 0);
	det_msgflow_destroy(mf);
}

/* A full table evicts the oldest connection it probes: EXPIRED (evicted) before NEW. */
static void test_evict_when_full(void **state)
{
	struct det_msgflow *mf = make(16);
	struct sink s = { 0 };
	unsigned int news = 0, evicted = 0;
	char src[32];

	(void)state;
	for (unsigned int i = 0; i < 20; i++) {
		snprintf(src, sizeof(src), "10.0.30.%u", i + 1);
		feed(mf, &s, OPTIONS, 1, src, 5070, "10.0.10.2", 7003, NP_IPPROTO_UDP, 100 + i);
	}
	for (unsigned int i = 0; i < s.n && i < MAX_EV; i++) {
		news += s.ev[i].type == NP_FLOW_EV_NEW;
		if (s.ev[i].type == NP_FLOW_EV_EXPIRED) {
			evicted++;
			assert_int_equal(s.ev[i].expired.reason, NP_FLOW_EXP_EVICTED);
			assert_int_equal(s.ev[i + 1].type, NP_FLOW_EV_NEW);
		}
	}
	assert_int_equal(news, 20);
	assert_int_equal(evicted, 4);
	det_msgflow_destroy(mf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_then_fingerprint),
		cmocka_unit_test(test_same_message_two_segments),
		cmocka_unit_test(test_key_differs),
		cmocka_unit_test(test_expire_idle),
		cmocka_unit_test(test_evict_when_full),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
