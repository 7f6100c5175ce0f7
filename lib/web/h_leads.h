/*
 * web/h_leads.h -- the two triggers of the lead pipeline (h_leads.c):
 * GET /api/v1/leads/process?id= and POST /api/v1/c2s/enrich/{id}.
 * Each handler fills resp->body and returns CE_OK, or an error (its code
 * and text chosen with cx_fail()) that cx_handle() turns into a JSON
 * error body.
 */
#ifndef CE_WEB_H_LEADS_H
#define CE_WEB_H_LEADS_H

#include "core/cgi.h"
#include "core/err.h"

struct cx_request;
struct cx_web;

enum ce_err	 cx_h_leads_process(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);
enum ce_err	 cx_h_c2s_enrich(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);
enum ce_err	 cx_h_lead_run(struct cx_web *, const char *id,
		    struct ce_resp *, int real, int flags);

#endif /* CE_WEB_H_LEADS_H */
