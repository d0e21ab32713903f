/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_EXPLOG_H
#define NP_EXPLOG_H

/**
 * @file
 * Expressway / VCS diagnostic logs as an offline input: the `tvcs:` syslog
 * lines of the `network.sip` and `network.tcp` modules turned into plain
 * entries (a SIP message as that box sent or received it, a TCP connection
 * event), sorted by time. Traversal SIP is TLS on the wire; these logs hold
 * it in clear text.
 *
 * Plain C, no DPDK, no SIP parser: the messages are rebuilt as text (CRLF
 * line ends) for lib/sip to parse. Everything a log says is data: no input
 * makes a function read outside the buffer it was given, and unknown or
 * garbled lines are counted, never fatal.
 *
 * Accepted layouts (docs/expressway-logs.md has examples):
 *
 * - One entry per line (the log file as Expressway writes it, or as the web
 *   UI shows it): the SIP message after `SIPMSG:` between two `|` with its
 *   line ends lost, each header running into the next after a space. The
 *   headers are split again before known header names followed by ':'
 *   (Via, Call-ID, CSeq, From, To, Route, Record-Route, Contact, ...; any
 *   name starting "X-" or "P-"); the body starts after the Content-Length
 *   value. An SDP body (starting "v=0") is split again before its
 *   one-letter fields.
 * - The message dump with one header per line (`SIPMSG:` / `|REQUEST ...` /
 *   `Via: ...` / ... / `|`).
 * - Hard-wrapped exports: a long entry continued on the following lines,
 *   which do not start with a syslog timestamp. Continuation lines are
 *   joined to their entry: with nothing when the file is folded at a fixed
 *   width (most lines that are continued have the same length), with
 *   nothing after a '-', inside a message dump with a line break (a header
 *   boundary when a header name follows, else a wrap), else with a space.
 *
 * Entries used:
 *
 * - `Module="network.sip"` with `Action="Received"` (`Src-ip`/`Src-port` to
 *   `Local-ip`/`Local-port`) or `Action="Sent"` (`Local-*` to
 *   `Dst-ip`/`Dst-port`) and a `SIPMSG:` dump;
 * - the same with a `Detail="Sending Response Code=408, Method=SERVICE,
 *   CSeq=4616, ..."` / `"Receive Request Method=..."` summary and no dump of
 *   that message in the log (same direction, Call-ID, CSeq, code or method,
 *   endpoints, within NP_EXPLOG_SUMMARY_WINDOW_NS): a minimal message is
 *   synthesised; a response copies the Via, From and To of its request when
 *   the log holds it;
 * - `Module="network.tcp"` with `Src-*`, `Dst-*` and `Detail="TCP
 *   Connecting"`, `"TCP Connected"`, `"TCP Connection Failed"` or `"TCP
 *   Connection Closed"`.
 *
 * Time is `UTCTime="2016-04-19 07:09:13,973"` (UTC, milliseconds), else the
 * syslog timestamp when it carries a zone (`2016-04-19T17:09:13+10:00`).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "np_pkt.h"

/** Longest logical entry (a line and its continuations); longer ones are garbled. */
#define NP_EXPLOG_MAX_ENTRY (1u << 20)
/** A summary and a dump of the same message are at most this far apart. */
#define NP_EXPLOG_SUMMARY_WINDOW_NS (2ull * 1000000000ull)

/** np_explog_entry::kind */
enum np_explog_kind {
	NP_EXPLOG_SIP = 1, /**< a SIP message sent or received by the logging box */
	NP_EXPLOG_TCP,	   /**< a TCP connection event */
};

/** np_explog_entry::action (SIP) */
enum np_explog_action {
	NP_EXPLOG_RECEIVED = 1, /**< Action="Received": src is the peer, dst the box */
	NP_EXPLOG_SENT,		/**< Action="Sent": src is the box, dst the peer */
};

/** np_explog_entry::tcp (TCP) */
enum np_explog_tcp {
	NP_EXPLOG_TCP_CONNECTING = 1, /**< "TCP Connecting": a SYN left src */
	NP_EXPLOG_TCP_CONNECTED,      /**< "TCP Connected" */
	NP_EXPLOG_TCP_FAILED,	      /**< "TCP Connection Failed" */
	NP_EXPLOG_TCP_CLOSED,	      /**< "TCP Connection Closed" */
};

/** One entry used from a log. */
struct np_explog_entry {
	uint64_t ts_ns;	   /**< UTC, ns since the epoch */
	uint32_t line;	   /**< first line of the entry in the file, from 1 */
	uint8_t kind;	   /**< enum np_explog_kind */
	uint8_t action;	   /**< SIP: enum np_explog_action; TCP: 0 */
	uint8_t tcp;	   /**< TCP: enum np_explog_tcp; SIP: 0 */
	uint8_t proto;	   /**< SIP: 17 when the top Via says UDP, else 6; TCP: 6 */
	bool from_summary; /**< SIP: synthesised from an INFO summary (no dump) */
	bool is_request;   /**< SIP */
	uint16_t status;   /**< SIP responses: 100..699; else 0 */
	/** The message's (or connection attempt's) tuple: sender first. */
	struct np_addr src;
	struct np_addr dst;
	uint16_t sport;
	uint16_t dport;
	uint32_t cseq; /**< SIP: CSeq number (0 when none) */
	/**
	 * SIP: hash over the start line (method and Request-URI, or the status
	 * code), Call-ID, CSeq and top Via branch: equal for the same message
	 * logged by two boxes, whatever the addresses. Never 0.
	 */
	uint64_t key;
	/** SIP: hash of the message's bytes other than white space (layout-proof). */
	uint64_t canon_hash;
	uint32_t text_off; /**< SIP: the rebuilt message, in np_explog::text */
	uint32_t text_len;
};

/** What a parse found. Lines are physical lines of the file. */
struct np_explog_stats {
	uint64_t lines;		/**< lines read */
	uint64_t entries;	/**< entries (a timestamped line with its continuations) */
	uint64_t tvcs;		/**< entries from tvcs with a usable time (the log's mark) */
	uint64_t sip_dumps;	/**< SIP messages from SIPMSG dumps */
	uint64_t sip_summaries; /**< SIP messages synthesised from summaries */
	uint64_t summaries_dup; /**< summaries of a message whose dump is present (unused) */
	uint64_t tcp;		/**< TCP events */
	uint64_t ignored;	/**< entries understood and not needed (other modules, ...) */
	uint64_t garbled;	/**< lines not understood: outside any entry, control
				 *   characters, or an entry of a used module whose fields
				 *   are missing or invalid */
};

/** A parsed log. */
struct np_explog {
	struct np_explog_entry *e; /**< entries, by time (file order for equal times) */
	size_t n;
	char *text; /**< rebuilt SIP messages */
	size_t text_len;
	struct np_explog_stats st;
	size_t cap_e, cap_text; /**< private */
};

/**
 * Parse a whole log.
 *
 * @param buf  the file's bytes (need not be NUL-terminated; may hold NULs)
 * @param len  bytes at @p buf
 * @param log  filled in; free with np_explog_free() whatever the result
 * @return 0 (a file that is no log at all parses too: check
 *         np_explog_is_log()); -EINVAL for NULL @p log or @p buf with a
 *         length; -ENOMEM.
 */
int np_explog_parse(const char *buf, size_t len, struct np_explog *log);

/** Release what np_explog_parse() allocated; @p log is zeroed. NULL is a no-op. */
void np_explog_free(struct np_explog *log);

/** Did the parse find at least one tvcs entry with a usable time? */
bool np_explog_is_log(const struct np_explog *log);

/** The rebuilt message text of a SIP entry (CRLF line ends, not NUL-terminated). */
static inline const char *np_explog_text(const struct np_explog *log,
					 const struct np_explog_entry *e)
{
	return log->text + e->text_off;
}

/**
 * Parse a UTCTime value: "YYYY-MM-DD HH:MM:SS" with an optional fraction
 * after ',' or '.' (1 to 9 digits), UTC; a 'T' may separate date and time.
 * @return 0 with @p ns set; -EINVAL when @p s is not such a time (years
 *         1970..9999 only).
 */
int np_explog_utctime(const char *s, size_t len, uint64_t *ns);

/**
 * Rebuild a SIP message from the text of a SIPMSG dump (what lies between
 * the two '|'; line breaks inside it, if any, as '\n'), see the file
 * comment: start line, one header per line, CRLF, empty line, body.
 *
 * @param dump  the dump text
 * @param len   its length
 * @param out   where to write; may be NULL when @p cap is 0
 * @param cap   bytes at @p out
 * @return the length of the rebuilt message; when it is above @p cap only
 *         the first @p cap bytes were written.
 */
size_t np_explog_rebuild(const char *dump, size_t len, char *out, size_t cap);

/** What np_explog_msg_info() reads from a rebuilt message. */
struct np_explog_msg_info {
	bool is_request;
	uint16_t status; /**< responses */
	uint8_t proto;	 /**< 17 when the top Via transport is UDP, else 6 */
	uint32_t cseq;
	uint64_t key;	     /**< as np_explog_entry::key */
	uint64_t canon_hash; /**< as np_explog_entry::canon_hash */
};

/**
 * Read the start line, Call-ID, CSeq and top Via of a message (CRLF or LF
 * line ends; compact forms i, v accepted).
 * @return 0; -EINVAL when the first line is neither a request nor a
 *         status line (the hashes are still set).
 */
int np_explog_msg_info(const char *msg, size_t len, struct np_explog_msg_info *mi);

#endif /* NP_EXPLOG_H */
