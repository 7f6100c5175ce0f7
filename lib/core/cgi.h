/*
 * core/cgi.h -- a request and a response as the web server hands them
 * over and takes them back, independent of FastCGI, and a request's CGI
 * parameters looked up by name (cgi.c).
 */
#ifndef CE_CORE_CGI_H
#define CE_CORE_CGI_H

#include <stddef.h>

#include "core/buf.h"

/*
 * A request as the web server hands it over, independent of FastCGI.
 * "env" is a NULL-terminated array of "NAME=VALUE" CGI parameters; the
 * strings must outlive the call to ce_handle().
 */
struct ce_req {
	const char		*method;	/* REQUEST_METHOD */
	const char		*uri;		/* REQUEST_URI: path?query */
	const char *const	*env;		/* CGI parameters */
	const char		*body;
	size_t			 bodylen;
	int			 body_too_large; /* CONTENT_LENGTH over cap */
	/*
	 * Where a handler may stream its response, the adapter's (NULL:
	 * it cannot): "len" bytes of "data" written to the client at once.
	 * Returns 0, or -1 when the client is gone.
	 */
	int			(*write)(void *arg, const char *data,
				    size_t len);
	void			*write_arg;
};

const char	*ce_req_param(const struct ce_req *, const char *name);

/* A response: status, content type, a few extra header lines, body. */
struct ce_resp {
	int		 status;
	const char	*ctype;
	char		 headers[256];	/* "Name: value\r\n" lines */
	struct ce_buf	*body;		/* owned by the context */
	/* An error's code and text, chosen by a handler (NULL, "": the
	 * enum's own); ce_handle() writes the body. */
	const char	*err_code;
	char		 err_msg[256];
	/* The handler wrote the headers and the body itself through
	 * req->write: the adapter writes nothing more. */
	int		 streamed;
};

int		 ce_resp_head(const struct ce_resp *, long long len, char *,
		    size_t);

#endif /* CE_CORE_CGI_H */
