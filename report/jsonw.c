/* jsonw.c - see jsonw.h. */
#include "jsonw.h"

#include <assert.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "escape.h"
#include "reader/text.h"

void jw_init(jw *w)
{
    memset(w, 0, sizeof *w);
    w->first[0] = true;
}

void jw_free(jw *w)
{
    if (!w) return;
    free(w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
}

/* reserve's slow path: grow the buffer. 0, or -1 out of memory. */
static int grow(jw *w, size_t n)
{
    if (w->oom) return -1;
    size_t ncap = w->cap ? w->cap : 1024;
    while (ncap < w->len + n + 1) ncap *= 2;
    char *nb = realloc(w->buf, ncap);
    if (!nb) {
        w->oom = 1;
        return -1;
    }
    w->buf = nb;
    w->cap = ncap;
    return 0;
}

/* Make room for `n` more bytes (and a NUL). 0, or -1 out of memory. */
static inline int reserve(jw *w, size_t n)
{
    if (!w->oom && w->len + n + 1 <= w->cap) return 0;
    return grow(w, n);
}

static inline void put(jw *w, const char *s, size_t n)
{
    if (reserve(w, n) < 0) return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static inline void putc_(jw *w, char c)
{
    if (reserve(w, 1) == 0) w->buf[w->len++] = c;
}

/* Comma before a value or member unless it is the first at this depth. */
static inline void sep(jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (!w->first[w->depth]) putc_(w, ',');
    w->first[w->depth] = false;
}

int jw_flush_line(jw *w, FILE *f)
{
    assert(w->depth == 0);
    putc_(w, '\n');
    size_t n = fwrite(w->buf, 1, w->len, f);
    int rc = n == w->len && !w->oom ? 0 : -1;
    w->len = 0;
    w->first[0] = true;
    w->oom = 0;
    return rc;
}

int jw_end_line(jw *w)
{
    assert(w->depth == 0);
    putc_(w, '\n');
    int rc = w->oom ? -1 : 0;
    w->first[0] = true;
    w->oom = 0;
    return rc;
}

int jw_flush(jw *w, FILE *f)
{
    size_t n = fwrite(w->buf, 1, w->len, f);
    int rc = n == w->len && !w->oom ? 0 : -1;
    w->len = 0;
    return rc;
}

static void open_(jw *w, char c)
{
    sep(w);
    putc_(w, c);
    assert(w->depth + 1 < JW_MAX_DEPTH);
    if (w->depth + 1 < JW_MAX_DEPTH) w->depth++;
    w->first[w->depth] = true;
}

static void close_(jw *w, char c)
{
    putc_(w, c);
    if (w->depth > 0) w->depth--;
}

void jw_obj_begin(jw *w) { open_(w, '{'); }
void jw_obj_end(jw *w) { close_(w, '}'); }
void jw_arr_begin(jw *w) { open_(w, '['); }
void jw_arr_end(jw *w) { close_(w, ']'); }

/* What an ASCII byte becomes inside a JSON string: 0 itself, 1 \uXXXX,
 * else the letter after a backslash. DEL is escaped too (report/escape.h). */
static const uint8_t esc_tab[128] = {
    1,   1, 1, 1, 1, 1, 1, 1, 1,   't', 'n', 1, 1, 'r', 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0,   0, '"', [92] = '\\', [127] = 1,
};

/* 1 for every byte that ends a run of printable ASCII a JSON string holds
 * as it is: the ASCII bytes esc_tab escapes, and every byte from 0x80 on
 * (the start of a unit es_unit classifies). */
static const uint8_t stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* C0 */
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* '"' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* '\' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, /* DEL */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/*
 * Copy the run of bytes at the start of s[0..n) that stop[] lets pass to o,
 * and return its length. o has room for 16 bytes more than the run when
 * n >= 16 (the caller's reservation, 6 bytes out per byte in, grants it):
 * the vector path stores whole blocks and keeps only the run.
 */
static inline size_t plain_run(char *o, const uint8_t *s, size_t n)
{
    size_t i = 0;
#if defined(__SSE2__)
    /* SSE2 is baseline on x86-64: sixteen bytes compared at once. A signed
     * compare below 0x20 takes C0 and every byte from 0x80 on. */
    const __m128i c0 = _mm_set1_epi8(0x20), quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                  del = _mm_set1_epi8(0x7f);
    while (n - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        _mm_storeu_si128((__m128i *)(void *)(o + i), v);
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, c0), _mm_cmpeq_epi8(v, quote)),
                                 _mm_or_si128(_mm_cmpeq_epi8(v, bslash), _mm_cmpeq_epi8(v, del)));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits) return i + (size_t)__builtin_ctz(bits);
        i += 16;
    }
#else
    /* Elsewhere, eight bytes at a time while each is printable ASCII other
     * than '"' and '\' (a zero byte in x ^ pattern, a byte below 0x20, a
     * byte with its high bit set); the block that holds one goes byte by
     * byte below. */
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    while (n - i >= 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\'), d = x ^ (ones * 0x7f);
        if ((x & high) | ((x - ones * 0x20) & ~x & high) | ((q - ones) & ~q & high) | ((b - ones) & ~b & high) |
            ((d - ones) & ~d & high))
            break;
        memcpy(o + i, s + i, 8);
        i += 8;
    }
#endif
    while (i < n && !stop[s[i]]) {
        o[i] = (char)s[i];
        i++;
    }
    return i;
}

/*
 * The one JSON rule for text (report/escape.h's units): a string is always
 * well-formed UTF-8 and holds no control character raw. '"', '\' and C0
 * controls are escaped as RFC 8259 says (\t, \n, \r, else \u00XX); DEL,
 * C1 and bidirectional controls as \uXXXX (a reader gets the character
 * back); a byte that is not part of well-formed UTF-8, which no JSON string
 * can hold, as the four characters \xNN (JSON "\\xNN"), the form the
 * text outputs show it in.
 *
 * Writes the string, quotes included, and returns 0; when `utf8_only`
 * and s is not well-formed UTF-8, writes nothing and returns -1 (the
 * caller writes base64). Out of memory: sets w->oom, returns 0.
 */
static int escaped(jw *w, const uint8_t *s, size_t n, bool utf8_only)
{
    static const char hex[] = "0123456789abcdef";
    /* At most 6 bytes out per byte in (\u00XX for one, \\xNN 5 for one,
     * \uXXXX for two or three), plus the quotes: one reservation, then
     * plain loops into the buffer. */
    if (n > (SIZE_MAX - 2) / 6 || reserve(w, 6 * n + 2) < 0) {
        w->oom = 1;
        return 0;
    }
    char *o = w->buf + w->len;
    *o++ = '"';
    for (size_t i = 0;;) {
        size_t k = plain_run(o, s + i, n - i);
        o += k;
        i += k;
        if (i == n) break;
        uint8_t c = s[i];
        if (c < 0x80) {
            if (esc_tab[c] > 1) {
                o[0] = '\\', o[1] = (char)esc_tab[c];
                o += 2;
            } else {
                o[0] = '\\', o[1] = 'u', o[2] = '0', o[3] = '0', o[4] = hex[c >> 4], o[5] = hex[c & 15];
                o += 6;
            }
            i++;
            continue;
        }
        size_t len;
        uint32_t cp;
        int kind = es_unit(s + i, n - i, &len, &cp);
        if (kind == ES_PLAIN) {
            for (size_t j = 0; j < len; j++) o[j] = (char)s[i + j];
            o += len;
        } else if (kind == ES_CONTROL) {
            o[0] = '\\', o[1] = 'u';
            o[2] = hex[cp >> 12 & 15], o[3] = hex[cp >> 8 & 15], o[4] = hex[cp >> 4 & 15], o[5] = hex[cp & 15];
            o += 6;
        } else if (utf8_only) {
            return -1;
        } else {
            o[0] = '\\', o[1] = '\\', o[2] = 'x', o[3] = hex[c >> 4], o[4] = hex[c & 15];
            o += 5;
        }
        i += len;
    }
    *o++ = '"';
    w->len = (size_t)(o - w->buf);
    return 0;
}

void jw_key(jw *w, const char *k)
{
    sep(w);
    escaped(w, (const uint8_t *)k, strlen(k), false);
    putc_(w, ':');
    w->after_key = true;
}

/* Decimal digits of v ending at `end`, two at a time; returns where they
 * start (at most 20 of them). */
static char *digits(char *end, uint64_t v)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";
    while (v >= 100) {
        uint64_t r = v % 100;
        v /= 100;
        end -= 2;
        memcpy(end, pairs + 2 * r, 2);
    }
    if (v >= 10) {
        end -= 2;
        memcpy(end, pairs + 2 * v, 2);
    } else {
        *--end = (char)('0' + v);
    }
    return end;
}

void jw_int(jw *w, int64_t v)
{
    char b[24], *end = b + sizeof b;
    char *p = digits(end, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
    if (v < 0) *--p = '-';
    sep(w);
    put(w, p, (size_t)(end - p));
}

void jw_uint(jw *w, uint64_t v)
{
    char b[24], *end = b + sizeof b, *p = digits(end, v);
    sep(w);
    put(w, p, (size_t)(end - p));
}

void jw_double(jw *w, double v)
{
    char b[32];
    int n = snprintf(b, sizeof b, "%.17g", v);
    sep(w);
    put(w, b, (size_t)n);
}

void jw_bool(jw *w, bool v)
{
    sep(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(jw *w)
{
    sep(w);
    put(w, "null", 4);
}

void jw_str(jw *w, const char *s)
{
    sep(w);
    escaped(w, (const uint8_t *)s, strlen(s), false);
}

void jw_raw(jw *w, const char *json)
{
    static const char hex[] = "0123456789abcdef";
    sep(w);
    /* Pre-rendered JSON (cJSON's) leaves DEL, C1 and bidirectional controls
     * raw: well-formed JSON can hold them only inside strings, where the
     * rule above writes them as \uXXXX. JSON whitespace stays as it is. */
    const uint8_t *s = (const uint8_t *)json;
    size_t n = strlen(json), i = 0;
    while (i < n) {
        size_t k = es_plain_span(s + i, n - i);
        put(w, (const char *)s + i, k);
        if ((i += k) == n) break;
        size_t len;
        uint32_t cp;
        int kind = es_unit(s + i, n - i, &len, &cp);
        char u[8] = { '\\', 'u', hex[cp >> 12 & 15], hex[cp >> 8 & 15], hex[cp >> 4 & 15], hex[cp & 15] };
        if (kind == ES_INVALID) put(w, "\\\\x", 3), put(w, u + 4, 2); /* not JSON: shown as \\xNN */
        else if (cp == '\t' || cp == '\n' || cp == '\r') putc_(w, (char)cp);
        else put(w, u, 6);
        i += len;
    }
}

int jw_utf8_valid(const uint8_t *p, size_t n) { return tx_utf8_valid(p, n); }

/* A JSON string of the standard, padded base64 of n bytes. */
static void base64(jw *w, const uint8_t *p, size_t n)
{
    size_t len = tx_base64_len(n, 0);
    if (reserve(w, len + 2) < 0) return;
    w->buf[w->len] = '"';
    tx_base64(p, n, 0, w->buf + w->len + 1); /* its NUL lands where the closing quote goes */
    w->len += len + 1;
    w->buf[w->len++] = '"';
}

void jw_bytes(jw *w, const uint8_t *p, int64_t len)
{
    if (!p || len < 0) {
        jw_null(w);
        return;
    }
    /* Escaped as a string while it is UTF-8 (one pass, no check first);
     * at the first byte that is not, the writer is as it was and the
     * bytes go as base64. */
    size_t mark = w->len;
    bool after_key = w->after_key, first = w->first[w->depth];
    sep(w);
    if (escaped(w, p, (size_t)len, true) == 0) return;
    w->len = mark;
    w->after_key = after_key;
    w->first[w->depth] = first;
    jw_obj_begin(w);
    jw_key(w, "base64");
    sep(w);
    base64(w, p, (size_t)len);
    jw_obj_end(w);
}

void jw_kint(jw *w, const char *k, int64_t v) { jw_key(w, k); jw_int(w, v); }
void jw_kuint(jw *w, const char *k, uint64_t v) { jw_key(w, k); jw_uint(w, v); }
void jw_kbool(jw *w, const char *k, bool v) { jw_key(w, k); jw_bool(w, v); }
void jw_kstr(jw *w, const char *k, const char *s) { jw_key(w, k); jw_str(w, s); }

void jw_name(jw *w, const char *text, size_t n)
{
    sep(w);
    put(w, text, n);
    w->after_key = true;
}

void jw_nint(jw *w, const char *text, size_t n, int64_t v) { jw_name(w, text, n); jw_int(w, v); }
void jw_nuint(jw *w, const char *text, size_t n, uint64_t v) { jw_name(w, text, n); jw_uint(w, v); }
void jw_nbool(jw *w, const char *text, size_t n, bool v) { jw_name(w, text, n); jw_bool(w, v); }
void jw_nstr(jw *w, const char *text, size_t n, const char *s) { jw_name(w, text, n); jw_str(w, s); }

void jw_memo_init(jw_memo *m) { memset(m, 0, sizeof *m); }

void jw_memo_free(jw_memo *m)
{
    if (!m) return;
    free(m->src);
    free(m->text);
    jw_memo_init(m);
}

void jw_str_memo(jw *w, jw_memo *m, const char *s)
{
    sep(w);
    if (m->src && strcmp(m->src, s) == 0) {
        put(w, m->text, m->len);
        return;
    }
    size_t start = w->len;
    escaped(w, (const uint8_t *)s, strlen(s), false);
    jw_memo_free(m);
    if (w->oom) return;
    size_t n = w->len - start;
    char *src = strdup(s), *text = malloc(n);
    if (!src || !text) { /* not kept: written again next time */
        free(src);
        free(text);
        return;
    }
    memcpy(text, w->buf + start, n);
    m->src = src;
    m->text = text;
    m->len = n;
}
