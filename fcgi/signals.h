/*
 * signals.h -- shutdown signals of the FastCGI programs (c2s-enrich and
 * upstream-sim), and the fd check both make at start: handled without
 * SA_RESTART so an idle FCGX_Accept_r()
 * returns at once, a busy process finishes its request first.
 */
#ifndef C2S_FCGI_SIGNALS_H
#define C2S_FCGI_SIGNALS_H

int	fcgi_signals_install(int also_usr1);
int	fcgi_stop_signal(void);
int	fcgi_sane_fds(void);

#endif
