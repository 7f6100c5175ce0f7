/*
 * spooldir.c -- the spool's files in SPOOL_DIR (spool.c is the service
 * over them; DESIGN.md section 11.2).  No metrics, no context, no route:
 * paths, names, the directory's depth, this process's own file (made,
 * appended to, closed ready) and, for the reader, the listing, the memory
 * of live files and the reading of one record.
 *
 * Files.  Each responder appends to a file of its own, named "<wall clock
 * in us, 16 digits>-<pid>-<n>.spool" (names sort in creation order), mode
 * 0600, under an exclusive flock held as long as it is open.  It is made
 * under a hidden name (".new-...") and locked before it is renamed into
 * view, so no reader ever finds it unlocked while its writer lives.
 * Closed, it is renamed "*.ready"; a ".spool" file whose lock is free
 * belonged to a responder that died (SIGKILL) and is as ready as a
 * ".ready" one.  Records are framed by spoolrec.c, written with one
 * write() and made durable with fdatasync().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/spoolrec.h"
#include "core/util.h"
#include "io/spooldir.h"

#define SPOOL_FILE_MAX	(1024 * 1024)	/* then a new file */

/* Start on directory "dir" (kept, not copied), logging to "log". */
void
cx_spooldir_init(struct cx_spooldir *d, const char *dir, struct cx_log *log)
{
	memset(d, 0, sizeof(*d));
	d->dir = dir;
	d->log = log;
	d->fd = -1;
}

/* "dir/name" into "out"; -1 when it does not fit. */
static int
path_of(char *out, size_t sz, const char *dir, const char *name,
    const char *suffix)
{
	int	 n = snprintf(out, sz, "%s/%s%s", dir, name, suffix);

	return n < 0 || (size_t)n >= sz ? -1 : 0;
}

/* Is "name" a spool file ("*.spool" or "*.ready", not hidden)? */
static int
spool_name(const char *name)
{
	size_t	 n = strlen(name);

	return name[0] != '.' && n > 6 && n < CX_SPOOL_NAME_MAX &&
	    (strcmp(name + n - 6, ".spool") == 0 ||
	    strcmp(name + n - 6, ".ready") == 0);
}

/*
 * Count the spool files of "dir" and their bytes.  Returns 0, or -1 when
 * the directory cannot be read (missing: 0 files).
 */
int
cx_spooldir_depth(const char *dir, unsigned long long *files,
    unsigned long long *bytes)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;

	*files = *bytes = 0;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d)) != NULL) {
		if (!spool_name(e->d_name) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    -1 || !S_ISREG(st.st_mode))
			continue;
		(*files)++;
		*bytes += (unsigned long long)st.st_size;
	}
	closedir(d);
	return 0;
}

/* Make the directory's entries durable; a failure is only logged. */
static void
sync_dir(struct cx_spooldir *d)
{
	int	 fd;

	if ((fd = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(fd) == -1)
		cx_logf(d->log, CE_LOG_WARN, "spool: sync of %s: %s",
		    d->dir, strerror(errno));
	if (fd != -1)
		close(fd);
}

/*
 * Open a new file of this process: made hidden, locked, then renamed
 * into view.  Returns 0, or -1 (logged).
 */
static int
file_open(struct cx_spooldir *d)
{
	struct timespec	 ts;
	char		 tmp[512], path[512];
	int		 fd = -1;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(d->name, sizeof(d->name), "%016lld-%ld-%u",
	    (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000,
	    (long)getpid(), d->files++);
	if (mkdir(d->dir, 0700) == -1 && errno != EEXIST) {
		cx_logf(d->log, CE_LOG_ERROR, "spool: mkdir %s: %s",
		    d->dir, strerror(errno));
		return -1;
	}
	if (path_of(tmp, sizeof(tmp), d->dir, ".new-", d->name) == -1 ||
	    path_of(path, sizeof(path), d->dir, d->name, ".spool") == -1) {
		cx_logf(d->log, CE_LOG_ERROR, "spool: SPOOL_DIR too long");
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_APPEND |
	    O_CLOEXEC | O_NOFOLLOW, 0600)) == -1) {
		cx_logf(d->log, CE_LOG_ERROR, "spool: create %s: %s", tmp,
		    strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1 || rename(tmp, path) == -1) {
		cx_logf(d->log, CE_LOG_ERROR,
		    "spool: lock or rename %s: %s", tmp,
		    strerror(errno));
		(void)unlink(tmp);
		close(fd);
		return -1;
	}
	sync_dir(d);
	d->fd = fd;
	d->size = 0;
	cx_logf(d->log, CE_LOG_WARN, "spool: writing %s.spool", d->name);
	return 0;
}

/*
 * Close this process's file, renamed "*.ready" for the reader (a failed
 * rename leaves a ".spool" file whose lock is free: ready all the same).
 */
void
cx_spooldir_rotate(struct cx_spooldir *d)
{
	char		 from[512], to[512];

	if (d->fd == -1)
		return;
	if (path_of(from, sizeof(from), d->dir, d->name, ".spool") == 0 &&
	    path_of(to, sizeof(to), d->dir, d->name, ".ready") == 0 &&
	    rename(from, to) == -1)
		cx_logf(d->log, CE_LOG_WARN, "spool: rename %s: %s", from,
		    strerror(errno));
	close(d->fd);
	d->fd = -1;
	cx_logf(d->log, CE_LOG_INFO, "spool: %s ready (%lld bytes)",
	    d->name, (long long)d->size);
}

/*
 * Append record "rec" to this process's file (opened first if need be)
 * and make it durable, the directory holding at most "max_bytes".
 * Returns CE_OK, CE_E2BIG (the directory is full) or CE_ESYSTEM (it
 * cannot be written: logged); nothing of a failed record stays.
 */
enum ce_err
cx_spooldir_append(struct cx_spooldir *d, const struct ce_buf *rec,
    long long max_bytes)
{
	unsigned long long	 files, bytes;
	size_t			 off = 0;
	ssize_t			 n = -1;

	if ((long long)rec->len > max_bytes)
		return CE_E2BIG;
	if (cx_spooldir_depth(d->dir, &files, &bytes) == -1) {
		cx_logf(d->log, CE_LOG_ERROR, "spool: read %s: %s",
		    d->dir, strerror(errno));
		return CE_ESYSTEM;
	}
	if (bytes + rec->len > (unsigned long long)max_bytes)
		return CE_E2BIG;
	if (d->fd == -1 && file_open(d) == -1)
		return CE_ESYSTEM;
	while (off < rec->len) {
		n = write(d->fd, rec->data + off, rec->len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fdatasync(d->fd) == -1)
		goto fail;
	d->size += (off_t)rec->len;
	d->last_us = cx_now_us();
	if (d->size >= SPOOL_FILE_MAX)
		cx_spooldir_rotate(d);
	return CE_OK;
fail:
	cx_logf(d->log, CE_LOG_ERROR, "spool: write %s.spool: %s", d->name,
	    n == 0 ? "no progress" : strerror(errno));
	/* Take back what was written; else leave the tail to the reader's
	 * torn-record check, in a file closed now. */
	if (ftruncate(d->fd, d->size) == -1 || fdatasync(d->fd) == -1)
		cx_spooldir_rotate(d);
	return CE_ESYSTEM;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The spool files of the directory, at most "max" of them, sorted by
 * name (so by creation) into "names" (each the caller's to free).
 * Returns how many.
 */
size_t
cx_spooldir_list(const struct cx_spooldir *d, char **names, size_t max)
{
	DIR		*dp;
	struct dirent	*e;
	size_t		 n = 0;

	if ((dp = opendir(d->dir)) == NULL)
		return 0;
	while (n < max && (e = readdir(dp)) != NULL)
		if (spool_name(e->d_name) &&
		    (names[n] = strdup(e->d_name)) != NULL)
			n++;
	closedir(dp);
	qsort(names, n, sizeof(names[0]), cmp_names);
	return n;
}

/*
 * Open listed file "name" to read it, its path into "path" (of "sz"
 * bytes) and its inode into "*ino"; "*owned": its lock was free (its
 * writer is gone), and is ours until the descriptor is closed.  Returns
 * the descriptor, or -1.
 */
int
cx_spooldir_open(const struct cx_spooldir *d, const char *name, char *path,
    size_t sz, ino_t *ino, int *owned)
{
	struct stat	 st;
	int		 fd;

	if (path_of(path, sz, d->dir, name, "") == -1 ||
	    (fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	*ino = st.st_ino;
	*owned = flock(fd, LOCK_EX | LOCK_NB) == 0;
	return fd;
}

/*
 * The memory of live file "name" (inode "ino"), made when "make" and
 * it is not there; NULL otherwise.  "name" is a listed name.
 */
struct cx_spool_live *
cx_spooldir_live_find(struct cx_spooldir *d, const char *name, ino_t ino,
    int make)
{
	size_t	 i;
	size_t	 base = strlen(name) - 6;	/* without the suffix */

	/* By inode and base name: a live file renamed ready is the same. */
	for (i = 0; i < d->nlive; i++)
		if (d->live[i].ino == ino &&
		    strncmp(d->live[i].name, name, base) == 0 &&
		    strlen(d->live[i].name) == base + 6)
			return &d->live[i];
	if (!make)
		return NULL;
	if (d->nlive == CX_SPOOL_LIVE_MAX)
		d->nlive--;	/* forget the last: it is read anew */
	i = d->nlive++;
	ce_strlcpy(d->live[i].name, name, sizeof(d->live[i].name));
	d->live[i].ino = ino;
	d->live[i].off = 0;
	return &d->live[i];
}

void
cx_spooldir_live_forget(struct cx_spooldir *d, struct cx_spool_live *l)
{
	if (l == NULL)
		return;
	*l = d->live[--d->nlive];
}

/*
 * Read the record at "off" of file "fd", "end" bytes long.  "owned": its
 * writer is gone, so a cut tail is torn; else it is still being written.
 * Returns:
 *   CX_SPOOL_RD_OK	a whole record: "*rec" (the caller frees it) holds
 *			it, its payload at *rec + CE_SPOOL_HDR, "*len" bytes;
 *   CX_SPOOL_RD_END	nothing more to read now (a tail still being
 *			written, or a short read);
 *   CX_SPOOL_RD_NOHDR	no record header: the rest of the file is unread;
 *   CX_SPOOL_RD_TORN	a cut last record of "*len" payload bytes;
 *   CX_SPOOL_RD_CRC	a whole record of "*len" bytes whose CRC is wrong;
 *   CX_SPOOL_RD_NOMEM	no memory.
 * "*rec" is NULL unless CX_SPOOL_RD_OK.
 */
enum cx_spool_rd
cx_spooldir_read(int fd, off_t off, off_t end, int owned, unsigned char **rec,
    size_t *len)
{
	unsigned char	 hdr[CE_SPOOL_HDR], *buf;
	size_t		 avail = (size_t)(end - off);
	ssize_t		 n;

	*rec = NULL;
	*len = 0;
	if (avail >= sizeof(hdr)) {
		if (pread(fd, hdr, sizeof(hdr), off) != (ssize_t)sizeof(hdr))
			return CX_SPOOL_RD_END;
		if (ce_spool_header(hdr, len) == -1)
			return CX_SPOOL_RD_NOHDR;
	}
	if (avail < sizeof(hdr) || avail - sizeof(hdr) < *len)
		return owned ? CX_SPOOL_RD_TORN : CX_SPOOL_RD_END;
	if ((buf = malloc(CE_SPOOL_HDR + *len + 1)) == NULL)
		return CX_SPOOL_RD_NOMEM;
	n = pread(fd, buf, CE_SPOOL_HDR + *len, off);
	if (n != (ssize_t)(CE_SPOOL_HDR + *len)) {
		free(buf);
		return CX_SPOOL_RD_END;
	}
	if (ce_spool_parse(buf, CE_SPOOL_HDR + *len, len) != CE_SPOOL_OK) {
		free(buf);
		return CX_SPOOL_RD_CRC;
	}
	*rec = buf;
	return CX_SPOOL_RD_OK;
}

/* Delete file "path" once read; logged on failure.  Returns 0 or -1. */
int
cx_spooldir_remove(const struct cx_spooldir *d, const char *path)
{
	if (unlink(path) == -1) {
		cx_logf(d->log, CE_LOG_ERROR, "spool: unlink %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}
