/* SPDX-License-Identifier: BSD-3-Clause */

#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture.h"

/* Link types we can turn into Ethernet frames. */
#define LT_NULL 0
#define LT_EN10MB 1
#define LT_RAW_A 12
#define LT_RAW_B 14
#define LT_RAW 101
#define LT_LOOP 108
#define LT_LINUX_SLL 113
#define LT_IPV4 228
#define LT_IPV6 229
#define LT_LINUX_SLL2 276

static bool linktype_ok(int lt)
{
	switch (lt) {
	case LT_NULL: case LT_EN10MB: case LT_RAW_A: case LT_RAW_B: case LT_RAW: case LT_LOOP:
	case LT_LINUX_SLL: case LT_IPV4: case LT_IPV6: case LT_LINUX_SLL2:
		return true;
	default:
		return false;
	}
}

bool np_capture_is_pcap(const char *path)
{
	uint8_t m[4];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return false;
	n = fread(m, 1, sizeof(m), f);
	fclose(f);
	if (n != 4)
		return false;
	return (m[0] == 0xd4 && m[1] == 0xc3 && m[2] == 0xb2 && m[3] == 0xa1) ||
	       (m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0xc3 && m[3] == 0xd4) ||
	       (m[0] == 0x4d && m[1] == 0x3c && m[2] == 0xb2 && m[3] == 0xa1) ||
	       (m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0x3c && m[3] == 0x4d) ||
	       (m[0] == 0x0a && m[1] == 0x0d && m[2] == 0x0d && m[3] == 0x0a);
}

/* Ethertype for a raw IP packet, from its version nibble; 0 if neither. */
static uint16_t ip_ethertype(const uint8_t *p, uint32_t len)
{
	if (len < 1)
		return 0;
	if ((p[0] >> 4) == 4)
		return 0x0800;
	if ((p[0] >> 4) == 6)
		return 0x86dd;
	return 0;
}

/* Put an Ethernet header with @p et in front of @p l3 in the input's buffer. */
static void synth(struct np_capture_input *in, const uint8_t *l3, uint32_t len, uint16_t et)
{
	memset(in->buf, 0, 12);
	in->buf[12] = (uint8_t)(et >> 8);
	in->buf[13] = (uint8_t)et;
	memcpy(in->buf + 14, l3, len);
	in->next.data = in->buf;
	in->next.len = len + 14;
}

/* Turn the frame just read into an Ethernet frame. @return false to skip it. */
static bool to_ethernet(struct np_capture_input *in, const uint8_t *d, uint32_t len)
{
	uint16_t et;

	if (len > NP_CAPTURE_SNAP)
		len = NP_CAPTURE_SNAP;
	switch (in->linktype) {
	case LT_EN10MB:
		in->next.data = d;
		in->next.len = len;
		return true;
	case LT_LINUX_SLL:	/* 16-byte header, protocol at 14 */
		if (len < 16)
			return false;
		synth(in, d + 16, len - 16, (uint16_t)(d[14] << 8 | d[15]));
		return true;
	case LT_LINUX_SLL2:	/* 20-byte header, protocol at 0 */
		if (len < 20)
			return false;
		synth(in, d + 20, len - 20, (uint16_t)(d[0] << 8 | d[1]));
		return true;
	case LT_NULL:
	case LT_LOOP:		/* 4-byte address family */
		if (len < 4)
			return false;
		d += 4;
		len -= 4;
		/* fall through */
	default:		/* raw IP */
		et = ip_ethertype(d, len);
		if (et == 0)
			return false;
		synth(in, d, len, et);
		return true;
	}
}

static void advance(struct np_capture_input *in)
{
	struct pcap_pkthdr *h;
	const u_char *d;

	in->has_next = false;
	while (!in->eof) {
		int rc = pcap_next_ex(in->pcap, &h, &d);

		if (rc == 1) {
			if (!to_ethernet(in, d, h->caplen)) {
				in->skipped++;
				continue;
			}
			in->next.wire_len = h->len;
			in->next.ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull +
					 (uint64_t)h->ts.tv_usec; /* nano precision requested */
			in->has_next = true;
			in->frames++;
			return;
		}
		if (rc == PCAP_ERROR)
			snprintf(in->error, sizeof(in->error), "%s: damaged after %lu frames: %s",
				 in->path, (unsigned long)in->frames, pcap_geterr(in->pcap));
		in->eof = true;
	}
}

int np_capture_open(struct np_capture *c, const char *path, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	struct np_capture_input *in;
	FILE *fp;

	if (c->n >= NP_CAPTURE_MAX) {
		snprintf(err, errlen, "%s: at most %d inputs", path, NP_CAPTURE_MAX);
		return -1;
	}
	fp = fopen(path, "rb");
	if (fp == NULL) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	if (!np_capture_is_pcap(path)) {
		fclose(fp);
		snprintf(err, errlen, "%s: not a pcap or pcapng capture", path);
		return -1;
	}
	/* libpcap reads records through this stream: a large buffer turns one
	 * read(2) per 4 KiB into one per NP_CAPTURE_IOBUF (a third of the
	 * offline CPU time was system time in reads). */
	in = &c->in[c->n];
	memset(in, 0, sizeof(*in));
	in->iobuf = malloc(NP_CAPTURE_IOBUF);	/* glibc ignores the size without a buffer */
	if (in->iobuf != NULL)
		setvbuf(fp, in->iobuf, _IOFBF, NP_CAPTURE_IOBUF);
	/* one thread reads it: no lock per fread (two freads per record) */
	__fsetlocking(fp, FSETLOCKING_BYCALLER);
	in->pcap = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (in->pcap == NULL) {
		fclose(fp);
		free(in->iobuf);
		in->iobuf = NULL;
		snprintf(err, errlen, "%s: %s", path, perr);
		return -1;
	}
	in->path = path;
	in->linktype = pcap_datalink(in->pcap);
	if (!linktype_ok(in->linktype)) {
		snprintf(err, errlen, "%s: link type %d (%s) is not supported; use Ethernet, "
			 "Linux cooked or raw IP captures", path, in->linktype,
			 pcap_datalink_val_to_name(in->linktype) ?: "unknown");
		pcap_close(in->pcap);
		in->pcap = NULL;
		free(in->iobuf);
		in->iobuf = NULL;
		return -1;
	}
	c->n++;
	advance(in);
	return 0;
}

int np_capture_next(struct np_capture *c, struct np_frame *f)
{
	struct np_capture_input *best = NULL;
	unsigned int best_i = 0;

	/* The frame handed out last stays valid until now: read past it only here. */
	if (c->pending > 0) {
		advance(&c->in[c->pending - 1]);
		c->pending = 0;
	}
	for (unsigned int i = 0; i < c->n; i++) {
		struct np_capture_input *in = &c->in[i];

		if (in->has_next && (best == NULL || in->next.ts_ns < best->next.ts_ns)) {
			best = in;
			best_i = i;
		}
	}
	if (best == NULL)
		return 0;
	*f = best->next;
	f->input = best_i;
	best->has_next = false;
	c->pending = best_i + 1;
	return 1;
}

void np_capture_close(struct np_capture *c)
{
	for (unsigned int i = 0; i < c->n; i++) {
		if (c->in[i].pcap != NULL)
			pcap_close(c->in[i].pcap);
		c->in[i].pcap = NULL;
		free(c->in[i].iobuf);
		c->in[i].iobuf = NULL;
	}
	c->n = 0;
}

char *np_ts_iso(uint64_t ts_ns, char *buf, size_t len)
{
	time_t s = (time_t)(ts_ns / 1000000000ull);
	unsigned int ms = (unsigned int)(ts_ns / 1000000ull % 1000);
	struct tm tm;
	char tmp[24];

	gmtime_r(&s, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03uZ", tmp, ms);
	return buf;
}
