/*
 * io/shmfile.h -- the file every responder of a machine maps
 * (DEDUP_FILE) (shmfile.c): a header with a random hash key and a
 * directory of tables, each table on its own pages, and one lock.
 *
 * The layout is the caller's list of tables, in order, the first one
 * always the dedup table (CX_SHM_DEDUP): a file whose header does not
 * describe that list exactly is rebuilt, never trusted, and it only
 * grows.  A process's handle, struct cx_shmfile, maps the file on first
 * use and says a failure once; each tenant of shared/ is given it at
 * init and finds its table by kind.  The lock is an open-file-
 * description lock, dropped by the kernel when its holder dies.  Such a
 * lock belongs to the open file description, which fork() shares: a
 * child must never use a handle it inherited (its locks would not
 * exclude its parent's), but open the file itself (docs/POOL-PLAN.md
 * section 3); cx_shmfile_free() in the child drops an inherited one
 * without touching the parent's lock.
 */
#ifndef CE_IO_SHMFILE_H
#define CE_IO_SHMFILE_H

#include <stddef.h>
#include <stdint.h>

struct cx_log;

/* The tables of the file, by kind; the dedup table comes first. */
#define CX_SHM_DEDUP	1
#define CX_SHM_METRICS	2
#define CX_SHM_PROCS	3
#define CX_SHM_BREAKERS	4
#define CX_SHM_SPACING	5
#define CX_SHM_RATE	6
#define CX_SHM_POOL	7	/* the pool's scoreboard (shared/scoreboard.h) */

struct cx_shm_tab {
	unsigned	 kind;		/* CX_SHM_* */
	size_t		 nslots;
	size_t		 slotsize;
};

/* A mapping of the file. */
struct ce_shm;

struct ce_shm	*cx_shm_open_tabs(const char *path, const struct cx_shm_tab *,
		    size_t ntabs, char *err, size_t errsz);
void		 ce_shm_close(struct ce_shm *);
int		 ce_shm_lock(struct ce_shm *);
int		 ce_shm_trylock(struct ce_shm *);
void		 ce_shm_unlock(struct ce_shm *);
void		*cx_shm_table(struct ce_shm *, unsigned kind, size_t *n);
void		*cx_shm_first(const struct ce_shm *, size_t *n);
uint64_t	 cx_shm_hash(const struct ce_shm *, const char *);

/* A process's handle on the file: mapped on first use. */
struct cx_shmfile;

struct cx_shmfile *cx_shmfile_new(const char *path,
		    const struct cx_shm_tab *, size_t ntabs, struct cx_log *);
void		 cx_shmfile_free(struct cx_shmfile *);
struct ce_shm	*cx_shmfile_get(struct cx_shmfile *);
int		 cx_shmfile_ok(struct cx_shmfile *);

#endif /* CE_IO_SHMFILE_H */
