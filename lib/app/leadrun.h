/*
 * app/leadrun.h -- a lead run under its claim (leadrun.c), the layer
 * between claim.c and pipeline.c: claim the lead, run the pipeline unless
 * it is a duplicate, then keep the claims for DEDUP_TTL or release them
 * so that a retry can run at once.
 */
#ifndef CE_APP_LEADRUN_H
#define CE_APP_LEADRUN_H

#include "core/err.h"

struct cx_app;
struct cx_claim;
struct cx_run;

enum ce_err	 cx_lead_run(struct cx_app *, const char *lid,
		    const char *source, int flags, struct cx_run *,
		    struct cx_claim *) CE_WUR;

#endif /* CE_APP_LEADRUN_H */
