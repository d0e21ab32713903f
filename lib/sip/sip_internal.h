/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_SIP_INTERNAL_H
#define NP_SIP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "np_sip.h"

/** Recognised headers (ids in sip_hdr_names and the scratch matches). */
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
/** Id of a "name<SP/HT>+:" line whose name is not recognised (still counts as a match). */
#define SIP_H_UNKNOWN 255u

/** A header name form the database recognises. */
struct sip_hdr_name {
	const char *name;	/**< lower case */
	uint8_t len;
	uint8_t id;		/**< enum sip_hdr, + SIP_H_COMPACT for compact forms */
};

extern const struct sip_hdr_name sip_hdr_names[];
extern const unsigned int sip_n_hdr_names;

/** Id (as in sip_hdr_names) of a header name, any case; -1 when not recognised. */
int sip_hdr_lookup(const char *p, size_t len);

/** One recognised header line, in message order. */
struct sip_match {
	uint32_t val;	/**< offset of the value (just after the ':') from the scan start */
	uint32_t eol;	/**< offset of the LF ending the line's first physical line */
	uint32_t id;	/**< enum sip_hdr (+ SIP_H_COMPACT) */
};

/** Longest header name recognised (content-encoding). */
#define SIP_NAME_MAX 16u
/** Name lengths the vector classifier handles (the ':' must be in the first 16 bytes). */
#define SIP_FAST_NAME_MAX 15u

/**
 * The "compiled" header-name set, built once by np_sip_db_create() and then
 * only read. fast[len - 1][first letter & 31] lists up to two candidates
 * (index + 1 into pat/orm/id) for the vector classifier: a name matches when
 * (bytes | orm) == pat over its length (orm is 0x20 on letters, so case is
 * ignored there, and 0 on '-', which must be exact).
 */
struct np_sip_db {
	uint8_t fast[SIP_FAST_NAME_MAX][32][2];
	uint8_t pat[64][16] __attribute__((aligned(16)));
	uint8_t orm[64][16] __attribute__((aligned(16)));
	uint8_t id[64];
	uint8_t n;
};

struct np_sip_scratch {
	uint32_t n;		/**< matches recorded */
	bool overflow;		/**< more than NP_SIP_MAX_MATCHES */
	struct sip_match m[NP_SIP_MAX_MATCHES];
};

/* Character classes, one table lookup each (sip_ctype[]). */
#define SIP_C_WS	0x01u	/**< SP HT */
#define SIP_C_LWS	0x02u	/**< SP HT CR LF (what sip_trim strips) */
#define SIP_C_DIGIT	0x04u
#define SIP_C_TOKEN	0x08u	/**< RFC 3261 token */
#define SIP_C_NAME	0x10u	/**< header-name characters the classifier accepts: A-Z a-z - */
#define SIP_C_SCHEME	0x20u	/**< URI scheme characters accepted: token minus % and * */
#define SIP_C_UPPER	0x40u	/**< A-Z and '-' (request-line method signature) */
#define SIP_C_PNAME_END	0x80u	/**< = ; SP HT: end of a parameter name */
#define SIP_C_HOST_END	0x100u	/**< : ; : end of a URI host */
#define SIP_C_VHOST_END	0x200u	/**< : ; SP HT: end of a Via sent-by host */

extern const uint16_t sip_ctype[256];

static inline bool sip_ct(char c, unsigned int cls)
{
	return (sip_ctype[(uint8_t)c] & cls) != 0;
}

static inline bool sip_is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static inline char sip_lc(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static inline bool sip_is_digit(char c)
{
	return (unsigned char)(c - '0') < 10;
}

/** RFC 3261 token characters. */
static inline bool sip_is_token(char c)
{
	return sip_ct(c, SIP_C_TOKEN);
}

static inline struct np_sip_view sip_view(const char *p, size_t len)
{
	struct np_sip_view v = { p, (uint32_t)len };
	return v;
}

/** Trim SP, HT, CR, LF on both ends. */
static inline struct np_sip_view sip_trim(struct np_sip_view v)
{
	while (v.len && sip_ct(v.p[0], SIP_C_LWS)) {
		v.p++;
		v.len--;
	}
	while (v.len && sip_ct(v.p[v.len - 1], SIP_C_LWS))
		v.len--;
	return v;
}

/* Eight bytes with A-Z turned into a-z (other bytes unchanged), for sip_eq_ci. */
static inline uint64_t sip_lc8(uint64_t w)
{
	const uint64_t h = 0x8080808080808080ull, l7 = 0x7f7f7f7f7f7f7f7full;
	uint64_t x = w & l7;
	uint64_t ge_a = x + 0x3f3f3f3f3f3f3f3full;	/* bit 7 set when byte >= 'A' */
	uint64_t gt_z = x + 0x2525252525252525ull;	/* bit 7 set when byte > 'Z' */
	uint64_t upper = (ge_a & ~gt_z) & ~w & h;

	return w | (upper >> 2);
}

static inline uint64_t sip_load8(const char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

/* 4 <= n <= 8 bytes as one word (two overlapping 4-byte loads): equal bytes, equal words. */
static inline uint64_t sip_load4x2(const char *p, size_t n)
{
	uint32_t lo, hi;

	memcpy(&lo, p, 4);
	memcpy(&hi, p + n - 4, 4);
	return (uint64_t)hi << 32 | lo;
}

/** Equal ignoring ASCII case (A-Z only, as sip_lc). */
static inline bool sip_eq_ci(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return false;
	if (alen >= 8) {
		for (i = 0; i + 8 < alen; i += 8)
			if (sip_lc8(sip_load8(a + i)) != sip_lc8(sip_load8(b + i)))
				return false;
		/* the last 8 bytes, overlapping the previous word */
		return sip_lc8(sip_load8(a + alen - 8)) == sip_lc8(sip_load8(b + alen - 8));
	}
	if (alen >= 4)
		return sip_lc8(sip_load4x2(a, alen)) == sip_lc8(sip_load4x2(b, alen));
	for (i = 0; i < alen; i++)
		if (sip_lc(a[i]) != sip_lc(b[i]))
			return false;
	return true;
}

static inline bool sip_prefix_ci(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen >= blen && sip_eq_ci(a, blen, b, blen);
}

/*
 * First byte of [p, end) equal to a or b (pass a twice for one byte), or end.
 * Reads only inside [lo, end), lo <= p: 16 bytes at a time, the last short
 * chunk as the 16 bytes ending at end when there are that many from lo.
 */
static inline const char *sip_find2(const char *p, const char *end, const char *lo, char a, char b)
{
#if defined(__SSE2__)
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
	unsigned int m;

	while (end - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);

		m = (unsigned int)_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)));
		if (m)
			return p + __builtin_ctz(m);
		p += 16;
	}
	if (p < end && end - lo >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(end - 16));

		m = (unsigned int)_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)));
		m >>= 16 - (unsigned int)(end - p);
		return m ? p + __builtin_ctz(m) : end;
	}
#else
	(void)lo;
#endif
	while (p < end && *p != a && *p != b)
		p++;
	return p;
}

/* As sip_find2, for any of four bytes. */
static inline const char *sip_find4(const char *p, const char *end, const char *lo, char a, char b,
				    char c, char d)
{
#if defined(__SSE2__)
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
	const __m128i vc = _mm_set1_epi8(c), vd = _mm_set1_epi8(d);
	unsigned int m;

#define SIP_FIND4_MASK(x)                                                                          \
	(unsigned int)_mm_movemask_epi8(                                                           \
		_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)),           \
			     _mm_or_si128(_mm_cmpeq_epi8(x, vc), _mm_cmpeq_epi8(x, vd))))
	while (end - p >= 16) {
		m = SIP_FIND4_MASK(_mm_loadu_si128((const __m128i *)(const void *)p));
		if (m)
			return p + __builtin_ctz(m);
		p += 16;
	}
	if (p < end && end - lo >= 16) {
		m = SIP_FIND4_MASK(_mm_loadu_si128((const __m128i *)(const void *)(end - 16)));
		m >>= 16 - (unsigned int)(end - p);
		return m ? p + __builtin_ctz(m) : end;
	}
#undef SIP_FIND4_MASK
#else
	(void)lo;
#endif
	while (p < end && *p != a && *p != b && *p != c && *p != d)
		p++;
	return p;
}

/* Bit i set when p[i] is a or b, for the 64 bytes at p. */
static inline uint64_t sip_mask64(const char *p, char a, char b)
{
#if defined(__SSE2__)
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
	uint64_t m[4];

	for (unsigned int i = 0; i < 4; i++) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));

		m[i] = (uint16_t)_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)));
	}
	return m[0] | (m[1] << 16) | (m[2] << 32) | (m[3] << 48);
#else
	uint64_t m = 0;

	for (unsigned int i = 0; i < 64; i++)
		m |= (uint64_t)(p[i] == a || p[i] == b) << i;
	return m;
#endif
}

/* sip_mask64() of fewer than 64 bytes (n), through a copy. */
uint64_t sip_mask_short(const char *p, size_t n, char a, char b);

/*
 * sip_mask64() of the block at base + off, for a buffer of len bytes: bits
 * past the end are 0. Reads only [base, base + len): a short last block is
 * read as the 64 bytes ending at base + len when there are that many.
 */
static inline uint64_t sip_block(const char *base, size_t len, size_t off, char a, char b)
{
	size_t n = len - off;

	if (n >= 64)
		return sip_mask64(base + off, a, b);
	if (len >= 64)
		return sip_mask64(base + len - 64, a, b) >> (64 - n);
	return sip_mask_short(base + off, n, a, b);
}

/*
 * The LF bytes of [base + off, base + len), in order, found 64 bytes at a time
 * (a bit mask per block), so walking lines costs a few instructions per line
 * instead of a memchr call each.
 */
struct sip_lf {
	const char *base;
	size_t len;
	size_t blk;		/* offset of the current block */
	uint64_t mask;		/* LFs of the current block not returned yet */
};

static inline void sip_lf_init(struct sip_lf *it, const char *base, size_t off, size_t len)
{
	it->base = base;
	it->len = len;
	it->blk = off;
	it->mask = off < len ? sip_block(base, len, off, '\n', '\n') : 0;
}

/** Next LF, or NULL when there is none left. */
static inline const char *sip_lf_next(struct sip_lf *it)
{
	const char *lf;

	while (!it->mask) {
		it->blk += 64;
		if (it->blk >= it->len)
			return NULL;
		it->mask = sip_block(it->base, it->len, it->blk, '\n', '\n');
	}
	lf = it->base + it->blk + (unsigned int)__builtin_ctzll(it->mask);
	it->mask &= it->mask - 1;
	return lf;
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

/** np_sip_param_find() with the name's length given. */
bool sip_param_find(struct np_sip_view params, const char *name, size_t nlen,
		    struct np_sip_view *val);

/** Parse one Via value into @p via (raw already set). @return 0 or -1. */
int sip_via_parse(struct np_sip_via *via);

/**
 * Split @p v (trimmed, as slice_value() makes header values) at commas outside
 * quotes and <>; call @p fn per trimmed non-empty piece.
 */
typedef void (*sip_split_fn)(struct np_sip_view piece, void *arg);
void sip_split_commas(struct np_sip_view v, sip_split_fn fn, void *arg);

/** Fill from/to from a trimmed header value. */
void sip_nameaddr_parse(struct np_sip_view v, struct np_sip_nameaddr *na);

/** Append the SDP lines of @p body to @p sdp (no reset). @return lines seen. */
unsigned int sip_sdp_append(const char *body, size_t len, struct np_sip_sdp *sdp);

/**
 * Walk a multipart body, appending the SDP of each application/sdp part
 * (recursing into nested multipart up to a small depth).
 * @return number of SDP parts found.
 */
unsigned int sip_multipart_sdp(const char *body, size_t len, struct np_sip_view boundary,
			       struct np_sip_sdp *sdp, unsigned int depth);

/** Content-Type value helpers: media type before ';', trimmed; boundary param. */
struct np_sip_view sip_ct_media(struct np_sip_view ct);
struct np_sip_view sip_ct_boundary(struct np_sip_view ct);

#endif /* NP_SIP_INTERNAL_H */
