/*
 * print.h - the lines of `kaudit dump`: typed reader data into text or
 * JSONL (docs/dump-format.md).
 *
 * Owns: in_printer, the output stream of one dump with its format, its
 * redaction and the JSON writer of the line being built. Text uses
 * kafka-dump-log.sh's words (baseOffset, lastSequence, isTransactional,
 * ...) with ISO 8601 UTC times beside raw timestamps; JSONL writes one
 * object per line; the Kafka format is kafka-dump-log.sh's own lines,
 * which inspect/kafka.h writes (the functions here hand them over). A
 * function whose line exists in some formats only writes nothing in the
 * others.
 *
 * Reads nothing, decides nothing (what to print is inspect/dump.h's
 * business), never prints anywhere but its stream.
 */
#ifndef KAUDIT_INSPECT_PRINT_H
#define KAUDIT_INSPECT_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "include/kaudit.h"
#include "reader/batch.h"
#include "reader/checkpoint.h"
#include "reader/error.h"
#include "reader/index.h"
#include "reader/layout.h"
#include "reader/snapshot.h"
#include "report/jsonw.h"

typedef struct in_printer {
    FILE *out;             /* where every line goes; borrowed */
    bool jsonl;            /* JSONL */
    bool kafka;            /* kafka-dump-log.sh's lines (inspect/kafka.h); neither: text */
    FILE *err;             /* kafka: where errors, notes and Kafka's stderr lines go; borrowed,
                            * may be NULL (not written) */
    bool skip_meta;        /* kafka: record lines without their metadata (--skip-record-metadata) */
    bool payload;          /* text, kafka: keys, values, headers and decoded records on record lines */
    int redact;            /* KA_REDACT_*: these bytes are shown as size and token */
    uint64_t redact_key;   /* keys the tokens */
    const char *topic;     /* the topic of the file being dumped, NULL when unknown; borrowed */
    int32_t partition;     /* its partition, -1 when unknown */
    bool hold;             /* JSONL: keep lines to write many at once (not for a terminal) */
    int write_errno;       /* JSONL: errno of the first write of kept lines that failed, else 0 */
    jw w;                  /* JSONL: the line being built, after the lines not yet written */
    jw_memo file_memo;     /* JSONL: the JSON text of the path on the last line */
    jw_memo topic_memo;    /* JSONL: the JSON text of the topic on the last record */
} in_printer;

/* Start a printer on `out` for the format, payload, redaction and Kafka
 * options of `o` (include/kaudit.h). Free with in_printer_free. */
void in_printer_init(in_printer *p, FILE *out, const kaudit_dump_options *o);

/* Free the JSON writer's buffer (lines not yet written are lost: flush
 * first). Accepts NULL. */
void in_printer_free(in_printer *p);

/* JSONL lines are kept and written 64 KiB at a time (to a terminal: each
 * as it is made): write those kept to the stream now (the end of the
 * dump). 0, or -1 when a write failed or
 * memory ran out. Text and Kafka's lines go straight to the stream. */
int in_printer_flush(in_printer *p);

/* An error (KE_LIVE: a note) about the data: "ERROR <file> at position
 * <n>: <message>", or a JSONL "error" object. */
void in_print_error(in_printer *p, const ke_error *e);

/* A file is about to be dumped: "Dumping <path>" (and its starting
 * offset), or a JSONL "file" object. `topic` may be NULL, `partition` -1
 * (unknown); both stay the printer's until the next file (borrowed). */
void in_print_file(in_printer *p, const kl_file *f, const char *topic, int32_t partition);

/* Text only: a transient file (.deleted, .cleaned, ...) that is skipped. */
void in_print_transient(in_printer *p, const kl_file *f);

/* A batch (or legacy entry) of segment `file`. */
void in_print_batch(in_printer *p, const char *file, const kb_batch *b);

/*
 * A record of batch b in `file`. For a control batch, its marker's type
 * (KB_CTRL_*) and coordinator epoch; dkey and dval: the record decoded
 * (an internal topic's, a control record's), either may be NULL. Keys,
 * values and headers follow the redaction.
 */
void in_print_record(in_printer *p, const char *file, const kb_batch *b, const kb_record *r, int ctype,
                     int32_t cepoch, const cJSON *dkey, const cJSON *dval);

/* Index entries of `file`, and `entry_pos`, their byte position in it. */
void in_print_offset_entry(in_printer *p, const char *file, const ki_offset_entry *e, int64_t entry_pos);
void in_print_time_entry(in_printer *p, const char *file, const ki_time_entry *e, int64_t entry_pos);
void in_print_txn_entry(in_printer *p, const char *file, const ki_txn_entry *e, int64_t entry_pos);

/* Text only: an index with no entry; the preallocated slots after its
 * last entry. */
void in_print_index_empty(in_printer *p, const char *file);
void in_print_index_tail(in_printer *p, size_t free_slots, size_t tail_bytes);

/* A producer-state snapshot's entry; text only: a snapshot with none. */
void in_print_snapshot_entry(in_printer *p, const char *file, const kp_entry *e);
void in_print_snapshot_empty(in_printer *p, const char *file);

/* A checkpoint (leader-epoch-checkpoint, *-offset-checkpoint) of `file`,
 * whose base name is `name`. */
void in_print_checkpoint(in_printer *p, const char *file, const char *name, const kk_checkpoint *c);

/* The properties files of a data directory. */
void in_print_partition_metadata(in_printer *p, const char *file, const char *name, const kk_partition_metadata *m);
void in_print_meta_properties(in_printer *p, const char *file, const char *name, const kk_meta_properties *m);
void in_print_clean_shutdown(in_printer *p, const char *file, const char *name, const kk_clean_shutdown *m);
void in_print_quorum_state(in_printer *p, const char *file, const char *name, const kk_quorum_state *m);

#endif
