/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/flow. Frames are built byte by byte below and parsed
 * with np_pkt_parse(), so the real packet parser feeds the flow table; a
 * recording sink keeps every event and a copy of every SIP message.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "np_flow.h"
#include "np_pkt.h"

#include "frames.h"

#define MS 1000000ull
#define SEC 1000000000ull

/* ---- frame builder ------------------------------------------------------------------------- */

struct fb {
	uint8_t b[24000];
	uint32_t len;
};

static void mk_tcp(struct fb *f, const char *src, uint16_t sport, const char *dst, uint16_t dport,
		   uint8_t flags, uint32_t seq, uint32_t ack, const void *pl, uint32_t n)
{
	assert_true(14 + 40 + 20 + n <= sizeof(f->b));
	f->len = tf_tcp(f->b, src, sport, dst, dport, flags, seq, ack, pl, n);
	assert_true(f->len > 0);
}

static void mk_udp(struct fb *f, const char *src, uint16_t sport, const char *dst, uint16_t dport,
		   const void *pl, uint32_t n)
{
	assert_true(14 + 40 + 8 + n <= sizeof(f->b));
	f->len = tf_udp(f->b, src, sport, dst, dport, pl, n);
	assert_true(f->len > 0);
}

static void mk_icmp_unreach(struct fb *f, const char *router, const char *src, uint16_t sport,
			    const char *dst, uint16_t dport, uint8_t code, uint32_t seq)
{
	f->len = tf_icmp_unreach(f->b, router, src, sport, dst, dport, code, seq);
	assert_true(f->len > 0);
}

/* ---- recording sink ------------------------------------------------------------------------ */

#define REC_EV 512
#define REC_MSG 64
#define REC_MSG_LEN 24000

struct rec_msg {
	struct np_flow_msg m;
	uint8_t data[REC_MSG_LEN];
};

static struct {
	struct np_flow_event ev[REC_EV];
	unsigned int n_ev;
	struct rec_msg msg[REC_MSG];
	unsigned int n_msg;
} rec;

static void rec_event(void *ctx, const struct np_flow_event *ev)
{
	(void)ctx;
	assert_true(rec.n_ev < REC_EV);
	rec.ev[rec.n_ev++] = *ev;
}

static void rec_sip(void *ctx, const struct np_flow_msg *m)
{
	struct rec_msg *r;

	(void)ctx;
	assert_true(rec.n_msg < REC_MSG);
	assert_true(m->len <= REC_MSG_LEN);
	r = &rec.msg[rec.n_msg++];
	r->m = *m;
	memcpy(r->data, m->data, m->len);
}

static const struct np_flow_sink sink = { rec_event, rec_sip, NULL, NULL };

static void rec_reset(void)
{
	rec.n_ev = 0;
	rec.n_msg = 0;
}

/* Events of one type recorded so far. */
static unsigned int n_events(unsigned int type)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < rec.n_ev; i++)
		n += rec.ev[i].type == type;
	return n;
}

/* The last event of @p type (fails the test when there is none). */
static const struct np_flow_event *last_event(unsigned int type)
{
	for (unsigned int i = rec.n_ev; i-- > 0;)
		if (rec.ev[i].type == type)
			return &rec.ev[i];
	fail_msg("no %s event", np_flow_ev_name(type));
	return NULL;
}

/* ---- helpers ------------------------------------------------------------------------------- */

static struct np_flow_conf conf_default(void)
{
	struct np_flow_conf c;

	memset(&c, 0, sizeof(c));
	c.size = 64;
	c.reasm_buffers = 8;
	c.tcp_idle_ns = 60 * SEC;
	c.udp_idle_ns = 16 * SEC;
	c.syn_timeout_ns = 3 * SEC;
	c.grace_ns = 16 * SEC;
	c.sip_ports[0] = 5060;
	c.sip_ports[1] = 5061;
	c.n_sip_ports = 2;
	return c;
}

static struct np_flow_table *table_new(uint32_t size, uint32_t bufs)
{
	struct np_flow_conf c = conf_default();
	struct np_flow_table *t;

	c.size = size;
	c.reasm_buffers = bufs;
	t = np_flow_table_create(&c);
	assert_non_null(t);
	rec_reset();
	return t;
}

static int feed_seg(struct np_flow_table *t, uint8_t seg, const struct fb *f, uint64_t now)
{
	struct np_pkt_info pi;

	np_pkt_parse(f->b, f->len, &pi);
	return np_flow_process(t, seg, &pi, f->b, now, &sink);
}

static int feed(struct np_flow_table *t, const struct fb *f, uint64_t now)
{
	return feed_seg(t, 0, f, now);
}

static const struct np_flow_stats *st(const struct np_flow_table *t)
{
	return np_flow_stats(t);
}

static struct np_addr addr(const char *s)
{
	struct np_addr a;
	uint8_t v4[4];

	memset(&a, 0, sizeof(a));
	if (tf_is_v6(s)) {
		assert_int_equal(inet_pton(AF_INET6, s, a.b), 1);
	} else {
		assert_int_equal(inet_pton(AF_INET, s, v4), 1);
		a.b[10] = a.b[11] = 0xff;
		memcpy(a.b + 12, v4, 4);
	}
	return a;
}

static void assert_addr(const struct np_addr *a, const char *s)
{
	struct np_addr b = addr(s);

	assert_memory_equal(a->b, b.b, 16);
}

#define C_IP "10.0.30.2"
#define S_IP "10.0.10.2"
#define C_PORT 27901
#define S_PORT 5060
#define ISN_C 1000u
#define ISN_S 900000u

static struct fb F;

/* Client SYN, server SYN-ACK: the stream starts at ISN_C + 1 / ISN_S + 1. */
static void handshake(struct np_flow_table *t, const char *c, uint16_t cp, const char *s,
		      uint16_t sp, uint64_t now)
{
	mk_tcp(&F, c, cp, s, sp, 0x02, ISN_C, 0, NULL, 0);
	assert_int_equal(feed(t, &F, now), 0);
	mk_tcp(&F, s, sp, c, cp, 0x12, ISN_S, ISN_C + 1, NULL, 0);
	assert_int_equal(feed(t, &F, now + 1 * MS), 0);
}

/* Client data at stream offset @p off (from ISN_C + 1). */
static void client_data(struct np_flow_table *t, uint16_t cp, uint32_t off, const void *p,
			uint32_t n, uint64_t now)
{
	mk_tcp(&F, C_IP, cp, S_IP, S_PORT, 0x18, ISN_C + 1 + off, ISN_S + 1, p, n);
	assert_int_equal(feed(t, &F, now), 0);
}

static const char OPTIONS_MSG[] = "OPTIONS sip:serviceserver@cucm02.example.local SIP/2.0\r\n"
				  "Via: SIP/2.0/TCP 10.0.30.2:27901;branch=z9hG4bK-1;rport\r\n"
				  "From: <sip:c@example.local>;tag=a1\r\n"
				  "To: <sip:serviceserver@cucm02.example.local>\r\n"
				  "Call-ID: abcd12345678@127.0.0.1\r\n"
				  "CSeq: 4616 OPTIONS\r\n"
				  "Content-Length: 0\r\n"
				  "\r\n";

static const char RESPONSE_MSG[] = "SIP/2.0 200 OK\r\n"
				   "Via: SIP/2.0/TCP 10.0.30.2:27901;branch=z9hG4bK-1;rport\r\n"
				   "Call-ID: abcd12345678@127.0.0.1\r\n"
				   "CSeq: 4616 OPTIONS\r\n"
				   "l: 0\r\n"
				   "\r\n";

/* An INVITE with a body of @p body_len bytes; returns its length. */
static uint32_t mk_invite(char *out, size_t size, uint32_t body_len)
{
	int n = snprintf(out, size,
			 "INVITE sip:bob@example.com SIP/2.0\r\n"
			 "Via: SIP/2.0/TCP 10.0.30.2:27901;branch=z9hG4bK-2\r\n"
			 "Call-ID: invite-1@10.0.30.2\r\n"
			 "CSeq: 1 INVITE\r\n"
			 "Content-Type: application/sdp\r\n"
			 "Content-Length: %u\r\n"
			 "\r\n",
			 body_len);

	assert_true(n > 0 && (size_t)n + body_len <= size);
	/* SDP-like lines of 64 bytes, ending with CRLF */
	for (uint32_t i = 0; i < body_len; i++)
		out[n + i] = i % 64 == 62 ? '\r' : i % 64 == 63 ? '\n' : (char)('a' + i % 26);
	if (body_len >= 2)
		memcpy(out + n + body_len - 2, "\r\n", 2);
	return (uint32_t)n + body_len;
}

/* ---- table basics -------------------------------------------------------------------------- */

static void test_create_invalid(void **state)
{
	struct np_flow_conf c = conf_default();

	(void)state;
	assert_null(np_flow_table_create(NULL));
	c.size = 0;
	errno = 0;
	assert_null(np_flow_table_create(&c));
	assert_int_equal(errno, EINVAL);
	c = conf_default();
	c.size = NP_FLOW_MAX_SIZE + 1;
	assert_null(np_flow_table_create(&c));
	c = conf_default();
	c.n_sip_ports = NP_FLOW_MAX_SIP_PORTS + 1;
	assert_null(np_flow_table_create(&c));
	c = conf_default();
	c.reasm_buffers = NP_FLOW_MAX_REASM_BUFFERS + 1;
	assert_null(np_flow_table_create(&c));
	assert_int_equal(errno, EINVAL);
}

struct alloc_ctx {
	unsigned int allocs;
	unsigned int frees;
	unsigned int fail_at; /* fail the n-th allocation (1-based); 0 never */
};

static void *my_alloc(size_t size, size_t align, void *ctx)
{
	struct alloc_ctx *a = ctx;
	void *p = NULL;

	a->allocs++;
	if (a->fail_at && a->allocs == a->fail_at)
		return NULL;
	assert_int_equal(posix_memalign(&p, align, size), 0);
	return p;
}

static void my_free(void *p, void *ctx)
{
	struct alloc_ctx *a = ctx;

	a->frees++;
	free(p);
}

static void test_custom_allocator(void **state)
{
	struct np_flow_conf c = conf_default();
	struct alloc_ctx a = { 0, 0, 0 };
	struct np_flow_table *t;

	(void)state;
	c.alloc = my_alloc;
	c.free = NULL;
	assert_null(np_flow_table_create(&c));
	assert_int_equal(errno, EINVAL);
	c.free = my_free;
	c.alloc_ctx = &a;
	t = np_flow_table_create(&c);
	assert_non_null(t);
	assert_true(a.allocs >= 4);
	assert_true(np_flow_table_mem(t) >= 64 * 96 + 8 * NP_FLOW_REASM_BUF_LEN);
	np_flow_table_destroy(t);
	assert_int_equal(a.allocs, a.frees);

	/* every allocation failing in turn: ENOMEM, nothing leaked */
	for (unsigned int i = 1; i <= 7; i++) {
		a = (struct alloc_ctx){ 0, 0, i };
		errno = 0;
		assert_null(np_flow_table_create(&c));
		assert_int_equal(errno, ENOMEM);
		assert_int_equal(a.allocs - 1, a.frees);
	}
}

static void test_stat_names(void **state)
{
	(void)state;
	const struct np_ctr_desc *r = np_flow_counters.rows;
	struct np_flow_stats st;

	assert_int_equal(NP_FLOW_STATS_N, 24);
	assert_int_equal(np_flow_counters.n, NP_FLOW_STATS_N);
	/* gauges keep their name, counters take _total; each row finds its own field */
	assert_string_equal(r[0].name, "flows_active");
	assert_int_equal(r[0].type, NP_CTR_GAUGE);
	assert_string_equal(r[1].name, "flows_created_total");
	assert_int_equal(r[1].type, NP_CTR_COUNTER);
	assert_string_equal(r[NP_FLOW_STATS_N - 1].name, "reasm_buffers_in_use");
	memset(&st, 0, sizeof(st));
	st.tcp_refused_rst = 7;
	for (unsigned int i = 0; i < NP_FLOW_STATS_N; i++) {
		uint64_t v;

		assert_true(r[i].help != NULL && r[i].help[0] != '\0');
		memcpy(&v, (const uint8_t *)&st + r[i].off, sizeof(v));
		assert_int_equal(v, strcmp(r[i].name, "tcp_refused_rst_total") == 0 ? 7 : 0);
		for (unsigned int j = 0; j < i; j++)
			assert_string_not_equal(r[i].name, r[j].name);
	}
	assert_string_equal(np_flow_ev_name(NP_FLOW_EV_TCP_REFUSED), "tcp_refused");
	assert_string_equal(np_flow_ev_name(NP_FLOW_EV_MAX), "unknown");
	assert_string_equal(np_flow_tcp_state_name(NP_FLOW_TCP_SYN_SENT), "syn_sent");
}

static void test_bad_args(void **state)
{
	struct np_flow_table *t = table_new(8, 1);
	struct np_pkt_info pi;

	(void)state;
	mk_udp(&F, C_IP, 1000, S_IP, 2000, "x", 1);
	np_pkt_parse(F.b, F.len, &pi);
	assert_int_equal(np_flow_process(NULL, 0, &pi, F.b, 0, &sink), -EINVAL);
	assert_int_equal(np_flow_process(t, 0, NULL, F.b, 0, &sink), -EINVAL);
	assert_int_equal(np_flow_process(t, 0, &pi, NULL, 0, &sink), -EINVAL);
	/* a runt is not for the flow table */
	np_pkt_parse(F.b, 10, &pi);
	assert_int_equal(np_flow_process(t, 0, &pi, F.b, 0, &sink), -ENOTSUP);
	/* a sink may be NULL */
	np_pkt_parse(F.b, F.len, &pi);
	assert_int_equal(np_flow_process(t, 0, &pi, F.b, 0, NULL), 0);
	assert_int_equal(st(t)->flows_active, 1);
	assert_int_equal(np_flow_expire(NULL, 0, 10, NULL), 0);
	np_flow_table_destroy(t);
}

/* ---- TCP outcomes -------------------------------------------------------------------------- */

static void test_tcp_handshake_established(void **state)
{
	struct np_flow_table *t = table_new(16, 2);
	const struct np_flow_event *ev;
	struct np_flow_info fi;

	(void)state;
	handshake(t, C_IP, C_PORT, S_IP, S_PORT, 1 * SEC);
	assert_int_equal(n_events(NP_FLOW_EV_NEW), 1);
	ev = last_event(NP_FLOW_EV_TCP_ESTABLISHED);
	assert_int_equal(ev->est.syn_ns, 1 * SEC);
	assert_int_equal(ev->est.synack_ns, 1 * SEC + 1 * MS);
	assert_int_equal(ev->est.syn_retx, 0);
	assert_int_equal(ev->proto, 6);
	assert_addr(&ev->src, C_IP);
	assert_addr(&ev->dst, S_IP);
	assert_int_equal(ev->sport, C_PORT);
	assert_int_equal(ev->dport, S_PORT);
	assert_int_equal(st(t)->tcp_established, 1);

	/* the flow as seen from the server side: direction 1, initiator still the client */
	struct np_addr s = addr(S_IP), c = addr(C_IP);

	assert_int_equal(np_flow_find(t, 0, 6, &s, S_PORT, &c, C_PORT, &fi), 0);
	assert_int_equal(fi.dir, 1);
	assert_int_equal(fi.sport, C_PORT);
	assert_int_equal(fi.tcp_state, NP_FLOW_TCP_ESTABLISHED);
	assert_true(fi.sip);

	/* a retransmitted SYN-ACK is not a second handshake */
	mk_tcp(&F, S_IP, S_PORT, C_IP, C_PORT, 0x12, ISN_S, ISN_C + 1, NULL, 0);
	feed(t, &F, 2 * SEC);
	assert_int_equal(n_events(NP_FLOW_EV_TCP_ESTABLISHED), 1);
	np_flow_table_destroy(t);
}

static void test_tcp_syn_rst_refused(void **state)
{
	struct np_flow_table *t = table_new(16, 2);
	const struct np_flow_event *ev;

	(void)state;
	mk_tcp(&F, C_IP, C_PORT, "64.100.0.10", 4401, 0x02, ISN_C, 0, NULL, 0);
	feed(t, &F, 5 * SEC);
	mk_tcp(&F, "64.100.0.10", 4401, C_IP, C_PORT, 0x14, 0, ISN_C + 1, NULL, 0);
	feed(t, &F, 5 * SEC + 200000);
	ev = last_event(NP_FLOW_EV_TCP_REFUSED);
	assert_int_equal(ev->refused.reason, NP_FLOW_REFUSED_RST);
	assert_int_equal(ev->refused.delay_ns, 200000);
	assert_int_equal(ev->refused.syn_ns, 5 * SEC);
	assert_addr(&ev->src, C_IP);
	assert_int_equal(ev->dport, 4401);
	assert_int_equal(st(t)->tcp_refused_rst, 1);
	assert_int_equal(n_events(NP_FLOW_EV_CLOSED), 0);
	/* nothing pending any more: no unanswered later */
	np_flow_expire(t, 9 * SEC, 100, &sink);
	assert_int_equal(n_events(NP_FLOW_EV_TCP_UNANSWERED), 0);
	np_flow_table_destroy(t);
}

static void test_tcp_rst_wrong_ack_ignored(void **state)
{
	struct np_flow_table *t = table_new(16, 2);

	(void)state;
	mk_tcp(&F, C_IP, C_PORT, S_IP, 80, 0x02, ISN_C, 0, NULL, 0);
	feed(t, &F, 1 * SEC);
	mk_tcp(&F, S_IP, 80, C_IP, C_PORT, 0x14, 0, ISN_C + 77, NULL, 0);
	feed(t, &F, 1 * SEC + 10);
	assert_int_equal(n_events(NP_FLOW_EV_TCP_REFUSED), 0);
	/* a pure RST with no flow creates nothing */
	mk_tcp(&F, C_IP, 1, S_IP, 2, 0x04, 5, 0, NULL, 0);
	assert_int_equal(feed(t, &F, 1 * SEC), -ENOTSUP);
	assert_int_equal(st(t)->flows_active, 1);
	np_flow_table_destroy(t);
}

static void test_tcp_syn_icmp_refused(void **state)
{
	struct np_flow_table *t = table_new(16, 2);
	const struct np_flow_event *ev;

	(void)state;
	mk_tcp(&F, C_IP, C_PORT, S_IP, 7003, 0x02, ISN_C, 0, NULL, 0);
	feed(t, &F, 1 * SEC);
	mk_icmp_unreach(&F, S_IP, C_IP, C_PORT, S_IP, 7003, 3, ISN_C);
	assert_int_equal(feed(t, &F, 1 * SEC + 3 * MS), 0);
	ev = last_event(NP_FLOW_EV_TCP_REFUSED);
	assert_int_equal(ev->refused.reason, NP_FLOW_REFUSED_ICMP);
	assert_int_equal(ev->refused.icmp_type, 3);
	assert_int_equal(ev->refused.icmp_code, 3);
	assert_int_equal(ev->refused.delay_ns, 3 * MS);
	assert_int_equal(ev->sport, C_PORT);
	assert_int_equal(st(t)->tcp_refused_icmp, 1);

	/* the same ICMP again matches no pending SYN; one for an unknown flow neither */
	feed(t, &F, 1 * SEC + 4 * MS);
	mk_icmp_unreach(&F, S_IP, C_IP, 1, S_IP, 2, 3, 0);
	feed(t, &F, 1 * SEC + 5 * MS);
	assert_int_equal(n_events(NP_FLOW_EV_TCP_REFUSED), 1);
	assert_int_equal(st(t)->icmp_unmatched, 2);
	np_flow_table_destroy(t);
}

static void test_tcp_icmp_frag_needed_not_refused(void **state)
{
	struct np_flow_table *t = table_new(16, 2);

	(void)state;
	mk_tcp(&F, C_IP, C_PORT, S_IP, 7003, 0x02, ISN_C, 0, NULL, 0);
	feed(t, &F, 1 * SEC);
	mk_icmp_unreach(&F, S_IP, C_IP, C_PORT, S_IP, 7003, 4, ISN_C);
	assert_int_equal(feed(t, &F, 1 * SEC + 3 * MS), -ENOTSUP);
	assert_int_equal(n_events(NP_FLOW_EV_TCP_REFUSED), 0);
	np_flow_table_destroy(t);
}

static void test_tcp_syn_unanswered(void **state)
{
	struct np_flow_table *t = table_new(16, 2);
	const struct np_flow_event *ev;

	(void)state;
	mk_tcp(&F, C_IP, C_PORT, S_IP, 7003, 0x02, ISN_C, 0, NULL, 0);
	feed(t, &F, 10 * SEC);
	feed(t, &F, 11 * SEC);
	feed(t, &F, 12 * SEC + 900 * MS);
	assert_int_equal(np_flow_expire(t, 12 * SEC + 999 * MS, 100, &sink), 0);
	assert_int_equal(n_events(NP_FLOW_EV_TCP_UNANSWERED), 0);
	assert_int_equal(np_flow_expire(t, 13 * SEC, 100, &sink), 1);
	ev = last_event(NP_FLOW_EV_TCP_UNANSWERED);
	assert_int_equal(ev->unanswered.syn_retx, 2);
	assert_int_equal(ev->unanswered.syn_ns, 10 * SEC);
	assert_int_equal(ev->ts_ns, 13 * SEC);
	assert_int_equal(st(t)->tcp_unanswered, 1);
	assert_int_equal(st(t)->tcp_syn_retransmits, 2);
	/* it stays for grace_ns (16 s, + 1/16) after that, then leaves */
	assert_int_equal(np_flow_expire(t, 29 * SEC, 100, &sink), 0);
	assert_int_equal(np_flow_expire(t, 30 * SEC, 100, &sink), 1);
	ev = last_event(NP_FLOW_EV_EXPIRED);
	assert_int_equal(ev->expired.reason, NP_FLOW_EXP_IDLE);
	assert_int_equal(ev->expired.tcp_state, NP_FLOW_TCP_UNANSWERED);
	assert_int_equal(st(t)->flows_active, 0);
	np_flow_table_destroy(t);
}

static void test_tcp_fin_closed(void **state)
{
	struct np_flow_table *t = table_new(16, 2);
	const struct np_flow_event *ev;

	(void)state;
	handshake(t, C_IP, C_PORT, S_IP, 443, 1 * SEC);
	mk_tcp(&F, S_IP, 443, C_IP, C_PORT, 0x11, ISN_S + 1, ISN_C + 1, NULL, 0);
	feed(t, &F, 2 * SEC);
	ev = last_event(NP_FLOW_EV_CLOSED);
	assert_int_equal(ev->closed.reason, NP_FLOW_CLOSE_FIN);
	assert_int_equal(ev->dir, 1);
	/* the other FIN does not close twice */
	mk_tcp(&F, C_IP, C_PORT, S_IP, 443, 0x11, ISN_C + 1, ISN_S + 2, NULL, 0);
	feed(t, &F, 2 * SEC + 1);
	assert_int_equal(n_events(NP_FLOW_EV_CLOSED), 1);
	assert_int_equal(st(t)->tcp_closed, 1);
	np_flow_table_destroy(t);
}

static void test_tcp_midstream_rst_closed(void **state)
{
	struct np_flow_table *t = table_new(16, 2);
	struct np_addr c = addr(C_IP), s = addr(S_IP);
	struct np_flow_info fi;

	(void)state;
	mk_tcp(&F, S_IP, 443, C_IP, C_PORT, 0x10, 5, 6, NULL, 0);
	feed(t, &F, 1 * SEC);
	assert_int_equal(np_flow_find(t, 0, 6, &c, C_PORT, &s, 443, &fi), 0);
	assert_int_equal(fi.tcp_state, NP_FLOW_TCP_MIDSTREAM);
	assert_addr(&fi.src, S_IP); /* first packet's sender */
	assert_int_equal(fi.dir, 1);
	mk_tcp(&F, C_IP, C_PORT, S_IP, 443, 0x04, 6, 0, NULL, 0);
	feed(t, &F, 2 * SEC);
	assert_int_equal(last_event(NP_FLOW_EV_CLOSED)->closed.reason, NP_FLOW_CLOSE_RST);
	assert_int_equal(n_events(NP_FLOW_EV_TCP_ESTABLISHED), 0);
	np_flow_table_destroy(t);
}

static void test_tcp_synack_first(void **state)
{
	struct np_flow_table *t = table_new(16, 2);
	const struct np_flow_event *ev;

	(void)state;
	mk_tcp(&F, S_IP, 443, C_IP, C_PORT, 0x12, ISN_S, ISN_C + 1, NULL, 0);
	feed(t, &F, 1 * SEC);
	ev = last_event(NP_FLOW_EV_NEW);
	assert_addr(&ev->src, C_IP); /* the SYN-ACK's receiver initiated */
	assert_int_equal(ev->sport, C_PORT);
	np_flow_table_destroy(t);
}

static void test_tcp_tuple_reuse(void **state)
{
	struct np_flow_table *t = table_new(16, 2);

	(void)state;
	mk_tcp(&F, C_IP, C_PORT, S_IP, 7003, 0x02, ISN_C, 0, NULL, 0);
	feed(t, &F, 1 * SEC);
	mk_tcp(&F, S_IP, 7003, C_IP, C_PORT, 0x14, 0, ISN_C + 1, NULL, 0);
	feed(t, &F, 1 * SEC + 1);
	/* the same SYN again: a retransmission of a refused attempt */
	mk_tcp(&F, C_IP, C_PORT, S_IP, 7003, 0x02, ISN_C, 0, NULL, 0);
	feed(t, &F, 2 * SEC);
	assert_int_equal(n_events(NP_FLOW_EV_NEW), 1);
	/* a new ISN: a new connection */
	mk_tcp(&F, C_IP, C_PORT, S_IP, 7003, 0x02, ISN_C + 5000000, 0, NULL, 0);
	feed(t, &F, 3 * SEC);
	assert_int_equal(n_events(NP_FLOW_EV_NEW), 2);
	assert_int_equal(last_event(NP_FLOW_EV_EXPIRED)->expired.reason, NP_FLOW_EXP_REUSED);
	assert_int_equal(st(t)->flows_reused, 1);
	assert_int_equal(st(t)->flows_active, 1);
	mk_tcp(&F, S_IP, 7003, C_IP, C_PORT, 0x12, 77, ISN_C + 5000001, NULL, 0);
	feed(t, &F, 3 * SEC + 1);
	assert_int_equal(n_events(NP_FLOW_EV_TCP_ESTABLISHED), 1);
	np_flow_table_destroy(t);
}

static void test_truncated_tcp_header_counts(void **state)
{
	struct np_flow_table *t = table_new(16, 2);
	struct np_pkt_info pi;

	(void)state;
	/* a SYN with 200 bytes of payload, captured with a snaplen that cuts the payload */
	static const uint8_t pl[200];

	mk_tcp(&F, C_IP, C_PORT, S_IP, 7003, 0x02, ISN_C, 0, pl, sizeof(pl));
	np_pkt_parse(F.b, 14 + 20 + 20 + 10, &pi);
	assert_int_equal(pi.cls, NP_PKT_TRUNCATED);
	assert_int_equal(np_flow_process(t, 0, &pi, F.b, 1 * SEC, &sink), 0);
	assert_int_equal(np_flow_expire(t, 5 * SEC, 10, &sink), 1);
	assert_int_equal(n_events(NP_FLOW_EV_TCP_UNANSWERED), 1);
	assert_int_equal(n_events(NP_FLOW_EV_FINGERPRINT), 0);
	np_flow_table_destroy(t);
}

/* ---- SIP over TCP -------------------------------------------------------------------------- */

static void assert_one_msg(const void *want, uint32_t len)
{
	assert_int_equal(rec.n_msg, 1);
	assert_int_equal(rec.msg[0].m.len, len);
	assert_memory_equal(rec.msg[0].data, want, len);
}

static void test_sip_split_three_every_point(void **state)
{
	struct np_flow_table *t = table_new(4, 1);
	const uint32_t len = sizeof(OPTIONS_MSG) - 1;
	unsigned int combos = 0;

	(void)state;
	for (uint32_t i = 1; i < len - 1; i++) {
		for (uint32_t j = i + 1; j < len; j++) {
			uint16_t port = (uint16_t)(10000 + combos % 50000);
			uint8_t seg = (uint8_t)(combos / 50000);
			uint64_t now = (uint64_t)combos * 1000;

			rec_reset();
			mk_tcp(&F, C_IP, port, S_IP, S_PORT, 0x18, 1, 1, OPTIONS_MSG, i);
			feed_seg(t, seg, &F, now);
			mk_tcp(&F, C_IP, port, S_IP, S_PORT, 0x18, 1 + i, 1, OPTIONS_MSG + i,
			       j - i);
			feed_seg(t, seg, &F, now + 1);
			mk_tcp(&F, C_IP, port, S_IP, S_PORT, 0x18, 1 + j, 1, OPTIONS_MSG + j,
			       len - j);
			feed_seg(t, seg, &F, now + 2);
			assert_one_msg(OPTIONS_MSG, len);
			assert_true(rec.msg[0].m.flags & NP_FLOW_MSG_F_REASSEMBLED);
			assert_int_equal(st(t)->reasm_buffers_in_use, 0);
			combos++;
		}
	}
	assert_int_equal(st(t)->reasm_msgs_reassembled, combos);
	assert_int_equal(st(t)->reasm_pool_exhausted, 0);
	assert_int_equal(st(t)->reasm_gaps, 0);
	np_flow_table_destroy(t);
}

static void test_sip_in_place_tuple_and_dir(void **state)
{
	struct np_flow_table *t = table_new(16, 2);

	(void)state;
	handshake(t, C_IP, C_PORT, S_IP, S_PORT, 1 * SEC);
	client_data(t, C_PORT, 0, OPTIONS_MSG, sizeof(OPTIONS_MSG) - 1, 2 * SEC);
	assert_one_msg(OPTIONS_MSG, sizeof(OPTIONS_MSG) - 1);
	assert_int_equal(rec.msg[0].m.flags, 0);
	assert_int_equal(rec.msg[0].m.dir, 0);
	assert_int_equal(rec.msg[0].m.proto, 6);
	assert_int_equal(rec.msg[0].m.ts_ns, 2 * SEC);
	assert_addr(&rec.msg[0].m.src, C_IP);
	assert_int_equal(rec.msg[0].m.dport, S_PORT);
	/* the answer, direction 1, tuple as sent */
	mk_tcp(&F, S_IP, S_PORT, C_IP, C_PORT, 0x18, ISN_S + 1, ISN_C + 1, RESPONSE_MSG,
	       sizeof(RESPONSE_MSG) - 1);
	feed(t, &F, 3 * SEC);
	assert_int_equal(rec.n_msg, 2);
	assert_int_equal(rec.msg[1].m.dir, 1);
	assert_addr(&rec.msg[1].m.src, S_IP);
	assert_int_equal(rec.msg[1].m.sport, S_PORT);
	assert_int_equal(st(t)->reasm_msgs_in_place, 2);
	np_flow_table_destroy(t);
}

static void test_sip_two_in_one_segment(void **state)
{
	struct np_flow_table *t = table_new(16, 2);
	char two[1024];
	uint32_t a = sizeof(OPTIONS_MSG) - 1, b = sizeof(RESPONSE_MSG) - 1;

	(void)state;
	memcpy(two, OPTIONS_MSG, a);
	memcpy(two + a, "\r\n\r\n", 4); /* keep-alive between them */
	memcpy(two + a + 4, RESPONSE_MSG, b);
	handshake(t, C_IP, C_PORT, S_IP, S_PORT, 1 * SEC);
	client_data(t, C_PORT, 0, two, a + 4 + b, 2 * SEC);
	assert_int_equal(rec.n_msg, 2);
	assert_int_equal(rec.msg[0].m.len, a);
	assert_memory_equal(rec.msg[0].data, OPTIONS_MSG, a);
	assert_int_equal(rec.msg[1].m.len, b);
	assert_memory_equal(rec.msg[1].data, RESPONSE_MSG, b);
	assert_int_equal(st(t)->reasm_msgs_in_place, 2);
	assert_int_equal(st(t)->reasm_buffers_in_use, 0);
	np_flow_table_destroy(t);
}

static void test_sip_body_3000_split(void **state)
{
	struct np_flow_table *t = table_new(16, 2);
	static char msg[8192];
	uint32_t len = mk_invite(msg, sizeof(msg), 3000), off = 0;

	(void)state;
	handshake(t, C_IP, C_PORT, S_IP, S_PORT, 1 * SEC);
	while (off < len) {
		uint32_t n = len - off < 1400 ? len - off : 1400;

		client_data(t, C_PORT, off, msg + off, n, 2 * SEC + off);
		off += n;
	}
	assert_one_msg(msg, len);
	assert_int_equal(st(t)->reasm_msgs_reassembled, 1);
	/* the next message after it comes in place */
	client_data(t, C_PORT, len, OPTIONS_MSG, sizeof(OPTIONS_MSG) - 1, 3 * SEC);
	assert_int_equal(rec.n_msg, 2);
	assert_int_equal(st(t)->reasm_msgs_in_place, 1);
	np_flow_table_destroy(t);
}

static void test_sip_body_oversize_skipped(void **state)
{
	struct np_flow_table *t = table_new(16, 2);
	static char msg[60000];
	uint32_t len = mk_invite(msg, sizeof(msg), 40000), off = 0, hdr;

	(void)state;
	hdr = (uint32_t)(strstr(msg, "\r\n\r\n") - msg) + 4;
	handshake(t, C_IP, C_PORT, S_IP, S_PORT, 1 * SEC);
	/* header section split over two segments, then the body in 1400-byte pieces */
	client_data(t, C_PORT, 0, msg, 50, 2 * SEC);
	off = 50;
	while (off < len) {
		uint32_t n = len - off < 1400 ? len - off : 1400;

		client_data(t, C_PORT, off, msg + off, n, 2 * SEC + off);
		off += n;
	}
	client_data(t, C_PORT, len, OPTIONS_MSG, sizeof(OPTIONS_MSG) - 1, 3 * SEC);
	assert_int_equal(rec.n_msg, 2);
	assert_int_equal(rec.msg[0].m.len, hdr);
	assert_memory_equal(rec.msg[0].data, msg, hdr);
	assert_true(rec.msg[0].m.flags & NP_FLOW_MSG_F_BODY_SKIPPED);
	assert_int_equal(rec.msg[1].m.len, sizeof(OPTIONS_MSG) - 1);
	assert_int_equal(st(t)->reasm_oversize, 1);
	assert_int_equal(st(t)->reasm_buffers_in_use, 0);
	np_flow_table_destroy(t);
}

static void test_sip_retransmission_no_duplicate(void **state)
{
	struct np_flow_table *t = table_new(16, 2);
	const uint32_t len = sizeof(OPTIONS_MSG) - 1;

	(void)state;
	handshake(t, C_IP, C_PORT, S_IP, S_PORT, 1 * SEC);
	client_data(t, C_PORT, 0, OPTIONS_MSG, 100, 2 * SEC);
	client_data(t, C_PORT, 0, OPTIONS_MSG, 100, 2 * SEC + 1);	     /* same again */
	client_data(t, C_PORT, 50, OPTIONS_MSG + 50, len - 50, 2 * SEC + 2); /* overlap + rest */
	client_data(t, C_PORT, 0, OPTIONS_MSG, len, 2 * SEC + 3);	     /* all again */
	assert_one_msg(OPTIONS_MSG, len);
	assert_int_equal(st(t)->reasm_retransmits, 3);
	assert_int_equal(st(t)->reasm_gaps, 0);
	np_flow_table_destroy(t);
}

static void test_sip_gap_resync(void **state)
{
	struct np_flow_table *t = table_new(16, 2);
	static char msg[8192];
	uint32_t len = mk_invite(msg, sizeof(msg), 3000), o = sizeof(OPTIONS_MSG) - 1;
	char tail[4096];

	(void)state;
	handshake(t, C_IP, C_PORT, S_IP, S_PORT, 1 * SEC);
	client_data(t, C_PORT, 0, msg, 1400, 2 * SEC);
	/* 1400..2800 lost; the next segment has the INVITE's end, then an OPTIONS */
	memcpy(tail, msg + 2800, len - 2800);
	memcpy(tail + len - 2800, OPTIONS_MSG, o);
	client_data(t, C_PORT, 2800, tail, len - 2800 + o, 2 * SEC + 2);
	assert_one_msg(OPTIONS_MSG, o);
	assert_int_equal(st(t)->reasm_gaps, 1);
	assert_int_equal(st(t)->reasm_resyncs, 1);
	assert_int_equal(st(t)->reasm_buffers_in_use, 0);
	/* the late segment is old data now */
	client_data(t, C_PORT, 1400, msg + 1400, 1400, 2 * SEC + 3);
	assert_int_equal(rec.n_msg, 1);
	assert_int_equal(st(t)->reasm_retransmits, 1);
	np_flow_table_destroy(t);
}

static void test_sip_pool_exhausted(void **state)
{
	struct np_flow_table *t = table_new(16, 1);
	const uint32_t len = sizeof(OPTIONS_MSG) - 1;

	(void)state;
	handshake(t, C_IP, 1111, S_IP, S_PORT, 1 * SEC);
	handshake(t, C_IP, 2222, S_IP, S_PORT, 1 * SEC);
	client_data(t, 1111, 0, OPTIONS_MSG, 60, 2 * SEC);
	assert_int_equal(st(t)->reasm_buffers_in_use, 1);
	client_data(t, 2222, 0, OPTIONS_MSG, 60, 2 * SEC);
	assert_int_equal(st(t)->reasm_pool_exhausted, 1);
	client_data(t, 2222, 60, OPTIONS_MSG + 60, len - 60, 2 * SEC + 1);
	client_data(t, 1111, 60, OPTIONS_MSG + 60, len - 60, 2 * SEC + 1);
	/* flow 1111 completes; flow 2222 lost its message */
	assert_one_msg(OPTIONS_MSG, len);
	assert_int_equal(rec.msg[0].m.sport, 1111);
	assert_int_equal(st(t)->reasm_buffers_in_use, 0);
	/* flow 2222 finds the next message */
	client_data(t, 2222, len, OPTIONS_MSG, len, 3 * SEC);
	assert_int_equal(rec.n_msg, 2);
	assert_int_equal(rec.msg[1].m.sport, 2222);
	assert_int_equal(st(t)->reasm_resyncs, 1);
	np_flow_table_destroy(t);
}

static void test_sip_no_buffers_configured(void **state)
{
	struct np_flow_table *t = table_new(16, 0);

	(void)state;
	handshake(t, C_IP, C_PORT, S_IP, S_PORT, 1 * SEC);
	client_data(t, C_PORT, 0, OPTIONS_MSG, 60, 2 * SEC);
	assert_int_equal(st(t)->reasm_pool_exhausted, 1);
	client_data(t, C_PORT, 60, OPTIONS_MSG + 60, sizeof(OPTIONS_MSG) - 61, 2 * SEC);
	assert_int_equal(rec.n_msg, 0);
	np_flow_table_destroy(t);
}

static void test_sip_by_signature_other_port(void **state)
{
	struct np_flow_table *t = table_new(16, 2);
	const uint32_t len = sizeof(OPTIONS_MSG) - 1;
	struct np_addr c = addr(C_IP), s = addr(S_IP);
	struct np_flow_info fi;

	(void)state;
	handshake(t, C_IP, C_PORT, S_IP, 7001, 1 * SEC);
	mk_tcp(&F, C_IP, C_PORT, S_IP, 7001, 0x18, ISN_C + 1, ISN_S + 1, OPTIONS_MSG, 100);
	feed(t, &F, 2 * SEC);
	mk_tcp(&F, C_IP, C_PORT, S_IP, 7001, 0x18, ISN_C + 101, ISN_S + 1, OPTIONS_MSG + 100,
	       len - 100);
	feed(t, &F, 2 * SEC + 1);
	assert_one_msg(OPTIONS_MSG, len);
	assert_int_equal(np_flow_find(t, 0, 6, &c, C_PORT, &s, 7001, &fi), 0);
	assert_true(fi.sip);
	np_flow_table_destroy(t);
}

static void test_non_sip_tcp_not_buffered(void **state)
{
	struct np_flow_table *t = table_new(16, 2);
	static const uint8_t tls[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03 };
	static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n";
	struct np_addr c = addr(C_IP), s = addr(S_IP);
	struct np_flow_info fi;

	(void)state;
	handshake(t, C_IP, C_PORT, S_IP, 443, 1 * SEC);
	mk_tcp(&F, C_IP, C_PORT, S_IP, 443, 0x18, ISN_C + 1, ISN_S + 1, tls, sizeof(tls));
	feed(t, &F, 2 * SEC);
	handshake(t, C_IP, C_PORT + 1, S_IP, 80, 1 * SEC);
	mk_tcp(&F, C_IP, C_PORT + 1, S_IP, 80, 0x18, ISN_C + 1, ISN_S + 1, http, sizeof(http) - 1);
	feed(t, &F, 2 * SEC);
	assert_int_equal(st(t)->reasm_buffers_in_use, 0);
	assert_int_equal(st(t)->fingerprints, 2);
	assert_int_equal(np_flow_find(t, 0, 6, &c, C_PORT, &s, 443, &fi), 0);
	assert_false(fi.sip);

	/* TLS on a SIP port: not SIP, not buffered, nothing delivered */
	handshake(t, C_IP, C_PORT + 2, S_IP, 5061, 1 * SEC);
	assert_int_equal(np_flow_find(t, 0, 6, &c, C_PORT + 2, &s, 5061, &fi), 0);
	assert_true(fi.sip);
	mk_tcp(&F, C_IP, C_PORT + 2, S_IP, 5061, 0x18, ISN_C + 1, ISN_S + 1, tls, sizeof(tls));
	feed(t, &F, 2 * SEC);
	assert_int_equal(st(t)->reasm_buffers_in_use, 0);
	assert_int_equal(rec.n_msg, 0);
	assert_int_equal(np_flow_find(t, 0, 6, &c, C_PORT + 2, &s, 5061, &fi), 0);
	assert_false(fi.sip);

	/* binary that is not TLS on a SIP port: resync scanning, still nothing buffered */
	handshake(t, C_IP, C_PORT + 3, S_IP, 5060, 1 * SEC);
	mk_tcp(&F, C_IP, C_PORT + 3, S_IP, 5060, 0x18, ISN_C + 1, ISN_S + 1, "\x01\x02\n\x03", 4);
	feed(t, &F, 2 * SEC);
	assert_int_equal(st(t)->reasm_buffers_in_use, 0);
	assert_int_equal(rec.n_msg, 0);
	np_flow_table_destroy(t);
}

static void test_sip_midstream_pickup_resyncs(void **state)
{
	struct np_flow_table *t = table_new(16, 2);
	const uint32_t o = sizeof(OPTIONS_MSG) - 1;
	char seg[2048];

	(void)state;
	/* no handshake; the first bytes are the end of some message */
	memcpy(seg, "ength: 0\r\n\r\n", 12);
	memcpy(seg + 12, OPTIONS_MSG, o);
	mk_tcp(&F, C_IP, C_PORT, S_IP, S_PORT, 0x18, 777, 1, seg, 12 + o);
	feed(t, &F, 1 * SEC);
	assert_one_msg(OPTIONS_MSG, o);
	np_flow_table_destroy(t);
}

static void test_sip_bad_content_length(void **state)
{
	struct np_flow_table *t = table_new(16, 2);
	static const char bad[] = "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: x\r\n\r\n";
	char seg[2048];
	uint32_t b = sizeof(bad) - 1, o = sizeof(OPTIONS_MSG) - 1;

	(void)state;
	memcpy(seg, bad, b);
	memcpy(seg + b, OPTIONS_MSG, o);
	handshake(t, C_IP, C_PORT, S_IP, S_PORT, 1 * SEC);
	client_data(t, C_PORT, 0, seg, b + o, 2 * SEC);
	assert_int_equal(rec.n_msg, 2);
	assert_int_equal(rec.msg[0].m.len, b);
	assert_true(rec.msg[0].m.flags & NP_FLOW_MSG_F_BAD_LENGTH);
	assert_int_equal(rec.msg[1].m.len, o);
	assert_int_equal(st(t)->reasm_bad_frames, 1);
	np_flow_table_destroy(t);
}

static void test_sip_header_too_long(void **state)
{
	struct np_flow_table *t = table_new(16, 2);
	static char big[20000];
	uint32_t n = 0, off = 0, o = sizeof(OPTIONS_MSG) - 1;

	(void)state;
	n += (uint32_t)sprintf(big, "NOTIFY sip:a@b SIP/2.0\r\n");
	while (n < 17000)
		n += (uint32_t)sprintf(big + n, "X-Filler: 01234567890123456789012345678\r\n");
	handshake(t, C_IP, C_PORT, S_IP, S_PORT, 1 * SEC);
	while (off < n) {
		uint32_t k = n - off < 1400 ? n - off : 1400;

		client_data(t, C_PORT, off, big + off, k, 2 * SEC);
		off += k;
	}
	client_data(t, C_PORT, n, "\r\n", 2, 2 * SEC);
	client_data(t, C_PORT, n + 2, OPTIONS_MSG, o, 3 * SEC);
	assert_one_msg(OPTIONS_MSG, o);
	assert_int_equal(st(t)->reasm_oversize, 1);
	assert_int_equal(st(t)->reasm_buffers_in_use, 0);
	np_flow_table_destroy(t);
}

/* ---- SIP over UDP -------------------------------------------------------------------------- */

static void test_udp_sip(void **state)
{
	struct np_flow_table *t = table_new(16, 0);
	static const uint8_t stun[] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 };

	(void)state;
	mk_udp(&F, C_IP, 5060, S_IP, 5060, OPTIONS_MSG, sizeof(OPTIONS_MSG) - 1);
	feed(t, &F, 1 * SEC);
	assert_one_msg(OPTIONS_MSG, sizeof(OPTIONS_MSG) - 1);
	assert_int_equal(rec.msg[0].m.proto, 17);
	/* other port, SIP by signature */
	mk_udp(&F, C_IP, 40000, S_IP, 7777, RESPONSE_MSG, sizeof(RESPONSE_MSG) - 1);
	feed(t, &F, 1 * SEC);
	assert_int_equal(rec.n_msg, 2);
	/* not SIP on another port: nothing; keep-alive on a SIP port: nothing */
	mk_udp(&F, C_IP, 40000, S_IP, 7777, stun, sizeof(stun));
	feed(t, &F, 1 * SEC);
	mk_udp(&F, C_IP, 5060, S_IP, 5060, "\r\n\r\n", 4);
	feed(t, &F, 1 * SEC);
	assert_int_equal(rec.n_msg, 2);
	assert_int_equal(st(t)->sip_udp_msgs, 2);
	/* STUN keep-alive (RFC 5626) on a SIP port: counted, not delivered as SIP */
	mk_udp(&F, C_IP, 5060, S_IP, 5060, stun, sizeof(stun));
	feed(t, &F, 1 * SEC);
	assert_int_equal(rec.n_msg, 2);
	assert_int_equal(st(t)->sip_udp_not_sip, 1);
	np_flow_table_destroy(t);
}

/*
 * The per-direction verdict off the SIP ports: a first datagram that cannot be
 * SIP (RTP here) settles its direction, so a SIP-looking datagram later on it
 * is not delivered; the other direction, and a direction that opened with
 * STUN (which may share a SIP flow), still deliver SIP by signature.
 */
static void test_udp_not_sip_verdict(void **state)
{
	struct np_flow_table *t = table_new(16, 0);
	static const uint8_t rtp[12] = { 0x80, 0x00, 0x12, 0x34 };
	static const uint8_t stun[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 };
	static const uint8_t zero[18];

	(void)state;
	mk_udp(&F, C_IP, 40000, S_IP, 7777, rtp, sizeof(rtp));
	feed(t, &F, 1 * SEC);
	mk_udp(&F, C_IP, 40000, S_IP, 7777, OPTIONS_MSG, sizeof(OPTIONS_MSG) - 1);
	feed(t, &F, 1 * SEC);
	assert_int_equal(rec.n_msg, 0);
	/* the answering direction opens with SIP: delivered */
	mk_udp(&F, S_IP, 7777, C_IP, 40000, RESPONSE_MSG, sizeof(RESPONSE_MSG) - 1);
	feed(t, &F, 1 * SEC);
	assert_int_equal(rec.n_msg, 1);
	/* STUN first, then SIP: delivered */
	mk_udp(&F, C_IP, 40001, S_IP, 7777, stun, sizeof(stun));
	feed(t, &F, 1 * SEC);
	mk_udp(&F, C_IP, 40001, S_IP, 7777, OPTIONS_MSG, sizeof(OPTIONS_MSG) - 1);
	feed(t, &F, 1 * SEC);
	assert_int_equal(rec.n_msg, 2);
	/* zero bytes first (not STUN: too short), then SIP: settled, not delivered */
	mk_udp(&F, C_IP, 40002, S_IP, 7777, zero, sizeof(zero));
	feed(t, &F, 1 * SEC);
	mk_udp(&F, C_IP, 40002, S_IP, 7777, OPTIONS_MSG, sizeof(OPTIONS_MSG) - 1);
	feed(t, &F, 1 * SEC);
	assert_int_equal(rec.n_msg, 2);
	/* on a SIP port nothing is settled: RTP first, SIP later is delivered */
	mk_udp(&F, C_IP, 40003, S_IP, 5060, rtp, sizeof(rtp));
	feed(t, &F, 1 * SEC);
	mk_udp(&F, C_IP, 40003, S_IP, 5060, OPTIONS_MSG, sizeof(OPTIONS_MSG) - 1);
	feed(t, &F, 1 * SEC);
	assert_int_equal(rec.n_msg, 3);
	/* a 4-byte zero keep-alive first (the flow aged out between keep-alives): SIP delivered */
	mk_udp(&F, C_IP, 40004, S_IP, 7777, zero, 4);
	feed(t, &F, 1 * SEC);
	mk_udp(&F, C_IP, 40004, S_IP, 7777, OPTIONS_MSG, sizeof(OPTIONS_MSG) - 1);
	feed(t, &F, 1 * SEC);
	assert_int_equal(rec.n_msg, 4);
	/* every first payload was still fingerprinted */
	assert_int_equal(st(t)->fingerprints, 6);
	np_flow_table_destroy(t);
}

/* ---- ageing, eviction, keys ---------------------------------------------------------------- */

static void test_tiny_table_evicts(void **state)
{
	struct np_flow_table *t = table_new(4, 1);
	struct np_addr c = addr(C_IP), s = addr(S_IP);

	(void)state;
	for (unsigned int i = 0; i < 10; i++) {
		mk_udp(&F, C_IP, (uint16_t)(1000 + i), S_IP, 53, "q", 1);
		feed(t, &F, (1 + i) * SEC);
	}
	assert_int_equal(st(t)->flows_evicted, 6);
	assert_int_equal(st(t)->flows_active, 4);
	assert_int_equal(st(t)->flows_created, 10);
	assert_int_equal(n_events(NP_FLOW_EV_EXPIRED), 6);
	for (unsigned int i = 0; i < 10; i++)
		assert_int_equal(np_flow_find(t, 0, 17, &c, (uint16_t)(1000 + i), &s, 53, NULL),
				 i < 6 ? -ENOENT : 0);
	/* the oldest went first */
	assert_int_equal(last_event(NP_FLOW_EV_EXPIRED)->sport, 1005);
	for (unsigned int i = 0; i < rec.n_ev; i++) {
		if (rec.ev[i].type == NP_FLOW_EV_EXPIRED) {
			assert_int_equal(rec.ev[i].sport, 1000);
			assert_int_equal(rec.ev[i].expired.reason, NP_FLOW_EXP_EVICTED);
			break;
		}
	}
	/* a packet of a flow still there finds it, in both directions */
	mk_udp(&F, S_IP, 53, C_IP, 1009, "a", 1);
	feed(t, &F, 20 * SEC);
	assert_int_equal(st(t)->flows_created, 10);
	/* keys survive deletions: every remaining flow is still found after more churn */
	for (unsigned int i = 10; i < 200; i++) {
		rec_reset();
		mk_udp(&F, C_IP, (uint16_t)(1000 + i), S_IP, 53, "q", 1);
		feed(t, &F, (21 + i) * SEC);
		for (unsigned int j = i - 3; j <= i; j++)
			assert_int_equal(np_flow_find(t, 0, 17, &c, (uint16_t)(1000 + j), &s, 53,
						      NULL),
					 0);
	}
	assert_int_equal(st(t)->flows_active, 4);
	np_flow_table_destroy(t);
}

static void test_eviction_releases_buffer(void **state)
{
	struct np_flow_table *t = table_new(2, 1);

	(void)state;
	mk_tcp(&F, C_IP, 1111, S_IP, S_PORT, 0x18, 1, 1, OPTIONS_MSG, 60);
	feed(t, &F, 1 * SEC);
	assert_int_equal(st(t)->reasm_buffers_in_use, 1);
	/* a UDP flow is closer to its deadline (2 s + 16 s) than the TCP one (1 s + 60 s) */
	mk_udp(&F, C_IP, 1, S_IP, 2, "q", 1);
	feed(t, &F, 2 * SEC);
	mk_udp(&F, C_IP, 3, S_IP, 4, "q", 1);
	feed(t, &F, 3 * SEC);
	assert_int_equal(st(t)->flows_evicted, 1);
	assert_int_equal(last_event(NP_FLOW_EV_EXPIRED)->sport, 1);
	assert_int_equal(st(t)->reasm_buffers_in_use, 1);
	/* two more TCP flows: the first one, oldest, goes with its buffer */
	mk_tcp(&F, C_IP, 2222, S_IP, 80, 0x10, 1, 1, NULL, 0);
	feed(t, &F, 4 * SEC);
	mk_tcp(&F, C_IP, 3333, S_IP, 80, 0x10, 1, 1, NULL, 0);
	feed(t, &F, 5 * SEC);
	assert_int_equal(st(t)->flows_evicted, 3);
	assert_int_equal(st(t)->reasm_buffers_in_use, 0);
	assert_int_equal(last_event(NP_FLOW_EV_EXPIRED)->sport, 1111);
	np_flow_table_destroy(t);
}

static void test_idle_expiry(void **state)
{
	struct np_flow_table *t = table_new(16, 1);
	const struct np_flow_event *ev;

	(void)state;
	mk_udp(&F, C_IP, 1000, S_IP, 53, "q", 1);
	feed(t, &F, 0);
	mk_udp(&F, C_IP, 1001, S_IP, 53, "q", 1);
	feed(t, &F, 1 * SEC);
	mk_udp(&F, C_IP, 1000, S_IP, 53, "q", 1);
	feed(t, &F, 8 * SEC); /* moves it: 8 s >= 16 s / 16 */
	handshake(t, C_IP, 2000, S_IP, 443, 8 * SEC);
	/* UDP timeout 16 s, + 1 s quantum: 1001 goes at 18 s, 1000 at 25 s */
	assert_int_equal(np_flow_expire(t, 17 * SEC, 100, &sink), 0);
	assert_int_equal(np_flow_expire(t, 18 * SEC, 100, &sink), 1);
	ev = last_event(NP_FLOW_EV_EXPIRED);
	assert_int_equal(ev->sport, 1001);
	assert_int_equal(ev->expired.reason, NP_FLOW_EXP_IDLE);
	assert_int_equal(np_flow_expire(t, 24 * SEC, 100, &sink), 0);
	assert_int_equal(np_flow_expire(t, 25 * SEC, 100, &sink), 1);
	assert_int_equal(st(t)->flows_expired, 2);
	/* work bound */
	for (unsigned int i = 0; i < 5; i++) {
		mk_udp(&F, C_IP, (uint16_t)(3000 + i), S_IP, 53, "q", 1);
		feed(t, &F, 30 * SEC);
	}
	assert_int_equal(np_flow_expire(t, 100 * SEC, 2, &sink), 2);
	assert_int_equal(np_flow_expire(t, 100 * SEC, 2, &sink), 2);
	assert_int_equal(np_flow_expire(t, 100 * SEC, 2, &sink), 2); /* 1 UDP + the TCP flow */
	assert_int_equal(np_flow_expire(t, 100 * SEC, 2, &sink), 0);
	assert_int_equal(st(t)->flows_active, 0);
	np_flow_table_destroy(t);
}

static void test_fingerprints(void **state)
{
	struct np_flow_table *t = table_new(16, 1);
	static const char p1[] = "\x17\x03\x03\x00\x40 the same TLS record bytes on both sides "
				 "..... and more than sixty-four bytes of it, so the tail is cut";
	static const char p2[] = "\x17\x03\x03\x00\x40 a different record";
	uint64_t h[4];
	unsigned int k = 0;

	(void)state;
	/* inside: 10.0.30.2:27901 -> 64.100.0.10:7003; dmz: 64.100.0.10:4401 -> 10.0.10.2:7003 */
	mk_tcp(&F, C_IP, C_PORT, "64.100.0.10", 7003, 0x18, 1, 1, p1, sizeof(p1) - 1);
	feed_seg(t, 0, &F, 1 * SEC);
	mk_tcp(&F, "64.100.0.10", 4401, S_IP, 7003, 0x18, 99999, 1, p1, sizeof(p1) - 1);
	feed_seg(t, 1, &F, 1 * SEC + 100);
	mk_tcp(&F, C_IP, C_PORT + 1, "64.100.0.10", 7003, 0x18, 1, 1, p2, sizeof(p2) - 1);
	feed_seg(t, 0, &F, 1 * SEC);
	/* the same payload again on the first flow: not a first payload */
	mk_tcp(&F, C_IP, C_PORT, "64.100.0.10", 7003, 0x18, 1 + sizeof(p1) - 1, 1, p2,
	       sizeof(p2) - 1);
	feed_seg(t, 0, &F, 2 * SEC);
	for (unsigned int i = 0; i < rec.n_ev; i++)
		if (rec.ev[i].type == NP_FLOW_EV_FINGERPRINT)
			h[k++] = rec.ev[i].fp.hash;
	assert_int_equal(k, 3);
	assert_true(h[0] == h[1]);
	assert_true(h[0] != h[2]);
	assert_int_equal(last_event(NP_FLOW_EV_FINGERPRINT)->fp.len, sizeof(p2) - 1);
	assert_true(np_flow_fp_hash((const uint8_t *)p1, 64) == h[0]);
	assert_true(np_flow_fp_hash((const uint8_t *)p1, 63) != h[0]);
	np_flow_table_destroy(t);
}

static void test_fp_hash_stable(void **state)
{
	uint8_t b[64];

	(void)state;
	for (unsigned int i = 0; i < 64; i++)
		b[i] = (uint8_t)i;
	/* pinned values: workers and control must agree across builds and CPUs */
	assert_true(np_flow_fp_hash(b, 64) == np_flow_fp_hash(b, 64));
	assert_true(np_flow_fp_hash(b, 0) != np_flow_fp_hash(b, 1));
	assert_true(np_flow_fp_hash(b, 9) != np_flow_fp_hash(b + 1, 9));
	assert_true(np_flow_fp_hash(NULL, 0) == np_flow_fp_hash(b, 0));
}

static void test_same_tuple_two_segments(void **state)
{
	struct np_flow_table *t = table_new(16, 1);

	(void)state;
	mk_udp(&F, C_IP, 5000, S_IP, 5000, "q", 1);
	feed_seg(t, 0, &F, 1 * SEC);
	feed_seg(t, 1, &F, 1 * SEC);
	feed_seg(t, 1, &F, 1 * SEC);
	assert_int_equal(n_events(NP_FLOW_EV_NEW), 2);
	assert_int_equal(rec.ev[0].segment, 0);
	assert_int_equal(last_event(NP_FLOW_EV_NEW)->segment, 1);
	assert_int_equal(st(t)->flows_active, 2);
	np_flow_table_destroy(t);
}

static void test_ipv6_flow(void **state)
{
	struct np_flow_table *t = table_new(16, 2);
	const char *c6 = "2001:db8::30:2", *s6 = "2001:db8::10:2";
	const uint32_t len = sizeof(OPTIONS_MSG) - 1;
	const struct np_flow_event *ev;

	(void)state;
	handshake(t, c6, C_PORT, s6, S_PORT, 1 * SEC);
	ev = last_event(NP_FLOW_EV_TCP_ESTABLISHED);
	assert_addr(&ev->src, c6);
	assert_addr(&ev->dst, s6);
	mk_tcp(&F, c6, C_PORT, s6, S_PORT, 0x18, ISN_C + 1, ISN_S + 1, OPTIONS_MSG, 70);
	feed(t, &F, 2 * SEC);
	mk_tcp(&F, c6, C_PORT, s6, S_PORT, 0x18, ISN_C + 71, ISN_S + 1, OPTIONS_MSG + 70, len - 70);
	feed(t, &F, 2 * SEC);
	assert_one_msg(OPTIONS_MSG, len);
	assert_addr(&rec.msg[0].m.src, c6);
	/* ICMPv6 port unreachable answering another SYN */
	mk_tcp(&F, c6, 3333, s6, 7003, 0x02, 5, 0, NULL, 0);
	feed(t, &F, 3 * SEC);
	mk_icmp_unreach(&F, s6, c6, 3333, s6, 7003, 4, 5);
	assert_int_equal(feed(t, &F, 3 * SEC + 7), 0);
	ev = last_event(NP_FLOW_EV_TCP_REFUSED);
	assert_int_equal(ev->refused.reason, NP_FLOW_REFUSED_ICMP);
	assert_int_equal(ev->refused.icmp_type, 1);
	assert_int_equal(ev->refused.delay_ns, 7);
	np_flow_table_destroy(t);
}

/* ---- the fast path (np_flow_fast) against np_pkt_parse() + np_flow_process() --------------- */

/* One frame of a script: built by mk_tcp() / mk_udp(). */
struct fs {
	bool tcp;
	const char *src;
	uint16_t sport;
	const char *dst;
	uint16_t dport;
	uint8_t flags;
	uint32_t seq, ack;
	const char *pl;
	uint32_t n;
};

/* Everything a table tells: events and messages (as recorded), stats, each flow's state. */
struct outcome {
	struct np_flow_event ev[REC_EV];
	unsigned int n_ev;
	unsigned int n_msg;
	uint32_t msg_len[REC_MSG];
	struct np_flow_stats stats;
};

/* How run_script() takes the frames. */
enum run_mode {
	RUN_WHOLE, /* np_pkt_parse() and np_flow_process() */
	RUN_FAST,  /* np_flow_fast() first */
	RUN_BURST, /* np_flow_fast_burst() over groups of frames, some of them NULL */
};

static struct fb burst_fb[8];

/*
 * The script three times over; frames go in groups of 1 to 5 (the group
 * sharing a time, as a burst does), whatever the mode. @return frames the
 * fast path finished.
 */
static unsigned int run_script(const struct fs *sc, unsigned int n, enum run_mode mode,
			       struct outcome *o)
{
	struct np_flow_table *t = table_new(64, 8);
	unsigned int taken = 0, g = 0, k = 0;
	uint64_t now = 1 * SEC;
	uint64_t ctr[NP_PKT_CLASS_MAX] = { 0 };

	for (unsigned int r = 0; r < 3; r++) {
		for (unsigned int i = 0; i < n;) {
			unsigned int m = 1 + g++ % 5;
			const uint8_t *frames[8];
			uint32_t lens[8];

			if (m > n - i)
				m = n - i;
			now += 300 * MS *
			       m; /* past the UDP list's quantum (1 s) every few groups */
			for (unsigned int j = 0; j < m; j++) {
				const struct fs *x = &sc[i + j];
				struct fb *f = &burst_fb[j];

				if (x->tcp)
					mk_tcp(f, x->src, x->sport, x->dst, x->dport, x->flags,
					       x->seq + r * 1000, x->ack + r * 1000, x->pl, x->n);
				else
					mk_udp(f, x->src, x->sport, x->dst, x->dport, x->pl, x->n);
				/* now and then a frame the caller keeps from the fast path */
				frames[j] = ++k % 7 == 0 ? NULL : f->b;
				lens[j] = f->len;
			}
			for (unsigned int j = 0; j < m; j++) {
				const struct fb *f = &burst_fb[j];
				struct np_pkt_info pi;
				int rc = NP_FLOW_FAST_NOT_PLAIN;

				if (mode == RUN_BURST) {
					unsigned int done =
						np_flow_fast_burst(t, 0, frames + j, lens + j,
								   m - j, NP_PKT_CSUM_VERIFY, now,
								   ctr, &pi, &rc);

					taken += done;
					j += done;
					if (j >= m)
						break;
					f = &burst_fb[j];
				} else if (mode == RUN_FAST) {
					rc = np_flow_fast(t, 0, f->b, f->len, NP_PKT_CSUM_VERIFY,
							  now, &pi);
					if (rc >= 0) {
						taken++;
						continue;
					}
				}
				if (rc == NP_FLOW_FAST_NOT_PLAIN)
					np_pkt_parse(f->b, f->len, &pi);
				np_flow_process(t, 0, &pi, f->b, now, &sink);
			}
			i += m;
		}
	}
	if (mode == RUN_BURST)
		assert_int_equal(ctr[NP_PKT_TCP] + ctr[NP_PKT_UDP], taken);
	/* the ageing that follows sees the same list positions */
	for (uint64_t later = now + 2 * SEC; later < now + 80 * SEC; later += 3 * SEC)
		np_flow_expire(t, later, 1000, &sink);
	memcpy(o->ev, rec.ev, sizeof(rec.ev[0]) * rec.n_ev);
	o->n_ev = rec.n_ev;
	o->n_msg = rec.n_msg;
	for (unsigned int i = 0; i < rec.n_msg; i++)
		o->msg_len[i] = rec.msg[i].m.len;
	o->stats = *st(t);
	np_flow_table_destroy(t);
	return taken;
}

static void assert_same_outcome(const struct outcome *a, const struct outcome *b)
{
	assert_int_equal(a->n_ev, b->n_ev);
	for (unsigned int i = 0; i < a->n_ev; i++)
		assert_memory_equal(&a->ev[i], &b->ev[i], sizeof(a->ev[i]));
	assert_int_equal(a->n_msg, b->n_msg);
	assert_memory_equal(a->msg_len, b->msg_len, sizeof(a->msg_len[0]) * a->n_msg);
	assert_memory_equal(&a->stats, &b->stats, sizeof(a->stats));
}

/*
 * A mix of what a wire carries: RTP both ways (each direction judged not SIP
 * by its first datagram), SIP over UDP on and off the SIP port, STUN, empty
 * datagrams, UDP to the VXLAN port, a TCP connection that is not SIP and one
 * that is (set-up, data both ways, pure ACKs, FIN), IPv6. Replayed three
 * times, through the fast path first and through the whole way only: the
 * same events, messages, counters and expiries, and the fast path took most
 * of the frames.
 */
static void test_fast_path_same_as_process(void **state)
{
	static const char rtp[] = "\x80\x08\x00\x01\x00\x00\x00\xa0\x12\x34\x56\x78payload";
	static const char stun[] = "\x00\x01\x00\x00\x21\x12\xa4\x42"
				   "ghijklmnopqr";
	static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char sip[] =
		"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		"Call-ID: 1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	const char *c = "10.0.30.2", *s = "64.100.0.10", *c6 = "2001:db8::1", *s6 = "2001:db8::2";
	const struct fs sc[] = {
		{ false, c, 16384, s, 20000, 0, 0, 0, rtp, sizeof(rtp) - 1 },
		{ false, s, 20000, c, 16384, 0, 0, 0, rtp, sizeof(rtp) - 1 },
		{ false, c, 16384, s, 20000, 0, 0, 0, rtp, sizeof(rtp) - 1 },
		{ false, c, 5060, s, 5060, 0, 0, 0, sip, sizeof(sip) - 1 },
		{ false, c, 5060, s, 5060, 0, 0, 0, stun, sizeof(stun) - 1 },
		{ false, c, 40000, s, 7003, 0, 0, 0, sip, sizeof(sip) - 1 },
		{ false, c, 40000, s, 7003, 0, 0, 0, sip, sizeof(sip) - 1 },
		{ false, c, 40001, s, 7004, 0, 0, 0, stun, sizeof(stun) - 1 },
		{ false, c, 40001, s, 7004, 0, 0, 0, rtp, sizeof(rtp) - 1 },
		{ false, c, 40002, s, 7005, 0, 0, 0, NULL, 0 },
		{ false, c, 40002, s, 7005, 0, 0, 0, NULL, 0 },
		{ false, c, 40003, s, 4789, 0, 0, 0, rtp, sizeof(rtp) - 1 },
		{ false, c, 40003, s, 4789, 0, 0, 0, rtp, sizeof(rtp) - 1 },
		{ false, c6, 16400, s6, 20002, 0, 0, 0, rtp, sizeof(rtp) - 1 },
		{ false, s6, 20002, c6, 16400, 0, 0, 0, rtp, sizeof(rtp) - 1 },
		{ false, c6, 16400, s6, 20002, 0, 0, 0, rtp, sizeof(rtp) - 1 },
		{ true, c, 33000, s, 80, 0x02, 100, 0, NULL, 0 },
		{ true, s, 80, c, 33000, 0x12, 500, 101, NULL, 0 },
		{ true, c, 33000, s, 80, 0x10, 101, 501, NULL, 0 },
		{ true, c, 33000, s, 80, 0x18, 101, 501, http, sizeof(http) - 1 },
		{ true, s, 80, c, 33000, 0x10, 501, 130, NULL, 0 },
		{ true, s, 80, c, 33000, 0x18, 501, 130, http, sizeof(http) - 1 },
		{ true, c, 33000, s, 80, 0x18, 130, 530, http, sizeof(http) - 1 },
		{ true, s, 80, c, 33000, 0x18, 530, 159, http, sizeof(http) - 1 },
		{ true, c, 33000, s, 80, 0x11, 159, 559, NULL, 0 },
		{ true, c, 33001, s, 5060, 0x02, 100, 0, NULL, 0 },
		{ true, s, 5060, c, 33001, 0x12, 500, 101, NULL, 0 },
		{ true, c, 33001, s, 5060, 0x10, 101, 501, NULL, 0 },
		{ true, c, 33001, s, 5060, 0x18, 101, 501, sip, sizeof(sip) - 1 },
		{ true, s, 5060, c, 33001, 0x10, 501, 101 + sizeof(sip) - 1, NULL, 0 },
		{ true, c, 33001, s, 5060, 0x18, 101 + sizeof(sip) - 1, 501, sip, sizeof(sip) - 1 },
		{ true, c6, 33002, s6, 443, 0x18, 7, 9, http, sizeof(http) - 1 },
		{ true, s6, 443, c6, 33002, 0x18, 9, 36, http, sizeof(http) - 1 },
		{ true, c6, 33002, s6, 443, 0x18, 36, 36, http, sizeof(http) - 1 },
	};
	const unsigned int n = sizeof(sc) / sizeof(sc[0]);
	static struct outcome a, b, bu;
	unsigned int taken;

	(void)state;
	taken = run_script(sc, n, RUN_FAST, &a);
	assert_int_equal(run_script(sc, n, RUN_WHOLE, &b), 0);
	assert_same_outcome(&a, &b);
	assert_true(b.n_msg >= 3 && a.stats.flows_expired > 5);
	/* RTP after each direction's first, empty datagrams, pure ACKs, later HTTP */
	assert_true(taken >= 3 * 10);
	/* a burst at a time, some frames kept from the fast path: the same again */
	assert_true(run_script(sc, n, RUN_BURST, &bu) >= 3 * 8);
	assert_same_outcome(&bu, &b);
}

/*
 * The flow np_flow_fast() found for a frame it hands back goes with the
 * frame to np_flow_process(), and only while the table is unchanged: after
 * an expiry removed that flow, the frame makes a new one (NEW), it does not
 * land on the freed entry.
 */
static void test_fast_found_flow_not_used_after_change(void **state)
{
	static const char sip[] = "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\n"
				  "Content-Length: 0\r\n\r\n";
	struct np_flow_table *t = table_new(64, 8);
	struct np_pkt_info pi;

	(void)state;
	rec_reset();
	mk_udp(&F, "10.0.30.2", 5060, "64.100.0.10", 5060, sip, sizeof(sip) - 1);
	assert_int_equal(np_flow_fast(t, 0, F.b, F.len, NP_PKT_CSUM_VERIFY, 1 * SEC, &pi),
			 NP_FLOW_FAST_PARSED);
	assert_int_equal(np_flow_process(t, 0, &pi, F.b, 1 * SEC, &sink), 0);
	assert_int_equal(n_events(NP_FLOW_EV_NEW), 1);
	assert_int_equal(rec.n_msg, 1);
	/* found and handed over: the second message on the flow, no new flow */
	assert_int_equal(np_flow_fast(t, 0, F.b, F.len, NP_PKT_CSUM_VERIFY, 2 * SEC, &pi),
			 NP_FLOW_FAST_PARSED);
	assert_int_equal(np_flow_process(t, 0, &pi, F.b, 2 * SEC, &sink), 0);
	assert_int_equal(n_events(NP_FLOW_EV_NEW), 1);
	assert_int_equal(rec.n_msg, 2);
	/* found, then the flow expires before the frame is processed */
	assert_int_equal(np_flow_fast(t, 0, F.b, F.len, NP_PKT_CSUM_VERIFY, 3 * SEC, &pi),
			 NP_FLOW_FAST_PARSED);
	assert_int_equal(np_flow_expire(t, 100 * SEC, 100, &sink), 1);
	assert_int_equal(n_events(NP_FLOW_EV_EXPIRED), 1);
	assert_int_equal(st(t)->flows_active, 0);
	assert_int_equal(np_flow_process(t, 0, &pi, F.b, 100 * SEC, &sink), 0);
	assert_int_equal(n_events(NP_FLOW_EV_NEW), 2);
	assert_int_equal(st(t)->flows_active, 1);
	assert_int_equal(rec.n_msg, 3);
	/* handed over for one frame, not for another frame in the same buffer */
	assert_int_equal(np_flow_fast(t, 0, F.b, F.len, NP_PKT_CSUM_VERIFY, 101 * SEC, &pi),
			 NP_FLOW_FAST_PARSED);
	mk_udp(&F, "10.0.30.3", 5060, "64.100.0.10", 5060, sip, sizeof(sip) - 1);
	assert_int_equal(np_pkt_parse(F.b, F.len, &pi), NP_PKT_UDP);
	/* a parse the caller made itself: not the frame the lookup was for (the segment differs) */
	assert_int_equal(np_flow_process(t, 1, &pi, F.b, 101 * SEC, &sink), 0);
	assert_int_equal(n_events(NP_FLOW_EV_NEW), 3);
	assert_int_equal(st(t)->flows_active, 2);
	np_flow_table_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_invalid),
		cmocka_unit_test(test_custom_allocator),
		cmocka_unit_test(test_stat_names),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_tcp_handshake_established),
		cmocka_unit_test(test_tcp_syn_rst_refused),
		cmocka_unit_test(test_tcp_rst_wrong_ack_ignored),
		cmocka_unit_test(test_tcp_syn_icmp_refused),
		cmocka_unit_test(test_tcp_icmp_frag_needed_not_refused),
		cmocka_unit_test(test_tcp_syn_unanswered),
		cmocka_unit_test(test_tcp_fin_closed),
		cmocka_unit_test(test_tcp_midstream_rst_closed),
		cmocka_unit_test(test_tcp_synack_first),
		cmocka_unit_test(test_tcp_tuple_reuse),
		cmocka_unit_test(test_truncated_tcp_header_counts),
		cmocka_unit_test(test_sip_split_three_every_point),
		cmocka_unit_test(test_sip_in_place_tuple_and_dir),
		cmocka_unit_test(test_sip_two_in_one_segment),
		cmocka_unit_test(test_sip_body_3000_split),
		cmocka_unit_test(test_sip_body_oversize_skipped),
		cmocka_unit_test(test_sip_retransmission_no_duplicate),
		cmocka_unit_test(test_sip_gap_resync),
		cmocka_unit_test(test_sip_pool_exhausted),
		cmocka_unit_test(test_sip_no_buffers_configured),
		cmocka_unit_test(test_sip_by_signature_other_port),
		cmocka_unit_test(test_non_sip_tcp_not_buffered),
		cmocka_unit_test(test_sip_midstream_pickup_resyncs),
		cmocka_unit_test(test_sip_bad_content_length),
		cmocka_unit_test(test_sip_header_too_long),
		cmocka_unit_test(test_udp_sip),
		cmocka_unit_test(test_udp_not_sip_verdict),
		cmocka_unit_test(test_tiny_table_evicts),
		cmocka_unit_test(test_eviction_releases_buffer),
		cmocka_unit_test(test_idle_expiry),
		cmocka_unit_test(test_fingerprints),
		cmocka_unit_test(test_fp_hash_stable),
		cmocka_unit_test(test_same_tuple_two_segments),
		cmocka_unit_test(test_ipv6_flow),
		cmocka_unit_test(test_fast_path_same_as_process),
		cmocka_unit_test(test_fast_found_flow_not_used_after_change),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
