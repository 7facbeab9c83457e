/*
 * preview.h - a short, printable copy of a record's key or value for a
 * finding, or in its place a keyed token when the content is redacted.
 *
 * Owns: rm_preview, a fixed-size value (no allocation). The redaction
 * happens when the preview is taken: a redacted preview never holds the
 * content, only its length and a keyed hash, so tokens match across
 * reports made with the same key and reveal nothing without it.
 */
#ifndef KAUDIT_REPORT_PREVIEW_H
#define KAUDIT_REPORT_PREVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RM_PREVIEW 48 /* bytes of a key or value kept */

typedef struct rm_preview {
    int32_t len;           /* the full length, -1 for null */
    uint8_t n;             /* bytes kept (none when redacted) */
    bool redacted;         /* only `token` describes the content */
    uint64_t token;        /* keyed hash of the whole content, when redacted */
    uint8_t bytes[RM_PREVIEW];
} rm_preview;

/* The redaction token of `len` bytes at p under `key`. */
uint64_t rm_redact_token(const uint8_t *p, size_t len, uint64_t key);

/* Take a preview of `len` bytes at b (NULL: a null key or value); when
 * `redact`, only their length and token under `key`. */
void rm_preview_set(rm_preview *p, const uint8_t *b, int32_t len, bool redact, uint64_t key);

/* The preview as text into out (cap bytes, at least RM_PREVIEW_TEXT):
 * "null", "[redacted: N bytes, token T]", or the bytes with everything
 * outside printable ASCII (and '\') as \xNN and, when cut, the full length. */
#define RM_PREVIEW_TEXT (RM_PREVIEW * 4 + 32)
void rm_preview_text(const rm_preview *p, char *out, size_t cap);

#endif
