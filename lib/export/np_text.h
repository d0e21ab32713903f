/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_TEXT_H
#define NP_TEXT_H

/**
 * @file
 * Text for a terminal or a log: bytes that came from the wire (a Call-ID, a
 * Via, an SDP line) must not reach an operator's terminal as control
 * sequences. Every byte that is a C0 control (newline excepted), DEL, the
 * first byte of a C1 control (U+0080..U+009F, encoded C2 80..C2 9F) or not
 * part of valid UTF-8 is written as the four characters \xNN (lower-case
 * hex); valid UTF-8 and printable ASCII pass unchanged. A C1 control is
 * written as its two bytes, \xc2\xNN.
 *
 * JSON output does not use this: it has its own escaping (np_json_escape_n()).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/** Escape state across calls: an incomplete UTF-8 sequence held back. */
struct np_text_filter {
	unsigned char pend[4];
	size_t n_pend;
	bool keep_newline; /**< pass '\n' unchanged (else it becomes \x0a) */
};

/**
 * Escape @p len bytes of @p s into @p f. A UTF-8 sequence cut at the end of
 * @p s is held in @p tf until the next call or np_text_filter_flush().
 * @return 0, or -EIO when writing to @p f failed.
 */
int np_text_filter_write(struct np_text_filter *tf, FILE *f, const char *s, size_t len);

/**
 * Write what @p tf holds back (an incomplete sequence, escaped byte by byte).
 * @return 0, or -EIO.
 */
int np_text_filter_flush(struct np_text_filter *tf, FILE *f);

/**
 * Escape @p len bytes of @p s into @p out (size @p outlen, always
 * NUL-terminated when @p outlen > 0); newlines are escaped too, so the result
 * is one line. Output that does not fit is cut at a character boundary.
 * @return the length written (without the NUL).
 */
size_t np_text_escape(char *out, size_t outlen, const char *s, size_t len);

/**
 * Length of the valid UTF-8 sequence at @p s (1 for ASCII, up to 4), or 0
 * when it is not one or is cut by @p left: overlong forms, surrogates and
 * code points above U+10FFFF are not valid. For other escapers (HTML).
 */
size_t np_text_utf8_len(const char *s, size_t left);

/**
 * A stdio stream that escapes everything written to it (newlines kept) and
 * writes the result to @p out. fclose() it to flush it; @p out stays open.
 * @return the stream, or NULL with errno set.
 */
FILE *np_text_fopen(FILE *out);

#endif /* NP_TEXT_H */
