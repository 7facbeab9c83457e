/* crc.c - see crc.h. */
#include "crc.h"

#include <pthread.h>
#include <string.h>
#include <zlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define KCRC_X86 1
#endif

/* Slicing-by-8 tables for the reflected Castagnoli polynomial. Filled once. */
static uint32_t crc32c_table[8][256];
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;
static int crc32c_use_hw;

/* The hardware CRC runs three streams over blocks of KCRC_BLOCK bytes (the
 * crc32 instruction has a latency of three cycles and a throughput of one),
 * then shifts the first two past the blocks after them and XORs: a CRC of
 * A||B is the CRC of A moved over |B| zero bytes, XOR the CRC of B from 0.
 * Moving a register over KCRC_BLOCK (or twice that) zero bytes is linear:
 * four table lookups, one per byte of the register. */
#define KCRC_BLOCK 1024
static uint32_t crc32c_shift1[4][256], crc32c_shift2[4][256];

static uint32_t crc32c_sw_update(uint32_t crc, const uint8_t *p, size_t n);

/* tab[k][b] = the register (b << 8k) moved over `zeros` zero bytes. */
static void shift_tables(uint32_t tab[4][256], size_t zeros)
{
    static const uint8_t zero[2 * KCRC_BLOCK];
    uint32_t basis[32];
    for (int i = 0; i < 32; i++) basis[i] = crc32c_sw_update(1u << i, zero, zeros);
    for (int k = 0; k < 4; k++)
        for (uint32_t b = 0; b < 256; b++) {
            uint32_t v = 0;
            for (int i = 0; i < 8; i++)
                if (b >> i & 1) v ^= basis[8 * k + i];
            tab[k][b] = v;
        }
}

static inline uint32_t shift(uint32_t tab[4][256], uint32_t crc)
{
    return tab[0][crc & 0xff] ^ tab[1][(crc >> 8) & 0xff] ^ tab[2][(crc >> 16) & 0xff] ^ tab[3][crc >> 24];
}

static void crc32c_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
        crc32c_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc32c_table[t][i] = (crc32c_table[t - 1][i] >> 8) ^ crc32c_table[0][crc32c_table[t - 1][i] & 0xff];
#ifdef KCRC_X86
    __builtin_cpu_init();
    crc32c_use_hw = __builtin_cpu_supports("sse4.2");
#endif
    shift_tables(crc32c_shift1, KCRC_BLOCK);
    shift_tables(crc32c_shift2, 2 * KCRC_BLOCK);
}

static uint32_t crc32c_sw_update(uint32_t crc, const uint8_t *p, size_t n)
{
    while (n && ((uintptr_t)p & 7)) {
        crc = (crc >> 8) ^ crc32c_table[0][(crc ^ *p++) & 0xff];
        n--;
    }
    while (n >= 8) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4); /* little-endian hosts only reach the fast path */
        memcpy(&hi, p + 4, 4);
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
        break;
#endif
        lo ^= crc;
        crc = crc32c_table[7][lo & 0xff] ^ crc32c_table[6][(lo >> 8) & 0xff] ^
              crc32c_table[5][(lo >> 16) & 0xff] ^ crc32c_table[4][lo >> 24] ^
              crc32c_table[3][hi & 0xff] ^ crc32c_table[2][(hi >> 8) & 0xff] ^
              crc32c_table[1][(hi >> 16) & 0xff] ^ crc32c_table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--) crc = (crc >> 8) ^ crc32c_table[0][(crc ^ *p++) & 0xff];
    return crc;
}

#ifdef KCRC_X86
__attribute__((target("sse4.2")))
static uint32_t crc32c_hw_update(uint32_t crc, const uint8_t *p, size_t n)
{
#ifdef __x86_64__
    uint64_t c = crc;
    while (n && ((uintptr_t)p & 7)) {
        c = _mm_crc32_u8((uint32_t)c, *p++);
        n--;
    }
    while (n >= 3 * KCRC_BLOCK) {
        uint64_t c1 = 0, c2 = 0;
        for (size_t i = 0; i < KCRC_BLOCK; i += 8) {
            uint64_t w0, w1, w2;
            memcpy(&w0, p + i, 8);
            memcpy(&w1, p + KCRC_BLOCK + i, 8);
            memcpy(&w2, p + 2 * KCRC_BLOCK + i, 8);
            c = _mm_crc32_u64(c, w0);
            c1 = _mm_crc32_u64(c1, w1);
            c2 = _mm_crc32_u64(c2, w2);
        }
        c = shift(crc32c_shift2, (uint32_t)c) ^ shift(crc32c_shift1, (uint32_t)c1) ^ (uint32_t)c2;
        p += 3 * KCRC_BLOCK;
        n -= 3 * KCRC_BLOCK;
    }
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = _mm_crc32_u64(c, w);
        p += 8;
        n -= 8;
    }
    crc = (uint32_t)c;
#endif
    while (n--) crc = _mm_crc32_u8(crc, *p++);
    return crc;
}
#endif

uint32_t kcrc32c_sw(const uint8_t *p, size_t n)
{
    pthread_once(&crc32c_once, crc32c_init);
    return ~crc32c_sw_update(0xFFFFFFFFu, p, n);
}

uint32_t kcrc32c(const uint8_t *p, size_t n)
{
    pthread_once(&crc32c_once, crc32c_init);
#ifdef KCRC_X86
    if (crc32c_use_hw) return ~crc32c_hw_update(0xFFFFFFFFu, p, n);
#endif
    return ~crc32c_sw_update(0xFFFFFFFFu, p, n);
}

int kcrc32c_hw(void)
{
    pthread_once(&crc32c_once, crc32c_init);
    return crc32c_use_hw;
}

uint32_t kcrc32(const uint8_t *p, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    /* zlib takes uInt lengths; feed large inputs in pieces. */
    while (n > 0) {
        uInt chunk = n > 0x40000000u ? 0x40000000u : (uInt)n;
        c = crc32(c, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return (uint32_t)c;
}
