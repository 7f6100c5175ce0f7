/*
 * shmfile.c -- the file every responder of a machine maps (DEDUP_FILE,
 * on tmpfs, mode 0600): its header, its directory of tables, its lock
 * and its mapping.  The tables' contents are their tenants' (shared/:
 * dedup, metrics, breaker, spacing, ratelimit).
 *
 * Layout: a 4 KiB header (magic, layout version, a random hash key, and a
 * directory of tables by kind, offset, slot count and slot size), then
 * the tables, each starting on a page: the de-duplication slots, then
 * the tables the caller lists with their kind, count and slot size
 * (ctx.c: the metrics counters and the live processes, the circuit
 * breakers, Work API spacing, the rate-limit buckets and the pool's
 * scoreboard).
 * A file whose magic, version or sizes do not add up is rebuilt, never
 * trusted; the file only grows, so a process still mapping an old layout
 * cannot fault on a truncated page.
 *
 * Locking: one open-file-description lock (F_OFD_SETLKW) on the header's
 * first byte, held for a few microseconds per operation.  The kernel drops
 * it when its holder dies, even by SIGKILL.  The lock is the open file
 * description's, and fork() shares that: a process forked from one holding
 * a handle opens the file itself (cx_shm_open_tabs()), else its lock and
 * its parent's would not exclude each other.
 */
#define _GNU_SOURCE	/* F_OFD_SETLKW */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/siphash.h"
#include "io/shmfile.h"

#define SHM_MAGIC	"C2SENRSH"
#define SHM_VERSION	4	/* 4: the pool's scoreboard (CX_SHM_POOL) */
#define SHM_HDR_SIZE	4096
#define SHM_TABLES	8

struct tab {
	uint32_t	 kind;
	uint32_t	 nslots;
	uint32_t	 slotsize;
	uint32_t	 pad;
	uint64_t	 offset;
};

struct hdr {
	char		 magic[8];
	uint32_t	 version;
	uint32_t	 hdrsize;
	uint8_t		 key[16];
	struct tab	 tab[SHM_TABLES];
};

struct ce_shm {
	int		 fd;
	void		*map;
	size_t		 mapsz;
	struct hdr	*hdr;
	void		*first;		/* the first table (dedup's), */
	uint32_t	 nfirst;		/* and its slot count, as mapped */
	size_t		 ntabs;
};

static int
lock_op(int fd, short type, int cmd)
{
	struct flock	 fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = 0;
	fl.l_len = 1;
	while (fcntl(fd, cmd, &fl) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

int
ce_shm_lock(struct ce_shm *s)
{
	return lock_op(s->fd, F_WRLCK, F_OFD_SETLKW);
}

/* The lock if it is free now: 0, or -1 (errno EAGAIN: held elsewhere). */
int
ce_shm_trylock(struct ce_shm *s)
{
	return lock_op(s->fd, F_WRLCK, F_OFD_SETLK);
}

void
ce_shm_unlock(struct ce_shm *s)
{
	(void)lock_op(s->fd, F_UNLCK, F_OFD_SETLKW);
}

static size_t
page_up(size_t sz)
{
	long	 pg = sysconf(_SC_PAGESIZE);

	if (pg > 0)
		sz = (sz + (size_t)pg - 1) / (size_t)pg * (size_t)pg;
	return sz;
}

/*
 * The directory of a file of the "ntabs" tables "tabs", into "t"
 * (SHM_TABLES entries), the first one's slot count replaced by "nslots"
 * (a valid file keeps its own).  Returns the file size it needs.
 */
static size_t
layout(const struct cx_shm_tab *tabs, size_t ntabs, uint32_t nslots,
    struct tab *t)
{
	size_t	 off = SHM_HDR_SIZE, i;

	memset(t, 0, SHM_TABLES * sizeof(*t));
	for (i = 0; i < ntabs; i++) {
		t[i].kind = tabs[i].kind;
		t[i].nslots = i == 0 ? nslots : (uint32_t)tabs[i].nslots;
		t[i].slotsize = (uint32_t)tabs[i].slotsize;
		t[i].offset = off;
		off = page_up(off + (size_t)t[i].nslots * t[i].slotsize);
	}
	return off;
}

/* Does the header describe the layout of "tabs", and does the file hold
 * it? */
static int
hdr_valid(const struct hdr *h, size_t filesz, const struct cx_shm_tab *tabs,
    size_t ntabs)
{
	struct tab	 t[SHM_TABLES];
	size_t		 need;

	if (memcmp(h->magic, SHM_MAGIC, 8) != 0 || h->version != SHM_VERSION ||
	    h->hdrsize != SHM_HDR_SIZE || h->tab[0].nslots < 1 ||
	    h->tab[0].nslots > 100000000)
		return 0;
	need = layout(tabs, ntabs, h->tab[0].nslots, t);
	if (memcmp(t, h->tab, ntabs * sizeof(t[0])) != 0)
		return 0;
	return need <= filesz;
}

/*
 * The table of "kind" (CX_SHM_*) in the mapping, and its slot count in
 * "*n"; NULL if the file has none.
 */
void *
cx_shm_table(struct ce_shm *s, unsigned kind, size_t *n)
{
	size_t	 i;

	for (i = 0; i < s->ntabs; i++)
		if (s->hdr->tab[i].kind == kind) {
			*n = s->hdr->tab[i].nslots;
			return (char *)s->map + s->hdr->tab[i].offset;
		}
	*n = 0;
	return NULL;
}

/*
 * The first table (the dedup table, CX_SHM_DEDUP) and its slot count in
 * "*n", as they were when the file was mapped: a process that rebuilt
 * the file since for another layout does not move them.
 */
void *
cx_shm_first(const struct ce_shm *s, size_t *n)
{
	*n = s->nfirst;
	return s->first;
}

/*
 * Is "tabs" a list of 1 to SHM_TABLES tables, the first the dedup table
 * with a slot count in range?  If not, says why in "err" and returns 0.
 */
static int
tabs_ok(const struct cx_shm_tab *tabs, size_t ntabs, char *err, size_t errsz)
{
	if (ntabs < 1 || ntabs > SHM_TABLES || tabs[0].kind != CX_SHM_DEDUP ||
	    tabs[0].slotsize < 1) {
		snprintf(err, errsz, "shm: bad table list");
		return 0;
	}
	if (tabs[0].nslots < 1 || tabs[0].nslots > 100000000) {
		snprintf(err, errsz, "shm: bad slot count");
		return 0;
	}
	return 1;
}

/*
 * A new header into "h" for the "ntabs" tables "tabs", with a fresh key,
 * the file "fd" of "filesz" bytes grown to hold them (never shrunk, so
 * old mappings stay valid).  Returns the file's new size, or 0 with a
 * reason in "err" (the file may have grown).
 */
static size_t
hdr_rebuild(int fd, size_t filesz, const struct cx_shm_tab *tabs,
    size_t ntabs, struct hdr *h, char *err, size_t errsz)
{
	size_t	 need;

	memset(h, 0, sizeof(*h));
	need = layout(tabs, ntabs, (uint32_t)tabs[0].nslots, h->tab);
	if (filesz < need && ftruncate(fd, (off_t)need) == -1) {
		snprintf(err, errsz, "shm: grow: %s", strerror(errno));
		return 0;
	}
	if (filesz > need)
		need = filesz;
	memcpy(h->magic, SHM_MAGIC, 8);
	h->version = SHM_VERSION;
	h->hdrsize = SHM_HDR_SIZE;
	if (getrandom(h->key, sizeof(h->key), 0) != (ssize_t)sizeof(h->key)) {
		snprintf(err, errsz, "shm: getrandom failed");
		return 0;
	}
	return need;
}

/*
 * Map the "size" bytes of the file of "s", and if "h" is not NULL write
 * it as the header of zeroed tables.  Returns 0, or -1 with a reason in
 * "err" ("s->map" then NULL).
 */
static int
shm_map(struct ce_shm *s, size_t size, const struct hdr *h, char *err,
    size_t errsz)
{
	s->mapsz = size;
	s->map = mmap(NULL, s->mapsz, PROT_READ | PROT_WRITE, MAP_SHARED,
	    s->fd, 0);
	if (s->map == MAP_FAILED) {
		s->map = NULL;
		snprintf(err, errsz, "shm: mmap: %s", strerror(errno));
		return -1;
	}
	if (h != NULL) {
		/* Slots first, header last: a half-built file stays invalid. */
		memset(s->map, 0, s->mapsz);
		memcpy(s->map, h, sizeof(*h));
	}
	s->hdr = s->map;
	s->first = (char *)s->map + SHM_HDR_SIZE;
	s->nfirst = s->hdr->tab[0].nslots;
	return 0;
}

/*
 * Map "path", creating or rebuilding it for the "ntabs" tables "tabs"
 * (the first one CX_SHM_DEDUP) if it is not a valid file of ours with
 * these tables.  A valid file keeps its own dedup slot count.  Returns
 * NULL with a reason in "err" on failure.
 */
struct ce_shm *
cx_shm_open_tabs(const char *path, const struct cx_shm_tab *tabs,
    size_t ntabs, char *err, size_t errsz)
{
	struct ce_shm	*s;
	struct stat	 st;
	struct hdr	 h;
	size_t		 need;
	ssize_t		 n;
	int		 locked = 0, rebuild = 0;

	if (!tabs_ok(tabs, ntabs, err, errsz))
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errsz, "shm: out of memory");
		return NULL;
	}
	s->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->fd == -1) {
		snprintf(err, errsz, "shm: open %s: %s", path, strerror(errno));
		goto fail;
	}
	if (ce_shm_lock(s) == -1) {
		snprintf(err, errsz, "shm: lock: %s", strerror(errno));
		goto fail;
	}
	locked = 1;
	if (fstat(s->fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "shm: %s: not a regular file", path);
		goto fail;
	}
	memset(&h, 0, sizeof(h));
	n = pread(s->fd, &h, sizeof(h), 0);
	if (n != (ssize_t)sizeof(h) ||
	    !hdr_valid(&h, (size_t)st.st_size, tabs, ntabs)) {
		need = hdr_rebuild(s->fd, (size_t)st.st_size, tabs, ntabs,
		    &h, err, errsz);
		if (need == 0)
			goto fail;
		st.st_size = (off_t)need;
		rebuild = 1;
	}
	if (shm_map(s, (size_t)st.st_size, rebuild ? &h : NULL, err,
	    errsz) == -1)
		goto fail;
	s->ntabs = ntabs;
	ce_shm_unlock(s);
	return s;
fail:
	if (locked)
		ce_shm_unlock(s);
	ce_shm_close(s);
	return NULL;
}

/*
 * The process's handle on the file, given to each of its tenants at
 * init: mapped on first use (so the file is made when the first request
 * or turn needs it), and its failure said once.
 */
struct cx_shmfile {
	char		*path;
	struct cx_shm_tab tabs[SHM_TABLES];
	size_t		 ntabs;
	struct cx_log	*log;
	int		 failed;	/* could not map it: database only */
	struct ce_shm	*shm;
};

struct cx_shmfile *
cx_shmfile_new(const char *path, const struct cx_shm_tab *tabs,
    size_t ntabs, struct cx_log *log)
{
	struct cx_shmfile	*f;

	if (ntabs > SHM_TABLES || (f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	if ((f->path = strdup(path)) == NULL) {
		free(f);
		return NULL;
	}
	memcpy(f->tabs, tabs, ntabs * sizeof(tabs[0]));
	f->ntabs = ntabs;
	f->log = log;
	return f;
}

void
cx_shmfile_free(struct cx_shmfile *f)
{
	if (f == NULL)
		return;
	ce_shm_close(f->shm);
	free(f->path);
	free(f);
}

/* The mapping, made on first use; NULL if it cannot be (said once). */
struct ce_shm *
cx_shmfile_get(struct cx_shmfile *f)
{
	char	 err[256];

	if (f == NULL || f->shm != NULL || f->failed)
		return f != NULL ? f->shm : NULL;
	f->shm = cx_shm_open_tabs(f->path, f->tabs, f->ntabs, err,
	    sizeof(err));
	if (f->shm == NULL) {
		f->failed = 1;
		cx_logf(f->log, CE_LOG_ERROR,
		    "%s; de-duplication by the database "
		    "only, no metrics", err);
	}
	return f->shm;
}

/* Is the file mapped (mapping it now if need be)?  For /ready. */
int
cx_shmfile_ok(struct cx_shmfile *f)
{
	return cx_shmfile_get(f) != NULL;
}

void
ce_shm_close(struct ce_shm *s)
{
	if (s == NULL)
		return;
	if (s->map != NULL)
		munmap(s->map, s->mapsz);
	if (s->fd != -1)
		close(s->fd);
	free(s);
}

/* SipHash of "key" under the file's own key; never 0 (a free slot). */
uint64_t
cx_shm_hash(const struct ce_shm *s, const char *key)
{
	uint64_t	 h = ce_siphash(s->hdr->key, key, strlen(key));

	return h != 0 ? h : 1;
}
