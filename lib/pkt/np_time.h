/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_TIME_H
#define NP_TIME_H

/**
 * @file
 * Time in natprobe: nanoseconds since the Unix epoch (UTC) in a uint64_t,
 * the unit of every timestamp a frame, event or record carries, offline
 * (capture time) and live (the receive time).
 */

#include <stdint.h>
#include <time.h>

#define NP_NS_PER_US 1000ull
#define NP_NS_PER_MS 1000000ull
#define NP_NS_PER_S 1000000000ull

/** The wall clock now (CLOCK_REALTIME), in nanoseconds since the epoch. */
static inline uint64_t np_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NP_NS_PER_S + (uint64_t)ts.tv_nsec;
}

#endif /* NP_TIME_H */
