/* SPDX-License-Identifier: BSD-3-Clause */
/* natprobe dump-sip [--json] [SEG=]FILE...: the debugging view of the SIP parser. */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "np_cli.h"
#include "np_counters.h"
#include "np_record.h"
#include "np_text.h"
#include "np_offline.h"

const char np_dump_sip_usage[] =
	"Usage: natprobe dump-sip [OPTIONS] [SEG=]FILE[#PART]...\n"
	"Print every SIP message parsed from captures, one per line: segment, time,\n"
	"flow, method or status, Call-ID, CSeq and each address header's values (the\n"
	"debugging view of the parser). Text output escapes control characters and\n"
	"invalid UTF-8 from the wire as \\xNN.\n"
	"\n"
	"Options:\n"
	"  -j, --json               one JSON object per message (docs/records.md)\n"
	"  -h, --help               this text\n"
	"\n" NP_OFFLINE_USAGE_TEXT;

struct dump_ctx {
	struct np_offline *o;
	bool json;
	uint64_t messages;
	uint64_t errors;
};

static void view(FILE *f, struct np_sip_view v)
{
	if (v.p == NULL)
		fputs("null", f);
	else
		np_json_str(f, v.p, v.len);
}

static void list(FILE *f, const char *key, const struct np_sip_values *vals)
{
	fprintf(f, ",\"%s\":[", key);
	for (unsigned int i = 0; i < vals->n; i++) {
		if (i)
			fputc(',', f);
		view(f, vals->v[i]);
	}
	fputc(']', f);
}

static void dump_json(struct dump_ctx *d, const struct np_flow_msg *fm, const struct np_sip_msg *m)
{
	char ts[40], src[64], dst[64];

	np_endpoint_str(&fm->src, fm->sport, src, sizeof(src));
	np_endpoint_str(&fm->dst, fm->dport, dst, sizeof(dst));
	fputs("{\"segment\":", stdout);
	np_json_str(stdout, d->o->segment_name[fm->segment],
		    strlen(d->o->segment_name[fm->segment]));
	printf(",\"ts\":\"%s\",\"flow\":{\"proto\":\"%s\",\"src\":\"%s\",\"dst\":\"%s\"}",
	       np_record_ts(fm->ts_ns, ts, sizeof(ts)), np_proto_name(fm->proto), src, dst);
	fputs(",\"method\":", stdout);
	if (m->is_request)
		view(stdout, m->method_text);
	else
		fputs("null", stdout);
	fputs(",\"request_uri\":", stdout);
	if (m->is_request)
		view(stdout, m->ruri);
	else
		fputs("null", stdout);
	if (m->is_request)
		fputs(",\"status\":null,\"reason\":null", stdout);
	else {
		printf(",\"status\":%u,\"reason\":", m->status);
		view(stdout, m->reason);
	}
	fputs(",\"call_id\":", stdout);
	view(stdout, m->call_id);
	fputs(",\"cseq\":", stdout);
	view(stdout, m->cseq_raw);
	fputs(",\"from_tag\":", stdout);
	view(stdout, m->from.tag);
	fputs(",\"to_tag\":", stdout);
	view(stdout, m->to.tag);
	fputs(",\"via\":[", stdout);
	for (unsigned int i = 0; i < m->n_via; i++) {
		if (i)
			fputc(',', stdout);
		view(stdout, m->via[i].raw);
	}
	fputc(']', stdout);
	list(stdout, "route", &m->route);
	list(stdout, "record_route", &m->record_route);
	list(stdout, "path", &m->path);
	list(stdout, "service_route", &m->service_route);
	list(stdout, "contact", &m->contact);
	fputs(",\"sdp_c\":[", stdout);
	for (unsigned int i = 0; m->has_sdp && i < m->sdp.n_c; i++) {
		if (i)
			fputc(',', stdout);
		view(stdout, m->sdp.c[i].addr_text);
	}
	fputs("],\"sdp_m\":[", stdout);
	for (unsigned int i = 0; m->has_sdp && i < m->sdp.n_m; i++) {
		printf("%s{\"media\":", i ? "," : "");
		view(stdout, m->sdp.m[i].media);
		printf(",\"port\":%u,\"proto\":", m->sdp.m[i].port);
		view(stdout, m->sdp.m[i].proto);
		fputc('}', stdout);
	}
	fputs("],\"warning\":[", stdout);
	for (unsigned int i = 0; i < m->n_warning; i++) {
		printf("%s{\"code\":%u,\"agent\":", i ? "," : "", m->warning[i].code);
		view(stdout, m->warning[i].agent);
		fputs(",\"text\":", stdout);
		view(stdout, m->warning[i].text);
		fputc('}', stdout);
	}
	fputs("],\"content_length\":", stdout);
	if (m->has_content_length)
		printf("%u", m->content_length);
	else
		fputs("null", stdout);
	fputs(",\"user_agent\":", stdout);
	view(stdout, m->user_agent.p ? m->user_agent : m->server);
	printf(",\"reassembled\":%s}\n",
	       (fm->flags & NP_FLOW_MSG_F_REASSEMBLED) ? "true" : "false");
}

static void text_list(const char *key, const struct np_sip_values *vals)
{
	if (vals->n == 0)
		return;
	printf(" %s=", key);
	for (unsigned int i = 0; i < vals->n; i++)
		printf("%s%.*s", i ? "," : "", (int)vals->v[i].len, vals->v[i].p);
}

static void dump_text(struct dump_ctx *d, const struct np_flow_msg *fm, const struct np_sip_msg *m)
{
	char ts[40], src[64], dst[64];

	np_endpoint_str(&fm->src, fm->sport, src, sizeof(src));
	np_endpoint_str(&fm->dst, fm->dport, dst, sizeof(dst));
	printf("%s %s %s %s > %s ", d->o->segment_name[fm->segment],
	       np_record_ts(fm->ts_ns, ts, sizeof(ts)), np_proto_name(fm->proto), src, dst);
	if (m->is_request)
		printf("%.*s %.*s", (int)m->method_text.len, m->method_text.p, (int)m->ruri.len,
		       m->ruri.p);
	else
		printf("%u %.*s", m->status, (int)m->reason.len, m->reason.p);
	printf(" call-id=%.*s cseq=\"%.*s\"", (int)m->call_id.len, m->call_id.p,
	       (int)m->cseq_raw.len, m->cseq_raw.p);
	if (m->n_via > 0) {
		printf(" via=");
		for (unsigned int i = 0; i < m->n_via; i++)
			printf("%s%.*s", i ? "," : "", (int)m->via[i].raw.len, m->via[i].raw.p);
	}
	text_list("route", &m->route);
	text_list("record-route", &m->record_route);
	text_list("path", &m->path);
	text_list("service-route", &m->service_route);
	text_list("contact", &m->contact);
	for (unsigned int i = 0; m->has_sdp && i < m->sdp.n_c; i++)
		printf("%s%.*s", i ? "," : " sdp-c=", (int)m->sdp.c[i].addr_text.len,
		       m->sdp.c[i].addr_text.p);
	putchar('\n');
}

static void on_sip(void *ctx, const struct np_flow_msg *fm, const struct np_sip_msg *m)
{
	struct dump_ctx *d = ctx;

	d->messages++;
	if (d->json)
		dump_json(d, fm, m);
	else
		dump_text(d, fm, m);
}

static void on_error(void *ctx, const struct np_flow_msg *fm, const struct np_sip_msg *m)
{
	struct dump_ctx *d = ctx;

	(void)fm;
	(void)m;
	d->errors++;
}

int np_cmd_dump_sip(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		NP_OFFLINE_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static struct np_offline o;
	struct dump_ctx d = { .o = &o };
	struct np_det_inspect_sink sink = {
		.sip_full = on_sip,
		.sip_error = on_error,
		.ctx = &d,
	};
	char err[512];
	int c;

	memset(&o, 0, sizeof(o));
	np_conf_defaults(&o.conf);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			d.json = true;
			break;
		case 'h':
			fputs(np_dump_sip_usage, stdout);
			return NP_EXIT_OK;
		case NP_OFFLINE_OPT_FIRST ... NP_OFFLINE_OPT_LAST:
			if (np_offline_getopt(&o, c, optarg, err, sizeof(err)) < 0) {
				np_err("dump-sip: %s", err);
				np_offline_close(&o);
				return NP_EXIT_USAGE;
			}
			break;
		default:
			np_err("dump-sip: unknown option '%s'; see natprobe --help",
			       argv[optind - 1]);
			return NP_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		np_err("dump-sip: no capture given; see natprobe --help");
		return NP_EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++)
		if (np_offline_add_input(&o, argv[i], err, sizeof(err)) < 0) {
			np_err("dump-sip: %s", err);
			return NP_EXIT_USAGE;
		}
	if (np_offline_open(&o, &sink, err, sizeof(err)) < 0) {
		np_err("dump-sip: %s", err);
		np_offline_close(&o);
		return NP_EXIT_USAGE;
	}
	{
		FILE *tty = stdout; /* wire bytes reach a terminal escaped (np_text.h) */

		if (!d.json)
			stdout = np_text_fopen(tty) ?: tty;
		np_offline_run(&o, NULL, NULL);
		if (stdout != tty) {
			fclose(stdout);
			stdout = tty;
		}
	}
	fflush(stdout);
	if (o.failed) {
		np_err("dump-sip: %s", o.fail_msg);
		np_offline_close(&o);
		return NP_EXIT_USAGE;
	}
	np_offline_warnings(&o);
	if (d.errors > 0)
		np_err("dump-sip: %lu SIP messages could not be parsed (not shown)",
		       (unsigned long)d.errors);
	np_offline_close(&o);
	return NP_EXIT_OK;
}
