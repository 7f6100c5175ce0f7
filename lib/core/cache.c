/*
 * cache.c -- a per-process cache: string keys to byte values, each with a
 * time to live, bounded in bytes (entry headers, keys and values all
 * counted), least recently used evicted first.  The pipeline keeps Work
 * API dossiers (1 h) and contact-to-CPF answers (24 h) here, so a hit
 * costs no upstream call.  One process, one request at a time: no locks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cache.h"
#include "core/clock.h"

#define NBUCKETS	1024	/* a power of two */

struct ent {
	struct ent	*hnext;		/* bucket chain */
	struct ent	*prev, *next;	/* LRU list, most recent first */
	uint64_t	 h;
	long long	 expires_us;
	size_t		 klen, vlen;
	char		 data[];	/* key NUL value NUL */
};

struct ce_cache {
	struct ent	*bucket[NBUCKETS];
	struct ent	*head, *tail;
	size_t		 bytes, max_bytes, n;
	unsigned long long hits, misses;
};

static uint64_t
fnv1a(const char *s, size_t len)
{
	uint64_t	 h = 14695981039346656037ULL;
	size_t		 i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static size_t
ent_size(size_t klen, size_t vlen)
{
	return sizeof(struct ent) + klen + vlen + 2;
}

struct ce_cache *
ce_cache_new(size_t max_bytes)
{
	struct ce_cache	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->max_bytes = max_bytes;
	return c;
}

static void
unlink_ent(struct ce_cache *c, struct ent *e)
{
	struct ent	**pp = &c->bucket[e->h & (NBUCKETS - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	c->bytes -= ent_size(e->klen, e->vlen);
	c->n--;
	free(e);
}

void
ce_cache_free(struct ce_cache *c)
{
	if (c == NULL)
		return;
	while (c->head != NULL)
		unlink_ent(c, c->head);
	free(c);
}

static struct ent *
lookup(struct ce_cache *c, const char *key, size_t klen, uint64_t h)
{
	struct ent	*e;

	for (e = c->bucket[h & (NBUCKETS - 1)]; e != NULL; e = e->hnext)
		if (e->h == h && e->klen == klen &&
		    memcmp(e->data, key, klen) == 0)
			return e;
	return NULL;
}

/*
 * The value of "key" (NUL-terminated, its length in "*len" if not NULL),
 * valid until the next call that changes the cache; NULL when absent or
 * expired.  A hit becomes the most recently used.
 */
const char *
ce_cache_get(struct ce_cache *c, const char *key, size_t *len)
{
	size_t		 klen = strlen(key);
	uint64_t	 h = fnv1a(key, klen);
	struct ent	*e;

	if ((e = lookup(c, key, klen, h)) == NULL) {
		c->misses++;
		return NULL;
	}
	if (e->expires_us <= cx_now_us()) {
		unlink_ent(c, e);
		c->misses++;
		return NULL;
	}
	if (e != c->head) {
		e->prev->next = e->next;
		if (e->next != NULL)
			e->next->prev = e->prev;
		else
			c->tail = e->prev;
		e->prev = NULL;
		e->next = c->head;
		c->head->prev = e;
		c->head = e;
	}
	c->hits++;
	if (len != NULL)
		*len = e->vlen;
	return e->data + klen + 1;
}

/*
 * Store "len" bytes of "val" under "key" for "ttl_ms", evicting the least
 * recently used entries to stay within the byte bound.  An entry larger
 * than a quarter of the bound is not kept.  Returns CE_OK, CE_E2BIG or
 * CE_ENOMEM (the cache is then unchanged but for evictions).
 */
enum ce_err
ce_cache_put(struct ce_cache *c, const char *key, const void *val,
    size_t len, long long ttl_ms)
{
	size_t		 klen = strlen(key), sz = ent_size(klen, len);
	uint64_t	 h = fnv1a(key, klen);
	struct ent	*e;

	if ((e = lookup(c, key, klen, h)) != NULL)
		unlink_ent(c, e);
	if (sz > c->max_bytes / 4)
		return CE_E2BIG;
	while (c->bytes + sz > c->max_bytes && c->tail != NULL)
		unlink_ent(c, c->tail);
	if ((e = malloc(sz)) == NULL)
		return CE_ENOMEM;
	e->h = h;
	e->klen = klen;
	e->vlen = len;
	e->expires_us = cx_now_us() + ttl_ms * 1000;
	memcpy(e->data, key, klen + 1);
	memcpy(e->data + klen + 1, val, len);
	e->data[klen + 1 + len] = '\0';
	e->hnext = c->bucket[h & (NBUCKETS - 1)];
	c->bucket[h & (NBUCKETS - 1)] = e;
	e->prev = NULL;
	e->next = c->head;
	if (c->head != NULL)
		c->head->prev = e;
	c->head = e;
	if (c->tail == NULL)
		c->tail = e;
	c->bytes += sz;
	c->n++;
	return CE_OK;
}

void
ce_cache_stats(const struct ce_cache *c, struct ce_cache_stats *st)
{
	st->entries = c->n;
	st->bytes = c->bytes;
	st->max_bytes = c->max_bytes;
	st->hits = c->hits;
	st->misses = c->misses;
}
