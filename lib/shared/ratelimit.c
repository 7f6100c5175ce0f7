/*
 * ratelimit.c -- token buckets per client address, shared by every
 * process of a machine through the shared file.  The caller keys a
 * bucket by family and address (the API's routes: RATE_LIMIT requests a
 * second, bursts of RATE_BURST; the webhooks: WEBHOOK_RATE_LIMIT and
 * WEBHOOK_RATE_BURST, handle.c).  The address (req.c) is REMOTE_ADDR,
 * the one lighttpd reports: behind TRUSTED_PROXIES its mod_extforward
 * has put the client's address there; no forwarded header is parsed
 * in C.
 *
 * Buckets live in a table of the file keyed by a SipHash of the address
 * under the file's key, open addressing with a window of PROBE slots;
 * when the window is full the bucket idle longest is taken over (it
 * would be full by now, or nearly).  Operations hold the file's lock for
 * a few microseconds.  Without the file, nothing is limited.
 */
#include <string.h>

#include "core/clock.h"
#include "io/shmfile.h"
#include "shared/ratelimit.h"

#define PROBE		8

struct bucket {
	uint64_t	 hash;		/* 0: free */
	int64_t		 last_ms;	/* last refill */
	int64_t		 milli;		/* tokens x 1000 */
};

size_t
cx_rate_size(void)
{
	return sizeof(struct bucket);
}

/*
 * Take one token from the bucket of "key" (a client's address, with the
 * prefix of its bucket family) in the file "f", which refills "rate"
 * tokens a second up to "burst".  Returns 0 (go on), or the milliseconds until a token is
 * there again (answer 429).  A rate of 0 limits nothing.
 */
long long
cx_rate_take(struct cx_shmfile *f, const char *key, long long rate,
    long long burst)
{
	struct ce_shm	*s;
	struct bucket	*t, *b = NULL, *old = NULL;
	int64_t		 now, cap, wait = 0;
	uint64_t	 h;
	size_t		 n, i, k;

	if (rate <= 0 || burst <= 0 || (s = cx_shmfile_get(f)) == NULL ||
	    (t = cx_shm_table(s, CX_SHM_RATE, &n)) == NULL || n == 0)
		return 0;
	h = cx_shm_hash(s, key);
	cap = burst * 1000;
	if (ce_shm_lock(s) == -1)
		return 0;
	now = cx_now_us() / 1000;
	for (i = 0; i < PROBE && i < n; i++) {
		k = (size_t)((h + i) % n);
		if (t[k].hash == h) {
			b = &t[k];
			break;
		}
		if (old == NULL || t[k].hash == 0 ||
		    (old->hash != 0 && t[k].last_ms < old->last_ms))
			old = &t[k];
	}
	if (b == NULL) {
		b = old;
		b->hash = h;
		b->last_ms = now;
		b->milli = cap;
	}
	if (now > b->last_ms) {
		b->milli += (now - b->last_ms) * rate;
		if (b->milli > cap)
			b->milli = cap;
		b->last_ms = now;
	} else if (now < b->last_ms)
		b->last_ms = now;	/* a file kept across a boot */
	if (b->milli >= 1000)
		b->milli -= 1000;
	else
		wait = (1000 - b->milli + rate - 1) / rate;
	ce_shm_unlock(s);
	return wait;
}
