/* SPDX-License-Identifier: BSD-3-Clause */
/* EAL arguments built from the config, and EAL start-up with one-line errors. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "np_live.h"

#define NP_EAL_MAX_ARGS (16 + 2 * NP_MAX_PORTS + NP_MAX_EXTRA_ARGS + 64)

struct eal_args {
	int argc;
	char *argv[NP_EAL_MAX_ARGS + 1];
	char store[NP_EAL_MAX_ARGS][64]; /* for arguments we format */
};

static int push(struct eal_args *a, const char *s)
{
	if (a->argc >= NP_EAL_MAX_ARGS)
		return -E2BIG;
	a->argv[a->argc++] = (char *)(uintptr_t)s;
	a->argv[a->argc] = NULL;
	return 0;
}

static int pushf(struct eal_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int pushf(struct eal_args *a, const char *fmt, ...)
{
	va_list ap;
	char *dst;

	if (a->argc >= NP_EAL_MAX_ARGS)
		return -E2BIG;
	dst = a->store[a->argc];
	va_start(ap, fmt);
	vsnprintf(dst, sizeof(a->store[0]), fmt, ap);
	va_end(ap);
	return push(a, dst);
}

static int build_args(const struct np_app *app, struct eal_args *a, int n_cli, char **cli)
{
	const struct np_conf *c = &app->conf;
	char lcores[NP_MAX_WORKERS * 4 + 8];
	size_t off;
	bool any_pci = false;
	int ret = 0;

	off = (size_t)snprintf(lcores, sizeof(lcores), "%u", c->eal.main_lcore);
	for (unsigned int i = 0; i < c->eal.n_workers; i++)
		off += (size_t)snprintf(lcores + off, sizeof(lcores) - off, ",%u",
					c->eal.worker_lcores[i]);
	ret |= push(a, "natprobe");
	ret |= push(a, "-l");
	ret |= pushf(a, "%s", lcores);
	ret |= push(a, "--main-lcore");
	ret |= pushf(a, "%u", c->eal.main_lcore);
	ret |= push(a, "--file-prefix");
	ret |= pushf(a, "%s", c->eal.file_prefix);
	ret |= push(a, "--log-level");
	ret |= pushf(a, "%d", (int)c->eal.log_level);
	if (c->eal.no_huge)
		ret |= push(a, "--no-huge");
	if (c->eal.memory_mb > 0) {
		ret |= push(a, "-m");
		ret |= pushf(a, "%u", c->eal.memory_mb);
	}
	for (unsigned int i = 0; i < c->n_ports; i++) {
		ret |= push(a, c->ports[i].is_vdev ? "--vdev" : "-a");
		ret |= push(a, app->afp[i].sized ? app->afp[i].device : c->ports[i].device);
		any_pci |= !c->ports[i].is_vdev;
	}
	if (!any_pci)
		ret |= push(a, "--no-pci");
	for (unsigned int i = 0; i < c->eal.n_extra_args; i++)
		ret |= push(a, c->eal.extra_args[i]);
	for (int i = 0; i < n_cli; i++)
		ret |= push(a, cli[i]);
	return ret;
}

/* Last non-empty line of @p buf, without "EAL: " noise trimmed. */
static const char *last_line(char *buf)
{
	char *end = buf + strlen(buf);
	char *start;

	while (end > buf && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	start = strrchr(buf, '\n');
	return start ? start + 1 : buf;
}

int np_eal_init(struct np_app *app, int n_cli_args, char **cli_args)
{
	static struct eal_args a; /* EAL keeps pointers into argv */
	char *logbuf = NULL;
	size_t loglen = 0;
	FILE *logf;
	int ret;

	memset(&a, 0, sizeof(a));
	ret = np_afp_plan(app);
	if (ret < 0)
		return ret;
	if (build_args(app, &a, n_cli_args, cli_args) < 0) {
		np_err("too many EAL arguments");
		return -E2BIG;
	}
	if (np_eal_prefix_check(app->conf.eal.file_prefix, a.argc, a.argv) < 0)
		return -EBUSY;
	/* Keep EAL's start-up chatter; show only its last line if it fails. */
	logf = open_memstream(&logbuf, &loglen);
	if (logf != NULL)
		rte_openlog_stream(logf);
	ret = rte_eal_init(a.argc, a.argv);
	if (logf != NULL)
		fflush(logf);
	/* from here on rte_log writes through log.c (stderr once, no syslog) */
	if (np_log_dpdk_start() < 0)
		rte_openlog_stream(NULL);
	if (ret < 0) {
		const char *why = logbuf && logbuf[0] ? last_line(logbuf) : rte_strerror(rte_errno);

		np_err("DPDK EAL start failed: %s (%s)", why, rte_strerror(rte_errno));
	} else if (logbuf != NULL && app->conf.eal.log_level >= NP_LOG_INFO) {
		np_log_text(LOG_INFO, logbuf, strlen(logbuf));
	}
	if (logf != NULL)
		fclose(logf);
	free(logbuf);
	return ret < 0 ? -EINVAL : 0;
}
