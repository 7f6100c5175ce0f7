/*
 * query_test -- ce_query_get(): finding a parameter and decoding it, and
 * refusing what is malformed rather than cutting it.
 */
#include <string.h>

#include <atf-c.h>

#include "core/query.h"

ATF_TC_WITHOUT_HEAD(query__found_and_decoded);
ATF_TC_BODY(query__found_and_decoded, tc)
{
	char	 v[64];

	ATF_CHECK_EQ(ce_query_get("id=abc", "id", v, sizeof(v)), 1);
	ATF_CHECK_STREQ(v, "abc");
	ATF_CHECK_EQ(ce_query_get("x=1&id=a%2Fb+c&id=2", "id", v,
	    sizeof(v)), 1);
	ATF_CHECK_STREQ(v, "a/b c");
	ATF_CHECK_EQ(ce_query_get("&&i%64=7", "id", v, sizeof(v)), 1);
	ATF_CHECK_STREQ(v, "7");
	ATF_CHECK_EQ(ce_query_get("id", "id", v, sizeof(v)), 1);
	ATF_CHECK_STREQ(v, "");
	ATF_CHECK_EQ(ce_query_get("id=", "id", v, sizeof(v)), 1);
	ATF_CHECK_STREQ(v, "");
}

ATF_TC_WITHOUT_HEAD(query__absent);
ATF_TC_BODY(query__absent, tc)
{
	char	 v[64];

	ATF_CHECK_EQ(ce_query_get(NULL, "id", v, sizeof(v)), 0);
	ATF_CHECK_EQ(ce_query_get("", "id", v, sizeof(v)), 0);
	ATF_CHECK_EQ(ce_query_get("idx=1&xid=2&i=3", "id", v, sizeof(v)), 0);
	/* A malformed name is skipped, not matched. */
	ATF_CHECK_EQ(ce_query_get("%zz=1", "id", v, sizeof(v)), 0);
}

ATF_TC_WITHOUT_HEAD(query__malformed);
ATF_TC_BODY(query__malformed, tc)
{
	char	 v[8];

	ATF_CHECK_EQ(ce_query_get("id=%zz", "id", v, sizeof(v)), -1);
	ATF_CHECK_EQ(ce_query_get("id=%4", "id", v, sizeof(v)), -1);
	ATF_CHECK_EQ(ce_query_get("id=%", "id", v, sizeof(v)), -1);
	ATF_CHECK_EQ(ce_query_get("id=a%00b", "id", v, sizeof(v)), -1);
	/* Too long for the buffer: refused, not cut. */
	ATF_CHECK_EQ(ce_query_get("id=12345678", "id", v, sizeof(v)), -1);
	ATF_CHECK_EQ(ce_query_get("id=1234567", "id", v, sizeof(v)), 1);
	ATF_CHECK_STREQ(v, "1234567");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, query__found_and_decoded);
	ATF_TP_ADD_TC(tp, query__absent);
	ATF_TP_ADD_TC(tp, query__malformed);
	return atf_no_error();
}
