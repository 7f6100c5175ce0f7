/*
 * c2s-enrich.h -- the public interface of libc2senrich.
 *
 * This is the only header that fcgi/ and atf-tests/ include, but for the
 * programs that test modules, which include the header of the module they
 * check (lib/core/'s: the unit programs, upstream_test and the fuzz
 * drivers; shm_test io/shmfile.h and shared/dedup.h).  It owns the
 * opaque per-process context and its entry points, all defined in
 * lib/ctx.c.  The error enum, the configuration struct, the
 * FastCGI-independent request and response structs, the capped buffer
 * and the rest of the pure vocabulary its users need are declared in
 * lib/core/'s headers, which it includes, ce_subscribe()'s answer in
 * app/subscribe.h and ce_backfill_run()'s options and progress in
 * app/backfill.h.  Nothing below lib/ctx.c includes it.
 * One call, ce_handle(), turns a request into a response, so the whole
 * application can be driven without a web server.
 */
#ifndef C2S_ENRICH_H
#define C2S_ENRICH_H

#include <sys/types.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/buf.h"
#include "core/util.h"
#include "core/log.h"
#include "core/config.h"
#include "core/cgi.h"
#include "core/call.h"
#include "core/fcgirec.h"
#include "core/poolctl.h"
#include "app/backfill.h"
#include "app/subscribe.h"

struct ce_ctx;

/*
 * Make the per-process context from a validated configuration.  Nothing is
 * connected yet: the database connection is opened on first use.  Returns
 * NULL on allocation failure.
 */
struct ce_ctx	*ce_ctx_new(const struct ce_config *);
void		 ce_ctx_free(struct ce_ctx *);
const struct ce_config *ce_ctx_config(const struct ce_ctx *);
void		 ce_ctx_set_logfd(struct ce_ctx *, int);

/*
 * Turn "req" into "resp".  Always fills a response (errors become JSON
 * error bodies with their status); the body buffer is owned by the context
 * and valid until the next call.  Logs one access line.
 */
void		 ce_handle(struct ce_ctx *, const struct ce_req *,
		    struct ce_resp *);

/*
 * Between requests (app/spool.c): milliseconds until this process's spool
 * file, if it holds one, is idle enough to be closed for the worker (-1:
 * none, 0: now); ce_spool_idle() closes it then.
 */
long long	 ce_spool_wait_ms(struct ce_ctx *);
void		 ce_spool_idle(struct ce_ctx *);

/* GET /metrics: join the machine's table of processes at start; count
 * a responder leaving after MAX_REQUESTS. */
void		 ce_metrics_join(struct ce_ctx *);
void		 ce_metrics_recycled(struct ce_ctx *);
/* "us" microseconds as exact decimal seconds ("0.0025", "1234567.891"). */
void		 ce_metrics_secs(char *, size_t, uint64_t us);

/*
 * The pool's scoreboard (shared/scoreboard.h).  Under a master, right
 * after ce_ctx_new() in the child: take slot "slot" of "generation", and
 * wake the master through "efd" (-1: never) when the idle count falls
 * below its spare; returns 0, or -1 (the responder serves without a
 * slot).  Without it, a responder claims a slot itself in
 * ce_metrics_join() (again on a later request, at most once a second,
 * while the table is full) and frees it in ce_ctx_free().  ce_pool_exiting() marks the slot leaving, "recycled"
 * saying why: CE_POOL_RECYCLED after MAX_REQUESTS, CE_POOL_SIGNAL on a
 * signal, CE_POOL_ACCEPT_FAILED when accept failed.
 */
#define CE_POOL_SIGNAL		0
#define CE_POOL_RECYCLED	1
#define CE_POOL_ACCEPT_FAILED	(-1)
int		 ce_pool_attach(struct ce_ctx *, int slot, unsigned generation,
		    int efd);
void		 ce_pool_exiting(struct ce_ctx *, int recycled);

/*
 * For the other composition root, lib/master.c (not for fcgi/): the
 * shared file's handle with the responders' tables, in their order
 * (ctx.c); NULL on allocation failure.
 */
struct cx_log;
struct cx_shmfile;
struct cx_shmfile *cx_ctx_shmfile(const struct ce_config *, struct cx_log *);

/* The schema version (highest migration) this binary needs. */
int		 ce_schema_version(void);

/* Log a line with the context's request id, if any. */
void		 ce_log(struct ce_ctx *, enum ce_loglevel, const char *, ...)
		    CE_PRINTF(3, 4);

/*
 * Run the "n" calls (at most 8) in parallel, each classified into its
 * "res", within "deadline_us" (ce_deadline() clock).  The caller frees
 * each call's dossier with ce_dossier_free().
 */
void		 ce_upstream_run(struct ce_ctx *, struct ce_call *, size_t n,
		    long long deadline_us);
enum ce_up	 ce_upstream_one(struct ce_ctx *, struct ce_call *,
		    long long deadline_us);
enum ce_up	 ce_upstream_parse(struct ce_ctx *, struct ce_call *,
		    long status, const char *body, size_t len);
long long	 ce_deadline(const struct ce_ctx *);

/*
 * app/worker.c: c2s-enrich --worker.  Claims jobs from PostgreSQL until
 * "stopping" returns non-zero (checked between jobs: a job in hand is
 * finished first).  Survives database restarts.  Returns 0.
 */
int		 ce_worker_run(struct ce_ctx *, int (*stopping)(void));

/*
 * app/subscribe.c: c2s-enrich --subscribe / --unsubscribe.  Registers (or
 * removes) PUBLIC_URL/api/v1/webhooks/c2s?token=WEBHOOK_SECRET at C2S for
 * each of the lead actions C2S delivers (app/subscribe.h: ce_hook_actions,
 * struct ce_hook_result).  Fills "url" with the hook's URL as it may be
 * shown (the secret as ***) and "out" with C2S's answer per action.
 * Returns the number of actions that failed, or -1 when a setting is
 * missing (named in "err", never its value).
 */
int		 ce_subscribe(struct ce_ctx *, int unsubscribe,
		    struct ce_hook_result out[CE_HOOK_ACTIONS], char *url,
		    size_t urlsz, char *err, size_t errsz);

/*
 * app/backfill.c: c2s-enrich --backfill.  Walks C2S's lead list over
 * [o->since, o->until) newest first, queueing every lead never seen as a
 * worker job, o->progress told after each page (app/backfill.h).
 * Returns CE_BACKFILL_DONE, _STOPPED (resumable) or _FAILED with "err".
 */
enum ce_backfill_end ce_backfill_run(struct ce_ctx *,
		    const struct ce_backfill_opts *, char *err, size_t errsz);

/*
 * lib/master.c: what the pool master (c2s-enrich --pool, fcgi/master.c)
 * knows and decides; fcgi/ makes the system calls.  ce_master_new() maps
 * the shared file (the scoreboard) before any fork; each tick turns a
 * snapshot into the children to start and stop (core/poolctl.h's struct
 * ce_pool_acts) and logs the pool short and the slow requests; a reaped
 * child is classed (a failure lengthens the backoff).  The master's own
 * socket is answered by ce_master_answer() from the last snapshot and the
 * master's PostgreSQL probe.
 */
struct ce_master;

struct ce_master *ce_master_new(const struct ce_config *, char *err,
		    size_t errsz);
void		 ce_master_free(struct ce_master *);
const struct ce_config *ce_master_config(const struct ce_master *);
unsigned	 ce_master_generation(const struct ce_master *);
void		 ce_master_log(struct ce_master *, enum ce_loglevel,
		    const char *, ...) CE_PRINTF(3, 4);
long long	 ce_master_now(void);
long long	 ce_master_now_us(void);
int		 ce_master_slot(struct ce_master *);
void		 ce_master_forked(struct ce_master *, int slot, pid_t,
		    long long now);
void		 ce_master_stopped(struct ce_master *, int slot);
int		 ce_master_reaped(struct ce_master *, pid_t, int wstatus,
		    long long now);
void		 ce_master_tick(struct ce_master *, long long now,
		    struct ce_pool_acts *);
pid_t		 ce_master_pid(const struct ce_master *, int slot);
void		 ce_master_stop(struct ce_master *);
void		 ce_master_reload(struct ce_master *, long long now);
int		 ce_master_probe_fd(const struct ce_master *, short *events);
void		 ce_master_probe(struct ce_master *, long long now,
		    short revents);
long long	 ce_master_wait(const struct ce_master *, long long now);
size_t		 ce_master_answer(struct ce_master *,
		    const struct ce_fcgirec *, long long now_us, char *out,
		    size_t outsz);

#endif /* C2S_ENRICH_H */
