/*
 * signals.c -- the one shutdown flag of a FastCGI program.  SIGTERM and
 * SIGINT (and SIGUSR1 when asked) set it and call FCGX_ShutdownPending();
 * the handler is installed without SA_RESTART, so a blocked accept()
 * returns.  SIGALRM (the responder's timer while its spool file waits to
 * be closed) only interrupts that accept.  SIGPIPE is ignored: a client
 * that went away is a failed write.
 * Also the fd sanity check both programs make first.
 */
#include <fcntl.h>
#include <signal.h>
#include <string.h>

#include <fcgiapp.h>

#include "signals.h"

static volatile sig_atomic_t	 stop_signal;

static void
on_signal(int sig)
{
	stop_signal = sig;
	FCGX_ShutdownPending();
}

static void
on_alarm(int sig)
{
	(void)sig;
}

/* Returns 0, or -1 (errno set) when a handler cannot be installed. */
int
fcgi_signals_install(int also_usr1)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1 ||
	    (also_usr1 && sigaction(SIGUSR1, &sa, NULL) == -1))
		return -1;
	sa.sa_handler = on_alarm;
	if (sigaction(SIGALRM, &sa, NULL) == -1)
		return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

/* The signal that asked us to stop, or 0. */
int
fcgi_stop_signal(void)
{
	return stop_signal;
}

/* Make sure fds 1 and 2 are open, so nothing we open lands there. */
int
fcgi_sane_fds(void)
{
	int	 fd;

	for (fd = 1; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 &&
		    open("/dev/null", O_RDWR) != fd)
			return -1;
	return 0;
}
