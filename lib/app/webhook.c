/*
 * webhook.c -- C2S webhook events, below their routes (h_webhook.c): the
 * lead actions C2S delivers, an event read in any of C2S's three shapes,
 * stored with its disposition (c2s.webhook_ingest(), idempotent on lead
 * id and updated_at; the work it causes is a job for the worker), an
 * invalid event stored before replayed once it can run, and the spool's
 * replay of a whole request (cx_webhook_store()).  The parse is lenient:
 * nulls, missing members and unknown keys are kept as sent.  An event
 * that cannot run (no lead id, no or an unknown hook_action) is stored as
 * invalid with its reason.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/brid.h"
#include "core/err.h"
#include "core/lead.h"
#include "core/log.h"
#include "core/util.h"
#include "app/app.h"
#include "app/store.h"
#include "app/subscribe.h"
#include "app/webhook.h"

/* A string member, or "" (nulls, numbers and missing members alike). */
static const char *
str(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL ? v : "";
}

/* The first of two string members that is set. */
static const char *
str2(const json_t *o, const char *a, const char *b)
{
	const char *v = str(o, a);

	return v[0] != '\0' ? v : str(o, b);
}

/*
 * Read one event in any of C2S's three shapes (DESIGN.md 11.1):
 *   {"id", "hook_action", "attributes"}			(Rust service)
 *   {"hook_action", "lead": {"id", "attributes"}}		(TS service)
 *   {"hook_action", "data": {"type", "id", "attributes"}}	(JSON:API)
 * Leniently: nulls and unknown keys are fine; an event without a usable
 * lead id or hook_action, or with an unknown action, gets an error.  The
 * strings point into "raw".
 */
void
cx_webhook_parse(const json_t *raw, struct cx_event *e)
{
	const json_t	*ev = raw, *attrs, *cust, *msg;
	struct ce_lead	 l;
	char		 phone[16], email[256];
	size_t		 i;

	memset(e, 0, sizeof(*e));
	if (json_is_object(json_object_get(raw, "data")))
		ev = json_object_get(raw, "data");
	else if (json_is_object(json_object_get(raw, "lead")))
		ev = json_object_get(raw, "lead");
	attrs = json_object_get(ev, "attributes");
	if (!json_is_object(attrs))
		attrs = ev;
	if (!ce_lead_id_norm(str2(ev, "id", "lead_id"), e->lid))
		(void)ce_lead_id_norm(str(raw, "lead_id"), e->lid);
	cust = json_object_get(attrs, "customer");
	if (json_is_object(cust)) {
		memset(&l, 0, sizeof(l));
		ce_strlcpy(l.phone, str(cust, "phone"), sizeof(l.phone));
		ce_strlcpy(l.phone2, str(cust, "phone2"), sizeof(l.phone2));
		ce_strlcpy(l.email, str(cust, "email"), sizeof(l.email));
		cx_lead_contacts(&l, phone, email, sizeof(email), e->contacts,
		    sizeof(e->contacts));
	}
	msg = json_object_get(attrs, "message");
	if (json_is_object(msg))
		msg = json_object_get(msg, "body");
	if (!json_is_string(msg))
		msg = json_object_get(attrs, "body");
	e->message = json_is_string(msg) ? json_string_value(msg) : "";
	e->updated_at = str(attrs, "updated_at")[0] != '\0' ?
	    str(attrs, "updated_at") : str(ev, "updated_at");
	e->action = str2(raw, "hook_action", "action")[0] != '\0' ?
	    str2(raw, "hook_action", "action") : str(ev, "hook_action");
	if (e->lid[0] == '\0')
		e->error = "no lead id (a 32-hex id in id, lead.id or data.id)";
	else if (e->action[0] == '\0')
		e->error = "no hook_action";
	else {
		for (i = 0; i < CE_HOOK_ACTIONS; i++)
			if (strcmp(e->action, ce_hook_actions[i]) == 0)
				break;
		if (i == CE_HOOK_ACTIONS)
			e->error = "unknown hook_action (on_create_lead, "
			    "on_update_lead or on_close_lead)";
	}
}

/* Count an event of disposition "d" in "n". */
void
cx_webhook_count(struct cx_hook_counts *n, const char *d)
{
	n->received++;
	if (strcmp(d, "queued") == 0)
		n->queued++;
	else if (strcmp(d, "duplicate") == 0)
		n->duplicates++;
	else if (strcmp(d, "invalid") == 0)
		n->invalid++;
	else
		n->ignored++;
}

/*
 * Store event "raw" and learn its disposition: "e" gets the event as read
 * (its strings point into "raw"), "disp" the disposition.  Returns CE_OK,
 * CE_EDB, or CE_ENOMEM.
 */
enum ce_err
cx_webhook_ingest(struct cx_app *app, const json_t *raw, struct cx_event *e,
    char *disp, size_t dispsz)
{
	char		*payload;
	enum ce_err	 er;

	cx_webhook_parse(raw, e);
	if ((payload = json_dumps(raw, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return CE_ENOMEM;
	er = cx_store_webhook_ingest(app->db, e, payload, disp, dispsz);
	free(payload);
	return er != CE_OK ? CE_EDB : CE_OK;
}

/*
 * Store every event of "body" (one event or an array, as the route takes
 * them) as the route does: for the spool's replay, inside its
 * transaction.  Returns CE_OK, CE_EINPUT (not a JSON event or array),
 * CE_EDB or CE_ENOMEM.
 */
enum ce_err
cx_webhook_store(struct cx_app *app, const char *body, size_t len)
{
	struct cx_hook_counts n;
	struct cx_event	 e;
	json_t		*j;
	char		 disp[24];
	size_t		 i, nev;
	enum ce_err	 er = CE_OK;

	j = json_loadb(body, len, 0, NULL);
	if (j == NULL || !(json_is_object(j) || json_is_array(j))) {
		json_decref(j);
		return CE_EINPUT;
	}
	nev = json_is_array(j) ? json_array_size(j) : 1;
	memset(&n, 0, sizeof(n));
	for (i = 0; i < nev && er == CE_OK; i++)
		if ((er = cx_webhook_ingest(app, json_is_array(j) ?
		    json_array_get(j, i) : j, &e, disp, sizeof(disp))) == CE_OK)
			cx_webhook_count(&n, disp);
	json_decref(j);
	if (er == CE_OK)
		cx_logf(&app->log, CE_LOG_INFO,
		    "webhook (spooled): %u events, %u "
		    "queued, %u duplicates, %u ignored, %u invalid",
		    n.received, n.queued, n.duplicates, n.ignored, n.invalid);
	return er;
}

/*
 * Replay invalid event "id" whose payload is "payload": parsed again, it
 * runs when it now can.  Sets "*ran" to -1 when it still cannot run, 0
 * when someone else replayed it meanwhile, or 1 when it ran: then "lid"
 * has its lead id and "disp" its disposition.  Returns CE_OK, or CE_EDB.
 */
enum ce_err
cx_webhook_replay_one(struct cx_app *app, long long id, const char *payload,
    char *lid, size_t lidsz, char *disp, size_t dispsz, int *ran)
{
	struct cx_event	 e;
	json_t		*raw;
	int		 replayed;

	*ran = -1;
	if ((raw = json_loads(payload, 0, NULL)) == NULL)
		return CE_OK;
	cx_webhook_parse(raw, &e);
	if (e.error != NULL) {
		json_decref(raw);
		return CE_OK;
	}
	if (cx_store_webhook_replay(app->db, id, &e, disp, dispsz,
	    &replayed) != CE_OK) {
		json_decref(raw);
		return CE_EDB;
	}
	/* Not replayed: by someone else meanwhile. */
	*ran = replayed ? 1 : 0;
	ce_strlcpy(lid, e.lid, lidsz);
	json_decref(raw);
	return CE_OK;
}
