/*
 * test_escape.c - report/escape.h, the one rule for what text from the data
 * may reach an output as it is: its units (every C0, C1 and bidirectional
 * control, DEL, every byte that is not UTF-8) and its text form (\xNN).
 */
#include "kt.h"

#include <stdbool.h>

#include "reader/text.h"
#include "report/escape.h"
#include "report/jsonw.h"

/* es_fwrite of n bytes, as a C string into out (cap bytes). */
static const char *text_form(const void *p, size_t n, char *out, size_t cap)
{
    FILE *f = fmemopen(out, cap, "w");
    if (!f) return "(fmemopen failed)";
    int rc = es_fwrite(p, n, f);
    fclose(f);
    return rc == 0 ? out : "(es_fwrite failed)";
}

static void test_units(void)
{
    static const struct { const char *in; size_t n; int kind; size_t len; uint32_t cp; } c[] = {
        { "a", 1, ES_PLAIN, 1, 'a' },
        { " ", 1, ES_PLAIN, 1, ' ' },
        { "~", 1, ES_PLAIN, 1, '~' },
        { "\\", 1, ES_PLAIN, 1, '\\' },
        { "", 1, ES_CONTROL, 1, 0 }, /* NUL */
        { "\t", 1, ES_CONTROL, 1, '\t' },
        { "\n", 1, ES_CONTROL, 1, '\n' },
        { "\x1b", 1, ES_CONTROL, 1, 0x1b },
        { "\x1f", 1, ES_CONTROL, 1, 0x1f },
        { "\x7f", 1, ES_CONTROL, 1, 0x7f },
        { "\xc2\x80", 2, ES_CONTROL, 2, 0x80 },
        { "\xc2\x9b", 2, ES_CONTROL, 2, 0x9b },
        { "\xc2\x9f", 2, ES_CONTROL, 2, 0x9f },
        { "\xc2\xa0", 2, ES_PLAIN, 2, 0xa0 },
        { "\xc3\xa9", 2, ES_PLAIN, 2, 0xe9 },
        { "\xd8\x9c", 2, ES_CONTROL, 2, 0x061c },
        { "\xd8\x9b", 2, ES_PLAIN, 2, 0x061b },
        { "\xe2\x80\x8d", 3, ES_PLAIN, 3, 0x200d },
        { "\xe2\x80\x8e", 3, ES_CONTROL, 3, 0x200e },
        { "\xe2\x80\x8f", 3, ES_CONTROL, 3, 0x200f },
        { "\xe2\x80\xa9", 3, ES_PLAIN, 3, 0x2029 },
        { "\xe2\x80\xaa", 3, ES_CONTROL, 3, 0x202a },
        { "\xe2\x80\xae", 3, ES_CONTROL, 3, 0x202e },
        { "\xe2\x80\xaf", 3, ES_PLAIN, 3, 0x202f },
        { "\xe2\x81\xa5", 3, ES_PLAIN, 3, 0x2065 },
        { "\xe2\x81\xa6", 3, ES_CONTROL, 3, 0x2066 },
        { "\xe2\x81\xa9", 3, ES_CONTROL, 3, 0x2069 },
        { "\xe2\x81\xaa", 3, ES_PLAIN, 3, 0x206a },
        { "\xf0\x9f\x98\x80", 4, ES_PLAIN, 4, 0x1f600 },
        { "\xf4\x8f\xbf\xbf", 4, ES_PLAIN, 4, 0x10ffff },
        { "\x9b", 1, ES_INVALID, 1, 0x9b },       /* C1 CSI as a raw byte */
        { "\x80", 1, ES_INVALID, 1, 0x80 },
        { "\xff", 1, ES_INVALID, 1, 0xff },
        { "\xc0\xaf", 2, ES_INVALID, 1, 0xc0 },   /* overlong */
        { "\xed\xa0\x80", 3, ES_INVALID, 1, 0xed }, /* a surrogate */
        { "\xe2\x80", 2, ES_INVALID, 1, 0xe2 },   /* cut short by the end */
        { "\xe2\x80" "a", 3, ES_INVALID, 1, 0xe2 }, /* cut short by ASCII */
        { "\xf4\x90\x80\x80", 4, ES_INVALID, 1, 0xf4 }, /* past U+10FFFF */
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        size_t len = 99;
        uint32_t cp = 99;
        int kind = es_unit((const uint8_t *)c[i].in, c[i].n, &len, &cp);
        KT_EQ_INT(kind, c[i].kind);
        KT_EQ_INT(len, c[i].len);
        KT_EQ_UINT(cp, c[i].cp);
    }
}

static void test_every_code_point(void)
{
    /* Every Unicode scalar value through its UTF-8 form: escaped exactly
     * when it is one the rule lists. */
    size_t controls = 0;
    for (uint32_t u = 0; u <= 0x10ffff; u++) {
        if (u >= 0xd800 && u <= 0xdfff) continue;
        uint8_t b[4];
        size_t n = u < 0x80 ? (b[0] = (uint8_t)u, 1)
                   : u < 0x800 ? (b[0] = (uint8_t)(0xc0 | u >> 6), b[1] = (uint8_t)(0x80 | (u & 0x3f)), 2)
                   : u < 0x10000 ? (b[0] = (uint8_t)(0xe0 | u >> 12), b[1] = (uint8_t)(0x80 | (u >> 6 & 0x3f)),
                                    b[2] = (uint8_t)(0x80 | (u & 0x3f)), 3)
                                 : (b[0] = (uint8_t)(0xf0 | u >> 18), b[1] = (uint8_t)(0x80 | (u >> 12 & 0x3f)),
                                    b[2] = (uint8_t)(0x80 | (u >> 6 & 0x3f)), b[3] = (uint8_t)(0x80 | (u & 0x3f)), 4);
        size_t len;
        uint32_t cp;
        int kind = es_unit(b, n, &len, &cp);
        bool listed = u < 0x20 || (u >= 0x7f && u <= 0x9f) || u == 0x061c || u == 0x200e || u == 0x200f ||
                      (u >= 0x202a && u <= 0x202e) || (u >= 0x2066 && u <= 0x2069);
        if (kind != (listed ? ES_CONTROL : ES_PLAIN) || len != n || cp != u) {
            KT_FAIL_("U+%04X: kind %d, len %zu, cp %X", (unsigned)u, kind, len, (unsigned)cp);
            break;
        }
        controls += listed;
    }
    KT_EQ_INT(controls, 32 + 33 + 1 + 2 + 5 + 4);
}

static void test_plain_span(void)
{
    KT_EQ_INT(es_plain_span((const uint8_t *)"orders-0", 8), 8);
    KT_EQ_INT(es_plain_span((const uint8_t *)"caf\xc3\xa9 \xe2\x82\xac", 9), 9);
    KT_EQ_INT(es_plain_span((const uint8_t *)"esc\x1b[2J", 7), 3);
    KT_EQ_INT(es_plain_span((const uint8_t *)"rlo\xe2\x80\xae", 6), 3);
    KT_EQ_INT(es_plain_span((const uint8_t *)"bad\xff", 4), 3);
    KT_EQ_INT(es_plain_span((const uint8_t *)"tab\there", 8), 3);
    KT_EQ_INT(es_plain_span((const uint8_t *)"", 0), 0);
}

static void test_text_form(void)
{
    char out[256];
    static const struct { const char *in; size_t n; const char *out; } c[] = {
        { "orders-0", 8, "orders-0" },
        { "caf\xc3\xa9-0", 7, "caf\xc3\xa9-0" },
        { "esc\x1b[2J-0", 9, "esc\\x1b[2J-0" },
        { "tit\x1b]0;title\x07-0", 15, "tit\\x1b]0;title\\x07-0" },
        { "rlo\xe2\x80\xae" "evil-0", 12, "rlo\\xe2\\x80\\xaeevil-0" },
        { "c1\xc2\x9b" "31m-0", 9, "c1\\xc2\\x9b31m-0" },
        { "raw\x9b" "31m-0", 9, "raw\\x9b31m-0" },
        { "bad\xff\xfe-0", 7, "bad\\xff\\xfe-0" },
        { "new\nline-0", 10, "new\\x0aline-0" },
        { "nul\0x", 5, "nul\\x00x" },
        { "del\x7f", 4, "del\\x7f" },
        { "cut\xe2\x80", 5, "cut\\xe2\\x80" },
        { "alm\xd8\x9c", 5, "alm\\xd8\\x9c" },
        { "back\\slash", 10, "back\\slash" }, /* not escaped: see escape.h */
        { "sp ace", 6, "sp ace" },
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) KT_EQ_STR(text_form(c[i].in, c[i].n, out, sizeof out), c[i].out);
    char hex[ES_HEX_MAX];
    KT_EQ_INT(es_hex(0x9b, hex), 4);
    KT_EQ_STR(hex, "\\x9b");
    FILE *f = fmemopen(out, sizeof out, "w");
    KT_REQUIRE(f != NULL);
    KT_EQ_INT(es_fputs("a\x1b" "b", f), 0);
    KT_EQ_INT(es_fputs(NULL, f), 0);
    fclose(f);
    KT_EQ_STR(out, "a\\x1bb");
}

/* A failed write is said. */
static void test_write_failure(void)
{
    FILE *f = fopen("/dev/full", "w");
    KT_REQUIRE(f != NULL);
    setvbuf(f, NULL, _IONBF, 0);
    KT_EQ_INT(es_fputs("plain", f), EOF);
    KT_EQ_INT(es_fputs("\x1b", f), EOF);
    fclose(f);
}

/* Random strings made of pieces the rule cares about: the text form is all
 * plain units, reads back to the input (when it holds no '\\'), and the
 * JSON writer's string is well-formed UTF-8 with nothing raw either. */
static void test_random_strings(void)
{
    static const char *piece[] = { "a", "Z", " ", "\\", "\"", "\x1b", "[2J", "\x07", "\n", "\t", "\x7f",
                                   "\xc2\x9b", "\x9b", "\xc2", "\xe2\x80\xae", "\xe2\x80", "\xe2\x81\xa6",
                                   "\xd8\x9c", "\xff", "\xfe", "\xc3\xa9", "\xf0\x9f\x98\x80", "\xf0\x9f",
                                   "\xed\xa0\x80", "\xc0\xaf", "\xe2\x82\xac" };
    const size_t npiece = sizeof piece / sizeof *piece;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    int bad = 0;
    jw w;
    jw_init(&w);
    for (int round = 0; round < 20000 && !bad; round++) {
        char in[256], out[1200];
        size_t n = 0;
        for (int k = (int)(x % 12); k >= 0; k--) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
            const char *q = piece[x % npiece];
            memcpy(in + n, q, strlen(q));
            n += strlen(q);
        }
        in[n] = '\0';
        FILE *f = fmemopen(out, sizeof out, "w");
        if (!f || es_fwrite(in, n, f) != 0) bad = 1;
        if (f) fclose(f);
        size_t m = strlen(out);
        if (es_plain_span((const uint8_t *)out, m) != m) bad = 2;
        if (!memchr(in, '\\', n)) { /* \xNN back to its byte */
            char back[256];
            size_t b = 0;
            for (size_t i = 0; i < m; b++)
                if (out[i] == '\\') back[b] = (char)strtol((char[3]){ out[i + 2], out[i + 3], 0 }, NULL, 16), i += 4;
                else back[b] = out[i++];
            if (b != n || memcmp(back, in, n) != 0) bad = 3;
        }
        jw_free(&w);
        jw_init(&w);
        jw_str(&w, in);
        if (w.oom || !tx_utf8_valid((const uint8_t *)w.buf, w.len) ||
            es_plain_span((const uint8_t *)w.buf, w.len) != w.len)
            bad = 4;
        if (bad) KT_FAIL_("round %d, rule %d: input of %zu bytes", round, bad, n);
    }
    KT_EQ_INT(bad, 0);
    jw_free(&w);
}

/* One of the format escapers (es_md_text, es_md_code, es_prom_label) of s
 * into out, as a C string. */
static const char *escaped(int (*fn)(const char *, FILE *), const char *s, char *out, size_t cap)
{
    memset(out, 0, cap); /* fmemopen ends what it wrote with a NUL, but writes none for nothing */
    FILE *f = fmemopen(out, cap, "w");
    if (!f) return "(fmemopen failed)";
    int rc = fn(s, f);
    fclose(f);
    return rc == 0 ? out : "(failed)";
}

/* Markdown text: the text form, its \xNN as \\xNN, and every character of
 * Markdown's (GFM's, GitLab's) inline syntax behind a backslash. */
static void test_markdown_text(void)
{
    char out[512];
    static const struct { const char *in, *out; } c[] = {
        { "orders-0", "orders-0" },
        { "a|b", "a\\|b" },
        { "`x`", "\\`x\\`" },
        { "*em* _u_ ~~s~~", "\\*em\\* \\_u\\_ \\~\\~s\\~\\~" },
        { "[x](http://e)", "\\[x\\](http\\://e)" },
        { "<b>&#8238;", "\\<b\\>\\&#8238;" },
        { "$m$ {+d+}", "\\$m\\$ \\{+d+\\}" },
        { "back\\slash", "back\\\\slash" },
        { "new\nline\x1b[2J", "new\\\\x0aline\\\\x1b\\[2J" },
        { "rlo\xe2\x80\xae" "x\xff", "rlo\\\\xe2\\\\x80\\\\xaex\\\\xff" },
        { "caf\xc3\xa9 #1 @u", "caf\xc3\xa9 #1 @u" },
        { "", "" },
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) KT_EQ_STR(escaped(es_md_text, c[i].in, out, sizeof out), c[i].out);
    KT_EQ_STR(escaped(es_md_text, NULL, out, sizeof out), "");
}

/* A code span: fenced past its backticks, '|' as '/', the text form. */
static void test_markdown_code(void)
{
    char out[512];
    static const struct { const char *in, *out; } c[] = {
        { "v", "` v `" },
        { "a`b", "`` a`b ``" },
        { "``x`", "``` ``x` ```" },
        { "p|q", "` p/q `" },
        { "*x* <b>", "` *x* <b> `" },
        { "e\x1b\n", "` e\\x1b\\x0a `" },
        { "", "`  `" },
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) KT_EQ_STR(escaped(es_md_code, c[i].in, out, sizeof out), c[i].out);
}

/* A Prometheus label value: \\, \" and \n, the rest of what is not plain
 * in the text form with its backslash escaped; valid UTF-8, no control. */
static void test_prometheus_label(void)
{
    char out[512];
    static const struct { const char *in, *out; } c[] = {
        { "orders", "orders" },
        { "q\"uo\"te", "q\\\"uo\\\"te" },
        { "back\\slash", "back\\\\slash" },
        { "new\nline", "new\\nline" },
        { "esc\x1b[2J\ttab", "esc\\\\x1b[2J\\\\x09tab" },
        { "rlo\xe2\x80\xae" "x", "rlo\\\\xe2\\\\x80\\\\xaex" },
        { "bad\xff", "bad\\\\xff" },
        { "caf\xc3\xa9 {a=\"b\"}", "caf\xc3\xa9 {a=\\\"b\\\"}" },
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        const char *got = escaped(es_prom_label, c[i].in, out, sizeof out);
        KT_EQ_STR(got, c[i].out);
        KT_CHECK(tx_utf8_valid((const uint8_t *)got, strlen(got)) && es_plain_span((const uint8_t *)got, strlen(got)) == strlen(got));
    }
    KT_EQ_STR(escaped(es_prom_label, NULL, out, sizeof out), "");
    FILE *f = fopen("/dev/full", "w");
    KT_REQUIRE(f != NULL);
    setvbuf(f, NULL, _IONBF, 0);
    KT_EQ_INT(es_prom_label("x\n", f), EOF);
    KT_EQ_INT(es_md_text("a|b", f), EOF);
    KT_EQ_INT(es_md_code("a", f), EOF);
    fclose(f);
}

int main(void)
{
    KT_RUN(test_units);
    KT_RUN(test_every_code_point);
    KT_RUN(test_plain_span);
    KT_RUN(test_text_form);
    KT_RUN(test_write_failure);
    KT_RUN(test_random_strings);
    KT_RUN(test_markdown_text);
    KT_RUN(test_markdown_code);
    KT_RUN(test_prometheus_label);
    return kt_done();
}
