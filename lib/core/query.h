/*
 * core/query.h -- the query string of a request (query.c): one parameter
 * found and percent-decoded into a bounded buffer.  Malformed input (a
 * bad escape, an encoded NUL, a value too long for the buffer) is an
 * error, never silently cut.
 */
#ifndef CE_CORE_QUERY_H
#define CE_CORE_QUERY_H

#include <stddef.h>

int		 ce_query_get(const char *query, const char *name, char *out,
		    size_t outsz);

#endif /* CE_CORE_QUERY_H */
