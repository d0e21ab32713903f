/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the config loader (libcyaml schema, the libyaml line
 * pass and the validators) on arbitrary files. Whatever the input, loading
 * returns 0, or a negative errno with error text of one error per line, each
 * naming the file (at most the cap and a "more" line), and never crashes or
 * leaks.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "np_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct np_conf conf;
	char err[1024];
	FILE *f;
	int ret;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/np_fuzz_conf_%d.yaml", (int)getpid());
	f = fopen(path, "wb");
	if (f == NULL)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	err[0] = '\0';
	ret = np_conf_load(path, &conf, err, sizeof(err));
	if (ret == 0) {
		/* A config that loads is internally consistent. */
		if (conf.n_ports == 0 || conf.n_segments == 0 || conf.eal.n_workers == 0)
			abort();
		for (unsigned int s = 0; s < conf.n_segments; s++)
			if (conf.segments[s].mode == NP_SEG_INLINE && conf.segments[s].n_ports != 2)
				abort();
		np_conf_free(&conf);
	} else {
		/* one error per line, each naming the file, at most the cap and a "more" line */
		unsigned int lines = 0;

		if (err[0] == '\0')
			abort();
		for (const char *p = err; *p; lines++) {
			const char *nl = strchr(p, '\n');

			if (strncmp(p, path, strlen(path)) != 0 || (nl != NULL && nl[1] == '\0'))
				abort();
			p = nl != NULL ? nl + 1 : p + strlen(p);
		}
		if (lines > NP_CONF_MAX_ERRORS + 1)
			abort();
	}
	return 0;
}
