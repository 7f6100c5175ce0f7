/*
 * buf_test.c -- the capped buffer: appends within and past the cap, the
 * state left on failure, formatting, JSON string escaping, ownership.
 */
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "c2s-enrich.h"

ATF_TC_WITHOUT_HEAD(buf_append__within_cap);
ATF_TC_BODY(buf_append__within_cap, tc)
{
	struct ce_buf	 b;

	ce_buf_init(&b, 8);
	ATF_REQUIRE_EQ(ce_buf_append(&b, "abcd", 4), CE_OK);
	ATF_REQUIRE_EQ(ce_buf_append(&b, "efgh", 4), CE_OK);
	ATF_CHECK_EQ(b.len, 8);
	ATF_CHECK_STREQ(b.data, "abcdefgh");
	ce_buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(buf_append__over_cap_fails);
ATF_TC_BODY(buf_append__over_cap_fails, tc)
{
	struct ce_buf	 b;

	ce_buf_init(&b, 8);
	ATF_REQUIRE_EQ(ce_buf_append(&b, "abcde", 5), CE_OK);
	ATF_CHECK_EQ(ce_buf_append(&b, "fghi", 4), CE_E2BIG);
	ATF_CHECK_EQ(ce_buf_append(&b, "x", (size_t)-1), CE_E2BIG);
	ce_buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(buf_append__leaves_buffer_unchanged);
ATF_TC_BODY(buf_append__leaves_buffer_unchanged, tc)
{
	struct ce_buf	 b;

	ce_buf_init(&b, 8);
	ATF_REQUIRE_EQ(ce_buf_puts(&b, "abcde"), CE_OK);
	ATF_REQUIRE_EQ(ce_buf_puts(&b, "fghi"), CE_E2BIG);
	ATF_CHECK_EQ(b.len, 5);
	ATF_CHECK_STREQ(b.data, "abcde");
	ATF_REQUIRE_EQ(ce_buf_printf(&b, "%s", "123456"), CE_E2BIG);
	ATF_CHECK_STREQ(b.data, "abcde");
	ATF_REQUIRE_EQ(ce_buf_json_str(&b, "ab", 2), CE_E2BIG);
	ATF_CHECK_EQ(b.len, 5);
	ATF_CHECK_STREQ(b.data, "abcde");
	ce_buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(buf_printf__long_output);
ATF_TC_BODY(buf_printf__long_output, tc)
{
	struct ce_buf	 b;
	char		 big[1000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ce_buf_init(&b, 4096);
	ATF_REQUIRE_EQ(ce_buf_printf(&b, "<%s|%d>", big, 42), CE_OK);
	ATF_CHECK_EQ(b.len, 999 + 5);
	ATF_CHECK(strncmp(b.data + 1000, "|42>", 4) == 0);
	ce_buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(buf_json_str__escapes);
ATF_TC_BODY(buf_json_str__escapes, tc)
{
	static const struct {
		const char	*in;
		const char	*out;
	} tab[] = {
		{ "plain", "\"plain\"" },
		{ "a\"b", "\"a\\\"b\"" },
		{ "back\\slash", "\"back\\\\slash\"" },
		{ "nl\nx\ttab", "\"nl\\u000ax\\u0009tab\"" },
		{ "\x01\x7f", "\"\\u0001\\u007f\"" },
		{ "Jo\xc3\xa3o", "\"Jo\xc3\xa3o\"" },	/* UTF-8 kept */
		{ "", "\"\"" },
	};
	struct ce_buf	 b;
	size_t		 i;

	ce_buf_init(&b, 1024);
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		ce_buf_reset(&b);
		ATF_REQUIRE_EQ(ce_buf_json_str(&b, tab[i].in,
		    strlen(tab[i].in)), CE_OK);
		ATF_CHECK_STREQ_MSG(b.data, tab[i].out, "input %zu", i);
	}
	ce_buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(buf_take__hands_over);
ATF_TC_BODY(buf_take__hands_over, tc)
{
	struct ce_buf	 b;
	char		*p;

	ce_buf_init(&b, 64);
	ATF_CHECK(ce_buf_take(&b) == NULL);
	ATF_REQUIRE_EQ(ce_buf_puts(&b, "mine"), CE_OK);
	p = ce_buf_take(&b);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_STREQ(p, "mine");
	ATF_CHECK(b.data == NULL && b.len == 0);
	ATF_REQUIRE_EQ(ce_buf_puts(&b, "again"), CE_OK);
	ATF_CHECK_STREQ(b.data, "again");
	free(p);
	ce_buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(strtonum__bounds);
ATF_TC_BODY(strtonum__bounds, tc)
{
	long long	 v = 7;

	ATF_CHECK_EQ(ce_strtonum("42", 0, 100, &v), 0);
	ATF_CHECK_EQ(v, 42);
	ATF_CHECK_EQ(ce_strtonum("101", 0, 100, &v), -1);
	ATF_CHECK_EQ(ce_strtonum("-1", 0, 100, &v), -1);
	ATF_CHECK_EQ(ce_strtonum("", 0, 100, &v), -1);
	ATF_CHECK_EQ(ce_strtonum(" 4", 0, 100, &v), -1);
	ATF_CHECK_EQ(ce_strtonum("4x", 0, 100, &v), -1);
	ATF_CHECK_EQ(ce_strtonum("99999999999999999999", 0, 100, &v), -1);
	ATF_CHECK_EQ(v, 42);
}

ATF_TC_WITHOUT_HEAD(strlcpy__truncates);
ATF_TC_BODY(strlcpy__truncates, tc)
{
	char	 d[4];

	ATF_CHECK_EQ(ce_strlcpy(d, "abcdef", sizeof(d)), 6);
	ATF_CHECK_STREQ(d, "abc");
	ATF_CHECK_EQ(ce_strlcpy(d, "ab", sizeof(d)), 2);
	ATF_CHECK_STREQ(d, "ab");
}

ATF_TC_WITHOUT_HEAD(ct_streq__compares);
ATF_TC_BODY(ct_streq__compares, tc)
{
	ATF_CHECK(ce_ct_streq("secret", "secret"));
	ATF_CHECK(!ce_ct_streq("secreT", "secret"));
	ATF_CHECK(!ce_ct_streq("secret1", "secret"));
	ATF_CHECK(!ce_ct_streq("secre", "secret"));
	ATF_CHECK(!ce_ct_streq("", "secret"));
	ATF_CHECK(ce_ct_streq("", ""));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, buf_append__within_cap);
	ATF_TP_ADD_TC(tp, buf_append__over_cap_fails);
	ATF_TP_ADD_TC(tp, buf_append__leaves_buffer_unchanged);
	ATF_TP_ADD_TC(tp, buf_printf__long_output);
	ATF_TP_ADD_TC(tp, buf_json_str__escapes);
	ATF_TP_ADD_TC(tp, buf_take__hands_over);
	ATF_TP_ADD_TC(tp, strtonum__bounds);
	ATF_TP_ADD_TC(tp, strlcpy__truncates);
	ATF_TP_ADD_TC(tp, ct_streq__compares);
	return atf_no_error();
}
