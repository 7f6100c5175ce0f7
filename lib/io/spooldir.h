/*
 * io/spooldir.h -- the spool's files in SPOOL_DIR (spooldir.c; app/spool.c
 * is the service over them).  No metrics, no context, no route: paths,
 * names, the directory's depth, this process's own file (made, appended
 * to, closed ready) and, for the reader, the listing, the memory of live
 * files and the reading of one record.  Each responder appends to a file
 * of its own, under an exclusive flock held as long as it is open; a
 * ".spool" file whose lock is free is as ready as a ".ready" one.
 */
#ifndef CE_IO_SPOOLDIR_H
#define CE_IO_SPOOLDIR_H

#include <sys/types.h>

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

struct cx_log;

#define CX_SPOOL_NAME_MAX	64
#define CX_SPOOL_LIVE_MAX	64	/* live files remembered */

/* A live file the reader has read part of. */
struct cx_spool_live {
	char		 name[CX_SPOOL_NAME_MAX];
	ino_t		 ino;
	off_t		 off;		/* replayed up to here */
};

struct cx_spooldir {
	const char	*dir;		/* SPOOL_DIR */
	struct cx_log	*log;
	/* The writer's own file. */
	int		 fd;		/* -1: none open */
	char		 name[CX_SPOOL_NAME_MAX];	/* without ".spool" */
	off_t		 size;
	long long	 last_us;	/* last record written (cx_now_us) */
	unsigned	 files;		/* made by this process */
	/* The reader's memory of live files. */
	struct cx_spool_live live[CX_SPOOL_LIVE_MAX];
	size_t		 nlive;
};

/* What cx_spooldir_read() found at an offset. */
enum cx_spool_rd {
	CX_SPOOL_RD_OK = 0,	/* a whole record */
	CX_SPOOL_RD_END,	/* nothing more to read now */
	CX_SPOOL_RD_NOHDR,	/* no record header: the rest is unread */
	CX_SPOOL_RD_TORN,	/* a cut last record */
	CX_SPOOL_RD_CRC,	/* a whole record, CRC wrong */
	CX_SPOOL_RD_NOMEM
};

void		 cx_spooldir_init(struct cx_spooldir *, const char *dir,
		    struct cx_log *);
int		 cx_spooldir_depth(const char *dir, unsigned long long *files,
		    unsigned long long *bytes);
enum ce_err	 cx_spooldir_append(struct cx_spooldir *,
		    const struct ce_buf *rec, long long max_bytes) CE_WUR;
void		 cx_spooldir_rotate(struct cx_spooldir *);
size_t		 cx_spooldir_list(const struct cx_spooldir *, char **names,
		    size_t max);
int		 cx_spooldir_open(const struct cx_spooldir *, const char *name,
		    char *path, size_t pathsz, ino_t *, int *owned);
struct cx_spool_live *cx_spooldir_live_find(struct cx_spooldir *,
		    const char *name, ino_t, int make);
void		 cx_spooldir_live_forget(struct cx_spooldir *,
		    struct cx_spool_live *);
enum cx_spool_rd cx_spooldir_read(int fd, off_t off, off_t end, int owned,
		    unsigned char **rec, size_t *len);
int		 cx_spooldir_remove(const struct cx_spooldir *,
		    const char *path);

#endif /* CE_IO_SPOOLDIR_H */
