/*
 * dump.h - one dump in progress (include/kaudit.h, kaudit_dump): the
 * context its parts share, and how they report.
 *
 * Owns: in_dump, the options of the run, its printer (inspect/print.h),
 * its decompression context, what it counted, the open transactions
 * of the partition being dumped (--verify-index) and, in Kafka's format,
 * what kafka-dump-log.sh would say on stderr at the end
 * (inspect/kafka_check.h). inspect/dump.c walks the files in the order of
 * docs/dump-format.md and hands each to its part: segments to
 * inspect/batches.h, indexes, snapshots, checkpoints and properties to
 * inspect/files.h (and in Kafka's format .index and .timeindex to
 * inspect/kafka_check.h).
 *
 * Never prints to stderr, never exits: errors become lines of the dump
 * (and the callbacks' problem and notice lines).
 */
#ifndef KAUDIT_INSPECT_DUMP_H
#define KAUDIT_INSPECT_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/indexcheck.h"
#include "include/kaudit.h"
#include "inspect/kafka_check.h"
#include "inspect/print.h"
#include "reader/codec.h"
#include "reader/error.h"

typedef struct in_dump {
    const kaudit_dump_options *o;  /* the run's options (records already implied by payload) */
    const kaudit_callbacks *cb;    /* may be NULL, and any member */
    in_printer p;                  /* every line goes through it */
    kc_ctx *dc;                    /* decompresses batches' records */
    int decode_now;                /* KAUDIT_DECODE_* for the file being dumped (never AUTO) */
    kx_txns txns;                  /* --verify-index: open transactions of the current partition */
    ik_notes kn;                   /* Kafka's format: its stderr lines to come */
    kaudit_dump_outcome oc;        /* what was written and found so far */
    bool stop;                     /* cancelled said stop: dump nothing more */
} in_dump;

/* Count an error about the data (KE_IO and KE_FOREIGN: an input not
 * readable; KE_LIVE: a note; anything else: a problem), write it to the
 * dump and tell the callbacks. */
void in_report(in_dump *d, const ke_error *e);

/* Poll the cancelled callback; once it said stop, true ever after. */
bool in_cancelled(in_dump *d);

/* `bytes` more of the segments were read (the progress callback). */
void in_progress(in_dump *d, int64_t bytes);

#endif
