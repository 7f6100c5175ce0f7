/*
 * highvalue.c -- the high-value lead (DESIGN.md 11.4): from the Work API
 * dossiers of a lead's persons and the configuration, the reasons it is
 * one, in the Portuguese sales read, each listed, joined by "; ":
 *  - "renda R$ 45.600,00": DadosEconomicos.renda times INCOME_MULTIPLIER
 *    (the income the note shows) at or above HIGH_VALUE_INCOME;
 *  - "poder aquisitivo MUITO ALTO": poderAquisitivoDescricao at or above
 *    the band HIGH_VALUE_POWER (ALTO by default);
 *  - "administrador de empresa": a company of "empresas" whose relacao or
 *    tipoRelacao holds ADMINISTRADOR, DIRETOR or PRESIDENTE (any case,
 *    accents aside: SÓCIO-ADMINISTRADOR, DIRETORA, VICE-PRESIDENTE, ...).
 * A JSON null, a placeholder ("SEM INFORMAÇÃO") or anything that does
 * not read as an amount or a band counts for nothing.  For a lead of two
 * persons each reason names whose it is: "... (pessoa 2)", the note's
 * "PESSOA 2" block.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/highvalue.h"
#include "core/name.h"
#include "core/note.h"

/* The bands as ce_name_fold() writes them, in enum ce_hv_band's order. */
static const char *const bands[CE_HV_BAND__MAX] = {
	"BAIXO", "MEDIO BAIXO", "MEDIO", "MEDIO ALTO", "ALTO", "MUITO ALTO",
};

/* The words of a company relation that make its person an administrator. */
static const char *const admin_words[] = {
	"ADMINISTRADOR", "DIRETOR", "PRESIDENTE",
};

/*
 * An amount of this many cents (a hundred billion reais) or more is no
 * income: a typo, or digits ce_note_amount_parse() stopped counting.
 */
#define CENTS_MAX	10000000000000LL

/*
 * The band "s" names (any case, accents, spacing and hyphens aside), or
 * CE_HV_BAND__MAX for "off" (HIGH_VALUE_POWER); -1 for anything else.
 */
int
ce_hv_band_parse(const char *s)
{
	char	 f[32];
	size_t	 i;

	if (s == NULL)
		return -1;
	ce_name_fold(s, f, sizeof(f));
	for (i = 0; i < CE_HV_BAND__MAX; i++)
		if (strcmp(f, bands[i]) == 0)
			return (int)i;
	return strcmp(f, "OFF") == 0 ? CE_HV_BAND__MAX : -1;
}

/* The name of band "b" ("MUITO ALTO"), "off", or NULL out of range. */
const char *
ce_hv_band_name(long long b)
{
	if (b >= 0 && b < CE_HV_BAND__MAX)
		return bands[b];
	return b == CE_HV_BAND__MAX ? "off" : NULL;
}

/*
 * The income "v" (a string "8.500,50", "R$ 8500,50", or a number) in
 * cents into "cents".  Returns 0, or -1 when it reads as no amount.
 */
static int
income_cents(const json_t *v, long long *cents)
{
	const char	*s;
	size_t		 len;
	double		 d;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 ||
		    json_integer_value(v) >= CENTS_MAX / 100)
			return -1;
		*cents = (long long)json_integer_value(v) * 100;
		return 0;
	}
	if (json_is_real(v)) {
		d = json_real_value(v) * 100;
		if (!isfinite(d) || d < 0 || d >= (double)CENTS_MAX)
			return -1;
		*cents = llround(d);
		return 0;
	}
	if ((s = json_string_value(v)) == NULL)
		return -1;
	if (strncmp(s, "R$", 2) == 0)
		s += 2;
	s += strspn(s, " ");
	len = strlen(s);
	while (len > 0 && s[len - 1] == ' ')
		len--;
	if (ce_note_amount_parse(s, len, cents) == -1 || *cents >= CENTS_MAX)
		return -1;
	return 0;
}

/* Does relation "v" (a JSON value) name an administrator? */
static int
admin_relation(const json_t *v)
{
	char	 f[128];
	size_t	 i;

	if (!json_is_string(v))
		return 0;
	ce_name_fold(json_string_value(v), f, sizeof(f));
	for (i = 0; i < sizeof(admin_words) / sizeof(admin_words[0]); i++)
		if (strstr(f, admin_words[i]) != NULL)
			return 1;
	return 0;
}

/* The text being written: reasons appended whole, or not at all. */
struct hv_out {
	char	*b;
	size_t	 sz, len, n;
};

/* Append reason "r" with "suffix", after "; " unless it is the first. */
static void
reason_add(struct hv_out *o, const char *r, const char *suffix)
{
	int	 k;

	if (o->sz == 0)
		return;
	k = snprintf(o->b + o->len, o->sz - o->len, "%s%s%s",
	    o->n > 0 ? "; " : "", r, suffix);
	if (k < 0 || (size_t)k >= o->sz - o->len) {
		o->b[o->len] = '\0';	/* it does not fit: left out */
		return;
	}
	o->len += (size_t)k;
	o->n++;
}

/* The reasons of dossier "d", each followed by "suffix". */
static void
person_judge(const json_t *d, const struct ce_hv_conf *c,
    const char *suffix, struct hv_out *o)
{
	const json_t	*eco = json_object_get(d, "DadosEconomicos");
	const json_t	*arr, *it;
	char		 r[16 + CE_AMOUNT_MAX], a[CE_AMOUNT_MAX];
	long long	 cents;
	size_t		 i;
	int		 b;

	if (c->income > 0 &&
	    income_cents(json_object_get(eco, "renda"), &cents) == 0) {
		cents = llround((double)cents * c->mult);
		if (cents >= c->income * 100 &&
		    ce_note_amount_fmt(cents, a, sizeof(a)) == 0) {
			snprintf(r, sizeof(r), "renda %s", a);
			reason_add(o, r, suffix);
		}
	}
	b = ce_hv_band_parse(json_string_value(json_object_get(
	    json_object_get(eco, "poderAquisitivo"),
	    "poderAquisitivoDescricao")));
	if (c->band < CE_HV_BAND__MAX && b >= c->band && b < CE_HV_BAND__MAX) {
		snprintf(r, sizeof(r), "poder aquisitivo %s", bands[b]);
		reason_add(o, r, suffix);
	}
	arr = json_object_get(d, "empresas");
	for (i = 0; i < json_array_size(arr); i++) {
		it = json_array_get(arr, i);
		if (admin_relation(json_object_get(it, "relacao")) ||
		    admin_relation(json_object_get(it, "tipoRelacao"))) {
			reason_add(o, "administrador de empresa", suffix);
			break;
		}
	}
}

/*
 * Judge a lead of "n" persons (1 or 2; more are ignored) by their Work
 * API dossiers (JSON text; NULL, or text that is not a JSON object, has
 * no reason): write its reasons into "out" of "outsz" bytes, joined by
 * "; ", the first person's first; for two persons each reason ends in
 * whose it is (" (pessoa 2)"); "" when none.  A reason that does not fit
 * is left out whole (CE_HV_TEXT_MAX holds them all).  Returns how many
 * reasons were written.
 */
size_t
ce_hv_judge(const char *const *dossiers, size_t n,
    const struct ce_hv_conf *c, char *out, size_t outsz)
{
	struct hv_out	 o = { out, outsz, 0, 0 };
	char		 suffix[16];
	json_t		*d;
	size_t		 i;

	if (outsz > 0)
		out[0] = '\0';
	if (n > 2)
		n = 2;
	for (i = 0; i < n; i++) {
		if (dossiers[i] == NULL ||
		    (d = json_loads(dossiers[i], 0, NULL)) == NULL)
			continue;
		if (n == 2)
			snprintf(suffix, sizeof(suffix), " (pessoa %zu)", i + 1);
		else
			suffix[0] = '\0';
		if (json_is_object(d))
			person_judge(d, c, suffix, &o);
		json_decref(d);
	}
	return o.n;
}
