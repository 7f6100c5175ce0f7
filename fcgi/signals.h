/*
 * signals.h -- what both FastCGI programs (c2s-enrich and upstream-sim)
 * set up at start: shutdown signals, handled without SA_RESTART so an idle
 * FCGX_Accept_r() returns at once and a busy process finishes its request
 * first; and fds 1 and 2 made sure to be open.
 */
#ifndef C2S_FCGI_SIGNALS_H
#define C2S_FCGI_SIGNALS_H

int	fcgi_signals_install(int also_usr1);
int	fcgi_stop_signal(void);
int	fcgi_sane_fds(void);

#endif
