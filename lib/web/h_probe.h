/*
 * web/h_probe.h -- the answers the pool master gives on its own socket
 * (h_probe.c): /health, /ready and lighttpd's error re-runs
 * (/__httpd_error), rendered from what the master knows (struct
 * cx_probe: the scoreboard's figures and its PostgreSQL probe) with no
 * allocation beyond the response buffer and no wait.  The map of the web
 * server's error statuses is here too, for the responders' re-runs
 * (handle.c) and the master's alike.
 */
#ifndef CE_WEB_H_PROBE_H
#define CE_WEB_H_PROBE_H

#include "core/cgi.h"
#include "core/err.h"

struct cx_probe {
	long		 pid;		/* the master's */
	long long	 uptime_ms, rss_kb;
	unsigned long long requests;	/* served by the pool's responders */
	int		 alive, busy, idle, starting;
	int		 min, max, spare;
	unsigned	 generation;
	int		 queue;		/* fd 0's listen queue, -1 unknown */
	int		 backlog;	/* and its bound, -1 unknown */
	long long	 short_ms;	/* short of POOL_MIN for so long, 0 */
	int		 pool_failing;	/* short past POOL_SHORT_AFTER, or none */
	int		 stopping;
	int		 db;		/* io/pgprobe.h's enum cx_pgprobe_state */
	long long	 schema;	/* the version the probe read, -1 */
	long long	 db_age_ms;	/* since the probe's state was set */
	int		 dedup;		/* the shared file is mapped */
	const char	*spool;		/* "ok" or "unreadable" */
	unsigned long long spool_files, spool_bytes;
	/* The responders' local caches, summed. */
	unsigned long long cache_entries, cache_bytes, cache_max;
	unsigned long long cache_hits, cache_misses;
};

/* Seconds a client told "overloaded" should wait. */
#define CX_PROBE_RETRY_AFTER	"1"

void		 cx_probe_health(const struct cx_probe *, struct ce_resp *);
void		 cx_probe_ready(const struct cx_probe *, struct ce_resp *);
void		 cx_probe_httpd_error(const struct cx_probe *, int status,
		    struct ce_resp *);
/*
 * The web server's status "st" (REDIRECT_STATUS of an error re-run) as
 * an error: its enum and text (NULL: the enum's own).  Returns 0, or -1
 * when "st" is not one of the map's (an error of its class then).
 */
int		 cx_httpd_status(int st, enum ce_err *, const char **msg);

#endif /* CE_WEB_H_PROBE_H */
