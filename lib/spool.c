/*
 * spool.c -- the spool of DESIGN.md section 11.2: no 200 without a record.
 * A request that records work (a lead trigger, a C2S webhook, a Google
 * Ads form) whose database step failed before anything was recorded is
 * written here instead and answered 202; the worker replays it once
 * PostgreSQL answers.
 *
 * Files.  Each responder appends to a file of its own in SPOOL_DIR,
 * named "<wall clock in us, 16 digits>-<pid>-<n>.spool" (names sort in
 * creation order), mode 0600, under an exclusive flock held as long as
 * it is open.  It is made under a hidden name (".new-...") and locked
 * before it is renamed into view, so no reader ever finds it unlocked
 * while its writer lives.  The writer closes it, renamed "*.ready", when
 * it next records work in the database, at its first request after 2 s
 * without a record, after CX_SPOOL_FILE_MAX bytes, or when the process
 * ends; a ".spool" file whose lock is free belonged
 * to a responder that died (SIGKILL) and is as ready as a ".ready" one.
 *
 * Records.  One per request: the header of c2s-enrich.h (magic, length,
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

#include <jansson.h>

#include "c2s-enrich.h"
#include "extern.h"

#define CX_SPOOL_FILE_MAX	(1024 * 1024)	/* then a new file */
#define SPOOL_NAME_MAX		64
#define SPOOL_LIVE_MAX		64	/* live files remembered */
#define SPOOL_LIST_MAX		4096	/* files read in one pass */
#define SPOOL_RETRY_AFTER	"5"	/* seconds, in a 503 */
#define SPOOL_IDLE_US		(2LL * 1000000)	/* then closed */
#define SPOOL_PRUNE_EVERY_US	(3600LL * 1000000)
#define SPOOL_DONE_KEEP_MS	(7LL * 86400 * 1000)

struct live {
	char		 name[SPOOL_NAME_MAX];
	ino_t		 ino;
	off_t		 off;		/* replayed up to here */
};

struct cx_spool {
	/* The responder's own file. */
	int		 fd;		/* -1: none open */
	char		 name[SPOOL_NAME_MAX];	/* without ".spool" */
	off_t		 size;
	long long	 last_us;	/* last record written (cx_now_us) */
	unsigned	 files;		/* made by this process */
	int		 spooled;	/* this request went to the spool */
	/* The worker's memory of live files. */
	struct live	 live[SPOOL_LIVE_MAX];
	size_t		 nlive;
	long long	 next_prune_us;
};

/* The process's spool state, made on first use; NULL without memory. */
static struct cx_spool *
spool(struct ce_ctx *ctx)
{
	if (ctx->spool == NULL) {
		if ((ctx->spool = calloc(1, sizeof(*ctx->spool))) == NULL)
			return NULL;
		ctx->spool->fd = -1;
	}
	return ctx->spool;
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

	return name[0] != '.' && n > 6 && n < SPOOL_NAME_MAX &&
	    (strcmp(name + n - 6, ".spool") == 0 ||
	    strcmp(name + n - 6, ".ready") == 0);
}

/*
 * Count the spool files of "dir" and their bytes.  Returns 0, or -1 when
 * the directory cannot be read (missing: 0 files).
 */
static int
depth(const char *dir, unsigned long long *files, unsigned long long *bytes)
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

/* For /ready and /metrics: see depth(). */
int
cx_spool_depth(struct ce_ctx *ctx, unsigned long long *files,
    unsigned long long *bytes)
{
	return depth(ctx->cfg.spool_dir, files, bytes);
}

/* Make the directory's entries durable; a failure is only logged. */
static void
sync_dir(struct ce_ctx *ctx)
{
	int	 fd;

	if ((fd = open(ctx->cfg.spool_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || fsync(fd) == -1)
		cx_logf(&ctx->log, CE_LOG_WARN, "spool: sync of %s: %s",
		    ctx->cfg.spool_dir, strerror(errno));
	if (fd != -1)
		close(fd);
}

/*
 * Open a new file of this process: made hidden, locked, then renamed
 * into view.  Returns 0, or -1 (logged).
 */
static int
file_open(struct ce_ctx *ctx, struct cx_spool *sp)
{
	struct timespec	 ts;
	char		 tmp[512], path[512];
	int		 fd = -1;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(sp->name, sizeof(sp->name), "%016lld-%ld-%u",
	    (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000,
	    (long)getpid(), sp->files++);
	if (mkdir(ctx->cfg.spool_dir, 0700) == -1 && errno != EEXIST) {
		cx_logf(&ctx->log, CE_LOG_ERROR, "spool: mkdir %s: %s",
		    ctx->cfg.spool_dir, strerror(errno));
		return -1;
	}
	if (path_of(tmp, sizeof(tmp), ctx->cfg.spool_dir, ".new-",
	    sp->name) == -1 ||
	    path_of(path, sizeof(path), ctx->cfg.spool_dir, sp->name,
	    ".spool") == -1) {
		cx_logf(&ctx->log, CE_LOG_ERROR, "spool: SPOOL_DIR too long");
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_APPEND |
	    O_CLOEXEC | O_NOFOLLOW, 0600)) == -1) {
		cx_logf(&ctx->log, CE_LOG_ERROR, "spool: create %s: %s", tmp,
		    strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1 || rename(tmp, path) == -1) {
		cx_logf(&ctx->log, CE_LOG_ERROR,
		    "spool: lock or rename %s: %s", tmp,
		    strerror(errno));
		(void)unlink(tmp);
		close(fd);
		return -1;
	}
	sync_dir(ctx);
	sp->fd = fd;
	sp->size = 0;
	cx_logf(&ctx->log, CE_LOG_WARN, "spool: writing %s.spool", sp->name);
	return 0;
}

/*
 * Close this process's file, renamed "*.ready" for the worker (a failed
 * rename leaves a ".spool" file whose lock is free: ready all the same).
 */
void
cx_spool_rotate(struct ce_ctx *ctx)
{
	struct cx_spool	*sp = ctx->spool;
	char		 from[512], to[512];

	if (sp == NULL || sp->fd == -1)
		return;
	if (path_of(from, sizeof(from), ctx->cfg.spool_dir, sp->name,
	    ".spool") == 0 && path_of(to, sizeof(to), ctx->cfg.spool_dir,
	    sp->name, ".ready") == 0 && rename(from, to) == -1)
		cx_logf(&ctx->log, CE_LOG_WARN, "spool: rename %s: %s", from,
		    strerror(errno));
	close(sp->fd);
	sp->fd = -1;
	cx_logf(&ctx->log, CE_LOG_INFO,
	    "spool: %s ready (%lld bytes)", sp->name,
	    (long long)sp->size);
}

/*
 * After a request: one that recorded work in the database (a 2xx of a
 * recording route, or /ready's 200), or any request once the file has had
 * no record for SPOOL_IDLE_US, closes a file this process spooled to, so
 * the worker may replay and delete it.
 */
void
cx_spool_settle(struct ce_ctx *ctx, enum ce_route route, int status)
{
	struct cx_spool	*sp = ctx->spool;
	int		 spooled;

	if (sp == NULL)
		return;
	spooled = sp->spooled;
	sp->spooled = 0;
	if (sp->fd == -1 || spooled)
		return;
	if (cx_now_us() - sp->last_us >= SPOOL_IDLE_US) {
		cx_spool_rotate(ctx);
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
		cx_spool_rotate(ctx);
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

/*
 * Append record "rec" to this process's file and make it durable.
 * Returns CE_OK, CE_E2BIG (the directory is full) or CE_ESYSTEM (it
 * cannot be written: logged); nothing of a failed record stays.
 */
static enum ce_err
append(struct ce_ctx *ctx, struct cx_spool *sp, const struct ce_buf *rec)
{
	unsigned long long	 files, bytes;
	size_t			 off = 0;
	ssize_t			 n = -1;

	if ((long long)rec->len > ctx->cfg.spool_max_bytes)
		return CE_E2BIG;
	if (depth(ctx->cfg.spool_dir, &files, &bytes) == -1) {
		cx_logf(&ctx->log, CE_LOG_ERROR, "spool: read %s: %s",
		    ctx->cfg.spool_dir, strerror(errno));
		return CE_ESYSTEM;
	}
	if (bytes + rec->len > (unsigned long long)ctx->cfg.spool_max_bytes)
		return CE_E2BIG;
	if (sp->fd == -1 && file_open(ctx, sp) == -1)
		return CE_ESYSTEM;
	while (off < rec->len) {
		n = write(sp->fd, rec->data + off, rec->len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fdatasync(sp->fd) == -1)
		goto fail;
	sp->size += (off_t)rec->len;
	sp->last_us = cx_now_us();
	if (sp->size >= CX_SPOOL_FILE_MAX)
		cx_spool_rotate(ctx);
	return CE_OK;
fail:
	cx_logf(&ctx->log, CE_LOG_ERROR, "spool: write %s.spool: %s", sp->name,
	    n == 0 ? "no progress" : strerror(errno));
	/* Take back what was written; else leave the tail to the worker's
	 * torn-record check, in a file closed now. */
	if (ftruncate(sp->fd, sp->size) == -1 || fdatasync(sp->fd) == -1)
		cx_spool_rotate(ctx);
	return CE_ESYSTEM;
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
payload(struct ce_ctx *ctx, struct ce_buf *b, const char *kind,
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
	    (er = ce_buf_json_str(b, ctx->log.reqid,
	    strlen(ctx->log.reqid))) != CE_OK)
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
 * Spool a request PostgreSQL could not take, and answer it: 202
 * {"success":true,"status":"queued","spooled":true,...} with "extra"
 * (JSON members, or NULL) saying what it was, or 503 spool_unavailable
 * with Retry-After when the spool is full or cannot be written.  "kind"
 * is lead, enrich, webhook or google; "lead_id" (a lead trigger) or
 * "body" (the JSON the request carried, without secrets) says what to
 * replay.  Returns CE_OK once the 202 is written, else an error for
 * ce_handle() to answer (CE_EUNAVAIL: the 503, its code and text
 * recorded with cx_fail()).
 */
enum ce_err
cx_spool_request(struct ce_ctx *ctx, const char *kind, const char *lead_id,
    const char *body, size_t bodylen, const char *extra,
    struct ce_resp *resp)
{
	struct cx_spool	*sp;
	struct ce_buf	 p, rec;
	enum ce_err	 er;

	if ((sp = spool(ctx)) == NULL)
		return CE_ENOMEM;
	ce_buf_init(&p, CE_SPOOL_REC_MAX);
	ce_buf_init(&rec, CE_SPOOL_REC_MAX + CE_SPOOL_HDR);
	er = ctx->cfg.spool_max_bytes == 0 ? CE_E2BIG :
	    payload(ctx, &p, kind, lead_id, body, bodylen);
	if (er == CE_OK && (er = ce_spool_frame(&rec, p.data, p.len)) == CE_OK)
		er = append(ctx, sp, &rec);
	ce_buf_free(&p);
	ce_buf_free(&rec);
	if (er == CE_ENOMEM)
		return er;
	if (er != CE_OK) {
		cx_metrics_spool(ctx, CX_SPOOL_REFUSED, 1);
		cx_logf(&ctx->log, CE_LOG_ERROR,
		    "spool: %s request refused: %s",
		    kind, er == CE_E2BIG ? "spool full (SPOOL_MAX_BYTES)" :
		    "spool unwritable");
		(void)cx_resp_header(resp, "Retry-After", SPOOL_RETRY_AFTER);
		return cx_fail(resp, CE_EUNAVAIL, "spool_unavailable",
		    "the database is unavailable and the spool cannot take "
		    "the request; retry later");
	}
	sp->spooled = 1;
	cx_metrics_spool(ctx, CX_SPOOL_WRITTEN, 1);
	cx_logf(&ctx->log, CE_LOG_WARN, "spool: %s request spooled to %s.spool",
	    kind, sp->name);
	resp->status = 202;
	resp->ctype = "application/json";
	ce_buf_reset(resp->body);
	if ((er = ce_buf_puts(resp->body, "{\"success\":true,\"status\":"
	    "\"queued\",\"spooled\":true,\"message\":\"the database is "
	    "unavailable: the request is kept and runs once it is back\","
	    "\"request_id\":")) != CE_OK ||
	    (er = ce_buf_json_str(resp->body, ctx->log.reqid,
	    strlen(ctx->log.reqid))) != CE_OK ||
	    (extra != NULL && ((er = ce_buf_puts(resp->body, ",")) != CE_OK ||
	    (er = ce_buf_puts(resp->body, extra)) != CE_OK)) ||
	    (er = ce_buf_puts(resp->body, "}\n")) != CE_OK)
		return er;
	return CE_OK;
}

/*
 * Replay.
 */

/*
 * The memory of live file "name" (inode "ino"), made when "make" and
 * it is not there; NULL otherwise.  "name" is a spool_name().
 */
static struct live *
live_find(struct cx_spool *sp, const char *name, ino_t ino, int make)
{
	size_t	 i;
	size_t	 base = strlen(name) - 6;	/* without the suffix */

	/* By inode and base name: a live file renamed ready is the same. */
	for (i = 0; i < sp->nlive; i++)
		if (sp->live[i].ino == ino &&
		    strncmp(sp->live[i].name, name, base) == 0 &&
		    strlen(sp->live[i].name) == base + 6)
			return &sp->live[i];
	if (!make)
		return NULL;
	if (sp->nlive == SPOOL_LIVE_MAX)
		sp->nlive--;	/* forget the last: it is read anew */
	i = sp->nlive++;
	ce_strlcpy(sp->live[i].name, name, sizeof(sp->live[i].name));
	sp->live[i].ino = ino;
	sp->live[i].off = 0;
	return &sp->live[i];
}

static void
live_forget(struct cx_spool *sp, struct live *l)
{
	if (l == NULL)
		return;
	*l = sp->live[--sp->nlive];
}

/*
 * Commit record "id" (file:offset) whose payload is "pl": its row in
 * c2s.spool_done and what it records, in one transaction.  Returns
 * CE_OK (done now or before; "*what" says which kind, "skipped" for a
 * payload that makes no sense) or CE_EDB (nothing committed).
 */
static enum ce_err
apply(struct ce_ctx *ctx, const struct cx_spool_sinks *sinks, const char *id,
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
	if (cx_store_begin(ctx->db) != CE_OK) {
		json_decref(j);
		return CE_EDB;
	}
	if ((er = cx_store_spool_done(ctx->db, id, kind, &first)) != CE_OK)
		goto out;
	if (!first) {
		/* Committed by an earlier replay. */
		*what = "done_before";
		cx_store_rollback(ctx->db);
		json_decref(j);
		return CE_OK;
	}
	if (strcmp(kind, "lead") == 0 || strcmp(kind, "enrich") == 0) {
		er = cx_store_spool_lead(ctx->db, lead,
		    2 * ctx->cfg.job_timeout_ms);
	} else if (strcmp(kind, "webhook") == 0)
		er = sinks->webhook(ctx, body, strlen(body));
	else if (strcmp(kind, "google") == 0)
		er = sinks->google(ctx, body);
	if (er == CE_EINPUT) {
		/* Spooled after a check it passed: should not happen. */
		*what = "skipped";
		er = CE_OK;
	}
out:
	json_decref(j);
	if (er != CE_OK) {
		cx_store_rollback(ctx->db);
		return CE_EDB;
	}
	return cx_store_commit(ctx->db) == CE_OK ? CE_OK : CE_EDB;
}

struct pass {
	long long	 replayed, leads, torn, corrupt;
};

/*
 * Replay the records of file "name" (open on "fd") from "*off".  "owned":
 * its writer is gone, so a cut tail is torn; else it is still being
 * written.  Returns 0 with "*off" at the end of what was read (the file's
 * end when "owned"), or -1 when the database failed ("*off" at the record
 * it failed on).
 */
static int
replay_file(struct ce_ctx *ctx, const struct cx_spool_sinks *sinks, int fd,
    const char *name, off_t *off, int owned, struct pass *ps)
{
	struct stat	 st;
	unsigned char	 hdr[CE_SPOOL_HDR], *buf;
	size_t		 len, avail;
	char		 id[SPOOL_NAME_MAX + 24];
	const char	*what;
	ssize_t		 n;

	if (fstat(fd, &st) == -1)
		return 0;
	while (*off < st.st_size) {
		avail = (size_t)(st.st_size - *off);
		len = 0;
		if (avail >= sizeof(hdr)) {
			if (pread(fd, hdr, sizeof(hdr), *off) !=
			    (ssize_t)sizeof(hdr))
				break;
			if (ce_spool_header(hdr, &len) == -1) {
				cx_logf(&ctx->log, CE_LOG_ERROR,
				    "spool: %s offset "
				    "%lld: no record header; the rest of the "
				    "file (%zu bytes) is skipped", name,
				    (long long)*off, avail);
				ps->corrupt++;
				cx_metrics_spool(ctx, CX_SPOOL_CORRUPT, 1);
				*off = st.st_size;
				break;
			}
		}
		if (avail < sizeof(hdr) || avail - sizeof(hdr) < len) {
			if (!owned)
				break;		/* still being written */
			cx_logf(&ctx->log, CE_LOG_WARN,
			    "spool: %s offset %lld: torn "
			    "last record (%zu of %zu bytes) skipped", name,
			    (long long)*off, avail, CE_SPOOL_HDR + len);
			ps->torn++;
			cx_metrics_spool(ctx, CX_SPOOL_TORN, 1);
			*off = st.st_size;
			break;
		}
		if ((buf = malloc(CE_SPOOL_HDR + len + 1)) == NULL)
			return -1;
		n = pread(fd, buf, CE_SPOOL_HDR + len, *off);
		if (n != (ssize_t)(CE_SPOOL_HDR + len)) {
			free(buf);
			break;
		}
		if (ce_spool_parse(buf, CE_SPOOL_HDR + len, &len) !=
		    CE_SPOOL_OK) {
			cx_logf(&ctx->log, CE_LOG_WARN,
			    "spool: %s offset %lld: CRC "
			    "mismatch; record of %zu bytes skipped", name,
			    (long long)*off, len);
			ps->corrupt++;
			cx_metrics_spool(ctx, CX_SPOOL_CORRUPT, 1);
			free(buf);
			*off += (off_t)(CE_SPOOL_HDR + len);
			continue;
		}
		snprintf(id, sizeof(id), "%s:%lld", name, (long long)*off);
		if (apply(ctx, sinks, id, (const char *)buf + CE_SPOOL_HDR,
		    len, &what) != CE_OK) {
			free(buf);
			return -1;
		}
		free(buf);
		if (strcmp(what, "skipped") == 0) {
			cx_logf(&ctx->log, CE_LOG_WARN,
			    "spool: %s offset %lld: "
			    "payload not understood; skipped", name,
			    (long long)*off);
			ps->corrupt++;
			cx_metrics_spool(ctx, CX_SPOOL_CORRUPT, 1);
		} else if (strcmp(what, "done_before") != 0) {
			ps->replayed++;
			if (strcmp(what, "lead") == 0 ||
			    strcmp(what, "enrich") == 0)
				ps->leads++;
			cx_metrics_spool(ctx, CX_SPOOL_REPLAYED, 1);
		}
		*off += (off_t)(CE_SPOOL_HDR + len);
	}
	if (owned)
		*off = st.st_size;
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The spool files of "dir", sorted by name (so by creation). */
static size_t
list_files(const char *dir, char **names, size_t max)
{
	DIR		*d;
	struct dirent	*e;
	size_t		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while (n < max && (e = readdir(d)) != NULL)
		if (spool_name(e->d_name) &&
		    (names[n] = strdup(e->d_name)) != NULL)
			n++;
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_names);
	return n;
}

/* Rows of c2s.spool_done older than any file can be: once an hour. */
static void
prune(struct ce_ctx *ctx, struct cx_spool *sp)
{
	long long	 now = cx_now_us();

	if (now < sp->next_prune_us)
		return;
	sp->next_prune_us = now + SPOOL_PRUNE_EVERY_US;
	if (cx_store_spool_prune(ctx->db, SPOOL_DONE_KEEP_MS) != CE_OK)
		sp->next_prune_us = now + 60LL * 1000000;
}

/*
 * The worker: replay what the spool holds (see the top of this file),
 * webhooks and forms through "sinks".
 * Returns the records committed, or -1 when the database failed (what
 * was committed stays; the rest is replayed on the next call).
 */
long long
cx_spool_replay(struct ce_ctx *ctx, const struct cx_spool_sinks *sinks)
{
	struct cx_spool	*sp;
	struct pass	 ps;
	struct live	*l;
	struct stat	 st;
	char		**names, path[512];
	size_t		 n, i;
	off_t		 off;
	int		 fd, owned, rc = 0;

	if ((sp = spool(ctx)) == NULL)
		return 0;
	if ((names = calloc(SPOOL_LIST_MAX, sizeof(*names))) == NULL)
		return 0;
	memset(&ps, 0, sizeof(ps));
	n = list_files(ctx->cfg.spool_dir, names, SPOOL_LIST_MAX);
	for (i = 0; i < n && rc == 0; i++) {
		if (path_of(path, sizeof(path), ctx->cfg.spool_dir, names[i],
		    "") == -1 || (fd = open(path, O_RDWR | O_CLOEXEC |
		    O_NOFOLLOW)) == -1)
			continue;
		if (fstat(fd, &st) == -1) {
			close(fd);
			continue;
		}
		owned = flock(fd, LOCK_EX | LOCK_NB) == 0;
		l = live_find(sp, names[i], st.st_ino, !owned);
		off = l != NULL ? l->off : 0;
		rc = replay_file(ctx, sinks, fd, names[i], &off, owned, &ps);
		if (rc == 0 && owned) {
			/* All committed (or skipped and counted): gone. */
			if (unlink(path) == -1)
				cx_logf(&ctx->log, CE_LOG_ERROR,
				    "spool: unlink %s: %s",
				    path, strerror(errno));
			else
				cx_logf(&ctx->log, CE_LOG_INFO,
				    "spool: %s replayed "
				    "and deleted", names[i]);
			live_forget(sp, l);
		} else if (l != NULL)
			l->off = off;
		else if (off > 0 && (l = live_find(sp, names[i], st.st_ino,
		    1)) != NULL)
			l->off = off;
		close(fd);	/* and the lock with it */
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (ps.replayed > 0 || ps.torn > 0 || ps.corrupt > 0)
		cx_logf(&ctx->log, ps.torn + ps.corrupt > 0 ? CE_LOG_WARN :
		    CE_LOG_INFO, "spool: %lld records replayed (%lld leads), "
		    "%lld torn and %lld corrupt skipped", ps.replayed,
		    ps.leads, ps.torn, ps.corrupt);
	if (ps.leads > 0)
		(void)cx_store_notify(ctx->db, "lead");
	if (rc == 0 && n == 0)
		prune(ctx, sp);
	return rc == -1 ? -1 : ps.replayed;
}
