/*
 * scoreboard.c -- the pool's scoreboard in the shared file (CX_SHM_POOL):
 * each responder's state, route, pipeline step, lead and request id, and
 * the master's head.  Layout and writers: shared/scoreboard.h;
 * docs/POOL-PLAN.md section 4.
 *
 * Every slot write is seqlocked: the writer takes "seq" from even to odd
 * by compare-and-swap (so the master at fork and its child at attach
 * never interleave), writes, and makes it even again.  A reader copies a
 * slot and keeps the copy only if "seq" was even and unchanged around
 * it, retrying for at most SPIN_MS; after that the copy is handed back
 * with an odd "seq" (torn, its fields unreliable).  A writer that died
 * mid-write leaves "seq" odd: whoever next owns the slot (a claim of a
 * dead pid's slot, the master's reaping) takes it over, and any other
 * writer takes it after SPIN_MS.  The head's "idle" moves by atomic adds
 * only.  No call takes the file's lock, and none fails a request.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/poolctl.h"
#include "io/shmfile.h"
#include "shared/scoreboard.h"

/* How long a reader retries a torn slot, or a writer waits for one. */
#define SPIN_MS		2

_Static_assert(sizeof(struct cx_sb_head) == CX_SB_RECSIZE,
    "the scoreboard's head is one record");
_Static_assert(sizeof(struct cx_sb_slot) == CX_SB_RECSIZE,
    "a scoreboard slot is one record");
/* The master hands the policy (core/poolctl.h) the states as they are. */
_Static_assert(CX_SB_SLOTS == CE_POOL_SLOTS, "the policy's slot count");
_Static_assert((int)CX_SB_FREE == (int)CE_PS_FREE &&
    (int)CX_SB_STARTING == (int)CE_PS_STARTING &&
    (int)CX_SB_IDLE == (int)CE_PS_IDLE && (int)CX_SB_BUSY == (int)CE_PS_BUSY &&
    (int)CX_SB_EXITING == (int)CE_PS_EXITING, "the policy's slot states");

static const char *const stepnames[CX_SB_STEP__MAX] = {
	[CX_SB_STEP_NONE] = "none",
	[CX_SB_STEP_RECEIVED] = "received",
	[CX_SB_STEP_DEDUP] = "dedup",
	[CX_SB_STEP_RECORD] = "record",
	[CX_SB_STEP_C2S_FETCH] = "c2s_fetch",
	[CX_SB_STEP_CPF_LOOKUP] = "cpf_lookup",
	[CX_SB_STEP_WORK_API] = "work_api",
	[CX_SB_STEP_STORE] = "store",
	[CX_SB_STEP_NOTE] = "note",
};

const char *
cx_sb_step_name(int step)
{
	return step >= 0 && step < CX_SB_STEP__MAX ? stepnames[step] : "none";
}

/* The table's shape, for its entry in the shared file's list (ctx.c). */
size_t
cx_sb_recsize(void)
{
	return CX_SB_RECSIZE;
}

size_t
cx_sb_nrecs(void)
{
	return CX_SB_SLOTS + 1;
}

int64_t
cx_sb_now_ms(void)
{
	return (int64_t)(cx_now_us() / 1000);
}

void
cx_sb_init(struct cx_sb *sb, struct cx_shmfile *f)
{
	memset(sb, 0, sizeof(*sb));
	sb->shf = f;
	sb->slot = -1;
	sb->efd = -1;
}

/* The table's first record (the head), or NULL when it is not mapped. */
static char *
table(struct cx_sb *sb)
{
	struct ce_shm	*s = cx_shmfile_get(sb->shf);
	char		*t;
	size_t		 n;

	if (s == NULL || (t = cx_shm_table(s, CX_SHM_POOL, &n)) == NULL ||
	    n < cx_sb_nrecs())
		return NULL;
	return t;
}

struct cx_sb_head *
cx_sb_head(struct cx_sb *sb)
{
	return (struct cx_sb_head *)table(sb);
}

static struct cx_sb_slot *
slot_at(char *t, int i)
{
	return (struct cx_sb_slot *)(t + (size_t)(i + 1) * CX_SB_RECSIZE);
}

/* Our own slot, or NULL. */
static struct cx_sb_slot *
mine(struct cx_sb *sb)
{
	char	*t;

	if (sb->slot < 0 || (t = table(sb)) == NULL)
		return NULL;
	return slot_at(t, sb->slot);
}

/* The head's idle count moved by "d"; returns it (INT32_MAX: no head). */
static int32_t
idle_add(struct cx_sb *sb, int32_t d)
{
	struct cx_sb_head	*h = cx_sb_head(sb);

	if (h == NULL)
		return INT32_MAX;
	return __atomic_add_fetch(&h->idle, d, __ATOMIC_RELAXED);
}

/*
 * Take the slot's seqlock: "seq" from even to odd.  An odd "seq" that
 * stays odd past SPIN_MS (its writer died mid-write), or any when
 * "owned" (the caller owns the slot and its last writer is gone), is
 * taken over as it is.  Returns the odd value to pass to wunlock().
 */
static uint32_t
wlock(struct cx_sb_slot *s, int owned)
{
	long long	 until = 0;
	uint32_t	 v;
	unsigned	 i;

	for (i = 0;; i++) {
		v = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
		if ((v & 1) == 0 && __atomic_compare_exchange_n(&s->seq, &v,
		    v + 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			break;
		if ((v & 1) != 0 && owned)
			break;
		if ((i & 63) == 63) {
			if (until == 0)
				until = cx_now_us() + SPIN_MS * 1000;
			else if (cx_now_us() > until && (v & 1) != 0)
				break;
			sched_yield();
		}
	}
	v |= 1;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return v;
}

static void
wunlock(struct cx_sb_slot *s, uint32_t v)
{
	__atomic_store_n(&s->seq, v + 1, __ATOMIC_RELEASE);
}

/* A write of our own slot, or NULL (none): its seqlock taken ("*v") and
 * its state before ("*was"), for wend(). */
static struct cx_sb_slot *
wbegin(struct cx_sb *sb, uint32_t *v, int *was)
{
	struct cx_sb_slot	*s;

	if ((s = mine(sb)) == NULL)
		return NULL;
	*v = wlock(s, 0);
	*was = s->state;
	return s;
}

/*
 * The write of wbegin() done; the head's idle count follows the slot in
 * or out of IDLE.  Returns the idle count when it moved, else INT32_MAX.
 */
static int32_t
wend(struct cx_sb *sb, struct cx_sb_slot *s, uint32_t v, int was)
{
	int	 now = s->state;

	wunlock(s, v);
	if (was != CX_SB_IDLE && now == CX_SB_IDLE)
		return idle_add(sb, 1);
	if (was == CX_SB_IDLE && now != CX_SB_IDLE)
		return idle_add(sb, -1);
	return INT32_MAX;
}

/*
 * Copy "src" of at most "sz" - 1 bytes into "dst", only the printable
 * ASCII a JSON string takes as it is (the rest as '?'), NUL-terminated.
 */
static void
printable(char *dst, size_t sz, const char *src)
{
	size_t	 i;

	for (i = 0; src != NULL && src[i] != '\0' && i < sz - 1; i++)
		dst[i] = src[i] > 0x20 && src[i] < 0x7f && src[i] != '"' &&
		    src[i] != '\\' ? src[i] : '?';
	dst[i] = '\0';
}

/* Everything but "seq" and "pid" back to zero (a free slot's fields). */
static void
clear(struct cx_sb_slot *s)
{
	uint32_t	 seq = s->seq;
	int32_t		 pid = s->pid;

	memset(s, 0, sizeof(*s));
	s->seq = seq;
	s->pid = pid;
}

/*
 * Under a master: the slot "slot" the master forked us for, in
 * "generation"; "efd" its eventfd (or -1).  The slot must be free or
 * ours already (the master may write it before or after us).  It goes
 * IDLE.  Returns 0, or -1 (no slot: the scoreboard ignores this process,
 * and no plain-mode claim is made).
 */
int
cx_sb_attach(struct cx_sb *sb, int slot, uint32_t generation, int efd)
{
	struct cx_sb_slot	*s;
	char		*t;
	int32_t		 me = (int32_t)getpid(), old = 0;
	uint32_t	 v;
	int		 was;

	sb->mode = 2;
	sb->efd = efd;
	if (slot < 0 || slot >= CX_SB_SLOTS || (t = table(sb)) == NULL)
		return -1;
	s = slot_at(t, slot);
	if (!__atomic_compare_exchange_n(&s->pid, &old, me, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) && old != me)
		return -1;
	v = wlock(s, 0);
	was = s->state;
	s->generation = generation;
	if (s->born_ms == 0)
		s->born_ms = cx_sb_now_ms();
	s->idle_since_ms = cx_sb_now_ms();
	s->state = CX_SB_IDLE;
	wunlock(s, v);
	sb->slot = slot;
	sb->pid = me;
	if (was != CX_SB_IDLE)
		(void)idle_add(sb, 1);
	return 0;
}

/*
 * Plain mode (no master): take a slot, free or a dead process's, by a
 * compare-and-swap on its pid.  It goes IDLE.  Returns the slot, or -1
 * (not mapped, every slot a live process's, or attached to a master).
 */
int
cx_sb_claim(struct cx_sb *sb)
{
	struct cx_sb_slot	*s;
	char		*t;
	int32_t		 me = (int32_t)getpid(), old;
	uint32_t	 v;
	int		 i;

	if (sb->slot >= 0)
		return sb->slot;
	if (sb->mode == 2)	/* under a master: its slot or none */
		return -1;
	sb->mode = 1;
	if ((t = table(sb)) == NULL)
		return -1;
	for (i = 0; i < CX_SB_SLOTS; i++) {
		s = slot_at(t, i);
		old = __atomic_load_n(&s->pid, __ATOMIC_ACQUIRE);
		if (old == me || (old != 0 && (kill(old, 0) == 0 ||
		    errno != ESRCH)))
			continue;
		if (!__atomic_compare_exchange_n(&s->pid, &old, me, 0,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			continue;
		/* Its last writer is gone: a seqlock it left odd is ours. */
		v = wlock(s, 1);
		if (old != 0 && s->state == CX_SB_IDLE)
			(void)idle_add(sb, -1);	/* it died counted idle */
		clear(s);
		s->born_ms = s->idle_since_ms = cx_sb_now_ms();
		s->state = CX_SB_IDLE;
		wunlock(s, v);
		sb->slot = i;
		sb->pid = me;
		(void)idle_add(sb, 1);
		return i;
	}
	return -1;
}

/*
 * A request accepted at "now_ms", with its route (or CE_ROUTE_NONE) and
 * request id.  In plain mode, a claim that found the table full is tried
 * again here, at most once a second; a process that never claimed (no
 * cx_sb_claim() nor cx_sb_attach(): a test, the worker) has no slot and
 * maps nothing here.  The head's idle count goes down, and below the
 * head's spare the master's eventfd is told, never waited on.
 */
void
cx_sb_busy(struct cx_sb *sb, int route, const char *reqid, int64_t now_ms)
{
	struct cx_sb_slot	*s;
	struct cx_sb_head	*h;
	uint64_t	 one = 1;
	uint32_t	 v;
	int32_t		 idle;
	int		 was;

	if (sb->slot < 0 && sb->mode == 1 && now_ms >= sb->retry_ms &&
	    cx_sb_claim(sb) < 0)
		sb->retry_ms = now_ms + 1000;
	if ((s = wbegin(sb, &v, &was)) == NULL)
		return;
	s->state = CX_SB_BUSY;
	s->route = (uint8_t)route;
	s->step = CX_SB_STEP_RECEIVED;
	s->lead[0] = '\0';
	printable(s->reqid, sizeof(s->reqid), reqid);
	s->req_start_ms = now_ms;
	s->reqno++;
	idle = wend(sb, s, v, was);
	if (idle == INT32_MAX || (h = cx_sb_head(sb)) == NULL)
		return;
	if (sb->efd >= 0 && idle < __atomic_load_n(&h->spare,
	    __ATOMIC_RELAXED) && write(sb->efd, &one, sizeof(one)) == -1) {
		/* Full or gone: the master's tick sees it anyway. */
	}
}

/* The request's route, once it is known. */
void
cx_sb_route(struct cx_sb *sb, int route)
{
	struct cx_sb_slot	*s;
	uint32_t	 v;
	int		 was;

	if ((s = wbegin(sb, &v, &was)) == NULL)
		return;
	s->route = (uint8_t)route;
	(void)wend(sb, s, v, was);
}

/* The lead run's step now, and its lead id ("lead" NULL: kept). */
void
cx_sb_step(struct cx_sb *sb, int step, const char *lead)
{
	struct cx_sb_slot	*s;
	uint32_t	 v;
	int		 was;

	if ((s = wbegin(sb, &v, &was)) == NULL)
		return;
	s->step = (uint8_t)step;
	if (lead != NULL)
		printable(s->lead, sizeof(s->lead), lead);
	(void)wend(sb, s, v, was);
}

/* The request answered at "now_ms": served one more, IDLE again. */
void
cx_sb_idle(struct cx_sb *sb, int64_t now_ms)
{
	struct cx_sb_slot	*s;
	uint32_t	 v;
	int		 was;

	if ((s = wbegin(sb, &v, &was)) == NULL)
		return;
	s->state = CX_SB_IDLE;
	s->served++;
	s->idle_since_ms = now_ms;
	(void)wend(sb, s, v, was);
}

/* Leaving, for "why" (enum cx_sb_why): the master classes the exit. */
void
cx_sb_exiting(struct cx_sb *sb, int why)
{
	struct cx_sb_slot	*s;
	uint32_t	 v;
	int		 was;

	if ((s = wbegin(sb, &v, &was)) == NULL)
		return;
	s->state = CX_SB_EXITING;
	s->exit_why = (uint8_t)why;
	(void)wend(sb, s, v, was);
}

/* Plain mode, at exit: the slot free again.  Under a master the master
 * frees it once it has reaped us. */
void
cx_sb_leave(struct cx_sb *sb)
{
	struct cx_sb_slot	*s;
	int32_t		 me = (int32_t)getpid();
	uint32_t	 v;
	int		 was;

	if (sb->mode != 1 || sb->pid != me ||
	    (s = wbegin(sb, &v, &was)) == NULL)
		return;
	clear(s);	/* FREE */
	(void)wend(sb, s, v, was);
	(void)__atomic_compare_exchange_n(&s->pid, &me, 0, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	sb->slot = -1;
}

/*
 * The master forked "pid" for slot "slot" (from cx_sb_free_slot()) in
 * "generation" at "now_ms": the slot is STARTING, unless the child got
 * there first (then only its generation is set).  Returns 0, or -1 (not
 * mapped, a bad slot, or another process's).
 */
int
cx_sb_forked(struct cx_sb *sb, int slot, pid_t pid, uint32_t generation,
    int64_t now_ms)
{
	struct cx_sb_slot	*s;
	char		*t;
	int32_t		 old = 0;
	uint32_t	 v;

	if (slot < 0 || slot >= CX_SB_SLOTS || pid <= 0 ||
	    (t = table(sb)) == NULL)
		return -1;
	s = slot_at(t, slot);
	if (!__atomic_compare_exchange_n(&s->pid, &old, (int32_t)pid, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) && old != (int32_t)pid)
		return -1;
	v = wlock(s, 0);
	if (s->state == CX_SB_FREE) {
		clear(s);
		s->state = CX_SB_STARTING;
	}
	s->generation = generation;
	s->born_ms = now_ms;
	wunlock(s, v);
	return 0;
}

/* A free slot for the next fork (the master's), or -1: none. */
int
cx_sb_free_slot(struct cx_sb *sb)
{
	struct cx_sb_slot	*s;
	char		*t;
	int		 i;

	if ((t = table(sb)) == NULL)
		return -1;
	for (i = 0; i < CX_SB_SLOTS; i++) {
		s = slot_at(t, i);
		if (__atomic_load_n(&s->pid, __ATOMIC_ACQUIRE) == 0 &&
		    __atomic_load_n(&s->state, __ATOMIC_RELAXED) == CX_SB_FREE)
			return i;
	}
	return -1;
}

/*
 * The master reaped "pid": its slot's last state copied into "last" (if
 * not NULL), then the slot FREE.  The idle count loses it if it died
 * idle.  Returns the slot, or -1 (no slot of that pid, or not mapped).
 */
int
cx_sb_reaped(struct cx_sb *sb, pid_t pid, struct cx_sb_slot *last)
{
	struct cx_sb_slot	*s;
	char		*t;
	uint32_t	 v;
	int		 i;

	if (pid <= 0 || (t = table(sb)) == NULL)
		return -1;
	for (i = 0; i < CX_SB_SLOTS; i++) {
		s = slot_at(t, i);
		if (__atomic_load_n(&s->pid, __ATOMIC_ACQUIRE) != (int32_t)pid)
			continue;
		v = wlock(s, 1);	/* its writer is dead */
		if (last != NULL) {
			memcpy(last, s, sizeof(*last));
			last->seq = v + 1;
		}
		if (s->state == CX_SB_IDLE)
			(void)idle_add(sb, -1);
		clear(s);
		wunlock(s, v);
		__atomic_store_n(&s->pid, 0, __ATOMIC_RELEASE);
		return i;
	}
	return -1;
}

/*
 * Copy slot "s" into "out" consistently: retried while its seq is odd
 * or moves, for at most SPIN_MS.  Returns 0, or -1 with the last copy in
 * "out" and its seq odd (torn: its fields unreliable).
 */
static int
read_slot(const struct cx_sb_slot *s, struct cx_sb_slot *out)
{
	long long	 until = 0;
	uint32_t	 s1, s2;
	unsigned	 i;

	for (i = 0;; i++) {
		s1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		memcpy(out, s, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
		if ((s1 & 1) == 0 && s1 == s2) {
			out->seq = s1;
			return 0;
		}
		if ((i & 63) == 63) {
			if (until == 0)
				until = cx_now_us() + SPIN_MS * 1000;
			else if (cx_now_us() > until)
				break;
			sched_yield();
		}
	}
	out->seq = s1 | 1;
	return -1;
}

/*
 * The head and every slot into "snap", without the file's lock: each
 * slot one consistent copy (see read_slot()).  Returns the count of torn
 * slots (0 normally), or -1 when the file is not mapped.
 */
int
cx_sb_snapshot(struct cx_sb *sb, struct cx_sb_snap *snap)
{
	char		*t;
	int		 i, torn = 0;

	if ((t = table(sb)) == NULL)
		return -1;
	memcpy(&snap->head, t, sizeof(snap->head));
	snap->head.idle = __atomic_load_n(&((struct cx_sb_head *)t)->idle,
	    __ATOMIC_RELAXED);
	for (i = 0; i < CX_SB_SLOTS; i++)
		if (read_slot(slot_at(t, i), &snap->slot[i]) == -1)
			torn++;
	return torn;
}
