/*
 * ctxfwd.c -- the entries that still take the context, for the callers
 * of lib/ not yet moved into a layer: each forwards to the module of
 * io/ or shared/ on its part of the context (a file of a layer never
 * sees struct ce_ctx).  Each goes when its callers hold the part
 * themselves (docs/LAYERS-PLAN.md steps 17 and 18; the public
 * ce_metrics_* then live in ctx.c).
 */
#include "c2s-enrich.h"
#include "extern.h"

/* The context's upstream handle (upstream.c makes it on first use). */
struct cx_http *
cx_http_new(struct ce_ctx *ctx)
{
	return cx_http_open(&ctx->cfg, &ctx->log);
}
