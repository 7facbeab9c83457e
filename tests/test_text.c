/*
 * test_text.c - reader/text: UTF-8 validation (with the maximal subparts
 * Java's decoder replaces), base64 (RFC 4648 section 10 vectors, both
 * alphabets, with and without padding) and UTC time text.
 */
#include "kt.h"

#include "reader/text.h"

#define U(s) (const uint8_t *)(s), sizeof(s) - 1

/* One sequence at the start of a buffer: its length, or 0 and the skip. */
static void seq(const char *s, size_t n, size_t want, size_t want_skip)
{
    size_t skip = 99;
    KT_EQ_UINT(tx_utf8_seq((const uint8_t *)s, n, &skip), want);
    KT_EQ_UINT(skip, want ? 99 : want_skip);
    KT_EQ_UINT(tx_utf8_seq((const uint8_t *)s, n, NULL), want); /* skip may be NULL */
}

static void test_utf8_seq(void)
{
    /* Well-formed, 1 to 4 bytes, at the edges of each range of Table 3-7. */
    seq("\x00", 1, 1, 0);             /* U+0000: well-formed; decode.c replaces it itself */
    seq("A", 1, 1, 0);
    seq("\x7f", 1, 1, 0);
    seq("\xc2\x80", 2, 2, 0);         /* U+0080 */
    seq("\xdf\xbf", 2, 2, 0);         /* U+07FF */
    seq("\xe0\xa0\x80", 3, 3, 0);     /* U+0800 */
    seq("\xe2\x82\xac", 3, 3, 0);     /* U+20AC euro */
    seq("\xed\x9f\xbf", 3, 3, 0);     /* U+D7FF, just below the surrogates */
    seq("\xee\x80\x80", 3, 3, 0);     /* U+E000, just above */
    seq("\xef\xbf\xbf", 3, 3, 0);     /* U+FFFF */
    seq("\xf0\x90\x80\x80", 4, 4, 0); /* U+10000 */
    seq("\xf0\x9f\x98\x80", 4, 4, 0); /* U+1F600 */
    seq("\xf4\x8f\xbf\xbf", 4, 4, 0); /* U+10FFFF */
    seq("\xe2\x82\xac!", 4, 3, 0);    /* only the first sequence counts */

    /* Never a lead byte: skip one. */
    seq("\x80", 1, 0, 1);
    seq("\xbf", 1, 0, 1);
    seq("\xc0\xaf", 2, 0, 1);         /* overlong '/' */
    seq("\xc1\xbf", 2, 0, 1);         /* overlong U+007F */
    seq("\xf5\x80\x80\x80", 4, 0, 1); /* would be above U+10FFFF */
    seq("\xf8\x88\x80\x80\x80", 5, 0, 1);
    seq("\xff", 1, 0, 1);

    /* Overlong 3 and 4 byte forms, surrogates, above U+10FFFF: the second
     * byte is out of its lead's range, so the maximal subpart is the lead. */
    seq("\xe0\x80\xaf", 3, 0, 1);
    seq("\xe0\x9f\xbf", 3, 0, 1);
    seq("\xf0\x80\x80\xaf", 4, 0, 1);
    seq("\xf0\x8f\xbf\xbf", 4, 0, 1);
    seq("\xed\xa0\x80", 3, 0, 1);     /* U+D800 */
    seq("\xed\xbf\xbf", 3, 0, 1);     /* U+DFFF */
    seq("\xf4\x90\x80\x80", 4, 0, 1); /* U+110000 */

    /* Truncated, by a bad continuation or by the end of the buffer: the
     * subpart so far is skipped as one. */
    seq("\xc3", 1, 0, 1);
    seq("\xc3(", 2, 0, 1);
    seq("\xe2\x82", 2, 0, 2);
    seq("\xe2\x82(", 3, 0, 2);
    seq("\xf0\x9f\x98", 3, 0, 3);
    seq("\xf0\x9f\x98(", 4, 0, 3);
    seq("\xf0\x9f", 2, 0, 2);
    seq("\xe2\x82\xac", 2, 0, 2);     /* whole in memory, but n says 2 */
}

static void test_utf8_buffers(void)
{
    KT_CHECK(tx_utf8_valid(NULL, 0));
    KT_CHECK(tx_utf8_valid(U("plain ascii text, long enough for the fast path")));
    KT_CHECK(tx_utf8_valid(U("caf\xc3\xa9 \xe2\x82\xac and \xf0\x9f\x98\x80 here")));
    KT_CHECK(tx_utf8_valid(U("nul \x00 inside")));
    KT_CHECK(!tx_utf8_valid(U("\xed\xa0\x80")));
    KT_CHECK(!tx_utf8_valid(U("\xc0\xaf")));
    KT_CHECK(!tx_utf8_valid(U("\xf4\x90\x80\x80")));
    KT_CHECK(!tx_utf8_valid(U("abc\xe2\x82")));

    /* The first bad byte is found at every position around the eight-byte
     * ASCII steps, and a good multi-byte sequence anywhere passes. */
    for (size_t at = 0; at < 24; at++) {
        uint8_t b[24];
        memset(b, 'x', sizeof b);
        b[at] = 0xff;
        KT_EQ_UINT(tx_utf8_span(b, sizeof b), at);
        KT_CHECK(!tx_utf8_valid(b, sizeof b));
        KT_EQ_UINT(tx_utf8_span(b, at), at); /* the prefix before it is valid */
        if (at + 2 <= sizeof b) {
            b[at] = 0xc3, b[at + 1] = 0xa9;
            KT_EQ_UINT(tx_utf8_span(b, sizeof b), sizeof b);
            KT_EQ_UINT(tx_utf8_span(b, at + 1), at); /* cut in the middle */
        }
    }
}

static void b64(const char *in, size_t n, unsigned flags, const char *want)
{
    char out[64];
    memset(out, '#', sizeof out);
    KT_EQ_UINT(tx_base64_len(n, flags), strlen(want));
    KT_EQ_UINT(tx_base64((const uint8_t *)in, n, flags, out), strlen(want));
    KT_EQ_STR(out, want);
}

static void test_base64(void)
{
    /* RFC 4648 section 10. */
    static const char *const vec[][2] = {
        { "", "" },         { "f", "Zg==" },        { "fo", "Zm8=" },         { "foo", "Zm9v" },
        { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
    };
    static const char *const nopad[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
    for (size_t i = 0; i < sizeof vec / sizeof *vec; i++) {
        size_t n = strlen(vec[i][0]);
        b64(vec[i][0], n, 0, vec[i][1]);
        b64(vec[i][0], n, TX_B64_URL, vec[i][1]); /* no 62/63 in these */
        b64(vec[i][0], n, TX_B64_NOPAD, nopad[i]);
        b64(vec[i][0], n, TX_B64_URL | TX_B64_NOPAD, nopad[i]);
    }

    /* Values 62 and 63: the only difference between the alphabets. */
    b64("\xfb\xff\xbf", 3, 0, "+/+/");
    b64("\xfb\xff\xbf", 3, TX_B64_URL, "-_-_");
    b64("\xff", 1, 0, "/w==");
    b64("\xff", 1, TX_B64_URL, "_w==");
    b64("\xff\xfe", 2, TX_B64_URL | TX_B64_NOPAD, "__4");
    b64("\x00\x00\x00", 3, 0, "AAAA");

    /* A UUID as Kafka's Uuid.toString writes it: 22 characters. */
    b64("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f", 16, TX_B64_URL | TX_B64_NOPAD,
        "AAECAwQFBgcICQoLDA0ODw");
    b64("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 16, TX_B64_URL | TX_B64_NOPAD,
        "_____________________w");
}

static void tm_is(int64_t ms, unsigned shape, const char *want)
{
    char buf[TX_TIME_MAX];
    KT_EQ_UINT(tx_time_utc(ms, shape, buf, sizeof buf), strlen(want));
    KT_EQ_STR(buf, want);
}

static void test_times(void)
{
    /* The four shapes, at the epoch. */
    tm_is(0, 0, "1970-01-01T00:00:00Z");
    tm_is(0, TX_TIME_MS, "1970-01-01T00:00:00.000Z");
    tm_is(0, TX_TIME_SPACE, "1970-01-01 00:00:00Z");
    tm_is(0, TX_TIME_SPACE | TX_TIME_MS, "1970-01-01 00:00:00.000Z");

    /* Milliseconds are truncated into the second, never rounded up. */
    tm_is(999, TX_TIME_MS, "1970-01-01T00:00:00.999Z");
    tm_is(999, 0, "1970-01-01T00:00:00Z");
    tm_is(1000, TX_TIME_MS, "1970-01-01T00:00:01.000Z");
    tm_is(1706702400000, TX_TIME_MS, "2024-01-31T12:00:00.000Z");
    tm_is(1706702400001, TX_TIME_MS, "2024-01-31T12:00:00.001Z");

    /* Leap days: 2024 and 2000 have one, 1900 and 2100 do not. */
    tm_is(1709164800000, TX_TIME_MS, "2024-02-29T00:00:00.000Z");
    tm_is(1709251199999, TX_TIME_SPACE | TX_TIME_MS, "2024-02-29 23:59:59.999Z");
    tm_is(1709251200000, 0, "2024-03-01T00:00:00Z");
    tm_is(951782400000, 0, "2000-02-29T00:00:00Z");
    tm_is(4107542400000, 0, "2100-03-01T00:00:00Z");

    /* Negative: counted back from the epoch (callers that mean "unknown"
     * test for it before calling). */
    tm_is(-1, TX_TIME_MS, "1969-12-31T23:59:59.999Z");
    tm_is(-1000, TX_TIME_MS, "1969-12-31T23:59:59.000Z");
    tm_is(-1001, TX_TIME_MS, "1969-12-31T23:59:58.999Z");
    tm_is(-2208988800000, 0, "1900-01-01T00:00:00Z");

    /* The last four-digit year, then more digits. */
    tm_is(253402300799999, TX_TIME_MS, "9999-12-31T23:59:59.999Z");
    tm_is(253402300800000, TX_TIME_SPACE, "10000-01-01 00:00:00Z");
    tm_is(INT64_MAX, TX_TIME_SPACE | TX_TIME_MS, "292278994-08-17 07:12:55.807Z");

    /* A buffer too small gives "" and 0, never a cut time. */
    char small[21]; /* "1970-01-01T00:00:00Z" and its NUL */
    KT_EQ_UINT(tx_time_utc(0, TX_TIME_MS, small, sizeof small), 0);
    KT_EQ_STR(small, "");
    KT_EQ_UINT(tx_time_utc(0, 0, small, sizeof small - 1), 0);
    KT_EQ_STR(small, "");
    KT_EQ_UINT(tx_time_utc(0, 0, small, 0), 0);
    KT_EQ_UINT(tx_time_utc(0, 0, small, sizeof small), 20);
    KT_EQ_STR(small, "1970-01-01T00:00:00Z");
}

int main(void)
{
    KT_RUN(test_utf8_seq);
    KT_RUN(test_utf8_buffers);
    KT_RUN(test_base64);
    KT_RUN(test_times);
    return kt_done();
}
