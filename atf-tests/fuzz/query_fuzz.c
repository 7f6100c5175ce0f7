/*
 * query_fuzz -- libFuzzer driver of ce_query_get(), the query-string
 * parser.
 *
 * Feeds: byte 0 is the output buffer's size (0 to 255); the rest is
 * "NAME\nQUERY" (without a line break, the whole rest is the query and
 * the name is "id").  Each string and the output buffer are heap blocks
 * of their exact size, so ASan sees any access past them.
 *
 * Asserts: the result is -1, 0 or 1; a found value is NUL-terminated
 * within the buffer and no longer than the query; the same call with a
 * buffer big enough for any value agrees (same absence, same value, or a
 * refusal only because the value did not fit); and the value found,
 * percent-encoded back into "NAME=VALUE", decodes to itself.
 */
#include <stdlib.h>
#include <string.h>

#include "c2s-enrich.h"
#include "core/query.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* Percent-encode every byte of "s" after "out" (room for 3 per byte). */
static char *
encode(char *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	for (; *s != '\0'; s++) {
		*out++ = '%';
		*out++ = hex[(unsigned char)*s >> 4];
		*out++ = hex[(unsigned char)*s & 0xf];
	}
	*out = '\0';
	return out;
}

/* "NAME=VALUE", both encoded: the value must come back unchanged. */
static void
round_trip(const char *name, const char *value)
{
	char	*q, *p, *v;
	size_t	 vlen = strlen(value);

	q = malloc(3 * (strlen(name) + vlen) + 2);
	v = malloc(vlen + 1);
	if (q == NULL || v == NULL)
		goto out;
	p = encode(q, name);
	*p++ = '=';
	encode(p, value);
	FZ_CHECK(ce_query_get(q, name, v, vlen + 1) == 1);
	FZ_CHECK(strcmp(v, value) == 0);
out:
	free(q);
	free(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*in = (const char *)data + 1, *nl;
	char		*name = NULL, *query = NULL, *out = NULL, *big = NULL;
	size_t		 outsz, len, qlen;
	int		 r, rb;

	if (size < 1)
		return 0;
	outsz = data[0];
	len = size - 1;
	if ((nl = memchr(in, '\n', len)) != NULL) {
		name = fz_strndup(in, (size_t)(nl - in));
		query = fz_strndup(nl + 1, len - (size_t)(nl - in) - 1);
	} else {
		name = fz_strndup("id", 2);
		query = fz_strndup(in, len);
	}
	if (name == NULL || query == NULL)
		goto out;
	qlen = strlen(query);
	/* malloc(0) gives a block ASan lets nobody touch. */
	if ((out = malloc(outsz)) == NULL && outsz > 0)
		goto out;
	if ((big = malloc(qlen + 1)) == NULL)
		goto out;
	if (outsz > 0)
		memset(out, 0xA5, outsz);

	r = ce_query_get(query, name, out, outsz);
	FZ_CHECK(r == -1 || r == 0 || r == 1);
	if (r == 1) {
		FZ_CHECK(memchr(out, '\0', outsz) != NULL);
		FZ_CHECK(strlen(out) <= qlen);
	}

	/* No value is longer than the query: this buffer always fits. */
	rb = ce_query_get(query, name, big, qlen + 1);
	FZ_CHECK(rb == -1 || rb == 0 || rb == 1);
	FZ_CHECK((r == 0) == (rb == 0));
	if (r == 1)
		FZ_CHECK(rb == 1 && strcmp(out, big) == 0);
	if (r == -1 && rb == 1)
		FZ_CHECK(strlen(big) + 1 > outsz);
	if (rb == 1)
		round_trip(name, big);
out:
	free(name);
	free(query);
	free(out);
	free(big);
	return 0;
}
