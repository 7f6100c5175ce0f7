/*
 * call.c -- the vocabulary of an upstream call that every layer shares:
 * the names of a call's classifications (enum ce_up, as logged and
 * counted) and the release of a call's dossier.
 */
#include <stdlib.h>

#include "core/call.h"

static const char *const upnames[CE_UP__MAX] = {
	[CE_UP_OK] = "ok",
	[CE_UP_NOTFOUND] = "not_found",
	[CE_UP_DOWN] = "provider_down",
	[CE_UP_BADRESP] = "bad_response",
	[CE_UP_DEADLINE] = "deadline",
	[CE_UP_INVALID] = "invalid",
};

const char *
ce_up_name(enum ce_up u)
{
	return (unsigned)u < CE_UP__MAX ? upnames[u] : "unknown";
}

void
ce_dossier_free(struct ce_dossier *d)
{
	free(d->raw);
	d->raw = NULL;
	d->rawlen = 0;
}
