/*
 * pipeline.c -- the lead pipeline of DESIGN.md section 5, one
 * implementation for every way a lead arrives: record the lead, read it
 * from C2S, validate its contacts, find CPFs tier by tier (phone and e-mail
 * in parallel), check the name, reuse or fetch dossiers (in parallel),
 * store everything in one transaction, post the note once, and leave the
 * lead with an outcome, its last error and its attempt count.  Every step
 * logs one line with the lead id, the step, its outcome and duration;
 * CPFs, phones and e-mails only masked.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/brid.h"
#include "core/buf.h"
#include "core/call.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/highvalue.h"
#include "core/lead.h"
#include "core/log.h"
#include "core/name.h"
#include "core/note.h"
#include "core/util.h"
#include "shared/metrics.h"
#include "shared/scoreboard.h"
#include "app/app.h"
#include "app/memo.h"
#include "app/pipeline.h"
#include "app/store.h"
#include "app/upstream.h"

#define NOTE_BUF_CAP	(256u * 1024)
#define CONTACT_TTL_MS	(24LL * 3600 * 1000)
/* A repeat person's stored dossier is reused whatever its age. */
#define REPEAT_MAX_AGE_MS (100LL * 366 * 24 * 3600 * 1000)

/* One line per step: lead, step, outcome, duration, and a masked detail. */
static void
step_log(struct cx_app *app, const struct cx_run *run, enum ce_loglevel lv,
    const char *step, const char *outcome, long long since_us,
    const char *fmt, ...) CE_PRINTF(7, 8);

static void
step_log(struct cx_app *app, const struct cx_run *run, enum ce_loglevel lv,
    const char *step, const char *outcome, long long since_us,
    const char *fmt, ...)
{
	char	 fields[256], msg[512];
	va_list	 ap;

	if (lv < app->log.min)
		return;
	snprintf(fields, sizeof(fields), "\"lead\":\"%s\",\"step\":\"%s\","
	    "\"outcome\":\"%s\",\"dur_ms\":%lld", run->lead_id, step, outcome,
	    (cx_now_us() - since_us) / 1000);
	msg[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	cx_log_write(&app->log, lv, fields,
	    msg[0] != '\0' ? msg : NULL);
}

/* The error text stored and logged for an upstream failure. */
static void
set_error(struct cx_run *run, enum ce_err er, const char *fmt, ...)
    CE_PRINTF(3, 4);

static void
set_error(struct cx_run *run, enum ce_err er, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(run->error, sizeof(run->error), fmt, ap);
	va_end(ap);
	run->err = er;
}

static int
retryable(const struct cx_run *run, const char *note_state)
{
	return run->outcome == CX_OUT_NONE ||
	    run->outcome == CX_OUT_PARTIAL ||
	    run->outcome == CX_OUT_UNENRICHED ||
	    (note_state != NULL && strcmp(note_state, "pending") == 0);
}

/*
 * Write the lead's state.  "note_state" NULL keeps the stored one.
 * A retryable lead gets its next try RETRY_SCHEDULE[retries] RETRY_UNITs
 * from now; once the worker has made every retry of the schedule, an
 * outcome still short of data becomes "failed", which is never retried.
 */
static enum ce_err
lead_finish(struct cx_app *app, struct cx_run *run, const char *note_state)
{
	const struct ce_config *cfg = &app->cfg;
	struct cx_lead_state ls;

	if (retryable(run, NULL) && run->retries >= (int)cfg->nretry)
		run->outcome = CX_OUT_FAILED;
	ls.retry_ms = -1;
	if (run->outcome != CX_OUT_FAILED && retryable(run, note_state) &&
	    run->retries < (int)cfg->nretry)
		ls.retry_ms = cfg->retry_schedule[run->retries] *
		    cfg->retry_unit_ms;
	ls.lead_id = run->lead_id;
	ls.status = cx_outcome_name(run->outcome);
	ls.error = run->error;
	ls.name = run->lead.name[0] != '\0' ? run->lead.name : run->given_name;
	ls.phone = run->phone;
	ls.email = run->email;
	ls.note_state = note_state != NULL ? note_state : "";
	ls.contacts = run->contacts;
	ls.fetched = run->dossiers_fetched;
	ls.reused = run->dossiers_reused;
	/* Which tier found the (first) CPF, and how well its name fits. */
	ls.tier = run->npersons > 0 ? run->persons[0].tier : NULL;
	ls.score = ls.tier != NULL ? run->persons[0].score : -1;
	return cx_store_lead_finish(app->db, &ls);
}

/* Read the lead from C2S.  Returns CE_OK or the request's error. */
static enum ce_err
step_fetch(struct cx_app *app, struct cx_run *run)
{
	struct ce_call	 c;
	long long	 t0 = cx_now_us();

	cx_sb_step(&app->sb, CX_SB_STEP_C2S_FETCH, NULL);
	memset(&c, 0, sizeof(c));
	c.kind = CE_CALL_C2S_LEAD;
	c.arg = run->lead_id;
	cx_upstream_run(app, &c, 1, run->deadline_us);
	step_log(app, run, c.res == CE_UP_OK ? CE_LOG_INFO : CE_LOG_WARN,
	    "c2s_lead", ce_up_name(c.res), t0, "status %ld, %d attempts",
	    c.status, c.attempts);
	switch (c.res) {
	case CE_UP_OK:
		run->lead = c.lead;
		return CE_OK;
	case CE_UP_NOTFOUND:
		run->outcome = CX_OUT_FAILED;
		set_error(run, CE_ENOTFOUND, "c2s: lead not found");
		return CE_ENOTFOUND;
	case CE_UP_DEADLINE:
		set_error(run, CE_ETIMEOUT, "c2s: deadline passed");
		return CE_ETIMEOUT;
	default:
		set_error(run, CE_EUPSTREAM, "c2s: %s", ce_up_name(c.res));
		return CE_EUPSTREAM;
	}
}

/* Normalise the lead's contacts; invalid ones are dropped, not paid for. */
static void
step_contacts(struct cx_app *app, struct cx_run *run)
{
	const struct ce_lead *l = &run->lead;
	char		 mp[32], me[300];
	long long	 t0 = cx_now_us();

	cx_lead_contacts(l, run->phone, run->email, sizeof(run->email),
	    run->contacts, sizeof(run->contacts));
	ce_mask_phone(run->phone, mp, sizeof(mp));
	ce_mask_email(run->email, me, sizeof(me));
	step_log(app, run, CE_LOG_INFO, "contacts",
	    run->phone[0] == '\0' && run->email[0] == '\0' ? "invalid" : "ok",
	    t0, "phone %s%s, email %s%s",
	    run->phone[0] != '\0' ? mp : "none",
	    l->phone[0] != '\0' && run->phone[0] == '\0' ? " (invalid)" : "",
	    run->email[0] != '\0' ? me : "none",
	    l->email[0] != '\0' && run->email[0] == '\0' ? " (invalid)" : "");
}

/* A chain of lookups for one contact, tried tier after tier. */
struct chain {
	const char	*arg;		/* the phone or e-mail */
	enum ce_tier	 tiers[CE_TIER__MAX];
	size_t		 n, next;
	int		 found, down;
	enum ce_tier	 hit;
	char		 cpf[12];
	char		 name[256];
};

static void
chain_init(struct chain *ch, const struct ce_config *cfg, const char *arg,
    int phone)
{
	size_t	 i;

	memset(ch, 0, sizeof(*ch));
	ch->arg = arg;
	if (arg[0] == '\0')
		return;
	for (i = 0; i < cfg->ncpf_tiers; i++) {
		enum ce_tier t = cfg->cpf_tiers[i];

		if (t == CE_TIER_STORED)	/* both contacts */
			ch->tiers[ch->n++] = t;
		else if (phone && t == CE_TIER_WORK_PHONE &&
		    cfg->work_phone_lookup)
			ch->tiers[ch->n++] = t;
		else if (phone && t == CE_TIER_DX_PHONE)
			ch->tiers[ch->n++] = t;
		else if (!phone && t == CE_TIER_DX_EMAIL)
			ch->tiers[ch->n++] = t;
	}
}

/*
 * A CPF this process learnt for the chain's next tier and contact in the
 * last 24 h: found without a call.  Returns 1 on a hit.
 */
static int
cached_cpf(struct cx_app *app, const struct cx_run *run, struct chain *ch)
{
	enum ce_tier	 t = ch->tiers[ch->next];
	const char	*v, *tab;
	char		 key[320], mcpf[32];
	long long	 t0 = cx_now_us();

	if (run->flags & CX_RUN_FRESH)
		return 0;	/* a reprocess pays again */
	snprintf(key, sizeof(key), "%s:%s", ce_tier_name(t), ch->arg);
	if ((v = cx_memo_get(&app->memo, key)) == NULL ||
	    (tab = strchr(v, '\t')) == NULL || tab - v != 11)
		return 0;
	memcpy(ch->cpf, v, 11);
	ch->cpf[11] = '\0';
	ce_strlcpy(ch->name, tab + 1, sizeof(ch->name));
	ch->found = 1;
	ch->hit = t;
	ch->next++;
	ce_mask_cpf(ch->cpf, mcpf, sizeof(mcpf));
	step_log(app, run, CE_LOG_INFO, ce_tier_name(t), "cached", t0,
	    "cpf %s from this process's cache", mcpf);
	return 1;
}

/* Among the candidates, the one whose name best matches the lead's. */
static size_t
best_candidate(const struct ce_cands *cs, const char *lead_name)
{
	size_t	 i, best = 0;
	int	 s, bests = -1;

	for (i = 0; i < cs->n; i++) {
		s = lead_name[0] != '\0' ?
		    ce_name_score(lead_name, cs->c[i].name) : 0;
		if (s > bests) {
			bests = s;
			best = i;
		}
	}
	return best;
}

/*
 * Tier 0's choice among the persons a stored contact belongs to (a stored
 * phone may be a relative's, listed in a dossier): the best scored of
 * those whose name matches the lead's; the only one when the lead has no
 * name.  Returns its index, or -1 for none.
 */
static int
stored_pick(const struct ce_cands *cs, const char *lead_name)
{
	size_t	 i;
	int	 s, best = -1, bests = -1;

	if (lead_name[0] == '\0')
		return cs->n == 1 && cs->dropped == 0 ? 0 : -1;
	for (i = 0; i < cs->n; i++) {
		if (!ce_name_matches(lead_name, cs->c[i].name))
			continue;
		s = ce_name_score(lead_name, cs->c[i].name);
		if (s > bests) {
			bests = s;
			best = (int)i;
		}
	}
	return best;
}

/*
 * Tier 0, free, for every chain whose next tier is "stored": the service's
 * own contacts (one statement for the phone and the e-mail).  A chain
 * without a pick, or when the database cannot answer (logged), goes on to
 * its next tier: tier 0 never fails a lead.
 */
static void
discover_stored(struct cx_app *app, const struct cx_run *run,
    struct chain *chains[2])
{
	struct ce_cands	 cs[2];
	struct chain	*ch;
	char		 masked[300], mcpf[32];
	int		 want[2], k;
	size_t		 i;
	long long	 t0 = cx_now_us();
	enum ce_err	 er;

	for (i = 0; i < 2; i++) {
		ch = chains[i];
		want[i] = !ch->found && ch->next < ch->n &&
		    ch->tiers[ch->next] == CE_TIER_STORED;
		if (want[i] && (run->flags & CX_RUN_FRESH)) {
			ch->next++;	/* a reprocess pays again */
			want[i] = 0;
		}
	}
	if (!want[0] && !want[1])
		return;
	er = cx_store_stored_cpf(app->db, want[0] ? chains[0]->arg : "",
	    want[1] ? chains[1]->arg : "", &cs[0], &cs[1]);
	for (i = 0; i < 2; i++) {
		if (!want[i])
			continue;
		ch = chains[i];
		ch->next++;
		if (i == 0)
			ce_mask_phone(ch->arg, masked, sizeof(masked));
		else
			ce_mask_email(ch->arg, masked, sizeof(masked));
		if (er != CE_OK) {
			step_log(app, run, CE_LOG_WARN, "stored", "db_error",
			    t0, "%s: the next tiers go on (sqlstate %s)",
			    masked, cx_store_sqlstate(app->db));
			continue;
		}
		if ((k = stored_pick(&cs[i], run->lead.name)) < 0) {
			step_log(app, run, CE_LOG_INFO, "stored",
			    cs[i].n == 0 ? "not_found" : "no_match", t0,
			    "%s: %zu stored persons, none taken", masked,
			    cs[i].n + cs[i].dropped);
			continue;
		}
		ch->found = 1;
		ch->hit = CE_TIER_STORED;
		ce_strlcpy(ch->cpf, cs[i].c[k].cpf, sizeof(ch->cpf));
		ce_strlcpy(ch->name, cs[i].c[k].name, sizeof(ch->name));
		ce_mask_cpf(ch->cpf, mcpf, sizeof(mcpf));
		step_log(app, run, CE_LOG_INFO, "stored", "found", t0,
		    "%s: cpf %s, stored person %d of %zu", masked, mcpf,
		    k + 1, cs[i].n + cs[i].dropped);
	}
}

/*
 * Fill "calls" with the next tier of every unresolved chain that this
 * process's cache does not answer, and "which" with their chains.
 * Returns how many calls it set.
 */
static size_t
discover_plan(struct cx_app *app, const struct cx_run *run,
    struct chain *chains[2], struct ce_call calls[2], struct chain *which[2])
{
	size_t	 i, n = 0;

	memset(calls, 0, 2 * sizeof(calls[0]));
	for (i = 0; i < 2; i++) {
		struct chain *ch = chains[i];

		if (ch->found || ch->next >= ch->n)
			continue;
		if (cached_cpf(app, run, ch))
			continue;
		switch (ch->tiers[ch->next]) {
		case CE_TIER_WORK_PHONE:
			calls[n].kind = CE_CALL_WORK_PHONE;
			break;
		case CE_TIER_DX_PHONE:
			calls[n].kind = CE_CALL_DX_PHONE;
			break;
		default:
			calls[n].kind = CE_CALL_DX_EMAIL;
			break;
		}
		calls[n].arg = ch->arg;
		which[n++] = ch;
	}
	return n;
}

/*
 * Take one round's "n" results into their chains: the best candidate
 * (also kept in this process's cache), or the error.  "ph" tells the
 * phone chain from the e-mail one.  Returns CE_OK or CE_ETIMEOUT.
 */
static enum ce_err
discover_absorb(struct cx_app *app, struct cx_run *run,
    const struct chain *ph, struct chain *which[2], struct ce_call calls[2],
    size_t n, long long t0)
{
	char		 masked[300], mcpf[32], key[320], val[300];
	size_t		 i, k;

	for (i = 0; i < n; i++) {
		struct chain	*ch = which[i];
		struct ce_call	*c = &calls[i];
		enum ce_tier	 t = ch->tiers[ch->next++];

		if (ch == ph)
			ce_mask_phone(ch->arg, masked, sizeof(masked));
		else
			ce_mask_email(ch->arg, masked, sizeof(masked));
		if (c->res == CE_UP_DEADLINE) {
			step_log(app, run, CE_LOG_WARN, ce_tier_name(t),
			    "deadline", t0, "%s", masked);
			set_error(run, CE_ETIMEOUT, "%s: deadline passed",
			    ce_tier_name(t));
			return CE_ETIMEOUT;
		}
		if (c->res == CE_UP_OK && c->cands.n > 0) {
			k = best_candidate(&c->cands, run->lead.name);
			ch->found = 1;
			ch->hit = t;
			ce_strlcpy(ch->cpf, c->cands.c[k].cpf, sizeof(ch->cpf));
			ce_strlcpy(ch->name, c->cands.c[k].name,
			    sizeof(ch->name));
			snprintf(key, sizeof(key), "%s:%s", ce_tier_name(t),
			    ch->arg);
			snprintf(val, sizeof(val), "%s\t%s", ch->cpf, ch->name);
			cx_memo_put(&app->memo, key, val, CONTACT_TTL_MS);
			ce_mask_cpf(ch->cpf, mcpf, sizeof(mcpf));
			step_log(app, run, CE_LOG_INFO, ce_tier_name(t),
			    "found", t0, "%s: cpf %s, candidate %zu of "
			    "%zu (%zu dropped)", masked, mcpf, k + 1,
			    c->cands.n, c->cands.dropped);
			continue;
		}
		if (c->res != CE_UP_OK && c->res != CE_UP_NOTFOUND) {
			ch->down = 1;
			set_error(run, CE_EUPSTREAM, "%s: %s",
			    ce_tier_name(t), ce_up_name(c->res));
		}
		step_log(app, run, c->res == CE_UP_OK ||
		    c->res == CE_UP_NOTFOUND ? CE_LOG_INFO : CE_LOG_WARN,
		    ce_tier_name(t), c->res == CE_UP_OK ? "not_found" :
		    ce_up_name(c->res), t0, "%s (status %ld, %zu "
		    "dropped)", masked, c->status, c->cands.dropped);
	}
	return CE_OK;
}

/*
 * Find the CPFs behind the phone and the e-mail: each round runs the next
 * tier of every unresolved chain, in parallel.  Returns CE_OK or
 * CE_ETIMEOUT.
 */
static enum ce_err
step_discover(struct cx_app *app, struct cx_run *run, struct chain *ph,
    struct chain *em)
{
	struct chain	*chains[2] = { ph, em }, *which[2];
	struct ce_call	 calls[2];
	size_t		 i, n;
	long long	 t0;

	cx_sb_step(&app->sb, CX_SB_STEP_CPF_LOOKUP, NULL);
	for (;;) {
		discover_stored(app, run, chains);
		n = discover_plan(app, run, chains, calls, which);
		if (n == 0)	/* every chain found (maybe cached) or done */
			return CE_OK;
		t0 = cx_now_us();
		cx_upstream_run(app, calls, n, run->deadline_us);
		for (i = 0; i < n; i++)	/* a phone module's raw body */
			ce_dossier_free(&calls[i].dossier);
		if (discover_absorb(app, run, ph, which, calls, n, t0) ==
		    CE_ETIMEOUT)
			return CE_ETIMEOUT;
	}
}

/* Turn the chains into the lead's persons: same, different, or one. */
static void
persons_from(struct cx_run *run, const struct chain *ph,
    const struct chain *em)
{
	struct cx_person	*p = run->persons;
	size_t			 i;
	int			 match = 0;

	run->npersons = 0;
	if (ph->found) {
		ce_strlcpy(p[0].cpf, ph->cpf, sizeof(p[0].cpf));
		ce_strlcpy(p[0].name, ph->name, sizeof(p[0].name));
		ce_strlcpy(p[0].contact, ph->arg, sizeof(p[0].contact));
		p[0].src = CE_SRC_PHONE;
		p[0].tier = ce_tier_name(ph->hit);
		run->npersons = 1;
	}
	if (em->found) {
		if (ph->found && strcmp(ph->cpf, em->cpf) == 0) {
			p[0].src = CE_SRC_BOTH;
			if (p[0].name[0] == '\0')
				ce_strlcpy(p[0].name, em->name,
				    sizeof(p[0].name));
		} else {
			i = run->npersons++;
			ce_strlcpy(p[i].cpf, em->cpf, sizeof(p[i].cpf));
			ce_strlcpy(p[i].name, em->name, sizeof(p[i].name));
			ce_strlcpy(p[i].contact, em->arg, sizeof(p[i].contact));
			p[i].src = CE_SRC_EMAIL;
			p[i].tier = ce_tier_name(em->hit);
		}
	}
	/* Each person's name score, kept with the tier that found it. */
	for (i = 0; i < run->npersons; i++)
		p[i].score = run->lead.name[0] != '\0' && p[i].name[0] != '\0' ?
		    ce_name_score(run->lead.name, p[i].name) : -1;
	/* A mismatch: the lead has a name and no person's name fits it. */
	run->name_mismatch = 0;
	if (run->npersons > 0 && run->lead.name[0] != '\0') {
		for (i = 0; i < run->npersons; i++)
			if (p[i].name[0] == '\0' ||
			    ce_name_matches(run->lead.name, p[i].name))
				match = 1;
		run->name_mismatch = !match;
	}
}

/* "DD/MM/YYYY" into "YYYY-MM-DD" if it is a real date, else "". */
static void
iso_date(const char *in, char *out, size_t sz)
{
	static const int mdays[12] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	long long y;
	int	 d, m, i;

	out[0] = '\0';
	for (i = 0; i < 10; i++)
		if ((i == 2 || i == 5) ? in[i] != '/' :
		    (in[i] < '0' || in[i] > '9'))
			return;
	if (in[10] != '\0')
		return;
	d = (in[0] - '0') * 10 + (in[1] - '0');
	m = (in[3] - '0') * 10 + (in[4] - '0');
	if (ce_strtonum(in + 6, 1900, 9999, &y) == -1)
		return;
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return;
	if (m == 2 && d == 29 &&
	    !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return;
	if (sz < 11)
		return;
	memcpy(out, in + 6, 4);
	out[4] = '-';
	memcpy(out + 5, in + 3, 2);
	out[7] = '-';
	memcpy(out + 8, in, 2);
	out[10] = '\0';
}

/*
 * Keep a dossier "left_ms" more milliseconds old at most in the process's
 * cache (never past its TTL): a cached copy must not outlive
 * DOSSIER_MAX_AGE, which the stored one obeys.
 */
static void
cache_dossier(struct cx_memo *memo, const char *key, const char *dossier,
    long long left_ms)
{
	if (left_ms > CX_DOSSIER_TTL_MS)
		left_ms = CX_DOSSIER_TTL_MS;
	if (left_ms > 0)
		cx_memo_put(memo, key, dossier, left_ms);
}

/*
 * Reuse a dossier for "ps" from this process's cache, else a stored one
 * younger than DOSSIER_MAX_AGE (of any age for a repeat person, whose
 * note is a pointer: run->same_lead); "t0" is the step's start, for the
 * logs.  Sets "reused" to 1 when it did, and when the Work API had no
 * dossier for it less than DOSSIER_MISS_MAX_AGE ago (sql/0022; the person
 * then has none, not paid for again).  Returns CE_OK, CE_EDB or
 * CE_ESYSTEM.
 */
static enum ce_err
dossier_reuse(struct cx_app *app, struct cx_run *run, struct cx_person *ps,
    long long t0, int *reused)
{
	const char	*v;
	char		*json, mcpf[32], key[32];
	long long	 aged, miss;
	enum ce_err	 er;

	*reused = 0;
	if (run->flags & CX_RUN_FRESH)
		return CE_OK;	/* a reprocess pays again */
	ce_mask_cpf(ps->cpf, mcpf, sizeof(mcpf));
	snprintf(key, sizeof(key), "work_cpf:%s", ps->cpf);
	if ((v = cx_memo_get(&app->memo, key)) != NULL) {
		if ((ps->dossier = strdup(v)) == NULL) {
			set_error(run, CE_ESYSTEM, "out of memory");
			return CE_ESYSTEM;
		}
		ps->dres = CE_UP_OK;
		run->dossiers_reused++;
		step_log(app, run, CE_LOG_INFO, "dossier", "cached", t0,
		    "cpf %s: from this process's cache", mcpf);
		*reused = 1;
		return CE_OK;
	}
	er = cx_store_dossier_fresh(app->db, ps->cpf,
	    run->same_lead[0] != '\0' ? REPEAT_MAX_AGE_MS :
	    app->cfg.dossier_max_age_ms, app->cfg.dossier_miss_max_age_ms,
	    &json, &aged, &miss);
	if (er == CE_EDB) {
		set_error(run, CE_EDB, "database: dossier lookup");
		return CE_EDB;
	}
	if (er == CE_ESYSTEM) {
		ps->dossier = NULL;
		set_error(run, CE_ESYSTEM, "out of memory");
		return CE_ESYSTEM;
	}
	if (json != NULL) {
		ps->dossier = json;
		ps->dres = CE_UP_OK;
		run->dossiers_reused++;
		cache_dossier(&app->memo, key, ps->dossier,
		    app->cfg.dossier_max_age_ms - aged);
		step_log(app, run, CE_LOG_INFO, "dossier", "reused", t0,
		    "cpf %s: stored dossier is %s", mcpf,
		    aged < app->cfg.dossier_max_age_ms ? "fresh" :
		    "stale, kept for a repeat person");
		*reused = 1;
	} else if (miss >= 0) {
		/* Asked lately and none: not paid for again. */
		ps->dres = CE_UP_NOTFOUND;
		step_log(app, run, CE_LOG_INFO, "dossier", "none", t0,
		    "cpf %s: the Work API had no dossier %lld min ago "
		    "(DOSSIER_MISS_MAX_AGE), not asked again", mcpf,
		    miss / 60000);
		*reused = 1;
	}
	return CE_OK;
}

/*
 * Fetch the "n" dossiers of "calls" from the Work API in parallel and
 * take each result into its person in "which".  What did arrive is kept
 * whatever the others gave.  Returns CE_OK.
 */
static enum ce_err
dossier_fetch(struct cx_app *app, struct cx_run *run, struct ce_call calls[2],
    struct cx_person *which[2], size_t n)
{
	char		 mcpf[32], key[32];
	size_t		 i;
	long long	 t0;

	t0 = cx_now_us();
	cx_upstream_run(app, calls, n, run->deadline_us);
	for (i = 0; i < n; i++) {
		struct cx_person *ps = which[i];
		struct ce_call	 *c = &calls[i];

		ce_mask_cpf(ps->cpf, mcpf, sizeof(mcpf));
		ps->dres = c->res;
		step_log(app, run, c->res == CE_UP_OK ||
		    c->res == CE_UP_NOTFOUND ? CE_LOG_INFO : CE_LOG_WARN,
		    "work_cpf", ce_up_name(c->res), t0, "cpf %s (status %ld, "
		    "%d attempts)", mcpf, c->status, c->attempts);
		if (c->res == CE_UP_OK) {
			ps->dossier = c->dossier.raw;
			ps->dossier_new = 1;
			c->dossier.raw = NULL;
			snprintf(key, sizeof(key), "work_cpf:%s", ps->cpf);
			cache_dossier(&app->memo, key, ps->dossier,
			    app->cfg.dossier_max_age_ms);
			run->dossiers_fetched++;
			if (c->dossier.name[0] != '\0')
				ce_strlcpy(ps->dname, c->dossier.name,
				    sizeof(ps->dname));
			iso_date(c->dossier.birth, ps->birth,
			    sizeof(ps->birth));
		} else if (c->res == CE_UP_NOTFOUND) {
			ps->dossier_none = 1;	/* remembered by the store */
		} else if (c->res == CE_UP_DEADLINE) {
			/* Like a provider down: what did arrive is kept. */
			set_error(run, CE_ETIMEOUT, "work_cpf: deadline passed");
		} else if (c->res != CE_UP_NOTFOUND)
			set_error(run, CE_EUPSTREAM, "work_cpf: %s",
			    ce_up_name(c->res));
		ce_dossier_free(&c->dossier);
	}
	return CE_OK;
}

/*
 * A dossier per person: a stored one younger than DOSSIER_MAX_AGE, else
 * the Work API, all persons in parallel.  A repeat person is never paid
 * for again: its stored dossier whatever its age, or none (basic).
 * Returns CE_OK, CE_EDB or CE_ETIMEOUT.
 */
static enum ce_err
step_dossiers(struct cx_app *app, struct cx_run *run)
{
	struct ce_call	 calls[2];
	struct cx_person *which[2];
	size_t		 i, n = 0;
	long long	 t0 = cx_now_us();
	enum ce_err	 er;
	int		 reused;

	cx_sb_step(&app->sb, CX_SB_STEP_WORK_API, NULL);
	memset(calls, 0, sizeof(calls));
	for (i = 0; i < run->npersons; i++) {
		struct cx_person *ps = &run->persons[i];

		if ((er = dossier_reuse(app, run, ps, t0, &reused)) != CE_OK)
			return er;
		if (reused)
			continue;
		if (run->same_lead[0] != '\0') {
			ps->dres = CE_UP_NOTFOUND;
			step_log(app, run, CE_LOG_INFO, "dossier", "none", t0,
			    "repeat person: no stored dossier, none paid for");
			continue;
		}
		calls[n].kind = CE_CALL_WORK_CPF;
		calls[n].arg = ps->cpf;
		which[n++] = ps;
	}
	if (n == 0)
		return CE_OK;
	return dossier_fetch(app, run, calls, which, n);
}

/* The outcome, from what discovery and the dossiers gave. */
static void
classify(struct cx_run *run, const struct chain *ph, const struct chain *em)
{
	size_t	 i;
	int	 ok = 0, down = 0;

	if (run->npersons == 0) {
		run->outcome = CX_OUT_UNENRICHED;
		if (ph->down || em->down)
			run->err = CE_EUPSTREAM;	/* error text set */
		else
			set_error(run, CE_ENOTFOUND, "no CPF found");
		return;
	}
	for (i = 0; i < run->npersons; i++) {
		if (run->persons[i].dres == CE_UP_OK)
			ok = 1;
		else if (run->persons[i].dres != CE_UP_NOTFOUND)
			down = 1;
	}
	if (down) {
		run->outcome = CX_OUT_PARTIAL;
		if (run->err != CE_ETIMEOUT)
			run->err = CE_EUPSTREAM;
	} else {
		run->outcome = ok ? CX_OUT_COMPLETED : CX_OUT_BASIC;
		run->err = CE_OK;
		run->error[0] = '\0';
	}
}

/*
 * The high-value judgement (DESIGN.md 11.4): the reasons the persons'
 * dossiers give, for the note's ⭐ line and c2s.leads.high_value.  A run
 * without any dossier judges nothing (run->hv_judged 0): the lead keeps
 * what an earlier run found.
 */
static void
step_high_value(struct cx_app *app, struct cx_run *run)
{
	struct ce_hv_conf c;
	const char	*ds[2] = { NULL, NULL };
	long long	 t0 = cx_now_us();
	size_t		 i, n;

	run->high_value[0] = '\0';
	run->hv_judged = 0;
	for (i = 0; i < run->npersons && i < 2; i++)
		if ((ds[i] = run->persons[i].dossier) != NULL)
			run->hv_judged = 1;
	if (!run->hv_judged)
		return;
	c.mult = app->cfg.income_multiplier;
	c.income = app->cfg.high_value_income;
	c.band = app->cfg.high_value_power;
	n = ce_hv_judge(ds, run->npersons, &c, run->high_value,
	    sizeof(run->high_value));
	if (n > 0)
		step_log(app, run, CE_LOG_INFO, "high_value", "yes", t0,
		    "%zu reasons", n);
}

static enum ce_err
note_text(struct cx_app *app, struct cx_run *run, struct ce_buf *b)
{
	struct ce_note_in	 in;
	size_t			 i;

	memset(&in, 0, sizeof(in));
	switch (run->outcome) {
	case CX_OUT_COMPLETED:
		in.kind = CE_NOTE_COMPLETED;
		break;
	case CX_OUT_PARTIAL:
		in.kind = CE_NOTE_PARTIAL;
		break;
	case CX_OUT_BASIC:
		in.kind = CE_NOTE_BASIC;
		break;
	case CX_OUT_INVALID:
		in.kind = CE_NOTE_INVALID;
		break;
	default:
		in.kind = CE_NOTE_UNENRICHED;
		break;
	}
	in.lead_name = run->lead.name;
	if (run->same_lead[0] != '\0') {
		in.same_lead = run->same_lead;
		in.same_date = run->same_date;
	}
	in.product_desc = run->lead.product_desc;
	in.product_ref = run->lead.product_ref;
	in.high_value = run->high_value;
	in.name_mismatch = run->name_mismatch;
	in.lookup_down = run->outcome == CX_OUT_UNENRICHED &&
	    run->err != CE_ENOTFOUND;
	in.npersons = run->npersons;
	for (i = 0; i < run->npersons; i++) {
		const struct cx_person *ps = &run->persons[i];

		in.persons[i].source = ps->src;
		in.persons[i].contact = ps->contact;
		in.persons[i].cpf = ps->cpf;
		in.persons[i].name = ps->name[0] != '\0' ? ps->name : ps->dname;
		in.persons[i].dossier = ps->dossier;
	}
	return ce_note_format(&in, app->cfg.income_multiplier,
	    (size_t)app->cfg.c2s_description_max, b);
}

/*
 * PERSON_STORE's parameters for "ps" and "dossier" (NULL: none new), of
 * the lead of "run", or of no lead when "run" is NULL (a form's person).
 */
static void
person_row(const struct cx_run *run, const struct cx_person *ps,
    const char *dossier, struct cx_person_row *row)
{
	static const char *const found_by[] = {
		[CE_SRC_PHONE] = "phone", [CE_SRC_EMAIL] = "email",
		[CE_SRC_BOTH] = "both", [CE_SRC_FORM] = "form",
	};

	row->cpf = ps->cpf;
	row->name = ps->dname[0] != '\0' ? ps->dname : ps->name;
	ce_name_fold(row->name, row->folded, sizeof(row->folded));
	row->birth = ps->birth;
	row->dossier = dossier;
	row->tier = run != NULL ? ps->tier : NULL;
	row->score = row->tier != NULL ? ps->score : -1;
	row->dossier_missing = ps->dossier_none;
	if (run == NULL) {
		row->lead_id = NULL;
		row->found_by = "form";
		row->phone = "";
		row->email = "";
		return;
	}
	row->lead_id = run->lead_id;
	row->found_by = found_by[ps->src];
	row->phone = ps->src != CE_SRC_EMAIL ? run->phone : "";
	row->email = ps->src != CE_SRC_PHONE ? run->email : "";
}

/*
 * Store the persons, their dossiers, contacts and addresses, the lead's
 * outcome and the claim on its note, in one transaction.  "*claimed" says
 * whether this note is ours to post (never posted before).
 */
static enum ce_err
step_store(struct cx_app *app, struct cx_run *run, const struct ce_buf *note,
    char *sha, size_t shasz, int *claimed)
{
	struct cx_person_row row;
	enum cx_note_claim nc;
	size_t		 i;
	long long	 t0 = cx_now_us(), rows;
	int		 posted = 0, rev;
	enum ce_err	 er;

	*claimed = 0;
	cx_sb_step(&app->sb, CX_SB_STEP_STORE, NULL);
	if ((er = cx_store_begin(app->db)) != CE_OK)
		goto fail;
	/* In CPF order, so that two leads sharing persons cannot deadlock. */
	rev = run->npersons == 2 &&
	    strcmp(run->persons[0].cpf, run->persons[1].cpf) > 0;
	for (i = 0; i < run->npersons; i++) {
		const struct cx_person *ps = &run->persons[rev ? 1 - i : i];

		person_row(run, ps, ps->dossier_new ? ps->dossier : NULL, &row);
		if ((er = cx_store_person(app->db, &row, &rows)) != CE_OK)
			goto fail;
		run->stored += rows;
	}
	if (note->len > 0) {
		if ((er = cx_store_note_claim(app->db, run->lead_id, note->data,
		    sha, shasz, &nc)) != CE_OK)
			goto fail;
		if (nc == CX_NC_CLAIMED)
			*claimed = 1;
		else if (nc == CX_NC_POSTED)
			posted = 1;
	}
	/* Being posted by another responder: ours stays pending. */
	if (note->len > 0 && !*claimed)
		run->note = posted ? CX_NOTE_ALREADY : CX_NOTE_FAILED;
	if ((er = lead_finish(app, run, note->len == 0 ? "skipped" :
	    posted ? "posted" : "pending")) != CE_OK)
		goto fail;
	if ((er = cx_store_lead_note_info(app->db, run->lead_id,
	    note->len == 0 ? run->note_reason : "", run->same_lead)) != CE_OK)
		goto fail;
	if (run->hv_judged && (er = cx_store_lead_high_value(app->db,
	    run->lead_id, run->high_value)) != CE_OK)
		goto fail;
	if ((er = cx_store_commit(app->db)) != CE_OK)
		goto fail;
	step_log(app, run, CE_LOG_INFO, "store", "ok", t0, "%zu persons, "
	    "%lld rows written", run->npersons, run->stored);
	return CE_OK;
fail:
	cx_store_rollback(app->db);
	*claimed = 0;
	run->stored = 0;
	step_log(app, run, CE_LOG_ERROR, "store", "db_error", t0,
	    "transaction rolled back (sqlstate %s)",
	    cx_store_sqlstate(app->db));
	return CE_EDB;
}

/*
 * Post the claimed note; on a refusal release the claim for a retry (a post
 * that may have landed keeps it).
 */
static void
step_post(struct cx_app *app, struct cx_run *run, const struct ce_buf *note,
    const char *sha)
{
	struct ce_call	 c;
	long long	 t0 = cx_now_us();

	cx_sb_step(&app->sb, CX_SB_STEP_NOTE, NULL);
	memset(&c, 0, sizeof(c));
	c.kind = CE_CALL_C2S_MESSAGE;
	c.arg = run->lead_id;
	c.arg2 = note->data;
	cx_upstream_run(app, &c, 1, run->deadline_us);
	step_log(app, run, c.res == CE_UP_OK ? CE_LOG_INFO : CE_LOG_WARN,
	    "note", c.res == CE_UP_OK ? "posted" : ce_up_name(c.res), t0,
	    "%zu bytes, status %ld, %d attempts", note->len, c.status,
	    c.attempts);
	if (c.res == CE_UP_OK) {
		run->note = CX_NOTE_POSTED;
		(void)cx_store_note_done(app->db, run->lead_id, sha);
		if (lead_finish(app, run, "posted") != CE_OK)
			cx_logf(&app->log, CE_LOG_ERROR,
			    "lead %s: note posted but "
			    "not recorded as posted", run->lead_id);
		return;
	}
	run->note = CX_NOTE_FAILED;
	if (c.res == CE_UP_DEADLINE)
		set_error(run, CE_ETIMEOUT, "c2s message: deadline passed");
	else
		set_error(run, CE_EUPSTREAM, "c2s message: %s",
		    ce_up_name(c.res));
	/*
	 * Only a post C2S surely refused gives its claim back.  One that may
	 * have landed (no answer, a 5xx) keeps it, as if its responder had
	 * died posting: no retry posts the same text until the claim is
	 * taken over (NOTE_CLAIM, after 10 minutes).
	 */
	if (cx_call_refused(&c)) {
		(void)cx_store_note_release(app->db, run->lead_id, sha);
	} else
		step_log(app, run, CE_LOG_WARN, "note", "unknown", t0,
		    "C2S may have posted it (status %ld): not posted again "
		    "before its claim is taken over", c.status);
	if (lead_finish(app, run, "pending") != CE_OK)
		cx_logf(&app->log, CE_LOG_ERROR,
		    "lead %s: note not posted and its "
		    "state not recorded", run->lead_id);
}

void
cx_run_free(struct cx_run *run)
{
	size_t	 i;

	for (i = 0; i < 2; i++) {
		free(run->persons[i].dossier);
		run->persons[i].dossier = NULL;
	}
}

/*
 * A lead named "Unknown", "Teste", "-", digits or an e-mail is enriched as
 * one without a name (no name check, no candidate chosen by it) and gets
 * no note: the reason is recorded (DESIGN.md 11.3).  The name given is
 * kept for the lead's row.
 */
static void
name_placeholder(struct cx_app *app, struct cx_run *run)
{
	const char	*why;
	long long	 t0 = cx_now_us();

	if ((why = ce_name_placeholder(run->lead.name)) == NULL)
		return;
	ce_strlcpy(run->given_name, run->lead.name, sizeof(run->given_name));
	run->lead.name[0] = '\0';
	snprintf(run->note_reason, sizeof(run->note_reason),
	    "placeholder_name: %s", why);
	step_log(app, run, CE_LOG_INFO, "name", "placeholder", t0,
	    "%s: no name check, no note", why);
}

/*
 * A repeat person (DESIGN.md 11.3): the lead's one person was enriched
 * for an earlier lead whose note sales read in full; this lead's note
 * points to it (run->same_lead, run->same_date) and no dossier is paid
 * for again.  A lead of two persons keeps a full note: its note says the
 * phone and the e-mail are different people, which no pointer tells.  A
 * redo of the same lead is no repeat.  Returns CE_OK or CE_EDB.
 */
static enum ce_err
step_repeat(struct cx_app *app, struct cx_run *run)
{
	long long	 t0 = cx_now_us();
	int		 found;

	if (run->npersons != 1 || run->lead_id[0] == '\0' ||
	    (run->flags & CX_RUN_FRESH))	/* a reprocess: a full note */
		return CE_OK;
	if (cx_store_repeat_of(app->db, run->persons[0].cpf, run->lead_id,
	    run->same_lead, run->same_date, &found) != CE_OK) {
		set_error(run, CE_EDB, "database: repeat lookup");
		step_log(app, run, CE_LOG_ERROR, "repeat", "db_error", t0,
		    NULL);
		return CE_EDB;
	}
	if (found)
		step_log(app, run, CE_LOG_INFO, "repeat", "found", t0,
		    "same person as lead %s (%s): pointer note",
		    run->same_lead, run->same_date);
	return CE_OK;
}

/*
 * Steps 3 to 5 and the outcome, on the contacts in run->lead: a CPF given
 * with the lead ("cpf", or NULL) is taken as it is, else the contacts are
 * validated and the CPFs found by tiers.  Returns CE_OK (see
 * run->outcome), CE_EDB or CE_ETIMEOUT.
 */
static enum ce_err
enrich(struct cx_app *app, struct cx_run *run, const char *cpf)
{
	struct chain	 ph, em;
	struct cx_person *ps = &run->persons[0];
	enum ce_err	 er;

	step_contacts(app, run);
	if (cpf != NULL && ce_cpf_valid(cpf)) {
		chain_init(&ph, &app->cfg, "", 1);
		chain_init(&em, &app->cfg, "", 0);
		ce_strlcpy(ps->cpf, cpf, sizeof(ps->cpf));
		ce_strlcpy(ps->name, run->lead.name, sizeof(ps->name));
		ps->src = CE_SRC_FORM;
		run->npersons = 1;
	} else if (run->phone[0] == '\0' && run->email[0] == '\0') {
		run->outcome = CX_OUT_INVALID;
		set_error(run, CE_EUNPROC, "no valid phone or e-mail");
		return CE_OK;
	} else {
		chain_init(&ph, &app->cfg, run->phone, 1);
		chain_init(&em, &app->cfg, run->email, 0);
		if ((er = step_discover(app, run, &ph, &em)) != CE_OK)
			return er;
		/* 4. The name check. */
		persons_from(run, &ph, &em);
		if ((er = step_repeat(app, run)) != CE_OK)
			return er;
	}
	/* 5. Dossiers. */
	if ((er = step_dossiers(app, run)) != CE_OK)
		return er;
	classify(run, &ph, &em);
	step_high_value(app, run);
	return CE_OK;
}

/* The note of the outcome into "note"; empty when there is none. */
static void
note_make(struct cx_app *app, struct cx_run *run, struct ce_buf *note)
{
	if (run->note_reason[0] != '\0') {	/* a placeholder name */
		ce_buf_reset(note);
		run->note = CX_NOTE_SKIPPED;
		step_log(app, run, CE_LOG_INFO, "note", "skipped", cx_now_us(),
		    "%s", run->note_reason);
		return;
	}
	switch (note_text(app, run, note)) {
	case CE_OK:
		break;
	case CE_EINPUT:		/* no usable name: no note */
		ce_buf_reset(note);
		run->note = CX_NOTE_SKIPPED;
		ce_strlcpy(run->note_reason, "no_name",
		    sizeof(run->note_reason));
		break;
	default:
		ce_buf_reset(note);
		set_error(run, CE_ESYSTEM, "note: cannot format");
		break;
	}
}

/* Step 1: record the lead before anything is paid for. */
static enum ce_err
step_record(struct cx_app *app, struct cx_run *run, const char *source)
{
	long long	 t0 = cx_now_us();
	int		 attempts = 1;

	cx_sb_step(&app->sb, CX_SB_STEP_RECORD, run->lead_id);
	/*
	 * A run whose process dies is due again after twice JOB_TIMEOUT:
	 * a worker's job is taken again after one, and its new run moves
	 * this mark, so the two never both fire.
	 */
	if (cx_store_lead_start(app->db, run->lead_id, source,
	    (run->flags & CX_RUN_RETRY) != 0, 2 * app->cfg.job_timeout_ms,
	    &attempts, &run->retries) != CE_OK) {
		set_error(run, CE_EDB, "database: cannot record the lead");
		step_log(app, run, CE_LOG_ERROR, "record", "db_error", t0,
		    NULL);
		return CE_EDB;
	}
	run->attempts = attempts;
	step_log(app, run, CE_LOG_INFO, "record", "ok", t0, "attempt %d, "
	    "retry %d, source %s", run->attempts, run->retries, source);
	return CE_OK;
}

/*
 * A reprocess's note begins with a line of its own, the time and the
 * run's number: a text never posted on the lead, so the note ledger
 * (keyed by the text's hash) lets it through.  Cut to
 * C2S_DESCRIPTION_MAX_LENGTH like any note.
 */
static void
fresh_mark(struct cx_app *app, struct cx_run *run, struct ce_buf *note)
{
	char	 now[32], *text;

	if ((run->flags & CX_RUN_FRESH) == 0 || note->len == 0)
		return;
	if (cx_store_local_now(app->db, now, sizeof(now)) != CE_OK)
		ce_strlcpy(now, "?", sizeof(now));
	if ((text = ce_buf_take(note)) == NULL)
		return;
	ce_buf_init(note, NOTE_BUF_CAP);
	if (ce_buf_printf(note, "🔄 Reprocessado em %s (execução %d)\n%s",
	    now, run->attempts, text) != CE_OK) {
		ce_buf_reset(note);
		set_error(run, CE_ESYSTEM, "note: cannot format");
	}
	free(text);
	ce_buf_cap_chars(note, (size_t)app->cfg.c2s_description_max);
}

static void
run_init(struct cx_app *app, struct cx_run *run, int flags)
{
	memset(run, 0, sizeof(*run));
	run->started_us = cx_now_us();
	run->deadline_us = cx_deadline(app);
	run->flags = flags;
}

/*
 * Run the pipeline for "lead_id" arriving from "source" ("api",
 * "webhook", ...); "flags" CX_RUN_RETRY counts it as a scheduled retry.
 * "lead_id" is a lead id as ce_lead_id_norm() makes it (32 lower-case
 * hex characters): the caller validated it, once; it is not checked
 * again here.  Returns CE_OK when the lead reached an outcome (stored,
 * see run->outcome, run->err and run->note), or the error that stopped
 * it: CE_EDB, CE_ENOTFOUND (not in C2S), CE_EUPSTREAM, CE_ETIMEOUT.  The
 * caller calls cx_run_free().
 */
enum ce_err
cx_pipeline(struct cx_app *app, const char *lead_id, const char *source,
    int flags, struct cx_run *run)
{
	struct ce_buf	 note;
	char		 sha[65] = "";
	int		 claimed = 0;
	enum ce_err	 er;

	run_init(app, run, flags);
	ce_strlcpy(run->lead_id, lead_id, sizeof(run->lead_id));
	ce_buf_init(&note, NOTE_BUF_CAP);
	if ((er = step_record(app, run, source)) != CE_OK)
		return er;

	/* 2. Read it from C2S; 3-5: contacts, CPFs, dossiers. */
	if ((er = step_fetch(app, run)) != CE_OK)
		goto stop;
	name_placeholder(app, run);
	if ((er = enrich(app, run, NULL)) != CE_OK)
		goto stop;

	/* 6. Store, with the claim on the note; 7. post it once. */
	note_make(app, run, &note);
	fresh_mark(app, run, &note);
	if (step_store(app, run, &note, sha, sizeof(sha), &claimed) != CE_OK) {
		run->outcome = CX_OUT_NONE;
		run->note = CX_NOTE_NONE;
		set_error(run, CE_EDB, "database: cannot store the result");
		er = CE_EDB;
		goto stop;
	}
	if (claimed)
		step_post(app, run, &note, sha);
	else if (run->note == CX_NOTE_ALREADY)
		step_log(app, run, CE_LOG_INFO, "note", "already_posted",
		    cx_now_us(), "same text posted before");
	else if (run->note == CX_NOTE_FAILED)
		step_log(app, run, CE_LOG_WARN, "note", "busy", cx_now_us(),
		    "being posted by another responder; left pending");
	ce_buf_free(&note);
	cx_mtab_lead(&app->mtab, run->outcome);
	step_log(app, run, run->err == CE_OK ? CE_LOG_INFO : CE_LOG_WARN,
	    "done", cx_outcome_name(run->outcome), run->started_us, "%s",
	    run->error);
	return CE_OK;

stop:
	/* No outcome: the lead stays retryable, or failed when C2S has none. */
	ce_buf_free(&note);
	if (lead_finish(app, run, NULL) != CE_OK)
		cx_logf(&app->log, CE_LOG_ERROR, "lead %s: state not recorded",
		    run->lead_id);
	cx_mtab_lead(&app->mtab, run->outcome);
	step_log(app, run, CE_LOG_WARN, "done", cx_outcome_name(run->outcome),
	    run->started_us, "%s", run->error);
	return er;
}

/*
 * Store the person "ps" with no lead, and "dossier" (or NULL) with its
 * contacts and addresses.  Returns CE_OK or CE_EDB.
 */
static enum ce_err
store_unlinked(struct cx_app *app, const struct cx_person *ps,
    const char *dossier)
{
	struct cx_person_row row;
	long long	 rows;

	person_row(NULL, ps, dossier, &row);
	if (cx_store_person(app->db, &row, &rows) != CE_OK)
		return CE_EDB;
	return CE_OK;
}

/*
 * Enrich a lead that is not in C2S yet (a Google Ads form): "form" gives
 * its name and contacts, "cpf" a CPF the person typed (or NULL).  The
 * dossiers paid for are stored at once, with their persons and no lead,
 * so that a retry of the form (its C2S create refused, or the worker
 * gone before it) finds them stored instead of paying again;
 * cx_pipeline_deliver() links them to the lead.  The note of the outcome
 * goes to "note".  Returns CE_OK, or CE_EDB or CE_ETIMEOUT.  The caller
 * calls cx_run_free().
 */
enum ce_err
cx_pipeline_form(struct cx_app *app, const struct ce_lead *form,
    const char *cpf, struct cx_run *run, struct ce_buf *note)
{
	size_t		 i;
	enum ce_err	 er;

	run_init(app, run, 0);
	run->lead = *form;
	name_placeholder(app, run);
	if ((er = enrich(app, run, cpf)) != CE_OK)
		return er;
	for (i = 0; i < run->npersons; i++) {
		struct cx_person *ps = &run->persons[i];

		if (!ps->dossier_new || ps->dossier == NULL)
			continue;
		if (store_unlinked(app, ps, ps->dossier) != CE_OK) {
			set_error(run, CE_EDB, "database: dossier not stored");
			return CE_EDB;
		}
		ps->dossier_new = 0;
	}
	note_make(app, run, note);
	return CE_OK;
}

/*
 * Enrich a person known only by "cpf" (11 digits, valid), for a lookup
 * that found nothing stored (ENRICH_ON_MISS): a dossier from the process
 * cache or the Work API, then the person, its dossier, contacts and
 * addresses stored with no lead.  Returns CE_OK (stored), CE_ENOTFOUND
 * (the Work API has no dossier), CE_EUPSTREAM, CE_ETIMEOUT, CE_EDB or
 * CE_ESYSTEM.  The caller calls cx_run_free().
 */
enum ce_err
cx_pipeline_person(struct cx_app *app, const char *cpf, struct cx_run *run)
{
	struct cx_person *ps = &run->persons[0];
	json_t		*j;
	char		 birth[16] = "";
	enum ce_err	 er;

	run_init(app, run, 0);
	ce_strlcpy(ps->cpf, cpf, sizeof(ps->cpf));
	ps->src = CE_SRC_FORM;
	run->npersons = 1;
	if ((er = step_dossiers(app, run)) != CE_OK)
		return er;
	if (ps->dres != CE_UP_OK || ps->dossier == NULL)
		return ps->dres == CE_UP_NOTFOUND ? CE_ENOTFOUND :
		    run->err != CE_OK ? run->err : CE_EUPSTREAM;
	/* The name and birth date of a cached dossier, too. */
	if ((j = json_loads(ps->dossier, 0, NULL)) != NULL) {
		const json_t *b = json_object_get(j, "DadosBasicos");
		const char *v = json_string_value(json_object_get(b, "nome"));

		if (v != NULL)
			ce_strlcpy(ps->dname, v, sizeof(ps->dname));
		if ((v = json_string_value(json_object_get(b,
		    "dataNascimento"))) != NULL)
			ce_strlcpy(birth, v, sizeof(birth));
		json_decref(j);
	}
	iso_date(birth, ps->birth, sizeof(ps->birth));
	/* Even a cached dossier: the person is not stored, nor is it. */
	return store_unlinked(app, ps, ps->dossier);
}

/*
 * Store a run of cx_pipeline_form() under the C2S lead "lead_id" made
 * from it, whose description already carries "text": recorded as its
 * note, posted (no note for a placeholder name: its reason recorded).
 * Returns CE_OK or CE_EDB (or CE_EINPUT for a bad id).
 */
enum ce_err
cx_pipeline_deliver(struct cx_app *app, struct cx_run *run,
    const char *lead_id, const char *source, const struct ce_buf *text)
{
	struct ce_buf	 none;
	char		 sha[65] = "";
	int		 claimed = 0;
	enum ce_err	 er;

	if (!ce_lead_id_norm(lead_id, run->lead_id))
		return CE_EINPUT;
	if ((er = step_record(app, run, source)) != CE_OK)
		return er;
	/*
	 * A placeholder name (name_placeholder()): the description holds
	 * the form's own fields, no note of ours; the lead has none, and
	 * records why, as any placeholder lead (DESIGN.md 11.3).
	 */
	ce_buf_init(&none, 0);
	if (run->given_name[0] != '\0')
		text = &none;
	if (step_store(app, run, text, sha, sizeof(sha), &claimed) != CE_OK)
		return CE_EDB;
	if (claimed) {
		if (cx_store_note_done(app->db, run->lead_id, sha) != CE_OK)
			return CE_EDB;
		if (lead_finish(app, run, "posted") != CE_OK)
			return CE_EDB;
		run->note = CX_NOTE_POSTED;
	}
	cx_mtab_lead(&app->mtab, run->outcome);
	step_log(app, run, CE_LOG_INFO, "done", cx_outcome_name(run->outcome),
	    run->started_us, "delivered in the description of a new lead");
	return CE_OK;
}
