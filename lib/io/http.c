/*
 * http.c -- every call to an upstream API goes through here.  One curl
 * multi handle per process and a small pool of easy handles, created on
 * first use and reused (the multi handle keeps the connections alive), run
 * a batch of independent requests in parallel.  Each attempt is bounded by
 * the configured timeouts and by the request's deadline; network errors,
 * 5xx and 429 are retried at most twice with jittered exponential backoff;
 * bodies are capped; no redirects, http and https only.  Tokens never reach
 * a log line: callers give a log-safe path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "io/http.h"

#define BODY_CAP	(1024 * 1024)
#define MAX_ATTEMPTS	3
#define BACKOFF_BASE_MS	100
#define RETRY_AFTER_MAX_MS 5000

_Static_assert(CX_HTTP_ERRSZ >= CURL_ERROR_SIZE,
    "a request's errbuf holds curl's error text");

struct cx_http {
	CURLM		*multi;
	CURL		*easy[CX_HTTP_MAXPAR];
	int		 busy[CX_HTTP_MAXPAR];
	unsigned	 seed;		/* jitter */
	const struct ce_config *cfg;	/* UPSTREAM_TIMEOUT, its connect part */
	struct cx_log	*log;
};

enum state { ST_IDLE = 0, ST_RUNNING, ST_WAITING, ST_DONE };

struct cx_http *
cx_http_open(const struct ce_config *cfg, struct cx_log *log)
{
	struct cx_http	*h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->cfg = cfg;
	h->log = log;
	h->seed = (unsigned)cx_now_us() ^ (unsigned)getpid();
	return h;
}

void
cx_http_free(struct cx_http *h)
{
	size_t	 i;

	if (h == NULL)
		return;
	for (i = 0; i < CX_HTTP_MAXPAR; i++)
		if (h->easy[i] != NULL)
			curl_easy_cleanup(h->easy[i]);
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	free(h);
}

/* Release what a request holds after its last attempt. */
void
cx_http_req_free(struct cx_http_req *r)
{
	ce_buf_free(&r->resp);
	curl_slist_free_all(r->hdrs);
	r->hdrs = NULL;
}

/*
 * Add the header "line" ("Name: value") to "r", freed with the request.
 * Returns CE_OK, or CE_ENOMEM with "r"'s headers unchanged.
 */
enum ce_err
cx_http_req_header(struct cx_http_req *r, const char *line)
{
	struct curl_slist	*l;

	if ((l = curl_slist_append(r->hdrs, line)) == NULL)
		return CE_ENOMEM;
	r->hdrs = l;
	return CE_OK;
}

/*
 * Make "r" a request: "method" (GET or POST) to "url".  The caller then
 * sets what else it needs (body, auth, log labels).  Nothing is allocated
 * until the request runs.
 */
void
cx_http_req_init(struct cx_http_req *r, const char *api, const char *method)
{
	memset(r, 0, sizeof(*r));
	r->api = api;
	r->method = method;
	ce_buf_init(&r->resp, BODY_CAP);
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct cx_http_req	*r = arg;
	size_t			 n = size * nmemb;

	if (ce_buf_append(&r->resp, data, n) != CE_OK) {
		r->too_big = 1;
		return 0;	/* makes curl fail with CURLE_WRITE_ERROR */
	}
	return n;
}

static CURL *
easy_get(struct cx_http *h, int *slot)
{
	int	 i;

	for (i = 0; i < CX_HTTP_MAXPAR; i++) {
		if (h->busy[i])
			continue;
		if (h->easy[i] == NULL && (h->easy[i] = curl_easy_init()) ==
		    NULL)
			return NULL;
		curl_easy_reset(h->easy[i]);
		h->busy[i] = 1;
		*slot = i;
		return h->easy[i];
	}
	return NULL;
}

static void
easy_put(struct cx_http *h, int slot)
{
	if (slot >= 0 && slot < CX_HTTP_MAXPAR)
		h->busy[slot] = 0;
}

/*
 * Set the options of one attempt of "r" on "e": its URL, method, body,
 * headers and credentials, timeouts "tmo" and "ctmo" (connect) in ms.
 * Returns CURLE_OK, or the first option's failure (the rest unset).
 */
static CURLcode
easy_setup(CURL *e, struct cx_http_req *r, long long tmo, long long ctmo)
{
	CURLcode	 cc = CURLE_OK;

#define SET(o, v)	if (cc == CURLE_OK) cc = curl_easy_setopt(e, o, v)
	SET(CURLOPT_URL, r->url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, (long)tmo);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)ctmo);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)BODY_CAP);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, r);
	SET(CURLOPT_ERRORBUFFER, r->errbuf);
	SET(CURLOPT_PRIVATE, r);
	SET(CURLOPT_USERAGENT, CE_SERVICE "/" CE_VERSION);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	if (r->hdrs != NULL)
		SET(CURLOPT_HTTPHEADER, r->hdrs);
	if (r->user != NULL) {
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SET(CURLOPT_USERNAME, r->user);
		SET(CURLOPT_PASSWORD, r->pass != NULL ? r->pass : "");
	}
	if (strcmp(r->method, "POST") == 0) {
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->bodylen);
		SET(CURLOPT_POSTFIELDS, r->body != NULL ? r->body : "");
	} else
		SET(CURLOPT_HTTPGET, 1L);
#undef SET
	return cc;
}

/* Start one attempt of "r".  Returns CE_OK, or an error (r is then done). */
static enum ce_err
attempt_start(struct cx_http *h, struct cx_http_req *r, long long deadline_us)
{
	const struct ce_config	*cfg = h->cfg;
	long long		 left_ms = (deadline_us - cx_now_us()) / 1000;
	long long		 tmo, ctmo;
	CURL			*e;
	CURLcode		 cc;

	if (left_ms <= 0)
		return CE_ETIMEOUT;
	tmo = cfg->upstream_timeout_ms < left_ms ? cfg->upstream_timeout_ms :
	    left_ms;
	ctmo = cfg->upstream_connect_timeout_ms < tmo ?
	    cfg->upstream_connect_timeout_ms : tmo;
	r->deadline_bound = tmo < cfg->upstream_timeout_ms;
	if ((e = easy_get(h, &r->slot)) == NULL)
		return CE_ENOMEM;
	ce_buf_reset(&r->resp);
	r->too_big = 0;
	r->errbuf[0] = '\0';
	r->attempts++;
	cc = easy_setup(e, r, tmo, ctmo);
	if (cc != CURLE_OK) {
		cx_logf(h->log, CE_LOG_ERROR,
		    "http: %s %s: setopt: %s", r->api,
		    r->log_path, curl_easy_strerror(cc));
		easy_put(h, r->slot);
		return CE_ESYSTEM;
	}
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
		easy_put(h, r->slot);
		return CE_ESYSTEM;
	}
	r->started_us = cx_now_us();
	r->state = ST_RUNNING;
	return CE_OK;
}

/* Jittered exponential backoff before attempt number "n" (2 or 3). */
static long long
backoff_ms(struct cx_http *h, int n)
{
	long long	 base = (long long)BACKOFF_BASE_MS << (n - 2);

	/* 50 % to 150 % of base. */
	return base / 2 + (long long)(rand_r(&h->seed) % (unsigned)(base + 1));
}

/* Is this outcome worth another attempt? */
static int
retryable(const struct cx_http_req *r)
{
	if (r->unsafe)
		return (r->res == CX_HTTP_NETWORK && r->not_sent) ||
		    (r->res == CX_HTTP_OK &&
		    (r->status == 503 || r->status == 429));
	if (r->res == CX_HTTP_NETWORK)
		return 1;
	return r->res == CX_HTTP_OK &&
	    (r->status >= 500 || r->status == 429);
}

/* An attempt of "r" ended with "cc": classify, then retry or finish. */
static void
attempt_done(struct cx_http *h, struct cx_http_req *r, CURLcode cc,
    long long deadline_us)
{
	CURL		*e = h->easy[r->slot];
	long		 status = 0;
	curl_off_t	 ra = -1;
	long long	 wait_ms, now;

	curl_multi_remove_handle(h->multi, e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(e, CURLINFO_RETRY_AFTER, &ra);
	easy_put(h, r->slot);
	now = cx_now_us();
	r->elapsed_us += now - r->started_us;
	r->status = status;

	if (cc == CURLE_OK)
		r->res = CX_HTTP_OK;
	else if (r->too_big || cc == CURLE_FILESIZE_EXCEEDED)
		r->res = CX_HTTP_TOOBIG;
	else if (cc == CURLE_OPERATION_TIMEDOUT)
		r->res = r->deadline_bound ? CX_HTTP_DEADLINE : CX_HTTP_TIMEOUT;
	else
		r->res = CX_HTTP_NETWORK;
	r->not_sent = cc == CURLE_COULDNT_CONNECT ||
	    cc == CURLE_COULDNT_RESOLVE_HOST;
	if (cc != CURLE_OK)
		cx_logf(h->log, CE_LOG_WARN,
		    "http: %s %s %s: attempt %d: %s",
		    r->api, r->method, r->log_path, r->attempts,
		    r->errbuf[0] != '\0' ? r->errbuf : curl_easy_strerror(cc));
	else if (status >= 500 || status == 429)
		cx_logf(h->log, CE_LOG_WARN,
		    "http: %s %s %s: attempt %d: "
		    "status %ld", r->api, r->method, r->log_path, r->attempts,
		    status);

	if (retryable(r) && r->attempts < MAX_ATTEMPTS) {
		wait_ms = backoff_ms(h, r->attempts + 1);
		if (status == 429 && ra > 0)
			wait_ms = ra * 1000 > RETRY_AFTER_MAX_MS ?
			    RETRY_AFTER_MAX_MS : ra * 1000;
		/* Only if the retry can still start well inside the deadline. */
		if (now + wait_ms * 1000 + 50000 < deadline_us) {
			r->next_us = now + wait_ms * 1000;
			r->state = ST_WAITING;
			return;
		}
	}
	r->state = ST_DONE;
}

/*
 * Reset the "n" requests of "reqs" and start each one that is due.
 * Returns how many are still pending (running or waiting).
 */
static size_t
start_all(struct cx_http *h, struct cx_http_req *const *reqs, size_t n,
    long long deadline_us)
{
	size_t		 i, pending = n;
	long long	 now;
	enum ce_err	 er;

	for (i = 0; i < n; i++) {
		reqs[i]->state = ST_IDLE;
		reqs[i]->attempts = 0;
		reqs[i]->elapsed_us = 0;
		reqs[i]->res = CX_HTTP_NETWORK;
		reqs[i]->status = 0;
		reqs[i]->slot = -1;
	}
	now = cx_now_us();
	for (i = 0; i < n; i++) {
		/* Spaced out (WORK_API_MIN_INTERVAL): started by the loop. */
		if (reqs[i]->not_before_us > now) {
			reqs[i]->next_us = reqs[i]->not_before_us;
			reqs[i]->state = ST_WAITING;
			continue;
		}
		if ((er = attempt_start(h, reqs[i], deadline_us)) != CE_OK) {
			reqs[i]->res = er == CE_ETIMEOUT ? CX_HTTP_DEADLINE :
			    CX_HTTP_NETWORK;
			reqs[i]->state = ST_DONE;
			pending--;
		}
	}
	return pending;
}

/*
 * Let curl run, then finish (or set to retry) each attempt that ended,
 * taking the finished requests off "*pending".  Returns CE_OK, or
 * CE_ESYSTEM when the multi handle failed.
 */
static enum ce_err
reap_done(struct cx_http *h, long long deadline_us, size_t *pending)
{
	CURLMsg			*msg;
	struct cx_http_req	*r;
	CURLMcode		 mc;
	int			 still, q;

	mc = curl_multi_perform(h->multi, &still);
	if (mc != CURLM_OK) {
		cx_logf(h->log, CE_LOG_ERROR, "http: multi: %s",
		    curl_multi_strerror(mc));
		return CE_ESYSTEM;
	}
	while ((msg = curl_multi_info_read(h->multi, &q)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		r = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&r);
		if (r == NULL)
			continue;
		attempt_done(h, r, msg->data.result, deadline_us);
		if (r->state == ST_DONE)
			(*pending)--;
	}
	return CE_OK;
}

/*
 * Start again each waiting request whose time has come at "now".  Sets
 * "*wait_ms" to how long the loop may sleep (at most 100 ms).  Returns
 * how many requests could not start and are done.
 */
static size_t
restart_due(struct cx_http *h, struct cx_http_req *const *reqs, size_t n,
    long long deadline_us, long long now, long long *wait_ms)
{
	struct cx_http_req	*r;
	size_t			 i, done = 0;

	*wait_ms = 100;
	for (i = 0; i < n; i++) {
		r = reqs[i];
		if (r->state != ST_WAITING)
			continue;
		if (r->next_us <= now) {
			if (attempt_start(h, r, deadline_us) != CE_OK) {
				r->state = ST_DONE;
				done++;
			}
			*wait_ms = 0;
		} else if ((r->next_us - now) / 1000 < *wait_ms)
			*wait_ms = (r->next_us - now) / 1000;
	}
	return done;
}

/* Deadline or failure: stop whatever still runs, and mark all done. */
static void
stop_all(struct cx_http *h, struct cx_http_req *const *reqs, size_t n)
{
	struct cx_http_req	*r;
	size_t			 i;

	for (i = 0; i < n; i++) {
		r = reqs[i];
		if (r->state == ST_RUNNING) {
			curl_multi_remove_handle(h->multi, h->easy[r->slot]);
			easy_put(h, r->slot);
			r->res = CX_HTTP_DEADLINE;
		} else if (r->state == ST_WAITING && r->res == CX_HTTP_OK)
			;	/* keep the last answer (5xx, 429) */
		else if (r->state != ST_DONE)
			r->res = CX_HTTP_DEADLINE;
		r->state = ST_DONE;
	}
}

/*
 * Run the "n" requests of "reqs" in parallel until each is done or
 * "deadline_us" (cx_now_us() clock) passes.  Each request's "res",
 * "status", "resp", "attempts" and "elapsed_us" tell how it went.
 * Returns CE_OK when every request was run (whatever the upstream said),
 * CE_E2BIG for too many requests, or CE_ENOMEM / CE_ESYSTEM when curl
 * could not be set up.
 */
enum ce_err
cx_http_run(struct cx_http *h, struct cx_http_req *const *reqs, size_t n,
    long long deadline_us)
{
	size_t		 pending;
	long long	 now, wait_ms;
	enum ce_err	 er = CE_OK;

	if (n > CX_HTTP_MAXPAR)
		return CE_E2BIG;
	if (h->multi == NULL && (h->multi = curl_multi_init()) == NULL)
		return CE_ENOMEM;
	pending = start_all(h, reqs, n, deadline_us);
	while (pending > 0) {
		if ((er = reap_done(h, deadline_us, &pending)) != CE_OK)
			break;
		now = cx_now_us();
		pending -= restart_due(h, reqs, n, deadline_us, now, &wait_ms);
		if (pending == 0 || now >= deadline_us)
			break;
		if (wait_ms > 0 && curl_multi_poll(h->multi, NULL, 0,
		    (int)wait_ms, NULL) != CURLM_OK) {
			er = CE_ESYSTEM;
			break;
		}
	}
	if (pending > 0)
		stop_all(h, reqs, n);
	return er;
}
