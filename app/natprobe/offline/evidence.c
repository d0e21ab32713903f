/* SPDX-License-Identifier: BSD-3-Clause */
/* analyze --evidence DIR and --html FILE (np_offline.h, "evidence.c"). */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "np_cli.h"
#include "np_offline.h"
#include "np_history.h"
#include "np_html.h"

int np_aev_start(struct np_aev *x, struct np_offline *o, const struct np_record_names *names,
		 char *err, size_t errlen)
{
	const struct np_conf *c = &o->conf;
	struct stat st;

	x->names = names;
	if (x->dir != NULL && stat(x->dir, &st) != 0) {
		snprintf(err, errlen, "--evidence '%s': %s", x->dir, strerror(errno));
		return -1;
	}
	if (x->dir != NULL && !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--evidence '%s': not a directory", x->dir);
		return -1;
	}
	if (x->html != NULL) {
		char tmp[PATH_MAX];

		if (x->html[0] == '\0' || (stat(x->html, &st) == 0 && S_ISDIR(st.st_mode))) {
			snprintf(err, errlen, "--html '%s': give a file name, not a directory",
				 x->html);
			return -1;
		}
		snprintf(tmp, sizeof(tmp), "%s", x->html);
		if (stat(dirname(tmp), &st) != 0 || !S_ISDIR(st.st_mode)) {
			snprintf(tmp, sizeof(tmp), "%s", x->html);
			snprintf(err, errlen, "--html '%s': no directory '%s'", x->html,
				 dirname(tmp));
			return -1;
		}
	}
	if (c->evidence.history_frames == 0) {
		snprintf(err, errlen,
			 "--evidence and --html need frames kept: "
			 "evidence.history_frames is 0 in the config");
		return -1;
	}
	x->hist = np_hist_create(c->evidence.history_frames, c->evidence.snaplen, NULL, NULL, NULL);
	x->ev = np_evidence_create();
	if (x->hist == NULL || x->ev == NULL) {
		snprintf(err, errlen,
			 "out of memory for the evidence history (%u frames of %u "
			 "bytes: evidence.history_frames, evidence.snaplen)",
			 c->evidence.history_frames, c->evidence.snaplen);
		return -1;
	}
	np_evidence_add_history(x->ev, x->hist);
	o->hist = x->hist;
	return 0;
}

void np_aev_record(struct np_aev *x, const struct np_det_record *r)
{
	struct np_evidence_set *s;
	char err[PATH_MAX + 256];

	if (x->ev == NULL)
		return;
	np_evidence_note(x->ev, r);
	if (r->kind != NP_DET_KIND_INCIDENT)
		return;
	if (x->n_sets == x->cap_sets) {
		size_t cap = x->cap_sets ? 2 * x->cap_sets : 8;
		struct np_evidence_set *ns = realloc(x->sets, cap * sizeof(*ns));
		char(*np)[4200];

		if (ns == NULL) {
			x->errors++;
			return;
		}
		x->sets = ns;
		np = realloc(x->paths, cap * sizeof(*np));
		if (np == NULL) {
			x->errors++;
			return;
		}
		x->paths = np;
		x->cap_sets = cap;
	}
	s = &x->sets[x->n_sets];
	x->paths[x->n_sets][0] = '\0';
	if (np_evidence_collect(x->ev, r, x->names, s) < 0) {
		np_err("analyze: evidence of incident %u: out of memory", r->id);
		x->errors++;
		return;
	}
	x->n_sets++;
	x->lost += s->lost;
	if (x->dir == NULL)
		return;
	snprintf(x->paths[x->n_sets - 1], sizeof(x->paths[0]), "%s/incident-%u.pcapng", x->dir,
		 r->id);
	if (np_evidence_file_write(x->paths[x->n_sets - 1], s, x->names, NULL, err, sizeof(err)) <
	    0) {
		np_err("analyze: evidence of incident %u: %s", r->id, err);
		x->paths[x->n_sets - 1][0] = '\0';
		x->errors++;
	}
}

int np_aev_write_html(struct np_aev *x, struct np_offline *o, const char *verdict,
		      const struct np_det_record *recs, size_t n_recs, char *err, size_t errlen)
{
	struct np_html_incident *inc = calloc(x->n_sets + 1, sizeof(*inc));
	char inputs[2048] = "", tmp[PATH_MAX];
	struct np_html_report rep;
	size_t n_inc = 0, off = 0;
	FILE *f;
	int fd, rc;

	if (inc == NULL) {
		snprintf(err, errlen, "--html: out of memory");
		return -1;
	}
	for (size_t i = 0; i < n_recs; i++) {
		if (recs[i].kind != NP_DET_KIND_INCIDENT)
			continue;
		inc[n_inc].incident = &recs[i];
		for (size_t k = 0; k < x->n_sets; k++)
			if (x->sets[k].incident == recs[i].id) {
				inc[n_inc].evidence = &x->sets[k];
				inc[n_inc].capture = x->paths[k][0] ? x->paths[k] : NULL;
			}
		if (++n_inc > x->n_sets)
			break;
	}
	for (unsigned int i = 0; i < o->n_inputs && off < sizeof(inputs); i++)
		off += (size_t)snprintf(inputs + off, sizeof(inputs) - off, "%s%s", i ? ", " : "",
					np_offline_input_name(o, i));
	memset(&rep, 0, sizeof(rep));
	rep.verdict = verdict;
	rep.inputs = inputs;
	rep.version = NP_VERSION;
	rep.records = recs;
	rep.n_records = n_recs;
	rep.incidents = inc;
	rep.n_incidents = n_inc;
	rep.names = x->names;
	rep.sip_db = o->db;
	rep.sip_ports = o->conf.sip.ports;
	rep.n_sip_ports = o->conf.sip.n_ports;
	/* A new file beside the target, renamed over it once complete. */
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", x->html);
	fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "--html '%s': cannot create a file there: %s", x->html,
			 strerror(errno));
		free(inc);
		return -1;
	}
	fchmod(fd, 0640);
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		unlink(tmp);
		snprintf(err, errlen, "--html '%s': %s", x->html, strerror(errno));
		free(inc);
		return -1;
	}
	rc = np_html_write(f, &rep);
	if (fflush(f) != 0)
		rc = -EIO;
	if (fclose(f) != 0)
		rc = -EIO;
	free(inc);
	if (rc == 0 && rename(tmp, x->html) != 0)
		rc = -errno;
	if (rc != 0) {
		unlink(tmp);
		snprintf(err, errlen, "--html '%s': cannot write it: %s", x->html,
			 strerror(rc == -EIO ? EIO : -rc));
		return -1;
	}
	return 0;
}

void np_aev_free(struct np_aev *x)
{
	for (size_t i = 0; i < x->n_sets; i++)
		np_evidence_set_free(&x->sets[i]);
	free(x->sets);
	free(x->paths);
	np_evidence_destroy(x->ev);
	np_hist_destroy(x->hist);
	memset(x, 0, sizeof(*x));
}
