/*
 * spoolrec.c -- the spool's record format (spoolrec.h): the 12-byte
 * header (magic "C2SP", payload length and CRC-32 of the payload, both
 * 32-bit little-endian), then the payload.  Framing a record into a
 * buffer and reading one back; the files themselves are spool.c's.
 * Pure functions: no state, no allocation beyond the caller's buffer.
 */
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "core/spoolrec.h"

#define SPOOL_MAGIC		"C2SP"

/* CRC-32 (IEEE 802.3, reflected), four bits at a time. */
uint32_t
ce_crc32(const void *data, size_t len)
{
	static const uint32_t t[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
		0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
		0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
		0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	const unsigned char	*p = data;
	uint32_t		 c = 0xffffffffu;
	size_t			 i;

	for (i = 0; i < len; i++) {
		c ^= p[i];
		c = (c >> 4) ^ t[c & 15];
		c = (c >> 4) ^ t[c & 15];
	}
	return c ^ 0xffffffffu;
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/*
 * Append the record of "payload" ("len" bytes, at most CE_SPOOL_REC_MAX)
 * to "b".  Returns CE_OK, CE_E2BIG (too long, or over the buffer's cap)
 * or CE_ENOMEM; "b" is unchanged on failure.
 */
enum ce_err
ce_spool_frame(struct ce_buf *b, const char *payload, size_t len)
{
	unsigned char	 hdr[CE_SPOOL_HDR];
	size_t		 before = b->len;
	enum ce_err	 er;

	if (len > CE_SPOOL_REC_MAX)
		return CE_E2BIG;
	memcpy(hdr, SPOOL_MAGIC, 4);
	put32(hdr + 4, (uint32_t)len);
	put32(hdr + 8, ce_crc32(payload, len));
	if ((er = ce_buf_append(b, hdr, sizeof(hdr))) != CE_OK)
		return er;
	if ((er = ce_buf_append(b, payload, len)) != CE_OK) {
		b->len = before;
		if (b->data != NULL)
			b->data[before] = '\0';
	}
	return er;
}

/*
 * Read a record's header (CE_SPOOL_HDR bytes at "hdr"): 0 with the
 * payload's length in "*len", or -1 when the magic is not there or the
 * length is insane.
 */
int
ce_spool_header(const unsigned char *hdr, size_t *len)
{
	uint32_t	 n;

	if (memcmp(hdr, SPOOL_MAGIC, 4) != 0)
		return -1;
	n = get32(hdr + 4);
	if (n > CE_SPOOL_REC_MAX)
		return -1;
	*len = n;
	return 0;
}

/*
 * The record at "rec", of which "avail" bytes exist.  Returns CE_SPOOL_OK
 * (the payload at rec + CE_SPOOL_HDR, "*len" bytes), CE_SPOOL_CORRUPT
 * (whole but its CRC is wrong: the next record is CE_SPOOL_HDR + "*len"
 * further), CE_SPOOL_TORN (cut short) or CE_SPOOL_BAD (no record there).
 */
enum ce_spool_rec
ce_spool_parse(const unsigned char *rec, size_t avail, size_t *len)
{
	size_t	 n = 0;

	*len = 0;
	if (avail < CE_SPOOL_HDR)
		return memcmp(rec, SPOOL_MAGIC, avail < 4 ? avail : 4) == 0 ?
		    CE_SPOOL_TORN : CE_SPOOL_BAD;
	if (ce_spool_header(rec, &n) == -1)
		return CE_SPOOL_BAD;
	*len = n;
	if (avail - CE_SPOOL_HDR < n)
		return CE_SPOOL_TORN;
	if (ce_crc32(rec + CE_SPOOL_HDR, n) != get32(rec + 8))
		return CE_SPOOL_CORRUPT;
	return CE_SPOOL_OK;
}
