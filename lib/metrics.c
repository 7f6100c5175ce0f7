/*
 * metrics.c -- the counters every process of a machine adds to in the
 * shared file, the table of those processes, and GET /metrics, which
 * renders them in the Prometheus text format (version 0.0.4).
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
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "c2s-enrich.h"
#include "extern.h"

/* Histogram bounds in microseconds; a last bucket is +Inf. */
static const long long bounds_us[] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, 25000000,
};
#define NB	(sizeof(bounds_us) / sizeof(bounds_us[0]) + 1)

/* The status classes of requests: 1xx to 5xx, and anything else. */
#define NCLASS	6

struct region {
	uint64_t	 req[CE_ROUTE__MAX][NCLASS];
	uint64_t	 req_hist[CE_ROUTE__MAX][NB];
	uint64_t	 req_sum_us[CE_ROUTE__MAX];
	uint64_t	 up[CE_CALL__MAX][CE_UP__MAX];
	uint64_t	 up_hist[CE_CALL__MAX][NB];
	uint64_t	 up_sum_us[CE_CALL__MAX];
	uint64_t	 dedup[CX_DEDUP__MAX];
	uint64_t	 cache[2];		/* misses, hits */
	uint64_t	 leads[CX_OUT__MAX];
	uint64_t	 started[2];		/* responders, workers */
	uint64_t	 recycled;
	uint64_t	 spool[CX_SPOOL_EV__MAX];
};

struct procslot {
	int32_t		 pid;		/* 0: free */
	int32_t		 role;		/* 0 responder, 1 worker */
	int64_t		 started_ms;
	uint64_t	 requests;
	uint64_t	 rss_kb;
};

static const char *const roles[2] = { "responder", "worker" };

static const char *const classes[NCLASS] = {
	"other", "1xx", "2xx", "3xx", "4xx", "5xx"
};

static const char *const callnames[CE_CALL__MAX] = {
	[CE_CALL_C2S_LEAD] = "c2s_lead",
	[CE_CALL_C2S_MESSAGE] = "c2s_message",
	[CE_CALL_DX_PHONE] = "diretrix_phone",
	[CE_CALL_DX_EMAIL] = "diretrix_email",
	[CE_CALL_WORK_CPF] = "work_cpf",
	[CE_CALL_WORK_PHONE] = "work_phone",
	[CE_CALL_C2S_CREATE] = "c2s_create",
	[CE_CALL_C2S_LIST] = "c2s_list",
	[CE_CALL_C2S_HOOK] = "c2s_hook",
	[CE_CALL_WORK_MODULE] = "work_module",
};

static const char *const dedupnames[CX_DEDUP__MAX] = {
	[CX_DEDUP_MISS] = "miss",
	[CX_DEDUP_HIT_FILE] = "hit_file",
	[CX_DEDUP_HIT_DB] = "hit_database",
	[CX_DEDUP_FULL] = "file_full",
};

size_t
cx_metrics_size(void)
{
	return sizeof(struct region);
}

size_t
cx_procs_slot_size(void)
{
	return sizeof(struct procslot);
}

static struct region *
region(struct ce_ctx *ctx)
{
	struct ce_shm	*s = cx_shm(ctx);
	size_t		 n;

	return s != NULL ? cx_shm_table(s, CX_SHM_METRICS, &n) : NULL;
}

static void
add(uint64_t *c, uint64_t v)
{
	__atomic_fetch_add(c, v, __ATOMIC_RELAXED);
}

static uint64_t
get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

static int
alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

/*
 * This process's slot in the process table, taken on first use; NULL
 * when the file is missing or the table is full.
 */
static struct procslot *
myslot(struct ce_ctx *ctx)
{
	struct ce_shm	*s;
	struct procslot	*t;
	struct region	*r;
	struct timespec	 ts;
	size_t		 n, i;
	int32_t		 pid = (int32_t)getpid(), old;

	if (ctx->procslot >= 0 || ctx->shm_failed)
		goto found;
	if ((s = cx_shm(ctx)) == NULL ||
	    (t = cx_shm_table(s, CX_SHM_PROCS, &n)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		old = __atomic_load_n(&t[i].pid, __ATOMIC_ACQUIRE);
		if (old == pid || (old != 0 && alive(old)))
			continue;
		if (!__atomic_compare_exchange_n(&t[i].pid, &old, pid, 0,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			continue;
		clock_gettime(CLOCK_REALTIME, &ts);
		t[i].role = ctx->worker ? 1 : 0;
		t[i].started_ms = (int64_t)ts.tv_sec * 1000 +
		    ts.tv_nsec / 1000000;
		t[i].requests = 0;
		t[i].rss_kb = (uint64_t)cx_proc_rss_kb(&ctx->proc);
		ctx->procslot = (int)i;
		if ((r = region(ctx)) != NULL)
			add(&r->started[ctx->worker ? 1 : 0], 1);
		break;
	}
found:
	if (ctx->procslot < 0 || (s = cx_shm(ctx)) == NULL ||
	    (t = cx_shm_table(s, CX_SHM_PROCS, &n)) == NULL ||
	    (size_t)ctx->procslot >= n)
		return NULL;
	return &t[ctx->procslot];
}

/*
 * Take this process's slot in the shared file's table now, so that
 * /metrics counts it from its start (else on its first request).
 */
void
ce_metrics_join(struct ce_ctx *ctx)
{
	(void)myslot(ctx);
}

/* Free this process's slot (at exit). */
void
cx_metrics_leave(struct ce_ctx *ctx)
{
	struct procslot	*p;
	int32_t		 pid = (int32_t)getpid();

	if (ctx->procslot < 0 || ctx->shm == NULL || (p = myslot(ctx)) == NULL)
		return;
	(void)__atomic_compare_exchange_n(&p->pid, &pid, 0, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	ctx->procslot = -1;
}

static size_t
bucket(long long us)
{
	size_t	 i;

	for (i = 0; i < NB - 1; i++)
		if (us <= bounds_us[i])
			break;
	return i;
}

/* This process's resident memory, now, into its slot "p" (or none). */
static void
sample(struct ce_ctx *ctx, struct procslot *p)
{
	if (p != NULL)
		p->rss_kb = (uint64_t)cx_proc_rss_kb(&ctx->proc);
}

void
ce_metrics_sample(struct ce_ctx *ctx)
{
	sample(ctx, myslot(ctx));
}

/* A request answered: its route, status and duration. */
void
cx_metrics_request(struct ce_ctx *ctx, enum ce_route route, int status,
    long long us)
{
	struct region	*r = region(ctx);
	struct procslot	*p = myslot(ctx);
	int		 cls = status >= 100 && status < 600 ? status / 100 : 0;

	if (r == NULL || (unsigned)route >= CE_ROUTE__MAX)
		return;
	add(&r->req[route][cls], 1);
	add(&r->req_hist[route][bucket(us)], 1);
	add(&r->req_sum_us[route], us > 0 ? (uint64_t)us : 0);
	if (p != NULL && (++p->requests & 63) == 1)
		sample(ctx, p);
}

/* An upstream call finished: its kind, classification and duration. */
void
cx_metrics_upstream(struct ce_ctx *ctx, enum ce_call_kind k, enum ce_up u,
    long long us)
{
	struct region	*r = region(ctx);

	if (r == NULL || (unsigned)k >= CE_CALL__MAX ||
	    (unsigned)u >= CE_UP__MAX)
		return;
	add(&r->up[k][u], 1);
	add(&r->up_hist[k][bucket(us)], 1);
	add(&r->up_sum_us[k], us > 0 ? (uint64_t)us : 0);
}

void
cx_metrics_dedup(struct ce_ctx *ctx, enum cx_dedup_result d)
{
	struct region	*r = region(ctx);

	if (r != NULL && (unsigned)d < CX_DEDUP__MAX)
		add(&r->dedup[d], 1);
}

/*
 * The machine's duplicate leads so far, found in the shared file and in
 * PostgreSQL, into "file" and "db".  Returns -1 without the shared file.
 */
int
cx_metrics_dedup_hits(struct ce_ctx *ctx, uint64_t *file, uint64_t *db)
{
	struct region	*r = region(ctx);

	if (r == NULL)
		return -1;
	*file = get(&r->dedup[CX_DEDUP_HIT_FILE]);
	*db = get(&r->dedup[CX_DEDUP_HIT_DB]);
	return 0;
}

void
cx_metrics_cache(struct ce_ctx *ctx, int hit)
{
	struct region	*r = region(ctx);

	if (r != NULL)
		add(&r->cache[hit ? 1 : 0], 1);
}

void
cx_metrics_lead(struct ce_ctx *ctx, enum cx_outcome o)
{
	struct region	*r = region(ctx);

	if (r != NULL && (unsigned)o < CX_OUT__MAX)
		add(&r->leads[o], 1);
}

/* A responder leaves because it served MAX_REQUESTS. */
/* The spool (spool.c): "n" more of event "ev". */
void
cx_metrics_spool(struct ce_ctx *ctx, enum cx_spool_ev ev,
    unsigned long long n)
{
	struct region	*r = region(ctx);

	if (r != NULL && (unsigned)ev < CX_SPOOL_EV__MAX)
		add(&r->spool[ev], n);
}

void
ce_metrics_recycled(struct ce_ctx *ctx)
{
	struct region	*r = region(ctx);

	if (r != NULL)
		add(&r->recycled, 1);
}

/*
 * Seconds of a microsecond count, exactly, for le and sums: the integer
 * part, then the six decimals with their trailing zeros dropped ("0.0025",
 * "1", "1234567.891").  No double in between: a machine's total of a
 * billion seconds keeps its last microsecond.
 */
void
ce_metrics_secs(char *buf, size_t sz, uint64_t us)
{
	int	 n;

	n = snprintf(buf, sz, "%llu.%06llu", (unsigned long long)(us / 1000000),
	    (unsigned long long)(us % 1000000));
	if (n < 0 || (size_t)n >= sz)
		return;
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
}

static enum ce_err
head(struct ce_buf *b, const char *name, const char *type, const char *help)
{
	return ce_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/* One histogram's series, "labels" already formatted ("a=\"b\""). */
static enum ce_err
histogram(struct ce_buf *b, const char *name, const char *labels,
    const uint64_t *h, const uint64_t *sum_us)
{
	uint64_t	 cum = 0;
	char		 le[32];
	size_t		 i;
	enum ce_err	 er;

	for (i = 0; i < NB; i++) {
		cum += get(&h[i]);
		if (i < NB - 1)
			ce_metrics_secs(le, sizeof(le),
			    (uint64_t)bounds_us[i]);
		else
			ce_strlcpy(le, "+Inf", sizeof(le));
		if ((er = ce_buf_printf(b, "%s_bucket{%s,le=\"%s\"} %llu\n",
		    name, labels, le, (unsigned long long)cum)) != CE_OK)
			return er;
	}
	ce_metrics_secs(le, sizeof(le), get(sum_us));
	return ce_buf_printf(b, "%s_sum{%s} %s\n%s_count{%s} %llu\n", name,
	    labels, le, name, labels, (unsigned long long)cum);
}

static uint64_t
total(const uint64_t *v, size_t n)
{
	uint64_t	 t = 0;
	size_t		 i;

	for (i = 0; i < n; i++)
		t += get(&v[i]);
	return t;
}

static enum ce_err
render_requests(struct ce_buf *b, const struct region *r)
{
	char		 labels[96];
	size_t		 rt, c;
	enum ce_err	 er;

	if ((er = head(b, "c2s_http_requests_total", "counter", "Requests "
	    "answered, by route and status class.")) != CE_OK)
		return er;
	for (rt = 0; rt < CE_ROUTE__MAX; rt++)
		for (c = 0; c < NCLASS; c++)
			if (get(&r->req[rt][c]) > 0 && (er = ce_buf_printf(b,
			    "c2s_http_requests_total{route=\"%s\",code=\"%s\"} "
			    "%llu\n", ce_route_name((enum ce_route)rt),
			    classes[c],
			    (unsigned long long)get(&r->req[rt][c]))) != CE_OK)
				return er;
	if ((er = head(b, "c2s_http_request_duration_seconds", "histogram",
	    "Time from request to response, by route.")) != CE_OK)
		return er;
	for (rt = 0; rt < CE_ROUTE__MAX; rt++) {
		if (total(r->req_hist[rt], NB) == 0)
			continue;
		snprintf(labels, sizeof(labels), "route=\"%s\"",
		    ce_route_name((enum ce_route)rt));
		if ((er = histogram(b, "c2s_http_request_duration_seconds",
		    labels, r->req_hist[rt], &r->req_sum_us[rt])) != CE_OK)
			return er;
	}
	return CE_OK;
}

/* The API a call goes to: the part of its name before '_'. */
static void
api_of(enum ce_call_kind k, char *out, size_t sz)
{
	size_t	 n = strcspn(callnames[k], "_");

	if (n >= sz)
		n = sz - 1;
	memcpy(out, callnames[k], n);
	out[n] = '\0';
}

static enum ce_err
render_upstreams(struct ce_buf *b, const struct region *r)
{
	char		 labels[96], api[16];
	size_t		 k, u;
	enum ce_err	 er;

	if ((er = head(b, "c2s_upstream_calls_total", "counter", "Upstream "
	    "calls, by API, call and classified outcome.")) != CE_OK)
		return er;
	for (k = 0; k < CE_CALL__MAX; k++) {
		api_of((enum ce_call_kind)k, api, sizeof(api));
		for (u = 0; u < CE_UP__MAX; u++)
			if (get(&r->up[k][u]) > 0 && (er = ce_buf_printf(b,
			    "c2s_upstream_calls_total{api=\"%s\",call=\"%s\","
			    "outcome=\"%s\"} %llu\n", api, callnames[k],
			    ce_up_name((enum ce_up)u),
			    (unsigned long long)get(&r->up[k][u]))) != CE_OK)
				return er;
	}
	if ((er = head(b, "c2s_upstream_call_duration_seconds", "histogram",
	    "Upstream call time, retries included, by API and call.")) !=
	    CE_OK)
		return er;
	for (k = 0; k < CE_CALL__MAX; k++) {
		if (total(r->up_hist[k], NB) == 0)
			continue;
		api_of((enum ce_call_kind)k, api, sizeof(api));
		snprintf(labels, sizeof(labels), "api=\"%s\",call=\"%s\"", api,
		    callnames[k]);
		if ((er = histogram(b, "c2s_upstream_call_duration_seconds",
		    labels, r->up_hist[k], &r->up_sum_us[k])) != CE_OK)
			return er;
	}
	return CE_OK;
}

static enum ce_err
render_counts(struct ce_buf *b, const struct region *r)
{
	size_t		 i;
	enum ce_err	 er;

	if ((er = head(b, "c2s_dedup_total", "counter", "Lead claims: "
	    "misses (ours to run), duplicates found in the shared file or "
	    "the database, and a full file window.")) != CE_OK)
		return er;
	for (i = 0; i < CX_DEDUP__MAX; i++)
		if ((er = ce_buf_printf(b, "c2s_dedup_total{result=\"%s\"} "
		    "%llu\n", dedupnames[i],
		    (unsigned long long)get(&r->dedup[i]))) != CE_OK)
			return er;
	if ((er = head(b, "c2s_cache_lookups_total", "counter", "Lookups in "
	    "the responders' local caches.")) != CE_OK ||
	    (er = ce_buf_printf(b, "c2s_cache_lookups_total{result=\"hit\"} "
	    "%llu\nc2s_cache_lookups_total{result=\"miss\"} %llu\n",
	    (unsigned long long)get(&r->cache[1]),
	    (unsigned long long)get(&r->cache[0]))) != CE_OK)
		return er;
	if ((er = head(b, "c2s_leads_total", "counter", "Pipeline runs, by "
	    "outcome (received: stopped before one).")) != CE_OK)
		return er;
	for (i = 0; i < CX_OUT__MAX; i++)
		if ((er = ce_buf_printf(b, "c2s_leads_total{outcome=\"%s\"} "
		    "%llu\n", cx_outcome_name((enum cx_outcome)i),
		    (unsigned long long)get(&r->leads[i]))) != CE_OK)
			return er;
	if ((er = head(b, "c2s_processes_started_total", "counter",
	    "Processes that joined the shared file, by role.")) != CE_OK ||
	    (er = ce_buf_printf(b, "c2s_processes_started_total{role=\""
	    "responder\"} %llu\nc2s_processes_started_total{role=\"worker\"} "
	    "%llu\n", (unsigned long long)get(&r->started[0]),
	    (unsigned long long)get(&r->started[1]))) != CE_OK ||
	    (er = head(b, "c2s_responders_recycled_total", "counter",
	    "Responders that exited after MAX_REQUESTS.")) != CE_OK ||
	    (er = ce_buf_printf(b, "c2s_responders_recycled_total %llu\n",
	    (unsigned long long)get(&r->recycled))) != CE_OK)
		return er;
	return CE_OK;
}

/* The spool: its depth on disk, what went in, came out, was skipped. */
static enum ce_err
render_spool(struct ce_ctx *ctx, struct ce_buf *b, const struct region *r)
{
	unsigned long long	 files = 0, bytes = 0;
	enum ce_err		 er;

	(void)cx_spool_depth(ctx, &files, &bytes);
	if ((er = head(b, "c2s_spool_bytes", "gauge", "Bytes in the spool's "
	    "files (SPOOL_DIR), waiting for the worker's replay.")) != CE_OK ||
	    (er = ce_buf_printf(b, "c2s_spool_bytes %llu\n", bytes)) != CE_OK ||
	    (er = head(b, "c2s_spool_files", "gauge", "Files in the "
	    "spool.")) != CE_OK ||
	    (er = ce_buf_printf(b, "c2s_spool_files %llu\n", files)) != CE_OK ||
	    (er = head(b, "c2s_spool_records_total", "counter", "Requests the "
	    "database could not take: spooled (answered 202), refused (503, "
	    "the spool full or unwritable), replayed by the worker.")) !=
	    CE_OK ||
	    (er = ce_buf_printf(b, "c2s_spool_records_total{result=\"spooled\"} "
	    "%llu\nc2s_spool_records_total{result=\"refused\"} %llu\n"
	    "c2s_spool_records_total{result=\"replayed\"} %llu\n",
	    (unsigned long long)get(&r->spool[CX_SPOOL_WRITTEN]),
	    (unsigned long long)get(&r->spool[CX_SPOOL_REFUSED]),
	    (unsigned long long)get(&r->spool[CX_SPOOL_REPLAYED]))) != CE_OK ||
	    (er = head(b, "c2s_spool_skipped_total", "counter", "Spool records "
	    "the replay skipped: a torn tail (a writer killed mid-write) or "
	    "a corrupt record (CRC, header or payload wrong).")) != CE_OK)
		return er;
	return ce_buf_printf(b, "c2s_spool_skipped_total{reason=\"torn\"} %llu\n"
	    "c2s_spool_skipped_total{reason=\"corrupt\"} %llu\n",
	    (unsigned long long)get(&r->spool[CX_SPOOL_TORN]),
	    (unsigned long long)get(&r->spool[CX_SPOOL_CORRUPT]));
}

/* The circuit breakers: state, trips and calls failed fast. */
static enum ce_err
render_breakers(struct ce_ctx *ctx, struct ce_buf *b)
{
	static const char *const fam[3][3] = {
		{ "c2s_breaker_state", "gauge", "Circuit breaker state: 0 "
		    "closed, 1 open, 2 half open (the next call probes)." },
		{ "c2s_breaker_trips_total", "counter", "Times a breaker "
		    "opened." },
		{ "c2s_breaker_rejected_total", "counter", "Calls failed fast "
		    "by an open breaker." },
	};
	uint64_t	 v[CX_BRK__MAX][3];
	size_t		 t, f;
	int		 st;
	enum ce_err	 er;

	for (t = 0; t < CX_BRK__MAX; t++) {
		if ((st = cx_breaker_state(ctx, (enum cx_brk)t, &v[t][1],
		    &v[t][2])) < 0)
			return CE_OK;
		v[t][0] = (uint64_t)st;
	}
	for (f = 0; f < 3; f++) {
		if ((er = head(b, fam[f][0], fam[f][1], fam[f][2])) != CE_OK)
			return er;
		for (t = 0; t < CX_BRK__MAX; t++)
			if ((er = ce_buf_printf(b, "%s{target=\"%s\"} %llu\n",
			    fam[f][0], cx_breaker_name((enum cx_brk)t),
			    (unsigned long long)v[t][f])) != CE_OK)
				return er;
	}
	return CE_OK;
}

/* Live processes: how many per role, and each one's memory. */
static enum ce_err
render_procs(struct ce_ctx *ctx, struct ce_buf *b)
{
	struct procslot	*t;
	size_t		 n, i;
	unsigned	 count[2] = { 0, 0 };
	int32_t		 pid;
	enum ce_err	 er;

	ce_metrics_sample(ctx);
	if ((t = cx_shm_table(ctx->shm, CX_SHM_PROCS, &n)) == NULL)
		return CE_OK;
	if ((er = head(b, "c2s_process_resident_memory_bytes", "gauge",
	    "Resident memory of each live process (sampled every 64 "
	    "requests, and by the worker each turn).")) != CE_OK)
		return er;
	for (i = 0; i < n; i++) {
		pid = __atomic_load_n(&t[i].pid, __ATOMIC_ACQUIRE);
		if (pid == 0 || !alive(pid))
			continue;
		count[t[i].role == 1]++;
		if ((er = ce_buf_printf(b, "c2s_process_resident_memory_bytes"
		    "{pid=\"%d\",role=\"%s\"} %llu\n", (int)pid,
		    roles[t[i].role == 1],
		    (unsigned long long)t[i].rss_kb * 1024)) != CE_OK)
			return er;
	}
	if ((er = head(b, "c2s_processes_alive", "gauge", "Live processes "
	    "of this machine, by role.")) != CE_OK)
		return er;
	return ce_buf_printf(b, "c2s_processes_alive{role=\"responder\"} %u\n"
	    "c2s_processes_alive{role=\"worker\"} %u\n", count[0], count[1]);
}

enum ce_err
cx_h_metrics(struct ce_ctx *ctx, const struct ce_req *req,
    struct ce_resp *resp)
{
	struct region	*r = region(ctx);
	struct ce_buf	*b = resp->body;
	enum ce_err	 er;

	(void)req;
	if (r == NULL)
		return cx_refuse(resp, CE_EUNAVAIL, NULL, "metrics: the "
		    "shared file is not mapped");
	resp->ctype = "text/plain; version=0.0.4; charset=utf-8";
	if ((er = render_requests(b, r)) != CE_OK ||
	    (er = render_upstreams(b, r)) != CE_OK ||
	    (er = render_counts(b, r)) != CE_OK ||
	    (er = render_spool(ctx, b, r)) != CE_OK ||
	    (er = render_breakers(ctx, b)) != CE_OK ||
	    (er = render_procs(ctx, b)) != CE_OK)
		return er;
	return ce_buf_printf(b, "# HELP c2s_dedup_slots_used Slots of the "
	    "shared de-duplication table in use.\n# TYPE c2s_dedup_slots_used "
	    "gauge\nc2s_dedup_slots_used %zu\n# HELP c2s_dedup_slots Slots of "
	    "the shared de-duplication table.\n# TYPE c2s_dedup_slots gauge\n"
	    "c2s_dedup_slots %zu\n", ce_dedup_used(ctx->shm),
	    ce_shm_slots(ctx->shm));
}
