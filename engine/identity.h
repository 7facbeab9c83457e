/*
 * identity.h - duplicates by identity across a topic's partitions
 * (docs/report.md, "Duplicates by identity"): the stage after every
 * partition is audited.
 *
 * Owns: ei_collector, the facts (audit/identity.h, kid_entry) of every
 * record with an identity, gathered from the jobs' last passes while they
 * run, within a memory share: past it, sorted runs go to a scratch file of
 * the engine's private directory (engine/spill.h, sp_scratch) and are
 * merged at the end. ei_finish groups them by topic and identity, in one
 * order whatever the jobs, memory or plan (topic, identity, client
 * timestamp, partition, offset), and makes a finding of every copy after
 * the first: identity_duplicate, or identity_collision when the copies
 * differ beyond volatile fields. The copies of a finding kept as an example
 * are read again from the segments to name what differs. Reads segments
 * read-only; prints nothing.
 */
#ifndef KAUDIT_ENGINE_IDENTITY_H
#define KAUDIT_ENGINE_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "engine/spill.h"
#include "reader/layout.h"
#include "report/model.h"

/* What the stage knows of each job (one partition's audit). */
typedef struct ei_part {
    const char *topic;
    int32_t partition;
    const kl_partition *kp;     /* its files, to read copies again; NULL: not read again */
    size_t rep_index;           /* its partition in the report, (size_t)-1 when none */
} ei_part;

typedef struct ei_collector ei_collector;

/* A collector for the jobs `parts[0..n-1]` (only topics with an identity
 * send facts) that may hold `budget` bytes in memory and spills to `dir`.
 * NULL when out of memory. */
ei_collector *ei_create(sp_dir *dir, size_t budget, const ei_part *parts, size_t n);

/* Free, with its scratch file. Accepts NULL. */
void ei_free(ei_collector *c);

#define EI_BUF 128

/* One pass of one job's audit: a sink (audit.h, ka_identity_sink) that
 * buffers EI_BUF facts and hands them to the collector. A job's newer pass
 * replaces its older ones (a spilled audit's passes). */
typedef struct ei_sink {
    kid_sink sink;               /* give &sink to ka_identity_sink */
    ei_collector *c;
    uint32_t job, pass;
    kid_entry buf[EI_BUF];
    size_t n;
} ei_sink;

/* Start pass `pass` (increasing per job) of job `job` into s. */
void ei_sink_init(ei_sink *s, ei_collector *c, uint32_t job, uint32_t pass);

/* Hand what s holds to the collector (at the end of its pass). */
void ei_sink_flush(ei_sink *s);

/*
 * Group every fact by topic and identity and add the findings to `rep`
 * (partitions as `parts` gives them), within the options' scope, naming
 * what differs for at most `max_diffs` findings kept as examples per topic
 * (< 0: every one). Reads entries up to max_entry bytes (no_cache: dropped
 * from the page cache after). 0, or -1 when the spill could not be read or
 * memory ran out (a problem of the report says so).
 */
int ei_finish(ei_collector *c, const ei_part *parts, rm_report *rep, const ka_options *o, size_t max_entry,
              bool no_cache, int64_t max_diffs);

#endif
