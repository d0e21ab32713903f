/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_TELEMETRY_H
#define NP_TELEMETRY_H

/*
 * DPDK telemetry commands of `natprobe run` (dpdk-telemetry.py -f FILE_PREFIX):
 *
 *   /natprobe/stats         main counters: per port, per segment, anomalies and
 *                           incidents by type, bindings, flows, event ring drops
 *   /natprobe/ports[,NAME]  ports: device, segment, mode, rx/tx packets
 *   /natprobe/bindings[,ID] learned and static NAT bindings (the first
 *                           NP_TEL_MAX_BINDINGS in table order), or one in full
 *   /natprobe/anomalies     the last NP_TEL_MAX_RECORDS anomalies and incidents
 *
 * The callbacks run on DPDK's telemetry thread. They never read worker or
 * control state: they read a snapshot that the control thread refreshes
 * (np_telemetry_update(), about every 100 ms) under a mutex both take.
 * docs/monitoring.md shows the output.
 */

#include "np_correlate.h"

#define NP_TEL_MAX_BINDINGS 100 /* keeps a listing under the 16 kB telemetry reply */
#define NP_TEL_MAX_RECORDS 32

struct np_app;

/**
 * Register the /natprobe/ commands (once per process) and take the names
 * of ports and segments from the config. Control thread, after EAL init.
 * Until the first np_telemetry_update() the counters read 0.
 * @return 0, or the negative errno of rte_telemetry_register_cmd() (an
 *         error has been printed with np_err()).
 */
int np_telemetry_init(struct np_app *app);

/** Refresh the snapshot the commands read. Control thread, about every 100 ms. */
void np_telemetry_update(struct np_app *app);

/** Remember an anomaly or incident for /natprobe/anomalies. Control thread. */
void np_telemetry_record(struct np_app *app, const struct np_det_record *r);

/**
 * Stop answering from the snapshot (the commands stay registered: DPDK has
 * no unregister; they then reply that natprobe is stopping).
 */
void np_telemetry_fini(struct np_app *app);

#endif /* NP_TELEMETRY_H */
