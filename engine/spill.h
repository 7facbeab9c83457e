/*
 * spill.h - the duplicate index's scratch files (audit/dupindex.h, KQ_RECORD
 * and KQ_REPLAY), and the private directory they live in.
 *
 * Owns: sp_dir, one private directory per engine (kaudit-spill-XXXXXX,
 * mode 0700, made on the first spill under a base folder: --tmpdir, $TMPDIR
 * or /tmp; removed by sp_dir_free, or at once by sp_dir_remove_now from a
 * front end's signal handler), and per spilled partition its files. Every
 * file is unlinked the moment it is created, so the directory is empty
 * whenever it is not in the middle of a create, and an interrupted or
 * killed audit leaves no data behind. A SIGKILL can leave the empty
 * directory: while it exists its run holds a flock on it, so a later run
 * knows a leftover by its lock being free and removes it (sp_dir_sweep).
 * Never touches anything else in the base folder. Installs no signal
 * handler: while it makes the directory or a named file, a thread blocks
 * SIGINT, SIGTERM and SIGHUP, so that a handler calling sp_dir_remove_now
 * never misses what is being made.
 *
 * A spill splits the recorded puts into SP_SHARES files by fingerprint,
 * resolves each share in memory (kq_resolve) into a file of answers, and
 * replays the answers in put order by merging those files. Disk: 96 bytes
 * per record of the partition (the put and its batch's description), plus
 * 88 per duplicate; memory: the largest share's table (within the budget)
 * and 2 x SP_SHARES buffers of 32 KiB.
 */
#ifndef KAUDIT_ENGINE_SPILL_H
#define KAUDIT_ENGINE_SPILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/dupindex.h"

#define SP_SHARES 64

typedef struct sp_dir sp_dir;

/* A private directory to be made, when first needed, in `base` (else
 * $TMPDIR, else /tmp). NULL when out of memory. */
sp_dir *sp_dir_create(const char *base);

/* Remove the directory (empty whenever no file is being made) and free.
 * Accepts NULL. */
void sp_dir_free(sp_dir *d);

/* Async-signal-safe: wait for a file being made, then remove the
 * directory. For a signal handler; the process is expected to die after. */
void sp_dir_remove_now(sp_dir *d);

/* The folder the private directory is made in. */
const char *sp_dir_base(const sp_dir *d);

/* A new file with no name in the private directory (made first if need
 * be), for scratch data of the caller's (the report's findings): its
 * descriptor, open for reading and writing (the caller closes it), or -1
 * with why in err. */
int sp_scratch(sp_dir *d, char *err, size_t cap);

/*
 * Remove the private directories that runs killed before they could
 * (SIGKILL, a crash) left in d's base folder: a directory named like ours
 * (kaudit-spill- and 6 letters or digits), not a link, owned by this user,
 * mode 0700 or less, whose lock (see make_dir) nobody holds, that holds
 * nothing but spill files (spill-XXXXXX, regular, ours), and for which
 * `keep` (may be NULL) does not say to keep it. A live run's directory is
 * locked, so never touched. Returns how many were removed.
 */
size_t sp_dir_sweep(const sp_dir *d, bool (*keep)(const char *path, void *ctx), void *ctx);

typedef struct sp_spill sp_spill;

/* A spill in directory `dir` (which must outlive it) whose resolving may
 * take `budget` bytes. NULL when out of memory. */
sp_spill *sp_create(sp_dir *dir, size_t budget);

/* Free, closing (and so deleting) its files. Accepts NULL. */
void sp_free(sp_spill *s);

/* The callbacks for ka_index_spill, valid while `s` lives. */
const kq_spill *sp_ops(sp_spill *s);

/* After the KQ_RECORD pass: resolve every share, and get ready to give the
 * answers to a KQ_REPLAY pass. 0, or -1 (see sp_error). */
int sp_resolve(sp_spill *s);

/* Why the last call failed ("" when it did not). */
const char *sp_error(const sp_spill *s);

/* Puts recorded, and the bytes written to disk so far. */
uint64_t sp_puts(const sp_spill *s);
uint64_t sp_disk_bytes(const sp_spill *s);

#endif
