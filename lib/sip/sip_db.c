/* SPDX-License-Identifier: BSD-3-Clause */
/* Hyperscan database and scratch management for header-name recognition. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sip_internal.h"

#define N(s, id)                     \
	{                            \
		s, sizeof(s) - 1, id \
	}
#define C(s, id)                                       \
	{                                              \
		s, sizeof(s) - 1, (id) + SIP_H_COMPACT \
	}

const struct sip_hdr_name sip_hdr_names[] = {
	N("via", SIP_H_VIA),
	C("v", SIP_H_VIA),
	N("route", SIP_H_ROUTE),
	N("record-route", SIP_H_RECORD_ROUTE),
	N("path", SIP_H_PATH),
	N("service-route", SIP_H_SERVICE_ROUTE),
	N("contact", SIP_H_CONTACT),
	C("m", SIP_H_CONTACT),
	N("from", SIP_H_FROM),
	C("f", SIP_H_FROM),
	N("to", SIP_H_TO),
	C("t", SIP_H_TO),
	N("call-id", SIP_H_CALL_ID),
	C("i", SIP_H_CALL_ID),
	N("cseq", SIP_H_CSEQ),
	N("content-length", SIP_H_CONTENT_LENGTH),
	C("l", SIP_H_CONTENT_LENGTH),
	N("content-type", SIP_H_CONTENT_TYPE),
	C("c", SIP_H_CONTENT_TYPE),
	N("content-encoding", SIP_H_CONTENT_ENCODING),
	C("e", SIP_H_CONTENT_ENCODING),
	N("supported", SIP_H_SUPPORTED),
	C("k", SIP_H_SUPPORTED),
	N("subject", SIP_H_SUBJECT),
	C("s", SIP_H_SUBJECT),
	N("event", SIP_H_EVENT),
	C("o", SIP_H_EVENT),
	N("warning", SIP_H_WARNING),
	N("user-agent", SIP_H_USER_AGENT),
	N("server", SIP_H_SERVER),
	N("max-forwards", SIP_H_MAX_FORWARDS),
};

#undef N
#undef C

const unsigned int sip_n_hdr_names = sizeof(sip_hdr_names) / sizeof(sip_hdr_names[0]);

#define SIP_N_EXPR (sizeof(sip_hdr_names) / sizeof(sip_hdr_names[0]) + 1)
#define SIP_EXPR_LEN 32

int sip_hdr_lookup(const char *p, size_t len, uint32_t mask)
{
	for (unsigned int i = 0; i < sip_n_hdr_names; i++)
		if (sip_eq_ci(p, len, sip_hdr_names[i].name, sip_hdr_names[i].len))
			return (mask >> (sip_hdr_names[i].id % SIP_H_COMPACT)) & 1
				       ? sip_hdr_names[i].id
				       : -1;
	return -1;
}

uint32_t sip_db_set_mask(enum np_sip_hdr_set set)
{
	const uint32_t all = (1u << SIP_H_MAX) - 1;

	if (set == NP_SIP_HDRS_INSPECT)
		return all &
		       ~((1u << SIP_H_SUPPORTED) | (1u << SIP_H_SUBJECT) | (1u << SIP_H_EVENT) |
			 (1u << SIP_H_MAX_FORWARDS) | (1u << SIP_H_CONTENT_ENCODING));
	return all;
}

uint32_t sip_db_lazy_mask(enum np_sip_hdr_set set)
{
	/*
	 * np_sip_parse_inspect()'s names: what the summary reads, From not
	 * among them. Only for the inspection's set (a second database costs
	 * start-up time where it is compiled, ~25 M instructions): with the
	 * other sets it scans with the full one and leaves From unparsed.
	 */
	return set == NP_SIP_HDRS_INSPECT ? sip_db_set_mask(set) & ~(1u << SIP_H_FROM)
					  : sip_db_set_mask(set);
}

/*
 * The scan covers the header lines with the LF that ends the start line in
 * front, so every header line starts right after an LF. "\nname:" (caseless)
 * is a pure literal, which Hyperscan matches several times faster than
 * "^name[ \t]*:" with MULTILINE; the rare "name :" form is caught by one
 * bounded expression and classified in C. Folded continuation lines start
 * with SP/HT and never match. A match ends just after the ':', where the value
 * starts.
 */
static const char sip_ws_name_expr[] = "\\n[a-z-]{1,32}[ \\t]+:";

/*
 * The expressions of the headers in @p mask (the name literals, then the
 * "name :" expression), their flags and ids; *key gets their FNV-1a 64 hash
 * (each expression with its NUL, flags and id), which names the list a
 * prebuilt database was compiled from. @return how many.
 */
static unsigned int names_exprs(uint32_t mask, char bufs[SIP_N_EXPR][SIP_EXPR_LEN],
				const char *exprs[SIP_N_EXPR], unsigned int flags[SIP_N_EXPR],
				unsigned int ids[SIP_N_EXPR], uint64_t *key)
{
	uint64_t h = 0xcbf29ce484222325ull;
	unsigned int n = 0;

	for (unsigned int i = 0; i < sip_n_hdr_names; i++) {
		if (!((mask >> (sip_hdr_names[i].id % SIP_H_COMPACT)) & 1))
			continue;
		snprintf(bufs[n], SIP_EXPR_LEN, "\\n%s:", sip_hdr_names[i].name);
		exprs[n] = bufs[n];
		flags[n] = HS_FLAG_CASELESS;
		ids[n] = sip_hdr_names[i].id;
		n++;
	}
	exprs[n] = sip_ws_name_expr;
	flags[n] = HS_FLAG_CASELESS;
	ids[n] = SIP_H_WS_NAME;
	n++;
	for (unsigned int i = 0; i < n; i++) {
		const unsigned char *p = (const unsigned char *)exprs[i];
		const uint32_t tail[2] = { flags[i], ids[i] };

		do
			h = (h ^ *p) * 0x100000001b3ull;
		while (*p++ != '\0');
		for (unsigned int j = 0; j < sizeof(tail); j++)
			h = (h ^ ((const unsigned char *)tail)[j]) * 0x100000001b3ull;
	}
	*key = h;
	return n;
}

int sip_db_compile(uint32_t mask, hs_database_t **out, uint64_t *key, char *errbuf, size_t errlen)
{
	char bufs[SIP_N_EXPR][SIP_EXPR_LEN];
	const char *exprs[SIP_N_EXPR];
	unsigned int flags[SIP_N_EXPR];
	unsigned int ids[SIP_N_EXPR];
	hs_compile_error_t *cerr = NULL;
	unsigned int n = names_exprs(mask, bufs, exprs, flags, ids, key);

	if (hs_compile_multi(exprs, flags, ids, n, HS_MODE_BLOCK, NULL, out, &cerr) == HS_SUCCESS)
		return 0;
	if (errbuf && errlen) {
		int idx = cerr ? cerr->expression : -1;
		snprintf(errbuf, errlen, "expression %d (`%s`): %s", idx,
			 idx >= 0 && (unsigned int)idx < n ? exprs[idx] : "",
			 cerr && cerr->message ? cerr->message : "unknown error");
	}
	hs_free_compile_error(cerr);
	return -1;
}

#ifndef NP_SIP_DB_GEN
struct np_sip_db *np_sip_db_create(char *errbuf, size_t errlen)
{
	return np_sip_db_create_set(NP_SIP_HDRS_ALL, errbuf, errlen);
}

int sip_db_load(const struct sip_db_blob *blobs, unsigned int n_blobs, uint32_t mask,
		const hs_platform_info_t *plat, hs_database_t **out)
{
	char bufs[SIP_N_EXPR][SIP_EXPR_LEN];
	const char *exprs[SIP_N_EXPR];
	unsigned int flags[SIP_N_EXPR];
	unsigned int ids[SIP_N_EXPR];
	uint64_t key;

	(void)names_exprs(mask, bufs, exprs, flags, ids, &key);
	for (unsigned int i = 0; i < n_blobs; i++) {
		const struct sip_db_blob *b = &blobs[i];

		/* another CPU: compiling here targets its features, as natprobe did before */
		if (b->mask == mask && b->key == key && b->tune == plat->tune &&
		    b->cpu_features == plat->cpu_features)
			return hs_deserialize_database((const char *)b->bytes, b->len, out) ==
					       HS_SUCCESS
				       ? 0
				       : -1;
	}
	return -1;
}

/*
 * The database of the headers in @p mask into *out: the one compiled when
 * natprobe was built (sip_db_blob.c) where it is what compiling here would
 * give (same expressions, CPU features and tuning, a Hyperscan that loads
 * it), else compiled now. *prebuilt counts the loaded ones.
 * @return 0, or -1 with errbuf set.
 */
static int compile_names(uint32_t mask, hs_database_t **out, unsigned int *prebuilt, char *errbuf,
			 size_t errlen)
{
	hs_platform_info_t plat;
	uint64_t key;

	if (hs_populate_platform(&plat) == HS_SUCCESS &&
	    sip_db_load(sip_db_blobs, sip_n_db_blobs, mask, &plat, out) == 0) {
		(*prebuilt)++;
		return 0;
	}
	return sip_db_compile(mask, out, &key, errbuf, errlen);
}

struct np_sip_db *np_sip_db_create_set(enum np_sip_hdr_set set, char *errbuf, size_t errlen)
{
	struct np_sip_db *db;

	if (errbuf && errlen)
		errbuf[0] = '\0';
	db = calloc(1, sizeof(*db));
	if (!db) {
		errno = ENOMEM;
		return NULL;
	}
	db->mask = sip_db_set_mask(set);
	db->mask_lazy = sip_db_lazy_mask(set);
	db->sdp_o = set != NP_SIP_HDRS_INSPECT;
	if (compile_names(db->mask, &db->hs, &db->prebuilt, errbuf, errlen) < 0 ||
	    (db->mask_lazy != db->mask &&
	     compile_names(db->mask_lazy, &db->hs_lazy, &db->prebuilt, errbuf, errlen) < 0)) {
		hs_free_database(db->hs);
		free(db);
		errno = EINVAL;
		return NULL;
	}
	/* one scratch serves both databases (hs_alloc_scratch grows it to fit) */
	if (hs_alloc_scratch(db->hs, &db->proto) != HS_SUCCESS ||
	    (db->hs_lazy != NULL && hs_alloc_scratch(db->hs_lazy, &db->proto) != HS_SUCCESS)) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "hs_alloc_scratch failed");
		hs_free_scratch(db->proto);
		hs_free_database(db->hs_lazy);
		hs_free_database(db->hs);
		free(db);
		errno = ENOMEM;
		return NULL;
	}
	return db;
}

unsigned int np_sip_db_prebuilt(const struct np_sip_db *db)
{
	return db ? db->prebuilt : 0;
}

void np_sip_db_destroy(struct np_sip_db *db)
{
	if (!db)
		return;
	hs_free_scratch(db->proto);
	hs_free_database(db->hs_lazy);
	hs_free_database(db->hs);
	free(db);
}

struct np_sip_scratch *np_sip_scratch_clone(const struct np_sip_db *db)
{
	struct np_sip_scratch *s;

	if (!db) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	if (hs_clone_scratch(db->proto, &s->hs) != HS_SUCCESS) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

void np_sip_scratch_destroy(struct np_sip_scratch *s)
{
	if (!s)
		return;
	hs_free_scratch(s->hs);
	free(s);
}
#endif /* NP_SIP_DB_GEN */
