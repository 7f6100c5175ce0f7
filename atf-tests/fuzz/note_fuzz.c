/*
 * note_fuzz -- libFuzzer driver of ce_note_format(), the enrichment note
 * (a Work API dossier, names and contacts into Portuguese text).
 *
 * Feeds: the input split at NUL bytes into fields.  Field 0 is a header
 * of digits, each byte taken as its value minus '0' modulo the choices:
 * byte 0 the note's kind (5), byte 1 the first person's source (4),
 * byte 2 the second's (4), byte 3 the number of persons (3), byte 4
 * flags (bit 0 name_mismatch, bit 1 lookup_down), byte 6 the income
 * multiplier (one of eight in INCOME_MULTIPLIER's range); byte 5 is
 * maxchars itself (0 to 127, or 5000 from 128 up or when absent); a
 * byte absent counts as '0'.  Then the lead's name, and for each of two
 * persons: contact, CPF, name, dossier ("02010" is a completed note of
 * one person found by phone and e-mail).
 * Then the lead's product description and prop_ref, the repeat
 * person's earlier lead and its date, and the high-value reasons (each
 * missing or empty: NULL).
 * Names, contacts and those are made well-formed UTF-8 (bad bytes become
 * '?'),
 * as the parsers that produce them guarantee; a CPF that is not valid
 * becomes a fixed valid one, as the caller guarantees; a missing or empty
 * name or dossier is NULL, and a dossier is any bytes.
 *
 * Asserts: the call returns CE_OK, CE_EINPUT exactly when the lead's name
 * folds to nothing, or CE_E2BIG (the buffer's cap); a note is well-formed
 * UTF-8 with no NUL inside, at most maxchars characters, and the first
 * characters of the same note formatted without a cap, which ends in no
 * line break; a product not blank has its "🎯 Imóvel: " line; the note
 * starts with the pointer "🔗 Mesma pessoa do lead " exactly when an
 * earlier lead not blank is given for one person found (completed,
 * partial or basic); high-value reasons not blank have their "⭐ Lead de
 * alto valor: " line in a note with a person.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "c2s-enrich.h"
#include "core/brid.h"
#include "core/name.h"
#include "core/note.h"
#include "fuzz.h"

#define NFIELDS		15
#define POINTER		"🔗 Mesma pessoa do lead "
#define STAR		"⭐ Lead de alto valor: "
#define NOTE_CAP	(256u * 1024)	/* as pipeline.c gives it */
/* Header byte "i" as a choice: its value minus '0', or 0 when absent. */
#define HDR(i)		(flen[0] > (i) ? (size_t)(uint8_t)(h[i] - '0') : 0)

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static size_t
chars(const char *s, size_t len)
{
	size_t	 i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/* Has "s" anything but blanks (as the note's product and pointer)? */
static int
nonblank(const char *s)
{
	if (s == NULL)
		return 0;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	return *s != '\0';
}

/* Field "k" made UTF-8 into own[k], or NULL when empty: 0, or -1. */
static int
opt_text(const char *const f[], const size_t flen[], char *own[], size_t k,
    const char **out)
{
	*out = NULL;
	if (flen[k] == 0)
		return 0;
	if ((own[k] = fz_utf8_fix(f[k], flen[k])) == NULL)
		return -1;
	*out = own[k];
	return 0;
}

/* A CPF as the caller hands it over: eleven digits, valid. */
static char *
cpf_of(const char *f, size_t len)
{
	char	*s, *out;

	if ((out = malloc(12)) == NULL)
		return NULL;
	if ((s = fz_strndup(f, len)) == NULL || ce_cpf_normalize(s, out) != 0)
		memcpy(out, "52998224725", 12);
	free(s);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const double mults[] = {
		1.9, 1.0, 0.5, 2.5, 100.0, 0.001, 1.234, 99.99,
	};
	const char		*f[NFIELDS], *p = (const char *)data, *nul;
	size_t			 flen[NFIELDS], nf = 0, i, maxchars, flat;
	char			*own[NFIELDS];
	char			 folded[256];
	struct ce_note_in	 in;
	struct ce_buf		 b, full;
	const uint8_t		*h;
	double			 mult;
	enum ce_err		 er, erf;
	int			 pointer, person;

	if (size == 0)
		return 0;
	/* Split at NULs; the last field runs to the end. */
	while (nf < NFIELDS && p <= (const char *)data + size) {
		nul = memchr(p, '\0', (size_t)((const char *)data + size - p));
		f[nf] = p;
		flen[nf] = nul != NULL ? (size_t)(nul - p) :
		    (size_t)((const char *)data + size - p);
		nf++;
		if (nul == NULL)
			break;
		p = nul + 1;
	}
	for (i = nf; i < NFIELDS; i++) {
		f[i] = NULL;
		flen[i] = 0;
	}
	memset(own, 0, sizeof(own));
	memset(&in, 0, sizeof(in));
	ce_buf_init(&b, NOTE_CAP);
	ce_buf_init(&full, NOTE_CAP);

	h = (const uint8_t *)f[0];
	in.kind = (enum ce_note_kind)(HDR(0) % 5);
	in.persons[0].source = (enum ce_note_src)(HDR(1) % 4);
	in.persons[1].source = (enum ce_note_src)(HDR(2) % 4);
	in.npersons = HDR(3) % 3;
	in.name_mismatch = HDR(4) & 1;
	in.lookup_down = HDR(4) >> 1 & 1;
	mult = mults[HDR(6) % 8];
	maxchars = flen[0] > 5 && h[5] < 0x80 ? h[5] : 5000;

	/* Lead's name (1); per person: contact, CPF, name, dossier. */
	if (f[1] != NULL && (own[1] = fz_utf8_fix(f[1], flen[1])) == NULL)
		goto out;
	in.lead_name = own[1];
	for (i = 0; i < 2; i++) {
		struct ce_note_person *ps = &in.persons[i];
		size_t k = 2 + 4 * i;

		if ((own[k] = fz_utf8_fix(f[k] != NULL ? f[k] : "",
		    flen[k])) == NULL ||
		    (own[k + 1] = cpf_of(f[k + 1] != NULL ? f[k + 1] : "",
		    flen[k + 1])) == NULL)
			goto out;
		ps->contact = own[k];
		ps->cpf = own[k + 1];
		if (flen[k + 2] > 0) {
			if ((own[k + 2] = fz_utf8_fix(f[k + 2],
			    flen[k + 2])) == NULL)
				goto out;
			ps->name = own[k + 2];
		}
		if (flen[k + 3] > 0) {
			if ((own[k + 3] = fz_strndup(f[k + 3],
			    flen[k + 3])) == NULL)
				goto out;
			ps->dossier = own[k + 3];
		}
	}

	/* The product (10, 11), the earlier lead and its date (12, 13), the
	 * high-value reasons (14). */
	if (opt_text(f, flen, own, 10, &in.product_desc) == -1 ||
	    opt_text(f, flen, own, 11, &in.product_ref) == -1 ||
	    opt_text(f, flen, own, 12, &in.same_lead) == -1 ||
	    opt_text(f, flen, own, 13, &in.same_date) == -1 ||
	    opt_text(f, flen, own, 14, &in.high_value) == -1)
		goto out;
	person = in.npersons > 0 && in.kind != CE_NOTE_UNENRICHED &&
	    in.kind != CE_NOTE_INVALID;
	pointer = nonblank(in.same_lead) && in.npersons == 1 && person;

	ce_name_fold(in.lead_name != NULL ? in.lead_name : "", folded,
	    sizeof(folded));
	er = ce_note_format(&in, mult, maxchars,
	    &b);
	FZ_CHECK(er == CE_OK || er == CE_EINPUT || er == CE_E2BIG);
	FZ_CHECK((er == CE_EINPUT) == (folded[0] == '\0'));
	if (er != CE_OK)
		goto out;
	FZ_CHECK(b.data != NULL && strlen(b.data) == b.len);
	FZ_CHECK(fz_utf8_valid(b.data, b.len));
	FZ_CHECK(chars(b.data, b.len) <= maxchars);

	/* The same note uncapped: a prefix of it, cut only by the cap. */
	erf = ce_note_format(&in, mult, SIZE_MAX,
	    &full);
	FZ_CHECK(erf == CE_OK);
	FZ_CHECK(fz_utf8_valid(full.data, full.len));
	FZ_CHECK(full.len == 0 || full.data[full.len - 1] != '\n');
	FZ_CHECK(b.len <= full.len && memcmp(b.data, full.data, b.len) == 0);
	FZ_CHECK(!(nonblank(in.product_desc) || nonblank(in.product_ref)) ||
	    strstr(full.data, "🎯 Imóvel: ") != NULL);
	FZ_CHECK((strncmp(full.data, POINTER, strlen(POINTER)) == 0) ==
	    pointer);
	FZ_CHECK(!(person && nonblank(in.high_value)) ||
	    strstr(full.data, STAR) != NULL);
	flat = chars(full.data, full.len);
	FZ_CHECK(chars(b.data, b.len) == (flat < maxchars ? flat : maxchars));
	/* Formatting again into a used buffer starts afresh. */
	FZ_CHECK(ce_note_format(&in, mult,
	    maxchars, &full) == CE_OK);
	FZ_CHECK(full.len == b.len && memcmp(full.data, b.data, b.len) == 0);
out:
	ce_buf_free(&b);
	ce_buf_free(&full);
	for (i = 0; i < NFIELDS; i++)
		free(own[i]);
	return 0;
}
