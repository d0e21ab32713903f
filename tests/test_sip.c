/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/sip: detection, framing, parsing, URIs, SDP, and hostile
 * input. The seed failure's SERVICE request and its 408 answer are rebuilt
 * with real addresses.
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

#include "np_pkt.h"
#include "np_sip.h"
#include "sip_internal.h"

static struct np_sip_db *db;
static struct np_sip_scratch *scr;
static struct np_sip_msg msg;

#define BOUNDARY "boundary-6j7zrmj35ifsu3efg5ga603hnz1nbf"

static const char service_hdr[] =
	"SERVICE sip:serviceserver@cucm02.example.local SIP/2.0\r\n"
	"Via: SIP/2.0/TLS 64.100.0.10:7003;egress-zone=UCTraversal;branch=z9hG4bKa1b2c3;"
	"proxy-call-id=77aa-11;rport\r\n"
	"Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKd4e5f6;received=127.0.0.1;rport=25063;"
	"ingress-zone=DefaultZone\r\n"
	"Call-ID: abcd12345678@127.0.0.1\r\n"
	"CSeq: 4616 SERVICE\r\n"
	"Contact: <sip:serviceproxy@cucm02.example.local>\r\n"
	"From: <sip:serviceproxy@cucm02.example.local>;tag=0987654321aaaa\r\n"
	"To: <sip:serviceserver@cucm02.example.local>\r\n"
	"Max-Forwards: 15\r\n"
	"Route: <sip:64.100.0.10:4401;transport=tls;apparent;ds;lr>\r\n"
	"Route: <sip:127.0.0.1:22210;transport=tcp;vcs-cate;lr>\r\n"
	"User-Agent: TANDBERG/4132 (X8.7.2)\r\n"
	"Date: Tue, 19 Apr 2016 07:09:13 GMT\r\n"
	"Event: service\r\n"
	"P-Asserted-Identity: <sip:serviceproxy@cucm02.example.local>\r\n"
	"X-TAATag: e90b4983919b1f7a46d38f835\r\n"
	"Content-Type: multipart/mixed;boundary=" BOUNDARY "\r\n"
	"Content-Length: %zu\r\n"
	"\r\n";

static const char service_body[] =
	"--" BOUNDARY "\r\n"
	"Content-Type: application/text\r\n"
	"\r\n"
	"<?xml version=\"1.0\" encoding=\"utf-8\"?><methodCall><params><username>john.smith"
	"</username><method>REGISTER</method></params><methodName>DigestAuth</methodName>"
	"</methodCall>\r\n"
	"--" BOUNDARY "\r\n"
	"Content-Type: application/x-x509-ca-cert\r\n"
	"\r\n"
	"-----BEGIN CERTIFICATE-----\r\n"
	"hknS5nQ8NJEspxLPY0N4BvA8iL7ZasOqnqgHRlj95N8bn\r\n"
	"-----END CERTIFICATE-----\r\n"
	"--" BOUNDARY "--\r\n";

static const char resp_408[] =
	"SIP/2.0 408 Request Timeout\r\n"
	"Via: SIP/2.0/TLS 64.100.0.10:7003;egress-zone=UCTraversal;branch=z9hG4bKa1b2c3;"
	"proxy-call-id=77aa-11;received=64.100.0.10;rport=7003;ingress-zone=UCTraversal;"
	"ingress-zone-id=4\r\n"
	"Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKd4e5f6;received=127.0.0.1;rport=25063;"
	"ingress-zone=DefaultZone\r\n"
	"Call-ID: abcd12345678@127.0.0.1\r\n"
	"CSeq: 4616 SERVICE\r\n"
	"From: <sip:serviceproxy@cucm02.example.local>;tag=0987654321aaaa\r\n"
	"To: <sip:serviceserver@cucm02.example.local>;tag=0987654321bbbb\r\n"
	"Server: TANDBERG/4132 (X8.7.2)\r\n"
	"Warning: 399 10.0.10.2 \"Request Timeout\"\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

static char service[4096];
static size_t service_len;

static int setup(void **state)
{
	char err[256];

	(void)state;
	db = np_sip_db_create(err, sizeof(err));
	if (!db) {
		fprintf(stderr, "np_sip_db_create: %s\n", err);
		return -1;
	}
	scr = np_sip_scratch_clone(db);
	if (!scr)
		return -1;
	service_len = (size_t)snprintf(service, sizeof(service), service_hdr, strlen(service_body));
	memcpy(service + service_len, service_body, strlen(service_body));
	service_len += strlen(service_body);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	np_sip_scratch_destroy(scr);
	np_sip_db_destroy(db);
	return 0;
}

static int parse(const void *buf, size_t len)
{
	return np_sip_parse(db, scr, buf, len, &msg);
}

static int parse_str(const char *s)
{
	return parse(s, strlen(s));
}

static void view_eq(struct np_sip_view v, const char *s, const char *file, int line)
{
	size_t n = strlen(s);

	if (v.len != n || (n && memcmp(v.p, s, n) != 0)) {
		print_error("view \"%.*s\" != \"%s\"\n", (int)v.len, v.p ? v.p : "", s);
		_fail(file, line);
	}
}
#define assert_view(v, s) view_eq((v), (s), __FILE__, __LINE__)

static void assert_v4(const struct np_addr *a, const char *dotted)
{
	struct np_addr want;
	struct in_addr in;

	assert_int_equal(inet_pton(AF_INET, dotted, &in), 1);
	np_addr_from_v4(&want, in.s_addr);
	assert_memory_equal(a->b, want.b, 16);
}

static void assert_v6(const struct np_addr *a, const char *text)
{
	uint8_t want[16];

	assert_int_equal(inet_pton(AF_INET6, text, want), 1);
	assert_memory_equal(a->b, want, 16);
}

/* ---- the seed failure -------------------------------------------------------------------- */

static void test_service_start_line(void **state)
{
	(void)state;
	assert_int_equal(parse(service, service_len), 0);
	assert_int_equal(msg.err, NP_SIP_OK);
	assert_true(msg.is_request);
	assert_int_equal(msg.method, NP_SIP_M_SERVICE);
	assert_view(msg.method_text, "SERVICE");
	assert_view(msg.ruri, "sip:serviceserver@cucm02.example.local");
	assert_int_equal(msg.status, 0);
}

static void test_service_vias(void **state)
{
	(void)state;
	assert_int_equal(parse(service, service_len), 0);
	assert_int_equal(msg.n_via, 2);
	assert_int_equal(msg.via_total, 2);
	assert_view(msg.via[0].raw, "SIP/2.0/TLS 64.100.0.10:7003;egress-zone=UCTraversal;"
				    "branch=z9hG4bKa1b2c3;proxy-call-id=77aa-11;rport");
	assert_view(msg.via[0].transport, "TLS");
	assert_int_equal(msg.via[0].host_type, NP_SIP_HOST_IPV4);
	assert_v4(&msg.via[0].addr, "64.100.0.10");
	assert_int_equal(msg.via[0].port, 7003);
	assert_view(msg.via[0].branch, "z9hG4bKa1b2c3");
	assert_true(msg.via[0].has_rport);
	assert_int_equal(msg.via[0].rport, 0);
	assert_view(msg.via[1].transport, "TCP");
	assert_int_equal(msg.via[1].port, 5060);
	assert_int_equal(msg.via[1].rport, 25063);
	assert_int_equal(msg.via[1].received_type, NP_SIP_HOST_IPV4);
	assert_v4(&msg.via[1].received_addr, "127.0.0.1");
}

static void test_service_routes(void **state)
{
	struct np_sip_uri u;
	struct np_sip_view v;

	(void)state;
	assert_int_equal(parse(service, service_len), 0);
	assert_int_equal(msg.route.n, 2);
	assert_view(msg.route.v[0], "<sip:64.100.0.10:4401;transport=tls;apparent;ds;lr>");
	assert_view(msg.route.v[1], "<sip:127.0.0.1:22210;transport=tcp;vcs-cate;lr>");

	assert_int_equal(np_sip_uri_parse(msg.route.v[0], &u), 0);
	assert_true(u.angle);
	assert_view(u.scheme, "sip");
	assert_int_equal(u.user.len, 0);
	assert_int_equal(u.host_type, NP_SIP_HOST_IPV4);
	assert_v4(&u.addr, "64.100.0.10");
	assert_int_equal(u.port, 4401);
	assert_true(np_sip_uri_param(&u, "transport", &v));
	assert_view(v, "tls");
	assert_true(np_sip_uri_param(&u, "apparent", &v));
	assert_int_equal(v.len, 0);
	assert_true(np_sip_uri_param(&u, "lr", NULL));
	assert_false(np_sip_uri_param(&u, "maddr", NULL));

	assert_int_equal(np_sip_uri_parse(msg.route.v[1], &u), 0);
	assert_v4(&u.addr, "127.0.0.1");
	assert_int_equal(u.port, 22210);
	assert_true(np_sip_uri_param(&u, "vcs-cate", NULL));
	assert_int_equal(msg.contact.n, 1);
	assert_view(msg.contact.v[0], "<sip:serviceproxy@cucm02.example.local>");
	assert_int_equal(msg.record_route.n, 0);
	assert_int_equal(msg.path.n, 0);
}

static void test_service_dialog_fields(void **state)
{
	(void)state;
	assert_int_equal(parse(service, service_len), 0);
	assert_view(msg.call_id, "abcd12345678@127.0.0.1");
	assert_view(msg.cseq_raw, "4616 SERVICE");
	assert_int_equal(msg.cseq, 4616);
	assert_int_equal(msg.cseq_method, NP_SIP_M_SERVICE);
	assert_view(msg.from.uri, "sip:serviceproxy@cucm02.example.local");
	assert_view(msg.from.tag, "0987654321aaaa");
	assert_view(msg.to.uri, "sip:serviceserver@cucm02.example.local");
	assert_int_equal(msg.to.tag.len, 0);
	assert_view(msg.user_agent, "TANDBERG/4132 (X8.7.2)");
	assert_view(msg.max_forwards, "15");
	assert_view(msg.event, "service");
}

static void test_service_body(void **state)
{
	(void)state;
	assert_int_equal(parse(service, service_len), 0);
	assert_true(msg.has_content_length);
	assert_int_equal(msg.content_length, strlen(service_body));
	assert_true(msg.body_complete);
	assert_int_equal(msg.msg_len, service_len);
	assert_int_equal(msg.hdr_len + msg.content_length, service_len);
	assert_view(msg.content_type_media, "multipart/mixed");
	assert_view(msg.boundary, BOUNDARY);
	assert_false(msg.has_sdp); /* no SDP part in SERVICE */
	assert_int_equal(msg.flags & (NP_SIP_F_COMPACT | NP_SIP_F_FOLDED), 0);
}

static void test_408_response(void **state)
{
	(void)state;
	assert_int_equal(parse_str(resp_408), 0);
	assert_false(msg.is_request);
	assert_int_equal(msg.status, 408);
	assert_view(msg.reason, "Request Timeout");
	assert_int_equal(msg.method, NP_SIP_M_NONE);
	assert_int_equal(msg.cseq_method, NP_SIP_M_SERVICE);
	assert_int_equal(msg.n_warning, 1);
	assert_int_equal(msg.warning[0].code, 399);
	assert_view(msg.warning[0].agent, "10.0.10.2");
	assert_view(msg.warning[0].text, "Request Timeout");
	assert_view(msg.server, "TANDBERG/4132 (X8.7.2)");
	assert_view(msg.to.tag, "0987654321bbbb");
	assert_int_equal(msg.n_via, 2);
	assert_int_equal(msg.via[0].rport, 7003);
	assert_v4(&msg.via[0].received_addr, "64.100.0.10");
	assert_int_equal(msg.content_length, 0);
	assert_int_equal(msg.body.len, 0);
	assert_int_equal(msg.msg_len, strlen(resp_408));
}

static void test_service_looks_like_sip(void **state)
{
	(void)state;
	assert_true(np_sip_looks_like_sip((const uint8_t *)service, service_len));
	assert_true(np_sip_looks_like_sip((const uint8_t *)resp_408, strlen(resp_408)));
	assert_true(
		np_sip_looks_like_sip((const uint8_t *)"\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\n", 29));
}

/* ---- header syntax ----------------------------------------------------------------------- */

static void test_compact_names(void **state)
{
	static const char m[] = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
				"v: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK1\r\n"
				"f: Alice <sip:alice@atlanta.example.com>;tag=88\r\n"
				"t: <sip:bob@biloxi.example.com>\r\n"
				"i: compact@192.0.2.4\r\n"
				"CSeq: 1 INVITE\r\n"
				"m: <sip:alice@192.0.2.4:5062>\r\n"
				"k: 100rel\r\n"
				"s: hello\r\n"
				"e: gzip\r\n"
				"o: presence\r\n"
				"c: application/sdp\r\n"
				"l: 10\r\n"
				"\r\n"
				"v=0\r\nc=IN\r\n";

	(void)state;
	assert_int_equal(parse_str(m), 0);
	assert_true(msg.flags & NP_SIP_F_COMPACT);
	assert_int_equal(msg.n_via, 1);
	assert_int_equal(msg.via[0].port, 5060);
	assert_view(msg.from.tag, "88");
	assert_view(msg.to.uri, "sip:bob@biloxi.example.com");
	assert_view(msg.call_id, "compact@192.0.2.4");
	assert_int_equal(msg.contact.n, 1);
	assert_view(msg.supported, "100rel");
	assert_view(msg.subject, "hello");
	assert_view(msg.content_encoding, "gzip");
	assert_view(msg.event, "presence");
	assert_view(msg.content_type, "application/sdp");
	assert_int_equal(msg.content_length, 10);
	assert_int_equal(msg.body.len, 10);
}

static void test_name_case(void **state)
{
	static const char m[] = "OPTIONS sip:x@example.com SIP/2.0\r\n"
				"VIA: SIP/2.0/UDP 192.0.2.1\r\n"
				"via  : SIP/2.0/UDP 192.0.2.2:5070\r\n"
				"vIa:SIP/2.0/UDP 192.0.2.3\r\n"
				"CALL-ID: upper\r\n"
				"cseq: 7 options\r\n"
				"rOuTe: <sip:192.0.2.9;lr>\r\n"
				"RECORD-ROUTE: <sip:192.0.2.10;lr>\r\n"
				"path: <sip:192.0.2.11;lr>\r\n"
				"Service-ROUTE: <sip:192.0.2.12;lr>\r\n"
				"CONTENT-LENGTH: 0\r\n"
				"\r\n";

	(void)state;
	assert_int_equal(parse_str(m), 0);
	assert_int_equal(msg.n_via, 3);
	assert_view(msg.via[1].host, "192.0.2.2");
	assert_int_equal(msg.via[1].port, 5070);
	assert_int_equal(msg.via[0].port, 0);
	assert_view(msg.via[2].host, "192.0.2.3");
	assert_view(msg.call_id, "upper");
	assert_int_equal(msg.cseq, 7);
	assert_int_equal(msg.cseq_method, NP_SIP_M_OTHER); /* methods are case-sensitive */
	assert_int_equal(msg.route.n, 1);
	assert_int_equal(msg.record_route.n, 1);
	assert_int_equal(msg.path.n, 1);
	assert_int_equal(msg.service_route.n, 1);
	assert_false(msg.flags & NP_SIP_F_COMPACT);
}

static void test_space_before_colon(void **state)
{
	static const char m[] = "BYE sip:x@example.com SIP/2.0\r\n"
				"v :SIP/2.0/UDP 192.0.2.1:5061\r\n"
				"X-Route : <sip:192.0.2.99;lr>\r\n"
				"Route\t \t: <sip:192.0.2.9;lr>\r\n"
				"l\t: 2\r\n"
				"\r\nok";
	struct np_sip_frame_info fi;

	(void)state;
	assert_int_equal(parse_str(m), 0);
	assert_int_equal(msg.n_via, 1);
	assert_int_equal(msg.via[0].port, 5061);
	assert_int_equal(msg.route.n, 1); /* X-Route is not Route */
	assert_view(msg.route.v[0], "<sip:192.0.2.9;lr>");
	assert_view(msg.body, "ok");
	assert_int_equal(np_sip_frame((const uint8_t *)m, strlen(m), &fi), NP_SIP_FRAME_COMPLETE);
	assert_int_equal(fi.msg_len, msg.msg_len);
}

static void test_folded_headers(void **state)
{
	static const char m[] = "REGISTER sip:example.com SIP/2.0\r\n"
				"Via: SIP/2.0/UDP 192.0.2.1:5060\r\n"
				"  ;branch=z9hG4bKfold\r\n"
				"Route: <sip:192.0.2.20;lr>,\r\n"
				"\t<sip:192.0.2.21;lr>\r\n"
				"Subject: I know you're there,\r\n"
				"         pick up the phone\r\n"
				"         and talk to me!\r\n"
				"Call-ID: fold@x\r\n"
				"Content-Length: 0\r\n"
				"\r\n";

	(void)state;
	assert_int_equal(parse_str(m), 0);
	assert_true(msg.flags & NP_SIP_F_FOLDED);
	assert_int_equal(msg.n_via, 1);
	assert_view(msg.via[0].raw, "SIP/2.0/UDP 192.0.2.1:5060 ;branch=z9hG4bKfold");
	assert_view(msg.via[0].branch, "z9hG4bKfold");
	assert_int_equal(msg.via[0].port, 5060);
	assert_int_equal(msg.route.n, 2);
	assert_view(msg.route.v[1], "<sip:192.0.2.21;lr>");
	assert_view(msg.subject, "I know you're there, pick up the phone and talk to me!");
	assert_true(msg.subject.p >= msg.join && msg.subject.p < msg.join + NP_SIP_JOIN_LEN);
	assert_view(msg.call_id, "fold@x");
}

static void test_comma_lists(void **state)
{
	static const char m[] =
		"INVITE sip:b@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.1;branch=a, SIP/2.0/TCP 192.0.2.2:5070;branch=b\r\n"
		"Contact: \"Doe, John\" <sip:jd@192.0.2.5>;q=0.5, <sip:x@192.0.2.6;a=\"p,q\">,"
		"<sip:y@192.0.2.7;u=1,2>\r\n"
		"Record-Route: <sip:192.0.2.30;lr>,<sip:192.0.2.31;lr>,<sip:192.0.2.32;lr>\r\n"
		"Date: Tue, 19 Apr 2016 07:09:13 GMT\r\n"
		"Content-Length: 0\r\n"
		"\r\n";
	struct np_sip_uri u;

	(void)state;
	assert_int_equal(parse_str(m), 0);
	assert_int_equal(msg.n_via, 2);
	assert_view(msg.via[1].transport, "TCP");
	assert_int_equal(msg.via[1].port, 5070);
	assert_int_equal(msg.contact.n, 3);
	assert_view(msg.contact.v[0], "\"Doe, John\" <sip:jd@192.0.2.5>;q=0.5");
	assert_view(msg.contact.v[1], "<sip:x@192.0.2.6;a=\"p,q\">");
	assert_view(msg.contact.v[2], "<sip:y@192.0.2.7;u=1,2>");
	assert_int_equal(np_sip_uri_parse(msg.contact.v[0], &u), 0);
	assert_view(u.display, "Doe, John");
	assert_view(u.user, "jd");
	assert_v4(&u.addr, "192.0.2.5");
	assert_true(np_sip_uri_param(&u, "q", NULL));
	assert_int_equal(msg.record_route.n, 3);
	assert_view(msg.record_route.v[2], "<sip:192.0.2.32;lr>");
}

static void test_ipv6_hosts(void **state)
{
	static const char m[] =
		"INVITE sip:bob@[2001:db8::2] SIP/2.0\r\n"
		"Via: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK6;received=2001:db8::99;rport=5062\r\n"
		"Contact: <sip:alice@[2001:db8::1]:5060;transport=udp>\r\n"
		"Route: <sip:[2001:db8::5];lr>\r\n"
		"Content-Length: 0\r\n"
		"\r\n";
	struct np_sip_uri u;
	char buf[64];

	(void)state;
	assert_int_equal(parse_str(m), 0);
	assert_int_equal(msg.via[0].host_type, NP_SIP_HOST_IPV6);
	assert_view(msg.via[0].host, "2001:db8::1");
	assert_v6(&msg.via[0].addr, "2001:db8::1");
	assert_int_equal(msg.via[0].port, 5060);
	assert_int_equal(msg.via[0].received_type, NP_SIP_HOST_IPV6);
	assert_v6(&msg.via[0].received_addr, "2001:db8::99");
	assert_int_equal(msg.via[0].rport, 5062);
	assert_int_equal(np_sip_uri_parse(msg.contact.v[0], &u), 0);
	assert_int_equal(u.host_type, NP_SIP_HOST_IPV6);
	assert_v6(&u.addr, "2001:db8::1");
	assert_int_equal(u.port, 5060);
	assert_string_equal(np_addr_str(&u.addr, buf, sizeof(buf)), "2001:db8::1");
	assert_int_equal(np_sip_uri_parse(msg.route.v[0], &u), 0);
	assert_int_equal(u.port, 0);
	assert_v6(&u.addr, "2001:db8::5");
	assert_int_equal(np_sip_uri_parse(msg.ruri, &u), 0);
	assert_v6(&u.addr, "2001:db8::2");
}

/* ---- URIs -------------------------------------------------------------------------------- */

static struct np_sip_view sv(const char *s)
{
	struct np_sip_view v = { s, (uint32_t)strlen(s) };
	return v;
}

static void test_uri_forms(void **state)
{
	struct np_sip_uri u;
	struct np_sip_view v;

	(void)state;
	assert_int_equal(np_sip_uri_parse(sv("sips:alice:secret@atlanta.example.com:5061;"
					     "transport=tcp?subject=x"),
					  &u),
			 0);
	assert_view(u.scheme, "sips");
	assert_view(u.user, "alice");
	assert_view(u.host, "atlanta.example.com");
	assert_int_equal(u.host_type, NP_SIP_HOST_NAME);
	assert_int_equal(u.port, 5061);
	assert_true(np_sip_uri_param(&u, "transport", &v));
	assert_view(v, "tcp");
	assert_false(u.angle);

	assert_int_equal(np_sip_uri_parse(sv("Bob <sip:bob@192.0.2.4>;tag=abc;expires=60"), &u), 0);
	assert_view(u.display, "Bob");
	assert_view(u.uri, "sip:bob@192.0.2.4");
	assert_int_equal(u.params.len, 0);
	assert_true(np_sip_uri_param(&u, "tag", &v));
	assert_view(v, "abc");

	assert_int_equal(np_sip_uri_parse(sv("<tel:+15551234;phone-context=x>"), &u), 0);
	assert_view(u.scheme, "tel");
	assert_view(u.user, "+15551234");
	assert_int_equal(u.host_type, NP_SIP_HOST_NONE);

	assert_int_equal(np_sip_uri_parse(sv("<sip:10.0.0.1;maddr=239.1.1.1;received=10.2.2.2>"),
					  &u),
			 0);
	assert_true(np_sip_uri_param(&u, "maddr", &v));
	assert_view(v, "239.1.1.1");
	assert_true(np_sip_uri_param(&u, "RECEIVED", &v));
	assert_view(v, "10.2.2.2");

	assert_int_equal(np_sip_uri_parse(sv("sip:host.example:99999"), &u), -EINVAL);
	assert_int_equal(np_sip_uri_parse(sv("sip:[2001:db8::1"), &u), -EINVAL);
	assert_int_equal(np_sip_uri_parse(sv("no scheme here"), &u), -EINVAL);
	assert_int_equal(np_sip_uri_parse(sv("sip:1.2.3.4:5060x"), &u), -EINVAL);
	/* 256.1.1.1 is not an IPv4 literal */
	assert_int_equal(np_sip_uri_parse(sv("sip:256.1.1.1"), &u), 0);
	assert_int_equal(u.host_type, NP_SIP_HOST_NAME);
}

static void test_unterminated_angle(void **state)
{
	static const char m[] = "INVITE sip:b@example.com SIP/2.0\r\n"
				"Route: <sip:192.0.2.1;lr, <sip:192.0.2.2;lr>\r\n"
				"Contact: \"open quote <sip:a@b>\r\n"
				"From: <sip:a@example.com;tag=1\r\n"
				"Content-Length: 0\r\n"
				"\r\n";
	struct np_sip_uri u;

	(void)state;
	assert_int_equal(parse_str(m), 0);
	/* '<' not closed before the comma: everything after is one value */
	assert_int_equal(msg.route.n, 1);
	assert_int_equal(np_sip_uri_parse(msg.route.v[0], &u), 0); /* closed by the later '>' */
	assert_int_equal(msg.contact.n, 1);
	assert_int_equal(np_sip_uri_parse(msg.contact.v[0], &u), -EINVAL);
	assert_view(msg.from.uri, "sip:a@example.com;tag=1");
	assert_int_equal(np_sip_uri_parse(sv("<sip:a@192.0.2.1"), &u), -EINVAL);
}

static void test_param_find(void **state)
{
	struct np_sip_view v;

	(void)state;
	assert_true(np_sip_param_find(sv("x;a=1; B = \"q;r\" ;c"), "b", &v));
	assert_view(v, "\"q;r\"");
	assert_true(np_sip_param_find(sv("x;a=1; B = \"q;r\" ;c"), "c", &v));
	assert_int_equal(v.len, 0);
	assert_false(np_sip_param_find(sv("x;a=1"), "aa", &v));
	assert_false(np_sip_param_find(sv("a=1"), "a", &v)); /* before the first ';' */
}

static void test_host_parse(void **state)
{
	struct np_addr a;

	(void)state;
	assert_int_equal(np_sip_host_parse(sv("10.0.10.2"), &a), NP_SIP_HOST_IPV4);
	assert_v4(&a, "10.0.10.2");
	assert_int_equal(np_sip_host_parse(sv("[::1]"), &a), NP_SIP_HOST_IPV6);
	assert_int_equal(np_sip_host_parse(sv("::ffff:1.2.3.4"), &a), NP_SIP_HOST_IPV6);
	assert_int_equal(np_sip_host_parse(sv("1.2.3"), &a), NP_SIP_HOST_NAME);
	assert_int_equal(np_sip_host_parse(sv("01.2.3.4444"), &a), NP_SIP_HOST_NAME);
	assert_int_equal(np_sip_host_parse(sv(""), &a), NP_SIP_HOST_NONE);
}

/* ---- SDP --------------------------------------------------------------------------------- */

static const char sdp_text[] = "v=0\r\n"
			       "o=alice 2890844526 2890844526 IN IP4 10.1.1.1\r\n"
			       "s=-\r\n"
			       "c=IN IP4 192.168.1.2\r\n"
			       "t=0 0\r\n"
			       "m=audio 49170 RTP/AVP 0 8\r\n"
			       "m=video 51372/2 RTP/AVP 31\r\n"
			       "c=IN IP6 2001:db8::7\r\n"
			       "m=application 0 UDP/BFCP *\n"
			       "c=IN IP4 224.2.1.1/127/3\n";

static void test_sdp_plain(void **state)
{
	struct np_sip_sdp sdp;

	(void)state;
	assert_int_equal(np_sip_sdp_parse((const uint8_t *)sdp_text, strlen(sdp_text), &sdp), 0);
	assert_int_equal(sdp.o_type, NP_SIP_HOST_IPV4);
	assert_v4(&sdp.o_addr, "10.1.1.1");
	assert_int_equal(sdp.n_c, 3);
	assert_int_equal(sdp.c[0].media, -1);
	assert_v4(&sdp.c[0].addr, "192.168.1.2");
	assert_int_equal(sdp.c[1].type, NP_SIP_HOST_IPV6);
	assert_int_equal(sdp.c[1].media, 1);
	assert_v6(&sdp.c[1].addr, "2001:db8::7");
	assert_view(sdp.c[2].addr_text, "224.2.1.1");
	assert_int_equal(sdp.c[2].media, 2);
	assert_int_equal(sdp.n_m, 3);
	assert_view(sdp.m[0].media, "audio");
	assert_int_equal(sdp.m[0].port, 49170);
	assert_view(sdp.m[0].proto, "RTP/AVP");
	assert_int_equal(sdp.m[1].port, 51372);
	assert_int_equal(sdp.m[1].n_ports, 2);
	assert_int_equal(sdp.m[2].port, 0);
	assert_int_equal(np_sip_sdp_parse((const uint8_t *)"hello", 5, &sdp), -EBADMSG);
}

static void test_sdp_in_message(void **state)
{
	char m[1024];
	int n;

	(void)state;
	n = snprintf(m, sizeof(m),
		     "SIP/2.0 200 OK\r\nCall-ID: s@x\r\nContent-Type: Application/SDP\r\n"
		     "Content-Length: %zu\r\n\r\n%s",
		     strlen(sdp_text), sdp_text);
	assert_int_equal(parse(m, (size_t)n), 0);
	assert_true(msg.has_sdp);
	assert_int_equal(msg.sdp.n_c, 3);
	assert_int_equal(msg.sdp.n_m, 3);
}

static void test_multipart_sdp(void **state)
{
	static const char body[] = "preamble\r\n"
				   "--b1\r\n"
				   "Content-Type: application/isup\r\n"
				   "\r\n"
				   "binary c=IN IP4 6.6.6.6\r\n"
				   "--b1\r\n"
				   "Content-Type: application/sdp\r\n"
				   "Content-Disposition: session\r\n"
				   "\r\n"
				   "v=0\r\n"
				   "o=- 1 1 IN IP4 198.51.100.7\r\n"
				   "c=IN IP4 198.51.100.8\r\n"
				   "m=audio 4000 RTP/AVP 0\r\n"
				   "--b1\r\n"
				   "Content-Type: multipart/alternative; boundary=\"in ner\"\r\n"
				   "\r\n"
				   "--in ner\r\n"
				   "Content-Type: application/sdp\r\n"
				   "\r\n"
				   "v=0\r\n"
				   "c=IN IP6 2001:db8::8\r\n"
				   "m=video 5000 RTP/AVP 96\r\n"
				   "--in ner--\r\n"
				   "--b1--\r\n";
	char m[2048];
	int n;

	(void)state;
	n = snprintf(m, sizeof(m),
		     "INVITE sip:b@example.com SIP/2.0\r\nCall-ID: mp@x\r\n"
		     "Content-Type: multipart/mixed;boundary=b1\r\n"
		     "Content-Length: %zu\r\n\r\n%s",
		     strlen(body), body);
	assert_int_equal(parse(m, (size_t)n), 0);
	assert_true(msg.has_sdp);
	assert_int_equal(msg.sdp.n_c, 2);
	assert_v4(&msg.sdp.c[0].addr, "198.51.100.8");
	assert_v6(&msg.sdp.c[1].addr, "2001:db8::8");
	assert_int_equal(msg.sdp.n_m, 2);
	assert_int_equal(msg.sdp.m[0].port, 4000);
	assert_int_equal(msg.sdp.m[1].port, 5000);
	assert_v4(&msg.sdp.o_addr, "198.51.100.7");
}

/* ---- framing ----------------------------------------------------------------------------- */

static void test_frame_complete_and_pipelined(void **state)
{
	struct np_sip_frame_info fi;
	char two[8192];
	size_t n1 = strlen(resp_408);

	(void)state;
	memcpy(two, resp_408, n1);
	memcpy(two + n1, service, service_len);
	assert_int_equal(np_sip_frame((const uint8_t *)two, n1 + service_len, &fi),
			 NP_SIP_FRAME_COMPLETE);
	assert_int_equal(fi.msg_len, n1);
	assert_int_equal(fi.body_len, 0);
	assert_int_equal(np_sip_frame((const uint8_t *)two + n1, service_len, &fi),
			 NP_SIP_FRAME_COMPLETE);
	assert_int_equal(fi.msg_len, service_len);
	assert_int_equal(fi.body_len, strlen(service_body));
	assert_int_equal(fi.hdr_len + fi.body_len, service_len);
	assert_int_equal(fi.flags, 0);
}

static void test_frame_need_more(void **state)
{
	struct np_sip_frame_info fi;

	(void)state;
	for (size_t n = 0; n < service_len; n++) {
		int rc = np_sip_frame((const uint8_t *)service, n, &fi);

		assert_int_equal(rc, NP_SIP_FRAME_NEED_MORE);
	}
	assert_int_equal(np_sip_frame((const uint8_t *)service, service_len - 1, &fi),
			 NP_SIP_FRAME_NEED_MORE);
	assert_int_equal(fi.body_len, strlen(service_body)); /* known once headers are in */
}

static void test_frame_keepalive_and_lf(void **state)
{
	struct np_sip_frame_info fi;
	static const char lf[] = "OPTIONS sip:a@b SIP/2.0\nl: 3\n\nabc";
	static const char nocl[] = "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\nextra";

	(void)state;
	assert_int_equal(np_sip_frame((const uint8_t *)"\r\n\r\nOPT", 7, &fi),
			 NP_SIP_FRAME_KEEPALIVE);
	assert_int_equal(fi.msg_len, 4);
	assert_int_equal(np_sip_frame((const uint8_t *)lf, strlen(lf), &fi), NP_SIP_FRAME_COMPLETE);
	assert_true(fi.flags & NP_SIP_FRAME_F_LF_ONLY);
	assert_int_equal(fi.body_len, 3);
	assert_int_equal(fi.msg_len, strlen(lf));
	assert_int_equal(np_sip_frame((const uint8_t *)nocl, strlen(nocl), &fi),
			 NP_SIP_FRAME_COMPLETE);
	assert_true(fi.flags & NP_SIP_FRAME_F_NO_CONTENT_LENGTH);
	assert_int_equal(fi.msg_len, strlen(nocl) - 5);
	assert_int_equal(np_sip_frame(NULL, 0, NULL), -EINVAL);
}

static void frame_cl(const char *cl, int want_rc, int want_err)
{
	char m[256];
	struct np_sip_frame_info fi;
	int n = snprintf(m, sizeof(m), "BYE sip:a@b SIP/2.0\r\nCall-ID: x\r\n%s\r\n\r\n", cl);

	assert_int_equal(np_sip_frame((const uint8_t *)m, (size_t)n, &fi), want_rc);
	assert_int_equal(fi.err, want_err);
}

static void test_frame_bad_content_length(void **state)
{
	(void)state;
	frame_cl("Content-Length: -5", NP_SIP_FRAME_ERROR, NP_SIP_E_BAD_CONTENT_LENGTH);
	frame_cl("Content-Length: 99999999999999999999", NP_SIP_FRAME_ERROR,
		 NP_SIP_E_BAD_CONTENT_LENGTH);
	frame_cl("Content-Length: 2000000", NP_SIP_FRAME_ERROR, NP_SIP_E_BAD_CONTENT_LENGTH);
	frame_cl("Content-Length: abc", NP_SIP_FRAME_ERROR, NP_SIP_E_BAD_CONTENT_LENGTH);
	frame_cl("Content-Length:", NP_SIP_FRAME_ERROR, NP_SIP_E_BAD_CONTENT_LENGTH);
	frame_cl("l: 1\r\nContent-Length: 2", NP_SIP_FRAME_ERROR, NP_SIP_E_BAD_CONTENT_LENGTH);
	frame_cl("l: 0\r\nContent-Length: 0", NP_SIP_FRAME_COMPLETE, NP_SIP_OK);
	frame_cl("content-length :  12 ", NP_SIP_FRAME_NEED_MORE, NP_SIP_OK);
}

static void test_frame_header_too_long(void **state)
{
	static char big[NP_SIP_MAX_HDR_LEN + 100];
	struct np_sip_frame_info fi;

	(void)state;
	memset(big, 'a', sizeof(big));
	memcpy(big, "INVITE sip:a@b SIP/2.0\r\nX: ", 27);
	assert_int_equal(np_sip_frame((const uint8_t *)big, sizeof(big), &fi), NP_SIP_FRAME_ERROR);
	assert_int_equal(fi.err, NP_SIP_E_HEADER_TOO_LONG);
	assert_int_equal(np_sip_frame((const uint8_t *)big, 1000, &fi), NP_SIP_FRAME_NEED_MORE);
}

/* ---- detection --------------------------------------------------------------------------- */

static void test_ssdp_rejected(void **state)
{
	static const char ssdp[] =
		"NOTIFY * HTTP/1.1\r\n"
		"HOST: 239.255.255.250:1900\r\n"
		"NT: upnp:rootdevice\r\n"
		"NTS: ssdp:alive\r\n"
		"LOCATION: http://192.168.1.1:5431/dyndev/uuid:0000e068-20a0-00e0-20a0-48a8000808e0\r\n"
		"\r\n";
	static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

	(void)state;
	assert_false(np_sip_looks_like_sip((const uint8_t *)ssdp, strlen(ssdp)));
	assert_false(np_sip_looks_like_sip((const uint8_t *)http, strlen(http)));
	assert_false(np_sip_looks_like_sip((const uint8_t *)"NOTIFY * SIP/2.0\r\n", 18));
	assert_false(np_sip_looks_like_sip((const uint8_t *)"HTTP/1.1 200 OK\r\n", 17));
	assert_int_equal(parse_str(ssdp), -EBADMSG);
	assert_int_equal(msg.err, NP_SIP_E_BAD_START_LINE);
}

static void test_looks_like_sip(void **state)
{
	(void)state;
	assert_true(np_sip_looks_like_sip((const uint8_t *)"SIP/2.0 180 Ringing\r\n", 21));
	assert_true(np_sip_looks_like_sip((const uint8_t *)"SIP/2.0 200\r\n", 13));
	assert_true(np_sip_looks_like_sip((const uint8_t *)"INVITE sip:a@b SIP/2.0", 22));
	assert_false(np_sip_looks_like_sip((const uint8_t *)"SIP/2.0 700 x\r\n", 15));
	assert_false(np_sip_looks_like_sip((const uint8_t *)"invite sip:a@b SIP/2.0\r\n", 24));
	assert_false(np_sip_looks_like_sip((const uint8_t *)"INVITE sip:a@b SIP/2.00\r\n", 25));
	assert_false(np_sip_looks_like_sip((const uint8_t *)"\r\n\r\n", 4));
	assert_false(np_sip_looks_like_sip(NULL, 10));
	assert_false(np_sip_looks_like_sip((const uint8_t *)"", 0));
}

/* ---- hostile input ----------------------------------------------------------------------- */

static void test_truncated_every_length(void **state)
{
	static const char *const msgs[] = { resp_408, NULL };
	uint8_t *copy;

	(void)state;
	for (int k = 0; k < 2; k++) {
		const char *src = k == 0 ? service : msgs[0];
		size_t total = k == 0 ? service_len : strlen(msgs[0]);

		for (size_t n = 0; n <= total; n++) {
			int rc;

			copy = malloc(n ? n : 1); /* exact size: ASan/valgrind see overreads */
			assert_non_null(copy);
			memcpy(copy, src, n);
			rc = parse(copy, n);
			if (n == total) {
				assert_int_equal(rc, 0);
			} else {
				assert_true(rc < 0);
				assert_int_not_equal(msg.err, NP_SIP_OK);
				if (rc == -EAGAIN)
					assert_int_equal(msg.err, NP_SIP_E_TRUNCATED);
				else if (rc == -EBADMSG)
					assert_true(msg.err == NP_SIP_E_NO_CRLF ||
						    msg.err == NP_SIP_E_BAD_START_LINE);
				else
					fail_msg("length %zu: rc %d", n, rc);
				/* a partial parse never holds more Vias than the message */
				assert_true(msg.n_via <= 2);
				if (msg.n_via == 2)
					assert_view(msg.via[1].transport, "TCP");
			}
			free(copy);
		}
	}
}

static void test_missing_crlf(void **state)
{
	static const char nolf[] = "INVITE sip:a@b SIP/2.0 Via: SIP/2.0/UDP 1.2.3.4";
	static const char noend[] = "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4\r\n"
				    "Call-ID: x\r\n";

	(void)state;
	assert_int_equal(parse_str(nolf), -EBADMSG);
	assert_int_equal(msg.err, NP_SIP_E_NO_CRLF);
	/* no empty line: the complete header lines are parsed, and it says truncated */
	assert_int_equal(parse_str(noend), -EAGAIN);
	assert_int_equal(msg.err, NP_SIP_E_TRUNCATED);
	assert_int_equal(msg.n_via, 1);
	assert_view(msg.call_id, "x");
	assert_string_equal(np_sip_err_name(NP_SIP_E_NO_CRLF), "no_crlf");
}

static void test_header_line_64k(void **state)
{
	size_t n = 64 * 1024;
	char *m = malloc(n);

	(void)state;
	assert_non_null(m);
	memset(m, 'x', n);
	memcpy(m, "INVITE sip:a@b SIP/2.0\r\nSubject: ", 33);
	memcpy(m + n - 4, "\r\n\r\n", 4);
	assert_int_equal(parse(m, n), -EMSGSIZE);
	assert_int_equal(msg.err, NP_SIP_E_HEADER_TOO_LONG);
	/* a 64 KiB start line too */
	memset(m, 'x', n);
	assert_int_equal(parse(m, n), -EMSGSIZE);
	free(m);
}

static void test_nul_bytes(void **state)
{
	static const char m[] = "MESSAGE sip:a@b SIP/2.0\r\n"
				"Via: SIP/2.0/UDP 192.0.2.1\0:5060;branch=z\r\n"
				"Call-ID: nul\0inside\r\n"
				"Route: <sip:192.0.2.2\0;lr>\r\n"
				"Content-Length: 4\r\n"
				"\r\n"
				"a\0b\0";
	struct np_sip_uri u;

	(void)state;
	assert_int_equal(parse(m, sizeof(m) - 1), 0);
	assert_int_equal(msg.call_id.len, 10);
	assert_int_equal(msg.n_via, 1);
	assert_int_equal(msg.body.len, 4);
	assert_int_equal(msg.route.n, 1);
	(void)np_sip_uri_parse(msg.route.v[0], &u);
	assert_int_not_equal(u.host_type, NP_SIP_HOST_IPV4);
	/* NUL in the method is not a start line */
	assert_int_equal(parse("INV\0TE sip:a@b SIP/2.0\r\n\r\n", 26), -EBADMSG);
	assert_int_equal(msg.err, NP_SIP_E_BAD_START_LINE);
}

static int parse_cl(const char *cl, const char *body)
{
	static char m[512]; /* the views in msg point here after return */
	int n = snprintf(m, sizeof(m), "INFO sip:a@b SIP/2.0\r\nCall-ID: c\r\n%s\r\n%s", cl, body);

	return parse(m, (size_t)n);
}

static void test_content_length_negative(void **state)
{
	(void)state;
	assert_int_equal(parse_cl("Content-Length: -1\r\n", "x"), -EBADMSG);
	assert_int_equal(msg.err, NP_SIP_E_BAD_CONTENT_LENGTH);
	assert_view(msg.call_id, "c"); /* headers still parsed */
}

static void test_content_length_huge(void **state)
{
	(void)state;
	assert_int_equal(parse_cl("Content-Length: 18446744073709551617\r\n", ""), -EBADMSG);
	assert_int_equal(msg.err, NP_SIP_E_BAD_CONTENT_LENGTH);
	assert_int_equal(parse_cl("Content-Length: 4294967296\r\n", ""), -EBADMSG);
	/* plausible but more than the buffer: truncated */
	assert_int_equal(parse_cl("Content-Length: 500\r\n", "abc"), -EAGAIN);
	assert_int_equal(msg.err, NP_SIP_E_TRUNCATED);
	assert_int_equal(msg.body.len, 3);
	assert_false(msg.body_complete);
}

static void test_content_length_missing(void **state)
{
	static const char udp_sdp[] = "SIP/2.0 200 OK\r\nContent-Type: application/sdp\r\n\r\n"
				      "v=0\r\nc=IN IP4 10.9.9.9\r\nm=audio 7078 RTP/AVP 0\r\n";

	(void)state;
	assert_int_equal(parse_str(udp_sdp), 0); /* UDP: the body is the rest */
	assert_true(msg.has_sdp);
	assert_v4(&msg.sdp.c[0].addr, "10.9.9.9");
	assert_int_equal(parse_cl("", "datagram body"), 0);
	assert_true(msg.flags & NP_SIP_F_NO_CONTENT_LENGTH);
	assert_false(msg.has_content_length);
	assert_view(msg.body, "datagram body");
}

static void test_content_length_non_numeric(void **state)
{
	(void)state;
	assert_int_equal(parse_cl("Content-Length: 12abc\r\n", ""), -EBADMSG);
	assert_int_equal(msg.err, NP_SIP_E_BAD_CONTENT_LENGTH);
	assert_int_equal(parse_cl("l: 0x10\r\n", ""), -EBADMSG);
	assert_int_equal(parse_cl("Content-Length: 2\r\nl: 3\r\n", "abc"), -EBADMSG);
	/* shorter than the buffer: the rest is not this message */
	assert_int_equal(parse_cl("Content-Length: 2\r\n", "abNEXT"), 0);
	assert_view(msg.body, "ab");
	assert_int_equal(msg.msg_len, msg.hdr_len + 2);
}

static char *many_vias(unsigned int n, const char *line, size_t *len)
{
	size_t ll = strlen(line);
	char *m = malloc(64 + (size_t)n * ll);
	size_t off = 0;

	assert_non_null(m);
	off += (size_t)sprintf(m, "INVITE sip:a@b SIP/2.0\r\n");
	for (unsigned int i = 0; i < n; i++) {
		memcpy(m + off, line, ll);
		off += ll;
	}
	memcpy(m + off, "\r\n", 2);
	*len = off + 2;
	return m;
}

static void test_1000_vias(void **state)
{
	size_t len;
	char *m = many_vias(1000, "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n", &len);

	(void)state;
	assert_int_equal(parse(m, len), -EMSGSIZE);
	assert_int_equal(msg.err, NP_SIP_E_HEADER_TOO_LONG);
	free(m);
	m = many_vias(1000, "v:a\r\n", &len); /* fits in 16 KiB: too many lines */
	assert_int_equal(parse(m, len), -E2BIG);
	assert_int_equal(msg.err, NP_SIP_E_TOO_MANY_HEADERS);
	assert_int_equal(msg.n_via, NP_SIP_MAX_VIA);
	assert_true(msg.flags & NP_SIP_F_VIA_OVERFLOW);
	assert_int_equal(msg.via_total, NP_SIP_MAX_MATCHES);
	free(m);
}

static void test_via_overflow(void **state)
{
	size_t len;
	char *m = many_vias(20, "Via: SIP/2.0/UDP 192.0.2.1:5060, SIP/2.0/UDP 192.0.2.2\r\n", &len);

	(void)state;
	assert_int_equal(parse(m, len), 0);
	assert_int_equal(msg.n_via, NP_SIP_MAX_VIA);
	assert_int_equal(msg.via_total, 40);
	assert_true(msg.flags & NP_SIP_F_VIA_OVERFLOW);
	assert_view(msg.via[15].host, "192.0.2.2");
	free(m);
}

static void test_join_overflow(void **state)
{
	size_t len = 0, cap = NP_SIP_MAX_HDR_LEN;
	char *m = malloc(cap);

	(void)state;
	assert_non_null(m);
	len += (size_t)sprintf(m, "INVITE sip:a@b SIP/2.0\r\nSubject: first\r\n");
	for (int i = 0; i < 300; i++)
		len += (size_t)sprintf(m + len, " continued-line-%03d-xxxxxxxxxxxxxxxx\r\n", i);
	len += (size_t)sprintf(m + len, "Call-ID: after\r\n\r\n");
	assert_true(len < cap);
	assert_int_equal(parse(m, len), 0);
	assert_true(msg.flags & NP_SIP_F_JOIN_OVERFLOW);
	assert_view(msg.subject, "first");
	assert_view(msg.call_id, "after");
	free(m);
}

static void test_bad_start_lines(void **state)
{
	static const char *const bad[] = {
		"SIP/2.0 99 Low\r\n\r\n",
		"SIP/2.0 700 High\r\n\r\n",
		"SIP/2.0 2000 X\r\n\r\n",
		"INVITE sip:a@b HTTP/1.1\r\n\r\n",
		"INVITE\r\n\r\n",
		"INVITE  SIP/2.0\r\n\r\n",
		" INVITE sip:a@b SIP/2.0\r\n\r\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_str(bad[i]), -EBADMSG);
		assert_int_equal(msg.err, NP_SIP_E_BAD_START_LINE);
		assert_int_equal(msg.n_via, 0);
	}
	assert_int_equal(parse_str("\r\n\r\nSIP/2.0 100 Trying\r\n\r\n"), 0);
	assert_int_equal(msg.status, 100);
}

/* ---- API edges --------------------------------------------------------------------------- */

static void test_api_errors(void **state)
{
	(void)state;
	assert_int_equal(np_sip_parse(NULL, scr, (const uint8_t *)"x", 1, &msg), -EINVAL);
	assert_int_equal(np_sip_parse(db, NULL, (const uint8_t *)"x", 1, &msg), -EINVAL);
	assert_int_equal(np_sip_parse(db, scr, (const uint8_t *)"x", 1, NULL), -EINVAL);
	assert_null(np_sip_scratch_clone(NULL));
	assert_int_equal(errno, EINVAL);
	np_sip_db_destroy(NULL);
	np_sip_scratch_destroy(NULL);
	assert_int_equal(parse("", 0), -EAGAIN);
	assert_int_equal(np_sip_uri_parse(sv("sip:a"), NULL), -EINVAL);
	assert_int_equal(np_sip_sdp_parse(NULL, 1, &msg.sdp), -EINVAL);
}

static void test_names_stable(void **state)
{
	(void)state;
	assert_string_equal(np_sip_err_name(NP_SIP_OK), "ok");
	assert_string_equal(np_sip_err_name(NP_SIP_E_TRUNCATED), "truncated");
	assert_string_equal(np_sip_err_name(NP_SIP_E_HEADER_TOO_LONG), "header_too_long");
	assert_string_equal(np_sip_err_name(NP_SIP_E_BAD_CONTENT_LENGTH), "bad_content_length");
	assert_string_equal(np_sip_err_name(NP_SIP_E_BAD_START_LINE), "bad_start_line");
	assert_string_equal(np_sip_err_name(NP_SIP_E_TOO_MANY_HEADERS), "too_many_headers");
	assert_string_equal(np_sip_err_name(NP_SIP_E_SCAN), "scan_error");
	assert_string_equal(np_sip_err_name(NP_SIP_E_MAX), "unknown");
	assert_string_equal(np_sip_method_name(NP_SIP_M_SERVICE), "SERVICE");
	assert_int_equal(np_sip_method_from("REGISTER", 8), NP_SIP_M_REGISTER);
	assert_int_equal(np_sip_method_from("REGISTERX", 9), NP_SIP_M_OTHER);
	assert_int_equal(np_sip_method_from("INV\0\0\0\0\0\0", 9), NP_SIP_M_OTHER);
}

static void test_two_scratches(void **state)
{
	struct np_sip_scratch *s2 = np_sip_scratch_clone(db);
	static struct np_sip_msg m2;

	(void)state;
	assert_non_null(s2);
	assert_int_equal(np_sip_parse(db, s2, (const uint8_t *)resp_408, strlen(resp_408), &m2), 0);
	assert_int_equal(parse(service, service_len), 0);
	assert_int_equal(m2.status, 408);
	assert_int_equal(msg.method, NP_SIP_M_SERVICE);
	np_sip_scratch_destroy(s2);
}

/* ---- public captures (../shared/corpus), checked against tshark's dissection ---------------- */

struct corpus_case {
	const char *file;
	unsigned int frame;
	int status; /* 0 for requests */
	const char *call_id;
	unsigned int n_via;
	const char *sdp_c; /* first c= address, or NULL */
};

static const struct corpus_case corpus_cases[] = {
	{ "sip-body-frames-public-cloudshark-sip-s0.pcap", 1, 0, "12013223@200.57.7.195", 2,
	  "200.57.7.196" },
	{ "sip-body-frames-public-cloudshark-sip-s0.pcap", 4, 200, "12013223@200.57.7.195", 2,
	  "200.57.7.204" },
	{ "sip-body-frames-public-cloudshark-sip-s0.pcap", 7, 200,
	  "D3A26FC3974B44ECB5A96E07282903E3@bestel.com", 1, NULL },
	{ "sip-compact-form-sip-compact-form.pcap", 1, 0, "105090259-446faf7a@192.168.1.2", 1,
	  "192.168.1.2" },
	{ "sip-header-multi-value-sip-header-multi-val.pcap", 1, 0,
	  "105090259-446faf7a@192.168.1.2", 1, "192.168.1.2" },
	{ "sip-options-method-input.pcap", 2, 200, "1234567890@192.168.1.10", 1, NULL },
	{ "sip-pattern-matching-sip.pcap", 2, 401, "578222729-4665d775@578222732-4665d772", 1,
	  NULL },
	{ "sip-sdp-sdp.pcap", 2, 200, "105090259-446faf7a@192.168.1.2", 1, "192.168.1.2" },
	{ "sip-tcp-pattern-matching-sip.pcap", 4, 0, "578222729-4665d775@578222732-4665d772", 1,
	  NULL },
};

/* Payload of frame number @p want (1-based) of a classic pcap; NULL when absent. */
static uint8_t *pcap_payload(const char *path, unsigned int want, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t gh[24], rh[16], *frame = NULL, *out = NULL;
	unsigned int no = 0;

	if (!f)
		return NULL;
	if (fread(gh, 1, 24, f) != 24)
		goto done;
	while (fread(rh, 1, 16, f) == 16) {
		uint32_t caplen = (uint32_t)rh[8] | (uint32_t)rh[9] << 8 | (uint32_t)rh[10] << 16 |
				  (uint32_t)rh[11] << 24;
		struct np_pkt_info pi;

		if (caplen > 262144)
			break;
		frame = malloc(caplen ? caplen : 1);
		if (!frame || fread(frame, 1, caplen, f) != caplen)
			break;
		if (++no == want) {
			np_pkt_parse(frame, caplen, &pi);
			if (pi.payload_len) {
				out = malloc(pi.payload_len);
				memcpy(out, frame + pi.payload_off, pi.payload_len);
				*len = pi.payload_len;
			}
			break;
		}
		free(frame);
		frame = NULL;
	}
done:
	free(frame);
	fclose(f);
	return out;
}

/* ---- the line classifier and helpers that replaced the Hyperscan scan ---------------------- */

/* Parse a copy of s in a buffer of exactly its length (reads past the end show up under ASan). */
static int parse_exact(const char *s)
{
	static char *copy;
	size_t n = strlen(s);

	free(copy);
	copy = malloc(n ? n : 1);
	assert_non_null(copy);
	memcpy(copy, s, n);
	return parse(copy, n);
}

static void test_names_every_form(void **state)
{
	static const char m[] = "OPTIONS sip:x@example.com SIP/2.0\r\n"
				"Content-Encoding: gzip\r\n" /* 16 characters: the scalar path */
				"Call-ID: c1\r\n" /* shares length and letter with Contact */
				"Contact: <sip:c@192.0.2.7>\r\n"
				"Call\rID: not-a-call-id\r\n" /* CR where '-' is: no name */
				"Call_ID: nor-this\r\n"
				"X-Very-Long-Unknown-Header-Name: v\r\n"
				"Max-Forwards: 70\r\n"
				"User-Agent: ua\r\n"
				"Service-Route: <sip:192.0.2.12;lr>\r\n"
				"Record-Route: <sip:192.0.2.10;lr>\r\n"
				"Supported: timer\r\n"
				"Warning: 399 a.example \"x\"\r\n"
				"To: <sip:x@example.com>\r\n"
				"CSeq: 9 OPTIONS\r\n"
				"Via: SIP/2.0/UDP 192.0.2.1\r\n" /* the last line: the 16-byte load
								    reaches the end */
				"\r\n";

	(void)state;
	assert_int_equal(parse_exact(m), 0);
	assert_view(msg.content_encoding, "gzip");
	assert_view(msg.call_id, "c1");
	assert_false(msg.flags & NP_SIP_F_DUP_HEADER);
	assert_int_equal(msg.contact.n, 1);
	assert_view(msg.max_forwards, "70");
	assert_view(msg.user_agent, "ua");
	assert_int_equal(msg.service_route.n, 1);
	assert_int_equal(msg.record_route.n, 1);
	assert_view(msg.supported, "timer");
	assert_int_equal(msg.n_warning, 1);
	assert_int_equal(msg.warning[0].code, 399);
	assert_view(msg.to.uri, "sip:x@example.com");
	assert_int_equal(msg.cseq, 9);
	assert_int_equal(msg.n_via, 1);
	assert_view(msg.via[0].host, "192.0.2.1");
}

static void test_names_at_buffer_end(void **state)
{
	(void)state;
	/* short lines near the end of the buffer, no body, no room for a 16-byte load */
	assert_int_equal(parse_exact("BYE sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h\r\nl:0\r\n\r\n"), 0);
	assert_int_equal(msg.n_via, 1);
	assert_true(msg.has_content_length);
	assert_true(msg.flags & NP_SIP_F_COMPACT);
	/* truncated: the last, partial line is not a header yet */
	assert_int_equal(parse_exact("BYE sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 BYE"), -EAGAIN);
	assert_view(msg.call_id, "x");
	assert_int_equal(msg.cseq_raw.len, 0);
	/* LF-only lines, a name then white space then ':' */
	assert_int_equal(parse_exact(
				 "BYE sip:a@b SIP/2.0\nCall-ID \t : y\nContent-Encoding :z\n\n"),
			 0);
	assert_view(msg.call_id, "y");
	assert_view(msg.content_encoding, "z");
	assert_true(msg.flags & NP_SIP_F_LF_ONLY);
}

static void test_unknown_spaced_names_count(void **state)
{
	size_t len;
	char *m;

	(void)state;
	/* "name :" lines count towards NP_SIP_MAX_MATCHES even when the name is unknown */
	m = many_vias(NP_SIP_MAX_MATCHES, "X-Foo : 1\r\n", &len);
	assert_int_equal(parse(m, len), 0);
	free(m);
	m = many_vias(NP_SIP_MAX_MATCHES + 1, "X-Foo : 1\r\n", &len);
	assert_int_equal(parse(m, len), -E2BIG);
	free(m);
	/* ... but "name:" lines with an unknown name do not */
	m = many_vias(NP_SIP_MAX_MATCHES + 1, "X-Foo: 1\r\n", &len);
	assert_int_equal(parse(m, len), 0);
	free(m);
}

static void test_folded_keeps_order(void **state)
{
	static const char m[] = "INVITE sip:b@example.com SIP/2.0\r\n"
				"Via: SIP/2.0/UDP 192.0.2.1\r\n"
				"Via: SIP/2.0/UDP\r\n"
				"\t192.0.2.2:5070\r\n"
				"Via: SIP/2.0/UDP 192.0.2.3\r\n"
				"Call-ID: first\r\n"
				"Call-ID: second\r\n"
				"Subject: a\r\n"
				" b\r\n"
				"\r\n";

	(void)state;
	assert_int_equal(parse_str(m), 0);
	assert_int_equal(msg.n_via, 3);
	assert_view(msg.via[0].host, "192.0.2.1");
	assert_view(msg.via[1].host, "192.0.2.2");
	assert_int_equal(msg.via[1].port, 5070);
	assert_view(msg.via[2].host, "192.0.2.3");
	assert_view(msg.call_id, "first");
	assert_true(msg.flags & NP_SIP_F_DUP_HEADER);
	assert_view(msg.subject, "a b");
}

static void test_too_long_undoes_headers(void **state)
{
	size_t n = NP_SIP_MAX_HDR_LEN + 100;
	char *m = malloc(n);
	int off;

	(void)state;
	assert_non_null(m);
	memset(m, 'x', n);
	off = sprintf(m, "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1\r\nCall-ID: c\r\n"
			 "Subject: ");
	m[off] = 'x'; /* sprintf's NUL */
	assert_int_equal(parse(m, n), -EMSGSIZE);
	assert_int_equal(msg.err, NP_SIP_E_HEADER_TOO_LONG);
	assert_true(msg.is_request);
	assert_int_equal(msg.n_via, 0);
	assert_int_equal(msg.call_id.len, 0);
	assert_null(msg.call_id.p);
	assert_int_equal(msg.flags, 0);
	free(m);
}

static void test_ipv4_literals(void **state)
{
	static const struct {
		const char *text;
		int type;
	} cases[] = {
		{ "1.2.3.4", NP_SIP_HOST_IPV4 },	 { "255.255.255.255", NP_SIP_HOST_IPV4 },
		{ "001.002.003.004", NP_SIP_HOST_IPV4 }, { "0.0.0.0", NP_SIP_HOST_IPV4 },
		{ "1.2.3.256", NP_SIP_HOST_NAME },	 { "1.2.3.4.", NP_SIP_HOST_NAME },
		{ "1..2.3", NP_SIP_HOST_NAME },		 { "1.2.3.1234", NP_SIP_HOST_NAME },
		{ "1234.1.1.1", NP_SIP_HOST_NAME },	 { ".1.2.3.4", NP_SIP_HOST_NAME },
		{ "1.2.3.4a", NP_SIP_HOST_NAME },	 { "1.2.3.-4", NP_SIP_HOST_NAME },
		{ "1.2.3.4.5", NP_SIP_HOST_NAME },	 { "1.2.3", NP_SIP_HOST_NAME },
		{ "999.1.1.1", NP_SIP_HOST_NAME },	 { "1.2.3.00004", NP_SIP_HOST_NAME },
	};
	struct np_addr a;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&a, 0, sizeof(a));
		assert_int_equal(np_sip_host_parse(sv(cases[i].text), &a), cases[i].type);
	}
	assert_int_equal(np_sip_host_parse(sv("001.002.003.004"), &a), NP_SIP_HOST_IPV4);
	assert_v4(&a, "1.2.3.4");
	/* not NUL-terminated: a digit right after the text is not part of it */
	assert_int_equal(np_sip_host_parse((struct np_sip_view){ "10.0.0.19", 8 }, &a),
			 NP_SIP_HOST_IPV4);
	assert_v4(&a, "10.0.0.1");
}

static void test_sdp_line_forms(void **state)
{
	static const char body[] =
		"v=0\r\n"
		"o=user 1 1 IN IP4 192.0.2.1\r\n"
		"c=IN   IP4\t 192.0.2.2/127/2 \r\n"
		"m=audio\t49170/2  RTP/AVP 0\r\n"
		"a=x:" /* a line longer than 64 bytes before the next c= */
		"0123456789012345678901234567890123456789012345678901234567890123456789\r\n"
		"c=IN IP4 "
		"this-is-a-long-host-name-that-makes-the-line-longer-than-64.example.com\r\n"
		"m=video 0 RTP/AVP 31\n"
		"c=IN IP6 2001:db8::9";
	struct np_sip_sdp sdp;

	(void)state;
	assert_int_equal(np_sip_sdp_parse((const uint8_t *)body, strlen(body), &sdp), 0);
	assert_int_equal(sdp.o_type, NP_SIP_HOST_IPV4);
	assert_view(sdp.o_addr_text, "192.0.2.1");
	assert_int_equal(sdp.n_c, 3);
	assert_view(sdp.c[0].addr_text, "192.0.2.2");
	assert_v4(&sdp.c[0].addr, "192.0.2.2");
	assert_int_equal(sdp.c[0].media, -1);
	assert_view(sdp.c[1].addr_text,
		    "this-is-a-long-host-name-that-makes-the-line-longer-than-64.example.com");
	assert_int_equal(sdp.c[1].type, NP_SIP_HOST_NAME);
	assert_int_equal(sdp.c[1].media, 0);
	assert_int_equal(sdp.c[2].type, NP_SIP_HOST_IPV6);
	assert_int_equal(sdp.c[2].media, 1);
	assert_int_equal(sdp.n_m, 2);
	assert_view(sdp.m[0].media, "audio");
	assert_int_equal(sdp.m[0].port, 49170);
	assert_int_equal(sdp.m[0].n_ports, 2);
	assert_view(sdp.m[0].proto, "RTP/AVP");
	assert_int_equal(sdp.m[1].port, 0);
	/* a c= line with no address */
	assert_int_equal(np_sip_sdp_parse((const uint8_t *)"c=IN IP4 \r\n", 11, &sdp), 0);
	assert_int_equal(sdp.n_c, 1);
	assert_int_equal(sdp.c[0].type, NP_SIP_HOST_NONE);
	assert_int_equal(sdp.c[0].addr_text.len, 0);
}

static void test_multipart_delimiters(void **state)
{
	static const char body[] = "x--b1\r\n" /* not at a line start */
				   "--b1\r\n"
				   "Content-Type: application/sdp\r\n"
				   "\r\n"
				   "v=0\r\n"
				   "c=IN IP4 198.51.100.9\r\n"
				   "text --b1 inside a line\r\n"
				   "--b1--\r\n";
	char m[1024];
	int n;

	(void)state;
	n = snprintf(m, sizeof(m),
		     "INVITE sip:b@example.com SIP/2.0\r\n"
		     "Content-Type: multipart/mixed;boundary=b1\r\n"
		     "Content-Length: %zu\r\n\r\n%s",
		     strlen(body), body);
	assert_int_equal(parse(m, (size_t)n), 0);
	assert_true(msg.has_sdp);
	assert_int_equal(msg.sdp.n_c, 1);
	assert_v4(&msg.sdp.c[0].addr, "198.51.100.9");
	/* the delimiter right at the start of the body, and a body ending inside one */
	n = snprintf(m, sizeof(m),
		     "INVITE sip:b@example.com SIP/2.0\r\n"
		     "Content-Type: multipart/mixed;boundary=b1\r\n\r\n"
		     "--b1\r\nContent-Type: application/sdp\r\n\r\nc=IN IP4 192.0.2.3\r\n--b");
	assert_int_equal(parse(m, (size_t)n), 0);
	assert_int_equal(msg.sdp.n_c, 1);
	assert_v4(&msg.sdp.c[0].addr, "192.0.2.3");
}

static void test_method_names_round_trip(void **state)
{
	(void)state;
	for (unsigned int i = NP_SIP_M_INVITE; i < NP_SIP_M_MAX; i++) {
		const char *n = np_sip_method_name(i);

		assert_int_equal(np_sip_method_from(n, strlen(n)), (int)i);
	}
	assert_int_equal(np_sip_method_from("INVITX", 6), NP_SIP_M_OTHER);
	assert_int_equal(np_sip_method_from("invite", 6), NP_SIP_M_OTHER);
	assert_int_equal(np_sip_method_from("SUBSCRIBED", 10), NP_SIP_M_OTHER);
	assert_int_equal(np_sip_method_from("IN", 2), NP_SIP_M_OTHER);
	assert_int_equal(np_sip_method_from("ACK", 2), NP_SIP_M_OTHER);
	assert_int_equal(np_sip_method_from("SERVICES", 7), NP_SIP_M_SERVICE);
	assert_int_equal(np_sip_method_from(NULL, 3), NP_SIP_M_NONE);
}

static void test_db_errbuf(void **state)
{
	char err[64] = "junk";
	struct np_sip_db *d = np_sip_db_create(err, sizeof(err));

	(void)state;
	assert_non_null(d);
	assert_string_equal(err, "");
	np_sip_db_destroy(d);
	d = np_sip_db_create(NULL, 0);
	assert_non_null(d);
	np_sip_db_destroy(d);
	np_sip_db_destroy(NULL);
	np_sip_scratch_destroy(NULL);
}

/*
 * The inspection set: the names natprobe reads are parsed as with the full
 * set, the five it does not read are not recognised, in any form ("Name :",
 * compact), and their lines do not count as recognised headers.
 */
/*
 * The databases compiled at build time (sip_db_blob.c): loaded rather than
 * compiled by every set, byte for byte what compiling their expressions
 * gives today, and refused (so compiled instead) when damaged, when their
 * key names another expression list or when the platform differs.
 */
static void test_db_prebuilt(void **state)
{
	struct np_sip_db *all = np_sip_db_create_set(NP_SIP_HDRS_ALL, NULL, 0);
	struct np_sip_db *ins = np_sip_db_create_set(NP_SIP_HDRS_INSPECT, NULL, 0);
	const uint32_t masks[3] = { sip_db_set_mask(NP_SIP_HDRS_ALL),
				    sip_db_set_mask(NP_SIP_HDRS_INSPECT),
				    sip_db_lazy_mask(NP_SIP_HDRS_INSPECT) };
	hs_database_t *db = NULL;
	hs_platform_info_t plat, other;

	(void)state;
	assert_non_null(all);
	assert_non_null(ins);
	assert_int_equal(hs_populate_platform(&plat), HS_SUCCESS);
	/* a native build has all three; only a cross build has none */
	assert_int_equal(sip_n_db_blobs, 3);
	assert_int_equal(np_sip_db_prebuilt(all), 1);
	assert_int_equal(np_sip_db_prebuilt(ins), 2);
	assert_int_equal(np_sip_db_prebuilt(NULL), 0);
	for (unsigned int i = 0; i < 3; i++) {
		const struct sip_db_blob *b = NULL;
		struct sip_db_blob bad;
		unsigned char *copy;
		char *bytes = NULL;
		size_t len = 0;
		uint64_t key = 0;

		for (unsigned int j = 0; j < sip_n_db_blobs; j++)
			if (sip_db_blobs[j].mask == masks[i])
				b = &sip_db_blobs[j];
		assert_non_null(b);
		assert_int_equal(sip_db_compile(masks[i], &db, &key, NULL, 0), 0);
		assert_true(key == b->key);
		assert_int_equal(hs_serialize_database(db, &bytes, &len), HS_SUCCESS);
		hs_free_database(db);
		assert_int_equal(len, b->len);
		assert_memory_equal(bytes, b->bytes, len);
		free(bytes);

		/* built here: this machine's platform */
		assert_int_equal(b->tune, plat.tune);
		assert_true(b->cpu_features == plat.cpu_features);
		assert_int_equal(sip_db_load(b, 1, masks[i], &plat, &db), 0);
		hs_free_database(db);
		/* another expression list (its key), another mask: not this blob */
		bad = *b;
		bad.key ^= 1;
		assert_int_equal(sip_db_load(&bad, 1, masks[i], &plat, &db), -1);
		assert_int_equal(sip_db_load(b, 1, masks[i] & ~1u, &plat, &db), -1);
		/* another CPU: fewer features (AVX2 off or on), another tuning */
		other = plat;
		other.cpu_features ^= HS_CPU_FEATURES_AVX2;
		assert_int_equal(sip_db_load(b, 1, masks[i], &other, &db), -1);
		other = plat;
		other.tune = plat.tune == HS_TUNE_FAMILY_GENERIC ? HS_TUNE_FAMILY_ICX
								 : HS_TUNE_FAMILY_GENERIC;
		assert_int_equal(sip_db_load(b, 1, masks[i], &other, &db), -1);
		/* truncated; the header's magic changed (Hyperscan checks no sum of the rest) */
		copy = malloc(b->len);
		assert_non_null(copy);
		memcpy(copy, b->bytes, b->len);
		bad = *b;
		bad.bytes = copy;
		bad.len = b->len / 2;
		assert_int_equal(sip_db_load(&bad, 1, masks[i], &plat, &db), -1);
		bad.len = b->len;
		copy[0] ^= 0x5a;
		assert_int_equal(sip_db_load(&bad, 1, masks[i], &plat, &db), -1);
		free(copy);
	}
	np_sip_db_destroy(all);
	np_sip_db_destroy(ins);
}

static void test_db_inspect_set(void **state)
{
	static const char m[] = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
				"v: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK1\r\n"
				"f: Alice <sip:alice@atlanta.example.com>;tag=88\r\n"
				"t: <sip:bob@biloxi.example.com>\r\n"
				"i: inspect@192.0.2.4\r\n"
				"CSeq: 1 INVITE\r\n"
				"Max-Forwards : 70\r\n"
				"Via : SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK2\r\n"
				"m: <sip:alice@192.0.2.4:5062>\r\n"
				"k: 100rel\r\n"
				"Subject: hello\r\n"
				"e: gzip\r\n"
				"o: presence\r\n"
				"User-Agent: ua/1\r\n"
				"c: application/sdp\r\n"
				"l: 51\r\n"
				"\r\n"
				"v=0\r\no=- 1 1 IN IP4 192.0.2.4\r\nc=IN IP4 192.0.2.4\r\n";
	struct np_sip_db *d = np_sip_db_create_set(NP_SIP_HDRS_INSPECT, NULL, 0);
	struct np_sip_scratch *sc;
	struct np_sip_msg *x = calloc(1, sizeof(*x));

	(void)state;
	assert_non_null(d);
	assert_non_null(x);
	sc = np_sip_scratch_clone(d);
	assert_non_null(sc);
	assert_int_equal(np_sip_parse(d, sc, (const uint8_t *)m, sizeof(m) - 1, x), 0);
	assert_int_equal(parse_str(m), 0); /* the full set, for comparison */
	assert_int_equal(x->n_via, 2);
	assert_int_equal(x->via[1].port, 0);
	assert_view(x->via[1].host, "192.0.2.9");
	assert_view(x->from.tag, "88");
	assert_view(x->call_id, "inspect@192.0.2.4");
	assert_int_equal(x->cseq, 1);
	assert_int_equal(x->contact.n, 1);
	assert_view(x->user_agent, "ua/1");
	assert_view(x->content_type, "application/sdp");
	assert_int_equal(x->content_length, 51);
	assert_int_equal(x->body.len, 51);
	/* SDP: c= and m= as ever, o= left alone */
	assert_true(x->has_sdp);
	assert_int_equal(x->sdp.n_c, 1);
	assert_view(x->sdp.c[0].addr_text, "192.0.2.4");
	assert_int_equal(x->sdp.o_type, NP_SIP_HOST_NONE);
	assert_int_equal(msg.sdp.o_type, NP_SIP_HOST_IPV4);
	assert_null(x->max_forwards.p);
	assert_null(x->supported.p);
	assert_null(x->subject.p);
	assert_null(x->content_encoding.p);
	assert_null(x->event.p);
	/* the full set sees them all */
	assert_view(msg.max_forwards, "70");
	assert_view(msg.supported, "100rel");
	assert_view(msg.subject, "hello");
	assert_view(msg.content_encoding, "gzip");
	assert_view(msg.event, "presence");
	np_sip_scratch_destroy(sc);
	np_sip_db_destroy(d);
	free(x);
}

/*
 * np_sip_parse_inspect(): what it leaves out (From, the lower Vias'
 * parameters, received's type), what it keeps as np_sip_parse() does, and
 * the long header section where it parses From after all.
 */
static void test_parse_inspect(void **state)
{
	static const char m[] =
		"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK1;rport=5070;"
		"received=198.51.100.7,SIP/2.0/TCP 192.0.2.9:5062;branch=z9hG4bK2;rport\r\n"
		"From: Alice <sip:alice@atlanta.example.com>;tag=88\r\n"
		"t: <sip:bob@biloxi.example.com>;tag=99\r\n"
		"i: lazy@192.0.2.4\r\n"
		"CSeq: 7 INVITE\r\n"
		"Contact: <sip:alice@192.0.2.4:5062>;expires=0,\r\n"
		" <sip:alice@192.0.2.5>\r\n"
		"Record-Route: <sip:p1.example.com;lr>\r\n"
		"c: application/sdp\r\n"
		"l: 38\r\n"
		"\r\n"
		"v=0\r\nc=IN IP4 192.0.2.4\r\nm=audio 0 R\r\n";
	struct np_sip_db *d = np_sip_db_create_set(NP_SIP_HDRS_INSPECT, NULL, 0);
	struct np_sip_msg *x = calloc(1, sizeof(*x)), *full = calloc(1, sizeof(*full));
	struct np_sip_scratch *sc;
	char *big;
	size_t n, rl;

	(void)state;
	assert_non_null(d);
	assert_non_null(x);
	assert_non_null(full);
	sc = np_sip_scratch_clone(d);
	assert_non_null(sc);
	assert_int_equal(np_sip_parse(d, sc, (const uint8_t *)m, sizeof(m) - 1, full), 0);
	assert_int_equal(np_sip_parse_inspect(d, sc, (const uint8_t *)m, sizeof(m) - 1, x), 0);
	/* left out */
	assert_null(x->from.raw.p);
	assert_null(x->from.tag.p);
	assert_view(full->from.tag, "88");
	assert_int_equal(x->n_via, 2);
	assert_null(x->via[1].branch.p);
	assert_false(x->via[1].has_rport);
	assert_view(full->via[1].branch, "z9hG4bK2");
	assert_true(full->via[1].has_rport);
	assert_view(x->via[0].received, "198.51.100.7");
	assert_int_equal(x->via[0].received_type, NP_SIP_HOST_NONE);
	assert_int_equal(full->via[0].received_type, NP_SIP_HOST_IPV4);
	/* kept: the top Via whole, the lower Vias' sent-by, the rest as the full parse */
	assert_view(x->via[0].branch, "z9hG4bK1");
	assert_true(x->via[0].has_rport);
	assert_int_equal(x->via[0].rport, 5070);
	assert_view(x->via[0].transport, "UDP");
	assert_int_equal(x->via[0].port, 5060);
	assert_view(x->via[1].host, "192.0.2.9");
	assert_view(x->via[1].transport, "TCP");
	assert_int_equal(x->via[1].port, 5062);
	assert_int_equal(x->via[1].host_type, NP_SIP_HOST_IPV4);
	assert_memory_equal(&x->via[1].addr, &full->via[1].addr, sizeof(x->via[1].addr));
	assert_view(x->to.tag, "99");
	assert_view(x->call_id, "lazy@192.0.2.4");
	assert_int_equal(x->cseq, 7);
	assert_int_equal(x->cseq_method, NP_SIP_M_INVITE);
	assert_int_equal(x->contact.n, 2);
	assert_view(x->contact.v[0], "<sip:alice@192.0.2.4:5062>;expires=0");
	assert_view(x->contact.v[1], "<sip:alice@192.0.2.5>");
	assert_int_equal(x->record_route.total, 1);
	assert_int_equal(x->msg_len, full->msg_len);
	assert_int_equal(x->body.len, 38);
	assert_true(x->has_sdp);
	assert_int_equal(x->sdp.n_c, 1);
	assert_int_equal(x->sdp.n_m, 1);
	assert_int_equal(x->sdp.m[0].port, 0);
	assert_true(x->flags & NP_SIP_F_FOLDED);

	/* a header section longer than the join buffer: the full set scans, the rest the same */
	n = sizeof(m) - 1 + NP_SIP_JOIN_LEN;
	big = malloc(n);
	assert_non_null(big);
	rl = (size_t)(strchr(m, '\n') + 1 - m); /* the request line, then an X-Pad line */
	memcpy(big, m, rl);
	memcpy(big + rl, "X-Pad: ", 7);
	memset(big + rl + 7, 'p', NP_SIP_JOIN_LEN - 9);
	memcpy(big + rl + NP_SIP_JOIN_LEN - 2, "\r\n", 2);
	memcpy(big + rl + NP_SIP_JOIN_LEN, m + rl, sizeof(m) - 1 - rl);
	assert_int_equal(np_sip_parse_inspect(d, sc, (const uint8_t *)big, n, x), 0);
	assert_null(x->from.raw.p);
	assert_null(x->via[1].branch.p);
	assert_view(x->to.tag, "99");
	assert_int_equal(x->body.len, 38);
	free(big);
	np_sip_scratch_destroy(sc);
	np_sip_db_destroy(d);
	free(full);
	free(x);
}

static const char *corpus_dir(void)
{
	static char dir[1024];

	snprintf(dir, sizeof(dir), "%s/../shared/corpus/real-sip", NP_SOURCE_ROOT);
	return dir;
}

static void test_public_corpus(void **state)
{
	char path[1200];
	uint8_t *p;
	size_t len = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/%s", corpus_dir(), corpus_cases[0].file);
	p = pcap_payload(path, 1, &len);
	if (!p) {
		print_message("skipped: public captures not found in %s\n", corpus_dir());
		skip();
	}
	free(p);
	for (size_t i = 0; i < sizeof(corpus_cases) / sizeof(corpus_cases[0]); i++) {
		const struct corpus_case *c = &corpus_cases[i];

		snprintf(path, sizeof(path), "%s/%s", corpus_dir(), c->file);
		p = pcap_payload(path, c->frame, &len);
		assert_non_null(p);
		assert_true(np_sip_looks_like_sip(p, len));
		assert_int_equal(parse(p, len), 0);
		assert_int_equal(msg.status, c->status);
		assert_int_equal(msg.is_request, c->status == 0);
		assert_view(msg.call_id, c->call_id);
		assert_int_equal(msg.n_via, c->n_via);
		if (c->sdp_c) {
			char buf[64];

			assert_true(msg.has_sdp);
			assert_string_equal(np_addr_str(&msg.sdp.c[0].addr, buf, sizeof(buf)),
					    c->sdp_c);
		} else {
			assert_false(msg.has_sdp);
		}
		free(p);
	}
	snprintf(path, sizeof(path), "%s/sip-ssdp-pm-ssdp.pcap", corpus_dir());
	p = pcap_payload(path, 1, &len);
	assert_non_null(p);
	assert_false(np_sip_looks_like_sip(p, len));
	assert_int_not_equal(parse(p, len), 0);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service_start_line),
		cmocka_unit_test(test_service_vias),
		cmocka_unit_test(test_service_routes),
		cmocka_unit_test(test_service_dialog_fields),
		cmocka_unit_test(test_service_body),
		cmocka_unit_test(test_408_response),
		cmocka_unit_test(test_service_looks_like_sip),
		cmocka_unit_test(test_compact_names),
		cmocka_unit_test(test_name_case),
		cmocka_unit_test(test_space_before_colon),
		cmocka_unit_test(test_folded_headers),
		cmocka_unit_test(test_comma_lists),
		cmocka_unit_test(test_ipv6_hosts),
		cmocka_unit_test(test_uri_forms),
		cmocka_unit_test(test_unterminated_angle),
		cmocka_unit_test(test_param_find),
		cmocka_unit_test(test_host_parse),
		cmocka_unit_test(test_sdp_plain),
		cmocka_unit_test(test_sdp_in_message),
		cmocka_unit_test(test_multipart_sdp),
		cmocka_unit_test(test_frame_complete_and_pipelined),
		cmocka_unit_test(test_frame_need_more),
		cmocka_unit_test(test_frame_keepalive_and_lf),
		cmocka_unit_test(test_frame_bad_content_length),
		cmocka_unit_test(test_frame_header_too_long),
		cmocka_unit_test(test_ssdp_rejected),
		cmocka_unit_test(test_looks_like_sip),
		cmocka_unit_test(test_truncated_every_length),
		cmocka_unit_test(test_missing_crlf),
		cmocka_unit_test(test_header_line_64k),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_content_length_negative),
		cmocka_unit_test(test_content_length_huge),
		cmocka_unit_test(test_content_length_missing),
		cmocka_unit_test(test_content_length_non_numeric),
		cmocka_unit_test(test_1000_vias),
		cmocka_unit_test(test_via_overflow),
		cmocka_unit_test(test_join_overflow),
		cmocka_unit_test(test_bad_start_lines),
		cmocka_unit_test(test_api_errors),
		cmocka_unit_test(test_names_stable),
		cmocka_unit_test(test_two_scratches),
		cmocka_unit_test(test_public_corpus),
		cmocka_unit_test(test_names_every_form),
		cmocka_unit_test(test_names_at_buffer_end),
		cmocka_unit_test(test_unknown_spaced_names_count),
		cmocka_unit_test(test_folded_keeps_order),
		cmocka_unit_test(test_too_long_undoes_headers),
		cmocka_unit_test(test_ipv4_literals),
		cmocka_unit_test(test_sdp_line_forms),
		cmocka_unit_test(test_multipart_delimiters),
		cmocka_unit_test(test_method_names_round_trip),
		cmocka_unit_test(test_db_errbuf),
		cmocka_unit_test(test_db_prebuilt),
		cmocka_unit_test(test_db_inspect_set),
		cmocka_unit_test(test_parse_inspect),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
