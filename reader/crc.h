/*
 * crc.h - the two checksums of Kafka's files.
 *
 * Owns: CRC-32C (v2 batches, producer snapshots; formats doc 1.5 and 5) and
 * CRC-32 IEEE (v0/v1 messages; 1.11). CRC-32C uses the SSE4.2 crc32
 * instruction when the CPU has it (checked once, at first use) and a
 * slicing-by-8 table otherwise; CRC-32 is zlib's. Pure functions, no state
 * visible to callers, never prints.
 */
#ifndef KAUDIT_READER_CRC_H
#define KAUDIT_READER_CRC_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C (Castagnoli) of n bytes. kcrc32c("123456789") == 0xE3069283. */
uint32_t kcrc32c(const uint8_t *p, size_t n);

/* The same, always with the portable table code (for tests and benchmarks). */
uint32_t kcrc32c_sw(const uint8_t *p, size_t n);

/* CRC-32 (IEEE, zlib's). kcrc32("123456789") == 0xCBF43926. */
uint32_t kcrc32(const uint8_t *p, size_t n);

/* 1 when kcrc32c uses the SSE4.2 instruction on this CPU. */
int kcrc32c_hw(void);

#endif
