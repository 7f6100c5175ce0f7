/*
 * db_test.c -- /ready against a real PostgreSQL (config variable pg_dsn):
 * a current schema, a missing or pending one, and a connection whose
 * backend is killed under it, which must cost the next request nothing.
 * The customer documents kept at write time (sql/0021): equal to
 * c2s.customer_json() after every kind of write, and what GET
 * /api/v1/customers/{uuid} reads.
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
	cfg.api_auth = 0;	/* the business routes without a key */
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

/*
 * The one value of "sql" with "param" ($1, or none when NULL) into "out"
 * ("" for NULL or no row).
 */
static void
value(PGconn *c, const char *sql, const char *param, char *out, size_t sz)
{
	const char	*p[1] = { param };
	PGresult	*r;

	r = PQexecParams(c, sql, param != NULL ? 1 : 0, NULL, p, NULL, NULL,
	    0);
	ATF_REQUIRE_MSG(PQresultStatus(r) == PGRES_TUPLES_OK ||
	    PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", sql,
	    PQerrorMessage(c));
	ce_strlcpy(out, PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) ?
	    PQgetvalue(r, 0, 0) : "", sz);
	PQclear(r);
}

/* "sql" with "param" as $1, for its effect. */
static void
exec1(PGconn *c, const char *sql, const char *param)
{
	char	 v[8];

	value(c, sql, param, v, sizeof(v));
}

/* "sql" with $1 and $2, for its effect. */
static void
exec2(PGconn *c, const char *sql, const char *p1, const char *p2)
{
	const char	*p[2] = { p1, p2 };
	PGresult	*r;

	r = PQexecParams(c, sql, 2, NULL, p, NULL, NULL, 0);
	ATF_REQUIRE_MSG(PQresultStatus(r) == PGRES_TUPLES_OK ||
	    PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", sql,
	    PQerrorMessage(c));
	PQclear(r);
}

/* The test's rows gone: its person (and document), its leads. */
static void
drop_person(PGconn *c, const char *pid)
{
	exec1(c, "DELETE FROM c2s.leads WHERE lead_id IN (SELECT lead_id "
	    "FROM c2s.lead_persons WHERE person_id = $1)", pid);
	exec1(c, "DELETE FROM c2s.persons WHERE id = $1", pid);
}

/*
 * Is person "pid"'s document there and equal, byte for byte, to what
 * c2s.customer_json() builds now?  "t", "f", or "" without a document.
 */
#define DOC_EQUAL	"SELECT d.doc = c2s.customer_json(d.person_id)::text " \
			"FROM c2s.customer_docs d WHERE d.person_id = $1"

#define CHECK_DOC(c, pid, what) do {					\
	char	 eq_[8];						\
	value((c), DOC_EQUAL, (pid), eq_, sizeof(eq_));			\
	ATF_CHECK_MSG(strcmp(eq_, "t") == 0, "after %s: the document "	\
	    "is %s", (what), eq_[0] == '\0' ? "missing" : "stale");	\
} while (0)

/* The SQL expression "expr" over person "pid"'s document row. */
static void
doc_value(PGconn *c, const char *pid, const char *expr, char *out,
    size_t sz)
{
	char	 sql[256];

	snprintf(sql, sizeof(sql), "SELECT %s FROM c2s.customer_docs "
	    "WHERE person_id = $1", expr);
	value(c, sql, pid, out, sz);
}

/*
 * A person stored the way the pipeline's PERSON_STORE does, in one
 * statement: a new lead ('processing') linking it, a dossier, three
 * contacts and an address.  Its id into "pid", the lead's into "lead".
 */
static void
store_person(PGconn *c, char *pid, size_t pidsz, char *lead, size_t leadsz)
{
	value(c, "SELECT md5(random()::text || clock_timestamp())", NULL,
	    lead, leadsz);
	value(c, "WITH l AS (INSERT INTO c2s.leads (lead_id, source, status) "
	    "VALUES ($1, 'api', 'processing') RETURNING lead_id), "
	    "p AS (INSERT INTO c2s.persons (cpf, name, name_folded, "
	    "birth_date) VALUES (lpad((random() * 1e11)::bigint::text, 11, "
	    "'0'), 'Maria Teste', 'MARIA TESTE', '1980-01-02') RETURNING id), "
	    "lp AS (INSERT INTO c2s.lead_persons (lead_id, person_id, "
	    "found_by) SELECT l.lead_id, p.id, 'phone' FROM l, p), "
	    "d AS (INSERT INTO c2s.dossiers (person_id, raw) SELECT id, "
	    "'{\"DadosBasicos\": {\"sexo\": \"F\", \"nomeMae\": \"Ana\"}, "
	    "\"DadosEconomicos\": {\"renda\": \"R$ 1.234,56\"}}' FROM p), "
	    "c AS (INSERT INTO c2s.contacts (person_id, type, value, "
	    "whatsapp, source) SELECT p.id, v.t, v.v, v.w, 'work_api' FROM p, "
	    "(VALUES ('phone', '11987654321', true), ('email', "
	    "'maria@example.com', NULL), ('phone', '1133334444', false)) "
	    "v (t, v, w)), "
	    "a AS (INSERT INTO c2s.addresses (person_id, street, number, city, "
	    "uf, cep) SELECT id, 'Rua A', '1', 'Sao Paulo', 'SP', '01001000' "
	    "FROM p) SELECT id FROM p", lead, pid, pidsz);
	ATF_REQUIRE(pid[0] != '\0');
}

ATF_TC(customer_doc__equals_customer_json);
ATF_TC_HEAD(customer_doc__equals_customer_json, tc)
{
	atf_tc_set_md_var(tc, "descr", "a person's document equals "
	    "customer_json() after a pipeline-like store and after a write "
	    "to each of the relations it shows");
	atf_tc_set_md_var(tc, "require.config", "pg_dsn");
}
ATF_TC_BODY(customer_doc__equals_customer_json, tc)
{
	PGconn	*c = admin(atf_tc_get_config_var(tc, "pg_dsn"));
	char	 pid[64], lead[64], lead2[64], cpf[16], v[64];

	store_person(c, pid, sizeof(pid), lead, sizeof(lead));
	CHECK_DOC(c, pid, "the store");
	doc_value(c, pid, "doc::jsonb #>> '{phones,0,number}'", v, sizeof(v));
	ATF_CHECK_STREQ(v, "11987654321");

	/* PERSON_STORE again: the upsert of persons, a second lead. */
	value(c, "SELECT cpf FROM c2s.persons WHERE id = $1", pid, cpf,
	    sizeof(cpf));
	value(c, "SELECT md5(random()::text || clock_timestamp())", NULL,
	    lead2, sizeof(lead2));
	exec_ok(c, "BEGIN");
	exec1(c, "INSERT INTO c2s.leads (lead_id) VALUES ($1)", lead2);
	exec1(c, "WITH p AS (INSERT INTO c2s.persons AS t (cpf, name) "
	    "VALUES ($1, 'Maria Teste Silva') ON CONFLICT (cpf) DO UPDATE "
	    "SET name = EXCLUDED.name, updated_at = now() RETURNING id) "
	    "INSERT INTO c2s.contacts (person_id, type, value, source) "
	    "SELECT id, 'email', 'maria2@example.com', 'lead' FROM p", cpf);
	CHECK_DOC(c, pid, "the upsert");
	exec2(c, "INSERT INTO c2s.lead_persons (lead_id, person_id, found_by) "
	    "VALUES ($1, $2, 'email')", lead2, pid);
	exec_ok(c, "COMMIT");
	CHECK_DOC(c, pid, "a second lead");
	doc_value(c, pid, "jsonb_array_length(doc::jsonb -> 'leads')", v,
	    sizeof(v));
	ATF_CHECK_STREQ(v, "2");

	/* One write to each relation, outside the pipeline. */
	exec1(c, "UPDATE c2s.persons SET birth_date = '1981-03-04' "
	    "WHERE id = $1", pid);
	CHECK_DOC(c, pid, "persons updated");
	exec1(c, "UPDATE c2s.contacts SET whatsapp = NOT coalesce(whatsapp, "
	    "false) WHERE person_id = $1", pid);
	CHECK_DOC(c, pid, "contacts updated");
	exec1(c, "DELETE FROM c2s.contacts WHERE person_id = $1 AND "
	    "type = 'email'", pid);
	CHECK_DOC(c, pid, "contacts deleted");
	exec1(c, "INSERT INTO c2s.addresses (person_id, street, city) "
	    "VALUES ($1, 'Rua B', 'Campinas')", pid);
	CHECK_DOC(c, pid, "an address inserted");
	exec1(c, "UPDATE c2s.addresses SET cep = '13000000' "
	    "WHERE person_id = $1 AND street = 'Rua B'", pid);
	CHECK_DOC(c, pid, "an address updated");
	exec1(c, "DELETE FROM c2s.addresses WHERE person_id = $1 AND "
	    "street = 'Rua A'", pid);
	CHECK_DOC(c, pid, "an address deleted");
	exec1(c, "INSERT INTO c2s.dossiers (person_id, raw) VALUES ($1, "
	    "'{\"DadosBasicos\": {\"sexo\": \"F\", \"nomePai\": \"Jose\"}}')",
	    pid);
	CHECK_DOC(c, pid, "a dossier inserted");
	exec1(c, "UPDATE c2s.dossiers SET fetched_at = fetched_at - "
	    "interval '1 day' WHERE person_id = $1", pid);
	CHECK_DOC(c, pid, "dossiers updated");
	exec1(c, "DELETE FROM c2s.dossiers WHERE id = (SELECT max(id) FROM "
	    "c2s.dossiers WHERE person_id = $1)", pid);
	CHECK_DOC(c, pid, "a dossier deleted");
	exec1(c, "UPDATE c2s.lead_persons SET found_by = 'both' "
	    "WHERE lead_id = $1", lead);
	CHECK_DOC(c, pid, "lead_persons updated");
	exec1(c, "DELETE FROM c2s.lead_persons WHERE lead_id = $1", lead2);
	CHECK_DOC(c, pid, "lead_persons deleted");
	doc_value(c, pid, "jsonb_array_length(doc::jsonb -> 'leads')", v,
	    sizeof(v));
	ATF_CHECK_STREQ(v, "1");
	exec1(c, "DELETE FROM c2s.leads WHERE lead_id = $1", lead2);
	drop_person(c, pid);
	PQfinish(c);
}

ATF_TC(customer_doc__follows_lead_status);
ATF_TC_HEAD(customer_doc__follows_lead_status, tc)
{
	atf_tc_set_md_var(tc, "descr", "a lead's status change is in the "
	    "documents of its persons; an update that leaves the status alone "
	    "does not rewrite them");
	atf_tc_set_md_var(tc, "require.config", "pg_dsn");
}
ATF_TC_BODY(customer_doc__follows_lead_status, tc)
{
	PGconn	*c = admin(atf_tc_get_config_var(tc, "pg_dsn"));
	char	 pid[64], lead[64], v[64], x0[32], x1[32];

	store_person(c, pid, sizeof(pid), lead, sizeof(lead));
	doc_value(c, pid, "doc::jsonb #>> '{leads,0,status}'", v, sizeof(v));
	ATF_CHECK_STREQ(v, "processing");

	/* As lead_finish does. */
	exec1(c, "UPDATE c2s.leads SET status = 'completed', updated_at = "
	    "now() WHERE lead_id = $1", lead);
	doc_value(c, pid, "doc::jsonb #>> '{leads,0,status}'", v, sizeof(v));
	ATF_CHECK_STREQ(v, "completed");
	CHECK_DOC(c, pid, "the status change");

	/* As an operator's retry, then lead_gave_up. */
	exec1(c, "UPDATE c2s.leads SET status = 'processing' "
	    "WHERE lead_id = $1", lead);
	exec1(c, "UPDATE c2s.leads SET status = 'failed', last_error = 'x' "
	    "WHERE lead_id = $1 AND status = 'processing'", lead);
	doc_value(c, pid, "doc::jsonb #>> '{leads,0,status}'", v, sizeof(v));
	ATF_CHECK_STREQ(v, "failed");
	CHECK_DOC(c, pid, "the second change");

	/* Not the status: the document's row is not written again. */
	doc_value(c, pid, "xmin::text", x0, sizeof(x0));
	exec1(c, "UPDATE c2s.leads SET attempts = attempts + 1, "
	    "next_retry_at = now() WHERE lead_id = $1", lead);
	doc_value(c, pid, "xmin::text", x1, sizeof(x1));
	ATF_CHECK_STREQ(x0, x1);
	drop_person(c, pid);
	PQfinish(c);
}

/* GET /api/v1/customers/"pid" through "ctx": its status, body in "out". */
static int
get_customer(struct ce_ctx *ctx, const char *pid, char *out, size_t sz)
{
	static const char *const env[] = { NULL };
	char		 uri[128];
	struct ce_req	 req = { .method = "GET", .env = env, .body = "" };
	struct ce_resp	 resp;

	snprintf(uri, sizeof(uri), "/api/v1/customers/%s", pid);
	req.uri = uri;
	ce_handle(ctx, &req, &resp);
	ATF_REQUIRE(resp.body->len < sz);
	memcpy(out, resp.body->data, resp.body->len);
	out[resp.body->len] = '\0';
	return resp.status;
}

ATF_TC(customer_id__reads_doc);
ATF_TC_HEAD(customer_id__reads_doc, tc)
{
	atf_tc_set_md_var(tc, "descr", "GET /api/v1/customers/{uuid} is one "
	    "read of customer_docs_pkey, touching none of the six relations; "
	    "customer_json() only for a person without a document");
	atf_tc_set_md_var(tc, "require.config", "pg_dsn");
}
ATF_TC_BODY(customer_id__reads_doc, tc)
{
	const char	*dsn = atf_tc_get_config_var(tc, "pg_dsn");
	char		 app[64], mydsn[1024], pid[64], lead[64];
	char		 body[16384], doc[16384], stmt[1024], sql[1100], v[32];
	struct ce_ctx	*ctx;
	PGconn		*c = admin(dsn), *m;
	PGresult	*r;
	const char	*p[1];
	int		 i, pkey = 0;

	snprintf(app, sizeof(app), "db_test_doc_%ld", (long)getpid());
	snprintf(mydsn, sizeof(mydsn), "%s application_name=%s", dsn, app);
	ctx = ctx_for(mydsn);
	store_person(c, pid, sizeof(pid), lead, sizeof(lead));
	value(c, "SELECT doc FROM c2s.customer_docs WHERE person_id = $1",
	    pid, doc, sizeof(doc));
	ATF_REQUIRE(doc[0] != '\0');
	ATF_CHECK_EQ(get_customer(ctx, pid, body, sizeof(body)), 200);
	ATF_CHECK_MSG(strlen(body) == strlen(doc) + 1 &&
	    strncmp(body, doc, strlen(doc)) == 0, "body %s", body);

	/* The statement the responder ran, as its backend shows it. */
	value(c, "SELECT query FROM pg_stat_activity WHERE "
	    "application_name = $1", app, stmt, sizeof(stmt));
	ATF_REQUIRE_MSG(strstr(stmt, "customer_docs") != NULL, "last "
	    "statement: %s", stmt);
	p[0] = pid;
	snprintf(sql, sizeof(sql), "EXPLAIN (COSTS OFF) %s", stmt);
	r = PQexecParams(c, sql, 1, NULL, p, NULL, NULL, 0);
	ATF_REQUIRE_MSG(PQresultStatus(r) == PGRES_TUPLES_OK, "%s",
	    PQerrorMessage(c));
	for (i = 0; i < PQntuples(r); i++) {
		if (strstr(PQgetvalue(r, i, 0), "Index Scan using "
		    "customer_docs_pkey") != NULL)
			pkey++;
		ATF_CHECK_MSG(strstr(PQgetvalue(r, i, 0), "Seq Scan") == NULL,
		    "plan: %s", PQgetvalue(r, i, 0));
	}
	PQclear(r);
	ATF_CHECK_EQ(pkey, 1);
	/*
	 * Run on a new session, whose statistics not yet flushed (the
	 * pg_stat_xact_ views) count its scans and only them.
	 */
	m = admin(dsn);
	exec_ok(m, "BEGIN");
	r = PQexecParams(m, stmt, 1, NULL, p, NULL, NULL, 0);
	ATF_REQUIRE(PQresultStatus(r) == PGRES_TUPLES_OK &&
	    PQntuples(r) == 1);
	ATF_CHECK_STREQ(PQgetvalue(r, 0, 0), doc);
	PQclear(r);
	value(m, "SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) "
	    "FROM pg_stat_xact_user_tables WHERE schemaname = 'c2s' AND "
	    "relname IN ('persons', 'dossiers', 'contacts', 'addresses', "
	    "'lead_persons', 'leads')", NULL, v, sizeof(v));
	ATF_CHECK_STREQ(v, "0");
	value(m, "SELECT idx_scan FROM pg_stat_xact_user_tables WHERE "
	    "schemaname = 'c2s' AND relname = 'customer_docs'", NULL, v,
	    sizeof(v));
	ATF_CHECK_STREQ(v, "1");
	exec_ok(m, "ROLLBACK");
	PQfinish(m);

	/* The document is what is served, not built again. */
	exec1(c, "UPDATE c2s.customer_docs SET doc = '{\"kept\": 1}' "
	    "WHERE person_id = $1", pid);
	ATF_CHECK_EQ(get_customer(ctx, pid, body, sizeof(body)), 200);
	ATF_CHECK_STREQ(body, "{\"kept\": 1}\n");

	/* No document: customer_json() builds the same bytes. */
	exec1(c, "DELETE FROM c2s.customer_docs WHERE person_id = $1", pid);
	ATF_CHECK_EQ(get_customer(ctx, pid, body, sizeof(body)), 200);
	ATF_CHECK_MSG(strlen(body) == strlen(doc) + 1 &&
	    strncmp(body, doc, strlen(doc)) == 0, "fallback body %s", body);
	exec1(c, "SELECT c2s.customer_doc_refresh($1)", pid);
	CHECK_DOC(c, pid, "a refresh");
	drop_person(c, pid);
	PQfinish(c);
	ce_ctx_free(ctx);
}

ATF_TC(customer_doc__retention_delete);
ATF_TC_HEAD(customer_doc__retention_delete, tc)
{
	atf_tc_set_md_var(tc, "descr", "a person deleted leaves no document; "
	    "a lead deleted leaves its persons' documents without it");
	atf_tc_set_md_var(tc, "require.config", "pg_dsn");
}
ATF_TC_BODY(customer_doc__retention_delete, tc)
{
	PGconn	*c = admin(atf_tc_get_config_var(tc, "pg_dsn"));
	char	 pid[64], lead[64], pid2[64], lead2[64], v[64];

	store_person(c, pid, sizeof(pid), lead, sizeof(lead));
	store_person(c, pid2, sizeof(pid2), lead2, sizeof(lead2));

	/* The lead goes (its lead_persons with it): the document follows. */
	exec1(c, "DELETE FROM c2s.leads WHERE lead_id = $1", lead);
	CHECK_DOC(c, pid, "the lead deleted");
	doc_value(c, pid, "jsonb_array_length(doc::jsonb -> 'leads')", v,
	    sizeof(v));
	ATF_CHECK_STREQ(v, "0");

	/* The person goes: so does its document, and only its. */
	exec1(c, "DELETE FROM c2s.persons WHERE id = $1", pid);
	doc_value(c, pid, "count(*)", v, sizeof(v));
	ATF_CHECK_STREQ(v, "0");
	CHECK_DOC(c, pid2, "another person deleted");
	exec1(c, "DELETE FROM c2s.leads WHERE lead_id = $1", lead2);
	exec1(c, "DELETE FROM c2s.persons WHERE id = $1", pid2);
	doc_value(c, pid2, "count(*)", v, sizeof(v));
	ATF_CHECK_STREQ(v, "0");
	PQfinish(c);
}

ATF_TC(customer_doc__concurrent_writers);
ATF_TC_HEAD(customer_doc__concurrent_writers, tc)
{
	atf_tc_set_md_var(tc, "descr", "two transactions writing one person "
	    "at once: the second's refresh waits for the first and its "
	    "document has both writes");
	atf_tc_set_md_var(tc, "require.config", "pg_dsn");
}
ATF_TC_BODY(customer_doc__concurrent_writers, tc)
{
	const char	*dsn = atf_tc_get_config_var(tc, "pg_dsn");
	PGconn		*c = admin(dsn), *t1 = admin(dsn), *t2 = admin(dsn);
	PGresult	*r;
	char		 pid[64], lead[64], sql[512], v[16];
	const char	*p[1];
	int		 busy;

	store_person(c, pid, sizeof(pid), lead, sizeof(lead));
	exec_ok(t1, "BEGIN");
	exec1(t1, "INSERT INTO c2s.contacts (person_id, type, value, source) "
	    "VALUES ($1, 'email', 'first@example.com', 'lead')", pid);
	/* The second writer, an address, while the first is open. */
	p[0] = pid;
	ATF_REQUIRE(PQsendQueryParams(t2, "INSERT INTO c2s.addresses "
	    "(person_id, street, city) VALUES ($1, 'Rua C', 'Santos')", 1,
	    NULL, p, NULL, NULL, 0) == 1);
	/* It waits on the person's row lock (pg_stat_activity says so). */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_stat_activity "
	    "WHERE pid = %d AND wait_event_type = 'Lock'",
	    PQbackendPID(t2));
	for (busy = 0; busy < 200; busy++) {
		value(c, sql, NULL, v, sizeof(v));
		if (strcmp(v, "1") == 0)
			break;
		usleep(10000);
	}
	ATF_CHECK_STREQ_MSG(v, "1", "the second writer did not wait");
	exec_ok(t1, "COMMIT");
	while ((r = PQgetResult(t2)) != NULL) {
		ATF_CHECK_MSG(PQresultStatus(r) == PGRES_COMMAND_OK, "%s",
		    PQerrorMessage(t2));
		PQclear(r);
	}
	CHECK_DOC(c, pid, "two writers");
	value(c, "SELECT (doc::jsonb -> 'emails') @> "
	    "'[{\"address\": \"first@example.com\"}]' AND "
	    "(doc::jsonb -> 'addresses') @> '[{\"street\": \"Rua C\"}]' "
	    "FROM c2s.customer_docs WHERE person_id = $1", pid, v, sizeof(v));
	ATF_CHECK_STREQ(v, "t");
	drop_person(c, pid);
	PQfinish(t1);
	PQfinish(t2);
	PQfinish(c);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, ready__schema_current);
	ATF_TP_ADD_TC(tp, ready__dedup_unmappable);
	ATF_TP_ADD_TC(tp, ready__survives_killed_backend);
	ATF_TP_ADD_TC(tp, ready__schema_missing);
	ATF_TP_ADD_TC(tp, ready__schema_pending);
	ATF_TP_ADD_TC(tp, customer_doc__equals_customer_json);
	ATF_TP_ADD_TC(tp, customer_doc__follows_lead_status);
	ATF_TP_ADD_TC(tp, customer_id__reads_doc);
	ATF_TP_ADD_TC(tp, customer_doc__retention_delete);
	ATF_TP_ADD_TC(tp, customer_doc__concurrent_writers);
	return atf_no_error();
}
