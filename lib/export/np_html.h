/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_HTML_H
#define NP_HTML_H

/**
 * @file
 * The analysis as one self-contained HTML page (`natprobe analyze --html`):
 * the verdict, then per incident a ladder diagram drawn as inline SVG from
 * its evidence frames (the frames of its evidence capture, np_evidence.h),
 * the diagnosis, the fixes and the evidence table; then the other
 * anomalies.
 *
 * The page loads nothing (no script, no font, no image, no style sheet from
 * elsewhere; a Content-Security-Policy that allows none) and needs no
 * JavaScript. Every byte that came from the wire or a capture is escaped
 * for HTML, and control characters and bytes that are not UTF-8 are shown
 * as \xNN.
 *
 * The ladder has one lane per endpoint on each side of the firewall and one
 * for the firewall (its faces: the address clients dial on one side, the
 * translated source on the other); an arrow per SIP request and response,
 * TCP SYN, SYN-ACK, RST and FIN and ICMP error, with its time, the segment
 * and frame it was seen in, and the records citing it. The translated
 * address is highlighted wherever it appears, and so is the header value a
 * translated_route record names. Frames that are only context (same
 * connection or dialog) are drawn faint.
 */

#include <stddef.h>
#include <stdio.h>

#include "np_correlate.h"
#include "np_evidence.h"
#include "np_record.h"
#include "np_sip.h"

/** One incident to draw. */
struct np_html_incident {
	const struct np_det_record *incident;
	const struct np_evidence_set *evidence; /**< its frames; NULL: no ladder */
	const char *capture;			/**< its evidence capture's path, or NULL */
};

/** What the page shows. */
struct np_html_report {
	const char *verdict;		     /**< "Verdict: ..." (the report's first line) */
	const char *inputs;		     /**< "inside=inside.pcap dmz=dmz.pcap", or NULL */
	const char *version;		     /**< natprobe's */
	const struct np_det_record *records; /**< every record, in id order */
	size_t n_records;
	const struct np_html_incident *incidents;
	size_t n_incidents;
	const struct np_record_names *names;
	/** Compiled SIP matcher to read the evidence frames with (np_sip_db_create()). */
	const struct np_sip_db *sip_db;
	/** SIP ports (sip.ports); 0 entries: 5060, 5061, 7001, 7003. */
	const uint16_t *sip_ports;
	unsigned int n_sip_ports;
};

/**
 * Write the page to @p f.
 * @return 0, -EIO when writing failed, -ENOMEM.
 */
int np_html_write(FILE *f, const struct np_html_report *rep);

/**
 * Write @p len bytes of @p s escaped for HTML text and attribute values:
 * & < > " ' as entities, control characters (except none), DEL and bytes
 * that are not valid UTF-8 as the text \xNN. @return 0 or -EIO.
 */
int np_html_escape(FILE *f, const char *s, size_t len);

#endif /* NP_HTML_H */
