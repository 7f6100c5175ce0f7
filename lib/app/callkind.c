/*
 * callkind.c -- what each upstream call kind is, in one table: its name
 * in /metrics, the API it goes to, its HTTP method, whether a repeat may
 * do its effect twice, the breaker that guards it and whether it waits
 * for WORK_API_MIN_INTERVAL.  upstream.c builds and runs calls from it;
 * the /metrics renderer (h_metrics.c) names them from it.  Pure data.
 */
#include "core/call.h"
#include "shared/breaker.h"
#include "app/callkind.h"

/*
 * A repeated POST may post a second note (C2S_MESSAGE) or create a
 * second lead (C2S_CREATE): those two are unsafe.  The hook POST only
 * subscribes a URL again.
 */
const struct cx_callkind cx_callkinds[CE_CALL__MAX] = {
	[CE_CALL_C2S_LEAD] =
	    { "c2s_lead", "c2s", "GET", 0, CX_BRK_C2S, 0 },
	[CE_CALL_C2S_MESSAGE] =
	    { "c2s_message", "c2s", "POST", 1, CX_BRK_C2S, 0 },
	[CE_CALL_DX_PHONE] =
	    { "diretrix_phone", "diretrix", "GET", 0, CX_BRK_DIRETRIX, 0 },
	[CE_CALL_DX_EMAIL] =
	    { "diretrix_email", "diretrix", "GET", 0, CX_BRK_DIRETRIX, 0 },
	[CE_CALL_WORK_CPF] =
	    { "work_cpf", "work", "GET", 0, CX_BRK_WORK, 1 },
	[CE_CALL_WORK_PHONE] =
	    { "work_phone", "work", "GET", 0, CX_BRK_WORK, 1 },
	[CE_CALL_C2S_CREATE] =
	    { "c2s_create", "c2s", "POST", 1, CX_BRK_C2S, 0 },
	[CE_CALL_C2S_LIST] =
	    { "c2s_list", "c2s", "GET", 0, CX_BRK_C2S, 0 },
	[CE_CALL_C2S_HOOK] =
	    { "c2s_hook", "c2s", "POST", 0, CX_BRK_C2S, 0 },
	[CE_CALL_WORK_MODULE] =
	    { "work_module", "work", "GET", 0, CX_BRK_WORK, 1 },
};
