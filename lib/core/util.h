/*
 * core/util.h -- small bounded string helpers that glibc 2.36 lacks
 * (util.c): strlcpy, strtonum-style integer parsing, a constant-time
 * string compare, the value of a hex digit, the percent-encoding of a
 * URL's path segment, and the check of a client's request id.
 */
#ifndef CE_CORE_UTIL_H
#define CE_CORE_UTIL_H

#include <stddef.h>

#include "core/err.h"

/* Bounded string helpers (glibc 2.36 has no strlcpy). */
size_t		 ce_strlcpy(char *, const char *, size_t);
int		 ce_strtonum(const char *, long long, long long, long long *);
int		 ce_ct_streq(const char *, const char *);
int		 ce_hexval(int);
enum ce_err	 cx_url_escape(char *, size_t, const char *) CE_WUR;
int		 ce_reqid_ok(const char *);
void		 ce_addr_print(char *, size_t, const char *);

#endif /* CE_CORE_UTIL_H */
