/*
 * fuzz_decode.c - libFuzzer target for every decoder of reader/decode.
 *
 * Input: byte 0 picks how the rest splits; byte 1 is a control type; then
 * the key is the next (byte 0 % 64) bytes and the value the rest. Bit 6 of
 * byte 0 makes the key null, bit 7 the value. Each decoder must return NULL
 * with a filled error (negative code, position inside its input, a message)
 * or a tree that prints to JSON cJSON can parse back.
 */
#include "reader/decode.h"

#include <stdlib.h>
#include <string.h>

static void check(cJSON *j, const ke_error *e, int32_t len)
{
    if (!j) {
        if (e->code >= 0 || e->pos < -1 || e->pos > (len < 0 ? 0 : len) || !e->msg[0]) abort();
        return;
    }
    char *s = cJSON_PrintUnformatted(j);
    if (!s) abort();
    cJSON *back = cJSON_Parse(s);
    if (!back) abort();
    cJSON_Delete(back);
    free(s);
    cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 0x7fffffff) return 0;
    const uint8_t mode = data[0];
    const int16_t ctl = (int16_t)(data[1] % 8);
    size_t rest = size - 2;
    size_t klen = (size_t)(mode % 64) < rest ? (size_t)(mode % 64) : rest;
    /* Copies of exact size, so ASan flags any read past either input. */
    uint8_t *key = malloc(klen ? klen : 1), *val = malloc(rest - klen ? rest - klen : 1);
    if (!key || !val) abort();
    memcpy(key, data + 2, klen);
    memcpy(val, data + 2 + klen, rest - klen);
    int32_t kl = (mode & 0x40) ? -1 : (int32_t)klen;
    int32_t vl = (mode & 0x80) ? -1 : (int32_t)(rest - klen);
    ke_error e;

    ke_clear(&e);
    check(kd_offsets_key(key, kl, &e), &e, kl);
    ke_clear(&e);
    check(kd_offsets_value(key, kl, val, vl, &e), &e, kl > vl ? kl : vl);
    ke_clear(&e);
    check(kd_txn_key(key, kl, &e), &e, kl);
    ke_clear(&e);
    check(kd_txn_value(val, vl, &e), &e, vl);
    ke_clear(&e);
    check(kd_metadata_value(val, vl, &e), &e, vl);
    ke_clear(&e);
    check(kd_control_value(ctl, val, vl, &e), &e, vl);
    /* The whole input as one value too, so long values reach every decoder. */
    ke_clear(&e);
    check(kd_metadata_value(data, (int32_t)size, &e), &e, (int32_t)size);
    (void)kd_metadata_type_name(mode);

    free(key);
    free(val);
    return 0;
}
