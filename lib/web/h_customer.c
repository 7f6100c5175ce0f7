/*
 * h_customer.c -- stored persons, as the read side of the API shows them.
 * GET /api/v1/contributor/customer?cpf=|email=|phone=|name= and POST
 * /api/v1/enrich (the same identifiers in a JSON body, which keeps CPFs
 * out of access logs) find persons by one identifier, by precedence CPF,
 * e-mail, phone, name; GET /api/v1/customers/{uuid} shows one.  The
 * person's JSON is the document kept at write time (c2s.customer_docs,
 * sql/0021), read in the same round trip as the lookup; c2s.customer_json()
 * builds it for a person no document covers.  A CPF not stored is fetched
 * from the Work API and stored when ENRICH_ON_MISS=1; nothing else here
 * ever pays.
 */
#include <string.h>

#include <jansson.h>

#include "core/brid.h"
#include "core/buf.h"
#include "core/cgi.h"
#include "core/err.h"
#include "core/log.h"
#include "core/name.h"
#include "core/query.h"
#include "core/util.h"
#include "app/pipeline.h"
#include "app/store.h"
#include "web/h_customer.h"
#include "web/req.h"
#include "web/resp.h"
#include "web/web.h"

#define LIMIT_DEFAULT	20
#define LIMIT_MAX	50
#define OFFSET_MAX	10000
#define NAME_MIN	2	/* folded characters of a name prefix */

static const char *const bynames[CX_CUST__MAX] = {
	"cpf", "email", "phone", "name"
};

/* What a lookup asks for, as the client gave it, then normalised. */
struct lookup {
	int		 given[CX_CUST__MAX];
	char		 raw[CX_CUST__MAX][256];
	enum cx_cust_by	 by;
	char		 value[256];	/* normalised; a name folded */
	long long	 limit, offset;
};

/*
 * Choose the identifier by precedence and normalise it.  Returns CE_OK,
 * or CE_EINPUT with the error body written.
 */
static enum ce_err
lookup_check(struct lookup *lk, struct ce_resp *resp)
{
	int	 b;

	for (b = 0; b < CX_CUST__MAX; b++)
		if (lk->given[b] && lk->raw[b][0] != '\0')
			break;
	if (b == CX_CUST__MAX)
		return cx_fail(resp, CE_EINPUT, "missing_identifier",
		    "give one of cpf, email, phone or name");
	lk->by = (enum cx_cust_by)b;
	switch (lk->by) {
	case CX_CUST_CPF:
		if (ce_cpf_normalize(lk->raw[b], lk->value) != 0)
			return cx_fail(resp, CE_EINPUT, "invalid_cpf",
			    "cpf must be 11 digits with valid check digits");
		break;
	case CX_CUST_EMAIL:
		if (ce_email_normalize(lk->raw[b], lk->value,
		    sizeof(lk->value)) != 0)
			return cx_fail(resp, CE_EINPUT, "invalid_email",
			    "email is not a valid address");
		break;
	case CX_CUST_PHONE:
		if (ce_phone_normalize(lk->raw[b], lk->value) != 0)
			return cx_fail(resp, CE_EINPUT, "invalid_phone",
			    "phone is not a valid Brazilian number");
		break;
	default:
		ce_name_fold(lk->raw[b], lk->value, sizeof(lk->value));
		if (strlen(lk->value) < NAME_MIN)
			return cx_fail(resp, CE_EINPUT, "invalid_name",
			    "name "
			    "must start with at least 2 letters or digits");
		break;
	}
	if (lk->limit < 1 || lk->limit > LIMIT_MAX || lk->offset < 0 ||
	    lk->offset > OFFSET_MAX)
		return cx_fail(resp, CE_EINPUT, "bad_request",
		    "limit must be 1 to 50 and offset 0 to 10000");
	return CE_OK;
}

/*
 * Write the answer: {"by","source","count","limit","offset",
 * "next_offset","customers":[...]}, from "docs", customer JSON (one more
 * than the limit means there is a next page).  NULL entries (a person
 * gone since) are skipped.  Returns CE_OK, or CE_ENOTFOUND when there is
 * no row to show, or a buffer error.
 */
static enum ce_err
answer(struct ce_buf *b, const struct lookup *lk, const char *source,
    const struct cx_strs *docs)
{
	size_t		 i, n = docs->n;
	int		 shown = 0, more = 0;
	enum ce_err	 er;

	if (n > (size_t)lk->limit) {
		more = 1;
		n = (size_t)lk->limit;
	}
	for (i = 0; i < n; i++)
		if (docs->v[i] != NULL)
			shown++;
	if (shown == 0)
		return CE_ENOTFOUND;
	if ((er = ce_buf_printf(b, "{\"by\":\"%s\",\"source\":\"%s\","
	    "\"count\":%d,\"limit\":%lld,\"offset\":%lld,\"next_offset\":",
	    bynames[lk->by], source, shown, lk->limit, lk->offset)) != CE_OK)
		return er;
	if ((er = more ? ce_buf_printf(b, "%lld", lk->offset + lk->limit) :
	    ce_buf_puts(b, "null")) != CE_OK ||
	    (er = ce_buf_puts(b, ",\"customers\":[")) != CE_OK)
		return er;
	for (i = 0, shown = 0; i < n; i++) {
		if (docs->v[i] == NULL)
			continue;
		if ((shown++ > 0 && (er = ce_buf_puts(b, ",")) != CE_OK) ||
		    (er = ce_buf_puts(b, docs->v[i])) != CE_OK)
			return er;
	}
	return ce_buf_puts(b, "]}\n");
}

/* The stored persons of "lk" into "docs" (limit + 1 at most). */
static enum ce_err
query(struct cx_web *w, const struct lookup *lk, struct cx_strs *docs)
{
	return cx_store_customers(w->app.db, lk->by, lk->value, lk->limit + 1,
	    lk->offset, docs);
}

/* Find, maybe enrich, and answer. */
static enum ce_err
lookup_run(struct cx_web *w, struct lookup *lk, struct ce_resp *resp)
{
	struct cx_run	 run;
	struct cx_strs	 docs;
	const char	*source = "database";
	char		 mcpf[32];
	enum ce_err	 er;

	if ((er = lookup_check(lk, resp)) != CE_OK)
		return er;
	if ((er = query(w, lk, &docs)) != CE_OK)
		return er;
	er = answer(resp->body, lk, source, &docs);
	cx_strs_free(&docs);
	if (er != CE_ENOTFOUND || lk->by != CX_CUST_CPF ||
	    !w->app.cfg.enrich_on_miss || lk->offset > 0)
		goto out;

	/* Not stored: the Work API, then the same query again. */
	ce_mask_cpf(lk->value, mcpf, sizeof(mcpf));
	er = cx_pipeline_person(&w->app, lk->value, &run);
	cx_run_free(&run);
	cx_logf(&w->app.log, er == CE_OK ? CE_LOG_INFO : CE_LOG_WARN,
	    "lookup: cpf %s "
	    "not stored; enrich on miss: %s", mcpf, ce_strerror(er));
	if (er != CE_OK)
		goto out;
	source = "work_api";
	if ((er = query(w, lk, &docs)) != CE_OK)
		return er;
	er = answer(resp->body, lk, source, &docs);
	cx_strs_free(&docs);
out:
	if (er == CE_ENOTFOUND)
		return cx_fail(resp, CE_ENOTFOUND, NULL, "no stored person "
		    "matches");
	return er;
}

static void
lookup_init(struct lookup *lk)
{
	memset(lk, 0, sizeof(*lk));
	lk->limit = LIMIT_DEFAULT;
}

/*
 * limit or offset from the query into "*v" (absent keeps it).  Returns
 * CE_OK, or CE_EINPUT when it is malformed.
 */
static enum ce_err
query_num(const char *q, const char *name, long long *v)
{
	char	 buf[24];

	switch (ce_query_get(q, name, buf, sizeof(buf))) {
	case 0:
		return CE_OK;
	case 1:
		return ce_strtonum(buf, 0, 1000000, v) == 0 ? CE_OK :
		    CE_EINPUT;
	default:
		return CE_EINPUT;
	}
}

enum ce_err
cx_h_customer_lookup(struct cx_web *w, const struct cx_request *rq,
    struct ce_resp *resp)
{
	const char	*q = rq->query;
	struct lookup	 lk;
	int		 b, r;

	lookup_init(&lk);
	for (b = 0; b < CX_CUST__MAX; b++) {
		r = ce_query_get(q, bynames[b], lk.raw[b], sizeof(lk.raw[b]));
		if (r == -1)
			return cx_fail(resp, CE_EINPUT, "bad_request",
			    "malformed query string");
		lk.given[b] = r == 1;
	}
	if (query_num(q, "limit", &lk.limit) != CE_OK ||
	    query_num(q, "offset", &lk.offset) != CE_OK)
		return cx_fail(resp, CE_EINPUT, "bad_request",
		    "limit must be 1 to 50 and offset 0 to 10000");
	return lookup_run(w, &lk, resp);
}

enum ce_err
cx_h_enrich(struct cx_web *w, const struct cx_request *rq,
    struct ce_resp *resp)
{
	struct lookup	 lk;
	json_t		*j, *v;
	json_error_t	 jerr;
	enum ce_err	 er;
	int		 b;

	if (!rq->json)
		return cx_fail(resp, CE_ECTYPE, NULL, "the body must be "
		    "application/json");
	/* jansson refuses invalid UTF-8 and, by default, \u0000. */
	j = json_loadb(rq->req->body, rq->req->bodylen, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (!json_is_object(j)) {
		json_decref(j);
		return cx_fail(resp, CE_EINPUT, "invalid_json",
		    "the body must be a JSON object");
	}
	lookup_init(&lk);
	er = CE_OK;
	for (b = 0; b < CX_CUST__MAX && er == CE_OK; b++) {
		if ((v = json_object_get(j, bynames[b])) == NULL ||
		    json_is_null(v))
			continue;
		if (!json_is_string(v) || json_string_length(v) >=
		    sizeof(lk.raw[b]))
			er = cx_fail(resp, CE_EINPUT, "bad_request", "cpf, "
			    "email, phone and name must be short strings");
		else {
			ce_strlcpy(lk.raw[b], json_string_value(v),
			    sizeof(lk.raw[b]));
			lk.given[b] = 1;
		}
	}
	if (er == CE_OK) {
		if (((v = json_object_get(j, "limit")) != NULL &&
		    !json_is_integer(v)) ||
		    ((v = json_object_get(j, "offset")) != NULL &&
		    !json_is_integer(v)))
			er = cx_fail(resp, CE_EINPUT, "bad_request",
			    "limit and offset must be integers");
		else {
			if ((v = json_object_get(j, "limit")) != NULL)
				lk.limit = json_integer_value(v);
			if ((v = json_object_get(j, "offset")) != NULL)
				lk.offset = json_integer_value(v);
		}
	}
	json_decref(j);
	if (er != CE_OK)
		return er;
	return lookup_run(w, &lk, resp);
}

/* Is "s" a UUID in its canonical 8-4-4-4-12 hex form? */
static int
uuid_valid(const char *s)
{
	size_t	 i;

	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (ce_hexval((unsigned char)s[i]) == -1)
			return 0;
	}
	return s[36] == '\0';
}

enum ce_err
cx_h_customer(struct cx_web *w, const struct cx_request *rq,
    struct ce_resp *resp)
{
	const char	*id;
	int		 found;
	enum ce_err	 er;

	if ((id = cx_req_tail(rq, "/api/v1/customers/", 40)) == NULL ||
	    !uuid_valid(id))
		return cx_fail(resp, CE_EINPUT, "invalid_uuid",
		    "the customer id must be a UUID");
	if ((er = cx_store_customer(w->app.db, id, resp->body, &found)) !=
	    CE_OK)
		return er;
	if (!found)
		return cx_fail(resp, CE_ENOTFOUND, NULL, "no such customer");
	return ce_buf_puts(resp->body, "\n");
}
