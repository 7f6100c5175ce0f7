/*
 * config.c -- the environment, overlaid by the KEY=VALUE file CONFIG_FILE
 * names, read at start-up (and on the pool master's reload) into a struct
 * ce_config and validated.  Every variable is read through a lookup, so
 * ce_config_load_from() takes any source.  A bad value is reported by the
 * variable's name only: values may be secrets.  No other file of lib/
 * calls getenv().
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/envfile.h"
#include "core/highvalue.h"
#include "core/log.h"
#include "core/util.h"

#define MS_PER_S	1000LL
#define MS_PER_DAY	(86400LL * MS_PER_S)
#define POLL_MIN_MS	100	/* POLL_INTERVAL's and POLL_SCHEDULE's floor */

/*
 * The file "name" beside DEDUP_FILE into "dst" of "dstsz" bytes: SPOOL_DIR
 * and HEALTH_SOCKET unset (so /run/c2s-enrich/spool and
 * /run/c2s-enrich/health.sock by default).  Returns 0, or -1 with "dst"
 * empty when it does not fit.
 */
static int
beside_dedup_file(const struct ce_config *cfg, const char *name, char *dst,
    size_t dstsz)
{
	const char	*slash;
	int		 n;

	if ((slash = strrchr(cfg->dedup_file, '/')) == NULL)
		n = snprintf(dst, dstsz, "%s", name);
	else
		n = snprintf(dst, dstsz, "%.*s/%s",
		    (int)(slash - cfg->dedup_file), cfg->dedup_file, name);
	if (n < 0 || (size_t)n >= dstsz) {
		dst[0] = '\0';
		return -1;
	}
	return 0;
}

/* Fill "cfg" with the defaults of DESIGN.md section 10. */
void
ce_config_defaults(struct ce_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	ce_strlcpy(cfg->c2s_base_url, "https://api.contact2sale.com",
	    sizeof(cfg->c2s_base_url));
	ce_strlcpy(cfg->work_api_url, "https://completa.workbuscas.com",
	    sizeof(cfg->work_api_url));
	cfg->work_api_min_interval_ms = 2 * MS_PER_S;
	cfg->c2s_description_max = 5000;
	cfg->income_multiplier = 1.9;
	cfg->high_value_income = 20000;
	cfg->high_value_power = CE_HV_ALTO;
	ce_strlcpy(cfg->dedup_file, "/run/c2s-enrich/dedup",
	    sizeof(cfg->dedup_file));
	cfg->dedup_capacity = 10000;
	cfg->dedup_ttl_ms = 300 * MS_PER_S;
	cfg->dossier_max_age_ms = 30 * MS_PER_DAY;
	cfg->dossier_miss_max_age_ms = 7 * MS_PER_DAY;
	cfg->upstream_connect_timeout_ms = 3 * MS_PER_S;
	cfg->upstream_timeout_ms = 15 * MS_PER_S;
	cfg->request_deadline_ms = 25 * MS_PER_S;
	cfg->max_requests = 10000;
	cfg->max_body = 1024 * 1024;
	cfg->log_level = CE_LOG_INFO;
	cfg->cpf_tiers[0] = CE_TIER_STORED;
	cfg->cpf_tiers[1] = CE_TIER_WORK_PHONE;
	cfg->cpf_tiers[2] = CE_TIER_DX_PHONE;
	cfg->cpf_tiers[3] = CE_TIER_DX_EMAIL;
	cfg->ncpf_tiers = 4;
	cfg->cache_max_bytes = 1024 * 1024;
	cfg->webhook_max_events = 100;
	cfg->retry_schedule[0] = 1;
	cfg->retry_schedule[1] = 2;
	cfg->retry_schedule[2] = 4;
	cfg->retry_schedule[3] = 8;
	cfg->retry_schedule[4] = 16;
	cfg->nretry = 5;
	cfg->retry_unit_ms = 3600 * MS_PER_S;
	cfg->job_timeout_ms = 300 * MS_PER_S;
	cfg->job_max_tries = 5;
	cfg->worker_poll_ms = 5 * MS_PER_S;
	/* The poller runs, on São Paulo's business hours; POLL_INTERVAL
	 * unset (0). */
	cfg->run_poller = 1;
	(void)ce_config_parse_schedule(CE_POLL_SCHEDULE_DEFAULT,
	    &cfg->poll_schedule);
	cfg->work_proxy_ttl_ms = 3600 * MS_PER_S;
	cfg->breaker_threshold = 5;
	cfg->breaker_cooldown_ms = 5 * MS_PER_S;
	cfg->breaker_cooldown_max_ms = 60 * MS_PER_S;
	cfg->rate_limit = 10;
	cfg->rate_burst = 20;
	cfg->api_auth = 1;
	cfg->webhook_auth = 1;
	cfg->retention_days = 90;
	cfg->prune_interval_ms = 3600 * MS_PER_S;
	cfg->webhook_rate_limit = 100;
	cfg->webhook_rate_burst = 200;
	ce_strlcpy(cfg->spool_dir, "/run/c2s-enrich/spool",
	    sizeof(cfg->spool_dir));
	cfg->spool_max_bytes = 64LL * 1024 * 1024;
	cfg->alert_min_interval_ms = 15 * 60 * MS_PER_S;
	cfg->alert_provider_down_after_ms = 10 * 60 * MS_PER_S;
	cfg->alert_rate_min = 20;
	cfg->alert_rate_min_leads = 10;
	cfg->alert_webhooks_silent_after_ms = 2 * 3600 * MS_PER_S;
	ce_strlcpy(cfg->alert_business_hours, "1-5 08-20",
	    sizeof(cfg->alert_business_hours));
	cfg->alert_check_ms = 30 * MS_PER_S;
	cfg->alert_retry_ms = 30 * MS_PER_S;
	cfg->pool_min = 2;
	cfg->pool_max = 8;
	cfg->pool_spare = 1;
	cfg->pool_idle_timeout_ms = 10 * MS_PER_S;
	cfg->pool_short_after_ms = 60 * MS_PER_S;
	cfg->slowlog_after_ms = 5 * MS_PER_S;
	/* HEALTH_SOCKET: beside DEDUP_FILE unless set (ce_config_load). */
	(void)beside_dedup_file(cfg, "health.sock", cfg->health_socket,
	    sizeof(cfg->health_socket));
}

static const char *const tier_names[CE_TIER__MAX] = {
	[CE_TIER_WORK_PHONE] = "work_phone",
	[CE_TIER_DX_PHONE] = "diretrix_phone",
	[CE_TIER_DX_EMAIL] = "diretrix_email",
	[CE_TIER_STORED] = "stored",
};

const char *
ce_tier_name(enum ce_tier t)
{
	return (unsigned)t < CE_TIER__MAX ? tier_names[t] : "unknown";
}

/*
 * The next item of a comma list at "*v": its start in "*item" and length
 * in "*len", spaces around it skipped; "*v" moves past it and its comma.
 * Returns 1 for an item, 0 at the end, -1 on an empty item or a missing
 * comma.
 */
static int
list_next(const char **v, const char **item, size_t *len)
{
	const char	*p = *v;

	if (p == NULL)
		return 0;
	while (*p == ' ')
		p++;
	*item = p;
	*len = strcspn(p, ", ");
	if (*len == 0)
		return -1;
	p += *len;
	while (*p == ' ')
		p++;
	if (*p == '\0')
		*v = NULL;
	else if (*p++ != ',')
		return -1;
	else
		*v = p;
	return 1;
}

/*
 * Parse CPF_TIERS: a comma list of tier names, each at most once, at
 * least one.  Returns 0, or -1 leaving "cfg" unchanged.
 */
static int
tiers_parse(const char *v, struct ce_config *cfg)
{
	enum ce_tier	 t[CE_TIER__MAX];
	const char	*item;
	size_t		 n = 0, len, i, k;
	unsigned	 seen = 0;
	int		 rc;

	while ((rc = list_next(&v, &item, &len)) == 1) {
		for (k = 0; k < CE_TIER__MAX; k++)
			if (strlen(tier_names[k]) == len &&
			    strncmp(item, tier_names[k], len) == 0)
				break;
		if (k == CE_TIER__MAX || (seen & (1u << k)) || n == CE_TIER__MAX)
			return -1;
		seen |= 1u << k;
		t[n++] = (enum ce_tier)k;
	}
	if (rc == -1 || n == 0)
		return -1;
	for (i = 0; i < n; i++)
		cfg->cpf_tiers[i] = t[i];
	cfg->ncpf_tiers = n;
	return 0;
}

/*
 * Parse RETRY_SCHEDULE: a comma list of 1 to CE_RETRY_MAX positive
 * integers (in RETRY_UNIT), or "none" for no retry at all.  Returns 0, or
 * -1 leaving "cfg" unchanged.
 */
static int
retries_parse(const char *v, struct ce_config *cfg)
{
	long long	 r[CE_RETRY_MAX];
	const char	*item;
	char		 num[16];
	size_t		 n = 0, len, i;
	int		 rc;

	if (strcmp(v, "none") == 0) {
		cfg->nretry = 0;
		return 0;
	}
	while ((rc = list_next(&v, &item, &len)) == 1) {
		if (len >= sizeof(num) || n == CE_RETRY_MAX)
			return -1;
		memcpy(num, item, len);
		num[len] = '\0';
		if (ce_strtonum(num, 1, 1000000, &r[n]) == -1)
			return -1;
		n++;
	}
	if (rc == -1 || n == 0)
		return -1;
	for (i = 0; i < n; i++)
		cfg->retry_schedule[i] = r[i];
	cfg->nretry = n;
	return 0;
}

/* "HH-HH" into its first hour "*from" (0 to 23) and the hours it
 * spans "*n" (1 to 24; "22-06" wraps past midnight).  Returns 0 or -1. */
static int
hours_parse(const char *r, int *from, int *n)
{
	char		 a[3], b[3];
	size_t		 la, lb;
	long long	 f, t;

	la = strspn(r, "0123456789");
	if (la == 0 || la > 2 || r[la] != '-')
		return -1;
	lb = strspn(r + la + 1, "0123456789");
	if (lb == 0 || lb > 2 || r[la + 1 + lb] != '\0')
		return -1;
	memcpy(a, r, la);
	a[la] = '\0';
	memcpy(b, r + la + 1, lb);
	b[lb] = '\0';
	/* "08-08" is no range ("00-24" is the whole day). */
	if (ce_strtonum(a, 0, 23, &f) == -1 || ce_strtonum(b, 0, 24, &t) == -1
	    || f == t)
		return -1;
	*from = (int)f;
	*n = (int)(t > f ? t - f : t + 24 - f);
	return 0;
}

/*
 * Parse POLL_SCHEDULE: a comma list of "HH-HH:interval", São Paulo hours
 * (the end hour not included; 00 to 24, wrapping past midnight when the
 * end comes first) and a duration from POLL_MIN_MS to a day, then
 * optionally "*:interval" last for every hour not named.  No hour named
 * twice, every hour covered.  Returns 0, or -1 leaving "s" unchanged.
 */
int
ce_config_parse_schedule(const char *v, struct ce_schedule *s)
{
	struct ce_schedule	 t;
	unsigned char		 set[24];
	const char		*item, *colon;
	char			 range[8], dur[24];
	size_t			 len, rl;
	long long		 ms;
	int			 rc, h, from, n, star = 0;

	memset(set, 0, sizeof(set));
	memset(&t, 0, sizeof(t));
	while ((rc = list_next(&v, &item, &len)) == 1) {
		if (star || (colon = memchr(item, ':', len)) == NULL)
			return -1;
		rl = (size_t)(colon - item);
		if (rl >= sizeof(range) || len - rl - 1 >= sizeof(dur))
			return -1;
		memcpy(range, item, rl);
		range[rl] = '\0';
		memcpy(dur, colon + 1, len - rl - 1);
		dur[len - rl - 1] = '\0';
		if (ce_config_parse_duration(dur, &ms) == -1 ||
		    ms < POLL_MIN_MS || ms > MS_PER_DAY)
			return -1;
		if (strcmp(range, "*") == 0) {
			star = 1;
			from = 0;
			n = 24;
		} else if (hours_parse(range, &from, &n) == -1)
			return -1;
		for (; n > 0; n--, from = (from + 1) % 24) {
			if (set[from] && !star)
				return -1;
			if (!set[from])
				t.ms[from] = ms;
			set[from] = 1;
		}
	}
	if (rc == -1)
		return -1;
	for (h = 0; h < 24; h++)
		if (!set[h])
			return -1;
	*s = t;
	return 0;
}

/*
 * Parse a duration: a non-negative integer with an optional unit, "ms",
 * "s" (the default), "m", "h" or "d".  Returns 0 and sets "*ms", or -1.
 */
int
ce_config_parse_duration(const char *s, long long *ms)
{
	static const struct {
		const char	*unit;
		long long	 mult;
	} units[] = {
		{ "", MS_PER_S }, { "ms", 1 }, { "s", MS_PER_S },
		{ "m", 60 * MS_PER_S }, { "h", 3600 * MS_PER_S },
		{ "d", MS_PER_DAY },
	};
	char		 num[32];
	size_t		 n, i;
	long long	 v;

	for (n = 0; s[n] >= '0' && s[n] <= '9'; n++)
		continue;
	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	if (ce_strtonum(num, 0, 1000LL * 1000 * 1000 * 1000, &v) == -1)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(s + n, units[i].unit) == 0) {
			*ms = v * units[i].mult;
			return 0;
		}
	return -1;
}

/* A source of variables: "lookup" with "arg" gives a name's value, or
 * NULL when it is not set. */
struct source {
	const char	*(*lookup)(void *, const char *);
	void		*arg;
};

/* The first of the names (NULL-terminated) that "src" has, or NULL. */
static const char *
env_first(const struct source *src, const char *const *names,
    const char **which)
{
	const char	*v;

	for (; *names != NULL; names++)
		if ((v = src->lookup(src->arg, *names)) != NULL) {
			*which = *names;
			return v;
		}
	return NULL;
}

enum kind { K_STR, K_URL, K_INT, K_DUR, K_REAL, K_LEVEL, K_TIERS, K_RETRIES,
    K_ONOFF, K_NETS, K_SCHED, K_BAND, K_COUNT };

struct var {
	const char	*names[3];	/* first is canonical; aliases follow */
	enum kind	 kind;
	size_t		 off;
	size_t		 size;		/* K_STR, K_URL: array size */
	long long	 min, max;	/* K_INT, K_COUNT (int), K_DUR (ms) */
};

#define STR(f)	offsetof(struct ce_config, f), sizeof(((struct ce_config *)0)->f)
#define NUM(f)	offsetof(struct ce_config, f), 0

static const struct var vars[] = {
	{ { "DB_URL", "DATABASE_URL" }, K_STR, STR(db_url), 0, 0 },
	{ { "C2S_BASE_URL" }, K_URL, STR(c2s_base_url), 0, 0 },
	{ { "C2S_TOKEN" }, K_STR, STR(c2s_token), 0, 0 },
	{ { "DIRETRIX_BASE_URL" }, K_URL, STR(diretrix_base_url), 0, 0 },
	{ { "DIRETRIX_USER" }, K_STR, STR(diretrix_user), 0, 0 },
	{ { "DIRETRIX_PASS" }, K_STR, STR(diretrix_pass), 0, 0 },
	{ { "WORK_API_URL" }, K_URL, STR(work_api_url), 0, 0 },
	{ { "WORK_API", "WORK_API_TOKEN" }, K_STR, STR(work_api_token), 0, 0 },
	{ { "WORK_API_MIN_INTERVAL" }, K_DUR, NUM(work_api_min_interval_ms),
	    0, 3600 * MS_PER_S },
	{ { "API_KEYS" }, K_STR, STR(api_keys), 0, 0 },
	{ { "ADMIN_API_KEYS" }, K_STR, STR(admin_api_keys), 0, 0 },
	{ { "WEBHOOK_SECRET" }, K_STR, STR(webhook_secret), 0, 0 },
	{ { "PUBLIC_URL" }, K_URL, STR(public_url), 0, 0 },
	{ { "GOOGLE_ADS_WEBHOOK_KEY" }, K_STR, STR(google_ads_key), 0, 0 },
	{ { "C2S_DEFAULT_SELLER_ID" }, K_STR, STR(c2s_default_seller_id),
	    0, 0 },
	{ { "C2S_DESCRIPTION_MAX_LENGTH" }, K_INT, NUM(c2s_description_max),
	    100, 1000000 },
	{ { "INCOME_MULTIPLIER" }, K_REAL, NUM(income_multiplier), 0, 0 },
	{ { "HIGH_VALUE_INCOME" }, K_INT, NUM(high_value_income), 0,
	    1000000000 },
	{ { "HIGH_VALUE_POWER" }, K_BAND, NUM(high_value_power), 0, 0 },
	{ { "DEDUP_FILE" }, K_STR, STR(dedup_file), 0, 0 },
	{ { "DEDUP_CAPACITY" }, K_INT, NUM(dedup_capacity), 8, 10000000 },
	{ { "DEDUP_TTL" }, K_DUR, NUM(dedup_ttl_ms), MS_PER_S, 7 * MS_PER_DAY },
	{ { "DOSSIER_MAX_AGE" }, K_DUR, NUM(dossier_max_age_ms),
	    0, 3650 * MS_PER_DAY },
	{ { "DOSSIER_MISS_MAX_AGE" }, K_DUR, NUM(dossier_miss_max_age_ms),
	    0, 365 * MS_PER_DAY },
	{ { "UPSTREAM_CONNECT_TIMEOUT" }, K_DUR,
	    NUM(upstream_connect_timeout_ms), 10, 120 * MS_PER_S },
	{ { "UPSTREAM_TIMEOUT" }, K_DUR, NUM(upstream_timeout_ms),
	    10, 600 * MS_PER_S },
	{ { "REQUEST_DEADLINE" }, K_DUR, NUM(request_deadline_ms),
	    10, 600 * MS_PER_S },
	{ { "MAX_REQUESTS" }, K_INT, NUM(max_requests), 1, 1000000000 },
	{ { "MAX_BODY_SIZE" }, K_INT, NUM(max_body), 1024,
	    64 * 1024 * 1024 },
	{ { "LOG_LEVEL" }, K_LEVEL, NUM(log_level), 0, 0 },
	{ { "CPF_TIERS" }, K_TIERS, NUM(cpf_tiers), 0, 0 },
	{ { "WORK_PHONE_LOOKUP" }, K_INT, NUM(work_phone_lookup), 0, 1 },
	{ { "CACHE_MAX_BYTES" }, K_INT, NUM(cache_max_bytes), 0,
	    256 * 1024 * 1024 },
	{ { "WEBHOOK_MAX_EVENTS" }, K_INT, NUM(webhook_max_events), 1, 10000 },
	{ { "RETRY_SCHEDULE" }, K_RETRIES, NUM(retry_schedule), 0, 0 },
	{ { "RETRY_UNIT" }, K_DUR, NUM(retry_unit_ms), 10, 7 * MS_PER_DAY },
	{ { "JOB_TIMEOUT" }, K_DUR, NUM(job_timeout_ms), 100, MS_PER_DAY },
	{ { "JOB_MAX_TRIES" }, K_INT, NUM(job_max_tries), 1, 1000 },
	{ { "WORKER_POLL_INTERVAL" }, K_DUR, NUM(worker_poll_ms), 10,
	    3600 * MS_PER_S },
	{ { "RUN_POLLER" }, K_INT, NUM(run_poller), 0, 1 },
	{ { "POLL_INTERVAL" }, K_DUR, NUM(poll_interval_ms), POLL_MIN_MS,
	    MS_PER_DAY },
	{ { "POLL_SCHEDULE" }, K_SCHED, NUM(poll_schedule), 0, 0 },
	{ { "POLL_SCHEDULE_NOW" }, K_INT, NUM(poll_schedule_now_s), 0,
	    253402300799LL },	/* 9999-12-31T23:59:59Z */
	{ { "ENRICH_ON_MISS" }, K_INT, NUM(enrich_on_miss), 0, 1 },
	{ { "WORK_PROXY_TTL" }, K_DUR, NUM(work_proxy_ttl_ms), 0, MS_PER_DAY },
	{ { "BREAKER_THRESHOLD" }, K_INT, NUM(breaker_threshold), 1, 1000 },
	{ { "BREAKER_COOLDOWN" }, K_DUR, NUM(breaker_cooldown_ms), 10,
	    3600 * MS_PER_S },
	{ { "BREAKER_COOLDOWN_MAX" }, K_DUR, NUM(breaker_cooldown_max_ms), 10,
	    MS_PER_DAY },
	{ { "RATE_LIMIT" }, K_INT, NUM(rate_limit), 0, 1000000 },
	{ { "RATE_BURST" }, K_INT, NUM(rate_burst), 1, 1000000 },
	{ { "TRUSTED_PROXIES" }, K_NETS, STR(trusted_proxies), 0, 0 },
	{ { "METRICS_OPEN" }, K_INT, NUM(metrics_open), 0, 1 },
	{ { "GOOGLE_ADS_ACCEPT_TEST" }, K_INT, NUM(google_ads_accept_test),
	    0, 1 },
	{ { "API_AUTH" }, K_ONOFF, NUM(api_auth), 0, 0 },
	{ { "WEBHOOK_AUTH" }, K_ONOFF, NUM(webhook_auth), 0, 0 },
	{ { "RETENTION_DAYS" }, K_INT, NUM(retention_days), 1, 3650 },
	{ { "PRUNE_INTERVAL" }, K_DUR, NUM(prune_interval_ms), 100, MS_PER_DAY },
	{ { "WEBHOOK_RATE_LIMIT" }, K_INT, NUM(webhook_rate_limit), 0, 1000000 },
	{ { "WEBHOOK_RATE_BURST" }, K_INT, NUM(webhook_rate_burst), 1, 1000000 },
	{ { "SPOOL_DIR" }, K_STR, STR(spool_dir), 0, 0 },
	{ { "SPOOL_MAX_BYTES" }, K_INT, NUM(spool_max_bytes), 0,
	    1LL << 40 },
	{ { "ALERT_WEBHOOK_URL" }, K_URL, STR(alert_webhook_url), 0, 0 },
	{ { "ALERT_SMTP_URL" }, K_STR, STR(alert_smtp_url), 0, 0 },
	{ { "ALERT_EMAIL_FROM" }, K_STR, STR(alert_email_from), 0, 0 },
	{ { "ALERT_EMAIL_TO" }, K_STR, STR(alert_email_to), 0, 0 },
	{ { "ALERT_MIN_INTERVAL" }, K_DUR, NUM(alert_min_interval_ms), 10,
	    7 * MS_PER_DAY },
	{ { "ALERT_PROVIDER_DOWN_AFTER" }, K_DUR,
	    NUM(alert_provider_down_after_ms), 0, MS_PER_DAY },
	{ { "ALERT_RATE_MIN" }, K_INT, NUM(alert_rate_min), 0, 100 },
	{ { "ALERT_RATE_MIN_LEADS" }, K_INT, NUM(alert_rate_min_leads), 1,
	    1000000 },
	{ { "ALERT_WEBHOOKS_SILENT_AFTER" }, K_DUR,
	    NUM(alert_webhooks_silent_after_ms), 0, 7 * MS_PER_DAY },
	{ { "ALERT_BUSINESS_HOURS" }, K_STR, STR(alert_business_hours), 0, 0 },
	{ { "ALERT_CHECK_INTERVAL" }, K_DUR, NUM(alert_check_ms), 10,
	    3600 * MS_PER_S },
	{ { "ALERT_RETRY" }, K_DUR, NUM(alert_retry_ms), 10, 3600 * MS_PER_S },
	{ { "C2S_LEAD_URL" }, K_STR, STR(c2s_lead_url), 0, 0 },
	{ { "POOL_MIN" }, K_COUNT, NUM(pool_min), 1, CE_POOL_SLOTS },
	{ { "POOL_MAX" }, K_COUNT, NUM(pool_max), 1, CE_POOL_SLOTS },
	{ { "POOL_SPARE" }, K_COUNT, NUM(pool_spare), 0, CE_POOL_SLOTS },
	{ { "POOL_IDLE_TIMEOUT" }, K_DUR, NUM(pool_idle_timeout_ms), MS_PER_S,
	    3600 * MS_PER_S },
	{ { "POOL_SHORT_AFTER" }, K_DUR, NUM(pool_short_after_ms), MS_PER_S,
	    3600 * MS_PER_S },
	{ { "SLOWLOG_AFTER" }, K_DUR, NUM(slowlog_after_ms), 0,
	    3600 * MS_PER_S },
	{ { "HEALTH_SOCKET" }, K_STR, STR(health_socket), 0, 0 },
	{ { "CONFIG_FILE" }, K_STR, STR(config_file), 0, 0 },
};

static int
url_ok(const char *v)
{
	const char	*p;

	if (strncmp(v, "http://", 7) == 0)
		p = v + 7;
	else if (strncmp(v, "https://", 8) == 0)
		p = v + 8;
	else
		return 0;
	if (*p == '\0' || *p == '/')
		return 0;
	for (; *p != '\0'; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return 0;
	return 1;
}

/*
 * Is "v" a comma list of IPv4 or IPv6 addresses, each with an optional
 * "/prefix" (CIDR: at most 32 or 128), at least one?  TRUSTED_PROXIES:
 * lighttpd's mod_extforward takes the same list.  Returns 1 or 0.
 */
static int
nets_ok(const char *v)
{
	const char	*item, *slash;
	char		 a[INET6_ADDRSTRLEN + 8], num[8];
	unsigned char	 bin[sizeof(struct in6_addr)];
	size_t		 len, alen;
	long long	 bits;
	int		 rc, n = 0, v6;

	while ((rc = list_next(&v, &item, &len)) == 1) {
		if (len >= sizeof(a))
			return 0;
		memcpy(a, item, len);
		a[len] = '\0';
		slash = strchr(a, '/');
		alen = slash != NULL ? (size_t)(slash - a) : len;
		a[alen] = '\0';
		v6 = strchr(a, ':') != NULL;
		if (inet_pton(v6 ? AF_INET6 : AF_INET, a, bin) != 1)
			return 0;
		if (slash != NULL) {
			if (len - alen - 1 == 0 || len - alen - 1 >= sizeof(num))
				return 0;
			memcpy(num, item + alen + 1, len - alen - 1);
			num[len - alen - 1] = '\0';
			if (ce_strtonum(num, 0, v6 ? 128 : 32, &bits) == -1)
				return 0;
		}
		n++;
	}
	return rc == 0 && n > 0;
}

static int
real_parse(const char *v, double *out)
{
	char	*end;
	double	 d;

	if (*v == '\0' || isspace((unsigned char)*v))
		return -1;
	errno = 0;
	d = strtod(v, &end);
	if (errno != 0 || *end != '\0' || !isfinite(d) || d <= 0 || d > 100)
		return -1;
	*out = d;
	return 0;
}

/*
 * A string variable "v" (K_STR, K_URL or K_NETS) of value "val" into
 * "base".  Returns 0, or -1 with the reason in "why".
 */
static int
var_str(const struct var *v, const char *val, char *base, const char **why)
{
	size_t	 len;

	if (v->kind == K_URL && !url_ok(val)) {
		*why = "must be an http:// or https:// URL";
		return -1;
	}
	if (v->kind == K_NETS && val[0] != '\0' && !nets_ok(val)) {
		*why = "must be a comma list of IPv4 or IPv6 addresses "
		    "or CIDR ranges";
		return -1;
	}
	if (ce_strlcpy(base, val, v->size) >= v->size) {
		*why = "too long";
		return -1;
	}
	/* Strip a trailing slash from base URLs. */
	if (v->kind == K_URL) {
		len = strlen(base);
		while (len > 0 && base[len - 1] == '/')
			base[--len] = '\0';
	}
	return 0;
}

/*
 * An integer (K_INT, or K_COUNT into an int) or duration (K_DUR) variable
 * "v" of value "val" into "base", within its bounds.  Returns 0, or -1
 * with the reason in "why".
 */
static int
var_num(const struct var *v, const char *val, char *base, const char **why)
{
	long long	 n;

	if (v->kind == K_INT || v->kind == K_COUNT) {
		if (ce_strtonum(val, v->min, v->max, &n) == -1) {
			*why = "must be an integer in range";
			return -1;
		}
	} else if (ce_config_parse_duration(val, &n) == -1 ||
	    n < v->min || n > v->max) {
		*why = "must be a duration in range "
		    "(integer with unit ms, s, m, h or d)";
		return -1;
	}
	if (v->kind == K_COUNT)
		*(int *)(void *)base = (int)n;
	else
		*(long long *)(void *)base = n;
	return 0;
}

/*
 * Parse one variable into "cfg".  Returns 0, or -1 with the reason in
 * "why" (which never quotes the value).
 */
static int
var_parse(const struct var *v, const char *val, struct ce_config *cfg,
    const char **why)
{
	char	*base = (char *)cfg + v->off;
	int	 band;

	switch (v->kind) {
	case K_URL:
	case K_NETS:
	case K_STR:
		return var_str(v, val, base, why);
	case K_INT:
	case K_COUNT:
	case K_DUR:
		return var_num(v, val, base, why);
	case K_REAL:
		if (real_parse(val, (double *)(void *)base) == -1) {
			*why = "must be a number above 0 and at most 100";
			return -1;
		}
		return 0;
	case K_LEVEL:
		if (cx_log_level_parse(val, (enum ce_loglevel *)(void *)base) !=
		    CE_OK) {
			*why = "must be one of debug, info, warn, error";
			return -1;
		}
		return 0;
	case K_TIERS:
		if (tiers_parse(val, cfg) == -1) {
			*why = "must be a comma list of work_phone, "
			    "diretrix_phone, diretrix_email";
			return -1;
		}
		return 0;
	case K_ONOFF:
		if (strcmp(val, "on") != 0 && strcmp(val, "off") != 0) {
			*why = "must be on or off";
			return -1;
		}
		*(long long *)(void *)base = strcmp(val, "on") == 0;
		return 0;
	case K_SCHED:
		if (ce_config_parse_schedule(val,
		    (struct ce_schedule *)(void *)base) == -1) {
			*why = "must be a comma list of HH-HH:interval (Sao "
			    "Paulo hours from 00 to 24, not overlapping; an "
			    "interval from 100ms to 1d), ending with "
			    "*:interval unless they cover the day";
			return -1;
		}
		return 0;
	case K_BAND:
		if ((band = ce_hv_band_parse(val)) == -1) {
			*why = "must be one of BAIXO, MEDIO BAIXO, MEDIO, "
			    "MEDIO ALTO, ALTO, MUITO ALTO, or off";
			return -1;
		}
		*(long long *)(void *)base = band;
		return 0;
	case K_RETRIES:
		if (retries_parse(val, cfg) == -1) {
			*why = "must be \"none\" or a comma list of at most 16 "
			    "positive integers (in RETRY_UNIT)";
			return -1;
		}
		return 0;
	}
	*why = "unknown kind";
	return -1;
}

/*
 * Is "v" a well-formed API_KEYS: one or more keys separated by commas
 * (spaces around a key ignored), each of CE_API_KEY_MIN or more printable
 * ASCII characters other than space and comma?  Returns 1, or 0 with the
 * reason in "why" (which never quotes a key).
 */
static int
keys_ok(const char *v, const char **why)
{
	const char	*item;
	size_t		 len, i, n = 0;
	int		 rc;

	*why = "no key";
	if (v[strspn(v, " ")] == '\0') {
		*why = "required (comma-separated keys of at least 16 "
		    "characters), or API_AUTH=off to open the business routes";
		return 0;
	}
	while ((rc = list_next(&v, &item, &len)) == 1) {
		for (i = 0; i < len; i++)
			if (item[i] < '!' || item[i] > '~') {
				*why = "a key holds a character that is not "
				    "printable ASCII";
				return 0;
			}
		if (len < CE_API_KEY_MIN) {
			*why = "a key is shorter than 16 characters";
			return 0;
		}
		n++;
	}
	if (rc == -1) {
		*why = "an empty key (two commas, or a comma at an end) or "
		    "a space inside a key";
		return 0;
	}
	return n > 0;
}

/*
 * The "i"th warning (from 0) about what this configuration leaves open on
 * purpose, or NULL past the last: API_AUTH=off (no key asked, API_KEYS or
 * not) and WEBHOOK_AUTH=off (no secret asked, WEBHOOK_SECRET or not);
 * then, after ce_config_reload(), each setting it kept because it needs
 * a restart.  The text names the variable and never a value.
 */
const char *
ce_config_warning(const struct ce_config *cfg, size_t i)
{
	static const struct {
		unsigned	 bit;
		const char	*text;
	} kept[] = {
		{ CE_RESTART_HEALTH_SOCKET, "HEALTH_SOCKET: changed, needs a "
		    "restart: the running value is kept" },
		{ CE_RESTART_DEDUP_FILE, "DEDUP_FILE: changed, needs a "
		    "restart: the running value is kept" },
		{ CE_RESTART_DEDUP_CAPACITY, "DEDUP_CAPACITY: changed, needs a "
		    "restart: the running value is kept" },
	};
	const char	*w[2 + sizeof(kept) / sizeof(kept[0])];
	size_t		 n = 0, k;

	if (!cfg->api_auth)
		w[n++] = "API_AUTH=off: the business routes (leads, customers, "
		    "stats, the paid Work API proxy) answer anyone, without a "
		    "key";
	if (!cfg->webhook_auth)
		w[n++] = "WEBHOOK_AUTH=off: the C2S webhook takes events from "
		    "anyone, without a secret";
	for (k = 0; k < sizeof(kept) / sizeof(kept[0]); k++)
		if (cfg->restart_kept & kept[k].bit)
			w[n++] = kept[k].text;
	return i < n ? w[i] : NULL;
}

/*
 * "1-5 08-20": ISO weekdays (1 Monday .. 7 Sunday) and hours (0..24, the
 * end excluded) of the business hours ALERT_BUSINESS_HOURS names, São
 * Paulo time.  Returns 0 with the four bounds, or -1.
 */
int
ce_business_hours(const char *v, int *d0, int *d1, int *h0, int *h1)
{
	char	 tail;

	if (sscanf(v, "%d-%d %d-%d%c", d0, d1, h0, h1, &tail) != 4 ||
	    *d0 < 1 || *d0 > *d1 || *d1 > 7 || *h0 < 0 || *h0 >= *h1 ||
	    *h1 > 24)
		return -1;
	return 0;
}

/*
 * The alerts' settings together: an smtp:// or smtps:// URL with a
 * sender and recipients, the business hours, C2S_LEAD_URL with {id}.
 * Returns 1, or 0 with the line in "err" (never a value).
 */
static int
alert_ok(const struct ce_config *cfg, char *err, size_t errsz)
{
	const char	*u = cfg->alert_smtp_url;
	int		 a, b, c, d;

	if (u[0] != '\0' && strncmp(u, "smtp://", 7) != 0 &&
	    strncmp(u, "smtps://", 8) != 0) {
		snprintf(err, errsz, "config: ALERT_SMTP_URL: not an smtp:// "
		    "or smtps:// URL");
		return 0;
	}
	if (u[0] != '\0' && (cfg->alert_email_from[0] == '\0' ||
	    cfg->alert_email_to[0] == '\0')) {
		snprintf(err, errsz, "config: ALERT_SMTP_URL: needs "
		    "ALERT_EMAIL_FROM and ALERT_EMAIL_TO");
		return 0;
	}
	if (ce_business_hours(cfg->alert_business_hours, &a, &b, &c, &d)) {
		snprintf(err, errsz, "config: ALERT_BUSINESS_HOURS: not "
		    "\"D-D HH-HH\" (ISO weekdays, hours 0 to 24)");
		return 0;
	}
	if (cfg->c2s_lead_url[0] != '\0' &&
	    strstr(cfg->c2s_lead_url, "{id}") == NULL) {
		snprintf(err, errsz, "config: C2S_LEAD_URL: has no {id}");
		return 0;
	}
	return 1;
}

/*
 * The pool's settings together, and HEALTH_SOCKET, a socket's path (its
 * default beside DEDUP_FILE).  Returns 1, or 0 with the line in "err"
 * (never a value).
 */
static int
pool_ok(struct ce_config *cfg, char *err, size_t errsz)
{
	if (cfg->pool_min > cfg->pool_max) {
		snprintf(err, errsz, "config: POOL_MIN: must not exceed "
		    "POOL_MAX");
		return 0;
	}
	if (cfg->pool_spare > cfg->pool_max) {
		snprintf(err, errsz, "config: POOL_SPARE: must not exceed "
		    "POOL_MAX");
		return 0;
	}
	if ((cfg->health_socket[0] == '\0' && beside_dedup_file(cfg,
	    "health.sock", cfg->health_socket,
	    sizeof(cfg->health_socket)) == -1) ||
	    strlen(cfg->health_socket) > CE_HEALTH_SOCKET_MAX) {
		snprintf(err, errsz, "config: HEALTH_SOCKET: too long (a "
		    "socket's path, at most %d bytes; default: health.sock "
		    "beside DEDUP_FILE)", CE_HEALTH_SOCKET_MAX);
		return 0;
	}
	return 1;
}

/*
 * Fill "cfg" from what "lookup" with "arg" gives for each variable's name
 * (NULL: not set), as ce_config_load() does from the environment and
 * CONFIG_FILE: every variable is read through it.  Returns 0, or -1 with
 * one line naming the offending variable in "err" (never its value);
 * "cfg" holds defaults for anything not yet parsed on failure.
 */
int
ce_config_load_from(struct ce_config *cfg,
    const char *(*lookup)(void *, const char *), void *arg, char *err,
    size_t errsz)
{
	struct source	 src = { lookup, arg };
	size_t		 i;
	const char	*val, *name, *why;

	ce_config_defaults(cfg);
	/* Unless set, beside DEDUP_FILE, whatever it is. */
	cfg->spool_dir[0] = '\0';
	cfg->health_socket[0] = '\0';
	if (errsz > 0)
		err[0] = '\0';
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		name = vars[i].names[0];
		if ((val = env_first(&src, vars[i].names, &name)) == NULL)
			continue;
		if (var_parse(&vars[i], val, cfg, &why) == -1) {
			snprintf(err, errsz, "config: %s: %s", name, why);
			return -1;
		}
	}
	/* Closed by default: keys, unless the routes are opened on purpose;
	 * keys given are well-formed either way. */
	if ((cfg->api_auth || cfg->api_keys[0] != '\0') &&
	    !keys_ok(cfg->api_keys, &why)) {
		snprintf(err, errsz, "config: API_KEYS: %s", why);
		return -1;
	}
	/* Unset or empty: no admin key, every admin route refused. */
	if (cfg->admin_api_keys[0] != '\0' &&
	    !keys_ok(cfg->admin_api_keys, &why)) {
		snprintf(err, errsz, "config: ADMIN_API_KEYS: %s", why);
		return -1;
	}
	if (cfg->upstream_connect_timeout_ms > cfg->upstream_timeout_ms) {
		snprintf(err, errsz, "config: UPSTREAM_CONNECT_TIMEOUT: "
		    "must not exceed UPSTREAM_TIMEOUT");
		return -1;
	}
	/* A job is taken from a worker presumed dead only after the longest
	 * run it could still be in. */
	if (cfg->job_timeout_ms <= cfg->request_deadline_ms) {
		snprintf(err, errsz, "config: JOB_TIMEOUT: must exceed "
		    "REQUEST_DEADLINE");
		return -1;
	}
	if (cfg->breaker_cooldown_max_ms < cfg->breaker_cooldown_ms) {
		snprintf(err, errsz, "config: BREAKER_COOLDOWN_MAX: must not "
		    "be below BREAKER_COOLDOWN");
		return -1;
	}
	/* POLL_INTERVAL, as before POLL_SCHEDULE: one interval all day. */
	if (cfg->poll_interval_ms != 0) {
		if (lookup(arg, "POLL_SCHEDULE") != NULL) {
			snprintf(err, errsz, "config: POLL_INTERVAL: set "
			    "either POLL_INTERVAL (one interval all day) or "
			    "POLL_SCHEDULE, not both");
			return -1;
		}
		ce_schedule_fixed(&cfg->poll_schedule, cfg->poll_interval_ms);
	}
	if (!alert_ok(cfg, err, errsz) || !pool_ok(cfg, err, errsz))
		return -1;
	if (cfg->spool_dir[0] == '\0' && beside_dedup_file(cfg, "spool",
	    cfg->spool_dir, sizeof(cfg->spool_dir)) == -1) {
		snprintf(err, errsz, "config: SPOOL_DIR: too long (default: "
		    "spool/ beside DEDUP_FILE)");
		return -1;
	}
	return 0;
}

/*
 * The layers ce_config_load() reads: the environment; the file CONFIG_FILE
 * names over it (a variable the file sets, by any of its names, wins;
 * CONFIG_FILE itself comes from the environment only); on a reload, the
 * running values of the settings that need a restart over both.
 */
struct layers {
	const struct ce_envtab	*file;		/* NULL: no CONFIG_FILE */
	const struct ce_config	*pin;		/* NULL: not a reload */
	char			 capacity[24];	/* pin's DEDUP_CAPACITY */
};

/* Does "t" set another name of the variable "name" is a name of (an
 * alias, or the canonical name of an alias)? */
static int
file_sets_other_name(const struct ce_envtab *t, const char *name)
{
	size_t	 i, k, j;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		for (k = 0; k < 3 && vars[i].names[k] != NULL; k++) {
			if (strcmp(vars[i].names[k], name) != 0)
				continue;
			for (j = 0; j < 3 && vars[i].names[j] != NULL; j++)
				if (j != k &&
				    ce_envtab_get(t, vars[i].names[j]) != NULL)
					return 1;
			return 0;
		}
	return 0;
}

static const char *
layers_lookup(void *arg, const char *name)
{
	const struct layers	*l = arg;
	const char		*v;

	if (l->pin != NULL) {
		if (strcmp(name, "HEALTH_SOCKET") == 0)
			return l->pin->health_socket;
		if (strcmp(name, "DEDUP_FILE") == 0)
			return l->pin->dedup_file;
		if (strcmp(name, "DEDUP_CAPACITY") == 0)
			return l->capacity;
	}
	if (l->file != NULL && strcmp(name, "CONFIG_FILE") != 0) {
		if ((v = ce_envtab_get(l->file, name)) != NULL)
			return v;
		/* The file's alias wins over the environment's name. */
		if (file_sets_other_name(l->file, name))
			return NULL;
	}
	return getenv(name);
}

/*
 * The file the environment's CONFIG_FILE names, if it is set and not
 * empty, into "*tp" (allocated: the caller frees it; NULL when unset).
 * Returns 0, or -1 with one line naming CONFIG_FILE in "err": a line of
 * the file by its number, never its text.
 */
static int
file_read(struct ce_envtab **tp, char *err, size_t errsz)
{
	const char	*path = getenv("CONFIG_FILE");
	int		 line;

	*tp = NULL;
	if (path == NULL || path[0] == '\0')
		return 0;
	if ((*tp = malloc(sizeof(**tp))) == NULL) {
		snprintf(err, errsz, "config: CONFIG_FILE: out of memory");
		return -1;
	}
	switch (ce_envtab_read(*tp, path, &line)) {
	case CE_OK:
		return 0;
	case CE_ESYSTEM:
		snprintf(err, errsz, "config: CONFIG_FILE: cannot read: %s",
		    strerror(errno));
		break;
	case CE_E2BIG:
		if (line == 0)
			snprintf(err, errsz, "config: CONFIG_FILE: larger than "
			    "%d bytes", CE_ENVFILE_MAX);
		else
			snprintf(err, errsz, "config: CONFIG_FILE: line %d: "
			    "more than %d assignments", line, CE_ENVTAB_MAX);
		break;
	default:
		snprintf(err, errsz, "config: CONFIG_FILE: line %d: not "
		    "NAME=value (a name of letters, digits and _; a value on "
		    "one line, its quotes closed, at most %d bytes)", line,
		    CE_ENVFILE_VAL_MAX);
		break;
	}
	free(*tp);
	*tp = NULL;
	return -1;
}

enum ce_err
ce_config_load(struct ce_config *cfg, char *err, size_t errsz)
{
	struct layers	 l = { NULL, NULL, "" };
	struct ce_envtab *t;
	int		 rc;

	ce_config_defaults(cfg);
	if (errsz > 0)
		err[0] = '\0';
	if (file_read(&t, err, errsz) == -1)
		return CE_ECONFIG;
	l.file = t;
	rc = ce_config_load_from(cfg, layers_lookup, &l, err, errsz);
	free(t);
	return rc == 0 ? CE_OK : CE_ECONFIG;
}

/*
 * Read again what ce_config_load() read (the environment, CONFIG_FILE
 * over it) into "out", validated, for a pool running on "cur" (the two
 * must not overlap).  The settings a reload cannot change keep cur's
 * values: HEALTH_SOCKET (bound once), DEDUP_FILE and DEDUP_CAPACITY (the
 * shared file's place and layout), and what follows from them (the
 * defaults beside DEDUP_FILE).  Each one the new configuration would
 * change sets its CE_RESTART_* bit in out->restart_kept, and
 * ce_config_warning() names it.  Returns 0; or -1 with one line naming
 * the offending variable in "err" (never its value), "out" unusable and
 * "cur" untouched.
 */
int
ce_config_reload(struct ce_config *out, const struct ce_config *cur,
    char *err, size_t errsz)
{
	struct layers	 l = { NULL, NULL, "" };
	struct ce_envtab *t;
	unsigned	 kept = 0;
	int		 rc = -1;

	ce_config_defaults(out);
	if (errsz > 0)
		err[0] = '\0';
	if (file_read(&t, err, errsz) == -1)
		return -1;
	l.file = t;
	/* As it is: valid, and what it would change. */
	if (ce_config_load_from(out, layers_lookup, &l, err, errsz) == -1)
		goto out;
	if (strcmp(out->health_socket, cur->health_socket) != 0)
		kept |= CE_RESTART_HEALTH_SOCKET;
	if (strcmp(out->dedup_file, cur->dedup_file) != 0)
		kept |= CE_RESTART_DEDUP_FILE;
	if (out->dedup_capacity != cur->dedup_capacity)
		kept |= CE_RESTART_DEDUP_CAPACITY;
	/* Then with the running values pinned. */
	l.pin = cur;
	(void)snprintf(l.capacity, sizeof(l.capacity), "%lld",
	    cur->dedup_capacity);
	if (ce_config_load_from(out, layers_lookup, &l, err, errsz) == -1)
		goto out;
	out->restart_kept = kept;
	rc = 0;
out:
	free(t);
	return rc;
}
