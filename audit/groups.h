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
 * position before it is a consumer_offset_regression finding, with what
 * the group was doing then (empty, rebalanced, neither). At the end the
 * groups and their last positions go to the report (rm_cgroup), where
 * kg_check_positions compares them with the consumed partitions audited.
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

/*
 * After every partition is in report r: each group's last committed
 * offset against the partition it reads, when that partition was audited
 * (in the coordinator's log directory, else the one copy audited): below
 * its log start or past its log end is a consumer_offset_out_of_range
 * finding.
 */
void kg_check_positions(rm_report *r);

#endif
