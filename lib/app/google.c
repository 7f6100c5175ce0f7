/*
 * google.c -- Google Ads lead forms, below their route (h_google.c): a
 * form read, recorded once per form lead id with a job (the route's
 * cx_google_take(), the spool's cx_google_store()), and the job, which
 * the worker runs.  The job enriches the form's contacts (or the
 * CPF typed into it), then creates the C2S lead with the form fields and
 * the enrichment in its description.  The form is marked 'creating'
 * before the C2S call and 'created' after: a form found 'creating' again
 * (its worker died in the call, or the database failed to take the
 * call's outcome and the job ran again) is never created a second time;
 * it is left 'unknown' for a person to look at, as is a form whose call
 * went unanswered or failed otherwise than by a refusal.  A test form
 * (is_test true, Google's "send test data") is recorded in the state
 * 'test' with no job: nothing is paid for and no C2S lead is made, unless
 * GOOGLE_ADS_ACCEPT_TEST=1, when it runs as a real form whose description
 * says it is a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/brid.h"
#include "core/buf.h"
#include "core/call.h"
#include "core/err.h"
#include "core/lead.h"
#include "core/log.h"
#include "core/util.h"
#include "app/app.h"
#include "app/google.h"
#include "app/pipeline.h"
#include "app/store.h"
#include "app/upstream.h"

#define DESC_BUF_CAP	(256u * 1024)

/* Google's column ids, and how the description names them. */
static const struct {
	const char	*id;
	const char	*label;
} columns[] = {
	{ "FULL_NAME", "Nome" },
	{ "FIRST_NAME", "Nome" },
	{ "LAST_NAME", "Sobrenome" },
	{ "EMAIL", "E-mail" },
	{ "PHONE_NUMBER", "Telefone" },
	{ "CPF", "CPF" },
	{ "CITY", "Cidade" },
	{ "REGION", "Estado" },
	{ "POSTAL_CODE", "CEP" },
	{ "STREET_ADDRESS", "Endereço" },
	{ "COUNTRY", "País" },
	{ "COMPANY_NAME", "Empresa" },
	{ "JOB_TITLE", "Cargo" },
	{ "WORK_EMAIL", "E-mail comercial" },
	{ "WORK_PHONE", "Telefone comercial" },
};

/*
 * The names a form may give a standard field that comes without its
 * column_id (compared without regard to ASCII case).
 */
static const struct {
	const char	*name;
	const char	*id;
} aliases[] = {
	{ "Full name", "FULL_NAME" },
	{ "Nome completo", "FULL_NAME" },
	{ "Nome", "FULL_NAME" },
	{ "Name", "FULL_NAME" },
	{ "First name", "FIRST_NAME" },
	{ "Primeiro nome", "FIRST_NAME" },
	{ "Last name", "LAST_NAME" },
	{ "Sobrenome", "LAST_NAME" },
	{ "Email", "EMAIL" },
	{ "E-mail", "EMAIL" },
	{ "Phone number", "PHONE_NUMBER" },
	{ "Phone", "PHONE_NUMBER" },
	{ "Telefone", "PHONE_NUMBER" },
	{ "Celular", "PHONE_NUMBER" },
	{ "Número de telefone", "PHONE_NUMBER" },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Copy "v" into "dst", cut on a UTF-8 character boundary. */
static void
copy_utf8(char *dst, const char *v, size_t sz)
{
	size_t	 len, i, need;
	unsigned char c;

	ce_strlcpy(dst, v, sz);
	len = strlen(dst);
	if (len == strlen(v))
		return;
	/* Cut: drop a last character left incomplete. */
	for (i = len; i > 0 && ((unsigned char)dst[i - 1] & 0xC0) == 0x80; i--)
		continue;
	if (i == 0)
		return;
	c = (unsigned char)dst[i - 1];
	need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	if (len - (i - 1) < need)
		dst[i - 1] = '\0';
}

/*
 * The standard id of column "c": its column_id; without one, the id its
 * column_name is ("FULL_NAME") or names ("Nome completo"); else "".
 */
static const char *
col_id(const json_t *c)
{
	const char	*v = json_string_value(json_object_get(c, "column_id"));
	size_t		 k;

	if (v != NULL && v[0] != '\0')
		return v;
	if ((v = json_string_value(json_object_get(c, "column_name"))) == NULL)
		return "";
	for (k = 0; k < NELEM(columns); k++)
		if (strcasecmp(v, columns[k].id) == 0)
			return columns[k].id;
	for (k = 0; k < NELEM(aliases); k++)
		if (strcasecmp(v, aliases[k].name) == 0)
			return aliases[k].id;
	return "";
}

/*
 * How the description names column "c": a known id's Portuguese label,
 * else its column_name (a custom question), else its column_id; NULL for
 * a column with neither.
 */
static const char *
col_label(const json_t *c)
{
	const char	*id = col_id(c), *v;
	size_t		 k;

	for (k = 0; id[0] != '\0' && k < NELEM(columns); k++)
		if (strcasecmp(id, columns[k].id) == 0)
			return columns[k].label;
	v = json_string_value(json_object_get(c, "column_name"));
	if (v != NULL && v[0] != '\0')
		return v;
	v = json_string_value(json_object_get(c, "column_id"));
	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Is form "j" one of Google's test forms (is_test true or "true")? */
static int
form_is_test(const json_t *j)
{
	const json_t	*v = json_object_get(j, "is_test");

	return json_is_true(v) || (json_is_string(v) &&
	    strcasecmp(json_string_value(v), "true") == 0);
}

static const char *
col_value(const json_t *c)
{
	const char *v = json_string_value(json_object_get(c, "string_value"));

	return v != NULL ? v : "";
}

/*
 * Read form "j": its lead id (a string or an integer) and the columns the
 * pipeline uses.  Returns CE_OK, or CE_EINPUT when there is no usable
 * lead id.
 */
enum ce_err
cx_google_parse(const json_t *j, struct cx_form *f)
{
	const json_t	*cols, *c, *idv;
	const char	*id, *v;
	char		 first[128] = "", last[128] = "";
	size_t		 i;
	int		 n;

	memset(f, 0, sizeof(*f));
	idv = json_object_get(j, "lead_id");
	if (json_is_string(idv)) {
		id = json_string_value(idv);
		if (id[0] == '\0' || strlen(id) > CX_FORM_ID_MAX)
			return CE_EINPUT;
		for (i = 0; id[i] != '\0'; i++)
			if ((unsigned char)id[i] < 0x21 || id[i] == 0x7f)
				return CE_EINPUT;
		ce_strlcpy(f->id, id, sizeof(f->id));
	} else if (json_is_integer(idv)) {
		n = snprintf(f->id, sizeof(f->id), "%lld",
		    (long long)json_integer_value(idv));
		if (n < 0 || (size_t)n >= sizeof(f->id))
			return CE_EINPUT;
	} else
		return CE_EINPUT;
	f->is_test = form_is_test(j);
	cols = json_object_get(j, "user_column_data");
	for (i = 0; i < json_array_size(cols); i++) {
		c = json_array_get(cols, i);
		id = col_id(c);
		v = col_value(c);
		if (strcasecmp(id, "FULL_NAME") == 0)
			copy_utf8(f->name, v, sizeof(f->name));
		else if (strcasecmp(id, "FIRST_NAME") == 0)
			copy_utf8(first, v, sizeof(first));
		else if (strcasecmp(id, "LAST_NAME") == 0)
			copy_utf8(last, v, sizeof(last));
		else if (strcasecmp(id, "EMAIL") == 0)
			copy_utf8(f->email, v, sizeof(f->email));
		else if (strcasecmp(id, "PHONE_NUMBER") == 0)
			copy_utf8(f->phone, v, sizeof(f->phone));
		else if (strcasecmp(id, "CPF") == 0)
			copy_utf8(f->cpf, v, sizeof(f->cpf));
	}
	/* Both halves fit whole: 127 + 1 + 127 bytes. */
	if (f->name[0] == '\0' && (first[0] != '\0' || last[0] != '\0'))
		snprintf(f->name, sizeof(f->name), "%s%s%s", first,
		    first[0] != '\0' && last[0] != '\0' ? " " : "", last);
	return CE_OK;
}

/*
 * Record form "f" (its JSON "payload", without the key) once, with its
 * job, and wake the workers for a new form that runs; "rec" gets its
 * state ("received" or "test" when it is new), C2S lead id and test flag
 * (see CX_STMT_GOOGLE_RECORD).  Returns CE_OK or CE_EDB.
 */
static enum ce_err
form_record(struct cx_app *app, const struct cx_form *f, const char *payload,
    struct cx_form_rec *rec)
{
	enum ce_err	 er;
	int		 run;

	/* A test form runs only when test forms are accepted. */
	run = !f->is_test || app->cfg.google_ads_accept_test;
	if ((er = cx_store_google_record(app->db, f, payload, run, rec)) !=
	    CE_OK)
		return er;
	/* A new form: as recorded now; else: as recorded before. */
	if (rec->isnew)
		ce_strlcpy(rec->state, run ? "received" : "test",
		    sizeof(rec->state));
	if (rec->isnew && run)
		(void)cx_store_notify(app->db, "google_ads");
	return CE_OK;
}

/*
 * The route's form "f" (its JSON "payload", the key left out): recorded
 * once with its job, "rec" as form_record() fills it.  Returns CE_OK, or
 * CE_EDB when nothing was recorded (the caller spools the form).
 */
enum ce_err
cx_google_take(struct cx_app *app, const struct cx_form *f,
    const char *payload, struct cx_form_rec *rec)
{
	enum ce_err	 er;
	int		 run;

	if ((er = form_record(app, f, payload, rec)) != CE_OK)
		return er;
	run = !f->is_test || app->cfg.google_ads_accept_test;
	if (rec->isnew && f->is_test)
		cx_logf(&app->log, CE_LOG_INFO,
		    "google ads: test form recorded; %s",
		    run ? "run as a lead (GOOGLE_ADS_ACCEPT_TEST=1)" :
		    "not run (GOOGLE_ADS_ACCEPT_TEST=0)");
	else
		cx_logf(&app->log, CE_LOG_INFO, "google ads: %sform %s",
		    rec->test ? "test " : "", rec->isnew ? "recorded" :
		    "seen before");
	return CE_OK;
}

/*
 * The spool's replay of a form (its JSON, the key left out): recorded as
 * the route records it, inside the replay's transaction.  Returns CE_OK,
 * CE_EINPUT (not a form) or CE_EDB.
 */
enum ce_err
cx_google_store(struct cx_app *app, const char *payload)
{
	struct cx_form	 f;
	struct cx_form_rec rec;
	json_t		*j;
	enum ce_err	 er;

	if ((j = json_loads(payload, 0, NULL)) == NULL || !json_is_object(j) ||
	    cx_google_parse(j, &f) != CE_OK) {
		json_decref(j);
		return CE_EINPUT;
	}
	json_decref(j);
	if ((er = form_record(app, &f, payload, &rec)) != CE_OK)
		return er;
	cx_logf(&app->log, CE_LOG_INFO, "google ads (spooled): form %s",
	    rec.isnew ? "recorded" : "seen before");
	return CE_OK;
}

/* Append "s", control characters turned into spaces. */
static enum ce_err
desc_text(struct ce_buf *b, const char *s)
{
	enum ce_err	 er;
	size_t		 start = b->len;

	if ((er = ce_buf_puts(b, s)) != CE_OK)
		return er;
	for (; start < b->len; start++)
		if ((unsigned char)b->data[start] < 0x20 ||
		    b->data[start] == 0x7f)
			b->data[start] = ' ';
	return CE_OK;
}

/*
 * Append the line "label: value", control characters in either turned
 * into spaces; nothing for an empty value.
 */
static enum ce_err
desc_line(struct ce_buf *b, const char *label, const char *v)
{
	enum ce_err	 er;

	if (v[0] == '\0')
		return CE_OK;
	if ((er = desc_text(b, label)) != CE_OK ||
	    (er = ce_buf_puts(b, ": ")) != CE_OK ||
	    (er = desc_text(b, v)) != CE_OK)
		return er;
	return ce_buf_puts(b, "\n");
}

/*
 * The text of id "v" (campaign_id, form_id, gcl_id: a string or an
 * integer) in "out"; "" for anything else.
 */
static const char *
id_text(const json_t *v, char *out, size_t sz)
{
	int	 n;

	if (json_is_string(v))
		return json_string_value(v);
	out[0] = '\0';
	if (json_is_integer(v)) {
		n = snprintf(out, sz, "%lld", (long long)json_integer_value(v));
		if (n < 0 || (size_t)n >= sz)
			out[0] = '\0';
	}
	return out;
}

/*
 * The description of the C2S lead, in the Rust service's layout: the
 * line "🎯 Lead do Google Ads" (then "⚠️ LEAD DE TESTE" for a test
 * form), the campaign, the form and the GCLID when given, the form's
 * fields as the person typed them, a blank line and the enrichment note;
 * capped at C2S_DESCRIPTION_MAX_LENGTH characters on a UTF-8 boundary.
 * Past the buffer's own cap (far beyond any description) the rest is left
 * out.  Returns CE_OK, CE_EINPUT for a payload that is not JSON, or
 * CE_ENOMEM.
 */
static enum ce_err
describe(struct cx_app *app, const char *payload, const struct ce_buf *note,
    struct ce_buf *b)
{
	const json_t	*cols, *c;
	json_t		*j;
	const char	*label;
	char		 num[32];
	size_t		 i;
	enum ce_err	 er;

	if ((j = json_loads(payload, 0, NULL)) == NULL)
		return CE_EINPUT;
	er = ce_buf_puts(b, "🎯 Lead do Google Ads\n");
	if (er == CE_OK && form_is_test(j))
		er = ce_buf_puts(b, "⚠️ LEAD DE TESTE\n");
	if (er == CE_OK)
		er = desc_line(b, "Campanha", id_text(json_object_get(j,
		    "campaign_id"), num, sizeof(num)));
	if (er == CE_OK)
		er = desc_line(b, "Formulário", id_text(json_object_get(j,
		    "form_id"), num, sizeof(num)));
	if (er == CE_OK)
		er = desc_line(b, "GCLID", id_text(json_object_get(j,
		    "gcl_id"), num, sizeof(num)));
	cols = json_object_get(j, "user_column_data");
	for (i = 0; er == CE_OK && i < json_array_size(cols); i++) {
		c = json_array_get(cols, i);
		if ((label = col_label(c)) != NULL)
			er = desc_line(b, label, col_value(c));
	}
	json_decref(j);
	if (er == CE_OK && note->len > 0)
		er = ce_buf_printf(b, "\n%s", note->data);
	if (er == CE_E2BIG)
		er = CE_OK;
	if (er == CE_OK)
		ce_buf_cap_chars(b, (size_t)app->cfg.c2s_description_max);
	return er;
}

/* The JSON:API body of POST /integration/leads; NULL on failure. */
static char *
create_body(struct cx_app *app, const struct cx_form *f, const char *desc)
{
	json_t	*j, *attrs;
	char	*out;

	if ((attrs = json_pack("{s:s, s:s, s:s, s:s}", "name",
	    f->name[0] != '\0' ? f->name : "Lead Google Ads", "description",
	    desc, "type_negotiation", "Compra", "source", "Google Ads")) ==
	    NULL)
		return NULL;
	if ((f->phone[0] != '\0' &&
	    json_object_set_new(attrs, "phone", json_string(f->phone)) == -1) ||
	    (f->email[0] != '\0' &&
	    json_object_set_new(attrs, "email", json_string(f->email)) == -1) ||
	    (app->cfg.c2s_default_seller_id[0] != '\0' &&
	    json_object_set_new(attrs, "seller_id",
	    json_string(app->cfg.c2s_default_seller_id)) == -1)) {
		json_decref(attrs);
		return NULL;
	}
	if ((j = json_pack("{s:{s:s, s:o}}", "data", "type", "lead",
	    "attributes", attrs)) == NULL)
		return NULL;
	out = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return out;
}

/*
 * Move form "id" from state "from" to "to".  Returns 1 if it moved, 0 if
 * it was not in "from", -1 when the database failed.
 */
static int
form_move(struct cx_app *app, const char *id, const char *from,
    const char *to, const char *c2s_id, const char *error)
{
	int	 moved;

	if (cx_store_google_move(app->db, id, from, to, c2s_id, error,
	    &moved) != CE_OK)
		return -1;
	return moved;
}

/*
 * Move form "id" out of 'creating' to "to", once more if the database
 * failed (PostgreSQL restarted during the C2S call drops the connection:
 * the second try runs on a new one; a compare-and-set, it cannot move the
 * form twice).  Returns 1 if it moved.
 */
static int
form_settle(struct cx_app *app, const char *id, const char *to,
    const char *c2s_id, const char *error)
{
	int	 i, moved;

	for (i = 0; i < 2; i++)
		if ((moved = form_move(app, id, "creating", to, c2s_id,
		    error)) != -1)
			return moved;
	return 0;
}

/* Try the form again later (C2S refused it, or the database failed). */
static void
again(struct cx_app *app, const char *id)
{
	long long	 ms;

	ms = app->cfg.nretry > 0 ?
	    app->cfg.retry_schedule[0] * app->cfg.retry_unit_ms :
	    app->cfg.retry_unit_ms;
	if (cx_store_job_again(app->db, "google_ads", id, "google_ads",
	    ms) != CE_OK)
		cx_logf(&app->log, CE_LOG_ERROR,
		    "google ads: form not queued again; "
		    "it stays 'received'");
}

/*
 * Enrich form "f" into "run", "note" and "desc" ("payload" its answers),
 * and build the body of its C2S lead into "*body" (the caller frees it).
 * Returns 1 with the body; otherwise sets "result" and "error" and
 * returns 0 (the form is queued again) or -1 (the job must run again:
 * the database failed).
 */
static int
create_lead(struct cx_app *app, const struct cx_form *f, const char *payload,
    struct cx_run *run, struct ce_buf *note, struct ce_buf *desc,
    char **body, char *result, size_t rsz, char *error, size_t esz)
{
	struct ce_lead	 lead;
	char		 cpf[12] = "";
	enum ce_err	 er;

	memset(&lead, 0, sizeof(lead));
	ce_strlcpy(lead.name, f->name, sizeof(lead.name));
	ce_strlcpy(lead.phone, f->phone, sizeof(lead.phone));
	ce_strlcpy(lead.email, f->email, sizeof(lead.email));
	if (ce_cpf_normalize(f->cpf, cpf) == -1)
		cpf[0] = '\0';
	if ((er = cx_pipeline_form(app, &lead, cpf[0] != '\0' ? cpf : NULL,
	    run, note)) != CE_OK) {
		ce_strlcpy(result, "retry", rsz);
		ce_strlcpy(error, run->error, esz);
		if (er == CE_EDB)
			return -1;
		again(app, f->id);
		return 0;
	}
	if (describe(app, payload, note, desc) != CE_OK ||
	    (*body = create_body(app, f, desc->data)) == NULL) {
		ce_strlcpy(result, "error", rsz);
		ce_strlcpy(error, "cannot build the C2S lead", esz);
		again(app, f->id);
		return 0;
	}
	return 1;
}

/*
 * Create the C2S lead of form "f" (now 'creating') with "body", settle the
 * form by the answer, and store the enrichment "run" and "desc" on the
 * lead created.  Sets "result" and "error"; returns 0, or -1 when the job
 * must run again (the database failed).
 */
static int
create_deliver(struct cx_app *app, const struct cx_form *f, char *body,
    struct cx_run *run, const struct ce_buf *desc, char *result,
    size_t rsz, char *error, size_t esz)
{
	struct ce_call	 c;
	char		 cid[33];
	int		 rc = 0;

	memset(&c, 0, sizeof(c));
	c.kind = CE_CALL_C2S_CREATE;
	c.arg = body;
	/* A deadline of its own: a slow enrichment must not starve it. */
	cx_upstream_one(app, &c, cx_deadline(app));
	/*
	 * Whatever the call did, a form left 'creating' (the database
	 * failed on the move, twice) is not left so: the job runs again and
	 * finds it 'creating', as after a worker that died in the call.
	 */
	if (c.res == CE_UP_OK && ce_lead_id_norm(c.lead.id, cid)) {
		if (!form_settle(app, f->id, "created", cid, "")) {
			cx_logf(&app->log, CE_LOG_ERROR,
			    "google ads: C2S lead %s "
			    "created, but not recorded", cid);
			rc = -1;
		}
		if (cx_pipeline_deliver(app, run, cid, "google_ads",
		    desc) != CE_OK)
			cx_logf(&app->log, CE_LOG_ERROR,
			    "google ads: C2S lead %s: "
			    "enrichment not stored", cid);
		snprintf(result, rsz, "created");
		ce_strlcpy(error, run->error, esz);
	} else if (!cx_call_refused(&c)) {
		/* It may exist in C2S now: never create it twice. */
		snprintf(error, esz, "c2s create: %s (status %ld); the lead "
		    "may exist in C2S", ce_up_name(c.res), c.status);
		if (!form_settle(app, f->id, "unknown", "", error))
			rc = -1;
		ce_strlcpy(result, "unknown", rsz);
		cx_logf(&app->log, CE_LOG_ERROR, "google ads: %s", error);
	} else {
		snprintf(error, esz, "c2s create: %s (status %ld)",
		    ce_up_name(c.res), c.status);
		if (!form_settle(app, f->id, "received", "", error))
			rc = -1;
		ce_strlcpy(result, "retry", rsz);
		again(app, f->id);
	}
	return rc;
}

/*
 * Enrich the form, create its C2S lead, store what was found.  Returns 0,
 * or -1 when the job must run again (the database failed).
 */
static int
create(struct cx_app *app, const struct cx_form *f, const char *payload,
    char *result, size_t rsz, char *error, size_t esz)
{
	struct cx_run	 run;
	struct ce_buf	 note, desc;
	char		*body = NULL;
	int		 rc;

	ce_buf_init(&note, DESC_BUF_CAP);
	ce_buf_init(&desc, DESC_BUF_CAP);
	rc = create_lead(app, f, payload, &run, &note, &desc, &body, result,
	    rsz, error, esz);
	if (rc != 1)
		goto out;
	if (form_move(app, f->id, "received", "creating", "", "") != 1) {
		/* Moved by another worker, or the database failed. */
		ce_strlcpy(result, "busy", rsz);
		rc = -1;
		goto out;
	}
	rc = create_deliver(app, f, body, &run, &desc, result, rsz, error,
	    esz);
out:
	free(body);
	ce_buf_free(&note);
	ce_buf_free(&desc);
	cx_run_free(&run);
	return rc;
}

/*
 * The job of form "form_id".  Returns 0 when it is over, -1 when it must
 * run again later (the database failed).
 */
int
cx_google_job(struct cx_app *app, const char *form_id, char *result,
    size_t rsz, char *error, size_t esz)
{
	struct cx_form	 f;
	char		*payload, state[16];
	enum ce_err	 er;
	int		 rc = 0, found;

	if ((er = cx_store_google_get(app->db, form_id, &f, state,
	    sizeof(state), &payload, &found)) == CE_EDB) {
		ce_strlcpy(result, "db_error", rsz);
		return -1;
	}
	if (!found) {
		ce_strlcpy(result, "no_form", rsz);
		return 0;
	}
	if (er != CE_OK) {
		ce_strlcpy(result, "error", rsz);
		return -1;
	}
	if (strcmp(state, "received") == 0)
		rc = create(app, &f, payload, result, rsz, error, esz);
	else if (strcmp(state, "creating") == 0) {
		/* A worker died in the C2S call, or the database failed on
		 * its outcome: C2S may have the lead. */
		ce_strlcpy(error, "the outcome of the C2S call was not "
		    "recorded (its worker stopped, or the database failed); "
		    "the lead may exist in C2S", esz);
		if (!form_settle(app, form_id, "unknown", "", error))
			rc = -1;	/* still 'creating': again later */
		ce_strlcpy(result, "unknown", rsz);
		cx_logf(&app->log, CE_LOG_ERROR, "google ads: %s", error);
	} else
		ce_strlcpy(result, state, rsz);
	free(payload);
	return rc;
}
