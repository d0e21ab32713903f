/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTML page of `analyze --html` (np_html.h): verdict, one ladder per
 * incident drawn from its evidence frames as inline SVG, diagnosis, fixes,
 * evidence table. No script, nothing loaded from anywhere.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "np_html.h"
#include "np_text.h"

#define LADDER_MAX_EVENTS 400 /* arrows drawn per incident, at most */
#define LADDER_MAX_LANES 12
#define LABEL_MAX 52 /* characters of an arrow's label */
#define SUB_MAX 72   /* characters of the line under it */

/* Geometry of the ladder (pixels). */
#define G_LEFT 170  /* time and frame column */
#define G_LANE 290  /* between lanes */
#define G_PAD 100   /* left of the first lane, right of the last */
#define G_RIGHT 150 /* records column */
#define G_HEAD 104  /* lane headers */
#define G_ROW 50
#define G_FOOT 24

/* ---- escaping ------------------------------------------------------------ */

int np_html_escape(FILE *f, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c >= 0x80) {
			size_t n = np_text_utf8_len((const char *)s + i, len - i);

			/* C1 controls (U+0080..U+009F) are shown, not sent to the renderer */
			if (n == 0 || (n == 2 && c == 0xc2 && s[i + 1] <= 0x9f)) {
				fprintf(f, "\\x%02x", c);
			} else {
				fwrite(s + i, 1, n, f);
				i += n - 1;
			}
			continue;
		}
		switch (c) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\x%02x", c);
			else
				fputc(c, f);
		}
	}
	return ferror(f) ? -EIO : 0;
}

static void esc(FILE *f, const char *s)
{
	np_html_escape(f, s, strlen(s));
}

/* @p s escaped, every occurrence of @p hl (when not empty) in a span of class @p cls. */
static void esc_hl(FILE *f, const char *s, const char *hl, const char *tag, const char *cls)
{
	size_t hn = hl != NULL ? strlen(hl) : 0;

	while (*s) {
		const char *m = hn ? strstr(s, hl) : NULL;

		if (m == NULL) {
			esc(f, s);
			return;
		}
		np_html_escape(f, s, (size_t)(m - s));
		fprintf(f, "<%s class=\"%s\">", tag, cls);
		np_html_escape(f, m, hn);
		fprintf(f, "</%s>", tag);
		s = m + hn;
	}
}

/* Copy at most @p max characters of @p len bytes (UTF-8 kept whole), "..." when cut. */
static void clip(char *dst, size_t size, const char *src, size_t len, size_t max)
{
	size_t out = 0, chars = 0, i = 0;

	while (i < len && chars < max && out + 5 < size) {
		size_t n = np_text_utf8_len(src + i, len - i);

		if (n == 0)
			n = 1;
		memcpy(dst + out, src + i, n);
		out += n;
		i += n;
		chars++;
	}
	if (i < len && out + 4 <= size) {
		memcpy(dst + out, "...", 3);
		out += 3;
	}
	dst[out] = '\0';
}

/* ---- the ladder: events from the evidence frames ------------------------- */

enum lev_kind {
	LEV_REQ,
	LEV_RESP,
	LEV_SYN,
	LEV_SYNACK,
	LEV_RST,
	LEV_FIN,
	LEV_ICMP
};

struct lev {
	uint64_t ts;
	struct np_pkt_ref ref;
	struct np_addr src, dst;
	uint16_t sport, dport;
	uint8_t kind; /* enum lev_kind */
	uint16_t status;
	bool cited;
	bool sub_bad; /* the line under the arrow is the finding */
	char method[NP_DET_TEXT_LEN];
	char call_id[NP_DET_CALLID_LEN];
	char label[512];
	char sub[640];
	char cites[96];
};

struct ladder {
	const struct np_html_report *rep;
	const struct np_det_record *inc;
	const struct np_evidence_frame *cur; /* frame being read */
	struct lev *ev;
	size_t n;
	bool full;
	/* messages on the same connections not drawn (keep-alives, other dialogs) */
	size_t omitted_req, omitted_resp;
	char omitted_what[NP_DET_TEXT_LEN]; /* the first one's method */
};

static bool rec_cites(const struct np_det_record *r, const struct np_pkt_ref *ref)
{
	for (unsigned int i = 0; i < r->n_frames; i++)
		if (np_pkt_ref_eq(&r->frames[i], ref))
			return true;
	return false;
}

static struct lev *lev_new(struct ladder *L, uint8_t kind)
{
	const struct np_evidence_frame *fr = L->cur;
	struct lev *e;

	if (L->n == LADDER_MAX_EVENTS) {
		L->full = true;
		return NULL;
	}
	e = &L->ev[L->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->ts = fr->meta.ts_ns;
	e->ref = fr->meta.ref;
	e->cited = fr->why == NP_EVIDENCE_CITED;
	return e;
}

static void on_sip_full(void *ctx, const struct np_flow_msg *fm, const struct np_sip_msg *m)
{
	struct ladder *L = ctx;
	struct lev *e = lev_new(L, m->is_request ? LEV_REQ : LEV_RESP);
	char a[LABEL_MAX * 4 + 8], b[LABEL_MAX * 4 + 8];

	if (e == NULL)
		return;
	e->src = fm->src;
	e->dst = fm->dst;
	e->sport = fm->sport;
	e->dport = fm->dport;
	e->status = m->status;
	clip(e->call_id, sizeof(e->call_id), m->call_id.p ? m->call_id.p : "", m->call_id.len,
	     NP_DET_CALLID_LEN - 8);
	if (m->is_request) {
		clip(e->method, sizeof(e->method), m->method_text.p, m->method_text.len, 24);
		clip(a, sizeof(a), m->ruri.p ? m->ruri.p : "", m->ruri.len, LABEL_MAX);
		snprintf(e->label, sizeof(e->label), "%s %s", e->method, a);
	} else {
		clip(a, sizeof(a), m->reason.p ? m->reason.p : "", m->reason.len, 28);
		clip(b, sizeof(b), m->cseq_raw.p ? m->cseq_raw.p : "", m->cseq_raw.len, 24);
		snprintf(e->label, sizeof(e->label), "%u %s (%s)", m->status, a, b);
	}
}

static void add_tcp_events(struct ladder *L, const struct np_pkt_info *pi, bool before_data)
{
	struct lev *e;
	uint8_t fl = pi->tcp_flags;
	uint8_t kind;
	const char *what;

	if (before_data) {
		if (fl & 0x04) {
			kind = LEV_RST;
			what = (fl & 0x10) ? "RST, ACK" : "RST";
		} else if (fl & 0x02) {
			kind = (fl & 0x10) ? LEV_SYNACK : LEV_SYN;
			what = (fl & 0x10) ? "SYN, ACK" : "SYN";
		} else {
			return;
		}
	} else {
		if (!(fl & 0x01) || (fl & 0x04))
			return;
		kind = LEV_FIN;
		what = "FIN";
	}
	e = lev_new(L, kind);
	if (e == NULL)
		return;
	e->src = pi->src;
	e->dst = pi->dst;
	e->sport = pi->sport;
	e->dport = pi->dport;
	snprintf(e->label, sizeof(e->label), "TCP %s", what);
}

static void add_icmp_event(struct ladder *L, const struct np_pkt_info *pi)
{
	struct lev *e = lev_new(L, LEV_ICMP);
	char q[NP_ENDPOINT_STRLEN];

	if (e == NULL)
		return;
	e->src = pi->src;
	e->dst = pi->dst;
	np_endpoint_str(&pi->icmp_inner.dst, pi->icmp_inner.dport, q, sizeof(q));
	snprintf(e->label, sizeof(e->label), "ICMP%s type %u code %u (about %s)",
		 pi->ip_version == 6 ? "v6" : "", pi->icmp_type, pi->icmp_code, q);
}

/* The records (of the incident and its evidence) citing @p e's frame; what they say of it. */
static void annotate(struct ladder *L, struct lev *e)
{
	const struct np_det_record *inc = L->inc;
	char ids[96] = "";
	size_t off = 0;

	bool sip = e->kind == LEV_REQ || e->kind == LEV_RESP;

	e->cited = false;
	for (unsigned int k = 0; k <= inc->n_evidence; k++) {
		const struct np_det_record *r =
			k < inc->n_evidence ? np_record_find(L->rep->records, L->rep->n_records,
							     inc->evidence[k])
					    : inc;

		if (r == NULL || !rec_cites(r, &e->ref))
			continue;
		/* a frame may carry several messages: a record about a SIP message names its
		 * Call-ID */
		if (sip && r->sip.call_id[0] != '\0' && strcmp(r->sip.call_id, e->call_id) != 0)
			continue;
		e->cited = true;
		if (off < sizeof(ids))
			off += (size_t)snprintf(ids + off, sizeof(ids) - off, "%s#%u",
						off ? " " : "", r->id);
		if (e->sub_bad)
			continue;
		if (r->type == NP_DET_TRANSLATED_ROUTE && r->has_sip && r->sip.header[0] &&
		    (e->kind == LEV_REQ || e->kind == LEV_RESP) &&
		    strcmp(r->sip.call_id, e->call_id) == 0 &&
		    (e->kind == LEV_REQ ? strcmp(r->sip.method, e->method) == 0
					: r->sip.status == e->status)) {
			char v[SUB_MAX * 4 + 8];

			clip(v, sizeof(v), r->sip.value, strlen(r->sip.value), SUB_MAX - 12);
			snprintf(e->sub, sizeof(e->sub), "%s: %s", r->sip.header, v);
			e->sub_bad = true;
		} else if (r->type == NP_DET_SIP_TIMEOUT && e->kind == LEV_RESP &&
			   e->status == r->sip.status && strcmp(r->sip.header, "Warning") == 0) {
			snprintf(e->sub, sizeof(e->sub), "Warning: %.*s", SUB_MAX, r->sip.value);
			e->sub_bad = true;
		} else if (r->type == NP_DET_PHANTOM_CONNECT &&
			   (e->kind == LEV_RST || e->kind == LEV_ICMP)) {
			snprintf(e->sub, sizeof(e->sub), "refused: %s exists only as a NAT binding",
				 r->endpoint);
			e->sub_bad = true;
		} else if (r->type == NP_DET_HAIRPIN_SNAT && e->kind == LEV_SYN && r->has_flow &&
			   memcmp(&r->flow.src, &e->src, sizeof(e->src)) == 0 &&
			   r->flow.sport == e->sport) {
			snprintf(e->sub, sizeof(e->sub),
				 "source translated to %s, the server's own public address",
				 r->endpoint);
			e->sub_bad = true;
		}
	}
	snprintf(e->cites, sizeof(e->cites), "%s", ids);
	if (!e->sub_bad) {
		char s[NP_ENDPOINT_STRLEN], d[NP_ENDPOINT_STRLEN];

		if (e->kind == LEV_ICMP) {
			np_addr_str(&e->src, s, sizeof(s));
			np_addr_str(&e->dst, d, sizeof(d));
		} else {
			np_endpoint_str(&e->src, e->sport, s, sizeof(s));
			np_endpoint_str(&e->dst, e->dport, d, sizeof(d));
		}
		snprintf(e->sub, sizeof(e->sub), "%s \xe2\x86\x92 %s", s, d);
	}
}

/*
 * Keep the picture to the failing exchange: cited events, connection set-up
 * and tear-down, and the messages of the dialogs cited ones belong to. Other
 * messages on the same connections (keep-alives) stay in the capture and are
 * only counted under the ladder.
 */
static void ladder_prune(struct ladder *L)
{
	size_t kept = 0;

	for (size_t i = 0; i < L->n; i++) {
		struct lev *e = &L->ev[i];
		bool keep = e->cited || (e->kind != LEV_REQ && e->kind != LEV_RESP);

		for (size_t k = 0; !keep && k < L->n; k++)
			keep = L->ev[k].cited &&
			       (L->ev[k].kind == LEV_REQ || L->ev[k].kind == LEV_RESP) &&
			       strcmp(L->ev[k].call_id, e->call_id) == 0;
		if (keep) {
			L->ev[kept++] = *e;
			continue;
		}
		if (e->kind == LEV_REQ)
			L->omitted_req++;
		else
			L->omitted_resp++;
		if (L->omitted_what[0] == '\0' && e->kind == LEV_REQ)
			snprintf(L->omitted_what, sizeof(L->omitted_what), "%s", e->method);
	}
	L->n = kept;
}

/* Read the evidence frames in time order: TCP flags, ICMP errors, SIP messages (reassembled). */
static int ladder_events(struct ladder *L, const struct np_evidence_set *s)
{
	const struct np_html_report *rep = L->rep;
	struct np_det_inspect_conf ic;
	struct np_det_inspect_sink sink = { .sip_full = on_sip_full, .ctx = L };
	struct np_det_inspect *ins;
	static const uint16_t sip_ports[] = { 5060, 5061, 7001, 7003 };

	memset(&ic, 0, sizeof(ic));
	ic.flow.size = 4096;
	ic.flow.reasm_buffers = 64;
	if (rep->n_sip_ports > 0 && rep->n_sip_ports <= NP_FLOW_MAX_SIP_PORTS) {
		ic.flow.n_sip_ports = rep->n_sip_ports;
		memcpy(ic.flow.sip_ports, rep->sip_ports, sizeof(uint16_t) * rep->n_sip_ports);
	} else {
		ic.flow.n_sip_ports = sizeof(sip_ports) / sizeof(sip_ports[0]);
		memcpy(ic.flow.sip_ports, sip_ports, sizeof(sip_ports));
	}
	ic.frag_datagrams = 64;
	ic.sip_db = rep->sip_db;
	ins = np_det_inspect_create(&ic, &sink);
	if (ins == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < s->n && !L->full; i++) {
		const struct np_evidence_frame *fr = &s->frames[i];
		struct np_pkt_info pi;
		int cls = np_pkt_parse(fr->data, fr->meta.caplen, &pi);

		L->cur = fr;
		if (cls == NP_PKT_TCP || cls == NP_PKT_TRUNCATED)
			add_tcp_events(L, &pi, true);
		else if (cls == NP_PKT_ICMP && pi.icmp_inner.valid)
			add_icmp_event(L, &pi);
		np_det_inspect_frame_ref(ins, &fr->meta.ref, fr->data, fr->meta.caplen, &pi,
					 fr->meta.ts_ns);
		if (cls == NP_PKT_TCP)
			add_tcp_events(L, &pi, false);
	}
	np_det_inspect_destroy(ins);
	for (size_t i = 0; i < L->n; i++)
		annotate(L, &L->ev[i]);
	ladder_prune(L);
	return 0;
}

/* ---- the ladder: lanes ---------------------------------------------------- */

struct lane {
	struct np_addr addr;
	bool fw;
	int side;  /* 0 left (client side), 1 right (server side) */
	int order; /* within its side: lower is further out */
	char role[32];
	char seg[64];
};

struct lanes {
	struct lane l[LADDER_MAX_LANES];
	unsigned int n;
	unsigned int fw;	   /* index of the firewall lane */
	struct np_addr fw_addr[8]; /* the firewall's faces */
	unsigned int n_fw;
	char face[2][96];	  /* face lines of the firewall lane */
	char xlat[NP_DET_EP_LEN]; /* the translated endpoint, highlighted */
};

static bool addr_eq(const struct np_addr *a, const struct np_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static void fw_add(struct lanes *ls, const struct np_addr *a)
{
	for (unsigned int i = 0; i < ls->n_fw; i++)
		if (addr_eq(&ls->fw_addr[i], a))
			return;
	if (ls->n_fw < 8)
		ls->fw_addr[ls->n_fw++] = *a;
}

static bool is_fw(const struct lanes *ls, const struct np_addr *a)
{
	for (unsigned int i = 0; i < ls->n_fw; i++)
		if (addr_eq(&ls->fw_addr[i], a))
			return true;
	return false;
}

static int lane_of(const struct lanes *ls, const struct np_addr *a)
{
	if (is_fw(ls, a))
		return (int)ls->fw;
	for (unsigned int i = 0; i < ls->n; i++)
		if (!ls->l[i].fw && addr_eq(&ls->l[i].addr, a))
			return (int)i;
	return -1;
}

static void lane_add(struct lanes *ls, const struct np_addr *a, int side, int order,
		     const char *role, const char *seg)
{
	struct lane *x;

	if (lane_of(ls, a) >= 0 || ls->n == LADDER_MAX_LANES)
		return;
	x = &ls->l[ls->n++];
	memset(x, 0, sizeof(*x));
	x->addr = *a;
	x->side = side;
	x->order = order;
	snprintf(x->role, sizeof(x->role), "%s", role);
	snprintf(x->seg, sizeof(x->seg), "%s", seg);
}

static int cmp_lane(const void *p, const void *q)
{
	const struct lane *a = p, *b = q;
	int ka = a->fw ? 0 : a->side == 0 ? -1000 + a->order : 1000 - a->order;
	int kb = b->fw ? 0 : b->side == 0 ? -1000 + b->order : 1000 - b->order;

	return ka < kb ? -1 : ka > kb;
}

/*
 * Lanes: the client (the incident binding's original endpoint) and the
 * other hosts of its segment on the left, the firewall, the server side on
 * the right. The firewall's faces: the translated source, the address the
 * client dialled (the binding record), and any address seen on both sides.
 */
static void ladder_lanes(struct ladder *L, struct lanes *ls)
{
	const struct np_det_record *inc = L->inc;
	const struct np_nat_binding *b = &inc->binding;
	const struct np_record_names *nm = L->rep->names;
	bool two_sided = inc->has_binding && b->a.sport != 0 && b->seg_a != b->seg_b;
	int seg_cl = two_sided ? b->seg_a : -1, seg_sv = b->seg_b;
	bool expressway = inc->story.expressway;
	struct np_addr server;
	bool have_server = false;
	int order[2] = { 1, 1 };
	char fa[NP_DET_EP_LEN];

	memset(ls, 0, sizeof(*ls));
	memset(&server, 0, sizeof(server));
	if (inc->has_binding) {
		fw_add(ls, &b->b.src);
		np_endpoint_str(&b->b.src, b->b.sport, ls->xlat, sizeof(ls->xlat));
	}
	/* The binding record: what the client dialled is the firewall's face on its side. */
	for (unsigned int k = 0; k < inc->n_evidence; k++) {
		const struct np_det_record *r =
			np_record_find(L->rep->records, L->rep->n_records, inc->evidence[k]);
		const struct np_nat_tuple *cl, *sv;

		if (r == NULL || r->kind != NP_DET_KIND_BINDING)
			continue;
		cl = r->binding.seg_a == seg_cl ? &r->binding.a : &r->binding.b;
		sv = r->binding.seg_a == seg_cl ? &r->binding.b : &r->binding.a;
		if (two_sided)
			fw_add(ls, &cl->dst);
		fw_add(ls, &sv->src);
		server = sv->dst;
		have_server = true;
	}
	/* An address seen on two segments is the firewall's. */
	for (size_t i = 0; i < L->n; i++)
		for (size_t j = i + 1; j < L->n; j++) {
			const struct lev *x = &L->ev[i], *y = &L->ev[j];

			if (x->ref.segment == y->ref.segment)
				continue;
			if (addr_eq(&x->src, &y->src) || addr_eq(&x->src, &y->dst))
				fw_add(ls, &x->src);
			if (addr_eq(&x->dst, &y->dst) || addr_eq(&x->dst, &y->src))
				fw_add(ls, &x->dst);
		}
	/* the firewall lane */
	ls->l[0].fw = true;
	snprintf(ls->l[0].role, sizeof(ls->l[0].role), "firewall");
	ls->n = 1;
	if (two_sided) {
		lane_add(ls, &b->a.src, 0, 0, expressway ? "Expressway-C" : "client",
			 np_record_segment_name(nm, seg_cl));
	}
	if (have_server && !is_fw(ls, &server))
		lane_add(ls, &server, 1, 0, expressway ? "Expressway-E" : "server",
			 np_record_segment_name(nm, seg_sv));
	for (size_t i = 0; i < L->n; i++) {
		const struct lev *e = &L->ev[i];
		int side = two_sided && e->ref.segment == seg_cl ? 0 : 1;
		const char *sn = np_record_segment_name(nm, e->ref.segment);

		if (!is_fw(ls, &e->src) && lane_of(ls, &e->src) < 0)
			lane_add(ls, &e->src, side, order[side]++, "", sn);
		if (!is_fw(ls, &e->dst) && lane_of(ls, &e->dst) < 0)
			lane_add(ls, &e->dst, side, order[side]++, "", sn);
	}
	qsort(ls->l, ls->n, sizeof(ls->l[0]), cmp_lane);
	for (unsigned int i = 0; i < ls->n; i++)
		if (ls->l[i].fw)
			ls->fw = i;
	/* The faces: per side, the firewall addresses seen there. */
	for (int side = 0; side < 2; side++) {
		int seg = side == 0 ? seg_cl : seg_sv;
		size_t off = 0;

		if (seg < 0)
			continue;
		off = (size_t)snprintf(ls->face[side], sizeof(ls->face[side]), "%s face",
				       np_record_segment_name(nm, seg));
		for (unsigned int k = 0; k < ls->n_fw && off < sizeof(ls->face[side]); k++) {
			bool seen = false;

			for (size_t i = 0; i < L->n && !seen; i++)
				seen = L->ev[i].ref.segment == seg &&
				       (addr_eq(&L->ev[i].src, &ls->fw_addr[k]) ||
					addr_eq(&L->ev[i].dst, &ls->fw_addr[k]));
			if (!seen)
				continue;
			if (side == 1 && inc->has_binding && addr_eq(&ls->fw_addr[k], &b->b.src))
				snprintf(fa, sizeof(fa), "%s", ls->xlat);
			else
				np_addr_str(&ls->fw_addr[k], fa, sizeof(fa));
			off += (size_t)snprintf(ls->face[side] + off, sizeof(ls->face[side]) - off,
						" %s", fa);
		}
	}
}

/* ---- the ladder: SVG ------------------------------------------------------ */

static const char *lev_class(const struct lev *e)
{
	switch (e->kind) {
	case LEV_REQ:
		return "req";
	case LEV_RESP:
		return e->status >= 400 ? "bad" : e->status >= 200 ? "ok" : "prov";
	case LEV_RST:
	case LEV_ICMP:
		return "bad";
	default:
		return "tcp";
	}
}

static void svg_text(FILE *f, double x, double y, const char *cls, const char *anchor,
		     const char *text, const char *hl)
{
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" class=\"%s\"%s%s%s>", x, y, cls,
		anchor ? " text-anchor=\"" : "", anchor ? anchor : "", anchor ? "\"" : "");
	esc_hl(f, text, hl, "tspan", "xlat");
	fputs("</text>\n", f);
}

static void ladder_svg(FILE *f, struct ladder *L, const struct lanes *ls)
{
	const double width = G_LEFT + 2 * G_PAD + (ls->n > 1 ? (ls->n - 1) * G_LANE : 0) + G_RIGHT;
	const double height = G_HEAD + (double)L->n * G_ROW + G_FOOT;
	const char *hl = ls->xlat[0] ? ls->xlat : NULL;
	uint64_t t0 = L->n ? L->ev[0].ts : 0;
	char seg_left[80] = "", seg_right[80] = "";

	fprintf(f,
		"<svg class=\"ladder\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
		"height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"ladder "
		"diagram of incident %u\">\n",
		width, height, width, height, L->inc->id);
	fputs("<defs>", f);
	static const char *const markers[] = { "req", "ok", "prov", "bad", "tcp" };

	for (unsigned int i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
		fprintf(f,
			"<marker id=\"h-%s-%u\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
			"markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">"
			"<path d=\"M0,0 L10,5 L0,10 z\" class=\"head %s\"/></marker>",
			markers[i], L->inc->id, markers[i]);
	fputs("</defs>\n", f);
	/* lanes: header, lifeline */
	for (unsigned int i = 0; i < ls->n; i++) {
		const struct lane *x = &ls->l[i];
		double cx = G_LEFT + G_PAD + i * G_LANE;
		char a[NP_ADDR_STRLEN];

		if (x->fw) {
			fprintf(f,
				"<rect x=\"%.0f\" y=\"%d\" width=\"28\" height=\"%.0f\" "
				"class=\"fwband\"/>\n",
				cx - 14, G_HEAD - 8, height - G_HEAD - G_FOOT + 16);
			svg_text(f, cx, 48, "lane fw", "middle", "firewall", NULL);
			if (ls->face[0][0])
				svg_text(f, cx, 66, "face", "middle", ls->face[0], hl);
			if (ls->face[1][0])
				svg_text(f, cx, 82, "face", "middle", ls->face[1], hl);
			continue;
		}
		np_addr_str(&x->addr, a, sizeof(a));
		fprintf(f, "<line x1=\"%.0f\" y1=\"%d\" x2=\"%.0f\" y2=\"%.0f\" class=\"life\"/>\n",
			cx, G_HEAD - 8, cx, height - G_FOOT + 8);
		svg_text(f, cx, 48, "lane", "middle", x->role[0] ? x->role : "host", NULL);
		svg_text(f, cx, 66, "addr", "middle", a, hl);
		svg_text(f, cx, 82, "face", "middle", x->seg, NULL);
		if (x->side == 0 && seg_left[0] == '\0')
			snprintf(seg_left, sizeof(seg_left), "segment %s", x->seg);
		if (x->side == 1 && seg_right[0] == '\0')
			snprintf(seg_right, sizeof(seg_right), "segment %s", x->seg);
	}
	if (seg_left[0])
		svg_text(f, G_LEFT + G_PAD + (ls->fw * G_LANE) / 2.0, 18, "segname", "middle",
			 seg_left, NULL);
	if (seg_right[0])
		svg_text(f,
			 G_LEFT + G_PAD + ls->fw * G_LANE + ((ls->n - 1 - ls->fw) * G_LANE) / 2.0,
			 18, "segname", "middle", seg_right, NULL);
	svg_text(f, 8, 48, "colhead", NULL, "time (+ms)", NULL);
	svg_text(f, 8, 66, "colhead", NULL, "segment, frame", NULL);
	svg_text(f, width - G_RIGHT + 10, 48, "colhead", NULL, "records", NULL);
	/* one row per event */
	for (size_t k = 0; k < L->n; k++) {
		const struct lev *e = &L->ev[k];
		int a = lane_of(ls, &e->src), b = lane_of(ls, &e->dst);
		double y = G_HEAD + (double)k * G_ROW + 22;
		double xa = G_LEFT + G_PAD + (a < 0 ? 0 : a) * G_LANE;
		double xb = G_LEFT + G_PAD + (b < 0 ? 0 : b) * G_LANE;
		const char *cls = lev_class(e);
		char t[48], fr[96], clk[16];

		fprintf(f, "<g class=\"ev %s%s\">\n", e->cited ? "cited" : "context",
			e->sub_bad ? " finding" : "");
		np_record_clock(e->ts, clk, sizeof(clk));
		snprintf(t, sizeof(t), "+%.3f  %s", (double)(e->ts - t0) / 1e6, clk);
		svg_text(f, 8, y - 4, "time", NULL, t, NULL);
		snprintf(fr, sizeof(fr), "%s #%" PRIu64,
			 np_record_segment_name(L->rep->names, e->ref.segment), e->ref.frame);
		svg_text(f, 8, y + 12, "frame", NULL, fr, NULL);
		if (a == b) {
			fprintf(f,
				"<path d=\"M%.0f,%.0f h40 v10 h-36\" class=\"arrow %s\" "
				"marker-end=\"url(#h-%s-%u)\"/>\n",
				xa, y - 5, cls, cls, L->inc->id);
		} else {
			fprintf(f,
				"<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" "
				"class=\"arrow %s\" marker-end=\"url(#h-%s-%u)\"/>\n",
				xa, y, xb + (xb > xa ? -2 : 2), y, cls, cls, L->inc->id);
		}
		svg_text(f, (xa + xb) / 2, y - 6, e->cited ? "label strong" : "label", "middle",
			 e->label, hl);
		svg_text(f, (xa + xb) / 2, y + 14, e->sub_bad ? "sub offending" : "sub", "middle",
			 e->sub, hl);
		if (e->cites[0])
			svg_text(f, width - G_RIGHT + 10, y + 4, "cites", NULL, e->cites, NULL);
		fputs("</g>\n", f);
	}
	fputs("</svg>\n", f);
}

/* ---- the page ------------------------------------------------------------- */

static const char css[] =
	"body{font-family:'DejaVu Sans',Arial,sans-serif;margin:24px;color:#1b1b1b;"
	"background:#fff;max-width:1500px}"
	"h1{font-size:22px;margin:0 0 6px}h2{font-size:19px;margin:28px 0 6px;"
	"border-top:2px solid #333;padding-top:14px}h3{font-size:15px;margin:16px 0 4px}"
	".verdict{font-size:18px;font-weight:bold;padding:10px 14px;border-radius:4px;"
	"background:#e8f5e9;border-left:6px solid #2e7d32}"
	".verdict.alarm{background:#fdecea;border-left-color:#c62828}"
	".meta{color:#555;font-size:13px}.detail{font-size:15px}"
	".sev{font-size:13px;color:#fff;background:#c62828;border-radius:3px;padding:1px 6px;"
	"vertical-align:middle}.sev.warning{background:#e65100}.sev.info{background:#546e7a}"
	"table{border-collapse:collapse;font-size:13px;margin:6px 0}"
	"td,th{border:1px solid #ccc;padding:4px 7px;text-align:left;vertical-align:top}"
	"th{background:#f0f0f0}code{font-family:'DejaVu Sans Mono',monospace;font-size:12px}"
	".fix li{margin:4px 0}.scroll{overflow-x:auto;border:1px solid #ddd;background:#fcfcfc}"
	"svg.ladder{font-family:'DejaVu Sans',Arial,sans-serif;display:block}"
	"svg .lane{font-size:14px;font-weight:bold;fill:#111}svg .lane.fw{fill:#5d4037}"
	"svg .addr{font-size:13px;fill:#111}svg .face{font-size:11px;fill:#555}"
	"svg .segname{font-size:13px;fill:#37474f;font-style:italic}"
	"svg .colhead{font-size:11px;fill:#777}"
	"svg .life{stroke:#90a4ae;stroke-width:1.5;stroke-dasharray:4 3}"
	"svg .fwband{fill:#efebe9;stroke:#8d6e63;stroke-width:1.5}"
	"svg .time{font-size:11px;fill:#333}svg .frame{font-size:11px;fill:#777}"
	"svg .cites{font-size:12px;fill:#c62828;font-weight:bold}"
	"svg .label{font-size:12px;fill:#333}svg .label.strong{font-weight:bold;fill:#111}"
	"svg .sub{font-size:11px;fill:#666}svg .sub.offending{fill:#c62828;font-weight:bold}"
	"svg .xlat{fill:#c62828;font-weight:bold;text-decoration:underline}"
	"svg .arrow{stroke-width:2;fill:none}svg .arrow.req{stroke:#1565c0}"
	"svg .arrow.ok{stroke:#2e7d32}svg .arrow.prov{stroke:#78909c}"
	"svg .arrow.bad{stroke:#c62828;stroke-width:2.6}svg .arrow.tcp{stroke:#455a64}"
	"svg .head.req{fill:#1565c0}svg .head.ok{fill:#2e7d32}svg .head.prov{fill:#78909c}"
	"svg .head.bad{fill:#c62828}svg .head.tcp{fill:#455a64}"
	"svg .ev.context{opacity:.42}"
	".legend{font-size:12px;color:#555}";

static void frames_cell(FILE *f, const struct np_det_record *r, const struct np_record_names *n)
{
	for (unsigned int i = 0; i < r->n_frames; i++) {
		char b[160];

		snprintf(b, sizeof(b), "%s%s #%" PRIu64, i ? ", " : "",
			 np_record_input_name(n, r->frames[i].input), r->frames[i].frame);
		fputs("<code>", f);
		esc(f, b);
		fputs("</code>", f);
	}
}

static void record_row(FILE *f, const struct np_det_record *r, const struct np_record_names *n)
{
	char ts[40];

	fprintf(f, "<tr><td>#%u</td><td>%s<br><span class=\"sev %s\">%s</span></td><td>", r->id,
		np_det_type_name(r->type), np_det_severity_name(r->severity),
		np_det_severity_name(r->severity));
	esc(f, np_record_ts(r->ts_ns, ts, sizeof(ts)));
	fputs("</td><td>", f);
	esc(f, r->segment >= 0 ? np_record_segment_name(n, r->segment) : "");
	fputs("</td><td>", f);
	frames_cell(f, r, n);
	fputs("</td><td>", f);
	esc(f, r->detail);
	fputs("</td></tr>\n", f);
}

static const char table_head[] =
	"<table><tr><th>record</th><th>type</th><th>time (UTC)</th><th>segment</th>"
	"<th>frames (input #frame)</th><th>detail</th></tr>\n";

static int incident_section(FILE *f, const struct np_html_report *rep,
			    const struct np_html_incident *hi)
{
	const struct np_det_record *inc = hi->incident;
	struct ladder L = { .rep = rep, .inc = inc };
	struct lanes ls;
	char ts[40], text[2048];

	fprintf(f,
		"<section class=\"incident\" id=\"incident-%u\">\n<h2>Incident #%u: %s "
		"<span class=\"sev %s\">%s</span></h2>\n",
		inc->id, inc->id, np_det_type_name(inc->type), np_det_severity_name(inc->severity),
		np_det_severity_name(inc->severity));
	fputs("<p class=\"meta\">first evidence at ", f);
	esc(f, np_record_ts(inc->ts_ns, ts, sizeof(ts)));
	fputs(" &middot; translated endpoint <code>", f);
	esc(f, inc->endpoint);
	fputs("</code></p>\n<p class=\"detail\">", f);
	esc(f, inc->detail);
	fputs("</p>\n", f);
	if (hi->evidence != NULL && hi->evidence->n > 0) {
		L.ev = calloc(LADDER_MAX_EVENTS, sizeof(*L.ev));
		if (L.ev == NULL || ladder_events(&L, hi->evidence) < 0) {
			free(L.ev);
			return -ENOMEM;
		}
		ladder_lanes(&L, &ls);
		fputs("<h3>What happened, frame by frame</h3>\n<div class=\"scroll\">\n", f);
		ladder_svg(f, &L, &ls);
		fputs("</div>\n<p class=\"legend\">Bold arrows are frames the records cite (their "
		      "ids on the right), faint ones the rest of the same connection or dialog. "
		      "Red: refusals, failures, the finding; the translated address is "
		      "<span style=\"color:#c62828;font-weight:bold;text-decoration:underline\">"
		      "underlined in red</span>.",
		      f);
		if (L.omitted_req + L.omitted_resp > 0) {
			fprintf(f, " Not drawn: %zu other requests (", L.omitted_req);
			esc(f, L.omitted_what[0] ? L.omitted_what : "none");
			fprintf(f,
				" ...) and %zu responses of other dialogs on the same "
				"connections; they are in the capture.",
				L.omitted_resp);
		}
		if (L.full)
			fprintf(f, " Only the first %d events are drawn.", LADDER_MAX_EVENTS);
		fputs("</p>\n", f);
		free(L.ev);
	} else {
		fputs("<p class=\"meta\">No evidence frames (a diagnostic log, or the frames had "
		      "left the evidence history).</p>\n",
		      f);
	}
	fputs("<h3>Diagnosis</h3>\n<p>", f);
	esc(f, np_record_diagnosis(inc, text, sizeof(text)));
	fputs("</p>\n<h3>Fix</h3>\n<ol class=\"fix\"><li>", f);
	esc(f, np_record_fix(inc, 0, text, sizeof(text)));
	fputs("</li><li>", f);
	esc(f, np_record_fix(inc, 1, text, sizeof(text)));
	fputs("</li></ol>\n<h3>Evidence</h3>\n", f);
	if (hi->capture != NULL) {
		fputs("<p>Capture: <code>", f);
		esc(f, hi->capture);
		fprintf(f,
			"</code> (%zu frames; pcapng, one interface per segment, a comment per "
			"frame naming its records)</p>\n",
			hi->evidence ? hi->evidence->n : 0);
	}
	fputs(table_head, f);
	for (unsigned int k = 0; k < inc->n_evidence; k++) {
		const struct np_det_record *r =
			np_record_find(rep->records, rep->n_records, inc->evidence[k]);

		if (r != NULL)
			record_row(f, r, rep->names);
	}
	record_row(f, inc, rep->names);
	fputs("</table>\n</section>\n", f);
	return 0;
}

int np_html_write(FILE *f, const struct np_html_report *rep)
{
	size_t n_inc = 0, n_other = 0;
	int rc = 0;

	for (size_t i = 0; i < rep->n_records; i++)
		n_inc += rep->records[i].kind == NP_DET_KIND_INCIDENT;
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n<meta name=\"viewport\" "
	      "content=\"width=device-width\">\n"
	      "<title>natprobe: ",
	      f);
	esc(f, rep->verdict ? rep->verdict : "");
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>natprobe analysis</h1>\n",
		css);
	fprintf(f, "<p class=\"verdict%s\">", n_inc > 0 ? " alarm" : "");
	esc(f, rep->verdict ? rep->verdict : "");
	fputs("</p>\n", f);
	if (rep->inputs != NULL) {
		fputs("<p class=\"meta\">Inputs: <code>", f);
		esc(f, rep->inputs);
		fputs("</code></p>\n", f);
	}
	for (size_t i = 0; i < rep->n_incidents && rc == 0; i++)
		rc = incident_section(f, rep, &rep->incidents[i]);
	/* Anomalies that no incident cites. */
	for (size_t i = 0; i < rep->n_records; i++) {
		const struct np_det_record *r = &rep->records[i];
		bool cited = false;

		if (r->kind != NP_DET_KIND_ANOMALY)
			continue;
		for (size_t k = 0; k < rep->n_records && !cited; k++)
			for (unsigned int e = 0; rep->records[k].kind == NP_DET_KIND_INCIDENT &&
						 e < rep->records[k].n_evidence;
			     e++)
				cited |= rep->records[k].evidence[e] == r->id;
		if (cited)
			continue;
		if (n_other++ == 0)
			fprintf(f, "<section class=\"anomalies\">\n<h2>Other anomalies</h2>\n%s",
				table_head);
		record_row(f, r, rep->names);
	}
	if (n_other > 0)
		fputs("</table>\n</section>\n", f);
	fputs("<p class=\"meta\">Written by natprobe ", f);
	esc(f, rep->version ? rep->version : "");
	fputs(" (natprobe analyze --html). Records: docs/records.md; anomaly types: "
	      "docs/anomalies.md.</p>\n</body>\n</html>\n",
	      f);
	if (rc == 0 && ferror(f))
		rc = -EIO;
	return rc;
}
