/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_OFFLINE_H
#define NP_OFFLINE_H

/*
 * The offline pipeline shared by `analyze` and `dump-sip`: SEG=FILE inputs
 * read in time order, every frame through the same parser and inspector the
 * workers use. Single-threaded, no EAL.
 *
 * An input is a capture (pcap or pcapng, by its magic number) or else an
 * Expressway diagnostic log (explog_input.h): a log is read whole when
 * opened, and its entries are merged with the capture frames by time,
 * delivered to the same sinks as the inspector's events. A log input keeps
 * a capture slot (no pcap, nothing to read) so that input i is cap.in[i].
 */

#include "capture.h"
#include "explog_input.h"
#include "np_conf.h"
#include "np_detect.h"

struct np_offline {
	struct np_conf conf;
	unsigned int n_inputs;
	const char *input_path[NP_CAPTURE_MAX];
	uint8_t input_segment[NP_CAPTURE_MAX];	/* input -> segment index */
	unsigned int n_segments;
	char segment_name[NP_CAPTURE_MAX][NP_NAME_MAX + 1];
	const char *segment_ptr[NP_CAPTURE_MAX];
	struct np_capture cap;
	struct np_explog_input *log[NP_CAPTURE_MAX];	/* input -> log, NULL for a capture */
	unsigned int n_logs;
	struct np_det_inspect_sink sink;
	struct np_sip_db *db;
	struct np_det_inspect *ins;
	struct np_nat_xlat *xlat;	/* shared with the correlator, as on the live path */
	uint64_t frames;
	uint64_t bytes;
	uint64_t frame_class[NP_PKT_CLASS_MAX];
	uint64_t first_ns, last_ns;
};

/*
 * Add an input "SEG=FILE" (or "FILE": the segment is the file name without
 * directory and extension). @return 0, or -1 with a reason in @p err.
 */
int np_offline_add_input(struct np_offline *o, const char *arg, char *err, size_t errlen);

/*
 * Open every input and build the inspector reporting to @p sink.
 * @return 0, or -1 with a one-line reason in @p err ("FILE: not a pcap,
 *         pcapng or Expressway diagnostic log", unreadable, ...).
 */
int np_offline_open(struct np_offline *o, const struct np_det_inspect_sink *sink, char *err,
		    size_t errlen);

/*
 * Run every frame through the inspector, calling @p tick (if not NULL) now
 * and then with the capture time. @return frames read.
 */
uint64_t np_offline_run(struct np_offline *o, void (*tick)(void *ctx, uint64_t now_ns),
			void *ctx);

/*
 * Warnings about the inputs (damaged captures, skipped frames, log lines not
 * understood, unparsable logged SIP) on stderr, one line each.
 */
void np_offline_warnings(const struct np_offline *o);

/*
 * What input @p i gave, for reports: "12 frames" for a capture, "Expressway
 * log: 14 entries (9 SIP, 3 TCP), 2 lines not understood" for a log.
 * @return @p buf.
 */
char *np_offline_input_desc(const struct np_offline *o, unsigned int i, char *buf, size_t len);

void np_offline_close(struct np_offline *o);

#endif /* NP_OFFLINE_H */
