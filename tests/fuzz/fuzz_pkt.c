/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for np_pkt_parse(), np_pkt_parse_csum() and
 * np_pkt_decap(): any byte string is a frame. Besides the sanitizers'
 * out-of-bounds checks, it aborts when a result breaks the contract in
 * np_pkt.h / np_tunnel.h (class range, offsets inside the frame, ...) or
 * when the plain-frame fast path and the general parser disagree. A
 * tunnel found is decapsulated and its inner frame checked the same way.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "np_pkt.h"
#include "np_tunnel.h"

#define CHECK(c)                 \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *data, uint32_t len, const struct np_pkt_info *p, int cls)
{
	const struct np_pkt_info pi = *p;
	char buf[NP_ENDPOINT_STRLEN];

	CHECK(cls >= 0 && cls < NP_PKT_CLASS_MAX && cls == pi.cls);
	CHECK(strcmp(np_pkt_class_name((unsigned int)cls), "invalid") != 0);
	CHECK(pi.n_vlans <= 2);
	CHECK(pi.ip_version == 0 || pi.ip_version == 4 || pi.ip_version == 6);
	CHECK(pi.l3_off <= len && pi.l4_off <= len && pi.payload_off <= len);
	CHECK((uint32_t)pi.payload_off + pi.payload_len <= len);
	if (len < 14)
		CHECK(cls == NP_PKT_RUNT);
	if (cls == NP_PKT_TCP || cls == NP_PKT_UDP || cls == NP_PKT_ICMP) {
		CHECK(pi.ip_version != 0 && pi.l3_off >= 14);
		CHECK(pi.l4_off >= pi.l3_off + 20u && pi.payload_off >= pi.l4_off + 8u);
	}
	if (cls == NP_PKT_TCP)
		CHECK(pi.payload_off >= pi.l4_off + 20u);
	if (pi.ip_version == 0)
		CHECK(pi.l4_off == 0 && pi.payload_off == 0 && pi.sport == 0);
	(void)cls;
	if (pi.icmp_inner.valid)
		CHECK(cls == NP_PKT_ICMP || cls == NP_PKT_TRUNCATED || cls == NP_PKT_BAD_CHECKSUM);

	CHECK(pi.ip_csum <= NP_PKT_IP_CSUM_BAD);
	if (pi.ip_csum != NP_PKT_IP_CSUM_OK)
		CHECK(pi.ip_version == 4);
	(void)data;

	np_endpoint_str(&pi.src, pi.sport, buf, sizeof(buf));
	np_endpoint_str(&pi.icmp_inner.dst, pi.icmp_inner.dport, buf, sizeof(buf));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t inner_buf[2048];
	struct np_pkt_info pi, pa;
	struct np_pkt_tunnel t;
	uint32_t len = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
	int cls = np_pkt_parse(data, len, &pi);
	int rc;

	check(data, len, &pi, cls);
	for (unsigned int m = 0; m < NP_PKT_CSUM_MODE_MAX; m++) {
		int c = np_pkt_parse_csum(data, len, m, &pa);
		struct np_pkt_info pf;

		check(data, len, &pa, c);
		/* the plain-frame fast path gives what the general parser gives, field for field
		 * (the struct's trailing padding left out) */
		CHECK(np_pkt_parse_full(data, len, m, &pf) == c &&
		      memcmp(&pf, &pa,
			     offsetof(struct np_pkt_info, icmp_inner) + sizeof(pf.icmp_inner)) ==
			      0);
		/* accepting can only turn BAD_CHECKSUM into something else */
		if (cls != NP_PKT_BAD_CHECKSUM)
			CHECK(c == cls);
		if (m == NP_PKT_CSUM_VERIFY)
			CHECK(c == cls && pa.ip_csum == pi.ip_csum);
	}
	np_pkt_parse_csum(data, len, NP_PKT_CSUM_ACCEPT, &pa);
	rc = np_pkt_decap(data, len, &pa, &t);
	CHECK(rc >= NP_PKT_DECAP_BAD && rc <= NP_PKT_DECAP_OK);
	CHECK(t.encap < NP_PKT_ENCAP_MAX);
	if (rc == NP_PKT_DECAP_OK) {
		const uint8_t *in;
		uint32_t n;

		CHECK(t.encap != NP_PKT_ENCAP_NONE);
		CHECK(t.inner_off <= len && t.inner_len <= len - t.inner_off);
		CHECK(t.inner_is_eth || t.inner_ethertype == 0x0800 || t.inner_ethertype == 0x86dd);
		in = np_pkt_tunnel_frame(data, &t, inner_buf, sizeof(inner_buf), &n);
		CHECK(in != NULL);
		cls = np_pkt_parse(in, n, &pi);
		check(in, n, &pi, cls);
	}
	if (rc == NP_PKT_DECAP_NONE)
		CHECK(t.encap == NP_PKT_ENCAP_NONE);
	return 0;
}
