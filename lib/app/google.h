/*
 * app/google.h -- Google Ads lead forms, below their route
 * (web/h_google.c) (google.c): a form read, recorded once per form lead
 * id with a job (the route's cx_google_take(), the spool's
 * cx_google_store()), and the job (kind 'google_ads'), which the worker
 * runs; the form and its record are store.h's.  jansson's json_t is
 * struct json_t.
 */
#ifndef CE_APP_GOOGLE_H
#define CE_APP_GOOGLE_H

#include <stddef.h>

#include "core/err.h"

struct cx_app;
struct cx_form;
struct cx_form_rec;
struct json_t;

int		 cx_google_job(struct cx_app *, const char *form_id,
		    char *result, size_t rsz, char *error, size_t esz);
enum ce_err	 cx_google_parse(const struct json_t *, struct cx_form *)
		    CE_WUR;
enum ce_err	 cx_google_take(struct cx_app *, const struct cx_form *,
		    const char *payload, struct cx_form_rec *) CE_WUR;
enum ce_err	 cx_google_store(struct cx_app *, const char *payload) CE_WUR;

#endif /* CE_APP_GOOGLE_H */
