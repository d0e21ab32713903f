/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/pkt fragment reassembly: the input is a sequence
 * of frames, each run through np_pkt_parse() and, when it is a fragment,
 * np_frag_add() on a small table. Besides the sanitizers' checks, it aborts
 * when a result breaks the contract in np_frag.h (a rebuilt frame that does
 * not parse as a whole packet with consistent lengths, a slot count above
 * the maximum, a slot left after a final expiry, ...).
 *
 * Input: one byte of table shape, then records until the input ends:
 *
 *   ctl (1 byte) | frame length (2 bytes, big-endian) | frame bytes
 *
 * ctl bit 0: fix the IP length field(s) and the IPv4 header checksum of the
 *            frame before parsing, so that mutated fragments stay fragments;
 * ctl bit 1: segment 1 instead of 0;
 * ctl bits 2-4: advance the clock by that many eighths of the timeout;
 * ctl bit 5: call np_frag_expire() before the frame (at most 2 slots).
 *
 * Shape byte: bits 0-1 + 1 = max_datagrams; bit 2: max_datagram_len 65535
 * instead of 4000; bits 3-4: max_frags_per_datagram 4, 16, 64 or 256.
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "np_frag.h"
#include "np_pkt.h"

#define CHECK(c)                 \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

#define TIMEOUT_NS 8000u
#define MAX_FRAME 9216

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Start of the IP header after Ethernet and VLAN tags, or 0; *et gets the EtherType. */
static uint32_t l3_start(const uint8_t *f, uint32_t len, uint16_t *et)
{
	uint32_t off = 14;

	if (len < 14)
		return 0;
	*et = rd16(f + 12);
	while ((*et == 0x8100 || *et == 0x88a8 || *et == 0x9100) && len - off >= 4) {
		*et = rd16(f + off + 2);
		off += 4;
	}
	return off;
}

static void fixup(uint8_t *f, uint32_t len)
{
	uint16_t et = 0;
	uint32_t l3 = l3_start(f, len, &et);

	if (l3 == 0)
		return;
	if (et == 0x0800 && len - l3 >= 20) {
		uint32_t hl = (f[l3] & 0xfu) * 4, sum = 0;

		if (hl < 20 || len - l3 < hl || len - l3 > 65535)
			return;
		wr16(f + l3 + 2, len - l3);
		wr16(f + l3 + 10, 0);
		for (uint32_t i = 0; i < hl; i += 2)
			sum += rd16(f + l3 + i);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		wr16(f + l3 + 10, ~sum & 0xffff);
	} else if (et == 0x86dd && len - l3 >= 40 && len - l3 - 40 <= 65535) {
		wr16(f + l3 + 4, len - l3 - 40);
	}
}

/* A rebuilt frame is a whole packet whose IP length matches its size. */
static void check_result(const struct np_frag_result *r, uint8_t ipv, uint32_t max_len)
{
	struct np_pkt_info pi;
	int cls;

	CHECK(r->frame != NULL && r->n_frags >= 1);
	CHECK(r->len > 14 && r->len <= NP_FRAG_HDR_ROOM + max_len);
	cls = np_pkt_parse(r->frame, r->len, &pi);
	CHECK(pi.ip_version == ipv);
	CHECK(cls != NP_PKT_TRUNCATED && cls != NP_PKT_BAD_CHECKSUM && cls != NP_PKT_RUNT);
	if (ipv == 4) {
		CHECK(cls != NP_PKT_FRAGMENT);
		CHECK(rd16(r->frame + pi.l3_off + 2) == r->len - pi.l3_off);
		CHECK((rd16(r->frame + pi.l3_off + 6) & 0x3fff) == 0);
	} else {
		CHECK(rd16(r->frame + pi.l3_off + 4) == r->len - pi.l3_off - 40);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t frags[4] = { 4, 16, 64, 256 };
	static uint8_t frame[MAX_FRAME];
	struct np_frag_conf conf = { 0 };
	struct np_frag_table *t;
	const struct np_frag_stats *st;
	uint64_t now = 0, calls = 0;
	size_t pos = 1;

	if (size < 1)
		return 0;
	conf.max_datagrams = (data[0] & 3u) + 1;
	conf.max_datagram_len = data[0] & 4 ? 65535 : 4000;
	conf.max_frags_per_datagram = frags[data[0] >> 3 & 3];
	conf.timeout_ns = TIMEOUT_NS;
	t = np_frag_table_create(&conf);
	CHECK(t != NULL);
	st = np_frag_table_stats(t);

	while (size - pos >= 3) {
		struct np_frag_result r;
		struct np_pkt_info pi;
		uint8_t ctl = data[pos];
		uint32_t len = rd16(data + pos + 1);
		int rc;

		pos += 3;
		if (len > size - pos)
			len = (uint32_t)(size - pos);
		if (len > MAX_FRAME)
			len = MAX_FRAME;
		memcpy(frame, data + pos, len);
		pos += len;
		if (ctl & 1)
			fixup(frame, len);
		now += (uint64_t)(ctl >> 2 & 7) * (TIMEOUT_NS / 8);
		if (ctl & 0x20)
			CHECK(np_frag_expire(t, now, 2) <= 2);

		np_pkt_parse(frame, len, &pi);
		memset(&r, 0, sizeof(r));
		rc = np_frag_add(t, ctl >> 1 & 1, frame, len, &pi, now, &r);
		calls++;
		CHECK(rc == 0 || rc == 1 || rc == -EINVAL || rc == -ENOSPC || rc == -ECANCELED ||
		      rc == -EBADMSG || rc == -EMSGSIZE || rc == -E2BIG || rc == -EPROTO);
		if (rc != 1)
			CHECK(r.frame == NULL);
		if (pi.cls != NP_PKT_FRAGMENT)
			CHECK(rc == -EINVAL);
		if (rc == 1) {
			CHECK(pi.ip_version == 4 || pi.ip_version == 6);
			check_result(&r, pi.ip_version, conf.max_datagram_len);
		}
		CHECK(np_frag_table_count(t) <= conf.max_datagrams);
		CHECK(st->v[NP_FRAG_STAT_FRAGMENTS] == calls);
	}

	/* everything expires once the timeout has passed */
	CHECK(np_frag_expire(t, now + TIMEOUT_NS, conf.max_datagrams) <= conf.max_datagrams);
	CHECK(np_frag_table_count(t) == 0);
	np_frag_table_destroy(t);
	return 0;
}
