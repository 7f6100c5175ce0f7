/*
 * brid_test.c -- Brazilian identifiers: CPF check digits, normalisation
 * of the shapes upstreams send, lead ids, and the masks used in logs.
 */
#include <string.h>

#include <atf-c.h>

#include "c2s-enrich.h"

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

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, cpf_valid__check_digits);
	ATF_TP_ADD_TC(tp, cpf_normalize__shapes);
	ATF_TP_ADD_TC(tp, lead_id__32_hex);
	ATF_TP_ADD_TC(tp, mask__no_whole_identifier);
	ATF_TP_ADD_TC(tp, phone_normalize__shapes);
	ATF_TP_ADD_TC(tp, email_normalize__shapes);
	return atf_no_error();
}
