/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_RECORD_H
#define NP_RECORD_H

/**
 * @file
 * Records (anomalies, incidents, bindings) written as JSON lines, the format
 * docs/records.md specifies, and as lines of the human report.
 */

#include <stdio.h>

#include "np_detect.h"

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
 * @return 0, or -EIO.
 */
int np_record_write_text(FILE *f, const struct np_det_record *r, const struct np_record_names *n);

/** "2016-04-19T07:09:13.973Z" into @p buf (at least 32 bytes). @return buf. */
char *np_record_ts(uint64_t ts_ns, char *buf, size_t len);

#endif /* NP_RECORD_H */
