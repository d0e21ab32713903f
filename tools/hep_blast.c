/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hep_blast: send pre-encoded HEPv3 packets at a HEP listener, for
 * tools/bench_hep (docs/performance.md, "HEP input").
 *
 *   hep_blast -t udp|tcp -d ADDRESS:PORT -f PACKETS -s SECONDS [-r RATE] [-n MAX]
 *
 * PACKETS holds records of: a 16-bit big-endian length, a 16-bit big-endian
 * offset of a 6-character tag in the packet (0xffff: none), the packet. Each
 * pass over the file writes the pass number (hex) into every tag, so that
 * every pass is new SIP to the receiver (tools/bench_hep puts the tag in the
 * Call-ID), and every packet's HEP time chunks (0x0009, 0x000a) are set to
 * the time it is sent. It sends for SECONDS at most, MAX packets at most
 * (0: no limit), at RATE packets per second (0: as fast as the socket
 * takes them; UDP: sendmmsg() in bursts of 32, TCP: one write per burst,
 * blocking, so that TCP measures what the receiver reads). Prints one JSON
 * line: packets and bytes sent, send errors, the seconds it took.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define BURST 32
#define MAX_PKTS 1000000
#define TAG_LEN 6

struct pkt {
	uint8_t *p;
	uint16_t len;
	uint16_t tag;		  /* 0xffff: none */
	uint16_t ts_sec, ts_usec; /* offsets of the time chunks' values; 0: none */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Offsets of the time chunks' values in a HEPv3 packet (vendor 0, types 9 and 10). */
static void find_ts(struct pkt *k)
{
	size_t off = 6;

	while (off + 6 <= k->len) {
		uint16_t vendor = (uint16_t)(k->p[off] << 8 | k->p[off + 1]);
		uint16_t type = (uint16_t)(k->p[off + 2] << 8 | k->p[off + 3]);
		uint16_t clen = (uint16_t)(k->p[off + 4] << 8 | k->p[off + 5]);

		if (clen < 6 || off + clen > k->len)
			return;
		if (vendor == 0 && type == 9 && clen == 10)
			k->ts_sec = (uint16_t)(off + 6);
		if (vendor == 0 && type == 10 && clen == 10)
			k->ts_usec = (uint16_t)(off + 6);
		off += clen;
	}
}

static int load(const char *path, struct pkt **out)
{
	FILE *f = fopen(path, "rb");
	struct pkt *v;
	int n = 0;
	uint8_t hdr[4];

	if (f == NULL) {
		fprintf(stderr, "hep_blast: %s: %s\n", path, strerror(errno));
		return -1;
	}
	v = calloc(MAX_PKTS, sizeof(*v));
	while (v != NULL && n < MAX_PKTS && fread(hdr, 1, 4, f) == 4) {
		struct pkt *k = &v[n];

		k->len = (uint16_t)(hdr[0] << 8 | hdr[1]);
		k->tag = (uint16_t)(hdr[2] << 8 | hdr[3]);
		k->p = malloc(k->len);
		if (k->p == NULL || k->len < 6 || fread(k->p, 1, k->len, f) != k->len ||
		    (k->tag != 0xffff && (size_t)k->tag + TAG_LEN > k->len)) {
			fprintf(stderr, "hep_blast: %s: record %d is not whole\n", path, n);
			fclose(f);
			return -1;
		}
		find_ts(k);
		n++;
	}
	fclose(f);
	if (n == 0) {
		fprintf(stderr, "hep_blast: %s: no packets\n", path);
		return -1;
	}
	*out = v;
	return n;
}

static void stamp(struct pkt *k, unsigned long pass)
{
	static const char hex[] = "0123456789abcdef";
	struct timespec ts;

	if (k->tag != 0xffff)
		for (int i = 0; i < TAG_LEN; i++)
			k->p[k->tag + i] = (uint8_t)hex[(pass >> (4 * (TAG_LEN - 1 - i))) & 15];
	clock_gettime(CLOCK_REALTIME, &ts);
	if (k->ts_sec)
		put32(k->p + k->ts_sec, (uint32_t)ts.tv_sec);
	if (k->ts_usec)
		put32(k->p + k->ts_usec, (uint32_t)(ts.tv_nsec / 1000));
}

int main(int argc, char **argv)
{
	const char *proto = "udp", *dest = NULL, *file = NULL;
	double seconds = 0, rate = 0, t0, t1;
	unsigned long long max = 0, sent = 0, bytes = 0, errors = 0;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct mmsghdr msg[BURST];
	struct iovec iov[BURST];
	static uint8_t tcpbuf[BURST * 65536];
	struct pkt *pk;
	int opt, n, fd, next = 0;
	unsigned long pass = 0;
	bool tcp;
	char host[64];
	char *colon;

	while ((opt = getopt(argc, argv, "t:d:f:s:r:n:")) != -1) {
		switch (opt) {
		case 't':
			proto = optarg;
			break;
		case 'd':
			dest = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 's':
			seconds = atof(optarg);
			break;
		case 'r':
			rate = atof(optarg);
			break;
		case 'n':
			max = strtoull(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (dest == NULL || file == NULL || seconds <= 0 || seconds > 600 ||
	    (strcmp(proto, "udp") != 0 && strcmp(proto, "tcp") != 0))
		goto usage;
	tcp = strcmp(proto, "tcp") == 0;
	snprintf(host, sizeof(host), "%s", dest);
	colon = strrchr(host, ':');
	if (colon == NULL)
		goto usage;
	*colon = '\0';
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		goto usage;
	n = load(file, &pk);
	if (n < 0)
		return 1;
	fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "hep_blast: %s %s: %s\n", proto, dest, strerror(errno));
		return 1;
	}
	if (tcp) {
		int one = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	t0 = now_s();
	for (;;) {
		unsigned int b = 0;
		size_t tl = 0;
		double t = now_s();

		if (t - t0 >= seconds || (max > 0 && sent >= max))
			break;
		if (rate > 0 && (double)sent > (t - t0) * rate) { /* ahead: wait for the pace */
			double ahead = (double)sent / rate - (t - t0);
			struct timespec d = { 0, (long)(ahead * 1e9) };

			if (ahead > 0.0005)
				nanosleep(&d, NULL);
			continue;
		}
		for (; b < BURST && (max == 0 || sent + b < max); b++) {
			struct pkt *k = &pk[next];

			stamp(k, pass);
			if (tcp) {
				memcpy(tcpbuf + tl, k->p, k->len);
				tl += k->len;
			} else {
				iov[b].iov_base = k->p;
				iov[b].iov_len = k->len;
				memset(&msg[b], 0, sizeof(msg[b]));
				msg[b].msg_hdr.msg_iov = &iov[b];
				msg[b].msg_hdr.msg_iovlen = 1;
			}
			if (++next == n) {
				next = 0;
				pass++;
			}
		}
		if (tcp) {
			size_t off = 0;

			while (off < tl) {
				ssize_t w = write(fd, tcpbuf + off, tl - off);

				if (w < 0) {
					if (errno == EINTR)
						continue;
					fprintf(stderr, "hep_blast: write: %s\n", strerror(errno));
					goto done;
				}
				off += (size_t)w;
			}
			sent += b;
			bytes += tl;
		} else {
			unsigned int i = 0;

			while (i < b) {
				int r = sendmmsg(fd, msg + i, b - i, 0);

				if (r < 0) { /* ECONNREFUSED (nobody listens), ENOBUFS: counted */
					errors++;
					i++;
					continue;
				}
				for (int j = 0; j < r; j++)
					bytes += msg[i + j].msg_len;
				sent += (unsigned int)r;
				i += (unsigned int)r;
			}
		}
	}
done:
	t1 = now_s();
	close(fd);
	printf("{\"transport\": \"%s\", \"packets\": %llu, \"bytes\": %llu, \"errors\": %llu, "
	       "\"seconds\": %.3f, \"passes\": %lu, \"distinct\": %d}\n",
	       proto, sent, bytes, errors, t1 - t0, pass, n);
	return 0;
usage:
	fprintf(stderr,
		"usage: hep_blast -t udp|tcp -d ADDRESS:PORT -f PACKETS -s SECONDS (1..600) "
		"[-r RATE] [-n MAX]\n");
	return 2;
}
