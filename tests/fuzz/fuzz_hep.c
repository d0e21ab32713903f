/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/pkt's HEP decoder (np_hep_wire.h). The input is
 * decoded as one datagram, then read as a TCP stream: framed by
 * np_hep_frame(), decoded packet by packet, resynchronised with
 * np_hep_resync() where it is out of step. Besides the sanitizers' checks,
 * it aborts when a result breaks the contract: a decoded packet whose
 * payload or node name lies outside the input, a length used that is not
 * the packet's, an unknown reason, a stream that does not advance.
 *
 * Last, the input is read as a capture of TCP segments of HEP connections
 * and fed to analyze's stream follower (np_hep_tcp.h), two connections at
 * most at once (so that it evicts): each record is a byte of flags and
 * connection, a 16-bit signed sequence step, a byte of time step, a byte
 * of length and that many payload bytes. Every packet handed out must be a
 * whole HEPv3 packet by its own length, and the follower's count must be
 * the number handed out.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "np_hep_tcp.h"
#include "np_hep_wire.h"

static void check(const uint8_t *buf, size_t len, int rc, const struct np_hep_msg *m, size_t used)
{
	if (rc < 0 || rc >= NP_HEP_E_MAX)
		abort();
	if (rc != NP_HEP_OK)
		return;
	if (used == 0 || used > len)
		abort();
	if (m->payload < buf || m->payload + m->payload_len > buf + used)
		abort();
	if (m->node_name != NULL &&
	    (m->node_name < buf || m->node_name + m->node_name_len > buf + used))
		abort();
	if (m->version != 2 && m->version != 3)
		abort();
}

static uint64_t handed_out;

static void on_packet(void *ctx, const uint8_t *p, size_t n, uint64_t ts_ns)
{
	struct np_hep_msg m;
	size_t used;
	int rc;

	(void)ctx;
	(void)ts_ns;
	if (n < NP_HEP_HDR_LEN || np_hep_frame(p, n) != (long)n)
		abort();
	rc = np_hep_decode(p, n, false, &m, &used);
	check(p, n, rc, &m, used);
	handed_out++;
}

static void tcp_segments(const uint8_t *data, size_t size)
{
	struct np_hep_tcp *t = np_hep_tcp_create(2, on_packet, NULL);
	uint32_t seq[4] = { 1000, 2000000000u, 4294967000u, 7 };
	uint64_t ts = 1000000000ull;
	size_t off = 0;

	if (t == NULL)
		return;
	handed_out = 0;
	while (size - off >= 5) {
		struct np_pkt_info pi;
		unsigned int c = data[off] & 3;
		int16_t step = (int16_t)(data[off + 1] << 8 | data[off + 2]);
		uint32_t len = data[off + 4];

		memset(&pi, 0, sizeof(pi));
		pi.cls = NP_PKT_TCP;
		np_addr_from_v4(&pi.src, 0x0a000001u + c);
		np_addr_from_v4(&pi.dst, 0x0a0000feu);
		pi.sport = (uint16_t)(40000 + c);
		pi.dport = NP_HEP_DEFAULT_PORT;
		pi.tcp_flags = (uint8_t)((data[off] >> 2) & 0x07); /* FIN, SYN, RST */
		seq[c] += (uint32_t)(int32_t)step;
		pi.tcp_seq = seq[c];
		ts += (uint64_t)data[off + 3] * 20000000ull; /* up to 5.1 s: held segments expire */
		off += 5;
		if (len > size - off)
			len = (uint32_t)(size - off);
		np_hep_tcp_segment(t, &pi, data + off, len, !(data[off - 5] & 0x20), ts);
		seq[c] += len;
		off += len;
	}
	np_hep_tcp_finish(t, ts);
	if (np_hep_tcp_stats(t)->packets != handed_out)
		abort();
	np_hep_tcp_destroy(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np_hep_msg m;
	size_t used, off = 0;
	int rc;

	rc = np_hep_decode(data, size, true, &m, &used);
	check(data, size, rc, &m, used);

	while (off < size) {
		long f = np_hep_frame(data + off, size - off);

		if (f == 0)
			break; /* waits for more bytes */
		if (f < 0) {
			size_t skip = np_hep_resync(data + off, size - off);

			if (skip == 0)
				abort();
			off += skip;
			continue;
		}
		if ((size_t)f > size - off)
			break; /* the rest has not arrived */
		rc = np_hep_decode(data + off, (size_t)f, false, &m, &used);
		check(data + off, (size_t)f, rc, &m, used);
		if (rc == NP_HEP_OK && used != (size_t)f)
			abort();
		off += (size_t)f;
	}
	tcp_segments(data, size);
	return 0;
}
