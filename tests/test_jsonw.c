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
        { 0, "\\u0000" }, { 8, "\\u0008" }, { 0x1f, "\\u001f" }, { 0x7f, "\\u007f" }, { ' ', " " },
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

/* The JSON rule for text from the data (report/escape.h's units): C1 and
 * bidirectional controls as \uXXXX, bytes that are not UTF-8 as the text
 * \xNN, other characters as they are; at every position of the fast path. */
static void test_hostile_strings(void)
{
    static const struct { const char *in, *out; } e[] = {
        { "\xc2\x9b", "\\u009b" },     /* C1 CSI as UTF-8 */
        { "\xc2\x80", "\\u0080" },     /* the first C1 */
        { "\xc2\x9f", "\\u009f" },     /* the last C1 */
        { "\xc2\xa0", "\xc2\xa0" },     /* NBSP: plain */
        { "\xe2\x80\xae", "\\u202e" }, /* RLO */
        { "\xe2\x80\xaa", "\\u202a" }, /* LRE */
        { "\xe2\x80\x8e", "\\u200e" }, /* LRM */
        { "\xe2\x80\x8f", "\\u200f" }, /* RLM */
        { "\xe2\x81\xa6", "\\u2066" }, /* LRI */
        { "\xe2\x81\xa9", "\\u2069" }, /* PDI */
        { "\xd8\x9c", "\\u061c" },     /* ALM */
        { "\xe2\x80\xaf", "\xe2\x80\xaf" }, /* U+202F: plain */
        { "\xe2\x82\xac", "\xe2\x82\xac" }, /* euro sign */
        { "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },
        { "\x9b", "\\\\x9b" },        /* a raw C1 byte: not UTF-8 */
        { "\xff\xfe", "\\\\xff\\\\xfe" },
        { "\xe2\x80", "\\\\xe2\\\\x80" }, /* cut short */
        { "\xed\xa0\x80", "\\\\xed\\\\xa0\\\\x80" }, /* a surrogate */
        { "\x1b[2J", "\\u001b[2J" },
    };
    jw w;
    jw_init(&w);
    for (size_t k = 0; k < sizeof e / sizeof *e; k++) {
        for (int pos = 0; pos < 19; pos++) {
            char in[64], want[96];
            snprintf(in, sizeof in, "%.*s%s%.*s", pos, "abcdefghijklmnopqrs", e[k].in, 18 - pos,
                     "abcdefghijklmnopqrs" + pos + 1);
            snprintf(want, sizeof want, "\"%.*s%s%.*s\"", pos, "abcdefghijklmnopqrs", e[k].out, 18 - pos,
                     "abcdefghijklmnopqrs" + pos + 1);
            ONE(w, jw_str(&w, in));
            KT_EQ_STR(w.buf, want);
        }
    }
    /* Bytes keep their own rule: valid UTF-8 is a string under the rule
     * above, anything else base64. */
    ONE(w, jw_bytes(&w, (const uint8_t *)"a\xe2\x80\xae" "b", 5));
    KT_EQ_STR(w.buf, "\"a\\u202eb\"");
    ONE(w, jw_bytes(&w, (const uint8_t *)"\xff\xfe", 2));
    KT_EQ_STR(w.buf, "{\"base64\":\"//4=\"}");
    /* Pre-rendered JSON: controls inside its strings become \uXXXX, its
     * structure and whitespace stay. */
    ONE(w, jw_raw(&w, "{\"k\":\"x\xe2\x80\xae\xc2\x9b\x7f\",\n\"v\":[1, 2]}"));
    KT_EQ_STR(w.buf, "{\"k\":\"x\\u202e\\u009b\\u007f\",\n\"v\":[1, 2]}");
    jw_free(&w);
}

int main(void)
{
    KT_RUN(test_numbers);
    KT_RUN(test_escapes_everywhere);
    KT_RUN(test_utf8);
    KT_RUN(test_hostile_strings);
    return kt_done();
}
