/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_CAPTURE_H
#define NP_CAPTURE_H

/*
 * Offline input: capture files merged in time order, every frame handed over
 * as an Ethernet frame (other link types get a synthetic Ethernet header),
 * with the interface it was captured on (pcapng).
 *
 * Each file is opened once (instream.h: files, FIFOs, standard input, gzip
 * and zstd). Classic pcap is read by libpcap on that stream; pcapng by the
 * reader in pcapng.h, which knows the interfaces. There is no fixed limit
 * on the number of files: a regular file is read up to its first frame
 * when it is added (np_capture_add), then its stream is closed, keeping
 * only the file descriptor, and it is started again from the beginning when
 * the merge reaches that frame; it is closed for good at its end. So only
 * the files whose time spans overlap are open at once, however many
 * rotated chunks make up a segment.
 */

#include <stdbool.h>
#include <stdint.h>

#include <pcap/pcap.h>

#include "instream.h"
#include "pcapng.h"

/* Longest frame handed over; longer ones are cut (libpcap's own maximum). */
#define NP_CAPTURE_SNAP 262144

/* stdio buffer of each capture stream being read */
#define NP_CAPTURE_IOBUF (1u << 20)

struct np_frame {
	const uint8_t *data; /* Ethernet header first */
	uint32_t len;	     /* bytes at data (captured length) */
	uint32_t wire_len;   /* original length on the wire */
	uint64_t ts_ns;	     /* capture time, ns since the epoch */
	unsigned int input;  /* index of the input it came from */
	unsigned int iface;  /* interface in that input (pcapng), 0 for pcap */
	uint64_t frame_no;   /* its number in the input, from 1, as Wireshark counts:
			      * every packet block, those not handed over included */
};

struct np_capture_iface {
	uint16_t linktype;
	bool supported;			/* a link type natprobe turns into Ethernet */
	char name[NP_PCAPNG_NAME_MAX];	/* pcapng if_name, "" when none */
	char descr[NP_PCAPNG_NAME_MAX]; /* pcapng if_description, "" when none */
	uint64_t frames;		/* frames read on it */
	uint64_t skipped;		/* frames not handed over (link type, not IP) */
};

struct np_capture_input {
	const char *path;
	struct np_instream *st;
	enum np_in_format fmt;
	pcap_t *pcap;	      /* classic pcap, while open */
	struct np_pcapng *ng; /* pcapng, while open */
	bool open;	      /* a reader is open on the stream */
	bool started;	      /* a frame was handed out: never closed early again */
	bool eof;
	bool has_next; /* next holds the frame to hand out (data NULL while closed) */
	struct np_frame next;
	unsigned int n_ifaces;
	struct np_capture_iface *ifaces;
	uint64_t frames;   /* frames handed over */
	uint64_t frame_no; /* packets read since the reader started (frame numbers) */
	uint64_t skipped;  /* frames not handed over (link type, not IP) */
	char error[256];   /* set when reading stopped on a damaged file */
	uint8_t *buf;	   /* synthetic Ethernet frames, while open */
};

struct np_capture {
	unsigned int n, cap;
	struct np_capture_input **in;
	unsigned int pending; /* 1 + input whose frame was handed out last; 0 none */
};

/*
 * Add a capture: @p st (taken over, also on failure) is a pcap or pcapng
 * stream from np_instream_open(). Reads its header, the interfaces described
 * before its first frame, and that frame.
 * @return the input number, or -1 with a one-line reason in @p err
 *         (unsupported link type, damaged header, out of memory).
 */
int np_capture_add(struct np_capture *c, const char *path, struct np_instream *st, char *err,
		   size_t errlen);

/*
 * The next frame over all inputs, the earliest first. Its bytes stay valid
 * until the next call.
 * @return 1 with @p f filled, 0 when every input is done, -1 when a file
 *         could not be started again (reason in its error; it counts as done).
 */
int np_capture_next(struct np_capture *c, struct np_frame *f);

/* np_capture_loop(): what a frame's callback answers to go on, or to stop reading. */
typedef int (*np_capture_frame_fn)(void *ctx, const struct np_frame *f);

/*
 * All the frames of a capture of one classic pcap file, in libpcap's own
 * read loop (pcap_loop(): no call into libpcap per frame), each handed to
 * @p cb, its bytes valid during the call. The frames, their numbers, what
 * is skipped, counted and reported are those np_capture_next() gives.
 * Instead of np_capture_next(), before its first call.
 * @return 1 when every frame was read or @p cb returned nonzero (then
 *         reading stopped there), -1 when the file could not be started
 *         again (reason in its error), 0 when this capture is not one pcap
 *         file (nothing read: use np_capture_next()).
 */
int np_capture_loop(struct np_capture *c, np_capture_frame_fn cb, void *ctx);

void np_capture_close(struct np_capture *c);

/* "2016-04-19T07:09:13.973Z" into @p buf (at least 32 bytes). */
char *np_ts_iso(uint64_t ts_ns, char *buf, size_t len);

#endif /* NP_CAPTURE_H */
