/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * natprobe analyze [-c FILE] [--static-nat PRIV=PUB]... [--json] SEG=FILE...
 * Offline: captures through the workers' inspector and the control
 * thread's correlator, in capture-time order; a report or JSON records.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_app.h"
#include "np_record.h"
#include "offline.h"

struct analyze_ctx {
	struct np_offline *o;
	struct np_det_correlator *corr;
	struct np_record_names names;
	bool json;
	struct np_det_record *recs;	/* report mode: kept until the end */
	size_t n_recs, cap_recs;
	bool oom;
};

static void on_record(void *ctx, const struct np_det_record *r)
{
	struct analyze_ctx *a = ctx;

	if (a->json) {
		np_record_write_json(stdout, r, &a->names);
		return;
	}
	if (a->n_recs == a->cap_recs) {
		size_t cap = a->cap_recs ? a->cap_recs * 2 : 64;
		struct np_det_record *n = realloc(a->recs, cap * sizeof(*n));

		if (n == NULL) {
			a->oom = true;
			return;
		}
		a->recs = n;
		a->cap_recs = cap;
	}
	a->recs[a->n_recs++] = *r;
}

static void on_flow(void *ctx, const struct np_flow_event *ev)
{
	np_det_correlator_flow(((struct analyze_ctx *)ctx)->corr, ev);
}

static void on_sip(void *ctx, const struct np_det_sip *s)
{
	np_det_correlator_sip(((struct analyze_ctx *)ctx)->corr, s);
}

static void on_tick(void *ctx, uint64_t now_ns)
{
	np_det_correlator_tick(((struct analyze_ctx *)ctx)->corr, now_ns);
}

static void report(struct analyze_ctx *a)
{
	const struct np_det_correlator_stats *cs = np_det_correlator_stats(a->corr);
	const struct np_det_inspect_stats *is = np_det_inspect_stats(a->o->ins);
	const struct np_flow_stats *fs = np_det_inspect_flow_stats(a->o->ins);
	static const char *const kinds[] = { "Incidents", "Anomalies", "NAT bindings learned" };
	static const uint8_t order[] = { NP_DET_KIND_INCIDENT, NP_DET_KIND_ANOMALY,
					 NP_DET_KIND_BINDING };
	char t0[40], t1[40];

	for (unsigned int k = 0; k < 3; k++) {
		size_t n = 0;

		for (size_t i = 0; i < a->n_recs; i++)
			n += a->recs[i].kind == order[k];
		printf("== %s: %zu\n", kinds[k], n);
		for (size_t i = 0; i < a->n_recs; i++)
			if (a->recs[i].kind == order[k])
				np_record_write_text(stdout, &a->recs[i], &a->names);
		putchar('\n');
	}
	printf("== Read\n");
	np_offline_report_read(a->o, stdout);
	if (a->o->frames > 0)
		printf("  time       %s .. %s\n", np_record_ts(a->o->first_ns, t0, sizeof(t0)),
		       np_record_ts(a->o->last_ns, t1, sizeof(t1)));
	printf("  frames     %lu (", (unsigned long)a->o->frames);
	for (unsigned int c = 0, first = 1; c < NP_PKT_CLASS_MAX; c++)
		if (a->o->frame_class[c] > 0) {
			printf("%s%s %lu", first ? "" : ", ", np_pkt_class_name(c),
			       (unsigned long)a->o->frame_class[c]);
			first = 0;
		}
	printf(")\n  flows      %lu (tcp refused %lu, unanswered %lu)\n",
	       (unsigned long)fs->flows_created,
	       (unsigned long)(fs->tcp_refused_rst + fs->tcp_refused_icmp),
	       (unsigned long)fs->tcp_unanswered);
	printf("  SIP        %lu messages", (unsigned long)cs->sip_messages);
	{
		uint64_t errs = 0;

		for (unsigned int s = 0; s < NP_DET_MAX_SEGMENTS; s++)
			for (unsigned int e = 1; e < NP_SIP_E_MAX; e++)
				errs += is->sip[s].errors[e];
		printf(", %lu unparsable\n", (unsigned long)errs);
	}
	printf("  bindings   %lu; anomalies %zu; incidents %zu\n", (unsigned long)cs->bindings,
	       (size_t)0 + (size_t)cs->anomalies[0] + cs->anomalies[1] + cs->anomalies[2] +
		       cs->anomalies[3] + cs->anomalies[4] + cs->anomalies[5] + cs->anomalies[6],
	       (size_t)cs->incidents[NP_DET_NAT_REFLECTION_MISROUTE]);
}

int np_cmd_analyze(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "static-nat", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		NP_OFFLINE_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static struct np_offline o;
	struct analyze_ctx a = { .o = &o };
	struct np_det_inspect_sink sink = { .flow_event = on_flow, .sip = on_sip, .ctx = &a };
	struct np_det_correlator_conf cc;
	struct np_static_nat extra[64];
	unsigned int n_extra = 0;
	const char *conf_path = NULL;
	char err[1024];
	int c, rc = NP_EXIT_OK;

	memset(&o, 0, sizeof(o));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf_path = optarg;
			break;
		case 's':
			if (n_extra == RTE_DIM(extra) ||
			    np_conf_parse_static_nat(optarg, &extra[n_extra]) < 0) {
				np_err("analyze: --static-nat '%s': want PRIVATE=PUBLIC, two IPv4 or "
				       "two IPv6 addresses (at most %zu)", optarg, RTE_DIM(extra));
				return NP_EXIT_USAGE;
			}
			n_extra++;
			break;
		case 'j':
			a.json = true;
			break;
		case 'h':
			puts("Usage: natprobe analyze [-c FILE] [--static-nat PRIV=PUB]... [--json] "
			     "[" NP_OFFLINE_USAGE "] [SEG=]FILE[#PART]...\n"
			     "Offline analysis of captures and Expressway logs (docs/offline.md).");
			return NP_EXIT_OK;
		case NP_OFFLINE_OPT_FIRST ... NP_OFFLINE_OPT_LAST:
			if (np_offline_getopt(&o, c, optarg, err, sizeof(err)) < 0) {
				np_err("analyze: %s", err);
				return NP_EXIT_USAGE;
			}
			break;
		default:
			np_err("analyze: unknown or incomplete option '%s'; see natprobe --help",
			       argv[optind - 1]);
			return NP_EXIT_USAGE;
		}
	}
	if (conf_path != NULL) {
		if (np_conf_load(conf_path, &o.conf, err, sizeof(err)) < 0) {
			np_err("%s", err);
			return NP_EXIT_USAGE;
		}
	} else {
		np_conf_defaults(&o.conf);
	}
	for (unsigned int i = 0; i < n_extra; i++)
		np_conf_add_static_nat(&o.conf, &extra[i]);
	if (optind >= argc) {
		np_err("analyze: no input given (SEG=FILE...); see natprobe --help");
		np_conf_free(&o.conf);
		return NP_EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++)
		if (np_offline_add_input(&o, argv[i], err, sizeof(err)) < 0) {
			np_err("analyze: %s", err);
			np_conf_free(&o.conf);
			return NP_EXIT_USAGE;
		}
	memset(&cc, 0, sizeof(cc));
	/* every slot: opening the inputs, and reading tunnels, may name more segments */
	cc.n_segments = NP_OFFLINE_MAX_SEGMENTS;
	for (unsigned int s = 0; s < NP_OFFLINE_MAX_SEGMENTS; s++)
		cc.segment_names[s] = o.segment_ptr[s];
	cc.static_nat = o.conf.nat.static_nat;
	cc.n_static = o.conf.nat.n_static;
	cc.max_bindings = o.conf.nat.max_bindings;
	cc.record = on_record;
	cc.ctx = &a;
	a.names.n_segments = NP_OFFLINE_MAX_SEGMENTS;
	a.names.segments = o.segment_ptr;
	o.xlat = np_nat_xlat_create(np_app_xlat_capacity(o.conf.nat.max_bindings), NULL, NULL,
				    NULL);
	cc.xlat = o.xlat;
	a.corr = o.xlat ? np_det_correlator_create(&cc) : NULL;
	if (a.corr == NULL) {
		np_err("analyze: cannot create the correlator: out of memory");
		np_nat_xlat_free(o.xlat);
		np_conf_free(&o.conf);
		return NP_EXIT_FAIL;
	}
	if (np_offline_open(&o, &sink, err, sizeof(err)) < 0) {
		np_err("analyze: %s", err);
		np_offline_close(&o);
		np_det_correlator_destroy(a.corr);
		np_nat_xlat_free(o.xlat);
		return NP_EXIT_USAGE;
	}
	np_offline_run(&o, on_tick, &a);
	if (o.failed) {
		fflush(stdout);
		np_err("analyze: %s", o.fail_msg);
		free(a.recs);
		np_offline_close(&o);
		np_det_correlator_destroy(a.corr);
		np_nat_xlat_free(o.xlat);
		return NP_EXIT_USAGE;
	}
	np_det_correlator_finish(a.corr, o.last_ns);
	if (!a.json)
		report(&a);
	fflush(stdout);
	np_offline_warnings(&o);
	if (a.oom) {
		np_err("analyze: out of memory keeping records; use --json");
		rc = NP_EXIT_FAIL;
	}
	free(a.recs);
	np_offline_close(&o);
	np_det_correlator_destroy(a.corr);
	np_nat_xlat_free(o.xlat);
	return rc;
}
