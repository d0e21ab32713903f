/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the config loader (libcyaml schema, the libyaml line
 * pass and the validators) on arbitrary files. Whatever the input, loading
 * returns 0 or a negative errno with one line of error text, and never
 * crashes or leaks.
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
	} else if (err[0] == '\0' || strchr(err, '\n') != NULL) {
		abort();	/* every error is exactly one line */
	}
	return 0;
}
