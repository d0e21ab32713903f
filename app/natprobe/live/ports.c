/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port setup: the mbuf pool, queues, symmetric RSS, and which worker polls
 * which rx queue.
 *
 * A segment gets one rx queue per worker, spread by RSS with a symmetric key
 * so both directions of a flow land on the same worker, when every port of
 * the segment can do it. Otherwise (most vdevs) its ports get one rx queue
 * each and one worker polls the whole segment, which keeps both directions
 * of each flow on one worker all the same.
 */

#include <errno.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "np_live.h"

/* 0x6d5a repeated: Toeplitz with this key hashes (a,b) and (b,a) alike. */
static uint8_t sym_rss_key[40] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

#define NP_RSS_HF (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP)

static int find_port(const struct np_conf_port *cp, uint16_t *port_id)
{
	char name[NP_DEVICE_MAX + 1];
	char *comma;

	snprintf(name, sizeof(name), "%s", cp->device);
	comma = strchr(name, ',');
	if (comma != NULL)
		*comma = '\0';
	if (rte_eth_dev_get_port_by_name(name, port_id) == 0)
		return 0;
	if (!cp->is_vdev) {
		char full[NP_DEVICE_MAX + 8];

		snprintf(full, sizeof(full), "0000:%s", name);
		if (rte_eth_dev_get_port_by_name(full, port_id) == 0)
			return 0;
	}
	return -ENODEV;
}

/* Can every port of segment @p s give @p n rx queues with RSS? */
static bool segment_can_rss(struct np_app *app, const struct np_conf_segment *s, unsigned int n)
{
	if (n < 2)
		return false;
	for (unsigned int k = 0; k < s->n_ports; k++) {
		struct rte_eth_dev_info di;

		if (rte_eth_dev_info_get(app->port_id[s->port[k]], &di) != 0)
			return false;
		if (di.max_rx_queues < n || di.max_tx_queues < n ||
		    (di.flow_type_rss_offloads & NP_RSS_HF) == 0)
			return false;
	}
	return true;
}

static struct rte_mempool *port_pool(const struct np_app *app, unsigned int p)
{
	return app->afp[p].room > 0 && app->big_pool != NULL ? app->big_pool : app->pool;
}

static int setup_port(struct np_app *app, unsigned int p, unsigned int nq, bool rss, bool tx)
{
	const struct np_conf_port *cp = &app->conf.ports[p];
	uint16_t pid = app->port_id[p];
	struct rte_eth_conf ec;
	struct rte_eth_dev_info di;
	uint16_t nb_rxd = cp->rx_desc, nb_txd = cp->tx_desc;
	unsigned int ntx = tx ? nq : 0;
	int ret;

	memset(&ec, 0, sizeof(ec));
	ret = rte_eth_dev_info_get(pid, &di);
	if (ret != 0)
		return ret;
	if (tx && di.max_tx_queues == 0) {
		np_err("port '%s' (%s) cannot transmit; an inline segment needs tx", cp->name,
		       cp->device);
		return -ENOTSUP;
	}
	if (rss) {
		ec.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		ec.rx_adv_conf.rss_conf.rss_key = sym_rss_key;
		ec.rx_adv_conf.rss_conf.rss_key_len = sizeof(sym_rss_key);
		ec.rx_adv_conf.rss_conf.rss_hf = NP_RSS_HF & di.flow_type_rss_offloads;
	}
	if (di.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		ec.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	/* Link changes as interrupts where the PMD has them (link.c also polls). */
	if (di.dev_flags != NULL && (*di.dev_flags & RTE_ETH_DEV_INTR_LSC))
		ec.intr_conf.lsc = 1;
	ret = rte_eth_dev_configure(pid, (uint16_t)nq, (uint16_t)ntx, &ec);
	if (ret != 0) {
		np_err("port '%s' (%s): configure with %u queues failed: %s", cp->name, cp->device,
		       nq, rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nb_rxd, &nb_txd);
	if (ret != 0)
		return ret;
	if (app->conf.datapath.mtu > RTE_ETHER_MAX_LEN) {
		ret = rte_eth_dev_set_mtu(pid, (uint16_t)(app->conf.datapath.mtu -
							  RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN));
		if (ret != 0 && ret != -ENOTSUP)
			np_err("port '%s': warning: cannot set MTU for %u-byte frames: %s",
			       cp->name, app->conf.datapath.mtu, rte_strerror(-ret));
	}
	for (unsigned int q = 0; q < nq; q++) {
		ret = rte_eth_rx_queue_setup(pid, (uint16_t)q, nb_rxd, rte_eth_dev_socket_id(pid),
					     NULL, port_pool(app, p));
		if (ret != 0) {
			np_err("port '%s': rx queue %u setup failed: %s", cp->name, q,
			       rte_strerror(-ret));
			return ret;
		}
	}
	for (unsigned int q = 0; q < ntx; q++) {
		ret = rte_eth_tx_queue_setup(pid, (uint16_t)q, nb_txd, rte_eth_dev_socket_id(pid),
					     NULL);
		if (ret != 0) {
			np_err("port '%s': tx queue %u setup failed: %s", cp->name, q,
			       rte_strerror(-ret));
			return ret;
		}
	}
	ret = rte_eth_dev_start(pid);
	if (ret != 0 && np_link_restarts(app, p))
		return 0; /* its peer is not there yet: link.c starts it later */
	if (ret != 0) {
		np_err("port '%s' (%s): start failed: %s", cp->name, cp->device,
		       rte_strerror(-ret));
		return ret;
	}
	app->port_started[p] = true;
	/* A bump in the wire must see every frame, whatever its MAC. */
	ret = rte_eth_promiscuous_enable(pid);
	if (ret != 0 && ret != -ENOTSUP)
		np_err("port '%s': warning: promiscuous mode: %s", cp->name, rte_strerror(-ret));
	return 0;
}

static void assign_queues(struct np_app *app, unsigned int s, bool rss)
{
	const struct np_conf_segment *seg = &app->conf.segments[s];
	bool is_inline = seg->mode == NP_SEG_INLINE;

	for (unsigned int k = 0; k < seg->n_ports; k++) {
		unsigned int p = seg->port[k];
		unsigned int peer = is_inline ? seg->port[1 - k] : p;
		unsigned int nq = rss ? app->n_workers : 1;

		for (unsigned int q = 0; q < nq; q++) {
			struct np_worker *w = app->workers[rss ? q : s % app->n_workers];
			struct np_rxq *r = &w->rxq[w->n_rxq++];

			r->port_id = app->port_id[p];
			r->queue = (uint16_t)q;
			r->port = (uint8_t)p;
			r->segment = (uint8_t)s;
			r->out_port = (uint8_t)peer;
			r->out_port_id = is_inline ? app->port_id[peer] : NP_NO_PORT;
			r->out_queue = (uint16_t)q;
			r->max_len = RTE_MAX(app->conf.datapath.mtu, app->afp[p].max_frame);
		}
	}
}

/*
 * net_af_packet ports whose ring frames hold more than the shared pool's
 * mbufs (afpacket.c) get mbufs of their own: few, since the PMD copies each
 * frame into an mbuf that the worker frees within the burst (passive) or
 * after the copy into the tx ring (inline).
 */
static int big_pool(struct np_app *app, unsigned int shared_room)
{
	const struct np_conf *c = &app->conf;
	unsigned int room = 0, queues = 0, n, cache;

	for (unsigned int p = 0; p < c->n_ports; p++)
		if (app->afp[p].room > shared_room) {
			room = RTE_MAX(room, app->afp[p].room);
			queues += app->n_workers;
		} else {
			app->afp[p].room = 0;
		}
	if (room == 0)
		return 0;
	cache = RTE_MIN(c->datapath.mbuf_cache, 64u);
	n = 4 * c->datapath.burst_size * queues + 2 * cache * (app->n_workers + 1);
	n = rte_align32pow2(RTE_MAX(n, 1024u)) - 1;
	app->big_pool = rte_pktmbuf_pool_create("np_mbufs_big", n, cache, 0,
						(uint16_t)(room + RTE_PKTMBUF_HEADROOM),
						(int)rte_socket_id());
	if (app->big_pool == NULL) {
		np_err("cannot create a pool of %u mbufs of %u bytes for the af_packet ports' "
		       "large frames: %s (eal.memory_mb, or framesz= in their device strings)",
		       n, room, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

int np_ports_init(struct np_app *app)
{
	const struct np_conf *c = &app->conf;
	unsigned int data_room = RTE_MBUF_DEFAULT_DATAROOM;
	int ret;

	for (unsigned int p = 0; p < c->n_ports; p++) {
		if (find_port(&c->ports[p], &app->port_id[p]) == 0)
			continue;
		if (c->ports[p].is_vdev)
			np_err("port '%s': virtual device '%s' did not start (unknown driver, "
			       "bad or missing argument such as a file that does not exist, or a "
			       "vdev name used twice; eal.log_level: info shows why)",
			       c->ports[p].name, c->ports[p].device);
		else
			np_err("port '%s': no DPDK port at PCI address %s (bind it to vfio-pci "
			       "with dpdk-devbind.py; see docs/deploy.md)",
			       c->ports[p].name, c->ports[p].device);
		return -ENODEV;
	}
	if (c->datapath.mtu > data_room)
		data_room = RTE_MIN(c->datapath.mtu, (unsigned int)NP_MBUF_MAX_ROOM);
	app->pool = rte_pktmbuf_pool_create("np_mbufs", c->datapath.mbufs, c->datapath.mbuf_cache,
					    0, (uint16_t)(data_room + RTE_PKTMBUF_HEADROOM),
					    (int)rte_socket_id());
	if (app->pool == NULL) {
		np_err("cannot create a pool of %u mbufs of %u bytes: %s (datapath.mbufs, "
		       "datapath.mtu, eal.memory_mb)",
		       c->datapath.mbufs, data_room, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	ret = big_pool(app, data_room);
	if (ret != 0)
		return ret;
	for (unsigned int s = 0; s < c->n_segments; s++) {
		const struct np_conf_segment *seg = &c->segments[s];
		bool rss = segment_can_rss(app, seg, app->n_workers);
		unsigned int nq = rss ? app->n_workers : 1;

		for (unsigned int k = 0; k < seg->n_ports; k++) {
			ret = setup_port(app, seg->port[k], nq, rss, seg->mode == NP_SEG_INLINE);
			if (ret != 0)
				return ret;
		}
		assign_queues(app, s, rss);
	}
	return np_link_init(app);
}

void np_ports_read_hw_stats(struct np_app *app)
{
	for (unsigned int p = 0; p < app->conf.n_ports; p++) {
		struct rte_eth_stats st;

		if (!app->port_started[p] || rte_eth_stats_get(app->port_id[p], &st) != 0)
			continue;
		app->control_stats.port[p][NP_PORT_RX_MISSED] = st.imissed;
		app->control_stats.port[p][NP_PORT_RX_ERRORS] = st.ierrors;
		app->control_stats.port[p][NP_PORT_RX_NOMBUF] = st.rx_nombuf;
	}
}

void np_ports_close(struct np_app *app)
{
	np_link_fini(app);
	for (unsigned int p = 0; p < app->conf.n_ports; p++) {
		if (!app->port_started[p])
			continue;
		rte_eth_dev_stop(app->port_id[p]);
		rte_eth_dev_close(app->port_id[p]);
		app->port_started[p] = false;
	}
}
