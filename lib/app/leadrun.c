/*
 * leadrun.c -- a lead run under its claim, the layer between claim.c and
 * pipeline.c: claim the lead, run the pipeline unless it is a duplicate,
 * then keep the claims for DEDUP_TTL or release them so that a retry can
 * run at once.  The pipeline knows no claim, and the claim no pipeline.
 */
#include "core/err.h"
#include "core/lead.h"
#include "app/app.h"
#include "app/claim.h"
#include "app/leadrun.h"
#include "app/pipeline.h"

/* Should the claims stay for DEDUP_TTL, or go so that a retry can run? */
static int
keep_claim(const struct cx_run *run)
{
	enum ce_err e = run->ret != CE_OK ? run->ret : run->err;

	return e != CE_EUPSTREAM && e != CE_ETIMEOUT && e != CE_EDB &&
	    e != CE_ESYSTEM && run->note != CX_NOTE_FAILED;
}

/*
 * Claim lead "lid" (normalised: see cx_pipeline()) and run it unless it
 * is a duplicate.  Returns CE_EDB when the claim could not be decided
 * (nothing ran), else CE_OK with cl->dup saying whether it ran.  When it
 * did, cx_pipeline() made "run" and run->ret holds what it returned; the
 * caller calls cx_run_free().  When it did not, "run" is left untouched.
 * A CX_RUN_RETRY or CX_RUN_REDO run takes over a claim done within
 * DEDUP_TTL.
 */
enum ce_err
cx_lead_run(struct cx_app *app, const char *lid, const char *source,
    int flags, struct cx_run *run, struct cx_claim *cl)
{
	cx_sb_step(&app->sb, CX_SB_STEP_DEDUP, lid);
	if (cx_claim_take(&app->claims, lid,
	    (flags & (CX_RUN_RETRY | CX_RUN_REDO)) != 0, cl) != CE_OK)
		return CE_EDB;
	if (cl->dup != CX_DUP_NONE)
		return CE_OK;
	run->ret = cx_pipeline(app, lid, source, flags, run);
	cx_claim_finish(&app->claims, lid, cl, keep_claim(run), run->outcome);
	return CE_OK;
}
