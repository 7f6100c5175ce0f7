/*
 * note.c -- the enrichment note posted on a C2S lead, in Portuguese, in
 * the layout sales already reads (DESIGN.md section 5): one block per
 * person from the Work API dossier, sections only when their data exists,
 * income and income ranges multiplied by INCOME_MULTIPLIER, shorter notes
 * for partial, basic and unenriched outcomes, and the whole capped at
 * C2S_DESCRIPTION_MAX_LENGTH characters, cut on a UTF-8 boundary.
 */
#include <math.h>
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

/* Copy "s", with each "R$ <amount>" multiplied. */
static enum ce_err
range_put(struct ce_buf *b, const char *s, double mult)
{
	const char	*p = s, *q;
	long long	 c;
	size_t		 n;
	enum ce_err	 er = CE_OK;

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

#define PUT(fmt, ...)	do {						\
	if ((er = ce_buf_printf(b, fmt, __VA_ARGS__)) != CE_OK)		\
		return er;						\
} while (0)
#define PUTS(s)	do {							\
	if ((er = ce_buf_puts(b, s)) != CE_OK)				\
		return er;						\
} while (0)

/* One person's dossier, sections only where there is data. */
static enum ce_err
dossier_put(struct ce_buf *b, const json_t *d, const char *cpf, double mult)
{
	const json_t	*basic = json_object_get(d, "DadosBasicos");
	const json_t	*eco = json_object_get(d, "DadosEconomicos");
	const json_t	*pa = json_object_get(eco, "poderAquisitivo");
	const json_t	*score = json_object_get(eco, "score");
	const json_t	*arr, *it;
	char		 t1[64], t2[64], cf[20];
	const char	*s;
	long long	 cents;
	size_t		 i, n;
	enum ce_err	 er;

	cpf_fmt(cpf, cf, sizeof(cf));
	PUTS("✅ DADOS PESSOAIS\n");
	PUT("Nome: %s\n", jget(basic, "nome", t1, sizeof(t1)));
	PUT("CPF: %s\n", cf);
	if (*(s = jget(basic, "dataNascimento", t1, sizeof(t1))) != '\0')
		PUT("Data Nascimento: %s\n", s);
	if (*(s = jget(basic, "sexo", t1, sizeof(t1))) != '\0')
		PUT("Sexo: %s\n", after_dash(s));
	if (*(s = jget(basic, "nomeMae", t1, sizeof(t1))) != '\0')
		PUT("Mãe: %s\n", s);

	if (json_is_object(eco)) {
		PUTS("💰 DADOS FINANCEIROS\n");
		s = jget(eco, "renda", t1, sizeof(t1));
		if (amount_parse(s, strlen(s), &cents) == 0) {
			PUTS("Renda: ");
			if ((er = amount_put(b, times(cents, mult))) != CE_OK)
				return er;
			PUTS("\n");
		}
		if (*(s = jget(pa, "poderAquisitivoDescricao", t1,
		    sizeof(t1))) != '\0')
			PUT("Poder Aquisitivo: %s\n", s);
		if (*(s = jget(pa, "faixaPoderAquisitivo", t1,
		    sizeof(t1))) != '\0') {
			PUTS("Faixa de Renda: ");
			if ((er = range_put(b, s, mult)) != CE_OK)
				return er;
			PUTS("\n");
		}
		if (*(s = jget(score, "scoreCSBA", t1, sizeof(t1))) != '\0')
			PUT("Score de Crédito: %s\n", s);
		if (*(s = jget(score, "scoreCSBAFaixaRisco", t1,
		    sizeof(t1))) != '\0')
			PUT("Risco: %s\n", s);
	}

	arr = json_object_get(d, "emails");
	if ((n = json_array_size(arr)) > 0) {
		PUTS("📧 EMAILS\n");
		for (i = 0; i < n && i < MAX_EMAILS; i++) {
			it = json_array_get(arr, i);
			s = jget(it, "prioridade", t2, sizeof(t2));
			PUT("%zu. %s%s%s%s\n", i + 1,
			    jget(it, "email", t1, sizeof(t1)),
			    *s != '\0' ? " (" : "", s, *s != '\0' ? ")" : "");
		}
	}
	arr = json_object_get(d, "telefones");
	if ((n = json_array_size(arr)) > 0) {
		PUTS("📱 TELEFONES\n");
		for (i = 0; i < n && i < MAX_PHONES; i++) {
			it = json_array_get(arr, i);
			s = jget(it, "tipo", t2, sizeof(t2));
			PUT("%zu. %s%s%s%s\n", i + 1,
			    jget(it, "telefone", t1, sizeof(t1)),
			    *s != '\0' ? " - " : "", s,
			    strcmp(jget(it, "whatsapp", t2, sizeof(t2)),
			    "SIM") == 0 ? " ✅" : "");
		}
	}
	arr = json_object_get(d, "enderecos");
	if ((n = json_array_size(arr)) > 0) {
		PUTS("🏠 ENDEREÇOS\n");
		for (i = 0; i < n && i < MAX_ADDRS; i++) {
			static const char *const keys[7] = {
				"tipoLogradouro", "logradouro",
				"logradouroNumero", "bairro", "cidade", "uf",
				"cep",
			};
			/* Whole strings; numbers each in their own tmp. */
			const char	*a[7];
			char		 tmp[7][32];
			size_t		 k;

			it = json_array_get(arr, i);
			for (k = 0; k < 7; k++)
				a[k] = jget(it, keys[k], tmp[k],
				    sizeof(tmp[k]));
			PUT("%zu. %s%s%s %s, %s - %s/%s - CEP: %s\n", i + 1,
			    a[0], a[0][0] != '\0' ? " " : "", a[1], a[2], a[3],
			    a[4], a[5], a[6]);
		}
	}
	arr = json_object_get(d, "empresas");
	if ((n = json_array_size(arr)) > 0) {
		PUTS("🏢 EMPRESAS\n");
		for (i = 0; i < n && i < MAX_COMPANIES; i++) {
			it = json_array_get(arr, i);
			PUT("%zu. CNPJ: %s - %s\n", i + 1,
			    jget(it, "cnpj", t1, sizeof(t1)),
			    jget(it, "relacao", t2, sizeof(t2)));
		}
	}
	return CE_OK;
}

/* A person without a dossier (provider down or without data). */
static enum ce_err
short_put(struct ce_buf *b, const struct ce_note_person *p,
    enum ce_note_kind k)
{
	char		 cf[20];
	enum ce_err	 er;

	cpf_fmt(p->cpf, cf, sizeof(cf));
	PUT("%s\n", k == CE_NOTE_PARTIAL ?
	    "⏳ ENRIQUECIMENTO PARCIAL" : "ℹ️ DADOS BÁSICOS");
	if (p->name != NULL && p->name[0] != '\0')
		PUT("Nome: %s\n", p->name);
	PUT("CPF: %s\n", cf);
	PUTS(k == CE_NOTE_PARTIAL ?
	    "Provedor de dados indisponível; nova tentativa automática.\n" :
	    "O provedor não tem dados adicionais para este CPF.\n");
	return CE_OK;
}

static enum ce_err
person_put(struct ce_buf *b, const struct ce_note_person *p,
    enum ce_note_kind k, double mult)
{
	json_t		*d;
	enum ce_err	 er;

	if (p->dossier == NULL)
		return short_put(b, p, k == CE_NOTE_COMPLETED ?
		    CE_NOTE_BASIC : k);
	if ((d = json_loads(p->dossier, 0, NULL)) == NULL)
		return short_put(b, p, CE_NOTE_BASIC);
	er = dossier_put(b, d, p->cpf, mult);
	json_decref(d);
	return er;
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
	const struct ce_note_person *p = in->persons;
	char		 lead_name[256];
	enum ce_err	 er;

	ce_buf_reset(b);
	ce_name_fold(in->lead_name != NULL ? in->lead_name : "", lead_name,
	    sizeof(lead_name));
	if (lead_name[0] == '\0')
		return CE_EINPUT;
	if (in->kind == CE_NOTE_INVALID) {
		PUTS("⚠️ CONTATO INVÁLIDO\n"
		    "Telefone e e-mail do lead ausentes ou inválidos; nenhuma "
		    "consulta de CPF foi feita.\n");
		goto out;
	}
	if ((in->kind == CE_NOTE_UNENRICHED || in->npersons == 0) &&
	    in->lookup_down) {
		PUTS("⏳ CONSULTA DE CPF INDISPONÍVEL\n"
		    "Os provedores de CPF não responderam; nova tentativa "
		    "automática.\n");
		goto out;
	}
	if (in->kind == CE_NOTE_UNENRICHED || in->npersons == 0) {
		PUTS("❌ CPF NÃO ENCONTRADO\n"
		    "Não foi possível identificar o CPF pelo telefone nem pelo "
		    "e-mail do lead.\n");
		goto out;
	}
	if (in->npersons == 2) {
		PUTS("⚠️ Telefone e e-mail relacionados a PESSOAS DIFERENTES!\n");
		if (in->name_mismatch)
			PUT("⚠️ Nome diferente do Lead: %s\n", in->lead_name);
		PUT("\n═══ PESSOA 1 (Telefone: %s) ═══\n", p[0].contact);
		if ((er = person_put(b, &p[0], in->kind, mult)) != CE_OK)
			return er;
		PUT("\n═══ PESSOA 2 (Email: %s) ═══\n", p[1].contact);
		if ((er = person_put(b, &p[1], in->kind, mult)) != CE_OK)
			return er;
		goto out;
	}
	if (p[0].source == CE_SRC_BOTH)
		PUTS("📞📧 Telefone e e-mail da mesma pessoa\n");
	else if (p[0].source == CE_SRC_PHONE)
		PUT("📞 Encontrado pelo telefone: %s\n", p[0].contact);
	else if (p[0].source == CE_SRC_FORM)
		PUTS("📝 CPF informado no formulário\n");
	else
		PUT("📧 Encontrado pelo e-mail: %s\n", p[0].contact);
	if (in->name_mismatch)
		PUT("⚠️ Nome diferente do Lead: %s\n", in->lead_name);
	PUTS("\n");
	if ((er = person_put(b, &p[0], in->kind, mult)) != CE_OK)
		return er;
out:
	/* No trailing line break. */
	while (b->len > 0 && b->data[b->len - 1] == '\n')
		b->data[--b->len] = '\0';
	ce_buf_cap_chars(b, maxchars);
	return CE_OK;
}
