/*
 * core/schedule.h -- the poller's schedule (schedule.c): an interval for
 * each hour of the day in São Paulo (POLL_SCHEDULE, parsed by config.c),
 * read at a given UTC time.  Pure: the time is always the caller's, so a
 * test injects any clock it likes.
 */
#ifndef CE_CORE_SCHEDULE_H
#define CE_CORE_SCHEDULE_H

#include <stddef.h>

/*
 * America/Sao_Paulo as a fixed offset from UTC: Brazil has kept no
 * daylight saving time since 2019 (Decree 9,772), so São Paulo is UTC-3
 * all year.  No tz database is read: the image (debian:bookworm-slim)
 * need not carry tzdata, and a process-wide TZ would be global state.
 * Should Brazil bring DST back, this is the one line to change.
 */
#define CE_SCHED_UTC_OFFSET_S	(-3 * 3600LL)

struct ce_schedule {
	long long	 ms[24];	/* the interval of each local hour */
};

int		 ce_schedule_hour(long long);
long long	 ce_schedule_interval(const struct ce_schedule *, long long);
long long	 ce_schedule_wait(const struct ce_schedule *, long long);
void		 ce_schedule_fixed(struct ce_schedule *, long long);
size_t		 ce_schedule_format(const struct ce_schedule *, char *, size_t);

#endif /* CE_CORE_SCHEDULE_H */
