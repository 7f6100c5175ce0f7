/*
 * memo.c -- the process's memo of upstream answers: the cache of cache.c
 * (made by ctx.c when CACHE_MAX_BYTES > 0) with its hits and misses
 * counted in the shared file's metrics.  The pipeline keeps dossiers and
 * contact-to-CPF answers here, the Work API proxy its answers.  Without a
 * cache every lookup misses (uncounted) and every store does nothing.
 */
#include <string.h>

#include "core/cache.h"
#include "core/err.h"
#include "core/log.h"
#include "shared/metrics.h"
#include "app/memo.h"

void
cx_memo_init(struct cx_memo *m, struct ce_cache *cache, struct cx_mtab *mtab,
    struct cx_log *log)
{
	m->cache = cache;
	m->mtab = mtab;
	m->log = log;
}

/* Keep the string "val" under "key"; a failure only costs a later call. */
void
cx_memo_put(struct cx_memo *m, const char *key, const char *val,
    long long ttl_ms)
{
	if (m->cache != NULL && ce_cache_put(m->cache, key, val, strlen(val),
	    ttl_ms) == CE_ENOMEM)
		cx_logf(m->log, CE_LOG_WARN, "cache: out of memory");
}

/* A lookup, counted in the metrics; NULL when absent or expired. */
const char *
cx_memo_get(struct cx_memo *m, const char *key)
{
	const char	*v;

	if (m->cache == NULL)
		return NULL;
	v = ce_cache_get(m->cache, key, NULL);
	cx_mtab_cache(m->mtab, v != NULL);
	return v;
}
