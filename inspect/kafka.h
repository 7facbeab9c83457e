/*
 * kafka.h - kafka-dump-log.sh's own lines (KAUDIT_DUMP_KAFKA: `kaudit dump
 * --compat`, or any of Kafka's option names), field for field as Apache
 * Kafka's DumpLogSegments prints them (trunk:
 * tools/src/main/java/org/apache/kafka/tools/DumpLogSegments.java): the
 * file header, batches, records with the key and payload of Kafka's
 * decoders, offset, time and transaction index entries, producer snapshot
 * entries, and the bytes after a segment's last batch.
 *
 * Owns no state: each function writes its line (or the part of a record
 * line it is given) to the printer's stream. Where kaudit's rule for text
 * from the data (report/escape.h) and Kafka's differ, kaudit's wins: bytes
 * decode as Java's String decoder decodes them (each ill-formed sequence
 * is one U+FFFD, as Kafka prints it), but controls and bidirectional
 * controls are written as \xNN where Kafka prints them raw (a newline in a
 * value would break Kafka's own lines). docs/dump-format.md lists every
 * place kaudit does not say what Kafka says.
 *
 * Reads nothing, decides nothing (inspect/dump.h does), allocates only
 * the text cJSON prints (freed before return); the decoded trees it is
 * given are reshaped into Kafka's JSON in place.
 */
#ifndef KAUDIT_INSPECT_KAFKA_H
#define KAUDIT_INSPECT_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "inspect/print.h"
#include "reader/batch.h"
#include "reader/cursor.h"
#include "reader/error.h"
#include "reader/index.h"
#include "reader/layout.h"
#include "reader/snapshot.h"

/* "Dumping <file>" (the path as java.io.File writes it) and, for a
 * segment, "Log starting offset: N"; for a KRaft snapshot "Snapshot end
 * offset: N, epoch: E" or "KRaft bootstrap snapshot". */
void ik_file(in_printer *p, const kl_file *f);

/* On the err stream: "Ignoring unknown file <file>", for a file given by
 * name that kafka-dump-log.sh does not read. */
void ik_ignored(in_printer *p, const char *path);

/* A batch line: v2 "baseOffset: ... isvalid: ...", v0/v1 "offset: ...". */
void ik_batch(in_printer *p, const kb_batch *b);

/* A data record's key and payload as one of Kafka's decoders shows them. */
typedef struct ik_content {
    int decoder;          /* KAUDIT_DECODE_NONE (Kafka's StringDecoder), _OFFSETS
                           * (--offsets-decoder), _TRANSACTIONS, _METADATA */
    cJSON *key, *value;   /* reader/decode.h's trees (either may be NULL); reshaped here */
    const ke_error *err;  /* why the record did not decode, or NULL */
} ik_content;

/*
 * One record line of batch b: unless the printer skips metadata, the
 * record's offset, `timestamp` (as Kafka computes it), sizes, sequence and
 * header keys (v2) or checksum (v0/v1), and for a control record its
 * marker, or `cval` (kd_control_value's tree, reshaped; NULL when it did
 * not decode) under Kafka's label; then, with payload on and for a data
 * record, its key and payload as `c` shows them (NULL: the string
 * decoder). `ctype` and `cepoch` are kb_control_parse's.
 */
void ik_record(in_printer *p, const kb_batch *b, const kb_record *r, int64_t timestamp, int ctype, int32_t cepoch,
               cJSON *cval, ik_content *c);

/*
 * A v2 record's timestamp as Kafka's Record.timestamp() gives it, from the
 * record iterator's cursor `before` kb_iter_next read record r: the
 * batch's first timestamp plus the record's delta, even where the cleaner
 * made that first timestamp a delete horizon (kaudit's r->timestamp is
 * then -1, not the client's); under LogAppendTime and for v0/v1,
 * r->timestamp.
 */
int64_t ik_timestamp(const kb_batch *b, const kb_record *r, kcur before);

/* Index and snapshot lines: "offset: N position: P", "timestamp: T
 * offset: N", "version: ... lastStableOffset: N", "producerId: ...". */
void ik_offset_entry(in_printer *p, const ki_offset_entry *e);
void ik_time_entry(in_printer *p, const ki_time_entry *e);
void ik_txn_entry(in_printer *p, const ki_txn_entry *e);
void ik_snapshot_entry(in_printer *p, const kp_entry *e);

/* "<file> <words>": "is empty." and "passed sanity check." of an index. */
void ik_index_said(in_printer *p, const char *file, const char *words);

/* "Found N invalid bytes at the end of <file name>". */
void ik_trailing(in_printer *p, const char *path, int64_t bytes);

/*
 * `path` as java.io.File gives it: repeated '/' as one, no trailing '/'
 * (its toString); with `absolute`, below the working directory when
 * relative (getAbsolutePath). Into out (cap bytes, NUL-terminated, cut
 * short when too small). Returns out.
 */
const char *ik_java_path(const char *path, bool absolute, char *out, size_t cap);

#endif
