/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The offline pipeline: frames of every input in time order through the
 * parser, the decapsulator and the inspector; the warnings and the report.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_cli.h"
#include "np_hash.h"
#include "np_hep.h"
#include "offline_internal.h"

#define NP_OFFLINE_EXPIRE_EVERY 1024 /* frames between ageing steps */
#define NP_OFFLINE_EXPIRE_WORK 256

/* ---- reading ------------------------------------------------------------- */

/* The message input whose next event is earliest, or -1. */
static int next_log(const struct np_offline *o, uint64_t *ts)
{
	int best = -1;

	*ts = UINT64_MAX;
	for (unsigned int i = 0; i < o->n_inputs; i++) {
		uint64_t t;

		if (o->inputs[i].msg == NULL)
			continue;
		t = o->inputs[i].src->next_ts(o->inputs[i].msg);
		if (t < *ts) {
			*ts = t;
			best = (int)i;
		}
	}
	return best;
}

static void seen(struct np_offline *o, uint64_t ts_ns)
{
	if (o->first_ns == 0)
		o->first_ns = ts_ns;
	if (ts_ns > o->last_ns)
		o->last_ns = ts_ns;
}

/* An interface described after the first frame: its segment, -1 when not read. */
static int late_iface_segment(struct np_offline *o, struct np_offline_input *in, unsigned int iface)
{
	const struct np_capture_input *ci = o->cap.in[in->cap];

	if (in->default_map >= 0 && in->auto_named) {
		char sn[NP_NAME_MAX + 1], l[NP_PCAPNG_NAME_MAX + 16];
		int s;

		np_off_iface_seg_name(&ci->ifaces[iface], sn, sizeof(sn));
		if (sn[0] == '\0' || np_off_seg_find(o, sn) >= 0) {
			char stem[NP_NAME_MAX + 1];

			np_off_file_stem(in->path, stem, sizeof(stem));
			snprintf(sn, sizeof(sn), "%.20s-if%u", stem, iface % 100000);
		}
		s = np_off_seg_get(o, sn, true);
		if (s >= 0)
			snprintf(in->seg_label[s], sizeof(in->seg_label[0]), "interface %.36s",
				 np_off_iface_label(&ci->ifaces[iface], iface, l, sizeof(l)));
		np_off_set_iface_seg(in, iface, s);
		return s;
	}
	np_off_set_iface_seg(in, iface, -1);
	return -1;
}

/* Segment of a plain frame of interface @p iface; -1: not read. */
static inline int iface_segment(struct np_offline *o, struct np_offline_input *in,
				unsigned int iface)
{
	if (__builtin_expect(iface < in->n_iface_seg && in->iface_seg[iface] != -2, 1))
		return in->iface_seg[iface];
	return late_iface_segment(o, in, iface);
}

static uint8_t tunnel_family(uint8_t encap)
{
	switch (encap) {
	case NP_PKT_ENCAP_VXLAN:
		return NP_TUNNEL_VXLAN;
	case NP_PKT_ENCAP_GRE:
		return NP_TUNNEL_GRE;
	default:
		return NP_TUNNEL_ERSPAN;
	}
}

/* Segment of a frame decapsulated from tunnel @p t; -1: not read. */
static int tunnel_segment(struct np_offline *o, struct np_offline_input *in, unsigned int iface,
			  const struct np_pkt_tunnel *t, bool *merged)
{
	struct np_tunnel_key key = { tunnel_family(t->encap), t->has_id, t->has_id ? t->id : 0 };
	char sn[NP_NAME_MAX + 1];
	int s;

	*merged = false;
	for (unsigned int k = 0; k < o->n_maps; k++) {
		const struct np_offline_map *m = &o->maps[k];

		if (m->sel == SEL_TUNNEL && &o->inputs[m->input] == in &&
		    np_tunnel_key_match(&m->key, key.family, key.has_id, key.id))
			return m->segment;
	}
	for (unsigned int k = 0; k < o->conf.n_tunnels; k++)
		if (np_tunnel_key_match(&o->conf.tunnels[k].key, key.family, key.has_id, key.id))
			return np_off_seg_get(o, o->conf.segments[o->conf.tunnels[k].segment].name,
					      false);
	if (in->default_map < 0 && !(iface < in->n_iface_seg && in->iface_seg[iface] >= 0))
		return -1;
	if (!in->auto_named || in->default_map < 0) {
		*merged = true; /* into the segment the operator named */
		return iface_segment(o, in, iface);
	}
	/* named after the tunnel: "vxlan-100", "erspan-3", "gre-7", "gre" */
	if (key.has_id)
		snprintf(sn, sizeof(sn), "%s-%lu",
			 key.family == NP_TUNNEL_VXLAN ? "vxlan"
			 : key.family == NP_TUNNEL_GRE ? "gre"
						       : "erspan",
			 (unsigned long)key.id);
	else
		snprintf(sn, sizeof(sn), "%s", key.family == NP_TUNNEL_GRE ? "gre" : "erspan");
	s = np_off_seg_get(o, sn, true);
	if (s < 0)
		o->seg_full++;
	return s;
}

static void note_tunnel(struct np_offline_seg *sg, const struct np_pkt_tunnel *t)
{
	struct np_tunnel_key k = { tunnel_family(t->encap), t->has_id, t->has_id ? t->id : 0 };

	for (unsigned int i = 0; i < sg->n_tkeys && i < TKEYS_MAX; i++)
		if (memcmp(&sg->tkeys[i], &k, sizeof(k)) == 0)
			return;
	if (sg->n_tkeys < TKEYS_MAX)
		sg->tkeys[sg->n_tkeys] = k;
	if (sg->n_tkeys < 255)
		sg->n_tkeys++;
}

/* Note the direction of the frame's flow; sets s->bidi once a flow went both ways. */
static void note_direction(struct src *s, const struct np_pkt_info *pi)
{
	const struct np_addr *lo, *hi;
	uint16_t plo, phi;
	uint64_t h = pi->l4_proto;
	unsigned int i;
	uint8_t bit;
	int c;

	if (s->bidi || s->dir_full || (pi->cls != NP_PKT_TCP && pi->cls != NP_PKT_UDP))
		return;
	c = memcmp(pi->src.b, pi->dst.b, sizeof(pi->src.b));
	lo = c <= 0 ? &pi->src : &pi->dst;
	hi = c <= 0 ? &pi->dst : &pi->src;
	plo = c < 0 ? pi->sport : pi->dport;
	phi = c < 0 ? pi->dport : pi->sport;
	if (c == 0) { /* one address (loopback): the ports give the order */
		if (pi->sport == pi->dport)
			return; /* a flow to itself: no direction */
		plo = pi->sport < pi->dport ? pi->sport : pi->dport;
		phi = pi->sport < pi->dport ? pi->dport : pi->sport;
	}
	bit = c < 0 || (c == 0 && pi->sport < pi->dport) ? 1 : 2;
	if (s->dir_key == NULL) {
		s->dir_key = calloc(DIR_SLOTS, sizeof(*s->dir_key));
		s->dir_bits = calloc(DIR_SLOTS, 1);
		if (s->dir_key == NULL || s->dir_bits == NULL) {
			s->dir_full = true;
			return;
		}
	}
	for (unsigned int k = 0; k < 16; k += 8) {
		uint64_t a, b;

		memcpy(&a, lo->b + k, 8);
		memcpy(&b, hi->b + k, 8);
		h = np_hash_mix64(h ^ a) ^ np_hash_mix64(b + k);
	}
	h = np_hash_mix64(h ^ ((uint64_t)plo << 16 | phi)) | 1;
	for (i = (unsigned int)(h % DIR_SLOTS);; i = (i + 1) % DIR_SLOTS) {
		if (s->dir_key[i] == h)
			break;
		if (s->dir_key[i] == 0) {
			if (s->dir_used * 4 >= DIR_SLOTS * 3) {
				s->dir_full = true;
				return;
			}
			s->dir_key[i] = h;
			s->dir_used++;
			break;
		}
	}
	s->dir_bits[i] |= bit;
	if (s->dir_bits[i] == 3) {
		s->bidi = true;
		free(s->dir_key);
		free(s->dir_bits);
		s->dir_key = NULL;
		s->dir_bits = NULL;
	}
}

/*
 * Book a frame of input @p ii on segment @p seg. Two files of one segment
 * that overlap in time and each hold both directions of their flows are
 * two wires (or one wire captured twice), not one: stop with a reason.
 */
static void account(struct np_offline *o, unsigned int ii, int seg, const struct np_pkt_info *pi,
		    uint64_t ts)
{
	struct np_offline_seg *sg = &o->seg[seg];
	struct src *s = NULL;

	if (sg->frames == 0 || ts < sg->first)
		sg->first = ts;
	if (ts > sg->last)
		sg->last = ts;
	sg->frames++;
	o->inputs[ii].seg_frames[seg]++;
	if (!sg->multi)
		return;
	for (unsigned int k = 0; k < sg->n_src; k++)
		if (sg->src[k].input == ii)
			s = &sg->src[k];
	if (s == NULL) {
		if (sg->n_src == sg->cap_src) {
			unsigned int cap = sg->cap_src ? 2 * sg->cap_src : 4;
			struct src *n = realloc(sg->src, cap * sizeof(*n));

			if (n == NULL)
				return;
			sg->src = n;
			sg->cap_src = cap;
		}
		s = &sg->src[sg->n_src++];
		memset(s, 0, sizeof(*s));
		s->input = ii;
		s->first = ts;
	}
	s->last = ts;
	s->frames++;
	note_direction(s, pi);
	if (sg->n_src < 2 || !s->bidi)
		return;
	for (unsigned int k = 0; k < sg->n_src; k++) {
		const struct src *a = &sg->src[k];
		char t[40];

		if (a == s || !a->bidi || !(a->first < ts && a->last > s->first))
			continue;
		np_ts_iso(s->first > a->first ? s->first : a->first, t, sizeof(t));
		o->failed = true;
		snprintf(o->fail_msg, sizeof(o->fail_msg),
			 "segment %s: %s and %s overlap in time (both have frames around %s) and "
			 "each holds both directions of its connections: two wires, or one wire "
			 "captured twice; give each its own segment name (SEG=FILE)",
			 o->segment_name[seg], o->inputs[a->input].name, o->inputs[ii].name, t);
		return;
	}
}

static unsigned int csum_mode(const struct np_offline *o)
{
	int v = o->ip_checksum >= 0 ? o->ip_checksum : (int)o->conf.datapath.ip_checksum;

	/* offline, auto accepts any failure: captures hold what the host wrote */
	return v == NP_IP_CSUM_YES  ? NP_PKT_CSUM_VERIFY
	       : v == NP_IP_CSUM_NO ? NP_PKT_CSUM_IGNORE
				    : NP_PKT_CSUM_ACCEPT;
}

/* Segment of a HEP agent (np_hep_agent_segment()); -1: none left. */
static int hep_segment(struct np_offline *o, const struct np_hep_msg *m)
{
	char sn[NP_NAME_MAX + 1];
	int s = np_hep_agent_segment(&o->conf, m, sn, sizeof(sn));

	if (s >= 0)
		return np_off_seg_get(o, o->conf.segments[s].name, false);
	s = np_off_seg_get(o, sn, true);
	if (s < 0)
		o->seg_full++;
	return s;
}

/*
 * One HEP packet read from a capture (a UDP datagram, or cut from a TCP
 * connection): its SIP message, or another natprobe's flow event, in its
 * agent's segment.
 */
static void hep_packet(struct np_offline *o, struct np_offline_input *in, uint64_t ts_ns,
		       const uint8_t *p, size_t n, bool datagram)
{
	struct np_hep_msg m;
	size_t used;
	int seg;

	if (np_hep_input_decode(&o->hep, p, n, datagram, 0, &m, &used) != NP_HEP_IN_USE)
		return;
	seg = hep_segment(o, &m);
	if (seg < 0) {
		o->hep.no_segment++;
		return;
	}
	in->seg_frames[seg]++; /* the input's report: its HEP packets, by agent */
	if (in->seg_label[seg][0] == '\0')
		snprintf(in->seg_label[seg], sizeof(in->seg_label[0]), "HEP");
	if (m.np_flow != NULL) { /* another natprobe's flow event: to the correlator, as live */
		struct np_flow_event ev;

		if (np_hep_flow_get(&m, (uint8_t)seg, &ev) < 0) {
			o->hep.flow_bad++;
			return;
		}
		if (!m.has_ts)
			ev.ts_ns = ts_ns;
		o->hep.flow++;
		if (o->sink.flow_event != NULL)
			o->sink.flow_event(o->sink.ctx, &ev);
		return;
	}
	np_hep_input_sip(o->ins, &o->hep, &m, (uint8_t)seg, ts_ns);
}

void np_offline_hep_tcp_packet(void *ctx, const uint8_t *p, size_t n, uint64_t ts_ns)
{
	struct np_offline *o = ctx;

	if (o->hep_in != NULL)
		hep_packet(o, o->hep_in, ts_ns, p, n, false);
}

/*
 * A frame to or from the HEP port: a carrier, like a tunnel's, not the
 * segment's traffic. A TCP connection is a carrier once its data shows it
 * is HEP (np_hep_tcp.h); before (its handshake), or when it is another
 * protocol on the port, its frames are ordinary traffic. @return true when
 * the frame was a carrier's.
 */
static bool hep_frame(struct np_offline *o, struct np_offline_input *in, const struct np_frame *f,
		      const uint8_t *data, const struct np_pkt_info *pi, int cls, bool to_port)
{
	if (pi->cls == NP_PKT_TCP) {
		o->hep_in = in;
		if (np_hep_tcp_segment(o->hep_tcp, pi, data + pi->payload_off, pi->payload_len,
				       to_port, f->ts_ns) != NP_HEP_TCP_CARRIER)
			return false;
	}
	o->frames++;
	o->bytes += f->wire_len;
	o->frame_class[cls]++;
	seen(o, f->ts_ns);
	if (to_port)
		o->hep_frames++;
	else
		o->hep_frames_back++;
	if (pi->cls == NP_PKT_UDP)
		hep_packet(o, in, f->ts_ns, data + pi->payload_off, pi->payload_len, true);
	return true;
}

/*
 * Might a plain frame (np_pkt_plain.h) be to or from the HEP port? Reads
 * its ports where a plain frame has them; true when the frame is too short
 * to say (such a frame is not plain either). Only for the fast path's
 * choice: a carrier is never taken there.
 */
static inline bool hep_port_maybe(const struct np_offline *o, const uint8_t *d, uint32_t len)
{
	const uint16_t port = htons(o->conf.hep.port); /* as the frame has it */
	uint32_t off = 14 + 20;
	uint16_t et, p[2];

	if (o->hep_tcp == NULL)
		return false;
	if (len < 18)
		return true;
	memcpy(&et, d + 12, 2);
	if (et == htons(0x8100)) {
		memcpy(&et, d + 16, 2);
		off += 4;
	}
	if (et == htons(0x86dd))
		off += 20;
	if (len < off + 4)
		return true;
	memcpy(p, d + off, 4);
	return p[0] == port || p[1] == port;
}

/*
 * One captured frame: window, filter, segment, tunnel, HEP, inspection.
 *
 * A plain frame (np_pkt_plain.h) of an interface with its segment, on a
 * segment one file feeds (no two-wire test, which reads the frame's
 * addresses), that is not to or from the HEP port, first goes the live
 * worker's fast path (np_det_inspect_fast()): when its flow is known and
 * has nothing more to inspect, the lookup and the flow's ageing touch are
 * all it costs, with the same outcome as the whole way (no event, message
 * or evidence comes of such a frame there either); the frame is counted as
 * the whole way counts it. Otherwise its parse is kept for the whole way.
 */
static void frame(struct np_offline *o, const struct np_frame *f, np_pkt_parse_fn parse,
		  unsigned int mode)
{
	struct np_offline_input *in = NULL;
	const uint8_t *data = f->data;
	uint32_t len = f->len;
	struct np_pkt_info pi;
	unsigned int ii;
	int cls, seg;

	if (f->ts_ns < o->from_ns) {
		o->before_from++;
		return;
	}
	if (o->have_filter) {
		struct pcap_pkthdr h = { .caplen = f->len, .len = f->wire_len };

		if (pcap_offline_filter(&o->filter, &h, f->data) == 0) {
			o->filtered++;
			return;
		}
	}
	ii = o->cap_input[f->input];
	in = &o->inputs[ii];
	if (__builtin_expect(f->iface < in->n_iface_seg, 1) &&
	    (seg = in->iface_seg[f->iface]) >= 0 && !o->seg[seg].multi &&
	    !hep_port_maybe(o, data, len)) {
		/* o->last_ns as seen() leaves it, which the whole way passes on */
		uint64_t now = f->ts_ns > o->last_ns ? f->ts_ns : o->last_ns;

		cls = np_det_inspect_fast(o->ins, (uint8_t)seg, data, len, mode, now, &pi);
		if (__builtin_expect(cls >= 0, 1)) {
			struct np_offline_seg *sg = &o->seg[seg];

			o->frames++;
			o->bytes += f->wire_len;
			o->frame_class[cls]++;
			seen(o, f->ts_ns);
			/* account() for a segment of one file */
			if (sg->frames == 0 || f->ts_ns < sg->first)
				sg->first = f->ts_ns;
			if (f->ts_ns > sg->last)
				sg->last = f->ts_ns;
			sg->frames++;
			in->seg_frames[seg]++;
			return;
		}
		if (cls == NP_DET_FAST_PARSED) {
			cls = pi.cls;
			goto parsed;
		}
	}
	cls = parse(data, len, &pi);
parsed:
	if (__builtin_expect(o->hep_tcp != NULL &&
				     ((pi.cls == NP_PKT_UDP && pi.dport == o->conf.hep.port) ||
				      (pi.cls == NP_PKT_TCP && (pi.dport == o->conf.hep.port ||
								pi.sport == o->conf.hep.port))),
			     0)) {
		/* HEP over UDP or TCP: like a tunnel, the carrier is not the segment's traffic */
		if (hep_frame(o, in, f, data, &pi, cls, pi.dport == o->conf.hep.port))
			return;
	}
	if (__builtin_expect((pi.cls == NP_PKT_UDP || pi.cls == NP_PKT_IP_OTHER ||
			      pi.cls == NP_PKT_TRUNCATED) &&
				     np_pkt_may_be_tunnel(&pi),
			     0)) {
		struct np_pkt_tunnel t;
		int rc = np_pkt_decap(data, len, &pi, &t);

		if (rc == NP_PKT_DECAP_OK) {
			bool merged;

			o->tunnel[t.encap]++;
			seg = tunnel_segment(o, in, f->iface, &t, &merged);
			if (seg < 0) {
				in->unselected++;
				return;
			}
			if (merged)
				note_tunnel(&o->seg[seg], &t);
			if (in->seg_label[seg][0] == '\0') {
				struct np_tunnel_key k = { tunnel_family(t.encap), t.has_id, t.id };

				np_tunnel_key_str(&k, in->seg_label[seg], sizeof(in->seg_label[0]));
			}
			data = np_pkt_tunnel_frame(f->data, &t, o->inner, NP_CAPTURE_SNAP + 64,
						   &len);
			cls = parse(data, len, &pi);
			goto inspect;
		}
		if (rc == NP_PKT_DECAP_BAD)
			o->tunnel_bad[t.encap]++;
	}
	seg = iface_segment(o, in, f->iface);
	if (seg < 0) {
		if (f->iface >= in->n_iface_open && in->default_map >= 0)
			in->late_skipped++;
		else
			in->unselected++;
		return;
	}
inspect:
	if (pi.ip_csum != NP_PKT_IP_CSUM_OK && cls != NP_PKT_BAD_CHECKSUM) {
		if (pi.ip_csum == NP_PKT_IP_CSUM_ZERO)
			o->csum_zero++;
		else
			o->csum_bad++;
	}
	o->frames++;
	o->bytes += f->wire_len;
	o->frame_class[cls]++;
	seen(o, f->ts_ns);
	account(o, ii, seg, &pi, f->ts_ns);
	{
		struct np_pkt_ref ref = {
			.frame = f->frame_no,
			.input = (uint16_t)(ii < UINT16_MAX ? ii : UINT16_MAX),
			.segment = (uint8_t)seg,
		};

		np_det_inspect_frame_ref(o->ins, &ref, data, len, &pi, o->last_ns);
	}
}

/* The frames of one pcap file, in libpcap's read loop (np_capture_loop()). */
struct run_loop {
	struct np_offline *o;
	np_pkt_parse_fn parse;
	unsigned int mode;
	uint64_t frames_read;
	void (*tick)(void *ctx, uint64_t now_ns);
	void *ctx;
};

/* np_offline_run()'s loop body for one frame; nonzero: stop reading. */
static int run_frame(void *ctx, const struct np_frame *f)
{
	struct run_loop *r = ctx;
	struct np_offline *o = r->o;

	if (o->failed)
		return 1;
	if (o->to_ns != 0 && f->ts_ns > o->to_ns) {
		o->after_to++;
		return 1;
	}
	frame(o, f, r->parse, r->mode);
	if (++r->frames_read % NP_OFFLINE_EXPIRE_EVERY == 0) {
		np_det_inspect_expire(o->ins, o->last_ns, NP_OFFLINE_EXPIRE_WORK);
		if (r->tick != NULL)
			r->tick(r->ctx, o->last_ns);
	}
	return o->failed;
}

uint64_t np_offline_run(struct np_offline *o, void (*tick)(void *ctx, uint64_t now_ns), void *ctx)
{
	const unsigned int mode = csum_mode(o);
	const np_pkt_parse_fn parse = np_pkt_parser(mode);
	struct np_frame f;
	uint64_t log_events = 0, frames_read = 0;
	bool have = false;
	bool any_log = false;

	for (unsigned int i = 0; i < o->n_inputs; i++)
		any_log |= o->inputs[i].msg != NULL;
	/* One pcap file and nothing to merge it with: libpcap's loop calls back */
	if (!any_log) {
		struct run_loop r = { o, parse, mode, 0, tick, ctx };

		if (np_capture_loop(&o->cap, run_frame, &r) != 0)
			goto end;
	}
	have = np_capture_next(&o->cap, &f) == 1;
	while (!o->failed) {
		uint64_t lts;
		int li = any_log ? next_log(o, &lts) : -1;

		/* Log entries before the waiting frame (whose bytes stay valid meanwhile). */
		if (li >= 0 && (!have || lts < f.ts_ns)) {
			seen(o, o->inputs[li].src->step(o->inputs[li].msg, o->ins));
			if (++log_events % NP_OFFLINE_EXPIRE_EVERY == 0 && tick != NULL)
				tick(ctx, o->last_ns);
			continue;
		}
		if (!have)
			break;
		if (o->to_ns != 0 && f.ts_ns > o->to_ns) {
			/* inputs are merged in time order: nothing after this is wanted */
			o->after_to++;
			break;
		}
		frame(o, &f, parse, mode);
		if (++frames_read % NP_OFFLINE_EXPIRE_EVERY == 0) {
			np_det_inspect_expire(o->ins, o->last_ns, NP_OFFLINE_EXPIRE_WORK);
			if (tick != NULL)
				tick(ctx, o->last_ns);
		}
		have = np_capture_next(&o->cap, &f) == 1;
	}
end:
	/* End of the inputs: HEP connections still open end here (what they hold is read). */
	if (o->hep_tcp != NULL)
		np_hep_tcp_finish(o->hep_tcp, o->last_ns);
	/* Age what the capture time allows, no further. */
	while (np_det_inspect_expire(o->ins, o->last_ns, NP_OFFLINE_EXPIRE_WORK) ==
	       NP_OFFLINE_EXPIRE_WORK)
		;
	if (tick != NULL)
		tick(ctx, o->last_ns);
	return o->frames;
}

/* ---- reporting ----------------------------------------------------------- */

static void warn_capture(const struct np_offline *o, const struct np_offline_input *in)
{
	const struct np_capture_input *ci = o->cap.in[in->cap];

	if (ci->error[0] != '\0')
		np_err("warning: %s; the frames before it were analysed", ci->error);
	if (in->ambiguous[0] != '\0')
		np_err("warning: %s", in->ambiguous);
	for (unsigned int i = 0; i < ci->n_ifaces; i++) {
		const struct np_capture_iface *ifc = &ci->ifaces[i];

		if (!ifc->supported && ifc->frames > 0)
			np_err("warning: %s: %lu frames of interface %u skipped: link type %u (%s) "
			       "is not supported",
			       in->name, (unsigned long)ifc->frames, i, ifc->linktype,
			       pcap_datalink_val_to_name(ifc->linktype) ?: "unknown");
	}
	{
		uint64_t not_ip = 0;

		for (unsigned int i = 0; i < ci->n_ifaces; i++)
			if (ci->ifaces[i].supported)
				not_ip += ci->ifaces[i].skipped;
		if (not_ip > 0)
			np_err("warning: %s: %lu frames skipped (not IP on a raw or cooked link)",
			       in->name, (unsigned long)not_ip);
	}
	if (in->unselected > 0)
		np_err("warning: %s: %lu frames skipped: no SEG=%s#... selects their interface or "
		       "tunnel",
		       in->name, (unsigned long)in->unselected, in->path);
	if (in->late_skipped > 0)
		np_err("warning: %s: %lu frames skipped: their interface was described after the "
		       "first frame; select it by number (SEG=%s#N)",
		       in->name, (unsigned long)in->late_skipped, in->path);
}

/* Auto-named segments that look like chunks of one capture and never met in time. */
static void warn_chunks(const struct np_offline *o)
{
	for (unsigned int a = 0; a < o->n_segments; a++)
		for (unsigned int b = a + 1; b < o->n_segments; b++) {
			const struct np_offline_seg *x = &o->seg[a], *y = &o->seg[b];
			size_t la = np_off_digit_stem_len(o->segment_name[a]);

			if (!x->auto_named || !y->auto_named || x->frames == 0 || y->frames == 0 ||
			    la == 0 || la != np_off_digit_stem_len(o->segment_name[b]) ||
			    strncmp(o->segment_name[a], o->segment_name[b], la) != 0 ||
			    (x->first <= y->last && y->first <= x->last))
				continue;
			np_err("warning: segments %s and %s have no time in common and look like "
			       "chunks of one capture: if they are, give their files one name "
			       "(SEG=FILE ...), or NAT bindings may be learned between them",
			       o->segment_name[a], o->segment_name[b]);
		}
}

void np_offline_warnings(const struct np_offline *o)
{
	for (unsigned int i = 0; i < o->n_inputs; i++) {
		const struct np_offline_input *in = &o->inputs[i];

		if (in->cap >= 0)
			warn_capture(o, in);
		else if (in->msg != NULL && in->src->warn != NULL)
			in->src->warn(in->msg, in->name);
	}
	for (unsigned int s = 0; s < o->n_segments; s++) {
		const struct np_offline_seg *sg = &o->seg[s];
		char a[32], b[32];

		if (sg->n_tkeys < 2)
			continue;
		np_tunnel_key_str(&sg->tkeys[0], a, sizeof(a));
		np_tunnel_key_str(&sg->tkeys[1], b, sizeof(b));
		np_err("warning: segment %s: frames of %u tunnels (%s, %s%s) read as one wire; name "
		       "them apart (SEG1=FILE#%s SEG2=FILE#%s)",
		       o->segment_name[s], sg->n_tkeys, a, b, sg->n_tkeys > 2 ? ", ..." : "", a, b);
	}
	if (o->seg_full > 0)
		np_err("warning: %lu tunnel frames skipped: more than %d segments",
		       (unsigned long)o->seg_full, NP_OFFLINE_MAX_SEGMENTS);
	for (unsigned int e = 1; e < NP_PKT_ENCAP_MAX; e++)
		if (o->tunnel_bad[e] > 0)
			np_err("warning: %lu %s headers not understood: those frames were inspected "
			       "as they are",
			       (unsigned long)o->tunnel_bad[e], np_pkt_encap_name(e));
	if (o->csum_zero > 0)
		np_err("note: %lu frames with a zero IPv4 header checksum (captured on a host that "
		       "offloads checksums): inspected; --ip-checksum yes drops them",
		       (unsigned long)o->csum_zero);
	if (o->csum_bad > 0)
		np_err("warning: %lu frames with a wrong IPv4 header checksum: inspected; "
		       "--ip-checksum yes drops them",
		       (unsigned long)o->csum_bad);
	warn_chunks(o);
}

/* The HEP over TCP line: connections followed, packets cut, what the capture lacked. */
static void report_hep_tcp(const struct np_hep_tcp_stats *t, FILE *f)
{
	fprintf(f, "  hep tcp    %lu connections", (unsigned long)t->connections);
	if (t->midstream > 0)
		fprintf(f, " (%lu begun before the capture)", (unsigned long)t->midstream);
	fprintf(f, ", %lu HEP packets", (unsigned long)t->packets);
	if (t->retransmits > 0)
		fprintf(f, "; retransmitted segments %lu", (unsigned long)t->retransmits);
	if (t->reordered > 0)
		fprintf(f, "; out of order %lu (put back in order)", (unsigned long)t->reordered);
	if (t->gaps > 0)
		fprintf(f, "; gaps %lu (%lu bytes not captured)", (unsigned long)t->gaps,
			(unsigned long)t->gap_bytes);
	if (t->resync_bytes > 0)
		fprintf(f, "; resync %lu bytes skipped to the next HEP3",
			(unsigned long)t->resync_bytes);
	if (t->cut_bytes > 0)
		fprintf(f, "; %lu bytes of unfinished packets", (unsigned long)t->cut_bytes);
	if (t->evicted > 0)
		fprintf(f, "; %lu connections ended for room (over %d at once)",
			(unsigned long)t->evicted, NP_OFFLINE_HEP_STREAMS);
	fputc('\n', f);
}

void np_offline_report_read(const struct np_offline *o, FILE *f)
{
	for (unsigned int i = 0; i < o->n_inputs; i++) {
		const struct np_offline_input *in = &o->inputs[i];
		bool any = false;

		if (in->msg != NULL) {
			fprintf(f,
				"  %-10s %s: ", o->segment_name[o->maps[in->default_map].segment],
				in->name);
			in->src->report(in->msg, f);
			fputc('\n', f);
			continue;
		}
		for (unsigned int s = 0; s < o->n_segments; s++) {
			if (in->seg_frames[s] == 0)
				continue;
			fprintf(f, "  %-10s %s: %lu frames%s%s%s\n", o->segment_name[s], in->name,
				(unsigned long)in->seg_frames[s], in->seg_label[s][0] ? " (" : "",
				in->seg_label[s], in->seg_label[s][0] ? ")" : "");
			any = true;
		}
		if (!any)
			fprintf(f, "  %-10s %s: 0 frames\n",
				in->default_map >= 0 && o->maps[in->default_map].segment >= 0
					? o->segment_name[o->maps[in->default_map].segment]
					: "-",
				in->name);
	}
	for (unsigned int e = 1; e < NP_PKT_ENCAP_MAX; e++)
		if (o->tunnel[e] > 0)
			fprintf(f, "  tunnels    %lu frames decapsulated from %s\n",
				(unsigned long)o->tunnel[e], np_pkt_encap_name(e));
	if (o->hep_frames > 0) {
		fprintf(f, "  hep        %lu frames to port %u", (unsigned long)o->hep_frames,
			o->conf.hep.port);
		if (o->hep_frames_back > 0)
			fprintf(f, " (%lu TCP frames from it)", (unsigned long)o->hep_frames_back);
		fputc(':', f);
		for (unsigned int r = 0; r < np_hep_input_counters.n; r++) {
			const struct np_ctr_desc *d = &np_hep_input_counters.rows[r];
			uint64_t v = *(const uint64_t *)((const uint8_t *)&o->hep + d->off);

			if (v > 0)
				fprintf(f, " %s %lu", d->value ? d->value : d->name,
					(unsigned long)v);
		}
		fputc('\n', f);
	}
	if (o->hep_tcp != NULL && np_hep_tcp_stats(o->hep_tcp)->connections > 0)
		report_hep_tcp(np_hep_tcp_stats(o->hep_tcp), f);
	if (o->csum_zero > 0)
		fprintf(f,
			"  checksums  %lu frames with a zero IPv4 header checksum: checksum "
			"offloading seen on the capturing host; inspected\n",
			(unsigned long)o->csum_zero);
	if (o->csum_bad > 0)
		fprintf(f, "  checksums  %lu frames with a wrong IPv4 header checksum; inspected\n",
			(unsigned long)o->csum_bad);
	if (o->from_ns || o->to_ns)
		fprintf(f, "  window     %lu frames before --from skipped%s\n",
			(unsigned long)o->before_from,
			o->after_to ? "; reading stopped at the first frame after --to" : "");
	if (o->have_filter)
		fprintf(f, "  filter     %lu frames did not match '%s'\n",
			(unsigned long)o->filtered, o->filter_text);
}

const char *np_offline_input_name(const struct np_offline *o, unsigned int i)
{
	return i < o->n_inputs ? o->inputs[i].name : "?";
}

void np_offline_close(struct np_offline *o)
{
	for (unsigned int i = 0; i < o->n_inputs; i++) {
		if (o->inputs[i].msg != NULL)
			o->inputs[i].src->close(o->inputs[i].msg);
		o->inputs[i].msg = NULL;
		free(o->inputs[i].iface_seg);
	}
	for (unsigned int k = 0; k < o->n_maps; k++) {
		free(o->maps[k].arg);
		free(o->maps[k].path);
	}
	if (o->seg != NULL)
		for (unsigned int s = 0; s < NP_OFFLINE_MAX_SEGMENTS; s++) {
			for (unsigned int k = 0; k < o->seg[s].n_src; k++) {
				free(o->seg[s].src[k].dir_key);
				free(o->seg[s].src[k].dir_bits);
			}
			free(o->seg[s].src);
		}
	free(o->seg);
	free(o->maps);
	free(o->inputs);
	o->seg = NULL;
	o->maps = NULL;
	o->inputs = NULL;
	o->n_maps = o->n_inputs = 0;
	if (o->have_filter)
		pcap_freecode(&o->filter);
	o->have_filter = false;
	free(o->inner);
	o->inner = NULL;
	free(o->cap_input);
	o->cap_input = NULL;
	np_hep_tcp_destroy(o->hep_tcp);
	o->hep_tcp = NULL;
	o->hep_in = NULL;
	np_det_inspect_destroy(o->ins);
	o->ins = NULL;
	np_sip_db_destroy(o->db);
	o->db = NULL;
	np_capture_close(&o->cap);
	np_conf_free(&o->conf);
}
