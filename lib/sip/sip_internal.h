/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_SIP_INTERNAL_H
#define NP_SIP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <hs/hs.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "np_sip.h"

/** Hyperscan expression ids: one per recognised header. */
enum sip_hdr {
	SIP_H_VIA = 0,
	SIP_H_ROUTE,
	SIP_H_RECORD_ROUTE,
	SIP_H_PATH,
	SIP_H_SERVICE_ROUTE,
	SIP_H_CONTACT,
	SIP_H_FROM,
	SIP_H_TO,
	SIP_H_CALL_ID,
	SIP_H_CSEQ,
	SIP_H_CONTENT_LENGTH,
	SIP_H_CONTENT_TYPE,
	SIP_H_CONTENT_ENCODING,
	SIP_H_SUPPORTED,
	SIP_H_SUBJECT,
	SIP_H_EVENT,
	SIP_H_WARNING,
	SIP_H_USER_AGENT,
	SIP_H_SERVER,
	SIP_H_MAX_FORWARDS,
	SIP_H_MAX
};

/** Compact forms get ids offset by SIP_H_COMPACT so the flag can be set. */
#define SIP_H_COMPACT 64u
/** Id of the expression for "name<SP/HT>+:" lines; the C pass classifies the name. */
#define SIP_H_WS_NAME 63u

/** A header name form the database recognises. */
struct sip_hdr_name {
	const char *name; /**< lower case */
	uint8_t len;
	uint8_t id; /**< enum sip_hdr, + SIP_H_COMPACT for compact forms */
};

extern const struct sip_hdr_name sip_hdr_names[];
extern const unsigned int sip_n_hdr_names;

/**
 * Id (as in sip_hdr_names) of a header name, any case, among those of
 * @p mask (bit per enum sip_hdr); -1 when not recognised.
 */
int sip_hdr_lookup(const char *p, size_t len, uint32_t mask);

struct sip_match {
	uint32_t end; /**< offset just after the ':' (start of the value) */
	uint32_t id;  /**< enum sip_hdr (+ SIP_H_COMPACT) */
};

struct np_sip_db {
	hs_database_t *hs;
	hs_database_t *hs_lazy; /**< np_sip_parse_inspect()'s names (mask_lazy); NULL: hs */
	uint32_t mask;		/**< headers recognised: bit per enum sip_hdr */
	uint32_t mask_lazy;	/**< mask less the headers np_sip_parse_inspect() leaves out */
	bool sdp_o;		/**< SDP o= lines parsed */
	hs_scratch_t *proto;	/**< prototype scratch, cloned per worker */
	unsigned int prebuilt;	/**< databases loaded from sip_db_blobs, not compiled */
};

/** The headers of a set (np_sip_db_create_set()): bit per enum sip_hdr. */
uint32_t sip_db_set_mask(enum np_sip_hdr_set set);

/** np_sip_parse_inspect()'s headers of a set (its mask where it has no second database). */
uint32_t sip_db_lazy_mask(enum np_sip_hdr_set set);

/**
 * A database compiled when natprobe was built (sip_db_gen writes them,
 * serialised, into sip_db_blob.c): the headers it recognises, the hash of
 * the expression list it was compiled from, and the build machine's
 * platform as Hyperscan's compiler saw it (hs_populate_platform()), for
 * which it was compiled.
 */
struct sip_db_blob {
	uint32_t mask;
	uint64_t key;
	unsigned int tune;
	unsigned long long cpu_features;
	size_t len;
	const unsigned char *bytes;
};

/** The build's databases (none where the build could not run its generator). */
extern const struct sip_db_blob sip_db_blobs[];
extern const unsigned int sip_n_db_blobs;

/**
 * Compile the expressions of the headers in @p mask; *key gets the hash
 * that names the list (struct sip_db_blob::key).
 * @return 0, or -1 with errbuf set.
 */
int sip_db_compile(uint32_t mask, hs_database_t **out, uint64_t *key, char *errbuf, size_t errlen);

/**
 * The database of @p mask from @p blobs: the one with this mask, the key of
 * today's expression list and this machine's platform (@p plat, from
 * hs_populate_platform(): what compiling it here would target), so that it
 * is the database compiling would give; deserialised (Hyperscan refuses one
 * written by another version of itself).
 * @return 0, or -1: none, or refused.
 */
int sip_db_load(const struct sip_db_blob *blobs, unsigned int n_blobs, uint32_t mask,
		const hs_platform_info_t *plat, hs_database_t **out);

/** Line ends recorded per header section; past them values find theirs with memchr. */
#define SIP_MAX_LF 512u

struct np_sip_scratch {
	hs_scratch_t *hs; /**< fits both of the database's Hyperscan databases */
	uint32_t n;	  /**< matches recorded */
	bool overflow;	  /**< more than NP_SIP_MAX_MATCHES */
	bool lf_capped;	  /**< the header section has more than SIP_MAX_LF line ends */
	uint32_t nlf;	  /**< line ends recorded in lf[] */
	uint32_t lf_i;	  /**< cursor into lf[] of the value being sliced */
	struct sip_match m[NP_SIP_MAX_MATCHES];
	uint32_t lf[SIP_MAX_LF]; /**< offsets of the header section's LFs, in order */
};

static inline bool sip_is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* The first byte at or after @p p (before @p end) that is not a space or tab. */
static inline const char *sip_skip_ws(const char *p, const char *end)
{
	while (p < end && sip_is_ws(*p))
		p++;
	return p;
}

/*
 * The first of the bytes @p a, @p b, @p c, @p d in [p, e), or e (e.g. the
 * end of a host: ':', ';', SP, HT): 16 bytes at a time where [p, p+16) lies
 * before @p lim (readable, >= e), then byte by byte.
 */
static inline const char *sip_find4(const char *p, const char *e, const char *lim, char a, char b,
				    char c, char d)
{
#ifdef __SSE2__
	while (p < e && lim - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i ab = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(a)),
					  _mm_cmpeq_epi8(x, _mm_set1_epi8(b)));
		__m128i cd = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(c)),
					  _mm_cmpeq_epi8(x, _mm_set1_epi8(d)));
		uint32_t m = (uint32_t)_mm_movemask_epi8(_mm_or_si128(ab, cd));

		if (m) {
			p += __builtin_ctz(m);
			return p < e ? p : e;
		}
		p += 16;
	}
	if (p >= e)
		return e;
#else
	(void)lim;
#endif
	while (p < e && *p != a && *p != b && *p != c && *p != d)
		p++;
	return p;
}

/*
 * The first SP or HT in [p, e), or e: 16 bytes at a time where [p, p+16)
 * lies before @p lim (readable, >= e), then byte by byte.
 */
static inline const char *sip_find_ws(const char *p, const char *e, const char *lim)
{
	return sip_find4(p, e, lim, ' ', '\t', ' ', '\t');
}

static inline char sip_lc(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static inline bool sip_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/** 1 for the RFC 3261 token characters (alphanumerics and -.!%*_+`'~), else 0. */
extern const uint8_t sip_token_tab[256];

/** RFC 3261 token characters (one table load: these loops run per byte). */
static inline bool sip_is_token(char c)
{
	return sip_token_tab[(unsigned char)c] != 0;
}

static inline struct np_sip_view sip_view(const char *p, size_t len)
{
	struct np_sip_view v = { p, (uint32_t)len };
	return v;
}

/** Trim SP, HT, CR, LF on both ends. */
static inline bool sip_is_lws(char c)
{
	/* SP, HT, CR, LF in one test: bits 9, 10, 13 and 32 of a 64-bit mask */
	unsigned char u = (unsigned char)c;

	return u <= ' ' && ((1ull << u) & ((1ull << ' ') | (1ull << '\t') | (1ull << '\r') |
					   (1ull << '\n'))) != 0;
}

static inline struct np_sip_view sip_trim(struct np_sip_view v)
{
	while (v.len && sip_is_lws(v.p[0])) {
		v.p++;
		v.len--;
	}
	while (v.len && sip_is_lws(v.p[v.len - 1]))
		v.len--;
	return v;
}

static inline bool sip_eq_ci(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (a[i] != b[i] && sip_lc(a[i]) != sip_lc(b[i]))
			return false;
	return true;
}

/**
 * sip_eq_ci() with a string literal: its length known, no strlen(), and the
 * case it is written in (the usual one) compared by a few whole-word loads.
 */
#define SIP_EQ_LIT(p, len, lit)                                                   \
	((len) == sizeof(lit) - 1 && (memcmp((p), (lit), sizeof(lit) - 1) == 0 || \
				      sip_eq_ci((p), (len), (lit), sizeof(lit) - 1)))

/** np_sip_view_eq_ci() with a string literal (SIP_EQ_LIT). */
#define SIP_VIEW_EQ_LIT(v, lit) SIP_EQ_LIT((v).p, (v).len, lit)

static inline bool sip_prefix_ci(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen >= blen && sip_eq_ci(a, blen, b, blen);
}

/**
 * Parse a decimal Content-Length: optional white space (SP, HT, CR, LF),
 * digits, optional white space. @return 0 and *out, or -1 (empty,
 * non-numeric, negative, above NP_SIP_MAX_BODY_LEN).
 */
int sip_parse_clen(const char *p, size_t len, uint32_t *out);

/** Strict dotted quad. */
bool sip_parse_ipv4(const char *p, size_t len, struct np_addr *a);

/** IPv6 text (no brackets). */
bool sip_parse_ipv6(const char *p, size_t len, struct np_addr *a);

/**
 * Next parameter of a ";a=b;c" list. *pp points at (or before) the next ';'
 * and is advanced; values may be quoted (';' inside quotes is kept).
 * @return false when there are no more parameters.
 */
bool sip_param_next(const char **pp, const char *end, struct np_sip_view *name,
		    struct np_sip_view *val, bool *has_val);

/**
 * Parse one Via value into @p via (raw already set). Without @p params the
 * parameters (branch, received, rport) are left unread; without
 * @p received_type the received value is kept as text only. @return 0 or -1.
 */
int sip_via_parse(struct np_sip_via *via, bool params, bool received_type);

/** Split @p v at commas outside quotes and <>; call @p fn per trimmed non-empty piece. */
typedef void (*sip_split_fn)(struct np_sip_view piece, void *arg);
void sip_split_commas(struct np_sip_view v, sip_split_fn fn, void *arg);

/** Fill from/to. */
void sip_nameaddr_parse(struct np_sip_view v, struct np_sip_nameaddr *na);

/**
 * Append the SDP lines of @p body to @p sdp (no reset); o= only when @p want_o.
 * @return lines seen.
 */
unsigned int sip_sdp_append(const char *body, size_t len, struct np_sip_sdp *sdp, bool want_o);

/**
 * Walk a multipart body, appending the SDP of each application/sdp part
 * (recursing into nested multipart up to a small depth).
 * @return number of SDP parts found.
 */
unsigned int sip_multipart_sdp(const char *body, size_t len, struct np_sip_view boundary,
			       struct np_sip_sdp *sdp, unsigned int depth, bool want_o);

/** Content-Type value helpers: media type before ';', trimmed; boundary param. */
struct np_sip_view sip_ct_media(struct np_sip_view ct);
struct np_sip_view sip_ct_boundary(struct np_sip_view ct);

#endif /* NP_SIP_INTERNAL_H */
