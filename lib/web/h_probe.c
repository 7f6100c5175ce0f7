/*
 * h_probe.c -- the pool master's answers (see h_probe.h).  /health is
 * always 200: the master's identity and the pool's figures.  /ready is
 * 503 naming the first failing part: stopping, the pool (short of
 * POOL_MIN past POOL_SHORT_AFTER, or no responder alive), the database
 * (the master's probe), the migrations, the shared file.  An error re-run
 * is answered as the responders answer it, but for an overloaded pool:
 * lighttpd's 500 for a backlog it could not connect into (measured,
 * docs/POOL-PLAN.md §6.1), its 502, 503 or 504, with no idle responder,
 * become a JSON 503 "overloaded" a client can retry after Retry-After.
 */
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/cgi.h"
#include "core/config.h"
#include "core/err.h"
#include "io/pgprobe.h"
#include "web/h_health.h"
#include "web/h_probe.h"
#include "web/resp.h"

void
cx_probe_health(const struct cx_probe *p, struct ce_resp *resp)
{
	resp->status = 200;
	resp->ctype = "application/json";
	if (ce_buf_printf(resp->body, "{\"status\":\"ok\",\"service\":\""
	    CE_SERVICE "\",\"version\":\"" CE_VERSION "\",\"pid\":%ld,"
	    "\"uptime_ms\":%lld,\"requests\":%llu,\"rss_kb\":%lld,"
	    "\"cache\":{\"entries\":%llu,\"bytes\":%llu,\"max_bytes\":%llu,"
	    "\"hits\":%llu,\"misses\":%llu},\"pool\":{\"alive\":%d,"
	    "\"busy\":%d,\"idle\":%d,\"starting\":%d,"
	    "\"min\":%d,\"max\":%d,\"spare\":%d,\"generation\":%u,"
	    "\"queue\":%d,\"backlog\":%d,\"short_ms\":%lld,"
	    "\"stopping\":%s}}\n", p->pid,
	    p->uptime_ms, p->requests, p->rss_kb, p->cache_entries,
	    p->cache_bytes, p->cache_max, p->cache_hits, p->cache_misses,
	    p->alive, p->busy, p->idle,
	    p->starting, p->min, p->max, p->spare, p->generation, p->queue,
	    p->backlog, p->short_ms, p->stopping ? "true" : "false") != CE_OK)
		(void)cx_resp_errorc(resp, CE_ENOMEM, NULL, NULL);
}

/* The database's and the migrations' words, and the first failure. */
static const char *
db_words(const struct cx_probe *p, const char **db, char *mig, size_t sz)
{
	*db = "ok";
	switch (p->db) {
	case CX_PGPROBE_UP:
		if (p->schema < cx_schema_needed()) {
			snprintf(mig, sz, "pending: at %lld of %d", p->schema,
			    cx_schema_needed());
			return "migrations";
		}
		snprintf(mig, sz, "ok: version %lld", p->schema);
		return NULL;
	case CX_PGPROBE_NOSCHEMA:
		snprintf(mig, sz, "not applied");
		return "migrations";
	default:
		*db = p->db == CX_PGPROBE_UNKNOWN ? "unknown" : "unavailable";
		snprintf(mig, sz, "unknown");
		return "database";
	}
}

void
cx_probe_ready(const struct cx_probe *p, struct ce_resp *resp)
{
	const char	*failing, *db, *dedup = p->dedup ? "ok" : "unavailable";
	char		 mig[64], pool[64];
	enum ce_err	 er;

	failing = db_words(p, &db, mig, sizeof(mig));
	if (p->pool_failing)
		failing = "pool";
	if (failing == NULL && !p->dedup)
		failing = "dedup";
	if (p->stopping)
		failing = "stopping";
	if (p->short_ms > 0)
		snprintf(pool, sizeof(pool), "short: %d of %d for %lld s",
		    p->alive, p->min, p->short_ms / 1000);
	else
		snprintf(pool, sizeof(pool), "ok: %d alive", p->alive);
	resp->status = failing != NULL ? 503 : 200;
	resp->ctype = "application/json";
	if (failing != NULL)
		er = ce_buf_printf(resp->body, "{\"error\":\"not ready: %s\","
		    "\"code\":\"not_ready\",\"status\":\"not_ready\","
		    "\"failing\":\"%s\",", failing, failing);
	else
		er = ce_buf_printf(resp->body, "{\"status\":\"ready\",");
	if (er == CE_OK)
		er = ce_buf_printf(resp->body, "\"checks\":{\"database\":\"%s\","
		    "\"migrations\":\"%s\",\"dedup\":\"%s\",\"pool\":\"%s\"},"
		    "\"spool\":{\"state\":\"%s\",\"files\":%llu,\"bytes\":%llu}}"
		    "\n", db, mig, dedup, pool, p->spool, p->spool_files,
		    p->spool_bytes);
	if (er != CE_OK)
		(void)cx_resp_errorc(resp, CE_ENOMEM, NULL, NULL);
}

int
cx_httpd_status(int st, enum ce_err *er, const char **msg)
{
	static const struct {
		int		 status;
		enum ce_err	 er;
		const char	*msg;
	} map[] = {
		{ 400, CE_EINPUT, NULL },
		{ 401, CE_EAUTH, NULL },
		{ 404, CE_ENOTFOUND, NULL },
		{ 405, CE_EMETHOD, NULL },
		{ 408, CE_EINPUT, "request timeout" },
		{ 411, CE_EINPUT, "length required" },
		{ 413, CE_E2BIG, NULL },
		{ 414, CE_EINPUT, "URI too long" },
		{ 417, CE_EINPUT, "expectation failed" },
		{ 431, CE_EINPUT, "request header fields too large" },
		{ 501, CE_ESYSTEM, "not implemented" },
		{ 503, CE_EUNAVAIL, NULL },
		{ 504, CE_ETIMEOUT, NULL },
	};
	size_t	 i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].status == st) {
			*er = map[i].er;
			*msg = map[i].msg;
			return 0;
		}
	*er = st < 500 ? CE_EINPUT : CE_ESYSTEM;
	*msg = "request refused by the web server";
	return -1;
}

void
cx_probe_httpd_error(const struct cx_probe *p, int st, struct ce_resp *resp)
{
	enum ce_err	 er;
	const char	*msg;

	if (st == 503 || ((st == 500 || st == 502 || st == 504) &&
	    (p->idle == 0 || p->queue > 0))) {
		(void)cx_resp_header(resp, "Retry-After", CX_PROBE_RETRY_AFTER);
		(void)cx_resp_errorc(resp, CE_EUNAVAIL, "overloaded",
		    "overloaded: try again");
		return;
	}
	(void)cx_httpd_status(st, &er, &msg);
	(void)cx_resp_errorc(resp, er, NULL, msg);
	resp->status = st;	/* the web server's own */
}
