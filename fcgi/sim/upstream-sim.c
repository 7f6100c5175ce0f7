/*
 * upstream-sim.c -- the simulator of C2S, Diretrix and the Work API, a
 * FastCGI responder (docs/SIMULATOR.md is its contract, upstream-sim(1)
 * its manual).  This file owns the process: the configuration from the
 * environment, the request loop on fd 0, the routing table, the
 * credentials, one handler per route, the fault codes applied to an
 * answer, the observation endpoints under /__sim/ and writing the answer.
 * The data comes from sim_data.c, the record file from sim_record.c,
 * C2S's webhooks (subscriptions, events, deliveries) from sim_hook.c.
 */
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <fcgiapp.h>
#include <jansson.h>

#include "c2s-enrich.h"
#include "../signals.h"
#include "sim.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define BODY_MAX	(1024 * 1024)		/* request bodies */
#define PAD_LEN		(2 * 1024 * 1024)	/* fault 09 */
#define SEGS_MAX	6
#define MS_MAX		3600000LL		/* bound of every *_MS */

#define CT_JSON		"application/json"
#define CT_TEXT		"text/plain; charset=utf-8"
#define CT_HTML		"text/html; charset=utf-8"

#define MALFORMED	"{\"data\": {\"type\": \"lead\", \"id\": "
#define HTML_500	"<!DOCTYPE html>\n<html><head><title>500 Internal " \
			"Server Error</title></head><body><h1>Internal " \
			"Server Error</h1></body></html>\n"

enum api {
	API_NONE = -1,
	API_C2S = 0,
	API_DIRETRIX,
	API_WORK,
	API__MAX
};

static const char *const API_NAME[API__MAX] = { "c2s", "diretrix", "work" };

struct config {
	char		 c2s_token[CE_SECRET_MAX];
	char		 dx_basic[CE_SECRET_MAX * 2];	/* base64(user:pass) */
	char		 work_token[CE_SECRET_MAX];
	long long	 latency[API__MAX];
	long long	 fault_latency;
	long long	 hang;
	char		 record[1024];
	struct sim_list	 list;		/* end 0: the list ends now */
};

struct ctx {
	struct config		 cfg;
	struct sim_record	 rec;
	struct sim_hook		 hook;
};

/* A request, its strings copied so nothing outlives FCGX_Finish_r. */
struct req {
	const char	*method;
	const char	*auth;		/* HTTP_AUTHORIZATION, or NULL */
	char		*path;		/* decoded, for the record */
	const char	*query;		/* raw, or NULL */
	char		*seg[SEGS_MAX];	/* decoded path segments */
	size_t		 nseg;
	struct ce_buf	 body;
	int		 too_big;
};

struct resp {
	int		 status;
	const char	*ctype;
	char		 hdrs[64];	/* extra "Name: value\r\n" lines */
	json_t		*json;		/* the body, or NULL for text */
	const char	*text;		/* a static text body */
	enum api	 api;		/* recorded when not API_NONE */
	char		*rpath;		/* path as recorded */
	char		 lead[SIM_LEAD_ID_LEN + 1];
	char		*note;		/* posted note, recorded if 2xx */
	int		 fire_update;	/* on_update_lead after a 2xx */
	enum sim_fault	 fault;
	long long	 sleep_ms;
	int		 truncate;
	char		*out;		/* serialised body */
	size_t		 outlen;
};

typedef void	(*handler)(struct ctx *, struct req *, struct resp *);

/* Sleep "ms", resumed after a signal unless shutdown was requested. */
static void
sleep_ms(long long ms)
{
	struct timespec	 ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR &&
	    !fcgi_stop_signal())
		continue;
}

/*
 * Configuration.
 */

static int
env_str(const char *name, const char *def, char *dst, size_t sz)
{
	const char	*v = getenv(name);

	if (v == NULL || *v == '\0')
		v = def;
	if (ce_strlcpy(dst, v, sz) >= sz) {
		fprintf(stderr, "upstream-sim: %s: too long\n", name);
		return -1;
	}
	return 0;
}

static int
env_ms(const char *name, long long def, long long *out)
{
	const char	*v = getenv(name);

	*out = def;
	if (v == NULL || *v == '\0')
		return 0;
	if (ce_strtonum(v, 0, MS_MAX, out) == -1) {
		fprintf(stderr, "upstream-sim: %s: not a number of "
		    "milliseconds from 0 to %lld\n", name, MS_MAX);
		return -1;
	}
	return 0;
}

static int
env_num(const char *name, long long def, long long min, long long max,
    long long *out)
{
	const char	*v = getenv(name);

	*out = def;
	if (v == NULL || *v == '\0')
		return 0;
	if (ce_strtonum(v, min, max, out) == -1) {
		fprintf(stderr, "upstream-sim: %s: not a number from %lld to "
		    "%lld\n", name, min, max);
		return -1;
	}
	return 0;
}

/*
 * The lead list: SIM_LEAD_LIST_SIZE leads over SIM_LEAD_LIST_DAYS days
 * ending at SIM_LEAD_LIST_END (Unix seconds; unset: now, so new leads
 * appear as time goes by); the newest SIM_LEAD_LIST_UNDATED of them
 * listed with a null created_at.
 */
static int
list_load(struct sim_list *ls)
{
	long long	 days, end;

	if (env_num("SIM_LEAD_LIST_SIZE", 2000, 0, 1000000, &ls->size) == -1 ||
	    env_num("SIM_LEAD_LIST_DAYS", 365, 1, 3650, &days) == -1 ||
	    env_num("SIM_LEAD_LIST_END", 0, 0, 4102444800LL, &end) == -1 ||
	    env_num("SIM_LEAD_LIST_UNDATED", 0, 0, 1000000, &ls->undated) == -1)
		return -1;
	ls->step = ls->size > 0 ? days * 86400 / ls->size : 86400;
	if (ls->step < 2)
		ls->step = 2;
	ls->end = (time_t)end;
	return 0;
}

/* Standard base64 with padding, as HTTP Basic wants. */
static int
base64(const char *src, char *dst, size_t sz)
{
	static const char	 al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char	*s = (const unsigned char *)src;
	size_t			 len = strlen(src), i, o = 0;
	unsigned long		 v;

	if ((len + 2) / 3 * 4 + 1 > sz)
		return -1;
	for (i = 0; i < len; i += 3) {
		v = (unsigned long)s[i] << 16;
		if (i + 1 < len)
			v |= (unsigned long)s[i + 1] << 8;
		if (i + 2 < len)
			v |= s[i + 2];
		dst[o++] = al[(v >> 18) & 63];
		dst[o++] = al[(v >> 12) & 63];
		dst[o++] = i + 1 < len ? al[(v >> 6) & 63] : '=';
		dst[o++] = i + 2 < len ? al[v & 63] : '=';
	}
	dst[o] = '\0';
	return 0;
}

static int
config_load(struct config *c)
{
	char	 user[CE_SECRET_MAX], pass[CE_SECRET_MAX];
	char	 both[CE_SECRET_MAX * 2 + 2];
	int	 n;

	memset(c, 0, sizeof(*c));
	if (env_str("SIM_C2S_TOKEN", "sim-c2s-token", c->c2s_token,
	    sizeof(c->c2s_token)) == -1 ||
	    env_str("SIM_DIRETRIX_USER", "sim", user, sizeof(user)) == -1 ||
	    env_str("SIM_DIRETRIX_PASS", "sim-pass", pass,
	    sizeof(pass)) == -1 ||
	    env_str("SIM_WORK_TOKEN", "sim-work-token", c->work_token,
	    sizeof(c->work_token)) == -1 ||
	    env_str("SIM_RECORD_FILE", "upstream-sim.record", c->record,
	    sizeof(c->record)) == -1 ||
	    env_ms("SIM_C2S_LATENCY_MS", 0, &c->latency[API_C2S]) == -1 ||
	    env_ms("SIM_DIRETRIX_LATENCY_MS", 0,
	    &c->latency[API_DIRETRIX]) == -1 ||
	    env_ms("SIM_WORK_LATENCY_MS", 0, &c->latency[API_WORK]) == -1 ||
	    env_ms("SIM_FAULT_LATENCY_MS", 2000, &c->fault_latency) == -1 ||
	    env_ms("SIM_HANG_MS", 30000, &c->hang) == -1 ||
	    list_load(&c->list) == -1)
		return -1;
	n = snprintf(both, sizeof(both), "%s:%s", user, pass);
	if (n < 0 || (size_t)n >= sizeof(both) ||
	    base64(both, c->dx_basic, sizeof(c->dx_basic)) == -1) {
		fprintf(stderr, "upstream-sim: SIM_DIRETRIX_USER and "
		    "SIM_DIRETRIX_PASS: too long\n");
		return -1;
	}
	return 0;
}

/*
 * Requests.
 */

/*
 * Percent-decode "len" bytes of "s" ('+' is a space when "plus").
 * Returns a new string, or NULL on allocation failure or an encoded NUL.
 */
static char *
pct_decode(const char *s, size_t len, int plus)
{
	char	*d, *p;
	size_t	 i;
	int	 hi, lo;

	if ((d = p = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len &&
		    isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			hi = isdigit((unsigned char)s[i + 1]) ? s[i + 1] - '0' :
			    tolower((unsigned char)s[i + 1]) - 'a' + 10;
			lo = isdigit((unsigned char)s[i + 2]) ? s[i + 2] - '0' :
			    tolower((unsigned char)s[i + 2]) - 'a' + 10;
			if (hi == 0 && lo == 0) {
				free(d);
				return NULL;
			}
			*p++ = (char)(hi * 16 + lo);
			i += 2;
		} else if (plus && s[i] == '+')
			*p++ = ' ';
		else
			*p++ = s[i];
	}
	*p = '\0';
	return d;
}

/*
 * The decoded value of the first query parameter "name", in "out" (a new
 * string).  Returns 1 when found, 0 when absent, -1 on error.
 */
static int
query_get(const char *query, const char *name, char **out)
{
	const char	*p = query, *amp, *eq;
	size_t		 len, nlen = strlen(name);

	*out = NULL;
	while (p != NULL && *p != '\0') {
		amp = strchr(p, '&');
		len = amp != NULL ? (size_t)(amp - p) : strlen(p);
		eq = memchr(p, '=', len);
		if (eq != NULL && (size_t)(eq - p) == nlen &&
		    strncmp(p, name, nlen) == 0) {
			*out = pct_decode(eq + 1, len - nlen - 1, 1);
			return *out != NULL ? 1 : -1;
		}
		p = amp != NULL ? amp + 1 : NULL;
	}
	return 0;
}

/* Split the request URI into decoded path, segments and raw query. */
static int
parse_uri(const char *uri, struct req *rq)
{
	const char	*q = strchr(uri, '?'), *p, *slash;
	size_t		 plen = q != NULL ? (size_t)(q - uri) : strlen(uri);

	rq->query = q != NULL ? q + 1 : NULL;
	if ((rq->path = pct_decode(uri, plen, 0)) == NULL)
		return -1;
	if (plen == 0 || uri[0] != '/')
		return 0;
	for (p = uri + 1; p <= uri + plen; p = slash + 1) {
		if (rq->nseg == SEGS_MAX)
			return 0;	/* longer than any route: a 404 */
		slash = memchr(p, '/', (size_t)(uri + plen - p));
		if (slash == NULL)
			slash = uri + plen;
		rq->seg[rq->nseg] = pct_decode(p, (size_t)(slash - p), 0);
		if (rq->seg[rq->nseg++] == NULL)
			return -1;
	}
	return 0;
}

/*
 * Read the body when CONTENT_LENGTH is within BODY_MAX.  Returns 0, or -1
 * (with rq->too_big set) when it is over, malformed or unreadable.
 */
static int
read_body(FCGX_Request *fr, struct req *rq)
{
	const char	*cl = FCGX_GetParam("CONTENT_LENGTH", fr->envp);
	long long	 want = 0, got = 0;
	char		 chunk[8192];
	int		 n;

	if (cl != NULL && *cl != '\0' &&
	    ce_strtonum(cl, 0, BODY_MAX, &want) == -1) {
		rq->too_big = 1;
		return -1;
	}
	while (got < want) {
		n = FCGX_GetStr(chunk, (int)(want - got < (long long)
		    sizeof(chunk) ? want - got : (long long)sizeof(chunk)),
		    fr->in);
		if (n <= 0)
			break;
		if (ce_buf_append(&rq->body, chunk, (size_t)n) != CE_OK)
			return -1;
		got += n;
	}
	return 0;
}

/* Strings for the record and JSON must be UTF-8: %-encode otherwise. */
static char *
utf8_or_encoded(const char *s)
{
	json_t		*j;
	struct ce_buf	 b;
	const unsigned char *p;

	if ((j = json_string(s)) != NULL) {
		json_decref(j);
		return strdup(s);
	}
	ce_buf_init(&b, strlen(s) * 3 + 1);
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if ((*p < 0x80 ? ce_buf_append(&b, p, 1) :
		    ce_buf_printf(&b, "%%%02X", *p)) != CE_OK) {
			ce_buf_free(&b);
			return NULL;
		}
	return b.data != NULL ? ce_buf_take(&b) : strdup("");
}

/* The Work API's record path: /api plus the query without "token". */
static char *
work_record_path(const char *query)
{
	struct ce_buf	 b;
	const char	*p = query, *amp;
	size_t		 len;
	char		*s;
	int		 first = 1;

	ce_buf_init(&b, BODY_MAX);
	if (ce_buf_puts(&b, "/api") != CE_OK)
		goto fail;
	while (p != NULL && *p != '\0') {
		amp = strchr(p, '&');
		len = amp != NULL ? (size_t)(amp - p) : strlen(p);
		if (len > 0 && !(len >= 6 && strncmp(p, "token=", 6) == 0) &&
		    !(len == 5 && strncmp(p, "token", 5) == 0)) {
			if (ce_buf_puts(&b, first ? "?" : "&") != CE_OK ||
			    ce_buf_append(&b, p, len) != CE_OK)
				goto fail;
			first = 0;
		}
		p = amp != NULL ? amp + 1 : NULL;
	}
	s = utf8_or_encoded(b.data);
	ce_buf_free(&b);
	return s;
fail:
	ce_buf_free(&b);
	return NULL;
}

/*
 * Answers.
 */

static void
set_json(struct resp *rs, int status, json_t *j)
{
	json_decref(rs->json);
	rs->json = j;
	rs->text = NULL;
	rs->status = status;
	rs->ctype = CT_JSON;
	if (j == NULL) {
		/* Building the answer failed: our fault. */
		rs->status = 500;
		rs->text = "{\"error\":\"internal error\"}";
	}
}

static void
set_error(struct resp *rs, int status, const char *msg)
{
	set_json(rs, status, json_pack("{s:s}", "error", msg));
}

static void
set_text(struct resp *rs, int status, const char *ctype, const char *text)
{
	json_decref(rs->json);
	rs->json = NULL;
	rs->status = status;
	rs->ctype = ctype;
	rs->text = text;
}

/* Is the request's credential for API "api" the configured one? */
static int
authorised(struct ctx *c, struct req *rq, enum api api)
{
	char	*token = NULL;
	int	 ok;

	switch (api) {
	case API_C2S:
		return rq->auth != NULL &&
		    strncasecmp(rq->auth, "Bearer ", 7) == 0 &&
		    ce_ct_streq(rq->auth + 7, c->cfg.c2s_token);
	case API_DIRETRIX:
		return rq->auth != NULL &&
		    strncasecmp(rq->auth, "Basic ", 6) == 0 &&
		    ce_ct_streq(rq->auth + 6, c->cfg.dx_basic);
	case API_WORK:
		if (query_get(rq->query, "token", &token) != 1)
			return 0;
		ok = ce_ct_streq(token, c->cfg.work_token);
		free(token);
		return ok;
	default:
		return 1;
	}
}

static void
unauthorised(struct resp *rs, enum api api)
{
	if (api == API_WORK)
		set_json(rs, 401, json_pack("{s:i, s:s}", "status", 401,
		    "reason", "Token inválido"));
	else
		set_error(rs, 401, "unauthorized");
}

/* Lowercase a valid lead id into rs->lead. */
static void
set_lead(struct resp *rs, const char *id)
{
	size_t	 i;

	for (i = 0; i < SIM_LEAD_ID_LEN; i++)
		rs->lead[i] = (char)tolower((unsigned char)id[i]);
	rs->lead[i] = '\0';
}

/* Parse a request body as a JSON object; NULL if it is not one. */
static json_t *
body_object(struct req *rq)
{
	json_t	*j;

	j = json_loadb(rq->body.data != NULL ? rq->body.data : "",
	    rq->body.len, JSON_REJECT_DUPLICATES, NULL);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* GET /integration/leads/{id} */
static void
c2s_lead(struct ctx *c, struct req *rq, struct resp *rs)
{
	struct sim_lead	 l;

	(void)c;
	if (!sim_lead_id_ok(rq->seg[2])) {
		set_text(rs, 404, CT_TEXT, "Lead not found");
		return;
	}
	set_lead(rs, rq->seg[2]);
	sim_lead_make(rs->lead, &l);
	set_json(rs, 200, sim_lead_json(&l));
	if (l.target == SIM_T_C2)
		rs->fault = l.code;
}

/* POST /integration/leads/{id}/create_message */
static void
c2s_message(struct ctx *c, struct req *rq, struct resp *rs)
{
	struct sim_lead	 l;
	json_t		*j;
	const char	*text;
	char		 id[40];
	int		 n;

	(void)c;
	if (!sim_lead_id_ok(rq->seg[2])) {
		set_text(rs, 404, CT_TEXT, "Lead not found");
		return;
	}
	set_lead(rs, rq->seg[2]);
	sim_lead_make(rs->lead, &l);
	if (l.target == SIM_T_CC)
		rs->fault = l.code;
	j = body_object(rq);
	if (j == NULL || !json_is_string(json_object_get(j, "leadId")) ||
	    (text = json_string_value(json_object_get(j, "body"))) == NULL) {
		json_decref(j);
		set_error(rs, 400, "body must be {\"leadId\":…,\"body\":…}");
		return;
	}
	n = snprintf(id, sizeof(id), "%016llx%016llx",
	    (unsigned long long)sim_fnv64(rs->lead, SIM_LEAD_ID_LEN),
	    (unsigned long long)sim_fnv64(text, strlen(text)));
	if (n < 0 || (size_t)n >= sizeof(id) ||
	    (rs->note = strdup(text)) == NULL) {
		json_decref(j);
		set_json(rs, 500, NULL);
		return;
	}
	json_decref(j);
	set_json(rs, 201, json_pack("{s:{s:s, s:s}}", "data", "id", id,
	    "type", "message"));
	rs->fire_update = 1;
}

/* POST /integration/leads/subscribe and /integration/leads/unsubscribe */
static void
c2s_hook(struct ctx *c, struct req *rq, struct resp *rs)
{
	json_t	*j;
	int	 st;

	st = sim_hook_subscribe(&c->hook, rq->body.data, rq->body.len,
	    strcmp(rq->seg[2], "subscribe") == 0, &j);
	set_json(rs, st, j);
}

/*
 * The fault a lead to create asks for: its e-mail is
 * fault-cc-NN@example.invalid, or SIM_F_NONE.
 */
static enum sim_fault
create_fault(const json_t *attrs)
{
	const char	*e = json_string_value(json_object_get(attrs, "email"));
	enum sim_target	 t;
	enum sim_fault	 f;

	if (e == NULL || sim_fault_email(e, &t, &f) == -1 || t != SIM_T_CC)
		return SIM_F_NONE;
	return f;
}

/* POST /integration/leads */
static void
c2s_create(struct ctx *c, struct req *rq, struct resp *rs)
{
	json_t		*j, *data;
	const char	*desc;
	char		 id[40];
	int		 n;

	(void)c;
	j = body_object(rq);
	data = json_object_get(j, "data");
	if (j == NULL || !json_is_object(data) ||
	    !json_is_object(json_object_get(data, "attributes"))) {
		json_decref(j);
		set_error(rs, 400, "body must be a JSON:API lead");
		return;
	}
	rs->fault = create_fault(json_object_get(data, "attributes"));
	n = snprintf(id, sizeof(id), "%032llx", (unsigned long long)
	    sim_fnv64(rq->body.data, rq->body.len));
	/* The description is recorded as the new lead's first note. */
	desc = json_string_value(json_object_get(json_object_get(data,
	    "attributes"), "description"));
	if (n != SIM_LEAD_ID_LEN ||
	    (desc != NULL && (rs->note = strdup(desc)) == NULL)) {
		json_decref(j);
		set_json(rs, 500, NULL);
		return;
	}
	json_decref(j);
	set_lead(rs, id);
	set_json(rs, 201, json_pack("{s:{s:s, s:s}}", "data", "type", "lead",
	    "id", id));
}

/*
 * A positive integer query parameter "name" at most "max" into "*out"
 * (left alone when absent).  Returns 0, or -1 with the answer set.
 */
static int
query_num(const struct req *rq, struct resp *rs, const char *name,
    long long max, long long *out)
{
	char	*v = NULL;
	int	 rc;

	if ((rc = query_get(rq->query, name, &v)) == -1) {
		set_json(rs, 500, NULL);
		return -1;
	}
	if (rc == 1 && ce_strtonum(v, 1, max, out) == -1) {
		free(v);
		set_error(rs, 400, "perpage and page must be positive "
		    "integers");
		return -1;
	}
	free(v);
	return 0;
}

/*
 * GET /integration/leads?perpage=N&page=P&sort=-created_at: page P
 * (1-based) of N leads (at most 50), newest first, with meta.
 */
static void
c2s_list(struct ctx *c, struct req *rq, struct resp *rs)
{
	struct sim_list	 ls = c->cfg.list;
	long long	 n = 50, page = 1;

	if (query_num(rq, rs, "perpage", 1000000, &n) == -1 ||
	    query_num(rq, rs, "page", 1000000, &page) == -1)
		return;
	if (ls.end == 0)
		ls.end = time(NULL);
	set_json(rs, 200, sim_lead_list_json(&ls, page, n > 50 ? 50 : n));
}

/* A Diretrix answer for the person "s" found by phone or by e-mail. */
static void
dx_answer(struct resp *rs, uint32_t s, enum sim_target t, enum sim_fault f,
    int by_phone)
{
	if (t == SIM_T_D1)
		rs->fault = f;
	set_json(rs, 200, sim_diretrix_json(s, by_phone));
}

/* GET /Consultas/Pessoa/Telefone/{phone} */
static void
dx_phone(struct ctx *c, struct req *rq, struct resp *rs)
{
	enum sim_target	 t;
	enum sim_fault	 f;
	uint32_t	 s = sim_phone_lookup(rq->seg[3], &t, &f);

	(void)c;
	dx_answer(rs, s, t, f, 1);
}

/* GET /Consultas/Pessoa/Email/{email} */
static void
dx_email(struct ctx *c, struct req *rq, struct resp *rs)
{
	enum sim_target	 t;
	enum sim_fault	 f;
	uint32_t	 s = sim_email_lookup(rq->seg[3], &t, &f);

	(void)c;
	dx_answer(rs, s, t, f, 0);
}

/* GET /api?token=T&modulo=M&consulta=X (sim_work.c answers) */
static void
work_api(struct ctx *c, struct req *rq, struct resp *rs)
{
	char		*modulo = NULL, *consulta = NULL;
	json_t		*j;

	(void)c;
	if (query_get(rq->query, "modulo", &modulo) == -1 ||
	    query_get(rq->query, "consulta", &consulta) == -1) {
		set_json(rs, 500, NULL);
		goto out;
	}
	if (sim_work_answer(modulo, consulta, &j, &rs->fault) == 0)
		set_json(rs, 200, j);
	else
		set_json(rs, 200, json_pack("{s:i, s:s}", "status", 400,
		    "reason", "Módulo inválido"));
out:
	free(modulo);
	free(consulta);
}

/* GET /__sim/calls[?api=c2s|diretrix|work] */
static void
obs_calls(struct ctx *c, struct req *rq, struct resp *rs)
{
	char	*api = NULL;
	size_t	 i;
	int	 rc;

	if ((rc = query_get(rq->query, "api", &api)) == -1) {
		set_json(rs, 500, NULL);
		return;
	}
	for (i = 0; rc == 1 && i < API__MAX; i++)
		if (strcmp(api, API_NAME[i]) == 0)
			break;
	if (rc == 1 && i == API__MAX)
		set_error(rs, 400, "api must be c2s, diretrix or work");
	else
		set_json(rs, 200, sim_record_calls(&c->rec, api));
	free(api);
}

/* GET /__sim/notes?lead=ID */
static void
obs_notes(struct ctx *c, struct req *rq, struct resp *rs)
{
	char	*lead = NULL;

	if (query_get(rq->query, "lead", &lead) != 1 ||
	    !sim_lead_id_ok(lead))
		set_error(rs, 400, "lead must be a 32-hex lead id");
	else {
		set_lead(rs, lead);
		set_json(rs, 200, sim_record_notes(&c->rec, rs->lead));
	}
	free(lead);
}

/* GET /__sim/truth/{lead} */
static void
obs_truth(struct ctx *c, struct req *rq, struct resp *rs)
{
	struct sim_lead	 l;

	(void)c;
	if (!sim_lead_id_ok(rq->seg[2])) {
		set_error(rs, 404, "not a lead id");
		return;
	}
	sim_lead_make(rq->seg[2], &l);
	set_json(rs, 200, json_pack("{s:s, s:s?, s:s?, s:o, s:o}",
	    "variant", sim_variant_name(l.variant),
	    "phone", l.has_phone ? l.phone : NULL,
	    "email", l.has_email ? l.email : NULL,
	    "phone_person", sim_person_json(l.phone_seed),
	    "email_person", sim_person_json(l.email_seed)));
}

/* POST /__sim/reset */
static void
obs_reset(struct ctx *c, struct req *rq, struct resp *rs)
{
	(void)rq;
	if (sim_record_reset(&c->rec) == -1 ||
	    sim_hook_reset(&c->hook) == -1) {
		fprintf(stderr, "upstream-sim: reset %s: %s\n", c->rec.path,
		    strerror(errno));
		set_error(rs, 500, "cannot truncate the record");
		return;
	}
	set_json(rs, 200, json_pack("{s:b}", "reset", 1));
}

/* POST /__sim/leads, POST /__sim/leads/{id}/update|close */
static void
ctl_lead(struct ctx *c, struct req *rq, struct resp *rs)
{
	json_t		*j;
	enum sim_action	 a = SIM_A_CREATE;
	int		 st;

	if (rq->nseg == 4)
		a = strcmp(rq->seg[3], "close") == 0 ? SIM_A_CLOSE :
		    SIM_A_UPDATE;
	st = sim_hook_control(&c->hook, rq->nseg == 4 ? rq->seg[2] : NULL,
	    a, rq->body.data, rq->body.len, &j);
	set_json(rs, st, j);
}

/* GET /__sim/deliveries[?lead=ID] */
static void
obs_deliveries(struct ctx *c, struct req *rq, struct resp *rs)
{
	char	*lead = NULL;
	int	 rc;

	if ((rc = query_get(rq->query, "lead", &lead)) == -1)
		set_json(rs, 500, NULL);
	else if (rc == 1 && !sim_lead_id_ok(lead))
		set_error(rs, 400, "lead must be a 32-hex lead id");
	else {
		if (rc == 1)
			set_lead(rs, lead);
		set_json(rs, 200, sim_hook_deliveries(&c->hook,
		    rc == 1 ? rs->lead : NULL));
	}
	free(lead);
}

/* GET /__sim/hooks */
static void
obs_hooks(struct ctx *c, struct req *rq, struct resp *rs)
{
	(void)rq;
	set_json(rs, 200, sim_hook_list(&c->hook));
}

/* POST /__sim/hooks/reset */
static void
obs_hooks_reset(struct ctx *c, struct req *rq, struct resp *rs)
{
	(void)rq;
	if (sim_hook_clear(&c->hook) == -1)
		set_error(rs, 500, "cannot clear the subscriptions");
	else
		set_json(rs, 200, json_pack("{s:b}", "reset", 1));
}

/*
 * POST /__sim/echo[?status=NNN][&delay_ms=N]: a webhook receiver for
 * tests, answering NNN after N ms.
 */
static void
obs_echo(struct ctx *c, struct req *rq, struct resp *rs)
{
	char		*v = NULL, *d = NULL;
	long long	 st = 200, ms = 0;
	int		 rc, rd;

	if ((rc = query_get(rq->query, "status", &v)) == -1 ||
	    (rd = query_get(rq->query, "delay_ms", &d)) == -1)
		set_json(rs, 500, NULL);
	else if ((rc == 1 && ce_strtonum(v, 200, 599, &st) == -1) ||
	    (rd == 1 && ce_strtonum(d, 0, 10000, &ms) == -1))
		set_error(rs, 400, "status must be from 200 to 599, "
		    "delay_ms from 0 to 10000");
	else if (sim_hook_echo(&c->hook, rq->query, rq->body.data,
	    rq->body.len) == -1)
		set_error(rs, 500, "cannot record the echo");
	else {
		set_json(rs, (int)st, json_pack("{s:b}", "received", 1));
		rs->sleep_ms = ms;
	}
	free(v);
	free(d);
}

/* GET /__sim/echo */
static void
obs_echoes(struct ctx *c, struct req *rq, struct resp *rs)
{
	(void)rq;
	set_json(rs, 200, sim_hook_echoes(&c->hook));
}

struct route {
	enum api	 api;
	const char	*method;
	size_t		 nseg;
	const char	*seg[SEGS_MAX];	/* NULL matches any segment */
	handler		 fn;
};

static const struct route ROUTES[] = {
	{ API_C2S, "GET", 2, { "integration", "leads" }, c2s_list },
	{ API_C2S, "POST", 2, { "integration", "leads" }, c2s_create },
	{ API_C2S, "GET", 3, { "integration", "leads", NULL }, c2s_lead },
	{ API_C2S, "POST", 4, { "integration", "leads", NULL,
	    "create_message" }, c2s_message },
	{ API_C2S, "POST", 3, { "integration", "leads", "subscribe" },
	    c2s_hook },
	{ API_C2S, "POST", 3, { "integration", "leads", "unsubscribe" },
	    c2s_hook },
	{ API_DIRETRIX, "GET", 4, { "Consultas", "Pessoa", "Telefone", NULL },
	    dx_phone },
	{ API_DIRETRIX, "GET", 4, { "Consultas", "Pessoa", "Email", NULL },
	    dx_email },
	{ API_WORK, "GET", 1, { "api" }, work_api },
	{ API_NONE, "GET", 2, { "__sim", "calls" }, obs_calls },
	{ API_NONE, "GET", 2, { "__sim", "notes" }, obs_notes },
	{ API_NONE, "GET", 3, { "__sim", "truth", NULL }, obs_truth },
	{ API_NONE, "POST", 2, { "__sim", "reset" }, obs_reset },
	{ API_NONE, "POST", 2, { "__sim", "leads" }, ctl_lead },
	{ API_NONE, "POST", 4, { "__sim", "leads", NULL, "update" }, ctl_lead },
	{ API_NONE, "POST", 4, { "__sim", "leads", NULL, "close" }, ctl_lead },
	{ API_NONE, "GET", 2, { "__sim", "deliveries" }, obs_deliveries },
	{ API_NONE, "GET", 2, { "__sim", "hooks" }, obs_hooks },
	{ API_NONE, "POST", 3, { "__sim", "hooks", "reset" }, obs_hooks_reset },
	{ API_NONE, "POST", 2, { "__sim", "echo" }, obs_echo },
	{ API_NONE, "GET", 2, { "__sim", "echo" }, obs_echoes },
};

static int
route_matches(const struct route *r, const struct req *rq)
{
	size_t	 i;

	if (r->nseg != rq->nseg)
		return 0;
	for (i = 0; i < r->nseg; i++)
		if (r->seg[i] != NULL && strcmp(r->seg[i], rq->seg[i]) != 0)
			return 0;
	return 1;
}

/*
 * Faults.
 */

/* Fault 09: about PAD_LEN more bytes of valid JSON. */
static void
pad(struct resp *rs)
{
	json_t	*s;
	char	*x;

	if ((x = malloc(PAD_LEN)) == NULL)
		return;
	memset(x, 'x', PAD_LEN);
	s = json_stringn_nocheck(x, PAD_LEN);
	free(x);
	if (json_is_object(rs->json))
		(void)json_object_set_new(rs->json, "padding", s);
	else if (json_is_array(rs->json))
		(void)json_array_append_new(rs->json,
		    json_pack("{s:o}", "padding", s));
	else
		json_decref(s);
}

/* Turn the normal answer into the fault's (flaky: see record()). */
static void
apply_fault(struct ctx *c, struct resp *rs)
{
	switch (rs->fault) {
	case SIM_F_LATENCY:
		rs->sleep_ms += c->cfg.fault_latency;
		break;
	case SIM_F_503:
		set_error(rs, 503, "service unavailable");
		break;
	case SIM_F_HANG:
		rs->sleep_ms += c->cfg.hang;
		break;
	case SIM_F_MALFORMED:
		set_text(rs, 200, CT_JSON, MALFORMED);
		break;
	case SIM_F_TRUNCATED:
		rs->truncate = 1;
		break;
	case SIM_F_403:
		if (rs->api == API_WORK)
			set_json(rs, 200, json_pack("{s:i, s:s}", "status", 403,
			    "reason", "Token expirado ou módulo não "
			    "autorizado"));
		break;
	case SIM_F_CREDITS:
		if (rs->api == API_WORK)
			set_json(rs, 200, json_pack("{s:i, s:s}", "code", 429,
			    "message", "not enough credits"));
		break;
	case SIM_F_429:
		set_error(rs, 429, "too many requests");
		(void)ce_strlcpy(rs->hdrs, "Retry-After: 1\r\n",
		    sizeof(rs->hdrs));
		break;
	case SIM_F_OVERSIZED:
		pad(rs);
		break;
	case SIM_F_500:
		set_text(rs, 500, CT_HTML, HTML_500);
		break;
	default:
		break;
	}
}

/*
 * Append the call to the record.  The flaky fault decides here, under
 * the record's lock, from the calls of this API and path before it.
 */
static void
record(struct ctx *c, const struct req *rq, struct resp *rs)
{
	int	 locked = 0, ok2xx;

	if (rs->api == API_NONE || rs->rpath == NULL)
		return;
	if (rs->fault == SIM_F_FLAKY) {
		locked = sim_record_lock(&c->rec, 1) == 0;
		if (sim_record_count(&c->rec, API_NAME[rs->api],
		    rs->rpath) == 0)
			set_error(rs, 503, "service unavailable");
	}
	ok2xx = rs->status >= 200 && rs->status < 300;
	if (sim_record_append(&c->rec, API_NAME[rs->api],
	    rq->method, rs->rpath, rs->status,
	    rs->lead[0] != '\0' ? rs->lead : NULL,
	    ok2xx ? rs->note : NULL) == -1)
		fprintf(stderr, "upstream-sim: cannot append to %s: %s\n",
		    c->rec.path, strerror(errno));
	if (locked)
		(void)sim_record_lock(&c->rec, 0);
}

/*
 * The process.
 */

/* Serialise the body; on failure answer a static 500. */
static void
serialise(struct resp *rs)
{
	if (rs->json != NULL &&
	    (rs->out = json_dumps(rs->json, JSON_COMPACT)) == NULL)
		set_text(rs, 500, CT_JSON, "{\"error\":\"internal error\"}");
	if (rs->out == NULL && rs->text != NULL &&
	    (rs->out = strdup(rs->text)) == NULL) {
		rs->status = 500;
		rs->ctype = CT_TEXT;
	}
	rs->outlen = rs->out != NULL ? strlen(rs->out) : 0;
}

/*
 * Write the answer.  Fault 05 declares the whole length and sends half:
 * the client sees the connection end before Content-Length is reached.
 */
static void
write_resp(FCGX_Request *fr, const struct resp *rs)
{
	char	 hdr[512];
	size_t	 send = rs->truncate ? rs->outlen / 2 : rs->outlen;
	int	 n;

	/* libfcgi's FCGX_FPrintF knows no %zu: format here. */
	n = snprintf(hdr, sizeof(hdr), "Status: %d\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n%s\r\n",
	    rs->status, rs->ctype != NULL ? rs->ctype : CT_TEXT, rs->outlen,
	    rs->hdrs);
	if (n < 0 || (size_t)n >= sizeof(hdr))
		n = snprintf(hdr, sizeof(hdr), "Status: 500\r\n"
		    "Content-Length: 0\r\n\r\n");
	if (FCGX_PutStr(hdr, n, fr->out) != n)
		return;
	if (send > 0)
		(void)FCGX_PutStr(rs->out, (int)send, fr->out);
	if (rs->truncate) {
		/*
		 * End the connection before FCGI_END_REQUEST: lighttpd then
		 * drops the client connection at once instead of waiting.
		 */
		(void)FCGX_FFlush(fr->out);
		(void)shutdown(fr->ipcFd, SHUT_RDWR);
	}
}

/*
 * Read the method, the URI and the body of "fr" into "rq".  Returns 0, or
 * -1 with the error in "rs".
 */
static int
req_read(FCGX_Request *fr, struct req *rq, struct resp *rs)
{
	const char	*uri;

	rq->method = FCGX_GetParam("REQUEST_METHOD", fr->envp);
	rq->auth = FCGX_GetParam("HTTP_AUTHORIZATION", fr->envp);
	uri = FCGX_GetParam("REQUEST_URI", fr->envp);
	if (rq->method == NULL)
		rq->method = "GET";
	if (uri == NULL)
		uri = "/";
	if (parse_uri(uri, rq) == -1) {
		set_error(rs, 400, "bad request URI");
		return -1;
	}
	if (read_body(fr, rq) == -1) {
		set_error(rs, 413, "request body too large");
		return -1;
	}
	return 0;
}

/*
 * The route of "rq", or NULL: "rs" then says 404, or 405 if the path is
 * known but not with this method.
 */
static const struct route *
route_find(const struct req *rq, struct resp *rs)
{
	size_t	 i;
	int	 path_known = 0;

	for (i = 0; i < NELEM(ROUTES); i++) {
		if (!route_matches(&ROUTES[i], rq))
			continue;
		path_known = 1;
		if (strcmp(ROUTES[i].method, rq->method) == 0)
			return &ROUTES[i];
	}
	if (path_known)
		set_error(rs, 405, "method not allowed");
	return NULL;
}

/*
 * Run route "r": for an upstream's route its record path, latency and
 * credentials first, then the handler and the fault the lead asks for.
 */
static void
route_run(struct ctx *c, const struct route *r, struct req *rq,
    struct resp *rs)
{
	rs->api = r->api;
	if (rs->api != API_NONE) {
		rs->rpath = rs->api == API_WORK ? work_record_path(rq->query) :
		    utf8_or_encoded(rq->path);
		rs->sleep_ms = c->cfg.latency[rs->api];
		if (rs->rpath == NULL) {
			set_json(rs, 500, NULL);
			return;
		}
		if (!authorised(c, rq, rs->api)) {
			unauthorised(rs, rs->api);
			return;
		}
	}
	r->fn(c, rq, rs);
	apply_fault(c, rs);
}

/* Answer one request. */
static void
serve(struct ctx *c, FCGX_Request *fr)
{
	const struct route	*r;
	struct req		 rq;
	struct resp		 rs;
	size_t			 i;

	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	ce_buf_init(&rq.body, BODY_MAX);
	rs.api = API_NONE;
	set_error(&rs, 404, "not found");

	if (req_read(fr, &rq, &rs) == 0 && (r = route_find(&rq, &rs)) != NULL)
		route_run(c, r, &rq, &rs);
	record(c, &rq, &rs);
	if (rs.fire_update && rs.status >= 200 && rs.status < 300)
		sim_hook_defer(&c->hook, rs.lead);
	serialise(&rs);
	sleep_ms(rs.sleep_ms);
	write_resp(fr, &rs);

	json_decref(rs.json);
	free(rs.out);
	free(rs.rpath);
	free(rs.note);
	free(rq.path);
	for (i = 0; i < rq.nseg; i++)
		free(rq.seg[i]);
	ce_buf_free(&rq.body);
}

int
main(int argc, char *argv[])
{
	static struct ctx	 c;
	FCGX_Request		 fr;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: upstream-sim\n");
		return 2;
	}
	if (fcgi_sane_fds() == -1 || config_load(&c.cfg) == -1)
		return 1;
	if (fcgi_signals_install(0) == -1) {
		fprintf(stderr, "upstream-sim: signals: %s\n",
		    strerror(errno));
		return 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "upstream-sim: curl_global_init failed\n");
		return 1;
	}
	if (sim_record_open(&c.rec, c.cfg.record) == -1) {
		fprintf(stderr, "upstream-sim: %s: %s\n", c.cfg.record,
		    strerror(errno));
		curl_global_cleanup();
		return 1;
	}
	if (sim_hook_init(&c.hook, c.cfg.record) == -1) {
		sim_record_close(&c.rec);
		curl_global_cleanup();
		return 1;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0) {
		fprintf(stderr, "upstream-sim: cannot initialise FastCGI\n");
		goto fail;
	}
	while (!fcgi_stop_signal() && FCGX_Accept_r(&fr) >= 0) {
		serve(&c, &fr);
		FCGX_Finish_r(&fr);
		/* Webhooks a request fired, once its answer is sent. */
		sim_hook_run_deferred(&c.hook);
	}
	FCGX_Free(&fr, 1);
	sim_hook_close(&c.hook);
	sim_record_close(&c.rec);
	curl_global_cleanup();
	return 0;
fail:
	sim_hook_close(&c.hook);
	sim_record_close(&c.rec);
	curl_global_cleanup();
	return 1;
}
