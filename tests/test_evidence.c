/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of evidence captures: the history ring (lib/inspect
 * np_history.h) alone and with a writer thread racing a reader, the pcapng
 * blocks (lib/export np_pcapng_writer.h) read back block by block, the
 * choice of an incident's frames (np_evidence.h), and HTML escaping
 * (np_html.h). dts/TestSuite_evidence.py checks the files with tshark and
 * the page in Chromium.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "np_evidence.h"
#include "np_history.h"
#include "np_html.h"
#include "np_pcapng_writer.h"

/* A frame whose bytes all derive from its number, so a torn copy shows. */
static uint32_t fill(uint8_t *buf, uint64_t n)
{
	uint32_t len = 60 + (uint32_t)(n * 37 % 1400);

	for (uint32_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(n * 131 + i);
	return len;
}

static bool check(const uint8_t *buf, uint32_t len, uint64_t n)
{
	for (uint32_t i = 0; i < len; i++)
		if (buf[i] != (uint8_t)(n * 131 + i))
			return false;
	return true;
}

static void put(struct np_hist *h, uint64_t n, uint8_t seg)
{
	uint8_t buf[2048];
	struct np_hist_meta m;
	uint32_t len = fill(buf, n);

	memset(&m, 0, sizeof(m));
	m.ref.frame = n;
	m.ref.segment = seg;
	m.ts_ns = n * 1000;
	m.flags = NP_HIST_F_SIP;
	np_hist_put(h, &m, buf, len);
}

static void test_hist_round_trip_and_overwrite(void **state)
{
	struct np_hist *h = np_hist_create(8, 2048, NULL, NULL, NULL);
	struct np_hist_meta m;
	uint8_t buf[2048];

	(void)state;
	assert_non_null(h);
	assert_int_equal(np_hist_head(h), 0);
	assert_int_equal(np_hist_read(h, 0, &m, buf), -EINVAL);
	for (uint64_t n = 1; n <= 20; n++)
		put(h, n, 1);
	assert_int_equal(np_hist_head(h), 20);
	/* the last 8 are held, whole; the older ones are reported overwritten */
	for (uint64_t pos = 12; pos < 20; pos++) {
		assert_int_equal(np_hist_read(h, pos, &m, buf), 0);
		assert_int_equal(m.ref.frame, pos + 1);
		assert_int_equal(m.ref.segment, 1);
		assert_int_equal(m.caplen, m.len);
		assert_true(check(buf, m.caplen, pos + 1));
		{
			uint8_t want[2048];

			assert_int_equal(m.len, fill(want, pos + 1));
		}
	}
	assert_int_equal(np_hist_read(h, 11, &m, buf), -ESTALE);
	assert_int_equal(np_hist_read(h, 0, &m, NULL), -ESTALE);
	assert_int_equal(np_hist_stats(h)->kept, 20);
	assert_int_equal(np_hist_stats(h)->cut, 0);
	np_hist_destroy(h);
}

static void test_hist_cuts_long_frames(void **state)
{
	struct np_hist *h = np_hist_create(4, 128, NULL, NULL, NULL);
	struct np_hist_meta m;
	uint8_t buf[2048];

	(void)state;
	put(h, 5, 0); /* 245 bytes into 128-byte slots */
	assert_int_equal(np_hist_read(h, 0, &m, buf), 0);
	assert_int_equal(m.caplen, 128);
	assert_int_equal(m.len, fill(buf + 1024, 5));
	assert_true(m.flags & NP_HIST_F_CUT);
	assert_true(check(buf, 128, 5));
	assert_int_equal(np_hist_stats(h)->cut, 1);
	np_hist_destroy(h);
}

static void test_hist_bad_sizes(void **state)
{
	(void)state;
	assert_null(np_hist_create(0, 2048, NULL, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(np_hist_create(16, NP_HIST_MIN_SNAPLEN - 1, NULL, NULL, NULL));
	assert_null(np_hist_create(NP_HIST_MAX_SLOTS + 1, 2048, NULL, NULL, NULL));
}

/* A writer thread fills a small ring as fast as it can while this thread reads. */
struct race {
	struct np_hist *h;
	uint64_t n;
};

static void *writer(void *arg)
{
	struct race *r = arg;

	for (uint64_t n = 1; n <= r->n; n++)
		put(r->h, n, 0);
	return NULL;
}

static void test_hist_reader_never_sees_a_torn_frame(void **state)
{
	struct race r = { .h = np_hist_create(16, 2048, NULL, NULL, NULL), .n = 200000 };
	uint64_t ok = 0, stale = 0;
	pthread_t t;

	(void)state;
	assert_non_null(r.h);
	assert_int_equal(pthread_create(&t, NULL, writer, &r), 0);
	while (np_hist_head(r.h) < r.n) {
		uint64_t head = np_hist_head(r.h);

		for (uint64_t pos = head > 16 ? head - 16 : 0; pos < head; pos++) {
			struct np_hist_meta m;
			uint8_t buf[2048];

			if (np_hist_read(r.h, pos, &m, buf) != 0) {
				stale++;
				continue;
			}
			/* a copy that passed the check is that position's frame, whole */
			assert_int_equal(m.ref.frame, pos + 1);
			assert_int_equal(m.ts_ns, (pos + 1) * 1000);
			assert_true(check(buf, m.caplen, pos + 1));
			ok++;
		}
	}
	pthread_join(t, NULL);
	assert_true(ok > 0);
	print_message("race: %lu frames read whole, %lu reported lost\n", (unsigned long)ok,
		      (unsigned long)stale);
	np_hist_destroy(r.h);
}

/* ---- pcapng ---------------------------------------------------------------- */

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* The value of option @p code in the options at @p p (up to @p end), or NULL. */
static const uint8_t *opt(const uint8_t *p, const uint8_t *end, uint16_t code, uint16_t *len)
{
	while (p + 4 <= end) {
		uint16_t c = rd16(p), l = rd16(p + 2);

		if (c == 0)
			return NULL;
		if (c == code) {
			*len = l;
			return p + 4;
		}
		p += 4 + ((l + 3u) & ~3u);
	}
	return NULL;
}

static void test_pcapng_blocks(void **state)
{
	static const uint8_t frame[61] = { 1, 2, 3, 4, 5 };
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	const uint8_t *p, *o;
	uint16_t l;

	(void)state;
	assert_int_equal(np_pcapng_write_shb(f, "natprobe test"), 0);
	assert_int_equal(np_pcapng_write_idb(f, NP_PCAPNG_LINKTYPE_ETHERNET, 2048, "inside",
					     "natprobe input inside.pcap"),
			 0);
	assert_int_equal(np_pcapng_write_idb(f, NP_PCAPNG_LINKTYPE_ETHERNET, 2048, "dmz", NULL), 0);
	assert_int_equal(np_pcapng_write_epb(f, 1, 1461049753973050000ull, frame, 61, 1514,
					     "#3 translated_route"),
			 0);
	assert_int_equal(np_pcapng_write_epb(f, 0, 5, frame, 61, 61, NULL), 0);
	assert_int_equal(np_pcapng_write_epb(f, 0, 5, frame, 62, 61, NULL), -EINVAL);
	fclose(f);
	p = (const uint8_t *)buf;
	/* every block: a multiple of 4, the trailing length equal to the leading one */
	for (size_t off = 0; off < size;) {
		uint32_t bl = rd32(p + off + 4);

		assert_int_equal(bl % 4, 0);
		assert_true(off + bl <= size);
		assert_int_equal(rd32(p + off + bl - 4), bl);
		off += bl;
		if (off == size)
			break;
	}
	/* SHB */
	assert_int_equal(rd32(p), 0x0a0d0d0a);
	assert_int_equal(rd32(p + 8), 0x1a2b3c4d);
	o = opt(p + 24, p + rd32(p + 4) - 4, 4, &l);
	assert_non_null(o);
	assert_memory_equal(o, "natprobe test", l);
	p += rd32(p + 4);
	/* IDB 0: Ethernet, name, description, nanoseconds */
	assert_int_equal(rd32(p), 1);
	assert_int_equal(rd16(p + 8), 1);
	assert_int_equal(rd32(p + 12), 2048);
	o = opt(p + 16, p + rd32(p + 4) - 4, 2, &l);
	assert_int_equal(l, 6);
	assert_memory_equal(o, "inside", 6);
	o = opt(p + 16, p + rd32(p + 4) - 4, 3, &l);
	assert_memory_equal(o, "natprobe input inside.pcap", l);
	o = opt(p + 16, p + rd32(p + 4) - 4, 9, &l);
	assert_int_equal(l, 1);
	assert_int_equal(o[0], 9);
	p += rd32(p + 4);
	o = opt(p + 16, p + rd32(p + 4) - 4, 3, &l);
	assert_null(o); /* no description given: none written */
	p += rd32(p + 4);
	/* EPB: interface 1, the time in two halves, lengths, data, comment */
	assert_int_equal(rd32(p), 6);
	assert_int_equal(rd32(p + 8), 1);
	assert_int_equal(((uint64_t)rd32(p + 12) << 32) | rd32(p + 16), 1461049753973050000ull);
	assert_int_equal(rd32(p + 20), 61);
	assert_int_equal(rd32(p + 24), 1514);
	assert_memory_equal(p + 28, frame, 61);
	o = opt(p + 28 + 64, p + rd32(p + 4) - 4, 1, &l);
	assert_non_null(o);
	assert_int_equal(l, strlen("#3 translated_route"));
	assert_memory_equal(o, "#3 translated_route", l);
	free(buf);
}

/* ---- choosing an incident's frames ------------------------------------------ */

/* A minimal Ethernet/IPv4/TCP frame: 10.0.0.a:pa -> 10.0.0.b:pb with flags. */
static uint32_t tcp_frame(uint8_t *b, uint8_t a, uint16_t pa, uint8_t c, uint16_t pc, uint8_t flags)
{
	static const uint8_t eth[14] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00 };
	uint32_t sum = 0;

	memset(b, 0, 54);
	memcpy(b, eth, 14);
	b[14] = 0x45;
	b[17] = 40;
	b[22] = 64;
	b[23] = 6;
	b[26] = 10, b[29] = a;
	b[30] = 10, b[33] = c;
	for (int i = 14; i < 34; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	b[24] = (uint8_t)(~sum >> 8);
	b[25] = (uint8_t)~sum;
	b[34] = (uint8_t)(pa >> 8), b[35] = (uint8_t)pa;
	b[36] = (uint8_t)(pc >> 8), b[37] = (uint8_t)pc;
	b[46] = 0x50;
	b[47] = flags;
	return 54;
}

static void hist_tcp(struct np_hist *h, uint64_t frame, uint8_t a, uint16_t pa, uint8_t c,
		     uint16_t pc, uint8_t flags, uint64_t ts)
{
	uint8_t b[64];
	struct np_hist_meta m;
	struct np_addr x, y;

	memset(&m, 0, sizeof(m));
	np_addr_from_v4(&x, htonl(0x0a000000u | a));
	np_addr_from_v4(&y, htonl(0x0a000000u | c));
	m.ref.frame = frame;
	m.ts_ns = ts;
	m.flags = (flags & 7) ? NP_HIST_F_TCP_CTL : NP_HIST_F_SIP;
	m.flow_key = np_hist_flow_key(0, 6, &x, pa, &y, pc);
	np_hist_put(h, &m, b, tcp_frame(b, a, pa, c, pc, flags));
}

/*
 * The cited frames, with the rest of their connection (within the window,
 * SYN and FIN whenever), in time order; other connections left out; the
 * comment names the records and the input frame; a cited frame already
 * overwritten is counted lost.
 */
static void test_collect_picks_connection(void **state)
{
	static const char *const segs[] = { "inside" };
	static const char *const inputs[] = { "inside.pcap" };
	struct np_record_names names = { 1, segs, 1, inputs };
	struct np_hist *h = np_hist_create(64, 256, NULL, NULL, NULL);
	struct np_evidence *e = np_evidence_create();
	struct np_det_record an, inc;
	struct np_evidence_set s;
	const uint64_t S = 1000000000ull;

	(void)state;
	np_evidence_add_history(e, h);
	hist_tcp(h, 1, 2, 5000, 3, 7003, 0x02, 1 * S);	 /* SYN of the connection */
	hist_tcp(h, 2, 9, 1111, 3, 80, 0x02, 2 * S);	 /* another connection */
	hist_tcp(h, 3, 3, 7003, 2, 5000, 0x18, 100 * S); /* data, cited */
	hist_tcp(h, 4, 2, 5000, 3, 7003, 0x18, 120 * S); /* data, within the window */
	hist_tcp(h, 5, 2, 5000, 3, 7003, 0x18, 200 * S); /* data, outside it */
	hist_tcp(h, 6, 2, 5000, 3, 7003, 0x11, 300 * S); /* FIN, outside but a FIN */
	memset(&an, 0, sizeof(an));
	an.kind = NP_DET_KIND_ANOMALY;
	an.type = NP_DET_TRANSLATED_ROUTE;
	an.id = 3;
	an.n_frames = 2;
	an.frames[0].frame = 3;
	an.frames[1].frame = 77; /* never in the history: lost */
	np_evidence_note(e, &an);
	memset(&inc, 0, sizeof(inc));
	inc.kind = NP_DET_KIND_INCIDENT;
	inc.type = NP_DET_NAT_REFLECTION_MISROUTE;
	inc.id = 6;
	inc.n_evidence = 1;
	inc.evidence[0] = 3;
	inc.n_frames = 1;
	inc.frames[0].frame = 3;
	assert_int_equal(np_evidence_collect(e, &inc, &names, &s), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.frames[0].meta.ref.frame, 1);
	assert_int_equal(s.frames[1].meta.ref.frame, 3);
	assert_int_equal(s.frames[2].meta.ref.frame, 4);
	assert_int_equal(s.frames[3].meta.ref.frame, 6);
	assert_string_equal(
		s.frames[1].comment,
		"#3 translated_route, #6 nat_reflection_misroute [inside.pcap frame 3]");
	assert_string_equal(s.frames[0].comment, "context of #6 nat_reflection_misroute: same "
						 "TCP connection [inside.pcap frame 1]");
	assert_int_equal(s.frames[1].why, NP_EVIDENCE_CITED);
	assert_int_equal(s.frames[2].why, NP_EVIDENCE_CONNECTION);
	assert_int_equal(s.cited, 2);
	assert_int_equal(s.lost, 1);
	assert_int_equal(np_evidence_stats(e)->frames_lost, 1);
	np_evidence_set_free(&s);
	np_evidence_destroy(e);
	np_hist_destroy(h);
}

/* ---- HTML escaping ------------------------------------------------------------ */

static void test_html_escape(void **state)
{
	static const char in[] = "<svg onload=\"x\">&'\x1b[2J\xc2\x85 caf\xc3\xa9 \xff";
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	(void)state;
	assert_int_equal(np_html_escape(f, in, sizeof(in) - 1), 0);
	fclose(f);
	assert_string_equal(buf, "&lt;svg onload=&quot;x&quot;&gt;&amp;&#39;\\x1b[2J\\xc2\\x85 "
				 "caf\xc3\xa9 \\xff");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_round_trip_and_overwrite),
		cmocka_unit_test(test_hist_cuts_long_frames),
		cmocka_unit_test(test_hist_bad_sizes),
		cmocka_unit_test(test_hist_reader_never_sees_a_torn_frame),
		cmocka_unit_test(test_pcapng_blocks),
		cmocka_unit_test(test_collect_picks_connection),
		cmocka_unit_test(test_html_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
