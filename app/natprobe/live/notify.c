/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * systemd integration of `run` (config/natprobe.service, Type=notify):
 * READY=1 once the workers forward, WATCHDOG=1 from the control loop while
 * every worker makes progress, STOPPING=1 on the way out, and a STATUS=
 * line. Nothing happens unless systemd started us (NOTIFY_SOCKET set).
 *
 * libsystemd is loaded with dlopen() then, not linked: it brings libgcrypt,
 * liblzma, libzstd, liblz4 and libcap and their thread-local storage into
 * every run, and a library with TLS in the initial set leaves DPDK's
 * plugins short of static TLS space (see privs.c, libcap-ng: 10-15 % of
 * forwarding). It is loaded after rte_eal_init(), once EAL has loaded its
 * plugins.
 *
 * The watchdog is fed only when every worker's loop counter
 * (natprobe_worker_cycles_total, updated every 64 polls) moved since the
 * last feed: a worker stuck in a loop stops the feed, and systemd restarts
 * the service (WatchdogSec=, Restart=on-failure).
 */

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_log.h>
#include <systemd/sd-daemon.h>

#include "np_live.h"

static struct {
	__typeof__(sd_notify) *notify;
	__typeof__(sd_watchdog_enabled) *watchdog_enabled;
	uint64_t wd_cycles; /* feed interval (half of WatchdogSec), TSC cycles; 0: off */
	uint64_t next_feed;
	uint64_t last_progress[NP_MAX_WORKERS];
	bool stalled; /* a stall was logged; log the recovery once */
	int logtype;
} sd;

int np_notify_init(void)
{
	uint64_t usec = 0;
	void *h;

	sd.logtype = rte_log_register_type_and_pick_level("natprobe.systemd", RTE_LOG_NOTICE);
	if (getenv("NOTIFY_SOCKET") == NULL)
		return 0;
	h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		np_err("NOTIFY_SOCKET is set but libsystemd cannot be loaded (libsystemd0): %s",
		       dlerror());
		return -1;
	}
	sd.notify = (__typeof__(sd.notify))dlsym(h, "sd_notify");
	sd.watchdog_enabled = (__typeof__(sd.watchdog_enabled))dlsym(h, "sd_watchdog_enabled");
	if (sd.notify == NULL || sd.watchdog_enabled == NULL) {
		np_err("libsystemd lacks sd_notify or sd_watchdog_enabled");
		sd.notify = NULL;
		dlclose(h);
		return -1;
	}
	if (sd.watchdog_enabled(0, &usec) > 0 && usec > 0) {
		sd.wd_cycles = (uint64_t)((double)usec / 2e6 * (double)rte_get_timer_hz());
		rte_log(RTE_LOG_NOTICE, sd.logtype,
			"natprobe: systemd watchdog every %.1f s, fed while every worker makes "
			"progress\n",
			(double)usec / 1e6);
	}
	return 0; /* kept loaded for the life of the process */
}

static void notify_send(const char *state)
{
	if (sd.notify != NULL && sd.notify(0, state) < 0)
		rte_log(RTE_LOG_WARNING, sd.logtype, "natprobe: sd_notify(%s) failed\n", state);
}

void np_notify_ready(const struct np_app *app)
{
	char msg[256];

	if (sd.notify == NULL)
		return;
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=forwarding: %u ports, %u segments, %u workers",
		 app->conf.n_ports, app->conf.n_segments, app->n_workers);
	notify_send(msg);
	for (unsigned int w = 0; w < app->n_workers; w++)
		sd.last_progress[w] = app->workers[w]->stats.worker[NP_WK_TOTAL_CYCLES];
	sd.next_feed = rte_get_timer_cycles();
}

void np_notify_tick(const struct np_app *app, uint64_t now)
{
	int stalled = -1;

	if (sd.wd_cycles == 0 || now < sd.next_feed)
		return;
	sd.next_feed = now + sd.wd_cycles;
	for (unsigned int w = 0; w < app->n_workers; w++) {
		uint64_t p = __atomic_load_n(&app->workers[w]->stats.worker[NP_WK_TOTAL_CYCLES],
					     __ATOMIC_RELAXED);

		if (p == sd.last_progress[w] && stalled < 0)
			stalled = (int)w;
		sd.last_progress[w] = p;
	}
	if (stalled >= 0) {
		if (!sd.stalled)
			rte_log(RTE_LOG_ERR, sd.logtype,
				"natprobe: worker %d (lcore %u) made no progress: not feeding the "
				"systemd watchdog\n",
				stalled, app->workers[stalled]->lcore);
		sd.stalled = true;
		return;
	}
	if (sd.stalled)
		rte_log(RTE_LOG_NOTICE, sd.logtype,
			"natprobe: every worker makes progress again; feeding the watchdog\n");
	sd.stalled = false;
	notify_send("WATCHDOG=1");
}

void np_notify_stopping(void)
{
	notify_send("STOPPING=1\nSTATUS=stopping: draining the event rings");
}
