/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_RECORD_H
#define NP_RECORD_H

/**
 * @file
 * Records (anomalies, incidents, bindings) written as JSON lines, the format
 * docs/records.md specifies, and as lines of the human report.
 */

#include <stdio.h>

#include "np_correlate.h"

/** Segment names, by index, for the "segment" fields; input names for "frames". */
struct np_record_names {
	unsigned int n_segments;
	const char *const *segments;
	/** Input names by np_pkt_ref::input: file names offline, port names live. */
	unsigned int n_inputs;
	const char *const *inputs;
};

/** The name of input @p i ("?" when unknown). */
const char *np_record_input_name(const struct np_record_names *n, unsigned int i);

/** The name of segment @p i ("?" when unknown). */
const char *np_record_segment_name(const struct np_record_names *n, int i);

/**
 * Write @p r as one JSON object and a newline.
 * @return 0, or -EIO when writing failed.
 */
int np_record_write_json(FILE *f, const struct np_det_record *r, const struct np_record_names *n);

/**
 * Write @p r for the human report: an incident as a block (detail,
 * diagnosis, evidence ladder, fixes), other records as one line.
 * @param all, n_all  the records an incident's evidence ids are looked up in
 *                    (its ladder); may be NULL/0 (no ladder lines)
 * @return 0, or -EIO.
 */
int np_record_write_text(FILE *f, const struct np_det_record *r, const struct np_record_names *n,
			 const struct np_det_record *all, size_t n_all);

/*
 * An incident told (lib/export/story.c): the correlator writes facts
 * (struct np_det_story, the evidence ids); these tell them, for the JSON
 * records, the report and the pictures alike. Each writes into @p buf
 * (NUL-terminated, cut to @p len) and returns it.
 */

/** Incident @p r's diagnosis: what the firewall does and what follows. */
char *np_record_diagnosis(const struct np_det_record *r, char *buf, size_t len);

/** Incident @p r's fix @p i: 0 disables the source translation, 1 is the dual-NIC way. */
char *np_record_fix(const struct np_det_record *r, unsigned int i, char *buf, size_t len);

/** One step of incident @p inc's story: evidence record @p e as one line. */
char *np_record_step(const struct np_det_record *inc, const struct np_det_record *e, char *buf,
		     size_t len);

/** The record with id @p id in [all, all + n_all), or NULL. */
const struct np_det_record *np_record_find(const struct np_det_record *all, size_t n_all,
					   uint32_t id);

/**
 * Incident @p inc's evidence ladder, one lane per side of the firewall
 * (C | FW | E), its evidence records looked up in [all, all + n_all), in
 * time order. @return 0, or -EIO.
 */
int np_record_write_ladder(FILE *f, const struct np_det_record *inc,
			   const struct np_det_record *all, size_t n_all,
			   const struct np_record_names *n);

/** "2016-04-19T07:09:13.973Z" into @p buf (at least 32 bytes). @return buf. */
char *np_record_ts(uint64_t ts_ns, char *buf, size_t len);

/** @p ts_ns as the time of day, "HH:MM:SS.mmm" (UTC), as ladders show it. @return @p buf. */
char *np_record_clock(uint64_t ts_ns, char *buf, size_t len);

#endif /* NP_RECORD_H */
