/* SPDX-License-Identifier: BSD-3-Clause */
/* natprobe run -c FILE: the live probe. */

#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "np_live.h"
#include "np_observe.h"

volatile bool np_force_quit;
volatile bool np_reopen_records;
volatile bool np_print_counters;

/* Only flags: the control loop acts on them. */
static void on_signal(int sig)
{
	if (sig == SIGHUP)
		np_reopen_records = true;
	else if (sig == SIGUSR1)
		np_print_counters = true;
	else
		np_force_quit = true;
}

/*
 * No signal an operator or a pipe can send ends the probe unasked (an inline
 * probe that dies takes the link down):
 *   SIGINT, SIGTERM  stop (workers stop, rings drain, counters printed)
 *   SIGHUP           reopen export.records_file (log rotation; ExecReload)
 *   SIGUSR1          print the counters on stdout now
 *   SIGUSR2          ignored (reserved)
 *   SIGPIPE          ignored: a write to a pipe whose reader is gone fails
 *                    with EPIPE and is counted (natprobe_output_write_failures_total)
 * SA_RESTART: DPDK's own threads (telemetry's accept(), the interrupt
 * thread) must not see EINTR. Start-up never blocks on a file that someone
 * else controls (configs and records are opened O_NONBLOCK and must be
 * regular files), and each start-up step checks for a stop request.
 */
static void install_signals(void)
{
	static const int stop_or_flag[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1 };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_signal;
	for (size_t i = 0; i < RTE_DIM(stop_or_flag); i++)
		sigaction(stop_or_flag[i], &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
}

const char np_run_usage[] =
	"Usage: natprobe run -c FILE [OPTIONS] [-- EAL-ARGS...]\n"
	"Run the live probe (inline or passive segments) from a YAML config. EAL\n"
	"settings come from the config; arguments after -- are added to them.\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE        the config (config/natprobe.yaml documents every key)\n"
	"      --duration SEC       stop after SEC seconds\n"
	"      --idle-exit SEC      stop once no frame has arrived for SEC seconds\n"
	"                           (replaying captures through net_pcap ports)\n"
	"      --allow-unsafe-config\n"
	"                           start even when the config, its directory or an EAL -d\n"
	"                           plugin is writable by a user other than root or the\n"
	"                           one running natprobe (refused by default)\n"
	"  -h, --help               this text\n"
	"\n"
	"Counters are printed on exit (Prometheus text format), every\n"
	"export.stats_interval_s seconds when set, and on SIGUSR1. Signals: SIGINT and\n"
	"SIGTERM stop it; SIGHUP reopens export.records_file; SIGUSR2 and SIGPIPE are\n"
	"ignored. Under systemd (Type=notify) it reports READY=1 once forwarding and\n"
	"feeds the watchdog (WatchdogSec=) while every worker makes progress.\n";

static int parse_seconds(const char *opt, const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || end == s || !(v > 0) || v > 1e7) {
		np_err("run: %s wants a number of seconds > 0, got '%s'", opt, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_args(struct np_app *app, int argc, char **argv, int *n_eal, char ***eal)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "idle-exit", required_argument, NULL, 'i' },
		{ "allow-unsafe-config", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	opterr = 0;
	optind = 1;
	while ((o = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			app->conf_path = optarg;
			break;
		case 'd':
			if (parse_seconds("--duration", optarg, &app->duration_s) < 0)
				return -EINVAL;
			break;
		case 'i':
			if (parse_seconds("--idle-exit", optarg, &app->idle_exit_s) < 0)
				return -EINVAL;
			break;
		case 'u':
			app->allow_unsafe = true;
			break;
		case 'h':
			fputs(np_run_usage, stdout);
			return 1;
		default:
			np_err("run: unknown or incomplete option '%s'; see natprobe --help",
			       argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (app->conf_path == NULL) {
		np_err("run: -c FILE is required; see natprobe --help");
		return -EINVAL;
	}
	/* getopt stops at "--" (consumed) or the first non-option. */
	if (optind < argc && strcmp(argv[optind - 1], "--") != 0) {
		np_err("run: unexpected argument '%s'; EAL arguments go after --", argv[optind]);
		return -EINVAL;
	}
	*n_eal = argc - optind;
	*eal = argv + optind;
	return 0;
}

/*
 * Lcore ids are CPU ids (EAL -l): check they exist and we may run on them
 * before EAL does, so the error names the config field.
 */
static int check_lcores(const struct np_conf *c)
{
	cpu_set_t cpus;

	if (sched_getaffinity(0, sizeof(cpus), &cpus) != 0)
		return 0; /* cannot tell: let EAL decide */
	if (!CPU_ISSET(c->eal.main_lcore, &cpus)) {
		np_err("eal.main_lcore: CPU %u is not available to natprobe on this machine (%d "
		       "CPUs usable)",
		       c->eal.main_lcore, CPU_COUNT(&cpus));
		return -EINVAL;
	}
	for (unsigned int i = 0; i < c->eal.n_workers; i++)
		if (!CPU_ISSET(c->eal.worker_lcores[i], &cpus)) {
			np_err("eal.worker_lcores[%u]: CPU %u is not available to natprobe on this "
			       "machine (%d CPUs usable)",
			       i, c->eal.worker_lcores[i], CPU_COUNT(&cpus));
			return -EINVAL;
		}
	return 0;
}

int np_run_check_conf(const struct np_conf *c, const char *conf_path, bool allow_unsafe, int n_eal,
		      char **eal)
{
	char err[1024];

	if (check_lcores(c) < 0)
		return -EINVAL;
	if (c->export.records_file[0] != '\0' &&
	    np_output_check(c->export.records_file, err, sizeof(err)) != 0) {
		np_err("export.records_file: %s", err);
		return -EINVAL;
	}
	if (np_evidence_check_conf(c, err, sizeof(err)) != 0) {
		np_err("%s", err);
		return -EINVAL;
	}
	if (np_run_inputs_trusted(conf_path, c, n_eal, eal, err, sizeof(err)) != 0) {
		if (!allow_unsafe) {
			np_err("%s", err);
			return -EPERM;
		}
		np_err("warning: %s; starting anyway (--allow-unsafe-config)", err);
	}
	return 0;
}

static void release(struct np_app *app)
{
	np_ports_close(app);
	np_workers_free(app);
	rte_mempool_free(app->pool);
	app->pool = NULL;
	rte_mempool_free(app->big_pool);
	app->big_pool = NULL;
	np_control_fini(app);
}

int np_cmd_run(int argc, char **argv)
{
	static struct np_app app; /* large; one per process */
	struct timespec t0;
	char err[NP_CONF_ERR_MAX];
	char **eal_args = NULL;
	int n_eal = 0;
	int ret;

	memset(&app, 0, sizeof(app));
	clock_gettime(CLOCK_REALTIME, &t0);
	app.process.start_time_s = (double)t0.tv_sec + (double)t0.tv_nsec / 1e9;
	/* first: a signal during start-up (a slow config read) stops it, never kills it */
	install_signals();
	ret = parse_args(&app, argc, argv, &n_eal, &eal_args);
	if (ret != 0)
		return ret > 0 ? NP_EXIT_OK : NP_EXIT_USAGE;
	if (np_conf_load(app.conf_path, &app.conf, err, sizeof(err)) < 0) {
		np_conf_print_errors(err);
		return np_force_quit ? NP_EXIT_OK : NP_EXIT_USAGE;
	}
	if (np_run_check_conf(&app.conf, app.conf_path, app.allow_unsafe, n_eal, eal_args) < 0) {
		np_conf_free(&app.conf);
		return NP_EXIT_USAGE;
	}
	if (np_force_quit || np_privs_prepare(&app) < 0 ||
	    (ret = np_eal_init(&app, n_eal, eal_args)) < 0) {
		np_conf_free(&app.conf);
		/* -EAGAIN: a start failure that another start may not meet (systemd restarts on 1)
		 */
		return np_force_quit ? NP_EXIT_OK : ret == -EAGAIN ? NP_EXIT_FAIL : NP_EXIT_USAGE;
	}
	/* the observers start in this order, and stop in the reverse */
	if (np_observer_add(&app, &np_hep_observer) < 0 ||
	    np_observer_add(&app, &np_metrics_observer) < 0 ||
	    np_observer_add(&app, &np_telemetry_observer) < 0) {
		rte_eal_cleanup();
		np_conf_free(&app.conf);
		return NP_EXIT_USAGE;
	}
	if (np_force_quit || np_notify_init() < 0 || np_control_init(&app) < 0 ||
	    np_workers_create(&app) < 0 || np_ports_init(&app) < 0 ||
	    np_evidence_live_start(&app) < 0 || np_privs_drop(&app) < 0) {
		bool stopped = np_force_quit;

		release(&app);
		rte_eal_cleanup();
		np_conf_free(&app.conf);
		return stopped ? NP_EXIT_OK : NP_EXIT_USAGE;
	}
	for (unsigned int i = 0; i < app.n_workers; i++) {
		ret = rte_eal_remote_launch(np_worker_main, app.workers[i], app.workers[i]->lcore);
		if (ret != 0) {
			np_err("cannot launch worker on lcore %u: %s", app.workers[i]->lcore,
			       rte_strerror(-ret));
			np_force_quit = true;
			rte_eal_mp_wait_lcore();
			release(&app);
			rte_eal_cleanup();
			np_conf_free(&app.conf);
			return NP_EXIT_USAGE;
		}
	}
	np_notify_ready(&app);
	ret = np_control_loop(&app); /* < 0: a part of the probe could not start */
	np_notify_stopping();
	np_force_quit = true;
	rte_eal_mp_wait_lcore();
	np_control_drain(&app);
	np_control_print_counters(&app, stdout);
	release(&app);
	rte_eal_cleanup();
	np_conf_free(&app.conf);
	return ret < 0 ? NP_EXIT_FAIL : NP_EXIT_OK;
}
