/*
 * worker.c -- c2s-enrich --worker: the background worker of DESIGN.md
 * section 2.  It owns the job loop: it turns leads due again into jobs
 * (RETRY_SCHEDULE, notes still to post, runs whose process died), claims
 * one job at a time with FOR UPDATE SKIP LOCKED, runs it (a lead through
 * the pipeline, a Google Ads form through google.c), and sleeps on
 * LISTEN c2s_jobs with a poll as the fallback.  Each turn it first
 * replays the spool (spool.c): requests answered 202 while PostgreSQL
 * was down.  With RUN_POLLER=1 (the default) it also
 * queues the newest C2S leads never seen, under an advisory lock so that
 * one poller runs across machines, as often as POLL_SCHEDULE says for the
 * hour in São Paulo (core/schedule.c).  Every PRUNE_INTERVAL it prunes what is
 * older than RETENTION_DAYS (webhook events, finished jobs, Google Ads
 * forms' raw payloads), PRUNE_BATCH rows a statement, each statement its
 * own short transaction, so that a million old rows never hold a lock for
 * long; at most PRUNE_TURN statements of a kind a turn, the rest in the
 * next turns, so that jobs are not kept waiting behind a large backlog.  A lost database is waited for with a capped back-off; a job in
 * hand when SIGTERM arrives is finished first.  A job taken more than
 * JOB_MAX_TRIES times (each try but the last died with its worker) is
 * given up, and its lead failed, so that it is never run again.
 */
#include <sys/select.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/brid.h"
#include "core/call.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/lead.h"
#include "core/log.h"
#include "core/schedule.h"
#include "core/util.h"
#include "shared/metrics.h"
#include "app/alert.h"
#include "app/app.h"
#include "app/claim.h"
#include "app/google.h"
#include "app/leadrun.h"
#include "app/pipeline.h"
#include "app/spool.h"
#include "app/store.h"
#include "app/upstream.h"
#include "app/webhook.h"
#include "app/worker.h"

#define BACKOFF_MIN_MS	500
#define BACKOFF_MAX_MS	30000
#define PRUNE_BATCH	10000	/* rows a pruning statement takes at most */
#define PRUNE_TURN	10	/* statements of a kind in one turn */

struct worker {
	struct cx_app	*app;
	int		(*stopping)(void);
	sigset_t	 stops;		/* the stop signals, blocked but in waits */
	sigset_t	 open;		/* the mask in a wait: the caller's */
	int		 listening;
	unsigned	 listen_gen;	/* cx_store_resets() when it listened */
	int		 poller;	/* holds the poller lock */
	unsigned	 poller_gen;
	long long	 poll_iv_ms;	/* the schedule's interval last logged */
	long long	 next_poll_us, next_prune_us;
	long long	 backoff_ms;
	unsigned long long jobs;
};

/* Sleep "ms", or less if a stop signal comes (even one that came since
 * the last check: it was blocked, pselect opens the mask). */
static void
nap(struct worker *w, long long ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	(void)pselect(0, NULL, NULL, NULL, &ts, &w->open);
}

/*
 * Let a stop signal that came during the turn be handled now, then block
 * them again until the next wait: a signal between the check of
 * stopping() and a wait would otherwise sleep the whole wait.
 */
static void
signals_window(struct worker *w)
{
	(void)sigprocmask(SIG_SETMASK, &w->open, NULL);
	(void)sigprocmask(SIG_BLOCK, &w->stops, NULL);
}

/* The database failed: wait a little longer each time. */
static void
backoff(struct worker *w)
{
	w->listening = 0;
	w->backoff_ms = w->backoff_ms == 0 ? BACKOFF_MIN_MS :
	    w->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    w->backoff_ms * 2;
	cx_logf(&w->app->log, CE_LOG_WARN,
	    "worker: database unavailable; next try "
	    "in %lld ms", w->backoff_ms);
	nap(w, w->backoff_ms);
}

/*
 * The poller's next run at monotonic time "now" (us): POLL_SCHEDULE's wait
 * for the São Paulo hour of the wall clock (or of POLL_SCHEDULE_NOW, the
 * tests' fixed clock).  The log says each change of interval.
 */
static long long
poll_next(struct worker *w, long long now)
{
	struct cx_app	*app = w->app;
	long long	 utc_ms, wait_ms, iv_ms;
	int		 change;

	utc_ms = app->cfg.poll_schedule_now_s != 0 ?
	    app->cfg.poll_schedule_now_s * 1000 : cx_wall_ms();
	wait_ms = ce_schedule_wait(&app->cfg.poll_schedule, utc_ms);
	iv_ms = ce_schedule_interval(&app->cfg.poll_schedule, utc_ms);
	change = iv_ms != w->poll_iv_ms;
	w->poll_iv_ms = iv_ms;
	/* Whole seconds in s, else in ms (the tests' short intervals). */
	cx_logf(&app->log, change ? CE_LOG_INFO : CE_LOG_DEBUG,
	    "poller: next poll in %lld %s (%s %lld %s, %02d h in Sao Paulo)",
	    wait_ms % 1000 == 0 ? wait_ms / 1000 : wait_ms,
	    wait_ms % 1000 == 0 ? "s" : "ms",
	    change ? "interval now" : "interval",
	    iv_ms % 1000 == 0 ? iv_ms / 1000 : iv_ms,
	    iv_ms % 1000 == 0 ? "s" : "ms", ce_schedule_hour(utc_ms));
	return now + wait_ms * 1000;
}

/*
 * The poller: as often as the schedule says, the newest C2S leads never
 * seen become jobs.  Only the worker holding the advisory lock polls; the lock lives
 * with the session, so a reconnect means asking for it again.
 */
static void
poll_c2s(struct worker *w)
{
	struct cx_app	*app = w->app;
	struct ce_call	 c;
	long long	 now = cx_now_us(), n, retry;

	if (!app->cfg.run_poller || now < w->next_poll_us)
		return;
	w->next_poll_us = poll_next(w, now);
	if (!w->poller || w->poller_gen != cx_store_resets(app->db)) {
		if (cx_store_poller_lock(app->db, &w->poller) != CE_OK)
			return;
		w->poller_gen = cx_store_resets(app->db);
		if (!w->poller) {
			/*
			 * Ask again at the next turn whatever the schedule
			 * (one try-lock query): the night's interval is an
			 * hour, and a poller that died is to be replaced
			 * before then.
			 */
			retry = app->cfg.worker_poll_ms * 1000;
			if (w->next_poll_us - now > retry)
				w->next_poll_us = now + retry;
			cx_logf(&app->log, CE_LOG_DEBUG,
			    "poller: another worker "
			    "polls");
			return;
		}
		cx_logf(&app->log, CE_LOG_INFO,
		    "poller: this worker polls C2S");
	}
	memset(&c, 0, sizeof(c));
	c.kind = CE_CALL_C2S_LIST;
	c.arg = "50";
	if (cx_upstream_one(app, &c, cx_deadline(app)) != CE_UP_OK) {
		cx_logf(&app->log, CE_LOG_WARN, "poller: C2S lead list: %s",
		    ce_up_name(c.res));
		return;
	}
	if (cx_store_poll_queue(app->db, &c.list, &n) != CE_OK)
		return;
	if (n > 0) {
		cx_logf(&app->log, CE_LOG_INFO,
		    "poller: %lld new leads of %zu queued",
		    n, c.list.n);
		(void)cx_store_notify(app->db, "lead");
	} else
		cx_logf(&app->log, CE_LOG_DEBUG, "poller: no new lead in %zu",
		    c.list.n);
}

/* Was lead "lid" run after job "id" was queued (so the run covered it)? */
static int
covered(struct cx_app *app, const char *lid, const char *id)
{
	int	 yes;

	if (cx_store_lead_covered(app->db, lid, id, &yes) != CE_OK)
		return -1;
	return yes;
}

/*
 * Run lead job "ref"; "result" gets what became of it.  Returns 0 when the
 * job is over, or the milliseconds after which it must run again (the
 * database failed, or the lead is in flight elsewhere and that run began
 * before this job was queued).
 */
static long long
job_lead(struct worker *w, const char *id, const char *ref,
    const char *source, char *result, size_t rsz, char *error, size_t esz)
{
	struct cx_app	*app = w->app;
	struct cx_run	 run;
	struct cx_claim	 cl;
	char		 lid[33];
	int		 flags = strcmp(source, "retry") == 0 ? CX_RUN_RETRY : 0;
	int		 cov;

	if (!ce_lead_id_norm(ref, lid)) {
		ce_strlcpy(result, "invalid", rsz);
		return 0;
	}
again:
	if (cx_lead_run(app, lid, source, flags, &run, &cl) != CE_OK) {
		ce_strlcpy(result, "claim_failed", rsz);
		ce_strlcpy(error, "database: cannot claim the lead", esz);
		return BACKOFF_MAX_MS;
	}
	if (cl.dup != CX_DUP_NONE) {
		/*
		 * Run elsewhere: if that run began after this job was queued,
		 * it read the lead as this job would; else this job must
		 * still run, after it (in flight) or now (done).
		 */
		if ((cov = covered(app, lid, id)) == -1) {
			ce_strlcpy(result, "db_error", rsz);
			return BACKOFF_MAX_MS;
		}
		/* A spooled trigger ('api'): a lead done within DEDUP_TTL
		 * is what its route would have answered (a duplicate). */
		if (cov || (flags & CX_RUN_RETRY) || (cl.dup == CX_DUP_DONE &&
		    strcmp(source, "api") == 0)) {
			ce_strlcpy(result, cl.dup == CX_DUP_INFLIGHT ?
			    "inflight" : "duplicate", rsz);
			return 0;
		}
		if (cl.dup == CX_DUP_INFLIGHT) {
			ce_strlcpy(result, "after_inflight", rsz);
			return app->cfg.request_deadline_ms + 5000;
		}
		flags |= CX_RUN_REDO;
		goto again;
	}
	ce_strlcpy(result, cx_outcome_name(run.outcome), rsz);
	ce_strlcpy(error, run.error, esz);
	cx_run_free(&run);
	/* Stopped on the database: the lead's own retry mark may not be
	 * written, so the job stays. */
	return run.ret == CE_EDB ? BACKOFF_MAX_MS : 0;
}

/*
 * Lead job "ref" is given up: fail its lead, left 'processing' by the
 * runs that died, so that it is not due again (else a lead that kills
 * its worker would run, and pay, every twice JOB_TIMEOUT for ever).  A
 * database failure is logged; the job is then taken, and given up, again.
 */
static void
lead_gave_up(struct cx_app *app, const char *ref, const char *why)
{
	char	 lid[33];

	if (!ce_lead_id_norm(ref, lid))
		return;
	if (cx_store_lead_gave_up(app->db, lid, why) != CE_OK)
		cx_logf(&app->log, CE_LOG_ERROR,
		    "lead %s: given up but not marked "
		    "failed", lid);
}

/*
 * Claim and run the next job.  Returns 1 when one ran, 0 when none is
 * due, -1 when the database failed.
 */
static int
job_next(struct worker *w)
{
	struct cx_app	*app = w->app;
	struct cx_job	 job;
	char		 result[32] = "", error[200] = "";
	long long	 t0, later = 0;
	int		 failed = 0, found;

	if (cx_store_job_claim(app->db, app->owner, app->cfg.job_timeout_ms,
	    &job, &found) != CE_OK)
		return -1;
	if (!found)
		return 0;
	t0 = cx_now_us();
	snprintf(app->log.reqid, sizeof(app->log.reqid), "job-%s", job.id);
	w->jobs++;
	if (job.tries > app->cfg.job_max_tries) {
		/* Every try so far died with its worker: stop trying. */
		failed = 1;
		ce_strlcpy(result, "gave_up", sizeof(result));
		snprintf(error, sizeof(error), "the job was taken %lld times "
		    "and never finished", job.tries - 1);
		if (strcmp(job.kind, "lead") == 0)
			lead_gave_up(app, job.ref, error);
	} else if (strcmp(job.kind, "lead") == 0)
		later = job_lead(w, job.id, job.ref, job.source, result,
		    sizeof(result), error, sizeof(error));
	else if (cx_google_job(app, job.ref, result, sizeof(result), error,
	    sizeof(error)) == -1)
		later = BACKOFF_MAX_MS;
	if (later > 0 && cx_store_job_again(app->db, job.kind, job.ref,
	    job.source, later) != CE_OK) {
		/* Left running: taken again after JOB_TIMEOUT. */
		cx_logf(&app->log, CE_LOG_ERROR,
		    "job %s: %s; not queued again, it "
		    "will be taken again after JOB_TIMEOUT", job.id, result);
		app->log.reqid[0] = '\0';
		return -1;
	}
	cx_logf(&app->log, failed ? CE_LOG_ERROR : CE_LOG_INFO,
	    "job %s: %s from %s, "
	    "try %lld: %s in %lld ms%s", job.id, job.kind, job.source,
	    job.tries, result, (cx_now_us() - t0) / 1000,
	    later > 0 ? "; queued again" : "");
	if (cx_store_job_finish(app->db, job.id, app->owner, failed, result,
	    error) != CE_OK)
		cx_logf(&app->log, CE_LOG_ERROR,
		    "job %s: finished but not recorded; "
		    "it will be taken again after JOB_TIMEOUT", job.id);
	app->log.reqid[0] = '\0';
	return 1;
}

/*
 * Prune each kind of sql/0012's c2s.prune_batch() older than
 * RETENTION_DAYS, a batch at a time until one comes back short, for at
 * most PRUNE_TURN batches of a kind (or until SIGTERM).  Returns 0 when
 * all is pruned, 1 when some is left for the next turn, or -1 when the
 * database failed (what is left is pruned next time).
 */
static int
prune(struct worker *w)
{
	static const char *const what[] = { "webhook_events", "jobs",
	    "google_payloads" };
	struct cx_app	*app = w->app;
	long long	 n, total;
	size_t		 i;
	int		 k, left = 0;

	for (i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		total = 0;
		k = 0;
		do {
			if (cx_store_prune(app->db, what[i],
			    app->cfg.retention_days, PRUNE_BATCH, &n) != CE_OK)
				return -1;
			total += n;
		} while (n == PRUNE_BATCH && ++k < PRUNE_TURN &&
		    !w->stopping());
		if (n == PRUNE_BATCH)
			left = 1;
		if (total > 0)
			cx_logf(&app->log, CE_LOG_INFO,
			    "worker: pruned %lld %s older "
			    "than %lld days%s", total, what[i],
			    app->cfg.retention_days,
			    n == PRUNE_BATCH ? " (more next turn)" : "");
	}
	return left;
}

/* The spool's replay stores webhooks and forms as their routes do. */
static const struct cx_spool_sinks sinks = {
	cx_webhook_store, cx_google_store,
};

/* The housekeeping of one turn: due retries, the poller, pruning. */
static int
chores(struct worker *w)
{
	struct cx_app	*app = w->app;
	long long	 n, now = cx_now_us();
	int		 r;

	/* What the spool holds first: the requests came before. */
	if (cx_spool_replay(app, &sinks) == -1)
		return -1;
	if (cx_store_retries_due(app->db, 2 * app->cfg.job_timeout_ms,
	    &n) != CE_OK)
		return -1;
	if (n > 0) {
		cx_logf(&app->log, CE_LOG_INFO,
		    "worker: %lld leads due again queued",
		    n);
		(void)cx_store_notify(app->db, "lead");
	}
	poll_c2s(w);
	cx_alert_turn(app);	/* the operators' alerts (alert.c) */
	if (now >= w->next_prune_us) {
		w->next_prune_us = now + app->cfg.prune_interval_ms * 1000;
		if ((r = prune(w)) == -1)
			return -1;
		if (r == 1)	/* more: again next turn, after a job */
			w->next_prune_us = now;
	}
	return 0;
}

/*
 * Nothing to do this turn: wait for a notification until the poll
 * interval, the poller's next run or the next pruning (at once when
 * some is left over from this turn), whichever comes first.  A failed
 * wait makes the next turn LISTEN again.
 */
static void
idle(struct worker *w)
{
	struct cx_app	*app = w->app;
	long long	 wait_ms, prune_us;

	wait_ms = app->cfg.worker_poll_ms;
	if (app->cfg.run_poller && (w->next_poll_us - cx_now_us()) /
	    1000 < wait_ms)
		wait_ms = (w->next_poll_us - cx_now_us()) / 1000;
	/* A PRUNE_INTERVAL shorter than WORKER_POLL_INTERVAL is kept
	 * (rounded up: no turn a millisecond early). */
	prune_us = w->next_prune_us - cx_now_us();
	if (prune_us <= 0)
		wait_ms = 0;
	else if ((prune_us + 999) / 1000 < wait_ms)
		wait_ms = (prune_us + 999) / 1000;
	if (wait_ms > 0 && cx_store_wait(app->db, wait_ms, &w->open) == -1)
		w->listening = 0;
}

/* The poller's schedule, said once at start. */
static void
log_schedule(struct cx_app *app)
{
	char	 s[256];

	if (ce_schedule_format(&app->cfg.poll_schedule, s, sizeof(s)) >=
	    sizeof(s))
		ce_strlcpy(s, "(too long to show)", sizeof(s));
	cx_logf(&app->log, CE_LOG_INFO, "poller: schedule %s (Sao Paulo "
	    "hours, UTC-3; %s)", s, app->cfg.poll_interval_ms != 0 ?
	    "POLL_INTERVAL all day" : "POLL_SCHEDULE");
	if (app->cfg.poll_schedule_now_s != 0)
		cx_logf(&app->log, CE_LOG_WARN, "poller: the schedule reads "
		    "POLL_SCHEDULE_NOW, a fixed time, not the clock: for "
		    "tests only");
}

int
cx_worker_run(struct cx_app *app, int (*stopping)(void))
{
	struct worker	 w;
	int		 r;

	memset(&w, 0, sizeof(w));
	w.app = app;
	w.stopping = stopping;
	sigemptyset(&w.stops);
	sigaddset(&w.stops, SIGTERM);
	sigaddset(&w.stops, SIGINT);
	if (sigprocmask(SIG_BLOCK, &w.stops, &w.open) == -1) {
		cx_logf(&app->log, CE_LOG_ERROR, "worker: sigprocmask: %s",
		    strerror(errno));
		return -1;
	}
	app->worker = 1;
	cx_mtab_join(&app->mtab);
	cx_logf(&app->log, CE_LOG_INFO, "worker %s started (poll %lld ms, job "
	    "timeout %lld ms, poller %s)", app->owner, app->cfg.worker_poll_ms,
	    app->cfg.job_timeout_ms, app->cfg.run_poller ? "on" : "off");
	if (app->cfg.run_poller)
		log_schedule(app);
	for (signals_window(&w); !stopping(); signals_window(&w)) {
		cx_mtab_sample(&app->mtab);
		/* LISTEN first, so no notification falls between a claim
		 * that found nothing and the wait. */
		if (!w.listening || w.listen_gen != cx_store_resets(app->db)) {
			if (cx_store_listen(app->db) != CE_OK) {
				backoff(&w);
				continue;
			}
			w.listening = 1;
			w.listen_gen = cx_store_resets(app->db);
		}
		if (chores(&w) == -1) {
			backoff(&w);
			continue;
		}
		if ((r = job_next(&w)) == -1) {
			backoff(&w);
			continue;
		}
		if (w.backoff_ms != 0) {
			cx_logf(&app->log, CE_LOG_INFO,
			    "worker: database back");
			w.backoff_ms = 0;
		}
		if (r == 1)
			continue;
		idle(&w);
	}
	cx_logf(&app->log, CE_LOG_INFO, "worker %s stopping after %llu jobs",
	    app->owner, w.jobs);
	(void)sigprocmask(SIG_SETMASK, &w.open, NULL);
	return 0;
}
