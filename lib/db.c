/*
 * db.c -- the responder's one PostgreSQL connection.  It is opened on first
 * use (after fork), statements are prepared on it lazily by number, and a
 * broken connection (a server restart, a killed backend) is reset and its
 * statements re-prepared; a statement marked safe is then retried once, so
 * a restart costs no request an error.  Parameters only: no SQL is ever
 * built from data.
 */
#include <stdlib.h>
#include <string.h>

#include "c2s-enrich.h"
#include "extern.h"

static const struct {
	const char	*name;
	const char	*sql;
	int		 nparams;
	int		 safe;	/* may be repeated after a reconnect */
} stmts[CX_STMT__MAX] = {
	[CX_STMT_SCHEMA_VERSION] = { "schema_version",
	    "SELECT coalesce(max(version), 0) FROM public.schema_migrations",
	    0, 1 },
	/*
	 * Record a lead before any paid call.  Safe: a repeat after a lost
	 * reply only counts one attempt too many.
	 */
	[CX_STMT_LEAD_START] = { "lead_start",
	    "INSERT INTO c2s.leads AS l (lead_id, source, status, attempts) "
	    "VALUES ($1, $2, 'processing', 1) "
	    "ON CONFLICT (lead_id) DO UPDATE SET status = 'processing', "
	    "attempts = l.attempts + 1, updated_at = now() "
	    "RETURNING attempts",
	    2, 1 },
	/* $7: seconds until the next retry, '' for none. */
	[CX_STMT_LEAD_FINISH] = { "lead_finish",
	    "UPDATE c2s.leads SET status = $2, last_error = nullif($3, ''), "
	    "customer_name = coalesce(nullif($4, ''), customer_name), "
	    "phone = coalesce(nullif($5, ''), phone), "
	    "email = coalesce(nullif($6, ''), email), "
	    "next_retry_at = CASE WHEN $7 = '' THEN NULL ELSE now() + "
	    "make_interval(secs => $7::double precision) END, "
	    "note_state = coalesce(nullif($8, ''), note_state), "
	    "updated_at = now() WHERE lead_id = $1",
	    8, 1 },
	/* The newest dossier of a CPF younger than $2 milliseconds. */
	[CX_STMT_DOSSIER_FRESH] = { "dossier_fresh",
	    "SELECT d.raw::text FROM c2s.dossiers d "
	    "JOIN c2s.persons p ON p.id = d.person_id WHERE p.cpf = $1 "
	    "AND d.fetched_at > now() - "
	    "make_interval(secs => $2::double precision / 1000) "
	    "ORDER BY d.fetched_at DESC LIMIT 1",
	    2, 1 },
	/*
	 * A person and what a lead found about it, in one statement: the
	 * person (one row per CPF), the link to the lead, a new dossier
	 * ($7, or NULL when a stored one was reused) with the contacts and
	 * addresses it lists, and the lead's own phone ($8) and e-mail ($9)
	 * that found it.  Returns the person's id, whether it is new, and
	 * how many dossier, contact and address rows were written.
	 */
	[CX_STMT_PERSON_STORE] = { "person_store",
	    "WITH p AS ("
	    " INSERT INTO c2s.persons AS t (cpf, name, name_folded, birth_date)"
	    " VALUES ($1, nullif($2, ''), nullif($3, ''), nullif($4, '')::date)"
	    " ON CONFLICT (cpf) DO UPDATE SET"
	    " name = coalesce(EXCLUDED.name, t.name),"
	    " name_folded = coalesce(EXCLUDED.name_folded, t.name_folded),"
	    " birth_date = coalesce(EXCLUDED.birth_date, t.birth_date),"
	    " updated_at = now()"
	    " RETURNING id, (xmax = 0) AS created"
	    "), lp AS ("
	    " INSERT INTO c2s.lead_persons (lead_id, person_id, found_by)"
	    " SELECT $5, id, $6 FROM p ON CONFLICT (lead_id, person_id)"
	    " DO UPDATE SET found_by = EXCLUDED.found_by"
	    "), j AS (SELECT $7::jsonb AS raw"
	    "), d AS ("
	    " INSERT INTO c2s.dossiers (person_id, raw)"
	    " SELECT p.id, j.raw FROM p, j WHERE j.raw IS NOT NULL RETURNING id"
	    "), c AS ("
	    " INSERT INTO c2s.contacts (person_id, type, value, whatsapp, source)"
	    " SELECT p.id, v.type, v.value, v.whatsapp, v.source FROM p, ("
	    "  SELECT 'email' AS type, lower(btrim(e ->> 'email')) AS value,"
	    "  NULL::boolean AS whatsapp, 'work_api' AS source FROM j,"
	    "  jsonb_array_elements(CASE jsonb_typeof(j.raw -> 'emails')"
	    "  WHEN 'array' THEN j.raw -> 'emails' ELSE '[]' END) e"
	    "  UNION ALL"
	    "  SELECT 'phone', regexp_replace(x ->> 'telefone', '[^0-9]', '',"
	    "  'g'), (x ->> 'whatsapp') = 'SIM', 'work_api' FROM j,"
	    "  jsonb_array_elements(CASE jsonb_typeof(j.raw -> 'telefones')"
	    "  WHEN 'array' THEN j.raw -> 'telefones' ELSE '[]' END) x"
	    "  UNION ALL SELECT 'phone', $8, NULL, 'lead' WHERE $8 <> ''"
	    "  UNION ALL SELECT 'email', $9, NULL, 'lead' WHERE $9 <> ''"
	    " ) v WHERE coalesce(v.value, '') <> ''"
	    " ON CONFLICT (person_id, type, value) DO NOTHING RETURNING id"
	    "), a AS ("
	    " INSERT INTO c2s.addresses (person_id, street, number, complement,"
	    " district, city, uf, cep)"
	    " SELECT p.id, nullif(btrim(concat_ws(' ', x ->> 'tipoLogradouro',"
	    " x ->> 'logradouro')), ''), nullif(x ->> 'logradouroNumero', ''),"
	    " nullif(x ->> 'complemento', ''), nullif(x ->> 'bairro', ''),"
	    " nullif(x ->> 'cidade', ''),"
	    " CASE WHEN x ->> 'uf' ~ '^[A-Z]{2}$' THEN x ->> 'uf' END,"
	    " nullif(x ->> 'cep', '') FROM p, j,"
	    " jsonb_array_elements(CASE jsonb_typeof(j.raw -> 'enderecos')"
	    " WHEN 'array' THEN j.raw -> 'enderecos' ELSE '[]' END) x"
	    " WHERE jsonb_typeof(x) = 'object'"
	    " ON CONFLICT DO NOTHING RETURNING id"
	    ") SELECT p.id, p.created::int, (SELECT count(*) FROM d),"
	    " (SELECT count(*) FROM c), (SELECT count(*) FROM a) FROM p",
	    9, 0 },
	/*
	 * Claim the posting of a note: 'claimed' when this text was never
	 * posted on the lead (or a responder that claimed it died long ago),
	 * else the state of the earlier claim, 'posted' or 'posting'.
	 */
	[CX_STMT_NOTE_CLAIM] = { "note_claim",
	    "WITH h AS (SELECT encode(sha256(convert_to($2, 'UTF8')), 'hex') "
	    "AS sha), ins AS (INSERT INTO c2s.notes AS n (lead_id, "
	    "text_sha256, body, state) SELECT $1, h.sha, $2, 'posting' FROM h "
	    "ON CONFLICT (lead_id, text_sha256) DO UPDATE SET "
	    "posted_at = now() WHERE n.state = 'posting' AND "
	    "n.posted_at < now() - interval '10 minutes' "
	    "RETURNING text_sha256) "
	    "SELECT text_sha256, 'claimed' FROM ins UNION ALL "
	    "SELECT n.text_sha256, n.state FROM c2s.notes n, h "
	    "WHERE n.lead_id = $1 AND n.text_sha256 = h.sha "
	    "AND NOT EXISTS (SELECT 1 FROM ins)",
	    2, 0 },
	[CX_STMT_NOTE_DONE] = { "note_done",
	    "UPDATE c2s.notes SET state = 'posted', posted_at = now() "
	    "WHERE lead_id = $1 AND text_sha256 = $2",
	    2, 1 },
	/*
	 * Claims on leads (sql/0004).  A claim is ours if the row is new or
	 * had expired; safe to repeat, as a repeat finds its own claim.
	 */
	[CX_STMT_CLAIM_TAKE] = { "claim_take",
	    "INSERT INTO c2s.lead_claims AS c (lead_id, owner, state, "
	    "expires_at) VALUES ($1, $2, 'inflight', now() + "
	    "make_interval(secs => $3::double precision / 1000)) "
	    "ON CONFLICT (lead_id) DO UPDATE SET owner = EXCLUDED.owner, "
	    "state = 'inflight', outcome = NULL, claimed_at = now(), "
	    "expires_at = EXCLUDED.expires_at WHERE c.expires_at <= now() "
	    "RETURNING lead_id",
	    3, 1 },
	[CX_STMT_CLAIM_GET] = { "claim_get",
	    "SELECT owner, state, coalesce(outcome, '') FROM c2s.lead_claims "
	    "WHERE lead_id = $1",
	    1, 1 },
	/* Take over the claim of an owner found dead. */
	[CX_STMT_CLAIM_STEAL] = { "claim_steal",
	    "UPDATE c2s.lead_claims SET owner = $2, state = 'inflight', "
	    "outcome = NULL, claimed_at = now(), expires_at = now() + "
	    "make_interval(secs => $4::double precision / 1000) "
	    "WHERE lead_id = $1 AND owner = $3 AND state = 'inflight' "
	    "RETURNING lead_id",
	    4, 1 },
	[CX_STMT_CLAIM_DONE] = { "claim_done",
	    "UPDATE c2s.lead_claims SET state = 'done', outcome = $4, "
	    "expires_at = now() + make_interval(secs => $3::double precision "
	    "/ 1000) WHERE lead_id = $1 AND owner = $2",
	    4, 1 },
	[CX_STMT_CLAIM_RELEASE] = { "claim_release",
	    "DELETE FROM c2s.lead_claims WHERE lead_id = $1 AND owner = $2",
	    2, 1 },
	[CX_STMT_NOTE_RELEASE] = { "note_release",
	    "DELETE FROM c2s.notes WHERE lead_id = $1 AND text_sha256 = $2 "
	    "AND state = 'posting'",
	    2, 1 },
};

struct cx_db {
	char		*dsn;
	PGconn		*conn;
	unsigned	 prepared;	/* bit per statement, this connection */
	unsigned	 resets;
	int		 in_tx;		/* inside BEGIN ... COMMIT */
	char		 sqlstate[6];
	struct ce_ctx	*ctx;
};

/*
 * Make a handle for "dsn" (a conninfo string or URI; empty means libpq's
 * PG* variables).  Connects nothing.  Returns NULL on allocation failure.
 */
struct cx_db *
cx_db_new(const char *dsn, struct ce_ctx *ctx)
{
	struct cx_db	*db;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		return NULL;
	if ((db->dsn = strdup(dsn)) == NULL) {
		free(db);
		return NULL;
	}
	db->ctx = ctx;
	return db;
}

void
cx_db_free(struct cx_db *db)
{
	if (db == NULL)
		return;
	if (db->conn != NULL)
		PQfinish(db->conn);
	free(db->dsn);
	free(db);
}

/* The SQLSTATE of the last failure, or "" after a success. */
const char *
cx_db_sqlstate(const struct cx_db *db)
{
	return db->sqlstate;
}

/* How many times the connection was re-established. */
unsigned
cx_db_resets(const struct cx_db *db)
{
	return db->resets;
}

/* Log libpq's message for this connection, first line only. */
static void
db_log_error(struct cx_db *db, const char *what, const PGresult *res)
{
	const char	*msg = NULL;
	char		 line[256];
	size_t		 n;

	if (res != NULL)
		msg = PQresultErrorMessage(res);
	if ((msg == NULL || *msg == '\0') && db->conn != NULL)
		msg = PQerrorMessage(db->conn);
	if (msg == NULL)
		msg = "";
	n = strcspn(msg, "\n");
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, msg, n);
	line[n] = '\0';
	ce_log(db->ctx, CE_LOG_ERROR, "db: %s: %s%s%s", what, line,
	    db->sqlstate[0] != '\0' ? " sqlstate " : "", db->sqlstate);
}

/*
 * Make sure there is an open connection: connect the first time, reset a
 * broken one.  Returns CE_OK or CE_EDB (logged).
 */
static enum ce_err
db_ensure(struct cx_db *db)
{
	static const char *const keys[] = {
		"connect_timeout", "application_name", "options", "dbname",
		NULL
	};
	const char	*vals[] = {
		"3", CE_SERVICE, "-c search_path=", db->dsn, NULL
	};

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return CE_OK;
	if (db->in_tx) {
		/* A reset now would run the rest outside the transaction. */
		db_log_error(db, "connection lost in a transaction", NULL);
		return CE_EDB;
	}
	if (db->conn == NULL) {
		/* Later keys override the DSN's: the DSN goes last. */
		db->conn = PQconnectdbParams(keys, vals, 1);
		if (db->conn == NULL) {
			ce_log(db->ctx, CE_LOG_ERROR, "db: out of memory");
			return CE_EDB;
		}
	} else {
		PQreset(db->conn);
		db->resets++;
	}
	db->prepared = 0;
	if (PQstatus(db->conn) != CONNECTION_OK) {
		db_log_error(db, "connect", NULL);
		return CE_EDB;
	}
	return CE_OK;
}

/*
 * After a failure that broke the connection: reset it even if libpq still
 * says it is fine (it learns of a server restart only on use).  A
 * connection libpq already knows broken is left to db_ensure().  Returns
 * CE_OK or CE_EDB (logged).
 */
static enum ce_err
db_force_reset(struct cx_db *db)
{
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
		return CE_OK;
	PQreset(db->conn);
	db->resets++;
	db->prepared = 0;
	if (PQstatus(db->conn) != CONNECTION_OK) {
		db_log_error(db, "reconnect", NULL);
		return CE_EDB;
	}
	return CE_OK;
}

/* Did this failure break the connection (so a reset may help)? */
static int
db_conn_lost(const struct cx_db *db)
{
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
		return 1;
	/* 08: connection exception; 57P01-03: shutdown, crash, cannot connect. */
	return strncmp(db->sqlstate, "08", 2) == 0 ||
	    strncmp(db->sqlstate, "57P", 3) == 0;
}

static void
db_set_state(struct cx_db *db, const PGresult *res)
{
	const char	*st = NULL;

	if (res != NULL)
		st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	ce_strlcpy(db->sqlstate, st != NULL ? st : "", sizeof(db->sqlstate));
}

/*
 * Run prepared statement "s" with "nparams" text parameters.  On CE_OK
 * "*out" holds the result, which the caller must PQclear().  Returns
 * CE_EDB on any failure (logged; cx_db_sqlstate() tells which), with
 * "*out" NULL.  A statement marked safe is retried once on a fresh
 * connection when the old one turned out to be broken.
 */
enum ce_err
cx_db_exec(struct cx_db *db, enum cx_stmt s, int nparams,
    const char *const *params, PGresult **out)
{
	PGresult	*res = NULL;
	ExecStatusType	 st;
	int		 attempt;

	*out = NULL;
	if ((unsigned)s >= CX_STMT__MAX || nparams != stmts[s].nparams)
		return CE_ESYSTEM;
	for (attempt = 0; attempt < 2; attempt++) {
		db->sqlstate[0] = '\0';
		if (db_ensure(db) != CE_OK)
			return CE_EDB;
		if ((db->prepared & (1u << s)) == 0) {
			res = PQprepare(db->conn, stmts[s].name, stmts[s].sql,
			    nparams, NULL);
			if (res == NULL ||
			    PQresultStatus(res) != PGRES_COMMAND_OK) {
				db_set_state(db, res);
				goto failed;
			}
			PQclear(res);
			db->prepared |= 1u << s;
		}
		res = PQexecPrepared(db->conn, stmts[s].name, nparams, params,
		    NULL, NULL, 0);
		st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			*out = res;
			return CE_OK;
		}
		db_set_state(db, res);
failed:
		if (attempt == 0 && stmts[s].safe && !db->in_tx &&
		    db_conn_lost(db)) {
			ce_log(db->ctx, CE_LOG_WARN, "db: connection lost, "
			    "reconnecting to retry %s", stmts[s].name);
			PQclear(res);
			res = NULL;
			if (db_force_reset(db) != CE_OK)
				return CE_EDB;
			continue;
		}
		db_log_error(db, stmts[s].name, res);
		PQclear(res);
		return CE_EDB;
	}
	return CE_EDB;
}

/*
 * Run a command without parameters ("BEGIN", "COMMIT", "ROLLBACK").
 * "retry": may be repeated on a fresh connection when the old one was
 * found broken (only BEGIN: nothing was done yet).
 */
static enum ce_err
db_command(struct cx_db *db, const char *cmd, int retry)
{
	PGresult	*res;
	int		 attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		db->sqlstate[0] = '\0';
		if (db_ensure(db) != CE_OK)
			return CE_EDB;
		res = PQexec(db->conn, cmd);
		if (res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK) {
			PQclear(res);
			return CE_OK;
		}
		db_set_state(db, res);
		if (attempt == 0 && retry && db_conn_lost(db)) {
			PQclear(res);
			if (db_force_reset(db) != CE_OK)
				return CE_EDB;
			continue;
		}
		db_log_error(db, cmd, res);
		PQclear(res);
		return CE_EDB;
	}
	return CE_EDB;
}

/*
 * Transactions.  Statements run between cx_db_begin() and cx_db_commit()
 * are never retried on their own: a lost connection loses the whole
 * transaction, and the caller sees CE_EDB.
 */
enum ce_err
cx_db_begin(struct cx_db *db)
{
	enum ce_err	 er;

	if (db->in_tx)
		return CE_ESYSTEM;
	if ((er = db_command(db, "BEGIN", 1)) == CE_OK)
		db->in_tx = 1;
	return er;
}

enum ce_err
cx_db_commit(struct cx_db *db)
{
	enum ce_err	 er;

	if (!db->in_tx)
		return CE_ESYSTEM;
	db->in_tx = 0;
	er = db_command(db, "COMMIT", 0);
	return er;
}

/* Roll back, if a transaction is open; a failure is only logged. */
void
cx_db_rollback(struct cx_db *db)
{
	if (!db->in_tx)
		return;
	db->in_tx = 0;
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		(void)db_command(db, "ROLLBACK", 0);
}
