/* SPDX-License-Identifier: BSD-3-Clause */
/* Address classes for the detection rules. */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "np_nat.h"

/* np_addr_is_v4() without the call: the IPv4-mapped prefix, as two loads. */
static inline bool is_v4(const struct np_addr *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	uint64_t a0, p0;
	uint32_t a1, p1;

	memcpy(&a0, a->b, 8);
	memcpy(&a1, a->b + 8, 4);
	memcpy(&p0, prefix, 8);
	memcpy(&p1, prefix + 8, 4);
	return a0 == p0 && a1 == p1;
}

static uint32_t v4_of(const struct np_addr *a)
{
	return (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 | (uint32_t)a->b[14] << 8 |
	       a->b[15];
}

static bool in4(uint32_t v, uint32_t net, unsigned int len)
{
	uint32_t mask = len ? ~(uint32_t)0 << (32 - len) : 0;

	return (v & mask) == net;
}

static bool v4_private(uint32_t v)
{
	return in4(v, 0x0a000000, 8) ||	 /* 10/8 */
	       in4(v, 0xac100000, 12) || /* 172.16/12 */
	       in4(v, 0xc0a80000, 16) || /* 192.168/16 */
	       in4(v, 0x64400000, 10) || /* 100.64/10 */
	       in4(v, 0x7f000000, 8) ||	 /* 127/8 */
	       in4(v, 0xa9fe0000, 16);	 /* 169.254/16 */
}

static bool v6_loopback(const struct np_addr *a)
{
	static const uint8_t one[16] = { [15] = 1 };

	return memcmp(a->b, one, 16) == 0;
}

bool np_nat_addr_is_private(const struct np_addr *a)
{
	if (!a)
		return false;
	if (is_v4(a))
		return v4_private(v4_of(a));
	return v6_loopback(a) || (a->b[0] & 0xfe) == 0xfc ||	/* fc00::/7 */
	       (a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80) || /* fe80::/10 */
	       (a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0xc0);	/* fec0::/10 */
}

bool np_nat_addr_is_public(const struct np_addr *a)
{
	uint32_t v;

	if (!a)
		return false;
	if (!is_v4(a))
		return (a->b[0] & 0xe0) == 0x20; /* 2000::/3 */
	v = v4_of(a);
	return !v4_private(v) && !in4(v, 0, 8) && (v >> 28) != 0xe && (v >> 28) != 0xf;
}
