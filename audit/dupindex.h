/*
 * dupindex.h - the duplicate index of one partition.
 *
 * Owns: kq_index, an open-addressing hash table from a record's 128-bit
 * fingerprint (XXH3-128 of its key and value, see audit.c) to where the
 * record first appeared: its offset and the batch it came from (an index
 * into the audit's batch table). One slot is 32 bytes. With 128-bit
 * fingerprints a false match between different records needs a collision
 * of probability about n^2 / 2^129: never, at any partition size.
 * No I/O, never prints.
 */
#ifndef KAUDIT_AUDIT_DUPINDEX_H
#define KAUDIT_AUDIT_DUPINDEX_H

#include <stddef.h>
#include <stdint.h>

typedef struct kq_slot {
    uint64_t lo, hi;       /* the fingerprint */
    int64_t offset;        /* the earliest offset seen with it */
    uint32_t batch;        /* that record's batch, KQ_EMPTY for a free slot */
    uint32_t copies;       /* times seen (saturating) */
} kq_slot;

#define KQ_EMPTY UINT32_MAX

typedef struct kq_index {
    kq_slot *slots;
    size_t cap;            /* a power of two, or 0 */
    size_t n;              /* used slots */
} kq_index;

/* Start empty. */
void kq_init(kq_index *q);
/* Free. Accepts NULL. */
void kq_free(kq_index *q);

/*
 * Look the fingerprint up; when absent, insert it with (offset, batch) and
 * return 0. When present, return 1 and point *slot at the entry (its
 * copies count is incremented; the caller may update offset and batch).
 * Returns -1 when out of memory (nothing inserted).
 */
int kq_put(kq_index *q, uint64_t lo, uint64_t hi, int64_t offset, uint32_t batch, kq_slot **slot);

/* Bytes held. */
size_t kq_bytes(const kq_index *q);

#endif
