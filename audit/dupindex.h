/*
 * dupindex.h - the duplicate index of one partition.
 *
 * Owns: kq_index, a map from a record's fingerprint (audit/runs.c's
 * ka_fingerprint: 128 bits of its key and value) to where the record first
 * appeared: its offset and the batch it came from (an index into the audit's
 * batch table; offset and timestamp are kept relative to that batch's).
 *
 * Identity is 96 bits of the fingerprint (kq_same: `lo` and the high half of
 * `hi`), in every mode, so that all modes give the same answers. A false
 * match between two different records needs their 96 bits to be equal:
 * about n^2 / 2^97 for n distinct records in a partition, 6e-14 for 100
 * million, 6e-10 for 10 billion (a 2 TB partition of 200-byte records):
 * negligible at any partition size.
 *
 * In memory a slot is 24 bytes (kq_cell: the 96 bits, the batch, the aux
 * word, and the offset and timestamp deltas in 16 bits each; the rare deltas
 * that do not fit live in a side table), in an ordered (Robin Hood) linear
 * table kept at a load of at most 7/8: 27.4 bytes per distinct record when
 * full. A lookup of an absent fingerprint stops at the first slot whose home
 * lies past its own, so misses stay short at that load.
 *
 * The index works in one of three modes, all giving the same answers:
 *
 *   KQ_MEMORY  an open-addressing hash table, at most `max_bytes` large,
 *              counting the old table while a larger one is filled; kq_put
 *              returns KQ_FULL when it would have to grow past that.
 *   KQ_RECORD  first pass of a spilled audit: every put is written to a
 *              kq_spill sink (with its put number and absolute offset) and
 *              answered "new"; the answers of this pass are thrown away.
 *   KQ_REPLAY  second pass: the answers come from the kq_spill source, the
 *              duplicates kq_resolve found in the recorded puts, in put
 *              order. The table is not used: memory stays flat.
 *
 * The rule every mode follows (kq_count_copy, called by dedup_put in
 * audit.c and by kq_resolve here): the slot describes the copy at the
 * highest offset put so far, so a later copy is compared with its nearest
 * earlier copy, and counts the copies put (up to four); the caller applies
 * it to the slot kq_put found.
 *
 * The spill's records (kq_spilled, kq_event) keep the whole 128-bit
 * fingerprint and the 32-byte kq_slot: their format did not change.
 *
 * No I/O here: the spill's files belong to its owner (engine/spill.c), reached
 * through the kq_spill callbacks. Never prints.
 */
#ifndef KAUDIT_AUDIT_DUPINDEX_H
#define KAUDIT_AUDIT_DUPINDEX_H

#include <stddef.h>
#include <stdint.h>

typedef struct kq_slot {
    uint64_t lo, hi;       /* the fingerprint (key and value); an answer's has hi's low half 0 */
    uint32_t batch;        /* the earliest copy's batch, KQ_EMPTY for a free slot */
    int32_t offset_delta;  /* its offset - the batch's base offset */
    int32_t ts_delta;      /* its timestamp - the batch's first timestamp, or KQ_NO_TS */
    uint32_t aux;          /* KQ_AUX_HASH: a hash of its client timestamp and headers (identical
                            * copies); above it, the copies put so far less one (kq_copies) */
} kq_slot;

#define KQ_AUX_HASH 0x3fffffffu
#define KQ_AUX_COPIES_SHIFT 30

/* How many copies of the slot's content were put so far: 1 to 4 (4 means
 * four or more). */
static inline unsigned kq_copies(const kq_slot *s) { return (s->aux >> KQ_AUX_COPIES_SHIFT) + 1; }

/*
 * The index's rule for a put `rec` at absolute offset `rec_offset` that
 * found `slot`, whose copy is at `slot_offset`: count one more copy, and
 * when the put is the later of the two, the slot describes it from now on
 * (a committed transaction's records are put at its marker, after records
 * at higher offsets, so a put can be the earlier one).
 */
static inline void kq_count_copy(kq_slot *slot, const kq_slot *rec, int64_t rec_offset, int64_t slot_offset)
{
    unsigned copies = kq_copies(slot) < 4 ? kq_copies(slot) : 3;
    if (rec_offset > slot_offset) *slot = *rec;
    slot->aux = (slot->aux & KQ_AUX_HASH) | (uint32_t)copies << KQ_AUX_COPIES_SHIFT;
}

/* The record had no timestamp (v0, -1), or one too far from its batch's. */
#define KQ_NO_TS INT32_MIN

#define KQ_EMPTY UINT32_MAX

/* Whether two fingerprints are the same identity: 96 of their bits. */
static inline int kq_same(const kq_slot *a, const kq_slot *b)
{
    return a->lo == b->lo && (a->hi >> 32) == (b->hi >> 32);
}

/* A slot as the table holds it (24 bytes). */
typedef struct kq_cell {
    uint64_t lo;           /* the fingerprint's low half */
    uint32_t hi;           /* the high 32 bits of its high half */
    uint32_t batch;        /* kq_slot.batch + 1; 0 for a free cell */
    uint32_t aux;          /* kq_slot.aux */
    uint16_t off;          /* kq_slot.offset_delta, or KQ_OFF_SIDE */
    int16_t ts;            /* kq_slot.ts_delta, KQ_TS_NONE for KQ_NO_TS, or KQ_TS_SIDE */
} kq_cell;

#define KQ_OFF_SIDE UINT16_MAX /* the deltas are in the side table */
#define KQ_TS_SIDE INT16_MIN
#define KQ_TS_NONE (INT16_MIN + 1)

/* The side table's entry: a fingerprint's deltas that did not fit a cell. */
typedef struct kq_wide {
    uint64_t lo;
    uint32_t hi;
    uint32_t used;         /* 1 in use, 0 free */
    int32_t offset_delta, ts_delta;
} kq_wide;

/* The caller's description of a put's batch, carried through a spill so that
 * a replay needs no table of every batch (audit.c's ka_binfo). Opaque here. */
#define KQ_INFO 48

/* One put of the first pass, as written to the spill. */
typedef struct kq_spilled {
    kq_slot rec;           /* what was put */
    int64_t offset;        /* its absolute offset (the lowest-offset rule) */
    uint64_t seq;          /* its put number in the partition, from 0 */
    unsigned char info[KQ_INFO]; /* its batch, as the caller described it */
} kq_spilled;

/* One put that found a copy: its put number, the slot it found and the
 * description of that slot's batch. */
typedef struct kq_event {
    uint64_t seq;
    kq_slot found;
    unsigned char info[KQ_INFO];
} kq_event;

/*
 * Where a spilled index writes its puts (KQ_RECORD) and reads its answers
 * (KQ_REPLAY). put: 0, or -1 on an I/O error. next: 1 with the next event
 * in put order, 0 at the end, -1 on an I/O error.
 */
typedef struct kq_spill {
    void *ctx;
    int (*put)(void *ctx, const kq_spilled *s);
    int (*next)(void *ctx, kq_event *e);
} kq_spill;

enum { KQ_MEMORY, KQ_RECORD, KQ_REPLAY };

/* kq_put's answers besides 0 (new) and 1 (found). */
enum {
    KQ_ERROR = -1,   /* out of memory, or the spill failed: nothing inserted */
    KQ_FULL = -2,    /* KQ_MEMORY: growing would pass max_bytes */
    KQ_CHANGED = -3, /* KQ_REPLAY: this put is not the one recorded (the data changed between passes) */
};

/* The smallest table. */
#define KQ_MIN_SLOTS 1024

typedef struct kq_index {
    int mode;
    kq_cell *slots;        /* the table, zeroed when allocated (free cells) */
    size_t cap;            /* slots (any number from KQ_MIN_SLOTS), or 0 */
    size_t n;              /* used slots */
    kq_wide *wide;         /* the side table, a power of two in size, or NULL */
    size_t wcap, wn;       /* its slots and those in use */
    size_t peak;           /* the most bytes held at once (kq_peak_bytes) */
    size_t at;             /* KQ_MEMORY: the cell of the last answer "found", SIZE_MAX none */
    size_t max_bytes;      /* KQ_MEMORY: the most the table may take; 0 = no limit */
    const kq_spill *spill; /* KQ_RECORD, KQ_REPLAY */
    uint64_t seq;          /* puts so far */
    kq_event ev;           /* KQ_REPLAY: the next answer ... */
    int have_ev;           /* ... 1 when ev holds it, 0 at the end, -1 after an error */
    kq_event given;        /* the answer kq_put gave last (its slot is the caller's to change) */
} kq_index;

/* Start empty, in KQ_MEMORY mode with no limit. */
void kq_init(kq_index *q);
/* Free. Accepts NULL. */
void kq_free(kq_index *q);

/* Limit the table to `max_bytes` (0 = none); checked when it grows. */
void kq_set_limit(kq_index *q, size_t max_bytes);

/* Switch an empty index to KQ_RECORD or KQ_REPLAY over `spill`, which must
 * outlive it. 0, or -1 when the spill cannot be read. */
int kq_set_spill(kq_index *q, int mode, const kq_spill *spill);

/*
 * Look the fingerprint of `rec` (at absolute offset `offset`, in the batch
 * `info` describes, KQ_INFO bytes) up; when absent, insert `rec` and return
 * 0. When present, return 1 and point *slot at a copy of the entry, with
 * the low half of `hi` 0 in every mode; the caller may replace its fields,
 * never its fingerprint: in KQ_MEMORY what it leaves there is stored at the
 * next kq_put (until then the copy is the entry), in KQ_REPLAY it changes
 * nothing. *found_info is the description of the entry's batch in
 * KQ_REPLAY, NULL otherwise (the caller keeps its batches). The copy stays
 * valid until the next call on the index.
 * Otherwise KQ_ERROR, KQ_FULL or KQ_CHANGED, and nothing was inserted.
 */
int kq_put(kq_index *q, const kq_slot *rec, int64_t offset, const void *info, kq_slot **slot,
           const void **found_info);

/* Bytes of one slot of the table. */
#define KQ_SLOT_BYTES sizeof(kq_cell)

/* The slots a table needs to hold `n` entries at a load of at most 7/8. */
static inline size_t kq_slots_for(size_t n)
{
    size_t cap = n + n / 7 + 1;
    return cap < KQ_MIN_SLOTS ? KQ_MIN_SLOTS : cap;
}

/* Make room for `n` entries without growing (within the limit). 0, or -1
 * out of memory. */
int kq_reserve(kq_index *q, size_t n);

/* Where fingerprint `lo` starts probing in a table of `cap` slots: the
 * high half of lo * cap, uniform for any cap (no power of two needed, so a
 * table can be sized to what it will hold and to what the limit allows). */
static inline size_t kq_home(uint64_t lo, size_t cap) { return (size_t)(((unsigned __int128)lo * cap) >> 64); }

/* Hint that the slot of fingerprint `lo` will be needed soon. */
static inline void kq_prefetch(const kq_index *q, uint64_t lo)
{
    if (q->cap) __builtin_prefetch(&q->slots[kq_home(lo, q->cap)]);
}

/* Bytes held (the table and its side table). */
size_t kq_bytes(const kq_index *q);

/* The most bytes held at once so far, both tables of a growth included. */
size_t kq_peak_bytes(const kq_index *q);

/* Bytes kq_resolve needs for `n` puts. */
size_t kq_resolve_bytes(size_t n);

/*
 * Replay `n` recorded puts of one share of the fingerprints, in put order,
 * through a table of their own: call `get` for each (1 with the next put, 0
 * at the end, -1 on error) and `emit` for each put that finds a copy, in put
 * order, with the slot it found, exactly as KQ_MEMORY would have answered.
 * Puts with different fingerprints never interact, so any split of the
 * fingerprints into shares gives the same events. 0, or -1 (out of memory,
 * or a callback failed).
 */
int kq_resolve(size_t n, int (*get)(void *ctx, kq_spilled *s), int (*emit)(void *ctx, const kq_event *e), void *ctx);

#endif
