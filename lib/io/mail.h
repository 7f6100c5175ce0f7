/*
 * io/mail.h -- one e-mail sent through libcurl's SMTP (mail.c), for the
 * worker's alerts.  The message is the caller's, headers and body, lines
 * ending in CRLF; curl's types stay in mail.c.
 */
#ifndef CE_IO_MAIL_H
#define CE_IO_MAIL_H

#include <stddef.h>

#include "core/err.h"

/*
 * Send "msg" ("len" bytes, RFC 5322) from "from" to each address of the
 * comma list "to" through the SMTP server of "url" (smtp:// or
 * smtps://), within "timeout_ms".  Returns CE_OK, CE_EINPUT when "to"
 * has no address or one too long, CE_ENOMEM, or CE_EUPSTREAM with
 * curl's reason in "err" (never the URL, which may hold a password).
 */
enum ce_err	 cx_mail_send(const char *url, const char *from,
		    const char *to, const char *msg, size_t len,
		    long long timeout_ms, char *err, size_t errsz) CE_WUR;

#endif /* CE_IO_MAIL_H */
