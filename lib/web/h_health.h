/*
 * web/h_health.h -- the two probes (h_health.c): /health, which depends
 * on nothing outside the process, and /ready, one PostgreSQL round trip,
 * the schema version and the shared file.
 * Each handler fills resp->body and returns CE_OK, or an error (its code
 * and text chosen with cx_fail()) that cx_handle() turns into a JSON
 * error body.
 */
#ifndef CE_WEB_H_HEALTH_H
#define CE_WEB_H_HEALTH_H

#include "core/cgi.h"
#include "core/err.h"

struct cx_request;
struct cx_web;

enum ce_err	 cx_h_health(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);
enum ce_err	 cx_h_ready(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);
/* The schema version (highest migration) this binary needs: ctx.c's
 * ce_schema_version(). */
int		 cx_schema_needed(void);

#endif /* CE_WEB_H_HEALTH_H */
