/* jsonw.c - see jsonw.h. */
#include "jsonw.h"

#include <assert.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* What a byte becomes inside a JSON string: 0 itself, 1 \uXXXX, else the
 * letter after a backslash. */
static const uint8_t esc_tab[256] = {
    1,   1, 1, 1, 1, 1, 1, 1, 1,   't', 'n', 1, 1, 'r', 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0,   0, '"', [92] = '\\',
};

static void escaped(jw *w, const uint8_t *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    /* At most 6 bytes out per byte in, plus the quotes: one reservation,
     * then a plain loop into the buffer. */
    if (n > (SIZE_MAX - 2) / 6 || reserve(w, 6 * n + 2) < 0) {
        w->oom = 1;
        return;
    }
    char *o = w->buf + w->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        /* Eight bytes at a time while none is below 0x20, '"' or '\\'
         * (bit tricks: a zero byte in x ^ pattern, a byte below 0x20). */
        while (n - i >= 8) {
            uint64_t x, ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
            memcpy(&x, s + i, 8);
            uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
            if (((x - ones * 0x20) & ~x & high) | ((q - ones) & ~q & high) | ((b - ones) & ~b & high)) break;
            memcpy(o, s + i, 8);
            o += 8;
            i += 8;
        }
        if (i == n) break;
        uint8_t c = s[i], e = esc_tab[c];
        if (!e) {
            *o++ = (char)c;
        } else if (e == 1) {
            memcpy(o, "\\u00", 4);
            o[4] = hex[c >> 4], o[5] = hex[c & 15];
            o += 6;
        } else {
            o[0] = '\\', o[1] = (char)e;
            o += 2;
        }
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
    sep(w);
    put(w, json, strlen(json));
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
