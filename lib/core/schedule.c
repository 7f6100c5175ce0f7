/*
 * schedule.c -- the poller's schedule: an interval for each hour of the
 * day in São Paulo (UTC-3, CE_SCHED_UTC_OFFSET_S), looked up at a UTC time
 * in milliseconds since the epoch that the caller passes (the worker its
 * clock, the tests any time).  config.c parses POLL_SCHEDULE into it.
 */
#include <stdio.h>

#include "core/schedule.h"

#define MS_PER_HOUR	(3600LL * 1000)
#define MS_PER_DAY	(24 * MS_PER_HOUR)

/* The São Paulo time of day of UTC time "utc_ms", in ms from midnight. */
static long long
local_ms(long long utc_ms)
{
	long long	 t;

	t = (utc_ms + CE_SCHED_UTC_OFFSET_S * 1000) % MS_PER_DAY;
	return t < 0 ? t + MS_PER_DAY : t;
}

/* The São Paulo hour (0 to 23) at UTC time "utc_ms". */
int
ce_schedule_hour(long long utc_ms)
{
	return (int)(local_ms(utc_ms) / MS_PER_HOUR);
}

/* The interval in ms the schedule gives at UTC time "utc_ms". */
long long
ce_schedule_interval(const struct ce_schedule *s, long long utc_ms)
{
	return s->ms[ce_schedule_hour(utc_ms)];
}

/*
 * How long, in ms, to wait at UTC time "utc_ms" before the next poll: the
 * interval of the hour, cut short at the start of a later hour that asks
 * for a shorter one (so that 07:30 with 60 min at night polls at 08:00,
 * when business hours begin, not at 08:30).  A longer interval later
 * never lengthens the wait already begun.
 */
long long
ce_schedule_wait(const struct ce_schedule *s, long long utc_ms)
{
	long long	 iv, to_next;
	int		 h, k;

	h = ce_schedule_hour(utc_ms);
	iv = s->ms[h];
	to_next = MS_PER_HOUR - local_ms(utc_ms) % MS_PER_HOUR;
	for (k = 1; k <= 24 && to_next < iv; k++, to_next += MS_PER_HOUR)
		if (s->ms[(h + k) % 24] < iv)
			return to_next;
	return iv;
}

/* Every hour the same interval "ms" (POLL_INTERVAL). */
void
ce_schedule_fixed(struct ce_schedule *s, long long ms)
{
	int	 h;

	for (h = 0; h < 24; h++)
		s->ms[h] = ms;
}

/* "ms" in the largest unit that divides it: 300000 is "5m". */
static int
dur_format(long long ms, char *buf, size_t sz)
{
	if (ms % MS_PER_HOUR == 0)
		return snprintf(buf, sz, "%lldh", ms / MS_PER_HOUR);
	if (ms % 60000 == 0)
		return snprintf(buf, sz, "%lldm", ms / 60000);
	if (ms % 1000 == 0)
		return snprintf(buf, sz, "%llds", ms / 1000);
	return snprintf(buf, sz, "%lldms", ms);
}

/*
 * The schedule in POLL_SCHEDULE's syntax, one range per run of hours of
 * the same interval ("00-08:1h,08-20:5m,20-23:20m,23-24:1h"; "*:60s" when
 * every hour has the same), into "buf".  Returns the length it needed, as
 * snprintf does: "sz" or more means it was cut.
 */
size_t
ce_schedule_format(const struct ce_schedule *s, char *buf, size_t sz)
{
	char		 d[32];
	size_t		 n = 0;
	int		 h, e, r;

	if (sz > 0)
		buf[0] = '\0';
	for (h = 0; h < 24; h = e) {
		for (e = h + 1; e < 24 && s->ms[e] == s->ms[h]; e++)
			continue;
		(void)dur_format(s->ms[h], d, sizeof(d));
		if (h == 0 && e == 24)
			r = snprintf(buf, sz, "*:%s", d);
		else
			r = snprintf(n < sz ? buf + n : NULL,
			    n < sz ? sz - n : 0, "%s%02d-%02d:%s",
			    h == 0 ? "" : ",", h, e, d);
		if (r < 0)
			return sz;
		n += (size_t)r;
	}
	return n;
}
