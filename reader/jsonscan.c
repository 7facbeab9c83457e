/* jsonscan.c - see jsonscan.h. JSON's grammar is RFC 8259's; what is
 * passed over is checked loosely (see the header), what is walked fully. */
#include "jsonscan.h"

#include <stdio.h>
#include <string.h>

#include "cursor.h"

/* The next byte without taking it, -1 at the end. */
static int peek(const kcur *c) { return kcur_left(c) ? *c->p : -1; }

static void skip_ws(kcur *c)
{
    while (kcur_left(c) && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

/* A string at the cursor (its opening quote): its contents into *s.
 * false when unterminated, or holding a raw control character. */
static bool take_string(kcur *c, kj_span *s)
{
    c->p++; /* the quote */
    s->p = c->p;
    s->kind = KJ_STRING;
    s->escaped = false;
    while (kcur_left(c)) {
        uint8_t ch = *c->p;
        if (ch == '"') {
            s->len = (size_t)(c->p - s->p);
            c->p++;
            return true;
        }
        if (ch < 0x20) return false;
        if (ch == '\\') {
            s->escaped = true;
            if (!kcur_skip(c, 2)) return false;
            continue;
        }
        c->p++;
    }
    return false;
}

/* A number or literal's bytes. */
static bool take_token(kcur *c, kj_span *v)
{
    static const struct { const char *text; size_t n; int kind; } lit[] = {
        { "true", 4, KJ_TRUE }, { "false", 5, KJ_FALSE }, { "null", 4, KJ_NULL } };
    v->p = c->p;
    v->escaped = false;
    for (size_t i = 0; i < 3; i++)
        if (kcur_left(c) >= lit[i].n && memcmp(c->p, lit[i].text, lit[i].n) == 0) {
            c->p += lit[i].n;
            v->len = lit[i].n;
            v->kind = lit[i].kind;
            return true;
        }
    int ch = peek(c);
    if (ch != '-' && (ch < '0' || ch > '9')) return false;
    while (kcur_left(c) && ((*c->p >= '0' && *c->p <= '9') || *c->p == '+' || *c->p == '-' || *c->p == '.' ||
                            *c->p == 'e' || *c->p == 'E'))
        c->p++;
    v->len = (size_t)(c->p - v->p);
    v->kind = KJ_NUMBER;
    return true;
}

/* Pass over the array or object at the cursor: strings terminated,
 * brackets balanced and at most KJ_MAX_DEPTH deep. */
static bool skip_nested(kcur *c)
{
    char stack[KJ_MAX_DEPTH];
    int depth = 0;
    while (kcur_left(c)) {
        uint8_t ch = *c->p;
        if (ch == '"') {
            kj_span s;
            if (!take_string(c, &s)) return false;
            continue;
        }
        c->p++;
        if (ch == '{' || ch == '[') {
            if (depth == KJ_MAX_DEPTH) return false;
            stack[depth++] = ch == '{' ? '}' : ']';
        } else if (ch == '}' || ch == ']') {
            if (depth == 0 || stack[depth - 1] != (char)ch) return false;
            if (--depth == 0) return true;
        }
    }
    return false;
}

/* Any value at the cursor into *v (a string's span is its contents). */
static bool take_value(kcur *c, kj_span *v)
{
    int ch = peek(c);
    if (ch == '"') return take_string(c, v);
    if (ch == '{' || ch == '[') {
        v->p = c->p;
        v->escaped = false;
        v->kind = ch == '{' ? KJ_OBJECT : KJ_ARRAY;
        if (!skip_nested(c)) return false;
        v->len = (size_t)(c->p - v->p);
        return true;
    }
    return take_token(c, v);
}

static int hexval(uint8_t ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

static bool hex4(kcur *c, uint32_t *u)
{
    const uint8_t *h;
    if (!kcur_bytes(c, 4, &h)) return false;
    *u = 0;
    for (int i = 0; i < 4; i++) {
        int x = hexval(h[i]);
        if (x < 0) return false;
        *u = *u << 4 | (uint32_t)x;
    }
    return true;
}

int kj_unescape(const uint8_t *s, size_t n, uint8_t *out, size_t cap)
{
    kcur c = kcur_make(s, n);
    size_t o = 0;
    while (kcur_left(&c)) {
        uint8_t ch = *c.p++;
        uint32_t u = ch;
        if (ch == '\\') {
            uint8_t e;
            if (!kcur_u8(&c, &e)) return -1;
            switch (e) {
            case '"': case '\\': case '/': u = e; break;
            case 'b': u = '\b'; break;
            case 'f': u = '\f'; break;
            case 'n': u = '\n'; break;
            case 'r': u = '\r'; break;
            case 't': u = '\t'; break;
            case 'u': {
                if (!hex4(&c, &u)) return -1;
                uint32_t lo;
                /* A high surrogate and its low one are one character. */
                if (u >= 0xD800 && u < 0xDC00 && kcur_left(&c) >= 6 && c.p[0] == '\\' && c.p[1] == 'u') {
                    kcur t = c;
                    t.p += 2;
                    if (hex4(&t, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                        c = t;
                    }
                }
                break;
            }
            default: return -1;
            }
            if (e == 'u' && u >= 0x80) {
                uint8_t b[4];
                size_t k;
                if (u < 0x800) b[0] = (uint8_t)(0xC0 | u >> 6), b[1] = (uint8_t)(0x80 | (u & 0x3F)), k = 2;
                else if (u < 0x10000)
                    b[0] = (uint8_t)(0xE0 | u >> 12), b[1] = (uint8_t)(0x80 | ((u >> 6) & 0x3F)),
                    b[2] = (uint8_t)(0x80 | (u & 0x3F)), k = 3;
                else
                    b[0] = (uint8_t)(0xF0 | u >> 18), b[1] = (uint8_t)(0x80 | ((u >> 12) & 0x3F)),
                    b[2] = (uint8_t)(0x80 | ((u >> 6) & 0x3F)), b[3] = (uint8_t)(0x80 | (u & 0x3F)), k = 4;
                if (cap - o < k) return -1;
                memcpy(out + o, b, k);
                o += k;
                continue;
            }
        }
        if (o == cap) return -1;
        out[o++] = (uint8_t)u;
    }
    return o > (size_t)INT32_MAX ? -1 : (int)o;
}

bool kj_name_eq(const kj_name *name, const char *want, size_t wlen)
{
    if (!name->escaped) return name->len == wlen && memcmp(name->p, want, wlen) == 0;
    uint8_t buf[KJ_MAX_NAME];
    int n = kj_unescape(name->p, name->len, buf, sizeof buf);
    return n >= 0 && (size_t)n == wlen && memcmp(buf, want, wlen) == 0;
}

int kj_path_parse(kj_path *p, const char *text, char *err, size_t cap)
{
    memset(p, 0, sizeof *p);
    const char *s = text;
    if (*s++ != '$') return snprintf(err, cap, "a JSON path starts with $ (as in $.payment_id)"), -1;
    while (*s) {
        if (p->nsegs == KJ_MAX_SEGS) return snprintf(err, cap, "at most %d members in a JSON path", KJ_MAX_SEGS), -1;
        const char *name;
        size_t n;
        if (*s == '.') {
            name = ++s;
            n = strcspn(s, ".[");
            s += n;
        } else if (s[0] == '[' && (s[1] == '\'' || s[1] == '"')) {
            char q = s[1];
            name = s + 2;
            const char *end = strchr(name, q);
            if (!end || end[1] != ']') return snprintf(err, cap, "an unterminated ['name'] in the JSON path"), -1;
            n = (size_t)(end - name);
            s = end + 2;
        } else {
            return snprintf(err, cap, "a JSON path is $ then .name or ['name'] members (array indexes and "
                                      "wildcards are not taken)"), -1;
        }
        if (n == 0 || n >= KJ_MAX_NAME)
            return snprintf(err, cap, "a member name of 1 to %d bytes expected in the JSON path", KJ_MAX_NAME - 1), -1;
        memcpy(p->seg[p->nsegs], name, n);
        p->len[p->nsegs++] = (uint8_t)n;
    }
    if (p->nsegs == 0) return snprintf(err, cap, "the JSON path names no member (for the whole value, use `value`)"), -1;
    return 0;
}

/*
 * The one object walk behind kj_find, kj_leaves and kj_scan: every member
 * whose value is not an object it enters goes to `fn` (NULL: none), and
 * the value of member `path` (NULL: none), the first of that name, to
 * *found. With `all`, every non-empty object up to KJ_MAX_PATH deep is
 * entered (kj_leaves); without, only those on the path (kj_find), the rest
 * passed over whole. KJ_FOUND or KJ_MISSING with a path, KJ_OK without;
 * what fn returned; KJ_NOT_OBJECT; KJ_INVALID.
 */
static int walk(const uint8_t *b, size_t len, const kj_path *path, kj_span *found, bool all, kj_leaf_fn fn,
                void *ctx)
{
    kj_name names[KJ_MAX_PATH + 1];
    const int nsegs = path ? path->nsegs : -1;
    kcur c = kcur_make(b, len);
    skip_ws(&c);
    int ch = peek(&c);
    if (ch != '{') {
        kj_span v;
        return ch < 0 || !take_value(&c, &v) ? KJ_INVALID : KJ_NOT_OBJECT;
    }
    c.p++;
    int depth = 1;          /* objects open */
    int pm = 0;             /* names[0..pm-1] are the path's first pm members */
    bool got = false;       /* *found is set */
    const uint8_t *target = NULL; /* the path's value is an object entered here, until it closes */
    bool need_sep = false;  /* a member was read: ',' or '}' next */
    bool can_close = true;  /* '}' is allowed (not right after ',') */
    for (;;) {
        skip_ws(&c);
        ch = peek(&c);
        if (ch < 0) return KJ_INVALID;
        if (ch == '}' && can_close) {
            c.p++;
            if (target && depth == nsegs + 1) { /* the path's object ends */
                *found = (kj_span){ target, (size_t)(c.p - target), KJ_OBJECT, false };
                got = true;
                target = NULL;
            }
            if (--depth == 0) {
                skip_ws(&c);
                if (kcur_left(&c)) return KJ_INVALID;
                return !path ? KJ_OK : got ? KJ_FOUND : KJ_MISSING;
            }
            if (pm > depth) pm = depth;
            need_sep = can_close = true;
            continue;
        }
        if (need_sep) {
            if (ch != ',') return KJ_INVALID;
            c.p++;
            need_sep = can_close = false;
            continue;
        }
        kj_span key, v;
        if (ch != '"' || !take_string(&c, &key)) return KJ_INVALID;
        names[depth - 1] = (kj_name){ key.p, key.len, key.escaped };
        /* The names above this one are unchanged: the prefix matched stays
         * as long as them, and grows by this name when it is the path's. */
        if (pm > depth - 1) pm = depth - 1;
        if (pm == depth - 1 && depth <= nsegs && kj_name_eq(&names[depth - 1], path->seg[depth - 1],
                                                            path->len[depth - 1]))
            pm = depth;
        bool on_target = !got && !target && pm == depth && depth == nsegs;
        skip_ws(&c);
        if (peek(&c) != ':') return KJ_INVALID;
        c.p++;
        skip_ws(&c);
        bool enter = all ? depth < KJ_MAX_PATH : pm == depth && depth < nsegs;
        if (peek(&c) == '{' && enter) {
            kcur t = c;
            t.p++;
            skip_ws(&t);
            if (peek(&t) != '}') { /* an empty object is a leaf */
                if (on_target) target = c.p;
                c = t;
                depth++;
                can_close = false;
                continue;
            }
        }
        if (!take_value(&c, &v)) return KJ_INVALID;
        if (on_target) *found = v, got = true;
        int rc = fn ? fn(ctx, names, depth, &v) : 0;
        if (rc) return rc;
        need_sep = can_close = true;
    }
}

int kj_leaves(const uint8_t *b, size_t len, kj_leaf_fn fn, void *ctx)
{
    return walk(b, len, NULL, NULL, true, fn, ctx);
}

int kj_find(const uint8_t *b, size_t len, const kj_path *path, kj_span *out)
{
    return walk(b, len, path, out, false, NULL, NULL);
}

int kj_scan(const uint8_t *b, size_t len, const kj_path *path, kj_span *out, kj_leaf_fn fn, void *ctx)
{
    return walk(b, len, path, out, true, fn, ctx);
}
