/*
 * highvalue_test.c -- the high-value lead (core/highvalue.c): each reason
 * present and absent, the income and band thresholds at their boundary,
 * the multiplier applied, placeholders, nulls and other shapes counting
 * for nothing, two persons each named, the band names of
 * HIGH_VALUE_POWER, and the text bounded.
 */
#include <stdio.h>
#include <string.h>

#include <atf-c.h>

#include "core/highvalue.h"

/* The configuration's defaults: 1.9, R$ 20 000, ALTO. */
static const struct ce_hv_conf DEF = { 1.9, 20000, CE_HV_ALTO };

/*
 * A dossier whose renda, poderAquisitivoDescricao and empresas are the
 * JSON texts given (NULL: the key left out).
 */
static const char *
dossier(char *b, size_t sz, const char *renda, const char *band,
    const char *empresas)
{
	int	 n;

	n = snprintf(b, sz, "{\"status\":200,\"DadosBasicos\":{\"nome\":"
	    "\"MARIA\"},\"DadosEconomicos\":{%s%s%s\"poderAquisitivo\":{%s%s%s"
	    "\"faixaPoderAquisitivo\":\"De R$ 1 até R$ 2\"}}%s%s}",
	    renda != NULL ? "\"renda\":" : "", renda != NULL ? renda : "",
	    renda != NULL ? "," : "",
	    band != NULL ? "\"poderAquisitivoDescricao\":" : "",
	    band != NULL ? band : "", band != NULL ? "," : "",
	    empresas != NULL ? ",\"empresas\":" : "",
	    empresas != NULL ? empresas : "");
	ATF_REQUIRE(n > 0 && (size_t)n < sz);
	return b;
}

/* The reasons of one person's dossier "d" under "c", into "out". */
static size_t
judge1(const char *d, const struct ce_hv_conf *c, char *out, size_t sz)
{
	const char	*ds[1];

	ds[0] = d;
	return ce_hv_judge(ds, 1, c, out, sz);
}

/* Check that dossier "d" under "c" gives exactly "want" ("" for none). */
static void
expect(const char *d, const struct ce_hv_conf *c, const char *want)
{
	char	 out[CE_HV_TEXT_MAX];
	size_t	 n;

	n = judge1(d, c, out, sizeof(out));
	ATF_CHECK_STREQ_MSG(out, want, "dossier %s", d);
	ATF_CHECK_EQ_MSG(n == 0, want[0] == '\0', "%zu reasons for %s", n, d);
}

/* An income under a configuration, and the reason it gives ("": none). */
struct income_case {
	double		 mult;
	long long	 income;
	const char	*renda;		/* the JSON value */
	const char	*want;
};

/*
 * The income reason at its threshold: HIGH_VALUE_INCOME reached exactly,
 * missed by a cent, after INCOME_MULTIPLIER; the shapes of renda.
 */
ATF_TC_WITHOUT_HEAD(hv__income_threshold);
ATF_TC_BODY(hv__income_threshold, tc)
{
	static const struct income_case t[] = {
		{ 1.0, 20000, "\"20000,00\"", "renda R$ 20.000,00" },
		{ 1.0, 20000, "\"19999,99\"", "" },
		{ 1.0, 20000, "\"20000,01\"", "renda R$ 20.000,01" },
		/* Thousands separators, an "R$" prefix and blanks. */
		{ 1.0, 20000, "\"20.000\"", "renda R$ 20.000,00" },
		{ 1.0, 20000, "\"R$ 45.600,00 \"", "renda R$ 45.600,00" },
		/* Numbers as the provider may send them. */
		{ 1.0, 20000, "20000", "renda R$ 20.000,00" },
		{ 1.0, 20000, "19999", "" },
		{ 1.0, 20000, "20000.5", "renda R$ 20.000,50" },
		{ 1.0, 20000, "19999.99", "" },
		/* 8 500,50 x 1.9 = 16 150,95, the income the note shows. */
		{ 1.9, 16150, "\"8500,50\"", "renda R$ 16.150,95" },
		{ 1.9, 16151, "\"8500,50\"", "" },
		/* x 2: R$ 10 000 reaches R$ 20 000, a cent less does not. */
		{ 2.0, 20000, "\"10000,00\"", "renda R$ 20.000,00" },
		{ 2.0, 20000, "\"9999,99\"", "" },
		/* The default: 1.9 and R$ 20 000 (R$ 10 526,32 and up). */
		{ 1.9, 20000, "\"10526,32\"", "renda R$ 20.000,01" },
		{ 1.9, 20000, "\"10526,31\"", "" },
		/* HIGH_VALUE_INCOME=0: no income reason, however high. */
		{ 1.9, 0, "\"999999,00\"", "" },
	};
	struct ce_hv_conf	 c = DEF;
	char			 d[1024];
	size_t			 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		c.mult = t[i].mult;
		c.income = t[i].income;
		expect(dossier(d, sizeof(d), t[i].renda, NULL, NULL), &c,
		    t[i].want);
	}
}

ATF_TC_WITHOUT_HEAD(hv__income_absent);
ATF_TC_BODY(hv__income_absent, tc)
{
	static const char *const none[] = {
		"null", "\"\"", "\"SEM INFORMAÇÃO\"", "\"NÃO INFORMADO\"",
		"\"-\"", "\"R$\"", "-30000", "\"30000,00 mil\"", "true",
		"{}", "[30000]", "-1.5",
	};
	struct ce_hv_conf	 c = DEF;
	char			 d[1024];
	size_t			 i;

	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		expect(dossier(d, sizeof(d), none[i], NULL, NULL), &c, "");
	expect(dossier(d, sizeof(d), NULL, NULL, NULL), &c, "");
	expect("{\"DadosEconomicos\":null}", &c, "");
	expect("{\"DadosEconomicos\":\"30000\"}", &c, "");
}

ATF_TC_WITHOUT_HEAD(hv__power_band);
ATF_TC_BODY(hv__power_band, tc)
{
	static const struct {
		const char	*band;
		const char	*want;	/* at ALTO, the default */
	} tab[] = {
		{ "\"BAIXO\"", "" },
		{ "\"MEDIO BAIXO\"", "" },
		{ "\"MÉDIO\"", "" },
		{ "\"MÉDIO ALTO\"", "" },
		{ "\"ALTO\"", "poder aquisitivo ALTO" },
		{ "\"alto\"", "poder aquisitivo ALTO" },
		{ "\"MUITO ALTO\"", "poder aquisitivo MUITO ALTO" },
		{ "\"Muito-Alto \"", "poder aquisitivo MUITO ALTO" },
		{ "\"SEM INFORMAÇÃO\"", "" },
		{ "\"ALTÍSSIMO\"", "" },
		{ "\"MUITO ALTO RISCO\"", "" },
		{ "\"\"", "" },
		{ "null", "" },
		{ "5", "" },
	};
	struct ce_hv_conf	 c = DEF;
	char			 d[1024];
	size_t			 i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		expect(dossier(d, sizeof(d), NULL, tab[i].band, NULL), &c,
		    tab[i].want);
	/* The lowest band that counts is the configuration's. */
	c.band = CE_HV_MUITO_ALTO;
	expect(dossier(d, sizeof(d), NULL, "\"ALTO\"", NULL), &c, "");
	expect(dossier(d, sizeof(d), NULL, "\"MUITO ALTO\"", NULL), &c,
	    "poder aquisitivo MUITO ALTO");
	c.band = CE_HV_MEDIO_ALTO;
	expect(dossier(d, sizeof(d), NULL, "\"MÉDIO ALTO\"", NULL), &c,
	    "poder aquisitivo MEDIO ALTO");
	expect(dossier(d, sizeof(d), NULL, "\"MEDIO\"", NULL), &c, "");
	c.band = CE_HV_BAND__MAX;	/* off */
	expect(dossier(d, sizeof(d), NULL, "\"MUITO ALTO\"", NULL), &c, "");
}

ATF_TC_WITHOUT_HEAD(hv__administrator);
ATF_TC_BODY(hv__administrator, tc)
{
	static const char *const yes[] = {
		"[{\"cnpj\":\"1\",\"tipoRelacao\":\"SOCIO\","
		    "\"relacao\":\"SOCIO-ADMINISTRADOR\"}]",
		"[{\"cnpj\":\"1\",\"relacao\":\"ADMINISTRADOR\"}]",
		"[{\"cnpj\":\"1\",\"relacao\":\"Sócia-Administradora\"}]",
		"[{\"cnpj\":\"1\",\"relacao\":\"DIRETOR\"}]",
		"[{\"cnpj\":\"1\",\"relacao\":\"VICE-PRESIDENTE\"}]",
		"[{\"cnpj\":\"1\",\"tipoRelacao\":\"DIRETORA\","
		    "\"relacao\":null}]",
		/* The second company; two of them are one reason. */
		"[{\"cnpj\":\"1\",\"relacao\":\"SOCIO\"},{\"cnpj\":\"2\","
		    "\"relacao\":\"PRESIDENTE\"},{\"cnpj\":\"3\","
		    "\"relacao\":\"ADMINISTRADOR\"}]",
	};
	static const char *const no[] = {
		"[{\"cnpj\":\"1\",\"tipoRelacao\":\"SOCIO\","
		    "\"relacao\":\"SOCIO\"}]",
		"[{\"cnpj\":\"1\",\"tipoRelacao\":\"EMPRESARIO\","
		    "\"relacao\":\"TITULAR\"}]",
		"[{\"cnpj\":\"1\",\"tipoRelacao\":null,"
		    "\"relacao\":\"SEM INFORMAÇÃO\"}]",
		"[{\"cnpj\":\"1\",\"relacao\":null}]",
		"[{\"cnpj\":\"1\",\"relacao\":[\"ADMINISTRADOR\"]}]",
		"[]", "null", "{\"relacao\":\"ADMINISTRADOR\"}",
		"\"ADMINISTRADOR\"", "[null, 5, \"DIRETOR\"]",
	};
	char			 d[1024];
	size_t			 i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		expect(dossier(d, sizeof(d), NULL, NULL, yes[i]), &DEF,
		    "administrador de empresa");
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		expect(dossier(d, sizeof(d), NULL, NULL, no[i]), &DEF, "");
}

ATF_TC_WITHOUT_HEAD(hv__all_reasons);
ATF_TC_BODY(hv__all_reasons, tc)
{
	char			 d[1024];

	/* The reasons in a fixed order: income, band, company. */
	expect(dossier(d, sizeof(d), "\"24000,00\"", "\"MUITO ALTO\"",
	    "[{\"cnpj\":\"1\",\"relacao\":\"SOCIO-ADMINISTRADOR\"}]"), &DEF,
	    "renda R$ 45.600,00; poder aquisitivo MUITO ALTO; "
	    "administrador de empresa");
	expect(dossier(d, sizeof(d), "\"1000,00\"", "\"ALTO\"",
	    "[{\"cnpj\":\"1\",\"relacao\":\"DIRETOR\"}]"), &DEF,
	    "poder aquisitivo ALTO; administrador de empresa");
	/* An ordinary person: none. */
	expect(dossier(d, sizeof(d), "\"4000,00\"", "\"MEDIO\"",
	    "[{\"cnpj\":\"1\",\"relacao\":\"SOCIO\"}]"), &DEF, "");
}

ATF_TC_WITHOUT_HEAD(hv__two_persons);
ATF_TC_BODY(hv__two_persons, tc)
{
	char		 d1[1024], d2[1024], out[CE_HV_TEXT_MAX];
	const char	*ds[2];

	ds[0] = dossier(d1, sizeof(d1), "\"24000,00\"", "\"MEDIO\"", NULL);
	ds[1] = dossier(d2, sizeof(d2), NULL, "\"ALTO\"",
	    "[{\"cnpj\":\"1\",\"relacao\":\"ADMINISTRADOR\"}]");
	ATF_CHECK_EQ(ce_hv_judge(ds, 2, &DEF, out, sizeof(out)), 3);
	ATF_CHECK_STREQ(out, "renda R$ 45.600,00 (pessoa 1); "
	    "poder aquisitivo ALTO (pessoa 2); "
	    "administrador de empresa (pessoa 2)");
	/* Only the second has a reason; the first has no dossier. */
	ds[0] = NULL;
	ATF_CHECK_EQ(ce_hv_judge(ds, 2, &DEF, out, sizeof(out)), 2);
	ATF_CHECK_STREQ(out, "poder aquisitivo ALTO (pessoa 2); "
	    "administrador de empresa (pessoa 2)");
	/* An ordinary first person and none for the second. */
	ds[0] = dossier(d1, sizeof(d1), "\"100\"", "\"BAIXO\"", NULL);
	ds[1] = NULL;
	ATF_CHECK_EQ(ce_hv_judge(ds, 2, &DEF, out, sizeof(out)), 0);
	ATF_CHECK_STREQ(out, "");
	/* No person. */
	ATF_CHECK_EQ(ce_hv_judge(ds, 0, &DEF, out, sizeof(out)), 0);
	ATF_CHECK_STREQ(out, "");
}

ATF_TC_WITHOUT_HEAD(hv__not_a_dossier);
ATF_TC_BODY(hv__not_a_dossier, tc)
{
	static const char *const bad[] = {
		"", "not json", "[]", "null", "\"ALTO\"", "{\"DadosEconomicos\"",
		"{}", "{\"status\":404,\"reason\":\"Document not found.\"}",
	};
	char	 out[CE_HV_TEXT_MAX];
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect(bad[i], &DEF, "");
	snprintf(out, sizeof(out), "old");
	ATF_CHECK_EQ(judge1(NULL, &DEF, out, sizeof(out)), 0);
	ATF_CHECK_STREQ(out, "");
}

ATF_TC_WITHOUT_HEAD(hv__bounded);
ATF_TC_BODY(hv__bounded, tc)
{
	static const char first[] = "renda R$ 45.600,00";
	char		 d[1024], d2[1024], out[CE_HV_TEXT_MAX], big[8];
	const char	*ds[2];

	dossier(d, sizeof(d), "\"24000,00\"", "\"MUITO ALTO\"",
	    "[{\"cnpj\":\"1\",\"relacao\":\"DIRETOR\"}]");
	/* Room for the first reason only: the others left out whole. */
	ATF_CHECK_EQ(judge1(d, &DEF, out, sizeof(first)), 1);
	ATF_CHECK_STREQ(out, first);
	ATF_CHECK_EQ(judge1(d, &DEF, out, sizeof(first) + 10), 1);
	ATF_CHECK_STREQ(out, first);
	/* No room for any. */
	memset(big, 'x', sizeof(big));
	ATF_CHECK_EQ(judge1(d, &DEF, big, sizeof(big)), 0);
	ATF_CHECK_STREQ(big, "");
	ATF_CHECK_EQ(judge1(d, &DEF, NULL, 0), 0);
	/* Every reason of two persons, the largest income: it fits. */
	dossier(d, sizeof(d), "\"99.999.999.999,99\"", "\"MUITO ALTO\"",
	    "[{\"cnpj\":\"1\",\"relacao\":\"PRESIDENTE\"}]");
	memcpy(d2, d, sizeof(d2));
	ds[0] = d;
	ds[1] = d2;
	ATF_CHECK_EQ(ce_hv_judge(ds, 2, &DEF, out, sizeof(out)), 6);
	ATF_CHECK(strlen(out) < CE_HV_TEXT_MAX);
	ATF_CHECK_STREQ(out, "renda R$ 189.999.999.999,98 (pessoa 1); "
	    "poder aquisitivo MUITO ALTO (pessoa 1); "
	    "administrador de empresa (pessoa 1); "
	    "renda R$ 189.999.999.999,98 (pessoa 2); "
	    "poder aquisitivo MUITO ALTO (pessoa 2); "
	    "administrador de empresa (pessoa 2)");
	/* A hundred billion reais or more is no income. */
	expect(dossier(d, sizeof(d), "\"100.000.000.000,00\"", NULL, NULL),
	    &DEF, "");
	expect(dossier(d, sizeof(d), "\"9999999999999,00\"", NULL, NULL),
	    &DEF, "");
	expect(dossier(d, sizeof(d), "100000000000", NULL, NULL), &DEF, "");
	expect(dossier(d, sizeof(d), "1e300", NULL, NULL), &DEF, "");
}

ATF_TC_WITHOUT_HEAD(hv__band_names);
ATF_TC_BODY(hv__band_names, tc)
{
	long long	 b;

	for (b = 0; b <= CE_HV_BAND__MAX; b++)
		ATF_CHECK_EQ(ce_hv_band_parse(ce_hv_band_name(b)), b);
	ATF_CHECK_STREQ(ce_hv_band_name(CE_HV_ALTO), "ALTO");
	ATF_CHECK_STREQ(ce_hv_band_name(CE_HV_BAND__MAX), "off");
	ATF_CHECK(ce_hv_band_name(-1) == NULL);
	ATF_CHECK(ce_hv_band_name(CE_HV_BAND__MAX + 1) == NULL);
	ATF_CHECK_EQ(ce_hv_band_parse("Médio Baixo"), CE_HV_MEDIO_BAIXO);
	ATF_CHECK_EQ(ce_hv_band_parse("OFF"), CE_HV_BAND__MAX);
	ATF_CHECK_EQ(ce_hv_band_parse(""), -1);
	ATF_CHECK_EQ(ce_hv_band_parse(NULL), -1);
	ATF_CHECK_EQ(ce_hv_band_parse("ALTA"), -1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, hv__income_threshold);
	ATF_TP_ADD_TC(tp, hv__income_absent);
	ATF_TP_ADD_TC(tp, hv__power_band);
	ATF_TP_ADD_TC(tp, hv__administrator);
	ATF_TP_ADD_TC(tp, hv__all_reasons);
	ATF_TP_ADD_TC(tp, hv__two_persons);
	ATF_TP_ADD_TC(tp, hv__not_a_dossier);
	ATF_TP_ADD_TC(tp, hv__bounded);
	ATF_TP_ADD_TC(tp, hv__band_names);
	return atf_no_error();
}
