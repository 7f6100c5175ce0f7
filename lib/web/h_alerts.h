/*
 * web/h_alerts.h -- GET /api/v1/alerts, the newest alerts for the status
 * page (h_alerts.c).  The handler fills resp->body and returns CE_OK,
 * or an error that cx_handle() turns into a JSON error body.
 */
#ifndef CE_WEB_H_ALERTS_H
#define CE_WEB_H_ALERTS_H

#include "core/cgi.h"
#include "core/err.h"

struct cx_request;
struct cx_web;

enum ce_err	 cx_h_alerts(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);

#endif /* CE_WEB_H_ALERTS_H */
