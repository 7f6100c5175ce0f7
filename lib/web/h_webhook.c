/*
 * h_webhook.c -- C2S webhooks.  POST /api/v1/webhooks/c2s (and the TS
 * service's /webhook/c2s): events in any of C2S's three shapes, one
 * object or an array of at most WEBHOOK_MAX_EVENTS.  Each event is stored
 * before the answer (webhook.c), and the work it causes is a job for the
 * worker: the request never runs the pipeline.  An event that cannot run
 * is stored as invalid with its reason, and the request answers 422 with
 * every event's disposition: never a 200 for an event that will not run.
 * POST /api/v1/webhooks/c2s/replay (API key) parses the invalid events
 * again and runs those that now can.  The request must carry
 * WEBHOOK_SECRET in X-Webhook-Token, X-Webhook-Secret, a Bearer token or
 * ?token= (C2S's subscribed hooks send no header): compared in constant
 * time, missing is a 401.  Closed by default: without WEBHOOK_SECRET the
 * route answers 503 not_configured, unless WEBHOOK_AUTH=off opened it on
 * purpose (no secret is then asked for; the process warned at start).  A
 * request the database cannot take goes whole to the spool (spool.c):
 * 202, replayed through cx_webhook_store().
 */
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/cgi.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "core/query.h"
#include "core/util.h"
#include "app/spool.h"
#include "app/store.h"
#include "app/webhook.h"
#include "web/auth.h"
#include "web/h_webhook.h"
#include "web/req.h"
#include "web/resp.h"
#include "web/web.h"

/*
 * The webhook secret the client sent: X-Webhook-Token (the Rust
 * service's header), X-Webhook-Secret (the TS service's), a Bearer token,
 * or ?token= in the query (a hook subscribed at C2S carries no header).
 * The first present is the one checked.  Returns CE_OK with "out" set
 * ("" when none came), or CE_EINPUT for a malformed or too long one.
 */
static enum ce_err
given_secret(const struct cx_request *rq, char *out, size_t outsz)
{
	static const char *const hdrs[] = {
		"HTTP_X_WEBHOOK_TOKEN", "HTTP_X_WEBHOOK_SECRET",
	};
	const char	*v;
	size_t		 i;

	out[0] = '\0';
	v = NULL;
	for (i = 0; v == NULL && i < sizeof(hdrs) / sizeof(hdrs[0]); i++)
		v = ce_req_param(rq->req, hdrs[i]);
	if (v == NULL &&
	    (v = ce_req_param(rq->req, "HTTP_AUTHORIZATION")) != NULL)
		v = strncasecmp(v, "Bearer ", 7) == 0 ? v + 7 : NULL;
	if (v != NULL)
		return ce_strlcpy(out, v, outsz) < outsz ? CE_OK : CE_EINPUT;
	return ce_query_get(rq->query, "token", out, outsz) == -1 ?
	    CE_EINPUT : CE_OK;
}

/*
 * Count disposition "d" and list it in "list" as one event's entry (of
 * stored event "id", or -1; of lead "lid", "" when it has none; "error"
 * why it cannot run, or NULL).
 */
static enum ce_err
tally(struct cx_hook_counts *n, struct ce_buf *list, long long id,
    const char *lid, const char *error, const char *d)
{
	enum ce_err	 er;

	cx_webhook_count(n, d);
	if ((er = ce_buf_puts(list, "{")) != CE_OK)
		return er;
	if (id != -1 && (er = ce_buf_printf(list, "\"id\":%lld,", id)) !=
	    CE_OK)
		return er;
	if ((er = ce_buf_printf(list, "\"lead_id\":%s%s%s,\"disposition\":"
	    "\"%s\"", lid[0] != '\0' ? "\"" : "", lid[0] != '\0' ?
	    lid : "null", lid[0] != '\0' ? "\"" : "", d)) != CE_OK)
		return er;
	if (strcmp(d, "invalid") == 0 && error != NULL &&
	    ((er = ce_buf_puts(list, ",\"error\":")) != CE_OK ||
	    (er = ce_buf_json_str(list, error, strlen(error))) != CE_OK))
		return er;
	return ce_buf_puts(list, "},");
}

/*
 * Store one event (webhook.c) and list its disposition.  Returns CE_OK,
 * CE_EDB, or CE_ENOMEM.
 */
static enum ce_err
ingest(struct cx_web *w, const json_t *raw, struct cx_hook_counts *n,
    struct ce_buf *list)
{
	struct cx_event	 e;
	char		 disp[24];
	enum ce_err	 er;

	if ((er = cx_webhook_ingest(&w->app, raw, &e, disp, sizeof(disp))) !=
	    CE_OK)
		return er;
	return tally(n, list, -1, e.lid, e.error, disp);
}

/*
 * The database failed: the whole request goes to the spool (events
 * stored before the failure are duplicates when it is replayed: the
 * ingest is idempotent per event).  202, or 422 when an event cannot run
 * (it is stored as invalid on replay), or 503 spool_unavailable.
 */
static enum ce_err
spool(struct cx_web *w, const struct ce_req *req, const json_t *j,
    size_t nev, struct ce_resp *resp)
{
	struct cx_event	 e;
	char		 extra[96];
	unsigned	 invalid = 0;
	size_t		 i;
	enum ce_err	 er;

	for (i = 0; i < nev; i++) {
		cx_webhook_parse(json_is_array(j) ? json_array_get(j, i) : j,
		    &e);
		if (e.error != NULL)
			invalid++;
	}
	snprintf(extra, sizeof(extra), "\"events\":%zu,\"invalid\":%u",
	    nev, invalid);
	if ((er = cx_resp_spooled(resp, cx_spool_put(&w->app, "webhook", NULL,
	    req->body, req->bodylen), w->app.log.reqid, extra)) != CE_OK ||
	    resp->status != 202 || invalid == 0)
		return er;
	resp->status = 422;
	ce_buf_reset(resp->body);
	return ce_buf_printf(resp->body, "{\"error\":\"%u of %zu events cannot "
	    "run: spooled, stored as invalid once replayed\",\"code\":"
	    "\"invalid_event\",\"success\":false,\"status\":\"queued\","
	    "\"spooled\":true,\"events\":%zu,\"invalid\":%u}\n", invalid,
	    nev, nev, invalid);
}

/*
 * The answer: 200 when every event runs or was seen before, 422 with each
 * event's disposition when one of them cannot run (stored all the same).
 */
static enum ce_err
answer(struct ce_resp *resp, const struct cx_hook_counts *n,
    struct ce_buf *list, const char *extra)
{
	enum ce_err	 er;

	if (list->len > 0)
		list->data[--list->len] = '\0';	/* the last comma */
	if (n->invalid > 0) {
		resp->status = 422;
		er = ce_buf_printf(resp->body, "{\"error\":\"%u of %u events "
		    "cannot run: stored as invalid\",\"code\":\"invalid_event\","
		    "\"success\":false,", n->invalid, n->received);
	} else
		er = ce_buf_puts(resp->body, "{\"success\":true,");
	if (er == CE_OK)
		er = ce_buf_printf(resp->body, "%s\"received\":%u,\"queued\":%u,"
		    "\"duplicates\":%u,\"ignored\":%u,\"invalid\":%u,"
		    "\"events\":[%s]}\n", extra, n->received, n->queued,
		    n->duplicates, n->ignored, n->invalid,
		    list->data != NULL ? list->data : "");
	return er;
}

/*
 * Check the webhook's secret and load the body, a JSON event or an array
 * of at most WEBHOOK_MAX_EVENTS events, into "*jp" (the caller's to
 * decref) with their count in "*nevp".  Returns CE_OK, or the failure
 * recorded in "resp" ("*jp" then NULL).
 */
static enum ce_err
hook_load(struct cx_web *w, const struct cx_request *rq,
    struct ce_resp *resp, json_t **jp, size_t *nevp)
{
	json_error_t	 jerr;
	const char	*why;
	char		 msg[96], given[CE_SECRET_MAX + 1];

	*jp = NULL;
	*nevp = 0;
	/* Closed by default: no secret, no events, unless WEBHOOK_AUTH=off. */
	if (w->app.cfg.webhook_auth && w->app.cfg.webhook_secret[0] == '\0')
		return cx_fail(resp, CE_EUNAVAIL, "not_configured", "the C2S "
		    "webhook is not configured (WEBHOOK_SECRET)");
	if (w->app.cfg.webhook_auth) {
		if (given_secret(rq, given, sizeof(given)) != CE_OK)
			return cx_fail(resp, CE_EAUTH, NULL, "malformed "
			    "webhook secret");
		if (cx_secret_check(w->app.cfg.webhook_secret, given,
		    &why) != CE_OK)
			return cx_fail(resp, CE_EAUTH, NULL, why);
	}
	if (!rq->json)
		return cx_fail(resp, CE_ECTYPE, NULL, "the body must be "
		    "application/json");
	/* jansson rejects invalid UTF-8 and \u0000, which jsonb refuses. */
	*jp = json_loadb(rq->req->body, rq->req->bodylen, 0, &jerr);
	if (*jp == NULL || !(json_is_object(*jp) || json_is_array(*jp))) {
		json_decref(*jp);
		*jp = NULL;
		return cx_fail(resp, CE_EINPUT, NULL, "the body must be a "
		    "JSON event or an array of events");
	}
	*nevp = json_is_array(*jp) ? json_array_size(*jp) : 1;
	if (*nevp == 0 || *nevp > (size_t)w->app.cfg.webhook_max_events) {
		json_decref(*jp);
		*jp = NULL;
		if (*nevp == 0)
			return cx_fail(resp, CE_EINPUT, NULL, "no event");
		snprintf(msg, sizeof(msg), "more than %lld events in one "
		    "request", w->app.cfg.webhook_max_events);
		return cx_fail(resp, CE_E2BIG, NULL, msg);
	}
	return CE_OK;
}

enum ce_err
cx_h_webhook_c2s(struct cx_web *w, const struct cx_request *rq,
    struct ce_resp *resp)
{
	struct cx_hook_counts n;
	struct ce_buf	 list;
	json_t		*j;
	size_t		 i, nev;
	enum ce_err	 er;
	int		 spooled;

	if ((er = hook_load(w, rq, resp, &j, &nev)) != CE_OK)
		return er;
	memset(&n, 0, sizeof(n));
	ce_buf_init(&list, CX_RESP_CAP / 2);
	er = CE_OK;
	for (i = 0; i < nev && er == CE_OK; i++)
		er = ingest(w, json_is_array(j) ? json_array_get(j, i) : j,
		    &n, &list);
	spooled = er == CE_EDB;
	if (spooled) {
		cx_logf(&w->app.log, CE_LOG_WARN,
		    "webhook: %u of %zu events stored "
		    "before the database failed; the request is spooled",
		    n.received, nev);
		er = spool(w, rq->req, j, nev, resp);
	}
	json_decref(j);
	if (er == CE_OK && !spooled)
		er = answer(resp, &n, &list, "");
	ce_buf_free(&list);
	if (spooled)
		return er;
	else if (er == CE_OK)
		cx_logf(&w->app.log, n.invalid > 0 ? CE_LOG_WARN : CE_LOG_INFO,
		    "webhook: %u events, %u queued, %u duplicates, %u ignored, "
		    "%u invalid", n.received, n.queued, n.duplicates,
		    n.ignored, n.invalid);
	return er;
}

/* A replay under way: where it is and what it counted. */
struct replay {
	struct cx_web	*w;
	struct cx_hook_counts *n;
	struct ce_buf	*list;
	unsigned	 still;
	long long	 id, looked;
};

/* One invalid event read (cx_store_webhook_invalid's row callback). */
static enum ce_err
replay_row(void *arg, long long id, const char *payload)
{
	struct replay	*rp = arg;
	char		 lid[33], disp[24];
	int		 ran;
	enum ce_err	 er;

	/* Run again when it now can (webhook.c), and listed if it ran. */
	er = cx_webhook_replay_one(&rp->w->app, id, payload, lid, sizeof(lid),
	    disp, sizeof(disp), &ran);
	if (er == CE_OK && ran == -1)
		rp->still++;
	else if (er == CE_OK && ran == 1)
		er = tally(rp->n, rp->list, id, lid, NULL, disp);
	rp->id = id;
	rp->looked++;
	return er;
}

#define REPLAY_PAGE	100	/* invalid events read at a time */

/*
 * POST /api/v1/webhooks/c2s/replay[?limit=N][&after=ID]: the invalid
 * events after id "after" (0), oldest first, at most "limit" (1000, up
 * to 10000) of them, read a page at a time and parsed again; those that
 * now parse (their payload fixed in the database, or a parser that
 * learned their shape) get a disposition and run as if just received.
 * "next_after" says where to go on from, or is null at the end.
 */
enum ce_err
cx_h_webhook_replay(struct cx_web *w, const struct cx_request *rq,
    struct ce_resp *resp)
{
	struct replay	 rp;
	struct cx_hook_counts n;
	struct ce_buf	 list;
	char		 v[24], after[24] = "0", extra[128];
	long long	 limit = 1000, id = 0;
	int		 rows = 0, r, r2;
	enum ce_err	 er = CE_OK;

	r = ce_query_get(rq->query, "limit", v, sizeof(v));
	r2 = ce_query_get(rq->query, "after", after, sizeof(after));
	if (r == -1 || (r == 1 && ce_strtonum(v, 1, 10000, &limit) == -1))
		return cx_fail(resp, CE_EINPUT, NULL, "limit must be a "
		    "number from 1 to 10000");
	if (r2 == -1 || ce_strtonum(r2 == 1 ? after : "0", 0, 1LL << 62,
	    &id) == -1)
		return cx_fail(resp, CE_EINPUT, NULL, "after must be an "
		    "event id (a non-negative integer)");
	memset(&n, 0, sizeof(n));
	ce_buf_init(&list, CX_RESP_CAP / 2);
	memset(&rp, 0, sizeof(rp));
	rp.w = w;
	rp.n = &n;
	rp.list = &list;
	rp.id = id;
	do {
		er = cx_store_webhook_invalid(w->app.db, rp.id, limit -
		    rp.looked < REPLAY_PAGE ? limit - rp.looked : REPLAY_PAGE,
		    replay_row, &rp, &rows);
	} while (er == CE_OK && rows == REPLAY_PAGE && rp.looked < limit);
	if (er == CE_OK) {
		if (rows < REPLAY_PAGE && rp.looked < limit)
			snprintf(v, sizeof(v), "null");
		else
			snprintf(v, sizeof(v), "%lld", rp.id);
		snprintf(extra, sizeof(extra), "\"looked_at\":%lld,"
		    "\"still_invalid\":%u,\"next_after\":%s,", rp.looked,
		    rp.still, v);
		er = answer(resp, &n, &list, extra);
		resp->status = 200;
	}
	ce_buf_free(&list);
	if (er == CE_OK)
		cx_logf(&w->app.log, CE_LOG_INFO,
		    "webhook replay: %lld invalid events "
		    "read, %u run again, %u queued, %u still invalid",
		    rp.looked, n.received, n.queued, rp.still);
	return er;
}
