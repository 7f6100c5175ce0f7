/*
 * app/app.h -- the application's environment (docs/LAYERS-PLAN.md
 * 2.2.1): what a module of app/ is handed, the handles of the layers
 * below and of its own services.  It holds data and handles, no function
 * of it is called; ctx.c builds it (inside struct cx_web) and frees it.
 */
#ifndef CE_APP_APP_H
#define CE_APP_APP_H

#include "core/config.h"
#include "core/log.h"
#include "shared/breaker.h"
#include "shared/metrics.h"
#include "shared/scoreboard.h"
#include "app/claim.h"
#include "app/memo.h"

struct ce_cache;
struct cx_db;
struct cx_http;
struct cx_shmfile;
struct cx_spool;

struct cx_app {
	struct ce_config cfg;
	struct cx_log	 log;
	struct cx_db	*db;
	struct cx_http	*http;		/* made on first upstream call */
	struct cx_shmfile *shf;		/* DEDUP_FILE, mapped on first use */
	struct cx_breakers brk;		/* its breakers */
	struct cx_mtab	 mtab;		/* its metrics tables */
	struct cx_sb	 sb;		/* its scoreboard slot */
	struct ce_cache	*cache;		/* NULL: CACHE_MAX_BYTES=0 */
	struct cx_memo	 memo;		/* the cache, counted */
	struct cx_claims claims;
	struct cx_spool	*spool;		/* made on first use */
	int		 worker;	/* c2s-enrich --worker */
	char		 owner[96];	/* host:pid, for claims and jobs */
};

#endif /* CE_APP_APP_H */
