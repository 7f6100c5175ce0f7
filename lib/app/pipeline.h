/*
 * app/pipeline.h -- the lead pipeline of DESIGN.md section 5
 * (pipeline.c), one implementation for every way a lead arrives: record
 * the lead, read it, find CPFs tier by tier, check the name, reuse or
 * fetch dossiers, store everything in one transaction, post the note
 * once.  A run's state is struct cx_run, filled as it goes; the claim
 * around it is leadrun.c's.
 */
#ifndef CE_APP_PIPELINE_H
#define CE_APP_PIPELINE_H

#include <stddef.h>

#include "core/buf.h"
#include "core/call.h"
#include "core/err.h"
#include "core/highvalue.h"
#include "core/lead.h"
#include "core/note.h"

struct cx_app;

struct cx_person {
	char		 cpf[12];
	char		 name[256];	/* the lookup's name for it */
	char		 dname[256];	/* the dossier's, when fetched */
	char		 birth[11];	/* YYYY-MM-DD from the dossier, or "" */
	char		 contact[256];	/* the phone or e-mail that found it */
	enum ce_note_src src;
	enum ce_up	 dres;		/* the dossier's result */
	char		*dossier;	/* JSON text, heap, or NULL */
	int		 dossier_new;	/* fetched now: to be stored */
	int		 dossier_none;	/* the Work API had none, asked now */
	const char	*tier;		/* the tier that found it; NULL: none */
	int		 score;		/* ce_name_score() against the lead's
					   name, with "tier"; -1: no name */
};

#define CX_RUN_RETRY	0x01	/* a scheduled retry of the worker */
#define CX_RUN_REDO	0x02	/* run even if done within DEDUP_TTL */
#define CX_RUN_FRESH	0x04	/* a reprocess: no CPF or dossier reused,
				 * a note marked so its text is new */

struct cx_run {
	char		 lead_id[33];	/* lower case */
	long long	 started_us, deadline_us;
	int		 flags;		/* CX_RUN_* */
	int		 attempts;	/* runs of the lead, this one included */
	int		 retries;	/* scheduled retries, this one included */
	struct ce_lead	 lead;
	char		 phone[16];	/* normalised, or "" */
	char		 email[256];	/* normalised, or "" */
	char		 contacts[300];	/* "phone|email", or "" */
	size_t		 npersons;
	struct cx_person persons[2];
	int		 name_mismatch;
	/* A placeholder name ("Unknown", digits, ...) moved out of lead.name. */
	char		 given_name[256];
	char		 note_reason[64];	/* why no note, or "" */
	/* A repeat person: its earlier lead and date, else "". */
	char		 same_lead[33];
	char		 same_date[11];		/* DD/MM/YYYY */
	/* A high-value lead's reasons, "" for none; judged when a person
	 * had a dossier (hv_judged), else the stored ones are kept. */
	char		 high_value[CE_HV_TEXT_MAX];
	int		 hv_judged;
	int		 dossiers_reused, dossiers_fetched;
	long long	 stored;	/* rows written */
	enum cx_outcome	 outcome;
	enum cx_note	 note;
	enum ce_err	 err;		/* what the outcome means for a caller */
	char		 error[160];	/* last error, log-safe */
	enum ce_err	 ret;		/* cx_lead_run(): the pipeline's */
};

enum ce_err	 cx_pipeline(struct cx_app *, const char *lead_id,
		    const char *source, int flags, struct cx_run *);
enum ce_err	 cx_pipeline_person(struct cx_app *, const char *cpf,
		    struct cx_run *);
enum ce_err	 cx_pipeline_form(struct cx_app *, const struct ce_lead *,
		    const char *cpf, struct cx_run *, struct ce_buf *note);
enum ce_err	 cx_pipeline_deliver(struct cx_app *, struct cx_run *,
		    const char *lead_id, const char *source,
		    const struct ce_buf *text);
void		 cx_run_free(struct cx_run *);

#endif /* CE_APP_PIPELINE_H */
