/* SPDX-License-Identifier: BSD-3-Clause */
/* libcyaml schema of natprobe's YAML config, beside the structs it fills. */

#include "conf_internal.h"

#define OPT (CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER)
#define OPT_STR (CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER)

static const cyaml_schema_value_t uint_entry = {
	CYAML_VALUE_UINT(CYAML_FLAG_DEFAULT, unsigned int),
};

static const cyaml_schema_value_t string_entry = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CYAML_UNLIMITED),
};

static const cyaml_strval_t log_level_strings[] = {
	{ "emerg", NP_LOG_EMERG }, { "alert", NP_LOG_ALERT },	  { "crit", NP_LOG_CRIT },
	{ "err", NP_LOG_ERR },	   { "warning", NP_LOG_WARNING }, { "notice", NP_LOG_NOTICE },
	{ "info", NP_LOG_INFO },   { "debug", NP_LOG_DEBUG },
};

/* libcyaml 1.3 reads any unknown word as true: booleans are strict enums here. */
static const cyaml_strval_t bool_strings[] = {
	{ "false", 0 }, { "true", 1 }, { "no", 0 }, { "yes", 1 }, { "off", 0 }, { "on", 1 },
};

static const cyaml_strval_t hep_transport_strings[] = {
	{ "udp", NP_HEP_UDP },
	{ "tcp", NP_HEP_TCP },
};

static const cyaml_strval_t mode_strings[] = {
	{ "inline", NP_SEG_INLINE },
	{ "passive", NP_SEG_PASSIVE },
	{ "tunnel", NP_SEG_TUNNEL },
};

static const cyaml_strval_t ip_checksum_strings[] = {
	{ "auto", NP_IP_CSUM_AUTO },
	{ "yes", NP_IP_CSUM_YES },
	{ "no", NP_IP_CSUM_NO },
};

static const cyaml_schema_field_t eal_fields[] = {
	CYAML_FIELD_UINT_PTR("main_lcore", OPT, struct raw_eal, main_lcore),
	CYAML_FIELD_SEQUENCE("worker_lcores", CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER,
			     struct raw_eal, worker_lcores, &uint_entry, 1, NP_MAX_WORKERS),
	CYAML_FIELD_ENUM_PTR("no_huge", OPT | CYAML_FLAG_STRICT, struct raw_eal, no_huge,
			     bool_strings, CYAML_ARRAY_LEN(bool_strings)),
	CYAML_FIELD_UINT_PTR("memory_mb", OPT, struct raw_eal, memory_mb),
	CYAML_FIELD_STRING_PTR("file_prefix", OPT_STR, struct raw_eal, file_prefix, 1, 63),
	CYAML_FIELD_ENUM_PTR("log_level", OPT | CYAML_FLAG_STRICT, struct raw_eal, log_level,
			     log_level_strings, CYAML_ARRAY_LEN(log_level_strings)),
	CYAML_FIELD_SEQUENCE("extra_args", CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER, struct raw_eal,
			     extra_args, &string_entry, 0, NP_MAX_EXTRA_ARGS),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t port_fields[] = {
	CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_POINTER, struct raw_port, name, 1, NP_NAME_MAX),
	CYAML_FIELD_STRING_PTR("device", CYAML_FLAG_POINTER, struct raw_port, device, 1,
			       NP_DEVICE_MAX),
	CYAML_FIELD_UINT_PTR("rx_descriptors", OPT, struct raw_port, rx_descriptors),
	CYAML_FIELD_UINT_PTR("tx_descriptors", OPT, struct raw_port, tx_descriptors),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t port_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct raw_port, port_fields),
};

static const cyaml_schema_field_t segment_fields[] = {
	CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_POINTER, struct raw_segment, name, 1,
			       NP_NAME_MAX),
	CYAML_FIELD_ENUM("mode", CYAML_FLAG_STRICT, struct raw_segment, mode, mode_strings,
			 CYAML_ARRAY_LEN(mode_strings)),
	/* at least 1 for inline and passive (conf_validate.c); none for tunnel */
	CYAML_FIELD_SEQUENCE("ports", CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER, struct raw_segment,
			     ports, &string_entry, 0, NP_MAX_SEGMENT_PORTS),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t segment_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct raw_segment, segment_fields),
};

static const cyaml_schema_field_t datapath_fields[] = {
	CYAML_FIELD_UINT_PTR("burst_size", OPT, struct raw_datapath, burst_size),
	CYAML_FIELD_UINT_PTR("mbufs", OPT, struct raw_datapath, mbufs),
	CYAML_FIELD_UINT_PTR("mbuf_cache", OPT, struct raw_datapath, mbuf_cache),
	CYAML_FIELD_UINT_PTR("mtu", OPT, struct raw_datapath, mtu),
	CYAML_FIELD_UINT_PTR("event_ring_size", OPT, struct raw_datapath, event_ring_size),
	CYAML_FIELD_UINT_PTR("tx_retries", OPT, struct raw_datapath, tx_retries),
	CYAML_FIELD_UINT_PTR("tx_backoff_us", OPT, struct raw_datapath, tx_backoff_us),
	CYAML_FIELD_UINT_PTR("link_down_warn_s", OPT, struct raw_datapath, link_down_warn_s),
	CYAML_FIELD_UINT_PTR("flow_table_size", OPT, struct raw_datapath, flow_table_size),
	CYAML_FIELD_UINT_PTR("tcp_reasm_buffers", OPT, struct raw_datapath, tcp_reasm_buffers),
	CYAML_FIELD_ENUM_PTR("ip_checksum", OPT | CYAML_FLAG_STRICT, struct raw_datapath,
			     ip_checksum, ip_checksum_strings,
			     CYAML_ARRAY_LEN(ip_checksum_strings)),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t sip_fields[] = {
	CYAML_FIELD_SEQUENCE("ports", CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER, struct raw_sip,
			     ports, &uint_entry, 0, NP_MAX_SIP_PORTS),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t static_nat_fields[] = {
	CYAML_FIELD_STRING_PTR("private", CYAML_FLAG_POINTER, struct raw_static_nat, private_addr,
			       1, 63),
	CYAML_FIELD_STRING_PTR("public", CYAML_FLAG_POINTER, struct raw_static_nat, public_addr, 1,
			       63),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t static_nat_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct raw_static_nat, static_nat_fields),
};

static const cyaml_schema_field_t nat_fields[] = {
	CYAML_FIELD_SEQUENCE("static", CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER, struct raw_nat,
			     static_nat, &static_nat_entry, 0, NP_MAX_STATIC_NAT),
	CYAML_FIELD_UINT_PTR("max_bindings", OPT, struct raw_nat, max_bindings),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t detect_fields[] = {
	CYAML_FIELD_UINT_PTR("repeat_window_s", OPT, struct raw_detect, repeat_window_s),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t export_fields[] = {
	CYAML_FIELD_STRING_PTR("metrics_listen", OPT_STR, struct raw_export, metrics_listen, 0, 63),
	CYAML_FIELD_STRING_PTR("records_file", OPT_STR, struct raw_export, records_file, 0, 4095),
	CYAML_FIELD_UINT_PTR("stats_interval_s", OPT, struct raw_export, stats_interval_s),
	CYAML_FIELD_STRING_PTR("hep_collector", OPT_STR, struct raw_export, hep_collector, 0, 63),
	CYAML_FIELD_UINT_PTR("hep_capture_id", OPT, struct raw_export, hep_capture_id),
	CYAML_FIELD_STRING_PTR("hep_password", OPT_STR, struct raw_export, hep_password, 0, 1023),
	CYAML_FIELD_UINT_PTR("hep_queue_size", OPT, struct raw_export, hep_queue_size),
	CYAML_FIELD_STRING_PTR("hep_node_name", OPT_STR, struct raw_export, hep_node_name, 0, 1023),
	CYAML_FIELD_ENUM_PTR("hep_flow_events", OPT | CYAML_FLAG_STRICT, struct raw_export,
			     hep_flow_events, bool_strings, CYAML_ARRAY_LEN(bool_strings)),
	CYAML_FIELD_ENUM_PTR("hep_transport", OPT | CYAML_FLAG_STRICT, struct raw_export,
			     hep_transport, hep_transport_strings,
			     CYAML_ARRAY_LEN(hep_transport_strings)),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t evidence_fields[] = {
	CYAML_FIELD_UINT_PTR("history_frames", OPT, struct raw_evidence, history_frames),
	CYAML_FIELD_UINT_PTR("snaplen", OPT, struct raw_evidence, snaplen),
	CYAML_FIELD_STRING_PTR("dir", OPT_STR, struct raw_evidence, dir, 0, 4095),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t security_fields[] = {
	CYAML_FIELD_STRING_PTR("user", OPT_STR, struct raw_security, user, 0, NP_USER_MAX),
	CYAML_FIELD_STRING_PTR("group", OPT_STR, struct raw_security, group, 0, NP_USER_MAX),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t tunnel_fields[] = {
	CYAML_FIELD_STRING_PTR("match", CYAML_FLAG_POINTER, struct raw_tunnel, match, 1, 63),
	CYAML_FIELD_STRING_PTR("segment", CYAML_FLAG_POINTER, struct raw_tunnel, segment, 1,
			       NP_NAME_MAX),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t tunnel_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct raw_tunnel, tunnel_fields),
};

static const cyaml_schema_field_t hep_agent_fields[] = {
	CYAML_FIELD_STRING_PTR("match", CYAML_FLAG_POINTER, struct raw_hep_agent, match, 1,
			       NP_HEP_AGENT_NAME_MAX + 5),
	CYAML_FIELD_STRING_PTR("segment", CYAML_FLAG_POINTER, struct raw_hep_agent, segment, 1,
			       NP_NAME_MAX),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t hep_agent_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct raw_hep_agent, hep_agent_fields),
};

static const cyaml_schema_field_t hep_fields[] = {
	CYAML_FIELD_UINT_PTR("port", OPT, struct raw_hep, port),
	CYAML_FIELD_STRING_PTR("listen", OPT_STR, struct raw_hep, listen, 0, 63),
	CYAML_FIELD_UINT_PTR("clock_skew_ms", OPT, struct raw_hep, clock_skew_ms),
	CYAML_FIELD_ENUM_PTR("relay", OPT | CYAML_FLAG_STRICT, struct raw_hep, relay, bool_strings,
			     CYAML_ARRAY_LEN(bool_strings)),
	CYAML_FIELD_SEQUENCE("agents", CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER, struct raw_hep,
			     agents, &hep_agent_entry, 0, NP_MAX_HEP_AGENTS),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t top_fields[] = {
	CYAML_FIELD_MAPPING_PTR("eal", OPT, struct raw_conf, eal, eal_fields),
	CYAML_FIELD_SEQUENCE("ports", CYAML_FLAG_POINTER, struct raw_conf, ports, &port_entry, 1,
			     NP_MAX_PORTS),
	CYAML_FIELD_SEQUENCE("segments", CYAML_FLAG_POINTER, struct raw_conf, segments,
			     &segment_entry, 1, NP_MAX_SEGMENTS),
	CYAML_FIELD_MAPPING_PTR("datapath", OPT, struct raw_conf, datapath, datapath_fields),
	CYAML_FIELD_MAPPING_PTR("sip", OPT, struct raw_conf, sip, sip_fields),
	CYAML_FIELD_MAPPING_PTR("nat", OPT, struct raw_conf, nat, nat_fields),
	CYAML_FIELD_MAPPING_PTR("detect", OPT, struct raw_conf, detect, detect_fields),
	CYAML_FIELD_MAPPING_PTR("export", OPT, struct raw_conf, export, export_fields),
	CYAML_FIELD_MAPPING_PTR("evidence", OPT, struct raw_conf, evidence, evidence_fields),
	CYAML_FIELD_MAPPING_PTR("security", OPT, struct raw_conf, security, security_fields),
	CYAML_FIELD_SEQUENCE("tunnels", CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER, struct raw_conf,
			     tunnels, &tunnel_entry, 0, NP_MAX_TUNNELS),
	CYAML_FIELD_MAPPING_PTR("hep", OPT, struct raw_conf, hep, hep_fields),
	CYAML_FIELD_END,
};

const cyaml_schema_value_t np_conf_raw_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct raw_conf, top_fields),
};
