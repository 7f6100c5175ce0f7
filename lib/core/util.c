/*
 * util.c -- small bounded string helpers that glibc lacks: strlcpy,
 * strtonum-style integer parsing, a constant-time string compare, the
 * value of a hex digit, and the percent-encoding of a URL's path segment.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

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

/*
 * Append "s" percent-encoded (RFC 3986 unreserved characters kept) to
 * "url" of size "sz".  Returns CE_OK or CE_E2BIG ("url" then unchanged).
 */
enum ce_err
cx_url_escape(char *url, size_t sz, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t		 len = strlen(url), start = len;
	unsigned char	 c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			if (len + 1 >= sz)
				goto big;
			url[len++] = (char)c;
		} else {
			if (len + 3 >= sz)
				goto big;
			url[len++] = '%';
			url[len++] = hex[c >> 4];
			url[len++] = hex[c & 15];
		}
	}
	url[len] = '\0';
	return CE_OK;
big:
	url[start] = '\0';
	return CE_E2BIG;
}

/*
 * "addr" (REMOTE_ADDR) as a log may show it: the characters of an IPv4 or
 * IPv6 address only, cut to "sz" - 1; "-" when there is none.
 */
void
ce_addr_print(char *buf, size_t sz, const char *addr)
{
	size_t	 i = 0;

	for (; addr != NULL && *addr != '\0' && i + 1 < sz; addr++)
		if ((*addr >= '0' && *addr <= '9') || (*addr >= 'a' &&
		    *addr <= 'f') || (*addr >= 'A' && *addr <= 'F') ||
		    *addr == ':' || *addr == '.')
			buf[i++] = *addr;
	if (i == 0 && sz > 1)
		buf[i++] = '-';
	if (sz > 0)
		buf[i] = '\0';
}

/*
 * Is "id" a request id a client may choose (X-Request-Id): 1 to 63 of
 * [A-Za-z0-9._-]?  Anything else is replaced, never logged as it came.
 */
int
ce_reqid_ok(const char *id)
{
	size_t	 i;

	for (i = 0; id[i] != '\0' && i < 64; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') ||
		    (id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= '0' && id[i] <= '9') || id[i] == '-' ||
		    id[i] == '_' || id[i] == '.'))
			return 0;
	return i > 0 && i < 64;
}
