/*
 * brid_test.c -- Brazilian identifiers: CPF, CNPJ and título de eleitor
 * check digits, CEPs, persons' names, normalisation of the shapes
 * upstreams and people send, lead ids, and the masks used in logs and
 * alerts.
 */
#include <string.h>

#include <atf-c.h>

#include "core/brid.h"

ATF_TC_WITHOUT_HEAD(cpf_valid__check_digits);
ATF_TC_BODY(cpf_valid__check_digits, tc)
{
	static const char *const good[] = {
		"52998224725", "11144477735", "00000000191", "39053344705",
	};
	static const char *const bad[] = {
		"52998224724", "52998224715", "11111111111", "00000000000",
		"5299822472", "529982247250", "5299822472a", "",
	};
	size_t	 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ATF_CHECK_MSG(ce_cpf_valid(good[i]), "%s refused", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ATF_CHECK_MSG(!ce_cpf_valid(bad[i]), "%s accepted", bad[i]);
}

ATF_TC_WITHOUT_HEAD(cpf_normalize__shapes);
ATF_TC_BODY(cpf_normalize__shapes, tc)
{
	static const struct {
		const char	*in;
		int		 rc;
		const char	*out;
	} tab[] = {
		{ "529.982.247-25", 0, "52998224725" },
		{ "52998224725", 0, "52998224725" },
		{ "00052998224725", 0, "52998224725" },	/* padded to 14 */
		{ "11222333000181", -2, NULL },		/* a CNPJ */
		{ "11.222.333/0001-81", -2, NULL },
		{ "00152998224725", -2, NULL },		/* not a 000 pad */
		{ "529.982.247-24", -1, NULL },
		{ "52998224725x", -1, NULL },
		{ "123", -1, NULL },
		{ "", -1, NULL },
	};
	char	 out[12];
	size_t	 i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		ATF_CHECK_EQ_MSG(ce_cpf_normalize(tab[i].in, out), tab[i].rc,
		    "'%s'", tab[i].in);
		if (tab[i].out != NULL)
			ATF_CHECK_STREQ(out, tab[i].out);
	}
}

ATF_TC_WITHOUT_HEAD(lead_id__32_hex);
ATF_TC_BODY(lead_id__32_hex, tc)
{
	ATF_CHECK(ce_lead_id_valid("0123456789abcdefABCDEF0123456789"));
	ATF_CHECK(!ce_lead_id_valid("0123456789abcdef0123456789abcde"));
	ATF_CHECK(!ce_lead_id_valid("0123456789abcdef0123456789abcdef0"));
	ATF_CHECK(!ce_lead_id_valid("0123456789abcdef0123456789abcdeg"));
	ATF_CHECK(!ce_lead_id_valid(""));
}

ATF_TC_WITHOUT_HEAD(mask__no_whole_identifier);
ATF_TC_BODY(mask__no_whole_identifier, tc)
{
	char	 m[64];

	ce_mask_cpf("52998224725", m, sizeof(m));
	ATF_CHECK_STREQ(m, "***.***.***-25");
	ce_mask_cpf("529", m, sizeof(m));
	ATF_CHECK_STREQ(m, "***");
	ce_mask_phone("11987654321", m, sizeof(m));
	ATF_CHECK_STREQ(m, "***4321");
	ce_mask_phone("123", m, sizeof(m));
	ATF_CHECK_STREQ(m, "***");
	ce_mask_email("joao.silva@gmail.com", m, sizeof(m));
	ATF_CHECK_STREQ(m, "j***@gmail.com");
	ce_mask_email("nobody", m, sizeof(m));
	ATF_CHECK_STREQ(m, "***");
	ce_mask_email("@x", m, sizeof(m));
	ATF_CHECK_STREQ(m, "***");
	/* A small buffer truncates, never overflows. */
	ce_mask_cpf("52998224725", m, 6);
	ATF_CHECK(strlen(m) < 6);
	ce_mask_email("joao.silva@gmail.com", m, 8);
	ATF_CHECK(strlen(m) < 8);
}

ATF_TC_WITHOUT_HEAD(mask_text__cpfs_as_words);
ATF_TC_BODY(mask_text__cpfs_as_words, tc)
{
	static const struct {
		const char	*in;
		const char	*out;
	} tab[] = {
		{ "CPF 52998224725.", "CPF ***.***.***-25." },
		{ "(CPF 529.982.247-25); titular 11144477735",
		    "(CPF ***.***.***-25); titular ***.***.***-35" },
		{ "52998224725", "***.***.***-25" },
		/* Not valid, still eleven digits: masked. */
		{ "x 12345678901 y", "x ***.***.***-01 y" },
		/* A run of digits inside a lead id (the CI failure of
		 * 2026-12-06): left whole. */
		{ "Lead 65c54052002624da071801bd1c9bb903 (Ana)",
		    "Lead 65c54052002624da071801bd1c9bb903 (Ana)" },
		{ "a52998224725", "a52998224725" },
		{ "52998224725b", "52998224725b" },
		{ "529.982.247-25x", "529.982.247-25x" },
		/* Ten or twelve digits: no CPF. */
		{ "5299822472 529982247250", "5299822472 529982247250" },
		{ "529.982.247-2", "529.982.247-2" },
		{ "", "" },
	};
	char	 m[128];
	size_t	 i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		ce_mask_cpf_text(tab[i].in, m, sizeof(m));
		ATF_CHECK_STREQ_MSG(m, tab[i].out, "in: %s", tab[i].in);
	}
	/* Cut short: never a half CPF, never half a UTF-8 character. */
	ce_mask_cpf_text("ab 52998224725", m, 10);
	ATF_CHECK_STREQ(m, "ab ");
	ce_mask_cpf_text("ab\xc3\xa9", m, 4);
	ATF_CHECK_STREQ(m, "ab");
	ce_mask_cpf_text("ab\xe2\xad\x90x", m, 5);
	ATF_CHECK_STREQ(m, "ab");
	ce_mask_cpf_text("ab\xe2\xad\x90x", m, 6);
	ATF_CHECK_STREQ(m, "ab\xe2\xad\x90");
}

ATF_TC_WITHOUT_HEAD(phone_normalize__shapes);
ATF_TC_BODY(phone_normalize__shapes, tc)
{
	static const struct {
		const char	*in;
		const char	*out;	/* NULL: refused */
	} tab[] = {
		{ "(11) 99123-4567", "11991234567" },
		{ "+55 11 99123-4567", "11991234567" },
		{ "5511991234567", "11991234567" },
		{ "551132654321", "1132654321" },	/* landline, +55 */
		{ "11991234567", "11991234567" },
		{ "011 99123 4567", "11991234567" },	/* trunk prefix */
		{ "55991234567", "55991234567" },	/* DDD 55 kept */
		{ "5555991234567", "55991234567" },	/* +55, DDD 55 */
		{ "(21) 3265-4321", "2132654321" },
		/* Doubled country code, repaired (issue [2.5]). */
		{ "555511974123356", "11974123356" },
		{ "+55 55 11 97412-3356", "11974123356" },
		{ "5555 11 974123356", "11974123356" },
		{ "+55 (55) (11) 97412-3356", "11974123356" },
		{ "55551132654321", "1132654321" },	/* landline */
		{ "555555991234567", "55991234567" },	/* doubled, DDD 55 */
		{ "55555532654321", "5532654321" },	/* same, landline */
		/* DDD 55 with one country code or none: unchanged. */
		{ "+55 55 99123-4567", "55991234567" },
		{ "55 (55) 99123-4567", "55991234567" },
		{ "(55) 99123-4567", "55991234567" },
		{ "555532654321", "5532654321" },	/* +55, DDD 55 fixed */
		{ "5532654321", "5532654321" },		/* DDD 55 fixed */
		/* Still refused. */
		{ "55551187654321", NULL },		/* 14: landline with 8 */
		{ "555520991234567", NULL },		/* 15: no DDD 20 */
		{ "555511999999999", NULL },		/* 15: repeated */
		{ "5555119741233561", NULL },		/* 16 digits */
		{ "5511974123356000", NULL },		/* 16, single 55 */
		{ "551211974123356", NULL },		/* 15, not 5555 */
		{ "55555511974123356", NULL },		/* tripled: 17 */
		{ "20991234567", NULL },		/* no DDD 20 */
		{ "11887654321", NULL },		/* mobile without 9 */
		{ "1162654321", NULL },			/* landline with 6 */
		{ "11999999999", NULL },		/* repeated */
		{ "11912345678", NULL },		/* run */
		{ "1198765432", NULL },			/* short mobile */
		{ "119912345670", NULL },		/* 12 digits, no 55 */
		{ "11 9912x4567", NULL },
		{ "", NULL },
	};
	char	 out[16];
	size_t	 i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		memset(out, 0, sizeof(out));
		ATF_CHECK_EQ_MSG(ce_phone_normalize(tab[i].in, out),
		    tab[i].out != NULL ? 0 : -1, "'%s' -> '%s'", tab[i].in,
		    out);
		if (tab[i].out != NULL)
			ATF_CHECK_STREQ_MSG(out, tab[i].out, "'%s'", tab[i].in);
	}
}

ATF_TC_WITHOUT_HEAD(email_normalize__shapes);
ATF_TC_BODY(email_normalize__shapes, tc)
{
	static const struct {
		const char	*in;
		const char	*out;	/* NULL: refused */
	} tab[] = {
		{ "Joao.Silva@Gmail.com", "joao.silva@gmail.com" },
		{ "  ana+lead@uol.com.br ", "ana+lead@uol.com.br" },
		{ "fault-d1-02@example.invalid", "fault-d1-02@example.invalid" },
		{ "joao", NULL },
		{ "joao@", NULL },
		{ "@gmail.com", NULL },
		{ "a@b@c.com", NULL },
		{ "joao@gmail", NULL },
		{ "joao@gmail.c", NULL },
		{ "joao@gmail.c0m", NULL },
		{ "jo ao@gmail.com", NULL },
		{ "joao..silva@gmail.com", NULL },
		{ ".joao@gmail.com", NULL },
		{ "joao@.gmail.com", NULL },
		{ "joao@gmail..com", NULL },
		{ "teste@gmail.com", NULL },
		{ "joao@teste.com", NULL },
		{ "aaaa@gmail.com", NULL },
		{ "naotem@hotmail.com", NULL },
		{ "joão@gmail.com", NULL },
		{ "", NULL },
	};
	char	 out[256];
	size_t	 i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		ATF_CHECK_EQ_MSG(ce_email_normalize(tab[i].in, out,
		    sizeof(out)), tab[i].out != NULL ? 0 : -1, "'%s'",
		    tab[i].in);
		if (tab[i].out != NULL)
			ATF_CHECK_STREQ(out, tab[i].out);
	}
}

/* One table of "in" to "out" (NULL: refused) through a normaliser. */
struct norm_case {
	const char	*in;
	const char	*out;
};

static void
check_norm(const struct norm_case *tab, size_t n,
    int (*fn)(const char *, char *))
{
	char	 out[64];
	size_t	 i;

	for (i = 0; i < n; i++) {
		memset(out, 0, sizeof(out));
		ATF_CHECK_EQ_MSG(fn(tab[i].in, out),
		    tab[i].out != NULL ? 0 : -1, "'%s' -> '%s'", tab[i].in,
		    out);
		if (tab[i].out != NULL)
			ATF_CHECK_STREQ_MSG(out, tab[i].out, "'%s'", tab[i].in);
	}
}

ATF_TC_WITHOUT_HEAD(cep_normalize__eight_digits);
ATF_TC_BODY(cep_normalize__eight_digits, tc)
{
	static const struct norm_case tab[] = {
		{ "01310-100", "01310100" },		/* Av. Paulista */
		{ "01310100", "01310100" },
		{ "01.310-100", "01310100" },
		{ "20040-002", "20040002" },
		{ "99999-999", "99999999" },
		{ "0131010", NULL },			/* 7 digits */
		{ "013101000", NULL },			/* 9 digits */
		{ "00000-000", NULL },			/* no CEP starts 00 */
		{ "00999-999", NULL },
		{ "01310/100", NULL },
		{ "01310-10a", NULL },
		{ "", NULL },
	};

	check_norm(tab, sizeof(tab) / sizeof(tab[0]), ce_cep_normalize);
}

ATF_TC_WITHOUT_HEAD(cnpj_valid__check_digits);
ATF_TC_BODY(cnpj_valid__check_digits, tc)
{
	static const char *const good[] = {
		"11222333000181", "00000000000191", "33000167000101",
		"60701190000104",
	};
	static const char *const bad[] = {
		"11222333000182", "11222333000191", "00000000000000",
		"11111111111111", "1122233300018", "112223330001810",
		"1122233300018a", "",
	};
	size_t	 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ATF_CHECK_MSG(ce_cnpj_valid(good[i]), "%s refused", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ATF_CHECK_MSG(!ce_cnpj_valid(bad[i]), "%s accepted", bad[i]);
}

ATF_TC_WITHOUT_HEAD(cnpj_normalize__shapes);
ATF_TC_BODY(cnpj_normalize__shapes, tc)
{
	static const struct norm_case tab[] = {
		{ "11.222.333/0001-81", "11222333000181" },
		{ "11222333000181", "11222333000181" },
		{ "33.000.167/0001-01", "33000167000101" },
		{ "11.222.333/0001-80", NULL },		/* check digit */
		{ "00.000.000/0000-00", NULL },
		{ "52998224725", NULL },		/* a CPF */
		{ "11.222.333/0001-81x", NULL },
		{ "", NULL },
	};

	check_norm(tab, sizeof(tab) / sizeof(tab[0]), ce_cnpj_normalize);
}

ATF_TC_WITHOUT_HEAD(titulo_valid__check_digits);
ATF_TC_BODY(titulo_valid__check_digits, tc)
{
	static const char *const good[] = {
		"102385010671",		/* CE: DV1 7, DV2 1 */
		"043568700906",		/* GO */
		"123456770116",		/* SP: remainder 0 becomes 1 */
		"123456770302",		/* RJ: remainder 0 stays 0 */
		"123456720108",		/* SP: remainder 10 becomes 0 */
		"000000012895",		/* UF 28 (abroad) */
	};
	static const char *const bad[] = {
		"102385010672", "102385010661",	/* check digits */
		"123456770106",		/* SP with a 0 for remainder 0 */
		"123456772902",		/* UF 29 */
		"123456770002",		/* UF 00 */
		"000000000101",		/* sequence all zeros */
		"10238501067", "1023850106711", "10238501067a", "",
	};
	size_t	 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ATF_CHECK_MSG(ce_titulo_valid(good[i]), "%s refused", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ATF_CHECK_MSG(!ce_titulo_valid(bad[i]), "%s accepted", bad[i]);
}

ATF_TC_WITHOUT_HEAD(titulo_normalize__shapes);
ATF_TC_BODY(titulo_normalize__shapes, tc)
{
	static const struct norm_case tab[] = {
		{ "1023 8501 0671", "102385010671" },
		{ "102385010671", "102385010671" },
		{ "0435.6870.0906", "043568700906" },
		{ "1023 8501 0672", NULL },
		{ "1023x8501 0671", NULL },
		{ "", NULL },
	};

	check_norm(tab, sizeof(tab) / sizeof(tab[0]), ce_titulo_normalize);
}

ATF_TC_WITHOUT_HEAD(person_name__words_and_letters);
ATF_TC_BODY(person_name__words_and_letters, tc)
{
	static const struct norm_case tab[] = {
		{ "João Antônio Araújo Simões", "JOÃO ANTÔNIO ARAÚJO SIMÕES" },
		{ "  maria   da  silva ", "MARIA DA SILVA" },
		{ "Ana\tLima", "ANA LIMA" },
		{ "Joana D'Ávila", "JOANA D'ÁVILA" },
		{ "Ana-Luíza Brandão", "ANA-LUÍZA BRANDÃO" },
		{ "CONCEIÇÃO ROMÃO", "CONCEIÇÃO ROMÃO" },
		{ "Jo Li", "JO LI" },
		{ "Madonna", NULL },			/* one word */
		{ "", NULL },
		{ "   ", NULL },
		{ "Ana 2 Lima", NULL },			/* a digit */
		{ "Ana L. Lima", NULL },		/* a dot */
		{ "Ana -Lima", NULL },			/* hyphen starts a word */
		{ "Ana- Lima", NULL },			/* hyphen ends a word */
		{ "Ana--Maria Lima", NULL },
		{ "Ana Lima'", NULL },
		{ "Ana \xc3\x97 Lima", NULL },		/* the sign x */
		{ "Ana \xc3", NULL },			/* cut UTF-8 */
		{ "Ana \xe2\x82\xac", NULL },		/* euro sign */
	};
	char	 out[256], long_name[200];
	size_t	 i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		memset(out, 0, sizeof(out));
		ATF_CHECK_EQ_MSG(ce_person_name_normalize(tab[i].in, out,
		    sizeof(out)), tab[i].out != NULL ? 0 : -1, "'%s' -> '%s'",
		    tab[i].in, out);
		if (tab[i].out != NULL)
			ATF_CHECK_STREQ_MSG(out, tab[i].out, "'%s'", tab[i].in);
	}
	/* CE_NAME_MAX characters pass, one more does not. */
	memset(long_name, 'a', sizeof(long_name));
	long_name[1] = ' ';
	long_name[CE_NAME_MAX] = '\0';
	ATF_CHECK_EQ(ce_person_name_normalize(long_name, out, sizeof(out)),
	    0);
	long_name[CE_NAME_MAX] = 'a';
	long_name[CE_NAME_MAX + 1] = '\0';
	ATF_CHECK_EQ(ce_person_name_normalize(long_name, out, sizeof(out)),
	    -1);
	/* An output buffer too small is a refusal, never an overflow. */
	ATF_CHECK_EQ(ce_person_name_normalize("Ana Lima", out, 8), -1);
	ATF_CHECK_EQ(ce_person_name_normalize("Ana Lima", out, 9), 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, cpf_valid__check_digits);
	ATF_TP_ADD_TC(tp, cpf_normalize__shapes);
	ATF_TP_ADD_TC(tp, lead_id__32_hex);
	ATF_TP_ADD_TC(tp, mask__no_whole_identifier);
	ATF_TP_ADD_TC(tp, mask_text__cpfs_as_words);
	ATF_TP_ADD_TC(tp, phone_normalize__shapes);
	ATF_TP_ADD_TC(tp, email_normalize__shapes);
	ATF_TP_ADD_TC(tp, cep_normalize__eight_digits);
	ATF_TP_ADD_TC(tp, cnpj_valid__check_digits);
	ATF_TP_ADD_TC(tp, cnpj_normalize__shapes);
	ATF_TP_ADD_TC(tp, titulo_valid__check_digits);
	ATF_TP_ADD_TC(tp, titulo_normalize__shapes);
	ATF_TP_ADD_TC(tp, person_name__words_and_letters);
	return atf_no_error();
}
