/*
 * memlisting.h - the report's listing spill (report/listing.h, rm_spill)
 * kept in a growing buffer, for the unit tests and fuzz targets that compare
 * a spilled listing with one kept in memory; `fail` makes every write fail.
 * Header only; engine/engine.c's scratch file is the real one.
 */
#ifndef KAUDIT_TESTS_MEMLISTING_H
#define KAUDIT_TESTS_MEMLISTING_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/model.h"

typedef struct ml_spill {
    rm_spill ops;              /* for rm_set_spill */
    unsigned char *buf;
    uint64_t end, cap;
    bool fail;
} ml_spill;

static inline int ml_reserve(void *ctx, uint64_t n, uint64_t *pos)
{
    ml_spill *m = ctx;
    if (m->fail) return -1;
    if (m->end + n > m->cap) {
        uint64_t ncap = (m->end + n) * 2;
        unsigned char *nb = realloc(m->buf, ncap);
        if (!nb) return -1;
        m->buf = nb, m->cap = ncap;
    }
    *pos = m->end;
    m->end += n;
    return 0;
}

static inline int ml_write(void *ctx, uint64_t pos, const void *buf, size_t n)
{
    ml_spill *m = ctx;
    if (m->fail || pos + n > m->end) return -1;
    memcpy(m->buf + pos, buf, n);
    return 0;
}

static inline int ml_read(void *ctx, uint64_t pos, void *buf, size_t n)
{
    ml_spill *m = ctx;
    if (pos + n > m->end) return -1;
    memcpy(buf, m->buf + pos, n);
    return 0;
}

/* Ready an empty spill (what it held is dropped, its buffer kept). */
static inline void ml_init(ml_spill *m)
{
    m->ops = (rm_spill){ m, ml_reserve, ml_write, ml_read };
    m->end = 0;
}

static inline void ml_free(ml_spill *m)
{
    free(m->buf);
    m->buf = NULL;
    m->end = m->cap = 0;
}

#endif
