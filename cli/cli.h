/*
 * cli.h - the commands of the kaudit binary and the helpers they share.
 *
 * The CLI is thin: it parses options, calls the library (include/kaudit.h)
 * and renders what it returns. Exit codes (documented in README.md):
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

#ifndef KAUDIT_VERSION
#define KAUDIT_VERSION "0.0.0"
#endif

enum { EXIT_CLEAN = 0, EXIT_PROBLEMS = 1, EXIT_USAGE = 2 };

int cmd_dump(int argc, char **argv);
int cmd_audit(int argc, char **argv);
/* `kaudit compare`: kaudit audit's options, on the topic-partitions several
 * log directories hold (kaudit_config.compare_only). */
int cmd_compare(int argc, char **argv);
/* `kaudit digest`: kaudit audit's reading options; -o names the digest
 * written (engine/digest.h), and no report is rendered. */
int cmd_digest(int argc, char **argv);
/* `kaudit merge`: several JSON reports as one (kaudit_merge). */
int cmd_merge(int argc, char **argv);
/* `kaudit explain [TYPE...]`: what each finding type means and what to
 * check next, from report/types.c's table; alone, the list of types. */
int cmd_explain(int argc, char **argv);

/* --redact: "keys", "values", "headers" or a comma list of them, into
 * KA_REDACT_* bits. 0, or -1 for anything else. */
int parse_redact(const char *s, int *mask);

/* The key of redaction tokens: hashed from the file's contents when a file
 * is given (so tokens match across reports), else random. 0, or -1 when the
 * file cannot be read or the system has no randomness. */
int redact_key(const char *file, uint64_t *key);

/* Write `text` to stdout and flush it (help, version): EXIT_CLEAN, or
 * EXIT_USAGE after a line on stderr, "<who>: writing to stdout failed:
 * <reason>", when it could not be written whole (a full disk). */
int write_stdout(const char *who, const char *text);

/* Parse "A:B", "A:" or ":B" into an inclusive offset range. 0 on success. */
int parse_range(const char *s, int64_t *lo, int64_t *hi);

/* "512M", "4G", "1048576" (K, M, G, T: powers of 1024; "KiB", "KB" too)
 * into bytes. 0, or -1 for anything else. */
int parse_size(const char *s, int64_t *bytes);

/* --fail-on's "error", "warning", "info" (an RM_* severity) or "none"
 * (-1) into *level. 0, or -1 for anything else. */
int parse_fail_on(const char *s, int *level);

/* The report's time from SOURCE_DATE_EPOCH (seconds since 1970, up to
 * 9999: reproducible-builds.org's convention) into *ms, left as it is when
 * the variable is unset or empty. 0, or -1 when it is not such a number. */
int source_date_epoch(int64_t *ms);

#endif
