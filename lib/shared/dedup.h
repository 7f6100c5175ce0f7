/*
 * shared/dedup.h -- the de-duplication table of the shared file
 * (dedup.c), its first table: never run a lead twice at once on a
 * machine, nor again within its TTL.
 *
 * A key is held as SipHash-2-4 under the file's key, never in clear.  A
 * claim is its process's until it is done, released, or expired, or
 * until that process is gone; a full probe window is reported
 * (CE_CLAIM_FULL), never waited on, and the caller falls back to the
 * database.  ce_shm_open() makes a file of this table alone (shm_test);
 * the responders' file, with every table, is io/shmfile.h's.
 */
#ifndef CE_SHARED_DEDUP_H
#define CE_SHARED_DEDUP_H

#include <stddef.h>

#include "io/shmfile.h"

enum ce_claim {
	CE_CLAIM_OWN = 0,	/* the key is ours now */
	CE_CLAIM_INFLIGHT,	/* another live process holds it */
	CE_CLAIM_DONE,		/* done within its TTL */
	CE_CLAIM_FULL		/* no free slot in its window */
};

/* How a lead's claim went, as the metrics count it. */
enum cx_dedup_result {
	CX_DEDUP_MISS = 0,	/* ours to run */
	CX_DEDUP_HIT_FILE,	/* a duplicate, found in the shared file */
	CX_DEDUP_HIT_DB,	/* a duplicate, found in PostgreSQL */
	CX_DEDUP_FULL,		/* the file's window was full */
	CX_DEDUP__MAX
};

size_t		 cx_dedup_slot_size(void);
struct ce_shm	*ce_shm_open(const char *path, size_t nslots, char *err,
		    size_t errsz);
size_t		 ce_shm_slots(const struct ce_shm *);
enum ce_claim	 ce_dedup_claim(struct ce_shm *, const char *key,
		    long long inflight_ms, int *outcome);
enum ce_claim	 ce_dedup_reclaim(struct ce_shm *, const char *key,
		    long long inflight_ms, int *outcome);
void		 ce_dedup_done(struct ce_shm *, const char *key,
		    long long ttl_ms, int outcome);
void		 ce_dedup_release(struct ce_shm *, const char *key);
size_t		 ce_dedup_used(struct ce_shm *);

#endif /* CE_SHARED_DEDUP_H */
