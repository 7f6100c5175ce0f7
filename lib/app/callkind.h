/*
 * app/callkind.h -- what each upstream call kind is, in one table
 * (callkind.c), indexed by enum ce_call_kind: its name in /metrics, the
 * API it goes to, its HTTP method, whether a repeat may do its effect
 * twice, the breaker that guards it and whether it waits for
 * WORK_API_MIN_INTERVAL.  Pure data.
 */
#ifndef CE_APP_CALLKIND_H
#define CE_APP_CALLKIND_H

#include "core/call.h"
#include "shared/breaker.h"

struct cx_callkind {
	const char	*name;		/* in /metrics: "c2s_lead" */
	const char	*api;		/* "c2s", "diretrix", "work" */
	const char	*method;	/* "GET" or "POST" */
	int		 unsafe;	/* a repeat may do its effect twice */
	enum cx_brk	 brk;		/* the breaker that guards its API */
	int		 spaced;	/* waits for WORK_API_MIN_INTERVAL */
};
extern const struct cx_callkind cx_callkinds[CE_CALL__MAX];

#endif /* CE_APP_CALLKIND_H */
