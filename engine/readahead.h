/*
 * readahead.h - read a partition's segments on one thread while the audit
 * runs on another: a bounded ring of batches between them.
 *
 * Owns: the ring and the reading thread. The reading side (a producer
 * function) opens segments, checks CRCs and decompresses, and hands each
 * step to ra_emit; the auditing side (a consumer function) gets the same
 * steps in the same order, each a copy whose pointers are moved into the
 * ring's own memory, so the reader can go on meanwhile. Without a thread
 * (ra_direct) the consumer is called in place: the report is the same.
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

typedef struct ra_ring ra_ring;

/* Hands one item over. 0, or -1 when the consumer stopped: read no more. */
typedef int (*ra_emit_fn)(void *sink, const ra_item *x);
/* The reading side: reads and emits everything, returns when done. */
typedef void (*ra_produce_fn)(void *ctx, ra_emit_fn emit, void *sink);
/* The auditing side: one item. Return false to stop (the rest is dropped). */
typedef bool (*ra_consume_fn)(void *ctx, ra_item *x);

/* Run producer and consumer on this thread, item by item (no copies). */
void ra_direct(ra_produce_fn produce, void *pctx, ra_consume_fn consume, void *cctx);

/*
 * Run the producer on a thread of its own and the consumer on this one,
 * with at most RA_SLOTS items and `max_bytes` of batch bytes in between,
 * the buffers the ring keeps for reuse included. A batch larger than that
 * passes alone and uncopied: the reader waits until the ring is empty,
 * lends it, and waits again until it has been audited. Returns when both
 * are done; 0, or -1 when no thread could be started (nothing was run:
 * call ra_direct).
 */
int ra_threaded(ra_produce_fn produce, void *pctx, ra_consume_fn consume, void *cctx, size_t max_bytes);

#define RA_SLOTS 16
#define RA_BYTES ((size_t)32 << 20) /* the most a ring holds, whatever its budget */

#endif
