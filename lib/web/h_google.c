/*
 * h_google.c -- Google Ads lead forms.  POST /api/v1/webhooks/google-ads
 * (and the TS service's /webhook/google-ads) checks the key
 * (GOOGLE_ADS_WEBHOOK_KEY, from ?google_key= or the body's google_key, in
 * constant time), records the form once per form lead id with a job
 * (google.c, whose job the worker runs), and answers at once: the form's
 * state, whether it was seen before, and its C2S lead id once made.  The
 * key is not kept with the form.  A form the database cannot record goes
 * to the spool (spool.c): 202, replayed through cx_google_store().
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/cgi.h"
#include "core/config.h"
#include "core/err.h"
#include "core/query.h"
#include "app/google.h"
#include "app/spool.h"
#include "app/store.h"
#include "web/auth.h"
#include "web/h_google.h"
#include "web/req.h"
#include "web/resp.h"
#include "web/web.h"

/*
 * The route is configured and the key in ?google_key=, if there, is
 * right.  Returns CE_OK with "*in_body" set when the key must come in the
 * body instead; otherwise the error, recorded in "resp".
 */
static enum ce_err
google_key(struct cx_web *w, const struct cx_request *rq,
    struct ce_resp *resp, int *in_body)
{
	const char	*why;
	char		 key[CE_SECRET_MAX + 1];
	int		 rc;

	if (w->app.cfg.google_ads_key[0] == '\0')
		return cx_fail(resp, CE_EUNAVAIL, NULL, "the Google Ads "
		    "webhook is not configured (GOOGLE_ADS_WEBHOOK_KEY)");
	rc = ce_query_get(rq->query, "google_key", key, sizeof(key));
	if (rc == -1)
		return cx_fail(resp, CE_EAUTH, NULL, "malformed google_key");
	if (rc == 1 &&
	    cx_secret_check(w->app.cfg.google_ads_key, key, &why) != CE_OK)
		return cx_fail(resp, CE_EAUTH, NULL, why);
	*in_body = rc == 0;
	return CE_OK;
}

/*
 * The body as a JSON object in "*j" (the caller decrefs it).  Returns
 * CE_OK, or the error, recorded in "resp".
 */
static enum ce_err
form_body(const struct cx_request *rq, struct ce_resp *resp, json_t **j)
{
	if (!rq->json)
		return cx_fail(resp, CE_ECTYPE, NULL, "the body must be "
		    "application/json");
	*j = json_loadb(rq->req->body, rq->req->bodylen, 0, NULL);
	if (*j == NULL ||
	    !json_is_object(*j)) {
		json_decref(*j);
		*j = NULL;
		return cx_fail(resp, CE_EINPUT, NULL, "the body must be a "
		    "Google Ads lead form (JSON object)");
	}
	return CE_OK;
}

/* The key in the body's google_key is right: CE_OK, or CE_EAUTH. */
static enum ce_err
body_key_check(struct cx_web *w, const json_t *j, struct ce_resp *resp)
{
	const char	*given, *why;

	given = json_string_value(json_object_get(j, "google_key"));
	if (cx_secret_check(w->app.cfg.google_ads_key, given, &why) != CE_OK)
		return cx_fail(resp, CE_EAUTH, NULL, why);
	return CE_OK;
}

/*
 * Read form "j" into "f", and its JSON without the key into "*payload"
 * (the caller frees it).  Returns CE_OK, CE_EINPUT (recorded in "resp")
 * or CE_ENOMEM.
 */
static enum ce_err
form_take(json_t *j, struct cx_form *f, char **payload,
    struct ce_resp *resp)
{
	if (cx_google_parse(j, f) != CE_OK)
		return cx_fail(resp, CE_EINPUT, NULL, "lead_id must be a "
		    "string of 1 to 200 printable characters");
	/* The key is not kept with the form. */
	json_object_del(j, "google_key");
	if ((*payload = json_dumps(j, JSON_COMPACT)) == NULL)
		return CE_ENOMEM;
	return CE_OK;
}

/* The database could not record form "f": to the spool, 202 (or 503). */
static enum ce_err
spool(struct cx_web *w, const struct cx_form *f, const char *payload,
    struct ce_resp *resp)
{
	struct ce_buf	 extra;
	enum ce_err	 er;

	ce_buf_init(&extra, 1024);
	if ((er = ce_buf_puts(&extra, "\"form_lead_id\":")) == CE_OK &&
	    (er = ce_buf_json_str(&extra, f->id, strlen(f->id))) == CE_OK &&
	    (er = ce_buf_printf(&extra, ",\"test\":%s", f->is_test ? "true" :
	    "false")) == CE_OK)
		er = cx_resp_spooled(resp, cx_spool_put(&w->app, "google",
		    NULL, payload, strlen(payload)), w->app.log.reqid,
		    extra.data);
	ce_buf_free(&extra);
	return er;
}

/* The answer for form "f", recorded as "rec" says. */
static enum ce_err
form_answer(struct ce_resp *resp, const struct cx_form *f,
    const struct cx_form_rec *rec)
{
	enum ce_err	 er;

	if ((er = ce_buf_puts(resp->body, "{\"success\":true,"
	    "\"form_lead_id\":")) == CE_OK &&
	    (er = ce_buf_json_str(resp->body, f->id, strlen(f->id))) == CE_OK)
		er = ce_buf_printf(resp->body, ",\"duplicate\":%s,"
		    "\"state\":\"%s\",\"test\":%s,\"c2s_lead_id\":%s%s%s}\n",
		    rec->isnew ? "false" : "true", rec->state,
		    rec->test ? "true" : "false",
		    rec->c2s_id[0] != '\0' ? "\"" : "",
		    rec->c2s_id[0] != '\0' ? rec->c2s_id : "null",
		    rec->c2s_id[0] != '\0' ? "\"" : "");
	return er;
}

enum ce_err
cx_h_webhook_google(struct cx_web *w, const struct cx_request *rq,
    struct ce_resp *resp)
{
	struct cx_form	 f;
	struct cx_form_rec rec;
	char		*payload = NULL;
	json_t		*j = NULL;
	enum ce_err	 er;
	int		 in_body = 0;

	if ((er = google_key(w, rq, resp, &in_body)) != CE_OK ||
	    (er = form_body(rq, resp, &j)) != CE_OK)
		return er;
	if ((in_body && (er = body_key_check(w, j, resp)) != CE_OK) ||
	    (er = form_take(j, &f, &payload, resp)) != CE_OK) {
		json_decref(j);
		return er;
	}
	json_decref(j);
	if ((er = cx_google_take(&w->app, &f, payload, &rec)) == CE_EDB)
		/* Nothing recorded: to the spool (the key left out). */
		er = spool(w, &f, payload, resp);
	else if (er == CE_OK)
		er = form_answer(resp, &f, &rec);
	free(payload);
	return er;
}
