/*
 * runinfo.h - what a report says about how it was made: the options that
 * shape it, whose copy each partition is (for the findings' fingerprints),
 * and the filters or windows that matched nothing.
 *
 * Owns: nothing past a call but the labels it returns. Reads only each log
 * directory's meta.properties (for its broker id); prints nothing.
 */
#ifndef KAUDIT_ENGINE_RUNINFO_H
#define KAUDIT_ENGINE_RUNINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "include/kaudit.h"
#include "report/model.h"

/* Record in r the options of `c` that shape a report (rm_add_option), each
 * marked given when it is not kaudit_config_init's, and the command. */
void ri_options(rm_report *r, const kaudit_config *c);

/* One copy of a topic-partition found: a partition directory, or a segment
 * given alone. */
typedef struct ri_copy {
    const char *topic;     /* its topic and partition, as the engine audits it */
    int32_t partition;
    const char *path;      /* its directory, or the segment file given alone */
    bool file;             /* path is a segment given alone (its log directory is two folders up) */
    char *label;           /* out (owned by the caller, free()): ri_label_copies' answer, NULL unknown */
} ri_copy;

/*
 * Say whose copy each of c[0..n) is (rm_partition.copy, part of every
 * finding's fingerprint): "broker N" when its log directory's
 * meta.properties names a node.id or broker.id, else nothing; and when
 * another copy of the same topic-partition among them would get the same
 * label (two brokers with no meta.properties, two copies of one broker),
 * the name of its log directory too. Every copy found is labelled, audited
 * or not, so that a label does not depend on --topics. 0, or -1 when out of
 * memory (the labels made so far stay set).
 */
int ri_label_copies(ri_copy *c, size_t n);

/*
 * After an audit: add to r's warnings each filter or window of `c` that
 * matched nothing. `found`: the topic-partitions and segments found in the
 * paths given; `matched`: those --topics and --exclude-topics chose. Nothing
 * found and nothing said in r's problems is a warning too (a path holding
 * only an index).
 */
void ri_scope_warnings(rm_report *r, const kaudit_config *c, size_t found, size_t matched);

#endif
