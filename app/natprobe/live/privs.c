/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Privileges after start-up (security.user / security.group).
 *
 * DPDK needs root, or a long list of capabilities, to start: hugepage
 * files, /dev/vfio, physical addresses (/proc/self/pagemap), raw sockets,
 * interrupts. Once the ports run, the files are open and the sockets bound,
 * natprobe needs none of it: it polls memory-mapped queues and writes to
 * descriptors it holds. So, when security.user is set:
 *
 * - before EAL starts a thread, the capability bounding set is emptied and
 *   no_new_privs is set, so every thread (EAL's own included) inherits
 *   both: nothing natprobe runs can regain a capability through execve;
 * - after the ports started (records file open, /metrics and telemetry
 *   sockets listening, workers not yet launched), supplementary groups are
 *   dropped, the gid and uid become the configured ones, and the permitted,
 *   effective, inheritable and ambient sets are emptied (libcap-ng).
 *   glibc applies the uid change to every thread of the process, and the
 *   kernel empties a thread's capabilities when its uids leave 0, so no
 *   thread keeps one.
 *
 * docs/deploy.md lists what keeps working and what cannot afterwards.
 *
 * libcap-ng is loaded with dlopen() only when security.user is set, not
 * linked: a library with thread-local storage in the initial set takes
 * static TLS space that DPDK's plugins (loaded later by EAL) then lack, and
 * their TLS accesses go the slow way; measured, linking libcap-ng cost
 * forwarding 10-15 % (docs/performance.md).
 */

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cap-ng.h>
#include <rte_log.h>

#include "np_live.h"

static int np_logtype = -1;

static int logtype(void)
{
	if (np_logtype < 0)
		np_logtype = rte_log_register_type_and_pick_level("natprobe.privs", RTE_LOG_NOTICE);
	return np_logtype;
}

static bool wanted(const struct np_app *app)
{
	return app->conf.security.user[0] != '\0';
}

/* The libcap-ng functions used, resolved by load_capng(). */
static struct {
	__typeof__(capng_get_caps_process) *get_caps_process;
	__typeof__(capng_have_capability) *have_capability;
	__typeof__(capng_have_capabilities) *have_capabilities;
	__typeof__(capng_clear) *clear;
	__typeof__(capng_apply) *apply;
	__typeof__(capng_change_id) *change_id;
} capng;

static int load_capng(void)
{
	void *h;

	if (capng.change_id != NULL)
		return 0;
	h = dlopen("libcap-ng.so.0", RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		np_err("security.user: cannot load libcap-ng (libcap-ng0): %s", dlerror());
		return -ENOENT;
	}
	capng.get_caps_process =
		(__typeof__(capng.get_caps_process))dlsym(h, "capng_get_caps_process");
	capng.have_capability =
		(__typeof__(capng.have_capability))dlsym(h, "capng_have_capability");
	capng.have_capabilities =
		(__typeof__(capng.have_capabilities))dlsym(h, "capng_have_capabilities");
	capng.clear = (__typeof__(capng.clear))dlsym(h, "capng_clear");
	capng.apply = (__typeof__(capng.apply))dlsym(h, "capng_apply");
	capng.change_id = (__typeof__(capng.change_id))dlsym(h, "capng_change_id");
	if (capng.get_caps_process == NULL || capng.have_capability == NULL ||
	    capng.have_capabilities == NULL || capng.clear == NULL || capng.apply == NULL ||
	    capng.change_id == NULL) {
		np_err("security.user: libcap-ng lacks a function natprobe needs");
		memset(&capng, 0, sizeof(capng));
		dlclose(h);
		return -ENOENT;
	}
	return 0; /* kept loaded for the drop after start-up */
}

int np_privs_prepare(struct np_app *app)
{
	const struct np_conf *c = &app->conf;

	if (!wanted(app))
		return 0;
	if (geteuid() != 0 && (getuid() != c->security.uid || getgid() != c->security.gid)) {
		np_err("security.user: natprobe runs as uid %u, not root: it cannot become '%s' "
		       "(uid %u, gid %u); start it as root, or leave security.user \"\"",
		       (unsigned int)geteuid(), c->security.user, c->security.uid, c->security.gid);
		return -EPERM;
	}
	if (load_capng() < 0)
		return -ENOENT;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		int err = errno;

		np_err("security.user: cannot set no_new_privs: %s", strerror(err));
		return -err;
	}
	if (capng.get_caps_process() != 0) {
		np_err("security.user: cannot read the process capabilities");
		return -EPERM;
	}
	/* Only a process holding CAP_SETPCAP can shrink the bounding set. */
	if (capng.have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP)) {
		capng.clear(CAPNG_SELECT_BOUNDS);
		if (capng.apply(CAPNG_SELECT_BOUNDS) != 0) {
			np_err("security.user: cannot empty the capability bounding set");
			return -EPERM;
		}
	}
	return 0;
}

int np_privs_drop(struct np_app *app)
{
	const struct np_conf *c = &app->conf;
	int ret;

	if (!wanted(app)) {
		rte_log(RTE_LOG_NOTICE, logtype(),
			"natprobe: security.user not set: keeping uid %u, gid %u and their "
			"capabilities\n",
			(unsigned int)geteuid(), (unsigned int)getegid());
		return 0;
	}
	if (capng.get_caps_process() != 0) {
		np_err("security.user: cannot read the process capabilities");
		return -EPERM;
	}
	capng.clear(CAPNG_SELECT_ALL);
	if (geteuid() == 0 || getuid() != c->security.uid || getgid() != c->security.gid)
		ret = capng.change_id((int)c->security.uid, (int)c->security.gid,
				      CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING |
					      CAPNG_CLEAR_AMBIENT);
	else
		ret = capng.apply(CAPNG_SELECT_ALL); /* already that user: shed what is left */
	if (ret != 0) {
		np_err("security.user: cannot switch to user '%s' (uid %u) and group %u: %s "
		       "(libcap-ng %d)",
		       c->security.user, c->security.uid, c->security.gid, strerror(errno), ret);
		return -EPERM;
	}
	if (geteuid() != c->security.uid || getegid() != c->security.gid ||
	    capng.get_caps_process() != 0 ||
	    capng.have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
		np_err("security.user: still uid %u, gid %u or capabilities after switching to "
		       "'%s'",
		       (unsigned int)geteuid(), (unsigned int)getegid(), c->security.user);
		return -EPERM;
	}
	rte_log(RTE_LOG_NOTICE, logtype(),
		"natprobe: running as user %s (uid %u), gid %u, no supplementary groups, no "
		"capabilities\n",
		c->security.user, c->security.uid, c->security.gid);
	return 0;
}
