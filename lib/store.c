/*
 * store.c -- the statements of db.c as typed functions: each takes C
 * values, fills the positional parameters itself and copies its rows out,
 * so no caller builds parameter text or touches a PGresult.  Every
 * function returns CE_OK or CE_EDB (the database could not answer).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2s-enrich.h"
#include "extern.h"

/* Run a statement that returns at most one row; *got: whether it did. */
static enum ce_err
exec_got(struct cx_db *db, enum cx_stmt s, int n, const char *const *p,
    int *got)
{
	PGresult	*res;

	if (cx_db_exec(db, s, n, p, &res) != CE_OK)
		return CE_EDB;
	*got = PQntuples(res) == 1;
	PQclear(res);
	return CE_OK;
}

/* Insert or take over an expired claim of "lead" for "owner", "ms" long. */
enum ce_err
cx_store_claim_take(struct cx_db *db, const char *lead, const char *owner,
    long long ms, int *got)
{
	const char	*p[3];
	char		 t[32];

	snprintf(t, sizeof(t), "%lld", ms);
	p[0] = lead;
	p[1] = owner;
	p[2] = t;
	return exec_got(db, CX_STMT_CLAIM_TAKE, 3, p, got);
}

/* The claim row of "lead"; *found 0 when there is none. */
enum ce_err
cx_store_claim_get(struct cx_db *db, const char *lead,
    struct cx_claim_row *row, int *found)
{
	PGresult	*res;
	const char	*p[1];

	p[0] = lead;
	if (cx_db_exec(db, CX_STMT_CLAIM_GET, 1, p, &res) != CE_OK)
		return CE_EDB;
	if ((*found = PQntuples(res) == 1)) {
		ce_strlcpy(row->owner, PQgetvalue(res, 0, 0),
		    sizeof(row->owner));
		row->done = strcmp(PQgetvalue(res, 0, 1), "done") == 0;
		ce_strlcpy(row->outcome, PQgetvalue(res, 0, 2),
		    sizeof(row->outcome));
	}
	PQclear(res);
	return CE_OK;
}

/* Take a done claim of "lead" again for "owner", "ms" long. */
enum ce_err
cx_store_claim_redo(struct cx_db *db, const char *lead, const char *owner,
    long long ms, int *got)
{
	const char	*p[3];
	char		 t[32];

	snprintf(t, sizeof(t), "%lld", ms);
	p[0] = lead;
	p[1] = owner;
	p[2] = t;
	return exec_got(db, CX_STMT_CLAIM_REDO, 3, p, got);
}

/* Take over the claim in flight of "dead", found dead. */
enum ce_err
cx_store_claim_steal(struct cx_db *db, const char *lead, const char *owner,
    const char *dead, long long ms, int *got)
{
	const char	*p[4];
	char		 t[32];

	snprintf(t, sizeof(t), "%lld", ms);
	p[0] = lead;
	p[1] = owner;
	p[2] = dead;
	p[3] = t;
	return exec_got(db, CX_STMT_CLAIM_STEAL, 4, p, got);
}

/* Mark the claim done with "outcome", kept "ttl_ms". */
enum ce_err
cx_store_claim_done(struct cx_db *db, const char *lead, const char *owner,
    long long ttl_ms, const char *outcome)
{
	PGresult	*res;
	const char	*p[4];
	char		 t[32];

	snprintf(t, sizeof(t), "%lld", ttl_ms);
	p[0] = lead;
	p[1] = owner;
	p[2] = t;
	p[3] = outcome;
	if (cx_db_exec(db, CX_STMT_CLAIM_DONE, 4, p, &res) != CE_OK)
		return CE_EDB;
	PQclear(res);
	return CE_OK;
}

/* Drop the claim, so that a retry can run at once. */
enum ce_err
cx_store_claim_release(struct cx_db *db, const char *lead, const char *owner)
{
	PGresult	*res;
	const char	*p[2];

	p[0] = lead;
	p[1] = owner;
	if (cx_db_exec(db, CX_STMT_CLAIM_RELEASE, 2, p, &res) != CE_OK)
		return CE_EDB;
	PQclear(res);
	return CE_OK;
}
