/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_CAPTURE_H
#define NP_CAPTURE_H

/*
 * Offline input: capture files read with libpcap (pcap and pcapng), several
 * at once (one per segment) merged in time order, every frame handed over as
 * an Ethernet frame (other link types get a synthetic Ethernet header).
 */

#include <stdbool.h>
#include <stdint.h>

#include <pcap/pcap.h>

#define NP_CAPTURE_MAX 16
#define NP_CAPTURE_SNAP 65536

struct np_frame {
	const uint8_t *data;	/* Ethernet header first */
	uint32_t len;		/* bytes at data (captured length) */
	uint32_t wire_len;	/* original length on the wire */
	uint64_t ts_ns;		/* capture time, ns since the epoch */
	unsigned int input;	/* index of the input it came from */
};

/* stdio buffer of each capture file (libpcap reads through it) */
#define NP_CAPTURE_IOBUF (1u << 20)

struct np_capture_input {
	pcap_t *pcap;
	char *iobuf;		/* the stream's buffer; freed after pcap_close() */
	const char *path;
	int linktype;
	bool eof;
	bool has_next;
	struct np_frame next;	/* the frame to deliver next from this input */
	uint64_t frames;
	uint64_t skipped;	/* frames of a link type that could not be mapped */
	char error[256];	/* set when reading stopped on a damaged file */
	uint8_t buf[NP_CAPTURE_SNAP + 64];
};

struct np_capture {
	unsigned int n;
	unsigned int pending;	/* 1 + input whose frame was handed out last; 0 none */
	struct np_capture_input in[NP_CAPTURE_MAX];
};

/*
 * Open @p path as input number c->n.
 * @return 0, or -1 with a one-line reason in @p err (not a capture, unreadable,
 *         unsupported link type).
 */
int np_capture_open(struct np_capture *c, const char *path, char *err, size_t errlen);

/*
 * The next frame over all inputs, the earliest first. Its bytes stay valid
 * until the next call.
 * @return 1 with @p f filled, 0 when every input is done.
 */
int np_capture_next(struct np_capture *c, struct np_frame *f);

void np_capture_close(struct np_capture *c);

/* Is @p path a pcap or pcapng file (by its magic number)? */
bool np_capture_is_pcap(const char *path);

/* "2016-04-19T07:09:13.973Z" into @p buf (at least 32 bytes). */
char *np_ts_iso(uint64_t ts_ns, char *buf, size_t len);

#endif /* NP_CAPTURE_H */
