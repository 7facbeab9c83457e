/*
 * cli.h - the commands of the kaudit binary and the helpers they share.
 *
 * The CLI is thin: it parses options, asks reader/ for typed data and
 * prints it. Exit codes (documented in README.md):
 *   0  everything was read and is well-formed
 *   1  read, but the data has problems (corrupt or truncated entries, ...)
 *   2  usage error, or an input could not be read at all
 */
#ifndef KAUDIT_CLI_CLI_H
#define KAUDIT_CLI_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>

#include "audit/indexcheck.h"
#include "engine/indexes.h"
#include "reader/error.h"
#include "reader/index.h"
#include "reader/layout.h"
#include "reader/segment.h"

#ifndef KAUDIT_VERSION
#define KAUDIT_VERSION "0.0.0"
#endif

enum { EXIT_CLEAN = 0, EXIT_PROBLEMS = 1, EXIT_USAGE = 2 };

/* How long to watch a just-written segment's partial tail for a live
 * broker finishing its write (reader/segment.h, ks_set_live_wait). */
#define LIVE_WAIT_MS 250

int cmd_dump(int argc, char **argv);
int cmd_audit(int argc, char **argv);

/* Milliseconds since the epoch as ISO 8601 UTC ("2024-01-31T12:00:00.000Z")
 * into buf; "-" for negative values (no timestamp). Returns buf. */
const char *fmt_time(int64_t ms, char *buf, size_t cap);

/* Print bytes for a human: as they are when printable UTF-8 text, else with
 * every unprintable byte as \xNN (and '\' as \\). NULL prints "null". */
void print_bytes(FILE *f, const uint8_t *p, int64_t len);

/* --redact: "keys", "values", "headers" or a comma list of them, into
 * KA_REDACT_* bits. 0, or -1 for anything else. */
int parse_redact(const char *s, int *mask);

/* The key of redaction tokens: hashed from the file's contents when a file
 * is given (so tokens match across reports), else random. 0, or -1 when the
 * file cannot be read or the system has no randomness. */
int redact_key(const char *file, uint64_t *key);

/* "keys, values" for a mask, into buf. */
const char *redact_describe(int mask, char *buf, size_t cap);

/* The topic and partition of a file given alone, from its folder's name
 * (".../orders-3/00000000000000000000.log"). 1 and both filled when the
 * folder is a partition directory, else 0 (topic and part untouched). */
int file_partition(const char *path, char *topic, size_t cap, int32_t *part);

/* Open a segment for reading on a live broker (ks_open, then a watch of
 * LIVE_WAIT_MS on a partial tail). A file the directory scan listed but
 * that is gone now (retention, the cleaner, a partition deletion) fails
 * with KE_LIVE, not as unreadable. NULL and *e on failure. */
ks_reader *open_segment(const char *path, size_t max_entry, int no_cache, ke_error *e);

/* The bytes of the segment files (KL_SEGMENT) among `n` files, as stat
 * gives them now: the work ahead, for scheduling and progress. */
int64_t segment_bytes(const kl_file *files, size_t n);

/* Parse "A:B", "A:" or ":B" into an inclusive offset range. 0 on success. */
int parse_range(const char *s, int64_t *lo, int64_t *hi);

#endif
