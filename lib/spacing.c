/*
 * spacing.c -- WORK_API_MIN_INTERVAL between Work API calls made with one
 * token: the provider refuses calls closer than that (2 s in production).
 *
 * Each call reserves the next free time slot in PostgreSQL, for every
 * machine sharing the token (one row per token, c2s.work_spacing,
 * advanced in one statement), and the shared file of this machine learns
 * that slot (a compare-and-swap on the token's "next allowed" time).  Only
 * without the database does the file reserve, for the processes of this
 * machine.  (Reserving in both and waiting for the later slot let two
 * processes that reached them in different orders each wait a slot: then
 * no call went at all.)  Tokens are known by a 64-bit SipHash of the token
 * under a fixed key, never by the token.  A slot is taken only if it comes
 * before the caller's deadline: a call that cannot go reserves nothing, so
 * that refused calls never push the next ones further out.
 */
#include <stdint.h>
#include <string.h>

#include "c2s-enrich.h"
#include "extern.h"

#define NO_SLOT		(-2)	/* no slot within the wait allowed */

struct space {
	uint64_t	 id;		/* token id; 0: free */
	int64_t		 next_ms;	/* the next free slot, epoch ms */
};

size_t
cx_spacing_size(void)
{
	return sizeof(struct space);
}

/* The token's id: not secret, not reversible to the token. */
static uint64_t
token_id(const char *token)
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
 * Reserve a slot in the shared file: the wait in ms, NO_SLOT when it is
 * over "max_wait" ms away, or -1 without the file.
 */
static long long
reserve_local(struct cx_shmfile *f, uint64_t id, long long interval,
    long long max_wait)
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
			return NO_SLOT;
	} while (!__atomic_compare_exchange_n(&sp->next_ms, &next,
	    slot + interval, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	return slot - now;
}

/* The shared file learns a slot the database gave: none before "next". */
static void
learn_local(struct cx_shmfile *f, uint64_t id, int64_t next_ms)
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

/*
 * Reserve a slot in PostgreSQL: the wait in ms, NO_SLOT when it is over
 * "max_wait" ms away, or -1 on failure.
 */
static long long
reserve_global(struct ce_ctx *ctx, uint64_t id, long long interval,
    long long max_wait)
{
	long long	 wait;

	if (cx_store_work_spacing(ctx->db, id, interval, max_wait, &wait) !=
	    CE_OK)
		return -1;
	return wait;
}

/*
 * Reserve the next Work API slot for the configured token if it comes
 * within "max_wait_ms".  Returns how many milliseconds to wait before the
 * call may go (0 when spacing is off or the slot is now), or -1 when the
 * next slot is later than that (nothing is reserved then).
 */
long long
cx_spacing_reserve(struct ce_ctx *ctx, long long max_wait_ms)
{
	long long	 interval = ctx->cfg.work_api_min_interval_ms;
	long long	 local, global;
	uint64_t	 id;

	if (interval <= 0)
		return 0;
	id = token_id(ctx->cfg.work_api_token);
	if (max_wait_ms < 0)
		return -1;
	if ((global = reserve_global(ctx, id, interval, max_wait_ms)) >= 0) {
		learn_local(ctx->shf, id, cx_wall_ms() + global + interval);
		return global;
	}
	if (global == NO_SLOT)
		return -1;
	if ((local = reserve_local(ctx->shf, id, interval, max_wait_ms)) ==
	    NO_SLOT)
		return -1;
	if (local < 0) {
		cx_logf(&ctx->log, CE_LOG_WARN,
		    "work spacing: neither the shared "
		    "file nor the database can space calls; calling now");
		return 0;
	}
	cx_logf(&ctx->log, CE_LOG_WARN, "work spacing: database unavailable; "
	    "this machine's spacing only");
	return local;
}
