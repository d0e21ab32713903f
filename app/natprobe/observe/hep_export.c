/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HEPv3 export to export.hep_collector: the control thread's half.
 *
 * Workers copy each SIP message into a slot of their own mempool and pass
 * the pointer on a ring (worker.c, sip_to_hep()); the control
 * thread drains the rings here, encodes the HEP head in front of the slot's
 * bytes and sends a burst with one sendmmsg() on a non-blocking UDP socket
 * connect()ed to the collector at start. Records go the same way, their
 * JSON line as a HEP log. A send that fails is counted, never retried and
 * never waited for: HEP is a copy for troubleshooting, forwarding and
 * detection do not depend on it.
 *
 * export.hep_transport: tcp sends the same packets one after another on a
 * TCP connection (their length fields frame them). Packets are appended,
 * whole, to an output buffer of NP_HEP_TCP_BUF bytes that a non-blocking
 * send() empties each time the control thread comes by; a packet that does
 * not fit is counted (busy), never split. The connection is made without
 * waiting (connect() in progress is checked with poll(0)); when it is
 * refused or breaks, what the buffer holds is counted lost (refused or
 * other) and it is tried again once a second, so the stream always
 * restarts on a packet boundary.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "np_hep.h"
#include "np_observe.h"

#define NP_HEP_BURST 32
#define NP_HEP_SNDBUF (4 << 20) /* absorbs bursts; the kernel may cap it (wmem_max) */
#define NP_HEP_JSON_MAX (NP_HEP_MAX_LEN - NP_HEP_MAX_HEAD_LEN)
#define NP_HEP_TCP_BUF (4u << 20) /* bytes waiting for the TCP connection */
#define NP_HEP_TCP_PKTS 65536u	  /* packets waiting (a ring of their lengths) */
#define NP_HEP_TCP_RETRY_NS 1000000000ull

enum tcp_state {
	TCP_DOWN,
	TCP_CONNECTING,
	TCP_UP
};

/* export.hep_transport: tcp. */
struct np_hep_tcp {
	enum tcp_state state;
	uint64_t next_try_ns;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	uint8_t *buf; /* packets, whole, from off to len */
	size_t off, len;
	struct {
		uint32_t len; /* bytes of the packet */
		uint8_t ctr;  /* NP_HEP_SENT_SIP, _RECORD or _FLOW */
	} pkt[NP_HEP_TCP_PKTS];
	unsigned int pkt_head, pkt_n;
	size_t head_sent; /* bytes of the first packet already sent */
};

struct np_hep_sender {
	int fd;
	struct np_hep_tcp *tcp; /* NULL over UDP */
	const char *node_name;	/* conf string, or NULL */
	uint32_t capture_id;
	const char *auth_key; /* conf string, or NULL */
	uint64_t origin;      /* this process's origin chunk (np_app.hep_origin) */
	FILE *json;	      /* fmemopen() over json_buf: one record at a time */
	char json_buf[NP_HEP_JSON_MAX + 1];
	uint8_t head[NP_HEP_BURST][NP_HEP_MAX_HEAD_LEN];
	struct iovec iov[NP_HEP_BURST][2];
	struct mmsghdr msg[NP_HEP_BURST];
};

/* The sender of this process (one np_app per process); NULL when HEP export is off. */
static struct np_hep_sender *hep_sender;

static void count_error(struct np_app *app, int err)
{
	uint64_t *hep = app->control_stats.hep;

	if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS)
		hep[NP_HEP_ERR_BUSY]++;
	else if (err == ECONNREFUSED)
		hep[NP_HEP_ERR_REFUSED]++;
	else
		hep[NP_HEP_ERR_OTHER]++;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The connection broke or was refused: what waits is lost (counted), retry later. */
static void tcp_down(struct np_app *app, int err)
{
	struct np_hep_sender *s = hep_sender;
	struct np_hep_tcp *t = s->tcp;

	for (unsigned int i = 0; i < t->pkt_n; i++)
		count_error(app, err);
	t->pkt_n = 0;
	t->pkt_head = 0;
	t->off = t->len = 0;
	t->head_sent = 0;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	t->state = TCP_DOWN;
	t->next_try_ns = now_ns() + NP_HEP_TCP_RETRY_NS;
}

/* Start a connection without waiting for it. */
static void tcp_connect(struct np_app *app)
{
	struct np_hep_sender *s = hep_sender;
	struct np_hep_tcp *t = s->tcp;
	int one = 1;

	s->fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		tcp_down(app, errno);
		return;
	}
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s->fd, (struct sockaddr *)&t->addr, t->addr_len) == 0)
		t->state = TCP_UP;
	else if (errno == EINPROGRESS)
		t->state = TCP_CONNECTING;
	else
		tcp_down(app, errno);
}

/* Move the connection along and send what waits, never blocking. */
static void tcp_service(struct np_app *app)
{
	struct np_hep_sender *s = hep_sender;
	struct np_hep_tcp *t = s->tcp;

	if (t->state == TCP_DOWN) {
		if (now_ns() < t->next_try_ns)
			return;
		tcp_connect(app);
	}
	if (t->state == TCP_CONNECTING) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };
		int err = 0;
		socklen_t len = sizeof(err);

		if (poll(&pfd, 1, 0) <= 0)
			return;
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		if (err != 0) {
			tcp_down(app, err);
			return;
		}
		t->state = TCP_UP;
	}
	while (t->state == TCP_UP && t->len > t->off) {
		ssize_t n =
			send(s->fd, t->buf + t->off, t->len - t->off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				tcp_down(app, errno);
			return;
		}
		t->off += (size_t)n;
		t->head_sent += (size_t)n;
		while (t->pkt_n > 0 && t->head_sent >= t->pkt[t->pkt_head].len) {
			t->head_sent -= t->pkt[t->pkt_head].len;
			app->control_stats.hep[t->pkt[t->pkt_head].ctr]++;
			t->pkt_head = (t->pkt_head + 1) % NP_HEP_TCP_PKTS;
			t->pkt_n--;
		}
	}
	if (t->off == t->len)
		t->off = t->len = 0;
}

/* Append packets msg[0..n) to the TCP buffer, whole or not at all; then send. */
static void tcp_enqueue(struct np_app *app, unsigned int n, unsigned int sent_ctr)
{
	struct np_hep_sender *s = hep_sender;
	struct np_hep_tcp *t = s->tcp;

	for (unsigned int i = 0; i < n; i++) {
		const struct msghdr *mh = &s->msg[i].msg_hdr;
		size_t len = 0;

		for (size_t k = 0; k < mh->msg_iovlen; k++)
			len += mh->msg_iov[k].iov_len;
		if (t->off > 0 && t->len + len > NP_HEP_TCP_BUF) {
			memmove(t->buf, t->buf + t->off, t->len - t->off);
			t->len -= t->off;
			t->off = 0;
		}
		if (t->len + len > NP_HEP_TCP_BUF || t->pkt_n == NP_HEP_TCP_PKTS) {
			app->control_stats.hep[NP_HEP_ERR_BUSY]++;
			continue;
		}
		for (size_t k = 0; k < mh->msg_iovlen; k++) {
			memcpy(t->buf + t->len, mh->msg_iov[k].iov_base, mh->msg_iov[k].iov_len);
			t->len += mh->msg_iov[k].iov_len;
		}
		t->pkt[(t->pkt_head + t->pkt_n) % NP_HEP_TCP_PKTS].len = (uint32_t)len;
		t->pkt[(t->pkt_head + t->pkt_n) % NP_HEP_TCP_PKTS].ctr = (uint8_t)sent_ctr;
		t->pkt_n++;
	}
	tcp_service(app);
}

/* Send msg[0..n): one syscall when all goes well; a failed datagram is counted and skipped. */
static void send_burst(struct np_app *app, unsigned int n, unsigned int sent_ctr)
{
	struct np_hep_sender *s = hep_sender;
	unsigned int i = 0;

	if (s->tcp != NULL) {
		tcp_enqueue(app, n, sent_ctr);
		return;
	}
	while (i < n) {
		int r = sendmmsg(s->fd, s->msg + i, n - i, MSG_DONTWAIT);

		if (r < 0) {
			count_error(app, errno);
			i++;
		} else {
			app->control_stats.hep[sent_ctr] += (unsigned int)r;
			i += (unsigned int)r;
		}
	}
}

/* Head of the i-th datagram; its iovec points at the head and @p payload. */
static bool prepare(struct np_hep_sender *s, unsigned int i, const struct np_hep_info *h,
		    const void *payload, size_t len)
{
	int head = np_hep_encode_head(h, len, s->head[i], sizeof(s->head[i]));

	if (head < 0)
		return false;
	s->iov[i][0].iov_base = s->head[i];
	s->iov[i][0].iov_len = (size_t)head;
	s->iov[i][1].iov_base = (void *)(uintptr_t)payload;
	s->iov[i][1].iov_len = len;
	memset(&s->msg[i], 0, sizeof(s->msg[i]));
	s->msg[i].msg_hdr.msg_iov = s->iov[i];
	s->msg[i].msg_hdr.msg_iovlen = 2;
	return true;
}

/*
 * hep.relay: the packets hep.listen received, as received plus this
 * process's origin chunk (a loop back here is then known). At most
 * NP_HEP_RELAY_BURSTS bursts a pass: a control thread that cannot keep up
 * leaves them queued, and the HEP thread counts what no longer fits.
 */
#define NP_HEP_RELAY_BURSTS 16
static unsigned int relay_drain(struct np_app *app)
{
	struct np_hep_sender *s = hep_sender;
	struct np_hep_relay_slot *slots[NP_HEP_BURST];
	unsigned int n, b = 0, total = 0;

	do {
		unsigned int ready = 0;

		n = np_hep_listen_relay_take(app, slots, NP_HEP_BURST);
		for (unsigned int i = 0; i < n; i++) {
			struct np_hep_relay_slot *sl = slots[i];
			int len = np_hep_add_origin(sl->data, sl->len, sizeof(sl->data), s->origin);

			if (len < 0) { /* cannot be: the HEP thread left room, wrote HEPv3 */
				app->control_stats.hep[NP_HEP_ERR_OVERSIZE]++;
				continue;
			}
			s->iov[ready][0].iov_base = sl->data;
			s->iov[ready][0].iov_len = (size_t)len;
			memset(&s->msg[ready], 0, sizeof(s->msg[ready]));
			s->msg[ready].msg_hdr.msg_iov = s->iov[ready];
			s->msg[ready].msg_hdr.msg_iovlen = 1;
			ready++;
		}
		send_burst(app, ready, NP_HEP_SENT_RELAY);
		np_hep_listen_relay_give(app, slots, n);
		total += n;
	} while (n == NP_HEP_BURST && ++b < NP_HEP_RELAY_BURSTS);
	return total;
}

static unsigned int hep_drain(struct np_app *app)
{
	struct np_hep_sender *s = hep_sender;
	struct np_hep_slot *slots[NP_HEP_BURST];
	unsigned int total = 0;

	if (s == NULL)
		return 0;
	if (s->tcp != NULL)
		tcp_service(app);
	total += relay_drain(app);
	for (unsigned int w = 0; w < app->n_workers; w++) {
		struct np_worker *wk = app->workers[w];
		unsigned int n;

		if (wk == NULL || wk->hep_ring == NULL)
			continue;
		do {
			unsigned int ready = 0;

			n = rte_ring_sc_dequeue_burst(wk->hep_ring, (void **)slots, NP_HEP_BURST,
						      NULL);
			for (unsigned int i = 0; i < n; i++) {
				const struct np_hep_slot *sl = slots[i];
				struct np_hep_info h = {
					.src = sl->src,
					.dst = sl->dst,
					.sport = sl->sport,
					.dport = sl->dport,
					.ip_proto = sl->proto,
					.proto_type = NP_HEP_PROTO_SIP,
					.capture_id = s->capture_id,
					.ts_ns = sl->ts_ns,
					.auth_key = s->auth_key,
					.node_name = s->node_name,
					.origin = s->origin,
				};

				/* A slot holds at most 16 KiB: the head always fits. */
				if (prepare(s, ready, &h, sl->data, sl->len))
					ready++;
				else
					app->control_stats.hep[NP_HEP_ERR_OVERSIZE]++;
			}
			send_burst(app, ready, NP_HEP_SENT_SIP);
			if (n > 0)
				rte_mempool_put_bulk(wk->hep_pool, (void **)slots, n);
			total += n;
		} while (n == NP_HEP_BURST);
	}
	return total;
}

static void hep_record(struct np_app *app, const struct np_det_record *r)
{
	struct np_hep_sender *s = hep_sender;
	struct np_hep_info h;
	long len;

	if (s == NULL)
		return;
	rewind(s->json);
	if (np_record_write_json(s->json, r, &app->names) < 0 || fflush(s->json) != 0 ||
	    (len = ftell(s->json)) < 0 || len > NP_HEP_JSON_MAX) {
		clearerr(s->json);
		app->control_stats.hep[NP_HEP_ERR_OVERSIZE]++;
		return;
	}
	if (len > 0 && s->json_buf[len - 1] == '\n')
		len--; /* one JSON object per packet: the line's newline is not part of it */
	np_hep_info_from_record(r, &h);
	h.origin = s->origin;
	h.capture_id = s->capture_id;
	h.auth_key = s->auth_key;
	h.node_name = s->node_name;
	if (!prepare(s, 0, &h, s->json_buf, (size_t)len)) {
		app->control_stats.hep[NP_HEP_ERR_OVERSIZE]++;
		return;
	}
	send_burst(app, 1, NP_HEP_SENT_RECORD);
}

/*
 * export.hep_flow_events: a worker's flow event (connection start
 * fingerprint, TCP outcome, ...) as a HEP packet for another natprobe: the
 * event in natprobe's vendor chunk, a one-line description as a HEP log
 * payload for a collector that does not know the chunk (HOMER stores it as
 * a log). Queued and counted like the SIP (TCP: the same bounded buffer).
 */
static void hep_flow(struct np_app *app, const struct np_flow_event *ev)
{
	struct np_hep_sender *s = hep_sender;
	char a[NP_ADDR_STRLEN], b[NP_ADDR_STRLEN];
	uint8_t value[NP_HEP_NP_FLOW_LEN];
	struct np_hep_info h;
	int len;

	if (s == NULL || !app->conf.export.hep_flow_events)
		return;
	np_hep_flow_put(ev, &h, value);
	h.origin = s->origin;
	h.capture_id = s->capture_id;
	h.auth_key = s->auth_key;
	h.node_name = s->node_name;
	len = snprintf(s->json_buf, sizeof(s->json_buf), "natprobe flow %s %s %s:%u > %s:%u",
		       np_flow_ev_name(ev->type), ev->proto == 6 ? "tcp" : "udp",
		       np_addr_str(&ev->src, a, sizeof(a)), ev->sport,
		       np_addr_str(&ev->dst, b, sizeof(b)), ev->dport);
	if (len < 0 || !prepare(s, 0, &h, s->json_buf, (size_t)len)) {
		app->control_stats.hep[NP_HEP_ERR_OVERSIZE]++;
		return;
	}
	send_burst(app, 1, NP_HEP_SENT_FLOW);
}

/* "ADDRESS:PORT" (checked by the config loader) as a socket address. */
static int collector_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char host[64];
	uint16_t port;

	if (np_conf_parse_listen(text, host, sizeof(host), &port) < 0)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

/* Everything a sender holds; NULL is fine. */
static void sender_free(struct np_hep_sender *s)
{
	if (s == NULL)
		return;
	if (s->tcp != NULL)
		free(s->tcp->buf);
	free(s->tcp);
	if (s->json != NULL)
		fclose(s->json);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

static int hep_start(struct np_app *app)
{
	const struct np_conf *c = &app->conf;
	struct sockaddr_storage ss;
	struct np_hep_sender *s;
	socklen_t sslen;
	int sndbuf = NP_HEP_SNDBUF;

	if (c->export.hep_collector[0] == '\0')
		return 0;
	if (collector_addr(c->export.hep_collector, &ss, &sslen) < 0) {
		np_err("export.hep_collector: '%s' is not ADDRESS:PORT", c->export.hep_collector);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		np_err("export.hep_collector: out of memory");
		return -ENOMEM;
	}
	s->fd = -1;
	s->capture_id = c->export.hep_capture_id;
	s->origin = app->hep_origin;
	s->auth_key = c->export.hep_password[0] != '\0' ? c->export.hep_password : NULL;
	s->node_name = c->export.hep_node_name[0] != '\0' ? c->export.hep_node_name : NULL;
	if (c->export.hep_transport == NP_HEP_TCP) {
		s->tcp = calloc(1, sizeof(*s->tcp));
		if (s->tcp != NULL)
			s->tcp->buf = malloc(NP_HEP_TCP_BUF);
		if (s->tcp == NULL || s->tcp->buf == NULL) {
			np_err("export.hep_collector: out of memory");
			sender_free(s);
			return -ENOMEM;
		}
		memcpy(&s->tcp->addr, &ss, sizeof(ss));
		s->tcp->addr_len = sslen;
	}
	s->fd = socket(ss.ss_family,
		       (s->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd >= 0 && s->tcp != NULL) {
		/* refused or not there yet: counted while running, tried again each second */
		int one = 1;

		setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(s->fd, (struct sockaddr *)&ss, sslen) == 0)
			s->tcp->state = TCP_UP;
		else if (errno == EINPROGRESS || errno == ECONNREFUSED)
			s->tcp->state = errno == EINPROGRESS ? TCP_CONNECTING : TCP_DOWN;
		else
			goto fail;
		if (s->tcp->state == TCP_DOWN) {
			close(s->fd);
			s->fd = -1;
		}
	} else if (s->fd < 0 || connect(s->fd, (struct sockaddr *)&ss, sslen) < 0) {
	fail:
		np_err("export.hep_collector: cannot send to %s: %s", c->export.hep_collector,
		       strerror(errno));
		sender_free(s);
		return -EINVAL;
	}
	if (s->fd >= 0)
		setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	s->json = fmemopen(s->json_buf, sizeof(s->json_buf), "w");
	if (s->json == NULL) {
		np_err("export.hep_collector: cannot set up the record buffer: %s",
		       strerror(errno));
		sender_free(s);
		return -ENOMEM;
	}
	hep_sender = s;
	return 0;
}

static void hep_flush(struct np_app *app)
{
	struct np_hep_tcp *t = hep_sender != NULL ? hep_sender->tcp : NULL;

	if (t == NULL)
		return;
	/* at most 200 ms for the collector to take what waits; the rest is counted lost */
	for (int i = 0; i < 200 && t->state != TCP_DOWN && t->pkt_n > 0; i++) {
		tcp_service(app);
		if (t->pkt_n > 0)
			usleep(1000);
	}
	for (; t->pkt_n > 0; t->pkt_n--)
		app->control_stats.hep[NP_HEP_ERR_BUSY]++;
	t->pkt_head = 0;
	t->off = t->len = 0;
	t->head_sent = 0;
}

static void hep_stop(struct np_app *app)
{
	(void)app;
	sender_free(hep_sender);
	hep_sender = NULL;
}

static int hep_worker_init(struct np_app *app, struct np_worker *w, int socket)
{
	unsigned int n = app->conf.export.hep_queue_size;
	char name[RTE_MEMPOOL_NAMESIZE];

	if (hep_sender == NULL)
		return 0;
	/* Only the worker gets slots; the control thread puts them back. */
	snprintf(name, sizeof(name), "np_hep_%u", w->id);
	w->hep_pool = rte_mempool_create(name, n, sizeof(struct np_hep_slot), 0, 0, NULL, NULL,
					 NULL, NULL, socket, RTE_MEMPOOL_F_SC_GET);
	/* Room for every slot: the ring is never full while a slot is free. */
	snprintf(name, sizeof(name), "np_hepq_%u", w->id);
	w->hep_ring =
		rte_ring_create(name, n, socket, RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (w->hep_pool == NULL || w->hep_ring == NULL) {
		np_err("cannot create worker %u's HEP queue (%u slots of %zu bytes): %s "
		       "(export.hep_queue_size, eal.memory_mb)",
		       w->id, n, sizeof(struct np_hep_slot), rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

static void hep_worker_free(struct np_worker *w)
{
	rte_ring_free(w->hep_ring);
	rte_mempool_free(w->hep_pool);
	w->hep_ring = NULL;
	w->hep_pool = NULL;
}

const struct np_observer np_hep_observer = {
	.name = "hep",
	.start = hep_start,
	.worker_init = hep_worker_init,
	.worker_free = hep_worker_free,
	.drain = hep_drain,
	.flow = hep_flow,
	.record = hep_record,
	.flush = hep_flush,
	.stop = hep_stop,
};
