/*
 * pg.c -- the responder's one PostgreSQL connection.  It is opened on first
 * use (after fork), statements of the table its creator hands it (store.c)
 * are prepared on it lazily by number, and a
 * broken connection (a server restart, a killed backend) is reset and its
 * statements re-prepared; a statement marked safe is then retried once, so
 * a restart costs no request an error.  Parameters only: no SQL is ever
 * built from data.
 */
#include <limits.h>
#include <stdint.h>
#include <sys/select.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "core/util.h"
#include "io/pg.h"

struct cx_db {
	char		*dsn;
	PGconn		*conn;
	const struct cx_pg_stmt *stmts;	/* the creator's, by number */
	size_t		 nstmts;	/* at most 64 */
	uint64_t	 prepared;	/* bit per statement, this connection */
	unsigned	 resets;
	int		 in_tx;		/* inside BEGIN ... COMMIT */
	int		 probe;		/* connect even if the breaker is open */
	char		 sqlstate[6];
	char		 options[96];	/* search_path, statement_timeout, jit */
	struct cx_log	*log;
	struct cx_pg_gate gate;		/* the breaker, as its owner wires it */
};

/*
 * Make a handle for "dsn" (a conninfo string or URI; empty means libpq's
 * PG* variables); no statement runs longer than "deadline_ms".  Errors go
 * to "log".  "gate" is asked before each connect and told how connects and
 * statements went; it is copied.  "stmts" (at most 64, one bit each in
 * "prepared") are the statements cx_db_exec() runs by index; the caller
 * keeps them alive.  Connects nothing.  Returns NULL on allocation
 * failure or too many statements.
 */
struct cx_db *
cx_db_new(const char *dsn, long long deadline_ms, struct cx_log *log,
    const struct cx_pg_gate *gate, const struct cx_pg_stmt *stmts,
    size_t nstmts)
{
	struct cx_db	*db;

	if (nstmts > 64 || (db = calloc(1, sizeof(*db))) == NULL)
		return NULL;
	if ((db->dsn = strdup(dsn)) == NULL) {
		free(db);
		return NULL;
	}
	db->log = log;
	db->gate = *gate;
	db->stmts = stmts;
	db->nstmts = nstmts;
	/*
	 * No statement outlives the request's deadline.  No JIT: every
	 * statement here is small, and compiling one whose estimated cost
	 * passes jit_above_cost (c2s.stats_json() with a few thousand leads)
	 * takes seconds, far more than running it.
	 */
	snprintf(db->options, sizeof(db->options), "-c search_path= "
	    "-c statement_timeout=%lld -c jit=off",
	    deadline_ms);
	return db;
}

/* For /ready: connect even when the breaker is open (it probes). */
void
cx_db_set_probe(struct cx_db *db, int on)
{
	db->probe = on;
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
	cx_logf(db->log, CE_LOG_ERROR, "db: %s: %s%s%s", what, line,
	    db->sqlstate[0] != '\0' ? " sqlstate " : "", db->sqlstate);
}

/*
 * What libpq would print on stderr (a notice; the FATAL an idle
 * connection gets when the server shuts down) goes to the JSON log: its
 * first line, as a warning.
 */
static void
db_notice(void *arg, const char *msg)
{
	struct cx_db	*db = arg;
	char		 line[256];
	size_t		 n = strcspn(msg, "\n");

	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, msg, n);
	line[n] = '\0';
	cx_logf(db->log, CE_LOG_WARN, "db: %s", line);
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
		"3", CE_SERVICE, db->options, db->dsn, NULL
	};

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return CE_OK;
	if (db->in_tx) {
		/* A reset now would run the rest outside the transaction. */
		db_log_error(db, "connection lost in a transaction", NULL);
		return CE_EDB;
	}
	/* PostgreSQL known down on this machine: fail fast. */
	if (!db->probe && !db->gate.allow(db->gate.arg)) {
		cx_logf(db->log, CE_LOG_DEBUG, "db: breaker open, not "
		    "connecting");
		return CE_EDB;
	}
	if (db->conn == NULL) {
		/* Later keys override the DSN's: the DSN goes last. */
		db->conn = PQconnectdbParams(keys, vals, 1);
		if (db->conn == NULL) {
			cx_logf(db->log, CE_LOG_ERROR,
			    "db: out of memory");
			return CE_EDB;
		}
		/* Kept by PQreset(). */
		PQsetNoticeProcessor(db->conn, db_notice, db);
	} else {
		PQreset(db->conn);
		db->resets++;
	}
	db->prepared = 0;
	if (PQstatus(db->conn) != CONNECTION_OK) {
		db_log_error(db, "connect", NULL);
		db->gate.report(db->gate.arg, 0);
		return CE_EDB;
	}
	db->gate.report(db->gate.arg, 1);
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
		db->gate.report(db->gate.arg, 0);
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
 * Run prepared statement "s" (an index in the table) with "nparams" text
 * parameters.  On CE_OK
 * "*out" holds the result, which the caller must PQclear().  Returns
 * CE_EDB on any failure (logged; cx_db_sqlstate() tells which), with
 * "*out" NULL.  A statement marked safe is retried once on a fresh
 * connection when the old one turned out to be broken.
 */
enum ce_err
cx_db_exec(struct cx_db *db, size_t s, int nparams,
    const char *const *params, PGresult **out)
{
	const struct cx_pg_stmt *stmts = db->stmts;
	PGresult	*res = NULL;
	ExecStatusType	 st;
	int		 attempt;

	*out = NULL;
	if (s >= db->nstmts || nparams != stmts[s].nparams)
		return CE_ESYSTEM;
	for (attempt = 0; attempt < 2; attempt++) {
		db->sqlstate[0] = '\0';
		if (db_ensure(db) != CE_OK)
			return CE_EDB;
		if ((db->prepared & ((uint64_t)1 << s)) == 0) {
			res = PQprepare(db->conn, stmts[s].name, stmts[s].sql,
			    nparams, NULL);
			if (res == NULL ||
			    PQresultStatus(res) != PGRES_COMMAND_OK) {
				db_set_state(db, res);
				goto failed;
			}
			PQclear(res);
			db->prepared |= (uint64_t)1 << s;
		}
		res = PQexecPrepared(db->conn, stmts[s].name, nparams, params,
		    NULL, NULL, 0);
		st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			db->gate.report(db->gate.arg, 1);
			*out = res;
			return CE_OK;
		}
		db_set_state(db, res);
failed:
		if (attempt == 0 && stmts[s].safe && !db->in_tx &&
		    db_conn_lost(db)) {
			cx_logf(db->log, CE_LOG_WARN,
			    "db: connection lost, "
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

/*
 * LISTEN on the jobs channel, on the connection as it is now (a reset
 * loses it: compare cx_db_resets() to decide when to listen again).
 * Returns CE_OK or CE_EDB (logged).
 */
enum ce_err
cx_db_listen(struct cx_db *db)
{
	return db_command(db, "LISTEN c2s_jobs", 1);
}

/*
 * Wait up to "ms" for a notification on the connection, with the signal
 * mask "mask" while waiting (pselect: the caller blocks its stop signals
 * outside the wait, so that one that comes after its last check still
 * ends the wait at once), or the mask as it is if NULL.  Returns 1 when
 * one (or more) arrived, 0 on time out or a signal, -1 when the
 * connection is broken (the next statement reconnects).
 */
int
cx_db_wait(struct cx_db *db, long long ms, const sigset_t *mask)
{
	struct timespec	 ts;
	fd_set		 rfds;
	PGnotify	*n;
	int		 fd, got = 0, rc;

	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK ||
	    (fd = PQsocket(db->conn)) < 0 || fd >= FD_SETSIZE)
		return -1;
	if (PQconsumeInput(db->conn) == 0)
		goto broken;
	if ((n = PQnotifies(db->conn)) == NULL) {
		FD_ZERO(&rfds);
		FD_SET(fd, &rfds);
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000;
		rc = pselect(fd + 1, &rfds, NULL, NULL, &ts, mask);
		if (rc <= 0)
			return 0;	/* time out, or EINTR: a signal */
		if (PQconsumeInput(db->conn) == 0)
			goto broken;
		n = PQnotifies(db->conn);
	}
	while (n != NULL) {
		got = 1;
		PQfreemem(n);
		n = PQnotifies(db->conn);
	}
	return got;
broken:
	db_log_error(db, "wait for notifications", NULL);
	/* libpq may not know yet: make the next statement reconnect. */
	if (PQstatus(db->conn) == CONNECTION_OK) {
		PQfinish(db->conn);
		db->conn = NULL;
		db->resets++;
	}
	return -1;
}
