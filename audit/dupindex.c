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
    q->slots = NULL;
    q->cap = 0;
    q->mode = mode;
    q->spill = spill;
    return mode == KQ_REPLAY && replay_fetch(q) < 0 ? -1 : 0;
}

static kq_slot *find(kq_slot *slots, size_t cap, uint64_t lo, uint64_t hi)
{
    size_t i = kq_home(lo, cap);
    while (slots[i].batch != KQ_EMPTY && (slots[i].lo != lo || slots[i].hi != hi)) i = i + 1 == cap ? 0 : i + 1;
    return &slots[i];
}

/* Move to a table of `ncap` slots. While it is filled the old table still
 * exists: both count against the limit. */
static int grow_to(kq_index *q, size_t ncap)
{
    if (q->max_bytes && ncap + q->cap > q->max_bytes / sizeof(kq_slot)) return KQ_FULL;
    /* Plain pages: transparent huge pages (MADV_HUGEPAGE) save TLB misses,
     * but on the benchmark's VM fresh huge pages cost more to fault in than
     * that saves (BENCHMARKS.md). */
    kq_slot *ns = malloc(ncap * sizeof *ns);
    if (!ns) return KQ_ERROR;
    for (size_t i = 0; i < ncap; i++) ns[i].batch = KQ_EMPTY;
    for (size_t i = 0; i < q->cap; i++)
        if (q->slots[i].batch != KQ_EMPTY) *find(ns, ncap, q->slots[i].lo, q->slots[i].hi) = q->slots[i];
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
    size_t most = q->max_bytes / sizeof(kq_slot);
    return most > q->cap ? most - q->cap : 0;
}

int kq_reserve(kq_index *q, size_t n)
{
    if (q->mode != KQ_MEMORY) return 0;
    size_t cap = kq_slots_for(n);
    if (cap > room(q)) cap = room(q); /* a reservation is only a hint */
    return cap > q->cap && cap >= KQ_MIN_SLOTS && grow_to(q, cap) == KQ_ERROR ? -1 : 0;
}

static int put_memory(kq_index *q, const kq_slot *rec, kq_slot **slot)
{
    /* Keep the load at or below 3/4 so probes stay short: grow to twice the
     * size, or as much as the limit allows if that is a quarter more. */
    if ((q->n + 1) * 4 > q->cap * 3) {
        size_t ncap = q->cap ? q->cap * 2 : KQ_MIN_SLOTS;
        if (ncap > room(q)) ncap = room(q);
        if (ncap < q->cap + q->cap / 4 || ncap < KQ_MIN_SLOTS) return KQ_FULL;
        int rc = grow_to(q, ncap);
        if (rc < 0) return rc;
    }
    kq_slot *s = find(q->slots, q->cap, rec->lo, rec->hi);
    *slot = s;
    if (s->batch != KQ_EMPTY) return 1;
    *s = *rec;
    q->n++;
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
    if (q->ev.found.lo != rec->lo || q->ev.found.hi != rec->hi) return KQ_CHANGED;
    q->seq++;
    /* The answer is kept apart, so the caller's pointers stay valid after
     * the next event is read. */
    q->given = q->ev;
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

size_t kq_bytes(const kq_index *q) { return q->cap * sizeof(kq_slot); }

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
        while (t[i].s.rec.batch != KQ_EMPTY && (t[i].s.rec.lo != s.rec.lo || t[i].s.rec.hi != s.rec.hi))
            i = i + 1 == cap ? 0 : i + 1;
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
