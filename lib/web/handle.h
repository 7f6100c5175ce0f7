/*
 * web/handle.h -- one request in, one response out (handle.c): what
 * every route shares is checked (method, path, body size), the route
 * found, its handler called, every error turned into a JSON error body
 * with the status of core/err.c, written once, and one access line
 * logged.  ctx.c's ce_handle() forwards here.
 */
#ifndef CE_WEB_HANDLE_H
#define CE_WEB_HANDLE_H

#include "core/cgi.h"

struct cx_web;

void		 cx_handle(struct cx_web *, const struct ce_req *,
		    struct ce_resp *);

#endif /* CE_WEB_HANDLE_H */
