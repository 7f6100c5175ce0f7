/*
 * extern.h -- internals shared between the files of lib/.  Not for fcgi/
 * or atf-tests/, which see only c2s-enrich.h.  Cross-file helpers carry the
 * "cx_" prefix; everything else in lib/ is static to its file.
 */
#ifndef C2S_ENRICH_EXTERN_H
#define C2S_ENRICH_EXTERN_H

#include <sys/types.h>

#include <signal.h>
#include <time.h>

#include "c2s-enrich.h"
#include "core/clock.h"
#include "core/lead.h"
#include "core/log.h"
#include "core/spoolrec.h"
#include "core/util.h"
#include "io/http.h"
#include "io/pg.h"
#include "io/proc.h"
#include "io/spooldir.h"
#include "shared/breaker.h"
#include "shared/metrics.h"
#include "shared/ratelimit.h"
#include "shared/spacing.h"
#include "app/app.h"
#include "app/callkind.h"
#include "app/claim.h"
#include "app/google.h"
#include "app/leadrun.h"
#include "app/memo.h"
#include "app/pace.h"
#include "app/pipeline.h"
#include "app/spool.h"
#include "app/store.h"
#include "app/subscribe.h"
#include "app/upstream.h"
#include "app/webhook.h"
#include "app/worker.h"

/* Highest migration number in sql/, set by the build. */
#ifndef CE_SCHEMA_VERSION
#define CE_SCHEMA_VERSION 1
#endif

#define CX_RESP_CAP	(4u * 1024 * 1024)

/* What a web handler is handed (it hands &w->app down: app/app.h).
 * struct ce_ctx, which holds a cx_web, is ctx.c's own. */
struct cx_web {
	struct cx_app	 app;
	struct cx_proc	 proc;
	struct ce_buf	 out;		/* response body, reused */
	unsigned long long served;	/* requests answered */
	unsigned long long reqseq;	/* for generated request ids */
};

/* The entries ctx.c forwards to (c2s-enrich.h's ce_ names). */
void		 cx_handle(struct cx_web *, const struct ce_req *,
		    struct ce_resp *);

/* auth.c: API keys on the business routes, webhook secrets; codes only. */
enum ce_err	 cx_auth_check(struct cx_web *, const struct ce_req *,
		    enum ce_route, const char **msg);
enum ce_err	 cx_secret_check(const char *secret, const char *given,
		    const char **msg);

/* h_metrics.c: GET /metrics, the counters in the Prometheus text format. */
struct cx_request;
enum ce_err	 cx_h_metrics(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);

/* handlers: h_*.c.  Each fills resp->body and returns CE_OK, or an
 * error (its code and text chosen with cx_fail()) that ce_handle() turns
 * into a JSON error body. */
enum ce_err	 cx_h_health(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);
enum ce_err	 cx_h_ready(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);
enum ce_err	 cx_h_leads_process(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);
enum ce_err	 cx_h_c2s_enrich(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);

/* h_customer.c: stored persons; h_work.c: the Work API proxy;
 * h_stats.c: the figures of the status page. */
enum ce_err	 cx_h_customer_lookup(struct cx_web *,
		    const struct cx_request *, struct ce_resp *);
enum ce_err	 cx_h_enrich(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);
enum ce_err	 cx_h_customer(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);
enum ce_err	 cx_h_work_module(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);
enum ce_err	 cx_h_stats(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);

/* h_google.c: POST /api/v1/webhooks/google-ads. */
enum ce_err	 cx_h_webhook_google(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);

/* h_webhook.c: C2S webhook events. */
enum ce_err	 cx_h_webhook_c2s(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);
enum ce_err	 cx_h_webhook_replay(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);

/* req.c: a request parsed once by ce_handle(), read by the handlers. */
#define CX_PATH_MAX	1024	/* bytes of path, query not counted */
#define CX_QUERY_MAX	4096	/* bytes of query after the '?' */
struct cx_request {
	const struct ce_req	*req;		/* body, headers */
	char			 path[CX_PATH_MAX + 1]; /* no query */
	size_t			 pathlen;
	const char		*query;		/* after '?', or NULL */
	const char		*addr;		/* REMOTE_ADDR, or NULL */
	int			 json;		/* body declared JSON */
	enum ce_route		 route;
	unsigned		 allowed;	/* methods, on CE_EMETHOD */
};
enum ce_err	 cx_req_parse(struct cx_request *, const struct ce_req *);
const char	*cx_req_tail(const struct cx_request *, const char *prefix,
		    size_t);

/* resp.c: header lines; an error's code and text, chosen by a handler
 * (cx_fail) and written by ce_handle() (cx_resp_errorc). */
enum ce_err	 cx_resp_errorc(struct ce_resp *, enum ce_err,
		    const char *code, const char *msg);
enum ce_err	 cx_fail(struct ce_resp *, enum ce_err, const char *code,
		    const char *msg);
enum ce_err	 cx_resp_header(struct ce_resp *, const char *name,
		    const char *value);
enum ce_err	 cx_resp_spooled(struct ce_resp *, enum ce_err,
		    const char *reqid, const char *extra);

#endif /* C2S_ENRICH_EXTERN_H */
