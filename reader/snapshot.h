/*
 * snapshot.h - the producer-state snapshot (`<offset>.snapshot`, formats doc 5).
 *
 * Owns: kp_snapshot, a read-only view over the bytes of one .snapshot file
 * that the caller has read and keeps alive, and kp_entry, one producer's
 * decoded 46-byte entry. Entries are read by position with kcur, big-endian.
 * Allocates nothing, never prints, never touches a file.
 *
 * Layout: version int16 (= 1, the only version since 0.11), crc uint32 =
 * CRC-32C of bytes [6, EOF), entryCount int32, then entryCount entries of
 * 46 bytes. The file name's offset is the exclusive end of the state it
 * holds (map end offset); the caller passes it to kp_check_entry.
 */
#ifndef KAUDIT_READER_SNAPSHOT_H
#define KAUDIT_READER_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define KP_VERSION     1
#define KP_HEADER_SIZE 10 /* version, crc, entryCount */
#define KP_CRC_FROM    6  /* the CRC covers [6, EOF) */
#define KP_ENTRY_SIZE  46

typedef struct kp_snapshot {
    const uint8_t *buf;    /* the file's bytes; borrowed, never freed here */
    size_t len;            /* file length */
    int16_t version;       /* as stored; -1 when the file is shorter than 2 bytes */
    uint32_t crc_stored;   /* as stored (0 when the header is short) */
    uint32_t crc_computed; /* CRC-32C of [6, len) (0 when the header is short) */
    int32_t count;         /* entryCount as stored; -1 when not read */
    size_t n;              /* entries fully present that kp_entry_at may read */
    size_t trailing;       /* bytes after the n readable entries (a partial entry, or extra bytes) */
} kp_snapshot;

typedef struct kp_entry {
    int64_t pos;                      /* byte position of the entry in the file */
    int64_t producer_id;              /* the producer this entry is for */
    int16_t epoch;                    /* current producer epoch */
    int32_t last_sequence;            /* last seq of the last data batch, -1 if none */
    int64_t last_offset;              /* last offset of that batch, -1 if none */
    int32_t offset_delta;             /* lastOffset - firstOffset of that batch */
    int64_t timestamp;                /* entry's last timestamp */
    int32_t coordinator_epoch;        /* last marker's coordinator epoch, -1 initially */
    int64_t current_txn_first_offset; /* first offset of the open transaction, -1 if none */
} kp_entry;

/*
 * Parse the header of the snapshot in `buf` (`len` bytes) into *s and check
 * it as ProducerStateManager.readSnapshot does, in its order:
 *   KE_SHORT       fewer than 2 bytes (pos 0), or 2..9 bytes (pos of the
 *                  field that does not fit);
 *   KE_UNSUPPORTED version != 1 (pos 0; also what a Redpanda
 *                  *.snapshot looks like);
 *   KE_CORRUPT     entryCount < 0 (pos 6);
 *   KE_TRUNCATED   count * 46 runs past the end (pos = first missing entry);
 *   KE_CRC         stored CRC != CRC-32C of [6, EOF) (pos 2);
 * and then the auditor's one addition:
 *   KE_CORRUPT     bytes after the `count` entries (pos = first such byte).
 *                  Kafka's generated reader ignores them (they are inside
 *                  the CRC); no writer produces them.
 * Returns 0 when none applies. Whatever it returns, *s is filled as far as
 * the header could be read, and s->n entries (those fully present, at most
 * `count`) can be read with kp_entry_at, so a dump can show what a corrupt
 * snapshot holds. KE_USAGE for NULL s or NULL buf with len > 0. `buf` must
 * outlive *s.
 */
int kp_open(kp_snapshot *s, const uint8_t *buf, size_t len, ke_error *err);

/*
 * Read entry `i` (< s->n) into *e. Returns 0, or KE_USAGE when i is out of
 * range or an argument is NULL.
 */
int kp_entry_at(const kp_snapshot *s, size_t i, kp_entry *e, ke_error *err);

/* Byte position of entry `i`: 10 + 46 * i. */
int64_t kp_entry_pos(size_t i);

/*
 * Whether the entry carries batch metadata, as Kafka decides on load
 * (lastOffset >= 0); without it lastSequence/offsetDelta mean nothing.
 */
bool kp_has_batch(const kp_entry *e);

/* Whether a transaction is open for this producer (currentTxnFirstOffset >= 0). */
bool kp_has_open_txn(const kp_entry *e);

/*
 * The first sequence of the producer's last batch: decrementSequence
 * (lastSequence, offsetDelta), wrapping at INT32_MAX (formats doc 1.8):
 * s < d ? INT32_MAX - (d - s) + 1 : s - d, computed in 64 bits. For inputs
 * a broker writes (0 <= d, s >= 0) the result is in [0, INT32_MAX]; for
 * others it is reduced modulo 2^32 as Java's int arithmetic would, so it
 * equals what DumpLogSegments prints. Meaningful only with kp_has_batch(e)
 * (for a no-batch entry, (-1, 0), the formula gives INT32_MAX; Kafka never
 * uses or prints it).
 */
int32_t kp_first_sequence(const kp_entry *e);

/*
 * The auditor's checks of one entry, given the snapshot's end offset from
 * its file name (`end_offset`, exclusive; pass -1 when unknown). Returns 0
 * or KE_CORRUPT with pos = the entry for the first of:
 *   producerId < 0;
 *   with batch metadata: offsetDelta < 0, or lastOffset - offsetDelta < 0;
 *   without: lastSequence != -1 or offsetDelta != 0 (what the broker writes);
 *   lastOffset >= end_offset, or currentTxnFirstOffset >= end_offset.
 */
int kp_check_entry(const kp_entry *e, int64_t end_offset, ke_error *err);

#endif
