/*
 * claim.c -- the claim protocol of DESIGN.md section 6: a lead runs once
 * at a time, and not again within DEDUP_TTL once done.  The machine's
 * shared file answers first (a duplicate costs no database or upstream
 * call); a claim row in PostgreSQL then decides between machines.  A full
 * or unmappable file only sends every request to the database path.  A
 * claim in flight whose owner died is taken over: on this machine as soon
 * as its pid is gone, elsewhere when it expires.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "core/config.h"
#include "core/err.h"
#include "core/lead.h"
#include "core/log.h"
#include "core/util.h"
#include "io/shmfile.h"
#include "shared/dedup.h"
#include "shared/metrics.h"
#include "app/claim.h"
#include "app/store.h"

#define INFLIGHT_MARGIN_MS	5000

/*
 * The claims of a process: the shared file (its dedup table), the
 * database, the dedup counters, the log, REQUEST_DEADLINE (a claim in
 * flight lasts that plus a margin), DEDUP_TTL and the owner ("host:pid",
 * made by ctx.c; responders never fork).
 */
void
cx_claims_init(struct cx_claims *cs, struct cx_shmfile *f, struct cx_db *db,
    struct cx_mtab *mtab, struct cx_log *log, const struct ce_config *cfg,
    const char *owner)
{
	cs->f = f;
	cs->db = db;
	cs->mtab = mtab;
	cs->log = log;
	cs->inflight_ms = cfg->request_deadline_ms + INFLIGHT_MARGIN_MS;
	cs->ttl_ms = cfg->dedup_ttl_ms;
	cs->owner = owner;
}

/* Is "who" (host:pid) a process of this machine that no longer exists? */
static int
owner_dead(const char *who, const char *me)
{
	const char	*colon = strrchr(who, ':'), *mine = strrchr(me, ':');
	long long	 pid;

	if (colon == NULL || mine == NULL || colon - who != mine - me ||
	    strncmp(who, me, (size_t)(colon - who)) != 0)
		return 0;
	if (ce_strtonum(colon + 1, 1, 4194304, &pid) == -1)
		return 0;
	return kill((pid_t)pid, 0) == -1 && errno == ESRCH;
}

/* The claim row: ours, or someone's (in flight or done). */
static enum ce_err
db_claim(struct cx_claims *cs, const char *lead_id, int redo,
    struct cx_claim *cl)
{
	struct cx_claim_row row;
	long long	 ms;
	int		 got;

	ms = cs->inflight_ms;
	if (cx_store_claim_take(cs->db, lead_id, cs->owner, ms,
	    &got) != CE_OK)
		return CE_EDB;
	if (got)
		return CE_OK;
	if (cx_store_claim_get(cs->db, lead_id, &row, &got) != CE_OK)
		return CE_EDB;
	if (!got) {
		/* Released in between: a retry is allowed to run. */
		return db_claim(cs, lead_id, redo, cl);
	}
	if (row.done) {
		cl->dup = CX_DUP_DONE;
		ce_strlcpy(cl->outcome, row.outcome, sizeof(cl->outcome));
	} else
		cl->dup = CX_DUP_INFLIGHT;
	if (cl->dup == CX_DUP_DONE && redo) {
		if (cx_store_claim_redo(cs->db, lead_id, cs->owner, ms,
		    &got) != CE_OK)
			return CE_EDB;
		if (got) {
			cl->dup = CX_DUP_NONE;
			cl->outcome[0] = '\0';
			return CE_OK;
		}
		/* Taken by someone else in between: in flight now. */
		return db_claim(cs, lead_id, 0, cl);
	}
	if (cl->dup == CX_DUP_INFLIGHT && strcmp(row.owner, cs->owner) == 0) {
		/* Ours: a repeated insert, or a finish that did not land. */
		cl->dup = CX_DUP_NONE;
		return CE_OK;
	}
	if (cl->dup == CX_DUP_INFLIGHT && owner_dead(row.owner, cs->owner)) {
		if (cx_store_claim_steal(cs->db, lead_id, cs->owner,
		    row.owner, ms, &got) != CE_OK)
			return CE_EDB;
		if (got) {
			cx_logf(cs->log, CE_LOG_WARN,
			    "lead %s: claim of dead "
			    "responder %s taken over", lead_id, row.owner);
			cl->dup = CX_DUP_NONE;
		}
	}
	return CE_OK;
}

/*
 * Claim "lead_id" (lower case).  On CE_OK, cl->dup says whether it is ours
 * to run; CE_EDB when the database could not say (nothing is held then).
 * "redo": a lead done within DEDUP_TTL is taken again (a scheduled retry
 * means to run again); one in flight never is.
 */
enum ce_err
cx_claim_take(struct cx_claims *cs, const char *lead_id, int redo,
    struct cx_claim *cl)
{
	struct ce_shm	*shm = cx_shmfile_get(cs->f);
	enum ce_claim	 c;
	int		 outcome = 0;

	memset(cl, 0, sizeof(*cl));
	cl->by = "file";
	if (shm != NULL) {
		c = redo ? ce_dedup_reclaim(shm, lead_id, cs->inflight_ms,
		    &outcome) : ce_dedup_claim(shm, lead_id, cs->inflight_ms,
		    &outcome);
		switch (c) {
		case CE_CLAIM_OWN:
			cl->in_file = 1;
			break;
		case CE_CLAIM_INFLIGHT:
			cl->dup = CX_DUP_INFLIGHT;
			cx_mtab_dedup(cs->mtab, CX_DEDUP_HIT_FILE);
			return CE_OK;
		case CE_CLAIM_DONE:
			cl->dup = CX_DUP_DONE;
			cx_mtab_dedup(cs->mtab, CX_DEDUP_HIT_FILE);
			if (outcome > 0 && outcome < CX_OUT__MAX)
				ce_strlcpy(cl->outcome, cx_outcome_name(
				    (enum cx_outcome)outcome),
				    sizeof(cl->outcome));
			return CE_OK;
		case CE_CLAIM_FULL:
			cx_mtab_dedup(cs->mtab, CX_DEDUP_FULL);
			cx_logf(cs->log, CE_LOG_WARN,
			    "dedup file full around lead "
			    "%s: database only", lead_id);
			break;
		}
	}
	cl->by = "database";
	if (db_claim(cs, lead_id, redo, cl) != CE_OK) {
		if (cl->in_file)
			ce_dedup_release(shm, lead_id);
		cl->in_file = 0;
		return CE_EDB;
	}
	cx_mtab_dedup(cs->mtab, cl->dup != CX_DUP_NONE ? CX_DEDUP_HIT_DB :
	    CX_DEDUP_MISS);
	if (cl->dup != CX_DUP_NONE && cl->in_file) {
		/* Someone elsewhere has it: do not hold the slot. */
		ce_dedup_release(shm, lead_id);
		cl->in_file = 0;
	}
	return CE_OK;
}

/*
 * After the run: keep the claims for DEDUP_TTL ("keep"), or release both
 * so that a retry can run at once.
 */
void
cx_claim_finish(struct cx_claims *cs, const char *lead_id,
    const struct cx_claim *cl, int keep, enum cx_outcome out)
{
	struct ce_shm	*shm;
	enum ce_err	 er;

	/* A claim in the file means the file is mapped. */
	if (cl->in_file && (shm = cx_shmfile_get(cs->f)) != NULL) {
		if (keep)
			ce_dedup_done(shm, lead_id, cs->ttl_ms, (int)out);
		else
			ce_dedup_release(shm, lead_id);
	}
	er = keep ? cx_store_claim_done(cs->db, lead_id, cs->owner,
	    cs->ttl_ms, cx_outcome_name(out)) :
	    cx_store_claim_release(cs->db, lead_id, cs->owner);
	if (er != CE_OK)
		cx_logf(cs->log, CE_LOG_WARN,
		    "lead %s: claim not %s; it expires "
		    "on its own", lead_id, keep ? "marked done" : "released");
}
