/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_CLI_H
#define NP_CLI_H

/*
 * The natprobe program, above its three parts: the subcommands (main.c,
 * cmd_*.c), the log (log.c), versions (version.c) and the files opened as
 * root (files.c). No DPDK type here: the offline drivers (offline/,
 * np_offline.h) include this header and nothing of the live probe (live/,
 * np_live.h) or of its observers (observe/, np_observe.h).
 *
 *   main.c, cmd_*.c  -> live/, observe/, offline/ -> this header
 *   observe/         -> live/  (reads struct np_app; live/ calls it only
 *                               through struct np_observer)
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "np_conf.h"

#define NP_DIM(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes of every subcommand. */
#define NP_EXIT_OK 0
#define NP_EXIT_FAIL 1	   /* a runtime failure after start, or one another start may not meet */
#define NP_EXIT_USAGE 2	   /* bad command line, config, input or startup */
#define NP_EXIT_FINDINGS 3 /* analyze --fail-on: the analysis ran and found what was asked */

/* Set by natprobe run's signal handlers (cmd_run.c) only; every loop polls them. */
extern volatile bool np_force_quit;
/* Set by SIGHUP: reopen export.records_file (log rotation). */
extern volatile bool np_reopen_records;
/* Set by SIGUSR1: print the counters on stdout now. */
extern volatile bool np_print_counters;

/* version.c: natprobe's version and the library versions it runs with. */
struct np_versions {
	char natprobe[32];
	char dpdk[32];
	char hyperscan[64];
	char libpcap[64];
	char libcyaml[32];
};
void np_versions_get(struct np_versions *v);
void np_versions_print(FILE *f); /* natprobe --version */

/* files.c: files opened as root */
struct np_file_owner {
	bool set; /* give a file natprobe creates to uid/gid (security.user) */
	unsigned int uid;
	unsigned int gid;
};
/*
 * Open @p path to append (export.records_file): O_NOFOLLOW, O_EXCL when
 * creating (mode 0640, given to @p owner when set and running as root);
 * refuses anything but a regular file with one link owned by root, us or
 * @p owner. @return fd, or -errno with one line in @p err.
 */
int np_open_output(const char *path, const struct np_file_owner *owner, char *err, size_t errlen);
/*
 * A file natprobe just created (@p fd at @p path) given to @p owner when set and
 * running as root. @return 0, or -errno with one line in @p err, @p fd closed
 * and the file removed.
 */
int np_file_give(int fd, const char *path, const struct np_file_owner *owner, char *err,
		 size_t errlen);
/*
 * evidence_file.c: write evidence set @p s (lib/export np_evidence.h) to
 * @p path as pcapng, for `run` and `analyze --evidence`: a new file
 * (O_EXCL, O_NOFOLLOW, mode 0640, given to @p owner when set and running as
 * root), removed again if writing fails. @return 0, or -errno with one line
 * in @p err.
 */
struct np_evidence_set;
struct np_record_names;
int np_evidence_file_write(const char *path, const struct np_evidence_set *s,
			   const struct np_record_names *names, const struct np_file_owner *owner,
			   char *err, size_t errlen);
/* What np_open_output() would refuse that can be seen now (a link, a FIFO, no directory). */
int np_output_check(const char *path, char *err, size_t errlen);
/*
 * Is @p path (and the directory holding it; for a directory, every file in
 * it) writable only by root or the user running natprobe? @p what names it
 * in the error. @return 0, or -EPERM/-errno with one line in @p err.
 */
int np_file_trusted(const char *path, const char *what, char *err, size_t errlen);
/* The config and every EAL -d plugin (eal.extra_args, @p cli after --), by np_file_trusted(). */
int np_run_inputs_trusted(const char *conf_path, const struct np_conf *c, int n_cli, char **cli,
			  char *err, size_t errlen);

/*
 * cmd_run.c: what `run` checks after loading the config and before starting
 * DPDK (lcores exist, config and -d plugins trusted), also run by
 * check-config. Errors printed. @return 0 or -errno.
 */
int np_run_check_conf(const struct np_conf *c, const char *conf_path, bool allow_unsafe, int n_eal,
		      char **eal);

/* Each subcommand's --help text (the man page is built from natprobe --help). */
extern const char np_run_usage[];
extern const char np_analyze_usage[];
extern const char np_dump_sip_usage[];
extern const char np_check_config_usage[];
extern const char np_list_counters_usage[];

/* subcommand drivers */
int np_cmd_run(int argc, char **argv);
int np_cmd_check_config(int argc, char **argv);
int np_cmd_analyze(int argc, char **argv);
int np_cmd_dump_sip(int argc, char **argv);

/*
 * log.c: every line natprobe writes to stderr, np_err() and rte_log() alike:
 * escaped (no control characters reach a terminal), once (not again through
 * syslog), with a syslog priority prefix ("<3>") when stderr is journald's.
 */
enum np_output {
	NP_OUT_STDOUT,
	NP_OUT_STDERR,
	NP_OUT_MAX
};

/* Read JOURNAL_STREAM: is stderr the journal? Call first thing in main(). */
void np_log_init(void);
/* True when lines carry syslog priority prefixes (stderr is journald's). */
bool np_log_journal(void);
/* After rte_eal_init(): rte_log writes through natprobe's stream, syslog closed. 0 or -errno. */
int np_log_dpdk_start(void);
/* Write @p len bytes of text as log lines at syslog priority @p prio (LOG_ERR ...). */
void np_log_text(int prio, const char *text, size_t len);
/* Count a failed write (EPIPE, ENOSPC, ...) to stdout or stderr; the data is lost. */
void np_output_failed(enum np_output out);
/* Writes counted by np_output_failed(). */
uint64_t np_output_failures(enum np_output out);

/* np_conf_load()'s errors, one np_err() line each. */
void np_conf_print_errors(const char *err);

/* Print "natprobe: ..." as one line on stderr (log.c). */
void np_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* NP_CLI_H */
