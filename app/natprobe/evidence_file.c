/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An evidence capture on disk, for `run` and `analyze --evidence`: created
 * new (O_EXCL: never over an existing file, never through a link, mode
 * 0640, given to security.user like the records file), written whole, and
 * removed again when writing failed, so a file that exists is complete.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "np_cli.h"
#include "np_evidence.h"

int np_evidence_file_write(const char *path, const struct np_evidence_set *s,
			   const struct np_record_names *names, const struct np_file_owner *owner,
			   char *err, size_t errlen)
{
	int fd =
		open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0640);
	char userappl[64];
	FILE *f;
	int e;

	if (fd < 0) {
		e = errno;
		if (e == EEXIST)
			snprintf(err, errlen,
				 "'%s' exists already; natprobe writes an evidence "
				 "capture only as a new file",
				 path);
		else
			snprintf(err, errlen, "cannot create '%s': %s", path, strerror(e));
		return -e;
	}
	if ((e = np_file_give(fd, path, owner, err, errlen)) < 0)
		return e;
	fcntl(fd, F_SETFL, O_WRONLY); /* a regular file we made: blocking writes */
	f = fdopen(fd, "w");
	if (f == NULL) {
		e = errno;
		close(fd);
		unlink(path);
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(e));
		return -e;
	}
	snprintf(userappl, sizeof(userappl), "natprobe %s", NP_VERSION);
	errno = 0;
	e = np_evidence_write_pcapng(f, s, names, userappl);
	if (fflush(f) != 0 || e != 0) {
		e = errno ? errno : EIO;
		fclose(f);
		unlink(path);
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(e));
		return -e;
	}
	if (fclose(f) != 0) {
		e = errno;
		unlink(path);
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(e));
		return -e;
	}
	return 0;
}
