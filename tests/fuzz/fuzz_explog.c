/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/explog: any byte string is an Expressway
 * diagnostic log (and a SIPMSG dump, a message, a UTCTime). Besides the
 * sanitizers' checks, it aborts when a result breaks the contract in
 * np_explog.h: entries out of time order, text outside the text area, a
 * kind, action or event out of range, a zero key, a rebuild whose length
 * depends on the buffer it is given.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "np_explog.h"

#define CHECK(c)                 \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_log(const struct np_explog *log)
{
	const struct np_explog_stats *st = &log->st;

	CHECK(log->n <= st->entries);
	CHECK(st->tvcs <= st->entries);
	CHECK(st->garbled <= st->lines);
	CHECK(st->sip_dumps + st->sip_summaries + st->tcp == log->n);
	for (size_t i = 0; i < log->n; i++) {
		const struct np_explog_entry *e = &log->e[i];

		if (i > 0)
			CHECK(log->e[i - 1].ts_ns <= e->ts_ns);
		CHECK(e->line >= 1 && e->line <= st->lines);
		CHECK(e->proto == 6 || e->proto == 17);
		if (e->kind == NP_EXPLOG_SIP) {
			struct np_explog_msg_info mi;

			CHECK(e->action == NP_EXPLOG_RECEIVED || e->action == NP_EXPLOG_SENT);
			CHECK(e->tcp == 0);
			CHECK((size_t)e->text_off + e->text_len <= log->text_len);
			CHECK(e->key != 0);
			CHECK(e->is_request == (e->status == 0));
			/* The fields match what the text says. */
			CHECK(np_explog_msg_info(np_explog_text(log, e), e->text_len, &mi) == 0);
			CHECK(mi.key == e->key && mi.status == e->status && mi.cseq == e->cseq);
		} else {
			CHECK(e->kind == NP_EXPLOG_TCP);
			CHECK(e->tcp >= NP_EXPLOG_TCP_CONNECTING && e->tcp <= NP_EXPLOG_TCP_CLOSED);
			CHECK(e->sport != 0 && e->dport != 0);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct np_explog log;
	struct np_explog_msg_info mi;
	size_t full, part;
	uint64_t ns;
	char *out;

	CHECK(np_explog_parse(s, size, &log) == 0);
	check_log(&log);
	np_explog_free(&log);

	/* The same bytes as a dump: the length never depends on the room given. */
	full = np_explog_rebuild(s, size, NULL, 0);
	out = malloc(full + 1);
	CHECK(out != NULL);
	CHECK(np_explog_rebuild(s, size, out, full) == full);
	part = full / 2;
	CHECK(np_explog_rebuild(s, size, out, part) == full);
	(void)np_explog_msg_info(out, full, &mi);
	CHECK(mi.key != 0);
	free(out);

	(void)np_explog_msg_info(s, size, &mi);
	if (np_explog_utctime(s, size, &ns) == 0)
		CHECK(size >= 19);
	return 0;
}
