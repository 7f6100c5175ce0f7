/*
 * handle_test.c -- ce_handle() driven with request structs, no web server:
 * /health, the shared checks (bad request line, body cap, 404, 405, errors
 * re-run by the web server), request ids, and the access log line.
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

/* A context with defaults (and "dburl"); its log goes to ./log. */
static void
fx_init(struct fixture *fx, const char *dburl)
{
	struct ce_config	 cfg;

	memset(fx, 0, sizeof(*fx));
	ce_config_defaults(&cfg);
	if (dburl != NULL)
		ce_strlcpy(cfg.db_url, dburl, sizeof(cfg.db_url));
	ATF_REQUIRE((fx->ctx = ce_ctx_new(&cfg)) != NULL);
	fx->logfd = open("log", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND,
	    0600);
	ATF_REQUIRE(fx->logfd >= 0);
	ce_ctx_set_logfd(fx->ctx, fx->logfd);
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
	return atf_no_error();
}
