/* SPDX-License-Identifier: BSD-3-Clause */
/* Evidence captures: an incident's frames out of the histories, as pcapng (np_evidence.h). */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "np_evidence.h"
#include "np_pcapng_writer.h"

#define EV_CACHE 16384u	  /* records remembered, by id */
#define EV_MAX_CITES 512u /* distinct frames one incident cites */
#define EV_MAX_IDS 24u	  /* records named in one frame's comment */

struct ev_rec {
	uint32_t id; /* 0 = free */
	uint8_t type;
	uint8_t n;
	struct np_pkt_ref frames[NP_DET_ANOMALY_FRAMES];
};

struct np_evidence {
	const struct np_hist *hist[NP_EVIDENCE_MAX_HIST];
	unsigned int n_hist;
	struct np_evidence_stats stats;
	struct ev_rec recs[EV_CACHE]; /* id % EV_CACHE */
};

/* A frame the records cite, and who cites it. */
struct ev_cite {
	struct np_pkt_ref ref;
	bool found;
	uint8_t n_ids;
	uint32_t ids[EV_MAX_IDS];
	uint8_t types[EV_MAX_IDS];
};

/* A history position picked for the capture. */
struct ev_pick {
	unsigned int h;
	uint64_t pos;
	struct np_hist_meta meta;
	uint8_t why;
	int cite; /* index in the cites, -1 for context */
};

struct np_evidence *np_evidence_create(void)
{
	struct np_evidence *e = calloc(1, sizeof(*e));

	if (e == NULL)
		errno = ENOMEM;
	return e;
}

void np_evidence_destroy(struct np_evidence *e)
{
	free(e);
}

int np_evidence_add_history(struct np_evidence *e, const struct np_hist *h)
{
	if (e->n_hist == NP_EVIDENCE_MAX_HIST)
		return -ENOSPC;
	e->hist[e->n_hist++] = h;
	return 0;
}

void np_evidence_note(struct np_evidence *e, const struct np_det_record *r)
{
	struct ev_rec *s = &e->recs[r->id % EV_CACHE];

	if (r->kind == NP_DET_KIND_INCIDENT)
		return; /* an incident is handed over whole when collected */
	s->id = r->id;
	s->type = r->type;
	s->n = 0;
	for (unsigned int i = 0; i < r->n_frames && s->n < NP_DET_ANOMALY_FRAMES; i++)
		s->frames[s->n++] = r->frames[i];
}

const struct np_evidence_stats *np_evidence_stats(const struct np_evidence *e)
{
	return &e->stats;
}

/* Note that record @p id of @p type cites @p ref. */
static void cite(struct ev_cite *c, unsigned int *n, const struct np_pkt_ref *ref, uint32_t id,
		 uint8_t type)
{
	struct ev_cite *x = NULL;

	if (ref->frame == 0)
		return;
	for (unsigned int i = 0; i < *n; i++)
		if (np_pkt_ref_eq(&c[i].ref, ref))
			x = &c[i];
	if (x == NULL) {
		if (*n == EV_MAX_CITES)
			return;
		x = &c[(*n)++];
		memset(x, 0, sizeof(*x));
		x->ref = *ref;
	}
	for (unsigned int i = 0; i < x->n_ids; i++)
		if (x->ids[i] == id)
			return;
	if (x->n_ids < EV_MAX_IDS) {
		/* kept in id order: records are written in id order */
		unsigned int k = x->n_ids++;

		while (k > 0 && x->ids[k - 1] > id) {
			x->ids[k] = x->ids[k - 1];
			x->types[k] = x->types[k - 1];
			k--;
		}
		x->ids[k] = id;
		x->types[k] = type;
	}
}

static int find_cite(const struct ev_cite *c, unsigned int n, const struct np_pkt_ref *ref)
{
	for (unsigned int i = 0; i < n; i++)
		if (np_pkt_ref_eq(&c[i].ref, ref))
			return (int)i;
	return -1;
}

static bool key_in(const uint64_t *keys, unsigned int n, uint64_t k)
{
	if (k == 0)
		return false;
	for (unsigned int i = 0; i < n; i++)
		if (keys[i] == k)
			return true;
	return false;
}

static void key_add(uint64_t *keys, unsigned int *n, unsigned int max, uint64_t k)
{
	if (k != 0 && !key_in(keys, *n, k) && *n < max)
		keys[(*n)++] = k;
}

static int pick_add(struct ev_pick **p, size_t *n, size_t *cap, const struct ev_pick *x)
{
	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 64;
		struct ev_pick *np = realloc(*p, nc * sizeof(*np));

		if (np == NULL)
			return -ENOMEM;
		*p = np;
		*cap = nc;
	}
	(*p)[(*n)++] = *x;
	return 0;
}

static int cmp_frame(const void *x, const void *y)
{
	const struct np_evidence_frame *a = x, *b = y;

	if (a->meta.ts_ns != b->meta.ts_ns)
		return a->meta.ts_ns < b->meta.ts_ns ? -1 : 1;
	if (a->meta.ref.segment != b->meta.ref.segment)
		return a->meta.ref.segment < b->meta.ref.segment ? -1 : 1;
	if (a->meta.ref.input != b->meta.ref.input)
		return a->meta.ref.input < b->meta.ref.input ? -1 : 1;
	return a->meta.ref.frame < b->meta.ref.frame ? -1 : a->meta.ref.frame > b->meta.ref.frame;
}

/* The protocol of a frame's flow, for the comment: "TCP connection" or "UDP flow". */
static const char *flow_word(const uint8_t *data, uint32_t len)
{
	struct np_pkt_info pi;

	np_pkt_parse(data, len, &pi);
	if (pi.cls == NP_PKT_ICMP && pi.icmp_inner.valid)
		return pi.icmp_inner.proto == 17 ? "UDP flow" : "TCP connection";
	return pi.l4_proto == 17 ? "UDP flow" : "TCP connection";
}

static void comment(struct np_evidence_frame *fr, const struct ev_cite *c,
		    const struct np_det_record *inc, const struct np_record_names *names)
{
	size_t off = 0, len = sizeof(fr->comment);

	if (c != NULL) {
		for (unsigned int i = 0; i < c->n_ids && off < len; i++)
			off += (size_t)snprintf(fr->comment + off, len - off, "%s#%u %s",
						i ? ", " : "", c->ids[i],
						np_det_type_name(c->types[i]));
	} else {
		off += (size_t)snprintf(fr->comment, len, "context of #%u %s: same %s", inc->id,
					np_det_type_name(inc->type),
					fr->why == NP_EVIDENCE_DIALOG
						? "SIP Call-ID"
						: flow_word(fr->data, fr->meta.caplen));
	}
	if (off < len)
		snprintf(fr->comment + off, len - off, " [%s frame %" PRIu64 "]",
			 np_record_input_name(names, fr->meta.ref.input), fr->meta.ref.frame);
}

int np_evidence_collect(struct np_evidence *e, const struct np_det_record *inc,
			const struct np_record_names *names, struct np_evidence_set *out)
{
	enum {
		MAX_KEYS = 256
	};
	struct ev_cite *cites;
	struct ev_pick *picks = NULL;
	size_t n_picks = 0, cap_picks = 0;
	uint64_t flows[MAX_KEYS], calls[MAX_KEYS];
	unsigned int n_cites = 0, n_flows = 0, n_calls = 0;
	uint64_t tmin = UINT64_MAX, tmax = 0, lo, hi;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->incident = inc->id;
	cites = calloc(EV_MAX_CITES, sizeof(*cites));
	if (cites == NULL)
		return -ENOMEM;
	/* What the incident and each of its evidence records cite. */
	for (unsigned int i = 0; i < inc->n_frames; i++)
		cite(cites, &n_cites, &inc->frames[i], inc->id, inc->type);
	for (unsigned int k = 0; k < inc->n_evidence; k++) {
		const struct ev_rec *r = &e->recs[inc->evidence[k] % EV_CACHE];

		if (r->id != inc->evidence[k])
			continue;
		for (unsigned int i = 0; i < r->n; i++)
			cite(cites, &n_cites, &r->frames[i], r->id, r->type);
	}
	/* First pass: the cited frames, and the flows and dialogs they belong to. */
	for (unsigned int h = 0; h < e->n_hist; h++) {
		uint64_t head = np_hist_head(e->hist[h]), n = np_hist_slots(e->hist[h]);

		for (uint64_t pos = head > n ? head - n : 0; pos < head; pos++) {
			struct ev_pick p = { .h = h, .pos = pos, .why = NP_EVIDENCE_CITED };
			int ci;

			if (np_hist_read(e->hist[h], pos, &p.meta, NULL) != 0)
				continue;
			ci = find_cite(cites, n_cites, &p.meta.ref);
			if (ci < 0 || cites[ci].found)
				continue;
			cites[ci].found = true;
			p.cite = ci;
			if (pick_add(&picks, &n_picks, &cap_picks, &p) < 0) {
				rc = -ENOMEM;
				goto out;
			}
			key_add(flows, &n_flows, MAX_KEYS, p.meta.flow_key);
			key_add(calls, &n_calls, MAX_KEYS, p.meta.call_key);
			if (p.meta.ts_ns < tmin)
				tmin = p.meta.ts_ns;
			if (p.meta.ts_ns > tmax)
				tmax = p.meta.ts_ns;
		}
	}
	lo = tmin > NP_EVIDENCE_WINDOW_NS ? tmin - NP_EVIDENCE_WINDOW_NS : 0;
	hi = tmax + NP_EVIDENCE_WINDOW_NS;
	/* Second pass: the rest of those connections and dialogs. */
	for (unsigned int h = 0; h < e->n_hist && n_picks > 0; h++) {
		uint64_t head = np_hist_head(e->hist[h]), n = np_hist_slots(e->hist[h]);

		for (uint64_t pos = head > n ? head - n : 0; pos < head; pos++) {
			struct ev_pick p = { .h = h, .pos = pos, .cite = -1 };
			bool in_window;

			if (np_hist_read(e->hist[h], pos, &p.meta, NULL) != 0 ||
			    find_cite(cites, n_cites, &p.meta.ref) >= 0)
				continue;
			in_window = p.meta.ts_ns >= lo && p.meta.ts_ns <= hi;
			if (key_in(flows, n_flows, p.meta.flow_key) &&
			    (in_window || (p.meta.flags & NP_HIST_F_TCP_CTL)))
				p.why = NP_EVIDENCE_CONNECTION;
			else if (in_window && key_in(calls, n_calls, p.meta.call_key))
				p.why = NP_EVIDENCE_DIALOG;
			else
				continue;
			if (pick_add(&picks, &n_picks, &cap_picks, &p) < 0) {
				rc = -ENOMEM;
				goto out;
			}
		}
	}
	/* Copy the frames out; one overwritten meanwhile is lost. */
	out->frames = calloc(n_picks + 1, sizeof(*out->frames)); /* +1: see set_free */
	if (out->frames == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	out->snaplen = e->n_hist ? np_hist_snaplen(e->hist[0]) : 0;
	for (size_t i = 0; i < n_picks; i++) {
		const struct np_hist *h = e->hist[picks[i].h];
		struct np_evidence_frame *fr = &out->frames[out->n];

		fr->data = malloc(np_hist_snaplen(h));
		if (fr->data == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		if (np_hist_read(h, picks[i].pos, &fr->meta, fr->data) != 0 ||
		    !np_pkt_ref_eq(&fr->meta.ref, &picks[i].meta.ref)) {
			free(fr->data);
			fr->data = NULL;
			if (picks[i].cite >= 0)
				cites[picks[i].cite].found = false;
			continue;
		}
		if (np_hist_snaplen(h) > out->snaplen)
			out->snaplen = np_hist_snaplen(h);
		fr->why = picks[i].why;
		comment(fr, picks[i].cite >= 0 ? &cites[picks[i].cite] : NULL, inc, names);
		out->n++;
	}
	qsort(out->frames, out->n, sizeof(out->frames[0]), cmp_frame);
	out->cited = n_cites;
	for (unsigned int i = 0; i < n_cites; i++)
		out->lost += !cites[i].found;
	e->stats.frames_lost += out->lost;
	e->stats.sets++;
out:
	if (rc < 0)
		np_evidence_set_free(out);
	free(picks);
	free(cites);
	return rc;
}

void np_evidence_set_free(struct np_evidence_set *s)
{
	for (size_t i = 0; s->frames != NULL && i < s->n; i++)
		free(s->frames[i].data);
	/* a frame being filled when memory ran out */
	if (s->frames != NULL)
		free(s->frames[s->n].data);
	free(s->frames);
	memset(s, 0, sizeof(*s));
}

int np_evidence_write_pcapng(FILE *f, const struct np_evidence_set *s,
			     const struct np_record_names *names, const char *userappl)
{
	int iface[NP_DET_MAX_SEGMENTS];
	uint32_t n_if = 0;
	int rc;

	rc = np_pcapng_write_shb(f, userappl);
	/* One interface per segment present, in segment order. */
	for (unsigned int seg = 0; seg < NP_DET_MAX_SEGMENTS; seg++) {
		char descr[512];
		size_t off = 0;
		unsigned int n_inputs = 0;
		uint16_t seen[16];

		iface[seg] = -1;
		for (size_t i = 0; i < s->n; i++) {
			const struct np_pkt_ref *r = &s->frames[i].meta.ref;
			bool dup = false;

			if (r->segment != seg)
				continue;
			for (unsigned int k = 0; k < n_inputs; k++)
				dup |= seen[k] == r->input;
			if (dup || n_inputs == 16)
				continue;
			seen[n_inputs++] = r->input;
			if (off < sizeof(descr))
				off += (size_t)snprintf(descr + off, sizeof(descr) - off, "%s%s",
							n_inputs > 1 ? ", " : "natprobe input ",
							np_record_input_name(names, r->input));
		}
		if (n_inputs == 0)
			continue;
		iface[seg] = (int)n_if++;
		rc |= np_pcapng_write_idb(f, NP_PCAPNG_LINKTYPE_ETHERNET,
					  s->snaplen ? s->snaplen : 65535,
					  np_record_segment_name(names, (int)seg), descr);
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct np_evidence_frame *fr = &s->frames[i];

		rc |= np_pcapng_write_epb(f,
					  (uint32_t)
						  iface[fr->meta.ref.segment % NP_DET_MAX_SEGMENTS],
					  fr->meta.ts_ns, fr->data, fr->meta.caplen, fr->meta.len,
					  fr->comment);
	}
	return rc != 0 || ferror(f) ? -EIO : 0;
}
