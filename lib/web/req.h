/*
 * web/req.h -- a request parsed once by cx_handle() (req.c): its path (a
 * bounded copy, no query), its query, whether the body is declared JSON,
 * the client's address and its route, read by the handlers, which split
 * nothing again.
 */
#ifndef CE_WEB_REQ_H
#define CE_WEB_REQ_H

#include <stddef.h>

#include "core/cgi.h"
#include "core/err.h"
#include "core/route.h"

#define CX_PATH_MAX	1024	/* bytes of path, query not counted */
#define CX_QUERY_MAX	4096	/* bytes of query after the '?' */
struct cx_request {
	const struct ce_req	*req;		/* body, headers */
	char			 path[CX_PATH_MAX + 1]; /* no query */
	size_t			 pathlen;
	const char		*query;		/* after '?', or NULL */
	const char		*addr;		/* REMOTE_ADDR, or NULL */
	int			 json;		/* body declared JSON */
	enum ce_route		 route;
	unsigned		 allowed;	/* methods, on CE_EMETHOD */
};
int		 cx_req_uri_ok(const char *uri, size_t *pathlen);
enum ce_err	 cx_req_parse(struct cx_request *, const struct ce_req *);
const char	*cx_req_tail(const struct cx_request *, const char *prefix,
		    size_t);

#endif /* CE_WEB_REQ_H */
