/*
 * h_webhook.c -- POST /api/v1/webhooks/c2s: C2S events, one object or an
 * array of at most WEBHOOK_MAX_EVENTS.  Each event is stored before the
 * answer (c2s.webhook_ingest(), idempotent on lead id and updated_at),
 * and the work it causes is a job for the worker: the request never runs
 * the pipeline.  The parse is lenient: nulls, missing members and unknown
 * keys are kept as sent; an event without a usable lead id is recorded as
 * invalid.  When WEBHOOK_SECRET is set, X-Webhook-Secret (or a Bearer
 * token) must carry it: compared in constant time, missing is a 401.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "c2s-enrich.h"
#include "extern.h"

/* Is the request body declared JSON (application/json, any parameters)? */
int
cx_json_ctype(const struct ce_req *req)
{
	const char	*ct = ce_req_param(req, "CONTENT_TYPE");
	size_t		 n = strlen("application/json");

	return ct != NULL && strncasecmp(ct, "application/json", n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/*
 * Check a shared secret: "given" (NULL when the client sent none)
 * against "secret" (empty: no check).  Returns CE_OK, or CE_EAUTH with
 * the error body written.
 */
enum ce_err
cx_secret_check(const struct ce_req *req, const char *secret,
    const char *given, struct ce_resp *resp)
{
	(void)req;
	if (secret[0] == '\0')
		return CE_OK;
	if (given == NULL || given[0] == '\0')
		return cx_resp_error(resp, CE_EAUTH, "missing webhook secret") ==
		    CE_OK ? CE_EAUTH : CE_EAUTH;
	if (!ce_ct_streq(given, secret))
		return cx_resp_error(resp, CE_EAUTH, "wrong webhook secret") ==
		    CE_OK ? CE_EAUTH : CE_EAUTH;
	return CE_OK;
}

/* The secret the client sent: X-Webhook-Secret, else a Bearer token. */
static const char *
given_secret(const struct ce_req *req)
{
	const char	*v;

	if ((v = ce_req_param(req, "HTTP_X_WEBHOOK_SECRET")) != NULL)
		return v;
	if ((v = ce_req_param(req, "HTTP_AUTHORIZATION")) != NULL &&
	    strncasecmp(v, "Bearer ", 7) == 0)
		return v + 7;
	return NULL;
}

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

struct counts {
	unsigned	 received, queued, duplicates, ignored;
};

/*
 * Store one event and learn its disposition.  Returns CE_OK, CE_EDB, or
 * CE_ENOMEM.
 */
static enum ce_err
ingest(struct ce_ctx *ctx, const json_t *raw, struct counts *n,
    struct ce_buf *list)
{
	const json_t	*ev = raw, *attrs, *cust, *msg;
	struct ce_lead	 l;
	PGresult	*res;
	const char	*p[6], *d;
	char		 lid[33] = "", phone[16], email[256], key[300] = "";
	char		*payload;
	enum ce_err	 er;

	/* JSON:API style: {"data": {"id", "attributes"}}. */
	if (json_is_object(json_object_get(ev, "data")))
		ev = json_object_get(ev, "data");
	attrs = json_object_get(ev, "attributes");
	if (!json_is_object(attrs))
		attrs = ev;
	if (!ce_lead_id_norm(str2(ev, "id", "lead_id"), lid) &&
	    !ce_lead_id_norm(str(raw, "lead_id"), lid))
		lid[0] = '\0';
	cust = json_object_get(attrs, "customer");
	if (json_is_object(cust)) {
		memset(&l, 0, sizeof(l));
		ce_strlcpy(l.phone, str(cust, "phone"), sizeof(l.phone));
		ce_strlcpy(l.phone2, str(cust, "phone2"), sizeof(l.phone2));
		ce_strlcpy(l.email, str(cust, "email"), sizeof(l.email));
		cx_lead_contacts(&l, phone, email, sizeof(email), key,
		    sizeof(key));
	}
	msg = json_object_get(attrs, "message");
	if (json_is_object(msg))
		msg = json_object_get(msg, "body");
	if (!json_is_string(msg))
		msg = json_object_get(attrs, "body");
	if ((payload = json_dumps(raw, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return CE_ENOMEM;
	p[0] = lid;
	p[1] = str(attrs, "updated_at")[0] != '\0' ?
	    str(attrs, "updated_at") : str(ev, "updated_at");
	p[2] = str2(raw, "hook_action", "action")[0] != '\0' ?
	    str2(raw, "hook_action", "action") : str(ev, "hook_action");
	p[3] = payload;
	p[4] = key;
	p[5] = json_is_string(msg) ? json_string_value(msg) : "";
	er = cx_db_exec(ctx->db, CX_STMT_WEBHOOK_INGEST, 6, p, &res);
	free(payload);
	if (er != CE_OK)
		return CE_EDB;
	d = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "invalid";
	n->received++;
	if (strcmp(d, "queued") == 0)
		n->queued++;
	else if (strcmp(d, "duplicate") == 0)
		n->duplicates++;
	else
		n->ignored++;
	er = ce_buf_printf(list, "%s{\"lead_id\":%s%s%s,\"disposition\":\"%s\"}",
	    n->received > 1 ? "," : "", lid[0] != '\0' ? "\"" : "",
	    lid[0] != '\0' ? lid : "null", lid[0] != '\0' ? "\"" : "", d);
	PQclear(res);
	return er;
}

enum ce_err
cx_h_webhook_c2s(struct ce_ctx *ctx, const struct ce_req *req,
    struct ce_resp *resp)
{
	struct counts	 n;
	struct ce_buf	 list;
	json_t		*j;
	json_error_t	 jerr;
	size_t		 i, nev;
	enum ce_err	 er;
	char		 msg[96];

	if ((er = cx_secret_check(req, ctx->cfg.webhook_secret,
	    given_secret(req), resp)) != CE_OK)
		return CE_OK;
	if (!cx_json_ctype(req))
		return cx_resp_error(resp, CE_ECTYPE, "the body must be "
		    "application/json") == CE_OK ? CE_OK : CE_ECTYPE;
	/* jansson rejects invalid UTF-8 and \u0000, which jsonb refuses. */
	j = json_loadb(req->body, req->bodylen, 0, &jerr);
	if (j == NULL || !(json_is_object(j) || json_is_array(j))) {
		json_decref(j);
		return cx_resp_error(resp, CE_EINPUT, "the body must be a JSON "
		    "event or an array of events") == CE_OK ? CE_OK : CE_EINPUT;
	}
	nev = json_is_array(j) ? json_array_size(j) : 1;
	if (nev == 0 || nev > (size_t)ctx->cfg.webhook_max_events) {
		json_decref(j);
		if (nev == 0)
			return cx_resp_error(resp, CE_EINPUT, "no event") ==
			    CE_OK ? CE_OK : CE_EINPUT;
		snprintf(msg, sizeof(msg), "more than %lld events in one "
		    "request", ctx->cfg.webhook_max_events);
		return cx_resp_error(resp, CE_E2BIG, msg) == CE_OK ?
		    CE_OK : CE_E2BIG;
	}
	memset(&n, 0, sizeof(n));
	ce_buf_init(&list, CX_RESP_CAP / 2);
	er = CE_OK;
	for (i = 0; i < nev && er == CE_OK; i++)
		er = ingest(ctx, json_is_array(j) ? json_array_get(j, i) : j,
		    &n, &list);
	json_decref(j);
	if (er == CE_OK)
		er = ce_buf_printf(resp->body, "{\"success\":true,"
		    "\"received\":%u,\"queued\":%u,\"duplicates\":%u,"
		    "\"ignored\":%u,\"events\":[%s]}\n", n.received, n.queued,
		    n.duplicates, n.ignored, list.data != NULL ? list.data : "");
	ce_buf_free(&list);
	if (er == CE_EDB)
		ce_log(ctx, CE_LOG_ERROR, "webhook: %u of %zu events stored "
		    "before the database failed", n.received, nev);
	else if (er == CE_OK)
		ce_log(ctx, CE_LOG_INFO, "webhook: %u events, %u queued, %u "
		    "duplicates, %u ignored", n.received, n.queued,
		    n.duplicates, n.ignored);
	return er;
}
