/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_COUNTERS_H
#define NP_COUNTERS_H

/**
 * @file
 * Every counter natprobe exports, and the one walker that renders them.
 *
 * Counters are declared once, as rows of a table (np_ctr.h): each library
 * declares the rows of its own stats struct (np_flow_counters,
 * np_nat_counters, np_inspect_counters, np_correlate_counters), and this
 * file the rows of the per-thread struct np_stats (ports, segments, frame
 * classes, tunnels, workers, HEP export) and of the process's own counters
 * (struct np_app_counters). np_ctr_walk() reads every table: Prometheus
 * (np_stats_write_prometheus(), also the report printed at exit), the DPDK
 * telemetry dictionaries and docs/counters.md (np_counters_write_markdown())
 * all come from it.
 *
 * Storage: one struct np_stats per worker lcore (plus one for the control
 * thread), one inspector and flow table per worker, the correlator and the
 * learner on the control thread. Each is written only by its owner, with
 * plain increments; readers sum them and accept a value a few packets old.
 * No atomics, no locks.
 */

#include <stdint.h>
#include <stdio.h>

#include "np_conf.h"
#include "np_correlate.h"
#include "np_ctr.h"
#include "np_flow.h"
#include "np_nat.h"
#include "np_pkt.h"
#include "np_tunnel.h"

/* X(ENUM, "name after natprobe_", "help", type) */
#define NP_PORT_COUNTERS(X)                                                                        \
	X(PORT_RX_PACKETS, "port_rx_packets_total", "Frames received on the port", NP_CTR_COUNTER) \
	X(PORT_RX_BYTES, "port_rx_bytes_total", "Bytes received on the port", NP_CTR_COUNTER)      \
	X(PORT_TX_PACKETS, "port_tx_packets_total", "Frames transmitted on the port",              \
	  NP_CTR_COUNTER)                                                                          \
	X(PORT_TX_BYTES, "port_tx_bytes_total", "Bytes transmitted on the port", NP_CTR_COUNTER)   \
	X(PORT_DROPPED_PACKETS, "port_dropped_packets_total",                                      \
	  "Frames to forward out of the port that tx could not take after the retries, or that "   \
	  "found its link down; freed",                                                            \
	  NP_CTR_COUNTER)                                                                          \
	X(PORT_DROPPED_BYTES, "port_dropped_bytes_total",                                          \
	  "Bytes of the frames counted in natprobe_port_dropped_packets_total", NP_CTR_COUNTER)    \
	X(PORT_RX_MISSED, "port_rx_missed_total",                                                  \
	  "Frames the NIC dropped because rx queues were full (ethdev imissed)", NP_CTR_COUNTER)   \
	X(PORT_RX_ERRORS, "port_rx_errors_total", "Erroneous frames reported by the NIC",          \
	  NP_CTR_COUNTER)                                                                          \
	X(PORT_RX_NOMBUF, "port_rx_nombuf_total",                                                  \
	  "Rx failures for lack of mbufs (ethdev rx_nombuf)", NP_CTR_COUNTER)                      \
	X(PORT_LINK_UP, "port_link_up",                                                            \
	  "1 while the port's link is up, 0 while it is down (DPDK link status, read every "       \
	  "100 ms); a port is polled only while its link is up",                                   \
	  NP_CTR_GAUGE)

#define NP_SEGMENT_COUNTERS(X)                                                                  \
	X(SEG_PACKETS, "segment_packets_total", "Frames seen on the segment, all ports",        \
	  NP_CTR_COUNTER)                                                                       \
	X(SEG_BYTES, "segment_bytes_total", "Bytes seen on the segment, all ports",             \
	  NP_CTR_COUNTER)                                                                       \
	X(SEG_OVERSIZE, "segment_oversize_frames_total",                                        \
	  "Frames longer than datapath.mtu (forwarded, not inspected)", NP_CTR_COUNTER)         \
	X(SEG_IPV4_CSUM_ZERO, "segment_ipv4_checksum_zero_total",                               \
	  "Frames whose IPv4 header checksum is 0x0000 (copied from a host that offloads it), " \
	  "inspected all the same (datapath.ip_checksum: auto)",                                \
	  NP_CTR_COUNTER)

/*
 * Tunnels, per segment the tunnel frames arrived on and per encapsulation
 * (label encap: np_pkt_encap_name()): X(ENUM, "name after natprobe_", "help", type)
 */
#define NP_TUNNEL_COUNTERS(X)                                                                   \
	X(TUN_FRAMES, "tunnel_frames_total",                                                    \
	  "Frames decapsulated, by the segment they arrived on and encapsulation; the inner "   \
	  "frame is inspected on the segment tunnels[] names for its tunnel, else on this one", \
	  NP_CTR_COUNTER)                                                                       \
	X(TUN_UNMAPPED, "tunnel_unmapped_frames_total",                                         \
	  "Decapsulated frames of a tunnel that no tunnels[] entry names (inspected on the "    \
	  "segment they arrived on), by segment and encapsulation",                             \
	  NP_CTR_COUNTER)                                                                       \
	X(TUN_ERRORS, "tunnel_errors_total",                                                    \
	  "Tunnel headers natprobe could not read (cut short, unknown version or frame type), " \
	  "by segment and encapsulation; the frame is inspected as it is",                      \
	  NP_CTR_COUNTER)

#define NP_WORKER_COUNTERS(X)                                                                  \
	X(WK_PACKETS, "worker_packets_total", "Frames handled by the worker", NP_CTR_COUNTER)  \
	X(WK_BURSTS, "worker_bursts_total", "Rx bursts that returned at least one frame",      \
	  NP_CTR_COUNTER)                                                                      \
	X(WK_POLLS, "worker_polls_total", "Rx polls, empty ones included", NP_CTR_COUNTER)     \
	X(WK_BUSY_CYCLES, "worker_busy_cycles_total",                                          \
	  "TSC cycles spent on bursts that carried frames", NP_CTR_COUNTER)                    \
	X(WK_TOTAL_CYCLES, "worker_cycles_total", "TSC cycles the worker ran", NP_CTR_COUNTER) \
	X(WK_EVENTS, "events_total", "Events pushed to the control thread", NP_CTR_COUNTER)    \
	X(WK_EVENT_DROPS, "event_ring_drops_total",                                            \
	  "Events dropped because the worker's event ring was full", NP_CTR_COUNTER)           \
	X(WK_HEP_QUEUED, "hep_queued_total",                                                   \
	  "SIP messages copied to the worker's HEP queue for export.hep_collector",            \
	  NP_CTR_COUNTER)                                                                      \
	X(WK_HEP_QUEUE_DROPS, "hep_queue_drops_total",                                         \
	  "SIP messages not exported over HEP because the worker's HEP queue was full",        \
	  NP_CTR_COUNTER)                                                                      \
	X(WK_HEP_OVERSIZE, "hep_oversize_drops_total",                                         \
	  "SIP messages not exported over HEP because they are longer than a queue slot "      \
	  "(16 KiB) or only their header section was kept",                                    \
	  NP_CTR_COUNTER)                                                                      \
	X(WK_TX_WAIT_CYCLES, "worker_tx_wait_cycles_total",                                    \
	  "TSC cycles the worker waited for room in full tx rings (datapath.tx_backoff_us)",   \
	  NP_CTR_COUNTER)

/*
 * Evidence captures (docs/records.md): the workers' histories (summed by the
 * control thread from np_hist_stats()) and the files the control thread
 * writes. X(ENUM, "name after natprobe_", "help", type)
 */
#define NP_EVIDENCE_COUNTERS(X)                                                                   \
	X(EVD_HISTORY_FRAMES, "evidence_history_frames_total",                                    \
	  "Frames copied into the workers' evidence histories (SIP, TCP SYN/FIN/RST, ICMP "       \
	  "errors, IP fragments)",                                                                \
	  NP_CTR_COUNTER)                                                                         \
	X(EVD_FRAMES_CUT, "evidence_frames_cut_total",                                            \
	  "Frames longer than evidence.snaplen, kept cut to it in the history", NP_CTR_COUNTER)   \
	X(EVD_FRAMES_LOST, "evidence_frames_lost_total",                                          \
	  "Frames an incident cites that newer frames had overwritten in the history before its " \
	  "capture was written (raise evidence.history_frames)",                                  \
	  NP_CTR_COUNTER)                                                                         \
	X(EVD_FILES, "evidence_files_total", "Evidence captures written, one per incident",       \
	  NP_CTR_COUNTER)                                                                         \
	X(EVD_FILE_ERRORS, "evidence_file_errors_total",                                          \
	  "Evidence captures that could not be written (directory gone, disk full, name taken)",  \
	  NP_CTR_COUNTER)                                                                         \
	X(EVD_HISTORY_BYTES, "evidence_history_bytes",                                            \
	  "Memory the evidence histories hold, all workers (DPDK memory)", NP_CTR_GAUGE)

/*
 * The control thread's HEP export counters. One family may span several
 * adjacent rows, one per value of its label:
 * X(ENUM, "name after natprobe_", "label", "label value", "help", type)
 */
#define NP_HEP_COUNTERS(X)                                                                        \
	X(HEP_SENT_SIP, "hep_sent_total", "what", "sip",                                          \
	  "HEP packets handed to the kernel for export.hep_collector, by payload: SIP messages "  \
	  "(sip), anomaly, incident and binding records (record), flow events in natprobe's "     \
	  "vendor chunk (flow, export.hep_flow_events), and the HEP packets hep.listen "          \
	  "received, sent on as received (relay, hep.relay)",                                     \
	  NP_CTR_COUNTER)                                                                         \
	X(HEP_SENT_RECORD, "hep_sent_total", "what", "record", "", NP_CTR_COUNTER)                \
	X(HEP_SENT_FLOW, "hep_sent_total", "what", "flow", "", NP_CTR_COUNTER)                    \
	X(HEP_SENT_RELAY, "hep_sent_total", "what", "relay", "", NP_CTR_COUNTER)                  \
	X(HEP_ERR_REFUSED, "hep_send_errors_total", "error", "refused",                           \
	  "HEP packets lost at send, by error: refused (the collector's host answered ICMP port " \
	  "unreachable), busy (socket buffer full; natprobe never waits), oversize (a record "    \
	  "longer than a HEP packet), other",                                                     \
	  NP_CTR_COUNTER)                                                                         \
	X(HEP_ERR_BUSY, "hep_send_errors_total", "error", "busy", "", NP_CTR_COUNTER)             \
	X(HEP_ERR_OVERSIZE, "hep_send_errors_total", "error", "oversize", "", NP_CTR_COUNTER)     \
	X(HEP_ERR_OTHER, "hep_send_errors_total", "error", "other", "", NP_CTR_COUNTER)

#define NP_CTR_ENUM(e, n, h, t) NP_##e,
enum np_port_ctr {
	NP_PORT_COUNTERS(NP_CTR_ENUM) NP_PORT_CTR_MAX
};
enum np_segment_ctr {
	NP_SEGMENT_COUNTERS(NP_CTR_ENUM) NP_SEGMENT_CTR_MAX
};
enum np_worker_ctr {
	NP_WORKER_COUNTERS(NP_CTR_ENUM) NP_WORKER_CTR_MAX
};
enum np_tunnel_ctr {
	NP_TUNNEL_COUNTERS(NP_CTR_ENUM) NP_TUNNEL_CTR_MAX
};
enum np_evidence_ctr {
	NP_EVIDENCE_COUNTERS(NP_CTR_ENUM) NP_EVD_CTR_MAX
};
#undef NP_CTR_ENUM
#define NP_CTR_ENUM_L(e, n, l, v, h, t) NP_##e,
enum np_hep_ctr {
	NP_HEP_COUNTERS(NP_CTR_ENUM_L) NP_HEP_CTR_MAX
};
#undef NP_CTR_ENUM_L

/** One thread's counters. Written only by its owner. */
struct np_stats {
	uint64_t port[NP_MAX_PORTS][NP_PORT_CTR_MAX];
	uint64_t segment[NP_MAX_SEGMENTS][NP_SEGMENT_CTR_MAX];
	uint64_t frame_class[NP_MAX_SEGMENTS][NP_PKT_CLASS_MAX];
	uint64_t tunnel[NP_MAX_SEGMENTS][NP_PKT_ENCAP_MAX][NP_TUNNEL_CTR_MAX];
	uint64_t worker[NP_WORKER_CTR_MAX];
	uint64_t hep[NP_HEP_CTR_MAX];	   /**< control thread only */
	uint64_t evidence[NP_EVD_CTR_MAX]; /**< control thread only */
} __attribute__((aligned(64)));

/** The process's own counters (`run`): the records file and its outputs. */
struct np_app_counters {
	uint64_t records_written;	/**< records appended to export.records_file */
	uint64_t records_failed;	/**< records that could not be written */
	uint64_t records_reopen_failed; /**< reopens of the records file (SIGHUP) that failed */
	uint64_t stdout_failures;	/**< writes to stdout that failed (EPIPE, ...) */
	uint64_t stderr_failures;	/**< log lines that could not be written */
};

/** The live HEP listener's own counters (`run`, hep.listen); its thread writes them. */
struct np_hep_listen_stats {
	uint64_t udp_packets;	 /**< datagrams read */
	uint64_t tcp_packets;	 /**< HEP packets cut out of TCP streams */
	uint64_t accepted;	 /**< TCP connections taken */
	uint64_t refused;	 /**< TCP connections closed at once: the limit was reached */
	uint64_t closed_idle;	 /**< TCP connections closed after hep idle time */
	uint64_t resync_bytes;	 /**< TCP stream bytes skipped to the next "HEP3" */
	uint64_t kernel_drops;	 /**< datagrams the kernel dropped (socket buffer full) */
	uint64_t event_drops;	 /**< events lost to a full ring to the control thread */
	uint64_t events;	 /**< events handed to the control thread */
	uint64_t socket_errors;	 /**< recv/accept failures other than "try again" */
	uint64_t connections;	 /**< TCP connections open now (gauge) */
	uint64_t oversize_drops; /**< datagrams longer than a HEP packet can be */
	uint64_t relay_queued;	 /**< packets queued for the collector (hep.relay) */
	uint64_t relay_full;	 /**< packets not relayed: the relay queue was full */
	uint64_t relay_oversize; /**< packets not relayed: longer than a relay slot */
};

/** The rows of struct np_hep_listen_stats. */
extern const struct np_ctr_table np_hep_listen_counters;

/** The rows of struct np_stats (per thread, summed; worker rows per worker). */
extern const struct np_ctr_table np_stats_counters;
/** The rows of struct np_app_counters. */
extern const struct np_ctr_table np_app_counters_table;

/**
 * Facts about the running process (`run` only): natprobe_build_info and
 * process_start_time_seconds. Not counters: rendered after them.
 */
struct np_process_info {
	const char *version; /**< natprobe's */
	const char *dpdk;    /**< versions natprobe runs with, e.g. "22.11.11" */
	const char *hyperscan;
	const char *libpcap;
	const char *libcyaml;
	double start_time_s; /**< since the Unix epoch */
};

/** What a report reads: the config for names, and every owner's counters. */
struct np_stats_src {
	const struct np_conf *conf; /**< port and segment names */
	unsigned int n_workers;
	const struct np_stats *const *workers; /**< n_workers entries, worker i = index i */
	const struct np_stats *control;	       /**< NIC-level port counters; may be NULL */
	/** Per worker (n_workers entries), or NULL: SIP, fragment and flow counters. */
	const struct np_det_inspect_stats *const *inspect;
	const struct np_flow_stats *const *flow;
	/** Control thread: anomaly/incident counters and the binding learner; may be NULL. */
	const struct np_det_correlator_stats *correlator;
	const struct np_nat_stats *nat;
	const struct np_app_counters *app; /**< NULL: left out */
	/** `run` with hep.listen, else NULL: the HEP thread's decoder, listener, inspector. */
	const struct np_hep_input_stats *hep_input;
	const struct np_hep_listen_stats *hep_listen;
	const struct np_det_inspect_stats *hep_inspect; /**< summed with the workers' */
	const struct np_process_info *process; /**< NULL: the process families are left out */
};

/** Sum of every thread's struct np_stats into @p out (worker[] counters are summed too). */
void np_stats_sum(const struct np_stats_src *src, struct np_stats *out);

/** A label of a sample. */
struct np_ctr_label {
	const char *name;
	const char *value;
};

/** One series' value, as np_ctr_walk() hands it out. */
struct np_ctr_sample {
	const struct np_ctr_desc *d; /**< its row */
	unsigned int n_labels;
	struct np_ctr_label l[3]; /**< dim labels (port, segment / segment / worker) first */
	uint64_t v;
};

/** What np_ctr_walk() calls: once per family, then once per series. */
struct np_ctr_visitor {
	void (*family)(void *ctx, const struct np_ctr_desc *first_row);
	void (*sample)(void *ctx, const struct np_ctr_sample *s);
	void *ctx;
};

/**
 * Walk every counter table over @p src, in the order of the exposition
 * (np_stats, inspector, flow table, correlator, process, learner), summing
 * the per-worker owners (workers' rows per worker).
 */
void np_ctr_walk(const struct np_stats_src *src, const struct np_ctr_visitor *v);

/**
 * Write every counter in Prometheus text exposition format (version 0.0.4):
 * a # HELP and # TYPE line per family, then one sample per label set, names
 * prefixed "natprobe_"; then natprobe_build_info and
 * process_start_time_seconds when @p src has the process.
 * @return 0, or -EIO when writing to @p f failed.
 */
int np_stats_write_prometheus(FILE *f, const struct np_stats_src *src);

/**
 * Write the counter reference as a Markdown table (name, type, labels, help),
 * the source of docs/counters.md.
 * @return 0, or -EIO when writing to @p f failed.
 */
int np_counters_write_markdown(FILE *f);

/**
 * Write JSON-escaped @p s (no quotes added) to @p f.
 * @return 0 or -EIO.
 */
int np_json_escape(FILE *f, const char *s);

/**
 * Write @p len bytes of @p s JSON-escaped (no quotes added): valid UTF-8 is
 * kept, except C1 controls (U+0080..U+009F); those, C0 controls, DEL and
 * bytes that are not valid UTF-8 (read as Latin-1) are written as \u00XX,
 * so no control character reaches a terminal that shows the JSON.
 * @return 0 or -EIO.
 */
int np_json_escape_n(FILE *f, const char *s, size_t len);

/** Write @p s (or null when NULL) as a JSON string with quotes. @return 0 or -EIO. */
int np_json_str(FILE *f, const char *s, size_t len);

#endif /* NP_COUNTERS_H */
