/*
 * core/err.h -- the error enum every layer returns (enum ce_err), its
 * tables (err.c: text, machine-readable code, HTTP status), and the two
 * attributes the headers mark functions with.  Foreign error codes
 * (errno, PGRES_*, CURLcode, json_error_t) become one of these at the
 * call site of the foreign library.
 */
#ifndef CE_CORE_ERR_H
#define CE_CORE_ERR_H

#define CE_WUR		__attribute__((warn_unused_result))
#define CE_PRINTF(f, a)	__attribute__((format(printf, f, a)))

/*
 * Errors.  Foreign error codes (errno, PGRES_*, CURLcode, json_error_t) are
 * translated into these at the call site, where the detail is logged.
 */
enum ce_err {
	CE_OK = 0,
	CE_ENOMEM,	/* allocation failed */
	CE_E2BIG,	/* a cap was hit (request body, buffer) */
	CE_EINPUT,	/* malformed request: the client's fault */
	CE_EAUTH,	/* missing or wrong credentials */
	CE_ENOTFOUND,	/* no such route or resource */
	CE_EMETHOD,	/* route exists, method does not */
	CE_ECTYPE,	/* unsupported content type */
	CE_EUNPROC,	/* well-formed but unprocessable */
	CE_ERATE,	/* rate limit hit */
	CE_EUPSTREAM,	/* an upstream API failed */
	CE_EDB,		/* PostgreSQL unreachable or failed */
	CE_EUNAVAIL,	/* not ready: a dependency is missing */
	CE_ETIMEOUT,	/* the request's deadline passed */
	CE_ECONFIG,	/* invalid configuration */
	CE_ESYSTEM,	/* anything else: our fault */
	CE_EFORBIDDEN,	/* credentials valid, not enough (an admin route) */
	CE_ECONFLICT,	/* the resource is busy (a lead being run) */
	CE_ERR__MAX
};

const char	*ce_strerror(enum ce_err);
const char	*ce_err_code(enum ce_err);
int		 ce_err_status(enum ce_err);

#endif /* CE_CORE_ERR_H */
