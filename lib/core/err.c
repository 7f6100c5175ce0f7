/*
 * err.c -- the error enum's tables: its text, its machine-readable code
 * and its HTTP status.  This is the single place where an error becomes a
 * status code.
 */
#include "core/err.h"

static const struct {
	int		 status;
	const char	*code;
	const char	*text;
} errtab[CE_ERR__MAX] = {
	[CE_OK] =	 { 200, "ok", "success" },
	[CE_ENOMEM] =	 { 503, "out_of_memory", "out of memory" },
	[CE_E2BIG] =	 { 413, "too_large", "request too large" },
	[CE_EINPUT] =	 { 400, "bad_request", "malformed request" },
	[CE_EAUTH] =	 { 401, "unauthorized", "missing or invalid credentials" },
	[CE_ENOTFOUND] = { 404, "not_found", "not found" },
	[CE_EMETHOD] =	 { 405, "method_not_allowed", "method not allowed" },
	[CE_ECTYPE] =	 { 415, "unsupported_media_type",
			   "unsupported content type" },
	[CE_EUNPROC] =	 { 422, "unprocessable", "unprocessable request" },
	[CE_ERATE] =	 { 429, "rate_limited", "too many requests" },
	[CE_EUPSTREAM] = { 502, "upstream_error", "upstream service failed" },
	[CE_EDB] =	 { 503, "database_unavailable", "database unavailable" },
	[CE_EUNAVAIL] =	 { 503, "not_ready", "service not ready" },
	[CE_ETIMEOUT] =	 { 504, "deadline_exceeded", "request deadline exceeded" },
	[CE_ECONFIG] =	 { 500, "config_error", "invalid configuration" },
	[CE_ESYSTEM] =	 { 500, "internal_error", "internal error" },
	[CE_EFORBIDDEN] = { 403, "forbidden", "not allowed with this key" },
	[CE_ECONFLICT] = { 409, "conflict", "conflict with the resource's state" },
};

/*
 * Human-readable text of "e"; never NULL, even for out-of-range values.
 */
const char *
ce_strerror(enum ce_err e)
{
	if ((unsigned)e >= CE_ERR__MAX)
		return "unknown error";
	return errtab[e].text;
}

/*
 * Stable machine-readable code of "e" for the "code" member of error
 * bodies; "internal_error" for out-of-range values.
 */
const char *
ce_err_code(enum ce_err e)
{
	if ((unsigned)e >= CE_ERR__MAX)
		return errtab[CE_ESYSTEM].code;
	return errtab[e].code;
}

/*
 * HTTP status of "e"; 500 for out-of-range values.
 */
int
ce_err_status(enum ce_err e)
{
	if ((unsigned)e >= CE_ERR__MAX)
		return 500;
	return errtab[e].status;
}
