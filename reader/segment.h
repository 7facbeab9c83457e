/*
 * segment.h - walk the entries of a segment file (.log, KRaft .checkpoint).
 *
 * Owns: ks_reader, an open file read through one window buffer with pread
 * (never mmap: a live broker may truncate the file under us, and a mapped
 * page past the new end would kill us with SIGBUS). Memory is the window
 * (4 MiB, growing only to hold one entry, up to the entry cap), whatever
 * the file's size.
 *
 * It decides what Kafka's log recovery would decide (formats doc 1.2 and
 * 1.12): a partial entry at the end is a truncated tail, a size below 14 is
 * corruption (a zero-filled region when everything after it is zeros), and
 * after a corrupt entry reading resumes at the next entry only when the
 * length field can be trusted. A file whose first entry is not Kafka's
 * framing but looks like a Redpanda segment gets one KE_FOREIGN error.
 *
 * Opens the file O_RDONLY (and O_NOATIME where allowed); writes, locks and
 * renames nothing. Never prints.
 */
#ifndef KAUDIT_READER_SEGMENT_H
#define KAUDIT_READER_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "error.h"

/* Largest entry we agree to hold in memory. Kafka's segments are capped at
 * 2 GiB; batches are capped by message.max.bytes (1 MiB default). */
#define KS_DEFAULT_MAX_ENTRY ((size_t)256 << 20)

typedef struct ks_reader ks_reader;

/*
 * Open `path` for reading. `max_entry` caps one entry (0 = default).
 * `no_cache` asks the kernel to drop the pages we read (posix_fadvise
 * DONTNEED) so an audit does not evict a live broker's page cache.
 * Returns NULL with `e` filled (KE_IO, KE_NOMEM) on failure. The reader keeps
 * its own copy of the path; errors point at it until ks_close.
 */
ks_reader *ks_open(const char *path, size_t max_entry, int no_cache, ke_error *e);

/* Close and free. Accepts NULL. */
void ks_close(ks_reader *r);

/*
 * Next entry into *b (its bytes stay valid until the next call). Returns 1
 * for an entry, 0 at the end of the readable data, or a negative KE_* code
 * with `e` filled (file and position set). After an error the caller may
 * call again: reading goes on at the next trusted entry, or ends (0).
 * An entry whose CRC does not match is returned (1) with b->crc_valid false.
 */
int ks_next(ks_reader *r, kb_batch *b, ke_error *e);

/* The offset field of the entry the last error of ks_next concerns (a
 * partial or corrupt entry), or -1 when fewer than 8 bytes of it exist. */
int64_t ks_error_offset(const ks_reader *r);

/*
 * A partial last entry in a file written in the last 30 s may be a live
 * broker's write in flight: watch the file for up to `ms` milliseconds, and
 * if it grows, report KE_LIVE instead of a truncated tail. 0 (the default)
 * never waits. The CLI waits (250 ms); tests and fuzzers do not.
 */
void ks_set_live_wait(ks_reader *r, int ms);

/*
 * Reading one file on several threads (engine/pipeline.h): each thread
 * reads a part of it, from an entry's start to another's, with a reader of
 * its own that shares the whole reader's descriptor and size at open.
 */

/* What the reading of the entries before a position carries on to the
 * next: the last base offset whose checksum matched (INT64_MIN: none),
 * whether the entry before was corrupt (the next must then look
 * plausible), how many entries were read (the first is looked at as a
 * possibly foreign segment), and whether the reading stopped. */
typedef struct ks_state {
    int64_t last_base;
    int resume_checked;
    long entries;
    int done;
} ks_state;

/* Where `r` stands now: what a part read after it would need. */
void ks_state_of(const ks_reader *r, ks_state *s);

/*
 * A reader of `whole`'s entries from `from` up to `to` (both where an
 * entry starts, or `to` the file's size), in state `s`: it returns what
 * `whole` would return from `from` on, had it reached `from` in state `s`,
 * and ends (0) at `to`. It borrows whole's descriptor and path: close it
 * (ks_close) before whole. `reuse`: a part reader to reuse (its window
 * kept), or NULL. NULL and *e when out of memory.
 */
ks_reader *ks_part(ks_reader *reuse, const ks_reader *whole, int64_t from, int64_t to, const ks_state *s, ke_error *e);

/* What part `r` read that another state could have changed: *anchored,
 * whether an entry of it matched its checksum; *probe_min, the lowest
 * offset field a corrupt entry's successor was checked against the last
 * base with before then (INT64_MAX: none). A part read in a state whose
 * last_base is above probe_min must be read again in that state. */
void ks_part_probes(const ks_reader *r, int *anchored, int64_t *probe_min);

/*
 * Hop from the entry starting at `from` over entries by their length
 * fields alone (no checksum), while each header is one ks_next takes as it
 * is (a sane size, a known magic, within the file and the entry cap), until
 * `want` bytes are passed. Returns the position reached: an entry's start
 * whose offset field is *next_offset, or the file's size (*next_offset -1),
 * with *sound 1; or with *sound 0 the first entry whose header is not
 * sound (or the first position that cannot be read), from which only
 * reading in order can tell what the entries are. Reads with pread; does
 * not move r.
 */
int64_t ks_hop(const ks_reader *r, int64_t from, int64_t want, int *sound, int64_t *next_offset);

/* File size when opened. */
int64_t ks_size(const ks_reader *r);

/* Read `bytes` at a time (64 KiB to the default 4 MiB) rather than the
 * default: for a few entries read near a position (ks_seek). Before the
 * first ks_next; later it changes nothing. */
void ks_set_window(ks_reader *r, size_t bytes);

/*
 * Go on at file position `pos` (an entry's start, as an offset index
 * gives it), as if the file began there: the next ks_next reads the entry
 * at pos. 0, or -1 (nothing changed) when pos lies outside the file.
 */
int ks_seek(ks_reader *r, int64_t pos);

/* The path as given to ks_open. */
const char *ks_path(const ks_reader *r);

/*
 * Read a whole small file (index, snapshot, checkpoint) into a new buffer,
 * refusing files over `cap` bytes (KE_TOO_LARGE). On success *buf (free with
 * free(); NULL for an empty file) and *len are set. Read-only, like ks_open.
 */
int ks_read_file(const char *path, size_t cap, uint8_t **buf, size_t *len, ke_error *e);

#endif
