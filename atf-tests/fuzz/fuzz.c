/*
 * fuzz.c -- helpers shared by the libFuzzer drivers: the failed-check
 * report, the one context of the process, and strict UTF-8 checking.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2s-enrich.h"
#include "fuzz.h"

void
fz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
	abort();
}

struct ce_ctx *
fz_ctx(void)
{
	static struct ce_ctx	*ctx;
	struct ce_config	 cfg;

	if (ctx != NULL)
		return ctx;
	ce_config_defaults(&cfg);
	if ((ctx = ce_ctx_new(&cfg)) == NULL)
		fz_fail(__FILE__, __LINE__, "ce_ctx_new");
	ce_ctx_set_logfd(ctx, -1);
	return ctx;
}

/*
 * The length of the well-formed UTF-8 sequence at "s" (at most "len"
 * bytes available), or 0 when none starts there.
 */
static size_t
utf8_seq(const unsigned char *s, size_t len)
{
	size_t		 n, i;
	unsigned long	 cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		n = 2;
		cp = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		n = 3;
		cp = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return 0;
	return n;
}

int
fz_utf8_valid(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n;

	while (i < len) {
		if ((n = utf8_seq(p + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

char *
fz_utf8_fix(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			*out;
	size_t			 i = 0, n;

	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	while (i < len) {
		if (p[i] != '\0' && (n = utf8_seq(p + i, len - i)) != 0) {
			memcpy(out + i, p + i, n);
			i += n;
		} else
			out[i++] = '?';
	}
	out[len] = '\0';
	return out;
}

char *
fz_strndup(const char *s, size_t len)
{
	char	*out;

	len = strnlen(s, len);
	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(out, s, len);
	out[len] = '\0';
	return out;
}
