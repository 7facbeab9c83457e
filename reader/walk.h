/*
 * walk.h - one segment, entry by entry, as the audit and the dump read it.
 *
 * Owns: kw_walk, a segment opened read-only the way kaudit reads on a live
 * broker (ks_open, then a watch of a partial tail for a write in flight),
 * whose entries come with the checksum's verdict in words and, on demand,
 * their records opened. One place for what audit and dump both need, so the
 * two never word a damaged entry differently.
 *
 * Allocates the reader (reader/segment.h); never prints.
 */
#ifndef KAUDIT_READER_WALK_H
#define KAUDIT_READER_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "codec.h"
#include "error.h"
#include "segment.h"

/* How long a just-written segment's partial tail is watched for a live
 * broker finishing its write (ks_set_live_wait). */
#define KW_LIVE_WAIT_MS 250

typedef struct kw_walk kw_walk;

/*
 * Open the segment at `path` (ks_open's `max_entry` and `no_cache`), with
 * a live wait of `live_wait_ms` on a partial tail. A file that is gone (a
 * broker's retention, cleaner or deletion got to it after the directory
 * was listed) fails with KE_LIVE, not as unreadable. NULL and *e otherwise.
 */
kw_walk *kw_open(const char *path, size_t max_entry, bool no_cache, int live_wait_ms, ke_error *e);

/* Close and free. Accepts NULL. */
void kw_close(kw_walk *w);

/* The file's size when opened. */
int64_t kw_size(const kw_walk *w);

/* Read `bytes` at a time (ks_set_window). */
void kw_set_window(kw_walk *w, size_t bytes);

/* Go on at the entry starting at file position `pos` (ks_seek). 0, or -1
 * when pos lies outside the file. */
int kw_seek(kw_walk *w, int64_t pos);

/* What kw_next found. */
enum {
    KW_END = 0,      /* no more readable entries */
    KW_BATCH = 1,    /* an entry whose checksum matches */
    KW_BAD_CRC = 2,  /* an entry shown but not trusted: its checksum does not match (KE_CRC, with
                      * both values), or its offsets lie outside its segment's (KE_CORRUPT) */
    KW_ERROR = -1    /* an entry that could not be read: *e; reading goes on where it can */
};

/*
 * The next entry into *b (its bytes valid until the next call). On
 * KW_BAD_CRC and KW_ERROR, *e describes the problem (its file is the
 * walk's path, valid until kw_close) and *entry_offset is the entry's
 * offset field (-1 when unknown).
 */
int kw_next(kw_walk *w, kb_batch *b, ke_error *e, int64_t *entry_offset);

/* The segment's reader (for ks_state_of, ks_hop, ks_part_probes). */
ks_reader *kw_reader(kw_walk *w);

/* A walk of part [from, to) of `whole` in state `s` (ks_part), reusing
 * walk `reuse` (a part's, or NULL). Close it before whole. NULL and *e
 * when out of memory (reuse is then closed). */
kw_walk *kw_part(kw_walk *reuse, const kw_walk *whole, int64_t from, int64_t to, const ks_state *s, ke_error *e);

/* Open batch b's records (kb_iter_open, decompressing into dc); on failure
 * *e carries the walk's file. 0 or a negative KE_* code. */
int kw_records(kw_walk *w, kb_batch *b, kb_iter *it, kc_ctx *dc, ke_error *e);

#endif
