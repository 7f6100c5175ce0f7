/*
 * web/h_stats.h -- GET /api/v1/stats, the figures of the status page
 * (h_stats.c).
 * Each handler fills resp->body and returns CE_OK, or an error (its code
 * and text chosen with cx_fail()) that cx_handle() turns into a JSON
 * error body.
 */
#ifndef CE_WEB_H_STATS_H
#define CE_WEB_H_STATS_H

#include "core/cgi.h"
#include "core/err.h"

struct cx_request;
struct cx_web;

enum ce_err	 cx_h_stats(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);

#endif /* CE_WEB_H_STATS_H */
