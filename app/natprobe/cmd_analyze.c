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

#include "np_cli.h"
#include "np_record.h"
#include "np_text.h"
#include "np_offline.h"

const char np_analyze_usage[] =
	"Usage: natprobe analyze [OPTIONS] [SEG=]FILE[#PART]...\n"
	"Offline analysis of captures (pcap, pcapng) or Expressway diagnostic logs, one\n"
	"per segment (SEG names it: inside=c.pcap dmz=e.pcap), through the same pipeline\n"
	"as run. Prints a report (incidents, anomalies, NAT bindings learned, what was\n"
	"read), bytes from the wire escaped as \\xNN; or JSON records.\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE        take nat.static and the limits from a natprobe config\n"
	"      --static-nat PRIV=PUB\n"
	"                           a static NAT entry, two IPv4 or two IPv6 addresses;\n"
	"                           repeat it for more (at most 64)\n"
	"  -j, --json               one JSON record per line on stdout (docs/records.md)\n"
	"                           and nothing else there\n"
	"      --bindings           list every NAT binding in the report (default: the\n"
	"                           first few)\n"
	"      --fail-on incident|anomaly\n"
	"                           exit 3 when an incident (or any anomaly or incident)\n"
	"                           is found\n"
	"      --evidence DIR       write each incident's frames, both sides, to\n"
	"                           DIR/incident-ID.pcapng (a new file; one interface per\n"
	"                           segment, a comment per frame naming its records)\n"
	"      --html FILE          write the analysis as one HTML page: the verdict, a\n"
	"                           ladder diagram per incident, diagnosis, fixes, evidence\n"
	"  -h, --help               this text\n"
	"\n" NP_OFFLINE_USAGE_TEXT;

struct analyze_ctx {
	struct np_offline *o;
	struct np_det_correlator *corr;
	struct np_record_names names;
	bool json;
	struct np_det_record *recs; /* report mode (or --html): kept until the end */
	size_t n_recs, cap_recs;
	bool oom;
	struct np_aev aev; /* --evidence, --html */
};

static void on_record(void *ctx, const struct np_det_record *r)
{
	struct analyze_ctx *a = ctx;

	if (a->json)
		np_record_write_json(stdout, r, &a->names);
	np_aev_record(&a->aev, r);
	if (a->json && a->aev.html == NULL)
		return;
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

static int cmp_rec_ts(const void *x, const void *y)
{
	const struct np_det_record *a = *(const struct np_det_record *const *)x;
	const struct np_det_record *b = *(const struct np_det_record *const *)y;

	if (a->ts_ns != b->ts_ns)
		return a->ts_ns < b->ts_ns ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* "type 2, type 1" of the records of @p kind, in catalogue order. */
static void by_type(const struct analyze_ctx *a, uint8_t kind, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int t = 0; t < NP_DET_TYPE_MAX; t++) {
		size_t n = 0;

		for (size_t i = 0; i < a->n_recs; i++)
			n += a->recs[i].kind == kind && a->recs[i].type == t;
		if (n > 0 && off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s %zu", off ? ", " : "",
						np_det_type_name(t), n);
	}
}

static size_t n_kind(const struct analyze_ctx *a, uint8_t kind)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n_recs; i++)
		n += a->recs[i].kind == kind;
	return n;
}

/* The translated (post-NAT) address of a binding: where the NAT shows the initiator. */
static const struct np_addr *binding_public(const struct np_det_record *r)
{
	const struct np_nat_binding *b = &r->binding;

	return b->seg_orig == b->seg_a ? &b->b.src : &b->a.src;
}

/* Bindings: a count, grouped by the address the NAT shows, the first few. */
static void report_bindings(const struct analyze_ctx *a, size_t n, bool all)
{
	enum {
		SHOWN = 5,
		GROUPS = 8
	};
	struct {
		struct np_addr addr;
		size_t n;
	} g[GROUPS];
	size_t n_g = 0, other = 0, src = 0, dst = 0, shown = 0;

	for (size_t i = 0; i < a->n_recs; i++) {
		const struct np_det_record *r = &a->recs[i];
		const struct np_addr *pub;
		size_t k;

		if (r->kind != NP_DET_KIND_BINDING)
			continue;
		src += (r->binding.changed & NP_NAT_CHANGED_SRC) != 0;
		dst += (r->binding.changed & NP_NAT_CHANGED_DST) != 0;
		pub = binding_public(r);
		for (k = 0; k < n_g; k++)
			if (memcmp(&g[k].addr, pub, sizeof(*pub)) == 0)
				break;
		if (k < n_g)
			g[k].n++;
		else if (n_g < GROUPS)
			g[n_g++] = (typeof(g[0])){ *pub, 1 };
		else
			other++;
	}
	printf("== NAT bindings learned: %zu", n);
	if (n > 0)
		printf(" (%zu source translated, %zu destination translated)", src, dst);
	putchar('\n');
	if (n == 0) {
		putchar('\n');
		return;
	}
	printf("  by translated address:");
	for (size_t k = 0; k < n_g; k++) {
		char ab[NP_ADDR_STRLEN];

		printf("%s %s (%zu)", k ? "," : "", np_addr_str(&g[k].addr, ab, sizeof(ab)),
		       g[k].n);
	}
	if (other > 0)
		printf(", others (%zu)", other);
	putchar('\n');
	for (size_t i = 0; i < a->n_recs && (all || shown < SHOWN); i++)
		if (a->recs[i].kind == NP_DET_KIND_BINDING) {
			np_record_write_text(stdout, &a->recs[i], &a->names, a->recs, a->n_recs);
			shown++;
		}
	if (shown < n)
		printf("  ... %zu more (all of them with --bindings, or --json)\n", n - shown);
	putchar('\n');
}

/* "Verdict: ..." (no newline): the report's first line, and the HTML page's. */
static void verdict_line(const struct analyze_ctx *a, char *buf, size_t len)
{
	size_t n_inc = n_kind(a, NP_DET_KIND_INCIDENT), n_an = n_kind(a, NP_DET_KIND_ANOMALY);
	size_t n_bind = n_kind(a, NP_DET_KIND_BINDING), off;
	char types[512];

	off = (size_t)snprintf(buf, len, "Verdict: ");
	if (n_inc > 0) {
		by_type(a, NP_DET_KIND_INCIDENT, types, sizeof(types));
		off += (size_t)snprintf(buf + off, len > off ? len - off : 0,
					"%zu incident%s (%s); ", n_inc, n_inc == 1 ? "" : "s",
					types);
	} else {
		off += (size_t)snprintf(buf + off, len > off ? len - off : 0, "no incident; ");
	}
	if (n_an > 0) {
		by_type(a, NP_DET_KIND_ANOMALY, types, sizeof(types));
		off += (size_t)snprintf(buf + off, len > off ? len - off : 0, "%zu anomal%s (%s); ",
					n_an, n_an == 1 ? "y" : "ies", types);
	} else {
		off += (size_t)snprintf(buf + off, len > off ? len - off : 0, "no anomaly; ");
	}
	snprintf(buf + off, len > off ? len - off : 0, "%zu NAT binding%s learned", n_bind,
		 n_bind == 1 ? "" : "s");
}

static void report(struct analyze_ctx *a, bool all_bindings)
{
	const struct np_det_correlator_stats *cs = np_det_correlator_stats(a->corr);
	const struct np_det_inspect_stats *is = np_det_inspect_stats(a->o->ins);
	const struct np_flow_stats *fs = np_det_inspect_flow_stats(a->o->ins);
	size_t n_inc = n_kind(a, NP_DET_KIND_INCIDENT), n_an = n_kind(a, NP_DET_KIND_ANOMALY);
	size_t n_bind = n_kind(a, NP_DET_KIND_BINDING);
	const struct np_det_record **order;
	char verdict[1400], t0[40], t1[40];

	/* The verdict first: what an operator reads, and what a script greps. */
	verdict_line(a, verdict, sizeof(verdict));
	printf("%s\n\n", verdict);

	printf("== Incidents: %zu\n", n_inc);
	for (size_t i = 0; i < a->n_recs; i++)
		if (a->recs[i].kind == NP_DET_KIND_INCIDENT)
			np_record_write_text(stdout, &a->recs[i], &a->names, a->recs, a->n_recs);
	putchar('\n');

	printf("== Anomalies: %zu\n", n_an);
	order = malloc((n_an ? n_an : 1) * sizeof(*order));
	if (order != NULL) {
		size_t k = 0;

		for (size_t i = 0; i < a->n_recs; i++)
			if (a->recs[i].kind == NP_DET_KIND_ANOMALY)
				order[k++] = &a->recs[i];
		qsort(order, k, sizeof(*order), cmp_rec_ts);
		for (size_t i = 0; i < k; i++)
			np_record_write_text(stdout, order[i], &a->names, a->recs, a->n_recs);
		free(order);
	}
	putchar('\n');

	report_bindings(a, n_bind, all_bindings);

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
	printf("  bindings   %zu; anomalies %zu; incidents %zu\n", n_bind, n_an, n_inc);
}

/* --fail-on: the findings that make `analyze` exit NP_EXIT_FINDINGS. */
enum fail_on {
	FAIL_ON_NONE = 0,
	FAIL_ON_INCIDENT,
	FAIL_ON_ANOMALY
};

int np_cmd_analyze(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "static-nat", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "bindings", no_argument, NULL, 'b' },
		{ "fail-on", required_argument, NULL, 'f' },
		{ "evidence", required_argument, NULL, 'E' },
		{ "html", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		NP_OFFLINE_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static struct np_offline o;
	struct analyze_ctx a = { .o = &o };
	struct np_det_inspect_sink sink = { .flow_event = on_flow, .sip = on_sip, .ctx = &a };
	struct np_det_control det;
	struct np_static_nat extra[64];
	unsigned int n_extra = 0;
	const char *conf_path = NULL;
	enum fail_on fail_on = FAIL_ON_NONE;
	bool all_bindings = false;
	const char **in_names = NULL;
	char err[1024];
	int c, rc = NP_EXIT_OK;

	memset(&o, 0, sizeof(o));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf_path = optarg;
			break;
		case 's':
			if (n_extra == NP_DIM(extra) ||
			    np_conf_parse_static_nat(optarg, &extra[n_extra]) < 0) {
				np_err("analyze: --static-nat '%s': want PRIVATE=PUBLIC, two IPv4 or "
				       "two IPv6 addresses (at most %zu)",
				       optarg, NP_DIM(extra));
				return NP_EXIT_USAGE;
			}
			n_extra++;
			break;
		case 'j':
			a.json = true;
			break;
		case 'b':
			all_bindings = true;
			break;
		case 'f':
			if (strcmp(optarg, "incident") == 0) {
				fail_on = FAIL_ON_INCIDENT;
			} else if (strcmp(optarg, "anomaly") == 0) {
				fail_on = FAIL_ON_ANOMALY;
			} else {
				np_err("analyze: --fail-on '%s': want incident or anomaly", optarg);
				return NP_EXIT_USAGE;
			}
			break;
		case 'E':
			a.aev.dir = optarg;
			break;
		case 'H':
			a.aev.html = optarg;
			break;
		case 'h':
			fputs(np_analyze_usage, stdout);
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
			np_conf_print_errors(err);
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
	a.names.n_segments = NP_OFFLINE_MAX_SEGMENTS;
	a.names.segments = o.segment_ptr;
	if (np_aev_on(&a.aev) && np_aev_start(&a.aev, &o, &a.names, err, sizeof(err)) < 0) {
		np_err("analyze: %s", err);
		np_aev_free(&a.aev);
		np_conf_free(&o.conf);
		return NP_EXIT_USAGE;
	}
	/* every slot: opening the inputs, and reading tunnels, may name more segments */
	if (np_det_control_create(&det, &o.conf, NP_OFFLINE_MAX_SEGMENTS, o.segment_ptr, on_record,
				  &a, err, sizeof(err)) < 0) {
		np_err("analyze: %s", err);
		np_aev_free(&a.aev);
		np_conf_free(&o.conf);
		return NP_EXIT_FAIL;
	}
	o.xlat = det.xlat;
	a.corr = det.corr;
	if (np_offline_open(&o, &sink, err, sizeof(err)) < 0) {
		np_err("analyze: %s", err);
		np_offline_close(&o);
		np_aev_free(&a.aev);
		np_det_control_destroy(&det);
		return NP_EXIT_USAGE;
	}
	in_names = calloc(o.n_inputs + 1, sizeof(*in_names));
	for (unsigned int i = 0; in_names != NULL && i < o.n_inputs; i++)
		in_names[i] = np_offline_input_name(&o, i);
	a.names.n_inputs = in_names != NULL ? o.n_inputs : 0;
	a.names.inputs = in_names;
	np_offline_run(&o, on_tick, &a);
	if (o.failed) {
		fflush(stdout);
		np_err("analyze: %s", o.fail_msg);
		free(a.recs);
		free(in_names);
		np_aev_free(&a.aev);
		np_offline_close(&o);
		np_det_control_destroy(&det);
		return NP_EXIT_USAGE;
	}
	np_det_correlator_finish(a.corr, o.last_ns);
	if (!a.json) {
		FILE *tty = stdout; /* wire bytes reach a terminal escaped (np_text.h) */

		stdout = np_text_fopen(tty) ?: tty;
		report(&a, all_bindings);
		if (stdout != tty) {
			fclose(stdout);
			stdout = tty;
		}
	}
	fflush(stdout);
	np_offline_warnings(&o);
	if (a.aev.lost > 0)
		np_err("warning: %lu frames cited by incidents had left the evidence history "
		       "(evidence.history_frames %u) before their capture was written; raise it",
		       (unsigned long)a.aev.lost, o.conf.evidence.history_frames);
	if (a.aev.errors > 0)
		rc = NP_EXIT_FAIL;
	if (a.aev.html != NULL && !a.oom) {
		char verdict[1400];

		verdict_line(&a, verdict, sizeof(verdict));
		if (np_aev_write_html(&a.aev, &o, verdict, a.recs, a.n_recs, err, sizeof(err)) <
		    0) {
			np_err("analyze: %s", err);
			rc = NP_EXIT_FAIL;
		}
	}
	if (a.oom) {
		np_err("analyze: out of memory keeping records; use --json");
		rc = NP_EXIT_FAIL;
	}
	if (rc == NP_EXIT_OK && fail_on != FAIL_ON_NONE) {
		const struct np_det_correlator_stats *cs = np_det_correlator_stats(a.corr);
		uint64_t inc = 0, an = 0;

		for (unsigned int t = 0; t < NP_DET_TYPE_MAX; t++) {
			inc += cs->incidents[t];
			an += cs->anomalies[t];
		}
		if (inc > 0 || (fail_on == FAIL_ON_ANOMALY && an > 0))
			rc = NP_EXIT_FINDINGS;
	}
	free(a.recs);
	free(in_names);
	np_offline_close(&o);
	np_aev_free(&a.aev);
	np_det_control_destroy(&det);
	return rc;
}
