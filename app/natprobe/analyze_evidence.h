/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_ANALYZE_EVIDENCE_H
#define NP_ANALYZE_EVIDENCE_H

/*
 * `analyze --evidence DIR` and `analyze --html FILE`: the offline reader's
 * inspector fills an evidence history (the same mechanism, and the same
 * size, evidence.history_frames, as each worker of `run`); every incident's
 * frames are gathered when the incident is written, written to
 * DIR/incident-ID.pcapng, and drawn in the HTML page at the end.
 */

#include <stdbool.h>

#include "np_evidence.h"
#include "np_record.h"
#include "offline.h"

struct np_aev {
	const char *dir;  /* --evidence; NULL: no captures */
	const char *html; /* --html; NULL: no page */
	struct np_hist *hist;
	struct np_evidence *ev;
	const struct np_record_names *names;
	size_t n_sets, cap_sets;
	struct np_evidence_set *sets; /* one per incident, in the order written */
	char (*paths)[4200];	      /* their capture files ("" when not written) */
	uint64_t lost;		      /* cited frames no longer in the history */
	unsigned int errors;	      /* captures that could not be written */
};

/* Any of --evidence / --html given? */
static inline bool np_aev_on(const struct np_aev *x)
{
	return x->dir != NULL || x->html != NULL;
}

/*
 * Check DIR (an existing directory) and the HTML file's directory, make the
 * history and give it to @p o (before np_offline_open()). @return 0, or -1
 * with one line in @p err.
 */
int np_aev_start(struct np_aev *x, struct np_offline *o, const struct np_record_names *names,
		 char *err, size_t errlen);

/* Each record, as written: an incident gets its frames gathered and its capture written. */
void np_aev_record(struct np_aev *x, const struct np_det_record *r);

/*
 * The page: @p verdict (the report's first line), every record, the inputs.
 * Written to a new file in the page's directory, then renamed over the
 * path (never through a link, never a partial page). @return 0, or -1
 * with one line in @p err.
 */
int np_aev_write_html(struct np_aev *x, struct np_offline *o, const char *verdict,
		      const struct np_det_record *recs, size_t n_recs, char *err, size_t errlen);

void np_aev_free(struct np_aev *x);

#endif /* NP_ANALYZE_EVIDENCE_H */
