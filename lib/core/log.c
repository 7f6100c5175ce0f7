/*
 * log.c -- the log sink: one JSON object per line on a file descriptor
 * (stderr by default), written with a single write(2) so that lines of
 * different responders sharing a file do not interleave.  Request data is
 * escaped before it reaches the line; a line is bounded and cut, never
 * allocated.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/route.h"
#include "core/util.h"

#define LINE_MAX_LEN	2048

static const char *const levels[CE_LOG__MAX] = {
	[CE_LOG_DEBUG] = "debug",
	[CE_LOG_INFO] = "info",
	[CE_LOG_WARN] = "warn",
	[CE_LOG_ERROR] = "error",
};

/* Parse a level name; "warning" is accepted for "warn". */
enum ce_err
cx_log_level_parse(const char *s, enum ce_loglevel *out)
{
	int	 i;

	if (strcmp(s, "warning") == 0)
		s = "warn";
	for (i = 0; i < CE_LOG__MAX; i++)
		if (strcmp(s, levels[i]) == 0) {
			*out = (enum ce_loglevel)i;
			return CE_OK;
		}
	return CE_EINPUT;
}

struct line {
	char	 b[LINE_MAX_LEN];
	size_t	 len;
};

static void
line_raw(struct line *l, const char *s)
{
	size_t	 n = strlen(s);

	if (n > sizeof(l->b) - 2 - l->len)
		n = sizeof(l->b) - 2 - l->len;
	memcpy(l->b + l->len, s, n);
	l->len += n;
}

/* Append "s" escaped for a JSON string, control characters included. */
static void
line_esc(struct line *l, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char	 c;

	for (; *s != '\0' && l->len + 8 < sizeof(l->b); s++) {
		c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			l->b[l->len++] = '\\';
			l->b[l->len++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			l->b[l->len++] = '\\';
			l->b[l->len++] = 'u';
			l->b[l->len++] = '0';
			l->b[l->len++] = '0';
			l->b[l->len++] = hex[c >> 4];
			l->b[l->len++] = hex[c & 0xf];
		} else
			l->b[l->len++] = (char)c;
	}
}

/*
 * Write one line at "level" if the sink's minimum allows it, with the
 * sink's request id if it has one.  "fields" is pre-formatted JSON members
 * ("\"route\":\"health\",...") made by our own code, or NULL; the request
 * id and "msg" are escaped.  Failures to write are ignored: logging never
 * fails a request.
 */
/*
 * The access line of a request: "method" (or "other"), the route's name,
 * the path's "pathlen" bytes (never the query: printable ASCII only, the
 * rest as '?', cut to fit), the status, the duration and the client's
 * address (REMOTE_ADDR).  The responders' and the pool master's alike.
 */
void
cx_log_access(struct cx_log *lg, const char *method, enum ce_route r,
    const char *path, size_t pathlen, int status, long long us,
    const char *client)
{
	char	 fields[512], p[160], addr[48];
	size_t	 i, n;

	if (lg->min > CE_LOG_INFO)
		return;
	ce_addr_print(addr, sizeof(addr), client);
	n = pathlen < sizeof(p) - 1 ? pathlen : sizeof(p) - 1;
	for (i = 0; i < n; i++)
		p[i] = (path[i] > 0x20 && path[i] < 0x7f && path[i] != '"' &&
		    path[i] != '\\') ? path[i] : '?';
	p[n] = '\0';
	snprintf(fields, sizeof(fields), "\"method\":\"%s\",\"route\":\"%s\","
	    "\"path\":\"%s\",\"status\":%d,\"dur_us\":%lld,"
	    "\"client\":\"%s\"",
	    method != NULL && ce_method_bits(method) ? method : "other",
	    ce_route_name(r), p, status, us, addr);
	cx_log_write(lg, CE_LOG_INFO, fields, NULL);
}

void
cx_log_write(struct cx_log *lg, enum ce_loglevel level, const char *fields,
    const char *msg)
{
	const char	*reqid = lg->reqid;

	struct line	 l;
	struct timespec	 ts;
	struct tm	 tm;
	char		 tmp[128];
	ssize_t		 w;
	size_t		 off;

	if ((unsigned)level >= CE_LOG__MAX || level < lg->min || lg->fd < 0)
		return;
	l.len = 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(tmp, sizeof(tmp), "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d."
	    "%03ldZ\",\"level\":\"", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    ts.tv_nsec / 1000000);
	line_raw(&l, tmp);
	line_raw(&l, levels[level]);
	snprintf(tmp, sizeof(tmp), "\",\"pid\":%ld", (long)getpid());
	line_raw(&l, tmp);
	if (reqid != NULL && reqid[0] != '\0') {
		line_raw(&l, ",\"req\":\"");
		line_esc(&l, reqid);
		line_raw(&l, "\"");
	}
	if (fields != NULL && fields[0] != '\0') {
		line_raw(&l, ",");
		line_raw(&l, fields);
	}
	if (msg != NULL) {
		line_raw(&l, ",\"msg\":\"");
		line_esc(&l, msg);
		line_raw(&l, "\"");
	}
	/* Room for "}\n" was kept by line_raw() and line_esc(). */
	if (l.len > sizeof(l.b) - 2)
		l.len = sizeof(l.b) - 2;
	l.b[l.len++] = '}';
	l.b[l.len++] = '\n';
	for (off = 0; off < l.len; off += (size_t)w) {
		w = write(lg->fd, l.b + off, l.len - off);
		if (w < 0 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0)
			break;
	}
}

/* cx_logf with a va_list. */
void
cx_vlogf(struct cx_log *lg, enum ce_loglevel level, const char *fmt,
    va_list ap)
{
	char	 msg[1024];

	if ((unsigned)level >= CE_LOG__MAX || level < lg->min)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	cx_log_write(lg, level, NULL, msg);
}

/* Log a formatted message with the sink's current request id. */
void
cx_logf(struct cx_log *lg, enum ce_loglevel level, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	cx_vlogf(lg, level, fmt, ap);
	va_end(ap);
}
