/*
 * memspill.h - a spill of the duplicate index (audit/dupindex.h) kept in
 * memory, for the unit tests and fuzz targets that compare a spilled index
 * with an in-memory one: the KQ_RECORD pass appends to an array, ms_resolve
 * runs kq_resolve over `nshares` shares of the fingerprints (as engine/spill.c
 * does with files) and sorts the answers into put order, and the KQ_REPLAY
 * pass reads them back. Header only; engine/spill.c is the real one.
 */
#ifndef KAUDIT_TESTS_MEMSPILL_H
#define KAUDIT_TESTS_MEMSPILL_H

#include <stdlib.h>
#include <string.h>

#include "audit/dupindex.h"

typedef struct ms_spill {
    kq_spill ops;              /* for kq_set_spill / ka_index_spill */
    kq_spilled *rec;           /* the recorded puts, in put order */
    size_t nrec, caprec;
    kq_event *ev;              /* the answers, in put order after ms_resolve */
    size_t nev, capev, evpos;
    unsigned share, nshares;   /* ms_resolve: the share being resolved */
    size_t getpos;
} ms_spill;

/* Room for one more element in a growing array. 0, or -1 out of memory. */
static inline int ms_grow(void **arr, size_t n, size_t *cap, size_t size)
{
    if (n < *cap) return 0;
    size_t ncap = *cap ? *cap * 2 : 1024;
    void *p = realloc(*arr, ncap * size);
    if (!p) return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

static inline int ms_put(void *ctx, const kq_spilled *s)
{
    ms_spill *m = ctx;
    if (ms_grow((void **)&m->rec, m->nrec, &m->caprec, sizeof *m->rec) < 0) return -1;
    m->rec[m->nrec++] = *s;
    return 0;
}

static inline int ms_next(void *ctx, kq_event *e)
{
    ms_spill *m = ctx;
    if (m->evpos == m->nev) return 0;
    *e = m->ev[m->evpos++];
    return 1;
}

static inline int ms_get(void *ctx, kq_spilled *s)
{
    ms_spill *m = ctx;
    while (m->getpos < m->nrec) {
        const kq_spilled *r = &m->rec[m->getpos++];
        if (r->rec.hi % m->nshares == m->share) {
            *s = *r;
            return 1;
        }
    }
    return 0;
}

static inline int ms_emit(void *ctx, const kq_event *e)
{
    ms_spill *m = ctx;
    if (ms_grow((void **)&m->ev, m->nev, &m->capev, sizeof *m->ev) < 0) return -1;
    m->ev[m->nev++] = *e;
    return 0;
}

static inline int ms_by_seq(const void *a, const void *b)
{
    uint64_t x = ((const kq_event *)a)->seq, y = ((const kq_event *)b)->seq;
    return x < y ? -1 : x > y;
}

/* Start empty (the first pass records into it). */
static inline void ms_init(ms_spill *m)
{
    memset(m, 0, sizeof *m);
    m->ops = (kq_spill){ m, ms_put, ms_next };
}

/* Resolve the recorded puts in `nshares` shares, the answers in put order
 * for a replay (from the first). 0, or -1 when kq_resolve failed. */
static inline int ms_resolve(ms_spill *m, unsigned nshares)
{
    m->nev = m->evpos = 0;
    m->nshares = nshares;
    for (m->share = 0; m->share < nshares; m->share++) {
        size_t n = 0;
        for (size_t i = 0; i < m->nrec; i++) n += m->rec[i].rec.hi % nshares == m->share;
        m->getpos = 0;
        if (kq_resolve(n, ms_get, ms_emit, m) < 0) return -1;
    }
    if (m->nev) qsort(m->ev, m->nev, sizeof *m->ev, ms_by_seq);
    return 0;
}

/* Empty it for a new first pass, keeping its memory. */
static inline void ms_clear(ms_spill *m) { m->nrec = m->nev = m->evpos = 0; }

static inline void ms_free(ms_spill *m)
{
    free(m->rec);
    free(m->ev);
    memset(m, 0, sizeof *m);
}

#endif
