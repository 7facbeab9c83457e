/* jsonw.c - see jsonw.h. */
#include "jsonw.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

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

static void put(jw *w, const char *s, size_t n)
{
    if (w->len + n + 1 > w->cap) {
        size_t ncap = w->cap ? w->cap : 1024;
        while (ncap < w->len + n + 1) ncap *= 2;
        char *nb = realloc(w->buf, ncap);
        if (!nb) {
            w->oom = 1;
            return;
        }
        w->buf = nb;
        w->cap = ncap;
    }
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

static void escaped(jw *w, const uint8_t *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    putc_(w, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        put(w, (const char *)s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': put(w, "\\\"", 2); break;
        case '\\': put(w, "\\\\", 2); break;
        case '\n': put(w, "\\n", 2); break;
        case '\r': put(w, "\\r", 2); break;
        case '\t': put(w, "\\t", 2); break;
        default: {
            char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            put(w, u, 6);
        }
        }
    }
    put(w, (const char *)s + run, n - run);
    putc_(w, '"');
}

void jw_key(jw *w, const char *k)
{
    sep(w);
    escaped(w, (const uint8_t *)k, strlen(k));
    putc_(w, ':');
    w->after_key = true;
}

void jw_int(jw *w, int64_t v)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%" PRId64, v);
    sep(w);
    put(w, b, (size_t)n);
}

void jw_uint(jw *w, uint64_t v)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%" PRIu64, v);
    sep(w);
    put(w, b, (size_t)n);
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

int jw_utf8_valid(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) k = 1, cp = c & 0x1f, min = 0x80;
        else if ((c & 0xf0) == 0xe0) k = 2, cp = c & 0x0f, min = 0x800;
        else if ((c & 0xf8) == 0xf0) k = 3, cp = c & 0x07, min = 0x10000;
        else return 0;
        if (n - i <= k) return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xc0) != 0x80) return 0;
            cp = (cp << 6) | (p[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
        i += k + 1;
    }
    return 1;
}

static void base64(jw *w, const uint8_t *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    putc_(w, '"');
    size_t i = 0;
    char q[4];
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        q[0] = tab[v >> 18], q[1] = tab[(v >> 12) & 63], q[2] = tab[(v >> 6) & 63], q[3] = tab[v & 63];
        put(w, q, 4);
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        q[0] = tab[v >> 18], q[1] = tab[(v >> 12) & 63];
        q[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        q[3] = '=';
        put(w, q, 4);
    }
    putc_(w, '"');
}

void jw_bytes(jw *w, const uint8_t *p, int64_t len)
{
    if (!p || len < 0) {
        jw_null(w);
        return;
    }
    if (jw_utf8_valid(p, (size_t)len)) {
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
