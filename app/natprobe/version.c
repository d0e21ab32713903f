/* SPDX-License-Identifier: BSD-3-Clause */
/* natprobe --version and natprobe_build_info: natprobe's version and its libraries'. */

#include <stdio.h>
#include <string.h>

#include <cyaml/cyaml.h>
#include <hs/hs.h>
#include <pcap/pcap.h>
#include <rte_version.h>

#include "np_cli.h"

/* The first word of @p s that starts with a digit ("libpcap version 1.10.3 (...)" -> 1.10.3). */
static void version_word(const char *s, char *out, size_t len)
{
	const char *p = s;

	while (*p && !(*p >= '0' && *p <= '9' && (p == s || p[-1] == ' ')))
		p++;
	if (*p == '\0')
		p = s;
	snprintf(out, len, "%.*s", (int)strcspn(p, " "), p);
}

void np_versions_get(struct np_versions *v)
{
	snprintf(v->natprobe, sizeof(v->natprobe), "%s", NP_VERSION);
	version_word(rte_version(), v->dpdk, sizeof(v->dpdk));
	version_word(hs_version(), v->hyperscan, sizeof(v->hyperscan));
	version_word(pcap_lib_version(), v->libpcap, sizeof(v->libpcap));
	snprintf(v->libcyaml, sizeof(v->libcyaml), "%s", cyaml_version_str);
}

void np_versions_print(FILE *f)
{
	struct np_versions v;

	np_versions_get(&v);
	fprintf(f, "natprobe %s\n", v.natprobe);
	fprintf(f, "  DPDK %s (%s)\n", v.dpdk, rte_version());
	fprintf(f, "  Hyperscan %s (%s)\n", v.hyperscan, hs_version());
	fprintf(f, "  libpcap %s (%s)\n", v.libpcap, pcap_lib_version());
	fprintf(f, "  libcyaml %s\n", v.libcyaml);
	fputs("Copyright natprobe contributors; BSD-3-Clause license.\n", f);
}
