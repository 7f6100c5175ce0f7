/*
 * core/siphash.h -- SipHash-2-4 (siphash.c), the keyed hash of the
 * shared file's tables.  Pure: no state, no allocation.
 */
#ifndef CE_CORE_SIPHASH_H
#define CE_CORE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t	 ce_siphash(const uint8_t key[16], const void *, size_t);

#endif /* CE_CORE_SIPHASH_H */
