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

/* One index file beside a segment, loaded if it exists and parses. */
typedef struct seg_index {
    char *path;     /* <stem>.<ext>, owned */
    uint8_t *buf;   /* the file's bytes, owned */
    ki_index ix;
    bool ok;        /* read and described */
} seg_index;

/* A segment's .index, .timeindex and .txnindex. */
typedef struct seg_indexes {
    seg_index offset, time, txn;
} seg_indexes;

/* Load the index files beside `log_path` (a .log of base offset `base`).
 * A missing file is normal; every other problem (unreadable, too large,
 * not parseable) goes to on_error (may be NULL). Free with
 * seg_indexes_free. */
void seg_indexes_load(seg_indexes *x, const char *log_path, int64_t base, void (*on_error)(void *, const ke_error *),
                      void *arg);

/* kx_begin over whichever of the three were loaded. */
int seg_indexes_begin(seg_indexes *x, kx_check *chk, kx_txns *txns, kx_report_fn report, void *arg);

/* Free what seg_indexes_load loaded. */
void seg_indexes_free(seg_indexes *x);

#endif
