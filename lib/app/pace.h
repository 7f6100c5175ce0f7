/*
 * app/pace.h -- WORK_API_MIN_INTERVAL between Work API calls made with
 * one token (pace.c): the next free slot is reserved in PostgreSQL for
 * every machine sharing the token, and the shared file of this machine
 * (shared/spacing.c) learns it; only without the database does the file
 * reserve, for the processes of this machine.
 */
#ifndef CE_APP_PACE_H
#define CE_APP_PACE_H

struct cx_app;

long long	 cx_pace_reserve(struct cx_app *, long long max_wait_ms);

#endif /* CE_APP_PACE_H */
