/*
 * test_batch.c - cursor varints, sequence arithmetic, and kb_* over batches
 * encoded by kafka-python 2.0.2 (the independent encoder; the hex literals
 * below were printed by its DefaultRecordBatchBuilder and
 * LegacyRecordBatchBuilder, see the comment at each one).
 */
#include <stdlib.h>

#include "kt.h"
#include "reader/batch.h"
#include "reader/crc.h"

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = strlen(h) / 2;
    if (n > cap) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

/* Examples of formats doc 1.7. */
static void test_varint_examples(void)
{
    static const struct { const char *hex; int32_t v; } cases[] = {
        { "00", 0 }, { "01", -1 }, { "02", 1 }, { "7f", -64 }, { "8001", 64 }, { "d804", 300 },
        { "feffffff0f", INT32_MAX }, { "ffffffff0f", INT32_MIN },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint8_t b[8];
        size_t n = unhex(cases[i].hex, b, sizeof b);
        kcur c = kcur_make(b, n);
        int32_t v = 12345;
        KT_CHECK(kcur_varint(&c, &v));
        KT_EQ_INT(v, cases[i].v);
        KT_EQ_INT(kcur_left(&c), 0);
    }
}

static void test_varint_bounds(void)
{
    uint8_t six[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }; /* continuation on byte 5 */
    uint8_t big[] = { 0xff, 0xff, 0xff, 0xff, 0x1f };        /* 33 bits */
    uint8_t cut[] = { 0x80, 0x80 };                          /* ends mid-varint */
    int32_t v;
    kcur c = kcur_make(six, sizeof six);
    KT_CHECK(!kcur_varint(&c, &v));
    KT_CHECK(c.p == six); /* a failed read does not move */
    c = kcur_make(big, sizeof big);
    KT_CHECK(!kcur_varint(&c, &v));
    c = kcur_make(cut, sizeof cut);
    KT_CHECK(!kcur_varint(&c, &v));
    uint8_t l[10] = { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
    int64_t lv;
    c = kcur_make(l, sizeof l);
    KT_CHECK(kcur_varlong(&c, &lv));
    KT_EQ_INT(lv, INT64_MAX);
    l[9] = 0x02; /* bit 64 */
    c = kcur_make(l, sizeof l);
    KT_CHECK(!kcur_varlong(&c, &lv));
}

/* formats doc 1.8: after 2147483647 comes 0. */
static void test_sequence_wrap(void)
{
    KT_EQ_INT(kb_seq_add(0, 4), 4);
    KT_EQ_INT(kb_seq_add(INT32_MAX, 1), 0);
    KT_EQ_INT(kb_seq_add(2147483645, 4), 1);
    KT_EQ_INT(kb_seq_add(0, -1), INT32_MAX);  /* dec(0, 1) */
    KT_EQ_INT(kb_seq_add(1, -4), 2147483645); /* dec(1, 4) */
    KT_EQ_INT(kb_seq_add(5, 0), 5);
}

/* kafka-python: DefaultRecordBatchBuilder(magic=2, codec none, producer_id=42,
 * producer_epoch=3, base_sequence=2147483646); records
 * (0, 1700000000000, b"k1", b"hello", [("h1", b"v1"), ("h2", None)]),
 * (1, 1700000000005, None, None, []), (2, 1700000000009, b"", b"\x00\xff", []). */
static const char V2_NONE[] =
    "00000000000000000000005900000000022157dc150000000000020000018bcfe568000000018bcfe56809000000000000002a"
    "00037ffffffe000000032e000000046b310a68656c6c6f04046831047631046832010c000a0201010010001204000400ff00";

static void test_v2_uncompressed(void)
{
    uint8_t buf[256];
    size_t n = unhex(V2_NONE, buf, sizeof buf);
    kb_batch b;
    ke_error e;
    KT_REQUIRE_EQ_INT(kb_parse(buf, n, 1000, &b, &e), 0);
    KT_EQ_INT(b.size, n);
    KT_EQ_INT(b.magic, 2);
    KT_CHECK(b.crc_valid);
    KT_EQ_UINT(b.crc, 0x2157dc15u);
    KT_EQ_INT(b.base_offset, 0);
    KT_EQ_INT(b.last_offset, 2);
    KT_EQ_INT(b.count, 3);
    KT_EQ_INT(b.producer_id, 42);
    KT_EQ_INT(b.producer_epoch, 3);
    KT_EQ_INT(b.base_sequence, 2147483646);
    KT_EQ_INT(b.last_sequence, 0); /* wraps */
    KT_EQ_INT(b.base_timestamp, 1700000000000);
    KT_EQ_INT(b.max_timestamp, 1700000000009);
    KT_EQ_INT(b.timestamp_type, KB_TS_CREATE);
    KT_EQ_INT(b.payload_pos, 1000 + 61);
    kb_iter it;
    KT_REQUIRE_EQ_INT(kb_iter_open(&it, &b, NULL, &e), 0);
    kb_record r;
    KT_REQUIRE_EQ_INT(kb_iter_next(&it, &r, &e), 1);
    KT_EQ_INT(r.offset, 0);
    KT_EQ_INT(r.sequence, 2147483646);
    KT_EQ_MEM(r.key, r.key_len, "k1", 2);
    KT_EQ_MEM(r.value, r.value_len, "hello", 5);
    KT_EQ_INT(r.header_count, 2);
    kcur hc = kcur_make(r.headers, r.headers_len);
    kb_header h;
    KT_REQUIRE(kb_header_next(&hc, &h));
    KT_EQ_MEM(h.key, h.key_len, "h1", 2);
    KT_EQ_MEM(h.value, h.value_len, "v1", 2);
    KT_REQUIRE(kb_header_next(&hc, &h));
    KT_EQ_MEM(h.key, h.key_len, "h2", 2);
    KT_CHECK(h.value == NULL && h.value_len == -1);
    KT_CHECK(!kb_header_next(&hc, &h));
    KT_REQUIRE_EQ_INT(kb_iter_next(&it, &r, &e), 1);
    KT_EQ_INT(r.offset, 1);
    KT_EQ_INT(r.timestamp, 1700000000005);
    KT_EQ_INT(r.sequence, 2147483647);
    KT_CHECK(r.key == NULL && r.key_len == -1 && r.value == NULL && r.value_len == -1);
    KT_REQUIRE_EQ_INT(kb_iter_next(&it, &r, &e), 1);
    KT_EQ_INT(r.sequence, 0);
    KT_EQ_INT(r.key_len, 0); /* empty, not null */
    KT_CHECK(r.key != NULL);
    KT_EQ_MEM(r.value, r.value_len, "\x00\xff", 2);
    KT_EQ_INT(kb_iter_next(&it, &r, &e), 0);
}

/* Every truncation of a good batch fails cleanly; every single-bit flip
 * either fails cleanly, or is caught by the CRC, or is in a field the CRC
 * does not cover (offset, length, leader epoch, magic, the CRC itself). */
static void test_v2_damage(void)
{
    uint8_t good[256], buf[256];
    size_t n = unhex(V2_NONE, good, sizeof good);
    kb_batch b;
    ke_error e;
    int short_ok = 0;
    for (size_t len = 0; len < n; len++) short_ok += kb_parse(good, len, 0, &b, &e) < 0;
    KT_EQ_INT(short_ok, n);
    int undetected = 0;
    for (size_t i = 21; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(buf, good, n);
            buf[i] ^= (uint8_t)(1 << bit);
            if (kb_parse(buf, n, 0, &b, &e) < 0 || !b.crc_valid) continue;
            undetected++;
        }
    }
    KT_EQ_INT(undetected, 0);
    /* The record area is still walked safely when the CRC is ignored. */
    for (size_t i = 61; i < n; i++) {
        memcpy(buf, good, n);
        buf[i] ^= 0x40;
        if (kb_parse(buf, n, 0, &b, &e) < 0) continue;
        kb_iter it;
        kb_record r;
        if (kb_iter_open(&it, &b, NULL, &e) < 0) continue;
        int rc, guard = 0;
        while ((rc = kb_iter_next(&it, &r, &e)) == 1 && guard < 10) guard++;
        KT_CHECK(guard < 10);
    }
}

/* kafka-python: DefaultRecordBatchBuilder, codec 1..4, 4 records
 * (i, 1700000000000+i, b"key-%d" % i, b"value " * 20). The LZ4 frame carries
 * a content size (FLG 0x68), the snappy payload is xerial-framed. */
static const char *V2_CODECS[4] = {
    "000000000000000000000076000000000213278db00001000000030000018bcfe568000000018bcfe56803ffffffffffffffffffffffffffff"
    "000000041f8b0800dc07036b02ffeb60626060e0ca4eadd435f8c0589698539aaa407f92a18389818909ec0ac38175050b0bd8154603eb0a3636b0"
    "2b8c07d015007a37b18a18020000",
    "00000000000000000000008c000000000236d4103a0002000000030000018bcfe568000000018bcfe56803ffffffffffffffffffffffffffff"
    "0000000482534e415050590000000001000000010000004798044888020000000a6b65792d30f00176616c756520fe0600c606001400880200"
    "020205860031fe8600f6860004040405860032fe8600f6860004060605860033fe8600ea8600",
    "0000000000000000000000880000000002c1537f550003000000030000018bcfe568000000018bcfe56803ffffffffffffffffffffffffffff"
    "0000000404224d1868401802000000000000f940000000ff0488020000000a6b65792d30f00176616c75652006005f6100880200020286001f31"
    "86006b21040486001f3286006b21060686001f33860063506c7565200000000000",
    "00000000000000000000007100000000029977d72c0004000000030000018bcfe568000000018bcfe56803ffffffffffffffffffffffffffff"
    "0000000428b52ffd601801b50100040288020000000a6b65792d30f00176616c75652000880200020231040432060633070018240104dc2031"
    "20b40d49248c50bea4250c",
};

static void test_v2_codecs(void)
{
    kc_ctx *dc = kc_create(0);
    char value[121];
    for (int i = 0; i < 20; i++) memcpy(value + 6 * i, "value ", 6);
    for (int codec = 1; codec <= 4; codec++) {
        uint8_t buf[512];
        size_t n = unhex(V2_CODECS[codec - 1], buf, sizeof buf);
        kb_batch b;
        ke_error e;
        KT_REQUIRE_EQ_INT(kb_parse(buf, n, 0, &b, &e), 0);
        KT_CHECK(b.crc_valid);
        KT_EQ_INT(b.codec, codec);
        KT_EQ_INT(b.count, 4);
        kb_iter it;
        KT_REQUIRE_EQ_INT(kb_iter_open(&it, &b, dc, &e), 0);
        kb_record r;
        for (int i = 0; i < 4; i++) {
            char key[16];
            snprintf(key, sizeof key, "key-%d", i);
            KT_REQUIRE_EQ_INT(kb_iter_next(&it, &r, &e), 1);
            KT_EQ_INT(r.offset, i);
            KT_EQ_INT(r.timestamp, 1700000000000 + i);
            KT_EQ_MEM(r.key, r.key_len, key, 5);
            KT_EQ_MEM(r.value, r.value_len, value, 120);
        }
        KT_EQ_INT(kb_iter_next(&it, &r, &e), 0);
    }
    kc_free(dc);
}

/* kafka-python: LegacyRecordBatchBuilder(magic=1, gzip): (0, 1600000000000,
 * b"a", b"one"), (1, 1600000000001, None, b"two"). Inner offsets relative. */
static const char V1_GZIP[] =
    "000000000000000000000057d73d344c01010000000000000000ffffffff000000411f8b0800d407036b02ff63608003a9b0f2ccc78c40066349"
    "7b5e03488431114830e7e7a5425580242527a7f518c25531fe070290a292f27c00f0c2d1694b000000";

/* kafka-python: LegacyRecordBatchBuilder(magic=0, lz4): (0, b"a", b"one"*10),
 * (1, b"b", b"two"*10). The frame carries the broken v0 header checksum. */
static const char V0_LZ4[] =
    "00000000000000000000005a60790a990003ffffffff0000004c04224d1860401a3d00000016000100512d2dbb710e0f009f0161000000"
    "1e6f6e65030008012900b00000010000002d83ac653f0d003000016239003f74776f03000350776f74776f00000000";

static void test_legacy_wrappers(void)
{
    kc_ctx *dc = kc_create(0);
    uint8_t buf[256];
    kb_batch b;
    kb_iter it;
    kb_record r;
    ke_error e;
    size_t n = unhex(V1_GZIP, buf, sizeof buf);
    /* A broker assigns the wrapper the absolute offset of its last inner
     * message: put the pair at offsets 100 and 101. */
    buf[7] = 101;
    KT_REQUIRE_EQ_INT(kb_parse(buf, n, 0, &b, &e), 0);
    KT_CHECK(b.crc_valid);
    KT_EQ_INT(b.magic, 1);
    KT_EQ_INT(b.codec, KC_GZIP);
    KT_REQUIRE_EQ_INT(kb_iter_open(&it, &b, dc, &e), 0);
    KT_EQ_INT(b.base_offset, 100);
    KT_EQ_INT(b.last_offset, 101);
    KT_EQ_INT(b.count, 2);
    KT_REQUIRE_EQ_INT(kb_iter_next(&it, &r, &e), 1);
    KT_EQ_INT(r.offset, 100);
    KT_EQ_INT(r.timestamp, 1600000000000);
    KT_EQ_MEM(r.key, r.key_len, "a", 1);
    KT_EQ_MEM(r.value, r.value_len, "one", 3);
    KT_CHECK(r.crc_valid);
    KT_REQUIRE_EQ_INT(kb_iter_next(&it, &r, &e), 1);
    KT_EQ_INT(r.offset, 101);
    KT_CHECK(r.key == NULL && r.key_len == -1);
    KT_EQ_INT(kb_iter_next(&it, &r, &e), 0);

    n = unhex(V0_LZ4, buf, sizeof buf);
    KT_REQUIRE_EQ_INT(kb_parse(buf, n, 0, &b, &e), 0);
    KT_CHECK(b.crc_valid);
    KT_EQ_INT(b.magic, 0);
    KT_EQ_INT(b.timestamp_type, KB_TS_NONE);
    KT_REQUIRE_EQ_INT(kb_iter_open(&it, &b, dc, &e), 0);
    KT_EQ_INT(b.count, 2);
    KT_REQUIRE_EQ_INT(kb_iter_next(&it, &r, &e), 1);
    KT_EQ_INT(r.timestamp, -1);
    KT_EQ_MEM(r.value, r.value_len, "oneoneoneoneoneoneoneoneoneone", 30);
    KT_REQUIRE_EQ_INT(kb_iter_next(&it, &r, &e), 1);
    KT_EQ_MEM(r.key, r.key_len, "b", 1);
    KT_EQ_INT(kb_iter_next(&it, &r, &e), 0);
    kc_free(dc);
}

/* Control record parsing: key 00 00 00 01 (v0, COMMIT), value 00 00 + epoch
 * (formats doc Appendix B). */
static void test_control(void)
{
    uint8_t key[] = { 0, 0, 0, 1 }, val[] = { 0, 0, 0, 0, 0, 15 };
    kb_record r = { 0 };
    r.key = key;
    r.key_len = 4;
    r.value = val;
    r.value_len = 6;
    int type;
    int32_t ep;
    ke_error e;
    KT_EQ_INT(kb_control_parse(&r, &type, &ep, &e), 0);
    KT_EQ_INT(type, KB_CTRL_COMMIT);
    KT_EQ_INT(ep, 15);
    KT_EQ_STR(kb_control_name(type), "COMMIT");
    key[3] = 0x80; /* unknown type: ignored, not an error */
    KT_EQ_INT(kb_control_parse(&r, &type, &ep, &e), 0);
    KT_EQ_INT(type, KB_CTRL_UNKNOWN);
    key[3] = 0;
    r.value_len = 5;
    KT_EQ_INT(kb_control_parse(&r, &type, &ep, &e), KE_CORRUPT);
    r.key_len = 3;
    KT_EQ_INT(kb_control_parse(&r, &type, &ep, &e), KE_CORRUPT);
}

/* Header-level rejections: size below 14, unknown magic, codec 5, negative
 * record count, a v2 batch shorter than its header. */
static void test_header_rejections(void)
{
    uint8_t buf[256];
    size_t n = unhex(V2_NONE, buf, sizeof buf);
    kb_batch b;
    ke_error e;
    uint8_t t[256];
    memcpy(t, buf, n);
    t[16] = 3;
    KT_EQ_INT(kb_parse(t, n, 0, &b, &e), KE_UNSUPPORTED);
    memcpy(t, buf, n);
    t[22] = 5; /* attributes low byte: codec 5 */
    KT_EQ_INT(kb_parse(t, n, 0, &b, &e), KE_CORRUPT);
    KT_EQ_INT(e.pos, 21);
    memcpy(t, buf, n);
    t[57] = 0xff; /* record count negative */
    KT_EQ_INT(kb_parse(t, n, 0, &b, &e), KE_CORRUPT);
    memcpy(t, buf, n);
    t[11] = 13; /* length 13 */
    KT_EQ_INT(kb_parse(t, n, 0, &b, &e), KE_CORRUPT);
    t[11] = 40; /* a v2 batch of 52 bytes < 61 */
    KT_EQ_INT(kb_parse(t, n, 0, &b, &e), KE_CORRUPT);
    /* count says 4 but there are 3 records: caught while walking */
    memcpy(t, buf, n);
    t[60] = 4;
    KT_REQUIRE_EQ_INT(kb_parse(t, n, 0, &b, &e), 0);
    kb_iter it;
    kb_record r;
    KT_REQUIRE_EQ_INT(kb_iter_open(&it, &b, NULL, &e), 0);
    int rc, k = 0;
    while ((rc = kb_iter_next(&it, &r, &e)) == 1) k++;
    KT_EQ_INT(k, 3);
    KT_EQ_INT(rc, KE_COUNT);
    KT_CHECK(strstr(e.msg, "declares 4 records but holds only 3") != NULL);
}

/* Walk the records of a V2_NONE variant parsed at file position 1000:
 * returns the iterator's last code, *n the records it returned. */
static int walk_variant(const uint8_t *t, size_t n, int *got, ke_error *e)
{
    kb_batch b;
    kb_iter it;
    kb_record r;
    *got = 0;
    if (kb_parse(t, n, 1000, &b, e) < 0 || kb_iter_open(&it, &b, NULL, e) < 0) return -100;
    int rc;
    while ((rc = kb_iter_next(&it, &r, e)) == 1) (*got)++;
    return rc;
}

/* The record count agrees with the records both ways, even at 0 (Kafka's
 * iterator hides everything behind a count of 0), and every offset delta
 * lies in [0, lastOffsetDelta], increasing (formats doc 1.6, 1.10). In
 * V2_NONE record 1 starts at byte 85 and record 2 at 92; each offsetDelta
 * is the 4th byte of its record. */
static void test_count_and_offset_deltas(void)
{
    uint8_t buf[256], t[256];
    size_t n = unhex(V2_NONE, buf, sizeof buf);
    ke_error e;
    int got;
    KT_REQUIRE_EQ_INT(buf[88], 0x02); /* record 1: delta 1 */
    KT_REQUIRE_EQ_INT(buf[95], 0x04); /* record 2: delta 2 */

    memcpy(t, buf, n);
    t[60] = 0; /* count 0 over 3 records */
    KT_EQ_INT(walk_variant(t, n, &got, &e), KE_COUNT);
    KT_EQ_INT(got, 0);
    KT_EQ_INT(e.pos, 1000 + 61);
    KT_CHECK(strstr(e.msg, "declares no records but 40 bytes of records follow") != NULL);

    t[11] = 61 - 12; /* the cleaner's empty batch: a bare header */
    KT_EQ_INT(walk_variant(t, 61, &got, &e), 0);
    KT_EQ_INT(got, 0);

    memcpy(t, buf, n);
    t[88] = 0x01; /* record 1: delta -1, the offset before the batch */
    KT_EQ_INT(walk_variant(t, n, &got, &e), KE_CORRUPT);
    KT_EQ_INT(got, 1);
    KT_EQ_INT(e.pos, 1000 + 85);
    KT_CHECK(strstr(e.msg, "record 1: offset delta -1 is outside the batch's range 0..2 (offset -1)") != NULL);

    memcpy(t, buf, n);
    t[95] = 0x06; /* record 2: delta 3, past lastOffsetDelta 2 */
    KT_EQ_INT(walk_variant(t, n, &got, &e), KE_CORRUPT);
    KT_EQ_INT(got, 2);
    KT_EQ_INT(e.pos, 1000 + 92);

    memcpy(t, buf, n);
    t[95] = 0x02; /* record 2: delta 1 again */
    KT_EQ_INT(walk_variant(t, n, &got, &e), KE_CORRUPT);
    KT_EQ_INT(got, 2);
    KT_CHECK(strstr(e.msg, "offset delta 1 does not follow the previous record's 1") != NULL);

    memcpy(t, buf, n);
    t[26] = 4;    /* lastOffsetDelta 4 ... */
    t[95] = 0x08; /* ... and record 2 at delta 4: a cleaned batch's gap */
    KT_EQ_INT(walk_variant(t, n, &got, &e), 0);
    KT_EQ_INT(got, 3);
}

int main(void)
{
    KT_RUN(test_varint_examples);
    KT_RUN(test_varint_bounds);
    KT_RUN(test_sequence_wrap);
    KT_RUN(test_v2_uncompressed);
    KT_RUN(test_v2_damage);
    KT_RUN(test_v2_codecs);
    KT_RUN(test_legacy_wrappers);
    KT_RUN(test_control);
    KT_RUN(test_header_rejections);
    KT_RUN(test_count_and_offset_deltas);
    return kt_done();
}
