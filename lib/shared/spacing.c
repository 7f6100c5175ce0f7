/*
 * spacing.c -- this machine's table of Work API slots, in the shared file
 * (CX_SHM_SPACING): one entry per token, the token's "next allowed" time
 * in epoch ms, taken and advanced by compare-and-swap, so the processes of
 * one machine agree without a lock.  Tokens are known by a 64-bit SipHash
 * of the token under a fixed key, never by the token.  The policy (ask
 * PostgreSQL first, this table only without it) is pace.c's.
 */
#include <stdint.h>
#include <string.h>

#include "core/clock.h"
#include "core/siphash.h"
#include "io/shmfile.h"
#include "shared/spacing.h"

struct space {
	uint64_t	 id;		/* token id; 0: free */
	int64_t		 next_ms;	/* the next free slot, epoch ms */
};

size_t
cx_spacing_size(void)
{
	return sizeof(struct space);
}

/* The token's id: not secret, not reversible to the token; never 0. */
uint64_t
cx_spacing_token(const char *token)
{
	static const uint8_t key[16] = "c2s-enrich/space";
	uint64_t	 h = ce_siphash(key, token, strlen(token));

	return h != 0 ? h : 1;
}

/* The token's entry in the shared file, or NULL without one. */
static struct space *
local_entry(struct cx_shmfile *f, uint64_t id)
{
	struct ce_shm	*s = cx_shmfile_get(f);
	struct space	*t, *sp = NULL;
	uint64_t	 cur;
	size_t		 n, i;

	if (s == NULL || (t = cx_shm_table(s, CX_SHM_SPACING, &n)) == NULL)
		return NULL;
	/* The token's slot, or the first free one (a lost race for it
	 * leaves "cur" holding the winner, maybe the same token). */
	for (i = 0; i < n && sp == NULL; i++) {
		cur = __atomic_load_n(&t[i].id, __ATOMIC_ACQUIRE);
		if (cur == 0)
			(void)__atomic_compare_exchange_n(&t[i].id, &cur, id, 0,
			    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
		if (cur == 0 || cur == id)
			sp = &t[i];
	}
	return sp;
}

/*
 * Reserve the slot of token "id" ("interval" ms after the one before) in
 * the shared file: the wait in ms, CX_SPACING_NO_SLOT when it is over
 * "max_wait" ms away (nothing reserved), or -1 without the file.
 */
long long
cx_spacing_reserve_local(struct cx_shmfile *f, uint64_t id,
    long long interval, long long max_wait)
{
	struct space	*sp = local_entry(f, id);
	int64_t		 next, slot, now;

	if (sp == NULL)
		return -1;
	next = __atomic_load_n(&sp->next_ms, __ATOMIC_ACQUIRE);
	do {
		now = cx_wall_ms();
		slot = next > now ? next : now;
		if (slot - now > max_wait)
			return CX_SPACING_NO_SLOT;
	} while (!__atomic_compare_exchange_n(&sp->next_ms, &next,
	    slot + interval, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	return slot - now;
}

/* The shared file learns a slot the database gave: none before "next_ms". */
void
cx_spacing_learn(struct cx_shmfile *f, uint64_t id, int64_t next_ms)
{
	struct space	*sp = local_entry(f, id);
	int64_t		 cur;

	if (sp == NULL)
		return;
	cur = __atomic_load_n(&sp->next_ms, __ATOMIC_ACQUIRE);
	while (cur < next_ms && !__atomic_compare_exchange_n(&sp->next_ms,
	    &cur, next_ms, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		continue;
}
