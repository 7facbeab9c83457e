/*
 * error.h - the one error type of kaudit's reader.
 *
 * Owns: ke_error (a code, the file it concerns, a byte position in that file
 * and a short message) and the two macros every parser uses to return early.
 * Never allocates and never prints: callers decide what to do with an error.
 *
 * Convention (zstd's manner): a fallible function returns int, 0 on success
 * and a negative KE_* code on failure, and fills the ke_error it was given.
 * The error is also the place a caller reads the file name and position from,
 * so a message can always say where the problem is.
 */
#ifndef KAUDIT_READER_ERROR_H
#define KAUDIT_READER_ERROR_H

#include <stdint.h>

/* Error codes. Negative so that "rc < 0" means failure everywhere. */
typedef enum ke_code {
    KE_OK = 0,
    KE_IO = -1,          /* open/read/stat failed (errno text in the message) */
    KE_SHORT = -2,       /* structure runs past the end of its buffer */
    KE_CORRUPT = -3,     /* a field violates Kafka's format rules */
    KE_CRC = -4,         /* stored checksum differs from the recomputed one */
    KE_UNSUPPORTED = -5, /* valid-looking but unknown: magic 3, codec 5, version 9 */
    KE_TOO_LARGE = -6,   /* a size over one of our caps (decompression bomb, absurd length) */
    KE_TRUNCATED = -7,   /* a partial entry at the end of a file (what recovery cuts) */
    KE_ZERO_FILL = -8,   /* a zero-filled region where an entry should start */
    KE_FOREIGN = -9,     /* not Kafka's format at all (e.g. a Redpanda segment) */
    KE_NOMEM = -10,      /* allocation failed */
    KE_USAGE = -11,      /* caller passed something invalid */
    KE_MISMATCH = -12,   /* two files disagree (an index and its log, a snapshot and the log) */
    KE_COUNT = -13,      /* a batch holds more or fewer records than its header declares */
    KE_LIVE = -14        /* the file changed while being read: a live broker wrote, truncated or removed it */
} ke_code;

#define KE_MSG_MAX 200

typedef struct ke_error {
    int code;              /* a ke_code; KE_OK when no error was set */
    const char *file;      /* path of the file concerned; borrowed, may be NULL */
    int64_t pos;           /* byte position in that file, -1 when not known */
    char msg[KE_MSG_MAX];  /* one line, no trailing newline */
} ke_error;

/* Clear an error to KE_OK with no file and position -1. */
void ke_clear(ke_error *e);

/*
 * Fill `e` (which may be NULL) with a code, position and printf-style message
 * and return the code, so a parser can write `return ke_set(e, ...)`.
 * The file field is left as it is: the caller that knows the path sets it.
 */
int ke_set(ke_error *e, int code, int64_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Short constant name of a code ("corrupt", "crc", ...). Never NULL. */
const char *ke_strerror(int code);

/* Return with an error when `cond` holds. */
#define KE_RET_IF(cond, e, code, pos, ...)                                    \
    do {                                                                      \
        if (cond) return ke_set((e), (code), (pos), __VA_ARGS__);             \
    } while (0)

/* Forward the error of a call that already filled the ke_error. */
#define KE_FORWARD(call)                                                      \
    do {                                                                      \
        int ke_rc_ = (call);                                                  \
        if (ke_rc_ < 0) return ke_rc_;                                        \
    } while (0)

#endif
