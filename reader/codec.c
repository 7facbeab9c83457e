/* codec.c - see codec.h. Framing rules: formats doc section 2. */
#include "codec.h"

#include <assert.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#include "cursor.h"

struct kc_ctx {
    uint8_t *buf;            /* output buffer, reused by every call */
    size_t cap;              /* bytes allocated at buf */
    size_t limit;            /* largest output we agree to produce */
    size_t budget;           /* largest buffer we may hold (kc_set_budget), 0: the limit */
    z_stream zs;             /* gzip inflater, reset per member */
    int zs_ready;            /* zs was initialised with inflateInit2 */
    ZSTD_DCtx *zstd;         /* created on first zstd payload */
    LZ4F_dctx *lz4;          /* created on first lz4 payload */
};

kc_ctx *kc_create(size_t limit)
{
    kc_ctx *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->limit = limit ? limit : KC_DEFAULT_LIMIT;
    return c;
}

void kc_set_budget(kc_ctx *c, size_t bytes) { c->budget = bytes; }

void kc_free(kc_ctx *c)
{
    if (!c) return;
    if (c->zs_ready) inflateEnd(&c->zs);
    ZSTD_freeDCtx(c->zstd);
    if (c->lz4) LZ4F_freeDecompressionContext(c->lz4);
    free(c->buf);
    free(c);
}

const char *kc_name(int codec)
{
    static const char *names[] = { "none", "gzip", "snappy", "lz4", "zstd" };
    return codec >= 0 && codec <= KC_ZSTD ? names[codec] : "unknown";
}

/* Make room for `need` bytes of output in total, growing geometrically but
 * never past the limit. */
static int kc_reserve(kc_ctx *c, size_t need, int64_t pos, ke_error *e)
{
    KE_RET_IF(need > c->limit, e, KE_TOO_LARGE, pos,
              "decompressed size exceeds the cap of %zu bytes (decompression bomb or corrupt payload)",
              c->limit);
    if (need <= c->cap) return 0;
    KE_RET_IF(c->budget && need > c->budget, e, KE_NOMEM, pos,
              "decompressing needs more than the %zu KiB of memory this job may use for it (--max-memory)",
              c->budget >> 10);
    size_t most = c->budget && c->budget < c->limit ? c->budget : c->limit;
    size_t ncap = c->cap ? c->cap : 64 * 1024;
    while (ncap < need) ncap = ncap > most / 2 ? most : ncap * 2;
    uint8_t *nb = realloc(c->buf, ncap);
    KE_RET_IF(!nb, e, KE_NOMEM, pos, "out of memory growing the decompression buffer to %zu bytes", ncap);
    c->buf = nb;
    c->cap = ncap;
    return 0;
}

/* Streaming decoders fill whatever room they are given: when the buffer is
 * full (`used` == cap), double it, up to the limit. */
static int kc_grow(kc_ctx *c, size_t used, int64_t pos, ke_error *e)
{
    size_t want = c->cap ? c->cap * 2 : 64 * 1024;
    if (want > c->limit) want = c->limit;
    if (c->budget && want > c->budget && used < c->limit) {
        KE_RET_IF(used >= c->budget, e, KE_NOMEM, pos,
                  "decompressing needs more than the %zu KiB of memory this job may use for it (--max-memory)",
                  c->budget >> 10);
        want = c->budget;
    }
    KE_RET_IF(want <= used, e, KE_TOO_LARGE, pos,
              "decompressed size exceeds the cap of %zu bytes (decompression bomb or corrupt payload)",
              c->limit);
    return kc_reserve(c, want, pos, e);
}

/* gzip header flags (RFC 1952, 2.3.1). */
enum { GZ_FHCRC = 0x02, GZ_FEXTRA = 0x04, GZ_FNAME = 0x08, GZ_FCOMMENT = 0x10, GZ_RESERVED = 0xe0 };

/* Skip a zero-terminated header field; 0 when the payload ends first. */
static int gz_skip_field(kcur *c)
{
    const uint8_t *z = memchr(c->p, 0, kcur_left(c));
    return z ? kcur_skip(c, (size_t)(z - c->p) + 1) : 0;
}

/*
 * One member's header (RFC 1952, 2.3): the magic, deflate, the optional
 * fields skipped, a header CRC (FHCRC) checked as zlib checks it. The
 * cursor is left at the deflate data. 0, or an error at `pos` + the header's
 * place in the payload `in`.
 */
static int gz_member_header(kcur *c, const uint8_t *in, int64_t pos, ke_error *e)
{
    const uint8_t *start = c->p;
    int64_t at = pos + (start - in);
    const uint8_t *h;
    KE_RET_IF(!kcur_bytes(c, 10, &h), e, KE_TRUNCATED, pos + (int64_t)(c->p - in) + (int64_t)kcur_left(c),
              "gzip: stream ends before its end marker");
    KE_RET_IF(h[0] != 0x1f || h[1] != 0x8b, e, KE_CORRUPT, at, "gzip: incorrect header check");
    KE_RET_IF(h[2] != 8, e, KE_CORRUPT, at, "gzip: unknown compression method");
    uint8_t flg = h[3];
    KE_RET_IF(flg & GZ_RESERVED, e, KE_CORRUPT, at, "gzip: unknown header flags set");
    int ok = 1;
    if (ok && (flg & GZ_FEXTRA)) {
        const uint8_t *x;
        ok = kcur_bytes(c, 2, &x) && kcur_skip(c, (size_t)x[0] | (size_t)x[1] << 8);
    }
    if (ok && (flg & GZ_FNAME)) ok = gz_skip_field(c);
    if (ok && (flg & GZ_FCOMMENT)) ok = gz_skip_field(c);
    if (ok && (flg & GZ_FHCRC)) {
        uint32_t want = (uint32_t)crc32(0L, start, (uInt)(c->p - start)) & 0xffff;
        const uint8_t *x;
        ok = kcur_bytes(c, 2, &x);
        KE_RET_IF(ok && ((uint32_t)x[0] | (uint32_t)x[1] << 8) != want, e, KE_CORRUPT, at, "gzip: header crc mismatch");
    }
    KE_RET_IF(!ok, e, KE_TRUNCATED, pos + (int64_t)(c->p - in) + (int64_t)kcur_left(c),
              "gzip: stream ends before its end marker");
    return 0;
}

/*
 * gzip: RFC 1952 members, possibly concatenated (Java's GZIPInputStream reads
 * them all; librdkafka stops after the first). Bytes after the last member
 * that do not start another member are ignored, as Java does.
 *
 * We parse each member's header and trailer ourselves and inflate the raw
 * deflate data between them: zlib's gzip mode would also compute the CRC-32
 * of every decompressed byte, a fifth of the time of decompressing, to check
 * the trailer. We check the trailer's ISIZE (the member's length mod 2^32)
 * and not its CRC-32: the compressed bytes are already covered by the
 * batch's CRC-32C (v2) or the wrapper message's CRC-32 (v0/v1), which the
 * audit checks and reports, and deflate's own structure and ISIZE catch a
 * stream that does not decode to what its trailer says it held. What the
 * CRC-32 alone would catch: a producer whose compressor wrote valid deflate
 * data of the right length but wrong content, under a valid batch CRC.
 */
static int kc_gzip(kc_ctx *c, const uint8_t *in, size_t len, int64_t pos, size_t *out_len, ke_error *e)
{
    KE_RET_IF(len > UINT32_MAX, e, KE_TOO_LARGE, pos, "gzip payload of %zu bytes", len);
    if (!c->zs_ready) {
        memset(&c->zs, 0, sizeof c->zs);
        KE_RET_IF(inflateInit2(&c->zs, -15) != Z_OK, e, KE_NOMEM, pos, "zlib init failed");
        c->zs_ready = 1;
    }
    z_stream *zs = &c->zs;
    size_t used = 0;
    kcur cur = kcur_make(in, len);
    for (;;) {
        KE_FORWARD(gz_member_header(&cur, in, pos, e));
        inflateReset(zs);
        size_t member_start = used;
        zs->next_in = (Bytef *)cur.p;
        zs->avail_in = (uInt)kcur_left(&cur);
        int rc;
        for (;;) {
            if (used == c->cap) KE_FORWARD(kc_grow(c, used, pos, e));
            size_t room = c->cap - used;
            zs->next_out = c->buf + used;
            zs->avail_out = room > UINT32_MAX ? UINT32_MAX : (uInt)room;
            uInt before = zs->avail_out;
            rc = inflate(zs, Z_NO_FLUSH);
            used += before - zs->avail_out;
            int64_t at = pos + (int64_t)(len - zs->avail_in);
            if (rc == Z_STREAM_END) break;
            KE_RET_IF(rc == Z_NEED_DICT || rc == Z_DATA_ERROR, e, KE_CORRUPT, at, "gzip: %s",
                      zs->msg ? zs->msg : "invalid deflate data");
            KE_RET_IF(rc == Z_MEM_ERROR, e, KE_NOMEM, at, "gzip: out of memory");
            /* Z_OK or Z_BUF_ERROR: either the output is full or the input ran out. */
            KE_RET_IF(zs->avail_in == 0 && zs->avail_out != 0, e, KE_TRUNCATED, at,
                      "gzip: stream ends before its end marker");
        }
        kcur_skip(&cur, kcur_left(&cur) - zs->avail_in);
        /* The trailer (RFC 1952, 2.3.1): CRC-32 (not checked, see above), ISIZE. */
        const uint8_t *t;
        KE_RET_IF(!kcur_bytes(&cur, 8, &t), e, KE_TRUNCATED, pos + (int64_t)len,
                  "gzip: stream ends before its end marker");
        uint32_t isize = (uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 | (uint32_t)t[7] << 24;
        KE_RET_IF(isize != (uint32_t)(used - member_start), e, KE_CORRUPT, pos + (int64_t)(t + 4 - in),
                  "gzip: incorrect length check");
        if (kcur_left(&cur) < 2 || cur.p[0] != 0x1f || cur.p[1] != 0x8b) break;
    }
    *out_len = used;
    return 0;
}

static const uint8_t xerial_magic[8] = { 0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0 };

/* One raw snappy block appended at `*used`. */
static int kc_snappy_block(kc_ctx *c, const uint8_t *in, size_t len, int64_t pos, size_t *used, ke_error *e)
{
    size_t n;
    KE_RET_IF(snappy_uncompressed_length((const char *)in, len, &n) != SNAPPY_OK, e, KE_CORRUPT, pos,
              "snappy: invalid block header");
    KE_RET_IF(n > c->limit - *used, e, KE_TOO_LARGE, pos,
              "snappy: block declares %zu bytes, over the cap of %zu", n, c->limit);
    KE_FORWARD(kc_reserve(c, *used + n, pos, e));
    size_t got = n;
    KE_RET_IF(snappy_uncompress((const char *)in, len, (char *)c->buf + *used, &got) != SNAPPY_OK ||
                  got != n,
              e, KE_CORRUPT, pos, "snappy: invalid compressed block");
    *used += n;
    return 0;
}

/* snappy: xerial framing (magic, two versions, then [BE32 len][raw block]
 * chunks; newer snappy-java tolerates a repeated header between chunks), or
 * one raw block when the magic is absent (librdkafka's producer). */
static int kc_snappy(kc_ctx *c, const uint8_t *in, size_t len, int64_t pos, size_t *out_len, ke_error *e)
{
    size_t used = 0;
    if (len < 16 || memcmp(in, xerial_magic, 8) != 0) {
        KE_FORWARD(kc_snappy_block(c, in, len, pos, &used, e));
        *out_len = used;
        return 0;
    }
    kcur cur = kcur_make(in + 16, len - 16);
    while (kcur_left(&cur) > 0) {
        int64_t at = pos + (cur.p - in);
        if (kcur_left(&cur) >= 16 && memcmp(cur.p, xerial_magic, 8) == 0) {
            kcur_skip(&cur, 16);
            continue;
        }
        int32_t clen;
        const uint8_t *chunk;
        KE_RET_IF(!kcur_i32(&cur, &clen), e, KE_TRUNCATED, at, "snappy: partial xerial chunk length");
        KE_RET_IF(clen < 0, e, KE_CORRUPT, at, "snappy: negative xerial chunk length %d", clen);
        KE_RET_IF(!kcur_bytes(&cur, (size_t)clen, &chunk), e, KE_TRUNCATED, at,
                  "snappy: xerial chunk of %d bytes runs past the payload (%zu left)", clen,
                  kcur_left(&cur));
        KE_FORWARD(kc_snappy_block(c, chunk, (size_t)clen, at + 4, &used, e));
    }
    *out_len = used;
    return 0;
}

/* LZ4: Kafka's frame. For magic 0 Kafka wrote a header checksum computed over
 * the wrong bytes (KAFKA-3160) and skips the check when reading; we feed
 * liblz4 a copy of the header with the checksum recomputed, as librdkafka
 * does. Bytes after the end mark are ignored, as Java does. */
static int kc_lz4(kc_ctx *c, int magic, const uint8_t *in, size_t len, int64_t pos, size_t *out_len,
                  ke_error *e)
{
    KE_RET_IF(len < 7, e, KE_TRUNCATED, pos, "lz4: %zu bytes cannot hold a frame header", len);
    KE_RET_IF(in[0] != 0x04 || in[1] != 0x22 || in[2] != 0x4d || in[3] != 0x18, e, KE_CORRUPT, pos,
              "lz4: bad frame magic %02x%02x%02x%02x", in[0], in[1], in[2], in[3]);
    if (!c->lz4) {
        KE_RET_IF(LZ4F_isError(LZ4F_createDecompressionContext(&c->lz4, LZ4F_VERSION)), e, KE_NOMEM,
                  pos, "lz4: cannot create a context");
    } else {
        LZ4F_resetDecompressionContext(c->lz4);
    }
    size_t hdr_len = (in[4] & 0x08) ? 15 : 7; /* content-size flag adds 8 bytes */
    KE_RET_IF(len < hdr_len, e, KE_TRUNCATED, pos, "lz4: frame header runs past the payload");
    uint8_t hdr[15];
    memcpy(hdr, in, hdr_len);
    if (magic == 0) hdr[hdr_len - 1] = (uint8_t)((XXH32(hdr + 4, hdr_len - 5, 0) >> 8) & 0xff);

    size_t used = 0, consumed = 0, hint = 1;
    const uint8_t *src = hdr;
    size_t src_len = hdr_len;
    int in_header = 1;
    while (hint != 0) {
        if (used == c->cap) KE_FORWARD(kc_grow(c, used, pos, e));
        size_t dst_len = c->cap - used, n = src_len;
        hint = LZ4F_decompress(c->lz4, c->buf + used, &dst_len, src, &n, NULL);
        int64_t at = pos + (int64_t)consumed;
        KE_RET_IF(LZ4F_isError(hint), e, KE_CORRUPT, at, "lz4: %s", LZ4F_getErrorName(hint));
        used += dst_len;
        src += n;
        src_len -= n;
        consumed += n;
        if (src_len == 0 && in_header) {
            in_header = 0;
            src = in + hdr_len;
            src_len = len - hdr_len;
        } else if (src_len == 0 && hint != 0 && dst_len == 0 && used < c->cap) {
            return ke_set(e, KE_TRUNCATED, pos + (int64_t)len, "lz4: frame ends before its end mark");
        }
    }
    *out_len = used;
    return 0;
}

/* zstd: one or more frames, content size usually unknown (zstd-jni streams). */
static int kc_zstd(kc_ctx *c, const uint8_t *in, size_t len, int64_t pos, size_t *out_len, ke_error *e)
{
    if (!c->zstd) {
        c->zstd = ZSTD_createDCtx();
        KE_RET_IF(!c->zstd, e, KE_NOMEM, pos, "zstd: cannot create a context");
    } else {
        ZSTD_DCtx_reset(c->zstd, ZSTD_reset_session_only);
    }
    ZSTD_inBuffer ib = { in, len, 0 };
    size_t used = 0, last = 1;
    while (ib.pos < ib.size || last != 0) {
        if (used == c->cap) KE_FORWARD(kc_grow(c, used, pos, e));
        ZSTD_outBuffer ob = { c->buf + used, c->cap - used, 0 };
        size_t before = ib.pos;
        last = ZSTD_decompressStream(c->zstd, &ob, &ib);
        KE_RET_IF(ZSTD_isError(last), e, KE_CORRUPT, pos + (int64_t)ib.pos, "zstd: %s",
                  ZSTD_getErrorName(last));
        used += ob.pos;
        KE_RET_IF(ib.pos == ib.size && before == ib.pos && ob.pos < ob.size && last != 0, e,
                  KE_TRUNCATED, pos + (int64_t)len, "zstd: frame ends before it is complete");
    }
    *out_len = used;
    return 0;
}

int kc_decompress(kc_ctx *c, int codec, int magic, const uint8_t *in, size_t len, int64_t pos,
                  const uint8_t **out, size_t *out_len, ke_error *e)
{
    assert(c != NULL);
    size_t n = 0;
    switch (codec) {
    case KC_NONE:
        *out = in;
        *out_len = len;
        return 0;
    case KC_GZIP: KE_FORWARD(kc_gzip(c, in, len, pos, &n, e)); break;
    case KC_SNAPPY: KE_FORWARD(kc_snappy(c, in, len, pos, &n, e)); break;
    case KC_LZ4: KE_FORWARD(kc_lz4(c, magic, in, len, pos, &n, e)); break;
    case KC_ZSTD: KE_FORWARD(kc_zstd(c, in, len, pos, &n, e)); break;
    default: return ke_set(e, KE_UNSUPPORTED, pos, "unknown compression codec id %d", codec);
    }
    *out = c->buf ? c->buf : (const uint8_t *)"";
    *out_len = n;
    return 0;
}
