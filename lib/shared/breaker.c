/*
 * breaker.c -- circuit breakers for the three upstreams and PostgreSQL,
 * shared by every process of a machine through the shared file.
 *
 * A breaker counts failures in a row.  At BREAKER_THRESHOLD it opens:
 * calls fail fast, without touching the network, for a cool-down
 * (BREAKER_COOLDOWN, doubled at each failed probe up to
 * BREAKER_COOLDOWN_MAX).  When the cool-down is over, the first caller
 * (a compare-and-swap decides which, across processes) is let through as
 * the probe: its success closes the breaker, its failure opens it again
 * for longer.  Every field is a word of the file read and written with
 * atomics: no lock, and a process killed mid-call leaves a breaker that
 * still works.  Without the shared file every call is allowed.
 *
 * Each process holds a struct cx_breakers (its handle on the file, the
 * breakers it is probing, BREAKER_* and its log), made by ctx.c.
 */
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "io/shmfile.h"
#include "shared/breaker.h"

struct brk {
	uint64_t	 fails;		/* failures in a row */
	int64_t		 open_until_ms;	/* 0: closed */
	int64_t		 cooldown_ms;	/* the last cool-down given */
	uint64_t	 trips;		/* closed -> open */
	uint64_t	 rejected;	/* calls failed fast */
};

static const char *const names[CX_BRK__MAX] = {
	[CX_BRK_C2S] = "c2s",
	[CX_BRK_DIRETRIX] = "diretrix",
	[CX_BRK_WORK] = "work",
	[CX_BRK_DB] = "postgres",
};

const char *
cx_breaker_name(enum cx_brk t)
{
	return (unsigned)t < CX_BRK__MAX ? names[t] : "none";
}

size_t
cx_breaker_size(void)
{
	return sizeof(struct brk);
}

void
cx_brk_init(struct cx_breakers *bs, struct cx_shmfile *f,
    const struct ce_config *cfg, struct cx_log *log)
{
	bs->f = f;
	bs->log = log;
	bs->probing = 0;
	bs->threshold = cfg->breaker_threshold;
	bs->cooldown_ms = cfg->breaker_cooldown_ms;
	bs->cooldown_max_ms = cfg->breaker_cooldown_max_ms;
}

static struct brk *
get(struct cx_breakers *bs, enum cx_brk t)
{
	struct ce_shm	*s;
	struct brk	*b;
	size_t		 n;

	if ((unsigned)t >= CX_BRK__MAX || (s = cx_shmfile_get(bs->f)) == NULL ||
	    (b = cx_shm_table(s, CX_SHM_BREAKERS, &n)) == NULL ||
	    (size_t)t >= n)
		return NULL;
	return &b[t];
}

/*
 * May a call to "t" go out now?  Returns 1 (closed, or this caller is
 * the probe of a breaker whose cool-down is over) or 0 (fail fast).
 */
int
cx_brk_allow(struct cx_breakers *bs, enum cx_brk t)
{
	struct brk	*b = get(bs, t);
	int64_t		 until, now;

	if (b == NULL ||
	    (until = __atomic_load_n(&b->open_until_ms, __ATOMIC_ACQUIRE)) == 0)
		return 1;
	now = cx_wall_ms();
	/* Over: the one who moves the mark is the probe; a probe that
	 * never reports (its process died) is replaced after as long. */
	if (now >= until && __atomic_compare_exchange_n(&b->open_until_ms,
	    &until, now + __atomic_load_n(&b->cooldown_ms, __ATOMIC_RELAXED),
	    0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		bs->probing |= 1u << t;
		cx_logf(bs->log, CE_LOG_INFO,
		    "breaker %s: probing", names[t]);
		return 1;
	}
	__atomic_fetch_add(&b->rejected, 1, __ATOMIC_RELAXED);
	return 0;
}

/*
 * What a call to "t" met: "ok" (the peer answered as it should, "not
 * found" included) or a failure (down, timeout, malformed answer).
 */
void
cx_brk_result(struct cx_breakers *bs, enum cx_brk t, int ok)
{
	struct brk	*b = get(bs, t);
	uint64_t	 n;
	int64_t		 cd, until;
	int		 probe;

	if (b == NULL)
		return;
	probe = (bs->probing & (1u << t)) != 0;
	bs->probing &= ~(1u << t);
	if (ok) {
		if (__atomic_load_n(&b->fails, __ATOMIC_RELAXED) != 0)
			__atomic_store_n(&b->fails, 0, __ATOMIC_RELAXED);
		if (__atomic_load_n(&b->open_until_ms, __ATOMIC_ACQUIRE) != 0) {
			__atomic_store_n(&b->open_until_ms, 0, __ATOMIC_RELEASE);
			__atomic_store_n(&b->cooldown_ms, 0, __ATOMIC_RELAXED);
			cx_logf(bs->log, CE_LOG_WARN,
			    "breaker %s: closed", names[t]);
		}
		return;
	}
	n = __atomic_add_fetch(&b->fails, 1, __ATOMIC_RELAXED);
	until = __atomic_load_n(&b->open_until_ms, __ATOMIC_ACQUIRE);
	if (until == 0 && n < (uint64_t)bs->threshold)
		return;
	/* Open already: only our own probe's failure extends it (calls let
	 * through before it opened are still coming back). */
	if (until != 0 && !probe)
		return;
	/* Opening, or a failed probe: a longer cool-down. */
	cd = __atomic_load_n(&b->cooldown_ms, __ATOMIC_RELAXED);
	cd = until == 0 || cd < bs->cooldown_ms ? bs->cooldown_ms : cd * 2;
	if (cd > bs->cooldown_max_ms)
		cd = bs->cooldown_max_ms;
	__atomic_store_n(&b->cooldown_ms, cd, __ATOMIC_RELAXED);
	__atomic_store_n(&b->open_until_ms, cx_wall_ms() + cd, __ATOMIC_RELEASE);
	if (until == 0)
		__atomic_fetch_add(&b->trips, 1, __ATOMIC_RELAXED);
	cx_logf(bs->log, CE_LOG_WARN,
	    "breaker %s: open for %lld ms after %llu "
	    "failures", names[t], (long long)cd, (unsigned long long)n);
}

/*
 * A breaker's state for /metrics: 0 closed, 1 open, 2 half open (its
 * cool-down is over: the next call probes); its trips and rejections.
 * Returns -1 without the shared file.
 */
int
cx_breaker_state(struct cx_breakers *bs, enum cx_brk t, uint64_t *trips,
    uint64_t *rejected)
{
	struct brk	*b = get(bs, t);
	int64_t		 until;

	if (b == NULL)
		return -1;
	*trips = __atomic_load_n(&b->trips, __ATOMIC_RELAXED);
	*rejected = __atomic_load_n(&b->rejected, __ATOMIC_RELAXED);
	until = __atomic_load_n(&b->open_until_ms, __ATOMIC_ACQUIRE);
	return until == 0 ? 0 : cx_wall_ms() < until ? 1 : 2;
}
