/* SPDX-License-Identifier: BSD-3-Clause */
/* np_sip_msg -> struct np_det_sip: what crosses the worker -> control ring. */

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "np_hash.h"
#include "np_inspect.h"

static const char *const hdr_names[NP_DET_H_MAX] = {
	[NP_DET_H_VIA] = "Via",
	[NP_DET_H_ROUTE] = "Route",
	[NP_DET_H_RECORD_ROUTE] = "Record-Route",
	[NP_DET_H_PATH] = "Path",
	[NP_DET_H_SERVICE_ROUTE] = "Service-Route",
	[NP_DET_H_CONTACT] = "Contact",
	[NP_DET_H_SDP_C] = "SDP c=",
};

const char *np_det_hdr_name(unsigned int hdr)
{
	return hdr < NP_DET_H_MAX ? hdr_names[hdr] : "unknown";
}

/*
 * Copy n bytes (values are short: a call to memcpy costs more than the copy)
 * with overlapping 16/8/4-byte moves; reads [src, src+n), writes [dst, dst+n).
 */
static inline void copy_short(char *dst, const char *src, size_t n)
{
	if (n >= 16) {
		size_t i;

		for (i = 0; i + 16 < n; i += 16)
			memcpy(dst + i, src + i, 16);
		memcpy(dst + n - 16, src + n - 16, 16);
	} else if (n >= 8) {
		memcpy(dst, src, 8);
		memcpy(dst + n - 8, src + n - 8, 8);
	} else if (n >= 4) {
		memcpy(dst, src, 4);
		memcpy(dst + n - 4, src + n - 4, 4);
	} else {
		for (size_t i = 0; i < n; i++)
			dst[i] = src[i];
	}
}

/*
 * Append a view to out->text, cut to @p size with its NUL; @return its
 * offset. The fields' sizes add up to the text's (NP_DET_TEXT_BYTES).
 */
static inline uint16_t put(struct np_det_sip *out, size_t size, struct np_sip_view v)
{
	size_t n = v.p == NULL ? 0 : v.len;
	uint16_t off = out->text_len;
	char *dst = out->text + off;

	if (n >= size)
		n = size - 1;
	copy_short(dst, v.p, n);
	dst[n] = '\0';
	out->text_len = (uint16_t)(off + n + 1);
	return off;
}

size_t np_det_sip_pack(const struct np_det_sip *s, void *buf)
{
	size_t head = offsetof(struct np_det_sip, addrs) + s->n_addrs * sizeof(s->addrs[0]);

	memcpy(buf, s, head);
	memcpy((uint8_t *)buf + head, s->text, s->text_len);
	return head + s->text_len;
}

int np_det_sip_unpack(const void *buf, size_t len, struct np_det_sip *s)
{
	const size_t fixed = offsetof(struct np_det_sip, addrs);
	size_t head;

	if (len < fixed)
		return -EINVAL;
	memcpy(s, buf, fixed);
	head = fixed + s->n_addrs * sizeof(s->addrs[0]);
	if (s->n_addrs > NP_DET_MAX_ADDRS || s->text_len == 0 || s->text_len > sizeof(s->text) ||
	    head + s->text_len > len)
		return -EINVAL;
	memcpy(s->addrs, (const uint8_t *)buf + fixed, head - fixed);
	memcpy(s->text, (const uint8_t *)buf + head, s->text_len);
	/* every string in range and terminated: the text ends with a NUL */
	if (s->text[s->text_len - 1] != '\0' || s->method_text >= s->text_len ||
	    s->cseq_text >= s->text_len || s->call_id >= s->text_len || s->branch >= s->text_len ||
	    s->warning_agent >= s->text_len)
		return -EINVAL;
	for (unsigned int i = 0; i < s->n_addrs; i++)
		if (s->addrs[i].value >= s->text_len)
			return -EINVAL;
	return 0;
}

#define HASH_SEED 0xcbf29ce484222325ull

static uint8_t transport_of(struct np_sip_view t)
{
	static const struct {
		const char *name;
		uint8_t len, type;
	} names[] = {
		{ "UDP", 3, NP_DET_T_UDP },	  { "TCP", 3, NP_DET_T_TCP },
		{ "TLS", 3, NP_DET_T_TLS },	  { "SCTP", 4, NP_DET_T_SCTP },
		{ "WS", 2, NP_DET_T_WS },	  { "WSS", 3, NP_DET_T_WS },
		{ "TLS-SCTP", 8, NP_DET_T_SCTP },
	};

	if (t.p == NULL || t.len == 0)
		return NP_DET_T_NONE;
	/* the common case, written as RFC 3261 does: no call */
	if (t.len == 3 && t.p[0] == 'U' && t.p[1] == 'D' && t.p[2] == 'P')
		return NP_DET_T_UDP;
	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (t.len == names[i].len && strncasecmp(t.p, names[i].name, t.len) == 0)
			return names[i].type;
	return NP_DET_T_OTHER;
}

/*
 * Does the value carry the parameter @p name (";name", ";name=...", any
 * case)? Parameters of a Contact may sit inside or after the <>: both count.
 */
static inline bool has_param(struct np_sip_view v, const char *name, const char *value)
{
	size_t n = strlen(name), vn = value ? strlen(value) : 0;
	const char *q, *end;

	if (v.p == NULL || v.len < n + 1)
		return false;
	/* from one ';' to the next: a ';' at offset i needs i + 1 + n <= v.len */
	end = v.p + v.len - n;
	for (q = v.p; q < end && (q = memchr(q, ';', (size_t)(end - q))) != NULL; q++) {
		const char *p = q + 1;
		uint32_t rest = (uint32_t)(v.p + v.len - p) - (uint32_t)n;

		if (strncasecmp(p, name, n) != 0)
			continue;
		if (value != NULL) {
			if (rest > vn && p[n] == '=' && strncasecmp(p + n + 1, value, vn) == 0 &&
			    (rest == vn + 1 ||
			     (p[n + 1 + vn] != '\0' && strchr(";>, \t", p[n + 1 + vn]) != NULL)))
				return true;
			continue;
		}
		if (rest == 0 || (p[n] != '\0' && strchr("=;>, \t", p[n]) != NULL))
			return true;
	}
	return false;
}

/*
 * Is c= line @p c the address of some active stream? A media-level c= is,
 * unless its m= is disabled (port 0); the session-level one only for the
 * active m= lines without a c= of their own (RFC 4566 5.7): a phone that
 * learned its public address often puts it at media level and leaves its
 * private one at session level.
 */
static bool sdp_c_in_use(const struct np_sip_sdp *sdp, const struct np_sip_sdp_conn *c)
{
	if (sdp->overflow)
		return true; /* not all lines kept: judge what is there */
	if (c->media >= 0)
		return c->media >= sdp->n_m || sdp->m[c->media].port != 0;
	for (unsigned int k = 0; k < sdp->n_m; k++) {
		bool own = false;

		if (sdp->m[k].port == 0)
			continue;
		for (unsigned int j = 0; j < sdp->n_c && !own; j++)
			own = sdp->c[j].media == (int8_t)k;
		if (!own)
			return true;
	}
	return false;
}

static uint8_t nat_flags_of(const struct np_sip_msg *m, bool private_sdp)
{
	uint8_t f = 0;
	bool unreg = m->contact.n > 0;

	if (m->n_via > 0 && m->via[0].has_rport)
		f |= NP_DET_SIP_RPORT;
	if (m->path.total > 0)
		f |= NP_DET_SIP_PATH;
	if (m->record_route.total > 0)
		f |= NP_DET_SIP_RECORD_ROUTE;
	for (unsigned int i = 0; i < m->contact.n; i++) {
		struct np_sip_view v = m->contact.v[i];

		/* no ';': no parameter, neither an outbound one nor expires */
		if (v.p == NULL || memchr(v.p, ';', v.len) == NULL) {
			if (v.p == NULL || !(v.len == 1 && v.p[0] == '*'))
				unreg = false;
			continue;
		}
		if (has_param(v, "reg-id", NULL) || has_param(v, "+sip.instance", NULL) ||
		    has_param(v, "ob", NULL))
			f |= NP_DET_SIP_OUTBOUND;
		if (!(v.len == 1 && v.p[0] == '*') && !has_param(v, "expires", "0"))
			unreg = false;
	}
	if (unreg)
		f |= NP_DET_SIP_UNREGISTER;
	/* Only asked when it matters: a private c= (the body is not scanned otherwise). */
	if (private_sdp && m->body.p != NULL &&
	    (memmem(m->body.p, m->body.len, "typ srflx", 9) != NULL ||
	     memmem(m->body.p, m->body.len, "typ relay", 9) != NULL))
		f |= NP_DET_SIP_ICE;
	return f;
}

static void add_addr(struct np_det_sip *out, unsigned int hdr, unsigned int index,
		     struct np_sip_view value, uint8_t host_type, const struct np_addr *a,
		     uint16_t port)
{
	struct np_det_addr *d;

	out->hdr_hash[hdr] = np_hash_bytes(out->hdr_hash[hdr], value.p, value.p ? value.len : 0);
	if (out->n_addrs >= NP_DET_MAX_ADDRS)
		return;
	d = &out->addrs[out->n_addrs++];
	d->hdr = (uint8_t)hdr;
	d->index = (uint8_t)(index > 255 ? 255 : index);
	d->host_type = host_type;
	d->xlat_kind = 0;
	d->port = port;
	if (a != NULL)
		d->addr = *a;
	else
		memset(&d->addr, 0, sizeof(d->addr));
	d->value = put(out, NP_DET_VALUE_LEN, value);
}

static void add_values(struct np_det_sip *out, unsigned int hdr, const struct np_sip_values *vals)
{
	for (unsigned int i = 0; i < vals->n; i++) {
		struct np_sip_uri u;

		if (np_sip_uri_parse(vals->v[i], &u) == 0)
			add_addr(out, hdr, i, vals->v[i], u.host_type, &u.addr, u.port);
		else
			add_addr(out, hdr, i, vals->v[i], NP_SIP_HOST_NONE, NULL, 0);
	}
}

void np_det_sip_summarise(const struct np_sip_msg *m, const uint8_t *raw, size_t len,
			  struct np_det_sip *out)
{
	out->ts_ns = 0;
	out->msg_hash = np_hash_bytes(HASH_SEED, raw, len);
	for (unsigned int h = 0; h < NP_DET_H_MAX; h++)
		out->hdr_hash[h] = HASH_SEED;
	out->cseq = m->cseq;
	out->status = m->status;
	out->is_request = m->is_request;
	out->method = m->method;
	out->cseq_method = m->cseq_method;
	out->warning_code = m->n_warning > 0 ? m->warning[0].code : 0;
	out->has_sdp = m->has_sdp;
	out->from_log = false;
	out->has_to_tag = m->to.tag.p != NULL && m->to.tag.len > 0;
	out->n_addrs = 0;
	out->text_len = 0;
	out->method_text = put(out, NP_DET_TEXT_LEN, m->method_text);
	out->cseq_text = put(out, NP_DET_TEXT_LEN, m->cseq_raw);
	out->call_id = put(out, NP_DET_CALLID_LEN, m->call_id);
	out->branch = put(out, NP_DET_BRANCH_LEN,
			  m->n_via > 0 ? m->via[0].branch : (struct np_sip_view){ NULL, 0 });
	out->warning_agent =
		put(out, NP_DET_TEXT_LEN,
		    m->n_warning > 0 ? m->warning[0].agent : (struct np_sip_view){ NULL, 0 });

	for (unsigned int i = 0; i < m->n_via; i++)
		add_addr(out, NP_DET_H_VIA, i, m->via[i].raw, m->via[i].host_type, &m->via[i].addr,
			 m->via[i].port);
	add_values(out, NP_DET_H_ROUTE, &m->route);
	add_values(out, NP_DET_H_RECORD_ROUTE, &m->record_route);
	add_values(out, NP_DET_H_PATH, &m->path);
	add_values(out, NP_DET_H_SERVICE_ROUTE, &m->service_route);
	add_values(out, NP_DET_H_CONTACT, &m->contact);
	bool private_sdp = false;

	if (m->has_sdp)
		for (unsigned int i = 0; i < m->sdp.n_c; i++) {
			const struct np_sip_sdp_conn *c = &m->sdp.c[i];

			/* Every c= is hashed (alg_rewrite); only those media is sent to are kept.
			 */
			if (!sdp_c_in_use(&m->sdp, c)) {
				out->hdr_hash[NP_DET_H_SDP_C] =
					np_hash_bytes(out->hdr_hash[NP_DET_H_SDP_C], c->addr_text.p,
						      c->addr_text.p ? c->addr_text.len : 0);
				continue;
			}
			add_addr(out, NP_DET_H_SDP_C, i, c->addr_text, c->type, &c->addr, 0);
			if ((c->type == NP_SIP_HOST_IPV4 || c->type == NP_SIP_HOST_IPV6) &&
			    np_nat_addr_is_private(&c->addr))
				private_sdp = true;
		}
	out->n_via = (uint8_t)(m->via_total > 255 ? 255 : m->via_total);
	out->via_transport = m->n_via > 0 ? transport_of(m->via[0].transport) : NP_DET_T_NONE;
	out->via_port = m->n_via > 0 ? m->via[0].port : 0;
	out->nat_flags = nat_flags_of(m, private_sdp);
}
