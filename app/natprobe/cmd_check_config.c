/* SPDX-License-Identifier: BSD-3-Clause */
/* natprobe check-config FILE */

#include <stdio.h>
#include <string.h>

#include "np_app.h"

int np_cmd_check_config(int argc, char **argv)
{
	struct np_conf conf;
	char err[1024];

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		puts("Usage: natprobe check-config FILE\n"
		     "Validate a config; prints 'FILE: ok' or one error line naming the field.");
		return NP_EXIT_OK;
	}
	if (argc != 2) {
		np_err("check-config takes exactly one FILE; see natprobe --help");
		return NP_EXIT_USAGE;
	}
	if (np_conf_load(argv[1], &conf, err, sizeof(err)) < 0) {
		np_err("%s", err);
		return NP_EXIT_USAGE;
	}
	printf("%s: ok\n", argv[1]);
	np_conf_free(&conf);
	return NP_EXIT_OK;
}
