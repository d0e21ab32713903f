/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rules libcyaml 1.3 cannot express (ranges, names, cross references), one
 * function per rule, applied while the raw document becomes a struct np_conf.
 */

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_internal.h"

static int fail(struct conf_errs *e, const char *fmt_field, ...)
	__attribute__((format(printf, 2, 3)));

/* fmt_field is "FIELD\x1fMESSAGE": one format for both halves. Appends one error. */
static int fail(struct conf_errs *errs, const char *fmt, ...)
{
	struct conf_err *e = conf_errs_add(errs);
	char buf[512];
	char *sep;
	va_list ap;

	if (e == NULL)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sep = strchr(buf, '\x1f');
	if (sep == NULL) {
		snprintf(e->field, sizeof(e->field), "(document)");
		snprintf(e->msg, sizeof(e->msg), "%.319s", buf);
	} else {
		*sep = '\0';
		snprintf(e->field, sizeof(e->field), "%.127s", buf);
		snprintf(e->msg, sizeof(e->msg), "%.319s", sep + 1);
	}
	return -EINVAL;
}

#define SEP "\x1f"

/* @p v into @p dst (max + 1 bytes): at most @p max printable ASCII characters. */
static int set_printable(struct conf_errs *e, const char *field, const char *v, char *dst,
			 unsigned int max)
{
	size_t n = strlen(v);

	if (n > max)
		return fail(e, "%s" SEP "%zu characters; allowed 0..%u printable ASCII characters",
			    field, n, max);
	for (size_t i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			return fail(e,
				    "%s" SEP "character %zu is not printable ASCII; allowed 0..%u "
				    "printable ASCII characters",
				    field, i + 1, max);
	memcpy(dst, v, n + 1);
	return 0;
}

static bool is_pow2(unsigned int v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static int range(struct conf_errs *e, const char *field, const unsigned int *v, unsigned int lo,
		 unsigned int hi, unsigned int *out)
{
	if (v == NULL)
		return 0;
	if (*v < lo || *v > hi)
		return fail(e, "%s" SEP "%u is out of range; allowed %u..%u", field, *v, lo, hi);
	*out = *v;
	return 0;
}

static int pow2_range(struct conf_errs *e, const char *field, const unsigned int *v,
		      unsigned int lo, unsigned int hi, unsigned int *out)
{
	if (v != NULL && !is_pow2(*v))
		return fail(e, "%s" SEP "%u is not a power of two; allowed %u..%u, power of two",
			    field, *v, lo, hi);
	return range(e, field, v, lo, hi, out);
}

static int name_ok(struct conf_errs *e, const char *field, const char *name)
{
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return fail(e, "%s" SEP "'%s' has a character outside [A-Za-z0-9_-]", field,
				    name);
	return 0;
}

static int rule_eal_lcores(const struct raw_eal *r, struct np_conf *c, struct conf_errs *e)
{
	if (range(e, "eal.main_lcore", r->main_lcore, 0, NP_MAX_LCORE, &c->eal.main_lcore))
		return -EINVAL;
	if (r->worker_lcores == NULL)
		return 0;
	if (r->worker_lcores_count == 0)
		return fail(e, "eal.worker_lcores" SEP "empty; give 1..%d lcore ids",
			    NP_MAX_WORKERS);
	if (r->worker_lcores_count > NP_MAX_WORKERS)
		return fail(e, "eal.worker_lcores" SEP "%u lcores; at most %d workers",
			    r->worker_lcores_count, NP_MAX_WORKERS);
	for (unsigned int i = 0; i < r->worker_lcores_count; i++) {
		unsigned int l = r->worker_lcores[i];

		if (l > NP_MAX_LCORE)
			return fail(e, "eal.worker_lcores[%u]" SEP "lcore %u; allowed 0..%d", i, l,
				    NP_MAX_LCORE);
		if (l == c->eal.main_lcore)
			return fail(e,
				    "eal.worker_lcores[%u]" SEP
				    "lcore %u is the main lcore; workers need lcores of their own",
				    i, l);
		for (unsigned int j = 0; j < i; j++)
			if (r->worker_lcores[j] == l)
				return fail(e, "eal.worker_lcores[%u]" SEP "lcore %u listed twice",
					    i, l);
		c->eal.worker_lcores[i] = l;
	}
	c->eal.n_workers = r->worker_lcores_count;
	return 0;
}

static int rule_eal_misc(const struct raw_eal *r, struct np_conf *c, struct conf_errs *e)
{
	int ret = 0;

	if (r->no_huge != NULL)
		c->eal.no_huge = *r->no_huge != 0;
	ret |= range(e, "eal.memory_mb", r->memory_mb, 0, 1u << 20, &c->eal.memory_mb);
	if (r->file_prefix != NULL) {
		if (name_ok(e, "eal.file_prefix", r->file_prefix))
			ret = -EINVAL;
		else
			snprintf(c->eal.file_prefix, sizeof(c->eal.file_prefix), "%s",
				 r->file_prefix);
	}
	if (r->log_level != NULL)
		c->eal.log_level = *r->log_level;
	for (unsigned int i = 0; i < r->extra_args_count; i++) {
		if (strlen(r->extra_args[i]) >= sizeof(c->eal.extra_args[0])) {
			ret = fail(e, "eal.extra_args[%u]" SEP "longer than %zu characters", i,
				   sizeof(c->eal.extra_args[0]) - 1);
			continue;
		}
		snprintf(c->eal.extra_args[i], sizeof(c->eal.extra_args[0]), "%s",
			 r->extra_args[i]);
	}
	c->eal.n_extra_args = r->extra_args_count;
	return ret;
}

/* "0000:01:00.0" or "01:00.0" */
static bool is_pci_address(const char *s)
{
	unsigned int d, b, dv, f;
	char tail;

	return sscanf(s, "%x:%x:%x.%x%c", &d, &b, &dv, &f, &tail) == 4 ||
	       sscanf(s, "%x:%x.%x%c", &b, &dv, &f, &tail) == 3;
}

/* One port's rules. @return 0 or -EINVAL (error appended). */
static int rule_port(const struct raw_conf *r, unsigned int i, struct np_conf *c,
		     struct conf_errs *e)
{
	const struct raw_port *rp = &r->ports[i];
	struct np_conf_port *p = &c->ports[i];
	unsigned int v;
	char f[64];
	int ret = 0;

	snprintf(f, sizeof(f), "ports[%u].name", i);
	if (name_ok(e, f, rp->name))
		return -EINVAL;
	for (unsigned int j = 0; j < i; j++) {
		if (strcmp(r->ports[j].name, rp->name) == 0)
			return fail(e, "%s" SEP "port name '%s' already used by ports[%u]", f,
				    rp->name, j);
		if (strcmp(r->ports[j].device, rp->device) == 0)
			return fail(e,
				    "ports[%u].device" SEP "device '%s' already used by ports[%u]",
				    i, rp->device, j);
	}
	snprintf(p->name, sizeof(p->name), "%s", rp->name);
	snprintf(p->device, sizeof(p->device), "%s", rp->device);
	p->is_vdev = !is_pci_address(rp->device);
	if (p->is_vdev && strncmp(rp->device, "net_", 4) != 0 &&
	    strncmp(rp->device, "eth_", 4) != 0)
		ret = fail(e,
			   "ports[%u].device" SEP
			   "'%s' is neither a PCI address (0000:01:00.0) nor a vdev "
			   "string (net_pcap0,rx_pcap=...)",
			   i, rp->device);
	p->segment = -1;
	v = NP_DEF_RX_DESC;
	snprintf(f, sizeof(f), "ports[%u].rx_descriptors", i);
	ret |= pow2_range(e, f, rp->rx_descriptors, 64, 16384, &v);
	p->rx_desc = (uint16_t)v;
	v = NP_DEF_TX_DESC;
	snprintf(f, sizeof(f), "ports[%u].tx_descriptors", i);
	ret |= pow2_range(e, f, rp->tx_descriptors, 64, 16384, &v);
	p->tx_desc = (uint16_t)v;
	return ret;
}

static int rule_ports(const struct raw_conf *r, struct np_conf *c, struct conf_errs *e)
{
	int ret = 0;

	for (unsigned int i = 0; i < r->ports_count; i++)
		ret |= rule_port(r, i, c, e);
	c->n_ports = r->ports_count;
	return ret;
}

static int rule_segments(const struct raw_conf *r, struct np_conf *c, struct conf_errs *e)
{
	char f[64];

	for (unsigned int i = 0; i < r->segments_count; i++) {
		const struct raw_segment *rs = &r->segments[i];
		struct np_conf_segment *s = &c->segments[i];

		snprintf(f, sizeof(f), "segments[%u].name", i);
		if (name_ok(e, f, rs->name))
			return -EINVAL;
		for (unsigned int j = 0; j < i; j++)
			if (strcmp(c->segments[j].name, rs->name) == 0)
				return fail(e,
					    "%s" SEP "segment name '%s' already used by "
					    "segments[%u]",
					    f, rs->name, j);
		snprintf(s->name, sizeof(s->name), "%s", rs->name);
		s->mode = rs->mode;
		if (rs->mode == NP_SEG_INLINE && rs->ports_count != 2)
			return fail(e,
				    "segments[%u].ports" SEP
				    "an inline segment needs exactly 2 ports, got %u",
				    i, rs->ports_count);
		if (rs->mode == NP_SEG_PASSIVE && rs->ports_count == 0)
			return fail(e,
				    "segments[%u].ports" SEP
				    "a passive segment needs at least 1 port, got none",
				    i);
		if (rs->mode == NP_SEG_TUNNEL && rs->ports_count != 0)
			return fail(e,
				    "segments[%u].ports" SEP
				    "a tunnel segment has no ports (its frames come out of the "
				    "tunnels listed in tunnels:), got %u",
				    i, rs->ports_count);
		for (unsigned int k = 0; k < rs->ports_count; k++) {
			int p = np_conf_port_index(c, rs->ports[k]);

			if (p < 0)
				return fail(e,
					    "segments[%u].ports[%u]" SEP
					    "no port named '%s' in ports",
					    i, k, rs->ports[k]);
			if (c->ports[p].segment >= 0)
				return fail(e,
					    "segments[%u].ports[%u]" SEP
					    "port '%s' is already used by segment '%s'; a port "
					    "belongs to one segment once",
					    i, k, rs->ports[k],
					    c->segments[c->ports[p].segment].name);
			c->ports[p].segment = (int)i;
			s->port[k] = (uint8_t)p;
		}
		s->n_ports = rs->ports_count;
	}
	c->n_segments = r->segments_count;
	for (unsigned int i = 0; i < c->n_ports; i++)
		if (c->ports[i].segment < 0)
			return fail(e,
				    "ports[%u].name" SEP
				    "port '%s' is in no segment; list it in a segment's ports",
				    i, c->ports[i].name);
	return 0;
}

static int rule_datapath(const struct raw_datapath *r, struct np_conf *c, struct conf_errs *e)
{
	/* every range checked, each error reported (|, not ||) */
	if (range(e, "datapath.burst_size", r->burst_size, 1, 512, &c->datapath.burst_size) |
	    range(e, "datapath.mbufs", r->mbufs, 1023, 16777215, &c->datapath.mbufs) |
	    range(e, "datapath.mbuf_cache", r->mbuf_cache, 0, 512, &c->datapath.mbuf_cache) |
	    range(e, "datapath.mtu", r->mtu, 64, NP_MAX_MTU, &c->datapath.mtu) |
	    pow2_range(e, "datapath.event_ring_size", r->event_ring_size, 64, 1u << 20,
		       &c->datapath.event_ring_size) |
	    range(e, "datapath.tx_retries", r->tx_retries, 0, 64, &c->datapath.tx_retries) |
	    range(e, "datapath.flow_table_size", r->flow_table_size, 1024, 1u << 24,
		  &c->datapath.flow_table_size) |
	    range(e, "datapath.tcp_reasm_buffers", r->tcp_reasm_buffers, 0, 65536,
		  &c->datapath.tcp_reasm_buffers))
		return -EINVAL;
	if (r->ip_checksum != NULL)
		c->datapath.ip_checksum = *r->ip_checksum;
	if (c->datapath.mbuf_cache > c->datapath.mbufs / 1.5)
		return fail(e,
			    "datapath.mbuf_cache" SEP
			    "%u is too large for %u mbufs; at most mbufs / 1.5",
			    c->datapath.mbuf_cache, c->datapath.mbufs);
	return 0;
}

/* datapath.tx_backoff_us and datapath.link_down_warn_s: waiting on ports (worker.c, link.c). */
static int rule_datapath_ports(const struct raw_datapath *r, struct np_conf *c, struct conf_errs *e)
{
	/* both checked, each error reported (|, not ||) */
	return range(e, "datapath.tx_backoff_us", r->tx_backoff_us, 0, 1000,
		     &c->datapath.tx_backoff_us) |
	       range(e, "datapath.link_down_warn_s", r->link_down_warn_s, 0, 86400,
		     &c->datapath.link_down_warn_s);
}

static int rule_sip(const struct raw_sip *r, struct np_conf *c, struct conf_errs *e)
{
	if (r->ports == NULL)
		return 0;
	int ret = 0;

	for (unsigned int i = 0; i < r->ports_count; i++) {
		if (r->ports[i] == 0 || r->ports[i] > 65535) {
			ret = fail(e, "sip.ports[%u]" SEP "%u is not a port; allowed 1..65535", i,
				   r->ports[i]);
			continue;
		}
		for (unsigned int j = 0; j < i; j++)
			if (r->ports[j] == r->ports[i]) {
				ret = fail(e, "sip.ports[%u]" SEP "port %u listed twice", i,
					   r->ports[i]);
				break;
			}
		c->sip.ports[i] = (uint16_t)r->ports[i];
	}
	c->sip.n_ports = r->ports_count;
	return ret;
}

static int rule_static_nat(const struct raw_nat *r, struct np_conf *c, struct conf_errs *e)
{
	int bad = 0;

	for (unsigned int i = 0; i < r->static_nat_count; i++) {
		struct np_static_nat sn;
		int ret;

		if (conf_addr_parse(r->static_nat[i].private_addr, &sn.priv) < 0) {
			bad = fail(e,
				   "nat.static[%u].private" SEP
				   "'%s' is not an IPv4 or IPv6 address",
				   i, r->static_nat[i].private_addr);
			continue;
		}
		if (conf_addr_parse(r->static_nat[i].public_addr, &sn.pub) < 0) {
			bad = fail(e,
				   "nat.static[%u].public" SEP
				   "'%s' is not an IPv4 or IPv6 address",
				   i, r->static_nat[i].public_addr);
			continue;
		}
		if (np_addr_is_v4(&sn.priv) != np_addr_is_v4(&sn.pub)) {
			bad = fail(e,
				   "nat.static[%u].public" SEP
				   "address family differs from private; both IPv4 or both "
				   "IPv6",
				   i);
			continue;
		}
		ret = np_conf_add_static_nat(c, &sn);
		if (ret < 0)
			return fail(e, "nat.static[%u]" SEP "cannot add: %s", i, strerror(-ret));
	}
	return bad;
}

static int rule_max_bindings(const struct raw_nat *r, struct np_conf *c, struct conf_errs *e)
{
	if (range(e, "nat.max_bindings", r->max_bindings, 1, NP_MAX_BINDINGS_LIMIT,
		  &c->nat.max_bindings))
		return -EINVAL;
	/* Static entries hold binding slots for the whole run. */
	if (c->nat.max_bindings < c->nat.n_static)
		return fail(e,
			    "nat.max_bindings" SEP
			    "%u is fewer than the %u static entries; allowed %u..%u",
			    c->nat.max_bindings, c->nat.n_static, c->nat.n_static,
			    NP_MAX_BINDINGS_LIMIT);
	return 0;
}

/* "a broadcast address", "a multicast address", or NULL for an address one host has. */
static const char *not_unicast(const struct np_addr *a)
{
	if (np_addr_is_v4(a)) {
		if (a->b[12] >= 224 && a->b[12] <= 239)
			return "a multicast address";
		if (a->b[12] == 255 && a->b[13] == 255 && a->b[14] == 255 && a->b[15] == 255)
			return "a broadcast address";
		return NULL;
	}
	return a->b[0] == 0xff ? "a multicast address" : NULL;
}

/*
 * HOST of a HOST:PORT field must be one host's address: `run` fails on a
 * multicast or broadcast one (bind, connect), so the config is refused here.
 */
static int unicast_host(struct conf_errs *e, const char *field, const char *host)
{
	struct np_addr a;
	const char *what;

	if (conf_addr_parse(host, &a) != 0 || (what = not_unicast(&a)) == NULL)
		return 0;
	return fail(e, "%s" SEP "%s is %s; give the address of one host", field, host, what);
}

static int rule_export(const struct raw_export *r, struct np_conf *c, struct conf_errs *e)
{
	if (r->metrics_listen != NULL) {
		char host[64];
		uint16_t port;

		if (r->metrics_listen[0] != '\0' &&
		    np_conf_parse_listen(r->metrics_listen, host, sizeof(host), &port) < 0)
			return fail(e,
				    "export.metrics_listen" SEP
				    "'%s' is not ADDRESS:PORT (127.0.0.1:9109, [::1]:9109) or \"\"",
				    r->metrics_listen);
		if (r->metrics_listen[0] != '\0' &&
		    unicast_host(e, "export.metrics_listen", host) != 0)
			return -EINVAL;
		snprintf(c->export.metrics_listen, sizeof(c->export.metrics_listen), "%s",
			 r->metrics_listen);
	}
	if (r->records_file != NULL)
		snprintf(c->export.records_file, sizeof(c->export.records_file), "%s",
			 r->records_file);
	return range(e, "export.stats_interval_s", r->stats_interval_s, 0, 86400,
		     &c->export.stats_interval_s);
}

/* export.hep_*: where HEP goes, and what it carries. */
static int rule_export_hep(const struct raw_export *r, struct np_conf *c, struct conf_errs *e)
{
	if (r->hep_collector != NULL) {
		struct np_addr a, any4, any6;
		char host[64];
		uint16_t port;

		memset(&any6, 0, sizeof(any6));
		np_addr_from_v4(&any4, 0);
		if (r->hep_collector[0] != '\0' &&
		    np_conf_parse_listen(r->hep_collector, host, sizeof(host), &port) < 0)
			return fail(e,
				    "export.hep_collector" SEP
				    "'%s' is not ADDRESS:PORT (127.0.0.1:9060, [::1]:9060) or \"\"",
				    r->hep_collector);
		if (r->hep_collector[0] != '\0' && conf_addr_parse(host, &a) == 0 &&
		    (memcmp(&a, &any4, sizeof(a)) == 0 || memcmp(&a, &any6, sizeof(a)) == 0))
			return fail(e,
				    "export.hep_collector" SEP
				    "'%s' names no host; give the collector's address",
				    host);
		if (r->hep_collector[0] != '\0' &&
		    unicast_host(e, "export.hep_collector", host) != 0)
			return -EINVAL;
		snprintf(c->export.hep_collector, sizeof(c->export.hep_collector), "%s",
			 r->hep_collector);
	}
	if (r->hep_capture_id != NULL)
		c->export.hep_capture_id = *r->hep_capture_id;
	if (r->hep_password != NULL &&
	    set_printable(e, "export.hep_password", r->hep_password, c->export.hep_password,
			  NP_HEP_PASSWORD_MAX) < 0)
		return -EINVAL;
	if (r->hep_node_name != NULL &&
	    set_printable(e, "export.hep_node_name", r->hep_node_name, c->export.hep_node_name,
			  NP_HEP_NODE_NAME_MAX) < 0)
		return -EINVAL;
	if (r->hep_transport != NULL)
		c->export.hep_transport = *r->hep_transport;
	if (r->hep_flow_events != NULL)
		c->export.hep_flow_events = *r->hep_flow_events != 0;
	if (c->export.hep_flow_events && c->export.hep_collector[0] == '\0')
		return fail(e,
			    "export.hep_flow_events" SEP
			    "true needs export.hep_collector: the natprobe to send the events to");
	return pow2_range(e, "export.hep_queue_size", r->hep_queue_size, 64, 65536,
			  &c->export.hep_queue_size);
}

/* Names are looked up here so that check-config reports a user this machine lacks. */
static int rule_security(const struct raw_security *r, struct np_conf *c, struct conf_errs *e)
{
	const char *user = r->user != NULL ? r->user : "";
	const char *group = r->group != NULL ? r->group : "";
	struct passwd *pw;
	struct group *gr;

	if (user[0] == '\0') {
		if (group[0] != '\0')
			return fail(e, "security.group" SEP
				       "needs security.user; set both, or neither to keep the user "
				       "natprobe is started as");
		return 0;
	}
	pw = getpwnam(user);
	if (pw == NULL)
		return fail(e,
			    "security.user" SEP
			    "no user '%s' on this machine; give an existing user name (getent "
			    "passwd), or \"\" to keep the user natprobe is started as",
			    user);
	snprintf(c->security.user, sizeof(c->security.user), "%s", user);
	c->security.uid = pw->pw_uid;
	c->security.gid = pw->pw_gid;
	if (group[0] != '\0') {
		gr = getgrnam(group);
		if (gr == NULL)
			return fail(e,
				    "security.group" SEP
				    "no group '%s' on this machine; give an existing group name "
				    "(getent group), or \"\" for the user's primary group",
				    group);
		snprintf(c->security.group, sizeof(c->security.group), "%s", group);
		c->security.gid = gr->gr_gid;
	}
	return 0;
}

static int rule_detect(const struct raw_detect *r, struct np_conf *c, struct conf_errs *e)
{
	return range(e, "detect.repeat_window_s", r->repeat_window_s, 1, 86400,
		     &c->detect.repeat_window_s);
}

/* evidence: sizes in range; a directory is only of use when frames are kept. */
static int rule_evidence(const struct raw_evidence *r, struct np_conf *c, struct conf_errs *e)
{
	int ret = range(e, "evidence.history_frames", r->history_frames, 0, NP_EVIDENCE_MAX_FRAMES,
			&c->evidence.history_frames);

	ret |= range(e, "evidence.snaplen", r->snaplen, 128, 65535, &c->evidence.snaplen);
	if (r->dir != NULL) {
		if (r->dir[0] != '\0' && r->dir[0] != '/')
			return fail(e,
				    "evidence.dir" SEP
				    "'%s' is a relative path; give an absolute directory, or \"\" "
				    "for the directory of export.records_file",
				    r->dir);
		snprintf(c->evidence.dir, sizeof(c->evidence.dir), "%s", r->dir);
	}
	if (ret == 0 && c->evidence.dir[0] != '\0' && c->evidence.history_frames == 0)
		return fail(e,
			    "evidence.dir" SEP
			    "set, but evidence.history_frames is 0: no frames are kept to write "
			    "there; give history_frames (1..%u) or leave dir \"\"",
			    NP_EVIDENCE_MAX_FRAMES);
	return ret;
}

/* tunnels[]: each names a tunnel once and an existing segment; tunnel segments are named. */
static int rule_tunnels(const struct raw_conf *r, struct np_conf *c, struct conf_errs *e)
{
	for (unsigned int i = 0; i < r->tunnels_count; i++) {
		const struct raw_tunnel *rt = &r->tunnels[i];
		struct np_conf_tunnel *t = &c->tunnels[i];
		int s = -1;

		if (np_conf_parse_tunnel(rt->match, &t->key) < 0)
			return fail(
				e,
				"tunnels[%u].match" SEP
				"'%s' is not a tunnel; allowed: vni=N (VXLAN), erspan=N (ERSPAN "
				"II/III session), erspan (type I), gre=N (GRE key), gre (no key)",
				i, rt->match);
		for (unsigned int j = 0; j < i; j++)
			if (memcmp(&c->tunnels[j].key, &t->key, sizeof(t->key)) == 0)
				return fail(e,
					    "tunnels[%u].match" SEP
					    "'%s' is listed twice (tunnels[%u])",
					    i, rt->match, j);
		for (unsigned int k = 0; k < c->n_segments; k++)
			if (strcmp(c->segments[k].name, rt->segment) == 0)
				s = (int)k;
		if (s < 0)
			return fail(e,
				    "tunnels[%u].segment" SEP
				    "no segment named '%s' in segments (a segment seen only in "
				    "tunnels has mode: tunnel and no ports)",
				    i, rt->segment);
		t->segment = (uint8_t)s;
	}
	c->n_tunnels = r->tunnels_count;
	for (unsigned int k = 0; k < c->n_segments; k++) {
		bool named = false;

		if (c->segments[k].mode != NP_SEG_TUNNEL)
			continue;
		for (unsigned int i = 0; i < c->n_tunnels; i++)
			named |= c->tunnels[i].segment == k;
		for (unsigned int i = 0; i < c->hep.n_agents; i++)
			named |= c->hep.agents[i].segment == k;
		if (!named)
			return fail(
				e,
				"segments[%u].mode" SEP
				"segment '%s' is a tunnel segment that no tunnels[] or hep.agents[] "
				"entry names; add one (match: vni=N, segment: %s) or give it ports",
				k, c->segments[k].name, c->segments[k].name);
	}
	return 0;
}

/* hep: the port, and agents[] naming each agent once and an existing segment. */
static int rule_hep(const struct raw_conf *r, struct np_conf *c, struct conf_errs *e)
{
	if (r->hep == NULL)
		return 0;
	if (r->hep->port != NULL) {
		if (*r->hep->port > 65535)
			return fail(e,
				    "hep.port" SEP "%u is not a port (0 turns HEP off, 1..65535)",
				    *r->hep->port);
		c->hep.port = (uint16_t)*r->hep->port;
	}
	if (r->hep->clock_skew_ms != NULL) {
		if (*r->hep->clock_skew_ms > NP_HEP_MAX_CLOCK_SKEW_MS)
			return fail(e,
				    "hep.clock_skew_ms" SEP
				    "%u is more than %u: clocks that far apart are not in step "
				    "(NTP or PTP; docs/distributed.md)",
				    *r->hep->clock_skew_ms, NP_HEP_MAX_CLOCK_SKEW_MS);
		c->hep.clock_skew_ms = *r->hep->clock_skew_ms;
	}
	if (r->hep->relay != NULL)
		c->hep.relay = *r->hep->relay != 0;
	if (r->hep->listen != NULL && r->hep->listen[0] != '\0') {
		const char *v = r->hep->listen;
		char host[64], full[sizeof(c->hep.listen) - 10];
		uint16_t port;

		if (strspn(v, "0123456789") == strlen(v)) { /* a port alone: loopback */
			snprintf(full, sizeof(full), "127.0.0.1:%s", v);
			v = full;
		}
		if (np_conf_parse_listen(v, host, sizeof(host), &port) < 0 || port == 0)
			return fail(e,
				    "hep.listen" SEP
				    "'%s' is not ADDRESS:PORT (127.0.0.1:9060, [::1]:9060, "
				    "0.0.0.0:9060), PORT (on 127.0.0.1) or \"\" (off)",
				    r->hep->listen);
		if (unicast_host(e, "hep.listen", host) != 0)
			return -EINVAL;
		snprintf(c->hep.listen, sizeof(c->hep.listen), "%s", v);
	}
	for (unsigned int i = 0; i < r->hep->agents_count; i++) {
		const struct raw_hep_agent *ra = &r->hep->agents[i];
		struct np_conf_hep_agent *a = &c->hep.agents[i];
		char *end = NULL;
		int s = -1;

		memset(a, 0, sizeof(*a));
		if (strncmp(ra->match, "id=", 3) == 0 && ra->match[3] >= '0' &&
		    ra->match[3] <= '9') {
			unsigned long v = strtoul(ra->match + 3, &end, 10);

			if (*end != '\0' || v > UINT32_MAX)
				end = NULL;
			a->id = (uint32_t)v;
		} else if (strncmp(ra->match, "name=", 5) == 0 && ra->match[5] != '\0' &&
			   strlen(ra->match + 5) <= NP_HEP_AGENT_NAME_MAX) {
			a->by_name = true;
			snprintf(a->name, sizeof(a->name), "%s", ra->match + 5);
			end = a->name;
		}
		if (end == NULL)
			return fail(e,
				    "hep.agents[%u].match" SEP
				    "'%s' is not an agent; allowed: id=N (capture agent id), "
				    "name=NODE (node name, up to %d characters)",
				    i, ra->match, NP_HEP_AGENT_NAME_MAX);
		for (unsigned int j = 0; j < i; j++)
			if (c->hep.agents[j].by_name == a->by_name &&
			    c->hep.agents[j].id == a->id &&
			    strcmp(c->hep.agents[j].name, a->name) == 0)
				return fail(e,
					    "hep.agents[%u].match" SEP
					    "'%s' is listed twice (hep.agents[%u])",
					    i, ra->match, j);
		for (unsigned int k = 0; k < c->n_segments; k++)
			if (strcmp(c->segments[k].name, ra->segment) == 0)
				s = (int)k;
		if (s < 0)
			return fail(
				e,
				"hep.agents[%u].segment" SEP
				"no segment named '%s' in segments (a segment seen only through "
				"HEP has mode: tunnel and no ports)",
				i, ra->segment);
		a->segment = (uint8_t)s;
	}
	c->hep.n_agents = r->hep->agents_count;
	return 0;
}

int conf_validate(const struct raw_conf *raw, struct np_conf *conf, struct conf_errs *e)
{
	static const struct raw_eal no_eal;
	static const struct raw_datapath no_datapath;
	static const struct raw_sip no_sip;
	static const struct raw_nat no_nat;
	static const struct raw_detect no_detect;
	static const struct raw_export no_export;
	static const struct raw_security no_security;
	static const struct raw_evidence no_evidence;
	const struct raw_nat *nat = raw->nat ? raw->nat : &no_nat;
	const struct raw_export *exp = raw->export ? raw->export : &no_export;
	int ret = 0;

	/*
	 * Every rule runs and reports what it finds; a rule that needs an
	 * earlier one's result runs only when that one passed (segments name
	 * ports: a bad port would only repeat itself as a bad segment).
	 */
	ret |= rule_eal_lcores(raw->eal ? raw->eal : &no_eal, conf, e);
	ret |= rule_eal_misc(raw->eal ? raw->eal : &no_eal, conf, e);
	if (rule_ports(raw, conf, e) == 0 && rule_segments(raw, conf, e) == 0)
		ret |= rule_hep(raw, conf, e) | rule_tunnels(raw, conf, e);
	else
		ret = -EINVAL;
	ret |= rule_datapath(raw->datapath ? raw->datapath : &no_datapath, conf, e);
	ret |= rule_datapath_ports(raw->datapath ? raw->datapath : &no_datapath, conf, e);
	ret |= rule_sip(raw->sip ? raw->sip : &no_sip, conf, e);
	if (rule_static_nat(nat, conf, e) == 0)
		ret |= rule_max_bindings(nat, conf, e);
	else
		ret = -EINVAL;
	ret |= rule_detect(raw->detect ? raw->detect : &no_detect, conf, e);
	ret |= rule_export(exp, conf, e);
	ret |= rule_export_hep(exp, conf, e);
	ret |= rule_evidence(raw->evidence ? raw->evidence : &no_evidence, conf, e);
	ret |= rule_security(raw->security ? raw->security : &no_security, conf, e);
	return ret ? -EINVAL : 0;
}
