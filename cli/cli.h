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
#include <stdio.h>

#ifndef KAUDIT_VERSION
#define KAUDIT_VERSION "0.0.0"
#endif

enum { EXIT_CLEAN = 0, EXIT_PROBLEMS = 1, EXIT_USAGE = 2 };

int cmd_dump(int argc, char **argv);
int cmd_audit(int argc, char **argv);

/* Milliseconds since the epoch as ISO 8601 UTC ("2024-01-31T12:00:00.000Z")
 * into buf; "-" for negative values (no timestamp). Returns buf. */
const char *fmt_time(int64_t ms, char *buf, size_t cap);

/* Print bytes for a human: as they are when printable UTF-8 text, else with
 * every unprintable byte as \xNN (and '\' as \\). NULL prints "null". */
void print_bytes(FILE *f, const uint8_t *p, int64_t len);

/* Parse "A:B", "A:" or ":B" into an inclusive offset range. 0 on success. */
int parse_range(const char *s, int64_t *lo, int64_t *hi);

#endif
