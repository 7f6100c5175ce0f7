/*
 * dedup.c -- the de-duplication table of the shared file (the file is
 * io/shmfile.c's): never run a lead twice at once on a machine, nor
 * again within its TTL.
 *
 * A slot holds SipHash-2-4 of the lead id under the file's key (never the
 * id), a state (in flight with its owner's pid and start, or done with an
 * outcome), and an expiry.  Open addressing with a bounded probe window:
 * every operation scans the whole window, so a slot can be emptied in
 * place.  A full window is reported, and the caller falls back to the
 * database.  Every operation holds the file's lock.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "io/shmfile.h"
#include "shared/dedup.h"

#define PROBE		16

enum { SLOT_EMPTY = 0, SLOT_INFLIGHT = 1, SLOT_DONE = 2 };

struct slot {
	uint64_t	 hash;
	uint32_t	 state;
	int32_t		 pid;
	int64_t		 start_ms;
	int64_t		 expires_ms;
	int32_t		 outcome;
	uint32_t	 pad;
};

size_t
cx_dedup_slot_size(void)
{
	return sizeof(struct slot);
}

/* A file of the dedup table alone (its other tables are the callers'). */
struct ce_shm *
ce_shm_open(const char *path, size_t nslots, char *err, size_t errsz)
{
	struct cx_shm_tab	 t;

	t.kind = CX_SHM_DEDUP;
	t.nslots = nslots;
	t.slotsize = sizeof(struct slot);
	return cx_shm_open_tabs(path, &t, 1, err, errsz);
}

/* The dedup table of "s", as mapped. */
struct dtab {
	struct slot	*slots;
	uint32_t	 nslots;
};

static struct dtab
dtab(const struct ce_shm *s)
{
	struct dtab	 t;
	size_t		 n;

	t.slots = cx_shm_first(s, &n);
	t.nslots = (uint32_t)n;
	return t;
}

size_t
ce_shm_slots(const struct ce_shm *s)
{
	return dtab(s).nslots;
}

/* Is this slot free for a new claim at "now"? */
static int
slot_free(const struct slot *sl, int64_t now)
{
	if (sl->state == SLOT_EMPTY)
		return 1;
	if (sl->expires_ms <= now)
		return 1;
	/* In flight, but its owner is gone: reclaim it. */
	if (sl->state == SLOT_INFLIGHT && sl->pid > 0 &&
	    kill(sl->pid, 0) == -1 && errno == ESRCH)
		return 1;
	return 0;
}

/* The slot holding "h" in its window, or NULL. */
static struct slot *
find(const struct dtab *t, uint64_t h)
{
	uint32_t	 i, k;

	for (i = 0; i < PROBE && i < t->nslots; i++) {
		k = (uint32_t)((h + i) % t->nslots);
		if (t->slots[k].hash == h && t->slots[k].state != SLOT_EMPTY)
			return &t->slots[k];
	}
	return NULL;
}

static enum ce_claim
claim(struct ce_shm *s, const char *key, long long inflight_ms,
    int *outcome, int redo)
{
	struct dtab	 t = dtab(s);
	uint64_t	 h = cx_shm_hash(s, key);
	int64_t		 now = cx_wall_ms();
	struct slot	*sl, *fr = NULL;
	uint32_t	 i, k;
	enum ce_claim	 c;

	*outcome = 0;
	if (ce_shm_lock(s) == -1)
		return CE_CLAIM_FULL;
	if ((sl = find(&t, h)) != NULL && !slot_free(sl, now) &&
	    !(redo && sl->state == SLOT_DONE)) {
		*outcome = sl->outcome;
		c = sl->state == SLOT_DONE ? CE_CLAIM_DONE : CE_CLAIM_INFLIGHT;
		ce_shm_unlock(s);
		return c;
	}
	if (sl != NULL)
		fr = sl;
	for (i = 0; fr == NULL && i < PROBE && i < t.nslots; i++) {
		k = (uint32_t)((h + i) % t.nslots);
		if (slot_free(&t.slots[k], now))
			fr = &t.slots[k];
	}
	if (fr == NULL) {
		ce_shm_unlock(s);
		return CE_CLAIM_FULL;
	}
	fr->hash = h;
	fr->state = SLOT_INFLIGHT;
	fr->pid = (int32_t)getpid();
	fr->start_ms = now;
	fr->expires_ms = now + inflight_ms;
	fr->outcome = 0;
	ce_shm_unlock(s);
	return CE_CLAIM_OWN;
}

/*
 * Claim "key" for this process for at most "inflight_ms".  Returns
 * CE_CLAIM_OWN (ours now), CE_CLAIM_INFLIGHT or CE_CLAIM_DONE (with the
 * outcome recorded by ce_dedup_done() in "*outcome"), or CE_CLAIM_FULL
 * when its window has no free slot.
 */
enum ce_claim
ce_dedup_claim(struct ce_shm *s, const char *key, long long inflight_ms,
    int *outcome)
{
	return claim(s, key, inflight_ms, outcome, 0);
}

/*
 * The same, but a key done within its TTL is claimed again (a scheduled
 * retry); one in flight is not.
 */
enum ce_claim
ce_dedup_reclaim(struct ce_shm *s, const char *key, long long inflight_ms,
    int *outcome)
{
	return claim(s, key, inflight_ms, outcome, 1);
}

/* Mark "key" done with "outcome" for "ttl_ms"; only our own claim. */
void
ce_dedup_done(struct ce_shm *s, const char *key, long long ttl_ms,
    int outcome)
{
	struct dtab	 t = dtab(s);
	uint64_t	 h = cx_shm_hash(s, key);
	struct slot	*sl;

	if (ce_shm_lock(s) == -1)
		return;
	if ((sl = find(&t, h)) != NULL && sl->state == SLOT_INFLIGHT &&
	    sl->pid == (int32_t)getpid()) {
		sl->state = SLOT_DONE;
		sl->expires_ms = cx_wall_ms() + ttl_ms;
		sl->outcome = outcome;
	}
	ce_shm_unlock(s);
}

/* Give up our claim on "key", so that a retry can run at once. */
void
ce_dedup_release(struct ce_shm *s, const char *key)
{
	struct dtab	 t = dtab(s);
	uint64_t	 h = cx_shm_hash(s, key);
	struct slot	*sl;

	if (ce_shm_lock(s) == -1)
		return;
	if ((sl = find(&t, h)) != NULL && sl->pid == (int32_t)getpid())
		memset(sl, 0, sizeof(*sl));
	ce_shm_unlock(s);
}

/* How many slots hold a live entry (for /health). */
size_t
ce_dedup_used(struct ce_shm *s)
{
	struct dtab	 t = dtab(s);
	int64_t		 now = cx_wall_ms();
	size_t		 n = 0;
	uint32_t	 i;

	if (ce_shm_lock(s) == -1)
		return 0;
	for (i = 0; i < t.nslots; i++)
		if (!slot_free(&t.slots[i], now))
			n++;
	ce_shm_unlock(s);
	return n;
}
