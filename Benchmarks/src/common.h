/*
 * Small helpers shared by the benchmark tools (echo-model, ref-relay, loadgen).
 *
 * Everything here is written for speed on the per-frame path: no allocation, a top-level
 * JSON key scanner that stops as soon as it has what it was asked for, a monotonic clock in
 * nanoseconds. The hub under test (Switchboard) speaks the OpenAI Realtime event protocol;
 * these tools only look at the top-level "type" and "event_id" keys and the audio payload.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#define BENCH_UNUSED __attribute__((unused))

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Raise the soft open-files limit to the hard limit; returns the new soft limit. */
static BENCH_UNUSED long raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return (long)rl.rlim_cur;
}

/* ---------------------------------------------------------------- JSON peeking
 * A span of a value found at the top level of a JSON object. For a string value the span
 * covers the bytes between the quotes, escapes left exactly as they were sent; for any
 * other value it covers the raw token ({...}, [...], 12, true, ...).
 */
typedef struct {
	const char *p;
	size_t n;
	int is_str;
} jspan;

static inline const char *jp_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p points just after an opening quote: returns the closing quote, or NULL. */
static inline const char *jp_str_end(const char *p, const char *e)
{
	while (p < e) {
		const char *q = memchr(p, '"', (size_t)(e - p));
		const char *b;
		if (!q)
			return NULL;
		b = q;
		while (b > p && b[-1] == '\\')
			b--;
		if (!((q - b) & 1))
			return q;
		p = q + 1;
	}
	return NULL;
}

/* p points at the first byte of a value: returns the byte after it, or NULL. */
static inline const char *jp_skip_value(const char *p, const char *e)
{
	if (p >= e)
		return NULL;
	if (*p == '"') {
		const char *q = jp_str_end(p + 1, e);
		return q ? q + 1 : NULL;
	}
	if (*p == '{' || *p == '[') {
		int depth = 0;
		while (p < e) {
			char c = *p;
			if (c == '"') {
				const char *q = jp_str_end(p + 1, e);
				if (!q)
					return NULL;
				p = q + 1;
				continue;
			}
			if (c == '{' || c == '[')
				depth++;
			else if (c == '}' || c == ']') {
				if (--depth == 0)
					return p + 1;
			}
			p++;
		}
		return NULL;
	}
	while (p < e && *p != ',' && *p != '}' && *p != ']' && *p != ' ' &&
	       *p != '\t' && *p != '\n' && *p != '\r')
		p++;
	return p;
}

/*
 * Looks for `nk` keys among the top-level keys of the JSON object in [s, s+n). Keys are
 * compared byte for byte (a key written with escapes does not match). Nested objects are
 * skipped whole, so a "type" inside an item is never mistaken for the event's type.
 * Returns how many of the keys were found (stopping as soon as all are), or -1 when the
 * text is not a well-formed object as far as it was read.
 */
static BENCH_UNUSED int jp_find(const char *s, size_t n, const char *const *keys,
				 const size_t *klens, int nk, jspan *out)
{
	const char *p = s, *e = s + n;
	int found = 0, i;

	for (i = 0; i < nk; i++)
		out[i].p = NULL, out[i].n = 0, out[i].is_str = 0;

	p = jp_ws(p, e);
	if (p >= e || *p != '{')
		return -1;
	p++;
	for (;;) {
		const char *k, *ke, *v, *ve;
		p = jp_ws(p, e);
		if (p >= e)
			return -1;
		if (*p == '}')
			return found;
		if (*p != '"')
			return -1;
		k = p + 1;
		ke = jp_str_end(k, e);
		if (!ke)
			return -1;
		p = jp_ws(ke + 1, e);
		if (p >= e || *p != ':')
			return -1;
		v = jp_ws(p + 1, e);
		ve = jp_skip_value(v, e);
		if (!ve)
			return -1;
		for (i = 0; i < nk; i++) {
			if (!out[i].p && (size_t)(ke - k) == klens[i] &&
			    !memcmp(k, keys[i], klens[i])) {
				if (*v == '"') {
					out[i].p = v + 1;
					out[i].n = (size_t)(ve - v - 2);
					out[i].is_str = 1;
				} else {
					out[i].p = v;
					out[i].n = (size_t)(ve - v);
				}
				if (++found == nk)
					return found;
				break;
			}
		}
		p = jp_ws(ve, e);
		if (p < e && *p == ',') {
			p++;
			continue;
		}
		if (p < e && *p == '}')
			return found;
		return -1;
	}
}

static inline int span_eq(const jspan *s, const char *lit, size_t litlen)
{
	return s->p && s->is_str && s->n == litlen && !memcmp(s->p, lit, litlen);
}

/* ---------------------------------------------------------------- base64 */
static BENCH_UNUSED size_t b64_encode(const uint8_t *in, size_t n, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = (i + 1 < n) ? tab[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

/* ---------------------------------------------------------------- SHA-1 (RFC 3174)
 * Only used to check Sec-WebSocket-Accept during the opening handshake. */
static BENCH_UNUSED void sha1(const uint8_t *msg, size_t len, uint8_t out[20])
{
	uint32_t h[5] = { 0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u };
	uint8_t block[64];
	uint64_t bits = (uint64_t)len * 8;
	size_t off = 0, i;
	int last = 0, pad_done = 0;

	while (!last) {
		uint32_t w[80], a, b, c, d, e, t;
		size_t take = len - off > 64 ? 64 : len - off;
		memcpy(block, msg + off, take);
		off += take;
		if (take < 64) {
			memset(block + take, 0, 64 - take);
			if (!pad_done) {
				block[take] = 0x80;
				pad_done = 1;
			}
			if (take < 56) {
				for (i = 0; i < 8; i++)
					block[63 - i] = (uint8_t)(bits >> (8 * i));
				last = 1;
			}
		}
		for (i = 0; i < 16; i++)
			w[i] = ((uint32_t)block[4 * i] << 24) | ((uint32_t)block[4 * i + 1] << 16) |
			       ((uint32_t)block[4 * i + 2] << 8) | block[4 * i + 3];
		for (i = 16; i < 80; i++) {
			t = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
			w[i] = (t << 1) | (t >> 31);
		}
		a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
		for (i = 0; i < 80; i++) {
			uint32_t f, k;
			if (i < 20)
				f = (b & c) | (~b & d), k = 0x5A827999u;
			else if (i < 40)
				f = b ^ c ^ d, k = 0x6ED9EBA1u;
			else if (i < 60)
				f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDCu;
			else
				f = b ^ c ^ d, k = 0xCA62C1D6u;
			t = ((a << 5) | (a >> 27)) + f + e + k + w[i];
			e = d, d = c, c = (b << 30) | (b >> 2), b = a, a = t;
		}
		h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
		/* a message whose length is exactly a multiple of 64 needs one more block */
		if (!last && off == len && take == 64)
			continue;
	}
	for (i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

#endif
