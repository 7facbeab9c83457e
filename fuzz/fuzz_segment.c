/* fuzz_segment.c - libFuzzer target: the input is a whole segment file,
 * walked by ks_next (through a memfd, so nothing touches the disk). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz/memfd.h"
#include "reader/segment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fz_memfd(data, size, path);
    if (fd < 0) return 0;
    ke_error e;
    ks_reader *r = ks_open(path, (size_t)1 << 20, 0, &e);
    if (r) {
        kb_batch b;
        int rc, guard = 0;
        while ((rc = ks_next(r, &b, &e)) != 0 && guard++ < 100000) {}
        ks_close(r);
    }
    close(fd);
    return 0;
}
