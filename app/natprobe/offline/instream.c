/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Offline input streams (instream.h). Layers, bottom up: the file descriptor
 * with the raw bytes read for detection put back in front; the decompressor
 * (zlib inflate, libzstd), when the raw bytes start with a gzip or zstd magic
 * number; the decoded bytes read for detection put back in front; a stdio
 * FILE over all of it (fopencookie), which libpcap and the log parser read.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "instream.h"

#define PEEK_MAX 8
#define COMP_IN_BUF (128u * 1024)

struct np_instream {
	const char *path;
	int fd;
	bool own_fd; /* not stdin */
	bool seekable;
	enum np_in_comp comp;
	enum np_in_format fmt;
	/* raw bytes already read from fd, handed out again first */
	uint8_t raw_peek[PEEK_MAX];
	unsigned int raw_len, raw_pos;
	/* decoded bytes already read for detection, handed out again first */
	uint8_t dec_peek[PEEK_MAX];
	unsigned int dec_len, dec_pos;
	/* decompression */
	z_stream z;
	bool z_init;
	bool z_end; /* the last gzip member ended and no input followed */
	ZSTD_DStream *zs;
	ZSTD_inBuffer zin;
	size_t zs_last; /* last ZSTD_decompressStream() hint: 0 at a frame's end */
	uint8_t *cbuf;	/* compressed input */
	bool raw_eof;
	bool file_open;
	char *iobuf; /* the FILE's buffer (glibc ignores a size given without one) */
	size_t iobuf_size;
	char error[160];
};

/* Give @p f a buffer of @p size bytes, kept by @p s for every FILE it hands out. */
static void set_buffer(struct np_instream *s, FILE *f, size_t size)
{
	if (size == 0)
		return;
	if (s->iobuf == NULL || s->iobuf_size < size) {
		free(s->iobuf);
		s->iobuf = malloc(size);
		s->iobuf_size = s->iobuf ? size : 0;
	}
	if (s->iobuf != NULL)
		setvbuf(f, s->iobuf, _IOFBF, size);
}

static const char *name_of(const struct np_instream *s)
{
	return s->path;
}

/* Raw bytes: the put-back ones first, then read(2). */
static ssize_t raw_read(struct np_instream *s, uint8_t *buf, size_t n)
{
	ssize_t r;

	if (s->raw_pos < s->raw_len) {
		size_t k = s->raw_len - s->raw_pos;

		if (k > n)
			k = n;
		memcpy(buf, s->raw_peek + s->raw_pos, k);
		s->raw_pos += (unsigned int)k;
		return (ssize_t)k;
	}
	if (s->raw_eof)
		return 0;
	do
		r = read(s->fd, buf, n);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		snprintf(s->error, sizeof(s->error), "read: %s", strerror(errno));
	if (r == 0)
		s->raw_eof = true;
	return r;
}

static ssize_t gzip_read(struct np_instream *s, uint8_t *buf, size_t n)
{
	s->z.next_out = buf;
	s->z.avail_out = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
	while (s->z.avail_out == n && !s->z_end) {
		int rc;

		if (s->z.avail_in == 0) {
			ssize_t r = raw_read(s, s->cbuf, COMP_IN_BUF);

			if (r < 0)
				return -1;
			if (r == 0) {
				/* input ended inside a member: the file was cut */
				if (s->z.total_in > 0 || s->z.total_out > 0) {
					snprintf(s->error, sizeof(s->error),
						 "gzip data cut short (truncated file)");
					errno = EIO;
					return -1;
				}
				s->z_end = true;
				break;
			}
			s->z.next_in = s->cbuf;
			s->z.avail_in = (uInt)r;
		}
		rc = inflate(&s->z, Z_NO_FLUSH);
		if (rc == Z_STREAM_END) {
			/* a next member (gzip files may be concatenated), or the end */
			if (s->z.avail_in == 0) {
				ssize_t r = raw_read(s, s->cbuf, COMP_IN_BUF);

				if (r < 0)
					return -1;
				s->z.next_in = s->cbuf;
				s->z.avail_in = (uInt)r;
			}
			if (s->z.avail_in == 0) {
				s->z_end = true;
				break;
			}
			inflateReset(&s->z);
			continue;
		}
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			snprintf(s->error, sizeof(s->error), "corrupt gzip data: %s",
				 s->z.msg ? s->z.msg : "inflate failed");
			errno = EIO;
			return -1;
		}
	}
	return (ssize_t)(n - s->z.avail_out);
}

static ssize_t zstd_read(struct np_instream *s, uint8_t *buf, size_t n)
{
	ZSTD_outBuffer out = { buf, n, 0 };

	while (out.pos == 0) {
		size_t rc;

		if (s->zin.pos == s->zin.size) {
			ssize_t r = raw_read(s, s->cbuf, COMP_IN_BUF);

			if (r < 0)
				return -1;
			if (r == 0) {
				if (s->zs_last != 0) {
					snprintf(s->error, sizeof(s->error),
						 "zstd data cut short (truncated file)");
					errno = EIO;
					return -1;
				}
				break;
			}
			s->zin.src = s->cbuf;
			s->zin.size = (size_t)r;
			s->zin.pos = 0;
		}
		rc = ZSTD_decompressStream(s->zs, &out, &s->zin);
		if (ZSTD_isError(rc)) {
			snprintf(s->error, sizeof(s->error), "corrupt zstd data: %s",
				 ZSTD_getErrorName(rc));
			errno = EIO;
			return -1;
		}
		s->zs_last = rc;
	}
	return (ssize_t)out.pos;
}

static ssize_t dec_read(struct np_instream *s, uint8_t *buf, size_t n)
{
	switch (s->comp) {
	case NP_IN_GZIP:
		return gzip_read(s, buf, n);
	case NP_IN_ZSTD:
		return zstd_read(s, buf, n);
	default:
		return raw_read(s, buf, n);
	}
}

static ssize_t cookie_read(void *c, char *buf, size_t n)
{
	struct np_instream *s = c;

	if (s->dec_pos < s->dec_len) {
		size_t k = s->dec_len - s->dec_pos;

		if (k > n)
			k = n;
		memcpy(buf, s->dec_peek + s->dec_pos, k);
		s->dec_pos += (unsigned int)k;
		return (ssize_t)k;
	}
	return dec_read(s, (uint8_t *)buf, n);
}

static int cookie_close(void *c)
{
	struct np_instream *s = c;

	s->file_open = false;
	return 0;
}

/* Read up to @p n bytes, retrying short reads (a pipe gives what it has). */
static size_t fill(struct np_instream *s, uint8_t *buf, size_t n, bool decoded)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r =
			decoded ? dec_read(s, buf + got, n - got) : raw_read(s, buf + got, n - got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

static int start_decoder(struct np_instream *s, char *err, size_t errlen)
{
	if (s->cbuf == NULL)
		s->cbuf = malloc(COMP_IN_BUF);
	if (s->cbuf == NULL)
		goto oom;
	if (s->comp == NP_IN_GZIP) {
		memset(&s->z, 0, sizeof(s->z));
		if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK)
			goto oom;
		s->z_init = true;
		s->z_end = false;
	} else if (s->comp == NP_IN_ZSTD) {
		if (s->zs == NULL)
			s->zs = ZSTD_createDStream();
		if (s->zs == NULL)
			goto oom;
		ZSTD_initDStream(s->zs);
		memset(&s->zin, 0, sizeof(s->zin));
		s->zs_last = 0;
	}
	return 0;
oom:
	snprintf(err, errlen, "%s: out of memory", name_of(s));
	return -1;
}

static void stop_decoder(struct np_instream *s)
{
	if (s->z_init)
		inflateEnd(&s->z);
	s->z_init = false;
}

static bool is_pcap_magic(const uint8_t *m)
{
	static const uint8_t magics[4][4] = {
		{ 0xd4, 0xc3, 0xb2, 0xa1 },
		{ 0xa1, 0xb2, 0xc3, 0xd4 },
		{ 0x4d, 0x3c, 0xb2, 0xa1 },
		{ 0xa1, 0xb2, 0x3c, 0x4d },
	};

	for (unsigned int i = 0; i < 4; i++)
		if (memcmp(m, magics[i], 4) == 0)
			return true;
	return false;
}

/* Detect compression and format from the first bytes; leave them to be read again. */
static int detect(struct np_instream *s, char *err, size_t errlen)
{
	uint8_t *m = s->raw_peek;

	s->raw_len = (unsigned int)fill(s, m, 4, false);
	s->raw_pos = 0;
	if (s->error[0] != '\0') {
		snprintf(err, errlen, "%s: cannot read: %s", name_of(s), s->error);
		return -1;
	}
	if (s->raw_len == 0) {
		snprintf(err, errlen, "%s: empty: not a pcap, pcapng or Expressway diagnostic log",
			 name_of(s));
		return -1;
	}
	s->comp = NP_IN_PLAIN;
	if (s->raw_len >= 2 && m[0] == 0x1f && m[1] == 0x8b)
		s->comp = NP_IN_GZIP;
	else if (s->raw_len == 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
		s->comp = NP_IN_ZSTD;
	if (start_decoder(s, err, errlen) < 0)
		return -1;
	s->dec_len = (unsigned int)fill(s, s->dec_peek, 4, true);
	s->dec_pos = 0;
	if (s->error[0] != '\0') {
		snprintf(err, errlen, "%s: %s", name_of(s), s->error);
		return -1;
	}
	if (s->dec_len == 0) {
		snprintf(err, errlen,
			 "%s: empty once decompressed: not a pcap, pcapng or "
			 "Expressway diagnostic log",
			 name_of(s));
		return -1;
	}
	if (s->dec_len == 4 && is_pcap_magic(s->dec_peek))
		s->fmt = NP_IN_PCAP;
	else if (s->dec_len == 4 && memcmp(s->dec_peek, "\x0a\x0d\x0d\x0a", 4) == 0)
		s->fmt = NP_IN_PCAPNG;
	else
		s->fmt = NP_IN_OTHER;
	return 0;
}

struct np_instream *np_instream_open(const char *path, char *err, size_t errlen)
{
	struct np_instream *s = calloc(1, sizeof(*s));
	struct stat sb;

	if (s == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	s->path = strcmp(path, "-") == 0 ? "standard input" : path;
	if (strcmp(path, "-") == 0) {
		s->fd = STDIN_FILENO;
	} else {
		/* a FIFO blocks here until its writer opens it, as for any reader */
		s->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0) {
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
			free(s);
			return NULL;
		}
		s->own_fd = true;
	}
	if (fstat(s->fd, &sb) == 0) {
		if (S_ISDIR(sb.st_mode)) {
			snprintf(err, errlen, "%s: is a directory", path);
			np_instream_close(s);
			return NULL;
		}
		s->seekable = S_ISREG(sb.st_mode) && lseek(s->fd, 0, SEEK_CUR) == 0;
	}
	if (detect(s, err, errlen) < 0) {
		np_instream_close(s);
		return NULL;
	}
	return s;
}

enum np_in_format np_instream_format(const struct np_instream *s)
{
	return s->fmt;
}

enum np_in_comp np_instream_comp(const struct np_instream *s)
{
	return s->comp;
}

FILE *np_instream_file(struct np_instream *s, size_t bufsize)
{
	static const cookie_io_functions_t io = {
		.read = cookie_read,
		.close = cookie_close,
	};
	FILE *f;

	if (s->file_open) {
		errno = EBUSY;
		return NULL;
	}
	/*
	 * A plain regular file is read again from its start through an ordinary
	 * FILE: glibc reads large records straight into the caller's buffer
	 * there, not through a cookie stream's copy (a tenth of the offline cost
	 * per frame). Its own descriptor (dup) is closed with it; this one stays.
	 */
	if (s->comp == NP_IN_PLAIN && s->seekable && lseek(s->fd, 0, SEEK_SET) == 0) {
		int fd = fcntl(s->fd, F_DUPFD_CLOEXEC, 0);

		f = fd >= 0 ? fdopen(fd, "rb") : NULL;
		if (f == NULL) {
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		set_buffer(s, f, bufsize);
		s->raw_pos = s->raw_len; /* the put-back bytes are in the file again */
		s->dec_pos = s->dec_len;
		return f;
	}
	f = fopencookie(s, "r", io);
	if (f == NULL)
		return NULL;
	/* libpcap reads each record with two freads: a large buffer turns
	 * them into one read(2) per bufsize bytes */
	set_buffer(s, f, bufsize);
	s->file_open = true;
	return f;
}

bool np_instream_seekable(const struct np_instream *s)
{
	return s->seekable;
}

int np_instream_rewind(struct np_instream *s, char *err, size_t errlen)
{
	enum np_in_format fmt = s->fmt;

	if (!s->seekable || lseek(s->fd, 0, SEEK_SET) != 0) {
		snprintf(err, errlen, "%s: cannot read it again: %s", name_of(s),
			 s->seekable ? strerror(errno) : "not a regular file");
		return -1;
	}
	stop_decoder(s);
	s->raw_eof = false;
	s->error[0] = '\0';
	if (detect(s, err, errlen) < 0)
		return -1;
	if (s->fmt != fmt) {
		snprintf(err, errlen, "%s: changed while natprobe was reading it", name_of(s));
		return -1;
	}
	return 0;
}

const char *np_instream_error(const struct np_instream *s)
{
	return s->error;
}

void np_instream_close(struct np_instream *s)
{
	if (s == NULL)
		return;
	stop_decoder(s);
	if (s->zs != NULL)
		ZSTD_freeDStream(s->zs);
	free(s->cbuf);
	free(s->iobuf);
	if (s->own_fd && s->fd >= 0)
		close(s->fd);
	free(s);
}
