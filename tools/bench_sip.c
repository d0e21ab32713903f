/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP-only micro-benchmark: what a worker spends per SIP message on parsing
 * (np_sip_parse) and summarising (np_det_sip_summarise), without the flow
 * table, framing or the NIC.
 *
 *   bench_sip [-n PASSES] [-r ROUNDS] [-1] [-d] [-i] CAPTURE.pcap
 *
 * Every UDP payload of CAPTURE that np_sip_looks_like_sip() accepts is kept
 * (one message per datagram). Default: one warm-up pass, then ROUNDS (5)
 * rounds of PASSES (100) timed passes over all messages; prints messages/s
 * and ns/message of the best round (the least disturbed by other work on the
 * machine) and of the median one.
 * -1: one warm-up pass, then one pass, untimed, for instruction counts under
 * callgrind:
 *
 *   valgrind --tool=callgrind --toggle-collect=bench_pass ./bench_sip -1 CAPTURE
 *
 * (instructions per message = the total reported / the messages printed).
 * -d: print each message's summary (hashes excluded), to compare builds.
 * -i: the worker's inspection: the header subset its inspector matches
 *     (NP_SIP_HDRS_INSPECT) and its parse (np_sip_parse_inspect()), instead
 *     of every header dump-sip reads with np_sip_parse().
 *
 * Captures: tools/bench's make_profile() writes the benchmark's SIP-only
 * traffic ("sip900"); any capture with SIP over UDP works. SIP over TCP (the
 * seed scenario's captures) has to be turned into one UDP datagram per
 * message first (reassemble each stream, cut it at Content-Length).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "np_correlate.h"
#include "np_pkt.h"
#include "np_sip.h"

#define BENCH_DEFAULT_PASSES 100u
#define BENCH_DEFAULT_ROUNDS 5u
#define BENCH_MAX_ROUNDS 101u

struct bench_msg {
	uint8_t *data;
	uint32_t len;
};

struct bench {
	struct bench_msg *msgs;
	size_t n, cap;
	uint64_t bytes;
	const struct np_sip_db *db;
	struct np_sip_scratch *scratch;
	struct np_sip_msg *msg;
	struct np_det_sip *sum;
	bool inspect; /* -i: np_sip_parse_inspect(), as the worker */
	uint64_t parse_errors;
};

static int add_msg(struct bench *b, const uint8_t *p, uint32_t len)
{
	struct bench_msg *m;

	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 1024;
		struct bench_msg *nm = realloc(b->msgs, cap * sizeof(*nm));

		if (!nm)
			return -ENOMEM;
		b->msgs = nm;
		b->cap = cap;
	}
	m = &b->msgs[b->n];
	m->data = malloc(len ? len : 1);
	if (!m->data)
		return -ENOMEM;
	memcpy(m->data, p, len);
	m->len = len;
	b->n++;
	b->bytes += len;
	return 0;
}

static int load(struct bench *b, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *pkt;
	pcap_t *pc;
	int rc;

	pc = pcap_open_offline(path, errbuf);
	if (!pc) {
		fprintf(stderr, "bench_sip: %s: %s\n", path, errbuf);
		return -1;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, "bench_sip: %s: not an Ethernet capture\n", path);
		pcap_close(pc);
		return -1;
	}
	while ((rc = pcap_next_ex(pc, &h, &pkt)) == 1) {
		struct np_pkt_info pi;
		const uint8_t *pl;

		if (np_pkt_parse(pkt, h->caplen, &pi) != NP_PKT_UDP)
			continue;
		pl = pkt + pi.payload_off;
		if (!np_sip_looks_like_sip(pl, pi.payload_len))
			continue;
		if (add_msg(b, pl, pi.payload_len) < 0) {
			fprintf(stderr, "bench_sip: out of memory\n");
			pcap_close(pc);
			return -1;
		}
	}
	if (rc == -1)
		fprintf(stderr, "bench_sip: %s: %s\n", path, pcap_geterr(pc));
	pcap_close(pc);
	return rc == -1 ? -1 : 0;
}

/* One message the way the worker handles a datagram (lib/inspect/inspect.c). */
static inline uint64_t bench_one(struct bench *b, const struct bench_msg *bm)
{
	struct np_sip_msg *m = b->msg;
	int rc;

	rc = b->inspect ? np_sip_parse_inspect(b->db, b->scratch, bm->data, bm->len, m)
			: np_sip_parse(b->db, b->scratch, bm->data, bm->len, m);
	if (rc != 0) {
		b->parse_errors++;
		return 0;
	}
	np_det_sip_summarise(m, bm->data,
			     m->msg_len && m->msg_len <= bm->len ? m->msg_len : bm->len, b->sum);
	return b->sum->msg_hash ^ b->sum->n_addrs;
}

/* One pass over every message; kept out of line so callgrind can collect just this. */
__attribute__((noinline)) uint64_t bench_pass(struct bench *b);
__attribute__((noinline)) uint64_t bench_pass(struct bench *b)
{
	uint64_t acc = 0;

	for (size_t i = 0; i < b->n; i++)
		acc += bench_one(b, &b->msgs[i]);
	return acc;
}

static const char *host_type_name(unsigned int t)
{
	static const char *const names[] = { "none", "name", "ipv4", "ipv6" };

	return t < 4 ? names[t] : "?";
}

static void dump(struct bench *b)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct bench_msg *bm = &b->msgs[i];
		const struct np_det_sip *s = b->sum;
		int rc = b->inspect ? np_sip_parse_inspect(b->db, b->scratch, bm->data, bm->len,
							   b->msg)
				    : np_sip_parse(b->db, b->scratch, bm->data, bm->len, b->msg);

		if (rc != 0) {
			printf("%zu: error %s\n", i, np_sip_err_name(b->msg->err));
			continue;
		}
		(void)bench_one(b, bm);
		printf("%zu: req=%d method=%u/%s status=%u cseq=%" PRIu32 "/%u/%s call_id=%s "
		       "branch=%s to_tag=%d warning=%u/%s sdp=%d\n",
		       i, s->is_request, s->method, np_det_sip_str(s, s->method_text), s->status,
		       s->cseq, s->cseq_method, np_det_sip_str(s, s->cseq_text),
		       np_det_sip_str(s, s->call_id), np_det_sip_str(s, s->branch), s->has_to_tag,
		       s->warning_code, np_det_sip_str(s, s->warning_agent), s->has_sdp);
		for (unsigned int a = 0; a < s->n_addrs; a++) {
			const struct np_det_addr *d = &s->addrs[a];
			char ab[NP_ADDR_STRLEN];

			np_addr_str(&d->addr, ab, sizeof(ab));
			printf("  %s[%u] %s %s port %u: %s\n", np_det_hdr_name(d->hdr), d->index,
			       host_type_name(d->host_type),
			       d->host_type == NP_SIP_HOST_IPV4 || d->host_type == NP_SIP_HOST_IPV6
				       ? ab
				       : "-",
			       d->port, np_det_sip_str(s, d->value));
		}
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static unsigned long parse_count(const char *opt, const char *arg, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end || v == 0 || v > max) {
		fprintf(stderr, "bench_sip: %s: a number from 1 to %lu, not '%s'\n", opt, max, arg);
		exit(2);
	}
	return v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_sip [-n PASSES] [-r ROUNDS] [-1] [-d] [-i] CAPTURE.pcap\n");
}

int main(int argc, char **argv)
{
	struct bench b = { 0 };
	unsigned long passes = BENCH_DEFAULT_PASSES, rounds = BENCH_DEFAULT_ROUNDS;
	double ns[BENCH_MAX_ROUNDS];
	bool once = false, do_dump = false;
	enum np_sip_hdr_set set = NP_SIP_HDRS_ALL;
	struct np_sip_db *db;
	char errbuf[256];
	uint64_t acc = 0;
	int opt;

	while ((opt = getopt(argc, argv, "n:r:1dih")) != -1) {
		switch (opt) {
		case 'n':
			passes = parse_count("-n", optarg, 1000000000ul);
			break;
		case 'r':
			rounds = parse_count("-r", optarg, BENCH_MAX_ROUNDS);
			break;
		case '1':
			once = true;
			break;
		case 'i':
			set = NP_SIP_HDRS_INSPECT;
			break;
		case 'd':
			do_dump = true;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (optind + 1 != argc) {
		usage();
		return 2;
	}
	if (load(&b, argv[optind]) < 0)
		return 1;
	if (b.n == 0) {
		fprintf(stderr, "bench_sip: %s: no SIP over UDP\n", argv[optind]);
		return 1;
	}
	db = np_sip_db_create_set(set, errbuf, sizeof(errbuf));
	if (!db) {
		fprintf(stderr, "bench_sip: np_sip_db_create: %s\n", errbuf);
		return 1;
	}
	b.db = db;
	b.inspect = set == NP_SIP_HDRS_INSPECT;
	b.scratch = np_sip_scratch_clone(db);
	b.msg = aligned_alloc(64, (sizeof(*b.msg) + 63) & ~(size_t)63);
	b.sum = aligned_alloc(64, (sizeof(*b.sum) + 63) & ~(size_t)63);
	if (!b.scratch || !b.msg || !b.sum) {
		fprintf(stderr, "bench_sip: out of memory\n");
		return 1;
	}
	memset(b.msg, 0, sizeof(*b.msg));
	memset(b.sum, 0, sizeof(*b.sum));

	printf("messages: %zu (%.1f bytes on average)\n", b.n, (double)b.bytes / (double)b.n);
	if (do_dump) {
		dump(&b);
	} else if (once) {
		/* warm-up outside bench_pass: lazy symbol binding, first-touch page faults */
		for (size_t i = 0; i < b.n; i++)
			acc += bench_one(&b, &b.msgs[i]);
		b.parse_errors = 0;
		acc = bench_pass(&b);
		printf("one pass: %" PRIu64 " parse errors (checksum %016" PRIx64 ")\n",
		       b.parse_errors, acc);
	} else {
		acc = bench_pass(&b); /* warm-up */
		b.parse_errors = 0;
		for (unsigned long r = 0; r < rounds; r++) {
			double t0 = now_s(), t1;

			for (unsigned long i = 0; i < passes; i++)
				acc += bench_pass(&b);
			t1 = now_s();
			ns[r] = (t1 - t0) * 1e9 / ((double)b.n * (double)passes);
		}
		qsort(ns, rounds, sizeof(ns[0]), cmp_double);
		printf("rounds: %lu of %lu passes, parse errors per pass: %" PRIu64
		       " (checksum %016" PRIx64 ")\n",
		       rounds, passes, b.parse_errors / (passes * rounds), acc);
		printf("best: %.0f messages/s, %.1f ns/message; median: %.1f ns/message\n",
		       1e9 / ns[0], ns[0], ns[rounds / 2]);
	}

	for (size_t i = 0; i < b.n; i++)
		free(b.msgs[i].data);
	free(b.msgs);
	free(b.msg);
	free(b.sum);
	np_sip_scratch_destroy(b.scratch);
	np_sip_db_destroy(db);
	return 0;
}
