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
};

struct cx_db {
	char		*dsn;
	PGconn		*conn;
	unsigned	 prepared;	/* bit per statement, this connection */
	unsigned	 resets;
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
		if (attempt == 0 && stmts[s].safe && db_conn_lost(db)) {
			ce_log(db->ctx, CE_LOG_WARN, "db: connection lost, "
			    "reconnecting to retry %s", stmts[s].name);
			PQclear(res);
			res = NULL;
			/* Force a reset even if libpq still says OK. */
			if (db->conn != NULL &&
			    PQstatus(db->conn) == CONNECTION_OK) {
				PQreset(db->conn);
				db->resets++;
				db->prepared = 0;
				if (PQstatus(db->conn) != CONNECTION_OK) {
					db_log_error(db, "reconnect", NULL);
					return CE_EDB;
				}
			}
			continue;
		}
		db_log_error(db, stmts[s].name, res);
		PQclear(res);
		return CE_EDB;
	}
	return CE_EDB;
}
