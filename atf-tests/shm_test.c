/*
 * shm_test -- the shared file and its de-duplication table
 * (lib/io/shmfile.c, lib/shared/dedup.c): claims, expiry, owners found
 * dead, a lock holder killed, a full table, a foreign file rebuilt, and
 * no raw key in the file.
 */
#define _GNU_SOURCE	/* memmem */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include "core/siphash.h"
#include "io/shmfile.h"
#include "shared/dedup.h"

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
	return atf_no_error();
}
