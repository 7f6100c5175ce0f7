/*
 * ctx.c -- the per-process context: a copy of the configuration, the log
 * sink, process facts, the database handle (connected lazily), the local
 * cache (made here when CACHE_MAX_BYTES > 0), the spool's state (spool.c)
 * and the reused response buffer.  Every per-process resource is reachable
 * from here and released by ce_ctx_free().
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "c2s-enrich.h"
#include "extern.h"

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
 * The shared file's handle, mapped on first use: its tables in their
 * order (the file's layout, SHM_VERSION in shm.c).
 */
static struct cx_shmfile *
shmfile(struct ce_ctx *ctx)
{
	const struct cx_shm_tab tabs[] = {
		{ CX_SHM_DEDUP, (size_t)ctx->cfg.dedup_capacity,
		    cx_dedup_slot_size() },
		{ CX_SHM_METRICS, 1, cx_metrics_size() },
		{ CX_SHM_PROCS, CX_PROCS_MAX, cx_procs_slot_size() },
		{ CX_SHM_BREAKERS, CX_BRK__MAX, cx_breaker_size() },
		{ CX_SHM_SPACING, CX_SPACING_SLOTS, cx_spacing_size() },
		{ CX_SHM_RATE, CX_RATE_SLOTS, cx_rate_size() },
	};

	return cx_shmfile_new(ctx->cfg.dedup_file, tabs,
	    sizeof(tabs) / sizeof(tabs[0]), &ctx->log);
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
	struct cx_pg_gate gate;

	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return NULL;
	ctx->cfg = *cfg;
	ctx->log.fd = 2;
	ctx->log.min = cfg->log_level;
	cx_proc_init(&ctx->proc);
	ce_buf_init(&ctx->out, CX_RESP_CAP);
	ctx->shf = shmfile(ctx);
	cx_brk_init(&ctx->brk, ctx->shf, &ctx->cfg, &ctx->log);
	cx_mtab_init(&ctx->mtab, ctx->shf, &ctx->proc, &ctx->worker);
	if (ctx->shf == NULL)
		goto fail;
	if (cfg->cache_max_bytes > 0 &&
	    (ctx->cache = ce_cache_new((size_t)cfg->cache_max_bytes)) == NULL)
		goto fail;
	cx_memo_init(&ctx->memo, ctx->cache, &ctx->mtab, &ctx->log);
	gate.allow = db_allow;
	gate.report = db_report;
	gate.arg = &ctx->brk;
	if ((ctx->db = cx_store_new(cfg->db_url, cfg->request_deadline_ms,
	    &ctx->log, &gate)) == NULL)
		goto fail;
	owner(ctx->owner, sizeof(ctx->owner));
	cx_claims_init(&ctx->claims, ctx->shf, ctx->db, &ctx->mtab, &ctx->log,
	    &ctx->cfg, ctx->owner);
	return ctx;
fail:
	ce_ctx_free(ctx);
	return NULL;
}

/* Release everything the context holds; NULL is allowed. */
void
ce_ctx_free(struct ce_ctx *ctx)
{
	if (ctx == NULL)
		return;
	cx_spool_rotate(ctx);
	cx_spool_free(ctx->spool);
	cx_db_free(ctx->db);
	cx_http_free(ctx->http);
	cx_metrics_leave(ctx);
	cx_shmfile_free(ctx->shf);
	ce_cache_free(ctx->cache);
	ce_buf_free(&ctx->out);
	cx_proc_close(&ctx->proc);
	free(ctx);
}

const struct ce_config *
ce_ctx_config(const struct ce_ctx *ctx)
{
	return &ctx->cfg;
}

/* Send log lines to "fd" instead of stderr (-1 silences them). */
void
ce_ctx_set_logfd(struct ce_ctx *ctx, int fd)
{
	ctx->log.fd = fd;
}
