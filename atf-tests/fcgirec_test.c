/*
 * fcgirec_test -- the FastCGI record codec (lib/core/fcgirec.c): requests
 * built as lighttpd sends them, fed whole, one byte at a time and cut at
 * every point; params at and over the cap; a refused role; FCGI_GET_VALUES
 * and unknown management records; the errors (a second BEGIN, a version
 * other than 1, an abort, malformed pairs); both forms of a pair's
 * lengths; answers encoded, split and decoded back; and real FastCGI
 * clients, libfcgi's cgi-fcgi and lighttpd's mod_fastcgi, talking to
 * fcgirec_echo.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include "core/fcgirec.h"

/* A byte string the cases build requests in, and answers are kept in. */
struct msg {
	unsigned char	 b[300000];
	size_t		 len;
};

static struct msg *
msg_new(void)
{
	struct msg	*m;

	ATF_REQUIRE((m = calloc(1, sizeof(*m))) != NULL);
	return m;
}

static void
put(struct msg *m, const void *p, size_t n)
{
	ATF_REQUIRE(n <= sizeof(m->b) - m->len);
	if (n > 0)
		memcpy(m->b + m->len, p, n);
	m->len += n;
}

/* A record as a client sends it, with "pl" bytes of (non-zero) padding. */
static void
put_rec(struct msg *m, int type, uint16_t id, const void *content,
    size_t clen, size_t pl)
{
	unsigned char	 h[8], padding[255];

	ATF_REQUIRE(clen <= 65535 && pl <= 255);
	h[0] = 1;
	h[1] = (unsigned char)type;
	h[2] = id >> 8;
	h[3] = id & 0xff;
	h[4] = (unsigned char)(clen >> 8);
	h[5] = clen & 0xff;
	h[6] = (unsigned char)pl;
	h[7] = 0;
	memset(padding, 0xee, sizeof(padding));
	put(m, h, sizeof(h));
	put(m, content, clen);
	put(m, padding, pl);
}

static void
put_begin(struct msg *m, uint16_t id, int role, int flags)
{
	unsigned char	 b[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };

	b[0] = (unsigned char)(role >> 8);
	b[1] = role & 0xff;
	b[2] = (unsigned char)flags;
	put_rec(m, CE_FCGI_BEGIN_REQUEST, id, b, sizeof(b), 0);
}

/* A length of a pair: 1 byte below 128 unless "four", else 4 bytes. */
static void
put_len(struct msg *m, size_t n, int four)
{
	unsigned char	 b[4];

	if (n < 128 && !four) {
		b[0] = (unsigned char)n;
		put(m, b, 1);
		return;
	}
	b[0] = (unsigned char)(0x80 | (n >> 24));
	b[1] = (n >> 16) & 0xff;
	b[2] = (n >> 8) & 0xff;
	b[3] = n & 0xff;
	put(m, b, 4);
}

/* A name/value pair into "m" (a PARAMS stream, not yet in records). */
static void
put_pair(struct msg *m, const char *name, const char *value, int four)
{
	put_len(m, strlen(name), four);
	put_len(m, strlen(value), four);
	put(m, name, strlen(name));
	put(m, value, strlen(value));
}

/*
 * The pairs of "s" as PARAMS records of request "id", cut every "cut"
 * bytes (so pairs straddle records, as lighttpd's may), then the empty
 * PARAMS record.
 */
static void
put_params(struct msg *m, uint16_t id, const struct msg *s, size_t cut)
{
	size_t	 off, n;

	for (off = 0; off < s->len; off += n) {
		n = s->len - off < cut ? s->len - off : cut;
		put_rec(m, CE_FCGI_PARAMS, id, s->b + off, n, (8 - n % 8) % 8);
	}
	put_rec(m, CE_FCGI_PARAMS, id, NULL, 0, 0);
}

/* STDIN records of "body" (cut every 1000 bytes), then the empty one. */
static void
put_stdin(struct msg *m, uint16_t id, const char *body)
{
	size_t	 off, n, len = strlen(body);

	for (off = 0; off < len; off += n) {
		n = len - off < 1000 ? len - off : 1000;
		put_rec(m, CE_FCGI_STDIN, id, body + off, n, 3);
	}
	put_rec(m, CE_FCGI_STDIN, id, NULL, 0, 0);
}

/*
 * A request as lighttpd 1.4 sends one to a responder: BEGIN (RESPONDER,
 * flags 0), its CGI parameters in PARAMS records, STDIN.
 */
static void
put_request(struct msg *m, uint16_t id, const char *method, const char *uri,
    const char *redirect, const char *body)
{
	struct msg	*s = msg_new();
	char		 cl[32];

	put_begin(m, id, CE_FCGI_RESPONDER, 0);
	snprintf(cl, sizeof(cl), "%zu", strlen(body));
	put_pair(s, "CONTENT_LENGTH", cl, 0);
	put_pair(s, "QUERY_STRING", "", 0);
	put_pair(s, "REQUEST_URI", uri, 0);
	if (redirect != NULL)
		put_pair(s, "REDIRECT_STATUS", redirect, 0);
	put_pair(s, "SCRIPT_NAME", uri, 0);
	put_pair(s, "SERVER_SOFTWARE", "lighttpd/1.4.69", 0);
	put_pair(s, "GATEWAY_INTERFACE", "CGI/1.1", 0);
	put_pair(s, "REQUEST_SCHEME", "http", 0);
	put_pair(s, "SERVER_PROTOCOL", "HTTP/1.1", 0);
	put_pair(s, "REMOTE_ADDR", "127.0.0.1", 0);
	put_pair(s, "REQUEST_METHOD", method, 0);
	put_pair(s, "HTTP_X_REQUEST_ID", "rid-0123456789abcdef", 0);
	put_pair(s, "HTTP_USER_AGENT", "curl/7.88.1", 0);
	put_params(m, id, s, 100);
	put_stdin(m, id, body);
	free(s);
}

/* A parameter of the request, or "-" when it was not sent. */
static const char *
param(const struct ce_fcgirec *c, const char *name)
{
	const char	*v = ce_fcgirec_param(c, name);

	return v != NULL ? v : "-";
}

/*
 * Feed "in" to "c", "first" bytes in the first read and "chunk" in each
 * later one (as a socket's reads may cut a stream), each read fed again
 * from where an event stopped it, and write what came out into "log":
 * "Q(URI METHOD REDIRECT_STATUS stdin)" for a request (after which "c"
 * is made ready for the next one, as on a kept connection), "R" for an
 * answer (its bytes appended to "rep" unless NULL), "E(why)" for an
 * error, the end.  Returns the bytes taken.
 */
static size_t
run(struct ce_fcgirec *c, const struct msg *in, size_t first, size_t chunk,
    char *log, size_t logsz, struct msg *rep)
{
	unsigned char		 r[CE_FCGIREC_REPLY_MAX];
	size_t			 off = 0, end, used, rl, l = 0, n = first;
	enum ce_fcgirec_ev	 ev = CE_FCGIREC_MORE;

	log[0] = '\0';
	while (off < in->len && ev != CE_FCGIREC_ERROR) {
		end = off + (in->len - off < n ? in->len - off : n);
		n = chunk;
		while (off < end && ev != CE_FCGIREC_ERROR) {
			ev = ce_fcgirec_feed(c, in->b + off, end - off, &used);
			ATF_REQUIRE(used <= end - off);
			ATF_REQUIRE(ev != CE_FCGIREC_MORE || used == end - off);
			off += used;
			if (ev == CE_FCGIREC_REQUEST) {
				l += snprintf(log + l, logsz - l,
				    "Q(%s %s %s %llu)",
				    param(c, "REQUEST_URI"),
				    param(c, "REQUEST_METHOD"),
				    param(c, "REDIRECT_STATUS"),
				    (unsigned long long)c->stdin_bytes);
				ce_fcgirec_init(c);
			} else if (ev == CE_FCGIREC_REPLY) {
				rl = ce_fcgirec_reply(c, r, sizeof(r));
				ATF_REQUIRE(rl > 0);
				if (rep != NULL)
					put(rep, r, rl);
				l += snprintf(log + l, logsz - l, "R");
			} else if (ev == CE_FCGIREC_ERROR)
				l += snprintf(log + l, logsz - l, "E(%s)",
				    c->why);
			ATF_REQUIRE(l < logsz);
		}
	}
	return off;
}

/* run() on a new codec, the whole input in one read. */
static size_t
run_new(const struct msg *in, char *log, size_t logsz, struct msg *rep)
{
	struct ce_fcgirec	*c;
	size_t			 n;

	ATF_REQUIRE((c = malloc(sizeof(*c))) != NULL);
	ce_fcgirec_init(c);
	n = run(c, in, in->len, in->len, log, logsz, rep);
	free(c);
	return n;
}

static int
same(const struct msg *a, const struct msg *b)
{
	return a->len == b->len && memcmp(a->b, b->b, a->len) == 0;
}

ATF_TC(begin_params_stdin__request);
ATF_TC_HEAD(begin_params_stdin__request, tc)
{
	atf_tc_set_md_var(tc, "descr", "a whole request as lighttpd sends it "
	    "gives one REQUEST event at its very end, with its parameters, "
	    "id and flags, and the body read and dropped");
}
ATF_TC_BODY(begin_params_stdin__request, tc)
{
	struct msg		*m = msg_new();
	struct ce_fcgirec	 c;
	size_t			 used;

	put_request(m, 7, "POST", "/__httpd_error?x=1", "503", "{\"a\":1}");
	ce_fcgirec_init(&c);
	ATF_CHECK_EQ(ce_fcgirec_param(&c, "REQUEST_URI"), NULL);
	/* All but the last byte: no event yet, every byte taken. */
	ATF_REQUIRE_EQ(ce_fcgirec_feed(&c, m->b, m->len - 1, &used),
	    CE_FCGIREC_MORE);
	ATF_CHECK_EQ(used, m->len - 1);
	ATF_CHECK_EQ(ce_fcgirec_param(&c, "REQUEST_URI"), NULL);
	ATF_REQUIRE_EQ(ce_fcgirec_feed(&c, m->b + m->len - 1, 1, &used),
	    CE_FCGIREC_REQUEST);
	ATF_CHECK_EQ(used, 1);
	ATF_CHECK_STREQ(ce_fcgirec_param(&c, "REQUEST_URI"),
	    "/__httpd_error?x=1");
	ATF_CHECK_STREQ(ce_fcgirec_param(&c, "REQUEST_METHOD"), "POST");
	ATF_CHECK_STREQ(ce_fcgirec_param(&c, "REDIRECT_STATUS"), "503");
	ATF_CHECK_STREQ(ce_fcgirec_param(&c, "HTTP_X_REQUEST_ID"),
	    "rid-0123456789abcdef");
	ATF_CHECK_STREQ(ce_fcgirec_param(&c, "REMOTE_ADDR"), "127.0.0.1");
	ATF_CHECK_STREQ(ce_fcgirec_param(&c, "QUERY_STRING"), "");
	ATF_CHECK_STREQ(ce_fcgirec_param(&c, "CONTENT_LENGTH"), "7");
	ATF_CHECK_STREQ(ce_fcgirec_param(&c, "HTTP_USER_AGENT"),
	    "curl/7.88.1");
	ATF_CHECK_EQ(ce_fcgirec_param(&c, "REQUEST"), NULL);
	ATF_CHECK_EQ(ce_fcgirec_param(&c, "REQUEST_URIX"), NULL);
	ATF_CHECK_EQ(c.reqid, 7);
	ATF_CHECK_EQ(c.role, CE_FCGI_RESPONDER);
	ATF_CHECK_EQ(c.keep_conn, 0);
	ATF_CHECK_EQ(c.stdin_bytes, 7);
	ATF_CHECK_EQ(c.phase, CE_FCGIREC_DONE);
	/* The event is given once. */
	ATF_CHECK_EQ(ce_fcgirec_feed(&c, m->b, 0, &used), CE_FCGIREC_MORE);
	ATF_CHECK_EQ(used, 0);
	ATF_CHECK_STREQ(ce_fcgirec_param(&c, "REQUEST_METHOD"), "POST");
	/* Made ready for the next request: the parameters are gone. */
	ce_fcgirec_init(&c);
	ATF_CHECK_EQ(ce_fcgirec_param(&c, "REQUEST_METHOD"), NULL);
	free(m);
}

ATF_TC(byte_at_a_time__same);
ATF_TC_HEAD(byte_at_a_time__same, tc)
{
	atf_tc_set_md_var(tc, "descr", "a kept connection's stream (a "
	    "GET_VALUES, two requests, an unknown management record) fed "
	    "one byte at a time, or cut in two at any point, gives the same "
	    "events and answers as fed whole");
}
ATF_TC_BODY(byte_at_a_time__same, tc)
{
	struct msg		*m = msg_new(), *s = msg_new();
	struct msg		*rep1 = msg_new(), *rep2 = msg_new();
	struct ce_fcgirec	 c;
	char			 whole[512], log[512];
	unsigned char		 u[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };
	size_t			 cut;

	put_pair(s, "FCGI_MPXS_CONNS", "", 0);
	put_rec(m, CE_FCGI_GET_VALUES, 0, s->b, s->len, 1);
	put_request(m, 1, "GET", "/health", NULL, "");
	put_rec(m, 12, 0, u, sizeof(u), 0);
	put_request(m, 2, "POST", "/ready", "500", "0123456789");
	ATF_REQUIRE_EQ(run_new(m, whole, sizeof(whole), rep1), m->len);
	ATF_REQUIRE_STREQ(whole, "RQ(/health GET - 0)RQ(/ready POST 500 10)");
	ATF_REQUIRE(rep1->len > 0);

	ce_fcgirec_init(&c);
	ATF_CHECK_EQ(run(&c, m, 1, 1, log, sizeof(log), rep2), m->len);
	ATF_CHECK_STREQ(log, whole);
	ATF_CHECK(same(rep1, rep2));

	for (cut = 1; cut < m->len; cut++) {
		rep2->len = 0;
		ce_fcgirec_init(&c);
		ATF_CHECK_EQ(run(&c, m, cut, m->len, log, sizeof(log), rep2),
		    m->len);
		ATF_CHECK_STREQ_MSG(log, whole, "cut at %zu", cut);
		ATF_CHECK_MSG(same(rep1, rep2), "cut at %zu: other answers",
		    cut);
	}
	free(m);
	free(s);
	free(rep1);
	free(rep2);
}

/*
 * A request whose PARAMS stream is "len" bytes (REQUEST_URI, then a
 * pair "X" filling the rest, its lengths in 4 bytes), cut every "cut"
 * bytes into records.
 */
static struct msg *
request_of_params(size_t len, size_t cut)
{
	struct msg	*m = msg_new(), *s = msg_new();
	char		*v;
	size_t		 vlen;

	put_pair(s, "REQUEST_URI", "/health", 0);	/* 20 bytes */
	ATF_REQUIRE(len >= s->len + 9);
	vlen = len - s->len - 9;			/* 4 + 4 + "X" */
	ATF_REQUIRE((v = malloc(vlen + 1)) != NULL);
	memset(v, 'v', vlen);
	v[vlen] = '\0';
	put_pair(s, "X", v, 1);
	ATF_REQUIRE_EQ(s->len, len);
	put_begin(m, 1, CE_FCGI_RESPONDER, 0);
	put_params(m, 1, s, cut);
	put_stdin(m, 1, "");
	free(v);
	free(s);
	return m;
}

ATF_TC(params_over_cap__refused);
ATF_TC_HEAD(params_over_cap__refused, tc)
{
	atf_tc_set_md_var(tc, "descr", "params of exactly "
	    "CE_FCGIREC_PARAMS_MAX bytes are read; one byte more, in one "
	    "record or across several, is an error at the header of the "
	    "record that would pass the cap, before its content is copied");
}
ATF_TC_BODY(params_over_cap__refused, tc)
{
	struct msg		*m;
	struct ce_fcgirec	 c;
	char			 log[256];
	size_t			 used;

	m = request_of_params(CE_FCGIREC_PARAMS_MAX, 5000);
	ATF_CHECK_EQ(run_new(m, log, sizeof(log), NULL), m->len);
	ATF_CHECK_STREQ(log, "Q(/health - - 0)");
	free(m);

	/* Records of 5000, 5000, 5000 and 1385 bytes: the fourth is over. */
	m = request_of_params(CE_FCGIREC_PARAMS_MAX + 1, 5000);
	ce_fcgirec_init(&c);
	ATF_CHECK_EQ(ce_fcgirec_feed(&c, m->b, m->len, &used),
	    CE_FCGIREC_ERROR);
	ATF_CHECK_EQ(used, 16 + 3 * (8 + 5000) + 8);
	ATF_CHECK_STREQ(c.why, "params over the cap");
	ATF_CHECK_EQ(c.params_len, 15000);
	ATF_CHECK_EQ(c.phase, CE_FCGIREC_FAILED);
	/* Stuck: nothing more is read. */
	ATF_CHECK_EQ(ce_fcgirec_feed(&c, m->b + used, m->len - used, &used),
	    CE_FCGIREC_ERROR);
	ATF_CHECK_EQ(used, 0);
	ATF_CHECK_EQ(ce_fcgirec_param(&c, "REQUEST_URI"), NULL);
	free(m);

	/* In one record. */
	m = request_of_params(CE_FCGIREC_PARAMS_MAX + 1, 65535);
	ce_fcgirec_init(&c);
	ATF_CHECK_EQ(ce_fcgirec_feed(&c, m->b, m->len, &used),
	    CE_FCGIREC_ERROR);
	ATF_CHECK_EQ(used, 16 + 8);
	ATF_CHECK_STREQ(c.why, "params over the cap");
	ATF_CHECK_EQ(c.params_len, 0);
	free(m);
}

/* Check "r" is the 16-byte END_REQUEST of "id" with protocol "status". */
static void
check_end_request(const unsigned char *r, uint16_t id, int status)
{
	const unsigned char want[16] = { 1, CE_FCGI_END_REQUEST, id >> 8,
	    id & 0xff, 0, 8, 0, 0, 0, 0, 0, 0, (unsigned char)status, 0, 0,
	    0 };

	ATF_CHECK_MSG(memcmp(r, want, sizeof(want)) == 0,
	    "not END_REQUEST %u %d", id, status);
}

ATF_TC(unknown_role__end_request);
ATF_TC_HEAD(unknown_role__end_request, tc)
{
	atf_tc_set_md_var(tc, "descr", "a BEGIN_REQUEST of a role other than "
	    "RESPONDER is answered END_REQUEST with FCGI_UNKNOWN_ROLE, its "
	    "records are ignored, and a responder's request after it is read");
}
ATF_TC_BODY(unknown_role__end_request, tc)
{
	struct msg		*m = msg_new(), *rep = msg_new();
	struct ce_fcgirec	 c;
	unsigned char		 r[CE_FCGIREC_REPLY_MAX];
	char			 log[256];
	size_t			 used;

	put_begin(m, 3, 2, CE_FCGI_KEEP_CONN);		/* AUTHORIZER */
	ce_fcgirec_init(&c);
	ATF_REQUIRE_EQ(ce_fcgirec_feed(&c, m->b, m->len, &used),
	    CE_FCGIREC_REPLY);
	ATF_CHECK_EQ(used, m->len);
	ATF_CHECK_EQ(c.role, 2);
	ATF_CHECK_EQ(c.keep_conn, 1);
	ATF_CHECK_EQ(c.phase, CE_FCGIREC_IDLE);
	/* The answer is taken whole or not at all. */
	ATF_CHECK_EQ(ce_fcgirec_reply(&c, r, 15), 0);
	ATF_REQUIRE_EQ(ce_fcgirec_reply(&c, r, sizeof(r)), 16);
	check_end_request(r, 3, CE_FCGI_UNKNOWN_ROLE);
	ATF_CHECK_EQ(ce_fcgirec_reply(&c, r, sizeof(r)), 0);

	/* The refused request's records, then FILTER's, then a responder. */
	m->len = 0;
	put_begin(m, 3, 2, 0);
	put_stdin(m, 3, "ignored");
	put_begin(m, 4, 3, 0);				/* FILTER */
	put_request(m, 5, "GET", "/health", NULL, "");
	ATF_CHECK_EQ(run_new(m, log, sizeof(log), rep), m->len);
	ATF_CHECK_STREQ(log, "RRQ(/health GET - 0)");
	ATF_REQUIRE_EQ(rep->len, 32);
	check_end_request(rep->b, 3, CE_FCGI_UNKNOWN_ROLE);
	check_end_request(rep->b + 16, 4, CE_FCGI_UNKNOWN_ROLE);
	free(m);
	free(rep);
}

ATF_TC(get_values__answered);
ATF_TC_HEAD(get_values__answered, tc)
{
	atf_tc_set_md_var(tc, "descr", "FCGI_GET_VALUES is answered "
	    "FCGI_MAX_CONNS 1, FCGI_MAX_REQS 1, FCGI_MPXS_CONNS 0 for the "
	    "names asked, once each; nothing is read while an answer waits; "
	    "another management type gets FCGI_UNKNOWN_TYPE");
}
ATF_TC_BODY(get_values__answered, tc)
{
	static const unsigned char want[] = {
		1, CE_FCGI_GET_VALUES_RESULT, 0, 0, 0, 35, 5, 0,
		15, 1, 'F', 'C', 'G', 'I', '_', 'M', 'P', 'X', 'S', '_',
		'C', 'O', 'N', 'N', 'S', '0',
		14, 1, 'F', 'C', 'G', 'I', '_', 'M', 'A', 'X', '_',
		'C', 'O', 'N', 'N', 'S', '1',
		0, 0, 0, 0, 0,
	};
	static const unsigned char unknown[] = {
		1, CE_FCGI_UNKNOWN_TYPE, 0, 0, 0, 8, 0, 0,
		CE_FCGI_END_REQUEST, 0, 0, 0, 0, 0, 0, 0,
	};
	struct msg		*m = msg_new(), *s = msg_new();
	struct ce_fcgirec	 c;
	unsigned char		 r[CE_FCGIREC_REPLY_MAX];
	size_t			 used, rl, n;

	put_pair(s, "FCGI_MPXS_CONNS", "", 0);
	put_pair(s, "FCGI_MAX_CONN", "", 0);
	put_pair(s, "FCGI_MAX_CONNS", "", 1);
	put_pair(s, "FCGI_MPXS_CONNS", "", 0);
	put_rec(m, CE_FCGI_GET_VALUES, 0, s->b, s->len, 0);
	n = m->len;
	put_rec(m, CE_FCGI_END_REQUEST, 0, "\0\0\0\0\0\0\0", 8, 0);
	ce_fcgirec_init(&c);
	ATF_REQUIRE_EQ(ce_fcgirec_feed(&c, m->b, m->len, &used),
	    CE_FCGIREC_REPLY);
	ATF_CHECK_EQ(used, n);
	/* Waiting: the next record is not read. */
	ATF_CHECK_EQ(ce_fcgirec_feed(&c, m->b + n, m->len - n, &used),
	    CE_FCGIREC_REPLY);
	ATF_CHECK_EQ(used, 0);
	rl = ce_fcgirec_reply(&c, r, sizeof(r));
	ATF_CHECK_EQ(rl, sizeof(want));
	ATF_CHECK(rl == sizeof(want) && memcmp(r, want, rl) == 0);

	ATF_REQUIRE_EQ(ce_fcgirec_feed(&c, m->b + n, m->len - n, &used),
	    CE_FCGIREC_REPLY);
	ATF_CHECK_EQ(used, m->len - n);
	rl = ce_fcgirec_reply(&c, r, sizeof(r));
	ATF_CHECK(rl == sizeof(unknown) && memcmp(r, unknown, rl) == 0);

	/* All three names, and none. */
	m->len = s->len = 0;
	put_pair(s, "FCGI_MAX_REQS", "", 0);
	put_pair(s, "FCGI_MAX_CONNS", "", 0);
	put_pair(s, "FCGI_MPXS_CONNS", "", 0);
	put_rec(m, CE_FCGI_GET_VALUES, 0, s->b, s->len, 0);
	put_rec(m, CE_FCGI_GET_VALUES, 0, NULL, 0, 0);
	ATF_REQUIRE_EQ(ce_fcgirec_feed(&c, m->b, m->len, &used),
	    CE_FCGIREC_REPLY);
	rl = ce_fcgirec_reply(&c, r, sizeof(r));
	ATF_CHECK_EQ(rl, 64);
	ATF_CHECK(rl == 64 && r[5] == 51 && r[6] == 5 &&
	    memcmp(r + 8, "\x0d\x01" "FCGI_MAX_REQS1", 16) == 0 &&
	    memcmp(r + 24, "\x0e\x01" "FCGI_MAX_CONNS1", 17) == 0 &&
	    memcmp(r + 41, "\x0f\x01" "FCGI_MPXS_CONNS0", 18) == 0);
	ATF_REQUIRE_EQ(ce_fcgirec_feed(&c, m->b + used, m->len - used, &used),
	    CE_FCGIREC_REPLY);
	rl = ce_fcgirec_reply(&c, r, sizeof(r));
	ATF_CHECK(rl == 8 && memcmp(r, "\1\12\0\0\0\0\0\0", 8) == 0);
	free(m);
	free(s);
}

/*
 * Decode "len" bytes of "out" as a client would and check their shape:
 * STDOUT records of request "id" (content at most 65535 bytes, padding
 * to a multiple of 8, made of zeros) gathered into "body", then an
 * empty STDOUT, then END_REQUEST (appStatus 0, complete), ending at
 * "len".  Returns the count of STDOUT records with content.
 */
static size_t
decode(const unsigned char *out, size_t len, uint16_t id, struct msg *body)
{
	size_t	 off = 0, clen, pl, i, n = 0;

	body->len = 0;
	do {
		ATF_REQUIRE_MSG(len - off >= 8, "cut header at %zu", off);
		ATF_REQUIRE(out[off] == 1 && out[off + 7] == 0);
		ATF_REQUIRE_EQ(out[off + 1], CE_FCGI_STDOUT);
		ATF_REQUIRE_EQ(out[off + 2] << 8 | out[off + 3], id);
		clen = (size_t)out[off + 4] << 8 | out[off + 5];
		pl = out[off + 6];
		ATF_REQUIRE_EQ_MSG((clen + pl) % 8, 0, "padding at %zu", off);
		ATF_REQUIRE(pl < 8 && len - off - 8 >= clen + pl);
		for (i = 0; i < pl; i++)
			ATF_REQUIRE_EQ(out[off + 8 + clen + i], 0);
		put(body, out + off + 8, clen);
		off += 8 + clen + pl;
		n += clen > 0;
	} while (clen > 0);
	ATF_REQUIRE_EQ(len - off, 16);
	check_end_request(out + off, id, CE_FCGI_REQUEST_COMPLETE);
	return n;
}

ATF_TC(encode__large_body_split);
ATF_TC_HEAD(encode__large_body_split, tc)
{
	atf_tc_set_md_var(tc, "descr", "an answer is STDOUT records of at "
	    "most 65535 bytes, each padded to a multiple of 8, an empty "
	    "STDOUT and END_REQUEST; decoded back it is the same bytes");
}
ATF_TC_BODY(encode__large_body_split, tc)
{
	static const struct {
		size_t	 len, records;
	} t[] = {
		{ 0, 0 }, { 1, 1 }, { 7, 1 }, { 8, 1 }, { 65528, 1 },
		{ 65535, 1 }, { 65536, 2 }, { 131070, 2 }, { 131071, 3 },
		{ 200000, 4 },
	};
	struct msg	*body = msg_new(), *got = msg_new();
	unsigned char	*out;
	size_t		 i, j, n, sz;

	for (j = 0; j < 200000; j++)
		body->b[j] = (unsigned char)(j * 7 + j / 251);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		sz = ce_fcgirec_encode_size(t[i].len);
		ATF_REQUIRE((out = malloc(sz)) != NULL);
		n = ce_fcgirec_encode(0x1234, body->b, t[i].len, out, sz);
		ATF_CHECK_EQ_MSG(n, sz, "%zu bytes: %zu written of %zu",
		    t[i].len, n, sz);
		ATF_CHECK_EQ_MSG(decode(out, n, 0x1234, got), t[i].records,
		    "%zu bytes", t[i].len);
		ATF_CHECK_MSG(got->len == t[i].len &&
		    memcmp(got->b, body->b, t[i].len) == 0,
		    "%zu bytes: decoded to other bytes", t[i].len);
		free(out);
	}
	free(body);
	free(got);
}

ATF_TC(encode__size_exact);
ATF_TC_HEAD(encode__size_exact, tc)
{
	atf_tc_set_md_var(tc, "descr", "ce_fcgirec_encode_size() is what "
	    "ce_fcgirec_encode() writes; a buffer one byte short gets 0 and "
	    "is left untouched; a size beyond SIZE_MAX is 0");
}
ATF_TC_BODY(encode__size_exact, tc)
{
	static const struct {
		size_t	 len, size;
	} t[] = {
		{ 0, 24 }, { 1, 40 }, { 8, 40 }, { 9, 48 },
		{ 65535, 8 + 65535 + 1 + 24 },
		{ 65536, 8 + 65535 + 1 + 16 + 24 },
		{ 131070, 2 * 65544 + 24 },
	};
	static unsigned char	 body[131070], out[2 * 65544 + 24];
	size_t			 i, j;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ATF_CHECK_EQ_MSG(ce_fcgirec_encode_size(t[i].len), t[i].size,
		    "%zu bytes", t[i].len);
		memset(out, 0x5a, sizeof(out));
		ATF_CHECK_EQ(ce_fcgirec_encode(1, body, t[i].len, out,
		    t[i].size - 1), 0);
		for (j = 0; j < sizeof(out) && out[j] == 0x5a; j++)
			;
		ATF_CHECK_EQ_MSG(j, sizeof(out), "%zu bytes: written to",
		    t[i].len);
		ATF_CHECK_EQ(ce_fcgirec_encode(1, body, t[i].len, out,
		    t[i].size), t[i].size);
		ATF_CHECK_EQ(ce_fcgirec_encode(1, body, t[i].len, out,
		    sizeof(out)), t[i].size);
	}
	ATF_CHECK_EQ(ce_fcgirec_encode_size(SIZE_MAX), 0);
	ATF_CHECK_EQ(ce_fcgirec_encode_size(SIZE_MAX / 2 + 1), 0);
	ATF_CHECK(ce_fcgirec_encode_size(SIZE_MAX / 2) > SIZE_MAX / 2);
	ATF_CHECK_EQ(ce_fcgirec_encode(1, body, SIZE_MAX, out, SIZE_MAX), 0);
}

/* The log of "m" fed to a new codec, one byte at a time and whole. */
static void
check_log(const struct msg *m, const char *want)
{
	struct ce_fcgirec	 c;
	char			 log[512];

	ce_fcgirec_init(&c);
	run(&c, m, 1, 1, log, sizeof(log), NULL);
	ATF_CHECK_STREQ(log, want);
	run_new(m, log, sizeof(log), NULL);
	ATF_CHECK_STREQ(log, want);
}

ATF_TC(second_begin__error);
ATF_TC_HEAD(second_begin__error, tc)
{
	atf_tc_set_md_var(tc, "descr", "a BEGIN_REQUEST while a request is "
	    "open (its params or its body still coming, or whole and not "
	    "answered) is an error, whatever its id");
}
ATF_TC_BODY(second_begin__error, tc)
{
	struct msg	*m = msg_new(), *s = msg_new();
	size_t		 n;

	put_pair(s, "REQUEST_URI", "/health", 0);
	put_begin(m, 1, CE_FCGI_RESPONDER, 0);
	put_rec(m, CE_FCGI_PARAMS, 1, s->b, s->len, 0);
	n = m->len;
	put_begin(m, 2, CE_FCGI_RESPONDER, 0);
	check_log(m, "E(a second FCGI_BEGIN_REQUEST)");

	m->len = n;
	put_rec(m, CE_FCGI_PARAMS, 1, NULL, 0, 0);
	put_begin(m, 1, CE_FCGI_RESPONDER, 0);
	check_log(m, "E(a second FCGI_BEGIN_REQUEST)");

	/* Whole, and fed on without ce_fcgirec_init(). */
	m->len = 0;
	put_request(m, 1, "GET", "/ready", NULL, "");
	put_request(m, 2, "GET", "/ready", NULL, "");
	{
		struct ce_fcgirec	 c;
		size_t			 used, u2;

		ce_fcgirec_init(&c);
		ATF_REQUIRE_EQ(ce_fcgirec_feed(&c, m->b, m->len, &used),
		    CE_FCGIREC_REQUEST);
		ATF_CHECK_EQ(ce_fcgirec_feed(&c, m->b + used, m->len - used,
		    &u2), CE_FCGIREC_ERROR);
		ATF_CHECK_EQ(u2, 8);
		ATF_CHECK_STREQ(c.why, "a second FCGI_BEGIN_REQUEST");
	}
	free(m);
	free(s);
}

ATF_TC(bad_version__error);
ATF_TC_HEAD(bad_version__error, tc)
{
	atf_tc_set_md_var(tc, "descr", "a record of a version other than 1 "
	    "is an error as soon as its header is read, first or later in "
	    "the stream");
}
ATF_TC_BODY(bad_version__error, tc)
{
	static const unsigned char version[] = { 0, 2, 9, 'G', 0xff };
	struct msg		*m = msg_new();
	struct ce_fcgirec	 c;
	size_t			 i, n, used;

	for (i = 0; i < sizeof(version); i++) {
		m->len = 0;
		put_begin(m, 1, CE_FCGI_RESPONDER, 0);
		n = m->len;
		put_rec(m, CE_FCGI_PARAMS, 1, NULL, 0, 0);
		m->b[n] = version[i];
		put_stdin(m, 1, "");
		check_log(m, "E(FastCGI version not 1)");
		ce_fcgirec_init(&c);
		ATF_CHECK_EQ(ce_fcgirec_feed(&c, m->b, m->len, &used),
		    CE_FCGIREC_ERROR);
		ATF_CHECK_EQ(used, n + 8);

		/* The first record: an HTTP client on the socket, say. */
		ce_fcgirec_init(&c);
		m->b[0] = version[i];
		ATF_CHECK_EQ(ce_fcgirec_feed(&c, m->b, m->len, &used),
		    CE_FCGIREC_ERROR);
		ATF_CHECK_EQ(used, 8);
	}
	free(m);
}

ATF_TC(other_errors__error);
ATF_TC_HEAD(other_errors__error, tc)
{
	atf_tc_set_md_var(tc, "descr", "FCGI_ABORT_REQUEST, a BEGIN_REQUEST "
	    "of a wrong length, STDIN before the params end, params after "
	    "it, DATA to a responder, malformed pairs and an oversized "
	    "GET_VALUES are errors");
}
ATF_TC_BODY(other_errors__error, tc)
{
	struct msg	*m = msg_new(), *s = msg_new();
	size_t		 n;

	put_begin(m, 1, CE_FCGI_RESPONDER, 0);
	n = m->len;

	put_rec(m, CE_FCGI_ABORT_REQUEST, 1, NULL, 0, 0);
	check_log(m, "E(FCGI_ABORT_REQUEST)");

	m->len = n;
	put_rec(m, CE_FCGI_STDIN, 1, NULL, 0, 0);
	check_log(m, "E(FCGI_STDIN out of order)");

	m->len = n;
	put_rec(m, CE_FCGI_PARAMS, 1, NULL, 0, 0);
	put_rec(m, CE_FCGI_PARAMS, 1, "\0\0", 2, 6);
	check_log(m, "E(FCGI_PARAMS after their end)");

	m->len = n;
	put_rec(m, CE_FCGI_DATA, 1, "x", 1, 0);
	check_log(m, "E(a record type a responder never reads)");

	/* A value's length beyond the stream; a stream cut in a length. */
	m->len = n;
	put_rec(m, CE_FCGI_PARAMS, 1, "\3\11abcdefgh", 10, 0);
	put_rec(m, CE_FCGI_PARAMS, 1, NULL, 0, 0);
	check_log(m, "E(malformed FCGI_PARAMS)");
	m->len = n;
	put_rec(m, CE_FCGI_PARAMS, 1, "\1\1ab\x80\0", 6, 0);
	put_rec(m, CE_FCGI_PARAMS, 1, NULL, 0, 0);
	check_log(m, "E(malformed FCGI_PARAMS)");

	m->len = 0;
	put_rec(m, CE_FCGI_BEGIN_REQUEST, 1, "\0\1\0\0\0\0\0\0\0", 9, 0);
	check_log(m, "E(FCGI_BEGIN_REQUEST of a wrong length)");

	m->len = 0;
	put_rec(m, CE_FCGI_GET_VALUES, 0, "\x0e", 1, 0);
	check_log(m, "E(malformed FCGI_GET_VALUES)");
	m->len = 0;
	memset(s->b, 0, CE_FCGIREC_MGMT_MAX + 1);
	put_rec(m, CE_FCGI_GET_VALUES, 0, s->b, CE_FCGIREC_MGMT_MAX + 1, 0);
	check_log(m, "E(FCGI_GET_VALUES too long)");
	free(m);
	free(s);
}

ATF_TC(long_lengths__4_byte_form);
ATF_TC_HEAD(long_lengths__4_byte_form, tc)
{
	atf_tc_set_md_var(tc, "descr", "names and values of 128 bytes or "
	    "more (lengths in 4 bytes), short ones in the 4-byte form too, "
	    "empty ones, and a NUL inside cutting the value as libfcgi does");
}
ATF_TC_BODY(long_lengths__4_byte_form, tc)
{
	struct msg		*m = msg_new(), *s = msg_new();
	struct ce_fcgirec	 c;
	char			 name[200], value[9000];
	size_t			 used;

	memset(name, 'N', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	value[127] = 'x';
	put_pair(s, "REQUEST_URI", "/health", 1);
	put_pair(s, "HTTP_COOKIE", value, 0);
	put_pair(s, name, "short", 0);
	put_pair(s, "EMPTY", "", 0);
	put_pair(s, "", "nameless", 0);
	put_pair(s, "NUL", "ab", 0);
	s->b[s->len - 1] = '\0';	/* "a\0" */
	put_pair(s, "NA_ME", "cut", 0);
	s->b[s->len - 6] = '\0';	/* "NA\0ME" */
	put_pair(s, "REQUEST_METHOD", "HEAD", 0);
	put_pair(s, "REQUEST_METHOD", "GET", 0);
	put_begin(m, 9, CE_FCGI_RESPONDER, CE_FCGI_KEEP_CONN);
	put_params(m, 9, s, 3000);
	put_stdin(m, 9, "");
	ce_fcgirec_init(&c);
	ATF_REQUIRE_EQ(ce_fcgirec_feed(&c, m->b, m->len, &used),
	    CE_FCGIREC_REQUEST);
	ATF_CHECK_EQ(used, m->len);
	ATF_CHECK_EQ(c.keep_conn, 1);
	ATF_CHECK_STREQ(ce_fcgirec_param(&c, "REQUEST_URI"), "/health");
	ATF_CHECK_STREQ(ce_fcgirec_param(&c, "HTTP_COOKIE"), value);
	ATF_CHECK_STREQ(ce_fcgirec_param(&c, name), "short");
	ATF_CHECK_STREQ(ce_fcgirec_param(&c, "EMPTY"), "");
	ATF_CHECK_STREQ(ce_fcgirec_param(&c, ""), "nameless");
	ATF_CHECK_STREQ(ce_fcgirec_param(&c, "NUL"), "a");
	ATF_CHECK_STREQ(ce_fcgirec_param(&c, "NA"), "cut");
	ATF_CHECK_EQ(ce_fcgirec_param(&c, "NA_ME"), NULL);
	ATF_CHECK_STREQ(ce_fcgirec_param(&c, "REQUEST_METHOD"), "HEAD");
	ATF_CHECK_EQ(c.nparams, 9);
	name[128] = '\0';
	ATF_CHECK_EQ(ce_fcgirec_param(&c, name), NULL);
	free(m);
	free(s);
}

/* The path of program "name" in PATH into "out", or fail. */
static void
which(const char *name, char *out, size_t outsz)
{
	const char	*p = getenv("PATH"), *e;
	int		 n;

	for (; p != NULL && *p != '\0'; p = *e == ':' ? e + 1 : e) {
		e = p + strcspn(p, ":");
		n = snprintf(out, outsz, "%.*s/%s", (int)(e - p), p, name);
		if (n > 0 && (size_t)n < outsz && access(out, X_OK) == 0)
			return;
	}
	atf_tc_fail("%s not in PATH", name);
}

/*
 * Run "prog" with "argv" and only the environment "envp", its stdin
 * from the file "in", its stdout into the file "out".  Returns its wait
 * status (0: it exited 0).
 */
static int
spawn_wait(const char *prog, char *const argv[], char *const envp[],
    const char *in, const char *out)
{
	pid_t	 pid;
	int	 st;

	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		if (freopen(in, "r", stdin) == NULL ||
		    freopen(out, "w", stdout) == NULL)
			_exit(126);
		execve(prog, argv, envp);
		_exit(127);
	}
	ATF_REQUIRE_EQ(waitpid(pid, &st, 0), pid);
	return st;
}

/*
 * Start fcgirec_echo on "echo.sock" in the work directory for "count"
 * connections; its path into "sock".  Returns its pid once it listens.
 */
static pid_t
start_echo(const atf_tc_t *tc, const char *count, char *sock, size_t sz)
{
	char		 echo[1024], cwd[512];
	char		*argv[] = { echo, sock, NULL, NULL };
	struct timespec	 ms10 = { 0, 10 * 1000 * 1000 };
	struct stat	 sb;
	pid_t		 pid;
	int		 i, st = 0;

	argv[2] = (char *)count;
	ATF_REQUIRE(snprintf(echo, sizeof(echo), "%s/fcgirec_echo",
	    atf_tc_get_config_var(tc, "srcdir")) < (int)sizeof(echo));
	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	ATF_REQUIRE(snprintf(sock, sz, "%s/echo.sock", cwd) < (int)sz);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		execv(echo, argv);
		_exit(127);
	}
	for (i = 0; i < 1000 && stat(sock, &sb) == -1; i++) {
		ATF_REQUIRE_EQ_MSG(waitpid(pid, &st, WNOHANG), 0,
		    "fcgirec_echo exited (%d)", st);
		nanosleep(&ms10, NULL);
	}
	ATF_REQUIRE_MSG(i < 1000, "no %s after 10 s", sock);
	return pid;
}

/* Check that "pid" exited 0 (fcgirec_echo: every connection served). */
static void
check_exit0(pid_t pid, const char *what)
{
	int	 st;

	ATF_REQUIRE_EQ(waitpid(pid, &st, 0), pid);
	ATF_CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: %d", what,
	    st);
}

/*
 * The POST both real clients send: "post.in", a body of 5000 bytes, and
 * into "xlong", "prefix" and a value of 300 bytes.
 */
static void
post_inputs(char *xlong, size_t sz, const char *prefix)
{
	char	 body[5001];

	ATF_REQUIRE(snprintf(xlong, sz, "%s%0300d", prefix, 7) < (int)sz);
	memset(body, 'b', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	atf_utils_create_file("post.in", "%s", body);
}

ATF_TC(cgi_fcgi__real_client);
ATF_TC_HEAD(cgi_fcgi__real_client, tc)
{
	atf_tc_set_md_var(tc, "descr", "libfcgi's cgi-fcgi, a real FastCGI "
	    "client, sends a POST with a body and a long parameter, then a "
	    "GET, to fcgirec_echo: each parsed whole and answered, the "
	    "answer read back by the client");
	atf_tc_set_md_var(tc, "require.progs", "cgi-fcgi");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(cgi_fcgi__real_client, tc)
{
	char		 client[1024], sock[600], xlong[320];
	char		*cargv[] = { client, "-bind", "-connect", sock, NULL };
	char		*post[] = { "REQUEST_METHOD=POST",
			    "REQUEST_URI=/__httpd_error?a=b",
			    "REDIRECT_STATUS=503", "CONTENT_LENGTH=5000",
			    "CONTENT_TYPE=application/json", xlong, NULL };
	char		*get[] = { "REQUEST_METHOD=GET",
			    "REQUEST_URI=/health", NULL };
	pid_t		 pid;

	which("cgi-fcgi", client, sizeof(client));
	post_inputs(xlong, sizeof(xlong), "HTTP_X_LONG=");
	atf_utils_create_file("get.in", "%s", "");
	pid = start_echo(tc, "2", sock, sizeof(sock));

	ATF_CHECK_EQ(spawn_wait(client, cargv, post, "post.in", "post.out"),
	    0);
	atf_utils_cat_file("post.out", "post: ");
	ATF_CHECK(atf_utils_compare_file("post.out", "Status: 200\r\n"
	    "Content-Type: application/json\r\n\r\n"
	    "{\"reqid\":1,\"method\":\"POST\","
	    "\"uri\":\"/__httpd_error?a=b\",\"redirect_status\":\"503\","
	    "\"params\":6,\"long\":300,\"stdin\":5000}\n"));

	ATF_CHECK_EQ(spawn_wait(client, cargv, get, "get.in", "get.out"), 0);
	atf_utils_cat_file("get.out", "get: ");
	ATF_CHECK(atf_utils_compare_file("get.out", "Status: 200\r\n"
	    "Content-Type: application/json\r\n\r\n"
	    "{\"reqid\":1,\"method\":\"GET\",\"uri\":\"/health\","
	    "\"redirect_status\":\"\",\"params\":2,\"long\":0,"
	    "\"stdin\":0}\n"));

	check_exit0(pid, "fcgirec_echo");
}

/* A free TCP port on 127.0.0.1 (free when asked: a small race). */
static int
free_port(void)
{
	struct sockaddr_in	 sa;
	socklen_t		 len = sizeof(sa);
	int			 s;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ATF_REQUIRE((s = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	ATF_REQUIRE(bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	ATF_REQUIRE(getsockname(s, (struct sockaddr *)&sa, &len) == 0);
	close(s);
	return ntohs(sa.sin_port);
}

/* Wait up to 10 s for "port" on 127.0.0.1 to accept, while "pid" runs. */
static void
wait_port(int port, pid_t pid)
{
	struct sockaddr_in	 sa;
	struct timespec		 ms10 = { 0, 10 * 1000 * 1000 };
	int			 i, s, st = 0, up = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	for (i = 0; i < 1000 && !up; i++) {
		ATF_REQUIRE_EQ_MSG(waitpid(pid, &st, WNOHANG), 0,
		    "lighttpd exited (%d)", st);
		ATF_REQUIRE((s = socket(AF_INET, SOCK_STREAM, 0)) != -1);
		up = connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(s);
		if (!up)
			nanosleep(&ms10, NULL);
	}
	ATF_REQUIRE_MSG(up, "lighttpd not listening on %d after 10 s", port);
}

ATF_TC(lighttpd__real_client);
ATF_TC_HEAD(lighttpd__real_client, tc)
{
	atf_tc_set_md_var(tc, "descr", "lighttpd's mod_fastcgi, the client "
	    "the master answers, forwards a POST with a body and a long "
	    "header, then a GET, to fcgirec_echo: each parsed whole (lighttpd "
	    "sends REDIRECT_STATUS 200 on a plain request), the answer "
	    "relayed to curl");
	atf_tc_set_md_var(tc, "require.progs", "lighttpd curl");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(lighttpd__real_client, tc)
{
	char		 httpd[1024], curl[1024], sock[600], cwd[512];
	char		 url[128], xlong[320];
	char		*largv[] = { httpd, "-D", "-f", "lighttpd.conf", NULL };
	char		*post[] = { curl, "-s", "-i", "--max-time", "10",
			    "-H", xlong, "-H", "Content-Type: application/json",
			    "--data-binary", "@post.in", url, NULL };
	char		*get[] = { curl, "-s", "-i", "--max-time", "10", url,
			    NULL };
	char		*env[] = { NULL };
	pid_t		 echo, pid;
	int		 port;

	which("lighttpd", httpd, sizeof(httpd));
	which("curl", curl, sizeof(curl));
	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	post_inputs(xlong, sizeof(xlong), "X-Long: ");
	echo = start_echo(tc, "2", sock, sizeof(sock));
	port = free_port();
	atf_utils_create_file("lighttpd.conf",
	    "server.modules = ( \"mod_fastcgi\" )\n"
	    "server.bind = \"127.0.0.1\"\n"
	    "server.port = %d\n"
	    "server.document-root = \"%s\"\n"
	    "server.errorlog = \"%s/lighttpd.log\"\n"
	    "fastcgi.server = ( \"/\" => (( \"socket\" => \"%s\",\n"
	    "    \"check-local\" => \"disable\" )) )\n",
	    port, cwd, cwd, sock);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		execv(httpd, largv);
		_exit(127);
	}
	wait_port(port, pid);

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/__httpd_error?a=b",
	    port);
	ATF_CHECK_EQ(spawn_wait(curl, post, env, "/dev/null", "post.out"), 0);
	atf_utils_cat_file("post.out", "post: ");
	ATF_CHECK(atf_utils_grep_file("^HTTP/1.1 200 ", "post.out"));
	ATF_CHECK(atf_utils_grep_file("^Content-Type: application/json",
	    "post.out"));
	ATF_CHECK(atf_utils_grep_file("^\\{\"reqid\":1,\"method\":\"POST\","
	    "\"uri\":\"/__httpd_error\\?a=b\",\"redirect_status\":\"200\","
	    "\"params\":[0-9]+,\"long\":300,\"stdin\":5000\\}$",
	    "post.out"));

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", port);
	ATF_CHECK_EQ(spawn_wait(curl, get, env, "/dev/null", "get.out"), 0);
	atf_utils_cat_file("get.out", "get: ");
	ATF_CHECK(atf_utils_grep_file("^HTTP/1.1 200 ", "get.out"));
	ATF_CHECK(atf_utils_grep_file("^\\{\"reqid\":1,\"method\":\"GET\","
	    "\"uri\":\"/health\",\"redirect_status\":\"200\","
	    "\"params\":[0-9]+,\"long\":0,\"stdin\":0\\}$", "get.out"));

	check_exit0(echo, "fcgirec_echo");
	kill(pid, SIGTERM);
	ATF_REQUIRE_EQ(waitpid(pid, NULL, 0), pid);
	atf_utils_cat_file("lighttpd.log", "lighttpd: ");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, begin_params_stdin__request);
	ATF_TP_ADD_TC(tp, byte_at_a_time__same);
	ATF_TP_ADD_TC(tp, params_over_cap__refused);
	ATF_TP_ADD_TC(tp, unknown_role__end_request);
	ATF_TP_ADD_TC(tp, get_values__answered);
	ATF_TP_ADD_TC(tp, encode__large_body_split);
	ATF_TP_ADD_TC(tp, encode__size_exact);
	ATF_TP_ADD_TC(tp, second_begin__error);
	ATF_TP_ADD_TC(tp, bad_version__error);
	ATF_TP_ADD_TC(tp, other_errors__error);
	ATF_TP_ADD_TC(tp, long_lengths__4_byte_form);
	ATF_TP_ADD_TC(tp, cgi_fcgi__real_client);
	ATF_TP_ADD_TC(tp, lighttpd__real_client);
	return atf_no_error();
}
