/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Link state of the ports, watched from the control thread (docs/robustness.md).
 *
 * Every NP_LINK_POLL_MS, and at once after a link-change interrupt where the
 * PMD raises them, the control thread reads each port's link
 * (rte_eth_link_get_nowait): it logs each change, keeps the
 * natprobe_port_link_up gauge, warns once when a port has been down for
 * datapath.link_down_warn_s, and tells the workers what they may do with
 * each rx queue (np_worker.rxq_gate): a queue is polled only while its
 * port's link is up, and frames whose egress link is down are counted as
 * dropped without a tx attempt. Workers report a quiescent state once per
 * loop (rte_rcu_qsbr); a change that takes a port away from them waits
 * until every worker has passed one, so no worker is inside a burst on it.
 *
 * A port on a kernel interface (net_af_packet iface=, net_pcap iface= or
 * rx_iface=) is up while DPDK says so and the interface is up with a carrier
 * and still the one natprobe opened: DPDK 22.11's af_packet and pcap PMDs
 * report their link up from start to stop, whatever the interface does.
 *
 * A memif client (role=client) connects only when its port starts, and never
 * again once its server went away or refused it: while one is down, natprobe
 * stops and starts it every NP_LINK_RESTART_MS.
 *
 * net_memif tears a connection down on DPDK's interrupt thread
 * (memif_disconnect() unmaps the shared regions and clears the region table)
 * without waiting for the lcores that may be inside rte_eth_rx_burst() or
 * rte_eth_tx_burst() on that port, which then fault (DPDK 22.11; the
 * "interrupt gate" section of docs/robustness.md). So while a memif port is
 * in use, the interrupt thread is kept in a callback of natprobe's own (the
 * gate) and runs only in short windows during which the workers leave every
 * memif port alone: NP_GATE_UP_WINDOW_US every NP_GATE_UP_PERIOD_MS while
 * all are connected, longer and more often while one is connecting.
 */

#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "np_live.h"

#define NP_LINK_POLL_MS 100	  /* link read this often */
#define NP_LINK_RESTART_MS 1000	  /* a memif client that is down is restarted this often */
#define NP_LINK_HANDSHAKE_MS 5000 /* ... but given this long once it reached its server */
#define NP_LINK_SYNC_WAIT_MS 100  /* longest wait for every worker to leave a port */
#define NP_GATE_UP_PERIOD_MS 100  /* interrupt windows while every memif port is up */
#define NP_GATE_UP_WINDOW_US 100
#define NP_GATE_DOWN_PERIOD_MS 10 /* ... while one connects: its handshake runs in them */
#define NP_GATE_DOWN_WINDOW_US 1000
#define NP_GATE_PARK_WAIT_MS 50 /* longest wait for the interrupt thread to come back */

struct np_link_port {
	bool up;	     /* as last read */
	bool gated;	     /* net_memif: torn down on the interrupt thread */
	bool restarts;	     /* a memif client: restarted while down */
	bool held;	     /* the control thread keeps the workers off it for now */
	bool warned;	     /* link_down_warn_s passed in this down period */
	bool restart_logged; /* the first failed restart of this down period was logged */
	uint64_t down_since; /* timer cycles */
	uint64_t next_restart;
	char ifname[IF_NAMESIZE]; /* its kernel interface, "" for none */
	int ifindex;		  /* ... as it was at start */
};

struct np_links {
	struct np_app *app;
	struct rte_rcu_qsbr *qsv;
	struct np_link_port port[NP_MAX_PORTS];
	uint64_t hz;
	uint64_t next_poll;
	volatile bool lsc; /* a link-change interrupt came (interrupt thread) */
	int logtype;
	int ifsock;    /* for SIOCGIFFLAGS on kernel interfaces; -1 when none */
	bool unsynced; /* a worker did not confirm the last narrower gates yet */
	/* the interrupt gate */
	bool gate_on;
	bool gate_pending; /* a window ended but the interrupt thread is not back yet */
	uint64_t gate_gen_seen;
	uint64_t next_window;
	int efd;
	struct rte_intr_handle *ih;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t park_gen; /* times the interrupt thread entered the gate */
	bool open;	   /* one pass allowed */
	bool retired;	   /* shutting down: never park again */
};

#define LOG(level, ...) rte_log(RTE_LOG_##level, l->logtype, "natprobe: " __VA_ARGS__)

static uint64_t ms_cycles(const struct np_links *l, unsigned int ms)
{
	return l->hz * ms / 1000;
}

/* The value of key=... in a device string ("net_af_packet0,iface=eth1"), or false. */
static bool get_arg(const char *device, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key);

	for (const char *p = strchr(device, ','); p != NULL; p = strchr(p + 1, ','))
		if (strncmp(p + 1, key, kl) == 0 && p[1 + kl] == '=') {
			snprintf(out, len, "%.*s", (int)strcspn(p + 2 + kl, ","), p + 2 + kl);
			return true;
		}
	return false;
}

/* "net_memif0,role=client,...": does the device string hold key=value? */
static bool has_arg(const char *device, const char *key, const char *value)
{
	size_t kl = strlen(key), vl = strlen(value);

	for (const char *p = strchr(device, ','); p != NULL; p = strchr(p + 1, ','))
		if (strncmp(p + 1, key, kl) == 0 && p[1 + kl] == '=' &&
		    strncmp(p + 2 + kl, value, vl) == 0 &&
		    (p[2 + kl + vl] == ',' || p[2 + kl + vl] == '\0'))
			return true;
	return false;
}

static bool is_memif(const char *device)
{
	return strncmp(device, "net_memif", 9) == 0 || strncmp(device, "eth_memif", 9) == 0;
}

bool np_link_restarts(const struct np_app *app, unsigned int p)
{
	const char *dev = app->conf.ports[p].device;

	/* memif's default role is client; "slave" is its old name */
	return is_memif(dev) && !has_arg(dev, "role", "server") && !has_arg(dev, "role", "master");
}

/* Link-change interrupt (interrupt thread): the control loop reads the links now. */
static int on_lsc(uint16_t port_id, enum rte_eth_event_type type, void *arg, void *ret_param)
{
	struct np_links *l = arg;

	(void)port_id;
	(void)type;
	(void)ret_param;
	l->lsc = true;
	return 0;
}

/*
 * Wait until every worker has passed a quiescent state after the gates just
 * written. @return 0, or -ETIMEDOUT (a worker did not come round in time).
 */
static int sync_workers(struct np_links *l)
{
	const uint64_t token = rte_rcu_qsbr_start(l->qsv);
	const uint64_t deadline = rte_get_timer_cycles() + ms_cycles(l, NP_LINK_SYNC_WAIT_MS);

	while (rte_rcu_qsbr_check(l->qsv, token, false) == 0) {
		if (rte_get_timer_cycles() > deadline)
			return -ETIMEDOUT;
		rte_pause();
	}
	return 0;
}

static uint8_t gate_of(const struct np_links *l, const struct np_rxq *r)
{
	const struct np_link_port *in = &l->port[r->port];
	const struct np_link_port *out = &l->port[r->out_port];

	if (in->held || !in->up)
		return NP_RXQ_HOLD;
	if (r->out_port_id == NP_NO_PORT)
		return NP_RXQ_POLL;
	if (out->held)
		return NP_RXQ_HOLD; /* a short hold: the frames wait in the rx ring */
	return out->up ? NP_RXQ_POLL : NP_RXQ_NO_TX;
}

/*
 * Tell the workers what each queue may do now; when that takes anything away
 * from them, wait until none is still at it. @return 0 or -ETIMEDOUT.
 */
static int apply_gates(struct np_links *l)
{
	const struct np_app *app = l->app;
	bool narrower = false;

	for (unsigned int w = 0; w < app->n_workers; w++) {
		struct np_worker *wk = app->workers[w];

		for (unsigned int i = 0; i < wk->n_rxq; i++) {
			uint8_t g = gate_of(l, &wk->rxq[i]);

			narrower |= g > wk->rxq_gate[i];
			wk->rxq_gate[i] = g;
		}
	}
	if (!narrower && !l->unsynced)
		return 0;
	l->unsynced = sync_workers(l) != 0;
	return l->unsynced ? -ETIMEDOUT : 0;
}

static void set_up(struct np_links *l, unsigned int p, bool up, uint64_t now)
{
	struct np_link_port *lp = &l->port[p];

	lp->up = up;
	l->app->control_stats.port[p][NP_PORT_LINK_UP] = up;
	if (!up) {
		lp->down_since = now;
		lp->warned = false;
		lp->restart_logged = false;
		lp->next_restart = now + ms_cycles(l, NP_LINK_RESTART_MS);
	}
}

/* The kernel interface under a port: up, with a carrier, the one opened at start? */
static bool iface_up(const struct np_links *l, const struct np_link_port *lp)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", lp->ifname);
	if (ioctl(l->ifsock, SIOCGIFINDEX, &ifr) != 0 || ifr.ifr_ifindex != lp->ifindex)
		return false; /* gone, or deleted and created again */
	if (ioctl(l->ifsock, SIOCGIFFLAGS, &ifr) != 0)
		return false;
	return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
}

static bool read_link(const struct np_links *l, unsigned int p, struct rte_eth_link *link)
{
	memset(link, 0, sizeof(*link));
	if (!l->app->port_started[p])
		return false;
	if (l->port[p].ifname[0] != '\0' && l->ifsock >= 0 && !iface_up(l, &l->port[p]))
		return false;
	/* a PMD that cannot tell (-ENOTSUP) is taken as up: it was started */
	if (rte_eth_link_get_nowait(l->app->port_id[p], link) != 0)
		return true;
	return link->link_status == RTE_ETH_LINK_UP;
}

/* Why a kernel interface is down, for the log: "eth1 is gone)", ... */
static const char *iface_state(const struct np_links *l, const struct np_link_port *lp)
{
	static char buf[IF_NAMESIZE + 80];
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", lp->ifname);
	if (ioctl(l->ifsock, SIOCGIFINDEX, &ifr) != 0)
		snprintf(buf, sizeof(buf), "%s is gone)", lp->ifname);
	else if (ifr.ifr_ifindex != lp->ifindex)
		snprintf(buf, sizeof(buf),
			 "%s was deleted and created again: restart natprobe "
			 "to use the new one)",
			 lp->ifname);
	else if (ioctl(l->ifsock, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP))
		snprintf(buf, sizeof(buf), "%s is down)", lp->ifname);
	else
		snprintf(buf, sizeof(buf), "%s has no carrier)", lp->ifname);
	return buf;
}

/* Read every link; log changes; warn on long outages. @return true when one changed. */
static bool poll_links(struct np_links *l, uint64_t now)
{
	const struct np_conf *c = &l->app->conf;
	const uint64_t warn = (uint64_t)c->datapath.link_down_warn_s * l->hz;
	bool changed = false;

	l->lsc = false;
	l->next_poll = now + ms_cycles(l, NP_LINK_POLL_MS);
	for (unsigned int p = 0; p < c->n_ports; p++) {
		const struct np_conf_port *cp = &c->ports[p];
		struct np_link_port *lp = &l->port[p];
		struct rte_eth_link link;
		bool up = read_link(l, p, &link);

		if (up != lp->up) {
			set_up(l, p, up, now);
			changed = true;
			if (up) {
				LOG(NOTICE, "port '%s' (segment %s): link up (%s, %s duplex)\n",
				    cp->name, c->segments[cp->segment].name,
				    rte_eth_link_speed_to_str(link.link_speed),
				    link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX ? "full" : "half");
			} else {
				LOG(WARNING,
				    "port '%s' (segment %s): link down; natprobe stops "
				    "polling it%s%s%s\n",
				    cp->name, c->segments[cp->segment].name,
				    lp->restarts ? " and restarts it every second (memif client)"
				    : lp->gated	 ? " until its memif client connects again"
						 : "",
				    lp->ifname[0] ? " (interface " : "",
				    lp->ifname[0] ? iface_state(l, lp) : "");
			}
		}
		if (!up && warn > 0 && !lp->warned && now - lp->down_since >= warn) {
			lp->warned = true;
			LOG(WARNING,
			    "port '%s' (segment %s): link down for %u s%s; frames for it "
			    "are counted in natprobe_port_dropped_packets_total\n",
			    cp->name, c->segments[cp->segment].name, c->datapath.link_down_warn_s,
			    lp->gated ? " (is the memif peer running, on the same socket and id?)"
				      : " (cable, peer, interface state)");
		}
	}
	return changed;
}

/* A memif client that is down: stop and start it, so it connects to its server again. */
static void restart_port(struct np_links *l, unsigned int p, uint64_t now)
{
	struct np_app *app = l->app;
	struct np_link_port *lp = &l->port[p];
	const struct np_conf_port *cp = &app->conf.ports[p];
	int memif_log = rte_log_register("pmd.net.memif");
	int level = memif_log >= 0 ? rte_log_get_level((uint32_t)memif_log) : -1;
	int ret;

	lp->next_restart = now + ms_cycles(l, NP_LINK_RESTART_MS);
	lp->held = true;
	if (apply_gates(l) != 0) {
		lp->held = false;
		apply_gates(l);
		return; /* a worker did not come round: next time */
	}
	/* The first failure of a down period is memif's to explain; the retries are quiet. */
	if (lp->restart_logged && level >= 0)
		rte_log_set_level((uint32_t)memif_log, RTE_LOG_CRIT);
	if (app->port_started[p])
		rte_eth_dev_stop(app->port_id[p]);
	ret = rte_eth_dev_start(app->port_id[p]);
	if (lp->restart_logged && level >= 0)
		rte_log_set_level((uint32_t)memif_log, (uint32_t)level);
	app->port_started[p] = ret == 0;
	/* connected to the server's socket: leave the handshake time to finish */
	if (ret == 0)
		lp->next_restart = now + ms_cycles(l, NP_LINK_HANDSHAKE_MS);
	if (ret != 0 && !lp->restart_logged)
		LOG(WARNING,
		    "port '%s': its memif server does not answer; natprobe tries again "
		    "every second\n",
		    cp->name);
	lp->restart_logged = true;
	lp->held = false;
	apply_gates(l);
}

/*
 * The gate (interrupt thread): wait here until the control thread opens a
 * window; then return, so the thread handles what is pending until the
 * control thread writes the eventfd again and it comes back.
 */
static void gate_cb(void *arg)
{
	struct np_links *l = arg;
	uint64_t v;

	if (read(l->efd, &v, sizeof(v)) < 0) /* EAGAIN: kicked once, read once */
		v = 0;
	pthread_mutex_lock(&l->lock);
	l->park_gen++;
	pthread_cond_broadcast(&l->cond);
	while (!l->open && !l->retired)
		pthread_cond_wait(&l->cond, &l->lock);
	l->open = false;
	pthread_mutex_unlock(&l->lock);
}

static void gate_kick(struct np_links *l)
{
	uint64_t one = 1;

	if (write(l->efd, &one, sizeof(one)) < 0)
		LOG(ERR, "interrupt gate: eventfd write: %s\n", strerror(errno));
}

/* Wait (at most @p ms) for the interrupt thread to enter the gate after generation @p gen. */
static bool gate_parked(struct np_links *l, uint64_t gen, unsigned int ms)
{
	struct timespec ts;
	bool parked;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)ms * 1000000;
	ts.tv_sec += ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	pthread_mutex_lock(&l->lock);
	while (l->park_gen <= gen && !l->retired)
		if (pthread_cond_timedwait(&l->cond, &l->lock, &ts) != 0)
			break;
	parked = l->park_gen > gen;
	pthread_mutex_unlock(&l->lock);
	return parked;
}

static void release_gated(struct np_links *l)
{
	for (unsigned int p = 0; p < l->app->conf.n_ports; p++)
		if (l->port[p].gated)
			l->port[p].held = false;
}

/* One window: memif ports held, the interrupt thread runs, comes back, ports released. */
static void gate_window(struct np_links *l, uint64_t now)
{
	bool connecting = false;
	uint64_t gen;

	for (unsigned int p = 0; p < l->app->conf.n_ports; p++)
		connecting |= l->port[p].gated && !l->port[p].up;
	l->next_window =
		now + ms_cycles(l, connecting ? NP_GATE_DOWN_PERIOD_MS : NP_GATE_UP_PERIOD_MS);
	for (unsigned int p = 0; p < l->app->conf.n_ports; p++)
		if (l->port[p].gated)
			l->port[p].held = true;
	if (apply_gates(l) != 0) {
		release_gated(l); /* a worker is still on a memif port: no window */
		apply_gates(l);
		return;
	}
	pthread_mutex_lock(&l->lock);
	gen = l->park_gen;
	l->open = true;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
	rte_delay_us_sleep(connecting ? NP_GATE_DOWN_WINDOW_US : NP_GATE_UP_WINDOW_US);
	gate_kick(l);
	if (!gate_parked(l, gen, NP_GATE_PARK_WAIT_MS)) {
		/* still busy (a long callback): memif ports stay held until it is back */
		l->gate_pending = true;
		l->gate_gen_seen = gen;
		return;
	}
	release_gated(l);
	poll_links(l, rte_get_timer_cycles()); /* what the window changed, at once */
	apply_gates(l);
}

static int gate_start(struct np_links *l)
{
	int ret;

	l->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->efd < 0) {
		np_err("interrupt gate: eventfd: %s", strerror(errno));
		return -errno;
	}
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cond, NULL);
	l->ih = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (l->ih == NULL || rte_intr_fd_set(l->ih, l->efd) != 0 ||
	    rte_intr_type_set(l->ih, RTE_INTR_HANDLE_EXT) != 0) {
		np_err("interrupt gate: cannot set up an interrupt handle");
		return -ENOMEM;
	}
	ret = rte_intr_callback_register(l->ih, gate_cb, l);
	if (ret != 0) {
		np_err("interrupt gate: cannot register with DPDK's interrupt thread: %s",
		       rte_strerror(-ret));
		return ret;
	}
	l->gate_on = true;
	gate_kick(l);
	if (!gate_parked(l, 0, 1000)) {
		np_err("interrupt gate: DPDK's interrupt thread did not answer within 1 s");
		return -ETIMEDOUT;
	}
	return 0;
}

static void gate_stop(struct np_links *l)
{
	if (l->ih == NULL)
		return;
	if (l->gate_on) {
		pthread_mutex_lock(&l->lock);
		l->retired = true;
		pthread_cond_broadcast(&l->cond);
		pthread_mutex_unlock(&l->lock);
		/* -EAGAIN while the thread is still on its way out of gate_cb */
		while (rte_intr_callback_unregister(l->ih, gate_cb, l) == -EAGAIN)
			rte_delay_us_sleep(100);
		l->gate_on = false;
	}
	rte_intr_instance_free(l->ih);
	l->ih = NULL;
	close(l->efd);
}

/* net_af_packet and net_pcap on a kernel interface: its name and index, for read_link(). */
static void kernel_iface(struct np_links *l, unsigned int p)
{
	const char *dev = l->app->conf.ports[p].device;
	struct np_link_port *lp = &l->port[p];
	static const char *const keys[] = { "iface", "rx_iface", "rx_iface_in", "tx_iface" };
	bool pcap = strncmp(dev, "net_pcap", 8) == 0 || strncmp(dev, "eth_pcap", 8) == 0;

	lp->ifname[0] = '\0';
	if (strncmp(dev, "net_af_packet", 13) != 0 && strncmp(dev, "eth_af_packet", 13) != 0 &&
	    !pcap)
		return;
	for (size_t k = 0; k < RTE_DIM(keys) && lp->ifname[0] == '\0'; k++)
		if ((k == 0 || pcap) && get_arg(dev, keys[k], lp->ifname, sizeof(lp->ifname)))
			break;
	if (lp->ifname[0] == '\0')
		return;
	if (l->ifsock < 0)
		l->ifsock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	lp->ifindex = (int)if_nametoindex(lp->ifname);
}

int np_link_init(struct np_app *app)
{
	const struct np_conf *c = &app->conf;
	struct np_links *l;
	size_t sz;
	bool any_gated = false;
	uint64_t now;

	l = rte_zmalloc("np_links", sizeof(*l), RTE_CACHE_LINE_SIZE);
	sz = rte_rcu_qsbr_get_memsize(app->n_workers);
	if (l == NULL || (l->qsv = rte_zmalloc("np_links_qsbr", sz, RTE_CACHE_LINE_SIZE)) == NULL) {
		rte_free(l);
		np_err("cannot allocate the link state: out of DPDK memory (eal.memory_mb)");
		return -ENOMEM;
	}
	app->links = l;
	l->app = app;
	l->efd = -1;
	l->ifsock = -1;
	l->hz = rte_get_timer_hz();
	l->logtype = rte_log_register_type_and_pick_level("natprobe.link", RTE_LOG_NOTICE);
	rte_rcu_qsbr_init(l->qsv, app->n_workers);
	for (unsigned int w = 0; w < app->n_workers; w++) {
		struct np_worker *wk = app->workers[w];

		wk->qsv = l->qsv;
		wk->tx_backoff_cycles = rte_get_tsc_hz() * c->datapath.tx_backoff_us / 1000000;
		rte_rcu_qsbr_thread_register(l->qsv, w);
	}
	now = rte_get_timer_cycles();
	for (unsigned int p = 0; p < c->n_ports; p++) {
		struct np_link_port *lp = &l->port[p];
		struct rte_eth_link link;
		struct rte_eth_dev_info di;

		lp->restarts = np_link_restarts(app, p);
		kernel_iface(l, p);
		lp->gated = rte_eth_dev_info_get(app->port_id[p], &di) == 0 &&
			    strcmp(di.driver_name, "net_memif") == 0;
		any_gated |= lp->gated;
		set_up(l, p, read_link(l, p, &link), now);
		rte_eth_dev_callback_register(app->port_id[p], RTE_ETH_EVENT_INTR_LSC, on_lsc, l);
		if (lp->restarts && !app->port_started[p]) {
			LOG(WARNING,
			    "port '%s' (segment %s): its memif server is not there yet; "
			    "natprobe tries again every second\n",
			    c->ports[p].name, c->segments[c->ports[p].segment].name);
			lp->restart_logged = true;
		} else if (!lp->up) {
			LOG(NOTICE,
			    "port '%s' (segment %s): link down at start; natprobe polls it "
			    "once it is up%s\n",
			    c->ports[p].name, c->segments[c->ports[p].segment].name,
			    lp->gated ? " (its memif peer connects)" : "");
		}
	}
	l->next_poll = now;
	if (any_gated && gate_start(l) < 0)
		return -EINVAL;
	l->next_window = now;
	return apply_gates(l);
}

void np_link_poll(struct np_app *app)
{
	struct np_links *l = app->links;
	uint64_t now;

	if (l == NULL)
		return;
	now = rte_get_timer_cycles();
	if (l->gate_pending) {
		if (!gate_parked(l, l->gate_gen_seen, 0))
			return; /* memif ports stay held */
		l->gate_pending = false;
		release_gated(l);
		poll_links(l, now);
		apply_gates(l);
	}
	if (l->gate_on && now >= l->next_window)
		gate_window(l, now);
	if (l->gate_pending)
		return; /* no restart while the interrupt thread runs memif's handlers */
	if ((l->lsc || now >= l->next_poll) && poll_links(l, now))
		apply_gates(l);
	for (unsigned int p = 0; p < app->conf.n_ports; p++)
		if (l->port[p].restarts && !l->port[p].up && now >= l->port[p].next_restart)
			restart_port(l, p, now);
}

void np_link_fini(struct np_app *app)
{
	struct np_links *l = app->links;

	if (l == NULL)
		return;
	for (unsigned int p = 0; p < app->conf.n_ports; p++)
		rte_eth_dev_callback_unregister(app->port_id[p], RTE_ETH_EVENT_INTR_LSC, on_lsc, l);
	gate_stop(l);
	if (l->ifsock >= 0)
		close(l->ifsock);
	for (unsigned int w = 0; w < app->n_workers; w++)
		app->workers[w]->qsv = NULL;
	rte_free(l->qsv);
	rte_free(l);
	app->links = NULL;
}
