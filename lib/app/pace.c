/*
 * pace.c -- WORK_API_MIN_INTERVAL between Work API calls made with one
 * token: the provider refuses calls closer than that (2 s in production).
 *
 * Each call reserves the next free time slot in PostgreSQL, for every
 * machine sharing the token (one row per token, c2s.work_spacing,
 * advanced in one statement: store.c), and the shared file of this
 * machine learns that slot (spacing.c).  Only without the database does
 * the file reserve, for the processes of this machine.  (Reserving in
 * both and waiting for the later slot let two processes that reached them
 * in different orders each wait a slot: then no call went at all.)  A
 * slot is taken only if it comes before the caller's deadline: a call
 * that cannot go reserves nothing, so that refused calls never push the
 * next ones further out.
 */
#include <stdint.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "shared/spacing.h"
#include "app/app.h"
#include "app/pace.h"
#include "app/store.h"

/*
 * Reserve a slot in PostgreSQL: the wait in ms, CX_SPACING_NO_SLOT when
 * it is over "max_wait" ms away, or -1 on failure.
 */
static long long
reserve_global(struct cx_app *app, uint64_t id, long long interval,
    long long max_wait)
{
	long long	 wait;

	if (cx_store_work_spacing(app->db, id, interval, max_wait, &wait) !=
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
cx_pace_reserve(struct cx_app *app, long long max_wait_ms)
{
	long long	 interval = app->cfg.work_api_min_interval_ms;
	long long	 local, global;
	uint64_t	 id;

	if (interval <= 0)
		return 0;
	id = cx_spacing_token(app->cfg.work_api_token);
	if (max_wait_ms < 0)
		return -1;
	if ((global = reserve_global(app, id, interval, max_wait_ms)) >= 0) {
		cx_spacing_learn(app->shf, id,
		    cx_wall_ms() + global + interval);
		return global;
	}
	if (global == CX_SPACING_NO_SLOT)
		return -1;
	if ((local = cx_spacing_reserve_local(app->shf, id, interval,
	    max_wait_ms)) == CX_SPACING_NO_SLOT)
		return -1;
	if (local < 0) {
		cx_logf(&app->log, CE_LOG_WARN,
		    "work spacing: neither the shared "
		    "file nor the database can space calls; calling now");
		return 0;
	}
	cx_logf(&app->log, CE_LOG_WARN, "work spacing: database unavailable; "
	    "this machine's spacing only");
	return local;
}
