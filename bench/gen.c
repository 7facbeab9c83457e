/*
 * gen.c - writes realistic partitions for the benchmark (bench/run.sh).
 *
 *   gen DIR CODEC MBYTES PARTITIONS [SEGMENT_MBYTES]
 *
 * Each partition DIR/bench-<codec>-<n>/00000000000000000000.log holds v2
 * batches of ~50 JSON-like records of a few hundred bytes (orders with ids,
 * customers, items), written by four idempotent producers and one without
 * idempotence, compressed with CODEC (none, gzip, snappy, lz4, zstd) framed
 * as the Java client frames it. About 0.5% of batches are appended twice (a
 * retried batch: a real duplicate). MBYTES is the uncompressed size per
 * partition, in segments of at most 1 GiB. Deterministic (a fixed seed).
 *
 * The tests never read what this writes: they read fixtures made by
 * kafka-python and real broker data. This is only a fast data source.
 */
#include <lz4frame.h>
#include <snappy-c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

#include "reader/crc.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static size_t put_varint(uint8_t *p, int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    size_t n = 0;
    while (z >= 0x80) p[n++] = (uint8_t)(z | 0x80), z >>= 7;
    p[n++] = (uint8_t)z;
    return n;
}

static void be32(uint8_t *p, uint32_t v) { p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = (uint8_t)v; }
static void be64(uint8_t *p, uint64_t v) { be32(p, (uint32_t)(v >> 32)), be32(p + 4, (uint32_t)v); }
static void be16(uint8_t *p, uint16_t v) { p[0] = v >> 8, p[1] = (uint8_t)v; }

static const char *statuses[] = { "created", "paid", "packed", "shipped", "delivered", "returned" };

/* One record's key and value into rec; returns the record's length. */
static size_t record(uint8_t *out, int delta, int64_t ts_delta, uint64_t id)
{
    char key[32], val[512];
    int kl = snprintf(key, sizeof key, "order-%llu", (unsigned long long)id);
    int vl = snprintf(val, sizeof val,
                      "{\"order_id\":%llu,\"customer\":\"customer-%u\",\"status\":\"%s\",\"amount\":%u.%02u,"
                      "\"currency\":\"EUR\",\"items\":[{\"sku\":\"SKU-%05u\",\"qty\":%u},{\"sku\":\"SKU-%05u\",\"qty\":%u}],"
                      "\"shipping\":{\"city\":\"city-%u\",\"zip\":\"%05u\"},\"note\":\"%08x%08x\"}",
                      (unsigned long long)id, rnd() % 100000, statuses[rnd() % 6], rnd() % 500, rnd() % 100,
                      rnd() % 50000, 1 + rnd() % 5, rnd() % 50000, 1 + rnd() % 5, rnd() % 1000, rnd() % 100000, rnd(),
                      rnd());
    uint8_t body[640];
    size_t n = 0;
    body[n++] = 0; /* attributes */
    n += put_varint(body + n, ts_delta);
    n += put_varint(body + n, delta);
    n += put_varint(body + n, kl);
    memcpy(body + n, key, (size_t)kl), n += (size_t)kl;
    n += put_varint(body + n, vl);
    memcpy(body + n, val, (size_t)vl), n += (size_t)vl;
    n += put_varint(body + n, 0); /* headers */
    size_t m = put_varint(out, (int64_t)n);
    memcpy(out + m, body, n);
    return m + n;
}

/* Compress `in` with the codec as the Java client frames it. */
static size_t compress_as_kafka(int codec, const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    if (codec == 1) {
        z_stream zs = { 0 };
        deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
        zs.next_in = (Bytef *)in, zs.avail_in = (uInt)n, zs.next_out = out, zs.avail_out = (uInt)cap;
        deflate(&zs, Z_FINISH);
        size_t len = cap - zs.avail_out;
        deflateEnd(&zs);
        return len;
    }
    if (codec == 2) { /* xerial framing, 32 KiB chunks */
        static const uint8_t hdr[16] = { 0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1 };
        size_t o = 16;
        memcpy(out, hdr, 16);
        for (size_t off = 0; off < n; off += 32768) {
            size_t k = n - off < 32768 ? n - off : 32768, cl = cap - o - 4;
            snappy_compress((const char *)in + off, k, (char *)out + o + 4, &cl);
            be32(out + o, (uint32_t)cl);
            o += 4 + cl;
        }
        return o;
    }
    if (codec == 3) {
        LZ4F_preferences_t prefs;
        memset(&prefs, 0, sizeof prefs);
        prefs.frameInfo.blockMode = LZ4F_blockIndependent;
        prefs.frameInfo.blockSizeID = LZ4F_max64KB;
        return LZ4F_compressFrame(out, cap, in, n, &prefs);
    }
    return ZSTD_compress(out, cap, in, n, 3);
}

/* Kafka's default log.segment.bytes (1 GiB): larger partitions get more
 * segments. SEGMENT_MBYTES sets another (tests/test_pipeline.py). */
#define SEGMENT_BYTES ((size_t)1 << 30)

int main(int argc, char **argv)
{
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: gen DIR none|gzip|snappy|lz4|zstd MBYTES PARTITIONS [SEGMENT_MBYTES]\n");
        return 2;
    }
    static const char *names[] = { "none", "gzip", "snappy", "lz4", "zstd" };
    int codec = -1;
    for (int i = 0; i < 5; i++)
        if (strcmp(argv[2], names[i]) == 0) codec = i;
    long mbytes = atol(argv[3]), parts = atol(argv[4]);
    size_t segment_bytes = argc == 6 ? (size_t)atol(argv[5]) << 20 : SEGMENT_BYTES;
    if (codec < 0 || mbytes <= 0 || parts <= 0 || segment_bytes == 0) return 2;
    mkdir(argv[1], 0755);
    size_t cap = 1 << 20;
    uint8_t *recs = malloc(cap), *z = malloc(2 * cap), *batch = malloc(2 * cap + 64);
    for (long part = 0; part < parts; part++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/bench-%s-%ld", argv[1], names[codec], part);
        mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/bench-%s-%ld/00000000000000000000.log", argv[1], names[codec], part);
        FILE *f = fopen(path, "wb");
        if (!f) return perror(path), 1;
        size_t in_segment = 0;
        int64_t offset = 0, ts = 1700000000000ll;
        int32_t seq[4] = { 0, 0, 0, 0 };
        uint64_t id = (uint64_t)part * 1000000000ull;
        size_t written_raw = 0;
        while (written_raw < (size_t)mbytes << 20) {
            int count = 50, producer = (int)(rnd() % 5); /* 0-3 idempotent, 4 without */
            size_t n = 0;
            for (int i = 0; i < count; i++) n += record(recs + n, i, i, id++);
            written_raw += n;
            const uint8_t *payload = recs;
            size_t plen = n;
            if (codec) plen = compress_as_kafka(codec, recs, n, z, 2 * cap), payload = z;
            uint8_t *h = batch;
            int64_t pid = producer < 4 ? 1000 + producer : -1;
            be64(h, (uint64_t)offset);
            be32(h + 8, (uint32_t)(49 + plen));
            be32(h + 12, 0);      /* leader epoch */
            h[16] = 2;            /* magic */
            be16(h + 21, (uint16_t)codec);
            be32(h + 23, (uint32_t)(count - 1));
            be64(h + 27, (uint64_t)ts);
            be64(h + 35, (uint64_t)(ts + count - 1));
            be64(h + 43, (uint64_t)pid);
            be16(h + 51, pid < 0 ? 0xffff : 0);
            be32(h + 53, pid < 0 ? 0xffffffffu : (uint32_t)seq[producer]);
            be32(h + 57, (uint32_t)count);
            memcpy(h + 61, payload, plen);
            be32(h + 17, kcrc32c(h + 21, 40 + plen));
            size_t total = 61 + plen;
            if (in_segment >= segment_bytes) { /* roll, as log.segment.bytes does */
                fclose(f);
                snprintf(path, sizeof path, "%s/bench-%s-%ld/%020lld.log", argv[1], names[codec], part,
                         (long long)offset);
                if (!(f = fopen(path, "wb"))) return perror(path), 1;
                in_segment = 0;
            }
            fwrite(h, 1, total, f);
            in_segment += total;
            offset += count;
            if (pid >= 0) seq[producer] += count;
            if (rnd() % 200 == 0) { /* a lost ack: the same batch again */
                be64(h, (uint64_t)offset);
                fwrite(h, 1, total, f);
                in_segment += total;
                offset += count;
            }
            ts += 20;
        }
        fclose(f);
    }
    free(recs);
    free(z);
    free(batch);
    return 0;
}
