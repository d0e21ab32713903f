/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_PCAPNG_WRITER_H
#define NP_PCAPNG_WRITER_H

/**
 * @file
 * The few pcapng blocks an evidence capture needs (draft-ietf-opsawg-pcapng):
 * a section header, one interface description per segment (if_name,
 * if_description, nanosecond timestamps) and enhanced packet blocks with a
 * comment. libpcap 1.10 writes pcapng with neither several interfaces nor
 * comments, so natprobe writes these itself. Blocks are written in the
 * host's byte order, which the section header's magic declares.
 */

#include <stdint.h>
#include <stdio.h>

/** LINKTYPE_ETHERNET: every frame natprobe inspects is an Ethernet frame. */
#define NP_PCAPNG_LINKTYPE_ETHERNET 1

/** Longest option value written (pcapng option lengths are 16-bit). */
#define NP_PCAPNG_OPT_MAX 65532u

/**
 * Section header block; @p userappl (shb_userappl, may be NULL) names the
 * writer. Section length unknown (-1). @return 0, or -EIO.
 */
int np_pcapng_write_shb(FILE *f, const char *userappl);

/**
 * Interface description block: @p name (if_name) and @p descr
 * (if_description) may be NULL; timestamps in nanoseconds (if_tsresol 9).
 * Interfaces are numbered from 0 in the order written. @return 0, or -EIO.
 */
int np_pcapng_write_idb(FILE *f, uint16_t linktype, uint32_t snaplen, const char *name,
			const char *descr);

/**
 * Enhanced packet block on interface @p iface: @p caplen bytes of a frame
 * that had @p len, at @p ts_ns (nanoseconds since the epoch), with
 * @p comment (opt_comment, UTF-8; NULL or "" for none). Values longer than
 * NP_PCAPNG_OPT_MAX are cut. @return 0, or -EIO (-EINVAL when caplen > len).
 */
int np_pcapng_write_epb(FILE *f, uint32_t iface, uint64_t ts_ns, const uint8_t *data,
			uint32_t caplen, uint32_t len, const char *comment);

#endif /* NP_PCAPNG_WRITER_H */
