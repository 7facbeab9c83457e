/* readahead.c - see readahead.h. */
#include "readahead.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- in place ---------------------------------------------------------------- */

typedef struct direct_sink {
    ra_consume_fn consume;
    void *cctx;
    bool stopped;
} direct_sink;

static int direct_emit(void *sink, const ra_item *x)
{
    direct_sink *d = sink;
    if (d->stopped) return -1;
    ra_item copy = *x;
    if (copy.kind == RA_BATCH) copy.it.b = &copy.b;
    if (!d->consume(d->cctx, &copy)) d->stopped = true;
    return d->stopped ? -1 : 0;
}

void ra_direct(ra_produce_fn produce, void *pctx, ra_consume_fn consume, void *cctx)
{
    direct_sink d = { consume, cctx, false };
    produce(pctx, direct_emit, &d);
}

/* ---- through a ring ------------------------------------------------------------ */

typedef struct ra_slot {
    ra_item x;
    unsigned char *buf;       /* the batch's bytes, then its decompressed records */
    size_t cap, used;
    bool lent;                /* x points into the reader's memory: a batch too large to copy */
} ra_slot;

struct ra_ring {
    ra_slot slot[RA_SLOTS];
    size_t head, count;       /* next slot to fill is (head + count) % RA_SLOTS */
    size_t bytes;             /* batch bytes held */
    size_t kept;              /* bytes allocated by the slots' buffers, held or not */
    size_t max_bytes;         /* the most `kept` may stay at */
    bool done, stopped;
    bool reader_waits, auditor_waits; /* asleep on their condition */
    pthread_mutex_t lock;
    pthread_cond_t room;      /* the reader waits for room ... */
    pthread_cond_t items;     /* ... the auditor for items */
    ra_produce_fn produce;
    void *pctx;
};

/* p moved from the block [from, from + n) to `to`, or unchanged outside it. */
static const uint8_t *moved(const uint8_t *p, const uint8_t *from, size_t n, unsigned char *to)
{
    return p && p >= from && p <= from + n ? to + (p - from) : p;
}

/* Are batch x's records in a decompression buffer (not in the batch's own
 * bytes)? *len: how many bytes of them, 0 when not. */
static bool decompressed(const ra_item *x, size_t *len)
{
    bool in_buffer = x->orc == 0 && x->it.start_pos < 0 && x->it.start;
    *len = in_buffer ? (size_t)(x->it.cur.end - x->it.start) : 0;
    return in_buffer;
}

/* The bytes a copy of x takes (copy_in). */
static size_t item_bytes(const ra_item *x)
{
    size_t dlen;
    decompressed(x, &dlen);
    return x->kind == RA_BATCH ? x->b.size + dlen : 0;
}

/* Copy x into s, its pointers into s's buffer. 0, or -1 out of memory. */
static int copy_in(ra_slot *s, const ra_item *x)
{
    s->x = *x;
    s->used = 0;
    if (x->kind != RA_BATCH) return 0;
    const kb_batch *b = &x->b;
    size_t dlen;
    bool in_buffer = decompressed(x, &dlen);
    size_t need = item_bytes(x);
    if (need > s->cap) {
        unsigned char *nb = realloc(s->buf, need);
        if (!nb) return -1;
        s->buf = nb;
        s->cap = need;
    }
    memcpy(s->buf, b->data, b->size);
    if (dlen) memcpy(s->buf + b->size, x->it.start, dlen);
    s->used = need;
    kb_batch *nbh = &s->x.b;
    nbh->data = s->buf;
    nbh->payload = moved(b->payload, b->data, b->size, s->buf);
    nbh->key = moved(b->key, b->data, b->size, s->buf);
    kb_iter *it = &s->x.it;
    it->b = nbh;
    if (x->orc == 0) {
        const uint8_t *from = in_buffer ? x->it.start : b->data;
        size_t n = in_buffer ? dlen : b->size;
        unsigned char *to = in_buffer ? s->buf + b->size : s->buf;
        it->start = moved(x->it.start, from, n, to);
        it->cur.p = moved(x->it.cur.p, from, n, to);
        it->cur.end = moved(x->it.cur.end, from, n, to);
    }
    return 0;
}

/* Wake-ups cost a system call and a context switch each, so neither side
 * is woken for every batch: the auditor once RA_WAKE items wait (or the
 * reader is about to block, or is done), the reader once the ring is half
 * empty. */
#define RA_WAKE 4

/* No room for an item of `need` bytes: the ring holds at most max_bytes of
 * items, and one item larger than that only alone (lent, ring_emit). */
static bool ring_full(const ra_ring *r, size_t need)
{
    return r->count == RA_SLOTS || (r->count > 0 && r->bytes + need > r->max_bytes);
}

static int ring_emit(void *sink, const ra_item *x)
{
    ra_ring *r = sink;
    size_t need = item_bytes(x);
    bool lend = need > r->max_bytes;
    pthread_mutex_lock(&r->lock);
    while (!r->stopped && (lend ? r->count > 0 : ring_full(r, need))) {
        if (r->auditor_waits) pthread_cond_signal(&r->items);
        r->reader_waits = true;
        pthread_cond_wait(&r->room, &r->lock);
        r->reader_waits = false;
    }
    if (r->stopped) {
        pthread_mutex_unlock(&r->lock);
        return -1;
    }
    ra_slot *s = &r->slot[(r->head + r->count) % RA_SLOTS];
    /* Room for the copy within max_bytes: the buffers the empty slots keep
     * for reuse go first (they are the reader's until counted). */
    for (size_t k = r->count + 1; !lend && k < RA_SLOTS && r->kept + (need > s->cap ? need - s->cap : 0) > r->max_bytes;
         k++) {
        ra_slot *e = &r->slot[(r->head + k) % RA_SLOTS];
        r->kept -= e->cap;
        free(e->buf);
        e->buf = NULL;
        e->cap = 0;
    }
    size_t cap = s->cap;
    pthread_mutex_unlock(&r->lock);
    /* The slot is ours until it is counted: copy without the lock. */
    s->lent = lend;
    if (lend) {
        s->x = *x;
        s->used = 0;
        s->x.it.b = &s->x.b;
    } else if (copy_in(s, x) < 0) {
        /* Out of memory for a copy: hand the batch over as unreadable. */
        ra_item err = *x;
        err.kind = RA_PROBLEM;
        ke_set(&err.e, KE_NOMEM, x->b.pos, "out of memory reading ahead the batch at offset %lld",
               (long long)x->b.base_offset);
        err.e.file = x->f ? x->f->path : NULL;
        err.entry_offset = x->b.base_offset;
        copy_in(s, &err);
    }
    pthread_mutex_lock(&r->lock);
    r->count++;
    r->bytes += s->used;
    r->kept += s->cap - cap;
    if (r->auditor_waits && (lend || r->count >= RA_WAKE || ring_full(r, 0))) pthread_cond_signal(&r->items);
    /* A lent batch lives in the reader's memory: wait until it is audited. */
    while (lend && r->count > 0) {
        r->reader_waits = true;
        pthread_cond_wait(&r->room, &r->lock);
        r->reader_waits = false;
    }
    pthread_mutex_unlock(&r->lock);
    return 0;
}

static void *producer(void *arg)
{
    ra_ring *r = arg;
    r->produce(r->pctx, ring_emit, r);
    pthread_mutex_lock(&r->lock);
    r->done = true;
    pthread_cond_signal(&r->items);
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

int ra_threaded(ra_produce_fn produce, void *pctx, ra_consume_fn consume, void *cctx, size_t max_bytes)
{
    ra_ring *r = calloc(1, sizeof *r);
    if (!r) return -1;
    r->max_bytes = max_bytes < RA_BYTES ? max_bytes : RA_BYTES;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->room, NULL);
    pthread_cond_init(&r->items, NULL);
    r->produce = produce;
    r->pctx = pctx;
    pthread_t t;
    if (pthread_create(&t, NULL, producer, r) != 0) {
        pthread_cond_destroy(&r->room);
        pthread_cond_destroy(&r->items);
        pthread_mutex_destroy(&r->lock);
        free(r);
        return -1;
    }
    for (;;) {
        pthread_mutex_lock(&r->lock);
        while (r->count == 0 && !r->done) {
            r->auditor_waits = true;
            pthread_cond_wait(&r->items, &r->lock);
            r->auditor_waits = false;
        }
        if (r->count == 0) {
            pthread_mutex_unlock(&r->lock);
            break;
        }
        ra_slot *s = &r->slot[r->head];
        pthread_mutex_unlock(&r->lock);
        /* After a stop, what is left is dropped. */
        bool stop = !r->stopped && !consume(cctx, &s->x);
        pthread_mutex_lock(&r->lock);
        r->head = (r->head + 1) % RA_SLOTS;
        r->count--;
        r->bytes -= s->used;
        /* Slots keep their buffers for the next batches, but no more than
         * the ring may hold: a large batch's buffer goes. */
        if (r->kept > r->max_bytes && s->cap) {
            r->kept -= s->cap;
            free(s->buf);
            s->buf = NULL;
            s->cap = 0;
        }
        if (stop) r->stopped = true; /* the producer stops at its next item */
        if (r->reader_waits && (stop || r->count == 0 || (r->count <= RA_SLOTS / 2 && r->bytes <= r->max_bytes / 2)))
            pthread_cond_signal(&r->room);
        pthread_mutex_unlock(&r->lock);
    }
    pthread_join(t, NULL);
    for (int i = 0; i < RA_SLOTS; i++) free(r->slot[i].buf);
    pthread_cond_destroy(&r->room);
    pthread_cond_destroy(&r->items);
    pthread_mutex_destroy(&r->lock);
    free(r);
    return 0;
}
