/*
 * h_list.c -- GET /api/v1/leads, the operators' list of leads (an admin
 * key: web/auth.c), newest first, filtered by status, source and a
 * creation window (since, until: YYYY-MM-DD, a day of São Paulo, or a
 * UTC timestamp YYYY-MM-DDTHH:MM:SSZ), paged by limit (default 50, at
 * most 500) and offset.  No CPF, phone or e-mail in clear: masked as the
 * logs mask them.
 *
 * With format=csv (or Accept: text/csv and no format) the same rows are
 * a CSV export for a spreadsheet: UTF-8 with a BOM, every field quoted
 * ('"' doubled), CRLF line ends, dates DD/MM/YYYY HH:MM in São Paulo
 * time, a field that would start a formula (= + - @) led by a "'", sent
 * as an attachment.  Every matching row unless limit is given.  The
 * export streams: the store hands the rows over in batches, and each
 * EXPORT_FLUSH bytes of CSV go to the web server at once (struct ce_req's
 * write), so the responder's memory does not grow with the row count.  A
 * database failure once the export has begun cannot change its status:
 * it ends with a last line saying the export is incomplete.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/brid.h"
#include "core/buf.h"
#include "core/cgi.h"
#include "core/err.h"
#include "core/log.h"
#include "core/name.h"
#include "core/query.h"
#include "core/util.h"
#include "app/store.h"
#include "web/h_list.h"
#include "web/req.h"
#include "web/resp.h"
#include "web/web.h"

#define LIMIT_DEFAULT	50
#define LIMIT_MAX	500
#define OFFSET_MAX	100000000LL
#define EXPORT_FLUSH	(64u * 1024)	/* bytes of CSV sent at a time */
/* The last line of an export the database cut short. */
#define EXPORT_CUT	"\"# export incomplete: database error\"\r\n"

static const char *const statuses[] = {
	"received", "processing", "completed", "partial", "basic",
	"unenriched", "invalid_contact", "failed", NULL
};
static const char *const sources[] = {
	"api", "webhook", "poller", "google_ads", "retry", "backfill", NULL
};

/* The query's parameters, checked. */
struct params {
	char		 status[24], source[24], since[32], until[32];
	char		 num[32], format[8];
	int		 csv;
	struct cx_lead_filter f;
};

/* One streamed answer. */
struct sink {
	const struct ce_req *req;
	struct ce_resp	*resp;
	int		 csv;
	int		 started;	/* headers sent */
	long long	 n;		/* rows written */
};

static void
sink_init(struct sink *s, const struct cx_request *rq, struct ce_resp *resp,
    int csv)
{
	memset(s, 0, sizeof(*s));
	s->req = rq->req;
	s->resp = resp;
	s->csv = csv;
}

static int
one_of(const char *v, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(v, *list) == 0)
			return 1;
	return 0;
}

static int
digits(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* YYYY-MM-DD, a real day. */
static int
is_day(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	long long	 y, m, d;
	char		 t[5];

	if (strlen(s) < 10 || !digits(s, 4) || s[4] != '-' ||
	    !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2))
		return 0;
	memcpy(t, s, 4);
	t[4] = '\0';
	if (ce_strtonum(t, 1900, 9999, &y) == -1)
		return 0;
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	return m != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0));
}

/* YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SSZ. */
static int
is_when(const char *s)
{
	size_t	 n = strlen(s);

	if (!is_day(s))
		return 0;
	if (n == 10)
		return 1;
	return n == 20 && s[10] == 'T' && digits(s + 11, 2) && s[13] == ':' &&
	    digits(s + 14, 2) && s[16] == ':' && digits(s + 17, 2) &&
	    s[19] == 'Z' && (s[11] - '0') * 10 + (s[12] - '0') < 24 &&
	    s[14] < '6' && s[17] < '6';
}

/*
 * Read parameter "name" into "out": 1 given, 0 absent (out is ""), or -1
 * with the 400 recorded in "resp".
 */
static int
param(const char *query, const char *name, char *out, size_t outsz,
    struct ce_resp *resp)
{
	char	 msg[96];

	out[0] = '\0';
	switch (ce_query_get(query, name, out, outsz)) {
	case 1:
		return 1;
	case 0:
		out[0] = '\0';
		return 0;
	default:
		snprintf(msg, sizeof(msg), "%s: malformed or too long", name);
		(void)cx_fail(resp, CE_EINPUT, "invalid_parameter", msg);
		return -1;
	}
}

/* Parameter "name" as a number within [lo, hi], or "def" when absent. */
static int
number(const char *query, const char *name, long long lo, long long hi,
    long long def, long long *v, struct params *ps, struct ce_resp *resp)
{
	char	 msg[96];
	int	 r;

	if ((r = param(query, name, ps->num, sizeof(ps->num), resp)) == -1)
		return -1;
	*v = def;
	if (r == 0)
		return 0;
	if (ce_strtonum(ps->num, lo, hi, v) == -1) {
		snprintf(msg, sizeof(msg), "%s: a whole number from %lld to "
		    "%lld", name, lo, hi);
		(void)cx_fail(resp, CE_EINPUT, "invalid_parameter", msg);
		return -1;
	}
	return 0;
}

/* Read and check the query.  Returns CE_OK, or CE_EINPUT (recorded). */
static enum ce_err
params_read(const struct cx_request *rq, struct params *ps,
    struct ce_resp *resp)
{
	const char	*q = rq->query != NULL ? rq->query : "";
	const char	*acc = ce_req_param(rq->req, "HTTP_ACCEPT");
	int		 r;

	memset(ps, 0, sizeof(*ps));
	if (param(q, "status", ps->status, sizeof(ps->status), resp) == -1 ||
	    param(q, "source", ps->source, sizeof(ps->source), resp) == -1 ||
	    param(q, "since", ps->since, sizeof(ps->since), resp) == -1 ||
	    param(q, "until", ps->until, sizeof(ps->until), resp) == -1 ||
	    (r = param(q, "format", ps->format, sizeof(ps->format),
	    resp)) == -1)
		return CE_EINPUT;
	if (ps->status[0] != '\0' && !one_of(ps->status, statuses))
		return cx_fail(resp, CE_EINPUT, "invalid_parameter", "status: "
		    "one of received, processing, completed, partial, basic, "
		    "unenriched, invalid_contact, failed");
	if (ps->source[0] != '\0' && !one_of(ps->source, sources))
		return cx_fail(resp, CE_EINPUT, "invalid_parameter", "source: "
		    "one of api, webhook, poller, google_ads, retry, "
		    "backfill");
	if (ps->since[0] != '\0' && !is_when(ps->since))
		return cx_fail(resp, CE_EINPUT, "invalid_parameter", "since: "
		    "YYYY-MM-DD (a São Paulo day) or YYYY-MM-DDTHH:MM:SSZ");
	if (ps->until[0] != '\0' && !is_when(ps->until))
		return cx_fail(resp, CE_EINPUT, "invalid_parameter", "until: "
		    "YYYY-MM-DD (a São Paulo day) or YYYY-MM-DDTHH:MM:SSZ");
	if (r == 1 && strcmp(ps->format, "csv") != 0 &&
	    strcmp(ps->format, "json") != 0)
		return cx_fail(resp, CE_EINPUT, "invalid_parameter",
		    "format: json or csv");
	ps->csv = r == 1 ? strcmp(ps->format, "csv") == 0 :
	    acc != NULL && strstr(acc, "text/csv") != NULL;
	if (number(q, "limit", 1, ps->csv ? OFFSET_MAX : LIMIT_MAX,
	    ps->csv ? -1 : LIMIT_DEFAULT, &ps->f.limit, ps, resp) == -1 ||
	    number(q, "offset", 0, OFFSET_MAX, 0, &ps->f.offset, ps,
	    resp) == -1)
		return CE_EINPUT;
	ps->f.status = ps->status;
	ps->f.source = ps->source;
	ps->f.since = ps->since;
	ps->f.until = ps->until;
	return CE_OK;
}

/* Send what the body holds (the headers first, once), then empty it. */
static enum ce_err
flush(struct sink *s)
{
	struct ce_buf	*b = s->resp->body;
	char		 hdr[512];
	int		 n;

	if (s->req->write == NULL)
		return CE_OK;	/* no stream: the body grows to its cap */
	if (!s->started) {
		if ((n = ce_resp_head(s->resp, -1, hdr, sizeof(hdr))) == -1)
			return CE_ESYSTEM;
		s->started = 1;
		s->resp->streamed = 1;
		if (s->req->write(s->req->write_arg, hdr, (size_t)n) == -1)
			return CE_EINPUT;
	}
	if (b->len > 0 && s->req->write(s->req->write_arg, b->data,
	    b->len) == -1)
		return CE_EINPUT;	/* the client is gone */
	ce_buf_reset(b);
	return CE_OK;
}

/*
 * A CSV field: quoted, '"' doubled, a formula defused (its first
 * character past leading spaces one a spreadsheet may read as one).
 */
static enum ce_err
csv_field(struct ce_buf *b, const char *v, int last)
{
	const char	*q;
	enum ce_err	 e;

	if ((e = ce_buf_puts(b, "\"")) != CE_OK)
		return e;
	q = v + strspn(v, " ");
	if (*q != '\0' && strchr("=+-@\t\r", *q) != NULL &&
	    (e = ce_buf_puts(b, "'")) != CE_OK)
		return e;
	while ((q = strchr(v, '"')) != NULL) {
		if ((e = ce_buf_append(b, v, (size_t)(q - v + 1))) != CE_OK ||
		    (e = ce_buf_puts(b, "\"")) != CE_OK)
			return e;
		v = q + 1;
	}
	if ((e = ce_buf_puts(b, v)) != CE_OK)
		return e;
	return ce_buf_puts(b, last ? "\"\r\n" : "\",");
}

/* "cpfs" (comma-separated, in clear) masked, comma-separated. */
static void
cpfs_masked(const char *cpfs, char *out, size_t outsz)
{
	char		 one[12], m[32];
	size_t		 n, len = 0;

	out[0] = '\0';
	while (*cpfs != '\0') {
		n = strcspn(cpfs, ",");
		ce_strlcpy(one, cpfs, n < sizeof(one) ? n + 1 : sizeof(one));
		ce_mask_cpf(one, m, sizeof(m));
		if (len + strlen(m) + 2 > outsz)
			break;
		len += (size_t)snprintf(out + len, outsz - len, "%s%s",
		    len > 0 ? "," : "", m);
		cpfs += n;
		if (*cpfs == ',')
			cpfs++;
	}
}

static enum ce_err
csv_row(struct ce_buf *b, const struct cx_lead_item *it, const char *name,
    const char *phone, const char *email, const char *cpfs)
{
	char		 att[24];
	enum ce_err	 e;

	snprintf(att, sizeof(att), "%lld", it->attempts);
	if ((e = csv_field(b, it->lead_id, 0)) != CE_OK ||
	    (e = csv_field(b, it->created_br, 0)) != CE_OK ||
	    (e = csv_field(b, it->updated_br, 0)) != CE_OK ||
	    (e = csv_field(b, it->status, 0)) != CE_OK ||
	    (e = csv_field(b, it->source, 0)) != CE_OK ||
	    (e = csv_field(b, att, 0)) != CE_OK ||
	    (e = csv_field(b, name, 0)) != CE_OK ||
	    (e = csv_field(b, phone, 0)) != CE_OK ||
	    (e = csv_field(b, email, 0)) != CE_OK ||
	    (e = csv_field(b, cpfs, 0)) != CE_OK ||
	    (e = csv_field(b, it->note_state, 0)) != CE_OK ||
	    (e = csv_field(b, it->error, 1)) != CE_OK)
		return e;
	return CE_OK;
}

static enum ce_err
json_row(struct ce_buf *b, const struct cx_lead_item *it, const char *name,
    const char *phone, const char *email, const char *cpfs, int first)
{
	const char	*c = cpfs;
	size_t		 n;
	enum ce_err	 e;

	if ((e = ce_buf_printf(b, "%s{\"lead_id\":\"%s\",\"status\":\"%s\","
	    "\"source\":\"%s\",\"attempts\":%lld,\"retries\":%lld,"
	    "\"name\":", first ? "" : ",", it->lead_id, it->status,
	    it->source, it->attempts, it->retries)) != CE_OK ||
	    (e = ce_buf_json_str(b, name, strlen(name))) != CE_OK ||
	    (e = ce_buf_puts(b, ",\"phone\":")) != CE_OK ||
	    (e = ce_buf_json_str(b, phone, strlen(phone))) != CE_OK ||
	    (e = ce_buf_puts(b, ",\"email\":")) != CE_OK ||
	    (e = ce_buf_json_str(b, email, strlen(email))) != CE_OK ||
	    (e = ce_buf_puts(b, ",\"cpfs\":[")) != CE_OK)
		return e;
	while (*c != '\0') {
		n = strcspn(c, ",");
		if ((e = ce_buf_printf(b, "%s", c == cpfs ? "" : ",")) !=
		    CE_OK || (e = ce_buf_json_str(b, c, n)) != CE_OK)
			return e;
		c += n;
		if (*c == ',')
			c++;
	}
	if ((e = ce_buf_printf(b, "],\"note_state\":\"%s\",\"last_error\":",
	    it->note_state)) != CE_OK ||
	    (e = ce_buf_json_str(b, it->error, strlen(it->error))) != CE_OK ||
	    (e = ce_buf_printf(b, ",\"created_at\":\"%s\",\"updated_at\":"
	    "\"%s\"}", it->created, it->updated)) != CE_OK)
		return e;
	return CE_OK;
}

/*
 * The name of "it" as shown into "out": a phone or an e-mail typed as
 * the name (ce_name_placeholder()) masked as the contacts are.
 */
static const char *
name_shown(const struct cx_lead_item *it, char *out, size_t sz)
{
	const char	*why = ce_name_placeholder(it->name);

	if (why != NULL && strcmp(why, "digits_only") == 0)
		ce_mask_phone(it->name, out, sz);
	else if (why != NULL && strcmp(why, "email_as_name") == 0)
		ce_mask_email(it->name, out, sz);
	else
		return it->name;
	return out;
}

/* The store's row callback: one row into the body, sent when it is big. */
static enum ce_err
row(void *arg, const struct cx_lead_item *it)
{
	struct sink	*s = arg;
	struct ce_buf	*b = s->resp->body;
	char		 phone[32], email[300], cpfs[128], nm[300];
	const char	*name = name_shown(it, nm, sizeof(nm));
	size_t		 at = b->len;
	enum ce_err	 e;

	ce_mask_phone(it->phone, phone, sizeof(phone));
	ce_mask_email(it->email, email, sizeof(email));
	if (it->phone[0] == '\0')
		phone[0] = '\0';
	if (it->email[0] == '\0')
		email[0] = '\0';
	cpfs_masked(it->cpfs, cpfs, sizeof(cpfs));
	if (!s->csv)
		e = json_row(b, it, name, phone, email, cpfs, s->n == 0);
	else if ((e = csv_row(b, it, name, phone, email, cpfs)) != CE_OK) {
		/* A row is whole or absent: cut what was written of it. */
		if (b->len > at) {
			b->len = at;
			b->data[at] = '\0';
		}
	} else if (b->len >= EXPORT_FLUSH)
		e = flush(s);
	s->n++;
	return e;
}

static enum ce_err
csv_export(struct cx_web *w, const struct cx_request *rq,
    const struct params *ps, struct ce_resp *resp)
{
	struct sink	 s;
	char		 disp[96], stamp[32];
	time_t		 now = time(NULL);
	struct tm	 tm;
	long long	 rows;
	size_t		 hlen;
	enum ce_err	 er;

	sink_init(&s, rq, resp, 1);
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm) == 0)
		ce_strlcpy(stamp, "export", sizeof(stamp));
	snprintf(disp, sizeof(disp), "attachment; filename=\"leads-%s.csv\"",
	    stamp);
	resp->ctype = "text/csv; charset=utf-8";
	hlen = strlen(resp->headers);
	if ((er = cx_resp_header(resp, "Content-Disposition", disp)) != CE_OK)
		return er;
	if ((er = ce_buf_puts(resp->body, "\xEF\xBB\xBF\"lead_id\","
	    "\"criado_em\",\"atualizado_em\",\"status\",\"origem\","
	    "\"tentativas\",\"nome\",\"telefone\",\"email\",\"cpfs\","
	    "\"nota\",\"ultimo_erro\"\r\n")) != CE_OK)
		return er;
	er = cx_store_leads_each(w->app.db, &ps->f, row, &s, &rows);
	if (er != CE_OK && !s.started) {
		/* A JSON error, no attachment. */
		ce_buf_reset(resp->body);
		resp->headers[hlen] = '\0';
		resp->ctype = "application/json";
		return er == CE_EINPUT ? CE_ESYSTEM : er;
	}
	if (er != CE_OK) {
		cx_logf(&w->app.log, CE_LOG_ERROR, "lead export cut after %lld "
		    "rows: %s", s.n, ce_strerror(er));
		if (er == CE_EINPUT)	/* the client left: nothing to say */
			return CE_OK;
		/* The whole rows not sent yet stay, then the marker. */
		if (ce_buf_puts(resp->body, EXPORT_CUT) != CE_OK &&
		    (flush(&s) != CE_OK ||
		    ce_buf_puts(resp->body, EXPORT_CUT) != CE_OK))
			cx_logf(&w->app.log, CE_LOG_WARN, "lead export: "
			    "the incomplete marker not written");
	}
	if ((er = flush(&s)) != CE_OK)
		cx_logf(&w->app.log, CE_LOG_WARN, "lead export: the client "
		    "left after %lld rows", s.n);
	return CE_OK;
}

enum ce_err
cx_h_leads_list(struct cx_web *w, const struct cx_request *rq,
    struct ce_resp *resp)
{
	struct params	 ps;
	struct sink	 s;
	long long	 rows;
	enum ce_err	 er;

	if ((er = params_read(rq, &ps, resp)) != CE_OK)
		return er;
	if (ps.csv)
		return csv_export(w, rq, &ps, resp);
	sink_init(&s, rq, resp, 0);
	if ((er = ce_buf_puts(resp->body, "{\"leads\":[")) != CE_OK)
		return er;
	if ((er = cx_store_leads_each(w->app.db, &ps.f, row, &s, &rows)) !=
	    CE_OK)
		return er;
	return ce_buf_printf(resp->body, "],\"count\":%lld,\"limit\":%lld,"
	    "\"offset\":%lld}\n", rows, ps.f.limit, ps.f.offset);
}
