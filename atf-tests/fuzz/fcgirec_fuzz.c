/*
 * fcgirec_fuzz -- libFuzzer driver of the FastCGI record codec
 * (lib/core/fcgirec.c): what a client may write to the master's socket.
 *
 * Feeds: byte 0 sets a read's size (its value plus 1); the rest is the
 * stream, in a heap block of its exact size, fed to a codec in a heap
 * block of its own: whole, in reads of that size, and one byte at a
 * time, each read fed again from where an event stopped it, as the
 * master does; a request made whole is followed by ce_fcgirec_init(), as
 * on a kept connection, and an error ends the stream.  The same bytes
 * are also encoded as an answer's body.
 *
 * Asserts: a call takes no more than it is given, and all of it unless
 * an event stops it; an error takes nothing more; the parameters of a
 * request lie within the params buffer, each value NUL-terminated there,
 * and the ones looked up by name agree with that walk; an answer waiting
 * is at most CE_FCGIREC_REPLY_MAX bytes, whole records of a multiple of
 * 8, of type GET_VALUES_RESULT, UNKNOWN_TYPE or END_REQUEST; the three
 * ways of feeding give the same events, requests and answers (a digest of
 * each); the encoded answer is ce_fcgirec_encode_size() bytes, refused
 * one byte short, and decodes back to the same body; and fed to a codec,
 * an answer (records of a request never begun) is read to its end with
 * no event.
 */
#include <stdlib.h>
#include <string.h>

#include "c2s-enrich.h"
#include "core/fcgirec.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* FNV-1a over what came out of a stream. */
static uint64_t
digest(uint64_t h, const void *p, size_t n)
{
	const unsigned char	*b = p;
	size_t			 i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/*
 * Check the parameters of the whole request in "c": "name\0value\0"
 * entries within params_len, the lookups agreeing with the first of each
 * name.  Returns their digest mixed into "h".
 */
static uint64_t
check_params(const struct ce_fcgirec *c, uint64_t h)
{
	const char	*p = c->params, *end = c->params + c->params_len;
	const char	*v, *got;
	size_t		 i, nl;

	FZ_CHECK(c->params_len <= CE_FCGIREC_PARAMS_MAX);
	for (i = 0; i < c->nparams; i++) {
		FZ_CHECK(p < end && memchr(p, '\0', (size_t)(end - p)) != NULL);
		nl = strlen(p);
		v = p + nl + 1;
		FZ_CHECK(v < end && memchr(v, '\0', (size_t)(end - v)) != NULL);
		/* Its own value, or an earlier one of the same name. */
		got = ce_fcgirec_param(c, p);
		FZ_CHECK(got != NULL && got <= v && got - c->params > (long)nl);
		FZ_CHECK(memcmp(got - nl - 1, p, nl + 1) == 0);
		FZ_CHECK(got - nl - 1 == c->params || got[-(long)nl - 2] == '\0');
		h = digest(h, p, v + strlen(v) + 1 - p);
		p = v + strlen(v) + 1;
	}
	FZ_CHECK(p == end);
	return h;
}

/* Check an answer of "n" bytes: whole records of the three types. */
static void
check_reply(const unsigned char *r, size_t n)
{
	FZ_CHECK(n >= 8 && n <= CE_FCGIREC_REPLY_MAX && n % 8 == 0);
	FZ_CHECK(r[0] == 1);
	FZ_CHECK(r[1] == CE_FCGI_GET_VALUES_RESULT ||
	    r[1] == CE_FCGI_UNKNOWN_TYPE || r[1] == CE_FCGI_END_REQUEST);
	FZ_CHECK(8 + ((size_t)r[4] << 8 | r[5]) + r[6] == n);
}

/*
 * Feed "len" bytes of "in" to "c" in reads of "step" bytes.  Returns a
 * digest of every event, request and answer.
 */
static uint64_t
feed(struct ce_fcgirec *c, const unsigned char *in, size_t len, size_t step)
{
	unsigned char		 r[CE_FCGIREC_REPLY_MAX];
	uint64_t		 h = 0xcbf29ce484222325ull, st;
	size_t			 off = 0, end, used, n;
	enum ce_fcgirec_ev	 ev = CE_FCGIREC_MORE;

	ce_fcgirec_init(c);
	while (off < len && ev != CE_FCGIREC_ERROR) {
		end = off + (len - off < step ? len - off : step);
		while (off < end && ev != CE_FCGIREC_ERROR) {
			ev = ce_fcgirec_feed(c, in + off, end - off, &used);
			FZ_CHECK(used <= end - off);
			FZ_CHECK(ev != CE_FCGIREC_MORE || used == end - off);
			FZ_CHECK(ev >= CE_FCGIREC_MORE &&
			    ev < CE_FCGIREC_EV__MAX);
			off += used;
			if (ev != CE_FCGIREC_MORE)
				h = digest(h, &ev, sizeof(ev));
			if (ev == CE_FCGIREC_REQUEST) {
				FZ_CHECK(c->phase == CE_FCGIREC_DONE);
				st = c->stdin_bytes;
				h = digest(h, &st, sizeof(st));
				h = digest(h, &c->reqid, sizeof(c->reqid));
				h = check_params(c, h);
				ce_fcgirec_init(c);
			} else if (ev == CE_FCGIREC_REPLY) {
				FZ_CHECK(ce_fcgirec_reply(c, r, 7) == 0);
				n = ce_fcgirec_reply(c, r, sizeof(r));
				check_reply(r, n);
				h = digest(h, r, n);
			} else if (ev == CE_FCGIREC_ERROR) {
				FZ_CHECK(c->phase == CE_FCGIREC_FAILED &&
				    c->why != NULL);
				FZ_CHECK(ce_fcgirec_feed(c, in, len, &used) ==
				    CE_FCGIREC_ERROR && used == 0);
			}
		}
	}
	return h;
}

/* Encode "len" bytes of "body", decode them back, feed them to "c". */
static void
round_trip(struct ce_fcgirec *c, const unsigned char *body, size_t len)
{
	unsigned char	*out, *back;
	size_t		 sz = ce_fcgirec_encode_size(len), off = 0, clen, bl = 0;
	size_t		 used;

	FZ_CHECK(sz > len);
	out = malloc(sz);
	back = malloc(len + 1);
	if (out == NULL || back == NULL)
		goto out;
	FZ_CHECK(ce_fcgirec_encode(1, body, len, out, sz - 1) == 0);
	FZ_CHECK(ce_fcgirec_encode(1, body, len, out, sz) == sz);
	do {
		FZ_CHECK(sz - off >= 8 && out[off + 1] == CE_FCGI_STDOUT);
		clen = (size_t)out[off + 4] << 8 | out[off + 5];
		FZ_CHECK((clen + out[off + 6]) % 8 == 0 && clen <= len - bl);
		memcpy(back + bl, out + off + 8, clen);
		bl += clen;
		off += 8 + clen + out[off + 6];
	} while (clen > 0);
	FZ_CHECK(bl == len && memcmp(back, body, len) == 0);
	FZ_CHECK(sz - off == 16 && out[off + 1] == CE_FCGI_END_REQUEST);

	ce_fcgirec_init(c);
	FZ_CHECK(ce_fcgirec_feed(c, out, sz, &used) == CE_FCGIREC_MORE &&
	    used == sz);
out:
	free(out);
	free(back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ce_fcgirec	*c;
	unsigned char		*in;
	size_t			 len, step;
	uint64_t		 whole;

	if (size < 1)
		return 0;
	step = (size_t)data[0] + 1;
	len = size - 1;
	c = malloc(sizeof(*c));
	in = malloc(len > 0 ? len : 1);
	if (c == NULL || in == NULL)
		goto out;
	memcpy(in, data + 1, len);
	whole = feed(c, in, len, len > 0 ? len : 1);
	FZ_CHECK(feed(c, in, len, step) == whole);
	FZ_CHECK(feed(c, in, len, 1) == whole);
	round_trip(c, in, len);
out:
	free(c);
	free(in);
	return 0;
}
