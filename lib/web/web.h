/*
 * web/web.h -- the web layer's environment (docs/LAYERS-PLAN.md 2.2.1):
 * what a handler is handed, the application's environment (it hands
 * &w->app down: app/app.h) and what only the web side keeps, the
 * process's facts, the reused response body and the request counters.
 * struct ce_ctx, which holds a cx_web, is ctx.c's own.
 */
#ifndef CE_WEB_WEB_H
#define CE_WEB_WEB_H

#include "core/buf.h"
#include "io/proc.h"
#include "app/app.h"

#define CX_RESP_CAP	(4u * 1024 * 1024)	/* a response body, at most */

struct cx_web {
	struct cx_app	 app;
	struct cx_proc	 proc;
	struct ce_buf	 out;		/* response body, reused */
	unsigned long long served;	/* requests answered */
	unsigned long long reqseq;	/* for generated request ids */
};

#endif /* CE_WEB_WEB_H */
