/*
 * cgi.c -- the CGI parameters of a request: what the FastCGI adapter (or
 * a test) put in the request's environment, looked up by name.  Pure: it
 * reads the request and nothing else.
 */
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
