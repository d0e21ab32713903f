/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_TEST_FRAMES_H
#define NP_TEST_FRAMES_H

/*
 * Frame builders shared by the unit tests and the fuzz targets: big-endian
 * writers, the IPv4 header checksum, and whole Ethernet + IPv4/IPv6 +
 * TCP/UDP/ICMP frames. Header-only and free of the test framework (the fuzz
 * targets use it too): a bad address gives a 0 length, callers check it.
 */

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static inline void tf_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void tf_wr32(uint8_t *p, uint32_t v)
{
	tf_wr16(p, (uint16_t)(v >> 16));
	tf_wr16(p + 2, (uint16_t)v);
}

/* One's-complement sum of @p n bytes (big-endian words), added to @p sum. */
static inline uint32_t tf_sum16(const uint8_t *p, uint32_t n, uint32_t sum)
{
	for (uint32_t i = 0; i < n; i += 2)
		sum += (uint32_t)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
	return sum;
}

static inline uint16_t tf_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Fill in the header checksum of the IPv4 header at @p ip (its IHL counts). */
static inline void tf_ipv4_csum(uint8_t *ip)
{
	uint32_t hl = (ip[0] & 0xfu) * 4;

	tf_wr16(ip + 10, 0);
	tf_wr16(ip + 10, tf_fold(tf_sum16(ip, hl, 0)));
}

static inline bool tf_is_v6(const char *ip)
{
	return strchr(ip, ':') != NULL;
}

/* Ethernet header (fixed MACs) with @p ethertype at @p p; its length. */
static inline uint32_t tf_put_eth(uint8_t *p, uint16_t ethertype)
{
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2 };

	memcpy(p, macs, 12);
	tf_wr16(p + 12, ethertype);
	return 14;
}

/*
 * IP header for @p src -> @p dst (IPv4 or IPv6 literals) carrying @p l4len
 * bytes of @p proto, at @p p; its length, 0 when an address is not one.
 */
static inline uint32_t tf_put_ip(uint8_t *p, const char *src, const char *dst, uint8_t proto,
				 uint32_t l4len)
{
	if (tf_is_v6(src)) {
		memset(p, 0, 40);
		p[0] = 0x60;
		tf_wr16(p + 4, (uint16_t)l4len);
		p[6] = proto;
		p[7] = 64;
		if (inet_pton(AF_INET6, src, p + 8) != 1 || inet_pton(AF_INET6, dst, p + 24) != 1)
			return 0;
		return 40;
	}
	memset(p, 0, 20);
	p[0] = 0x45;
	tf_wr16(p + 2, (uint16_t)(20 + l4len));
	p[8] = 64;
	p[9] = proto;
	if (inet_pton(AF_INET, src, p + 12) != 1 || inet_pton(AF_INET, dst, p + 16) != 1)
		return 0;
	tf_ipv4_csum(p);
	return 20;
}

/* Ethernet + IP + TCP (no options) + @p n payload bytes into @p b; its length (0: bad). */
static inline uint32_t tf_tcp(uint8_t *b, const char *src, uint16_t sport, const char *dst,
			      uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack,
			      const void *pl, uint32_t n)
{
	uint32_t off = tf_put_eth(b, tf_is_v6(src) ? 0x86dd : 0x0800), ip;
	uint8_t *tcp;

	ip = tf_put_ip(b + off, src, dst, 6, 20 + n);
	if (ip == 0)
		return 0;
	off += ip;
	tcp = b + off;
	memset(tcp, 0, 20);
	tf_wr16(tcp, sport);
	tf_wr16(tcp + 2, dport);
	tf_wr32(tcp + 4, seq);
	tf_wr32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	tf_wr16(tcp + 14, 65535);
	if (n)
		memcpy(tcp + 20, pl, n);
	return off + 20 + n;
}

/* Ethernet + IP + UDP + @p n payload bytes into @p b; its length (0: bad). */
static inline uint32_t tf_udp(uint8_t *b, const char *src, uint16_t sport, const char *dst,
			      uint16_t dport, const void *pl, uint32_t n)
{
	uint32_t off = tf_put_eth(b, tf_is_v6(src) ? 0x86dd : 0x0800), ip;
	uint8_t *udp;

	ip = tf_put_ip(b + off, src, dst, 17, 8 + n);
	if (ip == 0)
		return 0;
	off += ip;
	udp = b + off;
	tf_wr16(udp, sport);
	tf_wr16(udp + 2, dport);
	tf_wr16(udp + 4, (uint16_t)(8 + n));
	tf_wr16(udp + 6, 0);
	if (n)
		memcpy(udp + 8, pl, n);
	return off + 8 + n;
}

/*
 * ICMP (type 3) / ICMPv6 (type 1) unreachable from @p router to the SYN's
 * sender, quoting the SYN src:sport -> dst:dport (IP header + 8 TCP bytes),
 * into @p b; its length (0: bad).
 */
static inline uint32_t tf_icmp_unreach(uint8_t *b, const char *router, const char *src,
				       uint16_t sport, const char *dst, uint16_t dport,
				       uint8_t code, uint32_t seq)
{
	bool v6 = tf_is_v6(src);
	uint32_t off = tf_put_eth(b, v6 ? 0x86dd : 0x0800), ihl = v6 ? 40 : 20, ip;
	uint8_t *icmp, *in;

	ip = tf_put_ip(b + off, router, src, v6 ? 58 : 1, 8 + ihl + 8);
	if (ip == 0)
		return 0;
	off += ip;
	icmp = b + off;
	memset(icmp, 0, 8);
	icmp[0] = v6 ? 1 : 3;
	icmp[1] = code;
	in = icmp + 8;
	if (tf_put_ip(in, src, dst, 6, 20) == 0)
		return 0;
	tf_wr16(in + ihl, sport);
	tf_wr16(in + ihl + 2, dport);
	tf_wr32(in + ihl + 4, seq);
	return off + 8 + ihl + 8;
}

#endif /* NP_TEST_FRAMES_H */
