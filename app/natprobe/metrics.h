/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_METRICS_H
#define NP_METRICS_H

/*
 * The Prometheus endpoint of `natprobe run`: HTTP on export.metrics_listen,
 * served by libmicrohttpd WITHOUT a thread of its own. The control thread
 * drives it with np_metrics_poll() once per loop iteration, so a scrape
 * renders the counters on the thread that owns them (the same code path as
 * the counters printed at exit, np_control_print_counters()).
 *
 *   GET|HEAD /metrics  200, Prometheus text format 0.0.4
 *   GET|HEAD /         200, a page pointing at /metrics
 *   other paths        404
 *   other methods      405 (Allow: GET, HEAD)
 */

struct np_app;

/**
 * Bind export.metrics_listen ("HOST:PORT" or "[V6]:PORT") and start the
 * endpoint. Nothing is started when the setting is "". Call it from the
 * control thread, after EAL init.
 * @return 0 (also when disabled); -EINVAL for an address that does not
 *         parse; the negative errno of socket()/bind()/listen() (-EADDRINUSE,
 *         -EADDRNOTAVAIL, -EACCES, ...); -ENOMEM, or -EIO when libmicrohttpd
 *         refuses to start. On error one line naming export.metrics_listen
 *         has been printed with np_err().
 */
int np_metrics_start(struct np_app *app);

/**
 * Serve what is ready (accept, read, answer) without blocking. Control
 * thread only. Cheap to call in a tight loop: it does the work at most once
 * a millisecond.
 */
void np_metrics_poll(struct np_app *app);

/** Close the endpoint and its connections. Safe when not started. */
void np_metrics_stop(struct np_app *app);

#endif /* NP_METRICS_H */
