/*
 * h_leads.c -- the two triggers of the lead pipeline.  GET
 * /api/v1/leads/process?id= answers HTTP 200 with "success" whatever the
 * pipeline met (Make.com scenarios branch on the body, as with the Rust
 * service); POST /api/v1/c2s/enrich/{id} answers the same body with the
 * status the outcome deserves (404 no CPF, 422 no valid contact, 502
 * upstream, 503 database, 504 deadline).  Only a malformed id is a 400 on
 * both.  A lead the database could not record goes to the spool: 202.
 */
#include <stdio.h>
#include <string.h>

#include "core/brid.h"
#include "core/buf.h"
#include "core/cgi.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/lead.h"
#include "core/query.h"
#include "app/claim.h"
#include "app/leadrun.h"
#include "app/pipeline.h"
#include "app/spool.h"
#include "web/h_leads.h"
#include "web/req.h"
#include "web/resp.h"
#include "web/web.h"

#define ENRICH_PREFIX	"/api/v1/c2s/enrich/"

static const char *
message(const struct cx_run *run, enum ce_err er)
{
	if (er != CE_OK)
		return run->error[0] != '\0' ? run->error : ce_strerror(er);
	switch (run->outcome) {
	case CX_OUT_COMPLETED:
		return "lead enriched";
	case CX_OUT_PARTIAL:
		return "CPF found; the data provider is unavailable, the lead "
		    "will be retried";
	case CX_OUT_BASIC:
		return "CPF found; the data provider has no data for it";
	case CX_OUT_UNENRICHED:
		return run->err == CE_ENOTFOUND ?
		    "no CPF found for the lead's phone or e-mail" :
		    "CPF lookups failed; the lead will be retried";
	case CX_OUT_INVALID:
		return "the lead has no valid phone or e-mail";
	default:
		return "lead processed";
	}
}

/* The error code of the body, specific where the enum's is vague. */
static const char *
code_of(const struct cx_run *run, enum ce_err er)
{
	if (er == CE_ENOTFOUND)
		return strncmp(run->error, "c2s:", 4) == 0 ?
		    "lead_not_found" : "no_cpf_found";
	if (er == CE_EUNPROC)
		return "invalid_contact";
	return ce_err_code(er);
}

static const char *const notenames[] = {
	[CX_NOTE_NONE] = "none",
	[CX_NOTE_POSTED] = "posted",
	[CX_NOTE_ALREADY] = "already_posted",
	[CX_NOTE_FAILED] = "failed",
	[CX_NOTE_SKIPPED] = "skipped",
};

/*
 * The summary of a run.  "er" is what the caller should hear (CE_OK or an
 * error); it adds "error" and "code" members.
 */
static enum ce_err
summary(struct ce_buf *b, const struct cx_run *run, enum ce_err er,
    int success)
{
	const char	*msg = message(run, er);
	size_t		 i;
	enum ce_err	 e;

	if ((e = ce_buf_printf(b, "{\"success\":%s,\"message\":",
	    success ? "true" : "false")) != CE_OK ||
	    (e = ce_buf_json_str(b, msg, strlen(msg))) != CE_OK ||
	    (e = ce_buf_printf(b, ",\"lead_id\":\"%s\",\"status\":\"%s\","
	    "\"cpfs_processed\":[", run->lead_id,
	    cx_outcome_name(run->outcome))) != CE_OK)
		return e;
	for (i = 0; i < run->npersons; i++)
		if ((e = ce_buf_printf(b, "%s\"%s\"", i > 0 ? "," : "",
		    run->persons[i].cpf)) != CE_OK)
			return e;
	if ((e = ce_buf_printf(b, "],\"entities_stored\":%lld,"
	    "\"dossiers_reused\":%d,\"dossiers_fetched\":%d,"
	    "\"name_mismatch\":%s,\"note\":\"%s\",\"attempts\":%d,"
	    "\"duplicate_request\":false,\"elapsed_ms\":%lld", run->stored,
	    run->dossiers_reused, run->dossiers_fetched,
	    run->name_mismatch ? "true" : "false", notenames[run->note],
	    run->attempts, (cx_now_us() - run->started_us) / 1000)) != CE_OK)
		return e;
	/* Why no note (a placeholder name); whose pointer the note is. */
	if (run->note == CX_NOTE_SKIPPED && run->note_reason[0] != '\0' &&
	    ((e = ce_buf_puts(b, ",\"note_reason\":")) != CE_OK ||
	    (e = ce_buf_json_str(b, run->note_reason,
	    strlen(run->note_reason))) != CE_OK))
		return e;
	if (run->same_lead[0] != '\0' && (e = ce_buf_printf(b,
	    ",\"repeat_of\":\"%s\"", run->same_lead)) != CE_OK)
		return e;
	if (er != CE_OK) {
		if ((e = ce_buf_puts(b, ",\"error\":")) != CE_OK ||
		    (e = ce_buf_json_str(b, msg, strlen(msg))) != CE_OK ||
		    (e = ce_buf_printf(b, ",\"code\":\"%s\"",
		    code_of(run, er))) != CE_OK)
			return e;
	}
	return ce_buf_puts(b, "}\n");
}

/* What a finished run means for a caller that wants real statuses. */
static enum ce_err
run_error(const struct cx_run *run, enum ce_err er)
{
	if (er != CE_OK)
		return er;
	if (run->note == CX_NOTE_FAILED)
		return run->err != CE_OK ? run->err : CE_EUPSTREAM;
	switch (run->outcome) {
	case CX_OUT_COMPLETED:
	case CX_OUT_BASIC:
		return CE_OK;
	default:
		return run->err != CE_OK ? run->err : CE_ESYSTEM;
	}
}

/*
 * The answer to a lead already running, or done within DEDUP_TTL: no
 * database or upstream call was made for it.
 */
static enum ce_err
duplicate(struct ce_buf *b, const char *id, const struct cx_claim *cl)
{
	return ce_buf_printf(b, "{\"success\":true,\"message\":\"%s\","
	    "\"lead_id\":\"%s\",\"status\":\"%s\",\"duplicate_request\":true,"
	    "\"dedup\":\"%s\"}\n", cl->dup == CX_DUP_INFLIGHT ?
	    "lead already being processed" :
	    "lead processed recently; not run again", id,
	    cl->dup == CX_DUP_INFLIGHT ? "processing" :
	    cl->outcome[0] != '\0' ? cl->outcome : "done", cl->by);
}

static enum ce_err
bad_id(struct ce_resp *resp)
{
	return cx_fail(resp, CE_EINPUT, NULL, "id must be 32 hex characters");
}

/*
 * PostgreSQL could not take lead "lid": to the spool, answered 202 (or
 * 503 spool_unavailable), never a 200 without a record (DESIGN.md 11.2).
 */
static enum ce_err
spool(struct cx_web *w, const char *lid, struct ce_resp *resp, int real)
{
	char	 extra[96];

	snprintf(extra, sizeof(extra), "\"lead_id\":\"%s\","
	    "\"duplicate_request\":false", lid);
	return cx_resp_spooled(resp, cx_spool_put(&w->app,
	    real ? "enrich" : "lead", lid, NULL, 0), w->app.log.reqid, extra);
}

/*
 * Claim, run and answer lead "id" (any case; 400 if it is not an id).  "real" selects
 * the status codes of /c2s/enrich; else every run is a 200.  "flags"
 * (CX_RUN_*) not 0: an operator's retry or reprocess (h_admin.c), which
 * is never spooled (503), answers a database error met during the run
 * with a 503 too, and a lead in flight with a 409.
 */
enum ce_err
cx_h_lead_run(struct cx_web *w, const char *id, struct ce_resp *resp,
    int real, int flags)
{
	struct cx_run	 run;
	struct cx_claim	 cl;
	char		 lid[33];
	enum ce_err	 er, e, status;

	if (!ce_lead_id_norm(id, lid))
		return bad_id(resp);
	if (cx_lead_run(&w->app, lid, "api", flags, &run, &cl) != CE_OK)
		return flags != 0 ? CE_EDB : spool(w, lid, resp, real);
	if (cl.dup == CX_DUP_INFLIGHT && flags != 0)
		return cx_fail(resp, CE_ECONFLICT, "lead_processing",
		    "the lead is being processed now; try again once it is "
		    "done");
	if (cl.dup != CX_DUP_NONE)
		return duplicate(resp->body, lid, &cl);
	er = run.ret;
	if (er == CE_EDB && run.attempts == 0) {
		/* The lead could not be recorded: nothing was. */
		cx_run_free(&run);
		return flags != 0 ? CE_EDB : spool(w, lid, resp, real);
	}
	if (er == CE_EDB && flags != 0) {
		/* An operator's action: 503, as h_admin.c promises. */
		cx_run_free(&run);
		return CE_EDB;
	}
	if (real) {
		status = run_error(&run, er);
		e = summary(resp->body, &run, status, status == CE_OK);
		resp->status = ce_err_status(status);
	} else
		e = summary(resp->body, &run, er,
		    er == CE_OK && run.outcome != CX_OUT_FAILED);
	cx_run_free(&run);
	return e;
}

enum ce_err
cx_h_leads_process(struct cx_web *w, const struct cx_request *rq,
    struct ce_resp *resp)
{
	char		 id[64];

	switch (ce_query_get(rq->query, "id", id, sizeof(id))) {
	case 1:
		break;
	case 0:
		return cx_fail(resp, CE_EINPUT, NULL, "missing query "
		    "parameter id (the C2S lead id)");
	default:
		return cx_fail(resp, CE_EINPUT, NULL, "malformed query "
		    "string");
	}
	return cx_h_lead_run(w, id, resp, 0, 0);
}

enum ce_err
cx_h_c2s_enrich(struct cx_web *w, const struct cx_request *rq,
    struct ce_resp *resp)
{
	const char	*id;

	if ((id = cx_req_tail(rq, ENRICH_PREFIX, 64)) == NULL)
		return bad_id(resp);
	return cx_h_lead_run(w, id, resp, 1, 0);
}
