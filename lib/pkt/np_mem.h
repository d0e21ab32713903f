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

/**
 * Fault in the @p size bytes at @p p for writing: a block just allocated,
 * whose pages may be untouched (or mapped to the zero page by calloc()),
 * zeroed or about to be initialised: the first byte of every page and the
 * last byte are written 0. The kernel populates the whole pages inside it
 * in one call (MADV_POPULATE_WRITE, Linux 5.14) instead of a page fault
 * per 4 KB; then every page is written once, which costs little once
 * populated (inside some virtual machines the first write to a page still
 * costs a trap of its own, and this keeps it out of the run). Without that
 * call every page is touched, a page fault each. A zeroed block stays zero.
 *
 * @return 0; -1 with errno ENOMEM when the kernel cannot back the pages.
 */
static inline int np_mem_prefault(void *p, size_t size)
{
	const uintptr_t page = 4096;
	volatile uint8_t *b = p;

	if (size == 0)
		return 0;
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
