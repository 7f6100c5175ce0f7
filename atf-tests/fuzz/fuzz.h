/*
 * fuzz.h -- what the libFuzzer drivers of atf-tests/fuzz/ share: the
 * entry points libFuzzer calls, an assertion that survives NDEBUG, the
 * process's context, and UTF-8 checks.  Drivers include it after
 * c2s-enrich.h.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Called by libFuzzer; declared here for -Wmissing-prototypes. */
int		 LLVMFuzzerInitialize(int *, char ***);
int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * A property that must hold: on failure, say which and abort(), which
 * libFuzzer reports as a crash and saves the input.
 */
#define FZ_CHECK(cond)	do {						\
	if (!(cond))							\
		fz_fail(__FILE__, __LINE__, #cond);			\
} while (0)

void		 fz_fail(const char *, int, const char *)
		    __attribute__((noreturn));

/*
 * The context the API wants, made once: default configuration, log
 * lines silenced.  Never NULL (fz_fail() otherwise).
 */
struct ce_ctx	*fz_ctx(void);

/* Is "len" bytes of "s" well-formed UTF-8 (RFC 3629: no overlong form,
 * no surrogate, nothing above U+10FFFF)? */
int		 fz_utf8_valid(const char *s, size_t len);

/*
 * Copy "len" bytes of "s" into a new NUL-terminated string, each byte
 * that does not start a well-formed UTF-8 sequence replaced by '?'.
 * Returns NULL only when out of memory; free() it.
 */
char		*fz_utf8_fix(const char *s, size_t len);

/* A NUL-terminated heap copy of "len" bytes of "s" (cut at a NUL), sized
 * exactly so that ASan sees any read past its end; free() it. */
char		*fz_strndup(const char *s, size_t len);

#endif /* FUZZ_H */
