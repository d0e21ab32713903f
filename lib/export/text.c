/* SPDX-License-Identifier: BSD-3-Clause */
/* Control characters and invalid UTF-8 escaped as \xNN (np_text.h). */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "np_text.h"

/*
 * Length of the UTF-8 sequence starting at @p s: 1..4 when valid, 0 when
 * invalid, -1 when @p left bytes are a valid start that needs more.
 * Overlong forms, surrogates and code points above U+10FFFF are invalid.
 */
static int seq_len(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	int n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (int i = 1; i < n; i++) {
		if ((size_t)i >= left)
			return -1;
		if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xbf))
			return 0;
	}
	return n;
}

size_t np_text_utf8_len(const char *s, size_t left)
{
	int n = left > 0 ? seq_len((const unsigned char *)s, left) : 0;

	return n > 0 ? (size_t)n : 0;
}

static bool is_control(unsigned char c, bool keep_newline)
{
	return (c < 0x20 && !(keep_newline && c == '\n')) || c == 0x7f;
}

/* Emit: calls put(ctx, bytes, n) for runs of safe bytes and escapes. */
typedef int (*put_fn)(void *ctx, const char *p, size_t n);

static int put_hex(put_fn put, void *ctx, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

	return put(ctx, e, 4);
}

/*
 * Escape s[0..len). @return bytes consumed: all of them, except an
 * incomplete sequence at the end when @p final is false; or -1 on error.
 */
static long escape(put_fn put, void *ctx, const unsigned char *s, size_t len, bool keep_newline,
		   bool final)
{
	size_t i = 0, run = 0;

	while (i < len) {
		int n = seq_len(s + i, len - i);

		if (n == 1 && !is_control(s[i], keep_newline)) {
			i++;
			continue;
		}
		if (n == -1 && !final)
			break;
		if (i > run && put(ctx, (const char *)s + run, i - run) < 0)
			return -1;
		if (n == 2 && s[i] == 0xc2 && s[i + 1] <= 0x9f) {
			/* C1 control: both bytes escaped */
			if (put_hex(put, ctx, s[i]) < 0 || put_hex(put, ctx, s[i + 1]) < 0)
				return -1;
			i += 2;
		} else if (n >= 2) {
			if (put(ctx, (const char *)s + i, (size_t)n) < 0)
				return -1;
			i += (size_t)n;
		} else {
			if (put_hex(put, ctx, s[i]) < 0)
				return -1;
			i++;
		}
		run = i;
	}
	if (i > run && put(ctx, (const char *)s + run, i - run) < 0)
		return -1;
	return (long)i;
}

static int put_file(void *ctx, const char *p, size_t n)
{
	return fwrite(p, 1, n, ctx) == n ? 0 : -1;
}

int np_text_filter_write(struct np_text_filter *tf, FILE *f, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	/* Complete a sequence held back from the last call, one byte at a time. */
	while (tf->n_pend > 0 && len > 0) {
		unsigned char buf[4];
		long done;

		memcpy(buf, tf->pend, tf->n_pend);
		buf[tf->n_pend] = *u;
		done = escape(put_file, f, buf, tf->n_pend + 1, tf->keep_newline, false);
		if (done < 0)
			return -EIO;
		if ((size_t)done == tf->n_pend + 1) { /* complete, or proven invalid */
			tf->n_pend = 0;
		} else {
			/* escape() wrote buf[0..done) and holds back the rest */
			memmove(tf->pend, buf + done, tf->n_pend + 1 - (size_t)done);
			tf->n_pend = tf->n_pend + 1 - (size_t)done;
		}
		u++;
		len--;
	}
	if (len > 0) {
		long done = escape(put_file, f, u, len, tf->keep_newline, false);

		if (done < 0)
			return -EIO;
		tf->n_pend = len - (size_t)done;
		memcpy(tf->pend, u + done, tf->n_pend);
	}
	return ferror(f) ? -EIO : 0;
}

int np_text_filter_flush(struct np_text_filter *tf, FILE *f)
{
	long done = escape(put_file, f, tf->pend, tf->n_pend, tf->keep_newline, true);

	tf->n_pend = 0;
	return done < 0 || ferror(f) ? -EIO : 0;
}

struct buf_ctx {
	char *out;
	size_t len, cap;
};

static int put_buf(void *ctx, const char *p, size_t n)
{
	struct buf_ctx *b = ctx;

	if (b->len + n >= b->cap)
		return -1; /* whole pieces only: never half an escape or character */
	memcpy(b->out + b->len, p, n);
	b->len += n;
	return 0;
}

size_t np_text_escape(char *out, size_t outlen, const char *s, size_t len)
{
	struct buf_ctx b = { out, 0, outlen };

	if (outlen == 0)
		return 0;
	escape(put_buf, &b, (const unsigned char *)s, len, false, true);
	out[b.len] = '\0';
	return b.len;
}

/* The np_text_fopen() stream: a filter in front of another FILE. */
struct text_cookie {
	struct np_text_filter tf;
	FILE *out;
};

static ssize_t cookie_write(void *c, const char *buf, size_t size)
{
	struct text_cookie *tc = c;

	if (np_text_filter_write(&tc->tf, tc->out, buf, size) < 0)
		return 0;
	return (ssize_t)size;
}

static int cookie_close(void *c)
{
	struct text_cookie *tc = c;
	int ret = np_text_filter_flush(&tc->tf, tc->out);

	if (fflush(tc->out) != 0)
		ret = -EIO;
	free(tc);
	return ret < 0 ? EOF : 0;
}

FILE *np_text_fopen(FILE *out)
{
	cookie_io_functions_t io = { .write = cookie_write, .close = cookie_close };
	struct text_cookie *tc = calloc(1, sizeof(*tc));
	FILE *f;

	if (tc == NULL)
		return NULL;
	tc->tf.keep_newline = true;
	tc->out = out;
	f = fopencookie(tc, "w", io);
	if (f == NULL)
		free(tc);
	return f;
}
