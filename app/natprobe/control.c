/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control loop on the main lcore: drains the workers' event rings, reads
 * NIC counters, prints counters on request, and decides when to stop.
 */

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "np_app.h"

#define NP_DRAIN_BURST 64
#define NP_BAD_FRAME_LOG_MAX 20	/* bad frames described in the log, then only counted */

static int np_logtype = -1;

static void handle_event(struct np_app *app, const struct np_event *ev)
{
	if (ev->type < RTE_DIM(app->events_seen))
		app->events_seen[ev->type]++;
	switch (ev->type) {
	case NP_EV_BAD_FRAME:
		if (app->events_seen[NP_EV_BAD_FRAME] <= NP_BAD_FRAME_LOG_MAX)
			rte_log(RTE_LOG_INFO, np_logtype,
				"natprobe: segment %s port %s: %s frame of %u bytes (forwarded)\n",
				app->conf.segments[ev->segment].name, app->conf.ports[ev->port].name,
				np_pkt_class_name(ev->cls), ev->len);
		break;
	default:
		break;
	}
}

/* Drain every worker's ring once. @return events handled. */
static unsigned int drain(struct np_app *app)
{
	struct np_event evs[NP_DRAIN_BURST];
	unsigned int total = 0;

	for (unsigned int w = 0; w < app->n_workers; w++) {
		unsigned int n;

		do {
			n = rte_ring_sc_dequeue_burst_elem(app->workers[w]->events, evs,
							   sizeof(evs[0]), NP_DRAIN_BURST, NULL);
			for (unsigned int i = 0; i < n; i++)
				handle_event(app, &evs[i]);
			total += n;
		} while (n == NP_DRAIN_BURST);
	}
	return total;
}

static uint64_t rx_total(const struct np_app *app)
{
	uint64_t t = 0;

	for (unsigned int w = 0; w < app->n_workers; w++)
		t += app->workers[w]->stats.worker[NP_WK_PACKETS];
	return t;
}

void np_control_print_counters(struct np_app *app, FILE *f)
{
	struct np_stats_src src = {
		.conf = &app->conf,
		.n_workers = app->n_workers,
		.workers = app->worker_stats,
		.control = &app->control_stats,
	};

	np_ports_read_hw_stats(app);
	np_stats_write_prometheus(f, &src);
	fflush(f);
}

int np_control_loop(struct np_app *app)
{
	const uint64_t hz = rte_get_timer_hz();
	const uint64_t start = rte_get_timer_cycles();
	uint64_t last_rx = 0, last_change = start, next_stats = 0, next_hw = start;

	if (np_logtype < 0)
		np_logtype = rte_log_register_type_and_pick_level("natprobe.control",
								  RTE_LOG_NOTICE);
	if (app->conf.export.stats_interval_s > 0)
		next_stats = start + app->conf.export.stats_interval_s * hz;
	while (!np_force_quit) {
		uint64_t now;

		if (drain(app) == 0)
			usleep(1000);
		now = rte_get_timer_cycles();
		if (now >= next_hw) {
			uint64_t rx = rx_total(app);

			np_ports_read_hw_stats(app);
			if (rx != last_rx) {
				last_rx = rx;
				last_change = now;
			}
			next_hw = now + hz / 10;
		}
		if (app->idle_exit_s > 0 && now - last_change >= (uint64_t)(app->idle_exit_s * hz))
			break;
		if (app->duration_s > 0 && now - start >= (uint64_t)(app->duration_s * hz))
			break;
		if (next_stats != 0 && now >= next_stats) {
			time_t t = time(NULL);
			char ts[32];

			strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
			printf("# natprobe counters at %s\n", ts);
			np_control_print_counters(app, stdout);
			next_stats = now + app->conf.export.stats_interval_s * hz;
		}
	}
	return 0;
}
