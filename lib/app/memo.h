/*
 * app/memo.h -- the process's memo of upstream answers (memo.c): the
 * cache of core/cache.c (made by ctx.c when CACHE_MAX_BYTES > 0) with its
 * hits and misses counted in the shared file's metrics.  Without a cache
 * every lookup misses (uncounted) and every store does nothing.
 */
#ifndef CE_APP_MEMO_H
#define CE_APP_MEMO_H

struct ce_cache;
struct cx_log;
struct cx_mtab;

struct cx_memo {
	struct ce_cache	*cache;		/* NULL: CACHE_MAX_BYTES=0 */
	struct cx_mtab	*mtab;		/* where hits and misses count */
	struct cx_log	*log;
};
void		 cx_memo_init(struct cx_memo *, struct ce_cache *,
		    struct cx_mtab *, struct cx_log *);
const char	*cx_memo_get(struct cx_memo *, const char *key);
void		 cx_memo_put(struct cx_memo *, const char *key,
		    const char *val, long long ttl_ms);
#define CX_DOSSIER_TTL_MS (3600LL * 1000)	/* Work API answers, cached */

#endif /* CE_APP_MEMO_H */
