/*
 * h_admin.c -- the operators' actions on one lead, behind an admin key
 * (web/auth.c): POST /api/v1/leads/{id}/retry runs the lead again now,
 * whatever its state and even within DEDUP_TTL; its note is posted only
 * when its text is new (the note ledger).  POST
 * /api/v1/leads/{id}/reprocess also ignores what is stored: the CPFs are
 * looked up again and the dossiers fetched again (paid), and the note
 * begins with a line "🔄 Reprocessado em DD/MM/YYYY HH:MM:SS (execução
 * N)", so that it is a text never posted and is posted.  Both answer the
 * run's summary as GET /api/v1/leads/process does (200, "success" in the
 * body); 404 for a lead the service never recorded, 409 while the lead
 * is being run (its claim held), 503 when the database cannot answer.
 */
#include <string.h>

#include "core/brid.h"
#include "core/cgi.h"
#include "core/err.h"
#include "core/lead.h"
#include "app/pipeline.h"
#include "app/store.h"
#include "web/h_admin.h"
#include "web/h_leads.h"
#include "web/req.h"
#include "web/resp.h"
#include "web/web.h"

#define LEADS_PREFIX	"/api/v1/leads/"

static enum ce_err
action(struct cx_web *w, const struct cx_request *rq, struct ce_resp *resp,
    int flags)
{
	const char	*tail;
	char		 id[64], lid[33];
	size_t		 n;
	int		 found;

	if ((tail = cx_req_tail(rq, LEADS_PREFIX, 128)) == NULL ||
	    (n = strcspn(tail, "/")) >= sizeof(id))
		return cx_fail(resp, CE_EINPUT, NULL,
		    "id must be 32 hex characters");
	memcpy(id, tail, n);
	id[n] = '\0';
	if (!ce_lead_id_norm(id, lid))
		return cx_fail(resp, CE_EINPUT, NULL,
		    "id must be 32 hex characters");
	if (cx_store_lead_known(w->app.db, lid, &found) != CE_OK)
		return CE_EDB;
	if (!found)
		return cx_fail(resp, CE_ENOTFOUND, "lead_unknown",
		    "the service never recorded this lead");
	return cx_h_lead_run(w, lid, resp, 0, flags);
}

enum ce_err
cx_h_lead_retry(struct cx_web *w, const struct cx_request *rq,
    struct ce_resp *resp)
{
	return action(w, rq, resp, CX_RUN_REDO);
}

enum ce_err
cx_h_lead_reprocess(struct cx_web *w, const struct cx_request *rq,
    struct ce_resp *resp)
{
	return action(w, rq, resp, CX_RUN_REDO | CX_RUN_FRESH);
}
