/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_CTR_H
#define NP_CTR_H

/**
 * @file
 * Counters declared once. Each library that keeps counters in a stats
 * struct of its own exports a table of rows, one per counter family (or one
 * per series of a family a fixed label value tells apart): name, help,
 * type, labels, and where the value lives in its stats struct. One walker
 * (lib/export, np_ctr_walk()) reads every table and renders Prometheus,
 * the DPDK telemetry dictionaries, docs/counters.md and the exit report.
 * Adding a counter is one field in the stats struct and one row here.
 *
 * The shape of a row: values are uint64_t; a row may be kept per port, per
 * segment or per worker (its "dim"), and may spread over an array indexed by
 * a label of its own (value_name(i) names index i, first <= i < last).
 * The value of [dim d][index i] is at off + d * dim_step + (i - first) * step
 * bytes into the stats struct.
 */

#include <stddef.h>
#include <stdint.h>

enum np_ctr_type {
	NP_CTR_COUNTER = 0, /**< only grows; Prometheus "counter" */
	NP_CTR_GAUGE,	    /**< a current value; Prometheus "gauge" */
};

/** What a row is kept per, besides its own label. */
enum np_ctr_dim {
	NP_CTR_DIM_NONE = 0, /**< one value (or one per label value) */
	NP_CTR_DIM_PORT,     /**< per port: labels port and segment */
	NP_CTR_DIM_SEGMENT,  /**< per segment: label segment */
	NP_CTR_DIM_WORKER,   /**< per worker: label worker, never summed across workers */
};

/** One row of a counter table. */
struct np_ctr_desc {
	const char *name;  /**< family name after "natprobe_" */
	const char *help;  /**< one line; "" on a family's later rows */
	uint8_t type;	   /**< enum np_ctr_type */
	uint8_t dim;	   /**< enum np_ctr_dim */
	const char *label; /**< the row's own label, or NULL */
	const char *value; /**< its value when the row is one series, else NULL */
	/** or the label's values by index; NULL for an index that is skipped */
	const char *(*value_name)(unsigned int i);
	uint16_t first, last; /**< with value_name: indexes first .. last - 1 */
	uint32_t off;	      /**< bytes into the stats struct: [dim 0][first] */
	uint32_t step;	      /**< bytes between label indexes */
	uint32_t dim_step;    /**< bytes between ports, segments */
};

/** A library's table: its rows, in output order. */
struct np_ctr_table {
	const struct np_ctr_desc *rows;
	unsigned int n;
};

/** Byte offset of a member, for np_ctr_desc::off. */
#define NP_CTR_OFF(type, member) ((uint32_t)offsetof(type, member))

/** A one-value row (no dim, no label). */
#define NP_CTR_ROW(n, h, t, type_, member)                                              \
	{                                                                               \
		.name = (n), .help = (h), .type = (t), .off = NP_CTR_OFF(type_, member) \
	}

/** A row that is one series of a family: @p label = @p value. */
#define NP_CTR_ROW_L(n, h, t, l, v, type_, member)                                 \
	{                                                                          \
		.name = (n), .help = (h), .type = (t), .label = (l), .value = (v), \
		.off = NP_CTR_OFF(type_, member)                                   \
	}

#endif /* NP_CTR_H */
