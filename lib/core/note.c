/*
 * note.c -- the enrichment note posted on a C2S lead, in Portuguese, in
 * the layout sales already reads (DESIGN.md section 5): one block per
 * person from the Work API dossier, sections only when their data exists,
 * income and income ranges multiplied by INCOME_MULTIPLIER, shorter notes
 * for partial, basic and unenriched outcomes, and the whole capped at
 * C2S_DESCRIPTION_MAX_LENGTH characters, cut on a UTF-8 boundary.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/name.h"
#include "core/note.h"
#include "core/util.h"

#define MAX_EMAILS	3
#define MAX_PHONES	3
#define MAX_ADDRS	2
#define MAX_COMPANIES	3

/* A JSON value as text: strings as they are, integers in decimal. */
static const char *
jtext(const json_t *v, char *tmp, size_t sz)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(tmp, sz, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return tmp;
	}
	if (json_is_real(v)) {
		snprintf(tmp, sz, "%.2f", json_real_value(v));
		return tmp;
	}
	return "";
}

static const char *
jget(const json_t *o, const char *k, char *tmp, size_t sz)
{
	return jtext(json_object_get(o, k), tmp, sz);
}

/*
 * Parse a Brazilian amount ("8.500,50", "8500,50", "7018") into cents.
 * Returns 0, or -1 when it is not a number.
 */
static int
amount_parse(const char *s, size_t len, long long *cents)
{
	long long	 whole = 0, frac = 0;
	size_t		 i, fd = 0;
	int		 in_frac = 0, digits = 0;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9') {
			digits++;
			if (in_frac) {
				if (fd < 2)
					frac = frac * 10 + (c - '0');
				fd++;
			} else if (whole < 100000000000LL)
				whole = whole * 10 + (c - '0');
		} else if (c == ',' && !in_frac)
			in_frac = 1;
		else if (c != '.' || in_frac)
			return -1;
	}
	if (digits == 0)
		return -1;
	if (fd == 1)
		frac *= 10;
	*cents = whole * 100 + frac;
	return 0;
}

/* "R$ 16.150,95" from cents. */
static enum ce_err
amount_put(struct ce_buf *b, long long cents)
{
	char		 d[32], out[48];
	int		 n, i, o = 0;
	long long	 whole = cents / 100;

	n = snprintf(d, sizeof(d), "%lld", whole);
	if (n <= 0)
		return CE_ESYSTEM;
	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[o++] = '.';
		out[o++] = d[i];
	}
	out[o] = '\0';
	return ce_buf_printf(b, "R$ %s,%02lld", out, cents % 100);
}

static long long
times(long long cents, double mult)
{
	return llround((double)cents * mult);
}

/*
 * The bottom band's lower bound "De R$ 1 até " is a placeholder for
 * "nothing": its length, or 0 when "s" does not start with it.
 */
static size_t
band_floor(const char *s)
{
	static const char *const	 pre[] = {
		"De R$ 1 até ", "De R$ 1,00 até ",
	};
	size_t				 i, n;

	for (i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
		if (strncmp(s, pre[i], n = strlen(pre[i])) == 0)
			return n;
	return 0;
}

/*
 * Copy "s", with each "R$ <amount>" multiplied; the bottom band
 * "De R$ 1 até R$ n" reads "Até R$ n".
 */
static enum ce_err
range_put(struct ce_buf *b, const char *s, double mult)
{
	const char	*p = s, *q;
	long long	 c;
	size_t		 n;
	enum ce_err	 er = CE_OK;

	if ((n = band_floor(s)) != 0) {
		er = ce_buf_puts(b, "Até ");
		p = s + n;
	}
	while (er == CE_OK && (q = strstr(p, "R$")) != NULL) {
		er = ce_buf_append(b, p, (size_t)(q - p));
		p = q + 2;
		while (*p == ' ')
			p++;
		n = strspn(p, "0123456789.,");
		/* A trailing separator is punctuation, not part of it. */
		while (n > 0 && (p[n - 1] == '.' || p[n - 1] == ','))
			n--;
		if (er == CE_OK && amount_parse(p, n, &c) == 0) {
			er = amount_put(b, times(c, mult));
			p += n;
		} else if (er == CE_OK)
			er = ce_buf_puts(b, "R$ ");
	}
	if (er == CE_OK)
		er = ce_buf_puts(b, p);
	return er;
}

/* "529.982.247-25" from eleven digits. */
static void
cpf_fmt(const char *cpf, char *out, size_t sz)
{
	if (strlen(cpf) != 11) {
		ce_strlcpy(out, cpf, sz);
		return;
	}
	snprintf(out, sz, "%.3s.%.3s.%.3s-%.2s", cpf, cpf + 3, cpf + 6,
	    cpf + 9);
}

/* "FEMININO" from "F - FEMININO". */
static const char *
after_dash(const char *s)
{
	const char	*p = strstr(s, " - ");

	return p != NULL ? p + 3 : s;
}

/*
 * A sticky-error writer: after the first failure every write is a no-op,
 * so a formatter writes straight on and its caller reads "er" at the end.
 */
struct nout {
	struct ce_buf	*b;
	enum ce_err	 er;
};

static void	 nout_printf(struct nout *, const char *, ...) CE_PRINTF(2, 3);

static void
nout_printf(struct nout *o, const char *fmt, ...)
{
	va_list		 ap;

	if (o->er != CE_OK)
		return;
	va_start(ap, fmt);
	o->er = ce_buf_vprintf(o->b, fmt, ap);
	va_end(ap);
}

static void
nout_puts(struct nout *o, const char *s)
{
	if (o->er == CE_OK)
		o->er = ce_buf_puts(o->b, s);
}

/* "R$ 16.150,95" from cents times "mult". */
static void
nout_amount(struct nout *o, long long cents, double mult)
{
	if (o->er == CE_OK)
		o->er = amount_put(o->b, times(cents, mult));
}

/* "s" with each amount in it multiplied by "mult". */
static void
nout_range(struct nout *o, const char *s, double mult)
{
	if (o->er == CE_OK)
		o->er = range_put(o->b, s, mult);
}

/* One item of a dossier's list, numbered "num" from 1. */
typedef void	 item_fn(struct nout *, size_t num, const json_t *);

static void
personal_put(struct nout *o, const json_t *basic, const char *cpf)
{
	char		 t[64], cf[20];
	const char	*s;

	cpf_fmt(cpf, cf, sizeof(cf));
	nout_puts(o, "✅ DADOS PESSOAIS\n");
	nout_printf(o, "Nome: %s\n", jget(basic, "nome", t, sizeof(t)));
	nout_printf(o, "CPF: %s\n", cf);
	if (*(s = jget(basic, "dataNascimento", t, sizeof(t))) != '\0')
		nout_printf(o, "Data Nascimento: %s\n", s);
	if (*(s = jget(basic, "sexo", t, sizeof(t))) != '\0')
		nout_printf(o, "Sexo: %s\n", after_dash(s));
	if (*(s = jget(basic, "nomeMae", t, sizeof(t))) != '\0')
		nout_printf(o, "Mãe: %s\n", s);
}

/* The financial section, when the dossier has one. */
static void
finance_put(struct nout *o, const json_t *eco, double mult)
{
	const json_t	*pa = json_object_get(eco, "poderAquisitivo");
	const json_t	*score = json_object_get(eco, "score");
	char		 t[64];
	const char	*s;
	long long	 cents;

	if (!json_is_object(eco))
		return;
	nout_puts(o, "\n💰 DADOS FINANCEIROS\n");
	s = jget(eco, "renda", t, sizeof(t));
	if (amount_parse(s, strlen(s), &cents) == 0) {
		nout_puts(o, "Renda: ");
		nout_amount(o, cents, mult);
		nout_puts(o, "\n");
	}
	if (*(s = jget(pa, "poderAquisitivoDescricao", t, sizeof(t))) != '\0')
		nout_printf(o, "Poder Aquisitivo: %s\n", s);
	if (*(s = jget(pa, "faixaPoderAquisitivo", t, sizeof(t))) != '\0') {
		nout_puts(o, "Faixa de Renda: ");
		nout_range(o, s, mult);
		nout_puts(o, "\n");
	}
	if (*(s = jget(score, "scoreCSBA", t, sizeof(t))) != '\0')
		nout_printf(o, "Score de Crédito: %s\n", s);
	if (*(s = jget(score, "scoreCSBAFaixaRisco", t, sizeof(t))) != '\0')
		nout_printf(o, "Risco: %s\n", s);
}

/*
 * A blank line, "title" and the first "max" items of "arr" whose "key" has
 * a value, numbered on from 1; nothing when no item has one.
 */
static void
list_put(struct nout *o, const json_t *arr, const char *key, size_t max,
    const char *title, item_fn *item)
{
	const json_t	*it;
	char		 t[64];
	size_t		 i, n, shown = 0;

	n = json_array_size(arr);
	for (i = 0; i < n && shown < max; i++) {
		it = json_array_get(arr, i);
		if (*jget(it, key, t, sizeof(t)) == '\0')
			continue;
		if (shown++ == 0)
			nout_printf(o, "\n%s", title);
		item(o, shown, it);
	}
}

static void
email_item(struct nout *o, size_t num, const json_t *it)
{
	char		 t1[64], t2[64];
	const char	*s = jget(it, "prioridade", t2, sizeof(t2));

	nout_printf(o, "%zu. %s%s%s%s\n", num,
	    jget(it, "email", t1, sizeof(t1)),
	    *s != '\0' ? " (" : "", s, *s != '\0' ? ")" : "");
}

static void
phone_item(struct nout *o, size_t num, const json_t *it)
{
	char		 t1[64], t2[64], t3[64];
	const char	*s = jget(it, "tipo", t2, sizeof(t2));

	nout_printf(o, "%zu. %s%s%s%s\n", num,
	    jget(it, "telefone", t1, sizeof(t1)),
	    *s != '\0' ? " - " : "", s,
	    strcmp(jget(it, "whatsapp", t3, sizeof(t3)), "SIM") == 0 ?
	    " ✅" : "");
}

static void
address_item(struct nout *o, size_t num, const json_t *it)
{
	static const char *const keys[7] = {
		"tipoLogradouro", "logradouro", "logradouroNumero", "bairro",
		"cidade", "uf", "cep",
	};
	/* Whole strings; numbers each in their own tmp. */
	const char	*a[7];
	char		 tmp[7][32];
	size_t		 k;

	for (k = 0; k < 7; k++)
		a[k] = jget(it, keys[k], tmp[k], sizeof(tmp[k]));
	nout_printf(o, "%zu. %s%s%s %s, %s - %s/%s - CEP: %s\n", num,
	    a[0], a[0][0] != '\0' ? " " : "", a[1], a[2], a[3], a[4], a[5],
	    a[6]);
}

static void
company_item(struct nout *o, size_t num, const json_t *it)
{
	char	 t1[64], t2[64];

	nout_printf(o, "%zu. CNPJ: %s - %s\n", num,
	    jget(it, "cnpj", t1, sizeof(t1)),
	    jget(it, "relacao", t2, sizeof(t2)));
}

/* One person's dossier, sections only where there is data. */
static void
dossier_put(struct nout *o, const json_t *d, const char *cpf, double mult)
{
	personal_put(o, json_object_get(d, "DadosBasicos"), cpf);
	finance_put(o, json_object_get(d, "DadosEconomicos"), mult);
	list_put(o, json_object_get(d, "emails"), "email", MAX_EMAILS,
	    "📧 EMAILS\n", email_item);
	list_put(o, json_object_get(d, "telefones"), "telefone", MAX_PHONES,
	    "📱 TELEFONES\n", phone_item);
	list_put(o, json_object_get(d, "enderecos"), "logradouro", MAX_ADDRS,
	    "🏠 ENDEREÇOS\n", address_item);
	list_put(o, json_object_get(d, "empresas"), "cnpj", MAX_COMPANIES,
	    "🏢 EMPRESAS\n", company_item);
}

/* A person without a dossier (provider down or without data). */
static void
short_put(struct nout *o, const struct ce_note_person *p,
    enum ce_note_kind k)
{
	char	 cf[20];

	cpf_fmt(p->cpf, cf, sizeof(cf));
	nout_printf(o, "%s\n", k == CE_NOTE_PARTIAL ?
	    "⏳ ENRIQUECIMENTO PARCIAL" : "ℹ️ DADOS BÁSICOS");
	if (p->name != NULL && p->name[0] != '\0')
		nout_printf(o, "Nome: %s\n", p->name);
	nout_printf(o, "CPF: %s\n", cf);
	nout_puts(o, k == CE_NOTE_PARTIAL ?
	    "Provedor de dados indisponível; nova tentativa automática.\n" :
	    "O provedor não tem dados adicionais para este CPF.\n");
}

static void
person_put(struct nout *o, const struct ce_note_person *p,
    enum ce_note_kind k, double mult)
{
	json_t	*d;

	if (o->er != CE_OK)
		return;
	if (p->dossier == NULL) {
		short_put(o, p, k == CE_NOTE_COMPLETED ? CE_NOTE_BASIC : k);
		return;
	}
	if ((d = json_loads(p->dossier, 0, NULL)) == NULL) {
		short_put(o, p, CE_NOTE_BASIC);
		return;
	}
	dossier_put(o, d, p->cpf, mult);
	json_decref(d);
}

/* The lines before the person: how the CPF was found, the name check. */
static void
found_put(struct nout *o, const struct ce_note_in *in)
{
	const struct ce_note_person *p = in->persons;

	if (p[0].source == CE_SRC_BOTH)
		nout_puts(o, "📞📧 Telefone e e-mail da mesma pessoa\n");
	else if (p[0].source == CE_SRC_PHONE)
		nout_printf(o, "📞 Encontrado pelo telefone: %s\n",
		    p[0].contact);
	else if (p[0].source == CE_SRC_FORM)
		nout_puts(o, "📝 CPF informado no formulário\n");
	else
		nout_printf(o, "📧 Encontrado pelo e-mail: %s\n", p[0].contact);
	if (in->name_mismatch)
		nout_printf(o, "⚠️ Nome diferente do Lead: %s\n",
		    in->lead_name);
	nout_puts(o, "\n");
}

/* Two people: one found by the phone, the other by the e-mail. */
static void
two_put(struct nout *o, const struct ce_note_in *in, double mult)
{
	const struct ce_note_person *p = in->persons;

	nout_puts(o, "⚠️ Telefone e e-mail relacionados a PESSOAS DIFERENTES!\n");
	if (in->name_mismatch)
		nout_printf(o, "⚠️ Nome diferente do Lead: %s\n",
		    in->lead_name);
	nout_printf(o, "\n═══ PESSOA 1 (Telefone: %s) ═══\n", p[0].contact);
	person_put(o, &p[0], in->kind, mult);
	nout_printf(o, "\n═══ PESSOA 2 (Email: %s) ═══\n", p[1].contact);
	person_put(o, &p[1], in->kind, mult);
}

/*
 * Write the note of "in" into "b" (reset first).  Returns CE_OK, or
 * CE_EINPUT when there is no note to post (a lead with no usable name),
 * or the buffer's error.  The note is at most "maxchars" characters.
 */
enum ce_err
ce_note_format(const struct ce_note_in *in, double mult, size_t maxchars,
    struct ce_buf *b)
{
	struct nout	 o = { b, CE_OK };
	char		 lead_name[256];
	int		 none;

	ce_buf_reset(b);
	ce_name_fold(in->lead_name != NULL ? in->lead_name : "", lead_name,
	    sizeof(lead_name));
	if (lead_name[0] == '\0')
		return CE_EINPUT;
	none = in->kind == CE_NOTE_UNENRICHED || in->npersons == 0;
	if (in->kind == CE_NOTE_INVALID)
		nout_puts(&o, "⚠️ CONTATO INVÁLIDO\n"
		    "Telefone e e-mail do lead ausentes ou inválidos; nenhuma "
		    "consulta de CPF foi feita.\n");
	else if (none && in->lookup_down)
		nout_puts(&o, "⏳ CONSULTA DE CPF INDISPONÍVEL\n"
		    "Os provedores de CPF não responderam; nova tentativa "
		    "automática.\n");
	else if (none)
		nout_puts(&o, "❌ CPF NÃO ENCONTRADO\n"
		    "Não foi possível identificar o CPF pelo telefone nem pelo "
		    "e-mail do lead.\n");
	else if (in->npersons == 2)
		two_put(&o, in, mult);
	else {
		found_put(&o, in);
		person_put(&o, &in->persons[0], in->kind, mult);
	}
	if (o.er != CE_OK)
		return o.er;
	/* No trailing line break. */
	while (b->len > 0 && b->data[b->len - 1] == '\n')
		b->data[--b->len] = '\0';
	ce_buf_cap_chars(b, maxchars);
	return CE_OK;
}
