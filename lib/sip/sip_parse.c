/* SPDX-License-Identifier: BSD-3-Clause */
/* Detection, framing and the message parser. */

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "sip_internal.h"

static const char *const sip_err_names[NP_SIP_E_MAX] = {
	[NP_SIP_OK] = "ok",
	[NP_SIP_E_TRUNCATED] = "truncated",
	[NP_SIP_E_NO_CRLF] = "no_crlf",
	[NP_SIP_E_HEADER_TOO_LONG] = "header_too_long",
	[NP_SIP_E_BAD_CONTENT_LENGTH] = "bad_content_length",
	[NP_SIP_E_BAD_START_LINE] = "bad_start_line",
	[NP_SIP_E_TOO_MANY_HEADERS] = "too_many_headers",
	[NP_SIP_E_SCAN] = "scan_error",
};

static const char *const sip_method_names[NP_SIP_M_MAX] = {
	[NP_SIP_M_NONE] = "",
	[NP_SIP_M_OTHER] = "OTHER",
	[NP_SIP_M_INVITE] = "INVITE",
	[NP_SIP_M_ACK] = "ACK",
	[NP_SIP_M_BYE] = "BYE",
	[NP_SIP_M_CANCEL] = "CANCEL",
	[NP_SIP_M_REGISTER] = "REGISTER",
	[NP_SIP_M_OPTIONS] = "OPTIONS",
	[NP_SIP_M_PRACK] = "PRACK",
	[NP_SIP_M_SUBSCRIBE] = "SUBSCRIBE",
	[NP_SIP_M_NOTIFY] = "NOTIFY",
	[NP_SIP_M_PUBLISH] = "PUBLISH",
	[NP_SIP_M_INFO] = "INFO",
	[NP_SIP_M_REFER] = "REFER",
	[NP_SIP_M_MESSAGE] = "MESSAGE",
	[NP_SIP_M_UPDATE] = "UPDATE",
	[NP_SIP_M_SERVICE] = "SERVICE",
};

const char *np_sip_err_name(unsigned int err)
{
	return err < NP_SIP_E_MAX ? sip_err_names[err] : "unknown";
}

const char *np_sip_method_name(unsigned int m)
{
	return m < NP_SIP_M_MAX ? sip_method_names[m] : "OTHER";
}

int np_sip_method_from(const char *p, size_t len)
{
	if (!p || !len)
		return NP_SIP_M_NONE;
	for (unsigned int m = NP_SIP_M_INVITE; m < NP_SIP_M_MAX; m++) {
		const char *n = sip_method_names[m];

		if (n[0] == p[0] && strlen(n) == len && memcmp(n, p, len) == 0)
			return (int)m;
	}
	return NP_SIP_M_OTHER;
}

/* ---- detection ---------------------------------------------------------------------------- */

#define SIP_SIG_WINDOW 1024u

static bool status_line_sig(const char *s, size_t n)
{
	if (n < 12 || memcmp(s, "SIP/2.0 ", 8) != 0)
		return false;
	if (s[8] < '1' || s[8] > '6' || !sip_is_digit(s[9]) || !sip_is_digit(s[10]))
		return false;
	return s[11] == ' ' || s[11] == '\r' || s[11] == '\n';
}

static bool request_line_sig(const char *s, size_t n)
{
	size_t i = 0, u0;
	bool colon = false;

	while (i < n && ((s[i] >= 'A' && s[i] <= 'Z') || s[i] == '-'))
		i++;
	if (i < 2 || i > 32 || i >= n || s[i] != ' ')
		return false;
	u0 = ++i;
	while (i < n && (unsigned char)s[i] > ' ' && s[i] != 0x7f) {
		colon |= s[i] == ':';
		i++;
	}
	if (i == u0 || !colon || i >= n || s[i] != ' ')
		return false;
	i++;
	if (n - i < 7 || memcmp(s + i, "SIP/2.0", 7) != 0)
		return false;
	i += 7;
	return i == n || s[i] == '\r' || s[i] == '\n';
}

bool np_sip_looks_like_sip_slow(const uint8_t *buf, size_t len)
{
	const char *s = (const char *)buf;
	size_t i = 0, n;

	if (!buf)
		return false;
	while (i < len && (s[i] == '\r' || s[i] == '\n'))
		i++;
	s += i;
	n = len - i;
	if (n > SIP_SIG_WINDOW)
		n = SIP_SIG_WINDOW;
	if (n && s[0] == 'S' && status_line_sig(s, n))
		return true;
	return request_line_sig(s, n);
}

/* ---- header section ----------------------------------------------------------------------- */

/*
 * Offset just past the empty line ending the header section of [p, p+len), or 0
 * when none within NP_SIP_MAX_HDR_LEN bytes. *eol_len: bytes of that empty line.
 */
static size_t find_hdr_end(const char *p, size_t len, unsigned int *eol_len)
{
	size_t lim = len < NP_SIP_MAX_HDR_LEN ? len : NP_SIP_MAX_HDR_LEN;
	const char *s = p, *e = p + lim;

	while (s < e) {
		const char *nl = memchr(s, '\n', (size_t)(e - s));

		if (!nl)
			return 0;
		nl++;
		if (nl < e && nl[0] == '\n') {
			*eol_len = 1;
			return (size_t)(nl + 1 - p);
		}
		if (nl + 1 < e && nl[0] == '\r' && nl[1] == '\n') {
			*eol_len = 2;
			return (size_t)(nl + 2 - p);
		}
		s = nl;
	}
	return 0;
}

/*
 * find_hdr_end() that also records the offset of every LF before the empty
 * line's end in s->lf[] (up to SIP_MAX_LF; s->lf_capped past that): one pass
 * over the header section, from which the values find their line ends.
 */
static size_t find_hdr_end_lf(const char *p, size_t len, unsigned int *eol_len,
			      struct np_sip_scratch *s)
{
	size_t lim = len < NP_SIP_MAX_HDR_LEN ? len : NP_SIP_MAX_HDR_LEN;
	uint32_t n = 0;

	s->lf_capped = false;
	s->lf_i = 0;
	for (size_t i = 0; i < lim; i += 16) {
		uint32_t bits = 0;

#ifdef __SSE2__
		if (i + 16 <= lim)
			bits = (uint32_t)_mm_movemask_epi8(
				_mm_cmpeq_epi8(_mm_loadu_si128(
						       (const __m128i *)(const void *)(p + i)),
					       _mm_set1_epi8('\n')));
		else
#endif
			for (size_t k = 0; k < 16 && i + k < lim; k++)
				bits |= (uint32_t)(p[i + k] == '\n') << k;
		while (bits) {
			size_t nl = i + (size_t)__builtin_ctz(bits);

			bits &= bits - 1;
			if (n < SIP_MAX_LF)
				s->lf[n++] = (uint32_t)nl;
			else
				s->lf_capped = true;
			/* a header line starts with a letter: one test rules out the end */
			if (nl + 1 >= lim || (unsigned char)p[nl + 1] > '\r')
				continue;
			if (p[nl + 1] == '\n') {
				s->nlf = n;
				*eol_len = 1;
				return nl + 2;
			}
			if (nl + 2 < lim && p[nl + 1] == '\r' && p[nl + 2] == '\n') {
				s->nlf = n;
				*eol_len = 2;
				return nl + 3;
			}
		}
	}
	s->nlf = n;
	return 0;
}

/*
 * The first LF in [v, end), from the line ends find_hdr_end_lf() recorded
 * (relative to @p base); values come in order, so a cursor walks them.
 */
static inline const char *next_lf(struct np_sip_scratch *s, const char *base, const char *v,
				  const char *end)
{
	const uint32_t off = (uint32_t)(v - base), n = s->nlf;
	uint32_t i = s->lf_i;

	while (i < n && s->lf[i] < off)
		i++;
	s->lf_i = i;
	if (i < n) {
		const char *nl = base + s->lf[i];

		return nl < end ? nl : NULL;
	}
	if (!s->lf_capped || v >= end)
		return NULL;
	return memchr(v, '\n', (size_t)(end - v));
}

/* End of a header value starting at v: the LF ending its last (folded) line, in [v, end). */
static const char *value_end(const char *v, const char *end)
{
	for (;;) {
		const char *nl = memchr(v, '\n', (size_t)(end - v));

		if (!nl)
			return end;
		if (nl + 1 < end && sip_is_ws(nl[1])) {
			v = nl + 1;
			continue;
		}
		return nl;
	}
}

/* ---- framing ------------------------------------------------------------------------------ */

int np_sip_frame(const uint8_t *buf, size_t len, struct np_sip_frame_info *fi)
{
	const char *p = (const char *)buf, *hend, *ls;
	unsigned int eol = 0;
	size_t i = 0, hdr_len;
	bool have_cl = false;
	uint32_t cl = 0;

	if (!fi)
		return -EINVAL;
	memset(fi, 0, sizeof(*fi));
	if (!buf || !len)
		return NP_SIP_FRAME_NEED_MORE;
	while (i < len && (p[i] == '\r' || p[i] == '\n'))
		i++;
	if (i) {
		fi->msg_len = (uint32_t)i;
		return NP_SIP_FRAME_KEEPALIVE;
	}
	hdr_len = find_hdr_end(p, len, &eol);
	if (!hdr_len) {
		if (len >= NP_SIP_MAX_HDR_LEN) {
			fi->err = NP_SIP_E_HEADER_TOO_LONG;
			return NP_SIP_FRAME_ERROR;
		}
		return NP_SIP_FRAME_NEED_MORE;
	}
	if (eol == 1)
		fi->flags |= NP_SIP_FRAME_F_LF_ONLY;
	/* A message starts with a SIP start line: asked here, once per message. */
	if (!np_sip_looks_like_sip(buf, hdr_len)) {
		fi->err = NP_SIP_E_BAD_START_LINE;
		return NP_SIP_FRAME_ERROR;
	}

	/* Content-Length / l, at line starts after the start line */
	hend = p + hdr_len - eol;
	ls = memchr(p, '\n', hdr_len);
	while (ls && ++ls < hend) {
		const char *c, *nl, *ve;
		char f = sip_lc(*ls);

		nl = memchr(ls, '\n', (size_t)(hend - ls));
		if (!nl)
			nl = hend;
		if (f != 'c' && f != 'l') {
			ls = nl;
			continue;
		}
		c = memchr(ls, ':', (size_t)(nl - ls));
		if (c) {
			const char *ne = c;

			/* same name rule as the Hyperscan expressions: name *(SP / HT) ":" */
			while (ne > ls && sip_is_ws(ne[-1]))
				ne--;
			if (sip_eq_ci(ls, (size_t)(ne - ls), "content-length", 14) ||
			    sip_eq_ci(ls, (size_t)(ne - ls), "l", 1)) {
				uint32_t v;

				ve = value_end(c + 1, hend);
				if (sip_parse_clen(c + 1, (size_t)(ve - c - 1), &v) < 0 ||
				    (have_cl && v != cl)) {
					fi->err = NP_SIP_E_BAD_CONTENT_LENGTH;
					fi->hdr_len = (uint32_t)hdr_len;
					return NP_SIP_FRAME_ERROR;
				}
				have_cl = true;
				cl = v;
				nl = ve;
			}
		}
		ls = nl;
	}
	if (!have_cl)
		fi->flags |= NP_SIP_FRAME_F_NO_CONTENT_LENGTH;
	fi->hdr_len = (uint32_t)hdr_len;
	fi->body_len = cl;
	fi->msg_len = (uint32_t)hdr_len + cl;
	return len >= fi->msg_len ? NP_SIP_FRAME_COMPLETE : NP_SIP_FRAME_NEED_MORE;
}

/* ---- start line --------------------------------------------------------------------------- */

/* The start line [s, e); bytes up to lim (the buffer's end) may be read. */
static int parse_start_line(const char *s, const char *e, const char *lim, struct np_sip_msg *msg)
{
	const char *p, *q;

	if (e > s && e[-1] == '\r')
		e--;
	while (e > s && sip_is_ws(e[-1]))
		e--;
	if (e - s >= 8 && SIP_EQ_LIT(s, 7, "SIP/2.0") && sip_is_ws(s[7])) {
		unsigned int code;

		p = s + 7;
		p = sip_skip_ws(p, e);
		if (e - p < 3 || !sip_is_digit(p[0]) || !sip_is_digit(p[1]) || !sip_is_digit(p[2]))
			return -1;
		code = (unsigned int)(p[0] - '0') * 100 + (unsigned int)(p[1] - '0') * 10 +
		       (unsigned int)(p[2] - '0');
		p += 3;
		if (code < 100 || code > 699 || (p < e && !sip_is_ws(*p)))
			return -1;
		msg->is_request = false;
		msg->status = (uint16_t)code;
		msg->reason = sip_trim(sip_view(p, (size_t)(e - p)));
		return 0;
	}
	p = s;
	while (p < e && sip_is_token(*p))
		p++;
	if (p == s || p >= e || !sip_is_ws(*p))
		return -1;
	msg->method_text = sip_view(s, (size_t)(p - s));
	p = sip_skip_ws(p, e);
	q = sip_find_ws(p, e, lim);
	if (q == p || q >= e)
		return -1;
	msg->ruri = sip_view(p, (size_t)(q - p));
	q = sip_skip_ws(q, e);
	if (!SIP_EQ_LIT(q, (size_t)(e - q), "SIP/2.0"))
		return -1;
	msg->is_request = true;
	msg->method = (uint8_t)np_sip_method_from(msg->method_text.p, msg->method_text.len);
	return 0;
}

/* ---- header values ------------------------------------------------------------------------ */

struct list_arg {
	struct np_sip_msg *msg;
	struct np_sip_values *list;
};

static void add_value(struct np_sip_view v, void *arg)
{
	struct list_arg *a = arg;

	if (a->list->total < UINT16_MAX)
		a->list->total++;
	if (a->list->n >= NP_SIP_MAX_VALUES) {
		a->msg->flags |= NP_SIP_F_VALUE_OVERFLOW;
		return;
	}
	a->list->v[a->list->n++] = v;
}

struct via_arg {
	struct np_sip_msg *msg;
	bool lazy; /* np_sip_parse_inspect(): the parameters of the top Via only */
};

static void add_via(struct np_sip_view v, void *arg)
{
	struct via_arg *a = arg;
	struct np_sip_msg *msg = a->msg;
	struct np_sip_via *via;

	if (msg->via_total < UINT16_MAX)
		msg->via_total++;
	if (msg->n_via >= NP_SIP_MAX_VIA) {
		msg->flags |= NP_SIP_F_VIA_OVERFLOW;
		return;
	}
	via = &msg->via[msg->n_via++];
	memset(via, 0, sizeof(*via));
	via->raw = v;
	if (sip_via_parse(via, !a->lazy || msg->n_via == 1, !a->lazy) < 0)
		msg->flags |= NP_SIP_F_BAD_VIA;
}

static void add_warning(struct np_sip_view v, void *arg)
{
	struct np_sip_msg *msg = arg;
	struct np_sip_warning *w;
	const char *p = v.p, *e = v.p + v.len, *q;

	if (msg->n_warning >= NP_SIP_MAX_WARNING) {
		msg->flags |= NP_SIP_F_WARNING_OVERFLOW;
		return;
	}
	if (v.len < 3 || !sip_is_digit(p[0]) || !sip_is_digit(p[1]) || !sip_is_digit(p[2]))
		return;
	w = &msg->warning[msg->n_warning++];
	memset(w, 0, sizeof(*w));
	w->code = (uint16_t)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
	p += 3;
	p = sip_skip_ws(p, e);
	q = p;
	while (q < e && !sip_is_ws(*q))
		q++;
	w->agent = sip_view(p, (size_t)(q - p));
	w->text = sip_trim(sip_view(q, (size_t)(e - q)));
	if (w->text.len >= 2 && w->text.p[0] == '"' && w->text.p[w->text.len - 1] == '"') {
		w->text.p++;
		w->text.len -= 2;
	}
}

static void parse_cseq(struct np_sip_view v, struct np_sip_msg *msg)
{
	const char *p = v.p, *e = v.p + v.len, *q;
	uint64_t n = 0;

	msg->cseq_raw = v;
	while (p < e && sip_is_digit(*p)) {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > UINT32_MAX)
			goto bad;
		p++;
	}
	if (p == v.p || p >= e || !sip_is_ws(*p))
		goto bad;
	p = sip_skip_ws(p, e);
	q = p;
	while (q < e && sip_is_token(*q))
		q++;
	if (q == p || q != e)
		goto bad;
	msg->cseq = (uint32_t)n;
	msg->cseq_method_text = sip_view(p, (size_t)(q - p));
	msg->cseq_method = (uint8_t)np_sip_method_from(p, (size_t)(q - p));
	return;
bad:
	msg->flags |= NP_SIP_F_BAD_CSEQ;
}

static void set_single(struct np_sip_msg *msg, struct np_sip_view *dst, struct np_sip_view v)
{
	if (dst->p) {
		msg->flags |= NP_SIP_F_DUP_HEADER;
		return;
	}
	*dst = v;
}

/*
 * The value of the header whose name ends at v (just past ':'), in [v, end):
 * trimmed; folded lines joined into msg->join with one SP.
 */
static struct np_sip_view slice_value(struct np_sip_msg *msg, struct np_sip_scratch *s,
				      const char *base, const char *v, const char *end)
{
	const char *nl = next_lf(s, base, v, end);
	const char *q;
	struct np_sip_view first;
	uint32_t start;

	first = sip_trim(sip_view(v, (size_t)((nl ? nl : end) - v)));
	if (!nl || nl + 1 >= end || !sip_is_ws(nl[1])) {
		if (!first.len)
			first.p = v; /* present but empty */
		return first;
	}
	msg->flags |= NP_SIP_F_FOLDED;
	start = msg->join_used;
	if (first.len > NP_SIP_JOIN_LEN - msg->join_used)
		goto overflow;
	memcpy(msg->join + msg->join_used, first.p, first.len);
	msg->join_used += first.len;
	q = nl + 1;
	while (q < end && sip_is_ws(*q)) {
		const char *nl2 = memchr(q, '\n', (size_t)(end - q));
		struct np_sip_view piece = sip_trim(sip_view(q, (size_t)((nl2 ? nl2 : end) - q)));

		if (piece.len) {
			uint32_t need = piece.len + (msg->join_used > start ? 1u : 0u);

			if (need > NP_SIP_JOIN_LEN - msg->join_used)
				goto overflow;
			if (msg->join_used > start)
				msg->join[msg->join_used++] = ' ';
			memcpy(msg->join + msg->join_used, piece.p, piece.len);
			msg->join_used += piece.len;
		}
		if (!nl2)
			break;
		q = nl2 + 1;
	}
	return sip_view(msg->join + start, msg->join_used - start);
overflow:
	msg->join_used = start;
	msg->flags |= NP_SIP_F_JOIN_OVERFLOW;
	if (!first.len)
		first.p = v;
	return first;
}

struct hdr_state {
	bool clen_bad;
};

static void dispatch(struct np_sip_msg *msg, unsigned int id, struct np_sip_view v,
		     struct hdr_state *st, bool lazy)
{
	struct list_arg la = { msg, NULL };
	struct via_arg va = { msg, lazy };

	if (id >= SIP_H_COMPACT) {
		msg->flags |= NP_SIP_F_COMPACT;
		id -= SIP_H_COMPACT;
	}
	switch (id) {
	case SIP_H_VIA:
		sip_split_commas(v, add_via, &va);
		return;
	case SIP_H_ROUTE:
		la.list = &msg->route;
		break;
	case SIP_H_RECORD_ROUTE:
		la.list = &msg->record_route;
		break;
	case SIP_H_PATH:
		la.list = &msg->path;
		break;
	case SIP_H_SERVICE_ROUTE:
		la.list = &msg->service_route;
		break;
	case SIP_H_CONTACT:
		la.list = &msg->contact;
		break;
	case SIP_H_FROM:
	case SIP_H_TO: {
		struct np_sip_nameaddr *na = id == SIP_H_FROM ? &msg->from : &msg->to;

		if (lazy && id == SIP_H_FROM)
			return; /* the inspection reads no From */
		if (na->raw.p)
			msg->flags |= NP_SIP_F_DUP_HEADER;
		else
			sip_nameaddr_parse(v, na);
		if (!na->raw.p)
			na->raw = v;
		return;
	}
	case SIP_H_CALL_ID:
		set_single(msg, &msg->call_id, v);
		return;
	case SIP_H_CSEQ:
		if (msg->cseq_raw.p)
			msg->flags |= NP_SIP_F_DUP_HEADER;
		else
			parse_cseq(v, msg);
		return;
	case SIP_H_CONTENT_LENGTH: {
		uint32_t cl;

		if (sip_parse_clen(v.p, v.len, &cl) < 0 ||
		    (msg->has_content_length && cl != msg->content_length)) {
			st->clen_bad = true;
			return;
		}
		msg->has_content_length = true;
		msg->content_length = cl;
		return;
	}
	case SIP_H_CONTENT_TYPE:
		if (msg->content_type.p) {
			msg->flags |= NP_SIP_F_DUP_HEADER;
			return;
		}
		msg->content_type = v;
		msg->content_type_media = sip_ct_media(v);
		/* the inspection reads the boundary of multipart bodies only */
		if (!lazy || sip_prefix_ci(msg->content_type_media.p, msg->content_type_media.len,
					   "multipart/", 10))
			msg->boundary = sip_ct_boundary(v);
		return;
	case SIP_H_CONTENT_ENCODING:
		set_single(msg, &msg->content_encoding, v);
		return;
	case SIP_H_SUPPORTED:
		set_single(msg, &msg->supported, v);
		return;
	case SIP_H_SUBJECT:
		set_single(msg, &msg->subject, v);
		return;
	case SIP_H_EVENT:
		set_single(msg, &msg->event, v);
		return;
	case SIP_H_WARNING:
		sip_split_commas(v, add_warning, msg);
		return;
	case SIP_H_USER_AGENT:
		set_single(msg, &msg->user_agent, v);
		return;
	case SIP_H_SERVER:
		set_single(msg, &msg->server, v);
		return;
	case SIP_H_MAX_FORWARDS:
		set_single(msg, &msg->max_forwards, v);
		return;
	default:
		return;
	}
	sip_split_commas(v, add_value, &la);
}

/* ---- parse -------------------------------------------------------------------------------- */

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *ctx)
{
	struct np_sip_scratch *s = ctx;

	(void)from;
	(void)flags;
	if (s->n >= NP_SIP_MAX_MATCHES) {
		/* stop the scan: the message is already too_many_headers */
		s->overflow = true;
		return 1;
	}
	s->m[s->n].end = (uint32_t)to;
	s->m[s->n].id = id;
	s->n++;
	return 0;
}

static void msg_reset(struct np_sip_msg *msg)
{
	memset(msg, 0, offsetof(struct np_sip_msg, warning));
	msg->n_warning = 0;
	msg->n_via = 0;
	msg->via_total = 0;
	msg->route.n = 0;
	msg->route.total = 0;
	msg->record_route.n = 0;
	msg->record_route.total = 0;
	msg->path.n = 0;
	msg->path.total = 0;
	msg->service_route.n = 0;
	msg->service_route.total = 0;
	msg->contact.n = 0;
	msg->contact.total = 0;
	msg->has_sdp = false;
	msg->sdp.n_c = 0;
	msg->sdp.n_m = 0;
	msg->sdp.overflow = false;
	msg->sdp.o_type = NP_SIP_HOST_NONE;
	msg->sdp.o_addr_text = sip_view(NULL, 0);
	msg->join_used = 0;
}

static int fail(struct np_sip_msg *msg, enum np_sip_err err, int rc)
{
	msg->err = (uint8_t)err;
	return rc;
}

static void sort_matches(struct np_sip_scratch *s)
{
	/* Hyperscan reports in end-offset order in practice; keep it robust anyway. */
	for (uint32_t i = 1; i < s->n; i++) {
		struct sip_match m = s->m[i];
		uint32_t j = i;

		if (s->m[j - 1].end <= m.end)
			continue;
		while (j > 0 && s->m[j - 1].end > m.end) {
			s->m[j] = s->m[j - 1];
			j--;
		}
		s->m[j] = m;
	}
}

static void parse_body(struct np_sip_msg *msg, bool want_o)
{
	struct np_sip_view media = msg->content_type_media;

	if (!msg->body.len)
		return;
	if (SIP_VIEW_EQ_LIT(media, "application/sdp")) {
		msg->has_sdp = sip_sdp_append(msg->body.p, msg->body.len, &msg->sdp, want_o) > 0;
	} else if (sip_prefix_ci(media.p, media.len, "multipart/", 10)) {
		msg->has_sdp = sip_multipart_sdp(msg->body.p, msg->body.len, msg->boundary,
						 &msg->sdp, 0, want_o) > 0;
	}
	if (msg->sdp.overflow)
		msg->flags |= NP_SIP_F_SDP_OVERFLOW;
}

static int parse_msg(const struct np_sip_db *db, struct np_sip_scratch *s, const uint8_t *buf,
		     size_t len, struct np_sip_msg *out, bool lazy)
{
	const char *p = (const char *)buf, *m, *nl, *region, *rend;
	struct hdr_state st = { false };
	const hs_database_t *hs;
	unsigned int eol = 0;
	size_t skip = 0, mlen, hdr_end, avail;
	bool truncated = false, lazy_set;
	uint32_t mask;
	hs_error_t rc;

	if (!out)
		return -EINVAL;
	msg_reset(out);
	if (!db || !s || !buf)
		return -EINVAL;
	while (skip < len && (p[skip] == '\r' || p[skip] == '\n'))
		skip++;
	m = p + skip;
	mlen = len - skip;
	if (!mlen)
		return fail(out, NP_SIP_E_TRUNCATED, -EAGAIN);

	/* one pass for every line end; the first ends the start line */
	hdr_end = find_hdr_end_lf(m, mlen, &eol, s);
	if (!s->nlf) {
		if (mlen >= NP_SIP_MAX_HDR_LEN)
			return fail(out, NP_SIP_E_HEADER_TOO_LONG, -EMSGSIZE);
		return fail(out, NP_SIP_E_NO_CRLF, -EBADMSG);
	}
	nl = m + s->lf[0];
	if (parse_start_line(m, nl, m + mlen, out) < 0) {
		msg_reset(out);
		return fail(out, NP_SIP_E_BAD_START_LINE, -EBADMSG);
	}

	region = nl; /* the start line's LF: every header line follows an LF */
	if (hdr_end) {
		rend = m + hdr_end - eol;
		if (eol == 1)
			out->flags |= NP_SIP_F_LF_ONLY;
	} else {
		if (mlen >= NP_SIP_MAX_HDR_LEN)
			return fail(out, NP_SIP_E_HEADER_TOO_LONG, -EMSGSIZE);
		truncated = true;
		rend = (const char *)memrchr(m, '\n', mlen) + 1;
	}
	if (rend < region + 1)
		rend = region + 1; /* start line directly followed by the empty line */

	/*
	 * The lighter set (no From) only where it cannot change what the rest
	 * reads: few enough lines that neither set runs out of match slots, a
	 * header section too short to fill the join buffer (a folded From
	 * takes room in it whether or not it is parsed).
	 */
	lazy_set = lazy && db->hs_lazy != NULL && !s->lf_capped && s->nlf <= NP_SIP_MAX_MATCHES &&
		   (size_t)(rend - m) <= NP_SIP_JOIN_LEN;
	hs = lazy_set ? db->hs_lazy : db->hs;
	mask = lazy_set ? db->mask_lazy : db->mask;
	s->n = 0;
	s->overflow = false;
	if (rend > region + 1) {
		rc = hs_scan(hs, region, (unsigned int)(rend - region), 0, s->hs, on_match, s);
		if (rc != HS_SUCCESS && !(rc == HS_SCAN_TERMINATED && s->overflow))
			return fail(out, NP_SIP_E_SCAN, -EIO);
	}
	sort_matches(s);
	for (uint32_t i = 0; i < s->n; i++) {
		const char *v = region + s->m[i].end;
		unsigned int id = s->m[i].id;

		if (v > rend)
			continue;
		if (id == SIP_H_WS_NAME) { /* "Name  :": find the name back from the ':' */
			const char *ne = v - 1, *ns;
			int hid;

			while (ne > region && sip_is_ws(ne[-1]))
				ne--;
			ns = ne;
			while (ns > region && ns[-1] != '\n')
				ns--;
			hid = sip_hdr_lookup(ns, (size_t)(ne - ns), mask);
			if (hid < 0)
				continue;
			id = (unsigned int)hid;
		}
		dispatch(out, id, slice_value(out, s, m, v, rend), &st, lazy);
	}
	if (s->overflow)
		return fail(out, NP_SIP_E_TOO_MANY_HEADERS, -E2BIG);
	if (truncated)
		return fail(out, NP_SIP_E_TRUNCATED, -EAGAIN);
	if (st.clen_bad) {
		out->has_content_length = false;
		out->content_length = 0;
		return fail(out, NP_SIP_E_BAD_CONTENT_LENGTH, -EBADMSG);
	}

	out->hdr_len = (uint32_t)(skip + hdr_end);
	avail = len - out->hdr_len;
	if (out->has_content_length) {
		if (out->content_length > avail) {
			out->body = sip_view(p + out->hdr_len, avail);
			return fail(out, NP_SIP_E_TRUNCATED, -EAGAIN);
		}
		out->body = sip_view(p + out->hdr_len, out->content_length);
		out->msg_len = out->hdr_len + out->content_length;
	} else {
		out->flags |= NP_SIP_F_NO_CONTENT_LENGTH;
		out->body = sip_view(p + out->hdr_len, avail);
		out->msg_len = (uint32_t)len;
	}
	out->body_complete = true;
	parse_body(out, db->sdp_o);
	return 0;
}

int np_sip_parse(const struct np_sip_db *db, struct np_sip_scratch *s, const uint8_t *buf,
		 size_t len, struct np_sip_msg *out)
{
	return parse_msg(db, s, buf, len, out, false);
}

int np_sip_parse_inspect(const struct np_sip_db *db, struct np_sip_scratch *s, const uint8_t *buf,
			 size_t len, struct np_sip_msg *out)
{
	return parse_msg(db, s, buf, len, out, true);
}
