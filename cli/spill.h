/*
 * spill.h - the duplicate index's scratch files (audit/dupindex.h, KQ_RECORD
 * and KQ_REPLAY), and the private directory they live in.
 *
 * Owns: one private directory per process (mode 0700, made on the first
 * spill under --tmpdir, $TMPDIR or /tmp, removed at exit and on SIGINT,
 * SIGTERM and SIGHUP), and per spilled partition its files. Every file is
 * unlinked the moment it is created, so the directory is empty whenever it
 * is not in the middle of a create, and an interrupted or killed audit
 * leaves no data behind (a SIGKILL can leave the empty directory).
 *
 * A spill splits the recorded puts into SP_SHARES files by fingerprint,
 * resolves each share in memory (kq_resolve) into a file of answers, and
 * replays the answers in put order by merging those files. Disk: 96 bytes
 * per record of the partition (the put and its batch's description), plus
 * 88 per duplicate; memory: the largest share's table (within the budget)
 * and 2 x SP_SHARES buffers of 32 KiB.
 */
#ifndef KAUDIT_CLI_SPILL_H
#define KAUDIT_CLI_SPILL_H

#include <stddef.h>
#include <stdint.h>

#include "audit/dupindex.h"

#define SP_SHARES 64

/*
 * Where the private directory goes: `base` (--tmpdir), else $TMPDIR, else
 * /tmp. Installs the signal handlers that remove it. Call once, before any
 * spill and any thread.
 */
void sp_setup(const char *base);

/* The parent folder the private directory is made in (after sp_setup). */
const char *sp_base(void);

typedef struct sp_spill sp_spill;

/* A spill whose resolving may take `budget` bytes. NULL when out of memory. */
sp_spill *sp_create(size_t budget);

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
