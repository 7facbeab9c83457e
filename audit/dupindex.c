/* dupindex.c - see dupindex.h. */
#include "dupindex.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(kq_slot) == 32, "a duplicate index answer is 32 bytes (the spill's records hold it)");
_Static_assert(sizeof(kq_cell) == 24, "a duplicate index slot is 24 bytes");

#define HI_MASK 0xffffffff00000000ull

void kq_init(kq_index *q)
{
    memset(q, 0, sizeof *q);
    q->at = SIZE_MAX;
}

void kq_free(kq_index *q)
{
    if (!q) return;
    free(q->slots);
    free(q->wide);
    kq_init(q);
}

void kq_set_limit(kq_index *q, size_t max_bytes) { q->max_bytes = max_bytes; }

static int replay_fetch(kq_index *q)
{
    int rc = q->spill->next(q->spill->ctx, &q->ev);
    q->have_ev = rc;
    return rc;
}

int kq_set_spill(kq_index *q, int mode, const kq_spill *spill)
{
    assert(q->n == 0 && q->seq == 0 && (mode == KQ_RECORD || mode == KQ_REPLAY));
    free(q->slots);
    free(q->wide);
    q->slots = NULL;
    q->wide = NULL;
    q->cap = q->wcap = q->wn = 0;
    q->at = SIZE_MAX;
    q->mode = mode;
    q->spill = spill;
    return mode == KQ_REPLAY && replay_fetch(q) < 0 ? -1 : 0;
}

size_t kq_bytes(const kq_index *q) { return q->cap * sizeof(kq_cell) + q->wcap * sizeof(kq_wide); }

size_t kq_peak_bytes(const kq_index *q) { return q->peak; }

static void note_peak(kq_index *q, size_t bytes)
{
    if (bytes > q->peak) q->peak = bytes;
}

/* ---- the side table: deltas too wide for a cell ----------------------------- */

/* Rare (a batch of more than 65,534 records, a record stamped more than 32
 * seconds from its batch's first, or absurd input), so plain linear probing
 * at a load of at most 1/2, by the fingerprint's low bits. */
static kq_wide *wide_find(kq_wide *w, size_t wcap, uint64_t lo, uint32_t hi)
{
    size_t i = (size_t)lo & (wcap - 1);
    while (w[i].used && (w[i].lo != lo || w[i].hi != hi)) i = (i + 1) & (wcap - 1);
    return &w[i];
}

/* Keep the deltas of fingerprint (lo, hi). 0, KQ_FULL or KQ_ERROR. */
static int wide_set(kq_index *q, uint64_t lo, uint32_t hi, int32_t off, int32_t ts)
{
    if ((q->wn + 1) * 2 > q->wcap) {
        size_t ncap = q->wcap ? q->wcap * 2 : 64;
        size_t need = q->cap * sizeof(kq_cell) + (q->wcap + ncap) * sizeof(kq_wide);
        if (q->max_bytes && need > q->max_bytes) return KQ_FULL;
        kq_wide *nw = calloc(ncap, sizeof *nw);
        if (!nw) return KQ_ERROR;
        note_peak(q, need);
        for (size_t i = 0; i < q->wcap; i++)
            if (q->wide[i].used) *wide_find(nw, ncap, q->wide[i].lo, q->wide[i].hi) = q->wide[i];
        free(q->wide);
        q->wide = nw;
        q->wcap = ncap;
    }
    kq_wide *e = wide_find(q->wide, q->wcap, lo, hi);
    if (!e->used) q->wn++;
    *e = (kq_wide){ lo, hi, 1, off, ts };
    return 0;
}

/* ---- cells ------------------------------------------------------------------- */

/* The cell of slot `s`; the deltas go to the side table when they do not
 * fit. 0, KQ_FULL or KQ_ERROR (the side table could not grow). */
static int encode(kq_index *q, kq_cell *c, const kq_slot *s)
{
    c->lo = s->lo;
    c->hi = (uint32_t)(s->hi >> 32);
    c->batch = s->batch + 1;
    c->aux = s->aux;
    bool ts_fits = s->ts_delta == KQ_NO_TS || (s->ts_delta > KQ_TS_NONE && s->ts_delta <= INT16_MAX);
    if (s->offset_delta >= 0 && s->offset_delta < KQ_OFF_SIDE && ts_fits) {
        c->off = (uint16_t)s->offset_delta;
        c->ts = s->ts_delta == KQ_NO_TS ? KQ_TS_NONE : (int16_t)s->ts_delta;
        return 0;
    }
    c->off = KQ_OFF_SIDE;
    c->ts = KQ_TS_SIDE;
    return wide_set(q, c->lo, c->hi, s->offset_delta, s->ts_delta);
}

static kq_slot decode(const kq_index *q, const kq_cell *c)
{
    kq_slot s = { c->lo, (uint64_t)c->hi << 32, c->batch - 1, c->off, c->ts == KQ_TS_NONE ? KQ_NO_TS : c->ts, c->aux };
    if (c->off == KQ_OFF_SIDE) {
        const kq_wide *w = wide_find(q->wide, q->wcap, c->lo, c->hi);
        assert(w->used);
        s.offset_delta = w->offset_delta;
        s.ts_delta = w->ts_delta;
    }
    return s;
}

/* ---- the table ---------------------------------------------------------------- */

/* How far cell i lies from its home (its probe length less one). */
static size_t dist(size_t i, size_t home, size_t cap) { return i >= home ? i - home : i + cap - home; }

/*
 * Where fingerprint (lo, hi) is, or would go: 1 with *at its cell, or 0
 * with *at the cell it takes (free, or the first whose entry lies nearer its
 * own home than this one would: the table is ordered by home, Robin Hood's
 * invariant, so the search ends there).
 */
static int find(const kq_cell *slots, size_t cap, uint64_t lo, uint32_t hi, size_t *at)
{
    size_t i = kq_home(lo, cap);
    for (size_t d = 0;; d++) {
        const kq_cell *c = &slots[i];
        if (!c->batch || dist(i, kq_home(c->lo, cap), cap) < d) break;
        if (c->lo == lo && c->hi == hi) {
            *at = i;
            return 1;
        }
        i = i + 1 == cap ? 0 : i + 1;
    }
    *at = i;
    return 0;
}

/* Put cell `c` (absent) at cell `at` found for it, moving the entries from
 * there to the next free cell one cell on. The table has a free cell. */
static void insert_at(kq_cell *slots, size_t cap, size_t at, const kq_cell *c)
{
    size_t e = at;
    while (slots[e].batch) e = e + 1 == cap ? 0 : e + 1;
    while (e != at) {
        size_t prev = e ? e - 1 : cap - 1;
        slots[e] = slots[prev];
        e = prev;
    }
    slots[at] = *c;
}

static void insert(kq_cell *slots, size_t cap, const kq_cell *c)
{
    size_t at;
    int found = find(slots, cap, c->lo, c->hi, &at);
    assert(!found);
    (void)found;
    insert_at(slots, cap, at, c);
}

/* Move to a table of `ncap` slots. While it is filled the old table still
 * exists: both count against the limit. The new table comes zeroed (free),
 * from fresh pages for a large one: no pass of ours writes it before use. */
static int commit(kq_index *q);

static int grow_to(kq_index *q, size_t ncap)
{
    int rc = commit(q); /* the cells move */
    if (rc < 0) return rc;
    size_t need = (ncap + q->cap) * sizeof(kq_cell) + q->wcap * sizeof(kq_wide);
    if (q->max_bytes && need > q->max_bytes) return KQ_FULL;
    /* Plain pages: transparent huge pages (MADV_HUGEPAGE) save TLB misses,
     * but on the benchmark's VM fresh huge pages cost more to fault in than
     * that saves (BENCHMARKS.md). */
    kq_cell *ns = calloc(ncap, sizeof *ns);
    if (!ns) return KQ_ERROR;
    note_peak(q, need);
    for (size_t i = 0; i < q->cap; i++)
        if (q->slots[i].batch) insert(ns, ncap, &q->slots[i]);
    free(q->slots);
    q->slots = ns;
    q->cap = ncap;
    return 0;
}

/* The most slots a new table may have beside the current one, within the
 * limit (old and new table together), or SIZE_MAX without one. */
static size_t room(const kq_index *q)
{
    if (!q->max_bytes) return SIZE_MAX;
    size_t held = kq_bytes(q);
    return q->max_bytes > held ? (q->max_bytes - held) / sizeof(kq_cell) : 0;
}

int kq_reserve(kq_index *q, size_t n)
{
    if (q->mode != KQ_MEMORY) return 0;
    size_t cap = kq_slots_for(n);
    if (cap > room(q)) cap = room(q); /* a reservation is only a hint */
    return cap > q->cap && cap >= KQ_MIN_SLOTS && grow_to(q, cap) == KQ_ERROR ? -1 : 0;
}

/* Store what the caller left in the last answer "found" (kq_put). */
static int commit(kq_index *q)
{
    if (q->at == SIZE_MAX) return 0;
    size_t at = q->at;
    q->at = SIZE_MAX;
    kq_cell c;
    int rc = encode(q, &c, &q->given.found);
    if (rc == 0) q->slots[at] = c;
    return rc;
}

static int put_memory(kq_index *q, const kq_slot *rec, kq_slot **slot)
{
    int rc = commit(q);
    if (rc < 0) return rc;
    /* Keep the load at or below 7/8: grow to twice the size, or as much as
     * the limit allows if that is a quarter more. */
    if ((q->n + 1) * 8 > q->cap * 7) {
        size_t ncap = q->cap ? q->cap * 2 : KQ_MIN_SLOTS;
        if (ncap > room(q)) ncap = room(q);
        if (ncap < q->cap + q->cap / 4 || ncap < KQ_MIN_SLOTS) return KQ_FULL;
        rc = grow_to(q, ncap);
        if (rc < 0) return rc;
    }
    size_t at;
    if (find(q->slots, q->cap, rec->lo, (uint32_t)(rec->hi >> 32), &at)) {
        q->given.found = decode(q, &q->slots[at]);
        q->at = at;
        *slot = &q->given.found;
        return 1;
    }
    kq_cell c;
    rc = encode(q, &c, rec);
    if (rc < 0) return rc;
    insert_at(q->slots, q->cap, at, &c);
    q->n++;
    note_peak(q, kq_bytes(q));
    return 0;
}

static int put_replay(kq_index *q, const kq_slot *rec, kq_slot **slot, const void **found_info)
{
    if (q->have_ev < 0) return KQ_ERROR;
    if (q->have_ev == 0 || q->ev.seq != q->seq) {
        /* The recorded answer for this put was "new"; an answer recorded
         * for an earlier put that never came means the input changed. */
        if (q->have_ev && q->ev.seq < q->seq) return KQ_CHANGED;
        q->seq++;
        return 0;
    }
    if (!kq_same(&q->ev.found, rec)) return KQ_CHANGED;
    q->seq++;
    /* The answer is kept apart, so the caller's pointers stay valid after
     * the next event is read; its fingerprint as the table would give it. */
    q->given = q->ev;
    q->given.found.hi &= HI_MASK;
    *slot = &q->given.found;
    *found_info = q->given.info;
    replay_fetch(q);
    return 1;
}

int kq_put(kq_index *q, const kq_slot *rec, int64_t offset, const void *info, kq_slot **slot,
           const void **found_info)
{
    assert(rec->batch != KQ_EMPTY);
    *found_info = NULL;
    switch (q->mode) {
    case KQ_RECORD: {
        kq_spilled s = { *rec, offset, q->seq, { 0 } };
        memcpy(s.info, info, KQ_INFO);
        if (q->spill->put(q->spill->ctx, &s) < 0) return KQ_ERROR;
        q->seq++;
        return 0;
    }
    case KQ_REPLAY:
        return put_replay(q, rec, slot, found_info);
    default:
        return put_memory(q, rec, slot);
    }
}

/* ---- resolving a spilled share ---------------------------------------------- */

/* The resolve table: the recorded put in each slot (the slot's absolute
 * offset decides which copy it describes, kq_count_copy). Sized to the puts given, not a
 * power of two: a multiply-shift maps a fingerprint to a slot. */
typedef struct rv_entry {
    kq_spilled s;
} rv_entry;

static size_t rv_cap(size_t n) { return n + n / 3 + 16; } /* load <= 3/4 */

size_t kq_resolve_bytes(size_t n) { return rv_cap(n) * sizeof(rv_entry); }

int kq_resolve(size_t n, int (*get)(void *ctx, kq_spilled *s), int (*emit)(void *ctx, const kq_event *e), void *ctx)
{
    size_t cap = rv_cap(n);
    rv_entry *t = malloc(cap * sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < cap; i++) t[i].s.rec.batch = KQ_EMPTY;
    size_t used = 0;
    kq_spilled s;
    int rc;
    while ((rc = get(ctx, &s)) == 1) {
        size_t i = (size_t)(((unsigned __int128)s.rec.lo * cap) >> 64);
        /* The same identity as the table's (kq_same): 96 bits. */
        while (t[i].s.rec.batch != KQ_EMPTY && !kq_same(&t[i].s.rec, &s.rec)) i = i + 1 == cap ? 0 : i + 1;
        rv_entry *e = &t[i];
        if (e->s.rec.batch == KQ_EMPTY) {
            if (++used > n) break; /* more puts than announced */
            e->s = s;
            continue;
        }
        kq_event ev = { s.seq, e->s.rec, { 0 } };
        memcpy(ev.info, e->s.info, KQ_INFO);
        if (emit(ctx, &ev) < 0) break;
        kq_slot slot = e->s.rec;
        kq_count_copy(&slot, &s.rec, s.offset, e->s.offset);
        if (s.offset > e->s.offset) e->s = s; /* its batch's description and offset too */
        e->s.rec = slot;
    }
    free(t);
    return rc == 0 ? 0 : -1;
}
