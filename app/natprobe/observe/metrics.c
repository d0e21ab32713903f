/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /metrics over libmicrohttpd, driven from the control loop (np_observe.h).
 *
 * We bind the listening socket ourselves: bind errors then come back as an
 * errno we can name in one line, and the socket is created exactly as
 * configured. The daemon runs in external mode (no
 * MHD_USE_INTERNAL_POLLING_THREAD), with epoll rather than select(): after
 * rte_eal_init() a process can hold more than FD_SETSIZE descriptors (one
 * per hugepage), and select() mode refuses a socket numbered above that.
 * MHD_run() never blocks in this mode.
 *
 * Slow or hostile clients cannot lock scrapers out. libmicrohttpd's limits
 * (MHD_OPTION_CONNECTION_LIMIT, _PER_IP_CONNECTION_LIMIT) refuse the
 * newcomer once reached, and its CONNECTION_TIMEOUT restarts with every
 * byte received: 40 clients sending a header line every 2 s would hold every
 * slot for as long as they like, and a scraper on the same address
 * (loopback, a shared proxy) would be refused. So natprobe accepts the
 * connections itself and holds each one, outside libmicrohttpd, until its
 * request headers are complete (read with MSG_PEEK, nothing consumed);
 * only then is it handed over (MHD_add_connection(), MHD_USE_NO_LISTEN_SOCKET):
 * - a connection waiting for its headers gets at most NP_METRICS_WAIT_S from
 *   its accept, a deadline bytes sent do not move;
 * - NP_METRICS_MAX_PENDING may wait at once; a newcomer beyond that closes
 *   the one that has waited longest, never itself, and at most
 *   NP_METRICS_ACCEPT_BURST are accepted per poll (about every ms): a
 *   client whose request arrives within NP_METRICS_MAX_PENDING /
 *   NP_METRICS_ACCEPT_BURST polls of its connect is always served,
 *   however fast others connect;
 * - every answer closes its connection (Connection: close), so no idle or
 *   half-sent second request holds a libmicrohttpd slot; a request that is
 *   still inside libmicrohttpd NP_METRICS_WAIT_S after its hand-over (a GET
 *   with a body dribbled slowly) is closed.
 * libmicrohttpd's own limits stay, as a backstop.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include <rte_cycles.h>
#include <rte_log.h>

#include "np_observe.h"

#define NP_METRICS_BACKLOG 64
#define NP_METRICS_MAX_CONNS 32 /* requests being answered; scrapers are few */
#define NP_METRICS_MAX_CONNS_PER_IP 32
#define NP_METRICS_CONN_TIMEOUT_S 10 /* libmicrohttpd's inactivity timeout */
#define NP_METRICS_WAIT_S 5	     /* for complete headers, and for a request to be done */
#define NP_METRICS_MAX_PENDING 64    /* connections waiting for their headers */
#define NP_METRICS_ACCEPT_BURST 8    /* accept()s per poll */
#define NP_METRICS_PEEK 8192	     /* request headers larger than this are refused */
#define NP_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* A connection accepted, its request headers not complete yet. */
struct np_metrics_pending {
	int fd;		/* -1: free */
	uint64_t since; /* TSC of the accept */
	struct sockaddr_storage peer;
	socklen_t peer_len;
};

/* A connection handed to libmicrohttpd (MHD_OPTION_NOTIFY_CONNECTION). */
struct np_metrics_conn {
	bool used;
	bool closing;
	int fd;
	uint64_t since; /* TSC of the hand-over */
};

struct np_metrics {
	struct MHD_Daemon *daemon;
	struct np_app *app;
	int listen_fd;
	uint64_t next_poll; /* TSC: MHD_run() at most once per poll_cycles */
	uint64_t poll_cycles;
	uint64_t wait_cycles; /* NP_METRICS_WAIT_S */
	uint64_t evicted;     /* pending connections closed for a newcomer or the deadline */
	struct np_metrics_pending pending[NP_METRICS_MAX_PENDING];
	struct np_metrics_conn conns[NP_METRICS_MAX_CONNS];
};

/* The endpoint of this process (one np_app per process); NULL when off. */
static struct np_metrics *metrics_srv;

static int np_logtype = -1;

static const char index_page[] =
	"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>natprobe</title></head>\n"
	"<body><h1>natprobe</h1><p>Prometheus metrics: <a href=\"/metrics\">/metrics</a></p>"
	"</body></html>\n";
static const char not_found[] = "404 not found: natprobe serves /metrics\n";
static const char not_allowed[] = "405 method not allowed: use GET or HEAD\n";
static const char no_memory[] = "500 cannot render the counters (out of memory)\n";

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	rte_vlog(RTE_LOG_INFO, np_logtype, fmt, ap);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *type,
			     struct MHD_Response *resp)
{
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO; /* libmicrohttpd closes the connection */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	/* one request per connection: no idle or half-sent request holds a slot */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_static(struct MHD_Connection *conn, unsigned int status,
				    const char *type, const char *body)
{
	return reply(conn, status, type,
		     MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body,
						     MHD_RESPMEM_PERSISTENT));
}

/* The counters, rendered now, on the control thread. */
static enum MHD_Result reply_metrics(struct np_metrics *m, struct MHD_Connection *conn)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return reply_static(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", no_memory);
	np_control_print_counters(m->app, f);
	if (ferror(f) != 0) {
		fclose(f);
		free(buf);
		return reply_static(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", no_memory);
	}
	fclose(f);
	return reply(conn, MHD_HTTP_OK, NP_METRICS_CONTENT_TYPE,
		     MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE));
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	static int headers_seen; /* its address marks a request whose headers were seen */
	struct np_metrics *m = cls;

	(void)version;
	(void)upload_data;
	/* Refused at once: the body, if any, is never read (and the connection is closed). */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_static(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", not_allowed);
	/* Answer on the second call, once the whole request (and any body) is in. */
	if (*req_cls == NULL) {
		*req_cls = &headers_seen;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0; /* a GET with a body: discard it */
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") == 0)
		return reply_metrics(m, conn);
	if (strcmp(url, "/") == 0)
		return reply_static(conn, MHD_HTTP_OK, "text/html; charset=utf-8", index_page);
	return reply_static(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	struct np_metrics *m = cls;
	struct np_metrics_conn *c = *socket_ctx;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (c != NULL)
			c->used = false;
		*socket_ctx = NULL;
		return;
	}
	for (unsigned int i = 0; c == NULL && i < RTE_DIM(m->conns); i++)
		if (!m->conns[i].used)
			c = &m->conns[i];
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (c == NULL || ci == NULL)
		return;
	c->used = true;
	c->closing = false;
	c->fd = ci->connect_fd;
	c->since = rte_get_timer_cycles();
	*socket_ctx = c;
}

static void pending_close(struct np_metrics *m, struct np_metrics_pending *p)
{
	close(p->fd);
	p->fd = -1;
	m->evicted++;
}

/* Are the request headers in (an empty line)? 1 yes, 0 not yet, -1 close it. */
static int headers_complete(int fd)
{
	char buf[NP_METRICS_PEEK];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		return -1; /* gone */
	if (n < 0)
		return 0;
	if (memmem(buf, (size_t)n, "\r\n\r\n", 4) != NULL || memmem(buf, (size_t)n, "\n\n", 2))
		return 1;
	return n == (ssize_t)sizeof(buf) ? -1 : 0; /* headers over 8 KiB: refused */
}

/*
 * Hand over the connections whose headers are in, close those past their
 * deadline, then accept newcomers (making room by closing the longest
 * waiter), and close requests libmicrohttpd has held too long.
 */
static void serve_pending(struct np_metrics *m, uint64_t now)
{
	for (unsigned int i = 0; i < RTE_DIM(m->pending); i++) {
		struct np_metrics_pending *p = &m->pending[i];
		int r;

		if (p->fd < 0)
			continue;
		r = headers_complete(p->fd);
		if (r > 0) {
			if (MHD_add_connection(m->daemon, p->fd, (struct sockaddr *)&p->peer,
					       p->peer_len) != MHD_YES)
				close(p->fd); /* libmicrohttpd's backstop limits */
			p->fd = -1;
		} else if (r < 0 || now > p->since + m->wait_cycles) {
			pending_close(m, p);
		}
	}
	for (unsigned int k = 0; k < NP_METRICS_ACCEPT_BURST; k++) {
		struct np_metrics_pending *slot = NULL, *oldest = NULL;
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		int fd = accept4(m->listen_fd, (struct sockaddr *)&peer, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			break;
		for (unsigned int i = 0; i < RTE_DIM(m->pending) && slot == NULL; i++) {
			if (m->pending[i].fd < 0)
				slot = &m->pending[i];
			else if (oldest == NULL || m->pending[i].since < oldest->since)
				oldest = &m->pending[i];
		}
		if (slot == NULL) {
			pending_close(m, oldest);
			slot = oldest;
		}
		slot->fd = fd;
		slot->since = now;
		slot->peer = peer;
		slot->peer_len = len;
	}
	for (unsigned int i = 0; i < RTE_DIM(m->conns); i++) {
		struct np_metrics_conn *c = &m->conns[i];

		if (c->used && !c->closing && now > c->since + m->wait_cycles) {
			c->closing = true;
			shutdown(c->fd, SHUT_RDWR); /* libmicrohttpd reads EOF, releases it */
		}
	}
}

/* A listening TCP socket on host:port. @return the fd, or a negative errno. */
static int listen_on(const char *host, uint16_t port, bool *v6)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;
	int fd, err;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		len = sizeof(*sin);
		*v6 = false;
	} else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		len = sizeof(*sin6);
		*v6 = true;
	} else {
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Restart without waiting for TIME_WAIT; a live listener still gets EADDRINUSE. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, NP_METRICS_BACKLOG) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

static int metrics_start(struct np_app *app)
{
	const char *listen = app->conf.export.metrics_listen;
	struct np_metrics *m;
	char host[NP_ADDR_STRLEN];
	unsigned int flags = MHD_USE_ERROR_LOG | MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET;
	uint16_t port;
	bool v6 = false;
	int fd;

	metrics_srv = NULL;
	if (listen[0] == '\0')
		return 0;
	if (np_logtype < 0)
		np_logtype =
			rte_log_register_type_and_pick_level("natprobe.metrics", RTE_LOG_NOTICE);
	if (np_conf_parse_listen(listen, host, sizeof(host), &port) < 0) {
		np_err("export.metrics_listen: '%s' is not HOST:PORT or [IPV6]:PORT", listen);
		return -EINVAL;
	}
	fd = listen_on(host, port, &v6);
	if (fd < 0) {
		np_err("export.metrics_listen: cannot listen on %s: %s%s", listen, strerror(-fd),
		       fd == -EADDRINUSE ? " (another natprobe or service holds the port; change "
					   "the address or set it to \"\" to disable /metrics)"
					 : "");
		return fd;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		close(fd);
		np_err("export.metrics_listen: out of memory");
		return -ENOMEM;
	}
	m->app = app;
	m->listen_fd = fd;
	m->poll_cycles = rte_get_timer_hz() / 1000;
	m->wait_cycles = NP_METRICS_WAIT_S * rte_get_timer_hz();
	for (unsigned int i = 0; i < RTE_DIM(m->pending); i++)
		m->pending[i].fd = -1;
	if (v6)
		flags |= MHD_USE_IPv6;
	m->daemon =
		MHD_start_daemon(flags, port, NULL, NULL, on_request, m,
				 MHD_OPTION_CONNECTION_LIMIT, (unsigned int)NP_METRICS_MAX_CONNS,
				 MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				 (unsigned int)NP_METRICS_MAX_CONNS_PER_IP,
				 MHD_OPTION_CONNECTION_TIMEOUT,
				 (unsigned int)NP_METRICS_CONN_TIMEOUT_S,
				 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
				 MHD_OPTION_NOTIFY_CONNECTION, on_connection, m,
				 MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
	if (m->daemon == NULL) {
		close(fd);
		free(m);
		np_err("export.metrics_listen: cannot start the HTTP server on %s "
		       "(libmicrohttpd refused; see the log at level info)",
		       listen);
		return -EIO;
	}
	metrics_srv = m;
	rte_log(RTE_LOG_NOTICE, np_logtype,
		"natprobe: serving Prometheus metrics on http://%s/metrics\n", listen);
	return 0;
}

static void metrics_poll(struct np_app *app)
{
	struct np_metrics *m = metrics_srv;
	uint64_t now;

	(void)app;
	if (m == NULL)
		return;
	now = rte_get_timer_cycles();
	if (now < m->next_poll)
		return;
	m->next_poll = now + m->poll_cycles;
	serve_pending(m, now);
	MHD_run(m->daemon);
}

static void metrics_stop(struct np_app *app)
{
	struct np_metrics *m = metrics_srv;

	(void)app;
	if (m == NULL)
		return;
	MHD_stop_daemon(m->daemon);
	for (unsigned int i = 0; i < RTE_DIM(m->pending); i++)
		if (m->pending[i].fd >= 0)
			close(m->pending[i].fd);
	close(m->listen_fd);
	free(m);
	metrics_srv = NULL;
}

const struct np_observer np_metrics_observer = {
	.name = "metrics",
	.start = metrics_start,
	.poll = metrics_poll,
	.stop = metrics_stop,
};
