/* fuzz_batch.c - libFuzzer target: kb_parse, then every record of the entry
 * (decompressing with a small cap), control records and headers included. */
#include <stdint.h>
#include <stdlib.h>

#include "reader/batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kc_ctx *dc;
    if (!dc) dc = kc_create((size_t)4 << 20);
    kb_batch b;
    ke_error e;
    if (kb_parse(data, size, 0, &b, &e) < 0) return 0;
    kb_iter it;
    if (kb_iter_open(&it, &b, dc, &e) < 0) return 0;
    kb_record r;
    int guard = 0;
    while (kb_iter_next(&it, &r, &e) == 1 && guard++ < 1000000) {
        kcur hc = kcur_make(r.headers, r.headers_len);
        kb_header h;
        while (kb_header_next(&hc, &h)) {}
        int type;
        int32_t ep;
        if (b.is_control) kb_control_parse(&r, &type, &ep, &e);
    }
    return 0;
}
