/*
 * merge.h - several JSON reports, one per broker, as one cluster report
 * (kaudit merge).
 *
 * Each broker audits its own disks; the reports meet anywhere. The merged
 * report is what one run over every broker's log directories would have
 * said, as far as the reports tell:
 *   - partitions: every copy, in the order one run lists them (log
 *     directory, topic, partition). Brokers keep their data at one path:
 *     when two audits' reports list the same path, each such report's
 *     paths are prefixed with its file's name ("kafka-1:/var/lib/...");
 *     a path an audit's report shares with a comparison's is one copy,
 *     listed once; a report given twice (the same bytes) is merged once;
 *   - findings: every one, but a finding that several copies of one
 *     topic-partition carry (the same type, topic, partition, offset and
 *     fields, whatever the broker's paths and segment positions) once, from
 *     the copy reaching furthest, with the others' paths in `replicas`
 *     (one run audits the copy reaching furthest in full); ordered by
 *     partition, offset and type;
 *   - counts: summed, less the replicas dropped; where a report listed
 *     only examples (--max-examples) of a type that other reports also
 *     hold, the unlisted ones cannot be matched, and `merge_notes` says the
 *     count may hold replicas;
 *   - incidents: renumbered by severity and records; one whose findings
 *     were all replicas of another report's is dropped with them;
 *   - consumer groups: one per coordinator topic-partition and group.
 *
 * Owns: reading the reports (cJSON) and writing the merged JSON. Knows
 * nothing of Kafka's bytes.
 */
#ifndef KAUDIT_REPORT_MERGE_H
#define KAUDIT_REPORT_MERGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One report given: a name for messages, its JSON text. */
typedef struct rj_input {
    const char *name;
    const char *text;
    size_t len;
} rj_input;

/* What the merged report says, for an exit status. */
typedef struct rj_outcome {
    size_t problems;       /* problems the reports carried (inputs not read, partitions incomplete) */
    int worst;             /* the highest severity counted (RM_*), -1 when none */
    int64_t findings, replicas; /* findings kept, and dropped as replicas */
} rj_outcome;

/*
 * Merge `n` reports into one JSON report written to `out` (generated at
 * `generated_at_ms`, by kaudit `version`). 0; -1 with a line in err when a
 * report is not a kaudit JSON report of schema version 1 or 2 (err names it),
 * -2 out of memory, -3 writing failed.
 */
int rj_merge(const rj_input *in, size_t n, int64_t generated_at_ms, const char *version, FILE *out,
             rj_outcome *outcome, char *err, size_t errcap);

#endif
