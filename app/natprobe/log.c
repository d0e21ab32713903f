/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * natprobe's log lines: np_err() and every rte_log() after EAL start-up.
 *
 * - Each line goes to stderr once. DPDK's own console stream writes a line
 *   to stderr and again to syslog(3); under systemd both reach the journal.
 *   After rte_eal_init() natprobe hands rte_log a stream of its own
 *   (rte_openlog_stream()) that writes to stderr only, and closes the syslog
 *   connection EAL opened.
 * - Under journald (JOURNAL_STREAM names our stderr, as systemd documents
 *   for a service's output) each line starts with its syslog priority,
 *   "<3>" for an error ... "<7>" for debug, which journald takes as the
 *   line's level (SyslogLevelPrefix=, on by default) and strips.
 * - Bytes that could drive a terminal (control characters, invalid UTF-8,
 *   from a file name or the wire) are written as \xNN (lib/export/np_text.h).
 * - A write that fails (EPIPE: the reader of the pipe is gone; SIGPIPE is
 *   ignored by `run`) loses that line and is counted; nothing waits or exits.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <rte_log.h>

#include "np_cli.h"
#include "np_text.h"

#define NP_LOG_LINE_MAX 2048 /* longer lines are cut (escaped form) */

static bool journal_prefix;
static uint64_t write_failures[NP_OUT_MAX];

void np_log_init(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long dev, ino;
	struct stat st;

	journal_prefix = js != NULL && sscanf(js, "%lu:%lu", &dev, &ino) == 2 &&
			 fstat(STDERR_FILENO, &st) == 0 && (unsigned long)st.st_dev == dev &&
			 (unsigned long)st.st_ino == ino;
}

bool np_log_journal(void)
{
	return journal_prefix;
}

void np_output_failed(enum np_output out)
{
	__atomic_fetch_add(&write_failures[out], 1, __ATOMIC_RELAXED);
}

uint64_t np_output_failures(enum np_output out)
{
	return __atomic_load_n(&write_failures[out], __ATOMIC_RELAXED);
}

/* write(2) all of it; a failure (EPIPE, ...) is counted once. */
static void write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			np_output_failed(NP_OUT_STDERR);
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

/* One line: @p len bytes of @p text, all escaped (newlines too), at syslog priority @p prio. */
static void emit_line(int prio, const char *text, size_t len)
{
	char line[NP_LOG_LINE_MAX + 8];
	size_t off = 0;

	if (journal_prefix)
		off = (size_t)snprintf(line, sizeof(line), "<%d>",
				       prio < 0	  ? 6
				       : prio > 7 ? 7
						  : prio);
	off += np_text_escape(line + off, sizeof(line) - off - 1, text, len);
	line[off++] = '\n';
	write_all(line, off);
}

void np_log_text(int prio, const char *text, size_t len)
{
	while (len > 0) {
		const char *nl = memchr(text, '\n', len);
		size_t body = nl ? (size_t)(nl - text) : len;

		if (body > 0 || nl == NULL)
			emit_line(prio, text, body);
		text += nl ? body + 1 : len;
		len -= nl ? body + 1 : len;
	}
}

void np_err(const char *fmt, ...)
{
	char msg[NP_LOG_LINE_MAX];
	va_list ap;
	int n;

	memcpy(msg, "natprobe: ", 10);
	va_start(ap, fmt);
	n = vsnprintf(msg + 10, sizeof(msg) - 10, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	/* one line, whatever the message holds: emit_line() escapes newlines too */
	emit_line(LOG_ERR, msg, strnlen(msg, sizeof(msg)));
}

/* rte_log's stream: DPDK formats one message and flushes; the lcore's level says its priority. */
static ssize_t dpdk_log_write(void *cookie, const char *buf, size_t size)
{
	int level = rte_log_cur_msg_loglevel(); /* RTE_LOG_EMERG (1) .. RTE_LOG_DEBUG (8) */

	(void)cookie;
	np_log_text(level >= 1 ? level - 1 : LOG_INFO, buf, size);
	return (ssize_t)size;
}

int np_log_dpdk_start(void)
{
	static FILE *stream;
	cookie_io_functions_t io = { .write = dpdk_log_write };

	if (stream == NULL) {
		stream = fopencookie(NULL, "w", io);
		if (stream == NULL)
			return -errno;
		/* DPDK flushes after each message; a line never waits in a buffer */
		setvbuf(stream, NULL, _IOFBF, NP_LOG_LINE_MAX);
	}
	rte_openlog_stream(stream);
	/* EAL's openlog(LOG_NDELAY) socket: nothing natprobe runs writes to syslog */
	closelog();
	return 0;
}

void np_conf_print_errors(const char *err)
{
	while (*err) {
		size_t n = strcspn(err, "\n");

		np_err("%.*s", (int)n, err);
		err += n + (err[n] == '\n');
	}
}
