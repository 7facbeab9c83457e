/*
 * batches.h - a partition's batches in offset order, across its segments:
 * for the engine's passes that read batches again after the audit (the
 * replica comparison, the records a consumer group read again).
 *
 * Owns: the walk of one kl_partition's segment files in order (reader/walk.h
 * per file), from the first segment that can hold a given offset. Only
 * entries whose checksum matches are given; nothing is printed.
 */
#ifndef KAUDIT_ENGINE_BATCHES_H
#define KAUDIT_ENGINE_BATCHES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader/layout.h"
#include "reader/walk.h"

typedef struct eb_stream {
    const kl_partition *kp;
    size_t max_entry;
    bool no_cache;
    size_t next_file;          /* the next file to open */
    kw_walk *w;
    kb_batch b;                /* the current batch, valid until eb_next or eb_close */
    bool have;                 /* b holds one */
    bool failed;               /* a segment could not be opened */
    int64_t skipped;           /* entries passed over: their checksum failed or they could not be read */
    int64_t seek;              /* eb_open_near: where the first segment is read from, -1 its start */
    int64_t target;            /* ... the offset sought */
    size_t seek_file;          /* ... that segment */
} eb_stream;

/* Ready s to read kp's batches from the segment holding offset `from`
 * (INT64_MIN: from the first), entries up to max_entry bytes, dropped from
 * the page cache after when no_cache. Nothing is opened yet: call eb_next. */
void eb_open(eb_stream *s, const kl_partition *kp, int64_t from, size_t max_entry, bool no_cache);

/*
 * eb_open for reading the batch holding `offset` soon: the first segment
 * (kp->files[eb_first_file]) is read from the position its offset index
 * (.index) gives for the last entry at or below `offset` (searched in the
 * file, not loaded), or from `hint` when that is further (a batch of that
 * segment based at or below `offset` starts there, as the caller saw it;
 * 0: none). A position that is wrong (the first batch read there lies past
 * `offset`, or none can be read) is passed over: the segment is read from
 * its start, as eb_open reads it.
 */
void eb_open_near(eb_stream *s, const kl_partition *kp, int64_t offset, size_t max_entry, bool no_cache,
                  int64_t hint);

/* The file eb_open starts at (an index into kp->files). */
size_t eb_first_file(const eb_stream *s);

/* The file s->b was read from (after eb_next gave one). */
size_t eb_file(const eb_stream *s);

/* The next batch whose checksum matches into s->b; false at the end. */
bool eb_next(eb_stream *s);

/* A control batch's marker: KB_CTRL_COMMIT or KB_CTRL_ABORT (its first
 * record's key), else KB_CTRL_UNKNOWN (data, other control records, or a
 * control batch whose record cannot be read). */
int eb_control_type(kb_batch *b);

/* Close the segment open. Accepts a stream never read. */
void eb_close(eb_stream *s);

#endif
