/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NP_OFFLINE_INTERNAL_H
#define NP_OFFLINE_INTERNAL_H

/*
 * What offline_inputs.c (arguments, opening, naming segments) and offline.c
 * (reading, reporting) share: the state behind struct np_offline.
 */

#include "np_offline.h"

#define DIR_SLOTS 1024 /* flows remembered per source for the two-wire test */
#define TKEYS_MAX 4    /* tunnels named in the "one segment" warning */

enum sel_kind {
	SEL_NONE = 0,
	SEL_IFACE_INDEX,
	SEL_IFACE_NAME,
	SEL_TUNNEL
};

/* One argument: [SEG=]FILE[#SELECTOR]. */
struct np_offline_map {
	char *arg; /* as given, for messages */
	char *path;
	char seg_name[NP_NAME_MAX + 1];
	bool named;  /* SEG= given */
	uint8_t sel; /* enum sel_kind */
	unsigned int sel_index;
	char sel_name[NP_PCAPNG_NAME_MAX];
	struct np_tunnel_key key;
	int segment; /* -1 until resolved */
	unsigned int input;
};

/* One file feeding one segment: the unit of the two-wire test. */
struct src {
	unsigned int input;
	uint64_t first, last, frames;
	bool bidi; /* some flow seen in both directions */
	bool dir_full;
	unsigned int dir_used;
	uint64_t *dir_key; /* DIR_SLOTS flow keys, 0 = free */
	uint8_t *dir_bits; /* 1: seen from the lower endpoint, 2: from the higher */
};

/*
 * A message input: an input that is not a capture (frames) but messages and
 * connection events with their times, read in time order beside the
 * captures and handed to the inspector's SIP stage (np_det_inspect_sip /
 * np_det_inspect_event, lib/inspect). sources.c holds them; a new kind of
 * input is one more np_offline_source there and its row in
 * np_offline_sources[]. Each hook gets the instance open() returned.
 */
struct np_offline_source {
	const char *what; /* "Expressway log": the read report's words */
	/*
	 * Read @p f (the input from its first byte; the caller closes it) for
	 * @p segment. NULL with *not_mine set: not this kind, the next source
	 * is tried; NULL otherwise: a one-line reason in @p err.
	 */
	void *(*open)(FILE *f, const char *name, uint8_t segment, bool *not_mine, char *err,
		      size_t errlen);
	/* Once every input is open: all instances of this source. 0 or -1 (@p err). */
	int (*prepare)(void *const *inst, unsigned int n, const struct np_conf *c, char *err,
		       size_t errlen);
	uint64_t (*next_ts)(const void *inst); /* next event's time, UINT64_MAX at the end */
	uint64_t (*step)(void *inst, struct np_det_inspect *ins); /* deliver it: its time */
	void (*warn)(const void *inst, const char *name); /* after the run: np_err() lines */
	/* the read report's words after "NAME: ", without a newline */
	void (*report)(const void *inst, FILE *f);
	void (*close)(void *inst);
};

/* sources.c: every message input, in the order they are tried; NULL ends it. */
extern const struct np_offline_source *const np_offline_sources[];

struct np_offline_seg {
	bool auto_named;
	bool multi; /* fed by several files: the two-wire test applies */
	uint64_t first, last, frames;
	unsigned int n_src, cap_src;
	struct src *src;
	unsigned int n_tkeys; /* distinct tunnels merged by a SEG=FILE (warning) */
	struct np_tunnel_key tkeys[TKEYS_MAX];
};

struct np_offline_input {
	const char *path;
	const char *name;		     /* for messages: "standard input" for "-" */
	int cap;			     /* capture number, -1 for a log */
	const struct np_offline_source *src; /* a message input: its kind, */
	void *msg;			     /* and its instance; NULL for a capture */
	int default_map;		     /* the map without selector, -1 when none */
	bool auto_named;		     /* its default map has no SEG= */
	bool has_sel;			     /* some map selects a part */
	int *iface_seg;			     /* per interface: segment, -1 not read */
	unsigned int n_iface_seg;
	unsigned int n_iface_open; /* interfaces known when it was opened */
	char ambiguous[320];	   /* interfaces that could not be told apart */
	uint64_t unselected;	   /* frames no selector took */
	uint64_t late_skipped;	   /* frames of interfaces described after the first frame */
	uint64_t seg_frames[NP_OFFLINE_MAX_SEGMENTS];
	char seg_label[NP_OFFLINE_MAX_SEGMENTS][48]; /* "interface 1 eth2", "vni=100" */
};

/* HEP over TCP connections a capture is followed in at once (np_hep_tcp.h). */
#define NP_OFFLINE_HEP_STREAMS 256

/* offline.c: a HEP packet cut from a TCP connection to hep.port (np_hep_tcp_fn). */
void np_offline_hep_tcp_packet(void *ctx, const uint8_t *p, size_t n, uint64_t ts_ns);

/* offline_inputs.c */
bool np_off_is_digit(char c);
void np_off_file_stem(const char *path, char *out, size_t len);
size_t np_off_digit_stem_len(const char *name);
int np_off_seg_find(const struct np_offline *o, const char *name);
int np_off_seg_get(struct np_offline *o, const char *name, bool auto_named);
const char *np_off_iface_label(const struct np_capture_iface *ifc, unsigned int i, char *buf,
			       size_t len);
void np_off_iface_seg_name(const struct np_capture_iface *ifc, char *out, size_t len);
int np_off_set_iface_seg(struct np_offline_input *in, unsigned int i, int seg);

#endif /* NP_OFFLINE_INTERNAL_H */
