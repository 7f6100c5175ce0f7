/*
 * config_test.c -- the environment parsed into struct ce_config: defaults,
 * aliases, units, and a bad value named by its variable, never echoed;
 * the pool's settings; CONFIG_FILE (core/envfile) over the environment,
 * and a reload.  Each case runs in its own process and directory, so
 * setenv() and the files it writes do not leak between cases.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "core/config.h"
#include "core/envfile.h"
#include "core/highvalue.h"

#define KEY	"0123456789abcdef0123456789abcdef"	/* as stack.sh's */

static void
clear_env(void)
{
	static const char *const vars[] = {
		"DB_URL", "DATABASE_URL", "C2S_BASE_URL", "C2S_TOKEN",
		"DIRETRIX_BASE_URL", "DIRETRIX_USER", "DIRETRIX_PASS",
		"WORK_API_URL", "WORK_API", "WORK_API_TOKEN",
		"WORK_API_MIN_INTERVAL", "API_KEYS", "ADMIN_API_KEYS",
		"WEBHOOK_SECRET",
		"GOOGLE_ADS_WEBHOOK_KEY", "C2S_DEFAULT_SELLER_ID",
		"C2S_DESCRIPTION_MAX_LENGTH", "INCOME_MULTIPLIER", "DEDUP_FILE",
		"DEDUP_CAPACITY", "DEDUP_TTL", "DOSSIER_MAX_AGE",
		"DOSSIER_MISS_MAX_AGE",
		"UPSTREAM_CONNECT_TIMEOUT", "UPSTREAM_TIMEOUT",
		"REQUEST_DEADLINE", "MAX_REQUESTS", "MAX_BODY_SIZE", "LOG_LEVEL",
		"CPF_TIERS", "WORK_PHONE_LOOKUP", "WEBHOOK_MAX_EVENTS",
		"RETRY_SCHEDULE", "RETRY_UNIT", "JOB_TIMEOUT", "JOB_MAX_TRIES",
		"WORKER_POLL_INTERVAL", "RUN_POLLER", "POLL_INTERVAL",
		"POLL_SCHEDULE", "POLL_SCHEDULE_NOW",
		"ENRICH_ON_MISS", "WORK_PROXY_TTL", "TRUSTED_PROXIES",
		"RATE_LIMIT", "RATE_BURST", "WEBHOOK_RATE_LIMIT",
		"WEBHOOK_RATE_BURST", "SPOOL_DIR", "SPOOL_MAX_BYTES",
		"API_AUTH", "WEBHOOK_AUTH", "RETENTION_DAYS", "PRUNE_INTERVAL",
		"ALERT_WEBHOOK_URL", "ALERT_SMTP_URL", "ALERT_EMAIL_FROM",
		"ALERT_EMAIL_TO", "ALERT_MIN_INTERVAL",
		"ALERT_PROVIDER_DOWN_AFTER", "ALERT_RATE_MIN",
		"ALERT_RATE_MIN_LEADS", "ALERT_WEBHOOKS_SILENT_AFTER",
		"ALERT_BUSINESS_HOURS", "ALERT_CHECK_INTERVAL", "ALERT_RETRY",
		"C2S_LEAD_URL", "POOL_MIN", "POOL_MAX", "POOL_SPARE",
		"POOL_IDLE_TIMEOUT", "POOL_SHORT_AFTER", "SLOWLOG_AFTER",
		"HEALTH_SOCKET", "CONFIG_FILE",
	};
	size_t	 i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	/* Closed by default: every configuration needs a key. */
	setenv("API_KEYS", KEY, 1);
}

ATF_TC_WITHOUT_HEAD(config_load__defaults);
ATF_TC_BODY(config_load__defaults, tc)
{
	struct ce_config	 c;
	char			 err[256];

	clear_env();
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_STREQ(err, "");
	ATF_CHECK_STREQ(c.c2s_base_url, "https://api.contact2sale.com");
	ATF_CHECK_STREQ(c.work_api_url, "https://completa.workbuscas.com");
	ATF_CHECK_STREQ(c.dedup_file, "/run/c2s-enrich/dedup");
	ATF_CHECK_EQ(c.work_api_min_interval_ms, 2000);
	ATF_CHECK_EQ(c.c2s_description_max, 5000);
	ATF_CHECK(c.income_multiplier > 1.89 && c.income_multiplier < 1.91);
	ATF_CHECK_EQ(c.dedup_capacity, 10000);
	ATF_CHECK_EQ(c.dedup_ttl_ms, 300000);
	ATF_CHECK_EQ(c.dossier_max_age_ms, 30LL * 86400 * 1000);
	ATF_CHECK_EQ(c.dossier_miss_max_age_ms, 7LL * 86400 * 1000);
	ATF_CHECK_EQ(c.upstream_connect_timeout_ms, 3000);
	ATF_CHECK_EQ(c.upstream_timeout_ms, 15000);
	ATF_CHECK_EQ(c.request_deadline_ms, 25000);
	ATF_CHECK_EQ(c.max_requests, 10000);
	ATF_CHECK_EQ(c.max_body, 1024 * 1024);
	ATF_CHECK_EQ(c.log_level, CE_LOG_INFO);
	ATF_CHECK_STREQ(c.db_url, "");
	ATF_CHECK_STREQ(c.api_keys, KEY);
	ATF_CHECK_EQ(c.api_auth, 1);
	ATF_CHECK_EQ(c.webhook_auth, 1);
	ATF_CHECK_EQ(c.retention_days, 90);
	ATF_CHECK_EQ(c.prune_interval_ms, 3600LL * 1000);
	ATF_CHECK(ce_config_warning(&c, 0) == NULL);
	ATF_CHECK_STREQ(c.spool_dir, "/run/c2s-enrich/spool");
	ATF_CHECK_EQ(c.spool_max_bytes, 64LL * 1024 * 1024);
}

ATF_TC_WITHOUT_HEAD(config_load__spool);
ATF_TC_BODY(config_load__spool, tc)
{
	struct ce_config	 c;
	char			 err[256];

	/* Unset: beside DEDUP_FILE, whatever directory that is. */
	clear_env();
	setenv("DEDUP_FILE", "/tmp/stack.x/dedup", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_STREQ(c.spool_dir, "/tmp/stack.x/spool");
	setenv("DEDUP_FILE", "dedup", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_STREQ(c.spool_dir, "spool");
	/* Set: as given. */
	setenv("SPOOL_DIR", "/var/lib/c2s-enrich/spool", 1);
	setenv("SPOOL_MAX_BYTES", "0", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_STREQ(c.spool_dir, "/var/lib/c2s-enrich/spool");
	ATF_CHECK_EQ(c.spool_max_bytes, 0);
	setenv("SPOOL_MAX_BYTES", "-1", 1);
	ATF_CHECK_EQ(ce_config_load(&c, err, sizeof(err)), CE_ECONFIG);
	ATF_CHECK_MATCH("^config: SPOOL_MAX_BYTES: ", err);
}

ATF_TC_WITHOUT_HEAD(config_load__alerts);
ATF_TC_BODY(config_load__alerts, tc)
{
	struct ce_config	 c;
	char			 err[256];
	int			 d0, d1, h0, h1;

	/* Defaults: no channel, Mon-Fri 08-20. */
	clear_env();
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_STREQ(c.alert_webhook_url, "");
	ATF_CHECK_STREQ(c.alert_smtp_url, "");
	ATF_CHECK_STREQ(c.c2s_lead_url, "");
	ATF_CHECK_EQ(c.alert_min_interval_ms, 15 * 60 * 1000);
	ATF_CHECK_EQ(c.alert_provider_down_after_ms, 10 * 60 * 1000);
	ATF_CHECK_EQ(c.alert_rate_min, 20);
	ATF_CHECK_EQ(c.alert_rate_min_leads, 10);
	ATF_CHECK_EQ(c.alert_webhooks_silent_after_ms, 2 * 3600 * 1000);
	ATF_CHECK_EQ(c.alert_check_ms, 30000);
	ATF_CHECK_EQ(c.alert_retry_ms, 30000);
	ATF_REQUIRE_EQ(ce_business_hours(c.alert_business_hours, &d0, &d1,
	    &h0, &h1), 0);
	ATF_CHECK(d0 == 1 && d1 == 5 && h0 == 8 && h1 == 20);
	/* Set. */
	setenv("ALERT_WEBHOOK_URL", "https://hooks.example/T0/B0/secret", 1);
	setenv("ALERT_SMTP_URL", "smtp://127.0.0.1:2525", 1);
	setenv("ALERT_EMAIL_FROM", "alertas@imob.example", 1);
	setenv("ALERT_EMAIL_TO", "a@imob.example, b@imob.example", 1);
	setenv("ALERT_MIN_INTERVAL", "1h", 1);
	setenv("ALERT_PROVIDER_DOWN_AFTER", "500ms", 1);
	setenv("ALERT_WEBHOOKS_SILENT_AFTER", "0", 1);
	setenv("ALERT_BUSINESS_HOURS", "1-7 00-24", 1);
	setenv("C2S_LEAD_URL", "https://app.contact2sale.com/leads/{id}", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_STREQ(c.alert_smtp_url, "smtp://127.0.0.1:2525");
	ATF_CHECK_EQ(c.alert_min_interval_ms, 3600 * 1000);
	ATF_CHECK_EQ(c.alert_provider_down_after_ms, 500);
	ATF_CHECK_EQ(c.alert_webhooks_silent_after_ms, 0);
	/* Refused, named, never echoed (the webhook URL is a secret). */
	setenv("ALERT_WEBHOOK_URL", "hooks.example/secret", 1);
	ATF_CHECK_EQ(ce_config_load(&c, err, sizeof(err)), CE_ECONFIG);
	ATF_CHECK_MATCH("^config: ALERT_WEBHOOK_URL: ", err);
	ATF_CHECK(strstr(err, "secret") == NULL);
	setenv("ALERT_WEBHOOK_URL", "https://hooks.example/T0/B0/secret", 1);
	setenv("ALERT_SMTP_URL", "http://127.0.0.1:2525", 1);
	ATF_CHECK_EQ(ce_config_load(&c, err, sizeof(err)), CE_ECONFIG);
	ATF_CHECK_MATCH("^config: ALERT_SMTP_URL: ", err);
	setenv("ALERT_SMTP_URL", "smtps://mail.example", 1);
	unsetenv("ALERT_EMAIL_TO");
	ATF_CHECK_EQ(ce_config_load(&c, err, sizeof(err)), CE_ECONFIG);
	ATF_CHECK_MATCH("^config: ALERT_SMTP_URL: needs", err);
	setenv("ALERT_EMAIL_TO", "a@imob.example", 1);
	setenv("ALERT_BUSINESS_HOURS", "5-1 08-20", 1);
	ATF_CHECK_EQ(ce_config_load(&c, err, sizeof(err)), CE_ECONFIG);
	ATF_CHECK_MATCH("^config: ALERT_BUSINESS_HOURS: ", err);
	setenv("ALERT_BUSINESS_HOURS", "1-5 08-25", 1);
	ATF_CHECK_EQ(ce_config_load(&c, err, sizeof(err)), CE_ECONFIG);
	setenv("ALERT_BUSINESS_HOURS", "1-5 08-20", 1);
	setenv("C2S_LEAD_URL", "https://app.contact2sale.com/leads/", 1);
	ATF_CHECK_EQ(ce_config_load(&c, err, sizeof(err)), CE_ECONFIG);
	ATF_CHECK_MATCH("^config: C2S_LEAD_URL: ", err);
	setenv("C2S_LEAD_URL", "https://app.contact2sale.com/leads/{id}", 1);
	setenv("ALERT_RATE_MIN", "101", 1);
	ATF_CHECK_EQ(ce_config_load(&c, err, sizeof(err)), CE_ECONFIG);
	ATF_CHECK_MATCH("^config: ALERT_RATE_MIN: ", err);
}

ATF_TC_WITHOUT_HEAD(config_load__values_and_aliases);
ATF_TC_BODY(config_load__values_and_aliases, tc)
{
	struct ce_config	 c;
	char			 err[256];

	clear_env();
	setenv("DATABASE_URL", "postgres://u@h/db", 1);
	setenv("WORK_API_TOKEN", "tok", 1);
	setenv("C2S_BASE_URL", "http://127.0.0.1:8091/c2s/", 1);
	setenv("DEDUP_TTL", "5m", 1);
	setenv("DOSSIER_MAX_AGE", "7d", 1);
	setenv("DOSSIER_MISS_MAX_AGE", "0", 1);
	setenv("UPSTREAM_TIMEOUT", "1500ms", 1);
	setenv("UPSTREAM_CONNECT_TIMEOUT", "500ms", 1);
	setenv("MAX_REQUESTS", "500", 1);
	setenv("INCOME_MULTIPLIER", "2.5", 1);
	setenv("LOG_LEVEL", "warning", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_STREQ(c.db_url, "postgres://u@h/db");
	ATF_CHECK_STREQ(c.work_api_token, "tok");
	ATF_CHECK_STREQ(c.c2s_base_url, "http://127.0.0.1:8091/c2s");
	ATF_CHECK_EQ(c.dedup_ttl_ms, 300000);
	ATF_CHECK_EQ(c.dossier_max_age_ms, 7LL * 86400 * 1000);
	ATF_CHECK_EQ(c.dossier_miss_max_age_ms, 0);
	ATF_CHECK_EQ(c.upstream_timeout_ms, 1500);
	ATF_CHECK_EQ(c.max_requests, 500);
	ATF_CHECK(c.income_multiplier > 2.49 && c.income_multiplier < 2.51);
	ATF_CHECK_EQ(c.log_level, CE_LOG_WARN);
	ATF_CHECK_EQ(c.ncpf_tiers, 4);
	ATF_CHECK_EQ(c.cpf_tiers[0], CE_TIER_STORED);
	ATF_CHECK_EQ(c.cpf_tiers[1], CE_TIER_WORK_PHONE);
	ATF_CHECK_EQ(c.work_phone_lookup, 0);
	ATF_CHECK_EQ(c.enrich_on_miss, 0);
	ATF_CHECK_EQ(c.work_proxy_ttl_ms, 3600LL * 1000);

	setenv("ENRICH_ON_MISS", "1", 1);
	setenv("WORK_PROXY_TTL", "10m", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.enrich_on_miss, 1);
	ATF_CHECK_EQ(c.work_proxy_ttl_ms, 600LL * 1000);

	setenv("CPF_TIERS", "diretrix_email, diretrix_phone", 1);
	setenv("WORK_PHONE_LOOKUP", "1", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.ncpf_tiers, 2);
	ATF_CHECK_EQ(c.cpf_tiers[0], CE_TIER_DX_EMAIL);
	ATF_CHECK_EQ(c.cpf_tiers[1], CE_TIER_DX_PHONE);
	ATF_CHECK_EQ(c.work_phone_lookup, 1);
	ATF_CHECK_STREQ(ce_tier_name(CE_TIER_DX_EMAIL), "diretrix_email");
	ATF_CHECK_STREQ(ce_tier_name(CE_TIER_STORED), "stored");

	/* The free tier by name, anywhere in the list, at most once. */
	setenv("CPF_TIERS", "diretrix_phone,stored", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.ncpf_tiers, 2);
	ATF_CHECK_EQ(c.cpf_tiers[0], CE_TIER_DX_PHONE);
	ATF_CHECK_EQ(c.cpf_tiers[1], CE_TIER_STORED);
	setenv("CPF_TIERS", "stored,diretrix_phone,stored", 1);
	ATF_CHECK(ce_config_load(&c, err, sizeof(err)) != CE_OK);
	setenv("CPF_TIERS", "stored,work_phone,diretrix_phone,diretrix_email",
	    1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.ncpf_tiers, 4);
	setenv("CPF_TIERS", "diretrix_email, diretrix_phone", 1);

	/* The canonical name wins over its alias. */
	setenv("DB_URL", "host=/tmp", 1);
	setenv("WORK_API", "canon", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_STREQ(c.db_url, "host=/tmp");
	ATF_CHECK_STREQ(c.work_api_token, "canon");
}

ATF_TC_WITHOUT_HEAD(config_load__bad_value_names_variable);
ATF_TC_BODY(config_load__bad_value_names_variable, tc)
{
	static const struct {
		const char	*name;
		const char	*value;
	} tab[] = {
		{ "MAX_REQUESTS", "0" },
		{ "MAX_REQUESTS", "ten" },
		{ "MAX_REQUESTS", "" },
		{ "DEDUP_CAPACITY", "-5" },
		{ "DEDUP_TTL", "5 minutes" },
		{ "DEDUP_TTL", "0" },
		{ "UPSTREAM_TIMEOUT", "1y" },
		{ "REQUEST_DEADLINE", "99999999999999999999" },
		{ "C2S_BASE_URL", "ftp://example.com" },
		{ "WORK_API_URL", "https://" },
		{ "DIRETRIX_BASE_URL", "http://a b" },
		{ "INCOME_MULTIPLIER", "abc" },
		{ "INCOME_MULTIPLIER", "-1" },
		{ "INCOME_MULTIPLIER", "nan" },
		{ "LOG_LEVEL", "loud" },
		{ "MAX_BODY_SIZE", "10" },
		{ "C2S_DESCRIPTION_MAX_LENGTH", "5000x" },
		{ "CPF_TIERS", "" },
		{ "CPF_TIERS", "diretrix_phone,diretrix_phone" },
		{ "CPF_TIERS", "diretrix_phone,,diretrix_email" },
		{ "CPF_TIERS", "serasa" },
		{ "WORK_PHONE_LOOKUP", "2" },
		{ "RETRY_SCHEDULE", "" },
		{ "RETRY_SCHEDULE", "1,,2" },
		{ "RETRY_SCHEDULE", "1,0" },
		{ "RETRY_SCHEDULE", "1,2,x" },
		{ "RETRY_SCHEDULE", "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1" },
		{ "RETRY_UNIT", "1ms" },
		{ "JOB_TIMEOUT", "20s" },	/* not above REQUEST_DEADLINE */
		{ "WEBHOOK_MAX_EVENTS", "0" },
		{ "RUN_POLLER", "yes" },
		{ "POLL_INTERVAL", "10" "ms" },
		{ "POLL_SCHEDULE", "08-20:5m" },	/* the night not covered */
		{ "POLL_SCHEDULE", "08-20:5m,*:60m,x" },
		{ "POLL_SCHEDULE", "" },
		{ "POLL_SCHEDULE_NOW", "-1" },
		{ "POLL_SCHEDULE_NOW", "now" },
		{ "ENRICH_ON_MISS", "true" },
		{ "WORK_PROXY_TTL", "2d" },
	};
	struct ce_config	 c;
	char			 err[256];
	size_t			 i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		clear_env();
		setenv(tab[i].name, tab[i].value, 1);
		ATF_CHECK_EQ_MSG(ce_config_load(&c, err, sizeof(err)),
		    CE_ECONFIG, "%s accepted", tab[i].name);
		ATF_CHECK_MSG(strstr(err, tab[i].name) != NULL,
		    "error for %s does not name it: %s", tab[i].name, err);
		ATF_CHECK_MSG(strchr(err, '\n') == NULL, "not one line");
	}
}

ATF_TC_WITHOUT_HEAD(config_load__secret_never_echoed);
ATF_TC_BODY(config_load__secret_never_echoed, tc)
{
	struct ce_config	 c;
	char			 err[256], big[CE_SECRET_MAX + 10];

	clear_env();
	memset(big, 'S', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "hunter2", 7);
	setenv("DIRETRIX_PASS", big, 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_ECONFIG);
	ATF_CHECK(strstr(err, "DIRETRIX_PASS") != NULL);
	ATF_CHECK(strstr(err, "hunter2") == NULL);

	clear_env();
	setenv("C2S_BASE_URL", "hunter2://x", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_ECONFIG);
	ATF_CHECK(strstr(err, "hunter2") == NULL);
}

ATF_TC_WITHOUT_HEAD(config_load__timeouts_consistent);
ATF_TC_BODY(config_load__timeouts_consistent, tc)
{
	struct ce_config	 c;
	char			 err[256];

	clear_env();
	setenv("UPSTREAM_CONNECT_TIMEOUT", "20s", 1);
	setenv("UPSTREAM_TIMEOUT", "10s", 1);
	ATF_CHECK_EQ(ce_config_load(&c, err, sizeof(err)), CE_ECONFIG);
	ATF_CHECK(strstr(err, "UPSTREAM_CONNECT_TIMEOUT") != NULL);
}

ATF_TC_WITHOUT_HEAD(config_load__retries);
ATF_TC_BODY(config_load__retries, tc)
{
	struct ce_config	 c;
	char			 err[256];

	clear_env();
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.nretry, 5);
	ATF_CHECK_EQ(c.retry_schedule[4], 16);
	ATF_CHECK_EQ(c.retry_unit_ms, 3600LL * 1000);
	ATF_CHECK_EQ(c.job_timeout_ms, 300LL * 1000);
	ATF_CHECK_EQ(c.run_poller, 1);	/* on by default ([2.6]) */
	setenv("RETRY_SCHEDULE", " 3, 1 ,7", 1);
	setenv("RETRY_UNIT", "250ms", 1);
	setenv("REQUEST_DEADLINE", "2s", 1);
	setenv("JOB_TIMEOUT", "3s", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.nretry, 3);
	ATF_CHECK_EQ(c.retry_schedule[0], 3);
	ATF_CHECK_EQ(c.retry_schedule[1], 1);
	ATF_CHECK_EQ(c.retry_schedule[2], 7);
	ATF_CHECK_EQ(c.retry_unit_ms, 250);
	setenv("RETRY_SCHEDULE", "none", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.nretry, 0);
}

ATF_TC_WITHOUT_HEAD(config_duration__units);
ATF_TC_BODY(config_duration__units, tc)
{
	static const struct {
		const char	*in;
		long long	 ms;
	} ok[] = {
		{ "0", 0 }, { "2", 2000 }, { "2s", 2000 }, { "250ms", 250 },
		{ "3m", 180000 }, { "1h", 3600000 }, { "2d", 172800000 },
	};
	static const char *const bad[] = {
		"", "s", "-1", "1.5s", "1 s", "1sec", "ms", "1S",
	};
	long long	 v;
	size_t		 i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ATF_CHECK_EQ_MSG(ce_config_parse_duration(ok[i].in, &v), 0,
		    "%s", ok[i].in);
		ATF_CHECK_EQ_MSG(v, ok[i].ms, "%s", ok[i].in);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ATF_CHECK_EQ_MSG(ce_config_parse_duration(bad[i], &v), -1,
		    "'%s' accepted", bad[i]);
}

ATF_TC_WITHOUT_HEAD(config_load__google_ads_accept_test);
ATF_TC_BODY(config_load__google_ads_accept_test, tc)
{
	static const char *const bad[] = { "2", "-1", "yes", "true", "" };
	struct ce_config	 c;
	char			 err[256];
	size_t			 i;

	clear_env();
	unsetenv("GOOGLE_ADS_ACCEPT_TEST");
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.google_ads_accept_test, 0);
	setenv("GOOGLE_ADS_ACCEPT_TEST", "1", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.google_ads_accept_test, 1);
	setenv("GOOGLE_ADS_ACCEPT_TEST", "0", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.google_ads_accept_test, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("GOOGLE_ADS_ACCEPT_TEST", bad[i], 1);
		ATF_CHECK_EQ_MSG(ce_config_load(&c, err, sizeof(err)),
		    CE_ECONFIG, "'%s' accepted", bad[i]);
		ATF_CHECK_MSG(strstr(err, "GOOGLE_ADS_ACCEPT_TEST") != NULL,
		    "error for '%s' does not name it: %s", bad[i], err);
	}
}

/*
 * Closed by default: API_KEYS unset, empty or malformed stops the start
 * with an error naming API_KEYS and never quoting a key.
 */
ATF_TC_WITHOUT_HEAD(config_load__api_keys_required);
ATF_TC_BODY(config_load__api_keys_required, tc)
{
	static const char *const bad[] = {
		"", " ", ",", "a,,b", KEY ",", "," KEY, KEY ",," KEY,
		KEY ",   ," KEY, "shortkey-123456", KEY ",hunter2hunter2",
		"hunter2hunter2\x01xyz", "hunter2hunter2\txyz",
		"hunter2hunter2 xyz", "hunter2hunter2\xc3\xa9xyz",
	};
	static const char *const good[] = {
		KEY, "0123456789abcdef", " " KEY " ", KEY "," KEY "x",
		KEY " , k-two-k-two-k-two", "!#$%&'()*+-./:;<=>?@[]^_`{|}~",
	};
	struct ce_config	 c;
	char			 err[256];
	size_t			 i;

	clear_env();
	unsetenv("API_KEYS");
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_ECONFIG);
	ATF_CHECK_MATCH("^config: API_KEYS: required", err);
	ATF_CHECK(strstr(err, "API_AUTH=off") != NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("API_KEYS", bad[i], 1);
		ATF_CHECK_EQ_MSG(ce_config_load(&c, err, sizeof(err)),
		    CE_ECONFIG, "'%s' accepted", bad[i]);
		ATF_CHECK_MSG(strncmp(err, "config: API_KEYS: ", 18) == 0,
		    "error for '%s' does not name API_KEYS: %s", bad[i], err);
		ATF_CHECK_MSG(strstr(err, "hunter2") == NULL &&
		    strstr(err, "0123") == NULL && strstr(err, "shortkey") == NULL,
		    "error for '%s' quotes it: %s", bad[i], err);
		ATF_CHECK_MSG(strchr(err, '\n') == NULL, "not one line: %s",
		    err);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		setenv("API_KEYS", good[i], 1);
		ATF_CHECK_EQ_MSG(ce_config_load(&c, err, sizeof(err)), CE_OK,
		    "'%s' refused: %s", good[i], err);
	}
}

/*
 * ADMIN_API_KEYS: unset or empty is no admin key (the admin routes
 * closed); set, it follows API_KEYS' rules, its own name in the error,
 * never a key quoted.
 */
ATF_TC_WITHOUT_HEAD(config_load__admin_api_keys);
ATF_TC_BODY(config_load__admin_api_keys, tc)
{
	static const char *const bad[] = {
		" ", ",", "a,,b", KEY ",", "," KEY, "shortkey-123456",
		"hunter2hunter2 xyz",
	};
	struct ce_config	 c;
	char			 err[256];
	size_t			 i;

	clear_env();
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_STREQ(c.admin_api_keys, "");
	setenv("ADMIN_API_KEYS", "", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_STREQ(c.admin_api_keys, "");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("ADMIN_API_KEYS", bad[i], 1);
		ATF_CHECK_EQ_MSG(ce_config_load(&c, err, sizeof(err)),
		    CE_ECONFIG, "'%s' accepted", bad[i]);
		ATF_CHECK_MSG(strncmp(err, "config: ADMIN_API_KEYS: ", 24) == 0,
		    "error for '%s' does not name ADMIN_API_KEYS: %s", bad[i],
		    err);
		ATF_CHECK_MSG(strstr(err, "hunter2") == NULL &&
		    strstr(err, "shortkey") == NULL,
		    "error for '%s' quotes it: %s", bad[i], err);
	}
	setenv("ADMIN_API_KEYS", KEY "x," KEY "y", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_STREQ(c.admin_api_keys, KEY "x," KEY "y");
	unsetenv("ADMIN_API_KEYS");
}

/* API_AUTH=off opens the business routes on purpose, with a warning. */
ATF_TC_WITHOUT_HEAD(config_load__api_auth);
ATF_TC_BODY(config_load__api_auth, tc)
{
	static const char *const bad[] = { "", "maybe", "0", "1", "ON", "no" };
	struct ce_config	 c;
	char			 err[256];
	size_t			 i;

	clear_env();
	unsetenv("API_KEYS");
	setenv("API_AUTH", "off", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.api_auth, 0);
	ATF_REQUIRE(ce_config_warning(&c, 0) != NULL);
	ATF_CHECK_MATCH("^API_AUTH=off: ", ce_config_warning(&c, 0));
	ATF_CHECK(ce_config_warning(&c, 1) == NULL);
	/* Keys given anyway must still be well-formed. */
	setenv("API_KEYS", "a,,b", 1);
	ATF_CHECK_EQ(ce_config_load(&c, err, sizeof(err)), CE_ECONFIG);
	ATF_CHECK(strstr(err, "API_KEYS") != NULL);
	setenv("API_KEYS", KEY, 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.api_auth, 0);
	setenv("API_AUTH", "on", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.api_auth, 1);
	ATF_CHECK(ce_config_warning(&c, 0) == NULL);
	unsetenv("API_KEYS");
	ATF_CHECK_EQ(ce_config_load(&c, err, sizeof(err)), CE_ECONFIG);
	ATF_CHECK(strstr(err, "API_KEYS") != NULL);
	setenv("API_KEYS", KEY, 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("API_AUTH", bad[i], 1);
		ATF_CHECK_EQ_MSG(ce_config_load(&c, err, sizeof(err)),
		    CE_ECONFIG, "'%s' accepted", bad[i]);
		ATF_CHECK_MSG(strstr(err, "config: API_AUTH: must be on or off")
		    != NULL, "error for '%s': %s", bad[i], err);
	}
}

/* WEBHOOK_AUTH: on (the default) or off, which warns. */
ATF_TC_WITHOUT_HEAD(config_load__webhook_auth);
ATF_TC_BODY(config_load__webhook_auth, tc)
{
	static const char *const bad[] = { "", "maybe", "0", "true", "Off" };
	struct ce_config	 c;
	char			 err[256];
	size_t			 i;

	clear_env();
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.webhook_auth, 1);
	ATF_CHECK_STREQ(c.webhook_secret, "");
	setenv("WEBHOOK_AUTH", "off", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.webhook_auth, 0);
	ATF_REQUIRE(ce_config_warning(&c, 0) != NULL);
	ATF_CHECK_MATCH("^WEBHOOK_AUTH=off: ", ce_config_warning(&c, 0));
	ATF_CHECK(ce_config_warning(&c, 1) == NULL);
	setenv("API_AUTH", "off", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK(ce_config_warning(&c, 1) != NULL);
	ATF_CHECK(ce_config_warning(&c, 2) == NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("WEBHOOK_AUTH", bad[i], 1);
		ATF_CHECK_EQ_MSG(ce_config_load(&c, err, sizeof(err)),
		    CE_ECONFIG, "'%s' accepted", bad[i]);
		ATF_CHECK_MSG(strstr(err, "WEBHOOK_AUTH") != NULL,
		    "error for '%s': %s", bad[i], err);
	}
}

/* RETENTION_DAYS 1..3650 and PRUNE_INTERVAL, a duration. */
ATF_TC_WITHOUT_HEAD(config_load__retention);
ATF_TC_BODY(config_load__retention, tc)
{
	static const char *const bad[] = { "0", "3651", "-1", "7d", "" };
	struct ce_config	 c;
	char			 err[256];
	size_t			 i;

	clear_env();
	setenv("RETENTION_DAYS", "1", 1);
	setenv("PRUNE_INTERVAL", "500ms", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.retention_days, 1);
	ATF_CHECK_EQ(c.prune_interval_ms, 500);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("RETENTION_DAYS", bad[i], 1);
		ATF_CHECK_EQ_MSG(ce_config_load(&c, err, sizeof(err)),
		    CE_ECONFIG, "'%s' accepted", bad[i]);
		ATF_CHECK(strstr(err, "RETENTION_DAYS") != NULL);
	}
	setenv("RETENTION_DAYS", "3650", 1);
	setenv("PRUNE_INTERVAL", "2", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.prune_interval_ms, 2000);
	setenv("PRUNE_INTERVAL", "1ms", 1);
	ATF_CHECK_EQ(ce_config_load(&c, err, sizeof(err)), CE_ECONFIG);
	ATF_CHECK(strstr(err, "PRUNE_INTERVAL") != NULL);
}

ATF_TC_WITHOUT_HEAD(config_load__edge);
ATF_TC_BODY(config_load__edge, tc)
{
	static const char *const good[] = {
		"127.0.0.1", "10.0.0.0/8, 172.16.0.0/12,192.168.1.7",
		"::1", "fdaa::/16", "2001:db8::1/128, 10.1.2.3/32",
		"0.0.0.0/0", "::ffff:10.0.0.1",
	};
	struct ce_config	 c;
	char			 err[256];
	size_t			 i;

	clear_env();
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_STREQ(c.trusted_proxies, "");
	ATF_CHECK_EQ(c.webhook_rate_limit, 100);
	ATF_CHECK_EQ(c.webhook_rate_burst, 200);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		setenv("TRUSTED_PROXIES", good[i], 1);
		ATF_CHECK_EQ_MSG(ce_config_load(&c, err, sizeof(err)), CE_OK,
		    "'%s' refused: %s", good[i], err);
		ATF_CHECK_STREQ(c.trusted_proxies, good[i]);
	}
	setenv("WEBHOOK_RATE_LIMIT", "0", 1);
	setenv("WEBHOOK_RATE_BURST", "7", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.webhook_rate_limit, 0);
	ATF_CHECK_EQ(c.webhook_rate_burst, 7);
}

/*
 * A high-value lead: HIGH_VALUE_INCOME in reais (0 turns the income
 * reason off), HIGH_VALUE_POWER a band, any case and accents, or off.
 */
ATF_TC_WITHOUT_HEAD(config_load__high_value);
ATF_TC_BODY(config_load__high_value, tc)
{
	static const struct {
		const char	*value;
		long long	 band;
	} good[] = {
		{ "ALTO", CE_HV_ALTO }, { "muito alto", CE_HV_MUITO_ALTO },
		{ "Médio-Alto", CE_HV_MEDIO_ALTO }, { "BAIXO", CE_HV_BAIXO },
		{ "off", CE_HV_BAND__MAX },
	};
	static const char *const bad_power[] = { "", "ALTISSIMO", "5", "on" };
	static const char *const bad_income[] = {
		"-1", "20000,00", "1000000001", "", "20k",
	};
	struct ce_config	 c;
	char			 err[256];
	size_t			 i;

	clear_env();
	unsetenv("HIGH_VALUE_INCOME");
	unsetenv("HIGH_VALUE_POWER");
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.high_value_income, 20000);
	ATF_CHECK_EQ(c.high_value_power, CE_HV_ALTO);
	setenv("HIGH_VALUE_INCOME", "0", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.high_value_income, 0);
	setenv("HIGH_VALUE_INCOME", "1000000000", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.high_value_income, 1000000000);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		setenv("HIGH_VALUE_POWER", good[i].value, 1);
		ATF_CHECK_EQ_MSG(ce_config_load(&c, err, sizeof(err)), CE_OK,
		    "'%s' refused: %s", good[i].value, err);
		ATF_CHECK_EQ_MSG(c.high_value_power, good[i].band, "'%s'",
		    good[i].value);
	}
	for (i = 0; i < sizeof(bad_power) / sizeof(bad_power[0]); i++) {
		setenv("HIGH_VALUE_POWER", bad_power[i], 1);
		ATF_CHECK_EQ_MSG(ce_config_load(&c, err, sizeof(err)),
		    CE_ECONFIG, "'%s' accepted", bad_power[i]);
		ATF_CHECK(strstr(err, "HIGH_VALUE_POWER") != NULL);
	}
	unsetenv("HIGH_VALUE_POWER");
	for (i = 0; i < sizeof(bad_income) / sizeof(bad_income[0]); i++) {
		setenv("HIGH_VALUE_INCOME", bad_income[i], 1);
		ATF_CHECK_EQ_MSG(ce_config_load(&c, err, sizeof(err)),
		    CE_ECONFIG, "'%s' accepted", bad_income[i]);
		ATF_CHECK(strstr(err, "HIGH_VALUE_INCOME") != NULL);
	}
}

/* ce_config_load() into "c": 1 when it accepts, else 0 (its error shown). */
static int
loads(struct ce_config *c)
{
	char	 err[256];

	if (ce_config_load(c, err, sizeof(err)) == CE_OK)
		return 1;
	fprintf(stderr, "refused: %s\n", err);
	return 0;
}

/*
 * The configuration is refused with one line that opens with "name",
 * names "also" (unless NULL) and never quotes "value" (unless empty).
 */
static void
refused(const char *name, const char *value, const char *also)
{
	struct ce_config	 c;
	char			 err[256];

	ATF_CHECK_EQ_MSG(ce_config_load(&c, err, sizeof(err)), CE_ECONFIG,
	    "%s=%s accepted", name, value);
	ATF_CHECK_MSG(strncmp(err, "config: ", 8) == 0 &&
	    strncmp(err + 8, name, strlen(name)) == 0 &&
	    err[8 + strlen(name)] == ':',
	    "%s=%s: the error does not open with its name: %s", name, value,
	    err);
	ATF_CHECK_MSG(also == NULL || strstr(err, also) != NULL,
	    "%s=%s: the error does not name %s: %s", name, value, also, err);
	ATF_CHECK_MSG(value[0] == '\0' || strstr(err, value) == NULL,
	    "%s=%s: the error quotes the value: %s", name, value, err);
	ATF_CHECK_MSG(strchr(err, '\n') == NULL, "not one line: %s", err);
}

/* The pool's settings: POOL-PLAN.md section 7's defaults and bounds. */
ATF_TC_WITHOUT_HEAD(pool__defaults);
ATF_TC_BODY(pool__defaults, tc)
{
	struct ce_config	 c, d;

	clear_env();
	ATF_REQUIRE(loads(&c));
	ATF_CHECK_EQ(c.pool_min, 2);
	ATF_CHECK_EQ(c.pool_max, 8);
	ATF_CHECK_EQ(c.pool_spare, 1);
	ATF_CHECK_EQ(c.pool_idle_timeout_ms, 10000);
	ATF_CHECK_EQ(c.pool_short_after_ms, 60000);
	ATF_CHECK_EQ(c.slowlog_after_ms, 5000);
	ATF_CHECK_STREQ(c.health_socket, "/run/c2s-enrich/health.sock");
	ATF_CHECK_STREQ(c.config_file, "");
	ATF_CHECK_EQ(c.restart_kept, 0);
	/* The defaults fake configurations start from agree. */
	ce_config_defaults(&d);
	ATF_CHECK(d.pool_min == 2 && d.pool_max == 8 && d.pool_spare == 1);
	ATF_CHECK_EQ(d.slowlog_after_ms, 5000);
	ATF_CHECK_STREQ(d.health_socket, c.health_socket);
	/* Set, at the bounds. */
	setenv("POOL_MIN", "64", 1);
	setenv("POOL_MAX", "64", 1);
	setenv("POOL_SPARE", "64", 1);
	ATF_REQUIRE(loads(&c));
	ATF_CHECK(c.pool_min == 64 && c.pool_max == 64 && c.pool_spare == 64);
	setenv("POOL_MIN", "1", 1);
	setenv("POOL_MAX", "1", 1);
	setenv("POOL_SPARE", "0", 1);
	ATF_REQUIRE(loads(&c));
	ATF_CHECK(c.pool_min == 1 && c.pool_max == 1 && c.pool_spare == 0);
}

ATF_TC_WITHOUT_HEAD(pool__min_over_max_refused);
ATF_TC_BODY(pool__min_over_max_refused, tc)
{
	static const struct {
		const char	*name, *value;
	} bad[] = {
		{ "POOL_MIN", "0" }, { "POOL_MIN", "65" },
		{ "POOL_MIN", "two" }, { "POOL_MIN", "" },
		{ "POOL_MAX", "0" }, { "POOL_MAX", "65" },
		{ "POOL_MAX", "-8" }, { "POOL_MAX", "8x" },
	};
	struct ce_config	 c;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		clear_env();
		setenv(bad[i].name, bad[i].value, 1);
		refused(bad[i].name, bad[i].value, NULL);
	}
	/* Each within its bounds, the minimum above the maximum. */
	clear_env();
	setenv("POOL_MIN", "37", 1);
	setenv("POOL_MAX", "36", 1);
	refused("POOL_MIN", "37", "POOL_MAX");
	refused("POOL_MIN", "36", "POOL_MAX");
	/* Above the default maximum, none given; then equal: accepted. */
	unsetenv("POOL_MAX");
	setenv("POOL_MIN", "9", 1);
	refused("POOL_MIN", "9", "POOL_MAX");
	setenv("POOL_MAX", "9", 1);
	ATF_REQUIRE(loads(&c));
	ATF_CHECK(c.pool_min == 9 && c.pool_max == 9);
}

ATF_TC_WITHOUT_HEAD(pool__spare_over_max_refused);
ATF_TC_BODY(pool__spare_over_max_refused, tc)
{
	static const char *const bad[] = { "-1", "65", "one", "" };
	struct ce_config	 c;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		clear_env();
		setenv("POOL_SPARE", bad[i], 1);
		refused("POOL_SPARE", bad[i], NULL);
	}
	clear_env();
	setenv("POOL_MAX", "3", 1);
	setenv("POOL_SPARE", "4", 1);
	refused("POOL_SPARE", "4", "POOL_MAX");
	refused("POOL_SPARE", "3", "POOL_MAX");
	/* Over the default maximum, none given. */
	unsetenv("POOL_MAX");
	setenv("POOL_SPARE", "9", 1);
	refused("POOL_SPARE", "9", "POOL_MAX");
	setenv("POOL_MAX", "3", 1);
	setenv("POOL_SPARE", "3", 1);
	ATF_REQUIRE(loads(&c));
	ATF_CHECK_EQ(c.pool_spare, 3);
	/* Above the minimum is fine: spares are idle children, any size. */
	setenv("POOL_MIN", "1", 1);
	ATF_REQUIRE(loads(&c));
	ATF_CHECK(c.pool_min == 1 && c.pool_spare == 3);
}

ATF_TC_WITHOUT_HEAD(pool__durations);
ATF_TC_BODY(pool__durations, tc)
{
	static const struct {
		const char	*name, *value;
		long long	 ms;	/* -1: refused */
	} tab[] = {
		{ "POOL_IDLE_TIMEOUT", "2s", 2000 },
		{ "POOL_IDLE_TIMEOUT", "1", 1000 },
		{ "POOL_IDLE_TIMEOUT", "1h", 3600000 },
		{ "POOL_IDLE_TIMEOUT", "999ms", -1 },
		{ "POOL_IDLE_TIMEOUT", "61m", -1 },
		{ "POOL_IDLE_TIMEOUT", "0", -1 },
		{ "POOL_IDLE_TIMEOUT", "2 s", -1 },
		{ "POOL_SHORT_AFTER", "2s", 2000 },
		{ "POOL_SHORT_AFTER", "1000ms", 1000 },
		{ "POOL_SHORT_AFTER", "60m", 3600000 },
		{ "POOL_SHORT_AFTER", "500ms", -1 },
		{ "POOL_SHORT_AFTER", "2h", -1 },
		{ "POOL_SHORT_AFTER", "-1s", -1 },
		{ "SLOWLOG_AFTER", "0", 0 },
		{ "SLOWLOG_AFTER", "1500ms", 1500 },
		{ "SLOWLOG_AFTER", "1h", 3600000 },
		{ "SLOWLOG_AFTER", "3601s", -1 },
		{ "SLOWLOG_AFTER", "1.5s", -1 },
		{ "SLOWLOG_AFTER", "", -1 },
	};
	struct ce_config	 c;
	size_t			 i;
	long long		 got;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		clear_env();
		setenv(tab[i].name, tab[i].value, 1);
		if (tab[i].ms == -1) {
			refused(tab[i].name, tab[i].value, NULL);
			continue;
		}
		ATF_REQUIRE_MSG(loads(&c), "%s=%s", tab[i].name,
		    tab[i].value);
		got = tab[i].name[0] == 'S' ? c.slowlog_after_ms :
		    tab[i].name[5] == 'I' ? c.pool_idle_timeout_ms :
		    c.pool_short_after_ms;
		ATF_CHECK_EQ_MSG(got, tab[i].ms, "%s=%s: %lld ms", tab[i].name,
		    tab[i].value, got);
	}
}

ATF_TC_WITHOUT_HEAD(health_socket__default_beside_dedup_file);
ATF_TC_BODY(health_socket__default_beside_dedup_file, tc)
{
	struct ce_config	 c;

	clear_env();
	setenv("DEDUP_FILE", "/tmp/stack.x/dedup", 1);
	ATF_REQUIRE(loads(&c));
	ATF_CHECK_STREQ(c.health_socket, "/tmp/stack.x/health.sock");
	setenv("DEDUP_FILE", "dedup", 1);
	ATF_REQUIRE(loads(&c));
	ATF_CHECK_STREQ(c.health_socket, "health.sock");
	/* Empty is unset. */
	setenv("HEALTH_SOCKET", "", 1);
	ATF_REQUIRE(loads(&c));
	ATF_CHECK_STREQ(c.health_socket, "health.sock");
	/* Set: as given, wherever DEDUP_FILE is. */
	setenv("HEALTH_SOCKET", "/run/c2s-enrich/probe.sock", 1);
	ATF_REQUIRE(loads(&c));
	ATF_CHECK_STREQ(c.health_socket, "/run/c2s-enrich/probe.sock");
	ATF_CHECK_STREQ(c.dedup_file, "dedup");
}

ATF_TC_WITHOUT_HEAD(health_socket__too_long_refused);
ATF_TC_BODY(health_socket__too_long_refused, tc)
{
	struct ce_config	 c;
	char			 path[300], dir[200];

	/* 100 bytes fit a sun_path (108) with room: accepted. */
	clear_env();
	memset(path, 'a', sizeof(path));
	memcpy(path, "/hunter2/", 9);
	path[100] = '\0';
	setenv("HEALTH_SOCKET", path, 1);
	ATF_REQUIRE(loads(&c));
	ATF_CHECK_EQ(strlen(c.health_socket), 100);
	/* 101, and far beyond the field: refused, never quoted. */
	path[100] = 'a';
	path[101] = '\0';
	setenv("HEALTH_SOCKET", path, 1);
	refused("HEALTH_SOCKET", "hunter2", NULL);
	path[250] = '\0';
	setenv("HEALTH_SOCKET", path, 1);
	refused("HEALTH_SOCKET", "hunter2", NULL);
	/* The default beside a DEDUP_FILE deep enough: refused by name. */
	unsetenv("HEALTH_SOCKET");
	memset(dir, 'd', sizeof(dir));
	memcpy(dir, "/hunter2/", 9);
	dir[90] = '\0';		/* + "/health.sock": 102 bytes */
	snprintf(path, sizeof(path), "%s/dedup", dir);
	setenv("DEDUP_FILE", path, 1);
	refused("HEALTH_SOCKET", "hunter2", "DEDUP_FILE");
	dir[88] = '\0';		/* 100 bytes */
	snprintf(path, sizeof(path), "%s/dedup", dir);
	setenv("DEDUP_FILE", path, 1);
	ATF_REQUIRE(loads(&c));
	ATF_CHECK_EQ(strlen(c.health_socket), 100);
	/* Set short, that DEDUP_FILE does not matter. */
	dir[150] = 'd';
	snprintf(path, sizeof(path), "%s/dedup", dir);
	setenv("DEDUP_FILE", path, 1);
	setenv("HEALTH_SOCKET", "/run/h.sock", 1);
	ATF_REQUIRE(loads(&c));
	ATF_CHECK_STREQ(c.health_socket, "/run/h.sock");
}

/* The assignments a parse handed over, "K=V" a line. */
struct seen {
	char	 text[2048];
	size_t	 len;
	int	 stop_at;	/* refuse the assignment of this number */
	int	 n;
};

static int
see(void *arg, const char *key, const char *val)
{
	struct seen	*s = arg;
	int		 w;

	if (++s->n == s->stop_at)
		return -1;
	if (strlen(val) > 100)	/* the bounds' cases: the length only */
		w = snprintf(s->text + s->len, sizeof(s->text) - s->len,
		    "%s=(%zu)|", key, strlen(val));
	else
		w = snprintf(s->text + s->len, sizeof(s->text) - s->len,
		    "%s=%s|", key, val);
	ATF_REQUIRE(w > 0 && (size_t)w < sizeof(s->text) - s->len);
	s->len += (size_t)w;
	return 0;
}

/* What systemd's EnvironmentFile= reads the same way. */
ATF_TC_WITHOUT_HEAD(envfile__comments_quotes);
ATF_TC_BODY(envfile__comments_quotes, tc)
{
	static const char text[] =
	    "# a comment\n"
	    "\n"
	    "   \t\n"
	    "; another\n"
	    "  # indented\n"
	    "export A=1\n"
	    "B = two words  \t\n"
	    "C='single $x \\n \"q\"'\n"
	    "D=\"dq \\\" \\\\ \\$ \\` \\q 'q'\"\n"
	    "E=bare\\ space\\\\\n"
	    "F=\n"
	    "G=crlf\r\n"
	    "H=\"quoted\"  \r\n"
	    "I=a#b \"c\" ;d\n"
	    "J=trail\\ \n"
	    "export_K=k\n"
	    "L=a=b\n"
	    "M=''\n"
	    "N=last";
	static const char want[] =
	    "A=1|B=two words|C=single $x \\n \"q\"|"
	    "D=dq \" \\ $ ` \\q 'q'|E=bare space\\|F=|G=crlf|H=quoted|"
	    "I=a#b \"c\" ;d|J=trail |export_K=k|L=a=b|M=|N=last|";
	struct seen		 s;
	struct ce_envtab	*t;
	int			 line = -1;

	memset(&s, 0, sizeof(s));
	ATF_REQUIRE_EQ(ce_envfile_parse(text, sizeof(text) - 1, see, &s,
	    &line), 0);
	ATF_CHECK_EQ(line, 0);
	ATF_CHECK_STREQ(s.text, want);
	/* Nothing at all, or only comments: no assignment. */
	memset(&s, 0, sizeof(s));
	ATF_CHECK_EQ(ce_envfile_parse("", 0, see, &s, &line), 0);
	ATF_CHECK_EQ(ce_envfile_parse("#x\n\n", 4, see, &s, &line), 0);
	ATF_CHECK_EQ(s.n, 0);
	/* The table: the last assignment of a name wins. */
	ATF_REQUIRE((t = malloc(sizeof(*t))) != NULL);
	ATF_REQUIRE_EQ(ce_envtab_load(t, text, sizeof(text) - 1, &line),
	    CE_OK);
	ATF_CHECK_EQ(t->n, 14);
	ATF_CHECK_STREQ(ce_envtab_get(t, "B"), "two words");
	ATF_CHECK_STREQ(ce_envtab_get(t, "F"), "");
	ATF_CHECK(ce_envtab_get(t, "export") == NULL);
	ATF_CHECK(ce_envtab_get(t, "Z") == NULL);
	ATF_REQUIRE_EQ(ce_envtab_load(t, "X=1\nY=2\nX=3\n", 12, &line),
	    CE_OK);
	ATF_CHECK_STREQ(ce_envtab_get(t, "X"), "3");
	ATF_CHECK_STREQ(ce_envtab_get(t, "Y"), "2");
	ATF_CHECK(ce_envtab_get(t, "B") == NULL);
	free(t);
}

/*
 * A bad line is reported by its number, and by nothing of its text: the
 * parser's verdict, then CONFIG_FILE's error line.
 */
ATF_TC_WITHOUT_HEAD(envfile__bad_line_names_line_only);
ATF_TC_BODY(envfile__bad_line_names_line_only, tc)
{
	static const struct {
		const char	*text;
		int		 line;
	} bad[] = {
		{ "A=1\nnot an assignment hunter2\n", 2 },
		{ "A=1\n\n# c\nB=\"unclosed hunter2\nC=1\n", 4 },
		{ "A='unclosed hunter2", 1 },
		{ "1A=hunter2", 1 },
		{ "A-B=hunter2", 1 },
		{ "A B=hunter2", 1 },
		{ "=hunter2", 1 },
		{ "A='hunter2' x", 1 },
		{ "A=\"hunter2\"x", 1 },
		{ "A=1\nB=continued hunter2\\\nC=2", 2 },
		{ "A=\"continued hunter2\\\nC=2\"", 1 },
		{ "export\n", 1 },
		{ "export hunter2\n", 1 },
		{ "\xef\xbb\xbf" "A=hunter2\n", 1 },
	};
	char			 big[CE_ENVFILE_VAL_MAX + 100], err[256];
	struct seen		 s;
	struct ce_config	 c;
	FILE			*f;
	size_t			 i;
	int			 line;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&s, 0, sizeof(s));
		ATF_CHECK_EQ_MSG(ce_envfile_parse(bad[i].text,
		    strlen(bad[i].text), see, &s, &line), -1, "#%zu accepted",
		    i);
		ATF_CHECK_EQ_MSG(line, bad[i].line, "#%zu: line %d", i, line);
	}
	/* A NUL inside a line. */
	ATF_CHECK_EQ(ce_envfile_parse("A=1\nB=x\0y\n", 10, see, &s, &line),
	    -1);
	ATF_CHECK_EQ(line, 2);
	/* The bounds: a name of 64 bytes and a value of 4096, not more. */
	memset(&s, 0, sizeof(s));
	memset(big, 'K', 64);
	memcpy(big + 64, "=v", 3);
	ATF_CHECK_EQ(ce_envfile_parse(big, strlen(big), see, &s, &line), 0);
	memset(big, 'K', 65);
	memcpy(big + 65, "=v", 3);
	ATF_CHECK_EQ(ce_envfile_parse(big, strlen(big), see, &s, &line), -1);
	ATF_CHECK_EQ(line, 1);
	memcpy(big, "V=", 2);
	memset(big + 2, 'v', CE_ENVFILE_VAL_MAX);
	big[2 + CE_ENVFILE_VAL_MAX] = '\0';
	ATF_CHECK_EQ(ce_envfile_parse(big, strlen(big), see, &s, &line), 0);
	ATF_CHECK_MATCH("^K{64}=v\\|V=\\(4096\\)\\|$", s.text);
	memcpy(big + 2 + CE_ENVFILE_VAL_MAX, "v", 2);
	ATF_CHECK_EQ(ce_envfile_parse(big, strlen(big), see, &s, &line), -1);
	/* The callback's refusal stops at its line. */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	ATF_CHECK_EQ(ce_envfile_parse("A=1\n#\nB=2\nC=3\n", 14, see, &s,
	    &line), -1);
	ATF_CHECK_EQ(line, 3);
	ATF_CHECK_STREQ(s.text, "A=1|");

	/* Through CONFIG_FILE: the variable and the line, nothing else. */
	clear_env();
	ATF_REQUIRE((f = fopen("bad.env", "w")) != NULL);
	fputs("# the service\nLOG_LEVEL=debug\nDIRETRIX_PASS=\"hunter2\n",
	    f);
	ATF_REQUIRE_EQ(fclose(f), 0);
	setenv("CONFIG_FILE", "bad.env", 1);
	ATF_CHECK_EQ(ce_config_load(&c, err, sizeof(err)), CE_ECONFIG);
	ATF_CHECK_MATCH("^config: CONFIG_FILE: line 3: ", err);
	ATF_CHECK(strstr(err, "hunter2") == NULL);
	ATF_CHECK(strstr(err, "DIRETRIX") == NULL);
	ATF_CHECK(strstr(err, "bad.env") == NULL);
	ATF_CHECK(strchr(err, '\n') == NULL);
}

/* A key in CONFIG_FILE wins over the environment's. */
ATF_TC_WITHOUT_HEAD(config_file__overlays_environment);
ATF_TC_BODY(config_file__overlays_environment, tc)
{
	struct ce_config	 c;
	FILE			*f;
	char			 cwd[512], path[600];

	clear_env();
	unsetenv("API_KEYS");
	setenv("POOL_MAX", "4", 1);
	setenv("LOG_LEVEL", "error", 1);
	setenv("DEDUP_TTL", "10s", 1);
	ATF_REQUIRE((f = fopen("c2s-enrich.env", "w")) != NULL);
	fputs("# as systemd's EnvironmentFile= reads it\n"
	    "POOL_MAX=6\n"
	    "LOG_LEVEL=\"debug\"\n"
	    "export SLOWLOG_AFTER='0'\n"
	    "API_KEYS=" KEY "\n"
	    "NOT_OURS=ignored\n"
	    "CONFIG_FILE=/elsewhere/ignored.env\n", f);
	ATF_REQUIRE_EQ(fclose(f), 0);
	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	snprintf(path, sizeof(path), "%s/c2s-enrich.env", cwd);
	setenv("CONFIG_FILE", path, 1);
	ATF_REQUIRE(loads(&c));
	ATF_CHECK_EQ(c.pool_max, 6);		/* the file's */
	ATF_CHECK_EQ(c.log_level, CE_LOG_DEBUG);
	ATF_CHECK_EQ(c.slowlog_after_ms, 0);
	ATF_CHECK_STREQ(c.api_keys, KEY);	/* the file's alone */
	ATF_CHECK_EQ(c.dedup_ttl_ms, 10000);	/* the environment's */
	ATF_CHECK_STREQ(c.config_file, path);	/* the environment's */
	/* By any of its names: the file's alias wins too. */
	setenv("DB_URL", "host=/env", 1);
	setenv("WORK_API_TOKEN", "env-token", 1);
	ATF_REQUIRE((f = fopen("c2s-enrich.env", "a")) != NULL);
	fputs("DATABASE_URL=host=/file\nWORK_API=file-token\n", f);
	ATF_REQUIRE_EQ(fclose(f), 0);
	ATF_REQUIRE(loads(&c));
	ATF_CHECK_STREQ(c.db_url, "host=/file");
	ATF_CHECK_STREQ(c.work_api_token, "file-token");
	/* A bad value in the file: named by its variable, never quoted. */
	ATF_REQUIRE((f = fopen("c2s-enrich.env", "a")) != NULL);
	fputs("POOL_SPARE=hunter2\n", f);
	ATF_REQUIRE_EQ(fclose(f), 0);
	refused("POOL_SPARE", "hunter2", NULL);
	/* Empty: no file. */
	setenv("CONFIG_FILE", "", 1);
	setenv("API_KEYS", KEY, 1);
	ATF_REQUIRE(loads(&c));
	ATF_CHECK_EQ(c.pool_max, 4);
	ATF_CHECK_STREQ(c.config_file, "");
}

/* ce_config_load_from(): every variable through the lookup given. */
static const char *
only_these(void *arg, const char *name)
{
	const char *const	*kv;

	for (kv = arg; kv[0] != NULL; kv += 2)
		if (strcmp(kv[0], name) == 0)
			return kv[1];
	return NULL;
}

ATF_TC_WITHOUT_HEAD(config_file__lookup_reads_every_variable);
ATF_TC_BODY(config_file__lookup_reads_every_variable, tc)
{
	static const char *const kv[] = {
		"API_KEYS", KEY, "POOL_MIN", "3", "POLL_INTERVAL", "1m",
		NULL,
	};
	struct ce_config	 c;
	char			 err[256];

	/* The environment says otherwise: not read. */
	clear_env();
	setenv("POOL_MIN", "5", 1);
	setenv("POOL_MAX", "1", 1);
	setenv("POLL_SCHEDULE", "*:5m", 1);
	setenv("CONFIG_FILE", "/nonexistent/c2s-enrich.env", 1);
	ATF_REQUIRE_EQ_MSG(ce_config_load_from(&c, only_these, (void *)kv,
	    err, sizeof(err)), 0, "%s", err);
	ATF_CHECK_EQ(c.pool_min, 3);
	ATF_CHECK_EQ(c.pool_max, 8);
	ATF_CHECK_EQ(c.poll_interval_ms, 60000);
	ATF_CHECK_STREQ(c.config_file, "");
	setenv("API_KEYS", KEY, 1);
	unsetenv("POLL_SCHEDULE");
	ATF_CHECK_EQ(ce_config_load(&c, err, sizeof(err)), CE_ECONFIG);
	ATF_CHECK_MATCH("^config: CONFIG_FILE: ", err);
}

ATF_TC_WITHOUT_HEAD(config_file__missing_refused);
ATF_TC_BODY(config_file__missing_refused, tc)
{
	struct ce_config	 c;
	char			 err[256], *big;
	FILE			*f;

	clear_env();
	setenv("CONFIG_FILE", "hunter2/c2s-enrich.env", 1);
	refused("CONFIG_FILE", "hunter2", NULL);
	ATF_CHECK_EQ(ce_config_load(&c, err, sizeof(err)), CE_ECONFIG);
	ATF_CHECK_MATCH("^config: CONFIG_FILE: cannot read: ", err);
	/* A directory, not a file. */
	ATF_REQUIRE_EQ(mkdir("hunter2", 0700), 0);
	setenv("CONFIG_FILE", "hunter2", 1);
	refused("CONFIG_FILE", "hunter2", NULL);
	/* Over 64 KiB: refused, though every line is fine. */
	ATF_REQUIRE((big = malloc(CE_ENVFILE_MAX + 1)) != NULL);
	memset(big, '#', CE_ENVFILE_MAX + 1);
	ATF_REQUIRE((f = fopen("hunter2/big.env", "w")) != NULL);
	ATF_REQUIRE_EQ(fwrite(big, 1, CE_ENVFILE_MAX + 1, f),
	    CE_ENVFILE_MAX + 1);
	ATF_REQUIRE_EQ(fclose(f), 0);
	setenv("CONFIG_FILE", "hunter2/big.env", 1);
	refused("CONFIG_FILE", "hunter2", NULL);
	/* At 64 KiB: read. */
	ATF_REQUIRE(truncate("hunter2/big.env", CE_ENVFILE_MAX) == 0);
	ATF_REQUIRE(loads(&c));
	ATF_CHECK_STREQ(c.config_file, "hunter2/big.env");
	free(big);
	/* Read again on each load: gone, refused. */
	ATF_REQUIRE_EQ(unlink("hunter2/big.env"), 0);
	refused("CONFIG_FILE", "hunter2", NULL);
}

/*
 * A reload reads the file again; what needs a restart keeps its running
 * value (and what follows from it), with a warning naming each.
 */
ATF_TC_WITHOUT_HEAD(reload__keeps_restart_only_settings);
ATF_TC_BODY(reload__keeps_restart_only_settings, tc)
{
	struct ce_config	 cur, out, copy;
	char			 err[256];
	const char		*w;
	FILE			*f;
	size_t			 i;
	int			 hs = 0, df = 0, dc = 0;

	clear_env();
	ATF_REQUIRE((f = fopen("c.env", "w")) != NULL);
	fputs("DEDUP_FILE=/tmp/a/dedup\nLOG_LEVEL=info\n", f);
	ATF_REQUIRE_EQ(fclose(f), 0);
	setenv("CONFIG_FILE", "c.env", 1);
	ATF_REQUIRE(loads(&cur));
	ATF_REQUIRE_STREQ(cur.health_socket, "/tmp/a/health.sock");
	memcpy(&copy, &cur, sizeof(copy));

	/* Unchanged: no warning. */
	ATF_REQUIRE_EQ_MSG(ce_config_reload(&out, &cur, err, sizeof(err)), 0,
	    "%s", err);
	ATF_CHECK_EQ(out.restart_kept, 0);
	ATF_CHECK(ce_config_warning(&out, 0) == NULL);

	ATF_REQUIRE((f = fopen("c.env", "w")) != NULL);
	fputs("DEDUP_FILE=/tmp/b/dedup\nDEDUP_CAPACITY=20\n"
	    "HEALTH_SOCKET=/tmp/b/h.sock\nLOG_LEVEL=debug\nPOOL_MAX=5\n", f);
	ATF_REQUIRE_EQ(fclose(f), 0);
	ATF_REQUIRE_EQ_MSG(ce_config_reload(&out, &cur, err, sizeof(err)), 0,
	    "%s", err);
	/* Changed. */
	ATF_CHECK_EQ(out.log_level, CE_LOG_DEBUG);
	ATF_CHECK_EQ(out.pool_max, 5);
	/* Kept, and the spool's default beside the running DEDUP_FILE. */
	ATF_CHECK_STREQ(out.dedup_file, "/tmp/a/dedup");
	ATF_CHECK_EQ(out.dedup_capacity, 10000);
	ATF_CHECK_STREQ(out.health_socket, "/tmp/a/health.sock");
	ATF_CHECK_STREQ(out.spool_dir, "/tmp/a/spool");
	ATF_CHECK_EQ(out.restart_kept, CE_RESTART_HEALTH_SOCKET |
	    CE_RESTART_DEDUP_FILE | CE_RESTART_DEDUP_CAPACITY);
	for (i = 0; (w = ce_config_warning(&out, i)) != NULL; i++) {
		hs += strncmp(w, "HEALTH_SOCKET: ", 15) == 0;
		df += strncmp(w, "DEDUP_FILE: ", 12) == 0;
		dc += strncmp(w, "DEDUP_CAPACITY: ", 16) == 0;
		ATF_CHECK_MSG(strstr(w, "/tmp") == NULL &&
		    strstr(w, "20") == NULL, "quotes a value: %s", w);
	}
	ATF_CHECK_EQ(i, 3);
	ATF_CHECK(hs == 1 && df == 1 && dc == 1);
	/* The running configuration is never touched. */
	ATF_CHECK(memcmp(&copy, &cur, sizeof(cur)) == 0);

	/* Refused: the variable named, the running one still untouched. */
	ATF_REQUIRE((f = fopen("c.env", "w")) != NULL);
	fputs("POOL_MAX=0\nLOG_LEVEL=debug\n", f);
	ATF_REQUIRE_EQ(fclose(f), 0);
	ATF_CHECK_EQ(ce_config_reload(&out, &cur, err, sizeof(err)), -1);
	ATF_CHECK_MATCH("^config: POOL_MAX: ", err);
	ATF_REQUIRE_EQ(unlink("c.env"), 0);
	ATF_CHECK_EQ(ce_config_reload(&out, &cur, err, sizeof(err)), -1);
	ATF_CHECK_MATCH("^config: CONFIG_FILE: ", err);
	ATF_CHECK(memcmp(&copy, &cur, sizeof(cur)) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, config_load__defaults);
	ATF_TP_ADD_TC(tp, config_load__spool);
	ATF_TP_ADD_TC(tp, config_load__values_and_aliases);
	ATF_TP_ADD_TC(tp, config_load__bad_value_names_variable);
	ATF_TP_ADD_TC(tp, config_load__secret_never_echoed);
	ATF_TP_ADD_TC(tp, config_load__timeouts_consistent);
	ATF_TP_ADD_TC(tp, config_duration__units);
	ATF_TP_ADD_TC(tp, config_load__retries);
	ATF_TP_ADD_TC(tp, config_load__google_ads_accept_test);
	ATF_TP_ADD_TC(tp, config_load__api_keys_required);
	ATF_TP_ADD_TC(tp, config_load__admin_api_keys);
	ATF_TP_ADD_TC(tp, config_load__api_auth);
	ATF_TP_ADD_TC(tp, config_load__webhook_auth);
	ATF_TP_ADD_TC(tp, config_load__retention);
	ATF_TP_ADD_TC(tp, config_load__edge);
	ATF_TP_ADD_TC(tp, config_load__high_value);
	ATF_TP_ADD_TC(tp, config_load__alerts);
	ATF_TP_ADD_TC(tp, pool__defaults);
	ATF_TP_ADD_TC(tp, pool__min_over_max_refused);
	ATF_TP_ADD_TC(tp, pool__spare_over_max_refused);
	ATF_TP_ADD_TC(tp, pool__durations);
	ATF_TP_ADD_TC(tp, health_socket__default_beside_dedup_file);
	ATF_TP_ADD_TC(tp, health_socket__too_long_refused);
	ATF_TP_ADD_TC(tp, envfile__comments_quotes);
	ATF_TP_ADD_TC(tp, envfile__bad_line_names_line_only);
	ATF_TP_ADD_TC(tp, config_file__overlays_environment);
	ATF_TP_ADD_TC(tp, config_file__lookup_reads_every_variable);
	ATF_TP_ADD_TC(tp, config_file__missing_refused);
	ATF_TP_ADD_TC(tp, reload__keeps_restart_only_settings);
	return atf_no_error();
}
