/*
 * store.c -- the statements of db.c as typed functions: each takes C
 * values, fills the positional parameters itself and copies its rows out,
 * so no caller builds parameter text or touches a PGresult.  Every
 * function returns CE_OK or CE_EDB (the database could not answer).
 */
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2s-enrich.h"
#include "extern.h"

/*
 * Run a statement that returns at most one row; *got: whether it did
 * (with "want" not NULL: and whether its first column is "want").
 */
static enum ce_err
exec_got(struct cx_db *db, enum cx_stmt s, int n, const char *const *p,
    const char *want, int *got)
{
	PGresult	*res;

	if (cx_db_exec(db, s, n, p, &res) != CE_OK)
		return CE_EDB;
	*got = PQntuples(res) == 1 &&
	    (want == NULL || strcmp(PQgetvalue(res, 0, 0), want) == 0);
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
	return exec_got(db, s, 3, p, NULL, got);
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
	return exec_got(db, CX_STMT_CLAIM_STEAL, 4, p, NULL, got);
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

/* the handlers' statements */

/* Free the strings of "s" and empty it. */
void
cx_strs_free(struct cx_strs *s)
{
	size_t	 i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* The first column of every row of "res" into "out" (NULL for NULL). */
static enum ce_err
strs_copy(PGresult *res, struct cx_strs *out)
{
	int	 i, n = PQntuples(res);

	if ((out->v = calloc(n > 0 ? (size_t)n : 1, sizeof(*out->v))) ==
	    NULL)
		return CE_ENOMEM;
	out->n = (size_t)n;
	for (i = 0; i < n; i++)
		if (!PQgetisnull(res, i, 0) &&
		    (out->v[i] = strdup(PQgetvalue(res, i, 0))) == NULL) {
			cx_strs_free(out);
			return CE_ENOMEM;
		}
	return CE_OK;
}

/*
 * "s" with its last byte raised: the first string after every string
 * that starts with "s" (folded names are printable ASCII).
 */
static void
prefix_end(const char *s, char *out, size_t outsz)
{
	size_t	 n = ce_strlcpy(out, s, outsz);

	if (n >= outsz)
		n = outsz - 1;
	if (n > 0)
		out[n - 1]++;
}

/*
 * The customer JSON of the persons "value" finds by "by" (a name: a
 * folded prefix), "limit" rows from "offset", into "docs" (a NULL entry:
 * a person gone since; the caller frees it with cx_strs_free).
 * CE_ENOMEM when the rows cannot be copied.
 */
enum ce_err
cx_store_customers(struct cx_db *db, enum cx_cust_by by, const char *value,
    long long limit, long long offset, struct cx_strs *docs)
{
	PGresult	*res;
	const char	*p[4];
	char		 end[256], lim[24], off[24];
	enum ce_err	 er;

	docs->n = 0;
	docs->v = NULL;
	snprintf(lim, sizeof(lim), "%lld", limit);
	snprintf(off, sizeof(off), "%lld", offset);
	switch (by) {
	case CX_CUST_CPF:
		p[0] = value;
		p[1] = lim;
		p[2] = off;
		er = cx_db_exec(db, CX_STMT_CUSTOMER_CPF, 3, p, &res);
		break;
	case CX_CUST_NAME:
		prefix_end(value, end, sizeof(end));
		p[0] = value;
		p[1] = end;
		p[2] = lim;
		p[3] = off;
		er = cx_db_exec(db, CX_STMT_CUSTOMER_NAME, 4, p, &res);
		break;
	default:
		p[0] = by == CX_CUST_EMAIL ? "email" : "phone";
		p[1] = value;
		p[2] = lim;
		p[3] = off;
		er = cx_db_exec(db, CX_STMT_CUSTOMER_CONTACT, 4, p, &res);
		break;
	}
	if (er != CE_OK)
		return CE_EDB;
	er = strs_copy(res, docs);
	PQclear(res);
	return er;
}

/*
 * The customer JSON of person "uuid" appended to "doc"; *found 0 when
 * there is none.  CE_OK, CE_EDB or a buffer error.
 */
enum ce_err
cx_store_customer(struct cx_db *db, const char *uuid, struct ce_buf *doc,
    int *found)
{
	PGresult	*res;
	const char	*p[1];
	enum ce_err	 er = CE_OK;

	p[0] = uuid;
	if (cx_db_exec(db, CX_STMT_CUSTOMER_ID, 1, p, &res) != CE_OK)
		return CE_EDB;
	if ((*found = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)))
		er = ce_buf_puts(doc, PQgetvalue(res, 0, 0));
	PQclear(res);
	return er;
}

/*
 * The schema's version, asked as a probe: it connects even while the
 * database's breaker is open, and its success closes it.  *version is -1
 * when the answer is unreadable.  CE_ENOTFOUND when no migration was
 * ever applied.
 */
enum ce_err
cx_store_schema_version(struct cx_db *db, long long *version)
{
	PGresult	*res = NULL;
	enum ce_err	 er;

	*version = -1;
	cx_db_set_probe(db, 1);
	er = cx_db_exec(db, CX_STMT_SCHEMA_VERSION, 0, NULL, &res);
	cx_db_set_probe(db, 0);
	if (er != CE_OK) {
		/* 42P01: undefined table, so no migration was ever applied. */
		er = strcmp(cx_db_sqlstate(db), "42P01") == 0 ?
		    CE_ENOTFOUND : CE_EDB;
		PQclear(res);
		return er;
	}
	if (PQntuples(res) != 1 || ce_strtonum(PQgetvalue(res, 0, 0), 0,
	    1000000, version) == -1)
		*version = -1;
	PQclear(res);
	return CE_OK;
}

/*
 * The status page's JSON appended to "out", with this machine's
 * duplicate leads found in its shared file and in the database (NULL
 * pointers without the file).  CE_OK, CE_EDB, CE_ESYSTEM (no document)
 * or a buffer error.
 */
enum ce_err
cx_store_stats(struct cx_db *db, const uint64_t *nfile, const uint64_t *ndb,
    struct ce_buf *out)
{
	PGresult	*res;
	const char	*p[2] = { NULL, NULL };
	char		 file[24], indb[24];
	enum ce_err	 er;

	if (nfile != NULL && ndb != NULL) {
		snprintf(file, sizeof(file), "%llu",
		    (unsigned long long)*nfile);
		snprintf(indb, sizeof(indb), "%llu",
		    (unsigned long long)*ndb);
		p[0] = file;
		p[1] = indb;
	}
	if (cx_db_exec(db, CX_STMT_STATS, 2, p, &res) != CE_OK)
		return CE_EDB;
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
		er = CE_ESYSTEM;
	else
		er = ce_buf_puts(out, PQgetvalue(res, 0, 0));
	PQclear(res);
	return er;
}

/*
 * Store webhook event "e" sent as "payload": its disposition into "disp"
 * (of "dispsz" bytes), "invalid" when the statement says none.
 */
enum ce_err
cx_store_webhook_ingest(struct cx_db *db, const struct cx_event *e,
    const char *payload, char *disp, size_t dispsz)
{
	PGresult	*res;
	const char	*p[7];

	p[0] = e->lid;
	p[1] = e->updated_at;
	p[2] = e->action;
	p[3] = payload;
	p[4] = e->contacts;
	p[5] = e->message;
	p[6] = e->error;
	if (cx_db_exec(db, CX_STMT_WEBHOOK_INGEST, 7, p, &res) != CE_OK)
		return CE_EDB;
	ce_strlcpy(disp, PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) :
	    "invalid", dispsz);
	PQclear(res);
	return CE_OK;
}

/*
 * The next "limit" invalid webhook events after id "after", oldest
 * first, each given to "row" with its payload; *rows: how many were
 * read.  Stops at the first "row" that does not return CE_OK and returns
 * what it did; CE_EDB, or CE_ESYSTEM for an unreadable id.
 */
enum ce_err
cx_store_webhook_invalid(struct cx_db *db, long long after, long long limit,
    enum ce_err (*row)(void *, long long id, const char *payload),
    void *arg, int *rows)
{
	PGresult	*res;
	const char	*p[2];
	char		 lim[24], aft[24];
	long long	 id;
	int		 i;
	enum ce_err	 er = CE_OK;

	*rows = 0;
	snprintf(lim, sizeof(lim), "%lld", limit);
	snprintf(aft, sizeof(aft), "%lld", after);
	p[0] = lim;
	p[1] = aft;
	if (cx_db_exec(db, CX_STMT_WEBHOOK_INVALID, 2, p, &res) != CE_OK)
		return CE_EDB;
	*rows = PQntuples(res);
	for (i = 0; i < *rows && er == CE_OK; i++)
		if (ce_strtonum(PQgetvalue(res, i, 0), 0, 1LL << 62, &id) ==
		    -1)
			er = CE_ESYSTEM;
		else
			er = row(arg, id, PQgetvalue(res, i, 1));
	PQclear(res);
	return er;
}

/*
 * Run invalid webhook event "id" again as "e": its disposition into
 * "disp" (of "dispsz" bytes); *replayed 0 when it was replayed by
 * someone else meanwhile.
 */
enum ce_err
cx_store_webhook_replay(struct cx_db *db, long long id,
    const struct cx_event *e, char *disp, size_t dispsz, int *replayed)
{
	PGresult	*res;
	const char	*p[6];
	char		 t[24];

	snprintf(t, sizeof(t), "%lld", id);
	p[0] = t;
	p[1] = e->lid;
	p[2] = e->updated_at;
	p[3] = e->action;
	p[4] = e->contacts;
	p[5] = e->message;
	if (cx_db_exec(db, CX_STMT_WEBHOOK_REPLAY, 6, p, &res) != CE_OK)
		return CE_EDB;
	/* NULL: replayed by someone else meanwhile. */
	if ((*replayed = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)))
		ce_strlcpy(disp, PQgetvalue(res, 0, 0), dispsz);
	PQclear(res);
	return CE_OK;
}

/* worker.c's statements */

/* Run statement "s", whose one row is a count, into *n (0 when unread). */
static enum ce_err
exec_count(struct cx_db *db, enum cx_stmt s, int np, const char *const *p,
    long long *n)
{
	PGresult	*res;

	*n = 0;
	if (cx_db_exec(db, s, np, p, &res) != CE_OK)
		return CE_EDB;
	if (PQntuples(res) == 1 &&
	    ce_strtonum(PQgetvalue(res, 0, 0), 0, 1LL << 62, n) == -1)
		*n = 0;
	PQclear(res);
	return CE_OK;
}

/* Run statement "s", whose rows are not read. */
static enum ce_err
exec_none(struct cx_db *db, enum cx_stmt s, int np, const char *const *p)
{
	PGresult	*res;

	if (cx_db_exec(db, s, np, p, &res) != CE_OK)
		return CE_EDB;
	PQclear(res);
	return CE_OK;
}

/* The poller's leads "ids" never seen become jobs; *queued: how many. */
enum ce_err
cx_store_poll_queue(struct cx_db *db, const struct ce_lead_list *ids,
    long long *queued)
{
	const char	*p[1];
	char		 v[CE_LIST_MAX * 34 + 3];
	size_t		 i, len;

	/* A text array literal of hex ids: nothing to escape. */
	len = 0;
	v[len++] = '{';
	for (i = 0; i < ids->n; i++) {
		memcpy(v + len, ids->id[i], 32);
		len += 32;
		if (i + 1 < ids->n)
			v[len++] = ',';
	}
	v[len++] = '}';
	v[len] = '\0';
	p[0] = v;
	return exec_count(db, CX_STMT_POLL_QUEUE, 1, p, queued);
}

/* Leads due again become jobs, due again in "stall_ms" if lost. */
enum ce_err
cx_store_retries_due(struct cx_db *db, long long stall_ms, long long *queued)
{
	const char	*p[1];
	char		 ms[32];

	snprintf(ms, sizeof(ms), "%lld", stall_ms);
	p[0] = ms;
	return exec_count(db, CX_STMT_RETRIES_DUE, 1, p, queued);
}

/* Prune at most "batch" rows of "what" older than "days"; *pruned. */
enum ce_err
cx_store_prune(struct cx_db *db, const char *what, long long days,
    int batch, long long *pruned)
{
	const char	*p[3];
	char		 d[24], lim[24];

	snprintf(d, sizeof(d), "%lld", days);
	snprintf(lim, sizeof(lim), "%d", batch);
	p[0] = what;
	p[1] = d;
	p[2] = lim;
	return exec_count(db, CX_STMT_PRUNE, 3, p, pruned);
}

/* Wake the other workers with "what" on c2s_jobs. */
enum ce_err
cx_store_notify(struct cx_db *db, const char *what)
{
	const char	*p[1] = { what };

	return exec_none(db, CX_STMT_NOTIFY, 1, p);
}

/* Ask for the poller's session lock; *held: whether this session has it. */
enum ce_err
cx_store_poller_lock(struct cx_db *db, int *held)
{
	return exec_got(db, CX_STMT_POLLER_LOCK, 0, NULL, "t", held);
}

/* *covered: whether lead "lead" was run after job "job_id" was queued. */
enum ce_err
cx_store_lead_covered(struct cx_db *db, const char *lead, const char *job_id,
    int *covered)
{
	const char	*p[2] = { lead, job_id };

	return exec_got(db, CX_STMT_LEAD_COVERED, 2, p, "t", covered);
}

/* Fail lead "lead", left 'processing' by runs that died, for "why". */
enum ce_err
cx_store_lead_gave_up(struct cx_db *db, const char *lead, const char *why)
{
	const char	*p[2] = { lead, why };

	return exec_none(db, CX_STMT_LEAD_GAVE_UP, 2, p);
}

/* Queue job "kind"/"ref" from "source" again in "ms". */
enum ce_err
cx_store_job_again(struct cx_db *db, const char *kind, const char *ref,
    const char *source, long long ms)
{
	const char	*p[4];
	char		 v[32];

	snprintf(v, sizeof(v), "%lld", ms);
	p[0] = kind;
	p[1] = ref;
	p[2] = source;
	p[3] = v;
	return exec_none(db, CX_STMT_JOB_AGAIN, 4, p);
}

/*
 * Claim the next job due for "owner", or one whose worker has been
 * silent "stale_ms"; *found 0 when there is none.
 */
enum ce_err
cx_store_job_claim(struct cx_db *db, const char *owner, long long stale_ms,
    struct cx_job *job, int *found)
{
	PGresult	*res;
	const char	*p[2];
	char		 ms[32];

	snprintf(ms, sizeof(ms), "%lld", stale_ms);
	p[0] = owner;
	p[1] = ms;
	if (cx_db_exec(db, CX_STMT_JOB_CLAIM, 2, p, &res) != CE_OK)
		return CE_EDB;
	if (!(*found = PQntuples(res) == 1 && PQnfields(res) == 5)) {
		PQclear(res);
		return CE_OK;
	}
	ce_strlcpy(job->id, PQgetvalue(res, 0, 0), sizeof(job->id));
	ce_strlcpy(job->kind, PQgetvalue(res, 0, 1), sizeof(job->kind));
	ce_strlcpy(job->ref, PQgetvalue(res, 0, 2), sizeof(job->ref));
	ce_strlcpy(job->source, PQgetvalue(res, 0, 3), sizeof(job->source));
	if (ce_strtonum(PQgetvalue(res, 0, 4), 0, 1000000, &job->tries) == -1)
		job->tries = 0;
	PQclear(res);
	return CE_OK;
}

/* Job "job_id" of "owner" is over: done, or "failed". */
enum ce_err
cx_store_job_finish(struct cx_db *db, const char *job_id, const char *owner,
    int failed, const char *result, const char *error)
{
	const char	*p[5];

	p[0] = job_id;
	p[1] = owner;
	p[2] = failed ? "failed" : "done";
	p[3] = result;
	p[4] = error;
	return exec_none(db, CX_STMT_JOB_FINISH, 5, p);
}

/* How many times the connection was re-established. */
unsigned
cx_store_resets(const struct cx_db *db)
{
	return cx_db_resets(db);
}

/* LISTEN c2s_jobs on this session. */
enum ce_err
cx_store_listen(struct cx_db *db)
{
	return cx_db_listen(db);
}

/* Wait "ms" for a notification, with the signal mask "mask". */
int
cx_store_wait(struct cx_db *db, long long ms, const sigset_t *mask)
{
	return cx_db_wait(db, ms, mask);
}

/* google.c's statements */

/*
 * Record form "f" (its JSON "payload") once, with its job when "run",
 * else in the state 'test'; "rec" gets what the database says of it.
 */
enum ce_err
cx_store_google_record(struct cx_db *db, const struct cx_form *f,
    const char *payload, int run, struct cx_form_rec *rec)
{
	PGresult	*res;
	const char	*p[8];
	enum ce_err	 er;

	p[0] = f->id;
	p[1] = payload;
	p[2] = f->name;
	p[3] = f->phone;
	p[4] = f->email;
	p[5] = f->cpf;
	p[6] = f->is_test ? "true" : "false";
	p[7] = run ? "received" : "test";
	er = cx_db_exec(db, CX_STMT_GOOGLE_RECORD, 8, p, &res);
	if (er == CE_OK && PQntuples(res) != 1) {
		/* The same form inserted at the same instant: its row is
		 * committed now. */
		PQclear(res);
		er = cx_db_exec(db, CX_STMT_GOOGLE_RECORD, 8, p, &res);
	}
	if (er != CE_OK)
		return CE_EDB;
	if (PQntuples(res) != 1 || PQnfields(res) != 4) {
		PQclear(res);
		return CE_EDB;
	}
	ce_strlcpy(rec->state, PQgetvalue(res, 0, 0), sizeof(rec->state));
	rec->isnew = strcmp(rec->state, "new") == 0;
	ce_strlcpy(rec->c2s_id, PQgetvalue(res, 0, 1), sizeof(rec->c2s_id));
	rec->test = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
	PQclear(res);
	return CE_OK;
}

/* Move form "id" from state "from" to "to"; *moved: whether it did. */
enum ce_err
cx_store_google_move(struct cx_db *db, const char *id, const char *from,
    const char *to, const char *c2s_id, const char *error, int *moved)
{
	PGresult	*res;
	const char	*p[5] = { id, to, from, c2s_id, error };

	if (cx_db_exec(db, CX_STMT_GOOGLE_SET, 5, p, &res) != CE_OK)
		return CE_EDB;
	*moved = PQntuples(res) == 1;
	PQclear(res);
	return CE_OK;
}

/*
 * Form "id": its fields in "f", its state in "state" (of "statesz"
 * bytes) and its JSON in *payload (the caller frees it); *found 0 when
 * there is none.  CE_ESYSTEM when the payload cannot be copied.
 */
enum ce_err
cx_store_google_get(struct cx_db *db, const char *id, struct cx_form *f,
    char *state, size_t statesz, char **payload, int *found)
{
	PGresult	*res;
	const char	*p[1] = { id };

	*payload = NULL;
	if (cx_db_exec(db, CX_STMT_GOOGLE_GET, 1, p, &res) != CE_OK)
		return CE_EDB;
	if (!(*found = PQntuples(res) == 1 && PQnfields(res) == 7)) {
		PQclear(res);
		return CE_OK;
	}
	memset(f, 0, sizeof(*f));
	ce_strlcpy(f->id, id, sizeof(f->id));
	ce_strlcpy(state, PQgetvalue(res, 0, 0), statesz);
	ce_strlcpy(f->name, PQgetvalue(res, 0, 1), sizeof(f->name));
	ce_strlcpy(f->phone, PQgetvalue(res, 0, 2), sizeof(f->phone));
	ce_strlcpy(f->email, PQgetvalue(res, 0, 3), sizeof(f->email));
	ce_strlcpy(f->cpf, PQgetvalue(res, 0, 4), sizeof(f->cpf));
	*payload = strdup(PQgetvalue(res, 0, 5));
	PQclear(res);
	return *payload == NULL ? CE_ESYSTEM : CE_OK;
}
