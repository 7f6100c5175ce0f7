/*
 * shared/spacing.h -- this machine's Work API slots, per token, in the
 * shared file (spacing.c): its table (CX_SHM_SPACING) holds one entry
 * per token, the token's "next allowed" time in epoch ms, taken and
 * advanced by compare-and-swap, so the processes of a machine agree
 * without a lock.  A token is known by a 64-bit SipHash of it, never by
 * the token.  The policy (PostgreSQL first, this table without it) is
 * app/pace.c's.
 */
#ifndef CE_SHARED_SPACING_H
#define CE_SHARED_SPACING_H

#include <stddef.h>
#include <stdint.h>

struct cx_shmfile;

#define CX_SPACING_SLOTS	8	/* entries of the table */
#define CX_SPACING_NO_SLOT	(-2)	/* no slot within the wait allowed */

size_t		 cx_spacing_size(void);
uint64_t	 cx_spacing_token(const char *token);
long long	 cx_spacing_reserve_local(struct cx_shmfile *, uint64_t id,
		    long long interval, long long max_wait);
void		 cx_spacing_learn(struct cx_shmfile *, uint64_t id,
		    int64_t next_ms);

#endif /* CE_SHARED_SPACING_H */
