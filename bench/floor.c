/*
 * floor.c - the work any reader of a segment must do, and nothing more: walk
 * the entries (offset, length), and decompress each v2 batch's records
 * section. No CRC, no record decoding, no state. The benchmark compares
 * kaudit with this loop on the same files.
 *
 *   floor FILE...     prints: bytes read, uncompressed bytes, seconds
 *
 * Decompression calls the libraries directly: zlib for gzip, snappy-c
 * (xerial framing), LZ4F, zstd's streaming API (content size unknown).
 * Built with -D_GNU_SOURCE by bench/run.sh.
 */

#include <fcntl.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

static uint8_t *out;
static size_t out_cap = 64 << 20;
static ZSTD_DCtx *zd;
static LZ4F_dctx *ld;
static z_stream zs;

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static size_t decompress(int codec, const uint8_t *in, size_t n)
{
    switch (codec) {
    case 1: {
        inflateReset(&zs);
        zs.next_in = (Bytef *)in, zs.avail_in = (uInt)n, zs.next_out = out, zs.avail_out = (uInt)out_cap;
        inflate(&zs, Z_FINISH);
        return out_cap - zs.avail_out;
    }
    case 2: {
        size_t o = 0, p = 16;
        while (p + 4 <= n) {
            size_t cl = be32(in + p), ul = out_cap - o;
            snappy_uncompress((const char *)in + p + 4, cl, (char *)out + o, &ul);
            o += ul, p += 4 + cl;
        }
        return o;
    }
    case 3: {
        size_t o = 0, src = n, dst = out_cap;
        LZ4F_resetDecompressionContext(ld);
        LZ4F_decompress(ld, out, &dst, in, &src, NULL);
        o = dst;
        return o;
    }
    case 4: {
        ZSTD_DCtx_reset(zd, ZSTD_reset_session_only);
        ZSTD_inBuffer ib = { in, n, 0 };
        ZSTD_outBuffer ob = { out, out_cap, 0 };
        while (ib.pos < ib.size && !ZSTD_isError(ZSTD_decompressStream(zd, &ob, &ib))) {}
        return ob.pos;
    }
    }
    return n;
}

int main(int argc, char **argv)
{
    out = malloc(out_cap);
    zd = ZSTD_createDCtx();
    LZ4F_createDecompressionContext(&ld, LZ4F_VERSION);
    inflateInit2(&zs, 15 + 16);
    size_t win = 8 << 20;
    uint8_t *buf = malloc(win + (64 << 20));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t bytes = 0, raw = 0;
    for (int i = 1; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) continue;
        size_t have = 0, pos = 0;
        for (;;) {
            if (have - pos < 17 || have - pos < 12 + (size_t)be32(buf + pos + 8)) {
                memmove(buf, buf + pos, have - pos);
                have -= pos, pos = 0;
                ssize_t k = read(fd, buf + have, win);
                if (k <= 0) break;
                have += (size_t)k;
                continue;
            }
            size_t len = be32(buf + pos + 8), total = 12 + len;
            int codec = buf[pos + 22] & 7;
            raw += decompress(codec, buf + pos + 61, total - 61);
            bytes += total;
            pos += total;
        }
        close(fd);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%llu %llu %.3f\n", (unsigned long long)bytes, (unsigned long long)raw, s);
    return 0;
}
