/*
 * batches.h - a segment in a dump: its batches, filtered, their records
 * decoded, and its indexes checked against it (--verify-index).
 *
 * Owns nothing past a call: the walk (reader/walk.h), the loaded indexes
 * (engine/indexes.h) and the check (audit/indexcheck.h) live for one
 * segment. Reads the segment read-only; prints only through the dump's
 * printer.
 */
#ifndef KAUDIT_INSPECT_BATCHES_H
#define KAUDIT_INSPECT_BATCHES_H

#include "inspect/dump.h"
#include "reader/layout.h"

/* Dump segment `f` (a .log, a KRaft snapshot, or a file named on the
 * command line that may hold batches): a line per batch the filters
 * select, with --records a line per record inside the offset range, and
 * every problem found on the way. */
void in_dump_segment(in_dump *d, const kl_file *f);

#endif
