/*
 * backfill.c -- c2s-enrich --backfill: the leads a firm had in C2S before
 * the service, enriched by the worker.  It walks C2S's lead list
 * (GET /integration/leads?perpage=50&page=P&sort=-created_at) newest
 * first, skips what was created after the range, stops at the first lead
 * created before it, and hands each page's leads in range to one
 * statement (sql/0016) that queues those never seen (no lead, no job, not
 * backfilled before) as jobs of source 'backfill' and moves the
 * checkpoint.  Grouping: the newest lead of a phone never backfilled runs
 * at once, the person's older leads REQUEST_DEADLINE + 5 s later, so that
 * whichever worker takes them finds the person's dossier stored
 * (DOSSIER_MAX_AGE) and pays for no second one; the Work API's spacing
 * is the worker's, as for every job, and the worker takes a backfill's
 * jobs only when no other is due (store.c's JOB_CLAIM).  One backfill at a time (a session
 * lock); a run of the same range resumes the unfinished one at the page
 * before the first one not done (a page of overlap: leads deleted in C2S
 * meanwhile shift the pages up).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/call.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/util.h"
#include "app/app.h"
#include "app/backfill.h"
#include "app/store.h"
#include "app/upstream.h"

#define PERPAGE		50
#define PERPAGE_S	"50"
/*
 * São Paulo: UTC-3, no DST since 2019; a run's days are then set by the
 * database's rules for the zone (sp_range()).
 */
#define SP_OFFSET_S	(3 * 3600)

/* "n" digits of "s" as a number into *v: 0, or -1 if one is no digit. */
static int
digits(const char *s, int n, int *v)
{
	*v = 0;
	while (n-- > 0) {
		if (*s < '0' || *s > '9')
			return -1;
		*v = *v * 10 + (*s++ - '0');
	}
	return 0;
}

/*
 * A calendar date y-m-d at hh:mm:ss as Unix seconds, UTC; -1 when it is
 * no real date (2026-02-30) or out of range.
 */
static long long
utc_secs(int y, int mo, int d, int h, int mi, int s)
{
	struct tm	 tm;
	time_t		 t;

	if (y < 1970 || y > 2999 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || s > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	if ((t = timegm(&tm)) == (time_t)-1 || tm.tm_mday != d ||
	    tm.tm_mon != mo - 1)
		return -1;
	return (long long)t;
}

/*
 * "YYYY-MM-DD", a day in São Paulo time: its first second as Unix
 * seconds in *start.  Returns 0, or -1 when it is no such date.
 */
int
ce_backfill_day(const char *s, long long *start)
{
	int	 y, mo, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    digits(s, 4, &y) == -1 || digits(s + 5, 2, &mo) == -1 ||
	    digits(s + 8, 2, &d) == -1 ||
	    (*start = utc_secs(y, mo, d, 0, 0, 0)) == -1)
		return -1;
	*start += SP_OFFSET_S;
	return 0;
}

/*
 * An ISO-8601 time as C2S writes it ("2026-03-01T10:02:03-03:00", with
 * or without fractions, "Z", "+0000" or no offset: São Paulo's) as Unix
 * seconds; -1 when unreadable.
 */
static long long
iso_secs(const char *s)
{
	int		 y, mo, d, h, mi, sec, oh, om, sign;
	long long	 t;

	if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' ||
	    digits(s, 4, &y) == -1 || digits(s + 5, 2, &mo) == -1 ||
	    digits(s + 8, 2, &d) == -1 || digits(s + 11, 2, &h) == -1 ||
	    digits(s + 14, 2, &mi) == -1 || digits(s + 17, 2, &sec) == -1 ||
	    (t = utc_secs(y, mo, d, h, mi, sec)) == -1)
		return -1;
	s += 19;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			continue;
	if (*s == '\0')
		return t + SP_OFFSET_S;
	if ((*s == 'Z' || *s == 'z') && s[1] == '\0')
		return t;
	if (*s != '+' && *s != '-')
		return -1;
	sign = *s++ == '-' ? 1 : -1;
	if (digits(s, 2, &oh) == -1)
		return -1;
	s += 2;
	if (*s == ':')
		s++;
	if (digits(s, 2, &om) == -1 || s[2] != '\0' || oh > 14 || om > 59)
		return -1;
	return t + sign * (oh * 3600LL + om * 60);
}

/* Unix seconds "t" as a São Paulo day, into "buf". */
static void
sp_day(long long t, char *buf, size_t sz)
{
	struct tm	 tm;
	time_t		 v = (time_t)(t - SP_OFFSET_S);

	if (t < 0 || gmtime_r(&v, &tm) == NULL ||
	    strftime(buf, sz, "%Y-%m-%d", &tm) == 0)
		ce_strlcpy(buf, "-", sz);
}

/* This run's leads a second. */
static double
rate(const struct ce_backfill_progress *p)
{
	return p->elapsed_ms > 0 ? p->read * 1000.0 / p->elapsed_ms : 0.0;
}

/*
 * The progress line: page, leads seen, queued, already known, the rate
 * (leads read a second), the ETA from the list's total when C2S says it
 * (else "-"), and the day reached.  No newline.
 */
void
ce_backfill_line(const struct ce_backfill_progress *p, char *buf, size_t sz)
{
	char		 eta[32] = "-", day[16];
	long long	 left, s;
	double		 r = rate(p);

	left = p->total - p->page * PERPAGE;
	if (p->total >= 0 && r > 0.0) {
		s = left > 0 ? (long long)(left / r + 0.5) : 0;
		if (s >= 3600)
			snprintf(eta, sizeof(eta), "%lldh%02lldm", s / 3600,
			    s / 60 % 60);
		else if (s >= 60)
			snprintf(eta, sizeof(eta), "%lldm%02llds", s / 60,
			    s % 60);
		else
			snprintf(eta, sizeof(eta), "%llds", s);
	}
	sp_day(p->reached, day, sizeof(day));
	snprintf(buf, sz, "backfill: page %lld: %lld seen, %lld queued, "
	    "%lld already known, %.0f leads/s, ETA %s, at %s", p->page,
	    p->seen, p->queued, p->known, r, eta, day);
}

/* The final line: what the backfill came to over all its runs. */
void
ce_backfill_summary(const struct ce_backfill_progress *p, char *buf,
    size_t sz)
{
	char	 from[16], to[16], undated[96] = "";

	/* A day starts at 02:00 or 03:00 UTC: an hour later is that day. */
	sp_day(p->since + 3600, from, sizeof(from));
	sp_day(p->until - 1, to, sizeof(to));
	if (p->undated > 0)
		snprintf(undated, sizeof(undated), ", %lld undated (no "
		    "readable created_at, not queued)", p->undated);
	snprintf(buf, sz, "backfill %s: %s to %s: %lld seen, %lld queued, "
	    "%lld already known; this run: %lld pages from page %lld, %lld "
	    "leads read in %.1f s (%.0f leads/s), %lld queued after the "
	    "newest lead of their phone%s%s", p->done ? "done" : "stopped",
	    from, to, p->seen, p->queued, p->known, p->pages, p->first_page,
	    p->read, p->elapsed_ms / 1000.0, rate(p), p->later, undated,
	    p->done ? "" : "; run it again to resume");
}

/*
 * The leads of "ls" created in [since, until) into "pg" (newest first);
 * those after it counted in p->newer, those without a readable
 * created_at (never queued: the range cannot hold them) in p->undated,
 * the oldest created_at read in p->reached.  Returns 1 when a lead older
 * than "since" was met: the walk is over.
 */
static int
in_range(const struct ce_lead_list *ls, struct ce_backfill_progress *p,
    struct cx_backfill_page *pg)
{
	long long	 t;
	size_t		 i;

	pg->n = 0;
	pg->last_created = -1;
	for (i = 0; i < ls->n; i++) {
		t = ls->created[i][0] != '\0' ? iso_secs(ls->created[i]) : -1;
		p->read++;
		if (t < 0) {
			p->undated++;
			continue;
		}
		p->reached = t;
		if (t >= p->until) {
			p->newer++;
			continue;
		}
		if (t < p->since)
			return 1;
		pg->id[pg->n] = ls->id[i];
		pg->phone[pg->n] = ls->phone[i];
		pg->created[pg->n] = t;
		pg->last_created = t;
		pg->n++;
	}
	return 0;
}

/*
 * Page "page" of the list into "c"; CE_UP_OK, else "err" says why.  A
 * page that starts with the first lead of the page before ("prev") means
 * C2S ignored page=: an error, not a walk that never ends.
 */
static int
fetch(struct cx_app *app, long long page, const char *prev, struct ce_call *c,
    char *err, size_t errsz)
{
	char	 pg[24];

	snprintf(pg, sizeof(pg), "%lld", page);
	memset(c, 0, sizeof(*c));
	c->kind = CE_CALL_C2S_LIST;
	c->arg = PERPAGE_S;
	c->arg2 = pg;
	if (cx_upstream_one(app, c, cx_deadline(app)) != CE_UP_OK) {
		snprintf(err, errsz, "C2S lead list, page %lld: %s%s (HTTP "
		    "%ld, %d attempts) at %s", page, ce_up_name(c->res),
		    c->res == CE_UP_DOWN && c->status == 0 ? ", unreachable" :
		    "", c->status, c->attempts, app->cfg.c2s_base_url);
		return -1;
	}
	if (prev[0] != '\0' && c->list.n > 0 &&
	    strcmp(c->list.id[0], prev) == 0) {
		snprintf(err, errsz, "C2S lead list: page %lld starts as the "
		    "page before it (is page= ignored?)", page);
		return -1;
	}
	return 0;
}

/*
 * The range of "o" by São Paulo's own rules into *since and *until: its
 * days were read at UTC-3 (ce_backfill_day(), before any database);
 * PostgreSQL moves each day's start to that day's offset (summer time
 * until 2019), as GET /api/v1/leads reads a day.  An "until" not given
 * (now) stays.  Returns 0, or -1 with "err" set.
 */
static int
sp_range(struct cx_app *app, const struct ce_backfill_opts *o,
    long long *since, long long *until, char *err, size_t errsz)
{
	char	 day[16];

	*until = o->until;
	sp_day(o->since, day, sizeof(day));
	if (cx_store_sp_day_start(app->db, day, since) != CE_OK)
		goto fail;
	/* "until" given: the start of the day after it. */
	sp_day(o->until, day, sizeof(day));
	if (o->until_given &&
	    cx_store_sp_day_start(app->db, day, until) != CE_OK)
		goto fail;
	return 0;
fail:
	snprintf(err, errsz, "database: the days' bounds not read");
	return -1;
}

/*
 * The one-backfill lock is the session's: a reconnect since "*gen"
 * (cx_store_resets()) lost it.  Take it again then.  Returns 0 (held),
 * or -1 with "err" set (the database failed, or another run has it).
 */
static int
lock_kept(struct cx_app *app, unsigned *gen, char *err, size_t errsz)
{
	int	 held;

	if (cx_store_resets(app->db) == *gen)
		return 0;
	if (cx_store_backfill_lock(app->db, &held) != CE_OK) {
		snprintf(err, errsz, "database: the backfill's lock not taken "
		    "again after a reconnect; run again to resume");
		return -1;
	}
	if (!held) {
		snprintf(err, errsz, "the backfill's lock was lost on a "
		    "reconnect and another backfill is running");
		return -1;
	}
	*gen = cx_store_resets(app->db);
	return 0;
}

enum ce_backfill_end
cx_backfill_run(struct cx_app *app, const struct ce_backfill_opts *o,
    char *err, size_t errsz)
{
	struct ce_backfill_progress	 p;
	struct cx_backfill_row		 b;
	struct cx_backfill_page		 pg;
	struct ce_call			 c;
	char				 prev[33] = "";
	long long			 t0 = cx_now_us(), page, q, later;
	long long			 undated, since, until;
	unsigned			 gen;
	int				 held, over;

	memset(&p, 0, sizeof(p));
	memset(&pg, 0, sizeof(pg));
	err[0] = '\0';
	if (cx_store_backfill_lock(app->db, &held) != CE_OK) {
		snprintf(err, errsz, "database unavailable (DB_URL)");
		return CE_BACKFILL_FAILED;
	}
	if (!held) {
		snprintf(err, errsz, "another backfill is running");
		return CE_BACKFILL_FAILED;
	}
	gen = cx_store_resets(app->db);
	if (o->since >= o->until) {
		snprintf(err, errsz, "the range is empty");
		return CE_BACKFILL_FAILED;
	}
	if (sp_range(app, o, &since, &until, err, errsz) == -1)
		return CE_BACKFILL_FAILED;
	if (cx_store_backfill_start(app->db, since, until,
	    o->until_given, &b) != CE_OK) {
		snprintf(err, errsz, "database: cannot start the backfill");
		return CE_BACKFILL_FAILED;
	}
	p.since = since;
	p.until = b.until;
	p.resumed = b.runs > 1;
	p.seen = b.seen;
	p.queued = b.queued;
	p.known = b.known;
	p.total = b.total;
	p.reached = -1;
	/* Resumed: the last page done once more (pages shift up when
	 * leads are deleted); it queues nothing twice. */
	page = b.next_page > 1 && b.runs > 1 ? b.next_page - 1 : b.next_page;
	p.first_page = page;
	pg.later_ms = app->cfg.request_deadline_ms + 5000;
	for (;; page++) {
		if (o->stopping != NULL && o->stopping())
			break;
		if (page > CE_PAGE_MAX) {
			snprintf(err, errsz, "C2S lead list: more than %d "
			    "pages", CE_PAGE_MAX);
			return CE_BACKFILL_FAILED;
		}
		if (lock_kept(app, &gen, err, errsz) == -1)
			return CE_BACKFILL_FAILED;
		if (fetch(app, page, prev, &c, err, errsz) == -1) {
			/* A signal may have cut the call short. */
			if (o->stopping != NULL && o->stopping())
				break;
			return CE_BACKFILL_FAILED;
		}
		if (c.list.n > 0)
			ce_strlcpy(prev, c.list.id[0], sizeof(prev));
		if (c.list.total >= 0)
			p.total = c.list.total;
		undated = p.undated;
		over = in_range(&c.list, &p, &pg);
		if (c.list.n > 0 && p.undated - undated == (long long)c.list.n) {
			snprintf(err, errsz, "C2S lead list, page %lld: no lead "
			    "with a readable created_at", page);
			return CE_BACKFILL_FAILED;
		}
		over = over || c.list.n == 0 ||
		    (p.total >= 0 && page * PERPAGE >= p.total);
		pg.next_page = page + 1;
		pg.total = c.list.total;
		pg.again = page < b.next_page;
		if (cx_store_backfill_page(app->db, &b, &pg, &q,
		    &later) != CE_OK) {
			snprintf(err, errsz, "database: page %lld not "
			    "recorded; run again to resume", page);
			return CE_BACKFILL_FAILED;
		}
		if (q > 0)
			(void)cx_store_notify(app->db, "lead");
		p.page = page;
		p.pages++;
		p.later += later;
		p.seen = b.seen;
		p.queued = b.queued;
		p.known = b.known;
		p.elapsed_ms = (cx_now_us() - t0) / 1000;
		if (over) {
			if (cx_store_backfill_done(app->db, b.id) != CE_OK) {
				snprintf(err, errsz, "database: the end not "
				    "recorded");
				return CE_BACKFILL_FAILED;
			}
			p.done = 1;
		}
		if (o->progress != NULL)
			o->progress(o->arg, &p);
		if (over)
			return CE_BACKFILL_DONE;
	}
	p.elapsed_ms = (cx_now_us() - t0) / 1000;
	if (o->progress != NULL)
		o->progress(o->arg, &p);
	return CE_BACKFILL_STOPPED;
}
