/* SPDX-License-Identifier: BSD-3-Clause */
/* Loading: libcyaml into the raw document, then defaults and rules. */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_internal.h"

/* libcyaml reports through a log callback: keep the first error and its backtrace. */
struct cyaml_log_buf {
	char first[256];   /* first error message */
	char trace[8][96]; /* "in mapping field 'x'", innermost first */
	unsigned int n_trace;
	bool in_trace;
};

static void trim_nl(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
}

static void cyaml_log_capture(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
	struct cyaml_log_buf *b = ctx;
	char line[256];

	if (level < CYAML_LOG_ERROR)
		return;
	vsnprintf(line, sizeof(line), fmt, args);
	trim_nl(line);
	if (strstr(line, "Backtrace:") != NULL) {
		b->in_trace = true;
		return;
	}
	if (b->in_trace) {
		if (b->n_trace < 8)
			snprintf(b->trace[b->n_trace++], sizeof(b->trace[0]), "%s", line);
		return;
	}
	if (b->first[0] == '\0')
		snprintf(b->first, sizeof(b->first), "%s", line);
}

/* Quoted name in "...'name'..." or "...: name" into @p out. */
static bool extract_name(const char *s, char *out, size_t outlen)
{
	const char *q = strchr(s, '\'');
	const char *e;

	if (q != NULL && (e = strchr(q + 1, '\'')) != NULL) {
		snprintf(out, outlen, "%.*s", (int)(e - q - 1), q + 1);
		return true;
	}
	q = strrchr(s, ':');
	if (q == NULL)
		return false;
	q++;
	while (*q == ' ')
		q++;
	snprintf(out, outlen, "%s", q);
	return out[0] != '\0';
}

/*
 * Build "ports[1].device" from libcyaml's backtrace lines ("in mapping field
 * 'device'", "in sequence entry '1'", innermost first).
 */
static void trace_to_path(const struct cyaml_log_buf *b, char *out, size_t outlen)
{
	out[0] = '\0';
	for (int i = (int)b->n_trace - 1; i >= 0; i--) {
		char name[96];
		size_t n = strlen(out);

		if (!extract_name(b->trace[i], name, sizeof(name)))
			continue;
		/* libcyaml counts sequence entries from 1; natprobe's paths count from 0. */
		if (strstr(b->trace[i], "sequence") != NULL)
			snprintf(out + n, outlen - n, "[%ld]", strtol(name, NULL, 10) - 1);
		else if (strstr(b->trace[i], "field") != NULL)
			snprintf(out + n, outlen - n, "%s%s", n ? "." : "", name);
	}
}

/* Friendlier words for libcyaml's "SEQUENCE", "MAPPING_START", ... */
static const char *yaml_kind(const char *ev)
{
	if (strncmp(ev, "SEQUENCE", 8) == 0)
		return "a list";
	if (strncmp(ev, "MAPPING", 7) == 0)
		return "a mapping";
	if (strncmp(ev, "SCALAR", 6) == 0)
		return "a single value";
	return ev;
}

/* Turn libcyaml's message into our "FIELD: what; allowed" pair. */
static void cyaml_error(const struct cyaml_log_buf *b, cyaml_err_t rc, struct conf_err *e)
{
	struct cyaml_log_buf trimmed = *b;
	char name[96], what[64], got[64];
	const char *m = b->first;
	unsigned int have, min;

	if (strncmp(m, "Load: ", 6) == 0)
		m += 6;
	/*
	 * For a missing key libcyaml's innermost backtrace entry is the last key
	 * it read in that mapping, not the mapping: leave it out.
	 */
	if (strstr(m, "Missing required mapping field") != NULL && trimmed.n_trace > 0 &&
	    strstr(trimmed.trace[0], "mapping field") != NULL) {
		memmove(trimmed.trace[0], trimmed.trace[1],
			sizeof(trimmed.trace[0]) * (trimmed.n_trace - 1));
		trimmed.n_trace--;
	}
	trace_to_path(&trimmed, e->field, sizeof(e->field));
	if ((strstr(m, "Unexpected key") != NULL ||
	     strstr(m, "Missing required mapping field") != NULL) &&
	    extract_name(m, name, sizeof(name))) {
		size_t n = strlen(e->field);

		snprintf(e->field + n, sizeof(e->field) - n, "%s%s", n ? "." : "", name);
		if (strstr(m, "Unexpected key") != NULL)
			snprintf(e->msg, sizeof(e->msg),
				 "unknown key; see config/natprobe.yaml for the keys allowed here");
		else
			snprintf(e->msg, sizeof(e->msg), "required key '%s' is missing", name);
		return;
	}
	if (e->field[0] == '\0')
		snprintf(e->field, sizeof(e->field), "(document)");
	if (sscanf(m, "Insufficient entries (%u of %u min)", &have, &min) == 2) {
		char *br = strrchr(e->field, '['); /* about the list, not an entry */

		if (br != NULL)
			*br = '\0';
		snprintf(e->msg, sizeof(e->msg), "has %u entries; needs at least %u", have, min);
	} else if (sscanf(m, "Excessive entries (%u of %u max)", &have, &min) == 2) {
		char *br = strrchr(e->field, '[');

		if (br != NULL)
			*br = '\0';
		snprintf(e->msg, sizeof(e->msg), "has %u entries; at most %u allowed", have, min);
	} else if (sscanf(m, "Expecting %63s got event: %63s", what, got) == 2) {
		size_t n = strlen(what);

		if (n > 0 && what[n - 1] == ',')
			what[n - 1] = '\0';
		snprintf(e->msg, sizeof(e->msg), "wrong type: expected %s, got %s", yaml_kind(what),
			 yaml_kind(got));
	} else if (strstr(m, "Invalid ENUM value") != NULL && extract_name(m, name, sizeof(name))) {
		snprintf(e->msg, sizeof(e->msg), "'%s' is not allowed", name);
	} else if ((strstr(m, "uint") != NULL || strstr(m, "UINT") != NULL) &&
		   extract_name(m, name, sizeof(name))) {
		snprintf(e->msg, sizeof(e->msg), "'%s' is not a non-negative integer", name);
	} else if (strstr(m, "Invalid BOOL") != NULL && extract_name(m, name, sizeof(name))) {
		snprintf(e->msg, sizeof(e->msg), "'%s' is not a boolean; use true or false", name);
	} else if (m[0] != '\0') {
		snprintf(e->msg, sizeof(e->msg), "%s", m);
	} else {
		snprintf(e->msg, sizeof(e->msg), "%s", cyaml_strerror(rc));
	}
	if (strstr(e->field, ".mode") != NULL)
		strncat(e->msg, "; allowed: inline, passive, tunnel",
			sizeof(e->msg) - strlen(e->msg) - 1);
	else if (strstr(e->field, "ip_checksum") != NULL)
		strncat(e->msg, "; allowed: auto, yes, no", sizeof(e->msg) - strlen(e->msg) - 1);
	else if (strstr(e->field, "no_huge") != NULL)
		strncat(e->msg, "; allowed: true, false", sizeof(e->msg) - strlen(e->msg) - 1);
	else if (strcmp(e->field, "export.hep_capture_id") == 0)
		strncat(e->msg, "; allowed 0..4294967295", sizeof(e->msg) - strlen(e->msg) - 1);
	else if (strcmp(e->field, "export.hep_transport") == 0)
		strncat(e->msg, "; allowed: udp, tcp", sizeof(e->msg) - strlen(e->msg) - 1);
	else if (strstr(e->field, ".log_level") != NULL)
		strncat(e->msg, "; allowed: emerg alert crit err warning notice info debug",
			sizeof(e->msg) - strlen(e->msg) - 1);
}

int np_conf_defaults(struct np_conf *conf)
{
	static const uint16_t sip_ports[] = NP_DEF_SIP_PORTS;

	memset(conf, 0, sizeof(*conf));
	conf->hep.relay = true; /* a natprobe in front of HOMER passes HEP on (distributed.md) */
	conf->hep.port = 9060;	/* NP_HEP_DEFAULT_PORT: heplify-server's and HOMER's */
	conf->eal.main_lcore = NP_DEF_MAIN_LCORE;
	conf->eal.n_workers = 1;
	conf->eal.worker_lcores[0] = NP_DEF_WORKER_LCORE;
	conf->eal.no_huge = NP_DEF_NO_HUGE;
	conf->eal.memory_mb = NP_DEF_MEMORY_MB;
	snprintf(conf->eal.file_prefix, sizeof(conf->eal.file_prefix), "%s", NP_DEF_FILE_PREFIX);
	conf->eal.log_level = NP_DEF_LOG_LEVEL;
	conf->datapath.burst_size = NP_DEF_BURST_SIZE;
	conf->datapath.mbufs = NP_DEF_MBUFS;
	conf->datapath.mbuf_cache = NP_DEF_MBUF_CACHE;
	conf->datapath.mtu = NP_DEF_MTU;
	conf->datapath.event_ring_size = NP_DEF_EVENT_RING_SIZE;
	conf->datapath.tx_retries = NP_DEF_TX_RETRIES;
	conf->datapath.tx_backoff_us = NP_DEF_TX_BACKOFF_US;
	conf->datapath.link_down_warn_s = NP_DEF_LINK_DOWN_WARN_S;
	conf->datapath.flow_table_size = NP_DEF_FLOW_TABLE_SIZE;
	conf->datapath.tcp_reasm_buffers = NP_DEF_TCP_REASM_BUFFERS;
	conf->datapath.ip_checksum = NP_DEF_IP_CHECKSUM;
	conf->sip.n_ports = sizeof(sip_ports) / sizeof(sip_ports[0]);
	memcpy(conf->sip.ports, sip_ports, sizeof(sip_ports));
	snprintf(conf->export.metrics_listen, sizeof(conf->export.metrics_listen), "%s",
		 NP_DEF_METRICS_LISTEN);
	snprintf(conf->export.records_file, sizeof(conf->export.records_file), "%s",
		 NP_DEF_RECORDS_FILE);
	conf->export.stats_interval_s = NP_DEF_STATS_INTERVAL_S;
	snprintf(conf->export.hep_collector, sizeof(conf->export.hep_collector), "%s",
		 NP_DEF_HEP_COLLECTOR);
	conf->export.hep_capture_id = NP_DEF_HEP_CAPTURE_ID;
	snprintf(conf->export.hep_password, sizeof(conf->export.hep_password), "%s",
		 NP_DEF_HEP_PASSWORD);
	conf->export.hep_queue_size = NP_DEF_HEP_QUEUE_SIZE;
	/* the host name, as HOMER shows a capture node; "" when it has none */
	snprintf(conf->export.hep_node_name, sizeof(conf->export.hep_node_name), "%s",
		 NP_DEF_HEP_NODE_NAME);
	if (gethostname(conf->export.hep_node_name, sizeof(conf->export.hep_node_name)) != 0)
		conf->export.hep_node_name[0] = '\0';
	conf->export.hep_node_name[sizeof(conf->export.hep_node_name) - 1] = '\0';
	conf->export.hep_transport = NP_DEF_HEP_TRANSPORT;
	conf->nat.max_bindings = NP_DEF_MAX_BINDINGS;
	conf->detect.repeat_window_s = NP_DEF_REPEAT_WINDOW_S;
	conf->evidence.history_frames = NP_DEF_EVIDENCE_FRAMES;
	conf->evidence.snaplen = NP_DEF_EVIDENCE_SNAPLEN;
	snprintf(conf->evidence.dir, sizeof(conf->evidence.dir), "%s", NP_DEF_EVIDENCE_DIR);
	snprintf(conf->security.user, sizeof(conf->security.user), "%s", NP_DEF_SECURITY_USER);
	snprintf(conf->security.group, sizeof(conf->security.group), "%s", NP_DEF_SECURITY_GROUP);
	return 0;
}

void np_conf_free(struct np_conf *conf)
{
	free(conf->nat.static_nat);
	conf->nat.static_nat = NULL;
	conf->nat.n_static = 0;
}

struct conf_err *conf_errs_add(struct conf_errs *errs)
{
	struct conf_err *e;

	if (errs->n >= NP_CONF_MAX_ERRORS) {
		errs->dropped++;
		return NULL;
	}
	e = &errs->e[errs->n++];
	memset(e, 0, sizeof(*e));
	return e;
}

/* Line of @p e's field, or of the nearest enclosing field that has one; 0 when none. */
static unsigned int line_of(const struct conf_lines *cl, const struct conf_err *e)
{
	unsigned int line = e->line ? e->line : conf_lines_find(cl, e->field);
	char f[128];

	snprintf(f, sizeof(f), "%s", e->field);
	while (line == 0) {
		char *dot = strrchr(f, '.');
		char *br = strrchr(f, '[');
		char *cut = dot == NULL ? br : br == NULL ? dot : dot > br ? dot : br;

		if (cut == NULL)
			break;
		*cut = '\0';
		line = conf_lines_find(cl, f);
	}
	return line;
}

/* Every error, one per line, into @p err; whole lines only. */
static void format_errs(const char *path, const struct conf_lines *cl, const struct conf_errs *errs,
			char *err, size_t errlen)
{
	size_t off = 0;

	if (errlen == 0)
		return;
	err[0] = '\0';
	for (unsigned int i = 0; i <= errs->n; i++) {
		char one[640], where[32] = "";
		int n;

		if (i == errs->n) {
			if (errs->dropped == 0)
				break;
			snprintf(one, sizeof(one),
				 "%s: (more): %u more errors not shown; fix these "
				 "first",
				 path, errs->dropped);
		} else {
			const struct conf_err *e = &errs->e[i];
			unsigned int line = line_of(cl, e);

			if (line > 0 && e->col > 0)
				snprintf(where, sizeof(where), ":%u:%u", line, e->col);
			else if (line > 0)
				snprintf(where, sizeof(where), ":%u", line);
			snprintf(one, sizeof(one), "%s%s: %s: %s", path, where, e->field, e->msg);
		}
		/* Values from the file are quoted in messages: keep each error on one line. */
		for (char *p = one; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
		n = snprintf(err + off, errlen - off, "%s%s", off ? "\n" : "", one);
		if (n < 0 || (size_t)n >= errlen - off) {
			err[off] = '\0'; /* this line does not fit: leave it out */
			break;
		}
		off += (size_t)n;
	}
}

#define NP_CONF_FILE_MAX (4u << 20)

/*
 * The whole file, read through a descriptor opened O_NONBLOCK: a FIFO or a
 * device is refused at once (start-up never waits on one). @return the
 * bytes (free them) and their count in @p len, or NULL with @p err set.
 */
static char *read_file(const char *path, size_t *len, int *ret, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	char *buf;
	size_t got = 0;

	if (fd < 0) {
		*ret = -errno;
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*ret = -EINVAL;
		snprintf(err, errlen, "%s: (file): not a regular file (%s); give a YAML file", path,
			 S_ISFIFO(st.st_mode)  ? "a FIFO"
			 : S_ISDIR(st.st_mode) ? "a directory"
					       : "a device or socket");
		close(fd);
		return NULL;
	}
	if ((uint64_t)st.st_size > NP_CONF_FILE_MAX) {
		*ret = -EFBIG;
		snprintf(err, errlen, "%s: (file): %lld bytes; a config is at most %u bytes", path,
			 (long long)st.st_size, NP_CONF_FILE_MAX);
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		*ret = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*ret = -errno;
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		if (n == 0)
			break; /* shrank while we read: take what is there */
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*len = got;
	return buf;
}

int np_conf_load(const char *path, struct np_conf *conf, char *err, size_t errlen)
{
	struct cyaml_log_buf logbuf;
	cyaml_config_t cfg = {
		.log_fn = cyaml_log_capture,
		.log_ctx = &logbuf,
		.mem_fn = cyaml_mem,
		.log_level = CYAML_LOG_ERROR,
		.flags = CYAML_CFG_DEFAULT,
	};
	struct raw_conf *raw = NULL;
	struct conf_lines *cl;
	struct conf_errs *errs;
	cyaml_err_t rc;
	size_t len = 0;
	char *buf;
	int ret = 0;

	memset(&logbuf, 0, sizeof(logbuf));
	np_conf_defaults(conf);
	buf = read_file(path, &len, &ret, err, errlen);
	if (buf == NULL)
		return ret;
	errs = calloc(1, sizeof(*errs));
	if (errs == NULL) {
		free(buf);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	cl = conf_lines_parse(buf, len, &np_conf_raw_schema, errs);
	if (errs->n > 0) {
		/* a syntax error, or unknown keys: libcyaml would stop at the first */
		ret = -EINVAL;
		goto out;
	}
	rc = cyaml_load_data((const uint8_t *)buf, len, &cfg, &np_conf_raw_schema,
			     (cyaml_data_t **)&raw, NULL);
	if (rc != CYAML_OK) {
		cyaml_error(&logbuf, rc, conf_errs_add(errs));
		ret = -EINVAL;
		goto out;
	}
	if (raw == NULL) {
		struct conf_err *e = conf_errs_add(errs);

		snprintf(e->field, sizeof(e->field), "(document)");
		snprintf(e->msg, sizeof(e->msg), "empty; a config needs ports and segments");
		ret = -EINVAL;
		goto out;
	}
	ret = conf_validate(raw, conf, errs);
	if (ret < 0)
		np_conf_free(conf);
	cyaml_free(&cfg, &np_conf_raw_schema, raw, 0);
out:
	if (ret < 0)
		format_errs(path, cl, errs, err, errlen);
	conf_lines_free(cl);
	free(errs);
	free(buf);
	return ret;
}

static int parse_addr(const char *s, struct np_addr *a)
{
	struct in_addr v4;

	if (inet_pton(AF_INET, s, &v4) == 1) {
		np_addr_from_v4(a, v4.s_addr);
		return 4;
	}
	if (inet_pton(AF_INET6, s, a->b) == 1)
		return 6;
	return -EINVAL;
}

int np_conf_parse_static_nat(const char *text, struct np_static_nat *out)
{
	char priv[64];
	const char *eq = strchr(text, '=');
	int f1, f2;

	if (eq == NULL || (size_t)(eq - text) >= sizeof(priv))
		return -EINVAL;
	snprintf(priv, sizeof(priv), "%.*s", (int)(eq - text), text);
	f1 = parse_addr(priv, &out->priv);
	f2 = parse_addr(eq + 1, &out->pub);
	if (f1 < 0 || f2 < 0 || f1 != f2)
		return -EINVAL;
	return 0;
}

int conf_addr_parse(const char *s, struct np_addr *a)
{
	return parse_addr(s, a) < 0 ? -EINVAL : 0;
}

int np_conf_add_static_nat(struct np_conf *conf, const struct np_static_nat *e)
{
	struct np_static_nat *n;

	if (conf->nat.n_static >= NP_MAX_STATIC_NAT)
		return -ENOSPC;
	n = realloc(conf->nat.static_nat, (conf->nat.n_static + 1) * sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	n[conf->nat.n_static++] = *e;
	conf->nat.static_nat = n;
	return 0;
}

int np_conf_port_index(const struct np_conf *conf, const char *name)
{
	for (unsigned int i = 0; i < conf->n_ports; i++)
		if (strcmp(conf->ports[i].name, name) == 0)
			return (int)i;
	return -1;
}

const char *np_seg_mode_name(enum np_seg_mode mode)
{
	return mode == NP_SEG_INLINE ? "inline" : mode == NP_SEG_TUNNEL ? "tunnel" : "passive";
}

const char *np_ip_checksum_name(enum np_ip_checksum v)
{
	return v == NP_IP_CSUM_YES ? "yes" : v == NP_IP_CSUM_NO ? "no" : "auto";
}

static const struct {
	const char *name;
	uint8_t family;
	uint32_t max;
} tunnel_names[] = {
	{ "vni", NP_TUNNEL_VXLAN, 0xffffff },
	{ "erspan", NP_TUNNEL_ERSPAN, 1023 },
	{ "gre", NP_TUNNEL_GRE, UINT32_MAX },
};

int np_conf_parse_tunnel(const char *text, struct np_tunnel_key *out)
{
	for (unsigned int i = 0; i < sizeof(tunnel_names) / sizeof(tunnel_names[0]); i++) {
		size_t n = strlen(tunnel_names[i].name);
		unsigned long long v;
		char *end;

		if (strncmp(text, tunnel_names[i].name, n) != 0)
			continue;
		memset(out, 0, sizeof(*out));
		out->family = tunnel_names[i].family;
		if (text[n] == '\0') {
			/* VXLAN always has a VNI */
			return out->family == NP_TUNNEL_VXLAN ? -EINVAL : 0;
		}
		if (text[n] != '=' || text[n + 1] < '0' || text[n + 1] > '9')
			return -EINVAL;
		errno = 0;
		v = strtoull(text + n + 1, &end, 10);
		if (*end != '\0' || errno != 0 || v > tunnel_names[i].max)
			return -EINVAL;
		out->has_id = true;
		out->id = (uint32_t)v;
		return 0;
	}
	return -EINVAL;
}

char *np_tunnel_key_str(const struct np_tunnel_key *k, char *buf, size_t len)
{
	const char *name = "?";

	for (unsigned int i = 0; i < sizeof(tunnel_names) / sizeof(tunnel_names[0]); i++)
		if (tunnel_names[i].family == k->family)
			name = tunnel_names[i].name;
	if (k->has_id)
		snprintf(buf, len, "%s=%lu", name, (unsigned long)k->id);
	else
		snprintf(buf, len, "%s", name);
	return buf;
}

int np_conf_parse_listen(const char *text, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon;
	const char *h = text;
	size_t hl;
	char *end;
	unsigned long p;

	if (text[0] == '[') {
		const char *rb = strchr(text, ']');

		if (rb == NULL || rb[1] != ':')
			return -EINVAL;
		h = text + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL || strchr(text, ':') != colon)
			return -EINVAL;
		hl = (size_t)(colon - text);
	}
	if (hl == 0 || hl >= hostlen)
		return -EINVAL;
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || p == 0 || p > 65535)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	{
		struct np_addr a;

		if (parse_addr(host, &a) < 0)
			return -EINVAL;
	}
	*port = (uint16_t)p;
	return 0;
}
