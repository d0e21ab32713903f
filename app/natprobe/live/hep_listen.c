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
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "np_hep.h"
#include "np_live.h"
#include "np_time.h"

#define NP_HEP_LISTEN_MAX_CONNS 64
#define NP_HEP_LISTEN_BUF 65536			  /* > the longest HEP packet (16-bit length) */
#define NP_HEP_LISTEN_BATCH 64			  /* reads per socket per wake */
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
	struct rte_ring *sip_events; /* HEP thread: enqueues; control: dequeues */
	struct np_det_inspect *ins;
	unsigned int n_segments; /* conf segments, then the agents' own (hep_segment_name) */
	uint8_t dgram[NP_HEP_LISTEN_BUF];
	struct hep_conn conns[NP_HEP_LISTEN_MAX_CONNS];
	struct np_hep_input_stats in;	  /* HEP thread: rw, control: ro */
	struct np_hep_listen_stats stats; /* HEP thread: rw, control: ro */
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

	push(h, h->sip_events, s, sizeof(*s));
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

static void one_packet(struct np_hep_listen *h, const uint8_t *p, size_t n, bool datagram)
{
	struct np_hep_msg m;
	size_t used;
	int seg;

	if (!np_hep_input_decode(&h->in, p, n, datagram, &m, &used))
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

static void read_udp(struct np_hep_listen *h)
{
	for (unsigned int i = 0; i < NP_HEP_LISTEN_BATCH; i++) {
		char cbuf[CMSG_SPACE(sizeof(uint32_t))];
		struct iovec iov = { h->dgram, sizeof(h->dgram) };
		struct msghdr mh = { .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		ssize_t n = recvmsg(h->udp_fd, &mh, MSG_DONTWAIT);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				h->stats.socket_errors++;
			return;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
				uint32_t d;

				memcpy(&d, CMSG_DATA(c), sizeof(d));
				h->stats.kernel_drops = d; /* the kernel's running count */
			}
		if (mh.msg_flags & MSG_TRUNC) {
			h->stats.oversize_drops++;
			continue;
		}
		h->stats.udp_packets++;
		one_packet(h, h->dgram, (size_t)n, true);
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
	rte_ring_free(h->events);
	rte_ring_free(h->sip_events);
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
	if (h->udp_fd < 0 || h->tcp_fd < 0)
		goto fail;
	h->events = rte_ring_create_elem("np_hep_events", sizeof(struct np_event),
					 c->datapath.event_ring_size, SOCKET_ID_ANY,
					 RING_F_SP_ENQ | RING_F_SC_DEQ);
	h->sip_events = rte_ring_create_elem("np_hep_sip", sizeof(struct np_det_sip),
					     c->datapath.event_ring_size, SOCKET_ID_ANY,
					     RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (h->events == NULL || h->sip_events == NULL) {
		np_err("hep.listen: cannot create its event rings: %s (datapath.event_ring_size, "
		       "eal.memory_mb)",
		       rte_strerror(rte_errno));
		goto fail;
	}
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

unsigned int np_hep_listen_drain(struct np_app *app, unsigned int max_bursts)
{
	struct np_hep_listen *h = app->hep_listen;
	struct np_det_sip sips[16];
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
	b = 0;
	do {
		n = rte_ring_sc_dequeue_burst_elem(h->sip_events, sips, sizeof(sips[0]),
						   RTE_DIM(sips), NULL);
		for (unsigned int i = 0; i < n; i++)
			np_det_correlator_sip(app->det.corr, &sips[i]);
		total += n;
	} while (n == RTE_DIM(sips) && ++b < max_bursts);
	return total;
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
