/*
 * test_jsonw.c - the JSON writer's escaping and numbers, at every position
 * of its fast paths (sixteen bytes at a time with SSE2, eight elsewhere),
 * and against a plain reference of the rule on random strings.
 */
#include "kt.h"

#include "reader/text.h"
#include "report/escape.h"
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
    /* Every count of digits, at its edges (9, 10, 99, 100, ...), against printf. */
    uint64_t p10 = 1;
    for (int d = 0; d < 20; d++) {
        uint64_t edge[] = { p10 - 1, p10, p10 + 1, p10 * 2 - 1, p10 * 5 };
        for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) {
            char want[32];
            snprintf(want, sizeof want, "%" PRIu64, edge[i]);
            ONE(w, jw_uint(&w, edge[i]));
            KT_EQ_STR(w.buf, want);
            if (edge[i] <= INT64_MAX) {
                snprintf(want, sizeof want, "-%" PRIu64, edge[i]);
                ONE(w, jw_int(&w, -(int64_t)edge[i]));
                KT_EQ_STR(w.buf, edge[i] ? want : "0");
            }
        }
        if (d < 19) p10 *= 10;
    }
    for (int i = 0; i < 100000; i++) {
        char want[32];
        uint64_t v = (uint64_t)rand() << 40 ^ (uint64_t)rand() << 20 ^ (uint64_t)rand();
        v >>= rand() % 64;
        snprintf(want, sizeof want, "%" PRIu64, v);
        ONE(w, jw_uint(&w, v));
        KT_EQ_STR(w.buf, want);
    }
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

/* ---- the rule, written plainly, against the writer ----------------------- */

/* The JSON rule of jsonw.c written one unit at a time with nothing fast
 * (the writer's before its vector loops): into out, the string's JSON
 * text with its quotes; returns its length. out holds 6 * n + 2. */
static size_t ref_string(char *out, const uint8_t *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, len;
    out[o++] = '"';
    for (size_t i = 0; i < n; i += len) {
        uint32_t cp;
        int kind = es_unit(s + i, n - i, &len, &cp);
        if (kind == ES_PLAIN && (s[i] == '"' || s[i] == '\\')) {
            out[o++] = '\\', out[o++] = (char)s[i];
        } else if (kind == ES_PLAIN) {
            memcpy(out + o, s + i, len);
            o += len;
        } else if (kind == ES_CONTROL && (cp == '\t' || cp == '\n' || cp == '\r')) {
            out[o++] = '\\', out[o++] = cp == '\t' ? 't' : cp == '\n' ? 'n' : 'r';
        } else if (kind == ES_CONTROL) {
            o += (size_t)sprintf(out + o, "\\u%c%c%c%c", hex[cp >> 12 & 15], hex[cp >> 8 & 15], hex[cp >> 4 & 15],
                                 hex[cp & 15]);
        } else {
            o += (size_t)sprintf(out + o, "\\\\x%c%c", hex[s[i] >> 4], hex[s[i] & 15]);
        }
    }
    out[o++] = '"';
    out[o] = '\0';
    return o;
}

/* jw_bytes by the reference: a string when valid UTF-8, else base64. */
static size_t ref_bytes(char *out, const uint8_t *s, size_t n)
{
    if (tx_utf8_valid(s, n)) return ref_string(out, s, n);
    size_t o = (size_t)sprintf(out, "{\"base64\":\"");
    tx_base64(s, n, 0, out + o);
    o += tx_base64_len(n, 0);
    return o + (size_t)sprintf(out + o, "\"}");
}

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}

/* Random text that meets every case of the rule: printable runs of any
 * length around the fast paths' blocks, quotes and backslashes every few
 * bytes (JSON values), controls, DEL, stray high bytes, and whole or cut
 * UTF-8 sequences (plain, C1, bidirectional, overlong, surrogate). No NUL
 * when `no_nul` (jw_str, jw_key take C strings). Returns its length. */
static size_t random_text(uint8_t *b, size_t cap, bool no_nul)
{
    static const char *const seq[] = {
        "\xc3\xa9", "\xc2\xa0", "\xc2\x80", "\xc2\x9b", "\xc2\x9f", "\xd8\x9c", "\xd8\x9d", "\xe2\x80\x8e",
        "\xe2\x80\x8f", "\xe2\x80\xaa", "\xe2\x80\xae", "\xe2\x80\xaf", "\xe2\x81\xa6", "\xe2\x81\xa9",
        "\xe2\x81\xaa", "\xe2\x82\xac", "\xe0\xa0\x80", "\xe0\x80\x80", "\xed\x9f\xbf", "\xed\xa0\x80",
        "\xef\xbf\xbf", "\xf0\x9f\x98\x80", "\xf0\x80\x80\x80", "\xf4\x8f\xbf\xbf", "\xf4\x90\x80\x80",
        "\xe2\x80", "\xf0\x9f\x98", "\xc3", "\xc0\xaf", "\xc1\xbf", "\xf5\x80\x80\x80", "\xff", "\x80",
    };
    size_t n = rnd() % (cap < 90 ? cap : 90), i = 0;
    while (i < n) {
        uint32_t r = rnd() % 100;
        if (r < 45) { /* a printable run */
            size_t run = rnd() % 40;
            for (size_t j = 0; j < run && i < n; j++) b[i++] = (uint8_t)(0x20 + rnd() % 95);
        } else if (r < 60) {
            b[i++] = '"';
        } else if (r < 65) {
            b[i++] = '\\';
        } else if (r < 72) {
            b[i++] = (uint8_t)(rnd() % 32);
        } else if (r < 75) {
            b[i++] = 0x7f;
        } else if (r < 82) {
            b[i++] = (uint8_t)(0x80 + rnd() % 128);
        } else {
            const char *s = seq[rnd() % (sizeof seq / sizeof *seq)];
            for (size_t j = 0; s[j] && i < n; j++) b[i++] = (uint8_t)s[j];
        }
    }
    for (size_t j = 0; no_nul && j < n; j++)
        if (b[j] == 0) b[j] = 'z';
    return n;
}

/* Strings, keys and bytes of random text, alone and inside objects and
 * arrays (where bytes that are not UTF-8 undo a string begun, comma and
 * all), each the reference's text byte for byte. */
static void test_random_against_reference(void)
{
    jw w;
    jw_init(&w);
    static uint8_t in[128], in2[128];
    static char want[2048];
    for (int iter = 0; iter < 200000; iter++) {
        size_t n = random_text(in, sizeof in - 1, iter % 2 == 0);
        size_t n2 = random_text(in2, sizeof in2 - 1, iter % 2 == 0);
        if (iter % 2 == 0) {
            in[n] = '\0';
            in2[n2] = '\0';
            ONE(w, jw_str(&w, (const char *)in));
            ref_string(want, in, n);
            KT_EQ_STR(w.buf, want);
            ONE(w, (jw_obj_begin(&w), jw_kstr(&w, (const char *)in, (const char *)in2), jw_obj_end(&w)));
            size_t o = 0;
            want[o++] = '{';
            o += ref_string(want + o, in, n);
            want[o++] = ':';
            o += ref_string(want + o, in2, n2);
            strcpy(want + o, "}");
            KT_EQ_STR(w.buf, want);
        }
        ONE(w, jw_bytes(&w, in, (int64_t)n));
        ref_bytes(want, in, n);
        KT_EQ_STR(w.buf, want);
        /* [x,bytes,bytes] and {"k":bytes,"v":[bytes]}: commas where they belong. */
        ONE(w, (jw_arr_begin(&w), (iter % 3 ? jw_int(&w, 1) : (void)0), jw_bytes(&w, in, (int64_t)n),
                jw_bytes(&w, in2, (int64_t)n2), jw_arr_end(&w)));
        size_t o = (size_t)sprintf(want, "[%s", iter % 3 ? "1," : "");
        o += ref_bytes(want + o, in, n);
        want[o++] = ',';
        o += ref_bytes(want + o, in2, n2);
        strcpy(want + o, "]");
        KT_EQ_STR(w.buf, want);
        ONE(w, (jw_obj_begin(&w), jw_key(&w, "k"), jw_bytes(&w, in, (int64_t)n), jw_key(&w, "v"), jw_arr_begin(&w),
                jw_bytes(&w, in2, (int64_t)n2), jw_arr_end(&w), jw_obj_end(&w)));
        o = (size_t)sprintf(want, "{\"k\":");
        o += ref_bytes(want + o, in, n);
        o += (size_t)sprintf(want + o, ",\"v\":[");
        o += ref_bytes(want + o, in2, n2);
        strcpy(want + o, "]}");
        KT_EQ_STR(w.buf, want);
    }
    jw_free(&w);
}

int main(void)
{
    KT_RUN(test_numbers);
    KT_RUN(test_escapes_everywhere);
    KT_RUN(test_utf8);
    KT_RUN(test_hostile_strings);
    KT_RUN(test_random_against_reference);
    return kt_done();
}
