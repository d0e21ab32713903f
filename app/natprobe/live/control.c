/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread on the main lcore: drains the workers' event rings into
 * the correlator, reads NIC counters, runs the observers (np_observer),
 * prints counters on request, and decides when to stop.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "np_live.h"
#include "np_time.h"

#define NP_DRAIN_BURST 64
#define NP_BAD_FRAME_LOG_MAX 20 /* bad frames described in the log, then only counted */

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
				app->conf.segments[ev->bad.segment].name,
				app->conf.ports[ev->bad.port].name, np_pkt_class_name(ev->bad.cls),
				ev->bad.len);
		break;
	case NP_EV_FLOW:
		for (unsigned int o = 0; o < app->n_observers; o++)
			if (app->observers[o]->flow != NULL)
				app->observers[o]->flow(app, &ev->flow);
		np_det_correlator_flow(app->det.corr, &ev->flow);
		break;
	default:
		break;
	}
}

/*
 * Bursts taken from each ring per call. Bounded so that a control thread
 * that cannot keep up still gets back to its loop (/metrics, timers,
 * signals); what it leaves fills the ring, and the worker drops and counts.
 */
#define NP_DRAIN_MAX_BURSTS 32

unsigned int np_sip_take(struct np_app *app, struct rte_ring *ring, uint8_t *stage,
			 struct np_det_sip *s)
{
	const struct np_det_sip *head = (const struct np_det_sip *)stage;
	size_t len;
	unsigned int n;

	if (rte_ring_sc_dequeue_bulk_elem(ring, stage, NP_SIP_ELEM, NP_SIP_ELEMS_PER_SLOT, NULL) !=
	    NP_SIP_ELEMS_PER_SLOT)
		return 0;
	len = head->n_addrs <= NP_DET_MAX_ADDRS && head->text_len <= sizeof(head->text)
		      ? np_det_sip_packed_len(head)
		      : NP_SIP_SLOT;
	n = (unsigned int)(len + NP_SIP_SLOT - 1) / NP_SIP_SLOT;
	/* the worker enqueued the message's slots at once: the rest are there */
	if (n > 1 && rte_ring_sc_dequeue_bulk_elem(ring, stage + NP_SIP_SLOT, NP_SIP_ELEM,
						   (n - 1) * NP_SIP_ELEMS_PER_SLOT,
						   NULL) != (n - 1) * NP_SIP_ELEMS_PER_SLOT)
		len = 0;
	if (np_det_sip_unpack(stage, len, s) < 0) {
		/* the producer packs them: only a bug gets here; said once, not correlated */
		if (!app->sip_unpack_failed)
			rte_log(RTE_LOG_ERR, np_logtype,
				"natprobe: a SIP summary from a worker or hep.listen could not be read "
				"(%zu bytes); such summaries are left out\n",
				len);
		app->sip_unpack_failed = true;
		return 1;
	}
	np_det_correlator_sip(app->det.corr, s);
	return 1;
}

/* Drain every worker's rings, at most NP_DRAIN_MAX_BURSTS bursts each. @return events handled. */
static unsigned int drain(struct np_app *app)
{
	static uint8_t stage[NP_SIP_STAGE_BYTES] __rte_cache_aligned;
	static struct np_det_sip sip;
	struct np_event evs[NP_DRAIN_BURST];
	unsigned int total = 0;

	/* HEP received (hep.listen): beside the workers' events, like another worker's */
	total += np_hep_listen_drain(app, NP_DRAIN_MAX_BURSTS, stage, &sip);
	/*
	 * Flow events first: a packet's flow events (a connection start, its
	 * fingerprint) are forwarded over HEP (export.hep_flow_events) before the
	 * SIP message it carried, so that a correlator elsewhere learns the
	 * connection before it reads the message, as one on the wire would.
	 */
	for (unsigned int w = 0; w < app->n_workers; w++) {
		unsigned int n, b = 0;

		do {
			/* whole events: the worker enqueues an event's elements at once */
			n = rte_ring_sc_dequeue_burst_elem(app->workers[w]->events, evs,
							   NP_EVENT_ELEM,
							   NP_DRAIN_BURST * NP_EVENT_ELEMS, NULL) /
			    NP_EVENT_ELEMS;
			for (unsigned int i = 0; i < n; i++) {
				/* the next event's table lines on their way meanwhile */
				if (i + 1 < n && evs[i + 1].type == NP_EV_FLOW)
					np_det_correlator_flow_prefetch(app->det.corr,
									&evs[i + 1].flow);
				handle_event(app, &evs[i]);
			}
			total += n;
		} while (n == NP_DRAIN_BURST && ++b < NP_DRAIN_MAX_BURSTS);
	}
	/* then observers (HEP's SIP messages): they leave before the records they lead to */
	for (unsigned int o = 0; o < app->n_observers; o++)
		if (app->observers[o]->drain != NULL)
			total += app->observers[o]->drain(app);
	for (unsigned int w = 0; w < app->n_workers; w++) {
		unsigned int n, b = 0;

		do {
			for (n = 0; n < NP_DRAIN_BURST / 4; n++)
				if (np_sip_take(app, app->workers[w]->sip_events, stage, &sip) == 0)
					break;
			total += n;
		} while (n == NP_DRAIN_BURST / 4 && ++b < NP_DRAIN_MAX_BURSTS);
	}
	return total;
}

/* Correlator output: one JSON line per record, flushed as written. */
static void on_record(void *ctx, const struct np_det_record *r)
{
	struct np_app *app = ctx;

	for (unsigned int o = 0; o < app->n_observers; o++)
		if (app->observers[o]->record != NULL)
			app->observers[o]->record(app, r);
	np_records_write(app, r);
	np_evidence_live_record(app, r);
}

int np_observer_add(struct np_app *app, const struct np_observer *o)
{
	if (app->n_observers == RTE_DIM(app->observers)) {
		np_err("too many observers: %s not added", o->name);
		return -ENOSPC;
	}
	app->observers[app->n_observers++] = o;
	return 0;
}

/* Every observer's @p hook, in the order added. */
#define EACH_OBSERVER(app, hook)                                         \
	do {                                                             \
		for (unsigned int o_ = 0; o_ < (app)->n_observers; o_++) \
			if ((app)->observers[o_]->hook != NULL)          \
				(app)->observers[o_]->hook(app);         \
	} while (0)

int np_control_init(struct np_app *app)
{
	unsigned int n_seg;
	char err[256];

	np_versions_get(&app->versions);
	app->process.version = app->versions.natprobe;
	app->process.dpdk = app->versions.dpdk;
	app->process.hyperscan = app->versions.hyperscan;
	app->process.libpcap = app->versions.libpcap;
	app->process.libcyaml = app->versions.libcyaml;
	app->sip_db = np_sip_db_create_set(NP_SIP_HDRS_INSPECT, err, sizeof(err));
	if (app->sip_db == NULL) {
		np_err("SIP matcher: %s", err);
		return -EINVAL;
	}
	if (np_records_open(app) < 0)
		return -EINVAL;
	for (unsigned int s = 0; s < app->conf.n_segments; s++)
		app->segment_names[s] = app->conf.segments[s].name;
	n_seg = app->conf.n_segments;
	if (app->conf.hep.listen[0] != '\0') /* room for agents no hep.agents[] entry names */
		for (; n_seg < NP_DET_MAX_SEGMENTS && n_seg < NP_MAX_SEGMENTS; n_seg++)
			app->segment_names[n_seg] = app->hep_segment_name[n_seg];
	app->names.n_segments = n_seg;
	app->names.segments = app->segment_names;
	if (np_det_control_create(&app->det, &app->conf, n_seg, app->segment_names, on_record, app,
				  err, sizeof(err)) < 0) {
		np_err("%s", err);
		return -ENOMEM;
	}
	/* the translation table resident before the workers read it */
	if (np_nat_xlat_make_resident(app->det.xlat) < 0) {
		np_err("translation table: %s", strerror(errno));
		return -ENOMEM;
	}
	/* this process's HEP origin: what it sends carries it, what comes back with it is a loop */
	while (app->hep_origin == 0)
		if (getrandom(&app->hep_origin, sizeof(app->hep_origin), 0) !=
		    (ssize_t)sizeof(app->hep_origin))
			app->hep_origin = np_wall_ns() ^ ((uint64_t)getpid() << 40);
	if (np_hep_listen_open(app) < 0)
		return -EINVAL;
	for (unsigned int o = 0; o < app->n_observers; o++)
		if (app->observers[o]->start != NULL && app->observers[o]->start(app) < 0)
			return -EINVAL;
	return 0;
}

void np_control_fini(struct np_app *app)
{
	for (unsigned int o = app->n_observers; o-- > 0;)
		if (app->observers[o]->stop != NULL)
			app->observers[o]->stop(app);
	np_hep_listen_close(app);
	np_det_control_destroy(&app->det); /* after the workers are gone */
	np_sip_db_destroy(app->sip_db);
	app->sip_db = NULL;
	np_records_close(app);
	np_evidence_live_stop(app);
}

/* After the workers stopped: take what is left in the rings, settle incidents. */
void np_control_drain(struct np_app *app)
{
	np_hep_listen_stop(app);
	while (drain(app) > 0)
		;
	np_det_correlator_finish(app->det.corr, 0);
	EACH_OBSERVER(app, flush);
}

static uint64_t rx_total(const struct np_app *app)
{
	uint64_t t = 0;

	for (unsigned int w = 0; w < app->n_workers; w++)
		t += app->workers[w]->stats.worker[NP_WK_PACKETS];
	return t;
}

void np_control_stats_src(struct np_app *app, struct np_stats_src *src)
{
	app->app_counters.records_written = app->rec.written;
	app->app_counters.records_failed = app->rec.failed;
	app->app_counters.records_reopen_failed = app->rec.reopen_failed;
	app->app_counters.stdout_failures = np_output_failures(NP_OUT_STDOUT);
	app->app_counters.stderr_failures = np_output_failures(NP_OUT_STDERR);
	np_evidence_live_counters(app);
	*src = (struct np_stats_src){
		.conf = &app->conf,
		.n_workers = app->n_workers,
		.workers = app->worker_stats,
		.control = &app->control_stats,
		.inspect = app->inspect_stats,
		.flow = app->flow_stats,
		.correlator = app->det.corr ? np_det_correlator_stats(app->det.corr) : NULL,
		.nat = app->det.corr
			       ? np_nat_learner_stats(np_det_correlator_learner(app->det.corr))
			       : NULL,
		.app = &app->app_counters,
		.process = &app->process,
	};
	np_hep_listen_stats_src(app, src);
}

void np_control_print_counters(struct np_app *app, FILE *f)
{
	struct np_stats_src src;

	np_control_stats_src(app, &src);
	np_ports_read_hw_stats(app);
	np_stats_write_prometheus(f, &src);
	if (fflush(f) != 0 || ferror(f)) {
		/* EPIPE (reader gone), ENOSPC, ...: this block is lost, counted; go on */
		if (f == stdout)
			np_output_failed(NP_OUT_STDOUT);
		clearerr(f);
	}
}

/* The counters on stdout, headed by the time (export.stats_interval_s, SIGUSR1). */
static void print_counters_now(struct np_app *app)
{
	time_t t = time(NULL);
	char ts[32];

	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	printf("# natprobe counters at %s\n", ts);
	np_control_print_counters(app, stdout);
}

int np_control_loop(struct np_app *app)
{
	const uint64_t hz = rte_get_timer_hz();
	const uint64_t start = rte_get_timer_cycles();
	uint64_t last_rx = 0, last_change = start, next_stats = 0, next_hw = start;

	if (np_logtype < 0)
		np_logtype =
			rte_log_register_type_and_pick_level("natprobe.control", RTE_LOG_NOTICE);
	if (app->conf.export.stats_interval_s > 0)
		next_stats = start + app->conf.export.stats_interval_s * hz;
	/* the privileges are dropped by now: the HEP thread never held them */
	if (np_hep_listen_start(app) < 0)
		return -1;
	while (!np_force_quit) {
		uint64_t now;

		if (drain(app) == 0)
			usleep(1000);
		np_link_poll(app);
		EACH_OBSERVER(app, poll);
		now = rte_get_timer_cycles();
		np_notify_tick(app, now);
		if (now >= next_hw) {
			uint64_t rx = rx_total(app);

			np_ports_read_hw_stats(app);
			uint64_t wall = np_wall_ns();

			np_det_correlator_tick(app->det.corr, wall);
			np_records_tick(app, wall);
			EACH_OBSERVER(app, tick);
			if (rx != last_rx) {
				last_rx = rx;
				last_change = now;
			}
			next_hw = now + hz / 10;
		}
		if (np_reopen_records) {
			np_reopen_records = false;
			np_records_reopen(app);
		}
		if (app->idle_exit_s > 0 && now - last_change >= (uint64_t)(app->idle_exit_s * hz))
			break;
		if (app->duration_s > 0 && now - start >= (uint64_t)(app->duration_s * hz))
			break;
		if (next_stats != 0 && now >= next_stats) {
			print_counters_now(app);
			next_stats = now + app->conf.export.stats_interval_s * hz;
		}
		if (np_print_counters) {
			np_print_counters = false;
			print_counters_now(app);
		}
	}
	return 0;
}
