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

/* Hardware and table code agree on every length and alignment. */
static void test_hw_matches_sw(void)
{
    uint8_t *buf = malloc(4099);
    uint32_t x = 12345;
    for (int i = 0; i < 4099; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    int bad = 0;
    for (size_t off = 0; off < 9; off++)
        for (size_t n = 0; n + off <= 4099; n += 37)
            if (kcrc32c(buf + off, n) != kcrc32c_sw(buf + off, n)) bad++;
    KT_EQ_INT(bad, 0);
    free(buf);
}

int main(void)
{
    KT_RUN(test_check_values);
    KT_RUN(test_rfc3720);
    KT_RUN(test_hw_matches_sw);
    return kt_done();
}
