/*
 * master.c -- the pool master's side of lib/, the root beside ctx.c: what
 * c2s-enrich --pool (fcgi/master.c) knows and decides, as fcgi/ does the
 * system calls.  It owns the master's configuration, its log sink, its
 * handle on the shared file (the scoreboard, shared/scoreboard.c), and the
 * pool's policy state (core/poolctl.c): each tick turns a scoreboard
 * snapshot into the actions to take, logs the pool short and the slow
 * requests, and classes each reaped child.  It also answers what comes
 * on the master's own socket (/health, /ready and lighttpd's error
 * re-runs, web/h_probe.c) from the last snapshot and its own PostgreSQL
 * probe (io/pgprobe.c), so that no probe waits behind a slow lead.
 * Nothing calls into it but fcgi/master.c.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "c2s-enrich.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/fcgirec.h"
#include "core/log.h"
#include "core/poolctl.h"
#include "core/route.h"
#include "core/util.h"
#include "io/pgprobe.h"
#include "io/proc.h"
#include "io/shmfile.h"
#include "io/sockdiag.h"
#include "io/spooldir.h"
#include "shared/breaker.h"
#include "shared/metrics.h"
#include "shared/scoreboard.h"
#include "app/store.h"
#include "web/h_probe.h"
#include "web/req.h"
#include "web/resp.h"

#define SPOOL_EVERY_MS	1000	/* the spool's depth read again */
#define ANSWER_CAP	4096	/* a probe's body */
#define SNAP_FRESH_US	1000	/* a snapshot older is taken again */

struct ce_master {
	struct ce_config	 cfg;
	struct cx_log		 log;
	struct cx_shmfile	*shf;
	struct cx_sb		 sb;
	struct ce_pool_state	 st;
	/* What the master alone knows of each slot. */
	int			 stopping[CX_SB_SLOTS];	/* sent SIGTERM */
	unsigned long long	 slowlogged[CX_SB_SLOTS];
	struct cx_sb_snap	 snap;			/* the last one */
	long long		 snap_us;		/* taken then */
	int			 backlog;		/* fd 0's, -1 unknown */
	unsigned long long	 served_gone;		/* by reaped children */
	unsigned long long	 reqseq;		/* our request ids */
	struct cx_pgprobe	*pg;
	long long		 pg_seen_ms;		/* its last answer told */
	struct cx_breakers	 brk;
	struct cx_mtab		 mtab;			/* as CX_ROLE_MASTER */
	int			 role;
	struct cx_proc		 proc;			/* the master's own */
	struct ce_buf		 body;
	int			 draining;		/* SIGTERM came */
	long long		 spool_ms;		/* depth read then */
	int			 spool_ok;
	unsigned long long	 spool_files, spool_bytes;
};

/* Monotonic milliseconds, the scoreboard's clock; and microseconds. */
long long
ce_master_now(void)
{
	return cx_now_us() / 1000;
}

long long
ce_master_now_us(void)
{
	return cx_now_us();
}

static struct ce_pool_policy
policy(const struct ce_config *cfg)
{
	struct ce_pool_policy	 p;

	memset(&p, 0, sizeof(p));
	p.min = cfg->pool_min;
	p.max = cfg->pool_max;
	p.spare = cfg->pool_spare;
	p.idle_timeout_ms = cfg->pool_idle_timeout_ms;
	p.short_after_ms = cfg->pool_short_after_ms;
	p.slowlog_after_ms = cfg->slowlog_after_ms;
	return p;
}

/* The head's figures as configured now. */
static void
head_config(struct ce_master *m)
{
	struct cx_sb_head	*h;

	if ((h = cx_sb_head(&m->sb)) == NULL)
		return;
	h->master_pid = (int32_t)getpid();
	h->generation = m->st.generation;
	h->min = m->cfg.pool_min;
	h->max = m->cfg.pool_max;
	h->spare = m->cfg.pool_spare;
	h->short_after_ms = m->cfg.pool_short_after_ms;	/* the workers' */
	h->queue = -1;		/* read with each snapshot (snap_take) */
}

/*
 * A snapshot of the scoreboard taken now, with the pool socket's listen
 * queue (fd 0) read beside it into the head.  -1 when the scoreboard
 * could not be read (the last snapshot stays).
 */
static int
snap_take(struct ce_master *m)
{
	struct cx_sb_head	*h;
	int			 q;

	if (cx_sb_snapshot(&m->sb, &m->snap) == -1)
		return -1;
	m->snap_us = cx_now_us();
	q = cx_sockdiag_queue(0, &m->backlog);
	m->snap.head.queue = q;
	if ((h = cx_sb_head(&m->sb)) != NULL)
		h->queue = q;
	return 0;
}

/*
 * The master's state: the shared file created (or rebuilt) and mapped now,
 * before any child exists.  Returns NULL with "err" said when the file
 * cannot be mapped: a pool without its scoreboard cannot be steered.
 */
struct ce_master *
ce_master_new(const struct ce_config *cfg, char *err, size_t errsz)
{
	struct ce_master	*m;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	m->cfg = *cfg;
	m->log.fd = 2;
	m->log.min = cfg->log_level;
	if ((m->shf = cx_ctx_shmfile(&m->cfg, &m->log)) == NULL ||
	    cx_shmfile_get(m->shf) == NULL) {
		snprintf(err, errsz, "DEDUP_FILE: cannot map the shared file");
		goto fail;
	}
	cx_sb_init(&m->sb, m->shf);
	ce_poolctl_init(&m->st, ce_master_now());
	m->backlog = -1;
	head_config(m);
	cx_proc_init(&m->proc);
	m->role = CX_ROLE_MASTER;
	cx_mtab_init(&m->mtab, m->shf, &m->proc, &m->role);
	cx_mtab_join(&m->mtab);
	cx_brk_init(&m->brk, m->shf, &m->cfg, &m->log);
	ce_buf_init(&m->body, ANSWER_CAP);
	if ((m->pg = cx_pgprobe_new(cfg->db_url, cx_store_schema_sql())) ==
	    NULL) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	return m;
fail:
	ce_master_free(m);
	return NULL;
}

void
ce_master_free(struct ce_master *m)
{
	if (m == NULL)
		return;
	cx_pgprobe_free(m->pg);
	cx_mtab_leave(&m->mtab);
	ce_buf_free(&m->body);
	cx_proc_close(&m->proc);
	cx_shmfile_free(m->shf);
	free(m);
}

const struct ce_config *
ce_master_config(const struct ce_master *m)
{
	return &m->cfg;
}

unsigned
ce_master_generation(const struct ce_master *m)
{
	return m->st.generation;
}

void
ce_master_log(struct ce_master *m, enum ce_loglevel level, const char *fmt,
    ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	cx_vlogf(&m->log, level, fmt, ap);
	va_end(ap);
}

/* A free slot for the next child, or -1. */
int
ce_master_slot(struct ce_master *m)
{
	return cx_sb_free_slot(&m->sb);
}

/* A child was forked into "slot". */
void
ce_master_forked(struct ce_master *m, int slot, pid_t pid, long long now)
{
	m->stopping[slot] = 0;
	m->slowlogged[slot] = 0;
	cx_sb_forked(&m->sb, slot, pid, m->st.generation, now);
}

/* The master sent SIGTERM to the child of "slot". */
void
ce_master_stopped(struct ce_master *m, int slot)
{
	m->stopping[slot] = 1;
}

static void
view_of(const struct cx_sb_slot *s, int stopping, unsigned long long slow,
    struct ce_pool_view *v)
{
	memset(v, 0, sizeof(*v));
	v->pid = s->pid;
	v->generation = s->generation;
	/* The same values (scoreboard.c asserts it at compile time). */
	v->state = s->state < CX_SB__MAX ? s->state : CE_PS_FREE;
	v->stopping = stopping;
	v->born_ms = s->born_ms;
	v->req_start_ms = s->req_start_ms;
	v->idle_since_ms = s->idle_since_ms;
	v->reqno = s->reqno;
	v->slowlogged = slow;
}

/* How a child's end reads in the log: "exit 0", "signal 9". */
static void
exit_words(int wstatus, char *buf, size_t bufsz)
{
	if (WIFSIGNALED(wstatus))
		snprintf(buf, bufsz, "signal %d", WTERMSIG(wstatus));
	else
		snprintf(buf, bufsz, "exit %d", WEXITSTATUS(wstatus));
}

/*
 * A child was reaped: its slot freed and its end classed (a failure
 * lengthens the backoff, poolctl.c).  Returns its slot, or -1 when the
 * pid was not one of the pool's.
 */
int
ce_master_reaped(struct ce_master *m, pid_t pid, int wstatus, long long now)
{
	struct cx_sb_slot	 last;
	struct ce_pool_view	 v;
	enum ce_pool_exit	 px;
	char			 how[32], when[48];
	int			 slot;

	if ((slot = cx_sb_reaped(&m->sb, pid, &last)) == -1)
		return -1;
	m->served_gone += last.served;
	view_of(&last, m->stopping[slot], m->slowlogged[slot], &v);
	px = ce_poolctl_reaped(&m->st, &v, wstatus,
	    last.state == CX_SB_EXITING && last.exit_why == CX_SB_WHY_RECYCLED &&
	    WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0, now);
	exit_words(wstatus, how, sizeof(how));
	m->stopping[slot] = 0;
	if (px != CE_PX_FAILED) {
		ce_master_log(m, CE_LOG_DEBUG, "responder %ld ended (%s, %s)",
		    (long)pid, how, px == CE_PX_RECYCLED ? "recycled" :
		    "stopped");
		return slot;
	}
	if (last.state == CX_SB_STARTING)
		ce_strlcpy(when, "before its first accept", sizeof(when));
	else if (last.served == 0)
		ce_strlcpy(when, "before any request", sizeof(when));
	else
		snprintf(when, sizeof(when), "after %llu requests",
		    (unsigned long long)last.served);
	ce_master_log(m, CE_LOG_WARN, "responder %ld failed (%s, %s); next "
	    "start in %lld ms", (long)pid, how, when,
	    m->st.next_spawn_ms > now ? m->st.next_spawn_ms - now : 0);
	return slot;
}

/* The log lines a tick asks for: the pool short, the slow requests. */
static void
tick_log(struct ce_master *m, const struct cx_sb_snap *snap,
    const struct ce_pool_acts *a, long long now)
{
	const struct cx_sb_slot	*s;
	char			 f[256], how[32] = "none";
	int			 i;

	if (a->log_short) {
		if (m->st.last_fail_ms > 0)
			exit_words(m->st.last_fail_status, how, sizeof(how));
		ce_master_log(m, CE_LOG_ERROR, "pool short: %d of %d for %lld s"
		    ", last exit: %s", a->alive, m->cfg.pool_min,
		    a->short_for_ms / 1000, how);
	}
	for (i = 0; i < a->nslow; i++) {
		s = &snap->slot[a->slow[i]];
		m->slowlogged[a->slow[i]] = s->reqno;
		snprintf(f, sizeof(f), "\"child\":%ld,\"route\":\"%s\","
		    "\"lead\":\"%.35s\",\"step\":\"%s\",\"elapsed_ms\":%lld,"
		    "\"reqid\":\"%.23s\"", (long)s->pid,
		    ce_route_name((enum ce_route)s->route), s->lead,
		    cx_sb_step_name(s->step), now - s->req_start_ms, s->reqid);
		cx_log_write(&m->log, CE_LOG_WARN, f, "slow request");
	}
}

/*
 * One turn of the policy: what to start and stop now ("a"), from a
 * snapshot of the scoreboard.  The lines it calls for are logged here.
 */
void
ce_master_tick(struct ce_master *m, long long now, struct ce_pool_acts *a)
{
	struct cx_sb_snap	*snap = &m->snap;
	struct ce_pool_view	 v[CX_SB_SLOTS];
	struct ce_pool_policy	 p = policy(&m->cfg);
	struct cx_sb_head	*h;
	int			 i;

	memset(a, 0, sizeof(*a));
	if (snap_take(m) == -1)
		return;
	for (i = 0; i < CX_SB_SLOTS; i++)
		view_of(&snap->slot[i], m->stopping[i], m->slowlogged[i],
		    &v[i]);
	ce_poolctl_tick(&m->st, &p, v, CX_SB_SLOTS, now, a);
	tick_log(m, snap, a, now);
	/* The head's figures are the policy's, copied here alone. */
	if ((h = cx_sb_head(&m->sb)) != NULL) {
		h->short_since_ms = m->st.short_since_ms;
		h->failures = (uint32_t)m->st.failures;
		h->spawned = m->st.spawned;
		h->recycled = m->st.recycled;
		h->crashed = m->st.crashed;
		h->reloads = m->st.reloads;
	}
}

/* The pid in "slot" at the last tick, or 0. */
pid_t
ce_master_pid(const struct ce_master *m, int slot)
{
	return slot >= 0 && slot < CX_SB_SLOTS ? m->snap.slot[slot].pid : 0;
}

/* SIGTERM or SIGINT: no more starts; every child to be stopped. */
void
ce_master_stop(struct ce_master *m)
{
	m->draining = 1;
	ce_poolctl_stop(&m->st);
}

/* The PostgreSQL probe's fd and events to poll, or -1. */
int
ce_master_probe_fd(const struct ce_master *m, short *events)
{
	return cx_pgprobe_fd(m->pg, events);
}

/*
 * Advance the probe ("revents" its fd's, 0 on a timeout).  A database
 * that answers again closes its breaker for every responder at once, as
 * a responder's /ready did before the master answered it.
 */
void
ce_master_probe(struct ce_master *m, long long now, short revents)
{
	uint64_t	 trips, rejected;
	long long	 v, at;

	cx_pgprobe_step(m->pg, now, revents);
	if (cx_pgprobe_state(m->pg, &v, &at) != CX_PGPROBE_UP ||
	    at == m->pg_seen_ms)
		return;
	m->pg_seen_ms = at;
	if (cx_breaker_state(&m->brk, CX_BRK_DB, &trips, &rejected) > 0)
		cx_brk_result(&m->brk, CX_BRK_DB, 1);
}

/* Milliseconds the loop may sleep before the probe wants a step. */
long long
ce_master_wait(const struct ce_master *m, long long now)
{
	return cx_pgprobe_wait(m->pg, now);
}

/* The spool's depth, read at most once a SPOOL_EVERY_MS. */
static void
spool_depth(struct ce_master *m, long long now, struct cx_probe *p)
{
	if (m->spool_ms == 0 || now - m->spool_ms >= SPOOL_EVERY_MS) {
		m->spool_ok = cx_spooldir_depth(m->cfg.spool_dir,
		    &m->spool_files, &m->spool_bytes) == 0;
		m->spool_ms = now;
	}
	p->spool = m->spool_ok ? "ok" : "unreadable";
	p->spool_files = m->spool_files;
	p->spool_bytes = m->spool_bytes;
}

/* What a probe's answer says, from the last snapshot. */
static void
facts(struct ce_master *m, long long now, struct cx_probe *p)
{
	const struct cx_sb_slot	*s;
	struct cx_cache_totals	 ct;
	long long		 at;
	int			 i;

	/* The figures of at most a millisecond ago. */
	if (cx_now_us() - m->snap_us > SNAP_FRESH_US)
		(void)snap_take(m);
	memset(p, 0, sizeof(*p));
	p->pid = (long)getpid();
	p->requests = m->served_gone;
	p->uptime_ms = cx_proc_uptime_ms(&m->proc);
	p->rss_kb = cx_proc_rss_kb(&m->proc);
	for (i = 0; i < CX_SB_SLOTS; i++) {
		s = &m->snap.slot[i];
		p->requests += s->served;
		if (s->pid == 0 || m->stopping[i])
			continue;
		if (s->state == CX_SB_STARTING)
			p->starting++;
		else if (s->state == CX_SB_IDLE)
			p->idle++;
		else if (s->state == CX_SB_BUSY)
			p->busy++;
		else
			continue;
		p->alive++;
	}
	p->min = m->cfg.pool_min;
	p->max = m->cfg.pool_max;
	p->spare = m->cfg.pool_spare;
	p->generation = m->st.generation;
	p->queue = m->snap.head.queue;
	p->backlog = m->backlog;
	p->short_ms = m->st.short_since_ms > 0 ? now - m->st.short_since_ms : 0;
	p->pool_failing = p->alive - p->starting <= 0 ||
	    (p->short_ms > 0 && p->short_ms >= m->cfg.pool_short_after_ms);
	p->stopping = m->draining;
	p->db = (int)cx_pgprobe_state(m->pg, &p->schema, &at);
	p->db_age_ms = now - at;
	p->dedup = cx_shmfile_ok(m->shf);
	spool_depth(m, now, p);
	if (cx_metrics_cache_totals(m->shf, &ct) == 0) {
		p->cache_entries = ct.entries;
		p->cache_bytes = ct.bytes;
		p->cache_max = (unsigned long long)m->cfg.cache_max_bytes *
		    ct.procs;
		p->cache_hits = ct.hits;
		p->cache_misses = ct.misses;
	}
}


/*
 * The answer to "method" "uri" (REDIRECT_STATUS "rs", CONTENT_LENGTH
 * "cl") in "resp", checked in the responders' order (web/handle.c): the
 * web server's error, a body over MAX_BODY, the method, the path.
 */
static enum ce_route
answer(struct ce_master *m, const char *method, const char *uri,
    const char *rs, const char *cl, int metrics, long long now,
    struct ce_resp *resp)
{
	struct cx_probe	 p;
	long long	 st, len;
	size_t		 plen;

	facts(m, now, &p);
	if (rs != NULL && ce_strtonum(rs, 400, 599, &st) == 0) {
		cx_probe_httpd_error(&p, (int)st, resp);
		return CE_ROUTE_NONE;
	}
	if (cx_req_uri_ok(uri, &plen) == -1) {
		(void)cx_resp_errorc(resp, CE_EINPUT, NULL, NULL);
		return CE_ROUTE_NONE;
	}
	if (cl != NULL && *cl != '\0' && (ce_strtonum(cl, 0,
	    (long long)1 << 62, &len) == -1 || len > m->cfg.max_body)) {
		(void)cx_resp_errorc(resp, CE_E2BIG, NULL, NULL);
		return CE_ROUTE_NONE;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		(void)cx_resp_header(resp, "Allow", "GET, HEAD");
		(void)cx_resp_errorc(resp, CE_EMETHOD, NULL, NULL);
		return CE_ROUTE_NONE;
	}
	if (plen == 7 && strncmp(uri, "/health", 7) == 0) {
		cx_probe_health(&p, resp);
		return CE_ROUTE_HEALTH;
	}
	/* The metrics listener shows /health alone (web/auth.c). */
	if (plen == 6 && strncmp(uri, "/ready", 6) == 0 && !metrics) {
		cx_probe_ready(&p, resp);
		return CE_ROUTE_READY;
	}
	(void)cx_resp_errorc(resp, CE_ENOTFOUND, NULL, NULL);
	return CE_ROUTE_NONE;
}

/*
 * Answer the request "rq" read on the master's socket, into "out" as
 * FastCGI records (core/fcgirec.c).  Returns the bytes to write, or 0
 * when they do not fit (the connection is then closed unanswered).
 */
size_t
ce_master_answer(struct ce_master *m, const struct ce_fcgirec *rq,
    long long now_us, char *out, size_t outsz)
{
	const char	*method = ce_fcgirec_param(rq, "REQUEST_METHOD");
	const char	*uri = ce_fcgirec_param(rq, "REQUEST_URI");
	const char	*rid = ce_fcgirec_param(rq, "HTTP_X_REQUEST_ID");
	const char	*l;
	struct ce_resp	 resp;
	enum ce_route	 r;
	char		 msg[1024], ownid[40];
	long long	 us;
	size_t		 hl;
	int		 n, head;

	method = method != NULL ? method : "";
	uri = uri != NULL ? uri : "";
	head = strcmp(method, "HEAD") == 0;
	memset(&resp, 0, sizeof(resp));
	resp.body = &m->body;
	resp.ctype = "application/json";
	ce_buf_reset(&m->body);
	/* The client's request id if it is sane, else one of ours, as the
	 * responders do (web/handle.c). */
	if (rid == NULL || !ce_reqid_ok(rid)) {
		snprintf(ownid, sizeof(ownid), "%lx-%llx",
		    (unsigned long)getpid(), ++m->reqseq);
		rid = ownid;
	}
	(void)cx_resp_header(&resp, "X-Request-Id", rid);
	l = ce_fcgirec_param(rq, "C2S_LISTENER");
	r = answer(m, method, uri, ce_fcgirec_param(rq, "REDIRECT_STATUS"),
	    ce_fcgirec_param(rq, "CONTENT_LENGTH"), l != NULL &&
	    strcmp(l, "metrics") == 0, now_us / 1000, &resp);
	n = ce_resp_head(&resp, (long long)m->body.len, msg, sizeof(msg));
	us = cx_now_us() - now_us;
	ce_strlcpy(m->log.reqid, rid, sizeof(m->log.reqid));
	cx_log_access(&m->log, method, r, uri, strcspn(uri, "?"), resp.status,
	    us, ce_fcgirec_param(rq, "REMOTE_ADDR"));
	m->log.reqid[0] = '\0';
	cx_mtab_request(&m->mtab, r, resp.status, us);
	if (n == -1)
		return 0;
	hl = (size_t)n;
	if (!head && m->body.len > 0) {
		if (hl + m->body.len >= sizeof(msg))
			return 0;
		memcpy(msg + hl, m->body.data, m->body.len);
		hl += m->body.len;
	}
	return ce_fcgirec_encode(rq->reqid, msg, hl, out, outsz);
}


/*
 * SIGHUP: the environment and CONFIG_FILE read again.  Refused, one line
 * names the variable and nothing changes; accepted, the children started
 * from now on are a new generation with the new configuration, and the
 * old ones are stopped once enough new ones are idle (core/poolctl.c).
 */
void
ce_master_reload(struct ce_master *m, long long now)
{
	struct ce_config	 nc;
	struct cx_pgprobe	*pg;
	const char		*w;
	char			 err[256];
	size_t			 i;

	if (ce_config_reload(&nc, &m->cfg, err, sizeof(err)) == -1) {
		ce_master_log(m, CE_LOG_ERROR, "reload refused, the "
		    "configuration is unchanged: %s", err);
		return;
	}
	if (strcmp(nc.db_url, m->cfg.db_url) != 0 &&
	    (pg = cx_pgprobe_new(nc.db_url, cx_store_schema_sql())) != NULL) {
		cx_pgprobe_free(m->pg);
		m->pg = pg;
	}
	/* What needs a restart kept its running value: said once here, not
	 * by every responder forked from now on. */
	for (i = 0; (w = ce_config_warning(&nc, i)) != NULL; i++)
		if (strstr(w, "needs a restart") != NULL)
			ce_master_log(m, CE_LOG_WARN, "reload: %s", w);
	nc.restart_kept = 0;
	m->cfg = nc;
	m->log.min = nc.log_level;
	ce_poolctl_reload(&m->st, now);
	head_config(m);
	ce_master_log(m, CE_LOG_INFO, "reloaded: generation %u, %d to %d "
	    "responders", m->st.generation, nc.pool_min, nc.pool_max);
}
