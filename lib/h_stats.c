/*
 * h_stats.c -- GET /api/v1/stats: what the status page shows, leads by
 * outcome and by source, enrichment rates (today, 7 days, all time), the
 * last 7 days by outcome, failed and retryable leads, the upstream calls
 * that reuse saved (dossiers reused, across machines; duplicate leads
 * answered without a run, from this machine's shared file), and recent
 * upstream errors.  One statement, c2s.stats_json() of sql/0006 with the
 * machine's two counts, builds it all.
 */
#include <stdint.h>
#include <stdio.h>

#include "c2s-enrich.h"
#include "extern.h"

enum ce_err
cx_h_stats(struct ce_ctx *ctx, const struct ce_req *req,
    struct ce_resp *resp)
{
	PGresult	*res;
	const char	*p[2] = { NULL, NULL };
	char		 file[24], db[24];
	uint64_t	 nfile, ndb;
	enum ce_err	 er;

	(void)req;
	if (cx_metrics_dedup_hits(ctx, &nfile, &ndb) == 0) {
		snprintf(file, sizeof(file), "%llu", (unsigned long long)nfile);
		snprintf(db, sizeof(db), "%llu", (unsigned long long)ndb);
		p[0] = file;
		p[1] = db;
	}
	if (cx_db_exec(ctx->db, CX_STMT_STATS, 2, p, &res) != CE_OK)
		return CE_EDB;
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
		er = CE_ESYSTEM;
	else if ((er = ce_buf_puts(resp->body, PQgetvalue(res, 0, 0))) ==
	    CE_OK)
		er = ce_buf_puts(resp->body, "\n");
	PQclear(res);
	return er;
}
