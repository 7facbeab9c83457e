/* memfd.h - for fuzz targets that need a file: the input in an anonymous
 * memory file (nothing touches the disk), reachable by a path. */
#ifndef KAUDIT_FUZZ_MEMFD_H
#define KAUDIT_FUZZ_MEMFD_H

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* The input as a file: its descriptor (close it when done), and its path
 * in path[64]; -1 when it could not be made. */
static inline int fz_memfd(const uint8_t *data, size_t size, char path[64])
{
    int fd = memfd_create("segment", 0);
    if (fd < 0) return -1;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return -1;
    }
    snprintf(path, 64, "/proc/self/fd/%d", fd);
    return fd;
}

#endif
