/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * export.records_file: the records `run` writes, one JSON line each.
 *
 * A record is formatted in memory and appended with one write(2), so a
 * failed write leaves no half record in a stdio buffer to surface in front
 * of the next one; a short write (disk full mid-record) is cut off again
 * with ftruncate(). Every record that does not reach the file is counted in
 * natprobe_records_failed_total; probing and forwarding never wait on it.
 *
 * The file may go away under the probe: rotated (SIGHUP reopens the path),
 * deleted, or its directory removed. Once a second the control loop checks
 * that the file still has a name; when it has none, records are counted
 * failed until the path can be created again (tried once a second).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_log.h>

#include "np_live.h"

#define NP_RECORDS_RETRY_NS 1000000000ull /* open attempts while the file is lost */

static int np_logtype = -1;

static int logtype(void)
{
	if (np_logtype < 0)
		np_logtype =
			rte_log_register_type_and_pick_level("natprobe.records", RTE_LOG_NOTICE);
	return np_logtype;
}

static const char *path_of(const struct np_app *app)
{
	return app->conf.export.records_file;
}

/*
 * Append-only, created 0640 (and given to security.user), never through a
 * link, never a FIFO (files.c). @return fd or -errno, @p err says why.
 */
static int open_path(const struct np_app *app, char *err, size_t errlen)
{
	const struct np_conf *c = &app->conf;
	struct np_file_owner owner = {
		.set = c->security.user[0] != '\0',
		.uid = c->security.uid,
		.gid = c->security.gid,
	};

	return np_open_output(path_of(app), &owner, err, errlen);
}

int np_records_open(struct np_app *app)
{
	struct np_records *rf = &app->rec;
	char err[512];
	int fd;

	rf->fd = -1;
	if (path_of(app)[0] == '\0')
		return 0;
	fd = open_path(app, err, sizeof(err));
	if (fd < 0) {
		np_err("export.records_file: %s", err);
		return fd;
	}
	rf->mem = open_memstream(&rf->buf, &rf->size);
	if (rf->mem == NULL) {
		close(fd);
		np_err("export.records_file: out of memory");
		return -ENOMEM;
	}
	rf->fd = fd;
	return 0;
}

void np_records_close(struct np_app *app)
{
	struct np_records *rf = &app->rec;

	if (rf->mem == NULL) /* never opened: fd is not ours */
		return;
	if (rf->fd >= 0)
		close(rf->fd);
	rf->fd = -1;
	fclose(rf->mem);
	rf->mem = NULL;
	free(rf->buf);
	rf->buf = NULL;
}

/* Count one lost record; log when losing starts, not for each record. */
static void lost(struct np_app *app, int err)
{
	struct np_records *rf = &app->rec;

	rf->failed++;
	if (!rf->failing)
		rte_log(RTE_LOG_ERR, logtype(),
			"natprobe: export.records_file: cannot write '%s': %s; records are "
			"counted in natprobe_records_failed_total until it can\n",
			path_of(app), strerror(err));
	rf->failing = true;
}

static void stored(struct np_app *app)
{
	struct np_records *rf = &app->rec;

	rf->written++;
	if (rf->failing)
		rte_log(RTE_LOG_NOTICE, logtype(),
			"natprobe: export.records_file: writing '%s' again (%lu records lost "
			"so far)\n",
			path_of(app), (unsigned long)rf->failed);
	rf->failing = false;
}

void np_records_write(struct np_app *app, const struct np_det_record *r)
{
	struct np_records *rf = &app->rec;
	size_t done = 0;
	off_t before;
	long len;

	if (rf->mem == NULL)
		return;
	rewind(rf->mem);
	if (np_record_write_json(rf->mem, r, &app->names) != 0 || fflush(rf->mem) != 0 ||
	    (len = ftell(rf->mem)) <= 0) {
		lost(app, ENOMEM);
		return;
	}
	if (rf->fd < 0) {
		lost(app, rf->open_errno ? rf->open_errno : ENOENT);
		return;
	}
	before = lseek(rf->fd, 0, SEEK_END);
	while (done < (size_t)len) {
		ssize_t n = write(rf->fd, rf->buf + done, (size_t)len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : ENOSPC;

			/* A partial line would spoil the next record's line too. */
			if (done > 0 && before >= 0 && ftruncate(rf->fd, before) != 0)
				rte_log(RTE_LOG_WARNING, logtype(),
					"natprobe: export.records_file: cannot remove a partial "
					"record from '%s': %s\n",
					path_of(app), strerror(errno));
			lost(app, err);
			return;
		}
		done += (size_t)n;
	}
	stored(app);
}

/* Switch to a fresh descriptor of the path. @return 0 or -errno (old one kept). */
static int reopen(struct np_app *app)
{
	struct np_records *rf = &app->rec;
	char err[512];
	int fd = open_path(app, err, sizeof(err));

	if (fd < 0) {
		/* a link, a FIFO, a foreign owner: say so, once per cause */
		if (fd != -ENOENT && fd != -EACCES && rf->open_errno != -fd)
			rte_log(RTE_LOG_ERR, logtype(), "natprobe: export.records_file: %s\n", err);
		rf->open_errno = -fd;
		return fd;
	}
	if (rf->fd >= 0)
		close(rf->fd);
	rf->fd = fd;
	rf->open_errno = 0;
	return 0;
}

/* True when the open file has no name left (deleted, its directory removed). */
static bool unlinked(const struct np_records *rf)
{
	struct stat st;

	return rf->fd >= 0 && fstat(rf->fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 0;
}

/* Stop writing a file nobody can read any more; records count as failed until a reopen. */
static void let_go(struct np_app *app, const char *why)
{
	struct np_records *rf = &app->rec;

	rte_log(RTE_LOG_ERR, logtype(),
		"natprobe: export.records_file: '%s' %s and cannot be created again: %s; "
		"retrying every second, records are counted in natprobe_records_failed_total\n",
		path_of(app), why, strerror(rf->open_errno));
	close(rf->fd);
	rf->fd = -1;
}

void np_records_reopen(struct np_app *app)
{
	struct np_records *rf = &app->rec;
	int ret;

	if (rf->mem == NULL)
		return;
	ret = reopen(app);
	if (ret == 0) {
		rte_log(RTE_LOG_NOTICE, logtype(), "natprobe: reopened %s\n", path_of(app));
		return;
	}
	rf->reopen_failed++;
	if (unlinked(rf)) {
		let_go(app, "was removed");
		return;
	}
	rte_log(RTE_LOG_ERR, logtype(),
		"natprobe: export.records_file: cannot reopen '%s': %s; %s\n", path_of(app),
		strerror(-ret),
		rf->fd >= 0 ? "still writing the old file"
			    : "records are counted in natprobe_records_failed_total");
}

void np_records_tick(struct np_app *app, uint64_t now_ns)
{
	struct np_records *rf = &app->rec;

	if (rf->mem == NULL || now_ns < rf->next_check_ns)
		return;
	rf->next_check_ns = now_ns + NP_RECORDS_RETRY_NS;
	if (rf->fd >= 0) {
		if (!unlinked(rf))
			return;
		if (reopen(app) == 0) {
			rte_log(RTE_LOG_NOTICE, logtype(),
				"natprobe: export.records_file: '%s' was removed; created it "
				"again\n",
				path_of(app));
			return;
		}
		let_go(app, "was removed");
		return;
	}
	if (reopen(app) == 0)
		rte_log(RTE_LOG_NOTICE, logtype(),
			"natprobe: export.records_file: created '%s' again\n", path_of(app));
}
