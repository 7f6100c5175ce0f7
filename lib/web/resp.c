/*
 * resp.c -- the response helpers every handler shares: a header line
 * added to the response, an error's code and text recorded for
 * cx_handle(), and the JSON error body it writes with the status of
 * err.c ({"error": ..., "code": ...}).  It knows no route and no context.
 */
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/cgi.h"
#include "core/err.h"
#include "core/util.h"
#include "web/resp.h"

#define SPOOL_RETRY_AFTER	"5"	/* seconds, in a 503 */

/*
 * Append a "Name: value" header line to "resp".  Returns CE_OK or CE_E2BIG
 * (the headers are then unchanged).  Values must not hold CR or LF.
 */
enum ce_err
cx_resp_header(struct ce_resp *resp, const char *name, const char *value)
{
	size_t	 len = strlen(resp->headers);
	int	 n;

	if (strpbrk(value, "\r\n") != NULL || strpbrk(name, "\r\n:") != NULL)
		return CE_EINPUT;
	n = snprintf(resp->headers + len, sizeof(resp->headers) - len,
	    "%s: %s\r\n", name, value);
	if (n < 0 || (size_t)n >= sizeof(resp->headers) - len) {
		resp->headers[len] = '\0';
		return CE_E2BIG;
	}
	return CE_OK;
}

/*
 * Replace the body of "resp" with the JSON error of "er":
 * {"error": msg or the enum's text, "code": code or the enum's code}, and
 * set the status of "er".  Returns CE_OK, or the buffer's error (the body
 * is then empty).
 */
enum ce_err
cx_resp_errorc(struct ce_resp *resp, enum ce_err er, const char *code,
    const char *msg)
{
	enum ce_err	 e;

	if (code == NULL)
		code = ce_err_code(er);
	if (msg == NULL)
		msg = ce_strerror(er);
	resp->status = ce_err_status(er);
	resp->ctype = "application/json";
	ce_buf_reset(resp->body);
	if ((e = ce_buf_puts(resp->body, "{\"error\":")) != CE_OK ||
	    (e = ce_buf_json_str(resp->body, msg, strlen(msg))) != CE_OK ||
	    (e = ce_buf_puts(resp->body, ",\"code\":")) != CE_OK ||
	    (e = ce_buf_json_str(resp->body, code, strlen(code))) != CE_OK ||
	    (e = ce_buf_puts(resp->body, "}\n")) != CE_OK) {
		ce_buf_reset(resp->body);
		return e;
	}
	return CE_OK;
}

/*
 * A failure "er" with a code and a text of the caller's choosing (NULL:
 * the enum's own), which only records them in "resp": cx_handle() writes
 * the body, with the status of "er", once the handler returns "er".
 * "code" must outlive the request (a literal); "msg" is copied, cut to
 * fit.  Returns "er".
 */
enum ce_err
cx_fail(struct ce_resp *resp, enum ce_err er, const char *code,
    const char *msg)
{
	resp->err_code = code;
	if (msg == NULL)
		resp->err_msg[0] = '\0';
	else
		ce_strlcpy(resp->err_msg, msg, sizeof(resp->err_msg));
	return er;
}

/*
 * Answer a request the spool was asked to take (app/spool.c's
 * cx_spool_put() returned "er"): 202 {"success":true,"status":"queued",
 * "spooled":true,...} with request id "reqid" and "extra" (JSON members,
 * or NULL) saying what it was, or 503 spool_unavailable with Retry-After
 * when the spool is full or cannot be written (CE_EUNAVAIL).  Returns
 * CE_OK once the 202 is written, else an error for cx_handle() to answer
 * (CE_EUNAVAIL: the 503, its code and text recorded with cx_fail()).
 */
enum ce_err
cx_resp_spooled(struct ce_resp *resp, enum ce_err er, const char *reqid,
    const char *extra)
{
	if (er == CE_EUNAVAIL) {
		(void)cx_resp_header(resp, "Retry-After", SPOOL_RETRY_AFTER);
		return cx_fail(resp, CE_EUNAVAIL, "spool_unavailable",
		    "the database is unavailable and the spool cannot take "
		    "the request; retry later");
	}
	if (er != CE_OK)
		return er;
	resp->status = 202;
	resp->ctype = "application/json";
	ce_buf_reset(resp->body);
	if ((er = ce_buf_puts(resp->body, "{\"success\":true,\"status\":"
	    "\"queued\",\"spooled\":true,\"message\":\"the database is "
	    "unavailable: the request is kept and runs once it is back\","
	    "\"request_id\":")) != CE_OK ||
	    (er = ce_buf_json_str(resp->body, reqid, strlen(reqid))) != CE_OK ||
	    (extra != NULL && ((er = ce_buf_puts(resp->body, ",")) != CE_OK ||
	    (er = ce_buf_puts(resp->body, extra)) != CE_OK)) ||
	    (er = ce_buf_puts(resp->body, "}\n")) != CE_OK)
		return er;
	return CE_OK;
}
