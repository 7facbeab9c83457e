/*
 * digest.h - the bytes of a kaudit digest: a compact summary of every
 * partition copy a broker holds, batch by batch, that kaudit compare reads
 * in place of the data (docs/digest.md is the format's definition).
 *
 *     file    := "KAUDITDG" version:u8 flags:u8 record*
 *     record  := tag:u8 length:uvarint body[length]
 *
 * Tags: 'D' a log directory, 'P' a partition copy (its batches follow in
 * 'B' chunks, its end in one 'S'), 'E' the end (counts and the XXH3-64 of
 * every byte before the 'E'). Integers are varints as in Kafka's record
 * format: unsigned LEB128, signed ones zigzag.
 *
 * Owns: encoding bodies into a caller's buffer and decoding them over a
 * bounds-checked cursor. No file I/O, no allocation (strings decoded are
 * views into the body), no printing.
 */
#ifndef KAUDIT_READER_DIGEST_H
#define KAUDIT_READER_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader/batch.h"
#include "reader/error.h"

#define KDG_MAGIC "KAUDITDG"
#define KDG_MAGIC_LEN 8
#define KDG_VERSION 1
#define KDG_HEADER_LEN 10           /* magic, version, flags */
#define KDG_CHUNK_BATCHES 1024      /* batches per 'B' record at most */
#define KDG_BATCH_MAX 64            /* encoded bytes of one batch at most */
#define KDG_BODY_MAX ((size_t)1 << 20) /* a record's body at most */

enum { KDG_DIR = 'D', KDG_PART = 'P', KDG_BATCHES = 'B', KDG_STATE = 'S', KDG_END = 'E' };

/* A log directory: the broker and cluster its meta.properties names. */
typedef struct kdg_dir {
    uint64_t id;                 /* numbers the directories of one digest, from 0 */
    const char *path;            /* views into the body, path_len bytes, not terminated */
    size_t path_len;
    int32_t broker;              /* broker.id, else node.id; -1 unknown */
    const char *cluster;         /* cluster.id, cluster_len bytes ("" unknown) */
    size_t cluster_len;
} kdg_dir;

/* A partition copy as the audit that wrote the digest saw it. */
typedef struct kdg_part {
    int64_t dir;                 /* a kdg_dir id of this digest, -1 none */
    const char *topic, *path;    /* views into the body */
    size_t topic_len, path_len;
    int32_t partition;
    bool truncating;             /* it held .deleted segments */
    int64_t kafka_log_start;     /* the broker's log start, -1 no segment */
    int64_t log_start, log_end;  /* of its batches, -1 none */
    int64_t high_watermark;      /* its replication-offset-checkpoint entry, -1 none */
    int64_t last_segment_base, last_segment_size; /* -1, 0 when none */
    int64_t segments, batches, records, control_records, bytes;
    int64_t min_timestamp, max_timestamp; /* -1 when none */
} kdg_part;

/* How a 'B' chunk's batches are coded: each relative to the one before in
 * the same partition (zero at a partition's start). */
typedef struct kdg_prev {
    int64_t next_offset, leader_epoch, max_timestamp, producer_id;
} kdg_prev;

/* The end of a partition copy's batches. */
typedef struct kdg_state {
    int64_t unread;              /* entries the digest left out: they failed their checksum or
                                  * a segment could not be read */
    uint64_t producers;          /* producer entries that follow in the body */
} kdg_state;

/* One producer at the end of a copy (from its batches). */
typedef struct kdg_producer {
    int64_t producer_id;
    int16_t epoch;
    int32_t last_sequence;       /* -1 none */
    int64_t last_offset, last_timestamp;
    int64_t open_txn_first;      /* first offset of a transaction with no marker yet, -1 none */
} kdg_producer;

typedef struct kdg_end {
    uint64_t partitions, batches;
    uint64_t checksum;           /* XXH3-64 of the file's bytes before the 'E' tag */
} kdg_end;

/* Encoders: write a body into out (at least KDG_BODY_MAX, or KDG_BATCH_MAX
 * for one batch) and return its length. Strings longer than 64 KiB are
 * cut there. */
size_t kdg_put_dir(uint8_t *out, const kdg_dir *d);
size_t kdg_put_part(uint8_t *out, const kdg_part *p);
size_t kdg_put_batch(uint8_t *out, kdg_prev *prev, const kb_batch *b, int control_type);
size_t kdg_put_state(uint8_t *out, const kdg_state *s, const kdg_producer *p, size_t n);
size_t kdg_put_end(uint8_t *out, const kdg_end *e);
/* A 'B' body's batch count (at most 10 bytes), before its batches. */
size_t kdg_put_count(uint8_t *out, uint64_t n);
/* A record's frame (tag and length) into out (at least 11 bytes). */
size_t kdg_put_frame(uint8_t *out, int tag, size_t body_len);

/* A record's frame from the `len` bytes at p: its tag, its body's length
 * and the frame's own length (tag and varint). 0, or KE_SHORT when the
 * bytes end inside the frame (or the varint runs past 10 bytes). */
int kdg_get_frame(const uint8_t *p, size_t len, int *tag, uint64_t *body_len, size_t *head, ke_error *e);

/* Decoders over one body of `len` bytes at file position `pos` (for the
 * error's position). 0, or KE_CORRUPT/KE_SHORT/KE_UNSUPPORTED with e set. */
int kdg_header(const uint8_t *p, size_t len, ke_error *e);
int kdg_get_dir(const uint8_t *p, size_t len, int64_t pos, kdg_dir *d, ke_error *e);
int kdg_get_part(const uint8_t *p, size_t len, int64_t pos, kdg_part *out, ke_error *e);
/* The count of batches a 'B' body holds, and a cursor past it. */
int kdg_get_chunk(const uint8_t *p, size_t len, int64_t pos, uint64_t *count, size_t *used, ke_error *e);
/* One batch from *p (advanced), into b's header fields: base and last
 * offset, leader epoch, CRC (crc_valid true), count, max timestamp,
 * producer id, epoch and sequences, magic, transactional and control;
 * *control_type a KB_CTRL_ABORT or KB_CTRL_COMMIT marker's, else
 * KB_CTRL_UNKNOWN (data, or another control record). */
int kdg_get_batch(const uint8_t **p, const uint8_t *end, int64_t pos, kdg_prev *prev, kb_batch *b, int *control_type,
                  ke_error *e);
int kdg_get_state(const uint8_t *p, size_t len, int64_t pos, kdg_state *s, size_t *used, ke_error *e);
int kdg_get_producer(const uint8_t **p, const uint8_t *end, int64_t pos, kdg_producer *out, ke_error *e);
int kdg_get_end(const uint8_t *p, size_t len, int64_t pos, kdg_end *out, ke_error *e);

#endif
