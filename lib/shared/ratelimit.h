/*
 * shared/ratelimit.h -- token buckets per client address (ratelimit.c),
 * shared by every process of a machine through the shared file's rate
 * table of CX_RATE_SLOTS buckets.
 *
 * A bucket is keyed by a SipHash of its key under the file's key; when
 * its probe window is full, the bucket idle longest is taken over.  An
 * operation holds the file's lock for a few microseconds.  Without the
 * file, or with a rate of 0, nothing is limited.
 */
#ifndef CE_SHARED_RATELIMIT_H
#define CE_SHARED_RATELIMIT_H

#include <stddef.h>

struct cx_shmfile;

#define CX_RATE_SLOTS	4096

size_t		 cx_rate_size(void);
long long	 cx_rate_take(struct cx_shmfile *, const char *key,
		    long long rate, long long burst);

#endif /* CE_SHARED_RATELIMIT_H */
