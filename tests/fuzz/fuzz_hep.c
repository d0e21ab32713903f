/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/pkt's HEP decoder (np_hep_wire.h). The input is
 * decoded as one datagram, then read as a TCP stream: framed by
 * np_hep_frame(), decoded packet by packet, resynchronised with
 * np_hep_resync() where it is out of step. Besides the sanitizers' checks,
 * it aborts when a result breaks the contract: a decoded packet whose
 * payload or node name lies outside the input, a length used that is not
 * the packet's, an unknown reason, a stream that does not advance.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "np_hep_wire.h"

static void check(const uint8_t *buf, size_t len, int rc, const struct np_hep_msg *m, size_t used)
{
	if (rc < 0 || rc >= NP_HEP_E_MAX)
		abort();
	if (rc != NP_HEP_OK)
		return;
	if (used == 0 || used > len)
		abort();
	if (m->payload < buf || m->payload + m->payload_len > buf + used)
		abort();
	if (m->node_name != NULL &&
	    (m->node_name < buf || m->node_name + m->node_name_len > buf + used))
		abort();
	if (m->version != 2 && m->version != 3)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np_hep_msg m;
	size_t used, off = 0;
	int rc;

	rc = np_hep_decode(data, size, true, &m, &used);
	check(data, size, rc, &m, used);

	while (off < size) {
		long f = np_hep_frame(data + off, size - off);

		if (f == 0)
			break; /* waits for more bytes */
		if (f < 0) {
			size_t skip = np_hep_resync(data + off, size - off);

			if (skip == 0)
				abort();
			off += skip;
			continue;
		}
		if ((size_t)f > size - off)
			break; /* the rest has not arrived */
		rc = np_hep_decode(data + off, (size_t)f, false, &m, &used);
		check(data + off, (size_t)f, rc, &m, used);
		if (rc == NP_HEP_OK && used != (size_t)f)
			abort();
		off += (size_t)f;
	}
	return 0;
}
