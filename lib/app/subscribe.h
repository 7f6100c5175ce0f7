/*
 * app/subscribe.h -- c2s-enrich --subscribe and --unsubscribe
 * (subscribe.c): register (or remove) this service's webhook at C2S for
 * each of the lead actions C2S delivers (ce_hook_actions, accepted by
 * webhook.c), and report C2S's answer per action with the secret
 * masked.
 */
#ifndef CE_APP_SUBSCRIBE_H
#define CE_APP_SUBSCRIBE_H

#include <stddef.h>

#include "core/call.h"

struct cx_app;

#define CE_HOOK_ACTIONS	3
extern const char *const ce_hook_actions[CE_HOOK_ACTIONS];

struct ce_hook_result {
	const char	*action;	/* one of ce_hook_actions */
	enum ce_up	 res;
	long		 status;	/* HTTP status, 0 without an answer */
	char		 answer[512];	/* C2S's answer (or what failed) on
					   one line, cut, secrets masked */
};

int		 cx_subscribe(struct cx_app *, int unsubscribe,
		    struct ce_hook_result out[CE_HOOK_ACTIONS], char *url,
		    size_t urlsz, char *err, size_t errsz);

#endif /* CE_APP_SUBSCRIBE_H */
