/*
 * h_work.c -- GET /api/v1/work/modules/{module}?documento=: the Work API
 * proxy, for an allow-list of modules ("cpf": a person's dossier,
 * "phone": the CPFs behind a phone; "all" picks one of them from the
 * documento's shape).  The documento is validated before anything is
 * paid for; answers are cached in the process for WORK_PROXY_TTL, under
 * keys of the proxy's own (the pipeline's entries may hold a dossier
 * stored days ago, which the proxy must not pass off as fresh); the Work
 * API's error-in-200 bodies become real statuses and are never cached.
 */
#include <stdio.h>
#include <string.h>

#include "c2s-enrich.h"
#include "extern.h"

#define PREFIX	"/api/v1/work/modules/"

/* The answer of a failed call, as a status and a code. */
static enum ce_err
failed(struct ce_resp *resp, const struct ce_call *c)
{
	switch (c->res) {
	case CE_UP_NOTFOUND:
		return cx_refuse(resp, CE_ENOTFOUND, NULL,
		    "the Work API has no data for this documento");
	case CE_UP_DEADLINE:
		return cx_refuse(resp, CE_ETIMEOUT, NULL, NULL);
	case CE_UP_INVALID:
		return cx_refuse(resp, CE_EINPUT, "invalid_documento", NULL);
	default:
		break;
	}
	if (c->api_status == 429)
		return cx_refuse(resp, CE_EUNAVAIL,
		    "upstream_credits_exhausted", "the Work API has no credits "
		    "left");
	if (c->api_status == 403)
		return cx_refuse(resp, CE_EUPSTREAM, "upstream_refused", "the "
		    "Work API refused the token or the module");
	return cx_refuse(resp, CE_EUPSTREAM, NULL, "the Work API failed");
}

enum ce_err
cx_h_work_module(struct ce_ctx *ctx, const struct ce_req *req,
    struct ce_resp *resp)
{
	const char	*q = strchr(req->uri, '?'), *hit;
	struct ce_call	 c;
	char		 module[16], doc[64], norm[16], key[48];
	int		 is_cpf, r;
	enum ce_err	 er;

	if (cx_path_tail(req, PREFIX, module, sizeof(module)) == NULL ||
	    (strcmp(module, "all") != 0 && strcmp(module, "cpf") != 0 &&
	    strcmp(module, "phone") != 0))
		return cx_refuse(resp, CE_ENOTFOUND, "unknown_module", "module "
		    "must be one of all, cpf, phone");
	r = ce_query_get(q != NULL ? q + 1 : NULL, "documento", doc,
	    sizeof(doc));
	if (r == -1)
		return cx_refuse(resp, CE_EINPUT, "invalid_documento",
		    "malformed documento");
	if (r == 0 || doc[0] == '\0')
		return cx_refuse(resp, CE_EINPUT, "missing_documento",
		    "give the documento (a CPF or a phone) to look up");
	/* "all": a valid CPF is a CPF, else it must be a phone. */
	is_cpf = strcmp(module, "phone") != 0 &&
	    ce_cpf_normalize(doc, norm) == 0;
	if (!is_cpf && (strcmp(module, "cpf") == 0 ||
	    ce_phone_normalize(doc, norm) != 0))
		return cx_refuse(resp, CE_EINPUT, "invalid_documento",
		    strcmp(module, "cpf") == 0 ? "documento is not a valid "
		    "CPF" : strcmp(module, "phone") == 0 ? "documento is not "
		    "a valid phone" : "documento is neither a CPF nor a phone");
	ce_strlcpy(module, is_cpf ? "cpf" : "phone", sizeof(module));

	snprintf(key, sizeof(key), "proxy_%s:%s", module, norm);
	if ((hit = cx_cache_get(ctx, key)) != NULL)
		return ce_buf_printf(resp->body, "{\"module\":\"%s\","
		    "\"documento\":\"%s\",\"cached\":true,\"data\":%s}\n",
		    module, norm, hit);

	memset(&c, 0, sizeof(c));
	c.kind = is_cpf ? CE_CALL_WORK_CPF : CE_CALL_WORK_PHONE;
	c.arg = norm;
	ce_upstream_run(ctx, &c, 1, ce_deadline(ctx));
	if (c.res != CE_UP_OK || c.dossier.raw == NULL)
		er = failed(resp, &c);
	else {
		cx_cache_put(ctx, key, c.dossier.raw,
		    ctx->cfg.work_proxy_ttl_ms);
		er = ce_buf_printf(resp->body, "{\"module\":\"%s\","
		    "\"documento\":\"%s\",\"cached\":false,\"data\":%s}\n",
		    module, norm, c.dossier.raw);
	}
	ce_dossier_free(&c.dossier);
	return er;
}
