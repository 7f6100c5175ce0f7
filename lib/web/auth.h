/*
 * web/auth.h -- API keys on the business routes and webhook secrets
 * (auth.c), each compared in constant time; codes only: the caller
 * answers.
 */
#ifndef CE_WEB_AUTH_H
#define CE_WEB_AUTH_H

#include "core/cgi.h"
#include "core/err.h"
#include "core/route.h"

struct cx_web;

enum ce_err	 cx_auth_check(struct cx_web *, const struct ce_req *,
		    enum ce_route, const char **msg);
enum ce_err	 cx_secret_check(const char *secret, const char *given,
		    const char **msg);

#endif /* CE_WEB_AUTH_H */
