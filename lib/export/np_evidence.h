/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_EVIDENCE_H
#define NP_EVIDENCE_H

/**
 * @file
 * Evidence captures: the frames behind an incident, taken from the evidence
 * histories (np_history.h) when the incident is written, and written as one
 * pcapng file (np_pcapng_writer.h) that opens in Wireshark as the whole
 * failing exchange.
 *
 * What an incident's capture holds (docs/records.md, "Evidence captures"):
 * - every frame the incident and its evidence records cite (their "frames"),
 *   from every segment;
 * - the frames of the flows those frames belong to (the TCP connection: its
 *   SYN, FIN and RST frames whenever they were, its SIP-carrying segments
 *   within NP_EVIDENCE_WINDOW_NS of the cited frames; the UDP flow), and of
 *   the SIP dialogs they carry (same Call-ID, on any segment, within the
 *   window), so the exchange reads as a whole conversation.
 * Frames are in time order; each segment is one interface (if_name the
 * segment, if_description its inputs); each frame has a comment naming the
 * records it is evidence for ("#3 translated_route, #6
 * nat_reflection_misroute") or what it is context of, and where it came
 * from ("[inside.pcap frame 6]").
 *
 * Control-thread (or offline) code: it allocates, and it reads the
 * histories the workers write, without ever making a worker wait.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "np_correlate.h"
#include "np_history.h"
#include "np_record.h"

/** Context frames are taken this long before the first and after the last cited frame. */
#define NP_EVIDENCE_WINDOW_NS (32ull * 1000000000ull)
/** Histories one collector reads (one per worker). */
#define NP_EVIDENCE_MAX_HIST 64
#define NP_EVIDENCE_COMMENT_LEN 384

/** np_evidence_frame::why */
enum np_evidence_why {
	NP_EVIDENCE_CITED = 0,	/**< a record cites it */
	NP_EVIDENCE_CONNECTION, /**< same TCP connection or UDP flow as a cited frame */
	NP_EVIDENCE_DIALOG,	/**< same SIP Call-ID as a cited frame */
};

/** One frame of an evidence capture. */
struct np_evidence_frame {
	struct np_hist_meta meta;
	uint8_t *data; /**< meta.caplen bytes */
	uint8_t why;   /**< enum np_evidence_why */
	char comment[NP_EVIDENCE_COMMENT_LEN];
};

/** The frames of one incident. */
struct np_evidence_set {
	uint32_t incident; /**< its record id */
	uint32_t snaplen;  /**< of the histories */
	size_t n;
	struct np_evidence_frame *frames; /**< time order */
	uint64_t cited;			  /**< distinct frames the records cite */
	uint64_t lost;			  /**< of them, no longer in any history */
};

/** Collector counters (control side; plain). */
struct np_evidence_stats {
	uint64_t frames_lost; /**< cited frames that had left the histories */
	uint64_t sets;	      /**< incidents collected */
};

struct np_evidence;

/** @return a collector, or NULL with errno ENOMEM. */
struct np_evidence *np_evidence_create(void);

void np_evidence_destroy(struct np_evidence *e);

/**
 * Read history @p h too (at most NP_EVIDENCE_MAX_HIST; the histories must
 * outlive the collector). @return 0, or -ENOSPC.
 */
int np_evidence_add_history(struct np_evidence *e, const struct np_hist *h);

/**
 * Remember what record @p r cites (its id, type and frames), so that an
 * incident naming it as evidence finds its frames. Call for every record,
 * in the order written. The last 16,384 records are remembered.
 */
void np_evidence_note(struct np_evidence *e, const struct np_det_record *r);

/**
 * Gather the evidence of incident @p incident (a record of kind incident,
 * noted or not) into @p out (freed first with np_evidence_set_free() by the
 * caller when reused). @p names gives the input names of the comments.
 * @return 0, or -ENOMEM (out is then empty).
 */
int np_evidence_collect(struct np_evidence *e, const struct np_det_record *incident,
			const struct np_record_names *names, struct np_evidence_set *out);

/** Free what np_evidence_collect() put in @p s and empty it. */
void np_evidence_set_free(struct np_evidence_set *s);

/**
 * Write @p s as a pcapng capture: one interface per segment present,
 * named after it, its inputs in if_description, every frame with its
 * comment. @p userappl names the writer (shb_userappl). @return 0, or -EIO.
 */
int np_evidence_write_pcapng(FILE *f, const struct np_evidence_set *s,
			     const struct np_record_names *names, const char *userappl);

const struct np_evidence_stats *np_evidence_stats(const struct np_evidence *e);

#endif /* NP_EVIDENCE_H */
