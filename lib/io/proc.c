/*
 * proc.c -- cheap facts about this process for /health: resident memory
 * (from an fd on /proc/self/statm kept open, read with one pread) and
 * uptime.  The clocks are clock.c's.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/proc.h"

void
cx_proc_init(struct cx_proc *p)
{
	p->statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	p->pagesize = sysconf(_SC_PAGESIZE);
	if (p->pagesize <= 0)
		p->pagesize = 4096;
	clock_gettime(CLOCK_MONOTONIC, &p->started);
}

void
cx_proc_close(struct cx_proc *p)
{
	if (p->statm_fd >= 0)
		close(p->statm_fd);
	p->statm_fd = -1;
}

/* Resident set size in kB, or -1 when /proc is unavailable. */
long long
cx_proc_rss_kb(struct cx_proc *p)
{
	char		 b[128];
	ssize_t		 n;
	unsigned long	 size, rss;

	if (p->statm_fd < 0)
		return -1;
	if ((n = pread(p->statm_fd, b, sizeof(b) - 1, 0)) <= 0)
		return -1;
	b[n] = '\0';
	if (sscanf(b, "%lu %lu", &size, &rss) != 2)
		return -1;
	return (long long)rss * (p->pagesize / 1024);
}

long long
cx_proc_uptime_ms(const struct cx_proc *p)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)(ts.tv_sec - p->started.tv_sec) * 1000 +
	    (ts.tv_nsec - p->started.tv_nsec) / 1000000;
}
