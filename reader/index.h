/*
 * index.h - the three per-segment index files: .index, .timeindex, .txnindex.
 *
 * Owns: ki_index, a read-only view over the bytes of one index file that the
 * caller has read (or mapped) and keeps alive, plus the segment base offset
 * the caller took from the file name. Entries are read by position (slot
 * number) straight from those bytes with kcur, big-endian (formats doc 4).
 * Allocates nothing, never prints, never touches a file.
 *
 * Kafka's rules this module follows (formats doc 4, 8.3, 11.10):
 *  - .index (8-byte slots) and .timeindex (12-byte slots) are preallocated
 *    and mmapped; on open Kafka takes every whole slot up to the file length
 *    as an entry (AbstractIndex: entries = length / entrySize), so a crash
 *    leaves a tail of zero slots. Where the written entries end is decided
 *    as DumpLogSegments does for BOTH files: at the first slot i > 0 whose
 *    relative offset is 0 (`entry.offset == baseOffset && i > 0`), whatever
 *    its timestamp. A broker never writes relative offset 0 after slot 0
 *    (offsets strictly increase in .index; in .timeindex the offset of the
 *    max timestamp only moves forward), so on broker-written files this is
 *    the same as "timestamp 0 and offset 0"; on damaged files it is what
 *    Kafka's own tool shows, and tail_nonzero_pos says when the "tail" is
 *    not all zeros.
 *  - .txnindex (34-byte AbortedTxn records) is not preallocated; a trailing
 *    partial record is ignored by Kafka (TransactionIndex iterates while
 *    34 bytes remain); we ignore it too and report its size.
 *  - sanityCheck (ki_sanity_check) is Kafka's, to the letter, including its
 *    surprise: it looks at the LAST SLOT of the file, zero tail included.
 */
#ifndef KAUDIT_READER_INDEX_H
#define KAUDIT_READER_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define KI_OFFSET_ENTRY_SIZE 8  /* relativeOffset int32, position int32 */
#define KI_TIME_ENTRY_SIZE   12 /* timestamp int64, relativeOffset int32 */
#define KI_TXN_ENTRY_SIZE    34 /* AbortedTxn: version int16 + 4 x int64 */

typedef enum ki_kind {
    KI_OFFSET = 0, /* .index */
    KI_TIME = 1,   /* .timeindex */
    KI_TXN = 2     /* .txnindex */
} ki_kind;

typedef struct ki_index {
    ki_kind kind;             /* which file this is */
    const uint8_t *buf;       /* the file's bytes; borrowed, never freed here */
    size_t len;               /* file length in bytes */
    int64_t base_offset;      /* segment base offset (from the file name), >= 0 */
    size_t entry_size;        /* 8, 12 or 34 */
    size_t slots;             /* whole slots in the file: len / entry_size (what Kafka maps) */
    size_t entries;           /* slots before the zero tail; == slots for .txnindex */
    size_t tail_bytes;        /* bytes of the slots [entries, slots): the preallocated tail */
    int64_t tail_nonzero_pos; /* first non-zero byte inside that tail, -1 when all zeros */
    size_t partial_bytes;     /* len % entry_size: bytes of a trailing partial entry */
} ki_index;

/* One .index entry. */
typedef struct ki_offset_entry {
    int64_t pos;      /* byte position of the entry in the file */
    int32_t rel;      /* relative offset as stored */
    int64_t offset;   /* base_offset + rel */
    int32_t position; /* byte position in the .log (as stored, may be negative if corrupt) */
} ki_offset_entry;

/* One .timeindex entry. */
typedef struct ki_time_entry {
    int64_t pos;       /* byte position of the entry in the file */
    int64_t timestamp; /* largest timestamp seen up to `offset` */
    int32_t rel;       /* relative offset as stored */
    int64_t offset;    /* base_offset + rel */
} ki_time_entry;

/* One .txnindex entry (AbortedTxn). */
typedef struct ki_txn_entry {
    int64_t pos;                /* byte position of the entry in the file */
    int16_t version;            /* the whole int16 as stored (Kafka reads only its first byte) */
    int64_t producer_id;        /* the aborted transaction's producer */
    int64_t first_offset;       /* first offset of the aborted transaction */
    int64_t last_offset;        /* offset of its ABORT marker */
    int64_t last_stable_offset; /* LSO when the abort completed */
} ki_txn_entry;

/*
 * Describe the index file in `buf` (`len` bytes) of kind `kind` for a segment
 * whose base offset is `base_offset`. Fills *ix: slot count, where the
 * written entries end (zero tail), tail size and partial trailing bytes.
 * Content never makes this fail (a damaged file is described, the checks
 * below judge it); returns KE_USAGE for a NULL ix, NULL buf with len > 0,
 * an unknown kind or a negative base offset. `buf` must outlive *ix.
 */
int ki_open(ki_index *ix, ki_kind kind, const uint8_t *buf, size_t len, int64_t base_offset, ke_error *err);

/*
 * Byte position in the file of slot `i` (i * entry size), for messages.
 */
int64_t ki_slot_pos(const ki_index *ix, size_t i);

/*
 * Read slot `i` (< ix->slots, tail slots included) of a .index into *out.
 * Returns 0, KE_USAGE for a wrong kind or i out of range, or KE_CORRUPT when
 * base_offset + rel overflows int64 (pos = the entry).
 */
int ki_offset_at(const ki_index *ix, size_t i, ki_offset_entry *out, ke_error *err);

/*
 * Read slot `i` (< ix->slots) of a .timeindex into *out. Errors as
 * ki_offset_at.
 */
int ki_time_at(const ki_index *ix, size_t i, ki_time_entry *out, ke_error *err);

/*
 * Read entry `i` (< ix->slots) of a .txnindex into *out. Returns 0,
 * KE_USAGE for a wrong kind or i out of range, or KE_UNSUPPORTED when the
 * version is above 0 as Kafka reads it (the first byte, signed: AbortedTxn
 * .version() is buffer.get(0)); *out is filled even then, for a dump.
 */
int ki_txn_at(const ki_index *ix, size_t i, ki_txn_entry *out, ke_error *err);

/*
 * Kafka's sanityCheck for this kind (formats doc 4.1-4.3), returning the
 * first violation as KE_CORRUPT (or KE_UNSUPPORTED for a .txnindex version)
 * with the byte position of the slot concerned, or 0 when Kafka would pass
 * the file.
 *  .index:     slots > 0 and the last slot's offset < base offset; then
 *              length not a multiple of 8.
 *  .timeindex: slots > 0 and the last slot's timestamp < slot 0's; slots > 0
 *              and the last slot's offset < base offset; then length not a
 *              multiple of 12. "Last slot" is Kafka's: the last whole slot of
 *              the file, so a full-size preallocated .timeindex whose tail is
 *              zeros FAILS (last timestamp 0) - which is why brokers rebuild
 *              such files - while the same .index passes.
 *  .txnindex:  every whole entry: version > 0 (first byte), then lastOffset <
 *              base offset. A trailing partial entry is not an error.
 */
int ki_sanity_check(const ki_index *ix, ke_error *err);

/*
 * The auditor's ordering checks over the written entries [0, ix->entries)
 * (the zero tail is excluded), pairwise, starting with the pair that ends
 * at entry *next (start with *next = 0). Returns 0 when no violation remains
 * (then *next = ix->entries), or KE_CORRUPT for the first violation with
 * pos = the offending entry and *next set past it, so a caller can loop to
 * collect every violation. Rules (what the broker's append path enforces):
 *  .index:     relative offset >= 0 (OffsetIndex.relativeOffset), offsets
 *              strictly increasing (InvalidOffsetException), log positions
 *              >= 0 and strictly increasing.
 *  .timeindex: relative offset >= 0, timestamps non-decreasing and offsets
 *              non-decreasing (TimeIndex.maybeAppend's two exceptions).
 *              Note DumpLogSegments --verify-index-only is stricter: it calls
 *              an equal timestamp "out of order" (the broker only appends a
 *              greater one); this check does not.
 *  .txnindex:  version int16 == 0 (Kafka only reads the first byte),
 *              firstOffset <= lastOffset, lastStableOffset <= lastOffset + 1,
 *              lastOffset strictly increasing (TransactionIndex.append).
 * KE_USAGE for a NULL argument.
 */
int ki_check_order(const ki_index *ix, size_t *next, ke_error *err);

#endif
