/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for lib/pkt: frames are built byte by byte below, no pcap. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "np_pkt.h"
#include "np_tunnel.h"

#include "frames.h"

/* ---- frame builder ------------------------------------------------------ */

struct fb {
	uint8_t b[2048];
	uint32_t len;
	uint32_t l3;  /* start of the last IP header written */
	uint8_t ipv;  /* its version */
	uint32_t udp; /* start of the last UDP header written, 0 if none */
};

static void put8(struct fb *f, uint8_t v)
{
	assert_true(f->len < sizeof(f->b));
	f->b[f->len++] = v;
}

static void put16(struct fb *f, uint16_t v)
{
	put8(f, (uint8_t)(v >> 8));
	put8(f, (uint8_t)v);
}

static void put32(struct fb *f, uint32_t v)
{
	put16(f, (uint16_t)(v >> 16));
	put16(f, (uint16_t)v);
}

static void put_bytes(struct fb *f, const void *p, uint32_t n)
{
	assert_true(f->len + n <= sizeof(f->b));
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

static void set16(struct fb *f, uint32_t off, uint16_t v)
{
	tf_wr16(f->b + off, v);
}

/* Ethernet header; type is the EtherType or the first tag's TPID. */
static void fb_eth(struct fb *f, uint16_t type)
{
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2 };

	memset(f, 0, sizeof(*f));
	put_bytes(f, macs, sizeof(macs));
	put16(f, type);
}

/* One VLAN tag (TCI with the given VLAN id and PCP 3), then the next type. */
static void fb_tag(struct fb *f, uint16_t vid, uint16_t next)
{
	put16(f, (uint16_t)(3 << 13 | vid));
	put16(f, next);
}

static uint32_t v4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* IPv4 header with opt_len bytes of options (NOPs + EOL); finished by fb_ip_end(). */
static void fb_ipv4(struct fb *f, uint8_t proto, const char *src, const char *dst, uint32_t opt_len)
{
	uint32_t s = v4(src), d = v4(dst);

	assert_int_equal(opt_len % 4, 0);
	f->l3 = f->len;
	f->ipv = 4;
	put8(f, (uint8_t)(0x40 | (5 + opt_len / 4)));
	put8(f, 0);
	put16(f, 0);	  /* total length, set by fb_ip_end */
	put16(f, 0x1234); /* id */
	put16(f, 0x4000); /* DF */
	put8(f, 64);
	put8(f, proto);
	put16(f, 0); /* checksum, set by fb_ip_end */
	put_bytes(f, &s, 4);
	put_bytes(f, &d, 4);
	for (uint32_t i = 0; i < opt_len; i++)
		put8(f, i + 1 < opt_len ? 1 : 0);
}

static void fb_ipv6(struct fb *f, uint8_t nh, const char *src, const char *dst)
{
	uint8_t s[16], d[16];

	assert_int_equal(inet_pton(AF_INET6, src, s), 1);
	assert_int_equal(inet_pton(AF_INET6, dst, d), 1);
	f->l3 = f->len;
	f->ipv = 6;
	put32(f, 0x60000000);
	put16(f, 0); /* payload length, set by fb_ip_end */
	put8(f, nh);
	put8(f, 57);
	put_bytes(f, s, 16);
	put_bytes(f, d, 16);
}

/* IPv6 extension header of 8 * (1 + units) bytes (AH: 4 * (2 + units)). */
static void fb_ext6(struct fb *f, uint8_t nh, uint8_t units, uint32_t total)
{
	put8(f, nh);
	put8(f, units);
	for (uint32_t i = 2; i < total; i++)
		put8(f, i == 2 ? 1 : 0); /* PadN-ish filler */
}

static void fb_frag6(struct fb *f, uint8_t nh, uint16_t offset, bool more, uint32_t id)
{
	put8(f, nh);
	put8(f, 0);
	put16(f, (uint16_t)(offset | (more ? 1 : 0)));
	put32(f, id);
}

static void fb_tcp(struct fb *f, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		   uint8_t flags, uint32_t opt_len)
{
	assert_int_equal(opt_len % 4, 0);
	put16(f, sport);
	put16(f, dport);
	put32(f, seq);
	put32(f, ack);
	put8(f, (uint8_t)((5 + opt_len / 4) << 4));
	put8(f, flags);
	put16(f, 64240);
	put16(f, 0);
	put16(f, 0);
	for (uint32_t i = 0; i < opt_len; i++)
		put8(f, 1); /* NOP */
}

/* UDP header; its length is set by fb_ip_end from what follows. */
static void fb_udp(struct fb *f, uint16_t sport, uint16_t dport)
{
	f->udp = f->len;
	put16(f, sport);
	put16(f, dport);
	put16(f, 0);
	put16(f, 0);
}

static void fb_str(struct fb *f, const char *s)
{
	put_bytes(f, s, (uint32_t)strlen(s));
}

/* Set IP (and UDP) lengths and the IPv4 checksum from the bytes written. */
static void fb_ip_end(struct fb *f)
{
	if (f->udp)
		set16(f, f->udp + 4, (uint16_t)(f->len - f->udp));
	if (f->ipv == 4) {
		set16(f, f->l3 + 2, (uint16_t)(f->len - f->l3));
		tf_ipv4_csum(f->b + f->l3);
	} else {
		set16(f, f->l3 + 4, (uint16_t)(f->len - f->l3 - 40));
	}
}

/* Recompute the IPv4 header checksum after a test changed the header. */
static void fb_fix_csum(struct fb *f)
{
	tf_ipv4_csum(f->b + f->l3);
}

static int parse(const struct fb *f, struct np_pkt_info *pi)
{
	return np_pkt_parse(f->b, f->len, pi);
}

static void assert_addr_str(const struct np_addr *a, const char *want)
{
	char buf[NP_ADDR_STRLEN];

	assert_string_equal(np_addr_str(a, buf, sizeof(buf)), want);
}

/* The seed's SIP SERVICE: 64.100.0.10:7003 -> 10.0.30.2:27901, 12 bytes of TCP options. */
static void build_v4_tcp(struct fb *f)
{
	fb_eth(f, 0x0800);
	fb_ipv4(f, 6, "64.100.0.10", "10.0.30.2", 0);
	fb_tcp(f, 7003, 27901, 1000, 2000, 0x18, 12);
	fb_str(f, "SERVICE sip:x SIP/2.0\r\n");
	fb_ip_end(f);
}

/* ---- IPv4 --------------------------------------------------------------- */

static void test_ipv4_tcp_options(void **state)
{
	struct np_pkt_info pi;
	struct np_addr a;
	struct fb f;

	(void)state;
	build_v4_tcp(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_TCP);
	assert_int_equal(pi.cls, NP_PKT_TCP);
	assert_int_equal(pi.ip_version, 4);
	assert_int_equal(pi.l4_proto, 6);
	assert_int_equal(pi.n_vlans, 0);
	assert_int_equal(pi.l3_off, 14);
	assert_int_equal(pi.l4_off, 34);
	assert_int_equal(pi.payload_off, 34 + 32);
	assert_int_equal(pi.payload_len, 23);
	assert_memory_equal(f.b + pi.payload_off, "SERVICE", 7);
	assert_int_equal(pi.sport, 7003);
	assert_int_equal(pi.dport, 27901);
	assert_int_equal(pi.tcp_seq, 1000);
	assert_int_equal(pi.tcp_ack, 2000);
	assert_int_equal(pi.tcp_flags, 0x18);
	assert_int_equal(pi.ttl, 64);
	np_addr_from_v4(&a, v4("64.100.0.10"));
	assert_memory_equal(&pi.src, &a, sizeof(a));
	assert_addr_str(&pi.dst, "10.0.30.2");
	assert_false(pi.icmp_inner.valid);
}

static void test_ipv4_ip_options(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 6, "10.0.0.1", "10.0.0.2", 8);
	fb_tcp(&f, 40000, 5060, 7, 0, 0x02, 0);
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_TCP);
	assert_int_equal(pi.l4_off, 14 + 28);
	assert_int_equal(pi.payload_off, 14 + 28 + 20);
	assert_int_equal(pi.payload_len, 0);
	assert_int_equal(pi.tcp_flags, 0x02);
	assert_int_equal(pi.dport, 5060);
}

static void test_ipv4_udp(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 17, "192.0.2.1", "198.51.100.7", 0);
	fb_udp(&f, 5060, 5062);
	fb_str(&f, "OPTIONS sip:a SIP/2.0\r\n\r\n");
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_UDP);
	assert_int_equal(pi.l4_proto, 17);
	assert_int_equal(pi.sport, 5060);
	assert_int_equal(pi.dport, 5062);
	assert_int_equal(pi.l4_off, 34);
	assert_int_equal(pi.payload_off, 42);
	assert_int_equal(pi.payload_len, 25);
	assert_addr_str(&pi.src, "192.0.2.1");
	assert_addr_str(&pi.dst, "198.51.100.7");
}

static void test_ipv4_sctp_ports(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 132, "192.0.2.1", "192.0.2.2", 0);
	put16(&f, 2905);
	put16(&f, 2906);
	put32(&f, 0);
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_IP_OTHER);
	assert_int_equal(pi.l4_proto, 132);
	assert_int_equal(pi.sport, 2905);
	assert_int_equal(pi.dport, 2906);
	assert_int_equal(pi.payload_off, 34);
	assert_int_equal(pi.payload_len, 8);
}

static void test_ipv4_gre_no_ports(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 47, "192.0.2.1", "192.0.2.2", 0);
	put32(&f, 0x00000800);
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_IP_OTHER);
	assert_int_equal(pi.l4_proto, 47);
	assert_int_equal(pi.sport, 0);
	assert_int_equal(pi.dport, 0);
}

static void test_ipv4_fragment_first(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 17, "10.0.0.1", "10.0.0.2", 0);
	fb_udp(&f, 5060, 5060);
	fb_str(&f, "INVITE sip:b SIP/2.0\r\n");
	fb_ip_end(&f);
	set16(&f, f.l3 + 6, 0x2000); /* MF, offset 0 */
	fb_fix_csum(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_FRAGMENT);
	assert_int_equal(pi.frag.id, 0x1234);
	assert_int_equal(pi.frag.offset, 0);
	assert_true(pi.frag.more);
	assert_int_equal(pi.l4_proto, 17);
	assert_int_equal(pi.l4_off, 34);
	assert_int_equal(pi.sport, 5060);
	assert_int_equal(pi.dport, 5060);
	assert_int_equal(pi.payload_off, 34);
	assert_int_equal(pi.payload_len, 8 + 22);
}

static void test_ipv4_fragment_later(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 17, "10.0.0.1", "10.0.0.2", 0);
	fb_str(&f, "rest of the INVITE");
	fb_ip_end(&f);
	set16(&f, f.l3 + 6, 185); /* offset 1480, last fragment */
	fb_fix_csum(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_FRAGMENT);
	assert_int_equal(pi.frag.offset, 1480);
	assert_false(pi.frag.more);
	assert_int_equal(pi.l4_off, 0);
	assert_int_equal(pi.sport, 0);
	assert_int_equal(pi.payload_off, 34);
	assert_int_equal(pi.payload_len, 18);
}

static void test_ipv4_bad_checksum(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	build_v4_tcp(&f);
	f.b[f.l3 + 10] ^= 0x01;
	assert_int_equal(parse(&f, &pi), NP_PKT_BAD_CHECKSUM);
	assert_int_equal(pi.ip_version, 4);
	assert_addr_str(&pi.src, "64.100.0.10");
	assert_int_equal(pi.sport, 7003);
	assert_int_equal(pi.dport, 27901);
	assert_int_equal(pi.tcp_flags, 0x18);
}

static void test_ipv4_bad_ihl(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	build_v4_tcp(&f);
	f.b[f.l3] = 0x44;
	assert_int_equal(parse(&f, &pi), NP_PKT_BAD_HEADER);
	assert_int_equal(pi.ip_version, 0);
	assert_int_equal(pi.sport, 0);
}

static void test_ipv4_bad_version(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	build_v4_tcp(&f);
	f.b[f.l3] = 0x65;
	assert_int_equal(parse(&f, &pi), NP_PKT_BAD_HEADER);
}

static void test_ipv4_total_length_below_ihl(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	build_v4_tcp(&f);
	set16(&f, f.l3 + 2, 19);
	fb_fix_csum(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_BAD_HEADER);
}

static void test_ipv4_ihl_past_frame(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 6, "10.0.0.1", "10.0.0.2", 0);
	fb_ip_end(&f);
	f.b[f.l3] = 0x4f; /* 60-byte header, 20 present */
	assert_int_equal(parse(&f, &pi), NP_PKT_TRUNCATED);
	assert_int_equal(pi.ip_version, 4);
}

static void test_tcp_bad_data_offset(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	build_v4_tcp(&f);
	f.b[34 + 12] = 0x40;
	assert_int_equal(parse(&f, &pi), NP_PKT_BAD_HEADER);
	assert_int_equal(pi.sport, 7003);
	assert_int_equal(pi.payload_off, 0);
}

static void test_tcp_data_offset_past_packet(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 6, "10.0.0.1", "10.0.0.2", 0);
	fb_tcp(&f, 1, 2, 0, 0, 0x02, 0);
	fb_ip_end(&f);
	f.b[34 + 12] = 0xf0; /* 60-byte TCP header in a 20-byte segment */
	assert_int_equal(parse(&f, &pi), NP_PKT_TRUNCATED);
	assert_int_equal(pi.sport, 1);
}

static void test_ethernet_padding(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 17, "10.0.0.1", "10.0.0.2", 0);
	fb_udp(&f, 1000, 2000);
	fb_str(&f, "ab");
	fb_ip_end(&f);
	assert_int_equal(f.len, 44);
	while (f.len < 60)
		put8(&f, 0xee);
	assert_int_equal(parse(&f, &pi), NP_PKT_UDP);
	assert_int_equal(pi.payload_off, 42);
	assert_int_equal(pi.payload_len, 2);
}

static void test_ipv4_length_past_frame(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	build_v4_tcp(&f);
	f.len -= 5; /* a snaplen cut in the payload */
	assert_int_equal(parse(&f, &pi), NP_PKT_TRUNCATED);
	assert_int_equal(pi.sport, 7003);
	assert_int_equal(pi.payload_off, 66);
	assert_int_equal(pi.payload_len, 23 - 5);
}

static void test_udp_length_too_small(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 17, "10.0.0.1", "10.0.0.2", 0);
	fb_udp(&f, 1000, 2000);
	fb_ip_end(&f);
	set16(&f, f.udp + 4, 7);
	assert_int_equal(parse(&f, &pi), NP_PKT_BAD_HEADER);
	assert_int_equal(pi.sport, 1000);
}

static void test_udp_length_past_ip(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 17, "10.0.0.1", "10.0.0.2", 0);
	fb_udp(&f, 1000, 2000);
	fb_str(&f, "abcd");
	fb_ip_end(&f);
	set16(&f, f.udp + 4, 13);
	assert_int_equal(parse(&f, &pi), NP_PKT_BAD_HEADER);
}

static void test_udp_length_below_ip(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 17, "10.0.0.1", "10.0.0.2", 0);
	fb_udp(&f, 1000, 2000);
	fb_str(&f, "abcd");
	fb_ip_end(&f);
	set16(&f, f.udp + 4, 10);
	assert_int_equal(parse(&f, &pi), NP_PKT_UDP);
	assert_int_equal(pi.payload_len, 2);
}

/* ---- VLAN --------------------------------------------------------------- */

static void test_vlan(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x8100);
	fb_tag(&f, 100, 0x0800);
	fb_ipv4(&f, 17, "10.0.0.1", "10.0.0.2", 0);
	fb_udp(&f, 5060, 5060);
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_UDP);
	assert_int_equal(pi.n_vlans, 1);
	assert_int_equal(pi.vlan[0], 100);
	assert_int_equal(pi.vlan[1], 0);
	assert_int_equal(pi.l3_off, 18);
	assert_int_equal(pi.l4_off, 38);
}

static void test_qinq_88a8(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x88a8);
	fb_tag(&f, 200, 0x8100);
	fb_tag(&f, 4095, 0x0800);
	fb_ipv4(&f, 6, "10.0.0.1", "10.0.0.2", 0);
	fb_tcp(&f, 1, 2, 3, 4, 0x10, 0);
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_TCP);
	assert_int_equal(pi.n_vlans, 2);
	assert_int_equal(pi.vlan[0], 200);
	assert_int_equal(pi.vlan[1], 4095);
	assert_int_equal(pi.l3_off, 22);
}

static void test_qinq_9100(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x9100);
	fb_tag(&f, 7, 0x8100);
	fb_tag(&f, 8, 0x86dd);
	fb_ipv6(&f, 17, "2001:db8::1", "2001:db8::2");
	fb_udp(&f, 5060, 5060);
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_UDP);
	assert_int_equal(pi.n_vlans, 2);
	assert_int_equal(pi.vlan[0], 7);
	assert_int_equal(pi.vlan[1], 8);
	assert_int_equal(pi.l3_off, 22);
}

static void test_three_tags_parsed_two_recorded(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x88a8);
	fb_tag(&f, 1, 0x8100);
	fb_tag(&f, 2, 0x8100);
	fb_tag(&f, 3, 0x0800);
	fb_ipv4(&f, 17, "10.0.0.1", "10.0.0.2", 0);
	fb_udp(&f, 1, 2);
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_UDP);
	assert_int_equal(pi.n_vlans, 2);
	assert_int_equal(pi.vlan[0], 1);
	assert_int_equal(pi.vlan[1], 2);
	assert_int_equal(pi.l3_off, 26);
}

static void test_too_many_tags(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x8100);
	for (int i = 0; i < NP_PKT_MAX_VLAN_TAGS; i++)
		fb_tag(&f, (uint16_t)i, 0x8100);
	fb_tag(&f, 99, 0x0800);
	fb_ipv4(&f, 17, "10.0.0.1", "10.0.0.2", 0);
	fb_udp(&f, 1, 2);
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_BAD_HEADER);
	assert_int_equal(pi.n_vlans, 2);
}

static void test_vlan_tag_truncated(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x8100);
	put16(&f, 100);
	assert_int_equal(parse(&f, &pi), NP_PKT_TRUNCATED);
	assert_int_equal(pi.n_vlans, 0);
}

/* ---- IPv6 --------------------------------------------------------------- */

static void test_ipv6_tcp(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 6, "2001:db8::a", "2001:db8:1::5060");
	fb_tcp(&f, 5061, 41000, 0xfffffff0, 0x80000001, 0x12, 8);
	fb_str(&f, "x");
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_TCP);
	assert_int_equal(pi.ip_version, 6);
	assert_int_equal(pi.ttl, 57);
	assert_int_equal(pi.l3_off, 14);
	assert_int_equal(pi.l4_off, 54);
	assert_int_equal(pi.payload_off, 54 + 28);
	assert_int_equal(pi.payload_len, 1);
	assert_int_equal(pi.tcp_seq, 0xfffffff0);
	assert_int_equal(pi.tcp_ack, 0x80000001);
	assert_int_equal(pi.tcp_flags, 0x12);
	assert_false(np_addr_is_v4(&pi.src));
	assert_addr_str(&pi.src, "2001:db8::a");
	assert_addr_str(&pi.dst, "2001:db8:1::5060");
}

static void test_ipv6_ext_headers(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 0, "2001:db8::1", "2001:db8::2");
	fb_ext6(&f, 60, 0, 8);	/* hop-by-hop, 8 bytes */
	fb_ext6(&f, 51, 1, 16); /* destination options, 16 bytes */
	fb_ext6(&f, 17, 1, 12); /* AH, (1 + 2) * 4 = 12 bytes */
	fb_udp(&f, 5060, 5070);
	fb_str(&f, "hello");
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_UDP);
	assert_int_equal(pi.l4_proto, 17);
	assert_int_equal(pi.l4_off, 54 + 8 + 16 + 12);
	assert_int_equal(pi.payload_off, 54 + 36 + 8);
	assert_int_equal(pi.payload_len, 5);
	assert_int_equal(pi.sport, 5060);
	assert_int_equal(pi.dport, 5070);
}

static void test_ipv6_ext_header_past_packet(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 60, "2001:db8::1", "2001:db8::2");
	fb_ext6(&f, 17, 1, 12); /* claims 16 bytes, 12 follow */
	fb_ip_end(&f);
	for (int i = 0; i < 20; i++)
		put8(&f, 0); /* padding past the IPv6 payload length */
	assert_int_equal(parse(&f, &pi), NP_PKT_TRUNCATED);
	assert_int_equal(pi.l4_proto, 60);
}

static void test_ipv6_too_many_ext_headers(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 60, "2001:db8::1", "2001:db8::2");
	for (int i = 0; i < NP_PKT_MAX_IPV6_EXT; i++)
		fb_ext6(&f, 60, 0, 8);
	fb_ext6(&f, 17, 0, 8);
	fb_udp(&f, 1, 2);
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_BAD_HEADER);
}

static void test_ipv6_max_ext_headers(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 60, "2001:db8::1", "2001:db8::2");
	for (int i = 0; i < NP_PKT_MAX_IPV6_EXT - 1; i++)
		fb_ext6(&f, 60, 0, 8);
	fb_ext6(&f, 17, 0, 8);
	fb_udp(&f, 1, 2);
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_UDP);
	assert_int_equal(pi.l4_off, 54 + 8 * NP_PKT_MAX_IPV6_EXT);
}

static void test_ipv6_fragment_first(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 44, "2001:db8::1", "2001:db8::2");
	fb_frag6(&f, 17, 0, true, 0xdeadbeef);
	fb_udp(&f, 5060, 5060);
	fb_str(&f, "INVITE");
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_FRAGMENT);
	assert_int_equal(pi.frag.id, 0xdeadbeef);
	assert_int_equal(pi.frag.offset, 0);
	assert_true(pi.frag.more);
	assert_int_equal(pi.l4_proto, 17);
	assert_int_equal(pi.l4_off, 62);
	assert_int_equal(pi.sport, 5060);
	assert_int_equal(pi.payload_off, 62);
	assert_int_equal(pi.payload_len, 14);
}

static void test_ipv6_fragment_later(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 44, "2001:db8::1", "2001:db8::2");
	fb_frag6(&f, 17, 1448, false, 77);
	fb_str(&f, "tail");
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_FRAGMENT);
	assert_int_equal(pi.frag.id, 77);
	assert_int_equal(pi.frag.offset, 1448);
	assert_false(pi.frag.more);
	assert_int_equal(pi.l4_proto, 17);
	assert_int_equal(pi.l4_off, 0);
	assert_int_equal(pi.sport, 0);
	assert_int_equal(pi.payload_off, 62);
	assert_int_equal(pi.payload_len, 4);
}

static void test_ipv6_atomic_fragment(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 44, "2001:db8::1", "2001:db8::2");
	fb_frag6(&f, 17, 0, false, 5);
	fb_udp(&f, 1, 2);
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_UDP);
	assert_int_equal(pi.l4_off, 62);
}

static void test_ipv6_esp_is_ip_other(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 50, "2001:db8::1", "2001:db8::2");
	put32(&f, 0x100);
	put32(&f, 1);
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_IP_OTHER);
	assert_int_equal(pi.l4_proto, 50);
	assert_int_equal(pi.l4_off, 54);
	assert_int_equal(pi.payload_len, 8);
}

static void test_ipv6_bad_version(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 17, "2001:db8::1", "2001:db8::2");
	fb_udp(&f, 1, 2);
	fb_ip_end(&f);
	f.b[14] = 0x40;
	assert_int_equal(parse(&f, &pi), NP_PKT_BAD_HEADER);
}

/* ---- ICMP --------------------------------------------------------------- */

/* ICMP port unreachable answering the seed's phantom SYN 10.0.30.2:27901 -> 64.100.0.10:4401. */
static void test_icmp_unreachable_inner_tuple(void **state)
{
	struct np_pkt_info pi;
	struct fb in, f;

	(void)state;
	memset(&in, 0, sizeof(in));
	fb_ipv4(&in, 6, "10.0.30.2", "64.100.0.10", 0);
	fb_tcp(&in, 27901, 4401, 99, 0, 0x02, 0);
	fb_ip_end(&in);
	in.len = 28; /* RFC 792: IP header + 8 bytes */

	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 1, "10.0.30.1", "10.0.30.2", 0);
	put8(&f, 3);
	put8(&f, 3);
	put16(&f, 0);
	put32(&f, 0);
	put_bytes(&f, in.b, in.len);
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_ICMP);
	assert_int_equal(pi.l4_proto, 1);
	assert_int_equal(pi.icmp_type, 3);
	assert_int_equal(pi.icmp_code, 3);
	assert_int_equal(pi.payload_off, 42);
	assert_int_equal(pi.payload_len, 28);
	assert_true(pi.icmp_inner.valid);
	assert_int_equal(pi.icmp_inner.proto, 6);
	assert_addr_str(&pi.icmp_inner.src, "10.0.30.2");
	assert_addr_str(&pi.icmp_inner.dst, "64.100.0.10");
	assert_int_equal(pi.icmp_inner.sport, 27901);
	assert_int_equal(pi.icmp_inner.dport, 4401);
}

static void test_icmp_inner_cut_before_ports(void **state)
{
	struct np_pkt_info pi;
	struct fb in, f;

	(void)state;
	memset(&in, 0, sizeof(in));
	fb_ipv4(&in, 17, "10.0.30.2", "64.100.0.10", 0);
	fb_udp(&in, 5060, 5060);
	fb_ip_end(&in);
	in.len = 22; /* 2 bytes of UDP only */

	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 1, "10.0.30.1", "10.0.30.2", 0);
	put32(&f, 0x0b000000); /* time exceeded */
	put32(&f, 0);
	put_bytes(&f, in.b, in.len);
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_ICMP);
	assert_int_equal(pi.icmp_type, 11);
	assert_false(pi.icmp_inner.valid);
	assert_int_equal(pi.icmp_inner.proto, 17);
	assert_addr_str(&pi.icmp_inner.dst, "64.100.0.10");
	assert_int_equal(pi.icmp_inner.sport, 0);
}

static void test_icmp_echo_no_inner(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 1, "10.0.0.1", "10.0.0.2", 0);
	put32(&f, 0x08000000);
	put32(&f, 0x00010001);
	/* payload that looks like an IPv4 header must not be read as one */
	put8(&f, 0x45);
	for (int i = 0; i < 27; i++)
		put8(&f, 0);
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_ICMP);
	assert_int_equal(pi.icmp_type, 8);
	assert_false(pi.icmp_inner.valid);
	assert_int_equal(pi.icmp_inner.proto, 0);
}

static void test_icmp_header_truncated(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 1, "10.0.0.1", "10.0.0.2", 0);
	put32(&f, 0x03010000);
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_TRUNCATED);
}

static void test_icmpv6_unreachable_inner_tuple(void **state)
{
	struct np_pkt_info pi;
	struct fb in, f;

	(void)state;
	memset(&in, 0, sizeof(in));
	fb_ipv6(&in, 60, "2001:db8::c", "2001:db8::e");
	fb_ext6(&in, 6, 0, 8);
	fb_tcp(&in, 33000, 5061, 1, 0, 0x02, 0);
	fb_ip_end(&in);

	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 58, "2001:db8::1", "2001:db8::c");
	put8(&f, 1);
	put8(&f, 4);
	put16(&f, 0);
	put32(&f, 0);
	put_bytes(&f, in.b, in.len);
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_ICMP);
	assert_int_equal(pi.l4_proto, 58);
	assert_int_equal(pi.icmp_type, 1);
	assert_int_equal(pi.icmp_code, 4);
	assert_true(pi.icmp_inner.valid);
	assert_int_equal(pi.icmp_inner.proto, 6);
	assert_addr_str(&pi.icmp_inner.src, "2001:db8::c");
	assert_addr_str(&pi.icmp_inner.dst, "2001:db8::e");
	assert_int_equal(pi.icmp_inner.sport, 33000);
	assert_int_equal(pi.icmp_inner.dport, 5061);
}

static void test_icmpv6_too_big_inner_udp(void **state)
{
	struct np_pkt_info pi;
	struct fb in, f;

	(void)state;
	memset(&in, 0, sizeof(in));
	fb_ipv6(&in, 17, "2001:db8::c", "2001:db8::e");
	fb_udp(&in, 5060, 5062);
	fb_str(&in, "INVITE");
	fb_ip_end(&in);

	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 58, "2001:db8::1", "2001:db8::c");
	put32(&f, 0x02000000); /* packet too big */
	put32(&f, 1280);       /* MTU */
	put_bytes(&f, in.b, in.len);
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_ICMP);
	assert_int_equal(pi.icmp_type, 2);
	assert_true(pi.icmp_inner.valid);
	assert_int_equal(pi.icmp_inner.proto, 17);
	assert_int_equal(pi.icmp_inner.sport, 5060);
	assert_int_equal(pi.icmp_inner.dport, 5062);
}

static void test_icmpv6_echo_no_inner(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 58, "2001:db8::1", "2001:db8::c");
	put32(&f, 0x80000000); /* echo request */
	put32(&f, 0x00010001);
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_ICMP);
	assert_int_equal(pi.icmp_type, 128);
	assert_int_equal(pi.payload_len, 0);
	assert_false(pi.icmp_inner.valid);
}

static void test_icmp_proto_mismatch_is_ip_other(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 1, "2001:db8::1", "2001:db8::2"); /* ICMPv4 in IPv6 */
	put32(&f, 0x03030000);
	put32(&f, 0);
	fb_ip_end(&f);
	assert_int_equal(parse(&f, &pi), NP_PKT_IP_OTHER);
	assert_int_equal(pi.icmp_type, 0);
}

/* ---- non-IP, runts, truncation ----------------------------------------- */

static void test_arp_is_non_ip(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x0806);
	for (int i = 0; i < 28; i++)
		put8(&f, 0);
	assert_int_equal(parse(&f, &pi), NP_PKT_NON_IP);
	assert_int_equal(pi.ip_version, 0);
	assert_int_equal(pi.l3_off, 0);
}

static void test_other_non_ip(void **state)
{
	static const uint16_t types[] = { 0x8035, 0x88cc, 0x8809, 0x888e, 0x88f7,
					  0x8808, 0x0000, 0x002e, 1500 };
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		fb_eth(&f, types[i]);
		put32(&f, 0);
		assert_int_equal(parse(&f, &pi), NP_PKT_NON_IP);
	}
}

static void test_vlan_arp_is_non_ip(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	fb_eth(&f, 0x8100);
	fb_tag(&f, 42, 0x0806);
	assert_int_equal(parse(&f, &pi), NP_PKT_NON_IP);
	assert_int_equal(pi.n_vlans, 1);
	assert_int_equal(pi.vlan[0], 42);
}

static void test_unknown_ethertype(void **state)
{
	static const uint16_t types[] = { 0x88b5, 0x8847, 0x8864, 1501, 0x05ff, 0xffff };
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		fb_eth(&f, types[i]);
		put32(&f, 0x45000000);
		assert_int_equal(parse(&f, &pi), NP_PKT_UNKNOWN_ETHERTYPE);
		assert_int_equal(pi.ip_version, 0);
	}
}

static void test_runt(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	build_v4_tcp(&f);
	assert_int_equal(np_pkt_parse(NULL, 0, &pi), NP_PKT_RUNT);
	for (uint32_t n = 0; n < 14; n++) {
		/* an exactly-sized heap copy, so a sanitizer sees any over-read */
		uint8_t *p = malloc(n ? n : 1);

		assert_non_null(p);
		memcpy(p, f.b, n);
		memset(&pi, 0xa5, sizeof(pi));
		assert_int_equal(np_pkt_parse(p, n, &pi), NP_PKT_RUNT);
		assert_int_equal(pi.cls, NP_PKT_RUNT);
		assert_int_equal(pi.ip_version, 0);
		assert_int_equal(pi.sport, 0);
		free(p);
	}
}

/* Every proper prefix of a valid frame is a runt or truncated, read in bounds. */
static void assert_prefixes_truncated(const struct fb *f, int full_cls)
{
	struct np_pkt_info pi;

	for (uint32_t n = 0; n <= f->len; n++) {
		uint8_t *p = malloc(n ? n : 1);
		int cls;

		assert_non_null(p);
		memcpy(p, f->b, n);
		cls = np_pkt_parse(p, n, &pi);
		free(p);
		if (n == f->len)
			assert_int_equal(cls, full_cls);
		else if (n < 14)
			assert_int_equal(cls, NP_PKT_RUNT);
		else
			assert_int_equal(cls, NP_PKT_TRUNCATED);
		assert_true(pi.payload_off + pi.payload_len <= n);
		assert_true(pi.l4_off <= n);
	}
}

static void test_truncated_every_prefix_v4_tcp(void **state)
{
	struct fb f;

	(void)state;
	build_v4_tcp(&f);
	assert_prefixes_truncated(&f, NP_PKT_TCP);
}

static void test_truncated_every_prefix_qinq_v6_ext_udp(void **state)
{
	struct fb f;

	(void)state;
	fb_eth(&f, 0x88a8);
	fb_tag(&f, 1, 0x8100);
	fb_tag(&f, 2, 0x86dd);
	fb_ipv6(&f, 0, "2001:db8::1", "2001:db8::2");
	fb_ext6(&f, 17, 1, 16);
	fb_udp(&f, 5060, 5060);
	fb_str(&f, "BYE");
	fb_ip_end(&f);
	assert_prefixes_truncated(&f, NP_PKT_UDP);
}

/* ---- the plain-frame fast path against the general parser ---------------- */

/* The fields of np_pkt_info (trailing padding left out), as both parsers fill them. */
#define PI_BYTES \
	(offsetof(struct np_pkt_info, icmp_inner) + sizeof(((struct np_pkt_info *)0)->icmp_inner))

/* Every checksum mode: np_pkt_parse_csum() (fast path first) == np_pkt_parse_full(). */
static unsigned int assert_same_as_full(const uint8_t *b, uint32_t len)
{
	unsigned int plain = 0;

	for (unsigned int m = 0; m < NP_PKT_CSUM_MODE_MAX; m++) {
		struct np_pkt_info a, g;
		int ca, cg;

		memset(&a, 0xa5, sizeof(a));
		memset(&g, 0x5a, sizeof(g));
		ca = np_pkt_parse_csum(b, len, m, &a);
		cg = np_pkt_parse_full(b, len, m, &g);
		assert_int_equal(ca, cg);
		assert_memory_equal(&a, &g, PI_BYTES);
		plain += ca == NP_PKT_TCP || ca == NP_PKT_UDP;
	}
	return plain;
}

/*
 * Plain frames of each kind the fast path takes (untagged and 802.1Q, IPv4
 * and IPv6, TCP and UDP, padded) and neighbours it must leave to the general
 * parser, then every header byte of each changed to several values (which
 * makes options, fragments, other protocols, QinQ, bad lengths and
 * checksums, ...), and every prefix: the two parsers agree on all of them.
 */
static void test_plain_fast_path_same_as_full(void **state)
{
	static const uint8_t vals[] = { 0x00, 0x01, 0x05, 0x06, 0x11, 0x14, 0x20, 0x3f, 0x40, 0x45,
					0x46, 0x50, 0x60, 0x81, 0x86, 0x88, 0xdd, 0xf0, 0xff };
	struct fb frames[12];
	unsigned int n = 0, plain = 0, checked = 0;

	(void)state;
	for (unsigned int tag = 0; tag < 2; tag++) {
		for (unsigned int v6 = 0; v6 < 2; v6++) {
			for (unsigned int tcp = 0; tcp < 2; tcp++) {
				struct fb *f = &frames[n++];

				fb_eth(f, tag ? 0x8100 : (v6 ? 0x86dd : 0x0800));
				if (tag)
					fb_tag(f, 42, v6 ? 0x86dd : 0x0800);
				if (v6)
					fb_ipv6(f, tcp ? 6 : 17, "2001:db8::1", "2001:db8::2");
				else
					fb_ipv4(f, tcp ? 6 : 17, "192.0.2.1", "198.51.100.2", 0);
				if (tcp)
					fb_tcp(f, 5060, 40000, 7, 9, 0x18, tag ? 4 : 0);
				else
					fb_udp(f, 5060, 16384);
				fb_str(f, "INVITE sip:a@b SIP/2.0\r\n");
				fb_ip_end(f);
			}
		}
	}
	/* Ethernet padding after a short UDP datagram, and a UDP length below IP's */
	frames[n] = frames[0];
	for (unsigned int i = 0; i < 20; i++)
		put8(&frames[n], 0);
	n++;
	frames[n] = frames[0];
	set16(&frames[n], frames[n].udp + 4, 12);
	n++;
	/* IPv4 options and a zero checksum: the general parser's */
	fb_eth(&frames[n], 0x0800);
	fb_ipv4(&frames[n], 17, "192.0.2.1", "198.51.100.2", 4);
	fb_udp(&frames[n], 1, 2);
	fb_ip_end(&frames[n]);
	n++;
	frames[n] = frames[1];
	set16(&frames[n], frames[n].l3 + 10, 0);
	n++;
	for (unsigned int i = 0; i < n; i++) {
		const struct fb *f = &frames[i];
		uint32_t hdr = f->len < 90 ? f->len : 90;

		plain += assert_same_as_full(f->b, f->len);
		for (uint32_t k = 0; k <= f->len; k++, checked++)
			assert_same_as_full(f->b, k);
		for (uint32_t off = 12; off < hdr; off++) {
			for (unsigned int v = 0; v < sizeof(vals); v++, checked++) {
				struct fb m = *f;

				m.b[off] = vals[v];
				assert_same_as_full(m.b, m.len);
				if (m.ipv == 4 &&
				    off > m.l3 + 11) { /* addresses, ports: valid again */
					fb_fix_csum(&m);
					plain += assert_same_as_full(m.b, m.len);
				}
			}
		}
	}
	/* the fast path did take frames (4 modes x each plain frame at least) */
	assert_true(plain >= 4 * 9);
	assert_true(checked > 10000);
}

/* ---- helpers ------------------------------------------------------------ */

static void test_addr_v4(void **state)
{
	static const uint8_t want[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 10, 2 };
	struct np_addr a;
	char buf[NP_ENDPOINT_STRLEN];

	(void)state;
	np_addr_from_v4(&a, htonl(0x0a000a02));
	assert_memory_equal(a.b, want, 16);
	assert_true(np_addr_is_v4(&a));
	assert_string_equal(np_addr_str(&a, buf, sizeof(buf)), "10.0.10.2");
	assert_string_equal(np_endpoint_str(&a, 7003, buf, sizeof(buf)), "10.0.10.2:7003");
	assert_string_equal(np_endpoint_str(&a, 0, buf, sizeof(buf)), "10.0.10.2:0");
}

static void test_addr_v6(void **state)
{
	struct np_addr a;
	char buf[NP_ENDPOINT_STRLEN];

	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", a.b), 1);
	assert_false(np_addr_is_v4(&a));
	assert_string_equal(np_addr_str(&a, buf, sizeof(buf)), "2001:db8::1");
	assert_string_equal(np_endpoint_str(&a, 5061, buf, sizeof(buf)), "[2001:db8::1]:5061");
	assert_int_equal(inet_pton(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", a.b), 1);
	assert_string_equal(np_endpoint_str(&a, 65535, buf, sizeof(buf)),
			    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
}

static void test_addr_str_small_buffer(void **state)
{
	struct np_addr a;
	char buf[8];

	(void)state;
	np_addr_from_v4(&a, htonl(0xc0a80101));
	memset(buf, 'x', sizeof(buf));
	assert_string_equal(np_addr_str(&a, buf, sizeof(buf)), "");
	memset(buf, 'x', sizeof(buf));
	assert_string_equal(np_endpoint_str(&a, 80, buf, sizeof(buf)), "");
	assert_ptr_equal(np_addr_str(&a, buf, 0), buf);
}

static void test_class_names_stable(void **state)
{
	static const char *const want[NP_PKT_CLASS_MAX] = {
		"tcp",	     "udp",	   "icmp",	   "ip_other",
		"fragment",  "runt",	   "non_ip",	   "unknown_ethertype",
		"truncated", "bad_header", "bad_checksum",
	};

	(void)state;
	assert_int_equal(NP_PKT_CLASS_MAX, 11);
	for (unsigned int i = 0; i < NP_PKT_CLASS_MAX; i++)
		assert_string_equal(np_pkt_class_name(i), want[i]);
	assert_string_equal(np_pkt_class_name(NP_PKT_CLASS_MAX), "invalid");
	assert_string_equal(np_pkt_class_name(~0u), "invalid");
}

/* ---- IPv4 header checksum modes ---------------------------------------- */

static void test_csum_zero_modes(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	build_v4_tcp(&f);
	set16(&f, f.l3 + 10, 0); /* what a host that offloads the checksum writes */
	assert_int_equal(parse(&f, &pi), NP_PKT_BAD_CHECKSUM);
	assert_int_equal(pi.ip_csum, NP_PKT_IP_CSUM_ZERO);
	assert_int_equal(np_pkt_parse_csum(f.b, f.len, NP_PKT_CSUM_VERIFY, &pi),
			 NP_PKT_BAD_CHECKSUM);
	assert_int_equal(np_pkt_parse_csum(f.b, f.len, NP_PKT_CSUM_ACCEPT_ZERO, &pi), NP_PKT_TCP);
	assert_int_equal(pi.ip_csum, NP_PKT_IP_CSUM_ZERO);
	assert_int_equal(pi.dport, 27901);
	assert_int_equal(pi.payload_len, strlen("SERVICE sip:x SIP/2.0\r\n"));
	assert_int_equal(np_pkt_parse_csum(f.b, f.len, NP_PKT_CSUM_ACCEPT, &pi), NP_PKT_TCP);
	assert_int_equal(pi.ip_csum, NP_PKT_IP_CSUM_ZERO);
	assert_int_equal(np_pkt_parse_csum(f.b, f.len, NP_PKT_CSUM_IGNORE, &pi), NP_PKT_TCP);
	assert_int_equal(pi.ip_csum, NP_PKT_IP_CSUM_OK);
}

static void test_csum_wrong_modes(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	build_v4_tcp(&f);
	f.b[f.l3 + 11] ^= 0x40;
	assert_int_equal(np_pkt_parse_csum(f.b, f.len, NP_PKT_CSUM_ACCEPT_ZERO, &pi),
			 NP_PKT_BAD_CHECKSUM);
	assert_int_equal(pi.ip_csum, NP_PKT_IP_CSUM_BAD);
	assert_int_equal(pi.sport, 7003);
	assert_int_equal(np_pkt_parse_csum(f.b, f.len, NP_PKT_CSUM_ACCEPT, &pi), NP_PKT_TCP);
	assert_int_equal(pi.ip_csum, NP_PKT_IP_CSUM_BAD);
	assert_int_equal(np_pkt_parse_csum(f.b, f.len, NP_PKT_CSUM_IGNORE, &pi), NP_PKT_TCP);
	/* an unknown mode verifies */
	assert_int_equal(np_pkt_parse_csum(f.b, f.len, 99, &pi), NP_PKT_BAD_CHECKSUM);
}

static void test_csum_good_every_mode(void **state)
{
	struct np_pkt_info pi, ref;
	struct fb f;

	(void)state;
	build_v4_tcp(&f);
	assert_int_equal(parse(&f, &ref), NP_PKT_TCP);
	for (unsigned int m = 0; m < NP_PKT_CSUM_MODE_MAX; m++) {
		assert_int_equal(np_pkt_parse_csum(f.b, f.len, m, &pi), NP_PKT_TCP);
		assert_int_equal(pi.ip_csum, NP_PKT_IP_CSUM_OK);
		assert_memory_equal(&pi, &ref, offsetof(struct np_pkt_info, icmp_inner));
		assert_int_equal(np_pkt_parser(m)(f.b, f.len, &pi), NP_PKT_TCP);
		assert_memory_equal(&pi, &ref, offsetof(struct np_pkt_info, icmp_inner));
	}
	assert_ptr_equal(np_pkt_parser(NP_PKT_CSUM_VERIFY), np_pkt_parse);
	assert_ptr_equal(np_pkt_parser(NP_PKT_CSUM_MODE_MAX), np_pkt_parse);
	/* the parser of a mode gives what np_pkt_parse_csum gives in it */
	set16(&f, f.l3 + 10, 0);
	for (unsigned int m = 0; m < NP_PKT_CSUM_MODE_MAX; m++)
		assert_int_equal(np_pkt_parser(m)(f.b, f.len, &pi),
				 np_pkt_parse_csum(f.b, f.len, m, &ref));
}

/* A truncated frame with a zero checksum stays truncated when the checksum is accepted. */
static void test_csum_accepted_truncated(void **state)
{
	struct np_pkt_info pi;
	struct fb f;

	(void)state;
	build_v4_tcp(&f);
	set16(&f, f.l3 + 10, 0);
	assert_int_equal(np_pkt_parse_csum(f.b, f.len - 4, NP_PKT_CSUM_ACCEPT, &pi),
			 NP_PKT_TRUNCATED);
	assert_int_equal(pi.ip_csum, NP_PKT_IP_CSUM_ZERO);
}

/* ---- tunnels ------------------------------------------------------------ */

/* Outer Ethernet/IPv4 to protocol proto, then hdr_len bytes of hdr, then inner. */
static void build_outer(struct fb *f, bool v6, uint8_t proto, const uint8_t *hdr, uint32_t hdr_len,
			const struct fb *inner, uint32_t inner_skip)
{
	fb_eth(f, v6 ? 0x86dd : 0x0800);
	if (v6)
		fb_ipv6(f, proto, "2001:db8::1", "2001:db8::2");
	else
		fb_ipv4(f, proto, "192.0.2.1", "192.0.2.2", 0);
	if (proto == 17)
		fb_udp(f, 49152, NP_TUNNEL_VXLAN_PORT);
	put_bytes(f, hdr, hdr_len);
	put_bytes(f, inner->b + inner_skip, inner->len - inner_skip);
	fb_ip_end(f);
}

/* Decapsulate f; check the inner frame is exactly @p inner (from inner_skip). */
static int decap_check(const struct fb *f, struct np_pkt_tunnel *t, const struct fb *inner,
		       uint32_t inner_skip)
{
	struct np_pkt_info pi, ipi;
	uint8_t buf[2048];
	const uint8_t *fr;
	uint32_t n;
	int rc;

	np_pkt_parse(f->b, f->len, &pi);
	rc = np_pkt_decap(f->b, f->len, &pi, t);
	if (rc != NP_PKT_DECAP_OK)
		return rc;
	fr = np_pkt_tunnel_frame(f->b, t, buf, sizeof(buf), &n);
	assert_non_null(fr);
	if (inner_skip == 0) {
		assert_true(t->inner_is_eth);
		assert_ptr_equal(fr, f->b + t->inner_off);
		assert_int_equal(n, inner->len);
		assert_memory_equal(fr, inner->b, n);
	} else {
		assert_false(t->inner_is_eth);
		assert_ptr_equal(fr, buf);
		assert_int_equal(n, inner->len - inner_skip + 14);
		assert_memory_equal(fr + 14, inner->b + inner_skip, n - 14);
		assert_int_equal(fr[12] << 8 | fr[13], t->inner_ethertype);
	}
	assert_int_equal(np_pkt_parse(fr, n, &ipi), NP_PKT_TCP);
	assert_int_equal(ipi.sport, 7003);
	assert_int_equal(ipi.dport, 27901);
	return rc;
}

static void test_gre_teb_key(void **state)
{
	static const uint8_t gre[] = { 0x20, 0x00, 0x65, 0x58, 0x00, 0x00, 0x01, 0x2c };
	struct np_pkt_tunnel t;
	struct fb in, f;

	(void)state;
	build_v4_tcp(&in);
	build_outer(&f, false, 47, gre, sizeof(gre), &in, 0);
	assert_int_equal(decap_check(&f, &t, &in, 0), NP_PKT_DECAP_OK);
	assert_int_equal(t.encap, NP_PKT_ENCAP_GRE);
	assert_true(t.has_id);
	assert_int_equal(t.id, 300);
}

static void test_gre_ipv4_payload_csum_key_seq(void **state)
{
	static const uint8_t gre[] = { 0xb0, 0x00, 0x08, 0x00, 0xaa, 0xbb, 0x00, 0x00,
				       0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01 };
	struct np_pkt_tunnel t;
	struct fb in, f;

	(void)state;
	build_v4_tcp(&in);
	build_outer(&f, false, 47, gre, sizeof(gre), &in, 14);
	assert_int_equal(decap_check(&f, &t, &in, 14), NP_PKT_DECAP_OK);
	assert_int_equal(t.encap, NP_PKT_ENCAP_GRE);
	assert_int_equal(t.id, 7);
	assert_int_equal(t.inner_ethertype, 0x0800);
}

static void test_gre_over_ipv6_no_key(void **state)
{
	static const uint8_t gre[] = { 0x00, 0x00, 0x65, 0x58 };
	struct np_pkt_tunnel t;
	struct fb in, f;

	(void)state;
	build_v4_tcp(&in);
	build_outer(&f, true, 47, gre, sizeof(gre), &in, 0);
	assert_int_equal(decap_check(&f, &t, &in, 0), NP_PKT_DECAP_OK);
	assert_false(t.has_id);
}

static void test_gre_not_decapsulated(void **state)
{
	static const uint8_t pptp[] = { 0x30, 0x81, 0x88, 0x0b, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t mpls[] = { 0x00, 0x00, 0x88, 0x47 };
	static const uint8_t routing[] = { 0x40, 0x00, 0x65, 0x58, 0, 0, 0, 0 };
	struct np_pkt_tunnel t;
	struct fb in, f;

	(void)state;
	build_v4_tcp(&in);
	build_outer(&f, false, 47, pptp, sizeof(pptp), &in, 0);
	assert_int_equal(decap_check(&f, &t, &in, 0), NP_PKT_DECAP_NONE);
	build_outer(&f, false, 47, mpls, sizeof(mpls), &in, 0);
	assert_int_equal(decap_check(&f, &t, &in, 0), NP_PKT_DECAP_NONE);
	build_outer(&f, false, 47, routing, sizeof(routing), &in, 0);
	assert_int_equal(decap_check(&f, &t, &in, 0), NP_PKT_DECAP_BAD);
	assert_int_equal(t.encap, NP_PKT_ENCAP_GRE);
	/* a plain TCP frame and a UDP frame to another port are no tunnels */
	assert_int_equal(decap_check(&in, &t, &in, 0), NP_PKT_DECAP_NONE);
	assert_int_equal(t.encap, NP_PKT_ENCAP_NONE);
}

static void test_erspan_types(void **state)
{
	static const uint8_t type1[] = { 0x00, 0x00, 0x88, 0xbe };
	/* GRE S, seq; ERSPAN II: ver 1, vlan 0, session 0x155; index */
	static const uint8_t type2[] = { 0x10, 0x00, 0x88, 0xbe, 0,    0,    0,	   9,
					 0x10, 0x00, 0x01, 0x55, 0x00, 0x00, 0x00, 0x00 };
	/* ERSPAN III: ver 2, session 3, timestamp, FT 0, O 0 */
	static const uint8_t type3[] = { 0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 9, 0x20, 0x00,
					 0x00, 0x03, 1,	   2,	 3, 4, 0, 0, 0,	   0 };
	/* ERSPAN III with the platform subheader (O 1) */
	static const uint8_t type3o[] = { 0x10, 0x00, 0x22, 0xeb, 0,	0,    0,    9,	 0x20, 0x00,
					  0x03, 0xff, 1,    2,	  3,	4,    0,    0,	 0,    1,
					  0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa };
	struct np_pkt_tunnel t;
	struct fb in, f;

	(void)state;
	build_v4_tcp(&in);
	build_outer(&f, false, 47, type1, sizeof(type1), &in, 0);
	assert_int_equal(decap_check(&f, &t, &in, 0), NP_PKT_DECAP_OK);
	assert_int_equal(t.encap, NP_PKT_ENCAP_ERSPAN1);
	assert_false(t.has_id);
	build_outer(&f, false, 47, type2, sizeof(type2), &in, 0);
	assert_int_equal(decap_check(&f, &t, &in, 0), NP_PKT_DECAP_OK);
	assert_int_equal(t.encap, NP_PKT_ENCAP_ERSPAN2);
	assert_int_equal(t.id, 0x155);
	build_outer(&f, false, 47, type3, sizeof(type3), &in, 0);
	assert_int_equal(decap_check(&f, &t, &in, 0), NP_PKT_DECAP_OK);
	assert_int_equal(t.encap, NP_PKT_ENCAP_ERSPAN3);
	assert_int_equal(t.id, 3);
	build_outer(&f, true, 47, type3o, sizeof(type3o), &in, 0);
	assert_int_equal(decap_check(&f, &t, &in, 0), NP_PKT_DECAP_OK);
	assert_int_equal(t.id, 0x3ff);
}

static void test_erspan_bad(void **state)
{
	static const uint8_t ver[] = { 0x10, 0x00, 0x88, 0xbe, 0,    0,	   0,	 9,
				       0x20, 0x00, 0x01, 0x55, 0x00, 0x00, 0x00, 0x00 };
	static const uint8_t ft[] = { 0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 9, 0x20, 0x00,
				      0x00, 0x03, 1,	2,    3, 4, 0, 0, 0x08, 0 };
	struct np_pkt_tunnel t;
	struct fb in, f;

	(void)state;
	build_v4_tcp(&in);
	build_outer(&f, false, 47, ver, sizeof(ver), &in, 0);
	assert_int_equal(decap_check(&f, &t, &in, 0), NP_PKT_DECAP_BAD);
	assert_int_equal(t.encap, NP_PKT_ENCAP_ERSPAN2);
	build_outer(&f, false, 47, ft, sizeof(ft), &in, 0);
	assert_int_equal(decap_check(&f, &t, &in, 0), NP_PKT_DECAP_BAD);
	assert_int_equal(t.encap, NP_PKT_ENCAP_ERSPAN3);
}

static void test_vxlan(void **state)
{
	static const uint8_t vx[] = { 0x08, 0, 0, 0, 0x01, 0xe2, 0x40, 0x00 };
	static const uint8_t no_i[] = { 0x00, 0, 0, 0, 0x01, 0xe2, 0x40, 0x00 };
	struct np_pkt_tunnel t;
	struct fb in, f;

	(void)state;
	build_v4_tcp(&in);
	build_outer(&f, false, 17, vx, sizeof(vx), &in, 0);
	assert_int_equal(decap_check(&f, &t, &in, 0), NP_PKT_DECAP_OK);
	assert_int_equal(t.encap, NP_PKT_ENCAP_VXLAN);
	assert_int_equal(t.id, 123456);
	build_outer(&f, true, 17, vx, sizeof(vx), &in, 0);
	assert_int_equal(decap_check(&f, &t, &in, 0), NP_PKT_DECAP_OK);
	build_outer(&f, false, 17, no_i, sizeof(no_i), &in, 0);
	assert_int_equal(decap_check(&f, &t, &in, 0), NP_PKT_DECAP_BAD);
}

/* Every prefix of every tunnel frame: no read past the end, a sane result. */
static void test_tunnel_every_prefix(void **state)
{
	static const uint8_t vx[] = { 0x08, 0, 0, 0, 0x01, 0xe2, 0x40, 0x00 };
	static const uint8_t gre[] = { 0xb0, 0x00, 0x08, 0x00, 0xaa, 0xbb, 0x00, 0x00,
				       0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01 };
	static const uint8_t e3[] = { 0x10, 0x00, 0x22, 0xeb, 0,    0,	  0,	9,   0x20, 0x00,
				      0x03, 0xff, 1,	2,    3,    4,	  0,	0,   0,	   1,
				      0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa };
	struct fb in, f;

	(void)state;
	build_v4_tcp(&in);
	for (unsigned int k = 0; k < 3; k++) {
		build_outer(&f, false, k == 0 ? 17 : 47,
			    k == 0   ? vx
			    : k == 1 ? gre
				     : e3,
			    k == 0   ? sizeof(vx)
			    : k == 1 ? sizeof(gre)
				     : sizeof(e3),
			    &in, k == 1 ? 14 : 0);
		for (uint32_t n = 0; n <= f.len; n++) {
			uint8_t *copy = malloc(n ? n : 1);
			struct np_pkt_info pi;
			struct np_pkt_tunnel t;
			int rc;

			memcpy(copy, f.b, n);
			np_pkt_parse(copy, n, &pi);
			rc = np_pkt_decap(copy, n, &pi, &t);
			assert_true(rc >= NP_PKT_DECAP_BAD && rc <= NP_PKT_DECAP_OK);
			if (rc == NP_PKT_DECAP_OK)
				assert_true(t.inner_off + t.inner_len <= n);
			free(copy);
		}
	}
}

static void test_tunnel_frame_small_buffer(void **state)
{
	static const uint8_t gre[] = { 0x00, 0x00, 0x08, 0x00 };
	struct np_pkt_info pi;
	struct np_pkt_tunnel t;
	uint8_t buf[40];
	uint32_t n = 99;
	struct fb in, f;

	(void)state;
	build_v4_tcp(&in);
	build_outer(&f, false, 47, gre, sizeof(gre), &in, 14);
	np_pkt_parse(f.b, f.len, &pi);
	assert_int_equal(np_pkt_decap(f.b, f.len, &pi, &t), NP_PKT_DECAP_OK);
	assert_null(np_pkt_tunnel_frame(f.b, &t, buf, 13, &n));
	assert_int_equal(n, 0);
	assert_ptr_equal(np_pkt_tunnel_frame(f.b, &t, buf, sizeof(buf), &n), buf);
	assert_int_equal(n, sizeof(buf));
	assert_int_equal(np_pkt_parse(buf, n, &pi), NP_PKT_TRUNCATED);
}

static void test_encap_names_stable(void **state)
{
	static const char *const want[NP_PKT_ENCAP_MAX] = {
		"none", "gre", "erspan1", "erspan2", "erspan3", "vxlan",
	};

	(void)state;
	for (unsigned int i = 0; i < NP_PKT_ENCAP_MAX; i++)
		assert_string_equal(np_pkt_encap_name(i), want[i]);
	assert_string_equal(np_pkt_encap_name(NP_PKT_ENCAP_MAX), "invalid");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_tcp_options),
		cmocka_unit_test(test_ipv4_ip_options),
		cmocka_unit_test(test_ipv4_udp),
		cmocka_unit_test(test_ipv4_sctp_ports),
		cmocka_unit_test(test_ipv4_gre_no_ports),
		cmocka_unit_test(test_ipv4_fragment_first),
		cmocka_unit_test(test_ipv4_fragment_later),
		cmocka_unit_test(test_ipv4_bad_checksum),
		cmocka_unit_test(test_ipv4_bad_ihl),
		cmocka_unit_test(test_ipv4_bad_version),
		cmocka_unit_test(test_ipv4_total_length_below_ihl),
		cmocka_unit_test(test_ipv4_ihl_past_frame),
		cmocka_unit_test(test_tcp_bad_data_offset),
		cmocka_unit_test(test_tcp_data_offset_past_packet),
		cmocka_unit_test(test_ethernet_padding),
		cmocka_unit_test(test_ipv4_length_past_frame),
		cmocka_unit_test(test_udp_length_too_small),
		cmocka_unit_test(test_udp_length_past_ip),
		cmocka_unit_test(test_udp_length_below_ip),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_qinq_88a8),
		cmocka_unit_test(test_qinq_9100),
		cmocka_unit_test(test_three_tags_parsed_two_recorded),
		cmocka_unit_test(test_too_many_tags),
		cmocka_unit_test(test_vlan_tag_truncated),
		cmocka_unit_test(test_ipv6_tcp),
		cmocka_unit_test(test_ipv6_ext_headers),
		cmocka_unit_test(test_ipv6_ext_header_past_packet),
		cmocka_unit_test(test_ipv6_too_many_ext_headers),
		cmocka_unit_test(test_ipv6_max_ext_headers),
		cmocka_unit_test(test_ipv6_fragment_first),
		cmocka_unit_test(test_ipv6_fragment_later),
		cmocka_unit_test(test_ipv6_atomic_fragment),
		cmocka_unit_test(test_ipv6_esp_is_ip_other),
		cmocka_unit_test(test_ipv6_bad_version),
		cmocka_unit_test(test_icmp_unreachable_inner_tuple),
		cmocka_unit_test(test_icmp_inner_cut_before_ports),
		cmocka_unit_test(test_icmp_echo_no_inner),
		cmocka_unit_test(test_icmp_header_truncated),
		cmocka_unit_test(test_icmpv6_unreachable_inner_tuple),
		cmocka_unit_test(test_icmpv6_too_big_inner_udp),
		cmocka_unit_test(test_icmpv6_echo_no_inner),
		cmocka_unit_test(test_icmp_proto_mismatch_is_ip_other),
		cmocka_unit_test(test_arp_is_non_ip),
		cmocka_unit_test(test_other_non_ip),
		cmocka_unit_test(test_vlan_arp_is_non_ip),
		cmocka_unit_test(test_unknown_ethertype),
		cmocka_unit_test(test_runt),
		cmocka_unit_test(test_truncated_every_prefix_v4_tcp),
		cmocka_unit_test(test_truncated_every_prefix_qinq_v6_ext_udp),
		cmocka_unit_test(test_plain_fast_path_same_as_full),
		cmocka_unit_test(test_addr_v4),
		cmocka_unit_test(test_addr_v6),
		cmocka_unit_test(test_addr_str_small_buffer),
		cmocka_unit_test(test_class_names_stable),
		cmocka_unit_test(test_csum_zero_modes),
		cmocka_unit_test(test_csum_wrong_modes),
		cmocka_unit_test(test_csum_good_every_mode),
		cmocka_unit_test(test_csum_accepted_truncated),
		cmocka_unit_test(test_gre_teb_key),
		cmocka_unit_test(test_gre_ipv4_payload_csum_key_seq),
		cmocka_unit_test(test_gre_over_ipv6_no_key),
		cmocka_unit_test(test_gre_not_decapsulated),
		cmocka_unit_test(test_erspan_types),
		cmocka_unit_test(test_erspan_bad),
		cmocka_unit_test(test_vxlan),
		cmocka_unit_test(test_tunnel_every_prefix),
		cmocka_unit_test(test_tunnel_frame_small_buffer),
		cmocka_unit_test(test_encap_names_stable),
	};

	return cmocka_run_group_tests_name("pkt", tests, NULL, NULL);
}
