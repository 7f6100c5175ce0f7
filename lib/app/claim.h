/*
 * app/claim.h -- the claim protocol of DESIGN.md section 6 (claim.c): a
 * lead runs once at a time, and not again within DEDUP_TTL once done.
 * The machine's shared file (shared/dedup.c) answers first; a claim row
 * in PostgreSQL then decides between machines.  A claim in flight whose
 * owner died is taken over: on this machine as soon as its pid is gone,
 * elsewhere when it expires.
 */
#ifndef CE_APP_CLAIM_H
#define CE_APP_CLAIM_H

#include "core/err.h"
#include "core/lead.h"

struct ce_config;
struct cx_db;
struct cx_log;
struct cx_mtab;
struct cx_shmfile;

/* A process's claims: where they are taken, and by whom. */
struct cx_claims {
	struct cx_shmfile *f;		/* the dedup table */
	struct cx_db	*db;
	struct cx_mtab	*mtab;		/* the dedup counters */
	struct cx_log	*log;
	long long	 inflight_ms;	/* REQUEST_DEADLINE plus a margin */
	long long	 ttl_ms;	/* DEDUP_TTL */
	const char	*owner;		/* host:pid */
};
void		 cx_claims_init(struct cx_claims *, struct cx_shmfile *,
		    struct cx_db *, struct cx_mtab *, struct cx_log *,
		    const struct ce_config *, const char *owner);

enum cx_dup {
	CX_DUP_NONE = 0,	/* ours to run */
	CX_DUP_INFLIGHT,	/* running elsewhere */
	CX_DUP_DONE		/* done within the window */
};

struct cx_claim {
	enum cx_dup	 dup;
	int		 in_file;	/* we hold a slot in the shared file */
	char		 outcome[24];	/* CX_DUP_DONE: the outcome, or "" */
	const char	*by;		/* "file" or "database" */
};

enum ce_err	 cx_claim_take(struct cx_claims *, const char *lead_id,
		    int redo, struct cx_claim *) CE_WUR;
void		 cx_claim_finish(struct cx_claims *, const char *lead_id,
		    const struct cx_claim *, int keep, enum cx_outcome);

#endif /* CE_APP_CLAIM_H */
