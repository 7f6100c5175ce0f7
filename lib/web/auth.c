/*
 * auth.c -- API keys (API_KEYS, a comma-separated list) on the business
 * routes.  A key comes in X-API-Key or as "Authorization: Bearer KEY"; it
 * is compared with every configured key, each in constant time, with no
 * early exit, so the time taken says nothing of which key came close.
 * /health, /ready and the webhooks (which have secrets of their own) are
 * open, and /metrics when METRICS_OPEN=1.  Closed by default: with
 * API_AUTH=off (set on purpose; config.c then lets API_KEYS be unset)
 * nothing is checked; otherwise no key configured (config.c refuses to
 * start so, but a context built in C can be) means no key is right.
 * A request the web server received on its metrics listener carries the
 * FastCGI parameter C2S_LISTENER=metrics (set by the server, never from a
 * header): there /metrics is open and every route but /health is 404.
 * The operators' actions (ce_route_admin()) want a key of
 * ADMIN_API_KEYS whatever API_AUTH says: none configured, every key is
 * refused (403); a key of API_KEYS alone is refused (403); no key is a
 * 401.  An admin key is also a key of every other route.  Both lists are
 * compared in full, every time.
 * The webhooks' shared secrets are compared here too.  Nothing here
 * writes a response: each check returns a code and the text of the
 * refusal, and its caller answers.
 */
#include <string.h>
#include <strings.h>

#include "core/cgi.h"
#include "core/config.h"
#include "core/err.h"
#include "core/route.h"
#include "core/util.h"
#include "web/auth.h"
#include "web/web.h"

/* Does "route" need a key under this configuration? */
static int
needed(const struct ce_config *cfg, enum ce_route route)
{
	if (!cfg->api_auth)
		return 0;
	switch (route) {
	case CE_ROUTE_HEALTH:
	case CE_ROUTE_READY:
	case CE_ROUTE_WEBHOOK_C2S:
	case CE_ROUTE_WEBHOOK_GOOGLE:
		return 0;
	case CE_ROUTE_METRICS:
		return !cfg->metrics_open;
	default:
		return 1;
	}
}

/* Is "given" one of the configured keys?  Every key is compared. */
static int
known(const char *keys, const char *given)
{
	char		 k[sizeof(((struct ce_config *)0)->api_keys) >
			    sizeof(((struct ce_config *)0)->admin_api_keys) ?
			    sizeof(((struct ce_config *)0)->api_keys) :
			    sizeof(((struct ce_config *)0)->admin_api_keys)];
	const char	*p = keys, *e;
	size_t		 n;
	int		 match = 0;

	while (*p != '\0') {
		while (*p == ',' || *p == ' ')
			p++;
		e = p + strcspn(p, ",");
		n = (size_t)(e - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n > 0 && n < sizeof(k)) {
			memcpy(k, p, n);
			k[n] = '\0';
			match |= ce_ct_streq(given, k);
		}
		p = e;
	}
	return match;
}

/*
 * Check key "given" (not empty) for "route": both lists compared in
 * full, whatever matched.  Returns CE_OK, CE_EFORBIDDEN (an admin route
 * and a key that is no admin key but a good one otherwise, or any key
 * while ADMIN_API_KEYS is unset) or CE_EAUTH, with "*msg" set.
 */
static enum ce_err
admin_check(const struct ce_config *cfg, enum ce_route route,
    const char *given, const char **msg)
{
	int	 plain = known(cfg->api_keys, given);
	int	 admin = known(cfg->admin_api_keys, given);

	if (!ce_route_admin(route)) {
		if (plain | admin)
			return CE_OK;
		*msg = "invalid API key";
		return CE_EAUTH;
	}
	if (admin)
		return CE_OK;
	if (plain || !cfg->api_auth || cfg->admin_api_keys[0] == '\0') {
		*msg = cfg->admin_api_keys[0] == '\0' ?
		    "no admin key is configured (ADMIN_API_KEYS): the "
		    "operators' actions are closed" :
		    "this key is not an admin key (ADMIN_API_KEYS)";
		return CE_EFORBIDDEN;
	}
	*msg = "invalid API key";
	return CE_EAUTH;
}

/*
 * Check the request's key for "route".  Returns CE_OK; CE_EAUTH, with
 * "*msg" set to the text of the 401 (the caller writes the body and a
 * WWW-Authenticate challenge); CE_EFORBIDDEN, with "*msg" set to the
 * text of the 403; or CE_ENOTFOUND, with "*msg" NULL, for a
 * route the metrics listener hides.  Writes nothing in the response.
 */
enum ce_err
cx_auth_check(struct cx_web *w, const struct ce_req *req,
    enum ce_route route, const char **msg)
{
	const char	*given = ce_req_param(req, "HTTP_X_API_KEY");
	const char	*a = ce_req_param(req, "HTTP_AUTHORIZATION");
	const char	*l = ce_req_param(req, "C2S_LISTENER");

	*msg = NULL;
	if (l != NULL && strcmp(l, "metrics") == 0) {
		if (route == CE_ROUTE_METRICS || route == CE_ROUTE_HEALTH)
			return CE_OK;
		return CE_ENOTFOUND;
	}
	if (!ce_route_admin(route) && !needed(&w->app.cfg, route))
		return CE_OK;
	if ((given == NULL || given[0] == '\0') && a != NULL &&
	    strncasecmp(a, "Bearer ", 7) == 0)
		given = a + 7;
	if (given == NULL || given[0] == '\0') {
		*msg = "missing API key (X-API-Key or Authorization: Bearer)";
		return CE_EAUTH;
	}
	return admin_check(&w->app.cfg, route, given, msg);
}

/*
 * Check a webhook's shared secret: "given" (NULL when the client sent
 * none) against "secret" (empty: no check), in constant time.  Returns
 * CE_OK, or CE_EAUTH with "*msg" set to the text of the 401 (the caller
 * writes the body).
 */
enum ce_err
cx_secret_check(const char *secret, const char *given, const char **msg)
{
	*msg = NULL;
	if (secret[0] == '\0')
		return CE_OK;
	if (given == NULL || given[0] == '\0') {
		*msg = "missing webhook secret";
		return CE_EAUTH;
	}
	if (!ce_ct_streq(given, secret)) {
		*msg = "wrong webhook secret";
		return CE_EAUTH;
	}
	return CE_OK;
}
