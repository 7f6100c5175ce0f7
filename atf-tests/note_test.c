/*
 * note_test.c -- the note posted on a lead: the exact text of a completed
 * lead against a golden file, different people, single sources, the name
 * warning, the shorter notes, no note without a name, and the cap cut on
 * a UTF-8 boundary; null list items skipped with continuous numbering,
 * the bottom income band and another.
 */
#include <stdio.h>
#include <string.h>

#include <atf-c.h>

#include "core/note.h"

static char dossier[65536];

static void
slurp(const atf_tc_t *tc, const char *name, char *b, size_t sz)
{
	char	 path[1024];
	FILE	*f;
	size_t	 n;

	snprintf(path, sizeof(path), "%s/expected/%s",
	    atf_tc_get_config_var(tc, "srcdir"), name);
	ATF_REQUIRE_MSG((f = fopen(path, "r")) != NULL, "%s", path);
	n = fread(b, 1, sz - 1, f);
	fclose(f);
	b[n] = '\0';
}

static struct ce_note_in
completed(const atf_tc_t *tc)
{
	struct ce_note_in	 in;

	slurp(tc, "dossier-1.json", dossier, sizeof(dossier));
	memset(&in, 0, sizeof(in));
	in.kind = CE_NOTE_COMPLETED;
	in.lead_name = "Márcia Simões";
	in.npersons = 1;
	in.persons[0].source = CE_SRC_BOTH;
	in.persons[0].contact = "11991234567";
	in.persons[0].cpf = "52998224725";
	in.persons[0].dossier = dossier;
	return in;
}

static size_t
chars(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

ATF_TC_WITHOUT_HEAD(note__completed_golden);
ATF_TC_BODY(note__completed_golden, tc)
{
	struct ce_note_in	 in = completed(tc);
	struct ce_buf		 b;
	static char		 want[65536];

	slurp(tc, "note-completed.txt", want, sizeof(want));
	ce_buf_init(&b, 65536);
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	ATF_CHECK_STREQ_MSG(b.data, want, "note differs from the golden file");
	ce_buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(note__multiplier_configurable);
ATF_TC_BODY(note__multiplier_configurable, tc)
{
	struct ce_note_in	 in = completed(tc);
	struct ce_buf		 b;

	ce_buf_init(&b, 65536);
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.0, 5000, &b), CE_OK);
	ATF_CHECK(strstr(b.data, "Renda: R$ 8.500,50\n") != NULL);
	ATF_CHECK(strstr(b.data, "De R$ 7.018,00 até R$ 15.000,00") != NULL);
	ce_buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(note__different_people);
ATF_TC_BODY(note__different_people, tc)
{
	struct ce_note_in	 in = completed(tc);
	struct ce_buf		 b;

	in.npersons = 2;
	in.persons[0].source = CE_SRC_PHONE;
	in.persons[1] = in.persons[0];
	in.persons[1].source = CE_SRC_EMAIL;
	in.persons[1].contact = "outra@gmail.com";
	in.persons[1].cpf = "11144477735";
	in.persons[1].name = "OUTRA PESSOA";
	in.persons[1].dossier = NULL;
	ce_buf_init(&b, 65536);
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	ATF_CHECK(strncmp(b.data, "⚠️ Telefone e e-mail relacionados a "
	    "PESSOAS DIFERENTES!\n", strlen("⚠️ Telefone e e-mail "
	    "relacionados a PESSOAS DIFERENTES!\n")) == 0);
	ATF_CHECK(strstr(b.data, "═══ PESSOA 1 (Telefone: 11991234567) ═══\n"
	    "✅ DADOS PESSOAIS") != NULL);
	ATF_CHECK(strstr(b.data, "═══ PESSOA 2 (Email: outra@gmail.com) ═══\n"
	    "ℹ️ DADOS BÁSICOS\nNome: OUTRA PESSOA\nCPF: 111.444.777-35")
	    != NULL);
	ATF_CHECK(strstr(b.data, "mesma pessoa") == NULL);
	ce_buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(note__single_source_and_warning);
ATF_TC_BODY(note__single_source_and_warning, tc)
{
	struct ce_note_in	 in = completed(tc);
	struct ce_buf		 b;

	in.persons[0].source = CE_SRC_EMAIL;
	in.persons[0].contact = "marcia.simoes@gmail.com";
	in.name_mismatch = 1;
	in.lead_name = "Ana Souza";
	ce_buf_init(&b, 65536);
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	ATF_CHECK(strncmp(b.data, "📧 Encontrado pelo e-mail: "
	    "marcia.simoes@gmail.com\n⚠️ Nome diferente do Lead: Ana Souza\n\n"
	    "✅ DADOS PESSOAIS\n", 60) == 0);
	ATF_CHECK(strstr(b.data, "⚠️ Nome diferente do Lead: Ana Souza\n\n")
	    != NULL);
	in.persons[0].source = CE_SRC_PHONE;
	in.persons[0].contact = "11991234567";
	in.name_mismatch = 0;
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	ATF_CHECK(strncmp(b.data, "📞 Encontrado pelo telefone: 11991234567\n"
	    "\n", strlen("📞 Encontrado pelo telefone: 11991234567\n\n")) == 0);
	ATF_CHECK(strstr(b.data, "Nome diferente") == NULL);
	ce_buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(note__shorter_outcomes);
ATF_TC_BODY(note__shorter_outcomes, tc)
{
	struct ce_note_in	 in = completed(tc);
	struct ce_buf		 b;

	ce_buf_init(&b, 65536);
	in.kind = CE_NOTE_PARTIAL;
	in.persons[0].dossier = NULL;
	in.persons[0].name = "MÁRCIA SIMÕES";
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	ATF_CHECK(strstr(b.data, "⏳ ENRIQUECIMENTO PARCIAL\nNome: MÁRCIA "
	    "SIMÕES\nCPF: 529.982.247-25\nProvedor de dados indisponível")
	    != NULL);
	ATF_CHECK(strstr(b.data, "DADOS FINANCEIROS") == NULL);
	in.kind = CE_NOTE_BASIC;
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	ATF_CHECK(strstr(b.data, "ℹ️ DADOS BÁSICOS\n") != NULL);
	in.kind = CE_NOTE_UNENRICHED;
	in.npersons = 0;
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	ATF_CHECK_STREQ(b.data, "❌ CPF NÃO ENCONTRADO\nNão foi possível "
	    "identificar o CPF pelo telefone nem pelo e-mail do lead.");
	in.lookup_down = 1;
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	ATF_CHECK_STREQ(b.data, "⏳ CONSULTA DE CPF INDISPONÍVEL\nOs "
	    "provedores de CPF não responderam; nova tentativa automática.");
	in.lookup_down = 0;
	in.kind = CE_NOTE_INVALID;
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	ATF_CHECK_STREQ(b.data, "⚠️ CONTATO INVÁLIDO\nTelefone e e-mail do "
	    "lead ausentes ou inválidos; nenhuma consulta de CPF foi feita.");
	ce_buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(note__no_name_no_note);
ATF_TC_BODY(note__no_name_no_note, tc)
{
	struct ce_note_in	 in = completed(tc);
	struct ce_buf		 b;

	ce_buf_init(&b, 65536);
	in.lead_name = NULL;
	ATF_CHECK_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_EINPUT);
	in.lead_name = " .- ";
	ATF_CHECK_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_EINPUT);
	ATF_CHECK_EQ(b.len, 0);
	ce_buf_free(&b);
}

/* A dossier with null and empty list entries, and income band "band". */
static struct ce_note_in
sparse(const char *band)
{
	static char		 d[2048];
	struct ce_note_in	 in;

	snprintf(d, sizeof(d), "{\"DadosBasicos\":{\"nome\":\"ANA\"},"
	    "\"DadosEconomicos\":{\"renda\":\"1000\",\"poderAquisitivo\":"
	    "{\"faixaPoderAquisitivo\":\"%s\"}},"
	    "\"emails\":[{\"email\":\"a@x.com\",\"prioridade\":\"ALTA\"},"
	    "{\"prioridade\":\"MEDIA\"},{\"email\":null},{\"email\":\"\"},"
	    "null,{\"email\":\"b@x.com\"},{\"email\":\"c@x.com\"},"
	    "{\"email\":\"d@x.com\"}],"
	    "\"telefones\":[null,{\"telefone\":null,\"tipo\":\"MOVEL\"},"
	    "{\"telefone\":\"11991234567\",\"tipo\":\"MOVEL\"}],"
	    "\"enderecos\":[{\"logradouro\":null},{}],"
	    "\"empresas\":[null]}", band);
	memset(&in, 0, sizeof(in));
	in.kind = CE_NOTE_COMPLETED;
	in.lead_name = "Ana";
	in.npersons = 1;
	in.persons[0].source = CE_SRC_BOTH;
	in.persons[0].cpf = "52998224725";
	in.persons[0].dossier = d;
	return in;
}

ATF_TC_WITHOUT_HEAD(note__null_items_skipped);
ATF_TC_BODY(note__null_items_skipped, tc)
{
	struct ce_note_in	 in = sparse("De R$ 1 até R$ 2640");
	struct ce_buf		 b;

	ce_buf_init(&b, 65536);
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	/* Empty e-mail entries skipped, numbering continuous, still 3. */
	ATF_CHECK_MSG(strstr(b.data, "\n\n📧 EMAILS\n1. a@x.com (ALTA)\n"
	    "2. b@x.com\n3. c@x.com\n\n📱") != NULL, "%s", b.data);
	ATF_CHECK(strstr(b.data, "(MEDIA)") == NULL);
	ATF_CHECK(strstr(b.data, "d@x.com") == NULL);
	ATF_CHECK(strstr(b.data, "\n\n📱 TELEFONES\n1. 11991234567 - MOVEL")
	    != NULL);
	/* A list with no usable item has no section at all. */
	ATF_CHECK(strstr(b.data, "ENDEREÇOS") == NULL);
	ATF_CHECK(strstr(b.data, "EMPRESAS") == NULL);
	ce_buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(note__bottom_band);
ATF_TC_BODY(note__bottom_band, tc)
{
	struct ce_note_in	 in = sparse("De R$ 1 até R$ 2640");
	struct ce_buf		 b;

	(void)tc;
	ce_buf_init(&b, 65536);
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	/* 2640 x 1.9 = 5016 */
	ATF_CHECK_MSG(strstr(b.data, "\nFaixa de Renda: Até R$ 5.016,00\n")
	    != NULL, "%s", b.data);
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.0, 5000, &b), CE_OK);
	ATF_CHECK(strstr(b.data, "\nFaixa de Renda: Até R$ 2.640,00\n")
	    != NULL);
	ce_buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(note__other_band);
ATF_TC_BODY(note__other_band, tc)
{
	struct ce_note_in	 in = sparse("De R$ 2641 até R$ 7017");
	struct ce_buf		 b;

	(void)tc;
	ce_buf_init(&b, 65536);
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	/* 2641 x 1.9 = 5017,90; 7017 x 1.9 = 13332,30; 1000 x 1.9 = 1900 */
	ATF_CHECK_MSG(strstr(b.data, "\nRenda: R$ 1.900,00\n"
	    "Faixa de Renda: De R$ 5.017,90 até R$ 13.332,30\n") != NULL,
	    "%s", b.data);
	ce_buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(note__cap_on_utf8_boundary);
ATF_TC_BODY(note__cap_on_utf8_boundary, tc)
{
	struct ce_note_in	 in = completed(tc);
	struct ce_buf		 full, b;
	size_t			 cap;

	ce_buf_init(&full, 65536);
	ce_buf_init(&b, 65536);
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 100000, &full), CE_OK);
	for (cap = 1; cap < chars(full.data) + 5; cap += 7) {
		ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, cap, &b), CE_OK);
		ATF_CHECK_MSG(chars(b.data) <= cap, "cap %zu: %zu chars", cap,
		    chars(b.data));
		/* A prefix of the whole note, cut between characters. */
		ATF_CHECK(strncmp(b.data, full.data, b.len) == 0);
		ATF_CHECK(b.len == full.len ||
		    ((unsigned char)full.data[b.len] & 0xC0) != 0x80);
	}
	ce_buf_free(&full);
	ce_buf_free(&b);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, note__completed_golden);
	ATF_TP_ADD_TC(tp, note__multiplier_configurable);
	ATF_TP_ADD_TC(tp, note__different_people);
	ATF_TP_ADD_TC(tp, note__single_source_and_warning);
	ATF_TP_ADD_TC(tp, note__shorter_outcomes);
	ATF_TP_ADD_TC(tp, note__no_name_no_note);
	ATF_TP_ADD_TC(tp, note__cap_on_utf8_boundary);
	ATF_TP_ADD_TC(tp, note__null_items_skipped);
	ATF_TP_ADD_TC(tp, note__bottom_band);
	ATF_TP_ADD_TC(tp, note__other_band);
	return atf_no_error();
}
