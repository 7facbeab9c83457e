/*
 * kt.h - the tiny test harness of kaudit's C unit tests.
 *
 * A test file defines test functions, registers them in main() with KT_RUN,
 * and ends with `return kt_done();`, which prints the line
 * "kt: N passed, M failed" that tests/run_all.sh adds up. A check that fails
 * prints file, line and both values, then the test function goes on (so one
 * run shows every failure). A test function that checks nothing counts as a
 * failure: no test may pass on nothing.
 *
 * KT_REQUIRE(cond) and KT_REQUIRE_EQ_INT(a, b) are checks that the rest of
 * the test function depends on (a pointer it dereferences, a count it
 * indexes by, a file it reads): counted and reported like KT_CHECK and
 * KT_EQ_INT, but a failure also returns from the test function at once, so
 * a test never goes on to dereference what it found missing (a missing
 * corpus gives FAILs, never a crash). Use them only in a test function
 * (void, run by KT_RUN), never in a helper that returns a value; what the
 * function allocated before is not freed on that path (it has failed).
 */
#ifndef KAUDIT_TESTS_KT_H
#define KAUDIT_TESTS_KT_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int kt_passed, kt_failed, kt_checks, kt_cur_failed;
static const char *kt_cur_name;

#define KT_FAIL_(fmt, ...)                                                              \
    do {                                                                                \
        fprintf(stderr, "  FAIL %s (%s:%d): " fmt "\n", kt_cur_name, __FILE__, __LINE__, \
                __VA_ARGS__);                                                           \
        kt_cur_failed = 1;                                                              \
    } while (0)

#define KT_CHECK(cond)                                                                  \
    do {                                                                                \
        kt_checks++;                                                                    \
        if (!(cond)) KT_FAIL_("%s", #cond);                                             \
    } while (0)

#define KT_EQ_INT(a, b)                                                                 \
    do {                                                                                \
        long long kt_a_ = (long long)(a), kt_b_ = (long long)(b);                       \
        kt_checks++;                                                                    \
        if (kt_a_ != kt_b_) KT_FAIL_("%s == %s: %lld != %lld", #a, #b, kt_a_, kt_b_);   \
    } while (0)

#define KT_EQ_UINT(a, b)                                                                \
    do {                                                                                \
        unsigned long long kt_a_ = (unsigned long long)(a), kt_b_ = (unsigned long long)(b); \
        kt_checks++;                                                                    \
        if (kt_a_ != kt_b_) KT_FAIL_("%s == %s: 0x%llx != 0x%llx", #a, #b, kt_a_, kt_b_); \
    } while (0)

#define KT_EQ_STR(a, b)                                                                 \
    do {                                                                                \
        const char *kt_a_ = (a), *kt_b_ = (b);                                          \
        kt_checks++;                                                                    \
        if (!kt_a_ || !kt_b_ || strcmp(kt_a_, kt_b_) != 0)                              \
            KT_FAIL_("%s == %s: \"%s\" != \"%s\"", #a, #b, kt_a_ ? kt_a_ : "(null)",     \
                     kt_b_ ? kt_b_ : "(null)");                                         \
    } while (0)

#define KT_EQ_MEM(a, alen, b, blen)                                                     \
    do {                                                                                \
        kt_checks++;                                                                    \
        if ((size_t)(alen) != (size_t)(blen) || memcmp((a), (b), (size_t)(alen)) != 0)  \
            KT_FAIL_("%s (%zu bytes) == %s (%zu bytes)", #a, (size_t)(alen), #b,         \
                     (size_t)(blen));                                                   \
    } while (0)

#define KT_REQUIRE(cond)                                                                \
    do {                                                                                \
        kt_checks++;                                                                    \
        if (!(cond)) {                                                                  \
            KT_FAIL_("%s (required: the test stops here)", #cond);                      \
            return;                                                                     \
        }                                                                               \
    } while (0)

#define KT_REQUIRE_EQ_INT(a, b)                                                         \
    do {                                                                                \
        long long kt_a_ = (long long)(a), kt_b_ = (long long)(b);                       \
        kt_checks++;                                                                    \
        if (kt_a_ != kt_b_) {                                                           \
            KT_FAIL_("%s == %s: %lld != %lld (required: the test stops here)", #a, #b,   \
                     kt_a_, kt_b_);                                                     \
            return;                                                                     \
        }                                                                               \
    } while (0)

#define KT_RUN(fn)                                                                      \
    do {                                                                                \
        kt_cur_name = #fn;                                                              \
        kt_cur_failed = 0;                                                              \
        int kt_before_ = kt_checks;                                                     \
        fn();                                                                           \
        if (kt_checks == kt_before_) KT_FAIL_("%s", "test checked nothing");            \
        if (kt_cur_failed) kt_failed++;                                                 \
        else kt_passed++;                                                               \
    } while (0)

/* Read a whole file into a new buffer (free() it); NULL when it cannot be
 * opened. An empty file gives a non-NULL buffer and *len 0. Tests only:
 * kaudit itself reads through reader/segment's ks_read_file. */
static inline uint8_t *kt_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) break;
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    fclose(f);
    *len = n;
    return buf;
}

static inline int kt_done(void)
{
    printf("kt: %d passed, %d failed\n", kt_passed, kt_failed);
    return kt_failed ? 1 : 0;
}

#endif
