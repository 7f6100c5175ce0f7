/*
 * core/envfile.h -- KEY=VALUE files (envfile.c), the syntax of systemd's
 * EnvironmentFile=, so one file serves both the unit and CONFIG_FILE:
 * blank lines, "#" and ";" comment lines, an optional "export " before a
 * name, a value bare (backslash escapes), in single quotes (verbatim) or
 * in double quotes (\" \\ \` \$ escapes).  What is accepted means what it
 * means to systemd; what systemd would read otherwise, ignore or join
 * (a line without "=", a bad name, a value continued on the next line,
 * text after a closing quote) is refused, by its line number alone: a
 * value may be a secret.  Everything is bounded: a name of at most
 * CE_ENVFILE_KEY_MAX bytes, a value of at most CE_ENVFILE_VAL_MAX, a file
 * of at most CE_ENVFILE_MAX, a table of at most CE_ENVTAB_MAX entries.
 */
#ifndef CE_CORE_ENVFILE_H
#define CE_CORE_ENVFILE_H

#include <stddef.h>

#include "core/err.h"

#define CE_ENVFILE_KEY_MAX	64		/* bytes of a name */
#define CE_ENVFILE_VAL_MAX	4096		/* bytes of a value, unquoted */
#define CE_ENVFILE_MAX		(64 * 1024)	/* bytes of a file */
#define CE_ENVTAB_MAX		1024		/* assignments of a table */

int		 ce_envfile_parse(const char *, size_t,
		    int (*)(void *, const char *, const char *), void *,
		    int *) CE_WUR;

/* An assignment of a table: offsets of its name and value in "mem". */
struct ce_envent {
	unsigned	 key, val;
};

/*
 * A file's assignments, in file order, in memory of its own: no
 * allocation, nothing to free.  Large (twice CE_ENVFILE_MAX): allocate
 * it, do not put it on a small stack.
 */
struct ce_envtab {
	size_t			 n;		/* entries in "ent" */
	size_t			 used;		/* bytes of "mem" */
	int			 full;		/* the last load hit a bound */
	struct ce_envent	 ent[CE_ENVTAB_MAX];
	char			 mem[CE_ENVFILE_MAX + 2];
	char			 raw[CE_ENVFILE_MAX + 1];	/* the file */
};

enum ce_err	 ce_envtab_load(struct ce_envtab *, const char *, size_t,
		    int *) CE_WUR;
enum ce_err	 ce_envtab_read(struct ce_envtab *, const char *, int *)
		    CE_WUR;
const char	*ce_envtab_get(const struct ce_envtab *, const char *);

#endif /* CE_CORE_ENVFILE_H */
