/*
 * core/clock.h -- the clocks (clock.c): monotonic microseconds for
 * durations and deadlines (cx_now_us, and ce_now_us for the API), and
 * the wall clock in milliseconds for times kept in the shared file.
 */
#ifndef CE_CORE_CLOCK_H
#define CE_CORE_CLOCK_H

long long	 ce_now_us(void);
long long	 cx_now_us(void);
long long	 cx_wall_ms(void);

#endif /* CE_CORE_CLOCK_H */
