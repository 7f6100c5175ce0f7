/*
 * cache_test -- the per-process cache (lib/core/cache.c): hits and misses,
 * time to live, least-recently-used eviction within the byte bound.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <atf-c.h>

#include "core/cache.h"

ATF_TC_WITHOUT_HEAD(cache__get_put_replace);
ATF_TC_BODY(cache__get_put_replace, tc)
{
	struct ce_cache		*c = ce_cache_new(64 * 1024);
	struct ce_cache_stats	 st;
	size_t			 len;
	const char		*v;

	ATF_REQUIRE(c != NULL);
	ATF_CHECK(ce_cache_get(c, "a", NULL) == NULL);
	ATF_REQUIRE_EQ(ce_cache_put(c, "a", "one", 3, 60000), CE_OK);
	ATF_REQUIRE((v = ce_cache_get(c, "a", &len)) != NULL);
	ATF_CHECK_STREQ(v, "one");
	ATF_CHECK_EQ(len, 3);
	ATF_REQUIRE_EQ(ce_cache_put(c, "a", "three", 5, 60000), CE_OK);
	ATF_CHECK_STREQ(ce_cache_get(c, "a", NULL), "three");
	ce_cache_stats(c, &st);
	ATF_CHECK_EQ(st.entries, 1);
	ATF_CHECK_EQ(st.hits, 2);
	ATF_CHECK_EQ(st.misses, 1);
	ce_cache_free(c);
}

ATF_TC_WITHOUT_HEAD(cache__ttl);
ATF_TC_BODY(cache__ttl, tc)
{
	struct ce_cache		*c = ce_cache_new(64 * 1024);
	struct timespec		 ts = { 0, 30 * 1000000 };

	ATF_REQUIRE_EQ(ce_cache_put(c, "k", "v", 1, 10), CE_OK);
	ATF_CHECK(ce_cache_get(c, "k", NULL) != NULL);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
	ATF_CHECK(ce_cache_get(c, "k", NULL) == NULL);
	ce_cache_free(c);
}

ATF_TC_WITHOUT_HEAD(cache__lru_within_bytes);
ATF_TC_BODY(cache__lru_within_bytes, tc)
{
	struct ce_cache		*c = ce_cache_new(16 * 1024);
	struct ce_cache_stats	 st;
	char			 key[16], val[1000];
	int			 i;

	memset(val, 'x', sizeof(val));
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ATF_REQUIRE_EQ(ce_cache_put(c, key, val, sizeof(val), 60000),
		    CE_OK);
		/* k0 is used all along: it must survive. */
		ATF_CHECK_MSG(ce_cache_get(c, "k0", NULL) != NULL,
		    "k0 evicted at %d", i);
		ce_cache_stats(c, &st);
		ATF_CHECK(st.bytes <= 16 * 1024);
	}
	ATF_CHECK(ce_cache_get(c, "k1", NULL) == NULL);
	ATF_CHECK(ce_cache_get(c, "k99", NULL) != NULL);
	ce_cache_stats(c, &st);
	ATF_CHECK(st.entries >= 10 && st.entries <= 16);
	/* Larger than a quarter of the bound: not kept. */
	ATF_CHECK_EQ(ce_cache_put(c, "big", val, 5000, 60000), CE_E2BIG);
	ATF_CHECK(ce_cache_get(c, "big", NULL) == NULL);
	ce_cache_free(c);
	/* A bound of 0 disables it. */
	c = ce_cache_new(0);
	ATF_CHECK_EQ(ce_cache_put(c, "k", "v", 1, 60000), CE_E2BIG);
	ce_cache_free(c);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, cache__get_put_replace);
	ATF_TP_ADD_TC(tp, cache__ttl);
	ATF_TP_ADD_TC(tp, cache__lru_within_bytes);
	return atf_no_error();
}
