/* SPDX-License-Identifier: BSD-3-Clause */
/* Records as JSON lines (the contract in docs/records.md) and as report text. */

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "np_counters.h"
#include "np_record.h"

char *np_record_ts(uint64_t ts_ns, char *buf, size_t len)
{
	time_t s = (time_t)(ts_ns / 1000000000ull);
	struct tm tm;
	char tmp[24];

	gmtime_r(&s, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03uZ", tmp, (unsigned int)(ts_ns / 1000000ull % 1000));
	return buf;
}

static const char *seg(const struct np_record_names *n, int i)
{
	if (n == NULL || i < 0 || (unsigned int)i >= n->n_segments)
		return "?";
	return n->segments[i];
}

const char *np_record_segment_name(const struct np_record_names *n, int i)
{
	return seg(n, i);
}

const char *np_record_input_name(const struct np_record_names *n, unsigned int i)
{
	if (n == NULL || i >= n->n_inputs || n->inputs == NULL || n->inputs[i] == NULL)
		return "?";
	return n->inputs[i];
}

static void kv_str(FILE *f, const char *k, const char *v, bool comma)
{
	fprintf(f, "%s\"%s\":", comma ? "," : "", k);
	np_json_str(f, v, strlen(v));
}

static void flow_json(FILE *f, const struct np_det_tuple *t)
{
	char s[64], d[64];

	np_endpoint_str(&t->src, t->sport, s, sizeof(s));
	np_endpoint_str(&t->dst, t->dport, d, sizeof(d));
	fprintf(f, ",\"flow\":{\"proto\":\"%s\",\"src\":\"%s\",\"dst\":\"%s\"}",
		np_proto_name(t->proto), s, d);
}

static void binding_short(FILE *f, const struct np_det_record *r, const struct np_record_names *n)
{
	const struct np_nat_binding *b = &r->binding;
	char a[64], t[64];

	np_endpoint_str(&b->a.src, b->a.sport, a, sizeof(a));
	np_endpoint_str(&b->b.src, b->b.sport, t, sizeof(t));
	fputs(",\"binding\":{", f);
	if (b->a.sport != 0 && b->seg_a != b->seg_b) {
		kv_str(f, seg(n, b->seg_a), a, false);
		kv_str(f, seg(n, b->seg_b), t, true);
	} else {
		kv_str(f, seg(n, b->seg_b), t, false);
	}
	fputc('}', f);
}

static void binding_full(FILE *f, const struct np_det_record *r, const struct np_record_names *n)
{
	const struct np_nat_binding *b = &r->binding;
	char as[64], ad[64], bs[64], bd[64];
	bool comma = false;

	np_endpoint_str(&b->a.src, b->a.sport, as, sizeof(as));
	np_endpoint_str(&b->a.dst, b->a.dport, ad, sizeof(ad));
	np_endpoint_str(&b->b.src, b->b.sport, bs, sizeof(bs));
	np_endpoint_str(&b->b.dst, b->b.dport, bd, sizeof(bd));
	fprintf(f, ",\"proto\":\"%s\",\"segments\":{", np_proto_name(b->proto));
	np_json_str(f, seg(n, b->seg_a), strlen(seg(n, b->seg_a)));
	fprintf(f, ":{\"src\":\"%s\",\"dst\":\"%s\"},", as, ad);
	np_json_str(f, seg(n, b->seg_b), strlen(seg(n, b->seg_b)));
	fprintf(f, ":{\"src\":\"%s\",\"dst\":\"%s\"}},\"changed\":[", bs, bd);
	if (b->changed & NP_NAT_CHANGED_SRC) {
		fputs("\"src\"", f);
		comma = true;
	}
	if (b->changed & NP_NAT_CHANGED_DST)
		fprintf(f, "%s\"dst\"", comma ? "," : "");
	if (b->seq_known)
		fprintf(f, "],\"seq_offset\":%" PRId64, (int64_t)b->seq_offset);
	else
		fputs("],\"seq_offset\":null", f);
	fprintf(f, ",\"static\":%s", b->is_static ? "true" : "false");
}

int np_record_write_json(FILE *f, const struct np_det_record *r, const struct np_record_names *n)
{
	char ts[40];

	fprintf(f, "{\"kind\":\"%s\",\"id\":%u,\"type\":\"%s\",\"severity\":\"%s\",\"ts\":\"%s\"",
		np_det_kind_name(r->kind), r->id, np_det_type_name(r->type),
		np_det_severity_name(r->severity), np_record_ts(r->ts_ns, ts, sizeof(ts)));
	if (r->segment >= 0)
		kv_str(f, "segment", seg(n, r->segment), true);
	if (r->has_flow)
		flow_json(f, &r->flow);
	if (r->has_sip) {
		fputs(",\"sip\":{", f);
		if (r->sip.method[0] != '\0')
			kv_str(f, "method", r->sip.method, false);
		else
			fputs("\"method\":null", f);
		if (r->sip.status != 0)
			fprintf(f, ",\"status\":%u", r->sip.status);
		else
			fputs(",\"status\":null", f);
		kv_str(f, "call_id", r->sip.call_id, true);
		kv_str(f, "cseq", r->sip.cseq, true);
		if (r->sip.header[0] != '\0') {
			kv_str(f, "header", r->sip.header, true);
			kv_str(f, "value", r->sip.value, true);
		}
		fputc('}', f);
	}
	if (r->endpoint[0] != '\0')
		kv_str(f, "endpoint", r->endpoint, true);
	if (r->kind == NP_DET_KIND_BINDING)
		binding_full(f, r, n);
	else if (r->has_binding)
		binding_short(f, r, n);
	if (r->timeout_kind[0] != '\0')
		kv_str(f, "timeout", r->timeout_kind, true);
	if (r->delay_ms >= 0)
		fprintf(f, ",\"delay_ms\":%" PRId64, r->delay_ms);
	if (r->outcome != NP_DET_OUTCOME_NONE)
		kv_str(f, "outcome",
		       r->outcome == NP_DET_OUTCOME_RST	   ? "rst"
		       : r->outcome == NP_DET_OUTCOME_ICMP ? "icmp_unreachable"
							   : "unanswered",
		       true);
	if (r->kind == NP_DET_KIND_ANOMALY) {
		char t0[40], t1[40];

		fprintf(f, ",\"count\":%u,\"first_ts\":\"%s\",\"last_ts\":\"%s\"",
			r->count ? r->count : 1, np_record_ts(r->ts_ns, t0, sizeof(t0)),
			np_record_ts(r->last_ns > r->ts_ns ? r->last_ns : r->ts_ns, t1,
				     sizeof(t1)));
	}
	if (r->kind == NP_DET_KIND_INCIDENT) {
		fputs(",\"evidence\":[", f);
		for (unsigned int i = 0; i < r->n_evidence; i++)
			fprintf(f, "%s%u", i ? "," : "", r->evidence[i]);
		fputc(']', f);
	}
	if (r->n_frames > 0) {
		fputs(",\"frames\":[", f);
		for (unsigned int i = 0; i < r->n_frames; i++) {
			const struct np_pkt_ref *x = &r->frames[i];

			fprintf(f, "%s{", i ? "," : "");
			kv_str(f, "segment", seg(n, x->segment), false);
			kv_str(f, "input", np_record_input_name(n, x->input), true);
			fprintf(f, ",\"frame\":%" PRIu64 "}", x->frame);
		}
		fputc(']', f);
	}
	kv_str(f, "detail", r->detail, true);
	if (r->kind == NP_DET_KIND_INCIDENT) {
		char text[2048];

		kv_str(f, "diagnosis", np_record_diagnosis(r, text, sizeof(text)), true);
		fputs(",\"fixes\":[", f);
		np_record_fix(r, 0, text, sizeof(text));
		np_json_str(f, text, strlen(text));
		fputc(',', f);
		np_record_fix(r, 1, text, sizeof(text));
		np_json_str(f, text, strlen(text));
		fputc(']', f);
	}
	fputs("}\n", f);
	return ferror(f) ? -EIO : 0;
}

int np_record_write_text(FILE *f, const struct np_det_record *r, const struct np_record_names *n,
			 const struct np_det_record *all, size_t n_all)
{
	char ts[40];

	np_record_ts(r->ts_ns, ts, sizeof(ts));
	if (r->kind == NP_DET_KIND_INCIDENT) {
		char text[2048], fix2[2048];

		fprintf(f, "INCIDENT #%u %s (%s) at %s\n", r->id, np_det_type_name(r->type),
			np_det_severity_name(r->severity), ts);
		fprintf(f, "  %s\n\n  Diagnosis: %s\n\n  Evidence:\n", r->detail,
			np_record_diagnosis(r, text, sizeof(text)));
		np_record_write_ladder(f, r, all, n_all, n);
		fprintf(f, "\n  Fix: %s\n  %s\n\n", np_record_fix(r, 0, text, sizeof(text)),
			np_record_fix(r, 1, fix2, sizeof(fix2)));
	} else if (r->kind == NP_DET_KIND_ANOMALY) {
		char last[40], times[64] = "";

		if (r->count > 1)
			snprintf(times, sizeof(times), " [seen %u times, last %s]", r->count,
				 np_record_ts(r->last_ns, last, sizeof(last)) + 11);
		fprintf(f, "#%-4u %-9s %-24s %s %s: %s%s\n", r->id,
			np_det_severity_name(r->severity), np_det_type_name(r->type), ts,
			seg(n, r->segment), r->detail, times);
	} else {
		fprintf(f, "#%-4u binding   %s\n", r->id, r->detail);
	}
	return ferror(f) ? -EIO : 0;
}
