/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Expressway diagnostic log -> entries. Three passes over the file: the fold
 * width (how continued lines were wrapped), the entries (a timestamped line
 * and its continuations, parsed into fields), then the summaries (dropped
 * when the log holds the dump of the same message, else turned into a
 * message), and a stable sort by time.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "explog_internal.h"
#include "np_time.h"

#define XL_HIST_MAX 4096 /* longest line length considered a fold width */
#define XL_MAX_ATTRS 40

/* ---- time -------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned int m, unsigned int d)
{
	int64_t era;
	unsigned int yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned int)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool num(const char *s, size_t n, unsigned int *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!xl_digit(s[i]))
			return false;
		*v = *v * 10 + (unsigned int)(s[i] - '0');
	}
	return true;
}

/* "YYYY-MM-DD?HH:MM:SS" at @p s (19 bytes), @p sep the allowed separators. */
static bool date_time(const char *s, size_t len, const char *sep, uint64_t *ns)
{
	unsigned int y, mo, d, h, mi, se;
	static const unsigned int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (len < 19 || s[4] != '-' || s[7] != '-' || strchr(sep, s[10]) == NULL || s[13] != ':' ||
	    s[16] != ':')
		return false;
	if (!num(s, 4, &y) || !num(s + 5, 2, &mo) || !num(s + 8, 2, &d) || !num(s + 11, 2, &h) ||
	    !num(s + 14, 2, &mi) || !num(s + 17, 2, &se))
		return false;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
	    se > 60)
		return false;
	*ns = ((uint64_t)days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se) * NP_NS_PER_S;
	return true;
}

/* A fraction of a second: @p s points after the separator. @return digits used. */
static size_t fraction(const char *s, size_t len, uint64_t *ns)
{
	uint64_t f = 0, scale = NP_NS_PER_S;
	size_t i = 0;

	while (i < len && xl_digit(s[i])) {
		if (i < 9) {
			scale /= 10;
			f += (uint64_t)(s[i] - '0') * scale;
		}
		i++;
	}
	*ns += f;
	return i;
}

int np_explog_utctime(const char *s, size_t len, uint64_t *ns)
{
	uint64_t t;
	size_t i = 19;

	if (s == NULL || ns == NULL || !date_time(s, len, " T", &t))
		return -EINVAL;
	if (i < len && (s[i] == ',' || s[i] == '.')) {
		size_t d = fraction(s + i + 1, len - i - 1, &t);

		if (d == 0)
			return -EINVAL;
		i += 1 + d;
	}
	if (i != len)
		return -EINVAL;
	*ns = t;
	return 0;
}

/*
 * A syslog timestamp at the start of a line, followed by a space: ISO 8601
 * ("2016-04-19T17:09:13+10:00", fraction and zone optional) or BSD
 * ("Apr 19 17:09:13"). @return its length (0 when none); @p zoned tells
 * whether @p ns is UTC (the stamp had a zone).
 */
static size_t syslog_ts(const char *s, size_t len, uint64_t *ns, bool *zoned)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	uint64_t t;
	size_t i = 19;

	*zoned = false;
	*ns = 0;
	if (date_time(s, len, "T", &t)) {
		if (i < len && (s[i] == '.' || s[i] == ','))
			i += 1 + fraction(s + i + 1, len - i - 1, &t);
		if (i < len && s[i] == 'Z') {
			*zoned = true;
			i++;
		} else if (i + 5 <= len && (s[i] == '+' || s[i] == '-')) {
			unsigned int oh, om;
			size_t k = s[i + 3] == ':' ? 4 : 3;
			int64_t off;

			if (i + k + 2 > len || !num(s + i + 1, 2, &oh) || !num(s + i + k, 2, &om) ||
			    oh > 23 || om > 59)
				return 0;
			off = (int64_t)(oh * 3600 + om * 60) * (int64_t)NP_NS_PER_S;
			t = s[i] == '+' ? t - (uint64_t)off : t + (uint64_t)off;
			*zoned = true;
			i += k + 2;
		}
		if (i >= len || s[i] != ' ')
			return 0;
		*ns = t;
		return i;
	}
	if (len >= 16 && s[3] == ' ' && (s[4] == ' ' || xl_digit(s[4])) && xl_digit(s[5]) &&
	    s[6] == ' ' && xl_digit(s[7]) && xl_digit(s[8]) && s[9] == ':' && xl_digit(s[10]) &&
	    xl_digit(s[11]) && s[12] == ':' && xl_digit(s[13]) && xl_digit(s[14]) && s[15] == ' ') {
		for (size_t m = 0; m < 12; m++)
			if (memcmp(s, months + 3 * m, 3) == 0)
				return 15;
	}
	return 0;
}

/* ---- attributes --------------------------------------------------------- */

struct attr {
	const char *name;
	size_t nlen;
	const char *val;
	size_t vlen;
};

struct attrs {
	struct attr a[XL_MAX_ATTRS];
	unsigned int n;
	const char *sipmsg; /* just after "SIPMSG:", or NULL */
};

static bool name_char(char c)
{
	return xl_alpha(c) || xl_digit(c) || c == '-' || c == '_' || c == '.';
}

/* Name="value" pairs from @p s up to "SIPMSG:" or the end. */
static void attrs_parse(const char *s, size_t len, struct attrs *at)
{
	size_t i = 0;

	at->n = 0;
	at->sipmsg = NULL;
	while (i < len) {
		size_t n0, n1;

		while (i < len && (xl_ws(s[i]) || s[i] == ':' || s[i] == ','))
			i++;
		n0 = i;
		while (i < len && name_char(s[i]))
			i++;
		n1 = i;
		if (n1 > n0 && i < len && s[i] == ':' && xl_ieq(s + n0, n1 - n0, "sipmsg")) {
			at->sipmsg = s + i + 1;
			return;
		}
		if (n1 == n0 || i >= len || s[i] != '=') {
			while (i < len && !xl_ws(s[i]))
				i++;
			continue;
		}
		i++;
		if (at->n < XL_MAX_ATTRS) {
			at->a[at->n].name = s + n0;
			at->a[at->n].nlen = n1 - n0;
		}
		if (i < len && s[i] == '"') {
			size_t v0 = ++i;

			while (i < len && s[i] != '"')
				i++;
			if (at->n < XL_MAX_ATTRS) {
				at->a[at->n].val = s + v0;
				at->a[at->n].vlen = i - v0;
			}
			if (i < len)
				i++;
		} else {
			size_t v0 = i;

			while (i < len && !xl_ws(s[i]))
				i++;
			if (at->n < XL_MAX_ATTRS) {
				at->a[at->n].val = s + v0;
				at->a[at->n].vlen = i - v0;
			}
		}
		if (at->n < XL_MAX_ATTRS)
			at->n++;
	}
}

static const struct attr *attr_get(const struct attrs *at, const char *name)
{
	for (unsigned int i = 0; i < at->n; i++)
		if (xl_ieq(at->a[i].name, at->a[i].nlen, name))
			return &at->a[i];
	return NULL;
}

static bool attr_is(const struct attrs *at, const char *name, const char *val)
{
	const struct attr *a = attr_get(at, name);

	return a != NULL && xl_ieq(a->val, a->vlen, val);
}

static bool parse_addr(const char *s, size_t n, struct np_addr *a)
{
	char buf[64];
	struct in_addr v4;

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, &v4) == 1) {
		np_addr_from_v4(a, v4.s_addr);
		return true;
	}
	return inet_pton(AF_INET6, buf, a->b) == 1;
}

static bool parse_port(const char *s, size_t n, uint16_t *p)
{
	unsigned int v;

	if (n == 0 || n > 5 || !num(s, n, &v) || v == 0 || v > 65535)
		return false;
	*p = (uint16_t)v;
	return true;
}

/* Address and port attributes "<pfx>-ip" and "<pfx>-port". */
static bool endpoint(const struct attrs *at, const char *pfx, struct np_addr *a, uint16_t *port)
{
	char n_ip[16], n_port[16];
	const struct attr *ip, *pt;

	snprintf(n_ip, sizeof(n_ip), "%s-ip", pfx);
	snprintf(n_port, sizeof(n_port), "%s-port", pfx);
	ip = attr_get(at, n_ip);
	pt = attr_get(at, n_port);
	return ip != NULL && pt != NULL && parse_addr(ip->val, ip->vlen, a) &&
	       parse_port(pt->val, pt->vlen, port);
}

/* ---- the parse state ------------------------------------------------------ */

struct parser {
	struct np_explog *log;
	struct np_explog_stats *st;
	char *ent; /* the current entry, lines joined */
	size_t ent_len, ent_cap;
	uint32_t ent_line;  /* its first line */
	uint32_t ent_lines; /* physical lines in it */
	bool ent_open;
	bool ent_too_long;
	uint8_t ent_sip;     /* enum dump_state */
	size_t ent_bar;	     /* offset of the dump's opening '|' */
	uint32_t ent_quotes; /* '"' before the dump: odd means a value is still open */
	uint64_t ent_ts;     /* syslog stamp (UTC when ent_zoned) */
	bool ent_zoned;
	size_t ent_prefix; /* length of the stamp */
	int err;
};

/* Room for @p n more bytes in the text area. */
static int text_reserve(struct np_explog *log, size_t n)
{
	size_t cap;
	char *t;

	if (log->text_len + n > UINT32_MAX)
		return -ENOMEM;
	if (log->text_len + n <= log->cap_text)
		return 0;
	cap = log->cap_text ? log->cap_text : 65536;
	while (cap < log->text_len + n)
		cap *= 2;
	t = realloc(log->text, cap);
	if (t == NULL)
		return -ENOMEM;
	log->text = t;
	log->cap_text = cap;
	return 0;
}

static int text_append(struct np_explog *log, const char *s, size_t n, uint32_t *off)
{
	int rc = text_reserve(log, n);

	if (rc < 0)
		return rc;
	if (n > 0)
		memcpy(log->text + log->text_len, s, n);
	*off = (uint32_t)log->text_len;
	log->text_len += n;
	return 0;
}

static struct np_explog_entry *entry_new(struct parser *p)
{
	struct np_explog *log = p->log;

	if (log->n == log->cap_e) {
		size_t cap = log->cap_e ? log->cap_e * 2 : 256;
		struct np_explog_entry *e = realloc(log->e, cap * sizeof(*e));

		if (e == NULL) {
			p->err = -ENOMEM;
			return NULL;
		}
		log->e = e;
		log->cap_e = cap;
	}
	memset(&log->e[log->n], 0, sizeof(log->e[0]));
	return &log->e[log->n];
}

/* The message fields of @p e, from its text's start line and headers. */
static void set_msg_info(struct np_explog_entry *e, const struct np_explog_msg_info *mi)
{
	e->is_request = mi->is_request;
	e->status = mi->status;
	e->proto = mi->proto;
	e->cseq = mi->cseq;
	e->key = mi->key;
	e->canon_hash = mi->canon_hash;
}

/* Rebuild the dump into the text area and fill the message fields of @p e. */
static bool sip_from_dump(struct parser *p, struct np_explog_entry *e, const char *dump, size_t n)
{
	struct np_explog *log = p->log;
	struct np_explog_msg_info mi;
	size_t need = np_explog_rebuild(dump, n, NULL, 0);
	uint32_t off;
	int rc;

	if (need > NP_EXPLOG_MAX_ENTRY * 2)
		return false;
	rc = text_reserve(log, need);
	if (rc < 0) {
		p->err = rc;
		return false;
	}
	off = (uint32_t)log->text_len;
	np_explog_rebuild(dump, n, log->text + off, need);
	if (np_explog_msg_info(log->text + off, need, &mi) < 0)
		return false; /* not a SIP message: the text stays, unused */
	log->text_len += need;
	e->text_off = off;
	e->text_len = (uint32_t)need;
	set_msg_info(e, &mi);
	return true;
}

enum entry_result {
	ENT_IGNORED,
	ENT_USED,
	ENT_GARBLED
};

/* A network.sip line with an Action. */
static enum entry_result sip_entry(struct parser *p, const struct attrs *at, uint64_t ts,
				   const char *end)
{
	struct np_explog_entry *e;
	struct np_addr local, peer;
	uint16_t lport, pport;
	bool received;
	const struct attr *d = attr_get(at, "Detail");

	if (attr_is(at, "Action", "Received"))
		received = true;
	else if (attr_is(at, "Action", "Sent"))
		received = false;
	else
		return ENT_IGNORED;
	if (at->sipmsg == NULL && d == NULL)
		return ENT_IGNORED;
	if (at->sipmsg == NULL && !(d->vlen >= 4 && xl_ieq(d->val, 4, "send")) &&
	    !(d->vlen >= 6 && xl_ieq(d->val, 6, "receiv")))
		return ENT_IGNORED;
	if (!endpoint(at, "Local", &local, &lport))
		return ENT_GARBLED;
	if (!endpoint(at, received ? "Src" : "Dst", &peer, &pport) &&
	    !endpoint(at, received ? "Dst" : "Src", &peer, &pport))
		return ENT_GARBLED;
	e = entry_new(p);
	if (e == NULL)
		return ENT_GARBLED;
	e->ts_ns = ts;
	e->line = p->ent_line;
	e->kind = NP_EXPLOG_SIP;
	e->action = received ? NP_EXPLOG_RECEIVED : NP_EXPLOG_SENT;
	e->src = received ? peer : local;
	e->sport = received ? pport : lport;
	e->dst = received ? local : peer;
	e->dport = received ? lport : pport;
	e->proto = 6;
	if (at->sipmsg != NULL) {
		const char *a = memchr(at->sipmsg, '|', (size_t)(end - at->sipmsg));
		const char *b = end;

		if (a == NULL)
			return ENT_GARBLED;
		a++;
		while (b > a && b[-1] != '|')
			b--;
		if (b > a)
			b--; /* the closing '|' */
		else
			b = end; /* no closing bar: a cut log; take the rest */
		if (!sip_from_dump(p, e, a, (size_t)(b - a)))
			return ENT_GARBLED;
		p->st->sip_dumps++;
	} else {
		/* Kept as the Detail text for now; made a message after the whole log is read. */
		if (text_append(p->log, d->val, d->vlen, &e->text_off) < 0) {
			p->err = -ENOMEM;
			return ENT_GARBLED;
		}
		e->text_len = (uint32_t)d->vlen;
		e->from_summary = true;
	}
	p->log->n++;
	return ENT_USED;
}

static enum entry_result tcp_entry(struct parser *p, const struct attrs *at, uint64_t ts)
{
	static const struct {
		const char *detail;
		uint8_t ev;
	} evs[] = {
		{ "TCP Connecting", NP_EXPLOG_TCP_CONNECTING },
		{ "TCP Connected", NP_EXPLOG_TCP_CONNECTED },
		{ "TCP Connection Failed", NP_EXPLOG_TCP_FAILED },
		{ "TCP Connection Closed", NP_EXPLOG_TCP_CLOSED },
	};
	const struct attr *d = attr_get(at, "Detail");
	struct np_explog_entry *e;
	uint8_t ev = 0;

	if (d == NULL)
		return ENT_IGNORED;
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (xl_ieq(d->val, d->vlen, evs[i].detail))
			ev = evs[i].ev;
	if (ev == 0)
		return ENT_IGNORED;
	e = entry_new(p);
	if (e == NULL)
		return ENT_GARBLED;
	if (!endpoint(at, "Src", &e->src, &e->sport) || !endpoint(at, "Dst", &e->dst, &e->dport))
		return ENT_GARBLED;
	e->ts_ns = ts;
	e->line = p->ent_line;
	e->kind = NP_EXPLOG_TCP;
	e->tcp = ev;
	e->proto = 6;
	p->log->n++;
	p->st->tcp++;
	return ENT_USED;
}

/* The program tag: "tvcs:" (or "tvcs[pid]:") within the first words after the stamp. */
static const char *tvcs_tag(const char *s, size_t len)
{
	size_t i = 0;

	for (unsigned int w = 0; w < 3 && i < len; w++) {
		size_t w0;

		while (i < len && s[i] == ' ')
			i++;
		w0 = i;
		while (i < len && s[i] != ' ')
			i++;
		if (i - w0 >= 5 && memcmp(s + w0, "tvcs", 4) == 0 &&
		    (s[w0 + 4] == ':' || s[w0 + 4] == '[') && s[i - 1] == ':')
			return s + i;
	}
	return NULL;
}

static void entry_finish(struct parser *p)
{
	const char *s = p->ent, *end = p->ent + p->ent_len, *body;
	enum entry_result r = ENT_IGNORED;
	struct attrs at;
	const struct attr *u, *mod;
	uint64_t ts = 0;

	if (!p->ent_open)
		return;
	p->ent_open = false;
	p->st->entries++;
	if (p->ent_too_long) {
		p->st->garbled += p->ent_lines;
		return;
	}
	body = tvcs_tag(s + p->ent_prefix, p->ent_len - p->ent_prefix);
	if (body == NULL) {
		p->st->ignored++; /* another program's line */
		return;
	}
	attrs_parse(body, (size_t)(end - body), &at);
	u = attr_get(&at, "UTCTime");
	if (u != NULL && np_explog_utctime(u->val, u->vlen, &ts) == 0)
		;
	else if (u == NULL && p->ent_zoned)
		ts = p->ent_ts;
	else {
		p->st->garbled += p->ent_lines;
		return;
	}
	p->st->tvcs++;
	mod = attr_get(&at, "Module");
	if (mod != NULL && xl_ieq(mod->val, mod->vlen, "network.sip"))
		r = sip_entry(p, &at, ts, end);
	else if (mod != NULL && xl_ieq(mod->val, mod->vlen, "network.tcp"))
		r = tcp_entry(p, &at, ts);
	if (r == ENT_GARBLED)
		p->st->garbled += p->ent_lines;
	else if (r == ENT_IGNORED)
		p->st->ignored++;
}

static int ent_reserve(struct parser *p, size_t more)
{
	if (p->ent_len + more <= p->ent_cap)
		return 0;
	if (p->ent_len + more > NP_EXPLOG_MAX_ENTRY + 2) {
		p->ent_too_long = true;
		return -1;
	}
	{
		size_t cap = p->ent_cap ? p->ent_cap : 4096;
		char *n;

		while (cap < p->ent_len + more)
			cap *= 2;
		n = realloc(p->ent, cap);
		if (n == NULL) {
			p->err = -ENOMEM;
			return -1;
		}
		p->ent = n;
		p->ent_cap = cap;
	}
	return 0;
}

static bool has_control(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return true;
	}
	return false;
}

/* Where an entry stands with its SIPMSG dump. */
enum dump_state {
	DUMP_NONE = 0, /* no "SIPMSG:" (yet) */
	DUMP_LABEL,    /* "SIPMSG:" seen, no '|' yet */
	DUMP_OPEN,     /* inside the dump: continuation lines are message lines */
	DUMP_CLOSED,   /* the entry ends with the closing '|' */
};

/* Update the dump state and quote count for the bytes appended from @p from. */
static void dump_track(struct parser *p, size_t from)
{
	size_t i = from;
	size_t e = p->ent_len;

	if (p->ent_sip == DUMP_NONE) {
		/* From a little before @p from: the label may straddle the join. */
		for (i = from > 6 ? from - 6 : 0; i < e; i++) {
			if (p->ent_quotes % 2 == 0 && i + 7 <= e &&
			    memcmp(p->ent + i, "SIPMSG:", 7) == 0) {
				p->ent_sip = DUMP_LABEL;
				i += 7;
				break;
			}
			if (i >= from && p->ent[i] == '"')
				p->ent_quotes++;
		}
	}
	if (p->ent_sip == DUMP_LABEL) {
		const char *bar = memchr(p->ent + i, '|', e - i);

		if (bar == NULL)
			return;
		p->ent_bar = (size_t)(bar - p->ent);
		p->ent_sip = DUMP_OPEN;
	}
	if (p->ent_sip >= DUMP_OPEN) {
		while (e > p->ent_bar + 1 && xl_ws(p->ent[e - 1]))
			e--;
		p->ent_sip = (e > p->ent_bar + 1 && p->ent[e - 1] == '|') ? DUMP_CLOSED : DUMP_OPEN;
	}
}

/* Does a line that continues nothing in particular look like more of an entry? */
static bool looks_continued(const char *s, size_t n)
{
	return memchr(s, '=', n) != NULL || (n >= 7 && memcmp(s, "SIPMSG:", 7) == 0);
}

/* ---- summaries ------------------------------------------------------------- */

struct summary {
	bool is_request;
	const char *code, *method, *cseq, *call_id, *to, *from, *from_tag, *to_tag, *ruri;
	size_t code_n, method_n, cseq_n, call_id_n, to_n, from_n, from_tag_n, to_tag_n, ruri_n;
};

/* "Sending Response Code=408, Method=SERVICE, CSeq=4616, Call-ID=..., ..." */
static bool summary_parse(const char *s, size_t n, struct summary *sm)
{
	size_t i = 0;

	memset(sm, 0, sizeof(*sm));
	while (i < n && s[i] != '=') {
		if (i + 7 <= n && xl_ieq(s + i, 7, "request"))
			sm->is_request = true;
		i++;
	}
	/* Back to the start of the first name. */
	while (i > 0 && name_char(s[i - 1]))
		i--;
	while (i < n) {
		size_t n0 = i, n1, v0, v1;

		while (i < n && name_char(s[i]))
			i++;
		n1 = i;
		if (i >= n || s[i] != '=' || n1 == n0)
			return false;
		v0 = ++i;
		/* The value runs to ", Name=" or the end. */
		for (v1 = i; v1 < n; v1++) {
			size_t k;

			if (s[v1] != ',' || v1 + 1 >= n || s[v1 + 1] != ' ')
				continue;
			k = v1 + 2;
			while (k < n && name_char(s[k]))
				k++;
			if (k > v1 + 2 && k < n && s[k] == '=')
				break;
		}
		i = v1 < n ? v1 + 2 : n;
#define XL_FIELD(key, f)                    \
	if (xl_ieq(s + n0, n1 - n0, key)) { \
		sm->f = s + v0;             \
		sm->f##_n = v1 - v0;        \
	}
		XL_FIELD("Code", code)
		XL_FIELD("Method", method)
		XL_FIELD("CSeq", cseq)
		XL_FIELD("Call-ID", call_id)
		XL_FIELD("To", to)
		XL_FIELD("From", from)
		XL_FIELD("From-Tag", from_tag)
		XL_FIELD("To-Tag", to_tag)
		XL_FIELD("Request-URI", ruri)
#undef XL_FIELD
	}
	return sm->call_id_n > 0 && sm->cseq_n > 0 && sm->method_n > 0 &&
	       (sm->is_request || (sm->code_n == 3 && xl_digit(sm->code[0]) &&
				   xl_digit(sm->code[1]) && xl_digit(sm->code[2])));
}

static const char *reason_phrase(unsigned int code)
{
	static const struct {
		uint16_t code;
		const char *text;
	} r[] = {
		{ 100, "Trying" },
		{ 180, "Ringing" },
		{ 183, "Session Progress" },
		{ 200, "OK" },
		{ 202, "Accepted" },
		{ 401, "Unauthorized" },
		{ 403, "Forbidden" },
		{ 404, "Not Found" },
		{ 407, "Proxy Authentication Required" },
		{ 408, "Request Timeout" },
		{ 480, "Temporarily Unavailable" },
		{ 481, "Call/Transaction Does Not Exist" },
		{ 486, "Busy Here" },
		{ 487, "Request Terminated" },
		{ 488, "Not Acceptable Here" },
		{ 500, "Server Internal Error" },
		{ 502, "Bad Gateway" },
		{ 503, "Service Unavailable" },
		{ 504, "Server Time-out" },
		{ 603, "Decline" },
	};

	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if (r[i].code == code)
			return r[i].text;
	return "Unknown";
}

static uint64_t dup_key(uint64_t txn, bool is_request, uint16_t status, const struct np_addr *src,
			uint16_t sport, const struct np_addr *dst, uint16_t dport)
{
	uint64_t h = xl_fnv(XL_FNV0, &txn, sizeof(txn));

	h = xl_fnv(h, &is_request, sizeof(is_request));
	h = xl_fnv(h, &status, sizeof(status));
	h = xl_fnv(h, src, sizeof(*src));
	h = xl_fnv(h, &sport, sizeof(sport));
	h = xl_fnv(h, dst, sizeof(*dst));
	return xl_fnv(h, &dport, sizeof(dport)) | 1;
}

struct dump_index {
	uint64_t *key;
	uint32_t *idx;
	size_t mask;
};

static void index_add(struct dump_index *x, uint64_t key, uint32_t idx)
{
	size_t i = key & x->mask;

	while (x->key[i] != 0)
		i = (i + 1) & x->mask;
	x->key[i] = key;
	x->idx[i] = idx;
}

/* The closest indexed entry with @p key within @p window of @p ts (before it when @p before). */
static int64_t index_find(const struct dump_index *x, const struct np_explog *log, uint64_t key,
			  uint64_t ts, uint64_t window, bool before)
{
	size_t i = key & x->mask;
	int64_t best = -1;
	uint64_t best_d = UINT64_MAX;

	for (; x->key[i] != 0; i = (i + 1) & x->mask) {
		const struct np_explog_entry *e;
		uint64_t d;

		if (x->key[i] != key)
			continue;
		e = &log->e[x->idx[i]];
		if (before && e->ts_ns > ts)
			continue;
		d = e->ts_ns > ts ? e->ts_ns - ts : ts - e->ts_ns;
		if (d <= window && d < best_d) {
			best = x->idx[i];
			best_d = d;
		}
	}
	return best;
}

static uint64_t entry_txn(const struct np_explog *log, const struct np_explog_entry *e)
{
	const char *msg = np_explog_text(log, e);
	const char *cid, *cs, *m;
	size_t cid_n, cs_n, m_n = 0, k = 0;
	uint32_t cseq = 0;

	cid = xl_header(msg, e->text_len, "call-id", "i", 0, &cid_n);
	cs = xl_header(msg, e->text_len, "cseq", NULL, 0, &cs_n);
	if (cid == NULL || cs == NULL)
		return 0;
	while (k < cs_n && xl_digit(cs[k]))
		cseq = cseq * 10 + (uint32_t)(cs[k++] - '0');
	while (k < cs_n && (cs[k] == ' ' || cs[k] == '\t'))
		k++;
	m = cs + k;
	while (k + m_n < cs_n && !xl_ws(m[m_n]))
		m_n++;
	return xl_txn_hash(cid, cid_n, cseq, m, m_n);
}

static void put_header(struct xl_out *o, const char *name, const char *v, size_t n)
{
	xl_put(o, name, strlen(name));
	xl_put(o, ": ", 2);
	xl_put(o, v, n);
	xl_put(o, "\r\n", 2);
}

/* Copy every header @p name of @p req into @p o. */
static void copy_headers(struct xl_out *o, const char *req, size_t len, const char *name,
			 const char *compact)
{
	const char *v;
	size_t n;

	for (unsigned int k = 0; (v = xl_header(req, len, name, compact, k, &n)) != NULL; k++)
		put_header(o, name, v, n);
}

/* Write the message a summary stands for. */
static size_t summary_message(const struct summary *sm, const char *req, size_t req_len, char *out,
			      size_t cap)
{
	struct xl_out o = { out, cap, 0 };
	char line[64];
	unsigned int code = 0;

	if (sm->is_request) {
		const char *ru = sm->ruri_n ? sm->ruri : sm->to_n ? sm->to : "sip:unknown.invalid";
		size_t ru_n = sm->ruri_n ? sm->ruri_n : sm->to_n ? sm->to_n : 19;

		xl_put(&o, sm->method, sm->method_n);
		xl_putc(&o, ' ');
		xl_put(&o, ru, ru_n);
		xl_put(&o, " SIP/2.0\r\n", 10);
	} else {
		code = (unsigned int)((sm->code[0] - '0') * 100 + (sm->code[1] - '0') * 10 +
				      (sm->code[2] - '0'));
		snprintf(line, sizeof(line), "SIP/2.0 %u %s\r\n", code, reason_phrase(code));
		xl_put(&o, line, strlen(line));
	}
	if (req != NULL)
		copy_headers(&o, req, req_len, "Via", "v");
	put_header(&o, "Call-ID", sm->call_id, sm->call_id_n);
	xl_put(&o, "CSeq: ", 6);
	xl_put(&o, sm->cseq, sm->cseq_n);
	xl_putc(&o, ' ');
	xl_put(&o, sm->method, sm->method_n);
	xl_put(&o, "\r\n", 2);
	if (req != NULL && xl_header(req, req_len, "from", "f", 0, &(size_t){ 0 }) != NULL) {
		copy_headers(&o, req, req_len, "From", "f");
	} else {
		xl_put(&o, "From: <", 7);
		if (sm->from_n)
			xl_put(&o, sm->from, sm->from_n);
		else
			xl_put(&o, "sip:unknown.invalid", 19);
		xl_putc(&o, '>');
		if (sm->from_tag_n) {
			xl_put(&o, ";tag=", 5);
			xl_put(&o, sm->from_tag, sm->from_tag_n);
		}
		xl_put(&o, "\r\n", 2);
	}
	{
		const char *to = NULL;
		size_t to_n = 0;

		if (req != NULL)
			to = xl_header(req, req_len, "to", "t", 0, &to_n);
		xl_put(&o, "To: ", 4);
		if (to != NULL) {
			xl_put(&o, to, to_n);
		} else {
			xl_putc(&o, '<');
			if (sm->to_n)
				xl_put(&o, sm->to, sm->to_n);
			else
				xl_put(&o, "sip:unknown.invalid", 19);
			xl_putc(&o, '>');
		}
		if (sm->to_tag_n && (to == NULL || memmem(to, to_n, ";tag=", 5) == NULL)) {
			xl_put(&o, ";tag=", 5);
			xl_put(&o, sm->to_tag, sm->to_tag_n);
		}
		xl_put(&o, "\r\n", 2);
	}
	xl_put(&o, "Content-Length: 0\r\n\r\n", 21);
	return o.n;
}

static uint32_t summary_cseq(const struct summary *sm)
{
	uint32_t v = 0;

	for (size_t i = 0; i < sm->cseq_n && xl_digit(sm->cseq[i]) && i < 9; i++)
		v = v * 10 + (uint32_t)(sm->cseq[i] - '0');
	return v;
}

/* Drop the summaries whose dump is present; turn the others into messages. */
static int summaries_resolve(struct np_explog *log)
{
	struct dump_index x = { NULL, NULL, 0 };
	size_t n_dump = 0, slots = 16, w = 0;
	uint64_t *txn;
	bool *keep;
	int rc = 0;

	txn = calloc(log->n ? log->n : 1, sizeof(*txn));
	keep = calloc(log->n ? log->n : 1, sizeof(*keep));
	if (txn == NULL || keep == NULL) {
		free(txn);
		free(keep);
		return -ENOMEM;
	}
	for (size_t i = 0; i < log->n; i++)
		if (log->e[i].kind == NP_EXPLOG_SIP && !log->e[i].from_summary) {
			txn[i] = entry_txn(log, &log->e[i]);
			n_dump++;
		}
	while (slots < n_dump * 2 + 2)
		slots *= 2;
	x.key = calloc(slots, sizeof(*x.key));
	x.idx = calloc(slots, sizeof(*x.idx));
	x.mask = slots - 1;
	if (x.key == NULL || x.idx == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < log->n; i++) {
		const struct np_explog_entry *e = &log->e[i];

		if (e->kind == NP_EXPLOG_SIP && !e->from_summary && txn[i] != 0)
			index_add(&x,
				  dup_key(txn[i], e->is_request, e->status, &e->src, e->sport,
					  &e->dst, e->dport),
				  (uint32_t)i);
	}
	for (size_t i = 0; i < log->n; i++) {
		struct np_explog_entry *e = &log->e[i];
		struct np_explog_msg_info mi;
		struct summary sm;
		const char *detail, *req = NULL;
		size_t req_len = 0, need;
		uint64_t t, k;
		uint16_t status = 0;
		uint32_t off;
		int64_t j;
		char *tmp;

		if (e->kind != NP_EXPLOG_SIP || !e->from_summary) {
			keep[i] = true;
			continue;
		}
		detail = np_explog_text(log, e);
		if (!summary_parse(detail, e->text_len, &sm)) {
			log->st.ignored++;
			continue;
		}
		if (!sm.is_request)
			status = (uint16_t)((sm.code[0] - '0') * 100 + (sm.code[1] - '0') * 10 +
					    (sm.code[2] - '0'));
		if (!sm.is_request && (status < 100 || status > 699)) {
			log->st.ignored++;
			continue;
		}
		t = xl_txn_hash(sm.call_id, sm.call_id_n, summary_cseq(&sm), sm.method,
				sm.method_n);
		k = dup_key(t, sm.is_request, status, &e->src, e->sport, &e->dst, e->dport);
		j = index_find(&x, log, k, e->ts_ns, NP_EXPLOG_SUMMARY_WINDOW_NS, false);
		if (j >= 0) {
			log->st.summaries_dup++;
			continue;
		}
		if (!sm.is_request) {
			/* Its request: the other way, within a transaction's life (64 x T1). */
			k = dup_key(t, true, 0, &e->dst, e->dport, &e->src, e->sport);
			j = index_find(&x, log, k, e->ts_ns, 32ull * NP_NS_PER_S, true);
			if (j >= 0) {
				req = np_explog_text(log, &log->e[j]);
				req_len = log->e[j].text_len;
			}
		}
		/* The summary's text lies in log->text, which may move: work on a copy. */
		need = summary_message(&sm, req, req_len, NULL, 0);
		tmp = malloc(need + e->text_len + req_len + 1);
		if (tmp == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		memcpy(tmp + need, detail, e->text_len);
		if (req != NULL)
			memcpy(tmp + need + e->text_len, req, req_len);
		summary_parse(tmp + need, e->text_len, &sm);
		summary_message(&sm, req ? tmp + need + e->text_len : NULL, req_len, tmp, need);
		rc = text_append(log, tmp, need, &off);
		free(tmp);
		if (rc < 0)
			goto out;
		e->text_off = off;
		e->text_len = (uint32_t)need;
		if (np_explog_msg_info(np_explog_text(log, e), need, &mi) < 0) {
			log->st.garbled++; /* a method or URI that makes no start line */
			continue;
		}
		set_msg_info(e, &mi);
		log->st.sip_summaries++;
		keep[i] = true;
	}
	for (size_t i = 0; i < log->n; i++)
		if (keep[i])
			log->e[w++] = log->e[i];
	log->n = w;
out:
	free(x.key);
	free(x.idx);
	free(txn);
	free(keep);
	return rc;
}

/* ---- the log ----------------------------------------------------------------- */

static int by_time(const void *a, const void *b)
{
	const struct np_explog_entry *x = a, *y = b;

	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Lines continued by the next one mostly of one length: the file was folded at it. */
static size_t fold_width(const char *buf, size_t len)
{
	uint32_t *hist = calloc(XL_HIST_MAX + 1, sizeof(*hist));
	size_t pos = 0, prev_len = 0, best = 0;
	uint64_t total = 0, best_n = 0;
	bool have_prev = false;

	if (hist == NULL)
		return 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t e = nl ? (size_t)(nl - buf) : len, l = e - pos;
		uint64_t ns;
		bool z;

		if (l > 0 && buf[e - 1] == '\r')
			l--;
		if (have_prev && syslog_ts(buf + pos, l, &ns, &z) == 0 && prev_len <= XL_HIST_MAX) {
			hist[prev_len]++;
			total++;
		}
		prev_len = l;
		have_prev = true;
		pos = e + 1;
	}
	for (size_t w = 20; w <= XL_HIST_MAX; w++)
		if (hist[w] > best_n) {
			best = w;
			best_n = hist[w];
		}
	if (total < 3 || (uint64_t)best_n * 2 < total)
		best = 0;
	free(hist);
	return best;
}

int np_explog_parse(const char *buf, size_t len, struct np_explog *log)
{
	struct parser p;
	size_t pos = 0, fold, prev_len = 0;
	uint32_t lineno = 0;
	char prev_last = '\0';

	if (log == NULL || (buf == NULL && len > 0))
		return -EINVAL;
	memset(log, 0, sizeof(*log));
	memset(&p, 0, sizeof(p));
	p.log = log;
	p.st = &log->st;
	fold = fold_width(buf, len);
	while (pos < len && p.err == 0) {
		const char *s = buf + pos, *nl = memchr(s, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - s) : len - pos;
		size_t next = pos + l + 1;
		uint64_t ts;
		bool zoned;
		size_t pre;

		if (l > 0 && s[l - 1] == '\r')
			l--;
		lineno++;
		log->st.lines++;
		pos = next;
		pre = syslog_ts(s, l, &ts, &zoned);
		if (pre > 0) {
			entry_finish(&p);
			p.ent_len = 0;
			p.ent_too_long = false;
			p.ent_sip = DUMP_NONE;
			p.ent_quotes = 0;
			p.ent_open = true;
			p.ent_line = lineno;
			p.ent_lines = 1;
			p.ent_ts = ts;
			p.ent_zoned = zoned;
			p.ent_prefix = pre;
			if (has_control(s, l)) {
				p.ent_too_long = true; /* garbled as a whole */
			} else if (ent_reserve(&p, l) == 0) {
				memcpy(p.ent, s, l);
				p.ent_len = l;
				dump_track(&p, 0);
			}
		} else {
			const char *sep;
			size_t from = p.ent_len;

			if (!p.ent_open || has_control(s, l))
				sep = NULL;
			else if (fold > 0 && prev_len == fold)
				sep = ""; /* folded at a fixed width */
			else if (p.ent_sip == DUMP_LABEL || p.ent_sip == DUMP_OPEN)
				sep = "\n"; /* a line of the message (or a wrap in it) */
			else if (fold == 0 && prev_last == '-')
				sep = ""; /* a word wrapped after its hyphen */
			else if (p.ent_sip == DUMP_NONE &&
				 (p.ent_quotes % 2 == 1 || looks_continued(s, l)))
				sep = " "; /* word-wrapped */
			else
				sep = NULL;
			if (sep == NULL) {
				log->st.garbled++;
				prev_len = 0;
				prev_last = '\0';
				continue;
			}
			p.ent_lines++;
			if (!p.ent_too_long && ent_reserve(&p, l + 1) == 0) {
				size_t k = strlen(sep);

				memcpy(p.ent + p.ent_len, sep, k);
				memcpy(p.ent + p.ent_len + k, s, l);
				p.ent_len += k + l;
				dump_track(&p, from + k);
			}
		}
		prev_len = l;
		prev_last = l > 0 ? s[l - 1] : '\0';
	}
	if (p.err == 0)
		entry_finish(&p);
	free(p.ent);
	if (p.err == 0)
		p.err = summaries_resolve(log);
	if (p.err != 0)
		return p.err;
	if (log->n > 1)
		qsort(log->e, log->n, sizeof(log->e[0]), by_time);
	return 0;
}

void np_explog_free(struct np_explog *log)
{
	if (log == NULL)
		return;
	free(log->e);
	free(log->text);
	memset(log, 0, sizeof(*log));
}

bool np_explog_is_log(const struct np_explog *log)
{
	return log != NULL && log->st.tvcs > 0;
}
