/*
 * app/spool.h -- the spool of DESIGN.md section 11.2 (spool.c): a
 * request that records work whose database step failed before anything
 * was recorded is written to SPOOL_DIR (io/spooldir.c) and answered 202;
 * the worker replays it once PostgreSQL answers, through the sinks it
 * is given (spool.c calls no handler).  A process's spool is made on
 * first use and hangs from struct cx_app.
 */
#ifndef CE_APP_SPOOL_H
#define CE_APP_SPOOL_H

#include <stddef.h>

#include "core/err.h"
#include "core/route.h"

struct cx_app;
struct cx_spool;

enum ce_err	 cx_spool_put(struct cx_app *, const char *kind,
		    const char *lead_id, const char *body, size_t bodylen);
long long	 cx_spool_wait_ms(struct cx_app *);
void		 cx_spool_idle(struct cx_app *);
void		 cx_spool_rotate(struct cx_app *);
void		 cx_spool_settle(struct cx_app *, enum ce_route, int status);
void		 cx_spool_free(struct cx_spool *);
int		 cx_spool_depth(struct cx_app *, unsigned long long *files,
		    unsigned long long *bytes);
/* Where the replay sends a webhook's body and a form (the handlers' own
 * store functions, given by the worker: spool.c calls no handler). */
struct cx_spool_sinks {
	enum ce_err	(*webhook)(struct cx_app *, const char *, size_t);
	enum ce_err	(*google)(struct cx_app *, const char *);
};
long long	 cx_spool_replay(struct cx_app *,
		    const struct cx_spool_sinks *);

#endif /* CE_APP_SPOOL_H */
