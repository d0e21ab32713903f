/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/export: the counters table and its Prometheus form; records told. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>

#include "np_counters.h"
#include "np_record.h"

static struct np_conf conf;
static struct np_stats w0, w1, ctl;

static void setup_conf(void)
{
	np_conf_defaults(&conf);
	conf.n_ports = 2;
	snprintf(conf.ports[0].name, sizeof(conf.ports[0].name), "c_side");
	snprintf(conf.ports[1].name, sizeof(conf.ports[1].name), "fw_side");
	conf.ports[0].segment = 0;
	conf.ports[1].segment = 0;
	conf.n_segments = 1;
	snprintf(conf.segments[0].name, sizeof(conf.segments[0].name), "inside");
	memset(&w0, 0, sizeof(w0));
	memset(&w1, 0, sizeof(w1));
	memset(&ctl, 0, sizeof(ctl));
}

/* Render the counters and return the text (caller frees). */
static char *render(void)
{
	const struct np_stats *ws[2] = { &w0, &w1 };
	struct np_stats_src src = { .conf = &conf, .n_workers = 2, .workers = ws, .control = &ctl };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(np_stats_write_prometheus(f, &src), 0);
	fclose(f);
	return buf;
}

static void test_sums_workers(void **state)
{
	char *txt;

	(void)state;
	setup_conf();
	w0.port[1][NP_PORT_RX_PACKETS] = 5;
	w1.port[1][NP_PORT_RX_PACKETS] = 7;
	ctl.port[0][NP_PORT_RX_MISSED] = 3;
	w1.frame_class[0][NP_PKT_RUNT] = 2;
	txt = render();
	assert_non_null(strstr(txt, "natprobe_port_rx_packets_total{port=\"fw_side\","
				    "segment=\"inside\"} 12\n"));
	assert_non_null(strstr(txt, "natprobe_port_rx_missed_total{port=\"c_side\","
				    "segment=\"inside\"} 3\n"));
	assert_non_null(strstr(txt, "natprobe_segment_frames_total{segment=\"inside\","
				    "class=\"runt\"} 2\n"));
	free(txt);
}

static void test_worker_series_are_per_worker(void **state)
{
	char *txt;

	(void)state;
	setup_conf();
	w0.worker[NP_WK_PACKETS] = 10;
	w1.worker[NP_WK_PACKETS] = 20;
	txt = render();
	assert_non_null(strstr(txt, "natprobe_worker_packets_total{worker=\"0\"} 10\n"));
	assert_non_null(strstr(txt, "natprobe_worker_packets_total{worker=\"1\"} 20\n"));
	free(txt);
}

/* Every family has HELP and TYPE before its first sample, and each name appears once. */
static void test_every_family_has_help_and_type(void **state)
{
	char *txt, *line, *save = NULL;
	char seen[64][64];
	unsigned int n_seen = 0;
	char last_type[64] = "";

	(void)state;
	setup_conf();
	txt = render();
	for (line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64];

		if (sscanf(line, "# TYPE %63s", name) == 1) {
			for (unsigned int i = 0; i < n_seen; i++)
				assert_string_not_equal(seen[i], name);
			assert_true(n_seen < 64);
			snprintf(seen[n_seen++], sizeof(seen[0]), "%s", name);
			snprintf(last_type, sizeof(last_type), "%s", name);
		} else if (line[0] != '#') {
			size_t n = strcspn(line, "{ ");

			assert_true(strncmp(line, "natprobe_", 9) == 0);
			assert_int_equal(n, strlen(last_type));
			assert_memory_equal(line, last_type, n);
		}
	}
	assert_int_equal(n_seen, NP_PORT_CTR_MAX + NP_SEGMENT_CTR_MAX + NP_WORKER_CTR_MAX + 1 +
					 NP_TUNNEL_CTR_MAX +
					 2 /* hep_sent_total, hep_send_errors_total */ +
					 NP_EVD_CTR_MAX);
	free(txt);
}

/* Tunnel counters: per segment and encapsulation, summed over the workers. */
static void test_tunnel_counters_labelled(void **state)
{
	char *txt;
	unsigned int series = 0;

	(void)state;
	setup_conf();
	conf.n_segments = 2;
	snprintf(conf.segments[1].name, sizeof(conf.segments[1].name), "dmz");
	w0.tunnel[1][NP_PKT_ENCAP_VXLAN][NP_TUN_FRAMES] = 5;
	w1.tunnel[1][NP_PKT_ENCAP_VXLAN][NP_TUN_FRAMES] = 6;
	w1.tunnel[0][NP_PKT_ENCAP_ERSPAN3][NP_TUN_ERRORS] = 2;
	w0.segment[0][NP_SEG_IPV4_CSUM_ZERO] = 4;
	txt = render();
	assert_non_null(strstr(txt, "natprobe_tunnel_frames_total{segment=\"dmz\","
				    "encap=\"vxlan\"} 11\n"));
	assert_non_null(strstr(txt, "natprobe_tunnel_errors_total{segment=\"inside\","
				    "encap=\"erspan3\"} 2\n"));
	assert_non_null(strstr(txt, "natprobe_tunnel_unmapped_frames_total{segment=\"inside\","
				    "encap=\"gre\"} 0\n"));
	assert_non_null(strstr(txt, "natprobe_segment_ipv4_checksum_zero_total{segment="
				    "\"inside\"} 4\n"));
	for (const char *p = txt; (p = strstr(p, "\nnatprobe_tunnel_frames_total{")) != NULL; p++)
		series++;
	/* every segment times every encapsulation, "none" left out */
	assert_int_equal(series, 2 * (NP_PKT_ENCAP_MAX - 1));
	assert_null(strstr(txt, "encap=\"none\""));
	free(txt);
}

/* The control thread's HEP counters: one family per name, one series per label value. */
static void test_hep_counters_labelled(void **state)
{
	char *txt;

	(void)state;
	setup_conf();
	ctl.hep[NP_HEP_SENT_SIP] = 8;
	ctl.hep[NP_HEP_SENT_RECORD] = 6;
	ctl.hep[NP_HEP_SENT_FLOW] = 5;
	ctl.hep[NP_HEP_SENT_RELAY] = 4;
	ctl.hep[NP_HEP_ERR_REFUSED] = 3;
	w1.worker[NP_WK_HEP_QUEUE_DROPS] = 2;
	txt = render();
	assert_non_null(strstr(txt, "# TYPE natprobe_hep_sent_total counter\n"
				    "natprobe_hep_sent_total{what=\"sip\"} 8\n"
				    "natprobe_hep_sent_total{what=\"record\"} 6\n"
				    "natprobe_hep_sent_total{what=\"flow\"} 5\n"
				    "natprobe_hep_sent_total{what=\"relay\"} 4\n"
				    "# HELP natprobe_hep_send_errors_total "));
	assert_non_null(strstr(txt, "natprobe_hep_send_errors_total{error=\"refused\"} 3\n"
				    "natprobe_hep_send_errors_total{error=\"busy\"} 0\n"));
	assert_non_null(strstr(txt, "natprobe_hep_queue_drops_total{worker=\"1\"} 2\n"));
	free(txt);
}

static void test_json_escape(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	np_json_escape(f, "a\"b\\c\n\x01");
	fclose(f);
	assert_string_equal(buf, "a\\\"b\\\\c\\u000a\\u0001");
	free(buf);
}

/* Valid UTF-8 passes through; stray high bytes become \u00XX, so the JSON stays valid. */
static void test_json_escape_utf8(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	np_json_escape_n(f, "\xc3\xa9-\xff-\xe2\x82", 7);
	fclose(f);
	assert_string_equal(buf, "\xc3\xa9-\\u00ff-\\u00e2\\u0082");
	free(buf);
}

/* ---- an incident told from its facts ---------------------------------- */

static struct np_det_endpoint endpoint(const char *a, uint16_t port)
{
	struct np_det_endpoint e = { .port = port, .proto = 6 };
	struct in_addr v4;

	assert_int_equal(inet_pton(AF_INET, a, &v4), 1);
	np_addr_from_v4(&e.addr, v4.s_addr);
	return e;
}

/* The seed as the correlator leaves it: facts and the records it cites. */
static void seed_records(struct np_det_record r[4], bool client_seen)
{
	memset(r, 0, 4 * sizeof(r[0]));
	r[0].id = 2;
	r[0].kind = NP_DET_KIND_ANOMALY;
	r[0].type = NP_DET_HAIRPIN_SNAT;
	r[0].segment = 1;
	r[0].ts_ns = 1461049753000000000ull;
	r[0].count = 1;
	r[1].id = 3;
	r[1].kind = NP_DET_KIND_ANOMALY;
	r[1].type = NP_DET_PHANTOM_CONNECT;
	r[1].segment = 0;
	r[1].ts_ns = r[0].ts_ns + 980000000ull;
	r[1].has_flow = true;
	r[1].flow.src = endpoint("10.0.30.2", 27921).addr;
	r[1].flow.sport = 27921;
	r[1].outcome = NP_DET_OUTCOME_RST;
	r[1].count = 3;
	snprintf(r[1].endpoint, sizeof(r[1].endpoint), "64.100.0.10:4401");
	r[2].id = 4;
	r[2].kind = NP_DET_KIND_ANOMALY;
	r[2].type = NP_DET_SIP_TIMEOUT;
	r[2].segment = 0;
	r[2].ts_ns = r[0].ts_ns + 982000000ull;
	r[2].sip.status = 408;
	r[2].delay_ms = 9;
	r[2].count = 1;
	snprintf(r[2].sip.cseq, sizeof(r[2].sip.cseq), "4616 SERVICE");
	snprintf(r[2].timeout_kind, sizeof(r[2].timeout_kind), "fast");
	r[3].id = 5;
	r[3].kind = NP_DET_KIND_INCIDENT;
	r[3].type = NP_DET_NAT_REFLECTION_MISROUTE;
	r[3].segment = -1;
	r[3].delay_ms = -1;
	r[3].n_evidence = 3;
	r[3].evidence[0] = 2;
	r[3].evidence[1] = 3;
	r[3].evidence[2] = 4;
	r[3].story.expressway = true;
	r[3].story.client_seen = client_seen;
	r[3].story.refused = true;
	r[3].story.timed_out = true;
	r[3].story.seg_client = client_seen ? 0 : 1;
	r[3].story.seg_server = 1;
	if (client_seen)
		r[3].story.client = endpoint("10.0.30.2", 27901);
	r[3].story.translated = endpoint("64.100.0.10", 4401);
	r[3].story.server_pub = endpoint("64.100.0.10", 7003);
	r[3].story.server = endpoint("10.0.10.2", 7003);
	snprintf(r[3].sip.call_id, sizeof(r[3].sip.call_id), "abcd12345678@127.0.0.1");
}

static char *told(const struct np_det_record *r, const struct np_det_record *all, size_t n,
		  bool json)
{
	static const char *names[] = { "inside", "dmz" };
	struct np_record_names nm = { .n_segments = 2, .segments = names };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	if (json)
		assert_int_equal(np_record_write_json(f, r, &nm), 0);
	else
		assert_int_equal(np_record_write_text(f, r, &nm, all, n), 0);
	fclose(f);
	return buf;
}

static void test_incident_told(void **state)
{
	struct np_det_record r[4];
	char *json, *text;

	(void)state;
	seed_records(r, true);
	json = told(&r[3], r, 4, true);
	/* the diagnosis and both fixes, with the addresses, in the JSON contract */
	assert_non_null(strstr(json, "\"diagnosis\":\"The firewall translates Expressway-C "
				     "10.0.30.2:27901 to 64.100.0.10:4401, Expressway-E's own"));
	assert_non_null(strstr(json, "(Call-ID abcd12345678@127.0.0.1)"));
	assert_non_null(strstr(json, "answers 408 Request Timeout"));
	assert_non_null(strstr(json, "\"fixes\":[\"Disable source translation on the firewall for "
				     "Expressway-C 10.0.30.2 -> Expressway-E 64.100.0.10"));
	assert_non_null(strstr(json, "\"Or give Expressway-E a second NIC"));
	text = told(&r[3], r, 4, false);
	/* the ladder: one line per cited record, in time order, on its side */
	assert_non_null(strstr(text, "C | FW | E   (seen on inside: Expressway-C side; dmz: "
				     "Expressway-E side)"));
	assert_non_null(strstr(text, "[2]   C | FW | E 10.0.30.2:27901 -> 64.100.0.10:7003 leaves "
				     "the firewall as 64.100.0.10:4401 -> 10.0.10.2:7003"));
	assert_non_null(strstr(text, "[3]   C |    |   SYN 10.0.30.2:27921 -> 64.100.0.10:4401, "
				     "RST (x3)"));
	assert_non_null(strstr(text, "[4]   C |    |   408 to 4616 SERVICE (fast timeout, 9 ms"));
	assert_true(strstr(text, "[2]") < strstr(text, "[3]"));
	free(json);
	free(text);
}

/* Seen from the server's side only: nothing about the client is made up. */
static void test_incident_one_side_told(void **state)
{
	struct np_det_record r[4];
	char *json, *text;

	(void)state;
	seed_records(r, false);
	json = told(&r[3], r, 4, true);
	text = told(&r[3], r, 4, false);
	assert_null(strstr(json, "[::]"));
	assert_null(strstr(text, "[::]"));
	assert_null(strstr(json, "  "));
	assert_non_null(strstr(json, "\"diagnosis\":\"Expressway-E (10.0.10.2:7003) receives the "
				     "traversal connection from 64.100.0.10:4401"));
	assert_non_null(strstr(json, "Disable source translation on the firewall for "
				     "Expressway-C -> Expressway-E 64.100.0.10: keep"));
	assert_non_null(strstr(text, "(seen on dmz: Expressway-E side)"));
	assert_non_null(
		strstr(text, "a connection to 10.0.10.2:7003 arrives from 64.100.0.10:4401"));
	free(json);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sums_workers),
		cmocka_unit_test(test_worker_series_are_per_worker),
		cmocka_unit_test(test_every_family_has_help_and_type),
		cmocka_unit_test(test_hep_counters_labelled),
		cmocka_unit_test(test_tunnel_counters_labelled),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_json_escape_utf8),
		cmocka_unit_test(test_incident_told),
		cmocka_unit_test(test_incident_one_side_told),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
