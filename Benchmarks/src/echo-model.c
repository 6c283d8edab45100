/*
 * echo-model: a stand-in for a realtime model endpoint, used by the Switchboard benchmarks.
 *
 * Speaks just enough of the OpenAI Realtime event protocol over WebSocket (libwebsockets):
 *   - on connect:                    session.created
 *   - input_audio_buffer.append  ->  response.output_audio.delta with the append's event_id
 *                                    and the very same audio bytes as its delta
 *   - session.update             ->  session.updated
 *   - anything else              ->  ignored
 * Any path and query are accepted (the benchmark uses /v1/realtime). GET on a plain HTTP
 * path answers 200, so /healthz works as a readiness probe.
 *
 * Per frame there is no allocation: a frame that arrives whole in one receive callback is
 * parsed where lws left it, the answer is built in one process-wide buffer and written at
 * once (lws keeps any unsent tail itself). Only a message split over several callbacks
 * (fragmented, or larger than the receive chunk) is gathered in a per-connection buffer,
 * which is kept for reuse. Messages up to --max-message bytes (default 1 MiB) are accepted.
 *
 * Usage: echo-model --port P [--host 127.0.0.1] [--max-message BYTES] [--evlib ev|poll|uv]
 */
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common.h"

#define SESSION_JSON \
	"{\"id\":\"sess_echo\",\"object\":\"realtime.session\",\"type\":\"realtime\",\"model\":\"echo\"}"
static const char CREATED[] =
	"{\"type\":\"session.created\",\"event_id\":\"evt_echo_0\",\"session\":" SESSION_JSON "}";
static const char UPDATED[] =
	"{\"type\":\"session.updated\",\"event_id\":\"evt_echo_u\",\"session\":" SESSION_JSON "}";
static const char DELTA_A[] = "{\"type\":\"response.output_audio.delta\",\"event_id\":\"";
static const char DELTA_B[] =
	"\",\"response_id\":\"resp_echo\",\"item_id\":\"item_echo\",\"output_index\":0,"
	"\"content_index\":0,\"delta\":\"";
static const char DELTA_C[] = "\"}";

struct pss {
	unsigned char *acc; /* gathers a message that came in several pieces */
	size_t acc_len, acc_cap;
	int overflow;       /* current message is over the limit: dropped */
	int throttled;      /* rx paused until our buffered output drains */
};

static size_t max_message = 1u << 20;
static unsigned char *outbuf; /* LWS_PRE + answer; grown once to fit the largest answer */
static size_t outcap;
static unsigned long long n_appends, n_updates, n_conns;

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

static int send_text(struct lws *wsi, const char *s, size_t n)
{
	unsigned char *p = out_reserve(n);
	if (!p)
		return -1;
	memcpy(p, s, n);
	return lws_write(wsi, p, n, LWS_WRITE_TEXT) < (int)n ? -1 : 0;
}

/* Pause reading from a connection whose answers are piling up unsent. */
static void after_write(struct lws *wsi, struct pss *pss)
{
	if (lws_partial_buffered(wsi) && !pss->throttled) {
		pss->throttled = 1;
		lws_rx_flow_control(wsi, 0);
		lws_callback_on_writable(wsi);
	}
}

static int handle_message(struct lws *wsi, struct pss *pss, const char *m, size_t n)
{
	static const char *const keys[] = { "type", "event_id", "audio" };
	static const size_t klens[] = { 4, 8, 5 };
	jspan v[3];
	unsigned char *p;
	size_t len;

	/* "type" normally comes first: one look decides whether the rest is needed */
	if (jp_find(m, n, keys, klens, 1, v) < 1)
		return 0;
	if (span_eq(&v[0], "session.update", 14)) {
		n_updates++;
		if (send_text(wsi, UPDATED, sizeof(UPDATED) - 1))
			return -1;
		after_write(wsi, pss);
		return 0;
	}
	if (!span_eq(&v[0], "input_audio_buffer.append", 25))
		return 0;
	jp_find(m, n, keys, klens, 3, v);
	n_appends++;
	len = sizeof(DELTA_A) - 1 + v[1].n + sizeof(DELTA_B) - 1 + v[2].n + sizeof(DELTA_C) - 1;
	p = out_reserve(len);
	if (!p)
		return -1;
	memcpy(p, DELTA_A, sizeof(DELTA_A) - 1), p += sizeof(DELTA_A) - 1;
	if (v[1].is_str)
		memcpy(p, v[1].p, v[1].n), p += v[1].n;
	memcpy(p, DELTA_B, sizeof(DELTA_B) - 1), p += sizeof(DELTA_B) - 1;
	if (v[2].is_str)
		memcpy(p, v[2].p, v[2].n), p += v[2].n;
	memcpy(p, DELTA_C, sizeof(DELTA_C) - 1), p += sizeof(DELTA_C) - 1;
	len = (size_t)(p - (outbuf + LWS_PRE));
	if (lws_write(wsi, outbuf + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len)
		return -1;
	after_write(wsi, pss);
	return 0;
}

static int cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct pss *pss = (struct pss *)user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		/* plain HTTP on any path: a readiness probe */
		if (lws_return_http_status(wsi, HTTP_STATUS_OK, "ok"))
			return -1;
		return lws_http_transaction_completed(wsi) ? -1 : 0;

	case LWS_CALLBACK_ESTABLISHED:
		n_conns++;
		memset(pss, 0, sizeof(*pss));
		if (send_text(wsi, CREATED, sizeof(CREATED) - 1))
			return -1;
		break;

	case LWS_CALLBACK_RECEIVE: {
		int first = lws_is_first_fragment(wsi);
		int final = lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi);

		if (lws_frame_is_binary(wsi))
			break; /* realtime events are text */
		if (first && final && !pss->acc_len && !pss->overflow)
			return handle_message(wsi, pss, (const char *)in, len);
		if (first) {
			pss->acc_len = 0;
			pss->overflow = 0;
		}
		if (!pss->overflow) {
			if (pss->acc_len + len > max_message) {
				pss->overflow = 1;
				pss->acc_len = 0;
			} else {
				if (pss->acc_len + len > pss->acc_cap) {
					size_t cap = pss->acc_cap ? pss->acc_cap : 16384;
					unsigned char *nb;
					while (cap < pss->acc_len + len)
						cap *= 2;
					nb = realloc(pss->acc, cap);
					if (!nb)
						return -1;
					pss->acc = nb, pss->acc_cap = cap;
				}
				memcpy(pss->acc + pss->acc_len, in, len);
				pss->acc_len += len;
			}
		}
		if (final) {
			int r = 0;
			if (!pss->overflow)
				r = handle_message(wsi, pss, (const char *)pss->acc, pss->acc_len);
			pss->acc_len = 0;
			pss->overflow = 0;
			return r;
		}
		break;
	}

	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (pss->throttled && !lws_partial_buffered(wsi)) {
			pss->throttled = 0;
			lws_rx_flow_control(wsi, 1);
		} else if (pss->throttled)
			lws_callback_on_writable(wsi);
		break;

	case LWS_CALLBACK_CLOSED:
		free(pss->acc);
		pss->acc = NULL;
		pss->acc_len = pss->acc_cap = 0;
		break;

	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static struct lws_protocols protocols[] = {
	{ "realtime", cb, sizeof(struct pss), 65536, 0, NULL, 4u << 20 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void print_stats(void)
{
	char b[200];
	int n = snprintf(b, sizeof(b), "echo-model: %llu connections, %llu appends, %llu session updates\n",
			 n_conns, n_appends, n_updates);
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
	fprintf(stderr, "usage: echo-model --port P [--host 127.0.0.1] [--max-message BYTES] "
			"[--evlib ev|poll|uv] [--verbose]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	struct lws_context *ctx;
	const char *host = "127.0.0.1", *evlib = "ev";
	int port = 0, i, verbose = 0;
	long nofile;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--host") && i + 1 < argc)
			host = argv[++i];
		else if (!strcmp(argv[i], "--max-message") && i + 1 < argc)
			max_message = (size_t)strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--evlib") && i + 1 < argc)
			evlib = argv[++i];
		else if (!strcmp(argv[i], "--verbose"))
			verbose = 1;
		else
			usage();
	}
	if (port <= 0)
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
		fprintf(stderr, "echo-model: cannot create the server on %s:%d\n", host, port);
		return 1;
	}
	fprintf(stderr, "echo-model: listening on ws://%s:%d/v1/realtime (nofile %ld, %s)\n",
		host, port, nofile, evlib);

	while (lws_service(ctx, 0) >= 0)
		;

	lws_context_destroy(ctx);
	print_stats();
	free(outbuf);
	return 0;
}
