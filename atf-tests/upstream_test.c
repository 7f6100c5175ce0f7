/*
 * upstream_test.c -- the C2S, Diretrix and Work API clients against the
 * running simulator (config variable sim_url): every contract path, every
 * fault marker mapped to its classification, timeouts and the deadline
 * bounding a call, retries counted by the simulator, parallel calls taking
 * the time of the slower one, lenient parsing, and no secret in the log.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>
#include <curl/curl.h>
#include <jansson.h>

#include "c2s-enrich.h"
#include "core/brid.h"
#include "core/clock.h"

#define SIM_C2S_TOKEN	"sim-c2s-token"
#define SIM_DX_USER	"sim"
#define SIM_DX_PASS	"sim-pass"
#define SIM_WORK_TOKEN	"sim-work-token"

static const char *sim;	/* base URL */

/* ---- talking to the simulator's observation endpoints ---- */

static size_t
collect(char *d, size_t s, size_t n, void *arg)
{
	struct ce_buf *b = arg;

	return ce_buf_append(b, d, s * n) == CE_OK ? s * n : 0;
}

/* GET or POST "path" of the simulator; returns the parsed JSON body. */
static json_t *
sim_json(const char *method, const char *path)
{
	struct ce_buf	 b;
	char		 url[512];
	CURL		*e;
	json_t		*j;
	long		 st = 0;

	ce_buf_init(&b, 8 * 1024 * 1024);
	snprintf(url, sizeof(url), "%s%s", sim, path);
	ATF_REQUIRE((e = curl_easy_init()) != NULL);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 10L);
	if (strcmp(method, "POST") == 0)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
	ATF_REQUIRE_EQ_MSG(curl_easy_perform(e), CURLE_OK, "%s", url);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &st);
	curl_easy_cleanup(e);
	ATF_REQUIRE_EQ_MSG(st, 200, "%s: status %ld", url, st);
	j = json_loadb(b.data, b.len, 0, NULL);
	ATF_REQUIRE_MSG(j != NULL, "%s: not JSON", url);
	ce_buf_free(&b);
	return j;
}

static void
sim_reset(void)
{
	json_decref(sim_json("POST", "/__sim/reset"));
}

/* Calls the simulator recorded for "api" (all paths). */
static long long
sim_calls(const char *api)
{
	json_t		*j = sim_json("GET", "/__sim/calls");
	long long	 n;

	n = json_integer_value(json_object_get(json_object_get(j, "by_api"),
	    api));
	json_decref(j);
	return n;
}

struct truth {
	char	 id[33];
	char	 variant[32];
	char	 phone[64];
	char	 email[256];
	char	 cpf[16];	/* phone person's */
	char	 name[256];
	char	 email_cpf[16];
};

static void
copy(char *dst, size_t sz, json_t *v)
{
	ce_strlcpy(dst, json_is_string(v) ? json_string_value(v) : "", sz);
}

static void
truth_of(const char *id, struct truth *t)
{
	char	 path[128];
	json_t	*j, *p;

	snprintf(path, sizeof(path), "/__sim/truth/%s", id);
	j = sim_json("GET", path);
	memset(t, 0, sizeof(*t));
	ce_strlcpy(t->id, id, sizeof(t->id));
	copy(t->variant, sizeof(t->variant), json_object_get(j, "variant"));
	copy(t->phone, sizeof(t->phone), json_object_get(j, "phone"));
	copy(t->email, sizeof(t->email), json_object_get(j, "email"));
	p = json_object_get(j, "phone_person");
	copy(t->cpf, sizeof(t->cpf), json_object_get(p, "cpf"));
	copy(t->name, sizeof(t->name), json_object_get(p, "name"));
	p = json_object_get(j, "email_person");
	copy(t->email_cpf, sizeof(t->email_cpf), json_object_get(p, "cpf"));
	json_decref(j);
}

/* The first lead id of the form %032x whose variant is "variant". */
static void
find_lead(const char *variant, struct truth *t)
{
	char	 id[33];
	int	 i;

	for (i = 1; i < 2000; i++) {
		snprintf(id, sizeof(id), "%032x", i * 7919);
		truth_of(id, t);
		if (strcmp(t->variant, variant) == 0)
			return;
	}
	atf_tc_fail("no lead of variant %s", variant);
}

/* National digits of a phone as written in a lead. */
static void
digits(const char *in, char *out, size_t sz)
{
	size_t	 n = 0;

	for (; *in != '\0' && n + 1 < sz; in++)
		if (*in >= '0' && *in <= '9')
			out[n++] = *in;
	out[n] = '\0';
	if (n >= 12 && strncmp(out, "55", 2) == 0)
		memmove(out, out + 2, n - 1);
}

/* ---- the context under test ---- */

static struct ce_ctx *
ctx_sim(const atf_tc_t *tc, long long timeout_ms, long long deadline_ms)
{
	struct ce_config	 cfg;
	struct ce_ctx		*ctx;

	sim = atf_tc_get_config_var(tc, "sim_url");
	ce_config_defaults(&cfg);
	ce_strlcpy(cfg.c2s_base_url, sim, sizeof(cfg.c2s_base_url));
	ce_strlcpy(cfg.diretrix_base_url, sim, sizeof(cfg.diretrix_base_url));
	ce_strlcpy(cfg.work_api_url, sim, sizeof(cfg.work_api_url));
	ce_strlcpy(cfg.c2s_token, SIM_C2S_TOKEN, sizeof(cfg.c2s_token));
	ce_strlcpy(cfg.diretrix_user, SIM_DX_USER, sizeof(cfg.diretrix_user));
	ce_strlcpy(cfg.diretrix_pass, SIM_DX_PASS, sizeof(cfg.diretrix_pass));
	ce_strlcpy(cfg.work_api_token, SIM_WORK_TOKEN,
	    sizeof(cfg.work_api_token));
	cfg.upstream_timeout_ms = timeout_ms;
	cfg.upstream_connect_timeout_ms = timeout_ms < 3000 ? timeout_ms : 3000;
	cfg.request_deadline_ms = deadline_ms;
	cfg.log_level = CE_LOG_DEBUG;
	cfg.work_api_min_interval_ms = 0;	/* the simulator's, as stack.sh */
	ATF_REQUIRE((ctx = ce_ctx_new(&cfg)) != NULL);
	{
		int fd = open("log", O_WRONLY | O_CREAT | O_APPEND, 0600);

		ATF_REQUIRE(fd >= 0);
		ce_ctx_set_logfd(ctx, fd);
	}
	return ctx;
}

static enum ce_up
one(struct ce_ctx *ctx, struct ce_call *c, enum ce_call_kind k,
    const char *arg, const char *arg2)
{
	memset(c, 0, sizeof(*c));
	c->kind = k;
	c->arg = arg;
	c->arg2 = arg2;
	return ce_upstream_one(ctx, c, ce_deadline(ctx));
}

#define HEAD(name, what)						\
	ATF_TC_HEAD(name, tc)						\
	{								\
		atf_tc_set_md_var(tc, "descr", what);			\
		atf_tc_set_md_var(tc, "require.config", "sim_url");	\
		atf_tc_set_md_var(tc, "timeout", "60");			\
	}

/* ---- contract paths ---- */

ATF_TC(c2s_lead__parsed);
HEAD(c2s_lead__parsed, "a lead is read and parsed, accents intact")
ATF_TC_BODY(c2s_lead__parsed, tc)
{
	struct ce_ctx	*ctx = ctx_sim(tc, 5000, 20000);
	struct ce_call	 c;
	struct truth	 t;

	find_lead("normal", &t);
	ATF_REQUIRE_EQ(one(ctx, &c, CE_CALL_C2S_LEAD, t.id, NULL), CE_UP_OK);
	ATF_CHECK_STREQ(c.lead.id, t.id);
	ATF_CHECK(strlen(c.lead.name) > 3);
	{
		char n[16];

		/* The lead writes it as people do; truth has the digits. */
		ATF_REQUIRE_EQ_MSG(ce_phone_normalize(c.lead.phone, n), 0,
		    "%s", c.lead.phone);
		ATF_CHECK_STREQ(n, t.phone);
	}
	ATF_CHECK_STREQ(c.lead.email, t.email);
	ATF_CHECK(strlen(c.lead.created_at) > 0);
	ATF_CHECK_EQ(c.attempts, 1);
	ce_ctx_free(ctx);
}

ATF_TC(c2s_lead__nulls_are_absent);
HEAD(c2s_lead__nulls_are_absent, "null or missing customer fields parse "
    "as empty, not as errors")
ATF_TC_BODY(c2s_lead__nulls_are_absent, tc)
{
	struct ce_ctx	*ctx = ctx_sim(tc, 5000, 20000);
	struct ce_call	 c;
	struct truth	 t;

	find_lead("null_email", &t);
	ATF_REQUIRE_EQ(one(ctx, &c, CE_CALL_C2S_LEAD, t.id, NULL), CE_UP_OK);
	ATF_CHECK_STREQ(c.lead.email, "");
	ATF_CHECK(c.lead.phone[0] != '\0');
	find_lead("missing_phone", &t);
	ATF_REQUIRE_EQ(one(ctx, &c, CE_CALL_C2S_LEAD, t.id, NULL), CE_UP_OK);
	ATF_CHECK_STREQ(c.lead.phone, "");
	ATF_CHECK(c.lead.email[0] != '\0');
	find_lead("null_name", &t);
	ATF_REQUIRE_EQ(one(ctx, &c, CE_CALL_C2S_LEAD, t.id, NULL), CE_UP_OK);
	ATF_CHECK_STREQ(c.lead.name, "");
	ce_ctx_free(ctx);
}

ATF_TC(c2s_lead__bad_id_never_sent);
HEAD(c2s_lead__bad_id_never_sent, "an id that is not 32 hex characters is "
    "refused before any URL is built")
ATF_TC_BODY(c2s_lead__bad_id_never_sent, tc)
{
	static const char *const bad[] = {
		"", "abc", "0123456789abcdef0123456789abcdeg",
		"0123456789abcdef0123456789abcdef0", "../../../../etc/passwd",
		"0123456789abcdef/123456789abcdef", "%2e%2e",
	};
	struct ce_ctx	*ctx = ctx_sim(tc, 5000, 20000);
	struct ce_call	 c;
	size_t		 i;

	sim_reset();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ATF_CHECK_EQ_MSG(one(ctx, &c, CE_CALL_C2S_LEAD, bad[i], NULL),
		    CE_UP_INVALID, "'%s'", bad[i]);
		ATF_CHECK_EQ(one(ctx, &c, CE_CALL_C2S_MESSAGE, bad[i], "x"),
		    CE_UP_INVALID);
	}
	ATF_CHECK_EQ(sim_calls("c2s"), 0);
	ce_ctx_free(ctx);
}

ATF_TC(c2s_message__posted_as_written);
HEAD(c2s_message__posted_as_written, "create_message posts the note, "
    "accents, quotes and line breaks intact")
ATF_TC_BODY(c2s_message__posted_as_written, tc)
{
	static const char note[] = "✅ DADOS PESSOAIS\nNome: JOÃO \"ARAÚJO\"\n"
	    "💰 Renda: R$ 16.150,95";
	struct ce_ctx	*ctx = ctx_sim(tc, 5000, 20000);
	struct ce_call	 c;
	json_t		*j;
	char		 path[128];
	const char	*id = "00000000000000000000000000000abc";

	sim_reset();
	ATF_REQUIRE_EQ(one(ctx, &c, CE_CALL_C2S_MESSAGE, id, note), CE_UP_OK);
	snprintf(path, sizeof(path), "/__sim/notes?lead=%s", id);
	j = sim_json("GET", path);
	ATF_REQUIRE_EQ(json_array_size(json_object_get(j, "notes")), 1);
	ATF_CHECK_STREQ(json_string_value(json_array_get(json_object_get(j,
	    "notes"), 0)), note);
	json_decref(j);
	ce_ctx_free(ctx);
}

ATF_TC(c2s_create_and_list);
HEAD(c2s_create_and_list, "a lead is created (its id returned) and the "
    "newest leads are listed")
ATF_TC_BODY(c2s_create_and_list, tc)
{
	static const char body[] = "{\"data\":{\"type\":\"lead\","
	    "\"attributes\":{\"name\":\"Conceição Magalhães\","
	    "\"description\":\"Google Ads\",\"type_negotiation\":\"Compra\","
	    "\"source\":\"Google Ads\",\"phone\":\"11987654321\"}}}";
	struct ce_ctx	*ctx = ctx_sim(tc, 5000, 20000);
	struct ce_call	 c;
	char		 first[33];
	size_t		 i;

	ATF_REQUIRE_EQ(one(ctx, &c, CE_CALL_C2S_CREATE, body, NULL),
	    CE_UP_OK);
	ATF_CHECK(ce_lead_id_valid(c.lead.id));
	ce_strlcpy(first, c.lead.id, sizeof(first));
	/* The same form twice is the same id: creation is deterministic. */
	ATF_REQUIRE_EQ(one(ctx, &c, CE_CALL_C2S_CREATE, body, NULL),
	    CE_UP_OK);
	ATF_CHECK_STREQ(c.lead.id, first);

	ATF_REQUIRE_EQ(one(ctx, &c, CE_CALL_C2S_LIST, "10", NULL), CE_UP_OK);
	ATF_CHECK_EQ(c.list.n, 10);
	for (i = 0; i < c.list.n; i++)
		ATF_CHECK(ce_lead_id_valid(c.list.id[i]));
	ATF_CHECK_EQ(one(ctx, &c, CE_CALL_C2S_LIST, "51", NULL),
	    CE_UP_INVALID);
	ATF_CHECK_EQ(one(ctx, &c, CE_CALL_C2S_LIST, "x", NULL),
	    CE_UP_INVALID);
	ce_ctx_free(ctx);
}

ATF_TC(diretrix__phone_and_email);
HEAD(diretrix__phone_and_email, "Diretrix by phone and by e-mail find the "
    "lead's person, CPF check digits verified")
ATF_TC_BODY(diretrix__phone_and_email, tc)
{
	struct ce_ctx	*ctx = ctx_sim(tc, 5000, 20000);
	struct ce_call	 c;
	struct truth	 t;
	char		 ph[32];

	find_lead("normal", &t);
	digits(t.phone, ph, sizeof(ph));
	ATF_REQUIRE_EQ(one(ctx, &c, CE_CALL_DX_PHONE, ph, NULL), CE_UP_OK);
	ATF_REQUIRE(c.cands.n >= 1);
	ATF_CHECK_STREQ(c.cands.c[0].cpf, t.cpf);
	ATF_CHECK_STREQ(c.cands.c[0].name, t.name);
	ATF_CHECK(ce_cpf_valid(c.cands.c[0].cpf));
	ATF_REQUIRE_EQ(one(ctx, &c, CE_CALL_DX_EMAIL, t.email, NULL),
	    CE_UP_OK);
	ATF_CHECK_STREQ(c.cands.c[0].cpf, t.cpf);
	ce_ctx_free(ctx);
}

ATF_TC(diretrix__several_candidates);
HEAD(diretrix__several_candidates, "all Diretrix candidates come back, the "
    "right one not first")
ATF_TC_BODY(diretrix__several_candidates, tc)
{
	struct ce_ctx	*ctx = ctx_sim(tc, 5000, 20000);
	struct ce_call	 c;
	struct truth	 t;
	char		 ph[32];
	size_t		 i, at = 99;

	find_lead("multi", &t);
	digits(t.phone, ph, sizeof(ph));
	ATF_REQUIRE_EQ(one(ctx, &c, CE_CALL_DX_PHONE, ph, NULL), CE_UP_OK);
	ATF_REQUIRE(c.cands.n >= 2);
	for (i = 0; i < c.cands.n; i++)
		if (strcmp(c.cands.c[i].cpf, t.cpf) == 0)
			at = i;
	ATF_CHECK_MSG(at != 99 && at > 0, "right candidate at %zu", at);
	ce_ctx_free(ctx);
}

ATF_TC(diretrix__nobody_not_found);
HEAD(diretrix__nobody_not_found, "a phone and e-mail of nobody are not "
    "found, not an error")
ATF_TC_BODY(diretrix__nobody_not_found, tc)
{
	struct ce_ctx	*ctx = ctx_sim(tc, 5000, 20000);
	struct ce_call	 c;
	struct truth	 t;
	char		 ph[32];

	find_lead("no_cpf", &t);
	digits(t.phone, ph, sizeof(ph));
	ATF_CHECK_EQ(one(ctx, &c, CE_CALL_DX_PHONE, ph, NULL), CE_UP_NOTFOUND);
	ATF_CHECK_EQ(one(ctx, &c, CE_CALL_DX_EMAIL, t.email, NULL),
	    CE_UP_NOTFOUND);
	ATF_CHECK_EQ(one(ctx, &c, CE_CALL_WORK_PHONE, ph, NULL),
	    CE_UP_NOTFOUND);
	ce_ctx_free(ctx);
}

ATF_TC(work_cpf__dossier);
HEAD(work_cpf__dossier, "the Work API dossier is parsed and kept raw")
ATF_TC_BODY(work_cpf__dossier, tc)
{
	struct ce_ctx	*ctx = ctx_sim(tc, 5000, 20000);
	struct ce_call	 c;
	struct truth	 t;
	json_t		*j;

	find_lead("normal", &t);
	ATF_REQUIRE_EQ(one(ctx, &c, CE_CALL_WORK_CPF, t.cpf, NULL), CE_UP_OK);
	ATF_CHECK_STREQ(c.dossier.name, t.name);
	ATF_CHECK(strlen(c.dossier.birth) == 10);
	ATF_CHECK(strchr(c.dossier.income, ',') != NULL);
	ATF_REQUIRE(c.dossier.raw != NULL);
	j = json_loads(c.dossier.raw, 0, NULL);
	ATF_REQUIRE(j != NULL);
	ATF_CHECK(json_is_object(json_object_get(j, "DadosEconomicos")));
	ATF_CHECK(json_array_size(json_object_get(j, "enderecos")) >= 1);
	json_decref(j);
	ce_dossier_free(&c.dossier);
	ce_ctx_free(ctx);
}

ATF_TC(work_cpf__not_found_in_200);
HEAD(work_cpf__not_found_in_200, "a 404 inside a 200 body is not found, and "
    "no dossier is kept")
ATF_TC_BODY(work_cpf__not_found_in_200, tc)
{
	struct ce_ctx	*ctx = ctx_sim(tc, 5000, 20000);
	struct ce_call	 c;
	struct truth	 t;

	find_lead("no_dossier", &t);
	ATF_CHECK_EQ(one(ctx, &c, CE_CALL_WORK_CPF, t.cpf, NULL),
	    CE_UP_NOTFOUND);
	ATF_CHECK_EQ(c.status, 200);
	ATF_CHECK(c.dossier.raw == NULL);
	ATF_CHECK_EQ(one(ctx, &c, CE_CALL_WORK_CPF, "12345678900", NULL),
	    CE_UP_INVALID);
	ce_ctx_free(ctx);
}

ATF_TC(work_phone__padded_cpf_and_cnpj);
HEAD(work_phone__padded_cpf_and_cnpj, "the phone module's zero-padded CPF is "
    "unpadded and its CNPJ dropped")
ATF_TC_BODY(work_phone__padded_cpf_and_cnpj, tc)
{
	struct ce_ctx	*ctx = ctx_sim(tc, 5000, 20000);
	struct ce_call	 c;
	struct truth	 t;
	char		 ph[32];

	find_lead("padded", &t);
	digits(t.phone, ph, sizeof(ph));
	ATF_REQUIRE_EQ(one(ctx, &c, CE_CALL_WORK_PHONE, ph, NULL), CE_UP_OK);
	ATF_REQUIRE_EQ(c.cands.n, 1);
	ATF_CHECK_STREQ(c.cands.c[0].cpf, t.cpf);
	ATF_CHECK(c.cands.dropped >= 1);
	ce_ctx_free(ctx);
}

ATF_TC(work_module__any_module);
HEAD(work_module__any_module, "the generic Work API call asks any module "
    "and keeps the body as received; an empty list is not found; an "
    "unknown module or no consulta is never sent")
ATF_TC_BODY(work_module__any_module, tc)
{
	struct ce_ctx	*ctx = ctx_sim(tc, 5000, 20000);
	struct ce_call	 c;
	struct truth	 t;
	long long	 n0;

	find_lead("normal", &t);
	ATF_REQUIRE_EQ(one(ctx, &c, CE_CALL_WORK_MODULE, "cpf", t.cpf),
	    CE_UP_OK);
	ATF_REQUIRE(c.dossier.raw != NULL);
	ATF_CHECK(strstr(c.dossier.raw, "\"DadosBasicos\"") != NULL);
	ce_dossier_free(&c.dossier);
	ATF_REQUIRE_EQ(one(ctx, &c, CE_CALL_WORK_MODULE, "nome", t.name),
	    CE_UP_OK);
	ATF_REQUIRE(c.dossier.raw != NULL);
	/* Its homonyms (the first ten), all of that name. */
	ATF_CHECK(strstr(c.dossier.raw, t.name) != NULL);
	ce_dossier_free(&c.dossier);
	/* Nobody there: [] and a 404 inside a 200. */
	ATF_CHECK_EQ(one(ctx, &c, CE_CALL_WORK_MODULE, "cep", "01310100"),
	    CE_UP_NOTFOUND);
	ATF_CHECK(c.dossier.raw == NULL);
	ATF_CHECK_EQ(one(ctx, &c, CE_CALL_WORK_MODULE, "cnpj",
	    "11222333000181"), CE_UP_NOTFOUND);
	ATF_CHECK_EQ(c.api_status, 404);
	n0 = sim_calls("work");
	ATF_CHECK_EQ(one(ctx, &c, CE_CALL_WORK_MODULE, "rg", "123"),
	    CE_UP_INVALID);
	ATF_CHECK_EQ(one(ctx, &c, CE_CALL_WORK_MODULE, "nome", NULL),
	    CE_UP_INVALID);
	ATF_CHECK_EQ(one(ctx, &c, CE_CALL_WORK_MODULE, "nome", ""),
	    CE_UP_INVALID);
	ATF_CHECK_EQ(sim_calls("work"), n0);
	ce_ctx_free(ctx);
}

ATF_TC(work_module__bodies_classified);
HEAD(work_module__bodies_classified, "the generic Work API call classifies "
    "the error-in-200 bodies as the cpf module does, and empty lists as "
    "not found")
ATF_TC_BODY(work_module__bodies_classified, tc)
{
	static const struct {
		const char	*module;
		const char	*body;
		enum ce_up	 want;
		long		 api_status;
	} tab[] = {
		{ "cep", "[]", CE_UP_NOTFOUND, 0 },
		{ "cep", "[{\"nome\":\"A B\"}]", CE_UP_OK, 0 },
		{ "nome", "{\"msg\":[]}", CE_UP_NOTFOUND, 0 },
		{ "nome", "{\"msg\":[{\"cpf_cnpj\":\"1\"}]}", CE_UP_OK, 0 },
		{ "cnpj", "{\"status\":200,\"cnpj\":\"1\"}", CE_UP_OK, 0 },
		{ "cnpj", "{\"status\":404,\"reason\":\"x\"}",
		    CE_UP_NOTFOUND, 404 },
		{ "titulo", "{\"status\":\"404\"}", CE_UP_NOTFOUND, 404 },
		{ "mae", "{\"status\":403,\"reason\":\"x\"}", CE_UP_DOWN,
		    403 },
		{ "email", "{\"code\":429,\"message\":\"x\"}", CE_UP_DOWN,
		    429 },
		{ "cpf", "{\"status\":200}", CE_UP_BADRESP, 0 },
		{ "cpf", "{\"status\":200,\"DadosBasicos\":{}}", CE_UP_OK, 0 },
		{ "cep", "[", CE_UP_BADRESP, 0 },
		{ "cep", "\"x\"", CE_UP_BADRESP, 0 },
	};
	struct ce_ctx	*ctx = ctx_sim(tc, 5000, 20000);
	struct ce_call	 c;
	size_t		 i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		memset(&c, 0, sizeof(c));
		c.kind = CE_CALL_WORK_MODULE;
		c.arg = tab[i].module;
		c.arg2 = "x";
		ATF_CHECK_EQ_MSG(ce_upstream_parse(ctx, &c, 200, tab[i].body,
		    strlen(tab[i].body)), tab[i].want, "%s %s", tab[i].module,
		    tab[i].body);
		ATF_CHECK_EQ_MSG(c.api_status, tab[i].api_status, "%s",
		    tab[i].body);
		if (tab[i].want == CE_UP_OK)
			ATF_CHECK_STREQ(c.dossier.raw, tab[i].body);
		else
			ATF_CHECK(c.dossier.raw == NULL);
		ce_dossier_free(&c.dossier);
	}
	ce_ctx_free(ctx);
}

ATF_TC(c2s_list__ids_lower_case);
HEAD(c2s_list__ids_lower_case, "a listed lead id sent in upper case is "
    "kept in lower case, as the store wants it; an invalid one is skipped")
ATF_TC_BODY(c2s_list__ids_lower_case, tc)
{
	static const char body[] = "{\"data\":["
	    "{\"id\":\"0123456789ABCDEF0123456789abcdef\",\"attributes\":"
	    "{\"created_at\":\"2026-12-01T10:00:00-03:00\"}},"
	    "{\"id\":\"0123456789abcdef0123456789abcdefAB\"},"
	    "{\"id\":\"FEDCBA9876543210FEDCBA9876543210\"}],"
	    "\"meta\":{\"total\":3}}";
	struct ce_ctx	*ctx = ctx_sim(tc, 5000, 20000);
	struct ce_call	 c;

	memset(&c, 0, sizeof(c));
	c.kind = CE_CALL_C2S_LIST;
	ATF_REQUIRE_EQ(ce_upstream_parse(ctx, &c, 200, body, strlen(body)),
	    CE_UP_OK);
	ATF_REQUIRE_EQ(c.list.n, 2);
	ATF_CHECK_STREQ(c.list.id[0], "0123456789abcdef0123456789abcdef");
	ATF_CHECK_STREQ(c.list.id[1], "fedcba9876543210fedcba9876543210");
	ATF_CHECK_STREQ(c.list.created[0], "2026-12-01T10:00:00-03:00");
	ATF_CHECK_EQ(c.list.total, 3);
	ce_ctx_free(ctx);
}

/* ---- faults ---- */

/* The Diretrix phone marker for fault "code" (decimal in digits). */
static void
dx_marker(int code, char *ph, size_t sz)
{
	snprintf(ph, sz, "1199999%d0%02d", 1, code);
}

/* The Work API CPF marker for fault "code". */
static void
work_marker(int code, char *cpf, size_t sz)
{
	char	 base[10];
	int	 i, s, d1, d2;

	snprintf(base, sizeof(base), "9999990%02d", code);
	for (s = 0, i = 0; i < 9; i++)
		s += (base[i] - '0') * (10 - i);
	d1 = s * 10 % 11 % 10;
	for (s = 0, i = 0; i < 9; i++)
		s += (base[i] - '0') * (11 - i);
	s += d1 * 2;
	d2 = s * 10 % 11 % 10;
	snprintf(cpf, sz, "%s%d%d", base, d1, d2);
}

ATF_TC(faults__classified);
HEAD(faults__classified, "each fault marker maps to its classification, "
    "with retries only where they belong")
ATF_TC_BODY(faults__classified, tc)
{
	static const struct {
		enum ce_call_kind kind;
		int		 code;
		enum ce_up	 want;
		int		 attempts;	/* 0: do not check */
	} tab[] = {
		{ CE_CALL_DX_PHONE, 2, CE_UP_DOWN, 3 },		/* 503 */
		{ CE_CALL_DX_PHONE, 4, CE_UP_BADRESP, 1 },	/* malformed */
		{ CE_CALL_DX_PHONE, 5, CE_UP_DOWN, 3 },		/* truncated */
		{ CE_CALL_DX_PHONE, 8, CE_UP_DOWN, 3 },		/* 429 */
		{ CE_CALL_DX_PHONE, 9, CE_UP_BADRESP, 1 },	/* oversized */
		{ CE_CALL_DX_PHONE, 10, CE_UP_OK, 2 },		/* flaky */
		{ CE_CALL_DX_PHONE, 11, CE_UP_DOWN, 3 },	/* 500 HTML */
		{ CE_CALL_WORK_PHONE, 2, CE_UP_DOWN, 3 },
		{ CE_CALL_WORK_CPF, 2, CE_UP_DOWN, 3 },
		{ CE_CALL_WORK_CPF, 4, CE_UP_BADRESP, 1 },
		{ CE_CALL_WORK_CPF, 6, CE_UP_DOWN, 1 },		/* 403 in 200 */
		{ CE_CALL_WORK_CPF, 7, CE_UP_DOWN, 1 },		/* credits */
		{ CE_CALL_WORK_CPF, 9, CE_UP_BADRESP, 1 },
		{ CE_CALL_WORK_CPF, 10, CE_UP_OK, 2 },
	};
	struct ce_ctx	*ctx = ctx_sim(tc, 5000, 20000);
	struct ce_call	 c;
	char		 arg[32];
	size_t		 i;
	long long	 before;
	const char	*api;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		sim_reset();
		if (tab[i].kind == CE_CALL_WORK_CPF)
			work_marker(tab[i].code, arg, sizeof(arg));
		else
			dx_marker(tab[i].code, arg, sizeof(arg));
		api = tab[i].kind == CE_CALL_DX_PHONE ? "diretrix" : "work";
		before = sim_calls(api);
		ATF_CHECK_EQ_MSG(one(ctx, &c, tab[i].kind, arg, NULL),
		    tab[i].want, "kind %d code %d: %s", tab[i].kind,
		    tab[i].code, ce_up_name(c.res));
		if (tab[i].attempts != 0) {
			ATF_CHECK_EQ_MSG(c.attempts, tab[i].attempts,
			    "kind %d code %d: %d attempts", tab[i].kind,
			    tab[i].code, c.attempts);
			/* The simulator saw exactly those attempts. */
			ATF_CHECK_EQ_MSG(sim_calls(api) - before,
			    tab[i].attempts, "kind %d code %d: simulator",
			    tab[i].kind, tab[i].code);
		}
		ce_dossier_free(&c.dossier);
	}
	ce_ctx_free(ctx);
}

ATF_TC(faults__c2s);
HEAD(faults__c2s, "C2S faults on the lead and on create_message; a 2xx "
    "to create_message cut short or oversized is a posted note")
ATF_TC_BODY(faults__c2s, tc)
{
	struct ce_ctx	*ctx = ctx_sim(tc, 5000, 20000);
	struct ce_call	 c;

	ATF_CHECK_EQ(one(ctx, &c, CE_CALL_C2S_LEAD,
	    "fa17c202000000000000000000000000", NULL), CE_UP_DOWN);
	ATF_CHECK_EQ(c.attempts, 3);
	ATF_CHECK_EQ(one(ctx, &c, CE_CALL_C2S_LEAD,
	    "fa17c204000000000000000000000000", NULL), CE_UP_BADRESP);
	ATF_CHECK_EQ(one(ctx, &c, CE_CALL_C2S_LEAD,
	    "fa17cc02000000000000000000000000", NULL), CE_UP_OK);
	ATF_CHECK_EQ(one(ctx, &c, CE_CALL_C2S_MESSAGE,
	    "fa17cc02000000000000000000000000", "nota"), CE_UP_DOWN);
	/* A 2xx is a posted note, whatever became of the rest. */
	ATF_CHECK_EQ(one(ctx, &c, CE_CALL_C2S_MESSAGE,
	    "fa17cc05000000000000000000000000", "nota"), CE_UP_OK);
	ATF_CHECK_EQ(one(ctx, &c, CE_CALL_C2S_MESSAGE,
	    "fa17cc09000000000000000000000000", "nota"), CE_UP_OK);
	ce_ctx_free(ctx);
}

ATF_TC(timeout__bounded);
HEAD(timeout__bounded, "a hanging upstream costs UPSTREAM_TIMEOUT, not more, "
    "and a timeout is not retried")
ATF_TC_BODY(timeout__bounded, tc)
{
	struct ce_ctx	*ctx = ctx_sim(tc, 1000, 20000);
	struct ce_call	 c;
	char		 ph[32];
	long long	 t0, ms;

	dx_marker(3, ph, sizeof(ph));
	t0 = ce_now_us();
	ATF_CHECK_EQ(one(ctx, &c, CE_CALL_DX_PHONE, ph, NULL), CE_UP_DOWN);
	ms = (ce_now_us() - t0) / 1000;
	printf("hang took %lld ms\n", ms);
	ATF_CHECK_MSG(ms >= 900 && ms < 1600, "took %lld ms", ms);
	ATF_CHECK_EQ(c.attempts, 1);
	ce_ctx_free(ctx);
}

ATF_TC(deadline__bounds_every_call);
HEAD(deadline__bounds_every_call, "the request's deadline cuts a call short "
    "of UPSTREAM_TIMEOUT and says so")
ATF_TC_BODY(deadline__bounds_every_call, tc)
{
	struct ce_ctx	*ctx = ctx_sim(tc, 15000, 1200);
	struct ce_call	 c;
	char		 ph[32];
	long long	 t0, ms;

	dx_marker(3, ph, sizeof(ph));
	t0 = ce_now_us();
	ATF_CHECK_EQ(one(ctx, &c, CE_CALL_DX_PHONE, ph, NULL), CE_UP_DEADLINE);
	ms = (ce_now_us() - t0) / 1000;
	ATF_CHECK_MSG(ms >= 1100 && ms < 1800, "took %lld ms", ms);
	ce_ctx_free(ctx);
}

ATF_TC(parallel__slowest_not_sum);
HEAD(parallel__slowest_not_sum, "two slow calls in one batch take about the "
    "time of the slower one")
ATF_TC_BODY(parallel__slowest_not_sum, tc)
{
	struct ce_ctx	*ctx = ctx_sim(tc, 5000, 20000);
	struct ce_call	 c[2];
	char		 ph[32], em[64], cpf[16];
	long long	 t0, ms;

	/* Fault 01: each answer is delayed by SIM_FAULT_LATENCY_MS (2 s). */
	dx_marker(1, ph, sizeof(ph));
	snprintf(em, sizeof(em), "fault-d1-01@example.invalid");
	memset(c, 0, sizeof(c));
	c[0].kind = CE_CALL_DX_PHONE;
	c[0].arg = ph;
	c[1].kind = CE_CALL_DX_EMAIL;
	c[1].arg = em;
	t0 = ce_now_us();
	ce_upstream_run(ctx, c, 2, ce_deadline(ctx));
	ms = (ce_now_us() - t0) / 1000;
	printf("two 2 s calls took %lld ms\n", ms);
	ATF_CHECK_MSG(c[0].elapsed_us >= 1900000 &&
	    c[1].elapsed_us >= 1900000, "each call was slow");
	ATF_CHECK_MSG(ms < 3000, "took %lld ms: serial, not parallel", ms);

	work_marker(1, cpf, sizeof(cpf));
	memset(c, 0, sizeof(c));
	c[0].kind = c[1].kind = CE_CALL_WORK_CPF;
	c[0].arg = cpf;
	c[1].arg = cpf;
	t0 = ce_now_us();
	ce_upstream_run(ctx, c, 2, ce_deadline(ctx));
	ms = (ce_now_us() - t0) / 1000;
	ATF_CHECK_MSG(ms < 3000, "Work API pair took %lld ms", ms);
	ce_dossier_free(&c[0].dossier);
	ce_dossier_free(&c[1].dossier);
	ce_ctx_free(ctx);
}

ATF_TC(auth__wrong_credentials);
HEAD(auth__wrong_credentials, "refused credentials are provider down, "
    "logged without the secret")
ATF_TC_BODY(auth__wrong_credentials, tc)
{
	struct ce_config	 cfg;
	struct ce_ctx		*ctx = ctx_sim(tc, 5000, 20000), *bad;
	struct ce_call		 c;
	struct truth		 t;
	char			 ph[32], log[65536];
	ssize_t			 n;
	int			 fd;

	find_lead("normal", &t);
	digits(t.phone, ph, sizeof(ph));
	cfg = *ce_ctx_config(ctx);
	ce_strlcpy(cfg.c2s_token, "wrong-c2s-secret", sizeof(cfg.c2s_token));
	ce_strlcpy(cfg.diretrix_pass, "wrong-dx-secret",
	    sizeof(cfg.diretrix_pass));
	ce_strlcpy(cfg.work_api_token, "wrong-work-secret",
	    sizeof(cfg.work_api_token));
	ATF_REQUIRE((bad = ce_ctx_new(&cfg)) != NULL);
	ATF_REQUIRE((fd = open("log", O_WRONLY | O_APPEND)) >= 0);
	ce_ctx_set_logfd(bad, fd);
	ATF_CHECK_EQ(one(bad, &c, CE_CALL_C2S_LEAD, t.id, NULL), CE_UP_DOWN);
	ATF_CHECK_EQ(c.status, 401);
	ATF_CHECK_EQ(one(bad, &c, CE_CALL_DX_PHONE, ph, NULL), CE_UP_DOWN);
	ATF_CHECK_EQ(c.status, 401);
	ATF_CHECK_EQ(one(bad, &c, CE_CALL_WORK_CPF, t.cpf, NULL), CE_UP_DOWN);
	/* The same calls, with good credentials, log too. */
	ATF_CHECK_EQ(one(ctx, &c, CE_CALL_WORK_CPF, t.cpf, NULL), CE_UP_OK);
	ce_dossier_free(&c.dossier);
	ATF_CHECK_EQ(one(ctx, &c, CE_CALL_DX_EMAIL, t.email, NULL), CE_UP_OK);
	ce_ctx_free(bad);
	ce_ctx_free(ctx);
	ATF_REQUIRE((fd = open("log", O_RDONLY)) >= 0);
	n = read(fd, log, sizeof(log) - 1);
	close(fd);
	ATF_REQUIRE(n > 0);
	log[n] = '\0';
	ATF_CHECK(strstr(log, "credentials refused") != NULL);
	ATF_CHECK_MSG(strstr(log, "secret") == NULL, "a secret was logged");
	ATF_CHECK_MSG(strstr(log, SIM_WORK_TOKEN) == NULL, "token logged");
	ATF_CHECK_MSG(strstr(log, SIM_DX_PASS) == NULL, "password logged");
	ATF_CHECK_MSG(strstr(log, t.cpf) == NULL, "a whole CPF was logged");
	ATF_CHECK_MSG(strstr(log, ph) == NULL, "a whole phone was logged");
	ATF_CHECK_MSG(strstr(log, t.email) == NULL, "an e-mail was logged");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, c2s_lead__parsed);
	ATF_TP_ADD_TC(tp, c2s_lead__nulls_are_absent);
	ATF_TP_ADD_TC(tp, c2s_lead__bad_id_never_sent);
	ATF_TP_ADD_TC(tp, c2s_message__posted_as_written);
	ATF_TP_ADD_TC(tp, c2s_create_and_list);
	ATF_TP_ADD_TC(tp, diretrix__phone_and_email);
	ATF_TP_ADD_TC(tp, diretrix__several_candidates);
	ATF_TP_ADD_TC(tp, diretrix__nobody_not_found);
	ATF_TP_ADD_TC(tp, work_cpf__dossier);
	ATF_TP_ADD_TC(tp, work_cpf__not_found_in_200);
	ATF_TP_ADD_TC(tp, work_phone__padded_cpf_and_cnpj);
	ATF_TP_ADD_TC(tp, work_module__any_module);
	ATF_TP_ADD_TC(tp, work_module__bodies_classified);
	ATF_TP_ADD_TC(tp, faults__classified);
	ATF_TP_ADD_TC(tp, faults__c2s);
	ATF_TP_ADD_TC(tp, timeout__bounded);
	ATF_TP_ADD_TC(tp, deadline__bounds_every_call);
	ATF_TP_ADD_TC(tp, parallel__slowest_not_sum);
	ATF_TP_ADD_TC(tp, auth__wrong_credentials);
	ATF_TP_ADD_TC(tp, c2s_list__ids_lower_case);
	return atf_no_error();
}
