/* SPDX-License-Identifier: BSD-3-Clause */

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "np_app.h"
#include "offline.h"

#define NP_OFFLINE_EXPIRE_EVERY 1024	/* frames between ageing steps */
#define NP_OFFLINE_EXPIRE_WORK 256

int np_offline_add_input(struct np_offline *o, const char *arg, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	char name[NP_NAME_MAX + 1];
	const char *path;
	unsigned int s;

	if (o->n_inputs >= NP_CAPTURE_MAX) {
		snprintf(err, errlen, "at most %d inputs", NP_CAPTURE_MAX);
		return -1;
	}
	if (eq != NULL && eq != arg) {
		size_t n = (size_t)(eq - arg);

		if (n > NP_NAME_MAX) {
			snprintf(err, errlen, "segment name '%.*s' is longer than %d characters",
				 (int)n, arg, NP_NAME_MAX);
			return -1;
		}
		memcpy(name, arg, n);
		name[n] = '\0';
		path = eq + 1;
		for (size_t i = 0; i < n; i++)
			if (!(name[i] == '_' || name[i] == '-' || (name[i] >= '0' && name[i] <= '9') ||
			      (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z'))) {
				snprintf(err, errlen, "segment name '%s' has a character outside "
					 "[A-Za-z0-9_-]", name);
				return -1;
			}
	} else {
		const char *base = strrchr(arg, '/');
		const char *dot;

		base = base ? base + 1 : arg;
		dot = strchr(base, '.');
		snprintf(name, sizeof(name), "%.*s", (int)(dot && dot > base ? dot - base :
							   (long)strlen(base)), base);
		if (name[0] == '\0')
			snprintf(name, sizeof(name), "capture");
		path = arg;
	}
	if (path[0] == '\0') {
		snprintf(err, errlen, "'%s': no file after '='", arg);
		return -1;
	}
	for (s = 0; s < o->n_segments; s++)
		if (strcmp(o->segment_name[s], name) == 0)
			break;
	if (s == o->n_segments) {
		snprintf(o->segment_name[s], sizeof(o->segment_name[s]), "%s", name);
		o->segment_ptr[s] = o->segment_name[s];
		o->n_segments++;
	}
	o->input_path[o->n_inputs] = path;
	o->input_segment[o->n_inputs] = (uint8_t)s;
	o->n_inputs++;
	return 0;
}

/* A log keeps capture slot c->n, empty, so that input numbers stay capture numbers. */
static int open_log(struct np_offline *o, unsigned int i, char *err, size_t errlen)
{
	struct np_capture_input *slot = &o->cap.in[o->cap.n];
	bool not_log;

	o->log[i] = np_explog_input_open(o->input_path[i], o->input_segment[i], &not_log, err,
					 errlen);
	if (o->log[i] == NULL)
		return -1;
	memset(slot, 0, offsetof(struct np_capture_input, buf));
	slot->path = o->input_path[i];
	slot->eof = true;
	{
		const struct np_explog_stats *ls = np_explog_input_log_stats(o->log[i]);

		slot->frames = ls->sip_dumps + ls->sip_summaries + ls->tcp; /* entries used */
	}
	o->cap.n++;
	o->n_logs++;
	return 0;
}

int np_offline_open(struct np_offline *o, const struct np_det_inspect_sink *sink, char *err,
		    size_t errlen)
{
	struct np_explog_input *logs[NP_CAPTURE_MAX];
	unsigned int n_logs = 0;
	struct np_det_inspect_conf ic;
	char dberr[256];

	o->sink = *sink;
	for (unsigned int i = 0; i < o->n_inputs; i++) {
		int rc = np_capture_is_pcap(o->input_path[i]) ?
				 np_capture_open(&o->cap, o->input_path[i], err, errlen) :
				 open_log(o, i, err, errlen);

		if (rc < 0)
			return -1;
		if (o->log[i] != NULL)
			logs[n_logs++] = o->log[i];
	}
	o->db = np_sip_db_create(dberr, sizeof(dberr));
	if (o->db == NULL) {
		snprintf(err, errlen, "SIP matcher: %s", dberr);
		return -1;
	}
	if (n_logs > 0 && np_explog_input_prepare(logs, n_logs, o->db, o->xlat, o->conf.sip.ports,
						  o->conf.sip.n_ports, err, errlen) < 0)
		return -1;
	memset(&ic, 0, sizeof(ic));
	ic.flow.size = o->conf.datapath.flow_table_size;
	ic.flow.reasm_buffers = o->conf.datapath.tcp_reasm_buffers;
	ic.flow.n_sip_ports = o->conf.sip.n_ports;
	memcpy(ic.flow.sip_ports, o->conf.sip.ports, sizeof(uint16_t) * o->conf.sip.n_ports);
	ic.frag_datagrams = 1024;
	ic.sip_db = o->db;
	ic.xlat = o->xlat;
	o->ins = np_det_inspect_create(&ic, sink);
	if (o->ins == NULL) {
		snprintf(err, errlen, "cannot create the inspector: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The input whose next log entry is earliest, or -1. */
static int next_log(const struct np_offline *o, uint64_t *ts)
{
	int best = -1;

	*ts = UINT64_MAX;
	for (unsigned int i = 0; i < o->n_inputs; i++) {
		uint64_t t;

		if (o->log[i] == NULL)
			continue;
		t = np_explog_input_next_ts(o->log[i]);
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

uint64_t np_offline_run(struct np_offline *o, void (*tick)(void *ctx, uint64_t now_ns), void *ctx)
{
	struct np_frame f;
	bool have = np_capture_next(&o->cap, &f) == 1;
	uint64_t log_events = 0;

	for (;;) {
		struct np_pkt_info pi;
		uint64_t lts;
		int li = o->n_logs > 0 ? next_log(o, &lts) : -1;
		int cls;

		/* Log entries before the waiting frame (whose bytes stay valid meanwhile). */
		if (li >= 0 && (!have || lts < f.ts_ns)) {
			seen(o, np_explog_input_step(o->log[li], &o->sink));
			if (++log_events % NP_OFFLINE_EXPIRE_EVERY == 0 && tick != NULL)
				tick(ctx, o->last_ns);
			continue;
		}
		if (!have)
			break;
		cls = np_pkt_parse(f.data, f.len, &pi);
		o->frames++;
		o->bytes += f.wire_len;
		o->frame_class[cls]++;
		seen(o, f.ts_ns);
		np_det_inspect_frame(o->ins, o->input_segment[f.input], f.data, f.len, &pi,
				     o->last_ns);
		if (o->frames % NP_OFFLINE_EXPIRE_EVERY == 0) {
			np_det_inspect_expire(o->ins, o->last_ns, NP_OFFLINE_EXPIRE_WORK);
			if (tick != NULL)
				tick(ctx, o->last_ns);
		}
		have = np_capture_next(&o->cap, &f) == 1;
	}
	/* End of the inputs: age what the capture time allows, no further. */
	while (np_det_inspect_expire(o->ins, o->last_ns, NP_OFFLINE_EXPIRE_WORK) ==
	       NP_OFFLINE_EXPIRE_WORK)
		;
	if (tick != NULL)
		tick(ctx, o->last_ns);
	return o->frames;
}

void np_offline_warnings(const struct np_offline *o)
{
	for (unsigned int i = 0; i < o->n_inputs; i++) {
		const struct np_explog_stats *ls;
		const struct np_explog_input_stats *is;

		if (o->log[i] == NULL)
			continue;
		ls = np_explog_input_log_stats(o->log[i]);
		is = np_explog_input_stats(o->log[i]);
		if (ls->garbled > 0)
			np_err("warning: %s: %lu lines not understood (skipped)", o->input_path[i],
			       (unsigned long)ls->garbled);
		if (is->sip_bad > 0)
			np_err("warning: %s: %lu logged SIP messages could not be parsed",
			       o->input_path[i], (unsigned long)is->sip_bad);
		if (ls->sip_dumps + ls->sip_summaries + ls->tcp == 0)
			np_err("warning: %s: no network.sip or network.tcp entries; set those "
			       "modules to DEBUG (docs/expressway-logs.md)", o->input_path[i]);
	}
	for (unsigned int i = 0; i < o->cap.n; i++) {
		if (o->log[i] != NULL)
			continue;
		if (o->cap.in[i].error[0] != '\0')
			np_err("warning: %s; the frames before it were analysed",
			       o->cap.in[i].error);
		if (o->cap.in[i].skipped > 0)
			np_err("warning: %s: %lu frames skipped (not IP on a raw or cooked link)",
			       o->cap.in[i].path, (unsigned long)o->cap.in[i].skipped);
	}
}

char *np_offline_input_desc(const struct np_offline *o, unsigned int i, char *buf, size_t len)
{
	const struct np_explog_stats *ls;

	if (i >= o->n_inputs || i >= o->cap.n) {
		snprintf(buf, len, "not read");
		return buf;
	}
	if (o->log[i] == NULL) {
		snprintf(buf, len, "%lu frames", (unsigned long)o->cap.in[i].frames);
		return buf;
	}
	ls = np_explog_input_log_stats(o->log[i]);
	snprintf(buf, len, "Expressway log: %lu entries (%lu SIP, %lu TCP), %lu lines not "
		 "understood", (unsigned long)ls->entries,
		 (unsigned long)(ls->sip_dumps + ls->sip_summaries), (unsigned long)ls->tcp,
		 (unsigned long)ls->garbled);
	return buf;
}

void np_offline_close(struct np_offline *o)
{
	for (unsigned int i = 0; i < o->n_inputs; i++) {
		np_explog_input_close(o->log[i]);
		o->log[i] = NULL;
	}
	np_det_inspect_destroy(o->ins);
	np_sip_db_destroy(o->db);
	np_capture_close(&o->cap);
	np_conf_free(&o->conf);
}
