/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_EVIDENCE_FILE_H
#define NP_EVIDENCE_FILE_H

#include <stddef.h>

#include "np_app.h"
#include "np_evidence.h"

/*
 * Write evidence set @p s to @p path as pcapng: a new file (O_EXCL,
 * O_NOFOLLOW, mode 0640, given to @p owner when set and running as root),
 * removed again if writing fails. @return 0, or -errno with one line in @p err.
 */
int np_evidence_file_write(const char *path, const struct np_evidence_set *s,
			   const struct np_record_names *names, const struct np_file_owner *owner,
			   char *err, size_t errlen);

#endif /* NP_EVIDENCE_FILE_H */
