/*
 * shared/metrics.h -- the counters every process of a machine adds to in
 * the shared file, and the table of those processes (metrics.c).  The
 * layout of both tables is here, for the /metrics renderer (h_metrics.c)
 * that reads them.
 *
 * A counter only grows, by relaxed atomic adds, without a lock; a
 * process holds at most one slot of the process table, taken on first
 * use and freed at exit (a slot whose pid is gone is free again).  A
 * process's handle is its struct cx_mtab, given the shared file at init;
 * without the file every call does nothing.
 */
#ifndef CE_SHARED_METRICS_H
#define CE_SHARED_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/call.h"
#include "core/lead.h"
#include "core/route.h"
#include "core/spoolrec.h"
#include "shared/dedup.h"

struct cx_proc;
struct cx_shmfile;

#define CX_PROCS_MAX	256

/* Histogram bounds in microseconds; a last bucket is +Inf. */
#define CX_METRICS_NB	15
extern const long long	 cx_metrics_bounds_us[CX_METRICS_NB - 1];

/* The status classes of requests: 1xx to 5xx, and anything else. */
#define CX_METRICS_NCLASS 6

struct cx_mregion {
	uint64_t	 req[CE_ROUTE__MAX][CX_METRICS_NCLASS];
	uint64_t	 req_hist[CE_ROUTE__MAX][CX_METRICS_NB];
	uint64_t	 req_sum_us[CE_ROUTE__MAX];
	uint64_t	 up[CE_CALL__MAX][CE_UP__MAX];
	uint64_t	 up_hist[CE_CALL__MAX][CX_METRICS_NB];
	uint64_t	 up_sum_us[CE_CALL__MAX];
	uint64_t	 dedup[CX_DEDUP__MAX];
	uint64_t	 cache[2];		/* misses, hits */
	uint64_t	 leads[CX_OUT__MAX];
	uint64_t	 started[2];		/* responders, workers */
	uint64_t	 recycled;
	uint64_t	 spool[CX_SPOOL_EV__MAX];
	uint64_t	 work_refused[2];	/* credits out, token refused:
						   the worker's alerts read them */
};

/* A process's role in the table. */
#define CX_ROLE_RESPONDER	0
#define CX_ROLE_WORKER		1
#define CX_ROLE_MASTER		2	/* c2s-enrich --pool */

struct cx_procslot {
	int32_t		 pid;		/* 0: free */
	int32_t		 role;		/* CX_ROLE_* */
	int64_t		 started_ms;
	uint64_t	 requests;
	uint64_t	 rss_kb;
	uint64_t	 cache_entries, cache_bytes;	/* a responder's */
};

/* The responders' local caches, summed (the master's /health). */
struct cx_cache_totals {
	unsigned	 procs;
	uint64_t	 entries, bytes, hits, misses;
};

/* A process's handle on the metrics and process tables. */
struct cx_mtab {
	struct cx_shmfile *f;
	struct cx_proc	*proc;		/* its resident memory */
	const int	*worker;	/* its role: nonzero for the worker */
	int		 procslot;	/* ours in the file's table, or -1 */
};

void		 cx_mtab_init(struct cx_mtab *, struct cx_shmfile *,
		    struct cx_proc *, const int *worker);
size_t		 cx_metrics_size(void);
size_t		 cx_procs_slot_size(void);

/* Take this process's slot now (else on its first request); free it. */
void		 cx_mtab_join(struct cx_mtab *);
void		 cx_mtab_leave(struct cx_mtab *);
void		 cx_mtab_sample(struct cx_mtab *);
void		 cx_mtab_cache_size(struct cx_mtab *, size_t entries,
		    size_t bytes);
int		 cx_metrics_cache_totals(struct cx_shmfile *,
		    struct cx_cache_totals *);
void		 cx_mtab_request(struct cx_mtab *, enum ce_route, int status,
		    long long us);
void		 cx_mtab_upstream(struct cx_mtab *, enum ce_call_kind,
		    enum ce_up, long long us);
void		 cx_mtab_dedup(struct cx_mtab *, enum cx_dedup_result);
int		 cx_mtab_dedup_hits(struct cx_mtab *, uint64_t *file,
		    uint64_t *db);
void		 cx_mtab_cache(struct cx_mtab *, int hit);
void		 cx_mtab_lead(struct cx_mtab *, enum cx_outcome);
void		 cx_mtab_spool(struct cx_mtab *, enum cx_spool_ev,
		    unsigned long long);
void		 cx_mtab_recycled(struct cx_mtab *);
/* The Work API refused a call: out of credits (0) or the token (1). */
void		 cx_mtab_work_refused(struct cx_mtab *, int token);

/* The machine's metrics table, or NULL without the shared file. */
struct cx_mregion *cx_metrics_region(struct cx_mtab *);
/* Is process "pid" alive (or not ours to signal)? */
int		 cx_metrics_alive(pid_t);

/* A counter, read without a lock (relaxed). */
static inline uint64_t
cx_metrics_get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

#endif /* CE_SHARED_METRICS_H */
