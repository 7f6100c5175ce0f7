/*
 * h_stats.c -- GET /api/v1/stats: what the status page shows, leads by
 * outcome and by source, enrichment rates (today, 7 days, all time), the
 * last 7 days by outcome, failed and retryable leads, the upstream calls
 * that reuse saved (dossiers reused, across machines; duplicate leads
 * answered without a run, from this machine's shared file), and recent
 * upstream errors, and the hit rate of each CPF discovery tier (tiers).
 * One statement, c2s.stats_json() (sql/0006, bounded by 0012, tiers
 * added by 0014) with the machine's two counts, builds it all.
 */
#include <stdint.h>

#include "core/buf.h"
#include "core/cgi.h"
#include "core/err.h"
#include "shared/metrics.h"
#include "app/store.h"
#include "web/h_stats.h"
#include "web/req.h"
#include "web/web.h"

enum ce_err
cx_h_stats(struct cx_web *w, const struct cx_request *rq,
    struct ce_resp *resp)
{
	uint64_t	 nfile, ndb;
	int		 have;
	enum ce_err	 er;

	(void)rq;
	have = cx_mtab_dedup_hits(&w->app.mtab, &nfile, &ndb) == 0;
	if ((er = cx_store_stats(w->app.db, have ? &nfile : NULL,
	    have ? &ndb : NULL, resp->body)) != CE_OK)
		return er;
	return ce_buf_puts(resp->body, "\n");
}
