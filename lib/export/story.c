/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An incident told: its diagnosis, its two fixes and the evidence ladder,
 * from the facts the correlator wrote (struct np_det_story) and the records
 * the incident cites. The one place this prose lives: the JSON records, the
 * report and the pictures all read it from here.
 */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "np_record.h"

static char *ep_str(const struct np_det_endpoint *e, char *buf, size_t len)
{
	return np_endpoint_str(&e->addr, e->port, buf, (unsigned int)len);
}

static const char *client_name(const struct np_det_story *st)
{
	return st->expressway ? "Expressway-C" : "the client";
}

static const char *server_name(const struct np_det_story *st)
{
	return st->expressway ? "Expressway-E" : "the server";
}

/* @p s with its first letter in upper case, into @p buf. */
static const char *sentence(const char *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s", s);
	buf[0] = (char)toupper((unsigned char)buf[0]);
	return buf;
}

char *np_record_diagnosis(const struct np_det_record *r, char *buf, size_t len)
{
	const struct np_det_story *st = &r->story;
	char t[NP_ENDPOINT_STRLEN], xs[NP_ENDPOINT_STRLEN], sp[NP_ENDPOINT_STRLEN];
	char sv[NP_ENDPOINT_STRLEN], callp[NP_DET_CALLID_LEN + 16] = "", cap[32], cap2[32];
	const char *cl = client_name(st), *svn = server_name(st);

	ep_str(&st->translated, t, sizeof(t));
	ep_str(&st->server_pub, sp, sizeof(sp));
	ep_str(&st->server, sv, sizeof(sv));
	if (r->sip.call_id[0] != '\0')
		snprintf(callp, sizeof(callp), " (Call-ID %s)", r->sip.call_id);
	if (st->client_seen)
		snprintf(buf, len,
			 "The firewall translates %s %s to %s, %s's own public address, on the "
			 "traversal connection to %s (NAT reflection that also translates the "
			 "source). %s (%s) therefore sees the connection coming from %s and puts "
			 "that address in the Route header of the SIP requests it sends back%s. "
			 "%s follows the Route to %s, an address that exists only as this NAT "
			 "binding%s%s.",
			 cl, ep_str(&st->client, xs, sizeof(xs)), t, svn, sp,
			 sentence(svn, cap, sizeof(cap)), sv, t, callp,
			 sentence(cl, cap2, sizeof(cap2)), t,
			 st->refused ? ": the connection is refused" : "",
			 st->timed_out ? ", and it answers 408 Request Timeout. MRA clients log in "
					 "but get no phone services"
				       : "");
	else
		snprintf(buf, len,
			 "%s (%s) receives the traversal connection from %s, its own public "
			 "address: the firewall reflects %s's connection to %s and translates its "
			 "source. %s then names %s in the Route of its SIP requests%s, an address "
			 "that exists only as a NAT binding%s.",
			 sentence(svn, cap, sizeof(cap)), sv, t, cl, sp,
			 sentence(svn, cap2, sizeof(cap2)), t, callp,
			 st->timed_out ? "; the request times out (408)" : "");
	return buf;
}

char *np_record_fix(const struct np_det_record *r, unsigned int i, char *buf, size_t len)
{
	const struct np_det_story *st = &r->story;
	const char *cl = client_name(st), *svn = server_name(st);
	char x_host[NP_ADDR_STRLEN + 1] = "", sv_host[NP_ADDR_STRLEN], sp_host[NP_ADDR_STRLEN];

	np_addr_str(&st->server.addr, sv_host, sizeof(sv_host));
	np_addr_str(&st->server_pub.addr, sp_host, sizeof(sp_host));
	if (st->client_seen) {
		x_host[0] = ' ';
		np_addr_str(&st->client.addr, x_host + 1, sizeof(x_host) - 1);
	}
	if (i == 0)
		snprintf(buf, len,
			 "Disable source translation on the firewall for %s%s -> %s %s: keep the "
			 "destination NAT of %s to %s but leave the source%s untranslated, so %s "
			 "sees %s's real address and routes back to it.",
			 cl, x_host, svn, sp_host, sp_host, sv_host, x_host, svn, cl);
	else
		snprintf(buf, len,
			 "Or give %s a second NIC facing %s (dual-NIC deployment) so no NAT "
			 "reflection is needed, and make sure the internal firewall between %s "
			 "and %s does not translate the source of %s's traffic either.",
			 svn, cl, cl, svn, cl);
	return buf;
}

char *np_record_step(const struct np_det_record *inc, const struct np_det_record *e, char *buf,
		     size_t len)
{
	const struct np_det_story *st = &inc->story;
	char a[NP_ENDPOINT_STRLEN], b[NP_ENDPOINT_STRLEN], c[NP_ENDPOINT_STRLEN];
	char d[NP_ENDPOINT_STRLEN], what[80];
	size_t n;

	switch (e->kind == NP_DET_KIND_ANOMALY ? e->type : NP_DET_TYPE_MAX) {
	case NP_DET_HAIRPIN_SNAT:
		if (st->client_seen)
			snprintf(buf, len,
				 "%s -> %s leaves the firewall as %s -> %s (source translated)",
				 ep_str(&st->client, a, sizeof(a)),
				 ep_str(&st->server_pub, b, sizeof(b)),
				 ep_str(&st->translated, c, sizeof(c)),
				 ep_str(&st->server, d, sizeof(d)));
		else
			snprintf(
				buf, len,
				"a connection to %s arrives from %s, the server's own public address "
				"(source translated)",
				ep_str(&st->server, a, sizeof(a)),
				ep_str(&st->translated, b, sizeof(b)));
		break;
	case NP_DET_TRANSLATED_ROUTE:
		if (e->sip.method[0] != '\0')
			snprintf(what, sizeof(what), "%s", e->sip.method);
		else
			snprintf(what, sizeof(what), "%u (%s)", e->sip.status, e->sip.cseq);
		snprintf(buf, len, "%s (CSeq %s): %s %s", what, e->sip.cseq, e->sip.header,
			 e->sip.value);
		break;
	case NP_DET_PHANTOM_CONNECT:
		np_endpoint_str(&e->flow.src, e->flow.sport, a, sizeof(a));
		snprintf(buf, len, "SYN %s -> %s, %s", a, e->endpoint,
			 e->outcome == NP_DET_OUTCOME_RST    ? "RST"
			 : e->outcome == NP_DET_OUTCOME_ICMP ? "ICMP unreachable"
							     : "no answer");
		break;
	case NP_DET_SIP_TIMEOUT:
		if (e->delay_ms >= 0)
			snprintf(buf, len,
				 "%u to %s (%s timeout, %" PRId64 " ms after the request)",
				 e->sip.status, e->sip.cseq, e->timeout_kind, e->delay_ms);
		else
			snprintf(buf, len, "%u to %s (%s timeout)", e->sip.status, e->sip.cseq,
				 e->timeout_kind);
		break;
	default:
		snprintf(buf, len, "%s", e->detail);
		break;
	}
	n = strnlen(buf, len);
	if (e->count > 1 && n < len)
		snprintf(buf + n, len - n, " (x%u)", e->count);
	return buf;
}

char *np_record_clock(uint64_t ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns / 1000000000ull);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%03u", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned int)(ns / 1000000ull % 1000));
	return buf;
}

const struct np_det_record *np_record_find(const struct np_det_record *all, size_t n_all,
					   uint32_t id)
{
	for (size_t i = 0; i < n_all; i++)
		if (all[i].id == id)
			return &all[i];
	return NULL;
}

int np_record_write_ladder(FILE *f, const struct np_det_record *inc,
			   const struct np_det_record *all, size_t n_all,
			   const struct np_record_names *n)
{
	const struct np_det_story *st = &inc->story;
	const struct np_det_record *ev[NP_DET_MAX_EVIDENCE];
	bool one_side = !st->client_seen;
	const char *cl = st->expressway ? "C" : "client", *sv = st->expressway ? "E" : "server";
	int w = st->expressway ? 1 : 6;
	unsigned int k = 0;
	char cap[32], cap2[32];

	for (unsigned int i = 0; i < inc->n_evidence; i++) {
		const struct np_det_record *e = np_record_find(all, n_all, inc->evidence[i]);

		if (e != NULL && e->kind == NP_DET_KIND_ANOMALY)
			ev[k++] = e;
	}
	/* time order (ids break ties) */
	for (unsigned int i = 1; i < k; i++)
		for (unsigned int j = i;
		     j > 0 && (ev[j]->ts_ns < ev[j - 1]->ts_ns ||
			       (ev[j]->ts_ns == ev[j - 1]->ts_ns && ev[j]->id < ev[j - 1]->id));
		     j--) {
			const struct np_det_record *t = ev[j];

			ev[j] = ev[j - 1];
			ev[j - 1] = t;
		}
	/* One lane per side of the firewall: C | FW | E. */
	if (!one_side)
		fprintf(f,
			"    time          id    %s | FW | %s   (seen on %s: %s side; %s: %s side)\n",
			cl, sv, np_record_segment_name(n, st->seg_client),
			sentence(client_name(st), cap, sizeof(cap)),
			np_record_segment_name(n, st->seg_server),
			sentence(server_name(st), cap2, sizeof(cap2)));
	else
		fprintf(f, "    time          id    %s | FW | %s   (seen on %s: %s side)\n", cl, sv,
			np_record_segment_name(n, st->seg_server),
			sentence(server_name(st), cap, sizeof(cap)));
	for (unsigned int i = 0; i < k; i++) {
		const struct np_det_record *e = ev[i];
		bool fw = e->type == NP_DET_HAIRPIN_SNAT;
		bool on_cl = fw || (!one_side && e->segment == st->seg_client);
		bool on_sv = fw || e->segment == st->seg_server;
		char ts[16], id[12], line[512];

		np_record_clock(e->ts_ns, ts, sizeof(ts));
		snprintf(id, sizeof(id), "[%u]", e->id);
		fprintf(f, "    %s  %-5s %*s | %s | %-*s %s\n", ts, id, w, on_cl ? cl : "",
			fw ? "FW" : "  ", w, on_sv ? sv : "",
			np_record_step(inc, e, line, sizeof(line)));
	}
	return ferror(f) ? -EIO : 0;
}
