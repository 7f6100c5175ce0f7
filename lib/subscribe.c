/*
 * subscribe.c -- c2s-enrich --subscribe and --unsubscribe: register (or
 * remove) this service's webhook at C2S for the three lead actions.  C2S
 * sends no custom header on a subscribed hook, so the secret travels in
 * the hook's URL: PUBLIC_URL + /api/v1/webhooks/c2s?token=WEBHOOK_SECRET.
 * One line per action says what C2S answered; the secret is never
 * printed (the URL is shown with token=***, and an answer that echoes the
 * secret has it masked).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "c2s-enrich.h"
#include "extern.h"

#define HOOK_PATH	"/api/v1/webhooks/c2s"
#define ANSWER_MAX	400	/* characters of C2S's answer shown */

static const char *const actions[] = {
	"on_create_lead", "on_update_lead", "on_close_lead",
};

/*
 * The hook's URL into "url": PUBLIC_URL without its trailing slashes,
 * the path, and the secret escaped.  With "shown" the secret is ***.
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

/* Print "text" on one line, cut, with every copy of "secret" masked. */
static void
print_answer(FILE *out, const char *text, const char *secret)
{
	size_t	 slen = strlen(secret), n = 0;

	for (; *text != '\0' && n < ANSWER_MAX; n++) {
		if (slen > 0 && strncmp(text, secret, slen) == 0) {
			fputs("***", out);
			text += slen;
			continue;
		}
		fputc(*text == '\n' || *text == '\r' || *text == '\t' ?
		    ' ' : *text, out);
		text++;
	}
	fputs(*text != '\0' ? "...\n" : "\n", out);
}

int
ce_subscribe(struct ce_ctx *ctx, int unsubscribe, FILE *out, FILE *err)
{
	const struct ce_config *cfg = &ctx->cfg;
	const char	*verb = unsubscribe ? "unsubscribe" : "subscribe";
	struct ce_call	 c;
	json_t		*j;
	char		 url[CE_URL_MAX + CE_SECRET_MAX * 3 + 64];
	char		 shown[CE_URL_MAX + 64], *body;
	size_t		 i;
	int		 failed = 0;

	if (cfg->public_url[0] == '\0' || cfg->c2s_token[0] == '\0' ||
	    cfg->webhook_secret[0] == '\0') {
		fprintf(err, "c2s-enrich: --%s needs %s set\n", verb,
		    cfg->public_url[0] == '\0' ? "PUBLIC_URL (the address C2S "
		    "reaches this service at)" : cfg->c2s_token[0] == '\0' ?
		    "C2S_TOKEN" : "WEBHOOK_SECRET (a hook without it would "
		    "take events from anyone)");
		return 1;
	}
	if (hook_url(cfg, 0, url, sizeof(url)) != CE_OK ||
	    hook_url(cfg, 1, shown, sizeof(shown)) != CE_OK) {
		fprintf(err, "c2s-enrich: PUBLIC_URL and WEBHOOK_SECRET make "
		    "too long a URL\n");
		return 1;
	}
	fprintf(out, "%s %s at %s\n", verb, shown, cfg->c2s_base_url);
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		j = json_pack("{s:s, s:s}", "hook_url", url, "hook_action",
		    actions[i]);
		body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		memset(&c, 0, sizeof(c));
		c.kind = CE_CALL_C2S_HOOK;
		c.arg = body;
		c.arg2 = verb;
		if (body == NULL)
			c.res = CE_UP_DOWN;
		else
			(void)ce_upstream_one(ctx, &c, ce_deadline(ctx));
		fprintf(out, "%s %s: %s, HTTP %ld: ", verb, actions[i],
		    c.res == CE_UP_OK ? "ok" : "FAILED", c.status);
		print_answer(out, c.dossier.raw != NULL ? c.dossier.raw :
		    ce_up_name(c.res), cfg->webhook_secret);
		if (c.res != CE_UP_OK)
			failed++;
		ce_dossier_free(&c.dossier);
		free(body);
	}
	if (failed > 0)
		fprintf(err, "c2s-enrich: %d of %zu actions failed\n", failed,
		    sizeof(actions) / sizeof(actions[0]));
	return failed > 0 ? 1 : 0;
}
