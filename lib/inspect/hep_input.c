/* SPDX-License-Identifier: BSD-3-Clause */
/* HEP as an input: decode, count, hand SIP to the SIP stage (np_inspect.h). */

#include <stdio.h>
#include <string.h>

#include "np_inspect.h"

#define HI_OFF(member) NP_CTR_OFF(struct np_hep_input_stats, member)
#define HI_ERR(e, n)                                                         \
	NP_CTR_ROW_L("hep_received_total", "", NP_CTR_COUNTER, "outcome", n, \
		     struct np_hep_input_stats, errors[e])
static const struct np_ctr_desc hep_input_rows[] = {
	NP_CTR_ROW_L(
		"hep_received_total",
		"HEP packets received (live) or read from captures (analyze), by outcome: sip "
		"(handed to the SIP stage), flow (a flow event another natprobe forwarded in "
		"its vendor chunk, handed to the correlator), bad_flow (such a chunk of an "
		"unknown event type), not_sip (another payload type), no_segment (an "
		"agent past the segment limit), loop (a packet this natprobe itself had sent or "
		"relayed, known by its origin chunk, or one that went through more than 4 "
		"natprobes: not used, not relayed), or why a packet was not used: not_hep, "
		"version, truncated, bad_length, bad_chunk, no_address, no_payload",
		NP_CTR_COUNTER, "outcome", "sip", struct np_hep_input_stats, sip),
	NP_CTR_ROW_L("hep_received_total", "", NP_CTR_COUNTER, "outcome", "not_sip",
		     struct np_hep_input_stats, not_sip),
	NP_CTR_ROW_L("hep_received_total", "", NP_CTR_COUNTER, "outcome", "no_segment",
		     struct np_hep_input_stats, no_segment),
	NP_CTR_ROW_L("hep_received_total", "", NP_CTR_COUNTER, "outcome", "flow",
		     struct np_hep_input_stats, flow),
	NP_CTR_ROW_L("hep_received_total", "", NP_CTR_COUNTER, "outcome", "bad_flow",
		     struct np_hep_input_stats, flow_bad),
	NP_CTR_ROW_L("hep_received_total", "", NP_CTR_COUNTER, "outcome", "loop",
		     struct np_hep_input_stats, loop),
	HI_ERR(NP_HEP_E_NOT_HEP, "not_hep"),
	HI_ERR(NP_HEP_E_VERSION, "version"),
	HI_ERR(NP_HEP_E_TRUNCATED, "truncated"),
	HI_ERR(NP_HEP_E_LENGTH, "bad_length"),
	HI_ERR(NP_HEP_E_CHUNK, "bad_chunk"),
	HI_ERR(NP_HEP_E_ADDRESS, "no_address"),
	HI_ERR(NP_HEP_E_PAYLOAD, "no_payload"),
	NP_CTR_ROW("hep_unknown_chunks_total",
		   "Chunks of decoded HEP packets that natprobe skipped (other vendors' chunks, "
		   "types it does not read)",
		   NP_CTR_COUNTER, struct np_hep_input_stats, unknown_chunks),
};
#undef HI_ERR
#undef HI_OFF

const struct np_ctr_table np_hep_input_counters = {
	hep_input_rows, sizeof(hep_input_rows) / sizeof(hep_input_rows[0])
};

int np_hep_input_decode(struct np_hep_input_stats *st, const uint8_t *buf, size_t len,
			bool datagram, uint64_t self, struct np_hep_msg *m, size_t *used)
{
	int rc = np_hep_decode(buf, len, datagram, m, used);

	if (rc != NP_HEP_OK) {
		st->errors[rc < NP_HEP_E_MAX ? rc : NP_HEP_E_NOT_HEP]++;
		return NP_HEP_IN_REFUSED;
	}
	st->packets++;
	st->unknown_chunks += m->unknown_chunks;
	if (np_hep_is_loop(m, self)) {
		st->loop++;
		return NP_HEP_IN_LOOP;
	}
	if (m->np_flow != NULL)
		return NP_HEP_IN_USE; /* another natprobe's flow event: the caller's
					 np_hep_flow_get() */
	if (m->proto_type != NP_HEP_PROTO_SIP) {
		st->not_sip++;
		return NP_HEP_IN_OTHER;
	}
	return NP_HEP_IN_USE;
}

int np_hep_input_sip(struct np_det_inspect *ins, struct np_hep_input_stats *st,
		     const struct np_hep_msg *m, uint8_t segment, uint64_t now_ns)
{
	struct np_flow_msg fm = {
		.data = m->payload,
		.len = m->payload_len,
		.segment = segment,
		.dir = 0,
		.proto = m->ip_proto == NP_IPPROTO_TCP ? NP_IPPROTO_TCP : NP_IPPROTO_UDP,
		.flags = NP_FLOW_MSG_F_NO_FLOW,
		.sport = m->sport,
		.dport = m->dport,
		.src = m->src,
		.dst = m->dst,
		.ts_ns = m->has_ts ? m->ts_ns : now_ns,
	};

	st->sip++;
	return np_det_inspect_sip(ins, &fm, 0);
}

int np_hep_agent_segment(const struct np_conf *conf, const struct np_hep_msg *m, char *name,
			 size_t len)
{
	size_t n = 0;

	for (unsigned int k = 0; k < conf->hep.n_agents; k++) {
		const struct np_conf_hep_agent *a = &conf->hep.agents[k];

		if (a->by_name ? (m->node_name != NULL && m->node_name_len == strlen(a->name) &&
				  memcmp(m->node_name, a->name, m->node_name_len) == 0)
			       : (m->has_capture_id && m->capture_id == a->id))
			return a->segment;
	}
	if (len < 5) {
		if (len > 0)
			name[0] = '\0';
		return -1;
	}
	if (m->node_name != NULL && m->node_name_len > 0) {
		n = m->node_name_len < len - 5 ? m->node_name_len : len - 5;
		memcpy(name, "hep-", 4);
		for (size_t i = 0; i < n; i++) {
			uint8_t c = m->node_name[i];

			name[4 + i] = (char)((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
							     (c >= '0' && c <= '9') || c == '-' ||
							     c == '_'
						     ? c
						     : '_');
		}
		name[4 + n] = '\0';
	} else if (m->has_capture_id) {
		snprintf(name, len, "hep-%lu", (unsigned long)m->capture_id);
	} else {
		snprintf(name, len, "hep");
	}
	return -1;
}
