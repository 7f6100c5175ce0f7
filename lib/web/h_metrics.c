/*
 * h_metrics.c -- GET /metrics: the counters of metrics.c, the process
 * table, the spool's depth, the breakers, the pool's scoreboard and the
 * dedup table, rendered in the Prometheus text format (version 0.0.4).
 * Call kinds are named from the call-kind table (callkind.c).  Without
 * the shared file the route answers 503.
 */
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/call.h"
#include "core/cgi.h"
#include "core/err.h"
#include "core/lead.h"
#include "core/route.h"
#include "core/spoolrec.h"
#include "core/util.h"
#include "io/shmfile.h"
#include "shared/breaker.h"
#include "shared/dedup.h"
#include "shared/metrics.h"
#include "shared/scoreboard.h"
#include "app/callkind.h"
#include "app/spool.h"
#include "web/h_metrics.h"
#include "web/req.h"
#include "web/resp.h"
#include "web/web.h"

/* A counter of the shared file, read without a lock. */
static uint64_t
get(const uint64_t *c)
{
	return cx_metrics_get(c);
}

static const char *const roles[3] = { "responder", "worker", "master" };

static const char *const classes[CX_METRICS_NCLASS] = {
	"other", "1xx", "2xx", "3xx", "4xx", "5xx"
};

static const char *const dedupnames[CX_DEDUP__MAX] = {
	[CX_DEDUP_MISS] = "miss",
	[CX_DEDUP_HIT_FILE] = "hit_file",
	[CX_DEDUP_HIT_DB] = "hit_database",
	[CX_DEDUP_FULL] = "file_full",
};

/*
 * Seconds of a microsecond count, exactly, for le and sums: the integer
 * part, then the six decimals with their trailing zeros dropped ("0.0025",
 * "1", "1234567.891").  No double in between: a machine's total of a
 * billion seconds keeps its last microsecond.
 */
void
cx_metrics_secs(char *buf, size_t sz, uint64_t us)
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

	for (i = 0; i < CX_METRICS_NB; i++) {
		cum += get(&h[i]);
		if (i < CX_METRICS_NB - 1)
			cx_metrics_secs(le, sizeof(le),
			    (uint64_t)cx_metrics_bounds_us[i]);
		else
			ce_strlcpy(le, "+Inf", sizeof(le));
		if ((er = ce_buf_printf(b, "%s_bucket{%s,le=\"%s\"} %llu\n",
		    name, labels, le, (unsigned long long)cum)) != CE_OK)
			return er;
	}
	cx_metrics_secs(le, sizeof(le), get(sum_us));
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
render_requests(struct ce_buf *b, const struct cx_mregion *r)
{
	char		 labels[96];
	size_t		 rt, c;
	enum ce_err	 er;

	if ((er = head(b, "c2s_http_requests_total", "counter", "Requests "
	    "answered, by route and status class.")) != CE_OK)
		return er;
	for (rt = 0; rt < CE_ROUTE__MAX; rt++)
		for (c = 0; c < CX_METRICS_NCLASS; c++)
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
		if (total(r->req_hist[rt], CX_METRICS_NB) == 0)
			continue;
		snprintf(labels, sizeof(labels), "route=\"%s\"",
		    ce_route_name((enum ce_route)rt));
		if ((er = histogram(b, "c2s_http_request_duration_seconds",
		    labels, r->req_hist[rt], &r->req_sum_us[rt])) != CE_OK)
			return er;
	}
	return CE_OK;
}

static enum ce_err
render_upstreams(struct ce_buf *b, const struct cx_mregion *r)
{
	char		 labels[96];
	size_t		 k, u;
	enum ce_err	 er;

	if ((er = head(b, "c2s_upstream_calls_total", "counter", "Upstream "
	    "calls, by API, call and classified outcome.")) != CE_OK)
		return er;
	for (k = 0; k < CE_CALL__MAX; k++)
		for (u = 0; u < CE_UP__MAX; u++)
			if (get(&r->up[k][u]) > 0 && (er = ce_buf_printf(b,
			    "c2s_upstream_calls_total{api=\"%s\",call=\"%s\","
			    "outcome=\"%s\"} %llu\n", cx_callkinds[k].api,
			    cx_callkinds[k].name, ce_up_name((enum ce_up)u),
			    (unsigned long long)get(&r->up[k][u]))) != CE_OK)
				return er;
	if ((er = head(b, "c2s_upstream_call_duration_seconds", "histogram",
	    "Upstream call time, retries included, by API and call.")) !=
	    CE_OK)
		return er;
	for (k = 0; k < CE_CALL__MAX; k++) {
		if (total(r->up_hist[k], CX_METRICS_NB) == 0)
			continue;
		snprintf(labels, sizeof(labels), "api=\"%s\",call=\"%s\"",
		    cx_callkinds[k].api, cx_callkinds[k].name);
		if ((er = histogram(b, "c2s_upstream_call_duration_seconds",
		    labels, r->up_hist[k], &r->up_sum_us[k])) != CE_OK)
			return er;
	}
	return CE_OK;
}

static enum ce_err
render_counts(struct ce_buf *b, const struct cx_mregion *r)
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
render_spool(struct cx_web *w, struct ce_buf *b, const struct cx_mregion *r)
{
	unsigned long long	 files = 0, bytes = 0;
	enum ce_err		 er;

	(void)cx_spool_depth(&w->app, &files, &bytes);
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
render_breakers(struct cx_web *w, struct ce_buf *b)
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
		if ((st = cx_breaker_state(&w->app.brk, (enum cx_brk)t,
		    &v[t][1], &v[t][2])) < 0)
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
render_procs(struct cx_web *w, struct ce_buf *b)
{
	struct cx_procslot	*t;
	size_t		 n, i;
	unsigned	 count[3] = { 0, 0, 0 };
	int		 role;
	int32_t		 pid;
	enum ce_err	 er;

	cx_mtab_sample(&w->app.mtab);
	if ((t = cx_shm_table(cx_shmfile_get(w->app.shf), CX_SHM_PROCS,
	    &n)) == NULL)
		return CE_OK;
	if ((er = head(b, "c2s_process_resident_memory_bytes", "gauge",
	    "Resident memory of each live process (sampled every 64 "
	    "requests, and by the worker each turn).")) != CE_OK)
		return er;
	for (i = 0; i < n; i++) {
		pid = __atomic_load_n(&t[i].pid, __ATOMIC_ACQUIRE);
		if (pid == 0 || !cx_metrics_alive(pid))
			continue;
		role = t[i].role >= 0 && t[i].role <= CX_ROLE_MASTER ?
		    t[i].role : CX_ROLE_RESPONDER;
		count[role]++;
		if ((er = ce_buf_printf(b, "c2s_process_resident_memory_bytes"
		    "{pid=\"%d\",role=\"%s\"} %llu\n", (int)pid, roles[role],
		    (unsigned long long)t[i].rss_kb * 1024)) != CE_OK)
			return er;
	}
	if ((er = head(b, "c2s_processes_alive", "gauge", "Live processes "
	    "of this machine, by role.")) != CE_OK)
		return er;
	return ce_buf_printf(b, "c2s_processes_alive{role=\"responder\"} %u\n"
	    "c2s_processes_alive{role=\"worker\"} %u\n"
	    "c2s_processes_alive{role=\"master\"} %u\n", count[0], count[1],
	    count[2]);
}

/*
 * The pool's scoreboard: responders in a request now, in all and by
 * route and pipeline step (a series per pair seen now).  A slot whose
 * process is gone, or torn past its retries, is not counted.
 */
static enum ce_err
render_pool(struct cx_web *w, struct ce_buf *b)
{
	struct cx_sb_snap	 snap;
	unsigned	 n[CE_ROUTE__MAX][CX_SB_STEP__MAX], busy = 0;
	const struct cx_sb_slot	*s;
	size_t		 i, rt, st;
	enum ce_err	 er;

	if (cx_sb_snapshot(&w->app.sb, &snap) < 0)
		return CE_OK;
	memset(n, 0, sizeof(n));
	for (i = 0; i < CX_SB_SLOTS; i++) {
		s = &snap.slot[i];
		if ((s->seq & 1) != 0 || s->state != CX_SB_BUSY ||
		    !cx_metrics_alive(s->pid) || s->route >= CE_ROUTE__MAX ||
		    s->step >= CX_SB_STEP__MAX)
			continue;
		busy++;
		n[s->route][s->step]++;
	}
	if ((er = head(b, "c2s_pool_busy", "gauge", "Responders in a request "
	    "now (the pool's scoreboard).")) != CE_OK ||
	    (er = ce_buf_printf(b, "c2s_pool_busy %u\n", busy)) != CE_OK ||
	    (er = head(b, "c2s_pool_busy_steps", "gauge", "Responders in a "
	    "request now, by route and pipeline step.")) != CE_OK)
		return er;
	for (rt = 0; rt < CE_ROUTE__MAX; rt++)
		for (st = 0; st < CX_SB_STEP__MAX; st++)
			if (n[rt][st] > 0 && (er = ce_buf_printf(b,
			    "c2s_pool_busy_steps{route=\"%s\",step=\"%s\"} "
			    "%u\n", ce_route_name((enum ce_route)rt),
			    cx_sb_step_name((int)st), n[rt][st])) != CE_OK)
				return er;
	return CE_OK;
}

enum ce_err
cx_h_metrics(struct cx_web *w, const struct cx_request *rq,
    struct ce_resp *resp)
{
	struct cx_mregion	*r = cx_metrics_region(&w->app.mtab);
	struct ce_shm	*s = cx_shmfile_get(w->app.shf);
	struct ce_buf	*b = resp->body;
	enum ce_err	 er;

	(void)rq;
	if (r == NULL)
		return cx_fail(resp, CE_EUNAVAIL, NULL, "metrics: the "
		    "shared file is not mapped");
	resp->ctype = "text/plain; version=0.0.4; charset=utf-8";
	if ((er = render_requests(b, r)) != CE_OK ||
	    (er = render_upstreams(b, r)) != CE_OK ||
	    (er = render_counts(b, r)) != CE_OK ||
	    (er = render_spool(w, b, r)) != CE_OK ||
	    (er = render_breakers(w, b)) != CE_OK ||
	    (er = render_procs(w, b)) != CE_OK ||
	    (er = render_pool(w, b)) != CE_OK)
		return er;
	return ce_buf_printf(b, "# HELP c2s_dedup_slots_used Slots of the "
	    "shared de-duplication table in use.\n# TYPE c2s_dedup_slots_used "
	    "gauge\nc2s_dedup_slots_used %zu\n# HELP c2s_dedup_slots Slots of "
	    "the shared de-duplication table.\n# TYPE c2s_dedup_slots gauge\n"
	    "c2s_dedup_slots %zu\n", ce_dedup_used(s), ce_shm_slots(s));
}
