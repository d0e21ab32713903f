/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_EXPLOG_INPUT_H
#define NP_EXPLOG_INPUT_H

/*
 * An Expressway diagnostic log as an offline input: its entries (lib/explog)
 * turned into the events the packet path produces, handed to the same sinks
 * the inspector calls, in time order.
 *
 * - A SIP message -> np_sip_parse() and np_det_sip_summarise() with the
 *   tuple as the logging box saw it (Received: Src -> Local; Sent: Local ->
 *   Dst), proto from the top Via -> sip_full (dump-sip) and sip (analyze).
 *   A message whose body is shorter than its Content-Length (line ends lost
 *   in the log) is used when its header section is complete. Its msg_hash
 *   is the hash of its bytes other than white space, so two logs of the
 *   same message agree whatever their layout.
 * - Connections: the first entry of a connection (TCP event or SIP
 *   message on a tuple) gives NP_FLOW_EV_NEW, oriented from the initiator:
 *   the `TCP Connecting` side when logged, else the side whose port is not
 *   a server port (5060, 5061, 7001-7004 and the configured SIP ports),
 *   else the higher port (TCP) or the first sender (UDP).
 * - `TCP Connecting` then `TCP Connection Failed` within 3 s ->
 *   NP_FLOW_EV_TCP_REFUSED (reason RST, delay between the two); `TCP
 *   Connected`, or a later SIP message on the tuple -> TCP_ESTABLISHED;
 *   nothing of that within 3 s (or a failure after it) -> TCP_UNANSWERED at
 *   3 s; `TCP Connection Closed` -> NP_FLOW_EV_CLOSED.
 * - NAT binding learning: a message logged by two boxes on different
 *   segments (same np_explog_entry::key) is the log's payload fingerprint.
 *   For each connection and direction, the first such message gives
 *   NP_FLOW_EV_FINGERPRINT (hash = the key, len = 0, which no packet
 *   fingerprint has); a connection with no such message fingerprints its
 *   first message of each direction. The learner joins the two boxes'
 *   connections as it joins two captures' flows.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "np_detect.h"
#include "np_explog.h"

/* SYN timeout of the packet path: a connect with no outcome within it is unanswered. */
#define NP_EXPLOG_CONNECT_TIMEOUT_NS (3ull * 1000000000ull)

struct np_explog_input_stats {
	uint64_t sip;		/* SIP messages delivered */
	uint64_t sip_bad;	/* SIP messages lib/sip could not parse */
	uint64_t flow_events;	/* flow events delivered */
};

struct np_explog_input;

/*
 * Read the log on @p f to its end (the caller closes @p f) and parse it;
 * @p path names it in messages. @return the input, or NULL with a one-line
 * reason in @p err: unreadable, or "not a pcap, pcapng or Expressway
 * diagnostic log" (@p *not_log set).
 */
struct np_explog_input *np_explog_input_open(FILE *f, const char *path, uint8_t segment,
					     bool *not_log, char *err, size_t errlen);

/*
 * After every log is open: find the messages logged on two segments, build
 * each input's event list. @p server_ports: extra server ports (configured
 * SIP ports). @p xlat: the translation table the correlator publishes into,
 * looked up for every address a logged message names, as the inspector does
 * for captured ones; may be NULL.
 * @return 0, or -1 with a reason in @p err (out of memory).
 */
int np_explog_input_prepare(struct np_explog_input **in, unsigned int n,
			    const struct np_sip_db *db, const struct np_nat_xlat *xlat,
			    const uint16_t *server_ports, unsigned int n_server_ports, char *err,
			    size_t errlen);

/* Time of the next event, UINT64_MAX when done. */
uint64_t np_explog_input_next_ts(const struct np_explog_input *in);

/* Deliver the next event to @p sink. @return its time. */
uint64_t np_explog_input_step(struct np_explog_input *in, const struct np_det_inspect_sink *sink);

const struct np_explog_stats *np_explog_input_log_stats(const struct np_explog_input *in);
const struct np_explog_input_stats *np_explog_input_stats(const struct np_explog_input *in);

void np_explog_input_close(struct np_explog_input *in);

#endif /* NP_EXPLOG_INPUT_H */
