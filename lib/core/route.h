/*
 * core/route.h -- the routing table (route.c): the route enum, which
 * paths exist with which methods, and their names for logs and metrics.
 * Pure data: dispatching a route to its handler is the web layer's.
 */
#ifndef CE_CORE_ROUTE_H
#define CE_CORE_ROUTE_H

#include <stddef.h>

#include "core/err.h"

/* Routes. */
enum ce_route {
	CE_ROUTE_NONE = 0,
	CE_ROUTE_HEALTH,
	CE_ROUTE_READY,
	CE_ROUTE_LEADS_PROCESS,
	CE_ROUTE_C2S_ENRICH,
	CE_ROUTE_WEBHOOK_C2S,
	CE_ROUTE_WEBHOOK_GOOGLE,
	CE_ROUTE_CUSTOMER_LOOKUP,	/* GET /api/v1/contributor/customer */
	CE_ROUTE_ENRICH,		/* POST /api/v1/enrich */
	CE_ROUTE_CUSTOMER,		/* GET /api/v1/customers/{uuid} */
	CE_ROUTE_WORK_MODULE,		/* GET /api/v1/work/modules/{m} */
	CE_ROUTE_STATS,
	CE_ROUTE_METRICS,
	CE_ROUTE_WEBHOOK_REPLAY,	/* POST /api/v1/webhooks/c2s/replay */
	/* The operators' actions: admin keys only (web/auth.c). */
	CE_ROUTE_LEAD_RETRY,		/* POST /api/v1/leads/{id}/retry */
	CE_ROUTE_LEAD_REPROCESS,	/* POST /api/v1/leads/{id}/reprocess */
	CE_ROUTE_LEADS_LIST,		/* GET /api/v1/leads */
	CE_ROUTE_ALERTS,		/* GET /api/v1/alerts */
	CE_ROUTE__MAX
};

#define CE_METHOD_GET	0x01
#define CE_METHOD_HEAD	0x02
#define CE_METHOD_POST	0x04
#define CE_METHOD_PUT	0x08
#define CE_METHOD_DELETE 0x10
#define CE_METHOD_PATCH	0x20
#define CE_METHOD_OPTIONS 0x40

/*
 * Match a path (no query) and method against the routing table.  Returns
 * CE_OK with the route, CE_ENOTFOUND, or CE_EMETHOD with the allowed
 * methods in "allowed".
 */
enum ce_err	 ce_route_match(const char *path, size_t pathlen,
		    const char *method, enum ce_route *route,
		    unsigned *allowed);
const char	*ce_route_name(enum ce_route);
int		 ce_route_admin(enum ce_route);
int		 ce_method_bits(const char *);
enum ce_err	 ce_methods_str(unsigned, char *, size_t);

#endif /* CE_CORE_ROUTE_H */
