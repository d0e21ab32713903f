/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_FRAG_H
#define NP_FRAG_H

/**
 * @file
 * IPv4 and IPv6 fragment reassembly, so that a SIP message carried in a
 * fragmented UDP datagram (a large INVITE with SDP) can be parsed whole.
 *
 * Plain buffers in, a plain buffer out: no DPDK types, so the worker loop,
 * the offline drivers and the fuzzers share it. A table is created once with
 * all its memory; np_frag_add() and np_frag_expire() never allocate. A table
 * is not thread-safe: one per worker, like the rest of the per-lcore state.
 *
 * Decisions an operator may want to know (the counters follow from them):
 *
 * - Input is a frame np_pkt_parse() classed NP_PKT_FRAGMENT; any other class
 *   (a truncated fragment, a bad IPv4 checksum, ...) is refused as malformed.
 * - Datagram key: (segment, source, destination, id, protocol, IP version).
 *   The IPv6 protocol is the fragment header's next header.
 * - A fragment that is not the last must carry a multiple of 8 bytes, and
 *   every fragment at least 1 byte (RFC 791, RFC 8200); IPv6 frames with
 *   more than one fragment header are refused. These drop the fragment only.
 * - Overlapping fragments are accepted when the overlapped bytes are
 *   identical (retransmitted or re-fragmented copies). Overlap with different
 *   bytes, a classic IDS evasion, drops the whole datagram (RFC 5722).
 * - So do: data past max_datagram_len or a rebuilt IP length over 65535
 *   (ping of death), more than max_frags_per_datagram fragments (duplicates
 *   count), and fragments that disagree on where the datagram ends (two last
 *   fragments with different ends, data past the last fragment's end).
 * - A dropped datagram stays in its slot, dead, until its timeout: its later
 *   fragments are dropped too (RFC 5722), instead of starting a datagram that
 *   could complete with other bytes than the ones the receiver saw.
 * - The timeout runs from the first fragment seen; it is not extended by
 *   later fragments. A fragment of an expired datagram whose slot was not
 *   reclaimed yet starts a new datagram (the old one counts as a timeout).
 * - When every slot is busy, the oldest is reclaimed if it has expired;
 *   otherwise the new datagram's fragment is dropped (table full) and the
 *   datagrams in progress go on.
 * - The rebuilt frame is the headers of the first fragment (offset 0; the
 *   first copy received when it came more than once) followed by the data:
 *   Ethernet header and VLAN tags as they were; IPv4 header with its options,
 *   MF and offset cleared (DF kept), total length and checksum recomputed;
 *   IPv6 header and the extension headers before the fragment header, the
 *   fragment header removed, the next header before it and the payload
 *   length fixed. It parses as the unfragmented packet would.
 *
 * Memory: one block from conf.alloc of np_frag_table_memsize() bytes, at most
 * NP_FRAG_TABLE_FIXED_BYTES + max_datagrams * NP_FRAG_SLOT_BYTES(), allocated
 * at create; nothing after. A slot is its buffer (NP_FRAG_HDR_ROOM +
 * max_datagram_len, rounded up to 64), 88 bytes of metadata, 4 bytes per
 * allowed fragment (the list of byte ranges held) and up to 8 bytes of hash
 * buckets. With the defaults below (65535 bytes, 64 fragments) a slot is
 * 66,400 bytes: 1024 slots take 64.8 MiB.
 */

#include <stddef.h>
#include <stdint.h>

#include "np_pkt.h"

/** Room for the rebuilt frame's headers: L2 and VLAN tags, IP header and
 * options or IPv6 header and the extension headers before the fragment
 * header. A first fragment with more headers than this drops its datagram
 * (counted as too long). */
#define NP_FRAG_HDR_ROOM 512

/** Bytes of one slot's metadata (a private struct; frag.c checks the size). */
#define NP_FRAG_SLOT_META_BYTES 88

/**
 * Bytes one datagram slot takes, at most, for a max_datagram_len and a
 * max_frags_per_datagram: buffer rounded up to 64 bytes, metadata, range
 * list (4 bytes a fragment), hash buckets (up to 8 bytes).
 */
#define NP_FRAG_SLOT_BYTES(max_len, max_frags)                                                   \
	((((size_t)NP_FRAG_HDR_ROOM + (max_len) + 63) & ~(size_t)63) + NP_FRAG_SLOT_META_BYTES + \
	 4 * (size_t)(max_frags) + 8)

/** Bytes a table takes besides its slots, at most (header and alignment). */
#define NP_FRAG_TABLE_FIXED_BYTES 1024

/** Largest allowed np_frag_conf::max_datagram_len (the IP length limit). */
#define NP_FRAG_MAX_DATAGRAM_LEN 65535

/** Largest allowed np_frag_conf::max_frags_per_datagram. */
#define NP_FRAG_MAX_FRAGS 8192

/** Largest allowed np_frag_conf::max_datagrams. */
#define NP_FRAG_MAX_DATAGRAMS (1u << 20)

/** Suggested defaults. */
#define NP_FRAG_DEFAULT_MAX_DATAGRAMS 1024
#define NP_FRAG_DEFAULT_MAX_DATAGRAM_LEN 65535
#define NP_FRAG_DEFAULT_MAX_FRAGS 64
#define NP_FRAG_DEFAULT_TIMEOUT_NS (30ull * 1000000000ull) /**< Linux ipfrag_time */

/** Table configuration; copied by np_frag_table_create(). */
struct np_frag_conf {
	/** Datagrams in progress at once (slots), 1..NP_FRAG_MAX_DATAGRAMS. */
	uint32_t max_datagrams;
	/**
	 * Largest reassembled IP payload (the bytes the fragments carry: UDP
	 * header and data for UDP), 1..NP_FRAG_MAX_DATAGRAM_LEN. Sets each
	 * slot's buffer size.
	 */
	uint32_t max_datagram_len;
	/** Fragments one datagram may take, duplicates included, 1..NP_FRAG_MAX_FRAGS. */
	uint32_t max_frags_per_datagram;
	/** Time from a datagram's first fragment to its expiry, > 0. */
	uint64_t timeout_ns;
	/**
	 * Allocator for the table's one block, or NULL for calloc(). The memory
	 * need not be zeroed; it must be aligned for uint64_t. For DPDK, a
	 * wrapper around rte_zmalloc_socket() with the socket in @c alloc_ctx.
	 */
	void *(*alloc)(void *ctx, size_t size);
	/** Releases what alloc returned; NULL exactly when alloc is NULL (free()). */
	void (*free)(void *ctx, void *p);
	/** Passed to alloc and free. */
	void *alloc_ctx;
};

/* X(ENUM, "name", "help") */
#define NP_FRAG_STATS(X)                                                                    \
	X(FRAGMENTS, "fragments", "Frames given to np_frag_add()")                          \
	X(REASSEMBLED, "datagrams_reassembled", "Datagrams rebuilt from their fragments")   \
	X(HELD, "fragments_held", "Fragments held for a datagram still incomplete")         \
	X(DUPLICATE, "fragments_duplicate",                                                 \
	  "Fragments whose bytes were all held already, identical (accepted)")              \
	X(TIMEOUTS, "timeouts", "Incomplete datagrams dropped when their timeout passed")   \
	X(DROPPED_OVERLAP, "dropped_overlap",                                               \
	  "Datagrams dropped for overlapping fragments with different bytes")               \
	X(DROPPED_TOO_LONG, "dropped_too_long",                                             \
	  "Datagrams dropped for data past max_datagram_len, an IP length over 65535 or "   \
	  "headers over NP_FRAG_HDR_ROOM")                                                  \
	X(DROPPED_TOO_MANY, "dropped_too_many",                                             \
	  "Datagrams dropped for more than max_frags_per_datagram fragments")               \
	X(DROPPED_INCONSISTENT, "dropped_inconsistent",                                     \
	  "Datagrams dropped because fragments disagree on the datagram's end")             \
	X(DROPPED_TABLE_FULL, "dropped_table_full",                                         \
	  "Fragments dropped because every slot held a datagram in progress")               \
	X(DROPPED_MALFORMED, "dropped_malformed",                                           \
	  "Fragments dropped as unusable: not NP_PKT_FRAGMENT, empty, not a multiple of 8 " \
	  "bytes before the last, several IPv6 fragment headers")                           \
	X(DROPPED_DEAD, "dropped_dead",                                                     \
	  "Fragments dropped because their datagram was dropped before (until its timeout)")

#define NP_FRAG_STAT_ENUM(e, n, h) NP_FRAG_STAT_##e,
/** Index into np_frag_stats::v. */
enum np_frag_stat {
	NP_FRAG_STATS(NP_FRAG_STAT_ENUM) NP_FRAG_STAT_MAX
};
#undef NP_FRAG_STAT_ENUM

/** Stable counter names (labels), indexed by enum np_frag_stat. */
extern const char *const np_frag_stat_names[NP_FRAG_STAT_MAX];
/** One-line help per counter, indexed by enum np_frag_stat. */
extern const char *const np_frag_stat_help[NP_FRAG_STAT_MAX];

/** A table's counters; written only by the table's owner, plain increments. */
struct np_frag_stats {
	uint64_t v[NP_FRAG_STAT_MAX];
};

/** A reassembled datagram, filled when np_frag_add() returns 1. */
struct np_frag_result {
	/**
	 * The rebuilt frame, contiguous, ready for np_pkt_parse(). Points into
	 * the table: valid until the next np_frag_add(), np_frag_expire() or
	 * np_frag_table_destroy() on the same table.
	 */
	const uint8_t *frame;
	uint32_t len;	   /**< bytes at @c frame */
	uint32_t n_frags;  /**< fragments that went into it, duplicates included */
	uint64_t first_ns; /**< now_ns of its first fragment */
};

struct np_frag_table;

/**
 * Bytes a table with this configuration allocates (its one block).
 * @return the size, or 0 when @p conf is NULL or invalid (see
 *         np_frag_table_create()).
 */
size_t np_frag_table_memsize(const struct np_frag_conf *conf);

/**
 * Create a table; all its memory is allocated here.
 * @param conf  copied; every field is checked against the ranges above
 * @return the table, or NULL with errno EINVAL (conf NULL, a field out of
 *         range, exactly one of alloc/free set) or ENOMEM (the allocator
 *         failed).
 */
struct np_frag_table *np_frag_table_create(const struct np_frag_conf *conf);

/** Release a table and everything it holds; NULL is a no-op. */
void np_frag_table_destroy(struct np_frag_table *t);

/**
 * Add one fragment.
 *
 * Reads [frame, frame + len) and *pi; copies what it keeps, so the frame may
 * be freed or forwarded as soon as this returns.
 *
 * @param t       the table
 * @param segment part of the key: fragments on different segments never join
 * @param frame   the frame np_pkt_parse() filled @p pi from
 * @param len     its length, the one given to np_pkt_parse()
 * @param pi      np_pkt_parse() result for this frame
 * @param now_ns  current time, monotonic, same clock as timeout_ns
 * @param out     filled when 1 is returned, untouched otherwise
 * @return 1: the datagram is complete, *out describes it (its slot is free
 *         again); 0: the fragment is held (or was a duplicate) and more are
 *         needed; a negative errno when the fragment is dropped, each counted:
 *         -EINVAL   malformed (dropped_malformed): @p pi not NP_PKT_FRAGMENT,
 *                   offsets in @p pi outside @p len, no data, a non-last
 *                   fragment not a multiple of 8 bytes, several IPv6 fragment
 *                   headers; also @p t, @p frame, @p pi or @p out NULL
 *                   (not counted without @p t);
 *         -ENOSPC   no free slot for a new datagram (dropped_table_full);
 *         -ECANCELED the datagram was dropped before (dropped_dead);
 *         -EBADMSG  overlap with different bytes: datagram dropped
 *                   (dropped_overlap);
 *         -EMSGSIZE too long: datagram dropped (dropped_too_long);
 *         -E2BIG    too many fragments: datagram dropped (dropped_too_many);
 *         -EPROTO   fragments disagree on the end: datagram dropped
 *                   (dropped_inconsistent).
 */
int np_frag_add(struct np_frag_table *t, uint8_t segment, const uint8_t *frame, uint32_t len,
		const struct np_pkt_info *pi, uint64_t now_ns, struct np_frag_result *out);

/**
 * Reclaim slots whose timeout has passed, oldest first, at most @p max_work
 * of them. An incomplete datagram counts as a timeout; a dead one (dropped
 * before) just frees its slot. Call it from the worker loop now and then.
 * @return slots reclaimed (0..max_work).
 */
unsigned int np_frag_expire(struct np_frag_table *t, uint64_t now_ns, unsigned int max_work);

/** Slots in use (datagrams in progress, dead ones included). */
uint32_t np_frag_table_count(const struct np_frag_table *t);

/** The table's counters; the pointer stays valid until np_frag_table_destroy(). */
const struct np_frag_stats *np_frag_table_stats(const struct np_frag_table *t);

#endif /* NP_FRAG_H */
