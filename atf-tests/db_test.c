/*
 * db_test.c -- /ready against a real PostgreSQL (config variable pg_dsn):
 * a current schema, a missing or pending one, and a connection whose
 * backend is killed under it, which must cost the next request nothing.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "c2s-enrich.h"

/* A context for "dsn"; logs are discarded. */
static struct ce_ctx *
ctx_for(const char *dsn)
{
	struct ce_config	 cfg;
	struct ce_ctx		*ctx;

	ce_config_defaults(&cfg);
	ATF_REQUIRE(ce_strlcpy(cfg.db_url, dsn, sizeof(cfg.db_url)) <
	    sizeof(cfg.db_url));
	/* The test's work directory, not /run. */
	ce_strlcpy(cfg.dedup_file, "dedup.file", sizeof(cfg.dedup_file));
	ATF_REQUIRE((ctx = ce_ctx_new(&cfg)) != NULL);
	ce_ctx_set_logfd(ctx, -1);
	return ctx;
}

/* GET /ready; returns the status and the "failing" member or "". */
static int
ready(struct ce_ctx *ctx, char *failing, size_t sz)
{
	static const char *const env[] = { NULL };
	struct ce_req	 req = { .method = "GET", .uri = "/ready",
	    .env = env, .body = "" };
	struct ce_resp	 resp;
	json_t		*j;
	const char	*f;

	ce_handle(ctx, &req, &resp);
	j = json_loadb(resp.body->data, resp.body->len, 0, NULL);
	ATF_REQUIRE_MSG(j != NULL, "not JSON: %s", resp.body->data);
	f = json_string_value(json_object_get(j, "failing"));
	ce_strlcpy(failing, f != NULL ? f : "", sz);
	json_decref(j);
	return resp.status;
}

/* Connect with libpq directly, for set-up and inspection. */
static PGconn *
admin(const char *dsn)
{
	PGconn	*c = PQconnectdb(dsn);

	ATF_REQUIRE_MSG(PQstatus(c) == CONNECTION_OK, "connect: %s",
	    PQerrorMessage(c));
	return c;
}

/* A DSN for database "postgres" as superuser on pg_dsn's server. */
static void
scratch_dsn(const char *dsn, char *out, size_t sz)
{
	PGconn	*c = admin(dsn);

	snprintf(out, sz, "host=%s port=%s dbname=postgres user=postgres",
	    PQhost(c), PQport(c));
	PQfinish(c);
}

static void
exec_ok(PGconn *c, const char *sql)
{
	PGresult	*r = PQexec(c, sql);

	ATF_REQUIRE_MSG(PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql,
	    PQerrorMessage(c));
	PQclear(r);
}

static int
backend_pid(PGconn *c, const char *app)
{
	const char	*p[1] = { app };
	PGresult	*r;
	long long	 pid = -1;

	r = PQexecParams(c, "SELECT pid FROM pg_stat_activity "
	    "WHERE application_name = $1", 1, NULL, p, NULL, NULL, 0);
	ATF_REQUIRE(PQresultStatus(r) == PGRES_TUPLES_OK);
	if (PQntuples(r) == 1)
		ATF_REQUIRE(ce_strtonum(PQgetvalue(r, 0, 0), 1, 1 << 30,
		    &pid) == 0);
	PQclear(r);
	return (int)pid;
}

ATF_TC(ready__schema_current);
ATF_TC_HEAD(ready__schema_current, tc)
{
	atf_tc_set_md_var(tc, "descr", "/ready is 200 on a migrated database");
	atf_tc_set_md_var(tc, "require.config", "pg_dsn");
}
ATF_TC_BODY(ready__schema_current, tc)
{
	struct ce_ctx	*ctx = ctx_for(atf_tc_get_config_var(tc, "pg_dsn"));
	char		 failing[32];

	ATF_CHECK_EQ(ready(ctx, failing, sizeof(failing)), 200);
	ATF_CHECK_STREQ(failing, "");
	ce_ctx_free(ctx);
}

ATF_TC(ready__dedup_unmappable);
ATF_TC_HEAD(ready__dedup_unmappable, tc)
{
	atf_tc_set_md_var(tc, "descr", "/ready is 503 naming dedup when the "
	    "shared file cannot be mapped");
	atf_tc_set_md_var(tc, "require.config", "pg_dsn");
}
ATF_TC_BODY(ready__dedup_unmappable, tc)
{
	struct ce_config	 cfg;
	struct ce_ctx		*ctx;
	char			 failing[32];

	ce_config_defaults(&cfg);
	ce_strlcpy(cfg.db_url, atf_tc_get_config_var(tc, "pg_dsn"),
	    sizeof(cfg.db_url));
	ce_strlcpy(cfg.dedup_file, "no-such-dir/dedup", sizeof(cfg.dedup_file));
	ATF_REQUIRE((ctx = ce_ctx_new(&cfg)) != NULL);
	ce_ctx_set_logfd(ctx, -1);
	ATF_CHECK_EQ(ready(ctx, failing, sizeof(failing)), 503);
	ATF_CHECK_STREQ(failing, "dedup");
	ce_ctx_free(ctx);
}

ATF_TC(ready__survives_killed_backend);
ATF_TC_HEAD(ready__survives_killed_backend, tc)
{
	atf_tc_set_md_var(tc, "descr", "a broken connection is reset and "
	    "the statement retried: the request after it is still 200");
	atf_tc_set_md_var(tc, "require.config", "pg_dsn");
}
ATF_TC_BODY(ready__survives_killed_backend, tc)
{
	const char	*dsn = atf_tc_get_config_var(tc, "pg_dsn");
	char		 app[64], mydsn[1024], failing[32], sql[128];
	struct ce_ctx	*ctx;
	PGconn		*adm;
	int		 before, after, i;

	snprintf(app, sizeof(app), "db_test_%ld", (long)getpid());
	snprintf(mydsn, sizeof(mydsn), "%s application_name=%s", dsn, app);
	ctx = ctx_for(mydsn);
	adm = admin(dsn);
	ATF_REQUIRE_EQ(ready(ctx, failing, sizeof(failing)), 200);
	ATF_REQUIRE((before = backend_pid(adm, app)) > 0);
	for (i = 0; i < 3; i++) {
		snprintf(sql, sizeof(sql),
		    "SELECT pg_terminate_backend(%d, 5000)",
		    backend_pid(adm, app));
		exec_ok(adm, sql);
		ATF_CHECK_EQ_MSG(ready(ctx, failing, sizeof(failing)), 200,
		    "request %d after the kill failed: %s", i, failing);
	}
	after = backend_pid(adm, app);
	ATF_CHECK_MSG(after > 0 && after != before,
	    "expected a new backend: before %d after %d", before, after);
	PQfinish(adm);
	ce_ctx_free(ctx);
}

ATF_TC(ready__schema_missing);
ATF_TC_HEAD(ready__schema_missing, tc)
{
	atf_tc_set_md_var(tc, "descr", "/ready is 503 naming the migrations "
	    "on a database never migrated");
	atf_tc_set_md_var(tc, "require.config", "pg_dsn");
}
ATF_TC_BODY(ready__schema_missing, tc)
{
	char		 dsn[512], failing[32];
	struct ce_ctx	*ctx;

	scratch_dsn(atf_tc_get_config_var(tc, "pg_dsn"), dsn, sizeof(dsn));
	ctx = ctx_for(dsn);
	ATF_CHECK_EQ(ready(ctx, failing, sizeof(failing)), 503);
	ATF_CHECK_STREQ(failing, "migrations");
	ce_ctx_free(ctx);
}

ATF_TC_WITH_CLEANUP(ready__schema_pending);
ATF_TC_HEAD(ready__schema_pending, tc)
{
	atf_tc_set_md_var(tc, "descr", "/ready is 503 while a migration "
	    "this binary needs is not applied, 200 once it is");
	atf_tc_set_md_var(tc, "require.config", "pg_dsn");
}
ATF_TC_BODY(ready__schema_pending, tc)
{
	char		 dsn[512], failing[32], sql[256];
	struct ce_ctx	*ctx;
	PGconn		*adm;

	scratch_dsn(atf_tc_get_config_var(tc, "pg_dsn"), dsn, sizeof(dsn));
	adm = admin(dsn);
	exec_ok(adm, "CREATE TABLE public.schema_migrations "
	    "(version integer PRIMARY KEY, name text, applied_at timestamptz)");
	exec_ok(adm, "INSERT INTO public.schema_migrations VALUES "
	    "(0, 'none', now())");
	ctx = ctx_for(dsn);
	ATF_CHECK_EQ(ready(ctx, failing, sizeof(failing)), 503);
	ATF_CHECK_STREQ(failing, "migrations");
	snprintf(sql, sizeof(sql), "INSERT INTO public.schema_migrations "
	    "SELECT g, 'x', now() FROM generate_series(1, %d) g",
	    ce_schema_version());
	exec_ok(adm, sql);
	ATF_CHECK_EQ(ready(ctx, failing, sizeof(failing)), 200);
	ce_ctx_free(ctx);
	PQfinish(adm);
}
ATF_TC_CLEANUP(ready__schema_pending, tc)
{
	char	 dsn[512];
	PGconn	*c;

	scratch_dsn(atf_tc_get_config_var(tc, "pg_dsn"), dsn, sizeof(dsn));
	c = PQconnectdb(dsn);
	PQclear(PQexec(c, "DROP TABLE IF EXISTS public.schema_migrations"));
	PQfinish(c);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, ready__schema_current);
	ATF_TP_ADD_TC(tp, ready__dedup_unmappable);
	ATF_TP_ADD_TC(tp, ready__survives_killed_backend);
	ATF_TP_ADD_TC(tp, ready__schema_missing);
	ATF_TP_ADD_TC(tp, ready__schema_pending);
	return atf_no_error();
}
