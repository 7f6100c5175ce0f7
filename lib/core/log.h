/*
 * core/log.h -- the log sink (log.c): the levels, and one JSON object
 * per line on a file descriptor, written with a single write(2), request
 * data escaped, a line bounded and cut, never allocated.  The sink
 * carries the id of the request or job being served.
 */
#ifndef CE_CORE_LOG_H
#define CE_CORE_LOG_H

#include <stdarg.h>
#include <stddef.h>

#include "core/err.h"
#include "core/route.h"

enum ce_loglevel {
	CE_LOG_DEBUG = 0,
	CE_LOG_INFO,
	CE_LOG_WARN,
	CE_LOG_ERROR,
	CE_LOG__MAX
};

/* log.c: the sink, with the id of the request or job being served. */
struct cx_log {
	int		 fd;
	enum ce_loglevel min;
	char		 reqid[64];	/* current request's id, or "" */
};

void		 cx_log_write(struct cx_log *, enum ce_loglevel,
		    const char *fields, const char *msg);
void		 cx_logf(struct cx_log *, enum ce_loglevel, const char *, ...)
		    CE_PRINTF(3, 4);
void		 cx_vlogf(struct cx_log *, enum ce_loglevel, const char *,
		    va_list) CE_PRINTF(3, 0);
enum ce_err	 cx_log_level_parse(const char *, enum ce_loglevel *);
void		 cx_log_access(struct cx_log *, const char *method,
		    enum ce_route, const char *path, size_t pathlen,
		    int status, long long us, const char *client);

#endif /* CE_CORE_LOG_H */
