/*
 * upstream_fuzz -- libFuzzer driver of ce_upstream_parse(): the JSON
 * parsers and classifiers of the C2S, Diretrix and Work API answers, with
 * no network.
 *
 * Feeds: byte 0 picks the call's kind ('l' C2S lead, 'm' C2S message,
 * 'p' Diretrix by phone, 'e' Diretrix by e-mail, 'c' Work API cpf,
 * 'w' Work API phone, 'n' C2S create, 's' C2S list; any other byte its
 * value modulo CE_CALL__MAX + 1, so an unknown kind too); byte 1 the HTTP
 * status ('2' 200, '1' 201, '4' 404, '0' 400, 'u' 422, '5' 500, '6' 503,
 * '9' 429, '3' 403, '8' 408; any other byte three times its value); the
 * rest is the body, in a heap block of its exact size.
 *
 * Asserts: the classification is a known one, and CE_UP_OK only for a
 * 2xx status; every string of the lead, the candidates and the dossier
 * is NUL-terminated within its array and well-formed UTF-8; counts are
 * at most their maximum; every candidate's CPF is 11 digits with valid
 * check digits; listed ids are valid lead ids; a dossier's raw text is
 * the body, NUL-terminated, kept by Work API calls and C2S hook calls
 * only, and always by a Work API cpf call that is CE_UP_OK.  The dossier
 * is freed, so LeakSanitizer sees any leak.
 */
#include <stdlib.h>
#include <string.h>

#include "c2s-enrich.h"
#include "core/brid.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_ctx();
	return 0;
}

static enum ce_call_kind
kind_of(uint8_t b)
{
	static const char kinds[] = "lmpecwns";

	if (b != '\0' && strchr(kinds, b) != NULL)
		return (enum ce_call_kind)(strchr(kinds, b) - kinds);
	return (enum ce_call_kind)(b % (CE_CALL__MAX + 1));
}

static long
status_of(uint8_t b)
{
	switch (b) {
	case '2':
		return 200;
	case '1':
		return 201;
	case '4':
		return 404;
	case '0':
		return 400;
	case 'u':
		return 422;
	case '5':
		return 500;
	case '6':
		return 503;
	case '9':
		return 429;
	case '3':
		return 403;
	case '8':
		return 408;
	default:
		return 3L * b;
	}
}

/* A string field: terminated within its array, well-formed UTF-8. */
#define FZ_STR(f)	do {						\
	FZ_CHECK(memchr((f), '\0', sizeof(f)) != NULL);			\
	FZ_CHECK(fz_utf8_valid((f), strlen(f)));			\
} while (0)

static void
check_lead(const struct ce_lead *l)
{
	FZ_STR(l->id);
	FZ_STR(l->name);
	FZ_STR(l->email);
	FZ_STR(l->phone);
	FZ_STR(l->phone2);
	FZ_STR(l->customer_id);
	FZ_STR(l->status_alias);
	FZ_STR(l->source);
	FZ_STR(l->product_ref);
	FZ_STR(l->product_desc);
	FZ_STR(l->created_at);
	FZ_STR(l->updated_at);
	FZ_STR(l->description);
}

static void
check_cands(const struct ce_cands *cs)
{
	size_t	 i;

	FZ_CHECK(cs->n <= CE_CANDS_MAX);
	for (i = 0; i < cs->n; i++) {
		FZ_CHECK(memchr(cs->c[i].cpf, '\0', sizeof(cs->c[i].cpf)) !=
		    NULL);
		FZ_CHECK(strlen(cs->c[i].cpf) == 11 &&
		    ce_cpf_valid(cs->c[i].cpf));
		FZ_STR(cs->c[i].name);
	}
}

static void
check_dossier(const struct ce_dossier *d, const char *body, size_t len)
{
	FZ_STR(d->cpf);
	FZ_STR(d->name);
	FZ_STR(d->birth);
	FZ_STR(d->income);
	if (d->raw == NULL) {
		FZ_CHECK(d->rawlen == 0);
		return;
	}
	FZ_CHECK(d->rawlen == len);
	FZ_CHECK(memcmp(d->raw, body, len) == 0 && d->raw[len] == '\0');
}

static void
check_list(const struct ce_lead_list *ls)
{
	size_t	 i;

	FZ_CHECK(ls->n <= CE_LIST_MAX);
	for (i = 0; i < ls->n; i++)
		FZ_CHECK(ce_lead_id_valid(ls->id[i]));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ce_call	*c;
	char		*body;
	size_t		 len;
	enum ce_up	 u;

	if (size < 2)
		return 0;
	len = size - 2;
	/* Heap blocks, so ASan sees overruns of the struct or the body. */
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return 0;
	if ((body = malloc(len > 0 ? len : 1)) == NULL) {
		free(c);
		return 0;
	}
	memcpy(body, data + 2, len);
	c->kind = kind_of(data[0]);
	c->arg = "0123456789abcdef0123456789abcdef";
	c->status = status_of(data[1]);

	u = ce_upstream_parse(fz_ctx(), c, c->status, body, len);
	FZ_CHECK((unsigned)u < CE_UP__MAX);
	if (u == CE_UP_OK)
		FZ_CHECK(c->status >= 200 && c->status <= 299);
	if ((unsigned)c->kind >= CE_CALL__MAX)
		FZ_CHECK(u == CE_UP_INVALID);
	check_lead(&c->lead);
	check_cands(&c->cands);
	check_dossier(&c->dossier, body, len);
	check_list(&c->list);
	if ((c->kind == CE_CALL_DX_PHONE || c->kind == CE_CALL_DX_EMAIL ||
	    c->kind == CE_CALL_WORK_PHONE) && u == CE_UP_OK)
		FZ_CHECK(c->cands.n > 0);
	/* Only the Work API and a hook's (un)subscription keep the body; a
	 * found dossier has it. */
	if (c->kind != CE_CALL_WORK_CPF && c->kind != CE_CALL_WORK_PHONE &&
	    c->kind != CE_CALL_WORK_MODULE && c->kind != CE_CALL_C2S_HOOK)
		FZ_CHECK(c->dossier.raw == NULL);
	if (c->kind == CE_CALL_WORK_CPF && u == CE_UP_OK)
		FZ_CHECK(c->dossier.raw != NULL);
	if (c->kind == CE_CALL_C2S_CREATE && u == CE_UP_OK)
		FZ_CHECK(c->lead.id[0] != '\0');

	ce_dossier_free(&c->dossier);
	free(body);
	free(c);
	return 0;
}
