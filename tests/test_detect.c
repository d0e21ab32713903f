/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/correlate's correlator: SIP messages (parsed from text by
 * lib/sip, summarised as the workers do) and flow events go in, records come
 * out. One case per rule of the anomaly catalogue.
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

#include "np_correlate.h"

#define MS 1000000ull
#define T0 (1461049753ull * 1000000000ull)

static struct np_sip_db *db;
static struct np_sip_scratch *scratch;
static struct np_sip_msg msg;

static struct np_det_record recs[64];
static unsigned int n_recs;

/* The frame the next event fed comes from (frame 0: none); consumed by sip() and flow_ev(). */
static struct np_pkt_ref next_ref;

static void on_record(void *ctx, const struct np_det_record *r)
{
	(void)ctx;
	if (n_recs < 64)
		recs[n_recs++] = *r;
}

static unsigned int count(uint8_t type)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < n_recs; i++)
		n += recs[i].type == type && recs[i].kind != NP_DET_KIND_BINDING;
	return n;
}

static const struct np_det_record *find(uint8_t type)
{
	for (unsigned int i = 0; i < n_recs; i++)
		if (recs[i].type == type)
			return &recs[i];
	return NULL;
}

/* An endpoint as text (one static buffer per call site: compare before the next). */
static const char *ep(const struct np_det_endpoint *e)
{
	static char buf[4][NP_ENDPOINT_STRLEN];
	static unsigned int k;
	char *b = buf[k++ % 4];

	return np_endpoint_str(&e->addr, e->port, b, sizeof(buf[0]));
}

static struct np_addr ip(const char *s)
{
	struct np_addr a;
	struct in_addr v4;

	assert_int_equal(inet_pton(AF_INET, s, &v4), 1);
	np_addr_from_v4(&a, v4.s_addr);
	return a;
}

static struct np_det_correlator *corr(const struct np_static_nat *sn, unsigned int n_sn)
{
	static const char *names[2] = { "inside", "dmz" };
	struct np_det_correlator_conf cc;

	memset(&cc, 0, sizeof(cc));
	cc.n_segments = 2;
	cc.segment_names[0] = names[0];
	cc.segment_names[1] = names[1];
	cc.static_nat = sn;
	cc.n_static = n_sn;
	cc.record = on_record;
	n_recs = 0;
	return np_det_correlator_create(&cc);
}

/* Parse @p text (\n line ends become CRLF) and feed its summary. */
static void sip(struct np_det_correlator *c, uint8_t seg, uint64_t ts, const char *src,
		uint16_t sport, const char *dst, uint16_t dport, uint8_t proto, const char *text)
{
	static char buf[8192];
	static struct np_det_sip s;
	size_t n = 0;

	for (const char *p = text; *p && n < sizeof(buf) - 2; p++) {
		if (*p == '\n')
			buf[n++] = '\r';
		buf[n++] = *p;
	}
	assert_int_equal(np_sip_parse(db, scratch, (const uint8_t *)buf, n, &msg), 0);
	memset(&s, 0, sizeof(s));
	np_det_sip_summarise(&msg, (const uint8_t *)buf, n, &s);
	s.flow.src = ip(src);
	s.flow.dst = ip(dst);
	s.flow.sport = sport;
	s.flow.dport = dport;
	s.flow.proto = proto;
	s.ts_ns = ts;
	s.segment = seg;
	s.ref = next_ref;
	memset(&next_ref, 0, sizeof(next_ref));
	np_det_correlator_sip(c, &s);
}

static void flow_ev(struct np_det_correlator *c, uint8_t type, uint8_t seg, uint64_t ts,
		    const char *src, uint16_t sport, const char *dst, uint16_t dport,
		    struct np_flow_event *proto_ev)
{
	struct np_flow_event ev;

	memset(&ev, 0, sizeof(ev));
	if (proto_ev != NULL)
		ev = *proto_ev;
	ev.type = type;
	ev.segment = seg;
	ev.proto = 6;
	ev.src = ip(src);
	ev.dst = ip(dst);
	ev.sport = sport;
	ev.dport = dport;
	ev.ts_ns = ts;
	ev.ref = next_ref;
	memset(&next_ref, 0, sizeof(next_ref));
	np_det_correlator_flow(c, &ev);
}

static void fingerprint(struct np_det_correlator *c, uint8_t seg, uint64_t ts, const char *src,
			uint16_t sport, const char *dst, uint16_t dport, uint8_t dir, uint64_t hash)
{
	struct np_flow_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.dir = dir;
	ev.fp.hash = hash;
	ev.fp.len = 100;
	flow_ev(c, NP_FLOW_EV_FINGERPRINT, seg, ts, src, sport, dst, dport, &ev);
}

static const char service[] = "SERVICE sip:serviceserver@cucm02.example.local SIP/2.0\n"
			      "Via: SIP/2.0/TLS 64.100.0.10:7003;branch=z9hG4bKa1;rport\n"
			      "Call-ID: abcd12345678@127.0.0.1\n"
			      "CSeq: 4616 SERVICE\n"
			      "From: <sip:serviceproxy@cucm02.example.local>;tag=0987654321aaaa\n"
			      "To: <sip:serviceserver@cucm02.example.local>\n"
			      "Route: <sip:64.100.0.10:4401;transport=tls;apparent;ds;lr>\n"
			      "Route: <sip:127.0.0.1:22210;transport=tcp;vcs-cate;lr>\n"
			      "Content-Length: 0\n\n";

static const char timeout408[] =
	"SIP/2.0 408 Request Timeout\n"
	"Via: SIP/2.0/TLS 64.100.0.10:7003;branch=z9hG4bKa1;received=64.100.0.10;rport=7003\n"
	"Call-ID: abcd12345678@127.0.0.1\n"
	"CSeq: 4616 SERVICE\n"
	"From: <sip:serviceproxy@cucm02.example.local>;tag=0987654321aaaa\n"
	"To: <sip:serviceserver@cucm02.example.local>;tag=bbbb\n"
	"Warning: 399 10.0.30.2 \"Request Timeout\"\n"
	"Content-Length: 0\n\n";

/* The seed, event by event, in a given order of arrival. */
static void seed(struct np_det_correlator *c, bool sip_first)
{
	if (sip_first)
		sip(c, 1, T0 + 10 * MS, "10.0.10.2", 7003, "64.100.0.10", 4401, 6, service);
	flow_ev(c, NP_FLOW_EV_NEW, 0, T0, "10.0.30.2", 27901, "64.100.0.10", 7003, NULL);
	flow_ev(c, NP_FLOW_EV_NEW, 1, T0, "64.100.0.10", 4401, "10.0.10.2", 7003, NULL);
	fingerprint(c, 1, T0 + 9 * MS, "64.100.0.10", 4401, "10.0.10.2", 7003, 1, 0x1234);
	fingerprint(c, 0, T0 + 9 * MS, "10.0.30.2", 27901, "64.100.0.10", 7003, 1, 0x1234);
	if (!sip_first)
		sip(c, 1, T0 + 10 * MS, "10.0.10.2", 7003, "64.100.0.10", 4401, 6, service);
	sip(c, 0, T0 + 11 * MS, "64.100.0.10", 7003, "10.0.30.2", 27901, 6, service);
	{
		struct np_flow_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.refused.reason = NP_FLOW_REFUSED_RST;
		ev.refused.delay_ns = 1 * MS;
		flow_ev(c, NP_FLOW_EV_TCP_REFUSED, 0, T0 + 13 * MS, "10.0.30.2", 27921,
			"64.100.0.10", 4401, &ev);
	}
	sip(c, 0, T0 + 20 * MS, "10.0.30.2", 27901, "64.100.0.10", 7003, 6, timeout408);
	sip(c, 1, T0 + 20 * MS, "64.100.0.10", 4401, "10.0.10.2", 7003, 6, timeout408);
}

static void test_seed_incident(void **state)
{
	struct np_det_correlator *c = corr(NULL, 0);
	const struct np_det_record *inc;

	(void)state;
	seed(c, false);
	np_det_correlator_finish(c, T0 + 30 * MS);
	assert_int_equal(count(NP_DET_HAIRPIN_SNAT), 1);
	assert_int_equal(count(NP_DET_TRANSLATED_ROUTE), 1);
	assert_int_equal(count(NP_DET_PHANTOM_CONNECT), 1);
	assert_int_equal(count(NP_DET_SIP_TIMEOUT), 1);
	assert_int_equal(count(NP_DET_NAT_REFLECTION_MISROUTE), 1);
	inc = find(NP_DET_NAT_REFLECTION_MISROUTE);
	assert_int_equal(inc->n_evidence, 5); /* binding + 4 anomalies */
	assert_true(inc->story.client_seen && inc->story.refused && inc->story.timed_out);
	assert_string_equal(ep(&inc->story.client), "10.0.30.2:27901");
	assert_string_equal(ep(&inc->story.translated), "64.100.0.10:4401");
	assert_string_equal(ep(&inc->story.server_pub), "64.100.0.10:7003");
	assert_string_equal(ep(&inc->story.server), "10.0.10.2:7003");
	assert_string_equal(find(NP_DET_SIP_TIMEOUT)->timeout_kind, "fast");
	assert_string_equal(find(NP_DET_TRANSLATED_ROUTE)->sip.header, "Route");
	np_det_correlator_destroy(c);
}

/* The frame @p frame of input @p input (= segment) for the next event. */
static void at(uint8_t seg, uint64_t frame)
{
	memset(&next_ref, 0, sizeof(next_ref));
	next_ref.segment = seg;
	next_ref.input = seg;
	next_ref.frame = frame;
}

/* The seed with frame numbers (as in the fixture's captures), in two arrival orders. */
static void seed_frames(struct np_det_correlator *c, bool live_order)
{
	struct np_flow_event rst;

	memset(&rst, 0, sizeof(rst));
	rst.refused.reason = NP_FLOW_REFUSED_RST;
	rst.refused.delay_ns = 1 * MS;
	at(0, 1);
	flow_ev(c, NP_FLOW_EV_NEW, 0, T0, "10.0.30.2", 27901, "64.100.0.10", 7003, NULL);
	at(1, 1);
	flow_ev(c, NP_FLOW_EV_NEW, 1, T0, "64.100.0.10", 4401, "10.0.10.2", 7003, NULL);
	at(1, 4);
	fingerprint(c, 1, T0 + 9 * MS, "64.100.0.10", 4401, "10.0.10.2", 7003, 1, 0x1234);
	at(0, 4);
	fingerprint(c, 0, T0 + 9 * MS, "10.0.30.2", 27901, "64.100.0.10", 7003, 1, 0x1234);
	if (live_order) {
		/* one ring of flow events drained before the SIP ring, one side after the other */
		at(0, 9);
		flow_ev(c, NP_FLOW_EV_NEW, 0, T0 + 12 * MS, "10.0.30.2", 27921, "64.100.0.10", 4401,
			NULL);
		at(0, 10);
		flow_ev(c, NP_FLOW_EV_TCP_REFUSED, 0, T0 + 13 * MS, "10.0.30.2", 27921,
			"64.100.0.10", 4401, &rst);
		at(0, 6);
		sip(c, 0, T0 + 11 * MS, "64.100.0.10", 7003, "10.0.30.2", 27901, 6, service);
		at(0, 11);
		sip(c, 0, T0 + 20 * MS, "10.0.30.2", 27901, "64.100.0.10", 7003, 6, timeout408);
		at(1, 6);
		sip(c, 1, T0 + 10 * MS, "10.0.10.2", 7003, "64.100.0.10", 4401, 6, service);
		at(1, 9);
		sip(c, 1, T0 + 20 * MS, "64.100.0.10", 4401, "10.0.10.2", 7003, 6, timeout408);
	} else {
		at(1, 6);
		sip(c, 1, T0 + 10 * MS, "10.0.10.2", 7003, "64.100.0.10", 4401, 6, service);
		at(0, 6);
		sip(c, 0, T0 + 11 * MS, "64.100.0.10", 7003, "10.0.30.2", 27901, 6, service);
		at(0, 9);
		flow_ev(c, NP_FLOW_EV_NEW, 0, T0 + 12 * MS, "10.0.30.2", 27921, "64.100.0.10", 4401,
			NULL);
		at(0, 10);
		flow_ev(c, NP_FLOW_EV_TCP_REFUSED, 0, T0 + 13 * MS, "10.0.30.2", 27921,
			"64.100.0.10", 4401, &rst);
		at(0, 11);
		sip(c, 0, T0 + 20 * MS, "10.0.30.2", 27901, "64.100.0.10", 7003, 6, timeout408);
		at(1, 9);
		sip(c, 1, T0 + 20 * MS, "64.100.0.10", 4401, "10.0.10.2", 7003, 6, timeout408);
	}
}

/* "seg:frame seg:frame ..." of a record's frames. */
static const char *frames_of(const struct np_det_record *r)
{
	static char buf[512];
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < r->n_frames; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%u:%lu", i ? " " : "",
					r->frames[i].segment, (unsigned long)r->frames[i].frame);
	return buf;
}

/*
 * Records name their evidence frames: the binding and hairpin_snat the first
 * frame of the connection on each side, translated_route the message on both
 * sides, phantom_connect the SYN and the RST, sip_timeout the request and the
 * answer on both sides, the incident all of them. Sorted, and the same (ids
 * too) whichever order the events arrive in.
 */
static void test_records_cite_frames(void **state)
{
	static const char *const want[][2] = {
		{ "nat_binding", "0:1 1:1" },
		{ "hairpin_snat", "0:1 1:1" },
		{ "translated_route", "0:6 1:6" },
		{ "phantom_connect", "0:9 0:10" },
		{ "sip_timeout", "0:6 0:11 1:6 1:9" },
		{ "nat_reflection_misroute", "0:1 0:6 0:9 0:10 0:11 1:1 1:6 1:9" },
	};

	(void)state;
	for (int order = 0; order < 2; order++) {
		struct np_det_correlator *c = corr(NULL, 0);

		seed_frames(c, order == 1);
		np_det_correlator_finish(c, T0 + 30 * MS);
		assert_int_equal(n_recs, 6);
		for (unsigned int i = 0; i < 6; i++) {
			assert_int_equal(recs[i].id, i + 1);
			assert_string_equal(np_det_type_name(recs[i].type), want[i][0]);
			assert_string_equal(frames_of(&recs[i]), want[i][1]);
		}
		np_det_correlator_destroy(c);
	}
}

/*
 * More anomalies of one translation than an incident cites: the incident
 * keeps its first NP_DET_MAX_EVIDENCE records and the correlator goes on
 * (a full evidence list once made the incident builder loop forever).
 */
static void test_incident_evidence_full(void **state)
{
	struct np_det_correlator *c = corr(NULL, 0);
	const struct np_det_record *inc;
	struct np_flow_event ev;

	(void)state;
	seed(c, false);
	memset(&ev, 0, sizeof(ev));
	ev.refused.reason = NP_FLOW_REFUSED_RST;
	ev.refused.delay_ns = 1 * MS;
	for (unsigned int i = 0; i < 2 * NP_DET_MAX_EVIDENCE; i++)
		flow_ev(c, NP_FLOW_EV_TCP_REFUSED, 0, T0 + (14 + i) * MS, "10.0.30.2",
			(uint16_t)(30000 + i), "64.100.0.10", 4401, &ev);
	np_det_correlator_finish(c, T0 + 100 * MS);
	/* One cause (connections to the same phantom endpoint): one record, counted. */
	assert_int_equal(count(NP_DET_PHANTOM_CONNECT), 1);
	assert_int_equal(find(NP_DET_PHANTOM_CONNECT)->count, 1 + 2 * NP_DET_MAX_EVIDENCE);
	assert_int_equal(count(NP_DET_NAT_REFLECTION_MISROUTE), 1);
	inc = find(NP_DET_NAT_REFLECTION_MISROUTE);
	assert_true(inc->n_evidence <= NP_DET_MAX_EVIDENCE);
	assert_true(inc->n_evidence >= 5);
	np_det_correlator_destroy(c);
}

/* The SERVICE arrives before the binding is learned: the Route is re-checked. */
static void test_late_binding_still_finds_route(void **state)
{
	struct np_det_correlator *c = corr(NULL, 0);

	(void)state;
	seed(c, true);
	np_det_correlator_finish(c, T0 + 30 * MS);
	assert_int_equal(count(NP_DET_TRANSLATED_ROUTE), 1);
	assert_int_equal(count(NP_DET_NAT_REFLECTION_MISROUTE), 1);
	np_det_correlator_destroy(c);
}

/* An incident is held until it settles, then written by tick. */
static void test_incident_waits_to_settle(void **state)
{
	struct np_det_correlator *c = corr(NULL, 0);

	(void)state;
	seed(c, false);
	np_det_correlator_tick(c, T0 + 25 * MS);
	assert_int_equal(count(NP_DET_NAT_REFLECTION_MISROUTE), 0);
	np_det_correlator_tick(c, T0 + 3000 * MS);
	assert_int_equal(count(NP_DET_NAT_REFLECTION_MISROUTE), 1);
	np_det_correlator_finish(c, T0 + 4000 * MS);
	assert_int_equal(count(NP_DET_NAT_REFLECTION_MISROUTE), 1);
	np_det_correlator_destroy(c);
}

/* Destination NAT only: a binding, nothing wrong. */
static void test_dnat_only_is_healthy(void **state)
{
	struct np_det_correlator *c = corr(NULL, 0);

	(void)state;
	fingerprint(c, 0, T0, "10.0.30.2", 27901, "64.100.0.10", 7003, 0, 0x77);
	fingerprint(c, 1, T0 + MS, "10.0.30.2", 27901, "10.0.10.2", 7003, 0, 0x77);
	np_det_correlator_finish(c, T0 + 10 * MS);
	assert_int_equal(n_recs, 1);
	assert_int_equal(recs[0].kind, NP_DET_KIND_BINDING);
	assert_int_equal(recs[0].binding.changed, NP_NAT_CHANGED_DST);
	np_det_correlator_destroy(c);
}

/* One segment with static NAT: a flow from the server's own public address. */
static void test_static_hairpin(void **state)
{
	struct np_static_nat sn = { .priv = ip("10.0.10.2"), .pub = ip("64.100.0.10") };
	struct np_det_correlator *c = corr(&sn, 1);

	(void)state;
	flow_ev(c, NP_FLOW_EV_NEW, 1, T0, "64.100.0.10", 4401, "10.0.10.2", 7003, NULL);
	sip(c, 1, T0 + 10 * MS, "10.0.10.2", 7003, "64.100.0.10", 4401, 6, service);
	np_det_correlator_finish(c, T0 + 10 * MS);
	assert_int_equal(count(NP_DET_HAIRPIN_SNAT), 1);
	assert_int_equal(count(NP_DET_TRANSLATED_ROUTE), 1);
	assert_int_equal(count(NP_DET_NAT_REFLECTION_MISROUTE), 1);
	np_det_correlator_destroy(c);
}

static void test_private_via_contact(void **state)
{
	struct np_det_correlator *c = corr(NULL, 0);
	static const char reg[] = "REGISTER sip:example.com SIP/2.0\n"
				  "Via: SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bKr1\n"
				  "Call-ID: reg1@10.1.2.3\n"
				  "CSeq: 1 REGISTER\n"
				  "From: <sip:alice@example.com>;tag=1\n"
				  "To: <sip:alice@example.com>\n"
				  "Contact: <sip:alice@10.1.2.3:5060>\n"
				  "Content-Length: 0\n\n";

	(void)state;
	/* From a public address: the phone does not know it is behind NAT. */
	sip(c, 0, T0, "198.51.100.7", 40000, "203.0.113.5", 5060, 17, reg);
	/* The same from a private address (inside the NAT): fine. */
	sip(c, 1, T0 + MS, "10.1.2.3", 5060, "203.0.113.5", 5060, 17, reg);
	np_det_correlator_finish(c, T0 + 10 * MS);
	assert_int_equal(count(NP_DET_PRIVATE_VIA_CONTACT), 2); /* top Via and Contact */
	assert_int_equal(find(NP_DET_PRIVATE_VIA_CONTACT)->segment, 0);
	np_det_correlator_destroy(c);
}

static const char invite_sdp[] =
	"INVITE sip:bob@203.0.113.5 SIP/2.0\n"
	"Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKi1\n"
	"Call-ID: call1@198.51.100.7\n"
	"CSeq: 1 INVITE\n"
	"From: <sip:alice@example.com>;tag=1\n"
	"To: <sip:bob@example.com>\n"
	"Contact: <sip:alice@198.51.100.7:5060>\n"
	"Content-Type: application/sdp\n"
	"Content-Length: 80\n\n"
	"v=0\no=- 1 1 IN IP4 192.168.1.20\ns=-\nc=IN IP4 192.168.1.20\nt=0 0\n"
	"m=audio 4000 RTP/AVP 0\n";

static void test_sdp_private_address(void **state)
{
	struct np_det_correlator *c = corr(NULL, 0);

	(void)state;
	sip(c, 0, T0, "198.51.100.7", 5060, "203.0.113.5", 5060, 17, invite_sdp);
	np_det_correlator_finish(c, T0 + 10 * MS);
	assert_int_equal(count(NP_DET_SDP_ADDRESS_MISMATCH), 1);
	assert_string_equal(find(NP_DET_SDP_ADDRESS_MISMATCH)->endpoint, "192.168.1.20");
	assert_int_equal(count(NP_DET_PRIVATE_VIA_CONTACT), 0);
	np_det_correlator_destroy(c);
}

/* The same message differs across the firewall: an ALG rewrote the Contact. */
static void test_alg_rewrite(void **state)
{
	struct np_det_correlator *c = corr(NULL, 0);
	char rewritten[sizeof(invite_sdp) + 16];
	char *p;

	(void)state;
	snprintf(rewritten, sizeof(rewritten), "%s", invite_sdp);
	p = strstr(rewritten, "alice@198.51.100.7:5060>");
	memcpy(p, "alice@198.51.100.9:5060>", 24);
	sip(c, 0, T0, "198.51.100.7", 5060, "203.0.113.5", 5060, 17, invite_sdp);
	sip(c, 1, T0 + MS, "198.51.100.7", 5060, "203.0.113.5", 5060, 17, rewritten);
	/* byte-identical copies raise nothing */
	sip(c, 1, T0 + 2 * MS, "198.51.100.7", 5060, "203.0.113.5", 5060, 17, rewritten);
	np_det_correlator_finish(c, T0 + 10 * MS);
	assert_int_equal(count(NP_DET_ALG_REWRITE), 1);
	assert_non_null(strstr(find(NP_DET_ALG_REWRITE)->detail, "Contact"));
	np_det_correlator_destroy(c);
}

static void test_identical_copies_no_alg(void **state)
{
	struct np_det_correlator *c = corr(NULL, 0);

	(void)state;
	sip(c, 0, T0, "198.51.100.7", 5060, "203.0.113.5", 5060, 17, invite_sdp);
	sip(c, 1, T0 + MS, "198.51.100.7", 5060, "203.0.113.5", 5060, 17, invite_sdp);
	np_det_correlator_finish(c, T0 + 10 * MS);
	assert_int_equal(count(NP_DET_ALG_REWRITE), 0);
	np_det_correlator_destroy(c);
}

/* No final answer in 64 x T1: a timer timeout. A provisional answer does not count. */
static void test_timer_timeout(void **state)
{
	struct np_det_correlator *c = corr(NULL, 0);
	static const char trying[] = "SIP/2.0 100 Trying\n"
				     "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKi1\n"
				     "Call-ID: call1@198.51.100.7\n"
				     "CSeq: 1 INVITE\n"
				     "From: <sip:alice@example.com>;tag=1\n"
				     "To: <sip:bob@example.com>\n"
				     "Content-Length: 0\n\n";

	(void)state;
	sip(c, 0, T0, "198.51.100.7", 5060, "203.0.113.5", 5060, 17, invite_sdp);
	sip(c, 0, T0 + 5 * MS, "203.0.113.5", 5060, "198.51.100.7", 5060, 17, trying);
	np_det_correlator_finish(c, T0 + 31000 * MS);
	assert_int_equal(count(NP_DET_SIP_TIMEOUT), 0);
	np_det_correlator_destroy(c);

	c = corr(NULL, 0);
	sip(c, 0, T0, "198.51.100.7", 5060, "203.0.113.5", 5060, 17, invite_sdp);
	sip(c, 0, T0 + 5 * MS, "203.0.113.5", 5060, "198.51.100.7", 5060, 17, trying);
	np_det_correlator_tick(c, T0 + 33000 * MS);
	np_det_correlator_finish(c, T0 + 33000 * MS);
	assert_int_equal(count(NP_DET_SIP_TIMEOUT), 1);
	assert_string_equal(find(NP_DET_SIP_TIMEOUT)->timeout_kind, "timer");
	np_det_correlator_destroy(c);
}

/* A refused connect to an endpoint a Route just named, without any binding. */
static void test_phantom_named_endpoint(void **state)
{
	struct np_det_correlator *c = corr(NULL, 0);
	struct np_flow_event ev;

	(void)state;
	sip(c, 0, T0, "64.100.0.10", 7003, "10.0.30.2", 27901, 6, service);
	memset(&ev, 0, sizeof(ev));
	ev.refused.reason = NP_FLOW_REFUSED_RST;
	flow_ev(c, NP_FLOW_EV_TCP_REFUSED, 0, T0 + 2 * MS, "10.0.30.2", 27921, "64.100.0.10", 4401,
		&ev);
	np_det_correlator_finish(c, T0 + 10 * MS);
	assert_int_equal(count(NP_DET_PHANTOM_CONNECT), 1);
	assert_int_equal(find(NP_DET_PHANTOM_CONNECT)->severity, NP_DET_SEV_WARNING);
	assert_int_equal(count(NP_DET_NAT_REFLECTION_MISROUTE), 0);
	np_det_correlator_destroy(c);
}

/* A refused connect to an unrelated endpoint is not a phantom. */
static void test_plain_refusal_is_not_phantom(void **state)
{
	struct np_det_correlator *c = corr(NULL, 0);
	struct np_flow_event ev;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	flow_ev(c, NP_FLOW_EV_TCP_REFUSED, 0, T0, "10.0.30.2", 27921, "192.0.2.80", 443, &ev);
	np_det_correlator_finish(c, T0 + 10 * MS);
	assert_int_equal(n_recs, 0);
	np_det_correlator_destroy(c);
}

static uint64_t bindings_active(struct np_det_correlator *c)
{
	return np_nat_learner_stats(np_det_correlator_learner(c))->v[NP_NAT_STAT_BINDINGS_ACTIVE];
}

/* A binding lives while either of its flows does, then the grace period (30 s). */
static void test_binding_lives_with_its_flows(void **state)
{
	struct np_det_correlator *c = corr(NULL, 0);
	const uint64_t S = 1000 * MS;

	(void)state;
	fingerprint(c, 0, T0, "10.0.30.2", 27901, "64.100.0.10", 7003, 0, 0x99);
	fingerprint(c, 1, T0 + MS, "64.100.0.10", 4401, "10.0.10.2", 7003, 0, 0x99);
	assert_int_equal(bindings_active(c), 1);
	/* flows alive: still there long after the grace period */
	for (uint64_t t = 1; t <= 100; t++)
		np_det_correlator_tick(c, T0 + t * S);
	assert_int_equal(bindings_active(c), 1);
	/* one flow gone: still alive through the other */
	flow_ev(c, NP_FLOW_EV_EXPIRED, 0, T0 + 101 * S, "10.0.30.2", 27901, "64.100.0.10", 7003,
		NULL);
	np_det_correlator_tick(c, T0 + 140 * S);
	assert_int_equal(bindings_active(c), 1);
	/* both gone: removed once the grace has passed */
	flow_ev(c, NP_FLOW_EV_EXPIRED, 1, T0 + 141 * S, "64.100.0.10", 4401, "10.0.10.2", 7003,
		NULL);
	np_det_correlator_tick(c, T0 + 160 * S);
	assert_int_equal(bindings_active(c), 1);
	np_det_correlator_tick(c, T0 + 175 * S);
	assert_int_equal(bindings_active(c), 0);
	np_det_correlator_destroy(c);
}

/* nat.max_bindings reaches the learner: a join past it is refused and counted. */
static void test_max_bindings(void **state)
{
	static const char *names[2] = { "inside", "dmz" };
	struct np_det_correlator_conf cc;
	struct np_det_correlator *c;
	const struct np_nat_stats *st;

	(void)state;
	memset(&cc, 0, sizeof(cc));
	cc.n_segments = 2;
	cc.segment_names[0] = names[0];
	cc.segment_names[1] = names[1];
	cc.record = on_record;
	cc.max_bindings = 2;
	n_recs = 0;
	c = np_det_correlator_create(&cc);
	assert_non_null(c);
	st = np_nat_learner_stats(np_det_correlator_learner(c));
	for (unsigned int i = 0; i < 3; i++) {
		fingerprint(c, 0, T0 + i * MS, "10.0.30.2", (uint16_t)(27901 + i), "64.100.0.10",
			    7003, 0, 0x100 + i);
		fingerprint(c, 1, T0 + i * MS + 1, "64.100.0.10", (uint16_t)(4401 + i), "10.0.10.2",
			    7003, 0, 0x100 + i);
	}
	assert_int_equal(bindings_active(c), 2);
	assert_int_equal(st->v[NP_NAT_STAT_BINDINGS_LEARNED], 2);
	assert_int_equal(st->v[NP_NAT_STAT_TABLE_FULL], 1);
	np_det_correlator_destroy(c);
	cc.max_bindings = NP_NAT_MAX_TABLE + 1; /* the learner's limit */
	assert_null(np_det_correlator_create(&cc));
	assert_int_equal(errno, EINVAL);
}

/*
 * Two probes' clocks 3 s apart (hep.clock_skew_ms): the same connection start
 * on the two segments is no binding within the default 2 s window, and is one
 * once the window is widened by a 4 s skew.
 */
static void test_clock_skew_widens_window(void **state)
{
	static const char *names[2] = { "inside", "dmz" };
	struct np_det_correlator_conf cc;

	(void)state;
	for (int skew = 0; skew < 2; skew++) {
		struct np_det_correlator *c;

		memset(&cc, 0, sizeof(cc));
		cc.n_segments = 2;
		cc.segment_names[0] = names[0];
		cc.segment_names[1] = names[1];
		cc.record = on_record;
		cc.clock_skew_ns = skew ? 4000 * MS : 0;
		n_recs = 0;
		c = np_det_correlator_create(&cc);
		assert_non_null(c);
		fingerprint(c, 0, T0, "10.0.30.2", 27901, "64.100.0.10", 7003, 0, 0x77);
		fingerprint(c, 1, T0 + 3000 * MS, "64.100.0.10", 4401, "10.0.10.2", 7003, 0, 0x77);
		assert_int_equal(bindings_active(c), skew ? 1 : 0);
		np_det_correlator_destroy(c);
	}
}

/* ---- the inspector (worker side) ------------------------------------------ */

static struct np_det_sip last_sum;
static unsigned int n_sums;

static void on_sum(void *ctx, const struct np_det_sip *sum)
{
	(void)ctx;
	last_sum = *sum;
	n_sums++;
}

/* Ethernet + IPv4 + UDP frame carrying @p text (\n becomes CRLF). */
static size_t udp_frame(uint8_t *f, const char *src, uint16_t sport, const char *dst,
			uint16_t dport, const char *text)
{
	size_t n = 0;
	uint32_t sum = 0;
	struct in_addr a;

	memset(f, 0, 64);
	f[12] = 0x08;
	for (const char *p = text; *p; p++) {
		if (*p == '\n')
			f[42 + n++] = '\r';
		f[42 + n++] = (uint8_t)*p;
	}
	f[14] = 0x45;
	f[16] = (uint8_t)((20 + 8 + n) >> 8);
	f[17] = (uint8_t)(20 + 8 + n);
	f[22] = 64;
	f[23] = 17;
	inet_pton(AF_INET, src, &a);
	memcpy(f + 26, &a, 4);
	inet_pton(AF_INET, dst, &a);
	memcpy(f + 30, &a, 4);
	for (int i = 14; i < 34; i += 2)
		sum += (uint32_t)(f[i] << 8 | f[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	f[24] = (uint8_t)(~sum >> 8);
	f[25] = (uint8_t)~sum;
	f[34] = (uint8_t)(sport >> 8);
	f[35] = (uint8_t)sport;
	f[36] = (uint8_t)(dport >> 8);
	f[37] = (uint8_t)dport;
	f[38] = (uint8_t)((8 + n) >> 8);
	f[39] = (uint8_t)(8 + n);
	return 42 + n;
}

/* A Route naming a translated source is marked by the worker's table lookup. */
static void test_inspector_marks_translated_source(void **state)
{
	struct np_nat_xlat *x = np_nat_xlat_create(1024, NULL, NULL, NULL);
	struct np_nat_xlat_entry e;
	struct np_det_inspect_conf ic;
	struct np_det_inspect_sink sink = { .sip = on_sum };
	struct np_det_inspect *ins;
	static uint8_t frame[4096];
	struct np_pkt_info pi;
	size_t len;
	unsigned int hit = 0;

	(void)state;
	assert_non_null(x);
	memset(&e, 0, sizeof(e));
	e.addr = ip("64.100.0.10");
	e.port = 4401;
	e.proto = 17;
	e.kind = NP_NAT_X_SNAT_SOURCE;
	e.orig = ip("10.0.30.2");
	e.orig_port = 27901;
	assert_int_equal(np_nat_xlat_add(x, &e), 0);
	memset(&ic, 0, sizeof(ic));
	ic.flow.size = 64;
	ic.flow.sip_ports[0] = 5060;
	ic.flow.n_sip_ports = 1;
	ic.sip_db = db;
	ic.xlat = x;
	ins = np_det_inspect_create(&ic, &sink);
	assert_non_null(ins);
	len = udp_frame(frame, "10.0.10.2", 5060, "64.100.0.10", 4401, service);
	assert_int_equal(np_pkt_parse(frame, (uint32_t)len, &pi), NP_PKT_UDP);
	n_sums = 0;
	np_det_inspect_frame(ins, 1, frame, (uint32_t)len, &pi, T0);
	assert_int_equal(n_sums, 1);
	for (unsigned int i = 0; i < last_sum.n_addrs; i++)
		if (last_sum.addrs[i].xlat_kind == NP_NAT_X_SNAT_SOURCE) {
			hit++;
			assert_int_equal(last_sum.addrs[i].hdr, NP_DET_H_ROUTE);
			assert_int_equal(last_sum.addrs[i].port, 4401);
		}
	assert_int_equal(hit, 1);
	assert_int_equal(np_det_inspect_stats(ins)->xlat_snat_named, 1);
	assert_int_equal(np_det_inspect_stats(ins)->sip[1].requests[NP_SIP_M_SERVICE], 1);
	np_det_inspect_destroy(ins);
	np_nat_xlat_free(x);
}

/*
 * Feed @p text from src:sport to dst:dport on segment @p seg, every address
 * on port @p marked flagged as the worker flags a translated source.
 */
static void sip_marked(struct np_det_correlator *c, uint8_t seg, const char *src, uint16_t sport,
		       const char *dst, uint16_t dport, uint8_t proto, uint16_t marked,
		       const char *text)
{
	static struct np_det_sip s;
	static char buf[4096];
	size_t n = 0;

	for (const char *p = text; *p; p++) {
		if (*p == '\n')
			buf[n++] = '\r';
		buf[n++] = *p;
	}
	assert_int_equal(np_sip_parse(db, scratch, (const uint8_t *)buf, n, &msg), 0);
	memset(&s, 0, sizeof(s));
	np_det_sip_summarise(&msg, (const uint8_t *)buf, n, &s);
	for (unsigned int i = 0; i < s.n_addrs; i++)
		if (s.addrs[i].port == marked)
			s.addrs[i].xlat_kind = NP_NAT_X_SNAT_SOURCE;
	s.flow.src = ip(src);
	s.flow.dst = ip(dst);
	s.flow.sport = sport;
	s.flow.dport = dport;
	s.flow.proto = proto;
	s.ts_ns = T0;
	s.segment = seg;
	np_det_correlator_sip(c, &s);
}

/* The correlator trusts the worker's mark even without the binding's details. */
static void test_correlator_uses_worker_mark(void **state)
{
	struct np_det_correlator *c = corr(NULL, 0);

	(void)state;
	sip_marked(c, 0, "10.0.10.2", 7003, "64.100.0.10", 4401, 6, 4401, service);
	np_det_correlator_finish(c, T0);
	assert_int_equal(count(NP_DET_TRANSLATED_ROUTE), 1);
	assert_non_null(strstr(find(NP_DET_TRANSLATED_ROUTE)->detail, "translation table"));
	np_det_correlator_destroy(c);
}

/* ... but not where the marked endpoint sent the message itself (a STUN client's own mapping). */
static void test_worker_mark_owner_is_not_misroute(void **state)
{
	static const char reg[] = "REGISTER sip:pbx.example SIP/2.0\n"
				  "Via: SIP/2.0/UDP 198.51.100.2:57168;rport;branch=z9hG4bKo1\n"
				  "From: <sip:2001@pbx.example>;tag=a1\n"
				  "To: <sip:2001@pbx.example>\n"
				  "Call-ID: owner1@198.51.100.2\n"
				  "CSeq: 1 REGISTER\n"
				  "Contact: <sip:2001@198.51.100.2:57168>\n"
				  "Content-Length: 0\n\n";
	struct np_det_correlator *c = corr(NULL, 0);

	(void)state;
	/* from the mapping it advertises: correct NAT traversal */
	sip_marked(c, 1, "198.51.100.2", 57168, "203.0.113.5", 5060, 17, 57168, reg);
	np_det_correlator_finish(c, T0);
	assert_int_equal(count(NP_DET_TRANSLATED_ROUTE), 0);
	np_det_correlator_destroy(c);
	/* the same text from somewhere else names a binding it does not own */
	c = corr(NULL, 0);
	sip_marked(c, 1, "198.51.100.9", 5060, "203.0.113.5", 5060, 17, 57168, reg);
	np_det_correlator_finish(c, T0);
	assert_true(count(NP_DET_TRANSLATED_ROUTE) >= 1);
	np_det_correlator_destroy(c);
}

static void test_register_answer_contact_is_echo(void **state)
{
	static const char ok[] =
		"SIP/2.0 200 OK\n"
		"Via: SIP/2.0/UDP 198.51.100.4:22020;branch=z9hG4bKr1;rport=22020\n"
		"Call-ID: reg1@198.51.100.4\n"
		"CSeq: 2 REGISTER\n"
		"From: <sip:2315@example.com>;tag=a1\n"
		"To: <sip:2315@example.com>;tag=b2\n"
		"Contact: <sip:2315@198.51.100.4:22020>;expires=3600\n"
		"Content-Length: 0\n\n";
	static const char moved[] = "SIP/2.0 302 Moved Temporarily\n"
				    "Via: SIP/2.0/UDP 198.51.100.9:5060;branch=z9hG4bKi1\n"
				    "Call-ID: call1@198.51.100.9\n"
				    "CSeq: 1 INVITE\n"
				    "From: <sip:9@example.com>;tag=c3\n"
				    "To: <sip:2315@example.com>;tag=d4\n"
				    "Contact: <sip:2315@198.51.100.4:22020>\n"
				    "Content-Length: 0\n\n";
	struct np_det_correlator *c = corr(NULL, 0);

	(void)state;
	/* the registrar echoes the phone's registered (public) contact: no misroute */
	sip_marked(c, 1, "203.0.113.5", 5060, "198.51.100.4", 22020, 17, 22020, ok);
	np_det_correlator_finish(c, T0);
	assert_int_equal(count(NP_DET_TRANSLATED_ROUTE), 0);
	np_det_correlator_destroy(c);
	/* a redirect that sends callers to the same translated address is one */
	c = corr(NULL, 0);
	sip_marked(c, 1, "203.0.113.5", 5060, "198.51.100.4", 22020, 17, 22020, moved);
	np_det_correlator_finish(c, T0);
	assert_int_equal(count(NP_DET_TRANSLATED_ROUTE), 1);
	np_det_correlator_destroy(c);
}

/* ---- precision: what correct NAT traversal shows raises nothing ------- */

/* sip() on a message built from a format. */
static void sipf(struct np_det_correlator *c, uint8_t seg, uint64_t ts, const char *src,
		 uint16_t sport, const char *dst, uint16_t dport, uint8_t proto, const char *fmt,
		 ...)
{
	static char text[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	sip(c, seg, ts, src, sport, dst, dport, proto, text);
}

static const char options_fmt[] = "OPTIONS sip:203.0.113.5 SIP/2.0\n"
				  "Via: SIP/2.0/%s 10.0.30.2:5070;branch=z9hG4bKo%u%s\n"
				  "Call-ID: ka%u@10.0.30.2\n"
				  "CSeq: %u OPTIONS\n"
				  "From: <sip:ka@10.0.30.2>;tag=k1\n"
				  "To: <sip:203.0.113.5>\n"
				  "Contact: <sip:ka@10.0.30.2:5070>\n"
				  "Content-Length: 0\n\n";

/* A keep-alive's answer: its top Via is the requester's, with received. */
static const char options_ok_fmt[] =
	"SIP/2.0 200 OK\n"
	"Via: SIP/2.0/TCP 10.0.30.2:5070;branch=z9hG4bKo%u;received=203.0.113.10;rport=7003\n"
	"Call-ID: ka%u@10.0.30.2\n"
	"CSeq: %u OPTIONS\n"
	"From: <sip:ka@10.0.30.2>;tag=k1\n"
	"To: <sip:203.0.113.5>;tag=k2\n"
	"Content-Length: 0\n\n";

static void test_response_via_is_the_requesters(void **state)
{
	struct np_det_correlator *c = corr(NULL, 0);

	(void)state;
	/* The example of a false alarm: a 200 to a keep-alive, from a public
	 * address, whose top Via (the requester's) is private. */
	for (unsigned int i = 1; i <= 3; i++)
		sipf(c, 0, T0 + i * 1000 * MS, "203.0.113.10", 7003, "10.0.30.2", 5070, 6,
		     options_ok_fmt, i, i, i);
	np_det_correlator_finish(c, T0 + 5000 * MS);
	assert_int_equal(n_recs, 0);
	np_det_correlator_destroy(c);
}

static void test_private_via_needs_udp_without_rport(void **state)
{
	struct np_det_correlator *c;

	(void)state;
	/* Over TCP the response follows the connection; with rport, the source port. */
	c = corr(NULL, 0);
	sipf(c, 1, T0, "203.0.113.10", 4457, "203.0.113.5", 5060, 6, options_fmt, "TCP", 1, "", 1,
	     1);
	sipf(c, 1, T0 + MS, "203.0.113.10", 4457, "203.0.113.5", 5060, 17, options_fmt, "UDP", 2,
	     ";rport", 2, 2);
	/* UDP without rport, but the NAT kept the port: received + 5070 reaches it. */
	sipf(c, 1, T0 + 2 * MS, "203.0.113.10", 5070, "203.0.113.5", 5060, 17, options_fmt, "UDP",
	     3, "", 3, 3);
	np_det_correlator_finish(c, T0 + 10 * MS);
	assert_int_equal(n_recs, 0);
	np_det_correlator_destroy(c);

	/* UDP, no rport, port changed by the NAT: responses are lost. */
	c = corr(NULL, 0);
	sipf(c, 1, T0, "203.0.113.10", 4457, "203.0.113.5", 5060, 17, options_fmt, "UDP", 4, "", 4,
	     4);
	np_det_correlator_finish(c, T0 + 10 * MS);
	assert_int_equal(count(NP_DET_PRIVATE_VIA_CONTACT), 1);
	assert_string_equal(find(NP_DET_PRIVATE_VIA_CONTACT)->sip.header, "Via");
	assert_non_null(strstr(find(NP_DET_PRIVATE_VIA_CONTACT)->detail, "port 5070"));
	np_det_correlator_destroy(c);
}

static const char register_fmt[] = "REGISTER sip:example.com SIP/2.0\n"
				   "Via: SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bKr%u;rport\n"
				   "%s"
				   "Call-ID: reg1@10.1.2.3\n"
				   "CSeq: %u REGISTER\n"
				   "From: <sip:alice@example.com>;tag=1\n"
				   "To: <sip:alice@example.com>\n"
				   "Contact: <sip:alice@10.1.2.3:5060>%s\n"
				   "Content-Length: 0\n\n";

static void test_contact_rules(void **state)
{
	struct np_det_correlator *c;
	(void)state;
	c = corr(NULL, 0);
	/* A keep-alive's Contact routes nothing. */
	sipf(c, 1, T0, "203.0.113.10", 4457, "203.0.113.5", 5060, 6, options_fmt, "TCP", 1, "", 1,
	     1);
	/* SIP outbound (RFC 5626): the registrar uses the flow. */
	sipf(c, 1, T0 + MS, "198.51.100.7", 40000, "203.0.113.5", 5060, 17, register_fmt, 1, "", 1,
	     ";reg-id=1;+sip.instance=\"<urn:uuid:1>\"");
	/* A Path: an edge proxy keeps the route to the phone. */
	sipf(c, 1, T0 + 2 * MS, "198.51.100.7", 40000, "203.0.113.5", 5060, 17, register_fmt, 2,
	     "Path: <sip:edge.example.com;lr>\n", 2, "");
	/* A removal. */
	sipf(c, 1, T0 + 3 * MS, "198.51.100.7", 40000, "203.0.113.5", 5060, 17, register_fmt, 3, "",
	     3, ";expires=0");
	/* To a private destination: the receiver may share the sender's network. */
	sipf(c, 1, T0 + 4 * MS, "198.51.100.7", 40000, "10.0.10.5", 5060, 17, register_fmt, 4, "",
	     4, "");
	np_det_correlator_finish(c, T0 + 10 * MS);
	assert_int_equal(n_recs, 0);
	np_det_correlator_destroy(c);

	/* A plain REGISTER from behind an unknown NAT to a public registrar. */
	c = corr(NULL, 0);
	sipf(c, 1, T0, "198.51.100.7", 40000, "203.0.113.5", 5060, 17, register_fmt, 9, "", 9, "");
	np_det_correlator_finish(c, T0 + 10 * MS);
	assert_int_equal(count(NP_DET_PRIVATE_VIA_CONTACT), 1);
	assert_string_equal(find(NP_DET_PRIVATE_VIA_CONTACT)->sip.header, "Contact");
	assert_string_equal(find(NP_DET_PRIVATE_VIA_CONTACT)->endpoint, "10.1.2.3");
	np_det_correlator_destroy(c);
}

static const char invite_fmt[] = "INVITE sip:bob@203.0.113.5 SIP/2.0\n"
				 "Via: SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bKi%u;rport\n"
				 "%s"
				 "Call-ID: call%u@10.1.2.3\n"
				 "CSeq: 1 INVITE\n"
				 "From: <sip:alice@example.com>;tag=1\n"
				 "To: <sip:bob@example.com>\n"
				 "Contact: <sip:alice@10.1.2.3:5060>\n"
				 "Content-Type: application/sdp\n"
				 "Content-Length: %zu\n\n%s";

static const char answer_fmt[] = "SIP/2.0 200 OK\n"
				 "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKi%u\n"
				 "%s"
				 "Call-ID: call%u@10.1.2.3\n"
				 "CSeq: 1 INVITE\n"
				 "From: <sip:alice@example.com>;tag=1\n"
				 "To: <sip:bob@example.com>;tag=2\n"
				 "Contact: <sip:bob@192.168.5.5:5060>\n"
				 "Content-Length: 0\n\n";

static const char sdp_plain[] =
	"v=0\no=- 1 1 IN IP4 10.1.2.3\ns=-\nc=IN IP4 10.1.2.3\nt=0 0\nm=audio 4000 RTP/AVP 0\n";
static const char sdp_ice[] =
	"v=0\no=- 1 1 IN IP4 10.1.2.3\ns=-\nc=IN IP4 10.1.2.3\nt=0 0\nm=audio 4000 RTP/AVP 0\n"
	"a=candidate:1 1 UDP 2130706431 10.1.2.3 4000 typ host\n"
	"a=candidate:2 1 UDP 1694498815 198.51.100.7 41000 typ srflx raddr 10.1.2.3 rport 4000\n";

static void test_dialog_contact_and_sdp(void **state)
{
	struct np_det_correlator *c;

	(void)state;
	/* From the phone itself (one Via): the Contact and the SDP are broken. */
	c = corr(NULL, 0);
	sipf(c, 1, T0, "198.51.100.7", 40000, "203.0.113.5", 5060, 17, invite_fmt, 1, "", 1,
	     strlen(sdp_plain), sdp_plain);
	np_det_correlator_finish(c, T0 + 10 * MS);
	assert_int_equal(count(NP_DET_PRIVATE_VIA_CONTACT), 1);
	assert_int_equal(count(NP_DET_SDP_ADDRESS_MISMATCH), 1);
	np_det_correlator_destroy(c);

	/* ICE finds its way through the NAT; a proxy's copy (two Vias) is not the
	 * author's Contact. */
	c = corr(NULL, 0);
	sipf(c, 1, T0, "198.51.100.7", 40000, "203.0.113.5", 5060, 17, invite_fmt, 2,
	     "Via: SIP/2.0/UDP 10.1.2.1:5060;branch=z9hG4bKp2\n", 2, strlen(sdp_ice), sdp_ice);
	np_det_correlator_finish(c, T0 + 10 * MS);
	assert_int_equal(n_recs, 0);
	np_det_correlator_destroy(c);

	/* The answer's Contact is the callee's remote target: broken without a
	 * Record-Route, the proxies' business with one. */
	c = corr(NULL, 0);
	sipf(c, 1, T0, "198.51.100.9", 5060, "198.51.100.7", 5060, 17, answer_fmt, 3, "", 3);
	sipf(c, 1, T0 + MS, "198.51.100.9", 5060, "198.51.100.7", 5060, 17, answer_fmt, 4,
	     "Record-Route: <sip:203.0.113.5;lr>\n", 4);
	np_det_correlator_finish(c, T0 + 10 * MS);
	assert_int_equal(count(NP_DET_PRIVATE_VIA_CONTACT), 1);
	assert_null(find(NP_DET_PRIVATE_VIA_CONTACT)->sip.method[0] ? "method" : NULL);
	assert_int_equal(find(NP_DET_PRIVATE_VIA_CONTACT)->sip.status, 200);
	np_det_correlator_destroy(c);
}

/* A phone that learned its public address (STUN) puts it at media level and
 * leaves its private one at session level: media goes to the public one. */
static void test_sdp_media_level_address_wins(void **state)
{
	static const char sdp_stun[] =
		"v=0\no=- 1 1 IN IP4 10.1.2.3\ns=-\nc=IN IP4 10.1.2.3\nt=0 0\n"
		"m=audio 4000 RTP/AVP 0\nc=IN IP4 198.51.100.7\n";
	static const char sdp_held[] =
		"v=0\no=- 1 1 IN IP4 198.51.100.7\ns=-\nc=IN IP4 198.51.100.7\nt=0 0\n"
		"m=audio 4000 RTP/AVP 0\nm=video 0 RTP/AVP 96\nc=IN IP4 10.1.2.3\n";
	static const char sdp_mixed[] =
		"v=0\no=- 1 1 IN IP4 10.1.2.3\ns=-\nc=IN IP4 10.1.2.3\nt=0 0\n"
		"m=audio 4000 RTP/AVP 0\nc=IN IP4 198.51.100.7\nm=video 4002 RTP/AVP 96\n";
	struct np_det_correlator *c = corr(NULL, 0);

	(void)state;
	sipf(c, 1, T0, "198.51.100.7", 40000, "203.0.113.5", 5060, 17, invite_fmt, 1, "", 1,
	     strlen(sdp_stun), sdp_stun);
	/* a private c= on a disabled stream (port 0) carries nothing */
	sipf(c, 1, T0 + MS, "198.51.100.8", 40000, "203.0.113.5", 5060, 17, invite_fmt, 2, "", 2,
	     strlen(sdp_held), sdp_held);
	np_det_correlator_finish(c, T0 + 10 * MS);
	assert_int_equal(count(NP_DET_SDP_ADDRESS_MISMATCH), 0);
	np_det_correlator_destroy(c);
	/* the video stream has no c= of its own: the private session one applies */
	c = corr(NULL, 0);
	sipf(c, 1, T0, "198.51.100.7", 40000, "203.0.113.5", 5060, 17, invite_fmt, 3, "", 3,
	     strlen(sdp_mixed), sdp_mixed);
	np_det_correlator_finish(c, T0 + 10 * MS);
	assert_int_equal(count(NP_DET_SDP_ADDRESS_MISMATCH), 1);
	np_det_correlator_destroy(c);
}

static void test_known_nat_is_the_records_binding(void **state)
{
	struct np_det_correlator *c = corr(NULL, 0);
	const struct np_det_record *r;

	(void)state;
	/* The phone's own connection through the NAT, learned from both sides... */
	fingerprint(c, 0, T0, "10.1.2.3", 5060, "203.0.113.5", 5060, 0, 0x77);
	fingerprint(c, 1, T0 + MS, "198.51.100.7", 40000, "203.0.113.5", 5060, 0, 0x77);
	np_det_correlator_tick(c, T0 + 3000 * MS);
	/* ...then a REGISTER that still names its private address. */
	sipf(c, 1, T0 + 3000 * MS, "198.51.100.7", 40000, "203.0.113.5", 5060, 6, register_fmt, 1,
	     "", 1, "");
	np_det_correlator_finish(c, T0 + 4000 * MS);
	assert_int_equal(count(NP_DET_PRIVATE_VIA_CONTACT), 1);
	r = find(NP_DET_PRIVATE_VIA_CONTACT);
	assert_true(r->has_binding);
	assert_non_null(strstr(r->detail, "is known"));
	np_det_correlator_destroy(c);
}

/* ---- one finding per cause ------------------------------------------- */

static struct np_det_correlator *corr_window(uint64_t window_ns)
{
	static const char *names[2] = { "inside", "dmz" };
	struct np_det_correlator_conf cc;

	memset(&cc, 0, sizeof(cc));
	cc.n_segments = 2;
	cc.segment_names[0] = names[0];
	cc.segment_names[1] = names[1];
	cc.record = on_record;
	cc.repeat_window_ns = window_ns;
	n_recs = 0;
	return np_det_correlator_create(&cc);
}

static void test_repeats_are_one_record(void **state)
{
	struct np_det_correlator *c = corr_window(60000 * MS);
	const struct np_det_record *r;

	(void)state;
	/* Re-registrations every 10 s: one cause. Each is sent twice (a
	 * retransmission counts once). */
	for (unsigned int i = 0; i < 5; i++)
		for (unsigned int k = 0; k < 2; k++)
			sipf(c, 1, T0 + (i * 10000 + k) * MS, "198.51.100.7", 40000, "203.0.113.5",
			     5060, 17, register_fmt, i, "", i + 1, "");
	np_det_correlator_tick(c, T0 + 45000 * MS);
	assert_int_equal(n_recs, 0); /* the window is still open */
	np_det_correlator_tick(c, T0 + 61000 * MS);
	assert_int_equal(count(NP_DET_PRIVATE_VIA_CONTACT), 1);
	r = find(NP_DET_PRIVATE_VIA_CONTACT);
	assert_int_equal(r->count, 5);
	assert_int_equal(r->ts_ns, T0);
	assert_int_equal(r->last_ns, T0 + 40000 * MS);
	/* A repeat after the window is a new record. */
	sipf(c, 1, T0 + 70000 * MS, "198.51.100.7", 40000, "203.0.113.5", 5060, 17, register_fmt, 7,
	     "", 8, "");
	np_det_correlator_finish(c, T0 + 71000 * MS);
	assert_int_equal(count(NP_DET_PRIVATE_VIA_CONTACT), 2);
	assert_int_equal(recs[n_recs - 1].count, 1);
	np_det_correlator_destroy(c);
}

/* The same message on both segments, in either order: the same record. */
static void test_copy_order_does_not_matter(void **state)
{
	for (int order = 0; order < 2; order++) {
		struct np_det_correlator *c = corr(NULL, 0);
		const struct np_det_record *r;

		(void)state;
		seed(c, order == 1);
		np_det_correlator_finish(c, T0 + 30 * MS);
		r = find(NP_DET_TRANSLATED_ROUTE);
		assert_non_null(r);
		assert_int_equal(count(NP_DET_TRANSLATED_ROUTE), 1);
		assert_int_equal(r->segment, 0); /* the client's side */
		assert_int_equal(r->count, 1);
		r = find(NP_DET_SIP_TIMEOUT);
		assert_int_equal(count(NP_DET_SIP_TIMEOUT), 1);
		assert_int_equal(r->segment, 0); /* nearest the responder */
		assert_string_equal(r->endpoint, "10.0.30.2:27901");
		np_det_correlator_destroy(c);
	}
}

/* Static NAT first, then the binding: the record names the client, no placeholder. */
static void test_static_view_completed_by_binding(void **state)
{
	struct np_static_nat sn = { .priv = ip("10.0.10.2"), .pub = ip("64.100.0.10") };
	struct np_det_correlator *c = corr(&sn, 1);

	(void)state;
	seed(c, false);
	np_det_correlator_finish(c, T0 + 30 * MS);
	assert_int_equal(count(NP_DET_HAIRPIN_SNAT), 1);
	assert_int_equal(count(NP_DET_NAT_REFLECTION_MISROUTE), 1);
	for (unsigned int i = 0; i < n_recs; i++) {
		assert_null(strstr(recs[i].detail, "[::]"));
		if (recs[i].kind == NP_DET_KIND_INCIDENT) {
			assert_true(recs[i].story.client_seen);
			assert_string_equal(ep(&recs[i].story.client), "10.0.30.2:27901");
		}
	}
	assert_non_null(strstr(find(NP_DET_TRANSLATED_ROUTE)->detail, "10.0.30.2:27901"));
	np_det_correlator_destroy(c);
}

/* ---- timeouts -------------------------------------------------------- */

static const char invite_resp_fmt[] = "SIP/2.0 %u %s\n"
				      "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKi1\n"
				      "Call-ID: call1@198.51.100.7\n"
				      "CSeq: 1 INVITE\n"
				      "From: <sip:alice@example.com>;tag=1\n"
				      "To: <sip:bob@example.com>;tag=9\n"
				      "%s"
				      "Content-Length: 0\n\n";

static void test_timeout_rules(void **state)
{
	struct np_det_correlator *c;
	const struct np_det_record *r;

	(void)state;
	/* A call that rang and nobody answered: not a network failure. */
	c = corr(NULL, 0);
	sip(c, 0, T0, "198.51.100.7", 5060, "203.0.113.5", 5060, 17, invite_sdp);
	sipf(c, 0, T0 + 50 * MS, "203.0.113.5", 5060, "198.51.100.7", 5060, 17, invite_resp_fmt,
	     180, "Ringing", "");
	sipf(c, 0, T0 + 120000 * MS, "203.0.113.5", 5060, "198.51.100.7", 5060, 17, invite_resp_fmt,
	     408, "Request Timeout", "");
	/* A 503 with no sign of an unreachable next hop: unavailable for its own reasons. */
	np_det_correlator_finish(c, T0 + 130000 * MS);
	assert_int_equal(count(NP_DET_SIP_TIMEOUT), 0);
	np_det_correlator_destroy(c);

	c = corr(NULL, 0);
	sip(c, 0, T0, "198.51.100.7", 5060, "203.0.113.5", 5060, 17, invite_sdp);
	sipf(c, 0, T0 + 50 * MS, "203.0.113.5", 5060, "198.51.100.7", 5060, 17, invite_resp_fmt,
	     503, "Service Unavailable", "");
	np_det_correlator_finish(c, T0 + 1000 * MS);
	assert_int_equal(count(NP_DET_SIP_TIMEOUT), 0);
	np_det_correlator_destroy(c);

	/* A 408 whose request was not seen (one side captured): still a finding. */
	c = corr(NULL, 0);
	sip(c, 0, T0 + 20 * MS, "10.0.30.2", 27901, "64.100.0.10", 7003, 6, timeout408);
	np_det_correlator_finish(c, T0 + 1000 * MS);
	assert_int_equal(count(NP_DET_SIP_TIMEOUT), 1);
	r = find(NP_DET_SIP_TIMEOUT);
	assert_string_equal(r->timeout_kind, "fast");
	assert_int_equal(r->delay_ms, -1);
	assert_string_equal(r->sip.method, "SERVICE");
	assert_int_equal(r->sip.status, 408);
	np_det_correlator_destroy(c);

	/* ...and when its request shows up after it (rings interleave), it is timed. */
	c = corr(NULL, 0);
	sip(c, 0, T0 + 20 * MS, "10.0.30.2", 27901, "64.100.0.10", 7003, 6, timeout408);
	sip(c, 1, T0 + 10 * MS, "10.0.10.2", 7003, "64.100.0.10", 4401, 6, service);
	np_det_correlator_finish(c, T0 + 1000 * MS);
	assert_int_equal(count(NP_DET_SIP_TIMEOUT), 1);
	assert_int_equal(find(NP_DET_SIP_TIMEOUT)->delay_ms, 10);
	np_det_correlator_destroy(c);

	/* No answer from a peer never seen answering anything: one direction
	 * captured, not a timeout. */
	c = corr(NULL, 0);
	sip(c, 0, T0, "198.51.100.7", 5060, "203.0.113.5", 5060, 17, invite_sdp);
	np_det_correlator_finish(c, T0 + 40000 * MS);
	assert_int_equal(count(NP_DET_SIP_TIMEOUT), 0);
	np_det_correlator_destroy(c);
}

static void test_names_are_stable(void **state)
{
	(void)state;
	assert_string_equal(np_det_type_name(NP_DET_HAIRPIN_SNAT), "hairpin_snat");
	assert_string_equal(np_det_type_name(NP_DET_NAT_REFLECTION_MISROUTE),
			    "nat_reflection_misroute");
	assert_string_equal(np_det_type_name(NP_DET_SDP_ADDRESS_MISMATCH), "sdp_address_mismatch");
	assert_string_equal(np_det_kind_name(NP_DET_KIND_INCIDENT), "incident");
	assert_string_equal(np_det_hdr_name(NP_DET_H_RECORD_ROUTE), "Record-Route");
	assert_string_equal(np_det_type_name(200), "unknown");
}

static int setup(void **state)
{
	char err[256];

	(void)state;
	db = np_sip_db_create(err, sizeof(err));
	scratch = db ? np_sip_scratch_clone(db) : NULL;
	return scratch ? 0 : -1;
}

/*
 * The packed form the SIP ring carries (np_det_sip_pack()): the bytes in use
 * only, read back to the same summary; a truncated or corrupted one is
 * refused, not read out of bounds.
 */
static void test_summary_packs_what_is_used(void **state)
{
	static const char text[] = "INVITE sip:bob@203.0.113.20 SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bKpk1\r\n"
				   "From: <sip:alice@example.com>;tag=f1\r\n"
				   "To: <sip:bob@example.com>\r\n"
				   "Call-ID: pack-1@10.1.2.3\r\n"
				   "CSeq: 7 INVITE\r\n"
				   "Contact: <sip:alice@10.1.2.3:5060>\r\n"
				   "Record-Route: <sip:198.51.100.9;lr>\r\n"
				   "Content-Length: 0\r\n\r\n";
	static struct np_det_sip s, back;
	static uint8_t buf[sizeof(struct np_det_sip)];
	size_t len;

	(void)state;
	assert_int_equal(np_sip_parse(db, scratch, (const uint8_t *)text, strlen(text), &msg), 0);
	memset(&s, 0, sizeof(s));
	np_det_sip_summarise(&msg, (const uint8_t *)text, strlen(text), &s);
	assert_int_equal(s.n_addrs, 3);
	assert_string_equal(np_det_sip_str(&s, s.call_id), "pack-1@10.1.2.3");
	assert_string_equal(np_det_sip_str(&s, s.cseq_text), "7 INVITE");
	assert_string_equal(np_det_sip_str(&s, s.branch), "z9hG4bKpk1");
	assert_false(s.has_to_tag);
	len = np_det_sip_pack(&s, buf);
	assert_int_equal(len, np_det_sip_packed_len(&s));
	assert_true(len < 512);
	memset(&back, 0xa5, sizeof(back));
	assert_int_equal(np_det_sip_unpack(buf, len, &back), 0);
	assert_int_equal(back.n_addrs, 3);
	assert_memory_equal(&back, &s, offsetof(struct np_det_sip, addrs));
	assert_memory_equal(back.addrs, s.addrs, 3 * sizeof(s.addrs[0]));
	assert_string_equal(np_det_sip_str(&back, back.addrs[2].value),
			    "<sip:alice@10.1.2.3:5060>");
	assert_string_equal(np_det_sip_str(&back, back.call_id), "pack-1@10.1.2.3");
	/* short of its text, a count out of range, the text not terminated: refused */
	assert_int_equal(np_det_sip_unpack(buf, len - 1, &back), -EINVAL);
	buf[offsetof(struct np_det_sip, n_addrs)] = NP_DET_MAX_ADDRS + 1;
	assert_int_equal(np_det_sip_unpack(buf, sizeof(buf), &back), -EINVAL);
	np_det_sip_pack(&s, buf);
	buf[len - 1] = 'x';
	assert_int_equal(np_det_sip_unpack(buf, len, &back), -EINVAL);
}

static int teardown(void **state)
{
	(void)state;
	np_sip_scratch_destroy(scratch);
	np_sip_db_destroy(db);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_incident),
		cmocka_unit_test(test_records_cite_frames),
		cmocka_unit_test(test_incident_evidence_full),
		cmocka_unit_test(test_late_binding_still_finds_route),
		cmocka_unit_test(test_incident_waits_to_settle),
		cmocka_unit_test(test_dnat_only_is_healthy),
		cmocka_unit_test(test_static_hairpin),
		cmocka_unit_test(test_private_via_contact),
		cmocka_unit_test(test_sdp_private_address),
		cmocka_unit_test(test_alg_rewrite),
		cmocka_unit_test(test_identical_copies_no_alg),
		cmocka_unit_test(test_timer_timeout),
		cmocka_unit_test(test_phantom_named_endpoint),
		cmocka_unit_test(test_plain_refusal_is_not_phantom),
		cmocka_unit_test(test_binding_lives_with_its_flows),
		cmocka_unit_test(test_max_bindings),
		cmocka_unit_test(test_clock_skew_widens_window),
		cmocka_unit_test(test_inspector_marks_translated_source),
		cmocka_unit_test(test_correlator_uses_worker_mark),
		cmocka_unit_test(test_worker_mark_owner_is_not_misroute),
		cmocka_unit_test(test_register_answer_contact_is_echo),
		cmocka_unit_test(test_response_via_is_the_requesters),
		cmocka_unit_test(test_private_via_needs_udp_without_rport),
		cmocka_unit_test(test_contact_rules),
		cmocka_unit_test(test_dialog_contact_and_sdp),
		cmocka_unit_test(test_sdp_media_level_address_wins),
		cmocka_unit_test(test_known_nat_is_the_records_binding),
		cmocka_unit_test(test_repeats_are_one_record),
		cmocka_unit_test(test_copy_order_does_not_matter),
		cmocka_unit_test(test_static_view_completed_by_binding),
		cmocka_unit_test(test_timeout_rules),
		cmocka_unit_test(test_names_are_stable),
		cmocka_unit_test(test_summary_packs_what_is_used),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
