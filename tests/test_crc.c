/* test_crc.c - CRC-32C and CRC-32 against published check values. */
#include "kt.h"
#include "reader/crc.h"

#include <stdlib.h>

static void test_check_values(void)
{
    const uint8_t *s = (const uint8_t *)"123456789";
    KT_EQ_UINT(kcrc32c(s, 9), 0xE3069283u);
    KT_EQ_UINT(kcrc32c_sw(s, 9), 0xE3069283u);
    KT_EQ_UINT(kcrc32(s, 9), 0xCBF43926u);
    KT_EQ_UINT(kcrc32c(s, 0), 0u);
}

/* RFC 3720 (iSCSI) B.4 vectors: 32 bytes of zeros, of 0xFF, ascending. */
static void test_rfc3720(void)
{
    uint8_t buf[32];
    memset(buf, 0, sizeof buf);
    KT_EQ_UINT(kcrc32c(buf, 32), 0x8A9136AAu);
    memset(buf, 0xff, sizeof buf);
    KT_EQ_UINT(kcrc32c(buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++) buf[i] = (uint8_t)i;
    KT_EQ_UINT(kcrc32c(buf, 32), 0x46DD794Eu);
}

/* Hardware and table code agree on every length and alignment, below and
 * across the three-stream blocks (3 x 1024 bytes) of the hardware path. */
static void test_hw_matches_sw(void)
{
    enum { N = 20011 };
    uint8_t *buf = malloc(N);
    uint32_t x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    int bad = 0, tried = 0;
    for (size_t off = 0; off < 9; off++)
        for (size_t n = 0; n + off <= N; n += n < 4200 ? 37 : 997, tried++)
            if (kcrc32c(buf + off, n) != kcrc32c_sw(buf + off, n)) bad++;
    for (size_t n = 3070; n < 3080; n++, tried++) /* around one block triple */
        if (kcrc32c(buf + 3, n) != kcrc32c_sw(buf + 3, n)) bad++;
    for (size_t n = 6140; n < 6150; n++, tried++) /* around two */
        if (kcrc32c(buf, n) != kcrc32c_sw(buf, n)) bad++;
    KT_EQ_INT(bad, 0);
    KT_CHECK(tried > 1000);
    free(buf);
}

int main(void)
{
    KT_RUN(test_check_values);
    KT_RUN(test_rfc3720);
    KT_RUN(test_hw_matches_sw);
    return kt_done();
}
