/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP over TCP: per-direction stream framing. Complete messages are handed
 * out in place; only a message cut by a segment boundary is copied, into a
 * pool buffer, and completed from the following segments. Every path below
 * either consumes bytes or moves the direction into resync with
 * FLOW_D_SOL clear, whose search consumes at least one line: the loop in
 * stream_data() always ends.
 */

#include <string.h>

#include "flow_internal.h"

/* Old data further back than this is taken as a jump (gap), not a retransmission. */
#define FLOW_SEQ_WINDOW (1u << 30)

/* np_sip_looks_like_sip() looks no further than this for the end of the first line. */
#define FLOW_START_LINE_MAX 1024u

void flow_deliver(const struct flow_pkt *pk, const uint8_t *p, uint32_t n, uint8_t flags)
{
	struct np_flow_msg m;

	if (!pk->sink || !pk->sink->sip)
		return;
	m.data = p;
	m.len = n;
	m.segment = pk->segment;
	m.dir = pk->dir;
	m.proto = pk->proto;
	m.flags = flags;
	m.sport = pk->pi->sport;
	m.dport = pk->pi->dport;
	m.src = pk->pi->src;
	m.dst = pk->pi->dst;
	m.ts_ns = pk->now_ns;
	pk->sink->sip(pk->sink->ctx, &m);
}

static inline uint8_t *buf_data(struct np_flow_table *t, uint32_t b)
{
	return t->pool + (size_t)b * NP_FLOW_REASM_BUF_LEN;
}

void flow_reasm_drop(struct np_flow_table *t, struct flow_cold *c, unsigned int d)
{
	if (c->buf[d]) {
		t->buf_free[t->n_buf_free++] = c->buf[d] - 1;
		t->stats.reasm_buffers_in_use--;
		c->buf[d] = 0;
	}
	c->skip[d] = 0;
}

static inline void enter_resync(struct flow_hot *e, unsigned int d, bool sol)
{
	e->dflags[d] =
		(uint8_t)((e->dflags[d] & ~FLOW_D_SOL) | FLOW_D_RESYNC | (sol ? FLOW_D_SOL : 0));
}

/* Unframable data at the current position: count it, look for the next start line. */
static uint32_t bad_frame(struct np_flow_table *t, struct flow_hot *e, struct flow_cold *c,
			  unsigned int d)
{
	t->stats.reasm_bad_frames++;
	flow_reasm_drop(t, c, d);
	enter_resync(e, d, false);
	return 0;
}

bool flow_maybe_sip(const uint8_t *p, uint32_t n)
{
	uint32_t i = 0, lim;

	while (i < n && (p[i] == '\r' || p[i] == '\n'))
		i++;
	if (i == n)
		return true;
	if (p[i] < 'A' || p[i] > 'Z')
		return false;
	lim = n - i < FLOW_START_LINE_MAX ? n - i : FLOW_START_LINE_MAX;
	if (!memchr(p + i, '\n', lim))
		return n - i < FLOW_START_LINE_MAX;
	return np_sip_looks_like_sip(p + i, n - i);
}

/*
 * Offset of the first line in [p, p+n) that starts like a SIP message; the
 * line at offset 0 counts only when @p sol. -1 when none.
 */
static int64_t resync_find(const uint8_t *p, uint32_t n, bool sol)
{
	uint32_t i = 0;
	const uint8_t *nl;

	if (!sol) {
		nl = memchr(p, '\n', n);
		if (!nl)
			return -1;
		i = (uint32_t)(nl - p) + 1;
	}
	while (i < n) {
		if (p[i] >= 'A' && p[i] <= 'Z' && np_sip_looks_like_sip(p + i, n - i))
			return i;
		nl = memchr(p + i, '\n', n - i);
		if (!nl)
			return -1;
		i = (uint32_t)(nl - p) + 1;
	}
	return -1;
}

/* No partial message held: deliver complete messages, keep a cut one. @return bytes used. */
static uint32_t frame_in_place(struct np_flow_table *t, struct flow_hot *e, struct flow_cold *c,
			       unsigned int d, const uint8_t *p, uint32_t n,
			       const struct flow_pkt *pk)
{
	struct np_sip_frame_info fi;
	uint32_t b;

	switch (np_sip_frame(p, n, &fi)) {
	case NP_SIP_FRAME_KEEPALIVE:
		return fi.msg_len;
	case NP_SIP_FRAME_COMPLETE:
		t->stats.reasm_msgs_in_place++;
		flow_deliver(pk, p, fi.msg_len, 0);
		return fi.msg_len;
	case NP_SIP_FRAME_NEED_MORE:
		if (fi.hdr_len) {
			if (fi.msg_len > NP_FLOW_REASM_BUF_LEN) {
				/* deliver the header section, skip the body as it passes */
				t->stats.reasm_oversize++;
				flow_deliver(pk, p, fi.hdr_len, NP_FLOW_MSG_F_BODY_SKIPPED);
				c->skip[d] = fi.msg_len - n;
				return n;
			}
		} else if (!flow_maybe_sip(p, n)) {
			return bad_frame(t, e, c, d);
		}
		if (FLOW_UNLIKELY(n > NP_FLOW_REASM_BUF_LEN)) {
			t->stats.reasm_oversize++;
			enter_resync(e, d, false);
			return n;
		}
		if (!t->n_buf_free) {
			t->stats.reasm_pool_exhausted++;
			enter_resync(e, d, false);
			return n;
		}
		b = t->buf_free[--t->n_buf_free];
		t->stats.reasm_buffers_in_use++;
		memcpy(buf_data(t, b), p, n);
		t->buf_len[b] = n;
		c->buf[d] = b + 1;
		return n;
	default:
		if (fi.err == NP_SIP_E_HEADER_TOO_LONG) {
			t->stats.reasm_oversize++;
			enter_resync(e, d, false);
			return 0;
		}
		if (fi.err == NP_SIP_E_BAD_START_LINE)
			return bad_frame(t, e, c, d);
		t->stats.reasm_bad_frames++;
		if (fi.hdr_len && fi.hdr_len <= n) {
			/* the headers are fine, only the length is not: hand them out */
			flow_deliver(pk, p, fi.hdr_len, NP_FLOW_MSG_F_BAD_LENGTH);
			enter_resync(e, d, true);
			return fi.hdr_len;
		}
		enter_resync(e, d, false);
		return 0;
	}
}

/* A partial message is held: append, and see whether it is complete. @return bytes used. */
static uint32_t feed_buffer(struct np_flow_table *t, struct flow_hot *e, struct flow_cold *c,
			    unsigned int d, const uint8_t *p, uint32_t n, const struct flow_pkt *pk)
{
	uint32_t b = c->buf[d] - 1, len = t->buf_len[b];
	uint32_t a = NP_FLOW_REASM_BUF_LEN - len;
	uint8_t *buf = buf_data(t, b);
	struct np_sip_frame_info fi;
	int r;

	if (a > n)
		a = n;
	memcpy(buf + len, p, a);
	r = np_sip_frame(buf, len + a, &fi);
	switch (r) {
	case NP_SIP_FRAME_COMPLETE:
		/* the held bytes did not frame, so the message ends in the new ones */
		if (fi.msg_len <= len) {
			bad_frame(t, e, c, d);
			return a;
		}
		t->stats.reasm_msgs_reassembled++;
		flow_deliver(pk, buf, fi.msg_len, NP_FLOW_MSG_F_REASSEMBLED);
		flow_reasm_drop(t, c, d);
		return fi.msg_len - len;
	case NP_SIP_FRAME_NEED_MORE:
		if (fi.hdr_len) {
			if (fi.msg_len > NP_FLOW_REASM_BUF_LEN) {
				t->stats.reasm_oversize++;
				flow_deliver(pk, buf, fi.hdr_len,
					     NP_FLOW_MSG_F_REASSEMBLED |
						     NP_FLOW_MSG_F_BODY_SKIPPED);
				flow_reasm_drop(t, c, d);
				c->skip[d] = fi.msg_len - (len + a);
				return a;
			}
		} else if (!flow_maybe_sip(buf, len + a)) {
			bad_frame(t, e, c, d);
			return a;
		}
		if (FLOW_UNLIKELY(a < n)) {
			/* cannot happen while the buffer holds NP_SIP_MAX_HDR_LEN */
			t->stats.reasm_oversize++;
			flow_reasm_drop(t, c, d);
			enter_resync(e, d, false);
			return a;
		}
		t->buf_len[b] = len + a;
		return a;
	case NP_SIP_FRAME_ERROR:
		if (fi.err == NP_SIP_E_HEADER_TOO_LONG) {
			t->stats.reasm_oversize++;
			flow_reasm_drop(t, c, d);
			enter_resync(e, d, false);
			return a;
		}
		if (fi.hdr_len > len && fi.hdr_len <= len + a) {
			t->stats.reasm_bad_frames++;
			flow_deliver(pk, buf, fi.hdr_len,
				     NP_FLOW_MSG_F_REASSEMBLED | NP_FLOW_MSG_F_BAD_LENGTH);
			flow_reasm_drop(t, c, d);
			enter_resync(e, d, true);
			return fi.hdr_len - len;
		}
		bad_frame(t, e, c, d);
		return a;
	default: /* keep-alive inside a held message: not SIP framing */
		bad_frame(t, e, c, d);
		return a;
	}
}

static void stream_data(struct np_flow_table *t, struct flow_hot *e, struct flow_cold *c,
			unsigned int d, const uint8_t *p, uint32_t n, const struct flow_pkt *pk)
{
	while (n) {
		uint32_t k;

		if (c->skip[d]) {
			k = c->skip[d] < n ? c->skip[d] : n;
			c->skip[d] -= k;
		} else if (e->dflags[d] & FLOW_D_RESYNC) {
			int64_t off = resync_find(p, n, e->dflags[d] & FLOW_D_SOL);

			if (off < 0) {
				e->dflags[d] = (uint8_t)((e->dflags[d] & ~FLOW_D_SOL) |
							 (p[n - 1] == '\n' ? FLOW_D_SOL : 0));
				return;
			}
			e->dflags[d] &= (uint8_t) ~(FLOW_D_RESYNC | FLOW_D_SOL);
			t->stats.reasm_resyncs++;
			k = (uint32_t)off;
		} else if (c->buf[d]) {
			k = feed_buffer(t, e, c, d, p, n, pk);
		} else {
			k = frame_in_place(t, e, c, d, p, n, pk);
		}
		p += k;
		n -= k;
	}
}

void flow_reasm_data(struct np_flow_table *t, uint32_t idx, uint32_t seq, const uint8_t *p,
		     uint32_t n, const struct flow_pkt *pk)
{
	struct flow_hot *e = &t->hot[idx];
	struct flow_cold *c = &t->cold[idx];
	unsigned int d = pk->dir;

	if (e->dflags[d] & FLOW_D_SEQ) {
		uint32_t ahead = seq - c->next_seq[d];
		uint32_t behind = c->next_seq[d] - seq;

		if (ahead != 0 && behind <= FLOW_SEQ_WINDOW) {
			/* old data: a retransmission, maybe with new bytes at its end */
			t->stats.reasm_retransmits++;
			if (behind >= n)
				return;
			p += behind;
			n -= behind;
			seq += behind;
		} else if (ahead != 0) {
			/* lost or reordered data: the partial message cannot be completed */
			t->stats.reasm_gaps++;
			flow_reasm_drop(t, c, d);
			enter_resync(e, d, true);
		}
	}
	c->next_seq[d] = seq + n;
	e->dflags[d] |= FLOW_D_SEQ;
	if (pk->sink && pk->sink->sip_stream)
		pk->sink->sip_stream(pk->sink->ctx);
	stream_data(t, e, c, d, p, n, pk);
}
