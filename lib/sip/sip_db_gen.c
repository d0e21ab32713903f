/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sip_db_gen OUT.c: the header-name databases natprobe compiles at start,
 * compiled once at build time and written out serialised, as C arrays
 * (struct sip_db_blob), for np_sip_db_create_set() to load instead
 * (sip_db_load()). Compiled from the same sip_db.c, so the expressions are
 * the library's own; each database carries their hash and the platform
 * (CPU features, tuning) it was compiled for, this machine's.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_internal.h"

static int write_blob(FILE *f, unsigned int i, const char *bytes, size_t len)
{
	if (fprintf(f, "static const unsigned char blob%u[%zu] = {", i, len) < 0)
		return -1;
	for (size_t j = 0; j < len; j++)
		if (fprintf(f, "%s%u,", j % 24 ? "" : "\n\t", (unsigned char)bytes[j]) < 0)
			return -1;
	return fputs("\n};\n\n", f) < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	const enum np_sip_hdr_set sets[] = { NP_SIP_HDRS_ALL, NP_SIP_HDRS_INSPECT };
	uint32_t masks[4];
	uint64_t keys[4];
	unsigned int n = 0;
	const char *out = argv[1];
	hs_platform_info_t plat;
	char err[256];
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: sip_db_gen OUT.c\n");
		return 2;
	}
	for (unsigned int s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		const uint32_t m[2] = { sip_db_set_mask(sets[s]), sip_db_lazy_mask(sets[s]) };

		for (unsigned int k = 0; k < 2; k++) {
			bool seen = false;

			for (unsigned int j = 0; j < n; j++)
				seen |= masks[j] == m[k];
			if (!seen)
				masks[n++] = m[k];
		}
	}
	/* what hs_compile_multi() targets with no platform given: this machine */
	if (hs_populate_platform(&plat) != HS_SUCCESS) {
		fprintf(stderr, "sip_db_gen: hs_populate_platform failed\n");
		return 1;
	}
	f = fopen(out, "w");
	if (!f) {
		fprintf(stderr, "sip_db_gen: %s: %s\n", out, strerror(errno));
		return 1;
	}
	fputs("/* Written by lib/sip/sip_db_gen at build time; do not edit. */\n\n"
	      "#include \"sip_internal.h\"\n\n",
	      f);
	for (unsigned int i = 0; i < n; i++) {
		hs_database_t *db = NULL;
		char *bytes = NULL;
		size_t len = 0;

		if (sip_db_compile(masks[i], &db, &keys[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "sip_db_gen: %s\n", err);
			fclose(f);
			remove(out); /* no half-written file for the next build to take */
			return 1;
		}
		if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS ||
		    write_blob(f, i, bytes, len) < 0) {
			fprintf(stderr, "sip_db_gen: %s: cannot write the database\n", out);
			free(bytes);
			hs_free_database(db);
			fclose(f);
			remove(out);
			return 1;
		}
		free(bytes);
		hs_free_database(db);
	}
	fputs("const struct sip_db_blob sip_db_blobs[] = {\n", f);
	for (unsigned int i = 0; i < n; i++)
		fprintf(f, "\t{ %#x, %#llxull, %u, %#llxull, sizeof(blob%u), blob%u },\n", masks[i],
			(unsigned long long)keys[i], plat.tune, plat.cpu_features, i, i);
	fprintf(f, "};\n\nconst unsigned int sip_n_db_blobs = %u;\n", n);
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, "sip_db_gen: %s: %s\n", out, strerror(errno));
		remove(out);
		return 1;
	}
	return 0;
}
