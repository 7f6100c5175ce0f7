/*
 * web/h_webhook.h -- C2S webhooks (h_webhook.c): POST
 * /api/v1/webhooks/c2s, each event stored before the answer
 * (app/webhook.c), and POST /api/v1/webhooks/c2s/replay.
 * Each handler fills resp->body and returns CE_OK, or an error (its code
 * and text chosen with cx_fail()) that cx_handle() turns into a JSON
 * error body.
 */
#ifndef CE_WEB_H_WEBHOOK_H
#define CE_WEB_H_WEBHOOK_H

#include "core/cgi.h"
#include "core/err.h"

struct cx_request;
struct cx_web;

enum ce_err	 cx_h_webhook_c2s(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);
enum ce_err	 cx_h_webhook_replay(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);

#endif /* CE_WEB_H_WEBHOOK_H */
