/*
 * err_test.c -- the error enum's mapping to HTTP status, code and text.
 */
#include <string.h>

#include <atf-c.h>

#include "core/err.h"

ATF_TC_WITHOUT_HEAD(err_status__table);
ATF_TC_BODY(err_status__table, tc)
{
	static const struct {
		enum ce_err	 e;
		int		 status;
		const char	*code;
	} tab[] = {
		{ CE_OK, 200, "ok" },
		{ CE_EINPUT, 400, "bad_request" },
		{ CE_EAUTH, 401, "unauthorized" },
		{ CE_EFORBIDDEN, 403, "forbidden" },
		{ CE_ECONFLICT, 409, "conflict" },
		{ CE_ENOTFOUND, 404, "not_found" },
		{ CE_EMETHOD, 405, "method_not_allowed" },
		{ CE_E2BIG, 413, "too_large" },
		{ CE_ECTYPE, 415, "unsupported_media_type" },
		{ CE_EUNPROC, 422, "unprocessable" },
		{ CE_ERATE, 429, "rate_limited" },
		{ CE_ESYSTEM, 500, "internal_error" },
		{ CE_EUPSTREAM, 502, "upstream_error" },
		{ CE_EDB, 503, "database_unavailable" },
		{ CE_EUNAVAIL, 503, "not_ready" },
		{ CE_ENOMEM, 503, "out_of_memory" },
		{ CE_ETIMEOUT, 504, "deadline_exceeded" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		ATF_CHECK_EQ_MSG(ce_err_status(tab[i].e), tab[i].status,
		    "status of %d", (int)tab[i].e);
		ATF_CHECK_STREQ_MSG(ce_err_code(tab[i].e), tab[i].code,
		    "code of %d", (int)tab[i].e);
	}
}

ATF_TC_WITHOUT_HEAD(err_strerror__every_value);
ATF_TC_BODY(err_strerror__every_value, tc)
{
	int	 e;

	for (e = 0; e < CE_ERR__MAX; e++) {
		ATF_CHECK_MSG(ce_strerror(e) != NULL &&
		    strlen(ce_strerror(e)) > 0, "text of %d", e);
		ATF_CHECK_MSG(ce_err_code(e) != NULL &&
		    strlen(ce_err_code(e)) > 0, "code of %d", e);
		ATF_CHECK_MSG(ce_err_status(e) >= 200 &&
		    ce_err_status(e) < 600, "status of %d", e);
	}
}

ATF_TC_WITHOUT_HEAD(err__out_of_range);
ATF_TC_BODY(err__out_of_range, tc)
{
	ATF_CHECK_EQ(ce_err_status(CE_ERR__MAX), 500);
	ATF_CHECK_EQ(ce_err_status((enum ce_err)-1), 500);
	ATF_CHECK_STREQ(ce_err_code(CE_ERR__MAX + 5), "internal_error");
	ATF_CHECK_STREQ(ce_strerror(CE_ERR__MAX), "unknown error");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, err_status__table);
	ATF_TP_ADD_TC(tp, err_strerror__every_value);
	ATF_TP_ADD_TC(tp, err__out_of_range);
	return atf_no_error();
}
