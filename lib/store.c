/*
 * store.c -- the statements of db.c as typed functions: each takes C
 * values, fills the positional parameters itself and copies its rows out,
 * so no caller builds parameter text or touches a PGresult.  Every
 * function returns CE_OK or CE_EDB (the database could not answer).
 */
#include <limits.h>
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

/* CLAIM_TAKE or CLAIM_REDO: "lead" for "owner", "ms" long. */
static enum ce_err
claim_for(struct cx_db *db, enum cx_stmt s, const char *lead,
    const char *owner, long long ms, int *got)
{
	const char	*p[3];
	char		 t[32];

	snprintf(t, sizeof(t), "%lld", ms);
	p[0] = lead;
	p[1] = owner;
	p[2] = t;
	return exec_got(db, s, 3, p, got);
}

/* Insert or take over an expired claim of "lead" for "owner", "ms" long. */
enum ce_err
cx_store_claim_take(struct cx_db *db, const char *lead, const char *owner,
    long long ms, int *got)
{
	return claim_for(db, CX_STMT_CLAIM_TAKE, lead, owner, ms, got);
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
	return claim_for(db, CX_STMT_CLAIM_REDO, lead, owner, ms, got);
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

/* Write the lead's state at the end of a run. */
enum ce_err
cx_store_lead_finish(struct cx_db *db, const struct cx_lead_state *ls)
{
	PGresult	*res;
	char		 retry[32] = "", fetched[16], reused[16];
	const char	*p[11];
	enum ce_err	 er;

	if (ls->retry_ms >= 0)
		snprintf(retry, sizeof(retry), "%lld", ls->retry_ms);
	p[0] = ls->lead_id;
	p[1] = ls->status;
	p[2] = ls->error;
	p[3] = ls->name;
	p[4] = ls->phone;
	p[5] = ls->email;
	p[6] = retry;
	p[7] = ls->note_state;
	p[8] = ls->contacts;
	snprintf(fetched, sizeof(fetched), "%d", ls->fetched);
	snprintf(reused, sizeof(reused), "%d", ls->reused);
	p[9] = fetched;
	p[10] = reused;
	er = cx_db_exec(db, CX_STMT_LEAD_FINISH, 11, p, &res);
	PQclear(res);
	return er;
}

/*
 * The stored dossier of "cpf" younger than "max_age_ms": *json (the
 * caller frees it; NULL when there is none) and its age, "max_age_ms"
 * when unreadable.  CE_ESYSTEM when it cannot be copied.
 */
enum ce_err
cx_store_dossier_fresh(struct cx_db *db, const char *cpf,
    long long max_age_ms, char **json, long long *age_ms)
{
	PGresult	*res;
	const char	*p[2];
	char		 age[32];

	*json = NULL;
	snprintf(age, sizeof(age), "%lld", max_age_ms);
	p[0] = cpf;
	p[1] = age;
	if (cx_db_exec(db, CX_STMT_DOSSIER_FRESH, 2, p, &res) != CE_OK)
		return CE_EDB;
	if (PQntuples(res) == 1) {
		*json = strdup(PQgetvalue(res, 0, 0));
		if (ce_strtonum(PQgetvalue(res, 0, 1), LLONG_MIN / 2,
		    LLONG_MAX / 2, age_ms) == -1)
			*age_ms = max_age_ms;
		PQclear(res);
		return *json == NULL ? CE_ESYSTEM : CE_OK;
	}
	PQclear(res);
	return CE_OK;
}

/*
 * Store a person, its dossier, contacts and addresses; *rows: the rows
 * written, as the statement counts them (0 when it does not say).
 */
enum ce_err
cx_store_person(struct cx_db *db, const struct cx_person_row *row,
    long long *rows)
{
	PGresult	*res;
	const char	*p[9];
	long long	 v;
	int		 f;
	enum ce_err	 er;

	*rows = 0;
	p[0] = row->cpf;
	p[1] = row->name;
	p[2] = row->folded;
	p[3] = row->birth;
	p[4] = row->lead_id;
	p[5] = row->found_by;
	p[6] = row->dossier;
	p[7] = row->phone;
	p[8] = row->email;
	if ((er = cx_db_exec(db, CX_STMT_PERSON_STORE, 9, p, &res)) != CE_OK)
		return er;
	if (PQntuples(res) == 1 && PQnfields(res) == 5)
		for (f = 1; f < 5; f++)
			if (ce_strtonum(PQgetvalue(res, 0, f), 0, 1000000,
			    &v) == 0)
				*rows += v;
	PQclear(res);
	return CE_OK;
}

/*
 * Claim the note "text" of "lead" for posting: *state says whom it is
 * for, and "sha" (of "shasz" bytes) gets its hash unless CX_NC_NONE.
 */
enum ce_err
cx_store_note_claim(struct cx_db *db, const char *lead, const char *text,
    char *sha, size_t shasz, enum cx_note_claim *state)
{
	PGresult	*res;
	const char	*p[2];
	enum ce_err	 er;

	*state = CX_NC_NONE;
	p[0] = lead;
	p[1] = text;
	if ((er = cx_db_exec(db, CX_STMT_NOTE_CLAIM, 2, p, &res)) != CE_OK)
		return er;
	if (PQntuples(res) == 1) {
		ce_strlcpy(sha, PQgetvalue(res, 0, 0), shasz);
		if (strcmp(PQgetvalue(res, 0, 1), "claimed") == 0)
			*state = CX_NC_CLAIMED;
		else if (strcmp(PQgetvalue(res, 0, 1), "posted") == 0)
			*state = CX_NC_POSTED;
		else
			*state = CX_NC_POSTING;
	}
	PQclear(res);
	return CE_OK;
}

static enum ce_err
note_by_sha(struct cx_db *db, enum cx_stmt s, const char *lead,
    const char *sha)
{
	PGresult	*res;
	const char	*p[2];
	enum ce_err	 er;

	p[0] = lead;
	p[1] = sha;
	if ((er = cx_db_exec(db, s, 2, p, &res)) != CE_OK)
		return er;
	PQclear(res);
	return CE_OK;
}

/* The note "sha" of "lead" is posted. */
enum ce_err
cx_store_note_done(struct cx_db *db, const char *lead, const char *sha)
{
	return note_by_sha(db, CX_STMT_NOTE_DONE, lead, sha);
}

/* Give back the claim on the note "sha" of "lead" (surely not posted). */
enum ce_err
cx_store_note_release(struct cx_db *db, const char *lead, const char *sha)
{
	return note_by_sha(db, CX_STMT_NOTE_RELEASE, lead, sha);
}

/*
 * Record the start of a run of "lead"; "retry": a scheduled retry; due
 * again in "stall_ms" if the run dies.  *attempts and *retries are set
 * only when the row says.
 */
enum ce_err
cx_store_lead_start(struct cx_db *db, const char *lead, const char *source,
    int retry, long long stall_ms, int *attempts, int *retries)
{
	PGresult	*res;
	const char	*p[4];
	char		 stall[32];
	long long	 n;
	enum ce_err	 er;

	snprintf(stall, sizeof(stall), "%lld", stall_ms);
	p[0] = lead;
	p[1] = source;
	p[2] = retry ? "1" : "0";
	p[3] = stall;
	if ((er = cx_db_exec(db, CX_STMT_LEAD_START, 4, p, &res)) != CE_OK)
		return er;
	if (PQntuples(res) == 1 && PQnfields(res) == 2) {
		if (ce_strtonum(PQgetvalue(res, 0, 0), 1, INT_MAX, &n) == 0)
			*attempts = (int)n;
		if (ce_strtonum(PQgetvalue(res, 0, 1), 0, INT_MAX, &n) == 0)
			*retries = (int)n;
	}
	PQclear(res);
	return CE_OK;
}
