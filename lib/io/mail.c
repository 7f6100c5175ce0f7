/*
 * mail.c -- one e-mail through libcurl's SMTP client, for the worker's
 * alerts (app/alert.c): the envelope (MAIL FROM, one RCPT TO per
 * address of a comma list) and the caller's message read from memory,
 * on an easy handle of its own, bounded by a time limit.  smtp:// and
 * smtps:// only; the URL (which may hold a password) is never logged
 * nor put in an error.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "io/mail.h"

struct src {
	const char	*p;
	size_t		 left;
};

static size_t
on_read(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct src	*s = arg;
	size_t		 n = size * nmemb;

	if (n > s->left)
		n = s->left;
	memcpy(buf, s->p, n);
	s->p += n;
	s->left -= n;
	return n;
}

/* The recipients of comma list "to", each as "<addr>"; NULL when none. */
static enum ce_err
rcpts(const char *to, struct curl_slist **out)
{
	struct curl_slist	*l = NULL, *t;
	char			 one[300];
	const char		*p = to, *e;
	size_t			 n;

	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ','; e++)
			;
		n = (size_t)(e - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n + 3 > sizeof(one)) {
			curl_slist_free_all(l);
			return CE_EINPUT;
		}
		snprintf(one, sizeof(one), "<%.*s>", (int)n, p);
		if ((t = curl_slist_append(l, one)) == NULL) {
			curl_slist_free_all(l);
			return CE_ENOMEM;
		}
		l = t;
		p = e;
	}
	if (l == NULL)
		return CE_EINPUT;
	*out = l;
	return CE_OK;
}

enum ce_err
cx_mail_send(const char *url, const char *from, const char *to,
    const char *msg, size_t len, long long timeout_ms, char *err,
    size_t errsz)
{
	CURL			*e = NULL;
	struct curl_slist	*rc = NULL;
	struct src		 s = { msg, len };
	char			 ebuf[CURL_ERROR_SIZE] = "", mfrom[300];
	CURLcode		 cc = CURLE_OK;
	enum ce_err		 er;

	if (errsz > 0)
		err[0] = '\0';
	if ((er = rcpts(to, &rc)) != CE_OK) {
		snprintf(err, errsz, "ALERT_EMAIL_TO: no usable address");
		return er;
	}
	snprintf(mfrom, sizeof(mfrom), "<%s>", from);
	er = CE_ENOMEM;
	if ((e = curl_easy_init()) == NULL)
		goto out;
#define SET(o, v)	if (cc == CURLE_OK) cc = curl_easy_setopt(e, o, v)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	SET(CURLOPT_MAIL_FROM, mfrom);
	SET(CURLOPT_MAIL_RCPT, rc);
	SET(CURLOPT_READFUNCTION, on_read);
	SET(CURLOPT_READDATA, &s);
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	SET(CURLOPT_ERRORBUFFER, ebuf);
#undef SET
	if (cc == CURLE_OK)
		cc = curl_easy_perform(e);
	if (cc != CURLE_OK) {
		snprintf(err, errsz, "smtp: %s", ebuf[0] != '\0' ? ebuf :
		    curl_easy_strerror(cc));
		er = CE_EUPSTREAM;
		goto out;
	}
	er = CE_OK;
out:
	curl_easy_cleanup(e);
	curl_slist_free_all(rc);
	return er;
}
