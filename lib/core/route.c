/*
 * route.c -- the routing table: which paths exist, with which methods, and
 * their names for logs and metrics.  Matching is on the path alone (the
 * query is split off by the caller); "*" in a pattern matches one non-empty
 * segment.
 */
#include <string.h>

#include "core/route.h"

static const struct {
	enum ce_route	 route;
	const char	*pattern;
	unsigned	 methods;
} routes[] = {
	{ CE_ROUTE_HEALTH, "/health", CE_METHOD_GET | CE_METHOD_HEAD },
	{ CE_ROUTE_READY, "/ready", CE_METHOD_GET | CE_METHOD_HEAD },
	/* GET with a side effect: the Make.com trigger, as it always was. */
	{ CE_ROUTE_LEADS_PROCESS, "/api/v1/leads/process", CE_METHOD_GET },
	{ CE_ROUTE_C2S_ENRICH, "/api/v1/c2s/enrich/*", CE_METHOD_POST },
	{ CE_ROUTE_WEBHOOK_C2S, "/api/v1/webhooks/c2s", CE_METHOD_POST },
	{ CE_ROUTE_WEBHOOK_C2S, "/webhook/c2s", CE_METHOD_POST },
	{ CE_ROUTE_WEBHOOK_REPLAY, "/api/v1/webhooks/c2s/replay",
	    CE_METHOD_POST },
	{ CE_ROUTE_WEBHOOK_GOOGLE, "/api/v1/webhooks/google-ads",
	    CE_METHOD_POST },
	{ CE_ROUTE_WEBHOOK_GOOGLE, "/webhook/google-ads", CE_METHOD_POST },
	{ CE_ROUTE_CUSTOMER_LOOKUP, "/api/v1/contributor/customer",
	    CE_METHOD_GET },
	{ CE_ROUTE_ENRICH, "/api/v1/enrich", CE_METHOD_POST },
	{ CE_ROUTE_CUSTOMER, "/api/v1/customers/*", CE_METHOD_GET },
	{ CE_ROUTE_WORK_MODULE, "/api/v1/work/modules/*", CE_METHOD_GET },
	{ CE_ROUTE_STATS, "/api/v1/stats", CE_METHOD_GET },
	{ CE_ROUTE_METRICS, "/metrics", CE_METHOD_GET },
	{ CE_ROUTE_LEAD_RETRY, "/api/v1/leads/*/retry", CE_METHOD_POST },
	{ CE_ROUTE_LEAD_REPROCESS, "/api/v1/leads/*/reprocess",
	    CE_METHOD_POST },
	{ CE_ROUTE_LEADS_LIST, "/api/v1/leads", CE_METHOD_GET },
	{ CE_ROUTE_ALERTS, "/api/v1/alerts", CE_METHOD_GET },
};

static const char *const names[CE_ROUTE__MAX] = {
	[CE_ROUTE_NONE] = "none",
	[CE_ROUTE_HEALTH] = "health",
	[CE_ROUTE_READY] = "ready",
	[CE_ROUTE_LEADS_PROCESS] = "leads_process",
	[CE_ROUTE_C2S_ENRICH] = "c2s_enrich",
	[CE_ROUTE_WEBHOOK_C2S] = "webhook_c2s",
	[CE_ROUTE_WEBHOOK_GOOGLE] = "webhook_google_ads",
	[CE_ROUTE_CUSTOMER_LOOKUP] = "customer_lookup",
	[CE_ROUTE_ENRICH] = "enrich",
	[CE_ROUTE_CUSTOMER] = "customer",
	[CE_ROUTE_WORK_MODULE] = "work_module",
	[CE_ROUTE_STATS] = "stats",
	[CE_ROUTE_METRICS] = "metrics",
	[CE_ROUTE_WEBHOOK_REPLAY] = "webhook_c2s_replay",
	[CE_ROUTE_LEAD_RETRY] = "lead_retry",
	[CE_ROUTE_LEAD_REPROCESS] = "lead_reprocess",
	[CE_ROUTE_LEADS_LIST] = "leads_list",
	[CE_ROUTE_ALERTS] = "alerts",
};

static const struct {
	const char	*name;
	unsigned	 bit;
} methods[] = {
	{ "GET", CE_METHOD_GET }, { "HEAD", CE_METHOD_HEAD },
	{ "POST", CE_METHOD_POST }, { "PUT", CE_METHOD_PUT },
	{ "DELETE", CE_METHOD_DELETE }, { "PATCH", CE_METHOD_PATCH },
	{ "OPTIONS", CE_METHOD_OPTIONS },
};

const char *
ce_route_name(enum ce_route r)
{
	if ((unsigned)r >= CE_ROUTE__MAX)
		return "none";
	return names[r];
}

/* Is "r" an operator's action, behind ADMIN_API_KEYS? */
int
ce_route_admin(enum ce_route r)
{
	return r == CE_ROUTE_LEAD_RETRY || r == CE_ROUTE_LEAD_REPROCESS ||
	    r == CE_ROUTE_LEADS_LIST;
}

/* The bit of a method name, or 0 for an unknown method. */
int
ce_method_bits(const char *m)
{
	size_t	 i;

	if (m == NULL)
		return 0;
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(m, methods[i].name) == 0)
			return (int)methods[i].bit;
	return 0;
}

/*
 * Write the names of the methods in "bits" as "GET, HEAD" into "out".
 * Returns CE_OK, or CE_E2BIG if "out" is too small ("out" then holds a
 * truncated, terminated list).
 */
enum ce_err
ce_methods_str(unsigned bits, char *out, size_t outsz)
{
	size_t	 i, len = 0, n;

	if (outsz == 0)
		return CE_E2BIG;
	out[0] = '\0';
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if ((bits & methods[i].bit) == 0)
			continue;
		n = strlen(methods[i].name) + (len > 0 ? 2 : 0);
		if (len + n >= outsz)
			return CE_E2BIG;
		if (len > 0) {
			memcpy(out + len, ", ", 2);
			len += 2;
		}
		memcpy(out + len, methods[i].name, strlen(methods[i].name));
		len += strlen(methods[i].name);
		out[len] = '\0';
	}
	return CE_OK;
}

/* Does "path" (of "len" bytes) match "pat", segment by segment? */
static int
path_match(const char *pat, const char *path, size_t len)
{
	const char	*end = path + len;
	size_t		 seg;

	while (*pat != '\0' && path < end) {
		if (*pat == '*') {
			for (seg = 0; path + seg < end && path[seg] != '/';
			    seg++)
				continue;
			if (seg == 0)
				return 0;
			path += seg;
			pat++;
			continue;
		}
		if (*pat != *path)
			return 0;
		pat++;
		path++;
	}
	return *pat == '\0' && path == end;
}

enum ce_err
ce_route_match(const char *path, size_t pathlen, const char *method,
    enum ce_route *route, unsigned *allowed)
{
	size_t		 i;
	unsigned	 bit = (unsigned)ce_method_bits(method);
	int		 found = 0;

	*route = CE_ROUTE_NONE;
	*allowed = 0;
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!path_match(routes[i].pattern, path, pathlen))
			continue;
		found = 1;
		*allowed |= routes[i].methods;
		if (bit != 0 && (routes[i].methods & bit) != 0) {
			*route = routes[i].route;
			return CE_OK;
		}
	}
	return found ? CE_EMETHOD : CE_ENOTFOUND;
}
