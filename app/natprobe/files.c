/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Files natprobe reads or writes as root, opened so that an unprivileged
 * user cannot turn that into root's access:
 *
 * - np_open_output(): the file natprobe appends to (export.records_file; it
 *   writes no pid file; evidence captures are created new, O_EXCL, by
 *   evidence_file.c) is opened with O_NOFOLLOW, created with
 *   O_EXCL, must be a regular file with one link, owned by root, the user
 *   natprobe runs as or security.user; when root creates it for
 *   security.user, it is given to that user. O_NONBLOCK during the open: a
 *   FIFO put in its place fails at once (ENXIO, or refused after fstat)
 *   instead of blocking start-up until a reader comes.
 * - np_file_trusted(): what `run` executes in effect (the config: EAL
 *   arguments, vdev paths; an EAL -d plugin) must be writable only by root or
 *   the user running natprobe, and so must the directory holding it.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "np_cli.h"

static const char *kind_of(mode_t m)
{
	return S_ISFIFO(m)   ? "a FIFO"
	       : S_ISSOCK(m) ? "a socket"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
	       : S_ISDIR(m)  ? "a directory"
			     : "not a regular file";
}

int np_file_give(int fd, const char *path, const struct np_file_owner *owner, char *err,
		 size_t errlen)
{
	int e;

	if (owner == NULL || !owner->set || geteuid() != 0 ||
	    fchown(fd, owner->uid, owner->gid) == 0)
		return 0;
	e = errno;
	snprintf(err, errlen, "cannot give '%s' to uid %u gid %u: %s", path, owner->uid, owner->gid,
		 strerror(e));
	close(fd);
	unlink(path);
	return -e;
}

int np_open_output(const char *path, const struct np_file_owner *owner, char *err, size_t errlen)
{
	const int flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
	bool created = true;
	struct stat st;
	int fd, e;

	fd = open(path, flags | O_CREAT | O_EXCL, 0640);
	if (fd < 0 && errno == EEXIST) {
		created = false;
		fd = open(path, flags);
	}
	if (fd < 0) {
		e = errno;
		if (e == ELOOP)
			snprintf(err, errlen,
				 "'%s' is a symbolic link; natprobe does not follow links "
				 "for files it writes: give the file's real path",
				 path);
		else if (e == ENXIO)
			snprintf(err, errlen, "'%s' is a FIFO or socket, not a regular file", path);
		else
			snprintf(err, errlen, "cannot open '%s': %s", path, strerror(e));
		return -e;
	}
	if (fstat(fd, &st) != 0) {
		e = errno;
		snprintf(err, errlen, "cannot stat '%s': %s", path, strerror(e));
		close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "'%s' is %s, not a regular file", path, kind_of(st.st_mode));
		close(fd);
		return -EINVAL;
	}
	if (st.st_nlink != 1) {
		snprintf(err, errlen,
			 "'%s' has %lu hard links; natprobe writes only a file with one "
			 "name",
			 path, (unsigned long)st.st_nlink);
		close(fd);
		return -EPERM;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid() &&
	    !(owner != NULL && owner->set && st.st_uid == owner->uid)) {
		snprintf(err, errlen,
			 "'%s' is owned by uid %u, not by root, the user natprobe runs "
			 "as (uid %u) or security.user",
			 path, (unsigned int)st.st_uid, (unsigned int)geteuid());
		close(fd);
		return -EPERM;
	}
	if (created && (e = np_file_give(fd, path, owner, err, errlen)) < 0)
		return e;
	fcntl(fd, F_SETFL, O_WRONLY | O_APPEND); /* blocking again: a regular file */
	return fd;
}

int np_output_check(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct stat st;

	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode)) {
			snprintf(err, errlen,
				 "'%s' is a symbolic link; natprobe does not follow "
				 "links for files it writes: give the file's real path",
				 path);
			return -ELOOP;
		}
		if (!S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "'%s' is %s, not a regular file", path,
				 kind_of(st.st_mode));
			return -EINVAL;
		}
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if (errno == ENOENT && stat(dirname(dir), &st) != 0) {
		int e = errno;

		snprintf(err, errlen, "cannot create '%s': directory '%s': %s", path, dir,
			 strerror(e));
		return -e;
	}
	return 0;
}

/* Writable by someone else than root and us? Then say how in @p why. */
static bool unsafe(const struct stat *st, bool dir, char *why, size_t len)
{
	uid_t me = geteuid();

	if (st->st_uid != 0 && st->st_uid != me) {
		snprintf(why, len, "is owned by uid %u (mode %04o)", (unsigned int)st->st_uid,
			 (unsigned int)(st->st_mode & 07777));
		return true;
	}
	/* a sticky directory (/tmp) lets others add files, not replace ours */
	if (dir && (st->st_mode & S_ISVTX))
		return false;
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, len, "is writable by %s (mode %04o)",
			 (st->st_mode & S_IWOTH) ? "every user" : "its group",
			 (unsigned int)(st->st_mode & 07777));
		return true;
	}
	return false;
}

static int check_one(const char *path, bool want_dir, const char *what, const char *shown,
		     char *err, size_t errlen)
{
	char why[96];
	struct stat st;

	if (stat(path, &st) != 0) {
		int e = errno;

		snprintf(err, errlen, "%s: cannot stat '%s': %s", what, path, strerror(e));
		return -e;
	}
	if (unsafe(&st, want_dir || S_ISDIR(st.st_mode), why, sizeof(why))) {
		snprintf(err, errlen,
			 "%s: %s'%s' %s: natprobe runs it as root, so it must be "
			 "writable only by root or uid %u (chmod go-w, chown), or pass "
			 "--allow-unsafe-config",
			 what, shown, path, why, (unsigned int)geteuid());
		return -EPERM;
	}
	return 0;
}

int np_file_trusted(const char *path, const char *what, char *err, size_t errlen)
{
	char real[PATH_MAX], dir[PATH_MAX];
	struct stat st;
	int ret;

	if (realpath(path, real) == NULL) {
		int e = errno;

		snprintf(err, errlen, "%s: cannot resolve '%s': %s", what, path, strerror(e));
		return -e;
	}
	/* the directory the name is in (a link there can be swapped), then the file's own */
	snprintf(dir, sizeof(dir), "%s", path);
	ret = check_one(dirname(dir), true, what, "the directory ", err, errlen);
	if (ret == 0) {
		snprintf(dir, sizeof(dir), "%s", real);
		ret = check_one(dirname(dir), true, what, "the directory ", err, errlen);
	}
	if (ret == 0)
		ret = check_one(real, false, what, "", err, errlen);
	if (ret != 0 || stat(real, &st) != 0 || !S_ISDIR(st.st_mode))
		return ret;
	/* a plugin directory: EAL loads every file in it */
	{
		DIR *d = opendir(real);
		struct dirent *de;

		if (d == NULL)
			return 0;
		while (ret == 0 && (de = readdir(d)) != NULL) {
			char p[PATH_MAX + 256];

			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", real, de->d_name);
			ret = check_one(p, false, what, "", err, errlen);
		}
		closedir(d);
	}
	return ret;
}

/* The path given to each -d in @p args (-d PATH or -dPATH). */
static int check_eal_plugins(unsigned int n, char *const *args, const char *what, char *err,
			     size_t errlen)
{
	for (unsigned int i = 0; i < n; i++) {
		const char *p = NULL;

		if (strcmp(args[i], "-d") == 0 && i + 1 < n)
			p = args[++i];
		else if (strncmp(args[i], "-d", 2) == 0 && args[i][2] != '\0' && args[i][1] != '-')
			p = args[i] + 2;
		if (p != NULL) {
			int ret = np_file_trusted(p, what, err, errlen);

			if (ret != 0)
				return ret;
		}
	}
	return 0;
}

int np_run_inputs_trusted(const char *conf_path, const struct np_conf *c, int n_cli, char **cli,
			  char *err, size_t errlen)
{
	char *extra[NP_MAX_EXTRA_ARGS];
	int ret = np_file_trusted(conf_path, "config", err, errlen);

	for (unsigned int i = 0; i < c->eal.n_extra_args; i++)
		extra[i] = (char *)(uintptr_t)c->eal.extra_args[i];
	if (ret == 0)
		ret = check_eal_plugins(c->eal.n_extra_args, extra, "eal.extra_args -d", err,
					errlen);
	if (ret == 0 && n_cli > 0)
		ret = check_eal_plugins((unsigned int)n_cli, cli, "EAL argument -d", err, errlen);
	return ret;
}
