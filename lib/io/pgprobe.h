/*
 * io/pgprobe.h -- the pool master's own PostgreSQL connection
 * (pgprobe.c), never blocking: connected with PQconnectStart and
 * PQconnectPoll, asked one statement that answers one integer (the
 * schema's version) every CX_PGPROBE_EVERY_MS, and each step driven from
 * the master's poll(2) loop.  It says whether the database answers, what
 * it answered, and when, so /ready is answered without waiting; a server
 * that stops ends the connection, which the next step sees.
 */
#ifndef CE_IO_PGPROBE_H
#define CE_IO_PGPROBE_H

#define CX_PGPROBE_EVERY_MS	5000	/* the statement asked again */
#define CX_PGPROBE_RETRY_MS	500	/* a lost connection made again */
#define CX_PGPROBE_WAIT_MS	2000	/* a connect or an answer given up */

enum cx_pgprobe_state {
	CX_PGPROBE_UNKNOWN,	/* never answered yet */
	CX_PGPROBE_UP,		/* the last statement was answered */
	CX_PGPROBE_DOWN,	/* lost, refused or not answering */
	CX_PGPROBE_NOSCHEMA	/* answered: the statement's table is missing */
};

struct cx_pgprobe;

struct cx_pgprobe *cx_pgprobe_new(const char *conninfo, const char *sql);
void		 cx_pgprobe_free(struct cx_pgprobe *);
/* The fd to poll and its events (POLLIN or POLLOUT), or -1: none now. */
int		 cx_pgprobe_fd(const struct cx_pgprobe *, short *events);
/* Advance at "now_ms", "revents" being the fd's (0 on a timeout). */
void		 cx_pgprobe_step(struct cx_pgprobe *, long long now_ms,
		    short revents);
/* Milliseconds until the probe wants a step without an event. */
long long	 cx_pgprobe_wait(const struct cx_pgprobe *, long long now_ms);
enum cx_pgprobe_state cx_pgprobe_state(const struct cx_pgprobe *,
		    long long *value, long long *at_ms);

#endif /* CE_IO_PGPROBE_H */
