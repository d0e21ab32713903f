/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/pkt fragment reassembly. Each case builds a real UDP
 * datagram carrying a ~3000-byte SIP INVITE with SDP, splits it into
 * fragment frames here, feeds them through np_pkt_parse() and np_frag_add(),
 * and checks the rebuilt frame byte for byte against the unfragmented frame.
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

#include "np_frag.h"

#include "frames.h"
#include "np_pkt.h"

#define SEG 3
#define SEC 1000000000ull
#define TIMEOUT (30 * SEC)
#define MAX_FRAGS 160

static const char sip_headers[] =
	"INVITE sip:+4930123456789@pbx.example.net;user=phone SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 10.0.30.2:5060;branch=z9hG4bK-524287-1---a3c1f0e2b7d94e11;rport\r\n"
	"Via: SIP/2.0/UDP 192.168.10.20:5062;branch=z9hG4bK-d8754z-8e1a2c3b4d5e6f70;"
	"received=192.168.10.20\r\n"
	"Max-Forwards: 69\r\n"
	"Record-Route: <sip:10.0.30.2;lr;ftag=as6a1b2c3d;nat=yes>\r\n"
	"Contact: <sip:alice@203.0.113.45:41234;transport=udp;ob>;+sip.instance="
	"\"<urn:uuid:00000000-0000-1000-8000-00AABBCCDDEE>\"\r\n"
	"To: <sip:+4930123456789@pbx.example.net;user=phone>\r\n"
	"From: \"Alice Example\" <sip:alice@pbx.example.net>;tag=as6a1b2c3d\r\n"
	"Call-ID: 4f6e2a1c7b3d48e9a0c5b6d7e8f90123@10.0.30.2\r\n"
	"CSeq: 102 INVITE\r\n"
	"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK, REFER, NOTIFY, "
	"SUBSCRIBE, MESSAGE\r\n"
	"Supported: replaces, timer, 100rel, path, gruu, outbound\r\n"
	"Session-Expires: 1800;refresher=uac\r\n"
	"Min-SE: 90\r\n"
	"P-Asserted-Identity: \"Alice Example\" <sip:+4930987654321@pbx.example.net;user=phone>\r\n"
	"P-Preferred-Identity: <sip:alice@pbx.example.net>\r\n"
	"Privacy: none\r\n"
	"User-Agent: ExamplePhone/6.4.2 (build 20240611; firmware 3.12.7)\r\n"
	"Allow-Events: talk, hold, conference, refer, check-sync, presence, dialog\r\n"
	"Accept: application/sdp, application/dtmf-relay, multipart/mixed\r\n"
	"Content-Type: application/sdp\r\n";

static const char sdp_body[] =
	"v=0\r\n"
	"o=alice 3790393876 3790393877 IN IP4 203.0.113.45\r\n"
	"s=ExamplePhone call\r\n"
	"c=IN IP4 192.168.10.20\r\n"
	"b=AS:2112\r\n"
	"t=0 0\r\n"
	"a=group:BUNDLE 0 1\r\n"
	"a=ice-ufrag:8hhY\r\n"
	"a=ice-pwd:asd88fgpdd777uzjYhagZg0e9q8zKw1m\r\n"
	"m=audio 16384 RTP/SAVP 9 8 0 18 101 96 97 111\r\n"
	"c=IN IP4 192.168.10.20\r\n"
	"a=mid:0\r\n"
	"a=rtcp:16385 IN IP4 192.168.10.20\r\n"
	"a=rtpmap:9 G722/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:18 G729/8000\r\n"
	"a=fmtp:18 annexb=no\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-16\r\n"
	"a=rtpmap:96 opus/48000/2\r\n"
	"a=fmtp:96 useinbandfec=1;maxplaybackrate=16000;sprop-maxcapturerate=16000\r\n"
	"a=rtpmap:97 iLBC/8000\r\n"
	"a=fmtp:97 mode=30\r\n"
	"a=rtpmap:111 AMR-WB/16000\r\n"
	"a=fmtp:111 mode-set=0,1,2;octet-align=1\r\n"
	"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"
	"a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj\r\n"
	"a=candidate:1 1 UDP 2130706431 192.168.10.20 16384 typ host\r\n"
	"a=candidate:1 2 UDP 2130706430 192.168.10.20 16385 typ host\r\n"
	"a=candidate:2 1 UDP 1694498815 203.0.113.45 41000 typ srflx raddr 192.168.10.20 "
	"rport 16384\r\n"
	"a=candidate:2 2 UDP 1694498814 203.0.113.45 41001 typ srflx raddr 192.168.10.20 "
	"rport 16385\r\n"
	"a=candidate:3 1 UDP 16777215 198.51.100.7 50000 typ relay raddr 203.0.113.45 "
	"rport 41000\r\n"
	"a=candidate:3 2 UDP 16777214 198.51.100.7 50001 typ relay raddr 203.0.113.45 "
	"rport 41001\r\n"
	"a=ptime:20\r\n"
	"a=maxptime:60\r\n"
	"a=sendrecv\r\n"
	"m=video 16386 RTP/SAVP 99 126\r\n"
	"c=IN IP4 192.168.10.20\r\n"
	"b=TIAS:2048000\r\n"
	"a=mid:1\r\n"
	"a=rtcp:16387 IN IP4 192.168.10.20\r\n"
	"a=rtpmap:99 H264/90000\r\n"
	"a=fmtp:99 profile-level-id=42e01f;packetization-mode=1;max-mbps=108000;max-fs=3600\r\n"
	"a=rtpmap:126 VP8/90000\r\n"
	"a=rtcp-fb:* nack\r\n"
	"a=rtcp-fb:* nack pli\r\n"
	"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj\r\n"
	"a=content:main\r\n"
	"a=label:11\r\n"
	"a=sendrecv\r\n";

/* ---- datagram and fragment builders ----------------------------------- */

/* A whole frame: Ethernet (+ tag), IP, optional extension headers, UDP, SIP. */
struct dgram {
	uint8_t b[8192];
	uint32_t len;
	uint8_t ipv;
	uint32_t l3;	     /* IP header */
	uint32_t frag_start; /* first byte of the fragmentable part */
	uint32_t nh_pos;     /* IPv6: byte naming the first fragmentable header */
	uint32_t udp;	     /* UDP header */
	uint32_t sip_len;
	uint32_t id;
};

/* One fragment frame. */
struct frame {
	uint8_t b[2048];
	uint32_t len;
};

struct dgram_opts {
	uint8_t ipv;
	bool vlan;
	bool hbh;     /* IPv6 hop-by-hop options before the fragment header */
	bool dstopts; /* IPv6 destination options after it (fragmentable) */
	uint32_t id;
	uint32_t sip_len; /* 0: the whole INVITE; else cut the body to this total */
};

static uint32_t put_sip(uint8_t *p, uint32_t room)
{
	char cl[64];
	uint32_t n = 0, hl = (uint32_t)strlen(sip_headers), bl = (uint32_t)strlen(sdp_body);
	int k = snprintf(cl, sizeof(cl), "Content-Length: %u\r\n\r\n", bl);

	assert_true(hl + (uint32_t)k + bl <= room);
	memcpy(p + n, sip_headers, hl);
	n += hl;
	memcpy(p + n, cl, (size_t)k);
	n += (uint32_t)k;
	memcpy(p + n, sdp_body, bl);
	return n + bl;
}

static void build_dgram(struct dgram *d, const struct dgram_opts *o)
{
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1 };
	/* 2001:db8::2 -> 2001:db8:1::10 */
	static const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	static const uint8_t dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x10 };
	uint8_t *p = d->b;
	uint32_t n = 12, ulen, sum;

	memset(d, 0, sizeof(*d));
	d->ipv = o->ipv;
	d->id = o->id;
	memcpy(p, macs, 12);
	if (o->vlan) {
		tf_wr16(p + n, 0x8100);
		tf_wr16(p + n + 2, 0x6000 | 42);
		n += 4;
	}
	tf_wr16(p + n, o->ipv == 4 ? 0x0800 : 0x86dd);
	n += 2;
	d->l3 = n;
	if (o->ipv == 4) {
		p[n] = 0x45;
		tf_wr16(p + n + 4, (uint16_t)o->id);
		p[n + 8] = 64;
		p[n + 9] = 17;
		memcpy(p + n + 12, (const uint8_t[]){ 10, 0, 30, 2 }, 4);
		memcpy(p + n + 16, (const uint8_t[]){ 64, 100, 0, 10 }, 4);
		n += 20;
	} else {
		tf_wr32(p + n, 0x60000000);
		p[n + 6] = o->hbh ? 0 : o->dstopts ? 60 : 17;
		p[n + 7] = 64;
		memcpy(p + n + 8, src6, 16);
		memcpy(p + n + 24, dst6, 16);
		d->nh_pos = n + 6;
		n += 40;
		if (o->hbh) {
			/* next header, length 0, PadN of 4 */
			p[n] = o->dstopts ? 60 : 17;
			memcpy(p + n + 1, (const uint8_t[]){ 0, 1, 4, 0, 0, 0, 0 }, 7);
			d->nh_pos = n;
			n += 8;
		}
	}
	d->frag_start = n;
	if (o->dstopts) {
		memcpy(p + n, (const uint8_t[]){ 17, 0, 1, 4, 0, 0, 0, 0 }, 8);
		n += 8;
	}
	d->udp = n;
	tf_wr16(p + n, 5060);
	tf_wr16(p + n + 2, 5060);
	n += 8;
	d->sip_len = put_sip(p + n, (uint32_t)sizeof(d->b) - n);
	if (o->sip_len != 0 && o->sip_len < d->sip_len)
		d->sip_len = o->sip_len;
	n += d->sip_len;
	d->len = n;
	ulen = n - d->udp;
	tf_wr16(p + d->udp + 4, (uint16_t)ulen);
	if (o->ipv == 4) {
		tf_wr16(p + d->l3 + 2, (uint16_t)(n - d->l3));
		tf_ipv4_csum(p + d->l3);
		sum = tf_sum16(p + d->l3 + 12, 8, 17 + ulen);
	} else {
		tf_wr16(p + d->l3 + 4, (uint16_t)(n - d->l3 - 40));
		sum = tf_sum16(p + d->l3 + 8, 32, 17 + ulen);
	}
	tf_wr16(p + d->udp + 6, tf_fold(tf_sum16(p + d->udp, ulen, sum)));
}

static void build_v4(struct dgram *d)
{
	build_dgram(d, &(struct dgram_opts){ .ipv = 4, .id = 0xbeef });
}

static void build_v6(struct dgram *d)
{
	build_dgram(d, &(struct dgram_opts){ .ipv = 6, .id = 0x12345678 });
}

/* Fragment frame for the fragmentable bytes [off, off + dlen) of d. */
static void make_frag(const struct dgram *d, uint32_t off, uint32_t dlen, bool more,
		      struct frame *f)
{
	uint32_t h = d->frag_start;

	assert_true(h + 8 + dlen <= sizeof(f->b));
	assert_true(d->frag_start + off + dlen <= d->len);
	memcpy(f->b, d->b, h);
	if (d->ipv == 4) {
		uint8_t *ip = f->b + d->l3;

		tf_wr16(ip + 2, (uint16_t)(h - d->l3 + dlen));
		tf_wr16(ip + 6, (uint16_t)((more ? 0x2000 : 0) | off / 8));
		tf_ipv4_csum(ip);
	} else {
		uint8_t *fh = f->b + h;

		tf_wr16(f->b + d->l3 + 4, (uint16_t)(h - d->l3 - 40 + 8 + dlen));
		fh[0] = f->b[d->nh_pos];
		f->b[d->nh_pos] = 44;
		fh[1] = 0;
		tf_wr16(fh + 2, (uint16_t)(off | (more ? 1 : 0)));
		tf_wr32(fh + 4, d->id);
		h += 8;
	}
	memcpy(f->b + h, d->b + d->frag_start + off, dlen);
	f->len = h + dlen;
}

/* Split d for a link MTU (IP bytes per frame); returns the fragment count. */
static unsigned int split(const struct dgram *d, uint32_t mtu, struct frame *f, unsigned int max)
{
	uint32_t total = d->len - d->frag_start;
	uint32_t hdr = d->frag_start - d->l3 + (d->ipv == 6 ? 8 : 0);
	uint32_t chunk = (mtu - hdr) & ~7u;
	unsigned int n = 0;

	for (uint32_t off = 0; off < total; off += chunk) {
		uint32_t dl = total - off < chunk ? total - off : chunk;

		assert_true(n < max);
		make_frag(d, off, dl, off + dl < total, &f[n++]);
	}
	return n;
}

/* ---- table helpers ----------------------------------------------------- */

static struct np_frag_table *table(uint32_t max_datagrams, uint32_t max_len, uint32_t max_frags)
{
	struct np_frag_conf c = {
		.max_datagrams = max_datagrams,
		.max_datagram_len = max_len,
		.max_frags_per_datagram = max_frags,
		.timeout_ns = TIMEOUT,
	};
	struct np_frag_table *t = np_frag_table_create(&c);

	assert_non_null(t);
	return t;
}

static struct np_frag_table *default_table(void)
{
	return table(16, 65535, 64);
}

static uint64_t stat(const struct np_frag_table *t, enum np_frag_stat s)
{
	return np_frag_table_stats(t)->v[s];
}

static int feed_seg(struct np_frag_table *t, uint8_t seg, const struct frame *f, uint64_t now,
		    struct np_frag_result *out)
{
	struct np_pkt_info pi;

	assert_int_equal(np_pkt_parse(f->b, f->len, &pi), NP_PKT_FRAGMENT);
	return np_frag_add(t, seg, f->b, f->len, &pi, now, out);
}

static int feed(struct np_frag_table *t, const struct frame *f, uint64_t now,
		struct np_frag_result *out)
{
	return feed_seg(t, SEG, f, now, out);
}

/* The rebuilt frame is the unfragmented frame, and parses to its UDP payload. */
static void assert_rebuilt(const struct dgram *d, const struct np_frag_result *r)
{
	struct np_pkt_info pi;

	assert_non_null(r->frame);
	assert_int_equal(r->len, d->len);
	assert_memory_equal(r->frame, d->b, d->len);
	assert_int_equal(np_pkt_parse(r->frame, r->len, &pi), NP_PKT_UDP);
	assert_int_equal(pi.ip_version, d->ipv);
	assert_int_equal(pi.sport, 5060);
	assert_int_equal(pi.payload_len, d->sip_len);
	assert_memory_equal(r->frame + pi.payload_off, d->b + d->udp + 8, d->sip_len);
	assert_memory_equal(r->frame + pi.payload_off, sip_headers, 8);
}

enum order {
	IN_ORDER,
	REVERSE,
	SHUFFLED
};

/*
 * Feed d's fragments for mtu in the given order, the one fed at position
 * dup (if not -1) twice in a row; every call but the last holds, the last
 * completes.
 */
static void run_split(const struct dgram *d, uint32_t mtu, enum order order, int dup)
{
	struct frame *f = calloc(MAX_FRAGS, sizeof(*f));
	unsigned int seq[MAX_FRAGS + 1], n, m = 0;
	struct np_frag_table *t = default_table();
	struct np_frag_result r;
	uint32_t rnd = 12345;

	assert_non_null(f);
	n = split(d, mtu, f, MAX_FRAGS);
	assert_true(n >= 2);
	for (unsigned int i = 0; i < n; i++)
		seq[i] = order == REVERSE ? n - 1 - i : i;
	if (order == SHUFFLED) {
		for (unsigned int i = n - 1; i > 0; i--) {
			unsigned int j, tmp;

			rnd = rnd * 1103515245u + 12345u;
			j = (rnd >> 8) % (i + 1);
			tmp = seq[i];
			seq[i] = seq[j];
			seq[j] = tmp;
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		unsigned int k = seq[i];

		if (i + 1 < n) {
			assert_int_equal(feed(t, &f[k], SEC, &r), 0);
			m++;
			if ((int)i == dup) {
				assert_int_equal(feed(t, &f[k], SEC, &r), 0);
				m++;
			}
		} else {
			memset(&r, 0, sizeof(r));
			assert_int_equal(feed(t, &f[k], SEC, &r), 1);
			m++;
		}
	}
	assert_rebuilt(d, &r);
	assert_int_equal(r.n_frags, m);
	assert_int_equal(r.first_ns, SEC);
	assert_int_equal(stat(t, NP_FRAG_STAT_REASSEMBLED), 1);
	assert_int_equal(stat(t, NP_FRAG_STAT_HELD), m - 1);
	assert_int_equal(stat(t, NP_FRAG_STAT_DUPLICATE), dup >= 0 ? 1 : 0);
	assert_int_equal(stat(t, NP_FRAG_STAT_FRAGMENTS), m);
	assert_int_equal(np_frag_table_count(t), 0);
	np_frag_table_destroy(t);
	free(f);
}

/* ---- IPv4 -------------------------------------------------------------- */

static void test_sip_message_is_large(void **state)
{
	struct dgram d;

	(void)state;
	build_v4(&d);
	assert_true(d.sip_len > 2900);
	assert_true(d.sip_len < 3200);
}

static void test_v4_mtu1500_in_order(void **state)
{
	struct dgram d;
	struct frame f[4];

	(void)state;
	build_v4(&d);
	assert_int_equal(split(&d, 1500, f, 4), 3);
	run_split(&d, 1500, IN_ORDER, -1);
}

static void test_v4_mtu1500_reverse(void **state)
{
	struct dgram d;

	(void)state;
	build_v4(&d);
	run_split(&d, 1500, REVERSE, -1);
}

static void test_v4_mtu576_in_order(void **state)
{
	struct dgram d;

	(void)state;
	build_v4(&d);
	run_split(&d, 576, IN_ORDER, -1);
}

static void test_v4_mtu576_reverse(void **state)
{
	struct dgram d;

	(void)state;
	build_v4(&d);
	run_split(&d, 576, REVERSE, -1);
}

static void test_v4_mtu576_shuffled(void **state)
{
	struct dgram d;

	(void)state;
	build_v4(&d);
	run_split(&d, 576, SHUFFLED, -1);
}

static void test_v4_duplicate_fragment(void **state)
{
	struct dgram d;

	(void)state;
	build_v4(&d);
	run_split(&d, 576, IN_ORDER, 2);
}

static void test_v4_duplicate_fragment_shuffled(void **state)
{
	struct dgram d;

	(void)state;
	build_v4(&d);
	run_split(&d, 576, SHUFFLED, 4);
}

static void test_v4_vlan_header_kept(void **state)
{
	struct dgram d;

	(void)state;
	build_dgram(&d, &(struct dgram_opts){ .ipv = 4, .vlan = true, .id = 7 });
	assert_int_equal(d.l3, 18);
	run_split(&d, 1500, REVERSE, -1);
}

static void test_v4_df_bit_kept(void **state)
{
	struct np_frag_table *t = default_table();
	struct np_frag_result r;
	struct frame f[4];
	struct dgram d;
	unsigned int n;

	(void)state;
	build_v4(&d);
	d.b[d.l3 + 6] = 0x40; /* DF in the original: the rebuilt frame keeps it */
	tf_ipv4_csum(d.b + d.l3);
	n = split(&d, 1500, f, 4);
	for (unsigned int i = 0; i < n; i++) {
		f[i].b[d.l3 + 6] |= 0x40;
		tf_ipv4_csum(f[i].b + d.l3);
	}
	assert_int_equal(feed(t, &f[1], 0, &r), 0);
	assert_int_equal(feed(t, &f[2], 0, &r), 0);
	assert_int_equal(feed(t, &f[0], 0, &r), 1);
	assert_rebuilt(&d, &r);
	np_frag_table_destroy(t);
}

static void test_tiny_first_fragment(void **state)
{
	struct np_frag_table *t = default_table();
	struct np_frag_result r;
	struct frame f;
	struct dgram d;
	uint32_t total, off = 8;

	(void)state;
	build_v4(&d);
	total = d.len - d.frag_start;
	make_frag(&d, 0, 8, true, &f); /* the UDP header alone */
	assert_int_equal(feed(t, &f, 0, &r), 0);
	while (off < total) {
		uint32_t dl = total - off < 1480 ? total - off : 1480;
		int rc;

		make_frag(&d, off, dl, off + dl < total, &f);
		rc = feed(t, &f, 0, &r);
		off += dl;
		assert_int_equal(rc, off < total ? 0 : 1);
	}
	assert_rebuilt(&d, &r);
	np_frag_table_destroy(t);
}

static void test_identical_overlap_accepted(void **state)
{
	struct np_frag_table *t = default_table();
	struct np_frag_result r;
	struct frame f;
	struct dgram d;
	uint32_t total;

	(void)state;
	build_v4(&d);
	total = d.len - d.frag_start;
	/* re-fragmented copies: [0,1480) [1000,2480) [2000,end), overlaps identical */
	make_frag(&d, 0, 1480, true, &f);
	assert_int_equal(feed(t, &f, 0, &r), 0);
	make_frag(&d, 2000, total - 2000, false, &f);
	assert_int_equal(feed(t, &f, 0, &r), 0);
	make_frag(&d, 1000, 1480, true, &f);
	assert_int_equal(feed(t, &f, 0, &r), 1);
	assert_rebuilt(&d, &r);
	assert_int_equal(stat(t, NP_FRAG_STAT_DROPPED_OVERLAP), 0);
	assert_int_equal(stat(t, NP_FRAG_STAT_DUPLICATE), 0);
	np_frag_table_destroy(t);
}

/* ---- IPv6 -------------------------------------------------------------- */

static void test_v6_mtu1500_in_order(void **state)
{
	struct dgram d;

	(void)state;
	build_v6(&d);
	run_split(&d, 1500, IN_ORDER, -1);
}

static void test_v6_mtu1500_reverse(void **state)
{
	struct dgram d;

	(void)state;
	build_v6(&d);
	run_split(&d, 1500, REVERSE, -1);
}

static void test_v6_mtu576_in_order(void **state)
{
	struct dgram d;

	(void)state;
	build_v6(&d);
	run_split(&d, 576, IN_ORDER, -1);
}

static void test_v6_mtu576_reverse(void **state)
{
	struct dgram d;

	(void)state;
	build_v6(&d);
	run_split(&d, 576, REVERSE, -1);
}

static void test_v6_mtu576_shuffled(void **state)
{
	struct dgram d;

	(void)state;
	build_v6(&d);
	run_split(&d, 576, SHUFFLED, -1);
}

static void test_v6_duplicate_fragment(void **state)
{
	struct dgram d;

	(void)state;
	build_v6(&d);
	run_split(&d, 576, IN_ORDER, 3);
}

/* Hop-by-hop stays in front; its next header goes back from 44 to 17. */
static void test_v6_hop_by_hop_before_fragment_header(void **state)
{
	struct dgram d;

	(void)state;
	build_dgram(&d, &(struct dgram_opts){ .ipv = 6, .vlan = true, .hbh = true, .id = 99 });
	assert_int_equal(d.frag_start, 18 + 48);
	run_split(&d, 1280, SHUFFLED, -1);
}

/* Destination options after the fragment header are part of the data. */
static void test_v6_dstopts_after_fragment_header(void **state)
{
	struct dgram d;

	(void)state;
	build_dgram(&d, &(struct dgram_opts){ .ipv = 6, .hbh = true, .dstopts = true, .id = 5 });
	run_split(&d, 1500, REVERSE, -1);
}

static void test_v6_two_fragment_headers_malformed(void **state)
{
	struct np_frag_table *t = default_table();
	struct np_frag_result r;
	struct np_pkt_info pi;
	struct frame f, g;
	struct dgram d;

	(void)state;
	build_v6(&d);
	make_frag(&d, 0, 64, true, &f);
	/* insert a second fragment header (offset 0, M set) after the first */
	memcpy(g.b, f.b, 14 + 40 + 8);
	g.b[14 + 40] = 44;
	memcpy(g.b + 14 + 48, f.b + 14 + 40, 8);
	memcpy(g.b + 14 + 56, f.b + 14 + 48, 64);
	g.len = f.len + 8;
	tf_wr16(g.b + 14 + 4, (uint16_t)(g.len - 14 - 40));
	assert_int_equal(np_pkt_parse(g.b, g.len, &pi), NP_PKT_FRAGMENT);
	assert_int_equal(np_frag_add(t, SEG, g.b, g.len, &pi, 0, &r), -EINVAL);
	assert_int_equal(stat(t, NP_FRAG_STAT_DROPPED_MALFORMED), 1);
	assert_int_equal(np_frag_table_count(t), 0);
	np_frag_table_destroy(t);
}

/* ---- timeouts ---------------------------------------------------------- */

static void test_missing_middle_expires(void **state)
{
	struct np_frag_table *t = default_table();
	struct np_frag_result r;
	struct frame f[8];
	struct dgram d;
	unsigned int n;

	(void)state;
	build_v4(&d);
	n = split(&d, 576, f, 8);
	memset(&r, 0, sizeof(r));
	for (unsigned int i = 0; i < n; i++)
		if (i != 2)
			assert_int_equal(feed(t, &f[i], SEC, &r), 0);
	assert_null(r.frame);
	assert_int_equal(np_frag_table_count(t), 1);
	assert_int_equal(np_frag_expire(t, SEC + TIMEOUT - 1, 100), 0);
	assert_int_equal(np_frag_table_count(t), 1);
	assert_int_equal(np_frag_expire(t, SEC + TIMEOUT, 100), 1);
	assert_int_equal(np_frag_table_count(t), 0);
	assert_int_equal(stat(t, NP_FRAG_STAT_TIMEOUTS), 1);
	assert_int_equal(stat(t, NP_FRAG_STAT_REASSEMBLED), 0);
	/* the missing fragment, late: a new datagram, held, not delivered */
	assert_int_equal(feed(t, &f[2], SEC + TIMEOUT + 1, &r), 0);
	assert_null(r.frame);
	np_frag_table_destroy(t);
}

static void test_expire_bounded_work(void **state)
{
	struct np_frag_table *t = default_table();
	struct np_frag_result r;
	struct frame f;
	struct dgram d;

	(void)state;
	for (uint32_t i = 0; i < 5; i++) {
		build_dgram(&d, &(struct dgram_opts){ .ipv = 4, .id = 100 + i });
		make_frag(&d, 0, 1480, true, &f);
		assert_int_equal(feed(t, &f, i, &r), 0);
	}
	assert_int_equal(np_frag_expire(t, TIMEOUT + 10, 2), 2);
	assert_int_equal(np_frag_expire(t, TIMEOUT + 10, 2), 2);
	assert_int_equal(np_frag_expire(t, TIMEOUT + 10, 2), 1);
	assert_int_equal(np_frag_expire(t, TIMEOUT + 10, 2), 0);
	assert_int_equal(stat(t, NP_FRAG_STAT_TIMEOUTS), 5);
	np_frag_table_destroy(t);
}

/* Past its timeout a datagram is not completed, even without np_frag_expire(). */
static void test_expired_datagram_not_completed(void **state)
{
	struct np_frag_table *t = default_table();
	struct np_frag_result r;
	struct frame f[4];
	struct dgram d;

	(void)state;
	build_v4(&d);
	assert_int_equal(split(&d, 1500, f, 4), 3);
	assert_int_equal(feed(t, &f[0], 0, &r), 0);
	assert_int_equal(feed(t, &f[1], 0, &r), 0);
	assert_int_equal(feed(t, &f[2], TIMEOUT, &r), 0);
	assert_int_equal(stat(t, NP_FRAG_STAT_TIMEOUTS), 1);
	assert_int_equal(np_frag_table_count(t), 1);
	/* the retransmitted datagram completes within the new slot's timeout */
	assert_int_equal(feed(t, &f[0], TIMEOUT + 1, &r), 0);
	assert_int_equal(feed(t, &f[1], TIMEOUT + 2, &r), 1);
	assert_rebuilt(&d, &r);
	np_frag_table_destroy(t);
}

/* ---- drops ------------------------------------------------------------- */

static void test_conflicting_overlap_dropped(void **state)
{
	struct np_frag_table *t = default_table();
	struct np_frag_result r;
	struct frame f[4], evil;
	struct dgram d;

	(void)state;
	build_v4(&d);
	assert_int_equal(split(&d, 1500, f, 4), 3);
	assert_int_equal(feed(t, &f[0], 0, &r), 0);
	/* same offset range as f[1] shifted by 8, one byte changed in the overlap */
	make_frag(&d, 1488, 1480, true, &evil);
	evil.b[evil.len - 100] ^= 0x20;
	assert_int_equal(feed(t, &f[1], 0, &r), 0);
	assert_int_equal(feed(t, &evil, 0, &r), -EBADMSG);
	assert_int_equal(stat(t, NP_FRAG_STAT_DROPPED_OVERLAP), 1);
	/* the rest of the datagram is dropped too, nothing delivered */
	assert_int_equal(feed(t, &f[2], 0, &r), -ECANCELED);
	assert_int_equal(feed(t, &f[0], 0, &r), -ECANCELED);
	assert_int_equal(stat(t, NP_FRAG_STAT_DROPPED_DEAD), 2);
	assert_int_equal(stat(t, NP_FRAG_STAT_REASSEMBLED), 0);
	/* a dead slot is reclaimed at its timeout without counting one */
	assert_int_equal(np_frag_expire(t, TIMEOUT, 10), 1);
	assert_int_equal(stat(t, NP_FRAG_STAT_TIMEOUTS), 0);
	assert_int_equal(np_frag_table_count(t), 0);
	np_frag_table_destroy(t);
}

static void test_conflicting_overlap_v6(void **state)
{
	struct np_frag_table *t = default_table();
	struct np_frag_result r;
	struct frame f[4];
	struct dgram d;

	(void)state;
	build_v6(&d);
	assert_int_equal(split(&d, 1500, f, 4), 3);
	assert_int_equal(feed(t, &f[1], 0, &r), 0);
	f[1].b[f[1].len - 1] ^= 1;
	assert_int_equal(feed(t, &f[1], 0, &r), -EBADMSG);
	assert_int_equal(stat(t, NP_FRAG_STAT_DROPPED_OVERLAP), 1);
	np_frag_table_destroy(t);
}

static void test_table_full(void **state)
{
	struct np_frag_table *t = table(2, 65535, 64);
	struct frame f[3][4];
	struct dgram d[3];
	struct np_frag_result r;

	(void)state;
	for (unsigned int i = 0; i < 3; i++) {
		build_dgram(&d[i], &(struct dgram_opts){ .ipv = i == 1 ? 6 : 4, .id = 1000 + i });
		assert_int_equal(split(&d[i], 1500, f[i], 4), 3);
	}
	assert_int_equal(feed(t, &f[0][0], 0, &r), 0);
	assert_int_equal(feed(t, &f[1][0], 0, &r), 0);
	assert_int_equal(feed(t, &f[2][0], 0, &r), -ENOSPC);
	assert_int_equal(feed(t, &f[0][1], 0, &r), 0);
	assert_int_equal(feed(t, &f[1][1], 0, &r), 0);
	assert_int_equal(feed(t, &f[2][1], 0, &r), -ENOSPC);
	assert_int_equal(feed(t, &f[0][2], 0, &r), 1);
	assert_rebuilt(&d[0], &r);
	assert_int_equal(feed(t, &f[1][2], 0, &r), 1);
	assert_rebuilt(&d[1], &r);
	assert_int_equal(stat(t, NP_FRAG_STAT_DROPPED_TABLE_FULL), 2);
	assert_int_equal(stat(t, NP_FRAG_STAT_REASSEMBLED), 2);
	/* the third's last fragment now finds room but never completes */
	assert_int_equal(feed(t, &f[2][2], 0, &r), 0);
	np_frag_table_destroy(t);
}

/* A full table reclaims its oldest slot once that one has expired. */
static void test_table_full_reclaims_expired(void **state)
{
	struct np_frag_table *t = table(1, 65535, 64);
	struct np_frag_result r;
	struct frame a[4], b[4];
	struct dgram da, db;

	(void)state;
	build_dgram(&da, &(struct dgram_opts){ .ipv = 4, .id = 1 });
	build_dgram(&db, &(struct dgram_opts){ .ipv = 4, .id = 2 });
	split(&da, 1500, a, 4);
	split(&db, 1500, b, 4);
	assert_int_equal(feed(t, &a[0], 0, &r), 0);
	assert_int_equal(feed(t, &b[0], TIMEOUT - 1, &r), -ENOSPC);
	assert_int_equal(feed(t, &b[0], TIMEOUT, &r), 0);
	assert_int_equal(stat(t, NP_FRAG_STAT_TIMEOUTS), 1);
	assert_int_equal(feed(t, &b[2], TIMEOUT, &r), 0);
	assert_int_equal(feed(t, &b[1], TIMEOUT, &r), 1);
	assert_rebuilt(&db, &r);
	np_frag_table_destroy(t);
}

static void test_too_long_for_max_datagram_len(void **state)
{
	struct np_frag_table *t = table(4, 2000, 64);
	struct np_frag_result r;
	struct frame f[4];
	struct dgram d;

	(void)state;
	build_v4(&d);
	assert_int_equal(split(&d, 1500, f, 4), 3);
	assert_int_equal(feed(t, &f[0], 0, &r), 0);
	assert_int_equal(feed(t, &f[1], 0, &r), -EMSGSIZE);
	assert_int_equal(feed(t, &f[2], 0, &r), -ECANCELED);
	assert_int_equal(stat(t, NP_FRAG_STAT_DROPPED_TOO_LONG), 1);
	assert_int_equal(stat(t, NP_FRAG_STAT_REASSEMBLED), 0);
	np_frag_table_destroy(t);
}

/* Ping of death: offset 65528 plus data runs past the 64 KiB IP limit. */
static void test_too_long_past_ip_limit(void **state)
{
	struct np_frag_table *t = default_table();
	struct np_frag_result r;
	struct frame f;
	struct dgram d;

	(void)state;
	build_v4(&d);
	make_frag(&d, 0, 64, true, &f);
	tf_wr16(f.b + d.l3 + 6, 65528 / 8); /* last fragment at offset 65528, 64 bytes */
	tf_ipv4_csum(f.b + d.l3);
	assert_int_equal(feed(t, &f, 0, &r), -EMSGSIZE);
	assert_int_equal(stat(t, NP_FRAG_STAT_DROPPED_TOO_LONG), 1);
	np_frag_table_destroy(t);
}

/* Data ends at 65528, within max_datagram_len, but 20 + 65528 > 65535. */
static void test_too_long_with_ip_header(void **state)
{
	struct np_frag_table *t = default_table();
	struct np_frag_result r;
	struct frame f;
	struct dgram d;

	(void)state;
	build_v4(&d);
	make_frag(&d, 0, 8, false, &f);
	tf_wr16(f.b + d.l3 + 6, 65520 / 8);
	tf_ipv4_csum(f.b + d.l3);
	assert_int_equal(feed(t, &f, 0, &r), 0);
	make_frag(&d, 0, 8, true, &f);
	assert_int_equal(feed(t, &f, 0, &r), -EMSGSIZE);
	assert_int_equal(stat(t, NP_FRAG_STAT_DROPPED_TOO_LONG), 1);
	np_frag_table_destroy(t);
}

static void test_too_many_fragments(void **state)
{
	struct np_frag_table *t = table(4, 65535, 4);
	struct np_frag_result r;
	struct frame f[8];
	struct dgram d;
	unsigned int n;

	(void)state;
	build_v4(&d);
	n = split(&d, 576, f, 8);
	assert_true(n > 4);
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(feed(t, &f[i], 0, &r), 0);
	assert_int_equal(feed(t, &f[4], 0, &r), -E2BIG);
	assert_int_equal(stat(t, NP_FRAG_STAT_DROPPED_TOO_MANY), 1);
	np_frag_table_destroy(t);
}

/* Duplicates count toward the limit: a flood of one fragment is cut off. */
static void test_duplicate_flood_too_many(void **state)
{
	struct np_frag_table *t = table(4, 65535, 3);
	struct np_frag_result r;
	struct frame f[4];
	struct dgram d;

	(void)state;
	build_v4(&d);
	split(&d, 1500, f, 4);
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(feed(t, &f[1], 0, &r), 0);
	assert_int_equal(feed(t, &f[1], 0, &r), -E2BIG);
	assert_int_equal(stat(t, NP_FRAG_STAT_DUPLICATE), 2);
	np_frag_table_destroy(t);
}

static void test_two_different_ends_inconsistent(void **state)
{
	struct np_frag_table *t = default_table();
	struct np_frag_result r;
	struct frame f;
	struct dgram d;

	(void)state;
	build_v4(&d);
	make_frag(&d, 1480, 800, false, &f);
	assert_int_equal(feed(t, &f, 0, &r), 0);
	make_frag(&d, 1480, 808, false, &f);
	assert_int_equal(feed(t, &f, 0, &r), -EPROTO);
	assert_int_equal(stat(t, NP_FRAG_STAT_DROPPED_INCONSISTENT), 1);
	np_frag_table_destroy(t);
}

static void test_data_past_last_fragment_inconsistent(void **state)
{
	struct np_frag_table *t = default_table();
	struct np_frag_result r;
	struct frame f;
	struct dgram d;

	(void)state;
	build_v4(&d);
	make_frag(&d, 1480, 800, false, &f); /* the end: 2280 */
	assert_int_equal(feed(t, &f, 0, &r), 0);
	make_frag(&d, 1480, 1480, true, &f); /* data up to 2960 */
	assert_int_equal(feed(t, &f, 0, &r), -EPROTO);
	assert_int_equal(stat(t, NP_FRAG_STAT_DROPPED_INCONSISTENT), 1);
	np_frag_table_destroy(t);
}

/* A last fragment ending before data already held. */
static void test_last_fragment_short_inconsistent(void **state)
{
	struct np_frag_table *t = default_table();
	struct np_frag_result r;
	struct frame f;
	struct dgram d;

	(void)state;
	build_v4(&d);
	make_frag(&d, 1480, 1480, true, &f);
	assert_int_equal(feed(t, &f, 0, &r), 0);
	make_frag(&d, 1480, 800, false, &f);
	assert_int_equal(feed(t, &f, 0, &r), -EPROTO);
	assert_int_equal(stat(t, NP_FRAG_STAT_DROPPED_INCONSISTENT), 1);
	np_frag_table_destroy(t);
}

static void test_unaligned_middle_fragment_malformed(void **state)
{
	struct np_frag_table *t = default_table();
	struct np_frag_result r;
	struct frame f;
	struct dgram d;

	(void)state;
	build_v4(&d);
	make_frag(&d, 0, 1001, true, &f);
	assert_int_equal(feed(t, &f, 0, &r), -EINVAL);
	assert_int_equal(stat(t, NP_FRAG_STAT_DROPPED_MALFORMED), 1);
	assert_int_equal(np_frag_table_count(t), 0);
	np_frag_table_destroy(t);
}

static void test_whole_packet_refused(void **state)
{
	struct np_frag_table *t = default_table();
	struct np_frag_result r;
	struct np_pkt_info pi;
	struct dgram d;

	(void)state;
	build_v4(&d);
	assert_int_equal(np_pkt_parse(d.b, d.len, &pi), NP_PKT_UDP);
	assert_int_equal(np_frag_add(t, SEG, d.b, d.len, &pi, 0, &r), -EINVAL);
	assert_int_equal(np_frag_add(t, SEG, NULL, d.len, &pi, 0, &r), -EINVAL);
	assert_int_equal(np_frag_add(NULL, SEG, d.b, d.len, &pi, 0, &r), -EINVAL);
	assert_int_equal(stat(t, NP_FRAG_STAT_DROPPED_MALFORMED), 2);
	np_frag_table_destroy(t);
}

static void test_segments_do_not_mix(void **state)
{
	struct np_frag_table *t = default_table();
	struct np_frag_result r;
	struct frame f[4];
	struct dgram d;

	(void)state;
	build_v4(&d);
	split(&d, 1500, f, 4);
	assert_int_equal(feed_seg(t, 1, &f[0], 0, &r), 0);
	assert_int_equal(feed_seg(t, 2, &f[1], 0, &r), 0);
	assert_int_equal(feed_seg(t, 1, &f[2], 0, &r), 0);
	assert_int_equal(np_frag_table_count(t), 2);
	assert_int_equal(feed_seg(t, 1, &f[1], 0, &r), 1);
	assert_rebuilt(&d, &r);
	np_frag_table_destroy(t);
}

/* Every prefix of a fragment frame: no crash, nothing held, then the real ones complete. */
static void test_truncated_every_prefix(void **state)
{
	struct np_frag_table *t = default_table();
	struct np_frag_result r;
	struct np_pkt_info pi, full;
	struct frame f[2][4];
	struct dgram d[2];

	(void)state;
	build_v4(&d[0]);
	build_dgram(&d[1], &(struct dgram_opts){ .ipv = 6, .hbh = true, .dstopts = true, .id = 3 });
	for (unsigned int v = 0; v < 2; v++) {
		assert_int_equal(split(&d[v], 1500, f[v], 4), 3);
		for (unsigned int k = 0; k < 3; k++) {
			const struct frame *fr = &f[v][k];

			assert_int_equal(np_pkt_parse(fr->b, fr->len, &full), NP_PKT_FRAGMENT);
			for (uint32_t len = 0; len < fr->len; len++) {
				np_pkt_parse(fr->b, len, &pi);
				assert_true(np_frag_add(t, SEG, fr->b, len, &pi, 0, &r) < 0);
				/* a stale np_pkt_info that claims more than len */
				assert_int_equal(np_frag_add(t, SEG, fr->b, len, &full, 0, &r),
						 -EINVAL);
			}
		}
		assert_int_equal(np_frag_table_count(t), 0);
		assert_int_equal(feed(t, &f[v][2], 0, &r), 0);
		assert_int_equal(feed(t, &f[v][0], 0, &r), 0);
		assert_int_equal(feed(t, &f[v][1], 0, &r), 1);
		assert_rebuilt(&d[v], &r);
	}
	np_frag_table_destroy(t);
}

/* ---- table ------------------------------------------------------------- */

struct alloc_log {
	unsigned int allocs;
	unsigned int frees;
	size_t size;
	bool fail;
};

static void *log_alloc(void *ctx, size_t size)
{
	struct alloc_log *l = ctx;

	l->allocs++;
	l->size = size;
	return l->fail ? NULL : malloc(size);
}

static void log_free(void *ctx, void *p)
{
	struct alloc_log *l = ctx;

	l->frees++;
	free(p);
}

static void test_create_rejects_bad_conf(void **state)
{
	const struct np_frag_conf good = {
		.max_datagrams = 4,
		.max_datagram_len = 65535,
		.max_frags_per_datagram = 64,
		.timeout_ns = TIMEOUT,
	};
	struct np_frag_conf bad[8];
	struct np_frag_table *t;

	(void)state;
	errno = 0;
	assert_null(np_frag_table_create(NULL));
	assert_int_equal(errno, EINVAL);
	for (unsigned int i = 0; i < 8; i++)
		bad[i] = good;
	bad[0].max_datagrams = 0;
	bad[1].max_datagrams = NP_FRAG_MAX_DATAGRAMS + 1;
	bad[2].max_datagram_len = 0;
	bad[3].max_datagram_len = NP_FRAG_MAX_DATAGRAM_LEN + 1;
	bad[4].max_frags_per_datagram = 0;
	bad[5].max_frags_per_datagram = NP_FRAG_MAX_FRAGS + 1;
	bad[6].timeout_ns = 0;
	bad[7].free = log_free; /* free without alloc */
	for (unsigned int i = 0; i < 8; i++) {
		errno = 0;
		assert_null(np_frag_table_create(&bad[i]));
		assert_int_equal(errno, EINVAL);
		assert_int_equal(np_frag_table_memsize(&bad[i]), 0);
	}
	t = np_frag_table_create(&good);
	assert_non_null(t);
	np_frag_table_destroy(t);
	np_frag_table_destroy(NULL);
}

static void test_custom_allocator(void **state)
{
	struct alloc_log log = { 0 };
	struct np_frag_conf c = {
		.max_datagrams = 3,
		.max_datagram_len = 4000,
		.max_frags_per_datagram = 8,
		.timeout_ns = TIMEOUT,
		.alloc = log_alloc,
		.free = log_free,
		.alloc_ctx = &log,
	};
	struct np_frag_table *t;
	struct np_frag_result r;
	struct frame f[4];
	struct dgram d;

	(void)state;
	t = np_frag_table_create(&c);
	assert_non_null(t);
	assert_int_equal(log.allocs, 1);
	assert_int_equal(log.size, np_frag_table_memsize(&c));
	/* malloc'd, not zeroed, memory works: reassemble once */
	build_v6(&d);
	split(&d, 1500, f, 4);
	assert_int_equal(feed(t, &f[2], 0, &r), 0);
	assert_int_equal(feed(t, &f[0], 0, &r), 0);
	assert_int_equal(feed(t, &f[1], 0, &r), 1);
	assert_rebuilt(&d, &r);
	np_frag_table_destroy(t);
	assert_int_equal(log.frees, 1);
	log.fail = true;
	errno = 0;
	assert_null(np_frag_table_create(&c));
	assert_int_equal(errno, ENOMEM);
}

/* The bound and the figure documented in np_frag.h. */
static void test_memsize_bound(void **state)
{
	static const uint32_t n[] = { 1, 2, 3, 100, 1000, 1024, 1025, 4096 };
	struct np_frag_conf c = {
		.max_datagram_len = NP_FRAG_DEFAULT_MAX_DATAGRAM_LEN,
		.max_frags_per_datagram = NP_FRAG_DEFAULT_MAX_FRAGS,
		.timeout_ns = NP_FRAG_DEFAULT_TIMEOUT_NS,
	};
	size_t slot =
		NP_FRAG_SLOT_BYTES(NP_FRAG_DEFAULT_MAX_DATAGRAM_LEN, NP_FRAG_DEFAULT_MAX_FRAGS);

	(void)state;
	assert_int_equal(slot, 66400);
	for (unsigned int i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
		size_t m;

		c.max_datagrams = n[i];
		m = np_frag_table_memsize(&c);
		assert_true(m <= NP_FRAG_TABLE_FIXED_BYTES + n[i] * slot);
		assert_true(m >= n[i] * (slot - 8));
	}
	c.max_datagrams = NP_FRAG_DEFAULT_MAX_DATAGRAMS;
	assert_true(np_frag_table_memsize(&c) < 65u << 20);
}

static void test_stat_names_stable(void **state)
{
	(void)state;
	assert_string_equal(np_frag_stat_names[NP_FRAG_STAT_REASSEMBLED], "datagrams_reassembled");
	assert_string_equal(np_frag_stat_names[NP_FRAG_STAT_HELD], "fragments_held");
	assert_string_equal(np_frag_stat_names[NP_FRAG_STAT_TIMEOUTS], "timeouts");
	assert_string_equal(np_frag_stat_names[NP_FRAG_STAT_DROPPED_OVERLAP], "dropped_overlap");
	assert_string_equal(np_frag_stat_names[NP_FRAG_STAT_DROPPED_TOO_LONG], "dropped_too_long");
	assert_string_equal(np_frag_stat_names[NP_FRAG_STAT_DROPPED_TOO_MANY], "dropped_too_many");
	assert_string_equal(np_frag_stat_names[NP_FRAG_STAT_DROPPED_TABLE_FULL],
			    "dropped_table_full");
	for (unsigned int i = 0; i < NP_FRAG_STAT_MAX; i++) {
		assert_non_null(np_frag_stat_names[i]);
		assert_non_null(np_frag_stat_help[i]);
		assert_true(np_frag_stat_help[i][0] != '\0');
		for (const char *p = np_frag_stat_names[i]; *p; p++)
			assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
		for (unsigned int j = 0; j < i; j++)
			assert_string_not_equal(np_frag_stat_names[i], np_frag_stat_names[j]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sip_message_is_large),
		cmocka_unit_test(test_v4_mtu1500_in_order),
		cmocka_unit_test(test_v4_mtu1500_reverse),
		cmocka_unit_test(test_v4_mtu576_in_order),
		cmocka_unit_test(test_v4_mtu576_reverse),
		cmocka_unit_test(test_v4_mtu576_shuffled),
		cmocka_unit_test(test_v4_duplicate_fragment),
		cmocka_unit_test(test_v4_duplicate_fragment_shuffled),
		cmocka_unit_test(test_v4_vlan_header_kept),
		cmocka_unit_test(test_v4_df_bit_kept),
		cmocka_unit_test(test_tiny_first_fragment),
		cmocka_unit_test(test_identical_overlap_accepted),
		cmocka_unit_test(test_v6_mtu1500_in_order),
		cmocka_unit_test(test_v6_mtu1500_reverse),
		cmocka_unit_test(test_v6_mtu576_in_order),
		cmocka_unit_test(test_v6_mtu576_reverse),
		cmocka_unit_test(test_v6_mtu576_shuffled),
		cmocka_unit_test(test_v6_duplicate_fragment),
		cmocka_unit_test(test_v6_hop_by_hop_before_fragment_header),
		cmocka_unit_test(test_v6_dstopts_after_fragment_header),
		cmocka_unit_test(test_v6_two_fragment_headers_malformed),
		cmocka_unit_test(test_missing_middle_expires),
		cmocka_unit_test(test_expire_bounded_work),
		cmocka_unit_test(test_expired_datagram_not_completed),
		cmocka_unit_test(test_conflicting_overlap_dropped),
		cmocka_unit_test(test_conflicting_overlap_v6),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_table_full_reclaims_expired),
		cmocka_unit_test(test_too_long_for_max_datagram_len),
		cmocka_unit_test(test_too_long_past_ip_limit),
		cmocka_unit_test(test_too_long_with_ip_header),
		cmocka_unit_test(test_too_many_fragments),
		cmocka_unit_test(test_duplicate_flood_too_many),
		cmocka_unit_test(test_two_different_ends_inconsistent),
		cmocka_unit_test(test_data_past_last_fragment_inconsistent),
		cmocka_unit_test(test_last_fragment_short_inconsistent),
		cmocka_unit_test(test_unaligned_middle_fragment_malformed),
		cmocka_unit_test(test_whole_packet_refused),
		cmocka_unit_test(test_segments_do_not_mix),
		cmocka_unit_test(test_truncated_every_prefix),
		cmocka_unit_test(test_create_rejects_bad_conf),
		cmocka_unit_test(test_custom_allocator),
		cmocka_unit_test(test_memsize_bound),
		cmocka_unit_test(test_stat_names_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
