/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_INSPECT_MSGFLOW_H
#define NP_INSPECT_MSGFLOW_H

/*
 * Connections and fingerprints learned from SIP messages that arrive without
 * their packets (HEP: NP_FLOW_MSG_F_NO_FLOW), so that the NAT binding learner
 * joins them as it joins captured flows. Private to the inspector.
 *
 * - A connection is (segment, protocol, the two endpoints). The first message
 *   on it gives NP_FLOW_EV_NEW, oriented from the initiator: the side whose
 *   port is not a SIP server port when exactly one is, else the requester
 *   (the sender of a request, the receiver of a response).
 * - The first request of each direction gives NP_FLOW_EV_FINGERPRINT with the
 *   message's key as hash and length 0 (no packet fingerprint has length 0):
 *   the start line's method or status, Call-ID, CSeq, top Via branch and the
 *   body. The same message seen by agents on two segments has the same key
 *   and, through a NAT, different tuples: the learner makes the binding, with
 *   its window and ambiguity rules (a key seen on two connections of one
 *   segment joins nothing). A NAT ALG that rewrites the body hides the join;
 *   the correlator still compares the message's hashes (alg_rewrite).
 *   Responses are not fingerprinted: Kamailio's siptrace reports a response
 *   sent over TCP with the address its Via names, not its connection's.
 * - A connection idle for the flow table's idle timeout (TCP, UDP), or
 *   evicted when its table is full, gives NP_FLOW_EV_EXPIRED.
 */

#include "np_inspect.h"

struct det_msgflow;

typedef void (*det_msgflow_emit)(void *ctx, const struct np_flow_event *ev);

struct det_msgflow *det_msgflow_create(const struct np_flow_conf *fc, uint32_t capacity);
void det_msgflow_destroy(struct det_msgflow *mf);

/* One parsed message: NEW / FINGERPRINT events first, through @p emit. */
void det_msgflow_message(struct det_msgflow *mf, const struct np_flow_msg *fm,
			 const struct np_sip_msg *m, det_msgflow_emit emit, void *ctx);

/* Idle connections leave (EXPIRED); at most @p max_work slots looked at. @return how many left. */
unsigned int det_msgflow_expire(struct det_msgflow *mf, uint64_t now_ns, unsigned int max_work,
				det_msgflow_emit emit, void *ctx);

#endif /* NP_INSPECT_MSGFLOW_H */
