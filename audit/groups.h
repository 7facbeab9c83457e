/*
 * groups.h - the consume side: consumer groups' committed offsets replayed
 * from a `__consumer_offsets` partition, in log order, as the group
 * coordinator loads them (GroupMetadataManager.loadGroupsAndOffsets).
 *
 * Owns: per group its generations (GroupMetadata records: generation,
 * members) and its committed position per topic-partition (OffsetCommit
 * records; a null value forgets it, a null GroupMetadata value forgets the
 * group), and the transactional offset commits of each producer held until
 * its COMMIT (applied) or ABORT (dropped) marker. A commit below the
 * position before it is kept with what the group was doing then (empty,
 * rebalanced, neither). At the end the groups, their last positions and
 * their commits that went back go to the report (rm_cgroup), where
 * kg_findings, once every partition is audited, makes them findings beside
 * the partitions the groups read.
 *
 * Every group lives in one partition of `__consumer_offsets` (the hash of
 * its id), with its commits and the markers of the transactions that commit
 * offsets for it, so one partition's replay is the group's whole story. No
 * file I/O; its words are report/types.c's.
 */
#ifndef KAUDIT_AUDIT_GROUPS_H
#define KAUDIT_AUDIT_GROUPS_H

#include <stdbool.h>
#include <stdint.h>

#include "reader/batch.h"
#include "report/model.h"

typedef struct kg_state kg_state;
struct ka_partition;

/* A new replay, or NULL when out of memory. Free with kg_free (NULL ok). */
kg_state *kg_create(void);
void kg_free(kg_state *g);

/* A data record of the partition (its batch is p->cur). */
void kg_record(struct ka_partition *p, kg_state *g, const kb_record *r);

/* A COMMIT (`commit`) or ABORT marker of producer `pid`. */
void kg_marker(struct ka_partition *p, kg_state *g, int64_t pid, bool commit);

/* The end of the partition: every group, its generations and its last
 * positions into the report (rm_cgroup). */
void kg_end(struct ka_partition *p, kg_state *g);

/* What a consumed partition holds in offsets [lo, hi): its data records
 * and the first and last of their timestamps. */
typedef struct kg_range {
    int64_t records;
    int64_t first_ts, last_ts;
} kg_range;

/* Read partition `part` of the report (an index into its partitions) for
 * [lo, hi): true with *out, false when it cannot be read. */
typedef bool (*kg_range_fn)(void *ctx, size_t part, int64_t lo, int64_t hi, kg_range *out);

/*
 * After every partition is in report r, its consumer groups' findings:
 * each commit that went back (consumer_offset_regression), with, when the
 * partition it reads is audited (in the coordinator's log directory, else
 * the one copy audited), the records delivered again and their time span
 * (read through `range`, NULL for none) and the delivery duplicates listed
 * among them; each group's last committed offset below that partition's
 * log start or past its log end (consumer_offset_out_of_range).
 */
void kg_findings(rm_report *r, kg_range_fn range, void *ctx);

#endif
