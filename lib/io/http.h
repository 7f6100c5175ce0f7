/*
 * io/http.h -- every call to an upstream API (http.c): one curl multi
 * handle per process and up to CX_HTTP_MAXPAR reused easy handles, made
 * on first use, running a batch of requests in parallel.
 *
 * A request is made by cx_http_req_init() and released by
 * cx_http_req_free() after its last attempt; between the two, the
 * caller owns it and http.c fills its results.  Each attempt is bounded
 * by UPSTREAM_TIMEOUT (and its connect part) and by the batch's
 * deadline; bodies are capped; "url" may hold a token and is never
 * logged ("log_path" is).  curl's types stay in http.c: this header
 * only names struct curl_slist.
 */
#ifndef CE_IO_HTTP_H
#define CE_IO_HTTP_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

#define CX_HTTP_MAXPAR	8
#define CX_HTTP_ERRSZ	256	/* >= CURL_ERROR_SIZE (asserted in http.c) */

struct ce_config;
struct cx_log;
struct curl_slist;

enum cx_http_res {
	CX_HTTP_OK = 0,		/* an HTTP answer came (any status) */
	CX_HTTP_NETWORK,	/* connect, send, receive, truncated body */
	CX_HTTP_TIMEOUT,	/* UPSTREAM_TIMEOUT passed */
	CX_HTTP_DEADLINE,	/* the request's deadline passed */
	CX_HTTP_TOOBIG		/* body over the cap */
};

struct cx_http_req {
	const char		*api;		/* "c2s", "diretrix", "work" */
	const char		*method;	/* "GET" or "POST" */
	char			 url[1024];	/* may hold a token: never log */
	char			 log_path[256];	/* log-safe: no token, PII masked */
	const char		*body;		/* POST body, or NULL */
	size_t			 bodylen;
	struct curl_slist	*hdrs;
	const char		*user, *pass;	/* HTTP Basic, or NULL */
	int			 unsafe;	/* not idempotent: retried only
						   if never sent, or on 429/503 */
	long long		 not_before_us;	/* first attempt not before
						   (cx_now_us clock), or 0 */
	/* Results. */
	enum cx_http_res	 res;
	long			 status;
	struct ce_buf		 resp;
	int			 attempts;
	long long		 elapsed_us;
	/* Internal. */
	int			 state, slot, too_big, deadline_bound;
	int			 not_sent;	/* the connection never opened */
	long long		 started_us, next_us;
	char			 errbuf[CX_HTTP_ERRSZ];
};

struct cx_http;

/* The process's handle, reading UPSTREAM_TIMEOUT and its connect part
 * from "cfg" and logging to "log" (both outlive it); NULL on allocation
 * failure.  Nothing is connected until a request runs. */
struct cx_http	*cx_http_open(const struct ce_config *, struct cx_log *);
void		 cx_http_free(struct cx_http *);
void		 cx_http_req_init(struct cx_http_req *, const char *api,
		    const char *method);
enum ce_err	 cx_http_req_header(struct cx_http_req *, const char *line)
		    CE_WUR;
void		 cx_http_req_free(struct cx_http_req *);
enum ce_err	 cx_http_run(struct cx_http *, struct cx_http_req *const *,
		    size_t, long long deadline_us) CE_WUR;

#endif /* CE_IO_HTTP_H */
