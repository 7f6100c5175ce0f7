/*
 * app/worker.h -- c2s-enrich --worker (worker.c): the background worker
 * of DESIGN.md section 2.  It claims one job at a time, runs it (a lead
 * through the pipeline, a Google Ads form through google.c), replays the
 * spool each turn, and sleeps on LISTEN c2s_jobs with a poll as the
 * fallback, until "stopping" returns non-zero (checked between jobs).
 */
#ifndef CE_APP_WORKER_H
#define CE_APP_WORKER_H

struct cx_app;

int		 cx_worker_run(struct cx_app *, int (*stopping)(void));

#endif /* CE_APP_WORKER_H */
