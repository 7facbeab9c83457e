/*
 * replicas.h - the copies of one topic-partition that several brokers' log
 * directories hold, compared batch by batch.
 *
 * In Kafka's replication a follower appends the leader's batches as they
 * are (ReplicaFetcherThread: the fetched records go to the log unchanged),
 * so two copies agree batch for batch: base offset, last offset, partition
 * leader epoch, CRC. Where they stop agreeing, the log forked (an unclean
 * leader election, a copy restored from a backup and written again) or one
 * copy simply ends earlier (a follower behind the leader, or one that
 * truncated and has not caught up). The copy reaching furthest is the
 * reference; every other copy of the partition is compared with it, over
 * the offsets both hold (retention may have removed more on one broker).
 *
 * Owns: the comparison's reads (segment walks of batch headers, no record
 * decompressed). Adds replica_divergence and replica_behind findings and
 * notes to the report; prints nothing.
 */
#ifndef KAUDIT_ENGINE_REPLICAS_H
#define KAUDIT_ENGINE_REPLICAS_H

#include <stdbool.h>
#include <stddef.h>

#include "reader/checkpoint.h"
#include "reader/layout.h"
#include "report/model.h"

/*
 * Compare every topic-partition held by more than one log directory of
 * `set` (its partitions as report r lists them, matched by path), reading
 * segments with entries up to `max_entry` bytes (`no_cache`: dropped from
 * the page cache after). 0, or -1 when out of memory (r->oom says it too).
 */
int er_compare(const kl_set *set, rm_report *r, size_t max_entry, bool no_cache);

/*
 * Which copies to audit in full: for every topic-partition that log
 * directories of one cluster (the same cluster.id in meta.properties) hold
 * more than once, the copy likely to reach furthest (the highest base
 * offset of a last segment, then the larger last segment, then path order)
 * is audited in full and the others for integrity only (ka_light): the
 * same records are not audited twice. full[i] (set->nparts of them) is the
 * index of the copy audited in full for part i, or -1 when part i is;
 * twice[i] says whether another directory holds part i's topic-partition
 * too (kaudit compare audits those only). 0, or -1 out of memory (then
 * every copy is audited in full, and none is said held twice).
 */
int er_plan(const kl_set *set, long *full, bool *twice);

/* What a copy's log directory and files say of it, for comparisons and
 * digests. */
typedef struct er_facts {
    int32_t broker;            /* broker.id (else node.id) of its log directory, -1 unknown */
    char cluster[KK_STR_MAX];  /* cluster.id of its log directory, "" unknown */
    int64_t hw;                /* its high watermark (replication-offset-checkpoint), -1 unknown */
    bool truncating;           /* it holds .deleted segments: the broker is truncating or deleting it */
    int64_t last_base, last_size; /* its last segment's base offset and size: -1, 0 when none */
} er_facts;

/* The log directories' facts of a set, each read once (meta.properties,
 * replication-offset-checkpoint). NULL out of memory. */
typedef struct er_dirs er_dirs;
er_dirs *er_dirs_create(const kl_set *set);
void er_dirs_free(er_dirs *d); /* accepts NULL */

/* The facts of partition kp of set. */
void er_facts_of(er_dirs *d, const kl_partition *kp, er_facts *out);

/* Compare the copies of every topic-partition that more than one of the
 * digests `files` hold (engine/digest.h), as er_compare does the data:
 * each copy held twice is added to report r (its counts from the digest),
 * and the same findings and notes follow. 0, or -1 out of memory. */
struct ed_file;
int er_compare_digests(struct ed_file *const *files, size_t nfiles, rm_report *r);

#endif
