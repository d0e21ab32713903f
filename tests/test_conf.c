/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/conf: loading, defaults, rules, error lines. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>

#include <cmocka.h>

#include "np_conf.h"

static char tmp_path[64];

/* Write @p yaml to a temp file, load it, return np_conf_load's result. */
static int load_text(const char *yaml, struct np_conf *c, char *err, size_t errlen)
{
	int fd;
	int ret;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/np_test_conf_XXXXXX");
	fd = mkstemp(tmp_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
	ret = np_conf_load(tmp_path, c, err, errlen);
	unlink(tmp_path);
	return ret;
}

#define MINIMAL                   \
	"ports:\n"                \
	"  - name: a\n"           \
	"    device: net_null0\n" \
	"  - name: b\n"           \
	"    device: net_null1\n" \
	"segments:\n"             \
	"  - name: inside\n"      \
	"    mode: inline\n"      \
	"    ports: [a, b]\n"

static void test_minimal_gets_defaults(void **state)
{
	struct np_conf c;
	char err[512];

	(void)state;
	assert_int_equal(load_text(MINIMAL, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_ports, 2);
	assert_int_equal(c.n_segments, 1);
	assert_int_equal(c.segments[0].mode, NP_SEG_INLINE);
	assert_int_equal(c.segments[0].port[0], 0);
	assert_int_equal(c.segments[0].port[1], 1);
	assert_true(c.ports[0].is_vdev);
	assert_int_equal(c.ports[0].segment, 0);
	assert_int_equal(c.datapath.burst_size, NP_DEF_BURST_SIZE);
	assert_int_equal(c.datapath.mtu, NP_DEF_MTU);
	assert_int_equal(c.ports[1].rx_desc, NP_DEF_RX_DESC);
	assert_int_equal(c.eal.n_workers, 1);
	assert_int_equal(c.eal.worker_lcores[0], NP_DEF_WORKER_LCORE);
	assert_string_equal(c.export.metrics_listen, NP_DEF_METRICS_LISTEN);
	assert_int_equal(c.sip.n_ports, 4);
	assert_int_equal(c.sip.ports[3], 7003);
	assert_string_equal(c.export.hep_collector, "");
	assert_int_equal(c.export.hep_capture_id, NP_DEF_HEP_CAPTURE_ID);
	assert_string_equal(c.export.hep_password, "");
	assert_int_equal(c.export.hep_queue_size, NP_DEF_HEP_QUEUE_SIZE);
	np_conf_free(&c);
}

static void test_hep_settings(void **state)
{
	struct np_conf c;
	char err[512];

	(void)state;
	assert_int_equal(load_text(MINIMAL
				   "export:\n  hep_collector: \"[2001:db8::9]:9060\"\n"
				   "  hep_capture_id: 4294967295\n  hep_password: \"my Hep!\"\n"
				   "  hep_queue_size: 64\n",
				   &c, err, sizeof(err)),
			 0);
	assert_string_equal(c.export.hep_collector, "[2001:db8::9]:9060");
	assert_int_equal(c.export.hep_capture_id, 4294967295u);
	assert_string_equal(c.export.hep_password, "my Hep!");
	assert_int_equal(c.export.hep_queue_size, 64);
	np_conf_free(&c);
	assert_int_equal(load_text(MINIMAL "export:\n  hep_collector: \"\"\n  hep_capture_id: 0\n",
				   &c, err, sizeof(err)),
			 0);
	assert_string_equal(c.export.hep_collector, "");
	assert_int_equal(c.export.hep_capture_id, 0);
	np_conf_free(&c);
}

static void test_shipped_config_is_valid(void **state)
{
	struct np_conf c;
	char err[512];

	(void)state;
	assert_int_equal(np_conf_load(NP_SOURCE_ROOT "/config/natprobe.yaml", &c, err, sizeof(err)),
			 0);
	assert_false(c.ports[0].is_vdev);
	assert_string_equal(c.ports[0].device, "0000:01:00.0");
	np_conf_free(&c);
}

static void test_explicit_values_and_static_nat(void **state)
{
	struct np_conf c;
	char err[512];
	char buf[64];

	(void)state;
	assert_int_equal(load_text(MINIMAL "eal:\n  main_lcore: 2\n  worker_lcores: [0, 3]\n"
					   "  no_huge: true\n  memory_mb: 0\n"
					   "datapath:\n  mbuf_cache: 0\n  tx_retries: 0\n"
					   "nat:\n  static:\n    - private: 10.0.10.2\n"
					   "      public: 64.100.0.10\n"
					   "export:\n  metrics_listen: \"[::1]:9100\"\n",
				   &c, err, sizeof(err)),
			 0);
	assert_int_equal(c.eal.main_lcore, 2);
	assert_int_equal(c.eal.n_workers, 2);
	assert_int_equal(c.eal.worker_lcores[1], 3);
	assert_true(c.eal.no_huge);
	assert_int_equal(c.datapath.mbuf_cache, 0);
	assert_int_equal(c.datapath.tx_retries, 0);
	assert_int_equal(c.nat.n_static, 1);
	assert_string_equal(np_addr_str(&c.nat.static_nat[0].pub, buf, sizeof(buf)), "64.100.0.10");
	np_conf_free(&c);
}

struct bad_case {
	const char *yaml;
	const char *fragment; /* must appear in the error line */
};

static const struct bad_case bad_cases[] = {
	{ MINIMAL "bogus: 1\n", ":10: bogus: unknown key" },
	{ MINIMAL "datapath:\n  burst_size: 0\n", ":11: datapath.burst_size: 0 is out of range" },
	{ MINIMAL "datapath:\n  burst_size: lots\n", "datapath.burst_size" },
	{ MINIMAL "datapath:\n  event_ring_size: 1000\n", "not a power of two" },
	{ MINIMAL "datapath:\n  tx_backoff_us: 1001\n",
	  ":11: datapath.tx_backoff_us: 1001 is out of range; allowed 0..1000" },
	{ MINIMAL "datapath:\n  link_down_warn_s: 86401\n",
	  ":11: datapath.link_down_warn_s: 86401 is out of range; allowed 0..86400" },
	{ MINIMAL "eal:\n  worker_lcores: [0]\n", "eal.worker_lcores[0]: lcore 0 is the main" },
	{ MINIMAL "eal:\n  worker_lcores: []\n",
	  "eal.worker_lcores: has 0 entries; needs at least 1" },
	{ MINIMAL "eal:\n  worker_lcores: [1, 1]\n", "listed twice" },
	{ MINIMAL "eal:\n  log_level: loud\n", "eal.log_level" },
	{ MINIMAL "nat:\n  static:\n    - private: 10.0.0.1\n      public: 999.1.1.1\n",
	  ":13: nat.static[0].public: '999.1.1.1' is not" },
	{ MINIMAL "export:\n  metrics_listen: localhost\n", "export.metrics_listen" },
	{ MINIMAL "sip:\n  ports: [5060, 70000]\n", "sip.ports[1]" },
	{ MINIMAL "export:\n  hep_collector: homer:9060\n",
	  ":11: export.hep_collector: 'homer:9060' is not ADDRESS:PORT" },
	{ MINIMAL "export:\n  hep_collector: \"10.0.0.1:0\"\n", "export.hep_collector" },
	{ MINIMAL "export:\n  hep_collector: \"0.0.0.0:9060\"\n",
	  "export.hep_collector: '0.0.0.0' names no host" },
	{ MINIMAL "export:\n  hep_capture_id: -1\n", ":11: export.hep_capture_id" },
	{ MINIMAL "export:\n  hep_capture_id: 4294967296\n",
	  "export.hep_capture_id: '4294967296' is not a non-negative integer; allowed 0..4294967295" },
	{ MINIMAL "export:\n  hep_password: \"a\\tb\"\n",
	  ":11: export.hep_password: character 2 is not printable ASCII" },
	{ MINIMAL "export:\n  hep_password: "
		  "\"0123456789012345678901234567890123456789012345678901234567890123456789\"\n",
	  "export.hep_password: 70 characters; allowed 0..64" },
	{ MINIMAL "export:\n  hep_queue_size: 1000\n",
	  ":11: export.hep_queue_size: 1000 is not a power of two; allowed 64..65536" },
	{ MINIMAL "export:\n  hep_queue_size: 131072\n",
	  "131072 is out of range; allowed 64..65536" },
	{ MINIMAL "export:\n  hep: on\n", ":11: export.hep: unknown key" },
	{ "ports:\n  - name: a\n    device: net_null0\nsegments:\n  - name: s\n    mode: inline\n"
	  "    ports: [a]\n",
	  ":7: segments[0].ports: an inline segment needs exactly 2 ports, got 1" },
	{ "ports:\n  - name: a\n    device: net_null0\nsegments:\n  - name: s\n    mode: passive\n"
	  "    ports: [a]\n  - name: t\n    mode: passive\n    ports: [a]\n",
	  "segments[1].ports[0]: port 'a' is already used by segment 's'" },
	{ "ports:\n  - name: a\n    device: net_null0\nsegments:\n  - name: s\n    mode: tap\n"
	  "    ports: [a]\n",
	  "segments[0].mode: 'tap' is not allowed; allowed: inline, passive" },
	{ "ports:\n  - name: a\n    device: net_null0\n  - name: a\n    device: net_null1\n"
	  "segments:\n  - name: s\n    mode: inline\n    ports: [a, a]\n",
	  ":4: ports[1].name: port name 'a' already used" },
	{ "ports:\n  - name: a\n    device: net_null0\nsegments:\n  - name: s\n"
	  "    mode: passive\n    ports: [zz]\n",
	  "no port named 'zz'" },
	{ "ports:\n  - name: a\n    device: net_null0\n    rx_descriptors: 100\nsegments:\n"
	  "  - name: s\n    mode: passive\n    ports: [a]\n",
	  ":4: ports[0].rx_descriptors: 100 is not a power of two" },
	{ "segments:\n  - name: s\n    mode: passive\n    ports: [a]\n",
	  "ports: required key 'ports' is missing" },
	{ MINIMAL "eal:\n  no_huge: maybe\n",
	  ":11: eal.no_huge: 'maybe' is not allowed; allowed: true" },
	/* a value quoted in the message holds a newline: still one line */
	{ "ports:\n  - name: \"a\\nb\"\n    device: net_null0\nsegments:\n  - name: s\n"
	  "    mode: passive\n    ports: [a]\n",
	  "ports[0].name: 'a b' has a character" },
	{ MINIMAL "nat:\n  max_bindings: 0\n",
	  ":11: nat.max_bindings: 0 is out of range; allowed 1..4194304" },
	{ MINIMAL "nat:\n  max_bindings: 1\n  static:\n    - private: 10.0.0.1\n"
		  "      public: 64.0.0.1\n    - private: 10.0.0.2\n      public: 64.0.0.2\n",
	  "nat.max_bindings: 1 is fewer than the 2 static entries" },
	{ MINIMAL "security:\n  user: no-such-user-np\n",
	  ":11: security.user: no user 'no-such-user-np' on this machine" },
	{ MINIMAL "security:\n  user: root\n  group: no-such-group-np\n",
	  ":12: security.group: no group 'no-such-group-np' on this machine" },
	{ MINIMAL "security:\n  group: root\n", "security.group: needs security.user" },
	{ MINIMAL "security:\n  uid: 0\n", "security.uid: unknown key" },
	{ "", "empty" },
	{ "[1, 2", ":2:1: (yaml): syntax error" },
	/* a key one typo away from an allowed one */
	{ MINIMAL "datapath:\n  burst_sise: 32\n", ":11: datapath.burst_sise: unknown key; did "
						   "you mean 'burst_size'?" },
	/* a key in the wrong section */
	{ MINIMAL "records_file: /tmp/x\n", ":10: records_file: unknown key; did you mean "
					    "'export.records_file' (in another section)?" },
	{ MINIMAL "export:\n  hep_collector: \"255.255.255.255:9060\"\n",
	  ":11: export.hep_collector: 255.255.255.255 is a broadcast address" },
	{ MINIMAL "export:\n  hep_collector: \"[ff02::1]:9060\"\n",
	  ":11: export.hep_collector: ff02::1 is a multicast address" },
	{ MINIMAL "export:\n  hep_collector: \"239.1.1.1:9060\"\n",
	  ":11: export.hep_collector: 239.1.1.1 is a multicast address" },
	{ MINIMAL "export:\n  metrics_listen: \"224.0.0.1:9109\"\n",
	  ":11: export.metrics_listen: 224.0.0.1 is a multicast address" },
};

static void test_bad_configs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct np_conf c;
		char err[512] = "";

		if (load_text(bad_cases[i].yaml, &c, err, sizeof(err)) == 0)
			fail_msg("case %zu loaded but should fail with '%s'", i,
				 bad_cases[i].fragment);
		if (strstr(err, bad_cases[i].fragment) == NULL)
			fail_msg("case %zu: error '%s' lacks '%s'", i, err, bad_cases[i].fragment);
		if (strchr(err, '\n') != NULL)
			fail_msg("case %zu: error is more than one line: '%s'", i, err);
	}
}

/* datapath.tx_backoff_us and link_down_warn_s: defaults, and 0 taken as given (off). */
static void test_port_waits(void **state)
{
	struct np_conf c;
	char err[512];

	(void)state;
	assert_int_equal(load_text(MINIMAL, &c, err, sizeof(err)), 0);
	assert_int_equal(c.datapath.tx_backoff_us, NP_DEF_TX_BACKOFF_US);
	assert_int_equal(c.datapath.link_down_warn_s, NP_DEF_LINK_DOWN_WARN_S);
	np_conf_free(&c);
	assert_int_equal(load_text(MINIMAL "datapath:\n  tx_backoff_us: 0\n  link_down_warn_s: 0\n",
				   &c, err, sizeof(err)),
			 0);
	assert_int_equal(c.datapath.tx_backoff_us, 0);
	assert_int_equal(c.datapath.link_down_warn_s, 0);
	np_conf_free(&c);
	assert_int_equal(load_text(MINIMAL "datapath:\n  tx_backoff_us: 1000\n"
					   "  link_down_warn_s: 86400\n",
				   &c, err, sizeof(err)),
			 0);
	assert_int_equal(c.datapath.tx_backoff_us, 1000);
	assert_int_equal(c.datapath.link_down_warn_s, 86400);
	np_conf_free(&c);
}

/* Load @p yaml expecting failure; return the number of error lines in @p err. */
static unsigned int error_lines(const char *yaml, char *err, size_t errlen)
{
	struct np_conf c;
	unsigned int n = 1;

	assert_int_not_equal(load_text(yaml, &c, err, errlen), 0);
	for (const char *p = err; *p; p++)
		n += *p == '\n';
	return n;
}

/* A YAML syntax error is reported at the offending character, not the line above. */
static void test_syntax_error_line_and_column(void **state)
{
	char err[NP_CONF_ERR_MAX];

	(void)state;
	/* a tab where indentation is expected, on line 4 */
	assert_int_equal(
		error_lines("eal:\n  main_lcore: 0\n  worker_lcores: [1]\n\tno_huge: true\n", err,
			    sizeof(err)),
		1);
	if (strstr(err, ":4:1: (yaml): syntax error: found character that cannot start any "
			"token") == NULL)
		fail_msg("%s", err);
	/* an unclosed quote on line 3, column 16 */
	assert_int_equal(error_lines(MINIMAL "eal:\n  file_prefix: \"np\n", err, sizeof(err)), 1);
	if (strstr(err, ":12:1: (yaml): syntax error: found unexpected end of stream, while "
			"scanning a quoted scalar at line 11 column 16") == NULL)
		fail_msg("%s", err);
}

/* Every error of a config in one run, each on its own line. */
static void test_all_errors_reported(void **state)
{
	char err[NP_CONF_ERR_MAX];

	(void)state;
	assert_int_equal(
		error_lines(MINIMAL
			    "datapath:\n  burst_size: 0\n  mtu: 63\n"
			    "sip:\n  ports: [0, 5060, 70000]\n"
			    "nat:\n  static:\n    - private: 10.0.0.x\n      public: 1.1.1.1\n"
			    "export:\n  stats_interval_s: 999999\n",
			    err, sizeof(err)),
		6);
	assert_non_null(strstr(err, ":11: datapath.burst_size: 0 is out of range"));
	assert_non_null(strstr(err, ":12: datapath.mtu: 63 is out of range"));
	assert_non_null(strstr(err, ":14: sip.ports[0]: 0 is not a port"));
	assert_non_null(strstr(err, ":14: sip.ports[2]: 70000 is not a port"));
	assert_non_null(strstr(err, ":17: nat.static[0].private: '10.0.0.x'"));
	assert_non_null(strstr(err, ":20: export.stats_interval_s: 999999 is out of range"));
	/* every unknown key, each with its line */
	assert_int_equal(error_lines(MINIMAL
				     "datapath:\n  burst: 1\n  mtux: 2\nexport:\n  stats: 1\n",
				     err, sizeof(err)),
			 3);
	assert_non_null(strstr(err, ":11: datapath.burst: unknown key"));
	assert_non_null(strstr(err, ":12: datapath.mtux: unknown key; did you mean 'mtu'?"));
	assert_non_null(strstr(err, ":14: export.stats: unknown key"));
}

/* More errors than the cap: NP_CONF_MAX_ERRORS lines, then one saying how many more. */
static void test_errors_capped(void **state)
{
	char yaml[4096], err[NP_CONF_ERR_MAX];
	size_t off;

	(void)state;
	off = (size_t)snprintf(yaml, sizeof(yaml), "%s", MINIMAL "datapath:\n");
	for (int i = 0; i < 30; i++)
		off += (size_t)snprintf(yaml + off, sizeof(yaml) - off, "  bad_key_%d: 1\n", i);
	assert_int_equal(error_lines(yaml, err, sizeof(err)), NP_CONF_MAX_ERRORS + 1);
	assert_non_null(strstr(err, ": (more): 10 more errors not shown"));
	/* a small buffer holds whole lines only */
	assert_int_not_equal(load_text(yaml, &(struct np_conf){ 0 }, err, 150), 0);
	assert_true(strlen(err) < 150);
	assert_non_null(strstr(err, "bad_key_0: unknown key"));
	assert_null(strstr(err, "bad_key_1"));
	assert_true(strlen(err) > 10 && strcmp(err + strlen(err) - 10, "every key)") == 0);
}

/* A FIFO as the config is refused at once, never waited on. */
static void test_fifo_refused(void **state)
{
	char path[64] = "/tmp/np_test_fifo_XXXXXX";
	char err[512];
	struct np_conf c;

	(void)state;
	assert_non_null(mkdtemp(path));
	strcat(path, "/c.yaml");
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_not_equal(np_conf_load(path, &c, err, sizeof(err)), 0);
	unlink(path);
	*strrchr(path, '/') = '\0';
	rmdir(path);
	assert_non_null(strstr(err, "not a regular file (a FIFO)"));
}

static void test_nat_and_security_defaults(void **state)
{
	struct np_conf c;
	char err[512];

	(void)state;
	assert_int_equal(load_text(MINIMAL, &c, err, sizeof(err)), 0);
	assert_int_equal(c.nat.max_bindings, NP_DEF_MAX_BINDINGS);
	assert_string_equal(c.security.user, "");
	assert_string_equal(c.security.group, "");
	np_conf_free(&c);
}

/* root (uid 0, gid 0) exists on every machine the tests run on. */
static void test_security_user_resolved(void **state)
{
	struct np_conf c;
	char err[512];

	(void)state;
	assert_int_equal(load_text(MINIMAL "nat:\n  max_bindings: 16\nsecurity:\n  user: root\n",
				   &c, err, sizeof(err)),
			 0);
	assert_int_equal(c.nat.max_bindings, 16);
	assert_string_equal(c.security.user, "root");
	assert_int_equal(c.security.uid, 0);
	assert_int_equal(c.security.gid, 0);
	np_conf_free(&c);
	assert_int_equal(load_text(MINIMAL "security:\n  user: root\n  group: root\n", &c, err,
				   sizeof(err)),
			 0);
	assert_string_equal(c.security.group, "root");
	assert_int_equal(c.security.gid, 0);
	np_conf_free(&c);
}

static void test_missing_file(void **state)
{
	struct np_conf c;
	char err[512];

	(void)state;
	assert_int_equal(np_conf_load("/nonexistent/natprobe.yaml", &c, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot read"));
}

static void test_static_nat_arg(void **state)
{
	struct np_static_nat sn;
	char buf[64];

	(void)state;
	assert_int_equal(np_conf_parse_static_nat("10.0.10.2=64.100.0.10", &sn), 0);
	assert_string_equal(np_addr_str(&sn.priv, buf, sizeof(buf)), "10.0.10.2");
	assert_int_equal(np_conf_parse_static_nat("2001:db8::1=2001:db8:1::1", &sn), 0);
	assert_false(np_addr_is_v4(&sn.pub));
	assert_int_equal(np_conf_parse_static_nat("10.0.10.2=2001:db8::1", &sn), -EINVAL);
	assert_int_equal(np_conf_parse_static_nat("10.0.10.2", &sn), -EINVAL);
	assert_int_equal(np_conf_parse_static_nat("10.0.10=1.2.3.4", &sn), -EINVAL);
}

static void test_parse_listen(void **state)
{
	char host[64];
	uint16_t port;

	(void)state;
	assert_int_equal(np_conf_parse_listen("127.0.0.1:9109", host, sizeof(host), &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 9109);
	assert_int_equal(np_conf_parse_listen("[::1]:80", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(np_conf_parse_listen("localhost", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(np_conf_parse_listen("1.2.3.4:0", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(np_conf_parse_listen("1.2.3.4:99999", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(np_conf_parse_listen("::1:80", host, sizeof(host), &port), -EINVAL);
}

static void test_parse_tunnel(void **state)
{
	static const struct {
		const char *text;
		int rc;
		uint8_t family;
		bool has_id;
		uint32_t id;
	} cases[] = {
		{ "vni=100", 0, NP_TUNNEL_VXLAN, true, 100 },
		{ "vni=16777215", 0, NP_TUNNEL_VXLAN, true, 16777215 },
		{ "vni=16777216", -EINVAL, 0, false, 0 },
		{ "vni", -EINVAL, 0, false, 0 },
		{ "erspan=1023", 0, NP_TUNNEL_ERSPAN, true, 1023 },
		{ "erspan=1024", -EINVAL, 0, false, 0 },
		{ "erspan", 0, NP_TUNNEL_ERSPAN, false, 0 },
		{ "gre=4294967295", 0, NP_TUNNEL_GRE, true, 4294967295u },
		{ "gre=4294967296", -EINVAL, 0, false, 0 },
		{ "gre", 0, NP_TUNNEL_GRE, false, 0 },
		{ "gre=", -EINVAL, 0, false, 0 },
		{ "gre=-1", -EINVAL, 0, false, 0 },
		{ "gre=7x", -EINVAL, 0, false, 0 },
		{ "geneve=1", -EINVAL, 0, false, 0 },
		{ "", -EINVAL, 0, false, 0 },
	};
	char buf[32];

	(void)state;
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct np_tunnel_key k;
		int rc = np_conf_parse_tunnel(cases[i].text, &k);

		assert_int_equal(rc, cases[i].rc);
		if (rc != 0)
			continue;
		assert_int_equal(k.family, cases[i].family);
		assert_int_equal(k.has_id, cases[i].has_id);
		assert_int_equal(k.id, cases[i].id);
		/* the text form reads back as given */
		assert_string_equal(np_tunnel_key_str(&k, buf, sizeof(buf)), cases[i].text);
		assert_true(np_tunnel_key_match(&k, cases[i].family, cases[i].has_id, cases[i].id));
		assert_false(np_tunnel_key_match(&k, cases[i].family, cases[i].has_id,
						 cases[i].id + 1) &&
			     cases[i].has_id);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_gets_defaults),
		cmocka_unit_test(test_hep_settings),
		cmocka_unit_test(test_shipped_config_is_valid),
		cmocka_unit_test(test_explicit_values_and_static_nat),
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_syntax_error_line_and_column),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_errors_capped),
		cmocka_unit_test(test_fifo_refused),
		cmocka_unit_test(test_nat_and_security_defaults),
		cmocka_unit_test(test_port_waits),
		cmocka_unit_test(test_security_user_resolved),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_static_nat_arg),
		cmocka_unit_test(test_parse_listen),
		cmocka_unit_test(test_parse_tunnel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
