/*
 * core/config.h -- the configuration (config.c): the environment,
 * overlaid by the file CONFIG_FILE names (core/envfile.h), read at
 * start-up (and by the pool's master on a reload) into a struct
 * ce_config and validated, the only getenv() of lib/.  Strings are fixed
 * arrays so the struct can be copied and needs no freeing; durations are
 * in milliseconds.  A bad value is reported by the variable's name only:
 * values may be secrets.
 */
#ifndef CE_CORE_CONFIG_H
#define CE_CORE_CONFIG_H

#include <stddef.h>

#include "core/err.h"
#include "core/log.h"
#include "core/schedule.h"

/* The service's name and version (the build sets CE_VERSION): the
 * User-Agent of upstream calls, the database's application_name. */
#define CE_SERVICE	"c2s-enrich"
#ifndef CE_VERSION
#define CE_VERSION	"0.1.0"
#endif

/*
 * Configuration, parsed once from the environment at start-up.  Strings are
 * fixed arrays so the struct can be copied and needs no freeing.  Durations
 * are in milliseconds.
 */
#define CE_URL_MAX	512
#define CE_CONFIG_PATH_MAX	4096	/* CONFIG_FILE's bytes, PATH_MAX */

/* CPF discovery tiers (CPF_TIERS), tried in the configured order. */
enum ce_tier {
	CE_TIER_WORK_PHONE,	/* Work API phone module (WORK_PHONE_LOOKUP=1) */
	CE_TIER_DX_PHONE,	/* Diretrix by phone */
	CE_TIER_DX_EMAIL,	/* Diretrix by e-mail */
	CE_TIER_STORED,		/* the service's own stored contacts, free */
	CE_TIER__MAX
};

const char	*ce_tier_name(enum ce_tier);
#define CE_SECRET_MAX	256
#define CE_RETRY_MAX	16	/* entries of RETRY_SCHEDULE */
/* POLL_SCHEDULE's default: São Paulo hours, an interval each. */
#define CE_POLL_SCHEDULE_DEFAULT	"08-20:5m,20-23:20m,*:60m"

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
	char		 admin_api_keys[1024];	/* "": no admin route */
	char		 webhook_secret[CE_SECRET_MAX];
	char		 public_url[CE_URL_MAX];	/* how C2S reaches us */
	char		 google_ads_key[CE_SECRET_MAX];
	char		 c2s_default_seller_id[64];
	long long	 c2s_description_max;
	double		 income_multiplier;
	/* A high-value lead (issue [2.6], core/highvalue.h). */
	long long	 high_value_income;	/* reais; 0: no income reason */
	long long	 high_value_power;	/* enum ce_hv_band, the lowest
						 * that counts; __MAX: off */
	char		 dedup_file[256];
	long long	 dedup_capacity;
	long long	 dedup_ttl_ms;
	long long	 dossier_max_age_ms;
	long long	 dossier_miss_max_age_ms; /* a Work API "none" kept */
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
	long long	 poll_interval_ms;	/* POLL_INTERVAL; 0: unset */
	struct ce_schedule poll_schedule;	/* POLL_SCHEDULE, or every hour
						 * POLL_INTERVAL when it is set */
	long long	 poll_schedule_now_s;	/* POLL_SCHEDULE_NOW (tests): the
						 * schedule's clock; 0: the real one */
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
	/* Alerts (issue [2.6], app/alert.c): channels, throttle, causes. */
	char		 alert_webhook_url[CE_URL_MAX];	/* a secret; "": none */
	char		 alert_smtp_url[CE_URL_MAX];	/* smtp(s)://; "": none */
	char		 alert_email_from[256];
	char		 alert_email_to[1024];		/* comma list */
	long long	 alert_min_interval_ms;	/* one alert a kind per */
	long long	 alert_provider_down_after_ms;	/* breaker open for */
	long long	 alert_rate_min;	/* %: 0 no rate alert */
	long long	 alert_rate_min_leads;	/* leads in the hour, at least */
	long long	 alert_webhooks_silent_after_ms;	/* 0: never */
	char		 alert_business_hours[32];	/* "1-5 08-20" */
	long long	 alert_check_ms;	/* the database causes, every */
	long long	 alert_retry_ms;	/* a channel's first back-off */
	char		 c2s_lead_url[CE_URL_MAX];	/* with {id}; "": none */
	/* The pool's master (issue [2.7], docs/POOL-PLAN.md section 7). */
	int		 pool_min;		/* POOL_MIN: 2, 1..64 */
	int		 pool_max;		/* POOL_MAX: 8, pool_min..64 */
	int		 pool_spare;		/* POOL_SPARE: 1, 0..pool_max */
	long long	 pool_idle_timeout_ms;	/* idle beyond spare: stopped */
	long long	 pool_short_after_ms;	/* short this long: an error */
	long long	 slowlog_after_ms;	/* a slow request; 0: off */
	char		 health_socket[108];	/* a sun_path; unset: beside
						 * DEDUP_FILE, health.sock */
	char		 config_file[CE_CONFIG_PATH_MAX];	/* "": none */
	unsigned	 restart_kept;		/* CE_RESTART_* bits: settings a
						 * reload kept (warnings) */
};

#define CE_POOL_SLOTS		64	/* POOL_MAX's bound: the scoreboard */
#define CE_HEALTH_SOCKET_MAX	100	/* bytes of HEALTH_SOCKET */

/* Settings a reload cannot change: ce_config_reload() keeps the running
 * value, and ce_config_warning() names each it kept. */
#define CE_RESTART_HEALTH_SOCKET	0x1u
#define CE_RESTART_DEDUP_FILE		0x2u
#define CE_RESTART_DEDUP_CAPACITY	0x4u

/* The shortest API key API_KEYS takes (characters). */
#define CE_API_KEY_MIN	16

/*
 * Fill "cfg" from the environment, overlaid by CONFIG_FILE when it is
 * set.  Returns CE_OK, or CE_ECONFIG with one line naming the
 * offending variable in "err" (never its value, which may be a secret).
 * "cfg" holds defaults for anything not yet parsed on failure.
 * ce_config_load_from() does the same through a lookup of its own, and
 * returns 0 or -1; ce_config_reload() reads again what ce_config_load()
 * read, keeping the CE_RESTART_* settings (config.c).
 */
enum ce_err	 ce_config_load(struct ce_config *cfg, char *err, size_t errsz)
		    CE_WUR;
int		 ce_config_load_from(struct ce_config *,
		    const char *(*)(void *, const char *), void *, char *,
		    size_t) CE_WUR;
int		 ce_config_reload(struct ce_config *, const struct ce_config *,
		    char *, size_t) CE_WUR;
/* ALERT_BUSINESS_HOURS "D-D HH-HH": weekdays and hours; 0, or -1. */
int		 ce_business_hours(const char *, int *, int *, int *, int *);
void		 ce_config_defaults(struct ce_config *);
const char	*ce_config_warning(const struct ce_config *, size_t);
int		 ce_config_parse_duration(const char *, long long *);
int		 ce_config_parse_schedule(const char *, struct ce_schedule *);

#endif /* CE_CORE_CONFIG_H */
