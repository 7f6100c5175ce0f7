/*
 * io/proc.h -- cheap facts about this process (proc.c): its resident
 * memory, read with one pread from an fd on /proc/self/statm kept open
 * from cx_proc_init() to cx_proc_close() (-1 when /proc is not there:
 * the figure is then -1), and its uptime on the monotonic clock from
 * the start taken at init.
 */
#ifndef CE_IO_PROC_H
#define CE_IO_PROC_H

#include <time.h>

struct cx_proc {
	int		 statm_fd;
	long		 pagesize;
	struct timespec	 started;
};

void		 cx_proc_init(struct cx_proc *);
void		 cx_proc_close(struct cx_proc *);
long long	 cx_proc_rss_kb(struct cx_proc *);
long long	 cx_proc_uptime_ms(const struct cx_proc *);

#endif /* CE_IO_PROC_H */
