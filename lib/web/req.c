/*
 * req.c -- a request parsed once: its path (a bounded copy, no query),
 * its query, whether the body is declared JSON and the client's address,
 * for cx_handle() and the handlers, which split nothing again.  It knows
 * no route table and no context.
 */
#include <string.h>
#include <strings.h>

#include "core/cgi.h"
#include "core/err.h"
#include "core/route.h"
#include "web/req.h"

/* Is the request body declared JSON (application/json, any parameters)? */
static int
json_ctype(const struct ce_req *req)
{
	const char	*ct = ce_req_param(req, "CONTENT_TYPE");
	size_t		 n = strlen("application/json");

	return ct != NULL && strncasecmp(ct, "application/json", n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/*
 * Is "uri" a path that starts with '/', of at most CX_PATH_MAX bytes, with
 * a query of at most CX_QUERY_MAX?  Returns 0 with the path's length in
 * "*pathlen", or -1 (a 400).
 */
int
cx_req_uri_ok(const char *uri, size_t *pathlen)
{
	const char	*q;

	if (uri == NULL || uri[0] != '/')
		return -1;
	q = strchr(uri, '?');
	*pathlen = q != NULL ? (size_t)(q - uri) : strlen(uri);
	if (*pathlen > CX_PATH_MAX ||
	    (q != NULL && strlen(q + 1) > CX_QUERY_MAX))
		return -1;
	return 0;
}

/*
 * Parse "req" into "rq", which keeps pointers into it.  The client's
 * address is REMOTE_ADDR as lighttpd reports it.  Behind a trusted proxy
 * lighttpd's mod_extforward has already put the client's address there
 * (httpd-conf/lighttpd.conf); no forwarded header is read here, so a
 * client's own X-Forwarded-For (or X_Forwarded_For, which reaches us as
 * the same parameter) counts for nothing.  Returns CE_OK, or CE_EINPUT
 * for no method, a path that is not absolute, or a path or query over
 * its bound; rq->pathlen is then the path's length as given (0 when
 * there is none), for the access log.  rq->route is CE_ROUTE_NONE.
 */
enum ce_err
cx_req_parse(struct cx_request *rq, const struct ce_req *req)
{
	const char	*path = req->uri, *q, *ra;

	memset(rq, 0, sizeof(*rq));
	rq->req = req;
	rq->route = CE_ROUTE_NONE;
	if (req->method == NULL || cx_req_uri_ok(path, &rq->pathlen) == -1)
		return CE_EINPUT;
	q = strchr(path, '?');
	memcpy(rq->path, path, rq->pathlen);
	rq->path[rq->pathlen] = '\0';
	rq->query = q != NULL ? q + 1 : NULL;
	ra = ce_req_param(req, "REMOTE_ADDR");
	rq->addr = ra != NULL && ra[0] != '\0' ? ra : NULL;
	rq->json = json_ctype(req);
	return CE_OK;
}

/*
 * The path segment after "prefix" in the request's path, when it is
 * shorter than "size" bytes (a buffer's size); NULL otherwise.
 */
const char *
cx_req_tail(const struct cx_request *rq, const char *prefix, size_t size)
{
	size_t	 n = strlen(prefix);

	if (strncmp(rq->path, prefix, n) != 0 || rq->pathlen - n >= size)
		return NULL;
	return rq->path + n;
}
