/*
 * envfile.c -- KEY=VALUE files in the syntax of systemd's
 * EnvironmentFile= (envfile.h): a pure, bounded parser that hands each
 * assignment to a callback, and a table of a file's assignments read
 * with open(2) and read(2), last assignment of a name winning.  A bad
 * line is reported by its number, never by its text.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "core/envfile.h"

/* What systemd trims around names, values and quotes. */
static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int
is_name(char c, int first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	    (!first && c >= '0' && c <= '9');
}

/* The output of one line's value: "val" of "len" bytes so far. */
struct out {
	char	*val;
	size_t	 len;
};

static int
put(struct out *o, char c)
{
	if (o->len >= CE_ENVFILE_VAL_MAX)
		return -1;
	o->val[o->len++] = c;
	return 0;
}

/*
 * The value at "p" (up to "end"), opening with a quote "q": single,
 * verbatim up to the next one; double, with \" \\ \` \$ escaping the
 * character and any other backslash kept with what follows.  Only
 * blanks may follow the closing quote.  Returns 0, or -1 for an
 * unclosed quote (systemd would read on into the next line), text after
 * it, or a value over the bound.
 */
static int
value_quoted(const char *p, const char *end, struct out *o)
{
	char	 q = *p++;

	for (; p < end && *p != q; p++) {
		if (q == '"' && *p == '\\') {
			if (++p == end)
				return -1;
			if (strchr("\"\\`$", *p) == NULL && put(o, '\\') == -1)
				return -1;
		}
		if (put(o, *p) == -1)
			return -1;
	}
	if (p == end)
		return -1;
	for (p++; p < end; p++)
		if (!is_ws(*p))
			return -1;
	return 0;
}

/*
 * A bare value at "p" (up to "end"): a backslash keeps the character it
 * precedes, trailing blanks not escaped are dropped.  Returns 0, or -1
 * for a backslash ending the line (systemd would join the next one) or a
 * value over the bound.
 */
static int
value_bare(const char *p, const char *end, struct out *o)
{
	size_t	 keep = 0;

	for (; p < end; p++) {
		if (*p == '\\') {
			if (++p == end)
				return -1;
		} else if (is_ws(*p)) {
			if (put(o, *p) == -1)
				return -1;
			continue;
		}
		if (put(o, *p) == -1)
			return -1;
		keep = o->len;
	}
	o->len = keep;
	return 0;
}

/*
 * One line "p" of "n" bytes (no newline) into "key" (CE_ENVFILE_KEY_MAX
 * + 1 bytes) and "val" (CE_ENVFILE_VAL_MAX + 1).  Returns 1 for an
 * assignment, 0 for a blank or comment line, -1 for anything else.
 */
static int
line_parse(const char *p, size_t n, char *key, char *val)
{
	const char	*end = p + n;
	struct out	 o = { val, 0 };
	size_t		 k = 0;
	int		 rc;

	if (memchr(p, '\0', n) != NULL)
		return -1;
	while (p < end && is_ws(*p))
		p++;
	if (p == end || *p == '#' || *p == ';')
		return 0;
	if (end - p > 7 && memcmp(p, "export", 6) == 0 &&
	    (p[6] == ' ' || p[6] == '\t'))
		for (p += 6; p < end && is_ws(*p); p++)
			continue;
	for (; p < end && is_name(*p, k == 0); p++) {
		if (k == CE_ENVFILE_KEY_MAX)
			return -1;
		key[k++] = *p;
	}
	key[k] = '\0';
	while (p < end && is_ws(*p))
		p++;
	if (k == 0 || p == end || *p++ != '=')
		return -1;
	while (p < end && is_ws(*p))
		p++;
	if (p < end && (*p == '"' || *p == '\''))
		rc = value_quoted(p, end, &o);
	else
		rc = value_bare(p, end, &o);
	if (rc == -1)
		return -1;
	val[o.len] = '\0';
	return 1;
}

/*
 * Parse "len" bytes of "text", lines ending in "\n", and hand each
 * assignment's name and value (NUL-terminated, valid during the call
 * only) to "each" with "arg", in file order.  Returns 0 with "*badline"
 * 0; or -1 at the first line that is not blank, a comment or a
 * well-formed assignment within the bounds, or whose assignment "each"
 * refused (returned non-zero), with its number (from 1) in "*badline":
 * nothing of a line's text is ever reported.
 */
int
ce_envfile_parse(const char *text, size_t len,
    int (*each)(void *, const char *, const char *), void *arg,
    int *badline)
{
	char		 key[CE_ENVFILE_KEY_MAX + 1];
	char		 val[CE_ENVFILE_VAL_MAX + 1];
	const char	*p = text, *end = text + len, *nl;
	int		 line = 0, rc;

	*badline = 0;
	while (p < end) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		rc = line_parse(p, (size_t)(nl - p), key, val);
		if (rc == -1 || (rc == 1 && each(arg, key, val) != 0)) {
			*badline = line;
			return -1;
		}
		p = nl < end ? nl + 1 : end;
	}
	return 0;
}

/* ce_envfile_parse's callback: the assignment into the table "arg". */
static int
tab_add(void *arg, const char *key, const char *val)
{
	struct ce_envtab	*t = arg;
	size_t			 kl = strlen(key) + 1, vl = strlen(val) + 1;

	if (t->n == CE_ENVTAB_MAX || kl + vl > sizeof(t->mem) - t->used) {
		t->full = 1;
		return -1;
	}
	t->ent[t->n].key = (unsigned)t->used;
	memcpy(t->mem + t->used, key, kl);
	t->used += kl;
	t->ent[t->n].val = (unsigned)t->used;
	memcpy(t->mem + t->used, val, vl);
	t->used += vl;
	t->n++;
	return 0;
}

/*
 * Fill "t" with the assignments of "len" bytes of "text" (whatever it
 * held before is dropped).  Returns CE_OK; CE_EINPUT at a bad line, or
 * CE_E2BIG at the line past the table's bounds, its number in
 * "*badline" and "t" holding the lines before it.
 */
enum ce_err
ce_envtab_load(struct ce_envtab *t, const char *text, size_t len,
    int *badline)
{
	t->n = t->used = 0;
	t->full = 0;
	if (ce_envfile_parse(text, len, tab_add, t, badline) == 0)
		return CE_OK;
	return t->full ? CE_E2BIG : CE_EINPUT;
}

/*
 * Read the regular file "path" (at most CE_ENVFILE_MAX bytes) into "t"
 * as ce_envtab_load() does.  Returns its results, or CE_ESYSTEM with
 * errno set (EISDIR or EINVAL for what is not a regular file) and
 * "*badline" 0, or CE_E2BIG with "*badline" 0 for a larger file.
 */
enum ce_err
ce_envtab_read(struct ce_envtab *t, const char *path, int *badline)
{
	struct stat	 st;
	size_t		 got = 0;
	ssize_t		 r;
	int		 fd, saved;
	enum ce_err	 er = CE_ESYSTEM;

	*badline = 0;
	t->n = t->used = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK))
	    == -1)
		return CE_ESYSTEM;
	if (fstat(fd, &st) == -1)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto out;
	}
	while (got < sizeof(t->raw)) {
		r = read(fd, t->raw + got, sizeof(t->raw) - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto out;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got > CE_ENVFILE_MAX) {
		er = CE_E2BIG;
		goto out;
	}
	er = CE_OK;
out:
	saved = errno;
	(void)close(fd);
	errno = saved;
	if (er != CE_OK)
		return er;
	return ce_envtab_load(t, t->raw, got, badline);
}

/* The value of the last assignment of "key" in "t", or NULL. */
const char *
ce_envtab_get(const struct ce_envtab *t, const char *key)
{
	size_t	 i;

	for (i = t->n; i > 0; i--)
		if (strcmp(t->mem + t->ent[i - 1].key, key) == 0)
			return t->mem + t->ent[i - 1].val;
	return NULL;
}
