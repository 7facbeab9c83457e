/* fuzz_segment.c - libFuzzer target: the input is a whole segment file,
 * walked by ks_next (through a memfd, so nothing touches the disk). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "reader/segment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("segment", 0);
    if (fd < 0) return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
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
