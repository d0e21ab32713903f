/* SPDX-License-Identifier: BSD-3-Clause */
/* natprobe: subcommand dispatch, --help and --version. */

#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "np_cli.h"
#include "np_counters.h"

static const char usage_head[] =
	"Usage: natprobe COMMAND [OPTIONS] [ARGS...]\n"
	"An inline DPDK probe that finds SIP failures caused by NAT.\n"
	"\n"
	"Commands:\n"
	"  run            the live probe (inline or passive segments) from a YAML config\n"
	"  analyze        offline analysis of captures or Expressway logs, one per segment\n"
	"  dump-sip       every SIP message parsed from captures, one per line\n"
	"  check-config   validate a config\n"
	"  list-counters  the reference of every counter (Markdown; docs/counters.md)\n"
	"\n"
	"Options:\n"
	"  -h, --help     this text, with every command's options\n"
	"  -V, --version  natprobe's version and the versions of DPDK, Hyperscan, libpcap\n"
	"                 and libcyaml it runs with\n"
	"\n"
	"natprobe COMMAND --help prints one command's part of this text. Options may\n"
	"come before or after a command's other arguments; after --, run passes the\n"
	"rest to DPDK's EAL.\n";

static const char usage_tail[] =
	"Exit status:\n"
	"  0  success (analyze: the analysis ran, with or without findings)\n"
	"  1  runtime failure after start, or a start-up failure that another start\n"
	"     may not meet (an af_packet port's fanout group held by another process)\n"
	"  2  bad command line, config, input or start-up error (one line on stderr\n"
	"     says which)\n"
	"  3  analyze --fail-on found what it was asked to fail on\n"
	"\n"
	"Files:\n"
	"  /etc/natprobe/natprobe.yaml  the config the systemd unit runs\n"
	"\n"
	"Documentation: /usr/share/doc/natprobe (docs/ in the source: deployment,\n"
	"configuration, anomalies, records, counters, monitoring, performance).\n";

const char np_list_counters_usage[] =
	"Usage: natprobe list-counters [OPTIONS]\n"
	"Print the reference of every counter /metrics serves, as a Markdown table\n"
	"(name, type, labels, meaning): the source of docs/counters.md.\n"
	"\n"
	"Options:\n"
	"  -h, --help     this text\n";

/* One command's --help text as a section of natprobe --help (and of the man page). */
static void print_part(const char *name, const char *text)
{
	bool first = true;

	printf("Command %s:\n", name);
	while (*text) {
		size_t n = strcspn(text, "\n");

		printf(n ? "  %.*s\n" : "%.*s\n", (int)n, text);
		if (first)
			putchar('\n'); /* the synopsis on its own */
		first = false;
		text += n + (text[n] == '\n');
	}
}

static void print_usage(void)
{
	static const struct {
		const char *name, *text;
	} parts[] = {
		{ "run", np_run_usage },
		{ "analyze", np_analyze_usage },
		{ "dump-sip", np_dump_sip_usage },
		{ "check-config", np_check_config_usage },
		{ "list-counters", np_list_counters_usage },
	};

	fputs(usage_head, stdout);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		putchar('\n');
		print_part(parts[i].name, parts[i].text);
	}
	putchar('\n');
	fputs(usage_tail, stdout);
}

static int cmd_list_counters(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(np_list_counters_usage, stdout);
			return NP_EXIT_OK;
		}
		np_err("list-counters: unknown option '%s'; see natprobe list-counters --help",
		       argv[optind - 1]);
		return NP_EXIT_USAGE;
	}
	if (optind != argc) {
		np_err("list-counters takes no arguments; see natprobe list-counters --help");
		return NP_EXIT_USAGE;
	}
	return np_counters_write_markdown(stdout) == 0 && fflush(stdout) == 0 ? NP_EXIT_OK
									      : NP_EXIT_FAIL;
}

struct np_command {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct np_command commands[] = {
	{ "run", np_cmd_run },
	{ "check-config", np_cmd_check_config },
	{ "analyze", np_cmd_analyze },
	{ "dump-sip", np_cmd_dump_sip },
	{ "list-counters", cmd_list_counters },
};

int main(int argc, char **argv)
{
	np_log_init();
	if (argc < 2) {
		np_err("no command given; see natprobe --help");
		return NP_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		print_usage();
		return NP_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		np_versions_print(stdout);
		return NP_EXIT_OK;
	}
	/*
	 * A fixed mmap threshold: glibc otherwise raises it when the Hyperscan
	 * compiler frees its large blocks, and the multi-megabyte tables
	 * allocated next (NAT learner, translation table) then come from the
	 * heap and are memset by calloc instead of arriving as untouched
	 * zero pages. Offline start-up cost, mostly.
	 */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	np_err("unknown command '%s'; see natprobe --help", argv[1]);
	return NP_EXIT_USAGE;
}
