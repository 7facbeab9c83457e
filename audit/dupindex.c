/* dupindex.c - see dupindex.h. */
#include "dupindex.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(kq_slot) == 32, "a duplicate index slot is 32 bytes");

void kq_init(kq_index *q) { memset(q, 0, sizeof *q); }

void kq_free(kq_index *q)
{
    if (!q) return;
    free(q->slots);
    memset(q, 0, sizeof *q);
}

static kq_slot *find(kq_slot *slots, size_t cap, uint64_t lo, uint64_t hi)
{
    size_t i = (size_t)lo & (cap - 1);
    while (slots[i].batch != KQ_EMPTY && (slots[i].lo != lo || slots[i].hi != hi)) i = (i + 1) & (cap - 1);
    return &slots[i];
}

static int grow_to(kq_index *q, size_t ncap)
{
    kq_slot *ns = malloc(ncap * sizeof *ns);
    if (!ns) return -1;
    for (size_t i = 0; i < ncap; i++) ns[i].batch = KQ_EMPTY;
    for (size_t i = 0; i < q->cap; i++)
        if (q->slots[i].batch != KQ_EMPTY) *find(ns, ncap, q->slots[i].lo, q->slots[i].hi) = q->slots[i];
    free(q->slots);
    q->slots = ns;
    q->cap = ncap;
    return 0;
}

static int grow(kq_index *q) { return grow_to(q, q->cap ? q->cap * 2 : 1024); }

int kq_reserve(kq_index *q, size_t n)
{
    size_t cap = q->cap ? q->cap : 1024;
    while (n * 4 > cap * 3) cap *= 2;
    return cap > q->cap ? grow_to(q, cap) : 0;
}

int kq_put(kq_index *q, const kq_slot *rec, kq_slot **slot)
{
    assert(rec->batch != KQ_EMPTY);
    /* Keep the load at or below 3/4 so probes stay short. */
    if ((q->n + 1) * 4 > q->cap * 3 && grow(q) < 0) return -1;
    kq_slot *s = find(q->slots, q->cap, rec->lo, rec->hi);
    *slot = s;
    if (s->batch != KQ_EMPTY) return 1;
    *s = *rec;
    q->n++;
    return 0;
}

size_t kq_bytes(const kq_index *q) { return q->cap * sizeof(kq_slot); }
