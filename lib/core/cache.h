/*
 * core/cache.h -- a per-process LRU with TTL, bounded in bytes
 * (cache.c): string keys to byte values, least recently used evicted
 * first.  One process, one request at a time: no locks.
 */
#ifndef CE_CORE_CACHE_H
#define CE_CORE_CACHE_H

#include <stddef.h>

#include "core/err.h"

struct ce_cache;

struct ce_cache_stats {
	size_t			 entries, bytes, max_bytes;
	unsigned long long	 hits, misses;
};

struct ce_cache	*ce_cache_new(size_t max_bytes);
void		 ce_cache_free(struct ce_cache *);
const char	*ce_cache_get(struct ce_cache *, const char *key, size_t *len);
enum ce_err	 ce_cache_put(struct ce_cache *, const char *key,
		    const void *val, size_t len, long long ttl_ms) CE_WUR;
void		 ce_cache_stats(const struct ce_cache *,
		    struct ce_cache_stats *);

#endif /* CE_CORE_CACHE_H */
