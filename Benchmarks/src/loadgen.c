/*
 * loadgen: load generator for a realtime WebSocket endpoint (the Switchboard hub, the
 * reference relay, or the echo model directly).
 *
 * Its own single-threaded epoll client with a minimal RFC 6455 implementation: masked
 * client frames (fresh key per frame), fragmented and large server frames, ping/pong and
 * close. No allocation per frame; per connection only the buffers it turns out to need.
 *
 * Modes
 *   latency (default):  loadgen URL --sessions N [--rate 50] [--warmup 5] [--duration 20]
 *       Opens N sessions (at most --concurrency connecting at once), waits for each one's
 *       first server event, then every session sends input_audio_buffer.append events
 *       ({"type":"input_audio_buffer.append","event_id":"<session>-<seq>","audio":"<base64>"},
 *       ~1 KB with the default 750 audio bytes) at --rate per second on an absolute
 *       schedule: send j is due at t0 + (j / N) * period + (j % N) * period / N, so session
 *       phases are spread evenly over the period and nothing drifts. Each
 *       response.output_audio.delta is matched by its event_id to the append's send time;
 *       every other event is ignored. Sends due during the warm-up are not counted. Prints
 *       JSON: sent, received, lost, latency percentiles, and the send lag (how late the
 *       generator sent against its schedule, which shows whether it kept up).
 *   idle:       loadgen URL --idle N [--hold S]
 *       Opens N sessions, waits for each one's first event, reports how long that took,
 *       then holds them (answering pings) for S seconds or until SIGTERM/SIGINT, and
 *       reports how many were still open.
 *   open rate:  loadgen URL --open-rate N [--concurrency C]
 *       Opens N sessions, at most C in flight; each counts when its first server event
 *       arrives and is then closed. Reports sessions opened per second.
 *
 * --watch LABEL=PID (repeatable): reads /proc/PID/stat (utime+stime) and VmRSS at the start
 * and the end of the measurement window (latency mode), or before opening and once all
 * sessions are open (idle mode), and reports CPU time, CPU per relayed frame and RSS.
 * Relayed frames = appends sent + deltas received inside the window.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include "common.h"

#define RING 512              /* sends remembered per session: ~10 s at 50/s */
#define GBUF (256 * 1024)     /* shared read buffer */
#define MAX_MSG (1u << 20)    /* largest server message accepted (1 MiB) */
#define MAX_FRAME_BUF (MAX_MSG + 64 * 1024)
#define MAX_WATCH 4

enum { M_LATENCY, M_IDLE, M_OPENRATE };
enum { C_NEW, C_CONNECTING, C_HANDSHAKE, C_OPEN, C_CLOSED };

struct track {
	uint64_t ts;   /* send time, 0 = answered or never sent */
	uint32_t seq;
	uint32_t measured;
};

struct conn {
	int fd;
	uint32_t idx;
	uint8_t state, ready, want_out, in_frag, closing;
	uint8_t *rb; /* bytes not yet parsed (a partial frame or the handshake) */
	uint32_t rlen, rcap;
	uint8_t *mb; /* a fragmented message being put together */
	uint32_t mlen, mcap;
	uint8_t *wb; /* bytes the socket did not take yet */
	uint32_t wlen, woff, wcap;
	char key[32];
	uint64_t t_start, t_ready;
	uint32_t seq;
	struct track *tr;
};

struct watch {
	char label[32];
	int pid;
	double cpu0, cpu1;
	long rss0, rss1;
	int ok0, ok1;
};

/* ---------------------------------------------------------------- options and state */
static int mode = M_LATENCY;
static const char *url;
static char host[256], hosthdr[300], path[2048];
static int port;
static struct sockaddr_in addr;
static int nsess = 50, concurrency = 64;
static double rate = 50, warmup_s = 5, duration_s = 20, drain_s = 3, hold_s = -1;
static double open_timeout_s = 60, settle_s = 1;
static int audio_bytes = 750;
static char extra_headers[4096];
static struct watch watches[MAX_WATCH];
static int nwatch;
static int quiet;

static struct conn *conns;
static int epfd;
static uint8_t *gbuf;
static char *audio_b64;
static size_t audio_b64_len;
static uint8_t *fbuf; /* frame being built */
static volatile sig_atomic_t stop_flag;
static uint64_t rng = 0x9E3779B97F4A7C15ull;

/* counters */
static int next_to_start, inflight, n_ready, n_failed, n_closed_after_ready, n_done;
static uint64_t t_open_begin, t_all_ready;
static uint64_t sent_meas, recv_meas, recv_late, recv_unmatched, recv_mismatch;
static uint64_t sent_total, recv_total, sent_win, recv_win;
static int in_window;
static uint32_t *lat_ns, *lag_ns, *open_ns;
static FILE *trace_f; /* --trace FILE: one line per measured delta: send time ns, latency ns, session */
static size_t lat_n, lag_n, open_n, lat_cap, lag_cap;
static uint64_t lag_max;
static int err_shown;

static void warnx(const char *fmt, ...)
{
	va_list ap;
	if (quiet)
		return;
	va_start(ap, fmt);
	fputs("loadgen: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static inline uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* ---------------------------------------------------------------- /proc readings */
static int read_proc_cpu(int pid, double *cpu_s)
{
	char p[64], buf[2048], *s;
	unsigned long ut, st;
	int fd, n;
	snprintf(p, sizeof(p), "/proc/%d/stat", pid);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return -1;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	s = strrchr(buf, ')'); /* the command name may hold spaces */
	if (!s)
		return -1;
	/* after ") ": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15) */
	if (sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	*cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	return 0;
}

static long read_proc_rss_kib(int pid)
{
	char p[64], buf[4096], *s;
	int fd, n;
	snprintf(p, sizeof(p), "/proc/%d/status", pid);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return -1;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	s = strstr(buf, "VmRSS:");
	return s ? strtol(s + 6, NULL, 10) : -1;
}

static double self_cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static double self_cpu0, self_cpu1;
static uint64_t t_win0, t_win1;
static unsigned long long sys_busy0, sys_total0, sys_busy1, sys_total1;

/* whole machine: busy and total jiffies from the first line of /proc/stat */
static void read_sys_cpu(unsigned long long *busy, unsigned long long *total)
{
	unsigned long long v[10] = { 0 };
	char buf[512];
	int fd = open("/proc/stat", O_RDONLY), n, i;
	*busy = *total = 0;
	if (fd < 0)
		return;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	if (sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) < 8)
		return;
	for (i = 0; i < 8; i++)
		*total += v[i];
	*busy = *total - v[3] - v[4]; /* minus idle and iowait */
}

static void sample_watches(int end)
{
	int i;
	for (i = 0; i < nwatch; i++) {
		struct watch *w = &watches[i];
		if (!end) {
			w->ok0 = read_proc_cpu(w->pid, &w->cpu0) == 0;
			w->rss0 = read_proc_rss_kib(w->pid);
		} else {
			w->ok1 = read_proc_cpu(w->pid, &w->cpu1) == 0;
			w->rss1 = read_proc_rss_kib(w->pid);
		}
	}
	if (!end) {
		self_cpu0 = self_cpu();
		read_sys_cpu(&sys_busy0, &sys_total0);
		t_win0 = now_ns();
	} else {
		self_cpu1 = self_cpu();
		read_sys_cpu(&sys_busy1, &sys_total1);
		t_win1 = now_ns();
	}
}

/* ---------------------------------------------------------------- buffers */
static int grow(uint8_t **b, uint32_t *cap, size_t need)
{
	size_t c = *cap ? *cap : 4096;
	uint8_t *nb;
	if (need <= *cap)
		return 0;
	if (need > MAX_FRAME_BUF * 2ull)
		return -1;
	while (c < need)
		c *= 2;
	nb = realloc(*b, c);
	if (!nb)
		return -1;
	*b = nb;
	*cap = (uint32_t)c;
	return 0;
}

static void set_events(struct conn *c, uint32_t ev)
{
	struct epoll_event e;
	e.events = ev;
	e.data.ptr = c;
	epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e);
}

/* ---------------------------------------------------------------- connection lifecycle */
static void start_next_conns(void);

static void conn_release(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->rb), c->rb = NULL, c->rlen = c->rcap = 0;
	free(c->mb), c->mb = NULL, c->mlen = c->mcap = 0;
	free(c->wb), c->wb = NULL, c->wlen = c->woff = c->wcap = 0;
	c->state = C_CLOSED;
}

/* The connection is gone (error, EOF, server close) */
static void conn_lost(struct conn *c, const char *why)
{
	if (c->state == C_CLOSED)
		return;
	if (!c->ready) {
		n_failed++;
		inflight--;
		if (err_shown < 5) {
			err_shown++;
			warnx("session %u failed before its first event: %s", c->idx, why);
		}
	} else if (!c->closing) {
		n_closed_after_ready++;
		if (err_shown < 5 && mode != M_OPENRATE) {
			err_shown++;
			warnx("session %u closed: %s", c->idx, why);
		}
	}
	conn_release(c);
}

static int flush_out(struct conn *c)
{
	while (c->wlen > c->woff) {
		ssize_t n = write(c->fd, c->wb + c->woff, c->wlen - c->woff);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -1;
		}
		c->woff += (uint32_t)n;
	}
	if (c->woff == c->wlen) {
		c->woff = c->wlen = 0;
		if (c->want_out) {
			c->want_out = 0;
			set_events(c, EPOLLIN | EPOLLRDHUP);
		}
	} else if (!c->want_out) {
		c->want_out = 1;
		set_events(c, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
	}
	return 0;
}

/* Write a whole buffer, keeping what the socket does not take. */
static int conn_write(struct conn *c, const uint8_t *p, size_t n)
{
	if (c->wlen == 0) {
		ssize_t w = write(c->fd, p, n);
		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR)
				return -1;
			w = 0;
		}
		if ((size_t)w == n)
			return 0;
		p += w, n -= (size_t)w;
	}
	if (grow(&c->wb, &c->wcap, c->wlen + n))
		return -1;
	memcpy(c->wb + c->wlen, p, n);
	c->wlen += (uint32_t)n;
	return flush_out(c);
}

static inline void mask_bytes(uint8_t *p, size_t n, uint32_t key)
{
	uint64_t k64 = ((uint64_t)key << 32) | key, w;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		w ^= k64;
		memcpy(p + i, &w, 8);
	}
	for (; i < n; i++)
		p[i] ^= ((uint8_t *)&key)[i & 3];
}

/* Build a masked client frame around payload already placed at fbuf + 14. */
static int send_frame(struct conn *c, int opcode, size_t plen)
{
	uint8_t *payload = fbuf + 14, *h;
	uint32_t key = (uint32_t)rnd();
	size_t hl;

	if (plen < 126)
		hl = 6;
	else if (plen < 65536)
		hl = 8;
	else
		hl = 14;
	h = payload - hl;
	h[0] = (uint8_t)(0x80 | opcode);
	if (plen < 126)
		h[1] = (uint8_t)(0x80 | plen);
	else if (plen < 65536) {
		h[1] = 0x80 | 126;
		h[2] = (uint8_t)(plen >> 8), h[3] = (uint8_t)plen;
	} else {
		int i;
		h[1] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			h[2 + i] = (uint8_t)((uint64_t)plen >> (56 - 8 * i));
	}
	memcpy(h + hl - 4, &key, 4);
	mask_bytes(payload, plen, key);
	return conn_write(c, h, hl + plen);
}

static void send_close(struct conn *c, uint16_t code)
{
	fbuf[14] = (uint8_t)(code >> 8);
	fbuf[15] = (uint8_t)code;
	send_frame(c, 0x8, 2);
}

static void conn_start(struct conn *c)
{
	struct epoll_event e;
	int one = 1, r;

	c->t_start = now_ns();
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		c->state = C_CONNECTING;
		inflight++;
		conn_lost(c, strerror(errno));
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	inflight++;
	c->state = C_CONNECTING;
	e.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
	e.data.ptr = c;
	epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &e);
	c->want_out = 1;
	r = connect(c->fd, (struct sockaddr *)&addr, sizeof(addr));
	if (r < 0 && errno != EINPROGRESS)
		conn_lost(c, strerror(errno));
}

static void send_handshake(struct conn *c)
{
	uint8_t raw[16];
	char req[8192];
	int i, n;
	for (i = 0; i < 16; i++)
		raw[i] = (uint8_t)rnd();
	b64_encode(raw, 16, c->key);
	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
		     path, hosthdr, c->key, extra_headers);
	c->state = C_HANDSHAKE;
	if (conn_write(c, (uint8_t *)req, (size_t)n))
		conn_lost(c, "handshake write failed");
}

/* ---------------------------------------------------------------- messages */
static void on_ready(struct conn *c, uint64_t now)
{
	c->ready = 1;
	c->t_ready = now;
	n_ready++;
	inflight--;
	if (open_n < (size_t)nsess)
		open_ns[open_n++] = (uint32_t)((now - c->t_start) > 0xffffffffull ? 0xffffffffu
										 : (now - c->t_start));
	if (mode == M_OPENRATE) {
		/* counted: close it and make room for the next */
		c->closing = 1;
		send_close(c, 1000);
		conn_release(c);
		n_done++;
	}
}

static int parse_u32(const char *p, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;
	if (!n || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (v > 0xffffffffull)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static void on_message(struct conn *c, const uint8_t *m, size_t n, uint64_t now)
{
	static const char *const keys[] = { "type", "event_id" };
	static const size_t klens[] = { 4, 8 };
	jspan v[2];
	const char *dash;
	uint32_t sid, seq;
	struct track *t;

	if (!c->ready) {
		on_ready(c, now);
		if (c->state == C_CLOSED)
			return;
	}
	if (mode != M_LATENCY)
		return;
	if (jp_find((const char *)m, n, keys, klens, 2, v) < 1)
		return;
	if (!span_eq(&v[0], "response.output_audio.delta", 27))
		return;
	recv_total++;
	if (in_window)
		recv_win++;
	if (!v[1].p || !v[1].is_str || !(dash = memchr(v[1].p, '-', v[1].n)) ||
	    parse_u32(v[1].p, (size_t)(dash - v[1].p), &sid) ||
	    parse_u32(dash + 1, (size_t)(v[1].p + v[1].n - dash - 1), &seq)) {
		recv_unmatched++;
		return;
	}
	if (sid != c->idx) {
		recv_mismatch++;
		return;
	}
	t = &c->tr[seq % RING];
	if (!t->ts || t->seq != seq) {
		recv_late++;
		return;
	}
	if (t->measured) {
		uint64_t d = now - t->ts;
		recv_meas++;
		if (lat_n < lat_cap)
			lat_ns[lat_n++] = d > 0xffffffffull ? 0xffffffffu : (uint32_t)d;
		if (trace_f)
			fprintf(trace_f, "%llu %llu %u\n", (unsigned long long)t->ts, (unsigned long long)d, sid);
	}
	t->ts = 0;
}

/* returns 0, or -1 when the connection was closed */
static int on_frame(struct conn *c, int fin, int op, uint8_t *p, size_t n, uint64_t now)
{
	switch (op) {
	case 0x1:
	case 0x2:
		if (c->in_frag)
			return conn_lost(c, "new message inside a fragmented one"), -1;
		if (fin) {
			on_message(c, p, n, now);
			return c->state == C_CLOSED ? -1 : 0;
		}
		c->in_frag = 1;
		c->mlen = 0;
		/* fall through */
	case 0x0:
		if (!c->in_frag)
			return conn_lost(c, "continuation without a message"), -1;
		if (c->mlen + n > MAX_MSG || grow(&c->mb, &c->mcap, c->mlen + n))
			return conn_lost(c, "message too large"), -1;
		memcpy(c->mb + c->mlen, p, n);
		c->mlen += (uint32_t)n;
		if (!fin)
			return 0;
		c->in_frag = 0;
		on_message(c, c->mb, c->mlen, now);
		if (c->state == C_CLOSED)
			return -1;
		c->mlen = 0;
		return 0;
	case 0x8:
		if (!c->closing) {
			uint16_t code = n >= 2 ? (uint16_t)((p[0] << 8) | p[1]) : 1000;
			send_close(c, code);
		}
		conn_lost(c, "server sent close");
		return -1;
	case 0x9:
		if (n > 125)
			return conn_lost(c, "ping too long"), -1;
		memmove(fbuf + 14, p, n);
		if (send_frame(c, 0xA, n))
			return conn_lost(c, "write failed"), -1;
		return 0;
	case 0xA:
		return 0;
	default:
		return conn_lost(c, "unknown opcode"), -1;
	}
}

static long handshake(struct conn *c, uint8_t *d, size_t n)
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	uint8_t *end = memmem(d, n, "\r\n\r\n", 4);
	char cat[96], expect[32], *h;
	uint8_t dig[20];

	if (!end) {
		if (n > 16384)
			return conn_lost(c, "handshake response too large"), -1;
		return 0;
	}
	*end = 0;
	if (strncmp((char *)d, "HTTP/1.1 101", 12)) {
		char line[128];
		size_t l = strcspn((char *)d, "\r\n");
		snprintf(line, sizeof(line), "upgrade refused: %.*s", (int)(l < 100 ? l : 100), (char *)d);
		return conn_lost(c, line), -1;
	}
	snprintf(cat, sizeof(cat), "%s%s", c->key, guid);
	sha1((uint8_t *)cat, strlen(cat), dig);
	b64_encode(dig, 20, expect);
	for (h = (char *)d; (h = strchr(h, '\n')); ) {
		h++;
		if (!strncasecmp(h, "sec-websocket-accept:", 21)) {
			h += 21;
			while (*h == ' ' || *h == '\t')
				h++;
			if (strncmp(h, expect, 28))
				return conn_lost(c, "bad Sec-WebSocket-Accept"), -1;
			c->state = C_OPEN;
			return (long)(end + 4 - d);
		}
	}
	return conn_lost(c, "no Sec-WebSocket-Accept"), -1;
}

/* Parse what is in d; returns bytes consumed, or -1 when the connection was closed. */
static long parse_input(struct conn *c, uint8_t *d, size_t n, uint64_t now)
{
	size_t off = 0;
	if (c->state == C_HANDSHAKE) {
		long h = handshake(c, d, n);
		if (h <= 0)
			return h;
		off = (size_t)h;
	}
	while (n - off >= 2) {
		uint8_t b0 = d[off], b1 = d[off + 1];
		size_t hl = 2;
		uint64_t plen = b1 & 127;
		if (plen == 126) {
			if (n - off < 4)
				break;
			plen = ((uint64_t)d[off + 2] << 8) | d[off + 3];
			hl = 4;
		} else if (plen == 127) {
			int i;
			if (n - off < 10)
				break;
			plen = 0;
			for (i = 0; i < 8; i++)
				plen = (plen << 8) | d[off + 2 + i];
			hl = 10;
		}
		if (plen > MAX_MSG)
			return conn_lost(c, "frame too large"), -1;
		if (b1 & 0x80)
			hl += 4;
		if (n - off < hl + plen)
			break;
		if (b1 & 0x80) {
			uint32_t key;
			memcpy(&key, d + off + hl - 4, 4);
			mask_bytes(d + off + hl, (size_t)plen, key);
		}
		if (on_frame(c, b0 & 0x80, b0 & 0x0f, d + off + hl, (size_t)plen, now))
			return -1;
		off += hl + (size_t)plen;
	}
	return (long)off;
}

static void on_readable(struct conn *c)
{
	for (;;) {
		uint8_t *buf, *data;
		size_t cap, dlen, left;
		ssize_t r;
		long used;
		uint64_t now;

		if (c->rlen) {
			if (grow(&c->rb, &c->rcap, (size_t)c->rlen + 65536))
				return conn_lost(c, "out of memory");
			buf = c->rb + c->rlen;
			cap = c->rcap - c->rlen;
		} else {
			buf = gbuf;
			cap = GBUF;
		}
		r = read(c->fd, buf, cap);
		if (r == 0)
			return conn_lost(c, "EOF");
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			return conn_lost(c, strerror(errno));
		}
		now = now_ns();
		if (c->rlen) {
			c->rlen += (uint32_t)r;
			data = c->rb;
			dlen = c->rlen;
		} else {
			data = gbuf;
			dlen = (size_t)r;
		}
		used = parse_input(c, data, dlen, now);
		if (used < 0 || c->state == C_CLOSED)
			return;
		left = dlen - (size_t)used;
		if (data == c->rb) {
			if (left && used)
				memmove(c->rb, c->rb + used, left);
			c->rlen = (uint32_t)left;
		} else if (left) {
			if (grow(&c->rb, &c->rcap, left + 65536))
				return conn_lost(c, "out of memory");
			memcpy(c->rb, data + used, left);
			c->rlen = (uint32_t)left;
		}
		if ((size_t)r < cap)
			return;
	}
}

static void on_event(struct conn *c, uint32_t ev)
{
	if (c->state == C_CLOSED)
		return;
	if (c->state == C_CONNECTING) {
		int err = 0;
		socklen_t l = sizeof(err);
		if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err || (ev & (EPOLLERR | EPOLLHUP)))
			return conn_lost(c, err ? strerror(err) : "connect failed");
		c->want_out = 0;
		set_events(c, EPOLLIN | EPOLLRDHUP);
		send_handshake(c);
		return;
	}
	if (ev & EPOLLOUT) {
		if (flush_out(c))
			return conn_lost(c, "write failed");
	}
	if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		on_readable(c);
}

static void start_next_conns(void)
{
	while (next_to_start < nsess && inflight < concurrency && !stop_flag)
		conn_start(&conns[next_to_start++]);
}

/* ---------------------------------------------------------------- sending appends */
static const char P1[] = "{\"type\":\"input_audio_buffer.append\",\"event_id\":\"";
static const char P2[] = "\",\"audio\":\"";
static const char P3[] = "\"}";

static size_t fmt_u32(char *o, uint32_t v)
{
	char t[12];
	size_t n = 0, i;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		o[i] = t[n - 1 - i];
	return n;
}

static void send_append(struct conn *c, uint64_t now, int measured)
{
	uint8_t *p = fbuf + 14, *s = p;
	uint32_t seq = c->seq++;
	struct track *t;

	memcpy(p, P1, sizeof(P1) - 1), p += sizeof(P1) - 1;
	p += fmt_u32((char *)p, c->idx);
	*p++ = '-';
	p += fmt_u32((char *)p, seq);
	memcpy(p, P2, sizeof(P2) - 1), p += sizeof(P2) - 1;
	memcpy(p, audio_b64, audio_b64_len), p += audio_b64_len;
	memcpy(p, P3, sizeof(P3) - 1), p += sizeof(P3) - 1;

	t = &c->tr[seq % RING];
	t->ts = now;
	t->seq = seq;
	t->measured = (uint32_t)measured;
	sent_total++;
	if (measured)
		sent_meas++;
	if (in_window)
		sent_win++;
	if (send_frame(c, 0x1, (size_t)(p - s)))
		conn_lost(c, "write failed");
}

/* ---------------------------------------------------------------- results */
static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static double pct(uint32_t *v, size_t n, double q)
{
	size_t i;
	if (!n)
		return -1;
	i = (size_t)ceil(q * (double)n);
	if (i)
		i--;
	if (i >= n)
		i = n - 1;
	return v[i];
}

static void print_watches(FILE *f, uint64_t frames, int idle)
{
	int i;
	fprintf(f, "  \"watch\": [");
	for (i = 0; i < nwatch; i++) {
		struct watch *w = &watches[i];
		double cpu = (w->ok0 && w->ok1) ? w->cpu1 - w->cpu0 : -1;
		fprintf(f, "%s\n    {\"label\": \"%s\", \"pid\": %d", i ? "," : "", w->label, w->pid);
		if (!idle) {
			fprintf(f, ", \"cpu_s\": %.3f, \"cpu_pct\": %.2f", cpu,
				cpu >= 0 && t_win1 > t_win0 ? 100.0 * cpu / ((t_win1 - t_win0) / 1e9) : -1);
			fprintf(f, ", \"cpu_us_per_relayed_frame\": %.3f",
				cpu >= 0 && frames ? cpu * 1e6 / (double)frames : -1);
			fprintf(f, ", \"rss_kib_end\": %ld}", w->rss1);
		} else {
			fprintf(f, ", \"rss_kib_before\": %ld, \"rss_kib_after\": %ld", w->rss0, w->rss1);
			fprintf(f, ", \"rss_kib_per_session\": %.3f}",
				w->rss0 >= 0 && w->rss1 >= 0 && n_ready
					? (double)(w->rss1 - w->rss0) / (double)n_ready
					: -1);
		}
	}
	fprintf(f, "%s]", nwatch ? "\n  " : "");
}

static void report_latency(void)
{
	double win = t_win1 > t_win0 ? (t_win1 - t_win0) / 1e9 : 0;
	uint64_t lost = sent_meas > recv_meas ? sent_meas - recv_meas : 0;
	int still_open = 0, i;

	for (i = 0; i < nsess; i++)
		still_open += conns[i].state == C_OPEN;
	qsort(lat_ns, lat_n, sizeof(uint32_t), cmp_u32);
	qsort(lag_ns, lag_n, sizeof(uint32_t), cmp_u32);
	printf("{\n  \"mode\": \"latency\",\n  \"url\": \"%s\",\n", url);
	printf("  \"sessions\": %d,\n  \"sessions_ready\": %d,\n  \"sessions_failed\": %d,\n", nsess,
	       n_ready, n_failed);
	printf("  \"sessions_closed_during_run\": %d,\n  \"sessions_open_at_end\": %d,\n",
	       n_closed_after_ready, still_open);
	printf("  \"rate_per_session\": %.3f,\n  \"audio_bytes\": %d,\n  \"append_frame_bytes\": %zu,\n",
	       rate, audio_bytes, sizeof(P1) - 1 + 12 + sizeof(P2) - 1 + audio_b64_len + sizeof(P3) - 1);
	printf("  \"warmup_s\": %.3f,\n  \"duration_s\": %.3f,\n  \"window_s\": %.3f,\n", warmup_s,
	       duration_s, win);
	printf("  \"sent\": %llu,\n  \"received\": %llu,\n  \"lost\": %llu,\n",
	       (unsigned long long)sent_meas, (unsigned long long)recv_meas, (unsigned long long)lost);
	printf("  \"received_late_or_unknown\": %llu,\n  \"received_wrong_session\": %llu,\n"
	       "  \"received_bad_event_id\": %llu,\n",
	       (unsigned long long)recv_late, (unsigned long long)recv_mismatch,
	       (unsigned long long)recv_unmatched);
	printf("  \"p50\": %.4f,\n  \"p90\": %.4f,\n  \"p99\": %.4f,\n  \"p99.9\": %.4f,\n  \"max\": %.4f,\n",
	       pct(lat_ns, lat_n, 0.5) / 1e6, pct(lat_ns, lat_n, 0.9) / 1e6,
	       pct(lat_ns, lat_n, 0.99) / 1e6, pct(lat_ns, lat_n, 0.999) / 1e6,
	       lat_n ? lat_ns[lat_n - 1] / 1e6 : -1.0);
	printf("  \"latency_unit\": \"ms\",\n");
	printf("  \"send_lag_us\": {\"p50\": %.1f, \"p99\": %.1f, \"p99.9\": %.1f, \"max\": %.1f},\n",
	       pct(lag_ns, lag_n, 0.5) / 1e3, pct(lag_ns, lag_n, 0.99) / 1e3,
	       pct(lag_ns, lag_n, 0.999) / 1e3, lag_max / 1e3);
	printf("  \"frames_in_window\": {\"appends_sent\": %llu, \"deltas_received\": %llu},\n",
	       (unsigned long long)sent_win, (unsigned long long)recv_win);
	printf("  \"relayed_frames\": %llu,\n", (unsigned long long)(sent_win + recv_win));
	printf("  \"loadgen_cpu_pct\": %.2f,\n",
	       win > 0 ? 100.0 * (self_cpu1 - self_cpu0) / win : -1);
	/* all processes on the machine, in cores (2.0 = both of two cores busy): what the
	   watched processes and loadgen do not account for is interference */
	printf("  \"machine_busy_cores\": %.3f,\n",
	       win > 0 && sys_total1 > sys_total0
		       ? (double)(sys_busy1 - sys_busy0) / (double)sysconf(_SC_CLK_TCK) / win
		       : -1);
	print_watches(stdout, sent_win + recv_win, 0);
	printf("\n}\n");
}

static void report_idle(double open_s, int held_ok)
{
	int still_open = 0, i;
	for (i = 0; i < nsess; i++)
		still_open += conns[i].state == C_OPEN;
	qsort(open_ns, open_n, sizeof(uint32_t), cmp_u32);
	printf("{\n  \"mode\": \"idle\",\n  \"url\": \"%s\",\n  \"sessions\": %d,\n", url, nsess);
	printf("  \"opened\": %d,\n  \"failed\": %d,\n  \"open_seconds\": %.3f,\n", n_ready, n_failed,
	       open_s);
	printf("  \"held_seconds\": %.3f,\n  \"open_at_end\": %d,\n  \"held\": %s,\n",
	       hold_s < 0 ? 0 : hold_s, still_open, held_ok && still_open == nsess ? "true" : "false");
	printf("  \"open_latency_ms\": {\"p50\": %.3f, \"p99\": %.3f},\n",
	       pct(open_ns, open_n, 0.5) / 1e6, pct(open_ns, open_n, 0.99) / 1e6);
	print_watches(stdout, 0, 1);
	printf("\n}\n");
}

static void report_openrate(double secs)
{
	qsort(open_ns, open_n, sizeof(uint32_t), cmp_u32);
	printf("{\n  \"mode\": \"open-rate\",\n  \"url\": \"%s\",\n  \"sessions\": %d,\n", url, nsess);
	printf("  \"concurrency\": %d,\n  \"opened\": %d,\n  \"failed\": %d,\n", concurrency, n_ready,
	       n_failed);
	printf("  \"seconds\": %.3f,\n  \"per_second\": %.1f,\n", secs, secs > 0 ? n_ready / secs : 0);
	printf("  \"open_latency_ms\": {\"p50\": %.3f, \"p99\": %.3f, \"max\": %.3f}\n}\n",
	       pct(open_ns, open_n, 0.5) / 1e6, pct(open_ns, open_n, 0.99) / 1e6,
	       open_n ? open_ns[open_n - 1] / 1e6 : -1.0);
}

/* ---------------------------------------------------------------- main loop */
static void poll_once(uint64_t wake_at)
{
	struct epoll_event evs[512];
	struct timespec ts;
	uint64_t now = now_ns(), d;
	int n, i;

	d = wake_at > now ? wake_at - now : 0;
	if (d > 100000000ull)
		d = 100000000ull;
	ts.tv_sec = (time_t)(d / 1000000000ull);
	ts.tv_nsec = (long)(d % 1000000000ull);
	n = epoll_pwait2(epfd, evs, 512, &ts, NULL);
	for (i = 0; i < n; i++)
		on_event((struct conn *)evs[i].data.ptr, evs[i].events);
	if (mode != M_LATENCY || next_to_start < nsess)
		start_next_conns();
}

static int open_all(void)
{
	uint64_t deadline;
	t_open_begin = now_ns();
	deadline = t_open_begin + (uint64_t)(open_timeout_s * 1e9);
	start_next_conns();
	while (!stop_flag && n_ready + n_failed < nsess) {
		if (now_ns() > deadline) {
			warnx("open timeout: %d of %d ready, %d failed", n_ready, nsess, n_failed);
			return -1;
		}
		poll_once(now_ns() + 100000000ull);
		start_next_conns();
	}
	t_all_ready = now_ns();
	return 0;
}

static void run_latency(void)
{
	int *active, na = 0, i;
	uint64_t period = (uint64_t)(1e9 / rate), t0, ws, we, j = 0, drain_end, expected;
	int started_win = 0, ended_win = 0;

	if (open_all())
		warnx("continuing with %d ready sessions", n_ready);
	active = calloc((size_t)nsess, sizeof(int));
	for (i = 0; i < nsess; i++)
		if (conns[i].ready && conns[i].state == C_OPEN)
			active[na++] = i;
	if (!na) {
		warnx("no session is open");
		report_latency();
		return;
	}
	warnx("%d sessions ready in %.2f s; sending for %.1f s + %.1f s warm-up", na,
	      (t_all_ready - t_open_begin) / 1e9, duration_s, warmup_s);
	expected = (uint64_t)((double)na * rate * (duration_s + 1)) + 1024;
	lat_cap = lag_cap = expected;
	lat_ns = malloc(lat_cap * sizeof(uint32_t));
	lag_ns = malloc(lag_cap * sizeof(uint32_t));

	t0 = now_ns() + 10000000ull;
	ws = t0 + (uint64_t)(warmup_s * 1e9);
	we = ws + (uint64_t)(duration_s * 1e9);

	for (;;) {
		uint64_t now = now_ns(), due;
		int budget = 256;

		if (!started_win && now >= ws) {
			sample_watches(0);
			started_win = 1;
			in_window = 1;
		}
		if (!ended_win && now >= we) {
			in_window = 0;
			sample_watches(1);
			ended_win = 1;
		}
		if (ended_win || stop_flag)
			break;
		for (;;) {
			struct conn *c;
			due = t0 + (j / (uint64_t)na) * period + (j % (uint64_t)na) * period / (uint64_t)na;
			if (due > now || due >= we || budget-- == 0)
				break;
			c = &conns[active[j % (uint64_t)na]];
			j++;
			if (c->state != C_OPEN)
				continue;
			now = now_ns();
			if (due >= ws) {
				uint64_t lag = now - due;
				if (lag_n < lag_cap)
					lag_ns[lag_n++] = lag > 0xffffffffull ? 0xffffffffu : (uint32_t)lag;
				if (lag > lag_max)
					lag_max = lag;
			}
			send_append(c, now, due >= ws);
		}
		{
			uint64_t wake = due < we ? due : we;
			if (!started_win && ws < wake)
				wake = ws;
			if (budget <= 0)
				wake = 0;
			poll_once(wake);
		}
	}
	/* wait for the answers still on their way */
	drain_end = now_ns() + (uint64_t)(drain_s * 1e9);
	while (!stop_flag && recv_meas < sent_meas && now_ns() < drain_end)
		poll_once(now_ns() + 10000000ull);
	report_latency();
	free(active);
}

static void run_idle(void)
{
	double open_s;
	uint64_t settle_end, hold_end;
	int held_ok = 1;

	sample_watches(0);
	open_all();
	open_s = (t_all_ready - t_open_begin) / 1e9;
	fprintf(stderr, "loadgen: all open: %d of %d sessions open (%d failed) in %.3f s\n", n_ready,
		nsess, n_failed, open_s);
	fflush(stderr);
	settle_end = now_ns() + (uint64_t)(settle_s * 1e9);
	while (!stop_flag && now_ns() < settle_end)
		poll_once(settle_end);
	sample_watches(1);
	hold_end = hold_s < 0 ? UINT64_MAX : now_ns() + (uint64_t)(hold_s * 1e9);
	while (!stop_flag && now_ns() < hold_end)
		poll_once(hold_end);
	if (stop_flag && hold_s >= 0)
		held_ok = 0;
	report_idle(open_s, held_ok);
}

static void run_openrate(void)
{
	double secs;
	uint64_t deadline;
	t_open_begin = now_ns();
	deadline = t_open_begin + (uint64_t)(open_timeout_s * 1e9);
	start_next_conns();
	while (!stop_flag && n_ready + n_failed < nsess && now_ns() < deadline) {
		poll_once(now_ns() + 100000000ull);
		start_next_conns();
	}
	secs = (now_ns() - t_open_begin) / 1e9;
	report_openrate(secs);
}

/* ---------------------------------------------------------------- setup */
static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: loadgen URL [--sessions N] [--rate R] [--warmup S] [--duration S] [--drain S]\n"
		"               [--audio-bytes B] [--concurrency C] [--open-timeout S]\n"
		"               [--watch LABEL=PID]... [--header 'Name: value']... [--trace FILE] [--quiet]\n"
		"       loadgen URL --idle N [--hold S] [--settle S] [--concurrency C] [--watch LABEL=PID]...\n"
		"       loadgen URL --open-rate N [--concurrency C]\n"
		"URL: ws://HOST:PORT/PATH?QUERY (e.g. ws://127.0.0.1:8080/v1/realtime?model=bench)\n");
	exit(2);
}

static int parse_url(const char *u)
{
	const char *p, *c, *sl;
	size_t hl;
	struct addrinfo hints, *res;
	char portstr[16];

	if (strncmp(u, "ws://", 5))
		return -1;
	p = u + 5;
	sl = strchr(p, '/');
	c = memchr(p, ':', sl ? (size_t)(sl - p) : strlen(p));
	if (!c)
		return -1;
	hl = (size_t)(c - p);
	if (!hl || hl >= sizeof(host))
		return -1;
	memcpy(host, p, hl);
	host[hl] = 0;
	port = atoi(c + 1);
	snprintf(path, sizeof(path), "%s", sl ? sl : "/");
	snprintf(hosthdr, sizeof(hosthdr), "%s:%d", host, port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof(portstr), "%d", port);
	if (getaddrinfo(host, portstr, &hints, &res) || !res)
		return -1;
	memcpy(&addr, res->ai_addr, sizeof(addr));
	freeaddrinfo(res);
	return port > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	int i;
	long nofile;
	uint8_t *raw;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (a[0] != '-') {
			if (url)
				usage();
			url = a;
			continue;
		}
		if (!strcmp(a, "--quiet")) {
			quiet = 1;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--sessions"))
			nsess = atoi(v);
		else if (!strcmp(a, "--idle"))
			mode = M_IDLE, nsess = atoi(v);
		else if (!strcmp(a, "--open-rate"))
			mode = M_OPENRATE, nsess = atoi(v);
		else if (!strcmp(a, "--concurrency"))
			concurrency = atoi(v);
		else if (!strcmp(a, "--rate"))
			rate = atof(v);
		else if (!strcmp(a, "--warmup"))
			warmup_s = atof(v);
		else if (!strcmp(a, "--duration"))
			duration_s = atof(v);
		else if (!strcmp(a, "--drain"))
			drain_s = atof(v);
		else if (!strcmp(a, "--trace")) {
			if (!(trace_f = fopen(v, "w"))) {
				fprintf(stderr, "loadgen: --trace: cannot open %s\n", v);
				return 2;
			}
		}
		else if (!strcmp(a, "--hold"))
			hold_s = atof(v);
		else if (!strcmp(a, "--settle"))
			settle_s = atof(v);
		else if (!strcmp(a, "--open-timeout"))
			open_timeout_s = atof(v);
		else if (!strcmp(a, "--audio-bytes"))
			audio_bytes = atoi(v);
		else if (!strcmp(a, "--header")) {
			size_t l = strlen(extra_headers);
			snprintf(extra_headers + l, sizeof(extra_headers) - l, "%s\r\n", v);
		} else if (!strcmp(a, "--watch")) {
			const char *eq = strchr(v, '=');
			struct watch *w;
			if (!eq || nwatch == MAX_WATCH)
				usage();
			w = &watches[nwatch++];
			snprintf(w->label, sizeof(w->label), "%.*s", (int)(eq - v), v);
			w->pid = atoi(eq + 1);
		} else
			usage();
	}
	if (!url || parse_url(url) || nsess <= 0 || concurrency <= 0 || rate <= 0 ||
	    audio_bytes < 0 || audio_bytes > 700000)
		usage();

	nofile = raise_nofile();
	if (nofile > 0 && nsess + 64 > nofile)
		warnx("warning: %d sessions but only %ld file descriptors", nsess, nofile);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); /* wake on time, not up to 50 µs late */
	rng ^= (uint64_t)getpid() << 20 ^ now_ns();

	raw = malloc((size_t)audio_bytes + 1);
	for (i = 0; i < audio_bytes; i++)
		raw[i] = (uint8_t)rnd();
	audio_b64 = malloc((size_t)audio_bytes * 4 / 3 + 8);
	audio_b64_len = b64_encode(raw, (size_t)audio_bytes, audio_b64);
	free(raw);

	gbuf = malloc(GBUF);
	fbuf = malloc(14 + 256 + audio_b64_len + 64);
	conns = calloc((size_t)nsess, sizeof(struct conn));
	open_ns = malloc((size_t)nsess * sizeof(uint32_t));
	if (!gbuf || !fbuf || !conns || !open_ns)
		return 1;
	for (i = 0; i < nsess; i++) {
		conns[i].fd = -1;
		conns[i].idx = (uint32_t)i;
		if (mode == M_LATENCY) {
			conns[i].tr = calloc(RING, sizeof(struct track));
			if (!conns[i].tr)
				return 1;
		}
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);

	if (mode == M_LATENCY)
		run_latency();
	else if (mode == M_IDLE)
		run_idle();
	else
		run_openrate();
	fflush(stdout);
	return 0;
}
