/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_INSTREAM_H
#define NP_INSTREAM_H

/*
 * One offline input as a byte stream: a file, a FIFO or standard input
 * ("-"), opened once. gzip and zstd compression are recognised by their
 * magic numbers and undone in the process (zlib, libzstd), so a compressed
 * capture on a pipe works too. The first bytes of the (decompressed)
 * stream are read to tell a pcap, a pcapng and a text log apart, and are
 * then handed out again: the reader (libpcap, the pcapng reader, the log
 * parser) sees the stream from its first byte, through a stdio FILE.
 *
 * A regular file can be rewound (np_instream_rewind): the offline reader
 * closes the streams of the captures it is not reading yet and starts them
 * again when their turn comes, keeping only their file descriptor.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum np_in_format {
	NP_IN_PCAP = 1, /* classic pcap, either byte order, micro or nano */
	NP_IN_PCAPNG,	/* pcapng (section header block first) */
	NP_IN_OTHER,	/* anything else: perhaps an Expressway log */
};

enum np_in_comp {
	NP_IN_PLAIN = 0,
	NP_IN_GZIP,
	NP_IN_ZSTD,
};

struct np_instream;

/*
 * Open @p path ("-": standard input), undo its compression, read its first
 * bytes. @return the stream, or NULL with a one-line reason in @p err
 * ("PATH: cannot read: ...", "PATH: empty", "PATH: not gzip data ...").
 */
struct np_instream *np_instream_open(const char *path, char *err, size_t errlen);

/* What the first bytes say. */
enum np_in_format np_instream_format(const struct np_instream *s);
enum np_in_comp np_instream_comp(const struct np_instream *s);

/*
 * The stream from its first byte, as a FILE (read only; fclose() it when
 * done, before np_instream_rewind() or np_instream_close(): the FILE's
 * buffer of @p bufsize bytes belongs to the stream). Only one FILE at a
 * time. @return NULL with errno set when out of memory.
 */
FILE *np_instream_file(struct np_instream *s, size_t bufsize);

/* Can np_instream_rewind() start the stream again (a regular file)? */
bool np_instream_seekable(const struct np_instream *s);

/*
 * Start again from the first byte (the FILE must be closed). @return 0, or
 * -1 with a reason in @p err.
 */
int np_instream_rewind(struct np_instream *s, char *err, size_t errlen);

/*
 * Why the last read failed ("corrupt gzip data: ...", "read: ..."), or ""
 * when none did.
 */
const char *np_instream_error(const struct np_instream *s);

/* Close the file descriptor and free everything (the FILE must be closed). */
void np_instream_close(struct np_instream *s);

#endif /* NP_INSTREAM_H */
