/* SPDX-License-Identifier: BSD-3-Clause */
/* URIs, name-addrs, parameters, Via values, host literals. */

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "sip_internal.h"

#define T1(c) [c] = 1
const uint8_t sip_token_tab[256] = {
	['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, T1('-'), T1('.'),
	T1('!'),	   T1('%'),	      T1('*'),		 T1('_'), T1('+'),
	T1('`'),	   T1('\''),	      T1('~'),
};
#undef T1

bool np_sip_view_eq_ci(struct np_sip_view v, const char *s)
{
	return s && sip_eq_ci(v.p, v.len, s, strlen(s));
}

int sip_parse_clen(const char *p, size_t len, uint32_t *out)
{
	size_t i = 0;
	uint64_t val = 0;
	bool digits = false;

	while (i < len && (sip_is_ws(p[i]) || p[i] == '\r' || p[i] == '\n'))
		i++;
	while (i < len && sip_is_digit(p[i])) {
		val = val * 10 + (uint64_t)(p[i] - '0');
		if (val > NP_SIP_MAX_BODY_LEN)
			return -1;
		digits = true;
		i++;
	}
	while (i < len && (sip_is_ws(p[i]) || p[i] == '\r' || p[i] == '\n'))
		i++;
	if (!digits || i != len)
		return -1;
	*out = (uint32_t)val;
	return 0;
}

/*
 * The last IPv4 text this thread parsed and the answer: a message names its
 * sender's address in the Via, the Contact and the SDP c= alike, and
 * equal bytes give the same answer.
 */
static _Thread_local struct {
	char text[16];
	uint8_t len;
	bool ok;
	struct np_addr a;
} v4_last;

/* [p, p+len) equals [q, q+len), w <= len <= 2w: its first and last w bytes compared. */
static inline bool ends_equal(const char *p, const char *q, size_t len, size_t w)
{
	uint64_t x0 = 0, x1 = 0, y0 = 0, y1 = 0;

	memcpy(&x0, p, w);
	memcpy(&x1, p + len - w, w);
	memcpy(&y0, q, w);
	memcpy(&y1, q + len - w, w);
	return x0 == y0 && x1 == y1;
}

/* [p, p+len) (7..15 bytes) equals v4_last's text: two overlapping word compares. */
static inline bool v4_same(const char *p, size_t len)
{
	if (len != v4_last.len)
		return false;
	return len >= 8 ? ends_equal(p, v4_last.text, len, 8) : ends_equal(p, v4_last.text, len, 4);
}

static bool parse_ipv4(const char *p, size_t len, struct np_addr *a);

bool sip_parse_ipv4(const char *p, size_t len, struct np_addr *a)
{
	if (len < 7 || len > 15)
		return false;
	if (!v4_same(p, len)) {
		memcpy(v4_last.text, p, len);
		v4_last.len = (uint8_t)len;
		v4_last.ok = parse_ipv4(p, len, &v4_last.a);
	}
	if (v4_last.ok)
		*a = v4_last.a;
	return v4_last.ok;
}

static bool parse_ipv4(const char *p, size_t len, struct np_addr *a)
{
	const unsigned char *s = (const unsigned char *)p, *e = s + len;
	uint32_t ip = 0;

	/* four parts of 1..3 digits, each <= 255, joined by '.', nothing else */
	for (unsigned int part = 0;; part++) {
		unsigned int d = (unsigned int)*s - '0', val;

		if (d > 9)
			return false;
		val = d;
		if (++s < e && (d = (unsigned int)*s - '0') <= 9) {
			val = val * 10 + d;
			if (++s < e && (d = (unsigned int)*s - '0') <= 9) {
				val = val * 10 + d;
				s++;
			}
		}
		if (val > 255)
			return false;
		ip = ip << 8 | val;
		if (part == 3)
			break;
		if (s >= e || *s != '.' || ++s >= e)
			return false;
	}
	if (s != e)
		return false;
	memset(a->b, 0, 10);
	a->b[10] = 0xff;
	a->b[11] = 0xff;
	a->b[12] = (uint8_t)(ip >> 24);
	a->b[13] = (uint8_t)(ip >> 16);
	a->b[14] = (uint8_t)(ip >> 8);
	a->b[15] = (uint8_t)ip;
	return true;
}

bool sip_parse_ipv6(const char *p, size_t len, struct np_addr *a)
{
	char tmp[INET6_ADDRSTRLEN];

	if (len < 2 || len >= sizeof(tmp) || memchr(p, '\0', len))
		return false;
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	return inet_pton(AF_INET6, tmp, a->b) == 1;
}

int np_sip_host_parse(struct np_sip_view v, struct np_addr *a)
{
	v = sip_trim(v);
	if (!v.len)
		return NP_SIP_HOST_NONE;
	if (v.p[0] == '[') {
		if (v.len > 2 && v.p[v.len - 1] == ']' && sip_parse_ipv6(v.p + 1, v.len - 2, a))
			return NP_SIP_HOST_IPV6;
		return NP_SIP_HOST_NAME;
	}
	if (sip_parse_ipv4(v.p, v.len, a))
		return NP_SIP_HOST_IPV4;
	if (memchr(v.p, ':', v.len) && sip_parse_ipv6(v.p, v.len, a))
		return NP_SIP_HOST_IPV6;
	return NP_SIP_HOST_NAME;
}

/* 1..5 digits, <= 65535. */
static bool parse_port(const char *p, size_t len, uint16_t *port)
{
	uint32_t v = 0;

	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!sip_is_digit(p[i]))
			return false;
		v = v * 10 + (uint32_t)(p[i] - '0');
	}
	if (v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

bool sip_param_next(const char **pp, const char *end, struct np_sip_view *name,
		    struct np_sip_view *val, bool *has_val)
{
	const char *p = *pp, *n0, *n1, *v0 = NULL, *v1 = NULL;
	bool quote = false;

	if (!p || p >= end)
		return false;
	/* the previous parameter left p on the next ';' (a list starts with one) */
	if (*p != ';') {
		p = memchr(p, ';', (size_t)(end - p));
		if (!p)
			return false;
	}
	p++;
	p = sip_skip_ws(p, end);
	n0 = p;
	p = sip_find4(p, end, end, '=', ';', ' ', '\t');
	n1 = p;
	p = sip_skip_ws(p, end);
	if (p < end && *p == '=') {
		p++;
		p = sip_skip_ws(p, end);
		v0 = p;
		/* up to the next ';' or '"': no quote before it, nothing to skip */
		p = sip_find4(p, end, end, ';', '"', ';', '"');
		while (p < end && (quote || *p != ';')) {
			if (*p == '"')
				quote = !quote;
			else if (*p == '\\' && quote && p + 1 < end)
				p++;
			p++;
		}
		v1 = p;
		while (v1 > v0 && sip_is_ws(v1[-1]))
			v1--;
	}
	while (p < end && *p != ';')
		p++;
	*pp = p;
	*name = sip_view(n0, (size_t)(n1 - n0));
	*val = v0 ? sip_view(v0, (size_t)(v1 - v0)) : sip_view(n1, 0);
	*has_val = v0 != NULL;
	return true;
}

bool np_sip_param_find(struct np_sip_view params, const char *name, struct np_sip_view *val)
{
	const char *p = params.p, *end;
	struct np_sip_view n, v;
	size_t nlen;
	bool has_val;

	if (!p || !name)
		return false;
	end = p + params.len;
	nlen = strlen(name);
	while (sip_param_next(&p, end, &n, &v, &has_val)) {
		if (sip_eq_ci(n.p, n.len, name, nlen)) {
			if (val)
				*val = v;
			return true;
		}
	}
	return false;
}

bool np_sip_uri_param(const struct np_sip_uri *u, const char *name, struct np_sip_view *val)
{
	if (!u)
		return false;
	return np_sip_param_find(u->params, name, val) || np_sip_param_find(u->hparams, name, val);
}

/*
 * One step of a scan of @p v that skips quoted strings: true when v.p[*i]
 * opens, closes or lies inside a quoted string (a backslash escape inside one
 * takes the next byte too, advancing *i), and the caller should skip it.
 */
static inline bool in_quote(struct np_sip_view v, uint32_t *i, bool *quote)
{
	char c = v.p[*i];

	if (*quote) {
		if (c == '\\' && *i + 1 < v.len)
			(*i)++;
		else if (c == '"')
			*quote = false;
		return true;
	}
	if (c == '"')
		*quote = true;
	return *quote;
}

/* Index of the first '<' outside a quoted string, or -1. */
static long find_langle(struct np_sip_view v)
{
	const char *lt = memchr(v.p, '<', v.len);
	bool quote = false;

	/* no '<' at all, or none but the first with no quote before it: the common cases */
	if (lt == NULL)
		return -1;
	if (lt == v.p || memchr(v.p, '"', (size_t)(lt - v.p)) == NULL)
		return (long)(lt - v.p);
	for (uint32_t i = 0; i < v.len; i++)
		if (!in_quote(v, &i, &quote) && v.p[i] == '<')
			return (long)i;
	return -1;
}

static struct np_sip_view strip_quotes(struct np_sip_view v)
{
	v = sip_trim(v);
	if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"') {
		v.p++;
		v.len -= 2;
	}
	return v;
}

static struct np_sip_view from_semicolon(const char *p, const char *end)
{
	/* nothing after '>' or the port is the common case: no call for it */
	const char *s = p < end ? memchr(p, ';', (size_t)(end - p)) : NULL;

	return s ? sip_view(s, (size_t)(end - s)) : sip_view(NULL, 0);
}

int np_sip_uri_parse(struct np_sip_view v, struct np_sip_uri *u)
{
	const char *p, *end, *q, *hp, *hp_end, *at;
	long lt;

	if (!u)
		return -EINVAL;
	memset(u, 0, sizeof(*u));
	v = sip_trim(v);
	if (!v.p)
		return -EINVAL;
	lt = find_langle(v);
	if (lt >= 0) {
		const char *gt = memchr(v.p + lt + 1, '>', v.len - (size_t)lt - 1);

		u->angle = true;
		u->display = strip_quotes(sip_view(v.p, (size_t)lt));
		if (!gt) {
			u->uri = sip_view(v.p + lt + 1, v.len - (size_t)lt - 1);
			return -EINVAL;
		}
		u->uri = sip_view(v.p + lt + 1, (size_t)(gt - (v.p + lt + 1)));
		u->hparams = from_semicolon(gt + 1, v.p + v.len);
	} else {
		u->uri = v;
	}
	u->uri = sip_trim(u->uri);
	p = u->uri.p;
	end = p + u->uri.len;
	if (!p)
		return -EINVAL;

	/* scheme */
	q = p;
	while (q < end && (sip_is_token(*q) && *q != '%' && *q != '*'))
		q++;
	if (q == p || q >= end || *q != ':')
		return -EINVAL;
	u->scheme = sip_view(p, (size_t)(q - p));
	p = q + 1;

	/* headers (?...) end the part that matters */
	q = memchr(p, '?', (size_t)(end - p));
	if (q)
		end = q;

	if (!SIP_VIEW_EQ_LIT(u->scheme, "sip") && !SIP_VIEW_EQ_LIT(u->scheme, "sips")) {
		at = memchr(p, '@', (size_t)(end - p));
		if (!at) {
			/* tel:, urn:, ...: no host */
			q = memchr(p, ';', (size_t)(end - p));
			u->user = sip_view(p, (size_t)((q ? q : end) - p));
			u->params = from_semicolon(p, end);
			return 0;
		}
	} else {
		at = memchr(p, '@', (size_t)(end - p));
	}
	if (at) {
		q = memchr(p, ':', (size_t)(at - p)); /* user:password */
		u->user = sip_view(p, (size_t)((q ? q : at) - p));
		p = at + 1;
	}

	hp = p;
	if (hp < end && *hp == '[') {
		q = memchr(hp, ']', (size_t)(end - hp));
		if (!q)
			return -EINVAL;
		u->host = sip_view(hp + 1, (size_t)(q - hp - 1));
		if (!sip_parse_ipv6(u->host.p, u->host.len, &u->addr))
			return -EINVAL;
		u->host_type = NP_SIP_HOST_IPV6;
		hp_end = q + 1;
	} else {
		q = sip_find4(hp, end, end, ':', ';', ':', ';');
		u->host = sip_view(hp, (size_t)(q - hp));
		hp_end = q;
		if (!u->host.len)
			return -EINVAL;
		u->host_type = sip_parse_ipv4(u->host.p, u->host.len, &u->addr) ? NP_SIP_HOST_IPV4
										: NP_SIP_HOST_NAME;
	}
	if (hp_end < end && *hp_end == ':') {
		const char *ps = hp_end + 1;

		q = ps;
		while (q < end && *q != ';')
			q++;
		if (!parse_port(ps, (size_t)(q - ps), &u->port))
			return -EINVAL;
		hp_end = q;
	}
	if (hp_end < end && *hp_end != ';')
		return -EINVAL;
	u->params = from_semicolon(hp_end, end);
	return 0;
}

void sip_nameaddr_parse(struct np_sip_view v, struct np_sip_nameaddr *na)
{
	const char *end;
	struct np_sip_view params;
	long lt;

	memset(na, 0, sizeof(*na));
	v = sip_trim(v);
	na->raw = v;
	if (!v.p)
		return;
	end = v.p + v.len;
	lt = find_langle(v);
	if (lt >= 0) {
		const char *s = v.p + lt + 1;
		const char *gt = memchr(s, '>', (size_t)(end - s));

		na->uri = sip_view(s, (size_t)((gt ? gt : end) - s));
		params = gt ? from_semicolon(gt + 1, end) : sip_view(NULL, 0);
	} else {
		params = from_semicolon(v.p, end);
		na->uri = sip_view(v.p, params.p ? (size_t)(params.p - v.p) : v.len);
	}
	na->uri = sip_trim(na->uri);
	np_sip_param_find(params, "tag", &na->tag);
}

void sip_split_commas(struct np_sip_view v, sip_split_fn fn, void *arg)
{
	bool quote = false, angle = false;
	uint32_t start = 0;

	if (!v.p || !v.len)
		return;
	if (!memchr(v.p, ',', v.len)) { /* the common case: one value */
		v = sip_trim(v);
		if (v.len)
			fn(v, arg);
		return;
	}
	for (uint32_t i = 0; i <= v.len; i++) {
		struct np_sip_view piece;

		if (i < v.len) {
			char c = v.p[i];

			if (!angle && in_quote(v, &i, &quote))
				continue;
			if (angle) {
				if (c == '>')
					angle = false;
				continue;
			}
			if (c == '<') {
				angle = true;
				continue;
			}
			if (c != ',')
				continue;
		}
		piece = sip_trim(sip_view(v.p + start, i - start));
		if (piece.len)
			fn(piece, arg);
		start = i + 1;
	}
}

int sip_via_parse(struct np_sip_via *via, bool params, bool received_type)
{
	const char *p = via->raw.p, *end, *q;
	struct np_sip_view name, val;
	bool has_val;
	int slashes = 0;

	if (!p)
		return -1;
	end = p + via->raw.len;
	/* sent-protocol: name / version / transport, with optional LWS around '/' */
	if (via->raw.len > 8 && memcmp(p, "SIP/2.0/", 8) == 0) { /* as written nearly always */
		p += 8;
		slashes = 2;
	}
	while (p < end && slashes < 2) {
		if (*p == '/')
			slashes++;
		else if (!sip_is_token(*p) && !sip_is_ws(*p))
			return -1;
		p++;
	}
	if (slashes < 2)
		return -1;
	p = sip_skip_ws(p, end);
	q = p;
	while (q < end && sip_is_token(*q))
		q++;
	if (q == p)
		return -1;
	via->transport = sip_view(p, (size_t)(q - p));
	p = q;
	p = sip_skip_ws(p, end);
	if (p == q && p < end)
		return -1; /* transport must be followed by LWS */

	/* sent-by */
	if (p < end && *p == '[') {
		q = memchr(p, ']', (size_t)(end - p));
		if (!q)
			return -1;
		via->host = sip_view(p + 1, (size_t)(q - p - 1));
		if (sip_parse_ipv6(via->host.p, via->host.len, &via->addr))
			via->host_type = NP_SIP_HOST_IPV6;
		else
			return -1;
		p = q + 1;
	} else {
		q = sip_find4(p, end, end, ':', ';', ' ', '\t');
		if (q == p)
			return -1;
		via->host = sip_view(p, (size_t)(q - p));
		via->host_type = sip_parse_ipv4(p, (size_t)(q - p), &via->addr) ? NP_SIP_HOST_IPV4
										: NP_SIP_HOST_NAME;
		p = q;
	}
	p = sip_skip_ws(p, end);
	if (p < end && *p == ':') {
		p++;
		p = sip_skip_ws(p, end);
		q = p;
		while (q < end && sip_is_digit(*q))
			q++;
		if (!parse_port(p, (size_t)(q - p), &via->port)) {
			via->host_type = NP_SIP_HOST_NONE;
			return -1;
		}
		p = q;
	}
	via->params = from_semicolon(p, end);
	if (!params)
		return 0;
	/* one pass over the parameters: Vias carry several and this is per message */
	p = via->params.p;
	while (sip_param_next(&p, end, &name, &val, &has_val)) {
		if (SIP_EQ_LIT(name.p, name.len, "branch")) {
			if (!via->branch.p)
				via->branch = val;
		} else if (SIP_EQ_LIT(name.p, name.len, "received")) {
			if (!via->received.p) {
				via->received = val;
				if (received_type)
					via->received_type =
						(uint8_t)np_sip_host_parse(val,
									   &via->received_addr);
			}
		} else if (SIP_EQ_LIT(name.p, name.len, "rport")) {
			via->has_rport = true;
			if (!has_val || !parse_port(val.p, val.len, &via->rport))
				via->rport = 0;
		}
	}
	return 0;
}
