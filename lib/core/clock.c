/*
 * clock.c -- the clocks: monotonic microseconds for durations and
 * deadlines (cx_now_us, and ce_now_us for the API), and the wall clock
 * in milliseconds for times kept in the shared file.
 */
#include <time.h>

#include "core/clock.h"

long long
cx_now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * The wall clock in ms since the epoch: for times kept in the shared file
 * (dedup expiry, breakers, Work API slots), which may outlive a boot and
 * are compared with the database's clock_timestamp().
 */
long long
cx_wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long
ce_now_us(void)
{
	return cx_now_us();
}
