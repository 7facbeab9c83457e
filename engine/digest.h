/*
 * digest.h - digests on disk: written from an audit's partitions, read
 * back (checked whole) for kaudit compare. The bytes are reader/digest.h's;
 * docs/digest.md defines them.
 *
 * A digest is what a broker's audit leaves for a cluster-wide comparison:
 * per partition copy its facts (log start and end, high watermark, broker,
 * cluster), per batch the fields replicas must agree on, and the producers
 * at its end. Written streamed, in topic, partition and path order, so that
 * digests of many brokers are read side by side.
 *
 * Owns: the writer's walk of segments (engine/batches.h), the digest file
 * being written, and an opened digest's table of directories and
 * partitions (its batches stay on disk: a cursor reads them).
 */
#ifndef KAUDIT_ENGINE_DIGEST_H
#define KAUDIT_ENGINE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "reader/digest.h"
#include "reader/error.h"
#include "reader/layout.h"
#include "report/model.h"

/*
 * Write to `out` the digest of every live partition copy of `set` that
 * report r lists (matched by path; its counts and offsets are the
 * report's), segments read with entries up to max_entry bytes. 0, or
 * KE_IO (writing failed: errno's words in e) or KE_NOMEM.
 */
int ed_write(const kl_set *set, const rm_report *r, FILE *out, size_t max_entry, bool no_cache, ke_error *e);

/* One log directory of an opened digest. */
typedef struct ed_dir {
    char *path, *cluster;      /* owned; cluster "" unknown */
    int32_t broker;            /* -1 unknown */
} ed_dir;

/* One partition copy of an opened digest: kdg_part with owned strings. */
typedef struct ed_part {
    kdg_part p;                 /* its topic and path point at the two below */
    char *topic, *path;
    int64_t batches_at;        /* file position of its first 'B' record (or its 'S') */
    int64_t unread;            /* entries the writer could not read */
    const struct ed_file *file;
} ed_part;

typedef struct ed_file {
    char *path;
    int fd;                    /* open while the digest is: cursors read it with pread */
    ed_dir *dirs;
    size_t ndirs;
    ed_part *parts;
    size_t nparts;
    int64_t batches;
    bool local;                /* the digest of the data given beside it (its paths are the report's) */
} ed_file;

/* Is the file at `path` a digest (its first bytes say so)? */
bool ed_is_digest(const char *path);

/*
 * Open the digest at `path`, reading it whole once: every record checked,
 * the checksum verified, the directories and partitions kept (up to
 * `max_bytes` of them, counting their strings). NULL with e set (file and
 * byte position) when it is not a digest, is cut short, fails its checksum,
 * or would need more than max_bytes.
 */
ed_file *ed_open(const char *path, size_t max_bytes, ke_error *e);

/* Accepts NULL. */
void ed_close(ed_file *f);

/* A partition copy's batches, in order, read from its digest. */
typedef struct ed_cursor {
    const ed_part *part;
    kdg_prev prev;
    uint8_t *body;             /* the 'B' record being read */
    size_t body_len, at;
    uint64_t left;             /* batches left in it */
    int64_t pos;               /* file position of the next record */
    int64_t chunk_pos;         /* ... of the one in body */
    bool done, failed;
    ke_error err;
} ed_cursor;

/* Ready c for part's batches. false (c->failed, c->err) out of memory. */
bool ed_cursor_open(ed_cursor *c, const ed_part *part);

/* The next batch into *b (the header fields reader/digest.h names) and
 * its marker's type (eb_control_type's); false at the end, or on a read
 * error (c->failed). */
bool ed_cursor_next(ed_cursor *c, kb_batch *b, int *control_type);

/* Accepts a cursor never opened (zeroed). */
void ed_cursor_close(ed_cursor *c);

#endif
