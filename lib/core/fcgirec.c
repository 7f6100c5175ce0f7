/*
 * fcgirec.c -- a FastCGI record codec for one connection (fcgirec.h):
 * bytes in, events out, as a state machine over the record being read
 * (its 8-byte header, then its content sent to one sink, then its
 * padding), so any cut of the stream gives the same events; and the
 * encoding of an answer as STDOUT records and END_REQUEST.  Pure: no
 * system call, no allocation, nothing beyond the caller's struct and
 * buffers.  FastCGI 1.0 (Open Market, 1996): records, name/value pairs
 * with lengths of 1 byte (below 128) or 4 bytes (high bit set).
 */
#include <stdint.h>
#include <string.h>

#include "core/fcgirec.h"

/* Where the content of the record being read goes. */
enum sink {
	SINK_DROP = 0,	/* nowhere: records ignored, management ones */
	SINK_BODY,	/* BEGIN_REQUEST's 8 bytes */
	SINK_PARAMS,	/* appended to the PARAMS stream */
	SINK_STDIN,	/* counted and dropped */
	SINK_MGMT	/* a GET_VALUES's pairs */
};

/* What FCGI_GET_VALUES is answered. */
static const struct {
	const char	*name;
	const char	*value;
} values[] = {
	{ "FCGI_MAX_CONNS", "1" },
	{ "FCGI_MAX_REQS", "1" },
	{ "FCGI_MPXS_CONNS", "0" },
};

/* The padding that brings "n" bytes of content to a multiple of 8. */
static size_t
pad(size_t n)
{
	return (8 - n % 8) % 8;
}

/*
 * Write the record of "type" for request "id" with "clen" bytes of
 * "content" (at most CE_FCGIREC_CHUNK), padded, at "out", which has room
 * for it.  Returns the bytes written.
 */
static size_t
record(unsigned char *out, unsigned int type, uint16_t id,
    const void *content, size_t clen)
{
	size_t	 pl = pad(clen);

	out[0] = 1;
	out[1] = (unsigned char)type;
	out[2] = id >> 8;
	out[3] = id & 0xff;
	out[4] = (clen >> 8) & 0xff;
	out[5] = clen & 0xff;
	out[6] = (unsigned char)pl;
	out[7] = 0;
	if (clen > 0)
		memcpy(out + CE_FCGIREC_HDR, content, clen);
	memset(out + CE_FCGIREC_HDR + clen, 0, pl);
	return CE_FCGIREC_HDR + clen + pl;
}

/* END_REQUEST of request "id" with "status" at "out" (16 bytes). */
static size_t
end_request(unsigned char *out, uint16_t id, unsigned int status)
{
	unsigned char	 b[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };

	b[4] = (unsigned char)status;	/* appStatus 0 */
	return record(out, CE_FCGI_END_REQUEST, id, b, sizeof(b));
}

/* Mark "c" failed for "why".  Returns CE_FCGIREC_ERROR. */
static enum ce_fcgirec_ev
fail(struct ce_fcgirec *c, const char *why)
{
	c->phase = CE_FCGIREC_FAILED;
	c->why = why;
	return CE_FCGIREC_ERROR;
}

void
ce_fcgirec_init(struct ce_fcgirec *c)
{
	/* The buffers are left as they are: no page touched for nothing. */
	c->phase = CE_FCGIREC_IDLE;
	c->reqid = 0;
	c->role = 0;
	c->keep_conn = 0;
	c->stdin_bytes = 0;
	c->why = NULL;
	c->hlen = 0;
	c->type = 0;
	c->rid = 0;
	c->clen = c->cpos = c->plen = c->ppos = 0;
	c->sink = SINK_DROP;
	c->mlen = 0;
	c->params_len = 0;
	c->nparams = 0;
	c->reply_len = 0;
}

/*
 * Read one length of a name/value pair (1 or 4 bytes) at "*pos" of "p"
 * ("len" bytes) into "*out".  Returns 0, or -1 when it is cut short.
 */
static int
pair_len(const unsigned char *p, size_t len, size_t *pos, size_t *out)
{
	const unsigned char	*q = p + *pos;

	if (*pos >= len)
		return -1;
	if (q[0] < 0x80) {
		*out = q[0];
		*pos += 1;
		return 0;
	}
	if (len - *pos < 4)
		return -1;
	*out = (size_t)(q[0] & 0x7f) << 24 | (size_t)q[1] << 16 |
	    (size_t)q[2] << 8 | q[3];
	*pos += 4;
	return 0;
}

/*
 * The name/value pair at "*pos" of "p" ("len" bytes): the offsets and
 * lengths of its name and value; "*pos" moves past it.  Returns 0, or -1
 * when it is malformed (cut short, or longer than what is left).
 */
static int
pair(const unsigned char *p, size_t len, size_t *pos, size_t *name,
    size_t *nlen, size_t *val, size_t *vlen)
{
	if (pair_len(p, len, pos, nlen) == -1 ||
	    pair_len(p, len, pos, vlen) == -1)
		return -1;
	if (*nlen > len - *pos || *vlen > len - *pos - *nlen)
		return -1;
	*name = *pos;
	*val = *pos + *nlen;
	*pos = *val + *vlen;
	return 0;
}

/*
 * The PARAMS stream ended: rewrite its pairs in place as "name\0value\0"
 * entries (never longer than the pairs they come from: two length bytes
 * at least become two NULs), each name and value cut at a NUL it holds.
 */
static enum ce_fcgirec_ev
params_end(struct ce_fcgirec *c)
{
	unsigned char	*p = (unsigned char *)c->params;
	size_t		 pos = 0, w = 0, n, nl, v, vl;

	while (pos < c->params_len) {
		if (pair(p, c->params_len, &pos, &n, &nl, &v, &vl) == -1)
			return fail(c, "malformed FCGI_PARAMS");
		nl = strnlen((char *)p + n, nl);
		vl = strnlen((char *)p + v, vl);
		memmove(p + w, p + n, nl);
		w += nl;
		p[w++] = '\0';
		memmove(p + w, p + v, vl);
		w += vl;
		p[w++] = '\0';
		c->nparams++;
	}
	c->params_len = w;
	c->phase = CE_FCGIREC_STDIN;
	return CE_FCGIREC_MORE;
}

/* Answer FCGI_GET_VALUES: each name of values[] asked, once. */
static enum ce_fcgirec_ev
get_values(struct ce_fcgirec *c)
{
	unsigned char	 out[CE_FCGIREC_REPLY_MAX - CE_FCGIREC_HDR];
	size_t		 pos = 0, o = 0, n, nl, v, vl, i, k;
	unsigned int	 seen = 0;

	while (pos < c->mlen) {
		if (pair(c->mgmt, c->mlen, &pos, &n, &nl, &v, &vl) == -1)
			return fail(c, "malformed FCGI_GET_VALUES");
		for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
			k = strlen(values[i].name);
			if (nl != k || memcmp(c->mgmt + n, values[i].name, k) != 0 ||
			    (seen & 1u << i))
				continue;
			seen |= 1u << i;
			/* Both lengths below 128: one byte each. */
			out[o++] = (unsigned char)k;
			out[o++] = (unsigned char)strlen(values[i].value);
			memcpy(out + o, values[i].name, k);
			o += k;
			memcpy(out + o, values[i].value, strlen(values[i].value));
			o += strlen(values[i].value);
		}
	}
	c->reply_len = record(c->reply, CE_FCGI_GET_VALUES_RESULT, 0, out, o);
	return CE_FCGIREC_REPLY;
}

/* BEGIN_REQUEST's content is read: open the request, or refuse its role. */
static enum ce_fcgirec_ev
begin(struct ce_fcgirec *c)
{
	c->role = (uint16_t)(c->body[0] << 8 | c->body[1]);
	c->keep_conn = (c->body[2] & CE_FCGI_KEEP_CONN) != 0;
	if (c->role != CE_FCGI_RESPONDER) {
		/* The request stays closed: its records are ignored. */
		c->reply_len = end_request(c->reply, c->rid,
		    CE_FCGI_UNKNOWN_ROLE);
		return CE_FCGIREC_REPLY;
	}
	c->reqid = c->rid;
	c->phase = CE_FCGIREC_PARAMS;
	c->params_len = 0;
	c->nparams = 0;
	c->stdin_bytes = 0;
	return CE_FCGIREC_MORE;
}

/*
 * The header of a record is read: check it against the request open, and
 * choose where its content goes.  Returns CE_FCGIREC_MORE or the error.
 */
static enum ce_fcgirec_ev
record_begin(struct ce_fcgirec *c)
{
	const unsigned char	*h = c->hdr;
	int			 open;

	if (h[0] != 1)
		return fail(c, "FastCGI version not 1");
	c->type = h[1];
	c->rid = (uint16_t)(h[2] << 8 | h[3]);
	c->clen = (size_t)h[4] << 8 | h[5];
	c->plen = h[6];
	c->cpos = c->ppos = 0;
	c->sink = SINK_DROP;
	if (c->type == CE_FCGI_ABORT_REQUEST)
		return fail(c, "FCGI_ABORT_REQUEST");
	if (c->rid == 0) {
		/* A management record: GET_VALUES, or UNKNOWN_TYPE at its end. */
		if (c->type == CE_FCGI_GET_VALUES) {
			if (c->clen > sizeof(c->mgmt))
				return fail(c, "FCGI_GET_VALUES too long");
			c->mlen = 0;
			c->sink = SINK_MGMT;
		}
		return CE_FCGIREC_MORE;
	}
	open = c->phase != CE_FCGIREC_IDLE && c->rid == c->reqid;
	switch (c->type) {
	case CE_FCGI_BEGIN_REQUEST:
		if (c->phase != CE_FCGIREC_IDLE)
			return fail(c, "a second FCGI_BEGIN_REQUEST");
		if (c->clen != sizeof(c->body))
			return fail(c, "FCGI_BEGIN_REQUEST of a wrong length");
		c->sink = SINK_BODY;
		break;
	case CE_FCGI_PARAMS:
		if (open && c->phase != CE_FCGIREC_PARAMS)
			return fail(c, "FCGI_PARAMS after their end");
		if (open && c->clen > sizeof(c->params) - c->params_len)
			return fail(c, "params over the cap");
		if (open)
			c->sink = SINK_PARAMS;
		break;
	case CE_FCGI_STDIN:
		if (open && c->phase != CE_FCGIREC_STDIN)
			return fail(c, "FCGI_STDIN out of order");
		if (open)
			c->sink = SINK_STDIN;
		break;
	default:
		/* Records of requests not open are ignored (the spec). */
		if (open)
			return fail(c, "a record type a responder never reads");
		break;
	}
	return CE_FCGIREC_MORE;
}

/* "n" bytes of the content of the record being read. */
static void
content(struct ce_fcgirec *c, const unsigned char *p, size_t n)
{
	switch (c->sink) {
	case SINK_BODY:
		memcpy(c->body + c->cpos, p, n);
		break;
	case SINK_PARAMS:
		memcpy(c->params + c->params_len, p, n);
		c->params_len += n;
		break;
	case SINK_STDIN:
		c->stdin_bytes += n;
		break;
	case SINK_MGMT:
		memcpy(c->mgmt + c->mlen, p, n);
		c->mlen += n;
		break;
	default:
		break;
	}
}

/* The record being read is whole, padding included: its event. */
static enum ce_fcgirec_ev
record_end(struct ce_fcgirec *c)
{
	unsigned char	 b[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };

	switch (c->sink) {
	case SINK_BODY:
		return begin(c);
	case SINK_PARAMS:
		return c->clen == 0 ? params_end(c) : CE_FCGIREC_MORE;
	case SINK_STDIN:
		if (c->clen > 0)
			return CE_FCGIREC_MORE;
		c->phase = CE_FCGIREC_DONE;
		return CE_FCGIREC_REQUEST;
	case SINK_MGMT:
		return get_values(c);
	default:
		if (c->rid != 0)
			return CE_FCGIREC_MORE;
		b[0] = (unsigned char)c->type;
		c->reply_len = record(c->reply, CE_FCGI_UNKNOWN_TYPE, 0, b,
		    sizeof(b));
		return CE_FCGIREC_REPLY;
	}
}

enum ce_fcgirec_ev
ce_fcgirec_feed(struct ce_fcgirec *c, const void *data, size_t len,
    size_t *used)
{
	const unsigned char	*p = data;
	size_t			 i = 0, n;
	enum ce_fcgirec_ev	 ev;

	*used = 0;
	if (c->phase == CE_FCGIREC_FAILED)
		return CE_FCGIREC_ERROR;
	if (c->reply_len > 0)
		return CE_FCGIREC_REPLY;
	for (;;) {
		if (c->hlen == CE_FCGIREC_HDR && c->cpos == c->clen &&
		    c->ppos == c->plen) {
			c->hlen = 0;
			if ((ev = record_end(c)) != CE_FCGIREC_MORE) {
				*used = i;
				return ev;
			}
		}
		if (i == len)
			break;
		if (c->hlen < CE_FCGIREC_HDR) {
			n = CE_FCGIREC_HDR - c->hlen;
			n = n < len - i ? n : len - i;
			memcpy(c->hdr + c->hlen, p + i, n);
			c->hlen += n;
			i += n;
			if (c->hlen == CE_FCGIREC_HDR &&
			    record_begin(c) == CE_FCGIREC_ERROR) {
				*used = i;
				return CE_FCGIREC_ERROR;
			}
		} else if (c->cpos < c->clen) {
			n = c->clen - c->cpos;
			n = n < len - i ? n : len - i;
			content(c, p + i, n);
			c->cpos += n;
			i += n;
		} else {
			n = c->plen - c->ppos;
			n = n < len - i ? n : len - i;
			c->ppos += n;
			i += n;
		}
	}
	*used = i;
	return CE_FCGIREC_MORE;
}

const char *
ce_fcgirec_param(const struct ce_fcgirec *c, const char *name)
{
	const char	*p = c->params, *v;
	size_t		 i;

	if (c->phase != CE_FCGIREC_DONE)
		return NULL;
	for (i = 0; i < c->nparams; i++) {
		v = p + strlen(p) + 1;
		if (strcmp(p, name) == 0)
			return v;
		p = v + strlen(v) + 1;
	}
	return NULL;
}

size_t
ce_fcgirec_reply(struct ce_fcgirec *c, void *out, size_t outsz)
{
	size_t	 n = c->reply_len;

	if (n == 0 || outsz < n)
		return 0;
	memcpy(out, c->reply, n);
	c->reply_len = 0;
	return n;
}

size_t
ce_fcgirec_encode_size(size_t len)
{
	size_t	 full = len / CE_FCGIREC_CHUNK, rest = len % CE_FCGIREC_CHUNK;
	size_t	 n;

	if (len > SIZE_MAX / 2)
		return 0;
	n = full * (CE_FCGIREC_HDR + CE_FCGIREC_CHUNK + pad(CE_FCGIREC_CHUNK));
	if (rest > 0)
		n += CE_FCGIREC_HDR + rest + pad(rest);
	/* The empty STDOUT, then END_REQUEST. */
	return n + CE_FCGIREC_HDR + CE_FCGIREC_HDR + 8;
}

size_t
ce_fcgirec_encode(uint16_t reqid, const void *body, size_t len, void *out,
    size_t outsz)
{
	const unsigned char	*b = body;
	unsigned char		*o = out;
	size_t			 need = ce_fcgirec_encode_size(len), n;

	if (need == 0 || outsz < need)
		return 0;
	while (len > 0) {
		n = len < CE_FCGIREC_CHUNK ? len : CE_FCGIREC_CHUNK;
		o += record(o, CE_FCGI_STDOUT, reqid, b, n);
		b += n;
		len -= n;
	}
	o += record(o, CE_FCGI_STDOUT, reqid, NULL, 0);
	o += end_request(o, reqid, CE_FCGI_REQUEST_COMPLETE);
	return need;
}
