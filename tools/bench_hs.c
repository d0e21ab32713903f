/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What Hyperscan's block-mode scan costs for a SIP header section, split
 * into what the bytes cost and what each match it reports costs: the floor
 * under the SIP stage's header matching (docs/performance.md, "Sixth
 * round").
 *
 *   bench_hs [-n SCANS] [-l NAME,NAME,...] [-w]
 *
 * Compiles one database of the literals "\nNAME:" (caseless, as
 * lib/sip/sip_db.c writes them; default: the names the inspection matches,
 * compact forms included), -w adds sip_db.c's "name SP :" expression, then
 * scans the header section of tools/bench's sip900 INVITE (built in below,
 * 360 bytes, 8 of its lines named) SCANS times with a callback that counts
 * and returns. Run it under callgrind with the scans alone counted:
 *
 *   valgrind --tool=callgrind --toggle-collect=scan_loop bench_hs -n 1000
 *
 * Instructions per scan = the total / SCANS. With names that never match
 * (-l xyzzy,qwerty) the figure is the scan of the bytes; each name that
 * matches a line adds what one reported match costs.
 */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hs/hs.h>

#define MAX_NAMES 64

static const char header[] =
	"\nVia: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK-524287-1---e2b9d3c5;rport\r\n"
	"Max-Forwards: 70\r\n"
	"Contact: <sip:alice@198.51.100.10:5060;transport=UDP>\r\n"
	"To: <sip:bob@203.0.113.5>\r\n"
	"From: <sip:alice@example.com>;tag=1234abcd\r\n"
	"Call-ID: a84b4c76e66710@pc33.example.com\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Content-Type: application/sdp\r\n"
	"User-Agent: Test/1.0\r\n"
	"Content-Length: 531\r\n";

static const char inspect_names[] = "via,v,route,record-route,path,service-route,contact,m,to,t,"
				    "call-id,i,cseq,content-length,l,content-type,c,warning,"
				    "user-agent,server";

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	(*(unsigned int *)ctx)++;
	return 0;
}

/* Not inlined: callgrind's --toggle-collect counts this function alone. */
__attribute__((noinline)) static unsigned int scan_loop(const hs_database_t *db,
							hs_scratch_t *scratch, unsigned int n)
{
	unsigned int matches = 0;

	for (unsigned int i = 0; i < n; i++)
		if (hs_scan(db, header, sizeof(header) - 1, 0, scratch, on_match, &matches) !=
		    HS_SUCCESS)
			return 0;
	return matches;
}

int main(int argc, char **argv)
{
	char exprs_buf[MAX_NAMES][40], *list, *tok, *save = NULL;
	const char *exprs[MAX_NAMES + 1];
	unsigned int flags[MAX_NAMES + 1], ids[MAX_NAMES + 1], n = 0, scans = 1000;
	const char *names = inspect_names;
	hs_compile_error_t *cerr = NULL;
	hs_scratch_t *scratch = NULL;
	hs_database_t *db = NULL;
	unsigned int matches;
	bool ws = false;
	int opt;

	while ((opt = getopt(argc, argv, "n:l:w")) != -1) {
		switch (opt) {
		case 'n':
			scans = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'l':
			names = optarg;
			break;
		case 'w':
			ws = true;
			break;
		default:
			fprintf(stderr, "usage: bench_hs [-n SCANS] [-l NAME,NAME,...] [-w]\n");
			return 2;
		}
	}
	if (scans == 0) {
		fprintf(stderr, "bench_hs: -n must be at least 1\n");
		return 2;
	}
	list = strdup(names);
	if (list == NULL) {
		fprintf(stderr, "bench_hs: out of memory\n");
		return 1;
	}
	for (tok = strtok_r(list, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (n == MAX_NAMES || strlen(tok) > 32) {
			fprintf(stderr, "bench_hs: at most %d names of at most 32 characters\n",
				MAX_NAMES);
			free(list);
			return 2;
		}
		snprintf(exprs_buf[n], sizeof(exprs_buf[n]), "\\n%s:", tok);
		exprs[n] = exprs_buf[n];
		flags[n] = HS_FLAG_CASELESS;
		ids[n] = n;
		n++;
	}
	free(list);
	if (ws) {
		exprs[n] = "\\n[a-z-]{1,32}[ \\t]+:";
		flags[n] = HS_FLAG_CASELESS;
		ids[n] = n;
		n++;
	}
	if (n == 0) {
		fprintf(stderr, "bench_hs: no names\n");
		return 2;
	}
	if (hs_compile_multi(exprs, flags, ids, n, HS_MODE_BLOCK, NULL, &db, &cerr) != HS_SUCCESS) {
		fprintf(stderr, "bench_hs: %s\n",
			cerr && cerr->message ? cerr->message : "compile");
		hs_free_compile_error(cerr);
		return 1;
	}
	if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) {
		fprintf(stderr, "bench_hs: hs_alloc_scratch failed\n");
		hs_free_database(db);
		return 1;
	}
	matches = scan_loop(db, scratch, scans);
	printf("%u expressions, %zu bytes scanned %u times, %u matches per scan\n", n,
	       sizeof(header) - 1, scans, matches / scans);
	hs_free_scratch(scratch);
	hs_free_database(db);
	return 0;
}
