/* jsonw.c - see jsonw.h. */
#include "jsonw.h"

#include <assert.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* Make room for `n` more bytes (and a NUL). 0, or -1 out of memory. */
static int reserve(jw *w, size_t n)
{
    if (w->oom) return -1;
    if (w->len + n + 1 <= w->cap) return 0;
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

static void put(jw *w, const char *s, size_t n)
{
    if (reserve(w, n) < 0) return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void putc_(jw *w, char c) { put(w, &c, 1); }

/* Comma before a value or member unless it is the first at this depth. */
static void sep(jw *w)
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

/*
 * The one JSON rule for text (report/escape.h's units): a string is always
 * well-formed UTF-8 and holds no control character raw. '"', '\' and C0
 * controls are escaped as RFC 8259 says (\t, \n, \r, else \u00XX); DEL,
 * C1 and bidirectional controls as \uXXXX (a reader gets the character
 * back); a byte that is not part of well-formed UTF-8, which no JSON string
 * can hold, as the four characters \xNN (JSON "\\xNN"), the form the
 * text outputs show it in.
 */
static void escaped(jw *w, const uint8_t *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    /* At most 6 bytes out per byte in (\u00XX for one, \\xNN 5 for one,
     * \uXXXX for two or three), plus the quotes: one reservation, then a
     * plain loop into the buffer. */
    if (n > (SIZE_MAX - 2) / 6 || reserve(w, 6 * n + 2) < 0) {
        w->oom = 1;
        return;
    }
    char *o = w->buf + w->len;
    *o++ = '"';
    for (size_t i = 0; i < n;) {
        /* Eight bytes at a time while each is printable ASCII other than
         * '"' and '\\' (bit tricks: a zero byte in x ^ pattern, a byte
         * below 0x20, a byte with its high bit set). */
        while (n - i >= 8) {
            uint64_t x, ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
            memcpy(&x, s + i, 8);
            uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\'), d = x ^ (ones * 0x7f);
            if ((x & high) | ((x - ones * 0x20) & ~x & high) | ((q - ones) & ~q & high) | ((b - ones) & ~b & high) |
                ((d - ones) & ~d & high))
                break;
            memcpy(o, s + i, 8);
            o += 8;
            i += 8;
        }
        if (i == n) break;
        uint8_t c = s[i];
        if (c < 0x80 && !esc_tab[c]) {
            *o++ = (char)c;
            i++;
            continue;
        }
        if (c < 0x80 && esc_tab[c] > 1) {
            o[0] = '\\', o[1] = (char)esc_tab[c];
            o += 2;
            i++;
            continue;
        }
        size_t len;
        uint32_t cp;
        int kind = es_unit(s + i, n - i, &len, &cp);
        if (kind == ES_PLAIN) {
            memcpy(o, s + i, len);
            o += len;
        } else if (kind == ES_CONTROL) {
            o[0] = '\\', o[1] = 'u';
            o[2] = hex[cp >> 12 & 15], o[3] = hex[cp >> 8 & 15], o[4] = hex[cp >> 4 & 15], o[5] = hex[cp & 15];
            o += 6;
        } else {
            o[0] = '\\', o[1] = '\\', o[2] = 'x', o[3] = hex[c >> 4], o[4] = hex[c & 15];
            o += 5;
        }
        i += len;
    }
    *o++ = '"';
    w->len = (size_t)(o - w->buf);
}

void jw_key(jw *w, const char *k)
{
    sep(w);
    escaped(w, (const uint8_t *)k, strlen(k));
    putc_(w, ':');
    w->after_key = true;
}

/* Decimal digits of v at the end of b[24]; returns where they start. */
static char *digits(char *end, uint64_t v)
{
    do *--end = (char)('0' + v % 10);
    while (v /= 10);
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
    escaped(w, (const uint8_t *)s, strlen(s));
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
    if (tx_utf8_valid(p, (size_t)len)) {
        sep(w);
        escaped(w, p, (size_t)len);
        return;
    }
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
