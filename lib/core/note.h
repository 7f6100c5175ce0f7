/*
 * core/note.h -- the enrichment note posted on a C2S lead (note.c): what
 * the note is made from (the outcome's kind, the persons found and their
 * dossiers), formatted in Portuguese and capped in characters.
 */
#ifndef CE_CORE_NOTE_H
#define CE_CORE_NOTE_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* note.c: the enrichment note posted on a lead. */
enum ce_note_kind {
	CE_NOTE_COMPLETED,	/* CPF and dossier */
	CE_NOTE_PARTIAL,	/* CPF, provider down */
	CE_NOTE_BASIC,		/* CPF, provider had no data */
	CE_NOTE_UNENRICHED,	/* no CPF */
	CE_NOTE_INVALID		/* no valid phone or e-mail to look up */
};

enum ce_note_src {
	CE_SRC_PHONE,
	CE_SRC_EMAIL,
	CE_SRC_BOTH,		/* phone and e-mail gave this CPF */
	CE_SRC_FORM		/* typed by the person (a lead form) */
};

struct ce_note_person {
	enum ce_note_src source;
	const char	*contact;	/* the phone or e-mail it came from */
	const char	*cpf;		/* 11 digits */
	const char	*name;		/* the provider's, or NULL */
	const char	*dossier;	/* Work API JSON, or NULL */
};

struct ce_note_in {
	enum ce_note_kind kind;
	const char	*lead_name;
	int		 name_mismatch;
	int		 lookup_down;	/* UNENRICHED: a CPF lookup failed */
	size_t		 npersons;	/* 0, 1, or 2 (different people) */
	struct ce_note_person persons[2];
	/* The lead's product ("🎯 Imóvel"), each NULL or "" when none. */
	const char	*product_desc;
	const char	*product_ref;
	/*
	 * A repeat person: persons[0] was enriched before for the lead
	 * "same_lead" on "same_date" (DD/MM/YYYY); the note is a pointer to
	 * it and a summary.  NULL: a note of its own.
	 */
	const char	*same_lead;
	const char	*same_date;
	/*
	 * A high-value lead: its reasons as ce_hv_judge() lists them, for
	 * the line "⭐ Lead de alto valor: <reasons>" after the 🎯 line of
	 * a note with a person.  NULL or "": none.
	 */
	const char	*high_value;
};

/* Bytes enough for any amount ce_note_amount_fmt() writes ("R$ 1.234,56"). */
#define CE_AMOUNT_MAX	48

int		 ce_note_amount_parse(const char *, size_t, long long *cents);
int		 ce_note_amount_fmt(long long cents, char *, size_t);
enum ce_err	 ce_note_format(const struct ce_note_in *, double mult,
		    size_t maxchars, struct ce_buf *) CE_WUR;

#endif /* CE_CORE_NOTE_H */
