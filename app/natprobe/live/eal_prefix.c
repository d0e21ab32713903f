/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two DPDK primary processes with one file prefix: EAL's own answer is
 * "Cannot init config (Success)". Before EAL starts, natprobe looks at the
 * lock a primary holds on its runtime config file (<runtime dir>/<prefix>/config,
 * locked with fcntl(F_SETLK) for as long as it runs) and names the prefix and
 * the process that holds it.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "np_live.h"

/* The prefix EAL will use: the last --file-prefix given, else @p prefix. NULL: no shared config. */
static const char *effective_prefix(const char *prefix, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--in-memory") == 0 || strcmp(argv[i], "--no-shconf") == 0)
			return NULL;
		if (strcmp(argv[i], "--file-prefix") == 0 && i + 1 < argc)
			prefix = argv[++i];
		else if (strncmp(argv[i], "--file-prefix=", 14) == 0)
			prefix = argv[i] + 14;
	}
	return prefix;
}

/* EAL's runtime directory (eal_create_runtime_dir() in DPDK 22.11). */
static void config_path(const char *prefix, char *path, size_t len)
{
	const char *dir = "/var/run";

	if (getuid() != 0) {
		dir = getenv("XDG_RUNTIME_DIR");
		if (dir == NULL)
			dir = "/tmp";
	}
	snprintf(path, len, "%s/dpdk/%s/config", dir, prefix);
}

/* " (pid N, NAME)", " (pid N)", or "" when the holder is not known. */
static void describe_holder(pid_t pid, char *out, size_t len)
{
	char comm_path[64], comm[64] = "";
	FILE *f;

	out[0] = '\0';
	if (pid <= 0)
		return;
	snprintf(comm_path, sizeof(comm_path), "/proc/%d/comm", (int)pid);
	f = fopen(comm_path, "re");
	if (f != NULL) {
		if (fgets(comm, sizeof(comm), f) != NULL)
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	if (comm[0] != '\0')
		snprintf(out, len, " (pid %d, %s)", (int)pid, comm);
	else
		snprintf(out, len, " (pid %d)", (int)pid);
}

int np_eal_prefix_check(const char *prefix, int argc, char **argv)
{
	struct flock lk;
	char path[4200], holder[96];
	int fd;

	prefix = effective_prefix(prefix, argc, argv);
	if (prefix == NULL)
		return 0;
	config_path(prefix, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* no such file: nobody runs with this prefix */
	memset(&lk, 0, sizeof(lk));
	lk.l_type = F_RDLCK; /* the primary's write lock conflicts with it */
	lk.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &lk) != 0 || lk.l_type == F_UNLCK) {
		close(fd);
		return 0;
	}
	close(fd);
	describe_holder(lk.l_pid, holder, sizeof(holder));
	np_err("eal.file_prefix: another DPDK process%s already runs with the file prefix '%s' "
	       "(it holds %s); stop it, or give this natprobe its own eal.file_prefix",
	       holder, prefix, path);
	return -EBUSY;
}
