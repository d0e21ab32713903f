/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_SIP_H
#define NP_SIP_H

/**
 * @file
 * SIP message detection, framing and parsing (RFC 3261 syntax), plus the SDP
 * (RFC 4566) lines natprobe needs: c= and m=.
 *
 * Plain buffers in, plain structs out: no DPDK types. Nothing allocates
 * except the create/clone/destroy functions, nothing reads outside
 * [buf, buf+len), and no function needs the buffer to be NUL-terminated.
 *
 * Usage:
 *  - control side, once at start: np_sip_db_create() loads the Hyperscan
 *    database compiled when natprobe was built (or compiles it, where this
 *    CPU or Hyperscan refuses that one) and makes a prototype scratch;
 *  - each worker at thread init: np_sip_scratch_clone();
 *  - per message: np_sip_looks_like_sip() (signature), np_sip_frame() (TCP
 *    streams), np_sip_parse(); then np_sip_uri_parse() on the values of
 *    interest.
 *
 * Header names are recognised by one Hyperscan block scan over the header
 * section of each message; a plain-C pass then slices the values.
 *
 * Results are views (pointer + length) into the caller's buffer, valid as long
 * as that buffer is, except for folded header values: those are joined into
 * np_sip_msg::join (see there) and point into the np_sip_msg.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <np_pkt.h>

/** Longest header section (start line + headers + empty line) accepted. */
#define NP_SIP_MAX_HDR_LEN 16384u
/** Largest Content-Length accepted; above it the value is an error. */
#define NP_SIP_MAX_BODY_LEN (1u << 20)
/** Recognised header lines recorded per message; more is NP_SIP_E_TOO_MANY_HEADERS. */
#define NP_SIP_MAX_MATCHES 256u
/** Via values kept per message (one header line may hold several). */
#define NP_SIP_MAX_VIA 16u
/** Values kept per address header (Route, Record-Route, Path, Service-Route, Contact). */
#define NP_SIP_MAX_VALUES 16u
/** Warning values kept per message. */
#define NP_SIP_MAX_WARNING 4u
/** Size of the per-message buffer that holds joined folded header values. */
#define NP_SIP_JOIN_LEN 4096u
/** SDP c= lines kept (session and media level together). */
#define NP_SIP_SDP_MAX_C 8u
/** SDP m= lines kept. */
#define NP_SIP_SDP_MAX_M 8u

/** A run of bytes: a view into the parsed buffer (or into np_sip_msg::join). */
struct np_sip_view {
	const char *p; /**< first byte; NULL when absent */
	uint32_t len;  /**< bytes at p; 0 when absent or empty */
};

/**
 * Why a message could not be (fully) parsed or framed. The names returned by
 * np_sip_err_name() are stable: they are used as counter labels.
 */
enum np_sip_err {
	NP_SIP_OK = 0,		     /**< "ok" */
	NP_SIP_E_TRUNCATED,	     /**< "truncated": ends inside the header section or body */
	NP_SIP_E_NO_CRLF,	     /**< "no_crlf": no line terminator at all */
	NP_SIP_E_HEADER_TOO_LONG,    /**< "header_too_long": header section > NP_SIP_MAX_HDR_LEN */
	NP_SIP_E_BAD_CONTENT_LENGTH, /**< "bad_content_length": not a number, negative, too big,
				      *   or two different values */
	NP_SIP_E_BAD_START_LINE,     /**< "bad_start_line": neither request nor status line */
	NP_SIP_E_TOO_MANY_HEADERS, /**< "too_many_headers": > NP_SIP_MAX_MATCHES recognised lines */
	NP_SIP_E_SCAN,		   /**< "scan_error": Hyperscan failed (bad scratch) */
	NP_SIP_E_MAX
};

/** SIP methods natprobe knows by name; any other token is NP_SIP_M_OTHER. */
enum np_sip_method {
	NP_SIP_M_NONE = 0, /**< not a request (a response, or no CSeq method) */
	NP_SIP_M_OTHER,	   /**< a method token not listed here: see the method text */
	NP_SIP_M_INVITE,
	NP_SIP_M_ACK,
	NP_SIP_M_BYE,
	NP_SIP_M_CANCEL,
	NP_SIP_M_REGISTER,
	NP_SIP_M_OPTIONS,
	NP_SIP_M_PRACK,
	NP_SIP_M_SUBSCRIBE,
	NP_SIP_M_NOTIFY,
	NP_SIP_M_PUBLISH,
	NP_SIP_M_INFO,
	NP_SIP_M_REFER,
	NP_SIP_M_MESSAGE,
	NP_SIP_M_UPDATE,
	NP_SIP_M_SERVICE, /**< Cisco Expressway traversal (see the seed failure) */
	NP_SIP_M_MAX
};

/** What a host text turned out to be. */
enum np_sip_host_type {
	NP_SIP_HOST_NONE = 0, /**< no host (tel: URI, empty) */
	NP_SIP_HOST_NAME,     /**< a domain name (or anything that is not an IP literal) */
	NP_SIP_HOST_IPV4,     /**< dotted quad; addr holds it IPv4-mapped */
	NP_SIP_HOST_IPV6,     /**< IPv6 literal ([...] in URIs); addr holds it */
};

/** np_sip_msg::flags: things counted, not errors. */
#define NP_SIP_F_VIA_OVERFLOW (1u << 0)	  /**< more than NP_SIP_MAX_VIA Via values */
#define NP_SIP_F_VALUE_OVERFLOW (1u << 1) /**< an address list exceeded NP_SIP_MAX_VALUES */
#define NP_SIP_F_JOIN_OVERFLOW                                                               \
	(1u << 2)			     /**< np_sip_msg::join full: a folded value kept \
					      *   only its first line */
#define NP_SIP_F_FOLDED (1u << 3)	     /**< at least one folded header line */
#define NP_SIP_F_NO_CONTENT_LENGTH (1u << 4) /**< no Content-Length: body = rest of buffer */
#define NP_SIP_F_COMPACT (1u << 5)	     /**< at least one compact header name (v, m, ...) */
#define NP_SIP_F_BAD_VIA (1u << 6)	     /**< a Via value whose sent-by could not be parsed */
#define NP_SIP_F_BAD_CSEQ (1u << 7)	     /**< CSeq is not "number method" */
#define NP_SIP_F_SDP_OVERFLOW (1u << 8)	     /**< more c=/m= lines than kept */
#define NP_SIP_F_LF_ONLY (1u << 9)	     /**< header section ended with LF LF, not CRLF CRLF */
#define NP_SIP_F_WARNING_OVERFLOW (1u << 10) /**< more than NP_SIP_MAX_WARNING Warning values */
#define NP_SIP_F_DUP_HEADER                                       \
	(1u << 11) /**< a single-value header (From, To, Call-ID, \
		    *   CSeq, ...) repeated; the first one is kept */

/** One Via value: "SIP/2.0/TLS 64.100.0.10:7003;branch=z9hG4bK...;rport". */
struct np_sip_via {
	struct np_sip_view raw;	      /**< the whole value, trimmed */
	struct np_sip_view transport; /**< "UDP", "TCP", "TLS", "WS", ... as written */
	struct np_sip_view host;      /**< sent-by host text (IPv6 without brackets) */
	struct np_sip_view branch;    /**< branch parameter value */
	struct np_sip_view received;  /**< received parameter value (text) */
	struct np_sip_view params;    /**< all parameters, from the first ';' */
	struct np_addr addr;	      /**< sent-by host, when host_type is IPV4/IPV6 */
	struct np_addr received_addr; /**< received, when received_type is IPV4/IPV6 */
	uint16_t port;		      /**< sent-by port; 0 when absent */
	uint16_t rport;		      /**< rport value; 0 when absent or valueless */
	uint8_t host_type;	      /**< enum np_sip_host_type; NONE when unparsable */
	uint8_t received_type;	      /**< enum np_sip_host_type of received */
	bool has_rport;		      /**< rport parameter present (with or without value) */
};

/** Values of one address header in message order: one per comma-separated value. */
struct np_sip_values {
	uint8_t n;				 /**< values kept in v[] */
	uint16_t total;				 /**< values seen (> n when the list overflowed) */
	struct np_sip_view v[NP_SIP_MAX_VALUES]; /**< trimmed values, e.g. "<sip:a@b;lr>" */
};

/** From / To. */
struct np_sip_nameaddr {
	struct np_sip_view raw; /**< whole value, trimmed */
	struct np_sip_view uri; /**< the URI text (inside <> when present) */
	struct np_sip_view tag; /**< tag parameter value; len 0 when absent */
};

/** One Warning value: warn-code SP warn-agent SP warn-text. */
struct np_sip_warning {
	uint16_t code;		  /**< 3-digit code (399 = miscellaneous) */
	struct np_sip_view agent; /**< host[:port] or pseudonym */
	struct np_sip_view text;  /**< quoted text, quotes removed */
};

/** One SDP c= line: "c=IN IP4 192.0.2.1". */
struct np_sip_sdp_conn {
	struct np_sip_view addr_text; /**< connection address as written (no /ttl) */
	struct np_addr addr;	      /**< when type is IPV4/IPV6 */
	uint8_t type;		      /**< enum np_sip_host_type (NAME for FQDN) */
	int8_t media;		      /**< index in np_sip_sdp::m of its m= line; -1 = session */
};

/** One SDP m= line: "m=audio 49170 RTP/AVP 0". */
struct np_sip_sdp_media {
	struct np_sip_view media; /**< "audio", "video", ... */
	struct np_sip_view proto; /**< "RTP/AVP", "UDP/TLS/RTP/SAVPF", ... */
	uint16_t port;		  /**< 0 = disabled stream */
	uint16_t n_ports;	  /**< the /n suffix, 1 when absent */
};

/** What np_sip_sdp_parse() found. */
struct np_sip_sdp {
	uint8_t n_c;			/**< entries kept in c[] */
	uint8_t n_m;			/**< entries kept in m[] */
	bool overflow;			/**< more lines than kept */
	uint8_t o_type;			/**< enum np_sip_host_type of the o= address */
	struct np_sip_view o_addr_text; /**< o= unicast address as written */
	struct np_addr o_addr;		/**< o= address when o_type is IPV4/IPV6 */
	struct np_sip_sdp_conn c[NP_SIP_SDP_MAX_C];
	struct np_sip_sdp_media m[NP_SIP_SDP_MAX_M];
};

/**
 * One parsed SIP message. Large (a few KiB): give each worker one and reuse it;
 * np_sip_parse() resets it cheaply (it does not clear the arrays, only the
 * counts, so read entries only below their count).
 */
struct np_sip_msg {
	uint8_t err;	    /**< enum np_sip_err of the last np_sip_parse() */
	bool is_request;    /**< request (method, ruri) or response (status, reason) */
	bool body_complete; /**< the whole body (Content-Length bytes) is present */
	bool has_content_length;
	uint32_t flags; /**< NP_SIP_F_* */

	uint32_t msg_len;	 /**< bytes this message takes in the buffer (incl. leading
				  *   CRLFs); valid when err is OK */
	uint32_t hdr_len;	 /**< start of the body, from buf */
	uint32_t content_length; /**< Content-Length value, when has_content_length */
	struct np_sip_view body; /**< body bytes present (may be short when truncated) */

	/* start line */
	uint8_t method;			/**< enum np_sip_method; NONE for responses */
	uint16_t status;		/**< 100..699 for responses, else 0 */
	struct np_sip_view method_text; /**< method token as written */
	struct np_sip_view ruri;	/**< Request-URI */
	struct np_sip_view reason;	/**< reason phrase */

	/* single-value headers (first occurrence) */
	struct np_sip_view call_id;
	struct np_sip_view cseq_raw; /**< "4616 SERVICE" */
	uint32_t cseq;		     /**< CSeq number */
	uint8_t cseq_method;	     /**< enum np_sip_method */
	struct np_sip_view cseq_method_text;
	struct np_sip_nameaddr from;
	struct np_sip_nameaddr to;
	struct np_sip_view content_type;       /**< whole value */
	struct np_sip_view content_type_media; /**< "application/sdp" (before ';') */
	struct np_sip_view boundary;	       /**< multipart boundary parameter, quotes removed */
	struct np_sip_view user_agent;
	struct np_sip_view server;
	struct np_sip_view max_forwards;
	struct np_sip_view event;	     /**< Event / o */
	struct np_sip_view supported;	     /**< Supported / k */
	struct np_sip_view subject;	     /**< Subject / s */
	struct np_sip_view content_encoding; /**< Content-Encoding / e */

	uint8_t n_warning;
	struct np_sip_warning warning[NP_SIP_MAX_WARNING];

	/* multi-value headers, message order */
	uint8_t n_via;	    /**< Vias kept in via[] (top Via first) */
	uint16_t via_total; /**< Vias seen */
	struct np_sip_via via[NP_SIP_MAX_VIA];
	struct np_sip_values route;
	struct np_sip_values record_route;
	struct np_sip_values path;
	struct np_sip_values service_route;
	struct np_sip_values contact; /**< Contact / m ("*" is kept as a value) */

	/** SDP from an application/sdp body or the SDP parts of a multipart body. */
	bool has_sdp;
	struct np_sip_sdp sdp;

	/**
	 * Joined folded values. A header value that continues on lines starting
	 * with SP/HT is copied here with each line break (and the white space
	 * around it) replaced by one SP; its views point here. Values that are
	 * not folded are never copied. When full, a folded value keeps only its
	 * first line and NP_SIP_F_JOIN_OVERFLOW is set.
	 */
	uint32_t join_used;
	char join[NP_SIP_JOIN_LEN];
};

/** A parsed SIP (or other) URI, possibly inside a name-addr. */
struct np_sip_uri {
	struct np_sip_view display; /**< display name, quotes removed; len 0 if none */
	struct np_sip_view uri;	    /**< the URI text (what was inside <>) */
	struct np_sip_view scheme;  /**< "sip", "sips", "tel", ... */
	struct np_sip_view user;    /**< user part (before '@'); len 0 if none */
	struct np_sip_view host;    /**< host text, without [] for IPv6 */
	struct np_sip_view params;  /**< URI parameters, from the first ';' (inside <>) */
	struct np_sip_view hparams; /**< header parameters after '>', from the first ';' */
	struct np_addr addr;	    /**< when host_type is IPV4/IPV6 */
	uint16_t port;		    /**< 0 when absent */
	uint8_t host_type;	    /**< enum np_sip_host_type */
	bool angle;		    /**< written inside <> */
};

struct np_sip_db;
struct np_sip_scratch;

/**
 * Compile the Hyperscan database (header names in any case, compact forms,
 * at line starts) and allocate a prototype scratch. Call once, at start, on
 * the control side.
 *
 * @param errbuf  optional (may be NULL): on compile failure receives
 *                "expression N (`...`): reason", NUL-terminated
 * @param errlen  size of @p errbuf
 * @return the database, or NULL with errno set: EINVAL when an expression
 *         does not compile (its index is in @p errbuf), ENOMEM.
 */
struct np_sip_db *np_sip_db_create(char *errbuf, size_t errlen);

/** The header names a database looks for (np_sip_db_create_set()). */
enum np_sip_hdr_set {
	/** every header np_sip_msg has a field for (np_sip_db_create()) */
	NP_SIP_HDRS_ALL = 0,
	/**
	 * what natprobe's inspection, records and dump-sip read: all but
	 * Supported, Subject, Event, Max-Forwards and Content-Encoding (and
	 * their compact forms), whose fields stay empty. Fewer names, fewer
	 * matches: the scan of a typical INVITE ~15 % cheaper. Nor is SDP's
	 * o= line parsed (np_sip_sdp::o_type stays NP_SIP_HOST_NONE): a third
	 * of the SDP's cost, for an address nothing reads.
	 */
	NP_SIP_HDRS_INSPECT,
};

/**
 * np_sip_db_create() for a set of header names: lines with other names are
 * not recognised (not in np_sip_msg, not counted towards
 * NP_SIP_MAX_MATCHES).
 */
struct np_sip_db *np_sip_db_create_set(enum np_sip_hdr_set set, char *errbuf, size_t errlen);

/**
 * How many of @p db's Hyperscan databases (one, or two for
 * NP_SIP_HDRS_INSPECT) were loaded as compiled when natprobe was built
 * rather than compiled at np_sip_db_create_set(): the build serialises them
 * for its own CPU and Hyperscan; another CPU or library version compiles.
 * Either way the same expressions match. 0 for NULL.
 */
unsigned int np_sip_db_prebuilt(const struct np_sip_db *db);

/** Free a database and its prototype scratch. NULL is a no-op. */
void np_sip_db_destroy(struct np_sip_db *db);

/**
 * Clone the prototype scratch for one worker (hs_clone_scratch). Call at
 * worker init; a scratch must be used by one thread at a time.
 *
 * @return the scratch, or NULL with errno set: EINVAL (db NULL), ENOMEM.
 */
struct np_sip_scratch *np_sip_scratch_clone(const struct np_sip_db *db);

/** Free a scratch. NULL is a no-op. */
void np_sip_scratch_destroy(struct np_sip_scratch *s);

/**
 * Cheap signature test on the first line of @p buf: a request line
 * "METHOD SP uri-with-scheme SP SIP/2.0" (METHOD: 2..32 upper-case letters
 * or '-') or a status line "SIP/2.0 SP [1-6]DD SP". Leading CR/LF are
 * skipped (stream keep-alives). Looks at most at the first 1024 bytes.
 * Rejects SSDP / HTTP ("NOTIFY * HTTP/1.1").
 *
 * @return true when it looks like the start of a SIP message.
 */
static inline bool np_sip_looks_like_sip(const uint8_t *buf, size_t len);

/** The out-of-line part of np_sip_looks_like_sip(); call that instead. */
bool np_sip_looks_like_sip_slow(const uint8_t *buf, size_t len);

static inline bool np_sip_looks_like_sip(const uint8_t *buf, size_t len)
{
	/* every SIP start is CR/LF, an upper-case letter or '-': RTP (0x80),
	 * STUN (0x00/0x01), TLS (0x14..0x18) and most binary payloads stop here */
	if (!buf || !len)
		return false;
	if (!((buf[0] >= 'A' && buf[0] <= 'Z') || buf[0] == '-' || buf[0] == '\r' ||
	      buf[0] == '\n'))
		return false;
	return np_sip_looks_like_sip_slow(buf, len);
}

/** np_sip_frame() results. */
enum np_sip_frame_rc {
	NP_SIP_FRAME_NEED_MORE = 0, /**< no complete message yet; keep the bytes */
	NP_SIP_FRAME_COMPLETE,	    /**< one message of msg_len bytes is present */
	NP_SIP_FRAME_KEEPALIVE,	    /**< the buffer starts with msg_len CR/LF bytes
				     *   (RFC 5626 keep-alive); drop them, call again */
	NP_SIP_FRAME_ERROR,	    /**< unframable; err says why; resynchronise */
};

/** np_sip_frame_info::flags */
#define NP_SIP_FRAME_F_NO_CONTENT_LENGTH (1u << 0) /**< absent: taken as 0 (count it) */
#define NP_SIP_FRAME_F_LF_ONLY (1u << 1)	   /**< header section ended with LF LF */

/** What np_sip_frame() found. */
struct np_sip_frame_info {
	uint32_t hdr_len;  /**< start line + headers + empty line */
	uint32_t body_len; /**< Content-Length (0 when absent) */
	uint32_t msg_len;  /**< bytes to consume: hdr_len + body_len, or the keep-alive length */
	uint8_t err;	   /**< enum np_sip_err, for NP_SIP_FRAME_ERROR; else NP_SIP_OK */
	uint8_t flags;	   /**< NP_SIP_FRAME_F_* */
};

/**
 * Find the extent of the first SIP message in a stream buffer (TCP
 * reassembly). Finds the end of the header section (CRLF CRLF, or LF LF),
 * checks the start line (np_sip_looks_like_sip(), so a stream's framer asks
 * it once per message, here), then reads Content-Length (or compact "l"); a
 * missing Content-Length is taken as 0 and flagged. Does not need the
 * database.
 *
 * @param buf  stream bytes, starting where the previous message ended
 * @param len  bytes at @p buf
 * @param fi   filled in (hdr_len and body_len also with NEED_MORE once the
 *             header section is complete: body_len bytes are still missing)
 * @return enum np_sip_frame_rc. ERROR kinds in fi->err:
 *         NP_SIP_E_HEADER_TOO_LONG (no end of headers within
 *         NP_SIP_MAX_HDR_LEN bytes), NP_SIP_E_BAD_START_LINE (the header
 *         section does not start like a SIP message; hdr_len 0),
 *         NP_SIP_E_BAD_CONTENT_LENGTH (not a decimal number, negative,
 *         above NP_SIP_MAX_BODY_LEN, or two different values; hdr_len set:
 *         the start line is good).
 */
int np_sip_frame(const uint8_t *buf, size_t len, struct np_sip_frame_info *fi);

/**
 * Parse one SIP message: start line, the headers listed in struct
 * np_sip_msg, and SDP in the body (application/sdp, or inside multipart bodies).
 *
 * For a datagram pass the whole payload; for a stream, the bytes framed by
 * np_sip_frame(). Leading CR/LF are skipped. With no Content-Length the body
 * is the rest of the buffer; bytes after Content-Length are not part of the
 * message (see msg_len).
 *
 * @param db   from np_sip_db_create()
 * @param s    this thread's scratch
 * @param buf  message bytes (need not be NUL-terminated; may contain NULs)
 * @param len  bytes at @p buf
 * @param out  filled in; views point into @p buf or out->join
 * @return 0, or a negative errno with out->err set to the kind:
 *   -EINVAL   an argument is NULL (out->err untouched when out is NULL)
 *   -EAGAIN   NP_SIP_E_TRUNCATED: the buffer ends inside the header section
 *             (the complete header lines before the cut are parsed) or inside
 *             the body (all headers parsed, body partial, no SDP)
 *   -EBADMSG  NP_SIP_E_NO_CRLF (no LF in the buffer: nothing parsed),
 *             NP_SIP_E_BAD_START_LINE (nothing parsed),
 *             NP_SIP_E_BAD_CONTENT_LENGTH (all headers parsed, body unknown)
 *   -EMSGSIZE NP_SIP_E_HEADER_TOO_LONG (only the start line parsed)
 *   -E2BIG    NP_SIP_E_TOO_MANY_HEADERS (the first NP_SIP_MAX_MATCHES
 *             recognised header lines parsed, no body)
 *   -EIO      NP_SIP_E_SCAN (Hyperscan error; only the start line parsed)
 */
int np_sip_parse(const struct np_sip_db *db, struct np_sip_scratch *s, const uint8_t *buf,
		 size_t len, struct np_sip_msg *out);

/**
 * np_sip_parse() for the inspector: the same return value, err, flags that
 * matter to it and fields, except what a summary (np_det_sip_summarise())
 * and the inspector's counters never read, which is left out:
 *  - From is not parsed (np_sip_msg::from stays empty); with a database of
 *    NP_SIP_HDRS_INSPECT it is not even looked for: a second Hyperscan
 *    database without it, compiled at np_sip_db_create_set(), scans;
 *  - the Vias below the top one keep their sent-by (raw, transport, host,
 *    addr, port, host_type) and params text, not branch, received or rport;
 *  - received is kept as text (np_sip_via::received_type stays NONE);
 *  - the Content-Type's boundary only for multipart bodies (the SDP in them
 *    is found as np_sip_parse() finds it).
 * Where scanning without From could change anything else (more header
 * lines than NP_SIP_MAX_MATCHES, or a header section longer than
 * NP_SIP_JOIN_LEN, where folded values compete for the join buffer), the
 * full set scans. dump-sip and HEP export read the full parse.
 */
int np_sip_parse_inspect(const struct np_sip_db *db, struct np_sip_scratch *s, const uint8_t *buf,
			 size_t len, struct np_sip_msg *out);

/**
 * Parse an address value: a name-addr ("Name" <sip:u@h:p;uparams>;hparams),
 * an addr-spec (sip:u@h:p;params), a Request-URI, with or without a display
 * name. IPv4 literals and [IPv6] literals are converted to np_addr.
 *
 * Without <>, the parameters after the host cannot be told apart (RFC 3261
 * §20: header parameters in a header field, URI parameters in a Request-URI);
 * they are all put in params. np_sip_uri_param() searches both.
 *
 * @return 0; -EINVAL when there is no "scheme:" part, a '<' is not closed,
 *         an IPv6 literal or the port is malformed (fields already found
 *         stay set).
 */
int np_sip_uri_parse(struct np_sip_view v, struct np_sip_uri *u);

/**
 * Look up a URI parameter ("transport", "lr", "maddr", ...) in u->params, then
 * in u->hparams. Names compare case-insensitively.
 *
 * @param val  optional: the value (len 0 for a valueless parameter like lr)
 * @return true when present.
 */
bool np_sip_uri_param(const struct np_sip_uri *u, const char *name, struct np_sip_view *val);

/**
 * Look up @p name in a ";a=b;c;d=\"x;y\"" parameter list (leading text up to
 * the first ';' is ignored; quoted values may contain ';').
 *
 * @param val  optional: the value, quotes kept (len 0 when valueless)
 * @return true when present.
 */
bool np_sip_param_find(struct np_sip_view params, const char *name, struct np_sip_view *val);

/**
 * Classify a host text: dotted-quad IPv4, IPv6 (with or without []), or name.
 *
 * @param a  set for IPV4/IPV6 (IPv4-mapped for IPv4)
 * @return enum np_sip_host_type (NONE when @p v is empty).
 */
int np_sip_host_parse(struct np_sip_view v, struct np_addr *a);

/**
 * Parse an SDP body: c= lines (session and media level), m= lines, the o=
 * address. Lines may end with CRLF or LF. Resets @p sdp first.
 *
 * @return 0 when at least one "x=" SDP line was seen, -EBADMSG otherwise,
 *         -EINVAL when an argument is NULL.
 */
int np_sip_sdp_parse(const uint8_t *body, size_t len, struct np_sip_sdp *sdp);

/** Stable lower-case error kind name ("truncated", ...); "unknown" when out of range. */
const char *np_sip_err_name(unsigned int err);

/** Method name in upper case ("INVITE"); "" for NONE, "OTHER" for OTHER. */
const char *np_sip_method_name(unsigned int m);

/** Method from its token (case-sensitive as RFC 3261 says). @return enum np_sip_method. */
int np_sip_method_from(const char *p, size_t len);

/** True when @p v equals the C string @p s, ignoring ASCII case. */
bool np_sip_view_eq_ci(struct np_sip_view v, const char *s);

#endif /* NP_SIP_H */
