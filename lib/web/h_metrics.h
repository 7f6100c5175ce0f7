/*
 * web/h_metrics.h -- GET /metrics (h_metrics.c): the counters of
 * shared/metrics.c, the process table, the spool's depth, the breakers
 * and the dedup table in the Prometheus text format.
 * Each handler fills resp->body and returns CE_OK, or an error (its code
 * and text chosen with cx_fail()) that cx_handle() turns into a JSON
 * error body.
 */
#ifndef CE_WEB_H_METRICS_H
#define CE_WEB_H_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/cgi.h"
#include "core/err.h"

struct cx_request;
struct cx_web;

enum ce_err	 cx_h_metrics(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);
/* "us" microseconds as exact decimal seconds ("0.0025", "1234567.891"):
 * ctx.c's ce_metrics_secs(). */
void		 cx_metrics_secs(char *, size_t, uint64_t us);

#endif /* CE_WEB_H_METRICS_H */
