/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/nat: binding learner, translation table, address classes. */

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "np_mem.h"
#include "np_nat.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define TCP 6
#define UDP 17
#define SEG_IN 0
#define SEG_DMZ 1

static struct np_addr A(const char *s) {
	struct np_addr a;
	struct in_addr v4;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, &v4) == 1)
		np_addr_from_v4(&a, v4.s_addr);
	else
		assert_int_equal(inet_pton(AF_INET6, s, a.b), 1);
	return a;
}

static bool
addr_eq(const struct np_addr *a, const char *s)
{
	struct np_addr b = A(s);

	return memcmp(a, &b, sizeof(b)) == 0;
}

static struct np_nat_fp FP(uint8_t seg, uint8_t proto, uint8_t dir, const char *src, uint16_t sport,
			   const char *dst, uint16_t dport, uint64_t hash, uint32_t len,
			   uint32_t seq, uint64_t ts) {
	struct np_nat_fp f;

	memset(&f, 0, sizeof(f));
	f.segment = seg;
	f.proto = proto;
	f.dir = dir;
	f.src = A(src);
	f.dst = A(dst);
	f.sport = sport;
	f.dport = dport;
	f.hash = hash;
	f.len = len;
	f.tcp_seq = seq;
	f.ts_ns = ts;
	return f;
}

/* The seed's traversal connection, initiator direction, on each segment. */
static struct np_nat_fp
seed_in(uint8_t dir, uint64_t hash, uint32_t seq, uint64_t ts)
{
	return FP(SEG_IN, TCP, dir, "10.0.30.2", 27901, "64.100.0.10", 7003, hash, 517, seq, ts);
}

static struct np_nat_fp seed_dmz(uint8_t dir, uint64_t hash, uint32_t seq, uint64_t ts)
{
	return FP(SEG_DMZ, TCP, dir, "64.100.0.10", 4401, "10.0.10.2", 7003, hash, 517, seq, ts);
}

static struct np_nat_learner *learner(uint32_t max_bindings, uint32_t max_pending)
{
	struct np_nat_learner_conf c;
	struct np_nat_learner *l;

	memset(&c, 0, sizeof(c));
	c.max_bindings = max_bindings;
	c.max_pending = max_pending;
	l = np_nat_learner_create(&c);
	assert_non_null(l);
	return l;
}

static uint64_t stat(const struct np_nat_learner *l, enum np_nat_stat s)
{
	return np_nat_learner_stats(l)->v[s];
}

static void assert_seed_binding(const struct np_nat_binding *b)
{
	assert_int_equal(b->proto, TCP);
	assert_int_equal(b->seg_a, SEG_IN);
	assert_int_equal(b->seg_b, SEG_DMZ);
	assert_true(addr_eq(&b->a.src, "10.0.30.2"));
	assert_int_equal(b->a.sport, 27901);
	assert_true(addr_eq(&b->a.dst, "64.100.0.10"));
	assert_int_equal(b->a.dport, 7003);
	assert_true(addr_eq(&b->b.src, "64.100.0.10"));
	assert_int_equal(b->b.sport, 4401);
	assert_true(addr_eq(&b->b.dst, "10.0.10.2"));
	assert_int_equal(b->b.dport, 7003);
	assert_int_equal(b->changed, NP_NAT_CHANGED_SRC | NP_NAT_CHANGED_DST);
	assert_int_equal(b->seg_orig, SEG_IN);
	assert_false(b->is_static);
	assert_true(b->id != 0);
}

/* ---- learner ---- */

static void test_seed_inside_first(void **state)
{
	struct np_nat_learner *l = learner(0, 0);
	struct np_nat_binding b;
	struct np_nat_fp f;

	(void)state;
	f = seed_in(0, 0xabc, 1000, 10 * SEC);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 0);
	f = seed_dmz(0, 0xabc, 1000, 10 * SEC + 3 * MS);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 1);
	assert_seed_binding(&b);
	assert_int_equal(b.first_seen_ns, 10 * SEC + 3 * MS);
	assert_true(b.seq_known);
	assert_int_equal(b.seq_offset, 0);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_LEARNED), 1);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_ACTIVE), 1);
	assert_int_equal(stat(l, NP_NAT_STAT_AMBIGUOUS), 0);
	np_nat_learner_free(l);
}

static void test_seed_dmz_first(void **state)
{
	struct np_nat_learner *l = learner(0, 0);
	struct np_nat_binding b;
	struct np_nat_fp f;

	(void)state;
	f = seed_dmz(0, 0xabc, 1000, 10 * SEC);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 0);
	f = seed_in(0, 0xabc, 1000, 10 * SEC + 1 * MS);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 1);
	assert_seed_binding(&b);
	assert_true(np_nat_binding_find(l, SEG_DMZ, TCP, &b.b, NULL));
	assert_true(np_nat_binding_find(l, SEG_IN, TCP, &b.a, NULL));
	np_nat_learner_free(l);
}

static void test_join_on_answer_then_both_agree(void **state)
{
	struct np_nat_learner *l = learner(0, 0);
	struct np_nat_binding b;
	struct np_nat_fp f;

	(void)state;
	f = seed_in(0, 0x111, 5, SEC);
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), 0);
	f = seed_in(1, 0x222, 9, SEC + 5 * MS);
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), 0);
	/* dmz reports the answer first: joins on direction 1 */
	f = seed_dmz(1, 0x222, 9, SEC + 4 * MS);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 1);
	assert_seed_binding(&b);
	assert_false(b.seq_known);
	/* then the agreeing request: same binding, offset now known */
	f = seed_dmz(0, 0x111, 5, SEC + 1 * MS);
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), 0);
	assert_true(np_nat_binding_find(l, SEG_IN, TCP, &b.a, &b));
	assert_true(b.seq_known);
	assert_int_equal(b.seq_offset, 0);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_ACTIVE), 1);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_LEARNED), 1);
	np_nat_learner_free(l);
}

static void test_other_direction_disagrees(void **state)
{
	struct np_nat_learner *l = learner(0, 0);
	struct np_nat_fp f;

	(void)state;
	f = seed_in(0, 0x111, 0, SEC);
	np_nat_fingerprint(l, &f, NULL);
	f = seed_in(1, 0x222, 0, SEC + MS);
	np_nat_fingerprint(l, &f, NULL);
	f = seed_dmz(1, 0x333, 0, SEC + MS);
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), 0);
	f = seed_dmz(0, 0x111, 0, SEC + 2 * MS);
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), 0);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_ACTIVE), 0);
	np_nat_learner_free(l);
}

static void test_contradicted_binding_withdrawn(void **state)
{
	struct np_nat_learner *l = learner(0, 0);
	struct np_nat_fp f;

	(void)state;
	f = seed_in(0, 0x111, 0, SEC);
	np_nat_fingerprint(l, &f, NULL);
	f = seed_dmz(0, 0x111, 0, SEC + MS);
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), 1);
	f = seed_in(1, 0x222, 0, SEC + 2 * MS);
	np_nat_fingerprint(l, &f, NULL);
	f = seed_dmz(1, 0x999, 0, SEC + 2 * MS);
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), 0);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_ACTIVE), 0);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_WITHDRAWN), 1);
	np_nat_learner_free(l);
}

static void test_tcp_seq_offset(void **state)
{
	struct np_nat_learner *l = learner(0, 0);
	struct np_nat_binding b;
	struct np_nat_fp f;

	(void)state;
	f = seed_in(0, 0xabc, 4000000000u, SEC);
	np_nat_fingerprint(l, &f, NULL);
	f = seed_dmz(0, 0xabc, 123456, SEC + MS);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 1);
	assert_seed_binding(&b);
	assert_true(b.seq_known);
	assert_int_equal(b.seq_offset, (int64_t)123456 - 4000000000ll);
	assert_int_equal((uint32_t)(4000000000u + (uint64_t)b.seq_offset), 123456);
	np_nat_learner_free(l);
}

/* The seed's traversal connection, a message's fingerprint (len 0: lib/inspect's msgflow). */
static struct np_nat_fp msg_in(uint8_t dir, uint64_t hash, uint64_t ts)
{
	struct np_nat_fp f = seed_in(dir, hash, 0, ts);

	f.len = 0;
	return f;
}

static struct np_nat_fp msg_dmz(uint8_t dir, uint64_t hash, uint64_t ts)
{
	struct np_nat_fp f = seed_dmz(dir, hash, 0, ts);

	f.len = 0;
	return f;
}

/*
 * A correlator fed both a connection's start (another probe's flow events)
 * and its messages (msgflow), in the orders a central probe meets them:
 * one binding, learned once, never withdrawn.
 */
static void test_start_and_messages_one_binding(void **state)
{
	struct np_nat_learner *l = learner(0, 0);
	struct np_nat_binding b;
	struct np_nat_fp f;

	(void)state;
	/* dmz's start, then its first message, then inside's start: joined on the starts */
	f = seed_dmz(0, 0xabc, 1000, SEC);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 0);
	f = msg_dmz(0, 0x111, SEC);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 0);
	f = seed_dmz(1, 0xdef, 5000, SEC);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 0);
	f = seed_in(0, 0xabc, 1000, SEC + 8 * MS);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 1);
	assert_seed_binding(&b);
	assert_true(b.seq_known);
	f = seed_in(1, 0xdef, 5000, SEC + 8 * MS);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 0);
	/* the same messages on both sides, now and 2.3 s later (past the window) */
	f = msg_in(0, 0x111, SEC + 8 * MS);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 0);
	f = msg_in(1, 0x222, 3 * SEC + 300 * MS);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 0);
	f = msg_dmz(1, 0x222, 3 * SEC + 304 * MS);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 0);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_LEARNED), 1);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_ACTIVE), 1);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_WITHDRAWN), 0);
	np_nat_learner_free(l);
}

/* Messages first (learned from them, no sequence offset), the starts after: kept, completed. */
static void test_messages_then_start_one_binding(void **state)
{
	struct np_nat_learner *l = learner(0, 0);
	struct np_nat_binding b;
	struct np_nat_fp f;

	(void)state;
	f = msg_in(0, 0x111, SEC);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 0);
	f = msg_dmz(0, 0x111, SEC + 2 * MS);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 1);
	assert_seed_binding(&b);
	assert_false(b.seq_known); /* a message has no sequence number */
	f = seed_in(0, 0xabc, 7000, SEC + 3 * MS);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 0);
	f = seed_dmz(0, 0xabc, 9000, SEC + 4 * MS);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 0);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_LEARNED), 1);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_WITHDRAWN), 0);
	assert_true(np_nat_binding_find(l, SEG_IN, TCP, &b.a, &b));
	assert_true(b.seq_known);
	assert_int_equal(b.seq_offset, 2000);
	np_nat_learner_free(l);
}

/* The ambiguity rule still holds for messages: the same message on two flows of one side. */
static void test_messages_ambiguous(void **state)
{
	struct np_nat_learner *l = learner(0, 0);
	struct np_nat_binding b;
	struct np_nat_fp f;

	(void)state;
	f = msg_in(0, 0x111, SEC);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 0);
	f = FP(SEG_IN, TCP, 0, "10.0.30.3", 27902, "64.100.0.10", 7003, 0x111, 0, 0, SEC + MS);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 0);
	f = msg_dmz(0, 0x111, SEC + 2 * MS);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 0);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_LEARNED), 0);
	assert_true(stat(l, NP_NAT_STAT_AMBIGUOUS) > 0);
	np_nat_learner_free(l);
}

static void test_dnat_only(void **state)
{
	struct np_nat_learner *l = learner(0, 0);
	struct np_nat_binding b;
	struct np_nat_fp f;

	(void)state;
	f = FP(SEG_DMZ, TCP, 0, "10.0.30.2", 27901, "10.0.10.2", 7003, 0x77, 300, 0, SEC);
	np_nat_fingerprint(l, &f, NULL);
	f = FP(SEG_IN, TCP, 0, "10.0.30.2", 27901, "64.100.0.10", 7003, 0x77, 300, 0, SEC + MS);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 1);
	assert_int_equal(b.changed, NP_NAT_CHANGED_DST);
	assert_int_equal(b.seg_orig, SEG_IN);
	assert_true(addr_eq(&b.a.dst, "64.100.0.10"));
	assert_true(addr_eq(&b.b.dst, "10.0.10.2"));
	np_nat_learner_free(l);
}

static void test_untranslated_not_kept(void **state)
{
	struct np_nat_learner *l = learner(0, 0);
	struct np_nat_fp f;

	(void)state;
	f = FP(SEG_IN, UDP, 0, "10.0.30.2", 5060, "10.0.10.2", 5060, 0x5, 400, 0, SEC);
	np_nat_fingerprint(l, &f, NULL);
	f.segment = SEG_DMZ;
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), 0);
	assert_int_equal(stat(l, NP_NAT_STAT_UNTRANSLATED), 1);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_ACTIVE), 0);
	np_nat_learner_free(l);
}

static void test_ambiguous_before_join(void **state)
{
	struct np_nat_learner *l = learner(0, 0);
	struct np_nat_fp f;

	(void)state;
	/* identical keepalives on two inside flows, then on two dmz flows */
	f = FP(SEG_IN, TCP, 0, "10.0.30.2", 1001, "64.100.0.10", 7003, 0xcafe, 4, 0, SEC);
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), 0);
	f = FP(SEG_IN, TCP, 0, "10.0.30.3", 1002, "64.100.0.10", 7003, 0xcafe, 4, 0, SEC + MS);
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), 0);
	f = FP(SEG_DMZ, TCP, 0, "64.100.0.10", 4001, "10.0.10.2", 7003, 0xcafe, 4, 0, SEC + MS);
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), 0);
	f = FP(SEG_DMZ, TCP, 0, "64.100.0.10", 4002, "10.0.10.2", 7003, 0xcafe, 4, 0, SEC + 2 * MS);
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), 0);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_ACTIVE), 0);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_LEARNED), 0);
	assert_true(stat(l, NP_NAT_STAT_AMBIGUOUS) >= 2);
	np_nat_learner_free(l);
}

static void test_ambiguous_after_join_withdrawn(void **state)
{
	struct np_nat_learner *l = learner(0, 0);
	struct np_nat_xlat *x = np_nat_xlat_create(64, NULL, NULL, NULL);
	struct np_nat_xlat_entry e;
	struct np_nat_fp f;

	(void)state;
	assert_int_equal(np_nat_learner_attach_xlat(l, x), 0);
	f = FP(SEG_IN, TCP, 0, "10.0.30.2", 1001, "64.100.0.10", 7003, 0xcafe, 4, 0, SEC);
	np_nat_fingerprint(l, &f, NULL);
	f = FP(SEG_DMZ, TCP, 0, "64.100.0.10", 4001, "10.0.10.2", 7003, 0xcafe, 4, 0, SEC + MS);
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), 1);
	assert_true(np_nat_xlat_lookup(x, &f.src, 4001, TCP, &e));
	/* a second inside flow with the same bytes: the join was a guess */
	f = FP(SEG_IN, TCP, 0, "10.0.30.3", 1002, "64.100.0.10", 7003, 0xcafe, 4, 0,
	       SEC + 900 * MS);
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), 0);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_ACTIVE), 0);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_WITHDRAWN), 1);
	assert_int_equal(stat(l, NP_NAT_STAT_AMBIGUOUS), 1);
	assert_false(np_nat_xlat_lookup(x, &e.addr, 4001, TCP, &e));
	assert_int_equal(np_nat_xlat_count(x), 0);
	/* its dmz twin finds two inside flows: no new binding either */
	f = FP(SEG_DMZ, TCP, 0, "64.100.0.10", 4002, "10.0.10.2", 7003, 0xcafe, 4, 0,
	       SEC + 901 * MS);
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), 0);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_ACTIVE), 0);
	np_nat_learner_free(l);
	np_nat_xlat_free(x);
}

static void test_outside_window(void **state)
{
	struct np_nat_learner *l = learner(0, 0);
	struct np_nat_fp f;

	(void)state;
	f = seed_in(0, 0xabc, 0, SEC);
	np_nat_fingerprint(l, &f, NULL);
	f = seed_dmz(0, 0xabc, 0, SEC + NP_NAT_DEFAULT_WINDOW_NS + 1);
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), 0);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_ACTIVE), 0);
	/* exactly at the window edge joins */
	f = seed_in(0, 0xdef, 0, 10 * SEC);
	f.sport = 27902;
	np_nat_fingerprint(l, &f, NULL);
	f = seed_dmz(0, 0xdef, 0, 10 * SEC + NP_NAT_DEFAULT_WINDOW_NS);
	f.sport = 4402;
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), 1);
	np_nat_learner_free(l);
}

static void test_pending_overflow(void **state)
{
	struct np_nat_learner *l = learner(0, 4);
	struct np_nat_fp f;
	unsigned int i;

	(void)state;
	for (i = 0; i < 10; i++) {
		f = seed_in(0, 0x1000 + i, 0, SEC + i * MS);
		f.sport = (uint16_t)(2000 + i);
		assert_int_equal(np_nat_fingerprint(l, &f, NULL), 0);
	}
	assert_int_equal(stat(l, NP_NAT_STAT_PENDING_DROPPED), 6);
	/* the oldest are gone, the newest still join */
	f = seed_dmz(0, 0x1000, 0, SEC + 20 * MS);
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), 0);
	f = seed_dmz(0, 0x1009, 0, SEC + 21 * MS);
	f.sport = 4500;
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), 1);
	np_nat_learner_free(l);
}

static void test_expired_pending_not_counted(void **state)
{
	struct np_nat_learner *l = learner(0, 2);
	struct np_nat_fp f;
	unsigned int i;

	(void)state;
	for (i = 0; i < 6; i++) {
		f = seed_in(0, 0x1000 + i, 0, (uint64_t)i * 10 * SEC);
		f.sport = (uint16_t)(2000 + i);
		np_nat_fingerprint(l, &f, NULL);
	}
	assert_int_equal(stat(l, NP_NAT_STAT_PENDING_DROPPED), 0);
	np_nat_learner_free(l);
}

struct many_ctx {
	unsigned int n, bad;
};

static int check_many(void *ctx, const struct np_nat_binding *b)
{
	struct many_ctx *m = ctx;
	unsigned int i = b->b.sport - 1024u;
	char want[32];

	m->n++;
	snprintf(want, sizeof(want), "10.1.%u.%u", i >> 8, i & 255);
	if (i >= 10000 || !addr_eq(&b->a.src, want) || b->a.sport != 10000 + i % 50000 ||
	    !addr_eq(&b->b.src, "198.51.100.1") || !addr_eq(&b->b.dst, "10.0.10.2") ||
	    b->changed != (NP_NAT_CHANGED_SRC | NP_NAT_CHANGED_DST) || b->seg_orig != SEG_IN ||
	    !b->seq_known || b->seq_offset != (int64_t)(i * 7u) - (int64_t)i)
		m->bad++;
	return 0;
}

static void test_10000_flows(void **state)
{
	struct np_nat_learner *l = learner(16384, 32768);
	struct np_nat_xlat *x = np_nat_xlat_create(32768, NULL, NULL, NULL);
	struct many_ctx m = { 0, 0 };
	struct np_nat_xlat_entry e;
	unsigned int i, learned = 0;

	(void)state;
	assert_int_equal(np_nat_learner_attach_xlat(l, x), 0);
	for (i = 0; i < 10000; i++) {
		char src[32];
		uint64_t t = SEC + (uint64_t)i * 100000, h = 0x9e3779b97f4a7c15ull * (i + 1);
		struct np_nat_fp fi, fd;

		snprintf(src, sizeof(src), "10.1.%u.%u", i >> 8, i & 255);
		fi = FP(SEG_IN, TCP, 0, src, (uint16_t)(10000 + i % 50000), "203.0.113.10", 5061, h,
			100 + i % 1000, i, t);
		fd = FP(SEG_DMZ, TCP, 0, "198.51.100.1", (uint16_t)(1024 + i), "10.0.10.2", 5061, h,
			100 + i % 1000, i * 7u, t + 50000);
		if (i & 1) {
			learned += np_nat_fingerprint(l, &fd, NULL) == 1;
			learned += np_nat_fingerprint(l, &fi, NULL) == 1;
		} else {
			learned += np_nat_fingerprint(l, &fi, NULL) == 1;
			learned += np_nat_fingerprint(l, &fd, NULL) == 1;
		}
		fi.dir = fd.dir = 1;
		fi.hash = fd.hash = ~h;
		fi.ts_ns += 2 * MS;
		fd.ts_ns += 2 * MS;
		assert_int_equal(np_nat_fingerprint(l, &fd, NULL), 0);
		assert_int_equal(np_nat_fingerprint(l, &fi, NULL), 0);
	}
	assert_int_equal(learned, 10000);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_ACTIVE), 10000);
	assert_int_equal(stat(l, NP_NAT_STAT_AMBIGUOUS), 0);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_WITHDRAWN), 0);
	assert_int_equal(stat(l, NP_NAT_STAT_PENDING_DROPPED), 0);
	assert_int_equal(np_nat_binding_foreach(l, check_many, &m), 0);
	assert_int_equal(m.n, 10000);
	assert_int_equal(m.bad, 0);
	/* every translated source, the shared public port, the public address */
	for (i = 0; i < 10000; i++) {
		struct np_addr s = A("198.51.100.1");
		char want[32];

		snprintf(want, sizeof(want), "10.1.%u.%u", i >> 8, i & 255);
		assert_true(np_nat_xlat_lookup(x, &s, (uint16_t)(1024 + i), TCP, &e));
		assert_int_equal(e.kind, NP_NAT_X_SNAT_SOURCE);
		assert_true(addr_eq(&e.orig, want));
	}
	e.addr = A("203.0.113.10");
	assert_true(np_nat_xlat_lookup(x, &e.addr, 5061, TCP, &e));
	assert_int_equal(e.kind, NP_NAT_X_DNAT_PUBLIC);
	assert_true(addr_eq(&e.orig, "10.0.10.2"));
	assert_int_equal(e.orig_port, 5061);
	assert_int_equal(np_nat_xlat_count(x), 10002);
	/* all expire together, and take their entries along */
	assert_int_equal(np_nat_expire(l, 100 * SEC), 10000);
	assert_int_equal(np_nat_xlat_count(x), 0);
	np_nat_learner_free(l);
	np_nat_xlat_free(x);
}

/*
 * Tiny tables, many hash seeds: chains collide, pending slots are recycled
 * while in the window, bindings expire and are reused. Every flow is fed
 * right after its twin, so every one must join; every tenth has a
 * keepalive twin on the same segment and must not.
 */
static void test_small_tables_many_seeds(void **state)
{
	unsigned int seed, i;

	(void)state;
	for (seed = 1; seed <= 200; seed++) {
		struct np_nat_learner_conf c = { .max_bindings = 32,
						 .max_pending = 8,
						 .grace_ns = SEC,
						 .hash_seed = seed * 0x9e37ull };
		struct np_nat_learner *l = np_nat_learner_create(&c);
		struct np_nat_xlat *x = np_nat_xlat_create(16, NULL, NULL, NULL);
		unsigned int learned = 0, want = 0;

		assert_non_null(l);
		assert_int_equal(np_nat_learner_attach_xlat(l, x), 0);
		for (i = 0; i < 300; i++) {
			uint64_t t = SEC + (uint64_t)i * 100 * MS;
			uint64_t h = i % 10 == 0 ? 0xfeed : 0x1000 + i;
			struct np_nat_fp fi, fd, fk;
			struct np_nat_binding b;
			char src[32];

			snprintf(src, sizeof(src), "10.2.%u.%u", i >> 8, i & 255);
			fi = FP(SEG_IN, UDP, 0, src, 5060, "64.100.0.10", 5060, h, 60, 0, t);
			fd = FP(SEG_DMZ, UDP, 0, "64.100.0.10", (uint16_t)(3000 + i), "10.0.10.2",
				5060, h, 60, 0, t + MS);
			fk = fi;
			fk.sport = 5061;
			fk.ts_ns = t + 2 * MS;
			learned += np_nat_fingerprint(l, &fi, NULL) == 1;
			learned += np_nat_fingerprint(l, &fd, &b) == 1;
			if (i % 10 == 0) {
				/* keepalive twin: withdraws what was just learned */
				assert_int_equal(np_nat_fingerprint(l, &fk, NULL), 0);
				assert_false(np_nat_binding_find(l, SEG_IN, UDP,
								 &(struct np_nat_tuple){
									 fi.src, fi.dst, fi.sport,
									 fi.dport },
								 NULL));
			} else {
				want++;
				assert_true(addr_eq(&b.a.src, src));
				assert_int_equal(b.b.sport, 3000 + i);
			}
			fi.dir = fd.dir = 1;
			fi.hash = fd.hash = ~h;
			fi.ts_ns += 3 * MS;
			fd.ts_ns += 3 * MS;
			assert_int_equal(np_nat_fingerprint(l, &fd, NULL), 0);
			assert_int_equal(np_nat_fingerprint(l, &fi, NULL), 0);
			np_nat_expire(l, t);
			assert_true(stat(l, NP_NAT_STAT_BINDINGS_ACTIVE) <= 12);
		}
		assert_int_equal(learned, want + 30);
		assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_LEARNED), want + 30);
		assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_WITHDRAWN), 30);
		assert_true(stat(l, NP_NAT_STAT_PENDING_DROPPED) > 0);
		assert_int_equal(stat(l, NP_NAT_STAT_TABLE_FULL), 0);
		np_nat_expire(l, 1000 * SEC);
		assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_ACTIVE), 0);
		assert_int_equal(np_nat_xlat_count(x), 0);
		np_nat_learner_free(l);
		np_nat_xlat_free(x);
	}
}

static void test_expiry_after_grace(void **state)
{
	struct np_nat_learner *l = learner(0, 0);
	struct np_nat_xlat *x = np_nat_xlat_create(64, NULL, NULL, NULL);
	struct np_nat_xlat_entry e;
	struct np_nat_binding b;
	struct np_nat_fp f;

	(void)state;
	assert_int_equal(np_nat_learner_attach_xlat(l, x), 0);
	f = seed_in(0, 0xabc, 0, SEC);
	np_nat_fingerprint(l, &f, NULL);
	f = seed_dmz(0, 0xabc, 0, SEC + MS);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 1);
	assert_int_equal(np_nat_flow_seen(l, SEG_IN, TCP, &b.a, 20 * SEC), 1);
	assert_int_equal(np_nat_flow_seen(l, SEG_IN, UDP, &b.a, 25 * SEC), 0);
	assert_int_equal(np_nat_expire(l, 35 * SEC), 0);
	assert_int_equal(np_nat_expire(l, 50 * SEC), 0); /* exactly grace: kept */
	assert_true(np_nat_xlat_lookup(x, &b.b.src, 4401, TCP, &e));
	assert_int_equal(np_nat_expire(l, 50 * SEC + 1), 1);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_EXPIRED), 1);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_ACTIVE), 0);
	assert_false(np_nat_binding_find(l, SEG_IN, TCP, &b.a, NULL));
	assert_false(np_nat_xlat_lookup(x, &b.b.src, 4401, TCP, &e));
	assert_int_equal(np_nat_xlat_count(x), 0);
	np_nat_learner_free(l);
	np_nat_xlat_free(x);
}

static void test_seed_publishes_xlat(void **state)
{
	struct np_nat_learner *l = learner(0, 0);
	struct np_nat_xlat *x = np_nat_xlat_create(64, NULL, NULL, NULL);
	struct np_addr pub = A("64.100.0.10");
	struct np_nat_xlat_entry e;
	struct np_nat_binding b;
	struct np_nat_fp f;

	(void)state;
	f = seed_in(0, 0xabc, 0, SEC);
	np_nat_fingerprint(l, &f, NULL);
	f = seed_dmz(0, 0xabc, 0, SEC + MS);
	assert_int_equal(np_nat_fingerprint(l, &f, &b), 1);
	/* attached after the fact: published at once */
	assert_int_equal(np_nat_learner_attach_xlat(l, x), 0);
	assert_int_equal(np_nat_xlat_count(x), 3);
	assert_true(np_nat_xlat_lookup(x, &pub, 4401, TCP, &e));
	assert_int_equal(e.kind, NP_NAT_X_SNAT_SOURCE);
	assert_true(addr_eq(&e.orig, "10.0.30.2"));
	assert_int_equal(e.orig_port, 27901);
	assert_int_equal(e.seg, SEG_IN);
	assert_int_equal(e.binding_id, b.id);
	assert_true(np_nat_xlat_lookup(x, &pub, 7003, TCP, &e));
	assert_int_equal(e.kind, NP_NAT_X_DNAT_PUBLIC);
	assert_true(addr_eq(&e.orig, "10.0.10.2"));
	assert_int_equal(e.orig_port, 7003);
	assert_int_equal(e.seg, SEG_DMZ);
	/* any other port of the public address: the whole-address entry */
	assert_true(np_nat_xlat_lookup(x, &pub, 5061, UDP, &e));
	assert_int_equal(e.kind, NP_NAT_X_DNAT_PUBLIC);
	assert_int_equal(e.port, 0);
	assert_true(addr_eq(&e.orig, "10.0.10.2"));
	assert_int_equal(e.orig_port, 0);
	assert_int_equal(np_nat_learner_attach_xlat(l, x), 0);
	assert_int_equal(np_nat_learner_attach_xlat(l, (struct np_nat_xlat *)&pub), -EBUSY);
	np_nat_learner_free(l);
	np_nat_xlat_free(x);
}

static int count_static(void *ctx, const struct np_nat_binding *b)
{
	if (b->is_static)
		(*(unsigned int *)ctx)++;
	return 0;
}

static void test_static_entries(void **state)
{
	struct np_nat_learner *l = learner(0, 0);
	struct np_nat_xlat *x = np_nat_xlat_create(64, NULL, NULL, NULL);
	struct np_static_nat sn = { A("10.0.10.2"), A("64.100.0.10") };
	struct np_static_nat sn2 = { A("10.0.10.3"), A("64.100.0.10") };
	struct np_nat_xlat_entry e;
	unsigned int n = 0;
	struct np_nat_fp f;

	(void)state;
	assert_int_equal(np_nat_learner_attach_xlat(l, x), 0);
	assert_int_equal(np_nat_add_static(l, &sn), 0);
	assert_int_equal(np_nat_add_static(l, &sn), -EEXIST);
	assert_int_equal(np_nat_add_static(l, &sn2), -EEXIST);
	sn2.pub = sn2.priv;
	assert_int_equal(np_nat_add_static(l, &sn2), -EINVAL);
	assert_int_equal(stat(l, NP_NAT_STAT_STATIC_ENTRIES), 1);
	assert_int_equal(np_nat_binding_foreach(l, count_static, &n), 0);
	assert_int_equal(n, 1);
	assert_true(np_nat_xlat_lookup(x, &sn.pub, 443, TCP, &e));
	assert_int_equal(e.kind, NP_NAT_X_STATIC_PUBLIC);
	assert_true(addr_eq(&e.orig, "10.0.10.2"));
	assert_int_equal(e.seg, NP_NAT_SEG_ANY);
	/* a learned binding keeps its port entries; the address stays static */
	f = seed_in(0, 0xabc, 0, SEC);
	np_nat_fingerprint(l, &f, NULL);
	f = seed_dmz(0, 0xabc, 0, SEC + MS);
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), 1);
	assert_true(np_nat_xlat_lookup(x, &sn.pub, 9999, TCP, &e));
	assert_int_equal(e.kind, NP_NAT_X_STATIC_PUBLIC);
	assert_true(np_nat_xlat_lookup(x, &sn.pub, 4401, TCP, &e));
	assert_int_equal(e.kind, NP_NAT_X_SNAT_SOURCE);
	/* static entries never expire */
	assert_int_equal(np_nat_expire(l, 1000 * SEC), 1);
	assert_int_equal(stat(l, NP_NAT_STAT_STATIC_ENTRIES), 1);
	assert_int_equal(stat(l, NP_NAT_STAT_BINDINGS_ACTIVE), 1);
	assert_true(np_nat_xlat_lookup(x, &sn.pub, 9999, TCP, &e));
	assert_int_equal(e.kind, NP_NAT_X_STATIC_PUBLIC);
	assert_int_equal(np_nat_xlat_count(x), 1);
	np_nat_learner_free(l);
	np_nat_xlat_free(x);
}

static void test_table_full(void **state)
{
	struct np_nat_learner *l = learner(1, 0);
	struct np_static_nat sn = { A("10.0.10.2"), A("64.100.0.10") };
	struct np_nat_fp f;

	(void)state;
	assert_int_equal(np_nat_add_static(l, &sn), 0);
	f = seed_in(0, 0xabc, 0, SEC);
	np_nat_fingerprint(l, &f, NULL);
	f = seed_dmz(0, 0xabc, 0, SEC + MS);
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), 0);
	assert_int_equal(stat(l, NP_NAT_STAT_TABLE_FULL), 1);
	sn.pub = A("64.100.0.11");
	assert_int_equal(np_nat_add_static(l, &sn), -ENOSPC);
	np_nat_learner_free(l);
}

static void test_learner_errors(void **state)
{
	struct np_nat_learner_conf c;
	struct np_nat_learner *l = learner(0, 0);
	struct np_nat_fp f = seed_in(0, 1, 0, 0);

	(void)state;
	memset(&c, 0, sizeof(c));
	c.max_bindings = NP_NAT_MAX_TABLE + 1;
	errno = 0;
	assert_null(np_nat_learner_create(&c));
	assert_int_equal(errno, EINVAL);
	assert_null(np_nat_learner_create(NULL));
	f.dir = 2;
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), -EINVAL);
	f.dir = 0;
	f.segment = NP_MAX_SEGMENTS;
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), -EINVAL);
	f.segment = 0;
	f.proto = 0;
	assert_int_equal(np_nat_fingerprint(l, &f, NULL), -EINVAL);
	assert_int_equal(np_nat_fingerprint(NULL, &f, NULL), -EINVAL);
	assert_int_equal(np_nat_expire(NULL, 0), -EINVAL);
	assert_int_equal(np_nat_flow_seen(l, NP_MAX_SEGMENTS, TCP, &(struct np_nat_tuple){ 0 }, 0),
			 -EINVAL);
	np_nat_learner_free(l);
}

static void test_stat_names(void **state)
{
	static const char *const want[] = {
		"nat_bindings_active", "nat_bindings_learned_total", "nat_bindings_expired_total",
		"nat_ambiguous_total", "nat_pending_dropped_total",  "nat_static_entries",
		"nat_table_full_total"
	};
	const struct np_ctr_desc *r = np_nat_counters.rows;
	unsigned int i, j, found;

	(void)state;
	assert_int_equal(np_nat_counters.n, NP_NAT_STAT_MAX);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		found = 0;
		for (j = 0; j < NP_NAT_STAT_MAX; j++)
			found += strcmp(r[j].name, want[i]) == 0;
		assert_int_equal(found, 1);
	}
	for (j = 0; j < NP_NAT_STAT_MAX; j++) {
		assert_true(r[j].help && r[j].help[0]);
		assert_int_equal(r[j].off, offsetof(struct np_nat_stats, v[j]));
	}
	assert_int_equal(r[NP_NAT_STAT_BINDINGS_ACTIVE].type, NP_CTR_GAUGE);
	assert_int_equal(r[NP_NAT_STAT_BINDINGS_LEARNED].type, NP_CTR_COUNTER);
}

/* ---- translation table ---- */

static struct np_nat_xlat_entry XE(const char *addr, uint16_t port, uint8_t proto, uint8_t kind,
				   const char *orig, uint16_t orig_port, uint8_t seg) {
	struct np_nat_xlat_entry e;

	memset(&e, 0, sizeof(e));
	e.addr = A(addr);
	e.port = port;
	e.proto = proto;
	e.kind = kind;
	e.orig = A(orig);
	e.orig_port = orig_port;
	e.seg = seg;
	e.binding_id = 7;
	return e;
}

static void
test_xlat_kinds_and_fallback(void **state)
{
	struct np_nat_xlat *x = np_nat_xlat_create(16, NULL, NULL, NULL);
	struct np_nat_xlat_entry e, o;
	struct np_addr a;

	(void)state;
	e = XE("64.100.0.10", 4401, TCP, NP_NAT_X_SNAT_SOURCE, "10.0.30.2", 27901, 0);
	assert_int_equal(np_nat_xlat_add(x, &e), 0);
	e = XE("64.100.0.10", 7003, TCP, NP_NAT_X_DNAT_PUBLIC, "10.0.10.2", 7003, 1);
	assert_int_equal(np_nat_xlat_add(x, &e), 0);
	e = XE("2001:db8::10", 0, 0, NP_NAT_X_STATIC_PUBLIC, "fd00::10", 0, NP_NAT_SEG_ANY);
	assert_int_equal(np_nat_xlat_add(x, &e), 0);
	a = A("64.100.0.10");
	assert_true(np_nat_xlat_lookup(x, &a, 4401, TCP, &o));
	assert_int_equal(o.kind, NP_NAT_X_SNAT_SOURCE);
	assert_int_equal(o.orig_port, 27901);
	assert_int_equal(o.binding_id, 7);
	assert_true(np_nat_xlat_lookup(x, &a, 7003, TCP, &o));
	assert_int_equal(o.kind, NP_NAT_X_DNAT_PUBLIC);
	assert_false(np_nat_xlat_lookup(x, &a, 7003, UDP, &o)); /* protocol is part of the key */
	assert_false(np_nat_xlat_lookup(x, &a, 4402, TCP, &o)); /* no whole-address entry yet */
	assert_false(np_nat_xlat_lookup(x, &a, 0, 0, &o));
	e = XE("64.100.0.10", 0, 0, NP_NAT_X_DNAT_PUBLIC, "10.0.10.2", 0, 1);
	assert_int_equal(np_nat_xlat_add(x, &e), 0);
	assert_true(np_nat_xlat_lookup(x, &a, 4402, TCP, &o));
	assert_int_equal(o.port, 0);
	assert_true(np_nat_xlat_lookup(x, &a, 4401, TCP, &o)); /* the exact entry wins */
	assert_int_equal(o.kind, NP_NAT_X_SNAT_SOURCE);
	a = A("2001:db8::10");
	assert_true(np_nat_xlat_lookup(x, &a, 5061, TCP, &o));
	assert_int_equal(o.kind, NP_NAT_X_STATIC_PUBLIC);
	assert_true(addr_eq(&o.orig, "fd00::10"));
	a = A("64.100.0.11");
	assert_false(np_nat_xlat_lookup(x, &a, 7003, TCP, &o));
	assert_int_equal(np_nat_xlat_count(x), 4);
	np_nat_xlat_free(x);
}

static void test_xlat_refs_and_replace(void **state)
{
	struct np_nat_xlat *x = np_nat_xlat_create(16, NULL, NULL, NULL);
	struct np_nat_xlat_entry e, o, s;

	(void)state;
	e = XE("64.100.0.10", 7003, TCP, NP_NAT_X_DNAT_PUBLIC, "10.0.10.2", 7003, 1);
	assert_int_equal(np_nat_xlat_add(x, &e), 0);
	e.binding_id = 8;
	assert_int_equal(np_nat_xlat_add(x, &e), 0);
	assert_true(np_nat_xlat_lookup(x, &e.addr, 7003, TCP, &o));
	assert_int_equal(o.binding_id, 8);
	assert_int_equal(np_nat_xlat_del(x, &e), 0);
	assert_true(np_nat_xlat_lookup(x, &e.addr, 7003, TCP, &o)); /* one reference left */
	/* another answer replaces; the old holder cannot delete the new one */
	o = e;
	o.orig = A("10.0.10.9");
	assert_int_equal(np_nat_xlat_add(x, &o), 0);
	assert_int_equal(np_nat_xlat_del(x, &e), -ENOENT);
	assert_int_equal(np_nat_xlat_del(x, &o), 0);
	assert_false(np_nat_xlat_lookup(x, &e.addr, 7003, TCP, &o));
	assert_int_equal(np_nat_xlat_del(x, &e), -ENOENT);
	/* a static answer is only replaced by a static one */
	s = XE("64.100.0.10", 0, 0, NP_NAT_X_STATIC_PUBLIC, "10.0.10.2", 0, NP_NAT_SEG_ANY);
	assert_int_equal(np_nat_xlat_add(x, &s), 0);
	e = XE("64.100.0.10", 0, 0, NP_NAT_X_DNAT_PUBLIC, "10.0.10.3", 0, 1);
	assert_int_equal(np_nat_xlat_add(x, &e), -EEXIST);
	/* bad entries */
	e.proto = TCP;
	assert_int_equal(np_nat_xlat_add(x, &e), -EINVAL);
	e.proto = 0;
	e.kind = 9;
	assert_int_equal(np_nat_xlat_add(x, &e), -EINVAL);
	assert_int_equal(np_nat_xlat_add(NULL, &e), -EINVAL);
	np_nat_xlat_free(x);
}

static void test_xlat_full_and_reuse(void **state)
{
	struct np_nat_xlat *x = np_nat_xlat_create(8, NULL, NULL, NULL);
	struct np_nat_xlat_entry e, o;
	unsigned int i, round;

	(void)state;
	errno = 0;
	assert_null(np_nat_xlat_create(0, NULL, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	for (i = 0; i < 8; i++) {
		e = XE("64.100.0.10", (uint16_t)(1000 + i), TCP, NP_NAT_X_SNAT_SOURCE, "10.0.0.1",
		       (uint16_t)i, 0);
		assert_int_equal(np_nat_xlat_add(x, &e), 0);
	}
	e.port = 2000;
	assert_int_equal(np_nat_xlat_add(x, &e), -ENOSPC);
	/* churn: tombstones are reused and every live key stays reachable */
	for (round = 0; round < 1000; round++) {
		i = round % 8;
		e = XE("64.100.0.10", (uint16_t)(1000 + i + 8 * (round / 8)), TCP,
		       NP_NAT_X_SNAT_SOURCE, "10.0.0.1", (uint16_t)i, 0);
		assert_int_equal(np_nat_xlat_del(x, &e), 0);
		e.port = (uint16_t)(e.port + 8);
		assert_int_equal(np_nat_xlat_add(x, &e), 0);
		assert_true(np_nat_xlat_lookup(x, &e.addr, e.port, TCP, &o));
	}
	assert_int_equal(np_nat_xlat_count(x), 8);
	assert_true(x->max_dist <= x->mask);
	np_nat_xlat_free(x);
}

/*
 * The address counters in front of the slots: 300 entries of one address
 * (one port each) share its counter, which stops at 255 and stays there;
 * every entry is found while it lives, none after it goes, and the address
 * is found again when it comes back.
 */
static void test_xlat_address_counter_saturates(void **state)
{
	struct np_nat_xlat *x = np_nat_xlat_create(512, NULL, NULL, NULL);
	struct np_nat_xlat_entry e, o;
	struct np_addr a = A("64.100.0.10"), b = A("64.100.0.11");
	uint8_t *ca;
	unsigned int i;

	(void)state;
	assert_non_null(x);
	ca = &x->present[np_nat__xlat_hash(x, &a, 0, 0) & x->present_mask];
	assert_int_equal(*ca, 0);
	for (i = 1; i <= 300; i++) {
		e = XE("64.100.0.10", (uint16_t)i, UDP, NP_NAT_X_SNAT_SOURCE, "10.0.0.1",
		       (uint16_t)i, 0);
		assert_int_equal(np_nat_xlat_add(x, &e), 0);
		assert_int_equal(*ca, i < 255 ? i : 255);
	}
	for (i = 1; i <= 300; i++)
		assert_true(np_nat_xlat_lookup(x, &a, (uint16_t)i, UDP, &o));
	assert_false(np_nat_xlat_lookup(x, &a, 301, UDP, &o));
	assert_false(np_nat_xlat_lookup(x, &b, 1, UDP, &o));
	for (i = 1; i <= 300; i++) {
		e = XE("64.100.0.10", (uint16_t)i, UDP, NP_NAT_X_SNAT_SOURCE, "10.0.0.1",
		       (uint16_t)i, 0);
		assert_int_equal(np_nat_xlat_del(x, &e), 0);
		assert_false(np_nat_xlat_lookup(x, &a, (uint16_t)i, UDP, &o));
		if (i < 300)
			assert_true(np_nat_xlat_lookup(x, &a, 300, UDP, &o));
	}
	assert_int_equal(*ca, 255); /* stuck: it could no longer count down to a true 0 */
	assert_int_equal(np_nat_xlat_count(x), 0);
	e = XE("64.100.0.10", 0, 0, NP_NAT_X_DNAT_PUBLIC, "10.0.0.2", 0, 1);
	assert_int_equal(np_nat_xlat_add(x, &e), 0);
	assert_true(np_nat_xlat_lookup(x, &a, 5060, UDP, &o));
	assert_int_equal(o.kind, NP_NAT_X_DNAT_PUBLIC);
	/* a counter below 255 goes back to 0 with its last entry */
	e = XE("64.100.0.11", 5060, UDP, NP_NAT_X_SNAT_SOURCE, "10.0.0.3", 5060, 0);
	assert_int_equal(np_nat_xlat_add(x, &e), 0);
	assert_int_equal(np_nat_xlat_add(x, &e), 0); /* a second reference: no second count */
	assert_true(x->present[np_nat__xlat_hash(x, &b, 0, 0) & x->present_mask] >= 1);
	assert_int_equal(np_nat_xlat_del(x, &e), 0);
	assert_true(np_nat_xlat_lookup(x, &b, 5060, UDP, &o));
	assert_int_equal(np_nat_xlat_del(x, &e), 0);
	assert_false(np_nat_xlat_lookup(x, &b, 5060, UDP, &o));
	if (ca != &x->present[np_nat__xlat_hash(x, &b, 0, 0) & x->present_mask])
		assert_int_equal(x->present[np_nat__xlat_hash(x, &b, 0, 0) & x->present_mask], 0);
	np_nat_xlat_free(x);
}

/* Entry for churn key @p k, version @p v: every field derived from (k, v). */
static struct np_nat_xlat_entry conc_entry(uint32_t k, uint16_t v)
{
	struct np_nat_xlat_entry e;
	uint64_t h = 0x9e3779b97f4a7c15ull * (((uint64_t)k << 16 | v) + 1);
	uint32_t a = 0x0b000000u | k;

	memset(&e, 0, sizeof(e));
	np_addr_from_v4(&e.addr, htonl(a));
	e.port = k % 5 == 0 ? 0 : (uint16_t)(1000 + k);
	e.proto = e.port ? TCP : 0;
	e.kind = e.port ? (uint8_t)(1 + k % 2) : NP_NAT_X_DNAT_PUBLIC;
	memcpy(e.orig.b, &h, 8);
	memcpy(e.orig.b + 8, &k, 4);
	memcpy(e.orig.b + 12, &v, 2);
	e.orig_port = v;
	e.seg = (uint8_t)((k + v) & 7);
	e.binding_id = (uint32_t)(h >> 32);
	return e;
}

#define CONC_STABLE 64
#define CONC_CHURN 1500
#define CONC_HOT 8 /* churn keys rewritten half of the time, to make reads collide */
#define CONC_CAPACITY 1024

struct conc {
	struct np_nat_xlat *x;
	volatile int stop;
	uint64_t hits, misses, bad, stable_miss, lookups, writes, bad_writes;
};

static void *conc_writer(void *arg)
{
	struct conc *c = arg;
	static uint16_t ver[CONC_CHURN];
	static bool live[CONC_CHURN];
	uint64_t r = 88172645463325252ull;
	uint32_t nlive = 0;

	while (!__atomic_load_n(&c->stop, __ATOMIC_RELAXED)) {
		uint32_t k;
		struct np_nat_xlat_entry e;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		k = CONC_STABLE + (uint32_t)(r & 1 ? (r >> 1) % CONC_HOT : (r >> 1) % CONC_CHURN);
		if (live[k - CONC_STABLE]) {
			e = conc_entry(k, ver[k - CONC_STABLE]);
			if ((r >> 40) % 8 == 0) {
				c->bad_writes += np_nat_xlat_del(c->x, &e) != 0;
				live[k - CONC_STABLE] = false;
				nlive--;
			} else {
				e = conc_entry(k, ++ver[k - CONC_STABLE]);
				c->bad_writes += np_nat_xlat_add(c->x, &e) != 0;
			}
		} else if (nlive + CONC_STABLE < CONC_CAPACITY) {
			e = conc_entry(k, ++ver[k - CONC_STABLE]);
			c->bad_writes += np_nat_xlat_add(c->x, &e) != 0;
			live[k - CONC_STABLE] = true;
			nlive++;
		}
		c->writes++;
	}
	return NULL;
}

static void *conc_reader(void *arg)
{
	struct conc *c = arg;
	uint64_t r = 0x2545f4914f6cdd1dull;

	while (!__atomic_load_n(&c->stop, __ATOMIC_RELAXED)) {
		uint32_t k;
		struct np_nat_xlat_entry want, got;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		if (r & 1)
			k = CONC_STABLE + (uint32_t)((r >> 1) % CONC_HOT);
		else
			k = (uint32_t)((r >> 1) % (CONC_STABLE + CONC_CHURN));
		want = conc_entry(k, 0);
		c->lookups++;
		if (!np_nat_xlat_lookup(c->x, &want.addr, want.port, want.proto, &got)) {
			if (k < CONC_STABLE)
				c->stable_miss++;
			c->misses++;
			continue;
		}
		c->hits++;
		want = conc_entry(k, got.orig_port);
		if (k < CONC_STABLE && got.orig_port != 0)
			c->bad++;
		else if (memcmp(&want, &got, sizeof(want)) != 0)
			c->bad++;
	}
	return NULL;
}

static void test_xlat_concurrent(void **state)
{
	struct conc c;
	pthread_t w, rd;
	uint32_t k;
	struct timespec ts = { 1, 0 };

	(void)state;
	memset(&c, 0, sizeof(c));
	c.x = np_nat_xlat_create(CONC_CAPACITY, NULL, NULL, NULL);
	assert_non_null(c.x);
	for (k = 0; k < CONC_STABLE; k++) {
		struct np_nat_xlat_entry e = conc_entry(k, 0);

		assert_int_equal(np_nat_xlat_add(c.x, &e), 0);
	}
	assert_int_equal(pthread_create(&rd, NULL, conc_reader, &c), 0);
	assert_int_equal(pthread_create(&w, NULL, conc_writer, &c), 0);
	nanosleep(&ts, NULL);
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELAXED);
	pthread_join(w, NULL);
	pthread_join(rd, NULL);
	print_message("concurrent: %llu writes, %llu lookups, %llu hits, %llu misses\n",
		      (unsigned long long)c.writes, (unsigned long long)c.lookups,
		      (unsigned long long)c.hits, (unsigned long long)c.misses);
	assert_int_equal(c.bad, 0);
	assert_int_equal(c.bad_writes, 0);
	assert_int_equal(c.stable_miss, 0);
	assert_true(c.writes > 1000);
	assert_true(c.hits > 1000);
	assert_true(c.misses > 0);
	np_nat_xlat_free(c.x);
}

/* ---- address classes ---- */

static void test_addr_classes(void **state)
{
	static const struct {
		const char *a;
		bool priv, pub;
	} t[] = {
		{ "10.0.30.2", true, false },
		{ "172.16.0.1", true, false },
		{ "172.31.255.255", true, false },
		{ "172.32.0.1", false, true },
		{ "192.168.1.1", true, false },
		{ "100.64.0.1", true, false },
		{ "100.127.255.255", true, false },
		{ "100.128.0.1", false, true },
		{ "127.0.0.1", true, false },
		{ "169.254.1.1", true, false },
		{ "64.100.0.10", false, true },
		{ "8.8.8.8", false, true },
		{ "203.0.113.5", false, true },
		{ "0.0.0.0", false, false },
		{ "224.0.0.5", false, false },
		{ "255.255.255.255", false, false },
		{ "::1", true, false },
		{ "fd00::1", true, false },
		{ "fc00::1", true, false },
		{ "fe80::1", true, false },
		{ "febf::1", true, false },
		{ "2001:db8::1", false, true },
		{ "2a00:1450::1", false, true },
		{ "::", false, false },
		{ "ff02::1", false, false },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct np_addr a = A(t[i].a);

		if (np_nat_addr_is_private(&a) != t[i].priv ||
		    np_nat_addr_is_public(&a) != t[i].pub)
			fail_msg("%s: private %d public %d", t[i].a, np_nat_addr_is_private(&a),
				 np_nat_addr_is_public(&a));
	}
	assert_false(np_nat_addr_is_private(NULL));
	assert_false(np_nat_addr_is_public(NULL));
}

/* ---- the tables' memory (lib/pkt/np_mem.h) ---- */

/* Resident pages of those that hold [p, p + len) (mincore). */
static size_t resident_pages(const void *p, size_t len)
{
	const uintptr_t lo = (uintptr_t)p & ~(uintptr_t)4095;
	const size_t span = (uintptr_t)p + len - lo, n = (span + 4095) / 4096;
	unsigned char *v = calloc(n, 1);
	size_t r = 0;

	assert_non_null(v);
	assert_int_equal(mincore((void *)lo, span, v), 0);
	for (size_t i = 0; i < n; i++)
		r += v[i] & 1;
	free(v);
	return r;
}

/* Pages that hold [p, p + len). */
static size_t pages_of(const void *p, size_t len)
{
	const uintptr_t lo = (uintptr_t)p & ~(uintptr_t)4095;

	return ((uintptr_t)p + len - lo + 4095) / 4096;
}

/* The VmFlags line of the mapping that holds @p p (/proc/self/smaps) lists @p flag. */
static bool vm_flag(const void *p, const char *flag)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512], perms[8], want[8];
	bool in = false, found = false;

	assert_non_null(f);
	snprintf(want, sizeof(want), " %s", flag);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3)
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
		else if (in && strncmp(line, "VmFlags:", 8) == 0) {
			found = strstr(line, want) != NULL;
			break;
		}
	}
	fclose(f);
	return found;
}

static void test_mem_table_block(void **state)
{
	const size_t size = 5 * NP_MEM_HUGE + 123;
	uint8_t *p;

	(void)state;
	p = np_mem_table_alloc(size);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p & (NP_MEM_HUGE - 1), 0);
	assert_int_equal(resident_pages(p, size), 0); /* zero pages, not yet resident */
	assert_int_equal(np_mem_prefault(p, size), 0);
	assert_int_equal(resident_pages(p, size), pages_of(p, size));
	for (size_t off = 0; off < size; off += 1021)
		assert_int_equal(p[off], 0);
	assert_int_equal(p[size - 1], 0);
	/* asked for 2 MB pages, where the kernel has them */
	if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0)
		assert_true(vm_flag(p, "hg"));
	np_mem_table_free(p, size);
	/* unmapped, all of it */
	assert_int_equal(msync(p, np_mem_pages(size), MS_ASYNC), -1);
	assert_int_equal(errno, ENOMEM);
	errno = 0;
	assert_null(np_mem_table_alloc(0));
	assert_int_equal(errno, ENOMEM);
	assert_null(np_mem_table_alloc(SIZE_MAX - 100));
	assert_int_equal(errno, ENOMEM);
}

static void test_mem_make_resident_keeps_contents(void **state)
{
	const size_t size = 3 * NP_MEM_HUGE + 4096 * 3 + 17;
	uint8_t *p = np_mem_table_alloc(size);

	(void)state;
	assert_non_null(p);
	/* some pages written, first bytes included; the rest untouched */
	for (size_t off = 0; off < size; off += 3 * 4096 + 1)
		p[off] = (uint8_t)(off % 251 + 1);
	p[size - 1] = 0xa5;
	assert_true(resident_pages(p, size) < pages_of(p, size));
	assert_int_equal(np_mem_make_resident(p, size), 0);
	assert_int_equal(resident_pages(p, size), pages_of(p, size));
	for (size_t off = 0; off + 1 < size; off++)
		if (off % (3 * 4096 + 1) == 0)
			assert_int_equal(p[off], (uint8_t)(off % 251 + 1));
		else
			assert_int_equal(p[off], 0);
	assert_int_equal(p[size - 1], 0xa5);
	np_mem_table_free(p, size);
}

/* The translation table resident from its first entry on, and made resident again after
 * entries went in (as the live probe does at start): they all stay. */
static void test_xlat_make_resident(void **state)
{
	struct np_nat_xlat *x = np_nat_xlat_create(32768, NULL, NULL, NULL);
	struct np_nat_xlat_entry e;

	(void)state;
	assert_non_null(x);
	for (unsigned int i = 0; i < 3000; i++) {
		char a[32];

		memset(&e, 0, sizeof(e));
		snprintf(a, sizeof(a), "198.51.100.%u", i % 250 + 1);
		e.addr = A(a);
		e.port = (uint16_t)(1024 + i);
		e.proto = TCP;
		e.kind = NP_NAT_X_SNAT_SOURCE;
		snprintf(a, sizeof(a), "10.2.%u.%u", i >> 8, i & 255);
		e.orig = A(a);
		e.orig_port = 5060;
		assert_int_equal(np_nat_xlat_add(x, &e), 0);
		/* the first entry made all of it resident, not just the pages it landed on */
		if (i == 0)
			assert_int_equal(resident_pages(x, x->mem_size), pages_of(x, x->mem_size));
	}
	assert_int_equal(np_nat_xlat_make_resident(x), 0);
	assert_int_equal(resident_pages(x, x->mem_size), pages_of(x, x->mem_size));
	assert_int_equal(np_nat_xlat_count(x), 3000);
	for (unsigned int i = 0; i < 3000; i++) {
		char a[32], want[32];
		struct np_addr s;

		snprintf(a, sizeof(a), "198.51.100.%u", i % 250 + 1);
		s = A(a);
		snprintf(want, sizeof(want), "10.2.%u.%u", i >> 8, i & 255);
		assert_true(np_nat_xlat_lookup(x, &s, (uint16_t)(1024 + i), TCP, &e));
		assert_true(addr_eq(&e.orig, want));
	}
	errno = 0;
	assert_int_equal(np_nat_xlat_make_resident(NULL), -1);
	assert_int_equal(errno, EINVAL);
	np_nat_xlat_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_inside_first),
		cmocka_unit_test(test_seed_dmz_first),
		cmocka_unit_test(test_join_on_answer_then_both_agree),
		cmocka_unit_test(test_other_direction_disagrees),
		cmocka_unit_test(test_contradicted_binding_withdrawn),
		cmocka_unit_test(test_tcp_seq_offset),
		cmocka_unit_test(test_start_and_messages_one_binding),
		cmocka_unit_test(test_messages_then_start_one_binding),
		cmocka_unit_test(test_messages_ambiguous),
		cmocka_unit_test(test_dnat_only),
		cmocka_unit_test(test_untranslated_not_kept),
		cmocka_unit_test(test_ambiguous_before_join),
		cmocka_unit_test(test_ambiguous_after_join_withdrawn),
		cmocka_unit_test(test_outside_window),
		cmocka_unit_test(test_pending_overflow),
		cmocka_unit_test(test_expired_pending_not_counted),
		cmocka_unit_test(test_10000_flows),
		cmocka_unit_test(test_small_tables_many_seeds),
		cmocka_unit_test(test_expiry_after_grace),
		cmocka_unit_test(test_seed_publishes_xlat),
		cmocka_unit_test(test_static_entries),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_learner_errors),
		cmocka_unit_test(test_stat_names),
		cmocka_unit_test(test_xlat_kinds_and_fallback),
		cmocka_unit_test(test_xlat_refs_and_replace),
		cmocka_unit_test(test_xlat_full_and_reuse),
		cmocka_unit_test(test_xlat_address_counter_saturates),
		cmocka_unit_test(test_xlat_concurrent),
		cmocka_unit_test(test_addr_classes),
		cmocka_unit_test(test_mem_table_block),
		cmocka_unit_test(test_mem_make_resident_keeps_contents),
		cmocka_unit_test(test_xlat_make_resident),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
