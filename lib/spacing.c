/*
 * spacing.c -- WORK_API_MIN_INTERVAL between Work API calls made with one
 * token: the provider refuses calls closer than that (2 s in production).
 *
 * Each call reserves the next free time slot twice: in the shared file,
 * for the processes of this machine (a compare-and-swap on the token's
 * "next allowed" time), and in PostgreSQL, for every machine sharing the
 * token (one row per token, c2s.work_spacing, advanced in one
 * statement).  The call then waits for the later of the two.  Tokens are
 * known by a 64-bit SipHash of the token under a fixed key, never by the
 * token.  Without the database the machine's own spacing still holds;
 * without the shared file, the database's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c2s-enrich.h"
#include "extern.h"

struct space {
	uint64_t	 id;		/* token id; 0: free */
	int64_t		 next_ms;	/* the next free slot, epoch ms */
};

size_t
cx_spacing_size(void)
{
	return sizeof(struct space);
}

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The token's id: not secret, not reversible to the token. */
static uint64_t
token_id(const char *token)
{
	static const uint8_t key[16] = "c2s-enrich/space";
	uint64_t	 h = ce_siphash(key, token, strlen(token));

	return h != 0 ? h : 1;
}

/* Reserve a slot in the shared file: the wait in ms, or -1 without it. */
static long long
reserve_local(struct ce_ctx *ctx, uint64_t id, long long interval)
{
	struct ce_shm	*s = cx_shm(ctx);
	struct space	*t, *sp = NULL;
	uint64_t	 cur;
	int64_t		 next, slot, now;
	size_t		 n, i;

	if (s == NULL || (t = cx_shm_table(s, CX_SHM_SPACING, &n)) == NULL)
		return -1;
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
	if (sp == NULL)
		return -1;
	next = __atomic_load_n(&sp->next_ms, __ATOMIC_ACQUIRE);
	do {
		now = now_ms();
		slot = next > now ? next : now;
	} while (!__atomic_compare_exchange_n(&sp->next_ms, &next,
	    slot + interval, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	return slot - now;
}

/* Reserve a slot in PostgreSQL: the wait in ms, or -1 on failure. */
static long long
reserve_global(struct ce_ctx *ctx, uint64_t id, long long interval)
{
	PGresult	*res;
	const char	*p[2];
	char		 idhex[17], iv[24];
	long long	 wait = -1;

	snprintf(idhex, sizeof(idhex), "%016" PRIx64, id);
	snprintf(iv, sizeof(iv), "%lld", interval);
	p[0] = idhex;
	p[1] = iv;
	if (cx_db_exec(ctx->db, CX_STMT_WORK_SPACING, 2, p, &res) != CE_OK)
		return -1;
	if (PQntuples(res) != 1 ||
	    ce_strtonum(PQgetvalue(res, 0, 0), 0, 86400000LL, &wait) == -1)
		wait = -1;
	PQclear(res);
	return wait;
}

/*
 * Reserve the next Work API slot for the configured token.  Returns how
 * many milliseconds to wait before the call may go (0 when spacing is
 * off or the slot is now).
 */
long long
cx_spacing_reserve(struct ce_ctx *ctx)
{
	long long	 interval = ctx->cfg.work_api_min_interval_ms;
	long long	 local, global;
	uint64_t	 id;

	if (interval <= 0)
		return 0;
	id = token_id(ctx->cfg.work_api_token);
	local = reserve_local(ctx, id, interval);
	global = reserve_global(ctx, id, interval);
	if (local < 0 && global < 0)
		ce_log(ctx, CE_LOG_WARN, "work spacing: neither the shared "
		    "file nor the database can space calls; calling now");
	else if (global < 0)
		ce_log(ctx, CE_LOG_WARN, "work spacing: database unavailable; "
		    "this machine's spacing only");
	return local > global ? (local > 0 ? local : 0) :
	    (global > 0 ? global : 0);
}
