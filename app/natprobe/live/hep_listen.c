/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hep.listen: HEP from capture agents (Kamailio siptrace, heplify,
 * captagent, OpenSIPS, FreeSWITCH), received live on UDP and TCP.
 *
 * One thread of its own (a pthread, not an lcore: it blocks in poll()),
 * started once the process has dropped its privileges; the sockets were
 * bound before. It decodes each HEP packet, maps its agent to a segment
 * the way analyze does (np_hep_agent_segment()), runs the SIP stage on its
 * own inspector and pushes the flow events and SIP summaries onto two
 * single-producer/single-consumer rings, like a worker; the control thread
 * drains them into the correlator beside the workers' (control.c).
 *
 * Bounded everywhere: NP_HEP_LISTEN_MAX_CONNS connections (more are closed
 * at once and counted), one 64 KiB buffer per connection (a HEP packet's
 * length is 16 bits, so a whole packet always fits), NP_HEP_LISTEN_BATCH
 * reads per socket per wake, idle connections closed. A full ring drops
 * the event and counts it; nothing here waits on the control thread.
 */

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "np_hep.h"
#include "np_live.h"
#include "np_time.h"

#define NP_HEP_LISTEN_MAX_CONNS 64
#define NP_HEP_LISTEN_BUF 65536			  /* > the longest HEP packet (16-bit length) */
#define NP_HEP_LISTEN_BATCH 64			  /* reads per socket per wake */
#define NP_HEP_LISTEN_MMSG 32			  /* datagrams per recvmmsg() */
#define NP_HEP_LISTEN_IDLE_NS (300 * NP_NS_PER_S) /* a silent connection is closed */
#define NP_HEP_LISTEN_POLL_MS 50		  /* longest wait: stop and expiry checks */
#define NP_HEP_LISTEN_CONNS_LEARNED 4096 /* connections learned from messages (msg_conns) */
#define NP_HEP_LISTEN_FLOWS 1024	 /* the inspector's flow table: HEP brings no packets */

struct hep_conn {
	int fd; /* -1: free */
	uint32_t len;
	uint64_t last_ns;
	uint8_t *buf; /* NP_HEP_LISTEN_BUF bytes */
};

struct np_hep_listen {
	struct np_app *app;
	int udp_fd;
	int tcp_fd;
	pthread_t thread;
	bool running;
	volatile bool stop;
	struct rte_ring *events;     /* HEP thread: enqueues; control: dequeues */
	struct rte_ring *sip_events; /* HEP thread: enqueues; control: dequeues (packed, as a
				      * worker's) */
	uint8_t *sip_stage;	     /* HEP thread: NP_SIP_STAGE_BYTES to pack a summary in */
	struct np_det_inspect *ins;
	unsigned int n_segments; /* conf segments, then the agents' own (hep_segment_name) */
	/* recvmmsg(): NP_HEP_LISTEN_MMSG datagrams per call, each buffer NP_HEP_LISTEN_BUF */
	uint8_t (*mbuf)[NP_HEP_LISTEN_BUF];
	struct hep_conn conns[NP_HEP_LISTEN_MAX_CONNS];
	struct np_hep_input_stats in;	  /* HEP thread: rw, control: ro */
	struct np_hep_listen_stats stats; /* HEP thread: rw, control: ro */
	/* hep.relay (NULL when off): slots of relay_slab go HEP thread -> relay -> control ->
	 * relay_free -> HEP thread; spare: a slot the HEP thread holds between packets */
	struct rte_ring *relay;
	struct rte_ring *relay_free;
	struct np_hep_relay_slot *relay_slab;
	struct np_hep_relay_slot *spare;
	bool relay_flows; /* export.hep_flow_events: other natprobes' flow events too */
};

static void push(struct np_hep_listen *h, struct rte_ring *r, const void *ev, unsigned int size)
{
	if (rte_ring_sp_enqueue_elem(r, (void *)(uintptr_t)ev, size) == 0)
		h->stats.events++;
	else
		h->stats.event_drops++;
}

static void on_flow_event(void *ctx, const struct np_flow_event *fe)
{
	struct np_hep_listen *h = ctx;
	struct np_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = NP_EV_FLOW;
	ev.flow = *fe;
	push(h, h->events, &ev, sizeof(ev));
}

static void on_sip(void *ctx, const struct np_det_sip *s)
{
	struct np_hep_listen *h = ctx;

	if (np_sip_put(h->sip_events, s, h->sip_stage))
		h->stats.events++;
	else
		h->stats.event_drops++;
}

/* The agent's segment: configured, or one of its own (named here, before its first event). */
static int segment_of(struct np_hep_listen *h, const struct np_hep_msg *m)
{
	struct np_app *app = h->app;
	char name[NP_NAME_MAX + 1];
	int s = np_hep_agent_segment(&app->conf, m, name, sizeof(name));

	if (s >= 0)
		return s;
	for (unsigned int k = app->conf.n_segments; k < h->n_segments; k++)
		if (strcmp(app->hep_segment_name[k], name) == 0)
			return (int)k;
	if (h->n_segments == NP_DET_MAX_SEGMENTS)
		return -1;
	/* the control thread reads the name after the first event of the segment (ring: release) */
	memcpy(app->hep_segment_name[h->n_segments], name, sizeof(name));
	return (int)h->n_segments++;
}

/*
 * Queue the packet @p p (@p n bytes, decoded as @p m) for the collector as it
 * was received: every chunk kept (the agent's id, node name, addresses,
 * ports, time, key, correlation id, chunks natprobe does not read), a HEPv2
 * packet re-encoded as HEPv3 with the same fields. Never waits: no free slot
 * is a loss, counted.
 */
static void relay(struct np_hep_listen *h, const uint8_t *p, size_t n, const struct np_hep_msg *m)
{
	const size_t room = NP_HEP_RELAY_SLOT - NP_HEP_CHUNK_HDR_LEN - NP_HEP_NP_ORIGIN_LEN;
	struct np_hep_relay_slot *s = h->spare;

	if (s == NULL && rte_ring_sc_dequeue(h->relay_free, (void **)&s) != 0) {
		h->stats.relay_full++;
		return;
	}
	h->spare = s;
	if (m->version == 3) {
		if (n > room) {
			h->stats.relay_oversize++;
			return;
		}
		memcpy(s->data, p, n);
		s->len = (uint32_t)n;
	} else {
		struct np_hep_info info = {
			.src = m->src,
			.dst = m->dst,
			.sport = m->sport,
			.dport = m->dport,
			.ip_proto = m->ip_proto,
			.proto_type = m->proto_type,
			.capture_id = m->capture_id,
			.ts_ns = m->has_ts ? m->ts_ns : np_wall_ns(),
		};
		int len = np_hep_encode(&info, m->payload, m->payload_len, s->data, room);

		if (len < 0) {
			h->stats.relay_oversize++;
			return;
		}
		s->len = (uint32_t)len;
	}
	/* the ring has room for every slot: this cannot fail */
	if (rte_ring_sp_enqueue(h->relay, s) != 0) {
		h->stats.relay_full++;
		return;
	}
	h->spare = NULL;
	h->stats.relay_queued++;
}

static void one_packet(struct np_hep_listen *h, const uint8_t *p, size_t n, bool datagram)
{
	struct np_hep_msg m;
	size_t used;
	int seg, rc;

	rc = np_hep_input_decode(&h->in, p, n, datagram, h->app->hep_origin, &m, &used);
	if (rc == NP_HEP_IN_REFUSED || rc == NP_HEP_IN_LOOP)
		return;
	if (h->relay != NULL && (m.np_flow == NULL || h->relay_flows))
		relay(h, p, m.version == 3 ? used : n, &m);
	if (rc != NP_HEP_IN_USE)
		return;
	seg = segment_of(h, &m);
	if (seg < 0) {
		h->in.no_segment++;
		return;
	}
	if (m.np_flow != NULL) { /* another natprobe's flow event: to the correlator as is */
		struct np_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.type = NP_EV_FLOW;
		if (np_hep_flow_get(&m, (uint8_t)seg, &ev.flow) < 0) {
			h->in.flow_bad++;
			return;
		}
		if (!m.has_ts)
			ev.flow.ts_ns = np_wall_ns();
		h->in.flow++;
		push(h, h->events, &ev, sizeof(ev));
		return;
	}
	np_hep_input_sip(h->ins, &h->in, &m, (uint8_t)seg, np_wall_ns());
}

/* The kernel's running count of datagrams it dropped (SO_RXQ_OVFL), from a message's cmsgs. */
static void rxq_ovfl(struct np_hep_listen *h, struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
			uint32_t d;

			memcpy(&d, CMSG_DATA(c), sizeof(d));
			h->stats.kernel_drops = d;
		}
}

/*
 * Datagrams, NP_HEP_LISTEN_MMSG per recvmmsg(): one system call for a burst
 * (at load the call per datagram was the listener's limit; docs/performance.md,
 * "HEP input"). Each buffer holds the longest HEP packet; a longer datagram
 * arrives truncated (MSG_TRUNC) and is counted (oversize).
 */
static void read_udp(struct np_hep_listen *h)
{
	struct mmsghdr mm[NP_HEP_LISTEN_MMSG];
	struct iovec iov[NP_HEP_LISTEN_MMSG];
	char cbuf[NP_HEP_LISTEN_MMSG][CMSG_SPACE(sizeof(uint32_t))];

	for (unsigned int b = 0; b < NP_HEP_LISTEN_BATCH / 4; b++) {
		int n;

		for (unsigned int i = 0; i < NP_HEP_LISTEN_MMSG; i++) {
			iov[i].iov_base = h->mbuf[i];
			iov[i].iov_len = NP_HEP_LISTEN_BUF;
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_control = cbuf[i];
			mm[i].msg_hdr.msg_controllen = sizeof(cbuf[i]);
		}
		n = recvmmsg(h->udp_fd, mm, NP_HEP_LISTEN_MMSG, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				h->stats.socket_errors++;
			return;
		}
		for (int i = 0; i < n; i++) {
			rxq_ovfl(h, &mm[i].msg_hdr);
			if (mm[i].msg_hdr.msg_flags & MSG_TRUNC) {
				h->stats.oversize_drops++;
				continue;
			}
			h->stats.udp_packets++;
			one_packet(h, h->mbuf[i], mm[i].msg_len, true);
		}
		if (n < NP_HEP_LISTEN_MMSG)
			return;
	}
}

static void conn_close(struct np_hep_listen *h, struct hep_conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
	h->stats.connections--;
}

static void tcp_packet(void *ctx, const uint8_t *p, size_t n)
{
	struct np_hep_listen *h = ctx;

	h->stats.tcp_packets++;
	one_packet(h, p, n, false);
}

/* Cut the HEP packets out of a connection's buffer (np_hep_cut()); keep the rest. */
static void conn_frames(struct np_hep_listen *h, struct hep_conn *c)
{
	size_t off = np_hep_cut(c->buf, c->len, tcp_packet, h, &h->stats.resync_bytes);

	if (off > 0) {
		memmove(c->buf, c->buf + off, c->len - off);
		c->len -= (uint32_t)off;
	}
}

static void read_conn(struct np_hep_listen *h, struct hep_conn *c, uint64_t now)
{
	for (unsigned int i = 0; i < NP_HEP_LISTEN_BATCH; i++) {
		ssize_t n = recv(c->fd, c->buf + c->len, NP_HEP_LISTEN_BUF - c->len, MSG_DONTWAIT);

		if (n == 0) {
			conn_close(h, c);
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			h->stats.socket_errors++;
			conn_close(h, c);
			return;
		}
		c->last_ns = now;
		c->len += (uint32_t)n;
		conn_frames(h, c);
		if (c->len == NP_HEP_LISTEN_BUF) { /* cannot be: a frame is < 64 KiB */
			h->stats.resync_bytes += c->len;
			c->len = 0;
		}
	}
}

static void accept_conns(struct np_hep_listen *h, uint64_t now)
{
	for (unsigned int i = 0; i < NP_HEP_LISTEN_BATCH; i++) {
		int fd = accept4(h->tcp_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		unsigned int k;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				h->stats.socket_errors++;
			return;
		}
		for (k = 0; k < NP_HEP_LISTEN_MAX_CONNS && h->conns[k].fd >= 0; k++)
			;
		if (k == NP_HEP_LISTEN_MAX_CONNS) {
			close(fd);
			h->stats.refused++;
			continue;
		}
		h->conns[k].fd = fd;
		h->conns[k].len = 0;
		h->conns[k].last_ns = now;
		h->stats.accepted++;
		h->stats.connections++;
	}
}

static void *hep_thread(void *arg)
{
	struct np_hep_listen *h = arg;
	struct pollfd pf[2 + NP_HEP_LISTEN_MAX_CONNS];
	int idx[2 + NP_HEP_LISTEN_MAX_CONNS];
	uint64_t next_expire = 0;

	while (!h->stop && !np_force_quit) {
		unsigned int n = 0;
		uint64_t now;

		pf[n] = (struct pollfd){ .fd = h->udp_fd, .events = POLLIN };
		idx[n++] = -1;
		pf[n] = (struct pollfd){ .fd = h->tcp_fd, .events = POLLIN };
		idx[n++] = -2;
		for (int k = 0; k < NP_HEP_LISTEN_MAX_CONNS; k++)
			if (h->conns[k].fd >= 0) {
				pf[n] = (struct pollfd){ .fd = h->conns[k].fd, .events = POLLIN };
				idx[n++] = k;
			}
		if (poll(pf, n, NP_HEP_LISTEN_POLL_MS) < 0 && errno != EINTR)
			h->stats.socket_errors++;
		now = np_wall_ns();
		for (unsigned int i = 0; i < n; i++) {
			if (pf[i].revents == 0)
				continue;
			if (idx[i] == -1)
				read_udp(h);
			else if (idx[i] == -2)
				accept_conns(h, now);
			else
				read_conn(h, &h->conns[idx[i]], now);
		}
		if (now >= next_expire) {
			np_det_inspect_expire(h->ins, now, 256);
			for (int k = 0; k < NP_HEP_LISTEN_MAX_CONNS; k++)
				if (h->conns[k].fd >= 0 &&
				    now - h->conns[k].last_ns > NP_HEP_LISTEN_IDLE_NS) {
					conn_close(h, &h->conns[k]);
					h->stats.closed_idle++;
				}
			next_expire = now + NP_NS_PER_S / 10;
		}
	}
	return NULL;
}

/* A bound socket of @p type on hep.listen, or -1 with the error printed. */
static int open_socket(const char *listen_at, int type)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				  .ai_socktype = type };
	struct addrinfo *ai = NULL;
	char host[64], port_s[8];
	uint16_t port;
	int fd, one = 1, rc;

	if (np_conf_parse_listen(listen_at, host, sizeof(host), &port) < 0) {
		np_err("hep.listen: '%s' is not ADDRESS:PORT", listen_at);
		return -1;
	}
	snprintf(port_s, sizeof(port_s), "%u", port);
	rc = getaddrinfo(host, port_s, &hints, &ai);
	if (rc != 0) {
		np_err("hep.listen %s: %s", listen_at, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		np_err("hep.listen %s: socket: %s", listen_at, strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (type == SOCK_DGRAM) {
		int rcv = 4 << 20;

		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	}
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		np_err("hep.listen %s (%s): %s", listen_at, type == SOCK_DGRAM ? "UDP" : "TCP",
		       strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* hep.relay's queue: export.hep_queue_size slots, all free. */
static int open_relay(struct np_hep_listen *h)
{
	const struct np_conf *c = &h->app->conf;
	unsigned int n = c->export.hep_queue_size;

	h->relay_flows = c->export.hep_flow_events;
	h->relay_slab = malloc((size_t)n * sizeof(*h->relay_slab));
	h->relay = rte_ring_create("np_hep_relay", n, SOCKET_ID_ANY,
				   RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	h->relay_free = rte_ring_create("np_hep_relay_free", n, SOCKET_ID_ANY,
					RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (h->relay_slab == NULL || h->relay == NULL || h->relay_free == NULL) {
		np_err("hep.relay: cannot create its queue of %u packets of %u bytes: %s "
		       "(export.hep_queue_size, eal.memory_mb)",
		       n, NP_HEP_RELAY_SLOT,
		       h->relay_slab == NULL ? "out of memory" : rte_strerror(rte_errno));
		return -1;
	}
	for (unsigned int i = 0; i < n; i++) {
		void *s = &h->relay_slab[i];

		rte_ring_sp_enqueue(h->relay_free, s);
	}
	return 0;
}

unsigned int np_hep_listen_relay_take(struct np_app *app, struct np_hep_relay_slot **slots,
				      unsigned int n)
{
	struct np_hep_listen *h = app->hep_listen;

	if (h == NULL || h->relay == NULL)
		return 0;
	return rte_ring_sc_dequeue_burst(h->relay, (void **)slots, n, NULL);
}

void np_hep_listen_relay_give(struct np_app *app, struct np_hep_relay_slot **slots, unsigned int n)
{
	struct np_hep_listen *h = app->hep_listen;

	if (h != NULL && n > 0)
		rte_ring_sp_enqueue_bulk(h->relay_free, (void **)slots, n, NULL);
}

void np_hep_listen_close(struct np_app *app)
{
	struct np_hep_listen *h = app->hep_listen;

	if (h == NULL)
		return;
	np_hep_listen_stop(app);
	for (int k = 0; k < NP_HEP_LISTEN_MAX_CONNS; k++) {
		if (h->conns[k].fd >= 0)
			close(h->conns[k].fd);
		free(h->conns[k].buf);
	}
	if (h->udp_fd >= 0)
		close(h->udp_fd);
	if (h->tcp_fd >= 0)
		close(h->tcp_fd);
	np_det_inspect_destroy(h->ins);
	free(h->mbuf);
	rte_ring_free(h->relay);
	rte_ring_free(h->relay_free);
	free(h->relay_slab);
	rte_ring_free(h->events);
	rte_ring_free(h->sip_events);
	rte_free(h->sip_stage);
	free(h);
	app->hep_listen = NULL;
}

int np_hep_listen_open(struct np_app *app)
{
	const struct np_conf *c = &app->conf;
	struct np_det_inspect_sink sink;
	struct np_det_inspect_conf ic;
	struct np_hep_listen *h;

	if (c->hep.listen[0] == '\0')
		return 0;
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		np_err("hep.listen: out of memory");
		return -ENOMEM;
	}
	app->hep_listen = h;
	h->app = app;
	h->n_segments = c->n_segments;
	h->mbuf = malloc(NP_HEP_LISTEN_MMSG * sizeof(*h->mbuf));
	h->udp_fd = open_socket(c->hep.listen, SOCK_DGRAM);
	h->tcp_fd = h->udp_fd < 0 ? -1 : open_socket(c->hep.listen, SOCK_STREAM);
	for (int k = 0; k < NP_HEP_LISTEN_MAX_CONNS; k++) {
		h->conns[k].fd = -1;
		h->conns[k].buf = malloc(NP_HEP_LISTEN_BUF);
		if (h->conns[k].buf == NULL) {
			np_err("hep.listen: out of memory");
			goto fail;
		}
	}
	if (h->mbuf == NULL) {
		np_err("hep.listen: out of memory");
		goto fail;
	}
	if (h->udp_fd < 0 || h->tcp_fd < 0)
		goto fail;
	h->events = rte_ring_create_elem("np_hep_events", sizeof(struct np_event),
					 c->datapath.event_ring_size, SOCKET_ID_ANY,
					 RING_F_SP_ENQ | RING_F_SC_DEQ);
	h->sip_events = rte_ring_create_elem("np_hep_sip", NP_SIP_ELEM,
					     np_sip_ring_size(c->datapath.event_ring_size),
					     SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	h->sip_stage = rte_malloc("np_hep_sip_stage", NP_SIP_STAGE_BYTES, RTE_CACHE_LINE_SIZE);
	if (h->events == NULL || h->sip_events == NULL || h->sip_stage == NULL) {
		np_err("hep.listen: cannot create its event rings: %s (datapath.event_ring_size, "
		       "eal.memory_mb)",
		       rte_strerror(rte_errno));
		goto fail;
	}
	if (c->hep.relay && c->export.hep_collector[0] != '\0' && open_relay(h) < 0)
		goto fail;
	memset(&ic, 0, sizeof(ic));
	ic.flow.size = NP_HEP_LISTEN_FLOWS;
	ic.flow.reasm_buffers = 16;
	ic.flow.n_sip_ports = c->sip.n_ports;
	memcpy(ic.flow.sip_ports, c->sip.ports, sizeof(uint16_t) * c->sip.n_ports);
	ic.sip_db = app->sip_db;
	ic.xlat = app->det.xlat; /* lock-free readers on any thread (np_nat.h) */
	ic.msg_conns = NP_HEP_LISTEN_CONNS_LEARNED;
	memset(&sink, 0, sizeof(sink));
	sink.flow_event = on_flow_event;
	sink.sip = on_sip;
	sink.ctx = h;
	h->ins = np_det_inspect_create(&ic, &sink);
	if (h->ins == NULL) {
		np_err("hep.listen: cannot create its inspector: %s", strerror(errno));
		goto fail;
	}
	return 0;
fail:
	np_hep_listen_close(app);
	return -EINVAL;
}

int np_hep_listen_start(struct np_app *app)
{
	struct np_hep_listen *h = app->hep_listen;
	int rc;

	if (h == NULL || h->running)
		return 0;
	rc = pthread_create(&h->thread, NULL, hep_thread, h);
	if (rc != 0) {
		np_err("hep.listen: cannot start its thread: %s", strerror(rc));
		return -rc;
	}
	pthread_setname_np(h->thread, "np-hep-listen");
	h->running = true;
	return 0;
}

void np_hep_listen_stop(struct np_app *app)
{
	struct np_hep_listen *h = app->hep_listen;

	if (h == NULL || !h->running)
		return;
	h->stop = true;
	pthread_join(h->thread, NULL);
	h->running = false;
}

unsigned int np_hep_listen_drain(struct np_app *app, unsigned int max_bursts, uint8_t *stage,
				 struct np_det_sip *sip)
{
	struct np_hep_listen *h = app->hep_listen;
	struct np_event evs[64];
	unsigned int n, b = 0, total = 0;

	if (h == NULL)
		return 0;
	do {
		n = rte_ring_sc_dequeue_burst_elem(h->events, evs, sizeof(evs[0]), RTE_DIM(evs),
						   NULL);
		for (unsigned int i = 0; i < n; i++)
			if (evs[i].type == NP_EV_FLOW)
				np_det_correlator_flow(app->det.corr, &evs[i].flow);
		total += n;
	} while (n == RTE_DIM(evs) && ++b < max_bursts);
	/* as many summaries as max_bursts bursts of 16 held before */
	for (n = 0; n < 16 * max_bursts && np_sip_take(app, h->sip_events, stage, sip); n++)
		;
	return total + n;
}

void np_hep_listen_stats_src(struct np_app *app, struct np_stats_src *src)
{
	/* off: its families are still exported, at 0, so every run has the same series */
	static const struct np_hep_input_stats no_input;
	static const struct np_hep_listen_stats no_listen;
	struct np_hep_listen *h = app->hep_listen;

	if (h == NULL) {
		src->hep_input = &no_input;
		src->hep_listen = &no_listen;
		return;
	}
	src->hep_input = &h->in;
	src->hep_listen = &h->stats;
	src->hep_inspect = np_det_inspect_stats(h->ins);
}
