/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_APP_H
#define NP_APP_H

/*
 * The natprobe program: the pieces shared by the subcommand drivers, the
 * EAL/port setup, the worker loop and the control loop. DPDK types live here
 * and in app/ only; the libraries under lib/ never see them.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "np_conf.h"
#include "np_counters.h"
#include "np_detect.h"
#include "np_pkt.h"
#include "np_record.h"
#include "np_tunnel.h"

struct np_metrics;
struct np_hep_sender;
struct np_hist;
struct np_evidence;

#define NP_NO_PORT UINT16_MAX
#define NP_MAX_BURST 512
#define NP_LINEAR_MAX 16384	/* bytes of a chained frame copied for inspection */
#define NP_INNER_MAX 65600	/* an IP packet out of GRE, behind a synthetic Ethernet header */
#define NP_MBUF_MAX_ROOM (UINT16_MAX - RTE_PKTMBUF_HEADROOM)	/* largest mbuf data room */
/* Translation table entries for nat.max_bindings bindings: 2 per binding, as most publish. */
static inline uint32_t np_app_xlat_capacity(unsigned int max_bindings)
{
	return max_bindings < 8 ? 16 : 2u * max_bindings;
}

/* Exit codes of every subcommand. */
#define NP_EXIT_OK 0
#define NP_EXIT_FAIL 1		/* stopped by a runtime failure after start */
#define NP_EXIT_USAGE 2		/* bad command line, config, input or startup */
#define NP_EXIT_FINDINGS 3	/* analyze --fail-on: the analysis ran and found what was asked */

/* Set by the signal handler only; every loop polls it. */
extern volatile bool np_force_quit;
/* Set by SIGHUP: reopen export.records_file (log rotation). */
extern volatile bool np_reopen_records;
/* Set by SIGUSR1: print the counters on stdout now. */
extern volatile bool np_print_counters;

/* version.c: natprobe's version and the library versions it runs with. */
struct np_versions {
	char natprobe[32];
	char dpdk[32];
	char hyperscan[64];
	char libpcap[64];
	char libcyaml[32];
};
void np_versions_get(struct np_versions *v);
void np_versions_print(FILE *f);	/* natprobe --version */

/*
 * Worker -> control: two single-producer/single-consumer rings per worker,
 * fixed-size elements (rte_ring_elem). Small events (flow events, bad
 * frames) in one; SIP summaries, much larger, in the other. A full ring
 * drops the event and counts it; forwarding never waits.
 */
enum np_event_type {
	NP_EV_BAD_FRAME = 1,	/* a frame the parser could not take (class in .bad.cls) */
	NP_EV_FLOW,		/* a flow event (lib/flow) */
};

struct np_event {
	uint16_t type;		/* enum np_event_type */
	uint16_t pad;
	uint32_t pad2;
	union {
		struct {
			uint8_t segment;
			uint8_t cls;	/* enum np_pkt_class */
			uint16_t port;	/* config port index */
			uint16_t len;	/* frame length */
			uint8_t head[32]; /* first bytes of the frame */
		} bad;
		struct np_flow_event flow;
	};
};

/*
 * Worker -> control, HEP export only (export.hep_collector set): each SIP
 * message, as it was on the wire, copied into a slot of the worker's own
 * mempool; the slot's pointer travels on a single-producer/single-consumer
 * ring; the control thread sends it and puts the slot back. No free slot is
 * a counted drop. Slots are sized for the largest message the flow tracker
 * hands over (a TCP reassembly buffer).
 */
#define NP_HEP_SLOT_DATA NP_FLOW_REASM_BUF_LEN

struct np_hep_slot {
	struct np_addr src;
	struct np_addr dst;
	uint64_t ts_ns;
	uint32_t len;		/* bytes in data */
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;		/* 6 TCP, 17 UDP */
	uint8_t segment;
	uint8_t data[NP_HEP_SLOT_DATA];
};

/* One rx queue a worker polls, and where its frames go. */
struct np_rxq {
	uint16_t port_id;	/* ethdev port id */
	uint16_t queue;
	uint16_t out_port_id;	/* NP_NO_PORT when passive */
	uint16_t out_queue;
	uint8_t port;		/* config index of the rx port (counters) */
	uint8_t out_port;	/* config index of the tx port */
	uint8_t segment;
	uint16_t input;		/* evidence input number: frame references name it */
	uint32_t max_len;	/* longer frames are forwarded, not inspected (oversize) */
};

/* A net_af_packet port's ring and mbuf sizes (afpacket.c). */
struct np_afp {
	bool is_afp;
	bool sized;		/* natprobe chose framesz/blocksz: EAL gets device below */
	uint32_t room;		/* mbuf data room its frames need; 0: the shared pool's */
	uint32_t max_frame;	/* largest frame it receives whole; 0: datapath.mtu */
	char device[NP_DEVICE_MAX + 64];
};

/* datapath.ip_checksum on the live path: auto accepts the offloading hosts' 0x0000. */
static inline uint8_t np_app_csum_mode(enum np_ip_checksum v)
{
	return v == NP_IP_CSUM_YES ? NP_PKT_CSUM_VERIFY :
	       v == NP_IP_CSUM_NO ? NP_PKT_CSUM_IGNORE : NP_PKT_CSUM_ACCEPT_ZERO;
}

struct np_worker {
	unsigned int id;
	unsigned int lcore;
	unsigned int n_rxq;
	struct np_rxq rxq[NP_MAX_PORTS];
	struct rte_ring *events;
	struct rte_ring *sip_events;
	struct rte_mempool *hep_pool;	/* HEP export slots; NULL when HEP is off */
	struct rte_ring *hep_ring;	/* filled slots, to the control thread */
	struct np_det_inspect *ins;
	struct np_hist *hist;		/* evidence history the inspector fills; NULL: off */
	uint64_t tsc_base;		/* TSC and wall clock at start: packet times */
	uint64_t ns_base;
	double ns_per_tsc;
	const struct np_conf *conf;
	/* datapath settings read per frame, copied here: the worker's own lines,
	 * not a pointer into the main thread's np_app */
	uint32_t tx_retries;
	np_pkt_parse_fn parse;		/* np_pkt_parser(csum_mode) */
	uint8_t csum_mode;		/* enum np_pkt_csum_mode (datapath.ip_checksum) */
	uint8_t n_tunnels;		/* tunnels[] entries, copied below */
	struct np_conf_tunnel tunnels[NP_MAX_TUNNELS];
	uint8_t linear[NP_LINEAR_MAX];	/* chained frames are copied here to be parsed */
	uint8_t inner[NP_INNER_MAX];	/* IP packets out of GRE get an Ethernet header here */
	struct np_stats stats;
} __rte_cache_aligned;

/* export.records_file (records.c); written by the control thread only. */
struct np_records {
	int fd;				/* -1: not configured, or the file is lost */
	FILE *mem;			/* open_memstream: one record formatted at a time */
	char *buf;
	size_t size;
	uint64_t written;		/* natprobe_records_written_total */
	uint64_t failed;		/* natprobe_records_failed_total */
	uint64_t reopen_failed;		/* natprobe_records_reopen_failures_total */
	int open_errno;			/* why the last open failed, 0 after a success */
	bool failing;			/* the last record was lost (log transitions only) */
	uint64_t next_check_ns;		/* next look at the file (removed? back?) */
};

struct np_app {
	struct np_conf conf;
	const char *conf_path;
	uint16_t port_id[NP_MAX_PORTS];	/* config index -> ethdev port id */
	bool port_started[NP_MAX_PORTS];
	struct rte_mempool *pool;
	struct rte_mempool *big_pool;	/* mbufs for af_packet ports' large frames, or NULL */
	struct np_afp afp[NP_MAX_PORTS];
	unsigned int n_workers;
	struct np_worker *workers[NP_MAX_WORKERS];
	struct np_stats control_stats;	/* NIC-level counters, written by control */
	const struct np_stats *worker_stats[NP_MAX_WORKERS];
	const struct np_det_inspect_stats *inspect_stats[NP_MAX_WORKERS];
	const struct np_flow_stats *flow_stats[NP_MAX_WORKERS];
	struct np_sip_db *sip_db;
	struct np_nat_xlat *xlat;
	struct np_det_correlator *corr;
	struct np_record_names names;
	const char *segment_names[NP_MAX_SEGMENTS];
	struct np_records rec;		/* export.records_file */
	double duration_s;		/* --duration, 0 = until a signal */
	double idle_exit_s;		/* --idle-exit, 0 = never */
	bool allow_unsafe;		/* --allow-unsafe-config */
	uint64_t events_seen[8];	/* per np_event_type, control side */
	struct np_metrics *metrics;	/* /metrics endpoint (metrics.h), NULL when off */
	struct np_hep_sender *hep;	/* HEP export (hep_export.c), NULL when off */
	struct np_evidence *evidence;	/* evidence captures (evidence_live.c), NULL when off */
	char evidence_dir[4096];	/* where they go */
	char evidence_stamp[24];	/* run start, UTC, in their names */
	unsigned int n_inputs;		/* evidence inputs: one per (port, rx queue) */
	char (*input_name)[48];		/* "c_side", or "c_side/q1" for a port of several queues */
	const char **input_ptr;
	struct np_versions versions;	/* natprobe_build_info labels */
	struct np_process_info process;	/* natprobe_build_info, process_start_time_seconds */
};

/* eal_setup.c */
int np_eal_init(struct np_app *app, int n_cli_args, char **cli_args);

/* privs.c: security.user / security.group */
int np_privs_prepare(struct np_app *app);	/* before EAL init; 0 or -errno, error printed */
int np_privs_drop(struct np_app *app);		/* after start-up, before the workers run */

/* afpacket.c: before EAL init, size net_af_packet rings; 0 or -EINVAL, error printed */
int np_afp_plan(struct np_app *app);

/* ports.c */
int np_ports_init(struct np_app *app);
void np_ports_close(struct np_app *app);
void np_ports_read_hw_stats(struct np_app *app);

/* worker.c */
int np_worker_main(void *arg);
extern const struct np_det_inspect_sink np_worker_sink;	/* ctx: the worker */
/* Inspector sip_full callback when HEP export is on: queue the message. */
void np_worker_sip_to_hep(void *ctx, const struct np_flow_msg *fm, const struct np_sip_msg *m);

/* hep_export.c: HEPv3 to export.hep_collector, sent by the control thread. */
int np_hep_start(struct np_app *app);
int np_hep_worker_init(struct np_app *app, struct np_worker *w, int socket);
void np_hep_worker_free(struct np_worker *w);
unsigned int np_hep_drain(struct np_app *app);
void np_hep_record(struct np_app *app, const struct np_det_record *r);
void np_hep_flush(struct np_app *app);	/* at the end: send (TCP) or count what waits */
void np_hep_stop(struct np_app *app);

/*
 * evidence_live.c: evidence captures of `run` (docs/records.md). Histories
 * are made with the workers, inputs named once the queues are known; each
 * incident record then gets its capture written by the control thread.
 */
bool np_evidence_live_on(const struct np_conf *c);	/* history_frames and a directory */
int np_evidence_check_conf(const struct np_conf *c, char *err, size_t errlen);
int np_evidence_worker_init(struct np_app *app, struct np_worker *w, int socket);
void np_evidence_worker_free(struct np_worker *w);
int np_evidence_live_start(struct np_app *app);	/* after np_ports_init: 0 or -errno */
void np_evidence_live_record(struct np_app *app, const struct np_det_record *r);
void np_evidence_live_counters(struct np_app *app);	/* into control_stats, for a scrape */
void np_evidence_live_stop(struct np_app *app);

/* control.c */
int np_control_init(struct np_app *app);
void np_control_fini(struct np_app *app);
int np_control_loop(struct np_app *app);
void np_control_drain(struct np_app *app);

/* records.c: export.records_file */
int np_records_open(struct np_app *app);	/* start-up: 0 or -errno, error printed */
void np_records_close(struct np_app *app);
void np_records_write(struct np_app *app, const struct np_det_record *r);
void np_records_reopen(struct np_app *app);	/* SIGHUP */
void np_records_tick(struct np_app *app, uint64_t now_ns);	/* removed file, retries */
void np_control_print_counters(struct np_app *app, FILE *f);

/* notify.c: systemd readiness and watchdog (only when NOTIFY_SOCKET is set). */
int np_notify_init(void);			/* after EAL init; 0, or -1 (error printed) */
void np_notify_ready(const struct np_app *app);	/* workers launched */
void np_notify_tick(const struct np_app *app, uint64_t now_cycles);	/* control loop */
void np_notify_stopping(void);

/* files.c: files opened as root */
struct np_file_owner {
	bool set;		/* give a file natprobe creates to uid/gid (security.user) */
	unsigned int uid;
	unsigned int gid;
};
/*
 * Open @p path to append (export.records_file): O_NOFOLLOW, O_EXCL when
 * creating (mode 0640, given to @p owner when set and running as root);
 * refuses anything but a regular file with one link owned by root, us or
 * @p owner. @return fd, or -errno with one line in @p err.
 */
int np_open_output(const char *path, const struct np_file_owner *owner, char *err, size_t errlen);
/* What np_open_output() would refuse that can be seen now (a link, a FIFO, no directory). */
int np_output_check(const char *path, char *err, size_t errlen);
/*
 * Is @p path (and the directory holding it; for a directory, every file in
 * it) writable only by root or the user running natprobe? @p what names it
 * in the error. @return 0, or -EPERM/-errno with one line in @p err.
 */
int np_file_trusted(const char *path, const char *what, char *err, size_t errlen);
/* The config and every EAL -d plugin (eal.extra_args, @p cli after --), by np_file_trusted(). */
int np_run_inputs_trusted(const char *conf_path, const struct np_conf *c, int n_cli, char **cli,
			  char *err, size_t errlen);

/*
 * cmd_run.c: what `run` checks after loading the config and before starting
 * DPDK (lcores exist, config and -d plugins trusted), also run by
 * check-config. Errors printed. @return 0 or -errno.
 */
int np_run_check_conf(const struct np_conf *c, const char *conf_path, bool allow_unsafe, int n_eal,
		      char **eal);

/* Each subcommand's --help text (the man page is built from natprobe --help). */
extern const char np_run_usage[];
extern const char np_analyze_usage[];
extern const char np_dump_sip_usage[];
extern const char np_check_config_usage[];
extern const char np_list_counters_usage[];

/* subcommand drivers */
int np_cmd_run(int argc, char **argv);
int np_cmd_check_config(int argc, char **argv);
int np_cmd_analyze(int argc, char **argv);
int np_cmd_dump_sip(int argc, char **argv);

/*
 * log.c: every line natprobe writes to stderr, np_err() and rte_log() alike:
 * escaped (no control characters reach a terminal), once (not again through
 * syslog), with a syslog priority prefix ("<3>") when stderr is journald's.
 */
enum np_output { NP_OUT_STDOUT, NP_OUT_STDERR, NP_OUT_MAX };

/* Read JOURNAL_STREAM: is stderr the journal? Call first thing in main(). */
void np_log_init(void);
/* True when lines carry syslog priority prefixes (stderr is journald's). */
bool np_log_journal(void);
/* After rte_eal_init(): rte_log writes through natprobe's stream, syslog closed. 0 or -errno. */
int np_log_dpdk_start(void);
/* Write @p len bytes of text as log lines at syslog priority @p prio (LOG_ERR ...). */
void np_log_text(int prio, const char *text, size_t len);
/* Count a failed write (EPIPE, ENOSPC, ...) to stdout or stderr; the data is lost. */
void np_output_failed(enum np_output out);
/* Writes counted by np_output_failed(). */
uint64_t np_output_failures(enum np_output out);

/* np_conf_load()'s errors, one np_err() line each. */
void np_conf_print_errors(const char *err);

/* Print "natprobe: ..." as one line on stderr (log.c). */
void np_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* NP_APP_H */
