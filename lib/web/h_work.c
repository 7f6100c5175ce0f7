/*
 * h_work.c -- GET /api/v1/work/modules/{module}?documento=: the Work API
 * proxy, for the modules the Rust service proxied: "cpf" (a person's
 * dossier; "all" is the same), "tel" (alias "phone": the CPFs behind a
 * phone), "nome" and "mae" (persons by name, by mother's name), "email",
 * "cep" (the people at an address), "cnpj" (a company and its sócios) and
 * "titulo" (a voter's registration).  The documento is validated for its
 * module before anything is paid for; answers are cached in the process
 * for WORK_PROXY_TTL, under keys of the proxy's own (the pipeline's
 * entries may hold a dossier stored days ago, which the proxy must not
 * pass off as fresh); the Work API's error-in-200 bodies become real
 * statuses and are never cached.
 */
#include <stdio.h>
#include <string.h>

#include "core/brid.h"
#include "core/buf.h"
#include "core/call.h"
#include "core/cgi.h"
#include "core/err.h"
#include "core/query.h"
#include "app/memo.h"
#include "app/upstream.h"
#include "web/h_work.h"
#include "web/req.h"
#include "web/resp.h"
#include "web/web.h"

#define PREFIX	"/api/v1/work/modules/"
#define MODULES	"all, cpf, tel, phone, nome, email, mae, cep, cnpj, titulo"

/* How a module's documento is validated and normalised. */
enum doc_kind {
	DOC_CPF,
	DOC_PHONE,
	DOC_EMAIL,
	DOC_NAME,
	DOC_CEP,
	DOC_CNPJ,
	DOC_TITULO
};

/*
 * The modules: as asked in the path, as named in the answer, as the Work
 * API spells it (also the cache key's), and the documento's rule.
 */
static const struct module {
	const char	*path;
	const char	*answer;
	const char	*work;
	enum doc_kind	 doc;
	const char	*rule;		/* the 400's message */
} modules[] = {
	{ "cpf", "cpf", "cpf", DOC_CPF, "documento is not a valid CPF "
	    "(11 digits with check digits)" },
	{ "all", "cpf", "cpf", DOC_CPF, "documento is not a valid CPF "
	    "(11 digits with check digits); all is the cpf module" },
	{ "tel", "tel", "phone", DOC_PHONE, "documento is not a valid "
	    "Brazilian phone (DDD and number, 10 or 11 digits)" },
	{ "phone", "phone", "phone", DOC_PHONE, "documento is not a valid "
	    "Brazilian phone (DDD and number, 10 or 11 digits)" },
	{ "nome", "nome", "nome", DOC_NAME, "nome must be 2 to 120 letters, "
	    "spaces, apostrophes and hyphens, at least two words" },
	{ "mae", "mae", "mae", DOC_NAME, "the mother's name must be 2 to 120 "
	    "letters, spaces, apostrophes and hyphens, at least two words" },
	{ "email", "email", "email", DOC_EMAIL, "documento is not a valid "
	    "e-mail address" },
	{ "cep", "cep", "cep", DOC_CEP, "documento must be a CEP of 8 digits "
	    "(01310-100)" },
	{ "cnpj", "cnpj", "cnpj", DOC_CNPJ, "documento is not a valid CNPJ "
	    "(14 digits with check digits)" },
	{ "titulo", "titulo", "titulo", DOC_TITULO, "documento is not a valid "
	    "título de eleitor (12 digits: sequence, UF code 01 to 28, check "
	    "digits)" },
};

/* The answer of a failed call, as a status and a code. */
static enum ce_err
failed(struct ce_resp *resp, const struct ce_call *c)
{
	switch (c->res) {
	case CE_UP_NOTFOUND:
		return cx_fail(resp, CE_ENOTFOUND, NULL,
		    "the Work API has no data for this documento");
	case CE_UP_DEADLINE:
		return cx_fail(resp, CE_ETIMEOUT, NULL, NULL);
	case CE_UP_INVALID:
		return cx_fail(resp, CE_EINPUT, "invalid_documento", NULL);
	default:
		break;
	}
	if (c->api_status == 429)
		return cx_fail(resp, CE_EUNAVAIL,
		    "upstream_credits_exhausted", "the Work API has no credits "
		    "left");
	if (c->api_status == 403)
		return cx_fail(resp, CE_EUPSTREAM, "upstream_refused", "the "
		    "Work API refused the token or the module");
	return cx_fail(resp, CE_EUPSTREAM, NULL, "the Work API failed");
}

/* Validate "doc" for module "m" into "norm" of "sz" bytes: 0 or -1. */
static int
normalise(const struct module *m, const char *doc, char *norm, size_t sz)
{
	switch (m->doc) {
	case DOC_CPF:
		return ce_cpf_normalize(doc, norm) == 0 ? 0 : -1;
	case DOC_PHONE:
		return ce_phone_normalize(doc, norm);
	case DOC_EMAIL:
		return ce_email_normalize(doc, norm, sz);
	case DOC_NAME:
		return ce_person_name_normalize(doc, norm, sz);
	case DOC_CEP:
		return ce_cep_normalize(doc, norm);
	case DOC_CNPJ:
		return ce_cnpj_normalize(doc, norm);
	case DOC_TITULO:
		return ce_titulo_normalize(doc, norm);
	}
	return -1;
}

/* {"module":..,"documento":..,"cached":..,"data":..} */
static enum ce_err
answer(struct ce_resp *resp, const struct module *m, const char *norm,
    int cached, const char *data)
{
	enum ce_err	 er;

	if ((er = ce_buf_printf(resp->body, "{\"module\":\"%s\","
	    "\"documento\":", m->answer)) != CE_OK ||
	    (er = ce_buf_json_str(resp->body, norm, strlen(norm))) != CE_OK)
		return er;
	return ce_buf_printf(resp->body, ",\"cached\":%s,\"data\":%s}\n",
	    cached ? "true" : "false", data);
}

enum ce_err
cx_h_work_module(struct cx_web *w, const struct cx_request *rq,
    struct ce_resp *resp)
{
	const char		*name, *hit;
	const struct module	*m = NULL;
	struct ce_call		 c;
	char			 doc[512], norm[256], key[300];
	size_t			 i;
	int			 r;
	enum ce_err		 er;

	if ((name = cx_req_tail(rq, PREFIX, 16)) != NULL)
		for (i = 0; i < sizeof(modules) / sizeof(modules[0]); i++)
			if (strcmp(name, modules[i].path) == 0)
				m = &modules[i];
	if (m == NULL)
		return cx_fail(resp, CE_ENOTFOUND, "unknown_module", "module "
		    "must be one of " MODULES);
	r = ce_query_get(rq->query, "documento", doc, sizeof(doc));
	if (r == -1)
		return cx_fail(resp, CE_EINPUT, "invalid_documento",
		    "malformed documento");
	if (r == 0 || doc[0] == '\0')
		return cx_fail(resp, CE_EINPUT, "missing_documento",
		    "give the documento to look up");
	if (normalise(m, doc, norm, sizeof(norm)) != 0)
		return cx_fail(resp, CE_EINPUT, "invalid_documento", m->rule);

	if (snprintf(key, sizeof(key), "proxy_%s:%s", m->work, norm) >=
	    (int)sizeof(key))
		return cx_fail(resp, CE_EINPUT, "invalid_documento", m->rule);
	if ((hit = cx_memo_get(&w->app.memo, key)) != NULL)
		return answer(resp, m, norm, 1, hit);

	memset(&c, 0, sizeof(c));
	c.kind = CE_CALL_WORK_MODULE;
	c.arg = m->work;
	c.arg2 = norm;
	cx_upstream_run(&w->app, &c, 1, cx_deadline(&w->app));
	if (c.res != CE_UP_OK || c.dossier.raw == NULL)
		er = failed(resp, &c);
	else {
		cx_memo_put(&w->app.memo, key, c.dossier.raw,
		    w->app.cfg.work_proxy_ttl_ms);
		er = answer(resp, m, norm, 0, c.dossier.raw);
	}
	ce_dossier_free(&c.dossier);
	return er;
}
