/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/flow: the input is a script of frames fed to one
 * small table (8 flows, 2 reassembly buffers) through np_pkt_parse() and
 * np_flow_process(), with np_flow_expire() between frames. Each record is
 *
 *   op  time  body
 *
 * op bit 7 set: a raw frame, body = len16 bytes (little-endian length, cut
 * to what is left), segment = op bit 0. Random bytes rarely pass the IPv4
 * checksum, so op bit 7 clear builds a valid frame instead: bit 0 segment,
 * bit 1 direction, bits 2-3 one of 4 tuples, bit 4 UDP, bit 5 IPv6, bit 6 a
 * SIP port; body = TCP flags, seq delta16 (from the next in-order byte of
 * that tuple and direction; 0 = in order), len16 (at most 3000) and the
 * payload. time: the clock advances by time * 4 ms.
 *
 * Besides the sanitizers' checks it aborts when a result breaks the
 * contract in np_flow.h: messages empty or outside the frame or a buffer,
 * counts that do not add up, more buffers or flows in use than exist.
 * A second table takes the same frames through np_flow_fast() first (the
 * whole way only for what it hands back, with the flow it found): its
 * counters must stay those of the first, frame after frame.
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "np_flow.h"

#include "../frames.h"
#include "np_pkt.h"

#define CHECK(c)                 \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

#define FZ_SIZE 8
#define FZ_BUFS 2
#define FZ_MAX_PAYLOAD 3000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t frame[14 + 40 + 20 + FZ_MAX_PAYLOAD];
static const uint8_t *cur_frame;
static uint32_t cur_len;
static uint64_t sum;

static void on_event(void *ctx, const struct np_flow_event *ev)
{
	(void)ctx;
	CHECK(ev->type < NP_FLOW_EV_MAX);
	CHECK(ev->proto == 6 || ev->proto == 17);
	CHECK(ev->dir <= 1);
	if (ev->type == NP_FLOW_EV_EXPIRED)
		CHECK(ev->expired.reason <= NP_FLOW_EXP_REUSED &&
		      ev->expired.tcp_state < NP_FLOW_TCP_STATE_MAX);
}

static void on_sip(void *ctx, const struct np_flow_msg *m)
{
	(void)ctx;
	CHECK(m->data && m->len > 0 && m->dir <= 1);
	if (!(m->flags & NP_FLOW_MSG_F_REASSEMBLED))
		CHECK(m->data >= cur_frame && m->data + m->len <= cur_frame + cur_len);
	else
		CHECK(m->len <= NP_FLOW_REASM_BUF_LEN);
	/* read every byte: ASan checks the range */
	for (uint32_t i = 0; i < m->len; i++)
		sum += m->data[i];
}

static const struct np_flow_sink sink = { on_event, on_sip, NULL, NULL };

/* A valid Ethernet + IPv4/IPv6 + TCP/UDP frame; returns its length. */
static uint32_t build(unsigned int op, uint8_t flags, uint32_t seq, const uint8_t *pl, uint32_t n)
{
	unsigned int dir = (op >> 1) & 1, tup = (op >> 2) & 3;
	bool udp = op & 0x10, v6 = op & 0x20, sip = op & 0x40;
	uint16_t cport = (uint16_t)(40000 + tup), sport = sip ? 5060 : (uint16_t)(7000 + tup);
	uint16_t p0 = dir ? sport : cport, p1 = dir ? cport : sport;
	uint32_t l4 = (udp ? 8 : 20) + n, off = 14;
	uint8_t a0 = dir ? 2 : 1, a1 = dir ? 1 : 2;

	memset(frame, 0, 14);
	frame[0] = 2;
	frame[6] = 2;
	if (v6) {
		tf_wr16(frame + 12, 0x86dd);
		memset(frame + off, 0, 40);
		frame[off] = 0x60;
		tf_wr16(frame + off + 4, (uint16_t)l4);
		frame[off + 6] = udp ? 17 : 6;
		frame[off + 7] = 64;
		frame[off + 8] = 0x20;
		frame[off + 23] = a0;
		frame[off + 24] = 0x20;
		frame[off + 39] = a1;
		off += 40;
	} else {
		tf_wr16(frame + 12, 0x0800);
		memset(frame + off, 0, 20);
		frame[off] = 0x45;
		tf_wr16(frame + off + 2, (uint16_t)(20 + l4));
		frame[off + 8] = 64;
		frame[off + 9] = udp ? 17 : 6;
		frame[off + 12] = 10;
		frame[off + 15] = a0;
		frame[off + 16] = 10;
		frame[off + 19] = a1;
		tf_ipv4_csum(frame + off);
		off += 20;
	}
	tf_wr16(frame + off, p0);
	tf_wr16(frame + off + 2, p1);
	if (udp) {
		tf_wr16(frame + off + 4, (uint16_t)(8 + n));
		tf_wr16(frame + off + 6, 0);
		off += 8;
	} else {
		memset(frame + off + 4, 0, 16);
		tf_wr32(frame + off + 4, seq);
		tf_wr32(frame + off + 8, 1);
		frame[off + 12] = 5 << 4;
		frame[off + 13] = flags;
		off += 20;
	}
	memcpy(frame + off, pl, n);
	return off + n;
}

static uint16_t rd16le(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np_flow_conf c;
	struct np_flow_table *t, *t2;
	const struct np_flow_stats *s, *s2;
	uint32_t next[2][4][2][2] = { { { { 0 } } } }; /* [v6][tuple][seg][dir] next in-order seq */
	uint64_t now = 1000000000ull;
	size_t i = 0;

	memset(&c, 0, sizeof(c));
	c.size = FZ_SIZE;
	c.reasm_buffers = FZ_BUFS;
	c.tcp_idle_ns = 5000000000ull;
	c.udp_idle_ns = 2000000000ull;
	c.syn_timeout_ns = 1000000000ull;
	c.grace_ns = 1000000000ull;
	c.sip_ports[0] = 5060;
	c.n_sip_ports = 1;
	t = np_flow_table_create(&c);
	CHECK(t);
	s = np_flow_stats(t);
	t2 = np_flow_table_create(&c);
	CHECK(t2);
	s2 = np_flow_stats(t2);

	while (i + 2 <= size) {
		struct np_pkt_info pi, pi2;
		unsigned int op = data[i], seg = op & 1;
		uint32_t len;
		int rc;

		now += (uint64_t)data[i + 1] * 4000000ull;
		i += 2;
		if (op & 0x80) {
			if (i + 2 > size)
				break;
			len = rd16le(data + i);
			i += 2;
			if (len > size - i)
				len = (uint32_t)(size - i);
			cur_frame = data + i;
			i += len;
		} else {
			unsigned int v6 = (op >> 5) & 1, tup = (op >> 2) & 3, dir = (op >> 1) & 1;
			uint32_t *nx = &next[v6][tup][seg][dir], seq;
			uint32_t plen;
			uint8_t flags;

			if (i + 5 > size)
				break;
			flags = data[i];
			seq = *nx + (uint32_t)(int32_t)(int16_t)rd16le(data + i + 1);
			plen = rd16le(data + i + 3) % (FZ_MAX_PAYLOAD + 1);
			i += 5;
			if (plen > size - i)
				plen = (uint32_t)(size - i);
			if ((int32_t)(seq + plen + ((flags & 2) ? 1 : 0) - *nx) > 0)
				*nx = seq + plen + ((flags & 2) ? 1 : 0);
			len = build(op, flags, seq, data + i, plen);
			i += plen;
			cur_frame = frame;
		}
		cur_len = len;
		np_pkt_parse(cur_frame, len, &pi);
		rc = np_flow_process(t, (uint8_t)seg, &pi, cur_frame, now, &sink);
		CHECK(rc == 0 || rc == -ENOTSUP);
		np_flow_expire(t, now, 4, &sink);
		/* the fast path first, on the twin table */
		rc = np_flow_fast(t2, (uint8_t)seg, cur_frame, len, NP_PKT_CSUM_VERIFY, now, &pi2);
		if (rc == NP_FLOW_FAST_NOT_PLAIN)
			np_pkt_parse(cur_frame, len, &pi2);
		if (rc < 0)
			np_flow_process(t2, (uint8_t)seg, &pi2, cur_frame, now, NULL);
		np_flow_expire(t2, now, 4, NULL);
		CHECK(memcmp(s, s2, sizeof(*s)) == 0);

		CHECK(s->flows_active <= FZ_SIZE);
		CHECK(s->reasm_buffers_in_use <= FZ_BUFS);
		CHECK(s->flows_created - s->flows_expired - s->flows_evicted - s->flows_reused ==
		      s->flows_active);
	}
	/* drain: everything expires eventually, every buffer comes back */
	while (np_flow_expire(t, now + 100000000000ull, 64, &sink))
		;
	while (np_flow_expire(t, now + 200000000000ull, 64, &sink)) /* unanswered, then grace */
		;
	CHECK(s->flows_active == 0 && s->reasm_buffers_in_use == 0);
	np_flow_table_destroy(t);
	np_flow_table_destroy(t2);
	return 0;
}
