/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Offline inputs: the [SEG=]FILE[#PART] arguments and input options, opening
 * each file once, and the segments its files, interfaces and tunnels give
 * (docs/offline.md).
 */

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "np_cli.h"
#include "offline_internal.h"

/* ---- names ------------------------------------------------------------- */

static bool name_char(char c)
{
	return c == '_' || c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

bool np_off_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* @p s made a segment name: characters outside [A-Za-z0-9_-] become '_'. */
static void sanitize(const char *s, char *out, size_t len)
{
	size_t n = 0;

	for (; *s != '\0' && n + 1 < len; s++)
		out[n++] = name_char(*s) ? *s : '_';
	out[n] = '\0';
}

/*
 * A file's segment name: its name up to the first dot (so tcpdump -C / -W
 * chunks "c.pcap", "c.pcap1" are all "c"), less the "_NNNNN_YYYYMMDDhhmmss"
 * that dumpcap's ring buffer, Wireshark and editcap -c / -i add.
 */
void np_off_file_stem(const char *path, char *out, size_t len)
{
	const char *base = strrchr(path, '/');
	const char *dot;
	size_t n;

	base = base ? base + 1 : path;
	if (strcmp(path, "-") == 0) {
		snprintf(out, len, "stdin");
		return;
	}
	dot = strchr(base, '.');
	n = dot && dot > base ? (size_t)(dot - base) : strlen(base);
	if (n > 21 && base[n - 21] == '_' && base[n - 15] == '_') {
		bool rot = true;

		for (size_t i = n - 20; i < n && rot; i++)
			rot = i == n - 15 || np_off_is_digit(base[i]);
		if (rot)
			n -= 21;
	}
	{
		char tmp[256];

		snprintf(tmp, sizeof(tmp), "%.*s", (int)(n < 255 ? n : 255), base);
		sanitize(tmp, out, len);
	}
	if (out[0] == '\0')
		snprintf(out, len, "capture");
}

/* @p name less its trailing digits and separators ("in_2" -> "in"). */
size_t np_off_digit_stem_len(const char *name)
{
	size_t n = strlen(name);

	while (n > 0 && (np_off_is_digit(name[n - 1]) || name[n - 1] == '_' || name[n - 1] == '-'))
		n--;
	return n;
}

int np_off_seg_find(const struct np_offline *o, const char *name)
{
	for (unsigned int s = 0; s < o->n_segments; s++)
		if (strcmp(o->segment_name[s], name) == 0)
			return (int)s;
	return -1;
}

/* The segment named @p name, added when new. @return its index, -1 when all are taken. */
int np_off_seg_get(struct np_offline *o, const char *name, bool auto_named)
{
	int s = np_off_seg_find(o, name);

	if (s >= 0)
		return s;
	if (o->n_segments == NP_OFFLINE_MAX_SEGMENTS)
		return -1;
	s = (int)o->n_segments++;
	memcpy(o->segment_name[s], name, strnlen(name, NP_NAME_MAX));
	o->segment_name[s][strnlen(name, NP_NAME_MAX)] = '\0';
	o->seg[s].auto_named = auto_named;
	return s;
}

/* ---- arguments ----------------------------------------------------------- */

static int add_map(struct np_offline *o, const char *arg, const char *path, const char *seg,
		   bool named, const struct np_offline_map *sel, char *err, size_t errlen)
{
	struct np_offline_map *m;
	unsigned int i;

	if (o->n_maps == o->cap_maps) {
		unsigned int cap = o->cap_maps ? 2 * o->cap_maps : 16;
		struct np_offline_map *n = realloc(o->maps, cap * sizeof(*n));

		if (n == NULL)
			goto oom;
		o->maps = n;
		o->cap_maps = cap;
	}
	for (i = 0; i < o->n_inputs; i++)
		if (strcmp(o->inputs[i].path, path) == 0)
			break;
	if (i == o->n_inputs) {
		struct np_offline_input *in;

		if (o->n_inputs == o->cap_inputs) {
			unsigned int cap = o->cap_inputs ? 2 * o->cap_inputs : 16;
			struct np_offline_input *n = realloc(o->inputs, cap * sizeof(*n));

			if (n == NULL)
				goto oom;
			o->inputs = n;
			o->cap_inputs = cap;
		}
		in = &o->inputs[o->n_inputs++];
		memset(in, 0, sizeof(*in));
		in->cap = -1;
		in->default_map = -1;
	}
	m = &o->maps[o->n_maps];
	memset(m, 0, sizeof(*m));
	m->arg = strdup(arg);
	m->path = strdup(path);
	if (m->arg == NULL || m->path == NULL) {
		free(m->arg);
		free(m->path);
		goto oom;
	}
	o->n_maps++;
	if (o->inputs[i].path == NULL) {
		o->inputs[i].path = m->path;
		o->inputs[i].name = strcmp(path, "-") == 0 ? "standard input" : m->path;
	}
	snprintf(m->seg_name, sizeof(m->seg_name), "%s", seg);
	m->named = named;
	m->sel = sel->sel;
	m->sel_index = sel->sel_index;
	memcpy(m->sel_name, sel->sel_name, sizeof(m->sel_name));
	m->key = sel->key;
	m->segment = -1;
	m->input = i;
	/* SEG= segments are numbered in the order they are given */
	if (named && np_off_seg_get(o, seg, false) < 0) {
		snprintf(err, errlen, "'%s': more than %d segments", arg, NP_OFFLINE_MAX_SEGMENTS);
		return -1;
	}
	return 0;
oom:
	snprintf(err, errlen, "'%s': out of memory", arg);
	return -1;
}

static bool has_glob_chars(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* First use of a zeroed struct np_offline. */
static int prep(struct np_offline *o, char *err, size_t errlen)
{
	if (o->seg != NULL)
		return 0;
	o->seg = calloc(NP_OFFLINE_MAX_SEGMENTS, sizeof(*o->seg));
	if (o->seg == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	o->ip_checksum = -1;
	for (unsigned int s = 0; s < NP_OFFLINE_MAX_SEGMENTS; s++)
		o->segment_ptr[s] = o->segment_name[s];
	return 0;
}

int np_offline_add_input(struct np_offline *o, const char *arg, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	const char *hash;
	struct np_offline_map sel;
	char name[NP_NAME_MAX + 1] = "";
	char path[4096];
	struct stat sb;
	bool named = false;

	if (prep(o, err, errlen) < 0)
		return -1;
	/* SEG=: a name before the first '=' when it has only name characters */
	if (eq != NULL && eq != arg) {
		size_t n = (size_t)(eq - arg);
		bool ok = true;

		for (size_t i = 0; i < n && ok; i++)
			ok = name_char(arg[i]);
		if (!ok && memchr(arg, '/', n) == NULL) {
			snprintf(err, errlen,
				 "segment name '%.*s' has a character outside "
				 "[A-Za-z0-9_-]",
				 (int)n, arg);
			return -1;
		}
		if (ok) {
			if (n > NP_NAME_MAX) {
				snprintf(err, errlen,
					 "segment name '%.*s' is longer than %d "
					 "characters",
					 (int)n, arg, NP_NAME_MAX);
				return -1;
			}
			memcpy(name, arg, n);
			name[n] = '\0';
			named = true;
			arg = eq + 1;
		}
	}
	if (arg[0] == '\0') {
		snprintf(err, errlen, "'%s=': no file after '='", name);
		return -1;
	}
	snprintf(path, sizeof(path), "%s", arg);
	/* FILE#SELECTOR, unless the whole is a file */
	memset(&sel, 0, sizeof(sel));
	hash = strrchr(path, '#');
	if (hash != NULL && stat(path, &sb) != 0) {
		const char *s = hash + 1;

		path[hash - path] = '\0';
		if (s[0] == '\0' || path[0] == '\0') {
			snprintf(err, errlen, "'%s': nothing %s '#'", arg,
				 s[0] ? "before" : "after");
			return -1;
		}
		if (np_conf_parse_tunnel(s, &sel.key) == 0) {
			sel.sel = SEL_TUNNEL;
		} else if (strspn(s, "0123456789") == strlen(s)) {
			sel.sel = SEL_IFACE_INDEX;
			sel.sel_index = (unsigned int)strtoul(s, NULL, 10);
		} else if (strncmp(s, "vni", 3) == 0 || strncmp(s, "gre", 3) == 0 ||
			   strncmp(s, "erspan", 6) == 0) {
			snprintf(err, errlen,
				 "'%s': '%s' is not a tunnel; use vni=N, erspan=N, "
				 "erspan, gre=N or gre",
				 arg, s);
			return -1;
		} else {
			sel.sel = SEL_IFACE_NAME;
			snprintf(sel.sel_name, sizeof(sel.sel_name), "%.*s",
				 (int)sizeof(sel.sel_name) - 1, s);
		}
	}
	if (!named)
		np_off_file_stem(path, name, sizeof(name));
	/* A pattern the shell left alone (quoted, or after SEG=): expand it here. */
	if (has_glob_chars(path) && stat(path, &sb) != 0) {
		glob_t g;
		int rc = glob(path, 0, NULL, &g);

		if (rc != 0) {
			snprintf(err, errlen, "'%s': no file matches", path);
			if (rc != GLOB_NOMATCH)
				snprintf(err, errlen, "'%s': cannot expand: %s", path,
					 rc == GLOB_NOSPACE ? "out of memory" : "read error");
			return -1;
		}
		for (size_t i = 0; i < g.gl_pathc; i++) {
			char n2[NP_NAME_MAX + 1];

			if (!named)
				np_off_file_stem(g.gl_pathv[i], n2, sizeof(n2));
			if (add_map(o, arg, g.gl_pathv[i], named ? name : n2, named, &sel, err,
				    errlen) < 0) {
				globfree(&g);
				return -1;
			}
		}
		globfree(&g);
		return 0;
	}
	return add_map(o, arg, path, name, named, &sel, err, errlen);
}

/* "2016-04-19T07:09:13.5Z", "2016-04-19 07:09:13", or seconds since the epoch. */
static int parse_time(const char *s, uint64_t *ns)
{
	struct tm tm;
	const char *p;
	uint64_t frac = 0, scale = 1000000000ull;
	char *end;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL)
		p = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (p != NULL) {
		time_t t = timegm(&tm);

		if (t < 0)
			return -1;
		*ns = (uint64_t)t * 1000000000ull;
	} else {
		unsigned long long v;

		if (!np_off_is_digit(s[0]))
			return -1;
		errno = 0;
		v = strtoull(s, &end, 10);
		if (errno != 0 || v > 10000000000ull)
			return -1;
		*ns = v * 1000000000ull;
		p = end;
	}
	if (*p == '.') {
		for (p++; np_off_is_digit(*p); p++)
			if (scale > 1) {
				scale /= 10;
				frac += (uint64_t)(*p - '0') * scale;
			}
	}
	if (*p == 'Z')
		p++;
	if (*p != '\0')
		return -1;
	*ns += frac;
	return 0;
}

int np_offline_option(struct np_offline *o, const char *name, const char *value, char *err,
		      size_t errlen)
{
	if (prep(o, err, errlen) < 0)
		return -1;
	if (strcmp(name, "ip-checksum") == 0) {
		if (strcmp(value, "auto") == 0)
			o->ip_checksum = NP_IP_CSUM_AUTO;
		else if (strcmp(value, "yes") == 0)
			o->ip_checksum = NP_IP_CSUM_YES;
		else if (strcmp(value, "no") == 0)
			o->ip_checksum = NP_IP_CSUM_NO;
		else {
			snprintf(err, errlen, "--ip-checksum '%s': want auto, yes or no", value);
			return -1;
		}
		return 0;
	}
	if (strcmp(name, "from") == 0 || strcmp(name, "to") == 0) {
		uint64_t *t = name[0] == 'f' ? &o->from_ns : &o->to_ns;

		if (parse_time(value, t) < 0) {
			snprintf(err, errlen,
				 "--%s '%s': want a UTC time (2016-04-19T07:09:13.5Z) or "
				 "seconds since the epoch",
				 name, value);
			return -1;
		}
		if (o->from_ns && o->to_ns && o->to_ns < o->from_ns) {
			snprintf(err, errlen, "--to is before --from");
			return -1;
		}
		return 0;
	}
	if (strcmp(name, "filter") == 0) {
		pcap_t *p = pcap_open_dead(DLT_EN10MB, NP_CAPTURE_SNAP);

		if (p == NULL) {
			snprintf(err, errlen, "--filter: out of memory");
			return -1;
		}
		if (o->have_filter)
			pcap_freecode(&o->filter);
		o->have_filter = false;
		if (pcap_compile(p, &o->filter, value, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			snprintf(err, errlen, "--filter '%s': %s", value, pcap_geterr(p));
			pcap_close(p);
			return -1;
		}
		pcap_close(p);
		o->have_filter = true;
		o->filter_text = value;
		return 0;
	}
	snprintf(err, errlen, "unknown input option --%s", name);
	return -1;
}

int np_offline_getopt(struct np_offline *o, int code, const char *value, char *err, size_t errlen)
{
	static const char *const names[] = { "ip-checksum", "from", "to", "filter" };

	if (code < NP_OFFLINE_OPT_FIRST || code > NP_OFFLINE_OPT_LAST) {
		snprintf(err, errlen, "unknown input option");
		return -1;
	}
	return np_offline_option(o, names[code - NP_OFFLINE_OPT_FIRST], value, err, errlen);
}

/* ---- opening ------------------------------------------------------------- */

/* Room for every input's file descriptor (rotated chunks may be thousands). */
static void raise_fd_limit(unsigned int n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= n + 64)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > n + 64 ? n + 64 : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

/*
 * Default maps: one per file at most, the same file under two names is one
 * file; tcpdump -C chunks without an extension ("inside", "inside1", ...)
 * go with the file they continue.
 */
static int check_defaults(struct np_offline *o, char *err, size_t errlen)
{
	for (unsigned int k = 0; k < o->n_maps; k++) {
		struct np_offline_map *m = &o->maps[k];
		struct np_offline_input *in = &o->inputs[m->input];

		if (m->sel != SEL_NONE) {
			in->has_sel = true;
			continue;
		}
		if (in->default_map >= 0) {
			const struct np_offline_map *d = &o->maps[in->default_map];

			snprintf(err, errlen,
				 "%s is given twice (%s, %s); one file is one wire: give "
				 "it once, or split it with FILE#INTERFACE or FILE#vni=N",
				 in->name, d->arg, m->arg);
			return -1;
		}
		in->default_map = (int)k;
		in->auto_named = !m->named;
	}
	for (unsigned int k = 0; k < o->n_maps; k++) {
		struct np_offline_map *m = &o->maps[k];
		size_t n = strlen(m->seg_name);

		if (m->named || m->sel != SEL_NONE || n == 0 ||
		    !np_off_is_digit(m->seg_name[n - 1]))
			continue;
		while (n > 0 && np_off_is_digit(m->seg_name[n - 1]))
			n--;
		for (unsigned int j = 0; j < o->n_maps && n > 0; j++) {
			const struct np_offline_map *b = &o->maps[j];

			if (j != k && !b->named && strlen(b->seg_name) == n &&
			    strncmp(b->seg_name, m->seg_name, n) == 0) {
				m->seg_name[n] = '\0';
				break;
			}
		}
	}
	/* the same file under two paths (./a, a, a link) */
	for (unsigned int i = 0; i < o->n_inputs; i++) {
		struct stat a;

		if (strcmp(o->inputs[i].path, "-") == 0 || stat(o->inputs[i].path, &a) != 0 ||
		    !S_ISREG(a.st_mode))
			continue;
		for (unsigned int j = i + 1; j < o->n_inputs; j++) {
			struct stat b;

			if (strcmp(o->inputs[j].path, "-") != 0 &&
			    stat(o->inputs[j].path, &b) == 0 && a.st_dev == b.st_dev &&
			    a.st_ino == b.st_ino) {
				snprintf(err, errlen, "%s and %s are the same file; give it once",
					 o->inputs[i].path, o->inputs[j].path);
				return -1;
			}
		}
	}
	return 0;
}

const char *np_off_iface_label(const struct np_capture_iface *ifc, unsigned int i, char *buf,
			       size_t len)
{
	if (ifc->name[0])
		snprintf(buf, len, "%u %s", i, ifc->name);
	else if (ifc->descr[0])
		snprintf(buf, len, "%u '%s'", i, ifc->descr);
	else
		snprintf(buf, len, "%u (no name)", i);
	return buf;
}

/* "0 eth1, 1 eth2" */
static void iface_list(const struct np_capture_input *ci, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < ci->n_ifaces && off + 1 < len; i++) {
		char l[NP_PCAPNG_NAME_MAX + 16];

		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
					np_off_iface_label(&ci->ifaces[i], i, l, sizeof(l)));
	}
}

/* The segment name an interface gives, "" when it gives none. */
void np_off_iface_seg_name(const struct np_capture_iface *ifc, char *out, size_t len)
{
	const char *n = ifc->name;

	/* \Device\NPF_{GUID} (Windows): the description says more */
	if (n[0] && strchr(n, '\\') != NULL && ifc->descr[0])
		n = ifc->descr;
	else if (!n[0])
		n = ifc->descr;
	sanitize(n, out, len);
}

int np_off_set_iface_seg(struct np_offline_input *in, unsigned int i, int seg)
{
	if (i >= in->n_iface_seg) {
		unsigned int n = i + 8;
		int *ns = realloc(in->iface_seg, n * sizeof(*ns));

		if (ns == NULL)
			return -1;
		for (unsigned int k = in->n_iface_seg; k < n; k++)
			ns[k] = -2;
		in->iface_seg = ns;
		in->n_iface_seg = n;
	}
	in->iface_seg[i] = seg;
	return 0;
}

/* Interfaces of a capture just opened -> segments (offline.h). */
static int map_ifaces(struct np_offline *o, unsigned int ii, char *err, size_t errlen)
{
	struct np_offline_input *in = &o->inputs[ii];
	const struct np_capture_input *ci = o->cap.in[in->cap];
	unsigned int n = ci->n_ifaces, left = 0;
	char list[512], lbl[NP_PCAPNG_NAME_MAX + 16];
	char stem[NP_NAME_MAX + 1];

	iface_list(ci, list, sizeof(list));
	in->n_iface_open = n;
	for (unsigned int i = 0; i < n; i++)
		if (np_off_set_iface_seg(in, i, -2) < 0)
			goto oom;
	for (unsigned int k = 0; k < o->n_maps; k++) {
		struct np_offline_map *m = &o->maps[k];
		int found = -1;

		if (m->input != ii || (m->sel != SEL_IFACE_INDEX && m->sel != SEL_IFACE_NAME))
			continue;
		for (unsigned int i = 0; i < n && found < 0; i++)
			if ((m->sel == SEL_IFACE_INDEX && m->sel_index == i) ||
			    (m->sel == SEL_IFACE_NAME &&
			     (strcmp(ci->ifaces[i].name, m->sel_name) == 0 ||
			      strcmp(ci->ifaces[i].descr, m->sel_name) == 0)))
				found = (int)i;
		if (found < 0) {
			snprintf(err, errlen, "%s has no interface %s%s%s (it has: %s)", in->name,
				 m->sel == SEL_IFACE_NAME ? "'" : "",
				 m->sel == SEL_IFACE_NAME ? m->sel_name : "",
				 m->sel == SEL_IFACE_NAME ? "'" : "", list);
			if (m->sel == SEL_IFACE_INDEX)
				snprintf(err, errlen, "%s has no interface %u (it has: %s)",
					 in->name, m->sel_index, list);
			return -1;
		}
		if (in->iface_seg[found] != -2) {
			snprintf(err, errlen, "%s: interface %d is selected twice (%s)", in->name,
				 found, m->arg);
			return -1;
		}
		m->segment = np_off_seg_get(o, m->seg_name, !m->named);
		if (m->segment < 0)
			goto full;
		in->iface_seg[found] = m->segment;
		snprintf(in->seg_label[m->segment], sizeof(in->seg_label[0]), "interface %.36s",
			 np_off_iface_label(&ci->ifaces[found], (unsigned int)found, lbl,
					    sizeof(lbl)));
	}
	for (unsigned int i = 0; i < n; i++)
		left += in->iface_seg[i] == -2;
	if (in->default_map < 0) {
		for (unsigned int i = 0; i < n; i++)
			if (in->iface_seg[i] == -2)
				in->iface_seg[i] = -1; /* only selected parts are read */
		return 0;
	}
	if (left <= 1 || !in->auto_named) {
		struct np_offline_map *d = &o->maps[in->default_map];

		if (left > 1) {
			snprintf(err, errlen,
				 "%s holds %u interfaces (%s): give each its segment "
				 "(%s=%s#%u ...), or leave out %s= to name the segments after the "
				 "interfaces",
				 in->name, n, list, d->seg_name, in->path, 0, d->seg_name);
			return -1;
		}
		d->segment = np_off_seg_get(o, d->seg_name, !d->named);
		if (d->segment < 0)
			goto full;
		for (unsigned int i = 0; i < n; i++)
			if (in->iface_seg[i] == -2)
				in->iface_seg[i] = d->segment;
		return 0;
	}
	/* Several interfaces, no SEG=: one segment each, named after it. */
	{
		char names[64][NP_NAME_MAX + 1];
		bool apart = true;

		np_off_file_stem(in->path, stem, sizeof(stem));
		for (unsigned int i = 0; i < n && i < 64; i++) {
			np_off_iface_seg_name(&ci->ifaces[i], names[i], sizeof(names[i]));
			if (names[i][0] == '\0')
				apart = false;
			for (unsigned int j = 0; j < i && apart; j++)
				if (in->iface_seg[j] == -2 && strcmp(names[i], names[j]) == 0)
					apart = false;
		}
		if (n > 64)
			apart = false;
		if (!apart)
			snprintf(in->ambiguous, sizeof(in->ambiguous),
				 "%s: its interfaces cannot be told apart (%s): read as segments "
				 "%.20s-if0, %.20s-if1, ...; name them: SEG=%s#0 SEG=%s#1 ...",
				 in->name, list, stem, stem, in->path, in->path);
		for (unsigned int i = 0; i < n; i++) {
			char sn[NP_NAME_MAX + 1];
			int s;

			if (in->iface_seg[i] != -2)
				continue;
			if (apart)
				snprintf(sn, sizeof(sn), "%s", names[i]);
			else
				snprintf(sn, sizeof(sn), "%.20s-if%u", stem, i % 100000);
			s = np_off_seg_get(o, sn, true);
			if (s < 0)
				goto full;
			in->iface_seg[i] = s;
			snprintf(in->seg_label[s], sizeof(in->seg_label[0]), "interface %.36s",
				 np_off_iface_label(&ci->ifaces[i], i, lbl, sizeof(lbl)));
		}
		o->maps[in->default_map].segment = in->iface_seg[0];
	}
	return 0;
full:
	snprintf(err, errlen, "%s: more than %d segments", in->name, NP_OFFLINE_MAX_SEGMENTS);
	return -1;
oom:
	snprintf(err, errlen, "%s: out of memory", in->name);
	return -1;
}

/*
 * Not a capture: the first message input (np_offline_sources[]) that takes
 * it, each given the stream from its first byte. A stream that cannot be
 * started again (a pipe) is offered to the first source only. Sets in->src
 * and in->msg, or leaves msg NULL with a reason in @p err.
 */
static void open_message_input(struct np_offline_input *in, struct np_instream *st, uint8_t segment,
			       char *err, size_t errlen)
{
	for (unsigned int k = 0; np_offline_sources[k] != NULL; k++) {
		const struct np_offline_source *src = np_offline_sources[k];
		bool not_mine = false;
		FILE *f;

		if (k > 0 && (!np_instream_seekable(st) || np_instream_rewind(st, err, errlen) < 0))
			return;
		f = np_instream_file(st, 1u << 16);
		if (f == NULL) {
			snprintf(err, errlen, "%s: out of memory", in->name);
			return;
		}
		in->msg = src->open(f, in->name, segment, &not_mine, err, errlen);
		fclose(f);
		if (in->msg != NULL || !not_mine) {
			in->src = src;
			return;
		}
	}
}

static int open_input(struct np_offline *o, unsigned int ii, char *err, size_t errlen)
{
	struct np_offline_input *in = &o->inputs[ii];
	struct np_instream *st = np_instream_open(in->path, err, errlen);
	struct np_offline_map *d = in->default_map >= 0 ? &o->maps[in->default_map] : NULL;

	if (st == NULL)
		return -1;
	if (np_instream_format(st) == NP_IN_OTHER) {
		int s;

		if (in->has_sel || d == NULL) {
			snprintf(err, errlen,
				 "%s: not a pcap or pcapng capture, so it has no "
				 "interfaces or tunnels to select (#)",
				 in->name);
			np_instream_close(st);
			return -1;
		}
		s = d->segment = np_off_seg_get(o, d->seg_name, !d->named);
		if (s < 0) {
			snprintf(err, errlen, "%s: too many segments", in->name);
			np_instream_close(st);
			return -1;
		}
		open_message_input(in, st, (uint8_t)s, err, errlen);
		np_instream_close(st);
		return in->msg == NULL ? -1 : 0;
	}
	in->cap = np_capture_add(&o->cap, in->name, st, err, errlen);
	if (in->cap < 0)
		return -1;
	if (o->cap.in[in->cap]->fmt == NP_IN_PCAPNG && o->cap.in[in->cap]->n_ifaces == 0) {
		snprintf(err, errlen, "%s",
			 o->cap.in[in->cap]->error[0]
				 ? o->cap.in[in->cap]->error
				 : "no interface described before the first packet");
		return -1;
	}
	if (map_ifaces(o, ii, err, errlen) < 0)
		return -1;
	/* tunnel selectors: their segments exist from the start */
	for (unsigned int k = 0; k < o->n_maps; k++) {
		struct np_offline_map *m = &o->maps[k];

		if (m->input == ii && m->sel == SEL_TUNNEL) {
			m->segment = np_off_seg_get(o, m->seg_name, !m->named);
			if (m->segment < 0) {
				snprintf(err, errlen, "%s: more than %d segments", in->name,
					 NP_OFFLINE_MAX_SEGMENTS);
				return -1;
			}
		}
	}
	return 0;
}

/* Segments that several files feed (known once every input is open). */
static void mark_multi(struct np_offline *o)
{
	int first[NP_OFFLINE_MAX_SEGMENTS];

	for (unsigned int s = 0; s < NP_OFFLINE_MAX_SEGMENTS; s++)
		first[s] = -1;
	for (unsigned int i = 0; i < o->n_inputs; i++) {
		const struct np_offline_input *in = &o->inputs[i];
		bool mine[NP_OFFLINE_MAX_SEGMENTS] = { false };

		for (unsigned int k = 0; k < in->n_iface_seg; k++)
			if (in->iface_seg[k] >= 0)
				mine[in->iface_seg[k]] = true;
		for (unsigned int k = 0; k < o->n_maps; k++)
			if (o->maps[k].input == i && o->maps[k].segment >= 0)
				mine[o->maps[k].segment] = true;
		for (unsigned int s = 0; s < NP_OFFLINE_MAX_SEGMENTS; s++) {
			if (!mine[s])
				continue;
			if (first[s] < 0)
				first[s] = (int)i;
			else
				o->seg[s].multi = true;
		}
	}
}

int np_offline_open(struct np_offline *o, const struct np_det_inspect_sink *sink, char *err,
		    size_t errlen)
{
	void **msgs = NULL;
	struct np_det_inspect_conf ic;
	char dberr[256];

	o->sink = *sink;
	if (o->seg == NULL) {
		snprintf(err, errlen, "no input");
		return -1;
	}
	if (check_defaults(o, err, errlen) < 0)
		return -1;
	raise_fd_limit(o->n_inputs);
	msgs = calloc(o->n_inputs ? o->n_inputs : 1, sizeof(*msgs));
	o->inner = malloc(NP_CAPTURE_SNAP + 64);
	if (msgs == NULL || o->inner == NULL) {
		free(msgs);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (unsigned int i = 0; i < o->n_inputs; i++) {
		if (open_input(o, i, err, errlen) < 0) {
			if (errno == EMFILE)
				snprintf(err + strlen(err), errlen - strlen(err),
					 " (%u inputs: raise ulimit -n)", o->n_inputs);
			free(msgs);
			return -1;
		}
	}
	mark_multi(o);
	o->cap_input = calloc(o->cap.n ? o->cap.n : 1, sizeof(*o->cap_input));
	if (o->cap_input == NULL) {
		free(msgs);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (unsigned int i = 0; i < o->n_inputs; i++)
		if (o->inputs[i].cap >= 0)
			o->cap_input[o->inputs[i].cap] = i;
	o->db = np_sip_db_create_set(NP_SIP_HDRS_INSPECT, dberr, sizeof(dberr));
	if (o->db == NULL) {
		snprintf(err, errlen, "SIP matcher: %s", dberr);
		free(msgs);
		return -1;
	}
	/* each kind of message input, with all its instances */
	for (unsigned int k = 0; np_offline_sources[k] != NULL; k++) {
		const struct np_offline_source *src = np_offline_sources[k];
		unsigned int n = 0;

		for (unsigned int i = 0; i < o->n_inputs; i++)
			if (o->inputs[i].msg != NULL && o->inputs[i].src == src)
				msgs[n++] = o->inputs[i].msg;
		if (n > 0 && src->prepare != NULL &&
		    src->prepare(msgs, n, &o->conf, err, errlen) < 0) {
			free(msgs);
			return -1;
		}
	}
	free(msgs);
	memset(&ic, 0, sizeof(ic));
	ic.flow.size = o->conf.datapath.flow_table_size;
	ic.flow.reasm_buffers = o->conf.datapath.tcp_reasm_buffers;
	ic.flow.n_sip_ports = o->conf.sip.n_ports;
	memcpy(ic.flow.sip_ports, o->conf.sip.ports, sizeof(uint16_t) * o->conf.sip.n_ports);
	ic.frag_datagrams = 1024;
	ic.sip_db = o->db;
	ic.xlat = o->xlat;
	ic.hist = o->hist;
	/* HEP's messages come without their packets: connections learned from them */
	ic.msg_conns = o->conf.hep.port != 0 ? NP_OFFLINE_HEP_CONNS : 0;
	o->ins = np_det_inspect_create(&ic, sink);
	if (o->ins == NULL) {
		snprintf(err, errlen, "cannot create the inspector: %s", strerror(errno));
		return -1;
	}
	if (o->conf.hep.port != 0) {
		o->hep_tcp =
			np_hep_tcp_create(NP_OFFLINE_HEP_STREAMS, np_offline_hep_tcp_packet, o);
		if (o->hep_tcp == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}
