/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /natprobe/ telemetry commands (np_observe.h).
 *
 * Two threads meet here: the control thread writes the snapshot, DPDK's
 * telemetry thread reads it in the command callbacks. The snapshot is built
 * outside the lock and copied in under it; callbacks hold the lock while
 * they fill the reply (no I/O, microseconds). Nothing here is on the
 * packet path.
 *
 * DPDK 22.11 telemetry limits shape the replies: dict keys are
 * [A-Za-z0-9_/] (names are written with '-' turned into '_'), at most 256
 * entries per dict, strings at most 127 bytes, containers only arrays, and a
 * whole reply within 16 kB.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_telemetry.h>

#include "np_observe.h"
#include "np_time.h"
#include "np_record.h"

#define TEL_STR RTE_TEL_MAX_STRING_LEN /* 128: longest string value, with NUL */
#define TEL_KEY_LEN (2 * (NP_NAME_MAX + 1) + 32)
/* A binding's line before DPDK cuts it to TEL_STR - 1 (long IPv6 or names only). */
#define TEL_LINE_LEN (4 * NP_ENDPOINT_STRLEN + 2 * (NP_NAME_MAX + 1) + 16)
#define TEL_BINDINGS_REFRESH_NS 1000000000ull /* re-walk unchanged bindings this often */

#define TEL_MAX_FAMILIES 128
#define TEL_MAX_SAMPLES 4096

struct tel_port {
	char name[NP_NAME_MAX + 1];
	char key[NP_NAME_MAX + 1]; /* name usable as a telemetry dict key */
	char device[TEL_STR];
	char segment[NP_NAME_MAX + 1];
	const char *mode;
};

struct tel_segment {
	char name[NP_NAME_MAX + 1];
	char key[NP_NAME_MAX + 1];
};

/* A counter family, and the sum of its series. */
struct tel_family {
	char name[64];
	uint64_t total;
};

/* One series: its family, its labels as a key path ("inside/INVITE"), its value. */
struct tel_sample {
	uint16_t family;
	int16_t port; /* a port family's port, else -1 */
	char key[TEL_KEY_LEN];
	uint64_t v;
};

/* What the control thread refreshes: the counters as the walker (np_counters.h) gives them. */
struct tel_snapshot {
	uint64_t ts_ns; /* wall clock of the refresh; 0 = never */
	uint64_t bindings_active;
	unsigned int n_families;
	struct tel_family fam[TEL_MAX_FAMILIES];
	unsigned int n_samples;
	struct tel_sample s[TEL_MAX_SAMPLES];
	unsigned int n_bindings;
	struct np_nat_binding bindings[NP_TEL_MAX_BINDINGS];
};

/* One anomaly or incident, as /natprobe/anomalies shows it. */
struct tel_record {
	uint32_t id;
	char kind[12];
	char type[32];
	char severity[12];
	char ts[40];
	char segment[NP_NAME_MAX + 1];
	char detail[TEL_STR];
};

static struct {
	pthread_mutex_t lock;
	bool registered;
	bool active; /* between init and fini */
	unsigned int n_ports;
	unsigned int n_segments;
	unsigned int n_workers;
	struct tel_port port[NP_MAX_PORTS];
	struct tel_segment seg[NP_MAX_SEGMENTS];
	struct tel_snapshot snap;
	uint64_t n_records;			   /* anomalies and incidents seen */
	struct tel_record rec[NP_TEL_MAX_RECORDS]; /* ring: rec[n % MAX] */
} tel = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Control thread only: the snapshot being built, and when bindings were walked. */
static struct tel_snapshot next;
static uint64_t bindings_sig = UINT64_MAX;
static uint64_t bindings_walked_ns;

/* Copy @p src into @p dst (size @p len), cut at a UTF-8 character boundary. */
static void copy_cut(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len) {
		n = len - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void make_key(char *dst, size_t len, const char *name)
{
	copy_cut(dst, len, name);
	for (char *p = dst; *p; p++)
		if (*p == '-')
			*p = '_';
}

static const char *seg_name(unsigned int s)
{
	return s < tel.n_segments ? tel.seg[s].name : "?";
}

/* "inside 10.0.30.2:27901->64.100.0.10:7003 = dmz 64.100.0.10:4401->10.0.10.2:7003" */
static void binding_line(const struct np_nat_binding *b, char *buf, size_t len)
{
	char e[4][NP_ENDPOINT_STRLEN];

	if (b->is_static) {
		np_addr_str(&b->a.src, e[0], sizeof(e[0]));
		np_addr_str(&b->b.src, e[1], sizeof(e[1]));
		snprintf(buf, len, "static %s = %s", e[0], e[1]);
		return;
	}
	np_endpoint_str(&b->a.src, b->a.sport, e[0], sizeof(e[0]));
	np_endpoint_str(&b->a.dst, b->a.dport, e[1], sizeof(e[1]));
	np_endpoint_str(&b->b.src, b->b.sport, e[2], sizeof(e[2]));
	np_endpoint_str(&b->b.dst, b->b.dport, e[3], sizeof(e[3]));
	snprintf(buf, len, "%s %s->%s = %s %s->%s", seg_name(b->seg_a), e[0], e[1],
		 seg_name(b->seg_b), e[2], e[3]);
}

/* ------------------------------------------------------------------ */
/* Command callbacks: telemetry thread, under tel.lock                 */

static int not_running(struct rte_tel_data *d)
{
	rte_tel_data_string(d, "natprobe is not running");
	return 0;
}

/* The family named @p name, or -1. */
static int family_index(const char *name)
{
	for (unsigned int i = 0; i < tel.snap.n_families; i++)
		if (strcmp(tel.snap.fam[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* The sum of family @p f's series whose first label value is @p first (a port or segment key). */
static uint64_t family_sum(int f, const char *first)
{
	const struct tel_snapshot *s = &tel.snap;
	size_t n = strlen(first);
	uint64_t v = 0;

	for (unsigned int i = 0; i < s->n_samples; i++)
		if (s->s[i].family == f && strncmp(s->s[i].key, first, n) == 0 &&
		    (s->s[i].key[n] == '\0' || s->s[i].key[n] == '/'))
			v += s->s[i].v;
	return v;
}

/*
 * The keys /natprobe/stats and /natprobe/ports gave before they listed
 * families: kept, next to the families, for the scripts that read them.
 */
static const struct {
	const char *family;
	const char *key;
} legacy_port[] = {
	{"port_rx_packets_total", "rx_packets"},
	{"port_tx_packets_total", "tx_packets"},
	{"port_dropped_packets_total", "dropped_packets"},
	{"port_rx_missed_total", "rx_missed"},
	{"port_link_up", "link_up"},
}, legacy_total[] = {
	{"nat_bindings_active", "bindings_active"},
	{"events_total", "events"},
	{"event_ring_drops_total", "event_ring_drops"},
	{"records_written_total", "records_written"},
	{"records_failed_total", "records_failed"},
	{"records_reopen_failures_total", "records_reopen_failures"},
}, legacy_series[] = {
	{"anomalies_total", "anomalies"},
	{"incidents_total", "incidents"},
}, legacy_array[] = {
	{"worker_busy_cycles_total", "worker_busy_cycles"},
	{"worker_cycles_total", "worker_cycles"},
};

static void stats_legacy(struct rte_tel_data *d)
{
	const struct tel_snapshot *s = &tel.snap;
	char key[TEL_KEY_LEN];
	int f;

	for (unsigned int p = 0; p < tel.n_ports; p++)
		for (unsigned int k = 0; k < NP_DIM(legacy_port); k++) {
			snprintf(key, sizeof(key), "ports/%s/%s", tel.port[p].key,
				 legacy_port[k].key);
			rte_tel_data_add_dict_u64(d, key,
						  family_sum(family_index(legacy_port[k].family),
							     tel.port[p].key));
		}
	for (unsigned int g = 0; g < tel.n_segments; g++) {
		snprintf(key, sizeof(key), "segments/%s/packets", tel.seg[g].key);
		rte_tel_data_add_dict_u64(d, key,
					  family_sum(family_index("segment_packets_total"),
						     tel.seg[g].key));
		snprintf(key, sizeof(key), "segments/%s/sip_messages", tel.seg[g].key);
		rte_tel_data_add_dict_u64(d, key,
					  family_sum(family_index("sip_requests_total"),
						     tel.seg[g].key) +
						  family_sum(family_index("sip_responses_total"),
							     tel.seg[g].key));
	}
	for (unsigned int k = 0; k < NP_DIM(legacy_series); k++) {
		f = family_index(legacy_series[k].family);
		for (unsigned int i = 0; f >= 0 && i < s->n_samples; i++)
			if (s->s[i].family == f) {
				snprintf(key, sizeof(key), "%s/%s", legacy_series[k].key,
					 s->s[i].key);
				rte_tel_data_add_dict_u64(d, key, s->s[i].v);
			}
	}
	for (unsigned int k = 0; k < NP_DIM(legacy_total); k++)
		if ((f = family_index(legacy_total[k].family)) >= 0)
			rte_tel_data_add_dict_u64(d, legacy_total[k].key, s->fam[f].total);
	for (unsigned int k = 0; k < NP_DIM(legacy_array); k++) {
		struct rte_tel_data *a;

		f = family_index(legacy_array[k].family);
		if (f < 0 || (a = rte_tel_data_alloc()) == NULL)
			continue;
		rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
		for (unsigned int i = 0; i < s->n_samples; i++)
			if (s->s[i].family == f)
				rte_tel_data_add_array_u64(a, s->s[i].v);
		rte_tel_data_add_dict_container(d, legacy_array[k].key, a, 0);
	}
}

/*
 * No parameter: each counter family (name without natprobe_) and the sum of
 * its series, the keys of stats_legacy(), the worker count and the snapshot's age. A family name as
 * parameter: its series, label values joined by '/' ("inside/INVITE"), or
 * "value" for a family of one series; null for an unknown family.
 */
static int stats_fill(struct rte_tel_data *d, const char *params)
{
	const struct tel_snapshot *s = &tel.snap;

	rte_tel_data_start_dict(d);
	if (params != NULL && params[0] != '\0') {
		int f = family_index(params);

		if (f < 0)
			return -EINVAL;
		for (unsigned int i = 0; i < s->n_samples; i++)
			if (s->s[i].family == f)
				rte_tel_data_add_dict_u64(d, s->s[i].key[0] ? s->s[i].key : "value",
							  s->s[i].v);
		return 0;
	}
	for (unsigned int f = 0; f < s->n_families; f++)
		rte_tel_data_add_dict_u64(d, s->fam[f].name, s->fam[f].total);
	stats_legacy(d);
	rte_tel_data_add_dict_u64(d, "workers", tel.n_workers);
	rte_tel_data_add_dict_u64(d, "snapshot_age_ms",
				  s->ts_ns ? (np_wall_ns() - s->ts_ns) / 1000000 : 0);
	return 0;
}

/*
 * No parameter: device, segment and mode of every port. A port name: that
 * port, with every per-port counter family (the walker's, by family name).
 */
static int ports_fill(struct rte_tel_data *d, const char *params)
{
	const struct tel_snapshot *s = &tel.snap;
	const int link_family = family_index("port_link_up");
	char key[TEL_KEY_LEN];

	rte_tel_data_start_dict(d);
	if (params != NULL && params[0] != '\0') {
		for (unsigned int p = 0; p < tel.n_ports; p++) {
			const struct tel_port *tp = &tel.port[p];

			if (strcmp(params, tp->name) != 0)
				continue;
			rte_tel_data_add_dict_string(d, "name", tp->name);
			rte_tel_data_add_dict_string(d, "device", tp->device);
			rte_tel_data_add_dict_string(d, "segment", tp->segment);
			rte_tel_data_add_dict_string(d, "mode", tp->mode);
			for (unsigned int i = 0; i < s->n_samples; i++)
				if (s->s[i].port == (int)p)
					rte_tel_data_add_dict_u64(d, s->fam[s->s[i].family].name,
								  s->s[i].v);
			for (unsigned int k = 0; k < NP_DIM(legacy_port); k++)
				rte_tel_data_add_dict_u64(d, legacy_port[k].key,
							  family_sum(family_index(
									     legacy_port[k].family),
								     tp->key));
			return 0;
		}
		return -EINVAL; /* no such port: the reply is null */
	}
	for (unsigned int p = 0; p < tel.n_ports; p++) {
		const struct tel_port *tp = &tel.port[p];

		snprintf(key, sizeof(key), "%s/device", tp->key);
		rte_tel_data_add_dict_string(d, key, tp->device);
		snprintf(key, sizeof(key), "%s/segment", tp->key);
		rte_tel_data_add_dict_string(d, key, tp->segment);
		snprintf(key, sizeof(key), "%s/mode", tp->key);
		rte_tel_data_add_dict_string(d, key, tp->mode);
		for (unsigned int k = 0; k < 2; k++) { /* rx_packets, tx_packets */
			snprintf(key, sizeof(key), "%s/%s", tp->key, legacy_port[k].key);
			rte_tel_data_add_dict_u64(d, key,
						  family_sum(family_index(legacy_port[k].family),
							     tp->key));
		}
		snprintf(key, sizeof(key), "%s/link_up", tp->key);
		rte_tel_data_add_dict_u64(d, key, family_sum(link_family, tp->key));
	}
	return 0;
}

static void binding_detail(struct rte_tel_data *d, const struct np_nat_binding *b)
{
	char buf[TEL_LINE_LEN], ep[NP_ENDPOINT_STRLEN];

	rte_tel_data_add_dict_u64(d, "id", b->id);
	rte_tel_data_add_dict_string(d, "kind", b->is_static ? "static" : "learned");
	if (b->is_static) {
		rte_tel_data_add_dict_string(d, "private", np_addr_str(&b->a.src, ep, sizeof(ep)));
		rte_tel_data_add_dict_string(d, "public", np_addr_str(&b->b.src, ep, sizeof(ep)));
		return;
	}
	rte_tel_data_add_dict_string(d, "proto", np_proto_name(b->proto));
	rte_tel_data_add_dict_string(d, "segment_a", seg_name(b->seg_a));
	rte_tel_data_add_dict_string(d, "a_src",
				     np_endpoint_str(&b->a.src, b->a.sport, ep, sizeof(ep)));
	rte_tel_data_add_dict_string(d, "a_dst",
				     np_endpoint_str(&b->a.dst, b->a.dport, ep, sizeof(ep)));
	rte_tel_data_add_dict_string(d, "segment_b", seg_name(b->seg_b));
	rte_tel_data_add_dict_string(d, "b_src",
				     np_endpoint_str(&b->b.src, b->b.sport, ep, sizeof(ep)));
	rte_tel_data_add_dict_string(d, "b_dst",
				     np_endpoint_str(&b->b.dst, b->b.dport, ep, sizeof(ep)));
	rte_tel_data_add_dict_string(d, "pre_nat_segment", seg_name(b->seg_orig));
	rte_tel_data_add_dict_string(d, "changed",
				     b->changed == (NP_NAT_CHANGED_SRC | NP_NAT_CHANGED_DST)
					     ? "src,dst"
				     : b->changed & NP_NAT_CHANGED_SRC ? "src"
								       : "dst");
	if (b->seq_known) {
		snprintf(buf, sizeof(buf), "%" PRId64, b->seq_offset);
		rte_tel_data_add_dict_string(d, "seq_offset", buf);
	}
	rte_tel_data_add_dict_string(d, "first_seen",
				     np_record_ts(b->first_seen_ns, buf, sizeof(buf)));
	rte_tel_data_add_dict_string(d, "last_seen",
				     np_record_ts(b->last_seen_ns, buf, sizeof(buf)));
	rte_tel_data_add_dict_string(d, "line", (binding_line(b, buf, sizeof(buf)), buf));
}

static int bindings_fill(struct rte_tel_data *d, const char *params)
{
	const struct tel_snapshot *s = &tel.snap;
	char key[16], line[TEL_LINE_LEN];

	rte_tel_data_start_dict(d);
	if (params != NULL && params[0] != '\0') {
		char *end;
		unsigned long id = strtoul(params, &end, 10);

		if (*end != '\0')
			return -EINVAL;
		for (unsigned int i = 0; i < s->n_bindings; i++)
			if (s->bindings[i].id == id) {
				binding_detail(d, &s->bindings[i]);
				return 0;
			}
		return -ENOENT; /* not listed: the reply is null */
	}
	rte_tel_data_add_dict_u64(d, "bindings_active", s->bindings_active);
	rte_tel_data_add_dict_u64(d, "listed", s->n_bindings);
	for (unsigned int i = 0; i < s->n_bindings; i++) {
		snprintf(key, sizeof(key), "%u", s->bindings[i].id);
		binding_line(&s->bindings[i], line, sizeof(line));
		rte_tel_data_add_dict_string(d, key, line);
	}
	return 0;
}

static int anomalies_fill(struct rte_tel_data *d, const char *params)
{
	(void)params;
	uint64_t first =
		tel.n_records > NP_TEL_MAX_RECORDS ? tel.n_records - NP_TEL_MAX_RECORDS : 0;
	char key[16];

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "records_seen", tel.n_records);
	for (uint64_t n = first; n < tel.n_records; n++) {
		const struct tel_record *r = &tel.rec[n % NP_TEL_MAX_RECORDS];
		struct rte_tel_data *a = rte_tel_data_alloc();

		if (a == NULL)
			break;
		rte_tel_data_start_array(a, RTE_TEL_STRING_VAL);
		rte_tel_data_add_array_string(a, r->kind);
		rte_tel_data_add_array_string(a, r->type);
		rte_tel_data_add_array_string(a, r->severity);
		rte_tel_data_add_array_string(a, r->ts);
		rte_tel_data_add_array_string(a, r->segment);
		rte_tel_data_add_array_string(a, r->detail);
		snprintf(key, sizeof(key), "%u", r->id);
		rte_tel_data_add_dict_container(d, key, a, 0);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Control thread                                                      */

static const struct {
	const char *path;
	int (*fill)(struct rte_tel_data *d, const char *params);
	const char *help;
} commands[] = {
	/* Help strings must stay under RTE_TEL_MAX_STRING_LEN (128) or registration fails. */
	{ "/natprobe/stats", stats_fill,
	  "Every counter family and its total. Parameter: a family name for its series." },
	{ "/natprobe/ports", ports_fill,
	  "Ports: device, segment, mode, link up (1/0). Parameter: a port name, with its counters." },
	{ "/natprobe/bindings", bindings_fill,
	  "NAT bindings (first 100). Parameter: a binding id for its details." },
	{ "/natprobe/anomalies", anomalies_fill,
	  "Last 32 anomalies and incidents: id -> [kind, type, severity, time, segment, detail]." },
};

/* Every command, on DPDK's telemetry thread: its fill, under the snapshot's lock. */
static int command(const char *cmd, const char *params, struct rte_tel_data *d)
{
	int ret = -EINVAL;

	pthread_mutex_lock(&tel.lock);
	if (!tel.active) {
		pthread_mutex_unlock(&tel.lock);
		return not_running(d);
	}
	for (size_t i = 0; i < RTE_DIM(commands); i++)
		if (strcmp(cmd, commands[i].path) == 0)
			ret = commands[i].fill(d, params);
	pthread_mutex_unlock(&tel.lock);
	return ret;
}

static int telemetry_start(struct np_app *app)
{
	const struct np_conf *c = &app->conf;

	pthread_mutex_lock(&tel.lock);
	tel.n_ports = c->n_ports;
	tel.n_segments = c->n_segments;
	tel.n_workers = c->eal.n_workers;
	for (unsigned int s = 0; s < c->n_segments; s++) {
		copy_cut(tel.seg[s].name, sizeof(tel.seg[s].name), c->segments[s].name);
		make_key(tel.seg[s].key, sizeof(tel.seg[s].key), c->segments[s].name);
	}
	for (unsigned int p = 0; p < c->n_ports; p++) {
		struct tel_port *tp = &tel.port[p];
		int s = c->ports[p].segment;

		copy_cut(tp->name, sizeof(tp->name), c->ports[p].name);
		make_key(tp->key, sizeof(tp->key), c->ports[p].name);
		copy_cut(tp->device, sizeof(tp->device), c->ports[p].device);
		copy_cut(tp->segment, sizeof(tp->segment), s >= 0 ? c->segments[s].name : "");
		tp->mode = s >= 0 ? np_seg_mode_name(c->segments[s].mode) : "unused";
	}
	memset(&tel.snap, 0, sizeof(tel.snap));
	tel.n_records = 0;
	tel.active = true;
	pthread_mutex_unlock(&tel.lock);
	memset(&next, 0, sizeof(next));
	bindings_sig = UINT64_MAX;
	if (tel.registered)
		return 0;
	for (unsigned int i = 0; i < RTE_DIM(commands); i++) {
		int ret = rte_telemetry_register_cmd(commands[i].path, command, commands[i].help);

		if (ret < 0) {
			np_err("cannot register the DPDK telemetry command %s: %s",
			       commands[i].path, strerror(-ret));
			return ret;
		}
	}
	tel.registered = true;
	return 0;
}

static int copy_binding(void *ctx, const struct np_nat_binding *b)
{
	struct tel_snapshot *s = ctx;

	if (s->n_bindings >= NP_TEL_MAX_BINDINGS)
		return 1; /* stop the walk */
	s->bindings[s->n_bindings++] = *b;
	return 0;
}

/* The walker's visitor (control thread): families and series into the snapshot. */
static void snap_family(void *ctx, const struct np_ctr_desc *d)
{
	struct tel_snapshot *s = ctx;

	if (s->n_families == TEL_MAX_FAMILIES)
		return;
	make_key(s->fam[s->n_families].name, sizeof(s->fam[0].name), d->name);
	s->fam[s->n_families++].total = 0;
}

static void snap_sample(void *ctx, const struct np_ctr_sample *cs)
{
	struct tel_snapshot *s = ctx;
	struct tel_sample *t;
	size_t off = 0;

	if (s->n_families == 0 || s->n_samples == TEL_MAX_SAMPLES)
		return;
	s->fam[s->n_families - 1].total += cs->v;
	t = &s->s[s->n_samples++];
	t->family = (uint16_t)(s->n_families - 1);
	t->port = -1;
	t->v = cs->v;
	t->key[0] = '\0';
	for (unsigned int i = 0; i < cs->n_labels; i++) {
		if (cs->d->dim == NP_CTR_DIM_PORT && strcmp(cs->l[i].name, "segment") == 0)
			continue; /* a port's segment is in /natprobe/ports */
		if (cs->d->dim == NP_CTR_DIM_PORT && strcmp(cs->l[i].name, "port") == 0)
			for (unsigned int p = 0; p < tel.n_ports; p++)
				if (strcmp(tel.port[p].name, cs->l[i].value) == 0)
					t->port = (int16_t)p;
		if (off > 0 && off < sizeof(t->key) - 1)
			t->key[off++] = '/';
		make_key(t->key + off, sizeof(t->key) - off, cs->l[i].value);
		off += strlen(t->key + off);
	}
}

static void telemetry_tick(struct np_app *app)
{
	struct np_nat_learner *l = np_det_correlator_learner(app->det.corr);
	const struct np_nat_stats *ns = np_nat_learner_stats(l);
	const struct np_ctr_visitor v = { snap_family, snap_sample, &next };
	struct np_stats_src src;
	uint64_t now = np_wall_ns(), sig;

	if (!tel.active)
		return;
	np_control_stats_src(app, &src);
	next.ts_ns = now;
	next.bindings_active = ns->v[NP_NAT_STAT_BINDINGS_ACTIVE];
	next.n_families = 0;
	next.n_samples = 0;
	np_ctr_walk(&src, &v);
	/* Walk the binding table only when it changed, or now and then for last_seen. */
	sig = ns->v[NP_NAT_STAT_BINDINGS_ACTIVE] + ns->v[NP_NAT_STAT_BINDINGS_LEARNED] +
	      ns->v[NP_NAT_STAT_BINDINGS_EXPIRED] + ns->v[NP_NAT_STAT_BINDINGS_WITHDRAWN] +
	      ns->v[NP_NAT_STAT_STATIC_ENTRIES];
	if (sig != bindings_sig || now - bindings_walked_ns >= TEL_BINDINGS_REFRESH_NS) {
		next.n_bindings = 0;
		np_nat_binding_foreach(l, copy_binding, &next);
		bindings_sig = sig;
		bindings_walked_ns = now;
	}
	pthread_mutex_lock(&tel.lock);
	memcpy(&tel.snap, &next, offsetof(struct tel_snapshot, s));
	memcpy(tel.snap.s, next.s, next.n_samples * sizeof(next.s[0]));
	tel.snap.n_bindings = next.n_bindings;
	memcpy(tel.snap.bindings, next.bindings, next.n_bindings * sizeof(next.bindings[0]));
	pthread_mutex_unlock(&tel.lock);
}

static void telemetry_record(struct np_app *app, const struct np_det_record *r)
{
	struct tel_record *t;

	(void)app;
	if (!tel.active || (r->kind != NP_DET_KIND_ANOMALY && r->kind != NP_DET_KIND_INCIDENT))
		return;
	pthread_mutex_lock(&tel.lock);
	t = &tel.rec[tel.n_records % NP_TEL_MAX_RECORDS];
	t->id = r->id;
	copy_cut(t->kind, sizeof(t->kind), np_det_kind_name(r->kind));
	copy_cut(t->type, sizeof(t->type), np_det_type_name(r->type));
	copy_cut(t->severity, sizeof(t->severity), np_det_severity_name(r->severity));
	np_record_ts(r->ts_ns, t->ts, sizeof(t->ts));
	copy_cut(t->segment, sizeof(t->segment), r->segment >= 0 ? seg_name(r->segment) : "");
	copy_cut(t->detail, sizeof(t->detail), r->detail);
	tel.n_records++;
	pthread_mutex_unlock(&tel.lock);
}

static void telemetry_stop(struct np_app *app)
{
	(void)app;
	pthread_mutex_lock(&tel.lock);
	tel.active = false;
	pthread_mutex_unlock(&tel.lock);
}

const struct np_observer np_telemetry_observer = {
	.name = "telemetry",
	.start = telemetry_start,
	.tick = telemetry_tick,
	.record = telemetry_record,
	.stop = telemetry_stop,
};
