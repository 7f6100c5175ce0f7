/*
 * spool.c -- the spool of DESIGN.md section 11.2: no 200 without a record.
 * A request that records work (a lead trigger, a C2S webhook, a Google
 * Ads form) whose database step failed before anything was recorded is
 * written here instead and answered 202; the worker replays it once
 * PostgreSQL answers.
 *
 * Files (spooldir.c).  Each responder appends to a file of its own in
 * SPOOL_DIR, locked while it is open.  The writer closes it, renamed
 * "*.ready", when it next records work in the database, at its first
 * request after 2 s without a record, after 1 MB, or when the process
 * ends; a ".spool" file whose lock is free belonged to a responder that
 * died (SIGKILL) and is as ready as a ".ready" one.
 *
 * Records.  One per request: the header of core/spoolrec.h (magic, length,
 * CRC-32 of the payload; framed and read by spoolrec.c) and a JSON
 * payload {"v", "kind" (lead, enrich, webhook, google), "lead_id" or
 * "body" (the request's JSON as a string, a Google key removed),
 * "received_at", "request_id", "source"}, written with one write() and
 * made durable with fdatasync() before the answer.
 * The directory is bounded by SPOOL_MAX_BYTES (the sizes of its files,
 * summed on each write: the bound may be passed by one record per
 * responder writing at the same instant); full or unwritable, the answer
 * is 503 spool_unavailable with Retry-After.
 *
 * Replay (the worker).  Files in name order, records in file order.  Each
 * record is committed in one transaction with its row in c2s.spool_done
 * (file name and offset): a record already there is skipped, so a worker
 * killed between a commit and the file's deletion never replays twice.  A
 * lead trigger becomes what its route records (the lead 'received', a job
 * of source 'api'), a webhook goes through the handler's ingest, a form
 * through the handler's record (both given by the caller, the worker:
 * this file calls no handler).  A ready file is deleted once all its
 * records are committed; a live one is read up to its last whole record,
 * and where it stopped is remembered.  A torn tail (a writer killed
 * mid-write) or a record whose CRC is wrong is skipped, logged with file
 * and offset, and counted; a header without the magic or with an insane
 * length ends the reading of its file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/brid.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/route.h"
#include "core/spoolrec.h"
#include "io/spooldir.h"
#include "shared/metrics.h"
#include "app/app.h"
#include "app/spool.h"
#include "app/store.h"

#define SPOOL_LIST_MAX		4096	/* files read in one pass */
#define SPOOL_IDLE_US		(2LL * 1000000)	/* then closed */
#define SPOOL_PRUNE_EVERY_US	(3600LL * 1000000)
#define SPOOL_DONE_KEEP_MS	(7LL * 86400 * 1000)

struct cx_spool {
	struct cx_spooldir d;		/* the files */
	int		 spooled;	/* this request went to the spool */
	long long	 next_prune_us;
};

/* The process's spool state, made on first use; NULL without memory. */
static struct cx_spool *
spool(struct cx_app *app)
{
	if (app->spool == NULL) {
		if ((app->spool = calloc(1, sizeof(*app->spool))) == NULL)
			return NULL;
		cx_spooldir_init(&app->spool->d, app->cfg.spool_dir,
		    &app->log);
	}
	return app->spool;
}

/* For /ready and /metrics: see cx_spooldir_depth(). */
int
cx_spool_depth(struct cx_app *app, unsigned long long *files,
    unsigned long long *bytes)
{
	return cx_spooldir_depth(app->cfg.spool_dir, files, bytes);
}

/* Close this process's file, ready for the worker (cx_spooldir_rotate()). */
void
cx_spool_rotate(struct cx_app *app)
{
	if (app->spool != NULL)
		cx_spooldir_rotate(&app->spool->d);
}

/*
 * Between requests: milliseconds until this process's spool file has had
 * no record for SPOOL_IDLE_US (0: it has), or -1 when it holds none.  A
 * responder waiting for a request wakes then and closes it with
 * cx_spool_idle(), so the worker may replay it even when no request comes.
 */
long long
cx_spool_wait_ms(struct cx_app *app)
{
	struct cx_spool	*sp = app->spool;
	long long	 left;

	if (sp == NULL || sp->d.fd == -1)
		return -1;
	left = sp->d.last_us + SPOOL_IDLE_US - cx_now_us();
	return left > 0 ? (left + 999) / 1000 : 0;
}

void
cx_spool_idle(struct cx_app *app)
{
	if (cx_spool_wait_ms(app) == 0)
		cx_spool_rotate(app);
}

/*
 * After a request: one that recorded work in the database (a 2xx of a
 * recording route, or /ready's 200), or any request once the file has had
 * no record for SPOOL_IDLE_US, closes a file this process spooled to, so
 * the worker may replay and delete it.
 */
void
cx_spool_settle(struct cx_app *app, enum ce_route route, int status)
{
	struct cx_spool	*sp = app->spool;
	int		 spooled;

	if (sp == NULL)
		return;
	spooled = sp->spooled;
	sp->spooled = 0;
	if (sp->d.fd == -1 || spooled)
		return;
	if (cx_now_us() - sp->d.last_us >= SPOOL_IDLE_US) {
		cx_spool_rotate(app);
		return;
	}
	if (status < 200 || status > 299)
		return;
	switch (route) {
	case CE_ROUTE_READY:
	case CE_ROUTE_LEADS_PROCESS:
	case CE_ROUTE_C2S_ENRICH:
	case CE_ROUTE_WEBHOOK_C2S:
	case CE_ROUTE_WEBHOOK_GOOGLE:
		cx_spool_rotate(app);
		break;
	default:
		break;
	}
}

void
cx_spool_free(struct cx_spool *sp)
{
	free(sp);
}

/* Now as ISO 8601 UTC with milliseconds. */
static void
iso_now(char *out, size_t sz)
{
	struct timespec	 ts;
	struct tm	 tm;
	char		 s[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, sz, "%.20s.%03dZ", s, (int)(ts.tv_nsec / 1000000 % 1000));
}

/* The payload of a record, JSON, into "b". */
static enum ce_err
payload(struct cx_app *app, struct ce_buf *b, const char *kind,
    const char *lead_id, const char *body, size_t bodylen)
{
	const char	*source;
	char		 now[40];
	enum ce_err	 er;

	source = strcmp(kind, "webhook") == 0 ? "webhook" :
	    strcmp(kind, "google") == 0 ? "google_ads" : "api";
	iso_now(now, sizeof(now));
	if ((er = ce_buf_printf(b, "{\"v\":1,\"kind\":\"%s\",\"source\":\"%s\","
	    "\"received_at\":\"%s\",\"request_id\":", kind, source, now)) !=
	    CE_OK ||
	    (er = ce_buf_json_str(b, app->log.reqid,
	    strlen(app->log.reqid))) != CE_OK)
		return er;
	if (lead_id != NULL &&
	    (er = ce_buf_printf(b, ",\"lead_id\":\"%s\"", lead_id)) != CE_OK)
		return er;
	if (body != NULL && ((er = ce_buf_puts(b, ",\"body\":")) != CE_OK ||
	    (er = ce_buf_json_str(b, body, bodylen)) != CE_OK))
		return er;
	return ce_buf_puts(b, "}");
}

/*
 * Write the record of a request PostgreSQL could not take: see
 * cx_spool_put().  Returns CE_OK (counted and logged), CE_EUNAVAIL
 * when the spool is full or cannot be written (counted and logged), or
 * CE_ENOMEM.
 */
static enum ce_err
put(struct cx_app *app, struct cx_spool *sp, const char *kind,
    const char *lead_id, const char *body, size_t bodylen)
{
	struct ce_buf	 p, rec;
	enum ce_err	 er;

	ce_buf_init(&p, CE_SPOOL_REC_MAX);
	ce_buf_init(&rec, CE_SPOOL_REC_MAX + CE_SPOOL_HDR);
	er = app->cfg.spool_max_bytes == 0 ? CE_E2BIG :
	    payload(app, &p, kind, lead_id, body, bodylen);
	if (er == CE_OK && (er = ce_spool_frame(&rec, p.data, p.len)) == CE_OK)
		er = cx_spooldir_append(&sp->d, &rec,
		    app->cfg.spool_max_bytes);
	ce_buf_free(&p);
	ce_buf_free(&rec);
	if (er == CE_ENOMEM)
		return er;
	if (er != CE_OK) {
		cx_mtab_spool(&app->mtab, CX_SPOOL_REFUSED, 1);
		cx_logf(&app->log, CE_LOG_ERROR,
		    "spool: %s request refused: %s",
		    kind, er == CE_E2BIG ? "spool full (SPOOL_MAX_BYTES)" :
		    "spool unwritable");
		return CE_EUNAVAIL;
	}
	sp->spooled = 1;
	cx_mtab_spool(&app->mtab, CX_SPOOL_WRITTEN, 1);
	cx_logf(&app->log, CE_LOG_WARN, "spool: %s request spooled to %s.spool",
	    kind, sp->d.name);
	return CE_OK;
}

/*
 * Spool a request PostgreSQL could not take.  "kind" is lead, enrich,
 * webhook or google; "lead_id" (a lead trigger) or "body" (the JSON the
 * request carried, without secrets) says what to replay.  Returns CE_OK
 * (spooled), CE_EUNAVAIL when the spool is full or cannot be written, or
 * CE_ENOMEM; web/resp.c's cx_resp_spooled() answers the request (202, or
 * 503 spool_unavailable).
 */
enum ce_err
cx_spool_put(struct cx_app *app, const char *kind, const char *lead_id,
    const char *body, size_t bodylen)
{
	struct cx_spool	*sp;

	if ((sp = spool(app)) == NULL)
		return CE_ENOMEM;
	return put(app, sp, kind, lead_id, body, bodylen);
}

/*
 * Replay.
 */

/*
 * Commit record "id" (file:offset) whose payload is "pl": its row in
 * c2s.spool_done and what it records, in one transaction.  Returns
 * CE_OK (done now or before; "*what" says which kind, "skipped" for a
 * payload that makes no sense) or CE_EDB (nothing committed).
 */
static enum ce_err
apply(struct cx_app *app, const struct cx_spool_sinks *sinks, const char *id,
    const char *pl, size_t len, const char **what)
{
	json_t		*j;
	const char	*kind, *lid, *body;
	char		 lead[33];
	int		 first = 0;
	enum ce_err	 er = CE_OK;

	j = json_loadb(pl, len, 0, NULL);
	kind = json_string_value(json_object_get(j, "kind"));
	lid = json_string_value(json_object_get(j, "lead_id"));
	body = json_string_value(json_object_get(j, "body"));
	/* "kind" as a constant: "*what" outlives "j". */
	if (kind != NULL && (strcmp(kind, "lead") == 0 ||
	    strcmp(kind, "enrich") == 0))
		kind = lid != NULL && ce_lead_id_norm(lid, lead) ?
		    (kind[0] == 'l' ? "lead" : "enrich") : "skipped";
	else if (kind != NULL && strcmp(kind, "webhook") == 0)
		kind = body != NULL ? "webhook" : "skipped";
	else if (kind != NULL && strcmp(kind, "google") == 0)
		kind = body != NULL ? "google" : "skipped";
	else
		kind = "skipped";
	*what = kind;
	if (cx_store_begin(app->db) != CE_OK) {
		json_decref(j);
		return CE_EDB;
	}
	if ((er = cx_store_spool_done(app->db, id, kind, &first)) != CE_OK)
		goto out;
	if (!first) {
		/* Committed by an earlier replay. */
		*what = "done_before";
		cx_store_rollback(app->db);
		json_decref(j);
		return CE_OK;
	}
	if (strcmp(kind, "lead") == 0 || strcmp(kind, "enrich") == 0) {
		er = cx_store_spool_lead(app->db, lead,
		    2 * app->cfg.job_timeout_ms);
	} else if (strcmp(kind, "webhook") == 0)
		er = sinks->webhook(app, body, strlen(body));
	else if (strcmp(kind, "google") == 0)
		er = sinks->google(app, body);
	if (er == CE_EINPUT) {
		/* Spooled after a check it passed: should not happen. */
		*what = "skipped";
		er = CE_OK;
	}
out:
	json_decref(j);
	if (er != CE_OK) {
		cx_store_rollback(app->db);
		return CE_EDB;
	}
	return cx_store_commit(app->db) == CE_OK ? CE_OK : CE_EDB;
}

struct pass {
	long long	 replayed, leads, torn, corrupt;
};

/*
 * Log and count the bad record "rd" (CX_SPOOL_RD_NOHDR, _TORN or _CRC) of
 * file "name" at "*off" ("avail" bytes left before "size", a record of
 * "len" bytes), and move "*off" past it.  Returns 1 when the rest of the
 * file is skipped ("*off" at "size"), 0 when the next record is read.
 */
static int
skip_bad(struct cx_app *app, enum cx_spool_rd rd, const char *name,
    off_t *off, off_t size, size_t avail, size_t len, struct pass *ps)
{
	if (rd == CX_SPOOL_RD_NOHDR) {
		cx_logf(&app->log, CE_LOG_ERROR,
		    "spool: %s offset "
		    "%lld: no record header; the rest of the "
		    "file (%zu bytes) is skipped", name,
		    (long long)*off, avail);
		ps->corrupt++;
		cx_mtab_spool(&app->mtab, CX_SPOOL_CORRUPT, 1);
		*off = size;
		return 1;
	}
	if (rd == CX_SPOOL_RD_TORN) {
		cx_logf(&app->log, CE_LOG_WARN,
		    "spool: %s offset %lld: torn "
		    "last record (%zu of %zu bytes) skipped", name,
		    (long long)*off, avail, CE_SPOOL_HDR + len);
		ps->torn++;
		cx_mtab_spool(&app->mtab, CX_SPOOL_TORN, 1);
		*off = size;
		return 1;
	}
	cx_logf(&app->log, CE_LOG_WARN,
	    "spool: %s offset %lld: CRC "
	    "mismatch; record of %zu bytes skipped", name,
	    (long long)*off, len);
	ps->corrupt++;
	cx_mtab_spool(&app->mtab, CX_SPOOL_CORRUPT, 1);
	*off += (off_t)(CE_SPOOL_HDR + len);
	return 0;
}

/*
 * Replay the records of file "name" (open on "fd") from "*off".  "owned":
 * its writer is gone, so a cut tail is torn; else it is still being
 * written.  Returns 0 with "*off" at the end of what was read (the file's
 * end when "owned"), or -1 when the database failed ("*off" at the record
 * it failed on).
 */
static int
replay_file(struct cx_app *app, const struct cx_spool_sinks *sinks, int fd,
    const char *name, off_t *off, int owned, struct pass *ps)
{
	struct stat	 st;
	unsigned char	*buf;
	size_t		 len, avail;
	char		 id[CX_SPOOL_NAME_MAX + 24];
	const char	*what;
	enum cx_spool_rd rd;

	if (fstat(fd, &st) == -1)
		return 0;
	while (*off < st.st_size) {
		avail = (size_t)(st.st_size - *off);
		rd = cx_spooldir_read(fd, *off, st.st_size, owned, &buf, &len);
		if (rd == CX_SPOOL_RD_END)
			break;
		if (rd == CX_SPOOL_RD_NOMEM)
			return -1;
		if (rd != CX_SPOOL_RD_OK) {
			if (skip_bad(app, rd, name, off, st.st_size, avail, len,
			    ps))
				break;
			continue;
		}
		snprintf(id, sizeof(id), "%s:%lld", name, (long long)*off);
		if (apply(app, sinks, id, (const char *)buf + CE_SPOOL_HDR,
		    len, &what) != CE_OK) {
			free(buf);
			return -1;
		}
		free(buf);
		if (strcmp(what, "skipped") == 0) {
			cx_logf(&app->log, CE_LOG_WARN,
			    "spool: %s offset %lld: "
			    "payload not understood; skipped", name,
			    (long long)*off);
			ps->corrupt++;
			cx_mtab_spool(&app->mtab, CX_SPOOL_CORRUPT, 1);
		} else if (strcmp(what, "done_before") != 0) {
			ps->replayed++;
			if (strcmp(what, "lead") == 0 ||
			    strcmp(what, "enrich") == 0)
				ps->leads++;
			cx_mtab_spool(&app->mtab, CX_SPOOL_REPLAYED, 1);
		}
		*off += (off_t)(CE_SPOOL_HDR + len);
	}
	if (owned)
		*off = st.st_size;
	return 0;
}

/* Rows of c2s.spool_done older than any file can be: once an hour. */
static void
prune(struct cx_app *app, struct cx_spool *sp)
{
	long long	 now = cx_now_us();

	if (now < sp->next_prune_us)
		return;
	sp->next_prune_us = now + SPOOL_PRUNE_EVERY_US;
	if (cx_store_spool_prune(app->db, SPOOL_DONE_KEEP_MS) != CE_OK)
		sp->next_prune_us = now + 60LL * 1000000;
}

/*
 * The worker: replay what the spool holds (see the top of this file),
 * webhooks and forms through "sinks".
 * Returns the records committed, or -1 when the database failed (what
 * was committed stays; the rest is replayed on the next call).
 */
long long
cx_spool_replay(struct cx_app *app, const struct cx_spool_sinks *sinks)
{
	struct cx_spool	*sp;
	struct pass	 ps;
	struct cx_spool_live *l;
	char		**names, path[512];
	size_t		 n, i;
	ino_t		 ino;
	off_t		 off;
	int		 fd, owned, rc = 0;

	if ((sp = spool(app)) == NULL)
		return 0;
	if ((names = calloc(SPOOL_LIST_MAX, sizeof(*names))) == NULL)
		return 0;
	memset(&ps, 0, sizeof(ps));
	n = cx_spooldir_list(&sp->d, names, SPOOL_LIST_MAX);
	for (i = 0; i < n && rc == 0; i++) {
		if ((fd = cx_spooldir_open(&sp->d, names[i], path,
		    sizeof(path), &ino, &owned)) == -1)
			continue;
		l = cx_spooldir_live_find(&sp->d, names[i], ino, !owned);
		off = l != NULL ? l->off : 0;
		rc = replay_file(app, sinks, fd, names[i], &off, owned, &ps);
		if (rc == 0 && owned) {
			/* All committed (or skipped and counted): gone. */
			if (cx_spooldir_remove(&sp->d, path) == 0)
				cx_logf(&app->log, CE_LOG_INFO,
				    "spool: %s replayed "
				    "and deleted", names[i]);
			cx_spooldir_live_forget(&sp->d, l);
		} else if (l != NULL)
			l->off = off;
		else if (off > 0 && (l = cx_spooldir_live_find(&sp->d,
		    names[i], ino, 1)) != NULL)
			l->off = off;
		close(fd);	/* and the lock with it */
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (ps.replayed > 0 || ps.torn > 0 || ps.corrupt > 0)
		cx_logf(&app->log, ps.torn + ps.corrupt > 0 ? CE_LOG_WARN :
		    CE_LOG_INFO, "spool: %lld records replayed (%lld leads), "
		    "%lld torn and %lld corrupt skipped", ps.replayed,
		    ps.leads, ps.torn, ps.corrupt);
	if (ps.leads > 0)
		(void)cx_store_notify(app->db, "lead");
	if (rc == 0 && n == 0)
		prune(app, sp);
	return rc == -1 ? -1 : ps.replayed;
}
