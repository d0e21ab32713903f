/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_af_packet ports: ring frames and mbufs large enough for what the
 * kernel hands over.
 *
 * With GRO, GSO, TSO or LRO on, an interface passes frames of up to 64 KiB to
 * AF_PACKET (a TCP burst the stack has not cut into wire-sized segments yet,
 * or has glued back together). The DPDK PMD copies each into one mbuf and
 * cuts it at its ring frame size (framesz, 2048 bytes unless given), so a
 * SIP message in such a frame would be lost. For every net_af_packet port
 * whose device string gives no framesz, natprobe reads the interface's
 * offloads (SIOCETHTOOL) before EAL starts: when one is on, it asks the PMD
 * for ring frames that hold 64 KiB frames, and ports.c gives those ports
 * mbufs of that size from a pool of their own; it says so in one line. When
 * framesz is given, its frames are honoured and the mbufs sized to fit them
 * (the PMD refuses a ring frame larger than the mbuf: an obscure start-up
 * failure otherwise). docs/deploy.md ("GRO, GSO and TSO on net_af_packet").
 *
 * The PMD also puts each port's sockets in a PACKET_FANOUT group whose id it
 * derives from the process and the interface, (getpid() ^ ifindex) & 0xffff;
 * ids are shared by the whole network namespace, and the kernel refuses to
 * join a group another process holds on another interface. Before EAL
 * starts, natprobe joins that group once itself and leaves it: when the
 * kernel refuses, the port could not start, and natprobe says why (another
 * start gets another PID) instead of EAL's "did not start".
 */

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>

#include <rte_mbuf.h>

#include "np_live.h"

/*
 * TPACKET_V2: the kernel puts the frame at tp_mac = 66 for Ethernet
 * (TPACKET_ALIGN(52 + 16) - 14); the PMD wants framesz - 32 bytes of mbuf.
 */
#define AFP_MAC_OFF 66
#define AFP_MBUF_SLACK 32
#define AFP_DEFAULT_FRAME 2048
#define AFP_BIG_FRAMECNT 256 /* ring frames per direction when sized for 64 KiB */
/*
 * Ring frames are a multiple of 128 bytes: the PMD finds frame i at
 * i * framesz, so frames must tile the blocks exactly, and a block (a
 * multiple of the page size) of lcm(framesz, page) is then at most 32
 * frames. The largest such frame whose copy fits the largest mbuf: 65408.
 */
#define AFP_FRAME_ALIGN 128u
#define AFP_MAX_FRAMESZ ((NP_MBUF_MAX_ROOM + AFP_MBUF_SLACK) & ~(AFP_FRAME_ALIGN - 1))

static bool is_afp(const char *dev)
{
	return strncmp(dev, "net_af_packet", 13) == 0 || strncmp(dev, "eth_af_packet", 13) == 0;
}

/* Value of "key=" in a vdev argument string, into @p out; false when absent. */
static bool kv(const char *dev, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key);

	for (const char *p = strchr(dev, ','); p != NULL; p = strchr(p + 1, ',')) {
		if (strncmp(p + 1, key, kl) == 0 && p[1 + kl] == '=') {
			const char *v = p + 2 + kl, *e = strchr(v, ',');
			size_t n = e ? (size_t)(e - v) : strlen(v);

			snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), v);
			return true;
		}
	}
	return false;
}

static bool ethtool_on(int fd, const char *ifname, uint32_t cmd, uint32_t flag)
{
	struct ethtool_value ev = { .cmd = cmd };
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr) != 0)
		return false;
	return flag ? (ev.data & flag) != 0 : ev.data != 0;
}

/* "gro, tso" into @p buf: the offloads on; "" when none (or unknown). */
static void offloads(const char *ifname, char *buf, size_t len)
{
	static const struct {
		uint32_t cmd, flag;
		const char *name;
	} o[] = {
		{ ETHTOOL_GGRO, 0, "gro" },
		{ ETHTOOL_GGSO, 0, "gso" },
		{ ETHTOOL_GTSO, 0, "tso" },
		{ ETHTOOL_GFLAGS, ETH_FLAG_LRO, "lro" },
	};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	size_t off = 0;

	buf[0] = '\0';
	if (fd < 0)
		return;
	for (unsigned int i = 0; i < RTE_DIM(o); i++)
		if (ethtool_on(fd, ifname, o[i].cmd, o[i].flag))
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
						o[i].name);
	close(fd);
}

/* DPDK 22.11's net_af_packet: the fanout its queues' sockets join (rte_eth_af_packet.c). */
#define AFP_FANOUT_FLAGS \
	(PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG | PACKET_FANOUT_FLAG_ROLLOVER)

/*
 * The fanout group the PMD will join for @p ifname: its id into *id; true
 * when the kernel refuses to let this process join it (another process in
 * this namespace holds that id on another interface or with other flags).
 * False whenever it cannot tell (no such interface, interface down, no
 * CAP_NET_RAW): the PMD's own start then decides, as before.
 */
static bool fanout_taken(const char *ifname, unsigned int *id)
{
	unsigned int ifindex = if_nametoindex(ifname);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct ifreq ifr;
	uint32_t arg;
	bool taken = false;
	int fd;

	*id = (unsigned int)(((unsigned int)getpid() ^ ifindex) & 0xffff);
	if (ifindex == 0)
		return false;
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sll.sll_ifindex = (int)ifindex;
	/* a socket on an interface that is down cannot join any group: nothing to learn */
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP) &&
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == 0) {
		arg = *id | (uint32_t)AFP_FANOUT_FLAGS << 16;
		taken = setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) != 0 &&
			errno == EINVAL;
	}
	close(fd); /* leaves the group; the last member's leaving removes it */
	return taken;
}

int np_afp_plan(struct np_app *app)
{
	const struct np_conf *c = &app->conf;
	long page = sysconf(_SC_PAGESIZE);

	if (page <= 0)
		page = 4096;
	for (unsigned int p = 0; p < c->n_ports; p++) {
		const char *dev = c->ports[p].device;
		struct np_afp *a = &app->afp[p];
		char v[64], ifname[IF_NAMESIZE + 1] = "", offl[64];
		unsigned long framesz;

		memset(a, 0, sizeof(*a));
		if (!c->ports[p].is_vdev || !is_afp(dev))
			continue;
		a->is_afp = true;
		kv(dev, "iface", ifname, sizeof(ifname));
		{
			unsigned int id;

			if (fanout_taken(ifname, &id)) {
				np_err("port '%s' (af_packet on %s): another process in this network "
				       "namespace holds AF_PACKET fanout group %u on another "
				       "interface, the group DPDK's af_packet driver derives from "
				       "natprobe's PID and the interface's index (PID ^ index), so "
				       "the port cannot start; start natprobe again (another PID), "
				       "or run the other capture in a namespace of its own",
				       c->ports[p].name, ifname, id);
				return -EAGAIN;
			}
		}
		if (kv(dev, "framesz", v, sizeof(v))) {
			framesz = strtoul(v, NULL, 10);
			if (framesz > AFP_MAX_FRAMESZ) {
				np_err("ports[%u].device: framesz=%lu is larger than a DPDK mbuf can "
				       "hold; give at most %u (frames up to %u bytes)",
				       p, framesz, AFP_MAX_FRAMESZ, AFP_MAX_FRAMESZ - AFP_MAC_OFF);
				return -EINVAL;
			}
			if (framesz > AFP_MBUF_SLACK + RTE_MBUF_DEFAULT_DATAROOM) {
				a->room = (uint32_t)(framesz - AFP_MBUF_SLACK);
				a->max_frame = (uint32_t)(framesz - AFP_MAC_OFF);
			}
			continue;
		}
		offloads(ifname, offl, sizeof(offl));
		if (offl[0] == '\0' && c->datapath.mtu + AFP_MAC_OFF <= AFP_DEFAULT_FRAME)
			continue; /* wire-sized frames: the PMD's defaults hold them */
		{
			uint32_t want = offl[0] ? NP_MAX_MTU : c->datapath.mtu;
			uint32_t fs =
				(want + AFP_MAC_OFF + AFP_FRAME_ALIGN - 1) & ~(AFP_FRAME_ALIGN - 1);
			uint32_t bs, per_block;

			if (fs > AFP_MAX_FRAMESZ)
				fs = AFP_MAX_FRAMESZ;
			/* the smallest block holding whole frames and whole pages */
			for (bs = fs; bs % (uint32_t)page != 0; bs += fs)
				;
			per_block = bs / fs;
			if (kv(dev, "framecnt", v, sizeof(v)) && strtoul(v, NULL, 10) % per_block) {
				np_err("ports[%u].device: framecnt=%s is not a multiple of %u, the ring "
				       "frames of %u bytes in a block of %u that natprobe chose for the "
				       "offloads of %s; give a multiple, or give framesz and blocksz "
				       "too",
				       p, v, per_block, fs, bs, ifname);
				return -EINVAL;
			}
			a->sized = true;
			a->room = fs - AFP_MBUF_SLACK;
			a->max_frame = fs - AFP_MAC_OFF;
			snprintf(a->device, sizeof(a->device), "%s,framesz=%u,blocksz=%u%s", dev,
				 fs, bs,
				 kv(dev, "framecnt", v, sizeof(v))
					 ? ""
					 : ",framecnt=" RTE_STR(AFP_BIG_FRAMECNT));
			if (offl[0])
				np_err("port '%s' (af_packet on %s): %s on, so frames up to 64 KiB "
				       "arrive: ring frames sized to %u bytes (framesz=%u,blocksz=%u) "
				       "and mbufs to %u; give framesz= in the device string, or turn "
				       "the offloads off (ethtool -K %s gro off gso off tso off), to "
				       "choose otherwise",
				       c->ports[p].name, ifname, offl, fs, fs, bs, a->room, ifname);
		}
	}
	return 0;
}
