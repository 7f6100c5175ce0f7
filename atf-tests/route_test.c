/*
 * route_test.c -- the routing table: paths, methods, 404 and 405 with the
 * allowed methods.
 */
#include <string.h>

#include <atf-c.h>

#include "core/route.h"

static enum ce_err
match(const char *path, const char *method, enum ce_route *r, unsigned *al)
{
	return ce_route_match(path, strlen(path), method, r, al);
}

ATF_TC_WITHOUT_HEAD(route_match__known_paths);
ATF_TC_BODY(route_match__known_paths, tc)
{
	static const struct {
		const char	*path;
		const char	*method;
		enum ce_route	 route;
	} tab[] = {
		{ "/health", "GET", CE_ROUTE_HEALTH },
		{ "/health", "HEAD", CE_ROUTE_HEALTH },
		{ "/ready", "GET", CE_ROUTE_READY },
		{ "/api/v1/leads/process", "GET", CE_ROUTE_LEADS_PROCESS },
		{ "/api/v1/c2s/enrich/abc", "POST", CE_ROUTE_C2S_ENRICH },
		{ "/api/v1/contributor/customer", "GET",
		    CE_ROUTE_CUSTOMER_LOOKUP },
		{ "/api/v1/enrich", "POST", CE_ROUTE_ENRICH },
		{ "/api/v1/customers/x", "GET", CE_ROUTE_CUSTOMER },
		{ "/api/v1/work/modules/all", "GET", CE_ROUTE_WORK_MODULE },
		{ "/api/v1/work/modules/cpf", "GET", CE_ROUTE_WORK_MODULE },
		{ "/api/v1/stats", "GET", CE_ROUTE_STATS },
		{ "/api/v1/alerts", "GET", CE_ROUTE_ALERTS },
		{ "/api/v1/leads", "GET", CE_ROUTE_LEADS_LIST },
		{ "/api/v1/leads/abc/retry", "POST", CE_ROUTE_LEAD_RETRY },
		{ "/api/v1/leads/abc/reprocess", "POST",
		    CE_ROUTE_LEAD_REPROCESS },
	};
	enum ce_route	 r;
	unsigned	 al;
	size_t		 i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		ATF_CHECK_EQ_MSG(match(tab[i].path, tab[i].method, &r, &al),
		    CE_OK, "%s %s", tab[i].method, tab[i].path);
		ATF_CHECK_EQ_MSG(r, tab[i].route, "%s", tab[i].path);
	}
	ATF_CHECK_STREQ(ce_route_name(CE_ROUTE_HEALTH), "health");
	ATF_CHECK_STREQ(ce_route_name(CE_ROUTE__MAX), "none");
}

ATF_TC_WITHOUT_HEAD(route_match__unknown_is_404);
ATF_TC_BODY(route_match__unknown_is_404, tc)
{
	static const char *const paths[] = {
		"/", "/healthz", "/health/", "/Health", "/health/x", "",
		"//health", "/ready.json", "/api/v1/customers/",
		"/api/v1/customers/a/b", "/api/v1/work/modules",
		"/api/v1/stats/x", "/api/v1/contributor/customer/1",
		"/api/v1/leads/", "/api/v1/leads//retry", "/api/v1/leads/a/b",
		"/api/v1/leads/a/retry/x",
	};
	enum ce_route	 r;
	unsigned	 al;
	size_t		 i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		ATF_CHECK_EQ_MSG(match(paths[i], "GET", &r, &al),
		    CE_ENOTFOUND, "path '%s'", paths[i]);
		ATF_CHECK_EQ(r, CE_ROUTE_NONE);
	}
}

/* Exactly the operators' actions want an admin key. */
ATF_TC_WITHOUT_HEAD(route_admin__the_actions_only);
ATF_TC_BODY(route_admin__the_actions_only, tc)
{
	int	 r;

	for (r = 0; r < CE_ROUTE__MAX; r++)
		ATF_CHECK_EQ_MSG(ce_route_admin((enum ce_route)r),
		    r == CE_ROUTE_LEAD_RETRY || r == CE_ROUTE_LEAD_REPROCESS ||
		    r == CE_ROUTE_LEADS_LIST, "route %s",
		    ce_route_name((enum ce_route)r));
}

ATF_TC_WITHOUT_HEAD(route_match__wrong_method_is_405);
ATF_TC_BODY(route_match__wrong_method_is_405, tc)
{
	enum ce_route	 r;
	unsigned	 al;
	char		 s[64];

	ATF_CHECK_EQ(match("/health", "POST", &r, &al), CE_EMETHOD);
	ATF_CHECK_EQ(al, CE_METHOD_GET | CE_METHOD_HEAD);
	ATF_REQUIRE_EQ(ce_methods_str(al, s, sizeof(s)), CE_OK);
	ATF_CHECK_STREQ(s, "GET, HEAD");
	ATF_CHECK_EQ(match("/ready", "BREW", &r, &al), CE_EMETHOD);
	ATF_CHECK_EQ(match("/ready", "get", &r, &al), CE_EMETHOD);
	ATF_CHECK_EQ(r, CE_ROUTE_NONE);
	ATF_CHECK_EQ(match("/api/v1/leads/x/retry", "GET", &r, &al),
	    CE_EMETHOD);
	ATF_CHECK_EQ(al, CE_METHOD_POST);
	ATF_CHECK_EQ(match("/api/v1/leads", "POST", &r, &al), CE_EMETHOD);
	ATF_CHECK_EQ(al, CE_METHOD_GET);
}

ATF_TC_WITHOUT_HEAD(route_match__length_not_nul);
ATF_TC_BODY(route_match__length_not_nul, tc)
{
	enum ce_route	 r;
	unsigned	 al;

	/* The path ends at the given length: the query is not part of it. */
	ATF_CHECK_EQ(ce_route_match("/health?x=1", 7, "GET", &r, &al), CE_OK);
	ATF_CHECK_EQ(r, CE_ROUTE_HEALTH);
	ATF_CHECK_EQ(ce_route_match("/healthy", 7, "GET", &r, &al), CE_OK);
	ATF_CHECK_EQ(ce_route_match("/health", 6, "GET", &r, &al),
	    CE_ENOTFOUND);
}

ATF_TC_WITHOUT_HEAD(methods_str__small_buffer);
ATF_TC_BODY(methods_str__small_buffer, tc)
{
	char	 s[6];

	ATF_CHECK_EQ(ce_methods_str(CE_METHOD_GET | CE_METHOD_POST, s,
	    sizeof(s)), CE_E2BIG);
	ATF_CHECK_STREQ(s, "GET");
	ATF_CHECK_EQ(ce_method_bits("PATCH"), CE_METHOD_PATCH);
	ATF_CHECK_EQ(ce_method_bits("TRACE"), 0);
	ATF_CHECK_EQ(ce_method_bits(NULL), 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, route_match__known_paths);
	ATF_TP_ADD_TC(tp, route_match__unknown_is_404);
	ATF_TP_ADD_TC(tp, route_match__wrong_method_is_405);
	ATF_TP_ADD_TC(tp, route_admin__the_actions_only);
	ATF_TP_ADD_TC(tp, route_match__length_not_nul);
	ATF_TP_ADD_TC(tp, methods_str__small_buffer);
	return atf_no_error();
}
