/*
 * dupindex.h - the duplicate index of one partition.
 *
 * Owns: kq_index, an open-addressing hash table from a record's 128-bit
 * fingerprint (XXH3-128 of its key and value, see audit.c) to where the
 * record first appeared: its offset and the batch it came from (an index
 * into the audit's batch table; offset and timestamp are kept relative to
 * that batch's, which is what keeps a slot at 32 bytes). With 128-bit
 * fingerprints a false match between different records needs a collision
 * of probability about n^2 / 2^129: never, at any partition size.
 * No I/O, never prints.
 */
#ifndef KAUDIT_AUDIT_DUPINDEX_H
#define KAUDIT_AUDIT_DUPINDEX_H

#include <stddef.h>
#include <stdint.h>

typedef struct kq_slot {
    uint64_t lo, hi;       /* the fingerprint (key and value) */
    uint32_t batch;        /* the earliest copy's batch, KQ_EMPTY for a free slot */
    int32_t offset_delta;  /* its offset - the batch's base offset */
    int32_t ts_delta;      /* its timestamp - the batch's first timestamp, or KQ_NO_TS */
    uint32_t aux;          /* a 32-bit hash of its timestamp and headers (identical copies) */
} kq_slot;

/* The record had no timestamp (v0, -1), or one too far from its batch's. */
#define KQ_NO_TS INT32_MIN

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
 * Look the fingerprint of `rec` up; when absent, insert `rec` and return 0.
 * When present, return 1 and point *slot at the entry (the caller may
 * replace its fields, never its fingerprint). Returns -1 when out of memory
 * (nothing inserted).
 */
int kq_put(kq_index *q, const kq_slot *rec, kq_slot **slot);

/* Make room for `n` entries without growing. 0, or -1 out of memory. */
int kq_reserve(kq_index *q, size_t n);

/* Hint that the slot of fingerprint `lo` will be needed soon. */
static inline void kq_prefetch(const kq_index *q, uint64_t lo)
{
    if (q->cap) __builtin_prefetch(&q->slots[(size_t)lo & (q->cap - 1)]);
}

/* Bytes held. */
size_t kq_bytes(const kq_index *q);

#endif
