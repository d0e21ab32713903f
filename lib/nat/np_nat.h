/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_NAT_H
#define NP_NAT_H

/**
 * @file
 * NAT state: the binding learner (control thread), the translation table the
 * workers read lock-free, the static NAT map, and address classification.
 *
 * Plain C, no DPDK types: the same code serves the control loop of `run`
 * and the offline analyzer. Every table is allocated once, at create; no
 * call allocates afterwards.
 *
 * Vocabulary:
 *
 * - An *endpoint* is (address, port); port 0 means the whole address.
 * - A *segment* is one observed wire, by index (0..NP_MAX_SEGMENTS-1).
 * - A *flow* is named by its initiator tuple (the side that sent the first
 *   packet: TCP SYN, first UDP datagram) on one segment, plus the protocol.
 * - A *fingerprint* is what a worker reports for each new flow, once per
 *   direction: a hash of the first payload bytes, the payload length, the
 *   time, and for TCP the sequence number of that first payload byte. NAT
 *   does not touch the payload (TLS records in particular), so the same
 *   connection seen on two segments has equal fingerprints and different
 *   tuples. Sequence numbers are not compared: firewalls randomise them.
 * - A *binding* is one flow seen on two segments: the initiator tuple on
 *   each, and which parts the firewall changed.
 *
 * Threads: the learner is single-threaded (the control thread). The
 * translation table has one writer (the control thread, directly or through
 * an attached learner) and any number of lock-free readers (the workers).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "np_conf.h"
#include "np_ctr.h"
#include "np_hash.h"
#include "np_pkt.h"

/* ------------------------------------------------------------------------ */
/* Address classification                                                    */
/* ------------------------------------------------------------------------ */

/**
 * True when @p a is a private, non-routable address: IPv4 10/8, 172.16/12,
 * 192.168/16 (RFC 1918), 100.64/10 (RFC 6598 shared address space, carrier
 * NAT), 127/8 loopback, 169.254/16 link-local; IPv6 ::1, fc00::/7 (ULA),
 * fe80::/10 (link-local), fec0::/10 (deprecated site-local). IPv4 is the
 * IPv4-mapped form (np_addr_from_v4()).
 * @return true or false; false for NULL.
 */
bool np_nat_addr_is_private(const struct np_addr *a);

/**
 * True when @p a is a public unicast address: IPv4 that is neither private
 * (np_nat_addr_is_private()) nor 0/8, multicast 224/4 or reserved 240/4
 * (broadcast included); IPv6 global unicast 2000::/3. The documentation
 * ranges (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32) count as
 * public: they stand for public addresses in examples and test captures.
 * An address can be neither private nor public (unspecified, multicast).
 * @return true or false; false for NULL.
 */
bool np_nat_addr_is_public(const struct np_addr *a);

/* ------------------------------------------------------------------------ */
/* Translation table (workers read, control writes)                          */
/* ------------------------------------------------------------------------ */

/** Segment value meaning "any segment" (static NAT entries). */
#define NP_NAT_SEG_ANY 0xff

/** What an endpoint in the translation table is. */
enum np_nat_xlat_kind {
	/**
	 * A translated source: the endpoint exists only as a NAT binding, it
	 * is the post-NAT form of the initiator endpoint @c orig (seen on
	 * segment @c seg). Example: 64.100.0.10:4401/tcp, translation of
	 * 10.0.30.2:27901 on "inside". Nothing listens there.
	 */
	NP_NAT_X_SNAT_SOURCE = 1,
	/**
	 * A public endpoint forwarded to a server: the pre-NAT destination of
	 * which @c orig (seen on segment @c seg) is the real server. With a
	 * port: 64.100.0.10:7003/tcp is the public form of 10.0.10.2:7003;
	 * with port 0 (learned from destination NAT): 64.100.0.10 is the
	 * public address of server 10.0.10.2.
	 */
	NP_NAT_X_DNAT_PUBLIC = 2,
	/**
	 * A static NAT public address (port 0): @c orig is the private address
	 * it maps 1:1 to, @c seg is NP_NAT_SEG_ANY.
	 */
	NP_NAT_X_STATIC_PUBLIC = 3,
};

/**
 * One translation table entry: a key (addr, port, proto) and its answer.
 * 44 bytes, no implicit padding (copied word by word by the reader).
 */
struct np_nat_xlat_entry {
	struct np_addr addr; /**< key: the endpoint's address */
	uint16_t port;	     /**< key: host order; 0 = every port and protocol */
	uint8_t proto;	     /**< key: IP protocol; must be 0 when port is 0 */
	uint8_t kind;	     /**< enum np_nat_xlat_kind */
	struct np_addr orig; /**< answer: pre-NAT endpoint or real server */
	uint16_t orig_port;  /**< answer: host order; 0 with a port-0 key */
	uint8_t seg;	     /**< answer: segment where @c orig is seen, or NP_NAT_SEG_ANY */
	uint8_t pad;	     /**< zero */
	/**
	 * The binding that most recently published the entry (0 for entries
	 * added directly). Entries shared by several bindings (a DNAT public
	 * port) keep the latest one's id, which may outlive that binding.
	 */
	uint32_t binding_id;
};

/** Words of one entry, as the reader copies it. */
#define NP_NAT_XLAT_WORDS (sizeof(struct np_nat_xlat_entry) / sizeof(uint32_t))

/** Largest np_nat_xlat_create() capacity. */
#define NP_NAT_XLAT_MAX_CAPACITY (1u << 24)

/**
 * Times a reader re-reads a slot the writer is in the middle of before it
 * gives up and reports a miss (the writer holds a slot for a dozen stores).
 */
#define NP_NAT_XLAT_SPIN 64

/** Internal slot states, kept in the kind byte. */
#define NP_NAT_X__EMPTY 0
#define NP_NAT_X__TOMB 0xff

/**
 * One slot: a sequence counter (odd while the writer is changing the slot)
 * and the entry as words. 48 bytes. Private to the implementation.
 */
struct np_nat_xlat_slot {
	uint32_t seq;
	uint32_t w[NP_NAT_XLAT_WORDS];
};

/**
 * A translation table. Defined here only so that np_nat_xlat_lookup() can
 * be inline; every field is private. Create with np_nat_xlat_create().
 *
 * Concurrency contract:
 *
 * - One writer at a time (np_nat_xlat_add(), np_nat_xlat_del(), the
 *   attached learner); callers serialise writers. Any number of readers
 *   (np_nat_xlat_lookup()) run concurrently with the writer, lock-free and
 *   wait-free (bounded probes, bounded retries), never writing shared memory.
 * - Open addressing with linear probing, entries never move. Each slot has a
 *   sequence counter (a seqlock per slot). The writer makes the counter odd
 *   (relaxed store, then a release fence), stores the entry words (relaxed
 *   atomic stores), then makes it even with a release store. The reader
 *   loads the counter with acquire, gives up on the slot if odd, loads the
 *   words (relaxed atomic loads), issues an acquire fence and re-loads the
 *   counter: equal means no store of that write overlapped its loads (the
 *   release/acquire pairs order the words between the two counter values),
 *   so the copy is one entry as some writer left it, never a mix of two.
 *   Words are accessed atomically, so there is no data race in the C11
 *   sense (ThreadSanitizer-clean). A counter would have to advance 2^32
 *   times during one reader's copy to fool it: impossible at control-path
 *   rates.
 * - Deleting leaves a tombstone, which probes walk past. A tombstone may be
 *   reused at once by the writer for any key: the reader validates each slot
 *   it reads on its own, so it sees the old tombstone or the new entry,
 *   and the slot stays non-empty, so no probe chain is cut. A tombstone
 *   reverts to empty only when the next slot is empty (then no live key's
 *   chain runs through it), and empties propagate backwards from there. So
 *   no grace period is needed: a key present throughout a lookup is always
 *   found; a key added or deleted during a lookup may or may not be. Only
 *   np_nat_xlat_free() needs the readers gone (stop or quiesce the workers).
 * - Probes stop at an empty slot or after the longest probe distance any
 *   insert has used (published before the entry), so a miss costs a bounded
 *   number of slots even when tombstones accumulate.
 * - In front of the slots, a byte per address hash counts the live entries
 *   whose address hashes there (@c present: a quarter as many counters as
 *   slots, 64 KB for the default 65,536 bindings, so it stays in cache where
 *   the slots do not). The writer counts an entry up before its slot is
 *   written and down after its tombstone is, with release stores; a reader
 *   that loads 0 (acquire) stops there: no entry with that address lived
 *   throughout its lookup. Most addresses a probe asks about have no entry,
 *   and those lookups touch no slot. A counter that reaches 255 stays there
 *   (it can no longer count down safely); it only costs the probe that a
 *   zero would have spared.
 */
struct np_nat_xlat {
	struct np_nat_xlat_slot *slots; /**< 2^n slots */
	uint32_t mask;			/**< slots - 1 */
	uint32_t max_dist;		/**< atomic: longest probe distance used */
	uint64_t seed;			/**< hash seed */
	uint8_t *present;		/**< atomic: live entries per address hash */
	uint32_t present_mask;		/**< counters - 1 */
	/* Writer only. */
	uint32_t *refs; /**< references per slot */
	uint32_t capacity;
	uint32_t live;
	uint32_t tombs;
	size_t mem_size; /**< bytes of the table's one block */
	bool populated;	 /**< np_nat_xlat_make_resident() was called (or the first add) */
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *p);
	void *alloc_ctx;
};

/**
 * Create a translation table for @p capacity live entries (it has the next
 * power of two >= 2 * capacity slots, at least 16).
 *
 * @param capacity  1..NP_NAT_XLAT_MAX_CAPACITY
 * @param alloc     allocator of the table's one block, or NULL for calloc().
 *                  The memory need not be zeroed; it must be aligned for
 *                  uint64_t. For DPDK, a wrapper around rte_zmalloc_socket().
 * @param free_fn   releases what @p alloc returned; NULL exactly when
 *                  @p alloc is NULL (free()).
 * @param ctx       passed to @p alloc and @p free_fn
 * @return the table, or NULL with errno EINVAL (capacity out of range, only
 *         one of alloc/free_fn given) or ENOMEM.
 */
struct np_nat_xlat *np_nat_xlat_create(uint32_t capacity, void *(*alloc)(void *ctx, size_t size),
				       void (*free_fn)(void *ctx, void *p), void *ctx);

/**
 * Free a table. No reader may be inside np_nat_xlat_lookup() on it, nor
 * enter one afterwards; a learner attached to it must be freed or detached
 * first. NULL is a no-op.
 */
void np_nat_xlat_free(struct np_nat_xlat *x);

/**
 * Make the whole table resident now, in 2 MB pages where the kernel offers
 * them. A table of np_nat_xlat_create()'s calloc() starts as zero pages,
 * which entries landing at random would make resident a page fault (two)
 * at a time: the live probe calls this at start, so that neither its
 * control thread (the writer) nor its workers fault on it under load and a
 * machine short of memory fails at start; otherwise the table's first
 * np_nat_xlat_add() calls it (`analyze`: a capture without translations
 * leaves the table untouched, one with them gets it whole at once). The
 * writer's thread calls it (the contents stay; concurrent readers see no
 * change).
 *
 * @return 0, or -1 with errno ENOMEM.
 */
int np_nat_xlat_make_resident(struct np_nat_xlat *x);

/**
 * Add an entry, or take one more reference to it (writer side).
 *
 * The answer of an entry is (kind, orig, orig_port, seg). When the key is
 * absent the entry is inserted with one reference. When the key holds the
 * same answer it gets one more reference (and @c binding_id is updated).
 * When it holds a different answer that answer is replaced and the entry
 * has one reference, except that a NP_NAT_X_STATIC_PUBLIC answer is only
 * replaced by another NP_NAT_X_STATIC_PUBLIC one. Readers see the old entry
 * or the new one, never a mix.
 *
 * @param x  the table
 * @param e  the entry; @c pad is ignored
 * @return 0; -EINVAL for NULL arguments, an unknown kind, or a port-0 key
 *         with a non-zero proto; -EEXIST when the key holds a static answer
 *         and @p e is not static; -ENOSPC when the key is new and the table
 *         holds capacity entries.
 */
int np_nat_xlat_add(struct np_nat_xlat *x, const struct np_nat_xlat_entry *e);

/**
 * Drop one reference to an entry (writer side): the entry leaves the table
 * when its last reference goes. Only the reference to the same answer is
 * dropped, so a stale holder cannot remove a newer answer for its key.
 *
 * @param x  the table
 * @param e  key and answer (kind, orig, orig_port, seg); binding_id ignored
 * @return 0 when a reference was dropped; -EINVAL for NULL arguments;
 *         -ENOENT when the key is absent or holds another answer.
 */
int np_nat_xlat_del(struct np_nat_xlat *x, const struct np_nat_xlat_entry *e);

/** Live entries in the table (writer side). 0 for NULL. */
uint32_t np_nat_xlat_count(const struct np_nat_xlat *x);

/*
 * Keys hash in two steps (private, used inline): the address alone
 * (np_nat__xlat_addr_mix()), then with the port and protocol
 * (np_nat__xlat_key_hash()). A whole-address key (port 0, protocol 0)
 * hashes to np_hash_mix64() of the address's mix, which also picks its
 * counter in @c present.
 */
static inline uint64_t np_nat__xlat_addr_mix(const struct np_nat_xlat *x, const struct np_addr *a)
{
	uint64_t lo, hi;

	memcpy(&lo, a->b, 8);
	memcpy(&hi, a->b + 8, 8);
	return np_hash_mix64(x->seed ^ lo) ^ hi;
}

static inline uint32_t np_nat__xlat_key_hash(uint64_t amix, uint16_t port, uint8_t proto)
{
	return (uint32_t)np_hash_mix64(amix ^ ((uint64_t)port << 8 | proto));
}

/** Hash of a key; the same function places entries (private, used inline). */
static inline uint32_t np_nat__xlat_hash(const struct np_nat_xlat *x, const struct np_addr *a,
					 uint16_t port, uint8_t proto)
{
	return np_nat__xlat_key_hash(np_nat__xlat_addr_mix(x, a), port, proto);
}

/** One exact-key probe from slot @p i on (private, used inline). */
static inline bool np_nat__xlat_find_at(const struct np_nat_xlat *x, uint32_t i,
					const struct np_addr *a, uint16_t port, uint8_t proto,
					struct np_nat_xlat_entry *out)
{
	uint32_t maxd = __atomic_load_n(&x->max_dist, __ATOMIC_ACQUIRE);
	uint32_t d;

	for (d = 0; d <= maxd; d++, i++) {
		const struct np_nat_xlat_slot *s = &x->slots[i & x->mask];
		uint32_t w[NP_NAT_XLAT_WORDS];
		struct np_nat_xlat_entry e;
		unsigned int tries = 0;
		uint32_t s1, k;

		for (;;) {
			s1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
			if (!(s1 & 1)) {
				for (k = 0; k < NP_NAT_XLAT_WORDS; k++)
					w[k] = __atomic_load_n(&s->w[k], __ATOMIC_RELAXED);
				__atomic_thread_fence(__ATOMIC_ACQUIRE);
				if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) == s1)
					break;
			}
			if (++tries >= NP_NAT_XLAT_SPIN)
				return false;
		}
		memcpy(&e, w, sizeof(e));
		if (e.kind == NP_NAT_X__EMPTY)
			return false;
		if (e.kind != NP_NAT_X__TOMB && e.port == port && e.proto == proto &&
		    memcmp(&e.addr, a, sizeof(*a)) == 0) {
			*out = e;
			return true;
		}
	}
	return false;
}

/** One exact-key probe (private, used inline), the address counter not asked. */
static inline bool np_nat__xlat_find(const struct np_nat_xlat *x, const struct np_addr *a,
				     uint16_t port, uint8_t proto, struct np_nat_xlat_entry *out)
{
	return np_nat__xlat_find_at(x, np_nat__xlat_hash(x, a, port, proto), a, port, proto, out);
}

/**
 * Look an endpoint up (reader side, any thread, lock-free; see struct
 * np_nat_xlat for the guarantees). Tries (addr, port, proto), then the
 * whole address (addr, 0, 0); neither when the address's counter is 0.
 * Reads only the table and writes only *out.
 *
 * @param x      the table
 * @param a      the address
 * @param port   host order; 0 looks up the whole-address entry only
 * @param proto  IP protocol (ignored when port is 0)
 * @param out    filled with a consistent copy of the entry on a hit
 * @return true on a hit; false on a miss (or, rarely, when the writer held
 *         the slot through NP_NAT_XLAT_SPIN re-reads).
 */
static inline bool np_nat_xlat_lookup(const struct np_nat_xlat *x, const struct np_addr *a,
				      uint16_t port, uint8_t proto, struct np_nat_xlat_entry *out)
{
	const uint64_t amix = np_nat__xlat_addr_mix(x, a);
	const uint32_t whole = np_nat__xlat_key_hash(amix, 0, 0);

	if (__atomic_load_n(&x->present[whole & x->present_mask], __ATOMIC_ACQUIRE) == 0)
		return false;
	if (port != 0 &&
	    np_nat__xlat_find_at(x, np_nat__xlat_key_hash(amix, port, proto), a, port, proto, out))
		return true;
	return np_nat__xlat_find_at(x, whole, a, 0, 0, out);
}

/* ------------------------------------------------------------------------ */
/* Binding learner (control thread)                                          */
/* ------------------------------------------------------------------------ */

/** Suggested defaults; a 0 in struct np_nat_learner_conf selects them. */
#define NP_NAT_DEFAULT_MAX_BINDINGS 65536
#define NP_NAT_DEFAULT_MAX_PENDING 65536
#define NP_NAT_DEFAULT_WINDOW_NS (2ull * 1000000000ull) /**< 2 s */
#define NP_NAT_DEFAULT_GRACE_NS (30ull * 1000000000ull) /**< 30 s */

/** Largest max_bindings / max_pending. */
#define NP_NAT_MAX_TABLE (1u << 22)

/** Candidates one fingerprint is compared with; more is treated as ambiguous. */
#define NP_NAT_MAX_CANDIDATES 32

/** Bits of np_nat_binding::changed. */
#define NP_NAT_CHANGED_SRC 0x01 /**< the initiator's source address or port differs */
#define NP_NAT_CHANGED_DST 0x02 /**< the destination address or port differs */

/** Binding events, for np_nat_learner_conf::on_event. */
enum np_nat_event {
	NP_NAT_EV_LEARNED = 0, /**< a binding was learned (also returned by np_nat_fingerprint()) */
	NP_NAT_EV_STATIC,      /**< a static entry was added */
	NP_NAT_EV_EXPIRED,     /**< a binding was idle for the grace period */
	NP_NAT_EV_WITHDRAWN,   /**< a learned binding turned out ambiguous or contradicted */
};

/** A flow's initiator tuple on one segment. 36 bytes. */
struct np_nat_tuple {
	struct np_addr src;
	struct np_addr dst;
	uint16_t sport; /**< host order */
	uint16_t dport; /**< host order */
};

/** One fingerprint, as a worker reports it. */
struct np_nat_fp {
	uint8_t segment; /**< 0..NP_MAX_SEGMENTS-1 */
	uint8_t proto;	 /**< IP protocol, not 0 */
	uint8_t dir;	 /**< 0: initiator -> responder payload, 1: the answer */
	uint8_t pad;
	struct np_addr src; /**< the flow's initiator tuple, whatever @c dir */
	struct np_addr dst;
	uint16_t sport;
	uint16_t dport;
	uint32_t len;	  /**< payload bytes of that first packet */
	uint64_t hash;	  /**< hash of its first payload bytes */
	uint32_t tcp_seq; /**< TCP sequence number of its first payload byte */
	uint64_t ts_ns;	  /**< capture time */
};

/**
 * One binding: a flow seen on two segments (learned), or a static NAT entry.
 *
 * Learned: @c a is the initiator tuple on segment @c seg_a, @c b on
 * @c seg_b, seg_a < seg_b. Example (seed): seg inside 10.0.30.2:27901 ->
 * 64.100.0.10:7003 and seg dmz 64.100.0.10:4401 -> 10.0.10.2:7003, changed
 * SRC|DST, seg_orig inside.
 *
 * Static: proto 0, seg_a = seg_b = seg_orig = NP_NAT_SEG_ANY, a.src the
 * private address, b.src the public one, every port and dst zero, changed
 * SRC|DST (1:1 NAT translates both ways), is_static.
 */
struct np_nat_binding {
	uint32_t id;   /**< 1, 2, ...; never reused by one learner */
	uint8_t proto; /**< IP protocol; 0 for static */
	uint8_t seg_a;
	uint8_t seg_b;
	uint8_t changed;       /**< NP_NAT_CHANGED_* bits; never 0 */
	struct np_nat_tuple a; /**< initiator tuple on seg_a */
	struct np_nat_tuple b; /**< initiator tuple on seg_b */
	/**
	 * Segment (seg_a or seg_b) on which the initiator's packets are still
	 * pre-NAT: its source is the original one and its destination the
	 * public one. Chosen by address class first (a private source
	 * translated to a public one, a public destination translated to a
	 * private one), else by time (the initiator's first payload is seen
	 * upstream first), else the lower segment.
	 */
	uint8_t seg_orig;
	bool is_static;
	/** True when seq_offset is known (TCP, the initiator's fingerprint on both segments). */
	bool seq_known;
	/**
	 * TCP: b's sequence number minus a's for the initiator's first payload
	 * byte, exactly (b.seq = a.seq + seq_offset, both as unsigned 32-bit
	 * values). Non-zero when the firewall randomises sequence numbers.
	 */
	int64_t seq_offset;
	uint64_t first_seen_ns; /**< time of the joining fingerprint; 0 for static */
	uint64_t last_seen_ns;	/**< latest fingerprint or np_nat_flow_seen(); 0 for static */
};

/* X(ENUM, "name", gauge, "help") */
#define NP_NAT_STATS(X)                                                                           \
	X(FINGERPRINTS, "fingerprints", false, "Fingerprints given to np_nat_fingerprint()")      \
	X(BINDINGS_ACTIVE, "bindings_active", true, "Bindings in the table now, static included") \
	X(BINDINGS_LEARNED, "bindings_learned", false, "Bindings learned from fingerprints")      \
	X(BINDINGS_EXPIRED, "bindings_expired", false,                                            \
	  "Learned bindings removed after the grace period without traffic")                      \
	X(BINDINGS_WITHDRAWN, "bindings_withdrawn", false,                                        \
	  "Learned bindings removed because a later fingerprint made them ambiguous or "          \
	  "contradicted them")                                                                    \
	X(AMBIGUOUS, "ambiguous", false,                                                          \
	  "Joins refused because a fingerprint matched several flows of one segment")             \
	X(UNTRANSLATED, "untranslated", false,                                                    \
	  "Flows seen with the same tuple on two segments (no NAT; not a binding)")               \
	X(PENDING_DROPPED, "pending_dropped", false,                                              \
	  "Pending flows dropped, oldest first, to make room while still in the window")          \
	X(STATIC_ENTRIES, "static_entries", true, "Static NAT entries in the table")              \
	X(TABLE_FULL, "table_full", false, "Bindings not kept because the table was full")        \
	X(XLAT_FULL, "xlat_full", false,                                                          \
	  "Translation table entries not published because it was full")

#define NP_NAT_STAT_ENUM(e, n, g, h) NP_NAT_STAT_##e,
/** Index into np_nat_stats::v. */
enum np_nat_stat {
	NP_NAT_STATS(NP_NAT_STAT_ENUM) NP_NAT_STAT_MAX
};
#undef NP_NAT_STAT_ENUM

/**
 * The counters' table (np_ctr.h), indexed by enum np_nat_stat:
 * natprobe_nat_bindings_active, natprobe_nat_fingerprints_total, ... (a
 * learner's struct np_nat_stats).
 */
extern const struct np_ctr_table np_nat_counters;

/** A learner's counters; written only by the learner. */
struct np_nat_stats {
	uint64_t v[NP_NAT_STAT_MAX];
};

/** Learner configuration; copied by np_nat_learner_create(). */
struct np_nat_learner_conf {
	/** Bindings (learned + static) at once, 0 (default) or 1..NP_NAT_MAX_TABLE. */
	uint32_t max_bindings;
	/**
	 * Flows waiting for a match, 0 (default) or 1..NP_NAT_MAX_TABLE. One
	 * pending flow holds the fingerprints of both its directions and stays
	 * for the window after its latest one (also after it joined, to catch
	 * ambiguity); when all are taken the oldest-created is dropped.
	 */
	uint32_t max_pending;
	/** Largest time between two fingerprints that may join; 0 = default. */
	uint64_t window_ns;
	/** Idle time after which a learned binding expires; 0 = default. */
	uint64_t grace_ns;
	/**
	 * Seed of the learner's hash tables, or 0 for a random one. Results do
	 * not depend on it (only speed under collisions); tests fix it to
	 * reproduce a run.
	 */
	uint64_t hash_seed;
	/** Allocator (see np_nat_xlat_create()), or NULL for zero pages on a 2 MB boundary
	 * (np_mem_table_alloc()). */
	void *(*alloc)(void *ctx, size_t size);
	/** Releases what alloc returned; NULL exactly when alloc is NULL. */
	void (*free)(void *ctx, void *p);
	void *alloc_ctx;
	/**
	 * Called on every binding event, or NULL. The binding is valid during
	 * the call only. It must not call back into the learner.
	 */
	void (*on_event)(void *ctx, enum np_nat_event ev, const struct np_nat_binding *b);
	void *event_ctx;
};

struct np_nat_learner;

/**
 * Create a learner; every table is allocated here.
 * @param conf  limits and callbacks, see struct np_nat_learner_conf
 * @return the learner, or NULL with errno EINVAL (NULL conf, a limit out of
 *         range, only one of alloc/free given) or ENOMEM.
 */
struct np_nat_learner *np_nat_learner_create(const struct np_nat_learner_conf *conf);

/** Free a learner (its published entries stay in an attached table). NULL is a no-op. */
void np_nat_learner_free(struct np_nat_learner *l);

/**
 * Publish every binding in @p x from now on: the current bindings at once,
 * and each later one learned, added, expired or withdrawn. For a binding
 * with U its tuple on seg_orig and D the other:
 *
 * - source changed: (D.src, D.sport, proto) NP_NAT_X_SNAT_SOURCE of U.src:sport;
 * - destination changed: (U.dst, U.dport, proto) NP_NAT_X_DNAT_PUBLIC of
 *   D.dst:dport and, when the address changed, (U.dst, 0, 0)
 *   NP_NAT_X_DNAT_PUBLIC of D.dst unless that key already holds another
 *   answer (a static one, or another server behind the same address:
 *   the first stays);
 * - static: (pub, 0, 0) NP_NAT_X_STATIC_PUBLIC of priv.
 *
 * Entries are reference-counted, so keys shared by bindings stay until the
 * last one goes. The learner becomes the table's writer: do not write to
 * it from another thread. Entries not published because @p x is full are
 * counted (xlat_full).
 *
 * @param l  the learner
 * @param x  the table, or NULL to detach (entries already published stay)
 * @return 0; -EINVAL for a NULL learner; -EBUSY when another table is
 *         attached (detach first).
 */
int np_nat_learner_attach_xlat(struct np_nat_learner *l, struct np_nat_xlat *x);

/**
 * Take one fingerprint and try to join it with pending fingerprints of
 * other segments.
 *
 * Two flows on different segments join when their fingerprints for the
 * same direction have equal (proto, hash, len), are at most window_ns
 * apart, and their other direction, when both are known, is equal too.
 * Which segment is seen first does not matter. A join is made only when
 * it is the only one: when the fingerprint matches another flow of its own
 * segment, or several flows of the other segment, within the window (for
 * example identical keepalives), nothing is guessed: the join is counted
 * as ambiguous, the flows involved are marked so they never join, and
 * bindings they already made are withdrawn. A pair whose tuples are equal
 * on both segments (no NAT) is counted as untranslated, not kept. A later
 * fingerprint of a flow already bound refreshes the binding, fills in the
 * TCP sequence offset, or withdraws the binding when its other direction
 * disagrees.
 *
 * @param l    the learner
 * @param fp   the fingerprint; the tuple is the flow's initiator tuple
 * @param out  filled with the new binding when 1 is returned (when a call
 *             learns several, with three segments, the first; every one is
 *             also passed to on_event); may be NULL
 * @return 1 when a binding was learned, 0 when not; -EINVAL for NULL
 *         l/fp, a segment >= NP_MAX_SEGMENTS, proto 0 or dir > 1. A full
 *         binding table is counted (table_full) and returns 0.
 */
int np_nat_fingerprint(struct np_nat_learner *l, const struct np_nat_fp *fp,
		       struct np_nat_binding *out);

/**
 * A hint for a np_nat_fingerprint() of @p fp soon after: the heads of the
 * chains it starts from (the flow's pending entry, its bindings, its
 * fingerprint's bucket) are prefetched. Reads the learner, changes nothing;
 * a caller that holds the next event while it handles one gives its table
 * lines time to arrive.
 */
void np_nat_fingerprint_prefetch(const struct np_nat_learner *l, const struct np_nat_fp *fp);

/**
 * Keep the bindings of a flow alive: sets their last_seen_ns to @p ts_ns
 * (when later).
 * @param l        the learner
 * @param segment  where the flow was seen
 * @param proto    IP protocol
 * @param t        the flow's initiator tuple on that segment
 * @param ts_ns    time of the traffic
 * @return the number of bindings refreshed (0 when none); -EINVAL for NULL
 *         arguments or a segment >= NP_MAX_SEGMENTS.
 */
int np_nat_flow_seen(struct np_nat_learner *l, uint8_t segment, uint8_t proto,
		     const struct np_nat_tuple *t, uint64_t ts_ns);

/**
 * Remove learned bindings last seen more than grace_ns before @p now_ns
 * (static entries stay), and their translation table entries. Call it from
 * a timer, about once a second; it walks the binding table.
 * @return the number removed; -EINVAL for a NULL learner.
 */
int np_nat_expire(struct np_nat_learner *l, uint64_t now_ns);

/**
 * Add a static NAT entry (config `nat.static`, `--static-nat PRIV=PUB`) to
 * the binding table, and publish it when a table is attached. A static
 * entry overrides a learned whole-address entry for the same public address
 * in the translation table.
 * @param l   the learner
 * @param sn  private and public address
 * @return 0; -EINVAL for NULL arguments or priv equal to pub; -EEXIST when
 *         the same pair, or the same public address, is already static;
 *         -ENOSPC when the binding table is full (also counted in table_full).
 */
int np_nat_add_static(struct np_nat_learner *l, const struct np_static_nat *sn);

/**
 * Call @p cb for every binding (learned and static), in table order. The
 * binding is valid during the call only; @p cb must not change the learner.
 * @return 0 after every binding, or the first non-zero value @p cb returned
 *         (which stops the walk); -EINVAL for NULL l or cb.
 */
int np_nat_binding_foreach(const struct np_nat_learner *l,
			   int (*cb)(void *ctx, const struct np_nat_binding *b), void *ctx);

/**
 * Find a learned binding of a flow on a segment.
 * @param l        the learner
 * @param segment  where the flow was seen
 * @param proto    IP protocol
 * @param t        the flow's initiator tuple on that segment
 * @param out      filled with the binding (the first one, when the flow is
 *                 bound to several segments); may be NULL
 * @return true when found; false otherwise or for NULL l/t.
 */
bool np_nat_binding_find(const struct np_nat_learner *l, uint8_t segment, uint8_t proto,
			 const struct np_nat_tuple *t, struct np_nat_binding *out);

/** The learner's counters; never NULL for a valid learner. */
const struct np_nat_stats *np_nat_learner_stats(const struct np_nat_learner *l);

#endif /* NP_NAT_H */
