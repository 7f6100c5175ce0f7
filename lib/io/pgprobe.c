/*
 * pgprobe.c -- the pool master's non-blocking PostgreSQL probe (see
 * pgprobe.h).  One connection, one statement at a time; nothing here
 * waits: each call does what the socket allows and returns.  The
 * connection string is never logged.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/util.h"
#include "io/pgprobe.h"

enum step {
	ST_IDLE,		/* not connected: connect at "at" */
	ST_CONNECTING,		/* PQconnectPoll until "at" */
	ST_READY,		/* connected: ask at "at" */
	ST_ASKING		/* statement sent: its answer until "at" */
};

struct cx_pgprobe {
	char			*conninfo;
	char			*sql;
	PGconn			*conn;
	enum step		 step;
	short			 want;		/* POLLIN or POLLOUT */
	long long		 at;		/* the step's deadline or time */
	enum cx_pgprobe_state	 state;
	long long		 value, state_ms;
};

struct cx_pgprobe *
cx_pgprobe_new(const char *conninfo, const char *sql)
{
	struct cx_pgprobe	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if ((p->conninfo = strdup(conninfo)) == NULL ||
	    (p->sql = strdup(sql)) == NULL) {
		cx_pgprobe_free(p);
		return NULL;
	}
	p->value = -1;
	return p;
}

void
cx_pgprobe_free(struct cx_pgprobe *p)
{
	if (p == NULL)
		return;
	if (p->conn != NULL)
		PQfinish(p->conn);
	free(p->conninfo);
	free(p->sql);
	free(p);
}

static void
set_state(struct cx_pgprobe *p, enum cx_pgprobe_state st, long long value,
    long long now)
{
	p->state = st;
	p->value = value;
	p->state_ms = now;
}

/* The connection is lost or useless: drop it, try again soon. */
static void
lost(struct cx_pgprobe *p, long long now)
{
	if (p->conn != NULL)
		PQfinish(p->conn);
	p->conn = NULL;
	p->step = ST_IDLE;
	p->at = now + CX_PGPROBE_RETRY_MS;
	set_state(p, CX_PGPROBE_DOWN, -1, now);
}

static void
connecting(struct cx_pgprobe *p, long long now)
{
	switch (PQconnectPoll(p->conn)) {
	case PGRES_POLLING_OK:
		p->step = ST_READY;
		p->at = now;		/* ask at once */
		break;
	case PGRES_POLLING_READING:
		p->want = POLLIN;
		break;
	case PGRES_POLLING_WRITING:
		p->want = POLLOUT;
		break;
	default:
		lost(p, now);
		break;
	}
}

/* Read what came; an answer complete returns the probe to ST_READY. */
static void
reading(struct cx_pgprobe *p, long long now)
{
	PGresult	*res;
	const char	*state;
	long long	 v;

	if (PQconsumeInput(p->conn) == 0 || PQstatus(p->conn) != CONNECTION_OK) {
		lost(p, now);
		return;
	}
	if (p->step != ST_ASKING)
		return;		/* a notice, or the server's goodbye */
	while (!PQisBusy(p->conn)) {
		if ((res = PQgetResult(p->conn)) == NULL) {
			p->step = ST_READY;
			p->at = now + CX_PGPROBE_EVERY_MS;
			return;
		}
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (PQresultStatus(res) == PGRES_TUPLES_OK &&
		    PQntuples(res) == 1 && ce_strtonum(PQgetvalue(res, 0, 0),
		    0, 1000000, &v) == 0)
			set_state(p, CX_PGPROBE_UP, v, now);
		else if (state != NULL && strcmp(state, "42P01") == 0)
			set_state(p, CX_PGPROBE_NOSCHEMA, -1, now);
		else
			set_state(p, CX_PGPROBE_DOWN, -1, now);
		PQclear(res);
	}
}

void
cx_pgprobe_step(struct cx_pgprobe *p, long long now, short revents)
{
	switch (p->step) {
	case ST_IDLE:
		if (now < p->at)
			return;
		p->conn = PQconnectStart(p->conninfo);
		if (p->conn == NULL || PQstatus(p->conn) == CONNECTION_BAD ||
		    PQsetnonblocking(p->conn, 1) == -1) {
			lost(p, now);
			return;
		}
		p->step = ST_CONNECTING;
		p->want = POLLOUT;
		p->at = now + CX_PGPROBE_WAIT_MS;
		return;
	case ST_CONNECTING:
		if (revents != 0)
			connecting(p, now);
		else if (now >= p->at)
			lost(p, now);
		return;
	case ST_READY:
		if (revents != 0)
			reading(p, now);
		if (p->step != ST_READY || now < p->at)
			return;
		if (PQsendQuery(p->conn, p->sql) == 0) {
			lost(p, now);
			return;
		}
		p->step = ST_ASKING;
		p->at = now + CX_PGPROBE_WAIT_MS;
		(void)PQflush(p->conn);
		return;
	case ST_ASKING:
		if (revents != 0)
			reading(p, now);
		if (p->step == ST_ASKING && now >= p->at)
			lost(p, now);
		return;
	}
}

int
cx_pgprobe_fd(const struct cx_pgprobe *p, short *events)
{
	if (p->conn == NULL || p->step == ST_IDLE)
		return -1;
	*events = p->step == ST_CONNECTING ? p->want : POLLIN;
	return PQsocket(p->conn);
}

long long
cx_pgprobe_wait(const struct cx_pgprobe *p, long long now)
{
	return p->at > now ? p->at - now : 0;
}

enum cx_pgprobe_state
cx_pgprobe_state(const struct cx_pgprobe *p, long long *value,
    long long *at_ms)
{
	if (value != NULL)
		*value = p->value;
	if (at_ms != NULL)
		*at_ms = p->state_ms;
	return p->state;
}
