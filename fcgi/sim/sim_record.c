/*
 * sim_record.c -- the record file of upstream-sim: what the simulator
 * received, one JSON object per line, shared by all its processes.  Each
 * process appends with one write(2) on an O_APPEND descriptor; readers
 * parse the file line by line and skip what does not parse; a reset
 * truncates it.  Tokens and passwords are never handed to this file.
 * The line-file primitives (sim_lines_*) serve sim_hook.c's files too.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "c2s-enrich.h"
#include "sim.h"

/*
 * Open (creating, mode 0666 so another user may share it) the line file
 * at "path" for appending.  Returns the descriptor, or -1 with errno set.
 */
int
sim_lines_open(const char *path)
{
	struct stat	 st;
	int		 fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (fd == -1)
		return -1;
	/* The umask may have narrowed the mode; widen it if it is ours. */
	if (fstat(fd, &st) == 0 && st.st_uid == geteuid() &&
	    (st.st_mode & 0777) != 0666)
		(void)fchmod(fd, 0666);
	return fd;
}

/* Take ("lock" non-zero) or release the exclusive lock of "fd". */
int
sim_lines_lock(int fd, int lock)
{
	while (flock(fd, lock ? LOCK_EX : LOCK_UN) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

/*
 * Append "j" as one line with one write(2).  Returns 0, or -1 when the
 * line could not be built or written whole.
 */
int
sim_lines_append(int fd, const json_t *j)
{
	char	*s;
	size_t	 len;
	ssize_t	 n;

	if ((s = json_dumps(j, JSON_COMPACT)) == NULL)
		return -1;
	/* The NUL json_dumps() ends with becomes the newline: one write. */
	len = strlen(s);
	s[len] = '\n';
	do
		n = write(fd, s, len + 1);
	while (n == -1 && errno == EINTR);
	free(s);
	return n == (ssize_t)(len + 1) ? 0 : -1;
}

/*
 * Open (creating, mode 0666 so another user may share it) the record at
 * "path" for appending.  Returns 0, or -1 with errno set.
 */
int
sim_record_open(struct sim_record *r, const char *path)
{
	r->fd = -1;
	if (ce_strlcpy(r->path, path, sizeof(r->path)) >= sizeof(r->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	r->fd = sim_lines_open(path);
	return r->fd == -1 ? -1 : 0;
}

void
sim_record_close(struct sim_record *r)
{
	if (r->fd != -1)
		close(r->fd);
	r->fd = -1;
}

/* Take ("lock" non-zero) or release the record's exclusive lock. */
int
sim_record_lock(struct sim_record *r, int lock)
{
	return sim_lines_lock(r->fd, lock);
}

/*
 * Append one call.  "lead" and "note" may be NULL (then left out); all
 * strings must be valid UTF-8.  Returns 0, or -1 when the line could not
 * be built or written whole.
 */
int
sim_record_append(struct sim_record *r, const char *api, const char *method,
    const char *path, int status, const char *lead, const char *note)
{
	json_t	*j;
	int	 rc;

	j = json_pack("{s:s, s:s, s:s, s:i, s:s*, s:s*}", "api", api,
	    "method", method, "path", path, "status", status, "lead", lead,
	    "note", note);
	rc = j != NULL ? sim_lines_append(r->fd, j) : -1;
	json_decref(j);
	return rc;
}

/*
 * Call "fn" for each line of the file at "path" that parses as a JSON
 * object.  Returns 0 (a missing file has no lines), or -1 when the file
 * cannot be read.
 */
int
sim_lines_each(const char *path, void (*fn)(json_t *, void *), void *arg)
{
	FILE	*f;
	char	*line = NULL;
	size_t	 cap = 0;
	json_t	*j;

	if ((f = fopen(path, "re")) == NULL)
		return errno == ENOENT ? 0 : -1;
	while (getline(&line, &cap, f) != -1) {
		if ((j = json_loads(line, 0, NULL)) == NULL)
			continue;
		if (json_is_object(j))
			fn(j, arg);
		json_decref(j);
	}
	free(line);
	fclose(f);
	return 0;
}

static int
each_record(const struct sim_record *r, void (*fn)(json_t *, void *),
    void *arg)
{
	return sim_lines_each(r->path, fn, arg);
}

static const char *
member(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

struct count {
	const char	*api, *path;
	long long	 n;
};

static void
count_one(json_t *j, void *arg)
{
	struct count	*c = arg;
	const char	*api = member(j, "api"), *path = member(j, "path");

	if (api != NULL && path != NULL && strcmp(api, c->api) == 0 &&
	    strcmp(path, c->path) == 0)
		c->n++;
}

/* How many calls of "api" to "path" are recorded; -1 on error. */
long long
sim_record_count(const struct sim_record *r, const char *api,
    const char *path)
{
	struct count	 c = { api, path, 0 };

	return each_record(r, count_one, &c) == -1 ? -1 : c.n;
}

struct calls {
	const char	*api;		/* filter, or NULL */
	long long	 total;
	long long	 by_api[3];
	json_t		*list;		/* the "calls" array */
	json_t		*index;		/* key -> member of list (borrowed) */
	int		 failed;
};

static const char *const APIS[3] = { "c2s", "diretrix", "work" };

static void
calls_one(json_t *j, void *arg)
{
	struct calls	*c = arg;
	const char	*api = member(j, "api"), *method = member(j, "method");
	const char	*path = member(j, "path");
	json_t		*st = json_object_get(j, "status"), *e;
	char		*key = NULL;
	size_t		 i, klen;
	int		 n;

	if (api == NULL || method == NULL || path == NULL ||
	    !json_is_integer(st) || (c->api != NULL && strcmp(api, c->api)))
		return;
	c->total++;
	for (i = 0; i < 3; i++)
		if (strcmp(api, APIS[i]) == 0)
			c->by_api[i]++;
	klen = strlen(api) + strlen(method) + strlen(path) + 32;
	if ((key = malloc(klen)) == NULL)
		goto fail;
	n = snprintf(key, klen, "%s\037%s\037%s\037%lld", api, method, path,
	    (long long)json_integer_value(st));
	if (n < 0 || (size_t)n >= klen)
		goto fail;
	if ((e = json_object_get(c->index, key)) != NULL) {
		if (json_integer_set(json_object_get(e, "count"),
		    json_integer_value(json_object_get(e, "count")) + 1) == -1)
			goto fail;
	} else {
		e = json_pack("{s:s, s:s, s:s, s:O, s:i}", "api", api,
		    "method", method, "path", path, "status", st, "count", 1);
		if (e == NULL || json_object_set(c->index, key, e) == -1 ||
		    json_array_append_new(c->list, e) == -1)
			goto fail;
	}
	free(key);
	return;
fail:
	free(key);
	c->failed = 1;
}

/*
 * The calls summary of /__sim/calls, only of "api" when not NULL.
 * Returns a new object, or NULL on error.
 */
json_t *
sim_record_calls(const struct sim_record *r, const char *api)
{
	struct calls	 c;
	json_t		*out = NULL;

	memset(&c, 0, sizeof(c));
	c.api = api;
	c.list = json_array();
	c.index = json_object();
	if (c.list == NULL || c.index == NULL ||
	    each_record(r, calls_one, &c) == -1 || c.failed)
		goto out;
	out = json_pack("{s:I, s:{s:I, s:I, s:I}, s:O}",
	    "total", (json_int_t)c.total, "by_api",
	    "c2s", (json_int_t)c.by_api[0],
	    "diretrix", (json_int_t)c.by_api[1],
	    "work", (json_int_t)c.by_api[2], "calls", c.list);
out:
	json_decref(c.index);
	json_decref(c.list);
	return out;
}

struct notes {
	const char	*lead;
	json_t		*list;
	int		 failed;
};

static void
notes_one(json_t *j, void *arg)
{
	struct notes	*n = arg;
	const char	*lead = member(j, "lead");
	json_t		*note = json_object_get(j, "note");

	if (lead == NULL || !json_is_string(note) || strcmp(lead, n->lead))
		return;
	if (json_array_append(n->list, note) == -1)
		n->failed = 1;
}

/* The notes posted on "lead" (lowercase), oldest first; NULL on error. */
json_t *
sim_record_notes(const struct sim_record *r, const char *lead)
{
	struct notes	 n = { lead, json_array(), 0 };

	if (n.list == NULL || each_record(r, notes_one, &n) == -1 ||
	    n.failed) {
		json_decref(n.list);
		return NULL;
	}
	return json_pack("{s:s, s:o}", "lead", lead, "notes", n.list);
}

/* Empty the line file at "path".  Returns 0, or -1 with errno set. */
int
sim_lines_truncate(const char *path)
{
	int	 fd, rc;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666)) == -1)
		return -1;
	rc = ftruncate(fd, 0);
	close(fd);
	return rc;
}

/* Forget every call and note.  Returns 0, or -1 with errno set. */
int
sim_record_reset(const struct sim_record *r)
{
	return sim_lines_truncate(r->path);
}
