/*
 * shared/breaker.h -- circuit breakers for the three upstreams and
 * PostgreSQL (breaker.c), shared by every process of a machine through
 * the shared file's breaker table.
 *
 * A breaker opens after BREAKER_THRESHOLD failures in a row and fails
 * calls fast for a cool-down, then lets one probe through (a
 * compare-and-swap decides which process); every field is a word of the
 * file read and written with atomics, so no lock is held and a process
 * killed mid-call leaves a breaker that works.  Without the shared file
 * every call is allowed.  A process's handle is its struct cx_breakers.
 */
#ifndef CE_SHARED_BREAKER_H
#define CE_SHARED_BREAKER_H

#include <stddef.h>
#include <stdint.h>

struct ce_config;
struct cx_log;
struct cx_shmfile;

enum cx_brk {
	CX_BRK_C2S = 0,
	CX_BRK_DIRETRIX,
	CX_BRK_WORK,
	CX_BRK_DB,
	CX_BRK__MAX
};

/* A process's handle on the breakers of the shared file. */
struct cx_breakers {
	struct cx_shmfile *f;
	struct cx_log	*log;
	unsigned	 probing;	/* breakers we probe: bit per cx_brk */
	long long	 threshold;	/* BREAKER_THRESHOLD */
	long long	 cooldown_ms;	/* BREAKER_COOLDOWN */
	long long	 cooldown_max_ms; /* BREAKER_COOLDOWN_MAX */
};

void		 cx_brk_init(struct cx_breakers *, struct cx_shmfile *,
		    const struct ce_config *, struct cx_log *);
size_t		 cx_breaker_size(void);
const char	*cx_breaker_name(enum cx_brk);
int		 cx_brk_allow(struct cx_breakers *, enum cx_brk);
void		 cx_brk_result(struct cx_breakers *, enum cx_brk, int ok);
int		 cx_breaker_state(struct cx_breakers *, enum cx_brk,
		    uint64_t *trips, uint64_t *rejected);

#endif /* CE_SHARED_BREAKER_H */
