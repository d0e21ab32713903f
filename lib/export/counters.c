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
#undef NP_CTR_DEF

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
	for (unsigned int k = 0; k < NP_WORKER_CTR_MAX; k++) {
		family(f, &np_worker_ctr_defs[k]);
		for (unsigned int w = 0; w < src->n_workers; w++)
			fprintf(f, "natprobe_%s{worker=\"%u\"} %lu\n", np_worker_ctr_defs[k].name, w,
				(unsigned long)src->workers[w]->worker[k]);
	}
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
	md_rows(f, np_worker_ctr_defs, NP_WORKER_CTR_MAX, "worker");
	fputs("\nFrame classes (label `class`):", f);
	for (unsigned int k = 0; k < NP_PKT_CLASS_MAX; k++)
		fprintf(f, "%s `%s`", k ? "," : "", np_pkt_class_name(k));
	fputs(".\n", f);
	return ferror(f) ? -EIO : 0;
}
