/*
 * fuzz_jsonpath.c - libFuzzer target: the JSON member scanner
 * (reader/jsonscan.h) and the identity of a record (audit/identity.h).
 *
 * Input: a path text up to the first newline (used when kj_path_parse
 * takes it, else $.id), then a JSON value. Differential: kj_scan, which
 * walks every object, finds what kj_find finds whenever it takes the value
 * as JSON, and gives the leaves kj_leaves gives; kid_identity_stable (one
 * walk, names judged through a cache or not) equals kid_identity and
 * kid_stable (two). Each string found is
 * unescaped, and two values are compared by kid_diff.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/identity.h"
#include "reader/jsonscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_leaf(void *ctx, const kj_name *names, int depth, const kj_span *v)
{
    uint64_t *n = ctx;
    *n = *n * 31 + (uint64_t)depth * 7 + v->len + (uint64_t)v->kind;
    for (int i = 0; i < depth; i++) {
        uint8_t buf[KJ_MAX_NAME];
        if (names[i].escaped) (void)kj_unescape(names[i].p, names[i].len, buf, sizeof buf);
        *n += names[i].len;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size < 200 ? size : 200);
    char text[201] = "$.id";
    const uint8_t *json = data;
    size_t len = size;
    if (nl) {
        memcpy(text, data, (size_t)(nl - data));
        text[nl - data] = '\0';
        json = nl + 1;
        len = size - (size_t)(nl - data) - 1;
    }
    /* The value in a buffer of its own length: a read past it is caught. */
    uint8_t *v = malloc(len ? len : 1);
    if (!v) return 0;
    memcpy(v, json, len);
    kj_path path;
    char err[256];
    if (kj_path_parse(&path, text, err, sizeof err) < 0) kj_path_parse(&path, "$.id", err, sizeof err);

    kj_span a, b;
    int rf = kj_find(v, len, &path, &a);
    uint64_t la = 0, lb = 0;
    int rl = kj_leaves(v, len, count_leaf, &la);
    int rs = kj_scan(v, len, &path, &b, count_leaf, &lb);
    if (rs == KJ_FOUND || rs == KJ_MISSING) {
        /* kj_scan walked all of it as JSON: kj_find and kj_leaves agree. */
        if (rf != rs || rl != KJ_OK || la != lb) abort();
        if (rs == KJ_FOUND && (a.p != b.p || a.len != b.len || a.kind != b.kind || a.escaped != b.escaped)) abort();
    }
    if (rs == KJ_NOT_OBJECT && (rf != KJ_NOT_OBJECT || rl != KJ_NOT_OBJECT)) abort();
    if (rf == KJ_FOUND && a.kind == KJ_STRING) {
        uint8_t out[64];
        int n = kj_unescape(a.p, a.len, out, sizeof out);
        if (n > (int)sizeof out) abort();
    }

    /* The record's identity, in one walk and in two. */
    kid_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.kind = KID_JSON;
    spec.path = path;
    kb_record r;
    memset(&r, 0, sizeof r);
    r.value = v;
    r.value_len = (int32_t)(len > INT32_MAX ? INT32_MAX : len);
    r.headers = v;
    r.headers_len = 0;
    kid_ident i1, i2;
    uint64_t st;
    static kid_vcache vc; /* kept across inputs: names judged before, colliding slots */
    int m1 = kid_identity_stable(&spec, &r, &i1, &st, &vc);
    if (m1 == 0) {
        int m2 = kid_identity(&spec, &r, &i2);
        if (m2 != 0 || i1.lo != i2.lo || i1.hi != i2.hi || st != kid_stable(&r)) abort();
    }
    uint64_t st2;
    if (kid_identity_stable(&spec, &r, &i2, &st2, NULL) != m1 || st2 != st) abort();
    /* What the value and its first half differ in. */
    kb_record h = r;
    h.value_len = r.value_len / 2;
    char diff[256];
    bool beyond;
    kid_diff(&r, &h, diff, sizeof diff, &beyond);
    if (strlen(diff) >= sizeof diff) abort();
    free(v);
    return 0;
}
