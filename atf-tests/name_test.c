/*
 * name_test.c -- folding names and matching a lead's name against a
 * provider's: accents, case, particles, initials, family suffixes.
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

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, name_fold__accents_case_punctuation);
	ATF_TP_ADD_TC(tp, name_matches__tolerant);
	ATF_TP_ADD_TC(tp, name_score__best_candidate_wins);
	return atf_no_error();
}
