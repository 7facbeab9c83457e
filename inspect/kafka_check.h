/*
 * kafka_check.h - what kafka-dump-log.sh checks, and what it says on
 * stderr (KAUDIT_DUMP_KAFKA).
 *
 * Owns: ik_notes, the lines DumpLogSegments writes to stderr after the
 * last file (index entries whose batch ends elsewhere, time index
 * timestamps that disagree with the log or go back, indexed offsets not
 * found, non-consecutive record offsets), kept until the end of the dump,
 * and a buffer for the one batch a time index entry names. Its dump of an
 * .index or .timeindex checks each entry against the segment's .log as
 * Kafka's does: the log is read read-only with pread (O_NOATIME where
 * allowed) at the positions the indexes name, never walked whole.
 *
 * Prints through the dump's printer only; a problem Kafka would stop at
 * with an exception is reported (in_report) and the dump goes on.
 */
#ifndef KAUDIT_INSPECT_KAFKA_CHECK_H
#define KAUDIT_INSPECT_KAFKA_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader/layout.h"

/* One line-to-be (IK_*: which of Kafka's maps it belongs to). */
typedef struct ik_note {
    int kind;       /* IK_INDEX_MISMATCH, ... (kafka_check.c) */
    size_t file;    /* index into ik_notes.files */
    int64_t a, b;   /* the two numbers of its line */
} ik_note;

typedef struct ik_notes {
    char **files;           /* absolute paths, as getAbsolutePath gives them; owned */
    size_t nfiles, capfiles;
    ik_note *notes;         /* in the order found */
    size_t n, cap;
    bool nomem;             /* a note could not be kept: said at the end */
    const char *log;        /* the segment being dumped (borrowed), for its notes */
    size_t log_file;        /* its index in files, SIZE_MAX until it has a note */
    int64_t last_offset;    /* the offset of the record before, in that segment; -1 at its start */
    uint8_t *buf;           /* one batch of a log, for the time index check; owned */
    size_t buf_cap;
} ik_notes;

/* Start empty / free everything (accepts NULL). */
void ik_notes_init(ik_notes *n);
void ik_notes_free(ik_notes *n);

struct in_dump;

/*
 * Dump an .index or .timeindex as DumpLogSegments does under the dump's
 * index mode: "<file> is empty." (an .index of no whole entry), "<file>
 * passed sanity check." (KAUDIT_INDEX_SANITY_ONLY), or each entry up to
 * the first empty slot, checked against the segment's log (and for a
 * time index, looked up through the .index beside it) and printed unless
 * KAUDIT_INDEX_VERIFY_ONLY.
 */
void in_kafka_index(struct in_dump *d, const kl_file *f);

/* A segment's records begin (`path` borrowed until the next call) / the
 * next record dumped from it has offset `offset` (Kafka's check that
 * each follows the one before, the first following -1). */
void in_kafka_log_begin(struct in_dump *d, const char *path);
void in_kafka_record_offset(struct in_dump *d, int64_t offset);

/* After the last file: write what the notes say to the printer's err
 * stream, in Kafka's order and words. */
void in_kafka_finish(struct in_dump *d);

#endif
