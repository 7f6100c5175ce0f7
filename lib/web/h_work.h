/*
 * web/h_work.h -- GET /api/v1/work/modules/{module}?documento=, the Work
 * API proxy (h_work.c), its answers kept in the memo (app/memo.h).
 * Each handler fills resp->body and returns CE_OK, or an error (its code
 * and text chosen with cx_fail()) that cx_handle() turns into a JSON
 * error body.
 */
#ifndef CE_WEB_H_WORK_H
#define CE_WEB_H_WORK_H

#include "core/cgi.h"
#include "core/err.h"

struct cx_request;
struct cx_web;

enum ce_err	 cx_h_work_module(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);

#endif /* CE_WEB_H_WORK_H */
