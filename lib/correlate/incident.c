/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Incidents: anomalies that share a NAT binding, an endpoint or a Call-ID
 * are joined; a NAT-reflection misroute is written once it has its source
 * NAT evidence (hairpin_snat) and its consequence (translated_route and/or
 * phantom_connect), after a quiet time so late evidence (the 408) is in it.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "correlate_internal.h"

static bool shares_call(struct np_det_correlator *c, const struct det_incident *in,
			const struct det_anomaly *a)
{
	if (a->call_id[0] == '\0')
		return false;
	for (unsigned int i = 0; i < in->n; i++) {
		const struct det_anomaly *m = det_anomaly_get(c, in->members[i]);

		if (m != NULL && strcmp(m->call_id, a->call_id) == 0)
			return true;
	}
	return false;
}

static bool belongs(struct np_det_correlator *c, const struct det_incident *in,
		    const struct det_anomaly *a)
{
	const struct det_xlat *x = &c->xlat[in->xlat];

	if (a->xlat == in->xlat)
		return true;
	if (a->xlat < 0 && a->endpoint.proto != 0 && det_ep_eq(&a->endpoint, &x->t))
		return true;
	return shares_call(c, in, a);
}

static bool is_member(const struct det_incident *in, uint32_t seq)
{
	for (unsigned int i = 0; i < in->n; i++)
		if (in->members[i] == seq)
			return true;
	return false;
}

/* @return true when @p seq became a member (false: already one, or the list is full). */
static bool add_member(struct det_incident *in, uint32_t seq, uint64_t ts)
{
	bool added = false;

	if (in->n < NP_DET_MAX_EVIDENCE - 1 && !is_member(in, seq)) {
		in->members[in->n++] = seq;
		added = true;
	}
	if (ts > in->last_ns)
		in->last_ns = ts;
	return added;
}

/* Pull in earlier anomalies that belong, until nothing changes. */
static void sweep(struct np_det_correlator *c, struct det_incident *in)
{
	bool changed = true;

	while (changed) {
		changed = false;
		for (unsigned int i = 0; i < DET_MAX_ANOMALIES; i++) {
			const struct det_anomaly *a = &c->anomalies[i];

			if (a->seq == 0 || is_member(in, a->seq) || !belongs(c, in, a))
				continue;
			/* Only a new member can make others belong (shared Call-ID). */
			if (add_member(in, a->seq, a->ts_ns))
				changed = true;
		}
	}
}

void det_incident_consider(struct np_det_correlator *c, struct det_anomaly *a)
{
	struct det_incident *free_slot = NULL;

	for (unsigned int i = 0; i < DET_MAX_INCIDENTS; i++) {
		struct det_incident *in = &c->incidents[i];

		if (!in->used) {
			if (free_slot == NULL)
				free_slot = in;
			continue;
		}
		if (in->written || !belongs(c, in, a))
			continue;
		add_member(in, a->seq, a->ts_ns);
		sweep(c, in);
		return;
	}
	if (a->xlat < 0 || free_slot == NULL)
		return;
	/* One incident per translation: a written one is not opened again. */
	for (unsigned int i = 0; i < DET_MAX_INCIDENTS; i++)
		if (c->incidents[i].used && c->incidents[i].xlat == a->xlat)
			return;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	free_slot->xlat = a->xlat;
	add_member(free_slot, a->seq, a->ts_ns);
	sweep(c, free_slot);
}

static bool has_type(struct np_det_correlator *c, const struct det_incident *in, uint8_t type)
{
	for (unsigned int i = 0; i < in->n; i++) {
		const struct det_anomaly *a = det_anomaly_get(c, in->members[i]);

		if (a != NULL && a->type == type)
			return true;
	}
	return false;
}

static bool qualified(struct np_det_correlator *c, const struct det_incident *in)
{
	return has_type(c, in, NP_DET_HAIRPIN_SNAT) && (has_type(c, in, NP_DET_TRANSLATED_ROUTE) ||
							has_type(c, in, NP_DET_PHANTOM_CONNECT));
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_anomaly_ts(const void *x, const void *y)
{
	const struct det_anomaly *a = *(struct det_anomaly *const *)x;
	const struct det_anomaly *b = *(struct det_anomaly *const *)y;

	if (a->ts_ns != b->ts_ns)
		return a->ts_ns < b->ts_ns ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/*
 * The order members are written in (and so their ids): cause before
 * consequence, as the catalogue lists the types (hairpin_snat,
 * translated_route, phantom_connect, sip_timeout), then time. Not arrival
 * order, which differs live (rings interleave) from offline.
 */
static int cmp_member(const void *x, const void *y)
{
	const struct det_anomaly *a = *(struct det_anomaly *const *)x;
	const struct det_anomaly *b = *(struct det_anomaly *const *)y;

	if ((a->id != 0) != (b->id != 0)) /* written already (a window closed): first */
		return a->id != 0 ? -1 : 1;
	if (a->id != 0)
		return a->id < b->id ? -1 : a->id > b->id;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	if (a->ts_ns != b->ts_ns)
		return a->ts_ns < b->ts_ns ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static struct np_det_endpoint endpoint_of(const struct det_ep *e)
{
	struct np_det_endpoint out = { .addr = e->addr, .port = e->port, .proto = e->proto };

	return out;
}

/*
 * An incident is facts: the translation, which roles, what followed, and
 * the ids of its evidence. Its diagnosis, fixes and ladder are told by
 * lib/export from these (np_record.h).
 */
static void write_incident(struct np_det_correlator *c, struct det_incident *in)
{
	const struct det_xlat *x = &c->xlat[in->xlat];
	struct np_det_record *r = &c->rec;
	struct np_det_story *st = &r->story;
	struct det_anomaly *mem[NP_DET_MAX_EVIDENCE];
	char t[NP_DET_EP_LEN], xs[NP_DET_EP_LEN], sp[NP_DET_EP_LEN];
	const char *call = "", *cl_name, *sv_name;
	unsigned int n = 0;
	uint64_t first = UINT64_MAX;

	/* Its evidence is written first, with what it collected so far. */
	for (unsigned int i = 0; i < in->n; i++) {
		struct det_anomaly *a = det_anomaly_get(c, in->members[i]);

		if (a != NULL)
			mem[n++] = a;
	}
	qsort(mem, n, sizeof(mem[0]), cmp_member);
	for (unsigned int i = 0; i < n; i++)
		det_finding_close_anomaly(c, mem[i]);
	qsort(mem, n, sizeof(mem[0]), cmp_anomaly_ts);

	memset(r, 0, sizeof(*r));
	r->kind = NP_DET_KIND_INCIDENT;
	r->type = NP_DET_NAT_REFLECTION_MISROUTE;
	r->severity = NP_DET_SEV_CRITICAL;
	r->segment = -1;
	r->delay_ms = -1;
	st->expressway = x->server.port >= 7001 && x->server.port <= 7004;
	st->client_seen = x->x.port != 0;
	for (unsigned int i = 0; i < n; i++) {
		const struct det_anomaly *a = mem[i];

		if (a->ts_ns < first)
			first = a->ts_ns;
		st->refused |= a->type == NP_DET_PHANTOM_CONNECT;
		st->timed_out |= a->type == NP_DET_SIP_TIMEOUT;
		st->expressway |= a->service;
		if (a->call_id[0] != '\0' && call[0] == '\0')
			call = a->call_id;
	}
	st->seg_client = st->client_seen ? x->seg_client : x->seg_server;
	st->seg_server = x->seg_server;
	st->client = endpoint_of(&x->x);
	st->translated = endpoint_of(&x->t);
	st->server_pub = endpoint_of(&x->server_pub);
	st->server = endpoint_of(&x->server);
	r->ts_ns = first;
	snprintf(r->sip.call_id, sizeof(r->sip.call_id), "%s", call);
	det_ep_str(&x->t, t, sizeof(t));
	det_ep_str(&x->server_pub, sp, sizeof(sp));
	det_copy_str(r->endpoint, sizeof(r->endpoint), t);
	det_record_xlat(r, x, st->seg_client);

	/* Evidence: the binding record, then the anomalies, in id order. */
	if (x->binding_rec != 0)
		r->evidence[r->n_evidence++] = x->binding_rec;
	for (unsigned int i = 0; i < n && r->n_evidence < NP_DET_MAX_EVIDENCE; i++)
		if (mem[i]->id != 0)
			r->evidence[r->n_evidence++] = mem[i]->id;
	qsort(r->evidence, r->n_evidence, sizeof(r->evidence[0]), cmp_u32);
	/* Its frames: the binding's first frames, then every member's. */
	det_frames_add(r->frames, &r->n_frames, NP_DET_MAX_FRAMES, &x->first[0]);
	det_frames_add(r->frames, &r->n_frames, NP_DET_MAX_FRAMES, &x->first[1]);
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int k = 0; k < mem[i]->n_frames; k++)
			det_frames_add(r->frames, &r->n_frames, NP_DET_MAX_FRAMES,
				       &mem[i]->frames[k]);

	cl_name = st->expressway ? "Expressway-C" : "the client";
	sv_name = st->expressway ? "Expressway-E" : "the server";
	if (st->client_seen)
		snprintf(r->detail, sizeof(r->detail),
			 "NAT reflection with source translation: %s %s reaches %s %s as %s, so "
			 "SIP routes to an address that exists only as a NAT binding",
			 cl_name, det_ep_str(&x->x, xs, sizeof(xs)), sv_name, sp, t);
	else
		snprintf(r->detail, sizeof(r->detail),
			 "NAT reflection with source translation: %s reaches %s %s as %s, so SIP "
			 "routes to an address that exists only as a NAT binding",
			 cl_name, sv_name, sp, t);
	det_emit(c, r);
	in->written = true;
}

void det_incident_flush(struct np_det_correlator *c, bool all)
{
	for (unsigned int i = 0; i < DET_MAX_INCIDENTS; i++) {
		struct det_incident *in = &c->incidents[i];

		if (!in->used || in->written || !qualified(c, in) || !c->xlat[in->xlat].used)
			continue;
		if (all || c->now_ns - in->last_ns >= c->settle_ns)
			write_incident(c, in);
	}
}
