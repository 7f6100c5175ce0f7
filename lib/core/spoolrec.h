/*
 * core/spoolrec.h -- the spool's record format (spoolrec.c, DESIGN.md
 * 11.2): framing a record into a buffer and reading one back, and the
 * events of the spool as counted.  The files themselves are spool.c's.
 */
#ifndef CE_CORE_SPOOLREC_H
#define CE_CORE_SPOOLREC_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

/*
 * The record format of the spool (DESIGN.md 11.2).  A record is
 * a 12-byte header, the magic "C2SP", the payload's length and its CRC-32
 * (both 32-bit little-endian), then the payload (JSON).
 */
#define CE_SPOOL_HDR	12
#define CE_SPOOL_REC_MAX (64u * 1024 * 1024)	/* a sane length field */

enum ce_spool_rec {
	CE_SPOOL_OK = 0,	/* a whole record, its CRC right */
	CE_SPOOL_TORN,		/* cut short: fewer bytes than it says */
	CE_SPOOL_CORRUPT,	/* whole, but its CRC is wrong: skip it */
	CE_SPOOL_BAD		/* no magic or an insane length: stop */
};

uint32_t	 ce_crc32(const void *, size_t);
enum ce_err	 ce_spool_frame(struct ce_buf *, const char *payload,
		    size_t len) CE_WUR;
int		 ce_spool_header(const unsigned char *hdr, size_t *len);
enum ce_spool_rec ce_spool_parse(const unsigned char *rec, size_t avail,
		    size_t *len);

/* What happens to spooled records, as /metrics counts it. */
enum cx_spool_ev {
	CX_SPOOL_WRITTEN = 0,	/* records spooled */
	CX_SPOOL_REFUSED,	/* 503: full or unwritable */
	CX_SPOOL_REPLAYED,	/* records committed by the worker */
	CX_SPOOL_TORN,		/* skipped: a torn tail */
	CX_SPOOL_CORRUPT,	/* skipped: CRC, magic or payload wrong */
	CX_SPOOL_EV__MAX
};

#endif /* CE_CORE_SPOOLREC_H */
