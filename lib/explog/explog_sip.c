/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP messages out of log text: rebuilding a dump whose line ends were lost,
 * and the few fields (start line, Call-ID, CSeq, top Via) that identify a
 * message across two boxes' logs.
 */

#include <errno.h>
#include <string.h>

#include "explog_internal.h"

/*
 * Header names a flattened dump is split at. Lower case, sorted only for
 * reading. Names starting "x-" or "p-" are accepted without being listed.
 */
static const char *const known_headers[] = {
	"accept",
	"accept-contact",
	"accept-encoding",
	"accept-language",
	"alert-info",
	"allow",
	"allow-events",
	"answer-mode",
	"authentication-info",
	"authorization",
	"call-id",
	"call-info",
	"contact",
	"content-disposition",
	"content-encoding",
	"content-id",
	"content-language",
	"content-length",
	"content-type",
	"cseq",
	"date",
	"diversion",
	"error-info",
	"event",
	"expires",
	"feature-caps",
	"flow-timer",
	"from",
	"geolocation",
	"history-info",
	"identity",
	"identity-info",
	"in-reply-to",
	"info-package",
	"join",
	"max-breadth",
	"max-forwards",
	"mime-version",
	"min-expires",
	"min-se",
	"organization",
	"path",
	"priority",
	"privacy",
	"proxy-authenticate",
	"proxy-authorization",
	"proxy-require",
	"rack",
	"reason",
	"record-route",
	"recv-info",
	"refer-sub",
	"refer-to",
	"referred-by",
	"reject-contact",
	"remote-party-id",
	"replaces",
	"reply-to",
	"request-disposition",
	"require",
	"resource-priority",
	"retry-after",
	"route",
	"rseq",
	"security-client",
	"security-server",
	"security-verify",
	"server",
	"service-route",
	"session-expires",
	"session-id",
	"sip-etag",
	"sip-if-match",
	"subject",
	"subscription-state",
	"supported",
	"target-dialog",
	"timestamp",
	"to",
	"unsupported",
	"user-agent",
	"via",
	"warning",
	"www-authenticate",
};

bool xl_known_header(const char *name, size_t n)
{
	if (n >= 3 && name[1] == '-' && (xl_lower(name[0]) == 'x' || xl_lower(name[0]) == 'p'))
		return true;
	for (size_t i = 0; i < sizeof(known_headers) / sizeof(known_headers[0]); i++)
		if (xl_ieq(name, n, known_headers[i]))
			return true;
	return false;
}

static bool tok_char(char c)
{
	return xl_alpha(c) || xl_digit(c) || c == '-' || c == '_' || c == '.' || c == '!' ||
	       c == '%' || c == '*' || c == '+' || c == '`' || c == '\'' || c == '~';
}

#define XL_NAME_MAX 64

/*
 * Does a header line start at @p i? It must follow white space (not a '-'
 * wrapped onto the next line), be a name, ':' and white space or the end.
 * After a line break any name will do; after a space only a known one. A
 * name wrapped after one of its hyphens ("Record-" / "Route:") is one name.
 * @return the bytes up to the ':' (0 when not a header start); the name,
 *         unwrapped, in @p name (XL_NAME_MAX bytes).
 */
static size_t header_at(const char *s, size_t len, size_t i, char *name, size_t *nlen)
{
	size_t j = i;
	char before;

	*nlen = 0;
	if (i == 0)
		return 0;
	before = s[i - 1];
	if (!xl_ws(before))
		return 0;
	if (before == '\n' && i >= 2 && s[i - 2] == '-')
		return 0;
	if (!xl_alpha(s[i]))
		return 0;
	while (j < len) {
		if (tok_char(s[j])) {
			if (*nlen == XL_NAME_MAX)
				return 0;
			name[(*nlen)++] = s[j++];
		} else if (s[j] == '\n' && before == '\n' && s[j - 1] == '-' && j + 1 < len &&
			   tok_char(s[j + 1])) {
			j++;
		} else {
			break;
		}
	}
	if (j >= len || s[j] != ':')
		return 0;
	if (j + 1 < len && !xl_ws(s[j + 1]))
		return 0;
	if (before == '\n' || xl_known_header(name, *nlen))
		return j - i;
	return 0;
}

/* Write one piece (start line or header): trimmed, inner line breaks unwrapped, then CRLF. */
static void put_piece(struct xl_out *o, const char *s, size_t a, size_t b)
{
	char last = '\0';

	while (a < b && xl_ws(s[a]))
		a++;
	while (b > a && xl_ws(s[b - 1]))
		b--;
	if (a == b)
		return;
	for (size_t i = a; i < b; i++) {
		char c = s[i];

		if (c == '\r')
			continue;
		if (c == '\n') {
			if (last == '-')
				continue; /* a word wrapped after its hyphen */
			c = ' ';
		}
		xl_putc(o, c);
		last = c;
	}
	xl_put(o, "\r\n", 2);
}

static bool sdp_field(char c)
{
	return c != '\0' && strchr("vosiuepcbtrzkam", c) != NULL;
}

/* The body: line breaks become CRLF; a flattened SDP body is split at its fields. */
static void put_body(struct xl_out *o, const char *s, size_t a, size_t b)
{
	bool lines = memchr(s + a, '\n', b - a) != NULL;

	if (a >= b)
		return;
	if (lines) {
		for (size_t i = a; i < b; i++) {
			if (s[i] == '\r')
				continue;
			if (s[i] == '\n')
				xl_put(o, "\r\n", 2);
			else
				xl_putc(o, s[i]);
		}
		xl_put(o, "\r\n", 2);
		return;
	}
	if (b - a >= 3 && memcmp(s + a, "v=0", 3) == 0) {
		for (size_t i = a; i < b; i++) {
			if (s[i] == ' ' && i + 2 < b && sdp_field(s[i + 1]) && s[i + 2] == '=') {
				xl_put(o, "\r\n", 2);
				continue;
			}
			xl_putc(o, s[i]);
		}
		xl_put(o, "\r\n", 2);
		return;
	}
	xl_put(o, s + a, b - a);
}

/* After "Content-Length:" at @p i: where the body starts, or 0 when headers go on. */
static size_t body_after_length(const char *s, size_t len, size_t i, size_t *digits_end)
{
	char name[XL_NAME_MAX];
	size_t nlen, j = i;

	while (j < len && s[j] != ':')
		j++;
	j++;

	while (j < len && (s[j] == ' ' || s[j] == '\t'))
		j++;
	if (j >= len || !xl_digit(s[j]))
		return 0;
	while (j < len && xl_digit(s[j]))
		j++;
	*digits_end = j;
	while (j < len && xl_ws(s[j]))
		j++;
	if (j >= len || header_at(s, len, j, name, &nlen) > 0)
		return 0;
	return j;
}

size_t np_explog_rebuild(const char *s, size_t len, char *out, size_t cap)
{
	struct xl_out o = { out, out ? cap : 0, 0 };
	size_t piece, i, body = 0, body_end;

	if (s == NULL)
		return 0;
	while (len > 0 && xl_ws(s[len - 1]))
		len--;
	body_end = len;
	i = 0;
	while (i < len && xl_ws(s[i]))
		i++;
	piece = i;
	for (; i < len; i++) {
		char name[XL_NAME_MAX];
		size_t nl, nlen;

		if (s[i] == '\n' && i > piece) {
			/* A blank line: end of the header section. */
			size_t j = i + 1;

			while (j < len && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r'))
				j++;
			if (j < len && s[j] == '\n') {
				put_piece(&o, s, piece, i);
				piece = len;
				body = j + 1;
				break;
			}
		}
		if (i == piece)
			continue;
		nl = header_at(s, len, i, name, &nlen);
		if (nl == 0)
			continue;
		put_piece(&o, s, piece, i);
		piece = i;
		if (xl_ieq(name, nlen, "content-length")) {
			size_t dend = 0, b = body_after_length(s, len, i, &dend);

			if (b > 0) {
				put_piece(&o, s, i, dend);
				piece = len;
				body = b;
				break;
			}
		}
		i += nl;
	}
	if (piece < len)
		put_piece(&o, s, piece, len);
	xl_put(&o, "\r\n", 2);
	if (body > 0)
		put_body(&o, s, body, body_end);
	return o.n;
}

/* ---- reading a rebuilt message ----------------------------------------- */

/* The next line of @p msg from @p *pos; false at the end of the header section. */
static bool next_line(const char *msg, size_t len, size_t *pos, size_t *a, size_t *b)
{
	size_t p = *pos, e;

	if (p >= len)
		return false;
	e = p;
	while (e < len && msg[e] != '\n')
		e++;
	*a = p;
	*b = (e > p && msg[e - 1] == '\r') ? e - 1 : e;
	*pos = e < len ? e + 1 : len;
	return *b > *a;
}

const char *xl_header(const char *msg, size_t len, const char *name, const char *compact,
		      unsigned int nth, size_t *vlen)
{
	size_t pos = 0, a, b;
	bool first = true;

	while (next_line(msg, len, &pos, &a, &b)) {
		size_t c = a, v;

		if (first) {
			first = false;
			continue; /* the start line */
		}
		while (c < b && msg[c] != ':')
			c++;
		if (c >= b)
			continue;
		v = c;
		while (v > a && (msg[v - 1] == ' ' || msg[v - 1] == '\t'))
			v--;
		if (!xl_ieq(msg + a, v - a, name) &&
		    (compact == NULL || !xl_ieq(msg + a, v - a, compact)))
			continue;
		if (nth-- > 0)
			continue;
		c++;
		while (c < b && (msg[c] == ' ' || msg[c] == '\t'))
			c++;
		while (b > c && (msg[b - 1] == ' ' || msg[b - 1] == '\t'))
			b--;
		*vlen = b - c;
		return msg + c;
	}
	*vlen = 0;
	return NULL;
}

uint64_t xl_txn_hash(const char *call_id, size_t cid_len, uint32_t cseq, const char *method,
		     size_t mlen)
{
	uint64_t h = xl_fnv(XL_FNV0, call_id, cid_len);

	h = xl_fnv(xl_fnv(h, "\x1f", 1), &cseq, sizeof(cseq));
	return xl_fnv(xl_fnv(h, "\x1f", 1), method, mlen);
}

/* Parse "4616 SERVICE": number and method. */
static bool cseq_parse(const char *v, size_t n, uint32_t *num, const char **m, size_t *mlen)
{
	size_t i = 0;
	uint64_t x = 0;

	if (v == NULL || n == 0 || !xl_digit(v[0]))
		return false;
	while (i < n && xl_digit(v[i])) {
		x = x * 10 + (uint64_t)(v[i] - '0');
		if (x > UINT32_MAX)
			return false;
		i++;
	}
	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	*num = (uint32_t)x;
	*m = v + i;
	*mlen = 0;
	while (i + *mlen < n && !xl_ws(v[i + *mlen]))
		(*mlen)++;
	return true;
}

int np_explog_msg_info(const char *msg, size_t len, struct np_explog_msg_info *mi)
{
	size_t pos = 0, a = 0, b = 0, n, mlen = 0;
	const char *v, *m = "";
	uint64_t key = XL_FNV0;
	int rc = 0;

	memset(mi, 0, sizeof(*mi));
	mi->proto = 6;
	mi->canon_hash = XL_FNV0;
	for (size_t i = 0; i < len; i++)
		if (!xl_ws(msg[i]))
			mi->canon_hash = xl_fnv(mi->canon_hash, msg + i, 1);
	if (!next_line(msg, len, &pos, &a, &b)) {
		rc = -EINVAL;
	} else if (b - a >= 12 && memcmp(msg + a, "SIP/2.0 ", 8) == 0 && xl_digit(msg[a + 8]) &&
		   xl_digit(msg[a + 9]) && xl_digit(msg[a + 10]) &&
		   (b - a == 11 || msg[a + 11] == ' ')) {
		mi->status = (uint16_t)((msg[a + 8] - '0') * 100 + (msg[a + 9] - '0') * 10 +
					(msg[a + 10] - '0'));
		if (mi->status < 100)
			rc = -EINVAL;
		key = xl_fnv(key, msg + a, 11);
	} else {
		/* METHOD SP Request-URI SP SIP/2.0 */
		size_t s1 = a, s2;

		while (s1 < b && tok_char(msg[s1]))
			s1++;
		s2 = b;
		while (s2 > s1 && msg[s2 - 1] != ' ')
			s2--;
		if (s1 == a || s1 >= b || msg[s1] != ' ' || s2 <= s1 + 1 || b - s2 != 7 ||
		    memcmp(msg + s2, "SIP/2.0", 7) != 0)
			rc = -EINVAL;
		else
			mi->is_request = true;
		key = xl_fnv(key, msg + a, s2 > a ? s2 - 1 - a : b - a);
	}
	key = xl_fnv(key, "\x1f", 1);
	v = xl_header(msg, len, "call-id", "i", 0, &n);
	key = xl_fnv(xl_fnv(key, v ? v : "", n), "\x1f", 1);
	v = xl_header(msg, len, "cseq", NULL, 0, &n);
	if (cseq_parse(v, n, &mi->cseq, &m, &mlen)) {
		key = xl_fnv(key, &mi->cseq, sizeof(mi->cseq));
		key = xl_fnv(key, m, mlen);
	}
	key = xl_fnv(key, "\x1f", 1);
	v = xl_header(msg, len, "via", "v", 0, &n);
	if (v != NULL) {
		size_t e = 0, t;

		while (e < n && v[e] != ',')
			e++;
		/* SIP/2.0/UDP host;...: the transport */
		t = 0;
		while (t < e && v[t] != '/')
			t++;
		if (t < e)
			t++;
		while (t < e && v[t] != '/')
			t++;
		if (t + 4 <= e && xl_ieq(v + t + 1, 3, "udp"))
			mi->proto = 17;
		for (size_t i = 0; i + 8 <= e; i++) {
			if (v[i] == ';' && xl_ieq(v + i + 1, 7, "branch=")) {
				size_t s = i + 8, q = s;

				while (q < e && v[q] != ';' && !xl_ws(v[q]))
					q++;
				key = xl_fnv(key, v + s, q - s);
				break;
			}
		}
	}
	mi->key = key ? key : 1;
	return rc;
}
