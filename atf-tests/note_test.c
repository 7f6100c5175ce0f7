/*
 * note_test.c -- the note posted on a lead: the exact text of a completed
 * lead against a golden file, different people, single sources, the name
 * warning, the shorter notes, no note without a name, and the cap cut on
 * a UTF-8 boundary; null list items skipped with continuous numbering,
 * the bottom income band and another; golden notes of different people,
 * basic, partial, a repeat person and a lead with a product; each added
 * field present and absent (father, marital status, birthplace,
 * blacklisted e-mails, inactive phones, companies' relation and date, the
 * "+N" counts, the product line); the high-value line ("⭐ Lead de alto
 * valor: …") in a golden note and in each kind of note.
 */
#include <stdio.h>
#include <string.h>

#include <atf-c.h>

#include "core/highvalue.h"
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

/* The note of "in" (multiplier 1.9, cap 5000) against golden "name". */
static void
golden(const atf_tc_t *tc, const struct ce_note_in *in, const char *name)
{
	struct ce_buf		 b;
	static char		 want[65536];

	/* A golden file, like a note, ends in no line break. */
	slurp(tc, name, want, sizeof(want));
	ce_buf_init(&b, 65536);
	ATF_REQUIRE_EQ(ce_note_format(in, 1.9, 5000, &b), CE_OK);
	ATF_CHECK_STREQ_MSG(b.data, want, "note differs from %s:\n%s", name,
	    b.data);
	ce_buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(note__completed_golden);
ATF_TC_BODY(note__completed_golden, tc)
{
	struct ce_note_in	 in = completed(tc);

	golden(tc, &in, "note-completed.txt");
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

/*
 * Different people: the completed person found by phone, and another by
 * e-mail, without a dossier.
 */
static struct ce_note_in
two_persons(const atf_tc_t *tc)
{
	struct ce_note_in	 in = completed(tc);

	in.npersons = 2;
	in.persons[0].source = CE_SRC_PHONE;
	in.persons[1] = in.persons[0];
	in.persons[1].source = CE_SRC_EMAIL;
	in.persons[1].contact = "outra@gmail.com";
	in.persons[1].cpf = "11144477735";
	in.persons[1].name = "OUTRA PESSOA";
	in.persons[1].dossier = NULL;
	return in;
}

ATF_TC_WITHOUT_HEAD(note__different_people);
ATF_TC_BODY(note__different_people, tc)
{
	struct ce_note_in	 in = two_persons(tc);
	struct ce_buf		 b;

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

ATF_TC_WITHOUT_HEAD(note__different_people_golden);
ATF_TC_BODY(note__different_people_golden, tc)
{
	struct ce_note_in	 in = two_persons(tc);

	in.name_mismatch = 1;
	in.lead_name = "Márcia Souza";
	in.product_desc = "Casa 3 dormitórios, Alphaville";
	golden(tc, &in, "note-different.txt");
}

ATF_TC_WITHOUT_HEAD(note__basic_golden);
ATF_TC_BODY(note__basic_golden, tc)
{
	struct ce_note_in	 in = completed(tc);

	in.kind = CE_NOTE_BASIC;
	in.persons[0].source = CE_SRC_PHONE;
	in.persons[0].dossier = NULL;
	in.persons[0].name = "MÁRCIA CONCEIÇÃO ARAÚJO SIMÕES";
	golden(tc, &in, "note-basic.txt");
}

ATF_TC_WITHOUT_HEAD(note__partial_golden);
ATF_TC_BODY(note__partial_golden, tc)
{
	struct ce_note_in	 in = completed(tc);

	in.kind = CE_NOTE_PARTIAL;
	in.name_mismatch = 1;
	in.lead_name = "Ana Souza";
	in.persons[0].source = CE_SRC_EMAIL;
	in.persons[0].contact = "marcia.simoes@gmail.com";
	in.persons[0].dossier = NULL;
	in.persons[0].name = "MÁRCIA CONCEIÇÃO ARAÚJO SIMÕES";
	in.product_ref = "AP0412";
	golden(tc, &in, "note-partial.txt");
}

/* The completed note found by phone, of a lead with a product. */
static struct ce_note_in
with_product(const atf_tc_t *tc)
{
	struct ce_note_in	 in = completed(tc);

	in.persons[0].source = CE_SRC_PHONE;
	in.product_desc = "Apartamento 2 quartos\nMoema";
	in.product_ref = "AP0412";
	return in;
}

ATF_TC_WITHOUT_HEAD(note__product_golden);
ATF_TC_BODY(note__product_golden, tc)
{
	struct ce_note_in	 in = with_product(tc);

	golden(tc, &in, "note-product.txt");
}

ATF_TC_WITHOUT_HEAD(note__repeat_golden);
ATF_TC_BODY(note__repeat_golden, tc)
{
	struct ce_note_in	 in = completed(tc);

	in.same_lead = "0123456789abcdef0123456789abcdef";
	in.same_date = "02/12/2026";
	in.product_desc = "Casa 3 dormitórios, Alphaville";
	in.product_ref = "CA0099";
	golden(tc, &in, "note-repeat.txt");
}

ATF_TC_WITHOUT_HEAD(note__repeat_without_dossier);
ATF_TC_BODY(note__repeat_without_dossier, tc)
{
	struct ce_note_in	 in = completed(tc);
	struct ce_buf		 b;

	ce_buf_init(&b, 65536);
	in.kind = CE_NOTE_BASIC;
	in.same_lead = "0123456789abcdef0123456789abcdef";
	in.same_date = NULL;
	in.persons[0].source = CE_SRC_PHONE;
	in.persons[0].dossier = NULL;
	in.persons[0].name = "MÁRCIA SIMÕES";
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	ATF_CHECK_STREQ(b.data, "🔗 Mesma pessoa do lead "
	    "0123456789abcdef0123456789abcdef\n"
	    "📞 Encontrado pelo telefone: 11991234567\n\n"
	    "📋 RESUMO\nNome: MÁRCIA SIMÕES\nCPF: 529.982.247-25");
	/* Without a name either: the CPF alone. */
	in.persons[0].name = NULL;
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	ATF_CHECK(strstr(b.data, "📋 RESUMO\nCPF: 529.982.247-25") != NULL);
	ATF_CHECK(strstr(b.data, "Nome:") == NULL);
	/* No pointer without a lead: the note of its own. */
	in.same_lead = "";
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	ATF_CHECK(strstr(b.data, "🔗") == NULL);
	ATF_CHECK(strstr(b.data, "ℹ️ DADOS BÁSICOS\n") != NULL);
	ce_buf_free(&b);
}

/* Does the note in "b" end with "s"? */
static int
ends(const struct ce_buf *b, const char *s)
{
	size_t	 n = strlen(s);

	return b->len >= n && strcmp(b->data + b->len - n, s) == 0;
}

/*
 * A completed note of a dossier of name ANA, with "basic" more fields of
 * DadosBasicos and "rest" more top-level keys (each starting with a
 * comma, or empty), into "b".
 */
static void
mini(const char *basic, const char *rest, struct ce_buf *b)
{
	static char		 d[4096];
	struct ce_note_in	 in;

	snprintf(d, sizeof(d), "{\"DadosBasicos\":{\"nome\":\"ANA\"%s}%s}",
	    basic, rest);
	memset(&in, 0, sizeof(in));
	in.kind = CE_NOTE_COMPLETED;
	in.lead_name = "Ana";
	in.npersons = 1;
	in.persons[0].source = CE_SRC_BOTH;
	in.persons[0].cpf = "52998224725";
	in.persons[0].dossier = d;
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, b), CE_OK);
}

ATF_TC_WITHOUT_HEAD(note__father);
ATF_TC_BODY(note__father, tc)
{
	static const char *const none[] = {
		",\"nomePai\":\"SEM INFORMAÇÃO\"",
		",\"nomePai\":\"  sem   informação \"",
		",\"nomePai\":\"SEM INFORMACAO\"",
		",\"nomePai\":\"\"",
		",\"nomePai\":null",
		"",
	};
	struct ce_buf	 b;
	size_t		 i;

	(void)tc;
	ce_buf_init(&b, 65536);
	mini(",\"nomeMae\":\"MARIA\",\"nomePai\":\"JOSÉ SILVA\"", "", &b);
	ATF_CHECK_MSG(strstr(b.data, "\nMãe: MARIA\nPai: JOSÉ SILVA") != NULL,
	    "%s", b.data);
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		mini(none[i], "", &b);
		ATF_CHECK_MSG(strstr(b.data, "Pai") == NULL, "%s: %s",
		    none[i], b.data);
		ATF_CHECK(strstr(b.data, "INFORMA") == NULL);
	}
	ce_buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(note__marital_status);
ATF_TC_BODY(note__marital_status, tc)
{
	struct ce_buf	 b;

	(void)tc;
	ce_buf_init(&b, 65536);
	mini(",\"estadoCivil\":\"UNIAO ESTAVEL\"", "", &b);
	ATF_CHECK_MSG(strstr(b.data, "\nEstado Civil: UNIAO ESTAVEL") != NULL,
	    "%s", b.data);
	mini(",\"estadoCivil\":\"Sem Informação\"", "", &b);
	ATF_CHECK(strstr(b.data, "Estado Civil") == NULL);
	mini(",\"estadoCivil\":null", "", &b);
	ATF_CHECK(strstr(b.data, "Estado Civil") == NULL);
	mini("", "", &b);
	ATF_CHECK(strstr(b.data, "Estado Civil") == NULL);
	ce_buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(note__birthplace);
ATF_TC_BODY(note__birthplace, tc)
{
	struct ce_buf	 b;

	(void)tc;
	ce_buf_init(&b, 65536);
	mini(",\"municipioNascimento\":\"RECIFE\",\"ufNascimento\":\"PE\"", "",
	    &b);
	ATF_CHECK_MSG(strstr(b.data, "\nNaturalidade: RECIFE/PE") != NULL,
	    "%s", b.data);
	mini(",\"municipioNascimento\":\"RECIFE\",\"ufNascimento\":null", "",
	    &b);
	ATF_CHECK_MSG(ends(&b, "\nNaturalidade: RECIFE"), "%s", b.data);
	mini(",\"municipioNascimento\":\"SEM INFORMAÇÃO\","
	    "\"ufNascimento\":\"PE\"", "", &b);
	ATF_CHECK(strstr(b.data, "\nNaturalidade: PE") != NULL);
	mini(",\"municipioNascimento\":\"SEM INFORMAÇÃO\","
	    "\"ufNascimento\":\"SEM INFORMAÇÃO\"", "", &b);
	ATF_CHECK(strstr(b.data, "Naturalidade") == NULL);
	mini(",\"municipioNascimento\":null", "", &b);
	ATF_CHECK(strstr(b.data, "Naturalidade") == NULL);
	mini("", "", &b);
	ATF_CHECK(strstr(b.data, "Naturalidade") == NULL);
	ce_buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(note__blacklisted_email);
ATF_TC_BODY(note__blacklisted_email, tc)
{
	struct ce_buf	 b;

	(void)tc;
	ce_buf_init(&b, 65536);
	mini("", ",\"emails\":[{\"email\":\"a@x.com\",\"blacklist\":\"NAO\"},"
	    "{\"email\":\"spam@x.com\",\"blacklist\":\"SIM\"},"
	    "{\"email\":\"b@x.com\",\"blacklist\":null},"
	    "{\"email\":\"spam2@x.com\",\"blacklist\":\"sim\"},"
	    "{\"email\":\"c@x.com\"}]", &b);
	ATF_CHECK_MSG(strstr(b.data, "\n📧 EMAILS\n1. a@x.com\n2. b@x.com\n"
	    "3. c@x.com") != NULL, "%s", b.data);
	ATF_CHECK(strstr(b.data, "spam") == NULL);
	/* Blacklisted ones are not "more" either. */
	ATF_CHECK(strstr(b.data, "+") == NULL);
	/* All blacklisted: no section. */
	mini("", ",\"emails\":[{\"email\":\"spam@x.com\",\"blacklist\":"
	    "\"SIM\"}]", &b);
	ATF_CHECK(strstr(b.data, "EMAILS") == NULL);
	ce_buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(note__inactive_phone);
ATF_TC_BODY(note__inactive_phone, tc)
{
	struct ce_buf	 b;

	(void)tc;
	ce_buf_init(&b, 65536);
	mini("", ",\"telefones\":[{\"telefone\":\"11987654321\",\"tipo\":"
	    "\"MOVEL\",\"status\":\"INATIVO\"},{\"telefone\":\"1132654321\","
	    "\"tipo\":\"FIXO\",\"status\":\"ATIVO\"},{\"telefone\":"
	    "\"11998887766\",\"whatsapp\":\"SIM\",\"status\":null}]", &b);
	ATF_CHECK_MSG(strstr(b.data, "\n📱 TELEFONES\n"
	    "1. 11987654321 - MOVEL (inativo)\n2. 1132654321 - FIXO\n"
	    "3. 11998887766 ✅") != NULL, "%s", b.data);
	mini("", ",\"telefones\":[{\"telefone\":\"11987654321\",\"whatsapp\":"
	    "\"SIM\",\"status\":\"BLOQUEADO\"},{\"telefone\":\"1132654321\","
	    "\"status\":\"ativo\"}]", &b);
	ATF_CHECK_MSG(strstr(b.data, "1. 11987654321 ✅ (inativo)\n"
	    "2. 1132654321") != NULL, "%s", b.data);
	ATF_CHECK(strstr(b.data, "1132654321 (inativo)") == NULL);
	ce_buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(note__company);
ATF_TC_BODY(note__company, tc)
{
	struct ce_buf	 b;

	(void)tc;
	ce_buf_init(&b, 65536);
	mini("", ",\"empresas\":["
	    "{\"cnpj\":\"12345678000195\",\"tipoRelacao\":\"SOCIO\","
	    "\"relacao\":\"ADMINISTRADOR\",\"dataAdmissao\":\"01/02/2015\"},"
	    "{\"cnpj\":\"11222333000181\",\"tipoRelacao\":\"SOCIO\","
	    "\"relacao\":\"SOCIO-ADMINISTRADOR\"},"
	    "{\"cnpj\":\"45997418000153\",\"relacao\":null,"
	    "\"dataAdmissao\":\"2015-02-01\"}]", &b);
	ATF_CHECK_MSG(strstr(b.data, "\n🏢 EMPRESAS\n"
	    "1. CNPJ: 12.345.678/0001-95 - SOCIO - ADMINISTRADOR "
	    "(desde 01/02/2015)\n"
	    "2. CNPJ: 11.222.333/0001-81 - SOCIO-ADMINISTRADOR\n"
	    "3. CNPJ: 45.997.418/0001-53 (desde 01/02/2015)") != NULL,
	    "%s", b.data);
	/* Neither relation nor date (one not a date); a CNPJ not 14 digits. */
	mini("", ",\"empresas\":[{\"cnpj\":\"12345678000195\",\"tipoRelacao\":"
	    "null,\"relacao\":\"SEM INFORMAÇÃO\",\"dataAdmissao\":\"ontem\"},"
	    "{\"cnpj\":\"123\",\"relacao\":\"TITULAR\"}]", &b);
	ATF_CHECK_MSG(strstr(b.data, "\n1. CNPJ: 12.345.678/0001-95\n"
	    "2. CNPJ: 123 - TITULAR") != NULL, "%s", b.data);
	ATF_CHECK(strstr(b.data, "desde") == NULL);
	ce_buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(note__more_counts);
ATF_TC_BODY(note__more_counts, tc)
{
	struct ce_buf	 b;

	(void)tc;
	ce_buf_init(&b, 65536);
	/* 4 e-mails (one blacklisted, one null), 5 phones. */
	mini("", ",\"emails\":[{\"email\":\"a@x.com\"},{\"email\":\"b@x.com\"},"
	    "{\"email\":null},{\"email\":\"c@x.com\"},{\"email\":\"s@x.com\","
	    "\"blacklist\":\"SIM\"},{\"email\":\"d@x.com\"}],"
	    "\"telefones\":[{\"telefone\":\"1\"},{\"telefone\":\"2\"},"
	    "{\"telefone\":\"3\"},{\"telefone\":\"4\"},{\"telefone\":\"5\"}],"
	    "\"enderecos\":[{\"logradouro\":\"A\"}]", &b);
	ATF_CHECK_MSG(strstr(b.data, "\n3. 3\n+2 telefones, +1 e-mail\n\n🏠")
	    != NULL, "%s", b.data);
	/* One phone more, e-mails all shown. */
	mini("", ",\"emails\":[{\"email\":\"a@x.com\"}],"
	    "\"telefones\":[{\"telefone\":\"1\"},{\"telefone\":\"2\"},"
	    "{\"telefone\":\"3\"},{\"telefone\":\"4\"}]", &b);
	ATF_CHECK_MSG(ends(&b, "\n3. 3\n+1 telefone"), "%s", b.data);
	/* E-mails only, no phones: the line follows the e-mails. */
	mini("", ",\"emails\":[{\"email\":\"a@x.com\"},{\"email\":\"b@x.com\"},"
	    "{\"email\":\"c@x.com\"},{\"email\":\"d@x.com\"},"
	    "{\"email\":\"e@x.com\"}]", &b);
	ATF_CHECK_MSG(ends(&b, "\n3. c@x.com\n+2 e-mails"), "%s", b.data);
	/* All shown: no line. */
	mini("", ",\"emails\":[{\"email\":\"a@x.com\"},{\"email\":\"b@x.com\"},"
	    "{\"email\":\"c@x.com\"}],\"telefones\":[{\"telefone\":\"1\"}]",
	    &b);
	ATF_CHECK_MSG(strstr(b.data, "+") == NULL, "%s", b.data);
	ce_buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(note__product_line);
ATF_TC_BODY(note__product_line, tc)
{
	static const struct {
		const char	*desc, *ref, *line;
	} c[] = {
		{ "Casa", "CA01", "🎯 Imóvel: Casa (ref CA01)\n" },
		{ "Casa", NULL, "🎯 Imóvel: Casa\n" },
		{ "Casa", " ", "🎯 Imóvel: Casa\n" },
		{ NULL, "CA01", "🎯 Imóvel: ref CA01\n" },
		{ "", "CA01", "🎯 Imóvel: ref CA01\n" },
		{ "Casa\r\nnova", "CA\t01", "🎯 Imóvel: Casa  nova (ref CA 01)\n" },
	};
	struct ce_note_in	 in = completed(tc);
	struct ce_buf		 b;
	char			 want[256];
	size_t			 i;

	ce_buf_init(&b, 65536);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		in = completed(tc);
		in.product_desc = c[i].desc;
		in.product_ref = c[i].ref;
		ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
		/* The top block's last line, before the person. */
		snprintf(want, sizeof(want), "📞📧 Telefone e e-mail da mesma "
		    "pessoa\n%s\n✅ DADOS PESSOAIS\n", c[i].line);
		ATF_CHECK_MSG(strncmp(b.data, want, strlen(want)) == 0,
		    "case %zu: %s", i, b.data);
		/* Unenriched and invalid notes say it too, at the end. */
		in.kind = CE_NOTE_UNENRICHED;
		in.npersons = 0;
		ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
		snprintf(want, sizeof(want), "do lead.\n%s", c[i].line);
		want[strlen(want) - 1] = '\0';
		ATF_CHECK_MSG(ends(&b, want), "case %zu: %s", i, b.data);
		in.kind = CE_NOTE_INVALID;
		ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
		snprintf(want, sizeof(want), "foi feita.\n%s", c[i].line);
		want[strlen(want) - 1] = '\0';
		ATF_CHECK_MSG(ends(&b, want), "case %zu: %s", i, b.data);
	}
	/* None: no line, in any note. */
	in = completed(tc);
	in.product_desc = "";
	in.product_ref = "  ";
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	ATF_CHECK(strstr(b.data, "🎯") == NULL);
	in.kind = CE_NOTE_UNENRICHED;
	in.npersons = 0;
	in.lookup_down = 1;
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	ATF_CHECK(strstr(b.data, "🎯") == NULL);
	in.product_ref = "CA01";
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	ATF_CHECK_MSG(strstr(b.data, "automática.\n🎯 Imóvel: ref CA01") !=
	    NULL, "%s", b.data);
	ce_buf_free(&b);
}

/*
 * A high-value lead: the reasons highvalue.c finds in dossier-1.json (an
 * administrator; its income R$ 16 150,95 once multiplied, over a
 * threshold of R$ 16 000), the ⭐ line after the 🎯 one.
 */
ATF_TC_WITHOUT_HEAD(note__high_value_golden);
ATF_TC_BODY(note__high_value_golden, tc)
{
	static const struct ce_hv_conf	 hc = { 1.9, 16000, CE_HV_ALTO };
	struct ce_note_in		 in = with_product(tc);
	const char			*ds[1];
	char				 hv[CE_HV_TEXT_MAX];

	ds[0] = in.persons[0].dossier;
	ATF_REQUIRE_EQ(ce_hv_judge(ds, 1, &hc, hv, sizeof(hv)), 2);
	in.high_value = hv;
	golden(tc, &in, "note-high-value.txt");
}

/*
 * The ⭐ line: the top block's last line of a full note, of a pointer
 * note and of a note of two persons (whose reasons say whose); none when
 * the text is NULL or blank, nor in a note with no person.
 */
ATF_TC_WITHOUT_HEAD(note__high_value_line);
ATF_TC_BODY(note__high_value_line, tc)
{
	static const char *const none[] = { NULL, "", " \n\t" };
	struct ce_note_in	 in;
	struct ce_buf		 b;
	size_t			 i;

	ce_buf_init(&b, 65536);
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		in = completed(tc);
		in.high_value = none[i];
		ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
		ATF_CHECK_MSG(strstr(b.data, "⭐") == NULL, "case %zu", i);
	}
	/* Full: after how it was found, without a product. */
	in = completed(tc);
	in.high_value = "poder aquisitivo MUITO ALTO";
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	ATF_CHECK_MSG(strncmp(b.data, "📞📧 Telefone e e-mail da mesma "
	    "pessoa\n⭐ Lead de alto valor: poder aquisitivo MUITO ALTO\n\n"
	    "✅ DADOS PESSOAIS\n", strlen("📞📧 Telefone e e-mail da mesma "
	    "pessoa\n⭐ Lead de alto valor: poder aquisitivo MUITO ALTO\n\n"
	    "✅ DADOS PESSOAIS\n")) == 0, "%s", b.data);
	/* Line breaks in the text do not break the line. */
	in.high_value = "renda R$ 1,00\r\nadministrador";
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	ATF_CHECK_MSG(strstr(b.data, "\n⭐ Lead de alto valor: renda R$ 1,00  "
	    "administrador\n\n✅") != NULL, "%s", b.data);
	/* A pointer note: after the 🎯 line, before the summary. */
	in = completed(tc);
	in.same_lead = "0123456789abcdef0123456789abcdef";
	in.same_date = "02/12/2026";
	in.product_ref = "CA0099";
	in.high_value = "administrador de empresa";
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	ATF_CHECK_MSG(strstr(b.data, "🎯 Imóvel: ref CA0099\n⭐ Lead de alto "
	    "valor: administrador de empresa\n\n📋 RESUMO\n") != NULL, "%s",
	    b.data);
	/* Two persons: after the 🎯 line, before PESSOA 1. */
	in = two_persons(tc);
	in.product_desc = "Casa";
	in.high_value = "administrador de empresa (pessoa 2)";
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	ATF_CHECK_MSG(strstr(b.data, "🎯 Imóvel: Casa\n⭐ Lead de alto valor: "
	    "administrador de empresa (pessoa 2)\n\n═══ PESSOA 1") != NULL,
	    "%s", b.data);
	/* No person: no line, whatever the caller gives. */
	in.kind = CE_NOTE_UNENRICHED;
	in.npersons = 0;
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	ATF_CHECK_MSG(strstr(b.data, "⭐") == NULL, "%s", b.data);
	in.kind = CE_NOTE_INVALID;
	ATF_REQUIRE_EQ(ce_note_format(&in, 1.9, 5000, &b), CE_OK);
	ATF_CHECK_MSG(strstr(b.data, "⭐") == NULL, "%s", b.data);
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
	ATF_TP_ADD_TC(tp, note__different_people_golden);
	ATF_TP_ADD_TC(tp, note__basic_golden);
	ATF_TP_ADD_TC(tp, note__partial_golden);
	ATF_TP_ADD_TC(tp, note__product_golden);
	ATF_TP_ADD_TC(tp, note__repeat_golden);
	ATF_TP_ADD_TC(tp, note__repeat_without_dossier);
	ATF_TP_ADD_TC(tp, note__father);
	ATF_TP_ADD_TC(tp, note__marital_status);
	ATF_TP_ADD_TC(tp, note__birthplace);
	ATF_TP_ADD_TC(tp, note__blacklisted_email);
	ATF_TP_ADD_TC(tp, note__inactive_phone);
	ATF_TP_ADD_TC(tp, note__company);
	ATF_TP_ADD_TC(tp, note__more_counts);
	ATF_TP_ADD_TC(tp, note__product_line);
	ATF_TP_ADD_TC(tp, note__high_value_golden);
	ATF_TP_ADD_TC(tp, note__high_value_line);
	return atf_no_error();
}
