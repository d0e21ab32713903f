/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The message inputs of analyze and dump-sip (struct np_offline_source):
 * inputs that are not captures. Today one: the Expressway diagnostic log
 * (lib/inspect's explog input, docs/expressway-logs.md).
 */

#include <stdlib.h>

#include "np_cli.h"
#include "offline_internal.h"

static void *explog_open(FILE *f, const char *name, uint8_t segment, bool *not_mine, char *err,
			 size_t errlen)
{
	return np_explog_input_open(f, name, segment, not_mine, err, errlen);
}

static int explog_prepare(void *const *inst, unsigned int n, const struct np_conf *c, char *err,
			  size_t errlen)
{
	struct np_explog_input **logs = calloc(n, sizeof(*logs));
	int rc;

	if (logs == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (unsigned int i = 0; i < n; i++)
		logs[i] = inst[i];
	rc = np_explog_input_prepare(logs, n, c->sip.ports, c->sip.n_ports, err, errlen);
	free(logs);
	return rc;
}

static uint64_t explog_next_ts(const void *inst)
{
	return np_explog_input_next_ts(inst);
}

static uint64_t explog_step(void *inst, struct np_det_inspect *ins)
{
	return np_explog_input_step(inst, ins);
}

static void explog_warn(const void *inst, const char *name)
{
	const struct np_explog_stats *ls = np_explog_input_log_stats(inst);
	const struct np_explog_input_stats *is = np_explog_input_stats(inst);

	if (ls->garbled > 0)
		np_err("warning: %s: %lu lines not understood (skipped)", name,
		       (unsigned long)ls->garbled);
	if (is->sip_bad > 0)
		np_err("warning: %s: %lu logged SIP messages could not be parsed", name,
		       (unsigned long)is->sip_bad);
	if (ls->sip_dumps + ls->sip_summaries + ls->tcp == 0)
		np_err("warning: %s: no network.sip or network.tcp entries; set those modules to "
		       "DEBUG (docs/expressway-logs.md)",
		       name);
}

static void explog_report(const void *inst, FILE *f)
{
	const struct np_explog_stats *ls = np_explog_input_log_stats(inst);

	fprintf(f, "Expressway log: %lu entries (%lu SIP, %lu TCP), %lu lines not understood",
		(unsigned long)ls->entries, (unsigned long)(ls->sip_dumps + ls->sip_summaries),
		(unsigned long)ls->tcp, (unsigned long)ls->garbled);
}

static void explog_close(void *inst)
{
	np_explog_input_close(inst);
}

static const struct np_offline_source explog_source = {
	.what = "Expressway log",
	.open = explog_open,
	.prepare = explog_prepare,
	.next_ts = explog_next_ts,
	.step = explog_step,
	.warn = explog_warn,
	.report = explog_report,
	.close = explog_close,
};

const struct np_offline_source *const np_offline_sources[] = {
	&explog_source,
	NULL,
};
