/*
 * h_alerts.c -- GET /api/v1/alerts: the 50 newest alerts the worker
 * raised (app/alert.c, sql/0018), newest first, each with the state of
 * its channels, for the status page's Alerts section.  Their texts are
 * stored with every CPF masked; a webhook URL is never among them.
 */
#include "core/buf.h"
#include "core/cgi.h"
#include "core/err.h"
#include "app/store.h"
#include "web/h_alerts.h"
#include "web/req.h"
#include "web/web.h"

#define ALERTS_SHOWN	50

enum ce_err
cx_h_alerts(struct cx_web *w, const struct cx_request *rq,
    struct ce_resp *resp)
{
	enum ce_err	 er;

	(void)rq;
	if ((er = cx_store_alert_list(w->app.db, ALERTS_SHOWN,
	    resp->body)) != CE_OK)
		return er;
	return ce_buf_puts(resp->body, "\n");
}
