/*
 * shared/scoreboard.h -- the pool's scoreboard (scoreboard.c), the
 * CX_SHM_POOL table of the shared file: a head (the master's figures and
 * the count of idle responders) and one slot per responder saying what
 * it does now (state, route, pipeline step, lead, request id, times).
 * docs/POOL-PLAN.md section 4.
 *
 * The table is CX_SB_SLOTS + 1 records of 128 bytes, the head in the
 * first.  A slot has one writer at a time: its responder from STARTING
 * to EXITING, the master at fork and after reaping.  Every slot write is
 * seqlocked (seq odd while written, taken by compare-and-swap so that
 * two writers never interleave), so a reader copies a slot without the
 * file's lock and retries a torn copy.  The head's "idle" is changed by
 * atomic adds only; its other fields are the master's.  Without the
 * shared file, or with a full table, every call does nothing: a request
 * never fails for the scoreboard.
 */
#ifndef CE_SHARED_SCOREBOARD_H
#define CE_SHARED_SCOREBOARD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cx_shmfile;

#define CX_SB_SLOTS	64
#define CX_SB_RECSIZE	128	/* the head and each slot */

/* The states, as core/poolctl.h's enum ce_pslot (ce_pslot_name()). */
enum cx_sb_state {
	CX_SB_FREE = 0,
	CX_SB_STARTING,		/* forked by the master, not serving yet */
	CX_SB_IDLE,		/* waiting in accept */
	CX_SB_BUSY,		/* in a request */
	CX_SB_EXITING,		/* leaving; exit_why says why */
	CX_SB__MAX
};

enum cx_sb_why {
	CX_SB_WHY_NONE = 0,
	CX_SB_WHY_RECYCLED,	/* served MAX_REQUESTS */
	CX_SB_WHY_SIGNAL,	/* SIGTERM (or INT) */
	CX_SB_WHY_ACCEPT_FAILED,
	CX_SB_WHY__MAX
};

/* Where a request is: set by handle.c (received), then the lead run. */
enum cx_sb_step {
	CX_SB_STEP_NONE = 0,
	CX_SB_STEP_RECEIVED,	/* accepted, not in a lead run */
	CX_SB_STEP_DEDUP,	/* claiming the lead (file, database) */
	CX_SB_STEP_RECORD,	/* recording the lead's start */
	CX_SB_STEP_C2S_FETCH,	/* reading the lead from C2S */
	CX_SB_STEP_CPF_LOOKUP,	/* finding CPFs (Diretrix, Work API) */
	CX_SB_STEP_WORK_API,	/* the dossiers (Work API modulo=cpf) */
	CX_SB_STEP_STORE,	/* the store transaction */
	CX_SB_STEP_NOTE,	/* posting the note to C2S */
	CX_SB_STEP__MAX
};

struct cx_sb_head {
	int32_t		 master_pid;	/* 0: no master (plain mode) */
	uint32_t	 generation;
	int32_t		 min, max, spare;	/* as configured now */
	int32_t		 idle;		/* atomic: responders idle now */
	int64_t		 started_ms;	/* CLOCK_MONOTONIC */
	int64_t		 short_since_ms;	/* 0: not short */
	int64_t		 pg_ok_ms, pg_fail_ms;	/* last database success and
					   failure seen by any responder */
	int32_t		 queue;		/* fd 0's listen queue, -1 unknown */
	uint32_t	 failures;	/* consecutive failed starts */
	uint64_t	 spawned, recycled, crashed, reloads;
	int64_t		 short_after_ms;	/* POOL_SHORT_AFTER as configured
					   now; 0 from a master before it */
	uint8_t		 pad[CX_SB_RECSIZE - 104];
};

struct cx_sb_slot {
	uint32_t	 seq;		/* seqlock: odd while written */
	int32_t		 pid;		/* 0: free */
	uint32_t	 generation;
	uint8_t		 state;		/* enum cx_sb_state */
	uint8_t		 exit_why;	/* enum cx_sb_why */
	uint8_t		 route;		/* enum ce_route */
	uint8_t		 step;		/* enum cx_sb_step */
	int64_t		 born_ms, req_start_ms, idle_since_ms;
	uint64_t	 served, reqno, slowlogged;
	char		 lead[36];	/* printable, NUL-terminated */
	char		 reqid[24];	/* NUL-terminated, cut to fit */
	uint8_t		 pad[4];
};

/* A process's handle on the table. */
struct cx_sb {
	struct cx_shmfile *shf;
	int		 slot;		/* ours, or -1: none */
	int		 efd;		/* the master's eventfd, or -1 */
	int		 mode;		/* 0 not yet, 1 plain, 2 under a master */
	int32_t		 pid;		/* ours, when the slot was taken */
	int64_t		 retry_ms;	/* plain mode: no claim before then */
};

/* Everything the table holds, copied by cx_sb_snapshot(). */
struct cx_sb_snap {
	struct cx_sb_head head;
	struct cx_sb_slot slot[CX_SB_SLOTS];
};

size_t		 cx_sb_recsize(void);
size_t		 cx_sb_nrecs(void);
void		 cx_sb_init(struct cx_sb *, struct cx_shmfile *);
const char	*cx_sb_step_name(int step);

/* The responder's side: its own slot only. */
int		 cx_sb_attach(struct cx_sb *, int slot, uint32_t generation,
		    int efd);
int		 cx_sb_claim(struct cx_sb *);
void		 cx_sb_busy(struct cx_sb *, int route, const char *reqid,
		    int64_t now_ms);
void		 cx_sb_route(struct cx_sb *, int route);
void		 cx_sb_step(struct cx_sb *, int step, const char *lead);
void		 cx_sb_idle(struct cx_sb *, int64_t now_ms);
void		 cx_sb_exiting(struct cx_sb *, int why);
void		 cx_sb_leave(struct cx_sb *);

/* The master's side: a slot at fork and after reaping, and the head. */
struct cx_sb_head *cx_sb_head(struct cx_sb *);
int		 cx_sb_forked(struct cx_sb *, int slot, pid_t,
		    uint32_t generation, int64_t now_ms);
int		 cx_sb_free_slot(struct cx_sb *);
int		 cx_sb_reaped(struct cx_sb *, pid_t, struct cx_sb_slot *last);

/* Anyone: the whole table, each slot as one consistent copy. */
int		 cx_sb_snapshot(struct cx_sb *, struct cx_sb_snap *);

/* The monotonic clock in ms, the scoreboard's times. */
int64_t		 cx_sb_now_ms(void);

#endif /* CE_SHARED_SCOREBOARD_H */
