/*
 * normalize_fuzz -- libFuzzer driver of the normalisers of brid.c,
 * upstream.c and name.c: ce_phone_normalize(), ce_cpf_normalize(),
 * ce_email_normalize(), ce_lead_id_norm(), ce_name_fold(),
 * ce_name_score() and ce_name_placeholder(), and the log masks ce_mask_cpf(), ce_mask_phone() and
 * ce_mask_email().
 *
 * Feeds: the input, cut at its first NUL, to each normaliser; for the
 * name score, the part before the first line break is the lead's name
 * and the rest the provider's.  Output buffers are heap blocks of the
 * documented size, so ASan sees any write past them.
 *
 * Asserts: each return value is one of those documented; an accepted
 * value has its shape (phones 10 or 11 digits with a known DDD, CPFs 11
 * digits with valid check digits, e-mails lower case with one '@', lead
 * ids 32 lower-case hex digits, folded names of A-Z, 0-9 and single
 * inner spaces); normalising a normalised value gives it back, and so
 * do other ways of writing it ("+55 ...", "+55 55 ...", "000..."); a
 * fold cut short is a prefix of the whole fold; scores are 0 to 100, a
 * name scores 0 or 100 against itself, and folding both names first
 * changes no score; a mask fits its buffer (1 to 32 bytes, from byte 1)
 * and shows no more than the last two digits of a CPF, the last four of
 * a phone, or the first character of an e-mail's local part.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2s-enrich.h"
#include "core/brid.h"
#include "core/name.h"
#include "fuzz.h"

#define FOLD_MAX	512	/* name.c folds names into this much */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int
all_digits(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static void
phone(const char *in)
{
	char	*out, again[12], alt[32];
	size_t	 n;
	int	 r;

	if ((out = malloc(12)) == NULL)
		return;
	r = ce_phone_normalize(in, out);
	FZ_CHECK(r == 0 || r == -1);
	if (r == 0) {
		n = strnlen(out, 12);
		FZ_CHECK(n == 10 || n == 11);
		FZ_CHECK(all_digits(out));
		FZ_CHECK(ce_ddd_valid((out[0] - '0') * 10 + out[1] - '0'));
		FZ_CHECK(n == 10 || out[2] == '9');
		FZ_CHECK(ce_phone_normalize(out, again) == 0);
		FZ_CHECK(strcmp(again, out) == 0);
		snprintf(alt, sizeof(alt), "+55 (%.2s) %s", out, out + 2);
		FZ_CHECK(ce_phone_normalize(alt, again) == 0);
		FZ_CHECK(strcmp(again, out) == 0);
		snprintf(alt, sizeof(alt), "0%s", out);
		FZ_CHECK(ce_phone_normalize(alt, again) == 0);
		FZ_CHECK(strcmp(again, out) == 0);
		/* A doubled country code is repaired (DESIGN §11.3). */
		snprintf(alt, sizeof(alt), "+55 55 %s", out);
		FZ_CHECK(ce_phone_normalize(alt, again) == 0);
		FZ_CHECK(strcmp(again, out) == 0);
	}
	free(out);
}

static void
cpf(const char *in)
{
	char	*out, again[12], alt[32];
	int	 r;

	if ((out = malloc(12)) == NULL)
		return;
	r = ce_cpf_normalize(in, out);
	FZ_CHECK(r == 0 || r == -1 || r == -2);
	if (r == 0) {
		FZ_CHECK(strnlen(out, 12) == 11 && all_digits(out));
		FZ_CHECK(ce_cpf_valid(out));
		FZ_CHECK(ce_cpf_normalize(out, again) == 0);
		FZ_CHECK(strcmp(again, out) == 0);
		snprintf(alt, sizeof(alt), "%.3s.%.3s.%.3s-%s", out, out + 3,
		    out + 6, out + 9);
		FZ_CHECK(ce_cpf_normalize(alt, again) == 0);
		FZ_CHECK(strcmp(again, out) == 0);
		snprintf(alt, sizeof(alt), "000%s", out);
		FZ_CHECK(ce_cpf_normalize(alt, again) == 0);
		FZ_CHECK(strcmp(again, out) == 0);
	}
	free(out);
}

static void
email(const char *in)
{
	char	*out, *again, *small;
	size_t	 n;
	int	 r;

	if ((out = malloc(256)) == NULL)
		return;
	r = ce_email_normalize(in, out, 256);
	FZ_CHECK(r == 0 || r == -1);
	if (r == 0) {
		FZ_CHECK((n = strnlen(out, 256)) < 256);
		FZ_CHECK(n > 0 && out[0] != ' ' && out[n - 1] != ' ');
		FZ_CHECK(strchr(out, '@') != NULL &&
		    strchr(out, '@') == strrchr(out, '@'));
		FZ_CHECK(strpbrk(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == NULL);
		/* Exactly its length plus one is room enough, one less not. */
		if ((again = malloc(n + 1)) != NULL) {
			FZ_CHECK(ce_email_normalize(out, again, n + 1) == 0);
			FZ_CHECK(strcmp(again, out) == 0);
			free(again);
		}
		if ((small = malloc(n)) != NULL) {
			FZ_CHECK(ce_email_normalize(out, small, n) == -1);
			free(small);
		}
	}
	free(out);
}

static void
lead_id(const char *in)
{
	char	*out, again[33];
	size_t	 i;
	int	 r;

	if ((out = malloc(33)) == NULL)
		return;
	r = ce_lead_id_norm(in, out);
	FZ_CHECK(r == 0 || r == 1);
	FZ_CHECK(r == ce_lead_id_valid(in));
	if (r == 1) {
		FZ_CHECK(strnlen(out, 33) == 32);
		for (i = 0; i < 32; i++)
			FZ_CHECK((out[i] >= '0' && out[i] <= '9') ||
			    (out[i] >= 'a' && out[i] <= 'f'));
		FZ_CHECK(ce_lead_id_norm(out, again) == 1);
		FZ_CHECK(strcmp(again, out) == 0);
	} else
		FZ_CHECK(out[0] == '\0');
	free(out);
}

/*
 * The log masks, into "sz" bytes: terminated within them, and a CPF's
 * mask shows its last two digits only, a phone's its last four.
 */
static void
masks(const char *in, size_t sz)
{
	char	*out, norm[12];
	size_t	 n;

	if ((out = malloc(sz)) == NULL)
		return;
	ce_mask_cpf(in, out, sz);
	FZ_CHECK(memchr(out, '\0', sz) != NULL);
	if (ce_cpf_normalize(in, norm) == 0) {
		ce_mask_cpf(norm, out, sz);
		FZ_CHECK(strspn(out, "*.-") + 2 >= strlen(out));
	}
	ce_mask_phone(in, out, sz);
	FZ_CHECK(memchr(out, '\0', sz) != NULL);
	if (ce_phone_normalize(in, norm) == 0) {
		ce_mask_phone(norm, out, sz);
		n = strlen(out);
		FZ_CHECK(n <= 7 && strspn(out, "*") + 4 >= n);
	}
	ce_mask_email(in, out, sz);
	FZ_CHECK(memchr(out, '\0', sz) != NULL);
	if (strchr(in, '@') != NULL && in[0] != '@' && sz > 2)
		FZ_CHECK(strncmp(out + 1, "***", sz - 2 < 3 ? sz - 2 : 3) ==
		    0 || strcmp(out, "***") == 0);
	free(out);
}

/* A folded name: A-Z, 0-9, single spaces, none at either end. */
static void
fold_shape(const char *f)
{
	size_t	 i, n = strlen(f);

	for (i = 0; i < n; i++) {
		FZ_CHECK((f[i] >= 'A' && f[i] <= 'Z') ||
		    (f[i] >= '0' && f[i] <= '9') || f[i] == ' ');
		if (f[i] == ' ')
			FZ_CHECK(i > 0 && i + 1 < n && f[i + 1] != ' ');
	}
}

static void
fold(const char *in, size_t small)
{
	size_t	 len = strlen(in), n, k;
	char	*full, *cut, *again;

	full = malloc(len + 1);		/* one character per byte at most */
	cut = malloc(small);
	again = malloc(len + 1);
	if (full == NULL || cut == NULL || again == NULL)
		goto out;
	ce_name_fold(in, full, len + 1);
	fold_shape(full);
	n = strlen(full);
	ce_name_fold(full, again, len + 1);
	FZ_CHECK(strcmp(again, full) == 0);
	/* Cut short: the whole fold's first small - 1 characters, trimmed. */
	ce_name_fold(in, cut, small);
	FZ_CHECK(strnlen(cut, small) < small);
	fold_shape(cut);
	k = n < small - 1 ? n : small - 1;
	while (k > 0 && full[k - 1] == ' ')
		k--;
	FZ_CHECK(strlen(cut) == k && strncmp(cut, full, k) == 0);
out:
	free(full);
	free(cut);
	free(again);
}

/*
 * A placeholder is one of three reasons; a name of digits is one, and a
 * name with a letter and no '@' is digits_only never.
 */
static void
placeholder(const char *in)
{
	const char	*why = ce_name_placeholder(in);
	char		 f[FOLD_MAX];
	size_t		 i;
	int		 letter = 0, digit = 0;

	FZ_CHECK(why == NULL || strcmp(why, "placeholder") == 0 ||
	    strcmp(why, "digits_only") == 0 ||
	    strcmp(why, "email_as_name") == 0);
	ce_name_fold(in, f, sizeof(f));
	for (i = 0; f[i] != '\0'; i++)
		if (f[i] >= 'A' && f[i] <= 'Z')
			letter = 1;
		else if (f[i] >= '0' && f[i] <= '9')
			digit = 1;
	/* name.c folds into 256 bytes: shorter inputs fold whole. */
	if (strchr(in, '@') == NULL && strlen(in) < 256) {
		if (digit && !letter)
			FZ_CHECK(why != NULL && strcmp(why, "digits_only") == 0);
		if (letter)
			FZ_CHECK(why == NULL || strcmp(why, "placeholder") == 0);
	}
}

static void
score(const char *lead, const char *provider)
{
	char	 fl[FOLD_MAX], fp[FOLD_MAX];
	int	 s, self;

	s = ce_name_score(lead, provider);
	FZ_CHECK(s >= 0 && s <= 100);
	self = ce_name_score(lead, lead);
	FZ_CHECK(self == 0 || self == 100);
	ce_name_fold(lead, fl, sizeof(fl));
	ce_name_fold(provider, fp, sizeof(fp));
	FZ_CHECK(ce_name_score(fl, fp) == s);
	FZ_CHECK(self == 0 || fl[0] != '\0');
	if (ce_name_matches(lead, provider))
		FZ_CHECK(s > 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*in, *lead = NULL, *nl;

	if ((in = fz_strndup((const char *)data, size)) == NULL)
		return 0;
	phone(in);
	cpf(in);
	email(in);
	lead_id(in);
	fold(in, 1 + (size > 0 ? data[0] % 40 : 0));
	placeholder(in);
	masks(in, 1 + (size > 1 ? data[1] % 32 : 31));
	if ((nl = strchr(in, '\n')) != NULL) {
		lead = fz_strndup(in, (size_t)(nl - in));
		if (lead != NULL)
			score(lead, nl + 1);
	} else
		score(in, in);
	free(lead);
	free(in);
	return 0;
}
