/* escape.c - see escape.h. */
#include "escape.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

#include "reader/text.h"

/* The well-formed code points the rule escapes: C0, DEL, C1, and the
 * bidirectional controls (Unicode's Bidi_Control property: ALM, LRM, RLM,
 * LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI). */
static bool is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

int es_unit(const uint8_t *p, size_t n, size_t *len, uint32_t *cp)
{
    assert(n >= 1);
    uint8_t b = p[0];
    size_t k = b < 0x80 ? 1 : tx_utf8_seq(p, n, NULL);
    if (k == 0) {
        *len = 1;
        *cp = b;
        return ES_INVALID;
    }
    /* The lead byte's payload bits, then six bits from each later byte. */
    uint32_t u = k == 1 ? b : k == 2 ? b & 0x1fu : k == 3 ? b & 0x0fu : b & 0x07u;
    for (size_t i = 1; i < k; i++) u = u << 6 | (p[i] & 0x3fu);
    *len = k;
    *cp = u;
    return is_control(u) ? ES_CONTROL : ES_PLAIN;
}

size_t es_plain_span(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (p[i] >= 0x20 && p[i] < 0x7f) { /* printable ASCII, the common case */
            i++;
            continue;
        }
        size_t len;
        uint32_t cp;
        if (es_unit(p + i, n - i, &len, &cp) != ES_PLAIN) return i;
        i += len;
    }
    return n;
}

size_t es_hex(uint8_t b, char out[ES_HEX_MAX])
{
    static const char hex[] = "0123456789abcdef";
    out[0] = '\\', out[1] = 'x', out[2] = hex[b >> 4], out[3] = hex[b & 15], out[4] = '\0';
    return 4;
}

int es_fwrite(const void *p, size_t n, FILE *f)
{
    const uint8_t *s = p;
    size_t i = 0;
    while (i < n) {
        size_t k = es_plain_span(s + i, n - i);
        if (k && fwrite(s + i, 1, k, f) != k) return EOF;
        i += k;
        if (i == n) break;
        size_t len;
        uint32_t cp;
        es_unit(s + i, n - i, &len, &cp);
        for (size_t j = 0; j < len; j++) {
            char h[ES_HEX_MAX];
            if (fwrite(h, 1, es_hex(s[i + j], h), f) != 4) return EOF;
        }
        i += len;
    }
    return 0;
}

int es_fputs(const char *s, FILE *f) { return s ? es_fwrite(s, strlen(s), f) : 0; }
