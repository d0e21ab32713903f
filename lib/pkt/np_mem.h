/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory made resident up front: large tables of the control side and of
 * the analysis are faulted in when they are made, so the process does not
 * grow while they fill and a machine short of memory fails at start.
 */

#ifndef NP_MEM_H
#define NP_MEM_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/mman.h>

/** The size of a huge page on x86-64 and arm64 (4 KB base pages). */
#define NP_MEM_HUGE ((size_t)2 << 20)

/**
 * Ask for 2 MB pages for the whole 2 MB blocks inside [@p p, @p p + @p size):
 * the large tables are read at random, and with 4 KB pages nearly every
 * lookup in them also misses the TLB. Only pages populated after the call
 * are affected (a block already populated with 4 KB pages stays so until
 * the kernel collapses it), so it is called on memory just allocated.
 * Transparent huge pages set to "never" or absent: no effect, no error.
 * errno is left as it was.
 */
static inline void np_mem_advise_huge(void *p, size_t size)
{
#ifdef MADV_HUGEPAGE
	const uintptr_t lo = ((uintptr_t)p + NP_MEM_HUGE - 1) & ~(NP_MEM_HUGE - 1);
	const uintptr_t hi = ((uintptr_t)p + size) & ~(NP_MEM_HUGE - 1);
	const int saved = errno;

	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
	errno = saved;
#else
	(void)p;
	(void)size;
#endif
}

/** @p size rounded up to whole 4 KB pages. */
static inline size_t np_mem_pages(size_t size)
{
	return (size + 4095) & ~(size_t)4095;
}

/**
 * A block for a large table: @p size bytes of zero pages, not yet resident,
 * starting on a 2 MB boundary so that every 2 MB of it can be a huge page
 * (np_mem_advise_huge(), np_mem_prefault()). A block from malloc() starts
 * a few bytes past a page, and its first and last 2 MB would stay in 4 KB
 * pages. Release it with np_mem_table_free() and the same @p size.
 *
 * @return the block; NULL with errno ENOMEM.
 */
static inline void *np_mem_table_alloc(size_t size)
{
	const size_t len = np_mem_pages(size), span = len + NP_MEM_HUGE;
	uint8_t *a, *p;

	if (size == 0 || len < size || span < len) {
		errno = ENOMEM;
		return NULL;
	}
	a = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED) {
		errno = ENOMEM;
		return NULL;
	}
	p = (uint8_t *)(((uintptr_t)a + NP_MEM_HUGE - 1) & ~(uintptr_t)(NP_MEM_HUGE - 1));
	/* the unused head and tail of the span go back */
	if (p > a)
		(void)munmap(a, (size_t)(p - a));
	if (a + span > p + len)
		(void)munmap(p + len, (size_t)(a + span - (p + len)));
	return p;
}

/** Release a block of np_mem_table_alloc(): @p size as it was asked for; NULL does nothing. */
static inline void np_mem_table_free(void *p, size_t size)
{
	if (p)
		(void)munmap(p, np_mem_pages(size));
}

/* np_mem_prefault(), np_mem_make_resident(): @p keep writes each page the byte it holds. */
static inline int np_mem_fault_in(void *p, size_t size, bool keep)
{
	const uintptr_t page = 4096;
	volatile uint8_t *b = p;

	if (size == 0)
		return 0;
	np_mem_advise_huge(p, size);
#ifdef MADV_POPULATE_WRITE
	{
		const uintptr_t lo = ((uintptr_t)p + page - 1) & ~(page - 1);
		const uintptr_t hi = ((uintptr_t)p + size) & ~(page - 1);
		const int saved = errno;

		/* EINVAL: a kernel without it; the loop below does it all */
		if (hi > lo && madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE) != 0 &&
		    errno == ENOMEM)
			return -1;
		errno = saved;
	}
#endif
	for (size_t off = 0; off < size; off += page)
		b[off] = keep ? b[off] : 0;
	b[size - 1] = keep ? b[size - 1] : 0;
	return 0;
}

/**
 * Fault in the @p size bytes at @p p for writing: a block just allocated,
 * whose pages may be untouched (or mapped to the zero page by calloc()),
 * zeroed or about to be initialised: the first byte of every page and the
 * last byte are written 0. The kernel populates the whole pages inside it
 * in one call (MADV_POPULATE_WRITE, Linux 5.14) instead of a page fault
 * per 4 KB, with 2 MB pages where it can (np_mem_advise_huge()); then
 * every page is written once, which costs little once populated (inside
 * some virtual machines the first write to a page still costs a trap of
 * its own, and this keeps it out of the run). Without that call every
 * page is touched, a page fault each. A zeroed block stays zero.
 *
 * @return 0; -1 with errno ENOMEM when the kernel cannot back the pages.
 */
static inline int np_mem_prefault(void *p, size_t size)
{
	return np_mem_fault_in(p, size, false);
}

/**
 * np_mem_prefault() for a block already in use: each page is written the
 * byte it holds, so the contents stay. Only its one writer may call it;
 * concurrent readers see no change.
 *
 * @return 0; -1 with errno ENOMEM when the kernel cannot back the pages.
 */
static inline int np_mem_make_resident(void *p, size_t size)
{
	return np_mem_fault_in(p, size, true);
}

#endif /* NP_MEM_H */
