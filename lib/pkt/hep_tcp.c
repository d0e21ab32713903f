/* SPDX-License-Identifier: BSD-3-Clause */
/* HEP over TCP in a capture: connections followed in order, cut by np_hep_cut(). */

#include <stdlib.h>
#include <string.h>

#include "np_hep_tcp.h"
#include "np_hep_wire.h"

#define BUF_LEN 65536u	      /* > the longest HEP packet (16-bit length) */
#define SEQ_WINDOW (1u << 30) /* further back than this is a jump, not a retransmission */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04

struct held {
	uint32_t seq, len;
	uint64_t ts_ns; /* when it was captured */
	uint8_t *data;
};

struct stream {
	bool used;
	bool fin;		 /* fin_seq is where the agent's bytes end */
	uint8_t state;		 /* enum np_hep_tcp_class: what the connection is known to be */
	bool syn;		 /* its SYN was seen: next is its first data byte until data */
	uint8_t probes;		 /* data segments seen while undecided (begun mid-stream) */
	uint32_t skipped;	 /* their bytes, skipped if it turns out to be HEP */
	struct np_addr src, dst; /* the agent, the collector */
	uint16_t sport, dport;
	uint32_t next; /* sequence number of the next byte to read */
	uint32_t fin_seq;
	uint32_t len; /* bytes in buf: the start of a packet not yet whole */
	uint64_t last_ns;
	uint8_t *buf; /* BUF_LEN bytes */
	unsigned int n_held;
	uint32_t held_bytes;
	struct held held[NP_HEP_TCP_HOLD];
};

struct np_hep_tcp {
	np_hep_tcp_fn fn;
	void *ctx;
	uint64_t ts_ns; /* of the segment being read: the time of what it completes */
	unsigned int n;
	struct stream *s;
	struct np_hep_tcp_stats st;
};

static void packet(void *ctx, const uint8_t *p, size_t n)
{
	struct np_hep_tcp *t = ctx;

	t->st.packets++;
	t->fn(t->ctx, p, n, t->ts_ns);
}

/* In-order bytes: appended to what waits, whole packets handed out. */
static void append(struct np_hep_tcp *t, struct stream *s, const uint8_t *p, uint32_t n)
{
	s->next += n;
	while (n > 0) {
		uint32_t k = BUF_LEN - s->len < n ? BUF_LEN - s->len : n;
		size_t used;

		memcpy(s->buf + s->len, p, k);
		s->len += k;
		p += k;
		n -= k;
		used = np_hep_cut(s->buf, s->len, packet, t, &t->st.resync_bytes);
		if (used > 0) {
			memmove(s->buf, s->buf + used, s->len - used);
			s->len -= (uint32_t)used;
		}
		if (s->len == BUF_LEN) { /* cannot be: a packet is < 64 KiB */
			t->st.resync_bytes += s->len;
			s->len = 0;
		}
	}
}

/* A segment's bytes at @p seq: the part not read yet, if it is next. @return false: ahead. */
static bool take(struct np_hep_tcp *t, struct stream *s, uint32_t seq, const uint8_t *p, uint32_t n)
{
	uint32_t behind = s->next - seq;

	if (seq != s->next && behind <= SEQ_WINDOW) { /* old bytes, maybe new ones at its end */
		t->st.retransmits++;
		if (behind >= n)
			return true;
		p += behind;
		n -= behind;
	} else if (seq != s->next) {
		return false;
	}
	append(t, s, p, n);
	return true;
}

static void release(struct stream *s, unsigned int i)
{
	s->held_bytes -= s->held[i].len;
	free(s->held[i].data);
	s->held[i] = s->held[--s->n_held];
}

/* Read the held segments that are now next. */
static void drain(struct np_hep_tcp *t, struct stream *s, bool reordered)
{
	bool again = true;

	while (again) {
		again = false;
		for (unsigned int i = 0; i < s->n_held; i++) {
			struct held *h = &s->held[i];

			if (h->seq - s->next <= SEQ_WINDOW && h->seq != s->next)
				continue; /* still ahead */
			if (reordered)
				t->st.reordered++;
			take(t, s, h->seq, h->data, h->len);
			release(s, i);
			again = true;
			break;
		}
	}
}

/* The bytes before the nearest held segment will not come: skip them. */
static void skip_gap(struct np_hep_tcp *t, struct stream *s, uint32_t to)
{
	t->st.gaps++;
	t->st.gap_bytes += to - s->next;
	t->st.cut_bytes += s->len; /* the packet the gap cut */
	s->len = 0;
	s->next = to;
}

static uint32_t nearest_held(const struct stream *s)
{
	uint32_t best = s->held[0].seq;

	for (unsigned int i = 1; i < s->n_held; i++)
		if (s->held[i].seq - s->next < best - s->next)
			best = s->held[i].seq;
	return best;
}

static uint64_t oldest_held(const struct stream *s)
{
	uint64_t t = s->held[0].ts_ns;

	for (unsigned int i = 1; i < s->n_held; i++)
		if (s->held[i].ts_ns < t)
			t = s->held[i].ts_ns;
	return t;
}

/* End a connection: what it holds read past its gaps, what is unfinished counted. */
static void end_stream(struct np_hep_tcp *t, struct stream *s)
{
	while (s->n_held > 0) {
		skip_gap(t, s, nearest_held(s));
		drain(t, s, false);
	}
	t->st.cut_bytes += s->len;
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

static struct stream *find(struct np_hep_tcp *t, const struct np_addr *src,
			   const struct np_addr *dst, uint16_t sport, uint16_t dport)
{
	for (unsigned int i = 0; i < t->n; i++) {
		struct stream *s = &t->s[i];

		if (s->used && s->sport == sport && s->dport == dport &&
		    memcmp(&s->src, src, sizeof(*src)) == 0 &&
		    memcmp(&s->dst, dst, sizeof(*dst)) == 0)
			return s;
	}
	return NULL;
}

static struct stream *open_stream(struct np_hep_tcp *t, const struct np_pkt_info *pi)
{
	struct stream *s = NULL;

	for (unsigned int i = 0; i < t->n && s == NULL; i++)
		if (!t->s[i].used)
			s = &t->s[i];
	if (s == NULL) { /* full: the least recently active makes room */
		s = &t->s[0];
		for (unsigned int i = 1; i < t->n; i++)
			if (t->s[i].last_ns < s->last_ns)
				s = &t->s[i];
		if (s->state == NP_HEP_TCP_CARRIER)
			t->st.evicted++;
		end_stream(t, s);
	}
	s->buf = malloc(BUF_LEN);
	if (s->buf == NULL)
		return NULL;
	s->used = true;
	s->src = pi->src;
	s->dst = pi->dst;
	s->sport = pi->sport;
	s->dport = pi->dport;
	return s;
}

/* A segment ahead of the next byte: held, or (no room) the gap before it skipped. */
static void ahead(struct np_hep_tcp *t, struct stream *s, uint32_t seq, const uint8_t *p,
		  uint32_t n)
{
	while (s->n_held > 0 &&
	       (s->n_held == NP_HEP_TCP_HOLD || s->held_bytes + n > NP_HEP_TCP_HOLD_BYTES)) {
		skip_gap(t, s, nearest_held(s));
		drain(t, s, false);
		if (take(t, s, seq, p, n)) {
			drain(t, s, false);
			return;
		}
	}
	if (seq - s->next > SEQ_WINDOW) { /* a jump, not a reordering */
		skip_gap(t, s, seq);
		take(t, s, seq, p, n);
		return;
	}
	s->held[s->n_held].data = malloc(n);
	if (s->held[s->n_held].data == NULL) {
		skip_gap(t, s, seq);
		take(t, s, seq, p, n);
		return;
	}
	memcpy(s->held[s->n_held].data, p, n);
	s->held[s->n_held].seq = seq;
	s->held[s->n_held].len = n;
	s->held[s->n_held].ts_ns = t->ts_ns;
	s->held_bytes += n;
	s->n_held++;
}

/* Where "HEP3" is in [p, p+n), or -1. */
static long find_magic(const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i + 4 <= n; i++)
		if (p[i] == 'H' && memcmp(p + i, "HEP3", 4) == 0)
			return (long)i;
	return -1;
}

/*
 * A data segment of a connection not known to be HEP yet: decide. A
 * connection whose start was seen is HEP when its first byte starts "HEP3";
 * one begun before the capture (or whose start is missing) when one of its
 * first NP_HEP_TCP_PROBES data segments holds "HEP3".
 */
static int decide(struct np_hep_tcp *t, struct stream *s, uint32_t seq, const uint8_t *p,
		  uint32_t n)
{
	if (s->syn && seq == s->next) {
		if (memcmp(p, "HEP3", n < 4 ? n : 4) != 0)
			return NP_HEP_TCP_NOT_HEP;
	} else if (find_magic(p, n) < 0) {
		s->skipped += n;
		return ++s->probes >= NP_HEP_TCP_PROBES ? NP_HEP_TCP_NOT_HEP : NP_HEP_TCP_UNDECIDED;
	} else if (!s->syn) {
		t->st.midstream++;
		t->st.resync_bytes += s->skipped; /* the segments before: inside a packet */
		s->next = seq;
	}
	t->st.connections++;
	return NP_HEP_TCP_CARRIER;
}

int np_hep_tcp_segment(struct np_hep_tcp *t, const struct np_pkt_info *pi, const uint8_t *payload,
		       uint32_t len, bool to_port, uint64_t ts_ns)
{
	struct stream *s;
	uint32_t seq = pi->tcp_seq;
	int state;

	t->ts_ns = ts_ns;
	if (!to_port) { /* the collector's side: its RST ends the connection */
		s = find(t, &pi->dst, &pi->src, pi->dport, pi->sport);
		if (s == NULL)
			return NP_HEP_TCP_UNDECIDED;
		state = s->state;
		if (pi->tcp_flags & TCP_RST)
			end_stream(t, s);
		return state;
	}
	s = find(t, &pi->src, &pi->dst, pi->sport, pi->dport);
	if (pi->tcp_flags & TCP_RST) {
		if (s == NULL)
			return NP_HEP_TCP_UNDECIDED;
		state = s->state;
		end_stream(t, s);
		return state;
	}
	if (pi->tcp_flags & TCP_SYN) {
		if (s != NULL && s->syn && s->next == seq + 1 && s->state == NP_HEP_TCP_UNDECIDED)
			return NP_HEP_TCP_UNDECIDED; /* the SYN again */
		if (s != NULL)
			end_stream(t, s); /* a new connection on the same ports */
		s = open_stream(t, pi);
		if (s == NULL)
			return NP_HEP_TCP_UNDECIDED;
		s->syn = true;
		s->next = seq + 1;
		seq++;
	} else if (s == NULL) {
		if (len == 0)
			return NP_HEP_TCP_UNDECIDED; /* an ACK: nothing to follow yet */
		s = open_stream(t, pi);
		if (s == NULL)
			return NP_HEP_TCP_UNDECIDED;
		s->next = seq;
	}
	s->last_ns = ts_ns;
	if (s->state == NP_HEP_TCP_NOT_HEP) {
		if (pi->tcp_flags & TCP_FIN)
			end_stream(t, s);
		return NP_HEP_TCP_NOT_HEP;
	}
	if (s->state == NP_HEP_TCP_UNDECIDED && len > 0) {
		s->state = (uint8_t)decide(t, s, seq, payload, len);
		if (s->state == NP_HEP_TCP_NOT_HEP) {
			free(s->buf); /* followed no further: its frames are ordinary traffic */
			s->buf = NULL;
			if (pi->tcp_flags & TCP_FIN)
				end_stream(t, s);
			return NP_HEP_TCP_NOT_HEP;
		}
	}
	if (s->state == NP_HEP_TCP_UNDECIDED) {
		if (pi->tcp_flags & TCP_FIN)
			end_stream(t, s);
		return NP_HEP_TCP_UNDECIDED;
	}
	while (s->n_held > 0 && ts_ns > oldest_held(s) + NP_HEP_TCP_HOLD_NS) {
		skip_gap(t, s, nearest_held(s)); /* waited too long: not a reordering, a loss */
		drain(t, s, false);
	}
	if (len > 0) {
		t->st.segments++;
		if (take(t, s, seq, payload, len))
			drain(t, s, true);
		else
			ahead(t, s, seq, payload, len);
	}
	if (pi->tcp_flags & TCP_FIN) {
		s->fin = true;
		s->fin_seq = seq + len;
	}
	if (s->fin && s->next == s->fin_seq && s->n_held == 0)
		end_stream(t, s);
	return NP_HEP_TCP_CARRIER;
}

void np_hep_tcp_finish(struct np_hep_tcp *t, uint64_t ts_ns)
{
	t->ts_ns = ts_ns;
	for (unsigned int i = 0; i < t->n; i++)
		if (t->s[i].used)
			end_stream(t, &t->s[i]);
}

struct np_hep_tcp *np_hep_tcp_create(unsigned int max_streams, np_hep_tcp_fn fn, void *ctx)
{
	struct np_hep_tcp *t;

	if (max_streams == 0 || max_streams > NP_HEP_TCP_MAX_STREAMS || fn == NULL)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->s = calloc(max_streams, sizeof(*t->s));
	if (t->s == NULL) {
		free(t);
		return NULL;
	}
	t->n = max_streams;
	t->fn = fn;
	t->ctx = ctx;
	return t;
}

const struct np_hep_tcp_stats *np_hep_tcp_stats(const struct np_hep_tcp *t)
{
	return &t->st;
}

void np_hep_tcp_destroy(struct np_hep_tcp *t)
{
	if (t == NULL)
		return;
	for (unsigned int i = 0; i < t->n; i++) {
		for (unsigned int k = 0; k < t->s[i].n_held; k++)
			free(t->s[i].held[k].data);
		free(t->s[i].buf);
	}
	free(t->s);
	free(t);
}
