/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/sip: any byte string is a SIP datagram or the
 * start of a stream. Runs detection, framing, parsing, then URI parsing on
 * every address value and SDP parsing on the body. Besides the sanitizers'
 * checks, it aborts when a result breaks the contract in np_sip.h (views
 * outside the buffer or the join area, counts above their maximums, ...).
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "np_inspect.h"
#include "np_sip.h"

#define CHECK(c)                 \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct np_sip_db *db;
static struct np_sip_scratch *scratch;
static struct np_sip_msg msg;
/* the inspection's set of header names (NP_SIP_HDRS_INSPECT) */
static struct np_sip_db *idb;
static struct np_sip_scratch *iscratch;
static struct np_sip_msg imsg;
/* np_sip_parse_inspect() of the same bytes, and the summaries of both */
static struct np_sip_msg lmsg;
static struct np_det_sip isum, lsum;
static uint8_t ipacked[sizeof(struct np_det_sip)], lpacked[sizeof(struct np_det_sip)];

static const uint8_t *g_buf;
static size_t g_len;

static void check_view(struct np_sip_view v)
{
	const char *b = (const char *)g_buf;

	if (!v.p) {
		CHECK(v.len == 0);
		return;
	}
	if (v.p >= msg.join && v.p <= msg.join + NP_SIP_JOIN_LEN) {
		CHECK(v.p + v.len <= msg.join + msg.join_used);
		return;
	}
	CHECK(v.p >= b && v.p + v.len <= b + g_len);
}

static void check_uri(struct np_sip_view v)
{
	struct np_sip_uri u;
	struct np_sip_view pv;

	check_view(v);
	(void)np_sip_uri_parse(v, &u);
	check_view(u.display);
	check_view(u.uri);
	check_view(u.scheme);
	check_view(u.user);
	check_view(u.host);
	check_view(u.params);
	check_view(u.hparams);
	CHECK(u.host_type <= NP_SIP_HOST_IPV6);
	if (np_sip_uri_param(&u, "transport", &pv))
		check_view(pv);
	if (np_sip_uri_param(&u, "lr", &pv))
		check_view(pv);
}

static void check_values(const struct np_sip_values *l)
{
	CHECK(l->n <= NP_SIP_MAX_VALUES && l->n <= l->total);
	for (unsigned int i = 0; i < l->n; i++)
		check_uri(l->v[i]);
}

static void check_sdp(const struct np_sip_sdp *sdp)
{
	CHECK(sdp->n_c <= NP_SIP_SDP_MAX_C && sdp->n_m <= NP_SIP_SDP_MAX_M);
	for (unsigned int i = 0; i < sdp->n_c; i++) {
		check_view(sdp->c[i].addr_text);
		CHECK(sdp->c[i].media >= -1);
	}
	for (unsigned int i = 0; i < sdp->n_m; i++) {
		check_view(sdp->m[i].media);
		check_view(sdp->m[i].proto);
	}
	check_view(sdp->o_addr_text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np_sip_frame_info fi;
	int rc;

	if (!db) {
		db = np_sip_db_create(NULL, 0);
		scratch = db ? np_sip_scratch_clone(db) : NULL;
		idb = np_sip_db_create_set(NP_SIP_HDRS_INSPECT, NULL, 0);
		iscratch = idb ? np_sip_scratch_clone(idb) : NULL;
		CHECK(db && scratch && idb && iscratch);
	}
	g_buf = data;
	g_len = size;

	(void)np_sip_looks_like_sip(data, size);

	rc = np_sip_frame(data, size, &fi);
	CHECK(rc >= NP_SIP_FRAME_NEED_MORE && rc <= NP_SIP_FRAME_ERROR);
	if (rc == NP_SIP_FRAME_COMPLETE || rc == NP_SIP_FRAME_KEEPALIVE)
		CHECK(fi.msg_len > 0 && fi.msg_len <= size);
	if (rc == NP_SIP_FRAME_COMPLETE) {
		CHECK(fi.hdr_len <= NP_SIP_MAX_HDR_LEN && fi.body_len <= NP_SIP_MAX_BODY_LEN);
		CHECK(fi.msg_len == fi.hdr_len + fi.body_len);
	}
	if (rc == NP_SIP_FRAME_ERROR)
		CHECK(fi.err != NP_SIP_OK && fi.err < NP_SIP_E_MAX);

	rc = np_sip_parse(db, scratch, data, size, &msg);
	CHECK(rc <= 0);
	CHECK(msg.err < NP_SIP_E_MAX);
	CHECK((rc == 0) == (msg.err == NP_SIP_OK));
	CHECK(msg.join_used <= NP_SIP_JOIN_LEN);
	if (rc == 0) {
		CHECK(msg.msg_len <= size && msg.hdr_len <= msg.msg_len);
		CHECK(msg.is_request ? msg.method != NP_SIP_M_NONE
				     : (msg.status >= 100 && msg.status <= 699));
		/* a message that parses frames the same way on a stream */
		if (msg.has_content_length &&
		    np_sip_frame(data, size, &fi) == NP_SIP_FRAME_COMPLETE)
			CHECK(fi.msg_len == msg.msg_len);
	}
	check_view(msg.method_text);
	check_uri(msg.ruri);
	check_view(msg.reason);
	check_view(msg.call_id);
	check_view(msg.cseq_raw);
	check_view(msg.from.raw);
	check_view(msg.from.tag);
	check_uri(msg.from.uri);
	check_view(msg.to.tag);
	check_view(msg.content_type);
	check_view(msg.boundary);
	check_view(msg.body);
	CHECK(msg.n_via <= NP_SIP_MAX_VIA && msg.n_via <= msg.via_total);
	for (unsigned int i = 0; i < msg.n_via; i++) {
		check_view(msg.via[i].raw);
		check_view(msg.via[i].host);
		check_view(msg.via[i].branch);
		check_view(msg.via[i].received);
		check_view(msg.via[i].transport);
	}
	CHECK(msg.n_warning <= NP_SIP_MAX_WARNING);
	for (unsigned int i = 0; i < msg.n_warning; i++) {
		check_view(msg.warning[i].agent);
		check_view(msg.warning[i].text);
	}
	check_values(&msg.route);
	check_values(&msg.record_route);
	check_values(&msg.path);
	check_values(&msg.service_route);
	check_values(&msg.contact);
	if (msg.has_sdp)
		check_sdp(&msg.sdp);

	/*
	 * The inspection's set: what it reads comes out as with every name,
	 * whenever the full parse succeeded without running out of room for
	 * folded values (the set joins fewer, so it may keep more).
	 */
	{
		int irc = np_sip_parse(idb, iscratch, data, size, &imsg);

		CHECK(irc <= 0);
		if (rc == 0 && !(msg.flags & NP_SIP_F_JOIN_OVERFLOW)) {
			CHECK(irc == 0);
			CHECK(imsg.is_request == msg.is_request && imsg.method == msg.method &&
			      imsg.status == msg.status && imsg.cseq == msg.cseq);
			CHECK(imsg.n_via == msg.n_via && imsg.via_total == msg.via_total);
			CHECK(imsg.contact.total == msg.contact.total &&
			      imsg.route.total == msg.route.total &&
			      imsg.record_route.total == msg.record_route.total &&
			      imsg.path.total == msg.path.total);
			CHECK(imsg.call_id.len == msg.call_id.len);
			CHECK(imsg.has_content_length == msg.has_content_length &&
			      imsg.content_length == msg.content_length &&
			      imsg.msg_len == msg.msg_len);
			CHECK(imsg.has_sdp == msg.has_sdp && imsg.sdp.n_c == msg.sdp.n_c &&
			      imsg.sdp.n_m == msg.sdp.n_m);
			CHECK(imsg.max_forwards.p == NULL && imsg.subject.p == NULL);
		}

		/*
		 * The inspector's lighter parse: the same outcome and, whatever
		 * the bytes, the same summary (every field, hashes included).
		 */
		int lrc = np_sip_parse_inspect(idb, iscratch, data, size, &lmsg);
		size_t ilen, llen;

		CHECK(lrc == irc && lmsg.err == imsg.err && lmsg.hdr_len == imsg.hdr_len &&
		      lmsg.msg_len == imsg.msg_len && lmsg.is_request == imsg.is_request &&
		      lmsg.method == imsg.method && lmsg.status == imsg.status);
		np_det_sip_summarise(&imsg, data,
				     imsg.msg_len && imsg.msg_len <= size ? imsg.msg_len : size,
				     &isum);
		np_det_sip_summarise(&lmsg, data,
				     lmsg.msg_len && lmsg.msg_len <= size ? lmsg.msg_len : size,
				     &lsum);
		ilen = np_det_sip_pack(&isum, ipacked);
		llen = np_det_sip_pack(&lsum, lpacked);
		CHECK(ilen == llen && memcmp(ipacked, lpacked, ilen) == 0);
	}

	/* the same bytes as a bare SDP body */
	{
		static struct np_sip_sdp sdp;
		struct np_addr a;

		(void)np_sip_sdp_parse(data, size, &sdp);
		check_sdp(&sdp);
		(void)np_sip_host_parse((struct np_sip_view){ (const char *)data,
							      size > 64 ? 64 : (uint32_t)size },
					&a);
	}
	return 0;
}
