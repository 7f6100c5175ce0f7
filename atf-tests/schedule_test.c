/*
 * schedule_test.c -- the poller's schedule (core/schedule.c) at injected
 * clocks: the default POLL_SCHEDULE's interval at 09:00, 21:00 and 03:00
 * São Paulo time and at its boundaries, the wait cut short when business
 * hours begin, POLL_SCHEDULE's syntax and its errors, POLL_INTERVAL's
 * precedence, and the form the worker's log shows (config_test: a bad
 * value named by its variable).
 */
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "core/config.h"
#include "core/schedule.h"

#define KEY	"0123456789abcdef0123456789abcdef"
#define MIN	(60 * 1000LL)

/* 2026-12-06 00:00 in São Paulo (03:00 UTC), in ms since the epoch. */
#define SP_MIDNIGHT	(1796526000LL * 1000)

/* The UTC time, in ms, of hh:mm:ss São Paulo time on that day. */
static long long
sp(int hh, int mm, int ss)
{
	return SP_MIDNIGHT + ((hh * 60LL + mm) * 60 + ss) * 1000;
}

/* A São Paulo time of day and what is expected there, in ms. */
struct at {
	int		 hh, mm, ss;
	long long	 ms;
};

/* Check "f" (the interval or the wait) of schedule "s" at each of "tab". */
static void
check_at(const struct ce_schedule *s, const struct at *tab, size_t n,
    long long (*f)(const struct ce_schedule *, long long))
{
	size_t	 i;

	for (i = 0; i < n; i++)
		ATF_CHECK_EQ_MSG(f(s, sp(tab[i].hh, tab[i].mm, tab[i].ss)),
		    tab[i].ms, "%02d:%02d:%02d", tab[i].hh, tab[i].mm,
		    tab[i].ss);
}

static void
default_schedule(struct ce_schedule *s)
{
	ATF_REQUIRE_EQ(ce_config_parse_schedule(CE_POLL_SCHEDULE_DEFAULT, s),
	    0);
}

ATF_TC_WITHOUT_HEAD(interval__default_at_9_21_3);
ATF_TC_BODY(interval__default_at_9_21_3, tc)
{
	struct ce_schedule	 s;

	default_schedule(&s);
	ATF_CHECK_EQ(ce_schedule_interval(&s, sp(9, 0, 0)), 5 * MIN);
	ATF_CHECK_EQ(ce_schedule_interval(&s, sp(21, 0, 0)), 20 * MIN);
	ATF_CHECK_EQ(ce_schedule_interval(&s, sp(3, 0, 0)), 60 * MIN);
	/* The same hours a day, a year and ten years on: no DST. */
	ATF_CHECK_EQ(ce_schedule_interval(&s, sp(9, 0, 0) + 86400000LL),
	    5 * MIN);
	ATF_CHECK_EQ(ce_schedule_interval(&s, sp(3, 0, 0) +
	    182LL * 86400000), 60 * MIN);
	ATF_CHECK_EQ(ce_schedule_interval(&s, sp(21, 0, 0) +
	    3652LL * 86400000), 20 * MIN);
}

ATF_TC_WITHOUT_HEAD(interval__default_boundaries);
ATF_TC_BODY(interval__default_boundaries, tc)
{
	static const struct at tab[] = {
		{ 0, 0, 0, 60 * MIN }, { 7, 59, 59, 60 * MIN },
		{ 7, 59, 0, 60 * MIN }, { 8, 0, 0, 5 * MIN },
		{ 19, 59, 0, 5 * MIN }, { 19, 59, 59, 5 * MIN },
		{ 20, 0, 0, 20 * MIN }, { 22, 59, 0, 20 * MIN },
		{ 23, 0, 0, 60 * MIN }, { 23, 59, 59, 60 * MIN },
		{ 24, 0, 0, 60 * MIN },	/* the next midnight */
	};
	struct ce_schedule	 s;

	default_schedule(&s);
	check_at(&s, tab, sizeof(tab) / sizeof(tab[0]), ce_schedule_interval);
}

ATF_TC_WITHOUT_HEAD(hour__utc_minus_3);
ATF_TC_BODY(hour__utc_minus_3, tc)
{
	ATF_CHECK_EQ(ce_schedule_hour(0), 21);	/* 1970-01-01 00:00 UTC */
	ATF_CHECK_EQ(ce_schedule_hour(SP_MIDNIGHT), 0);
	ATF_CHECK_EQ(ce_schedule_hour(SP_MIDNIGHT - 1), 23);
	ATF_CHECK_EQ(ce_schedule_hour(sp(12, 0, 0)), 12);
	ATF_CHECK_EQ(ce_schedule_hour(-1000), 20);	/* before 1970 */
}

ATF_TC_WITHOUT_HEAD(wait__cut_at_business_hours);
ATF_TC_BODY(wait__cut_at_business_hours, tc)
{
	static const struct at tab[] = {
		{ 3, 0, 0, 60 * MIN },	/* night: the hour's interval */
		{ 7, 0, 0, 60 * MIN },	/* reaches 08:00 exactly */
		{ 7, 30, 0, 30 * MIN },	/* cut at 08:00 */
		{ 7, 59, 30, 30 * 1000 },
		{ 9, 0, 0, 5 * MIN },
		{ 19, 58, 0, 5 * MIN },	/* longer later: not cut */
		{ 21, 0, 0, 20 * MIN },
		{ 22, 50, 0, 20 * MIN },
		{ 23, 30, 0, 60 * MIN },
	};
	struct ce_schedule	 s;

	default_schedule(&s);
	check_at(&s, tab, sizeof(tab) / sizeof(tab[0]), ce_schedule_wait);
	/* A shorter interval hours away: no cut within a long interval
	 * that ends before it. */
	ATF_REQUIRE_EQ(ce_config_parse_schedule("10-11:1m,*:2h", &s), 0);
	ATF_CHECK_EQ(ce_schedule_wait(&s, sp(6, 0, 0)), 120 * MIN);
	ATF_CHECK_EQ(ce_schedule_wait(&s, sp(8, 15, 0)), 105 * MIN);
	ATF_CHECK_EQ(ce_schedule_wait(&s, sp(10, 0, 0)), MIN);
}

ATF_TC_WITHOUT_HEAD(parse__forms);
ATF_TC_BODY(parse__forms, tc)
{
	struct ce_schedule	 s;
	char			 buf[128];

	/* Wrapping past midnight, no catch-all: the ranges cover the day. */
	ATF_REQUIRE_EQ(ce_config_parse_schedule("22-06:1h, 06-22:10m", &s), 0);
	ATF_CHECK_EQ(ce_schedule_interval(&s, sp(23, 0, 0)), 60 * MIN);
	ATF_CHECK_EQ(ce_schedule_interval(&s, sp(5, 59, 0)), 60 * MIN);
	ATF_CHECK_EQ(ce_schedule_interval(&s, sp(6, 0, 0)), 10 * MIN);
	ATF_CHECK_EQ(ce_schedule_interval(&s, sp(21, 59, 0)), 10 * MIN);
	ATF_REQUIRE_EQ(ce_config_parse_schedule("0-24:250ms", &s), 0);
	ATF_CHECK_EQ(ce_schedule_interval(&s, sp(13, 0, 0)), 250);
	ATF_REQUIRE_EQ(ce_config_parse_schedule("*:1d", &s), 0);
	ATF_CHECK_EQ(ce_schedule_interval(&s, sp(13, 0, 0)), 86400000LL);
	ATF_REQUIRE_EQ(ce_config_parse_schedule("20-00:30s,*:90s", &s), 0);
	ATF_CHECK_EQ(ce_schedule_interval(&s, sp(23, 59, 0)), 30000);
	ATF_CHECK_EQ(ce_schedule_interval(&s, sp(0, 0, 0)), 90000);

	/* What the worker's log shows. */
	default_schedule(&s);
	ATF_CHECK_EQ(ce_schedule_format(&s, buf, sizeof(buf)),
	    strlen("00-08:1h,08-20:5m,20-23:20m,23-24:1h"));
	ATF_CHECK_STREQ(buf, "00-08:1h,08-20:5m,20-23:20m,23-24:1h");
	ce_schedule_fixed(&s, 1500);
	(void)ce_schedule_format(&s, buf, sizeof(buf));
	ATF_CHECK_STREQ(buf, "*:1500ms");
	/* Cut: the length it needed, the buffer terminated. */
	default_schedule(&s);
	ATF_CHECK(ce_schedule_format(&s, buf, 10) >= 10);
	ATF_CHECK_EQ(strlen(buf), 9);
}

ATF_TC_WITHOUT_HEAD(parse__errors);
ATF_TC_BODY(parse__errors, tc)
{
	static const char *const bad[] = {
		"", " ", ",", "*", "5m", "08-20", "08-20:", ":5m",
		"08-20:5m",			/* the day not covered */
		"08-20:5m,20-08",
		"08-20:5m,,*:60m",		/* empty item */
		"08-20:5m,*:60m,",
		"08-20:5m,10-12:1m,*:60m",	/* an hour named twice */
		"*:60m,08-20:5m",		/* the catch-all not last */
		"*:1m,*:2m",
		"08-08:5m,*:1h",		/* empty range */
		"00-00:5m", "0-0:1m",
		"24-08:5m,*:1h", "08-25:5m,*:1h", "8-20:5m;*:1h",
		"-1-20:5m,*:1h", "08--20:5m,*:1h", "008-20:5m,*:1h",
		"08-20:5x,*:1h", "08-20:-5m,*:1h", "08-20:5 m,*:1h",
		"08-20:99ms,*:1h",		/* below 100 ms */
		"08-20:0,*:1h",
		"08-20:2d,*:1h",		/* above a day */
		"08:20:5m,*:1h", "a-b:5m,*:1h", "08-20:5m *:1h",
	};
	struct ce_schedule	 s, before;
	size_t			 i;

	default_schedule(&s);
	before = s;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ATF_CHECK_EQ_MSG(ce_config_parse_schedule(bad[i], &s), -1,
		    "'%s' accepted", bad[i]);
		ATF_CHECK_MSG(memcmp(&s, &before, sizeof(s)) == 0,
		    "'%s' changed the schedule", bad[i]);
	}
}

static void
env_clear(void)
{
	unsetenv("POLL_SCHEDULE");
	unsetenv("POLL_INTERVAL");
	unsetenv("POLL_SCHEDULE_NOW");
	unsetenv("RUN_POLLER");
	unsetenv("API_AUTH");
	setenv("API_KEYS", KEY, 1);
}

ATF_TC_WITHOUT_HEAD(config__defaults_and_precedence);
ATF_TC_BODY(config__defaults_and_precedence, tc)
{
	struct ce_config	 c;
	char			 err[256];

	env_clear();
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.run_poller, 1);
	ATF_CHECK_EQ(c.poll_interval_ms, 0);
	ATF_CHECK_EQ(c.poll_schedule_now_s, 0);
	ATF_CHECK_EQ(ce_schedule_interval(&c.poll_schedule, sp(9, 0, 0)),
	    5 * MIN);
	ATF_CHECK_EQ(ce_schedule_interval(&c.poll_schedule, sp(3, 0, 0)),
	    60 * MIN);

	setenv("POLL_SCHEDULE", "*:2m", 1);
	setenv("POLL_SCHEDULE_NOW", "1796526000", 1);
	setenv("RUN_POLLER", "0", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(c.run_poller, 0);
	ATF_CHECK_EQ(c.poll_schedule_now_s, 1796526000LL);
	ATF_CHECK_EQ(ce_schedule_interval(&c.poll_schedule, sp(9, 0, 0)),
	    2 * MIN);

	/* POLL_INTERVAL alone, as the first services had it: all day. */
	env_clear();
	setenv("POLL_INTERVAL", "60s", 1);
	ATF_REQUIRE_EQ(ce_config_load(&c, err, sizeof(err)), CE_OK);
	ATF_CHECK_EQ(ce_schedule_interval(&c.poll_schedule, sp(9, 0, 0)),
	    60000);
	ATF_CHECK_EQ(ce_schedule_interval(&c.poll_schedule, sp(3, 0, 0)),
	    60000);

	/* Both: which one was meant is not guessed. */
	setenv("POLL_SCHEDULE", CE_POLL_SCHEDULE_DEFAULT, 1);
	ATF_CHECK_EQ(ce_config_load(&c, err, sizeof(err)), CE_ECONFIG);
	ATF_CHECK(strstr(err, "POLL_INTERVAL") != NULL);
	ATF_CHECK(strstr(err, "POLL_SCHEDULE") != NULL);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, interval__default_at_9_21_3);
	ATF_TP_ADD_TC(tp, interval__default_boundaries);
	ATF_TP_ADD_TC(tp, hour__utc_minus_3);
	ATF_TP_ADD_TC(tp, wait__cut_at_business_hours);
	ATF_TP_ADD_TC(tp, parse__forms);
	ATF_TP_ADD_TC(tp, parse__errors);
	ATF_TP_ADD_TC(tp, config__defaults_and_precedence);
	return 0;
}
