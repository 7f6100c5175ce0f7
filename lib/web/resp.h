/*
 * web/resp.h -- the response helpers every handler shares (resp.c): a
 * header line added, an error's code and text chosen by a handler
 * (cx_fail) and written by cx_handle() (cx_resp_errorc) as a JSON error
 * body with the status of core/err.c, and the answer to a request the
 * spool took or refused (cx_resp_spooled).
 */
#ifndef CE_WEB_RESP_H
#define CE_WEB_RESP_H

#include "core/cgi.h"
#include "core/err.h"

enum ce_err	 cx_resp_errorc(struct ce_resp *, enum ce_err,
		    const char *code, const char *msg);
enum ce_err	 cx_fail(struct ce_resp *, enum ce_err, const char *code,
		    const char *msg);
enum ce_err	 cx_resp_header(struct ce_resp *, const char *name,
		    const char *value);
enum ce_err	 cx_resp_spooled(struct ce_resp *, enum ce_err,
		    const char *reqid, const char *extra);

#endif /* CE_WEB_RESP_H */
