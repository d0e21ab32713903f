/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-core micro-benchmark: how many events (SIP summaries and flow
 * events) one control thread's correlator absorbs per second, without the
 * workers, the rings' other side or the NIC.
 *
 *   bench_control [-k COPIES] [-r ROUNDS] [-e 16|64] [-n] [-1] [-p] [SEG=]CAPTURE.pcap...
 *
 * The captures (one segment each, named SEG or after the file; Ethernet
 * pcaps, e.g. the two sides of a tools/gen_scale.py scenario or of the
 * seed) are merged in time order and inspected once, as `natprobe analyze`
 * does (lib/inspect with a correlator publishing into the translation table
 * the inspector reads, so each summary carries the translation marks it
 * would carry live). What the inspector hands to the control side is
 * recorded: flow events, SIP summaries, and the periodic tick (every 1024
 * frames, as analyze). The stream is then repeated COPIES times (default 4),
 * each copy later by the stream's span plus 120 s and with its Call-IDs and
 * branches made distinct, so the tables see COPIES times the dialogs (the
 * flows are the same ones seen again: no new bindings are learned).
 *
 * Each timed round creates a correlator (not timed), its translation table
 * made resident as `run` makes it (-z: as `analyze` leaves it, to become
 * resident at its first entry; every large table a fresh mapping, as at a probe's
 * start), and feeds it the whole
 * stream the way `run`'s control thread drains a worker: each SIP summary
 * packed as the worker puts it on its ring (np_det_sip_pack(), 64-byte
 * slots), enqueued on an rte_ring of the worker's kind before the round
 * (not timed), and in the round dequeued as the control thread does (the
 * first slot, then the rest its head asks for), unpacked, then correlated;
 * flow events straight, each with the next one hinted first when that is a
 * flow event too (np_det_correlator_flow_prefetch(), as control.c does
 * within a burst; -n: no hint). -e BYTES: the ring's element size (16, as `run`
 * creates it, by default; 64 was the element before, which rte_ring copies
 * a 32-bit word at a time). Prints events/s (all, and SIP
 * summaries) of the median and best of ROUNDS (5) rounds, and the records
 * written per round (the same in every round, and the same as the recording
 * pass for COPIES 1: the replay is the analysis). Times are the thread's CPU
 * time (CLOCK_THREAD_CPUTIME_ID): on a shared machine the time the thread
 * waited for a core does not count.
 * -p: correlate each summary where it lies in the stream, without the copy
 * (what the summary's size costs the control core: run with and without).
 * -1: one round, for instruction counts under callgrind:
 *
 *   valgrind --tool=callgrind --toggle-collect=bench_round ./bench_control -1 A=a.pcap B=b.pcap
 */

#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "np_conf.h"
#include "np_correlate.h"
#include "np_inspect.h"
#include "np_pkt.h"

#define BENCH_MAX_INPUTS 8
#define BENCH_MAX_ROUNDS 101u
#define BENCH_TICK_EVERY 1024 /* frames between ticks, as np_offline_run */
#define BENCH_COPY_GAP_NS (120ull * 1000000000ull)
#define BENCH_SLOT 64 /* bytes of a packed summary's slot, as natprobe run (NP_SIP_SLOT) */

enum {
	EV_FLOW,
	EV_SIP,
	EV_TICK
};

struct bench_ev {
	uint8_t type;
	uint32_t idx; /* into flows[] or sips[] */
	uint64_t ts_ns;
};

struct bench_frame {
	uint64_t ts_ns;
	uint32_t input;
	uint32_t len;
	uint64_t no;
	uint8_t *data;
};

struct bench {
	struct bench_frame *frames;
	size_t n_frames, cap_frames;
	struct bench_ev *evs;
	size_t n_evs, cap_evs;
	struct np_flow_event *flows;
	size_t n_flows, cap_flows;
	struct np_det_sip *sips;
	size_t n_sips, cap_sips;
	uint8_t *packed;   /* the summaries as the ring carries them (np_det_sip_pack()) */
	size_t *pk_off;	   /* ... where each starts */
	uint64_t pk_bytes; /* ... bytes in all */
	uint64_t records;
	struct np_det_correlator *corr; /* the recording pass's */
	bool time_ticks;		/* time the ticks apart (bench_round) */
	bool in_place;			/* -p: correlate summaries where they lie, no copy */
	uint8_t *stage;			/* the control thread's copy of a summary's slots */
	struct rte_ring *ring;		/* the summaries' ring, filled before each round */
	unsigned int esize;		/* -e: its element size */
	bool hint;			/* not -n: the next flow event's lines prefetched */
	double tick_s;			/* ... seconds spent in them this round */
	const char *names[NP_DET_MAX_SEGMENTS];
};

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? 2 * *cap : 4096;
	p = realloc(p, *cap * size);
	if (p == NULL) {
		fprintf(stderr, "bench_control: out of memory\n");
		exit(1);
	}
	return p;
}

static void add_ev(struct bench *b, uint8_t type, uint32_t idx, uint64_t ts_ns)
{
	b->evs = grow(b->evs, &b->cap_evs, b->n_evs, sizeof(*b->evs));
	b->evs[b->n_evs++] = (struct bench_ev){ .type = type, .idx = idx, .ts_ns = ts_ns };
}

static void on_flow(void *ctx, const struct np_flow_event *ev)
{
	struct bench *b = ctx;

	b->flows = grow(b->flows, &b->cap_flows, b->n_flows, sizeof(*b->flows));
	b->flows[b->n_flows] = *ev;
	add_ev(b, EV_FLOW, (uint32_t)b->n_flows++, ev->ts_ns);
	np_det_correlator_flow(b->corr, ev);
}

static void on_sip(void *ctx, const struct np_det_sip *s)
{
	struct bench *b = ctx;

	b->sips = grow(b->sips, &b->cap_sips, b->n_sips, sizeof(*b->sips));
	b->sips[b->n_sips] = *s;
	add_ev(b, EV_SIP, (uint32_t)b->n_sips++, s->ts_ns);
	np_det_correlator_sip(b->corr, s);
}

static void on_record(void *ctx, const struct np_det_record *r)
{
	(void)r;
	(*(uint64_t *)ctx)++;
}

static int load(struct bench *b, unsigned int input, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *pkt;
	uint64_t no = 0;
	pcap_t *pc;
	int rc;

	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (pc == NULL) {
		fprintf(stderr, "bench_control: %s: %s\n", path, errbuf);
		return -1;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, "bench_control: %s: not an Ethernet capture\n", path);
		pcap_close(pc);
		return -1;
	}
	while ((rc = pcap_next_ex(pc, &h, &pkt)) == 1) {
		struct bench_frame *f;

		b->frames = grow(b->frames, &b->cap_frames, b->n_frames, sizeof(*b->frames));
		f = &b->frames[b->n_frames++];
		f->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
		f->input = input;
		f->len = h->caplen;
		f->no = ++no;
		f->data = malloc(h->caplen ? h->caplen : 1);
		if (f->data == NULL) {
			fprintf(stderr, "bench_control: out of memory\n");
			exit(1);
		}
		memcpy(f->data, pkt, h->caplen);
	}
	if (rc == -1)
		fprintf(stderr, "bench_control: %s: %s\n", path, pcap_geterr(pc));
	pcap_close(pc);
	return rc == -1 ? -1 : 0;
}

static int cmp_frame(const void *x, const void *y)
{
	const struct bench_frame *a = x, *b = y;

	if (a->ts_ns != b->ts_ns)
		return a->ts_ns < b->ts_ns ? -1 : 1;
	if (a->input != b->input)
		return a->input < b->input ? -1 : 1;
	return a->no < b->no ? -1 : a->no > b->no;
}

/* -z: the translation table left as analyze leaves it (resident from its first entry) */
static bool xlat_lazy;

static struct np_det_correlator *control_new(struct np_det_control *dc, const struct np_conf *conf,
					     unsigned int n_seg, const char *const *names,
					     uint64_t *records)
{
	char err[256];

	if (np_det_control_create(dc, conf, n_seg, names, on_record, records, err, sizeof(err)) <
	    0) {
		fprintf(stderr, "bench_control: %s\n", err);
		exit(1);
	}
	if (!xlat_lazy && np_nat_xlat_make_resident(dc->xlat) < 0) {
		fprintf(stderr, "bench_control: translation table: %s\n", strerror(errno));
		exit(1);
	}
	return dc->corr;
}

/* Inspect every frame once, in time order, recording what reaches the control side. */
static void record_stream(struct bench *b, const struct np_conf *conf, unsigned int n_seg)
{
	struct np_det_inspect_sink sink = { .flow_event = on_flow, .sip = on_sip, .ctx = b };
	struct np_det_inspect_conf ic;
	struct np_det_control dc;
	struct np_det_inspect *ins;
	struct np_sip_db *db;
	uint64_t last_ns = 0;
	char err[256];

	b->corr = control_new(&dc, conf, n_seg, b->names, &b->records);
	db = np_sip_db_create_set(NP_SIP_HDRS_INSPECT, err, sizeof(err));
	if (db == NULL) {
		fprintf(stderr, "bench_control: SIP matcher: %s\n", err);
		exit(1);
	}
	memset(&ic, 0, sizeof(ic));
	ic.flow.size = conf->datapath.flow_table_size;
	ic.flow.reasm_buffers = conf->datapath.tcp_reasm_buffers;
	ic.flow.n_sip_ports = conf->sip.n_ports;
	memcpy(ic.flow.sip_ports, conf->sip.ports, sizeof(uint16_t) * conf->sip.n_ports);
	ic.frag_datagrams = 1024;
	ic.sip_db = db;
	ic.xlat = dc.xlat;
	ins = np_det_inspect_create(&ic, &sink);
	if (ins == NULL) {
		fprintf(stderr, "bench_control: inspector: %s\n", strerror(errno));
		exit(1);
	}
	for (size_t i = 0; i < b->n_frames; i++) {
		const struct bench_frame *f = &b->frames[i];
		struct np_pkt_ref ref = { .frame = f->no,
					  .input = (uint16_t)f->input,
					  .segment = (uint8_t)f->input };
		struct np_pkt_info pi;

		np_pkt_parse(f->data, f->len, &pi);
		if (f->ts_ns > last_ns)
			last_ns = f->ts_ns;
		np_det_inspect_frame_ref(ins, &ref, f->data, f->len, &pi, last_ns);
		if ((i + 1) % BENCH_TICK_EVERY == 0) {
			np_det_inspect_expire(ins, last_ns, UINT32_MAX);
			np_det_correlator_tick(b->corr, last_ns);
			add_ev(b, EV_TICK, 0, last_ns);
		}
	}
	np_det_inspect_expire(ins, last_ns, UINT32_MAX);
	np_det_correlator_tick(b->corr, last_ns);
	add_ev(b, EV_TICK, 0, last_ns);
	np_det_correlator_finish(b->corr, last_ns);
	np_det_inspect_destroy(ins);
	np_sip_db_destroy(db);
	np_det_control_destroy(&dc);
}

/*
 * Copy @p k of a text field (a Call-ID, a branch): the field with "-k" (hex)
 * appended, written at the end of the text. Fields stay within their cut.
 */
static void suffix(struct np_det_sip *s, uint16_t *field, size_t size, unsigned int k)
{
	const char *old = np_det_sip_str(s, *field);
	size_t n = strlen(old);
	char buf[256];

	if (n == 0)
		return;
	if (n + 10 >= size)
		n = size - 10;
	snprintf(buf, sizeof(buf), "%.*s-%x", (int)n, old, k);
	if (s->text_len + strlen(buf) + 1 > sizeof(s->text))
		return; /* no room: this copy shares the dialog */
	*field = s->text_len;
	memcpy(s->text + s->text_len, buf, strlen(buf) + 1);
	s->text_len = (uint16_t)(s->text_len + strlen(buf) + 1);
}

/* The stream COPIES times over, each copy later and with its own dialogs. */
static void expand(struct bench *b, unsigned int copies)
{
	size_t n_evs = b->n_evs;
	uint64_t span = n_evs ? b->evs[n_evs - 1].ts_ns - b->evs[0].ts_ns : 0;

	for (unsigned int k = 1; k < copies; k++) {
		uint64_t shift = k * (span + BENCH_COPY_GAP_NS);

		for (size_t i = 0; i < n_evs; i++) {
			struct bench_ev e = b->evs[i];

			e.ts_ns += shift;
			if (e.type == EV_FLOW) {
				struct np_flow_event fe = b->flows[e.idx];

				fe.ts_ns += shift;
				b->flows = grow(b->flows, &b->cap_flows, b->n_flows,
						sizeof(*b->flows));
				b->flows[b->n_flows] = fe;
				e.idx = (uint32_t)b->n_flows++;
			} else if (e.type == EV_SIP) {
				struct np_det_sip *s;

				b->sips = grow(b->sips, &b->cap_sips, b->n_sips, sizeof(*b->sips));
				s = &b->sips[b->n_sips];
				*s = b->sips[e.idx];
				s->ts_ns += shift;
				suffix(s, &s->call_id, NP_DET_CALLID_LEN, k);
				suffix(s, &s->branch, NP_DET_BRANCH_LEN, k);
				e.idx = (uint32_t)b->n_sips++;
			}
			b->evs = grow(b->evs, &b->cap_evs, b->n_evs, sizeof(*b->evs));
			b->evs[b->n_evs++] = e;
		}
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Each summary packed as the worker puts it on the ring, in 64-byte slots. */
static void pack_all(struct bench *b)
{
	uint64_t off = 0;

	b->pk_off = malloc(b->n_sips * sizeof(*b->pk_off));
	b->packed = aligned_alloc(64, b->n_sips * ((sizeof(struct np_det_sip) + 63) & ~(size_t)63));
	if (b->pk_off == NULL || b->packed == NULL) {
		fprintf(stderr, "bench_control: out of memory\n");
		exit(1);
	}
	b->pk_bytes = 0;
	for (size_t i = 0; i < b->n_sips; i++) {
		size_t len = np_det_sip_pack(&b->sips[i], b->packed + off);

		b->pk_off[i] = off;
		b->pk_bytes += len;
		off += (len + 63) & ~(size_t)63;
	}
}

/* The ring, large enough for every summary of a round: filled by ring_fill(). */
static void ring_new(struct bench *b)
{
	uint64_t elems = 1;
	ssize_t size;

	for (size_t i = 0; i < b->n_sips; i++)
		elems += (np_det_sip_packed_len(
				  (const struct np_det_sip *)(b->packed + b->pk_off[i])) +
			  BENCH_SLOT - 1) /
			 BENCH_SLOT * (BENCH_SLOT / b->esize);
	elems = rte_align64pow2(elems);
	size = rte_ring_get_memsize_elem(b->esize, (unsigned int)elems);
	b->ring = size > 0 ? aligned_alloc(64, ((size_t)size + 63) & ~(size_t)63) : NULL;
	if (elems > RTE_RING_SZ_MASK || b->ring == NULL ||
	    rte_ring_init(b->ring, "bench_control", (unsigned int)elems,
			  RING_F_SP_ENQ | RING_F_SC_DEQ) != 0) {
		fprintf(stderr, "bench_control: cannot make a ring of %" PRIu64 " elements\n",
			elems);
		exit(1);
	}
}

/* Every summary of the stream onto the ring, in the stream's order, as a worker enqueues it. */
static void ring_fill(struct bench *b)
{
	rte_ring_reset(b->ring);
	for (size_t i = 0; i < b->n_evs; i++) {
		const uint8_t *pk;
		unsigned int n;

		if (b->evs[i].type != EV_SIP)
			continue;
		pk = b->packed + b->pk_off[b->evs[i].idx];
		n = (unsigned int)((np_det_sip_packed_len((const struct np_det_sip *)pk) +
				    BENCH_SLOT - 1) /
				   BENCH_SLOT * (BENCH_SLOT / b->esize));
		if (rte_ring_sp_enqueue_bulk_elem(b->ring, pk, b->esize, n, NULL) != n) {
			fprintf(stderr, "bench_control: the ring is full\n");
			exit(1);
		}
	}
}

/* One pass of the whole stream through @p c, as the control thread drains a worker. */
__attribute__((noinline)) uint64_t bench_round(struct bench *b, struct np_det_correlator *c,
					       struct np_det_sip *burst);
__attribute__((noinline)) uint64_t bench_round(struct bench *b, struct np_det_correlator *c,
					       struct np_det_sip *burst)
{
	uint64_t last = 0;
	size_t i = 0;

	while (i < b->n_evs) {
		const struct bench_ev *e = &b->evs[i];

		if (e->type == EV_FLOW) {
			/* as control.c drains a burst: the next event hinted first */
			if (b->hint && i + 1 < b->n_evs && b->evs[i + 1].type == EV_FLOW)
				np_det_correlator_flow_prefetch(c, &b->flows[b->evs[i + 1].idx]);
			np_det_correlator_flow(c, &b->flows[e->idx]);
			i++;
			continue;
		}
		if (e->type == EV_TICK) {
			double t0 = b->time_ticks ? now_s() : 0;

			np_det_correlator_tick(c, e->ts_ns);
			if (b->time_ticks)
				b->tick_s += now_s() - t0;
			last = e->ts_ns;
			i++;
			continue;
		}
		if (b->in_place) {
			np_det_correlator_sip(c, &b->sips[e->idx]);
			i++;
			continue;
		}
		/* as the control thread takes it off the ring: its first slot, the rest, unpacked
		 */
		{
			const unsigned int per = BENCH_SLOT / b->esize;
			const struct np_det_sip *head = (const struct np_det_sip *)b->stage;
			size_t len = 0;
			unsigned int n;

			if (rte_ring_sc_dequeue_bulk_elem(b->ring, b->stage, b->esize, per, NULL) ==
			    per) {
				len = np_det_sip_packed_len(head);
				n = (unsigned int)(len + BENCH_SLOT - 1) / BENCH_SLOT;
				if (n > 1 &&
				    rte_ring_sc_dequeue_bulk_elem(b->ring, b->stage + BENCH_SLOT,
								  b->esize, (n - 1) * per,
								  NULL) != (n - 1) * per)
					len = 0;
			}
			if (np_det_sip_unpack(b->stage, len, burst) == 0)
				np_det_correlator_sip(c, burst);
		}
		i++;
	}
	np_det_correlator_finish(c, last);
	return last;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_control [-k COPIES] [-r ROUNDS] [-e 16|64] [-n] [-z] [-1] [-p] "
		"[SEG=]CAPTURE.pcap...\n");
}

static unsigned long parse_count(const char *opt, const char *arg, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end || v == 0 || v > max) {
		fprintf(stderr, "bench_control: %s: a number from 1 to %lu, not '%s'\n", opt, max,
			arg);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static struct bench b;
	unsigned long copies = 4, rounds = 5;
	double ns[BENCH_MAX_ROUNDS];
	struct np_det_sip *burst;
	bool once = false;
	struct np_conf conf;
	unsigned int n_in;
	int opt;

	b.esize = 16;
	b.hint = true;
	/* every large block a fresh mapping, as when the probe starts: glibc
	 * would otherwise raise its threshold once the first round's tables
	 * are freed and give the later rounds reused heap memory */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	while ((opt = getopt(argc, argv, "k:r:e:nz1ph")) != -1) {
		switch (opt) {
		case 'n':
			b.hint = false;
			break;
		case 'z':
			xlat_lazy = true;
			break;
		case 'e':
			b.esize = (unsigned int)parse_count("-e", optarg, BENCH_SLOT);
			if (b.esize != 16 && b.esize != 64) {
				fprintf(stderr, "bench_control: -e: 16 or 64, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'p':
			b.in_place = true;
			break;
		case 'k':
			copies = parse_count("-k", optarg, 64);
			break;
		case 'r':
			rounds = parse_count("-r", optarg, BENCH_MAX_ROUNDS);
			break;
		case '1':
			once = true;
			break;
		default:
			usage();
			return 2;
		}
	}
	n_in = (unsigned int)(argc - optind);
	if (n_in == 0 || n_in > BENCH_MAX_INPUTS) {
		usage();
		return 2;
	}
	for (unsigned int i = 0; i < n_in; i++) {
		char *arg = argv[optind + (int)i], *eq = strchr(arg, '=');

		b.names[i] = arg;
		if (eq != NULL) {
			*eq = '\0';
			arg = eq + 1;
		}
		if (load(&b, i, arg) < 0)
			return 1;
	}
	qsort(b.frames, b.n_frames, sizeof(b.frames[0]), cmp_frame);
	np_conf_defaults(&conf);
	record_stream(&b, &conf, n_in);
	for (size_t i = 0; i < b.n_frames; i++)
		free(b.frames[i].data);
	free(b.frames);
	printf("stream: %zu frames -> %zu flow events, %zu SIP summaries (%zu B each); %" PRIu64
	       " records\n",
	       b.n_frames, b.n_flows, b.n_sips, sizeof(struct np_det_sip), b.records);
	if (b.n_sips == 0) {
		fprintf(stderr, "bench_control: no SIP in the captures\n");
		return 1;
	}
	expand(&b, (unsigned int)copies);
	printf("replayed: %lu copies, %zu flow events + %zu SIP summaries per round\n", copies,
	       b.n_flows, b.n_sips);
	pack_all(&b);
	printf("packed summaries: %.0f bytes on average (struct np_det_sip: %zu)\n",
	       (double)b.pk_bytes / (double)b.n_sips, sizeof(struct np_det_sip));
	burst = aligned_alloc(64, (sizeof(*burst) + 63) & ~(size_t)63);
	b.stage = aligned_alloc(64, (sizeof(*burst) + 63) & ~(size_t)63);
	if (burst == NULL || b.stage == NULL)
		return 1;
	if (!b.in_place)
		ring_new(&b);
	if (once) {
		struct np_det_control dc;
		uint64_t recs = 0;

		control_new(&dc, &conf, n_in, b.names, &recs);
		if (!b.in_place)
			ring_fill(&b);
		bench_round(&b, dc.corr, burst);
		np_det_control_destroy(&dc);
		printf("one round: %" PRIu64 " records\n", recs);
	} else {
		double ev_ns[BENCH_MAX_ROUNDS];
		uint64_t recs = 0;

		b.time_ticks = true;
		for (unsigned long r = 0; r <= rounds; r++) {
			struct np_det_control dc;
			double t0, t1;

			recs = 0;
			control_new(&dc, &conf, n_in, b.names, &recs);
			if (!b.in_place)
				ring_fill(&b);
			b.tick_s = 0;
			t0 = now_s();
			bench_round(&b, dc.corr, burst);
			t1 = now_s();
			np_det_control_destroy(&dc);
			if (r > 0) { /* round 0 warms up */
				ns[r - 1] = (t1 - t0) * 1e9 / (double)(b.n_flows + b.n_sips);
				ev_ns[r - 1] =
					(t1 - t0 - b.tick_s) * 1e9 / (double)(b.n_flows + b.n_sips);
			}
		}
		qsort(ns, rounds, sizeof(ns[0]), cmp_double);
		qsort(ev_ns, rounds, sizeof(ev_ns[0]), cmp_double);
		printf("records per round: %" PRIu64 "\n", recs);
		printf("events (ticks apart): median %.0f events/s (%.0f SIP summaries/s), %.1f "
		       "ns/event; best %.0f events/s\n",
		       1e9 / ev_ns[rounds / 2],
		       1e9 / ev_ns[rounds / 2] * (double)b.n_sips / (double)(b.n_flows + b.n_sips),
		       ev_ns[rounds / 2], 1e9 / ev_ns[0]);
		printf("with analyze's ticks (every %u frames): median %.0f events/s, %.1f ns/event\n",
		       BENCH_TICK_EVERY, 1e9 / ns[rounds / 2], ns[rounds / 2]);
	}
	free(burst);
	free(b.stage);
	free(b.ring);
	free(b.packed);
	free(b.pk_off);
	np_conf_free(&conf);
	free(b.evs);
	free(b.flows);
	free(b.sips);
	return 0;
}
