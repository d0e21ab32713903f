/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/explog: Expressway diagnostic log lines and entries,
 * in the layouts of the seed (one entry per line; the French note's
 * word-wrapped multi-line dumps; the fixtures' 80-column fold), SIP
 * message rebuilding, summaries, and hostile input.
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

#include "np_explog.h"

#define MS 1000000ull
/* 2016-04-19T07:09:13Z */
#define T0 (1461049753ull * 1000000000ull)

#define PFX "2016-04-19T17:09:13+10:00 expc tvcs: "

/* The seed's messages, one entry per line (the English note's layout), real addresses. */
static const char seed_oneline[] = PFX
	"UTCTime=\"2016-04-19 07:09:13,973\" Module=\"network.sip\" Level=\"DEBUG\": "
	"Action=\"Received\" Local-ip=\"10.0.30.2\" Local-port=\"27901\" Src-ip=\"64.100.0.10\" "
	"Src-port=\"7003\" Msg-Hash=\"123456789123456789\" SIPMSG: |SERVICE "
	"sip:serviceserver@cucm02.example.local SIP/2.0 Via: SIP/2.0/TLS "
	"64.100.0.10:7003;egress-zone=UCTraversal;branch=z9hG4bKa1;proxy-call-id=c1;rport "
	"Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKb2;received=127.0.0.1;rport=25063;"
	"ingress-zone=DefaultZone Call-ID: abcd12345678@127.0.0.1 CSeq: 4616 SERVICE "
	"Contact: <sip:serviceproxy@cucm02.example.local> From: "
	"<sip:serviceproxy@cucm02.example.local>;tag=0987654321aaaa To: "
	"<sip:serviceserver@cucm02.example.local> Max-Forwards: 15 Route: "
	"<sip:64.100.0.10:4401;transport=tls;apparent;ds;lr> Route: "
	"<sip:127.0.0.1:22210;transport=tcp;vcs-cate;lr> User-Agent: TANDBERG/4132 (X8.7.2) "
	"Date: Tue, 19 Apr 2016 07:09:13 GMT Event: service P-Asserted-Identity: "
	"<sip:serviceproxy@cucm02.example.local> X-TAATag: e90b4983919b1f7a46d38f835 "
	"Identity: \"7ioJ9gpsS5ob2TUAttNxBGYRWDbnRuf5sk==\" Content-Type: "
	"multipart/mixed;boundary=b-6j7 Content-Length: 80 --b-6j7 Content-Type: "
	"application/text <?xml version=\"1.0\"?> <methodCall/> --b-6j7-- |\n" PFX
	"UTCTime=\"2016-04-19 07:09:13,977\" Module=\"developer.sip.leg\" Level=\"INFO\" "
	"CodeLocation=\"ppcmains/sip/sipproxy/SipProxyLeg.cpp(10047)\" this=\"0xc7\" "
	"inboundZone=UC_Traversal (encryption-mode=on ice-mode=off)\n" PFX
	"UTCTime=\"2016-04-19 07:09:13,979\" Module=\"network.tcp\" Level=\"DEBUG\": "
	"Src-ip=\"10.0.30.2\" Src-port=\"27921\" Dst-ip=\"64.100.0.10\" Dst-port=\"4401\" "
	"Detail=\"TCP Connecting\"\n" PFX
	"UTCTime=\"2016-04-19 07:09:13,980\" Module=\"network.tcp\" Level=\"ERROR\": "
	"Src-ip=\"10.0.30.2\" Src-port=\"27921\" Dst-ip=\"64.100.0.10\" Dst-port=\"4401\" "
	"Detail=\"TCP Connection Failed\"\n" PFX
	"UTCTime=\"2016-04-19 07:09:13,982\" Module=\"network.sip\" Level=\"INFO\": "
	"Action=\"Sent\" Local-ip=\"10.0.30.2\" Local-port=\"27901\" Dst-ip=\"64.100.0.10\" "
	"Dst-port=\"7003\" Detail=\"Sending Response Code=408, Method=SERVICE, CSeq=4616, "
	"To=sip:serviceserver@cucm02.example.local, Call-ID=abcd12345678@127.0.0.1, "
	"From-Tag=0987654321aaaa, To-Tag=0987654321bbbb, Msg-Hash=123456789123456789\"\n" PFX
	"UTCTime=\"2016-04-19 07:09:13,982\" Module=\"network.sip\" Level=\"DEBUG\": "
	"Action=\"Sent\" Local-ip=\"10.0.30.2\" Local-port=\"27901\" Dst-ip=\"64.100.0.10\" "
	"Dst-port=\"7003\" Msg-Hash=\"123456789123456789\" SIPMSG: |SIP/2.0 408 Request Timeout "
	"Via: SIP/2.0/TLS 64.100.0.10:7003;egress-zone=UCTraversal;branch=z9hG4bKa1;"
	"proxy-call-id=c1;received=64.100.0.10;rport=7003;ingress-zone=UCTraversal;"
	"ingress-zone-id=4 Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKb2;received=127.0.0.1;"
	"rport=25063;ingress-zone=DefaultZone Call-ID: abcd12345678@127.0.0.1 CSeq: 4616 "
	"SERVICE From: <sip:serviceproxy@cucm02.example.local>;tag=0987654321aaaa To: "
	"<sip:serviceserver@cucm02.example.local>;tag=0987654321bbbb Server: TANDBERG/4132 "
	"(X8.7.2) Warning: 399 10.0.30.2:5061 \"Request Timeout\" Content-Length: 0 |\n";

/* The same, as the French note prints it: word-wrapped near 100 columns, one header a line. */
static const char seed_french[] =
	"2016-04-19T17:09:13+10:00 expc tvcs: UTCTime=\"2016-04-19 07:09:13,973\" "
	"Module=\"network.sip\"\n"
	"Level=\"DEBUG\": Action=\"Received\" Local-ip=\"10.0.30.2\" Local-port=\"27901\" Src-\n"
	"ip=\"64.100.0.10\" Src-port=\"7003\" Msg-Hash=\"123456789123456789\"\n"
	"SIPMSG:\n"
	"|SERVICE sip:serviceserver@cucm02.example.local SIP/2.0\n"
	"Via: SIP/2.0/TLS 64.100.0.10:7003;egress-zone=UCTraversal;branch=z9hG4bKa1;proxy-call-\n"
	"id=c1;rport\n"
	"Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKb2;received=127.0.0.1;rport=25063;ingress-\n"
	"zone=DefaultZone\n"
	"Call-ID: abcd12345678@127.0.0.1\n"
	"CSeq: 4616 SERVICE\n"
	"Contact: <sip:serviceproxy@cucm02.example.local>\n"
	"From: <sip:serviceproxy@cucm02.example.local>;tag=0987654321aaaa\n"
	"To: <sip:serviceserver@cucm02.example.local>\n"
	"Max-Forwards: 15\n"
	"Route: <sip:64.100.0.10:4401;transport=tls;apparent;ds;lr>\n"
	"Route: <sip:127.0.0.1:22210;transport=tcp;vcs-cate;lr>\n"
	"User-Agent: TANDBERG/4132 (X8.7.2)\n"
	"Date: Tue, 19 Apr 2016 07:09:13 GMT\n"
	"Event: service\n"
	"P-Asserted-Identity: <sip:serviceproxy@cucm02.example.local>\n"
	"X-TAATag: e90b4983919b1f7a46d38f835\n"
	"Identity:\n"
	"\"7ioJ9gpsS5ob2TUAttNxBGYRWDbnRuf5sk==\"\n"
	"Content-Type: multipart/mixed;boundary=b-6j7\n"
	"Content-Length: 80\n"
	"\n"
	"--b-6j7\n"
	"Content-Type: application/text\n"
	"\n"
	"<?xml version=\"1.0\"?>\n"
	"<methodCall/>\n"
	"--b-6j7--\n"
	"|\n"
	"2016-04-19T17:09:13+10:00 expc tvcs: UTCTime=\"2016-04-19 07:09:13,979\" "
	"Module=\"network.tcp\"\n"
	"Level=\"DEBUG\": Src-ip=\"10.0.30.2\" Src-port=\"27921\" Dst-ip=\"64.100.0.10\" "
	"Dst-port=\"4401\"\n"
	"Detail=\"TCP Connecting\"\n"
	"2016-04-19T17:09:13+10:00 expc tvcs: UTCTime=\"2016-04-19 07:09:13,980\" "
	"Module=\"network.tcp\"\n"
	"Level=\"ERROR\": Src-ip=\"10.0.30.2\" Src-port=\"27921\" Dst-ip=\"64.100.0.10\" "
	"Dst-port=\"4401\"\n"
	"Detail=\"TCP Connection Failed\"\n"
	"2016-04-19T17:09:13+10:00 expc tvcs: UTCTime=\"2016-04-19 07:09:13,982\" "
	"Module=\"network.sip\"\n"
	"Level=\"INFO\": Action=\"Sent\" Local-ip=\"10.0.30.2\" Local-port=\"27901\" "
	"Dst-ip=\"64.100.0.10\"\n"
	"Dst-port=\"7003\" Detail=\"Sending Response Code=408, Method=SERVICE, CSeq=4616,\n"
	"To=sip:serviceserver@cucom2.example.local, Call-ID=abcd12345678@127.0.0.1, From-\n"
	"Tag=0987654321aaaa, To-Tag=0987654321bbbb, Msg-Hash=123456789123456789\"\n"
	"2016-04-19T17:09:13+10:00 expc tvcs: UTCTime=\"2016-04-19 07:09:13,982\" "
	"Module=\"network.sip\"\n"
	"Level=\"DEBUG\": Action=\"Sent\" Local-ip=\"10.0.30.2\" Local-port=\"27901\" "
	"Dst-ip=\"64.100.0.10\"\n"
	"Dst-port=\"7003\" Msg-Hash=\"123456789123456789\"\n"
	"SIPMSG:\n"
	"|SIP/2.0 408 Request Timeout\n"
	"Via: SIP/2.0/TLS 64.100.0.10:7003;egress-zone=UCTraversal;branch=z9hG4bKa1;proxy-call-\n"
	"id=c1;received=64.100.0.10;rport=7003;ingress-zone=UCTraversal;ingress-zone-id=4\n"
	"Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKb2;received=127.0.0.1;rport=25063;ingress-\n"
	"zone=DefaultZone\n"
	"Call-ID: abcd12345678@127.0.0.1\n"
	"CSeq: 4616 SERVICE\n"
	"From: <sip:serviceproxy@cucm02.example.local>;tag=0987654321aaaa\n"
	"To: <sip:serviceserver@cucm02.example.local>;tag=0987654321bbbb\n"
	"Server: TANDBERG/4132 (X8.7.2)\n"
	"Warning: 399 10.0.30.2:5061 \"Request Timeout\"\n"
	"Content-Length: 0\n"
	"|\n";

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
ep_is(const struct np_addr *a, uint16_t port, const char *addr, uint16_t want)
{
	struct np_addr b = A(addr);

	return port == want && memcmp(a, &b, sizeof(b)) == 0;
}

/* The message text of entry @p i, NUL-terminated (static buffer). */
static const char *text_of(const struct np_explog *log, size_t i)
{
	static char buf[8192];
	size_t n = log->e[i].text_len < sizeof(buf) - 1 ? log->e[i].text_len : sizeof(buf) - 1;

	memcpy(buf, np_explog_text(log, &log->e[i]), n);
	buf[n] = '\0';
	return buf;
}

static void parse_str(const char *s, struct np_explog *log)
{
	assert_int_equal(np_explog_parse(s, strlen(s), log), 0);
}

/* ---- time -------------------------------------------------------------- */

static void test_utctime(void **state)
{
	uint64_t ns;

	(void)state;
	assert_int_equal(np_explog_utctime("2016-04-19 07:09:13,973", 23, &ns), 0);
	assert_int_equal(ns, T0 + 973 * MS);
	assert_int_equal(np_explog_utctime("2016-04-19 07:09:13", 19, &ns), 0);
	assert_int_equal(ns, T0);
	assert_int_equal(np_explog_utctime("2016-04-19T07:09:13.5", 21, &ns), 0);
	assert_int_equal(ns, T0 + 500 * MS);
	assert_int_equal(np_explog_utctime("2016-04-19 07:09:13,123456789", 29, &ns), 0);
	assert_int_equal(ns, T0 + 123456789ull);
	assert_int_equal(np_explog_utctime("1970-01-01 00:00:00", 19, &ns), 0);
	assert_int_equal(ns, 0);
	assert_int_equal(np_explog_utctime("2016-02-29 00:00:00", 19, &ns), 0);
	/* Bad: cut, letters, out of range, trailing text, empty fraction. */
	assert_int_equal(np_explog_utctime("2016-04-19 07:0", 15, &ns), -EINVAL);
	assert_int_equal(np_explog_utctime("2016-04-19 07:09:1x", 19, &ns), -EINVAL);
	assert_int_equal(np_explog_utctime("2016-13-19 07:09:13", 19, &ns), -EINVAL);
	assert_int_equal(np_explog_utctime("2016-04-31 07:09:13", 19, &ns), -EINVAL);
	assert_int_equal(np_explog_utctime("2016-04-19 24:09:13", 19, &ns), -EINVAL);
	assert_int_equal(np_explog_utctime("1969-12-31 23:59:59", 19, &ns), -EINVAL);
	assert_int_equal(np_explog_utctime("2016-04-19 07:09:13 x", 21, &ns), -EINVAL);
	assert_int_equal(np_explog_utctime("2016-04-19 07:09:13,", 20, &ns), -EINVAL);
	assert_int_equal(np_explog_utctime(NULL, 0, &ns), -EINVAL);
}

/* ---- rebuilding a flattened dump ---------------------------------------- */

static void test_rebuild_oneline(void **state)
{
	static const char dump[] =
		"SIP/2.0 408 Request Timeout Via: SIP/2.0/TLS 64.100.0.10:7003;branch=z9hG4bKa1;"
		"rport=7003 Call-ID: abc@127.0.0.1 CSeq: 4616 SERVICE From: <sip:a@b>;tag=1 To: "
		"<sip:c@d>;tag=2 Warning: 399 10.0.30.2:5061 \"Request Timeout\" "
		"Content-Length: 0 ";
	static const char want[] =
		"SIP/2.0 408 Request Timeout\r\n"
		"Via: SIP/2.0/TLS 64.100.0.10:7003;branch=z9hG4bKa1;rport=7003\r\n"
		"Call-ID: abc@127.0.0.1\r\n"
		"CSeq: 4616 SERVICE\r\n"
		"From: <sip:a@b>;tag=1\r\n"
		"To: <sip:c@d>;tag=2\r\n"
		"Warning: 399 10.0.30.2:5061 \"Request Timeout\"\r\n"
		"Content-Length: 0\r\n"
		"\r\n";
	char out[1024];
	size_t n = np_explog_rebuild(dump, strlen(dump), out, sizeof(out));

	(void)state;
	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, n);
}

static void test_rebuild_body_after_length(void **state)
{
	static const char dump[] =
		"SERVICE sip:s@h SIP/2.0 Call-ID: x CSeq: 1 SERVICE Content-Type: "
		"multipart/mixed;boundary=b Content-Length: 2555 --b Content-Type: "
		"application/text <x/> --b--";
	char out[1024];
	size_t n = np_explog_rebuild(dump, strlen(dump), out, sizeof(out));
	const char *body;

	(void)state;
	out[n < sizeof(out) ? n : sizeof(out) - 1] = '\0';
	body = strstr(out, "\r\n\r\n");
	assert_non_null(body);
	/* The body's "Content-Type:" stays in the body, not a header of the message. */
	assert_string_equal(body + 4, "--b Content-Type: application/text <x/> --b--");
	assert_non_null(strstr(out, "\r\nContent-Length: 2555\r\n\r\n"));
}

static void test_rebuild_multiline_and_wraps(void **state)
{
	static const char dump[] = "SERVICE sip:s@h SIP/2.0\n"
				   "Via: SIP/2.0/TLS 1.2.3.4:7003;proxy-call-\n"
				   "id=c1;rport\n"
				   "Record-\n"
				   "Route: <sip:5.6.7.8;lr>\n"
				   "Identity:\n"
				   "\"abc\"\n"
				   "Content-Length: 5\n"
				   "\n"
				   "a\n"
				   "bc\n";
	static const char want[] = "SERVICE sip:s@h SIP/2.0\r\n"
				   "Via: SIP/2.0/TLS 1.2.3.4:7003;proxy-call-id=c1;rport\r\n"
				   "Record-Route: <sip:5.6.7.8;lr>\r\n"
				   "Identity: \"abc\"\r\n"
				   "Content-Length: 5\r\n"
				   "\r\n"
				   "a\r\nbc\r\n";
	char out[1024];
	size_t n = np_explog_rebuild(dump, strlen(dump), out, sizeof(out));

	(void)state;
	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, n);
}

static void test_rebuild_sdp(void **state)
{
	static const char dump[] =
		"INVITE sip:b@h SIP/2.0 Call-ID: x CSeq: 1 INVITE Content-Type: application/sdp "
		"Content-Length: 93 v=0 o=- 1 1 IN IP4 192.168.1.20 s=- c=IN IP4 192.168.1.20 "
		"t=0 0 m=audio 4000 RTP/AVP 0";
	char out[1024];
	size_t n = np_explog_rebuild(dump, strlen(dump), out, sizeof(out));
	const char *body;

	(void)state;
	out[n] = '\0';
	body = strstr(out, "\r\n\r\n") + 4;
	assert_string_equal(body, "v=0\r\no=- 1 1 IN IP4 192.168.1.20\r\ns=-\r\n"
				  "c=IN IP4 192.168.1.20\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n");
	/* Line ends restored: the body has its Content-Length again. */
	assert_int_equal(strlen(body), 93);
}

static void test_rebuild_small_buffer(void **state)
{
	static const char dump[] = "OPTIONS sip:a@b SIP/2.0 Call-ID: x CSeq: 1 OPTIONS";
	char big[256], small[10];
	size_t n = np_explog_rebuild(dump, strlen(dump), big, sizeof(big));

	(void)state;
	memset(small, 'Z', sizeof(small));
	assert_int_equal(np_explog_rebuild(dump, strlen(dump), small, 8), n);
	assert_memory_equal(small, big, 8);
	assert_int_equal(small[8], 'Z');
	assert_int_equal(np_explog_rebuild(dump, strlen(dump), NULL, 0), n);
	assert_int_equal(np_explog_rebuild("", 0, NULL, 0), 2);
}

static void test_msg_info(void **state)
{
	static const char req[] = "OPTIONS sip:a@1.2.3.4 SIP/2.0\r\nv: SIP/2.0/UDP 1.2.3.4;"
				  "branch=z9hG4bK1;rport\r\ni: cid\r\nCSeq: 7 OPTIONS\r\n\r\n";
	static const char req_ws[] = "OPTIONS sip:a@1.2.3.4 SIP/2.0\r\nVia:  SIP/2.0/UDP  1.2.3.4;"
				     "branch=z9hG4bK1;rport\r\nCall-ID:cid\r\nCSeq: 7   OPTIONS\r\n"
				     "\r\n";
	static const char resp[] = "SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS 1.2.3.4;branch=z9hG4bK1\r\n"
				   "Call-ID: cid\r\nCSeq: 7 OPTIONS\r\n\r\n";
	struct np_explog_msg_info a, b, c;

	(void)state;
	assert_int_equal(np_explog_msg_info(req, strlen(req), &a), 0);
	assert_true(a.is_request);
	assert_int_equal(a.proto, 17);
	assert_int_equal(a.cseq, 7);
	assert_int_equal(np_explog_msg_info(req_ws, strlen(req_ws), &b), 0);
	/* The same message with other white space: same key, same canonical hash. */
	assert_int_equal(a.key, b.key);
	assert_int_equal(np_explog_msg_info(resp, strlen(resp), &c), 0);
	assert_false(c.is_request);
	assert_int_equal(c.status, 200);
	assert_int_equal(c.proto, 6);
	assert_int_not_equal(a.key, c.key);
	assert_int_equal(np_explog_msg_info("hello\r\n\r\n", 9, &c), -EINVAL);
	assert_int_equal(np_explog_msg_info("SIP/2.0 2x0 OK\r\n", 16, &c), -EINVAL);
	assert_int_equal(np_explog_msg_info("", 0, &c), -EINVAL);
	assert_int_not_equal(c.key, 0);
}

/* ---- whole logs --------------------------------------------------------- */

/* What the seed's Expressway-C excerpt must give, whatever the layout. */
static void check_seed(const struct np_explog *log)
{
	const char *t;

	assert_int_equal(log->n, 4);
	assert_int_equal(log->st.sip_dumps, 2);
	assert_int_equal(log->st.summaries_dup, 1); /* the 408's INFO line */
	assert_int_equal(log->st.sip_summaries, 0);
	assert_int_equal(log->st.tcp, 2);
	assert_int_equal(log->st.garbled, 0);
	assert_true(np_explog_is_log(log));

	/* SERVICE received: src = Src-ip:Src-port, dst = Local-ip:Local-port. */
	assert_int_equal(log->e[0].kind, NP_EXPLOG_SIP);
	assert_int_equal(log->e[0].action, NP_EXPLOG_RECEIVED);
	assert_int_equal(log->e[0].ts_ns, T0 + 973 * MS);
	assert_true(ep_is(&log->e[0].src, log->e[0].sport, "64.100.0.10", 7003));
	assert_true(ep_is(&log->e[0].dst, log->e[0].dport, "10.0.30.2", 27901));
	assert_true(log->e[0].is_request);
	assert_int_equal(log->e[0].proto, 6);
	assert_int_equal(log->e[0].cseq, 4616);
	t = text_of(log, 0);
	assert_non_null(strstr(t, "\r\nRoute: <sip:64.100.0.10:4401;transport=tls;apparent;ds;lr>"
				  "\r\nRoute: <sip:127.0.0.1:22210;transport=tcp;vcs-cate;lr>"
				  "\r\n"));
	assert_non_null(strstr(t, "\r\nVia: SIP/2.0/TLS 64.100.0.10:7003;egress-zone=UCTraversal;"
				  "branch=z9hG4bKa1;proxy-call-id=c1;rport\r\nVia: SIP/2.0/TCP "));
	assert_non_null(strstr(t, "\r\nCall-ID: abcd12345678@127.0.0.1\r\nCSeq: 4616 SERVICE\r\n"));
	assert_non_null(strstr(t, "\r\nP-Asserted-Identity: <sip:serviceproxy@cucm02.example.local>"
				  "\r\nX-TAATag: e90b4983919b1f7a46d38f835\r\n"));
	assert_non_null(strstr(t, "\r\nContent-Length: 80\r\n\r\n--b-6j7"));

	/* The failed connect, as logged. */
	assert_int_equal(log->e[1].kind, NP_EXPLOG_TCP);
	assert_int_equal(log->e[1].tcp, NP_EXPLOG_TCP_CONNECTING);
	assert_true(ep_is(&log->e[1].src, log->e[1].sport, "10.0.30.2", 27921));
	assert_true(ep_is(&log->e[1].dst, log->e[1].dport, "64.100.0.10", 4401));
	assert_int_equal(log->e[2].tcp, NP_EXPLOG_TCP_FAILED);
	assert_int_equal(log->e[2].ts_ns, T0 + 980 * MS);

	/* The 408 sent: src = Local, dst = Dst; from its dump, not its summary. */
	assert_int_equal(log->e[3].action, NP_EXPLOG_SENT);
	assert_false(log->e[3].from_summary);
	assert_int_equal(log->e[3].status, 408);
	assert_true(ep_is(&log->e[3].src, log->e[3].sport, "10.0.30.2", 27901));
	assert_true(ep_is(&log->e[3].dst, log->e[3].dport, "64.100.0.10", 7003));
	assert_non_null(strstr(text_of(log, 3), "\r\nWarning: 399 10.0.30.2:5061 \"Request "
						"Timeout\"\r\nContent-Length: 0\r\n\r\n"));
}

static void test_seed_oneline(void **state)
{
	struct np_explog log;

	(void)state;
	parse_str(seed_oneline, &log);
	check_seed(&log);
	assert_int_equal(log.st.ignored, 1); /* developer.sip.leg */
	np_explog_free(&log);
}

static void test_seed_french_layout(void **state)
{
	struct np_explog one, fr;

	(void)state;
	parse_str(seed_oneline, &one);
	parse_str(seed_french, &fr);
	check_seed(&fr);
	/* Same messages: same keys and canonical hashes as the one-line layout. */
	for (size_t i = 0; i < 4; i += 3) {
		assert_int_equal(fr.e[i].key, one.e[i].key);
		assert_int_equal(fr.e[i].canon_hash, one.e[i].canon_hash);
	}
	np_explog_free(&one);
	np_explog_free(&fr);
}

/* Fold a text at @p width columns (a fixed-width export). */
static char *fold(const char *s, size_t width)
{
	char *out = malloc(strlen(s) * 2 + 1), *o = out;
	size_t col = 0;

	for (; *s; s++) {
		if (*s == '\n') {
			*o++ = '\n';
			col = 0;
			continue;
		}
		if (col == width) {
			*o++ = '\n';
			col = 0;
		}
		*o++ = *s;
		col++;
	}
	*o = '\0';
	return out;
}

static void test_seed_folded(void **state)
{
	struct np_explog one, w;
	char *f80 = fold(seed_oneline, 80), *f132 = fold(seed_oneline, 132);

	(void)state;
	parse_str(seed_oneline, &one);
	parse_str(f80, &w);
	check_seed(&w);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(w.e[i].key, one.e[i].key);
		assert_int_equal(w.e[i].text_len, one.e[i].text_len);
		assert_memory_equal(np_explog_text(&w, &w.e[i]), np_explog_text(&one, &one.e[i]),
				    one.e[i].text_len);
	}
	np_explog_free(&w);
	parse_str(f132, &w);
	check_seed(&w);
	np_explog_free(&w);
	np_explog_free(&one);
	free(f80);
	free(f132);
}

/* The fixtures of tests/fixtures/explog: both layouts give the same entries. */
static char *slurp(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;

	snprintf(path, sizeof(path), "%s/tests/fixtures/explog/%s", NP_SOURCE_ROOT, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	buf = malloc(1 << 20);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static void test_fixtures_layouts_agree(void **state)
{
	static const char *const pairs[][2] = {
		{ "expc.log", "expc-wrapped.log" },
		{ "expe.log", "expe-wrapped.log" },
		{ "expc.log", "expc-garbled.log" },
	};

	(void)state;
	for (size_t p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++) {
		struct np_explog a, b;
		size_t la, lb;
		char *ba = slurp(pairs[p][0], &la), *bb = slurp(pairs[p][1], &lb);

		assert_int_equal(np_explog_parse(ba, la, &a), 0);
		assert_int_equal(np_explog_parse(bb, lb, &b), 0);
		assert_int_equal(a.st.garbled, 0);
		assert_int_equal(b.st.garbled, p == 2 ? 5 : 0);
		assert_int_equal(a.n, b.n);
		assert_true(a.n >= 4);
		for (size_t i = 0; i < a.n; i++) {
			assert_int_equal(a.e[i].ts_ns, b.e[i].ts_ns);
			assert_int_equal(a.e[i].kind, b.e[i].kind);
			assert_int_equal(a.e[i].key, b.e[i].key);
			assert_int_equal(a.e[i].canon_hash, b.e[i].canon_hash);
			assert_memory_equal(&a.e[i].src, &b.e[i].src, sizeof(a.e[i].src));
			assert_int_equal(a.e[i].dport, b.e[i].dport);
		}
		np_explog_free(&a);
		np_explog_free(&b);
		free(ba);
		free(bb);
	}
}

/* The same message in both boxes' logs has the same key (the log's fingerprint). */
static void test_fixtures_keys_join(void **state)
{
	struct np_explog c, e;
	size_t lc, le;
	char *bc = slurp("expc.log", &lc), *be = slurp("expe.log", &le);
	unsigned int common = 0;

	(void)state;
	assert_int_equal(np_explog_parse(bc, lc, &c), 0);
	assert_int_equal(np_explog_parse(be, le, &e), 0);
	for (size_t i = 0; i < c.n; i++)
		for (size_t j = 0; j < e.n; j++)
			if (c.e[i].kind == NP_EXPLOG_SIP && e.e[j].kind == NP_EXPLOG_SIP &&
			    c.e[i].key == e.e[j].key) {
				common++;
				assert_int_not_equal(c.e[i].action, e.e[j].action);
				assert_int_equal(c.e[i].canon_hash, e.e[j].canon_hash);
			}
	assert_int_equal(common, 4); /* OPTIONS, SERVICE, 408, 200 */
	np_explog_free(&c);
	np_explog_free(&e);
	free(bc);
	free(be);
}

static void test_summary_only(void **state)
{
	/* An INFO-only 408 whose request is dumped: Via, From, To come from the request. */
	static const char log_text[] = PFX
		"UTCTime=\"2016-04-19 07:09:13,973\" Module=\"network.sip\" Level=\"DEBUG\": "
		"Action=\"Received\" Local-ip=\"10.0.30.2\" Local-port=\"27901\" "
		"Src-ip=\"64.100.0.10\" Src-port=\"7003\" SIPMSG: |SERVICE sip:s@h SIP/2.0 "
		"Via: SIP/2.0/TLS 64.100.0.10:7003;branch=z9hG4bKa1 Call-ID: cid@h CSeq: 4616 "
		"SERVICE From: <sip:p@h>;tag=f1 To: <sip:s@h> Content-Length: 0 |\n" PFX
		"UTCTime=\"2016-04-19 07:09:13,982\" Module=\"network.sip\" Level=\"INFO\": "
		"Action=\"Sent\" Local-ip=\"10.0.30.2\" Local-port=\"27901\" "
		"Dst-ip=\"64.100.0.10\" Dst-port=\"7003\" Detail=\"Sending Response Code=408, "
		"Method=SERVICE, CSeq=4616, To=sip:s@h, Call-ID=cid@h, From-Tag=f1, To-Tag=t2, "
		"Msg-Hash=1\"\n" PFX
		"UTCTime=\"2016-04-19 07:09:14,000\" Module=\"network.sip\" Level=\"INFO\": "
		"Action=\"Received\" Local-ip=\"10.0.30.2\" Local-port=\"5060\" "
		"Src-ip=\"10.0.30.9\" Src-port=\"5060\" Detail=\"Receive Request Method=OPTIONS, "
		"Request-URI=sip:10.0.30.2, CSeq=9, Call-ID=k@h\"\n";
	static const char want_408[] = "SIP/2.0 408 Request Timeout\r\n"
				       "Via: SIP/2.0/TLS 64.100.0.10:7003;branch=z9hG4bKa1\r\n"
				       "Call-ID: cid@h\r\n"
				       "CSeq: 4616 SERVICE\r\n"
				       "From: <sip:p@h>;tag=f1\r\n"
				       "To: <sip:s@h>;tag=t2\r\n"
				       "Content-Length: 0\r\n\r\n";
	static const char resp_dump[] =
		"SIP/2.0 408 Request Timeout\r\nVia: SIP/2.0/TLS 64.100.0.10:7003;branch=z9hG4bKa1;"
		"received=64.100.0.10\r\nCall-ID: cid@h\r\nCSeq: 4616 SERVICE\r\n\r\n";
	struct np_explog log;
	struct np_explog_msg_info mi;

	(void)state;
	parse_str(log_text, &log);
	assert_int_equal(log.n, 3);
	assert_int_equal(log.st.sip_summaries, 2);
	assert_true(log.e[1].from_summary);
	assert_int_equal(log.e[1].status, 408);
	assert_string_equal(text_of(&log, 1), want_408);
	/* Its key is the key of the full 408 the other box would log. */
	np_explog_msg_info(resp_dump, strlen(resp_dump), &mi);
	assert_int_equal(log.e[1].key, mi.key);
	assert_true(log.e[2].is_request);
	assert_non_null(strstr(text_of(&log, 2), "OPTIONS sip:10.0.30.2 SIP/2.0\r\n"));
	assert_true(ep_is(&log.e[2].src, log.e[2].sport, "10.0.30.9", 5060));
	np_explog_free(&log);
}

static void test_time_order_and_zones(void **state)
{
	/* Lines out of order; BSD stamps; an ISO stamp with a zone and no UTCTime. */
	static const char text[] =
		"Apr 19 17:09:15 expc tvcs: UTCTime=\"2016-04-19 07:09:15,000\" "
		"Module=\"network.tcp\" Level=\"DEBUG\": Src-ip=\"10.0.30.2\" Src-port=\"2\" "
		"Dst-ip=\"10.0.10.2\" Dst-port=\"5061\" Detail=\"TCP Connecting\"\n"
		"2016-04-19T07:09:14.250Z expc tvcs: Module=\"network.tcp\" Level=\"DEBUG\": "
		"Src-ip=\"2001:db8::1\" Src-port=\"3\" Dst-ip=\"[2001:db8::2]\" Dst-port=\"5061\" "
		"Detail=\"TCP Connected\"\n"
		"Apr 19 17:09:13 expc tvcs: UTCTime=\"2016-04-19 07:09:13,000\" "
		"Module=\"network.tcp\" Level=\"DEBUG\": Src-ip=\"10.0.30.2\" Src-port=\"1\" "
		"Dst-ip=\"10.0.10.2\" Dst-port=\"5061\" Detail=\"TCP Connection Closed\"\n"
		/* A BSD stamp and no UTCTime: no usable time. */
		"Apr 19 17:09:13 expc tvcs: Module=\"network.tcp\" Level=\"DEBUG\": "
		"Src-ip=\"10.0.30.2\" Src-port=\"1\" Dst-ip=\"10.0.10.2\" Dst-port=\"5061\" "
		"Detail=\"TCP Connecting\"\n";
	struct np_explog log;

	(void)state;
	parse_str(text, &log);
	assert_int_equal(log.n, 3);
	assert_int_equal(log.st.garbled, 1);
	assert_int_equal(log.e[0].ts_ns, T0);
	assert_int_equal(log.e[0].tcp, NP_EXPLOG_TCP_CLOSED);
	assert_int_equal(log.e[1].ts_ns, T0 + 1250 * MS);
	assert_int_equal(log.e[1].tcp, NP_EXPLOG_TCP_CONNECTED);
	assert_true(ep_is(&log.e[1].dst, log.e[1].dport, "2001:db8::2", 5061));
	assert_int_equal(log.e[2].ts_ns, T0 + 2000 * MS);
	np_explog_free(&log);
}

/* ---- hostile input --------------------------------------------------------- */

static void test_garbled_lines(void **state)
{
	static const char text[] =
		"continued from a rotated file\n" /* 1 */
		PFX "UTCTime=\"2016-04-19 07:09:13,000\" Module=\"network.tcp\" Level=\"DEBUG\": "
		"Src-ip=\"10.0.30.2\" Src-port=\"1\" Dst-ip=\"10.0.10.2\" Dst-port=\"7001\" "
		"Detail=\"TCP Connecting\"\n"
		"----- cut here -----\n"	  /* 2 */
		"\x01\x02\x03 binary\n"		  /* 3 */
		PFX "UTCTime=\"2016-04-19 07:0\n" /* 4 */
		PFX "UTCTime=\"2016-04-19 07:09:13,100\" Module=\"network.tcp\" Level=\"DEBUG\": "
		"Src-ip=\"10.0.30.999\" Src-port=\"1\" Dst-ip=\"10.0.10.2\" Dst-port=\"7001\" "
		"Detail=\"TCP Connecting\"\n" /* 5 */
		PFX "UTCTime=\"2016-04-19 07:09:13,100\" Module=\"network.tcp\" Level=\"DEBUG\": "
		"Src-ip=\"10.0.30.2\" Src-port=\"70000\" Dst-ip=\"10.0.10.2\" Dst-port=\"7001\" "
		"Detail=\"TCP Connecting\"\n" /* 6 */
		PFX "UTCTime=\"2016-04-19 07:09:13,200\" Module=\"network.sip\" Level=\"DEBUG\": "
		"Action=\"Sent\" Local-ip=\"10.0.30.2\" Local-port=\"1\" Dst-ip=\"10.0.10.2\" "
		"Dst-port=\"7001\" SIPMSG: no bar here\n" /* 7 */
		PFX "UTCTime=\"2016-04-19 07:09:13,200\" Module=\"network.sip\" Level=\"DEBUG\": "
		"Action=\"Sent\" Local-ip=\"10.0.30.2\" Local-port=\"1\" Dst-ip=\"10.0.10.2\" "
		"Dst-port=\"7001\" SIPMSG: |not a sip message at all|\n" /* 8 */
		PFX "UTCTime=\"2016-04-19 07:09:13,300\" Module=\"network.sip\" Level=\"DEBUG\": "
		"Action=\"Received\" Local-ip=\"10.0.30.2\" Local-port=\"1\" Src-ip=\"10.0.10.2\" "
		"Src-port=\"7001\" SIPMSG: |OPTIONS sip:a@b SIP/2.0 Call-ID: x CSeq: 1 OPTIONS "
		"Content-Length: 0 |\n"
		"trailing junk after a closed dump\n" /* 9 */
		PFX "kernel: something else entirely\n"
		"Apr 19 17:09:13 expc ntpd[42]: time reset\n";
	struct np_explog log;

	(void)state;
	parse_str(text, &log);
	assert_int_equal(log.st.garbled, 9);
	assert_int_equal(log.n, 2);
	assert_int_equal(log.e[0].kind, NP_EXPLOG_TCP);
	assert_int_equal(log.e[1].kind, NP_EXPLOG_SIP);
	assert_int_equal(log.st.ignored, 2); /* the two lines of other programs */
	assert_true(np_explog_is_log(&log));
	np_explog_free(&log);
}

static void test_not_a_log(void **state)
{
	static const char *const texts[] = {
		"",
		"\n\n\n",
		"hello world\nthis is a text file\n",
		"2016-04-19T17:09:13+10:00 host kernel: eth0 up\n",
		"2016-04-19T17:09:13 expc tvcs: Module=\"network.sip\"\n", /* no usable time */
	};
	static const uint8_t pcap[] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0 };
	struct np_explog log;

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		parse_str(texts[i], &log);
		assert_false(np_explog_is_log(&log));
		assert_int_equal(log.n, 0);
		np_explog_free(&log);
	}
	assert_int_equal(np_explog_parse((const char *)pcap, sizeof(pcap), &log), 0);
	assert_false(np_explog_is_log(&log));
	np_explog_free(&log);
	assert_int_equal(np_explog_parse(NULL, 0, &log), 0);
	np_explog_free(&log);
	assert_int_equal(np_explog_parse(NULL, 5, &log), -EINVAL);
	assert_int_equal(np_explog_parse("x", 1, NULL), -EINVAL);
	np_explog_free(NULL);
}

static void test_hostile_entries(void **state)
{
	struct np_explog log;
	size_t big = NP_EXPLOG_MAX_ENTRY + 4096, n;
	char *buf = malloc(big + 512);

	(void)state;
	/* One entry far longer than NP_EXPLOG_MAX_ENTRY: garbled, not kept, no crash. */
	n = (size_t)snprintf(buf, 512,
			     PFX "UTCTime=\"2016-04-19 07:09:13,000\" "
				 "Module=\"network.sip\" Level=\"DEBUG\": Action=\"Sent\" "
				 "Local-ip=\"10.0.30.2\" Local-port=\"1\" Dst-ip=\"10.0.10.2\" "
				 "Dst-port=\"7001\" SIPMSG: |OPTIONS sip:a@b SIP/2.0 Via: ");
	memset(buf + n, 'A', big);
	n += big;
	assert_int_equal(np_explog_parse(buf, n, &log), 0);
	assert_int_equal(log.n, 0);
	assert_int_equal(log.st.garbled, 1);
	np_explog_free(&log);

	/* An unterminated quote, a lone '|', an empty dump, a huge Content-Length. */
	n = (size_t)snprintf(buf, big,
			     PFX
			     "UTCTime=\"2016-04-19 07:09:13,000\" Module=\"network.tcp\" "
			     "Detail=\"TCP Connecting Src-ip=\"1.2.3.4\n" PFX
			     "UTCTime=\"2016-04-19 07:09:13,000\" Module=\"network.sip\" "
			     "Action=\"Sent\" Local-ip=\"1.1.1.1\" Local-port=\"1\" "
			     "Dst-ip=\"2.2.2.2\" Dst-port=\"2\" SIPMSG: |\n" PFX
			     "UTCTime=\"2016-04-19 07:09:13,000\" Module=\"network.sip\" "
			     "Action=\"Sent\" Local-ip=\"1.1.1.1\" Local-port=\"1\" "
			     "Dst-ip=\"2.2.2.2\" Dst-port=\"2\" SIPMSG: ||\n" PFX
			     "UTCTime=\"2016-04-19 07:09:13,000\" Module=\"network.sip\" "
			     "Action=\"Sent\" Local-ip=\"1.1.1.1\" Local-port=\"1\" "
			     "Dst-ip=\"2.2.2.2\" Dst-port=\"2\" SIPMSG: |INVITE sip:a SIP/2.0 "
			     "Content-Length: 99999999999999999999 |\n" PFX
			     "UTCTime=\"2016-04-19 07:09:13,000\" Module=\"network.sip\" "
			     "Action=\"Received\" Local-ip=\"1.1.1.1\" Local-port=\"1\" "
			     "Src-ip=\"2.2.2.2\" Src-port=\"2\" Detail=\"Receive Response Code=4, "
			     "Method=X, CSeq=1, Call-ID=a\"\n");
	assert_int_equal(np_explog_parse(buf, n, &log), 0);
	/* Only the INVITE: its Content-Length is lib/sip's affair. */
	assert_int_equal(log.n, 1);
	assert_true(log.e[0].is_request);
	np_explog_free(&log);
	free(buf);
}

static void test_every_truncation(void **state)
{
	size_t len = strlen(seed_french);

	(void)state;
	/* Every prefix of the seed log parses without harm; entries never exceed the whole. */
	for (size_t n = 0; n <= len; n++) {
		struct np_explog log;
		char *copy = malloc(n ? n : 1);

		memcpy(copy, seed_french, n);
		assert_int_equal(np_explog_parse(copy, n, &log), 0);
		assert_true(log.n <= 5); /* the 408 summary stays while its dump is cut */
		for (size_t i = 0; i < log.n; i++)
			assert_true((size_t)log.e[i].text_off + log.e[i].text_len <= log.text_len);
		np_explog_free(&log);
		free(copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utctime),
		cmocka_unit_test(test_rebuild_oneline),
		cmocka_unit_test(test_rebuild_body_after_length),
		cmocka_unit_test(test_rebuild_multiline_and_wraps),
		cmocka_unit_test(test_rebuild_sdp),
		cmocka_unit_test(test_rebuild_small_buffer),
		cmocka_unit_test(test_msg_info),
		cmocka_unit_test(test_seed_oneline),
		cmocka_unit_test(test_seed_french_layout),
		cmocka_unit_test(test_seed_folded),
		cmocka_unit_test(test_fixtures_layouts_agree),
		cmocka_unit_test(test_fixtures_keys_join),
		cmocka_unit_test(test_summary_only),
		cmocka_unit_test(test_time_order_and_zones),
		cmocka_unit_test(test_garbled_lines),
		cmocka_unit_test(test_not_a_log),
		cmocka_unit_test(test_hostile_entries),
		cmocka_unit_test(test_every_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
