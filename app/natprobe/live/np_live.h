/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_LIVE_H
#define NP_LIVE_H

/*
 * The live probe (natprobe run): EAL and port setup, the workers, the
 * control thread, privileges and the records file. DPDK types live here and
 * in app/ only; the libraries under lib/ never see them.
 *
 * Threads: np_worker_main() runs on each worker lcore (worker.c), everything
 * else on the main lcore, the control thread (control.c, link.c, records.c,
 * notify.c, and the observers it calls). A shared field says who writes and
 * who reads it ("worker: rw, control: ro"); a field without such a note is
 * written before the workers start and only read after.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "np_cli.h"
#include "np_conf.h"
#include "np_counters.h"
#include "np_correlate.h"
#include "np_pkt.h"
#include "np_record.h"
#include "np_tunnel.h"

struct np_hep_listen;
struct np_links;
struct np_observer;
struct rte_rcu_qsbr;
struct np_hist;
struct np_evidence;

#define NP_NO_PORT UINT16_MAX
#define NP_MAX_BURST 512
#define NP_LINEAR_MAX 16384 /* bytes of a chained frame copied for inspection */
#define NP_INNER_MAX 65600  /* an IP packet out of GRE, behind a synthetic Ethernet header */
#define NP_MBUF_MAX_ROOM (UINT16_MAX - RTE_PKTMBUF_HEADROOM) /* largest mbuf data room */
#define NP_MAX_OBSERVERS 8

/*
 * Worker -> control: two single-producer/single-consumer rings per worker,
 * fixed-size elements (rte_ring_elem). Small events (flow events, bad
 * frames) in one; SIP summaries, much larger, in the other. A full ring
 * drops the event and counts it; forwarding never waits.
 */
/*
 * Slots of the small-event ring for a configured datapath.event_ring_size
 * (the SIP ring's slots). A burst of new flows brings two flow events each
 * (new, fingerprint) faster than the control thread correlates them: 4,096
 * new flows in half a millisecond at 16 Mpps are 8,192 events, and the
 * control thread takes about 2 us per new flow (the learner). A 96-byte
 * event is a fifth of a typical packed SIP summary, so this ring holds
 * NP_FLOW_RING_FACTOR times as many events for about a fourth of the SIP
 * ring's memory.
 */
#define NP_FLOW_RING_FACTOR 4
static inline unsigned int np_flow_ring_size(unsigned int event_ring_size)
{
	return event_ring_size * NP_FLOW_RING_FACTOR;
}

/*
 * The SIP ring carries packed summaries (np_det_sip_pack(): the head, the
 * addresses and the text in use) in NP_SIP_SLOT-byte slots, each message in
 * as many consecutive slots as it needs, enqueued all at once. Most take
 * 6-10 slots (a 2,880-byte summary took one 2,880-byte slot before); the
 * ring has NP_SIP_RING_FACTOR slots per datapath.event_ring_size, so the
 * default holds as many summaries of ~1 KB as it held whole ones, in a
 * third of the memory.
 *
 * The ring's elements are NP_SIP_ELEM bytes, NP_SIP_SLOT / NP_SIP_ELEM to a
 * slot: rte_ring copies 16-byte elements two at a time with vector moves,
 * and elements of any other size but 8 a 32-bit word at a time (~4 times
 * the instructions, on both the worker's and the control thread's side).
 */
#define NP_SIP_SLOT 64
#define NP_SIP_ELEM 16
#define NP_SIP_ELEMS_PER_SLOT (NP_SIP_SLOT / NP_SIP_ELEM)
#define NP_SIP_RING_FACTOR 16
#define NP_SIP_STAGE_BYTES \
	((sizeof(struct np_det_sip) + NP_SIP_SLOT - 1) / NP_SIP_SLOT * NP_SIP_SLOT)
/*
 * A worker's batch of packed summaries (struct np_worker sip_stage): up to
 * NP_SIP_BATCH of them; room for a summary of the largest size is left
 * past NP_SIP_BATCH_FILL bytes (typical summaries are 300-1,000 bytes).
 */
#define NP_SIP_BATCH 32
#define NP_SIP_BATCH_FILL (16 * 1024)
#define NP_SIP_BATCH_BYTES (NP_SIP_BATCH_FILL + NP_SIP_STAGE_BYTES)
/* Elements of the SIP ring for datapath.event_ring_size. */
static inline unsigned int np_sip_ring_size(unsigned int event_ring_size)
{
	return event_ring_size * NP_SIP_RING_FACTOR * NP_SIP_ELEMS_PER_SLOT;
}

/*
 * Put @p s on a SIP ring (one producer: hep.listen's thread; a worker
 * batches its summaries instead, worker.c sip_flush(), in the same packed
 * form), packed through @p stage (NP_SIP_STAGE_BYTES): all its slots or
 * none, so the control thread reads whole messages. @return true when it
 * went.
 */
static inline bool np_sip_put(struct rte_ring *ring, const struct np_det_sip *s, uint8_t *stage)
{
	const unsigned int n =
		NP_SIP_ELEMS_PER_SLOT *
		(unsigned int)((np_det_sip_pack(s, stage) + NP_SIP_SLOT - 1) / NP_SIP_SLOT);

	return rte_ring_sp_enqueue_bulk_elem(ring, stage, NP_SIP_ELEM, n, NULL) == n;
}

struct np_app;
/*
 * The next summary of a SIP ring (a worker's, hep.listen's) into @p s,
 * unpacked through @p stage (NP_SIP_STAGE_BYTES), and correlated (control
 * thread). @return 1, or 0 when the ring is empty.
 */
unsigned int np_sip_take(struct np_app *app, struct rte_ring *ring, uint8_t *stage,
			 struct np_det_sip *s);

enum np_event_type {
	NP_EV_BAD_FRAME = 1, /* a frame the parser could not take (class in .bad.cls) */
	NP_EV_FLOW,	     /* a flow event (lib/flow) */
};

struct np_event {
	uint16_t type; /* enum np_event_type */
	uint16_t pad;
	uint32_t pad2;
	union {
		struct {
			uint8_t segment;
			uint8_t cls;	  /* enum np_pkt_class */
			uint16_t port;	  /* config port index */
			uint16_t len;	  /* frame length */
			uint8_t head[32]; /* first bytes of the frame */
		} bad;
		struct np_flow_event flow;
	};
};

/*
 * The small-event ring's elements are NP_EVENT_ELEM bytes, NP_EVENT_ELEMS to
 * an event, enqueued together: rte_ring copies 16-byte elements with vector
 * moves, those of other sizes (but 8) a 32-bit word at a time. The ring
 * holds exactly np_flow_ring_size() events (RING_F_EXACT_SZ).
 */
#define NP_EVENT_ELEM 16
#define NP_EVENT_ELEMS (sizeof(struct np_event) / NP_EVENT_ELEM)
_Static_assert(sizeof(struct np_event) % NP_EVENT_ELEM == 0,
	       "an event is a whole number of the ring's elements");

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
	uint32_t len; /* bytes in data */
	uint16_t sport;
	uint16_t dport;
	uint8_t proto; /* 6 TCP, 17 UDP */
	uint8_t segment;
	uint8_t data[NP_HEP_SLOT_DATA];
};

/* One rx queue a worker polls, and where its frames go. */
struct np_rxq {
	uint16_t port_id; /* ethdev port id */
	uint16_t queue;
	uint16_t out_port_id; /* NP_NO_PORT when passive */
	uint16_t out_queue;
	uint8_t port;	  /* config index of the rx port (counters) */
	uint8_t out_port; /* config index of the tx port */
	uint8_t segment;
	uint16_t input;	  /* evidence input number: frame references name it */
	uint32_t max_len; /* longer frames are forwarded, not inspected (oversize) */
};

/* A net_af_packet port's ring and mbuf sizes (afpacket.c). */
struct np_afp {
	bool is_afp;
	bool sized;	    /* natprobe chose framesz/blocksz: EAL gets device below */
	uint32_t room;	    /* mbuf data room its frames need; 0: the shared pool's */
	uint32_t max_frame; /* largest frame it receives whole; 0: datapath.mtu */
	char device[NP_DEVICE_MAX + 64];
};

/* datapath.ip_checksum on the live path: auto accepts the offloading hosts' 0x0000. */
static inline uint8_t np_app_csum_mode(enum np_ip_checksum v)
{
	return v == NP_IP_CSUM_YES  ? NP_PKT_CSUM_VERIFY
	       : v == NP_IP_CSUM_NO ? NP_PKT_CSUM_IGNORE
				    : NP_PKT_CSUM_ACCEPT_ZERO;
}

/*
 * What the control thread lets a worker do with one of its rx queues
 * (link.c), from the link state of the queue's port and of the port its
 * frames leave by. A queue is polled only while its port's link is up.
 */
enum np_rxq_gate {
	NP_RXQ_POLL = 0, /* receive, inspect, forward */
	NP_RXQ_NO_TX,	 /* the egress link is down: receive, inspect, count as dropped */
	NP_RXQ_HOLD,	 /* leave the queue alone (link down, or a port being restarted) */
};

struct np_worker {
	unsigned int id;
	unsigned int lcore;
	unsigned int n_rxq;
	struct np_rxq rxq[NP_MAX_PORTS];
	/* link.c: per rx queue (enum np_rxq_gate); control: rw, worker: ro */
	volatile uint8_t rxq_gate[NP_MAX_PORTS];
	/* link.c: worker: reports a quiescent state once per loop; control: waits on it */
	struct rte_rcu_qsbr *qsv;
	uint64_t tx_backoff_cycles;   /* datapath.tx_backoff_us, in TSC cycles */
	struct rte_ring *events;      /* worker: enqueues; control: dequeues */
	struct rte_ring *sip_events;  /* worker: enqueues; control: dequeues */
	struct rte_mempool *hep_pool; /* HEP export slots (observe/); NULL when HEP is off */
	struct rte_ring *hep_ring;    /* filled slots; worker: enqueues, control: dequeues */
	struct np_det_inspect *ins;   /* worker: rw; control: ro through its stats */
	struct np_hist *hist; /* evidence history; worker: writes, control: reads; NULL: off */
	uint64_t tsc_base;    /* TSC and wall clock at start: packet times */
	uint64_t ns_base;
	double ns_per_tsc;
	const struct np_conf *conf;
	/* datapath settings read per frame, copied here: the worker's own lines,
	 * not a pointer into the main thread's np_app */
	uint32_t tx_retries;
	np_pkt_parse_fn parse; /* np_pkt_parser(csum_mode) */
	uint8_t csum_mode;     /* enum np_pkt_csum_mode (datapath.ip_checksum) */
	uint8_t n_tunnels;     /* tunnels[] entries, copied below */
	struct np_conf_tunnel tunnels[NP_MAX_TUNNELS];
	uint8_t linear[NP_LINEAR_MAX]; /* chained frames are copied here to be parsed */
	uint8_t inner[NP_INNER_MAX];   /* IP packets out of GRE get an Ethernet header here */
	struct np_stats stats; /* worker: rw, control: ro (counters, torn reads none: u64) */
	/*
	 * The SIP summaries of a burst, packed for the SIP ring one after the
	 * other, enqueued together once the burst is inspected or before the
	 * worker's next event (worker.c sip_flush(), push()): the ring's head
	 * and the control thread's tail are read once a burst instead of once
	 * a message, in the order the frames made summaries and events.
	 */
	uint16_t sip_n;			  /* summaries in sip_stage */
	uint32_t sip_off;		  /* bytes of sip_stage in use */
	uint16_t sip_elems[NP_SIP_BATCH]; /* ring elements of each */
	uint8_t sip_stage[NP_SIP_BATCH_BYTES] __rte_cache_aligned;
} __rte_cache_aligned;

/* export.records_file (records.c); written by the control thread only. */
struct np_records {
	int fd;	   /* -1: not configured, or the file is lost */
	FILE *mem; /* open_memstream: one record formatted at a time */
	char *buf;
	size_t size;
	uint64_t written;	/* natprobe_records_written_total */
	uint64_t failed;	/* natprobe_records_failed_total */
	uint64_t reopen_failed; /* natprobe_records_reopen_failures_total */
	int open_errno;		/* why the last open failed, 0 after a success */
	bool failing;		/* the last record was lost (log transitions only) */
	uint64_t next_check_ns; /* next look at the file (removed? back?) */
};

struct np_app {
	struct np_conf conf;
	const char *conf_path;
	uint16_t port_id[NP_MAX_PORTS]; /* config index -> ethdev port id */
	bool port_started[NP_MAX_PORTS];
	struct rte_mempool *pool;
	struct rte_mempool *big_pool; /* mbufs for af_packet ports' large frames, or NULL */
	struct np_afp afp[NP_MAX_PORTS];
	unsigned int n_workers;
	struct np_worker *workers[NP_MAX_WORKERS];
	struct np_stats control_stats; /* NIC-level counters; control: rw */
	bool sip_unpack_failed;	       /* control: a worker's summary could not be read (logged) */
	/* each worker's counters; worker: rw, control: ro */
	const struct np_stats *worker_stats[NP_MAX_WORKERS];
	const struct np_det_inspect_stats *inspect_stats[NP_MAX_WORKERS];
	const struct np_flow_stats *flow_stats[NP_MAX_WORKERS];
	struct np_sip_db *sip_db; /* compiled once; the workers' scratch is their own */
	/* translation table + correlator; control: rw, the workers read the
	 * translation table (np_xlat is published by RCU, np_nat.h) */
	struct np_det_control det;
	struct np_record_names names;
	const char *segment_names[NP_MAX_SEGMENTS];
	struct np_records rec;	      /* export.records_file */
	double duration_s;	      /* --duration, 0 = until a signal */
	double idle_exit_s;	      /* --idle-exit, 0 = never */
	bool allow_unsafe;	      /* --allow-unsafe-config */
	uint64_t events_seen[8];      /* per np_event_type; control: rw */
	struct np_evidence *evidence; /* evidence captures (evidence.c), NULL when off; control */
	char evidence_dir[4096];      /* where they go */
	char evidence_stamp[24];      /* run start, UTC, in their names */
	unsigned int n_inputs;	      /* evidence inputs: one per (port, rx queue) */
	char (*input_name)[48];	      /* "c_side", or "c_side/q1" for a port of several queues */
	const char **input_ptr;
	struct np_versions versions;	     /* natprobe_build_info labels */
	struct np_process_info process;	     /* natprobe_build_info, process_start_time_seconds */
	struct np_app_counters app_counters; /* control: rw at each export */
	struct np_links *links;		     /* link state of the ports (link.c); control: rw */
	unsigned int n_observers;
	const struct np_observer *observers[NP_MAX_OBSERVERS]; /* np_observer_add() */
	struct np_hep_listen *hep_listen; /* hep.listen (hep_listen.c); NULL when off */
	/* segments of HEP agents no hep.agents[] entry names, after the configured ones:
	 * HEP thread: writes a name before the first event of its segment; control: ro */
	char hep_segment_name[NP_MAX_SEGMENTS][NP_NAME_MAX + 1];
	/* this process's HEP instance id (origin chunk, np_hep_wire.h): random, never 0; set
	 * by np_control_init(), read-only after */
	uint64_t hep_origin;
};

/*
 * What watches the live probe from the control thread without being part of
 * it: the /metrics endpoint, DPDK telemetry, HEP export (observe/,
 * np_observe.h). cmd_run.c adds them before np_control_init(); the live
 * probe calls them only through this table, in the order they were added
 * (stop: in reverse). Every hook may be NULL. Each observer keeps its own
 * state: there is one np_app per process.
 */
struct np_observer {
	const char *name;
	/* control init, after EAL: 0 or -errno, one error line printed */
	int (*start)(struct np_app *app);
	/* per worker, in memory of its socket, before it runs: 0 or -errno, printed */
	int (*worker_init)(struct np_app *app, struct np_worker *w, int socket);
	void (*worker_free)(struct np_worker *w);
	/* each control loop, before the event rings; @return items taken */
	unsigned int (*drain)(struct np_app *app);
	/* each control loop, after the rings (serve what is ready, never block) */
	void (*poll)(struct np_app *app);
	/* about every 100 ms, after the NIC counters were read */
	void (*tick)(struct np_app *app);
	/* each flow event of the workers, before the correlator takes it */
	void (*flow)(struct np_app *app, const struct np_flow_event *ev);
	/* each anomaly and incident record, before the records file */
	void (*record)(struct np_app *app, const struct np_det_record *r);
	/* the workers stopped and the rings are drained: send what waits */
	void (*flush)(struct np_app *app);
	void (*stop)(struct np_app *app);
};

/* Add @p o to the live probe; before np_control_init(). 0, or -ENOSPC (printed). */
int np_observer_add(struct np_app *app, const struct np_observer *o);

/* eal_setup.c: 0, or -errno with the error printed (-EAGAIN: another start may succeed) */
int np_eal_init(struct np_app *app, int n_cli_args, char **cli_args);
/* eal_prefix.c: another primary holds @p prefix? 0, or -EBUSY with one line printed */
int np_eal_prefix_check(const char *prefix, int argc, char **argv);

/* privs.c: security.user / security.group */
int np_privs_prepare(struct np_app *app); /* before EAL init; 0 or -errno, error printed */
int np_privs_drop(struct np_app *app);	  /* after start-up, before the workers run */

/*
 * afpacket.c: before EAL init, size net_af_packet rings; 0, or -EINVAL (the
 * device string), or -EAGAIN (a port's fanout group is another process's:
 * another start, another PID, may succeed), error printed
 */
int np_afp_plan(struct np_app *app);

/* ports.c */
int np_ports_init(struct np_app *app);
void np_ports_close(struct np_app *app);
void np_ports_read_hw_stats(struct np_app *app);

/*
 * link.c: link state of the ports, from the control thread. init after the
 * ports started (they may be down, a memif client may not be started yet),
 * before the workers run; poll once per control loop; fini before the ports
 * stop. Each returns 0 or -errno, errors printed.
 */
int np_link_init(struct np_app *app);
void np_link_poll(struct np_app *app);
void np_link_fini(struct np_app *app);
/* A port that natprobe restarts while it is down (a memif client): start may fail at first. */
bool np_link_restarts(const struct np_app *app, unsigned int p);

/*
 * worker.c: np_workers_create() builds each worker (rings, inspector, the
 * observers' per-worker parts) after np_control_init(); np_workers_free()
 * undoes it, after the workers stopped. np_worker_main() is a worker lcore's
 * loop (arg: its struct np_worker).
 */
int np_workers_create(struct np_app *app);
/* DPDK memory on socket (intptr_t)@p ctx, for the allocators of libraries' tables a worker owns. */
void *np_socket_alloc(size_t size, size_t align, void *ctx);
void np_socket_free(void *p, void *ctx);
void np_workers_free(struct np_app *app);
int np_worker_main(void *arg);

/*
 * hep_listen.c: hep.listen, HEP received live on its own thread. open binds
 * the sockets and builds the inspector and rings (control init, before the
 * privileges are dropped; 0 when off, or -errno, printed); start runs the
 * thread (after the drop); stop asks it to end and joins it; drain hands at
 * most @p max_bursts bursts of each of its rings to the correlator (@return
 * events; its SIP ring carries packed summaries like a worker's, taken
 * through @p stage into @p sip); stats_src adds its counters to @p src; close undoes open.
 */
int np_hep_listen_open(struct np_app *app);
int np_hep_listen_start(struct np_app *app);
void np_hep_listen_stop(struct np_app *app);
unsigned int np_hep_listen_drain(struct np_app *app, unsigned int max_bursts, uint8_t *stage,
				 struct np_det_sip *sip);
void np_hep_listen_stats_src(struct np_app *app, struct np_stats_src *src);
void np_hep_listen_close(struct np_app *app);

/*
 * hep.relay: what hep.listen receives, sent on to export.hep_collector as
 * received. The HEP thread copies each packet into a slot (a HEPv2 packet
 * re-encoded as HEPv3) and queues it; the HEP observer (hep_export.c) takes
 * at most @p n queued slots with relay_take, appends its origin chunk, sends
 * them and gives the slots back with relay_give. Without hep.listen, hep.relay
 * or export.hep_collector, relay_take returns 0.
 */
#define NP_HEP_RELAY_SLOT 16384 /* bytes: a longer packet is not relayed (counted) */
struct np_hep_relay_slot {
	uint32_t len; /* bytes of the packet in data */
	uint8_t data[NP_HEP_RELAY_SLOT];
};
unsigned int np_hep_listen_relay_take(struct np_app *app, struct np_hep_relay_slot **slots,
				      unsigned int n);
void np_hep_listen_relay_give(struct np_app *app, struct np_hep_relay_slot **slots, unsigned int n);

/*
 * evidence.c: evidence captures of `run` (docs/records.md). Histories
 * are made with the workers, inputs named once the queues are known; each
 * incident record then gets its capture written by the control thread.
 */
bool np_evidence_live_on(const struct np_conf *c); /* history_frames and a directory */
int np_evidence_check_conf(const struct np_conf *c, char *err, size_t errlen);
int np_evidence_worker_init(struct np_app *app, struct np_worker *w, int socket);
void np_evidence_worker_free(struct np_worker *w);
int np_evidence_live_start(struct np_app *app); /* after np_ports_init: 0 or -errno */
void np_evidence_live_record(struct np_app *app, const struct np_det_record *r);
void np_evidence_live_counters(struct np_app *app); /* into control_stats (np_control_stats_src) */
void np_evidence_live_stop(struct np_app *app);

/* control.c */
int np_control_init(struct np_app *app);
void np_control_fini(struct np_app *app);
/* Runs until a stop signal or --duration; 0, or < 0 when a part (the HEP listener) could not start:
 * exit 1. */
int np_control_loop(struct np_app *app);
void np_control_drain(struct np_app *app);

/* Every counter source of the live probe, for the walker (np_counters.h). */
void np_control_stats_src(struct np_app *app, struct np_stats_src *src);
/* The counters, Prometheus text, on @p f (exit, SIGUSR1, export.stats_interval_s). */
void np_control_print_counters(struct np_app *app, FILE *f);

/* records.c: export.records_file */
int np_records_open(struct np_app *app); /* start-up: 0 or -errno, error printed */
void np_records_close(struct np_app *app);
void np_records_write(struct np_app *app, const struct np_det_record *r);
void np_records_reopen(struct np_app *app);		   /* SIGHUP */
void np_records_tick(struct np_app *app, uint64_t now_ns); /* removed file, retries */

/* notify.c: systemd readiness and watchdog (only when NOTIFY_SOCKET is set). */
int np_notify_init(void);			/* after EAL init; 0, or -1 (error printed) */
void np_notify_ready(const struct np_app *app); /* workers launched */
void np_notify_tick(const struct np_app *app, uint64_t now_cycles); /* control loop */
void np_notify_stopping(void);

#endif /* NP_LIVE_H */
