/*
 * cgi.c -- the CGI parameters of a request: what the FastCGI adapter (or
 * a test) put in the request's environment, looked up by name, and the
 * header block of a response, as FastCGI wants it.  Pure: it reads the
 * request and the response and nothing else.
 */
#include <stdio.h>
#include <string.h>

#include "core/cgi.h"

/* The value of CGI parameter "name", or NULL. */
const char *
ce_req_param(const struct ce_req *req, const char *name)
{
	const char *const	*e;
	size_t			 n = strlen(name);

	if (req->env == NULL)
		return NULL;
	for (e = req->env; *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/*
 * The CGI header block of "resp" into "out": Status, Content-Type,
 * Content-Length ("len" bytes; none when "len" is -1: a streamed body),
 * Cache-Control, the response's own lines, the blank line.  Returns its
 * length, or -1 when it does not fit.
 */
int
ce_resp_head(const struct ce_resp *resp, long long len, char *out,
    size_t outsz)
{
	char	 cl[48] = "";
	int	 n;

	if (len >= 0)
		snprintf(cl, sizeof(cl), "Content-Length: %lld\r\n", len);
	n = snprintf(out, outsz, "Status: %d\r\nContent-Type: %s\r\n%s"
	    "Cache-Control: no-store\r\n%s\r\n", resp->status, resp->ctype,
	    cl, resp->headers);
	return n < 0 || (size_t)n >= outsz ? -1 : n;
}
