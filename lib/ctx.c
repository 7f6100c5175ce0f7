/*
 * ctx.c -- the per-process context, the root of lib/: it builds the
 * layers' environments (struct cx_app, struct cx_web: a copy of the
 * configuration, the log sink, process facts, the database handle
 * (connected lazily), the local cache (made here when CACHE_MAX_BYTES >
 * 0), the spool's state (spool.c) and the reused response buffer) and
 * releases them in ce_ctx_free().  The public entries that take the
 * context forward to the module of their layer (a file of a layer never
 * sees struct ce_ctx).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "c2s-enrich.h"
#include "core/cache.h"
#include "core/log.h"
#include "io/http.h"
#include "io/pg.h"
#include "io/shmfile.h"
#include "shared/breaker.h"
#include "shared/metrics.h"
#include "shared/ratelimit.h"
#include "shared/scoreboard.h"
#include "shared/spacing.h"
#include "app/app.h"
#include "app/spool.h"
#include "app/store.h"
#include "app/backfill.h"
#include "app/subscribe.h"
#include "app/upstream.h"
#include "app/worker.h"
#include "web/h_health.h"
#include "web/h_metrics.h"
#include "web/handle.h"
#include "web/web.h"

struct ce_ctx {
	struct cx_web	 web;
};

/* The database connection's gate: the database breaker. */
static int
db_allow(void *arg)
{
	return cx_brk_allow(arg, CX_BRK_DB);
}

static void
db_report(void *arg, int ok)
{
	cx_brk_result(arg, CX_BRK_DB, ok);
}

/*
 * The shared file's handle for "cfg", mapped on first use: its tables in
 * their order (the file's layout, SHM_VERSION in io/shmfile.c).  The
 * master (lib/master.c) makes its own from this same list, so the file
 * it builds before the first fork is the one its children map.  NULL on
 * allocation failure.
 */
struct cx_shmfile *
cx_ctx_shmfile(const struct ce_config *cfg, struct cx_log *log)
{
	const struct cx_shm_tab tabs[] = {
		{ CX_SHM_DEDUP, (size_t)cfg->dedup_capacity,
		    cx_dedup_slot_size() },
		{ CX_SHM_METRICS, 1, cx_metrics_size() },
		{ CX_SHM_PROCS, CX_PROCS_MAX, cx_procs_slot_size() },
		{ CX_SHM_BREAKERS, CX_BRK__MAX, cx_breaker_size() },
		{ CX_SHM_SPACING, CX_SPACING_SLOTS, cx_spacing_size() },
		{ CX_SHM_RATE, CX_RATE_SLOTS, cx_rate_size() },
		{ CX_SHM_POOL, cx_sb_nrecs(), cx_sb_recsize() },
	};

	return cx_shmfile_new(cfg->dedup_file, tabs,
	    sizeof(tabs) / sizeof(tabs[0]), log);
}

/* "host:pid", made once per process (nothing forks after ce_ctx_new). */
static void
owner(char *buf, size_t bufsz)
{
	char	 host[64];

	if (gethostname(host, sizeof(host)) == -1)
		ce_strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	snprintf(buf, bufsz, "%s:%ld", host, (long)getpid());
}

/*
 * Make a context.  Opens nothing remote: the database is connected on the
 * first request that needs it, after fork.  Returns NULL on allocation
 * failure.
 */
struct ce_ctx *
ce_ctx_new(const struct ce_config *cfg)
{
	struct ce_ctx	*ctx;
	struct cx_web	*w;
	struct cx_app	*app;
	struct cx_pg_gate gate;

	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return NULL;
	w = &ctx->web;
	app = &w->app;
	app->cfg = *cfg;
	app->log.fd = 2;
	app->log.min = cfg->log_level;
	cx_proc_init(&w->proc);
	ce_buf_init(&w->out, CX_RESP_CAP);
	app->shf = cx_ctx_shmfile(&app->cfg, &app->log);
	cx_brk_init(&app->brk, app->shf, &app->cfg, &app->log);
	cx_mtab_init(&app->mtab, app->shf, &w->proc, &app->worker);
	cx_sb_init(&app->sb, app->shf);
	if (app->shf == NULL)
		goto fail;
	if (cfg->cache_max_bytes > 0 &&
	    (app->cache = ce_cache_new((size_t)cfg->cache_max_bytes)) == NULL)
		goto fail;
	cx_memo_init(&app->memo, app->cache, &app->mtab, &app->log);
	gate.allow = db_allow;
	gate.report = db_report;
	gate.arg = &app->brk;
	if ((app->db = cx_store_new(cfg->db_url, cfg->request_deadline_ms,
	    &app->log, &gate)) == NULL)
		goto fail;
	owner(app->owner, sizeof(app->owner));
	cx_claims_init(&app->claims, app->shf, app->db, &app->mtab, &app->log,
	    &app->cfg, app->owner);
	return ctx;
fail:
	ce_ctx_free(ctx);
	return NULL;
}

/* Release everything the context holds; NULL is allowed. */
void
ce_ctx_free(struct ce_ctx *ctx)
{
	struct cx_app	*app;

	if (ctx == NULL)
		return;
	app = &ctx->web.app;
	cx_spool_rotate(app);
	cx_spool_free(app->spool);
	cx_db_free(app->db);
	cx_http_free(app->http);
	cx_mtab_leave(&app->mtab);
	cx_sb_leave(&app->sb);
	cx_shmfile_free(app->shf);
	ce_cache_free(app->cache);
	ce_buf_free(&ctx->web.out);
	cx_proc_close(&ctx->web.proc);
	free(ctx);
}

const struct ce_config *
ce_ctx_config(const struct ce_ctx *ctx)
{
	return &ctx->web.app.cfg;
}

/* Send log lines to "fd" instead of stderr (-1 silences them). */
void
ce_ctx_set_logfd(struct ce_ctx *ctx, int fd)
{
	ctx->web.app.log.fd = fd;
}

/* Log a formatted message with the context's current request id. */
void
ce_log(struct ce_ctx *ctx, enum ce_loglevel level, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	cx_vlogf(&ctx->web.app.log, level, fmt, ap);
	va_end(ap);
}

/* The public entries: each forwards to its layer. */
void
ce_handle(struct ce_ctx *ctx, const struct ce_req *req, struct ce_resp *resp)
{
	cx_handle(&ctx->web, req, resp);
}

/* A responder's start: its process slot, and in plain mode (no
 * ce_pool_attach() before) its scoreboard slot. */
long long
ce_spool_wait_ms(struct ce_ctx *ctx)
{
	return cx_spool_wait_ms(&ctx->web.app);
}

void
ce_spool_idle(struct ce_ctx *ctx)
{
	cx_spool_idle(&ctx->web.app);
}

void
ce_metrics_join(struct ce_ctx *ctx)
{
	cx_mtab_join(&ctx->web.app.mtab);
	(void)cx_sb_claim(&ctx->web.app.sb);
}

void
ce_metrics_recycled(struct ce_ctx *ctx)
{
	cx_mtab_recycled(&ctx->web.app.mtab);
}

int
ce_pool_attach(struct ce_ctx *ctx, int slot, unsigned generation, int efd)
{
	return cx_sb_attach(&ctx->web.app.sb, slot, generation, efd);
}

void
ce_pool_exiting(struct ce_ctx *ctx, int recycled)
{
	cx_sb_exiting(&ctx->web.app.sb, recycled > 0 ? CX_SB_WHY_RECYCLED :
	    recycled < 0 ? CX_SB_WHY_ACCEPT_FAILED : CX_SB_WHY_SIGNAL);
}

void
ce_metrics_secs(char *buf, size_t sz, uint64_t us)
{
	cx_metrics_secs(buf, sz, us);
}

int
ce_schema_version(void)
{
	return cx_schema_needed();
}

void
ce_upstream_run(struct ce_ctx *ctx, struct ce_call *calls, size_t n,
    long long deadline_us)
{
	cx_upstream_run(&ctx->web.app, calls, n, deadline_us);
}

enum ce_up
ce_upstream_one(struct ce_ctx *ctx, struct ce_call *c, long long deadline_us)
{
	return cx_upstream_one(&ctx->web.app, c, deadline_us);
}

enum ce_up
ce_upstream_parse(struct ce_ctx *ctx, struct ce_call *c, long status,
    const char *body, size_t len)
{
	return cx_upstream_parse(&ctx->web.app, c, status, body, len);
}

long long
ce_deadline(const struct ce_ctx *ctx)
{
	return cx_deadline(&ctx->web.app);
}

int
ce_worker_run(struct ce_ctx *ctx, int (*stopping)(void))
{
	return cx_worker_run(&ctx->web.app, stopping);
}

enum ce_backfill_end
ce_backfill_run(struct ce_ctx *ctx, const struct ce_backfill_opts *o,
    char *err, size_t errsz)
{
	return cx_backfill_run(&ctx->web.app, o, err, errsz);
}

int
ce_subscribe(struct ce_ctx *ctx, int unsubscribe,
    struct ce_hook_result out[CE_HOOK_ACTIONS], char *url, size_t urlsz,
    char *err, size_t errsz)
{
	return cx_subscribe(&ctx->web.app, unsubscribe, out, url, urlsz, err,
	    errsz);
}
