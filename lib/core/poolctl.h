/*
 * core/poolctl.h -- the pool master's policy (poolctl.c, docs/POOL-PLAN.md
 * §2): from a view of the scoreboard's slots, the configured sizes and
 * the time, what to do now (fork n children, SIGTERM these slots, log
 * these slow requests, log that the pool is short), and how to class a
 * reaped child (recycled, expected, failed: the spawn backoff).
 *
 * Pure: no clock is read and nothing is done here.  The master (fcgi/
 * master.c) passes "now" (CLOCK_MONOTONIC in ms, always > 0: a time of 0
 * means "never" in the state below), applies the actions and keeps the
 * state across ticks.
 *
 * Invariants the policy keeps: while no reload is in progress, the
 * children (every slot not FREE, those exiting or stopped included) never
 * outnumber "max"; during a reload never 2 * "max"; never more than the
 * slots given.  It never spawns while stopping, and never stops a child
 * that would leave fewer than "min" alive outside a reload or a stop.
 */
#ifndef CE_CORE_POOLCTL_H
#define CE_CORE_POOLCTL_H

#include <stddef.h>

#define CE_POOL_SLOTS		64

/* The backoff: the first failure waits this long, each next one twice. */
#define CE_POOL_BACKOFF_MIN_MS	100LL
#define CE_POOL_BACKOFF_MAX_MS	30000LL
/* A child born after the last failure and up this long resets it. */
#define CE_POOL_SURVIVOR_MS	10000LL
/* A reload stops the old generation at the latest this long after. */
#define CE_POOL_RELOAD_WAIT_MS	5000LL
/* While the pool is short, the ERROR line comes at most this often. */
#define CE_POOL_SHORT_EVERY_MS	60000LL
/* The spare growth's rate per tick doubles up to this. */
#define CE_POOL_RATE_MAX	8

/* A slot's state, as the scoreboard has it. */
enum ce_pslot {
	CE_PS_FREE,
	CE_PS_STARTING,		/* forked, not yet accepting */
	CE_PS_IDLE,		/* waiting in accept */
	CE_PS_BUSY,		/* serving a request */
	CE_PS_EXITING,		/* on its way out (recycled, or told to) */
	CE_PS__MAX
};

/* One scoreboard slot as the master sees it. */
struct ce_pool_view {
	int			 pid;		/* 0: free */
	unsigned		 generation;
	int			 state;		/* enum ce_pslot */
	int			 stopping;	/* the master sent SIGTERM */
	long long		 born_ms;	/* when the master forked it */
	long long		 req_start_ms;	/* BUSY: its request began */
	long long		 idle_since_ms;	/* IDLE: since when */
	unsigned long long	 reqno;		/* its current request */
	unsigned long long	 slowlogged;	/* the last reqno logged slow */
};

/* The configuration (POOL_*, SLOWLOG_AFTER), validated by config.c. */
struct ce_pool_policy {
	int			 min, max, spare;
	long long		 idle_timeout_ms;
	long long		 short_after_ms;
	long long		 slowlog_after_ms;	/* 0: no slowlog */
};

/*
 * The master's memory across ticks, set by ce_poolctl_init() and changed
 * only by the functions below; the master reads it (generation for the
 * children it forks, next_spawn_ms for its poll timeout, short_since_ms
 * and failures for the scoreboard's head, the counters for /metrics).
 */
struct ce_pool_state {
	unsigned		 generation;	/* of the children forked now */
	long long		 started_ms;	/* ce_poolctl_init()'s time */
	int			 rate;		/* spare growth: 1, 2, 4, 8 */
	int			 failures;	/* consecutive failed starts */
	long long		 next_spawn_ms;	/* backoff: no fork before */
	long long		 last_fail_ms;	/* the last failure's time */
	int			 last_fail_status;	/* its wait status */
	long long		 short_since_ms;	/* 0: not short */
	long long		 short_logged_ms;	/* 0: not logged yet */
	long long		 reload_ms;	/* 0: no reload in progress */
	int			 reload_want;	/* new children to reach */
	int			 reload_old_stopped;	/* old ones signalled */
	int			 stopping;	/* ce_poolctl_stop() was called */
	unsigned long long	 spawned, recycled, crashed, reloads;
};

/*
 * What the master does after a tick, and the counts it was decided on
 * (every generation; alive: not FREE, not EXITING, not stopping; total:
 * not FREE), before the forks it asks for.
 */
struct ce_pool_acts {
	int			 spawn;		/* fork this many, of
						   st->generation */
	int			 nstop;
	int			 stop[CE_POOL_SLOTS];	/* slots to SIGTERM (then
						   mark them stopping) */
	int			 nslow;
	int			 slow[CE_POOL_SLOTS];	/* slots to log as slow
						   (then slowlogged = reqno) */
	int			 log_short;	/* log "pool short: alive of
						   min for short_for_ms" */
	int			 alive, idle, busy, starting, total;
	long long		 short_for_ms;	/* 0: not short */
	long long		 spawn_delay_ms;	/* backoff in force, 0: none */
};

/* How a reaped child ended. */
enum ce_pool_exit {
	CE_PX_RECYCLED,		/* MAX_REQUESTS reached: respawn at once */
	CE_PX_EXPECTED,		/* stopped by the master, or an old generation */
	CE_PX_FAILED,		/* anything else: the backoff grows */
	CE_PX__MAX
};

void		 ce_poolctl_init(struct ce_pool_state *, long long);
void		 ce_poolctl_tick(struct ce_pool_state *,
		    const struct ce_pool_policy *, const struct ce_pool_view *,
		    size_t, long long, struct ce_pool_acts *);
enum ce_pool_exit ce_poolctl_reaped(struct ce_pool_state *,
		    const struct ce_pool_view *, int, int, long long);
void		 ce_poolctl_reload(struct ce_pool_state *, long long);
void		 ce_poolctl_stop(struct ce_pool_state *);
long long	 ce_poolctl_backoff_ms(int);
const char	*ce_pslot_name(int);
const char	*ce_pool_exit_name(enum ce_pool_exit);

#endif /* CE_CORE_POOLCTL_H */
