/*
 * h_health.c -- the two probes.  /health depends on nothing outside this
 * process: it reports identity, uptime, requests served and resident
 * memory.  /ready makes one PostgreSQL round trip and checks that the
 * schema is at least the version this binary was built for, and maps the
 * shared de-duplication file; it answers 503 naming the failing part
 * otherwise.  Both answers show the spool's depth (files and bytes that
 * wait for the worker's replay): requests are still taken, so it is no
 * reason for a 503.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/cache.h"
#include "core/cgi.h"
#include "core/config.h"
#include "core/err.h"
#include "io/proc.h"
#include "io/shmfile.h"
#include "app/spool.h"
#include "app/store.h"
#include "web/h_health.h"
#include "web/req.h"
#include "web/web.h"

/* Highest migration number in sql/, set by the build. */
#ifndef CE_SCHEMA_VERSION
#define CE_SCHEMA_VERSION 1
#endif

int
cx_schema_needed(void)
{
	return CE_SCHEMA_VERSION;
}

enum ce_err
cx_h_health(struct cx_web *w, const struct cx_request *rq,
    struct ce_resp *resp)
{
	struct ce_cache_stats	 cs;

	(void)rq;
	memset(&cs, 0, sizeof(cs));
	cs.max_bytes = (size_t)w->app.cfg.cache_max_bytes;
	if (w->app.cache != NULL)
		ce_cache_stats(w->app.cache, &cs);
	return ce_buf_printf(resp->body, "{\"status\":\"ok\",\"service\":\""
	    CE_SERVICE "\",\"version\":\"" CE_VERSION "\",\"pid\":%ld,"
	    "\"uptime_ms\":%lld,\"requests\":%llu,\"rss_kb\":%lld,"
	    "\"cache\":{\"entries\":%zu,\"bytes\":%zu,\"max_bytes\":%zu,"
	    "\"hits\":%llu,\"misses\":%llu}}\n",
	    (long)getpid(), cx_proc_uptime_ms(&w->proc), w->served,
	    cx_proc_rss_kb(&w->proc), cs.entries, cs.bytes, cs.max_bytes,
	    cs.hits, cs.misses);
}

/*
 * The database and migrations checks: one round trip reads the schema's
 * version.  Sets "*dbstate", "*migstate" (maybe written into "migbuf" of
 * "sz" bytes) and, when one fails, "*failing".  Returns what the database
 * answered: CE_OK, CE_ENOTFOUND (no schema) or its error.
 */
static enum ce_err
schema_check(struct cx_web *w, char *migbuf, size_t sz,
    const char **dbstate, const char **migstate, const char **failing)
{
	long long	 version;
	enum ce_err	 er;

	er = cx_store_schema_version(w->app.db, &version);
	if (er == CE_ENOTFOUND) {
		*migstate = "not applied";
		*failing = "migrations";
	} else if (er != CE_OK) {
		*dbstate = "unavailable";
		*failing = "database";
	} else {
		if (version == -1) {
			*migstate = "unreadable";
			*failing = "migrations";
		} else if (version < CE_SCHEMA_VERSION) {
			snprintf(migbuf, sz, "pending: at %lld of %d",
			    version, CE_SCHEMA_VERSION);
			*migstate = migbuf;
			*failing = "migrations";
		} else {
			snprintf(migbuf, sz, "ok: version %lld", version);
			*migstate = migbuf;
		}
	}
	return er;
}

enum ce_err
cx_h_ready(struct cx_web *w, const struct cx_request *rq,
    struct ce_resp *resp)
{
	const char	*dbstate = "ok", *migstate = "unknown", *failing = NULL;
	const char	*dedup = "ok", *spool = "ok";
	char		 migbuf[64];
	unsigned long long sfiles = 0, sbytes = 0;
	enum ce_err	 er;

	(void)rq;
	/* A probe: it connects even while the database's breaker is open,
	 * and its success closes it. */
	er = schema_check(w, migbuf, sizeof(migbuf), &dbstate, &migstate,
	    &failing);
	/* The spool's depth: what waits for the worker (not a failure). */
	if (cx_spool_depth(&w->app, &sfiles, &sbytes) == -1)
		spool = "unreadable";
	else if (er == CE_OK)
		cx_spool_rotate(&w->app);	/* the database answers again */
	if (!cx_shmfile_ok(w->app.shf)) {
		dedup = "unavailable";
		if (failing == NULL)
			failing = "dedup";
	}

	if (failing != NULL) {
		resp->status = 503;
		return ce_buf_printf(resp->body, "{\"error\":\"not ready: %s\","
		    "\"code\":\"not_ready\",\"status\":\"not_ready\","
		    "\"failing\":\"%s\",\"checks\":{\"database\":\"%s\","
		    "\"migrations\":\"%s\",\"dedup\":\"%s\"},\"spool\":"
		    "{\"state\":\"%s\",\"files\":%llu,\"bytes\":%llu}}\n",
		    failing, failing, dbstate, migstate, dedup, spool, sfiles,
		    sbytes);
	}
	return ce_buf_printf(resp->body, "{\"status\":\"ready\",\"checks\":"
	    "{\"database\":\"ok\",\"migrations\":\"%s\",\"dedup\":\"ok\"},"
	    "\"spool\":{\"state\":\"%s\",\"files\":%llu,\"bytes\":%llu}}\n",
	    migstate, spool, sfiles, sbytes);
}
