/*
 * test_jsonw.c - the JSON writer's escaping and numbers, at every position
 * of its eight-byte fast paths.
 */
#include "kt.h"

#include "report/jsonw.h"

/* The writer's output for one value written by `call`, as a C string (the
 * writer always keeps a byte free after its output). */
#define ONE(w, call)               \
    do {                           \
        jw_free(&(w));             \
        jw_init(&(w));             \
        call;                      \
        (w).buf[(w).len] = '\0';   \
    } while (0)

static void test_numbers(void)
{
    jw w;
    jw_init(&w);
    static const struct { int64_t v; const char *s; } c[] = {
        { 0, "0" }, { 7, "7" }, { -1, "-1" }, { 10, "10" }, { -10, "-10" }, { 1234567890123, "1234567890123" },
        { INT64_MAX, "9223372036854775807" }, { INT64_MIN, "-9223372036854775808" },
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        ONE(w, jw_int(&w, c[i].v));
        KT_EQ_STR(w.buf, c[i].s);
    }
    ONE(w, jw_uint(&w, UINT64_MAX));
    KT_EQ_STR(w.buf, "18446744073709551615");
    jw_free(&w);
}

static void test_escapes_everywhere(void)
{
    static const struct { uint8_t c; const char *out; } e[] = {
        { '"', "\\\"" }, { '\\', "\\\\" }, { '\n', "\\n" }, { '\r', "\\r" }, { '\t', "\\t" },
        { 0, "\\u0000" }, { 8, "\\u0008" }, { 0x1f, "\\u001f" }, { 0x7f, "\x7f" }, { ' ', " " },
    };
    jw w;
    jw_init(&w);
    for (size_t k = 0; k < sizeof e / sizeof *e; k++) {
        for (int pos = 0; pos < 19; pos++) {
            uint8_t in[19];
            char want[64];
            for (int i = 0; i < 19; i++) in[i] = (uint8_t)('a' + i);
            in[pos] = e[k].c;
            snprintf(want, sizeof want, "\"%.*s%s%.*s\"", pos, "abcdefghijklmnopqrs", e[k].out, 18 - pos,
                     "abcdefghijklmnopqrs" + pos + 1);
            ONE(w, jw_bytes(&w, in, 19));
            KT_EQ_STR(w.buf, want);
        }
    }
    jw_free(&w);
}

static void test_utf8(void)
{
    KT_CHECK(jw_utf8_valid((const uint8_t *)"plain ascii text, long enough", 29));
    KT_CHECK(jw_utf8_valid((const uint8_t *)"caf\xc3\xa9 \xe2\x82\xac and \xf0\x9f\x98\x80 here", 23));
    for (int pos = 0; pos < 17; pos++) {
        uint8_t in[17];
        memset(in, 'x', sizeof in);
        in[pos] = 0xff;
        KT_CHECK(!jw_utf8_valid(in, sizeof in));
        in[pos] = 0xc3; /* a lead byte with no continuation */
        KT_CHECK(!jw_utf8_valid(in, sizeof in));
    }
    KT_CHECK(!jw_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3)); /* a surrogate */
    KT_CHECK(!jw_utf8_valid((const uint8_t *)"\xc0\xaf", 2));     /* overlong */
}

int main(void)
{
    KT_RUN(test_numbers);
    KT_RUN(test_escapes_everywhere);
    KT_RUN(test_utf8);
    return kt_done();
}
