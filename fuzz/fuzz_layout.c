/* fuzz_layout.c - libFuzzer target: file and directory name parsing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reader/layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char name[600];
    if (size >= sizeof name) size = sizeof name - 1;
    memcpy(name, data, size);
    name[size] = '\0';
    kl_kind base;
    int64_t off;
    int32_t ep;
    kl_classify(name, &base, &off, &ep);
    char topic[512];
    int32_t part;
    const char *state;
    kl_partition_name(name, topic, sizeof topic, &part, &state);
    return 0;
}
