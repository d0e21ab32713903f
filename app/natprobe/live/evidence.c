/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Evidence captures of `natprobe run` (docs/records.md, "Evidence
 * captures"). Each worker's inspector copies the frames it acts on into a
 * history of its own (np_history.h: the worker never waits, locks or calls
 * the system); when the correlator writes an incident, the control thread
 * reads the histories, picks the incident's frames (np_evidence.h) and
 * writes them to EVIDENCE_DIR/incident-START-ID.pcapng.
 *
 * Inputs: frame references name a port's rx queue. A port polled on one
 * queue is named after the port; a port of several (RSS) queues has one
 * input per queue, "PORT/qN", each with its own frame numbers.
 */

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <rte_log.h>
#include <rte_malloc.h>

#include "np_live.h"
#include "np_evidence.h"
#include "np_history.h"

static int np_logtype = -1;

static int logtype(void)
{
	if (np_logtype < 0)
		np_logtype =
			rte_log_register_type_and_pick_level("natprobe.evidence", RTE_LOG_NOTICE);
	return np_logtype;
}

bool np_evidence_live_on(const struct np_conf *c)
{
	return c->evidence.history_frames > 0 &&
	       (c->evidence.dir[0] != '\0' || c->export.records_file[0] != '\0');
}

/* evidence.dir, or the directory of export.records_file. */
static void dir_of(const struct np_conf *c, char *out, size_t len)
{
	char tmp[PATH_MAX];

	if (c->evidence.dir[0] != '\0') {
		snprintf(out, len, "%s", c->evidence.dir);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s", c->export.records_file);
	snprintf(out, len, "%s", dirname(tmp));
}

int np_evidence_check_conf(const struct np_conf *c, char *err, size_t errlen)
{
	struct stat st;

	if (!np_evidence_live_on(c) || c->evidence.dir[0] == '\0')
		return 0; /* beside the records file: export.records_file is checked */
	if (lstat(c->evidence.dir, &st) != 0) {
		snprintf(err, errlen, "evidence.dir: '%s': %s", c->evidence.dir, strerror(errno));
		return -errno;
	}
	if (S_ISLNK(st.st_mode)) {
		snprintf(err, errlen,
			 "evidence.dir: '%s' is a symbolic link; natprobe does not "
			 "follow links for files it writes: give the directory's real path",
			 c->evidence.dir);
		return -ELOOP;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "evidence.dir: '%s' is not a directory", c->evidence.dir);
		return -ENOTDIR;
	}
	return 0;
}

int np_evidence_worker_init(struct np_app *app, struct np_worker *w, int socket)
{
	const struct np_conf *c = &app->conf;

	w->hist = NULL;
	if (!np_evidence_live_on(c))
		return 0;
	w->hist = np_hist_create(c->evidence.history_frames, c->evidence.snaplen, np_socket_alloc,
				 np_socket_free, (void *)(intptr_t)socket);
	if (w->hist == NULL) {
		np_err("cannot allocate worker %u's evidence history (%u frames of %u bytes, %zu "
		       "KiB): out of DPDK memory (evidence.history_frames, evidence.snaplen, "
		       "eal.memory_mb)",
		       w->id, c->evidence.history_frames, c->evidence.snaplen,
		       np_hist_mem_need(c->evidence.history_frames, c->evidence.snaplen) / 1024);
		return -ENOMEM;
	}
	return 0;
}

void np_evidence_worker_free(struct np_worker *w)
{
	np_hist_destroy(w->hist);
	w->hist = NULL;
}

/* Number every (port, rx queue) and name it; frame references carry the number. */
static int name_inputs(struct np_app *app)
{
	unsigned int total = 0, k = 0;

	for (unsigned int i = 0; i < app->n_workers; i++)
		total += app->workers[i]->n_rxq;
	app->input_name = calloc(total ? total : 1, sizeof(*app->input_name));
	app->input_ptr = calloc(total ? total : 1, sizeof(*app->input_ptr));
	if (app->input_name == NULL || app->input_ptr == NULL) {
		np_err("out of memory naming the inputs");
		return -ENOMEM;
	}
	for (unsigned int p = 0; p < app->conf.n_ports; p++) {
		unsigned int queues = 0;

		for (unsigned int i = 0; i < app->n_workers; i++)
			for (unsigned int q = 0; q < app->workers[i]->n_rxq; q++)
				queues += app->workers[i]->rxq[q].port == p;
		/* queue order, whichever worker polls it */
		for (unsigned int want = 0; want < 65536 && queues > 0; want++)
			for (unsigned int i = 0; i < app->n_workers; i++)
				for (unsigned int q = 0; q < app->workers[i]->n_rxq; q++) {
					struct np_rxq *r = &app->workers[i]->rxq[q];

					if (r->port != p || r->queue != want)
						continue;
					r->input = (uint16_t)k;
					if (queues == 1)
						snprintf(app->input_name[k],
							 sizeof(app->input_name[0]), "%s",
							 app->conf.ports[p].name);
					else
						snprintf(app->input_name[k],
							 sizeof(app->input_name[0]), "%s/q%u",
							 app->conf.ports[p].name, want);
					app->input_ptr[k] = app->input_name[k];
					k++;
					queues--;
				}
	}
	app->n_inputs = k;
	app->names.n_inputs = k;
	app->names.inputs = app->input_ptr;
	return 0;
}

/*
 * Captures are created after the privileges are dropped: say at start when
 * security.user cannot create files in the directory (mode bits only).
 */
static void warn_unwritable(const struct np_app *app)
{
	const struct np_conf *c = &app->conf;
	struct stat st;

	if (c->security.user[0] == '\0' || c->security.uid == 0 ||
	    stat(app->evidence_dir, &st) != 0)
		return;
	if ((st.st_uid == c->security.uid && (st.st_mode & S_IWUSR)) ||
	    (st.st_gid == c->security.gid && (st.st_mode & S_IWGRP)) || (st.st_mode & S_IWOTH))
		return;
	np_err("warning: evidence captures: '%s' is not writable by security.user %s; "
	       "incidents' captures will fail (give the directory to that user, or set "
	       "evidence.dir)",
	       app->evidence_dir, c->security.user);
}

int np_evidence_live_start(struct np_app *app)
{
	const struct np_conf *c = &app->conf;
	time_t t = (time_t)app->process.start_time_s;
	struct tm tm;

	if (name_inputs(app) < 0)
		return -ENOMEM;
	if (!np_evidence_live_on(c))
		return 0;
	app->evidence = np_evidence_create();
	if (app->evidence == NULL) {
		np_err("out of memory for evidence captures");
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < app->n_workers; i++)
		np_evidence_add_history(app->evidence, app->workers[i]->hist);
	dir_of(c, app->evidence_dir, sizeof(app->evidence_dir));
	warn_unwritable(app);
	gmtime_r(&t, &tm);
	strftime(app->evidence_stamp, sizeof(app->evidence_stamp), "%Y%m%dT%H%M%SZ", &tm);
	return 0;
}

void np_evidence_live_record(struct np_app *app, const struct np_det_record *r)
{
	const struct np_conf *c = &app->conf;
	struct np_file_owner owner = {
		.set = c->security.user[0] != '\0',
		.uid = c->security.uid,
		.gid = c->security.gid,
	};
	struct np_evidence_set set;
	char path[sizeof(app->evidence_dir) + 64], err[sizeof(path) + 256];
	uint64_t *ctr = app->control_stats.evidence;
	int rc;

	if (app->evidence == NULL)
		return;
	np_evidence_note(app->evidence, r);
	if (r->kind != NP_DET_KIND_INCIDENT)
		return;
	if (np_evidence_collect(app->evidence, r, &app->names, &set) < 0) {
		ctr[NP_EVD_FILE_ERRORS]++;
		rte_log(RTE_LOG_ERR, logtype(),
			"natprobe: evidence of incident %u: out of memory\n", r->id);
		return;
	}
	ctr[NP_EVD_FRAMES_LOST] += set.lost;
	snprintf(path, sizeof(path), "%s/incident-%s-%u.pcapng", app->evidence_dir,
		 app->evidence_stamp, r->id);
	rc = np_evidence_file_write(path, &set, &app->names, &owner, err, sizeof(err));
	if (rc < 0) {
		ctr[NP_EVD_FILE_ERRORS]++;
		rte_log(RTE_LOG_ERR, logtype(), "natprobe: evidence of incident %u: %s\n", r->id,
			err);
	} else {
		ctr[NP_EVD_FILES]++;
		rte_log(RTE_LOG_NOTICE, logtype(),
			"natprobe: incident %u: %zu frames written to %s%s\n", r->id, set.n, path,
			set.lost ? " (some cited frames had left the history: "
				   "natprobe_evidence_frames_lost_total)"
				 : "");
	}
	np_evidence_set_free(&set);
}

void np_evidence_live_counters(struct np_app *app)
{
	uint64_t *ctr = app->control_stats.evidence;

	ctr[NP_EVD_HISTORY_FRAMES] = 0;
	ctr[NP_EVD_FRAMES_CUT] = 0;
	ctr[NP_EVD_HISTORY_BYTES] = 0;
	for (unsigned int i = 0; i < app->n_workers; i++) {
		const struct np_hist *h = app->workers[i] ? app->workers[i]->hist : NULL;

		if (h == NULL)
			continue;
		ctr[NP_EVD_HISTORY_FRAMES] += np_hist_stats(h)->kept;
		ctr[NP_EVD_FRAMES_CUT] += np_hist_stats(h)->cut;
		ctr[NP_EVD_HISTORY_BYTES] += np_hist_mem_need(np_hist_slots(h), np_hist_snaplen(h));
	}
}

void np_evidence_live_stop(struct np_app *app)
{
	np_evidence_destroy(app->evidence);
	app->evidence = NULL;
	free(app->input_name);
	free(app->input_ptr);
	app->input_name = NULL;
	app->input_ptr = NULL;
	app->names.n_inputs = 0;
	app->names.inputs = NULL;
}
