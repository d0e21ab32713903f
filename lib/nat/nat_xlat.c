/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Translation table, writer side. The reader is np_nat_xlat_lookup() in
 * np_nat.h, whose comment on struct np_nat_xlat gives the memory-ordering
 * argument; every store here that a reader may see is an atomic one, made
 * inside a slot's odd sequence number by slot_write().
 *
 * One block: the struct, the slots (48 bytes), a reference count per slot
 * (writer only, kept apart so readers' cache lines hold only entries), the
 * address counters (a byte each, a quarter as many as slots).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/random.h>

#include "nat_internal.h"
#include "np_mem.h"
#include "np_nat.h"

_Static_assert(sizeof(struct np_nat_xlat_entry) == 44, "entry is copied as 11 words");
_Static_assert(sizeof(struct np_nat_xlat_slot) == 48, "slot is seq + entry");

#define XLAT_MIN_SLOTS 16
#define LINE 64
#define PRESENT_PER_SLOT 4 /* slots per address counter */
#define PRESENT_STUCK 255  /* a counter that reached this stays */

uint64_t nat_seed(void)
{
	uint64_t s;
	struct timespec ts;

	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) == (ssize_t)sizeof(s))
		return s;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return np_hash_mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32));
}

void *nat_default_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return calloc(1, size);
}

void nat_default_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

/* Only the writer stores into slots, so its own plain loads see current values. */
static void slot_read(const struct np_nat_xlat_slot *s, struct np_nat_xlat_entry *e)
{
	memcpy(e, s->w, sizeof(*e));
}

static void slot_write(struct np_nat_xlat_slot *s, const struct np_nat_xlat_entry *e)
{
	uint32_t w[NP_NAT_XLAT_WORDS];
	uint32_t seq = s->seq;
	unsigned int k;

	memcpy(w, e, sizeof(w));
	__atomic_store_n(&s->seq, seq + 1, __ATOMIC_RELAXED);
	/* Orders the odd counter before every word store below (fence-fence with the reader). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (k = 0; k < NP_NAT_XLAT_WORDS; k++)
		__atomic_store_n(&s->w[k], w[k], __ATOMIC_RELAXED);
	__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
}

static void slot_set_state(struct np_nat_xlat_slot *s, uint8_t state)
{
	struct np_nat_xlat_entry e;

	memset(&e, 0, sizeof(e));
	e.kind = state;
	slot_write(s, &e);
}

static bool same_answer(const struct np_nat_xlat_entry *a, const struct np_nat_xlat_entry *b)
{
	return a->kind == b->kind && a->orig_port == b->orig_port && a->seg == b->seg &&
	       memcmp(&a->orig, &b->orig, sizeof(a->orig)) == 0;
}

struct np_nat_xlat *np_nat_xlat_create(uint32_t capacity, void *(*alloc)(void *ctx, size_t size),
				       void (*free_fn)(void *ctx, void *p), void *ctx)
{
	struct np_nat_xlat *x;
	size_t head, size;
	uint32_t n, np;
	uint8_t *p;

	if (capacity == 0 || capacity > NP_NAT_XLAT_MAX_CAPACITY || (!alloc) != (!free_fn)) {
		errno = EINVAL;
		return NULL;
	}
	if (!alloc) {
		alloc = nat_default_alloc;
		free_fn = nat_default_free;
	}
	n = nat_pow2(2 * capacity);
	if (n < XLAT_MIN_SLOTS)
		n = XLAT_MIN_SLOTS;
	np = n / PRESENT_PER_SLOT;
	head = (sizeof(*x) + LINE - 1) & ~(size_t)(LINE - 1);
	size = head + (size_t)n * sizeof(struct np_nat_xlat_slot) + (size_t)n * sizeof(uint32_t) +
	       np;
	p = alloc(ctx, size);
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	if (alloc != nat_default_alloc)
		memset(p, 0, size); /* calloc's pages arrive zeroed, untouched */
	x = (struct np_nat_xlat *)p;
	x->slots = (struct np_nat_xlat_slot *)(p + head);
	x->refs = (uint32_t *)(p + head + (size_t)n * sizeof(struct np_nat_xlat_slot));
	x->present = (uint8_t *)(x->refs + n);
	x->present_mask = np - 1;
	x->mask = n - 1;
	x->seed = nat_seed();
	x->capacity = capacity;
	x->mem_size = size;
	x->alloc = alloc;
	x->free = free_fn;
	x->alloc_ctx = ctx;
	return x;
}

void np_nat_xlat_free(struct np_nat_xlat *x)
{
	if (x)
		x->free(x->alloc_ctx, x);
}

int np_nat_xlat_make_resident(struct np_nat_xlat *x)
{
	if (!x) {
		errno = EINVAL;
		return -1;
	}
	x->populated = true;
	return np_mem_make_resident(x, x->mem_size);
}

/*
 * Find @p key's slot (returns its index or NAT_NIL); *freep gets the first
 * reusable slot (tombstone or empty) on its probe path and *distp its
 * distance, NAT_NIL when the table has none.
 */
static uint32_t find_slot(const struct np_nat_xlat *x, const struct np_nat_xlat_entry *key,
			  uint32_t *freep, uint32_t *distp)
{
	uint32_t h = np_nat__xlat_hash(x, &key->addr, key->port, key->proto);
	uint32_t d, i;

	*freep = NAT_NIL;
	*distp = 0;
	for (d = 0; d <= x->mask; d++) {
		struct np_nat_xlat_entry e;

		i = (h + d) & x->mask;
		slot_read(&x->slots[i], &e);
		if (e.kind == NP_NAT_X__EMPTY || e.kind == NP_NAT_X__TOMB) {
			if (*freep == NAT_NIL) {
				*freep = i;
				*distp = d;
			}
			if (e.kind == NP_NAT_X__EMPTY)
				return NAT_NIL;
		} else if (e.port == key->port && e.proto == key->proto &&
			   memcmp(&e.addr, &key->addr, sizeof(e.addr)) == 0) {
			return i;
		}
		/* No key lies past the longest distance used; the free slot is all we need. */
		if (d >= x->max_dist && *freep != NAT_NIL)
			return NAT_NIL;
	}
	return NAT_NIL;
}

/* The counter of @p a's address (np_nat_xlat_lookup() reads it). */
static uint8_t *present_of(const struct np_nat_xlat *x, const struct np_addr *a)
{
	return &x->present[np_nat__xlat_hash(x, a, 0, 0) & x->present_mask];
}

/* One more live entry with @p a's address: before its slot is written. */
static void present_up(struct np_nat_xlat *x, const struct np_addr *a)
{
	uint8_t *c = present_of(x, a);
	const uint8_t v = __atomic_load_n(c, __ATOMIC_RELAXED); /* only this writer stores */

	if (v < PRESENT_STUCK)
		__atomic_store_n(c, (uint8_t)(v + 1), __ATOMIC_RELEASE);
}

/* One live entry fewer with @p a's address: after its tombstone is written. */
static void present_down(struct np_nat_xlat *x, const struct np_addr *a)
{
	uint8_t *c = present_of(x, a);
	const uint8_t v = __atomic_load_n(c, __ATOMIC_RELAXED);

	if (v > 0 && v < PRESENT_STUCK)
		__atomic_store_n(c, (uint8_t)(v - 1), __ATOMIC_RELEASE);
}

static int check_entry(const struct np_nat_xlat *x, const struct np_nat_xlat_entry *e)
{
	if (!x || !e)
		return -EINVAL;
	if (e->kind < NP_NAT_X_SNAT_SOURCE || e->kind > NP_NAT_X_STATIC_PUBLIC)
		return -EINVAL;
	if (e->port == 0 && e->proto != 0)
		return -EINVAL;
	return 0;
}

int np_nat_xlat_add(struct np_nat_xlat *x, const struct np_nat_xlat_entry *e)
{
	struct np_nat_xlat_entry cur, ne;
	uint32_t i, fr, dist;
	int rc = check_entry(x, e);

	if (rc)
		return rc;
	/* the first entry: the whole table at once rather than a fault per page it lands on
	 * (ENOMEM: they fault in as they come) */
	if (!x->populated)
		(void)np_nat_xlat_make_resident(x);
	ne = *e;
	ne.pad = 0;
	i = find_slot(x, &ne, &fr, &dist);
	if (i != NAT_NIL) {
		slot_read(&x->slots[i], &cur);
		if (same_answer(&cur, &ne)) {
			if (x->refs[i] < UINT32_MAX)
				x->refs[i]++;
			if (cur.binding_id != ne.binding_id)
				slot_write(&x->slots[i], &ne);
			return 0;
		}
		if (cur.kind == NP_NAT_X_STATIC_PUBLIC && ne.kind != NP_NAT_X_STATIC_PUBLIC)
			return -EEXIST;
		slot_write(&x->slots[i], &ne);
		x->refs[i] = 1;
		return 0;
	}
	if (x->live >= x->capacity || fr == NAT_NIL)
		return -ENOSPC;
	slot_read(&x->slots[fr], &cur);
	if (cur.kind == NP_NAT_X__TOMB)
		x->tombs--;
	/* Readers must probe far enough before they can meet the entry there. */
	if (dist > x->max_dist)
		__atomic_store_n(&x->max_dist, dist, __ATOMIC_RELEASE);
	/* ... and must not stop at the address's counter once they can. */
	present_up(x, &ne.addr);
	slot_write(&x->slots[fr], &ne);
	x->refs[fr] = 1;
	x->live++;
	return 0;
}

int np_nat_xlat_del(struct np_nat_xlat *x, const struct np_nat_xlat_entry *e)
{
	struct np_nat_xlat_entry cur;
	uint32_t i, fr, dist;
	int rc = check_entry(x, e);

	if (rc)
		return rc;
	i = find_slot(x, e, &fr, &dist);
	if (i == NAT_NIL)
		return -ENOENT;
	slot_read(&x->slots[i], &cur);
	if (!same_answer(&cur, e))
		return -ENOENT;
	if (--x->refs[i] > 0)
		return 0;
	slot_set_state(&x->slots[i], NP_NAT_X__TOMB);
	present_down(x, &cur.addr);
	x->live--;
	x->tombs++;
	/*
	 * A tombstone followed by an empty slot is on no live key's probe
	 * chain (linear probing never skips an empty), so it may become empty,
	 * and so may the tombstones right before it.
	 */
	slot_read(&x->slots[(i + 1) & x->mask], &cur);
	if (cur.kind == NP_NAT_X__EMPTY) {
		for (;;) {
			slot_read(&x->slots[i], &cur);
			if (cur.kind != NP_NAT_X__TOMB)
				break;
			slot_set_state(&x->slots[i], NP_NAT_X__EMPTY);
			x->tombs--;
			i = (i - 1) & x->mask;
		}
	}
	return 0;
}

uint32_t np_nat_xlat_count(const struct np_nat_xlat *x)
{
	return x ? x->live : 0;
}
