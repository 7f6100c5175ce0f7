/*
 * brid.c -- Brazilian identifiers: CPF check digits and normalisation,
 * and the masks that keep CPFs, phones and e-mails out of logs
 * ("***.***.***-09", "***4321", "j***@gmail.com").
 */
#include <string.h>

#include "c2s-enrich.h"

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
	size_t	 n = 0;

	for (; *in != '\0'; in++) {
		if (*in >= '0' && *in <= '9') {
			if (n >= sizeof(d) - 1)
				return -1;
			d[n++] = *in;
		} else if (*in != '.' && *in != '-' && *in != '/' &&
		    *in != ' ')
			return -1;
	}
	d[n] = '\0';
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
 * digit numbers, so a national number with DDD 55 is left alone.  Returns
 * 0, or -1 when it is not a usable phone: wrong length, unknown DDD, a
 * mobile without its leading 9, or a fake number (one repeated digit, a
 * run like 12345678).
 */
int
ce_phone_normalize(const char *in, char *out)
{
	char	 d[24];
	size_t	 n = 0;
	int	 ddd;

	for (; *in != '\0'; in++) {
		if (*in >= '0' && *in <= '9') {
			if (n >= sizeof(d) - 1)
				return -1;
			d[n++] = *in;
		} else if (strchr(" +-().\t", *in) == NULL)
			return -1;
	}
	d[n] = '\0';
	if ((n == 12 || n == 13) && strncmp(d, "55", 2) == 0) {
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
