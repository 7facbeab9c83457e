/*
 * jsonscan.h - a small scanner of JSON record values: the members of an
 * object by path, never a tree.
 *
 * Owns: kj_path (a member path such as $.after.order_id) and two walks over
 * the bytes of one value through a bounds-checked cursor (reader/cursor.h):
 * kj_find, the span of one member's value, and kj_leaves, every member that
 * is not itself an object, with its path. Values it passes over are checked
 * only for terminated strings and balanced brackets; nesting deeper than
 * KJ_MAX_DEPTH is invalid. Allocates nothing, never prints, and reads each
 * byte a bounded number of times: hostile input ends in KJ_INVALID, never a
 * crash or a hang (fuzz/fuzz_jsonpath.c).
 */
#ifndef KAUDIT_READER_JSONSCAN_H
#define KAUDIT_READER_JSONSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KJ_MAX_SEGS 8    /* members in a path */
#define KJ_MAX_PATH 16   /* objects kj_leaves descends into; deeper ones are leaves */
#define KJ_MAX_DEPTH 64  /* nesting of a value passed over (arrays, deep objects) */
#define KJ_MAX_NAME 128  /* bytes of one member name in a path */

/* What a walk finds. */
enum {
    KJ_FOUND = 1,      /* kj_find: the member is there (its value may be null: see kind) */
    KJ_OK = 0,         /* kj_leaves: the whole value was walked */
    KJ_MISSING = -1,   /* kj_find: no such member (or a member on the way is not an object) */
    KJ_NOT_OBJECT = -2,/* the value is valid JSON text so far but not an object */
    KJ_INVALID = -3    /* not JSON: broken, truncated, too deep, or trailing bytes */
};

/* The kind of a value. */
enum { KJ_STRING, KJ_NUMBER, KJ_TRUE, KJ_FALSE, KJ_NULL, KJ_ARRAY, KJ_OBJECT };

/* A member path: $.a.b, or a name with other characters in brackets,
 * $['a.b'] or $["a b"]. */
typedef struct kj_path {
    int nsegs;
    uint8_t len[KJ_MAX_SEGS];
    char seg[KJ_MAX_SEGS][KJ_MAX_NAME];
} kj_path;

/* Parse `text` ("$.payment_id", "$.after.order_id", "$['a.b'].c") into
 * *p. 0, or -1 with why in err (cap bytes). */
int kj_path_parse(kj_path *p, const char *text, char *err, size_t cap);

/* A span of the value's bytes. */
typedef struct kj_span {
    const uint8_t *p;
    size_t len;
    int kind;          /* KJ_* kind; a string's span is its contents without quotes, still escaped */
    bool escaped;      /* a string holding a backslash */
} kj_span;

/*
 * The value of member `path` in the JSON object of `len` bytes at `b`
 * (the first member of that name when a name repeats). KJ_FOUND with *out;
 * KJ_MISSING; KJ_NOT_OBJECT; KJ_INVALID, also when the member is there but
 * the rest is not JSON (a truncated value has no identity).
 */
int kj_find(const uint8_t *b, size_t len, const kj_path *path, kj_span *out);

/* A member name on a leaf's path (a span of the input, still escaped). */
typedef struct kj_name {
    const uint8_t *p;
    size_t len;
    bool escaped;
} kj_name;

/* Called for every leaf: names[0..depth-1] is its path, v its value. A
 * non-zero return stops the walk and is returned by kj_leaves. */
typedef int (*kj_leaf_fn)(void *ctx, const kj_name *names, int depth, const kj_span *v);

/*
 * Walk the object at `b`: every member whose value is not a non-empty
 * object (objects KJ_MAX_PATH deep, and empty ones, are leaves of kind
 * KJ_OBJECT; arrays are leaves whole). KJ_OK, what fn returned, KJ_NOT_OBJECT
 * or KJ_INVALID (leaves already given stand; the caller decides).
 */
int kj_leaves(const uint8_t *b, size_t len, kj_leaf_fn fn, void *ctx);

/*
 * kj_find and kj_leaves in one pass (a value walked once): every leaf to
 * fn as kj_leaves gives them, and member `path` to *out as kj_find finds it
 * (an object on the path is entered, so a member deeper than KJ_MAX_PATH
 * is not found). KJ_FOUND, KJ_MISSING, what fn returned (non-zero, not one
 * of KJ_FOUND..KJ_INVALID), KJ_NOT_OBJECT or KJ_INVALID.
 */
int kj_scan(const uint8_t *b, size_t len, const kj_path *path, kj_span *out, kj_leaf_fn fn, void *ctx);

/*
 * A string's contents (escaped as it lies in JSON) unescaped into out (cap
 * bytes): its length, or -1 when the escapes are broken or it does not fit.
 * \uXXXX becomes UTF-8, a surrogate pair one character.
 */
int kj_unescape(const uint8_t *s, size_t n, uint8_t *out, size_t cap);

/* Does a leaf's name equal `want` (wlen bytes, unescaped)? */
bool kj_name_eq(const kj_name *name, const char *want, size_t wlen);

#endif
