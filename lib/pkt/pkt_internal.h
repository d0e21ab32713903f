/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_PKT_INTERNAL_H
#define NP_PKT_INTERNAL_H

/* Wire constants and byte readers shared by the parser's .c files. */

#include <stdint.h>

#define NP_LIKELY(x) __builtin_expect(!!(x), 1)
#define NP_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define NP_ETH_HLEN 14
#define NP_VLAN_HLEN 4
#define NP_IPV4_HLEN 20
#define NP_IPV6_HLEN 40
#define NP_TCP_HLEN 20
#define NP_UDP_HLEN 8
#define NP_ICMP_HLEN 8

#define NP_ETHERTYPE_IPV4 0x0800
#define NP_ETHERTYPE_IPV6 0x86dd
#define NP_ETHERTYPE_VLAN 0x8100
#define NP_ETHERTYPE_QINQ 0x88a8
#define NP_ETHERTYPE_QINQ_OLD 0x9100
#define NP_ETH_MAX_LENGTH 1500 /* type/length field at or below: 802.3 length */

#define NP_TCP_FLAGS_OFF 13

/* Big-endian loads, byte by byte: no alignment assumption, one bswap'd load
 * after optimisation. */
static inline uint16_t np_rd16(const uint8_t *p)
{
	return (uint16_t)((unsigned int)p[0] << 8 | p[1]);
}

static inline uint32_t np_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#endif /* NP_PKT_INTERNAL_H */
