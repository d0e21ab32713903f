/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_OFFLINE_H
#define NP_OFFLINE_H

/*
 * The offline pipeline shared by `analyze` and `dump-sip`: inputs read in
 * time order, every frame through the same parser, decapsulator and
 * inspector the workers use. Single-threaded, no EAL.
 *
 * Inputs are given as [SEG=]FILE[#SELECTOR] (docs/offline.md):
 * - FILE is a pcap or pcapng file, a FIFO, "-" (standard input), gzip or
 *   zstd compressed, or an Expressway diagnostic log; a FILE with * ? or [
 *   that names no file is expanded as a glob. Each file is opened once; the
 *   arguments that name the same file share it.
 * - SEG names the segment. Without it the segment is named after the file
 *   (its name up to the first dot, less a rotation suffix), or, for a pcapng
 *   file of several interfaces, after each interface.
 * - SELECTOR picks a part of the file: a pcapng interface (its index or
 *   name) or a tunnel (vni=N, erspan=N, gre=N; np_conf_parse_tunnel()).
 * Segments are numbered in the order they are met; a tunnel met while
 * reading may add one (up to NP_OFFLINE_MAX_SEGMENTS), so the correlator
 * and the record writer are given every slot of segment_ptr.
 */

#include <pcap/pcap.h>

#include "capture.h"
#include "np_hep_tcp.h"
#include "np_inspect.h"
#include "np_conf.h"
#include "np_correlate.h"
#include "np_evidence.h"
#include "np_record.h"
#include "np_tunnel.h"

#define NP_OFFLINE_MAX_SEGMENTS NP_DET_MAX_SEGMENTS
#define NP_OFFLINE_HEP_CONNS 4096 /* connections learned from HEP messages */

struct np_offline_input;
struct np_offline_map;
struct np_offline_seg;

struct np_offline {
	struct np_conf conf;
	/* the arguments, one map each, and the files they name */
	unsigned int n_maps, cap_maps;
	struct np_offline_map *maps;
	unsigned int n_inputs, cap_inputs;
	struct np_offline_input *inputs;
	/* segments: names (the correlator reads them through segment_ptr) */
	unsigned int n_segments;
	char segment_name[NP_OFFLINE_MAX_SEGMENTS][NP_NAME_MAX + 1];
	const char *segment_ptr[NP_OFFLINE_MAX_SEGMENTS];
	struct np_offline_seg *seg; /* NP_OFFLINE_MAX_SEGMENTS entries */
	/* input options */
	int ip_checksum;	 /* enum np_ip_checksum; -1: the config's */
	uint64_t from_ns, to_ns; /* --from / --to, 0 when not given */
	struct bpf_program filter;
	bool have_filter;
	const char *filter_text;
	/* the pipeline */
	struct np_capture cap;
	struct np_det_inspect_sink sink;
	struct np_sip_db *db;
	struct np_det_inspect *ins;
	struct np_nat_xlat *xlat; /* shared with the correlator, as on the live path */
	struct np_hist *hist;	  /* evidence history the inspector fills; NULL: none */
	uint8_t *inner;		  /* decapsulated IP packets get an Ethernet header here */
	unsigned int *cap_input;  /* capture number -> input number */
	/* what was read */
	uint64_t frames; /* frames inspected */
	uint64_t bytes;
	uint64_t frame_class[NP_PKT_CLASS_MAX];
	uint64_t first_ns, last_ns;
	uint64_t csum_zero, csum_bad;	       /* IPv4 header checksums that failed, inspected */
	uint64_t before_from, after_to;	       /* outside --from / --to */
	uint64_t filtered;		       /* not matching --filter */
	uint64_t tunnel[NP_PKT_ENCAP_MAX];     /* frames decapsulated */
	uint64_t tunnel_bad[NP_PKT_ENCAP_MAX]; /* tunnel headers not understood */
	uint64_t seg_full;		       /* tunnel frames past NP_OFFLINE_MAX_SEGMENTS */
	uint64_t hep_frames;		       /* frames to conf.hep.port read as HEP */
	uint64_t hep_frames_back;	       /* TCP frames from it (the collector's) */
	struct np_hep_input_stats hep;	       /* what they held */
	struct np_hep_tcp *hep_tcp;	       /* HEP over TCP: the connections followed */
	struct np_offline_input *hep_in;       /* the input of the frame being read */
	/* a reason to stop (exit 2): set by np_offline_run() */
	bool failed;
	char fail_msg[512];
};

/*
 * Add an input "[SEG=]FILE[#SELECTOR]". @return 0, or -1 with a reason in
 * @p err (bad segment name or selector, a glob matching nothing).
 */
int np_offline_add_input(struct np_offline *o, const char *arg, char *err, size_t errlen);

/* getopt_long() entries of the input options (np_offline_getopt), and their codes. */
enum {
	NP_OFFLINE_OPT_FIRST = 0x1000,
	NP_OFFLINE_OPT_CSUM = NP_OFFLINE_OPT_FIRST,
	NP_OFFLINE_OPT_FROM,
	NP_OFFLINE_OPT_TO,
	NP_OFFLINE_OPT_FILTER,
	NP_OFFLINE_OPT_LAST = NP_OFFLINE_OPT_FILTER,
};
#define NP_OFFLINE_LONG_OPTIONS                                           \
	{ "ip-checksum", required_argument, NULL, NP_OFFLINE_OPT_CSUM },  \
		{ "from", required_argument, NULL, NP_OFFLINE_OPT_FROM }, \
		{ "to", required_argument, NULL, NP_OFFLINE_OPT_TO },     \
	{                                                                 \
		"filter", required_argument, NULL, NP_OFFLINE_OPT_FILTER  \
	}
#define NP_OFFLINE_USAGE "--ip-checksum auto|yes|no] [--from TIME] [--to TIME] [--filter EXPR"

/* The input options and FILE arguments, for analyze's and dump-sip's --help. */
#define NP_OFFLINE_USAGE_TEXT                                                                \
	"Input options (docs/offline.md):\n"                                                 \
	"      --ip-checksum auto|yes|no\n"                                                  \
	"                           a failing or zero IPv4 header checksum: inspect the\n"   \
	"                           frame anyway and count it (auto, the default), drop\n"   \
	"                           it (yes), do not check (no)\n"                           \
	"      --from TIME          only frames at or after TIME (UTC ISO 8601, or\n"        \
	"                           seconds since the epoch)\n"                              \
	"      --to TIME            only frames before TIME\n"                               \
	"      --filter EXPR        only frames matching a pcap-filter(7) expression\n"      \
	"\n"                                                                                 \
	"FILE is a pcap or pcapng capture (also - for stdin, a FIFO, .gz or .zst) or an\n"   \
	"Expressway log; several files may feed one segment (inside=a.pcap inside=b.pcap,\n" \
	"or a quoted glob) and are merged in time order. PART picks a pcapng interface\n"    \
	"(#eth1, #0) or a tunnel (#vni=100, #erspan=1, #gre=5); a multi-interface pcapng\n"  \
	"given alone gives one segment per interface.\n"

/* np_offline_option() for the getopt code @p code (NP_OFFLINE_OPT_*). */
int np_offline_getopt(struct np_offline *o, int code, const char *value, char *err, size_t errlen);

/*
 * Input options shared by analyze and dump-sip: @p name is "ip-checksum"
 * (auto|yes|no), "from", "to" (ISO 8601 UTC time or seconds since the
 * epoch), "filter" (a pcap-filter(7) expression). @return 0, or -1 with a
 * one-line reason in @p err.
 */
int np_offline_option(struct np_offline *o, const char *name, const char *value, char *err,
		      size_t errlen);

/*
 * Open every input, name the segments, and build the inspector reporting to
 * @p sink. @return 0, or -1 with a one-line reason in @p err ("FILE: not a
 * pcap, pcapng or Expressway diagnostic log", unreadable, a pcapng file of
 * several interfaces given one SEG=, a selector that selects nothing, ...).
 */
int np_offline_open(struct np_offline *o, const struct np_det_inspect_sink *sink, char *err,
		    size_t errlen);

/*
 * Run every frame through the inspector, calling @p tick (if not NULL) now
 * and then with the capture time. Stops early, with o->failed and
 * o->fail_msg set, when two inputs of one segment turn out to be two wires.
 * @return frames inspected.
 */
uint64_t np_offline_run(struct np_offline *o, void (*tick)(void *ctx, uint64_t now_ns), void *ctx);

/*
 * Warnings and notes about the inputs (damaged captures, skipped frames,
 * interfaces or tunnels that could not be told apart, checksum offloading,
 * log lines not understood) on stderr, one line each.
 */
void np_offline_warnings(const struct np_offline *o);

/*
 * The "== Read" lines of the analyze report: each input and segment with
 * what it gave, the time span, checksums, tunnels, time window and filter.
 */
void np_offline_report_read(const struct np_offline *o, FILE *f);

/* The name of input @p i (0..n_inputs-1) as messages give it: its path, "standard input". */
const char *np_offline_input_name(const struct np_offline *o, unsigned int i);

void np_offline_close(struct np_offline *o);

/* ---- evidence.c -------------------------------------------------------- */

/*
 * `analyze --evidence DIR` and `analyze --html FILE`: the offline reader's
 * inspector fills an evidence history (the same mechanism, and the same
 * size, evidence.history_frames, as each worker of `run`); every incident's
 * frames are gathered when the incident is written, written to
 * DIR/incident-ID.pcapng, and drawn in the HTML page at the end.
 */

struct np_aev {
	const char *dir;  /* --evidence; NULL: no captures */
	const char *html; /* --html; NULL: no page */
	struct np_hist *hist;
	struct np_evidence *ev;
	const struct np_record_names *names;
	size_t n_sets, cap_sets;
	struct np_evidence_set *sets; /* one per incident, in the order written */
	char (*paths)[4200];	      /* their capture files ("" when not written) */
	uint64_t lost;		      /* cited frames no longer in the history */
	unsigned int errors;	      /* captures that could not be written */
};

/* Any of --evidence / --html given? */
static inline bool np_aev_on(const struct np_aev *x)
{
	return x->dir != NULL || x->html != NULL;
}

/*
 * Check DIR (an existing directory) and the HTML file's directory, make the
 * history and give it to @p o (before np_offline_open()). @return 0, or -1
 * with one line in @p err.
 */
int np_aev_start(struct np_aev *x, struct np_offline *o, const struct np_record_names *names,
		 char *err, size_t errlen);

/* Each record, as written: an incident gets its frames gathered and its capture written. */
void np_aev_record(struct np_aev *x, const struct np_det_record *r);

/*
 * The page: @p verdict (the report's first line), every record, the inputs.
 * Written to a new file in the page's directory, then renamed over the
 * path (never through a link, never a partial page). @return 0, or -1
 * with one line in @p err.
 */
int np_aev_write_html(struct np_aev *x, struct np_offline *o, const char *verdict,
		      const struct np_det_record *recs, size_t n_recs, char *err, size_t errlen);

void np_aev_free(struct np_aev *x);

#endif /* NP_OFFLINE_H */
