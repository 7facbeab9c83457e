/*
 * readahead.h - the steps of reading a partition's segments, as the reading
 * side hands them to the auditing side: a segment opened, a batch (its
 * checksum valid, its records opened or already decoded), an entry that
 * could not be read, a segment's end.
 *
 * Owns: the step (ra_item) and the reading in place (ra_direct), the
 * consumer called for each step as the producer makes it. Reading on
 * several threads is engine/pipeline.h's, with the same steps in the same
 * order: the report is the same.
 */
#ifndef KAUDIT_ENGINE_READAHEAD_H
#define KAUDIT_ENGINE_READAHEAD_H

#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "reader/batch.h"
#include "reader/error.h"
#include "reader/layout.h"

/* What the reading side hands over, in file order. */
enum { RA_SEGMENT, RA_BATCH, RA_PROBLEM, RA_END };

typedef struct ra_item {
    int kind;                 /* RA_* */
    const kl_file *f;         /* the segment */
    int64_t size;             /* RA_SEGMENT: the segment's size */
    ke_error e;               /* RA_PROBLEM; RA_BATCH: why its records could not be opened */
    int64_t entry_offset;     /* RA_PROBLEM: the entry's offset field, or -1 */
    kb_batch b;               /* RA_BATCH: the batch (CRC valid) ... */
    kb_iter it;               /* ... opened for its records, when orc is 0 */
    int orc;
    /* RA_BATCH from the pipeline (engine/pipeline.h): its records decoded
     * already, when `decoded` (then `it` is not to be used) */
    bool decoded;
    const kb_record *recs;    /* the records, in order */
    const ka_ident *ids;      /* their identities (ka_identify), or NULL when not computed */
    size_t nrecs;
    int irc;                  /* kb_iter_next's last answer (or orc): < 0, why the records stopped, in e */
} ra_item;

/* Hands one item over. 0, or -1 when the consumer stopped: read no more. */
typedef int (*ra_emit_fn)(void *sink, const ra_item *x);
/* The reading side: reads and emits everything, returns when done. */
typedef void (*ra_produce_fn)(void *ctx, ra_emit_fn emit, void *sink);
/* The auditing side: one item. Return false to stop (the rest is dropped). */
typedef bool (*ra_consume_fn)(void *ctx, ra_item *x);

/* Run producer and consumer on this thread, item by item. */
void ra_direct(ra_produce_fn produce, void *pctx, ra_consume_fn consume, void *cctx);

#endif
