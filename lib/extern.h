/*
 * extern.h -- internals shared between the files of lib/.  Not for fcgi/
 * or atf-tests/, which see only c2s-enrich.h.  Cross-file helpers carry the
 * "cx_" prefix; everything else in lib/ is static to its file.
 */
#ifndef C2S_ENRICH_EXTERN_H
#define C2S_ENRICH_EXTERN_H

#include <sys/types.h>

#include <signal.h>
#include <time.h>

#include "c2s-enrich.h"
#include "core/clock.h"
#include "core/lead.h"
#include "core/log.h"
#include "core/spoolrec.h"
#include "core/util.h"
#include "io/http.h"
#include "io/pg.h"
#include "io/proc.h"
#include "io/spooldir.h"
#include "shared/breaker.h"
#include "shared/metrics.h"
#include "shared/ratelimit.h"
#include "shared/spacing.h"

/* Highest migration number in sql/, set by the build. */
#ifndef CE_SCHEMA_VERSION
#define CE_SCHEMA_VERSION 1
#endif

#define CX_RESP_CAP	(4u * 1024 * 1024)

/* store.c: the statements as typed functions (LAYERS-PLAN.md 2.3). */
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
		    long long max_age_ms, char **json, long long *age_ms)
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

/* spool.c: requests PostgreSQL could not take, and their replay. */
struct cx_spool;
struct cx_app;

enum ce_err	 cx_spool_request(struct cx_app *, const char *kind,
		    const char *lead_id, const char *body, size_t bodylen,
		    const char *extra, struct ce_resp *);
void		 cx_spool_rotate(struct cx_app *);
void		 cx_spool_settle(struct cx_app *, enum ce_route, int status);
void		 cx_spool_free(struct cx_spool *);
int		 cx_spool_depth(struct cx_app *, unsigned long long *files,
		    unsigned long long *bytes);
/* Where the replay sends a webhook's body and a form (the handlers' own
 * store functions, given by the worker: spool.c calls no handler). */
struct cx_spool_sinks {
	enum ce_err	(*webhook)(struct cx_app *, const char *, size_t);
	enum ce_err	(*google)(struct cx_app *, const char *);
};
long long	 cx_spool_replay(struct cx_app *,
		    const struct cx_spool_sinks *);

/* memo.c: the process's cache of upstream answers, hits and misses
 * counted in the metrics. */
struct cx_memo {
	struct ce_cache	*cache;		/* NULL: CACHE_MAX_BYTES=0 */
	struct cx_mtab	*mtab;		/* where hits and misses count */
	struct cx_log	*log;
};
void		 cx_memo_init(struct cx_memo *, struct ce_cache *,
		    struct cx_mtab *, struct cx_log *);
const char	*cx_memo_get(struct cx_memo *, const char *key);
void		 cx_memo_put(struct cx_memo *, const char *key,
		    const char *val, long long ttl_ms);
#define CX_DOSSIER_TTL_MS (3600LL * 1000)	/* Work API answers, cached */

/* claim.c: a process's claims: where they are taken, and by whom. */
struct cx_claims {
	struct cx_shmfile *f;		/* the dedup table */
	struct cx_db	*db;
	struct cx_mtab	*mtab;		/* the dedup counters */
	struct cx_log	*log;
	long long	 inflight_ms;	/* REQUEST_DEADLINE plus a margin */
	long long	 ttl_ms;	/* DEDUP_TTL */
	const char	*owner;		/* host:pid */
};
void		 cx_claims_init(struct cx_claims *, struct cx_shmfile *,
		    struct cx_db *, struct cx_mtab *, struct cx_log *,
		    const struct ce_config *, const char *owner);

/*
 * The layers' environments (docs/LAYERS-PLAN.md 2.2.1): what a module of
 * the application is handed, and what a web handler is handed (it hands
 * &w->app down).  struct ce_ctx, which holds a cx_web, is ctx.c's own.
 */
struct cx_app {
	struct ce_config cfg;
	struct cx_log	 log;
	struct cx_db	*db;
	struct cx_http	*http;		/* made on first upstream call */
	struct cx_shmfile *shf;		/* DEDUP_FILE, mapped on first use */
	struct cx_breakers brk;		/* its breakers */
	struct cx_mtab	 mtab;		/* its metrics tables */
	struct ce_cache	*cache;		/* NULL: CACHE_MAX_BYTES=0 */
	struct cx_memo	 memo;		/* the cache, counted */
	struct cx_claims claims;
	struct cx_spool	*spool;		/* made on first use */
	int		 worker;	/* c2s-enrich --worker */
	char		 owner[96];	/* host:pid, for claims and jobs */
};
struct cx_web {
	struct cx_app	 app;
	struct cx_proc	 proc;
	struct ce_buf	 out;		/* response body, reused */
	unsigned long long served;	/* requests answered */
	unsigned long long reqseq;	/* for generated request ids */
};

/* The entries ctx.c forwards to (c2s-enrich.h's ce_ names). */
void		 cx_handle(struct cx_web *, const struct ce_req *,
		    struct ce_resp *);
void		 cx_upstream_run(struct cx_app *, struct ce_call *, size_t n,
		    long long deadline_us);
enum ce_up	 cx_upstream_one(struct cx_app *, struct ce_call *,
		    long long deadline_us);
enum ce_up	 cx_upstream_parse(struct cx_app *, struct ce_call *,
		    long status, const char *body, size_t len);
long long	 cx_deadline(const struct cx_app *);
int		 cx_worker_run(struct cx_app *, int (*stopping)(void));
int		 cx_subscribe(struct cx_app *, int unsubscribe,
		    struct ce_hook_result out[CE_HOOK_ACTIONS], char *url,
		    size_t urlsz, char *err, size_t errsz);

/* upstream.c: what an unsafe call that failed may have done. */
int		 cx_call_refused(const struct ce_call *);

/* pace.c: WORK_API_MIN_INTERVAL across processes and machines. */
long long	 cx_pace_reserve(struct cx_app *, long long max_wait_ms);

/* auth.c: API keys on the business routes, webhook secrets; codes only. */
enum ce_err	 cx_auth_check(struct cx_web *, const struct ce_req *,
		    enum ce_route, const char **msg);
enum ce_err	 cx_secret_check(const char *secret, const char *given,
		    const char **msg);

/* callkind.c: each upstream call kind's facts, indexed by the kind. */
struct cx_callkind {
	const char	*name;		/* in /metrics: "c2s_lead" */
	const char	*api;		/* "c2s", "diretrix", "work" */
	const char	*method;	/* "GET" or "POST" */
	int		 unsafe;	/* a repeat may do its effect twice */
	enum cx_brk	 brk;		/* the breaker that guards its API */
	int		 spaced;	/* waits for WORK_API_MIN_INTERVAL */
};
extern const struct cx_callkind cx_callkinds[CE_CALL__MAX];

/* h_metrics.c: GET /metrics, the counters in the Prometheus text format. */
struct cx_request;
enum ce_err	 cx_h_metrics(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);

/* pipeline.c: the lead pipeline of DESIGN.md section 5. */
struct cx_person {
	char		 cpf[12];
	char		 name[256];	/* the lookup's name for it */
	char		 dname[256];	/* the dossier's, when fetched */
	char		 birth[11];	/* YYYY-MM-DD from the dossier, or "" */
	char		 contact[256];	/* the phone or e-mail that found it */
	enum ce_note_src src;
	enum ce_up	 dres;		/* the dossier's result */
	char		*dossier;	/* JSON text, heap, or NULL */
	int		 dossier_new;	/* fetched now: to be stored */
};

#define CX_RUN_RETRY	0x01	/* a scheduled retry of the worker */
#define CX_RUN_REDO	0x02	/* run even if done within DEDUP_TTL */

struct cx_run {
	char		 lead_id[33];	/* lower case */
	long long	 started_us, deadline_us;
	int		 flags;		/* CX_RUN_* */
	int		 attempts;	/* runs of the lead, this one included */
	int		 retries;	/* scheduled retries, this one included */
	struct ce_lead	 lead;
	char		 phone[16];	/* normalised, or "" */
	char		 email[256];	/* normalised, or "" */
	char		 contacts[300];	/* "phone|email", or "" */
	size_t		 npersons;
	struct cx_person persons[2];
	int		 name_mismatch;
	int		 dossiers_reused, dossiers_fetched;
	long long	 stored;	/* rows written */
	enum cx_outcome	 outcome;
	enum cx_note	 note;
	enum ce_err	 err;		/* what the outcome means for a caller */
	char		 error[160];	/* last error, log-safe */
	enum ce_err	 ret;		/* cx_lead_run(): the pipeline's */
};

enum ce_err	 cx_pipeline(struct cx_app *, const char *lead_id,
		    const char *source, int flags, struct cx_run *);
enum ce_err	 cx_pipeline_person(struct cx_app *, const char *cpf,
		    struct cx_run *);
enum ce_err	 cx_pipeline_form(struct cx_app *, const struct ce_lead *,
		    const char *cpf, struct cx_run *, struct ce_buf *note);
enum ce_err	 cx_pipeline_deliver(struct cx_app *, struct cx_run *,
		    const char *lead_id, const char *source,
		    const struct ce_buf *text);
void		 cx_run_free(struct cx_run *);

/* claim.c: never run a lead twice at once, nor again within DEDUP_TTL. */
enum cx_dup {
	CX_DUP_NONE = 0,	/* ours to run */
	CX_DUP_INFLIGHT,	/* running elsewhere */
	CX_DUP_DONE		/* done within the window */
};

struct cx_claim {
	enum cx_dup	 dup;
	int		 in_file;	/* we hold a slot in the shared file */
	char		 outcome[24];	/* CX_DUP_DONE: the outcome, or "" */
	const char	*by;		/* "file" or "database" */
};

enum ce_err	 cx_claim_take(struct cx_claims *, const char *lead_id,
		    int redo, struct cx_claim *) CE_WUR;
void		 cx_claim_finish(struct cx_claims *, const char *lead_id,
		    const struct cx_claim *, int keep, enum cx_outcome);

/* leadrun.c: a lead run under its claim. */
enum ce_err	 cx_lead_run(struct cx_app *, const char *lid,
		    const char *source, int flags, struct cx_run *,
		    struct cx_claim *) CE_WUR;

/* handlers: h_*.c.  Each fills resp->body and returns CE_OK, or an
 * error (its code and text chosen with cx_fail()) that ce_handle() turns
 * into a JSON error body. */
enum ce_err	 cx_h_health(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);
enum ce_err	 cx_h_ready(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);
enum ce_err	 cx_h_leads_process(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);
enum ce_err	 cx_h_c2s_enrich(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);

/* h_customer.c: stored persons; h_work.c: the Work API proxy;
 * h_stats.c: the figures of the status page. */
enum ce_err	 cx_h_customer_lookup(struct cx_web *,
		    const struct cx_request *, struct ce_resp *);
enum ce_err	 cx_h_enrich(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);
enum ce_err	 cx_h_customer(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);
enum ce_err	 cx_h_work_module(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);
enum ce_err	 cx_h_stats(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);

/* google.c: a Google Ads form read, recorded, and its job (kind
 * 'google_ads'); jansson's json_t is struct json_t. */
struct json_t;
int		 cx_google_job(struct cx_app *, const char *form_id,
		    char *result, size_t rsz, char *error, size_t esz);
enum ce_err	 cx_google_parse(const struct json_t *, struct cx_form *)
		    CE_WUR;
enum ce_err	 cx_google_take(struct cx_app *, const struct cx_form *,
		    const char *payload, struct cx_form_rec *) CE_WUR;
enum ce_err	 cx_google_store(struct cx_app *, const char *payload) CE_WUR;

/* h_google.c: POST /api/v1/webhooks/google-ads. */
enum ce_err	 cx_h_webhook_google(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);

/* webhook.c: C2S webhook events read, stored and replayed. */
struct cx_hook_counts {
	unsigned	 received, queued, duplicates, ignored, invalid;
};
void		 cx_webhook_parse(const struct json_t *raw, struct cx_event *);
void		 cx_webhook_count(struct cx_hook_counts *, const char *disp);
enum ce_err	 cx_webhook_ingest(struct cx_app *, const struct json_t *raw,
		    struct cx_event *, char *disp, size_t dispsz) CE_WUR;
enum ce_err	 cx_webhook_replay_one(struct cx_app *, long long id,
		    const char *payload, char *lid, size_t lidsz, char *disp,
		    size_t dispsz, int *ran) CE_WUR;
enum ce_err	 cx_webhook_store(struct cx_app *, const char *body,
		    size_t len) CE_WUR;

/* h_webhook.c: C2S webhook events. */
enum ce_err	 cx_h_webhook_c2s(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);
enum ce_err	 cx_h_webhook_replay(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);

/* req.c: a request parsed once by ce_handle(), read by the handlers. */
#define CX_PATH_MAX	1024	/* bytes of path, query not counted */
#define CX_QUERY_MAX	4096	/* bytes of query after the '?' */
struct cx_request {
	const struct ce_req	*req;		/* body, headers */
	char			 path[CX_PATH_MAX + 1]; /* no query */
	size_t			 pathlen;
	const char		*query;		/* after '?', or NULL */
	const char		*addr;		/* REMOTE_ADDR, or NULL */
	int			 json;		/* body declared JSON */
	enum ce_route		 route;
	unsigned		 allowed;	/* methods, on CE_EMETHOD */
};
enum ce_err	 cx_req_parse(struct cx_request *, const struct ce_req *);
const char	*cx_req_tail(const struct cx_request *, const char *prefix,
		    size_t);

/* resp.c: header lines; an error's code and text, chosen by a handler
 * (cx_fail) and written by ce_handle() (cx_resp_errorc). */
enum ce_err	 cx_resp_errorc(struct ce_resp *, enum ce_err,
		    const char *code, const char *msg);
enum ce_err	 cx_fail(struct ce_resp *, enum ce_err, const char *code,
		    const char *msg);
enum ce_err	 cx_resp_header(struct ce_resp *, const char *name,
		    const char *value);

#endif /* C2S_ENRICH_EXTERN_H */
