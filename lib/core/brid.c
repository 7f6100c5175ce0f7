/*
 * brid.c -- Brazilian identifiers: CPF, CNPJ and título de eleitor check
 * digits, CEPs, phones, e-mails and persons' names, each normalised from
 * the shapes people and upstreams write them in; and the masks that keep
 * CPFs, phones and e-mails out of logs ("***.***.***-09", "***4321",
 * "j***@gmail.com"); and C2S lead ids, checked and lower-cased.  Pure
 * functions: no state, no allocation.
 */
#include <ctype.h>
#include <string.h>

#include "core/brid.h"
#include "core/util.h"

/*
 * Copy the digits of "in" into "d" (of "sz" bytes, NUL-terminated),
 * skipping the separators in "seps".  Returns how many digits, or -1 for
 * any other character or more digits than "d" holds.
 */
static int
digits_of(const char *in, const char *seps, char *d, size_t sz)
{
	size_t	 n = 0;

	for (; *in != '\0'; in++) {
		if (*in >= '0' && *in <= '9') {
			if (n >= sz - 1)
				return -1;
			d[n++] = *in;
		} else if (strchr(seps, *in) == NULL)
			return -1;
	}
	d[n] = '\0';
	return (int)n;
}

/* Are the "n" characters of "d" all the same? */
static int
all_same(const char *d, size_t n)
{
	size_t	 i;

	for (i = 1; i < n; i++)
		if (d[i] != d[0])
			return 0;
	return 1;
}

/* Is "d" eleven digits with valid CPF check digits (and not all equal)? */
int
ce_cpf_valid(const char *d)
{
	int	 i, sum, dv, same = 1;

	for (i = 0; i < 11; i++) {
		if (d[i] < '0' || d[i] > '9')
			return 0;
		if (d[i] != d[0])
			same = 0;
	}
	if (d[11] != '\0' || same)
		return 0;
	for (sum = 0, i = 0; i < 9; i++)
		sum += (d[i] - '0') * (10 - i);
	dv = (sum * 10) % 11 % 10;
	if (dv != d[9] - '0')
		return 0;
	for (sum = 0, i = 0; i < 10; i++)
		sum += (d[i] - '0') * (11 - i);
	dv = (sum * 10) % 11 % 10;
	return dv == d[10] - '0';
}

/*
 * Normalise a CPF as upstreams write it ("123.456.789-09", digits, or
 * zero-padded to 14 characters with "000") into 11 digits in "out"
 * (at least 12 bytes).  Returns 0, or -1 when it is not a valid CPF; a
 * 14-digit number that is not a "000"-padded CPF is a CNPJ: -2.
 */
int
ce_cpf_normalize(const char *in, char *out)
{
	char	 d[16];
	int	 n;

	if ((n = digits_of(in, ".-/ ", d, sizeof(d))) == -1)
		return -1;
	if (n == 14) {
		if (strncmp(d, "000", 3) != 0 || !ce_cpf_valid(d + 3))
			return -2;
		memcpy(out, d + 3, 12);
		return 0;
	}
	if (n != 11 || !ce_cpf_valid(d))
		return -1;
	memcpy(out, d, 12);
	return 0;
}

/* "***.***.***-09" from a CPF (or "***" when it is not 11 digits). */
void
ce_mask_cpf(const char *cpf, char *out, size_t sz)
{
	size_t	 n = strlen(cpf);

	if (n != 11) {
		ce_strlcpy(out, "***", sz);
		return;
	}
	ce_strlcpy(out, "***.***.***-", sz);
	if (strlen(out) + 2 < sz) {
		size_t l = strlen(out);

		out[l] = cpf[9];
		out[l + 1] = cpf[10];
		out[l + 2] = '\0';
	}
}

/*
 * The length of the CPF at "s" (11 or 14 bytes, its digits in "d"), or 0:
 * eleven digits, bare or written 123.456.789-09, with no letter or digit
 * right after them.
 */
static size_t
cpf_at(const char *s, char d[12])
{
	size_t	 i, n = 0;

	for (i = 0; i < 11 && isdigit((unsigned char)s[i]); i++)
		d[n++] = s[i];
	if (n == 11 && !isalnum((unsigned char)s[11])) {
		d[11] = '\0';
		return 11;
	}
	n = 0;
	for (i = 0; i < 14; i++) {
		if (i == 3 || i == 7) {
			if (s[i] != '.')
				return 0;
		} else if (i == 11) {
			if (s[i] != '-')
				return 0;
		} else if (isdigit((unsigned char)s[i]))
			d[n++] = s[i];
		else
			return 0;
	}
	if (isalnum((unsigned char)s[14]))
		return 0;
	d[11] = '\0';
	return 14;
}

/*
 * Copy text "in" to "out" (of "sz" bytes, cut on a UTF-8 character, always
 * terminated) with every CPF in it masked as ***.***.***-09: eleven
 * digits, bare or written 123.456.789-09, standing as a word of their own
 * (no letter or digit on either side), so that a run of digits inside a
 * lead id or a hash is left as it is.
 */
void
ce_mask_cpf_text(const char *in, char *out, size_t sz)
{
	char	 d[12], m[20];
	size_t	 i = 0, o = 0, n, k, j;

	if (sz == 0)
		return;
	while (in[i] != '\0') {
		if ((i == 0 || !isalnum((unsigned char)in[i - 1])) &&
		    isdigit((unsigned char)in[i]) && (n = cpf_at(in + i, d)) > 0) {
			ce_mask_cpf(d, m, sizeof(m));
			k = strlen(m);
			if (o + k >= sz)
				break;
			memcpy(out + o, m, k);
			o += k;
			i += n;
			continue;
		}
		if (o + 1 >= sz)
			break;
		out[o++] = in[i++];
	}
	/* Cut short: drop a character left incomplete. */
	if (in[i] != '\0') {
		for (j = o; j > 0 && ((unsigned char)out[j - 1] & 0xC0) == 0x80;
		    j--)
			;
		if (j > 0 && (unsigned char)out[j - 1] >= 0xC0) {
			unsigned char	 c = (unsigned char)out[j - 1];
			size_t		 want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;

			if (o - (j - 1) < want)
				o = j - 1;
		}
	}
	out[o] = '\0';
}

/* "***4321": the last four characters of a phone only. */
void
ce_mask_phone(const char *phone, char *out, size_t sz)
{
	size_t	 n = strlen(phone);

	ce_strlcpy(out, "***", sz);
	if (n > 4 && strlen(out) + 4 < sz)
		ce_strlcpy(out + 3, phone + n - 4, sz - 3);
}

/* "j***@gmail.com": the first character and the domain of an e-mail. */
void
ce_mask_email(const char *email, char *out, size_t sz)
{
	const char	*at = strrchr(email, '@');

	if (at == NULL || at == email || sz < 6) {
		ce_strlcpy(out, "***", sz);
		return;
	}
	out[0] = email[0];
	ce_strlcpy(out + 1, "***", sz - 1);
	if (strlen(out) + strlen(at) < sz)
		ce_strlcpy(out + 4, at, sz - 4);
}

/* Area codes (DDD) in use in Brazil. */
static const unsigned char ddds[] = {
	11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33,
	34, 35, 37, 38, 41, 42, 43, 44, 45, 46, 47, 48, 49, 51, 53, 54, 55,
	61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74, 75, 77, 79, 81, 82,
	83, 84, 85, 86, 87, 88, 89, 91, 92, 93, 94, 95, 96, 97, 98, 99,
};

int
ce_ddd_valid(int ddd)
{
	size_t	 i;

	for (i = 0; i < sizeof(ddds); i++)
		if (ddds[i] == ddd)
			return 1;
	return 0;
}

/* All one digit, or a run such as 12345678 or 98765432? */
static int
fake_digits(const char *d, size_t n)
{
	size_t	 i;
	int	 same = 1, up = 1, down = 1;

	for (i = 1; i < n; i++) {
		if (d[i] != d[0])
			same = 0;
		if (d[i] != (char)('0' + (d[i - 1] - '0' + 1) % 10))
			up = 0;
		if (d[i] != (char)('0' + (d[i - 1] - '0' + 9) % 10))
			down = 0;
	}
	return same || up || down;
}

/*
 * Normalise a Brazilian phone as leads write it ("+55 (11) 98765-4321",
 * "5511987654321", "011 98765 4321") into national digits, DDD first, in
 * "out" (at least 12 bytes).  A country code is stripped only from 12-13
 * digit numbers, so a national number with DDD 55 is left alone; a doubled
 * one ("5555", 14-15 digits) is repaired.  Returns
 * 0, or -1 when it is not a usable phone: wrong length, unknown DDD, a
 * mobile without its leading 9, or a fake number (one repeated digit, a
 * run like 12345678).
 */
int
ce_phone_normalize(const char *in, char *out)
{
	char	 d[24];
	size_t	 n;
	int	 ddd, rc;

	if ((rc = digits_of(in, " +-().\t", d, sizeof(d))) == -1)
		return -1;
	n = (size_t)rc;
	/*
	 * A doubled country code ("+55 55 11 97412-3356": 14-15 digits) is
	 * repaired.  A single one with DDD 55 ("55 55 9...") is 12-13
	 * digits and falls to the next case.
	 */
	if ((n == 14 || n == 15) && strncmp(d, "5555", 4) == 0) {
		memmove(d, d + 4, n - 3);
		n -= 4;
	} else if ((n == 12 || n == 13) && strncmp(d, "55", 2) == 0) {
		memmove(d, d + 2, n - 1);
		n -= 2;
	} else if ((n == 11 || n == 12) && d[0] == '0') {
		memmove(d, d + 1, n);	/* trunk prefix 0 */
		n--;
	}
	if (n != 10 && n != 11)
		return -1;
	ddd = (d[0] - '0') * 10 + (d[1] - '0');
	if (!ce_ddd_valid(ddd))
		return -1;
	/* Mobiles are 9 + 8 digits; landlines start with 2 to 5. */
	if (n == 11 && d[2] != '9')
		return -1;
	if (n == 10 && (d[2] < '2' || d[2] > '5'))
		return -1;
	if (fake_digits(d + 2, n - 2) || fake_digits(d + 3, n - 3))
		return -1;
	memcpy(out, d, n + 1);
	return 0;
}

static const char *const fake_locals[] = {
	"teste", "test", "naotem", "nao", "naopossui", "sememail", "email",
	"nenhum", "xxx", "asdf", "fake", "null", "none",
};

static const char *const fake_domains[] = {
	"teste.com", "test.com", "email.com", "exemplo.com", "naotem.com",
	"sem.com", "xxx.com", "fake.com",
};

/*
 * Normalise an e-mail: trimmed, lowercased, into "out" of "sz" bytes.
 * Returns 0, or -1 when it does not have the shape of an address (one @,
 * a local part of allowed characters, a dotted domain with a letter TLD)
 * or is a known placeholder ("teste@teste.com", "aaaa@gmail.com").
 */
int
ce_email_normalize(const char *in, char *out, size_t sz)
{
	char		 e[256], *at, *dot, *p;
	size_t		 n, i, lab = 0;

	while (*in == ' ' || *in == '\t')
		in++;
	n = strlen(in);
	while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof(e) || n >= sz)
		return -1;
	for (i = 0; i < n; i++)
		e[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] + 32) :
		    in[i];
	e[n] = '\0';
	if ((at = strchr(e, '@')) == NULL || strchr(at + 1, '@') != NULL ||
	    at == e || at - e > 64)
		return -1;
	for (p = e; p < at; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr("._%+-", *p) != NULL))
			return -1;
	if (e[0] == '.' || at[-1] == '.' || strstr(e, "..") != NULL)
		return -1;
	if ((dot = strrchr(at + 1, '.')) == NULL || dot == at + 1)
		return -1;
	for (p = at + 1; *p != '\0'; p++) {
		if (*p == '.') {
			if (lab == 0)
				return -1;
			lab = 0;
		} else if ((*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-')
			lab++;
		else
			return -1;
	}
	if (strlen(dot + 1) < 2)
		return -1;
	for (p = dot + 1; *p != '\0'; p++)
		if (*p < 'a' || *p > 'z')
			return -1;
	for (i = 0; i < sizeof(fake_locals) / sizeof(fake_locals[0]); i++)
		if (strlen(fake_locals[i]) == (size_t)(at - e) &&
		    strncmp(e, fake_locals[i], (size_t)(at - e)) == 0)
			return -1;
	for (i = 0; i < sizeof(fake_domains) / sizeof(fake_domains[0]); i++)
		if (strcmp(at + 1, fake_domains[i]) == 0)
			return -1;
	/* "aaaa@..." : one repeated character. */
	for (p = e + 1; p < at && *p == e[0]; p++)
		continue;
	if (p == at && at - e >= 3)
		return -1;
	memcpy(out, e, n + 1);
	return 0;
}

/*
 * Normalise a CEP ("01310-100", "01.310-100", "01310100") into its 8
 * digits in "out" (at least 9 bytes).  Returns 0, or -1 when it is not
 * 8 digits from 01000-000 up (no CEP starts with 00).
 */
int
ce_cep_normalize(const char *in, char *out)
{
	char	 d[12];

	if (digits_of(in, ".- ", d, sizeof(d)) != 8 ||
	    (d[0] == '0' && d[1] == '0'))
		return -1;
	memcpy(out, d, 9);
	return 0;
}

/* A CNPJ check digit over the "n" digits of "d" (weights 2..9, cycling). */
static int
cnpj_dv(const char *d, int n)
{
	int	 i, w = 2, sum = 0;

	for (i = n - 1; i >= 0; i--) {
		sum += (d[i] - '0') * w;
		w = w == 9 ? 2 : w + 1;
	}
	return sum % 11 < 2 ? 0 : 11 - sum % 11;
}

/* Is "d" fourteen digits with valid CNPJ check digits (not all equal)? */
int
ce_cnpj_valid(const char *d)
{
	int	 i;

	for (i = 0; i < 14; i++)
		if (d[i] < '0' || d[i] > '9')
			return 0;
	return d[14] == '\0' && !all_same(d, 14) &&
	    cnpj_dv(d, 12) == d[12] - '0' && cnpj_dv(d, 13) == d[13] - '0';
}

/*
 * Normalise a CNPJ ("11.222.333/0001-81" or 14 digits) into 14 digits
 * in "out" (at least 15 bytes).  Returns 0, or -1 when it is not a CNPJ
 * with valid check digits.
 */
int
ce_cnpj_normalize(const char *in, char *out)
{
	char	 d[16];

	if (digits_of(in, "./- ", d, sizeof(d)) != 14 || !ce_cnpj_valid(d))
		return -1;
	memcpy(out, d, 15);
	return 0;
}

/*
 * A título de eleitor's check digit from its weighted sum and UF code:
 * the sum mod 11, where 10 counts as 0 and, for SP (01) and MG (02), a
 * remainder of 0 as 1 (a 10 made 0 stays 0).
 */
static int
titulo_dv(int sum, int uf)
{
	int	 r = sum % 11;

	if (r == 10)
		return 0;
	if (r == 0 && (uf == 1 || uf == 2))
		return 1;
	return r;
}

/*
 * Is "d" a título de eleitor: 12 digits, an 8-digit sequence (not all
 * zeros), a UF code from 01 to 28, and two check digits: DV1 over the
 * sequence with weights 2..9, DV2 over the UF code's digits and DV1 with
 * weights 7, 8, 9?
 */
int
ce_titulo_valid(const char *d)
{
	int	 i, sum, uf, dv1;

	for (i = 0; i < 12; i++)
		if (d[i] < '0' || d[i] > '9')
			return 0;
	if (d[12] != '\0' || strncmp(d, "00000000", 8) == 0)
		return 0;
	uf = (d[8] - '0') * 10 + (d[9] - '0');
	if (uf < 1 || uf > 28)
		return 0;
	for (sum = 0, i = 0; i < 8; i++)
		sum += (d[i] - '0') * (i + 2);
	dv1 = titulo_dv(sum, uf);
	if (dv1 != d[10] - '0')
		return 0;
	sum = (d[8] - '0') * 7 + (d[9] - '0') * 8 + dv1 * 9;
	return titulo_dv(sum, uf) == d[11] - '0';
}

/*
 * Normalise a título de eleitor ("1023 8501 0671", dots or hyphens also
 * skipped) into 12 digits in "out" (at least 13 bytes).  Returns 0, or -1
 * when ce_titulo_valid() refuses it.
 */
int
ce_titulo_normalize(const char *in, char *out)
{
	char	 d[16];

	if (digits_of(in, " .-/", d, sizeof(d)) != 12 || !ce_titulo_valid(d))
		return -1;
	memcpy(out, d, 13);
	return 0;
}

/*
 * The length of the letter at "s" (1 for A-Z a-z, 2 for a Latin-1 letter
 * in UTF-8, "À" to "ÿ" but "×" and "÷"), written in capitals into "up";
 * 0 when "s" does not start with a letter.
 */
static int
name_letter(const unsigned char *s, char up[2])
{
	if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')) {
		up[0] = (char)(*s >= 'a' ? *s - 'a' + 'A' : *s);
		return 1;
	}
	if (*s == 0xc3 && s[1] >= 0x80 && s[1] <= 0xbf && s[1] != 0x97 &&
	    s[1] != 0xb7) {
		up[0] = (char)0xc3;
		/* à..þ (but ÷) to À..Þ; ß and ÿ have no capital here. */
		up[1] = (char)(s[1] >= 0xa0 && s[1] <= 0xbe ? s[1] - 0x20 :
		    s[1]);
		return 2;
	}
	return 0;
}

/*
 * Normalise a person's name as the registries search it: in capitals,
 * words separated by one space, spaces around it trimmed.  A word is
 * letters (accented Latin-1 letters included), and may join letters with
 * an apostrophe or a hyphen ("D'ÁVILA", "ANA-LUÍZA").  The result must
 * have at least two words and 2 to CE_NAME_MAX characters.  Writes it to
 * "out" of "sz" bytes; returns 0, or -1 when "in" is not such a name or
 * does not fit.
 */
int
ce_person_name_normalize(const char *in, char *out, size_t sz)
{
	const unsigned char	*s = (const unsigned char *)in;
	size_t			 n = 0, chars = 0, words = 0;
	char			 up[2];
	int			 len, in_word = 0, joiner = 0;

	if (sz == 0)
		return -1;
	for (; *s != '\0'; s += len) {
		len = 1;
		if (*s == ' ' || *s == '\t') {
			if (joiner)
				return -1;	/* "ANA- MARIA" */
			in_word = 0;
			continue;
		}
		if (*s == '\'' || *s == '-') {
			if (!in_word || joiner)
				return -1;
			joiner = 1;
			up[0] = (char)*s;
		} else if ((len = name_letter(s, up)) > 0) {
			if (!in_word) {
				if (words > 0) {
					if (n + 1 >= sz)
						return -1;
					out[n++] = ' ';
					chars++;
				}
				words++;
				in_word = 1;
			}
			joiner = 0;
		} else
			return -1;
		if (n + (size_t)len >= sz)
			return -1;
		memcpy(out + n, up, (size_t)len);
		n += (size_t)len;
		chars++;
	}
	out[n] = '\0';
	if (joiner || words < 2 || chars < 2 || chars > CE_NAME_MAX)
		return -1;
	return 0;
}

/* Is "id" a C2S lead id: exactly 32 hex characters? */
int
ce_lead_id_valid(const char *id)
{
	size_t	 i;

	for (i = 0; i < 32; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'f') ||
		    (id[i] >= 'A' && id[i] <= 'F')))
			return 0;
	return id[32] == '\0';
}

/*
 * Copy a valid lead id into "out" (33 bytes) in lower case, the form
 * stored and claimed.  Returns 1, or 0 (out empty) when it is not valid.
 */
int
ce_lead_id_norm(const char *id, char *out)
{
	size_t	 i;

	out[0] = '\0';
	if (!ce_lead_id_valid(id))
		return 0;
	for (i = 0; i < 32; i++)
		out[i] = (char)(id[i] >= 'A' && id[i] <= 'F' ?
		    id[i] - 'A' + 'a' : id[i]);
	out[32] = '\0';
	return 1;
}
