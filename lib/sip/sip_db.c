/* SPDX-License-Identifier: BSD-3-Clause */
/* Hyperscan database and scratch management for header-name recognition. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sip_internal.h"

struct sip_name {
	const char *expr;
	unsigned int id;
};

/*
 * One expression per header name form. MULTILINE makes '^' match after every
 * LF; the scan starts after the start line, so '^' also covers the first
 * header. A folded continuation line starts with SP/HT and never matches.
 * The match end is just after the ':', where the value starts.
 */
static const struct sip_name sip_names[] = {
	{ "^via[ \\t]*:", SIP_H_VIA },
	{ "^v[ \\t]*:", SIP_H_VIA + SIP_H_COMPACT },
	{ "^route[ \\t]*:", SIP_H_ROUTE },
	{ "^record-route[ \\t]*:", SIP_H_RECORD_ROUTE },
	{ "^path[ \\t]*:", SIP_H_PATH },
	{ "^service-route[ \\t]*:", SIP_H_SERVICE_ROUTE },
	{ "^contact[ \\t]*:", SIP_H_CONTACT },
	{ "^m[ \\t]*:", SIP_H_CONTACT + SIP_H_COMPACT },
	{ "^from[ \\t]*:", SIP_H_FROM },
	{ "^f[ \\t]*:", SIP_H_FROM + SIP_H_COMPACT },
	{ "^to[ \\t]*:", SIP_H_TO },
	{ "^t[ \\t]*:", SIP_H_TO + SIP_H_COMPACT },
	{ "^call-id[ \\t]*:", SIP_H_CALL_ID },
	{ "^i[ \\t]*:", SIP_H_CALL_ID + SIP_H_COMPACT },
	{ "^cseq[ \\t]*:", SIP_H_CSEQ },
	{ "^content-length[ \\t]*:", SIP_H_CONTENT_LENGTH },
	{ "^l[ \\t]*:", SIP_H_CONTENT_LENGTH + SIP_H_COMPACT },
	{ "^content-type[ \\t]*:", SIP_H_CONTENT_TYPE },
	{ "^c[ \\t]*:", SIP_H_CONTENT_TYPE + SIP_H_COMPACT },
	{ "^content-encoding[ \\t]*:", SIP_H_CONTENT_ENCODING },
	{ "^e[ \\t]*:", SIP_H_CONTENT_ENCODING + SIP_H_COMPACT },
	{ "^supported[ \\t]*:", SIP_H_SUPPORTED },
	{ "^k[ \\t]*:", SIP_H_SUPPORTED + SIP_H_COMPACT },
	{ "^subject[ \\t]*:", SIP_H_SUBJECT },
	{ "^s[ \\t]*:", SIP_H_SUBJECT + SIP_H_COMPACT },
	{ "^event[ \\t]*:", SIP_H_EVENT },
	{ "^o[ \\t]*:", SIP_H_EVENT + SIP_H_COMPACT },
	{ "^warning[ \\t]*:", SIP_H_WARNING },
	{ "^user-agent[ \\t]*:", SIP_H_USER_AGENT },
	{ "^server[ \\t]*:", SIP_H_SERVER },
	{ "^max-forwards[ \\t]*:", SIP_H_MAX_FORWARDS },
};

#define SIP_N_NAMES (sizeof(sip_names) / sizeof(sip_names[0]))

struct np_sip_db *np_sip_db_create(char *errbuf, size_t errlen)
{
	const char *exprs[SIP_N_NAMES];
	unsigned int flags[SIP_N_NAMES];
	unsigned int ids[SIP_N_NAMES];
	hs_compile_error_t *cerr = NULL;
	struct np_sip_db *db;

	if (errbuf && errlen)
		errbuf[0] = '\0';
	for (size_t i = 0; i < SIP_N_NAMES; i++) {
		exprs[i] = sip_names[i].expr;
		flags[i] = HS_FLAG_CASELESS | HS_FLAG_MULTILINE;
		ids[i] = sip_names[i].id;
	}
	db = calloc(1, sizeof(*db));
	if (!db) {
		errno = ENOMEM;
		return NULL;
	}
	if (hs_compile_multi(exprs, flags, ids, SIP_N_NAMES, HS_MODE_BLOCK, NULL, &db->hs,
			     &cerr) != HS_SUCCESS) {
		if (errbuf && errlen) {
			int idx = cerr ? cerr->expression : -1;
			snprintf(errbuf, errlen, "expression %d (`%s`): %s", idx,
				 idx >= 0 && (size_t)idx < SIP_N_NAMES ? exprs[idx] : "",
				 cerr && cerr->message ? cerr->message : "unknown error");
		}
		hs_free_compile_error(cerr);
		free(db);
		errno = EINVAL;
		return NULL;
	}
	if (hs_alloc_scratch(db->hs, &db->proto) != HS_SUCCESS) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "hs_alloc_scratch failed");
		hs_free_database(db->hs);
		free(db);
		errno = ENOMEM;
		return NULL;
	}
	return db;
}

void np_sip_db_destroy(struct np_sip_db *db)
{
	if (!db)
		return;
	hs_free_scratch(db->proto);
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
