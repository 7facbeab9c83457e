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
    size_t n = w->len ? fwrite(w->buf, 1, w->len, f) : 0; /* nothing built: buf may be NULL */
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

/* The JSON text of each ASCII byte a string cannot hold as it is (esc_tab's),
 * padded with NULs to 8 bytes (written whole; its length is esc_len). */
static const char esc_text[128][8] = {
    [0] = "\\u0000", [1] = "\\u0001", [2] = "\\u0002", [3] = "\\u0003", [4] = "\\u0004", [5] = "\\u0005",
    [6] = "\\u0006", [7] = "\\u0007", [8] = "\\u0008", [9] = "\\t", [10] = "\\n", [11] = "\\u000b",
    [12] = "\\u000c", [13] = "\\r", [14] = "\\u000e", [15] = "\\u000f", [16] = "\\u0010", [17] = "\\u0011",
    [18] = "\\u0012", [19] = "\\u0013", [20] = "\\u0014", [21] = "\\u0015", [22] = "\\u0016", [23] = "\\u0017",
    [24] = "\\u0018", [25] = "\\u0019", [26] = "\\u001a", [27] = "\\u001b", [28] = "\\u001c", [29] = "\\u001d",
    [30] = "\\u001e", [31] = "\\u001f", ['"'] = "\\\"", ['\\'] = "\\\\", [127] = "\\u007f",
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

/* Write the escape of ASCII byte c (one stop[] names) at o; returns its
 * length. Writes 8 bytes (the escaper's SLACK allows it). */
static inline size_t put_ascii(char *o, uint8_t c)
{
    memcpy(o, esc_text[c], 8);
    return esc_tab[c] > 1 ? 2 : 6;
}

/*
 * Write the unit at s (n >= 1 bytes left; its first byte is 0x80 or
 * above) at *o under the rule below, and move *o past it. Returns the
 * unit's length in bytes, or 0 when it is a byte that is not UTF-8 and
 * `utf8_only` (nothing written).
 */
static size_t put_unit(char **o, const uint8_t *s, size_t n, bool utf8_only)
{
    static const char hex[] = "0123456789abcdef";
    char *out = *o;
    size_t len;
    uint32_t cp;
    int kind = es_unit(s, n, &len, &cp);
    if (kind == ES_PLAIN) {
        for (size_t j = 0; j < len; j++) out[j] = (char)s[j];
        *o = out + len;
    } else if (kind == ES_CONTROL) {
        out[0] = '\\', out[1] = 'u';
        out[2] = hex[cp >> 12 & 15], out[3] = hex[cp >> 8 & 15], out[4] = hex[cp >> 4 & 15], out[5] = hex[cp & 15];
        *o = out + 6;
    } else if (utf8_only) {
        return 0;
    } else {
        out[0] = '\\', out[1] = '\\', out[2] = 'x', out[3] = hex[s[0] >> 4], out[4] = hex[s[0] & 15];
        *o = out + 5;
    }
    return len;
}

/* Room the escaper may write past its output: whole 16-byte stores. */
enum { SLACK = 16 };

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
    /* At most 6 bytes out per byte in (\u00XX for one, \\xNN 5 for one,
     * \uXXXX for two or three), plus the quotes, plus SLACK: one
     * reservation, then plain loops into the buffer. Written so far is
     * never more than 6 bytes per byte read and the opening quote, so a
     * 16-byte store always has room. */
    if (n > (SIZE_MAX - 2 - SLACK) / 6 || reserve(w, 6 * n + 2 + SLACK) < 0) {
        w->oom = 1;
        return 0;
    }
    char *o = w->buf + w->len;
    *o++ = '"';
    size_t i = 0;
#if defined(__SSE2__)
    /* SSE2 is baseline on x86-64: sixteen bytes compared at once (a signed
     * compare below 0x20 takes C0 and every byte from 0x80 on), stored
     * whole, and, when some need care, each of those written in turn with
     * the plain bytes between them copied from the block. */
    const __m128i c0 = _mm_set1_epi8(0x20), quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                  del = _mm_set1_epi8(0x7f);
    while (n - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        _mm_storeu_si128((__m128i *)(void *)o, v);
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, c0), _mm_cmpeq_epi8(v, quote)),
                                 _mm_or_si128(_mm_cmpeq_epi8(v, bslash), _mm_cmpeq_epi8(v, del)));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (!bits) {
            i += 16;
            o += 16;
            continue;
        }
        uint8_t blk[32]; /* the block, then zeros: any 16 bytes from a position in it */
        _mm_storeu_si128((__m128i *)(void *)blk, v);
        _mm_storeu_si128((__m128i *)(void *)(blk + 16), _mm_setzero_si128());
        size_t j = 0; /* bytes of the block written */
        do {
            size_t k = (size_t)__builtin_ctz(bits);
            _mm_storeu_si128((__m128i *)(void *)o, _mm_loadu_si128((const __m128i *)(const void *)(blk + j)));
            o += k - j;
            if (blk[k] < 0x80) {
                o += put_ascii(o, blk[k]);
                j = k + 1;
            } else {
                size_t len = put_unit(&o, s + i + k, n - i - k, utf8_only);
                if (len == 0) return -1;
                j = k + len; /* a unit of several bytes may end past the block */
            }
            bits = j >= 16 ? 0 : bits & (~0u << j);
        } while (bits);
        if (j < 16) {
            _mm_storeu_si128((__m128i *)(void *)o, _mm_loadu_si128((const __m128i *)(const void *)(blk + j)));
            o += 16 - j;
            j = 16;
        }
        i += j;
    }
#else
    /* Elsewhere, eight bytes at a time while each is printable ASCII other
     * than '"' and '\' (a zero byte in x ^ pattern, a byte below 0x20, a
     * byte with its high bit set); from the first block that holds another,
     * byte by byte below. */
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    while (n - i >= 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\'), d = x ^ (ones * 0x7f);
        if ((x & high) | ((x - ones * 0x20) & ~x & high) | ((q - ones) & ~q & high) | ((b - ones) & ~b & high) |
            ((d - ones) & ~d & high))
            break;
        memcpy(o, s + i, 8);
        o += 8;
        i += 8;
    }
#endif
    while (i < n) {
        if (!stop[s[i]]) {
            *o++ = (char)s[i++];
            continue;
        }
        if (s[i] < 0x80) {
            o += put_ascii(o, s[i++]);
            continue;
        }
        size_t len = put_unit(&o, s + i, n - i, utf8_only);
        if (len == 0) return -1;
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

/* The decimal digits of v at o (room for 20); returns their end. Two
 * digits at a time, from the last, once their count is known. */
static inline char *put_digits(char *o, uint64_t v)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";
    static const uint64_t pow10[20] = { 1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
        10000000ull, 100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
        10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
        100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull };
    /* The count of digits: t, from log2 (1233 / 4096 is just above
     * log10(2)), is it or one less; one compare says which (0 has one). */
    unsigned t = (unsigned)(64 - __builtin_clzll(v | 1)) * 1233 >> 12;
    size_t nd = t + (v >= pow10[t]) + (v == 0);
    char *end = o + nd, *p = end;
    while (v >= 100) {
        uint64_t r = v % 100;
        v /= 100;
        p -= 2;
        memcpy(p, pairs + 2 * r, 2);
    }
    if (v >= 10) memcpy(p - 2, pairs + 2 * v, 2);
    else p[-1] = (char)('0' + v);
    return end;
}

/* A number: '-' when `neg`, then the digits of v. */
static inline void put_number(jw *w, bool neg, uint64_t v)
{
    sep(w);
    if (reserve(w, 21) < 0) return;
    char *o = w->buf + w->len;
    if (neg) *o++ = '-';
    w->len = (size_t)(put_digits(o, v) - w->buf);
}

void jw_int(jw *w, int64_t v) { put_number(w, v < 0, v < 0 ? 0 - (uint64_t)v : (uint64_t)v); }

void jw_uint(jw *w, uint64_t v) { put_number(w, false, v); }

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

/* A member name of JW_NAME's; n bytes, short. */
static inline void put_name(jw *w, const char *text, size_t n)
{
    sep(w);
    w->after_key = true;
    if (reserve(w, n) < 0) return;
    char *o = w->buf + w->len;
    w->len += n;
    /* Two overlapping copies of a fixed size, not a call: names are short. */
    if (n >= 16 && n <= 32) {
        memcpy(o, text, 16);
        memcpy(o + n - 16, text + n - 16, 16);
    } else if (n >= 8 && n < 16) {
        memcpy(o, text, 8);
        memcpy(o + n - 8, text + n - 8, 8);
    } else {
        memcpy(o, text, n);
    }
}

void jw_name(jw *w, const char *text, size_t n) { put_name(w, text, n); }

void jw_nint(jw *w, const char *text, size_t n, int64_t v)
{
    put_name(w, text, n);
    jw_int(w, v);
}

void jw_nuint(jw *w, const char *text, size_t n, uint64_t v)
{
    put_name(w, text, n);
    jw_uint(w, v);
}

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
