/*
 * core/call.h -- the vocabulary of an upstream call that every layer
 * shares (call.c): the call kinds, what an upstream said, classified
 * (enum ce_up, as logged and counted), what a call carries back (a
 * lead, CPF candidates, a dossier, a list of lead ids), and the release
 * of a call's dossier.  Making the calls is the application's.
 */
#ifndef CE_CORE_CALL_H
#define CE_CORE_CALL_H

#include <stddef.h>

#include "core/lead.h"

/* What an upstream said, classified. */
enum ce_up {
	CE_UP_OK = 0,
	CE_UP_NOTFOUND,	/* the upstream has no such lead, person, dossier */
	CE_UP_DOWN,	/* timeout, network, 5xx, 429, auth refused,
			   Work API 403-in-200 or credits exhausted */
	CE_UP_BADRESP,	/* malformed JSON, wrong shape, body over the cap */
	CE_UP_DEADLINE,	/* the request's deadline passed */
	CE_UP_INVALID,	/* refused before any call: bad id or argument */
	CE_UP__MAX
};

const char	*ce_up_name(enum ce_up);

/* CPF candidates (Diretrix, Work API phone module). */
#define CE_CANDS_MAX	8
struct ce_cands {
	size_t		 n;
	struct {
		char	 cpf[12];	/* 11 digits, check digits verified */
		char	 name[256];
	}		 c[CE_CANDS_MAX];
	size_t		 dropped;	/* CNPJs and invalid CPFs */
};

/* A Work API dossier: the body as received (to store) and a few fields. */
struct ce_dossier {
	char		 cpf[12];
	char		 name[256];
	char		 birth[16];
	char		 income[32];	/* "8500,50" as sent */
	char		*raw;		/* NUL-terminated JSON, heap */
	size_t		 rawlen;
};

void		 ce_dossier_free(struct ce_dossier *);

enum ce_call_kind {
	CE_CALL_C2S_LEAD,	/* arg: lead id -> lead */
	CE_CALL_C2S_MESSAGE,	/* arg: lead id, arg2: text */
	CE_CALL_DX_PHONE,	/* arg: national phone digits -> cands */
	CE_CALL_DX_EMAIL,	/* arg: e-mail -> cands */
	CE_CALL_WORK_CPF,	/* arg: 11-digit CPF -> dossier */
	CE_CALL_WORK_PHONE,	/* arg: national phone digits -> cands */
	CE_CALL_C2S_CREATE,	/* arg: JSON:API lead body -> lead.id */
	CE_CALL_C2S_LIST,	/* arg: how many (1-50), arg2: the page (from
				   1; NULL: the first, unsent) -> list,
				   newest first */
	CE_CALL_C2S_HOOK,	/* arg: {"hook_url","hook_action"}, arg2:
				   "subscribe" or "unsubscribe" -> answer */
	CE_CALL_WORK_MODULE,	/* arg: Work API module, arg2: consulta ->
				   dossier.raw (the body as received) */
	CE_CALL__MAX
};

/*
 * Lead ids, newest first (C2S list), with each lead's phone (national
 * digits, "" when it has none usable) and created_at (as sent, "" when
 * missing), and the list's total when C2S says it (meta.total), else -1.
 */
#define CE_LIST_MAX	50
#define CE_PAGE_MAX	10000000	/* the last page asked for */
struct ce_lead_list {
	size_t		 n;
	char		 id[CE_LIST_MAX][33];
	char		 phone[CE_LIST_MAX][16];
	char		 created[CE_LIST_MAX][40];
	long long	 total;
};

/* One upstream call: what to ask, and what came back. */
struct ce_call {
	enum ce_call_kind kind;
	const char	*arg;
	const char	*arg2;
	enum ce_up	 res;
	long		 status;	/* HTTP status of the last attempt */
	long		 api_status;	/* Work API error-in-200: its status
					   or code (403, 404, 429), else 0 */
	int		 unanswered;	/* it may have reached the server,
					   but no answer came */
	int		 attempts;
	long long	 elapsed_us;
	struct ce_lead	 lead;
	struct ce_cands	 cands;
	struct ce_dossier dossier;
	struct ce_lead_list list;
};

#endif /* CE_CORE_CALL_H */
