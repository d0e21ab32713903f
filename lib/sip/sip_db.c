/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The header-name set and character classes, and the per-worker scratch.
 *
 * Header names used to be recognised by a Hyperscan block scan; on a typical
 * 900-byte INVITE that scan alone cost more (about 3,500 instructions, 600 ns)
 * than the whole parse and summary now do. Every header line starts right
 * after an LF, and the parser visits every LF anyway to find the end of the
 * header section, so the names are now classified there: one 16-byte compare
 * per line against the candidates of its (length, first letter), built here
 * once at start. See docs in np_sip.h.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sip_internal.h"

#define N(s, id) { s, sizeof(s) - 1, id }
#define C(s, id) { s, sizeof(s) - 1, (id) + SIP_H_COMPACT }

const struct sip_hdr_name sip_hdr_names[] = {
	N("via", SIP_H_VIA), C("v", SIP_H_VIA),
	N("route", SIP_H_ROUTE),
	N("record-route", SIP_H_RECORD_ROUTE),
	N("path", SIP_H_PATH),
	N("service-route", SIP_H_SERVICE_ROUTE),
	N("contact", SIP_H_CONTACT), C("m", SIP_H_CONTACT),
	N("from", SIP_H_FROM), C("f", SIP_H_FROM),
	N("to", SIP_H_TO), C("t", SIP_H_TO),
	N("call-id", SIP_H_CALL_ID), C("i", SIP_H_CALL_ID),
	N("cseq", SIP_H_CSEQ),
	N("content-length", SIP_H_CONTENT_LENGTH), C("l", SIP_H_CONTENT_LENGTH),
	N("content-type", SIP_H_CONTENT_TYPE), C("c", SIP_H_CONTENT_TYPE),
	N("content-encoding", SIP_H_CONTENT_ENCODING), C("e", SIP_H_CONTENT_ENCODING),
	N("supported", SIP_H_SUPPORTED), C("k", SIP_H_SUPPORTED),
	N("subject", SIP_H_SUBJECT), C("s", SIP_H_SUBJECT),
	N("event", SIP_H_EVENT), C("o", SIP_H_EVENT),
	N("warning", SIP_H_WARNING),
	N("user-agent", SIP_H_USER_AGENT),
	N("server", SIP_H_SERVER),
	N("max-forwards", SIP_H_MAX_FORWARDS),
};

#undef N
#undef C

const unsigned int sip_n_hdr_names = sizeof(sip_hdr_names) / sizeof(sip_hdr_names[0]);

/* SIP_C_* per byte value; bytes >= 0x80 are in no class. */
const uint16_t sip_ctype[256] = {
	0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x283, 0x002, 0x000, 0x000, 0x002, 0x000, 0x000,
	0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000, 0x000,
	0x283, 0x028, 0x000, 0x000, 0x000, 0x008, 0x000, 0x028, 0x000, 0x000, 0x008, 0x028, 0x000, 0x078, 0x028, 0x000,
	0x02c, 0x02c, 0x02c, 0x02c, 0x02c, 0x02c, 0x02c, 0x02c, 0x02c, 0x02c, 0x300, 0x380, 0x000, 0x080, 0x000, 0x000,
	0x000, 0x078, 0x078, 0x078, 0x078, 0x078, 0x078, 0x078, 0x078, 0x078, 0x078, 0x078, 0x078, 0x078, 0x078, 0x078,
	0x078, 0x078, 0x078, 0x078, 0x078, 0x078, 0x078, 0x078, 0x078, 0x078, 0x078, 0x000, 0x000, 0x000, 0x000, 0x028,
	0x028, 0x038, 0x038, 0x038, 0x038, 0x038, 0x038, 0x038, 0x038, 0x038, 0x038, 0x038, 0x038, 0x038, 0x038, 0x038,
	0x038, 0x038, 0x038, 0x038, 0x038, 0x038, 0x038, 0x038, 0x038, 0x038, 0x038, 0x000, 0x000, 0x000, 0x028, 0x000,
};

uint64_t sip_mask_short(const char *p, size_t n, char a, char b)
{
	char tmp[64];

	memset(tmp, 0, sizeof(tmp));
	memcpy(tmp, p, n);
	return sip_mask64(tmp, a, b) & ((1ull << n) - 1); /* n < 64; a or b may be NUL */
}

int sip_hdr_lookup(const char *p, size_t len)
{
	for (unsigned int i = 0; i < sip_n_hdr_names; i++)
		if (sip_eq_ci(p, len, sip_hdr_names[i].name, sip_hdr_names[i].len))
			return sip_hdr_names[i].id;
	return -1;
}

/* Build the classifier tables; -1 (with errbuf set) when a name does not fit them. */
static int db_build(struct np_sip_db *db, char *errbuf, size_t errlen)
{
	for (unsigned int i = 0; i < sip_n_hdr_names; i++) {
		const struct sip_hdr_name *h = &sip_hdr_names[i];
		unsigned int k = h->len, idx = db->n;
		uint8_t *slot;

		if (k > SIP_FAST_NAME_MAX)
			continue; /* classified by the scalar path */
		if (db->n >= sizeof(db->id)) {
			snprintf(errbuf, errlen, "expression %u (`%s`): too many names", i, h->name);
			return -1;
		}
		for (unsigned int j = 0; j < k; j++) {
			char c = h->name[j];

			if (!sip_ct(c, SIP_C_NAME) || sip_lc(c) != c) {
				snprintf(errbuf, errlen, "expression %u (`%s`): not a lower-case name",
					 i, h->name);
				return -1;
			}
			db->pat[idx][j] = (uint8_t)c;
			db->orm[idx][j] = c == '-' ? 0 : 0x20;
		}
		slot = db->fast[k - 1][(unsigned int)h->name[0] & 31u];
		if (slot[0] && slot[1]) {
			snprintf(errbuf, errlen, "expression %u (`%s`): more than two names of its "
				 "length and first letter", i, h->name);
			return -1;
		}
		slot[slot[0] ? 1 : 0] = (uint8_t)(idx + 1);
		db->id[idx] = h->id;
		db->n++;
	}
	return 0;
}

struct np_sip_db *np_sip_db_create(char *errbuf, size_t errlen)
{
	char dummy[1];
	struct np_sip_db *db;

	if (!errbuf || !errlen) {
		errbuf = dummy;
		errlen = sizeof(dummy);
	}
	errbuf[0] = '\0';
	db = aligned_alloc(64, (sizeof(*db) + 63) & ~(size_t)63);
	if (!db) {
		snprintf(errbuf, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	memset(db, 0, sizeof(*db));
	if (db_build(db, errbuf, errlen) < 0) {
		free(db);
		errno = EINVAL;
		return NULL;
	}
	return db;
}

void np_sip_db_destroy(struct np_sip_db *db)
{
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
	return s;
}

void np_sip_scratch_destroy(struct np_sip_scratch *s)
{
	free(s);
}
