/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_OBSERVE_H
#define NP_OBSERVE_H

/*
 * What watches the live probe from its control thread (struct np_observer,
 * np_live.h). cmd_run.c adds them, in this order, before np_control_init().
 * Each keeps its own state (one np_app per process) and reads the probe's
 * counters through np_control_stats_src(), the walker's source.
 *
 * np_hep_observer: HEPv3 to export.hep_collector (hep_export.c). Workers
 *   copy each SIP message into a slot of their own mempool (worker_init makes
 *   it); drain sends them, record sends each record as a HEP log, flush sends
 *   (TCP) or counts what still waits. Off when export.hep_collector is "".
 *
 * np_metrics_observer: the Prometheus endpoint, HTTP on
 *   export.metrics_listen, served by libmicrohttpd WITHOUT a thread of its
 *   own (metrics.c). poll serves what is ready, so a scrape renders the
 *   counters on the thread that owns them (the code path of the counters
 *   printed at exit, np_control_print_counters()).
 *     GET|HEAD /metrics  200, Prometheus text format 0.0.4
 *     GET|HEAD /         200, a page pointing at /metrics
 *     other paths        404
 *     other methods      405 (Allow: GET, HEAD)
 *   start fails with one line naming export.metrics_listen: an address that
 *   does not parse (-EINVAL), socket()/bind()/listen()'s errno, -ENOMEM, or
 *   -EIO when libmicrohttpd refuses to start. Off when the setting is "".
 *
 * np_telemetry_observer: DPDK telemetry commands (dpdk-telemetry.py -f
 *   FILE_PREFIX), telemetry.c:
 *     /natprobe/stats[,FAMILY]  every counter family and its total, or one
 *                               family's series
 *     /natprobe/ports[,NAME]    ports: device, segment, mode, link; or one
 *                               port with its counter families
 *     /natprobe/bindings[,ID]   learned and static NAT bindings (the first
 *                               NP_TEL_MAX_BINDINGS in table order), or one
 *     /natprobe/anomalies       the last NP_TEL_MAX_RECORDS records
 *   The callbacks run on DPDK's telemetry thread and never read worker or
 *   control state: they read a snapshot that tick refreshes (about every
 *   100 ms) under a mutex both take. stop leaves the commands registered
 *   (DPDK has no unregister); they then reply that natprobe is stopping.
 *   docs/monitoring.md shows the output.
 */

#include "np_live.h"

#define NP_TEL_MAX_BINDINGS 100 /* keeps a listing under the 16 kB telemetry reply */
#define NP_TEL_MAX_RECORDS 32

extern const struct np_observer np_hep_observer;
extern const struct np_observer np_metrics_observer;
extern const struct np_observer np_telemetry_observer;

#endif /* NP_OBSERVE_H */
