/*
 * upstream.c -- the clients of C2S, Diretrix and the Work API: each call
 * kind builds its request (ids validated and path segments escaped before
 * any URL exists), and turns the answer into plain C structs and one
 * classification (found, not found, provider down, bad response,
 * deadline).  Parsing is lenient: a null or missing optional field is an
 * empty string, not an error.  Calls run in parallel through http.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/brid.h"
#include "core/buf.h"
#include "core/call.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/lead.h"
#include "core/log.h"
#include "core/util.h"
#include "io/http.h"
#include "shared/breaker.h"
#include "shared/metrics.h"
#include "app/app.h"
#include "app/callkind.h"
#include "app/pace.h"
#include "app/upstream.h"

/*
 * The Work API modules a CE_CALL_WORK_MODULE may ask, as the Work API
 * spells them.
 */
static const char *const work_modules[] = {
	"cpf", "phone", "nome", "email", "mae", "cep", "cnpj", "titulo",
};

static int
work_module_known(const char *m)
{
	size_t	 i;

	for (i = 0; i < sizeof(work_modules) / sizeof(work_modules[0]); i++)
		if (strcmp(m, work_modules[i]) == 0)
			return 1;
	return 0;
}

/* The deadline of a request starting now. */
long long
cx_deadline(const struct cx_app *app)
{
	return cx_now_us() + app->cfg.request_deadline_ms * 1000;
}

/*
 * Copy a JSON string (or number) into "dst", cut on a UTF-8 boundary if
 * it does not fit; anything else (null, missing, object) gives "".
 */
static void
jcopy(char *dst, size_t sz, const json_t *v)
{
	const char	*s;
	size_t		 n;

	dst[0] = '\0';
	if (json_is_integer(v)) {
		snprintf(dst, sz, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return;
	}
	if (!json_is_string(v))
		return;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n >= sz) {
		n = sz - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	/* An embedded NUL ends the string, as C would read it. */
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static const json_t *
jpath(const json_t *j, const char *a, const char *b)
{
	j = json_object_get(j, a);
	return b != NULL ? json_object_get(j, b) : j;
}

/*
 * Mask the argument of a call for the log path.  A Work API module's
 * consulta: CPFs, phones and e-mails by their masks; names, CEPs, CNPJs
 * and títulos only by their length.
 */
static void
log_arg(const struct ce_call *c, char *out, size_t sz)
{
	if (c->kind == CE_CALL_WORK_MODULE) {
		if (strcmp(c->arg, "cpf") == 0)
			ce_mask_cpf(c->arg2, out, sz);
		else if (strcmp(c->arg, "phone") == 0)
			ce_mask_phone(c->arg2, out, sz);
		else if (strcmp(c->arg, "email") == 0)
			ce_mask_email(c->arg2, out, sz);
		else
			snprintf(out, sz, "***(%zu)", strlen(c->arg2));
		return;
	}
	switch (c->kind) {
	case CE_CALL_DX_PHONE:
	case CE_CALL_WORK_PHONE:
		ce_mask_phone(c->arg, out, sz);
		break;
	case CE_CALL_DX_EMAIL:
		ce_mask_email(c->arg, out, sz);
		break;
	case CE_CALL_WORK_CPF:
		ce_mask_cpf(c->arg, out, sz);
		break;
	default:
		ce_strlcpy(out, c->arg, sz);	/* lead ids are not personal */
		break;
	}
}

/*
 * Refuse an argument of call "c" before any URL exists.  Returns CE_OK
 * or CE_EINPUT.
 */
static enum ce_err
arg_check(const struct ce_call *c)
{
	long long	 n;
	int		 ok;

	if (c->arg == NULL || c->arg[0] == '\0')
		return CE_EINPUT;
	switch (c->kind) {
	case CE_CALL_C2S_LEAD:
		ok = ce_lead_id_valid(c->arg);
		break;
	case CE_CALL_C2S_MESSAGE:
		ok = ce_lead_id_valid(c->arg) && c->arg2 != NULL;
		break;
	case CE_CALL_C2S_LIST:
		ok = ce_strtonum(c->arg, 1, CE_LIST_MAX, &n) == 0 &&
		    (c->arg2 == NULL || ce_strtonum(c->arg2, 1, CE_PAGE_MAX,
		    &n) == 0);
		break;
	case CE_CALL_C2S_HOOK:
		ok = c->arg2 != NULL && (strcmp(c->arg2, "subscribe") == 0 ||
		    strcmp(c->arg2, "unsubscribe") == 0);
		break;
	case CE_CALL_WORK_CPF:
		ok = strlen(c->arg) == 11 && ce_cpf_valid(c->arg);
		break;
	case CE_CALL_WORK_MODULE:
		ok = work_module_known(c->arg) && c->arg2 != NULL &&
		    c->arg2[0] != '\0';
		break;
	case CE_CALL_C2S_CREATE:
	case CE_CALL_DX_PHONE:
	case CE_CALL_DX_EMAIL:
	case CE_CALL_WORK_PHONE:
		ok = 1;
		break;
	default:
		ok = 0;
		break;
	}
	return ok ? CE_OK : CE_EINPUT;
}

/*
 * "base", "prefix", then "c"'s argument escaped and "suffix" into r->url;
 * "prefix", the masked argument and "suffix" into r->log_path.  Returns
 * CE_OK, CE_EINPUT without a base, or CE_E2BIG.
 */
static enum ce_err
url_plain(const char *base, const char *prefix, const char *suffix,
    const struct ce_call *c, struct cx_http_req *r)
{
	char		 masked[128];
	size_t		 len;
	enum ce_err	 er;
	int		 n;

	if (base[0] == '\0')
		return CE_EINPUT;
	n = snprintf(r->url, sizeof(r->url), "%s%s", base, prefix);
	if (n < 0 || (size_t)n >= sizeof(r->url))
		return CE_E2BIG;
	if ((er = cx_url_escape(r->url, sizeof(r->url), c->arg)) != CE_OK)
		return er;
	len = strlen(r->url);
	if (suffix[0] != '\0' && len + strlen(suffix) + 1 >= sizeof(r->url))
		return CE_E2BIG;
	memcpy(r->url + len, suffix, strlen(suffix) + 1);
	log_arg(c, masked, sizeof(masked));
	snprintf(r->log_path, sizeof(r->log_path), "%s%s%s", prefix, masked,
	    suffix);
	return CE_OK;
}

/*
 * The URL, log path and body of a C2S call: a lead or its note by id, or
 * the collection (create a lead, list the newest, subscribe or
 * unsubscribe a hook).
 */
static enum ce_err
url_c2s(const struct ce_config *cfg, const struct ce_call *c,
    struct cx_http_req *r)
{
	const char	*base = cfg->c2s_base_url;
	char		 page[32] = "";
	long long	 n = 0;
	int		 w;

	if (c->kind == CE_CALL_C2S_LEAD)
		return url_plain(base, "/integration/leads/", "", c, r);
	if (c->kind == CE_CALL_C2S_MESSAGE)
		return url_plain(base, "/integration/leads/",
		    "/create_message", c, r);
	if (base[0] == '\0')
		return CE_EINPUT;
	if (c->kind == CE_CALL_C2S_LIST) {
		(void)ce_strtonum(c->arg, 1, CE_LIST_MAX, &n);	/* checked */
		if (c->arg2 != NULL)	/* checked: digits */
			snprintf(page, sizeof(page), "&page=%s", c->arg2);
		w = snprintf(r->url, sizeof(r->url), "%s/integration/leads"
		    "?perpage=%lld%s&sort=-created_at", base, n, page);
		snprintf(r->log_path, sizeof(r->log_path), "/integration/leads"
		    "?perpage=%lld%s&sort=-created_at", n, page);
	} else if (c->kind == CE_CALL_C2S_HOOK) {
		w = snprintf(r->url, sizeof(r->url), "%s/integration/leads/%s",
		    base, c->arg2);
		snprintf(r->log_path, sizeof(r->log_path),
		    "/integration/leads/%s", c->arg2);
	} else {
		w = snprintf(r->url, sizeof(r->url), "%s/integration/leads",
		    base);
		ce_strlcpy(r->log_path, "/integration/leads",
		    sizeof(r->log_path));
	}
	if (c->kind != CE_CALL_C2S_LIST) {
		r->body = c->arg;
		r->bodylen = strlen(c->arg);
	}
	if (w < 0 || (size_t)w >= sizeof(r->url))
		return CE_E2BIG;
	return CE_OK;
}

static enum ce_err
url_diretrix(const struct ce_config *cfg, const struct ce_call *c,
    struct cx_http_req *r)
{
	return url_plain(cfg->diretrix_base_url,
	    c->kind == CE_CALL_DX_PHONE ? "/Consultas/Pessoa/Telefone/" :
	    "/Consultas/Pessoa/Email/", "", c, r);
}

/* A Work API module's query: the token, the module and the consulta. */
static enum ce_err
url_work(const struct ce_config *cfg, const struct ce_call *c,
    struct cx_http_req *r)
{
	const char	*mod = c->kind == CE_CALL_WORK_MODULE ? c->arg :
	    c->kind == CE_CALL_WORK_CPF ? "cpf" : "phone";
	const char	*consulta = c->kind == CE_CALL_WORK_MODULE ?
	    c->arg2 : c->arg;
	char		 masked[128];
	size_t		 len;
	enum ce_err	 er;
	int		 n;

	if (cfg->work_api_url[0] == '\0')
		return CE_EINPUT;
	n = snprintf(r->url, sizeof(r->url), "%s/api?token=",
	    cfg->work_api_url);
	if (n < 0 || (size_t)n >= sizeof(r->url))
		return CE_E2BIG;
	if ((er = cx_url_escape(r->url, sizeof(r->url),
	    cfg->work_api_token)) != CE_OK)
		return er;
	len = strlen(r->url);
	n = snprintf(r->url + len, sizeof(r->url) - len,
	    "&modulo=%s&consulta=", mod);
	if (n < 0 || (size_t)n >= sizeof(r->url) - len)
		return CE_E2BIG;
	if ((er = cx_url_escape(r->url, sizeof(r->url), consulta)) != CE_OK)
		return er;
	log_arg(c, masked, sizeof(masked));
	snprintf(r->log_path, sizeof(r->log_path),
	    "/api?modulo=%s&consulta=%s", mod, masked);
	return CE_OK;
}

/*
 * The headers of call "c": a C2S call's bearer token ("auth" holds its
 * line) and, for a POST, its JSON content type; Diretrix's basic
 * credentials.  Returns CE_OK, CE_E2BIG or CE_ENOMEM.
 */
static enum ce_err
headers_for(const struct ce_config *cfg, const struct ce_call *c,
    struct cx_http_req *r, char *auth, size_t authsz)
{
	const struct cx_callkind *k = &cx_callkinds[c->kind];
	int		 n;

	if (k->brk == CX_BRK_C2S) {
		n = snprintf(auth, authsz, "Authorization: Bearer %s",
		    cfg->c2s_token);
		if (n < 0 || (size_t)n >= authsz)
			return CE_E2BIG;
	}
	if (cx_http_req_header(r, "Accept: application/json") != CE_OK)
		return CE_ENOMEM;
	if (k->brk == CX_BRK_C2S && (cx_http_req_header(r, auth) != CE_OK ||
	    (strcmp(k->method, "POST") == 0 && cx_http_req_header(r,
	    "Content-Type: application/json") != CE_OK)))
		return CE_ENOMEM;
	if (k->brk == CX_BRK_DIRETRIX) {
		r->user = cfg->diretrix_user;
		r->pass = cfg->diretrix_pass;
	}
	return CE_OK;
}

/*
 * Build the HTTP request of call "c" into "r" (made by cx_http_req_init()).
 * Returns CE_OK, CE_EINPUT for an argument we refuse to send, CE_E2BIG or
 * CE_ENOMEM.
 */
static enum ce_err
build(const struct ce_config *cfg, struct ce_call *c, struct cx_http_req *r,
    char *auth, size_t authsz)
{
	enum ce_err	 er;

	/* "r" was initialised by the caller; name it after the call. */
	r->api = cx_callkinds[c->kind].api;
	r->method = cx_callkinds[c->kind].method;
	r->unsafe = cx_callkinds[c->kind].unsafe;
	if ((er = arg_check(c)) != CE_OK)
		return er;
	switch (cx_callkinds[c->kind].brk) {
	case CX_BRK_C2S:
		er = url_c2s(cfg, c, r);
		break;
	case CX_BRK_DIRETRIX:
		er = url_diretrix(cfg, c, r);
		break;
	default:
		er = url_work(cfg, c, r);
		break;
	}
	if (er != CE_OK)
		return er;
	return headers_for(cfg, c, r, auth, authsz);
}

/* The JSON body of a create_message call: {"leadId":..,"body":..}. */
static char *
message_body(const struct ce_call *c)
{
	json_t	*j;
	char	*s;

	j = json_pack("{s:s, s:s}", "leadId", c->arg, "body", c->arg2);
	if (j == NULL)
		return NULL;
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

/* Classify what the transport and the status say, before any body. */
static enum ce_up
classify_http(const struct cx_http_req *r)
{
	switch (r->res) {
	case CX_HTTP_OK:
		break;
	case CX_HTTP_DEADLINE:
		return CE_UP_DEADLINE;
	case CX_HTTP_TOOBIG:
		return CE_UP_BADRESP;
	default:
		return CE_UP_DOWN;
	}
	if (r->status >= 500 || r->status == 429 || r->status == 401 ||
	    r->status == 403 || r->status == 408)
		return CE_UP_DOWN;
	return CE_UP_OK;
}

static json_t *
parse_body(struct cx_app *app, const struct cx_http_req *r)
{
	json_error_t	 jerr;
	json_t		*j;

	j = json_loadb(r->resp.data != NULL ? r->resp.data : "", r->resp.len,
	    0, &jerr);
	if (j == NULL)
		/* Not jerr.text: it quotes the body, which may hold PII. */
		cx_logf(&app->log, CE_LOG_WARN,
		    "%s %s: malformed JSON at line %d, "
		    "column %d", r->api, r->log_path, jerr.line, jerr.column);
	return j;
}

static enum ce_up
parse_lead(struct cx_app *app, const struct cx_http_req *r, struct ce_lead *l)
{
	const json_t	*a, *cust;
	json_t		*j;
	enum ce_up	 u = CE_UP_BADRESP;

	if (r->status == 404)
		return CE_UP_NOTFOUND;
	if (r->status != 200)
		return CE_UP_BADRESP;
	if ((j = parse_body(app, r)) == NULL)
		return CE_UP_BADRESP;
	a = jpath(j, "data", "attributes");
	if (!json_is_object(a))
		goto out;
	jcopy(l->id, sizeof(l->id), jpath(j, "data", "id"));
	cust = json_object_get(a, "customer");
	jcopy(l->name, sizeof(l->name), json_object_get(cust, "name"));
	jcopy(l->email, sizeof(l->email), json_object_get(cust, "email"));
	jcopy(l->phone, sizeof(l->phone), json_object_get(cust, "phone"));
	jcopy(l->phone2, sizeof(l->phone2), json_object_get(cust, "phone2"));
	jcopy(l->customer_id, sizeof(l->customer_id),
	    json_object_get(cust, "id"));
	jcopy(l->description, sizeof(l->description),
	    json_object_get(a, "description"));
	jcopy(l->status_alias, sizeof(l->status_alias),
	    jpath(a, "lead_status", "alias"));
	jcopy(l->source, sizeof(l->source), json_object_get(a, "lead_source"));
	if (l->source[0] == '\0')
		jcopy(l->source, sizeof(l->source),
		    jpath(a, "lead_source", "name"));
	jcopy(l->product_ref, sizeof(l->product_ref),
	    jpath(a, "product", "prop_ref"));
	jcopy(l->product_desc, sizeof(l->product_desc),
	    jpath(a, "product", "description"));
	jcopy(l->created_at, sizeof(l->created_at),
	    json_object_get(a, "created_at"));
	jcopy(l->updated_at, sizeof(l->updated_at),
	    json_object_get(a, "updated_at"));
	u = CE_UP_OK;
out:
	json_decref(j);
	return u;
}

/* Add one candidate; CNPJs and invalid CPFs are counted, not kept. */
static void
cand_add(struct ce_cands *cs, const json_t *cpf, const json_t *name)
{
	char	 raw[40];

	jcopy(raw, sizeof(raw), cpf);
	if (cs->n >= CE_CANDS_MAX ||
	    ce_cpf_normalize(raw, cs->c[cs->n].cpf) != 0) {
		cs->dropped++;
		return;
	}
	jcopy(cs->c[cs->n].name, sizeof(cs->c[cs->n].name), name);
	cs->n++;
}

static enum ce_up
parse_diretrix(struct cx_app *app, const struct cx_http_req *r,
    struct ce_cands *cs)
{
	json_t		*j;
	size_t		 i;

	if (r->status == 400 || r->status == 404)
		return CE_UP_NOTFOUND;
	if (r->status != 200)
		return CE_UP_BADRESP;
	if ((j = parse_body(app, r)) == NULL)
		return CE_UP_BADRESP;
	if (!json_is_array(j)) {
		json_decref(j);
		return CE_UP_BADRESP;
	}
	for (i = 0; i < json_array_size(j); i++)
		cand_add(cs, json_object_get(json_array_get(j, i), "cpf"),
		    json_object_get(json_array_get(j, i), "nome"));
	json_decref(j);
	return cs->n > 0 ? CE_UP_OK : CE_UP_NOTFOUND;
}

/*
 * The Work API answers errors in 200 bodies: {"status":404,...} is no
 * data; {"status":403,...} (token, module) and {"code":429,...}
 * (credits) mean the provider is unusable.  Returns CE_UP_OK when the
 * body is not such an error.
 */
static enum ce_up
work_error(struct cx_app *app, const struct cx_http_req *r, const json_t *j,
    long *api_status)
{
	const json_t	*st = json_object_get(j, "status");
	const json_t	*code = json_object_get(j, "code");
	json_int_t	 v = -1;

	if (json_is_integer(code) && json_integer_value(code) == 429) {
		cx_logf(&app->log, CE_LOG_WARN, "work %s: credits exhausted",
		    r->log_path);
		*api_status = 429;
		cx_mtab_work_refused(&app->mtab, 0);
		return CE_UP_DOWN;
	}
	if (json_is_integer(st))
		v = json_integer_value(st);
	else if (json_is_string(st) &&
	    ce_strtonum(json_string_value(st), 0, 999, &(long long){ 0 }) == 0)
		v = strtol(json_string_value(st), NULL, 10);
	if (v == -1 || v == 200)
		return CE_UP_OK;
	*api_status = (long)v;
	if (v == 404)
		return CE_UP_NOTFOUND;
	if (v == 401 || v == 403)
		cx_mtab_work_refused(&app->mtab, 1);
	cx_logf(&app->log, CE_LOG_WARN, "work %s: error %lld in a 200 body",
	    r->log_path, (long long)v);
	return CE_UP_DOWN;
}

/* Keep the body of "r" as received in c->dossier.raw. */
static enum ce_up
keep_raw(const struct cx_http_req *r, struct ce_call *c)
{
	struct ce_dossier *d = &c->dossier;

	if ((d->raw = malloc(r->resp.len + 1)) == NULL)
		return CE_UP_DOWN;
	if (r->resp.len > 0)
		memcpy(d->raw, r->resp.data, r->resp.len);
	d->raw[r->resp.len] = '\0';
	d->rawlen = r->resp.len;
	return CE_UP_OK;
}

/*
 * Open a Work API answer: a 200 whose body is a JSON object that is not
 * an error-in-200 (its status or code then goes to c->api_status).
 * Returns CE_UP_OK with the object in "*jp" and the body's text in
 * c->dossier.raw, or the classification; "*jp" may be set either way
 * (json_decref() it).
 */
static enum ce_up
work_open(struct cx_app *app, const struct cx_http_req *r, struct ce_call *c,
    json_t **jp)
{
	enum ce_up	 u;

	*jp = NULL;
	if (r->status != 200)
		return r->status == 404 ? CE_UP_NOTFOUND : CE_UP_BADRESP;
	if ((*jp = parse_body(app, r)) == NULL)
		return CE_UP_BADRESP;
	/* A list module's answer may be a bare array: no error inside. */
	if (json_is_array(*jp) && c->kind == CE_CALL_WORK_MODULE)
		return keep_raw(r, c);
	if (!json_is_object(*jp))
		return CE_UP_BADRESP;
	if ((u = work_error(app, r, *jp, &c->api_status)) != CE_UP_OK)
		return u;
	return keep_raw(r, c);
}

static enum ce_up
parse_work_cpf(struct cx_app *app, const struct cx_http_req *r,
    struct ce_call *c)
{
	struct ce_dossier *d = &c->dossier;
	const json_t	*basic;
	json_t		*j;
	enum ce_up	 u;

	if ((u = work_open(app, r, c, &j)) != CE_UP_OK)
		goto out;
	basic = json_object_get(j, "DadosBasicos");
	if (!json_is_object(basic)) {
		u = CE_UP_BADRESP;
		goto out;
	}
	jcopy(d->cpf, sizeof(d->cpf), json_object_get(basic, "cpf"));
	jcopy(d->name, sizeof(d->name), json_object_get(basic, "nome"));
	jcopy(d->birth, sizeof(d->birth),
	    json_object_get(basic, "dataNascimento"));
	jcopy(d->income, sizeof(d->income),
	    jpath(j, "DadosEconomicos", "renda"));
out:
	json_decref(j);
	return u;
}

static enum ce_up
parse_work_phone(struct cx_app *app, const struct cx_http_req *r,
    struct ce_call *c)
{
	struct ce_cands	*cs = &c->cands;
	const json_t	*msg;
	json_t		*j;
	enum ce_up	 u;
	size_t		 i;

	if ((u = work_open(app, r, c, &j)) != CE_UP_OK)
		goto out;
	msg = json_object_get(j, "msg");
	if (!json_is_array(msg)) {
		u = CE_UP_BADRESP;
		goto out;
	}
	for (i = 0; i < json_array_size(msg); i++)
		cand_add(cs, json_object_get(json_array_get(msg, i),
		    "cpf_cnpj"), json_object_get(json_array_get(msg, i), "nome"));
	u = cs->n > 0 ? CE_UP_OK : CE_UP_NOTFOUND;
out:
	json_decref(j);
	return u;
}

/*
 * Any module, the body kept as received: an empty list (`[]`, or
 * {"msg":[]}) is not found, and a cpf answer must hold DadosBasicos.
 */
static enum ce_up
parse_work_module(struct cx_app *app, const struct cx_http_req *r,
    struct ce_call *c)
{
	const json_t	*msg;
	json_t		*j;
	enum ce_up	 u;

	if ((u = work_open(app, r, c, &j)) != CE_UP_OK)
		goto out;
	msg = json_is_array(j) ? j : json_object_get(j, "msg");
	if (json_is_array(msg) && json_array_size(msg) == 0)
		u = CE_UP_NOTFOUND;
	else if (c->arg != NULL && strcmp(c->arg, "cpf") == 0 &&
	    !json_is_object(json_object_get(j, "DadosBasicos")))
		u = CE_UP_BADRESP;
out:
	if (u != CE_UP_OK)
		ce_dossier_free(&c->dossier);
	json_decref(j);
	return u;
}

/* 201 (any 2xx) with data.id: the new lead's id. */
static enum ce_up
parse_created(struct cx_app *app, const struct cx_http_req *r,
    struct ce_lead *l)
{
	json_t		*j;
	enum ce_up	 u = CE_UP_BADRESP;

	if (r->status < 200 || r->status > 299)
		return r->status == 400 || r->status == 422 ? CE_UP_INVALID :
		    CE_UP_BADRESP;
	if ((j = parse_body(app, r)) == NULL)
		return CE_UP_BADRESP;
	jcopy(l->id, sizeof(l->id), jpath(j, "data", "id"));
	if (l->id[0] != '\0')
		u = CE_UP_OK;
	json_decref(j);
	return u;
}

/*
 * A hook (un)subscribed: C2S answers 200 {"success":true,...}; a 4xx or
 * "success":false is a refusal (CE_UP_INVALID).  The body as received
 * goes to c->dossier.raw (the call's raw answer) for the operator.
 */
static enum ce_up
parse_hook(struct cx_app *app, const struct cx_http_req *r, struct ce_call *c)
{
	json_t		*j;
	enum ce_up	 u;

	if (keep_raw(r, c) != CE_UP_OK)
		return CE_UP_DOWN;
	if ((u = classify_http(r)) != CE_UP_OK)
		return u;
	if (r->status >= 400 && r->status < 500)
		return CE_UP_INVALID;
	if (r->status < 200 || r->status > 299)
		return CE_UP_BADRESP;
	if ((j = parse_body(app, r)) == NULL)
		return CE_UP_BADRESP;
	u = json_is_false(json_object_get(j, "success")) ? CE_UP_INVALID :
	    CE_UP_OK;
	json_decref(j);
	return u;
}

/*
 * {"data":[lead, ...],"meta":{"total":N,…}}: the ids in the order given
 * (newest first) in lower case, each with its phone normalised (phone, else phone2)
 * and its created_at; the total when meta has it.
 */
static enum ce_up
parse_list(struct cx_app *app, const struct cx_http_req *r,
    struct ce_lead_list *ls)
{
	const json_t	*data, *d, *cust, *total;
	json_t		*j;
	char		 raw[64];
	size_t		 i;
	enum ce_up	 u = CE_UP_BADRESP;

	ls->total = -1;
	if (r->status != 200)
		return CE_UP_BADRESP;
	if ((j = parse_body(app, r)) == NULL)
		return CE_UP_BADRESP;
	data = json_object_get(j, "data");
	if (json_is_array(data)) {
		for (i = 0; i < json_array_size(data) && ls->n < CE_LIST_MAX;
		    i++) {
			d = json_array_get(data, i);
			/* Lower case, as the store and sql/0016 want it. */
			jcopy(raw, sizeof(raw), json_object_get(d, "id"));
			if (!ce_lead_id_norm(raw, ls->id[ls->n]))
				continue;
			cust = jpath(d, "attributes", "customer");
			jcopy(raw, sizeof(raw), json_object_get(cust, "phone"));
			if (ce_phone_normalize(raw, ls->phone[ls->n]) == -1) {
				jcopy(raw, sizeof(raw),
				    json_object_get(cust, "phone2"));
				if (ce_phone_normalize(raw,
				    ls->phone[ls->n]) == -1)
					ls->phone[ls->n][0] = '\0';
			}
			jcopy(ls->created[ls->n], sizeof(ls->created[0]),
			    jpath(d, "attributes", "created_at"));
			ls->n++;
		}
		total = jpath(j, "meta", "total");
		if (json_is_integer(total) && json_integer_value(total) >= 0)
			ls->total = json_integer_value(total);
		u = CE_UP_OK;
	}
	json_decref(j);
	return u;
}

static enum ce_up
interpret(struct cx_app *app, struct ce_call *c, const struct cx_http_req *r)
{
	enum ce_up	 u;

	/*
	 * A note C2S answered with a 2xx is posted, whatever became of the
	 * rest of the answer (cut short, oversized): never post it again.
	 */
	if (c->kind == CE_CALL_C2S_MESSAGE && r->status >= 200 &&
	    r->status < 300)
		return CE_UP_OK;
	/* Its answer, whatever it is, is shown to the operator. */
	if (c->kind == CE_CALL_C2S_HOOK && r->res == CX_HTTP_OK)
		return parse_hook(app, r, c);
	if ((u = classify_http(r)) != CE_UP_OK) {
		if (u == CE_UP_DOWN && (r->status == 401 || r->status == 403))
			cx_logf(&app->log, CE_LOG_ERROR,
			    "%s %s: credentials refused "
			    "(status %ld)", r->api, r->log_path, r->status);
		return u;
	}
	switch (c->kind) {
	case CE_CALL_C2S_LEAD:
		return parse_lead(app, r, &c->lead);
	case CE_CALL_C2S_MESSAGE:
		if (r->status >= 200 && r->status < 300)
			return CE_UP_OK;
		return r->status == 404 ? CE_UP_NOTFOUND : CE_UP_DOWN;
	case CE_CALL_DX_PHONE:
	case CE_CALL_DX_EMAIL:
		return parse_diretrix(app, r, &c->cands);
	case CE_CALL_WORK_CPF:
		return parse_work_cpf(app, r, c);
	case CE_CALL_WORK_PHONE:
		return parse_work_phone(app, r, c);
	case CE_CALL_C2S_CREATE:
		return parse_created(app, r, &c->lead);
	case CE_CALL_C2S_LIST:
		return parse_list(app, r, &c->list);
	case CE_CALL_C2S_HOOK:
		return parse_hook(app, r, c);
	case CE_CALL_WORK_MODULE:
		return parse_work_module(app, r, c);
	default:
		return CE_UP_INVALID;
	}
}

/*
 * Classify "len" bytes of "body" answered with HTTP "status" as the
 * answer to call "c" (c->kind set), filling its results as a real call
 * would; no network.  For the fuzz drivers and the parsers' tests.  The
 * caller frees c->dossier with ce_dossier_free().
 */
enum ce_up
cx_upstream_parse(struct cx_app *app, struct ce_call *c, long status,
    const char *body, size_t len)
{
	struct cx_http_req	 r;
	enum ce_up		 u;

	memset(&c->lead, 0, sizeof(c->lead));
	memset(&c->cands, 0, sizeof(c->cands));
	memset(&c->dossier, 0, sizeof(c->dossier));
	memset(&c->list, 0, sizeof(c->list));
	c->api_status = 0;
	cx_http_req_init(&r, "fuzz", "GET");
	ce_strlcpy(r.log_path, "/fuzz", sizeof(r.log_path));
	r.res = CX_HTTP_OK;
	r.status = status;
	if (ce_buf_append(&r.resp, body, len) != CE_OK)
		r.res = CX_HTTP_TOOBIG;
	u = (unsigned)c->kind < CE_CALL__MAX ? interpret(app, c, &r) :
	    CE_UP_INVALID;
	cx_http_req_free(&r);
	return u;
}

/* Clear what a run of call "c" fills. */
static void
call_reset(struct ce_call *c)
{
	memset(&c->lead, 0, sizeof(c->lead));
	memset(&c->cands, 0, sizeof(c->cands));
	memset(&c->dossier, 0, sizeof(c->dossier));
	memset(&c->list, 0, sizeof(c->list));
	c->status = 0;
	c->api_status = 0;
	c->unanswered = 0;
	c->attempts = 0;
	c->elapsed_us = 0;
	c->res = CE_UP_INVALID;
}

/*
 * Reset call "c" and make its request "r": built ("auth" holds its
 * header line, "*body" a note's JSON for the caller to free), past its
 * breaker, and given a Work API slot before "deadline_us".  Returns 1 to
 * run it, or 0 when it is not run: "c->res" says why, "r->state" is -1.
 */
static int
call_prepare(struct cx_app *app, struct ce_call *c, struct cx_http_req *r,
    char *auth, size_t authsz, char **body, long long deadline_us)
{
	long long	 wait_ms;
	enum ce_err	 er;

	call_reset(c);
	cx_http_req_init(r, "none", "GET");
	er = (unsigned)c->kind < CE_CALL__MAX ?
	    build(&app->cfg, c, r, auth, authsz) : CE_EINPUT;
	if (er == CE_OK && c->kind == CE_CALL_C2S_MESSAGE) {
		if ((*body = message_body(c)) == NULL)
			er = CE_ENOMEM;
		else {
			r->body = *body;
			r->bodylen = strlen(*body);
		}
	}
	if (er != CE_OK) {
		c->res = er == CE_EINPUT ? CE_UP_INVALID : CE_UP_DOWN;
		goto refused;
	}
	/* An upstream whose breaker is open is not called at all. */
	if (!cx_brk_allow(&app->brk, cx_callkinds[c->kind].brk)) {
		cx_logf(&app->log, CE_LOG_WARN, "%s %s: breaker open, "
		    "not called", r->api, r->log_path);
		c->res = CE_UP_DOWN;
		goto refused;
	}
	/* A Work API slot before the deadline, or no call. */
	if (cx_callkinds[c->kind].spaced) {
		wait_ms = cx_pace_reserve(app,
		    (deadline_us - cx_now_us()) / 1000 - 1);
		if (wait_ms < 0) {
			cx_logf(&app->log, CE_LOG_WARN, "%s %s: no slot before "
			    "the deadline", r->api, r->log_path);
			c->res = CE_UP_DEADLINE;
			goto refused;
		}
		if (wait_ms > 0)
			r->not_before_us = cx_now_us() + wait_ms * 1000;
	}
	return 1;
refused:
	r->state = -1;
	return 0;
}

/*
 * What request "r" of call "c" came to, "er" being how the run went:
 * the call's status and result, the breaker, metrics and a debug line.
 */
static void
call_finish(struct cx_app *app, struct ce_call *c,
    const struct cx_http_req *r, enum ce_err er)
{
	c->status = r->status;
	c->unanswered = r->status == 0 && r->attempts > 0 &&
	    !(r->res == CX_HTTP_NETWORK && r->not_sent);
	c->attempts = r->attempts;
	c->elapsed_us = r->elapsed_us;
	c->res = er != CE_OK ? CE_UP_DOWN : interpret(app, c, r);
	/* The deadline says nothing of the upstream; the rest does. */
	if (c->res != CE_UP_DEADLINE)
		cx_brk_result(&app->brk, cx_callkinds[c->kind].brk,
		    c->res != CE_UP_DOWN && c->res != CE_UP_BADRESP);
	cx_mtab_upstream(&app->mtab, c->kind, c->res, r->elapsed_us);
	cx_logf(&app->log, CE_LOG_DEBUG, "%s %s: %s (status %ld, %d "
	    "attempts, %lld ms)", r->api, r->log_path, ce_up_name(c->res),
	    r->status, r->attempts, r->elapsed_us / 1000);
}

void
cx_upstream_run(struct cx_app *app, struct ce_call *calls, size_t n,
    long long deadline_us)
{
	struct cx_http_req	 reqs[CX_HTTP_MAXPAR];
	struct cx_http_req	*run[CX_HTTP_MAXPAR];
	char			 auth[CX_HTTP_MAXPAR][CE_SECRET_MAX + 32];
	char			*bodies[CX_HTTP_MAXPAR];
	size_t			 i, nrun = 0;
	enum ce_err		 er;

	memset(bodies, 0, sizeof(bodies));
	if (n > CX_HTTP_MAXPAR)
		n = CX_HTTP_MAXPAR;	/* callers never batch more */
	for (i = 0; i < n; i++)
		if (call_prepare(app, &calls[i], &reqs[i], auth[i],
		    sizeof(auth[i]), &bodies[i], deadline_us))
			run[nrun++] = &reqs[i];
	if (nrun > 0 && app->http == NULL &&
	    (app->http = cx_http_open(&app->cfg, &app->log)) == NULL)
		er = CE_ENOMEM;
	else
		er = nrun > 0 ? cx_http_run(app->http, run, nrun, deadline_us) :
		    CE_OK;
	for (i = 0; i < n; i++) {
		if (reqs[i].state != -1)
			call_finish(app, &calls[i], &reqs[i], er);
		cx_http_req_free(&reqs[i]);
		free(bodies[i]);
	}
}

/*
 * Did the upstream surely not act on unsafe call "c" (a POST that creates
 * something)?  A refusal (4xx), a 429 or 503 after the retries, or a
 * connection never made.  Anything else (a 5xx, no answer, a 2xx without
 * what was expected) may have created it.
 */
int
cx_call_refused(const struct ce_call *c)
{
	if (c->status == 0)
		return !c->unanswered;
	return (c->status >= 400 && c->status < 500) || c->status == 503;
}

enum ce_up
cx_upstream_one(struct cx_app *app, struct ce_call *c, long long deadline_us)
{
	cx_upstream_run(app, c, 1, deadline_us);
	return c->res;
}
