/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The workers: their loop (np_worker_main) on the worker lcores, and their
 * set-up on the main lcore (np_workers_create, at the end of this file).
 *
 * The loop polls, classifies, forwards. No locks, syscalls, malloc or printf
 * in it. Forwarding never depends on inspection: every frame received on an
 * inline port is sent out of its peer unchanged, whatever it is.
 */

#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "np_live.h"

/*
 * The batch of summaries onto the SIP ring: the longest run from its start
 * whose slots all fit (one enqueue; the ring only gains room meanwhile, its
 * one producer being this worker); the rest are dropped and counted.
 */
static void sip_flush(struct np_worker *w)
{
	const unsigned int room = rte_ring_free_count(w->sip_events);
	unsigned int k = 0, elems = 0;

	while (k < w->sip_n && elems + w->sip_elems[k] <= room)
		elems += w->sip_elems[k++];
	if (elems > 0 && rte_ring_sp_enqueue_bulk_elem(w->sip_events, w->sip_stage, NP_SIP_ELEM,
						       elems, NULL) != elems)
		k = 0;
	w->stats.worker[NP_WK_EVENTS] += k;
	w->stats.worker[NP_WK_EVENT_DROPS] += w->sip_n - k;
	w->sip_n = 0;
	w->sip_off = 0;
}

/*
 * An event onto the worker's small-event ring: all its elements or none.
 * The summaries batched so far go first: the control thread then sees
 * summaries and events in the order the frames made them, exactly as when
 * each summary was enqueued at once (holding summaries back only until the
 * next event or the burst's end yields no order it could not see before).
 */
static inline void push(struct np_worker *w, const struct np_event *ev)
{
	if (unlikely(w->sip_n > 0))
		sip_flush(w);
	if (rte_ring_sp_enqueue_bulk_elem(w->events, ev, NP_EVENT_ELEM, NP_EVENT_ELEMS, NULL) ==
	    NP_EVENT_ELEMS)
		w->stats.worker[NP_WK_EVENTS]++;
	else
		w->stats.worker[NP_WK_EVENT_DROPS]++;
}

static inline void emit_bad_frame(struct np_worker *w, const struct np_rxq *r, unsigned int cls,
				  const uint8_t *data, uint32_t len)
{
	struct np_event ev;
	uint32_t n = len < sizeof(ev.bad.head) ? len : sizeof(ev.bad.head);

	memset(&ev, 0, sizeof(ev));
	ev.type = NP_EV_BAD_FRAME;
	ev.bad.segment = r->segment;
	ev.bad.cls = (uint8_t)cls;
	ev.bad.port = r->port;
	ev.bad.len = (uint16_t)(len > UINT16_MAX ? UINT16_MAX : len);
	rte_memcpy(ev.bad.head, data, n);
	push(w, &ev);
}

/* Inspector sink: flow events and SIP summaries go to the control thread. */
static void on_flow_event(void *ctx, const struct np_flow_event *fe)
{
	struct np_worker *w = ctx;
	struct np_event ev;

	ev.type = NP_EV_FLOW;
	ev.pad = 0;
	ev.pad2 = 0;
	ev.flow = *fe;
	push(w, &ev);
}

/* A summary packed at the end of the worker's batch (sent by sip_flush()). */
static void on_sip(void *ctx, const struct np_det_sip *s)
{
	struct np_worker *w = ctx;
	size_t len;

	if (w->sip_n == NP_SIP_BATCH || w->sip_off > NP_SIP_BATCH_FILL)
		sip_flush(w);
	len = np_det_sip_pack(s, w->sip_stage + w->sip_off);
	len = (len + NP_SIP_SLOT - 1) / NP_SIP_SLOT * NP_SIP_SLOT;
	w->sip_elems[w->sip_n++] = (uint16_t)(len / NP_SIP_ELEM);
	w->sip_off += (uint32_t)len;
}

/*
 * HEP export on: copy the message, as it was on the wire (a TCP message
 * reassembled), into a slot for the control thread. Runs only when
 * export.hep_collector is set; otherwise the inspector has no callback to call.
 */
static void sip_to_hep(void *ctx, const struct np_flow_msg *fm, const struct np_sip_msg *m)
{
	struct np_worker *w = ctx;
	struct np_hep_slot *s;

	(void)m;
	if (unlikely(fm->len > NP_HEP_SLOT_DATA ||
		     (fm->flags & (NP_FLOW_MSG_F_BODY_SKIPPED | NP_FLOW_MSG_F_BAD_LENGTH)))) {
		w->stats.worker[NP_WK_HEP_OVERSIZE]++;
		return;
	}
	if (unlikely(rte_mempool_get(w->hep_pool, (void **)&s) != 0)) {
		w->stats.worker[NP_WK_HEP_QUEUE_DROPS]++;
		return;
	}
	s->src = fm->src;
	s->dst = fm->dst;
	s->ts_ns = fm->ts_ns;
	s->len = fm->len;
	s->sport = fm->sport;
	s->dport = fm->dport;
	s->proto = fm->proto;
	s->segment = fm->segment;
	rte_memcpy(s->data, fm->data, fm->len);
	if (unlikely(rte_ring_sp_enqueue(w->hep_ring, s) != 0)) {
		rte_mempool_put(w->hep_pool, s);
		w->stats.worker[NP_WK_HEP_QUEUE_DROPS]++;
		return;
	}
	w->stats.worker[NP_WK_HEP_QUEUED]++;
}

static const struct np_det_inspect_sink worker_sink = {
	.flow_event = on_flow_event,
	.sip = on_sip,
};

static inline uint8_t tunnel_family(uint8_t encap)
{
	return encap == NP_PKT_ENCAP_VXLAN ? NP_TUNNEL_VXLAN
	       : encap == NP_PKT_ENCAP_GRE ? NP_TUNNEL_GRE
					   : NP_TUNNEL_ERSPAN;
}

/*
 * A frame that may carry a tunnel (GRE, VXLAN port): its inner frame is
 * inspected on the segment tunnels[] names, else on the segment it came in
 * on. Not a tunnel after all, or a header not understood: the frame itself.
 */
static __rte_noinline void inspect_tunnel(struct np_worker *w, const struct np_rxq *r,
					  const uint8_t *data, uint32_t len,
					  const struct np_pkt_info *pi, uint64_t now_ns,
					  const struct np_pkt_ref *ref)
{
	struct np_pkt_ref inner_ref = *ref;
	struct np_stats *st = &w->stats;
	struct np_pkt_tunnel t;
	struct np_pkt_info ipi;
	const uint8_t *inner;
	uint32_t ilen;
	uint8_t seg = r->segment;
	int rc = np_pkt_decap(data, len, pi, &t), cls;

	if (rc != NP_PKT_DECAP_OK) {
		if (rc == NP_PKT_DECAP_BAD)
			st->tunnel[r->segment][t.encap][NP_TUN_ERRORS]++;
		np_det_inspect_frame_ref(w->ins, ref, data, len, pi, now_ns);
		return;
	}
	st->tunnel[r->segment][t.encap][NP_TUN_FRAMES]++;
	for (unsigned int i = 0; i < w->n_tunnels; i++)
		if (np_tunnel_key_match(&w->tunnels[i].key, tunnel_family(t.encap), t.has_id,
					t.id)) {
			seg = w->tunnels[i].segment;
			break;
		}
	inner = np_pkt_tunnel_frame(data, &t, w->inner, sizeof(w->inner), &ilen);
	cls = w->parse(inner, ilen, &ipi);
	if (seg == r->segment) {
		st->tunnel[r->segment][t.encap][NP_TUN_UNMAPPED]++;
	} else {
		/* the tunnel's own segment sees the inner frame */
		st->segment[seg][NP_SEG_PACKETS]++;
		st->segment[seg][NP_SEG_BYTES] += ilen;
		st->frame_class[seg][cls]++;
	}
	if (ipi.ip_csum == NP_PKT_IP_CSUM_ZERO && cls != NP_PKT_BAD_CHECKSUM)
		st->segment[seg][NP_SEG_IPV4_CSUM_ZERO]++;
	inner_ref.segment = seg;
	np_det_inspect_frame_ref(w->ins, &inner_ref, inner, ilen, &ipi, now_ns);
}

/*
 * Look at one frame the fast path did not finish (@p rc: NP_DET_FAST_PARSED
 * with @p pi filled, or NP_DET_FAST_NOT_PLAIN). Never changes it.
 */
static inline void inspect(struct np_worker *w, const struct np_rxq *r, struct rte_mbuf *m,
			   uint64_t now_ns, const struct np_pkt_ref *ref, int rc,
			   struct np_pkt_info *pi)
{
	struct np_stats *st = &w->stats;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint32_t avail = len;
	const uint8_t *data;
	int cls;

	if (likely(m->nb_segs == 1)) {
		data = rte_pktmbuf_mtod(m, const uint8_t *);
		/* a plain frame: parsed already */
		if (rc == NP_DET_FAST_PARSED) {
			cls = pi->cls;
			goto parsed;
		}
	} else {
		avail = RTE_MIN(len, (uint32_t)NP_LINEAR_MAX);
		data = rte_pktmbuf_read(m, 0, avail, w->linear);
		if (unlikely(data == NULL))
			return;
	}
	cls = w->parse(data, avail, pi);
parsed:
	st->frame_class[r->segment][cls]++;
	if (unlikely(cls >= NP_PKT_RUNT))
		emit_bad_frame(w, r, (unsigned int)cls, data, len);
	/* Longer than the configured MTU: classified and forwarded, not inspected further. */
	if (unlikely(len > r->max_len)) {
		st->segment[r->segment][NP_SEG_OVERSIZE]++;
		return;
	}
	if (unlikely(pi->ip_csum == NP_PKT_IP_CSUM_ZERO) && cls != NP_PKT_BAD_CHECKSUM)
		st->segment[r->segment][NP_SEG_IPV4_CSUM_ZERO]++;
	/* Tunnels only once the plain cases miss: GRE, or UDP to VXLAN's port. */
	if (unlikely(np_pkt_may_be_tunnel(pi))) {
		inspect_tunnel(w, r, data, avail, pi, now_ns, ref);
		return;
	}
	np_det_inspect_frame_ref(w->ins, ref, data, avail, pi, now_ns);
}

/*
 * The tx ring was full: up to tx_retries more attempts, spread evenly over
 * datapath.tx_backoff_us, so a peer that falls behind for a moment (a NIC
 * ring draining, a memif reader being scheduled) gets time to make room.
 * The rx queues wait meanwhile; the wait is bounded and counted.
 */
static __rte_noinline uint16_t tx_retry(struct np_worker *w, const struct np_rxq *r,
					struct rte_mbuf **pkts, uint16_t n)
{
	const uint64_t gap = w->tx_backoff_cycles / w->tx_retries;
	const uint64_t t0 = rte_rdtsc();
	uint64_t now = t0;
	uint16_t sent = 0;

	for (unsigned int i = 0; i < w->tx_retries && sent < n; i++) {
		const uint64_t until = now + gap;

		while (now < until) {
			rte_pause();
			now = rte_rdtsc();
		}
		sent += rte_eth_tx_burst(r->out_port_id, r->out_queue, pkts + sent, n - sent);
	}
	w->stats.worker[NP_WK_TX_WAIT_CYCLES] += now - t0;
	return sent;
}

/*
 * @p gate NP_RXQ_NO_TX: the egress link is down; the frames are counted as
 * dropped. @p bytes: the sum of @p lens (all sent: the bytes sent).
 */
static inline void forward(struct np_worker *w, const struct np_rxq *r, struct rte_mbuf **pkts,
			   uint16_t n, const uint32_t *lens, uint64_t bytes, uint8_t gate)
{
	uint64_t *out = w->stats.port[r->out_port];
	uint16_t sent = 0;

	if (likely(gate == NP_RXQ_POLL)) {
		sent = rte_eth_tx_burst(r->out_port_id, r->out_queue, pkts, n);
		if (unlikely(sent < n) && w->tx_retries > 0)
			sent += tx_retry(w, r, pkts + sent, n - sent);
	}
	out[NP_PORT_TX_PACKETS] += sent;
	if (likely(sent == n)) {
		out[NP_PORT_TX_BYTES] += bytes;
	} else {
		for (uint16_t i = 0; i < sent; i++)
			out[NP_PORT_TX_BYTES] += lens[i];
		for (uint16_t i = sent; i < n; i++)
			out[NP_PORT_DROPPED_BYTES] += lens[i];
		out[NP_PORT_DROPPED_PACKETS] += n - sent;
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
}

/*
 * Count and inspect a received burst; @p lens gets each frame's length for
 * the tx counters, the return value their sum. Not inlined: the per-frame
 * work of the worker, between the rx and tx bursts, is this one function
 * (what `tools/bench --callgrind --worker` counts).
 *
 * The frames of known flows with nothing more to inspect go through the
 * fast path a burst at a time (np_det_inspect_fast_burst(): one call for
 * the run of frames up to the first one it does not finish); that one goes
 * the whole way (inspect()), then the fast path goes on after it. Frames
 * stay in their order.
 */
static __rte_noinline uint64_t inspect_burst(struct np_worker *w, const struct np_rxq *r,
					     struct rte_mbuf **pkts, uint16_t n, uint32_t *lens,
					     uint64_t tsc)
{
	uint64_t *in = w->stats.port[r->port];
	uint64_t *ctr = w->stats.frame_class[r->segment];
	const uint8_t *data[NP_MAX_BURST];
	const uint32_t max_len = r->max_len;
	uint64_t now_ns, bytes = 0;
	struct np_pkt_info pi;
	/*
	 * Frames are numbered per rx queue, from 1: what records and evidence
	 * captures cite. This worker's count of the port is its queue's count
	 * (a worker polls one queue of a port).
	 */
	struct np_pkt_ref ref = { .input = r->input, .segment = r->segment };
	const uint64_t first = in[NP_PORT_RX_PACKETS] + 1;

	now_ns = w->ns_base + (uint64_t)((double)(tsc - w->tsc_base) * w->ns_per_tsc);
	/* lengths, and where each frame lies when the fast path may take it (one buffer) */
	for (uint16_t i = 0; i < n; i++) {
		const struct rte_mbuf *m = pkts[i];
		const uint32_t len = rte_pktmbuf_pkt_len(m);
		const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);

		rte_prefetch0(d);
		lens[i] = len;
		bytes += len;
		data[i] = likely(m->nb_segs == 1 && len <= max_len) ? d : NULL;
	}
	for (unsigned int i = 0; i < n; i++) {
		int rc;

		i += np_det_inspect_fast_burst(w->ins, r->segment, data + i, lens + i, n - i,
					       w->csum_mode, now_ns, ctr, &pi, &rc);
		if (i >= n)
			break;
		ref.frame = first + i;
		inspect(w, r, pkts[i], now_ns, &ref, rc, &pi);
	}
	in[NP_PORT_RX_PACKETS] += n;
	in[NP_PORT_RX_BYTES] += bytes;
	/* every frame of the burst came in on this queue's segment */
	w->stats.segment[r->segment][NP_SEG_PACKETS] += n;
	w->stats.segment[r->segment][NP_SEG_BYTES] += bytes;
	return bytes;
}

static inline void poll_queue(struct np_worker *w, const struct np_rxq *r, unsigned int burst,
			      uint8_t gate)
{
	struct rte_mbuf *pkts[NP_MAX_BURST];
	uint32_t lens[NP_MAX_BURST];
	uint64_t t0, bytes;
	uint16_t n;

	w->stats.worker[NP_WK_POLLS]++;
	n = rte_eth_rx_burst(r->port_id, r->queue, pkts, (uint16_t)burst);
	if (n == 0)
		return;
	t0 = rte_rdtsc();
	bytes = inspect_burst(w, r, pkts, n, lens, t0);
	if (w->sip_n > 0)
		sip_flush(w);
	w->stats.worker[NP_WK_PACKETS] += n;
	w->stats.worker[NP_WK_BURSTS]++;
	if (r->out_port_id != NP_NO_PORT)
		forward(w, r, pkts, n, lens, bytes, gate);
	else
		rte_pktmbuf_free_bulk(pkts, n);
	w->stats.worker[NP_WK_BUSY_CYCLES] += rte_rdtsc() - t0;
}

#define NP_EXPIRE_EVERY 64 /* loops between ageing steps */
#define NP_EXPIRE_WORK 32  /* flows looked at per ageing step */

int np_worker_main(void *arg)
{
	struct np_worker *w = arg;
	const unsigned int burst = w->conf->datapath.burst_size;
	uint64_t start = rte_rdtsc();
	unsigned int loops = 0;

	rte_rcu_qsbr_thread_online(w->qsv, w->id);
	while (!np_force_quit) {
		for (unsigned int i = 0; i < w->n_rxq; i++) {
			const uint8_t gate = w->rxq_gate[i];

			if (likely(gate != NP_RXQ_HOLD))
				poll_queue(w, &w->rxq[i], burst, gate);
		}
		/* past here the worker holds nothing of a port: the control thread may change one
		 */
		rte_rcu_qsbr_quiescent(w->qsv, w->id);
		if (unlikely(++loops == NP_EXPIRE_EVERY)) {
			uint64_t now = rte_rdtsc();

			loops = 0;
			np_det_inspect_expire(w->ins,
					      w->ns_base + (uint64_t)((double)(now - w->tsc_base) *
								      w->ns_per_tsc),
					      NP_EXPIRE_WORK);
			w->stats.worker[NP_WK_TOTAL_CYCLES] = now - start;
		}
	}
	w->stats.worker[NP_WK_TOTAL_CYCLES] = rte_rdtsc() - start;
	rte_rcu_qsbr_thread_offline(w->qsv, w->id);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Set-up, on the main lcore before the workers run                    */

void *np_socket_alloc(size_t size, size_t align, void *ctx)
{
	return rte_malloc_socket("natprobe", size, (unsigned int)align, (int)(intptr_t)ctx);
}

void np_socket_free(void *p, void *ctx)
{
	(void)ctx;
	rte_free(p);
}

/* The worker's inspector, in memory of the worker's socket. */
static int create_inspector(struct np_app *app, struct np_worker *w, int socket)
{
	const struct np_conf *c = &app->conf;
	struct np_det_inspect_sink sink = worker_sink;
	struct np_det_inspect_conf ic;
	struct timespec ts;

	memset(&ic, 0, sizeof(ic));
	ic.flow.size = c->datapath.flow_table_size;
	ic.flow.reasm_buffers = c->datapath.tcp_reasm_buffers;
	ic.flow.alloc = np_socket_alloc;
	ic.flow.free = np_socket_free;
	ic.flow.alloc_ctx = (void *)(intptr_t)socket;
	ic.flow.n_sip_ports = c->sip.n_ports;
	memcpy(ic.flow.sip_ports, c->sip.ports, sizeof(uint16_t) * c->sip.n_ports);
	ic.frag_datagrams = 1024;
	ic.sip_db = app->sip_db;
	ic.xlat = app->det.xlat;
	if (np_evidence_worker_init(app, w, socket) < 0)
		return -ENOMEM;
	ic.hist = w->hist;
	if (w->hep_pool != NULL) /* an observer set HEP export up */
		sink.sip_full = sip_to_hep;
	sink.ctx = w;
	w->ins = np_det_inspect_create(&ic, &sink);
	if (w->ins == NULL) {
		np_err("cannot create worker %u's flow table (%u flows, %u reassembly buffers): %s "
		       "(datapath.flow_table_size, datapath.tcp_reasm_buffers, eal.memory_mb)",
		       w->id, c->datapath.flow_table_size, c->datapath.tcp_reasm_buffers,
		       strerror(errno));
		return -ENOMEM;
	}
	app->inspect_stats[w->id] = np_det_inspect_stats(w->ins);
	app->flow_stats[w->id] = np_det_inspect_flow_stats(w->ins);
	clock_gettime(CLOCK_REALTIME, &ts);
	w->tsc_base = rte_rdtsc();
	w->ns_base = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	w->ns_per_tsc = 1e9 / (double)rte_get_tsc_hz();
	return 0;
}

int np_workers_create(struct np_app *app)
{
	const struct np_conf *c = &app->conf;

	app->n_workers = c->eal.n_workers;
	for (unsigned int i = 0; i < app->n_workers; i++) {
		unsigned int lcore = c->eal.worker_lcores[i];
		int socket = (int)rte_lcore_to_socket_id(lcore);
		struct np_worker *w;
		char name[RTE_RING_NAMESIZE];

		if (!rte_lcore_is_enabled(lcore)) {
			np_err("eal.worker_lcores: lcore %u is not available on this machine",
			       lcore);
			return -EINVAL;
		}
		w = rte_zmalloc_socket("np_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
		if (w == NULL) {
			np_err("cannot allocate worker %u state: out of DPDK memory "
			       "(eal.memory_mb)",
			       i);
			return -ENOMEM;
		}
		w->id = i;
		w->lcore = lcore;
		w->conf = c;
		w->tx_retries = c->datapath.tx_retries;
		w->csum_mode = np_app_csum_mode(c->datapath.ip_checksum);
		w->parse = np_pkt_parser(w->csum_mode);
		w->n_tunnels = (uint8_t)c->n_tunnels;
		memcpy(w->tunnels, c->tunnels, sizeof(c->tunnels[0]) * c->n_tunnels);
		snprintf(name, sizeof(name), "np_events_%u", i);
		w->events = rte_ring_create_elem(name, NP_EVENT_ELEM,
						 np_flow_ring_size(c->datapath.event_ring_size) *
							 NP_EVENT_ELEMS,
						 socket,
						 RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
		snprintf(name, sizeof(name), "np_sip_%u", i);
		w->sip_events = rte_ring_create_elem(name, NP_SIP_ELEM,
						     np_sip_ring_size(c->datapath.event_ring_size),
						     socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->events == NULL || w->sip_events == NULL) {
			np_err("cannot create the event rings of worker %u: %s (datapath."
			       "event_ring_size, eal.memory_mb)",
			       i, rte_strerror(rte_errno));
			return -ENOMEM;
		}
		app->workers[i] = w;
		for (unsigned int o = 0; o < app->n_observers; o++)
			if (app->observers[o]->worker_init != NULL &&
			    app->observers[o]->worker_init(app, w, socket) < 0)
				return -ENOMEM;
		if (create_inspector(app, w, socket) < 0)
			return -ENOMEM;
		app->worker_stats[i] = &w->stats;
	}
	return 0;
}

void np_workers_free(struct np_app *app)
{
	for (unsigned int i = 0; i < app->n_workers; i++) {
		struct np_worker *w = app->workers[i];

		if (w == NULL)
			continue;
		rte_ring_free(w->events);
		rte_ring_free(w->sip_events);
		for (unsigned int o = app->n_observers; o-- > 0;)
			if (app->observers[o]->worker_free != NULL)
				app->observers[o]->worker_free(w);
		np_det_inspect_destroy(w->ins);
		np_evidence_worker_free(w);
		rte_free(w);
		app->workers[i] = NULL;
	}
}
