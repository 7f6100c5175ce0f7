/*
 * master.c -- c2s-enrich --pool: the pool master.  spawn-fcgi hands it the
 * listening socket as fd 0, which it keeps open and never accepts on.  It
 * forks the responders (each main.c's serve() loop on that fd), reaps
 * them, starts new ones after a backoff that never gives up, sizes the
 * pool between POOL_MIN and POOL_MAX by its spares, reloads its
 * configuration on SIGHUP and drains the pool on SIGTERM or SIGINT, all
 * from one poll(2) loop over a signalfd, an eventfd the responders wake
 * it with, its PostgreSQL probe, and its own FastCGI socket
 * (HEALTH_SOCKET), on which it answers /health, /ready and lighttpd's
 * error re-runs itself, never behind a slow lead.  What to do and what
 * to answer is lib/master.c's to say (the scoreboard, core/poolctl.c's
 * policy, web/h_probe.c); this file makes the system calls.
 */
#define _GNU_SOURCE	/* close_range */
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "c2s-enrich.h"
#include "master.h"
#include "signals.h"

#define TICK_MS		200	/* the policy's turn when nothing wakes us */
#define KILL_GRACE_MS	5000	/* after REQUEST_DEADLINE, SIGKILL */
#define HEALTH_BACKLOG	4096	/* the kernel's somaxconn on Debian 12 */
#define HEALTH_CONNS	64	/* answered at once; the rest wait */
#define HEALTH_OUT	8192	/* an answer's records */

/* A connection on the master's own socket. */
struct hconn {
	int			 fd;		/* -1: free */
	struct ce_fcgirec	 rec;
	char			 out[HEALTH_OUT];
	size_t			 outlen, outoff;
};

struct pool {
	struct ce_master	*m;
	int			 sfd;		/* signalfd */
	int			 efd;		/* eventfd: a responder woke us */
	pid_t			 kids[CE_POOL_SLOTS];	/* by slot */
	int			 nkids;
	int			 stopping;
	long long		 kill_at;	/* stopping: SIGKILL then */
	int			 hfd;		/* HEALTH_SOCKET, listening */
	struct hconn		*conns[HEALTH_CONNS];	/* made on first use */
};

/* The signals the master reads from its signalfd. */
static void
master_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGUSR1);
}

/*
 * HEALTH_SOCKET bound (a stale socket file replaced) and listening,
 * non-blocking, mode 0660.  Returns the fd, or -1 with errno set.
 */
static int
health_listen(const char *path)
{
	struct sockaddr_un	 sun;
	mode_t			 old;
	int			 fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	if (unlink(path) == -1 && errno != ENOENT)
		goto fail;
	old = umask(0117);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc == -1 || listen(fd, HEALTH_BACKLOG) == -1)
		goto fail;
	return fd;
fail:
	rc = errno;
	close(fd);
	errno = rc;
	return -1;
}

static void
conn_close(struct hconn *c)
{
	close(c->fd);
	c->fd = -1;
}

/* Write what is left of the answer; closed once all of it is gone. */
static void
conn_write(struct hconn *c)
{
	ssize_t	 n;

	while (c->outoff < c->outlen) {
		n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0)
			break;
		c->outoff += (size_t)n;
	}
	conn_close(c);
}

/* Read and answer: a whole request is answered, then the connection
 * closed (lighttpd does not keep FastCGI connections). */
static void
conn_read(struct pool *p, struct hconn *c)
{
	char			 buf[4096];
	enum ce_fcgirec_ev	 ev;
	size_t			 off, used;
	ssize_t			 n;

	for (;;) {
		if ((n = read(c->fd, buf, sizeof(buf))) == -1 &&
		    errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		for (off = 0; off < (size_t)n; off += used) {
			ev = ce_fcgirec_feed(&c->rec, buf + off, (size_t)n - off,
			    &used);
			if (ev == CE_FCGIREC_MORE)
				continue;
			if (ev == CE_FCGIREC_REPLY) {
				c->outlen = ce_fcgirec_reply(&c->rec, c->out,
				    sizeof(c->out));
				c->outoff = 0;
				conn_write(c);
				if (c->fd == -1)
					return;
				continue;
			}
			if (ev == CE_FCGIREC_REQUEST && (c->outlen =
			    ce_master_answer(p->m, &c->rec, ce_master_now_us(),
			    c->out, sizeof(c->out))) > 0) {
				c->outoff = 0;
				conn_write(c);
				return;
			}
			conn_close(c);	/* an error, or no room to answer */
			return;
		}
	}
}

/* Accept what waits, up to the free connections, and serve each. */
static void
health_accept(struct pool *p)
{
	struct hconn	*c;
	int		 i, fd;

	for (i = 0; i < HEALTH_CONNS; i++) {
		if (p->conns[i] != NULL && p->conns[i]->fd != -1)
			continue;
		if (p->conns[i] == NULL) {
			if ((p->conns[i] = malloc(sizeof(struct hconn))) ==
			    NULL)
				return;
			p->conns[i]->fd = -1;
		}
		if ((fd = accept4(p->hfd, NULL, NULL, SOCK_NONBLOCK |
		    SOCK_CLOEXEC)) == -1)
			return;
		c = p->conns[i];
		c->fd = fd;
		c->outlen = c->outoff = 0;
		ce_fcgirec_init(&c->rec);
		conn_read(p, c);
	}
}

/*
 * In a new child: nothing of the master's but fd 0, 1, 2 and the eventfd
 * (not its signalfd, its shared-file handle, whose lock is the master's
 * open file description, nor anything lib/master.c opened), and the
 * responder's signals unblocked.  Returns 0 or -1.
 */
static int
child_init(struct pool *p)
{
	sigset_t	 none;

	if (close_range(3, (unsigned)p->efd - 1, 0) == -1 ||
	    close_range((unsigned)p->efd + 1, ~0U, 0) == -1)
		return -1;
	if (fcgi_signals_install(1) == -1)
		return -1;
	sigemptyset(&none);
	return sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * Fork one responder into a free slot.  Returns 1 in the child (its slot
 * in "fc"), 0 in the master, -1 when no child was made.
 */
static int
spawn(struct pool *p, struct fcgi_child *fc, long long now)
{
	int	 slot;
	pid_t	 pid;

	if ((slot = ce_master_slot(p->m)) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		ce_master_log(p->m, CE_LOG_ERROR, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if (child_init(p) == -1)
			_exit(1);
		fc->slot = slot;
		fc->generation = ce_master_generation(p->m);
		fc->efd = p->efd;
		fc->cfg = ce_master_config(p->m);
		return 1;
	}
	p->kids[slot] = pid;
	p->nkids++;
	ce_master_forked(p->m, slot, pid, now);
	return 0;
}

static void
reap(struct pool *p)
{
	pid_t	 pid;
	int	 st, slot;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		slot = ce_master_reaped(p->m, pid, st, ce_master_now());
		if (slot >= 0 && p->kids[slot] == pid) {
			p->kids[slot] = 0;
			p->nkids--;
		}
	}
}

static void
stop_all(struct pool *p, int sig)
{
	int	 i;

	for (i = 0; i < CE_POOL_SLOTS; i++)
		if (p->kids[i] > 0)
			kill(p->kids[i], sig);
}

/* Read every pending signal; "fc" is untouched. */
static void
signals(struct pool *p)
{
	struct signalfd_siginfo	 si;
	const struct ce_config	*cfg;

	while (read(p->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(p);
			break;
		case SIGHUP:
			if (!p->stopping)
				ce_master_reload(p->m, ce_master_now());
			break;
		default:	/* SIGTERM, SIGINT, SIGUSR1 */
			if (p->stopping)
				break;
			p->stopping = 1;
			cfg = ce_master_config(p->m);
			p->kill_at = ce_master_now() +
			    cfg->request_deadline_ms + KILL_GRACE_MS;
			ce_master_log(p->m, CE_LOG_INFO, "stopping: %d "
			    "responders to drain", p->nkids);
			ce_master_stop(p->m);
			break;
		}
	reap(p);
}

/*
 * One policy turn: start and stop what lib/master.c says.  Returns 1 in a
 * new child, else 0.
 */
static int
turn(struct pool *p, struct fcgi_child *fc)
{
	struct ce_pool_acts	 a;
	long long		 now = ce_master_now();
	pid_t			 pid;
	int			 i;

	ce_master_tick(p->m, now, &a);
	for (i = 0; i < a.nstop; i++)
		if ((pid = ce_master_pid(p->m, a.stop[i])) > 0 &&
		    pid == p->kids[a.stop[i]]) {
			kill(pid, SIGTERM);
			ce_master_stopped(p->m, a.stop[i]);
		}
	for (i = 0; i < a.spawn; i++)
		if (spawn(p, fc, now) == 1)
			return 1;
	if (p->stopping && p->nkids > 0 && now >= p->kill_at) {
		ce_master_log(p->m, CE_LOG_ERROR, "stopping: %d responders "
		    "still busy, killed", p->nkids);
		stop_all(p, SIGKILL);
		p->kill_at = now + KILL_GRACE_MS;
	}
	return 0;
}

/*
 * The master's loop until the pool is drained.  Returns -1 in a child
 * (its slot in "fc": go and serve), else the master's exit status.
 */
static int
run(struct pool *p, struct fcgi_child *fc)
{
	struct pollfd	 pfd[4 + HEALTH_CONNS];
	struct hconn	*c[HEALTH_CONNS];
	long long	 now, wait;
	uint64_t	 n;
	short		 ev = 0;
	int		 i, nc, np;

	for (;;) {
		if (turn(p, fc) == 1)
			return -1;
		if (p->stopping && p->nkids == 0)
			break;
		pfd[0] = (struct pollfd){ p->sfd, POLLIN, 0 };
		pfd[1] = (struct pollfd){ p->efd, POLLIN, 0 };
		pfd[2] = (struct pollfd){ p->hfd, POLLIN, 0 };
		pfd[3] = (struct pollfd){ ce_master_probe_fd(p->m, &ev), ev, 0 };
		for (i = nc = 0; i < HEALTH_CONNS; i++)
			if (p->conns[i] != NULL && p->conns[i]->fd != -1) {
				c[nc] = p->conns[i];
				pfd[4 + nc].fd = c[nc]->fd;
				pfd[4 + nc].events = c[nc]->outlen > 0 ?
				    POLLOUT : POLLIN;
				pfd[4 + nc++].revents = 0;
			}
		now = ce_master_now();
		wait = ce_master_wait(p->m, now);
		np = poll(pfd, (nfds_t)(4 + nc), wait < TICK_MS ? (int)wait :
		    TICK_MS);
		if (np == -1 && errno != EINTR) {
			ce_master_log(p->m, CE_LOG_ERROR, "poll: %s",
			    strerror(errno));
			return 1;
		}
		/* The probe first: a database just lost is seen by the
		 * answers of this same turn. */
		ce_master_probe(p->m, ce_master_now(),
		    pfd[3].fd != -1 ? pfd[3].revents : 0);
		if (pfd[1].revents & POLLIN)
			(void)read(p->efd, &n, sizeof(n));
		if (pfd[0].revents & POLLIN)
			signals(p);
		for (i = 0; i < nc; i++)
			if (pfd[4 + i].revents != 0 && c[i]->outlen > 0)
				conn_write(c[i]);
			else if (pfd[4 + i].revents != 0)
				conn_read(p, c[i]);
		if (pfd[2].revents & POLLIN)
			health_accept(p);
	}
	ce_master_log(p->m, CE_LOG_INFO, "stopped");
	return 0;
}

/*
 * c2s-enrich --pool with the validated "cfg".  Returns -1 in a child,
 * whose slot, generation, eventfd and configuration are in "fc" (the
 * caller then serves as a responder), or the master's exit status once
 * the pool has stopped (0), or on a failure to start (1).
 */
int
fcgi_master(const struct ce_config *cfg, struct fcgi_child *fc)
{
	/* Static: a child returns from here with the master's state still
	 * reachable (it is the child's copy, never used, never freed). */
	static struct pool p;
	sigset_t	 set;
	char		 err[256];
	int		 i, rc = 1;

	memset(&p, 0, sizeof(p));
	p.sfd = p.efd = p.hfd = -1;
	master_signals(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (p.sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1 ||
	    (p.efd = eventfd(0, EFD_NONBLOCK)) == -1) {
		fprintf(stderr, "c2s-enrich: --pool: %s\n", strerror(errno));
		goto out;
	}
	if ((p.m = ce_master_new(cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "c2s-enrich: --pool: %s\n", err);
		goto out;
	}
	if ((p.hfd = health_listen(cfg->health_socket)) == -1) {
		fprintf(stderr, "c2s-enrich: --pool: HEALTH_SOCKET: %s\n",
		    strerror(errno));
		goto out;
	}
	ce_master_log(p.m, CE_LOG_INFO, "pool master started: %d to %d "
	    "responders, %d spare", cfg->pool_min, cfg->pool_max,
	    cfg->pool_spare);
	rc = run(&p, fc);
	if (rc == -1)
		return -1;	/* a child: the master's memory is left as is */
out:
	if (p.hfd != -1) {
		close(p.hfd);
		(void)unlink(cfg->health_socket);
	}
	for (i = 0; i < HEALTH_CONNS; i++) {
		if (p.conns[i] != NULL && p.conns[i]->fd != -1)
			close(p.conns[i]->fd);
		free(p.conns[i]);
	}
	ce_master_free(p.m);
	if (p.sfd != -1)
		close(p.sfd);
	if (p.efd != -1)
		close(p.efd);
	return rc;
}
