/*
 * web/h_customer.h -- stored persons, as the read side of the API shows
 * them (h_customer.c): GET /api/v1/contributor/customer, POST
 * /api/v1/enrich and GET /api/v1/customers/{uuid}.
 * Each handler fills resp->body and returns CE_OK, or an error (its code
 * and text chosen with cx_fail()) that cx_handle() turns into a JSON
 * error body.
 */
#ifndef CE_WEB_H_CUSTOMER_H
#define CE_WEB_H_CUSTOMER_H

#include "core/cgi.h"
#include "core/err.h"

struct cx_request;
struct cx_web;

enum ce_err	 cx_h_customer_lookup(struct cx_web *,
		    const struct cx_request *, struct ce_resp *);
enum ce_err	 cx_h_enrich(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);
enum ce_err	 cx_h_customer(struct cx_web *, const struct cx_request *,
		    struct ce_resp *);

#endif /* CE_WEB_H_CUSTOMER_H */
