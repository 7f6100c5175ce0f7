/*
 * name_test.c -- folding names and matching a lead's name against a
 * provider's: accents, case, particles, initials, family suffixes; and
 * the placeholders that are no name at all.
 */
#include <string.h>

#include <atf-c.h>

#include "core/name.h"

ATF_TC_WITHOUT_HEAD(name_fold__accents_case_punctuation);
ATF_TC_BODY(name_fold__accents_case_punctuation, tc)
{
	static const struct {
		const char	*in;
		const char	*out;
	} tab[] = {
		{ "João Antônio", "JOAO ANTONIO" },
		{ "Ângela D'Ávila-Simões", "ANGELA D AVILA SIMOES" },
		{ "  conceição   magalhães ", "CONCEICAO MAGALHAES" },
		{ "JOSÉ ÇÃÕÜÑ", "JOSE CAOUN" },
		{ "Zoë 😀 Ng", "ZOE NG" },	/* other scripts dropped */
		{ "", "" },
	};
	char	 out[64];
	size_t	 i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		ce_name_fold(tab[i].in, out, sizeof(out));
		ATF_CHECK_STREQ_MSG(out, tab[i].out, "'%s'", tab[i].in);
	}
	ce_name_fold("Antônio Conceição", out, 8);
	ATF_CHECK_STREQ(out, "ANTONIO");
}

ATF_TC_WITHOUT_HEAD(name_matches__tolerant);
ATF_TC_BODY(name_matches__tolerant, tc)
{
	static const struct {
		const char	*lead;
		const char	*provider;
		int		 match;
	} tab[] = {
		{ "João Silva", "JOAO ANTONIO DA SILVA", 1 },
		{ "J. Araujo Simoes", "JOÃO ANTÔNIO ARAÚJO SIMÕES", 1 },
		{ "Maria", "MARIA JOSE SOUZA", 1 },
		{ "José Carlos Filho", "JOSE CARLOS", 1 },
		{ "JOSE CARLOS JUNIOR", "JOSÉ CARLOS DE OLIVEIRA JÚNIOR", 1 },
		{ "márcia dos santos", "MARCIA SANTOS", 1 },
		{ "Pedro Santos", "JOAO SANTOS", 0 },
		{ "Ana Souza", "ANA PAULA FERREIRA", 0 },
		{ "", "JOAO", 0 },
		{ "Joao", "", 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		ATF_CHECK_EQ_MSG(ce_name_matches(tab[i].lead, tab[i].provider),
		    tab[i].match, "'%s' vs '%s'", tab[i].lead,
		    tab[i].provider);
}

ATF_TC_WITHOUT_HEAD(name_score__best_candidate_wins);
ATF_TC_BODY(name_score__best_candidate_wins, tc)
{
	const char	*lead = "Márcia Gonçalves Araújo";

	/* The full match outranks a partial one and a stranger. */
	ATF_CHECK_EQ(ce_name_score(lead, "MARCIA GONCALVES ARAUJO"), 100);
	ATF_CHECK(ce_name_score(lead, "MARCIA LIMA ARAUJO") <
	    ce_name_score(lead, "MARCIA GONCALVES DE ARAUJO"));
	ATF_CHECK_EQ(ce_name_score(lead, "PEDRO GONCALVES ARAUJO"), 0);
	/* Order matters: surnames are matched left to right. */
	ATF_CHECK(ce_name_score("Ana Lima Souza", "ANA SOUZA LIMA") < 100);
}

ATF_TC_WITHOUT_HEAD(name_placeholder__every_class);
ATF_TC_BODY(name_placeholder__every_class, tc)
{
	static const struct {
		const char	*name;
		const char	*why;
	} tab[] = {
		{ "Unknown", "placeholder" },
		{ "UNKNOWN", "placeholder" },
		{ "  unknown.  ", "placeholder" },
		{ "Desconhecido", "placeholder" },
		{ "DESCONHECIDA", "placeholder" },
		{ "desconhecido(a)", "placeholder" },
		{ "Teste", "placeholder" },
		{ "TESTE!", "placeholder" },
		{ "Test", "placeholder" },
		{ "test", "placeholder" },
		{ "Lead", "placeholder" },
		{ "LEAD", "placeholder" },
		{ "Sem nome", "placeholder" },
		{ "sem   NOME", "placeholder" },
		{ "Sem-Nome", "placeholder" },
		{ "N/A", "placeholder" },
		{ "n/a", "placeholder" },
		{ "N.A.", "placeholder" },
		{ "Não informado", "placeholder" },
		{ "null", "placeholder" },
		{ "-", "placeholder" },
		{ " - ", "placeholder" },
		{ "...", "placeholder" },
		{ "?", "placeholder" },
		{ "11987654321", "digits_only" },
		{ "(11) 98765-4321", "digits_only" },
		{ "+55 11 98765 4321", "digits_only" },
		{ "0", "digits_only" },
		{ "joao.silva@gmail.com", "email_as_name" },
		{ " Maria@Hotmail.COM ", "email_as_name" },
		{ "ana_souza.1a2b@uol.com.br", "email_as_name" },
	};
	size_t	 i;
	const char *why;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		why = ce_name_placeholder(tab[i].name);
		ATF_CHECK_MSG(why != NULL && strcmp(why, tab[i].why) == 0,
		    "'%s': %s, expected %s", tab[i].name,
		    why != NULL ? why : "(null)", tab[i].why);
	}
}

ATF_TC_WITHOUT_HEAD(name_placeholder__real_names_pass);
ATF_TC_BODY(name_placeholder__real_names_pass, tc)
{
	/* Whole names only: a word of a real name is no placeholder. */
	static const char *const tab[] = {
		"Leandro", "Testa", "Ana Lead", "Lead Souza", "Teste Silva",
		"Maria Teste", "Unknown Pleasures", "Nadia", "Na", "Ana",
		"João 2º", "Pedro II", "José da Silva", "D'Ávila",
		"Ana @ Souza", "ana@", "@souza", "Zoë Ng", "Иван",
		"陈伟", "", "   ", "Maria (mãe)",
	};
	size_t	 i;
	const char *why;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		why = ce_name_placeholder(tab[i]);
		ATF_CHECK_MSG(why == NULL, "'%s' taken for a placeholder (%s)",
		    tab[i], why != NULL ? why : "");
	}
	ATF_CHECK(ce_name_placeholder(NULL) == NULL);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, name_fold__accents_case_punctuation);
	ATF_TP_ADD_TC(tp, name_matches__tolerant);
	ATF_TP_ADD_TC(tp, name_score__best_candidate_wins);
	ATF_TP_ADD_TC(tp, name_placeholder__every_class);
	ATF_TP_ADD_TC(tp, name_placeholder__real_names_pass);
	return atf_no_error();
}
