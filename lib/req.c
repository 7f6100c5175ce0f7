/*
 * req.c -- what the handlers read from a request besides its body: the
 * client's address, whether the body is declared JSON, and the path
 * segment after a route's prefix.  It knows no route and no context.
 */
#include <string.h>
#include <strings.h>

#include "c2s-enrich.h"
#include "extern.h"

/*
 * The client's address into "out" ("outsz" bytes): REMOTE_ADDR as
 * lighttpd reports it.  Behind a trusted proxy lighttpd's mod_extforward
 * has already put the client's address there (httpd-conf/lighttpd.conf);
 * no forwarded header is read here, so a client's own X-Forwarded-For
 * (or X_Forwarded_For, which reaches us as the same parameter) counts for
 * nothing.  Returns 0, or -1 when the server gave none or it does not fit.
 */
int
cx_client_addr(const struct ce_req *req, char *out, size_t outsz)
{
	const char	*ra = ce_req_param(req, "REMOTE_ADDR");

	if (ra == NULL || ra[0] == '\0' ||
	    ce_strlcpy(out, ra, outsz) >= outsz)
		return -1;
	return 0;
}

/* Is the request body declared JSON (application/json, any parameters)? */
int
cx_json_ctype(const struct ce_req *req)
{
	const char	*ct = ce_req_param(req, "CONTENT_TYPE");
	size_t		 n = strlen("application/json");

	return ct != NULL && strncasecmp(ct, "application/json", n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/*
 * The path segment after "prefix" in the request's URI (no query) into
 * "out"; NULL when it does not fit.
 */
const char *
cx_path_tail(const struct ce_req *req, const char *prefix, char *out,
    size_t outsz)
{
	size_t	 n = strlen(prefix), len;

	if (strncmp(req->uri, prefix, n) != 0)
		return NULL;
	len = strcspn(req->uri + n, "?");
	if (len >= outsz)
		return NULL;
	memcpy(out, req->uri + n, len);
	out[len] = '\0';
	return out;
}
