/*
 * main.c -- c2s-enrich, the FastCGI responder.  A thin adapter: it loads
 * the configuration, makes the context, then accepts requests on fd 0
 * (the socket spawn-fcgi hands over), turns each into a struct ce_req,
 * lets ce_handle() answer it, and writes the response back.  SIGTERM makes
 * an idle responder exit at once and a busy one after its request; after
 * MAX_REQUESTS (plus jitter) the responder exits so a fresh one takes its
 * place.
 *
 * With --pool the program is the pool master instead (master.c): it
 * forks the responders itself, each of which then runs serve() here
 * (under multiwatch, the plain mode, a recycled responder waits to have
 * lived 2 s, for multiwatch counts a quicker exit as a failed start).
 *
 * With --worker (or -w) the same binary is the background worker instead
 * (lib/app/worker.c): it claims jobs from PostgreSQL until SIGTERM,
 * finishing the job in hand first.  --subscribe and --unsubscribe register or
 * remove the service's webhook at C2S (lib/app/subscribe.c) and exit.
 * --backfill --since DAY [--until DAY] queues C2S's leads of those days
 * never seen as jobs (lib/app/backfill.c), its progress on stderr: one
 * line rewritten on a terminal, else a line every PLAIN_PAGES pages or
 * PLAIN_SECONDS, and a summary on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <fcgiapp.h>

#include "c2s-enrich.h"
#include "master.h"
#include "signals.h"

/*
 * A recycled responder must have lived MIN_LIFETIME_MS: multiwatch (run
 * with -t 1000) counts a child that exits sooner as a failed respawn and
 * gives up on its slot after three.
 */
#define MIN_LIFETIME_MS	2000

static int
lived_enough(const struct timespec *born)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - born->tv_sec) * 1000 +
	    (now.tv_nsec - born->tv_nsec) / 1000000 >= MIN_LIFETIME_MS;
}

static void
usage(void)
{
	fprintf(stderr, "usage: c2s-enrich [-nVw] [--pool | --worker | "
	    "--subscribe | --unsubscribe]\n"
	    "       c2s-enrich --backfill --since YYYY-MM-DD "
	    "[--until YYYY-MM-DD]\n"
	    "  -n  check the configuration and exit\n"
	    "  -V  print the version and exit\n"
	    "  --pool  be the pool master: fork and keep the responders\n"
	    "  -w, --worker  run the background worker, not a responder\n"
	    "  --subscribe, --unsubscribe  register or remove the webhook "
	    "at C2S\n"
	    "  --backfill  queue C2S's leads of those days (São Paulo "
	    "time) never seen\n");
}

/*
 * Read the request body into "b" when CONTENT_LENGTH is within the cap.
 * Returns 0, or -1 when the declared length is over the cap or malformed
 * (the body is then not read at all).
 */
static int
read_body(FCGX_Request *r, struct ce_buf *b, long long cap)
{
	const char	*cl = FCGX_GetParam("CONTENT_LENGTH", r->envp);
	long long	 want = 0, got = 0;
	char		 chunk[8192];
	int		 n;

	ce_buf_reset(b);
	if (cl != NULL && *cl != '\0' &&
	    ce_strtonum(cl, 0, (long long)1 << 62, &want) == -1)
		return -1;
	if (want > cap)
		return -1;
	while (got < want) {
		n = FCGX_GetStr(chunk, (int)(want - got < (long long)sizeof(chunk)
		    ? want - got : (long long)sizeof(chunk)), r->in);
		if (n <= 0)
			break;
		if (ce_buf_append(b, chunk, (size_t)n) != CE_OK)
			return -1;
		got += n;
	}
	return 0;
}

/*
 * A streamed response's bytes (struct ce_req's write): sent to the web
 * server at once, so the responder holds no more than a handler's batch.
 */
static int
write_now(void *arg, const char *data, size_t len)
{
	FCGX_Request	*r = arg;

	while (len > 0) {
		int n = len > 65536 ? 65536 : (int)len;

		if (FCGX_PutStr(data, n, r->out) != n)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return FCGX_FFlush(r->out) == 0 ? 0 : -1;
}

static void
write_resp(FCGX_Request *r, const struct ce_resp *resp, int head)
{
	size_t	 len = resp->body->len;
	char	 hdr[512];
	int	 n;

	if (resp->streamed)
		return;
	if ((n = ce_resp_head(resp, (long long)len, hdr, sizeof(hdr))) == -1)
		n = snprintf(hdr, sizeof(hdr), "Status: 500\r\n"
		    "Content-Type: application/json\r\n\r\n");
	FCGX_PutStr(hdr, n, r->out);
	if (head)
		return;
	if (len > 0)
		FCGX_PutStr(resp->body->data, (int)len, r->out);
}

/*
 * --subscribe (or --unsubscribe): what C2S answered, one line per action.
 * Returns the exit status: 0 when C2S accepted every action.
 */
static int
hooks(struct ce_ctx *ctx, const struct ce_config *cfg, int unsubscribe)
{
	struct ce_hook_result	 r[CE_HOOK_ACTIONS];
	const char		*verb = unsubscribe ? "unsubscribe" : "subscribe";
	char			 url[CE_URL_MAX + 64], err[256];
	int			 failed, i;

	if ((failed = ce_subscribe(ctx, unsubscribe, r, url, sizeof(url), err,
	    sizeof(err))) == -1) {
		fprintf(stderr, "c2s-enrich: %s\n", err);
		return 1;
	}
	printf("%s %s at %s\n", verb, url, cfg->c2s_base_url);
	for (i = 0; i < CE_HOOK_ACTIONS; i++)
		printf("%s %s: %s, HTTP %ld: %s\n", verb, r[i].action,
		    r[i].res == CE_UP_OK ? "ok" : "FAILED", r[i].status,
		    r[i].answer);
	if (failed > 0)
		fprintf(stderr, "c2s-enrich: %d of %d actions failed\n", failed,
		    CE_HOOK_ACTIONS);
	return failed > 0 ? 1 : 0;
}

#define PLAIN_PAGES	10	/* not a terminal: a line every 10 pages */
#define PLAIN_SECONDS	5	/* ... or 5 seconds */
#define TTY_MS		200	/* a terminal: the line at most 5 times a s */

/* --backfill's progress: how it is shown, and when it last was. */
struct shown {
	int		 tty;		/* stderr is a terminal */
	long long	 at_ms;		/* elapsed when last shown, -1 never */
	long long	 page;		/* page last shown */
	size_t		 width;		/* of the terminal line last shown */
	struct ce_backfill_progress last;	/* the last told */
	int		 told;
};

/* A page done: the progress line, when it is due. */
static void
progress(void *arg, const struct ce_backfill_progress *p)
{
	struct shown	*sh = arg;
	char		 line[512];
	size_t		 n;

	sh->last = *p;
	sh->told = 1;
	if (!p->done && sh->at_ms >= 0 && (sh->tty ?
	    p->elapsed_ms - sh->at_ms < TTY_MS :
	    p->page - sh->page < PLAIN_PAGES &&
	    p->elapsed_ms - sh->at_ms < PLAIN_SECONDS * 1000))
		return;
	sh->at_ms = p->elapsed_ms;
	sh->page = p->page;
	ce_backfill_line(p, line, sizeof(line));
	n = strlen(line);
	if (!sh->tty) {
		fprintf(stderr, "%s\n", line);
		return;
	}
	/* Rewritten in place: blanks over what a longer line left. */
	fprintf(stderr, "\r%s%*s", line, sh->width > n ? (int)(sh->width - n) :
	    0, "");
	sh->width = n;
	if (p->done)
		fputc('\n', stderr);
	fflush(stderr);
}

/*
 * --backfill: walk and queue; the summary on stdout.  Returns the exit
 * status: 0 done, 1 failed, 3 stopped by a signal (run it again to
 * resume).
 */
static int
backfill(struct ce_ctx *ctx, struct ce_backfill_opts *bo)
{
	struct shown		 sh;
	enum ce_backfill_end	 e;
	char			 err[512], line[768];

	memset(&sh, 0, sizeof(sh));
	sh.tty = isatty(STDERR_FILENO);
	sh.at_ms = -1;
	bo->stopping = fcgi_stop_signal;
	bo->progress = progress;
	bo->arg = &sh;
	e = ce_backfill_run(ctx, bo, err, sizeof(err));
	if (sh.tty && sh.width > 0 && e != CE_BACKFILL_DONE)
		fputc('\n', stderr);
	if (sh.told) {
		ce_backfill_summary(&sh.last, line, sizeof(line));
		printf("%s\n", line);
		fflush(stdout);
	}
	if (e == CE_BACKFILL_FAILED) {
		fprintf(stderr, "c2s-enrich: backfill: %s\n", err);
		return 1;
	}
	return e == CE_BACKFILL_DONE ? 0 : 3;
}

/* What the command line asks for. */
struct opts {
	int	 check_only;	/* -n */
	int	 pool;		/* --pool */
	int	 worker;	/* --worker, -w */
	int	 hook;		/* 1 --subscribe, 2 --unsubscribe */
	int	 backfill;	/* --backfill */
	struct ce_backfill_opts bo;
};

/*
 * --backfill's words after it: --since DAY (required), --until DAY, each
 * as two words or with "=", into o->bo (the days in São Paulo time;
 * --until's included).  Returns -1 to go on, or 2 after a usage error
 * (said on stderr).
 */
static int
parse_backfill(int argc, char *argv[], struct opts *o)
{
	const char	*since = NULL, *until = NULL, **dst, *v;
	long long	 now = (long long)time(NULL);
	int		 i;
	size_t		 len;

	for (i = 2; i < argc; i++) {
		if (strncmp(argv[i], "--since", 7) == 0)
			dst = &since;
		else if (strncmp(argv[i], "--until", 7) == 0)
			dst = &until;
		else {
			fprintf(stderr, "c2s-enrich: --backfill: unknown "
			    "argument %s\n", argv[i]);
			usage();
			return 2;
		}
		len = strlen(argv[i]);
		if (len == 7 && i + 1 < argc)
			v = argv[++i];
		else if (len > 8 && argv[i][7] == '=')
			v = argv[i] + 8;
		else {
			fprintf(stderr, "c2s-enrich: %s wants a day "
			    "(YYYY-MM-DD)\n", argv[i]);
			return 2;
		}
		*dst = v;
	}
	if (since == NULL) {
		fprintf(stderr, "c2s-enrich: --backfill wants --since "
		    "YYYY-MM-DD\n");
		return 2;
	}
	if (ce_backfill_day(since, &o->bo.since) == -1) {
		fprintf(stderr, "c2s-enrich: --since %s: not a day "
		    "(YYYY-MM-DD)\n", since);
		return 2;
	}
	if (until != NULL && ce_backfill_day(until, &o->bo.until) == -1) {
		fprintf(stderr, "c2s-enrich: --until %s: not a day "
		    "(YYYY-MM-DD)\n", until);
		return 2;
	}
	o->bo.until_given = until != NULL;
	if (until != NULL)
		o->bo.until += 86400;	/* the whole day */
	else
		o->bo.until = now;
	if (o->bo.since >= now) {
		fprintf(stderr, "c2s-enrich: --since %s is in the future\n",
		    since);
		return 2;
	}
	if (o->bo.since >= o->bo.until) {
		fprintf(stderr, "c2s-enrich: --until %s is before --since "
		    "%s\n", until, since);
		return 2;
	}
	o->backfill = 1;
	return -1;
}

/*
 * Read the command line into "o": a mode word first (--worker,
 * --subscribe, --unsubscribe), then -n -V -w.  Returns -1 to go on, or
 * the exit status (0 after -V, 2 after a usage error).
 */
static int
parse_args(int argc, char *argv[], struct opts *o)
{
	int	 c;

	memset(o, 0, sizeof(*o));
	if (argc > 1 && strcmp(argv[1], "--backfill") == 0)
		return parse_backfill(argc, argv, o);
	if (argc > 1 && (strcmp(argv[1], "--pool") == 0 ||
	    strcmp(argv[1], "--worker") == 0 ||
	    strcmp(argv[1], "--subscribe") == 0 ||
	    strcmp(argv[1], "--unsubscribe") == 0)) {
		o->pool = strcmp(argv[1], "--pool") == 0;
		o->worker = strcmp(argv[1], "--worker") == 0;
		o->hook = strcmp(argv[1], "--subscribe") == 0 ? 1 :
		    strcmp(argv[1], "--unsubscribe") == 0 ? 2 : 0;
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	while ((c = getopt(argc, argv, "nVw")) != -1)
		switch (c) {
		case 'n':
			o->check_only = 1;
			break;
		case 'w':
			o->worker = 1;
			break;
		case 'V':
			puts(CE_SERVICE " " CE_VERSION);
			return 0;
		default:
			usage();
			return 2;
		}
	if (optind != argc || (o->pool && o->worker)) {
		usage();
		return 2;
	}
	return -1;
}

/*
 * Sane descriptors, the configuration into "cfg" (and -n's report), no
 * core files and the signals.  Returns -1 to go on, or the exit status (0
 * after -n, 1 on failure).
 */
static int
startup(const struct opts *o, struct ce_config *cfg)
{
	struct rlimit	 nocore = { 0, 0 };
	char		 err[256];
	const char	*w;
	size_t		 i;

	if (fcgi_sane_fds() == -1)
		return 1;
	if (ce_config_load(cfg, err, sizeof(err)) != CE_OK) {
		fprintf(stderr, "c2s-enrich: %s\n", err);
		return 1;
	}
	if (o->check_only) {
		for (i = 0; (w = ce_config_warning(cfg, i)) != NULL; i++)
			fprintf(stderr, "c2s-enrich: warning: %s\n", w);
		puts("c2s-enrich: configuration ok");
		return 0;
	}
	/* A responder's memory holds tokens and personal data: no cores. */
	if (setrlimit(RLIMIT_CORE, &nocore) == -1 ||
	    fcgi_signals_install(1) == -1) {
		fprintf(stderr, "c2s-enrich: setup: %s\n", strerror(errno));
		return 1;
	}
	return -1;
}

/*
 * The responder's request limit: MAX_REQUESTS plus up to a tenth, drawn
 * per process, so the pool does not recycle all at once.
 */
static long long
request_limit(const struct ce_config *cfg)
{
	srand((unsigned)getpid() ^ (unsigned)time(NULL));
	return cfg->max_requests + rand() % (cfg->max_requests / 10 + 1);
}

/* The request in "fr" as a struct ce_req, its body read into "body". */
static void
req_from_fcgx(FCGX_Request *fr, struct ce_buf *body, long long cap,
    struct ce_req *req)
{
	memset(req, 0, sizeof(*req));
	req->method = FCGX_GetParam("REQUEST_METHOD", fr->envp);
	req->uri = FCGX_GetParam("REQUEST_URI", fr->envp);
	req->env = (const char *const *)fr->envp;
	if (read_body(fr, body, cap) == -1)
		req->body_too_large = 1;
	req->body = body->data != NULL ? body->data : "";
	req->bodylen = body->len;
	req->write = write_now;
	req->write_arg = fr;
}

/*
 * Arm the timer that interrupts a waiting accept "ms" milliseconds from now
 * (at least 1), or disarm it (ms < 0).
 */
static void
spool_timer(long long ms)
{
	static int		 armed;
	struct itimerval	 it;

	if (ms < 0 && !armed)
		return;
	armed = ms >= 0;
	memset(&it, 0, sizeof(it));
	if (ms >= 0) {
		ms = ms < 1 ? 1 : ms;
		it.it_value.tv_sec = (time_t)(ms / 1000);
		it.it_value.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	}
	(void)setitimer(ITIMER_REAL, &it, NULL);
}

/*
 * The responder: accept and answer requests on fd 0 until a signal, or
 * "limit" requests (under multiwatch, once it has lived MIN_LIFETIME_MS
 * since "born"; "born" is NULL under the master).  Returns the exit
 * status.
 */
static int
serve(struct ce_ctx *ctx, const struct ce_config *cfg, long long limit,
    const struct timespec *born)
{
	struct ce_req	 req;
	struct ce_resp	 resp;
	struct ce_buf	 body;
	FCGX_Request	 fr;
	const char	*w;
	size_t		 i;
	long long	 served = 0;
	int		 rc;

	/* What a responder leaves open on purpose: one line each, once per
	 * process. */
	for (i = 0; (w = ce_config_warning(cfg, i)) != NULL; i++)
		ce_log(ctx, CE_LOG_WARN, "%s", w);
	/* Accept fails on a signal: SIGALRM wakes it to close the spool
	 * file (spool_timer()). */
	if (FCGX_Init() != 0 ||
	    FCGX_InitRequest(&fr, 0, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		ce_log(ctx, CE_LOG_ERROR, "fcgi: cannot initialise");
		return 1;
	}
	ce_buf_init(&body, (size_t)cfg->max_body);
	ce_metrics_join(ctx);
	ce_log(ctx, CE_LOG_DEBUG, "responder started, recycling after %lld",
	    limit);
	while (!fcgi_stop_signal() &&
	    (served < limit || (born != NULL && !lived_enough(born)))) {
		spool_timer(ce_spool_wait_ms(ctx));
		if ((rc = FCGX_Accept_r(&fr)) < 0) {
			if (rc == -EINTR && !fcgi_stop_signal()) {
				ce_spool_idle(ctx);
				continue;
			}
			if (!fcgi_stop_signal())
				ce_log(ctx, CE_LOG_ERROR, "accept: %s", rc < 0 &&
				    rc > -4096 ? strerror(-rc) : "failed");
			break;
		}
		spool_timer(-1);
		req_from_fcgx(&fr, &body, cfg->max_body, &req);
		ce_handle(ctx, &req, &resp);
		write_resp(&fr, &resp,
		    req.method != NULL && strcmp(req.method, "HEAD") == 0);
		FCGX_Finish_r(&fr);
		served++;
	}
	if (!fcgi_stop_signal() && served >= limit)
		ce_metrics_recycled(ctx);
	ce_pool_exiting(ctx, fcgi_stop_signal() ? CE_POOL_SIGNAL :
	    served >= limit ? CE_POOL_RECYCLED : CE_POOL_ACCEPT_FAILED);
	ce_log(ctx, CE_LOG_INFO, "responder exiting after %lld requests (%s)",
	    served, fcgi_stop_signal() ? "signal" :
	    served >= limit ? "recycled" : "accept failed");
	ce_buf_free(&body);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct opts		 o;
	struct ce_config	 cfg;
	const struct ce_config	*use = &cfg;
	struct fcgi_child	 fc;
	struct ce_ctx		*ctx = NULL;
	struct timespec		 born;
	int			 rc;

	if ((rc = parse_args(argc, argv, &o)) != -1 ||
	    (rc = startup(&o, &cfg)) != -1)
		return rc;
	rc = 1;
	clock_gettime(CLOCK_MONOTONIC, &born);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "c2s-enrich: curl_global_init failed\n");
		goto out;
	}
	/* The master forks before any context exists: each child makes its
	 * own (its shared-file handle, its "host:pid"). */
	if (o.pool) {
		if ((rc = fcgi_master(&cfg, &fc)) != -1)
			goto out;
		rc = 1;
		use = fc.cfg;
	}
	if ((ctx = ce_ctx_new(use)) == NULL) {
		fprintf(stderr, "c2s-enrich: out of memory\n");
		goto out;
	}
	if (o.worker)
		rc = ce_worker_run(ctx, fcgi_stop_signal);
	else if (o.backfill)
		rc = backfill(ctx, &o.bo);
	else if (o.hook != 0)
		rc = hooks(ctx, &cfg, o.hook == 2);
	else if (o.pool && ce_pool_attach(ctx, fc.slot, fc.generation,
	    fc.efd) == -1)
		ce_log(ctx, CE_LOG_ERROR, "pool: slot %d is not ours", fc.slot);
	else
		rc = serve(ctx, use, request_limit(use), o.pool ? NULL : &born);
out:
	ce_ctx_free(ctx);
	curl_global_cleanup();
	return rc;
}
