/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SIP ring's copy cost alone: one message of MSG bytes enqueued and
 * dequeued on a single-producer, single-consumer rte_ring with elements of
 * ESIZE bytes (what a worker and the control thread each do per SIP
 * summary), ITERATIONS times in cache; prints nanoseconds per message (the
 * thread's CPU time). natprobe run uses 16-byte elements (NP_SIP_ELEM);
 * rte_ring copies those with vector moves, 8- and 16-byte ones likewise,
 * any other size a 32-bit word at a time.
 *
 *   bench_ring [ESIZE [MSG [ITERATIONS]]]     (defaults: 16 448 5000000)
 *
 * Side by side:  for e in 64 16 64 16; do build/tools/bench_ring $e 448; done
 * (the flow-event ring: for e in 96 16 96 16; do build/tools/bench_ring $e 96; done)
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#define BENCH_RING_MAX_MSG 4096

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static unsigned long arg(int argc, char **argv, int i, unsigned long def, unsigned long max)
{
	unsigned long v;
	char *end;

	if (argc <= i)
		return def;
	v = strtoul(argv[i], &end, 10);
	if (*end != '\0' || v == 0 || v > max) {
		fprintf(stderr, "bench_ring: argument %d: a number from 1 to %lu, not '%s'\n", i,
			max, argv[i]);
		exit(2);
	}
	return v;
}

/* ITERS messages of MSG bytes through @p r, elements of @p esize bytes; the check sum. */
static inline __attribute__((always_inline)) uint64_t run(struct rte_ring *r, unsigned int esize,
							  uint8_t *src, uint8_t *dst,
							  unsigned int msg, unsigned long iters)
{
	const unsigned int n = msg / esize;
	uint64_t sum = 0;

	for (unsigned long i = 0; i < iters; i++) {
		src[i % msg] = (uint8_t)i;
		if (rte_ring_sp_enqueue_bulk_elem(r, src, esize, n, NULL) != n ||
		    rte_ring_sc_dequeue_bulk_elem(r, dst, esize, n, NULL) != n) {
			fprintf(stderr, "bench_ring: the ring refused a message\n");
			exit(1);
		}
		sum += dst[i % msg];
	}
	return sum;
}

int main(int argc, char **argv)
{
	static uint8_t src[BENCH_RING_MAX_MSG] __attribute__((aligned(64)));
	static uint8_t dst[BENCH_RING_MAX_MSG] __attribute__((aligned(64)));
	const unsigned int esize = (unsigned int)arg(argc, argv, 1, 16, BENCH_RING_MAX_MSG);
	const unsigned int msg = (unsigned int)arg(argc, argv, 2, 448, BENCH_RING_MAX_MSG);
	const unsigned long iters = arg(argc, argv, 3, 5000000, 1000000000);
	const unsigned int count = 4096;
	struct rte_ring *r;
	uint64_t sum;
	ssize_t size;
	double t0, t;

	if (esize % 4 != 0 || msg % esize != 0) {
		fprintf(stderr, "bench_ring: ESIZE a multiple of 4 that divides MSG\n");
		return 2;
	}
	size = rte_ring_get_memsize_elem(esize, count);
	r = size > 0 ? aligned_alloc(64, ((size_t)size + 63) & ~(size_t)63) : NULL;
	if (r == NULL || rte_ring_init(r, "bench_ring", count, RING_F_SP_ENQ | RING_F_SC_DEQ)) {
		fprintf(stderr, "bench_ring: cannot make the ring\n");
		return 1;
	}
	memset(src, 0x5a, sizeof(src));
	t0 = cpu_s();
	/* the element size a constant in each copy of the loop, as natprobe compiles it */
	switch (esize) {
	case 16:
		sum = run(r, 16, src, dst, msg, iters);
		break;
	case 64:
		sum = run(r, 64, src, dst, msg, iters);
		break;
	case 96:
		sum = run(r, 96, src, dst, msg, iters);
		break;
	default:
		sum = run(r, esize, src, dst, msg, iters);
		break;
	}
	t = cpu_s() - t0;
	printf("esize %u, message %u B: %.1f ns per message (enqueue + dequeue), check %llu\n",
	       esize, msg, t * 1e9 / (double)iters, (unsigned long long)sum);
	free(r);
	return 0;
}
