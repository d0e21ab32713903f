/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-frame entry: flow lookup, TCP state and events, fingerprints, UDP SIP. */

#include <errno.h>
#include <string.h>

#include "flow_internal.h"
#include "np_tunnel.h"

/* Sequence distance below which a SYN counts as old (a retransmission), not a new ISN. */
#define FLOW_SYN_WINDOW (1u << 30)

/* Reorder the flow in its list when its position is older than the list's quantum. */
static inline void flow_touch(struct np_flow_table *t, uint32_t idx, uint64_t now_ns)
{
	struct flow_hot *e = &t->hot[idx];

	if (now_ns > e->last_ns && now_ns - e->last_ns >= t->quantum[e->lst])
		flow_move(t, idx, e->lst, now_ns);
}

static void emit_fingerprint(struct np_flow_table *t, const struct flow_hot *e, unsigned int dir,
			     const uint8_t *p, uint32_t n, uint32_t seq, uint64_t now_ns,
			     const struct np_flow_sink *sink)
{
	struct np_flow_event ev;

	t->stats.fingerprints++;
	if (!sink || !sink->event)
		return;
	flow_event_init(e, &ev, NP_FLOW_EV_FINGERPRINT, now_ns);
	ev.dir = (uint8_t)dir;
	ev.fp.hash = np_flow_fp_hash(p, n < NP_FLOW_FP_BYTES ? n : NP_FLOW_FP_BYTES);
	ev.fp.len = n;
	ev.fp.seq = seq;
	sink->event(sink->ctx, &ev);
}

/* ---- TCP ------------------------------------------------------------------------------------- */

static inline bool tcp_pending(const struct flow_hot *e)
{
	return e->state == NP_FLOW_TCP_SYN_SENT || e->state == NP_FLOW_TCP_UNANSWERED;
}

static inline bool tcp_open(const struct flow_hot *e)
{
	return e->state == NP_FLOW_TCP_ESTABLISHED || e->state == NP_FLOW_TCP_MIDSTREAM;
}

static void tcp_refused(struct np_flow_table *t, uint32_t idx, const struct np_pkt_info *pi,
			unsigned int reason, uint64_t now_ns, const struct np_flow_sink *sink)
{
	struct flow_hot *e = &t->hot[idx];
	uint64_t syn_ns = t->cold[idx].syn_ns;
	struct np_flow_event ev;

	flow_event_init(e, &ev, NP_FLOW_EV_TCP_REFUSED, now_ns);
	ev.refused.syn_ns = syn_ns;
	ev.refused.delay_ns = now_ns > syn_ns ? now_ns - syn_ns : 0;
	ev.refused.reason = (uint8_t)reason;
	ev.refused.syn_retx = e->syn_retx;
	if (reason == NP_FLOW_REFUSED_ICMP) {
		ev.refused.icmp_type = pi->icmp_type;
		ev.refused.icmp_code = pi->icmp_code;
		t->stats.tcp_refused_icmp++;
	} else {
		t->stats.tcp_refused_rst++;
	}
	e->state = NP_FLOW_TCP_REFUSED;
	flow_move(t, idx, FLOW_LST_GRACE, now_ns);
	flow_emit(sink, &ev);
}

static void tcp_closed(struct np_flow_table *t, uint32_t idx, unsigned int dir, unsigned int reason,
		       uint64_t now_ns, const struct np_flow_sink *sink)
{
	struct flow_hot *e = &t->hot[idx];
	struct np_flow_event ev;

	flow_event_init(e, &ev, NP_FLOW_EV_CLOSED, now_ns);
	ev.dir = (uint8_t)dir;
	ev.closed.reason = (uint8_t)reason;
	e->state = NP_FLOW_TCP_CLOSED;
	t->stats.tcp_closed++;
	flow_move(t, idx, FLOW_LST_GRACE, now_ns);
	flow_emit(sink, &ev);
}

/* A new flow for a TCP packet; pure RSTs never get here. */
static uint32_t tcp_new(struct np_flow_table *t, const struct flow_key *k, bool side,
			const struct np_pkt_info *pi, uint64_t now_ns,
			const struct np_flow_sink *sink)
{
	uint8_t fl = pi->tcp_flags & (TCP_SYN | TCP_ACK);
	struct flow_hot *e;
	struct flow_cold *c;
	uint32_t idx;

	if (fl == TCP_SYN) {
		idx = flow_create(t, k, side, FLOW_LST_SYN, now_ns, sink);
		e = &t->hot[idx];
		c = &t->cold[idx];
		e->state = NP_FLOW_TCP_SYN_SENT;
		c->next_seq[0] = pi->tcp_seq + 1;
		e->dflags[0] |= FLOW_D_SEQ;
		return idx;
	}
	/* a SYN-ACK seen first: its receiver initiated the connection */
	idx = flow_create(t, k, fl == (TCP_SYN | TCP_ACK) ? !side : side, FLOW_LST_TCP, now_ns,
			  sink);
	e = &t->hot[idx];
	e->state = NP_FLOW_TCP_MIDSTREAM;
	if (fl == (TCP_SYN | TCP_ACK)) {
		t->cold[idx].next_seq[1] = pi->tcp_seq + 1;
		e->dflags[1] |= FLOW_D_SEQ;
	}
	return idx;
}

/* A SYN or SYN-ACK on an existing flow. @return the flow's index (a new one on reuse). */
static uint32_t tcp_syn(struct np_flow_table *t, uint32_t idx, unsigned int dir,
			const struct flow_key *k, bool side, const struct np_pkt_info *pi,
			uint64_t now_ns, const struct np_flow_sink *sink)
{
	struct flow_hot *e = &t->hot[idx];
	struct flow_cold *c = &t->cold[idx];
	struct np_flow_event ev;

	if (pi->tcp_flags & TCP_ACK) {
		bool answerable = tcp_pending(e) || e->state == NP_FLOW_TCP_REFUSED;

		if (dir != 1 || !answerable || pi->tcp_ack != c->next_seq[0])
			return idx; /* retransmitted or unrelated SYN-ACK */
		flow_event_init(e, &ev, NP_FLOW_EV_TCP_ESTABLISHED, now_ns);
		ev.est.syn_ns = c->syn_ns;
		ev.est.synack_ns = now_ns;
		ev.est.syn_retx = e->syn_retx;
		e->state = NP_FLOW_TCP_ESTABLISHED;
		c->next_seq[1] = pi->tcp_seq + 1;
		e->dflags[1] |= FLOW_D_SEQ;
		t->stats.tcp_established++;
		flow_move(t, idx, FLOW_LST_TCP, now_ns);
		flow_emit(sink, &ev);
		return idx;
	}
	if (tcp_pending(e)) {
		if (dir == 0) {
			/* same attempt: a retransmission (a new ISN here is a quick retry) */
			c->next_seq[0] = pi->tcp_seq + 1;
			if (e->syn_retx < UINT8_MAX)
				e->syn_retx++;
			t->stats.tcp_syn_retransmits++;
		}
		return idx; /* dir 1: simultaneous open, not tracked */
	}
	switch (e->state) {
	case NP_FLOW_TCP_REFUSED:
		/* the refused SYN again (after an ICMP error the client may retry it) */
		if (dir == 0 && pi->tcp_seq + 1 == c->next_seq[0]) {
			if (e->syn_retx < UINT8_MAX)
				e->syn_retx++;
			t->stats.tcp_syn_retransmits++;
			return idx;
		}
		break;
	case NP_FLOW_TCP_ESTABLISHED:
	case NP_FLOW_TCP_MIDSTREAM:
		/* a late copy of the connection's own SYN: behind what was sent since */
		if ((e->dflags[dir] & FLOW_D_SEQ) &&
		    c->next_seq[dir] - (pi->tcp_seq + 1) <= FLOW_SYN_WINDOW)
			return idx;
		break;
	default:
		break; /* closed: the tuple is being used again */
	}
	/* a new connection on this tuple: the old flow ends, the SYN's sender initiates */
	flow_remove(t, idx, NP_FLOW_EXP_REUSED, now_ns, sink);
	return tcp_new(t, k, side, pi, now_ns, sink);
}

static void tcp_rst(struct np_flow_table *t, uint32_t idx, unsigned int dir,
		    const struct np_pkt_info *pi, uint64_t now_ns, const struct np_flow_sink *sink)
{
	const struct flow_hot *e = &t->hot[idx];

	if (tcp_pending(e)) {
		if (dir == 1 &&
		    (!(pi->tcp_flags & TCP_ACK) || pi->tcp_ack == t->cold[idx].next_seq[0]))
			tcp_refused(t, idx, pi, NP_FLOW_REFUSED_RST, now_ns, sink);
	} else if (tcp_open(e)) {
		tcp_closed(t, idx, dir, NP_FLOW_CLOSE_RST, now_ns, sink);
	}
}

/* A TLS record header: content type 20..24, version 3.x (SSL 3.0 to TLS 1.3). */
static inline bool is_tls_record(const uint8_t *p, uint32_t n)
{
	return n >= 3 && p[0] >= 0x14 && p[0] <= 0x18 && p[1] == 0x03 && p[2] <= 0x04;
}

static void tcp_payload(struct np_flow_table *t, uint32_t idx, unsigned int dir, uint8_t segment,
			const struct np_pkt_info *pi, const uint8_t *p, uint32_t n, uint64_t now_ns,
			const struct np_flow_sink *sink)
{
	struct flow_hot *e = &t->hot[idx];
	uint32_t seq = pi->tcp_seq + ((pi->tcp_flags & TCP_SYN) ? 1 : 0);
	struct flow_pkt pk;

	if (!(e->dflags[dir] & FLOW_D_STARTED)) {
		bool sip = np_sip_looks_like_sip(p, n);

		e->dflags[dir] |= FLOW_D_STARTED;
		emit_fingerprint(t, e, dir, p, n, seq, now_ns, sink);
		if (sip && !(e->flags & FLOW_F_SIP)) {
			e->flags |= FLOW_F_SIP;
			/* the other side already spoke: find its next message start */
			if (e->dflags[!dir] & FLOW_D_STARTED)
				e->dflags[!dir] =
					(uint8_t)((e->dflags[!dir] & ~FLOW_D_SEQ & ~FLOW_D_SOL) |
						  FLOW_D_RESYNC);
		} else if ((e->flags & FLOW_F_SIP) && !(e->dflags[!dir] & FLOW_D_STARTED) &&
			   is_tls_record(p, n)) {
			/* SIP over TLS opens with a TLS record: nothing to frame, ever */
			e->flags &= (uint8_t)~FLOW_F_SIP;
		} else if ((e->flags & FLOW_F_SIP) && !flow_maybe_sip(p, n)) {
			/* SIP port, not SIP here (mid-message pickup, binary): wait for a start */
			e->dflags[dir] |= FLOW_D_RESYNC | FLOW_D_SOL;
		}
	}
	if (!(e->flags & FLOW_F_SIP))
		return;
	pk.pi = pi;
	pk.sink = sink;
	pk.now_ns = now_ns;
	pk.segment = segment;
	pk.dir = (uint8_t)dir;
	pk.proto = NP_IPPROTO_TCP;
	flow_reasm_data(t, idx, seq, p, n, &pk);
}

/*
 * The flow of the frame @p pi: the one np_flow_fast() found for it (@p f),
 * else looked up by the key written to @p k (FLOW_NIL: none; @p k then makes
 * it). *side: the source is key side 1.
 */
static inline uint32_t frame_flow(struct np_flow_table *t, uint8_t segment, uint8_t proto,
				  const struct np_pkt_info *pi, const struct flow_found *f,
				  struct flow_key *k, bool *side)
{
	if (f != NULL) {
		*side = f->side;
		return f->idx;
	}
	*side = flow_key_make(k, segment, proto, &pi->src, pi->sport, &pi->dst, pi->dport);
	return flow_lookup(t, k);
}

static int process_tcp(struct np_flow_table *t, uint8_t segment, const struct np_pkt_info *pi,
		       const uint8_t *p, uint32_t n, uint64_t now_ns,
		       const struct np_flow_sink *sink, const struct flow_found *f)
{
	struct flow_key k;
	uint8_t fl = pi->tcp_flags;
	unsigned int dir;
	uint32_t idx;
	bool side;

	/* f: np_flow_fast() found the flow (no SYN, FIN, RST) */
	idx = frame_flow(t, segment, NP_IPPROTO_TCP, pi, f, &k, &side);
	if (idx == FLOW_NIL) {
		if (fl & TCP_RST)
			return -ENOTSUP;
		idx = tcp_new(t, &k, side, pi, now_ns, sink);
	} else {
		flow_touch(t, idx, now_ns);
		if (fl & TCP_RST) {
			dir = side != !!(t->hot[idx].flags & FLOW_F_INIT_B);
			tcp_rst(t, idx, dir, pi, now_ns, sink);
			return 0;
		}
		if (fl & TCP_SYN) {
			dir = side != !!(t->hot[idx].flags & FLOW_F_INIT_B);
			idx = tcp_syn(t, idx, dir, &k, side, pi, now_ns, sink);
		}
	}
	dir = side != !!(t->hot[idx].flags & FLOW_F_INIT_B);
	if (n)
		tcp_payload(t, idx, dir, segment, pi, p, n, now_ns, sink);
	if ((fl & TCP_FIN) && tcp_open(&t->hot[idx]))
		tcp_closed(t, idx, dir, NP_FLOW_CLOSE_FIN, now_ns, sink);
	return 0;
}

/* ---- UDP ------------------------------------------------------------------------------------- */

static bool only_crlf(const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

/*
 * A first datagram that says its direction of the flow carries no SIP: not a
 * SIP start (np_sip_looks_like_sip() is false: not CR, LF, '-' or an
 * upper-case letter), not a lower-case letter either, and not STUN (RFC 5389:
 * the two top bits 0 and the magic cookie, or the length field matching),
 * which RFC 5626 keep-alives put on a SIP flow, and at least 12 bytes. RTP,
 * DNS, QUIC, encrypted or zero-filled payloads are; nothing that shares a
 * 5-tuple with SIP is.
 */
static inline bool udp_never_sip(const uint8_t *p, uint32_t n)
{
	/*
	 * Shorter than an RTP header: a NAT keep-alive (four zero bytes, a space,
	 * "jaK") that UAs send on their SIP flow, maybe first after the flow aged
	 * out: never settles the direction.
	 */
	if (n < 12)
		return false;
	if (p[0] >= 'a' && p[0] <= 'z')
		return false;
	if ((p[0] & 0xc0) == 0 && n >= 20 &&
	    ((p[4] == 0x21 && p[5] == 0x12 && p[6] == 0xa4 && p[7] == 0x42) ||
	     ((uint32_t)p[2] << 8 | p[3]) + 20 == n))
		return false; /* STUN */
	return true;
}

static int process_udp(struct np_flow_table *t, uint8_t segment, const struct np_pkt_info *pi,
		       const uint8_t *p, uint32_t n, uint64_t now_ns,
		       const struct np_flow_sink *sink, const struct flow_found *f)
{
	struct flow_key k;
	struct flow_hot *e;
	unsigned int dir;
	uint32_t idx;
	bool sip, sip_port, side;

	idx = frame_flow(t, segment, NP_IPPROTO_UDP, pi, f, &k, &side);
	if (idx == FLOW_NIL)
		idx = flow_create(t, &k, side, FLOW_LST_UDP, now_ns, sink);
	else
		flow_touch(t, idx, now_ns);
	e = &t->hot[idx];
	dir = side != !!(e->flags & FLOW_F_INIT_B);
	/* the verdict on this direction: known not to carry SIP, nothing more to do */
	if (e->dflags[dir] & FLOW_D_NOT_SIP)
		return 0;
	if (!n)
		return 0;
	/*
	 * Each datagram is a message. Off the SIP ports it is SIP when its start
	 * line says so (np_sip_looks_like_sip()). On a SIP port every datagram
	 * that starts with a letter goes to the parser, which reads the start
	 * line anyway, so the signature is asked only of the others: one that
	 * cannot start a SIP message (STUN keep-alives of RFC 5626 start with
	 * 0x00/0x01, RTP with 0x80) is not SIP: counted, not delivered as an
	 * unparsable message.
	 */
	sip_port = (e->flags & FLOW_F_SIP_PORT) != 0;
	sip = sip_port ? p[0] >= 'A' && p[0] <= 'z' : np_sip_looks_like_sip(p, n);
	if (!(e->dflags[dir] & FLOW_D_STARTED)) {
		e->dflags[dir] |= FLOW_D_STARTED;
		emit_fingerprint(t, e, dir, p, n, 0, now_ns, sink);
		/* off the SIP ports, a first datagram that is no SIP settles the direction */
		if (!sip && !sip_port && udp_never_sip(p, n)) {
			e->dflags[dir] |= FLOW_D_NOT_SIP;
			return 0;
		}
	}
	if (p[0] <= '\r' && only_crlf(p, n))
		return 0; /* a keep-alive */
	if (sip_port && !sip) {
		if (!np_sip_looks_like_sip(p, n)) {
			t->stats.sip_udp_not_sip++;
			return 0;
		}
		sip = true; /* a SIP start after CR/LF, or '-' */
	}
	if (sip) {
		struct flow_pkt pk = {
			.pi = pi,
			.sink = sink,
			.now_ns = now_ns,
			.segment = segment,
			.dir = (uint8_t)dir,
			.proto = NP_IPPROTO_UDP,
		};

		t->stats.sip_udp_msgs++;
		flow_deliver(&pk, p, n, 0);
	}
	return 0;
}

/* ---- ICMP ------------------------------------------------------------------------------------ */

static int process_icmp(struct np_flow_table *t, uint8_t segment, const struct np_pkt_info *pi,
			uint64_t now_ns, const struct np_flow_sink *sink)
{
	struct flow_key k;
	bool side, unreach;
	uint32_t idx;

	unreach =
		pi->ip_version == 4 ? pi->icmp_type == 3 && pi->icmp_code != 4 : pi->icmp_type == 1;
	if (!unreach || !pi->icmp_inner.valid || pi->icmp_inner.proto != NP_IPPROTO_TCP)
		return -ENOTSUP;
	side = flow_key_make(&k, segment, NP_IPPROTO_TCP, &pi->icmp_inner.src, pi->icmp_inner.sport,
			     &pi->icmp_inner.dst, pi->icmp_inner.dport);
	idx = flow_lookup(t, &k);
	/* the quoted packet must be the initiator's (its SYN) and the attempt still pending */
	if (idx == FLOW_NIL || side != !!(t->hot[idx].flags & FLOW_F_INIT_B) ||
	    !tcp_pending(&t->hot[idx])) {
		t->stats.icmp_unmatched++;
		return 0;
	}
	tcp_refused(t, idx, pi, NP_FLOW_REFUSED_ICMP, now_ns, sink);
	return 0;
}

/*
 * np_flow_fast() once the key of a plain frame without SYN, FIN or RST is
 * made: the lookup, the verdict.
 */
static inline __attribute__((always_inline)) int flow_fast_probe(
	struct np_flow_table *t, uint8_t segment, const uint8_t *frame,
	const struct np_pkt_plain *pp, int cls, uint64_t now_ns, struct np_pkt_info *pi,
	uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3, uint64_t w4, uint32_t hash, bool side)
{
	const bool udp = cls == NP_PKT_UDP;
	const uint64_t tmask = flow_key_tail(0xffff, 0xffff, 0xff, 0xff);
	const struct flow_hot *e;
	unsigned int dir;
	uint32_t idx;

	for (uint32_t i = hash & t->mask;; i = (i + 1) & t->mask) {
		const struct flow_slot *sl = &t->slots[i];
		const uint8_t *q;

		idx = sl->idx;
		if (idx == FLOW_NIL)
			break;
		if (sl->hash != hash)
			continue;
		q = (const uint8_t *)&t->hot[idx];
		if (((flow_ld64(q) ^ w0) | (flow_ld64(q + 8) ^ w1) | (flow_ld64(q + 16) ^ w2) |
		     (flow_ld64(q + 24) ^ w3) | ((flow_ld64(q + 32) ^ w4) & tmask)) == 0)
			break;
	}
	if (FLOW_UNLIKELY(idx == FLOW_NIL)) {
		t->found.frame = NULL;
		goto whole;
	}
	e = &t->hot[idx];
	dir = side != !!(e->flags & FLOW_F_INIT_B);
	/*
	 * What process_udp() and process_tcp() would end with after the ageing
	 * touch: UDP, the direction's "not SIP" verdict or no payload; TCP, no
	 * payload, or payload of a direction already fingerprinted on a flow
	 * that is not SIP (tcp_payload() returns at once).
	 */
	if (pp->payload_len != 0 &&
	    (udp ? !(e->dflags[dir] & FLOW_D_NOT_SIP)
		 : !(e->dflags[dir] & FLOW_D_STARTED) || (e->flags & FLOW_F_SIP))) {
		/* the flow goes with the frame to np_flow_process() */
		t->found.frame = frame;
		t->found.idx = idx;
		t->found.segment = segment;
		t->found.cls = (uint8_t)cls;
		t->found.side = side;
		goto whole;
	}
	flow_touch(t, idx, now_ns);
	return cls;
whole:
	np_pkt_plain_info(frame, pp, cls, pi);
	return NP_FLOW_FAST_PARSED;
}

/* The key of a plain frame from its address words (IPv4: zero words as constants), the probe. */
static inline __attribute__((always_inline)) int flow_fast_find(
	struct np_flow_table *t, uint8_t segment, const uint8_t *frame,
	const struct np_pkt_plain *pp, int cls, uint64_t now_ns, struct np_pkt_info *pi,
	uint64_t s0, uint64_t s1, uint64_t d0, uint64_t d1, uint16_t sport, uint16_t dport)
{
	/* flow_key_make_words(), the key kept in registers */
	const bool side = s1 != d1 ? s1 > d1 : s0 != d0 ? s0 > d0 : sport > dport;
	const uint8_t proto = cls == NP_PKT_UDP ? NP_IPPROTO_UDP : NP_IPPROTO_TCP;
	const uint64_t w0 = side ? d0 : s0, w1 = side ? d1 : s1, w2 = side ? s0 : d0,
		       w3 = side ? s1 : d1,
		       w4 = side ? flow_key_tail(dport, sport, proto, segment)
				 : flow_key_tail(sport, dport, proto, segment);

	return flow_fast_probe(t, segment, frame, pp, cls, now_ns, pi, w0, w1, w2, w3, w4,
			       flow_hash_w(w0, w1, w2, w3, w4), side);
}

/* np_flow_fast() of one frame; inlined where the mode is a constant. */
static inline __attribute__((always_inline)) int flow_fast(struct np_flow_table *t, uint8_t segment,
							   const uint8_t *frame, uint32_t len,
							   unsigned int mode, uint64_t now_ns,
							   struct np_pkt_info *pi)
{
	struct np_pkt_plain pp;
	uint64_t s0, s1, d0, d1;
	uint16_t sport, dport;
	int cls = np_pkt_plain(frame, len, mode, &pp);

	if (FLOW_UNLIKELY(cls < 0)) {
		t->found.frame = NULL;
		return NP_FLOW_FAST_NOT_PLAIN;
	}
	sport = np_pkt_plain_sport(frame, &pp);
	dport = np_pkt_plain_dport(frame, &pp);
	/* a tunnel the caller may open; TCP set-up and tear-down: the whole way */
	if (FLOW_UNLIKELY(cls == NP_PKT_UDP ? dport == NP_TUNNEL_VXLAN_PORT
					    : (np_pkt_plain_tcp_flags(frame, &pp) &
					       (TCP_SYN | TCP_FIN | TCP_RST)))) {
		t->found.frame = NULL;
		np_pkt_plain_info(frame, &pp, cls, pi);
		return NP_FLOW_FAST_PARSED;
	}
	if (FLOW_LIKELY(pp.ip_version == 4)) {
		np_pkt_plain_addr_words(frame, &pp, false, &s0, &s1);
		np_pkt_plain_addr_words(frame, &pp, true, &d0, &d1);
		return flow_fast_find(t, segment, frame, &pp, cls, now_ns, pi, 0, s1, 0, d1, sport,
				      dport);
	}
	np_pkt_plain_addr_words(frame, &pp, false, &s0, &s1);
	np_pkt_plain_addr_words(frame, &pp, true, &d0, &d1);
	return flow_fast_find(t, segment, frame, &pp, cls, now_ns, pi, s0, s1, d0, d1, sport,
			      dport);
}

int np_flow_fast(struct np_flow_table *t, uint8_t segment, const uint8_t *frame, uint32_t len,
		 unsigned int mode, uint64_t now_ns, struct np_pkt_info *pi)
{
	return flow_fast(t, segment, frame, len, mode, now_ns, pi);
}

/* np_flow_fast_burst() for one mode: one copy of the loop per mode, the mode a constant in each. */
static inline __attribute__((always_inline)) unsigned int flow_fast_burst(
	struct np_flow_table *t, uint8_t segment, const uint8_t *const *frames,
	const uint32_t *lens, unsigned int n, unsigned int mode, uint64_t now_ns, uint64_t *ctr,
	struct np_pkt_info *pi, int *rc)
{
	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *f = frames[i];
		int c;

		if (FLOW_UNLIKELY(f == NULL)) {
			t->found.frame = NULL;
			*rc = NP_FLOW_FAST_NOT_PLAIN;
			return i;
		}
		c = flow_fast(t, segment, f, lens[i], mode, now_ns, pi);
		if (FLOW_UNLIKELY(c < 0)) {
			*rc = c;
			return i;
		}
		ctr[c]++;
	}
	return n;
}

unsigned int np_flow_fast_burst(struct np_flow_table *t, uint8_t segment,
				const uint8_t *const *frames, const uint32_t *lens, unsigned int n,
				unsigned int mode, uint64_t now_ns, uint64_t *ctr,
				struct np_pkt_info *pi, int *rc)
{
	if (mode == NP_PKT_CSUM_IGNORE)
		return flow_fast_burst(t, segment, frames, lens, n, NP_PKT_CSUM_IGNORE, now_ns, ctr,
				       pi, rc);
	return flow_fast_burst(t, segment, frames, lens, n, NP_PKT_CSUM_VERIFY, now_ns, ctr, pi,
			       rc);
}

int np_flow_process(struct np_flow_table *t, uint8_t segment, const struct np_pkt_info *pi,
		    const uint8_t *frame, uint64_t now_ns, const struct np_flow_sink *sink)
{
	const uint8_t *p;

	const struct flow_found *f = NULL;

	if (!t || !pi)
		return -EINVAL;
	/* np_flow_fast()'s lookup of this very frame, if it made one: taken once */
	if (t->found.frame != NULL) {
		if (t->found.frame == frame && t->found.segment == segment &&
		    t->found.cls == pi->cls)
			f = &t->found;
		t->found.frame = NULL;
	}
	p = frame ? frame + pi->payload_off : NULL;
	switch (pi->cls) {
	case NP_PKT_TCP:
		if (!frame && pi->payload_len)
			return -EINVAL;
		return process_tcp(t, segment, pi, p, pi->payload_len, now_ns, sink, f);
	case NP_PKT_UDP:
		if (!frame && pi->payload_len)
			return -EINVAL;
		return process_udp(t, segment, pi, p, pi->payload_len, now_ns, sink, f);
	case NP_PKT_ICMP:
		return process_icmp(t, segment, pi, now_ns, sink);
	case NP_PKT_TRUNCATED:
		/* snaplen-cut capture: the TCP header is there, the payload is not all there */
		if (pi->l4_proto == NP_IPPROTO_TCP && pi->l4_off &&
		    pi->payload_off >= pi->l4_off + 20u)
			return process_tcp(t, segment, pi, NULL, 0, now_ns, sink, NULL);
		return -ENOTSUP;
	default:
		return -ENOTSUP;
	}
}
