/*
 * pipeline.h - audit one partition on several cores: worker threads read
 * parts of its segments (open, checksum, decompress, decode each record
 * and compute its identity for the duplicate index) while the calling
 * thread hands what they read to the auditor strictly in file order.
 *
 * Owns: the worker threads, the cutting of segments into parts and the
 * parts read ahead. A segment is cut where an entry starts, found by
 * hopping over length fields (ks_hop); from the first entry whose header
 * is not sound, the rest of the segment is read by the calling thread in
 * order. Each part is read by a reader of its own (ks_part) as if the
 * entries before it were sound; when they were not (a corrupt entry just
 * before it, whose successor the sequential reading checks against the
 * last good base offset), the calling thread reads the part again in the
 * state the entries before it left: the consumer gets exactly the items,
 * in the order, that reading in order gives (engine/readahead.h's
 * ra_direct), batches decoded beforehand (ra_item.decoded). Prints nothing;
 * reads files read-only.
 */
#ifndef KAUDIT_ENGINE_PIPELINE_H
#define KAUDIT_ENGINE_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "engine/readahead.h"
#include "include/kaudit.h"
#include "reader/codec.h"
#include "reader/layout.h"

/* What to read, and how. */
typedef struct pl_source {
    const kl_file *const *segs;   /* the segments, in order */
    size_t nsegs;
    size_t max_entry;             /* kw_open's */
    bool no_cache;
    int live_wait_ms;
    const ka_options *rules;      /* for the records' identities ... */
    bool identify;                /* ... computed when true (not for an integrity-only audit) */
    size_t decompress;            /* the job's decompression budget (kc_set_budget): workers take at most
                                   * 4 MiB of it each, the auditing thread all of it */
    const kaudit_callbacks *cb;   /* polled for cancellation, or NULL */
} pl_source;

/* The most workers one partition is read with: more would wait on the
 * auditing thread (BENCHMARKS.md). */
#define PL_WORKERS_MAX 32

/* Bytes of segment per part, unless the plan says otherwise or the parts
 * ahead must be smaller to fit their memory (pl_run). */
#define PL_PART_BYTES ((int64_t)1 << 20)

/*
 * Read src's segments with `workers` threads into `consume` on this thread
 * (as ra_direct would), holding at most about `max_bytes` of parts read
 * ahead (the part the consumer needs next may pass it: it is never made to
 * wait), parts of about `part_bytes` (0: PL_PART_BYTES, or less to fit). `dc` decompresses
 * what this thread reads itself. Returns when done or when `consume`
 * returned false (the rest is dropped); 0, or -1 when no thread could be
 * started (nothing was read: call ra_direct).
 */
int pl_run(const pl_source *src, int workers, size_t max_bytes, int64_t part_bytes, kc_ctx *dc, ra_consume_fn consume,
           void *cctx);

#endif
