/*
 * note.c -- the enrichment note posted on a C2S lead, in Portuguese, in
 * the layout sales already reads (DESIGN.md section 5): one block per
 * person from the Work API dossier, sections only when their data exists,
 * income and income ranges multiplied by INCOME_MULTIPLIER, shorter notes
 * for partial, basic and unenriched outcomes, and the whole capped at
 * C2S_DESCRIPTION_MAX_LENGTH characters, cut on a UTF-8 boundary.
 *
 * The layout (DESIGN.md section 11.3), top to bottom:
 *  - the top block: "🔗 Mesma pessoa do lead …" (a repeat person only),
 *    how the CPF was found, "⚠️ Nome diferente do Lead",
 *    "🎯 Imóvel: <description> (ref <prop_ref>)" when the lead has a
 *    product ("🎯 Imóvel: <description>" or "🎯 Imóvel: ref <prop_ref>"
 *    with one of them), and last "⭐ Lead de alto valor: <reasons>" for
 *    a high-value lead (the caller's text, from highvalue.c).  The notes
 *    without a person (CPF not found, lookup down, invalid contact) are a
 *    top block too: their two lines, then the 🎯 line.
 *  - one section per dossier part, each after a blank line: personal data
 *    (Pai, Estado Civil, Naturalidade "<municipioNascimento>/<ufNascimento>"
 *    after Mãe), finance, e-mails (blacklist "SIM" left out, not
 *    numbered), phones (a "status" other than ATIVO marked " (inativo)"),
 *    addresses, companies ("CNPJ: 12.345.678/0001-95 - <tipoRelacao> -
 *    <relacao> (desde DD/MM/YYYY)").
 *  - "+N telefones, +M e-mails": the usable items the lists did not show
 *    (non-zero parts only, singular for 1), one line right after the last
 *    of the two lists, inside its section (no blank line before it).
 *  - a repeat person (same_lead): the top block, then "📋 RESUMO" with the
 *    name, CPF, income, purchasing power, band and the counts of phones,
 *    e-mails and addresses on file; no lists.
 * A JSON null, an empty text and a provider placeholder ("SEM
 * INFORMAÇÃO", "NÃO INFORMADO", any case and spacing) are all "absent".
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
 * Parse a Brazilian amount ("8.500,50", "8500,50", "7018") of "len" bytes
 * into cents.  Returns 0, or -1 when it is not a number.
 */
int
ce_note_amount_parse(const char *s, size_t len, long long *cents)
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

/*
 * "R$ 16.150,95" from "cents" (0 or more) into "out" of "sz" bytes
 * (CE_AMOUNT_MAX is enough for any).  Returns 0, or -1 when it does not
 * fit ("out" then holds "").
 */
int
ce_note_amount_fmt(long long cents, char *out, size_t sz)
{
	char		 d[32], g[48];
	int		 n, i, o = 0;
	long long	 whole = cents / 100;

	n = snprintf(d, sizeof(d), "%lld", whole);
	if (n <= 0) {
		if (sz > 0)
			out[0] = '\0';
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			g[o++] = '.';
		g[o++] = d[i];
	}
	g[o] = '\0';
	n = snprintf(out, sz, "R$ %s,%02lld", g, cents % 100);
	if (n < 0 || (size_t)n >= sz) {
		if (sz > 0)
			out[0] = '\0';
		return -1;
	}
	return 0;
}

/* "R$ 16.150,95" from cents. */
static enum ce_err
amount_put(struct ce_buf *b, long long cents)
{
	char	 a[CE_AMOUNT_MAX];

	if (ce_note_amount_fmt(cents, a, sizeof(a)) == -1)
		return CE_ESYSTEM;
	return ce_buf_puts(b, a);
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
		if (er == CE_OK && ce_note_amount_parse(p, n, &c) == 0) {
			er = amount_put(b, times(c, mult));
			p += n;
		} else if (er == CE_OK)
			er = ce_buf_puts(b, "R$ ");
	}
	if (er == CE_OK)
		er = ce_buf_puts(b, p);
	return er;
}

/* "s" into "out" of "sz" bytes, cut on a UTF-8 character's boundary. */
static void
copy_whole(char *out, const char *s, size_t sz)
{
	size_t	 n;

	ce_strlcpy(out, s, sz);
	n = strlen(out);
	if (s[n] == '\0')
		return;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	out[n] = '\0';
}

/* "529.982.247-25" from eleven digits. */
static void
cpf_fmt(const char *cpf, char *out, size_t sz)
{
	if (strlen(cpf) != 11) {
		copy_whole(out, cpf, sz);
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
 * Does "s" hold a value: not empty, not punctuation only, not a provider
 * placeholder such as "SEM INFORMAÇÃO"?
 */
static int
provided(const char *s)
{
	static const char *const none[] = {
		"SEM INFORMACAO", "SEM INFORMACOES", "NAO INFORMADO",
		"NAO INFORMADA",
	};
	char	 f[32];
	size_t	 i;

	if (s == NULL || *s == '\0')
		return 0;
	ce_name_fold(s, f, sizeof(f));
	if (f[0] == '\0')
		return 0;
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		if (strcmp(f, none[i]) == 0)
			return 0;
	return 1;
}

/* Is "s" empty or only blanks? */
static int
blank(const char *s)
{
	if (s == NULL)
		return 1;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	return *s == '\0';
}

/* Does the folded "a" hold the folded "b" (or the other way)? */
static int
same_words(const char *a, const char *b)
{
	char	 fa[128], fb[128];

	ce_name_fold(a, fa, sizeof(fa));
	ce_name_fold(b, fb, sizeof(fb));
	return strstr(fa, fb) != NULL || strstr(fb, fa) != NULL;
}

/* "12.345.678/0001-95" from fourteen digits; anything else as it is. */
static void
cnpj_fmt(const char *cnpj, char *out, size_t sz)
{
	if (strlen(cnpj) != 14 || strspn(cnpj, "0123456789") != 14) {
		copy_whole(out, cnpj, sz);
		return;
	}
	snprintf(out, sz, "%.2s.%.3s.%.3s/%.4s-%.2s", cnpj, cnpj + 2,
	    cnpj + 5, cnpj + 8, cnpj + 12);
}

/*
 * "DD/MM/YYYY" from "DD/MM/YYYY" or "YYYY-MM-DD" (with a time after it or
 * not) into "out" of 11 bytes: 0, or -1 when "s" is neither.
 */
static int
date_fmt(const char *s, char out[11])
{
	static const char	 dmy[] = "99/99/9999", ymd[] = "9999-99-99";
	size_t			 i;
	int			 a = 1, b = 1;

	if (strlen(s) < 10)
		return -1;
	for (i = 0; i < 10; i++) {
		int d = s[i] >= '0' && s[i] <= '9';

		a = a && (dmy[i] == '9' ? d : s[i] == dmy[i]);
		b = b && (ymd[i] == '9' ? d : s[i] == ymd[i]);
	}
	if (a && s[10] == '\0')
		memcpy(out, s, 10);
	else if (b && (s[10] == '\0' || s[10] == 'T' || s[10] == ' '))
		snprintf(out, 11, "%.2s/%.2s/%.4s", s + 8, s + 5, s);
	else
		return -1;
	out[10] = '\0';
	return 0;
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

/* "s" without line breaks or other control characters (blanks instead). */
static void
nout_line(struct nout *o, const char *s)
{
	size_t	 n;

	while (o->er == CE_OK && *s != '\0') {
		n = 0;
		while (s[n] != '\0' && (unsigned char)s[n] >= 0x20)
			n++;
		o->er = ce_buf_append(o->b, s, n);
		s += n;
		if (*s != '\0') {
			if (o->er == CE_OK)
				o->er = ce_buf_puts(o->b, " ");
			s++;
		}
	}
}

/* "label: value" of key "k" of "obj", when it holds a value. */
static void
field_put(struct nout *o, const char *label, const json_t *obj,
    const char *k)
{
	char		 t[64];
	const char	*s = jget(obj, k, t, sizeof(t));

	if (provided(s))
		nout_printf(o, "%s: %s\n", label, s);
}

/* One item of a dossier's list, numbered "num" from 1. */
typedef void	 item_fn(struct nout *, size_t num, const json_t *);

static void
personal_put(struct nout *o, const json_t *basic, const char *cpf)
{
	char		 t[64], t2[64], cf[20];
	const char	*s, *uf;

	cpf_fmt(cpf, cf, sizeof(cf));
	nout_puts(o, "✅ DADOS PESSOAIS\n");
	nout_printf(o, "Nome: %s\n", jget(basic, "nome", t, sizeof(t)));
	nout_printf(o, "CPF: %s\n", cf);
	field_put(o, "Data Nascimento", basic, "dataNascimento");
	if (provided(s = jget(basic, "sexo", t, sizeof(t))))
		nout_printf(o, "Sexo: %s\n", after_dash(s));
	field_put(o, "Mãe", basic, "nomeMae");
	field_put(o, "Pai", basic, "nomePai");
	field_put(o, "Estado Civil", basic, "estadoCivil");
	s = jget(basic, "municipioNascimento", t, sizeof(t));
	uf = jget(basic, "ufNascimento", t2, sizeof(t2));
	if (!provided(s))
		s = "";
	if (!provided(uf))
		uf = "";
	if (*s != '\0' || *uf != '\0')
		nout_printf(o, "Naturalidade: %s%s%s\n", s,
		    *s != '\0' && *uf != '\0' ? "/" : "", uf);
}

/*
 * The income lines of DadosEconomicos "eco": income, purchasing power and
 * its band, amounts multiplied by "mult".
 */
static void
income_put(struct nout *o, const json_t *eco, double mult)
{
	const json_t	*pa = json_object_get(eco, "poderAquisitivo");
	char		 t[64];
	const char	*s;
	long long	 cents;

	s = jget(eco, "renda", t, sizeof(t));
	if (ce_note_amount_parse(s, strlen(s), &cents) == 0) {
		nout_puts(o, "Renda: ");
		nout_amount(o, cents, mult);
		nout_puts(o, "\n");
	}
	field_put(o, "Poder Aquisitivo", pa, "poderAquisitivoDescricao");
	if (provided(s = jget(pa, "faixaPoderAquisitivo", t, sizeof(t)))) {
		nout_puts(o, "Faixa de Renda: ");
		nout_range(o, s, mult);
		nout_puts(o, "\n");
	}
}

/* The financial section, when the dossier has one. */
static void
finance_put(struct nout *o, const json_t *eco, double mult)
{
	const json_t	*score = json_object_get(eco, "score");

	if (!json_is_object(eco))
		return;
	nout_puts(o, "\n💰 DADOS FINANCEIROS\n");
	income_put(o, eco, mult);
	field_put(o, "Score de Crédito", score, "scoreCSBA");
	field_put(o, "Risco", score, "scoreCSBAFaixaRisco");
}

/* A list of the dossier: its key, its title, how many items shown. */
struct list {
	const char	*arr;		/* the dossier's key of the list */
	const char	*key;		/* the item's key that must have a value */
	size_t		 max;
	const char	*title;
};

static const struct list EMAILS = {
	"emails", "email", MAX_EMAILS, "📧 EMAILS\n",
};
static const struct list PHONES = {
	"telefones", "telefone", MAX_PHONES, "📱 TELEFONES\n",
};
static const struct list ADDRS = {
	"enderecos", "logradouro", MAX_ADDRS, "🏠 ENDEREÇOS\n",
};

/* An e-mail the provider marks blacklisted ("blacklist": "SIM" or true). */
static int
blacklisted(const json_t *it)
{
	const json_t	*v = json_object_get(it, "blacklist");
	char		 f[8];

	if (json_is_true(v))
		return 1;
	if (!json_is_string(v))
		return 0;
	ce_name_fold(json_string_value(v), f, sizeof(f));
	return strcmp(f, "SIM") == 0;
}

/* Is item "it" of list "l" usable: its key has a value, not blacklisted? */
static int
usable(const struct list *l, const json_t *it)
{
	char	 t[64];

	if (*jget(it, l->key, t, sizeof(t)) == '\0')
		return 0;
	return l != &EMAILS || !blacklisted(it);
}

/* How many usable items list "l" of dossier "d" has. */
static size_t
list_count(const json_t *d, const struct list *l)
{
	const json_t	*arr = json_object_get(d, l->arr);
	size_t		 i, n = json_array_size(arr), count = 0;

	for (i = 0; i < n; i++)
		count += usable(l, json_array_get(arr, i)) ? 1 : 0;
	return count;
}

/*
 * A blank line, the title and the first "max" usable items of list "l" of
 * dossier "d", numbered on from 1, each by "item"; nothing when no item is
 * usable.  Returns how many usable items were left out.
 */
static size_t
list_put(struct nout *o, const json_t *d, const struct list *l,
    item_fn *item)
{
	const json_t	*arr = json_object_get(d, l->arr), *it;
	size_t		 i, n, shown = 0, more = 0;

	n = json_array_size(arr);
	for (i = 0; i < n; i++) {
		it = json_array_get(arr, i);
		if (!usable(l, it))
			continue;
		if (shown == l->max) {
			more++;
			continue;
		}
		if (shown++ == 0)
			nout_printf(o, "\n%s", l->title);
		item(o, shown, it);
	}
	return more;
}

/* "+2 telefones, +1 e-mail": the items not shown, when any. */
static void
more_put(struct nout *o, size_t phones, size_t emails)
{
	if (phones > 0)
		nout_printf(o, "+%zu telefone%s", phones, phones > 1 ? "s" : "");
	if (emails > 0)
		nout_printf(o, "%s+%zu e-mail%s", phones > 0 ? ", " : "",
		    emails, emails > 1 ? "s" : "");
	if (phones > 0 || emails > 0)
		nout_puts(o, "\n");
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
	char		 t1[64], t2[64], t3[64], t4[64];
	const char	*s = jget(it, "tipo", t2, sizeof(t2));

	const char	*st = jget(it, "status", t4, sizeof(t4));
	char		 f[16];

	/* Active: no status, a placeholder, or "ATIVO". */
	ce_name_fold(st, f, sizeof(f));
	nout_printf(o, "%zu. %s%s%s%s%s\n", num,
	    jget(it, "telefone", t1, sizeof(t1)),
	    *s != '\0' ? " - " : "", s,
	    strcmp(jget(it, "whatsapp", t3, sizeof(t3)), "SIM") == 0 ?
	    " ✅" : "",
	    provided(st) && strcmp(f, "ATIVO") != 0 ? " (inativo)" : "");
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

/*
 * "1. CNPJ: 12.345.678/0001-95 - SOCIO - ADMINISTRADOR (desde 01/02/2015)":
 * tipoRelacao and relacao each when there, once when one holds the other;
 * the admission date when it reads as a date.
 */
static void
company_item(struct nout *o, size_t num, const json_t *it)
{
	char		 t1[64], t2[64], t3[64], t4[64], cn[32], date[11];
	const char	*tipo = jget(it, "tipoRelacao", t2, sizeof(t2));
	const char	*rel = jget(it, "relacao", t3, sizeof(t3));
	const char	*adm = jget(it, "dataAdmissao", t4, sizeof(t4));

	cnpj_fmt(jget(it, "cnpj", t1, sizeof(t1)), cn, sizeof(cn));
	if (!provided(tipo))
		tipo = "";
	if (!provided(rel))
		rel = "";
	if (*tipo != '\0' && *rel != '\0' && same_words(tipo, rel)) {
		if (strlen(tipo) > strlen(rel))
			rel = tipo;
		tipo = "";
	}
	nout_printf(o, "%zu. CNPJ: %s%s%s%s%s", num, cn,
	    *tipo != '\0' ? " - " : "", tipo, *rel != '\0' ? " - " : "", rel);
	if (date_fmt(adm, date) == 0)
		nout_printf(o, " (desde %s)", date);
	nout_puts(o, "\n");
}

static const struct list COMPANIES = {
	"empresas", "cnpj", MAX_COMPANIES, "🏢 EMPRESAS\n",
};

/* One person's dossier, sections only where there is data. */
static void
dossier_put(struct nout *o, const json_t *d, const char *cpf, double mult)
{
	size_t	 emails, phones;

	personal_put(o, json_object_get(d, "DadosBasicos"), cpf);
	finance_put(o, json_object_get(d, "DadosEconomicos"), mult);
	emails = list_put(o, d, &EMAILS, email_item);
	phones = list_put(o, d, &PHONES, phone_item);
	more_put(o, phones, emails);
	(void)list_put(o, d, &ADDRS, address_item);
	(void)list_put(o, d, &COMPANIES, company_item);
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

/*
 * "🎯 Imóvel: <description> (ref <prop_ref>)", either alone, when the lead
 * has a product.
 */
static void
product_put(struct nout *o, const struct ce_note_in *in)
{
	int	 d = !blank(in->product_desc), r = !blank(in->product_ref);

	if (!d && !r)
		return;
	nout_puts(o, "🎯 Imóvel: ");
	if (d)
		nout_line(o, in->product_desc);
	nout_puts(o, d && r ? " (ref " : r ? "ref " : "");
	if (r)
		nout_line(o, in->product_ref);
	nout_puts(o, d && r ? ")\n" : "\n");
}

/* "⭐ Lead de alto valor: <reasons>", when the lead is one. */
static void
star_put(struct nout *o, const struct ce_note_in *in)
{
	if (blank(in->high_value))
		return;
	nout_puts(o, "⭐ Lead de alto valor: ");
	nout_line(o, in->high_value);
	nout_puts(o, "\n");
}

/*
 * The lines before the person: how the CPF was found, the name check, the
 * product, the high-value line; then a blank line.
 */
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
	product_put(o, in);
	star_put(o, in);
	nout_puts(o, "\n");
}

/*
 * A repeat person's summary: name, CPF, income, purchasing power, band,
 * and how many phones, e-mails and addresses the dossier has; without a
 * dossier, the name and CPF.
 */
static void
summary_put(struct nout *o, const struct ce_note_person *p, double mult)
{
	json_t		*d = NULL;
	char		 t[64], cf[20];
	const char	*s;

	if (p->dossier != NULL)
		d = json_loads(p->dossier, 0, NULL);
	cpf_fmt(p->cpf, cf, sizeof(cf));
	nout_puts(o, "📋 RESUMO\n");
	s = jget(json_object_get(d, "DadosBasicos"), "nome", t, sizeof(t));
	if (!provided(s))
		s = p->name;
	if (provided(s))
		nout_printf(o, "Nome: %s\n", s);
	nout_printf(o, "CPF: %s\n", cf);
	if (!json_is_object(d)) {
		json_decref(d);
		return;
	}
	income_put(o, json_object_get(d, "DadosEconomicos"), mult);
	nout_printf(o, "Telefones: %zu, E-mails: %zu, Endereços: %zu\n",
	    list_count(d, &PHONES), list_count(d, &EMAILS),
	    list_count(d, &ADDRS));
	json_decref(d);
}

/* A repeat person: the pointer to the earlier lead, then the summary. */
static void
pointer_put(struct nout *o, const struct ce_note_in *in, double mult)
{
	nout_puts(o, "🔗 Mesma pessoa do lead ");
	nout_line(o, in->same_lead);
	if (!blank(in->same_date)) {
		nout_puts(o, " (enriquecido em ");
		nout_line(o, in->same_date);
		nout_puts(o, ")");
	}
	nout_puts(o, "\n");
	found_put(o, in);
	summary_put(o, &in->persons[0], mult);
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
	product_put(o, in);
	star_put(o, in);
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
	if (none || in->kind == CE_NOTE_INVALID)
		product_put(&o, in);
	else if (in->npersons == 2)
		two_put(&o, in, mult);
	else if (!blank(in->same_lead))
		pointer_put(&o, in, mult);
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
