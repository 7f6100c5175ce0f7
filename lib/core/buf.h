/*
 * core/buf.h -- the capped growable buffer (buf.c) every response,
 * upstream body and log line is built in.  Appends past the cap fail
 * with CE_E2BIG and leave the buffer as it was; allocation failures
 * return CE_ENOMEM, never abort.
 */
#ifndef CE_CORE_BUF_H
#define CE_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "core/err.h"

/*
 * A capped growable buffer.  "cap" bounds len; appends that would pass it
 * fail with CE_E2BIG and leave the buffer unchanged.  data is always
 * NUL-terminated when non-NULL.
 */
struct ce_buf {
	char	*data;
	size_t	 len;
	size_t	 alloc;
	size_t	 cap;
};

void		 ce_buf_init(struct ce_buf *, size_t cap);
void		 ce_buf_free(struct ce_buf *);
void		 ce_buf_reset(struct ce_buf *);
enum ce_err	 ce_buf_append(struct ce_buf *, const void *, size_t) CE_WUR;
enum ce_err	 ce_buf_puts(struct ce_buf *, const char *) CE_WUR;
enum ce_err	 ce_buf_printf(struct ce_buf *, const char *, ...)
		    CE_PRINTF(2, 3) CE_WUR;
enum ce_err	 ce_buf_vprintf(struct ce_buf *, const char *, va_list)
		    CE_PRINTF(2, 0) CE_WUR;
enum ce_err	 ce_buf_json_str(struct ce_buf *, const char *, size_t) CE_WUR;
char		*ce_buf_take(struct ce_buf *);
void		 ce_buf_cap_chars(struct ce_buf *, size_t maxchars);

#endif /* CE_CORE_BUF_H */
