/*
 * shm_test -- the shared file and its de-duplication table
 * (lib/io/shmfile.c, lib/shared/dedup.c): claims, expiry, owners found
 * dead, a lock holder killed, a full table, a foreign file rebuilt, and
 * no raw key in the file.  The pool's scoreboard
 * (lib/shared/scoreboard.c): a responder's slot through a request, the
 * master's fork and reaping, a dead process's slot claimed again, torn
 * slots never copied as whole; a file of the previous layout rebuilt; a
 * forked child's own handle locking against its parent's.
 */
#define _GNU_SOURCE	/* memmem */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include "core/log.h"
#include "core/siphash.h"
#include "io/shmfile.h"
#include "shared/dedup.h"
#include "shared/scoreboard.h"

#define PATH	"dedup.file"

static struct ce_shm *
open_ok(size_t n)
{
	struct ce_shm	*s;
	char		 err[256];

	s = ce_shm_open(PATH, n, err, sizeof(err));
	ATF_REQUIRE_MSG(s != NULL, "%s", err);
	return s;
}

static void
sleep_ms(long ms)
{
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

ATF_TC_WITHOUT_HEAD(siphash__reference_vector);
ATF_TC_BODY(siphash__reference_vector, tc)
{
	uint8_t		 key[16], msg[15];
	size_t		 i;

	for (i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	/* SipHash-2-4 paper, appendix A. */
	ATF_CHECK_EQ(ce_siphash(key, msg, 15), 0xa129ca6149be45e5ULL);
}

ATF_TC_WITHOUT_HEAD(claim__own_inflight_done_release);
ATF_TC_BODY(claim__own_inflight_done_release, tc)
{
	struct ce_shm	*s = open_ok(64);
	struct stat	 st;
	int		 out;

	ATF_REQUIRE_EQ(stat(PATH, &st), 0);
	ATF_CHECK_EQ(st.st_mode & 0777, 0600);
	ATF_CHECK_EQ(ce_shm_slots(s), 64);
	ATF_CHECK_EQ(ce_dedup_claim(s, "lead-a", 60000, &out), CE_CLAIM_OWN);
	ATF_CHECK_EQ(ce_dedup_claim(s, "lead-a", 60000, &out),
	    CE_CLAIM_INFLIGHT);
	ATF_CHECK_EQ(ce_dedup_claim(s, "lead-b", 60000, &out), CE_CLAIM_OWN);
	ce_dedup_done(s, "lead-a", 60000, 3);
	ATF_CHECK_EQ(ce_dedup_claim(s, "lead-a", 60000, &out), CE_CLAIM_DONE);
	ATF_CHECK_EQ(out, 3);
	ATF_CHECK_EQ(ce_dedup_used(s), 2);
	ce_dedup_release(s, "lead-b");
	ATF_CHECK_EQ(ce_dedup_claim(s, "lead-b", 60000, &out), CE_CLAIM_OWN);
	ce_shm_close(s);
}

ATF_TC_WITHOUT_HEAD(claim__reclaim_done_not_inflight);
ATF_TC_BODY(claim__reclaim_done_not_inflight, tc)
{
	struct ce_shm	*s = open_ok(64);
	int		 out;

	/* A scheduled retry takes a done key again, never one in flight. */
	ATF_CHECK_EQ(ce_dedup_claim(s, "lead-r", 60000, &out), CE_CLAIM_OWN);
	ATF_CHECK_EQ(ce_dedup_reclaim(s, "lead-r", 60000, &out),
	    CE_CLAIM_INFLIGHT);
	ce_dedup_done(s, "lead-r", 60000, 2);
	ATF_CHECK_EQ(ce_dedup_reclaim(s, "lead-r", 60000, &out), CE_CLAIM_OWN);
	ATF_CHECK_EQ(ce_dedup_claim(s, "lead-r", 60000, &out),
	    CE_CLAIM_INFLIGHT);
	ATF_CHECK_EQ(ce_dedup_used(s), 1);
	ATF_CHECK_EQ(ce_dedup_reclaim(s, "lead-new", 60000, &out),
	    CE_CLAIM_OWN);
	ce_shm_close(s);
}

ATF_TC_WITHOUT_HEAD(claim__expires);
ATF_TC_BODY(claim__expires, tc)
{
	struct ce_shm	*s = open_ok(64);
	int		 out;

	ATF_CHECK_EQ(ce_dedup_claim(s, "k", 20, &out), CE_CLAIM_OWN);
	sleep_ms(40);
	ATF_CHECK_EQ(ce_dedup_claim(s, "k", 60000, &out), CE_CLAIM_OWN);
	ce_dedup_done(s, "k", 20, 1);
	ATF_CHECK_EQ(ce_dedup_claim(s, "k", 60000, &out), CE_CLAIM_DONE);
	sleep_ms(40);
	ATF_CHECK_EQ(ce_dedup_claim(s, "k", 60000, &out), CE_CLAIM_OWN);
	ce_shm_close(s);
}

ATF_TC_WITHOUT_HEAD(claim__dead_owner_reclaimed);
ATF_TC_BODY(claim__dead_owner_reclaimed, tc)
{
	struct ce_shm	*s;
	pid_t		 pid;
	int		 out, st;

	s = open_ok(64);
	ce_shm_close(s);
	if ((pid = fork()) == 0) {
		char	 err[256];
		int	 own;

		s = ce_shm_open(PATH, 64, err, sizeof(err));
		own = s != NULL && ce_dedup_claim(s, "k", 600000, &out) ==
		    CE_CLAIM_OWN;
		/* Unmapped, but the claim stays in the file with our pid. */
		ce_shm_close(s);
		_exit(own ? 0 : 1);
	}
	ATF_REQUIRE(pid > 0);
	ATF_REQUIRE_EQ(waitpid(pid, &st, 0), pid);
	ATF_REQUIRE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	s = open_ok(64);
	/* Its owner is gone: the in-flight claim is ours to take. */
	ATF_CHECK_EQ(ce_dedup_claim(s, "k", 60000, &out), CE_CLAIM_OWN);
	ce_shm_close(s);
}

ATF_TC_WITHOUT_HEAD(lock__holder_killed);
ATF_TC_BODY(lock__holder_killed, tc)
{
	struct ce_shm	*s;
	int		 p[2], out, st;
	char		 c;
	pid_t		 pid;

	s = open_ok(64);
	ce_shm_close(s);
	ATF_REQUIRE_EQ(pipe(p), 0);
	if ((pid = fork()) == 0) {
		char	 err[256];

		s = ce_shm_open(PATH, 64, err, sizeof(err));
		if (s == NULL || ce_shm_lock(s) == -1)
			_exit(1);
		(void)write(p[1], "L", 1);
		for (;;)
			pause();
	}
	ATF_REQUIRE(pid > 0);
	ATF_REQUIRE_EQ(read(p[0], &c, 1), 1);
	kill(pid, SIGKILL);
	ATF_REQUIRE_EQ(waitpid(pid, &st, 0), pid);
	/* Blocking here forever would be the bug: give it 5 s. */
	alarm(5);
	s = open_ok(64);
	ATF_CHECK_EQ(ce_dedup_claim(s, "k", 60000, &out), CE_CLAIM_OWN);
	alarm(0);
	ce_shm_close(s);
}

ATF_TC_WITHOUT_HEAD(table__full_degrades);
ATF_TC_BODY(table__full_degrades, tc)
{
	struct ce_shm	*s = open_ok(8);
	char		 key[32];
	int		 i, out, own = 0, full = 0;

	for (i = 0; i < 40; i++) {
		snprintf(key, sizeof(key), "lead-%d", i);
		switch (ce_dedup_claim(s, key, 60000, &out)) {
		case CE_CLAIM_OWN:
			own++;
			break;
		case CE_CLAIM_FULL:
			full++;
			break;
		default:
			atf_tc_fail("a new key reported as a duplicate");
		}
	}
	ATF_CHECK_EQ(own, 8);
	ATF_CHECK_EQ(full, 32);
	ATF_CHECK_EQ(ce_dedup_used(s), 8);
	ce_shm_close(s);
}

ATF_TC_WITHOUT_HEAD(file__foreign_rebuilt_no_raw_keys);
ATF_TC_BODY(file__foreign_rebuilt_no_raw_keys, tc)
{
	static const char junk[] = "not our layout, version 99";
	struct ce_shm	*s;
	char		 buf[1 << 16];
	ssize_t		 n;
	int		 fd, out;

	fd = open(PATH, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ATF_REQUIRE(fd != -1);
	ATF_REQUIRE_EQ(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	s = open_ok(64);
	ATF_CHECK_EQ(ce_shm_slots(s), 64);
	ATF_CHECK_EQ(ce_dedup_claim(s, "0123456789abcdef0123456789abcdef",
	    60000, &out), CE_CLAIM_OWN);
	ce_shm_close(s);
	/* A valid file keeps its slot count whatever the next one asks. */
	s = open_ok(128);
	ATF_CHECK_EQ(ce_shm_slots(s), 64);
	ATF_CHECK_EQ(ce_dedup_claim(s, "0123456789abcdef0123456789abcdef",
	    60000, &out), CE_CLAIM_INFLIGHT);
	ce_shm_close(s);
	fd = open(PATH, O_RDONLY);
	ATF_REQUIRE(fd != -1);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	ATF_REQUIRE(n > 0);
	ATF_CHECK_MSG(memmem(buf, (size_t)n, "0123456789abcdef", 16) == NULL,
	    "the raw key is in the file");
}

/* --- The pool's scoreboard. ------------------------------------------ */

static struct cx_log	 quiet = { -1, CE_LOG_ERROR, "" };

/* The tables of a scoreboard file: the dedup table, then the pool's
 * ("old" 1: the dedup table alone, as a file without the pool). */
static size_t
sb_tabs(struct cx_shm_tab *t, int old)
{
	t[0].kind = CX_SHM_DEDUP;
	t[0].nslots = 64;
	t[0].slotsize = cx_dedup_slot_size();
	t[1].kind = CX_SHM_POOL;
	t[1].nslots = cx_sb_nrecs();
	t[1].slotsize = cx_sb_recsize();
	return old ? 1 : 2;
}

/* A process's own handle on the file, mapped; NULL on failure. */
static struct cx_shmfile *
sb_open(void)
{
	struct cx_shm_tab	 t[2];
	struct cx_shmfile	*f;
	size_t		 n = sb_tabs(t, 0);

	if ((f = cx_shmfile_new(PATH, t, n, &quiet)) != NULL &&
	    !cx_shmfile_ok(f)) {
		cx_shmfile_free(f);
		f = NULL;
	}
	return f;
}

static struct cx_shmfile *
sb_open_ok(void)
{
	struct cx_shmfile	*f = sb_open();

	ATF_REQUIRE(f != NULL);
	return f;
}

/* Slot "i" as it lies in the file (to play a writer stopped mid-way). */
static struct cx_sb_slot *
raw_slot(struct cx_shmfile *f, int i)
{
	char	*t;
	size_t	 n;

	t = cx_shm_table(cx_shmfile_get(f), CX_SHM_POOL, &n);
	ATF_REQUIRE(t != NULL && n == CX_SB_SLOTS + 1);
	return (struct cx_sb_slot *)(t + (size_t)(i + 1) * CX_SB_RECSIZE);
}

static void
snap_ok(struct cx_sb *sb, struct cx_sb_snap *snap)
{
	ATF_REQUIRE_EQ(cx_sb_snapshot(sb, snap), 0);
}

ATF_TC_WITHOUT_HEAD(scoreboard__roundtrip);
ATF_TC_BODY(scoreboard__roundtrip, tc)
{
	struct cx_shmfile	*f = sb_open_ok();
	struct cx_sb		 sb;
	struct cx_sb_snap	 snap;
	const struct cx_sb_slot	*s = &snap.slot[0];

	cx_sb_init(&sb, f);
	/* No claim made (a test, the worker): a request takes no slot. */
	cx_sb_busy(&sb, 3, "req-0", 500);
	cx_sb_idle(&sb, 600);
	ATF_CHECK_EQ(sb.slot, -1);
	snap_ok(&sb, &snap);
	ATF_CHECK_EQ(s->pid, 0);
	ATF_CHECK_EQ(snap.head.idle, 0);
	/* A fresh file: the first slot, IDLE, counted idle. */
	ATF_REQUIRE_EQ(cx_sb_claim(&sb), 0);
	snap_ok(&sb, &snap);
	ATF_CHECK_EQ(s->pid, (int32_t)getpid());
	ATF_CHECK_EQ(s->state, CX_SB_IDLE);
	ATF_CHECK_EQ(s->seq & 1, 0);
	ATF_CHECK_EQ(snap.head.idle, 1);
	ATF_CHECK_EQ(snap.slot[1].pid, 0);

	cx_sb_busy(&sb, 3, "req-1", 1000);
	snap_ok(&sb, &snap);
	ATF_CHECK_EQ(s->state, CX_SB_BUSY);
	ATF_CHECK_EQ(s->route, 3);
	ATF_CHECK_EQ(s->step, CX_SB_STEP_RECEIVED);
	ATF_CHECK_STREQ(s->reqid, "req-1");
	ATF_CHECK_STREQ(s->lead, "");
	ATF_CHECK_EQ(s->req_start_ms, 1000);
	ATF_CHECK_EQ(s->reqno, 1);
	ATF_CHECK_EQ(snap.head.idle, 0);

	cx_sb_step(&sb, CX_SB_STEP_C2S_FETCH,
	    "0123456789abcdef0123456789abcdef");
	snap_ok(&sb, &snap);
	ATF_CHECK_EQ(s->step, CX_SB_STEP_C2S_FETCH);
	ATF_CHECK_STREQ(s->lead, "0123456789abcdef0123456789abcdef");
	/* A step without a lead keeps it; names as the slowlog prints. */
	cx_sb_step(&sb, CX_SB_STEP_WORK_API, NULL);
	cx_sb_route(&sb, 5);
	snap_ok(&sb, &snap);
	ATF_CHECK_STREQ(cx_sb_step_name(s->step), "work_api");
	ATF_CHECK_STREQ(cx_sb_step_name(CX_SB_STEP_C2S_FETCH), "c2s_fetch");
	ATF_CHECK_STREQ(cx_sb_step_name(99), "none");
	ATF_CHECK_STREQ(s->lead, "0123456789abcdef0123456789abcdef");
	ATF_CHECK_EQ(s->route, 5);

	cx_sb_idle(&sb, 2500);
	snap_ok(&sb, &snap);
	ATF_CHECK_EQ(s->state, CX_SB_IDLE);
	ATF_CHECK_EQ(s->served, 1);
	ATF_CHECK_EQ(s->idle_since_ms, 2500);
	ATF_CHECK_EQ(snap.head.idle, 1);

	/* A request id cut to fit, what JSON would need escaped as '?';
	 * the lead of the last request gone. */
	cx_sb_busy(&sb, 1, "a\"b\\c-0123456789012345678901234567890", 3000);
	snap_ok(&sb, &snap);
	ATF_CHECK_STREQ(s->reqid, "a?b?c-01234567890123456");
	ATF_CHECK_STREQ(s->lead, "");
	ATF_CHECK_EQ(s->reqno, 2);
	cx_sb_idle(&sb, 3100);

	cx_sb_exiting(&sb, CX_SB_WHY_RECYCLED);
	snap_ok(&sb, &snap);
	ATF_CHECK_EQ(s->state, CX_SB_EXITING);
	ATF_CHECK_EQ(s->exit_why, CX_SB_WHY_RECYCLED);
	ATF_CHECK_EQ(s->served, 2);
	ATF_CHECK_EQ(snap.head.idle, 0);

	cx_sb_leave(&sb);
	snap_ok(&sb, &snap);
	ATF_CHECK_EQ(s->pid, 0);
	ATF_CHECK_EQ(s->state, CX_SB_FREE);
	ATF_CHECK_EQ(sb.slot, -1);
	cx_shmfile_free(f);
}

ATF_TC_WITHOUT_HEAD(scoreboard__master_fork_reap);
ATF_TC_BODY(scoreboard__master_fork_reap, tc)
{
	struct cx_shmfile	*f = sb_open_ok();
	struct cx_sb		 m;
	struct cx_sb_snap	 snap;
	struct cx_sb_slot	 last;
	struct cx_sb_head	*h;
	uint64_t		 woken = 0;
	int			 efd, slot, st;
	pid_t			 pid;

	cx_sb_init(&m, f);
	ATF_REQUIRE((h = cx_sb_head(&m)) != NULL);
	h->master_pid = (int32_t)getpid();
	h->spare = 1;
	ATF_REQUIRE((efd = eventfd(0, EFD_NONBLOCK)) != -1);
	ATF_REQUIRE_EQ(slot = cx_sb_free_slot(&m), 0);
	if ((pid = fork()) == 0) {
		struct cx_shmfile	*own;
		struct cx_sb		 c;

		/* child_init: the master's handle dropped, our own made. */
		cx_shmfile_free(f);
		if ((own = sb_open()) == NULL)
			_exit(1);
		cx_sb_init(&c, own);
		if (cx_sb_attach(&c, slot, 7, efd) != 0)
			_exit(2);
		/* Attached: never a plain-mode claim of another slot. */
		if (cx_sb_claim(&c) != slot)
			_exit(3);
		cx_sb_busy(&c, 3, "r-1", cx_sb_now_ms());
		cx_sb_idle(&c, cx_sb_now_ms());
		cx_sb_exiting(&c, CX_SB_WHY_RECYCLED);
		cx_sb_leave(&c);	/* the master's to free, not ours */
		cx_shmfile_free(own);
		_exit(0);
	}
	ATF_REQUIRE(pid > 0);
	ATF_CHECK_EQ(cx_sb_forked(&m, slot, pid, 7, 1234), 0);
	ATF_REQUIRE_EQ(waitpid(pid, &st, 0), pid);
	ATF_REQUIRE_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "child status %d", st);
	/* Busy left none idle, below the spare: the master was told. */
	ATF_CHECK_EQ(read(efd, &woken, sizeof(woken)), (ssize_t)sizeof(woken));
	ATF_CHECK(woken >= 1);
	snap_ok(&m, &snap);
	ATF_CHECK_EQ(snap.slot[slot].pid, (int32_t)pid);
	ATF_CHECK_EQ(snap.slot[slot].state, CX_SB_EXITING);
	ATF_CHECK_EQ(snap.slot[slot].generation, 7);
	ATF_CHECK_EQ(snap.slot[slot].born_ms, 1234);
	ATF_CHECK_EQ(snap.head.idle, 0);
	/* Another slot for the next fork while this one is not reaped. */
	ATF_CHECK_EQ(cx_sb_free_slot(&m), 1);

	ATF_CHECK_EQ(cx_sb_reaped(&m, pid, &last), slot);
	ATF_CHECK_EQ(last.state, CX_SB_EXITING);
	ATF_CHECK_EQ(last.exit_why, CX_SB_WHY_RECYCLED);
	ATF_CHECK_EQ(last.served, 1);
	ATF_CHECK_EQ(last.generation, 7);
	ATF_CHECK_EQ(last.seq & 1, 0);
	snap_ok(&m, &snap);
	ATF_CHECK_EQ(snap.slot[slot].pid, 0);
	ATF_CHECK_EQ(snap.slot[slot].state, CX_SB_FREE);
	ATF_CHECK_EQ(cx_sb_free_slot(&m), slot);
	ATF_CHECK_EQ(cx_sb_reaped(&m, pid, NULL), -1);
	ATF_CHECK_EQ(cx_sb_forked(&m, CX_SB_SLOTS, pid, 7, 1), -1);
	close(efd);
	cx_shmfile_free(f);
}

/*
 * A child that claims a slot in plain mode and writes its index to "fd",
 * then waits to be killed ("stay"), or exits without leaving it.
 */
static pid_t
claimer(int fd, int stay)
{
	pid_t	 pid;

	if ((pid = fork()) == 0) {
		struct cx_shmfile	*own = sb_open();
		struct cx_sb		 o;
		char			 c;

		if (own == NULL)
			_exit(1);
		cx_sb_init(&o, own);
		c = (char)cx_sb_claim(&o);
		(void)write(fd, &c, 1);
		while (stay)
			pause();
		cx_shmfile_free(own);	/* unmapped, not left */
		_exit(0);
	}
	ATF_REQUIRE(pid > 0);
	return pid;
}

ATF_TC_WITHOUT_HEAD(scoreboard__dead_slot_claimed);
ATF_TC_BODY(scoreboard__dead_slot_claimed, tc)
{
	struct cx_shmfile	*f = sb_open_ok();
	struct cx_sb		 sb;
	struct cx_sb_snap	 snap;
	int			 p[2], live, dead, st;
	pid_t			 a, b;
	char			 c;

	cx_sb_init(&sb, f);
	ATF_REQUIRE_EQ(pipe(p), 0);
	/* "b" holds a slot alive; "a" takes one and dies without leaving. */
	b = claimer(p[1], 1);
	ATF_REQUIRE_EQ(read(p[0], &c, 1), 1);
	live = c;
	a = claimer(p[1], 0);
	ATF_REQUIRE_EQ(read(p[0], &c, 1), 1);
	dead = c;
	ATF_REQUIRE_EQ(waitpid(a, &st, 0), a);
	ATF_CHECK_EQ(live, 0);
	ATF_CHECK_EQ(dead, 1);
	/* The dead one's slot is ours; the live one's is not touched; the
	 * idle count loses the dead one's idle. */
	ATF_CHECK_EQ(cx_sb_claim(&sb), dead);
	snap_ok(&sb, &snap);
	ATF_CHECK_EQ(snap.slot[dead].pid, (int32_t)getpid());
	ATF_CHECK_EQ(snap.slot[live].pid, (int32_t)b);
	ATF_CHECK_EQ(snap.head.idle, 2);
	kill(b, SIGKILL);
	ATF_REQUIRE_EQ(waitpid(b, &st, 0), b);
	cx_sb_leave(&sb);
	cx_shmfile_free(f);
}

ATF_TC_WITHOUT_HEAD(scoreboard__seqlock_retry);
ATF_TC_BODY(scoreboard__seqlock_retry, tc)
{
	struct cx_shmfile	*f = sb_open_ok();
	struct cx_sb		 sb;
	struct cx_sb_snap	 snap;
	struct cx_sb_slot	*raw;
	const struct cx_sb_slot	*s;
	char			 want[32], c;
	long			 checked = 0, bad = 0, torn = 0;
	int			 p[2], slot, st, n;
	pid_t			 pid, w;

	/* A writer stopped mid-write (seq odd): never copied as whole. */
	cx_sb_init(&sb, f);
	ATF_REQUIRE((slot = cx_sb_claim(&sb)) >= 0);
	cx_sb_busy(&sb, 3, "before", 10);
	raw = raw_slot(f, slot);
	raw->seq++;
	memcpy(raw->reqid, "half", 5);
	ATF_CHECK_EQ(cx_sb_snapshot(&sb, &snap), 1);
	ATF_CHECK_EQ(snap.slot[slot].seq & 1, 1);
	/* Its write done: copied, and whole. */
	raw->seq++;
	ATF_CHECK_EQ(cx_sb_snapshot(&sb, &snap), 0);
	ATF_CHECK_STREQ(snap.slot[slot].reqid, "half");
	/* A writer that died mid-write: the next writer takes over. */
	raw->seq++;
	cx_sb_step(&sb, CX_SB_STEP_STORE, NULL);
	ATF_CHECK_EQ(cx_sb_snapshot(&sb, &snap), 0);
	ATF_CHECK_EQ(snap.slot[slot].step, CX_SB_STEP_STORE);
	cx_sb_leave(&sb);

	/* A forked writer as fast as it can: every copy returned whole has
	 * its request id, start and number from one and the same write. */
	ATF_REQUIRE_EQ(pipe(p), 0);
	if ((pid = fork()) == 0) {
		struct cx_shmfile	*own = sb_open();
		struct cx_sb		 o;
		char			 id[32];
		long long		 k, end;

		if (own == NULL)
			_exit(1);
		cx_sb_init(&o, own);
		c = (char)cx_sb_claim(&o);
		(void)write(p[1], &c, 1);
		end = cx_sb_now_ms() + 400;
		for (k = 1; k < 2000000 && (k & 1023 || cx_sb_now_ms() < end);
		    k++) {
			snprintf(id, sizeof(id), "r%lld", k);
			cx_sb_busy(&o, (int)(k % 7), id, k);
		}
		cx_shmfile_free(own);
		_exit(0);
	}
	ATF_REQUIRE(pid > 0);
	ATF_REQUIRE_EQ(read(p[0], &c, 1), 1);
	ATF_REQUIRE((slot = c) >= 0);
	s = &snap.slot[slot];
	do {
		w = waitpid(pid, &st, WNOHANG);
		n = cx_sb_snapshot(&sb, &snap);
		ATF_REQUIRE(n >= 0);
		if (s->seq & 1) {
			torn++;
			continue;
		}
		if (s->reqno == 0)
			continue;
		checked++;
		snprintf(want, sizeof(want), "r%lld", (long long)s->req_start_ms);
		if (strcmp(s->reqid, want) != 0 ||
		    s->reqno != (uint64_t)s->req_start_ms ||
		    s->route != s->req_start_ms % 7)
			bad++;
	} while (w == 0);
	ATF_REQUIRE_EQ(w, pid);
	ATF_REQUIRE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ATF_CHECK_MSG(bad == 0, "%ld of %ld copies mixed two writes", bad,
	    checked);
	ATF_CHECK_MSG(checked > 20, "only %ld copies checked", checked);
	/* A writer preempted mid-write past the retries gives a torn copy,
	 * said as torn: counted, not a fault. */
	printf("%ld copies checked, %ld torn\n", checked, torn);
	cx_shmfile_free(f);
}

/* The header's layout version (io/shmfile.c: after the 8-byte magic). */
static uint32_t
file_version(void)
{
	uint32_t	 v = 0;
	int		 fd = open(PATH, O_RDONLY);

	ATF_REQUIRE(fd != -1);
	ATF_REQUIRE_EQ(pread(fd, &v, sizeof(v), 8), (ssize_t)sizeof(v));
	close(fd);
	return v;
}

static void
set_file_version(uint32_t v)
{
	int	 fd = open(PATH, O_WRONLY);

	ATF_REQUIRE(fd != -1);
	ATF_REQUIRE_EQ(pwrite(fd, &v, sizeof(v), 8), (ssize_t)sizeof(v));
	close(fd);
}

ATF_TC_WITHOUT_HEAD(layout__v3_file_rebuilt);
ATF_TC_BODY(layout__v3_file_rebuilt, tc)
{
	struct cx_shm_tab	 t[2];
	struct cx_sb_head	*h;
	struct ce_shm		*s;
	char			 err[256];
	size_t			 n, nold;
	int			 out;

	/* A file of version 3, without the pool's table, as the last
	 * release left it, with a claim in it. */
	nold = sb_tabs(t, 1);
	ATF_REQUIRE((s = cx_shm_open_tabs(PATH, t, nold, err,
	    sizeof(err))) != NULL);
	ATF_CHECK_EQ(ce_dedup_claim(s, "k", 600000, &out), CE_CLAIM_OWN);
	ce_shm_close(s);
	set_file_version(3);
	/* Opened by this release: rebuilt, the claim gone, the pool's
	 * table there. */
	n = sb_tabs(t, 0);
	ATF_REQUIRE((s = cx_shm_open_tabs(PATH, t, n, err, sizeof(err))) !=
	    NULL);
	ATF_CHECK_EQ(file_version(), 4);
	ATF_CHECK((h = cx_shm_table(s, CX_SHM_POOL, &n)) != NULL);
	ATF_CHECK_EQ(n, cx_sb_nrecs());
	ATF_CHECK_EQ(ce_dedup_claim(s, "k", 600000, &out), CE_CLAIM_OWN);
	ATF_REQUIRE(h != NULL);
	h->master_pid = 4242;
	ce_shm_close(s);
	/* The same tables kept as they are in a file of this version ... */
	n = sb_tabs(t, 0);
	ATF_REQUIRE((s = cx_shm_open_tabs(PATH, t, n, err, sizeof(err))) !=
	    NULL);
	h = cx_shm_table(s, CX_SHM_POOL, &n);
	ATF_REQUIRE(h != NULL);
	ATF_CHECK_EQ(h->master_pid, 4242);
	ATF_CHECK_EQ(ce_dedup_claim(s, "k", 600000, &out), CE_CLAIM_INFLIGHT);
	ce_shm_close(s);
	/* ... and rebuilt in a file that says version 3. */
	set_file_version(3);
	n = sb_tabs(t, 0);
	ATF_REQUIRE((s = cx_shm_open_tabs(PATH, t, n, err, sizeof(err))) !=
	    NULL);
	h = cx_shm_table(s, CX_SHM_POOL, &n);
	ATF_REQUIRE(h != NULL);
	ATF_CHECK_EQ(h->master_pid, 0);
	ATF_CHECK_EQ(ce_dedup_claim(s, "k", 600000, &out), CE_CLAIM_OWN);
	ATF_CHECK_EQ(file_version(), 4);
	ce_shm_close(s);
}

/* One byte from "fd", or -1. */
static int
get1(int fd)
{
	char	 c;

	return read(fd, &c, 1) == 1 ? c : -1;
}

static void
put1(int fd, char c)
{
	ATF_REQUIRE_EQ(write(fd, &c, 1), 1);
}

ATF_TC_WITHOUT_HEAD(fork__child_handle_excludes_parent);
ATF_TC_BODY(fork__child_handle_excludes_parent, tc)
{
	struct cx_shm_tab	 t[2];
	struct ce_shm		*s;
	char			 err[256];
	size_t			 n = sb_tabs(t, 0);
	int			 up[2], down[2], st;
	pid_t			 pid;

	ATF_REQUIRE((s = cx_shm_open_tabs(PATH, t, n, err, sizeof(err))) !=
	    NULL);
	ATF_REQUIRE(pipe(up) == 0 && pipe(down) == 0);
	if ((pid = fork()) == 0) {
		struct ce_shm	*own;
		int		 rc = 0;

		own = cx_shm_open_tabs(PATH, t, n, err, sizeof(err));
		if (own == NULL)
			_exit(64);
		(void)write(up[1], "o", 1);
		if (get1(down[0]) != 'L')
			_exit(65);
		/* The parent holds the lock: our own handle is refused ... */
		if (ce_shm_trylock(own) != -1 || errno != EAGAIN)
			rc |= 1;
		/* ... the inherited one is not (the trap: one open file
		 * description, one lock owner). */
		if (ce_shm_trylock(s) != 0)
			rc |= 2;
		(void)write(up[1], "t", 1);
		if (get1(down[0]) != 'U')
			_exit(66);
		/* Freed: ours now, against the parent's handle. */
		if (ce_shm_lock(own) != 0)
			rc |= 4;
		(void)write(up[1], "l", 1);
		(void)get1(down[0]);
		ce_shm_close(own);
		ce_shm_close(s);
		_exit(rc);
	}
	ATF_REQUIRE(pid > 0);
	ATF_REQUIRE_EQ(get1(up[0]), 'o');
	ATF_REQUIRE_EQ(ce_shm_lock(s), 0);
	put1(down[1], 'L');
	ATF_REQUIRE_EQ(get1(up[0]), 't');
	ce_shm_unlock(s);
	put1(down[1], 'U');
	ATF_REQUIRE_EQ(get1(up[0]), 'l');
	errno = 0;
	ATF_CHECK_EQ(ce_shm_trylock(s), -1);
	ATF_CHECK_EQ(errno, EAGAIN);
	put1(down[1], 'X');
	ATF_REQUIRE_EQ(waitpid(pid, &st, 0), pid);
	ATF_REQUIRE(WIFEXITED(st));
	ATF_CHECK_MSG((WEXITSTATUS(st) & 1) == 0,
	    "the child's own handle took the lock its parent held");
	ATF_CHECK_MSG((WEXITSTATUS(st) & 2) == 0,
	    "the inherited handle was refused (not one description?)");
	ATF_CHECK_MSG((WEXITSTATUS(st) & 4) == 0,
	    "the child's own handle could not lock once it was free");
	ATF_CHECK_MSG(WEXITSTATUS(st) < 64, "child stopped at %d",
	    WEXITSTATUS(st));
	/* The child gone, its lock with it. */
	ATF_CHECK_EQ(ce_shm_trylock(s), 0);
	ce_shm_unlock(s);
	ce_shm_close(s);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, siphash__reference_vector);
	ATF_TP_ADD_TC(tp, claim__own_inflight_done_release);
	ATF_TP_ADD_TC(tp, claim__expires);
	ATF_TP_ADD_TC(tp, claim__reclaim_done_not_inflight);
	ATF_TP_ADD_TC(tp, claim__dead_owner_reclaimed);
	ATF_TP_ADD_TC(tp, lock__holder_killed);
	ATF_TP_ADD_TC(tp, table__full_degrades);
	ATF_TP_ADD_TC(tp, file__foreign_rebuilt_no_raw_keys);
	ATF_TP_ADD_TC(tp, scoreboard__roundtrip);
	ATF_TP_ADD_TC(tp, scoreboard__master_fork_reap);
	ATF_TP_ADD_TC(tp, scoreboard__dead_slot_claimed);
	ATF_TP_ADD_TC(tp, scoreboard__seqlock_retry);
	ATF_TP_ADD_TC(tp, layout__v3_file_rebuilt);
	ATF_TP_ADD_TC(tp, fork__child_handle_excludes_parent);
	return atf_no_error();
}
