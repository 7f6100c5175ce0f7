/*
 * name.c -- comparing a lead's name with the name a provider gives for a
 * CPF.  Names are folded (accents removed, upper case, punctuation to
 * spaces), particles (DE, DA, DOS, ...) and family suffixes (JUNIOR,
 * FILHO, NETO, ...) dropped, and an initial matches any word it begins.
 * The score says how much of the lead's name the provider's name
 * confirms; the best-scoring candidate wins.  A lead's name can also be
 * a placeholder ("Unknown", "Teste", digits, an e-mail) that stands for
 * no name at all.
 */
#include <string.h>

#include "core/name.h"
#include "core/util.h"

#define TOK_MAX		12
#define TOK_LEN		32

/* Latin-1 letters as UTF-8 (0xC3 0x80 to 0xC3 0xBF), without accents. */
static const char latin1[] =
    "AAAAAAACEEEEIIIIDNOOOOO OUUUUYTS"
    "AAAAAAACEEEEIIIIDNOOOOO OUUUUYTY";

static const char *const particles[] = {
	"DE", "DA", "DO", "DAS", "DOS", "E", "DI", "DU", "DEL",
};

static const char *const suffixes[] = {
	"JUNIOR", "JR", "FILHO", "FILHA", "NETO", "NETA", "SOBRINHO",
	"SEGUNDO", "II", "III", "IV",
};

/*
 * Fold "in" (UTF-8) into "out" of "sz" bytes: A-Z, 0-9 and single spaces.
 * Other characters become spaces; the result is cut to fit.
 */
void
ce_name_fold(const char *in, char *out, size_t sz)
{
	const unsigned char	*p = (const unsigned char *)in;
	size_t			 n = 0;
	char			 c;

	if (sz == 0)
		return;
	while (*p != '\0' && n + 1 < sz) {
		if (*p >= 'a' && *p <= 'z')
			c = (char)(*p - 32);
		else if ((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
			c = (char)*p;
		else if (*p == 0xC3 && p[1] >= 0x80 && p[1] <= 0xBF) {
			c = latin1[p[1] - 0x80];
			p++;
		} else {
			/* Skip the rest of any other multibyte character. */
			if (*p >= 0xC0)
				while ((p[1] & 0xC0) == 0x80)
					p++;
			c = ' ';
		}
		p++;
		if (c == ' ' && (n == 0 || out[n - 1] == ' '))
			continue;
		out[n++] = c;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static int
in_list(const char *w, const char *const *list, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(w, list[i]) == 0)
			return 1;
	return 0;
}

/* Split a folded name into significant words.  Returns their count. */
static size_t
tokens(const char *name, char tok[TOK_MAX][TOK_LEN])
{
	char		 f[512], *w, *save = NULL;
	size_t		 n = 0;

	ce_name_fold(name, f, sizeof(f));
	for (w = strtok_r(f, " ", &save); w != NULL && n < TOK_MAX;
	    w = strtok_r(NULL, " ", &save)) {
		if (in_list(w, particles, sizeof(particles) /
		    sizeof(particles[0])) || in_list(w, suffixes,
		    sizeof(suffixes) / sizeof(suffixes[0])))
			continue;
		ce_strlcpy(tok[n++], w, TOK_LEN);
	}
	return n;
}

/* Does lead word "a" stand for provider word "b"?  "J" stands for JOAO. */
static int
word_match(const char *a, const char *b)
{
	if (strlen(a) == 1)
		return a[0] == b[0];
	return strcmp(a, b) == 0;
}

/*
 * How well does "provider" confirm "lead"?  0 when the first names differ
 * (or either name is empty); otherwise 100 times the share of the lead's
 * words found, in order, in the provider's name.
 */
static int
score(const char *lead, const char *provider, size_t *nlead)
{
	char	 a[TOK_MAX][TOK_LEN], b[TOK_MAX][TOK_LEN];
	size_t	 na, nb, i, j = 1, hit = 1;

	*nlead = na = tokens(lead, a);
	nb = tokens(provider, b);
	if (na == 0 || nb == 0 || !word_match(a[0], b[0]))
		return 0;
	for (i = 1; i < na; i++) {
		size_t k;

		for (k = j; k < nb; k++)
			if (word_match(a[i], b[k]))
				break;
		if (k < nb) {
			hit++;
			j = k + 1;
		}
	}
	return (int)(hit * 100 / na);
}

int
ce_name_score(const char *lead, const char *provider)
{
	size_t	 na;

	return score(lead, provider, &na);
}

/*
 * Is "provider" the lead's person?  The first names agree, and when the
 * lead gives more than a first name, at least one more word agrees.
 */
int
ce_name_matches(const char *lead, const char *provider)
{
	size_t	 na;
	int	 s = score(lead, provider, &na);

	if (s == 0)
		return 0;
	return na == 1 || s * (int)na >= 200;
}

/* Whole names, folded, that stand for no name at all. */
static const char *const placeholders[] = {
	"UNKNOWN", "DESCONHECIDO", "DESCONHECIDA", "DESCONHECIDO A",
	"TESTE", "TEST", "LEAD", "SEM NOME", "N A", "NULL", "NAO INFORMADO",
};

/* Does "s" read as an e-mail address: "x@y.z" with no space? */
static int
looks_email(const char *s)
{
	const char	*at, *dot;

	while (*s == ' ' || *s == '\t')
		s++;
	if ((at = strchr(s, '@')) == NULL || at == s)
		return 0;
	if (strchr(at + 1, '@') != NULL || (dot = strrchr(at, '.')) == NULL ||
	    dot == at + 1 || dot[1] == '\0' || dot[1] == ' ')
		return 0;
	for (; s < at; s++)
		if (*s == ' ' || *s == '\t')
			return 0;
	return 1;
}

/*
 * Is "name" a placeholder, not a person's name?  Whole names only, any
 * case, accents, spacing and punctuation aside: "Unknown", "Desconhecido",
 * "Teste", "Lead", "Sem nome", "N/A", "-", ... ("placeholder"); digits
 * with spaces or punctuation only, a phone typed as the name
 * ("digits_only"); an e-mail address ("email_as_name").  Returns that
 * reason code (a static string), or NULL for a name, an empty one, or
 * one written only in scripts the fold drops.
 */
const char *
ce_name_placeholder(const char *name)
{
	const unsigned char *p;
	char		 f[256];
	size_t		 i;
	int		 digits = 0, other = 0;

	if (name == NULL || name[0] == '\0')
		return NULL;
	if (looks_email(name))
		return "email_as_name";
	ce_name_fold(name, f, sizeof(f));
	if (f[0] == '\0') {
		/* "-", "...": nothing but ASCII punctuation and spaces. */
		for (p = (const unsigned char *)name; *p != '\0'; p++)
			if (*p >= 0x80)
				return NULL;
		for (p = (const unsigned char *)name; *p != '\0'; p++)
			if (*p > ' ')
				return "placeholder";
		return NULL;
	}
	for (i = 0; f[i] != '\0'; i++)
		if (f[i] >= '0' && f[i] <= '9')
			digits = 1;
		else if (f[i] != ' ')
			other = 1;
	if (digits && !other)
		return "digits_only";
	if (in_list(f, placeholders, sizeof(placeholders) /
	    sizeof(placeholders[0])))
		return "placeholder";
	return NULL;
}
