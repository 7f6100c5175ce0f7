/*
 * trivial.c -- the benchmark's baseline responders: the least a libfcgi
 * responder can do behind the same lighttpd and pool.  It answers every
 * request with one constant JSON object.  A request for /select1 (every
 * request, with BENCH_TRIVIAL_DB=1) first makes one `SELECT 1` round trip
 * over one libpq connection held by the process (DB_URL, else libpq's PG*
 * variables), opened on first use and reset after a failure, and is
 * answered 503 when that fails.  bench.sh measures both baselines on one
 * pool: a responder holds its connection between /select1 requests.
 *
 * httpd-conf/stack.sh starts it as it starts c2s-enrich (C2S_BIN): `-n`
 * (the configuration check) exits 0, and `-w`/`--worker` exits 0 at once
 * (there is no worker).  Every other variable of the service is ignored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>
#include <libpq-fe.h>

#include "../fcgi/signals.h"

#define STMT	"bench_select1"

static const char body_ok[] = "{\"status\":\"ok\",\"service\":\"trivial\"}\n";
static const char body_db[] = "{\"error\":\"database unavailable\","
    "\"code\":\"database_unavailable\"}\n";

/* The process's connection: NULL until the first request that wants it. */
struct tdb {
	PGconn		*conn;
	const char	*conninfo;
};

/*
 * Connect (once, or again after a failure) and prepare the statement.
 * Returns 0, or -1 with the connection closed and the reason on stderr.
 */
static int
tdb_open(struct tdb *db)
{
	PGresult	*res = NULL;
	int		 rc = -1;

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	PQfinish(db->conn);
	if ((db->conn = PQconnectdb(db->conninfo)) == NULL) {
		fprintf(stderr, "trivial: out of memory\n");
		goto out;
	}
	if (PQstatus(db->conn) != CONNECTION_OK) {
		fprintf(stderr, "trivial: connect: %s",
		    PQerrorMessage(db->conn));
		goto out;
	}
	res = PQprepare(db->conn, STMT, "SELECT 1", 0, NULL);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "trivial: prepare: %s",
		    PQerrorMessage(db->conn));
		goto out;
	}
	rc = 0;
out:
	PQclear(res);
	if (rc == -1) {
		PQfinish(db->conn);
		db->conn = NULL;
	}
	return rc;
}

/* One SELECT 1.  Returns 0, or -1 (the connection is reset next time). */
static int
tdb_select1(struct tdb *db)
{
	PGresult	*res;
	int		 rc = -1;

	if (tdb_open(db) == -1)
		return -1;
	res = PQexecPrepared(db->conn, STMT, 0, NULL, NULL, NULL, 0);
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
	    PQntuples(res) == 1)
		rc = 0;
	else {
		fprintf(stderr, "trivial: select: %s",
		    PQerrorMessage(db->conn));
		PQfinish(db->conn);
		db->conn = NULL;
	}
	PQclear(res);
	return rc;
}

static void
answer(FCGX_Request *r, int status, const char *body, size_t len)
{
	char	 hdr[160];
	int	 n;

	n = snprintf(hdr, sizeof(hdr), "Status: %d\r\nContent-Type: "
	    "application/json\r\nContent-Length: %zu\r\n\r\n", status, len);
	if (n < 0 || (size_t)n >= sizeof(hdr))
		return;
	if (FCGX_PutStr(hdr, n, r->out) != n ||
	    FCGX_PutStr(body, (int)len, r->out) != (int)len)
		return;	/* the client went away: nothing to do */
}

int
main(int argc, char *argv[])
{
	struct tdb	 db = { NULL, "" };
	FCGX_Request	 fr;
	const char	*v;
	int		 use_db, i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "-n") == 0 ||
		    strcmp(argv[i], "-w") == 0 ||
		    strcmp(argv[i], "--worker") == 0)
			return 0;
	v = getenv("BENCH_TRIVIAL_DB");
	use_db = v != NULL && strcmp(v, "1") == 0;
	if ((v = getenv("DB_URL")) != NULL)
		db.conninfo = v;
	if (fcgi_sane_fds() == -1 || fcgi_signals_install(1) == -1) {
		fprintf(stderr, "trivial: setup: %s\n", strerror(errno));
		return 1;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0) {
		fprintf(stderr, "trivial: fcgi: cannot initialise\n");
		return 1;
	}
	while (!fcgi_stop_signal() && FCGX_Accept_r(&fr) >= 0) {
		v = FCGX_GetParam("REQUEST_URI", fr.envp);
		if ((use_db || (v != NULL && strncmp(v, "/select1", 8) == 0)) &&
		    tdb_select1(&db) == -1)
			answer(&fr, 503, body_db, sizeof(body_db) - 1);
		else
			answer(&fr, 200, body_ok, sizeof(body_ok) - 1);
		FCGX_Finish_r(&fr);
	}
	PQfinish(db.conn);
	return 0;
}
