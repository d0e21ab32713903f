/* SPDX-License-Identifier: BSD-3-Clause */
/* natprobe check-config FILE */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "np_cli.h"

const char np_check_config_usage[] =
	"Usage: natprobe check-config [OPTIONS] FILE\n"
	"Validate a config as run would, without starting anything: prints 'FILE: ok',\n"
	"or one line per error (at most 20), each naming the line, column for YAML\n"
	"syntax, and the field: FILE:LINE: FIELD: what is wrong; what is allowed.\n"
	"Also checks what run checks before it starts: the lcores exist on this machine,\n"
	"and the config and its EAL -d plugins are writable only by root or the user\n"
	"running natprobe.\n"
	"\n"
	"Options:\n"
	"      --allow-unsafe-config\n"
	"                           accept a config writable by other users (a warning)\n"
	"  -h, --help               this text\n";

int np_cmd_check_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "allow-unsafe-config", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool allow_unsafe = false;
	struct np_conf conf;
	char err[NP_CONF_ERR_MAX];
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			allow_unsafe = true;
			break;
		case 'h':
			fputs(np_check_config_usage, stdout);
			return NP_EXIT_OK;
		default:
			np_err("check-config: unknown option '%s'; see natprobe check-config --help",
			       argv[optind - 1]);
			return NP_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		np_err("check-config takes exactly one FILE; see natprobe check-config --help");
		return NP_EXIT_USAGE;
	}
	if (np_conf_load(argv[optind], &conf, err, sizeof(err)) < 0) {
		np_conf_print_errors(err);
		return NP_EXIT_USAGE;
	}
	ret = np_run_check_conf(&conf, argv[optind], allow_unsafe, 0, NULL);
	np_conf_free(&conf);
	if (ret < 0)
		return NP_EXIT_USAGE;
	printf("%s: ok\n", argv[optind]);
	return NP_EXIT_OK;
}
