/*
 * query.c -- the query string of a request: find one parameter and
 * percent-decode it into a bounded buffer.  Malformed input (a bad escape,
 * an encoded NUL, a value too long for the buffer) is an error, never
 * silently cut.
 */
#include <string.h>

#include "core/query.h"
#include "core/util.h"

/*
 * Decode "len" bytes of "s" ('+' is a space, %XX a byte) into "out" of
 * "outsz" bytes.  Returns the decoded length, or -1.
 */
static long
decode(const char *s, size_t len, char *out, size_t outsz)
{
	size_t	 i, n = 0;
	int	 hi, lo, c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (i + 2 >= len)
				return -1;
			if ((hi = ce_hexval((unsigned char)s[i + 1])) == -1 ||
			    (lo = ce_hexval((unsigned char)s[i + 2])) == -1)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c == '\0' || n + 1 >= outsz)
			return -1;
		out[n++] = (char)c;
	}
	if (outsz == 0)
		return -1;
	out[n] = '\0';
	return (long)n;
}

/*
 * Find parameter "name" in "query" (the part after '?', or NULL) and
 * decode its first occurrence into "out".  Returns 1 when found, 0 when
 * absent, -1 when it, or its name, is malformed or too long.
 */
int
ce_query_get(const char *query, const char *name, char *out, size_t outsz)
{
	const char	*p, *end, *eq;
	char		 key[64];
	size_t		 len;

	if (query == NULL)
		return 0;
	for (p = query; *p != '\0'; p = *end == '&' ? end + 1 : end) {
		end = p + strcspn(p, "&");
		if (end == p)
			continue;
		eq = memchr(p, '=', (size_t)(end - p));
		len = (size_t)((eq != NULL ? eq : end) - p);
		if (decode(p, len, key, sizeof(key)) == -1) {
			/* A name we could not care about; skip it. */
			continue;
		}
		if (strcmp(key, name) != 0)
			continue;
		if (eq == NULL)
			return decode("", 0, out, outsz) == -1 ? -1 : 1;
		return decode(eq + 1, (size_t)(end - eq - 1), out, outsz) ==
		    -1 ? -1 : 1;
	}
	return 0;
}
