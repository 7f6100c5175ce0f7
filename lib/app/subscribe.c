/*
 * subscribe.c -- c2s-enrich --subscribe and --unsubscribe: register (or
 * remove) this service's webhook at C2S for the lead actions C2S
 * delivers.  C2S sends no custom header on a subscribed hook, so the
 * secret travels in the hook's URL: PUBLIC_URL + /api/v1/webhooks/c2s
 * ?token=WEBHOOK_SECRET.  What C2S answered for each action goes back to
 * the caller (fcgi/main.c prints it) with the secret masked: the URL as
 * token=***, and in C2S's answer every token= value and every copy of
 * the secret, raw or escaped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/call.h"
#include "core/config.h"
#include "core/err.h"
#include "core/util.h"
#include "app/app.h"
#include "app/subscribe.h"
#include "app/upstream.h"

/* The lead actions C2S delivers (and app/webhook.c accepts). */
const char *const ce_hook_actions[CE_HOOK_ACTIONS] = {
	"on_create_lead", "on_update_lead", "on_close_lead",
};

#define HOOK_PATH	"/api/v1/webhooks/c2s"

/*
 * The hook's URL into "url": PUBLIC_URL without its trailing slashes,
 * the path, and the secret escaped, or *** with "shown".
 */
static enum ce_err
hook_url(const struct ce_config *cfg, int shown, char *url, size_t sz)
{
	size_t	 n = strlen(cfg->public_url);
	int	 w;

	while (n > 0 && cfg->public_url[n - 1] == '/')
		n--;
	w = snprintf(url, sz, "%.*s" HOOK_PATH "?token=%s", (int)n,
	    cfg->public_url, shown ? "***" : "");
	if (w < 0 || (size_t)w >= sz)
		return CE_E2BIG;
	return shown ? CE_OK : cx_url_escape(url, sz, cfg->webhook_secret);
}

/*
 * Copy "text" into "out" on one line, with every token= value and every
 * copy of "secret" or "escaped" (its URL form) as ***; a text too long
 * ends in "..." (cut on a UTF-8 boundary).
 */
static void
masked(const char *text, const char *secret, const char *escaped,
    char *out, size_t sz)
{
	const char	*m[2] = { secret, escaped };
	struct ce_buf	 b;
	size_t		 k, len, n;
	enum ce_err	 er = CE_OK;

	ce_buf_init(&b, sz * 4 + 64);
	while (*text != '\0' && er == CE_OK) {
		for (k = 0; k < 2; k++)
			if ((len = strlen(m[k])) > 0 &&
			    strncmp(text, m[k], len) == 0)
				break;
		if (k == 2 && strncasecmp(text, "token=", 6) == 0) {
			len = 6 + strcspn(text + 6, "&#\"' ");
			er = ce_buf_puts(&b, "token=***");
		} else if (k < 2)
			er = ce_buf_puts(&b, "***");
		else {
			len = 1;
			er = ce_buf_append(&b, *text == '\n' || *text == '\r' ||
			    *text == '\t' ? " " : text, 1);
		}
		text += len;
	}
	n = ce_strlcpy(out, b.data != NULL ? b.data : "", sz);
	if ((n >= sz || er != CE_OK) && sz > 4) {
		n = sz - 4;
		while (n > 0 && ((unsigned char)out[n] & 0xC0) == 0x80)
			n--;
		memcpy(out + n, "...", 4);
	}
	ce_buf_free(&b);
}

int
cx_subscribe(struct cx_app *app, int unsubscribe,
    struct ce_hook_result out[CE_HOOK_ACTIONS], char *shown, size_t shownsz,
    char *err, size_t errsz)
{
	const struct ce_config *cfg = &app->cfg;
	struct ce_call	 c;
	json_t		*j;
	char		 url[CE_URL_MAX + CE_SECRET_MAX * 3 + 64];
	char		 esc[CE_SECRET_MAX * 3 + 1], *body;
	size_t		 i;
	int		 failed = 0;

	if (cfg->public_url[0] == '\0' || cfg->c2s_token[0] == '\0' ||
	    cfg->webhook_secret[0] == '\0') {
		snprintf(err, errsz, "--%s needs %s set",
		    unsubscribe ? "unsubscribe" : "subscribe",
		    cfg->public_url[0] == '\0' ? "PUBLIC_URL (the address C2S "
		    "reaches this service at)" : cfg->c2s_token[0] == '\0' ?
		    "C2S_TOKEN" : "WEBHOOK_SECRET (a hook without it would "
		    "take events from anyone)");
		return -1;
	}
	esc[0] = '\0';
	if (hook_url(cfg, 0, url, sizeof(url)) != CE_OK ||
	    hook_url(cfg, 1, shown, shownsz) != CE_OK ||
	    cx_url_escape(esc, sizeof(esc), cfg->webhook_secret) != CE_OK) {
		snprintf(err, errsz, "PUBLIC_URL and WEBHOOK_SECRET make too "
		    "long a URL");
		return -1;
	}
	for (i = 0; i < CE_HOOK_ACTIONS; i++) {
		j = json_pack("{s:s, s:s}", "hook_url", url, "hook_action",
		    ce_hook_actions[i]);
		body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		memset(&c, 0, sizeof(c));
		c.kind = CE_CALL_C2S_HOOK;
		c.arg = body;
		c.arg2 = unsubscribe ? "unsubscribe" : "subscribe";
		if (body == NULL)
			c.res = CE_UP_DOWN;
		else
			(void)cx_upstream_one(app, &c, cx_deadline(app));
		out[i].action = ce_hook_actions[i];
		out[i].res = c.res;
		out[i].status = c.status;
		masked(c.dossier.raw != NULL ? c.dossier.raw :
		    ce_up_name(c.res), cfg->webhook_secret, esc,
		    out[i].answer, sizeof(out[i].answer));
		if (c.res != CE_UP_OK)
			failed++;
		ce_dossier_free(&c.dossier);
		free(body);
	}
	return failed;
}
