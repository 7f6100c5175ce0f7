/*
 * poolctl_test.c -- the pool master's policy (core/poolctl.c) driven by a
 * toy master over a toy scoreboard at injected times: growth below
 * POOL_MIN and towards POOL_SPARE (never past POOL_MAX, at 1, 2, 4, 8 a
 * tick), the shrink past POOL_IDLE_TIMEOUT down to POOL_MIN and no
 * further, the exit classes and the spawn backoff (doubling, capped at
 * 30 s, reset by a survivor, untouched by recycles), the short pool's
 * line once a minute, the slowlog once a request, the reload's two
 * generations, the stop, and a randomised run held to the size bounds.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "core/poolctl.h"

#define T0	1000000LL	/* the tests' first "now" (never 0) */
#define TICK	200LL		/* the master's tick */
#define SEC	1000LL

/* The toy scoreboard: every slot, and the pid the next fork gets. */
struct pool {
	struct ce_pool_view	 s[CE_POOL_SLOTS];
	struct ce_pool_state	 st;
	struct ce_pool_policy	 pol;
	int			 nextpid;
};

static void
pool_init(struct pool *p, int min, int max, int spare)
{
	memset(p, 0, sizeof(*p));
	p->pol.min = min;
	p->pol.max = max;
	p->pol.spare = spare;
	p->pol.idle_timeout_ms = 10 * SEC;
	p->pol.short_after_ms = 60 * SEC;
	p->pol.slowlog_after_ms = 0;
	p->nextpid = 100;
	ce_poolctl_init(&p->st, T0);
}

/* Fork into a free slot as the master does; the slot's index. */
static int
pool_fork(struct pool *p, long long now)
{
	int	 i;

	for (i = 0; i < CE_POOL_SLOTS; i++)
		if (p->s[i].state == CE_PS_FREE)
			break;
	ATF_REQUIRE_MSG(i < CE_POOL_SLOTS, "no free slot for a spawn");
	memset(&p->s[i], 0, sizeof(p->s[i]));
	p->s[i].pid = p->nextpid++;
	p->s[i].generation = p->st.generation;
	p->s[i].state = CE_PS_STARTING;
	p->s[i].born_ms = now;
	return i;
}

/* The slot of the child forked last. */
static int
last_forked(const struct pool *p)
{
	int	 i;

	for (i = 0; i < CE_POOL_SLOTS; i++)
		if (p->s[i].state != CE_PS_FREE &&
		    p->s[i].pid == p->nextpid - 1)
			return i;
	ATF_REQUIRE_MSG(0, "pid %d not in a slot", p->nextpid - 1);
	return -1;
}

/* Apply "a" as the master does: SIGTERM, fork, slowlog. */
static void
pool_apply(struct pool *p, const struct ce_pool_acts *a, long long now)
{
	int	 k, i;

	for (k = 0; k < a->nstop; k++) {
		i = a->stop[k];
		ATF_REQUIRE_MSG(i >= 0 && i < CE_POOL_SLOTS, "stop[%d] %d", k, i);
		ATF_REQUIRE_MSG(p->s[i].state != CE_PS_FREE &&
		    p->s[i].state != CE_PS_EXITING && !p->s[i].stopping,
		    "slot %d stopped twice or not alive", i);
		p->s[i].stopping = 1;
	}
	for (k = 0; k < a->spawn; k++)
		(void)pool_fork(p, now);
	for (k = 0; k < a->nslow; k++)
		p->s[a->slow[k]].slowlogged = p->s[a->slow[k]].reqno;
}

/* A tick at "now" into "a", applied. */
static void
pool_tick(struct pool *p, long long now, struct ce_pool_acts *a)
{
	ce_poolctl_tick(&p->st, &p->pol, p->s, CE_POOL_SLOTS, now, a);
	pool_apply(p, a, now);
}

/* A tick at "now" into "a", not applied (what it asks is only read). */
static void
pool_peek(struct pool *p, long long now, struct ce_pool_acts *a)
{
	ce_poolctl_tick(&p->st, &p->pol, p->s, CE_POOL_SLOTS, now, a);
}

/* Slot "i" reaped with "wstatus" at "now": its class; the slot cleared. */
static enum ce_pool_exit
pool_reap(struct pool *p, int i, int wstatus, int recycled, long long now)
{
	struct ce_pool_view	 last;

	last = p->s[i];
	memset(&p->s[i], 0, sizeof(p->s[i]));
	return ce_poolctl_reaped(&p->st, &last, wstatus, recycled, now);
}

static void
set_state(struct pool *p, int i, int state, long long now)
{
	p->s[i].state = state;
	if (state == CE_PS_IDLE)
		p->s[i].idle_since_ms = now;
	if (state == CE_PS_BUSY) {
		p->s[i].reqno++;
		p->s[i].req_start_ms = now;
	}
}

/* Every slot in state "from" (of any generation) now in "to". */
static void
set_all(struct pool *p, int from, int to, long long now)
{
	int	 i;

	for (i = 0; i < CE_POOL_SLOTS; i++)
		if (p->s[i].state == from)
			set_state(p, i, to, now);
}

/* Slots not FREE (every child that exists). */
static int
pool_total(const struct pool *p)
{
	int	 i, n;

	for (i = n = 0; i < CE_POOL_SLOTS; i++)
		n += p->s[i].state != CE_PS_FREE;
	return n;
}

/* Is slot "i" among the slots of "a"'s stop[]? */
static int
stopped(const struct ce_pool_acts *a, int i)
{
	int	 k;

	for (k = 0; k < a->nstop; k++)
		if (a->stop[k] == i)
			return 1;
	return 0;
}

/*
 * A real wait status: a child that exits "code", or is killed by "sig"
 * (its default action: not a sanitizer's handler; no core file).
 */
static int
real_status(int code, int sig)
{
	struct rlimit	 nocore = { 0, 0 };
	pid_t		 pid;
	int		 st;

	pid = fork();
	ATF_REQUIRE(pid != -1);
	if (pid == 0) {
		if (sig != 0) {
			(void)setrlimit(RLIMIT_CORE, &nocore);
			(void)signal(sig, SIG_DFL);
			(void)kill(getpid(), sig);
		}
		_exit(code);
	}
	ATF_REQUIRE_EQ(waitpid(pid, &st, 0), pid);
	return st;
}

ATF_TC_WITHOUT_HEAD(below_min__spawns);
ATF_TC_BODY(below_min__spawns, tc)
{
	struct pool		 p;
	struct ce_pool_acts	 a;

	pool_init(&p, 4, 8, 0);

	/* An empty pool: the four at once (not at the spare rate). */
	pool_tick(&p, T0, &a);
	ATF_CHECK_EQ(a.spawn, 4);
	ATF_CHECK_EQ(a.nstop, 0);
	ATF_CHECK_EQ(pool_total(&p), 4);

	/* Starting children count as alive: nothing more. */
	pool_tick(&p, T0 + TICK, &a);
	ATF_CHECK_EQ(a.spawn, 0);
	ATF_CHECK_EQ(a.alive, 4);
	ATF_CHECK_EQ(a.starting, 4);

	/* Two gone on a recycle: both replaced on the next tick. */
	set_all(&p, CE_PS_STARTING, CE_PS_IDLE, T0 + 2 * TICK);
	p.s[1].state = CE_PS_EXITING;
	pool_tick(&p, T0 + 3 * TICK, &a);
	ATF_CHECK_EQ(a.spawn, 1);
	ATF_CHECK_EQ(a.alive, 3);	/* counted before the fork */
	ATF_CHECK_EQ(pool_reap(&p, 1, real_status(0, 0), 1, T0 + 3 * TICK),
	    CE_PX_RECYCLED);
	p.s[2].stopping = 1;		/* stopped, still exiting: not alive */
	pool_tick(&p, T0 + 4 * TICK, &a);
	ATF_CHECK_EQ(a.alive, 3);
	ATF_CHECK_EQ(a.spawn, 1);

	/* The four starting are spares too: none more for POOL_SPARE 2. */
	pool_init(&p, 4, 8, 2);
	pool_tick(&p, T0, &a);
	ATF_CHECK_EQ(a.spawn, 4);
	pool_tick(&p, T0 + TICK, &a);
	ATF_CHECK_EQ(a.spawn, 0);

	/* But never past POOL_MAX, the children on their way out counted. */
	pool_init(&p, 4, 4, 0);
	pool_tick(&p, T0, &a);
	ATF_REQUIRE_EQ(a.spawn, 4);
	p.s[0].stopping = 1;
	p.s[1].state = CE_PS_EXITING;
	pool_tick(&p, T0 + TICK, &a);
	ATF_CHECK_EQ(a.alive, 2);
	ATF_CHECK_EQ(a.spawn, 0);
}

ATF_TC_WITHOUT_HEAD(spare_deficit__spawns_up_to_max);
ATF_TC_BODY(spare_deficit__spawns_up_to_max, tc)
{
	struct pool		 p;
	struct ce_pool_acts	 a;
	long long		 now;
	int			 k, peak;

	pool_init(&p, 1, 5, 2);
	now = T0;

	/* Empty: the one of POOL_MIN, and one more spare at rate 1. */
	pool_tick(&p, now, &a);
	ATF_REQUIRE_EQ(a.spawn, 2);

	/*
	 * Every child busy as soon as it starts: the pool grows to
	 * POOL_MAX and stops there, whatever the deficit.
	 */
	peak = 0;
	for (k = 0; k < 20; k++) {
		set_all(&p, CE_PS_STARTING, CE_PS_BUSY, now);
		now += TICK;
		pool_tick(&p, now, &a);
		ATF_REQUIRE_MSG(pool_total(&p) <= 5, "tick %d: %d children",
		    k, pool_total(&p));
		if (pool_total(&p) > peak)
			peak = pool_total(&p);
	}
	ATF_CHECK_EQ(peak, 5);
	ATF_CHECK_EQ(a.spawn, 0);
	ATF_CHECK_EQ(a.busy, 5);

	/* Spares there: no spawn. */
	pool_init(&p, 1, 5, 2);
	for (k = 0; k < 3; k++)
		(void)pool_fork(&p, T0);
	set_all(&p, CE_PS_STARTING, CE_PS_IDLE, T0);
	set_state(&p, 0, CE_PS_BUSY, T0);
	pool_tick(&p, T0 + TICK, &a);
	ATF_CHECK_EQ(a.idle, 2);
	ATF_CHECK_EQ(a.spawn, 0);
	ATF_CHECK_EQ(a.nstop, 0);
}

ATF_TC_WITHOUT_HEAD(rate__doubles_per_tick);
ATF_TC_BODY(rate__doubles_per_tick, tc)
{
	static const int	 want[] = { 1, 2, 4, 8, 8, 8 };
	struct pool		 p;
	struct ce_pool_acts	 a;
	long long		 now;
	size_t			 k;

	pool_init(&p, 1, 60, 40);
	(void)pool_fork(&p, T0);
	set_state(&p, 0, CE_PS_BUSY, T0);
	now = T0;
	for (k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		now += TICK;
		pool_tick(&p, now, &a);
		ATF_CHECK_EQ_MSG(a.spawn, want[k], "tick %zu: %d", k, a.spawn);
		set_all(&p, CE_PS_STARTING, CE_PS_BUSY, now);
	}

	/* The deficit gone for one tick: back to 1. */
	p.pol.spare = 0;
	now += TICK;
	pool_tick(&p, now, &a);
	ATF_CHECK_EQ(a.spawn, 0);
	p.pol.spare = 40;
	now += TICK;
	pool_tick(&p, now, &a);
	ATF_CHECK_EQ(a.spawn, 1);
	now += TICK;
	pool_tick(&p, now, &a);
	ATF_CHECK_EQ(a.spawn, 2);

	/* The rate stops at the deficit. */
	set_all(&p, CE_PS_STARTING, CE_PS_BUSY, now);
	p.pol.spare = 1;
	now += TICK;
	pool_tick(&p, now, &a);
	ATF_CHECK_EQ(a.spawn, 1);
}

ATF_TC_WITHOUT_HEAD(idle_over_spare__stops_oldest_after_timeout);
ATF_TC_BODY(idle_over_spare__stops_oldest_after_timeout, tc)
{
	struct pool		 p;
	struct ce_pool_acts	 a;
	int			 k;

	pool_init(&p, 1, 8, 1);
	p.pol.idle_timeout_ms = 10 * SEC;
	for (k = 0; k < 4; k++)
		(void)pool_fork(&p, T0);
	/* Idle since: slot 2 the longest, then 0, then 3, then 1. */
	set_state(&p, 0, CE_PS_IDLE, T0 + 1 * SEC);
	set_state(&p, 1, CE_PS_IDLE, T0 + 3 * SEC);
	set_state(&p, 2, CE_PS_IDLE, T0);
	set_state(&p, 3, CE_PS_IDLE, T0 + 2 * SEC);

	/* Not before the timeout. */
	pool_tick(&p, T0 + 10 * SEC, &a);
	ATF_CHECK_EQ(a.nstop, 0);
	ATF_CHECK_EQ(a.spawn, 0);

	/* Past it: the oldest, alone, although 0 is past it too. */
	pool_tick(&p, T0 + 11 * SEC + 1, &a);
	ATF_REQUIRE_EQ(a.nstop, 1);
	ATF_CHECK_EQ(a.stop[0], 2);

	/* Next tick the next one (0); then 3 is not yet past. */
	pool_tick(&p, T0 + 11 * SEC + TICK, &a);
	ATF_REQUIRE_EQ(a.nstop, 1);
	ATF_CHECK_EQ(a.stop[0], 0);
	pool_tick(&p, T0 + 11 * SEC + 2 * TICK, &a);
	ATF_CHECK_EQ(a.nstop, 0);
	pool_tick(&p, T0 + 12 * SEC + 1, &a);
	ATF_REQUIRE_EQ(a.nstop, 1);
	ATF_CHECK_EQ(a.stop[0], 3);

	/* One idle left: POOL_SPARE, kept however long it idles. */
	pool_tick(&p, T0 + 100 * SEC, &a);
	ATF_CHECK_EQ(a.idle, 1);
	ATF_CHECK_EQ(a.nstop, 0);
	ATF_CHECK_EQ(a.spawn, 0);

	/* A busy child is never stopped, however long its request. */
	pool_init(&p, 1, 8, 0);
	p.pol.idle_timeout_ms = 10 * SEC;
	for (k = 0; k < 3; k++)
		(void)pool_fork(&p, T0);
	set_state(&p, 0, CE_PS_BUSY, T0);
	set_state(&p, 1, CE_PS_BUSY, T0);
	set_state(&p, 2, CE_PS_IDLE, T0 + 5 * SEC);
	pool_tick(&p, T0 + 60 * SEC, &a);
	ATF_REQUIRE_EQ(a.nstop, 1);
	ATF_CHECK_EQ(a.stop[0], 2);
}

ATF_TC_WITHOUT_HEAD(never_below_min);
ATF_TC_BODY(never_below_min, tc)
{
	struct pool		 p;
	struct ce_pool_acts	 a;
	long long		 now;
	int			 k, stops;

	pool_init(&p, 3, 8, 0);
	p.pol.idle_timeout_ms = 0;
	for (k = 0; k < 6; k++)
		(void)pool_fork(&p, T0);
	set_all(&p, CE_PS_STARTING, CE_PS_IDLE, T0);

	/* Six idle for an hour, none wanted: three go, one a tick. */
	now = T0 + 3600 * SEC;
	stops = 0;
	for (k = 0; k < 10; k++) {
		pool_tick(&p, now + k * TICK, &a);
		ATF_REQUIRE_MSG(a.nstop <= 1, "tick %d: %d stops", k, a.nstop);
		stops += a.nstop;
		ATF_CHECK_EQ(a.spawn, 0);
	}
	ATF_CHECK_EQ(stops, 3);
	ATF_CHECK_EQ(a.alive, 3);

	/* The stopped ones gone: still three, still kept. */
	for (k = 0; k < CE_POOL_SLOTS; k++)
		if (p.s[k].stopping)
			ATF_REQUIRE_EQ(pool_reap(&p, k, real_status(0, 0), 0,
			    now), CE_PX_EXPECTED);
	pool_tick(&p, now + 100 * SEC, &a);
	ATF_CHECK_EQ(a.alive, 3);
	ATF_CHECK_EQ(a.nstop, 0);
	ATF_CHECK_EQ(a.spawn, 0);
	ATF_CHECK_EQ(p.st.failures, 0);
}

ATF_TC_WITHOUT_HEAD(failure__backoff_doubles_caps_30s);
ATF_TC_BODY(failure__backoff_doubles_caps_30s, tc)
{
	static const long long	 delay[] = { 100, 200, 400, 800, 1600, 3200,
	    6400, 12800, 25600, 30000, 30000, 30000 };
	struct pool		 p;
	struct ce_pool_acts	 a;
	long long		 now;
	size_t			 k;
	int			 i, killed, early;

	killed = real_status(0, SIGKILL);
	early = real_status(1, 0);
	pool_init(&p, 2, 4, 0);
	pool_tick(&p, T0, &a);
	ATF_REQUIRE_EQ(a.spawn, 2);
	ATF_CHECK_EQ(a.spawn_delay_ms, 0);
	set_state(&p, 0, CE_PS_IDLE, T0);

	/*
	 * Slot 1 fails each time it is forked (killed, or exiting 1 before
	 * it ever reached IDLE): each delay twice the last, up to 30 s.
	 */
	now = T0 + 50;
	i = 1;
	for (k = 0; k < sizeof(delay) / sizeof(delay[0]); k++) {
		ATF_REQUIRE_EQ(pool_reap(&p, i, k % 2 ? early : killed, 0,
		    now), CE_PX_FAILED);
		ATF_CHECK_EQ(p.st.failures, (int)k + 1);
		ATF_CHECK_EQ(ce_poolctl_backoff_ms(p.st.failures), delay[k]);
		/* Not a millisecond before the delay. */
		pool_tick(&p, now + delay[k] - 1, &a);
		ATF_CHECK_EQ_MSG(a.spawn, 0, "failure %zu", k + 1);
		ATF_CHECK_EQ(a.spawn_delay_ms, delay[k]);
		now += delay[k];
		pool_tick(&p, now, &a);
		ATF_REQUIRE_EQ_MSG(a.spawn, 1, "failure %zu", k + 1);
		i = last_forked(&p);
		now += 30;
	}
	ATF_CHECK_EQ(p.st.crashed, sizeof(delay) / sizeof(delay[0]));

	/* Two missing in backoff: one a delay, not both at once. */
	ATF_REQUIRE_EQ(pool_reap(&p, 0, killed, 0, now), CE_PX_FAILED);
	ATF_REQUIRE_EQ(pool_reap(&p, i, killed, 0, now), CE_PX_FAILED);
	now += 30000;
	pool_tick(&p, now, &a);
	ATF_CHECK_EQ(a.spawn, 1);
	pool_tick(&p, now + TICK, &a);
	ATF_CHECK_EQ(a.spawn, 0);
	pool_tick(&p, now + 30000, &a);
	ATF_CHECK_EQ(a.spawn, 1);
	ATF_CHECK_EQ(pool_total(&p), 2);
	ATF_CHECK_EQ(p.st.failures, 14);
}

/*
 * A child killed after it took requests is a failure, but replaced at the
 * next tick, and the streak of failed starts before it ends.
 */
ATF_TC_WITHOUT_HEAD(served__replaced_at_once);
ATF_TC_BODY(served__replaced_at_once, tc)
{
	struct pool		 p;
	struct ce_pool_acts	 a;
	long long		 now = T0;
	int			 i;

	pool_init(&p, 2, 4, 0);
	pool_tick(&p, now, &a);
	ATF_REQUIRE_EQ(a.spawn, 2);
	set_state(&p, 0, CE_PS_IDLE, now);
	/* Two failed starts of slot 1 first: a backoff of 200 ms. */
	ATF_REQUIRE_EQ(pool_reap(&p, 1, real_status(0, SIGKILL), 0, now + 10),
	    CE_PX_FAILED);
	pool_tick(&p, now + 110, &a);
	ATF_REQUIRE_EQ(a.spawn, 1);
	i = last_forked(&p);
	ATF_REQUIRE_EQ(pool_reap(&p, i, real_status(0, SIGKILL), 0, now + 120),
	    CE_PX_FAILED);
	ATF_CHECK_EQ(p.st.failures, 2);
	/* Slot 0 served, then is killed: replaced at the next tick. */
	set_state(&p, 0, CE_PS_BUSY, now + 500);
	ATF_REQUIRE_EQ(pool_reap(&p, 0, real_status(0, SIGKILL), 0, now + 600),
	    CE_PX_FAILED);
	ATF_CHECK_EQ(p.st.failures, 0);
	ATF_CHECK_EQ(p.st.crashed, 3);
	pool_tick(&p, now + 601, &a);
	ATF_CHECK_EQ(a.spawn, 2);
	ATF_CHECK_EQ(a.spawn_delay_ms, 0);
}

ATF_TC_WITHOUT_HEAD(survivor__resets_backoff);
ATF_TC_BODY(survivor__resets_backoff, tc)
{
	struct pool		 p;
	struct ce_pool_acts	 a;
	long long		 now;
	int			 k, i, killed;

	killed = real_status(0, SIGKILL);
	pool_init(&p, 4, 4, 0);
	pool_tick(&p, T0, &a);
	ATF_REQUIRE_EQ(a.spawn, 4);
	set_all(&p, CE_PS_STARTING, CE_PS_IDLE, T0);

	/* Slot 3 killed three times as it starts. */
	now = T0 + 60 * SEC;
	for (k = 0; k < 3; k++) {
		ATF_REQUIRE_EQ(pool_reap(&p, 3, killed, 0, now),
		    CE_PX_FAILED);
		now += ce_poolctl_backoff_ms(p.st.failures);
		pool_tick(&p, now, &a);
		ATF_REQUIRE_EQ(a.spawn, 1);
		ATF_REQUIRE_EQ(p.s[3].state, CE_PS_STARTING);
	}
	ATF_REQUIRE_EQ(p.st.failures, 3);

	/*
	 * The three older children up for a minute prove nothing: they
	 * were born before the failures.
	 */
	pool_tick(&p, now + 9999, &a);
	ATF_CHECK_EQ(p.st.failures, 3);
	ATF_CHECK_EQ(a.spawn_delay_ms, 400);

	/* The last one up, but not yet for 10 s. */
	set_state(&p, 3, CE_PS_IDLE, now + 100);
	pool_tick(&p, now + 9999, &a);
	ATF_CHECK_EQ(p.st.failures, 3);

	/* 10 s: the backoff is gone, and its delay too. */
	pool_tick(&p, now + 10 * SEC, &a);
	ATF_CHECK_EQ(p.st.failures, 0);
	ATF_CHECK_EQ(a.spawn_delay_ms, 0);

	/* Two lost now: both replaced at once (in backoff, one). */
	now += 10 * SEC;
	for (i = 0; i < 2; i++)
		ATF_REQUIRE_EQ(pool_reap(&p, i, real_status(0, 0), 1, now),
		    CE_PX_RECYCLED);
	pool_tick(&p, now, &a);
	ATF_CHECK_EQ(a.spawn, 2);

	/*
	 * A failure that needs no new child (the pool is over POOL_MIN):
	 * the streak ends 10 s after it all the same.
	 */
	pool_init(&p, 1, 4, 0);
	p.pol.idle_timeout_ms = 3600 * SEC;
	for (k = 0; k < 3; k++)
		set_state(&p, pool_fork(&p, T0), CE_PS_IDLE, T0);
	now = T0 + 60 * SEC;
	ATF_REQUIRE_EQ(pool_reap(&p, 0, killed, 0, now), CE_PX_FAILED);
	pool_tick(&p, now + 10 * SEC - 1, &a);
	ATF_CHECK_EQ(a.spawn, 0);
	ATF_CHECK_EQ(p.st.failures, 1);
	pool_tick(&p, now + 10 * SEC + 100, &a);
	ATF_CHECK_EQ(p.st.failures, 0);
}

ATF_TC_WITHOUT_HEAD(recycle__no_backoff);
ATF_TC_BODY(recycle__no_backoff, tc)
{
	struct pool		 p;
	struct ce_pool_acts	 a;
	int			 k;

	pool_init(&p, 4, 4, 0);
	pool_tick(&p, T0, &a);
	ATF_REQUIRE_EQ(a.spawn, 4);
	set_all(&p, CE_PS_STARTING, CE_PS_IDLE, T0);

	/* Four recycles in a row: each replaced on the next tick. */
	for (k = 0; k < 4; k++) {
		p.s[k].state = CE_PS_EXITING;
		ATF_CHECK_EQ(pool_reap(&p, k, real_status(0, 0), 1,
		    T0 + SEC + k), CE_PX_RECYCLED);
		ATF_CHECK_EQ(p.st.failures, 0);
		pool_tick(&p, T0 + SEC + k, &a);
		ATF_CHECK_EQ(a.spawn, 1);
		ATF_CHECK_EQ(a.spawn_delay_ms, 0);
		set_state(&p, k, CE_PS_IDLE, T0 + SEC + k);
	}
	ATF_CHECK_EQ(p.st.recycled, 4);
	ATF_CHECK_EQ(p.st.crashed, 0);

	/* A child the master stopped, killed or not: expected. */
	p.s[1].stopping = 1;
	ATF_CHECK_EQ(pool_reap(&p, 1, real_status(0, SIGTERM), 0,
	    T0 + 2 * SEC), CE_PX_EXPECTED);
	p.s[2].stopping = 1;
	ATF_CHECK_EQ(pool_reap(&p, 2, real_status(0, SIGKILL), 0,
	    T0 + 2 * SEC), CE_PX_EXPECTED);

	/* An old generation's child: expected. */
	p.s[3].generation = p.st.generation - 1;
	ATF_CHECK_EQ(pool_reap(&p, 3, real_status(0, SIGSEGV), 0,
	    T0 + 2 * SEC), CE_PX_EXPECTED);
	ATF_CHECK_EQ(p.st.failures, 0);
	ATF_CHECK_EQ(p.st.crashed, 0);

	/* A recycle that did not exit 0 is a failure. */
	p.s[0].state = CE_PS_EXITING;
	ATF_CHECK_EQ(pool_reap(&p, 0, real_status(1, 0), 1, T0 + 2 * SEC),
	    CE_PX_FAILED);
	ATF_CHECK_EQ(p.st.failures, 1);

	/* So is a child of this generation killed unasked. */
	pool_tick(&p, T0 + 3 * SEC, &a);
	ATF_REQUIRE_EQ(a.spawn, 1);	/* in backoff: one at a time */
	k = last_forked(&p);
	ATF_CHECK_EQ(pool_reap(&p, k, real_status(0, SIGSEGV), 0,
	    T0 + 3 * SEC), CE_PX_FAILED);
	ATF_CHECK_EQ(p.st.failures, 2);
	ATF_CHECK(WIFSIGNALED(p.st.last_fail_status));
	ATF_CHECK_EQ(WTERMSIG(p.st.last_fail_status), SIGSEGV);
	ATF_CHECK_STREQ(ce_pool_exit_name(CE_PX_RECYCLED), "recycled");
	ATF_CHECK_STREQ(ce_pool_exit_name(CE_PX_FAILED), "failed");
}

ATF_TC_WITHOUT_HEAD(short_over_after__flags_once_a_minute);
ATF_TC_BODY(short_over_after__flags_once_a_minute, tc)
{
	struct pool		 p;
	struct ce_pool_acts	 a;
	long long		 t;
	int			 k, logs;

	pool_init(&p, 4, 4, 0);
	p.pol.short_after_ms = 60 * SEC;
	for (k = 0; k < 3; k++)
		(void)pool_fork(&p, T0);
	set_all(&p, CE_PS_STARTING, CE_PS_IDLE, T0);

	/* 3 of 4 (the spawns it asks for never come up). */
	t = T0 + SEC;
	pool_peek(&p, t, &a);
	ATF_CHECK_EQ(a.spawn, 1);
	ATF_CHECK_EQ(a.log_short, 0);
	ATF_CHECK_EQ(p.st.short_since_ms, t);
	pool_peek(&p, t + 60 * SEC, &a);
	ATF_CHECK_EQ(a.log_short, 0);
	ATF_CHECK_EQ(a.short_for_ms, 60 * SEC);
	pool_peek(&p, t + 60 * SEC + 1, &a);
	ATF_CHECK_EQ(a.log_short, 1);
	ATF_CHECK_EQ(a.short_for_ms, 60 * SEC + 1);
	ATF_CHECK_EQ(a.alive, 3);

	/* Then once a minute, for 5 minutes of ticks. */
	logs = 0;
	for (k = 1; k <= 5 * 60 * 5; k++) {
		pool_peek(&p, t + 60 * SEC + 1 + k * TICK, &a);
		logs += a.log_short;
		if (a.log_short)
			ATF_CHECK_EQ_MSG(k % 300, 0, "logged at tick %d", k);
	}
	ATF_CHECK_EQ(logs, 5);
	ATF_CHECK_EQ(p.st.short_since_ms, t);

	/* Whole again: not short, no line. */
	(void)pool_fork(&p, t + 400 * SEC);
	pool_peek(&p, t + 400 * SEC, &a);
	ATF_CHECK_EQ(a.log_short, 0);
	ATF_CHECK_EQ(a.short_for_ms, 0);
	ATF_CHECK_EQ(p.st.short_since_ms, 0);

	/* Short again: counted from there, not from the first time. */
	memset(&p.s[0], 0, sizeof(p.s[0]));
	pool_peek(&p, t + 500 * SEC, &a);
	ATF_CHECK_EQ(p.st.short_since_ms, t + 500 * SEC);
	pool_peek(&p, t + 530 * SEC, &a);
	ATF_CHECK_EQ(a.log_short, 0);
	pool_peek(&p, t + 561 * SEC, &a);
	ATF_CHECK_EQ(a.log_short, 1);

	/* A short pool that mends before POOL_SHORT_AFTER: never a line. */
	pool_init(&p, 2, 2, 0);
	p.pol.short_after_ms = 2 * SEC;
	pool_peek(&p, T0, &a);
	pool_peek(&p, T0 + 2 * SEC, &a);
	ATF_CHECK_EQ(a.log_short, 0);
	pool_tick(&p, T0 + 2 * SEC, &a);
	pool_peek(&p, T0 + 3 * SEC, &a);
	ATF_CHECK_EQ(a.log_short, 0);
	ATF_CHECK_EQ(a.short_for_ms, 0);
}

ATF_TC_WITHOUT_HEAD(slow__reported_once);
ATF_TC_BODY(slow__reported_once, tc)
{
	struct pool		 p;
	struct ce_pool_acts	 a;

	pool_init(&p, 3, 3, 0);
	p.pol.slowlog_after_ms = SEC;
	pool_tick(&p, T0, &a);
	ATF_REQUIRE_EQ(a.spawn, 3);
	set_state(&p, 0, CE_PS_BUSY, T0);
	set_state(&p, 1, CE_PS_BUSY, T0 + 500);
	set_state(&p, 2, CE_PS_IDLE, T0);

	pool_tick(&p, T0 + 999, &a);
	ATF_CHECK_EQ(a.nslow, 0);
	pool_tick(&p, T0 + SEC, &a);
	ATF_REQUIRE_EQ(a.nslow, 1);
	ATF_CHECK_EQ(a.slow[0], 0);
	ATF_CHECK_EQ(p.s[0].slowlogged, p.s[0].reqno);

	/* Logged: never again for that request, however long it runs. */
	pool_tick(&p, T0 + 1500, &a);
	ATF_REQUIRE_EQ(a.nslow, 1);
	ATF_CHECK_EQ(a.slow[0], 1);
	pool_tick(&p, T0 + 60 * SEC, &a);
	ATF_CHECK_EQ(a.nslow, 0);

	/* The child's next request is a new one. */
	set_state(&p, 0, CE_PS_IDLE, T0 + 61 * SEC);
	set_state(&p, 0, CE_PS_BUSY, T0 + 61 * SEC);
	pool_tick(&p, T0 + 62 * SEC - 1, &a);
	ATF_CHECK_EQ(a.nslow, 0);
	pool_tick(&p, T0 + 62 * SEC, &a);
	ATF_REQUIRE_EQ(a.nslow, 1);
	ATF_CHECK_EQ(a.slow[0], 0);

	/* An idle child's old request is not slow; no SLOWLOG_AFTER: none. */
	set_state(&p, 0, CE_PS_IDLE, T0 + 70 * SEC);
	p.s[0].reqno++;
	pool_tick(&p, T0 + 80 * SEC, &a);
	ATF_CHECK_EQ(a.nslow, 0);
	set_state(&p, 2, CE_PS_BUSY, T0 + 80 * SEC);
	p.pol.slowlog_after_ms = 0;
	pool_tick(&p, T0 + 90 * SEC, &a);
	ATF_CHECK_EQ(a.nslow, 0);
}

/* A pool of "n" children: "busy" of them BUSY, the rest IDLE. */
static void
reload_pool(struct pool *p, int min, int max, int spare, int n, int busy)
{
	int	 k;

	pool_init(p, min, max, spare);
	for (k = 0; k < n; k++)
		set_state(p, pool_fork(p, T0), k < busy ? CE_PS_BUSY :
		    CE_PS_IDLE, T0);
}

ATF_TC_WITHOUT_HEAD(reload__new_generation_then_old_stopped);
ATF_TC_BODY(reload__new_generation_then_old_stopped, tc)
{
	struct pool		 p;
	struct ce_pool_acts	 a;
	long long		 t;
	int			 k, newa, newb;
	unsigned		 old;

	/* 2 of 3 busy, POOL_SPARE 1: max(POOL_MIN 2, 2 + 1) new ones. */
	reload_pool(&p, 2, 4, 1, 3, 2);
	old = p.st.generation;
	t = T0 + 60 * SEC;
	ce_poolctl_reload(&p.st, t);
	ATF_CHECK_EQ(p.st.generation, old + 1);
	ATF_CHECK_EQ(p.st.reload_ms, t);
	pool_tick(&p, t, &a);
	ATF_CHECK_EQ(a.spawn, 3);
	ATF_CHECK_EQ(a.nstop, 0);
	ATF_CHECK_EQ(pool_total(&p), 6);
	for (k = 3; k < 6; k++)
		ATF_CHECK_EQ(p.s[k].generation, old + 1);

	/* Starting: the old ones keep serving. */
	pool_tick(&p, t + TICK, &a);
	ATF_CHECK_EQ(a.spawn, 0);
	ATF_CHECK_EQ(a.nstop, 0);

	/* Two of three up (one already busy): still not. */
	set_state(&p, 3, CE_PS_IDLE, t + 2 * TICK);
	set_state(&p, 4, CE_PS_BUSY, t + 2 * TICK);
	pool_tick(&p, t + 3 * TICK, &a);
	ATF_CHECK_EQ(a.nstop, 0);

	/* All three up: every old child stopped, busy or idle, at once. */
	set_state(&p, 5, CE_PS_IDLE, t + 4 * TICK);
	pool_tick(&p, t + 4 * TICK, &a);
	ATF_CHECK_EQ(a.spawn, 0);
	ATF_REQUIRE_EQ(a.nstop, 3);
	for (k = 0; k < 3; k++)
		ATF_CHECK_MSG(stopped(&a, k), "old slot %d not stopped", k);
	ATF_CHECK(p.st.reload_ms != 0);

	/* Not twice; the idle one exits, the busy ones finish later. */
	pool_tick(&p, t + 5 * TICK, &a);
	ATF_CHECK_EQ(a.nstop, 0);
	ATF_CHECK_EQ(a.alive, 3);
	ATF_CHECK_EQ(pool_reap(&p, 2, real_status(0, 0), 0, t + 5 * TICK),
	    CE_PX_EXPECTED);
	ATF_CHECK_EQ(pool_reap(&p, 0, real_status(0, 0), 0, t + 10 * SEC),
	    CE_PX_EXPECTED);
	pool_tick(&p, t + 10 * SEC, &a);
	ATF_CHECK(p.st.reload_ms != 0);
	ATF_CHECK_EQ(pool_reap(&p, 1, real_status(0, 0), 0, t + 11 * SEC),
	    CE_PX_EXPECTED);
	pool_tick(&p, t + 11 * SEC, &a);
	ATF_CHECK_EQ(p.st.reload_ms, 0);
	ATF_CHECK_EQ(p.st.failures, 0);
	ATF_CHECK_EQ(p.st.reloads, 1);

	/*
	 * An old child that dies unasked during the reload is expected;
	 * a new one that fails is a failure, and is replaced (after its
	 * backoff) before the old ones go.
	 */
	reload_pool(&p, 2, 4, 0, 2, 0);
	ce_poolctl_reload(&p.st, t);
	pool_tick(&p, t, &a);
	ATF_REQUIRE_EQ(a.spawn, 2);
	newa = 2;
	newb = 3;
	ATF_CHECK_EQ(pool_reap(&p, 0, real_status(0, SIGKILL), 0, t + 10),
	    CE_PX_EXPECTED);
	ATF_CHECK_EQ(pool_reap(&p, newb, real_status(0, SIGKILL), 0, t + 10),
	    CE_PX_FAILED);
	set_state(&p, newa, CE_PS_IDLE, t + 20);
	pool_tick(&p, t + 20, &a);
	ATF_CHECK_EQ(a.spawn, 0);	/* the backoff */
	ATF_CHECK_EQ(a.nstop, 0);
	pool_tick(&p, t + 110, &a);
	ATF_REQUIRE_EQ(a.spawn, 1);
	set_all(&p, CE_PS_STARTING, CE_PS_IDLE, t + 300);
	pool_tick(&p, t + 400, &a);
	ATF_REQUIRE_EQ(a.nstop, 1);
	ATF_CHECK_EQ(a.stop[0], 1);
}

ATF_TC_WITHOUT_HEAD(reload__old_stopped_after_5s_anyway);
ATF_TC_BODY(reload__old_stopped_after_5s_anyway, tc)
{
	struct pool		 p;
	struct ce_pool_acts	 a;
	long long		 t;
	int			 k;

	reload_pool(&p, 2, 4, 1, 4, 4);
	t = T0 + 60 * SEC;
	ce_poolctl_reload(&p.st, t);
	pool_tick(&p, t, &a);
	/* Four busy and a spare: the new generation capped at POOL_MAX. */
	ATF_CHECK_EQ(a.spawn, 4);
	ATF_CHECK_EQ(pool_total(&p), 8);

	/* The new ones never come up: the old ones stay 5 s, no more. */
	for (k = 1; k < 25; k++) {
		pool_tick(&p, t + k * TICK, &a);
		ATF_REQUIRE_EQ_MSG(a.nstop, 0, "at %lld ms", k * TICK);
		ATF_CHECK_EQ(a.spawn, 0);
	}
	pool_tick(&p, t + 5 * SEC - 1, &a);
	ATF_CHECK_EQ(a.nstop, 0);
	pool_tick(&p, t + 5 * SEC, &a);
	ATF_REQUIRE_EQ(a.nstop, 4);
	for (k = 0; k < 4; k++)
		ATF_CHECK_MSG(stopped(&a, k), "old slot %d not stopped", k);
	for (k = 4; k < 8; k++)
		ATF_CHECK_EQ(p.s[k].stopping, 0);

	/* A second reload before the first ended: 2 * POOL_MAX at most. */
	reload_pool(&p, 4, 4, 0, 4, 4);
	ce_poolctl_reload(&p.st, t);
	pool_tick(&p, t, &a);
	ATF_REQUIRE_EQ(a.spawn, 4);
	ce_poolctl_reload(&p.st, t + TICK);
	pool_tick(&p, t + TICK, &a);
	ATF_CHECK_EQ(a.spawn, 0);
	ATF_CHECK_EQ(pool_total(&p), 8);
	pool_tick(&p, t + TICK + 5 * SEC, &a);
	ATF_CHECK_EQ(a.nstop, 8);	/* both older generations */

	/*
	 * POOL_MAX 64, every slot busy: the new generation waits for slots,
	 * and takes each as an old child leaves it.
	 */
	reload_pool(&p, 1, CE_POOL_SLOTS, 1, CE_POOL_SLOTS, CE_POOL_SLOTS);
	ce_poolctl_reload(&p.st, t);
	pool_tick(&p, t, &a);
	ATF_CHECK_EQ(a.spawn, 0);
	pool_tick(&p, t + 5 * SEC, &a);
	ATF_CHECK_EQ(a.nstop, CE_POOL_SLOTS);
	ATF_CHECK_EQ(a.spawn, 0);
	ATF_REQUIRE_EQ(pool_reap(&p, 7, real_status(0, 0), 0, t + 6 * SEC),
	    CE_PX_EXPECTED);
	ATF_REQUIRE_EQ(pool_reap(&p, 9, real_status(0, 0), 0, t + 6 * SEC),
	    CE_PX_EXPECTED);
	pool_tick(&p, t + 6 * SEC, &a);
	ATF_CHECK_EQ(a.spawn, 2);
	ATF_CHECK_EQ(p.s[7].generation, p.st.generation);
	ATF_CHECK_EQ(p.s[9].generation, p.st.generation);
}

ATF_TC_WITHOUT_HEAD(stop__lists_every_child_spawns_none);
ATF_TC_BODY(stop__lists_every_child_spawns_none, tc)
{
	struct pool		 p;
	struct ce_pool_acts	 a;
	int			 k, n;

	pool_init(&p, 8, 8, 2);
	p.pol.short_after_ms = 0;
	for (k = 0; k < 6; k++)
		(void)pool_fork(&p, T0);
	/* 0 starting, 1 idle, 2 busy, 3 exiting, 4 already stopped, 5 busy */
	set_state(&p, 1, CE_PS_IDLE, T0);
	set_state(&p, 2, CE_PS_BUSY, T0);
	p.s[3].state = CE_PS_EXITING;
	p.s[4].stopping = 1;
	set_state(&p, 5, CE_PS_BUSY, T0);
	ce_poolctl_stop(&p.st);
	pool_tick(&p, T0 + SEC, &a);
	ATF_CHECK_EQ(a.spawn, 0);	/* though below POOL_MIN */
	ATF_CHECK_EQ(a.log_short, 0);
	ATF_REQUIRE_EQ(a.nstop, 4);
	ATF_CHECK(stopped(&a, 0));
	ATF_CHECK(stopped(&a, 1));
	ATF_CHECK(stopped(&a, 2));
	ATF_CHECK(stopped(&a, 5));

	/* Then nothing more, and what is reaped is expected. */
	pool_tick(&p, T0 + SEC + TICK, &a);
	ATF_CHECK_EQ(a.nstop, 0);
	ATF_CHECK_EQ(a.spawn, 0);
	for (k = n = 0; k < 6; k++)
		n += pool_reap(&p, k, real_status(0, k == 3 ? 0 : SIGKILL),
		    k == 3, T0 + 2 * SEC) == CE_PX_EXPECTED;
	ATF_CHECK_EQ(n, 6);
	ATF_CHECK_EQ(p.st.failures, 0);
	pool_tick(&p, T0 + 120 * SEC, &a);
	ATF_CHECK_EQ(a.spawn, 0);
	ATF_CHECK_EQ(a.total, 0);
	ATF_CHECK_EQ(a.log_short, 0);

	/* No reload while stopping. */
	ce_poolctl_reload(&p.st, T0 + 121 * SEC);
	ATF_CHECK_EQ(p.st.reload_ms, 0);
}

/* xorshift64*: the same sequence on every platform. */
static unsigned
rnd(unsigned long long *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return (unsigned)((*x * 2685821657736338717ULL) >> 32);
}

/* 1 with probability "per" in 10 000. */
static int
chance(unsigned long long *x, unsigned per)
{
	return rnd(x) % 10000 < per;
}

ATF_TC_WITHOUT_HEAD(max_never_exceeded);
ATF_TC_BODY(max_never_exceeded, tc)
{
	static const struct ce_pool_policy	 pols[] = {
		{ 1, 4, 1, 2000, 5000, 1000 },
		{ 4, 4, 1, 10000, 60000, 0 },
		{ 2, 16, 3, 3000, 2000, 500 },
		{ 8, 64, 8, 1000, 1000, 200 },
		{ 0, 3, 1, 0, 1000, 0 },
	};
	struct pool		 p;
	struct ce_pool_acts	 a;
	struct ce_pool_view	*v;
	unsigned long long	 x;
	long long		 now;
	size_t			 k;
	int			 i, t, total, peak, killed, ok, spawns;
	unsigned		 load, finish;

	killed = real_status(0, SIGKILL);
	ok = real_status(0, 0);
	x = 0x2c2e2d7e5eedULL;
	for (k = 0; k < sizeof(pols) / sizeof(pols[0]); k++) {
		pool_init(&p, 0, 0, 0);
		p.pol = pols[k];
		now = T0;
		peak = spawns = 0;
		for (t = 0; t < 30000; t++) {
			/*
			 * Load in phases of a minute: none, some, and
			 * every child busy for 10 s on average.
			 */
			load = (t / 300) % 3 * 4500;
			finish = load == 9000 ? 200 : 2000;
			if (chance(&x, 20))
				ce_poolctl_reload(&p.st, now);
			/* A child killed now and then. */
			if (chance(&x, 100)) {
				i = (int)(rnd(&x) % CE_POOL_SLOTS);
				if (p.s[i].state != CE_PS_FREE)
					(void)pool_reap(&p, i, killed, 0, now);
			}
			for (i = 0; i < CE_POOL_SLOTS; i++) {
				v = &p.s[i];
				if (v->state == CE_PS_FREE)
					continue;
				if (v->state == CE_PS_EXITING) {
					(void)pool_reap(&p, i, ok, 1, now);
					continue;
				}
				if (v->stopping && (v->state != CE_PS_BUSY ||
				    chance(&x, 3000))) {
					(void)pool_reap(&p, i, ok, 0, now);
					continue;
				}
				if (v->state == CE_PS_STARTING &&
				    chance(&x, 5000))
					set_state(&p, i, CE_PS_IDLE, now);
				else if (v->state == CE_PS_IDLE &&
				    chance(&x, load))
					set_state(&p, i, CE_PS_BUSY, now);
				else if (v->state == CE_PS_BUSY &&
				    chance(&x, finish)) {
					if (chance(&x, 100))
						v->state = CE_PS_EXITING;
					else
						set_state(&p, i, CE_PS_IDLE,
						    now);
				}
			}
			pool_tick(&p, now, &a);
			spawns += a.spawn;
			total = pool_total(&p);
			ATF_REQUIRE_EQ(total, a.total + a.spawn);
			if (p.st.reload_ms == 0)
				ATF_REQUIRE_MSG(total <= p.pol.max,
				    "policy %zu tick %d: %d > max %d", k, t,
				    total, p.pol.max);
			else
				ATF_REQUIRE_MSG(total <= 2 * p.pol.max,
				    "policy %zu tick %d: %d in a reload, "
				    "max %d", k, t, total, p.pol.max);
			if (total > peak)
				peak = total;
			now += TICK;
		}
		/*
		 * The run did meet the bounds it was held to (past POOL_MAX
		 * in a reload, where the slots allow it).
		 */
		if (2 * p.pol.max <= CE_POOL_SLOTS)
			ATF_CHECK_MSG(peak > p.pol.max, "policy %zu: peak %d",
			    k, peak);
		else
			ATF_CHECK_EQ_MSG(peak, CE_POOL_SLOTS, "policy %zu peak %d", k, peak);
		ATF_CHECK(p.st.reloads > 10);
		/* Kills land mostly on free, old or stopping slots. */
		ATF_CHECK_MSG(p.st.crashed > 5, "policy %zu: %llu crashed", k,
		    (unsigned long long)p.st.crashed);

		/*
		 * Then quiet: no failure, no load, every child up.  Within
		 * minutes the pool is whole and at rest, with no backoff.
		 */
		for (t = 0; t < 3000; t++) {
			for (i = 0; i < CE_POOL_SLOTS; i++) {
				if (p.s[i].state == CE_PS_EXITING ||
				    (p.s[i].stopping &&
				    p.s[i].state != CE_PS_FREE)) {
					(void)pool_reap(&p, i, ok,
					    p.s[i].state == CE_PS_EXITING,
					    now);
					continue;
				}
				if (p.s[i].state == CE_PS_STARTING ||
				    p.s[i].state == CE_PS_BUSY)
					set_state(&p, i, CE_PS_IDLE, now);
			}
			pool_tick(&p, now, &a);
			now += TICK;
		}
		ATF_CHECK_EQ_MSG(p.st.reload_ms, 0, "policy %zu", k);
		ATF_CHECK_EQ_MSG(p.st.failures, 0, "policy %zu", k);
		ATF_CHECK_MSG(a.alive >= p.pol.min && a.alive <= p.pol.max,
		    "policy %zu: %d alive", k, a.alive);
		i = p.pol.min > p.pol.spare ? p.pol.min : p.pol.spare;
		ATF_CHECK_EQ_MSG(a.idle, i, "policy %zu: %d idle", k, a.idle);
		ATF_CHECK(spawns > 0);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, below_min__spawns);
	ATF_TP_ADD_TC(tp, spare_deficit__spawns_up_to_max);
	ATF_TP_ADD_TC(tp, rate__doubles_per_tick);
	ATF_TP_ADD_TC(tp, idle_over_spare__stops_oldest_after_timeout);
	ATF_TP_ADD_TC(tp, never_below_min);
	ATF_TP_ADD_TC(tp, failure__backoff_doubles_caps_30s);
	ATF_TP_ADD_TC(tp, served__replaced_at_once);
	ATF_TP_ADD_TC(tp, survivor__resets_backoff);
	ATF_TP_ADD_TC(tp, recycle__no_backoff);
	ATF_TP_ADD_TC(tp, short_over_after__flags_once_a_minute);
	ATF_TP_ADD_TC(tp, slow__reported_once);
	ATF_TP_ADD_TC(tp, reload__new_generation_then_old_stopped);
	ATF_TP_ADD_TC(tp, reload__old_stopped_after_5s_anyway);
	ATF_TP_ADD_TC(tp, stop__lists_every_child_spawns_none);
	ATF_TP_ADD_TC(tp, max_never_exceeded);
	return 0;
}
