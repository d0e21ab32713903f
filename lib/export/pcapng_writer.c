/* SPDX-License-Identifier: BSD-3-Clause */
/* pcapng blocks for evidence captures (np_pcapng_writer.h). */

#include <errno.h>
#include <string.h>

#include "np_pcapng_writer.h"

#define BT_SHB 0x0a0d0d0au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define OPT_END 0
#define OPT_COMMENT 1
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_DESCRIPTION 3
#define OPT_IF_TSRESOL 9

static uint32_t pad4(uint32_t n)
{
	return (n + 3u) & ~3u;
}

static size_t text_len(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	return n > NP_PCAPNG_OPT_MAX ? NP_PCAPNG_OPT_MAX : n;
}

/* Bytes an option of @p n value bytes takes (0 for none). */
static uint32_t opt_size(size_t n)
{
	return n > 0 ? 4 + pad4((uint32_t)n) : 0;
}

static void put32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f);
}

static void put16(FILE *f, uint16_t v)
{
	fwrite(&v, 2, 1, f);
}

static void put_pad(FILE *f, uint32_t n)
{
	static const uint8_t zero[4];

	if (pad4(n) > n)
		fwrite(zero, 1, pad4(n) - n, f);
}

static void put_opt(FILE *f, uint16_t code, const void *v, size_t n)
{
	if (n == 0)
		return;
	put16(f, code);
	put16(f, (uint16_t)n);
	fwrite(v, 1, n, f);
	put_pad(f, (uint32_t)n);
}

int np_pcapng_write_shb(FILE *f, const char *userappl)
{
	size_t ua = text_len(userappl);
	uint32_t opts = ua ? opt_size(ua) + 4 : 0;
	uint32_t len = 28 + opts;
	uint64_t section = UINT64_MAX;

	put32(f, BT_SHB);
	put32(f, len);
	put32(f, 0x1a2b3c4d);
	put16(f, 1); /* version 1.0 */
	put16(f, 0);
	fwrite(&section, 8, 1, f);
	if (ua) {
		put_opt(f, OPT_SHB_USERAPPL, userappl, ua);
		put32(f, OPT_END);
	}
	put32(f, len);
	return ferror(f) ? -EIO : 0;
}

int np_pcapng_write_idb(FILE *f, uint16_t linktype, uint32_t snaplen, const char *name,
			const char *descr)
{
	size_t nl = text_len(name), dl = text_len(descr);
	uint8_t tsresol = 9; /* 10^-9: nanoseconds */
	uint32_t opts = opt_size(nl) + opt_size(dl) + opt_size(1) + 4;
	uint32_t len = 20 + opts;

	put32(f, BT_IDB);
	put32(f, len);
	put16(f, linktype);
	put16(f, 0);
	put32(f, snaplen);
	put_opt(f, OPT_IF_NAME, name, nl);
	put_opt(f, OPT_IF_DESCRIPTION, descr, dl);
	put_opt(f, OPT_IF_TSRESOL, &tsresol, 1);
	put32(f, OPT_END);
	put32(f, len);
	return ferror(f) ? -EIO : 0;
}

int np_pcapng_write_epb(FILE *f, uint32_t iface, uint64_t ts_ns, const uint8_t *data,
			uint32_t caplen, uint32_t len, const char *comment)
{
	size_t cl = text_len(comment);
	uint32_t opts = cl ? opt_size(cl) + 4 : 0;
	uint32_t blen;

	if (caplen > len || caplen > UINT32_MAX - 64 - opts)
		return -EINVAL;
	blen = 32 + pad4(caplen) + opts;
	put32(f, BT_EPB);
	put32(f, blen);
	put32(f, iface);
	put32(f, (uint32_t)(ts_ns >> 32));
	put32(f, (uint32_t)ts_ns);
	put32(f, caplen);
	put32(f, len);
	fwrite(data, 1, caplen, f);
	put_pad(f, caplen);
	if (cl) {
		put_opt(f, OPT_COMMENT, comment, cl);
		put32(f, OPT_END);
	}
	put32(f, blen);
	return ferror(f) ? -EIO : 0;
}
