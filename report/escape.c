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

/* Write each byte of the unit at p (len bytes) as \xNN, preceded by an
 * extra backslash when `extra`: Markdown's and Prometheus' literal one. */
static int hex_unit(const uint8_t *p, size_t len, bool extra, FILE *f)
{
    for (size_t j = 0; j < len; j++) {
        char h[ES_HEX_MAX];
        if (extra && fputc('\\', f) == EOF) return EOF;
        if (fwrite(h, 1, es_hex(p[j], h), f) != 4) return EOF;
    }
    return 0;
}

int es_md_text(const char *s, FILE *f)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t n = s ? strlen(s) : 0, len;
    for (size_t i = 0; i < n; i += len) {
        uint32_t cp;
        if (es_unit(p + i, n - i, &len, &cp) != ES_PLAIN) {
            if (hex_unit(p + i, len, true, f) == EOF) return EOF;
            continue;
        }
        /* Inline syntax of CommonMark, GFM (strikethrough, tables,
         * autolinks) and GitLab (math, inline diffs {+ +}); '&' starts an
         * entity, which could write any character, a bidi control too. */
        if (len == 1 && strchr("\\`*_{}[]<>|~&$:", s[i]) && fputc('\\', f) == EOF) return EOF;
        if (fwrite(s + i, 1, len, f) != len) return EOF;
    }
    return 0;
}

int es_md_code(const char *s, FILE *f)
{
    int run = 0, longest = 0;
    for (const char *c = s; c && *c; c++) {
        run = *c == '`' ? run + 1 : 0;
        if (run > longest) longest = run;
    }
    for (int i = 0; i <= longest; i++)
        if (fputc('`', f) == EOF) return EOF;
    if (fputc(' ', f) == EOF) return EOF;
    const uint8_t *p = (const uint8_t *)s;
    size_t n = s ? strlen(s) : 0, len;
    for (size_t i = 0; i < n; i += len) {
        uint32_t cp;
        if (es_unit(p + i, n - i, &len, &cp) != ES_PLAIN) {
            if (hex_unit(p + i, len, false, f) == EOF) return EOF;
        } else if (s[i] == '|') {
            if (fputc('/', f) == EOF) return EOF;
        } else if (fwrite(s + i, 1, len, f) != len) {
            return EOF;
        }
    }
    if (fputc(' ', f) == EOF) return EOF;
    for (int i = 0; i <= longest; i++)
        if (fputc('`', f) == EOF) return EOF;
    return 0;
}

int es_prom_label(const char *s, FILE *f)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t n = s ? strlen(s) : 0, len;
    for (size_t i = 0; i < n; i += len) {
        uint32_t cp;
        int kind = es_unit(p + i, n - i, &len, &cp);
        if (kind == ES_PLAIN && (s[i] == '\\' || s[i] == '"')) {
            if (fputc('\\', f) == EOF || fputc(s[i], f) == EOF) return EOF;
        } else if (kind == ES_PLAIN) {
            if (fwrite(s + i, 1, len, f) != len) return EOF;
        } else if (kind == ES_CONTROL && cp == '\n') {
            if (fputs("\\n", f) == EOF) return EOF;
        } else if (hex_unit(p + i, len, true, f) == EOF) {
            return EOF;
        }
    }
    return 0;
}
