/*
 * c2s-enrich.h -- the public interface of libc2senrich.
 *
 * This is the only header that fcgi/ and atf-tests/ include.  It owns the
 * error enum, the configuration struct, the FastCGI-independent request and
 * response structs, the capped buffer, and the opaque per-process context.
 * One call, ce_handle(), turns a request into a response, so the whole
 * application can be driven without a web server.
 */
#ifndef C2S_ENRICH_H
#define C2S_ENRICH_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define CE_SERVICE	"c2s-enrich"
#ifndef CE_VERSION
#define CE_VERSION	"0.1.0"
#endif

#define CE_WUR		__attribute__((warn_unused_result))
#define CE_PRINTF(f, a)	__attribute__((format(printf, f, a)))

/*
 * Errors.  Foreign error codes (errno, PGRES_*, CURLcode, json_error_t) are
 * translated into these at the call site, where the detail is logged.
 */
enum ce_err {
	CE_OK = 0,
	CE_ENOMEM,	/* allocation failed */
	CE_E2BIG,	/* a cap was hit (request body, buffer) */
	CE_EINPUT,	/* malformed request: the client's fault */
	CE_EAUTH,	/* missing or wrong credentials */
	CE_ENOTFOUND,	/* no such route or resource */
	CE_EMETHOD,	/* route exists, method does not */
	CE_ECTYPE,	/* unsupported content type */
	CE_EUNPROC,	/* well-formed but unprocessable */
	CE_ERATE,	/* rate limit hit */
	CE_EUPSTREAM,	/* an upstream API failed */
	CE_EDB,		/* PostgreSQL unreachable or failed */
	CE_EUNAVAIL,	/* not ready: a dependency is missing */
	CE_ETIMEOUT,	/* the request's deadline passed */
	CE_ECONFIG,	/* invalid configuration */
	CE_ESYSTEM,	/* anything else: our fault */
	CE_ERR__MAX
};

const char	*ce_strerror(enum ce_err);
const char	*ce_err_code(enum ce_err);
int		 ce_err_status(enum ce_err);

/*
 * A capped growable buffer.  "cap" bounds len; appends that would pass it
 * fail with CE_E2BIG and leave the buffer unchanged.  data is always
 * NUL-terminated when non-NULL.
 */
struct ce_buf {
	char	*data;
	size_t	 len;
	size_t	 alloc;
	size_t	 cap;
};

void		 ce_buf_init(struct ce_buf *, size_t cap);
void		 ce_buf_free(struct ce_buf *);
void		 ce_buf_reset(struct ce_buf *);
enum ce_err	 ce_buf_append(struct ce_buf *, const void *, size_t) CE_WUR;
enum ce_err	 ce_buf_puts(struct ce_buf *, const char *) CE_WUR;
enum ce_err	 ce_buf_printf(struct ce_buf *, const char *, ...)
		    CE_PRINTF(2, 3) CE_WUR;
enum ce_err	 ce_buf_json_str(struct ce_buf *, const char *, size_t) CE_WUR;
char		*ce_buf_take(struct ce_buf *);
void		 ce_buf_cap_chars(struct ce_buf *, size_t maxchars);

/* Bounded string helpers (glibc 2.36 has no strlcpy). */
size_t		 ce_strlcpy(char *, const char *, size_t);
int		 ce_strtonum(const char *, long long, long long, long long *);
int		 ce_ct_streq(const char *, const char *);
int		 ce_hexval(int);

enum ce_loglevel {
	CE_LOG_DEBUG = 0,
	CE_LOG_INFO,
	CE_LOG_WARN,
	CE_LOG_ERROR,
	CE_LOG__MAX
};

/*
 * Configuration, parsed once from the environment at start-up.  Strings are
 * fixed arrays so the struct can be copied and needs no freeing.  Durations
 * are in milliseconds.
 */
#define CE_URL_MAX	512

/* CPF discovery tiers (CPF_TIERS), tried in the configured order. */
enum ce_tier {
	CE_TIER_WORK_PHONE,	/* Work API phone module (WORK_PHONE_LOOKUP=1) */
	CE_TIER_DX_PHONE,	/* Diretrix by phone */
	CE_TIER_DX_EMAIL,	/* Diretrix by e-mail */
	CE_TIER__MAX
};

const char	*ce_tier_name(enum ce_tier);
#define CE_SECRET_MAX	256
#define CE_RETRY_MAX	16	/* entries of RETRY_SCHEDULE */

struct ce_config {
	char		 db_url[1024];
	char		 c2s_base_url[CE_URL_MAX];
	char		 c2s_token[CE_SECRET_MAX];
	char		 diretrix_base_url[CE_URL_MAX];
	char		 diretrix_user[CE_SECRET_MAX];
	char		 diretrix_pass[CE_SECRET_MAX];
	char		 work_api_url[CE_URL_MAX];
	char		 work_api_token[CE_SECRET_MAX];
	long long	 work_api_min_interval_ms;
	char		 api_keys[1024];
	char		 webhook_secret[CE_SECRET_MAX];
	char		 public_url[CE_URL_MAX];	/* how C2S reaches us */
	char		 google_ads_key[CE_SECRET_MAX];
	char		 c2s_default_seller_id[64];
	long long	 c2s_description_max;
	double		 income_multiplier;
	char		 dedup_file[256];
	long long	 dedup_capacity;
	long long	 dedup_ttl_ms;
	long long	 dossier_max_age_ms;
	long long	 upstream_connect_timeout_ms;
	long long	 upstream_timeout_ms;
	long long	 request_deadline_ms;
	long long	 max_requests;
	long long	 max_body;
	enum ce_loglevel log_level;
	enum ce_tier	 cpf_tiers[CE_TIER__MAX];
	size_t		 ncpf_tiers;
	long long	 work_phone_lookup;	/* 0 or 1 */
	long long	 cache_max_bytes;	/* per-process cache bound */
	/* Webhooks, the worker, retries and the poller (issue [5/9]). */
	long long	 webhook_max_events;	/* events in one request */
	long long	 retry_schedule[CE_RETRY_MAX];	/* in retry units */
	size_t		 nretry;
	long long	 retry_unit_ms;		/* RETRY_UNIT: 1 h */
	long long	 job_timeout_ms;	/* a running job is stale after */
	long long	 job_max_tries;
	long long	 worker_poll_ms;	/* queue poll without NOTIFY */
	long long	 run_poller;		/* 0 or 1 */
	long long	 poll_interval_ms;
	/* The read side of the API (issue [6/9]). */
	long long	 enrich_on_miss;	/* 0 or 1: CPF lookups pay */
	long long	 work_proxy_ttl_ms;	/* WORK_PROXY_TTL: 1 h */
	/* Hardening (issue [7/9]). */
	long long	 breaker_threshold;	/* failures in a row to open */
	long long	 breaker_cooldown_ms;	/* first wait before a probe */
	long long	 breaker_cooldown_max_ms; /* doubling up to this */
	long long	 rate_limit;		/* requests per second per IP */
	long long	 rate_burst;
	char		 trusted_proxies[512];	/* addresses, CIDR ranges:
						 * lighttpd's, not read here */
	long long	 metrics_open;		/* 0 or 1: /metrics without a key */
	/* Google Ads (issue [2.1]). */
	long long	 google_ads_accept_test; /* 0 or 1: run is_test forms */
	/* Closed by default and bounded tables (issue [2.2]). */
	long long	 api_auth;		/* API_AUTH: 1 on, 0 off */
	long long	 webhook_auth;		/* WEBHOOK_AUTH: 1 on, 0 off */
	long long	 retention_days;	/* RETENTION_DAYS: 90 */
	long long	 prune_interval_ms;	/* PRUNE_INTERVAL: 1 h */
	/* The edge holds (issue [2.2]): the webhooks' own bucket. */
	long long	 webhook_rate_limit;	/* requests per second per IP */
	long long	 webhook_rate_burst;
	/* The spool (issue [2.2]): requests PostgreSQL could not take. */
	char		 spool_dir[256];	/* "": next to DEDUP_FILE */
	long long	 spool_max_bytes;	/* the directory's bound */
};

/* The shortest API key API_KEYS takes (characters). */
#define CE_API_KEY_MIN	16

/*
 * Fill "cfg" from the environment.  Returns CE_OK, or CE_ECONFIG with one
 * line naming the offending variable in "err" (never its value, which may
 * be a secret).  "cfg" holds defaults for anything not yet parsed on failure.
 */
enum ce_err	 ce_config_load(struct ce_config *cfg, char *err, size_t errsz)
		    CE_WUR;
void		 ce_config_defaults(struct ce_config *);
const char	*ce_config_warning(const struct ce_config *, size_t);
int		 ce_config_parse_duration(const char *, long long *);

/*
 * A request as the web server hands it over, independent of FastCGI.
 * "env" is a NULL-terminated array of "NAME=VALUE" CGI parameters; the
 * strings must outlive the call to ce_handle().
 */
struct ce_req {
	const char		*method;	/* REQUEST_METHOD */
	const char		*uri;		/* REQUEST_URI: path?query */
	const char *const	*env;		/* CGI parameters */
	const char		*body;
	size_t			 bodylen;
	int			 body_too_large; /* CONTENT_LENGTH over cap */
};

const char	*ce_req_param(const struct ce_req *, const char *name);
int		 ce_query_get(const char *query, const char *name, char *out,
		    size_t outsz);

/* A response: status, content type, a few extra header lines, body. */
struct ce_resp {
	int		 status;
	const char	*ctype;
	char		 headers[256];	/* "Name: value\r\n" lines */
	struct ce_buf	*body;		/* owned by the context */
	/* An error's code and text, chosen by a handler (NULL, "": the
	 * enum's own); ce_handle() writes the body. */
	const char	*err_code;
	char		 err_msg[256];
};

struct ce_ctx;

/*
 * Make the per-process context from a validated configuration.  Nothing is
 * connected yet: the database connection is opened on first use.  Returns
 * NULL on allocation failure.
 */
struct ce_ctx	*ce_ctx_new(const struct ce_config *);
void		 ce_ctx_free(struct ce_ctx *);
const struct ce_config *ce_ctx_config(const struct ce_ctx *);
void		 ce_ctx_set_logfd(struct ce_ctx *, int);

/*
 * Turn "req" into "resp".  Always fills a response (errors become JSON
 * error bodies with their status); the body buffer is owned by the context
 * and valid until the next call.  Logs one access line.
 */
void		 ce_handle(struct ce_ctx *, const struct ce_req *,
		    struct ce_resp *);

/* GET /metrics: join the machine's table of processes at start; count
 * a responder leaving after MAX_REQUESTS. */
void		 ce_metrics_join(struct ce_ctx *);
void		 ce_metrics_sample(struct ce_ctx *);
void		 ce_metrics_recycled(struct ce_ctx *);
/* "us" microseconds as exact decimal seconds ("0.0025", "1234567.891"). */
void		 ce_metrics_secs(char *, size_t, uint64_t us);

/* The schema version (highest migration) this binary needs. */
int		 ce_schema_version(void);

/* Log a line with the context's request id, if any. */
void		 ce_log(struct ce_ctx *, enum ce_loglevel, const char *, ...)
		    CE_PRINTF(3, 4);

/* brid.c: Brazilian identifiers and log masks. */
int		 ce_cpf_valid(const char *);
int		 ce_cpf_normalize(const char *, char *);
void		 ce_mask_cpf(const char *, char *, size_t);
void		 ce_mask_phone(const char *, char *, size_t);
void		 ce_mask_email(const char *, char *, size_t);
int		 ce_lead_id_valid(const char *);
int		 ce_lead_id_norm(const char *, char *);
int		 ce_ddd_valid(int);
int		 ce_phone_normalize(const char *, char *);
int		 ce_email_normalize(const char *, char *, size_t);
int		 ce_cep_normalize(const char *, char *);
int		 ce_cnpj_valid(const char *);
int		 ce_cnpj_normalize(const char *, char *);
int		 ce_titulo_valid(const char *);
int		 ce_titulo_normalize(const char *, char *);
#define CE_NAME_MAX	120	/* characters of a person's name searched */
int		 ce_person_name_normalize(const char *, char *, size_t);

/* name.c: a lead's name against a provider's. */
void		 ce_name_fold(const char *, char *, size_t);
int		 ce_name_score(const char *lead, const char *provider);
int		 ce_name_matches(const char *lead, const char *provider);

/* note.c: the enrichment note posted on a lead. */
enum ce_note_kind {
	CE_NOTE_COMPLETED,	/* CPF and dossier */
	CE_NOTE_PARTIAL,	/* CPF, provider down */
	CE_NOTE_BASIC,		/* CPF, provider had no data */
	CE_NOTE_UNENRICHED,	/* no CPF */
	CE_NOTE_INVALID		/* no valid phone or e-mail to look up */
};

enum ce_note_src {
	CE_SRC_PHONE,
	CE_SRC_EMAIL,
	CE_SRC_BOTH,		/* phone and e-mail gave this CPF */
	CE_SRC_FORM		/* typed by the person (a lead form) */
};

struct ce_note_person {
	enum ce_note_src source;
	const char	*contact;	/* the phone or e-mail it came from */
	const char	*cpf;		/* 11 digits */
	const char	*name;		/* the provider's, or NULL */
	const char	*dossier;	/* Work API JSON, or NULL */
};

struct ce_note_in {
	enum ce_note_kind kind;
	const char	*lead_name;
	int		 name_mismatch;
	int		 lookup_down;	/* UNENRICHED: a CPF lookup failed */
	size_t		 npersons;	/* 0, 1, or 2 (different people) */
	struct ce_note_person persons[2];
};

enum ce_err	 ce_note_format(const struct ce_note_in *, double mult,
		    size_t maxchars, struct ce_buf *) CE_WUR;

/*
 * Upstream clients (upstream.c).  What an upstream said, classified.
 */
enum ce_up {
	CE_UP_OK = 0,
	CE_UP_NOTFOUND,	/* the upstream has no such lead, person, dossier */
	CE_UP_DOWN,	/* timeout, network, 5xx, 429, auth refused,
			   Work API 403-in-200 or credits exhausted */
	CE_UP_BADRESP,	/* malformed JSON, wrong shape, body over the cap */
	CE_UP_DEADLINE,	/* the request's deadline passed */
	CE_UP_INVALID,	/* refused before any call: bad id or argument */
	CE_UP__MAX
};

const char	*ce_up_name(enum ce_up);

/* A C2S lead; a null or missing field is an empty string. */
struct ce_lead {
	char		 id[33];
	char		 name[256];
	char		 email[256];
	char		 phone[64];
	char		 phone2[64];
	char		 customer_id[64];
	char		 status_alias[64];
	char		 source[128];
	char		 product_ref[128];
	char		 product_desc[256];
	char		 created_at[40];
	char		 updated_at[40];
	char		 description[2048];
};

/* CPF candidates (Diretrix, Work API phone module). */
#define CE_CANDS_MAX	8
struct ce_cands {
	size_t		 n;
	struct {
		char	 cpf[12];	/* 11 digits, check digits verified */
		char	 name[256];
	}		 c[CE_CANDS_MAX];
	size_t		 dropped;	/* CNPJs and invalid CPFs */
};

/* A Work API dossier: the body as received (to store) and a few fields. */
struct ce_dossier {
	char		 cpf[12];
	char		 name[256];
	char		 birth[16];
	char		 income[32];	/* "8500,50" as sent */
	char		*raw;		/* NUL-terminated JSON, heap */
	size_t		 rawlen;
};

void		 ce_dossier_free(struct ce_dossier *);

enum ce_call_kind {
	CE_CALL_C2S_LEAD,	/* arg: lead id -> lead */
	CE_CALL_C2S_MESSAGE,	/* arg: lead id, arg2: text */
	CE_CALL_DX_PHONE,	/* arg: national phone digits -> cands */
	CE_CALL_DX_EMAIL,	/* arg: e-mail -> cands */
	CE_CALL_WORK_CPF,	/* arg: 11-digit CPF -> dossier */
	CE_CALL_WORK_PHONE,	/* arg: national phone digits -> cands */
	CE_CALL_C2S_CREATE,	/* arg: JSON:API lead body -> lead.id */
	CE_CALL_C2S_LIST,	/* arg: how many (1-50) -> list, newest first */
	CE_CALL_C2S_HOOK,	/* arg: {"hook_url","hook_action"}, arg2:
				   "subscribe" or "unsubscribe" -> answer */
	CE_CALL_WORK_MODULE,	/* arg: Work API module, arg2: consulta ->
				   dossier.raw (the body as received) */
	CE_CALL__MAX
};

/* Lead ids, newest first (C2S list). */
#define CE_LIST_MAX	50
struct ce_lead_list {
	size_t		 n;
	char		 id[CE_LIST_MAX][33];
};

/* One upstream call: what to ask, and what came back. */
struct ce_call {
	enum ce_call_kind kind;
	const char	*arg;
	const char	*arg2;
	enum ce_up	 res;
	long		 status;	/* HTTP status of the last attempt */
	long		 api_status;	/* Work API error-in-200: its status
					   or code (403, 404, 429), else 0 */
	int		 unanswered;	/* it may have reached the server,
					   but no answer came */
	int		 attempts;
	long long	 elapsed_us;
	struct ce_lead	 lead;
	struct ce_cands	 cands;
	struct ce_dossier dossier;
	struct ce_lead_list list;
};

/*
 * Run the "n" calls (at most 8) in parallel, each classified into its
 * "res", within "deadline_us" (ce_deadline() clock).  The caller frees
 * each call's dossier with ce_dossier_free().
 */
void		 ce_upstream_run(struct ce_ctx *, struct ce_call *, size_t n,
		    long long deadline_us);
enum ce_up	 ce_upstream_one(struct ce_ctx *, struct ce_call *,
		    long long deadline_us);
enum ce_up	 ce_upstream_parse(struct ce_ctx *, struct ce_call *,
		    long status, const char *body, size_t len);
long long	 ce_deadline(const struct ce_ctx *);
long long	 ce_now_us(void);

/*
 * shm.c: the file all responders of a machine map (DEDUP_FILE), and its
 * de-duplication table of keyed hashes.
 */
struct ce_shm;

enum ce_claim {
	CE_CLAIM_OWN = 0,	/* the key is ours now */
	CE_CLAIM_INFLIGHT,	/* another live process holds it */
	CE_CLAIM_DONE,		/* done within its TTL */
	CE_CLAIM_FULL		/* no free slot in its window */
};

struct ce_shm	*ce_shm_open(const char *path, size_t nslots, char *err,
		    size_t errsz);
void		 ce_shm_close(struct ce_shm *);
size_t		 ce_shm_slots(const struct ce_shm *);
int		 ce_shm_lock(struct ce_shm *);
void		 ce_shm_unlock(struct ce_shm *);
enum ce_claim	 ce_dedup_claim(struct ce_shm *, const char *key,
		    long long inflight_ms, int *outcome);
enum ce_claim	 ce_dedup_reclaim(struct ce_shm *, const char *key,
		    long long inflight_ms, int *outcome);
void		 ce_dedup_done(struct ce_shm *, const char *key,
		    long long ttl_ms, int outcome);
void		 ce_dedup_release(struct ce_shm *, const char *key);
size_t		 ce_dedup_used(struct ce_shm *);
uint64_t	 ce_siphash(const uint8_t key[16], const void *, size_t);

/* cache.c: a per-process LRU with TTL, bounded in bytes. */
struct ce_cache;

struct ce_cache_stats {
	size_t			 entries, bytes, max_bytes;
	unsigned long long	 hits, misses;
};

struct ce_cache	*ce_cache_new(size_t max_bytes);
void		 ce_cache_free(struct ce_cache *);
const char	*ce_cache_get(struct ce_cache *, const char *key, size_t *len);
enum ce_err	 ce_cache_put(struct ce_cache *, const char *key,
		    const void *val, size_t len, long long ttl_ms) CE_WUR;
void		 ce_cache_stats(const struct ce_cache *,
		    struct ce_cache_stats *);

/*
 * worker.c: c2s-enrich --worker.  Claims jobs from PostgreSQL until
 * "stopping" returns non-zero (checked between jobs: a job in hand is
 * finished first).  Survives database restarts.  Returns 0.
 */
int		 ce_worker_run(struct ce_ctx *, int (*stopping)(void));

/*
 * subscribe.c: c2s-enrich --subscribe / --unsubscribe.  Registers (or
 * removes) PUBLIC_URL/api/v1/webhooks/c2s?token=WEBHOOK_SECRET at C2S for
 * each of the lead actions C2S delivers.
 */
#define CE_HOOK_ACTIONS	3
extern const char *const ce_hook_actions[CE_HOOK_ACTIONS];

struct ce_hook_result {
	const char	*action;	/* one of ce_hook_actions */
	enum ce_up	 res;
	long		 status;	/* HTTP status, 0 without an answer */
	char		 answer[512];	/* C2S's answer (or what failed) on
					   one line, cut, secrets masked */
};

/*
 * Fill "url" with the hook's URL as it may be shown (the secret as ***)
 * and "out" with C2S's answer per action.  Returns the number of actions
 * that failed, or -1 when a setting is missing (named in "err", never
 * its value).
 */
int		 ce_subscribe(struct ce_ctx *, int unsubscribe,
		    struct ce_hook_result out[CE_HOOK_ACTIONS], char *url,
		    size_t urlsz, char *err, size_t errsz);

/*
 * spool.c: the record format of the spool (DESIGN.md 11.2).  A record is
 * a 12-byte header, the magic "C2SP", the payload's length and its CRC-32
 * (both 32-bit little-endian), then the payload (JSON).
 */
#define CE_SPOOL_HDR	12
#define CE_SPOOL_REC_MAX (64u * 1024 * 1024)	/* a sane length field */

enum ce_spool_rec {
	CE_SPOOL_OK = 0,	/* a whole record, its CRC right */
	CE_SPOOL_TORN,		/* cut short: fewer bytes than it says */
	CE_SPOOL_CORRUPT,	/* whole, but its CRC is wrong: skip it */
	CE_SPOOL_BAD		/* no magic or an insane length: stop */
};

uint32_t	 ce_crc32(const void *, size_t);
enum ce_err	 ce_spool_frame(struct ce_buf *, const char *payload,
		    size_t len) CE_WUR;
int		 ce_spool_header(const unsigned char *hdr, size_t *len);
enum ce_spool_rec ce_spool_parse(const unsigned char *rec, size_t avail,
		    size_t *len);

/* Routes. */
enum ce_route {
	CE_ROUTE_NONE = 0,
	CE_ROUTE_HEALTH,
	CE_ROUTE_READY,
	CE_ROUTE_LEADS_PROCESS,
	CE_ROUTE_C2S_ENRICH,
	CE_ROUTE_WEBHOOK_C2S,
	CE_ROUTE_WEBHOOK_GOOGLE,
	CE_ROUTE_CUSTOMER_LOOKUP,	/* GET /api/v1/contributor/customer */
	CE_ROUTE_ENRICH,		/* POST /api/v1/enrich */
	CE_ROUTE_CUSTOMER,		/* GET /api/v1/customers/{uuid} */
	CE_ROUTE_WORK_MODULE,		/* GET /api/v1/work/modules/{m} */
	CE_ROUTE_STATS,
	CE_ROUTE_METRICS,
	CE_ROUTE_WEBHOOK_REPLAY,	/* POST /api/v1/webhooks/c2s/replay */
	CE_ROUTE__MAX
};

#define CE_METHOD_GET	0x01
#define CE_METHOD_HEAD	0x02
#define CE_METHOD_POST	0x04
#define CE_METHOD_PUT	0x08
#define CE_METHOD_DELETE 0x10
#define CE_METHOD_PATCH	0x20
#define CE_METHOD_OPTIONS 0x40

/*
 * Match a path (no query) and method against the routing table.  Returns
 * CE_OK with the route, CE_ENOTFOUND, or CE_EMETHOD with the allowed
 * methods in "allowed".
 */
enum ce_err	 ce_route_match(const char *path, size_t pathlen,
		    const char *method, enum ce_route *route,
		    unsigned *allowed);
const char	*ce_route_name(enum ce_route);
int		 ce_method_bits(const char *);
enum ce_err	 ce_methods_str(unsigned, char *, size_t);

#endif /* C2S_ENRICH_H */
