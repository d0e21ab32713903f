/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for np_pkt_parse(): any byte string is a frame. Besides
 * the sanitizers' out-of-bounds checks, it aborts when a result breaks the
 * contract in np_pkt.h (class range, offsets inside the frame, ...).
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "np_pkt.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np_pkt_info pi;
	char buf[NP_ENDPOINT_STRLEN];
	uint32_t len = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
	int cls = np_pkt_parse(data, len, &pi);

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
	if (pi.icmp_inner.valid)
		CHECK(cls == NP_PKT_ICMP || cls == NP_PKT_TRUNCATED || cls == NP_PKT_BAD_CHECKSUM);

	np_endpoint_str(&pi.src, pi.sport, buf, sizeof(buf));
	np_endpoint_str(&pi.icmp_inner.dst, pi.icmp_inner.dport, buf, sizeof(buf));
	return 0;
}
