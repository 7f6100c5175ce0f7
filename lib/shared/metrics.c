/*
 * metrics.c -- the counters every process of a machine adds to in the
 * shared file, and the table of those processes.  GET /metrics renders
 * them (h_metrics.c); their layout is in shared/metrics.h.
 *
 * Counters are 64-bit words of the file's metrics table, added to with
 * relaxed atomic adds: no lock on the request path, and a responder that
 * exits or is killed loses nothing it counted.  The process table holds
 * one slot per live process (pid, role, start, requests, resident
 * memory), taken with a compare-and-swap on the pid and freed at exit; a
 * slot whose pid is gone is free again.  Without the shared file every
 * call here does nothing and /metrics answers 503.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/proc.h"
#include "io/shmfile.h"
#include "shared/metrics.h"

/* Histogram bounds in microseconds; a last bucket is +Inf. */
const long long cx_metrics_bounds_us[CX_METRICS_NB - 1] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, 25000000,
};

size_t
cx_metrics_size(void)
{
	return sizeof(struct cx_mregion);
}

size_t
cx_procs_slot_size(void)
{
	return sizeof(struct cx_procslot);
}

void
cx_mtab_init(struct cx_mtab *m, struct cx_shmfile *f, struct cx_proc *proc,
    const int *worker)
{
	m->f = f;
	m->proc = proc;
	m->worker = worker;
	m->procslot = -1;
}

struct cx_mregion *
cx_metrics_region(struct cx_mtab *m)
{
	struct ce_shm	*s = cx_shmfile_get(m->f);
	size_t		 n;

	return s != NULL ? cx_shm_table(s, CX_SHM_METRICS, &n) : NULL;
}

static void
add(uint64_t *c, uint64_t v)
{
	__atomic_fetch_add(c, v, __ATOMIC_RELAXED);
}

int
cx_metrics_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

/*
 * This process's slot in the process table, taken on first use; NULL
 * when the file is missing or the table is full.
 */
static struct cx_procslot *
myslot(struct cx_mtab *m)
{
	struct ce_shm	*s;
	struct cx_procslot	*t;
	struct cx_mregion	*r;
	struct timespec	 ts;
	size_t		 n, i;
	int32_t		 pid = (int32_t)getpid(), old;

	if (m->procslot >= 0)
		goto found;
	if ((s = cx_shmfile_get(m->f)) == NULL ||
	    (t = cx_shm_table(s, CX_SHM_PROCS, &n)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		old = __atomic_load_n(&t[i].pid, __ATOMIC_ACQUIRE);
		if (old == pid || (old != 0 && cx_metrics_alive(old)))
			continue;
		if (!__atomic_compare_exchange_n(&t[i].pid, &old, pid, 0,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			continue;
		clock_gettime(CLOCK_REALTIME, &ts);
		t[i].role = *m->worker;
		t[i].started_ms = (int64_t)ts.tv_sec * 1000 +
		    ts.tv_nsec / 1000000;
		t[i].requests = 0;
		t[i].rss_kb = (uint64_t)cx_proc_rss_kb(m->proc);
		m->procslot = (int)i;
		if ((r = cx_metrics_region(m)) != NULL)
			if (*m->worker != CX_ROLE_MASTER)
				add(&r->started[*m->worker ? 1 : 0], 1);
		break;
	}
found:
	if (m->procslot < 0 || (s = cx_shmfile_get(m->f)) == NULL ||
	    (t = cx_shm_table(s, CX_SHM_PROCS, &n)) == NULL ||
	    (size_t)m->procslot >= n)
		return NULL;
	return &t[m->procslot];
}

/*
 * Take this process's slot in the shared file's table now, so that
 * /metrics counts it from its start (else on its first request).
 */
void
cx_mtab_join(struct cx_mtab *m)
{
	(void)myslot(m);
}

/* Free this process's slot (at exit). */
void
cx_mtab_leave(struct cx_mtab *m)
{
	struct cx_procslot	*p;
	int32_t		 pid = (int32_t)getpid();

	/* A slot taken means the file is mapped: this maps nothing. */
	if (m->procslot < 0 || (p = myslot(m)) == NULL)
		return;
	(void)__atomic_compare_exchange_n(&p->pid, &pid, 0, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	m->procslot = -1;
}

static size_t
bucket(long long us)
{
	size_t	 i;

	for (i = 0; i < CX_METRICS_NB - 1; i++)
		if (us <= cx_metrics_bounds_us[i])
			break;
	return i;
}

/* This process's resident memory, now, into its slot "p" (or none). */
static void
sample(struct cx_mtab *m, struct cx_procslot *p)
{
	if (p != NULL)
		p->rss_kb = (uint64_t)cx_proc_rss_kb(m->proc);
}

void
cx_mtab_sample(struct cx_mtab *m)
{
	sample(m, myslot(m));
}

/* This process's local cache: its entries and bytes now. */
void
cx_mtab_cache_size(struct cx_mtab *m, size_t entries, size_t bytes)
{
	struct cx_procslot	*p = myslot(m);

	if (p == NULL)
		return;
	__atomic_store_n(&p->cache_entries, (uint64_t)entries,
	    __ATOMIC_RELAXED);
	__atomic_store_n(&p->cache_bytes, (uint64_t)bytes, __ATOMIC_RELAXED);
}

/*
 * The machine's responders' local caches, summed: entries and bytes of
 * each live responder, how many there are, and the lookups' hits and
 * misses.  Returns 0, or -1 without the shared file.
 */
int
cx_metrics_cache_totals(struct cx_shmfile *f, struct cx_cache_totals *ct)
{
	struct ce_shm		*s = cx_shmfile_get(f);
	struct cx_procslot	*t;
	struct cx_mregion	*r;
	size_t			 n, i;
	int32_t			 pid;

	memset(ct, 0, sizeof(*ct));
	if (s == NULL || (t = cx_shm_table(s, CX_SHM_PROCS, &n)) == NULL ||
	    (r = cx_shm_table(s, CX_SHM_METRICS, &i)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		pid = __atomic_load_n(&t[i].pid, __ATOMIC_ACQUIRE);
		if (pid == 0 || t[i].role != CX_ROLE_RESPONDER ||
		    !cx_metrics_alive(pid))
			continue;
		ct->procs++;
		ct->entries += __atomic_load_n(&t[i].cache_entries,
		    __ATOMIC_RELAXED);
		ct->bytes += __atomic_load_n(&t[i].cache_bytes,
		    __ATOMIC_RELAXED);
	}
	ct->hits = __atomic_load_n(&r->cache[1], __ATOMIC_RELAXED);
	ct->misses = __atomic_load_n(&r->cache[0], __ATOMIC_RELAXED);
	return 0;
}

/* A request answered: its route, status and duration. */
void
cx_mtab_request(struct cx_mtab *m, enum ce_route route, int status,
    long long us)
{
	struct cx_mregion	*r = cx_metrics_region(m);
	struct cx_procslot	*p = myslot(m);
	int		 cls = status >= 100 && status < 600 ? status / 100 : 0;

	if (r == NULL || (unsigned)route >= CE_ROUTE__MAX)
		return;
	add(&r->req[route][cls], 1);
	add(&r->req_hist[route][bucket(us)], 1);
	add(&r->req_sum_us[route], us > 0 ? (uint64_t)us : 0);
	if (p != NULL && (++p->requests & 63) == 1)
		sample(m, p);
}

/* An upstream call finished: its kind, classification and duration. */
void
cx_mtab_upstream(struct cx_mtab *m, enum ce_call_kind k, enum ce_up u,
    long long us)
{
	struct cx_mregion	*r = cx_metrics_region(m);

	if (r == NULL || (unsigned)k >= CE_CALL__MAX ||
	    (unsigned)u >= CE_UP__MAX)
		return;
	add(&r->up[k][u], 1);
	add(&r->up_hist[k][bucket(us)], 1);
	add(&r->up_sum_us[k], us > 0 ? (uint64_t)us : 0);
}

void
cx_mtab_dedup(struct cx_mtab *m, enum cx_dedup_result d)
{
	struct cx_mregion	*r = cx_metrics_region(m);

	if (r != NULL && (unsigned)d < CX_DEDUP__MAX)
		add(&r->dedup[d], 1);
}

/*
 * The machine's duplicate leads so far, found in the shared file and in
 * PostgreSQL, into "file" and "db".  Returns -1 without the shared file.
 */
int
cx_mtab_dedup_hits(struct cx_mtab *m, uint64_t *file, uint64_t *db)
{
	struct cx_mregion	*r = cx_metrics_region(m);

	if (r == NULL)
		return -1;
	*file = cx_metrics_get(&r->dedup[CX_DEDUP_HIT_FILE]);
	*db = cx_metrics_get(&r->dedup[CX_DEDUP_HIT_DB]);
	return 0;
}

void
cx_mtab_cache(struct cx_mtab *m, int hit)
{
	struct cx_mregion	*r = cx_metrics_region(m);

	if (r != NULL)
		add(&r->cache[hit ? 1 : 0], 1);
}

void
cx_mtab_lead(struct cx_mtab *m, enum cx_outcome o)
{
	struct cx_mregion	*r = cx_metrics_region(m);

	if (r != NULL && (unsigned)o < CX_OUT__MAX)
		add(&r->leads[o], 1);
}

/* The spool (spool.c): "n" more of event "ev". */
void
cx_mtab_spool(struct cx_mtab *m, enum cx_spool_ev ev,
    unsigned long long n)
{
	struct cx_mregion	*r = cx_metrics_region(m);

	if (r != NULL && (unsigned)ev < CX_SPOOL_EV__MAX)
		add(&r->spool[ev], n);
}

/* A responder leaves because it served MAX_REQUESTS. */
void
cx_mtab_recycled(struct cx_mtab *m)
{
	struct cx_mregion	*r = cx_metrics_region(m);

	if (r != NULL)
		add(&r->recycled, 1);
}

/* The Work API refused a call: out of credits ("token" 0), or the token
 * or module (1).  The worker's alerts (app/alert.c) watch both. */
void
cx_mtab_work_refused(struct cx_mtab *m, int token)
{
	struct cx_mregion	*r = cx_metrics_region(m);

	if (r != NULL)
		add(&r->work_refused[token != 0], 1);
}
