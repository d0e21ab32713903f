/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EXPLOG_INTERNAL_H
#define EXPLOG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "np_explog.h"

#define XL_FNV0 0xcbf29ce484222325ull

static inline uint64_t xl_fnv(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static inline bool xl_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline char xl_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static inline bool xl_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static inline bool xl_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Case-insensitive: do the @p n bytes at @p p equal the NUL-terminated @p s? */
static inline bool xl_ieq(const char *p, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\0' || xl_lower(p[i]) != xl_lower(s[i]))
			return false;
	return s[i] == '\0';
}

/* Append-only output with a byte budget: counts what would be written. */
struct xl_out {
	char *p;
	size_t cap;
	size_t n;
};

static inline void xl_put(struct xl_out *o, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++, o->n++)
		if (o->n < o->cap)
			o->p[o->n] = s[i];
}

static inline void xl_putc(struct xl_out *o, char c)
{
	if (o->n < o->cap)
		o->p[o->n] = c;
	o->n++;
}

/* Is the header named by the @p n bytes at @p name (no ':') one the dump is split at? */
bool xl_known_header(const char *name, size_t n);

/*
 * The hash a summary and a dump of the same transaction share: Call-ID,
 * CSeq number, CSeq method.
 */
uint64_t xl_txn_hash(const char *call_id, size_t cid_len, uint32_t cseq, const char *method,
		     size_t mlen);

/*
 * Find header @p name (or compact @p compact, may be NULL) in a message;
 * @p nth: which occurrence (0 = first). @return its value (trimmed) or NULL.
 */
const char *xl_header(const char *msg, size_t len, const char *name, const char *compact,
		      unsigned int nth, size_t *vlen);

#endif /* EXPLOG_INTERNAL_H */
