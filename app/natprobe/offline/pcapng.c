/* SPDX-License-Identifier: BSD-3-Clause */
/* pcapng reader (pcapng.h): one block at a time, every length checked. */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng.h"

#define BT_SHB 0x0a0d0d0a
#define BT_IDB 0x00000001
#define BT_OPB 0x00000002 /* obsolete packet block */
#define BT_SPB 0x00000003
#define BT_EPB 0x00000006
#define BOM 0x1a2b3c4d
#define BLOCK_MAX (16u << 20) /* larger than any packet block a capture tool writes */
#define OPT_ENDOFOPT 0
#define OPT_IF_NAME 2
#define OPT_IF_DESCRIPTION 3
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14

struct np_pcapng {
	FILE *f;
	const char *path;
	bool swap;		   /* section in the other byte order */
	unsigned int section_base; /* file index of the section's interface 0 */
	unsigned int n_ifaces, cap_ifaces;
	struct np_pcapng_iface *ifaces;
	uint8_t *buf; /* the block body */
	uint32_t buf_cap;
	uint64_t last_ts_ns; /* for simple packet blocks, which have none */
	uint64_t blocks;
	char error[200];
};

static uint16_t rd16(const struct np_pcapng *r, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return r->swap ? __builtin_bswap16(v) : v;
}

static uint32_t rd32(const struct np_pcapng *r, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return r->swap ? __builtin_bswap32(v) : v;
}

static uint64_t rd64(const struct np_pcapng *r, const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return r->swap ? __builtin_bswap64(v) : v;
}

static int fail(struct np_pcapng *r, const char *fmt, const char *what, unsigned long v)
{
	char msg[120];

	snprintf(msg, sizeof(msg), fmt, what, v);
	snprintf(r->error, sizeof(r->error), "damaged pcapng (block %lu): %s",
		 (unsigned long)r->blocks + 1, msg);
	return -1;
}

/* Read exactly @p n bytes. @return 1, 0 at a clean end (nothing read), -1. */
static int read_n(struct np_pcapng *r, void *p, size_t n, bool end_ok)
{
	size_t got = fread(p, 1, n, r->f);

	if (got == n)
		return 1;
	if (ferror(r->f)) {
		snprintf(r->error, sizeof(r->error), "read error: %s", strerror(errno));
		return -1;
	}
	if (got == 0 && end_ok)
		return 0;
	return fail(r, "%s (%lu bytes missing)", "file ends inside a block",
		    (unsigned long)(n - got));
}

/* Value of one if_tsresol byte turned into "ticks to ns" by ts_to_ns(). */
static uint64_t ts_to_ns(uint64_t ts, uint8_t resol)
{
	static const uint64_t p10[] = { 1ull,	      10ull,	    100ull,	1000ull,
					10000ull,     100000ull,    1000000ull, 10000000ull,
					100000000ull, 1000000000ull };
	unsigned int e = resol & 0x7f;

	if (resol & 0x80) { /* 2^-e seconds */
		unsigned __int128 v = (unsigned __int128)ts * 1000000000u;

		return e >= 127 ? 0 : (uint64_t)(v >> e);
	}
	if (e <= 9)
		return ts * p10[9 - e];
	if (e - 9 <= 9)
		return ts / p10[e - 9];
	return 0;
}

static void copy_opt_str(char *dst, const uint8_t *v, uint16_t n)
{
	size_t k = n < NP_PCAPNG_NAME_MAX - 1 ? n : NP_PCAPNG_NAME_MAX - 1;

	memcpy(dst, v, k);
	dst[k] = '\0';
	dst[strnlen(dst, k)] = '\0'; /* some writers include the NUL */
}

static int add_iface(struct np_pcapng *r, const uint8_t *b, uint32_t n)
{
	struct np_pcapng_iface *ifc;
	uint32_t o = 8;

	if (n < 8)
		return fail(r, "%s of %lu bytes", "interface description", n);
	if (r->n_ifaces == r->cap_ifaces) {
		unsigned int cap = r->cap_ifaces ? 2 * r->cap_ifaces : 8;
		struct np_pcapng_iface *ni = realloc(r->ifaces, cap * sizeof(*ni));

		if (ni == NULL) {
			snprintf(r->error, sizeof(r->error), "out of memory");
			return -1;
		}
		r->ifaces = ni;
		r->cap_ifaces = cap;
	}
	ifc = &r->ifaces[r->n_ifaces];
	memset(ifc, 0, sizeof(*ifc));
	ifc->linktype = rd16(r, b);
	ifc->snaplen = rd32(r, b + 4);
	ifc->tsresol = 6;
	while (o + 4 <= n) {
		uint16_t code = rd16(r, b + o), len = rd16(r, b + o + 2);
		uint32_t padded = ((uint32_t)len + 3) & ~3u;

		o += 4;
		if (code == OPT_ENDOFOPT)
			break;
		if (padded > n - o)
			return fail(r, "%s %lu runs past its block", "interface option", code);
		if (code == OPT_IF_NAME)
			copy_opt_str(ifc->name, b + o, len);
		else if (code == OPT_IF_DESCRIPTION)
			copy_opt_str(ifc->descr, b + o, len);
		else if (code == OPT_IF_TSRESOL && len >= 1)
			ifc->tsresol = b[o];
		else if (code == OPT_IF_TSOFFSET && len >= 8)
			ifc->tsoffset = (int64_t)rd64(r, b + o);
		o += padded;
	}
	r->n_ifaces++;
	return 0;
}

static uint64_t pkt_ts(const struct np_pcapng *r, unsigned int iface, uint32_t hi, uint32_t lo)
{
	const struct np_pcapng_iface *ifc = &r->ifaces[iface];
	uint64_t ns = ts_to_ns((uint64_t)hi << 32 | lo, ifc->tsresol);

	return ns + (uint64_t)(ifc->tsoffset * 1000000000ll);
}

/* A packet block's body @p b (@p n bytes). @return 1 (a packet), -1. */
static int packet(struct np_pcapng *r, uint32_t type, const uint8_t *b, uint32_t n,
		  struct np_pcapng_pkt *p)
{
	unsigned int local;
	uint32_t hdr, caplen, len;

	if (type == BT_SPB) {
		if (n < 4)
			return fail(r, "%s of %lu bytes", "simple packet block", n);
		local = 0;
		len = rd32(r, b);
		caplen = n - 4 < len ? n - 4 : len;
		hdr = 4;
	} else {
		hdr = 20;
		if (n < hdr)
			return fail(r, "%s of %lu bytes", "packet block", n);
		local = type == BT_EPB ? rd32(r, b) : rd16(r, b);
		caplen = rd32(r, b + 12);
		len = rd32(r, b + 16);
		if (caplen > n - hdr)
			return fail(r, "%s (%lu bytes) runs past its block", "captured length",
				    caplen);
	}
	if (r->section_base + local >= r->n_ifaces || local >= r->n_ifaces)
		return fail(r, "%s %lu, which no interface description block describes",
			    "a packet of interface", local);
	p->iface = r->section_base + local;
	if (type == BT_SPB) {
		uint32_t snap = r->ifaces[p->iface].snaplen;

		if (snap != 0 && caplen > snap)
			caplen = snap;
		p->ts_ns = r->last_ts_ns;
	} else {
		p->ts_ns = pkt_ts(r, p->iface, rd32(r, b + 4), rd32(r, b + 8));
		r->last_ts_ns = p->ts_ns;
	}
	p->caplen = caplen;
	p->len = len < caplen ? caplen : len;
	p->data = b + hdr;
	return 1;
}

/* Read one block's header and body into r->buf. @return 1, 0 at the end, -1. */
static int read_block(struct np_pcapng *r, uint32_t *type, uint32_t *body_len)
{
	uint8_t h[12];
	uint32_t tlen, skip = 8, trail;
	int rc = read_n(r, h, 8, true);

	if (rc <= 0)
		return rc;
	memcpy(type, h, 4);
	if (*type == BT_SHB) { /* the same in both byte orders */
		uint32_t bom;

		if (read_n(r, h + 8, 4, false) < 0)
			return -1;
		memcpy(&bom, h + 8, 4);
		if (bom == BOM)
			r->swap = false;
		else if (bom == __builtin_bswap32(BOM))
			r->swap = true;
		else
			return fail(r, "%s 0x%08lx", "section header with byte-order magic", bom);
		skip = 12;
	} else {
		*type = rd32(r, h);
	}
	tlen = rd32(r, h + 4);
	if (tlen < skip + 4 || tlen % 4 != 0 || tlen > BLOCK_MAX)
		return fail(r, "%s %lu", "block total length", tlen);
	*body_len = tlen - skip - 4;
	if (*body_len + 4 > r->buf_cap) {
		uint32_t cap = *body_len + 4 < 65536 ? 65536 : *body_len + 4;
		uint8_t *nb = realloc(r->buf, cap);

		if (nb == NULL) {
			snprintf(r->error, sizeof(r->error), "out of memory");
			return -1;
		}
		r->buf = nb;
		r->buf_cap = cap;
	}
	if (read_n(r, r->buf, *body_len + 4, false) < 0)
		return -1;
	trail = rd32(r, r->buf + *body_len);
	if (trail != tlen)
		return fail(r, "%s %lu", "trailing block length differs:", trail);
	r->blocks++;
	return 1;
}

int np_pcapng_next(struct np_pcapng *r, struct np_pcapng_pkt *p)
{
	for (;;) {
		uint32_t type, n;
		int rc = read_block(r, &type, &n);

		if (rc <= 0)
			return rc;
		switch (type) {
		case BT_SHB:
			/* b: major, minor, section length; a new set of interfaces */
			if (n < 12 || rd16(r, r->buf) != 1)
				return fail(r, "%s %lu", "section header of major version",
					    n < 12 ? 0 : rd16(r, r->buf));
			r->section_base = r->n_ifaces;
			break;
		case BT_IDB:
			if (add_iface(r, r->buf, n) < 0)
				return -1;
			break;
		case BT_EPB:
		case BT_SPB:
		case BT_OPB:
			return packet(r, type, r->buf, n, p);
		default:
			break; /* NRB, ISB, DSB, custom, ...: nothing natprobe needs */
		}
	}
}

struct np_pcapng *np_pcapng_open(FILE *f, const char *path, char *err, size_t errlen)
{
	struct np_pcapng *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		fclose(f);
		return NULL;
	}
	r->f = f;
	r->path = path;
	return r;
}

unsigned int np_pcapng_n_ifaces(const struct np_pcapng *r)
{
	return r->n_ifaces;
}

const struct np_pcapng_iface *np_pcapng_iface(const struct np_pcapng *r, unsigned int i)
{
	return i < r->n_ifaces ? &r->ifaces[i] : NULL;
}

const char *np_pcapng_error(const struct np_pcapng *r)
{
	return r->error;
}

void np_pcapng_close(struct np_pcapng *r)
{
	if (r == NULL)
		return;
	if (r->f != NULL)
		fclose(r->f);
	free(r->ifaces);
	free(r->buf);
	free(r);
}
