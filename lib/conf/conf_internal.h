/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_CONF_INTERNAL_H
#define NP_CONF_INTERNAL_H

#include <cyaml/cyaml.h>

#include "np_conf.h"

/*
 * The YAML document as libcyaml loads it. Optional scalars are pointers so
 * that "absent" (NULL: take the default) differs from an explicit 0, which
 * may be out of range.
 */
struct raw_eal {
	unsigned int *main_lcore;
	unsigned int *worker_lcores;
	unsigned int worker_lcores_count;
	int *no_huge; /* strict boolean, see conf_schema.c */
	unsigned int *memory_mb;
	char *file_prefix;
	enum np_log_level *log_level;
	char **extra_args;
	unsigned int extra_args_count;
};

struct raw_port {
	char *name;
	char *device;
	unsigned int *rx_descriptors;
	unsigned int *tx_descriptors;
};

struct raw_segment {
	char *name;
	enum np_seg_mode mode;
	char **ports;
	unsigned int ports_count;
};

struct raw_datapath {
	unsigned int *burst_size;
	unsigned int *mbufs;
	unsigned int *mbuf_cache;
	unsigned int *mtu;
	unsigned int *event_ring_size;
	unsigned int *tx_retries;
	unsigned int *tx_backoff_us;
	unsigned int *link_down_warn_s;
	unsigned int *flow_table_size;
	unsigned int *tcp_reasm_buffers;
	enum np_ip_checksum *ip_checksum;
};

struct raw_tunnel {
	char *match;
	char *segment;
};

struct raw_hep_agent {
	char *match;
	char *segment;
};

struct raw_hep {
	unsigned int *port;
	char *listen;
	unsigned int *clock_skew_ms;
	int *relay; /* strict boolean */
	struct raw_hep_agent *agents;
	unsigned int agents_count;
};

struct raw_sip {
	unsigned int *ports;
	unsigned int ports_count;
};

struct raw_static_nat {
	char *private_addr;
	char *public_addr;
};

struct raw_nat {
	struct raw_static_nat *static_nat;
	unsigned int static_nat_count;
	unsigned int *max_bindings;
};

struct raw_detect {
	unsigned int *repeat_window_s;
};

struct raw_evidence {
	unsigned int *history_frames;
	unsigned int *snaplen;
	char *dir;
};

struct raw_security {
	char *user;
	char *group;
};

struct raw_export {
	char *metrics_listen;
	char *records_file;
	unsigned int *stats_interval_s;
	char *hep_collector;
	unsigned int *hep_capture_id;
	char *hep_password;
	unsigned int *hep_queue_size;
	char *hep_node_name;
	enum np_hep_transport *hep_transport;
	int *hep_flow_events; /* strict boolean */
};

struct raw_conf {
	struct raw_eal *eal;
	struct raw_port *ports;
	unsigned int ports_count;
	struct raw_segment *segments;
	unsigned int segments_count;
	struct raw_datapath *datapath;
	struct raw_sip *sip;
	struct raw_nat *nat;
	struct raw_detect *detect;
	struct raw_export *export;
	struct raw_evidence *evidence;
	struct raw_security *security;
	struct raw_tunnel *tunnels;
	unsigned int tunnels_count;
	struct raw_hep *hep;
};

extern const cyaml_schema_value_t np_conf_raw_schema;

/* An error being reported: field path and message, formatted by conf.c. */
struct conf_err {
	char field[128];
	char msg[320];
	unsigned int line; /* 0: look the field up */
	unsigned int col;  /* 0: no column (only syntax errors have one) */
	bool syntax;
};

/* Every error of one load, in the order found; at most NP_CONF_MAX_ERRORS kept. */
struct conf_errs {
	unsigned int n;
	unsigned int dropped; /* found past the cap */
	struct conf_err e[NP_CONF_MAX_ERRORS];
};

/* The next free entry, zeroed, or NULL past the cap (counted in dropped). */
struct conf_err *conf_errs_add(struct conf_errs *errs);

/*
 * The libyaml pass (conf_lines.c): line lookup "eal.worker_lcores",
 * "ports[1].device", ... -> line (1-based), 0 if unknown. Appends to @p errs
 * (when not NULL) a YAML syntax error, or every key that @p root (the
 * libcyaml schema) does not allow.
 */
struct conf_lines;
struct conf_lines *conf_lines_parse(const char *buf, size_t len, const cyaml_schema_value_t *root,
				    struct conf_errs *errs);
unsigned int conf_lines_find(const struct conf_lines *cl, const char *field);
void conf_lines_free(struct conf_lines *cl);

/*
 * Cross-field and range rules that libcyaml cannot express. Each returns 0
 * or -EINVAL with @p e filled in. Run in order after the raw document is
 * converted.
 */
int conf_addr_parse(const char *s, struct np_addr *a);

int conf_validate(const struct raw_conf *raw, struct np_conf *conf, struct conf_errs *e);

#endif /* NP_CONF_INTERNAL_H */
