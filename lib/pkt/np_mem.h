/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory made resident up front: large tables of the control side and of
 * the analysis are faulted in when they are made, so the process does not
 * grow while they fill and a machine short of memory fails at start.
 */

#ifndef NP_MEM_H
#define NP_MEM_H

#include <errno.h>
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
		b[off] = 0;
	b[size - 1] = 0;
	return 0;
}

#endif /* NP_MEM_H */
