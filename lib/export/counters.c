/* SPDX-License-Identifier: BSD-3-Clause */

#include <errno.h>
#include <string.h>

#include "np_counters.h"

#define NP_CTR_DEF(e, n, h, t) [NP_##e] = { n, h, t },
const struct np_ctr_def np_port_ctr_defs[NP_PORT_CTR_MAX] = { NP_PORT_COUNTERS(NP_CTR_DEF) };
const struct np_ctr_def np_segment_ctr_defs[NP_SEGMENT_CTR_MAX] = {
	NP_SEGMENT_COUNTERS(NP_CTR_DEF)
};
const struct np_ctr_def np_worker_ctr_defs[NP_WORKER_CTR_MAX] = {
	NP_WORKER_COUNTERS(NP_CTR_DEF)
};
const struct np_ctr_def np_tunnel_ctr_defs[NP_TUNNEL_CTR_MAX] = {
	NP_TUNNEL_COUNTERS(NP_CTR_DEF)
};
const struct np_ctr_def np_evidence_ctr_defs[NP_EVD_CTR_MAX] = {
	NP_EVIDENCE_COUNTERS(NP_CTR_DEF)
};
#undef NP_CTR_DEF
#define NP_CTR_LDEF(e, n, l, v, h, t) [NP_##e] = { n, l, v, h, t },
const struct np_ctr_ldef np_hep_ctr_defs[NP_HEP_CTR_MAX] = { NP_HEP_COUNTERS(NP_CTR_LDEF) };
#undef NP_CTR_LDEF

const struct np_ctr_def np_frame_class_def = {
	"segment_frames_total",
	"Frames seen on the segment by what they turned out to be (all are forwarded)",
	NP_CTR_COUNTER,
};

static void add_stats(struct np_stats *out, const struct np_stats *in)
{
	const uint64_t *src = (const uint64_t *)in;
	uint64_t *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*in) / sizeof(uint64_t); i++)
		dst[i] += src[i];
}

void np_stats_sum(const struct np_stats_src *src, struct np_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int w = 0; w < src->n_workers; w++)
		add_stats(out, src->workers[w]);
	if (src->control != NULL)
		add_stats(out, src->control);
}

static void family(FILE *f, const struct np_ctr_def *d)
{
	fprintf(f, "# HELP natprobe_%s %s\n# TYPE natprobe_%s %s\n", d->name, d->help, d->name,
		d->type == NP_CTR_COUNTER ? "counter" : "gauge");
}

static void family_raw(FILE *f, const char *name, const char *help, bool gauge)
{
	fprintf(f, "# HELP natprobe_%s %s\n# TYPE natprobe_%s %s\n", name, help, name,
		gauge ? "gauge" : "counter");
}

static void write_sip(FILE *f, const struct np_stats_src *src)
{
	const struct np_conf *c = src->conf;
	static const char *const cls[] = { "other", "1xx", "2xx", "3xx", "4xx", "5xx", "6xx" };

	family_raw(f, "sip_requests_total", "SIP requests parsed, by segment and method", false);
	for (unsigned int s = 0; s < c->n_segments && s < NP_DET_MAX_SEGMENTS; s++)
		for (unsigned int m = NP_SIP_M_OTHER; m < NP_SIP_M_MAX; m++) {
			uint64_t v = 0;

			for (unsigned int w = 0; w < src->n_workers; w++)
				v += src->inspect[w]->sip[s].requests[m];
			fprintf(f, "natprobe_sip_requests_total{segment=\"%s\",method=\"%s\"} %lu\n",
				c->segments[s].name, np_sip_method_name(m), (unsigned long)v);
		}
	family_raw(f, "sip_responses_total", "SIP responses parsed, by segment and status class",
		   false);
	for (unsigned int s = 0; s < c->n_segments && s < NP_DET_MAX_SEGMENTS; s++)
		for (unsigned int k = 1; k <= 6; k++) {
			uint64_t v = 0;

			for (unsigned int w = 0; w < src->n_workers; w++)
				v += src->inspect[w]->sip[s].responses[k];
			fprintf(f, "natprobe_sip_responses_total{segment=\"%s\",class=\"%s\"} %lu\n",
				c->segments[s].name, cls[k], (unsigned long)v);
		}
	family_raw(f, "sip_parse_errors_total",
		   "SIP messages that could not be parsed, by segment and kind", false);
	for (unsigned int s = 0; s < c->n_segments && s < NP_DET_MAX_SEGMENTS; s++)
		for (unsigned int k = 1; k < NP_SIP_E_MAX; k++) {
			uint64_t v = 0;

			for (unsigned int w = 0; w < src->n_workers; w++)
				v += src->inspect[w]->sip[s].errors[k];
			fprintf(f, "natprobe_sip_parse_errors_total{segment=\"%s\",kind=\"%s\"} %lu\n",
				c->segments[s].name, np_sip_err_name(k), (unsigned long)v);
		}
	family_raw(f, "ip_fragments_total", "IP fragments by outcome (reassembled datagrams, held, "
		   "dropped)", false);
	{
		uint64_t held = 0, done = 0, dropped = 0;

		for (unsigned int w = 0; w < src->n_workers; w++) {
			held += src->inspect[w]->frag_held;
			done += src->inspect[w]->frag_reassembled;
			dropped += src->inspect[w]->frag_dropped;
		}
		fprintf(f, "natprobe_ip_fragments_total{outcome=\"held\"} %lu\n", (unsigned long)held);
		fprintf(f, "natprobe_ip_fragments_total{outcome=\"reassembled\"} %lu\n",
			(unsigned long)done);
		fprintf(f, "natprobe_ip_fragments_total{outcome=\"dropped\"} %lu\n",
			(unsigned long)dropped);
	}
	family_raw(f, "translation_hits_total",
		   "Workers' lookups in the shared translation table that hit: SIP addresses, SIP "
		   "addresses that are translated sources, connection attempts to one", false);
	{
		uint64_t sip = 0, snat = 0, syn = 0;

		for (unsigned int w = 0; w < src->n_workers; w++) {
			sip += src->inspect[w]->xlat_sip_hits;
			snat += src->inspect[w]->xlat_snat_named;
			syn += src->inspect[w]->xlat_syn_to_snat;
		}
		fprintf(f, "natprobe_translation_hits_total{what=\"sip_address\"} %lu\n",
			(unsigned long)sip);
		fprintf(f, "natprobe_translation_hits_total{what=\"sip_translated_source\"} %lu\n",
			(unsigned long)snat);
		fprintf(f, "natprobe_translation_hits_total{what=\"syn_to_translated_source\"} %lu\n",
			(unsigned long)syn);
	}
}

static void write_flow(FILE *f, const struct np_stats_src *src)
{
	for (unsigned int k = 0; k < NP_FLOW_STATS_N; k++) {
		char name[96];
		uint64_t v = 0;

		snprintf(name, sizeof(name), "%s%s", np_flow_stat_names[k],
			 np_flow_stat_is_gauge[k] ? "" : "_total");
		family_raw(f, name, np_flow_stat_help[k], np_flow_stat_is_gauge[k]);
		for (unsigned int w = 0; w < src->n_workers; w++)
			v += ((const uint64_t *)src->flow[w])[k];
		fprintf(f, "natprobe_%s %lu\n", name, (unsigned long)v);
	}
}

static void write_detect(FILE *f, const struct np_stats_src *src)
{
	const struct np_det_correlator_stats *cs = src->correlator;

	family_raw(f, "anomalies_total", "Anomalies raised, by type (docs/anomalies.md)", false);
	for (unsigned int t = 0; t < NP_DET_NAT_REFLECTION_MISROUTE; t++)
		fprintf(f, "natprobe_anomalies_total{type=\"%s\"} %lu\n", np_det_type_name(t),
			(unsigned long)cs->anomalies[t]);
	family_raw(f, "incidents_total", "Incidents raised, by type", false);
	fprintf(f, "natprobe_incidents_total{type=\"%s\"} %lu\n",
		np_det_type_name(NP_DET_NAT_REFLECTION_MISROUTE),
		(unsigned long)cs->incidents[NP_DET_NAT_REFLECTION_MISROUTE]);
	family_raw(f, "control_sip_messages_total", "SIP summaries the control thread correlated",
		   false);
	fprintf(f, "natprobe_control_sip_messages_total %lu\n", (unsigned long)cs->sip_messages);
	family_raw(f, "control_flow_events_total", "Flow events the control thread correlated",
		   false);
	fprintf(f, "natprobe_control_flow_events_total %lu\n", (unsigned long)cs->flow_events);
	family_raw(f, "transactions_dropped_total",
		   "SIP transactions forgotten before an answer because the table was full", false);
	fprintf(f, "natprobe_transactions_dropped_total %lu\n",
		(unsigned long)cs->transactions_dropped);
	family_raw(f, "records_written_total", "Records appended to the records file", false);
	fprintf(f, "natprobe_records_written_total %lu\n", (unsigned long)src->records_written);
	family_raw(f, "records_failed_total", "Records that could not be written (disk full, ...)",
		   false);
	fprintf(f, "natprobe_records_failed_total %lu\n", (unsigned long)src->records_failed);
	family_raw(f, "records_reopen_failures_total",
		   "Reopens of the records file (SIGHUP) that failed; the old file is kept while "
		   "it has a name", false);
	fprintf(f, "natprobe_records_reopen_failures_total %lu\n",
		(unsigned long)src->records_reopen_failed);
}

static void write_nat(FILE *f, const struct np_nat_stats *ns)
{
	for (unsigned int k = 0; k < NP_NAT_STAT_MAX; k++) {
		char name[96];
		bool gauge = k == NP_NAT_STAT_BINDINGS_ACTIVE || k == NP_NAT_STAT_STATIC_ENTRIES;

		snprintf(name, sizeof(name), "nat_%s%s", np_nat_stat_names[k], gauge ? "" : "_total");
		family_raw(f, name, np_nat_stat_help[k], gauge);
		fprintf(f, "natprobe_%s %lu\n", name, (unsigned long)ns->v[k]);
	}
}

/* A label value: backslash, double quote and newline escaped (exposition format). */
static void label_value(FILE *f, const char *v)
{
	for (; v != NULL && *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void write_process(FILE *f, const struct np_process_info *p)
{
	const char *const keys[] = { "version", "dpdk", "hyperscan", "libpcap", "libcyaml" };
	const char *const vals[] = { p->version, p->dpdk, p->hyperscan, p->libpcap, p->libcyaml };

	family_raw(f, "build_info", "natprobe's version and the versions of the libraries it runs "
		   "with, as labels; the value is always 1", true);
	fputs("natprobe_build_info{", f);
	for (unsigned int i = 0; i < 5; i++) {
		fprintf(f, "%s%s=\"", i ? "," : "", keys[i]);
		label_value(f, vals[i]);
		fputc('"', f);
	}
	fputs("} 1\n", f);
	fputs("# HELP process_start_time_seconds Start time of the process since the Unix epoch, in "
	      "seconds\n# TYPE process_start_time_seconds gauge\n", f);
	fprintf(f, "process_start_time_seconds %.3f\n", p->start_time_s);
	family_raw(f, "output_write_failures_total",
		   "Writes to stdout (counters) or stderr (log lines) that failed, e.g. EPIPE when the "
		   "reader of a pipe went away; the text is lost, the probe goes on", false);
	fprintf(f, "natprobe_output_write_failures_total{stream=\"stdout\"} %lu\n",
		(unsigned long)p->stdout_failures);
	fprintf(f, "natprobe_output_write_failures_total{stream=\"stderr\"} %lu\n",
		(unsigned long)p->stderr_failures);
}

int np_stats_write_prometheus(FILE *f, const struct np_stats_src *src)
{
	const struct np_conf *c = src->conf;
	static struct np_stats sum; /* control thread only: large, keep it off the stack */

	np_stats_sum(src, &sum);
	for (unsigned int k = 0; k < NP_PORT_CTR_MAX; k++) {
		family(f, &np_port_ctr_defs[k]);
		for (unsigned int p = 0; p < c->n_ports; p++)
			fprintf(f, "natprobe_%s{port=\"%s\",segment=\"%s\"} %lu\n",
				np_port_ctr_defs[k].name, c->ports[p].name,
				c->segments[c->ports[p].segment].name,
				(unsigned long)sum.port[p][k]);
	}
	for (unsigned int k = 0; k < NP_SEGMENT_CTR_MAX; k++) {
		family(f, &np_segment_ctr_defs[k]);
		for (unsigned int s = 0; s < c->n_segments; s++)
			fprintf(f, "natprobe_%s{segment=\"%s\"} %lu\n", np_segment_ctr_defs[k].name,
				c->segments[s].name, (unsigned long)sum.segment[s][k]);
	}
	family(f, &np_frame_class_def);
	for (unsigned int s = 0; s < c->n_segments; s++)
		for (unsigned int k = 0; k < NP_PKT_CLASS_MAX; k++)
			fprintf(f, "natprobe_%s{segment=\"%s\",class=\"%s\"} %lu\n",
				np_frame_class_def.name, c->segments[s].name,
				np_pkt_class_name(k), (unsigned long)sum.frame_class[s][k]);
	for (unsigned int k = 0; k < NP_TUNNEL_CTR_MAX; k++) {
		family(f, &np_tunnel_ctr_defs[k]);
		for (unsigned int s = 0; s < c->n_segments; s++)
			for (unsigned int e = NP_PKT_ENCAP_NONE + 1; e < NP_PKT_ENCAP_MAX; e++)
				fprintf(f, "natprobe_%s{segment=\"%s\",encap=\"%s\"} %lu\n",
					np_tunnel_ctr_defs[k].name, c->segments[s].name,
					np_pkt_encap_name(e), (unsigned long)sum.tunnel[s][e][k]);
	}
	for (unsigned int k = 0; k < NP_WORKER_CTR_MAX; k++) {
		family(f, &np_worker_ctr_defs[k]);
		for (unsigned int w = 0; w < src->n_workers; w++)
			fprintf(f, "natprobe_%s{worker=\"%u\"} %lu\n", np_worker_ctr_defs[k].name, w,
				(unsigned long)src->workers[w]->worker[k]);
	}
	for (unsigned int k = 0; k < NP_HEP_CTR_MAX; k++) {
		const struct np_ctr_ldef *d = &np_hep_ctr_defs[k];

		if (k == 0 || strcmp(d->name, np_hep_ctr_defs[k - 1].name) != 0)
			family_raw(f, d->name, d->help, d->type == NP_CTR_GAUGE);
		fprintf(f, "natprobe_%s{%s=\"%s\"} %lu\n", d->name, d->label, d->value,
			(unsigned long)sum.hep[k]);
	}
	for (unsigned int k = 0; k < NP_EVD_CTR_MAX; k++) {
		family(f, &np_evidence_ctr_defs[k]);
		fprintf(f, "natprobe_%s %lu\n", np_evidence_ctr_defs[k].name,
			(unsigned long)sum.evidence[k]);
	}
	if (src->inspect != NULL)
		write_sip(f, src);
	if (src->flow != NULL)
		write_flow(f, src);
	if (src->correlator != NULL)
		write_detect(f, src);
	if (src->nat != NULL)
		write_nat(f, src->nat);
	if (src->process != NULL)
		write_process(f, src->process);
	return ferror(f) ? -EIO : 0;
}

/* Length of a valid UTF-8 sequence at @p s (1..4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
	size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;

	if (n == 0 || n > left)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

int np_json_escape_n(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x80) {
			size_t n = utf8_len((const unsigned char *)s + i, len - i);

			if (n == 0) {
				fprintf(f, "\\u%04x", ch);	/* not UTF-8: read as Latin-1 */
			} else if (n == 2 && ch == 0xc2 && (unsigned char)s[i + 1] <= 0x9f) {
				/* a C1 control (U+0080..U+009F): escaped, as C0 ones are */
				fprintf(f, "\\u%04x", (unsigned char)s[i + 1]);
				i++;
			} else {
				fwrite(s + i, 1, n, f);
				i += n - 1;
			}
		} else if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	return ferror(f) ? -EIO : 0;
}

int np_json_escape(FILE *f, const char *s)
{
	return np_json_escape_n(f, s, strlen(s));
}

int np_json_str(FILE *f, const char *s, size_t len)
{
	if (s == NULL) {
		fputs("null", f);
	} else {
		fputc('"', f);
		np_json_escape_n(f, s, len);
		fputc('"', f);
	}
	return ferror(f) ? -EIO : 0;
}

static void md_rows(FILE *f, const struct np_ctr_def *defs, unsigned int n, const char *labels)
{
	for (unsigned int i = 0; i < n; i++)
		fprintf(f, "| `natprobe_%s` | %s | %s | %s |\n", defs[i].name,
			defs[i].type == NP_CTR_COUNTER ? "counter" : "gauge", labels, defs[i].help);
}

int np_counters_write_markdown(FILE *f)
{
	fputs("| name | type | labels | meaning |\n|---|---|---|---|\n", f);
	md_rows(f, np_port_ctr_defs, NP_PORT_CTR_MAX, "port, segment");
	md_rows(f, np_segment_ctr_defs, NP_SEGMENT_CTR_MAX, "segment");
	md_rows(f, &np_frame_class_def, 1, "segment, class");
	md_rows(f, np_tunnel_ctr_defs, NP_TUNNEL_CTR_MAX, "segment, encap");
	md_rows(f, np_worker_ctr_defs, NP_WORKER_CTR_MAX, "worker");
	for (unsigned int k = 0; k < NP_HEP_CTR_MAX; k++) {
		const struct np_ctr_ldef *d = &np_hep_ctr_defs[k];

		if (k == 0 || strcmp(d->name, np_hep_ctr_defs[k - 1].name) != 0)
			fprintf(f, "| `natprobe_%s` | %s | %s | %s |\n", d->name,
				d->type == NP_CTR_COUNTER ? "counter" : "gauge", d->label, d->help);
	}
	md_rows(f, np_evidence_ctr_defs, NP_EVD_CTR_MAX, "");
	fputs("| `natprobe_sip_requests_total` | counter | segment, method | SIP requests parsed |\n"
	      "| `natprobe_sip_responses_total` | counter | segment, class | SIP responses parsed, "
	      "by status class (1xx..6xx) |\n"
	      "| `natprobe_sip_parse_errors_total` | counter | segment, kind | SIP messages that "
	      "could not be parsed |\n"
	      "| `natprobe_ip_fragments_total` | counter | outcome | IP fragments held, datagrams "
	      "reassembled, fragments dropped |\n"
	      "| `natprobe_translation_hits_total` | counter | what | Workers' lookups in the shared "
	      "translation table that hit (SIP addresses, translated sources named, connection "
	      "attempts to a translated source) |\n", f);
	for (unsigned int k = 0; k < NP_FLOW_STATS_N; k++)
		fprintf(f, "| `natprobe_%s%s` | %s | | %s |\n", np_flow_stat_names[k],
			np_flow_stat_is_gauge[k] ? "" : "_total",
			np_flow_stat_is_gauge[k] ? "gauge" : "counter", np_flow_stat_help[k]);
	fputs("| `natprobe_anomalies_total` | counter | type | Anomalies raised, by type "
	      "(docs/anomalies.md) |\n"
	      "| `natprobe_incidents_total` | counter | type | Incidents raised, by type |\n"
	      "| `natprobe_control_sip_messages_total` | counter | | SIP summaries the control "
	      "thread correlated |\n"
	      "| `natprobe_control_flow_events_total` | counter | | Flow events the control thread "
	      "correlated |\n"
	      "| `natprobe_transactions_dropped_total` | counter | | SIP transactions forgotten "
	      "before an answer because the table was full |\n"
	      "| `natprobe_records_written_total` | counter | | Records appended to the records "
	      "file |\n"
	      "| `natprobe_records_failed_total` | counter | | Records that could not be written "
	      "(disk full, ...) |\n"
	      "| `natprobe_records_reopen_failures_total` | counter | | Reopens of the records file "
	      "(SIGHUP) that failed; the old file is kept while it has a name |\n",
	      f);
	for (unsigned int k = 0; k < NP_NAT_STAT_MAX; k++) {
		bool gauge = k == NP_NAT_STAT_BINDINGS_ACTIVE || k == NP_NAT_STAT_STATIC_ENTRIES;

		fprintf(f, "| `natprobe_nat_%s%s` | %s | | %s |\n", np_nat_stat_names[k],
			gauge ? "" : "_total", gauge ? "gauge" : "counter", np_nat_stat_help[k]);
	}
	fputs("| `natprobe_build_info` | gauge | version, dpdk, hyperscan, libpcap, libcyaml | "
	      "natprobe's version and the versions of the libraries it runs with, as labels; the "
	      "value is always 1 |\n"
	      "| `process_start_time_seconds` | gauge | | Start time of the process since the Unix "
	      "epoch, in seconds (the standard process metric, without the natprobe_ prefix) |\n"
	      "| `natprobe_output_write_failures_total` | counter | stream | Writes to stdout "
	      "(counters) or stderr (log lines) that failed, e.g. EPIPE when the reader of a pipe "
	      "went away; the text is lost, the probe goes on |\n", f);
	fputs("\nFrame classes (label `class`):", f);
	for (unsigned int k = 0; k < NP_PKT_CLASS_MAX; k++)
		fprintf(f, "%s `%s`", k ? "," : "", np_pkt_class_name(k));
	fputs(".\n\nEncapsulations (label `encap`):", f);
	for (unsigned int e = NP_PKT_ENCAP_NONE + 1; e < NP_PKT_ENCAP_MAX; e++)
		fprintf(f, "%s `%s`", e > 1 ? "," : "", np_pkt_encap_name(e));
	fputs(".\n", f);
	return ferror(f) ? -EIO : 0;
}
