/* SPDX-License-Identifier: BSD-3-Clause */
/* SDP c=/m=/o= lines and multipart bodies. */

#include <errno.h>
#include <string.h>

#include "sip_internal.h"

/* Multipart nesting followed; deeper parts are ignored. */
#define SIP_MULTIPART_MAX_DEPTH 3
/* RFC 2046 limits boundaries to 70 characters; allow some slack. */
#define SIP_BOUNDARY_MAX 200

/* Next space-separated field of [*p, end); advances *p. Reads no further than lim. */
static struct np_sip_view next_field(const char **p, const char *end, const char *lim)
{
	const char *s = *p, *e;

	while (s < end && sip_is_ws(*s))
		s++;
	e = sip_find_ws(s, end, lim);
	*p = e;
	return sip_view(s, (size_t)(e - s));
}

/* Leading decimal digits of [q, e), saturating above 65535; returns the first non-digit. */
static const char *digits(const char *q, const char *e, uint32_t *out)
{
	uint32_t v = 0;

	while (q && q < e && sip_is_digit(*q)) {
		if (v <= 65535)
			v = v * 10 + (uint32_t)(*q - '0');
		q++;
	}
	*out = v;
	return q ? q : e;
}

static uint8_t sdp_addr(struct np_sip_view addrtype, struct np_sip_view text, struct np_addr *a)
{
	if (!text.len)
		return NP_SIP_HOST_NONE;
	if (SIP_VIEW_EQ_LIT(addrtype, "IP4") && sip_parse_ipv4(text.p, text.len, a))
		return NP_SIP_HOST_IPV4;
	if (SIP_VIEW_EQ_LIT(addrtype, "IP6") && sip_parse_ipv6(text.p, text.len, a))
		return NP_SIP_HOST_IPV6;
	return NP_SIP_HOST_NAME;
}

/* Cut "addr/ttl/n" at the first '/'. */
static struct np_sip_view cut_slash(struct np_sip_view v)
{
	const char *s = v.p ? memchr(v.p, '/', v.len) : NULL;

	if (s)
		v.len = (uint32_t)(s - v.p);
	return v;
}

static void sdp_line(char type, const char *p, const char *end, const char *lim,
		     struct np_sip_sdp *sdp, unsigned int *m_seen, bool want_o)
{
	struct np_sip_view f1, f2, f3;

	switch (type) {
	case 'c': {
		struct np_sip_sdp_conn *c;

		(void)next_field(&p, end, lim); /* nettype IN */
		f2 = next_field(&p, end, lim);
		f3 = cut_slash(next_field(&p, end, lim));
		if (sdp->n_c >= NP_SIP_SDP_MAX_C) {
			sdp->overflow = true;
			return;
		}
		c = &sdp->c[sdp->n_c++];
		memset(c, 0, sizeof(*c));
		c->addr_text = f3;
		c->type = sdp_addr(f2, f3, &c->addr);
		c->media = *m_seen ? (int8_t)(*m_seen > 127 ? 127 : *m_seen - 1) : -1;
		return;
	}
	case 'm': {
		struct np_sip_sdp_media *m;
		struct np_sip_view port;
		uint32_t v = 0, n = 0;
		const char *q;

		if (*m_seen < 255)
			(*m_seen)++;
		f1 = next_field(&p, end, lim);
		port = next_field(&p, end, lim);
		f3 = next_field(&p, end, lim);
		if (sdp->n_m >= NP_SIP_SDP_MAX_M) {
			sdp->overflow = true;
			return;
		}
		m = &sdp->m[sdp->n_m++];
		memset(m, 0, sizeof(*m));
		m->media = f1;
		m->proto = f3;
		m->n_ports = 1;
		q = digits(port.p, port.p + port.len, &v);
		m->port = v > 65535 ? 0 : (uint16_t)v;
		if (q < port.p + port.len && *q == '/') {
			(void)digits(q + 1, port.p + port.len, &n);
			m->n_ports = (n == 0 || n > 65535) ? 1 : (uint16_t)n;
		}
		return;
	}
	case 'o':
		if (!want_o || sdp->o_type != NP_SIP_HOST_NONE)
			return;
		for (int i = 0; i < 4; i++)
			(void)next_field(&p, end, lim); /* username sess-id sess-version nettype */
		f2 = next_field(&p, end, lim);
		f3 = next_field(&p, end, lim);
		sdp->o_addr_text = f3;
		sdp->o_type = sdp_addr(f2, f3, &sdp->o_addr);
		return;
	default:
		return;
	}
}

unsigned int sip_sdp_append(const char *body, size_t len, struct np_sip_sdp *sdp, bool want_o)
{
	const char *p = body, *end = body + len;
	unsigned int lines = 0, m_seen = sdp->n_m;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		if (le > p && le[-1] == '\r')
			le--;
		if (le - p >= 2 && p[1] == '=' && p[0] >= 'a' && p[0] <= 'z') {
			lines++;
			sdp_line(p[0], p + 2, le, end, sdp, &m_seen, want_o);
		}
		p = nl ? nl + 1 : end;
	}
	return lines;
}

int np_sip_sdp_parse(const uint8_t *body, size_t len, struct np_sip_sdp *sdp)
{
	if (!sdp || (!body && len))
		return -EINVAL;
	sdp->n_c = 0;
	sdp->n_m = 0;
	sdp->overflow = false;
	sdp->o_type = NP_SIP_HOST_NONE;
	sdp->o_addr_text = sip_view(NULL, 0);
	if (!len)
		return -EBADMSG;
	return sip_sdp_append((const char *)body, len, sdp, true) ? 0 : -EBADMSG;
}

struct np_sip_view sip_ct_media(struct np_sip_view ct)
{
	const char *s = ct.p ? memchr(ct.p, ';', ct.len) : NULL;

	if (s)
		ct.len = (uint32_t)(s - ct.p);
	return sip_trim(ct);
}

struct np_sip_view sip_ct_boundary(struct np_sip_view ct)
{
	struct np_sip_view b;

	if (!np_sip_param_find(ct, "boundary", &b))
		return sip_view(NULL, 0);
	if (b.len >= 2 && b.p[0] == '"' && b.p[b.len - 1] == '"') {
		b.p++;
		b.len -= 2;
	}
	return b;
}

/* Next "--boundary" at a line start in [p, end), or NULL. */
static const char *find_delim(const char *body, const char *p, const char *end, const char *d,
			      size_t dlen)
{
	while (p < end) {
		const char *s = memmem(p, (size_t)(end - p), d, dlen);

		if (!s)
			return NULL;
		if (s == body || s[-1] == '\n')
			return s;
		p = s + 1;
	}
	return NULL;
}

/* The Content-Type of a MIME part's header block; sets *body to where its body starts. */
static struct np_sip_view part_ct(const char *p, const char *end, const char **body)
{
	struct np_sip_view ct = sip_view(NULL, 0);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *c;

		if (le > p && le[-1] == '\r')
			le--;
		if (le == p) { /* empty line: end of part headers */
			*body = nl ? nl + 1 : end;
			return ct;
		}
		c = memchr(p, ':', (size_t)(le - p));
		if (c && !ct.p) {
			struct np_sip_view name = sip_trim(sip_view(p, (size_t)(c - p)));

			if (SIP_VIEW_EQ_LIT(name, "content-type") || SIP_VIEW_EQ_LIT(name, "c"))
				ct = sip_trim(sip_view(c + 1, (size_t)(le - c - 1)));
		}
		p = nl ? nl + 1 : end;
	}
	*body = end;
	return ct;
}

unsigned int sip_multipart_sdp(const char *body, size_t len, struct np_sip_view boundary,
			       struct np_sip_sdp *sdp, unsigned int depth, bool want_o)
{
	char d[2 + SIP_BOUNDARY_MAX];
	const char *end = body + len, *p;
	size_t dlen;
	unsigned int found = 0;

	if (depth > SIP_MULTIPART_MAX_DEPTH || !boundary.len || boundary.len > SIP_BOUNDARY_MAX)
		return 0;
	d[0] = '-';
	d[1] = '-';
	memcpy(d + 2, boundary.p, boundary.len);
	dlen = 2 + boundary.len;

	p = find_delim(body, body, end, d, dlen);
	while (p) {
		const char *after = p + dlen, *nl, *part, *next, *part_end, *pbody;
		struct np_sip_view ct, media;

		if (end - after >= 2 && after[0] == '-' && after[1] == '-')
			break; /* close delimiter */
		nl = memchr(after, '\n', (size_t)(end - after));
		if (!nl)
			break;
		part = nl + 1;
		next = find_delim(body, part, end, d, dlen);
		part_end = next ? next : end;
		if (part_end > part && part_end[-1] == '\n')
			part_end--;
		if (part_end > part && part_end[-1] == '\r')
			part_end--;
		ct = part_ct(part, part_end, &pbody);
		media = sip_ct_media(ct);
		if (SIP_VIEW_EQ_LIT(media, "application/sdp")) {
			if (sip_sdp_append(pbody, (size_t)(part_end - pbody), sdp, want_o))
				found++;
		} else if (sip_prefix_ci(media.p, media.len, "multipart/", 10)) {
			found += sip_multipart_sdp(pbody, (size_t)(part_end - pbody),
						   sip_ct_boundary(ct), sdp, depth + 1, want_o);
		}
		p = next;
	}
	return found;
}
