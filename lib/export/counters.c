/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The counters of struct np_stats and struct np_app_counters as table rows,
 * and the one walker over every table (np_counters.h): Prometheus text,
 * telemetry and docs/counters.md are renderings of its walk.
 */

#include <errno.h>
#include <string.h>

#include "np_counters.h"

#define ST_OFF(member) NP_CTR_OFF(struct np_stats, member)
#define U64 ((uint32_t)sizeof(uint64_t))

static const char *class_label(unsigned int c)
{
	return np_pkt_class_name(c);
}

static const char *encap_label(unsigned int e)
{
	return e > NP_PKT_ENCAP_NONE && e < NP_PKT_ENCAP_MAX ? np_pkt_encap_name(e) : NULL;
}

#define PORT_ROW(e, n, h, t)              \
	{ .name = n,                      \
	  .help = h,                      \
	  .type = t,                      \
	  .dim = NP_CTR_DIM_PORT,         \
	  .off = ST_OFF(port[0][NP_##e]), \
	  .dim_step = NP_PORT_CTR_MAX * U64 },
#define SEGMENT_ROW(e, n, h, t)              \
	{ .name = n,                         \
	  .help = h,                         \
	  .type = t,                         \
	  .dim = NP_CTR_DIM_SEGMENT,         \
	  .off = ST_OFF(segment[0][NP_##e]), \
	  .dim_step = NP_SEGMENT_CTR_MAX * U64 },
#define TUNNEL_ROW(e, n, h, t)                                     \
	{ .name = n,                                               \
	  .help = h,                                               \
	  .type = t,                                               \
	  .dim = NP_CTR_DIM_SEGMENT,                               \
	  .label = "encap",                                        \
	  .value_name = encap_label,                               \
	  .first = NP_PKT_ENCAP_NONE + 1,                          \
	  .last = NP_PKT_ENCAP_MAX,                                \
	  .off = ST_OFF(tunnel[0][NP_PKT_ENCAP_NONE + 1][NP_##e]), \
	  .step = NP_TUNNEL_CTR_MAX * U64,                         \
	  .dim_step = NP_PKT_ENCAP_MAX * NP_TUNNEL_CTR_MAX * U64 },
#define WORKER_ROW(e, n, h, t)      \
	{ .name = n,                \
	  .help = h,                \
	  .type = t,                \
	  .dim = NP_CTR_DIM_WORKER, \
	  .off = ST_OFF(worker[NP_##e]) },
#define HEP_ROW(e, n, l, v, h, t) \
	{ .name = n, .help = h, .type = t, .label = l, .value = v, .off = ST_OFF(hep[NP_##e]) },
#define EVIDENCE_ROW(e, n, h, t) \
	{ .name = n, .help = h, .type = t, .off = ST_OFF(evidence[NP_##e]) },

static const struct np_ctr_desc stats_rows[] = {
	NP_PORT_COUNTERS(PORT_ROW) NP_SEGMENT_COUNTERS(SEGMENT_ROW){
		.name = "segment_frames_total",
		.help = "Frames seen on the segment by what they turned out to be (all are forwarded)",
		.type = NP_CTR_COUNTER,
		.dim = NP_CTR_DIM_SEGMENT,
		.label = "class",
		.value_name = class_label,
		.first = 0,
		.last = NP_PKT_CLASS_MAX,
		.off = ST_OFF(frame_class[0][0]),
		.step = U64,
		.dim_step = NP_PKT_CLASS_MAX * U64 },
	NP_TUNNEL_COUNTERS(TUNNEL_ROW) NP_WORKER_COUNTERS(WORKER_ROW) NP_HEP_COUNTERS(HEP_ROW)
		NP_EVIDENCE_COUNTERS(EVIDENCE_ROW)
};

const struct np_ctr_table np_stats_counters = { stats_rows,
						sizeof(stats_rows) / sizeof(stats_rows[0]) };

static const struct np_ctr_desc app_rows[] = {
	NP_CTR_ROW("records_written_total", "Records appended to the records file", NP_CTR_COUNTER,
		   struct np_app_counters, records_written),
	NP_CTR_ROW("records_failed_total", "Records that could not be written (disk full, ...)",
		   NP_CTR_COUNTER, struct np_app_counters, records_failed),
	NP_CTR_ROW("records_reopen_failures_total",
		   "Reopens of the records file (SIGHUP) that failed; the old file is kept while "
		   "it has a name",
		   NP_CTR_COUNTER, struct np_app_counters, records_reopen_failed),
	NP_CTR_ROW_L("output_write_failures_total",
		     "Writes to stdout (counters) or stderr (log lines) that failed, e.g. EPIPE "
		     "when the reader of a pipe went away; the text is lost, the probe goes on",
		     NP_CTR_COUNTER, "stream", "stdout", struct np_app_counters, stdout_failures),
	NP_CTR_ROW_L("output_write_failures_total", "", NP_CTR_COUNTER, "stream", "stderr",
		     struct np_app_counters, stderr_failures),
};

const struct np_ctr_table np_app_counters_table = { app_rows,
						    sizeof(app_rows) / sizeof(app_rows[0]) };

#define HL_ROW(n, h, t, m) NP_CTR_ROW(n, h, t, struct np_hep_listen_stats, m)
#define HL_ROW_L(n, h, t, l, v, m) NP_CTR_ROW_L(n, h, t, l, v, struct np_hep_listen_stats, m)
static const struct np_ctr_desc hep_listen_rows[] = {
	HL_ROW_L("hep_listen_packets_total",
		 "HEP packets the hep.listen thread read, by transport (then counted by outcome "
		 "in hep_received_total)",
		 NP_CTR_COUNTER, "transport", "udp", udp_packets),
	HL_ROW_L("hep_listen_packets_total", "", NP_CTR_COUNTER, "transport", "tcp", tcp_packets),
	HL_ROW_L("hep_listen_connections_total",
		 "TCP connections to hep.listen: accepted, refused (the connection limit was "
		 "reached: closed at once), idle (closed after a long silence)",
		 NP_CTR_COUNTER, "outcome", "accepted", accepted),
	HL_ROW_L("hep_listen_connections_total", "", NP_CTR_COUNTER, "outcome", "refused", refused),
	HL_ROW_L("hep_listen_connections_total", "", NP_CTR_COUNTER, "outcome", "idle",
		 closed_idle),
	HL_ROW("hep_listen_connections", "TCP connections to hep.listen open now", NP_CTR_GAUGE,
	       connections),
	HL_ROW("hep_listen_resync_bytes_total",
	       "Bytes of HEP TCP streams skipped to find the next HEP3 header (garbage, a packet "
	       "with a length that cannot be)",
	       NP_CTR_COUNTER, resync_bytes),
	HL_ROW_L("hep_listen_drops_total",
		 "What the hep.listen thread lost: kernel (datagrams the kernel dropped, socket "
		 "buffer full), event_ring (events for the control thread, its ring full), "
		 "oversize (datagrams longer than a HEP packet can be)",
		 NP_CTR_COUNTER, "where", "kernel", kernel_drops),
	HL_ROW_L("hep_listen_drops_total", "", NP_CTR_COUNTER, "where", "event_ring", event_drops),
	HL_ROW_L("hep_listen_drops_total", "", NP_CTR_COUNTER, "where", "oversize", oversize_drops),
	HL_ROW_L("hep_listen_relay_total",
		 "HEP packets hep.listen received to send on to export.hep_collector (hep.relay): "
		 "queued (then counted in hep_sent_total{what=\"relay\"} or "
		 "hep_send_errors_total), queue_full (the queue to the control thread was full: "
		 "lost), oversize (longer than a relay slot, 16 KiB: lost)",
		 NP_CTR_COUNTER, "outcome", "queued", relay_queued),
	HL_ROW_L("hep_listen_relay_total", "", NP_CTR_COUNTER, "outcome", "queue_full", relay_full),
	HL_ROW_L("hep_listen_relay_total", "", NP_CTR_COUNTER, "outcome", "oversize",
		 relay_oversize),
	HL_ROW("hep_listen_events_total",
	       "Flow events and SIP summaries the hep.listen thread handed to the control thread",
	       NP_CTR_COUNTER, events),
	HL_ROW("hep_listen_socket_errors_total",
	       "Receive and accept calls on hep.listen that failed (other than try again)",
	       NP_CTR_COUNTER, socket_errors),
};
#undef HL_ROW
#undef HL_ROW_L

const struct np_ctr_table np_hep_listen_counters = {
	hep_listen_rows, sizeof(hep_listen_rows) / sizeof(hep_listen_rows[0])
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

/* ---- the walker ---------------------------------------------------------- */

/* One owner kind of counters: its table, and its instances (summed). */
struct ctr_source {
	const struct np_ctr_table *t;
	const void *inst[NP_MAX_WORKERS + 1];
	unsigned int n;
};

static uint64_t value_at(const void *base, uint32_t off)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)base + off, sizeof(v));
	return v;
}

static unsigned int dim_size(const struct np_stats_src *src, uint8_t dim)
{
	switch (dim) {
	case NP_CTR_DIM_PORT:
		return src->conf ? src->conf->n_ports : 0;
	case NP_CTR_DIM_SEGMENT:
		return src->conf ? src->conf->n_segments : 0;
	case NP_CTR_DIM_WORKER:
		return src->n_workers;
	default:
		return 1;
	}
}

static void walk_row(const struct np_stats_src *src, const struct ctr_source *cs,
		     const struct np_ctr_desc *r, const struct np_ctr_visitor *v)
{
	unsigned int nd = dim_size(src, r->dim);
	unsigned int first = r->value_name ? r->first : 0, last = r->value_name ? r->last : 1;
	char worker[16];

	for (unsigned int d = 0; d < nd; d++)
		for (unsigned int i = first; i < last; i++) {
			struct np_ctr_sample s = { .d = r };
			uint32_t off = r->off + (i - first) * r->step;

			if (r->value_name != NULL && r->value_name(i) == NULL)
				continue;
			switch (r->dim) {
			case NP_CTR_DIM_PORT:
				s.l[s.n_labels++] =
					(struct np_ctr_label){ "port", src->conf->ports[d].name };
				s.l[s.n_labels++] = (struct np_ctr_label){
					"segment",
					src->conf->segments[src->conf->ports[d].segment].name
				};
				break;
			case NP_CTR_DIM_SEGMENT:
				s.l[s.n_labels++] =
					(struct np_ctr_label){ "segment",
							       src->conf->segments[d].name };
				break;
			case NP_CTR_DIM_WORKER:
				snprintf(worker, sizeof(worker), "%u", d);
				s.l[s.n_labels++] = (struct np_ctr_label){ "worker", worker };
				break;
			default:
				break;
			}
			if (r->label != NULL)
				s.l[s.n_labels++] = (struct np_ctr_label){
					r->label, r->value ? r->value : r->value_name(i)
				};
			if (r->dim == NP_CTR_DIM_WORKER) {
				s.v = d < cs->n ? value_at(cs->inst[d], off) : 0;
			} else {
				off += d * r->dim_step;
				for (unsigned int k = 0; k < cs->n; k++)
					s.v += value_at(cs->inst[k], off);
			}
			v->sample(v->ctx, &s);
		}
}

void np_ctr_walk(const struct np_stats_src *src, const struct np_ctr_visitor *v)
{
	static struct ctr_source srcs[8]; /* control thread only: keep it off the stack */
	unsigned int n = 0, w = src->n_workers < NP_MAX_WORKERS ? src->n_workers : NP_MAX_WORKERS;

	memset(srcs, 0, sizeof(srcs));
	srcs[n].t = &np_stats_counters;
	for (unsigned int i = 0; i < w; i++)
		srcs[n].inst[srcs[n].n++] = src->workers[i];
	if (src->control != NULL)
		srcs[n].inst[srcs[n].n++] = src->control;
	n++;
	if (src->inspect != NULL) {
		srcs[n].t = &np_inspect_counters;
		for (unsigned int i = 0; i < w; i++)
			srcs[n].inst[srcs[n].n++] = src->inspect[i];
		if (src->hep_inspect != NULL)
			srcs[n].inst[srcs[n].n++] = src->hep_inspect;
		n++;
	}
	if (src->flow != NULL) {
		srcs[n].t = &np_flow_counters;
		for (unsigned int i = 0; i < w; i++)
			srcs[n].inst[srcs[n].n++] = src->flow[i];
		n++;
	}
	if (src->correlator != NULL) {
		srcs[n].t = &np_correlate_counters;
		srcs[n].inst[srcs[n].n++] = src->correlator;
		n++;
	}
	if (src->app != NULL) {
		srcs[n].t = &np_app_counters_table;
		srcs[n].inst[srcs[n].n++] = src->app;
		n++;
	}
	if (src->nat != NULL) {
		srcs[n].t = &np_nat_counters;
		srcs[n].inst[srcs[n].n++] = src->nat;
		n++;
	}
	if (src->hep_input != NULL) {
		srcs[n].t = &np_hep_input_counters;
		srcs[n].inst[srcs[n].n++] = src->hep_input;
		n++;
	}
	if (src->hep_listen != NULL) {
		srcs[n].t = &np_hep_listen_counters;
		srcs[n].inst[srcs[n].n++] = src->hep_listen;
		n++;
	}
	for (unsigned int k = 0; k < n; k++) {
		const struct np_ctr_table *t = srcs[k].t;

		for (unsigned int i = 0; i < t->n; i++) {
			const struct np_ctr_desc *r = &t->rows[i];

			if ((i == 0 || strcmp(r->name, t->rows[i - 1].name) != 0) && v->family)
				v->family(v->ctx, r);
			if (v->sample)
				walk_row(src, &srcs[k], r, v);
		}
	}
}

/* ---- Prometheus ---------------------------------------------------------- */

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

static void prom_family(void *ctx, const struct np_ctr_desc *d)
{
	fprintf(ctx, "# HELP natprobe_%s %s\n# TYPE natprobe_%s %s\n", d->name, d->help, d->name,
		d->type == NP_CTR_COUNTER ? "counter" : "gauge");
}

static void prom_sample(void *ctx, const struct np_ctr_sample *s)
{
	FILE *f = ctx;

	fprintf(f, "natprobe_%s", s->d->name);
	for (unsigned int i = 0; i < s->n_labels; i++) {
		fprintf(f, "%s%s=\"", i ? "," : "{", s->l[i].name);
		label_value(f, s->l[i].value);
		fputc('"', f);
	}
	fprintf(f, "%s %lu\n", s->n_labels ? "}" : "", (unsigned long)s->v);
}

static void write_process(FILE *f, const struct np_process_info *p)
{
	const char *const keys[] = { "version", "dpdk", "hyperscan", "libpcap", "libcyaml" };
	const char *const vals[] = { p->version, p->dpdk, p->hyperscan, p->libpcap, p->libcyaml };

	fputs("# HELP natprobe_build_info natprobe's version and the versions of the libraries it "
	      "runs with, as labels; the value is always 1\n# TYPE natprobe_build_info gauge\n"
	      "natprobe_build_info{",
	      f);
	for (unsigned int i = 0; i < 5; i++) {
		fprintf(f, "%s%s=\"", i ? "," : "", keys[i]);
		label_value(f, vals[i]);
		fputc('"', f);
	}
	fputs("} 1\n", f);
	fputs("# HELP process_start_time_seconds Start time of the process since the Unix epoch, in "
	      "seconds\n# TYPE process_start_time_seconds gauge\n",
	      f);
	fprintf(f, "process_start_time_seconds %.3f\n", p->start_time_s);
}

int np_stats_write_prometheus(FILE *f, const struct np_stats_src *src)
{
	const struct np_ctr_visitor v = { prom_family, prom_sample, f };

	np_ctr_walk(src, &v);
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
				fprintf(f, "\\u%04x", ch); /* not UTF-8: read as Latin-1 */
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

/* ---- docs/counters.md ------------------------------------------------- */

static const char *const dim_labels[] = {
	[NP_CTR_DIM_NONE] = "",
	[NP_CTR_DIM_PORT] = "port, segment",
	[NP_CTR_DIM_SEGMENT] = "segment",
	[NP_CTR_DIM_WORKER] = "worker",
};

static void md_family(void *ctx, const struct np_ctr_desc *d)
{
	const char *dl = dim_labels[d->dim < NP_CTR_DIM_WORKER + 1 ? d->dim : 0];

	fprintf(ctx, "| `natprobe_%s` | %s | %s%s%s | %s |\n", d->name,
		d->type == NP_CTR_COUNTER ? "counter" : "gauge", dl, d->label && dl[0] ? ", " : "",
		d->label ? d->label : "", d->help);
}

int np_counters_write_markdown(FILE *f)
{
	/* every table, whatever a run has: a source with no instance still names its rows */
	static const struct np_det_inspect_stats no_inspect;
	static const struct np_flow_stats no_flow;
	static const struct np_det_inspect_stats *const ins[] = { &no_inspect };
	static const struct np_flow_stats *const flow[] = { &no_flow };
	static const struct np_det_correlator_stats no_corr;
	static const struct np_nat_stats no_nat;
	static const struct np_app_counters no_app;
	static const struct np_hep_input_stats no_hep_input;
	static const struct np_hep_listen_stats no_hep_listen;
	const struct np_stats_src src = {
		.inspect = ins,
		.flow = flow,
		.correlator = &no_corr,
		.app = &no_app,
		.nat = &no_nat,
		.hep_input = &no_hep_input,
		.hep_listen = &no_hep_listen,
	};
	const struct np_ctr_visitor v = { md_family, NULL, f };

	fputs("| name | type | labels | meaning |\n|---|---|---|---|\n", f);
	np_ctr_walk(&src, &v);
	fputs("| `natprobe_build_info` | gauge | version, dpdk, hyperscan, libpcap, libcyaml | "
	      "natprobe's version and the versions of the libraries it runs with, as labels; the "
	      "value is always 1 |\n"
	      "| `process_start_time_seconds` | gauge | | Start time of the process since the Unix "
	      "epoch, in seconds (the standard process metric, without the natprobe_ prefix) |\n",
	      f);
	fputs("\nFrame classes (label `class`):", f);
	for (unsigned int k = 0; k < NP_PKT_CLASS_MAX; k++)
		fprintf(f, "%s `%s`", k ? "," : "", np_pkt_class_name(k));
	fputs(".\n\nEncapsulations (label `encap`):", f);
	for (unsigned int e = NP_PKT_ENCAP_NONE + 1; e < NP_PKT_ENCAP_MAX; e++)
		fprintf(f, "%s `%s`", e > 1 ? "," : "", np_pkt_encap_name(e));
	fputs(".\n", f);
	return ferror(f) ? -EIO : 0;
}
