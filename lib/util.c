/*
 * util.c -- small bounded string helpers that glibc lacks: strlcpy,
 * strtonum-style integer parsing, a constant-time string compare, and
 * the value of a hex digit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "c2s-enrich.h"

/*
 * Copy "src" into "dst" of "dstsz" bytes, always NUL-terminating when
 * dstsz > 0.  Returns strlen(src): a result >= dstsz means truncation.
 */
size_t
ce_strlcpy(char *dst, const char *src, size_t dstsz)
{
	size_t	 len = strlen(src);

	if (dstsz > 0) {
		size_t n = len < dstsz - 1 ? len : dstsz - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

/*
 * Parse the whole of "s" as a decimal integer in [min, max].  Returns 0 and
 * sets "*out", or -1 (out untouched) on empty input, trailing garbage,
 * leading space or sign oddities, or a value out of range.
 */
int
ce_strtonum(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0' || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * Compare two NUL-terminated strings in time that depends only on the
 * length of "b" (the secret), not on where they differ.  Returns 1 when
 * equal, 0 otherwise.
 */
int
ce_ct_streq(const char *a, const char *b)
{
	size_t		 alen = strlen(a), blen = strlen(b), i;
	unsigned char	 d = (unsigned char)(alen != blen);

	for (i = 0; i < blen; i++)
		d |= (unsigned char)(a[i < alen ? i : 0] ^ b[i]) |
		    (unsigned char)(i >= alen);
	return d == 0;
}

/* The value of hex digit "c", or -1. */
int
ce_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
