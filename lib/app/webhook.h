/*
 * app/webhook.h -- C2S webhook events, below their routes
 * (web/h_webhook.c) (webhook.c): an event read in any of C2S's three
 * shapes, stored with its disposition, an invalid one replayed once it
 * can run, and the spool's replay of a whole request; the event itself
 * is store.h's struct cx_event.
 */
#ifndef CE_APP_WEBHOOK_H
#define CE_APP_WEBHOOK_H

#include <stddef.h>

#include "core/err.h"

struct cx_app;
struct cx_event;
struct json_t;

struct cx_hook_counts {
	unsigned	 received, queued, duplicates, ignored, invalid;
};
void		 cx_webhook_parse(const struct json_t *raw, struct cx_event *);
void		 cx_webhook_count(struct cx_hook_counts *, const char *disp);
enum ce_err	 cx_webhook_ingest(struct cx_app *, const struct json_t *raw,
		    struct cx_event *, char *disp, size_t dispsz) CE_WUR;
enum ce_err	 cx_webhook_replay_one(struct cx_app *, long long id,
		    const char *payload, char *lid, size_t lidsz, char *disp,
		    size_t dispsz, int *ran) CE_WUR;
enum ce_err	 cx_webhook_store(struct cx_app *, const char *body,
		    size_t len) CE_WUR;

#endif /* CE_APP_WEBHOOK_H */
