/*
 * handle.c -- cx_handle(), the body of ce_handle(): one request in, one
 * response out.  It checks what every route shares (method, path, body
 * size), finds the route, calls its handler, turns every error (its own,
 * a refused key's, a handler's, with the code and text cx_fail()
 * recorded) into a JSON error body with the status of err.c, written
 * once, and logs one access line.  The process's scoreboard slot is BUSY
 * from the start (its route once known) and IDLE again at the end.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/cache.h"
#include "core/cgi.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "core/route.h"
#include "core/util.h"
#include "shared/metrics.h"
#include "shared/ratelimit.h"
#include "shared/scoreboard.h"
#include "app/spool.h"
#include "web/auth.h"
#include "web/h_admin.h"
#include "web/h_customer.h"
#include "web/h_google.h"
#include "web/h_health.h"
#include "web/h_leads.h"
#include "web/h_list.h"
#include "web/h_metrics.h"
#include "web/h_stats.h"
#include "web/h_alerts.h"
#include "web/h_webhook.h"
#include "web/h_work.h"
#include "web/h_probe.h"
#include "web/handle.h"
#include "web/req.h"
#include "web/resp.h"
#include "web/web.h"

typedef enum ce_err (*handler_fn)(struct cx_web *, const struct cx_request *,
    struct ce_resp *);

static const handler_fn handlers[CE_ROUTE__MAX] = {
	[CE_ROUTE_HEALTH] = cx_h_health,
	[CE_ROUTE_READY] = cx_h_ready,
	[CE_ROUTE_LEADS_PROCESS] = cx_h_leads_process,
	[CE_ROUTE_C2S_ENRICH] = cx_h_c2s_enrich,
	[CE_ROUTE_WEBHOOK_C2S] = cx_h_webhook_c2s,
	[CE_ROUTE_WEBHOOK_GOOGLE] = cx_h_webhook_google,
	[CE_ROUTE_CUSTOMER_LOOKUP] = cx_h_customer_lookup,
	[CE_ROUTE_ENRICH] = cx_h_enrich,
	[CE_ROUTE_CUSTOMER] = cx_h_customer,
	[CE_ROUTE_WORK_MODULE] = cx_h_work_module,
	[CE_ROUTE_STATS] = cx_h_stats,
	[CE_ROUTE_METRICS] = cx_h_metrics,
	[CE_ROUTE_WEBHOOK_REPLAY] = cx_h_webhook_replay,
	[CE_ROUTE_LEAD_RETRY] = cx_h_lead_retry,
	[CE_ROUTE_LEAD_REPROCESS] = cx_h_lead_reprocess,
	[CE_ROUTE_LEADS_LIST] = cx_h_leads_list,
	[CE_ROUTE_ALERTS] = cx_h_alerts,
};

/*
 * lighttpd's server.error-handler re-runs a request it refused itself
 * (411 no length, 413 over its cap, 400 bad header, ...) through us with
 * REDIRECT_STATUS set: answer it as a JSON error with that status.
 * Returns CE_OK when the request was no such error, else the error to
 * answer (its text recorded in "resp") with "*status" set to the status.
 */
static enum ce_err
httpd_error(const struct ce_req *req, struct ce_resp *resp, int *status)
{
	const char	*rs = ce_req_param(req, "REDIRECT_STATUS");
	const char	*msg;
	enum ce_err	 er;
	long long	 st;

	if (rs == NULL || ce_strtonum(rs, 400, 599, &st) == -1)
		return CE_OK;
	*status = (int)st;
	(void)cx_httpd_status((int)st, &er, &msg);
	return cx_fail(resp, er, NULL, msg);
}

/* Take the client's X-Request-Id if it is sane, else make one. */
static void
set_reqid(struct cx_web *w, const struct ce_req *req)
{
	const char	*id = ce_req_param(req, "HTTP_X_REQUEST_ID");

	if (id != NULL && ce_reqid_ok(id)) {
		ce_strlcpy(w->app.log.reqid, id, sizeof(w->app.log.reqid));
		return;
	}
	snprintf(w->app.log.reqid, sizeof(w->app.log.reqid), "%lx-%llx",
	    (unsigned long)getpid(), ++w->reqseq);
}

static void
log_access(struct cx_web *w, const struct ce_req *req, enum ce_route r,
    const char *path, size_t pathlen, int status, long long us)
{
	cx_log_access(&w->app.log, req->method, r, path, pathlen, status, us,
	    ce_req_param(req, "REMOTE_ADDR"));
}

/*
 * Has the client used up its rate?  The webhooks (a C2S burst, Google's
 * forms) draw from a bucket of their own, WEBHOOK_RATE_LIMIT, so that they
 * never compete with the API's RATE_LIMIT.  Then record the 429's text
 * and Retry-After in "resp" and return 1.
 */
static int
limited(struct cx_web *w, const struct cx_request *rq, struct ce_resp *resp)
{
	const struct ce_config *cfg = &w->app.cfg;
	char		 key[80], secs[24], msg[96];
	long long	 ms, rate = cfg->rate_limit, burst = cfg->rate_burst;
	const char	*fam = "api ", *var = "RATE_LIMIT";
	size_t		 n;

	if (rq->route == CE_ROUTE_WEBHOOK_C2S ||
	    rq->route == CE_ROUTE_WEBHOOK_GOOGLE) {
		rate = cfg->webhook_rate_limit;
		burst = cfg->webhook_rate_burst;
		fam = "webhook ";
		var = "WEBHOOK_RATE_LIMIT";
	}
	n = strlen(fam);
	if (rate <= 0 || rq->addr == NULL ||
	    ce_strlcpy(key + n, rq->addr, sizeof(key) - n) >= sizeof(key) - n)
		return 0;
	memcpy(key, fam, n);
	if ((ms = cx_rate_take(w->app.shf, key, rate, burst)) == 0)
		return 0;
	snprintf(msg, sizeof(msg), "too many requests: at most %s a "
	    "second from one address", var);
	(void)cx_fail(resp, CE_ERATE, NULL, msg);
	snprintf(secs, sizeof(secs), "%lld", (ms + 999) / 1000);
	(void)cx_resp_header(resp, "Retry-After", secs);
	return 1;
}

/*
 * Match the route of "rq", then refuse a client over its rate, a method
 * the route does not take, an unknown route, or credentials the route does
 * not accept.  Returns CE_OK, or the error to answer with ("resp" then
 * has its Allow, Retry-After or WWW-Authenticate header if any).
 */
static enum ce_err
route_check(struct cx_web *w, const struct ce_req *req, struct cx_request *rq,
    struct ce_resp *resp)
{
	const char	*msg;
	enum ce_err	 er;
	char		 allow[64];

	er = ce_route_match(rq->path, rq->pathlen, req->method, &rq->route,
	    &rq->allowed);
	/* The probes are never limited: a load balancer's or fly's check
	 * must not be refused for another client's traffic. */
	if (rq->route != CE_ROUTE_HEALTH && rq->route != CE_ROUTE_READY &&
	    limited(w, rq, resp))
		return CE_ERATE;
	if (er == CE_EMETHOD) {
		if (ce_methods_str(rq->allowed, allow, sizeof(allow)) == CE_OK)
			(void)cx_resp_header(resp, "Allow", allow);
		return er;
	}
	if (er != CE_OK || handlers[rq->route] == NULL)
		return CE_ENOTFOUND;
	if ((er = cx_auth_check(w, req, rq->route, &msg)) != CE_OK) {
		(void)cx_fail(resp, er, NULL, msg);
		if (er == CE_EAUTH)
			(void)cx_resp_header(resp, "WWW-Authenticate",
			    "Bearer realm=\"" CE_SERVICE "\"");
		return er;
	}
	return CE_OK;
}

void
cx_handle(struct cx_web *w, const struct ce_req *req, struct ce_resp *resp)
{
	long long	 start = cx_now_us(), us;
	struct cx_request rq;
	struct ce_cache_stats cs;
	enum ce_err	 er;
	int		 status = 0;

	w->served++;
	set_reqid(w, req);
	ce_buf_reset(&w->out);
	resp->body = &w->out;
	resp->status = 200;
	resp->ctype = "application/json";
	resp->headers[0] = '\0';
	resp->err_code = NULL;
	resp->err_msg[0] = '\0';
	resp->streamed = 0;
	(void)cx_resp_header(resp, "X-Request-Id", w->app.log.reqid);
	cx_sb_busy(&w->app.sb, CE_ROUTE_NONE, w->app.log.reqid, start / 1000);

	rq.route = CE_ROUTE_NONE;
	rq.pathlen = 0;
	if ((er = httpd_error(req, resp, &status)) != CE_OK)
		goto err;
	if ((er = cx_req_parse(&rq, req)) != CE_OK)
		goto err;
	if (req->body_too_large) {
		er = CE_E2BIG;
		goto err;
	}
	er = route_check(w, req, &rq, resp);
	cx_sb_route(&w->app.sb, rq.route);
	if (er != CE_OK)
		goto err;
	if ((er = handlers[rq.route](w, &rq, resp)) != CE_OK)
		goto err;
	goto out;
err:
	if (cx_resp_errorc(resp, er, resp->err_code,
	    resp->err_msg[0] != '\0' ? resp->err_msg : NULL) != CE_OK)
		resp->status = ce_err_status(er);
	if (status != 0)
		resp->status = status;	/* the web server's own */
out:
	cx_spool_settle(&w->app, rq.route, resp->status);
	us = cx_now_us() - start;
	log_access(w, req, rq.route, req->uri != NULL ? req->uri : "",
	    rq.pathlen, resp->status, us);
	cx_mtab_request(&w->app.mtab, rq.route, resp->status, us);
	if (w->app.cache != NULL) {
		ce_cache_stats(w->app.cache, &cs);
		cx_mtab_cache_size(&w->app.mtab, cs.entries, cs.bytes);
	}
	cx_sb_idle(&w->app.sb, (start + us) / 1000);
	w->app.log.reqid[0] = '\0';
}
