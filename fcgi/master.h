/*
 * master.h -- c2s-enrich --pool (master.c): the pool master, and what a
 * child it forked is told before it serves.
 */
#ifndef C2S_FCGI_MASTER_H
#define C2S_FCGI_MASTER_H

struct ce_config;

struct fcgi_child {
	int			 slot;		/* in the scoreboard */
	unsigned		 generation;	/* of the configuration */
	int			 efd;		/* the master's eventfd */
	const struct ce_config	*cfg;		/* the master's, as now */
};

int	fcgi_master(const struct ce_config *, struct fcgi_child *);

#endif
