/*
 * alert.c -- the operators' alerts (DESIGN.md 11.4), a step of the
 * worker's turn (worker.c), never of a request.  It finds the causes: an
 * upstream's breaker open longer than ALERT_PROVIDER_DOWN_AFTER, and its
 * recovery; the Work API refusing calls (out of credits, or the token),
 * which the responders count in the shared file (upstream.c); the pool
 * of this machine short of POOL_MIN past POOL_SHORT_AFTER (its master's
 * scoreboard, shared/scoreboard.c), and its recovery; and, every
 * ALERT_CHECK_INTERVAL, through bounded statements: a lead that reached
 * 'failed', a high-value lead (sql/0017's reasons; one alert per lead),
 * an enrichment rate over the last hour below ALERT_RATE_MIN, and no
 * C2S webhook for ALERT_WEBHOOKS_SILENT_AFTER within business hours.
 *
 * An alert is stored in c2s.alerts (sql/0019) before it is sent, with
 * every CPF of its text masked, unless one of its kind was raised within
 * ALERT_MIN_INTERVAL (the throttle is a mark in the database, so that it
 * holds across workers and restarts).  Then each channel configured
 * sends what is due: the Slack-compatible webhook (ALERT_WEBHOOK_URL, a
 * secret: never logged) and e-mail through SMTP (io/mail.c).  A channel
 * that fails keeps the alert pending, tried again after ALERT_RETRY
 * doubled at each attempt (up to 64 times it).  With no channel the
 * alerts are still stored, for /status.  Alerts and marks older than
 * RETENTION_DAYS are pruned, a batch at each look.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/brid.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "core/util.h"
#include "io/http.h"
#include "io/mail.h"
#include "shared/breaker.h"
#include "shared/metrics.h"
#include "shared/scoreboard.h"
#include "app/app.h"
#include "app/alert.h"
#include "app/store.h"

#define DUE_MAX		8	/* alerts sent in one turn, at most */
#define HV_MAX		20	/* high-value leads read in one check */
#define SEND_MS		10000	/* a channel's time for one alert */
#define MAIL_CAP	(64 * 1024)
#define PRUNE_BATCH	1000	/* alerts, and marks, pruned a look */

/* The worker's view between turns (one worker a process). */
static struct {
	int		 init;
	long long	 next_check_us;
	long long	 down_since_ms[CX_BRK__MAX];	/* 0: closed */
	int		 down_told[CX_BRK__MAX];	/* "down" raised */
	uint64_t	 refused_seen[2];
	long long	 pool_since_ms;			/* the short told */
	int		 pool_told;			/* "pool_short" raised */
	long long	 failed_since_ms, hv_since_ms;
	int		 raised;		/* send this turn */
	char		 throttled[128];	/* the last mark throttled */
} st;

static const char *const upstream_names[CX_BRK__MAX] = {
	[CX_BRK_C2S] = "C2S",
	[CX_BRK_DIRETRIX] = "Diretrix",
	[CX_BRK_WORK] = "Work API",
	[CX_BRK_DB] = "PostgreSQL",
};

/* ---- raising ---- */

/* C2S_LEAD_URL with lead "id" in place of {id}, or "". */
static void
lead_link(const struct ce_config *cfg, const char *id, char *out, size_t sz)
{
	const char	*t = cfg->c2s_lead_url, *p;

	out[0] = '\0';
	if (t[0] == '\0' || (p = strstr(t, "{id}")) == NULL)
		return;
	if ((size_t)snprintf(out, sz, "%.*s%s%s", (int)(p - t), t, id,
	    p + 4) >= sz)
		out[0] = '\0';
}

/* "N s" under two minutes, else "N min". */
static void
span(long long ms, char *out, size_t sz)
{
	if (ms < 120000)
		snprintf(out, sz, "%lld s", ms / 1000);
	else
		snprintf(out, sz, "%lld min", ms / 60000);
}

/*
 * Store alert "kind" (its "key": an upstream, a lead) unless its mark
 * ("kind", or "kind:mkey" when "mkey" is not "") was raised within
 * ALERT_MIN_INTERVAL; "once": the mark never moves (one alert ever).
 * Returns 1 stored, 0 throttled, -1 when the database failed (logged).
 */
static int
raise_alert(struct cx_app *app, const char *kind, const char *key,
    const char *mkey, int once, const char *title, const char *text,
    const char *link)
{
	const struct ce_config	*cfg = &app->cfg;
	struct cx_alert_new	 a;
	char			 mark[128], mt[300], mx[4000];
	int			 raised;

	snprintf(mark, sizeof(mark), "%s%s%s", kind, mkey[0] != '\0' ? ":" :
	    "", mkey);
	ce_mask_cpf_text(title, mt, sizeof(mt));
	ce_mask_cpf_text(text, mx, sizeof(mx));
	a.kind = kind;
	a.key = key;
	a.title = mt;
	a.text = mx;
	a.link = link != NULL ? link : "";
	a.webhook = cfg->alert_webhook_url[0] != '\0';
	a.email = cfg->alert_smtp_url[0] != '\0';
	if (cx_store_alert_raise(app->db, mark, once ? -1 :
	    cfg->alert_min_interval_ms, &a, &raised) != CE_OK) {
		cx_logf(&app->log, CE_LOG_WARN, "alert %s %s: not stored "
		    "(database); tried again next turn", kind, key);
		return -1;
	}
	if (raised) {
		st.raised = 1;
		st.throttled[0] = '\0';
		cx_logf(&app->log, CE_LOG_WARN, "alert %s %s raised", kind,
		    key);
		return 1;
	}
	/* A cause that lasts is found again at each look: said once. */
	cx_logf(&app->log, strcmp(st.throttled, mark) != 0 ? CE_LOG_INFO :
	    CE_LOG_DEBUG, "alert %s %s throttled (one within "
	    "ALERT_MIN_INTERVAL)", kind, key);
	ce_strlcpy(st.throttled, mark, sizeof(st.throttled));
	return 0;
}

/* The upstreams' breakers: open longer than ALERT_PROVIDER_DOWN_AFTER,
 * and closed again after that alert. */
static void
breakers(struct cx_app *app, long long now_ms)
{
	static const enum cx_brk ups[] = { CX_BRK_C2S, CX_BRK_DIRETRIX,
	    CX_BRK_WORK };
	char		 title[128], text[512], d[32];
	uint64_t	 trips, rejected;
	const char	*key, *name;
	size_t		 i;
	enum cx_brk	 t;
	int		 s;

	for (i = 0; i < sizeof(ups) / sizeof(ups[0]); i++) {
		t = ups[i];
		if ((s = cx_breaker_state(&app->brk, t, &trips,
		    &rejected)) == -1)
			return;
		key = cx_breaker_name(t);
		name = upstream_names[t];
		if (s != 0) {
			if (st.down_since_ms[t] == 0)
				st.down_since_ms[t] = now_ms;
			if (st.down_told[t] || now_ms - st.down_since_ms[t] <
			    app->cfg.alert_provider_down_after_ms)
				continue;
			span(now_ms - st.down_since_ms[t], d, sizeof(d));
			snprintf(title, sizeof(title), "Fornecedor fora do ar: "
			    "%s", name);
			snprintf(text, sizeof(text), "O circuito de %s está "
			    "aberto há %s: as chamadas falham sem ir à rede, "
			    "os leads ficam parciais e são tentados de novo. "
			    "Um aviso vem quando %s voltar.", name, d, name);
			if (raise_alert(app, "provider_down", key, key, 0,
			    title, text, NULL) >= 0)
				st.down_told[t] = 1;
			continue;
		}
		if (st.down_told[t]) {
			span(now_ms - st.down_since_ms[t], d, sizeof(d));
			snprintf(title, sizeof(title), "Fornecedor de volta: %s",
			    name);
			snprintf(text, sizeof(text), "%s responde de novo, "
			    "depois de %s fora do ar.", name, d);
			if (raise_alert(app, "provider_recovered", key, key, 0,
			    title, text, NULL) == -1)
				continue;
			st.down_told[t] = 0;
		}
		st.down_since_ms[t] = 0;
	}
}

/*
 * The pool of this machine (its master's scoreboard head, in the shared
 * file) short of POOL_MIN for longer than the master's POOL_SHORT_AFTER
 * (in the head too), as /ready then says, and its recovery.  No master
 * here (a plain pool, or a worker on a machine of its own): nothing to
 * watch.
 */
static void
pool_short(struct cx_app *app)
{
	struct cx_sb_head	*h;
	char			 title[128], text[512], d[32];
	long long		 now = cx_now_us() / 1000, since, after;

	if ((h = cx_sb_head(&app->sb)) == NULL ||
	    __atomic_load_n(&h->master_pid, __ATOMIC_RELAXED) == 0)
		return;
	since = __atomic_load_n(&h->short_since_ms, __ATOMIC_RELAXED);
	/* The master's POOL_SHORT_AFTER, as /ready's; ours without it. */
	if ((after = __atomic_load_n(&h->short_after_ms,
	    __ATOMIC_RELAXED)) <= 0)
		after = app->cfg.pool_short_after_ms;
	if (since > 0 && since <= now && now - since >= after) {
		if (st.pool_told)
			return;
		span(now - since, d, sizeof(d));
		snprintf(title, sizeof(title), "Pool de respostas abaixo do "
		    "mínimo");
		snprintf(text, sizeof(text), "O pool deste servidor tem menos "
		    "de %d respostas (POOL_MIN) há %s; %u inícios seguidos "
		    "falharam. /ready responde 503 e os pedidos esperam ou "
		    "recebem 503. O registro do master diz por que as respostas "
		    "saem. Um aviso vem quando o pool voltar.",
		    (int)h->min, d, (unsigned)__atomic_load_n(&h->failures,
		    __ATOMIC_RELAXED));
		if (raise_alert(app, "pool_short", "pool", "", 0, title, text,
		    NULL) >= 0) {
			st.pool_told = 1;
			st.pool_since_ms = since;
		}
		return;
	}
	if (since == 0 && st.pool_told) {
		span(now - st.pool_since_ms, d, sizeof(d));
		snprintf(title, sizeof(title), "Pool de respostas de volta");
		snprintf(text, sizeof(text), "O pool deste servidor voltou a "
		    "%d respostas (POOL_MIN) depois de %s abaixo disso.",
		    (int)h->min, d);
		if (raise_alert(app, "pool_recovered", "pool", "", 0, title,
		    text, NULL) == -1)
			return;
		st.pool_told = 0;
	}
}

/* The Work API's refusals the responders counted (upstream.c). */
static void
work_refused(struct cx_app *app)
{
	static const char *const keys[2] = { "credits", "token" };
	static const char *const titles[2] = {
		"Work API: créditos esgotados",
		"Work API: token recusado",
	};
	static const char *const texts[2] = {
		"A Work API respondeu \"not enough credits\": os dossiês não "
		"vêm e os leads ficam parciais até a recarga dos créditos.",
		"A Work API recusou o token ou o módulo (WORK_API_TOKEN): os "
		"dossiês não vêm e os leads ficam parciais até a correção.",
	};
	struct cx_mregion	*r = cx_metrics_region(&app->mtab);
	uint64_t		 v;
	int			 i;

	if (r == NULL)
		return;
	for (i = 0; i < 2; i++) {
		v = cx_metrics_get(&r->work_refused[i]);
		if (v <= st.refused_seen[i])
			continue;
		if (raise_alert(app, "work_refused", keys[i], keys[i], 0,
		    titles[i], texts[i], NULL) >= 0)
			st.refused_seen[i] = v;
	}
}

/* The latest lead that reached 'failed' since the last look. */
static void
lead_failed(struct cx_app *app)
{
	struct cx_alert_lead	 f;
	char			 title[300], text[1200], link[CE_URL_MAX + 40];
	char			 more[96] = "";
	int			 found;

	if (cx_store_alert_failed(app->db, st.failed_since_ms, &f,
	    &found) != CE_OK || !found)
		return;
	lead_link(&app->cfg, f.lead, link, sizeof(link));
	snprintf(title, sizeof(title), "Lead falhou: %s",
	    f.name[0] != '\0' ? f.name : f.lead);
	if (f.count > 1)
		snprintf(more, sizeof(more), " %lld leads falharam desde o "
		    "aviso anterior.", f.count);
	snprintf(text, sizeof(text), "O lead %s%s%s%s chegou a failed e não "
	    "será tentado de novo: %s.%s", f.lead, f.name[0] != '\0' ? " (" :
	    "", f.name, f.name[0] != '\0' ? ")" : "", f.what[0] != '\0' ?
	    f.what : "sem detalhe", more);
	if (raise_alert(app, "lead_failed", f.lead, "", 0, title, text,
	    link) >= 0)
		st.failed_since_ms = f.at_ms;
}

/* High-value leads (one alert each, ever). */
static void
high_value(struct cx_app *app)
{
	struct cx_alert_lead	 hv[HV_MAX];
	char			 title[300], text[1200], link[CE_URL_MAX + 40];
	char			 cpf[32] = "";
	size_t			 n, i;

	if (cx_store_alert_high_value(app->db, st.hv_since_ms, hv, HV_MAX,
	    &n) != CE_OK)
		return;
	for (i = 0; i < n; i++) {
		lead_link(&app->cfg, hv[i].lead, link, sizeof(link));
		if (hv[i].cpf[0] != '\0') {
			ce_strlcpy(cpf, ", CPF ", sizeof(cpf));
			ce_mask_cpf(hv[i].cpf, cpf + strlen(cpf),
			    sizeof(cpf) - strlen(cpf));
		} else
			cpf[0] = '\0';
		snprintf(title, sizeof(title), "\xe2\xad\x90 Lead de alto "
		    "valor: %s", hv[i].name[0] != '\0' ? hv[i].name : hv[i].lead);
		snprintf(text, sizeof(text), "Lead %s (%s%s): %s.", hv[i].lead,
		    hv[i].name[0] != '\0' ? hv[i].name : "sem nome", cpf,
		    hv[i].what);
		if (raise_alert(app, "high_value", hv[i].lead, hv[i].lead, 1,
		    title, text, link) == -1)
			return;
		st.hv_since_ms = hv[i].at_ms;
	}
}

/* The enrichment rate of the last hour, below ALERT_RATE_MIN. */
static void
low_rate(struct cx_app *app)
{
	const struct ce_config	*cfg = &app->cfg;
	long long		 leads, done, pct;
	char			 title[128], text[512];

	if (cfg->alert_rate_min == 0 ||
	    cx_store_alert_rate(app->db, &leads, &done) != CE_OK ||
	    leads < cfg->alert_rate_min_leads ||
	    done * 100 >= cfg->alert_rate_min * leads)
		return;
	pct = done * 100 / leads;
	snprintf(title, sizeof(title), "Taxa de enriquecimento baixa: %lld%% "
	    "na última hora", pct);
	snprintf(text, sizeof(text), "%lld leads com resultado na última "
	    "hora, %lld enriquecidos (%lld%%), abaixo do mínimo de %lld%% "
	    "(ALERT_RATE_MIN).", leads, done, pct, cfg->alert_rate_min);
	(void)raise_alert(app, "low_rate", "", "", 0, title, text, NULL);
}

/* No C2S webhook for ALERT_WEBHOOKS_SILENT_AFTER, in business hours. */
static void
webhooks_silent(struct cx_app *app)
{
	const struct ce_config	*cfg = &app->cfg;
	long long		 ms;
	int			 d0, d1, h0, h1, in;
	char			 title[128], text[512], d[32];

	if (cfg->alert_webhooks_silent_after_ms == 0 ||
	    ce_business_hours(cfg->alert_business_hours, &d0, &d1, &h0,
	    &h1) == -1 ||
	    cx_store_alert_silent(app->db, d0, d1, h0, h1, &ms, &in) != CE_OK ||
	    !in || ms < cfg->alert_webhooks_silent_after_ms)
		return;
	span(ms, d, sizeof(d));
	snprintf(title, sizeof(title), "Nenhum webhook da C2S há %s", d);
	snprintf(text, sizeof(text), "Nenhum evento da C2S chegou há %s, em "
	    "horário comercial. Verifique a inscrição (c2s-enrich "
	    "--subscribe) e a C2S; o poller (RUN_POLLER) cobre os leads "
	    "perdidos.", d);
	(void)raise_alert(app, "webhooks_silent", "", "", 0, title, text,
	    NULL);
}

/* Alerts and marks older than RETENTION_DAYS: a batch each look. */
static void
prune(struct cx_app *app)
{
	long long	 n;

	if (cx_store_alert_prune(app->db, app->cfg.retention_days,
	    PRUNE_BATCH, &n) == CE_OK && n > 0)
		cx_logf(&app->log, CE_LOG_INFO, "alerts: pruned %lld alerts "
		    "and marks older than %lld days", n,
		    app->cfg.retention_days);
}

/* ---- sending ---- */

/* Slack's mrkdwn: &, < and > escaped. */
static char *
mrkdwn(const char *s)
{
	struct ce_buf	 b;
	enum ce_err	 er = CE_OK;

	ce_buf_init(&b, 16384);
	for (; *s != '\0' && er == CE_OK; s++)
		er = *s == '&' ? ce_buf_puts(&b, "&amp;") :
		    *s == '<' ? ce_buf_puts(&b, "&lt;") :
		    *s == '>' ? ce_buf_puts(&b, "&gt;") :
		    ce_buf_append(&b, s, 1);
	if (er == CE_OK)
		er = ce_buf_append(&b, "", 1);
	if (er != CE_OK) {
		ce_buf_free(&b);
		return NULL;
	}
	return ce_buf_take(&b);
}

/* At most "max" UTF-8 characters of "s" into "out" (4 * max + 1 bytes). */
static void
chars(const char *s, size_t max, char *out)
{
	size_t	 i = 0, n = 0;

	while (s[i] != '\0') {
		if (((unsigned char)s[i] & 0xC0) != 0x80 && n++ == max)
			break;
		out[i] = s[i];
		i++;
	}
	out[i] = '\0';
}

/*
 * The webhook's body: {"text": title, text and link, "blocks": a header
 * (Slack takes 150 characters there), the text, the link, and a context
 * line}.  NULL on allocation failure.
 */
static char *
slack_body(const struct cx_alert_due *d)
{
	json_t	*j = NULL, *blocks = NULL;
	char	*text = NULL, *mt = NULL, *ml = NULL, *lt = NULL, *out = NULL;
	char	 ctx[96], head[4 * 150 + 1];
	size_t	 n;

	n = strlen(d->title) + strlen(d->text) + strlen(d->link) + 4;
	if ((text = malloc(n)) == NULL)
		return NULL;
	snprintf(text, n, "%s\n%s%s%s", d->title, d->text,
	    d->link[0] != '\0' ? "\n" : "", d->link);
	if ((mt = mrkdwn(d->text)) == NULL || (ml = mrkdwn(d->link)) == NULL)
		goto out;
	n = strlen(ml) + 24;
	if ((lt = malloc(n)) == NULL)
		goto out;
	snprintf(lt, n, "<%s|Abrir na C2S>", ml);
	snprintf(ctx, sizeof(ctx), "c2s-enrich \xc2\xb7 %s \xc2\xb7 %s",
	    d->kind, d->created_br);
	chars(d->title, 150, head);
	if ((blocks = json_pack("[{s:s, s:{s:s, s:s, s:b}}, "
	    "{s:s, s:{s:s, s:s}}]", "type", "header", "text", "type",
	    "plain_text", "text", head, "emoji", 1, "type", "section",
	    "text", "type", "mrkdwn", "text", mt)) == NULL)
		goto out;
	if ((d->link[0] != '\0' && json_array_append_new(blocks,
	    json_pack("{s:s, s:{s:s, s:s}}", "type", "section", "text",
	    "type", "mrkdwn", "text", lt)) == -1) ||
	    json_array_append_new(blocks, json_pack("{s:s, s:[{s:s, s:s}]}",
	    "type", "context", "elements", "type", "mrkdwn", "text",
	    ctx)) == -1) {
		json_decref(blocks);
		goto out;
	}
	if ((j = json_pack("{s:s, s:o}", "text", text, "blocks",
	    blocks)) != NULL)
		out = json_dumps(j, JSON_COMPACT);
out:
	json_decref(j);
	free(text);
	free(mt);
	free(ml);
	free(lt);
	return out;
}

/* Send alert "d" to the webhook.  Returns 1 sent, 0 failed. */
static int
send_webhook(struct cx_app *app, const struct cx_alert_due *d)
{
	struct cx_http_req	 r, *rp = &r;
	char			*body;
	char			 err[64] = "";
	int			 ok = 0;

	if ((body = slack_body(d)) == NULL) {
		cx_logf(&app->log, CE_LOG_ERROR, "alert %lld: webhook body: "
		    "out of memory", d->id);
		return 0;
	}
	cx_http_req_init(&r, "alert", "POST");
	snprintf(r.log_path, sizeof(r.log_path), "ALERT_WEBHOOK_URL "
	    "(alert %lld)", d->id);
	r.body = body;
	r.bodylen = strlen(body);
	r.unsafe = 1;
	if (ce_strlcpy(r.url, app->cfg.alert_webhook_url, sizeof(r.url)) >=
	    sizeof(r.url))
		snprintf(err, sizeof(err), "ALERT_WEBHOOK_URL too long");
	else if (cx_http_req_header(&r, "Content-Type: application/json") !=
	    CE_OK || (app->http == NULL && (app->http =
	    cx_http_open(&app->cfg, &app->log)) == NULL))
		snprintf(err, sizeof(err), "out of memory");
	else if (cx_http_run(app->http, &rp, 1, cx_now_us() +
	    SEND_MS * 1000LL) != CE_OK || r.res != CX_HTTP_OK)
		snprintf(err, sizeof(err), "no answer (network or time-out)");
	else if (r.status < 200 || r.status > 299)
		snprintf(err, sizeof(err), "HTTP status %ld", r.status);
	else
		ok = 1;
	cx_http_req_free(&r);
	free(body);
	if (ok)
		cx_logf(&app->log, CE_LOG_INFO, "alert %lld: sent to the "
		    "webhook", d->id);
	else
		cx_logf(&app->log, CE_LOG_WARN, "alert %lld: the webhook "
		    "failed: %s; kept, tried again later", d->id, err);
	if (cx_store_alert_result(app->db, d->id, "webhook", ok, err,
	    app->cfg.alert_retry_ms) != CE_OK)
		cx_logf(&app->log, CE_LOG_WARN, "alert %lld: webhook result "
		    "not stored", d->id);
	return ok;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static enum ce_err
base64(struct ce_buf *b, const unsigned char *p, size_t n)
{
	char		 q[4];
	unsigned	 v;
	size_t		 i;
	enum ce_err	 er = CE_OK;

	for (i = 0; i < n && er == CE_OK; i += 3) {
		v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64[v >> 18 & 63];
		q[1] = b64[v >> 12 & 63];
		q[2] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		er = ce_buf_append(b, q, 4);
	}
	return er;
}

/* "Subject:" as RFC 2047 encoded words of at most 45 bytes of UTF-8
 * each (whole characters), folded. */
static enum ce_err
subject(struct ce_buf *b, const char *s)
{
	size_t		 len = strlen(s), n;
	enum ce_err	 er;

	if ((er = ce_buf_puts(b, "Subject:")) != CE_OK)
		return er;
	while (len > 0) {
		n = len > 45 ? 45 : len;
		while (n < len && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		if ((er = ce_buf_puts(b, " =?UTF-8?B?")) != CE_OK ||
		    (er = base64(b, (const unsigned char *)s, n)) != CE_OK ||
		    (er = ce_buf_puts(b, "?=")) != CE_OK)
			return er;
		s += n;
		len -= n;
		if (len > 0 && (er = ce_buf_puts(b, "\r\n")) != CE_OK)
			return er;
	}
	return ce_buf_puts(b, "\r\n");
}

/* "s" with its line ends as CRLF. */
static enum ce_err
crlf(struct ce_buf *b, const char *s)
{
	enum ce_err	 er = CE_OK;

	for (; *s != '\0' && er == CE_OK; s++)
		er = *s == '\n' ? ce_buf_puts(b, "\r\n") : *s == '\r' ? CE_OK :
		    ce_buf_append(b, s, 1);
	return er;
}

/* The message of alert "d": RFC 5322 headers, a UTF-8 plain text body. */
static enum ce_err
mail_compose(const struct ce_config *cfg, const struct cx_alert_due *d,
    struct ce_buf *b)
{
	const char	*dom = strrchr(cfg->alert_email_from, '@');
	char		 stamp[24];
	size_t		 i, k = 0;
	enum ce_err	 er;

	for (i = 0; d->created_br[i] != '\0' && k + 1 < sizeof(stamp); i++)
		if (isdigit((unsigned char)d->created_br[i]))
			stamp[k++] = d->created_br[i];
	stamp[k] = '\0';
	if ((er = ce_buf_printf(b, "From: c2s-enrich <%s>\r\nTo: %s\r\n",
	    cfg->alert_email_from, cfg->alert_email_to)) != CE_OK ||
	    (er = subject(b, d->title)) != CE_OK ||
	    (er = ce_buf_printf(b, "Date: %s\r\nMessage-ID: "
	    "<c2s-enrich.alert.%lld.%s@%s>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\nX-C2S-Enrich-Alert: %s\r\n"
	    "\r\n", d->date, d->id, stamp, dom != NULL && dom[1] != '\0' ?
	    dom + 1 : "c2s-enrich.invalid", d->kind)) != CE_OK ||
	    (er = crlf(b, d->text)) != CE_OK)
		return er;
	if (d->link[0] != '\0' && (er = ce_buf_printf(b, "\r\n\r\nAbrir na "
	    "C2S: %s", d->link)) != CE_OK)
		return er;
	return ce_buf_printf(b, "\r\n\r\n-- \r\nc2s-enrich, %s (horário de "
	    "São Paulo)\r\n", d->created_br);
}

/* Send alert "d" by e-mail.  Returns 1 sent, 0 failed. */
static int
send_email(struct cx_app *app, const struct cx_alert_due *d)
{
	const struct ce_config	*cfg = &app->cfg;
	struct ce_buf		 b;
	char			 err[300] = "";
	int			 ok = 0;

	ce_buf_init(&b, MAIL_CAP);
	if (mail_compose(cfg, d, &b) != CE_OK)
		snprintf(err, sizeof(err), "message too long");
	else if (cx_mail_send(cfg->alert_smtp_url, cfg->alert_email_from,
	    cfg->alert_email_to, b.data, b.len, SEND_MS, err,
	    sizeof(err)) == CE_OK)
		ok = 1;
	ce_buf_free(&b);
	if (ok)
		cx_logf(&app->log, CE_LOG_INFO, "alert %lld: e-mailed", d->id);
	else
		cx_logf(&app->log, CE_LOG_WARN, "alert %lld: the e-mail "
		    "failed: %s; kept, tried again later", d->id, err);
	if (cx_store_alert_result(app->db, d->id, "email", ok, err,
	    cfg->alert_retry_ms) != CE_OK)
		cx_logf(&app->log, CE_LOG_WARN, "alert %lld: e-mail result "
		    "not stored", d->id);
	return ok;
}

/*
 * Send what is due on each channel configured.  A channel that fails is
 * not tried again in this turn: a server that hangs costs one time-out
 * a turn, not one an alert.
 */
static void
send_due(struct cx_app *app)
{
	struct cx_alert_due	 due[DUE_MAX];
	size_t			 n, i;
	int			 wh = app->cfg.alert_webhook_url[0] != '\0';
	int			 em = app->cfg.alert_smtp_url[0] != '\0';

	if (cx_store_alert_due(app->db, wh, em, due, DUE_MAX, &n) != CE_OK)
		return;
	for (i = 0; i < n; i++) {
		if (wh && due[i].webhook)
			wh = send_webhook(app, &due[i]);
		if (em && due[i].email)
			em = send_email(app, &due[i]);
		cx_alert_due_free(&due[i]);
	}
}

void
cx_alert_turn(struct cx_app *app)
{
	struct cx_mregion	*r;
	long long		 now = cx_now_us(), wall = cx_wall_ms();
	int			 i;

	if (!st.init) {
		/* What failed or became high-value shortly before this
		 * worker started is still told (the marks stop repeats);
		 * the Work API's refusals count from now. */
		st.failed_since_ms = st.hv_since_ms = wall -
		    app->cfg.alert_min_interval_ms;
		if ((r = cx_metrics_region(&app->mtab)) != NULL)
			for (i = 0; i < 2; i++)
				st.refused_seen[i] =
				    cx_metrics_get(&r->work_refused[i]);
		st.init = 1;
	}
	st.raised = 0;
	breakers(app, wall);
	work_refused(app);
	pool_short(app);
	if (now >= st.next_check_us) {
		st.next_check_us = now + app->cfg.alert_check_ms * 1000;
		lead_failed(app);
		high_value(app);
		low_rate(app);
		webhooks_silent(app);
		prune(app);
		st.raised = 1;		/* and what is due again */
	}
	if (st.raised && (app->cfg.alert_webhook_url[0] != '\0' ||
	    app->cfg.alert_smtp_url[0] != '\0'))
		send_due(app);
}
