/*
 * app/backfill.h -- c2s-enrich --backfill (backfill.c, DESIGN.md §11.4):
 * C2S's lead list walked newest first from --until back to --since, a
 * page at a time, every lead never seen queued as a worker job of source
 * 'backfill', the newest lead of each phone first and the person's other
 * leads after it (sql/0016).  The checkpoint moves in the statement that
 * queues a page: a run killed anywhere resumes at the page after the last
 * one done, and a page done twice queues nothing twice.  What it has done
 * goes to the caller's progress function after each page (fcgi/main.c
 * prints it); nothing here prints.
 */
#ifndef CE_APP_BACKFILL_H
#define CE_APP_BACKFILL_H

#include <stddef.h>

struct cx_app;

/* Where a backfill stands, after a page. */
struct ce_backfill_progress {
	long long	 page;		/* the page just done, from 1 */
	long long	 pages;		/* pages read by this run */
	long long	 first_page;	/* where this run began */
	int		 resumed;	/* an unfinished backfill taken up */
	long long	 seen;		/* leads in range read (all runs) */
	long long	 queued;	/* jobs queued (all runs) */
	long long	 known;		/* seen, already a lead or a job */
	long long	 later;		/* queued by this run after the newest
					   lead of their phone */
	long long	 read;		/* leads this run read from the list */
	long long	 newer;		/* of them, created after --until */
	long long	 undated;	/* of them, no readable created_at:
					   not queued */
	long long	 total;		/* the list's total; -1 unknown */
	long long	 reached;	/* the oldest created_at read (Unix
					   seconds), -1 none */
	long long	 since, until;	/* the range, Unix seconds */
	long long	 elapsed_ms;	/* this run's */
	int		 done;		/* the walk is over */
};

struct ce_backfill_opts {
	long long	 since;		/* Unix seconds: the range's first */
	long long	 until;		/* past its last; with until_given 0,
					   now (a resumed run keeps its own) */
	int		 until_given;
	int		(*stopping)(void);	/* non-zero: stop after a page */
	void		(*progress)(void *, const struct ce_backfill_progress *);
	void		*arg;
};

/* What a backfill's run came to. */
enum ce_backfill_end {
	CE_BACKFILL_DONE = 0,	/* walked to --since (or the list's end) */
	CE_BACKFILL_STOPPED,	/* "stopping" said so; resumable */
	CE_BACKFILL_FAILED	/* C2S or the database failed: "err" says */
};

enum ce_backfill_end cx_backfill_run(struct cx_app *,
		    const struct ce_backfill_opts *, char *err, size_t errsz);
int		 ce_backfill_day(const char *, long long *start);
void		 ce_backfill_line(const struct ce_backfill_progress *,
		    char *, size_t);
void		 ce_backfill_summary(const struct ce_backfill_progress *,
		    char *, size_t);

#endif /* CE_APP_BACKFILL_H */
