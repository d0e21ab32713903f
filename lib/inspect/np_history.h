/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_HISTORY_H
#define NP_HISTORY_H

/**
 * @file
 * Evidence history: a bounded ring of copies of the frames an inspector
 * acted on (SIP messages, TCP SYN/FIN/RST, ICMP errors, IP fragments), so
 * that the frames behind an incident can be written out as a capture when
 * the incident is (lib/export np_evidence.h).
 *
 * One writer, the inspector's thread (a worker lcore, or the offline
 * reader), which never waits, locks or calls the system: each copy goes
 * into the next slot, overwriting the oldest. Any number of readers on
 * other threads (the control thread) copy slots out concurrently.
 *
 * Concurrency contract (the seqlock of np_nat.h, one per slot): a slot has
 * a sequence word. For ring position P the writer stores 2P+1 (relaxed),
 * issues a release fence, stores the frame's words (relaxed atomic stores),
 * then stores 2P+2 with release, and publishes head = P+1 (release). A
 * reader of position P loads the sequence with acquire and takes the slot
 * only if it is 2P+2 (anything else: being written, or overwritten by a
 * later position), loads the words (relaxed atomic loads), issues an
 * acquire fence and loads the sequence again: unchanged means no store of
 * a later write overlapped the copy, so the copy is the frame of position P
 * whole. Every shared word is accessed atomically: no data race in the C11
 * sense. A reader that loses the race reports the frame lost (-ESTALE).
 *
 * No DPDK types; the memory comes from the caller's allocator at create
 * time, nothing is allocated afterwards.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "np_pkt.h"

#define NP_HIST_MIN_SNAPLEN 128u     /**< smallest bytes kept per frame */
#define NP_HIST_MAX_SNAPLEN 65535u   /**< largest */
#define NP_HIST_MAX_SLOTS (1u << 20) /**< most frames one history holds */

/* np_hist_meta::flags: why the frame was kept, and how. */
#define NP_HIST_F_SIP (1u << 0)	     /**< carried SIP (a message, or part of one over TCP) */
#define NP_HIST_F_TCP_CTL (1u << 1)  /**< TCP SYN, FIN or RST */
#define NP_HIST_F_ICMP (1u << 2)     /**< ICMP / ICMPv6 error */
#define NP_HIST_F_FRAGMENT (1u << 3) /**< IP fragment */
#define NP_HIST_F_REFUSAL (1u << 4)  /**< refused a TCP connection attempt (RST, ICMP) */
#define NP_HIST_F_CUT (1u << 5)	     /**< longer than the snap length: kept cut */

/** What a slot says about its frame. */
struct np_hist_meta {
	struct np_pkt_ref ref; /**< segment, input, frame number */
	uint64_t ts_ns;	       /**< the time the inspector was given with it */
	uint64_t flow_key;     /**< np_hist_flow_key() of its TCP/UDP flow (for an ICMP
				*   error: of the flow it quotes); 0 when none */
	uint64_t call_key;     /**< np_hist_call_key() of the first SIP message it
				*   completed; 0 when none */
	uint32_t caplen;       /**< bytes kept (at most the snap length) */
	uint32_t len;	       /**< bytes the frame had */
	uint32_t flags;	       /**< NP_HIST_F_* */
	uint32_t reserved;     /**< zero */
};

/** Writer-side counters; plain, written only by the writer. */
struct np_hist_stats {
	uint64_t kept; /**< frames copied in */
	uint64_t cut;  /**< of them, longer than the snap length (kept cut) */
};

struct np_hist;

/**
 * Create a history of @p slots frames of at most @p snaplen bytes each.
 * @param alloc  returns @p size bytes aligned to 64 (or NULL); NULL: aligned_alloc
 * @param free   releases what alloc returned; must be set when alloc is
 * @return it, or NULL with errno: EINVAL (slots 0 or above NP_HIST_MAX_SLOTS,
 *         snaplen outside NP_HIST_MIN_SNAPLEN..NP_HIST_MAX_SNAPLEN, alloc
 *         without free), ENOMEM.
 */
struct np_hist *np_hist_create(uint32_t slots, uint32_t snaplen,
			       void *(*alloc)(size_t size, size_t align, void *ctx),
			       void (*free)(void *p, void *ctx), void *ctx);

/** Free a history (no reader may be using it). NULL is a no-op. */
void np_hist_destroy(struct np_hist *h);

/** Bytes a history of @p slots frames of @p snaplen bytes takes. */
size_t np_hist_mem_need(uint32_t slots, uint32_t snaplen);

/**
 * Writer: copy a frame into the next slot (the oldest is overwritten).
 * Frames longer than the snap length keep their first snaplen bytes and get
 * NP_HIST_F_CUT. meta->caplen and meta->len are set from @p len.
 */
void np_hist_put(struct np_hist *h, const struct np_hist_meta *meta, const uint8_t *data,
		 uint32_t len);

/** Writer's counters; the pointer is stable, values plain. */
const struct np_hist_stats *np_hist_stats(const struct np_hist *h);

/** Slots and snap length given at create. */
uint32_t np_hist_slots(const struct np_hist *h);
uint32_t np_hist_snaplen(const struct np_hist *h);

/**
 * Reader: one past the last position written (acquire). Positions
 * max(0, head - slots) .. head - 1 may still be held.
 */
uint64_t np_hist_head(const struct np_hist *h);

/**
 * Reader: copy the frame at ring position @p pos. @p data (may be NULL:
 * the meta only) must have room for np_hist_snaplen() bytes.
 * @return 0, or -ESTALE when that position was overwritten (or is being
 *         written) before or during the copy, -EINVAL for a position not
 *         written yet.
 */
int np_hist_read(const struct np_hist *h, uint64_t pos, struct np_hist_meta *meta, uint8_t *data);

/**
 * Key of a flow, the same for both directions: segment, protocol and the
 * two endpoints. Never 0.
 */
uint64_t np_hist_flow_key(uint8_t segment, uint8_t proto, const struct np_addr *a, uint16_t aport,
			  const struct np_addr *b, uint16_t bport);

/** Key of a Call-ID (@p len bytes). Never 0. */
uint64_t np_hist_call_key(const char *call_id, size_t len);

#endif /* NP_HISTORY_H */
