/*
 * app/store.h -- all the SQL (store.c): each statement as a typed
 * function that takes C values and copies its rows out, so no caller
 * builds parameter text or touches a PGresult; the statement table is
 * store.c's, handed to io/pg.c's connection by cx_store_new().  Every
 * function returns CE_OK or CE_EDB (the database could not answer)
 * unless it says otherwise.  struct pg_result appears nowhere else but
 * io/pg.h: only store.c and io/pg.c include <libpq-fe.h>.
 */
#ifndef CE_APP_STORE_H
#define CE_APP_STORE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/call.h"
#include "core/err.h"
#include "io/pg.h"

struct cx_db;
struct cx_log;

struct cx_claim_row {
	char		 owner[96];
	int		 done;		/* state 'done', else in flight */
	char		 outcome[24];	/* done: the outcome, or "" */
};

enum ce_err	 cx_store_claim_take(struct cx_db *, const char *lead,
		    const char *owner, long long ms, int *got) CE_WUR;
enum ce_err	 cx_store_claim_get(struct cx_db *, const char *lead,
		    struct cx_claim_row *, int *found) CE_WUR;
enum ce_err	 cx_store_claim_redo(struct cx_db *, const char *lead,
		    const char *owner, long long ms, int *got) CE_WUR;
enum ce_err	 cx_store_claim_steal(struct cx_db *, const char *lead,
		    const char *owner, const char *dead, long long ms,
		    int *got) CE_WUR;
enum ce_err	 cx_store_claim_done(struct cx_db *, const char *lead,
		    const char *owner, long long ttl_ms,
		    const char *outcome) CE_WUR;
enum ce_err	 cx_store_claim_release(struct cx_db *, const char *lead,
		    const char *owner) CE_WUR;

/* The columns of LEAD_FINISH. */
struct cx_lead_state {
	const char	*lead_id;
	const char	*status;
	const char	*error;
	const char	*name;
	const char	*phone;
	const char	*email;
	long long	 retry_ms;	/* next try; -1: none */
	const char	*note_state;	/* "": keep the stored one */
	const char	*contacts;
	int		 fetched;	/* dossiers paid for */
	int		 reused;	/* dossiers stored or cached */
	const char	*tier;		/* found the first CPF; NULL: none */
	int		 score;		/* its name score; -1: none */
};

/* The parameters of PERSON_STORE. */
struct cx_person_row {
	const char	*cpf;
	const char	*name;
	char		 folded[256];
	const char	*birth;
	const char	*lead_id;	/* NULL: no lead */
	const char	*found_by;
	const char	*dossier;	/* NULL: none new */
	const char	*phone;
	const char	*email;
	const char	*tier;		/* found the CPF; NULL: none */
	int		 score;		/* name score; -1: none */
	int		 dossier_missing; /* the Work API had none, asked now */
};

/* Whom a note claimed by NOTE_CLAIM is for. */
enum cx_note_claim {
	CX_NC_NONE,		/* no row */
	CX_NC_CLAIMED,		/* ours to post */
	CX_NC_POSTED,		/* posted before */
	CX_NC_POSTING		/* being posted by another */
};

enum ce_err	 cx_store_lead_finish(struct cx_db *,
		    const struct cx_lead_state *) CE_WUR;
enum ce_err	 cx_store_dossier_fresh(struct cx_db *, const char *cpf,
		    long long max_age_ms, long long miss_max_ms, char **json,
		    long long *age_ms, long long *miss_ms) CE_WUR;
enum ce_err	 cx_store_stored_cpf(struct cx_db *, const char *phone,
		    const char *email, struct ce_cands *ph, struct ce_cands *em)
		    CE_WUR;
enum ce_err	 cx_store_person(struct cx_db *, const struct cx_person_row *,
		    long long *rows) CE_WUR;
enum ce_err	 cx_store_note_claim(struct cx_db *, const char *lead,
		    const char *text, char *sha, size_t shasz,
		    enum cx_note_claim *) CE_WUR;
/* A failure may be ignored: the claim then expires on its own. */
enum ce_err	 cx_store_note_done(struct cx_db *, const char *lead,
		    const char *sha);
enum ce_err	 cx_store_note_release(struct cx_db *, const char *lead,
		    const char *sha);
enum ce_err	 cx_store_lead_start(struct cx_db *, const char *lead,
		    const char *source, int retry, long long stall_ms,
		    int *attempts, int *retries) CE_WUR;
/* A repeat person's earlier lead; a lead's note reason and pointer. */
enum ce_err	 cx_store_repeat_of(struct cx_db *, const char *cpf,
		    const char *lead, char same_lead[33], char same_date[11],
		    int *found) CE_WUR;
enum ce_err	 cx_store_lead_note_info(struct cx_db *, const char *lead,
		    const char *reason, const char *repeat_of) CE_WUR;
/* A lead's high-value reasons (core/highvalue.h), "" for none. */
enum ce_err	 cx_store_lead_high_value(struct cx_db *, const char *lead,
		    const char *reasons) CE_WUR;

/* the handlers' statements */
/* Strings copied out of rows: v[i] NULL for a NULL value. */
struct cx_strs {
	size_t		 n;
	char		**v;
};

/* What CUSTOMER_CPF, _CONTACT and _NAME look persons up by. */
enum cx_cust_by {
	CX_CUST_CPF = 0,
	CX_CUST_EMAIL,
	CX_CUST_PHONE,
	CX_CUST_NAME,
	CX_CUST__MAX
};

/* One C2S webhook event, as WEBHOOK_INGEST and WEBHOOK_REPLAY take it. */
struct cx_event {
	char		 lid[33];	/* lower case, or "" */
	const char	*updated_at;	/* as sent, or "" */
	const char	*action;	/* as sent, or "" */
	const char	*message;	/* a note it carries, or "" */
	const char	*error;		/* why it cannot run, or NULL */
	char		 contacts[300];	/* "phone|email" normalised, or "" */
};

void		 cx_strs_free(struct cx_strs *);
enum ce_err	 cx_store_customers(struct cx_db *, enum cx_cust_by,
		    const char *value, long long limit, long long offset,
		    struct cx_strs *docs) CE_WUR;
enum ce_err	 cx_store_customer(struct cx_db *, const char *uuid,
		    struct ce_buf *doc, int *found) CE_WUR;
enum ce_err	 cx_store_schema_version(struct cx_db *, long long *version)
		    CE_WUR;
const char	*cx_store_schema_sql(void);
enum ce_err	 cx_store_stats(struct cx_db *, const uint64_t *file,
		    const uint64_t *db, struct ce_buf *out) CE_WUR;
enum ce_err	 cx_store_webhook_ingest(struct cx_db *,
		    const struct cx_event *, const char *payload, char *disp,
		    size_t dispsz) CE_WUR;
enum ce_err	 cx_store_webhook_invalid(struct cx_db *, long long after,
		    long long limit, enum ce_err (*row)(void *, long long id,
		    const char *payload), void *arg, int *rows) CE_WUR;
enum ce_err	 cx_store_webhook_replay(struct cx_db *, long long id,
		    const struct cx_event *, char *disp, size_t dispsz,
		    int *replayed) CE_WUR;

/* worker.c's statements */
/* A job claimed by JOB_CLAIM. */
struct cx_job {
	char		 id[24];
	char		 kind[16];	/* "lead" or "google_ads" */
	char		 ref[256];
	char		 source[16];
	long long	 tries;		/* this one included */
};

enum ce_err	 cx_store_poll_queue(struct cx_db *,
		    const struct ce_lead_list *, long long *queued) CE_WUR;
enum ce_err	 cx_store_retries_due(struct cx_db *, long long stall_ms,
		    long long *queued) CE_WUR;
enum ce_err	 cx_store_prune(struct cx_db *, const char *what,
		    long long days, int batch, long long *pruned) CE_WUR;
/* A failure may be ignored: the other workers poll too. */
enum ce_err	 cx_store_notify(struct cx_db *, const char *what);
enum ce_err	 cx_store_poller_lock(struct cx_db *, int *held) CE_WUR;
enum ce_err	 cx_store_lead_covered(struct cx_db *, const char *lead,
		    const char *job_id, int *covered) CE_WUR;
enum ce_err	 cx_store_lead_gave_up(struct cx_db *, const char *lead,
		    const char *why) CE_WUR;
enum ce_err	 cx_store_job_again(struct cx_db *, const char *kind,
		    const char *ref, const char *source, long long ms) CE_WUR;
enum ce_err	 cx_store_job_claim(struct cx_db *, const char *owner,
		    long long stale_ms, struct cx_job *, int *found) CE_WUR;
enum ce_err	 cx_store_job_finish(struct cx_db *, const char *job_id,
		    const char *owner, int failed, const char *result,
		    const char *error) CE_WUR;
unsigned	 cx_store_resets(const struct cx_db *);
enum ce_err	 cx_store_listen(struct cx_db *) CE_WUR;
int		 cx_store_wait(struct cx_db *, long long ms, const sigset_t *);

/* google.c's statements */
#define CX_FORM_ID_MAX	200

/* The fields of a Google Ads form the pipeline needs. */
struct cx_form {
	char	 id[CX_FORM_ID_MAX + 1];
	char	 name[256];
	char	 email[256];
	char	 phone[64];
	char	 cpf[32];
	int	 is_test;	/* Google's "send test data" */
};

/* What GOOGLE_RECORD says of a form. */
struct cx_form_rec {
	int	 isnew;		/* recorded now */
	char	 state[16];	/* "new", or the state recorded before */
	char	 c2s_id[33];	/* its C2S lead id, or "" */
	int	 test;		/* recorded as a test form */
};

enum ce_err	 cx_store_google_record(struct cx_db *, const struct cx_form *,
		    const char *payload, int run, struct cx_form_rec *) CE_WUR;
enum ce_err	 cx_store_google_move(struct cx_db *, const char *id,
		    const char *from, const char *to, const char *c2s_id,
		    const char *error, int *moved) CE_WUR;
enum ce_err	 cx_store_google_get(struct cx_db *, const char *id,
		    struct cx_form *, char *state, size_t statesz,
		    char **payload, int *found) CE_WUR;

/* The operators' list and export (CX_STMT_LEADS_PAGE). */
#define CX_LEADS_BATCH	1000	/* rows held at a time */
struct cx_lead_filter {
	const char	*status;	/* "": any */
	const char	*source;	/* "": any */
	const char	*since, *until;	/* "", YYYY-MM-DD or a timestamp */
	long long	 limit;		/* -1: all */
	long long	 offset;
};
struct cx_lead_item {
	const char	*lead_id, *status, *source, *name, *phone, *email;
	const char	*note_state, *error;
	const char	*created, *updated;	/* UTC, ISO 8601 */
	const char	*created_br, *updated_br; /* DD/MM/YYYY HH:MM, SP */
	const char	*cpfs;		/* in clear, comma-separated, or "" */
	long long	 attempts, retries;
};
enum ce_err	 cx_store_leads_each(struct cx_db *,
		    const struct cx_lead_filter *,
		    enum ce_err (*)(void *, const struct cx_lead_item *),
		    void *, long long *rows) CE_WUR;
enum ce_err	 cx_store_lead_known(struct cx_db *, const char *lead,
		    int *found) CE_WUR;
enum ce_err	 cx_store_local_now(struct cx_db *, char *, size_t) CE_WUR;

/* backfill.c's statements (sql/0016) */
/* A backfill's checkpoint, as BACKFILL_START finds or makes it. */
struct cx_backfill_row {
	long long	 id;
	long long	 until;		/* Unix seconds, as fixed at its start */
	long long	 next_page;	/* the first page not done, from 1 */
	long long	 seen;		/* leads in range read */
	long long	 queued;	/* jobs queued */
	long long	 known;		/* seen, already a lead or a job */
	long long	 total;		/* C2S's list total; -1 unknown */
	long long	 runs;		/* 1: a new backfill */
};

/* One page of leads in range, newest first, for BACKFILL_PAGE. */
struct cx_backfill_page {
	size_t		 n;
	const char	*id[CE_LIST_MAX];	/* 32 lower-case hex */
	const char	*phone[CE_LIST_MAX];	/* digits, or "" */
	long long	 created[CE_LIST_MAX];	/* Unix seconds; -1 unknown */
	long long	 next_page;	/* the checkpoint after this page */
	long long	 last_created;	/* -1: keep the stored one */
	long long	 total;		/* -1: keep the stored one */
	long long	 later_ms;	/* a follower's delay after its head */
	int		 again;		/* a page done before: its leads count
					   as seen only when queued now */
};

enum ce_err	 cx_store_backfill_lock(struct cx_db *, int *held) CE_WUR;
enum ce_err	 cx_store_backfill_start(struct cx_db *, long long since,
		    long long until, int until_given,
		    struct cx_backfill_row *) CE_WUR;
enum ce_err	 cx_store_backfill_page(struct cx_db *,
		    struct cx_backfill_row *, const struct cx_backfill_page *,
		    long long *queued, long long *later) CE_WUR;
enum ce_err	 cx_store_backfill_done(struct cx_db *, long long id) CE_WUR;
enum ce_err	 cx_store_sp_day_start(struct cx_db *, const char *day,
		    long long *secs) CE_WUR;

/* The connection and its transactions; spacing.c's and spool.c's statements */
struct cx_db	*cx_store_new(const char *dsn, long long deadline_ms,
		    struct cx_log *, const struct cx_pg_gate *);
enum ce_err	 cx_store_begin(struct cx_db *) CE_WUR;
enum ce_err	 cx_store_commit(struct cx_db *) CE_WUR;
void		 cx_store_rollback(struct cx_db *);
const char	*cx_store_sqlstate(const struct cx_db *);
enum ce_err	 cx_store_work_spacing(struct cx_db *, uint64_t token,
		    long long interval_ms, long long max_wait_ms,
		    long long *wait_ms) CE_WUR;
enum ce_err	 cx_store_spool_done(struct cx_db *, const char *id,
		    const char *kind, int *first) CE_WUR;
enum ce_err	 cx_store_spool_lead(struct cx_db *, const char *lead,
		    long long stall_ms) CE_WUR;
enum ce_err	 cx_store_spool_prune(struct cx_db *, long long keep_ms) CE_WUR;

/* The alerts (app/alert.c, sql/0018) */
struct cx_alert_new {
	const char	*kind, *key, *title, *text;
	const char	*link;		/* "": none */
	int		 webhook, email;	/* channels on */
};
struct cx_alert_due {
	long long	 id;
	char		 kind[32];
	char		*title, *text, *link;	/* link "": none */
	char		 created_br[24];	/* DD/MM/YYYY HH:MM:SS, SP */
	char		 date[40];		/* RFC 5322, UTC */
	int		 webhook, email;	/* due now */
};
struct cx_alert_lead {
	char		 lead[33];
	char		 what[512];	/* the error, or the reasons */
	char		 name[200];
	char		 cpf[16];	/* in clear, or "": mask it */
	long long	 at_ms;		/* updated_at */
	long long	 count;		/* failed since (ALERT_FAILED) */
};
enum ce_err	 cx_store_alert_raise(struct cx_db *, const char *mark,
		    long long interval_ms, const struct cx_alert_new *,
		    int *raised) CE_WUR;
enum ce_err	 cx_store_alert_due(struct cx_db *, int webhook, int email,
		    struct cx_alert_due *, size_t max, size_t *n) CE_WUR;
void		 cx_alert_due_free(struct cx_alert_due *);
enum ce_err	 cx_store_alert_result(struct cx_db *, long long id,
		    const char *channel, int ok, const char *error,
		    long long retry_ms) CE_WUR;
enum ce_err	 cx_store_alert_list(struct cx_db *, long long limit,
		    struct ce_buf *) CE_WUR;
enum ce_err	 cx_store_alert_failed(struct cx_db *, long long since_ms,
		    struct cx_alert_lead *, int *found) CE_WUR;
enum ce_err	 cx_store_alert_high_value(struct cx_db *, long long since_ms,
		    struct cx_alert_lead *, size_t max, size_t *n) CE_WUR;
enum ce_err	 cx_store_alert_rate(struct cx_db *, long long *leads,
		    long long *enriched) CE_WUR;
enum ce_err	 cx_store_alert_silent(struct cx_db *, int d0, int d1, int h0,
		    int h1, long long *silent_ms, int *in_hours) CE_WUR;
enum ce_err	 cx_store_alert_prune(struct cx_db *, long long days,
		    int batch, long long *pruned) CE_WUR;

#endif /* CE_APP_STORE_H */
