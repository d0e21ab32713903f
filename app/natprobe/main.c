/* SPDX-License-Identifier: BSD-3-Clause */
/* natprobe: subcommand dispatch and --help. */

#include <stdarg.h>
#include <stdio.h>
#include <malloc.h>
#include <string.h>

#include "np_app.h"

static const char usage[] =
	"Usage: natprobe COMMAND [OPTIONS]\n"
	"\n"
	"An inline DPDK probe that finds SIP failures caused by NAT.\n"
	"\n"
	"Commands:\n"
	"  run -c FILE [--duration SEC] [--idle-exit SEC] [-- EAL-ARGS...]\n"
	"      Run the live probe (inline or passive segments) from a YAML config.\n"
	"      EAL settings come from the config; arguments after -- are added to them.\n"
	"      --duration SEC   stop after SEC seconds\n"
	"      --idle-exit SEC  stop once no frame has arrived for SEC seconds\n"
	"                       (replaying captures through net_pcap ports)\n"
	"      Counters are printed on exit (Prometheus text format) and every\n"
	"      export.stats_interval_s seconds when set. SIGINT/SIGTERM stop it.\n"
	"\n"
	"  analyze [-c FILE] [--static-nat PRIV=PUB]... [--json] [INPUT-OPTIONS]\n"
	"          [SEG=]FILE[#PART]...\n"
	"      Offline analysis of captures (pcap, pcapng) or Expressway logs,\n"
	"      through the same pipeline. FILE may be - (stdin), a FIFO, .gz or\n"
	"      .zst; PART a pcapng interface (#eth1, #0) or a tunnel (#vni=100,\n"
	"      #erspan=1, #gre=5). See docs/offline.md.\n"
	"\n"
	"  dump-sip [--json] [INPUT-OPTIONS] [SEG=]FILE[#PART]...\n"
	"      Print every SIP message parsed from the inputs, one per line.\n"
	"\n"
	"  INPUT-OPTIONS (analyze, dump-sip):\n"
	"      --ip-checksum auto|yes|no  a failing IPv4 header checksum: inspect\n"
	"                       anyway (auto, counted), drop (yes), not checked (no)\n"
	"      --from TIME, --to TIME     only frames in this window (UTC ISO 8601\n"
	"                       or seconds since the epoch)\n"
	"      --filter EXPR    only frames matching a pcap-filter(7) expression\n"
	"\n"
	"  check-config FILE\n"
	"      Validate a config; errors name the field and line.\n"
	"\n"
	"  list-counters\n"
	"      Print the reference of every counter (Markdown; docs/counters.md).\n"
	"\n"
	"  --help, -h       this text\n"
	"  --version        print the version\n"
	"\n"
	"Exit status: 0 success, 1 runtime failure, 2 bad command line, config,\n"
	"input or startup error (one line on stderr says which).\n"
	"Documentation: docs/ (operator guide, deployment, performance).\n";

void np_err(const char *fmt, ...)
{
	va_list ap;

	fputs("natprobe: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int cmd_list_counters(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		np_err("list-counters takes no arguments");
		return NP_EXIT_USAGE;
	}
	return np_counters_write_markdown(stdout) == 0 ? NP_EXIT_OK : NP_EXIT_FAIL;
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
	if (argc < 2) {
		np_err("no command given; see natprobe --help");
		return NP_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage, stdout);
		return NP_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("natprobe %s\n", NP_VERSION);
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
