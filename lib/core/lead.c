/*
 * lead.c -- the vocabulary of a lead that every layer shares: the names
 * of a lead's outcomes (enum cx_outcome, as stored, logged and counted)
 * and a lead's usable contacts, normalised.  Pure functions: no state,
 * no allocation.
 */
#include <stdio.h>

#include "core/brid.h"
#include "core/lead.h"

static const char *const outnames[CX_OUT__MAX] = {
	[CX_OUT_NONE] = "received",
	[CX_OUT_COMPLETED] = "completed",
	[CX_OUT_PARTIAL] = "partial",
	[CX_OUT_BASIC] = "basic",
	[CX_OUT_UNENRICHED] = "unenriched",
	[CX_OUT_INVALID] = "invalid_contact",
	[CX_OUT_FAILED] = "failed",
};

const char *
cx_outcome_name(enum cx_outcome o)
{
	return (unsigned)o < CX_OUT__MAX ? outnames[o] : "unknown";
}

/*
 * A lead's usable phone (national digits, from phone, else phone2) and
 * e-mail, normalised, each "" when invalid or missing; "key" gets
 * "phone|email", which tells whether a lead's contacts changed.
 */
void
cx_lead_contacts(const struct ce_lead *l, char phone[16], char *email,
    size_t emailsz, char *key, size_t keysz)
{
	phone[0] = email[0] = '\0';
	if (ce_phone_normalize(l->phone, phone) == -1 &&
	    ce_phone_normalize(l->phone2, phone) == -1)
		phone[0] = '\0';
	if (ce_email_normalize(l->email, email, emailsz) == -1)
		email[0] = '\0';
	snprintf(key, keysz, "%s|%s", phone, email);
}
