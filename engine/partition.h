/*
 * partition.h - audit one partition: its snapshots, leader-epoch and
 * log-start checkpoints, then its segments batch by batch through the
 * auditor (audit/audit.h) and the index checker (audit/indexcheck.h).
 *
 * Owns: the walk of one partition's files for one pass, with its duplicate
 * index kept as a plan says (in memory within a limit, or recorded to or
 * replayed from a spill). Reads files read-only; prints nothing.
 */
#ifndef KAUDIT_ENGINE_PARTITION_H
#define KAUDIT_ENGINE_PARTITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "audit/dupindex.h"
#include "include/kaudit.h"
#include "reader/codec.h"
#include "reader/layout.h"
#include "report/model.h"

/* How a pass keeps its duplicate index (audit/dupindex.h). */
typedef struct ep_plan {
    int mode;               /* KQ_MEMORY, KQ_RECORD or KQ_REPLAY */
    size_t limit;           /* KQ_MEMORY: the most it may take (0: no limit) */
    bool stop_when_full;    /* KQ_MEMORY: give up at the limit (a spill follows) */
    const kq_spill *spill;  /* KQ_RECORD, KQ_REPLAY */
    const char *spill_failed; /* why a spill was not possible, noted in the report */
    int workers;            /* threads beside the job's own to read with (engine/pipeline.h), 0: none */
    int64_t part_bytes;     /* workers: segment bytes per part (0: PL_PART_BYTES) */
    size_t decompress;      /* workers: each one's decompression budget, the job's (kc_set_budget) */
    size_t held;            /* for the duplicate runs held to the partition's end (ka_held_limit), every pass alike */
    size_t state;           /* KQ_RECORD, KQ_REPLAY: for the producers' state (ka_state_limit) */
    size_t ring;            /* workers: the most the parts read ahead may hold (pl_run) */
} ep_plan;

/* What one partition's audit needs beside its files. */
typedef struct ep_input {
    const ka_options *rules;
    const kaudit_config *config;     /* max_entry, no_cache, live_wait_ms */
    const kaudit_callbacks *cb;      /* progress and cancellation, or NULL */
    const kl_set *set;               /* for the partition's home log directory */
    const char *topic;
    int32_t partition;
    const char *path;
    const kl_file *files;            /* its files, or the one segment given alone */
    size_t nfiles;
    const kl_partition *part;        /* NULL for a segment given alone */
    int64_t bytes;                   /* its segments' size */
    const char *full_copy;           /* another broker's copy audited in full: integrity only here
                                      * (ka_light), NULL for a full audit */
    bool light;                      /* integrity only, whatever the other copies (kaudit compare) */
    const kid_sink *id_sink;          /* where records with an identity go (ka_identity_sink), or NULL */
} ep_input;

/* Audit `in` into `rep` (a new partition of it) with its index kept as
 * `plan` says, decompressing into `dc`. 0; 1 when the plan said to stop at
 * the memory limit and it was reached, or when cancelled (the partition is
 * then incomplete); -1 when out of memory. When it returns 0 or 2 but could
 * not check everything (ka_incomplete), `why` (cap bytes) says why, else
 * "": 2 when only because the producers' state outgrew its share (the
 * same in every pass with the same plan). */
int ep_audit(const ep_input *in, const ep_plan *plan, kc_ctx *dc, rm_report *rep, char *why, size_t cap);

/* The bytes of the segment files (KL_SEGMENT) among `n` files, as stat
 * gives them now: the work ahead. */
int64_t ep_segment_bytes(const kl_file *files, size_t n);

/* Log directory, broker and cluster ids into the report's facts. */
void ep_logdir_meta(rm_report *rep, const kl_logdir *ld);

#endif
