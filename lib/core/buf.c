/*
 * buf.c -- the capped growable buffer every response, upstream body and
 * log line is built in.  Appends past the cap fail with CE_E2BIG and leave
 * the buffer as it was; allocation failures return CE_ENOMEM, never abort.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

#define BUF_MINALLOC	256

/*
 * Make "b" an empty buffer that will never hold more than "cap" bytes
 * (not counting the terminating NUL).  Allocates nothing.
 */
void
ce_buf_init(struct ce_buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

/* Release the storage of "b"; it may be reused after ce_buf_init(). */
void
ce_buf_free(struct ce_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = 0;
}

/* Empty "b" but keep its storage for reuse. */
void
ce_buf_reset(struct ce_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/*
 * Make room for "more" bytes plus a NUL.  Returns CE_OK, CE_E2BIG past the
 * cap, or CE_ENOMEM; "b" is unchanged on failure.
 */
static enum ce_err
buf_grow(struct ce_buf *b, size_t more)
{
	size_t	 need, nalloc;
	char	*p;

	if (more > b->cap || b->len > b->cap - more)
		return CE_E2BIG;
	need = b->len + more + 1;
	if (need <= b->alloc)
		return CE_OK;
	nalloc = b->alloc < BUF_MINALLOC ? BUF_MINALLOC : b->alloc;
	while (nalloc < need)
		nalloc *= 2;
	if (nalloc > b->cap + 1)
		nalloc = b->cap + 1;
	if ((p = realloc(b->data, nalloc)) == NULL)
		return CE_ENOMEM;
	b->data = p;
	b->alloc = nalloc;
	return CE_OK;
}

/*
 * Append "len" bytes of "data" to "b".  Returns CE_OK, CE_E2BIG if the cap
 * would be passed, or CE_ENOMEM; on failure "b" is unchanged.  The caller
 * keeps ownership of "data".
 */
enum ce_err
ce_buf_append(struct ce_buf *b, const void *data, size_t len)
{
	enum ce_err	 er;

	if ((er = buf_grow(b, len)) != CE_OK)
		return er;
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return CE_OK;
}

/* ce_buf_append() of a NUL-terminated string. */
enum ce_err
ce_buf_puts(struct ce_buf *b, const char *s)
{
	return ce_buf_append(b, s, strlen(s));
}

/*
 * Append formatted text.  Returns as ce_buf_append(); CE_ESYSTEM on an
 * encoding error.  On failure "b" is unchanged.
 */
enum ce_err
ce_buf_printf(struct ce_buf *b, const char *fmt, ...)
{
	va_list		 ap;
	enum ce_err	 er;

	va_start(ap, fmt);
	er = ce_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return er;
}

/* As ce_buf_printf(), from a va_list (which it leaves to the caller). */
enum ce_err
ce_buf_vprintf(struct ce_buf *b, const char *fmt, va_list ap)
{
	va_list		 cp;
	int		 n;
	enum ce_err	 er;
	char		 small[256];

	va_copy(cp, ap);
	n = vsnprintf(small, sizeof(small), fmt, cp);
	va_end(cp);
	if (n < 0)
		return CE_ESYSTEM;
	if ((size_t)n < sizeof(small))
		return ce_buf_append(b, small, (size_t)n);
	if ((er = buf_grow(b, (size_t)n)) != CE_OK)
		return er;
	va_copy(cp, ap);
	n = vsnprintf(b->data + b->len, b->alloc - b->len, fmt, cp);
	va_end(cp);
	if (n < 0) {
		b->data[b->len] = '\0';
		return CE_ESYSTEM;
	}
	b->len += (size_t)n;
	return CE_OK;
}

/*
 * Append "s" (of "len" bytes) as a quoted JSON string, escaping quotes,
 * backslashes and control characters.  Bytes >= 0x80 are copied as they are
 * (callers pass UTF-8).  On failure "b" is unchanged.
 */
enum ce_err
ce_buf_json_str(struct ce_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t		 i, start = b->len;
	enum ce_err	 er = CE_OK;
	char		 esc[6];
	unsigned char	 c;

	if ((er = ce_buf_append(b, "\"", 1)) != CE_OK)
		return er;
	for (i = 0; i < len && er == CE_OK; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			er = ce_buf_append(b, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			esc[0] = '\\';
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			er = ce_buf_append(b, esc, 6);
		} else
			er = ce_buf_append(b, s + i, 1);
	}
	if (er == CE_OK)
		er = ce_buf_append(b, "\"", 1);
	if (er != CE_OK) {
		b->len = start;
		if (b->data != NULL)
			b->data[start] = '\0';
	}
	return er;
}

/*
 * Hand the contents over to the caller, who must free() them; "b" is left
 * empty.  Returns NULL if nothing was ever appended.
 */
char *
ce_buf_take(struct ce_buf *b)
{
	char	*p = b->data;

	b->data = NULL;
	b->len = b->alloc = 0;
	return p;
}

/* Cut "b" to at most "maxchars" UTF-8 characters, on a boundary. */
void
ce_buf_cap_chars(struct ce_buf *b, size_t maxchars)
{
	size_t	 i, chars = 0;

	for (i = 0; i < b->len; i++) {
		if (((unsigned char)b->data[i] & 0xC0) == 0x80)
			continue;
		if (chars == maxchars) {
			b->len = i;
			b->data[i] = '\0';
			return;
		}
		chars++;
	}
}
