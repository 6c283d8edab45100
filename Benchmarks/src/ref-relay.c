/*
 * ref-relay: the reference a WebSocket session hub (Switchboard) is measured against.
 *
 * A plain libwebsockets relay and nothing more: for each client WebSocket it opens one
 * upstream WebSocket to --upstream and forwards every data frame both ways as it is (text
 * stays text, fragments stay fragments; the client's masking is removed and the upstream
 * side gets lws's own fresh masks, as RFC 6455 requires). Frames a client sends before its
 * upstream is connected are kept, bounded (--max-pending bytes, default 2 MiB; past that the
 * client is closed), and sent once it is. Closing either side closes the other. When a peer
 * cannot take more, reading from the other side pauses until it drains.
 *
 * It does not look into frames: no JSON, no event types. Single thread, one lws context.
 *
 * Usage: ref-relay --port P --upstream ws://127.0.0.1:E/v1/realtime [--host 127.0.0.1]
 *                  [--evlib ev|poll|uv] [--rx-chunk BYTES] [--max-pending BYTES]
 */
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common.h"

struct sess {
	struct lws *cli, *up;
	int up_ready;
	int cli_paused, up_paused; /* rx paused because the other side is backed up */
	/* client frames waiting for the upstream: repeated [u32 len][u8 flags][bytes] */
	unsigned char *pend;
	size_t pend_len, pend_cap;
};

static const char *up_host = "127.0.0.1", *up_path = "/v1/realtime";
static char up_hosthdr[300];
static int up_port;
static size_t max_pending = 2u << 20;
static unsigned char *outbuf;
static size_t outcap;
static unsigned long long n_sessions, n_to_up, n_to_cli, n_paused, n_queued;

static unsigned char *out_reserve(size_t payload)
{
	if (LWS_PRE + payload > outcap) {
		size_t cap = outcap ? outcap : 65536;
		unsigned char *nb;
		while (cap < LWS_PRE + payload)
			cap *= 2;
		nb = realloc(outbuf, cap);
		if (!nb)
			return NULL;
		outbuf = nb, outcap = cap;
	}
	return outbuf + LWS_PRE;
}

static int wflags(int binary, int first, int final)
{
	return (int)lws_write_ws_flags(binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT, first, final);
}

static int forward(struct lws *dst, const void *in, size_t len, int flags)
{
	unsigned char *p = out_reserve(len);
	if (!p)
		return -1;
	memcpy(p, in, len);
	return lws_write(dst, p, len, (enum lws_write_protocol)flags) < (int)len ? -1 : 0;
}

/* dst buffered part of what it was given: stop reading src until dst is writeable again */
static void backpressure(struct lws *src, struct lws *dst, int *paused)
{
	if (!*paused && lws_partial_buffered(dst)) {
		*paused = 1;
		n_paused++;
		lws_rx_flow_control(src, 0);
		lws_callback_on_writable(dst);
	}
}

static void drained(struct lws *dst, struct lws *src, int *paused)
{
	if (!*paused)
		return;
	if (lws_partial_buffered(dst)) {
		lws_callback_on_writable(dst);
		return;
	}
	*paused = 0;
	if (src)
		lws_rx_flow_control(src, 1);
}

/* One side is gone: forget it, close the other, free the session once both are gone. */
static void detach(struct lws *wsi)
{
	struct sess *s = (struct sess *)lws_get_opaque_user_data(wsi);
	struct lws *other;

	if (!s)
		return;
	lws_set_opaque_user_data(wsi, NULL);
	if (wsi == s->cli) {
		s->cli = NULL;
		other = s->up;
	} else {
		/* the upstream (possibly failing before its wsi was handed back to us) */
		s->up = NULL;
		s->up_ready = 0;
		other = s->cli;
	}
	if (other && (other == s->cli || s->up_ready)) {
		/* an open WebSocket: send it a close frame from its writeable callback */
		lws_close_reason(other, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
		lws_callback_on_writable(other);
		lws_set_timeout(other, PENDING_TIMEOUT_CLOSE_SEND, 3);
	} else if (other)
		lws_set_timeout(other, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
	else {
		free(s->pend);
		free(s);
	}
}

static int pend_add(struct sess *s, const void *in, size_t len, int flags)
{
	size_t need = s->pend_len + 5 + len;
	uint32_t l32 = (uint32_t)len;
	if (need > max_pending)
		return -1;
	if (need > s->pend_cap) {
		size_t cap = s->pend_cap ? s->pend_cap : 4096;
		unsigned char *nb;
		while (cap < need)
			cap *= 2;
		nb = realloc(s->pend, cap);
		if (!nb)
			return -1;
		s->pend = nb, s->pend_cap = cap;
	}
	memcpy(s->pend + s->pend_len, &l32, 4);
	s->pend[s->pend_len + 4] = (unsigned char)flags;
	memcpy(s->pend + s->pend_len + 5, in, len);
	s->pend_len = need;
	return 0;
}

static int pend_flush(struct sess *s)
{
	size_t off = 0;
	while (off < s->pend_len) {
		uint32_t l32;
		int flags;
		memcpy(&l32, s->pend + off, 4);
		flags = s->pend[off + 4];
		if (forward(s->up, s->pend + off + 5, l32, flags))
			return -1;
		n_to_up++;
		off += 5 + l32;
	}
	free(s->pend);
	s->pend = NULL;
	s->pend_len = s->pend_cap = 0;
	return 0;
}

static int cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct sess *s = (struct sess *)lws_get_opaque_user_data(wsi);

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		if (lws_return_http_status(wsi, HTTP_STATUS_OK, "ok"))
			return -1;
		return lws_http_transaction_completed(wsi) ? -1 : 0;

	/* ------------------------------------------------ client side */
	case LWS_CALLBACK_ESTABLISHED: {
		struct lws_client_connect_info i;
		struct lws *up;

		s = calloc(1, sizeof(*s));
		if (!s)
			return -1;
		s->cli = wsi;
		lws_set_opaque_user_data(wsi, s);
		n_sessions++;

		memset(&i, 0, sizeof(i));
		i.context = lws_get_context(wsi);
		i.address = up_host;
		i.port = up_port;
		i.path = up_path;
		i.host = up_hosthdr;
		i.origin = up_hosthdr;
		i.local_protocol_name = "upstream";
		i.ietf_version_or_minus_one = -1;
		i.opaque_user_data = s;
		up = lws_client_connect_via_info(&i);
		if (!up)
			return -1; /* closing the client frees the session */
		if (!s->up)
			s->up = up;
		break;
	}

	case LWS_CALLBACK_RECEIVE: {
		int flags = wflags(lws_frame_is_binary(wsi), lws_is_first_fragment(wsi),
				   lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi));
		if (!s)
			return -1;
		if (!s->up_ready) {
			n_queued++;
			return pend_add(s, in, len, flags);
		}
		if (forward(s->up, in, len, flags))
			return -1;
		n_to_up++;
		backpressure(wsi, s->up, &s->cli_paused);
		break;
	}

	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (!s || !s->up)
			return -1; /* the upstream is gone: close (with the reason set in detach) */
		drained(wsi, s->up, &s->up_paused);
		break;

	case LWS_CALLBACK_CLOSED:
		detach(wsi);
		break;

	/* ------------------------------------------------ upstream side */
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (!s)
			return -1;
		s->up = wsi;
		s->up_ready = 1;
		if (s->pend_len && pend_flush(s))
			return -1;
		backpressure(s->cli, wsi, &s->cli_paused);
		break;

	case LWS_CALLBACK_CLIENT_RECEIVE: {
		int flags = wflags(lws_frame_is_binary(wsi), lws_is_first_fragment(wsi),
				   lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi));
		if (!s || !s->cli)
			return -1;
		if (forward(s->cli, in, len, flags))
			return -1;
		n_to_cli++;
		backpressure(wsi, s->cli, &s->up_paused);
		break;
	}

	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (!s || !s->cli)
			return -1; /* the client is gone */
		drained(wsi, s->cli, &s->cli_paused);
		break;

	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
	case LWS_CALLBACK_CLIENT_CLOSED:
		detach(wsi);
		break;

	case LWS_CALLBACK_WSI_DESTROY:
		detach(wsi);
		break;

	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static struct lws_protocols protocols[] = {
	/* first: takes client upgrades without a subprotocol, on any path */
	{ "relay", cb, 0, 16384, 0, NULL, 4u << 20 },
	{ "upstream", cb, 0, 16384, 0, NULL, 4u << 20 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void print_stats(void)
{
	char b[256];
	int n = snprintf(b, sizeof(b),
			 "ref-relay: %llu sessions, %llu frames to upstream (%llu queued before it "
			 "was connected), %llu to clients, %llu backpressure pauses\n",
			 n_sessions, n_to_up, n_queued, n_to_cli, n_paused);
	if (n > 0)
		(void)!write(2, b, (size_t)n);
}

/* SIGTERM/SIGINT: report and leave; the kernel closes the sockets */
static void on_signal(int sig)
{
	(void)sig;
	print_stats();
	_exit(0);
}

static void usage(void)
{
	fprintf(stderr, "usage: ref-relay --port P --upstream ws://HOST:PORT/PATH [--host 127.0.0.1] "
			"[--evlib ev|poll|uv] [--rx-chunk BYTES] [--max-pending BYTES] [--verbose]\n");
	exit(2);
}

static int parse_ws_url(const char *url)
{
	static char hostbuf[256], pathbuf[1024];
	const char *p, *c, *sl;
	size_t hl;

	if (strncmp(url, "ws://", 5))
		return -1;
	p = url + 5;
	sl = strchr(p, '/');
	c = memchr(p, ':', sl ? (size_t)(sl - p) : strlen(p));
	if (!c)
		return -1;
	hl = (size_t)(c - p);
	if (hl == 0 || hl >= sizeof(hostbuf))
		return -1;
	memcpy(hostbuf, p, hl);
	hostbuf[hl] = '\0';
	up_port = atoi(c + 1);
	snprintf(pathbuf, sizeof(pathbuf), "%s", sl ? sl : "/");
	up_host = hostbuf;
	up_path = pathbuf;
	snprintf(up_hosthdr, sizeof(up_hosthdr), "%s:%d", up_host, up_port);
	return up_port > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	struct lws_context *ctx;
	const char *host = "127.0.0.1", *evlib = "ev", *upstream = NULL;
	int port = 0, i, verbose = 0;
	long nofile;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--host") && i + 1 < argc)
			host = argv[++i];
		else if (!strcmp(argv[i], "--upstream") && i + 1 < argc)
			upstream = argv[++i];
		else if (!strcmp(argv[i], "--evlib") && i + 1 < argc)
			evlib = argv[++i];
		else if (!strcmp(argv[i], "--rx-chunk") && i + 1 < argc) {
			size_t n = (size_t)strtoull(argv[++i], NULL, 10);
			protocols[0].rx_buffer_size = protocols[1].rx_buffer_size = n;
		} else if (!strcmp(argv[i], "--max-pending") && i + 1 < argc)
			max_pending = (size_t)strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--verbose"))
			verbose = 1;
		else
			usage();
	}
	if (port <= 0 || !upstream || parse_ws_url(upstream))
		usage();

	nofile = raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	lws_set_log_level(verbose ? (LLL_ERR | LLL_WARN | LLL_NOTICE) : LLL_ERR, NULL);

	memset(&info, 0, sizeof(info));
	info.port = port;
	info.iface = host;
	info.protocols = protocols;
	info.pt_serv_buf_size = 65536;
	info.max_http_header_pool = 1024;
	info.timeout_secs = 30;
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
	if (!strcmp(evlib, "ev"))
		info.options |= LWS_SERVER_OPTION_LIBEV;
	else if (!strcmp(evlib, "uv"))
		info.options |= LWS_SERVER_OPTION_LIBUV;
	else if (strcmp(evlib, "poll"))
		usage();

	ctx = lws_create_context(&info);
	if (!ctx) {
		fprintf(stderr, "ref-relay: cannot create the server on %s:%d\n", host, port);
		return 1;
	}
	fprintf(stderr, "ref-relay: listening on ws://%s:%d, upstream ws://%s%s (nofile %ld, %s)\n",
		host, port, up_hosthdr, up_path, nofile, evlib);

	while (lws_service(ctx, 0) >= 0)
		;

	lws_context_destroy(ctx);
	print_stats();
	free(outbuf);
	return 0;
}
