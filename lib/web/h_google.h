/*
 * web/h_google.h -- POST /api/v1/webhooks/google-ads (h_google.c): a form
 * checked, recorded with its job (app/google.c), or spooled.
 * Each handler fills resp->body and returns CE_OK, or an error (its code
 * and text chosen with cx_fail()) that cx_handle() turns into a JSON
 * error body.
 */
#ifndef CE_WEB_H_GOOGLE_H
#define CE_WEB_H_GOOGLE_H

#include "core/cgi.h"
#include "core/err.h"

struct cx_request;
struct cx_web;

enum ce_err	 cx_h_webhook_google(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);

#endif /* CE_WEB_H_GOOGLE_H */
