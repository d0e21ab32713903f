/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests: text escaping for terminals and logs (lib/export/np_text.h). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "np_counters.h"
#include "np_text.h"

/* Run @p in through a filter stream, in pieces of @p chunk bytes; return the output (free it). */
static char *filtered(const char *in, size_t len, size_t chunk)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *mem = open_memstream(&buf, &size);
	FILE *f;

	assert_non_null(mem);
	f = np_text_fopen(mem);
	assert_non_null(f);
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		assert_int_equal(fwrite(in + off, 1, n, f), n);
		assert_int_equal(fflush(f), 0);
	}
	assert_int_equal(fclose(f), 0);
	fclose(mem);
	return buf;
}

static void test_controls_escaped(void **state)
{
	static const char in[] = "id\x1b]0;pwned\x07-\r\t\x7f-ok\n";
	char *out;

	(void)state;
	out = filtered(in, sizeof(in) - 1, 4096);
	assert_string_equal(out, "id\\x1b]0;pwned\\x07-\\x0d\\x09\\x7f-ok\n");
	free(out);
}

static void test_c1_and_invalid_utf8(void **state)
{
	/* U+009B (CSI as C1), é (valid), a lone continuation byte, 0xff, an overlong '/' */
	static const char in[] = "a\xc2\x9b"
				 "b\xc3\xa9"
				 "c\x80"
				 "d\xff"
				 "e\xc0\xaf"
				 "f\xe2\x82";
	char *out;

	(void)state;
	out = filtered(in, sizeof(in) - 1, 4096);
	assert_string_equal(out, "a\\xc2\\x9bb\xc3\xa9"
				 "c\\x80d\\xffe\\xc0\\xaff\\xe2\\x82");
	free(out);
}

static void test_sequences_split_across_writes(void **state)
{
	/* €, 𝄞 and a C1 control, written one byte per call */
	static const char in[] = "\xe2\x82\xac|\xf0\x9d\x84\x9e|\xc2\x85|\xe2\x82X";
	char *out;

	(void)state;
	out = filtered(in, sizeof(in) - 1, 1);
	assert_string_equal(out, "\xe2\x82\xac|\xf0\x9d\x84\x9e|\\xc2\\x85|\\xe2\\x82X");
	free(out);
}

static void test_escape_buffer_one_line(void **state)
{
	char out[16];
	size_t n;

	(void)state;
	n = np_text_escape(out, sizeof(out), "a\nb\x1b", 4);
	assert_string_equal(out, "a\\x0ab\\x1b");
	assert_int_equal(n, strlen(out));
	/* cut at a whole escape, never inside one */
	n = np_text_escape(out, 8, "ab\x1b\x1b", 4);
	assert_string_equal(out, "ab\\x1b");
	assert_int_equal(n, 6);
}

/* JSON keeps its own escaping; a C1 control (valid UTF-8) is escaped there too. */
static void test_json_escapes_c1(void **state)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	(void)state;
	assert_non_null(f);
	np_json_escape_n(f, "a\xc2\x9b\xc2\xa0\x1b", 6);
	fclose(f);
	assert_string_equal(buf, "a\\u009b\xc2\xa0\\u001b");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls_escaped),
		cmocka_unit_test(test_c1_and_invalid_utf8),
		cmocka_unit_test(test_sequences_split_across_writes),
		cmocka_unit_test(test_escape_buffer_one_line),
		cmocka_unit_test(test_json_escapes_c1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
