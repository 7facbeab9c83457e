/*
 * text.h - text helpers every layer shares: UTF-8 validation, base64, ISO
 * 8601 UTC times.
 *
 * Owns: the one UTF-8 validator (well-formed UTF-8 as Unicode 3.9 Table 3-7
 * defines it: no overlong forms, no surrogates, nothing past U+10FFFF, which
 * is also what Java's strict decoder accepts), the one base64 encoder
 * (RFC 4648, standard or URL alphabet, with or without padding) and the one
 * formatter of epoch milliseconds as UTC time text. Knows nothing about
 * Kafka; allocates nothing, never prints: every result goes into a buffer
 * the caller owns.
 */
#ifndef KAUDIT_READER_TEXT_H
#define KAUDIT_READER_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- UTF-8 ---------------------------------------------------------- */

/*
 * Length (1-4) of the well-formed UTF-8 sequence at p (n >= 1 bytes left),
 * or 0 when it is ill-formed or cut short by the end of the buffer. NUL is
 * well-formed (U+0000): callers that cannot hold it test for it first.
 * When it returns 0 and skip is not NULL, *skip is the length of the
 * maximal subpart (Unicode 3.9, D93b: what Java's String decoder replaces
 * with one U+FFFD), at least 1; skip is left alone otherwise.
 */
size_t tx_utf8_seq(const uint8_t *p, size_t n, size_t *skip);

/*
 * Length of the longest well-formed prefix of p[0..n): n when all of it is
 * UTF-8, else the position of the first ill-formed sequence.
 */
size_t tx_utf8_span(const uint8_t *p, size_t n);

/* true when all n bytes at p are well-formed UTF-8 (n == 0 is). */
bool tx_utf8_valid(const uint8_t *p, size_t n);

/* ---- base64 --------------------------------------------------------- */

/* Flags of the encoder, ORed; 0 is RFC 4648 section 4 (standard, padded). */
#define TX_B64_URL   1u /* "-_" for "+/" (RFC 4648 section 5) */
#define TX_B64_NOPAD 2u /* no '=' at the end (as Kafka's Uuid.toString) */

/*
 * Characters the encoding of n bytes takes with these flags, without the
 * NUL that tx_base64 adds. n must be at most SIZE_MAX / 4 * 3 (asserted).
 */
size_t tx_base64_len(size_t n, unsigned flags);

/*
 * Encode n bytes at p into out, which must hold tx_base64_len(n, flags) + 1
 * characters: the text, then a NUL. Returns the text's length.
 */
size_t tx_base64(const uint8_t *p, size_t n, unsigned flags, char *out);

/* ---- times ---------------------------------------------------------- */

/* Shapes of a time, ORed; 0 is "2024-01-31T12:00:00Z". */
#define TX_TIME_MS    1u /* milliseconds before the Z: "12:00:00.000Z" */
#define TX_TIME_SPACE 2u /* a space between date and time, not 'T' */

/* Room for any time in any shape, NUL included. */
#define TX_TIME_MAX 40

/*
 * Epoch milliseconds as UTC time text into buf (cap bytes, TX_TIME_MAX is
 * always enough), e.g. "2024-02-29T23:59:59.999Z" (TX_TIME_MS). Seconds are
 * truncated, never rounded: the milliseconds are ms's own, and negative ms
 * count back from the epoch (-1 is 1969-12-31T23:59:59.999Z). Years past
 * 9999 get as many digits as they need. Returns the text's length, or 0
 * (buf then holds "") when the time cannot be represented or cap is too
 * small. Callers that show negative times as unknown test ms first.
 */
size_t tx_time_utc(int64_t ms, unsigned shape, char *buf, size_t cap);

#endif
