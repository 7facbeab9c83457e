/*
 * progress.h - one line of progress on stderr for long runs: bytes done of
 * the total, rate and time left, redrawn a few times a second by a thread of
 * its own. Only when enabled (stderr is a terminal and no --quiet); every
 * call is cheap and thread-safe either way.
 *
 * Owns: the counters and the ticker thread. Other messages for stderr go
 * through pg_say, so they never land in the middle of the line.
 */
#ifndef KAUDIT_CLI_PROGRESS_H
#define KAUDIT_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

/* Start counting towards `total` bytes; draw only when `show`. */
void pg_start(int64_t total, bool show);

/* `bytes` more were read. */
void pg_add(int64_t bytes);

/* The work grew by `bytes` (a partition audited again after a spill). */
void pg_add_total(int64_t bytes);

/* Print a line on stderr (printf-style, a newline is added), above the
 * progress line when there is one; silent when `quiet`. The formatted line
 * is written in report/escape.h's text form (controls and bytes that are
 * not UTF-8 as \xNN): use it for every line that quotes a path or name. */
void pg_say(bool quiet, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Stop the ticker and erase the line. Safe without pg_start. */
void pg_stop(void);

#endif
