/*
 * metrics.h -- the layout of the metrics table in the shared file and of
 * the process table, shared by metrics.c (which adds to them) and the
 * /metrics renderer (h_metrics.c, which reads them).  Include after
 * extern.h.
 */
#ifndef CX_METRICS_H
#define CX_METRICS_H

#include <sys/types.h>

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
};

struct cx_procslot {
	int32_t		 pid;		/* 0: free */
	int32_t		 role;		/* 0 responder, 1 worker */
	int64_t		 started_ms;
	uint64_t	 requests;
	uint64_t	 rss_kb;
};

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

#endif /* CX_METRICS_H */
