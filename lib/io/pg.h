/*
 * io/pg.h -- the responder's one PostgreSQL connection (pg.c), generic:
 * its creator (app/store.c) hands it a table of statements, run by index.
 *
 * The connection is opened on first use (after fork); a statement is
 * prepared on it lazily by number; a broken connection is reset and its
 * statements re-prepared, and a statement marked safe is then retried
 * once.  Parameters only: no SQL is built from data.  libpq's result
 * goes by its struct tag, struct pg_result: only io/pg.c and
 * app/store.c include <libpq-fe.h>.
 */
#ifndef CE_IO_PG_H
#define CE_IO_PG_H

#include <signal.h>
#include <stddef.h>

#include "core/err.h"

struct cx_db;
struct cx_log;
struct pg_result;

/* A statement to prepare: its number is its index in the table. */
struct cx_pg_stmt {
	const char	*name;
	const char	*sql;
	int		 nparams;
	int		 safe;	/* may be repeated after a reconnect */
};

/* What the connection asks before connecting and tells after (a breaker). */
struct cx_pg_gate {
	int	(*allow)(void *arg);		/* 0: do not connect */
	void	(*report)(void *arg, int ok);
	void	*arg;
};

struct cx_db	*cx_db_new(const char *dsn, long long deadline_ms,
		    struct cx_log *, const struct cx_pg_gate *,
		    const struct cx_pg_stmt *, size_t nstmts);
void		 cx_db_free(struct cx_db *);
void		 cx_db_set_probe(struct cx_db *, int);
enum ce_err	 cx_db_exec(struct cx_db *, size_t stmt, int nparams,
		    const char *const *params, struct pg_result **) CE_WUR;
enum ce_err	 cx_db_begin(struct cx_db *) CE_WUR;
enum ce_err	 cx_db_commit(struct cx_db *) CE_WUR;
void		 cx_db_rollback(struct cx_db *);
const char	*cx_db_sqlstate(const struct cx_db *);
unsigned	 cx_db_resets(const struct cx_db *);
enum ce_err	 cx_db_listen(struct cx_db *) CE_WUR;
int		 cx_db_wait(struct cx_db *, long long ms, const sigset_t *);

#endif /* CE_IO_PG_H */
