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
	case LT_NULL:
	case LT_EN10MB:
	case LT_RAW_A:
	case LT_RAW_B:
	case LT_RAW:
	case LT_LOOP:
	case LT_LINUX_SLL:
	case LT_IPV4:
	case LT_IPV6:
	case LT_LINUX_SLL2:
		return true;
	default:
		return false;
	}
}

static const char *linktype_name(int lt)
{
	const char *n = pcap_datalink_val_to_name(lt);

	return n != NULL ? n : "unknown";
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
	if (len > NP_CAPTURE_SNAP - 14)
		len = NP_CAPTURE_SNAP - 14;
	memset(in->buf, 0, 12);
	in->buf[12] = (uint8_t)(et >> 8);
	in->buf[13] = (uint8_t)et;
	memcpy(in->buf + 14, l3, len);
	in->next.data = in->buf;
	in->next.len = len + 14;
}

/* Turn the frame just read into an Ethernet frame. @return false to skip it. */
static bool to_ethernet(struct np_capture_input *in, int linktype, const uint8_t *d, uint32_t len)
{
	uint16_t et;

	if (len > NP_CAPTURE_SNAP)
		len = NP_CAPTURE_SNAP;
	switch (linktype) {
	case LT_EN10MB:
		in->next.data = d;
		in->next.len = len;
		return true;
	case LT_LINUX_SLL: /* 16-byte header, protocol at 14 */
		if (len < 16)
			return false;
		synth(in, d + 16, len - 16, (uint16_t)(d[14] << 8 | d[15]));
		return true;
	case LT_LINUX_SLL2: /* 20-byte header, protocol at 0 */
		if (len < 20)
			return false;
		synth(in, d + 20, len - 20, (uint16_t)(d[0] << 8 | d[1]));
		return true;
	case LT_NULL:
	case LT_LOOP: /* 4-byte address family */
		if (len < 4)
			return false;
		d += 4;
		len -= 4;
		/* fall through */
	default: /* raw IP */
		et = ip_ethertype(d, len);
		if (et == 0)
			return false;
		synth(in, d, len, et);
		return true;
	}
}

/* Interfaces the pcapng reader has described so far, copied into in->ifaces. */
static int sync_ifaces(struct np_capture_input *in)
{
	unsigned int n = np_pcapng_n_ifaces(in->ng);
	struct np_capture_iface *ni;

	if (n <= in->n_ifaces)
		return 0;
	ni = realloc(in->ifaces, n * sizeof(*ni));
	if (ni == NULL)
		return -1;
	in->ifaces = ni;
	for (unsigned int i = in->n_ifaces; i < n; i++) {
		const struct np_pcapng_iface *pi = np_pcapng_iface(in->ng, i);

		memset(&ni[i], 0, sizeof(ni[i]));
		ni[i].linktype = pi->linktype;
		ni[i].supported = linktype_ok(pi->linktype);
		snprintf(ni[i].name, sizeof(ni[i].name), "%s", pi->name);
		snprintf(ni[i].descr, sizeof(ni[i].descr), "%s", pi->descr);
	}
	in->n_ifaces = n;
	return 0;
}

static void stop_reading(struct np_capture_input *in, const char *why)
{
	snprintf(in->error, sizeof(in->error), "%s: damaged after %lu frames: %s", in->path,
		 (unsigned long)in->frames, why);
	in->eof = true;
}

/* Read the next frame of an open input into in->next. */
static void advance(struct np_capture_input *in)
{
	in->has_next = false;
	while (!in->eof) {
		const uint8_t *d;
		uint32_t caplen, len;
		unsigned int iface = 0;
		uint64_t ts;

		if (in->pcap != NULL) {
			struct pcap_pkthdr *h;
			int rc = pcap_next_ex(in->pcap, &h, &d);

			if (rc != 1) {
				if (rc == PCAP_ERROR)
					stop_reading(in, np_instream_error(in->st)[0]
								 ? np_instream_error(in->st)
								 : pcap_geterr(in->pcap));
				in->eof = true;
				return;
			}
			caplen = h->caplen;
			len = h->len;
			/* nano precision requested: tv_usec holds nanoseconds */
			ts = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
		} else {
			struct np_pcapng_pkt p;
			int rc = np_pcapng_next(in->ng, &p);

			if (sync_ifaces(in) < 0)
				rc = -1;
			if (rc != 1) {
				if (rc < 0)
					stop_reading(in, np_instream_error(in->st)[0]
								 ? np_instream_error(in->st)
								 : np_pcapng_error(in->ng));
				in->eof = true;
				return;
			}
			iface = p.iface;
			d = p.data;
			caplen = p.caplen;
			len = p.len;
			ts = p.ts_ns;
		}
		in->frame_no++;
		in->ifaces[iface].frames++;
		if (!in->ifaces[iface].supported ||
		    !to_ethernet(in, in->ifaces[iface].linktype, d, caplen)) {
			in->ifaces[iface].skipped++;
			in->skipped++;
			continue;
		}
		in->next.wire_len = len;
		in->next.ts_ns = ts;
		in->next.iface = iface;
		in->next.frame_no = in->frame_no;
		in->has_next = true;
		return;
	}
}

/* Start a reader on the input's stream (at its first byte). */
static int start(struct np_capture_input *in, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	FILE *fp = np_instream_file(in->st, NP_CAPTURE_IOBUF);

	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", in->path, strerror(errno));
		return -1;
	}
	/* one thread reads it: no lock per fread */
	__fsetlocking(fp, FSETLOCKING_BYCALLER);
	if (in->buf == NULL)
		in->buf = malloc(NP_CAPTURE_SNAP + 64);
	if (in->buf == NULL) {
		fclose(fp);
		snprintf(err, errlen, "%s: out of memory", in->path);
		return -1;
	}
	if (in->fmt == NP_IN_PCAPNG) {
		in->ng = np_pcapng_open(fp, in->path, err, errlen);
		if (in->ng == NULL)
			return -1;
	} else {
		int lt;

		in->pcap = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO,
								    perr);
		if (in->pcap == NULL) {
			fclose(fp);
			snprintf(err, errlen, "%s: %s", in->path,
				 np_instream_error(in->st)[0] ? np_instream_error(in->st) : perr);
			return -1;
		}
		lt = pcap_datalink(in->pcap);
		if (!linktype_ok(lt)) {
			snprintf(err, errlen,
				 "%s: link type %d (%s) is not supported; use Ethernet, "
				 "Linux cooked or raw IP captures",
				 in->path, lt, linktype_name(lt));
			pcap_close(in->pcap);
			in->pcap = NULL;
			return -1;
		}
		if (in->ifaces == NULL) {
			in->ifaces = calloc(1, sizeof(*in->ifaces));
			if (in->ifaces == NULL) {
				snprintf(err, errlen, "%s: out of memory", in->path);
				return -1;
			}
			in->n_ifaces = 1;
			in->ifaces[0].linktype = (uint16_t)lt;
			in->ifaces[0].supported = true;
		}
	}
	in->open = true;
	in->eof = false;
	in->frame_no = 0; /* read from the first byte: frames count from 1 again */
	return 0;
}

/* Close the reader, keep the file descriptor (np_instream_rewind starts it again). */
static void stop(struct np_capture_input *in)
{
	if (in->pcap != NULL)
		pcap_close(in->pcap);
	in->pcap = NULL;
	np_pcapng_close(in->ng);
	in->ng = NULL;
	free(in->buf);
	in->buf = NULL;
	in->open = false;
}

static void finish(struct np_capture_input *in)
{
	stop(in);
	np_instream_close(in->st);
	in->st = NULL;
}

/* A closed input's turn has come: read it again up to its first frame. */
static int resume(struct np_capture_input *in)
{
	uint64_t ts = in->next.ts_ns;
	uint64_t frames[2] = { 0, 0 };
	char err[256];

	if (np_instream_rewind(in->st, err, sizeof(err)) < 0 || start(in, err, sizeof(err)) < 0) {
		snprintf(in->error, sizeof(in->error), "%s", err);
		in->eof = true;
		in->has_next = false;
		finish(in);
		return -1;
	}
	/* the first read counted its skipped frames and interfaces once already */
	for (unsigned int i = 0; i < in->n_ifaces; i++) {
		frames[0] += in->ifaces[i].frames;
		frames[1] += in->ifaces[i].skipped;
		in->ifaces[i].frames = in->ifaces[i].skipped = 0;
	}
	in->skipped = 0;
	advance(in);
	if (!in->has_next || in->next.ts_ns != ts) {
		snprintf(in->error, sizeof(in->error), "%s: changed while natprobe was reading it",
			 in->path);
		in->eof = true;
		in->has_next = false;
		finish(in);
		return -1;
	}
	(void)frames;
	return 0;
}

int np_capture_add(struct np_capture *c, const char *path, struct np_instream *st, char *err,
		   size_t errlen)
{
	struct np_capture_input *in;

	if (c->n == c->cap) {
		unsigned int cap = c->cap ? 2 * c->cap : 16;
		struct np_capture_input **n = realloc(c->in, cap * sizeof(*n));

		if (n == NULL) {
			np_instream_close(st);
			snprintf(err, errlen, "%s: out of memory", path);
			return -1;
		}
		c->in = n;
		c->cap = cap;
	}
	in = calloc(1, sizeof(*in));
	if (in == NULL) {
		np_instream_close(st);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	in->path = path;
	in->st = st;
	in->fmt = np_instream_format(st);
	if (start(in, err, errlen) < 0) {
		finish(in);
		free(in->ifaces);
		free(in);
		return -1;
	}
	advance(in);
	if (in->fmt == NP_IN_PCAPNG) {
		bool any = false;

		for (unsigned int i = 0; i < in->n_ifaces; i++)
			any |= in->ifaces[i].supported;
		if (in->n_ifaces > 0 && !any) {
			snprintf(err, errlen,
				 "%s: link type %u (%s) is not supported; use Ethernet, "
				 "Linux cooked or raw IP captures",
				 path, in->ifaces[0].linktype,
				 linktype_name(in->ifaces[0].linktype));
			finish(in);
			free(in->ifaces);
			free(in);
			return -1;
		}
	}
	/* Keep only the file descriptor of a file that can be read again. */
	if (in->has_next && np_instream_seekable(st)) {
		stop(in);
		in->next.data = NULL;
	} else if (!in->has_next) {
		finish(in);
	}
	c->in[c->n] = in;
	return (int)c->n++;
}

int np_capture_next(struct np_capture *c, struct np_frame *f)
{
	struct np_capture_input *best = NULL;
	unsigned int best_i = 0;

	/* The frame handed out last stays valid until now: read past it only here. */
	if (c->pending > 0) {
		struct np_capture_input *in = c->in[c->pending - 1];

		advance(in);
		if (!in->has_next)
			finish(in);
		c->pending = 0;
	}
	for (;;) {
		best = NULL;
		for (unsigned int i = 0; i < c->n; i++) {
			struct np_capture_input *in = c->in[i];

			if (in->has_next && (best == NULL || in->next.ts_ns < best->next.ts_ns)) {
				best = in;
				best_i = i;
			}
		}
		if (best == NULL)
			return 0;
		if (best->open)
			break;
		if (resume(best) < 0)
			return -1;
	}
	best->started = true;
	best->frames++;
	*f = best->next;
	f->input = best_i;
	best->has_next = false;
	c->pending = best_i + 1;
	return 1;
}

struct loop_ctx {
	struct np_capture_input *in;
	np_capture_frame_fn cb;
	void *ctx;
	bool stopped;
};

/* Hand out in->next as np_capture_next() would, to the loop's callback. */
static void loop_hand_out(struct loop_ctx *lc)
{
	struct np_capture_input *in = lc->in;
	struct np_frame f;

	in->started = true;
	in->frames++;
	f = in->next;
	f.input = 0;
	in->has_next = false;
	if (lc->cb(lc->ctx, &f) != 0) {
		lc->stopped = true;
		if (in->pcap != NULL)
			pcap_breakloop(in->pcap);
	}
}

/* One packet of pcap_loop(): advance()'s work on it, then the callback. */
static void loop_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *d)
{
	struct loop_ctx *lc = (struct loop_ctx *)user;
	struct np_capture_input *in = lc->in;

	in->frame_no++;
	in->ifaces[0].frames++;
	/* pcap: one interface, its link type checked when the reader started */
	if (!to_ethernet(in, in->ifaces[0].linktype, d, h->caplen)) {
		in->ifaces[0].skipped++;
		in->skipped++;
		return;
	}
	in->next.wire_len = h->len;
	/* nano precision requested: tv_usec holds nanoseconds */
	in->next.ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
	in->next.iface = 0;
	in->next.frame_no = in->frame_no;
	in->has_next = true;
	loop_hand_out(lc);
}

int np_capture_loop(struct np_capture *c, np_capture_frame_fn cb, void *ctx)
{
	struct loop_ctx lc = { .cb = cb, .ctx = ctx };
	struct np_capture_input *in;
	int rc;

	if (c->n != 1 || c->pending != 0 || c->in[0]->fmt == NP_IN_PCAPNG || c->in[0]->started)
		return 0;
	in = lc.in = c->in[0];
	if (!in->has_next)
		return 1; /* no frame at all: finished when it was added */
	if (!in->open && resume(in) < 0)
		return -1;
	loop_hand_out(&lc); /* the first frame, read when the file was added */
	if (lc.stopped)
		return 1;
	rc = pcap_loop(in->pcap, -1, loop_packet, (u_char *)&lc);
	if (rc == PCAP_ERROR)
		stop_reading(in, np_instream_error(in->st)[0] ? np_instream_error(in->st)
							      : pcap_geterr(in->pcap));
	if (!lc.stopped) {
		in->eof = true;
		in->has_next = false;
		finish(in);
	}
	return 1;
}

void np_capture_close(struct np_capture *c)
{
	for (unsigned int i = 0; i < c->n; i++) {
		finish(c->in[i]);
		free(c->in[i]->ifaces);
		free(c->in[i]);
	}
	free(c->in);
	c->in = NULL;
	c->n = c->cap = 0;
	c->pending = 0;
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
