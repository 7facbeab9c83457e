/*
 * test_jsonscan.c - the JSON member scanner (reader/jsonscan.h) and the
 * --identity specs built on it (audit/identity.h: kid_spec_parse,
 * kid_rules_add, kid_identity, kid_identity_stable, kid_volatile).
 */
#include "kt.h"

#include "audit/identity.h"
#include "reader/jsonscan.h"

/* kj_find over a C string with path text: the rc, and the span as text. */
static int find(const char *json, const char *path, char *out, size_t cap, int *kind)
{
    kj_path p;
    char err[200];
    if (kj_path_parse(&p, path, err, sizeof err) < 0) return 99;
    kj_span v;
    int rc = kj_find((const uint8_t *)json, strlen(json), &p, &v);
    out[0] = '\0';
    if (rc == KJ_FOUND) {
        snprintf(out, cap, "%.*s", (int)v.len, (const char *)v.p);
        if (kind) *kind = v.kind;
    }
    return rc;
}

static void test_find_paths(void)
{
    char s[256];
    int kind = -1;
    KT_EQ_INT(find("{\"a\":1,\"b\":\"x\"}", "$.b", s, sizeof s, &kind), KJ_FOUND);
    KT_EQ_STR(s, "x");
    KT_EQ_INT(kind, KJ_STRING);
    KT_EQ_INT(find("{\"a\":1,\"b\":\"x\"}", "$.a", s, sizeof s, &kind), KJ_FOUND);
    KT_EQ_STR(s, "1");
    KT_EQ_INT(kind, KJ_NUMBER);
    /* Nested: only the path's objects are entered; a name elsewhere is not it. */
    const char *doc = "{\"before\":{\"order_id\":1},\"after\":{\"x\":[1,{\"order_id\":9}],\"order_id\":\"o-2\"}}";
    KT_EQ_INT(find(doc, "$.after.order_id", s, sizeof s, &kind), KJ_FOUND);
    KT_EQ_STR(s, "o-2");
    KT_EQ_INT(find(doc, "$.before.order_id", s, sizeof s, NULL), KJ_FOUND);
    KT_EQ_STR(s, "1");
    KT_EQ_INT(find(doc, "$.order_id", s, sizeof s, NULL), KJ_MISSING);
    KT_EQ_INT(find(doc, "$.after.x.order_id", s, sizeof s, NULL), KJ_MISSING); /* x is an array */
    /* An object or array as the value: its text. */
    KT_EQ_INT(find(doc, "$.before", s, sizeof s, &kind), KJ_FOUND);
    KT_EQ_STR(s, "{\"order_id\":1}");
    KT_EQ_INT(kind, KJ_OBJECT);
    KT_EQ_INT(find(doc, "$.after.x", s, sizeof s, &kind), KJ_FOUND);
    KT_EQ_STR(s, "[1,{\"order_id\":9}]");
    KT_EQ_INT(kind, KJ_ARRAY);
    /* A member on the way that is no object: missing. */
    KT_EQ_INT(find("{\"a\":5}", "$.a.b", s, sizeof s, NULL), KJ_MISSING);
    /* Literals. */
    KT_EQ_INT(find("{\"a\":null}", "$.a", s, sizeof s, &kind), KJ_FOUND);
    KT_EQ_INT(kind, KJ_NULL);
    KT_EQ_STR(s, "null");
    KT_EQ_INT(find("{\"a\":true,\"b\":false}", "$.b", s, sizeof s, &kind), KJ_FOUND);
    KT_EQ_INT(kind, KJ_FALSE);
    KT_EQ_INT(find(" {\n\t\"a\" : -1.5e+3 } \r\n", "$.a", s, sizeof s, &kind), KJ_FOUND);
    KT_EQ_STR(s, "-1.5e+3");
    KT_EQ_INT(kind, KJ_NUMBER);
    /* Bracketed names hold dots and spaces. */
    KT_EQ_INT(find("{\"a.b\":{\"c d\":7}}", "$['a.b'][\"c d\"]", s, sizeof s, NULL), KJ_FOUND);
    KT_EQ_STR(s, "7");
}

static void test_find_strings(void)
{
    char s[256];
    int kind;
    /* A string's span is its contents, still escaped; an escaped quote does not end it. */
    KT_EQ_INT(find("{\"a\":\"say \\\"hi\\\"\",\"b\":2}", "$.b", s, sizeof s, NULL), KJ_FOUND);
    KT_EQ_STR(s, "2");
    KT_EQ_INT(find("{\"a\":\"say \\\"hi\\\"\",\"b\":2}", "$.a", s, sizeof s, &kind), KJ_FOUND);
    KT_EQ_STR(s, "say \\\"hi\\\"");
    /* Braces inside strings of values passed over are not structure. */
    KT_EQ_INT(find("{\"x\":{\"y\":\"}{][\"},\"id\":3}", "$.id", s, sizeof s, NULL), KJ_FOUND);
    KT_EQ_STR(s, "3");
    /* Escapes in member names: \u0069\u0064 is "id". */
    KT_EQ_INT(find("{\"\\u0069\\u0064\":\"e1\"}", "$.id", s, sizeof s, NULL), KJ_FOUND);
    KT_EQ_STR(s, "e1");
    KT_EQ_INT(find("{\"i\\\"d\":1}", "$['i\"d']", s, sizeof s, NULL), KJ_FOUND);
    KT_EQ_STR(s, "1");
    /* Bytes that are not UTF-8 are passed through as they are (the scanner
     * does not validate text; equal bytes, equal identity). */
    KT_EQ_INT(find("{\"a\":\"\xff\xfe\",\"b\":1}", "$.a", s, sizeof s, NULL), KJ_FOUND);
    KT_EQ_STR(s, "\xff\xfe");
    KT_EQ_INT(find("{\"\xc3\xa9\":5}", "$.\xc3\xa9", s, sizeof s, NULL), KJ_FOUND);
    KT_EQ_STR(s, "5");
    /* A raw control character in a string is not JSON. */
    KT_EQ_INT(find("{\"a\":\"x\ny\"}", "$.a", s, sizeof s, NULL), KJ_INVALID);
}

/* A repeated name: the first wins (JSON parsers differ; RFC 8259 4 leaves
 * it open), and the rest must still be JSON. */
static void test_duplicate_members(void)
{
    char s[64];
    KT_EQ_INT(find("{\"id\":1,\"id\":2}", "$.id", s, sizeof s, NULL), KJ_FOUND);
    KT_EQ_STR(s, "1");
    KT_EQ_INT(find("{\"a\":{\"x\":1},\"a\":{\"id\":2}}", "$.a.id", s, sizeof s, NULL), KJ_FOUND);
    KT_EQ_STR(s, "2");
    KT_EQ_INT(find("{\"id\":1,\"id\":}", "$.id", s, sizeof s, NULL), KJ_INVALID);
}

static void test_invalid(void)
{
    char s[64];
    static const char *bad[] = {
        "",            "{",           "{\"a\"",        "{\"a\":",       "{\"a\":1",      "{\"a\":1,}",
        "{,\"a\":1}",  "{\"a\" 1}",   "{\"a\":1}x",    "{\"a\":1}}",    "{\"a\":\"x}",   "{a:1}",
        "{\"a\":[1,2}", "{\"a\":{\"b\":1]}", "{\"a\":tru}", "{\"a\":\"\\",   "{\"a\":+}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = find(bad[i], "$.a", s, sizeof s, NULL);
        KT_EQ_INT(rc, KJ_INVALID);
        if (rc != KJ_INVALID) fprintf(stderr, "  input %zu: %s\n", i, bad[i]);
    }
    /* JSON that is no object. */
    KT_EQ_INT(find("[1,2]", "$.a", s, sizeof s, NULL), KJ_NOT_OBJECT);
    KT_EQ_INT(find("\"x\"", "$.a", s, sizeof s, NULL), KJ_NOT_OBJECT);
    KT_EQ_INT(find("42", "$.a", s, sizeof s, NULL), KJ_NOT_OBJECT);
    KT_EQ_INT(find("   ", "$.a", s, sizeof s, NULL), KJ_INVALID);
    /* Truncated at every length: never found, never a crash (read through
     * a heap copy of exactly that length, so ASan sees a read past it). */
    const char *full = "{\"id\":\"abc\",\"n\":{\"m\":[1,2,{\"k\":null}]},\"t\":true}";
    size_t n = strlen(full);
    kj_path p;
    char err[100];
    KT_REQUIRE_EQ_INT(kj_path_parse(&p, "$.id", err, sizeof err), 0);
    for (size_t k = 0; k < n; k++) {
        uint8_t *cut = malloc(k ? k : 1);
        KT_REQUIRE(cut != NULL);
        memcpy(cut, full, k);
        kj_span v;
        KT_EQ_INT(kj_find(cut, k, &p, &v), KJ_INVALID);
        free(cut);
    }
    kj_span v;
    KT_EQ_INT(kj_find((const uint8_t *)full, n, &p, &v), KJ_FOUND);
}

/* Nesting: values passed over may be KJ_MAX_DEPTH deep, no deeper. */
static void test_depth(void)
{
    char buf[400];
    kj_path p;
    char err[100];
    KT_REQUIRE_EQ_INT(kj_path_parse(&p, "$.id", err, sizeof err), 0);
    for (int deep = KJ_MAX_DEPTH; deep <= KJ_MAX_DEPTH + 1; deep++) {
        size_t at = (size_t)snprintf(buf, sizeof buf, "{\"x\":");
        for (int i = 0; i < deep; i++) buf[at++] = '[';
        for (int i = 0; i < deep; i++) buf[at++] = ']';
        at += (size_t)snprintf(buf + at, sizeof buf - at, ",\"id\":1}");
        kj_span v;
        KT_EQ_INT(kj_find((const uint8_t *)buf, at, &p, &v), deep == KJ_MAX_DEPTH ? KJ_FOUND : KJ_INVALID);
    }
    /* Hostile: a megabyte of '[' ends as invalid, at once. */
    size_t big = 1 << 20;
    uint8_t *h = malloc(big + 8);
    KT_REQUIRE(h != NULL);
    memcpy(h, "{\"x\":", 5);
    memset(h + 5, '[', big);
    kj_span v;
    KT_EQ_INT(kj_find(h, big + 5, &p, &v), KJ_INVALID);
    free(h);
}

static int deepest(void *ctx, const kj_name *names, int depth, const kj_span *v)
{
    (void)names;
    int *d = ctx;
    d[0] = depth, d[1] = v->kind;
    return 0;
}

/* kj_leaves enters KJ_MAX_PATH objects; a deeper one is a leaf, whole. */
static void test_leaf_depth(void)
{
    char buf[200];
    size_t at = 0;
    for (int i = 0; i < KJ_MAX_PATH + 1; i++) at += (size_t)snprintf(buf + at, sizeof buf - at, "{\"a\":");
    at += (size_t)snprintf(buf + at, sizeof buf - at, "1");
    for (int i = 0; i < KJ_MAX_PATH + 1; i++) buf[at++] = '}';
    int d[2] = { 0, -1 };
    KT_EQ_INT(kj_leaves((const uint8_t *)buf, at, deepest, d), KJ_OK);
    KT_EQ_INT(d[0], KJ_MAX_PATH);
    KT_EQ_INT(d[1], KJ_OBJECT);
}

typedef struct seen {
    char path[16][64];
    char value[16][64];
    int n;
} seen;

static int note_leaf(void *ctx, const kj_name *names, int depth, const kj_span *v)
{
    seen *s = ctx;
    if (s->n == 16) return 0;
    size_t at = 0;
    for (int i = 0; i < depth; i++)
        at += (size_t)snprintf(s->path[s->n] + at, sizeof s->path[0] - at, "%s%.*s", i ? "." : "", (int)names[i].len,
                               (const char *)names[i].p);
    snprintf(s->value[s->n], sizeof s->value[0], "%.*s", (int)v->len, (const char *)v->p);
    s->n++;
    return 0;
}

static void test_leaves_and_scan(void)
{
    const char *doc = "{\"a\":1,\"b\":{\"c\":\"x\",\"d\":{}},\"e\":[1,{\"f\":2}],\"g\":{\"h\":{\"i\":null}}}";
    seen s;
    memset(&s, 0, sizeof s);
    KT_EQ_INT(kj_leaves((const uint8_t *)doc, strlen(doc), note_leaf, &s), KJ_OK);
    KT_REQUIRE_EQ_INT(s.n, 5);
    KT_EQ_STR(s.path[0], "a");
    KT_EQ_STR(s.value[0], "1");
    KT_EQ_STR(s.path[1], "b.c");
    KT_EQ_STR(s.value[1], "x");
    KT_EQ_STR(s.path[2], "b.d"); /* an empty object is a leaf */
    KT_EQ_STR(s.value[2], "{}");
    KT_EQ_STR(s.path[3], "e"); /* an array is a leaf, whole */
    KT_EQ_STR(s.value[3], "[1,{\"f\":2}]");
    KT_EQ_STR(s.path[4], "g.h.i");
    KT_EQ_STR(s.value[4], "null");
    /* kj_scan: the same leaves, and the member in the same pass. */
    kj_path p;
    char err[100];
    kj_span v;
    static const struct { const char *path; int rc; const char *text; } want[] = {
        { "$.b.c", KJ_FOUND, "x" },      { "$.g.h", KJ_FOUND, "{\"i\":null}" }, { "$.g", KJ_FOUND, "{\"h\":{\"i\":null}}" },
        { "$.b.d", KJ_FOUND, "{}" },     { "$.e", KJ_FOUND, "[1,{\"f\":2}]" },  { "$.zz", KJ_MISSING, "" },
        { "$.a.b", KJ_MISSING, "" },     { "$.e.f", KJ_MISSING, "" },
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        KT_REQUIRE_EQ_INT(kj_path_parse(&p, want[i].path, err, sizeof err), 0);
        memset(&s, 0, sizeof s);
        int rc = kj_scan((const uint8_t *)doc, strlen(doc), &p, &v, note_leaf, &s);
        KT_EQ_INT(rc, want[i].rc);
        KT_EQ_INT(s.n, 5);
        if (rc == KJ_FOUND) KT_CHECK(v.len == strlen(want[i].text) && memcmp(v.p, want[i].text, v.len) == 0);
        /* kj_find agrees. */
        kj_span w;
        KT_EQ_INT(kj_find((const uint8_t *)doc, strlen(doc), &p, &w), rc);
        if (rc == KJ_FOUND) KT_CHECK(w.p == v.p && w.len == v.len && w.kind == v.kind);
    }
    /* Invalid after the member: kj_scan says so too. */
    KT_REQUIRE_EQ_INT(kj_path_parse(&p, "$.a", err, sizeof err), 0);
    KT_EQ_INT(kj_scan((const uint8_t *)"{\"a\":1,", 7, &p, &v, NULL, NULL), KJ_INVALID);
    KT_EQ_INT(kj_scan((const uint8_t *)"[]", 2, &p, &v, NULL, NULL), KJ_NOT_OBJECT);
}

static void test_unescape(void)
{
    uint8_t out[32];
    const char *in = "a\\n\\\"\\u00e9\\ud83d\\ude00\\/";
    int n = kj_unescape((const uint8_t *)in, strlen(in), out, sizeof out);
    KT_REQUIRE_EQ_INT(n, 10);
    KT_CHECK(memcmp(out, "a\n\"\xc3\xa9\xf0\x9f\x98\x80/", 10) == 0);
    KT_EQ_INT(kj_unescape((const uint8_t *)"\\x", 2, out, sizeof out), -1);
    KT_EQ_INT(kj_unescape((const uint8_t *)"\\u12", 4, out, sizeof out), -1);
    KT_EQ_INT(kj_unescape((const uint8_t *)"\\", 1, out, sizeof out), -1);
    KT_EQ_INT(kj_unescape((const uint8_t *)"abcd", 4, out, 3), -1); /* does not fit */
    /* A lone high surrogate stays one (3-byte) character. */
    KT_EQ_INT(kj_unescape((const uint8_t *)"\\ud83d", 6, out, sizeof out), 3);
}

static void test_path_parse(void)
{
    kj_path p;
    char err[200];
    KT_REQUIRE_EQ_INT(kj_path_parse(&p, "$.after.order_id", err, sizeof err), 0);
    KT_EQ_INT(p.nsegs, 2);
    KT_EQ_STR(p.seg[0], "after");
    KT_EQ_STR(p.seg[1], "order_id");
    KT_EQ_INT(p.len[1], 8);
    KT_REQUIRE_EQ_INT(kj_path_parse(&p, "$['a.b'].c", err, sizeof err), 0);
    KT_EQ_INT(p.nsegs, 2);
    KT_EQ_STR(p.seg[0], "a.b");
    static const char *bad[] = { "", "payment_id", "$", "$.", "$..a", "$[0]", "$.a[*]", "$['a", "$['a'x", "$.a.b.c.d.e.f.g.h.i" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        KT_EQ_INT(kj_path_parse(&p, bad[i], err, sizeof err), -1);
        KT_CHECK(err[0] != '\0');
    }
    char longname[300] = "$.";
    memset(longname + 2, 'n', KJ_MAX_NAME);
    KT_EQ_INT(kj_path_parse(&p, longname, err, sizeof err), -1);
    longname[2 + KJ_MAX_NAME - 1] = '\0';
    KT_EQ_INT(kj_path_parse(&p, longname, err, sizeof err), 0);
}

static void test_spec_parse(void)
{
    kid_spec s;
    char err[300];
    KT_REQUIRE_EQ_INT(kid_spec_parse(&s, "key", err, sizeof err), 0);
    KT_EQ_INT(s.kind, KID_KEY);
    KT_REQUIRE_EQ_INT(kid_spec_parse(&s, "value", err, sizeof err), 0);
    KT_EQ_INT(s.kind, KID_VALUE);
    KT_REQUIRE_EQ_INT(kid_spec_parse(&s, "header:ce_id", err, sizeof err), 0);
    KT_EQ_INT(s.kind, KID_HEADER);
    KT_EQ_INT(s.header_len, 5);
    KT_CHECK(memcmp(s.header, "ce_id", 5) == 0);
    KT_REQUIRE_EQ_INT(kid_spec_parse(&s, "json:$.a.b", err, sizeof err), 0);
    KT_EQ_INT(s.kind, KID_JSON);
    KT_EQ_INT(s.path.nsegs, 2);
    KT_EQ_STR(s.text, "json:$.a.b");
    KT_EQ_INT(kid_spec_parse(&s, "header:", err, sizeof err), -1);
    KT_EQ_INT(kid_spec_parse(&s, "json:a", err, sizeof err), -1);
    KT_EQ_INT(kid_spec_parse(&s, "keys", err, sizeof err), -1);
    KT_CHECK(strstr(err, "'keys' is no identity") != NULL);
    /* REGEX=SPEC splits at the last '=' followed by a SPEC. */
    kid_rules r = { NULL, 0 };
    KT_REQUIRE_EQ_INT(kid_rules_add(&r, "^a=b$=json:$.id", err, sizeof err), 0);
    KT_REQUIRE_EQ_INT(kid_rules_add(&r, "^pay.*=key", err, sizeof err), 0);
    KT_REQUIRE_EQ_INT(kid_rules_add(&r, ".*=header:x=y", err, sizeof err), 0);
    KT_EQ_INT(r.n, 3);
    KT_EQ_STR(r.v[0].pattern, "^a=b$");
    KT_EQ_STR(r.v[2].pattern, ".*");
    KT_EQ_STR(r.v[2].spec.header, "x=y");
    KT_CHECK(kid_rules_match(&r, "a=b") == &r.v[0].spec);
    KT_CHECK(kid_rules_match(&r, "payments") == &r.v[1].spec); /* the first that matches */
    KT_CHECK(kid_rules_match(&r, "other") == &r.v[2].spec);
    KT_EQ_INT(kid_rules_add(&r, "no-equals", err, sizeof err), -1);
    KT_EQ_INT(kid_rules_add(&r, "x=json:nope", err, sizeof err), -1);
    KT_EQ_INT(kid_rules_add(&r, "([=key", err, sizeof err), -1);
    KT_CHECK(strstr(err, "POSIX extended") != NULL);
    KT_EQ_INT(r.n, 3);
    kid_rules_free(&r);
    KT_EQ_INT(r.n, 0);
    KT_CHECK(kid_rules_match(&r, "payments") == NULL);
}

static kb_record rec(const char *key, const char *value)
{
    kb_record r;
    memset(&r, 0, sizeof r);
    r.key = (const uint8_t *)key;
    r.key_len = key ? (int32_t)strlen(key) : -1;
    r.value = (const uint8_t *)value;
    r.value_len = value ? (int32_t)strlen(value) : -1;
    r.headers = (const uint8_t *)"";
    return r;
}

/* The identity and the volatile-free hash, in one walk or two: equal. */
static void test_identity_of_records(void)
{
    static kid_vcache vc; /* names judged once: the same verdicts as without */
    kid_spec s;
    char err[200];
    KT_REQUIRE_EQ_INT(kid_spec_parse(&s, "json:$.payment_id", err, sizeof err), 0);
    kid_ident a, b;
    uint64_t sa, sb;
    kb_record r1 = rec("k", "{\"payment_id\":42,\"amount\":10,\"sent_at\":\"t1\"}");
    kb_record r2 = rec("k2", "{\"sent_at\":\"t2\",\"amount\":10,\"payment_id\":\"42\"}");
    kb_record r3 = rec("k", "{\"payment_id\":42,\"amount\":11,\"sent_at\":\"t1\"}");
    KT_EQ_INT(kid_identity_stable(&s, &r1, &a, &sa, &vc), 0);
    KT_EQ_INT(kid_identity_stable(&s, &r2, &b, &sb, &vc), 0);
    KT_CHECK(a.lo == b.lo && a.hi == b.hi); /* 42 and "42" are one id */
    KT_EQ_INT(a.len, 2);
    KT_CHECK(memcmp(a.p, "42", 2) == 0);
    KT_EQ_UINT(sa, sb); /* sent_at is volatile, the order of members is not content */
    KT_EQ_UINT(sa, kid_stable(&r1));
    uint64_t sn;
    KT_EQ_INT(kid_identity_stable(&s, &r2, &b, &sn, NULL), 0);
    KT_EQ_UINT(sn, sb);
    KT_EQ_INT(kid_identity_stable(&s, &r3, &b, &sb, &vc), 0);
    KT_CHECK(sa != sb); /* the amount differs */
    KT_EQ_UINT(sb, kid_stable(&r3));
    kid_ident c;
    KT_EQ_INT(kid_identity(&s, &r3, &c), 0);
    KT_CHECK(c.lo == b.lo && c.hi == b.hi);
    /* "\u0034\u0032" is "42" too. */
    kb_record r4 = rec(NULL, "{\"payment_id\":\"\\u0034\\u0032\"}");
    KT_EQ_INT(kid_identity_stable(&s, &r4, &b, &sb, &vc), 0);
    KT_CHECK(a.lo == b.lo && a.hi == b.hi);
    /* No identity: why. */
    kb_record m1 = rec("k", NULL), m2 = rec("k", "{\"x\":1}"), m3 = rec("k", "{\"payment_id\":null}"),
              m4 = rec("k", "[1]"), m5 = rec("k", "a,b,c"), m6 = rec("k", "{\"payment_id\":1");
    KT_EQ_INT(kid_identity_stable(&s, &m1, &b, &sb, &vc), 1 + KID_MISS_NULL_VALUE);
    KT_EQ_INT(kid_identity_stable(&s, &m2, &b, &sb, &vc), 1 + KID_MISS_NO_FIELD);
    KT_EQ_INT(kid_identity_stable(&s, &m3, &b, &sb, &vc), 1 + KID_MISS_NULL_FIELD);
    KT_EQ_INT(kid_identity_stable(&s, &m4, &b, &sb, &vc), 1 + KID_MISS_NOT_OBJECT);
    KT_EQ_INT(kid_identity_stable(&s, &m5, &b, &sb, &vc), 1 + KID_MISS_INVALID_JSON);
    KT_EQ_INT(kid_identity_stable(&s, &m6, &b, &sb, &vc), 1 + KID_MISS_INVALID_JSON);
    KT_EQ_STR(kid_miss_name(KID_MISS_NO_FIELD), "no_field");
    KT_EQ_STR(kid_miss_name(KID_MISS_INVALID_JSON), "invalid_json");
    /* key: a null key has none; an empty one is one. */
    KT_REQUIRE_EQ_INT(kid_spec_parse(&s, "key", err, sizeof err), 0);
    kb_record k0 = rec(NULL, "v"), k1 = rec("", "v");
    KT_EQ_INT(kid_identity_stable(&s, &k0, &b, &sb, &vc), 1 + KID_MISS_NULL_KEY);
    KT_EQ_INT(kid_identity_stable(&s, &k1, &b, &sb, &vc), 0);
    KT_EQ_INT(b.len, 0);
}

static void test_volatile_names(void)
{
    static const char *yes[] = { "sent_at", "createdAt", "ts", "ts_ms", "timestamp", "eventTime", "ce_id",
                                 "ce-time", "traceparent", "x-b3-traceid", "SENT", "date", "updated_ts" };
    static const char *no[] = { "payment_id", "amount", "id", "status", "data", "at", "customer" };
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        KT_CHECK(kid_volatile((const uint8_t *)yes[i], strlen(yes[i])));
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        KT_CHECK(!kid_volatile((const uint8_t *)no[i], strlen(no[i])));
}

int main(void)
{
    KT_RUN(test_find_paths);
    KT_RUN(test_find_strings);
    KT_RUN(test_duplicate_members);
    KT_RUN(test_invalid);
    KT_RUN(test_depth);
    KT_RUN(test_leaf_depth);
    KT_RUN(test_leaves_and_scan);
    KT_RUN(test_unescape);
    KT_RUN(test_path_parse);
    KT_RUN(test_spec_parse);
    KT_RUN(test_identity_of_records);
    KT_RUN(test_volatile_names);
    return kt_done();
}
