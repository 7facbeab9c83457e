/*
 * files.h - the small files of a data directory in a dump: indexes
 * (.index, .timeindex, .txnindex), producer-state snapshots, checkpoints
 * (leader-epoch-checkpoint, *-offset-checkpoint) and properties files
 * (partition.metadata, meta.properties, .kafka_cleanshutdown,
 * quorum-state).
 *
 * Each is read whole (read-only, up to a cap), parsed by reader/, printed
 * entry by entry, and checked the way a broker checks it at load; every
 * problem is reported. Owns nothing past a call.
 */
#ifndef KAUDIT_INSPECT_FILES_H
#define KAUDIT_INSPECT_FILES_H

#include "inspect/dump.h"
#include "reader/layout.h"

/* An index file: its entries, its preallocated tail, its order and
 * Kafka's sanityCheck. */
void in_dump_index(in_dump *d, const kl_file *f);

/* A producer-state snapshot: its entries. */
void in_dump_snapshot(in_dump *d, const kl_file *f);

/* A checkpoint or properties file (any other kind Kafka keeps). */
void in_dump_text_file(in_dump *d, const kl_file *f);

#endif
