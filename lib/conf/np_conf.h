/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_CONF_H
#define NP_CONF_H

/**
 * @file
 * natprobe's YAML configuration: schema (libcyaml), defaults, validation.
 *
 * The file format is documented, key by key, in config/natprobe.yaml. Every
 * default is one of the NP_DEF_* constants below and nowhere else. Loading
 * yields a plain, fully defaulted struct np_conf; nothing here touches DPDK.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "np_pkt.h"

/* Limits. */
#define NP_NAME_MAX 31	  /**< port and segment names, characters */
#define NP_DEVICE_MAX 511 /**< port device string, characters */
#define NP_MAX_PORTS 32
#define NP_MAX_SEGMENTS 16
#define NP_MAX_SEGMENT_PORTS 8
#define NP_MAX_WORKERS 64
#define NP_MAX_LCORE 127 /**< highest lcore id accepted (RTE_MAX_LCORE - 1) */
#define NP_MAX_SIP_PORTS 64
#define NP_MAX_STATIC_NAT 4096
#define NP_MAX_EXTRA_ARGS 32
#define NP_HEP_PASSWORD_MAX 64 /**< export.hep_password, characters */
#define NP_HEP_NODE_NAME_MAX \
	64 /**< export.hep_node_name, characters (= NP_HEP_MAX_NODE_NAME_LEN) */
#define NP_MAX_BINDINGS_LIMIT (1u << 22) /**< nat.max_bindings, = NP_NAT_MAX_TABLE */
#define NP_USER_MAX 63			 /**< security.user / security.group, characters */
#define NP_CONF_MAX_ERRORS 20		 /**< errors reported by one load, at most */
#define NP_CONF_ERR_MAX 8192		 /**< an err buffer that holds them all */
#define NP_MAX_TUNNELS 64		 /**< tunnels[] entries */
#define NP_MAX_HEP_AGENTS 64		 /**< hep.agents[] entries */
#define NP_HEP_AGENT_NAME_MAX 63	 /**< longest node name hep.agents[] matches */
#define NP_HEP_MAX_CLOCK_SKEW_MS 10000	 /**< hep.clock_skew_ms at most */
#define NP_MAX_MTU 65535		 /**< datapath.mtu: a GSO/GRO frame (net_af_packet) */

/* Defaults: the single place they live. */
#define NP_DEF_MAIN_LCORE 0
#define NP_DEF_WORKER_LCORE 1
#define NP_DEF_NO_HUGE false
#define NP_DEF_MEMORY_MB 0
#define NP_DEF_FILE_PREFIX "natprobe"
#define NP_DEF_LOG_LEVEL NP_LOG_NOTICE
#define NP_DEF_RX_DESC 1024
#define NP_DEF_TX_DESC 1024
#define NP_DEF_BURST_SIZE 32
#define NP_DEF_MBUFS 16383
#define NP_DEF_MBUF_CACHE 256
#define NP_DEF_MTU 1518
#define NP_DEF_IP_CHECKSUM NP_IP_CSUM_AUTO
#define NP_DEF_EVENT_RING_SIZE 4096
#define NP_DEF_TX_RETRIES 4
#define NP_DEF_TX_BACKOFF_US 20	   /**< datapath.tx_backoff_us: whole wait for one burst */
#define NP_DEF_LINK_DOWN_WARN_S 10 /**< datapath.link_down_warn_s; 0 = never */
#define NP_DEF_FLOW_TABLE_SIZE 65536
#define NP_DEF_TCP_REASM_BUFFERS 1024
#define NP_DEF_SIP_PORTS               \
	{                              \
		5060, 5061, 7001, 7003 \
	}
#define NP_DEF_METRICS_LISTEN "127.0.0.1:9109"
#define NP_DEF_RECORDS_FILE ""
#define NP_DEF_STATS_INTERVAL_S 0
#define NP_DEF_HEP_COLLECTOR ""
#define NP_DEF_HEP_CAPTURE_ID 2001
#define NP_DEF_HEP_PASSWORD ""
#define NP_DEF_HEP_QUEUE_SIZE 1024
#define NP_DEF_HEP_NODE_NAME "" /**< "": this machine's host name */
#define NP_DEF_HEP_TRANSPORT NP_HEP_UDP
#define NP_DEF_MAX_BINDINGS 65536	  /**< = NP_NAT_DEFAULT_MAX_BINDINGS */
#define NP_DEF_REPEAT_WINDOW_S 60	  /**< = NP_DET_DEFAULT_REPEAT_WINDOW_NS */
#define NP_DEF_EVIDENCE_FRAMES 4096	  /**< evidence.history_frames, per worker */
#define NP_DEF_EVIDENCE_SNAPLEN 2048	  /**< evidence.snaplen */
#define NP_DEF_EVIDENCE_DIR ""		  /**< "": the directory of export.records_file */
#define NP_EVIDENCE_MAX_FRAMES (1u << 20) /**< evidence.history_frames (= NP_HIST_MAX_SLOTS) */
#define NP_DEF_SECURITY_USER ""		  /**< "": keep the user natprobe was started as */
#define NP_DEF_SECURITY_GROUP ""	  /**< "": the user's primary group */

/** How HEP reaches export.hep_collector. */
enum np_hep_transport {
	NP_HEP_UDP = 0, /**< one datagram per packet (the HEP default) */
	NP_HEP_TCP,	/**< packets one after another on a TCP connection */
};

/** Segment attachment mode. */
enum np_seg_mode {
	NP_SEG_INLINE = 0, /**< port pair, bump in the wire */
	NP_SEG_PASSIVE,	   /**< rx-only ports (SPAN, TAP) */
	NP_SEG_TUNNEL,	   /**< no ports: frames decapsulated from tunnels[] (remote mirror) */
};

/** datapath.ip_checksum: what a frame whose IPv4 header checksum fails gets. */
enum np_ip_checksum {
	NP_IP_CSUM_AUTO =
		0,	/**< live: 0x0000 (offloading) accepted; offline: any failure accepted */
	NP_IP_CSUM_YES, /**< verified: a failing frame is bad_checksum, not inspected */
	NP_IP_CSUM_NO,	/**< not verified */
};

/** Tunnel families a tunnels[] entry or a SEG=FILE#... selector names. */
enum np_tunnel_family {
	NP_TUNNEL_VXLAN = 1, /**< "vni=N" */
	NP_TUNNEL_ERSPAN,    /**< "erspan=N" (session id, types II and III), "erspan" (type I) */
	NP_TUNNEL_GRE,	     /**< "gre=N" (key), "gre" (no key) */
};

/** A tunnel: family and id, as "vni=100" says. */
struct np_tunnel_key {
	uint8_t family; /**< enum np_tunnel_family */
	bool has_id;
	uint32_t id;
};

/** tunnels[] entry: frames decapsulated from @c key belong to segment @c segment. */
struct np_conf_tunnel {
	struct np_tunnel_key key;
	uint8_t segment; /**< index into np_conf.segments */
};

/** EAL log levels, same numbering as RTE_LOG_*. */
enum np_log_level {
	NP_LOG_EMERG = 1,
	NP_LOG_ALERT,
	NP_LOG_CRIT,
	NP_LOG_ERR,
	NP_LOG_WARNING,
	NP_LOG_NOTICE,
	NP_LOG_INFO,
	NP_LOG_DEBUG,
};

struct np_conf_port {
	char name[NP_NAME_MAX + 1];
	char device[NP_DEVICE_MAX + 1]; /**< PCI address or vdev string */
	uint16_t rx_desc;
	uint16_t tx_desc;
	bool is_vdev; /**< device is a vdev string, not a PCI address */
	int segment;  /**< index of the segment using it, -1 if none */
};

struct np_conf_segment {
	char name[NP_NAME_MAX + 1];
	enum np_seg_mode mode;
	unsigned int n_ports;
	uint8_t port[NP_MAX_SEGMENT_PORTS]; /**< indices into np_conf.ports */
};

/** One static NAT entry: @c priv is seen as @c pub on the other side. */
struct np_static_nat {
	struct np_addr priv;
	struct np_addr pub;
};

/** hep.agents[] entry: packets of this capture agent belong to segment @c segment. */
struct np_conf_hep_agent {
	bool by_name;			      /**< match name=NODE, else id=N */
	uint32_t id;			      /**< capture agent id (chunk 0x000c) */
	char name[NP_HEP_AGENT_NAME_MAX + 1]; /**< node name (chunk 0x0013) */
	uint8_t segment;		      /**< index into segments */
};

struct np_conf {
	struct {
		unsigned int main_lcore;
		unsigned int n_workers;
		unsigned int worker_lcores[NP_MAX_WORKERS];
		bool no_huge;
		unsigned int memory_mb;
		char file_prefix[64];
		enum np_log_level log_level;
		unsigned int n_extra_args;
		char extra_args[NP_MAX_EXTRA_ARGS][256];
	} eal;
	unsigned int n_ports;
	struct np_conf_port ports[NP_MAX_PORTS];
	unsigned int n_segments;
	struct np_conf_segment segments[NP_MAX_SEGMENTS];
	struct {
		unsigned int burst_size;
		unsigned int mbufs;
		unsigned int mbuf_cache;
		unsigned int mtu;
		unsigned int event_ring_size;
		unsigned int tx_retries;
		/** Longest wait, in all, for room in a full tx ring before the rest is dropped. */
		unsigned int tx_backoff_us;
		/** Warn once when a port's link has been down this many seconds; 0 never. */
		unsigned int link_down_warn_s;
		unsigned int flow_table_size;
		unsigned int tcp_reasm_buffers;
		enum np_ip_checksum ip_checksum;
	} datapath;
	unsigned int n_tunnels;
	struct np_conf_tunnel tunnels[NP_MAX_TUNNELS];
	/** HEP input (docs/offline.md "HEP"): which port carries it, which agent is which segment.
	 */
	struct {
		uint16_t port; /**< UDP port of HEP in captures; 0: not read; default 9060 */
		/** `run` receives HEP on UDP and TCP: "ADDRESS:PORT" ("PORT" alone: 127.0.0.1);
		 * "" (the default): off */
		char listen[64];
		/** Largest offset between the clocks of the probes and agents that send HEP;
		 *  the binding window is widened by it (docs/distributed.md). Default 0. */
		unsigned int clock_skew_ms;
		/** `run` with hep.listen and export.hep_collector: what hep.listen receives is
		 *  sent on to the collector too (docs/distributed.md, "HEP out"). Default true. */
		bool relay;
		unsigned int n_agents;
		struct np_conf_hep_agent agents[NP_MAX_HEP_AGENTS];
	} hep;
	struct {
		unsigned int n_ports;
		uint16_t ports[NP_MAX_SIP_PORTS];
	} sip;
	struct {
		unsigned int n_static;
		struct np_static_nat *static_nat; /**< heap; freed by np_conf_free() */
		unsigned int max_bindings;	  /**< bindings held at once, static included */
	} nat;
	struct {
		/** Repeats of one finding within this many seconds make one record. */
		unsigned int repeat_window_s;
	} detect;
	struct {
		char metrics_listen[64]; /**< "" when disabled */
		char records_file[4096]; /**< "" when disabled */
		unsigned int stats_interval_s;
		char hep_collector[64];	 /**< "ADDRESS:PORT"; "" when HEP is off */
		uint32_t hep_capture_id; /**< HEP chunk 0x000c */
		char hep_password[NP_HEP_PASSWORD_MAX + 1]; /**< HEP chunk 0x000e; "" for none */
		unsigned int hep_queue_size;		    /**< SIP messages queued per worker */
		/** HEP chunk 0x0013; the host name when not configured */
		char hep_node_name[NP_HEP_NODE_NAME_MAX + 1];
		enum np_hep_transport hep_transport;
		/** Also forward flow events (fingerprints, TCP outcomes) in natprobe's HEP vendor
		 *  chunk, for another natprobe's hep.listen. Default false. */
		bool hep_flow_events;
	} export;
	/**
	 * Evidence captures (docs/records.md): each worker keeps the last
	 * @c history_frames frames it acted on, @c snaplen bytes each, and the
	 * control thread writes an incident's frames as a pcapng file into
	 * @c dir (or beside export.records_file). 0 frames: off.
	 */
	struct {
		unsigned int history_frames;
		unsigned int snaplen;
		char dir[4096]; /**< "": beside export.records_file */
	} evidence;
	/**
	 * Privileges after start-up (docs/deploy.md). @c user "" keeps the
	 * process as started; otherwise `run` switches to @c uid / @c gid and
	 * gives up every capability once the ports, sockets and files are open.
	 */
	struct {
		char user[NP_USER_MAX + 1];  /**< "" when not switching */
		char group[NP_USER_MAX + 1]; /**< as configured; "" = user's primary group */
		unsigned int uid;	     /**< resolved at load time when user is set */
		unsigned int gid;
	} security;
};

/**
 * Fill @p conf with every default and no ports or segments.
 * @return 0.
 */
int np_conf_defaults(struct np_conf *conf);

/**
 * Load and validate a YAML config file.
 *
 * @param path    file to read
 * @param conf    filled in on success (call np_conf_free() when done); on
 *                failure it holds nothing that needs freeing
 * @param err     on failure, one error per line, lines separated by '\n'
 *                (no newline after the last), each
 *                "FILE:LINE: FIELD: what is wrong; what is allowed"
 *                (":LINE" left out when the line is unknown; a YAML syntax
 *                error is "FILE:LINE:COLUMN: (yaml): syntax error: ...").
 *                Every error found is listed, up to NP_CONF_MAX_ERRORS and
 *                then a line saying how many more; a line that does not fit
 *                @p errlen is left out whole. A syntax error, or keys the
 *                schema does not know, stop the load before the values are
 *                checked.
 * @param errlen  size of @p err (NP_CONF_ERR_MAX holds every line)
 * security.user and security.group are looked up in this machine's user and
 * group databases (getpwnam(3), getgrnam(3)) while loading: a name that does
 * not exist is an error of the field.
 *
 * The file must be a regular file (a FIFO or device is refused at once,
 * never waited on) of at most 4 MiB.
 *
 * @return 0, -ENOENT/-EACCES/... when the file cannot be read, -EINVAL when
 *         it is not valid YAML or breaks the schema or a rule.
 */
int np_conf_load(const char *path, struct np_conf *conf, char *err, size_t errlen);

/** Release what np_conf_load() allocated. Safe on a defaulted or zeroed conf. */
void np_conf_free(struct np_conf *conf);

/**
 * Parse "PRIV=PUB" (two IPv4 or two IPv6 addresses), as given to
 * `--static-nat`.
 * @return 0, or -EINVAL when either side is not an address or the
 *         families differ.
 */
int np_conf_parse_static_nat(const char *text, struct np_static_nat *out);

/**
 * Append a static NAT entry to @p conf (used for `--static-nat`).
 * @return 0, -ENOSPC past NP_MAX_STATIC_NAT, -ENOMEM.
 */
int np_conf_add_static_nat(struct np_conf *conf, const struct np_static_nat *e);

/** Index of the port named @p name, or -1. */
int np_conf_port_index(const struct np_conf *conf, const char *name);

/** "inline", "passive" or "tunnel". */
const char *np_seg_mode_name(enum np_seg_mode mode);

/** "auto", "yes" or "no". */
const char *np_ip_checksum_name(enum np_ip_checksum v);

/**
 * Parse a tunnel as a tunnels[].match value or a SEG=FILE#... selector
 * names it: "vni=N" (VXLAN, 0..16777215), "erspan=N" (ERSPAN II/III session
 * id, 0..1023), "erspan" (ERSPAN type I), "gre=N" (GRE key, 0..4294967295),
 * "gre" (GRE without a key).
 * @return 0, or -EINVAL.
 */
int np_conf_parse_tunnel(const char *text, struct np_tunnel_key *out);

/** Does @p k (a tunnels[] entry) name a tunnel of @p family with @p has_id / @p id? */
static inline bool np_tunnel_key_match(const struct np_tunnel_key *k, uint8_t family, bool has_id,
				       uint32_t id)
{
	return k->family == family && k->has_id == has_id && (!has_id || k->id == id);
}

/** "vni=100", "erspan=3", "gre=7", "gre", "erspan" into @p buf. @return buf. */
char *np_tunnel_key_str(const struct np_tunnel_key *k, char *buf, size_t len);

/**
 * Split "HOST:PORT" / "[V6]:PORT" into @p host (size @p hostlen) and port.
 * @return 0, or -EINVAL.
 */
int np_conf_parse_listen(const char *text, char *host, size_t hostlen, uint16_t *port);

#endif /* NP_CONF_H */
