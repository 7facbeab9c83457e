/* fuzz_codec.c - libFuzzer target: the first byte picks a codec and magic,
 * the rest is decompressed with a small output cap. */
#include <stdint.h>
#include <stdlib.h>

#include "reader/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kc_ctx *c;
    if (!c) c = kc_create((size_t)4 << 20);
    if (size < 1) return 0;
    int codec = 1 + data[0] % 4, magic = (data[0] >> 4) % 3;
    const uint8_t *out;
    size_t len;
    ke_error e;
    kc_decompress(c, codec, magic, data + 1, size - 1, 0, &out, &len, &e);
    return 0;
}
