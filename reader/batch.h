/*
 * batch.h - one log entry (a v2 record batch or a v0/v1 message) and the
 * records inside it.
 *
 * Owns: kb_batch (the typed header of one entry, formats doc 1.3 to 1.5 and
 * 1.11), kb_record (one record, a view: key, value and headers point into the
 * entry or into the codec context's buffer) and kb_iter (walks the records).
 * It checks the CRC, bounds every length by the bytes of its record, and for
 * legacy wrappers converts relative inner offsets (1.11).
 *
 * May touch: the entry bytes it is given (read-only) and the kc_ctx passed to
 * kb_iter_open (whose buffer then holds the decompressed records). Allocates
 * nothing, never prints, knows nothing about files: the caller gives the file
 * position of the entry so errors can carry it.
 */
#ifndef KAUDIT_READER_BATCH_H
#define KAUDIT_READER_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "cursor.h"
#include "error.h"

#define KB_LOG_OVERHEAD 12      /* offset int64 + size int32 before every entry */
#define KB_HEADER_UP_TO_MAGIC 17
#define KB_V2_HEADER 61         /* RECORD_BATCH_OVERHEAD */
#define KB_LEGACY_MIN_SIZE 14   /* LegacyRecord.RECORD_OVERHEAD_V0: below this Kafka throws */

enum { KB_TS_NONE = -1, KB_TS_CREATE = 0, KB_TS_LOG_APPEND = 1 };

/* Control record types (formats doc 3). */
enum {
    KB_CTRL_UNKNOWN = -1,
    KB_CTRL_ABORT = 0,
    KB_CTRL_COMMIT = 1,
    KB_CTRL_LEADER_CHANGE = 2,
    KB_CTRL_SNAPSHOT_HEADER = 3,
    KB_CTRL_SNAPSHOT_FOOTER = 4,
    KB_CTRL_KRAFT_VERSION = 5,
    KB_CTRL_KRAFT_VOTERS = 6
};

typedef struct kb_batch {
    int64_t pos;                 /* file position of the entry (its offset field) */
    const uint8_t *data;         /* the entry's bytes, `size` of them */
    uint32_t size;               /* 12 + length field: bytes of the whole entry */
    int8_t magic;                /* 0, 1 or 2 */
    int64_t base_offset;         /* first offset; for a legacy wrapper known after kb_iter_open */
    int64_t last_offset;         /* v2: base + lastOffsetDelta; legacy: the entry's offset */
    int32_t last_offset_delta;   /* v2 header field; legacy 0 */
    int32_t count;               /* v2 recordsCount; legacy 1, wrapper: inner count after open */
    int32_t partition_leader_epoch; /* v2 only, -1 for legacy */
    uint32_t crc;                /* the stored checksum */
    uint32_t crc_computed;       /* the checksum of the bytes as they are */
    bool crc_valid;              /* crc == crc_computed (CRC-32C v2, CRC-32 legacy) */
    uint16_t attributes;         /* raw attributes (legacy: the message's one byte) */
    int codec;                   /* KC_* from attributes bits 0-2 */
    int timestamp_type;          /* KB_TS_* */
    bool is_transactional;       /* attributes bit 4 (v2) */
    bool is_control;             /* attributes bit 5 (v2) */
    bool has_delete_horizon;     /* attributes bit 6 (v2, 3.1+): base_timestamp is the horizon */
    int64_t base_timestamp;      /* v2 first timestamp; legacy v1 the message timestamp, v0 -1 */
    int64_t max_timestamp;       /* v2 max timestamp; legacy v1 the message timestamp, v0 -1 */
    int64_t producer_id;         /* -1 when not idempotent (always for legacy) */
    int16_t producer_epoch;
    int32_t base_sequence;       /* -1 when none */
    int32_t last_sequence;       /* derived, wraps at INT32_MAX (formats doc 1.8) */
    const uint8_t *payload;      /* v2: the records area; legacy: the message value */
    size_t payload_len;
    int64_t payload_pos;         /* file position of payload */
    const uint8_t *key;          /* legacy only: the message key (NULL when null) */
    int32_t key_len;             /* legacy only: -1 when null */
    int32_t value_len;           /* legacy only: -1 when null */
} kb_batch;

typedef struct kb_record {
    int64_t offset;
    int64_t timestamp;           /* as consumers see it: -1 when none (v0); LogAppendTime: the broker's */
    int64_t client_timestamp;    /* as the producer stamped it, -1 when no longer known (v0, a
                                  * v1 message the broker restamped, a v2 delete horizon) */
    int32_t sequence;            /* baseSequence + offsetDelta wrapped, -1 when none */
    int8_t attributes;           /* v2 record attributes (unused by Kafka), legacy message attributes */
    const uint8_t *key;          /* NULL when null */
    int32_t key_len;             /* -1 when null; 0 for empty */
    const uint8_t *value;        /* NULL when null */
    int32_t value_len;           /* -1 when null (tombstone) */
    int32_t header_count;
    const uint8_t *headers;      /* raw header area, already validated; walk with kb_header_next */
    size_t headers_len;
    uint32_t crc;                /* legacy messages only: stored */
    uint32_t crc_computed;       /* legacy messages only: of the bytes as they are */
    bool crc_valid;              /* legacy messages only; always true for v2 records */
} kb_record;

typedef struct kb_header {
    const uint8_t *key;
    int32_t key_len;             /* >= 0 */
    const uint8_t *value;        /* NULL when null */
    int32_t value_len;           /* -1 when null */
} kb_header;

typedef struct kb_iter {
    kb_batch *b;                 /* the batch being read (updated for legacy wrappers) */
    kcur cur;                    /* over the records (or the inner message set) */
    const uint8_t *start;        /* first byte of the records, for positions */
    int64_t start_pos;           /* file position of `start`, or -1 when decompressed */
    int32_t index;               /* records returned so far */
    int32_t prev_delta;          /* v2: offset delta of the previous record (index > 0) */
    int64_t legacy_base;         /* v1 wrappers: absolute offset of relative 0 */
    int kind;                    /* which walker: see batch.c */
} kb_iter;

/*
 * Parse the entry at `p`, which must hold at least 17 bytes and the whole
 * entry (12 + size bytes) when the size is sane; `avail` is the number of
 * bytes at p. Fills *b. The CRC is checked and reported in b->crc_valid
 * (a mismatch is not an error here: the caller decides). Returns 0, or a
 * negative KE_* code for an entry whose header breaks the format: size below
 * the minimum, unknown magic, codec 5-7, a negative record count, a legacy
 * key or value running past the message.
 */
int kb_parse(const uint8_t *p, size_t avail, int64_t pos, kb_batch *b, ke_error *e);

/*
 * Prepare to walk the records of `b`: decompresses the payload into `dc`
 * when compressed (dc may be NULL for uncompressed batches), and for a
 * legacy wrapper pre-scans the inner message set to set b->base_offset and
 * b->count. Returns 0 or a negative KE_* code (decompression failure, a
 * broken inner message set).
 */
int kb_iter_open(kb_iter *it, kb_batch *b, kc_ctx *dc, ke_error *e);

/*
 * Next record into *r (views valid while the entry bytes and dc's buffer
 * are). Returns 1 for a record, 0 at the end (after checking that exactly
 * `count` records filled the records area), or a negative KE_* code: a
 * record whose length fields do not fit, a record body not consumed
 * exactly, bytes left over, fewer records than the count (KE_COUNT), a v2
 * offset delta outside [0, lastOffsetDelta] or not above the previous
 * record's (KE_CORRUPT). After an error the iterator is finished.
 */
int kb_iter_next(kb_iter *it, kb_record *r, ke_error *e);

/* Next header from a cursor over a record's header area (as validated by
 * kb_iter_next). Returns false at the end. */
bool kb_header_next(kcur *c, kb_header *h);

/*
 * Decode a control record's key (and for COMMIT/ABORT its value): *type gets
 * a KB_CTRL_* (KB_CTRL_UNKNOWN for other ids, which Kafka ignores),
 * *coordinator_epoch the marker's epoch or -1. Returns 0 or KE_CORRUPT for a
 * key shorter than 4 bytes, a negative version, or a marker value shorter
 * than 6 bytes.
 */
int kb_control_parse(const kb_record *r, int *type, int32_t *coordinator_epoch, ke_error *e);

/* "COMMIT", "ABORT", "LEADER_CHANGE", ... or "UNKNOWN". */
const char *kb_control_name(int type);

/* inc(s, d) of formats doc 1.8: s + d wrapping from INT32_MAX to 0. */
int32_t kb_seq_add(int32_t seq, int64_t delta);

#endif
