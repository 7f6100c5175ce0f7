/*
 * web/h_admin.h -- the operators' actions on one lead (h_admin.c): POST
 * /api/v1/leads/{id}/retry and /reprocess.  Behind an admin key.
 */
#ifndef CE_WEB_H_ADMIN_H
#define CE_WEB_H_ADMIN_H

#include "core/cgi.h"
#include "core/err.h"

struct cx_request;
struct cx_web;

enum ce_err	 cx_h_lead_retry(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);
enum ce_err	 cx_h_lead_reprocess(struct cx_web *,
		    const struct cx_request *, struct ce_resp *);

#endif /* CE_WEB_H_ADMIN_H */
