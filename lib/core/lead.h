/*
 * core/lead.h -- the vocabulary of a lead that every layer shares
 * (lead.c): a C2S lead's fields, the outcomes of its run (enum
 * cx_outcome, as stored, logged and counted) and of its note, and a
 * lead's usable contacts, normalised.
 */
#ifndef CE_CORE_LEAD_H
#define CE_CORE_LEAD_H

#include <stddef.h>

/* A C2S lead; a null or missing field is an empty string. */
struct ce_lead {
	char		 id[33];
	char		 name[256];
	char		 email[256];
	char		 phone[64];
	char		 phone2[64];
	char		 customer_id[64];
	char		 status_alias[64];
	char		 source[128];
	char		 product_ref[128];
	char		 product_desc[256];
	char		 created_at[40];
	char		 updated_at[40];
	char		 description[2048];
};

/* How a lead's run ended (the pipeline's, DESIGN.md section 5). */
enum cx_outcome {
	CX_OUT_NONE = 0,	/* stopped before an outcome ("received") */
	CX_OUT_COMPLETED,
	CX_OUT_PARTIAL,
	CX_OUT_BASIC,
	CX_OUT_UNENRICHED,
	CX_OUT_INVALID,		/* "invalid_contact" */
	CX_OUT_FAILED,
	CX_OUT__MAX
};

/* What became of its note. */
enum cx_note {
	CX_NOTE_NONE = 0,	/* no note: no outcome */
	CX_NOTE_POSTED,
	CX_NOTE_ALREADY,	/* the same text was posted before */
	CX_NOTE_FAILED,		/* C2S refused it: retried later */
	CX_NOTE_SKIPPED		/* none to post: see cx_run's note_reason */
};

void		 cx_lead_contacts(const struct ce_lead *, char phone[16],
		    char *email, size_t emailsz, char *key, size_t keysz);
const char	*cx_outcome_name(enum cx_outcome);

#endif /* CE_CORE_LEAD_H */
