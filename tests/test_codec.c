/*
 * test_codec.c - kc_decompress on the framings of formats doc section 2.
 * Inputs are made here with the reference libraries (zlib, snappy, liblz4,
 * libzstd), then framed the way Kafka and its clients frame them.
 */
#include <lz4frame.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#include "kt.h"
#include "reader/codec.h"

/* Some compressible text of n bytes. */
static uint8_t *text(size_t n)
{
    uint8_t *p = malloc(n);
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)("kafka records compress well "[i % 28] + (i / 997) % 3);
    return p;
}

static size_t gzip_member(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    z_stream zs = { 0 };
    deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    deflate(&zs, Z_FINISH);
    size_t len = cap - zs.avail_out;
    deflateEnd(&zs);
    return len;
}

static void test_gzip_concatenated(void)
{
    uint8_t *a = text(5000), *buf = malloc(20000);
    size_t n1 = gzip_member(a, 3000, buf, 20000);
    size_t n2 = gzip_member(a + 3000, 2000, buf + n1, 20000 - n1);
    kc_ctx *c = kc_create(0);
    const uint8_t *out;
    size_t len;
    ke_error e;
    KT_REQUIRE_EQ_INT(kc_decompress(c, KC_GZIP, 2, buf, n1 + n2, 100, &out, &len, &e), 0);
    KT_EQ_MEM(out, len, a, 5000);
    /* truncated: every cut of the second member fails, never crashes */
    int bad = 0;
    for (size_t cut = n1 + 1; cut < n1 + n2; cut += 7) bad += kc_decompress(c, KC_GZIP, 2, buf, cut, 100, &out, &len, &e) < 0;
    KT_CHECK(bad > 0);
    KT_EQ_INT(kc_decompress(c, KC_GZIP, 2, buf, n1 - 3, 100, &out, &len, &e), KE_TRUNCATED);
    KT_EQ_INT(e.pos >= 100, 1);
    kc_free(c);
    free(a);
    free(buf);
}

/* A member with every optional header field (RFC 1952 2.3: FEXTRA, FNAME,
 * FCOMMENT, FHCRC), as zlib writes it when asked; Java's GZIPOutputStream
 * and kafka-python write the bare 10-byte header. */
static size_t gzip_member_fields(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    z_stream zs = { 0 };
    deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    static unsigned char extra[] = "XYab";
    gz_header h = { 0 };
    h.extra = extra;
    h.extra_len = 4;
    h.name = (Bytef *)"orders.json";
    h.comment = (Bytef *)"a comment";
    h.hcrc = 1;
    deflateSetHeader(&zs, &h);
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    deflate(&zs, Z_FINISH);
    size_t len = cap - zs.avail_out;
    deflateEnd(&zs);
    return len;
}

/* Headers are parsed here and the deflate data inflated raw (codec.c): the
 * optional fields are skipped, the header CRC, method, reserved flags and
 * the trailer's ISIZE are checked; the trailer's CRC-32 is not (the batch's
 * CRC covers the compressed bytes). Bytes after the last member are ignored. */
static void test_gzip_members(void)
{
    uint8_t *a = text(4000), *buf = malloc(20000), *bad = malloc(20000);
    size_t n1 = gzip_member_fields(a, 1500, buf, 20000);
    size_t n2 = gzip_member(a + 1500, 2500, buf + n1, 20000 - n1);
    KT_REQUIRE(buf[3] == 0x1e); /* FEXTRA, FNAME, FCOMMENT, FHCRC */
    memcpy(buf + n1 + n2, "\0\0junk", 6);
    kc_ctx *c = kc_create(0);
    const uint8_t *out;
    size_t len;
    ke_error e;
    KT_REQUIRE_EQ_INT(kc_decompress(c, KC_GZIP, 2, buf, n1 + n2 + 6, 0, &out, &len, &e), 0);
    KT_EQ_MEM(out, len, a, 4000);
    /* One member alone, and an empty member. */
    KT_REQUIRE_EQ_INT(kc_decompress(c, KC_GZIP, 2, buf + n1, n2, 0, &out, &len, &e), 0);
    KT_EQ_MEM(out, len, a + 1500, 2500);
    size_t ne = gzip_member(a, 0, bad, 20000);
    KT_REQUIRE_EQ_INT(kc_decompress(c, KC_GZIP, 2, bad, ne, 0, &out, &len, &e), 0);
    KT_EQ_INT(len, 0);

    size_t hdr_crc = 10 + 2 + 4 + 12 + 10; /* magic..OS, XLEN, extra, name, comment */
    struct { size_t at; uint8_t x; int code; const char *msg; } cases[] = {
        { 0, 0x01, KE_CORRUPT, "gzip: incorrect header check" },
        { 2, 0x01, KE_CORRUPT, "gzip: unknown compression method" },
        { 3, 0x20, KE_CORRUPT, "gzip: unknown header flags set" },
        { hdr_crc, 0x01, KE_CORRUPT, "gzip: header crc mismatch" },
        { n1 - 4, 0x01, KE_CORRUPT, "gzip: incorrect length check" },     /* ISIZE of the first member */
        { n1 + n2 - 1, 0x80, KE_CORRUPT, "gzip: incorrect length check" }, /* ISIZE of the second */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        memcpy(bad, buf, n1 + n2);
        bad[cases[i].at] ^= cases[i].x;
        KT_EQ_INT(kc_decompress(c, KC_GZIP, 2, bad, n1 + n2, 0, &out, &len, &e), cases[i].code);
        KT_EQ_STR(e.msg, cases[i].msg);
    }
    /* A wrong CRC-32 in the trailer is not checked. */
    memcpy(bad, buf, n1 + n2);
    bad[n1 - 8] ^= 0x01;
    KT_REQUIRE_EQ_INT(kc_decompress(c, KC_GZIP, 2, bad, n1 + n2, 0, &out, &len, &e), 0);
    KT_EQ_MEM(out, len, a, 4000);
    /* Every cut of the header and trailer fails as truncated. */
    int truncated = 0, cuts = 0;
    for (size_t cut = 0; cut < n1; cut++) {
        if (cut > hdr_crc + 2 && cut < n1 - 8) continue;
        cuts++;
        truncated += kc_decompress(c, KC_GZIP, 2, buf, cut, 0, &out, &len, &e) == KE_TRUNCATED;
    }
    KT_EQ_INT(truncated, cuts);
    kc_free(c);
    free(a);
    free(buf);
    free(bad);
}

static void test_snappy_framings(void)
{
    uint8_t *a = text(70000);
    size_t cap = snappy_max_compressed_length(70000) + 64;
    uint8_t *raw = malloc(cap), *x = malloc(2 * cap + 64);
    size_t rlen = cap;
    snappy_compress((const char *)a, 70000, (char *)raw, &rlen);
    kc_ctx *c = kc_create(0);
    const uint8_t *out;
    size_t len;
    ke_error e;
    KT_REQUIRE_EQ_INT(kc_decompress(c, KC_SNAPPY, 2, raw, rlen, 0, &out, &len, &e), 0);
    KT_EQ_MEM(out, len, a, 70000);
    /* xerial: header, then [BE32 len][block] chunks of 32 KiB input each,
     * with a repeated header in the middle (newer snappy-java accepts it). */
    static const uint8_t hdr[16] = { 0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1 };
    size_t xl = 0;
    memcpy(x, hdr, 16);
    xl = 16;
    for (size_t off = 0; off < 70000; off += 32768) {
        if (off == 65536) {
            memcpy(x + xl, hdr, 16);
            xl += 16;
        }
        size_t n = 70000 - off < 32768 ? 70000 - off : 32768, cl = cap;
        snappy_compress((const char *)a + off, n, (char *)x + xl + 4, &cl);
        x[xl] = (uint8_t)(cl >> 24), x[xl + 1] = (uint8_t)(cl >> 16), x[xl + 2] = (uint8_t)(cl >> 8), x[xl + 3] = (uint8_t)cl;
        xl += 4 + cl;
    }
    KT_REQUIRE_EQ_INT(kc_decompress(c, KC_SNAPPY, 2, x, xl, 0, &out, &len, &e), 0);
    KT_EQ_MEM(out, len, a, 70000);
    KT_EQ_INT(kc_decompress(c, KC_SNAPPY, 2, x, xl - 5, 0, &out, &len, &e), KE_TRUNCATED);
    x[16] = 0x80; /* negative chunk length */
    KT_EQ_INT(kc_decompress(c, KC_SNAPPY, 2, x, xl, 0, &out, &len, &e), KE_CORRUPT);
    kc_free(c);
    free(a);
    free(raw);
    free(x);
}

/* LZ4 frame as Kafka writes it for magic 0: header checksum hashed from the
 * frame's first byte (KAFKA-3160); as it writes it for magic 1 and 2: the
 * correct one. Also an uncompressed block (size bit 31). */
static void test_lz4_kafka_frames(void)
{
    uint8_t *a = text(100000);
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof prefs);
    prefs.frameInfo.blockMode = LZ4F_blockIndependent;
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    size_t cap = LZ4F_compressFrameBound(100000, &prefs);
    uint8_t *f = malloc(cap);
    size_t n = LZ4F_compressFrame(f, cap, a, 100000, &prefs);
    KT_CHECK(!LZ4F_isError(n));
    KT_EQ_UINT(f[4], 0x60);
    KT_EQ_UINT(f[5], 0x40);
    KT_EQ_UINT(f[6], 0x82); /* formats doc Appendix B */
    kc_ctx *c = kc_create(0);
    const uint8_t *out;
    size_t len;
    ke_error e;
    KT_REQUIRE_EQ_INT(kc_decompress(c, KC_LZ4, 2, f, n, 0, &out, &len, &e), 0);
    KT_EQ_MEM(out, len, a, 100000);
    uint8_t good_hc = f[6];
    f[6] = (uint8_t)((XXH32(f, 6, 0) >> 8) & 0xff); /* the broken v0 checksum */
    KT_EQ_UINT(f[6], 0x1a);
    KT_REQUIRE_EQ_INT(kc_decompress(c, KC_LZ4, 0, f, n, 0, &out, &len, &e), 0);
    KT_EQ_MEM(out, len, a, 100000);
    KT_EQ_INT(kc_decompress(c, KC_LZ4, 1, f, n, 0, &out, &len, &e), KE_CORRUPT); /* v1 checks it */
    f[6] = good_hc;
    KT_EQ_INT(kc_decompress(c, KC_LZ4, 0, f, n, 0, &out, &len, &e), 0);     /* v0 with a right one */
    KT_EQ_INT(kc_decompress(c, KC_LZ4, 2, f, n - 4, 0, &out, &len, &e), KE_TRUNCATED);
    /* a frame with one stored (uncompressed) block */
    uint8_t s[7 + 4 + 5 + 4] = { 0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82, 5, 0, 0, 0x80, 'h', 'e', 'l', 'l', 'o', 0, 0, 0, 0 };
    KT_REQUIRE_EQ_INT(kc_decompress(c, KC_LZ4, 2, s, sizeof s, 0, &out, &len, &e), 0);
    KT_EQ_MEM(out, len, "hello", 5);
    kc_free(c);
    free(a);
    free(f);
}

static void test_zstd_frames(void)
{
    uint8_t *a = text(50000);
    size_t cap = ZSTD_compressBound(50000) * 2;
    uint8_t *f = malloc(cap);
    /* two frames, the first without a content size (as zstd-jni streams) */
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
    size_t n1 = ZSTD_compress2(cc, f, cap, a, 30000);
    size_t n2 = ZSTD_compress(f + n1, cap - n1, a + 30000, 20000, 3);
    ZSTD_freeCCtx(cc);
    kc_ctx *c = kc_create(0);
    const uint8_t *out;
    size_t len;
    ke_error e;
    KT_REQUIRE_EQ_INT(kc_decompress(c, KC_ZSTD, 2, f, n1 + n2, 0, &out, &len, &e), 0);
    KT_EQ_MEM(out, len, a, 50000);
    KT_EQ_INT(kc_decompress(c, KC_ZSTD, 2, f, n1 + n2 - 3, 0, &out, &len, &e) < 0, 1);
    KT_EQ_INT(kc_decompress(c, KC_ZSTD, 2, f, 0, 0, &out, &len, &e) < 0, 1);
    kc_free(c);
    free(a);
    free(f);
}

/* A few KB that expand to 64 MiB must stop at the cap, in every codec. */
static void test_bomb_capped(void)
{
    size_t big = (size_t)64 << 20;
    uint8_t *zeros = calloc(1, big);
    kc_ctx *c = kc_create((size_t)8 << 20);
    const uint8_t *out;
    size_t len;
    ke_error e;
    size_t cap = ZSTD_compressBound(big);
    uint8_t *z = malloc(cap);
    size_t zn = ZSTD_compress(z, cap, zeros, big, 1);
    KT_CHECK(zn < 16384);
    KT_EQ_INT(kc_decompress(c, KC_ZSTD, 2, z, zn, 0, &out, &len, &e), KE_TOO_LARGE);
    size_t gn = gzip_member(zeros, big, z, cap);
    KT_EQ_INT(kc_decompress(c, KC_GZIP, 2, z, gn, 0, &out, &len, &e), KE_TOO_LARGE);
    size_t scap = snappy_max_compressed_length(big);
    uint8_t *s = malloc(scap);
    snappy_compress((const char *)zeros, big, (char *)s, &scap);
    KT_EQ_INT(kc_decompress(c, KC_SNAPPY, 2, s, scap, 0, &out, &len, &e), KE_TOO_LARGE);
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof prefs);
    size_t lcap = LZ4F_compressFrameBound(big, &prefs);
    uint8_t *l = malloc(lcap);
    size_t ln = LZ4F_compressFrame(l, lcap, zeros, big, &prefs);
    KT_EQ_INT(kc_decompress(c, KC_LZ4, 2, l, ln, 0, &out, &len, &e), KE_TOO_LARGE);
    KT_CHECK(strstr(e.msg, "cap") != NULL);
    kc_free(c);
    free(zeros);
    free(z);
    free(s);
    free(l);
}

static void test_names(void)
{
    KT_EQ_STR(kc_name(KC_NONE), "none");
    KT_EQ_STR(kc_name(KC_ZSTD), "zstd");
    KT_EQ_STR(kc_name(6), "unknown");
    kc_ctx *c = kc_create(0);
    const uint8_t *out;
    size_t len;
    ke_error e;
    KT_EQ_INT(kc_decompress(c, 6, 2, (const uint8_t *)"x", 1, 0, &out, &len, &e), KE_UNSUPPORTED);
    kc_free(c);
    kc_free(NULL);
}

int main(void)
{
    KT_RUN(test_gzip_concatenated);
    KT_RUN(test_gzip_members);
    KT_RUN(test_snappy_framings);
    KT_RUN(test_lz4_kafka_frames);
    KT_RUN(test_zstd_frames);
    KT_RUN(test_bomb_capped);
    KT_RUN(test_names);
    return kt_done();
}
