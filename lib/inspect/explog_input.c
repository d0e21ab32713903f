/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An Expressway diagnostic log as an offline input (see np_inspect.h).
 * At open: the log is parsed and its entries grouped into connections. At
 * prepare (every log open): messages logged on two segments are found, and
 * each input's entries become a time-sorted list of actions (flow events
 * and SIP messages) that np_offline_run() interleaves with capture frames.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "np_inspect.h"
#include "np_hash.h"

#define NONE UINT32_MAX

enum outcome {
	OUT_NONE = 0,
	OUT_REFUSED,	/* at the Failed entry */
	OUT_CONNECTED,	/* at the Connected entry */
	OUT_BY_MESSAGE, /* at the first SIP message on the connection */
	OUT_UNANSWERED, /* at connect + NP_EXPLOG_CONNECT_TIMEOUT_NS */
};

/* One connection (or UDP flow) of one log, oriented from its initiator. */
struct conn {
	struct np_addr src, dst;
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t outcome;	/* enum outcome, for a logged connect */
	bool announced;		/* NP_FLOW_EV_NEW delivered (action list built) */
	bool has_twin;		/* holds a message logged on another segment too */
	uint32_t connecting;	/* entry of "TCP Connecting", NONE */
	uint32_t outcome_entry; /* entry the outcome is reported at, NONE */
	uint32_t fp_twin[2];	/* first message logged elsewhere too, per direction */
	uint32_t fp_any[2];	/* first message, per direction */
};

enum {
	ACT_EVENT = 0,
	ACT_SIP
};

struct action {
	uint64_t ts;
	uint32_t seq;	/* order of creation: ties keep it */
	uint32_t entry; /* ACT_SIP */
	uint8_t kind;
	struct np_flow_event ev; /* ACT_EVENT */
};

struct np_explog_input {
	const char *path;
	uint8_t segment;
	struct np_explog log;
	uint32_t *conn_of; /* per entry: its connection, NONE */
	uint8_t *dir_of;   /* per entry: 0 from the initiator, 1 towards it */
	bool *twin;	   /* per entry: logged once on this segment and on another */
	struct conn *conns;
	size_t n_conns, cap_conns;
	struct action *act;
	size_t n_act, cap_act, next;
	struct np_explog_input_stats st;
};

/* ---- open: read, parse, group into connections -------------------------- */

static bool ep_eq(const struct np_addr *a, uint16_t ap, const struct np_addr *b, uint16_t bp)
{
	return ap == bp && memcmp(a, b, sizeof(*a)) == 0;
}

static int ep_cmp(const struct np_addr *a, uint16_t ap, const struct np_addr *b, uint16_t bp)
{
	int c = memcmp(a, b, sizeof(*a));

	return c ? c : (int)ap - (int)bp;
}

struct conn_map {
	uint64_t *hash;
	uint32_t *conn;
	size_t mask;
};

static uint64_t tuple_hash(const struct np_addr *a, uint16_t ap, const struct np_addr *b,
			   uint16_t bp, uint8_t proto)
{
	struct {
		struct np_addr lo, hi;
		uint16_t lo_port, hi_port;
		uint8_t proto;
	} k; /* both directions of a connection: the same key */
	bool fwd = ep_cmp(a, ap, b, bp) <= 0;

	memset(&k, 0, sizeof(k));
	k.lo = fwd ? *a : *b;
	k.hi = fwd ? *b : *a;
	k.lo_port = fwd ? ap : bp;
	k.hi_port = fwd ? bp : ap;
	k.proto = proto;
	return np_hash_mix64(np_hash_bytes(0, &k, sizeof(k))) | 1;
}

static bool conn_is(const struct conn *c, const struct np_addr *a, uint16_t ap,
		    const struct np_addr *b, uint16_t bp, uint8_t proto)
{
	return c->proto == proto &&
	       ((ep_eq(&c->src, c->sport, a, ap) && ep_eq(&c->dst, c->dport, b, bp)) ||
		(ep_eq(&c->src, c->sport, b, bp) && ep_eq(&c->dst, c->dport, a, ap)));
}

/* The slot of a tuple: its live connection, or the empty slot to put one in. */
static size_t map_slot(const struct np_explog_input *in, const struct conn_map *m,
		       const struct np_addr *a, uint16_t ap, const struct np_addr *b, uint16_t bp,
		       uint8_t proto)
{
	uint64_t h = tuple_hash(a, ap, b, bp, proto);
	size_t i = h & m->mask;

	while (m->hash[i] != 0) {
		if (m->hash[i] == h && m->conn[i] != NONE &&
		    conn_is(&in->conns[m->conn[i]], a, ap, b, bp, proto))
			return i;
		if (m->hash[i] == h && m->conn[i] == NONE)
			return i; /* a tuple whose connection ended */
		i = (i + 1) & m->mask;
	}
	m->hash[i] = h;
	m->conn[i] = NONE;
	return i;
}

static bool server_port(uint16_t p, const uint16_t *extra, unsigned int n)
{
	if (p == 5060 || p == 5061 || (p >= 7001 && p <= 7004))
		return true;
	for (unsigned int i = 0; i < n; i++)
		if (extra[i] == p)
			return true;
	return false;
}

/* Room for one more of @p n elements in *@p arr (doubled, from @p first). 0 or -1. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem, size_t first)
{
	size_t c = *cap ? *cap * 2 : first;
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*arr, c * elem);
	if (p == NULL)
		return -1;
	*arr = p;
	*cap = c;
	return 0;
}

/*
 * A new connection for entry @p e's tuple (map slot @p s), opened by e's
 * sender when @p sender_first, else by its receiver; NONE when out of memory.
 */
static uint32_t conn_new(struct np_explog_input *in, struct conn_map *m, size_t s,
			 const struct np_explog_entry *e, bool sender_first, uint8_t proto)
{
	struct conn *c;

	if (grow((void **)&in->conns, &in->cap_conns, in->n_conns, sizeof(*in->conns), 64) < 0)
		return NONE;
	c = &in->conns[in->n_conns];
	memset(c, 0, sizeof(*c));
	c->src = sender_first ? e->src : e->dst;
	c->dst = sender_first ? e->dst : e->src;
	c->sport = sender_first ? e->sport : e->dport;
	c->dport = sender_first ? e->dport : e->sport;
	c->proto = proto;
	c->connecting = NONE;
	c->outcome_entry = NONE;
	c->fp_twin[0] = c->fp_twin[1] = NONE;
	c->fp_any[0] = c->fp_any[1] = NONE;
	m->conn[s] = (uint32_t)in->n_conns;
	return (uint32_t)in->n_conns++;
}

/* Who opened a connection first seen through a message? */
static void orient(const struct np_explog_entry *e, const uint16_t *sp, unsigned int n_sp,
		   bool *sender_first)
{
	bool s_srv = server_port(e->sport, sp, n_sp), d_srv = server_port(e->dport, sp, n_sp);

	if (s_srv != d_srv)
		*sender_first = d_srv;
	else if (e->proto == NP_IPPROTO_TCP && e->sport != e->dport)
		*sender_first = e->sport > e->dport;
	else
		*sender_first = true;
}

static int group(struct np_explog_input *in, const uint16_t *sp, unsigned int n_sp)
{
	struct conn_map m = { NULL, NULL, 0 };
	size_t slots = 16;
	int rc = 0;

	while (slots < in->log.n * 2 + 2)
		slots *= 2;
	m.hash = calloc(slots, sizeof(*m.hash));
	m.conn = calloc(slots, sizeof(*m.conn));
	m.mask = slots - 1;
	in->conn_of = calloc(in->log.n + 1, sizeof(*in->conn_of));
	in->dir_of = calloc(in->log.n + 1, sizeof(*in->dir_of));
	in->twin = calloc(in->log.n + 1, sizeof(*in->twin));
	if (m.hash == NULL || m.conn == NULL || in->conn_of == NULL || in->dir_of == NULL ||
	    in->twin == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < in->log.n; i++) {
		const struct np_explog_entry *e = &in->log.e[i];
		size_t s = map_slot(in, &m, &e->src, e->sport, &e->dst, e->dport, e->proto);
		uint32_t ci = m.conn[s];
		struct conn *c;

		in->conn_of[i] = NONE;
		if (e->kind == NP_EXPLOG_TCP) {
			bool fresh = ci == NONE || e->tcp == NP_EXPLOG_TCP_CONNECTING ||
				     (e->tcp == NP_EXPLOG_TCP_FAILED &&
				      (in->conns[ci].connecting == NONE ||
				       in->conns[ci].outcome != OUT_NONE));

			if (e->tcp == NP_EXPLOG_TCP_CLOSED && ci == NONE)
				continue; /* nothing known of it */
			if (fresh && (ci = conn_new(in, &m, s, e, true, NP_IPPROTO_TCP)) == NONE) {
				rc = -ENOMEM;
				goto out;
			}
			c = &in->conns[ci];
			in->conn_of[i] = ci;
			switch (e->tcp) {
			case NP_EXPLOG_TCP_CONNECTING:
				c->connecting = (uint32_t)i;
				break;
			case NP_EXPLOG_TCP_CONNECTED:
				if (c->outcome == OUT_NONE) {
					c->outcome = OUT_CONNECTED;
					c->outcome_entry = (uint32_t)i;
				}
				break;
			case NP_EXPLOG_TCP_FAILED:
				if (c->connecting == NONE ||
				    e->ts_ns - in->log.e[c->connecting].ts_ns <=
					    NP_EXPLOG_CONNECT_TIMEOUT_NS) {
					c->outcome = OUT_REFUSED;
					c->outcome_entry = (uint32_t)i;
				} else {
					c->outcome = OUT_UNANSWERED;
				}
				m.conn[s] = NONE; /* the tuple is free again */
				break;
			case NP_EXPLOG_TCP_CLOSED:
				m.conn[s] = NONE;
				break;
			default:
				break;
			}
			continue;
		}
		if (ci == NONE) {
			bool sender_first;

			orient(e, sp, n_sp, &sender_first);
			if ((ci = conn_new(in, &m, s, e, sender_first, e->proto)) == NONE) {
				rc = -ENOMEM;
				goto out;
			}
		}
		c = &in->conns[ci];
		in->conn_of[i] = ci;
		in->dir_of[i] = ep_eq(&e->src, e->sport, &c->src, c->sport) ? 0 : 1;
		if (c->connecting != NONE && c->outcome == OUT_NONE) {
			c->outcome = OUT_BY_MESSAGE;
			c->outcome_entry = (uint32_t)i;
		}
	}
	for (size_t k = 0; k < in->n_conns; k++)
		if (in->conns[k].connecting != NONE && in->conns[k].outcome == OUT_NONE)
			in->conns[k].outcome = OUT_UNANSWERED;
out:
	free(m.hash);
	free(m.conn);
	return rc;
}

/* The whole stream into a buffer: a log may come from a pipe, of unknown size. */
static int read_stream(FILE *f, const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	size_t cap = 1u << 16, n = 0;

	*buf = malloc(cap + 1);
	while (*buf != NULL) {
		size_t got = fread(*buf + n, 1, cap - n, f);

		n += got;
		if (got == 0 || n < cap) {
			if (ferror(f)) {
				snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
				free(*buf);
				*buf = NULL;
				return -1;
			}
			if (feof(f))
				break;
			continue;
		}
		{
			char *nb = realloc(*buf, 2 * cap + 1);

			if (nb == NULL) {
				free(*buf);
				*buf = NULL;
				break;
			}
			*buf = nb;
			cap *= 2;
		}
	}
	if (*buf == NULL) {
		snprintf(err, errlen, "%s: out of memory reading it", path);
		return -1;
	}
	*len = n;
	return 0;
}

struct np_explog_input *np_explog_input_open(FILE *f, const char *path, uint8_t segment,
					     bool *not_log, char *err, size_t errlen)
{
	struct np_explog_input *in;
	char *buf;
	size_t len = 0;
	int rc;

	*not_log = false;
	if (read_stream(f, path, &buf, &len, err, errlen) < 0)
		return NULL;
	in = calloc(1, sizeof(*in));
	if (in == NULL) {
		free(buf);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	in->path = path;
	in->segment = segment;
	rc = np_explog_parse(buf, len, &in->log);
	free(buf);
	if (rc < 0) {
		snprintf(err, errlen, "%s: out of memory parsing the log", path);
		np_explog_input_close(in);
		return NULL;
	}
	if (!np_explog_is_log(&in->log)) {
		*not_log = true;
		snprintf(err, errlen, "%s: not a pcap, pcapng or Expressway diagnostic log", path);
		np_explog_input_close(in);
		return NULL;
	}
	return in;
}

/* ---- prepare: messages on two segments, then the action list ------------ */

struct sighting {
	uint64_t key;
	uint8_t segment;
	uint32_t input;
	uint32_t entry;
};

static int by_key(const void *a, const void *b)
{
	const struct sighting *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->segment != y->segment)
		return x->segment < y->segment ? -1 : 1;
	return 0;
}

/*
 * A message is a twin when its key is logged exactly once on its segment and
 * once on some other segment: the same message, two boxes. A summary twin of
 * a dump takes the dump's canon_hash (the same message, less well logged).
 */
static int find_twins(struct np_explog_input **in, unsigned int n)
{
	struct sighting *s;
	size_t total = 0, k = 0;

	for (unsigned int i = 0; i < n; i++)
		for (size_t j = 0; j < in[i]->log.n; j++)
			total += in[i]->log.e[j].kind == NP_EXPLOG_SIP;
	s = malloc((total ? total : 1) * sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++)
		for (size_t j = 0; j < in[i]->log.n; j++)
			if (in[i]->log.e[j].kind == NP_EXPLOG_SIP)
				s[k++] = (struct sighting){ in[i]->log.e[j].key, in[i]->segment, i,
							    (uint32_t)j };
	qsort(s, total, sizeof(*s), by_key);
	for (size_t a = 0; a < total;) {
		size_t b = a, segs = 0, dup = 0;
		const struct np_explog_entry *dump = NULL;

		while (b < total && s[b].key == s[a].key)
			b++;
		for (size_t x = a; x < b; x++) {
			if (x == a || s[x].segment != s[x - 1].segment)
				segs++;
			else
				dup = 1;
		}
		if (segs >= 2 && !dup) {
			for (size_t x = a; x < b; x++) {
				struct np_explog_input *ix = in[s[x].input];
				const struct np_explog_entry *e = &ix->log.e[s[x].entry];

				ix->twin[s[x].entry] = true;
				if (!e->from_summary)
					dump = e;
			}
			for (size_t x = a; x < b && dump != NULL; x++) {
				struct np_explog_entry *e = &in[s[x].input]->log.e[s[x].entry];

				if (e->from_summary)
					e->canon_hash = dump->canon_hash;
			}
		}
		a = b;
	}
	free(s);
	return 0;
}

static struct action *act_push(struct np_explog_input *in, uint64_t ts, uint8_t kind)
{
	struct action *a;

	if (grow((void **)&in->act, &in->cap_act, in->n_act, sizeof(*in->act), 256) < 0)
		return NULL;
	a = &in->act[in->n_act];
	memset(a, 0, sizeof(*a));
	a->ts = ts;
	a->seq = (uint32_t)in->n_act++;
	a->kind = kind;
	return a;
}

static struct np_flow_event *ev_push(struct np_explog_input *in, const struct conn *c, uint64_t ts,
				     uint8_t type)
{
	struct action *a = act_push(in, ts, ACT_EVENT);

	if (a == NULL)
		return NULL;
	a->ev.type = type;
	a->ev.segment = in->segment;
	a->ev.proto = c->proto;
	a->ev.src = c->src;
	a->ev.dst = c->dst;
	a->ev.sport = c->sport;
	a->ev.dport = c->dport;
	a->ev.ts_ns = ts;
	return &a->ev;
}

static int by_time(const void *a, const void *b)
{
	const struct action *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

#define PUSH(in, c, ts, type)                                         \
	({                                                            \
		struct np_flow_event *ev_ = ev_push(in, c, ts, type); \
		if (ev_ == NULL)                                      \
			return -ENOMEM;                               \
		ev_;                                                  \
	})

static int build_actions(struct np_explog_input *in)
{
	const struct np_explog *log = &in->log;

	for (size_t i = 0; i < log->n; i++) {
		const struct np_explog_entry *e = &log->e[i];
		uint32_t ci = in->conn_of[i];
		struct conn *c;

		if (ci == NONE || e->kind != NP_EXPLOG_SIP)
			continue;
		c = &in->conns[ci];
		if (in->twin[i]) {
			c->has_twin = true;
			if (c->fp_twin[in->dir_of[i]] == NONE)
				c->fp_twin[in->dir_of[i]] = (uint32_t)i;
		}
		if (c->fp_any[in->dir_of[i]] == NONE)
			c->fp_any[in->dir_of[i]] = (uint32_t)i;
	}
	for (size_t i = 0; i < log->n; i++) {
		const struct np_explog_entry *e = &log->e[i];
		uint32_t ci = in->conn_of[i];
		struct np_flow_event *ev;
		struct conn *c;

		if (ci == NONE)
			continue;
		c = &in->conns[ci];
		if (!c->announced) {
			PUSH(in, c, e->ts_ns, NP_FLOW_EV_NEW);
			c->announced = true;
		}
		if (e->kind == NP_EXPLOG_TCP) {
			uint64_t syn = e->ts_ns;

			if (c->connecting != NONE)
				syn = log->e[c->connecting].ts_ns;

			if (e->tcp == NP_EXPLOG_TCP_CONNECTING && c->outcome == OUT_UNANSWERED &&
			    c->connecting == i) {
				ev = PUSH(in, c, e->ts_ns + NP_EXPLOG_CONNECT_TIMEOUT_NS,
					  NP_FLOW_EV_TCP_UNANSWERED);
				ev->unanswered.syn_ns = e->ts_ns;
			} else if (c->outcome_entry == i && c->outcome == OUT_CONNECTED) {
				ev = PUSH(in, c, e->ts_ns, NP_FLOW_EV_TCP_ESTABLISHED);
				ev->est.syn_ns = syn;
				ev->est.synack_ns = e->ts_ns;
			} else if (c->outcome_entry == i && c->outcome == OUT_REFUSED) {
				ev = PUSH(in, c, e->ts_ns, NP_FLOW_EV_TCP_REFUSED);
				ev->refused.syn_ns = syn;
				ev->refused.delay_ns = e->ts_ns - syn;
				ev->refused.reason = NP_FLOW_REFUSED_RST;
			} else if (e->tcp == NP_EXPLOG_TCP_CLOSED) {
				ev = PUSH(in, c, e->ts_ns, NP_FLOW_EV_CLOSED);
				ev->closed.reason = NP_FLOW_CLOSE_FIN;
			}
			continue;
		}
		if (c->outcome_entry == i && c->outcome == OUT_BY_MESSAGE) {
			ev = PUSH(in, c, e->ts_ns, NP_FLOW_EV_TCP_ESTABLISHED);
			ev->est.syn_ns = log->e[c->connecting].ts_ns;
			ev->est.synack_ns = e->ts_ns;
		}
		if ((c->has_twin ? c->fp_twin : c->fp_any)[in->dir_of[i]] == i) {
			ev = PUSH(in, c, e->ts_ns, NP_FLOW_EV_FINGERPRINT);
			ev->dir = in->dir_of[i];
			ev->fp.hash = e->key;
			ev->fp.len = 0;
		}
		{
			struct action *a = act_push(in, e->ts_ns, ACT_SIP);

			if (a == NULL)
				return -ENOMEM;
			a->entry = (uint32_t)i;
		}
	}
	if (in->n_act > 1)
		qsort(in->act, in->n_act, sizeof(in->act[0]), by_time);
	return 0;
}

int np_explog_input_prepare(struct np_explog_input **in, unsigned int n,
			    const uint16_t *server_ports, unsigned int n_server_ports, char *err,
			    size_t errlen)
{
	for (unsigned int i = 0; i < n; i++)
		if (group(in[i], server_ports, n_server_ports) < 0)
			goto oom;
	if (find_twins(in, n) < 0)
		goto oom;
	for (unsigned int i = 0; i < n; i++)
		if (build_actions(in[i]) < 0)
			goto oom;
	return 0;
oom:
	snprintf(err, errlen, "out of memory preparing the Expressway logs");
	return -1;
}

/* ---- run ---------------------------------------------------------------- */

uint64_t np_explog_input_next_ts(const struct np_explog_input *in)
{
	return in->next < in->n_act ? in->act[in->next].ts : UINT64_MAX;
}

/* A logged message through the inspector's SIP stage, as a captured one goes. */
static void deliver_sip(struct np_explog_input *in, const struct np_explog_entry *e, uint8_t dir,
			struct np_det_inspect *ins)
{
	struct np_flow_msg fm = {
		.data = (const uint8_t *)np_explog_text(&in->log, e),
		.len = e->text_len,
		.segment = in->segment,
		.dir = dir,
		.proto = e->proto,
		.flags = NP_FLOW_MSG_F_LOGGED,
		.sport = e->sport,
		.dport = e->dport,
		.src = e->src,
		.dst = e->dst,
		.ts_ns = e->ts_ns,
	};

	if (np_det_inspect_sip(ins, &fm, e->canon_hash) == 0)
		in->st.sip++;
	else
		in->st.sip_bad++;
}

uint64_t np_explog_input_step(struct np_explog_input *in, struct np_det_inspect *ins)
{
	const struct action *a;

	if (in->next >= in->n_act)
		return UINT64_MAX;
	a = &in->act[in->next++];
	if (a->kind == ACT_EVENT) {
		in->st.flow_events++;
		np_det_inspect_event(ins, &a->ev);
	} else {
		deliver_sip(in, &in->log.e[a->entry], in->dir_of[a->entry], ins);
	}
	return a->ts;
}

const struct np_explog_stats *np_explog_input_log_stats(const struct np_explog_input *in)
{
	return &in->log.st;
}

const struct np_explog_input_stats *np_explog_input_stats(const struct np_explog_input *in)
{
	return &in->st;
}

void np_explog_input_close(struct np_explog_input *in)
{
	if (in == NULL)
		return;
	np_explog_free(&in->log);
	free(in->conn_of);
	free(in->dir_of);
	free(in->twin);
	free(in->conns);
	free(in->act);
	free(in);
}
