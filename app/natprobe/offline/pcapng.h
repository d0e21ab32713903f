/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_PCAPNG_H
#define NP_PCAPNG_H

/*
 * A small pcapng reader (the IETF draft "PCAP Next Generation Capture File
 * Format"), used instead of libpcap for pcapng files because libpcap 1.10's
 * pcap_next_ex() does not say which interface a packet was captured on, and
 * refuses files whose interfaces have different link types. Both matter
 * here: each interface of a file written by `dumpcap -i inside -i dmz` (or
 * by mergecap) is its own segment. docs/design.md says more.
 *
 * Read: section header blocks (either byte order; a new section starts a
 * new set of interfaces), interface description blocks (link type, snap
 * length, if_name, if_description, if_tsresol, if_tsoffset), enhanced,
 * simple and obsolete packet blocks. Every other block (name resolution,
 * interface statistics, decryption secrets, custom) is skipped. Interfaces
 * are numbered from 0 across the whole file, in the order they are
 * described.
 */

#include <stdint.h>
#include <stdio.h>

#define NP_PCAPNG_NAME_MAX 128

struct np_pcapng_iface {
	uint16_t linktype;
	uint32_t snaplen;		/* 0: no limit */
	char name[NP_PCAPNG_NAME_MAX];	/* if_name, "" when absent */
	char descr[NP_PCAPNG_NAME_MAX]; /* if_description, "" when absent */
	uint8_t tsresol;		/* if_tsresol as written (default 6: microseconds) */
	int64_t tsoffset;		/* if_tsoffset, seconds */
};

struct np_pcapng_pkt {
	unsigned int iface; /* index in the file, from 0 */
	uint64_t ts_ns;	    /* ns since the epoch */
	uint32_t caplen;
	uint32_t len;	     /* original length */
	const uint8_t *data; /* valid until the next np_pcapng_next() */
};

struct np_pcapng;

/*
 * Start reading @p f, positioned at a section header block (the caller has
 * checked the magic number). Takes @p f (fclose()d by np_pcapng_close()).
 * @return the reader, or NULL with a one-line reason in @p err.
 */
struct np_pcapng *np_pcapng_open(FILE *f, const char *path, char *err, size_t errlen);

/*
 * The next packet. Interface descriptions met on the way are added first.
 * @return 1 with @p p filled, 0 at the end of the file, -1 when the file is
 *         damaged or cannot be read (np_pcapng_error() says why).
 */
int np_pcapng_next(struct np_pcapng *r, struct np_pcapng_pkt *p);

/* Interfaces described so far. */
unsigned int np_pcapng_n_ifaces(const struct np_pcapng *r);
const struct np_pcapng_iface *np_pcapng_iface(const struct np_pcapng *r, unsigned int i);

/* Why np_pcapng_next() returned -1. */
const char *np_pcapng_error(const struct np_pcapng *r);

void np_pcapng_close(struct np_pcapng *r);

#endif /* NP_PCAPNG_H */
