/*
 * handle_test.c -- ce_handle() driven with request structs, no web server:
 * /health, the shared checks (bad request line, body cap, 404, 405, errors
 * re-run by the web server), request ids, the access log line, the keys
 * (API and admin), and the
 * exact seconds of /metrics' histograms.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>
#include <jansson.h>

#include "c2s-enrich.h"

struct fixture {
	struct ce_ctx	*ctx;
	int		 logfd;
	struct ce_resp	 resp;
	json_t		*json;
};

/* A context of "cfg"; its log goes to ./log. */
static void
fx_init_cfg(struct fixture *fx, const struct ce_config *cfg)
{
	memset(fx, 0, sizeof(*fx));
	ATF_REQUIRE((fx->ctx = ce_ctx_new(cfg)) != NULL);
	fx->logfd = open("log", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND,
	    0600);
	ATF_REQUIRE(fx->logfd >= 0);
	ce_ctx_set_logfd(fx->ctx, fx->logfd);
}

/*
 * A context with defaults (and "dburl"), its business routes opened on
 * purpose (API_AUTH=off): the auth cases build their own.
 */
static void
fx_init(struct fixture *fx, const char *dburl)
{
	struct ce_config	 cfg;

	ce_config_defaults(&cfg);
	cfg.api_auth = 0;
	if (dburl != NULL)
		ce_strlcpy(cfg.db_url, dburl, sizeof(cfg.db_url));
	fx_init_cfg(fx, &cfg);
}

/*
 * Defaults with API keys, a rate of "rate" a second (as the burst),
 * and a shared file in the test's directory.
 */
static void
fx_init_guarded(struct fixture *fx, int rate)
{
	struct ce_config	 cfg;

	ce_config_defaults(&cfg);
	ce_strlcpy(cfg.api_keys, "k-one, k-two", sizeof(cfg.api_keys));
	ce_strlcpy(cfg.dedup_file, "shm", sizeof(cfg.dedup_file));
	cfg.rate_limit = rate;
	cfg.rate_burst = rate;
	fx_init_cfg(fx, &cfg);
}

static void
fx_free(struct fixture *fx)
{
	json_decref(fx->json);
	ce_ctx_free(fx->ctx);
	close(fx->logfd);
}

/* Run one request; parse the body as JSON (required to be JSON). */
static int
fx_req(struct fixture *fx, const char *method, const char *uri,
    const char *const *env, int too_large)
{
	struct ce_req	 req;
	json_error_t	 jerr;
	static const char *const noenv[] = { NULL };

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.uri = uri;
	req.env = env != NULL ? env : noenv;
	req.body = "";
	req.body_too_large = too_large;
	ce_handle(fx->ctx, &req, &fx->resp);
	json_decref(fx->json);
	fx->json = json_loadb(fx->resp.body->data, fx->resp.body->len, 0,
	    &jerr);
	ATF_REQUIRE_MSG(fx->json != NULL, "body is not JSON: %s", jerr.text);
	ATF_CHECK_STREQ(fx->resp.ctype, "application/json");
	return fx->resp.status;
}

/* A GET whose answer need not be JSON (/metrics). */
static void
fx_req_text(struct fixture *fx, const char *uri, const char *const *env)
{
	struct ce_req	 req;

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.uri = uri;
	req.env = env;
	req.body = "";
	ce_handle(fx->ctx, &req, &fx->resp);
}

static const char *
jstr(json_t *j, const char *key)
{
	const char	*s = json_string_value(json_object_get(j, key));

	return s != NULL ? s : "(missing)";
}

/* An error body is exactly {"error": text, "code": code}. */
static void
check_error(struct fixture *fx, const char *code)
{
	ATF_CHECK_STREQ(jstr(fx->json, "code"), code);
	ATF_CHECK(strlen(jstr(fx->json, "error")) > 0);
	ATF_CHECK_EQ(json_object_size(fx->json), 2);
}

static char *
slurp(const char *path)
{
	static char	 b[65536];
	ssize_t		 n;
	int		 fd;

	ATF_REQUIRE((fd = open(path, O_RDONLY)) >= 0);
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	ATF_REQUIRE(n >= 0);
	b[n] = '\0';
	return b;
}

ATF_TC_WITHOUT_HEAD(health__reports_process);
ATF_TC_BODY(health__reports_process, tc)
{
	struct fixture	 fx;

	fx_init(&fx, NULL);
	ATF_CHECK_EQ(fx_req(&fx, "GET", "/health", NULL, 0), 200);
	ATF_CHECK_STREQ(jstr(fx.json, "status"), "ok");
	ATF_CHECK_STREQ(jstr(fx.json, "service"), "c2s-enrich");
	ATF_CHECK_STREQ(jstr(fx.json, "version"), CE_VERSION);
	ATF_CHECK_EQ(json_integer_value(json_object_get(fx.json, "pid")),
	    getpid());
	ATF_CHECK(json_integer_value(json_object_get(fx.json, "rss_kb")) > 0);
	ATF_CHECK(json_is_integer(json_object_get(fx.json, "uptime_ms")));
	ATF_CHECK_EQ(json_integer_value(json_object_get(fx.json,
	    "requests")), 1);
	ATF_CHECK_EQ(fx_req(&fx, "HEAD", "/health?x=1", NULL, 0), 200);
	ATF_CHECK_EQ(json_integer_value(json_object_get(fx.json,
	    "requests")), 2);
	fx_free(&fx);
}

ATF_TC_WITHOUT_HEAD(handle__unknown_path_404);
ATF_TC_BODY(handle__unknown_path_404, tc)
{
	struct fixture	 fx;

	fx_init(&fx, NULL);
	ATF_CHECK_EQ(fx_req(&fx, "GET", "/nope", NULL, 0), 404);
	check_error(&fx, "not_found");
	ATF_CHECK_EQ(fx_req(&fx, "GET", "/", NULL, 0), 404);
	check_error(&fx, "not_found");
	fx_free(&fx);
}

ATF_TC_WITHOUT_HEAD(handle__wrong_method_405);
ATF_TC_BODY(handle__wrong_method_405, tc)
{
	struct fixture	 fx;

	fx_init(&fx, NULL);
	ATF_CHECK_EQ(fx_req(&fx, "POST", "/health", NULL, 0), 405);
	check_error(&fx, "method_not_allowed");
	ATF_CHECK_MSG(strstr(fx.resp.headers, "Allow: GET, HEAD\r\n") != NULL,
	    "headers: %s", fx.resp.headers);
	ATF_CHECK_EQ(fx_req(&fx, "DELETE", "/ready", NULL, 0), 405);
	fx_free(&fx);
}

ATF_TC_WITHOUT_HEAD(handle__bad_request_line_400);
ATF_TC_BODY(handle__bad_request_line_400, tc)
{
	struct fixture	 fx;
	char		*longq;

	fx_init(&fx, NULL);
	ATF_CHECK_EQ(fx_req(&fx, NULL, "/health", NULL, 0), 400);
	check_error(&fx, "bad_request");
	ATF_CHECK_EQ(fx_req(&fx, "GET", NULL, NULL, 0), 400);
	ATF_CHECK_EQ(fx_req(&fx, "GET", "health", NULL, 0), 400);
	ATF_REQUIRE((longq = malloc(9000)) != NULL);
	memcpy(longq, "/health?", 8);
	memset(longq + 8, 'a', 8990);
	longq[8998] = '\0';
	ATF_CHECK_EQ(fx_req(&fx, "GET", longq, NULL, 0), 400);
	check_error(&fx, "bad_request");
	free(longq);
	fx_free(&fx);
}

ATF_TC_WITHOUT_HEAD(handle__body_too_large_413);
ATF_TC_BODY(handle__body_too_large_413, tc)
{
	struct fixture	 fx;

	fx_init(&fx, NULL);
	ATF_CHECK_EQ(fx_req(&fx, "POST", "/health", NULL, 1), 413);
	check_error(&fx, "too_large");
	fx_free(&fx);
}

ATF_TC_WITHOUT_HEAD(handle__httpd_error_keeps_status);
ATF_TC_BODY(handle__httpd_error_keeps_status, tc)
{
	static const struct {
		const char	*env;
		int		 status;
		const char	*code;
	} tab[] = {
		{ "REDIRECT_STATUS=411", 411, "bad_request" },
		{ "REDIRECT_STATUS=413", 413, "too_large" },
		{ "REDIRECT_STATUS=400", 400, "bad_request" },
		{ "REDIRECT_STATUS=418", 418, "bad_request" },
		{ "REDIRECT_STATUS=503", 503, "not_ready" },
	};
	struct fixture	 fx;
	const char	*env[2] = { NULL, NULL };
	size_t		 i;

	fx_init(&fx, NULL);
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		env[0] = tab[i].env;
		ATF_CHECK_EQ_MSG(fx_req(&fx, "GET", "/health", env, 0),
		    tab[i].status, "%s", tab[i].env);
		check_error(&fx, tab[i].code);
	}
	/* Not an error status: served normally. */
	env[0] = "REDIRECT_STATUS=200";
	ATF_CHECK_EQ(fx_req(&fx, "GET", "/health", env, 0), 200);
	fx_free(&fx);
}

ATF_TC_WITHOUT_HEAD(handle__request_id);
ATF_TC_BODY(handle__request_id, tc)
{
	struct fixture	 fx;
	const char	*good[] = { "HTTP_X_REQUEST_ID=abc-123.x_y", NULL };
	const char	*evil[] = { "HTTP_X_REQUEST_ID=a\"b\r\nX-Evil: 1", NULL };

	fx_init(&fx, NULL);
	ATF_CHECK_EQ(fx_req(&fx, "GET", "/health", good, 0), 200);
	ATF_CHECK(strstr(fx.resp.headers, "X-Request-Id: abc-123.x_y\r\n")
	    != NULL);
	ATF_CHECK_EQ(fx_req(&fx, "GET", "/health", evil, 0), 200);
	ATF_CHECK(strstr(fx.resp.headers, "X-Evil") == NULL);
	ATF_CHECK(strstr(fx.resp.headers, "X-Request-Id: ") != NULL);
	ATF_CHECK(strstr(slurp("log"), "X-Evil") == NULL);
	fx_free(&fx);
}

ATF_TC_WITHOUT_HEAD(handle__access_log_line);
ATF_TC_BODY(handle__access_log_line, tc)
{
	struct fixture	 fx;
	char		*log, *line, *nl;
	json_t		*j;
	json_error_t	 jerr;

	fx_init(&fx, NULL);
	ATF_CHECK_EQ(fx_req(&fx, "GET", "/health?cpf=52998224725", NULL, 0),
	    200);
	log = slurp("log");
	/* The query string (identifiers) never reaches the log. */
	ATF_CHECK_MSG(strstr(log, "52998224725") == NULL, "log: %s", log);
	line = log;
	ATF_REQUIRE((nl = strchr(log, '\n')) != NULL);
	*nl = '\0';
	j = json_loads(line, 0, &jerr);
	ATF_REQUIRE_MSG(j != NULL, "log line is not JSON: %s", line);
	ATF_CHECK_STREQ(jstr(j, "level"), "info");
	ATF_CHECK_STREQ(jstr(j, "route"), "health");
	ATF_CHECK_STREQ(jstr(j, "path"), "/health");
	ATF_CHECK_STREQ(jstr(j, "method"), "GET");
	ATF_CHECK(strlen(jstr(j, "ts")) == 24);
	ATF_CHECK(strlen(jstr(j, "req")) > 0);
	ATF_CHECK_EQ(json_integer_value(json_object_get(j, "status")), 200);
	ATF_CHECK_EQ(json_integer_value(json_object_get(j, "pid")), getpid());
	ATF_CHECK(json_is_integer(json_object_get(j, "dur_us")));
	json_decref(j);
	fx_free(&fx);
}

ATF_TC_WITHOUT_HEAD(ready__no_database_503);
ATF_TC_BODY(ready__no_database_503, tc)
{
	struct fixture	 fx;

	fx_init(&fx, "host=/nonexistent-c2s-test dbname=x connect_timeout=1");
	ATF_CHECK_EQ(fx_req(&fx, "GET", "/ready", NULL, 0), 503);
	ATF_CHECK_STREQ(jstr(fx.json, "code"), "not_ready");
	ATF_CHECK_STREQ(jstr(fx.json, "failing"), "database");
	ATF_CHECK(strstr(jstr(fx.json, "error"), "database") != NULL);
	/* The responder keeps serving what does not need the database. */
	ATF_CHECK_EQ(fx_req(&fx, "GET", "/health", NULL, 0), 200);
	fx_free(&fx);
}

/* A route that needs a key and neither the database nor an upstream. */
#define KEYED	"/api/v1/work/modules/none"

ATF_TC_WITHOUT_HEAD(auth__api_keys);
ATF_TC_BODY(auth__api_keys, tc)
{
	static const char *const none[] = { "REMOTE_ADDR=10.0.0.1", NULL };
	static const char *const wrong[] = { "REMOTE_ADDR=10.0.0.2",
	    "HTTP_X_API_KEY=k-on", NULL };
	static const char *const good[] = { "REMOTE_ADDR=10.0.0.3",
	    "HTTP_X_API_KEY=k-two", NULL };
	static const char *const bearer[] = { "REMOTE_ADDR=10.0.0.4",
	    "HTTP_AUTHORIZATION=bearer k-one", NULL };
	static const char *const basic[] = { "REMOTE_ADDR=10.0.0.5",
	    "HTTP_AUTHORIZATION=Basic k-one", NULL };
	struct fixture	 fx;

	fx_init_guarded(&fx, 1000);
	ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, none, 0), 401);
	check_error(&fx, "unauthorized");
	ATF_CHECK_MATCH("missing", jstr(fx.json, "error"));
	ATF_CHECK(strstr(fx.resp.headers, "WWW-Authenticate: Bearer") != NULL);
	ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, wrong, 0), 401);
	ATF_CHECK_MATCH("invalid", jstr(fx.json, "error"));
	ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, basic, 0), 401);
	/* The route's own answer once the key is right. */
	ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, good, 0), 404);
	check_error(&fx, "unknown_module");
	ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, bearer, 0), 404);
	/* Open routes; /metrics is not one unless METRICS_OPEN=1. */
	ATF_CHECK_EQ(fx_req(&fx, "GET", "/health", none, 0), 200);
	ATF_CHECK(fx_req(&fx, "POST", "/api/v1/webhooks/c2s", none, 0) != 401);
	ATF_CHECK(fx_req(&fx, "POST", "/api/v1/webhooks/google-ads", none,
	    0) != 401);
	fx_req_text(&fx, "/metrics", none);
	ATF_CHECK_EQ(fx.resp.status, 401);
	fx_req_text(&fx, "/metrics", good);
	ATF_CHECK_EQ(fx.resp.status, 200);
	/* Unknown paths and wrong methods are told so, key or not. */
	ATF_CHECK_EQ(fx_req(&fx, "GET", "/nope", none, 0), 404);
	ATF_CHECK_EQ(fx_req(&fx, "DELETE", KEYED, none, 0), 405);
	fx_free(&fx);
}

/*
 * Closed by default: a context built without keys (config.c refuses to
 * start so; a caller in C can) lets no key in; API_AUTH=off opens the
 * business routes.  The C2S webhook without WEBHOOK_SECRET is 503
 * not_configured unless WEBHOOK_AUTH=off; with it, a missing token is 401.
 */
ATF_TC_WITHOUT_HEAD(auth__closed_by_default);
ATF_TC_BODY(auth__closed_by_default, tc)
{
	static const char *const none[] = { "REMOTE_ADDR=10.0.0.1", NULL };
	static const char *const empty[] = { "REMOTE_ADDR=10.0.0.1",
	    "HTTP_X_API_KEY=", "HTTP_AUTHORIZATION=Bearer ", NULL };
	static const char *const tok[] = { "REMOTE_ADDR=10.0.0.1",
	    "HTTP_X_WEBHOOK_TOKEN=s3cret-s3cret-s3cret", NULL };
	static const char *const paths[] = { "/api/v1/webhooks/c2s",
	    "/webhook/c2s" };
	struct ce_config cfg;
	struct fixture	 fx;
	size_t		 i;

	ce_config_defaults(&cfg);
	ATF_REQUIRE_EQ(cfg.api_auth, 1);
	ATF_REQUIRE_EQ(cfg.webhook_auth, 1);
	ATF_REQUIRE_STREQ(cfg.api_keys, "");
	ce_strlcpy(cfg.dedup_file, "shm", sizeof(cfg.dedup_file));
	fx_init_cfg(&fx, &cfg);
	ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, none, 0), 401);
	check_error(&fx, "unauthorized");
	ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, empty, 0), 401);
	ATF_CHECK_EQ(fx_req(&fx, "GET", "/health", none, 0), 200);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		ATF_CHECK_EQ(fx_req(&fx, "POST", paths[i], none, 0), 503);
		check_error(&fx, "not_configured");
		ATF_CHECK_MATCH("WEBHOOK_SECRET", jstr(fx.json, "error"));
		ATF_CHECK_EQ(fx_req(&fx, "POST", paths[i], tok, 0), 503);
	}
	fx_free(&fx);

	/* Opened on purpose: no key, no secret asked. */
	cfg.api_auth = 0;
	cfg.webhook_auth = 0;
	fx_init_cfg(&fx, &cfg);
	ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, none, 0), 404);
	check_error(&fx, "unknown_module");
	ATF_CHECK_EQ(fx_req(&fx, "POST", paths[0], none, 0), 415);
	fx_free(&fx);

	/* A secret: asked for. */
	cfg.webhook_auth = 1;
	ce_strlcpy(cfg.webhook_secret, "s3cret-s3cret-s3cret",
	    sizeof(cfg.webhook_secret));
	fx_init_cfg(&fx, &cfg);
	ATF_CHECK_EQ(fx_req(&fx, "POST", paths[0], none, 0), 401);
	ATF_CHECK_EQ(fx_req(&fx, "POST", paths[0], tok, 0), 415);
	fx_free(&fx);
}

/*
 * The operators' actions want an admin key whatever API_AUTH says: none
 * configured, 403 for every key; a plain key 403; no key 401; an admin
 * key passes (here to the id check's 400) and is a key of the other
 * routes; the metrics listener hides them.
 */
ATF_TC_WITHOUT_HEAD(auth__admin_keys);
ATF_TC_BODY(auth__admin_keys, tc)
{
	static const char *const none[] = { "REMOTE_ADDR=10.0.0.1", NULL };
	static const char *const plain[] = { "REMOTE_ADDR=10.0.0.1",
	    "HTTP_X_API_KEY=k-two", NULL };
	static const char *const admin[] = { "REMOTE_ADDR=10.0.0.1",
	    "HTTP_X_API_KEY=adm-one-adm-one", NULL };
	static const char *const bearer[] = { "REMOTE_ADDR=10.0.0.1",
	    "HTTP_AUTHORIZATION=Bearer adm-one-adm-one", NULL };
	static const char *const listener[] = { "REMOTE_ADDR=10.0.0.1",
	    "HTTP_X_API_KEY=adm-one-adm-one", "C2S_LISTENER=metrics", NULL };
	static const char *const acts[] = { "/api/v1/leads/x/retry",
	    "/api/v1/leads/x/reprocess" };
	struct ce_config cfg;
	struct fixture	 fx;
	size_t		 i;

	ce_config_defaults(&cfg);
	ce_strlcpy(cfg.api_keys, "k-one, k-two", sizeof(cfg.api_keys));
	ce_strlcpy(cfg.dedup_file, "shm", sizeof(cfg.dedup_file));
	cfg.rate_limit = 0;	/* many requests from one address */
	/* No admin key, the business routes open on purpose or not. */
	for (cfg.api_auth = 0; cfg.api_auth <= 1; cfg.api_auth++) {
		fx_init_cfg(&fx, &cfg);
		for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
			ATF_CHECK_EQ(fx_req(&fx, "POST", acts[i], none, 0), 401);
			check_error(&fx, "unauthorized");
			ATF_CHECK_EQ(fx_req(&fx, "POST", acts[i], plain, 0), 403);
			check_error(&fx, "forbidden");
			ATF_CHECK_MATCH("ADMIN_API_KEYS", jstr(fx.json, "error"));
			ATF_CHECK_EQ(fx_req(&fx, "POST", acts[i], admin, 0), 403);
		}
		ATF_CHECK_EQ(fx_req(&fx, "GET", "/api/v1/leads", plain, 0), 403);
		fx_free(&fx);
	}
	cfg.api_auth = 1;
	ce_strlcpy(cfg.admin_api_keys, "adm-zero-adm-zero,adm-one-adm-one",
	    sizeof(cfg.admin_api_keys));
	fx_init_cfg(&fx, &cfg);
	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		ATF_CHECK_EQ(fx_req(&fx, "POST", acts[i], none, 0), 401);
		check_error(&fx, "unauthorized");
		ATF_CHECK_EQ(fx_req(&fx, "POST", acts[i], plain, 0), 403);
		check_error(&fx, "forbidden");
		ATF_CHECK_EQ(fx_req(&fx, "POST", acts[i], admin, 0), 400);
		check_error(&fx, "bad_request");
		ATF_CHECK_EQ(fx_req(&fx, "POST", acts[i], bearer, 0), 400);
		ATF_CHECK_EQ(fx_req(&fx, "POST", acts[i], listener, 0), 404);
	}
	/* An admin key is a key of the other routes. */
	ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, admin, 0), 404);
	check_error(&fx, "unknown_module");
	ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, none, 0), 401);
	fx_free(&fx);
}

ATF_TC_WITHOUT_HEAD(auth__metrics_open);
ATF_TC_BODY(auth__metrics_open, tc)
{
	static const char *const none[] = { "REMOTE_ADDR=10.0.0.1", NULL };
	struct ce_config cfg;
	struct fixture	 fx;

	ce_config_defaults(&cfg);
	ce_strlcpy(cfg.api_keys, "k", sizeof(cfg.api_keys));
	ce_strlcpy(cfg.dedup_file, "shm", sizeof(cfg.dedup_file));
	cfg.metrics_open = 1;
	fx_init_cfg(&fx, &cfg);
	fx_req_text(&fx, "/metrics", none);
	ATF_CHECK_EQ(fx.resp.status, 200);
	ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, none, 0), 401);
	fx_free(&fx);
}

ATF_TC_WITHOUT_HEAD(auth__metrics_listener);
ATF_TC_BODY(auth__metrics_listener, tc)
{
	static const char *const lst[] = { "REMOTE_ADDR=10.0.0.1",
	    "C2S_LISTENER=metrics", NULL };
	static const char *const keyed[] = { "REMOTE_ADDR=10.0.0.1",
	    "C2S_LISTENER=metrics", "HTTP_X_API_KEY=k", NULL };
	static const char *const other[] = { "REMOTE_ADDR=10.0.0.1",
	    "C2S_LISTENER=public", NULL };
	static const char *const hdr[] = { "REMOTE_ADDR=10.0.0.1",
	    "HTTP_C2S_LISTENER=metrics", NULL };
	struct ce_config cfg;
	struct fixture	 fx;

	ce_config_defaults(&cfg);
	ce_strlcpy(cfg.api_keys, "k", sizeof(cfg.api_keys));
	ce_strlcpy(cfg.dedup_file, "shm", sizeof(cfg.dedup_file));
	fx_init_cfg(&fx, &cfg);
	/* On the metrics listener: /metrics without a key, /health... */
	fx_req_text(&fx, "/metrics", lst);
	ATF_CHECK_EQ(fx.resp.status, 200);
	ATF_CHECK_EQ(fx_req(&fx, "GET", "/health", lst, 0), 200);
	/* ...and nothing else, not even with the key. */
	ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, lst, 0), 404);
	check_error(&fx, "not_found");
	ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, keyed, 0), 404);
	ATF_CHECK_EQ(fx_req(&fx, "GET", "/ready", lst, 0), 404);
	/* Another value, or a client's header of that name, opens nothing. */
	fx_req_text(&fx, "/metrics", other);
	ATF_CHECK_EQ(fx.resp.status, 401);
	fx_req_text(&fx, "/metrics", hdr);
	ATF_CHECK_EQ(fx.resp.status, 401);
	fx_free(&fx);
}

ATF_TC_WITHOUT_HEAD(metrics__seconds_exact);
ATF_TC_BODY(metrics__seconds_exact, tc)
{
	static const struct { uint64_t us; const char *want; } t[] = {
		{ 0, "0" },
		{ 1, "0.000001" },
		{ 1000, "0.001" },
		{ 2500, "0.0025" },
		{ 1000000, "1" },
		{ 25000000, "25" },
		{ 10000010, "10.00001" },
		/* %.6g printed 1.23457e+06. */
		{ 1234567891000ULL, "1234567.891" },
		/* 2^53 + 1: no double holds it. */
		{ 9007199254740993ULL, "9007199254.740993" },
		{ UINT64_MAX, "18446744073709.551615" },
	};
	char	 buf[32];
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ce_metrics_secs(buf, sizeof(buf), t[i].us);
		ATF_CHECK_STREQ_MSG(buf, t[i].want, "%llu us",
		    (unsigned long long)t[i].us);
	}
}

/*
 * /metrics rendered by ce_handle: the histogram's bounds keep their
 * labels (the series names dashboards know), its buckets are cumulative
 * up to +Inf = _count, and _sum is an exact decimal.
 */
ATF_TC_WITHOUT_HEAD(metrics__histogram_text);
ATF_TC_BODY(metrics__histogram_text, tc)
{
	static const char *const le[] = { "0.001", "0.0025", "0.005", "0.01",
	    "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10",
	    "25", "+Inf" };
	static const char *const none[] = { "REMOTE_ADDR=10.0.0.1", NULL };
	struct ce_config cfg;
	struct fixture	 fx;
	const char	*p, *body;
	char		 want[128], sum[32];
	unsigned long long v, prev = 0;
	size_t		 i;
	int		 k;

	ce_config_defaults(&cfg);
	ce_strlcpy(cfg.dedup_file, "shm", sizeof(cfg.dedup_file));
	cfg.api_auth = 0;
	cfg.metrics_open = 1;
	fx_init_cfg(&fx, &cfg);
	for (k = 0; k < 3; k++)
		ATF_CHECK_EQ(fx_req(&fx, "GET", "/health", none, 0), 200);
	fx_req_text(&fx, "/metrics", none);
	ATF_REQUIRE_EQ(fx.resp.status, 200);
	body = fx.resp.body->data;
	for (i = 0; i < sizeof(le) / sizeof(le[0]); i++) {
		snprintf(want, sizeof(want), "\nc2s_http_request_duration_"
		    "seconds_bucket{route=\"health\",le=\"%s\"} ", le[i]);
		ATF_REQUIRE_MSG((p = strstr(body, want)) != NULL, "no %s", want);
		v = strtoull(p + strlen(want), NULL, 10);
		ATF_CHECK_MSG(v >= prev, "bucket %s: %llu < %llu", le[i], v,
		    prev);
		prev = v;
	}
	ATF_CHECK_EQ(prev, 3);
	ATF_CHECK(strstr(body, "\nc2s_http_request_duration_seconds_count"
	    "{route=\"health\"} 3\n") != NULL);
	p = strstr(body, "\nc2s_http_request_duration_seconds_sum"
	    "{route=\"health\"} ");
	ATF_REQUIRE(p != NULL);
	p = strchr(p + 1, '}') + 2;
	ATF_REQUIRE(sscanf(p, "%31[0-9.]", sum) == 1);
	ATF_CHECK_MSG(strchr(sum, 'e') == NULL && p[strlen(sum)] == '\n',
	    "sum not a plain decimal: %.40s", p);
	fx_free(&fx);
}

ATF_TC_WITHOUT_HEAD(ratelimit__bucket_per_address);
ATF_TC_BODY(ratelimit__bucket_per_address, tc)
{
	static const char *const a[] = { "REMOTE_ADDR=10.1.0.1",
	    "HTTP_X_API_KEY=k-one", NULL };
	static const char *const b[] = { "REMOTE_ADDR=10.1.0.2",
	    "HTTP_X_API_KEY=k-one", NULL };
	struct fixture	 fx;
	int		 i;

	fx_init_guarded(&fx, 3);
	for (i = 0; i < 3; i++)
		ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, a, 0), 404);
	ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, a, 0), 429);
	check_error(&fx, "rate_limited");
	ATF_CHECK(strstr(fx.resp.headers, "Retry-After: 1\r\n") != NULL);
	/* Even without a key, even a 404: the bucket is empty. */
	ATF_CHECK_EQ(fx_req(&fx, "GET", "/nope", a, 0), 429);
	/* /health is never limited; another address has its own bucket. */
	for (i = 0; i < 10; i++)
		ATF_CHECK_EQ(fx_req(&fx, "GET", "/health", a, 0), 200);
	ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, b, 0), 404);
	/* 3 a second: one token back after 334 ms. */
	usleep(400 * 1000);
	ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, a, 0), 404);
	ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, a, 0), 429);
	fx_free(&fx);
}

ATF_TC_WITHOUT_HEAD(ratelimit__forwarded_headers_ignored);
ATF_TC_BODY(ratelimit__forwarded_headers_ignored, tc)
{
	/* lighttpd's mod_extforward sets REMOTE_ADDR behind a trusted
	 * proxy; a forwarded header reaching the responder is a client's
	 * (X-Forwarded-For and X_Forwarded_For both arrive as this one). */
	static const char *const via1[] = { "REMOTE_ADDR=127.0.0.1",
	    "HTTP_X_FORWARDED_FOR=10.2.0.1", "HTTP_X_API_KEY=k-one", NULL };
	static const char *const via2[] = { "REMOTE_ADDR=127.0.0.1",
	    "HTTP_X_FORWARDED_FOR=10.2.0.2", "HTTP_FORWARDED=for=10.2.0.3",
	    "HTTP_FLY_CLIENT_IP=10.2.0.4", "HTTP_X_REAL_IP=10.2.0.5",
	    "HTTP_X_API_KEY=k-one", NULL };
	struct fixture	 fx;
	int		 i;

	fx_init_guarded(&fx, 3);
	for (i = 0; i < 3; i++)
		ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, i % 2 ? via1 : via2, 0),
		    404);
	/* One bucket: 127.0.0.1's, whatever the headers say. */
	ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, via1, 0), 429);
	ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, via2, 0), 429);
	fx_free(&fx);
}

ATF_TC_WITHOUT_HEAD(ratelimit__webhooks_own_bucket);
ATF_TC_BODY(ratelimit__webhooks_own_bucket, tc)
{
	static const char *const a[] = { "REMOTE_ADDR=10.5.0.1",
	    "HTTP_X_API_KEY=k-one", NULL };
	struct ce_config	 cfg;
	struct fixture		 fx;
	int			 i;

	ce_config_defaults(&cfg);
	ce_strlcpy(cfg.api_keys, "k-one", sizeof(cfg.api_keys));
	ce_strlcpy(cfg.dedup_file, "shm", sizeof(cfg.dedup_file));
	cfg.rate_limit = 1;
	cfg.rate_burst = 2;
	cfg.webhook_rate_limit = 1;
	cfg.webhook_rate_burst = 5;
	fx_init_cfg(&fx, &cfg);
	/* The API's bucket, emptied. */
	for (i = 0; i < 2; i++)
		ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, a, 0), 404);
	ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, a, 0), 429);
	ATF_CHECK_MATCH("RATE_LIMIT", jstr(fx.json, "error"));
	/* The webhooks still have theirs: 5, both routes together. */
	for (i = 0; i < 5; i++)
		ATF_CHECK(fx_req(&fx, "POST", i % 2 ?
		    "/api/v1/webhooks/google-ads" : "/api/v1/webhooks/c2s", a,
		    0) != 429);
	ATF_CHECK_EQ(fx_req(&fx, "POST", "/api/v1/webhooks/c2s", a, 0), 429);
	check_error(&fx, "rate_limited");
	ATF_CHECK_MATCH("WEBHOOK_RATE_LIMIT", jstr(fx.json, "error"));
	ATF_CHECK(strstr(fx.resp.headers, "Retry-After: 1\r\n") != NULL);
	/* And the API's is still empty. */
	ATF_CHECK_EQ(fx_req(&fx, "GET", KEYED, a, 0), 429);
	fx_free(&fx);
	/* WEBHOOK_RATE_LIMIT=0: the webhooks are not limited at all. */
	cfg.webhook_rate_limit = 0;
	fx_init_cfg(&fx, &cfg);
	for (i = 0; i < 20; i++)
		ATF_CHECK(fx_req(&fx, "POST", "/api/v1/webhooks/c2s", a, 0) !=
		    429);
	fx_free(&fx);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, health__reports_process);
	ATF_TP_ADD_TC(tp, handle__unknown_path_404);
	ATF_TP_ADD_TC(tp, handle__wrong_method_405);
	ATF_TP_ADD_TC(tp, handle__bad_request_line_400);
	ATF_TP_ADD_TC(tp, handle__body_too_large_413);
	ATF_TP_ADD_TC(tp, handle__httpd_error_keeps_status);
	ATF_TP_ADD_TC(tp, handle__request_id);
	ATF_TP_ADD_TC(tp, handle__access_log_line);
	ATF_TP_ADD_TC(tp, ready__no_database_503);
	ATF_TP_ADD_TC(tp, auth__api_keys);
	ATF_TP_ADD_TC(tp, auth__closed_by_default);
	ATF_TP_ADD_TC(tp, auth__admin_keys);
	ATF_TP_ADD_TC(tp, auth__metrics_open);
	ATF_TP_ADD_TC(tp, auth__metrics_listener);
	ATF_TP_ADD_TC(tp, metrics__seconds_exact);
	ATF_TP_ADD_TC(tp, metrics__histogram_text);
	ATF_TP_ADD_TC(tp, ratelimit__bucket_per_address);
	ATF_TP_ADD_TC(tp, ratelimit__forwarded_headers_ignored);
	ATF_TP_ADD_TC(tp, ratelimit__webhooks_own_bucket);
	return atf_no_error();
}
