/*
 * app/alert.h -- the operators' alerts (alert.c, DESIGN.md 11.4): found,
 * throttled, stored in c2s.alerts and sent by the worker, a step of its
 * turn, never on a request path.
 */
#ifndef CE_APP_ALERT_H
#define CE_APP_ALERT_H

#include <stddef.h>

struct cx_app;

/*
 * One step of the worker's turn: look for the causes (the breakers and
 * the Work API's refusals each turn; failed and high-value leads, the
 * rate and silent webhooks every ALERT_CHECK_INTERVAL), store the alerts
 * they raise unless throttled, then send what is due on each channel
 * configured.  A failure is logged and tried again at a later turn.
 */
void		 cx_alert_turn(struct cx_app *);

#endif /* CE_APP_ALERT_H */
