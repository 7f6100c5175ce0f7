/*
 * web/h_list.h -- GET /api/v1/leads, the operators' list of leads and
 * its CSV export, streamed (h_list.c).  Behind an admin key.
 */
#ifndef CE_WEB_H_LIST_H
#define CE_WEB_H_LIST_H

#include "core/cgi.h"
#include "core/err.h"

struct cx_request;
struct cx_web;

enum ce_err	 cx_h_leads_list(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);

#endif /* CE_WEB_H_LIST_H */
