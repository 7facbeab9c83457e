/*
 * indexes.h - a segment's three index files (.index, .timeindex,
 * .txnindex), loaded to be checked against the log (audit/indexcheck.h).
 *
 * Owns: each loaded file's bytes and its parsed view. Reads files
 * read-only; never prints (read problems go to a callback).
 */
#ifndef KAUDIT_ENGINE_INDEXES_H
#define KAUDIT_ENGINE_INDEXES_H

#include <stdbool.h>
#include <stdint.h>

#include "audit/indexcheck.h"
#include "reader/error.h"
#include "reader/index.h"

/* One index file beside a segment, loaded if it exists and is sound. */
typedef struct seg_index {
    char *path;     /* <stem>.<ext>, owned */
    uint8_t *buf;   /* the file's bytes, owned */
    ki_index ix;
    bool ok;        /* read, described and sound: to be checked against the log */
    bool failed;    /* present but unreadable or damaged (or out of memory): err says why */
    ke_error err;
} seg_index;

/* A segment's .index, .timeindex and .txnindex. */
typedef struct seg_indexes {
    seg_index offset, time, txn;
} seg_indexes;

/* Load the index files beside `log_path` (a .log of base offset `base`).
 * A missing file is normal. A file present but not loaded is marked
 * `failed` with its error: unreadable, too large, or damaged (it fails
 * Kafka's sanityCheck when trimmed, or the order the broker appends in,
 * ki_check_order: a broker rebuilds such an index, so it is not compared
 * with the log). Free with seg_indexes_free. */
void seg_indexes_load(seg_indexes *x, const char *log_path, int64_t base);

/* kx_begin over whichever of the three were loaded. */
int seg_indexes_begin(seg_indexes *x, kx_check *chk, kx_txns *txns, kx_report_fn report, void *arg);

/* Free what seg_indexes_load loaded. */
void seg_indexes_free(seg_indexes *x);

#endif
