/*
 * spoolrec_test -- the spool's record format (lib/core/spoolrec.c): CRC-32
 * against known values, a record framed and read back, records read one
 * after the other, a torn tail at every length, a flipped bit in the
 * payload or the CRC, a header without the magic or with an insane length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "core/spoolrec.h"

ATF_TC(crc32__known_values);
ATF_TC_HEAD(crc32__known_values, tc)
{
	atf_tc_set_md_var(tc, "descr", "CRC-32 (IEEE) of known strings");
}
ATF_TC_BODY(crc32__known_values, tc)
{
	static const struct {
		const char	*in;
		uint32_t	 crc;
	} t[] = {
		{ "", 0x00000000u },
		{ "a", 0xe8b7be43u },
		{ "123456789", 0xcbf43926u },
		{ "The quick brown fox jumps over the lazy dog", 0x414fa339u },
	};
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ_MSG(ce_crc32(t[i].in, strlen(t[i].in)), t[i].crc,
		    "crc32(\"%s\") = %08x, expected %08x", t[i].in,
		    ce_crc32(t[i].in, strlen(t[i].in)), t[i].crc);
}

/* A buffer holding the records of "payloads" one after the other. */
static void
frame_all(struct ce_buf *b, const char *const *payloads, size_t n)
{
	size_t	 i;

	ce_buf_init(b, 1 << 20);
	for (i = 0; i < n; i++)
		ATF_REQUIRE(ce_spool_frame(b, payloads[i],
		    strlen(payloads[i])) == CE_OK);
}

ATF_TC(frame__round_trip);
ATF_TC_HEAD(frame__round_trip, tc)
{
	atf_tc_set_md_var(tc, "descr", "records framed one after the other "
	    "are read back in order, each whole, with its payload");
}
ATF_TC_BODY(frame__round_trip, tc)
{
	static const char *const p[] = {
		"{\"kind\":\"lead\",\"lead_id\":\"0123456789abcdef0123456789abcdef\"}",
		"",
		"{\"kind\":\"webhook\",\"body\":\"[{\\\"id\\\":1}]\"}",
	};
	struct ce_buf	 b;
	const unsigned char *at;
	size_t		 i, len, off = 0;

	frame_all(&b, p, 3);
	ATF_CHECK_EQ(b.len, 3 * CE_SPOOL_HDR + strlen(p[0]) + strlen(p[2]));
	ATF_CHECK(memcmp(b.data, "C2SP", 4) == 0);
	for (i = 0; i < 3; i++) {
		at = (const unsigned char *)b.data + off;
		ATF_REQUIRE_EQ(ce_spool_parse(at, b.len - off, &len),
		    CE_SPOOL_OK);
		ATF_CHECK_EQ(len, strlen(p[i]));
		ATF_CHECK(memcmp(at + CE_SPOOL_HDR, p[i], len) == 0);
		off += CE_SPOOL_HDR + len;
	}
	ATF_CHECK_EQ(off, b.len);
	ce_buf_free(&b);
}

ATF_TC(parse__torn_at_every_length);
ATF_TC_HEAD(parse__torn_at_every_length, tc)
{
	atf_tc_set_md_var(tc, "descr", "a record cut at any length (a writer "
	    "killed mid-write) is torn, never read as whole");
}
ATF_TC_BODY(parse__torn_at_every_length, tc)
{
	static const char *const p[] = { "{\"kind\":\"google\",\"body\":\"{}\"}" };
	struct ce_buf	 b;
	size_t		 cut, len;

	frame_all(&b, p, 1);
	for (cut = 1; cut < b.len; cut++)
		ATF_CHECK_EQ_MSG(ce_spool_parse((unsigned char *)b.data, cut,
		    &len), CE_SPOOL_TORN, "cut at %zu of %zu", cut, b.len);
	ATF_CHECK_EQ(ce_spool_parse((unsigned char *)b.data, b.len, &len),
	    CE_SPOOL_OK);
	ce_buf_free(&b);
}

ATF_TC(parse__flipped_bit_is_corrupt);
ATF_TC_HEAD(parse__flipped_bit_is_corrupt, tc)
{
	atf_tc_set_md_var(tc, "descr", "a bit flipped in the payload or the "
	    "CRC makes the record corrupt, its length still usable to skip "
	    "it; the next record reads whole");
}
ATF_TC_BODY(parse__flipped_bit_is_corrupt, tc)
{
	static const char *const p[] = { "{\"kind\":\"lead\"}", "{\"n\":2}" };
	struct ce_buf	 b;
	size_t		 byte, len, first;
	int		 bit;

	frame_all(&b, p, 2);
	first = CE_SPOOL_HDR + strlen(p[0]);
	for (byte = 8; byte < first; byte++)
		for (bit = 0; bit < 8; bit++) {
			b.data[byte] ^= (char)(1 << bit);
			ATF_CHECK_EQ_MSG(ce_spool_parse((unsigned char *)b.data,
			    b.len, &len), CE_SPOOL_CORRUPT, "byte %zu bit %d",
			    byte, bit);
			ATF_CHECK_EQ(len, strlen(p[0]));
			b.data[byte] ^= (char)(1 << bit);
		}
	ATF_CHECK_EQ(ce_spool_parse((unsigned char *)b.data + first,
	    b.len - first, &len), CE_SPOOL_OK);
	ATF_CHECK_EQ(len, strlen(p[1]));
	ce_buf_free(&b);
}

ATF_TC(parse__bad_header_stops);
ATF_TC_HEAD(parse__bad_header_stops, tc)
{
	atf_tc_set_md_var(tc, "descr", "a header without the magic, or with "
	    "a length past CE_SPOOL_REC_MAX, is no record (the reader stops)");
}
ATF_TC_BODY(parse__bad_header_stops, tc)
{
	static const char *const p[] = { "{}" };
	struct ce_buf	 b;
	size_t		 len;

	frame_all(&b, p, 1);
	b.data[0] = 'X';
	ATF_CHECK_EQ(ce_spool_parse((unsigned char *)b.data, b.len, &len),
	    CE_SPOOL_BAD);
	ATF_CHECK_EQ(ce_spool_header((unsigned char *)b.data, &len), -1);
	b.data[0] = 'C';
	ATF_CHECK_EQ(ce_spool_header((unsigned char *)b.data, &len), 0);
	ATF_CHECK_EQ(len, 2);
	/* Length 0xff000000: far past the cap. */
	b.data[7] = (char)0xff;
	ATF_CHECK_EQ(ce_spool_parse((unsigned char *)b.data, b.len, &len),
	    CE_SPOOL_BAD);
	ATF_CHECK_EQ(ce_spool_header((unsigned char *)b.data, &len), -1);
	ce_buf_free(&b);
}

ATF_TC(frame__over_cap_leaves_buffer);
ATF_TC_HEAD(frame__over_cap_leaves_buffer, tc)
{
	atf_tc_set_md_var(tc, "descr", "a record past the buffer's cap fails "
	    "with CE_E2BIG and leaves the buffer as it was");
}
ATF_TC_BODY(frame__over_cap_leaves_buffer, tc)
{
	struct ce_buf	 b;
	char		 big[64];

	memset(big, 'x', sizeof(big));
	ce_buf_init(&b, CE_SPOOL_HDR + 32);
	ATF_REQUIRE(ce_spool_frame(&b, big, 16) == CE_OK);
	ATF_CHECK_EQ(ce_spool_frame(&b, big, sizeof(big)), CE_E2BIG);
	ATF_CHECK_EQ(b.len, CE_SPOOL_HDR + 16);
	ce_buf_free(&b);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, crc32__known_values);
	ATF_TP_ADD_TC(tp, frame__round_trip);
	ATF_TP_ADD_TC(tp, frame__over_cap_leaves_buffer);
	ATF_TP_ADD_TC(tp, parse__torn_at_every_length);
	ATF_TP_ADD_TC(tp, parse__flipped_bit_is_corrupt);
	ATF_TP_ADD_TC(tp, parse__bad_header_stops);
	return atf_no_error();
}
