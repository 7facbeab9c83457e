/* identity.c - see identity.h. What counts as volatile, and why, is in
 * docs/report.md, "Duplicates by identity". */
#include "identity.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "reader/cursor.h"

/* What the stage sorts and spills per record (identity.h). */
_Static_assert(sizeof(kid_entry) == 80, "a record's identity fact is 80 bytes");

int kid_spec_parse(kid_spec *s, const char *text, char *err, size_t cap)
{
    memset(s, 0, sizeof *s);
    if (strlen(text) >= sizeof s->text) return snprintf(err, cap, "the identity is too long"), -1;
    snprintf(s->text, sizeof s->text, "%s", text);
    if (strcmp(text, "key") == 0) s->kind = KID_KEY;
    else if (strcmp(text, "value") == 0) s->kind = KID_VALUE;
    else if (strncmp(text, "header:", 7) == 0) {
        s->kind = KID_HEADER;
        s->header_len = strlen(text + 7);
        if (s->header_len == 0 || s->header_len >= sizeof s->header)
            return snprintf(err, cap, "header: names a header of 1 to %zu bytes", sizeof s->header - 1), -1;
        memcpy(s->header, text + 7, s->header_len);
    } else if (strncmp(text, "json:", 5) == 0) {
        s->kind = KID_JSON;
        if (kj_path_parse(&s->path, text + 5, err, cap) < 0) return -1;
    } else {
        return snprintf(err, cap, "'%s' is no identity: key, value, header:NAME or json:$.PATH", text), -1;
    }
    return 0;
}

int kid_rules_add(kid_rules *r, const char *arg, char *err, size_t cap)
{
    /* REGEX may hold '=' itself: the split is at the last '=' whose right
     * side is a SPEC. */
    const char *eq = NULL;
    kid_spec spec;
    char why[256] = "";
    for (const char *q = strrchr(arg, '='); q; q = q > arg ? memrchr(arg, '=', (size_t)(q - arg)) : NULL) {
        if (kid_spec_parse(&spec, q + 1, why, sizeof why) == 0) {
            eq = q;
            break;
        }
        if (!why[0]) break;
    }
    if (!eq) {
        if (!strchr(arg, '=')) return snprintf(err, cap, "REGEX=SPEC expected (as in '^payments$=json:$.payment_id')"), -1;
        return snprintf(err, cap, "%s", why), -1;
    }
    kid_rule *v = realloc(r->v, (r->n + 1) * sizeof *v);
    if (!v) return snprintf(err, cap, "out of memory"), -1;
    r->v = v;
    kid_rule *x = &r->v[r->n];
    memset(x, 0, sizeof *x);
    x->spec = spec;
    if (!(x->pattern = strndup(arg, (size_t)(eq - arg)))) return snprintf(err, cap, "out of memory"), -1;
    if (regcomp(&x->re, x->pattern, REG_EXTENDED | REG_NOSUB) != 0) {
        snprintf(err, cap, "'%s' is not a POSIX extended regular expression", x->pattern);
        free(x->pattern);
        return -1;
    }
    r->n++;
    return 0;
}

const kid_spec *kid_rules_match(const kid_rules *r, const char *topic)
{
    for (size_t i = 0; r && i < r->n; i++)
        if (regexec(&r->v[i].re, topic, 0, NULL, 0) == 0) return &r->v[i].spec;
    return NULL;
}

void kid_rules_free(kid_rules *r)
{
    for (size_t i = 0; i < r->n; i++) {
        regfree(&r->v[i].re);
        free(r->v[i].pattern);
    }
    free(r->v);
    r->v = NULL;
    r->n = 0;
}

const char *kid_miss_name(int reason)
{
    static const char *names[KID_MISS_COUNT] = { "null_key",    "null_value", "no_header",  "null_header",
                                                "no_field",    "null_field", "not_object", "invalid_json" };
    return reason >= 0 && reason < KID_MISS_COUNT ? names[reason] : "unknown";
}

/* The header named `name` (n bytes) of r: 1 with *h, 0 when none. */
static int find_header(const kb_record *r, const char *name, size_t n, kb_header *h)
{
    kcur c = kcur_make(r->headers, r->headers_len);
    while (kb_header_next(&c, h))
        if ((size_t)h->key_len == n && memcmp(h->key, name, n) == 0) return 1;
    return 0;
}

static void set_ident(kid_ident *out, const uint8_t *p, size_t len)
{
    XXH128_hash_t h = XXH3_128bits(p, len);
    out->lo = h.low64, out->hi = h.high64;
    out->p = p;
    out->len = len > INT32_MAX ? INT32_MAX : (int32_t)len;
}

/* The identity of a JSON member found (kj_find's or kj_scan's rc, v). */
static int json_ident(int rc, const kj_span *v, kid_ident *out)
{
    switch (rc) {
    case KJ_FOUND: break;
    case KJ_MISSING: return 1 + KID_MISS_NO_FIELD;
    case KJ_NOT_OBJECT: return 1 + KID_MISS_NOT_OBJECT;
    default: return 1 + KID_MISS_INVALID_JSON;
    }
    if (v->kind == KJ_NULL) return 1 + KID_MISS_NULL_FIELD;
    set_ident(out, v->p, v->len);
    if (v->escaped) { /* by its characters: "A" and "\u0041" are one id */
        uint8_t buf[1024];
        int n = kj_unescape(v->p, v->len, buf, sizeof buf);
        if (n >= 0) {
            XXH128_hash_t x = XXH3_128bits(buf, (size_t)n);
            out->lo = x.low64, out->hi = x.high64;
        }
    }
    return 0;
}

int kid_identity(const kid_spec *s, const kb_record *r, kid_ident *out)
{
    kb_header h;
    kj_span v;
    switch (s->kind) {
    case KID_KEY:
        if (!r->key || r->key_len < 0) return 1 + KID_MISS_NULL_KEY;
        set_ident(out, r->key, (size_t)r->key_len);
        return 0;
    case KID_VALUE:
        if (!r->value || r->value_len < 0) return 1 + KID_MISS_NULL_VALUE;
        set_ident(out, r->value, (size_t)r->value_len);
        return 0;
    case KID_HEADER:
        if (!find_header(r, s->header, s->header_len, &h)) return 1 + KID_MISS_NO_HEADER;
        if (!h.value || h.value_len < 0) return 1 + KID_MISS_NULL_HEADER;
        set_ident(out, h.value, (size_t)h.value_len);
        return 0;
    default:
        break;
    }
    if (!r->value || r->value_len < 0) return 1 + KID_MISS_NULL_VALUE;
    return json_ident(kj_find(r->value, (size_t)r->value_len, &s->path, &v), &v, out);
}

uint64_t kid_content(const kb_record *r, uint64_t *kv)
{
    uint64_t h = XXH3_64bits_withSeed(r->key_len > 0 ? r->key : NULL, r->key_len > 0 ? (size_t)r->key_len : 0,
                                      (uint64_t)(int64_t)r->key_len);
    h = XXH3_64bits_withSeed(r->value_len > 0 ? r->value : NULL, r->value_len > 0 ? (size_t)r->value_len : 0,
                             h ^ (uint64_t)(int64_t)r->value_len);
    *kv = h;
    return XXH3_64bits_withSeed(r->headers, r->headers_len, h);
}

/* ---- volatile names ---------------------------------------------------------- */

/* The tests below on a name lowered into s (n bytes): literals' lengths
 * known when compiled, as this runs for every name of every record. */
#define LIT_IS(s, n, lit) ((n) == sizeof(lit) - 1 && memcmp((s), (lit), sizeof(lit) - 1) == 0)
#define LIT_STARTS(s, n, lit) ((n) >= sizeof(lit) - 1 && memcmp((s), (lit), sizeof(lit) - 1) == 0)
#define LIT_ENDS(s, n, lit) ((n) >= sizeof(lit) - 1 && memcmp((s) + (n) - (sizeof(lit) - 1), (lit), sizeof(lit) - 1) == 0)

static bool lowered_volatile(const char *s, size_t n)
{
    if (LIT_IS(s, n, "ts") || LIT_IS(s, n, "ts_ms") || LIT_IS(s, n, "date") || LIT_IS(s, n, "timestamp") ||
        LIT_IS(s, n, "specversion") || LIT_IS(s, n, "datacontenttype") || LIT_IS(s, n, "dataschema") ||
        LIT_IS(s, n, "traceparent") || LIT_IS(s, n, "tracestate") || LIT_IS(s, n, "b3") ||
        LIT_IS(s, n, "x-request-id") || LIT_IS(s, n, "x-correlation-id") || LIT_IS(s, n, "uber-trace-id") ||
        LIT_IS(s, n, "request_id") || LIT_IS(s, n, "correlation_id"))
        return true;
    /* CloudEvents attributes in the Kafka binding's headers (ce_id, ce_time,
     * ...): the envelope of an event, new on every send. */
    if (LIT_STARTS(s, n, "ce_") || LIT_STARTS(s, n, "ce-")) {
        const char *a = s + 3;
        size_t m = n - 3;
        if (LIT_IS(a, m, "id") || LIT_IS(a, m, "time") || LIT_IS(a, m, "specversion") ||
            LIT_IS(a, m, "datacontenttype") || LIT_IS(a, m, "dataschema") || LIT_IS(a, m, "traceparent") ||
            LIT_IS(a, m, "tracestate"))
            return true;
    }
    if (LIT_STARTS(s, n, "x-b3-") || LIT_STARTS(s, n, "sent")) return true;
    for (size_t i = 0; i + 4 <= n; i++) /* "time" anywhere (memmem costs more on names this short) */
        if (s[i] == 't' && s[i + 1] == 'i' && s[i + 2] == 'm' && s[i + 3] == 'e') return true;
    return LIT_ENDS(s, n, "_at") || LIT_ENDS(s, n, "_ts") || LIT_ENDS(s, n, "_date") || LIT_ENDS(s, n, "-at");
}

bool kid_volatile(const uint8_t *name, size_t n)
{
    /* camelCase: createdAt, sentTs */
    if (n > 2 && name[n - 2] == 'A' && name[n - 1] == 't') return true;
    if (n > 2 && name[n - 2] == 'T' && name[n - 1] == 's') return true;
    char small[KJ_MAX_NAME];
    char *s = n <= sizeof small ? small : malloc(n);
    if (!s) return false;
    for (size_t i = 0; i < n; i++) s[i] = (char)tolower(name[i]);
    bool v = lowered_volatile(s, n);
    if (s != small) free(s);
    return v;
}

/* What a member name is, for kid_stable (kid_vcache's flags). */
enum {
    NAME_VOLATILE = 1,         /* kid_volatile */
    NAME_ID = 2,               /* "id": a structured CloudEvent's, at the top, when beside specversion */
    NAME_SPEC = 4              /* "specversion" */
};

/* The name's NAME_* flags and its hash (*hash) as kid_stable reads it: an
 * escaped name judged unescaped but hashed as it lies. */
static uint8_t judge_name(const uint8_t *p, size_t n, bool escaped, uint64_t *hash)
{
    uint8_t buf[KJ_MAX_NAME];
    const uint8_t *t = p;
    size_t tn = n;
    if (escaped) {
        int u = kj_unescape(p, n, buf, sizeof buf);
        if (u < 0) tn = 0, t = buf; /* as before: a broken name is not volatile, nor id */
        else t = buf, tn = (size_t)u;
    }
    uint8_t f = 0;
    if ((!escaped || tn) && kid_volatile(t, tn)) f |= NAME_VOLATILE;
    if (LIT_IS((const char *)t, tn, "id")) f |= NAME_ID;
    if (LIT_IS((const char *)t, tn, "specversion")) f |= NAME_SPEC;
    *hash = XXH3_64bits(p, n);
    return f;
}

/* judge_name through the cache vc (NULL: none). */
static uint8_t cached_name(kid_vcache *vc, const uint8_t *p, size_t n, bool escaped, uint64_t *hash)
{
    if (!vc || escaped || n == 0 || n > sizeof vc->slot[0].name) return judge_name(p, n, escaped, hash);
    size_t h = (n * 131 + p[0] * 31u + p[n - 1] * 7u + p[n / 2]) & (KID_VCACHE - 1);
    if (vc->slot[h].len == n && memcmp(vc->slot[h].name, p, n) == 0) {
        *hash = vc->slot[h].hash;
        return vc->slot[h].flags;
    }
    uint8_t f = judge_name(p, n, false, hash);
    vc->slot[h].len = (uint8_t)n;
    vc->slot[h].flags = f;
    vc->slot[h].hash = *hash;
    memcpy(vc->slot[h].name, p, n);
    return f;
}

/* A leaf's path is volatile when one of its names is; a structured
 * CloudEvent's top-level "id" is too (the envelope's, beside specversion). */
static bool path_volatile(const kj_name *names, int depth)
{
    uint64_t h;
    for (int i = 0; i < depth; i++)
        if (judge_name(names[i].p, names[i].len, names[i].escaped, &h) & NAME_VOLATILE) return true;
    return false;
}

static bool is_ce_id(const kj_name *names, int depth) { return depth == 1 && kj_name_eq(&names[0], "id", 2); }
static bool is_spec(const kj_name *names, int depth) { return depth == 1 && kj_name_eq(&names[0], "specversion", 11); }

/* One more name on a path's hash. */
static uint64_t path_step(uint64_t path, uint64_t name)
{
    uint64_t h = (path ^ name) * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
}

typedef struct stable_ctx {
    uint64_t sum;              /* of the leaves that are not volatile */
    uint64_t id_leaf;          /* the top-level "id" leaf's hash, kept aside */
    bool spec;                 /* a top-level specversion: "id" is the envelope's */
    kid_vcache *vc;            /* names judged before, or NULL */
    /* The path of the last leaf, judged: a leaf's parents are its
     * neighbours' (names are spans of one value, so equal starts are the
     * same member). */
    int known;                 /* names[0..known-1] below hold */
    const uint8_t *at[KJ_MAX_PATH];
    uint64_t path[KJ_MAX_PATH]; /* the hash of the path down to and with that name */
    bool vol[KJ_MAX_PATH];     /* a name down to it is volatile */
} stable_ctx;

static int stable_leaf(void *ctx, const kj_name *names, int depth, const kj_span *v)
{
    stable_ctx *s = ctx;
    int i = 0;
    while (i < depth - 1 && i < s->known && s->at[i] == names[i].p) i++;
    uint8_t f = 0;
    for (; i < depth; i++) {
        uint64_t nh;
        f = cached_name(s->vc, names[i].p, names[i].len, names[i].escaped, &nh);
        s->at[i] = names[i].p;
        s->path[i] = path_step(i ? s->path[i - 1] : 0x51ED270B27AEA5B3ull, nh);
        s->vol[i] = (f & NAME_VOLATILE) || (i && s->vol[i - 1]);
    }
    s->known = depth;
    if (depth == 1 && (f & NAME_SPEC)) s->spec = true;
    if (s->vol[depth - 1]) return 0;
    uint64_t h = XXH3_64bits_withSeed(v->p, v->len, s->path[depth - 1]);
    if (depth == 1 && (f & NAME_ID)) s->id_leaf += h;
    else s->sum += h;
    return 0;
}

/* kid_stable of r whose value was walked (rc: kj_leaves' or kj_scan's,
 * into s; anything but a whole object hashes the value's bytes). */
static uint64_t stable_of(const kb_record *r, bool object, stable_ctx *s)
{
    uint64_t h = 0;
    if (r->value && r->value_len > 0) {
        if (object) h = s->sum + (s->spec ? 0 : s->id_leaf);
        else h = XXH3_64bits_withSeed(r->value, (size_t)r->value_len, 1);
    } else {
        h = (uint64_t)(int64_t)r->value_len;
    }
    kcur c = kcur_make(r->headers, r->headers_len);
    kb_header hd;
    while (kb_header_next(&c, &hd)) {
        uint64_t seed;
        if (cached_name(s->vc, hd.key, (size_t)hd.key_len, false, &seed) & NAME_VOLATILE) continue;
        h += hd.value && hd.value_len >= 0 ? XXH3_64bits_withSeed(hd.value, (size_t)hd.value_len, seed) : ~seed;
    }
    return h;
}

uint64_t kid_stable(const kb_record *r)
{
    stable_ctx s = { .vc = NULL };
    bool object = r->value && r->value_len > 0 &&
                  kj_leaves(r->value, (size_t)r->value_len, stable_leaf, &s) == KJ_OK;
    return stable_of(r, object, &s);
}

int kid_identity_stable(const kid_spec *s, const kb_record *r, kid_ident *out, uint64_t *stable, kid_vcache *vc)
{
    if (s->kind != KID_JSON || !r->value || r->value_len <= 0) {
        int miss = kid_identity(s, r, out);
        *stable = miss ? 0 : kid_stable(r);
        return miss;
    }
    /* One walk of the value: the member and the leaves' hash. */
    stable_ctx st = { .vc = vc };
    kj_span v;
    int rc = kj_scan(r->value, (size_t)r->value_len, &s->path, &v, stable_leaf, &st);
    *stable = stable_of(r, rc == KJ_FOUND || rc == KJ_MISSING, &st);
    return json_ident(rc, &v, out);
}

/* ---- what two copies differ in ----------------------------------------------- */

#define DIFF_LEAVES 512        /* leaves compared per value; past it, the rest count as one "value" */

typedef struct leaf {
    char path[160];            /* $.a.b */
    uint64_t hash;
    bool vol;
} leaf;

typedef struct leaves {
    leaf *v;
    size_t n;
    bool over;
    bool spec;
} leaves;

static void name_text(const kj_name *nm, char *out, size_t cap)
{
    uint8_t buf[KJ_MAX_NAME];
    int n = nm->escaped ? kj_unescape(nm->p, nm->len, buf, sizeof buf) : -1;
    const uint8_t *p = n >= 0 ? buf : nm->p;
    size_t len = n >= 0 ? (size_t)n : nm->len;
    snprintf(out, cap, "%.*s", (int)(len < cap ? len : cap - 1), (const char *)p);
}

static int collect_leaf(void *ctx, const kj_name *names, int depth, const kj_span *v)
{
    leaves *l = ctx;
    if (is_spec(names, depth)) l->spec = true;
    if (l->n == DIFF_LEAVES) {
        l->over = true;
        return 0;
    }
    leaf *x = &l->v[l->n++];
    size_t at = (size_t)snprintf(x->path, sizeof x->path, "$");
    for (int i = 0; i < depth && at < sizeof x->path; i++) {
        char nm[KJ_MAX_NAME];
        name_text(&names[i], nm, sizeof nm);
        at += (size_t)snprintf(x->path + at, sizeof x->path - at, ".%s", nm);
    }
    x->hash = XXH3_64bits_withSeed(v->p, v->len, (uint64_t)v->kind);
    x->vol = path_volatile(names, depth) || is_ce_id(names, depth);
    return 0;
}

static int cmp_leaf(const void *a, const void *b)
{
    const leaf *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    return c ? c : x->hash < y->hash ? -1 : x->hash > y->hash;
}

/* The names found so far, and whether one is not volatile. */
typedef struct diffs {
    char (*name)[160];
    size_t n, cap;
    bool beyond;
} diffs;

static void add_diff(diffs *d, const char *name, bool vol)
{
    if (!vol) d->beyond = true;
    if (d->n && strcmp(d->name[d->n - 1], name) == 0) return;
    if (d->n < d->cap) snprintf(d->name[d->n++], sizeof d->name[0], "%s", name);
}

static void diff_values(const kb_record *a, const kb_record *b, diffs *d)
{
    bool same = a->value_len == b->value_len &&
                (a->value_len <= 0 || memcmp(a->value, b->value, (size_t)a->value_len) == 0);
    if (same) return;
    leaves la = { calloc(DIFF_LEAVES, sizeof(leaf)), 0, false, false };
    leaves lb = { calloc(DIFF_LEAVES, sizeof(leaf)), 0, false, false };
    bool json = la.v && lb.v && a->value_len > 0 && b->value_len > 0 &&
                kj_leaves(a->value, (size_t)a->value_len, collect_leaf, &la) == KJ_OK &&
                kj_leaves(b->value, (size_t)b->value_len, collect_leaf, &lb) == KJ_OK && !la.over && !lb.over;
    if (!json) {
        add_diff(d, "value", false);
    } else {
        /* A structured CloudEvent's "id" is its envelope's. */
        for (size_t i = 0; i < la.n; i++) la.v[i].vol = la.v[i].vol && (strcmp(la.v[i].path, "$.id") != 0 || la.spec);
        for (size_t i = 0; i < lb.n; i++) lb.v[i].vol = lb.v[i].vol && (strcmp(lb.v[i].path, "$.id") != 0 || lb.spec);
        qsort(la.v, la.n, sizeof(leaf), cmp_leaf);
        qsort(lb.v, lb.n, sizeof(leaf), cmp_leaf);
        size_t i = 0, j = 0;
        while (i < la.n || j < lb.n) {
            int c = i == la.n ? 1 : j == lb.n ? -1 : strcmp(la.v[i].path, lb.v[j].path);
            if (c < 0) add_diff(d, la.v[i].path, la.v[i].vol), i++;
            else if (c > 0) add_diff(d, lb.v[j].path, lb.v[j].vol), j++;
            else {
                if (la.v[i].hash != lb.v[j].hash) add_diff(d, la.v[i].path, la.v[i].vol);
                i++, j++;
            }
        }
    }
    free(la.v);
    free(lb.v);
}

/* Headers of a record as (name, value hash), for comparing as multisets. */
static size_t header_list(const kb_record *r, leaf *out, size_t cap)
{
    kcur c = kcur_make(r->headers, r->headers_len);
    kb_header h;
    size_t n = 0;
    while (n < cap && kb_header_next(&c, &h)) {
        snprintf(out[n].path, sizeof out[n].path, "header:%.*s", h.key_len > 140 ? 140 : (int)h.key_len,
                 (const char *)h.key);
        out[n].hash = h.value && h.value_len >= 0 ? XXH3_64bits(h.value, (size_t)h.value_len) : 0;
        out[n].vol = kid_volatile(h.key, (size_t)h.key_len);
        n++;
    }
    qsort(out, n, sizeof *out, cmp_leaf);
    return n;
}

static void diff_headers(const kb_record *a, const kb_record *b, diffs *d)
{
    if (a->headers_len == b->headers_len && (a->headers_len == 0 || memcmp(a->headers, b->headers, a->headers_len) == 0))
        return;
    leaf *ha = calloc(64, sizeof(leaf)), *hb = calloc(64, sizeof(leaf));
    if (!ha || !hb) {
        free(ha), free(hb);
        add_diff(d, "headers", false);
        return;
    }
    size_t na = header_list(a, ha, 64), nb = header_list(b, hb, 64), i = 0, j = 0;
    while (i < na || j < nb) {
        int c = i == na ? 1 : j == nb ? -1 : strcmp(ha[i].path, hb[j].path);
        if (c == 0 && ha[i].hash == hb[j].hash) i++, j++;
        else if (c < 0 || (c == 0 && ha[i].hash < hb[j].hash)) add_diff(d, ha[i].path, ha[i].vol), i++;
        else add_diff(d, hb[j].path, hb[j].vol), j++;
    }
    free(ha), free(hb);
}

static int cmp_name(const void *a, const void *b) { return strcmp(a, b); }

void kid_diff(const kb_record *a, const kb_record *b, char *out, size_t cap, bool *beyond)
{
    char names[64][160];
    diffs d = { names, 0, 64, false };
    if (a->key_len != b->key_len || (a->key_len > 0 && memcmp(a->key, b->key, (size_t)a->key_len) != 0))
        add_diff(&d, "key", true); /* a resend may route anew: not a different event by itself */
    diff_values(a, b, &d);
    diff_headers(a, b, &d);
    qsort(names, d.n, sizeof names[0], cmp_name);
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < d.n; i++) {
        if (i && strcmp(names[i], names[i - 1]) == 0) continue;
        size_t need = strlen(names[i]) + (at ? 1 : 0);
        if (at + need + 5 > cap) {
            snprintf(out + at, cap - at, "%s...", at ? "," : "");
            break;
        }
        at += (size_t)snprintf(out + at, cap - at, "%s%s", at ? "," : "", names[i]);
    }
    *beyond = d.beyond;
}
