/*
 * poolctl.c -- the pool master's policy (docs/POOL-PLAN.md §2): on each
 * tick, from the scoreboard's slots as the master sees them, the sizes
 * configured and the time, the actions to take: grow (below POOL_MIN at
 * once, towards POOL_SPARE idle ones at 1, 2, 4, 8 a tick), shrink (the
 * child idle the longest, past POOL_IDLE_TIMEOUT, one a tick), the spawn
 * backoff after failed children, the SIGHUP reload's generations, the
 * SIGTERM stop, the slowlog and the "pool short" line.  On each reaped
 * child, its class (recycled, expected, failed) and the backoff.  Pure:
 * the time is the caller's, and the caller acts.
 */
#include <sys/wait.h>

#include <string.h>

#include "core/poolctl.h"

/* The failures counted at most (the delay is capped long before). */
#define FAILURES_MAX	1000

static const char *const pslot_names[CE_PS__MAX] = {
	[CE_PS_FREE] = "free",
	[CE_PS_STARTING] = "starting",
	[CE_PS_IDLE] = "idle",
	[CE_PS_BUSY] = "busy",
	[CE_PS_EXITING] = "exiting",
};

static const char *const exit_names[CE_PX__MAX] = {
	[CE_PX_RECYCLED] = "recycled",
	[CE_PX_EXPECTED] = "expected",
	[CE_PX_FAILED] = "failed",
};

/* The slots counted on a tick: every generation, and the current one. */
struct counts {
	int	 alive, idle, busy, starting, total, nfree;
	int	 cur_alive, cur_idle, cur_starting, cur_up, cur_total;
	int	 old_alive, old_busy, old_total;
};

const char *
ce_pslot_name(int s)
{
	if (s < 0 || s >= CE_PS__MAX)
		return "unknown";
	return pslot_names[s];
}

const char *
ce_pool_exit_name(enum ce_pool_exit x)
{
	if ((unsigned)x >= CE_PX__MAX)
		return "unknown";
	return exit_names[x];
}

/*
 * The spawn delay after "failures" consecutive failed children: none for
 * 0, then 100 ms doubling with each failure, capped at 30 s.
 */
long long
ce_poolctl_backoff_ms(int failures)
{
	long long	 d;
	int		 i;

	if (failures <= 0)
		return 0;
	d = CE_POOL_BACKOFF_MIN_MS;
	for (i = 1; i < failures && d < CE_POOL_BACKOFF_MAX_MS; i++)
		d *= 2;
	return d < CE_POOL_BACKOFF_MAX_MS ? d : CE_POOL_BACKOFF_MAX_MS;
}

/*
 * Set "st" for a pool with no child yet at time "now_ms": generation 1,
 * spare growth at rate 1, no backoff, no reload, not short.
 */
void
ce_poolctl_init(struct ce_pool_state *st, long long now_ms)
{
	memset(st, 0, sizeof(*st));
	st->generation = 1;
	st->rate = 1;
	st->started_ms = now_ms;
}

/*
 * A child of "slots" is alive if it exists, is not on its way out and was
 * not told to stop.
 */
static int
alive(const struct ce_pool_view *v)
{
	return v->state != CE_PS_FREE && v->state != CE_PS_EXITING &&
	    !v->stopping;
}

static void
count(const struct ce_pool_state *st, const struct ce_pool_view *slots,
    size_t n, struct counts *c)
{
	const struct ce_pool_view	*v;
	size_t				 i;
	int				 cur;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < n; i++) {
		v = &slots[i];
		if (v->state == CE_PS_FREE) {
			c->nfree++;
			continue;
		}
		cur = v->generation == st->generation;
		c->total++;
		if (cur)
			c->cur_total++;
		else
			c->old_total++;
		if (!alive(v))
			continue;
		c->alive++;
		if (cur)
			c->cur_alive++;
		else
			c->old_alive++;
		switch (v->state) {
		case CE_PS_STARTING:
			c->starting++;
			if (cur)
				c->cur_starting++;
			break;
		case CE_PS_IDLE:
			c->idle++;
			if (cur) {
				c->cur_idle++;
				c->cur_up++;
			}
			break;
		case CE_PS_BUSY:
			c->busy++;
			if (cur)
				c->cur_up++;
			else
				c->old_busy++;
			break;
		default:
			break;
		}
	}
}

/* Add slot "i" to the slots to SIGTERM. */
static void
stop_slot(struct ce_pool_acts *out, size_t i)
{
	if (out->nstop < CE_POOL_SLOTS)
		out->stop[out->nstop++] = (int)i;
}

/*
 * The slowlog: every BUSY child whose request has run SLOWLOG_AFTER or
 * more and was not logged yet.
 */
static void
slowlog(const struct ce_pool_policy *pol, const struct ce_pool_view *slots,
    size_t n, long long now_ms, struct ce_pool_acts *out)
{
	size_t	 i;

	if (pol->slowlog_after_ms <= 0)
		return;
	for (i = 0; i < n; i++)
		if (slots[i].state == CE_PS_BUSY &&
		    now_ms - slots[i].req_start_ms >= pol->slowlog_after_ms &&
		    slots[i].slowlogged != slots[i].reqno &&
		    out->nslow < CE_POOL_SLOTS)
			out->slow[out->nslow++] = (int)i;
}

/*
 * The backoff ends once a child born after the last failure has been up
 * (IDLE or BUSY) for CE_POOL_SURVIVOR_MS: the cause is gone.  Children
 * older than the failure prove nothing (one slot may keep failing while
 * the others serve).  It ends too once CE_POOL_SURVIVOR_MS have passed
 * since the backoff last let a child be forked (next_spawn_ms) with no
 * failure since: a failure that needed no new child (the pool was over
 * its sizes) is not the start of a streak a week later.
 */
static void
survivor(struct ce_pool_state *st, const struct ce_pool_view *slots,
    size_t n, long long now_ms)
{
	size_t	 i;

	if (st->failures == 0)
		return;
	if (now_ms - st->next_spawn_ms >= CE_POOL_SURVIVOR_MS &&
	    now_ms - st->last_fail_ms >= CE_POOL_SURVIVOR_MS) {
		st->failures = 0;
		st->next_spawn_ms = 0;
		return;
	}
	for (i = 0; i < n; i++)
		if ((slots[i].state == CE_PS_IDLE ||
		    slots[i].state == CE_PS_BUSY) &&
		    slots[i].born_ms >= st->last_fail_ms &&
		    now_ms - slots[i].born_ms >= CE_POOL_SURVIVOR_MS) {
			st->failures = 0;
			st->next_spawn_ms = 0;
			return;
		}
}

/*
 * The short pool: fewer than POOL_MIN alive, since short_since_ms; once
 * that has lasted POOL_SHORT_AFTER, one line a minute.
 */
static void
shortage(struct ce_pool_state *st, const struct ce_pool_policy *pol,
    const struct counts *c, long long now_ms, struct ce_pool_acts *out)
{
	if (st->stopping || c->alive >= pol->min) {
		st->short_since_ms = 0;
		st->short_logged_ms = 0;
		return;
	}
	if (st->short_since_ms == 0)
		st->short_since_ms = now_ms;
	out->short_for_ms = now_ms - st->short_since_ms;
	if (out->short_for_ms > pol->short_after_ms &&
	    (st->short_logged_ms == 0 ||
	    now_ms - st->short_logged_ms >= CE_POOL_SHORT_EVERY_MS)) {
		out->log_short = 1;
		st->short_logged_ms = now_ms;
	}
}

/*
 * The reload in progress.  On its first tick, its target: max(POOL_MIN,
 * busy + POOL_SPARE) new children, at most POOL_MAX.  The new generation
 * is forked up to it at once (as slots and the backoff allow); once that
 * many are up (IDLE or BUSY), or CE_POOL_RELOAD_WAIT_MS after the reload,
 * every old child is stopped.  The target stays a floor until reached
 * once; the reload ends when the last old child is gone.  Sets "want" to
 * the new children lacking; returns 1 while the target drives the size
 * (the spare policy waits), else 0.
 */
static int
reload_step(struct ce_pool_state *st, const struct ce_pool_policy *pol,
    long long now_ms, const struct counts *c, int *want)
{
	int	 w;

	*want = 0;
	if (st->reload_ms == 0)
		return 0;
	if (st->reload_want < 0) {
		w = c->old_busy + pol->spare;
		if (w < pol->min)
			w = pol->min;
		if (w > pol->max)
			w = pol->max;
		st->reload_want = w;
	}
	if (!st->reload_old_stopped &&
	    (c->cur_up >= st->reload_want ||
	    now_ms - st->reload_ms >= CE_POOL_RELOAD_WAIT_MS))
		st->reload_old_stopped = 1;
	if (st->reload_old_stopped && c->old_total == 0) {
		st->reload_ms = 0;
		st->reload_want = 0;
		st->reload_old_stopped = 0;
		return 0;
	}
	if (st->reload_want > c->cur_alive) {
		*want = st->reload_want - c->cur_alive;
		return 1;
	}
	if (st->reload_old_stopped)
		st->reload_want = 0;	/* reached: the spare policy now */
	return !st->reload_old_stopped;
}

/*
 * The spare policy on the current generation: how many to fork (below
 * POOL_MIN all that lack at once, towards POOL_SPARE idle or starting at
 * the doubling rate), or which child to stop (the one idle the longest,
 * past POOL_IDLE_TIMEOUT, while more than POOL_SPARE are idle and more
 * than POOL_MIN alive).  Returns the number wanted.
 */
static int
size_pool(struct ce_pool_state *st, const struct ce_pool_policy *pol,
    const struct ce_pool_view *slots, size_t n, long long now_ms,
    const struct counts *c, struct ce_pool_acts *out)
{
	const struct ce_pool_view	*v;
	size_t				 i, best;
	int				 need_min, need_spare, k;

	need_min = pol->min - c->cur_alive;
	if (need_min < 0)
		need_min = 0;
	need_spare = pol->spare - (c->cur_idle + c->cur_starting);
	if (need_spare > 0) {
		/* Those forked for POOL_MIN will be starting spares too. */
		k = need_spare - need_min;
		if (k > st->rate)
			k = st->rate;
		st->rate = st->rate * 2 > CE_POOL_RATE_MAX ?
		    CE_POOL_RATE_MAX : st->rate * 2;
	} else {
		k = 0;
		st->rate = 1;
	}
	if (k < 0)
		k = 0;
	if (need_min + k > 0)
		return need_min + k;

	if (c->cur_idle <= pol->spare || c->cur_alive <= pol->min)
		return 0;
	best = n;
	for (i = 0; i < n; i++) {
		v = &slots[i];
		if (v->state != CE_PS_IDLE || !alive(v) ||
		    v->generation != st->generation)
			continue;
		if (best == n || v->idle_since_ms < slots[best].idle_since_ms)
			best = i;
	}
	if (best < n &&
	    now_ms - slots[best].idle_since_ms > pol->idle_timeout_ms)
		stop_slot(out, best);
	return 0;
}

/*
 * One tick at time "now_ms" over the "n" slots of "slots" (at most
 * CE_POOL_SLOTS are read): fills "out" with what the master does now, and
 * updates "st".  The master forks out->spawn children of st->generation
 * into free slots, SIGTERMs the slots of out->stop (and marks them
 * stopping), logs each of out->slow (and sets its slowlogged to its
 * reqno) and, with out->log_short, the short pool.
 */
void
ce_poolctl_tick(struct ce_pool_state *st, const struct ce_pool_policy *pol,
    const struct ce_pool_view *slots, size_t n, long long now_ms,
    struct ce_pool_acts *out)
{
	struct counts	 c;
	size_t		 i;
	int		 want, room, growing;

	memset(out, 0, sizeof(*out));
	if (n > CE_POOL_SLOTS)
		n = CE_POOL_SLOTS;
	count(st, slots, n, &c);
	out->alive = c.alive;
	out->idle = c.idle;
	out->busy = c.busy;
	out->starting = c.starting;
	out->total = c.total;

	slowlog(pol, slots, n, now_ms, out);
	survivor(st, slots, n, now_ms);
	shortage(st, pol, &c, now_ms, out);
	out->spawn_delay_ms = ce_poolctl_backoff_ms(st->failures);

	if (st->stopping) {
		for (i = 0; i < n; i++)
			if (alive(&slots[i]))
				stop_slot(out, i);
		st->rate = 1;
		return;
	}

	growing = reload_step(st, pol, now_ms, &c, &want);
	if (st->reload_old_stopped)
		for (i = 0; i < n; i++)
			if (alive(&slots[i]) &&
			    slots[i].generation != st->generation)
				stop_slot(out, i);
	if (!growing)
		want = size_pool(st, pol, slots, n, now_ms, &c, out);

	/* At most POOL_MAX of this generation, 2 * POOL_MAX in all. */
	room = pol->max - c.cur_total;
	if (2 * pol->max - c.total < room)
		room = 2 * pol->max - c.total;
	if (c.nfree < room)
		room = c.nfree;
	if (want > room)
		want = room;
	if (want <= 0)
		return;

	/* The backoff: after failures, one child a delay. */
	if (now_ms < st->next_spawn_ms)
		return;
	if (st->failures > 0) {
		want = 1;
		st->next_spawn_ms = now_ms + out->spawn_delay_ms;
	}
	out->spawn = want;
	st->spawned += (unsigned long long)want;
}

/*
 * A child was reaped at time "now_ms": "last" is its slot as it was
 * before the master cleared it, "wstatus" its status from waitpid(2),
 * "recycled" whether its slot said EXITING/recycled.  Returns its class:
 * CE_PX_EXPECTED for a child the master stopped, of an old generation or
 * reaped while stopping; CE_PX_RECYCLED for a recycle that exited 0;
 * otherwise CE_PX_FAILED (killed, exited early or unasked), which counts
 * a failure and puts off the next spawn by the backoff.
 */
enum ce_pool_exit
ce_poolctl_reaped(struct ce_pool_state *st, const struct ce_pool_view *last,
    int wstatus, int recycled, long long now_ms)
{
	if (last->stopping || st->stopping ||
	    last->generation != st->generation)
		return CE_PX_EXPECTED;
	if (recycled && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
		st->recycled++;
		return CE_PX_RECYCLED;
	}
	/*
	 * A child that had taken requests died (killed, or out of memory):
	 * a failure, but no start loop: replaced at once, the streak ended.
	 */
	if (last->reqno > 0) {
		st->failures = 0;
		st->last_fail_ms = now_ms;
		st->last_fail_status = wstatus;
		st->next_spawn_ms = now_ms;
		st->crashed++;
		return CE_PX_FAILED;
	}
	if (st->failures < FAILURES_MAX)
		st->failures++;
	st->last_fail_ms = now_ms;
	st->last_fail_status = wstatus;
	st->next_spawn_ms = now_ms + ce_poolctl_backoff_ms(st->failures);
	st->crashed++;
	return CE_PX_FAILED;
}

/*
 * SIGHUP accepted at time "now_ms" (the new configuration is the
 * caller's): a new generation, whose children the next ticks fork, and
 * the old ones stopped once enough of them are up.  Nothing while
 * stopping.
 */
void
ce_poolctl_reload(struct ce_pool_state *st, long long now_ms)
{
	if (st->stopping)
		return;
	st->generation++;
	st->reload_ms = now_ms;
	st->reload_want = -1;
	st->reload_old_stopped = 0;
	st->rate = 1;
	st->reloads++;
}

/*
 * SIGTERM or SIGINT: from the next tick, nothing is forked and every
 * child alive is to be stopped.
 */
void
ce_poolctl_stop(struct ce_pool_state *st)
{
	st->stopping = 1;
}
