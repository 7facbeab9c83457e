/* preview.c - see preview.h. */
#include "preview.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

uint64_t rm_redact_token(const uint8_t *p, size_t len, uint64_t key) { return XXH3_64bits_withSeed(p, len, key); }

void rm_preview_set(rm_preview *p, const uint8_t *b, int32_t len, bool redact, uint64_t key)
{
    p->len = b ? len : -1;
    p->redacted = redact && b;
    p->token = p->redacted ? rm_redact_token(b, (size_t)len, key) : 0;
    p->n = b && len > 0 && !p->redacted ? (uint8_t)(len < RM_PREVIEW ? len : RM_PREVIEW) : 0;
    if (p->n) memcpy(p->bytes, b, p->n);
}

void rm_preview_text(const rm_preview *p, char *out, size_t cap)
{
    if (p->len < 0) {
        snprintf(out, cap, "null");
        return;
    }
    if (p->redacted) {
        snprintf(out, cap, "[redacted: %d bytes, token %016" PRIx64 "]", p->len, p->token);
        return;
    }
    size_t o = 0;
    for (uint8_t i = 0; i < p->n && o + 5 < cap; i++) {
        uint8_t ch = p->bytes[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '\\') out[o++] = (char)ch;
        else o += (size_t)snprintf(out + o, cap - o, "\\x%02x", ch);
    }
    out[o] = '\0';
    if (p->len > p->n && o + 24 < cap) snprintf(out + o, cap - o, "... (%d bytes)", p->len);
}
