/*
 * app/upstream.h -- the clients of C2S, Diretrix and the Work API
 * (upstream.c): each call kind (callkind.c) builds its request and turns
 * the answer into plain C structs (core/call.h) and one classification.
 * Calls run in parallel through io/http.c, within a deadline on the
 * cx_deadline() clock, behind the breakers and, for the Work API, the
 * pace (pace.c).
 */
#ifndef CE_APP_UPSTREAM_H
#define CE_APP_UPSTREAM_H

#include <stddef.h>

#include "core/call.h"

struct cx_app;

void		 cx_upstream_run(struct cx_app *, struct ce_call *, size_t n,
		    long long deadline_us);
enum ce_up	 cx_upstream_one(struct cx_app *, struct ce_call *,
		    long long deadline_us);
enum ce_up	 cx_upstream_parse(struct cx_app *, struct ce_call *,
		    long status, const char *body, size_t len);
long long	 cx_deadline(const struct cx_app *);

/* What an unsafe call that failed may have done. */
int		 cx_call_refused(const struct ce_call *);

#endif /* CE_APP_UPSTREAM_H */
