/*
 * ctxfwd.c -- the entries that still take the context, for the callers
 * of lib/ not yet moved into a layer: each forwards to the module of
 * io/ or shared/ on its part of the context (a file of a layer never
 * sees struct ce_ctx).  Each goes when its callers hold the part
 * themselves (docs/LAYERS-PLAN.md steps 17 and 18; the public
 * ce_metrics_* then live in ctx.c).
 */
#include <stdarg.h>

#include "c2s-enrich.h"
#include "extern.h"

/* The context's upstream handle (upstream.c makes it on first use). */
struct cx_http *
cx_http_new(struct ce_ctx *ctx)
{
	return cx_http_open(&ctx->cfg, &ctx->log);
}

/* The context's metrics tables (the public entries, then lib/'s). */
void
ce_metrics_join(struct ce_ctx *ctx)
{
	cx_mtab_join(&ctx->mtab);
}

void
ce_metrics_sample(struct ce_ctx *ctx)
{
	cx_mtab_sample(&ctx->mtab);
}

void
ce_metrics_recycled(struct ce_ctx *ctx)
{
	cx_mtab_recycled(&ctx->mtab);
}

void
cx_metrics_leave(struct ce_ctx *ctx)
{
	cx_mtab_leave(&ctx->mtab);
}

void
cx_metrics_request(struct ce_ctx *ctx, enum ce_route route, int status,
    long long us)
{
	cx_mtab_request(&ctx->mtab, route, status, us);
}

void
cx_metrics_upstream(struct ce_ctx *ctx, enum ce_call_kind k, enum ce_up u,
    long long us)
{
	cx_mtab_upstream(&ctx->mtab, k, u, us);
}

int
cx_metrics_dedup_hits(struct ce_ctx *ctx, uint64_t *file, uint64_t *db)
{
	return cx_mtab_dedup_hits(&ctx->mtab, file, db);
}

void
cx_metrics_lead(struct ce_ctx *ctx, enum cx_outcome o)
{
	cx_mtab_lead(&ctx->mtab, o);
}

void
cx_metrics_spool(struct ce_ctx *ctx, enum cx_spool_ev ev,
    unsigned long long n)
{
	cx_mtab_spool(&ctx->mtab, ev, n);
}

/* Log a formatted message with the context's current request id. */
void
ce_log(struct ce_ctx *ctx, enum ce_loglevel level, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	cx_vlogf(&ctx->log, level, fmt, ap);
	va_end(ap);
}
